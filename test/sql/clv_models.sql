-- CLV models you can trust: time units, predictions from summaries and with
-- a numeric x or an untyped horizon, standard errors (checked against an
-- independent finite-difference Hessian of custseg's own log-likelihood),
-- AIC/BIC, singular information, penalty and start values, and bad input.
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
CREATE TABLE cm_weeks (id int, x bigint, t_x float8, t float8);
\copy cm_weeks FROM 'test/data/cdnow_customers_summary.csv' WITH (FORMAT csv, HEADER)

-- Time units.  A model fitted on weekly numbers with unit '1 week' knows
-- it: a horizon given as an interval is converted, a plain number is in
-- weeks.  Customer 1 (x 2, t_x 30.43, T 38.86 weeks) expects 1.226
-- purchases in the next 39 weeks; the same model without its unit (days)
-- reads 39 weeks as 273 of its units.
CREATE TABLE cm AS
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week') AS wk,
	   custseg.bgnbd_fit(x, t_x, t) AS nounit,
	   custseg.paretonbd_fit(x, t_x, t, interval '1 week') AS pwk,
	   custseg.mbgnbd_fit(x, t_x, t, interval '1 week') AS mwk
FROM cm_weeks;
SELECT (wk).unit, (nounit).unit AS default_unit, (pwk).unit AS pareto_unit,
	   (wk).r = (nounit).r AND (wk).alpha = (nounit).alpha AS same_parameters
FROM cm;
SELECT round(custseg.expected_purchases(wk, interval '39 weeks', 2, 30.43, 38.86)::numeric, 4) AS weekly_interval,
	   round(custseg.expected_purchases(wk, 39, 2, 30.43, 38.86)::numeric, 4) AS weekly_number,
	   round(custseg.expected_purchases(nounit, interval '39 weeks', 2, 30.43, 38.86)::numeric, 4) AS unit_days,
	   round(custseg.expected_purchases(wk, interval '1 year')::numeric, 6) =
	   round(custseg.expected_purchases(wk, 365.25 / 7)::numeric, 6) AS new_customer_year
FROM cm;
-- Untyped literals: the horizon as text resolves to one overload.
SELECT round(custseg.expected_purchases(wk, '39 weeks', 2, 30.43, 38.86)::numeric, 4) AS text_horizon,
	   round(custseg.expected_purchases(wk, '1 year')::numeric, 4) AS text_new,
	   round(custseg.purchase_probability(wk, 0, '39 weeks')::numeric, 4) =
	   round(custseg.purchase_probability(wk, 0, 39)::numeric, 4) AS text_probability,
	   round(custseg.expected_purchases(pwk, '39 weeks', 2, 30.43, 38.86)::numeric, 4) AS pareto_text,
	   round(custseg.expected_purchases(mwk, '39 weeks', 2.0, 30.43, 38.86)::numeric, 4) AS mbg_text_numeric_x
FROM cm;
-- numeric, integer and bigint x give the same value.
SELECT custseg.p_alive(wk, 2::numeric, 30, 38) = custseg.p_alive(wk, 2::bigint, 30, 38) AS numeric_x,
	   custseg.p_alive(wk, 2, 30, 38) = custseg.p_alive(wk, 2::bigint, 30, 38) AS integer_x,
	   custseg.p_alive(pwk, 2.0, 30.43, 38.86) = custseg.p_alive(pwk, 2::bigint, 30.43, 38.86) AS pareto_numeric_x,
	   custseg.expected_purchases(wk, 39, 2::numeric, 30.43, 38.86) =
	   custseg.expected_purchases(wk, 39, 2::bigint, 30.43, 38.86) AS expected_numeric_x
FROM cm;
-- Discounting follows the unit: a year is 365.25 / 7 weeks.
CREATE TABLE cm_gg AS
SELECT ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma AS gg;
SELECT abs(custseg.clv(wk, gg, 2, 30.43, 38.86, 35.5, interval '1 year', 0.1) /
		   custseg.clv((0.2425929, 7 * 4.4135316, 0.7928861, 2.4257534, NULL, NULL, NULL, NULL,
						NULL, NULL, NULL, NULL)::custseg.bgnbd, gg, 2, 7 * 30.43, 7 * 38.86, 35.5,
					   interval '1 year', 0.1) - 1) < 1e-6 AS weeks_equal_days,
	   abs(custseg.clv(wk, gg, 2, 30.43, 38.86, 35.5, '1 year', 0.1) /
		   custseg.clv(wk, gg, 2, 30.43, 38.86, 35.5, 365.25 / 7, 0.1) - 1) < 1e-12 AS text_equals_number
FROM cm, cm_gg;

-- Predictions from a custseg.customer_summary (times in days, converted to
-- the model's unit): the same as passing its fields.
CREATE TABLE cm_raw (line text);
\copy cm_raw FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE cm_days AS
SELECT id, custseg.summarize(day, amount, date '1997-09-30') AS s
FROM (SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD') AS day, f[5]::numeric AS amount
	  FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM cm_raw) s) t
GROUP BY id;
CREATE TABLE cmd AS
SELECT custseg.bgnbd_fit(s) AS bg, custseg.paretonbd_fit(s) AS pn,
	   custseg.gammagamma_fit(s) AS gg
FROM cm_days;
SELECT count(*) AS customers,
	   bool_and(custseg.p_alive(bg, s) = custseg.p_alive(bg, (s).repeat_purchases, (s).active_days, (s).age_days)) AS p_alive,
	   bool_and(custseg.expected_purchases(bg, interval '39 weeks', s) =
				custseg.expected_purchases(bg, 273, (s).repeat_purchases, (s).active_days, (s).age_days)) AS expected,
	   bool_and(custseg.expected_purchases(pn, '39 weeks', s) =
				custseg.expected_purchases(pn, 273, (s).repeat_purchases, (s).active_days, (s).age_days)) AS pareto_expected,
	   bool_and(custseg.clv(bg, gg, s, '1 year', 0.1) =
				custseg.clv(bg, gg, (s).repeat_purchases, (s).active_days, (s).age_days,
							greatest((s).repeat_spend, 0), 365.25, 0.1)) AS clv,
	   bool_and(custseg.clv(pn, gg, s, interval '1 year', 0.1, 0.3) =
				custseg.clv(pn, gg, (s).repeat_purchases, (s).active_days, (s).age_days,
							greatest((s).repeat_spend, 0), interval '1 year', 0.1, 0.3)) AS pareto_clv
FROM cmd, cm_days;
-- A weekly model scores the daily summaries in weeks: customer 1 is
-- (2, 30.43, 38.86) weeks, up to the rounding of the published summary.
SELECT round(custseg.expected_purchases(wk, interval '39 weeks', s)::numeric, 2) AS weekly_model_daily_summary
FROM cm, cm_days WHERE id = 1;

-- model_summary: estimates with standard errors from the observed
-- information, 95 % intervals on the log scale, per day and per week, and
-- the fit figures.  (lifetimes reports for this fit r 0.243 (0.013), alpha
-- 4.414 (0.378), a 0.793 (0.186), b 2.426 (0.705).)
SELECT parameter, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error,
	   round(lower::numeric, 4) AS lower, round(upper::numeric, 4) AS upper,
	   round(per_day::numeric, 4) AS per_day, round(per_week::numeric, 4) AS per_week,
	   round(log_likelihood::numeric, 2) AS log_likelihood, round(aic::numeric, 2) AS aic,
	   round(bic::numeric, 2) AS bic, customers, converged
FROM cm, custseg.model_summary(wk);
SELECT parameter, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error,
	   round(per_day::numeric, 4) AS per_day, round(per_week::numeric, 4) AS per_week
FROM cmd, custseg.model_summary(bg);
SELECT parameter, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error,
	   round(per_day::numeric, 4) AS per_day, round(per_week::numeric, 4) AS per_week
FROM cm, custseg.model_summary(pwk);
SELECT parameter, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error,
	   per_day IS NULL AS no_unit, round(aic::numeric, 2) AS aic
FROM cmd, custseg.model_summary(gg);
SELECT parameter, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error
FROM cm, custseg.model_summary(mwk);

-- The independent check: the Hessian of the log-likelihood in
-- theta = log(parameters) by central second differences of
-- sum custseg.log_likelihood(model, x, t_x, t) at shifted parameters (no
-- gradient involved), inverted by Gauss-Jordan elimination here; its
-- standard errors agree with model_summary's to 1e-4.
CREATE FUNCTION pg_temp.cm_ll(family text, theta float8[]) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	v float8;
BEGIN
	EXECUTE format('SELECT sum(custseg.log_likelihood(ROW($1[1], $1[2], $1[3], $1[4],
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.%I, x, t_x, t)) FROM cm_weeks', family)
	INTO v USING ARRAY[exp(theta[1]), exp(theta[2]), exp(theta[3]), exp(theta[4])];
	RETURN v;
