-- BG/NBD and MBG/NBD: edge cases of the fits and the predictions.

-- Empty input: NULL (no customer, no model).  Rows with a NULL are skipped.
SELECT custseg.bgnbd_fit(x, t_x, t) IS NULL AS empty_bgnbd,
	   custseg.mbgnbd_fit(x, t_x, t) IS NULL AS empty_mbgnbd
FROM (VALUES (1::bigint, 1::float8, 2::float8)) v(x, t_x, t) WHERE false;
SELECT custseg.bgnbd_fit(NULL::custseg.customer_summary) IS NULL AS null_summary;

-- No customer made a repeat purchase: the likelihood grows as r -> 0, so
-- there is no maximum.  The fit says so (converged false, a WARNING) and
-- its values stay finite.
SELECT (m).converged, (m).customers, (m).log_likelihood > -1e-6 AS log_likelihood_near_0,
	   (m).r < 1e-3 AS r_near_0
FROM (SELECT custseg.bgnbd_fit(0, 0, 30 + g % 50) AS m FROM generate_series(1, 1000) g) q;
SELECT (m).converged, (m).customers
FROM (SELECT custseg.mbgnbd_fit(0, 0, 30 + g % 50) AS m FROM generate_series(1, 1000) g) q;

-- A single customer cannot determine four parameters.
SELECT (m).converged, (m).customers, (m).log_likelihood <= 0 AS finite
FROM (SELECT custseg.bgnbd_fit(3, 20, 40) AS m) q;

-- Heavy buyers with thousands of purchases among ordinary customers: the
-- fit stays finite and converges; their predictions are finite.
CREATE TABLE heavy AS
SELECT 0::bigint AS x, 0::float8 AS t_x, 200::float8 AS t FROM generate_series(1, 500)
UNION ALL SELECT 1 + g % 5, 10 + g % 150, 200 FROM generate_series(1, 500) g
UNION ALL SELECT 3000 + g, 199, 200 FROM generate_series(1, 5) g;
SELECT (m).converged, round((m).log_likelihood::numeric, 6) = round((m).log_likelihood::numeric, 6) AS finite,
	   round(custseg.expected_purchases(m, 30, 3005, 199, 200)::numeric, 2) AS heavy_next_30_days,
	   round(custseg.p_alive(m, 3005, 199, 200)::numeric, 6) AS heavy_alive,
	   custseg.p_alive(m, 3005, 1, 200) AS heavy_gone,
	   custseg.purchase_probability(m, 3000, 200) < 1e-3 AS p_3000_small
FROM (SELECT custseg.bgnbd_fit(x, t_x, t) AS m FROM heavy) q;
SELECT (m).converged FROM (SELECT custseg.mbgnbd_fit(x, t_x, t) AS m FROM heavy) q;

-- Models with a + b < 1, a = 1, a + b = 1, a next to 1 and a large: the
-- expected purchases of a new customer against E_p[(1 - (alpha / (alpha +
-- p t))^r) / p] over p ~ Beta(a, b), by Simpson's rule (good to about
-- 1e-9), and against FHL's formula with custseg.hyp2f1 (no Euler
-- transformation; c = a + b - 1 may be negative).
SELECT r, alpha, a, b, t,
	   abs(e - reference) < 1e-8 AS matches_simpson,
	   CASE WHEN a <> 1 AND a + b <> 1 THEN
	   abs(e / ((a + b - 1) / (a - 1) * (1 - (alpha::float8 / (alpha + t)) ^ r *
						custseg.hyp2f1(r, b, a + b - 1, t::float8 / (alpha + t)))) - 1) < 1e-11 END AS matches_fhl
FROM (SELECT *, custseg.expected_purchases(ROW(r, alpha, a, b, 0, 1, true, 1, NULL, NULL, NULL, NULL)::custseg.bgnbd, t) AS e
FROM (VALUES (0.5, 10, 0.3, 0.4, 50, 1.3856292301), (0.5, 10, 1, 2, 50, 1.3399083498),
			 (0.5, 10, 0.6, 0.4, 50, 1.0337583155), (0.5, 10, 1.0005, 2, 500, 4.1043757770),
			 (0.5, 10, 0.3, 0.4, 5000, 33.8646328598)) v(r, alpha, a, b, t, reference)) q;
-- (reference: E_p[(1 - (1 + p t / alpha)^-r) / p] over p ~ Beta(a, b) by
-- 30-digit quadrature, 4.05796893273043638710818; FHL's formula with
-- custseg.hyp2f1 loses the 7th digit here: 4.0579684070)
SELECT round(custseg.expected_purchases(ROW(0.08, 2.4, 1.26e6, 3.7e7, 0, 1, true, 1, NULL, NULL, NULL, NULL)::custseg.bgnbd, 365)::numeric, 10)
	   = 4.0579689327 AS large_a;
