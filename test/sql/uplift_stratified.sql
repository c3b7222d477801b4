-- custseg.uplift(treated, outcome, stratum): the stratified estimate against
-- values computed by hand (Python with mpmath, 30 digits), strata without a
-- group, its state type custseg.uplift_sums, errors, a parallel plan, and
-- an A/A test on the full CDNOW data in which holdout shares differ.

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

-- 0/1 outcomes.  Stratum A: treated 1, 0, 1, 1 (p 0.75), control 0, 1
-- (p 0.5); stratum B: treated 0, 0, 1 (p 1/3), control 0, 0, 0, 1 (p 0.25).
-- Weights 6/13 and 7/13.  Treated mean 6/13 * 0.75 + 7/13 / 3 = 0.525641,
-- control mean 6/13 * 0.5 + 7/13 * 0.25 = 0.365385, lift 0.160256,
-- relative 0.438596.  Interval: SE^2 = (6/13)^2 (0.75 * 0.25 / 4 + 0.25 / 2)
-- + (7/13)^2 (2/9 / 3 + 0.1875 / 4) = 0.0716805, SE 0.267732, CI
-- [-0.364489, 0.685002].  Test: pooled within strata, p_A = 4/6, p_B = 2/7:
-- SE0^2 = (6/13)^2 (2/9) (1/4 + 1/2) + (7/13)^2 (10/49) (1/3 + 1/4) =
-- 0.0700197, z = 0.605627, p = 0.544762.
CREATE TABLE strata_rows (stratum text, treated boolean, outcome float8);
INSERT INTO strata_rows VALUES
	('A', true, 1), ('A', true, 0), ('A', true, 1), ('A', true, 1), ('A', false, 0), ('A', false, 1),
	('B', true, 0), ('B', true, 0), ('B', true, 1), ('B', false, 0), ('B', false, 0), ('B', false, 0),
	('B', false, 1);
SELECT s.* FROM (SELECT custseg.uplift(treated, outcome, stratum) AS u FROM strata_rows) q,
	 pg_temp.show(q.u) s;

-- Welch.  Stratum A: treated 3, 5, 10, control 2, 1, 4, 0 (7 rows);
-- stratum B: treated 1, 2, control 4, 6, 8 (5 rows).  Weights 7/12, 5/12.
-- Treated mean 7/12 * 6 + 5/12 * 1.5 = 4.125, control 7/12 * 1.75 + 5/12 * 6
-- = 3.520833, lift 0.604167.  Squared SEs w^2 s^2 / n: 1.474537, 0.248119,
-- 0.0434028, 0.231481, sum 1.997541, SE 1.413344, t 0.427473; df =
-- 1.997541^2 / (1.474537^2 / 2 + 0.248119^2 / 3 + 0.0434028^2 / 1 +
-- 0.231481^2 / 2) = 3.511463; p 0.693922; t(0.975, 3.511463) = 2.935626,
-- CI [-3.544882, 4.753215].
CREATE TABLE strata_welch (stratum text, treated boolean, outcome float8);
INSERT INTO strata_welch VALUES
	('A', true, 3), ('A', true, 5), ('A', true, 10), ('A', false, 2), ('A', false, 1),
	('A', false, 4), ('A', false, 0), ('B', true, 1), ('B', true, 2), ('B', false, 4),
	('B', false, 6), ('B', false, 8);
SELECT s.* FROM (SELECT custseg.uplift(treated, outcome, stratum) AS u FROM strata_welch) q,
	 pg_temp.show(q.u) s;

-- One stratum gives the plain estimate, field for field (but the name of
-- the test).
\x off
SELECT (a).test, (b).test,
	   row((a).treated_size, (a).control_size, (a).treated_mean, (a).control_mean,
		   (a).absolute_lift, (a).relative_lift, (a).ci_low, (a).ci_high, (a).p_value,
		   (a).statistic, (a).df) =
	   row((b).treated_size, (b).control_size, (b).treated_mean, (b).control_mean,
		   (b).absolute_lift, (b).relative_lift, (b).ci_low, (b).ci_high, (b).p_value,
		   (b).statistic, (b).df) AS equal