END
$$;
CREATE FUNCTION pg_temp.cm_std_errors(family text, params float8[]) RETURNS float8[]
LANGUAGE plpgsql AS $$
DECLARE
	h float8 := 1e-3;
	theta float8[] := ARRAY[ln(params[1]), ln(params[2]), ln(params[3]), ln(params[4])];
	a float8[] := array_fill(0::float8, ARRAY[4, 8]);
	t float8[];
	i int; j int; k int; si int; sj int;
	d float8; f float8;
	se float8[] := ARRAY[]::float8[];
BEGIN
	-- A = [-H | I]
	FOR i IN 1..4 LOOP
		FOR j IN 1..4 LOOP
			d := 0;
			FOREACH si IN ARRAY ARRAY[1, -1] LOOP
				FOREACH sj IN ARRAY ARRAY[1, -1] LOOP
					t := theta;
					t[i] := t[i] + si * h;
					t[j] := t[j] + sj * h;
					d := d + si * sj * pg_temp.cm_ll(family, t);
				END LOOP;
			END LOOP;
			a[i][j] := -d / (4 * h * h);
		END LOOP;
		a[i][4 + i] := 1;
	END LOOP;
	-- Gauss-Jordan (the matrix is positive definite: no pivoting needed)
	FOR k IN 1..4 LOOP
		d := a[k][k];
		FOR j IN 1..8 LOOP a[k][j] := a[k][j] / d; END LOOP;
		FOR i IN 1..4 LOOP
			IF i <> k THEN
				f := a[i][k];
				FOR j IN 1..8 LOOP a[i][j] := a[i][j] - f * a[k][j]; END LOOP;
			END IF;
		END LOOP;
	END LOOP;
	FOR i IN 1..4 LOOP
		se := se || params[i] * sqrt(a[i][4 + i]);
	END LOOP;
	RETURN se;
