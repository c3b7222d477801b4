-- RFM thresholds and scores: SQLSTATEs of every error, and the functions' labels.
BEGIN;
SELECT plan(56);

CREATE TEMP TABLE c (id int, r float8, f float8, m float8);
INSERT INTO c SELECT i, i % 7, 1 + i % 3, i * 2.5 FROM generate_series(1, 20) i;

-- Values: the aggregate, the scoring function and the window function alike.
SELECT throws_ok($$SELECT custseg.rfm_thresholds('NaN', 1, 1)$$,
	'22023', 'recency must not be NaN', 'aggregate: NaN recency');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, 'NaN', 1)$$,
	'22023', 'frequency must not be NaN', 'aggregate: NaN frequency');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, 1, 'NaN')$$,
	'22023', 'monetary must not be NaN', 'aggregate: NaN monetary');
SELECT throws_ok($$SELECT custseg.rfm_thresholds('Infinity', 1, 1)$$,
	'22003', 'recency must be finite', 'aggregate: infinite recency');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, '-Infinity', 1)$$,
	'22003', 'frequency must be finite', 'aggregate: infinite frequency');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, 1, '-Infinity')$$,
	'22003', 'monetary must be finite', 'aggregate: infinite monetary');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(-1, 1, 1)$$,
	'22023', 'recency must not be negative', 'aggregate: negative recency');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, -1, 1)$$,
	'22023', 'frequency must not be negative', 'aggregate: negative frequency');
SELECT lives_ok($$SELECT custseg.rfm_thresholds(1, 1, -1)$$,
	'aggregate: negative monetary is allowed');
SELECT throws_ok($$SELECT custseg.rfm_score(custseg.rfm_thresholds(ARRAY[1], ARRAY[1], ARRAY[1]), 'NaN', 1, 1)$$,
	'22023', 'recency must not be NaN', 'score: NaN recency');
SELECT throws_ok($$SELECT custseg.rfm_score(custseg.rfm_thresholds(ARRAY[1], ARRAY[1], ARRAY[1]), 1, 1, 'Infinity')$$,
	'22003', 'monetary must be finite', 'score: infinite monetary');
SELECT throws_ok($$SELECT custseg.rfm_score(custseg.rfm_thresholds(ARRAY[1], ARRAY[1], ARRAY[1]), -1, 1, 1)$$,
	'22023', 'recency must not be negative', 'score: negative recency');
SELECT throws_ok($$SELECT custseg.rfm_score(custseg.rfm_thresholds(ARRAY[1], ARRAY[1], ARRAY[1]), 1, -1, 1)$$,
	'22023', 'frequency must not be negative', 'score: negative frequency');
SELECT throws_ok($$SELECT custseg.rfm_score(r, f, m) OVER () FROM (SELECT r, CASE WHEN id = 5 THEN 'NaN' ELSE f END f, m FROM c) x$$,
	'22023', 'frequency must not be NaN', 'window: NaN frequency in another row');
SELECT throws_ok($$SELECT custseg.rfm_score(r, f, m) OVER () FROM (SELECT CASE WHEN id = 5 THEN -2 ELSE r END r, f, m FROM c) x$$,
	'22023', 'recency must not be negative', 'window: negative recency');
SELECT throws_ok($$SELECT custseg.rfm_score(r, f, m) OVER () FROM (SELECT r, f, CASE WHEN id = 5 THEN 'Infinity' ELSE m END m FROM c) x$$,
	'22003', 'monetary must be finite', 'window: infinite monetary');

-- bins and method.
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, 1, 1, 1)$$,
	'22023', 'bins must be between 2 and 10, not 1', 'aggregate: bins too small');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, 1, 1, 11, 'rfm')$$,
	'22023', 'bins must be between 2 and 10, not 11', 'aggregate: bins too large');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, 1, 1, NULL)$$,
	'22004', 'bins must not be NULL', 'aggregate: NULL bins');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, 1, 1, 5, 'ntile')$$,
	'22023', 'unknown RFM method "ntile"', 'aggregate: unknown method');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(1, 1, 1, 5, NULL)$$,
	'22004', 'method must not be NULL', 'aggregate: NULL method');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(r, f, m, 2 + id % 2) FROM c$$,
	'22023', 'bins must be the same for every row, not 3 and 2', 'aggregate: bins that vary');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(r, f, m, 5, CASE WHEN id < 3 THEN 'rfm' ELSE 'quantile' END) FROM c$$,
	'22023', $$method must be the same for every row, not 'rfm' and 'quantile'$$, 'aggregate: method that varies');
SELECT throws_ok($$SELECT custseg.rfm_score(1, 1, 1, 0) OVER ()$$,
	'22023', 'bins must be between 2 and 10, not 0', 'window: bins out of range');