FROM (SELECT custseg.uplift(treated, outcome) AS a, custseg.uplift(treated, outcome, 'all') AS b
	  FROM strata_welch WHERE stratum = 'A') q;

-- A stratum without control rows (or, Welch, with one row in a group):
-- sizes, and NULL statistics, also in a GROUP BY report.
SELECT (custseg.uplift(treated, outcome, stratum)).*
FROM (SELECT * FROM strata_rows UNION ALL VALUES ('C', true, 1)) r;
SELECT (custseg.uplift(treated, outcome, stratum)).*
FROM (SELECT * FROM strata_welch UNION ALL VALUES ('C', true, 1), ('C', false, 2), ('C', false, 3)) r;
SELECT g, (u).test, (u).treated_size, (u).control_size, pg_temp.sig((u).absolute_lift) AS lift
FROM (SELECT g, custseg.uplift(treated, outcome, stratum) AS u
	  FROM (SELECT 'x' AS g, * FROM strata_rows UNION ALL VALUES ('y', 'A', true, 1)) r
	  GROUP BY g) q
ORDER BY g;
SELECT (custseg.uplift(true, 1, 'a')).* WHERE false;

-- Bad input.
SELECT custseg.uplift(true, 1, NULL::text);
-- An integer stratum must be cast to text: never taken for a covariate.
SELECT custseg.uplift(true, 1, 7);
SELECT (custseg.uplift(true, 1, 7::text)).test;
SELECT custseg.uplift(NULL, 1, 'a');
SELECT custseg.uplift(true, NULL, 'a');
SELECT custseg.uplift(true, 'NaN', 'a');
SELECT custseg.uplift(true, 'Infinity', 'a');

-- The state: per stratum, sorted by name, exact text form.
SELECT custseg.uplift_sums_accum('{"kind": "stratified", "binary": true, "strata": []}', true, 1, 'a');
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "", "treated": [1, 2, 2, 2, 0, 4, 0], "control": [0, 0, 0, 0, 0, 0, 0]}, {"name": "a\"b\\c\u0001\/", "treated": [2, 0.1, 0.2, 0.30000000000000004, -2.7755575615628914e-17, 0.05000000000000001, -2.7755575615628914e-18], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind":"plain","binary":true,"strata":[{"name":"","treated":[2,0,1,1,0,1,0],"control":[1,1,1,1,0,1,0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "cuped", "binary": false, "strata": [{"name": "", "treated": [1, 5, 5, 5, 0, 25, 0, 2, 2, 2, 0, 4, 0, 10, 0], "control": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
-- Every text form reads back to the same state.
SELECT s::text::custseg.uplift_sums::text = s::text AS round_trip, s::text
FROM (SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "x", "treated": [3, 0.1, 0.7, 1.2000000000000002, -1e-17, 0.6600000000000001, 3e-18], "control": [1, 2, 2, 2, 0, 4, 0]}]}'::custseg.uplift_sums AS s) q;
SELECT '{"kind": "other", "binary": true, "strata": []}'::custseg.uplift_sums;
SELECT '{"kind": "plain", "binary": maybe, "strata": []}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": true, "strata": [{"name": "b", "treated": [1, 1, 1, 1, 0, 1, 0], "control": [0, 0, 0, 0, 0, 0, 0]}, {"name": "a", "treated": [1, 1, 1, 1, 0, 1, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": true, "strata": [{"name": "a", "treated": [1, 1, 1, 1, 0, 1, 0], "control": [0, 0, 0, 0, 0, 0, 0]}, {"name": "a", "treated": [1, 1, 1, 1, 0, 1, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "plain", "binary": true, "strata": [{"name": "a", "treated": [1, 1, 1, 1, 0, 1, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": true, "strata": [{"name": "a", "treated": [0, 0, 0, 0, 0, 0, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": true, "strata": [{"name": "a", "treated": [2, 0, 1, 3, 0, 3, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a", "treated": [-1, 0, 1, 3, 0, 3, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a", "treated": [1.5, 0, 1, 3, 0, 3, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a", "treated": [2, 3, 1, 3, 0, 3, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a", "treated": [1, 0, 1, 3, 0, 3, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a", "treated": [2, 0, 1, 3, 0, -3, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a", "treated": [2, 0, 1, 1e308, 1e308, 3, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a", "treated": [2, 0, 1, 3, 0, 3, 0], "control": [0, 1, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a\q", "treated": [1, 1, 1, 1, 0, 1, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a\u00e9", "treated": [1, 1, 1, 1, 0, 1, 0], "control": [0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "stratified", "binary": false, "strata": [{"name": "a'::custseg.uplift_sums;
SELECT '{"kind": "plain", "binary": true, "strata": [{"name": "", "treated": [1, 1, 1, 1, 0, 1, 0], "control": [0, 0, 0, 0, 0, 0, 0, 0, 0]}]}'::custseg.uplift_sums;
SELECT '{"kind": "plain", "binary": true, "strata": []} x'::custseg.uplift_sums;
SELECT ''::custseg.uplift_sums;
-- A stratified state cannot be combined with another form's.
SELECT custseg.uplift_sums_combine('{"kind": "plain", "binary": true, "strata": []}',
								   '{"kind": "stratified", "binary": true, "strata": []}');

