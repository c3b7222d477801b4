-- BG/BB: SQLSTATEs of every error of the predictions, the labels of the functions.
BEGIN;
SELECT plan(51);

CREATE TEMP TABLE bbm AS SELECT ROW(1.2, 0.75, 0.66, 2.78, 0, 1, true, 1, NULL, NULL, NULL)::custseg.bgbb AS m,
	ROW(6.25, 3.74, 15.44, 0, 946, true, 10, NULL, NULL, NULL)::custseg.gammagamma AS g;

SELECT throws_ok($$SELECT custseg.expected_purchases(m, -1) FROM bbm$$,
	'22023', 'horizon must not be negative', 'new customer: negative horizon');
SELECT throws_ok($$SELECT custseg.expected_purchases(m, -5, 1, 1, 6) FROM bbm$$,
	'22023', 'horizon must not be negative', 'negative horizon');
SELECT throws_ok($$SELECT custseg.expected_purchases(m, 5, -1, 0, 6) FROM bbm$$,
	'22023', 'x, t_x and n must not be negative', 'negative x');
SELECT throws_ok($$SELECT custseg.expected_purchases(m, 5, 0, -1, 6) FROM bbm$$,
	'22023', 'x, t_x and n must not be negative', 'negative t_x');
SELECT throws_ok($$SELECT custseg.expected_purchases(m, 5, 0, 0, -6) FROM bbm$$,
	'22023', 'x, t_x and n must not be negative', 'negative n');
SELECT throws_ok($$SELECT custseg.expected_purchases(m, 5, 3, 2, 6) FROM bbm$$,
	'22023', 'x, t_x and n must satisfy x <= t_x <= n, not x = 3, t_x = 2, n = 6', 'x > t_x');
SELECT throws_ok($$SELECT custseg.p_alive(m, 3, 7, 6) FROM bbm$$,
	'22023', 'x, t_x and n must satisfy x <= t_x <= n, not x = 3, t_x = 7, n = 6', 't_x > n');
SELECT throws_ok($$SELECT custseg.p_alive(m, 0, 2, 6) FROM bbm$$,
	'22023', 't_x must be 0 exactly when x is 0', 'last purchase without purchases');
SELECT throws_ok($$SELECT custseg.p_alive(m, 2, 0, 6) FROM bbm$$,
	'22023', 'x, t_x and n must satisfy x <= t_x <= n, not x = 2, t_x = 0, n = 6', 'purchases without a last one');
SELECT throws_ok($$SELECT custseg.p_alive(m, 1, 1, 3000000000) FROM bbm$$,
	'54000', 'n must be at most 100000, not 3000000000', 'too many opportunities');
SELECT throws_ok($$SELECT custseg.purchase_probability(m, -1, 6) FROM bbm$$,
	'22023', 'k must not be negative', 'negative k');
SELECT throws_ok($$SELECT custseg.purchase_probability(m, 1, -1) FROM bbm$$,
	'22023', 'n must not be negative', 'negative n');
SELECT throws_ok($$SELECT custseg.purchase_probability(m, 1, 3000000000) FROM bbm$$,
	'54000', 'n must be at most 100000, not 3000000000', 'purchase_probability: too many opportunities');
SELECT throws_ok($$SELECT custseg.p_alive(ROW(1, 1, 0, 1, 0, 1, true, 1, NULL, NULL, NULL)::custseg.bgbb, 1, 1, 6)$$,
	'22023', 'custseg.bgbb parameter gamma must be positive and finite, not 0', 'zero parameter in the model');
SELECT throws_ok($$SELECT custseg.p_alive(ROW(1, 1, 'NaN', 1, 0, 1, true, 1, NULL, NULL, NULL)::custseg.bgbb, 1, 1, 6)$$,
	'22023', 'custseg.bgbb parameter gamma must be positive and finite, not NaN', 'NaN parameter in the model');

