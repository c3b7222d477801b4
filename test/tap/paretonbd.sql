-- Pareto/NBD: fit, predictions, labels and errors (SQLSTATEs).
BEGIN;
SELECT plan(37);

CREATE TEMP TABLE pnbd_cdnow (id int, x bigint, t_x float8, t float8);
\copy pnbd_cdnow FROM 'test/data/cdnow_customers_summary.csv' WITH (FORMAT csv, HEADER)
CREATE TEMP TABLE pnbd_fit AS SELECT (custseg.paretonbd_fit(x, t_x * 7, t * 7)).* FROM pnbd_cdnow;
CREATE TEMP TABLE pnbd_model AS
SELECT (0.553, 74.04, 0.606, 81.68, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd AS m,
	   (6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma AS gg;

-- the CDNOW fit in days: the published weekly values times 7
SELECT is(round(r::numeric, 3), 0.553, 'CDNOW r') FROM pnbd_fit;
SELECT is(round((alpha / 7)::numeric, 3), 10.578, 'CDNOW alpha in weeks') FROM pnbd_fit;
SELECT is(round(s::numeric, 3), 0.606, 'CDNOW s') FROM pnbd_fit;
SELECT ok(abs(beta / 7 - 11.669) < 0.0015, 'CDNOW beta in weeks (11.669 published, from unrounded times)') FROM pnbd_fit;
SELECT ok(converged AND customers = 2357 AND iterations BETWEEN 1 AND 500, 'CDNOW fit converged') FROM pnbd_fit;
SELECT is(round((log_likelihood + (SELECT sum(x) FROM pnbd_cdnow) * ln(7))::numeric, 1), -9595.0,
	'CDNOW log-likelihood in weeks') FROM pnbd_fit;

-- predictions against independent integrals (test/sql/paretonbd_predict.sql)
SELECT ok(abs(custseg.p_alive(m, 2, 30.43 * 7, 38.86 * 7) - 0.86916587779580728) < 1e-12,
	'p_alive of CDNOW customer 1') FROM pnbd_model;
SELECT ok(abs(custseg.expected_purchases(m, 273, 2, 30.43 * 7, 38.86 * 7) - 1.4551437631294895) < 1e-12,
	'expected purchases of CDNOW customer 1 in 39 weeks') FROM pnbd_model;
SELECT ok(abs(custseg.purchase_probability(m, 0, 273) - 0.59361490339024006) < 1e-13,
	'P(no purchase in 39 weeks) of a new customer') FROM pnbd_model;
SELECT ok(abs(custseg.p_alive(m, 3000, 270, 273) / 2.4447943628823805e-8 - 1) < 1e-9,
	'p_alive of a heavy buyer') FROM pnbd_model;
SELECT ok(custseg.p_alive(m, 0, 0, 0) = 1, 'a customer who came today is alive') FROM pnbd_model;
SELECT ok(custseg.clv(m, gg, 2, 213.01, 272.02, 30, 365, 0) > custseg.clv(m, gg, 2, 213.01, 272.02, 30, 365, 0.2),
	'discounting lowers the CLV') FROM pnbd_model;

-- labels
SELECT is((SELECT count(*)::int FROM pg_proc p
		   WHERE p.pronamespace = 'custseg'::regnamespace
			 AND p.proname IN ('expected_purchases', 'p_alive', 'purchase_probability', 'clv')
			 AND p.proargtypes[0] = 'custseg.paretonbd'::regtype
			 AND NOT 'text'::regtype = ANY (p.proargtypes::regtype[])
			 AND p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's'), 19,
	'the 19 prediction functions without a text horizon are IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		   WHERE p.proname = 'paretonbd_fit' AND p.proparallel = 's' AND a.aggcombinefn <> 0), 5,
	'the five fit aggregates have a combine function and are PARALLEL SAFE');
SELECT is((SELECT provolatile::text || proisstrict::text FROM pg_proc
		   WHERE proname = 'paretonbd_final'), 'itrue', 'paretonbd_final is IMMUTABLE STRICT');

-- errors
SELECT throws_ok($$SELECT custseg.paretonbd_fit(-1, 0, 1)$$, '22023', 'x must not be negative',
	'negative x');
SELECT throws_ok($$SELECT custseg.paretonbd_fit(1, 2, 1)$$, '22023', 't_x must not be greater than t',
	't_x > t');
SELECT throws_ok($$SELECT custseg.paretonbd_fit(1, -1, 1)$$, '22023', 't_x must not be negative',
	'negative t_x');
SELECT throws_ok($$SELECT custseg.paretonbd_fit(0, 1, 2)$$, '22023', 't_x must be 0 when x is 0',
	't_x without repeat purchases');
SELECT throws_ok($$SELECT custseg.paretonbd_fit(1, 'NaN', 2)$$, '22023', 't_x must not be NaN',
	'NaN t_x');
SELECT throws_ok($$SELECT custseg.paretonbd_fit(1, 1, 'Infinity')$$, '22003', 't must be finite',
	'infinite t');
SELECT throws_ok($$SELECT custseg.p_alive((NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2)$$,
	'22023', 'custseg.paretonbd parameter r must be positive and finite, not NULL', 'NULL parameter');
SELECT throws_ok($$SELECT custseg.p_alive((1, 0, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2)$$,
	'22023', 'custseg.paretonbd parameter alpha must be positive and finite, not 0', 'zero parameter');
SELECT throws_ok($$SELECT custseg.p_alive((1, 1, 1, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2)$$,
	'22023', 'custseg.paretonbd parameter beta must be positive and finite, not Infinity', 'infinite parameter');
SELECT throws_ok($$SELECT custseg.p_alive(m, 1, 3, 2) FROM pnbd_model$$, '22023',
	't_x must not be greater than t', 'p_alive: t_x > t');
SELECT throws_ok($$SELECT custseg.p_alive(m, -1, 0, 2) FROM pnbd_model$$, '22023',
	'x must not be negative', 'p_alive: negative x');
SELECT throws_ok($$SELECT custseg.expected_purchases(m, -1) FROM pnbd_model$$, '22023',
	'horizon must not be negative', 'negative horizon');
SELECT throws_ok($$SELECT custseg.expected_purchases(m, 'NaN'::float8, 1, 1, 2) FROM pnbd_model$$, '22023',
	'horizon must not be NaN', 'NaN horizon');
SELECT throws_ok($$SELECT custseg.expected_purchases(m, interval '-1 day') FROM pnbd_model$$, '22023',
	'horizon must not be negative', 'negative interval');
SELECT throws_ok($$SELECT custseg.purchase_probability(m, -1, 10) FROM pnbd_model$$, '22023',
	'n must not be negative', 'negative n');
SELECT throws_ok($$SELECT custseg.clv(m, (1, 0.5, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma, 0, 0, 2, 0, 365, 0.1) FROM pnbd_model$$,
	'22003', 'expected spend is infinite for x = 0 under a model with p = 1, q = 0.5', 'p x + q <= 1');
SELECT throws_ok($$SELECT custseg.clv(m, gg, 1, 1, 2, -10, 365, 0.1) FROM pnbd_model$$,
	'22023', 'mean_spend must not be negative', 'negative mean spend');
SELECT throws_ok($$SELECT custseg.clv(m, gg, 1, 1, 2, 10, 365, -0.1) FROM pnbd_model$$,
	'22023', 'annual_discount_rate must not be negative', 'negative discount rate');
SELECT throws_ok($$SELECT custseg.clv(m, gg, 1, 1, 2, 10, 365, 0.1, -1) FROM pnbd_model$$,
	'22023', 'margin must not be negative', 'negative margin');
SELECT ok(abs(custseg.p_alive((0.5, 1e9, 0.7, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2)
			  - 0.752897956815740467) < 1e-13, 'alpha / beta = 1e9: p_alive by quadrature (mpmath: 0.7528979568157405)');

-- results that are not finite: an error, not NaN (Min/Max clamps keep a NaN)
SELECT throws_ok($$SELECT custseg.p_alive((1e308, 1, 1e308, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 2, 1, 1e306)$$,
	'22003', 'the probability of being alive is out of the range of float8', 'p_alive: r + s beyond float8');
SELECT throws_ok($$SELECT custseg.purchase_probability((1e300, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 5, 10)$$,
	'22003', 'the purchase probability is out of the range of float8', 'purchase_probability: r = 1e300');

SELECT * FROM finish();
ROLLBACK;
