-- pgTAP: holdout assignment, Student's t, uplift and planning (src/holdout.c,
-- src/uplift.c, src/power.c,
-- docs/holdout.md): labels of every function and the SQLSTATE of every error.
BEGIN;
SELECT plan(89);

-- Labels: IMMUTABLE, PARALLEL SAFE; in_holdout, holdout_hash and the
-- uplift transition function are not strict (a NULL is an error).
SELECT is((SELECT format('%s %s %s', provolatile, proparallel, proisstrict) FROM pg_proc
		   WHERE oid = p::regprocedure), l, p || ' is ' || l)
FROM (VALUES
	('custseg.in_holdout(bigint, text, float8)', 'i s f'),
	('custseg.in_holdout(text, text, float8)', 'i s f'),
	('custseg.in_holdout(uuid, text, float8)', 'i s f'),
	('custseg.holdout_hash(bigint, text)', 'i s f'),
	('custseg.holdout_hash(text, text)', 'i s f'),
	('custseg.holdout_hash(uuid, text)', 'i s f'),
	('custseg.student_t_cdf(float8, float8)', 'i s t'),
	('custseg.student_t_quantile(float8, float8)', 'i s t'),
	('custseg.uplift_accum(custseg.uplift_state, boolean, float8)', 'i s f'),
	('custseg.uplift_combine(custseg.uplift_state, custseg.uplift_state)', 'i s t'),
	('custseg.uplift_final(custseg.uplift_state)', 'i s t'),
	('custseg.uplift_sums_accum(custseg.uplift_sums, boolean, float8)', 'i s f'),
	('custseg.uplift_sums_accum(custseg.uplift_sums, boolean, float8, text)', 'i s f'),
	('custseg.uplift_sums_accum(custseg.uplift_sums, boolean, float8, float8)', 'i s f'),
	('custseg.uplift_sums_combine(custseg.uplift_sums, custseg.uplift_sums)', 'i s t'),
	('custseg.uplift_sums_final(custseg.uplift_sums)', 'i s t'),
	('custseg.uplift_sums_in(cstring)', 'i s t'),
	('custseg.uplift_sums_out(custseg.uplift_sums)', 'i s t'),
	('custseg.normal_quantile(float8)', 'i s t'),
	('custseg.holdout_size(float8, float8, float8, float8, float8)', 'i s f'),
	('custseg.holdout_size_mean(float8, float8, float8, float8, float8)', 'i s f'),
	('custseg.detectable_lift(float8, bigint, bigint, float8, float8)', 'i s f'),
	('custseg.detectable_lift_mean(float8, bigint, bigint, float8, float8)', 'i s f'),
	('custseg.holm(float8)', 'i s f'),
	('custseg.uplift_state_in(cstring)', 'i s t'),
	('custseg.uplift_state_out(custseg.uplift_state)', 'i s t')) v(p, l);
SELECT is((SELECT format('%s %s %s', a.aggcombinefn, p.proparallel, a.aggtranstype::regtype)
		   FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		   WHERE a.aggfnoid = f::regprocedure),
		  'custseg.uplift_sums_combine s custseg.uplift_sums',
		  f || ' has a combine function, a real state type (not internal) and is PARALLEL SAFE')
FROM (VALUES ('custseg.uplift(boolean, float8)'), ('custseg.uplift(boolean, float8, text)'),
			 ('custseg.uplift_cuped(boolean, float8, float8)')) v(f);
SELECT is((SELECT prokind FROM pg_proc WHERE oid = 'custseg.holm(float8)'::regprocedure),
		  'w', 'holm is a window function');

