-- The simple CLV formulas: SQLSTATEs of every error, labels.
BEGIN;
SELECT plan(18);

SELECT is(custseg.clv_historical(200::float8, 0.25), 50::float8, 'historical value');
SELECT ok(abs(custseg.clv_retention(100, 0.8, 0.1) - 800 / 3.0) < 1e-12, 'retention formula');
SELECT throws_ok($$SELECT custseg.clv_historical('NaN'::float8)$$,
	'22023', 'revenue must not be NaN', 'NaN revenue');
SELECT throws_ok($$SELECT custseg.clv_historical('-Infinity'::float8)$$,
	'22003', 'revenue must be finite', 'infinite revenue');
SELECT throws_ok($$SELECT custseg.clv_historical(10::float8, 'Infinity')$$,
	'22003', 'margin must be finite', 'infinite margin');
SELECT throws_ok($$SELECT custseg.clv_historical(10::float8, -0.5)$$,
	'22023', 'margin must not be negative', 'negative margin');
SELECT throws_ok($$SELECT custseg.clv_historical(custseg.summarize(date '2020-01-01', 10, date '2020-12-31'), -2)$$,
	'22023', 'margin must not be negative', 'summary form: negative margin');
SELECT throws_ok($$SELECT custseg.clv_retention(10, 1, 0)$$,
	'22023', 'retention_rate must be at least 0 and below 1, not 1', 'retention rate 1');
SELECT throws_ok($$SELECT custseg.clv_retention(10, -0.2, 0)$$,
	'22023', 'retention_rate must be at least 0 and below 1, not -0.2', 'negative retention rate');
SELECT throws_ok($$SELECT custseg.clv_retention(10, 0.5, -1)$$,
	'22023', 'discount_rate must not be negative, not -1', 'negative discount rate');
SELECT throws_ok($$SELECT custseg.clv_retention('Infinity', 0.5, 0.1)$$,
	'22003', 'margin must be finite', 'infinite margin');
SELECT throws_ok($$SELECT custseg.clv_retention(10, 'NaN', 0.1)$$,
	'22023', 'retention_rate must not be NaN', 'NaN retention rate');
SELECT throws_ok($$SELECT custseg.clv_retention(10, 0.5, 'NaN')$$,
	'22023', 'discount_rate must not be NaN', 'NaN discount rate');
SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace
			 AND proname IN ('clv_historical', 'clv_retention')
			 AND provolatile = 'i' AND proisstrict AND proparallel = 's'), 3,
	'clv_historical (2 forms) and clv_retention are IMMUTABLE STRICT PARALLEL SAFE');
SELECT is(custseg.clv_historical(custseg.summarize(d, a, date '2020-12-31'), 0.5), 45::float8,
	'summary form: half of the revenue')
FROM (VALUES (date '2020-01-01', 100), (date '2020-02-01', -10)) v(d, a);

-- finite arguments whose result is beyond float8: an error, not Infinity
SELECT throws_ok($$SELECT custseg.clv_historical(1e300::float8, 1e300)$$,
	'22003', 'the CLV is out of the range of float8', 'historical value beyond float8');
SELECT throws_ok($$SELECT custseg.clv_historical(custseg.summarize(date '2020-01-01', 1e300::float8, date '2020-12-31'), 1e10)$$,
	'22003', 'the CLV is out of the range of float8', 'summary form: historical value beyond float8');
SELECT throws_ok($$SELECT custseg.clv_retention(-1e308, 0.9999999999999999, 0)$$,
	'22003', 'the CLV is out of the range of float8', 'retention value beyond float8');

SELECT * FROM finish();
ROLLBACK;
