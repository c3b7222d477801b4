-- custseg.uplift_cuped(treated, outcome, covariate): CUPED against values
-- computed by hand (Python with mpmath, 30 digits), a constant covariate
-- (the plain estimate), errors, a parallel plan, and how much narrower the
-- interval is on CDNOW with the calibration revenue as covariate.

CREATE FUNCTION pg_temp.sig(x float8) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN x = 0 THEN 0
				ELSE round(x::numeric, greatest(0, 5 - floor(log(abs(x::numeric)))::int)) END
$$;
CREATE FUNCTION pg_temp.show(u custseg.uplift)
RETURNS TABLE (test text, treated_size bigint, control_size bigint,
			   treated_mean numeric, control_mean numeric, absolute_lift numeric,
			   relative_lift numeric, ci_low numeric, ci_high numeric,
			   p_value numeric, statistic numeric, df numeric)
LANGUAGE sql IMMUTABLE AS $$
	SELECT u.test, u.treated_size, u.control_size, pg_temp.sig(u.treated_mean),
		   pg_temp.sig(u.control_mean), pg_temp.sig(u.absolute_lift),
		   pg_temp.sig(u.relative_lift), pg_temp.sig(u.ci_low), pg_temp.sig(u.ci_high),
		   pg_temp.sig(u.p_value), pg_temp.sig(u.statistic), pg_temp.sig(u.df)
$$;
\x on

-- Outcomes 3, 5, 10 (treated) and 2, 1, 4, 0 (control), covariates 7, 12,
-- 23 and 8, 7, 14, 7.  Over all 7 rows: mean x = 78/7 = 11.142857,
-- C_xx = 184.857143, C_xy = 97.689..., theta = C_xy / C_xx = 0.528455.
-- Adjusted outcomes y - theta (x - 11.142857): treated mean 4.490128,
-- control mean 2.882404, lift 1.607724 (relative 0.557772); Welch on the
-- adjusted outcomes: SE 0.537123, t 2.993215, df 4.195355, p 0.0378465,
-- t(0.975, 4.195355) = 2.726194, CI [0.143423, 3.072024].  (Plain: lift
-- 4.25, CI [-3.42, 11.92].)
CREATE TABLE cuped_rows (treated boolean, outcome float8, pre float8);
INSERT INTO cuped_rows VALUES (true, 3, 7), (true, 5, 12), (true, 10, 23),
	(false, 2, 8), (false, 1, 7), (false, 4, 14), (false, 0, 7);
SELECT s.* FROM (SELECT custseg.uplift_cuped(treated, outcome, pre) AS u FROM cuped_rows) q,
	 pg_temp.show(q.u) s;
-- The same as the plain estimate of the adjusted outcome.
SELECT s.* FROM (SELECT custseg.uplift(treated, outcome - 0.528455284552845528 * (pre - 78 / 7.0)) AS u
				 FROM cuped_rows) q,
	 pg_temp.show(q.u) s;

-- A constant covariate: theta 0, and the plain estimate, field for field,
-- for Welch and for 0/1 outcomes.
\x off
SELECT a = b AS welch_equal, (b).test
FROM (SELECT custseg.uplift(treated, outcome) AS a, custseg.uplift_cuped(treated, outcome, 42.5) AS b
	  FROM cuped_rows) q;
SELECT a = b AS z_test_equal, (b).test
FROM (SELECT custseg.uplift(i % 3 = 0, (hashint4(i) & 1)::int) AS a,
			 custseg.uplift_cuped(i % 3 = 0, (hashint4(i) & 1)::int, 0.1) AS b
	  FROM generate_series(1, 1000) i) q;
-- With a covariate that varies, 0/1 outcomes are adjusted like any other
-- (Welch); a covariate uncorrelated with the outcome (theta exactly 0 here:
-- the odd and even rows have the same number of ones) changes nothing.
SELECT (custseg.uplift_cuped(i % 3 = 0, (hashint4(i) & 1)::int, i % 7)).test FROM generate_series(1, 1000) i;
SELECT a = b AS uncorrelated_equal, (b).test
FROM (SELECT custseg.uplift(i % 3 = 0, (hashint4(i) & 1)::int) AS a,
			 custseg.uplift_cuped(i % 3 = 0, (hashint4(i) & 1)::int, i % 2) AS b
	  FROM generate_series(1, 1000) i) q;