-- Overload resolution: int4 and int2 keys find the bigint function, an
-- untyped literal the text one, and nothing is ambiguous.
SELECT is(custseg.holdout_hash(7, 'x'), custseg.holdout_hash(7::bigint, 'x'), 'int4 key resolves to bigint');
SELECT is(custseg.holdout_hash(7::smallint, 'x'), custseg.holdout_hash(7::bigint, 'x'), 'int2 key resolves to bigint');
SELECT is(custseg.holdout_hash('7', 'x'), custseg.holdout_hash('7'::text, 'x'), 'an untyped literal key is text');
SELECT is(custseg.in_holdout(7, 'x', 0.5), custseg.in_holdout(7::bigint, 'x', 0.5::float8), 'int4 key and numeric fraction resolve');
SELECT throws_ok($$SELECT custseg.in_holdout(7::numeric, 'x', 0.5)$$,
	'42883', NULL, 'a numeric key has no overload (cast it to bigint)');
SELECT is(lpad(to_hex(custseg.holdout_hash(42, 'spring-2026')), 16, '0'), 'aef90306f4ec9fdb',
	'test vector: bigint 42 in spring-2026');
SELECT is(lpad(to_hex(custseg.holdout_hash('C-1001', 'spring-2026')), 16, '0'), 'eca940c65164517b',
	'test vector: text C-1001 in spring-2026');
