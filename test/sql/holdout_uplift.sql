-- custseg.uplift(treated, outcome): the aggregate against values computed
-- by hand, its edge cases and errors, its state type, and parallel plans.

-- Fields to 6 significant digits, one per line.
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

-- Two proportions, by hand.  Treated: 1000 customers, 120 bought; control:
-- 1000, 100 bought.  p1 = 0.12, p0 = 0.10, lift 0.02, relative 0.2.
-- Pooled p = 220/2000 = 0.11; SE = sqrt(0.11 * 0.89 * (1/1000 + 1/1000))
-- = sqrt(0.0001958) = 0.0139929; z = 0.02 / 0.0139929 = 1.42930;
-- p = 2 (1 - Phi(1.42930)) = 2 * 0.0764589 = 0.152918.
-- Unpooled SE = sqrt(0.12 * 0.88 / 1000 + 0.1 * 0.9 / 1000) = sqrt(0.0001956)
-- = 0.0139857; 95% CI = 0.02 -/+ 1.959964 * 0.0139857 = 0.02 -/+ 0.0274115
-- = [-0.00741148, 0.0474115].
CREATE TABLE uplift_rows (segment text, treated boolean, outcome float8);
INSERT INTO uplift_rows
SELECT 'z', i <= 1000, CASE WHEN i <= 1000 THEN (i <= 120)::int ELSE (i <= 1100)::int END
FROM generate_series(1, 2000) i;
SELECT s.* FROM (SELECT custseg.uplift(treated, outcome) AS u FROM uplift_rows WHERE segment = 'z') q,
	 pg_temp.show(q.u) s;

-- Welch, by hand.  Treated 3, 5, 10: mean 6, squared deviations 9 + 1 + 16
-- = 26, variance 13.  Control 2, 1, 4, 0: mean 1.75, squared deviations
-- 0.0625 + 0.5625 + 5.0625 + 3.0625 = 8.75, variance 2.916667.  SE =
-- sqrt(13/3 + 2.916667/4) = sqrt(4.333333 + 0.729167) = sqrt(5.0625) = 2.25;
-- t = 4.25 / 2.25 = 1.888889; df = 5.0625^2 / (4.333333^2 / 2 + 0.729167^2 / 3)
-- = 25.628906 / 9.566117 = 2.679134.  p = 2 P(T > 1.888889 | df 2.679134)
-- = 0.166241 and t(0.975, 2.679134) = 3.409321 (both cross-checked with
-- mpmath to 12 digits), so the CI is 4.25 -/+ 3.409321 * 2.25 = 4.25 -/+
-- 7.670971 = [-3.420971, 11.920971]; relative lift 4.25 / 1.75 = 2.428571.
INSERT INTO uplift_rows VALUES ('w', true, 3), ('w', true, 5), ('w', true, 10),
	('w', false, 2), ('w', false, 1), ('w', false, 4), ('w', false, 0);
SELECT s.* FROM (SELECT custseg.uplift(treated, outcome) AS u FROM uplift_rows WHERE segment = 'w') q,
	 pg_temp.show(q.u) s;

-- Per segment with GROUP BY.
\x off
SELECT segment, (u).test, (u).treated_size, (u).control_size, pg_temp.sig((u).p_value) AS p_value
FROM (SELECT segment, custseg.uplift(treated, outcome) AS u FROM uplift_rows GROUP BY segment) q
ORDER BY segment;

-- As a window aggregate over a moving frame (the state is updated in
-- place, and restarted from INITCOND when the frame head moves): every
-- frame gives what the plain aggregate gives over the same rows.
SELECT count(*) AS frames,
	   count(*) FILTER (WHERE w = (SELECT custseg.uplift(j % 2 = 0, (j % 3 = 0)::int)
								  FROM generate_series(greatest(1, i - 1), least(40, i + 8)) j)) AS equal
FROM (SELECT i, custseg.uplift(i % 2 = 0, (i % 3 = 0)::int)
				OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND 8 FOLLOWING) AS w
	  FROM generate_series(1, 40) i) s;