SELECT throws_ok($$SELECT custseg.rfm_score(1, 1, 1, NULL) OVER ()$$,
	'22004', 'bins must not be NULL', 'window: NULL bins');
SELECT throws_ok($$SELECT custseg.rfm_score(1, 1, 1, 5, 'RFM') OVER ()$$,
	'22023', 'unknown RFM method "RFM"', 'window: unknown method');
SELECT throws_ok($$SELECT custseg.rfm_score(1, 1, 1, 5, NULL) OVER ()$$,
	'22004', 'method must not be NULL', 'window: NULL method');
SELECT throws_ok($$SELECT custseg.rfm_score(r, f, m, 2 + id % 2) OVER () FROM c$$,
	'22023', 'bins must be the same for every row, not 3 and 2', 'window: bins that vary');
SELECT throws_ok($$SELECT custseg.rfm_score(r, f, m, 5, CASE WHEN id < 3 THEN 'rfm' ELSE 'quantile' END) OVER () FROM c$$,
	'22023', $$method must be the same for every row, not 'rfm' and 'quantile'$$, 'window: method that varies');
SELECT throws_ok($$SELECT custseg.rfm_thresholds_accum(NULL, 1, 1, 1)$$,
	'0A000', 'rfm_thresholds_accum called in non-aggregate context', 'transition outside an aggregate');
SELECT throws_ok($$SELECT custseg.rfm_thresholds_combine(NULL, NULL)$$,
	'0A000', 'rfm_thresholds_combine called in non-aggregate context', 'combine outside an aggregate');

-- Custom cut points.
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[]::float8[], ARRAY[]::float8[], ARRAY[]::float8[])$$,
	'2202E', 'recency must have between 1 and 9 cut points, not 0', 'custom: no cut points');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[1,2,3,4,5,6,7,8,9,10], ARRAY[1], ARRAY[1])$$,
	'2202E', 'recency must have between 1 and 9 cut points, not 10', 'custom: too many cut points');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[1, 2], ARRAY[1], ARRAY[1, 2])$$,
	'2202E', 'frequency has 1 cut points but recency has 2', 'custom: lengths differ');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[1, 2], ARRAY[1, 2], ARRAY[[1, 2]])$$,
	'2202E', 'monetary cut points must be a one-dimensional array', 'custom: two-dimensional array');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[1, NULL], ARRAY[1, 2], ARRAY[1, 2])$$,
	'22004', 'recency cut points must not be NULL', 'custom: NULL element');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[1, 2], ARRAY[1, 'NaN'::float8], ARRAY[1, 2])$$,
	'22023', 'frequency cut points must be finite', 'custom: NaN');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[1, 2], ARRAY[1, 2], ARRAY['-Infinity'::float8, 2])$$,
	'22023', 'monetary cut points must be finite', 'custom: infinity');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[2, 1], ARRAY[1, 2], ARRAY[1, 2])$$,
	'22023', 'recency cut points must be strictly increasing', 'custom: unsorted');
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ARRAY[1, 2], ARRAY[1, 2], ARRAY[2, 2])$$,
	'22023', 'monetary cut points must be strictly increasing', 'custom: repeated');

-- Text input of both types: 22P02.
SELECT throws_ok($$SELECT '{"method": "rfm"'::custseg.rfm_thresholds$$,
	'22P02', 'malformed custseg.rfm_thresholds literal: "{"method": "rfm""', 'thresholds: truncated');
SELECT throws_ok($$SELECT '{"method": "quantile", "bins": 3, "recency": [1, 2, 3], "frequency": [], "monetary": []}'::custseg.rfm_thresholds$$,
	'22P02', 'malformed custseg.rfm_thresholds literal: "{"method": "quantile", "bins": 3, "recency": [1, 2, 3], "fre..."',
	'thresholds: too many cut points');
SELECT throws_ok($$SELECT '{"method": "rfm", "bins": 2, "recency": [1], "frequency": [1], "monetary": [NaN]}'::custseg.rfm_thresholds$$,
	'22P02', 'malformed custseg.rfm_thresholds literal: "{"method": "rfm", "bins": 2, "recency": [1], "frequency": [1..."',
	'thresholds: NaN');
SELECT throws_ok($$SELECT '{"method": "quantile", "bins": 3, "recency": [2, 1], "frequency": [], "monetary": []}'::custseg.rfm_thresholds$$,
	'22P02', 'malformed custseg.rfm_thresholds literal: "{"method": "quantile", "bins": 3, "recency": [2, 1], "freque..."',
	'thresholds: unsorted');
SELECT throws_ok($$SELECT '{"method": "x", "bins": 3}'::custseg.rfm_thresholds$$,
	'22P02', 'malformed custseg.rfm_thresholds literal: "{"method": "x", "bins": 3}"', 'thresholds: unknown method');