END
$$;
SELECT family, parameter, abs(s.std_error / fd.se[s.n] - 1) < 1e-4 AS matches_finite_differences
FROM (SELECT 'bgnbd' AS family, wk::text AS m, ARRAY[(wk).r, (wk).alpha, (wk).a, (wk).b] AS p FROM cm
	  UNION ALL
	  SELECT 'paretonbd', pwk::text, ARRAY[(pwk).r, (pwk).alpha, (pwk).s, (pwk).beta] FROM cm) q,
	 LATERAL (SELECT pg_temp.cm_std_errors(q.family, q.p) AS se) fd,
	 LATERAL (SELECT row_number() OVER () AS n, * FROM custseg.model_summary(
		CASE WHEN q.family = 'bgnbd' THEN (SELECT wk FROM cm) END)
		WHERE q.family = 'bgnbd'
		UNION ALL
		SELECT row_number() OVER (), * FROM custseg.model_summary(
		CASE WHEN q.family = 'paretonbd' THEN (SELECT pwk FROM cm) END)
		WHERE q.family = 'paretonbd') s
ORDER BY family, s.n;
-- log_likelihood sums to the fit's log-likelihood.
SELECT abs(sum(custseg.log_likelihood(wk, x, t_x, t)) - max((wk).log_likelihood)) < 1e-6 AS bgnbd_sum,
	   abs(sum(custseg.log_likelihood(mwk, x, t_x, t)) - max((mwk).log_likelihood)) < 1e-6 AS mbgnbd_sum,
	   abs(sum(custseg.log_likelihood(pwk, x, t_x, t)) - max((pwk).log_likelihood)) < 1e-6 AS paretonbd_sum
FROM cm, cm_weeks;

-- A singular or indefinite information matrix: NULL errors and a WARNING
-- naming the parameters that are not identified; never NaN.
SELECT parameter, estimate, std_error, lower, upper
FROM custseg.model_summary((1, 2, 3, 4, -10, 100, true, 5, '1 day', 0, NULL,
	'{{4,0,0,0},{0,1,1,0},{0,1,1,0},{0,0,0,9}}')::custseg.bgnbd);
