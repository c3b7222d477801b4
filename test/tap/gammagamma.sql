-- Gamma-Gamma: SQLSTATEs of every error, the labels of the functions, the fit.
BEGIN;
SELECT plan(28);

CREATE TEMP TABLE gg (id int, x bigint, t_x float8, t float8, s float8);
\copy gg FROM 'test/data/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER)
CREATE TEMP TABLE ggm AS SELECT custseg.gammagamma_fit(x, s) AS m FROM gg;

SELECT ok((SELECT (m).converged AND (m).customers = 946 FROM ggm), 'fit converges on the 946 CDNOW repeat buyers');
SELECT ok((SELECT custseg.expected_spend(m, 3, 40) BETWEEN 0 AND 1e6 FROM ggm), 'expected spend is finite');
SELECT is((SELECT custseg.gammagamma_fit(x, s) FROM gg WHERE x > 100), NULL, 'empty input gives NULL');

-- the fit
SELECT throws_ok($$SELECT custseg.gammagamma_fit(-1::bigint, 10::float8)$$,
	'22023', 'x must not be negative', 'fit: negative x');
SELECT throws_ok($$SELECT custseg.gammagamma_fit(2::bigint, 'NaN'::float8)$$,
	'22023', 'mean_spend must not be NaN', 'fit: NaN mean spend');
SELECT throws_ok($$SELECT custseg.gammagamma_fit(2::bigint, '-Infinity'::float8)$$,
	'22003', 'mean_spend must be finite', 'fit: infinite mean spend');
SELECT throws_ok($$SELECT custseg.gammagamma_fit(2::bigint, 0::float8)$$,
	'22023', 'mean_spend must be positive for a customer with repeat purchases', 'fit: zero mean spend');
SELECT throws_ok($$SELECT custseg.gammagamma_final('{"kind":"bgbb","cells":[[1,1,6,1]]}')$$,
	'22023', 'custseg.fit_state holds "bgbb" cells, not "spend" cells', 'fit: a state of another kind');
SELECT is((SELECT custseg.gammagamma_fit(0::bigint, 0::float8)), NULL, 'fit: x = 0 is skipped');

-- expected_spend
SELECT throws_ok($$SELECT custseg.expected_spend(m, -1, 10) FROM ggm$$,
	'22023', 'x must not be negative', 'negative x');
SELECT throws_ok($$SELECT custseg.expected_spend(m, 1, 'NaN') FROM ggm$$,
	'22023', 'mean_spend must not be NaN', 'NaN mean spend');
SELECT throws_ok($$SELECT custseg.expected_spend(m, 1, 'Infinity') FROM ggm$$,
	'22003', 'mean_spend must be finite', 'infinite mean spend');
SELECT throws_ok($$SELECT custseg.expected_spend(m, 1, -2) FROM ggm$$,
	'22023', 'mean_spend must not be negative', 'negative mean spend');
SELECT is((SELECT custseg.expected_spend(m, 1, 0) FROM ggm),
	(SELECT (m).p * (m).gamma / ((m).p + (m).q - 1) FROM ggm),
	'a repeat buyer with mean spend 0 (refunded): p gamma / (p x + q - 1)');
SELECT lives_ok($$SELECT custseg.expected_spend(m, 0, 0) FROM ggm$$,
	'zero mean spend without repeat purchases');
SELECT throws_ok($$SELECT custseg.expected_spend(ROW(2, 0.8, 10, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 0, 0)$$,
	'22003', 'expected spend is infinite for x = 0 under a model with p = 2, q = 0.8', 'q <= 1 and x = 0');
SELECT is(custseg.expected_spend(ROW(2, 0.8, 10, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 5),
	2 * (10 + 5) / (2 + 0.8 - 1)::float8, 'q <= 1 and x = 1: finite');
SELECT throws_ok($$SELECT custseg.expected_spend(m, 1000, 1e306) FROM ggm$$,
	'22003', 'expected spend is out of the range of float8', 'expected spend beyond float8');
SELECT throws_ok($$SELECT custseg.expected_spend(ROW(0, 2, 10, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 1, 5)$$,
	'22023', 'custseg.gammagamma parameter p must be positive and finite, not 0', 'zero parameter in the model');

-- labels
SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE oid = 'custseg.expected_spend(custseg.gammagamma, bigint, float8)'::regprocedure
			 AND provolatile = 'i' AND proisstrict AND proparallel = 's'), 1,
	'expected_spend is IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE oid = 'custseg.gammagamma_final(custseg.fit_state)'::regprocedure
			 AND provolatile = 'i' AND proisstrict AND proparallel = 's'), 1,
	'gammagamma_final is IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		   WHERE p.pronamespace = 'custseg'::regnamespace AND p.proname = 'gammagamma_fit'
			 AND a.aggcombinefn <> 0 AND p.proparallel = 's'), 4,
	'the four gammagamma_fit aggregates combine and are PARALLEL SAFE');
SELECT is((SELECT aggtranstype::regtype FROM pg_aggregate
		   WHERE aggfnoid = 'custseg.gammagamma_fit(bigint, float8)'::regprocedure),
	'custseg.fit_state'::regtype, 'the state is custseg.fit_state, not internal');
SELECT is((SELECT aggtranstype::regtype FROM pg_aggregate
		   WHERE aggfnoid = 'custseg.gammagamma_fit(custseg.customer_summary)'::regprocedure),
	'custseg.fit_state'::regtype, 'the summary form has the same state');
SELECT has_type('custseg', 'gammagamma', 'type custseg.gammagamma');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
		   WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = 'custseg.gammagamma'::regtype)
			 AND attnum > 0),
	ARRAY['p', 'q', 'gamma', 'log_likelihood', 'customers', 'converged', 'iterations',
		  'penalty', 'start_values', 'information'],
	'fields of custseg.gammagamma');

-- the summary form skips customers without repeat purchases
SELECT is((SELECT (custseg.gammagamma_fit(s)).customers
		   FROM (SELECT custseg.summarize(d, 10.0 + i, date '2020-12-31') AS s
				 FROM generate_series(1, 30) i,
					  LATERAL (SELECT date '2020-01-01' + (i * k) % 300 AS d
							   FROM generate_series(0, i % 4) k) days
				 GROUP BY i) x),
	(SELECT count(*) FROM generate_series(1, 30) i WHERE i % 4 > 0),
	'summary form: customers with a repeat purchase');
SELECT ok((SELECT custseg.gammagamma_fit(s) IS NULL
		   FROM (SELECT custseg.summarize(date '2020-01-01', 10.0, date '2020-12-31') AS s) x),
	'summary form: one-time buyers only give NULL');

SELECT * FROM finish();
ROLLBACK;
