-- custseg.summarize: SQLSTATEs of every error, and the functions' labels.
BEGIN;
SELECT plan(26);

CREATE TEMP TABLE o (t date, a numeric);
INSERT INTO o VALUES ('2020-01-01', 10), ('2020-01-02', 20);

SELECT throws_ok($$SELECT custseg.summarize(t, a, NULL::date) FROM o$$,
	'22004', 'as_of must not be NULL', 'NULL as_of');
SELECT throws_ok($$SELECT custseg.summarize(t, a, CASE WHEN a = 10 THEN date '2020-12-31' ELSE date '2021-01-01' END) FROM o$$,
	'22023', 'as_of must be the same for every row of a customer', 'as_of that varies');
SELECT throws_ok($$SELECT custseg.summarize(date '2020-01-01', 'NaN'::numeric, date '2020-12-31')$$,
	'22023', 'amount must not be NaN', 'numeric NaN amount');
SELECT throws_ok($$SELECT custseg.summarize(date '2020-01-01', 'NaN'::float8, date '2020-12-31')$$,
	'22023', 'amount must not be NaN', 'float8 NaN amount');
SELECT throws_ok($$SELECT custseg.summarize(date '2020-01-01', 'Infinity'::numeric, date '2020-12-31')$$,
	'22003', 'amount must be finite', 'numeric infinite amount');
SELECT throws_ok($$SELECT custseg.summarize(date '2020-01-01', '-Infinity'::float8, date '2020-12-31')$$,
	'22003', 'amount must be finite', 'float8 infinite amount');
SELECT throws_ok($$SELECT custseg.summarize('infinity'::date, 1, date '2020-12-31')$$,
	'22008', 'order_time must be finite', 'infinite date');
SELECT throws_ok($$SELECT custseg.summarize('-infinity'::timestamp, 1, timestamp '2020-12-31')$$,
	'22008', 'order_time must be finite', 'infinite timestamp');
SELECT throws_ok($$SELECT custseg.summarize(now(), 1, 'infinity'::timestamptz)$$,
	'22008', 'as_of must be finite', 'infinite as_of');

SELECT throws_ok($$SELECT custseg.summarize(t, 1e308::float8, date '2020-12-31') FROM (VALUES (date '2020-01-01'), (date '2020-01-02')) v(t)$$,
	'22003', 'revenue of a customer is out of range', 'revenue beyond double precision');

-- A NaN amount is an error even after as_of: bad data is never hidden.
SELECT throws_ok($$SELECT custseg.summarize(date '2030-01-01', 'NaN'::float8, date '2020-12-31')$$,
	'22023', 'amount must not be NaN', 'NaN amount after as_of');

SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		   JOIN pg_namespace n ON n.oid = p.pronamespace
		   WHERE n.nspname = 'custseg' AND p.proname = 'summarize'), 12,
	'summarize has 12 overloads: 3 time types by 4 amount types');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		   WHERE p.proname = 'summarize' AND p.pronamespace = 'custseg'::regnamespace
			 AND a.aggcombinefn = 'custseg.summarize_combine'::regproc
			 AND a.aggserialfn = 'custseg.summarize_serialize'::regproc
			 AND a.aggdeserialfn = 'custseg.summarize_deserialize'::regproc
			 AND p.proparallel = 's'), 12,
	'every overload has combine, serialize and deserialize functions and is parallel safe');
SELECT is((SELECT array_agg(DISTINCT provolatile) FROM pg_proc
		   WHERE proname = 'summarize_accum' AND pronamespace = 'custseg'::regnamespace
			 AND proargtypes[1] = 'timestamptz'::regtype), ARRAY['s']::"char"[],
	'the timestamptz transition functions are STABLE (they read TimeZone)');
SELECT is((SELECT array_agg(DISTINCT provolatile) FROM pg_proc
		   WHERE proname = 'summarize_accum' AND pronamespace = 'custseg'::regnamespace
			 AND proargtypes[1] <> 'timestamptz'::regtype), ARRAY['i']::"char"[],
	'the date and timestamp transition functions are IMMUTABLE');
SELECT is((SELECT count(DISTINCT prosrc)::int FROM pg_proc
		   WHERE proname = 'summarize_accum' AND pronamespace = 'custseg'::regnamespace
			 AND prosrc = 'summarize_accum_' || CASE proargtypes[1] WHEN 'date'::regtype THEN 'date'
					WHEN 'timestamp'::regtype THEN 'timestamp' ELSE 'timestamptz' END
				|| '_' || CASE proargtypes[2] WHEN 'numeric'::regtype THEN 'numeric'
					WHEN 'float8'::regtype THEN 'float8' WHEN 'int4'::regtype THEN 'int4' ELSE 'int8' END), 12,
	'every transition function has its own C entry point, named after its types');
SELECT is((SELECT array_agg(DISTINCT prosupport::text) FROM pg_proc
		   WHERE proname = 'summarize_accum' AND pronamespace = 'custseg'::regnamespace),
	ARRAY['custseg.summarize_support'],
	'every transition function has the planner support function that loads the library');
SELECT is(current_setting('custseg.enable_fast_grouping'), 'on',
	'the fast grouping node is on by default');
SELECT throws_ok($$SET custseg.enable_fast_grouping = 'sometimes'$$, '22023', NULL,
	'custseg.enable_fast_grouping is a boolean');
SELECT throws_ok($$SET custseg.no_such_setting = 1$$, '42602', NULL,
	'the custseg. prefix of settings is reserved');
SELECT is((SELECT bool_or(proisstrict) FROM pg_proc
		   WHERE proname IN ('summarize_accum', 'summarize_combine', 'summarize_final')
			 AND pronamespace = 'custseg'::regnamespace), false,
	'transition, combine and final functions are not strict (they handle NULL)');
SELECT is((SELECT bool_and(proisstrict) FROM pg_proc
		   WHERE proname IN ('summarize_serialize', 'summarize_deserialize')
			 AND pronamespace = 'custseg'::regnamespace), true,
	'serialize and deserialize are strict');
SELECT is((SELECT bool_and(proparallel = 's') FROM pg_proc
		   WHERE proname LIKE 'summarize%' AND pronamespace = 'custseg'::regnamespace), true,
	'every summarize support function is PARALLEL SAFE');

SELECT is((SELECT (custseg.summarize(t, a, date '2020-12-31')).orders FROM o), 2::bigint,
	'two orders');
SELECT is((SELECT (custseg.summarize(t, a, date '2020-01-01')).revenue FROM o), 10::float8,
	'orders after as_of are ignored');
SELECT is((SELECT custseg.summarize(t, a, date '2019-12-31') FROM o), NULL,
	'as_of before every order gives NULL');

SELECT * FROM finish();
ROLLBACK;