-- the conditional expectation of such a model: finite, and the new customer
-- of the posterior times p_alive
SELECT round(custseg.expected_purchases(m, 100, 4, 30, 60)::numeric, 10) =
	   round((custseg.p_alive(m, 4, 30, 60) *
			  custseg.expected_purchases(ROW(0.5 + 4, 10 + 60, 0.3, 0.4 + 4, 0, 1, true, 1, NULL, NULL, NULL, NULL)::custseg.bgnbd, 100))::numeric, 10)
	   AS posterior_form
FROM (SELECT ROW(0.5, 10, 0.3, 0.4, 0, 1, true, 1, NULL, NULL, NULL, NULL)::custseg.bgnbd AS m) q;
-- A fit with a + b < 1: 3,000 customers simulated with r 0.5, alpha 20,
-- a 0.3, b 0.5 (test/data/README.md).
CREATE TABLE sim_ab (x bigint, t_x float8, t float8);
\copy sim_ab FROM 'test/data/bgnbd_sim_ab.tsv'
SELECT (m).converged, (m).a + (m).b < 1 AS a_plus_b_below_1,
	   round((m).r::numeric, 2) AS r, round((m).alpha::numeric, 1) AS alpha,
	   round((m).a::numeric, 2) AS a, round((m).b::numeric, 2) AS b,
	   round(custseg.expected_purchases(m, 365)::numeric, 4) AS new_customer_year,
	   round(custseg.expected_purchases(m, 365, 5, 100, 200)::numeric, 4) AS customer_year,
	   round(custseg.p_alive(m, 5, 100, 200)::numeric, 4) AS p_alive
FROM (SELECT custseg.bgnbd_fit(x, t_x, t) AS m FROM sim_ab) q;
SELECT (m).converged, (m).a + (m).b < 1 AS a_plus_b_below_1
FROM (SELECT custseg.mbgnbd_fit(x, t_x, t) AS m FROM sim_ab) q;