SELECT throws_ok($$SELECT '{"method": "rfm", "bins": 2, "customers": 2, "recency": [[1, 1]], "frequency": [[1, 2]], "monetary": [[1, 2]]}'::custseg.rfm_thresholds_state$$,
	'22P02', 'malformed custseg.rfm_thresholds_state literal: "{"method": "rfm", "bins": 2, "customers": 2, "recency": [[1,..."',
	'state: counts do not add up');
SELECT throws_ok($$SELECT '{"method": "rfm", "bins": 2, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[1, 1]'::custseg.rfm_thresholds_state$$,
	'22P02', 'malformed custseg.rfm_thresholds_state literal: "{"method": "rfm", "bins": 2, "customers": 1, "recency": [[1,..."',
	'state: truncated');
SELECT is('{"method": "rfm", "bins": 2, "customers": 1, "recency": [[1, 1]], "frequency": [[0.1, 1]], "monetary": [[-5e-324, 1]]}'::custseg.rfm_thresholds_state::text,
	'{"method": "rfm", "bins": 2, "customers": 1, "recency": [[1, 1]], "frequency": [[0.1, 1]], "monetary": [[-5e-324, 1]]}',
	'state: text round trip');

-- The summary forms check what they read from the summary.
SELECT throws_ok($$SELECT custseg.rfm_thresholds(ROW(NULL, NULL, 1, 1, 'NaN', 1, 3, 0, 0, 0, 0)::custseg.customer_summary)$$,
	'22023', 'monetary must not be NaN', 'summary with a NaN revenue');
SELECT throws_ok($$SELECT custseg.rfm_score(custseg.rfm_thresholds(ARRAY[10.0], ARRAY[2.0], ARRAY[50.0]), ROW(NULL, NULL, 1, 1, 5, 5, -3, 0, 0, 0, 0)::custseg.customer_summary)$$,
	'22023', 'recency must not be negative', 'summary with a negative recency');

-- Counts are bounded (2^53 customers), so sums of counts never overflow.
SELECT throws_ok($$SELECT '{"method": "rfm", "bins": 2, "customers": 9007199254740993, "recency": [[1, 9007199254740993]], "frequency": [[1, 9007199254740993]], "monetary": [[1, 9007199254740993]]}'::custseg.rfm_thresholds_state$$,
	'22P02', NULL, 'state: more than 2^53 customers');
CREATE AGGREGATE pg_temp.merge_states(custseg.rfm_thresholds_state) (
	SFUNC = custseg.rfm_thresholds_combine, STYPE = custseg.rfm_thresholds_state);
SELECT throws_ok($$SELECT pg_temp.merge_states(s) FROM (VALUES
	('{"method": "rfm", "bins": 2, "customers": 9007199254740992, "recency": [[1, 9007199254740992]], "frequency": [[1, 9007199254740992]], "monetary": [[1, 9007199254740992]]}'::custseg.rfm_thresholds_state),
	('{"method": "rfm", "bins": 2, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[1, 1]]}'::custseg.rfm_thresholds_state)) v(s)$$,
	'54000', 'too many customers in one custseg.rfm_thresholds_state', 'combining past 2^53 customers');
-- A long malformed literal is cut at a character boundary in the message.
SELECT throws_ok($$SELECT ('{"method": "quantile", "bins": 3, "recency": [], "frequency": [], "' || repeat('é', 40) || '"}')::custseg.rfm_thresholds$$,
	'22P02', NULL, 'malformed literal with multibyte characters');