-- Groups without rows, or with one row: sizes and NULL statistics.
SELECT (custseg.uplift_cuped(t, o, x)).* FROM (VALUES (true, 1.5, 1.0), (true, 2, 2)) v(t, o, x);
SELECT (custseg.uplift_cuped(t, o, x)).* FROM (VALUES (true, 1.5, 1.0), (true, 2, 2), (false, 3, 5)) v(t, o, x);
SELECT (custseg.uplift_cuped(true, 1, 1.0)).* WHERE false;

-- Bad input.
SELECT custseg.uplift_cuped(true, 1, NULL::float8);
SELECT custseg.uplift_cuped(true, 1, 'NaN'::float8);
SELECT custseg.uplift_cuped(true, 1, '-Infinity'::float8);
SELECT custseg.uplift_cuped(NULL, 1, 1.0);
SELECT custseg.uplift_cuped(true, NULL, 1.0);
SELECT custseg.uplift_cuped(t, o, x) FROM (VALUES (true, 1, 1e200), (true, 2, 1e200), (false, 1, 0), (false, 2, 1)) v(t, o, x);
SELECT custseg.uplift_sums_accum('{"kind": "cuped", "binary": true, "strata": []}', true, 1, 2.0);
SELECT '{"kind": "cuped", "binary": false, "strata": [{"name": "", "treated": [1, 5, 5, 5, 0, 25, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "cuped", "binary": false, "strata": [{"name": "", "treated": [1, 5, 5, 5, 0, 25, 0, 2, 3, 2, 0, 4, 0, 10, 0], "control": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;

-- A parallel plan gives the serial result, bit for bit.
CREATE TABLE cuped_big AS
SELECT i, NOT custseg.in_holdout(i, 'cuped-parallel', 0.2) AS treated,
	   (hashint4(i) & 1023) / 100.0 + (hashint4(i + 5) & 255) / 10.0 AS revenue,
	   (hashint4(i) & 1023) / 100.0 AS pre
FROM generate_series(1, 150000) i;
ANALYZE cuped_big;
CREATE TABLE cuped_serial AS SELECT custseg.uplift_cuped(treated, revenue, pre) AS u FROM cuped_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT custseg.uplift_cuped(treated, revenue, pre) FROM cuped_big;
SELECT p.u = s.u AS equal, (s.u).test
FROM (SELECT custseg.uplift_cuped(treated, revenue, pre) AS u FROM cuped_big) p, cuped_serial s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- CDNOW, the full cohort of 23,570 customers: an A/A test with 20% held
-- out of everyone.  Outcome: revenue from 1997-10-01 to 1998-06-30;
-- covariate: revenue up to 1997-09-30 (the calibration period).  The
-- correlation is about 0.59, so the variance falls by about 1 - 0.59^2:
-- the interval is about a fifth narrower.
SET TimeZone = 'UTC';
CREATE TABLE cdnow_raw (line text);
\copy cdnow_raw FROM 'test/data/CDNOW_master.txt' WITH (HEADER)
CREATE TABLE cdnow_ab AS
SELECT id, NOT custseg.in_holdout(id, 'cuped-cdnow', 0.2) AS treated,
	   coalesce(sum(amount) FILTER (WHERE day <= '1997-09-30'), 0)::float8 AS pre,
	   coalesce(sum(amount) FILTER (WHERE day > '1997-09-30'), 0)::float8 AS revenue,
	   bool_or(day > '1997-09-30')::int AS bought
FROM (SELECT f[1]::int AS id, to_date(f[2], 'YYYYMMDD') AS day, f[4]::numeric AS amount
	  FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM cdnow_raw) s) o
GROUP BY id;
SELECT count(*) AS customers, round(corr(revenue, pre)::numeric, 3) AS correlation FROM cdnow_ab;
SELECT outcome, estimate, s.test, s.absolute_lift, s.ci_low, s.ci_high, s.p_value,
	   round(((q.u).ci_high - (q.u).ci_low)::numeric, 4) AS width
FROM (SELECT 'revenue' AS outcome, 'plain' AS estimate, custseg.uplift(treated, revenue) AS u FROM cdnow_ab
	  UNION ALL
	  SELECT 'revenue', 'CUPED', custseg.uplift_cuped(treated, revenue, pre) FROM cdnow_ab
	  UNION ALL
	  SELECT 'bought', 'plain', custseg.uplift(treated, bought) FROM cdnow_ab
	  UNION ALL
	  SELECT 'bought', 'CUPED', custseg.uplift_cuped(treated, bought, pre) FROM cdnow_ab) q,
	 pg_temp.show(q.u) s
ORDER BY outcome DESC, estimate DESC;

DROP TABLE cuped_rows, cuped_big, cuped_serial, cdnow_raw, cdnow_ab;
