-- custseg.fit_state: the state of every CLV fit aggregate (src/fit_state.c).

-- The text form: kind and cells, merged (weights added) and sorted by
-- (x, t_x, t); floats are shortest-exact, so the text reads back bit for bit.
CREATE AGGREGATE fit_xtt_state(bigint, float8, float8) (
	SFUNC = custseg.fit_xtt_accum, STYPE = custseg.fit_state,
	COMBINEFUNC = custseg.fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE fit_bgbb_state(bigint, bigint, bigint, bigint) (
	SFUNC = custseg.fit_bgbb_accum, STYPE = custseg.fit_state,
	COMBINEFUNC = custseg.fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE fit_spend_state(bigint, float8) (
	SFUNC = custseg.fit_spend_accum, STYPE = custseg.fit_state,
	COMBINEFUNC = custseg.fit_combine, PARALLEL = SAFE);
SELECT fit_xtt_state(x, t_x, t)
FROM (VALUES (2, 30.43, 38.86), (0, 0, 38.86), (2, 30.43, 38.86), (1, 0.1, 0.3),
			 (0, -0.0, 5), (NULL, 1, 2), (1, NULL, 2), (1, 1, NULL)) v(x, t_x, t);
SELECT fit_bgbb_state(x, t_x, n, w)
FROM (VALUES (6, 6, 6, 1203), (0, 0, 6, 3464), (6, 6, 6, 0), (1, 1, 6, 1),
			 (1, 1, 6, 2), (NULL, 1, 6, 1)) v(x, t_x, n, w);
-- spend: customers without repeat purchases (x = 0) are left out
SELECT fit_spend_state(x, m)
FROM (VALUES (2, 25.5), (0, 0), (0, 'NaN'), (1, 1e-3), (2, 25.5), (3, NULL)) v(x, m);
-- rows that are all skipped: NULL, like empty input
SELECT fit_xtt_state(x, t_x, t) IS NULL AS all_null,
	   (SELECT fit_xtt_state(1, 2, 3) FROM generate_series(1, 0)) IS NULL AS empty
FROM (VALUES (NULL::bigint, 1::float8, 2::float8)) v(x, t_x, t);
SELECT fit_spend_state(0, 10) IS NULL AS only_x_0;

-- The summary forms read repeat_purchases, active_days, age_days and
-- repeat_spend; the BG/BB form without weight counts each row once.
CREATE AGGREGATE fit_xtt_summary_state(custseg.customer_summary) (
	SFUNC = custseg.fit_xtt_accum, STYPE = custseg.fit_state);
CREATE AGGREGATE fit_spend_summary_state(custseg.customer_summary) (
	SFUNC = custseg.fit_spend_accum, STYPE = custseg.fit_state);
CREATE AGGREGATE fit_bgbb3_state(bigint, bigint, bigint) (
	SFUNC = custseg.fit_bgbb_accum, STYPE = custseg.fit_state);
CREATE TABLE fit_orders (customer int, d date, a numeric);
INSERT INTO fit_orders VALUES
	(1, '2020-01-01', 10), (1, '2020-01-11', 20), (1, '2020-01-21', 40),
	(2, '2020-02-01', 5), (3, '2020-01-15', 7), (3, '2020-01-16', -7),
	(4, '2020-01-01', 10), (4, '2020-01-05', 5), (4, '2020-01-06', -20);
SELECT fit_xtt_summary_state(s), fit_spend_summary_state(s)
FROM (SELECT customer, custseg.summarize(d, a, date '2020-03-01') AS s
	  FROM fit_orders WHERE customer <> 4 GROUP BY customer) q;
-- customer 4 refunded more than the repeat purchase: no positive spend
SELECT fit_spend_summary_state(s)
FROM (SELECT custseg.summarize(d, a, date '2020-03-01') AS s FROM fit_orders WHERE customer = 4) q;
SELECT fit_bgbb3_state(x, t_x, n) FROM (VALUES (1, 1, 6), (1, 1, 6), (0, 0, 6), (NULL, 0, 6)) v(x, t_x, n);
DROP TABLE fit_orders;
DROP AGGREGATE fit_xtt_summary_state(custseg.customer_summary);
DROP AGGREGATE fit_spend_summary_state(custseg.customer_summary);
DROP AGGREGATE fit_bgbb3_state(bigint, bigint, bigint);

-- Round trip, bit for bit, for awkward floats.
SELECT s::text::custseg.fit_state::text = s::text AS round_trip, s::text
FROM (SELECT fit_xtt_state(x, x * 0.1, 1e300) AS s
	  FROM (VALUES (0::bigint), (1), (3), (9007199254740992)) v(x)) q;
SELECT '{"kind":"xtt","cells":[[0,0,1e-320,1],[1,0.30000000000000004,7,0.5]]}'::custseg.fit_state;
SELECT ' { "kind" : "spend" , "cells" : [ [ 1 , 2.5 , 0 , 3 ] ] } '::custseg.fit_state;

-- Bad text: every length and value is checked.
SELECT ''::custseg.fit_state;
SELECT '{}'::custseg.fit_state;
SELECT '{"kind":"xtt"}'::custseg.fit_state;
SELECT '{"kind":"nbd","cells":[[0,0,1,1]]}'::custseg.fit_state;
SELECT '{"cells":[[0,0,1,1]],"kind":"xtt"}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,1,1,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,1,1]]} x'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,1,1]]'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,NaN,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,1e999,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,01,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,1,0]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,0,1,-1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[-1,0,1,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[1.5,0,1,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[1,2,1,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[1,-1,1,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[0,1,2,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[1,1,2,1],[0,0,2,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[1,1,2,1],[1,1,2,1]]}'::custseg.fit_state;
SELECT '{"kind":"xtt","cells":[[1,1,2,9007199254740992],[1,1,3,1]]}'::custseg.fit_state;
SELECT '{"kind":"bgbb","cells":[[1,0,6,1]]}'::custseg.fit_state;
SELECT '{"kind":"bgbb","cells":[[2,1,6,1]]}'::custseg.fit_state;
SELECT '{"kind":"bgbb","cells":[[1,1.5,6,1]]}'::custseg.fit_state;
SELECT '{"kind":"spend","cells":[[0,10,0,1]]}'::custseg.fit_state;
SELECT '{"kind":"spend","cells":[[1,0,0,1]]}'::custseg.fit_state;
SELECT '{"kind":"spend","cells":[[1,5,1,1]]}'::custseg.fit_state;