\x on

-- A control mean of 0: no relative lift.  Treated 1, 0, 0, 0 against
-- control 0, 0, 0: pooled p = 1/7, SE = sqrt(1/7 * 6/7 * (1/4 + 1/3))
-- = 0.267261, z = 0.25 / 0.267261 = 0.935414, p = 2 (1 - Phi(0.935414))
-- = 0.349575; unpooled SE = sqrt(0.25 * 0.75 / 4) = 0.216506, CI 0.25 -/+
-- 1.959964 * 0.216506 = 0.25 -/+ 0.424345.
SELECT s.* FROM (SELECT custseg.uplift(t, o) AS u
				 FROM (VALUES (true, 1), (true, 0), (true, 0), (true, 0),
							  (false, 0), (false, 0), (false, 0)) v(t, o)) q,
	 pg_temp.show(q.u) s;

-- Standard errors of 0 leave their fields NULL.  Every outcome 0: no test
-- and no interval.
SELECT s.* FROM (SELECT custseg.uplift(i % 2 = 0, 0) AS u FROM generate_series(1, 10) i) q,
	 pg_temp.show(q.u) s;
-- Treated all 1, control all 0: the pooled SE is sqrt(0.5 * 0.5 * (1/5 +
-- 1/5)) = 0.316228, z = 3.162278, p = 0.00156540; the unpooled SE is 0:
-- no interval.
SELECT s.* FROM (SELECT custseg.uplift(i % 2 = 0, (i % 2 = 0)::int) AS u FROM generate_series(1, 10) i) q,
	 pg_temp.show(q.u) s;
-- One customer per group with 0/1 outcomes: the z-test still applies
-- (pooled SE sqrt(0.25 * 2) = 0.707107, z = 1.414214, p = 0.157299).
SELECT s.* FROM (SELECT custseg.uplift(t, o) AS u FROM (VALUES (true, 1), (false, 0)) v(t, o)) q,
	 pg_temp.show(q.u) s;
-- Welch with constant groups 5, 5 and 3, 3: no test and no interval.
SELECT s.* FROM (SELECT custseg.uplift(t, o) AS u
				 FROM (VALUES (true, 5), (true, 5), (false, 3), (false, 3)) v(t, o)) q,
	 pg_temp.show(q.u) s;
-- Welch with one constant group: the other group's variance alone, df =
-- n - 1 = 2.  Control 1, 2, 3: variance 1, SE = sqrt(1/3) = 0.577350,
-- t = 3 / 0.577350 = 5.196152; with df = 2, P(T > t) = (1 - t / sqrt(2 + t^2))
-- / 2 = (1 - 5.196152 / 5.385165) / 2 = 0.0175494, p = 0.0350987;
-- t(0.975, 2) = 4.302653, CI 3 -/+ 4.302653 * 0.577350 = 3 -/+ 2.484138.
SELECT s.* FROM (SELECT custseg.uplift(t, o) AS u
				 FROM (VALUES (true, 5), (true, 5), (true, 5),
							  (false, 1), (false, 2), (false, 3)) v(t, o)) q,
	 pg_temp.show(q.u) s;
-- -0 is 0: still a z-test; one outcome of 0.5 makes it Welch.
\x off
SELECT (custseg.uplift(t, o)).test FROM (VALUES (true, 1), (false, '-0'::float8), (false, 1)) v(t, o);
SELECT (custseg.uplift(t, o)).test FROM (VALUES (true, 1), (true, 0), (false, 0.5), (false, 1)) v(t, o);