-- clv
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, -1, 0.1) FROM bbm$$,
	'22023', 'horizon must not be negative', 'clv: negative horizon');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, -0.1) FROM bbm$$,
	'22023', 'discount_rate_per_opportunity must not be negative', 'clv: negative rate');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 'NaN') FROM bbm$$,
	'22023', 'discount_rate_per_opportunity must not be NaN', 'clv: NaN rate');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 'Infinity') FROM bbm$$,
	'22003', 'discount_rate_per_opportunity must be finite', 'clv: infinite rate');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, '-Infinity') FROM bbm$$,
	'22003', 'discount_rate_per_opportunity must be finite', 'clv: -infinite rate');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 0.1, -0.3) FROM bbm$$,
	'22023', 'margin must not be negative', 'clv: negative margin');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 0.1, 'NaN') FROM bbm$$,
	'22023', 'margin must not be NaN', 'clv: NaN margin');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 0.1, 'Infinity') FROM bbm$$,
	'22003', 'margin must be finite', 'clv: infinite margin');
SELECT throws_ok($$SELECT custseg.clv(m, g, 3, 2, 6, 10, 5, 0.1) FROM bbm$$,
	'22023', 'x, t_x and n must satisfy x <= t_x <= n, not x = 3, t_x = 2, n = 6', 'clv: x > t_x');
SELECT throws_ok($$SELECT custseg.clv(m, g, 0, 2, 6, 10, 5, 0.1) FROM bbm$$,
	'22023', 't_x must be 0 exactly when x is 0', 'clv: last purchase without purchases');
SELECT throws_ok($$SELECT custseg.clv(m, g, 0, 0, -6, 10, 5, 0.1) FROM bbm$$,
	'22023', 'x, t_x and n must not be negative', 'clv: negative n');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 3000000000, 10, 5, 0.1) FROM bbm$$,
	'54000', 'n must be at most 100000, not 3000000000', 'clv: too many opportunities');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, 10, 100000000, 1e-9) FROM bbm$$,
	'54000', 'the discounted sum over 100000000 opportunities needs more than 10000000 terms at discount_rate_per_opportunity 1e-09',
	'clv: too long a sum');
SELECT throws_ok($$SELECT custseg.clv(m, g, 1, 1, 6, -10, 5, 0.1) FROM bbm$$,
	'22023', 'mean_spend must not be negative', 'clv: negative spend');
SELECT throws_ok($$SELECT custseg.clv(m, ROW(6, 1, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 0, 0, 6, 0, 5, 0.1) FROM bbm$$,
	'22003', 'expected spend is infinite for x = 0 under a model with p = 6, q = 1', 'clv: q <= 1 and no repeat purchase');
SELECT throws_ok($$SELECT custseg.clv(ROW(1, 1, 'NaN', 1, 0, 1, true, 1, NULL, NULL, NULL)::custseg.bgbb, g, 1, 1, 6, 10, 5, 0.1) FROM bbm$$,
	'22023', 'custseg.bgbb parameter gamma must be positive and finite, not NaN', 'clv: NaN parameter in the model');

-- the fit
SELECT throws_ok($$SELECT custseg.bgbb_fit(1, 2, 1)$$,
	'22023', 'x, t_x and n must satisfy x <= t_x <= n, not x = 1, t_x = 2, n = 1', 'fit: t_x > n');
SELECT throws_ok($$SELECT custseg.bgbb_fit(-1, 0, 1)$$,
	'22023', 'x, t_x and n must not be negative', 'fit: negative x');
SELECT throws_ok($$SELECT custseg.bgbb_fit(1, 1, 6, -2)$$,
	'22023', 'weight must not be negative', 'fit: negative weight');
SELECT throws_ok($$SELECT custseg.bgbb_final('{"kind":"bgbb","cells":[[1,1,3000000000,1]]}')$$,
	'54000', 'n must be at most 100000, not 3000000000', 'fit: too many opportunities');
SELECT is((SELECT custseg.bgbb_fit(1, 1, 6, 0)), NULL, 'fit: weight 0 is skipped');

-- values that need no fit
SELECT is((SELECT custseg.expected_purchases(m, 0, 2, 3, 6) FROM bbm), 0::float8, 'no future opportunity, no purchase');
SELECT is((SELECT custseg.purchase_probability(m, 7, 6) FROM bbm), 0::float8, 'more purchases than opportunities');
SELECT is((SELECT custseg.purchase_probability(m, 0, 0) FROM bbm), 1::float8, 'no opportunity: surely no purchase');
SELECT ok((SELECT abs(custseg.expected_purchases(m, 1) - 1.2 / 1.95 * 2.78 / 3.44) < 1e-12 FROM bbm),
	'one opportunity: E = alpha / (alpha + beta) * delta / (gamma + delta)');

-- labels
SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE oid IN ('custseg.expected_purchases(custseg.bgbb, bigint, bigint, bigint, bigint)'::regprocedure,
						 'custseg.expected_purchases(custseg.bgbb, bigint)'::regprocedure,
						 'custseg.p_alive(custseg.bgbb, bigint, bigint, bigint)'::regprocedure,
						 'custseg.purchase_probability(custseg.bgbb, bigint, bigint)'::regprocedure,
						 'custseg.clv(custseg.bgbb, custseg.gammagamma, bigint, bigint, bigint, float8, bigint, float8, float8)'::regprocedure,
						 'custseg.bgbb_final(custseg.fit_state)'::regprocedure)
			 AND provolatile = 'i' AND proisstrict AND proparallel = 's'), 6,
	'BG/BB functions are IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		   WHERE p.pronamespace = 'custseg'::regnamespace AND p.proname = 'bgbb_fit'
			 AND a.aggcombinefn <> 0 AND p.proparallel = 's'
			 AND a.aggtranstype = 'custseg.fit_state'::regtype), 3,
	'the three bgbb_fit aggregates combine, keep a custseg.fit_state and are PARALLEL SAFE');