SELECT parameter, std_error
FROM custseg.model_summary((1, 2, 3, -10, 100, true, 5, 0, NULL,
	'{{1,0,0},{0,1,0},{0,0,-1}}')::custseg.gammagamma);
-- a fit that cannot determine its parameters (BG/BB on one history)
SELECT parameter, std_error IS NULL AS no_error
FROM (SELECT custseg.bgbb_fit(2, 5, 6) AS m) s, custseg.model_summary(m);
-- a model without information (as stored by 0.1.0): a NOTICE, NULL errors
SELECT parameter, estimate, std_error, per_day, aic
FROM custseg.model_summary((0.5, 10, 0.6, 12, -9595, 2357, true, 30, NULL, NULL, NULL, NULL)::custseg.paretonbd);
SELECT parameter, estimate FROM custseg.model_summary((1, 2, 3, 4, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgbb);
-- an information matrix of the wrong shape or with NaN
SELECT * FROM custseg.model_summary((1, 2, 3, 4, -10, 100, true, 5, NULL, 0, NULL, '{1,2,3,4}')::custseg.mbgnbd);
SELECT * FROM custseg.model_summary((1, 2, 3, -10, 100, true, 5, 0, NULL,
	'{{1,0,0},{0,NaN,0},{0,0,1}}')::custseg.gammagamma);

-- Prediction intervals: parameter draws from the asymptotic normal of the
-- log-parameters (fixed seed: the same draws every time), each a model;
-- any prediction, or a segment's total, over the draws.
CREATE TABLE cm_draws AS SELECT row_number() OVER () AS n, d FROM cm, custseg.parameter_draws(wk) AS d;
SELECT count(*) AS draws, bool_and((d).unit = interval '1 week') AS unit_kept,
	   abs(stddev(ln((d).r)) / (SELECT std_error / estimate FROM cm, custseg.model_summary(wk) WHERE parameter = 'r') - 1) < 0.15
		 AS sd_of_log_r_is_its_standard_error,
	   abs(avg(ln((d).alpha)) - (SELECT ln((wk).alpha) FROM cm)) < 0.02 AS centred
FROM cm_draws;
SELECT (SELECT array_agg(d.r) FROM cm, custseg.parameter_draws(wk, 5) d) =
	   (SELECT array_agg(d.r) FROM cm, custseg.parameter_draws(wk, 5) d) AS same_draws,
	   (SELECT array_agg(d.r) FROM cm, custseg.parameter_draws(wk, 5) d) <>
	   (SELECT array_agg(d.r) FROM cm, custseg.parameter_draws(wk, 5, 2) d) AS other_seed;
-- customer 1: a 95 % interval around 1.226 purchases in 39 weeks
SELECT round(p[1]::numeric, 3) AS lower, round(p[2]::numeric, 3) AS median, round(p[3]::numeric, 3) AS upper,
	   p[1] < 1.2259 AND 1.2259 < p[3] AS covers_estimate
FROM (SELECT percentile_cont(ARRAY[0.025, 0.5, 0.975]) WITHIN GROUP
			 (ORDER BY custseg.expected_purchases(d, interval '39 weeks', 2, 30.43, 38.86)) AS p
	  FROM cm_draws) q;
-- the total of the sample's customers over the next 39 weeks, per draw
SELECT round(p[1]::numeric) AS lower, round(p[2]::numeric) AS median, round(p[3]::numeric) AS upper,
	   (SELECT round(sum(custseg.expected_purchases(wk, 39, x, t_x, t))::numeric) FROM cm, cm_weeks) AS estimate
FROM (SELECT percentile_cont(ARRAY[0.025, 0.5, 0.975]) WITHIN GROUP (ORDER BY total) AS p
	  FROM (SELECT n, sum(custseg.expected_purchases(d, 39, x, t_x, t)) AS total
			FROM cm_draws, cm_weeks WHERE n <= 100 GROUP BY n) t) q;
-- every family draws
SELECT (SELECT count(*) FROM cm, custseg.parameter_draws(pwk, 3)) AS pareto,
	   (SELECT count(*) FROM cm, custseg.parameter_draws(mwk, 3)) AS mbg,
	   (SELECT count(*) FROM cmd, custseg.parameter_draws(gg, 3)) AS gamma_gamma,
	   (SELECT count(*) FROM (SELECT custseg.bgbb_fit(x, t_x, n, w) AS m
							   FROM (VALUES (0, 0, 6, 20), (1, 1, 6, 10), (3, 5, 6, 8), (6, 6, 6, 5), (2, 3, 6, 7)) v(x, t_x, n, w)) b,
			 custseg.parameter_draws(m, 3)) AS bgbb;
\set VERBOSITY sqlstate
SELECT count(*) FROM cm, custseg.parameter_draws(wk, 0);
SELECT count(*) FROM cm, custseg.parameter_draws(wk, 100001);
SELECT count(*) FROM custseg.parameter_draws((1, 2, 3, 4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgnbd);
SELECT count(*) FROM custseg.parameter_draws((1, 2, 3, -10, 100, true, 5, 0, NULL,
	'{{1,0,0},{0,1,0},{0,0,-1}}')::custseg.gammagamma);
\set VERBOSITY default

-- Penalty and start values: recorded in the model.  A penalty pulls the
-- log-parameters towards 0 (parameters towards 1): on CDNOW, lambda = 0.01
-- moves alpha from 4.41 to 3.46 weeks and b from 2.43 to 1.55, for 8.7
-- less log-likelihood.
SELECT round((m).r::numeric, 3) AS r, round((m).alpha::numeric, 3) AS alpha,
	   round((m).a::numeric, 3) AS a, round((m).b::numeric, 3) AS b,
	   round((m).log_likelihood::numeric, 1) AS log_likelihood, (m).penalty, (m).converged
FROM (SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0.01, NULL) AS m FROM cm_weeks) s;
SELECT round((m).alpha::numeric, 4) AS alpha, (m).penalty, (m).start_values, (m).unit
FROM (SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0, ARRAY[0.5, 5, 1, 2]) AS m FROM cm_weeks) s;
-- the same optimum from another start; NULL settings are the defaults
SELECT abs((a).r / (b).r - 1) < 1e-6 AND abs((a).b / (b).b - 1) < 1e-6 AS same_optimum,
	   (c).start_values = (b).start_values AND (c).penalty = 0 AS null_is_default,
	   (a).start_values