-- A group without control (or treated) rows, or (Welch) with fewer than
-- two rows, keeps the report: its sizes, the means it has, NULL statistics.
SELECT (custseg.uplift(t, o)).* FROM (VALUES (true, 1.0)) v(t, o) WHERE false;
SELECT (custseg.uplift(t, o)).* FROM (VALUES (true, 1.0), (true, 0)) v(t, o);
SELECT (custseg.uplift(t, o)).* FROM (VALUES (false, 1.0), (false, 0)) v(t, o);
SELECT (custseg.uplift(t, o)).* FROM (VALUES (true, 1.5), (true, 2), (false, 3)) v(t, o);
SELECT segment, (u).test, (u).treated_size, (u).control_size, (u).treated_mean,
	   (u).absolute_lift, pg_temp.sig((u).p_value) AS p_value
FROM (SELECT segment, custseg.uplift(treated, outcome) AS u
	  FROM (SELECT * FROM uplift_rows UNION ALL VALUES ('tiny', true, 1), ('tiny', true, 0)) r
	  GROUP BY segment) q
ORDER BY segment;

-- Bad input.
SELECT custseg.uplift(NULL, 1);
SELECT custseg.uplift(true, NULL);
SELECT custseg.uplift(t, o) FROM (VALUES (true, 1), (false, 'NaN'::float8)) v(t, o);
SELECT custseg.uplift(t, o) FROM (VALUES (true, 1), (false, 'Infinity'::float8)) v(t, o);
SELECT custseg.uplift(t, o) FROM (VALUES (true, 1), (false, '-Infinity'::float8)) v(t, o);
SELECT custseg.uplift(t, o) FROM (VALUES (true, 1e308), (true, 1e308), (false, 1)) v(t, o);
SELECT custseg.uplift(t, o) FROM (VALUES (true, 1e200), (true, -1e200), (false, 1), (false, 2)) v(t, o);

-- The state type: exact text form, checked on input.
SELECT '{"binary": false, "treated": [3, 0.30000000000000004, 1e-300], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{ "binary" : true , "treated" : [ 2 , 1 , 0.5 ] , "control" : [ 1 , 1 , 0 ] }'::custseg.uplift_state;
SELECT '{"binary": true, "treated": [2, 1.5, 0.5], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": true, "treated": [2, 3, 0.5], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": false, "treated": [-1, 0, 0], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": false, "treated": [1.5, 0, 0], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": false, "treated": [0, 1, 0], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": false, "treated": [1, 1, 2], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": false, "treated": [2, 1, -2], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": false, "treated": [2, NaN, 0], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": false, "treated": [2, 1e999, 0], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": false, "treated": [2, 0x10, 0], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": maybe, "treated": [0, 0, 0], "control": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": true, "control": [0, 0, 0], "treated": [0, 0, 0]}'::custseg.uplift_state;
SELECT '{"binary": true, "treated": [0, 0, 0], "control": [0, 0, 0]} x'::custseg.uplift_state;
SELECT ''::custseg.uplift_state;
-- A state of 0.1.0 (stored before the upgrade) still gives its result:
-- the z-test of the first example (1000 treated, 120 bought; 1000
-- control, 100 bought), and the Welch test of the second.
\x on
SELECT s.* FROM pg_temp.show(custseg.uplift_final(
	'{"binary": true, "treated": [1000, 120, 105.6], "control": [1000, 100, 90]}')) s;
SELECT s.* FROM pg_temp.show(custseg.uplift_final(
	'{"binary": false, "treated": [3, 18, 26], "control": [4, 7, 8.75]}')) s;
\x off
-- 0.1.0's support functions still merge stored states in an aggregate of
-- one's own: the two states of the Welch example merged give the Welch
-- test of their union (treated 3, 5, 10 twice; control 2, 1, 4, 0 twice).
CREATE AGGREGATE pg_temp.uplift_merge(custseg.uplift_state) (
	SFUNC = custseg.uplift_combine, STYPE = custseg.uplift_state);
CREATE AGGREGATE pg_temp.uplift_old(boolean, float8) (
	SFUNC = custseg.uplift_accum, STYPE = custseg.uplift_state,
	INITCOND = '{"binary": true, "treated": [0, 0, 0], "control": [0, 0, 0]}');