-- As Citus runs them: the state of each form built by its transition
-- function, shipped as text, read back and finished by the final function
-- called directly, gives the aggregate's result bit for bit.
CREATE AGGREGATE pg_temp.plain_state(boolean, float8) (
	SFUNC = custseg.uplift_sums_accum, STYPE = custseg.uplift_sums,
	INITCOND = '{"kind": "plain", "binary": true, "strata": []}');
CREATE AGGREGATE pg_temp.strata_state(boolean, float8, text) (
	SFUNC = custseg.uplift_sums_accum, STYPE = custseg.uplift_sums,
	INITCOND = '{"kind": "stratified", "binary": true, "strata": []}');
CREATE AGGREGATE pg_temp.cuped_state(boolean, float8, float8) (
	SFUNC = custseg.uplift_sums_accum, STYPE = custseg.uplift_sums,
	INITCOND = '{"kind": "cuped", "binary": true, "strata": []}');
SELECT custseg.uplift_sums_final(pg_temp.plain_state(i % 4 <> 0, i / 7.0)::text::custseg.uplift_sums)
	   = custseg.uplift(i % 4 <> 0, i / 7.0) AS plain,
	   custseg.uplift_sums_final(pg_temp.strata_state(i % 4 <> 0, i / 7.0, (i % 3)::text)::text::custseg.uplift_sums)
	   = custseg.uplift(i % 4 <> 0, i / 7.0, (i % 3)::text) AS stratified,
	   custseg.uplift_sums_final(pg_temp.cuped_state(i % 4 <> 0, i / 7.0, sqrt(i))::text::custseg.uplift_sums)
	   = custseg.uplift_cuped(i % 4 <> 0, i / 7.0, sqrt(i)) AS cuped
FROM generate_series(1, 1000) i;

-- A parallel plan gives the serial result, bit for bit.
CREATE TABLE strata_big AS
SELECT i, (ARRAY['a', 'b', 'c'])[1 + i % 3] AS stratum,
	   NOT custseg.in_holdout(i, 'strata-parallel', CASE i % 3 WHEN 0 THEN 0.1 ELSE 0.3 END) AS treated,
	   (hashint4(i) & 1023) / 100.0 AS revenue, (hashint4(i + 9) & 3 = 0)::int AS bought