FROM (SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', NULL, ARRAY[0.1, 1, 0.5, 5]) AS a,
			 custseg.bgnbd_fit(x, t_x, t, interval '1 week') AS b,
			 custseg.bgnbd_fit(x, t_x, t, NULL, NULL, NULL) AS c
	  FROM cm_weeks) s;
SELECT round((m).p::numeric, 3) AS p, (m).penalty, (m).start_values
FROM (SELECT custseg.gammagamma_fit(s, 0.001, ARRAY[2, 3, 10]) AS m FROM cm_days) q;
SELECT round((m).r::numeric, 3) AS r, (m).penalty
FROM (SELECT custseg.paretonbd_fit(s, 0.001, NULL) AS m FROM cm_days) q;
SELECT (m).penalty, (m).start_values
FROM (SELECT custseg.bgbb_fit(x, t_x, n, w, 0.01, ARRAY[1, 1, 1, 1]) AS m
	  FROM (VALUES (0, 0, 6, 20), (1, 1, 6, 10), (3, 5, 6, 8), (6, 6, 6, 5), (2, 3, 6, 7)) v(x, t_x, n, w)) q;
-- The settings travel in the state: text form, and a parallel plan.
SELECT custseg.fit_state_in('{"kind":"xtt","cells":[[0,0,5,1]],"settings":{"unit":[0,7,0],"penalty":0.5,"start":[1,2,3,4]}}')::text AS round_trip;
SELECT custseg.fit_state_in('{"kind":"spend","cells":[],"skipped":3}')::text AS skipped_only;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0.001, ARRAY[1, 2, 1, 1]) FROM cm_weeks;
CREATE TABLE cm_par AS SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0.001, ARRAY[1, 2, 1, 1]) AS m FROM cm_weeks;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT (p.m).r = (s.m).r AND (p.m).unit = (s.m).unit AND (p.m).penalty = (s.m).penalty AS parallel_equals_serial
FROM cm_par p, (SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0.001, ARRAY[1, 2, 1, 1]) AS m FROM cm_weeks) s;