SELECT pg_temp.uplift_merge(s)::text, (custseg.uplift_final(pg_temp.uplift_merge(s))).absolute_lift,
	   custseg.uplift_final(pg_temp.uplift_merge(s)) = (SELECT custseg.uplift(t, o)
		   FROM (VALUES (true, 3), (true, 5), (true, 10), (false, 2), (false, 1), (false, 4), (false, 0),
						(true, 3), (true, 5), (true, 10), (false, 2), (false, 1), (false, 4), (false, 0)) v(t, o))
	   AS same_as_uplift
FROM (VALUES ('{"binary": false, "treated": [3, 18, 26], "control": [4, 7, 8.75]}'::custseg.uplift_state),
			 ('{"binary": false, "treated": [3, 18, 26], "control": [4, 7, 8.75]}')) v(s);
SELECT pg_temp.uplift_old(t, o)::text FROM (VALUES (true, 1), (false, 0), (false, 1)) v(t, o);

-- Support functions outside an aggregate.
SELECT custseg.uplift_accum('{"binary": true, "treated": [0, 0, 0], "control": [0, 0, 0]}', true, 1);
SELECT custseg.uplift_combine('{"binary": true, "treated": [0, 0, 0], "control": [0, 0, 0]}',
							  '{"binary": true, "treated": [0, 0, 0], "control": [0, 0, 0]}');
SELECT custseg.uplift_sums_accum('{"kind": "plain", "binary": true, "strata": []}', true, 1);
SELECT custseg.uplift_sums_combine('{"kind": "plain", "binary": true, "strata": []}',
								   '{"kind": "plain", "binary": true, "strata": []}');

-- The order of the rows does not change a bit of the result, also for
-- outcomes whose sums are not exact (compensated sums, rounded once).
CREATE TABLE uplift_order AS
SELECT i, i % 5 <> 0 AS treated, (hashint4(i) & 65535) / 7.0 + 1e4 AS revenue,
	   (hashint4(i + 3) & 1023) / 3.0 AS pre
FROM generate_series(1, 20000) i;
SELECT a = b AS forward_backward, a = c AS forward_shuffled,
	   d = e AS cuped_forward_shuffled, (a).test, (d).test AS cuped_test
FROM (SELECT custseg.uplift(treated, revenue ORDER BY i) AS a,
			 custseg.uplift(treated, revenue ORDER BY i DESC) AS b,
			 custseg.uplift(treated, revenue ORDER BY hashint4(i)) AS c,
			 custseg.uplift_cuped(treated, revenue, pre ORDER BY i) AS d,
			 custseg.uplift_cuped(treated, revenue, pre ORDER BY hashint4(i + 1)) AS e
	  FROM uplift_order) q;
DROP TABLE uplift_order;

-- Parallel plans: partial states in workers, combined in the leader.  A
-- holdout of 10% by custseg.in_holdout; a 0/1 outcome (z-test: exact
-- counts) and a revenue in cents (Welch: sums that are not exact): both
-- equal to the serial result bit for bit.
CREATE TABLE uplift_big AS
SELECT i AS id, NOT custseg.in_holdout(i, 'uplift-parallel', 0.1) AS treated,
	   (hashint4(i) & 7 = 0)::int AS bought,
	   (hashint4(i + 1) & 1023) / 100.0 AS revenue
FROM generate_series(1, 200000) i;
ANALYZE uplift_big;
CREATE TABLE uplift_serial AS
SELECT custseg.uplift(treated, bought) AS z, custseg.uplift(treated, revenue) AS w FROM uplift_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT custseg.uplift(treated, bought), custseg.uplift(treated, revenue) FROM uplift_big;
SELECT p.z = s.z AS z_test_equal, p.w = s.w AS welch_equal,
	   (s.z).control_size AS holdout, (s.w).test
FROM (SELECT custseg.uplift(treated, bought) AS z, custseg.uplift(treated, revenue) AS w
	  FROM uplift_big) p, uplift_serial s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

DROP TABLE uplift_rows, uplift_big, uplift_serial;
