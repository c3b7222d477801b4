-- k-means: SQLSTATEs of every error, and the functions' labels.
BEGIN;
SELECT plan(51);

CREATE TEMP TABLE p (id int, f float8[]);
INSERT INTO p SELECT i, ARRAY[i % 7, i % 3, i * 1.5] FROM generate_series(1, 30) i;
CREATE TEMP TABLE pm AS SELECT custseg.kmeans(f, 3) AS m FROM p;

-- Features.
SELECT throws_ok($$SELECT custseg.kmeans(ARRAY[1, 'NaN'::float8], 2)$$,
	'22023', 'feature 2 must not be NaN', 'NaN feature');
SELECT throws_ok($$SELECT custseg.kmeans(ARRAY['Infinity'::float8, 1], 2)$$,
	'22003', 'feature 1 must be finite', 'infinite feature');
SELECT throws_ok($$SELECT custseg.kmeans(ARRAY[1, '-Infinity'::float8], 2)$$,
	'22003', 'feature 2 must be finite', 'minus infinite feature');
SELECT throws_ok($$SELECT custseg.kmeans(CASE WHEN id = 9 THEN f[1:2] ELSE f END, 2) FROM p$$,
	'2202E', 'features must have the same length in every row, not 3 and 2', 'arrays of different lengths');
SELECT throws_ok($$SELECT custseg.kmeans(ARRAY[]::float8[], 2)$$,
	'2202E', 'features must not be empty', 'empty array');
SELECT throws_ok($$SELECT custseg.kmeans(ARRAY[[1, 2]]::float8[], 2)$$,
	'2202E', 'features must be a one-dimensional array', 'two-dimensional array');
SELECT throws_ok($$SELECT custseg.kmeans(array_fill(0::float8, ARRAY[65]), 1)$$,
	'2202E', 'features must have at most 64 elements, not 65', 'too many features');
SELECT throws_ok($$SELECT custseg.kmeans(ARRAY[-1, 1]::float8[], 1, 0, 10, ARRAY[true, false])$$,
	'22023', 'feature 1 must not be negative: it is log-transformed', 'negative logged feature');
SELECT throws_ok($$SELECT custseg.kmeans(ARRAY[x], 2) FROM (VALUES (1e308), (1.7e308)) v(x)$$,
	'22003', 'feature 1 is too large to standardize', 'feature beyond float8 when summed');
SELECT lives_ok($$SELECT custseg.kmeans(NULL::float8[], 2)$$, 'a NULL array is left out');
SELECT is((SELECT (custseg.kmeans(f, 1)).customers FROM (VALUES (ARRAY[1, NULL]::float8[]), (ARRAY[1, 2])) v(f)),
	1::bigint, 'an array with a NULL element is left out');

-- Options.
SELECT throws_ok($$SELECT custseg.kmeans(f, 0) FROM p$$,
	'22023', 'k must be between 1 and 1000, not 0', 'k = 0');
SELECT throws_ok($$SELECT custseg.kmeans(f, -1) FROM p$$,
	'22023', 'k must be between 1 and 1000, not -1', 'negative k');
SELECT throws_ok($$SELECT custseg.kmeans(f, 1001) FROM p$$,
	'22023', 'k must be between 1 and 1000, not 1001', 'k too large');
SELECT throws_ok($$SELECT custseg.kmeans(f, NULL) FROM p$$,
	'22004', 'k must not be NULL', 'NULL k');
SELECT throws_ok($$SELECT custseg.kmeans(f, 31) FROM p$$,
	'22023', 'k = 31 is more than the 30 distinct feature vectors', 'k above the distinct points');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, NULL) FROM p$$,
	'22004', 'seed must not be NULL', 'NULL seed');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, 0) FROM p$$,
	'22023', 'max_iter must be at least 1, not 0', 'max_iter = 0');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, -5) FROM p$$,
	'22023', 'max_iter must be at least 1, not -5', 'negative max_iter');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, NULL) FROM p$$,
	'22004', 'max_iter must not be NULL', 'NULL max_iter');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, 10, NULL) FROM p$$,
	'22004', 'log_features must not be NULL', 'NULL log_features');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, 10, ARRAY[true, NULL, false]) FROM p$$,
	'22004', 'log_features must not contain NULL', 'NULL element of log_features');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, 10, ARRAY[true]) FROM p$$,
	'2202E', 'log_features must have one element per feature (3), not 1', 'log_features too short');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, 10, ARRAY[[true, true, true]]) FROM p$$,
	'2202E', 'log_features must be a one-dimensional array', 'two-dimensional log_features');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2 + id % 2) FROM p$$,
	'22023', 'the number of clusters must be the same for every row', 'k that varies');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, id) FROM p$$,
	'22023', 'seed must be the same for every row, not 1 and 2', 'seed that varies');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, id) FROM p$$,
	'22023', 'max_iter must be the same for every row, not 1 and 2', 'max_iter that varies');
SELECT throws_ok($$SELECT custseg.kmeans(f, 2, 0, 9, ARRAY[id > 5, false, false]) FROM p$$,
	'22023', 'log_features must be the same for every row', 'log_features that vary');

-- Choosing k.
SELECT throws_ok($$SELECT custseg.kmeans_choose_k(f, 0, 3) FROM p$$,
	'22023', 'k_min must be between 1 and 1000, not 0', 'k_min = 0');