-- Data whose dropout probability hardly varies: a and b grow without bound
-- (the Beta distribution narrows to a point) and the predictions stay finite.
CREATE TABLE quitters AS
SELECT CASE WHEN g % 10 < 7 THEN 0 ELSE 1 + g % 40 END::bigint AS x, 0::float8 AS t_x, 365::float8 AS t
FROM generate_series(1, 3000) g;
UPDATE quitters SET t_x = least(364, x * 9) WHERE x > 0;
SELECT (m).a > 1e4 AND (m).b > 1e4 AS a_b_large, round(((m).a / ((m).a + (m).b))::numeric, 3) AS mean_p,
	   custseg.expected_purchases(m, 365) > 0 AS positive_expectation,
	   custseg.expected_purchases(m, 365, 10, 90, 365) > 0 AS positive_conditional,
	   custseg.clv(m, ROW(6, 3, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 10, 90, 365, 20, 365, 0.1) > 0 AS positive_clv
FROM (SELECT custseg.bgnbd_fit(x, t_x, t) AS m FROM quitters) q;

-- Parallel: partial aggregates in workers; the same model as serially.
CREATE TABLE cdnow (id int, x bigint, t_x float8, t float8);
\copy cdnow FROM 'test/data/cdnow_customers_summary.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE sim AS
SELECT id + 10000 * g AS id, x, t_x * 7 AS t_x, t * 7 AS t FROM cdnow, generate_series(1, 40) g;
ANALYZE sim;
CREATE TABLE sim_serial AS SELECT custseg.bgnbd_fit(x, t_x, t) AS m FROM sim;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT custseg.bgnbd_fit(x, t_x, t) FROM sim;
SELECT custseg.bgnbd_fit(x, t_x, t) = (SELECT m FROM sim_serial) AS parallel_equals_serial,
	   custseg.mbgnbd_fit(x, t_x, t) IS NOT NULL AS mbgnbd_parallel
FROM sim;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- a stored model is an ordinary value: text round trip
SELECT m::text::custseg.bgnbd = m AS model_round_trip FROM sim_serial;

-- Bad customers: clear errors, in the fit and in the predictions.
SELECT custseg.bgnbd_fit(x, t_x, t) FROM (VALUES (2::bigint, 50::float8, 40::float8)) v(x, t_x, t);
SELECT custseg.bgnbd_fit(-1, 0, 40);
SELECT custseg.bgnbd_fit(1, -1, 40);
SELECT custseg.mbgnbd_fit(0, 5, 40);
SELECT custseg.bgnbd_fit(1, 'NaN', 40);
SELECT custseg.bgnbd_fit(1, 1, 'Infinity');
SELECT custseg.bgnbd_fit(1, '-Infinity', 40);
SELECT custseg.p_alive(m, 2, 50, 40) FROM sim_serial;
SELECT custseg.expected_purchases(m, 10, -1, 0, 40) FROM sim_serial;
SELECT custseg.expected_purchases(m, 10, 1, 'NaN', 40) FROM sim_serial;
-- bad horizons
SELECT custseg.expected_purchases(m, -1) FROM sim_serial;
SELECT custseg.expected_purchases(m, 'NaN'::float8) FROM sim_serial;
SELECT custseg.expected_purchases(m, 'Infinity'::float8) FROM sim_serial;
SELECT custseg.expected_purchases(m, interval '-1 day') FROM sim_serial;
SELECT custseg.expected_purchases(m, 0) AS zero_horizon, custseg.expected_purchases(m, 0, 3, 10, 20) AS zero_horizon_customer
FROM sim_serial;
SELECT custseg.purchase_probability(m, -1, 10) FROM sim_serial;
-- bad models
SELECT custseg.p_alive(ROW(NULL, 1, 1, 1, 0, 1, true, 1, NULL, NULL, NULL, NULL)::custseg.bgnbd, 1, 1, 2);
SELECT custseg.p_alive(ROW(1, 0, 1, 1, 0, 1, true, 1, NULL, NULL, NULL, NULL)::custseg.bgnbd, 1, 1, 2);
SELECT custseg.expected_purchases(ROW(1, 1, -1, 1, 0, 1, true, 1, NULL, NULL, NULL, NULL)::custseg.mbgnbd, 5);
SELECT custseg.expected_purchases(ROW(1, 1, 1, 'Infinity', 0, 1, true, 1, NULL, NULL, NULL, NULL)::custseg.bgnbd, 5);
SELECT custseg.p_alive(NULL::custseg.bgnbd, 1, 1, 2) IS NULL AS strict;
-- bad CLV arguments
-- q <= 1: the mean spend is finite only for p x + q > 1 (as in expected_spend)
SELECT custseg.clv(m, ROW(6, 1, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 0, 0, 2, 0, 30, 0.1) FROM sim_serial;
SELECT custseg.clv(m, ROW(6, 1, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 1, 2, 10, 30, 0.1) > 0 FROM sim_serial;
SELECT custseg.clv(m, ROW(6, 3, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 1, 2, -10, 30, 0.1) FROM sim_serial;
SELECT custseg.clv(m, ROW(6, 3, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 1, 2, 10, 30, -0.1) FROM sim_serial;
SELECT custseg.clv(m, ROW(6, 3, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 1, 2, 10, 30, 'NaN') FROM sim_serial;
SELECT custseg.clv(m, ROW(6, 3, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 1, 2, 10, 30, 0.1, -1) FROM sim_serial;
SELECT custseg.clv(m, ROW(6, 3, 'NaN', 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 1, 2, 10, 30, 0.1) FROM sim_serial;
SELECT custseg.clv(m, ROW(6, 3, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 1, 2, 10, 0, 0.1) AS zero_horizon
FROM sim_serial;

DROP TABLE heavy, sim_ab, quitters, cdnow, sim, sim_serial;

-- a = 1 and a tiny r (issue 15): E_new(t) is about r times 5 here, and
-- positive; the difference of two sums of order b it was taken as before
-- left rounding noise of either sign (-4e-15 for a new customer).
-- For r -> 0, E_new(t) / r -> E_p[log(1 + p t / alpha) / p] with p ~ Beta(1, b),
-- density b (1 - p)^(b - 1): here by a midpoint rule of 20,000 points.
SELECT bool_and(e > 0) AS positive,
	   max(abs(e / r / e1 - 1)) < 1e-6 AS r_times_the_limit
FROM (SELECT r, h, custseg.expected_purchases(
		  jsonb_populate_record(NULL::custseg.bgnbd, jsonb_build_object('r', r, 'alpha', 4.4, 'a', 1, 'b', 2.4)),
		  h::float8) AS e,
		  (SELECT sum(ln(1 + p * h / 4.4) / p * 2.4 * (1 - p) ^ 1.4) / 20000
		   FROM (SELECT (k - 0.5) / 20000 AS p FROM generate_series(1, 20000) k) q) AS e1
	  FROM (VALUES (1e-17), (1e-12)) r(r), (VALUES (7.5), (39), (365)) h(h)) s;
SELECT custseg.expected_purchases(
		   jsonb_populate_record(NULL::custseg.mbgnbd, '{"r": 1e-17, "alpha": 1, "a": 1, "b": 1}'),
		   interval '7 days 12:00') > 0 AS mbgnbd_positive;
