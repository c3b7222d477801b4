-- Pareto/NBD predictions: expected_purchases, p_alive, purchase_probability
-- and clv for a custseg.paretonbd model.  The reference values were computed
-- independently, by numerical integration of the defining integrals at 30
-- digits (mpmath's quad), not by the series the extension sums.
CREATE TABLE pnbd_m (name text, m custseg.paretonbd);
INSERT INTO pnbd_m VALUES
	-- about the CDNOW fit in days
	('cdnow', (0.553, 74.04, 0.606, 81.68, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)),
	-- alpha < beta swapped: the other branch of the series
	('swapped', (0.553, 81.68, 0.606, 74.04, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)),
	-- alpha = beta: z = 0, closed forms
	('equal', (0.5, 20, 0.8, 20, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)),
	-- s = 1: the expected time alive is a logarithm
	('s_one', (0.553, 74.04, 1.0, 81.68, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)),
	-- alpha and beta 10^4 apart: z close to 1
	('far_alpha', (0.5, 1e4, 0.7, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)),
	('far_beta', (0.5, 1, 0.7, 1e4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL));

CREATE FUNCTION pnbd_close(v float8, ref float8, tol float8 DEFAULT 1e-12)
RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$ SELECT abs(v - ref) <= tol * abs(ref) $$;

-- P(alive) and expected purchases of customers with a history (a heavy
-- buyer's figures are ratios of numbers near 10^-9000: relative error 1e-11).
SELECT c.what, v::numeric(30, 6) AS value, to_char(v, '9.999EEEE') AS sci,
	   pnbd_close(v, ref, tol) AS matches
FROM pnbd_m,
LATERAL (VALUES
	('CDNOW customer 1: p_alive', 'cdnow',
	 custseg.p_alive(m, 2, 30.43 * 7, 38.86 * 7), 0.86916587779580728, 1e-12),
	('CDNOW customer 1: purchases in 273 days', 'cdnow',
	 custseg.expected_purchases(m, 273, 2, 30.43 * 7, 38.86 * 7), 1.4551437631294895, 1e-12),
	('no repeat purchase: p_alive', 'cdnow',
	 custseg.p_alive(m, 0, 0, 273), 0.29445663041601461, 1e-12),
	('no repeat purchase: purchases in 365 days', 'cdnow',
	 custseg.expected_purchases(m, 365, 0, 0, 273), 0.13580943532903386, 1e-12),
	('3000 purchases, last 3 days ago: p_alive', 'cdnow',
	 custseg.p_alive(m, 3000, 270, 273), 2.4447943628823805e-8, 1e-9),
	('3000 purchases: purchases in 30 days', 'cdnow',
	 custseg.expected_purchases(m, 30, 3000, 270, 273), 6.1858576661051802e-6, 1e-9),
	('3000 purchases, last 73 days ago: p_alive', 'cdnow',
	 custseg.p_alive(m, 3000, 200, 273), 7.8101073594198755e-305, 1e-9),
	('3000 purchases, alpha < beta: p_alive', 'swapped',
	 custseg.p_alive(m, 3000, 270, 273), 4.1102726207507999e-8, 1e-9),
	('alpha = beta: p_alive', 'equal',
	 custseg.p_alive(m, 3, 10, 30), 0.40205154780022461, 1e-12),
	('alpha = beta: purchases in 50 days', 'equal',
	 custseg.expected_purchases(m, 50, 3, 10, 30), 1.0462270661833408, 1e-12),
	('s = 1: purchases in 365 days', 's_one',
	 custseg.expected_purchases(m, 365, 2, 100, 200), 1.0484004774537359, 1e-12),
	('alpha 10^4 beta 1: p_alive', 'far_alpha',
	 custseg.p_alive(m, 1, 1, 300), 0.028709408020879332, 1e-12),
	('alpha 1 beta 10^4: p_alive', 'far_beta',
	 custseg.p_alive(m, 1, 1, 300), 0.67438017452820712, 1e-12)
) c(what, model, v, ref, tol)
WHERE pnbd_m.name = c.model;

-- alpha = beta in closed form: 1 / (1 + s / (r + s + x) (((alpha + t) / (alpha + t_x))^(r + s + x) - 1))
SELECT pnbd_close(custseg.p_alive(m, x, t_x, t),
				  1 / (1 + 0.8 / (4.3 + x - 3) * (((20 + t) / (20 + t_x)) ^ (4.3 + x - 3) - 1)))
	   AS closed_form
FROM pnbd_m, (VALUES (1, 5.0, 10.0), (3, 10, 30), (10, 99, 100), (500, 300, 365)) v(x, t_x, t)
WHERE name = 'equal';

-- A purchase on the last day: alive for sure; P(alive) falls as the last
-- purchase recedes and rises with more purchases at the same recency.
SELECT custseg.p_alive(m, 5, 100, 100) AS bought_today,
	   custseg.p_alive(m, 5, 90, 100) > custseg.p_alive(m, 5, 50, 100) AS recent_more_alive,
	   custseg.p_alive(m, 1, 90, 100) > custseg.p_alive(m, 5, 90, 100) AS frequent_recent_more_alive
FROM pnbd_m WHERE name = 'cdnow';

-- A new customer: r beta / (alpha (s - 1)) (1 - (beta / (beta + h))^(s - 1)).
SELECT h, round(custseg.expected_purchases(m, h)::numeric, 6) AS expected,
	   pnbd_close(custseg.expected_purchases(m, h),
				  0.553 * 81.68 / (74.04 * (0.606 - 1)) * (1 - (81.68 / (81.68 + h)) ^ (0.606 - 1))) AS formula
FROM pnbd_m, (VALUES (0.0), (7), (30), (273), (3650)) v(h)
WHERE name = 'cdnow';
-- interval horizons count days (a year of 365.25)
SELECT custseg.expected_purchases(m, interval '39 weeks') = custseg.expected_purchases(m, 273) AS weeks,
	   custseg.expected_purchases(m, interval '1 year') = custseg.expected_purchases(m, 365.25) AS year,
	   custseg.expected_purchases(m, interval '39 weeks', 2, 213.01, 272.02) =
	   custseg.expected_purchases(m, 273, 2, 213.01, 272.02) AS customer_weeks
FROM pnbd_m WHERE name = 'cdnow';
-- a zero horizon: nothing
SELECT custseg.expected_purchases(m, 0), custseg.expected_purchases(m, 0, 2, 10, 20)
FROM pnbd_m WHERE name = 'cdnow';

-- P(X(h) = n) of a new customer (Fader, Hardie & Lee's note on the
-- Pareto/NBD probability mass function), checked against the integrals.
SELECT name, n, round(v::numeric, 8) AS probability, pnbd_close(v, ref, 1e-12) AS matches
FROM (SELECT * FROM pnbd_m WHERE name IN ('cdnow', 'swapped')) pnbd_m,
LATERAL (VALUES
	('cdnow', 0, custseg.purchase_probability(m, 0, 273), 0.59361490339024006),
	('cdnow', 1, custseg.purchase_probability(m, 1, 273), 0.16556235425193592),
	('cdnow', 2, custseg.purchase_probability(m, 2, 273), 0.082487960964880769),
	('cdnow', 10, custseg.purchase_probability(m, 10, 273), 0.0041939943711629319),
	('cdnow', 50, custseg.purchase_probability(m, 50, 273), 1.2115008732822949e-7),
	('swapped', 0, custseg.purchase_probability(m, 0, 273), 0.61855829658821775),
	('swapped', 3, custseg.purchase_probability(m, 3, 273), 0.045600792544947697),
	('swapped', 50, custseg.purchase_probability(m, 50, 273), 4.0533462582464079e-8)
) c(model, n, v, ref)
WHERE pnbd_m.name = c.model
ORDER BY name, n;
-- the probabilities sum to 1 and their mean is the expected number
SELECT name, round(sum(p)::numeric, 12) AS total,
	   pnbd_close(sum(n * p), custseg.expected_purchases(m, 273), 1e-10) AS mean_is_expected
FROM pnbd_m, generate_series(0, 3000) n,
	 LATERAL (SELECT custseg.purchase_probability(m, n, 273) AS p) q
WHERE name IN ('cdnow', 'swapped', 'equal')
GROUP BY name, m ORDER BY name;
-- zero horizon: no purchase for sure; intervals count days
SELECT custseg.purchase_probability(m, 0, 0) AS p0, custseg.purchase_probability(m, 1, 0) AS p1,
	   custseg.purchase_probability(m, 1, interval '39 weeks') =
	   custseg.purchase_probability(m, 1, 273) AS interval_days
FROM pnbd_m WHERE name = 'cdnow';

-- CLV: margin * Gamma-Gamma spend * discounted expected purchases.  Without
-- discounting it is the spend times expected purchases; with it, it agrees
-- with the sum of exp(-delta t) dE(t) over 7300 half-day steps.
CREATE TABLE pnbd_gg AS SELECT (6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma AS gg;
SELECT pnbd_close(custseg.clv(m, gg, 2, 213.01, 272.02, 30.0, 365, 0),
				  6.25 * (15.44 + 2 * 30.0) / (6.25 * 2 + 3.74 - 1) *
				  custseg.expected_purchases(m, 365, 2, 213.01, 272.02)) AS undiscounted,
	   pnbd_close(custseg.clv(m, gg, 2, 213.01, 272.02, 30.0, 365, 0, 0.3),
				  0.3 * custseg.clv(m, gg, 2, 213.01, 272.02, 30.0, 365, 0)) AS margin
FROM pnbd_m, pnbd_gg WHERE name = 'cdnow';
SELECT round(clv::numeric, 4) AS clv, pnbd_close(clv, steps, 1e-7) AS matches_steps
FROM (SELECT custseg.clv(m, gg, 2, 213.01, 272.02, 30.0, 3650, 0.1) AS clv,
			 6.25 * (15.44 + 2 * 30.0) / (6.25 * 2 + 3.74 - 1) *
			 (SELECT sum(exp(-ln(1.1) / 365.25 * (k + 0.5) / 2) *
						 (custseg.expected_purchases(m, (k + 1) / 2.0, 2, 213.01, 272.02) -
						  custseg.expected_purchases(m, k / 2.0, 2, 213.01, 272.02)))
			  FROM generate_series(0, 7299) k) AS steps
	  FROM pnbd_m, pnbd_gg WHERE name = 'cdnow') c;
SELECT custseg.clv(m, gg, 2, 213.01, 272.02, 30.0, interval '10 years', 0.1) =
	   custseg.clv(m, gg, 2, 213.01, 272.02, 30.0, 3652.5, 0.1) AS interval_days
FROM pnbd_m, pnbd_gg WHERE name = 'cdnow';

-- NULL arguments give NULL (the functions are strict).
SELECT custseg.p_alive(NULL::custseg.paretonbd, 1, 1, 2) IS NULL AS null_model,
	   custseg.expected_purchases(m, NULL::float8) IS NULL AS null_horizon,
	   custseg.purchase_probability(m, NULL, 10.0) IS NULL AS null_n
FROM pnbd_m WHERE name = 'cdnow';

-- Bad input.
SELECT custseg.p_alive((NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2);
SELECT custseg.p_alive((1, -1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2);
SELECT custseg.p_alive((1, 1, 'NaN', 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2);
SELECT custseg.p_alive((1, 1, 1, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2);
SELECT custseg.p_alive(m, -1, 0, 2) FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.p_alive(m, 1, 3, 2) FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.p_alive(m, 1, 'NaN', 2) FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.expected_purchases(m, 10, 1, 1, 'Infinity') FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.expected_purchases(m, -1) FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.expected_purchases(m, 'NaN'::float8, 1, 1, 2) FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.expected_purchases(m, interval '-1 day') FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.purchase_probability(m, -1, 10) FROM pnbd_m WHERE name = 'cdnow';
-- q <= 1: a finite mean spend only when p x + q > 1 (as in expected_spend)
SELECT custseg.clv(m, (6.25, 0.9, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma,
				   0, 0, 272.02, 0, 365, 0.1) FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.clv(m, (6.25, 0.9, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma,
				   2, 213.01, 272.02, 30.0, 365, 0.1) > 0 FROM pnbd_m WHERE name = 'cdnow';
SELECT custseg.clv(m, gg, 2, 213.01, 272.02, -1, 365, 0.1) FROM pnbd_m, pnbd_gg WHERE name = 'cdnow';
SELECT custseg.clv(m, gg, 2, 213.01, 272.02, 30.0, 365, -0.1) FROM pnbd_m, pnbd_gg WHERE name = 'cdnow';
SELECT custseg.clv(m, gg, 2, 213.01, 272.02, 30.0, 365, 0.1, -1) FROM pnbd_m, pnbd_gg WHERE name = 'cdnow';
-- parameters too far apart for the series (alpha / beta = 1e9): J(u) by
-- quadrature; against mpmath's quad of J at 30 digits, 0.752897956815740467
SELECT abs(custseg.p_alive((0.5, 1e9, 0.7, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2)
		   - 0.752897956815740467) < 1e-13 AS far_alpha_p_alive;
SELECT custseg.purchase_probability(m, 1, 10) FROM pnbd_m WHERE name = 'far_alpha';

DROP TABLE pnbd_m, pnbd_gg;
DROP FUNCTION pnbd_close(float8, float8, float8);
