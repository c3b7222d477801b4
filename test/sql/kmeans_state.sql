-- custseg.kmeans_state: parallel aggregation, the exact text form, bad states.
\pset null NULL

-- 60,000 customers, RFM-like, many sharing a point.
CREATE TABLE km_big AS
SELECT i AS id,
	   ARRAY[(i * 7919) % 365, 1 + (i::bigint * i) % 13 % 7, ((i::bigint * 104729) % 50000) / 100.0]::float8[] AS f
FROM generate_series(1, 60000) i;
ANALYZE km_big;
CREATE TABLE km_serial AS
SELECT custseg.kmeans(f, 6) AS m,
	   custseg.kmeans(f, 4, 11, 50, ARRAY[false, true, true]) AS m_log,
	   custseg.kmeans_choose_k(f, 2, 5) AS choice
FROM km_big;

-- Parallel plans: partial states combined give the same model, bit for bit.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT custseg.kmeans(f, 6) FROM km_big;
EXPLAIN (COSTS OFF) SELECT custseg.kmeans_choose_k(f, 2, 5) FROM km_big;
SELECT custseg.kmeans(f, 6) = m AS kmeans_equal,
	   custseg.kmeans(f, 4, 11, 50, ARRAY[false, true, true]) = m_log AS log_equal,
	   custseg.kmeans_choose_k(f, 2, 5) = choice AS choose_k_equal
FROM km_big, km_serial GROUP BY m, m_log, choice;
-- only a few rows count: some workers end with a NULL state
SELECT (custseg.kmeans(CASE WHEN id % 9973 = 0 THEN f END, 2)).sizes FROM km_big;
SELECT custseg.kmeans(CASE WHEN id < 0 THEN f END, 2) IS NULL AS none FROM km_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT (custseg.kmeans(CASE WHEN id % 9973 = 0 THEN f END, 2)).sizes FROM km_big;
SELECT (m).k, (m).customers, (m).iterations, (m).converged, (m).sizes FROM km_serial;

-- The state type: an aggregate without final function shows the state.
-- Points are distinct, in lexicographic order, with their counts; -0 is 0.
CREATE AGGREGATE km_state_of(float8[], integer, integer, integer, boolean[]) (
	SFUNC = custseg.kmeans_accum,
	STYPE = custseg.kmeans_state,
	COMBINEFUNC = custseg.kmeans_combine
);
CREATE AGGREGATE km_state_of(float8[], integer, integer) (
	SFUNC = custseg.kmeans_choose_k_accum,
	STYPE = custseg.kmeans_state,
	COMBINEFUNC = custseg.kmeans_combine
);
SELECT km_state_of(f, 2, -5, 30, ARRAY[false, true])
FROM (VALUES (ARRAY[0.1, 2]::float8[]), (ARRAY[0.1, 2]), (ARRAY['-0', 0.5]), (ARRAY[-1e-300, 1e300]),
			 (ARRAY[1::float8 / 3, 0])) v(f);
SELECT km_state_of(f, 1, 3) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[3, 4])) v(f);
-- Its text feeds the final function to the same model; the text round trips.
SELECT custseg.kmeans_final(km_state_of(f, 6, 0, 100, ARRAY[false, false, false])::text::custseg.kmeans_state) = m
	   AS state_round_trip
FROM km_big, km_serial GROUP BY m;
SELECT custseg.kmeans_choose_k_final(km_state_of(f, 2, 5)::text::custseg.kmeans_state) = choice
	   AS choose_k_round_trip
FROM km_big, km_serial GROUP BY choice;
SELECT s::text::custseg.kmeans_state::text = s::text AS state_text_round_trip, length(s::text) > 100000 AS long
FROM (SELECT km_state_of(f, 3, 0, 100, ARRAY[true, false, true]) s FROM km_big) x;
-- Keys in any order, white space, exponents.
SELECT custseg.kmeans_final(' { "points" : [ [ [1E0, 2], 1 ], [[3, 4.5e+0], 2] ], "customers": 3,
	"log_features": [true,false], "max_iter": 5, "seed": -1, "k_max": 2, "k_min": 2 } ');
-- A state for choosing k is not a kmeans state.
SELECT custseg.kmeans_final('{"k_min": 1, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 2, "points": [[[1], 1], [[2], 1]]}');
SELECT c.* FROM unnest(custseg.kmeans_choose_k_final('{"k_min": 1, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 2, "points": [[[1], 1], [[2], 1]]}')) c;

-- Malformed or invalid states are rejected.
SELECT ''::custseg.kmeans_state;
SELECT '{}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1]]} x'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1]'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1]], "k_min": 2}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1]], "k": 2}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[NaN], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1e999], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[0x10], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1.5]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 0]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [yes], "customers": 1, "points": [[[1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 99999999999, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 2, "points": [[[1], 1], [[1, 2], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 0, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 3, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 0, "log_features": [false], "customers": 1, "points": [[[1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [], "customers": 0, "points": []}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 0, "points": []}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false, false], "customers": 1, "points": [[[1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [true], "customers": 1, "points": [[[-1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 2, "points": [[[2], 1], [[1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 2, "points": [[[1], 1], [[1], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 3, "points": [[[1], 1], [[2], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1], [[2], 1]]}'::custseg.kmeans_state;
SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 1, "points": [[[1], 1]]}'::custseg.kmeans_state IS NOT NULL AS fine;
-- a valid state with k above its distinct points fails at the fit
SELECT custseg.kmeans_final('{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 5, "points": [[[1], 5]]}');

-- Rows of different lengths are an error.
SELECT custseg.kmeans(f, 2) FROM (SELECT ARRAY[i, i]::float8[] f FROM generate_series(1, 5) i
								  UNION ALL SELECT ARRAY[1, 2, 3]) v;

DROP AGGREGATE km_state_of(float8[], integer, integer, integer, boolean[]);
DROP AGGREGATE km_state_of(float8[], integer, integer);
DROP TABLE km_big, km_serial;
