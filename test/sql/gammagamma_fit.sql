-- Gamma-Gamma: the fit on CDNOW, the expected spend, bad input, parallel fit.
SET extra_float_digits = 0;

-- The published calibration summary (test/data/README.md): 946 of the 2,357
-- customers have a repeat purchase; zbar is the mean of their repeat purchases.
CREATE TABLE gg_cdnow (id int, x bigint, t_x float8, t float8, zbar float8);
\copy gg_cdnow FROM 'test/data/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER)

-- Fader & Hardie (2013): p = 6.25, q = 3.74, gamma = 15.44 (customers with
-- x = 0 are skipped by the aggregate: 946 customers).
CREATE TABLE gg_model AS SELECT custseg.gammagamma_fit(x, zbar) AS m FROM gg_cdnow;
SELECT round((m).p::numeric, 3) AS p, round((m).q::numeric, 3) AS q,
	   round((m).gamma::numeric, 3) AS gamma,
	   round((m).log_likelihood::numeric, 1) AS log_likelihood,
	   (m).customers, (m).converged, (m).iterations BETWEEN 1 AND 100 AS few_iterations,
	   abs((m).p - 6.25) < 0.005 AND abs((m).q - 3.74) < 0.005 AND abs((m).gamma - 15.44) < 0.01
		 AS published
FROM gg_model;

-- The maximum: the log-likelihood, summed here in SQL from the formula
-- (log Gamma by Stirling's series), equals the fit's and is lower a little
-- way off the fitted parameters in every direction.
CREATE FUNCTION gg_lgamma(z float8) RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	s float8 := 0;
BEGIN
	WHILE z < 10 LOOP
		s := s - ln(z);
		z := z + 1;
	END LOOP;
	RETURN s + (z - 0.5) * ln(z) - z + 0.5 * ln(2 * pi()) + 1 / (12 * z) - 1 / (360 * z ^ 3)
		+ 1 / (1260 * z ^ 5);
END $$;
CREATE FUNCTION gg_loglik(p float8, q float8, g float8) RETURNS float8 LANGUAGE sql STABLE AS $$
	SELECT sum(gg_lgamma(p * x + q) - gg_lgamma(p * x) - gg_lgamma(q) + q * ln(g)
			   + (p * x - 1) * ln(zbar) + p * x * ln(x) - (p * x + q) * ln(g + x * zbar))
	FROM gg_cdnow WHERE x > 0 $$;
SELECT abs(gg_loglik((m).p, (m).q, (m).gamma) - (m).log_likelihood) < 1e-6 AS same_log_likelihood,
	   bool_and(gg_loglik((m).p * f1, (m).q * f2, (m).gamma * f3) < (m).log_likelihood) AS maximum
FROM gg_model,
	 (VALUES (1.01, 1, 1), (0.99, 1, 1), (1, 1.01, 1), (1, 0.99, 1), (1, 1, 1.01), (1, 1, 0.99),
			 (1.01, 1.01, 1.01), (0.99, 0.99, 0.99)) v(f1, f2, f3)
GROUP BY m;

-- Customer 1 (x = 2, zbar = 22.35): 24.65 in the note; a customer without
-- repeat purchases gets the population mean p gamma / (q - 1).
SELECT round(custseg.expected_spend(m, 2, 22.35)::numeric, 2) AS customer_1,
	   abs(custseg.expected_spend(m, 2, 22.35) - 24.65) < 0.01 AS published,
	   abs(custseg.expected_spend(m, 0, 0) - (m).p * (m).gamma / ((m).q - 1)) < 1e-9 AS new_customer,
	   round(custseg.expected_spend(m, 1000, 50)::numeric, 2) AS heavy_buyer
FROM gg_model;

-- Every customer's expected spend lies between the population mean and
-- the customer's own mean (it shrinks the mean towards the population).
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE e BETWEEN least(zbar, pop) AND greatest(zbar, pop)) AS between_means
FROM (SELECT zbar, custseg.expected_spend(m, x, zbar) AS e,
			 (m).p * (m).gamma / ((m).q - 1) AS pop
	  FROM gg_cdnow, gg_model WHERE x > 0) s;

-- The summary form: summaries built from the transactions give the same
-- customers and, up to the rounding of the published zbar, the same model.
CREATE TABLE gg_raw (line text);
\copy gg_raw FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE gg_summaries AS
SELECT custseg.summarize(to_date(f[3], 'YYYYMMDD'), f[5]::numeric, date '1997-09-30') AS s
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM gg_raw) r
GROUP BY f[2];
SELECT (g).customers, round((g).p::numeric, 2) AS p, round((g).q::numeric, 2) AS q,
	   round((g).gamma::numeric, 2) AS gamma,
	   g = (SELECT custseg.gammagamma_fit((s).repeat_purchases, (s).repeat_spend) FROM gg_summaries)
		 AS same_as_fields
FROM (SELECT custseg.gammagamma_fit(s) AS g FROM gg_summaries) x;