SELECT hasnt_function('custseg', 'bgbb_fit', ARRAY['custseg.customer_summary'],
	'no summary form: a summary counts days, not opportunities');
SELECT has_type('custseg', 'bgbb', 'type custseg.bgbb');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
		   WHERE attrelid = (SELECT typrelid FROM pg_type WHERE oid = 'custseg.bgbb'::regtype)
			 AND attnum > 0),
	ARRAY['alpha', 'beta', 'gamma', 'delta', 'log_likelihood', 'customers', 'converged', 'iterations',
		  'penalty', 'start_values', 'information'],
	'fields of custseg.bgbb');
SELECT ok((SELECT (custseg.bgbb_fit(x, t_x, 6, w)).converged
		   FROM (VALUES (0::bigint, 0::bigint, 50::bigint), (1, 1, 20), (1, 4, 10), (2, 5, 12),
						(3, 6, 15), (6, 6, 8), (4, 5, 9)) v(x, t_x, w)),
	'a small fit converges');

SELECT is((SELECT proargnames FROM pg_proc
		   WHERE oid = 'custseg.clv(custseg.bgbb, custseg.gammagamma, bigint, bigint, bigint, float8, bigint, float8, float8)'::regprocedure),
	ARRAY['model', 'gg', 'x', 't_x', 'n', 'mean_spend', 'horizon', 'discount_rate_per_opportunity', 'margin'],
	'clv: the rate is per opportunity, and named so');

-- results that are not finite: an error, not NaN or a NaN clamped to 1
SELECT throws_ok($$SELECT custseg.p_alive((1e308, 1e308, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgbb, 2, 3, 5)$$,
	'22003', 'the probability of being alive is out of the range of float8', 'p_alive: alpha + beta beyond float8');
SELECT throws_ok($$SELECT custseg.purchase_probability((1, 1, 1e308, 1e308, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgbb, 2, 5)$$,
	'22003', 'the purchase probability is out of the range of float8', 'purchase_probability: gamma + delta beyond float8');
SELECT throws_ok($$SELECT custseg.expected_purchases((1e308, 1e308, 1e308, 1e308, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgbb, 5, 2, 3, 5)$$,
	'22003', 'the expected number of purchases is out of the range of float8', 'expected_purchases: parameters beyond float8');
SELECT throws_ok($$SELECT custseg.p_alive((1, 1, 1e308, 1e308, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgbb, 2, 3, 5)$$,
	'22003', 'the probability of being alive is out of the range of float8', 'p_alive: gamma + delta beyond float8');

SELECT * FROM finish();
ROLLBACK;