-- gammagamma_fit of summaries skips the repeat buyers whose repeat spend
-- is not positive and says how many.
SELECT (m).customers
FROM (SELECT custseg.gammagamma_fit(s) AS m
	  FROM (SELECT s FROM cm_days
			UNION ALL
			SELECT custseg.summarize(d, a, date '2020-03-01')
			FROM (VALUES (1, date '2020-01-01', 10), (1, date '2020-01-05', 5), (1, date '2020-01-06', -20))
				 v(c, d, a) GROUP BY c) q) q;
SELECT custseg.gammagamma_fit(s) IS NULL AS only_refunds
FROM (SELECT custseg.summarize(d, a, date '2020-03-01') AS s
	  FROM (VALUES (date '2020-01-01', 10), (date '2020-01-05', 0)) v(d, a)) q;

-- Bad input, each with its SQLSTATE.
\set VERBOSITY sqlstate
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', -0.1, NULL) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 'NaN', NULL) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 'Infinity', NULL) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0, ARRAY[1, 'NaN', 1, 1]::float8[]) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0, ARRAY[1, 2, 3]) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0, ARRAY[1, NULL, 1, 1]) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0, ARRAY[1, 0, 1, 1]) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0, ARRAY[1, 1e10, 1, 1]) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0, '{{1,1},{1,1}}') FROM cm_weeks;
SELECT custseg.gammagamma_fit(s, 0, ARRAY[1, 1, 1, 1]) FROM cm_days;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '0 days') FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '-1 week') FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week' * (id % 2 + 1)) FROM cm_weeks;
SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week', id * 0.001, NULL) FROM cm_weeks;
SELECT custseg.expected_purchases(wk, interval '-1 week', 2, 30.43, 38.86) FROM cm;
SELECT custseg.expected_purchases(wk, -1.0, 2, 30.43, 38.86) FROM cm;
SELECT custseg.expected_purchases(wk, '-1 week') FROM cm;
SELECT custseg.expected_purchases(wk, '39') FROM cm;
SELECT custseg.expected_purchases(wk, 'forever') FROM cm;
SELECT custseg.p_alive(wk, 2.5, 30, 38) FROM cm;
SELECT custseg.p_alive(wk, -1.0, 0, 38) FROM cm;
SELECT custseg.p_alive(wk, 'NaN'::float8, 0, 38) FROM cm;
SELECT custseg.clv(wk, gg, 2, 30.43, 38.86, 35.5, '-1 year', 0.1) FROM cm, cm_gg;
SELECT custseg.fit_state_in('{"kind":"xtt","cells":[[0,0,5,1]],"settings":{"unit":[0,0,0],"penalty":0,"start":[]}}');
SELECT custseg.fit_state_in('{"kind":"xtt","cells":[[0,0,5,1]],"settings":{"unit":[0,1,0],"penalty":-1,"start":[]}}');
SELECT custseg.fit_state_in('{"kind":"spend","cells":[[1,5,0,1]],"settings":{"unit":[0,1,0],"penalty":0,"start":[1,2]}}');
SELECT custseg.fit_state_in('{"kind":"bgbb","cells":[[1,1,5,1]],"settings":{"unit":[0,7,0],"penalty":0,"start":[]}}');
SELECT custseg.fit_state_in('{"kind":"xtt","cells":[]}');
\set VERBOSITY default
-- a stored model's unit must be positive
SELECT custseg.p_alive((1, 2, 3, 4, NULL, NULL, NULL, NULL, interval '-1 day', NULL, NULL, NULL)::custseg.bgnbd, 1, 1, 2);
-- STRICT, and a summary with a NULL field gives NULL
SELECT custseg.p_alive(wk, NULL::custseg.customer_summary) IS NULL AS strict,
	   custseg.p_alive(wk, ROW(NULL, NULL, 1, 1, 0, 0, 0, NULL, NULL, NULL, NULL)::custseg.customer_summary) IS NULL AS null_field,
	   custseg.expected_purchases(wk, 39, ROW(NULL, NULL, 1, 1, 0, 0, 0, 1, NULL, 5, NULL)::custseg.customer_summary) IS NULL AS null_t_x
FROM cm;
SELECT count(*) AS strict_summary FROM custseg.model_summary(NULL::custseg.bgnbd);