-- Labels: volatility, strictness, parallel safety, kind.
SELECT is(
	(SELECT string_agg(format('%s(%s) %s %s %s %s', p.proname, pg_get_function_identity_arguments(p.oid),
	                          p.prokind, p.provolatile, p.proparallel,
	                          CASE WHEN p.proisstrict THEN 'strict' ELSE 'called-on-null' END), E'\n'
	                   ORDER BY p.proname, pg_get_function_identity_arguments(p.oid))
	 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	 WHERE n.nspname = 'custseg' AND p.proname LIKE 'rfm%'),
	$$rfm_score(recency double precision, frequency double precision, monetary double precision, bins integer, method text) w i s called-on-null
rfm_score(summary custseg.customer_summary, bins integer, method text) w i s called-on-null
rfm_score(thresholds custseg.rfm_thresholds, recency double precision, frequency double precision, monetary double precision) f i s strict
rfm_score(thresholds custseg.rfm_thresholds, summary custseg.customer_summary) f i s strict
rfm_thresholds(recency double precision, frequency double precision, monetary double precision) a i s called-on-null
rfm_thresholds(recency double precision, frequency double precision, monetary double precision, bins integer) a i s called-on-null
rfm_thresholds(recency double precision, frequency double precision, monetary double precision, bins integer, method text) a i s called-on-null
rfm_thresholds(recency_cuts double precision[], frequency_cuts double precision[], monetary_cuts double precision[]) f i s strict
rfm_thresholds(summary custseg.customer_summary) a i s called-on-null
rfm_thresholds(summary custseg.customer_summary, bins integer) a i s called-on-null
rfm_thresholds(summary custseg.customer_summary, bins integer, method text) a i s called-on-null
rfm_thresholds_accum(state custseg.rfm_thresholds_state, recency double precision, frequency double precision, monetary double precision) f i s called-on-null
rfm_thresholds_accum(state custseg.rfm_thresholds_state, recency double precision, frequency double precision, monetary double precision, bins integer) f i s called-on-null
rfm_thresholds_accum(state custseg.rfm_thresholds_state, recency double precision, frequency double precision, monetary double precision, bins integer, method text) f i s called-on-null
rfm_thresholds_accum(state custseg.rfm_thresholds_state, summary custseg.customer_summary) f i s called-on-null
rfm_thresholds_accum(state custseg.rfm_thresholds_state, summary custseg.customer_summary, bins integer) f i s called-on-null
rfm_thresholds_accum(state custseg.rfm_thresholds_state, summary custseg.customer_summary, bins integer, method text) f i s called-on-null
rfm_thresholds_cmp(custseg.rfm_thresholds, custseg.rfm_thresholds) f i s strict
rfm_thresholds_combine(custseg.rfm_thresholds_state, custseg.rfm_thresholds_state) f i s called-on-null
rfm_thresholds_eq(custseg.rfm_thresholds, custseg.rfm_thresholds) f i s strict
rfm_thresholds_final(custseg.rfm_thresholds_state) f i s strict
rfm_thresholds_ge(custseg.rfm_thresholds, custseg.rfm_thresholds) f i s strict
rfm_thresholds_gt(custseg.rfm_thresholds, custseg.rfm_thresholds) f i s strict
rfm_thresholds_in(cstring) f i s strict
rfm_thresholds_le(custseg.rfm_thresholds, custseg.rfm_thresholds) f i s strict
rfm_thresholds_lt(custseg.rfm_thresholds, custseg.rfm_thresholds) f i s strict
rfm_thresholds_ne(custseg.rfm_thresholds, custseg.rfm_thresholds) f i s strict
rfm_thresholds_out(custseg.rfm_thresholds) f i s strict
rfm_thresholds_state_in(cstring) f i s strict
rfm_thresholds_state_out(custseg.rfm_thresholds_state) f i s strict$$,
	'labels of every rfm function');
SELECT is(
	(SELECT string_agg(format('%s %s %s %s', a.aggfnoid::regprocedure, a.aggcombinefn, a.aggfinalfn, a.aggtranstype::regtype), E'\n'
	                   ORDER BY a.aggfnoid::regprocedure::text)
	 FROM pg_aggregate a WHERE a.aggfnoid::regproc::text = 'custseg.rfm_thresholds'),
	$$custseg.rfm_thresholds(custseg.customer_summary) custseg.rfm_thresholds_combine custseg.rfm_thresholds_final custseg.rfm_thresholds_state
custseg.rfm_thresholds(custseg.customer_summary,integer) custseg.rfm_thresholds_combine custseg.rfm_thresholds_final custseg.rfm_thresholds_state
custseg.rfm_thresholds(custseg.customer_summary,integer,text) custseg.rfm_thresholds_combine custseg.rfm_thresholds_final custseg.rfm_thresholds_state
custseg.rfm_thresholds(double precision,double precision,double precision) custseg.rfm_thresholds_combine custseg.rfm_thresholds_final custseg.rfm_thresholds_state
custseg.rfm_thresholds(double precision,double precision,double precision,integer) custseg.rfm_thresholds_combine custseg.rfm_thresholds_final custseg.rfm_thresholds_state
custseg.rfm_thresholds(double precision,double precision,double precision,integer,text) custseg.rfm_thresholds_combine custseg.rfm_thresholds_final custseg.rfm_thresholds_state$$,
	'aggregates: combine function, final function, state type (not internal)');
SELECT is((SELECT string_agg(format('%s %s %s %s', t.typname, t.typlen, t.typalign, t.typstorage), ', ' ORDER BY t.typname)
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'custseg' AND t.typname IN ('rfm_thresholds', 'rfm_thresholds_state', 'rfm_score')),
	'rfm_score -1 d x, rfm_thresholds -1 d p, rfm_thresholds_state -1 d x',
	'types: varlena base types, double aligned');

SELECT * FROM finish();
ROLLBACK;