-- Bad rows: clear errors.
SELECT fit_xtt_state(-1, 0, 1);
SELECT fit_xtt_state(1, 2, 1);
SELECT fit_xtt_state(1, -1, 1);
SELECT fit_xtt_state(0, 1, 2);
SELECT fit_xtt_state(1, 'NaN', 1);
SELECT fit_xtt_state(1, 0, 'Infinity');
SELECT fit_bgbb_state(2, 1, 6, 1);
SELECT fit_bgbb_state(1, 0, 6, 1);
SELECT fit_bgbb_state(-1, 1, 6, 1);
SELECT fit_bgbb_state(1, 1, 6, -1);
SELECT fit_spend_state(-1, 10);
SELECT fit_spend_state(1, 0);
SELECT fit_spend_state(1, '-Infinity');
SELECT fit_spend_state(1, 'NaN');
-- the state functions belong to aggregates
SELECT custseg.fit_xtt_accum(NULL, 1, 1, 1);
SELECT custseg.fit_combine(NULL, NULL);
-- states of different kinds do not mix
SELECT custseg.bgnbd_final('{"kind":"spend","cells":[[1,5,0,1]]}');

-- Combine: all four NULL cases, through a parallel aggregate over groups
-- where some workers see only NULL rows; the parallel result equals the
-- serial one.
CREATE TABLE fit_rows AS
SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE (hashint4(g) & 7)::bigint END AS x,
	   ((hashint4(g) & 7) * 3)::float8 AS t_x, 40::float8 AS t
FROM generate_series(1, 200000) g;
UPDATE fit_rows SET t_x = 0 WHERE x = 0;
ANALYZE fit_rows;
CREATE TABLE fit_serial AS SELECT fit_xtt_state(x, t_x, t)::text AS s FROM fit_rows;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT fit_xtt_state(x, t_x, t) FROM fit_rows;
SELECT fit_xtt_state(x, t_x, t)::text = (SELECT s FROM fit_serial) AS parallel_equals_serial
FROM fit_rows;
SELECT fit_xtt_state(x, t_x, t) IS NULL AS null_everywhere FROM fit_rows WHERE x IS NULL;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Combining stored partial states (a rollup): merge through the aggregate
-- of the combine function over a table of states.
CREATE AGGREGATE fit_merge(custseg.fit_state) (
	SFUNC = custseg.fit_combine, STYPE = custseg.fit_state);
SELECT fit_merge(s)::text = (SELECT s FROM fit_serial) AS merged_equals_whole
FROM (SELECT fit_xtt_state(x, t_x, t) AS s FROM fit_rows GROUP BY g % 7) p;
SELECT fit_merge(s) FROM (VALUES ('{"kind":"xtt","cells":[[0,0,1,1]]}'::custseg.fit_state),
							   ('{"kind":"bgbb","cells":[[0,0,1,1]]}')) v(s);

-- Many distinct cells: the raw buffer is merged many times over.
SELECT length(s::text) > 0 AS ok, s::text LIKE '{"kind":"xtt","cells":[[0,0,0,1],[0,0,1,1],%' AS sorted
FROM (SELECT fit_xtt_state(0, 0, g) AS s FROM generate_series(0, 300000) g) q;
SELECT count(*) AS cells, sum(w) AS customers
FROM (SELECT fit_xtt_state(g % 3, 0.5 * (g % 3), (1 + g % 100000)::float8) AS s
	  FROM generate_series(1, 600000) g) q,
	 LATERAL (SELECT (c->>3)::float8 AS w
			  FROM json_array_elements(s::text::json->'cells') c) cells;

DROP TABLE fit_rows, fit_serial;
DROP AGGREGATE fit_xtt_state(bigint, float8, float8);
DROP AGGREGATE fit_bgbb_state(bigint, bigint, bigint, bigint);
DROP AGGREGATE fit_spend_state(bigint, float8);
DROP AGGREGATE fit_merge(custseg.fit_state);
