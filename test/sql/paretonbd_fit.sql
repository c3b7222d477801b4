-- custseg.paretonbd_fit: the Pareto/NBD fit aggregate.

-- CDNOW (test/data/README.md): the published calibration summary, in weeks.
CREATE TABLE pnbd_cdnow (id int, x bigint, t_x float8, t float8);
\copy pnbd_cdnow FROM 'test/data/cdnow_customers_summary.csv' WITH (FORMAT csv, HEADER)

-- Fader, Hardie & Lee (2005) publish r 0.553, alpha 10.578, s 0.606,
-- beta 11.669, fitted on the unrounded times; this summary rounds weeks to
-- 2 decimals, which moves the maximum to beta 11.668 (the fit from the
-- exact day summary below gives 11.669).  R's BTYD stops earlier at 0.5534,
-- 10.5802, 0.6061, 11.6562 with a log-likelihood of -9594.97396, below the
-- maximum found here.
SELECT round(r::numeric, 3) AS r, round(alpha::numeric, 3) AS alpha,
	   round(s::numeric, 3) AS s, round(beta::numeric, 3) AS beta,
	   round(log_likelihood::numeric, 2) AS log_likelihood,
	   log_likelihood > -9594.97396 AS above_btyd, customers, converged
FROM (SELECT (custseg.paretonbd_fit(x, t_x, t)).* FROM pnbd_cdnow) f;

-- Days: the same rates per day, so alpha and beta are 7 times larger and
-- the log-likelihood is lower by sum(x) * log(7) (densities of purchase
-- times per day rather than per week).
SELECT round(d.r::numeric, 6) = round(w.r::numeric, 6) AS same_r,
	   round((d.alpha / w.alpha)::numeric, 6) AS alpha_ratio,
	   round(d.s::numeric, 6) = round(w.s::numeric, 6) AS same_s,
	   round((d.beta / w.beta)::numeric, 6) AS beta_ratio,
	   round((w.log_likelihood - d.log_likelihood - (SELECT sum(x) FROM pnbd_cdnow) * ln(7))::numeric, 4) AS ll_shift
FROM (SELECT (custseg.paretonbd_fit(x, t_x * 7, t * 7)).* FROM pnbd_cdnow) d,
	 (SELECT (custseg.paretonbd_fit(x, t_x, t)).* FROM pnbd_cdnow) w;

-- Any unit: hours, years, and units a million times smaller or larger
-- give the same weekly parameters.
SELECT u, round(r::numeric, 6) AS r, round((alpha / u)::numeric, 5) AS alpha_weeks,
	   round(s::numeric, 6) AS s, round((beta / u)::numeric, 5) AS beta_weeks, converged
FROM (VALUES (168.0), (1 / 52.0), (1e-6), (1e6)) v(u),
	 LATERAL (SELECT (custseg.paretonbd_fit(x, t_x * u, t * u)).* FROM pnbd_cdnow) f;

-- The day summary built from the transactions with custseg.summarize
-- (calibration ends 1997-09-30): the fit in days; divided by 7 it gives
-- the weekly parameters (the published summary rounds weeks to 2 decimals).
CREATE TABLE pnbd_raw (line text);
\copy pnbd_raw FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE pnbd_summary AS
SELECT f[2]::int AS id,
	   custseg.summarize(to_date(f[3], 'YYYYMMDD'), f[5]::numeric, date '1997-09-30') AS s
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM pnbd_raw) r
GROUP BY 1;
CREATE TABLE pnbd_days AS SELECT custseg.paretonbd_fit(s) AS m FROM pnbd_summary;
SELECT round((m).r::numeric, 3) AS r, round((m).alpha::numeric, 2) AS alpha_days,
	   round((m).s::numeric, 3) AS s, round((m).beta::numeric, 2) AS beta_days,
	   round(((m).alpha / 7)::numeric, 3) AS alpha_weeks,
	   round(((m).beta / 7)::numeric, 3) AS beta_weeks, (m).customers, (m).converged
FROM pnbd_days;
-- the summary form equals the three-argument form
SELECT custseg.paretonbd_fit(s) =
	   custseg.paretonbd_fit((s).repeat_purchases, (s).active_days, (s).age_days) AS same
FROM pnbd_summary;

-- Parallel aggregation: partial states merged by the combine function give
-- the same model as a serial scan.
CREATE TABLE pnbd_big AS SELECT c.* FROM pnbd_cdnow c, generate_series(1, 20) g;
ANALYZE pnbd_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT custseg.paretonbd_fit(x, t_x, t) FROM pnbd_big;
CREATE TABLE pnbd_parallel AS SELECT custseg.paretonbd_fit(x, t_x, t) AS m FROM pnbd_big;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT m FROM pnbd_parallel) = custseg.paretonbd_fit(x, t_x, t) AS parallel_equals_serial,
	   (SELECT (m).customers FROM pnbd_parallel) AS customers