SELECT is(lpad(to_hex(custseg.holdout_hash('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 'spring-2026')), 16, '0'),
	'8bf75f8c7e5370f0', 'test vector: a uuid in spring-2026');

-- in_holdout and holdout_hash errors.
SELECT throws_ok($$SELECT custseg.in_holdout(NULL::bigint, 'x', 0.1)$$,
	'22004', 'customer key must not be NULL', 'NULL bigint key');
SELECT throws_ok($$SELECT custseg.in_holdout(NULL::text, 'x', 0.1)$$,
	'22004', 'customer key must not be NULL', 'NULL text key');
SELECT throws_ok($$SELECT custseg.in_holdout(NULL::uuid, 'x', 0.1)$$,
	'22004', 'customer key must not be NULL', 'NULL uuid key');
SELECT throws_ok($$SELECT custseg.holdout_hash(NULL::text, 'x')$$,
	'22004', 'customer key must not be NULL', 'holdout_hash: NULL key');
SELECT throws_ok($$SELECT custseg.in_holdout(1, NULL, 0.1)$$,
	'22004', 'experiment must not be NULL', 'NULL experiment');
SELECT throws_ok($$SELECT custseg.holdout_hash(1, NULL)$$,
	'22004', 'experiment must not be NULL', 'holdout_hash: NULL experiment');
SELECT throws_ok($$SELECT custseg.in_holdout(1, '', 0.1)$$,
	'22023', 'experiment name must not be empty', 'empty experiment');
SELECT throws_ok($$SELECT custseg.in_holdout('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '', 0.1)$$,
	'22023', 'experiment name must not be empty', 'empty experiment, uuid key');
SELECT throws_ok($$SELECT custseg.in_holdout(1, 'x', NULL)$$,
	'22004', 'fraction must not be NULL', 'NULL fraction');
SELECT throws_ok($$SELECT custseg.in_holdout(1, 'x', 'NaN')$$,
	'22023', 'fraction must be between 0 and 1, not NaN', 'NaN fraction');
SELECT throws_ok($$SELECT custseg.in_holdout(1, 'x', -0.01)$$,
	'22023', 'fraction must be between 0 and 1, not -0.01', 'negative fraction');
SELECT throws_ok($$SELECT custseg.in_holdout('k', 'x', 1.01)$$,
	'22023', 'fraction must be between 0 and 1, not 1.01', 'fraction above 1');
SELECT throws_ok($$SELECT custseg.in_holdout(1, 'x', 'Infinity')$$,
	'22023', 'fraction must be between 0 and 1, not Infinity', 'infinite fraction');
SELECT is(custseg.in_holdout(1, 'x', 0), false, 'fraction 0 holds out no one');
SELECT is(custseg.in_holdout(1, 'x', 1), true, 'fraction 1 holds out everyone');

-- Student's t.
SELECT throws_ok($$SELECT custseg.student_t_cdf(1, 0)$$,
	'22023', 'degrees of freedom must be positive, not 0', 'cdf: df 0');
SELECT throws_ok($$SELECT custseg.student_t_cdf(1, 'NaN')$$,
	'22023', 'degrees of freedom must not be NaN', 'cdf: df NaN');
SELECT throws_ok($$SELECT custseg.student_t_cdf(1, 'Infinity')$$,
	'22003', 'degrees of freedom must be finite', 'cdf: df Infinity');
SELECT throws_ok($$SELECT custseg.student_t_cdf('NaN', 3)$$,
	'22023', 't must not be NaN', 'cdf: t NaN');
SELECT throws_ok($$SELECT custseg.student_t_cdf('Infinity', 3)$$,
	'22003', 't must be finite', 'cdf: t Infinity');
SELECT throws_ok($$SELECT custseg.student_t_quantile(0, 3)$$,
	'22023', 'probability must be between 0 and 1 (exclusive), not 0', 'quantile: p 0');
SELECT throws_ok($$SELECT custseg.student_t_quantile(1, 3)$$,
	'22023', 'probability must be between 0 and 1 (exclusive), not 1', 'quantile: p 1');
SELECT throws_ok($$SELECT custseg.student_t_quantile(0.5, -1)$$,
	'22023', 'degrees of freedom must be positive, not -1', 'quantile: negative df');
SELECT throws_ok($$SELECT custseg.student_t_quantile(1e-300, 0.01)$$,
	'22003', 'the t quantile is too large to represent', 'quantile beyond float8');

-- uplift.
SELECT is((SELECT format('%s %s %s', (u).treated_size, (u).control_size, (u).p_value IS NULL)
		   FROM (SELECT custseg.uplift(t, 1) AS u FROM (VALUES (true)) v(t) WHERE false) s),
	'0 0 t', 'no rows: sizes 0, NULL statistics');
SELECT is((SELECT format('%s %s %s', (u).treated_size, (u).control_size, (u).absolute_lift IS NULL)
		   FROM (SELECT custseg.uplift(true, o) AS u FROM (VALUES (1), (0)) v(o)) s),
	'2 0 t', 'no control rows: NULL statistics');
SELECT is((SELECT format('%s %s %s', (u).treated_size, (u).control_size, (u).p_value IS NULL)
		   FROM (SELECT custseg.uplift(t, o) AS u FROM (VALUES (true, 2.5), (false, 1), (false, 3)) v(t, o)) s),
	'1 2 t', 'Welch with one treated row: NULL statistics');
SELECT throws_ok($$SELECT custseg.uplift(true, 1, NULL::text)$$,
	'22004', 'stratum must not be NULL', 'NULL stratum');
SELECT throws_ok($$SELECT custseg.uplift_cuped(true, 1, NULL::float8)$$,
	'22004', 'covariate must not be NULL', 'NULL covariate');
SELECT throws_ok($$SELECT custseg.uplift_cuped(true, 1, 'NaN'::float8)$$,
	'22023', 'covariate must not be NaN', 'NaN covariate');
SELECT throws_ok($$SELECT '{"kind": "plain", "binary": true}'::custseg.uplift_sums$$,
	'22P02', NULL, 'uplift_sums: truncated');
SELECT throws_ok($$SELECT custseg.uplift_sums_combine('{"kind": "plain", "binary": true, "strata": []}', '{"kind": "plain", "binary": true, "strata": []}')$$,
	'0A000', 'uplift_sums_combine called in non-aggregate context', 'combine function outside an aggregate');
SELECT throws_ok($$SELECT custseg.holdout_size(0.5, 0.1, 0.5, 1.5)$$,
	'22023', 'alpha must be between 0 and 1 (exclusive), not 1.5', 'alpha outside (0, 1)');
SELECT throws_ok($$SELECT custseg.holdout_size(0.5, 0.1, 0.5, 0.05, 0)$$,
	'22023', 'power must be between 0 and 1 (exclusive), not 0', 'power outside (0, 1)');
SELECT throws_ok($$SELECT custseg.holdout_size(NULL, 0.1)$$,
	'22004', 'baseline rate must not be NULL', 'NULL baseline rate');
SELECT throws_ok($$SELECT custseg.holdout_size_mean(-2, 0.1)$$,
	'22023', 'standard deviation must be positive, not -2', 'negative standard deviation');
SELECT throws_ok($$SELECT custseg.detectable_lift(0.1, -5, 10)$$,
	'22023', 'treated size must be at least 1, not -5', 'negative size');
SELECT throws_ok($$SELECT custseg.holdout_size(0.5, 1e-12)$$,
	'22003', 'the sizes needed are too large to represent', 'a lift too small to plan for');
SELECT throws_ok($$SELECT custseg.normal_quantile(1)$$,
	'22023', 'probability must be between 0 and 1 (exclusive), not 1', 'normal quantile at 1');
SELECT throws_ok($$SELECT custseg.holm(p) OVER () FROM (VALUES (2.0)) v(p)$$,
	'22023', 'p-value must be between 0 and 1, not 2', 'holm: a p-value above 1');
SELECT throws_ok($$SELECT custseg.uplift(NULL, 1)$$,
	'22004', 'treated must not be NULL', 'NULL treated');
SELECT throws_ok($$SELECT custseg.uplift(true, NULL)$$,
	'22004', 'outcome must not be NULL', 'NULL outcome');
SELECT throws_ok($$SELECT custseg.uplift(true, 'NaN')$$,
	'22023', 'outcome must not be NaN', 'NaN outcome');
SELECT throws_ok($$SELECT custseg.uplift(false, '-Infinity')$$,
	'22003', 'outcome must be finite', 'infinite outcome');
SELECT throws_ok($$SELECT custseg.uplift(t, o) FROM (VALUES (true, 1e308), (true, 1e308)) v(t, o)$$,
	'22003', 'outcomes are too large to aggregate', 'overflowing outcomes');
SELECT throws_ok($$SELECT custseg.uplift_sums_accum(NULL, true, 1)$$,
	'0A000', 'uplift_sums_accum called in non-aggregate context', 'transition function outside an aggregate');
SELECT throws_ok($$SELECT '{"binary": true, "treated": [1, 0.5, 0], "control": [0, 0, 0]}'::custseg.uplift_state$$,
	'22P02', NULL, 'state: binary with a fractional sum');
SELECT throws_ok($$SELECT '{"binary": true}'::custseg.uplift_state$$,
	'22P02', NULL, 'state: truncated');
-- pooled p = 1/3, SE = sqrt(1/3 * 2/3 * (1 + 1/2)) = sqrt(1/3), z = sqrt(3),
-- p = erfc(sqrt(3/2)) = 0.0832645; the unpooled SE is 0: no interval.
SELECT is((SELECT format('%s %s %s %s %s %s', (u).test, (u).treated_size, (u).control_size,
						 round((u).p_value::numeric, 9), round((u).statistic::numeric, 9),
						 (u).ci_low IS NULL AND (u).relative_lift IS NULL)
		   FROM (SELECT custseg.uplift(t, o) AS u FROM (VALUES (true, 1), (false, 0), (false, 0)) v(t, o)) s),
	'two-proportion z-test 1 2 0.083264517 1.732050808 t',
	'uplift with a single treated 0/1 row');
SELECT is((SELECT (custseg.uplift(i % 3 = 0, i % 5)).relative_lift IS NULL FROM generate_series(1, 30) i),
	false, 'a relative lift when the control mean is not 0');
SELECT ok((SELECT s::text = (s::text)::custseg.uplift_state::text
		   FROM (VALUES ('{"binary": false, "treated": [3, 0.30000000000000004, 5e-324], "control": [2, -1.7976931348623157e308, 0]}'::custseg.uplift_state)) v(s)),
	'the state text form round-trips');

SELECT * FROM finish();
ROLLBACK;