-- No customer, no repeat buyer, NULLs: NULL (nothing to fit).
SELECT custseg.gammagamma_fit(x, zbar) IS NULL AS empty FROM gg_cdnow WHERE false;
SELECT custseg.gammagamma_fit(x, zbar) IS NULL AS all_zero FROM gg_cdnow WHERE x = 0;
SELECT custseg.gammagamma_fit(x, s) IS NULL AS all_null
FROM (VALUES (NULL::bigint, 1.0::float8), (3, NULL)) v(x, s);
-- Rows with a NULL are skipped.
SELECT custseg.gammagamma_fit(x, zbar) = (SELECT m FROM gg_model) AS nulls_skipped
FROM (SELECT x, zbar FROM gg_cdnow UNION ALL VALUES (NULL, 10), (5, NULL)) v(x, zbar);

-- One customer, or customers who all spend the same: the model is not
-- identified; the fit says so (WARNING, converged false) with finite values.
SELECT (m).customers, (m).converged,
	   (m).p < 'Infinity' AND (m).q < 'Infinity' AND (m).gamma < 'Infinity' AS finite
FROM (SELECT custseg.gammagamma_fit(3, 20.0) AS m) s;
SELECT (m).customers, (m).converged,
	   (m).p < 'Infinity' AND (m).q < 'Infinity' AND (m).gamma < 'Infinity' AS finite
FROM (SELECT custseg.gammagamma_fit(x, 20.0) AS m FROM generate_series(1, 50) x) s;

-- Bad input to the fit.
SELECT custseg.gammagamma_fit(x, s) FROM (VALUES (-1::bigint, 10.0::float8)) v(x, s);
SELECT custseg.gammagamma_fit(x, s) FROM (VALUES (2::bigint, 'NaN'::float8)) v(x, s);
SELECT custseg.gammagamma_fit(x, s) FROM (VALUES (2::bigint, 'Infinity'::float8)) v(x, s);
SELECT custseg.gammagamma_fit(x, s) FROM (VALUES (2::bigint, '-Infinity'::float8)) v(x, s);
SELECT custseg.gammagamma_fit(x, s) FROM (VALUES (2::bigint, -5.0::float8)) v(x, s);
SELECT custseg.gammagamma_fit(x, s) FROM (VALUES (2::bigint, 0.0::float8)) v(x, s);

-- Bad input to expected_spend.
SELECT custseg.expected_spend(m, -1, 10) FROM gg_model;
SELECT custseg.expected_spend(m, 2, 'NaN') FROM gg_model;
SELECT custseg.expected_spend(m, 2, '-Infinity') FROM gg_model;
SELECT custseg.expected_spend(m, 2, -3) FROM gg_model;
SELECT custseg.expected_spend(m, 2, 0) FROM gg_model;
SELECT custseg.expected_spend(m, 1000, 1e306) FROM gg_model;
SELECT custseg.expected_spend(NULL::custseg.gammagamma, 2, 10) IS NULL AS null_model;
SELECT custseg.expected_spend(ROW(1, 0.5, 10, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 0, 0);
SELECT round(custseg.expected_spend(ROW(1, 0.5, 10, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 20)::numeric, 4)
	AS finite_for_repeat_buyer;
SELECT custseg.expected_spend(ROW(-1, 2, 10, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 20);
SELECT custseg.expected_spend(ROW(1, 'NaN', 10, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 20);
SELECT custseg.expected_spend(ROW(1, 2, NULL, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 20);

-- The state in text form (custseg.fit_state): read back, it gives the same
-- fit; a state of another model's kind, or with impossible cells, is an error.
CREATE AGGREGATE gg_state(bigint, float8) (
	SFUNC = custseg.fit_spend_accum, STYPE = custseg.fit_state, COMBINEFUNC = custseg.fit_combine);
SELECT custseg.gammagamma_final(st::text::custseg.fit_state) = custseg.gammagamma_final(st) AS round_trip,
	   st::text = st::text::custseg.fit_state::text AS same_text
FROM (SELECT gg_state(x, zbar) AS st FROM gg_cdnow) s;
SELECT (m).customers, (m).converged
FROM (SELECT custseg.gammagamma_final('{"kind":"spend","cells":[[1,10,0,3],[1,30,0,2],[2,15,0,2],[4,12.5,0,1]]}') AS m) s;
SELECT custseg.gammagamma_final('{"kind":"bgbb","cells":[[1,1,6,1]]}');
SELECT custseg.gammagamma_final('{"kind":"spend","cells":[[0,10,0,3]]}');
SELECT custseg.gammagamma_final('{"kind":"spend","cells":[[1,-10,0,3]]}');

-- In parallel: Partial Aggregate, and the same model as the serial plan.
CREATE TABLE gg_big AS SELECT g.i, c.x, c.zbar FROM gg_cdnow c, generate_series(1, 20) g(i);
ANALYZE gg_big;
CREATE TABLE gg_serial AS SELECT custseg.gammagamma_fit(x, zbar) AS m FROM gg_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT custseg.gammagamma_fit(x, zbar) FROM gg_big;
SELECT m = (SELECT m FROM gg_serial) AS parallel_equals_serial,
	   (m).customers, round((m).p::numeric, 2) AS p
FROM (SELECT custseg.gammagamma_fit(x, zbar) AS m FROM gg_big) s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

DROP TABLE gg_cdnow, gg_model, gg_raw, gg_summaries, gg_big, gg_serial;
DROP FUNCTION gg_loglik(float8, float8, float8), gg_lgamma(float8);
DROP AGGREGATE gg_state(bigint, float8);