FROM pnbd_big;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
-- 20 copies of every customer: the same parameters as the sample itself
SELECT round((m).r::numeric, 5) = round(w.r::numeric, 5) AND
	   round((m).alpha::numeric, 4) = round(w.alpha::numeric, 4) AND
	   round((m).s::numeric, 5) = round(w.s::numeric, 5) AND
	   round((m).beta::numeric, 4) = round(w.beta::numeric, 4) AS same_parameters
FROM pnbd_parallel, (SELECT (custseg.paretonbd_fit(x, t_x, t)).* FROM pnbd_cdnow) w;

-- Heavy buyers: the sample plus customers with thousands of purchases
-- (x up to 20000, powers like 50^-20000); every figure stays finite and the
-- fit converges.  Four such buyers among 2357 spread the purchase rates
-- far (r 0.07) and leave the dropout rates nearly alike (s and beta large,
-- their ratio, the mean dropout rate, well determined).
SELECT round(r::numeric, 3) AS r, round(alpha::numeric, 3) AS alpha,
	   round((s / beta)::numeric, 5) AS mean_dropout_rate,
	   isfinite_ll, customers, converged
FROM (SELECT (m).*, (m).log_likelihood BETWEEN -1e300 AND 1e300 AS isfinite_ll
	  FROM (SELECT custseg.paretonbd_fit(x, t_x, t) AS m
			FROM (SELECT x, t_x, t FROM pnbd_cdnow
				  UNION ALL VALUES (3000, 38.0, 38.86), (5000, 30.0, 38.86),
								   (20000, 38.86, 38.86), (2500, 1.0, 38.86)) c) f) g;

-- Edge cases.
-- no rows, and only rows with a NULL: NULL
SELECT custseg.paretonbd_fit(x, t_x, t) IS NULL AS empty FROM pnbd_cdnow WHERE false;
SELECT custseg.paretonbd_fit(x, t_x, t) IS NULL AS all_null
FROM (VALUES (NULL::bigint, 1.0::float8, 2.0::float8), (1, NULL, 2)) v(x, t_x, t);
-- rows with a NULL are skipped
SELECT custseg.paretonbd_fit(x, t_x, t) = (SELECT custseg.paretonbd_fit(x, t_x, t) FROM pnbd_cdnow)
	   AS nulls_skipped
FROM (SELECT x, t_x, t FROM pnbd_cdnow UNION ALL VALUES (NULL, 1, 2), (1, NULL, 2), (1, 1, NULL)) v;
-- no repeat purchase at all: the likelihood grows as r / alpha -> 0, so
-- the fit says it did not converge (with a WARNING), with finite values
SELECT r > 0 AND alpha > 0 AND s > 0 AND beta > 0 AS positive,
	   log_likelihood BETWEEN -1 AND 0 AS ll_near_0, customers, converged
FROM (SELECT (custseg.paretonbd_fit(0, 0, t)).* FROM pnbd_cdnow) f;
-- one customer (fewer distinct histories than parameters): not determined
SELECT customers, converged, r > 0 AND alpha > 0 AND s > 0 AND beta > 0 AS positive
FROM (SELECT (custseg.paretonbd_fit(2::bigint, 30.0::float8, 40.0::float8)).*) f;
-- every customer came today (t = 0)
SELECT customers, log_likelihood
FROM (SELECT (custseg.paretonbd_fit(0::bigint, 0::float8, 0::float8)).*) f;

-- Bad input.
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (VALUES (-1::bigint, 0.0::float8, 1.0::float8)) v(x, t_x, t);
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (VALUES (1::bigint, 5.0::float8, 1.0::float8)) v(x, t_x, t);
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (VALUES (1::bigint, -1.0::float8, 1.0::float8)) v(x, t_x, t);
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (VALUES (0::bigint, 1.0::float8, 2.0::float8)) v(x, t_x, t);
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (VALUES (1::bigint, 'NaN'::float8, 1.0::float8)) v(x, t_x, t);
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (VALUES (1::bigint, 1.0::float8, 'Infinity'::float8)) v(x, t_x, t);
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (VALUES (1::bigint, 1.0::float8, '-Infinity'::float8)) v(x, t_x, t);

DROP TABLE pnbd_cdnow, pnbd_raw, pnbd_summary, pnbd_days, pnbd_big, pnbd_parallel;