SELECT throws_ok($$SELECT custseg.kmeans_choose_k(f, 4, 3) FROM p$$,
	'22023', 'k_max must not be less than k_min, not 3 and 4', 'k_max below k_min');
SELECT throws_ok($$SELECT custseg.kmeans_choose_k(f, 2, NULL) FROM p$$,
	'22004', 'k_max must not be NULL', 'NULL k_max');
SELECT throws_ok($$SELECT custseg.kmeans_choose_k(f, 2, 40) FROM p$$,
	'22023', 'k = 40 is more than the 30 distinct feature vectors', 'k_max above the distinct points');
SELECT is((SELECT array_length(custseg.kmeans_choose_k(f, 2, 5), 1) FROM p), 4, 'one row per k');

-- Outside an aggregate.
SELECT throws_ok($$SELECT custseg.kmeans_accum(NULL, ARRAY[1::float8], 2)$$,
	'0A000', 'kmeans_accum called in non-aggregate context', 'transition outside an aggregate');
SELECT throws_ok($$SELECT custseg.kmeans_choose_k_accum(NULL, ARRAY[1::float8], 2, 3)$$,
	'0A000', 'kmeans_choose_k_accum called in non-aggregate context', 'choose_k transition outside an aggregate');
SELECT throws_ok($$SELECT custseg.kmeans_combine(NULL, NULL)$$,
	'0A000', 'kmeans_combine called in non-aggregate context', 'combine outside an aggregate');

-- State text.
SELECT throws_ok($$SELECT '{"k_min": 2}'::custseg.kmeans_state$$,
	'22P02', 'malformed custseg.kmeans_state literal: "{"k_min": 2}"', 'truncated state');
SELECT throws_ok($$SELECT '{"k_min": 2, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 2, "points": [[[1], 1]]}'::custseg.kmeans_state$$,
	'22023', 'invalid custseg.kmeans_state', 'counts that do not add up');
SELECT throws_ok($$SELECT custseg.kmeans_final('{"k_min": 1, "k_max": 2, "seed": 0, "max_iter": 100, "log_features": [false], "customers": 2, "points": [[[1], 1], [[2], 1]]}')$$,
	'22023', 'this custseg.kmeans_state is for choosing k between 1 and 2', 'choose_k state to kmeans_final');

-- kmeans_assign.
SELECT throws_ok($$SELECT custseg.kmeans_assign(m, ARRAY[1, 2]) FROM pm$$,
	'2202E', 'features must have the model''s 3 elements, not 2', 'features of another length');
SELECT throws_ok($$SELECT custseg.kmeans_assign(m, ARRAY[1, 2, 'NaN'::float8]) FROM pm$$,
	'22023', 'feature 3 must not be NaN', 'NaN feature to assign');
SELECT throws_ok($$SELECT custseg.kmeans_assign(m, ARRAY[1e308, -1e308, 1e308]) FROM pm$$,
	'22003', 'features are too far from the model''s customers to assign', 'features beyond the model');
SELECT throws_ok($$SELECT custseg.kmeans_assign(ROW(3, 30, NULL, NULL, 0, 1, true, 0, '{f,f,f}', '{0,0,0}', '{1,1,0}', '{{0,0,0},{1,1,1},{2,2,2}}')::custseg.kmeans_model, ARRAY[1, 2, 3])$$,
	'22023', 'invalid custseg.kmeans_model', 'hand-made model with a zero sd');
SELECT is(custseg.kmeans_assign(ROW(3, 30, NULL, NULL, 0, 1, true, 0, '{f,f,f}', '{0,0,0}', '{1,1,1}', '{{0,0,0},{1,1,1},{2,2,2}}')::custseg.kmeans_model, ARRAY[1.4, 1.6, 1]),
	2, 'hand-made model: nearest centre');
SELECT is(custseg.kmeans_assign(m, ARRAY[1, NULL, 3]), NULL, 'NULL feature: NULL cluster') FROM pm;

-- Labels.
SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace AND proname LIKE 'kmeans%'
			 AND provolatile <> 'i'), 0, 'every k-means function is IMMUTABLE');
SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace AND proname LIKE 'kmeans%'
			 AND proparallel <> 's'), 0, 'every k-means function is PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace AND proname LIKE 'kmeans%'
			 AND prokind = 'a'), 8, 'four kmeans and four kmeans_choose_k aggregates');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		   WHERE p.pronamespace = 'custseg'::regnamespace AND p.proname LIKE 'kmeans%'
			 AND a.aggcombinefn = 'custseg.kmeans_combine'::regproc
			 AND a.aggtranstype = 'custseg.kmeans_state'::regtype), 8,
	'every k-means aggregate combines a custseg.kmeans_state');
SELECT ok((SELECT bool_and(proisstrict) FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace
			 AND proname IN ('kmeans_assign', 'kmeans_final', 'kmeans_choose_k_final',
							 'kmeans_state_in', 'kmeans_state_out')), 'assign, final and I/O functions are STRICT');
SELECT ok((SELECT NOT bool_or(proisstrict) FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace
			 AND proname IN ('kmeans_accum', 'kmeans_choose_k_accum', 'kmeans_combine')),
	'transition and combine functions are not STRICT (they skip NULL arrays)');

SELECT * FROM finish();
ROLLBACK;