FROM generate_series(1, 150000) i;
ANALYZE strata_big;
CREATE TABLE strata_serial AS
SELECT custseg.uplift(treated, revenue, stratum) AS w, custseg.uplift(treated, bought, stratum) AS z
FROM strata_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT custseg.uplift(treated, revenue, stratum) FROM strata_big;
SELECT p.w = s.w AS welch_equal, p.z = s.z AS z_equal, (s.w).test, (s.z).test
FROM (SELECT custseg.uplift(treated, revenue, stratum) AS w, custseg.uplift(treated, bought, stratum) AS z
	  FROM strata_big) p, strata_serial s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- An A/A test on CDNOW: the 23,570 customers of the full cohort, segmented
-- by RFM at the end of the calibration period (1997-09-30); no campaign at
-- all, but 10% of the Champions held out and 20% of everyone else, as
-- docs/uplift_guide.md once suggested.  Outcome: bought again in
-- 1997-10-01 .. 1998-06-30.  The treated group has more Champions, who buy
-- more anyway, so the pooled estimate shows a "lift" that no campaign
-- caused; stratified by what set the share, it is gone.  By segment, the
-- three "Need Attention" customers have no holdout: NULL statistics.
SET TimeZone = 'UTC';
CREATE TABLE cdnow_raw (line text);
\copy cdnow_raw FROM 'test/data/CDNOW_master.txt' WITH (HEADER)
CREATE TABLE cdnow AS
SELECT f[1]::int AS id, to_date(f[2], 'YYYYMMDD') AS day, f[4]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM cdnow_raw) s;
CREATE TABLE cdnow_aa AS
WITH cal AS (SELECT id, custseg.summarize(day, amount, date '1997-09-30') AS s FROM cdnow GROUP BY id),
	 seg AS (SELECT id, custseg.segment(custseg.rfm_score(s) OVER ()) AS segment FROM cal),
	 post AS (SELECT id, bool_or(day > '1997-09-30') AS bought FROM cdnow GROUP BY id)
SELECT id, segment, bought::int AS bought,
	   NOT custseg.in_holdout(id, 'aa-cdnow', CASE segment WHEN 'Champions' THEN 0.1 ELSE 0.2 END) AS treated
FROM seg JOIN post USING (id);
SELECT count(*) AS customers, count(*) FILTER (WHERE segment = 'Champions') AS champions,
	   count(*) FILTER (WHERE NOT treated) AS held_out
FROM cdnow_aa;
SELECT 'pooled' AS estimate, s.test, s.treated_size, s.control_size, s.absolute_lift,
	   s.ci_low, s.ci_high, s.p_value
FROM (SELECT custseg.uplift(treated, bought) AS u FROM cdnow_aa) q, pg_temp.show(q.u) s
UNION ALL
SELECT 'by share', s.test, s.treated_size, s.control_size, s.absolute_lift,
	   s.ci_low, s.ci_high, s.p_value
FROM (SELECT custseg.uplift(treated, bought, CASE segment WHEN 'Champions' THEN 'Champions' ELSE 'rest' END) AS u
	  FROM cdnow_aa) q, pg_temp.show(q.u) s
UNION ALL
SELECT 'by segment', s.test, s.treated_size, s.control_size, s.absolute_lift,
	   s.ci_low, s.ci_high, s.p_value
FROM (SELECT custseg.uplift(treated, bought, segment) AS u FROM cdnow_aa) q, pg_temp.show(q.u) s;
SELECT segment, count(*) FILTER (WHERE treated) AS treated, count(*) FILTER (WHERE NOT treated) AS held_out
FROM cdnow_aa WHERE segment IN ('Champions', 'Need Attention') GROUP BY segment ORDER BY segment;

DROP TABLE strata_rows, strata_welch, strata_big, strata_serial, cdnow_raw, cdnow, cdnow_aa;
