-- BG/BB: custseg.clv against brute force, against expected_purchases, over
-- long horizons, on the donations model, and bad input.
SET extra_float_digits = 0;

CREATE TABLE bbc AS
SELECT ROW(1.2, 0.75, 0.66, 2.78, 0, 1, true, 1, NULL, NULL, NULL)::custseg.bgbb AS m,
	   ROW(6.25, 3.74, 15.44, 0, 946, true, 10, NULL, NULL, NULL)::custseg.gammagamma AS g;

-- Discounted expected purchases (the CLV divided by the expected spend, with
-- margin 1) against values computed outside the extension by
-- test/data/bgbb_clv_brute_force.py: every death time and every purchase
-- sequence over the horizon enumerated with exact Beta moments; "inf" rows by
-- its hypergeometric closed form of the infinite sum.
SELECT x, t_x, n, h, r,
	   round((custseg.clv(m, g, x, t_x, n, 10, h, r) / custseg.expected_spend(g, x, 10))::numeric, 6)
		 AS discounted_purchases,
	   abs(custseg.clv(m, g, x, t_x, n, 10, h, r) / custseg.expected_spend(g, x, 10) / e - 1) < 1e-12
		 AS brute_force
FROM bbc,
	 (VALUES (3, 4, 6, 5, 0.1, 0.789907257797122), (0, 0, 6, 5, 0.1, 0.0554797944853793),
			 (1, 1, 6, 5, 0.1, 0.0653079310632556), (1, 6, 6, 5, 0.1, 0.877924348437419),
			 (6, 6, 6, 5, 0.1, 2.87320695852246), (3, 4, 6, 8, 0.25, 0.676761136435147),
			 (3, 4, 6, 1, 0.1, 0.210525350400982), (2, 3, 4, 6, 0.05, 1.59948179014096),
			 -- "inf": any horizon past the point where the rest is below 1e-17
			 (3, 4, 6, 9000000000000000000, 0.1, 1.62137918584262),
			 (6, 6, 6, 100000, 0.1, 5.89760115910087),
			 (0, 0, 6, 100000, 0.01, 0.511832347872283)) v(x, t_x, n, h, r, e)
ORDER BY r, x, t_x, h;

-- gamma = 1 (model (0.5, 3, 1, 1.5)), brute force and infinite sum.
SELECT abs(custseg.clv(m, g, 3, 4, 6, 10, 4, 0.1) / custseg.expected_spend(g, 3, 10)
		   / 0.465085696540977 - 1) < 1e-12 AS brute_force,
	   abs(custseg.clv(m, g, 3, 4, 6, 10, 1000000, 0.1) / custseg.expected_spend(g, 3, 10)
		   / 0.97152499676954 - 1) < 1e-12 AS infinite
FROM (SELECT ROW(0.5, 3, 1, 1.5, 0, 1, true, 1, NULL, NULL, NULL)::custseg.bgbb AS m, g FROM bbc) s;

-- Rate 0: exactly margin * expected spend * expected_purchases, up to the
-- rounding of the products, for horizons summed term by term (<= 1,000)
-- and in closed form (more).
SELECT h, abs(custseg.clv(m, g, 3, 4, 6, 10, h, 0, 0.3)
			  / (custseg.expected_purchases(m, h, 3, 4, 6) * custseg.expected_spend(g, 3, 10) * 0.3)
			  - 1) < 4e-16 AS equals_expected_purchases
FROM bbc, (VALUES (1), (5), (1000), (1001), (5000), (100000), (2000000000)) v(h)
ORDER BY h;

-- A rate of 1e-15 per opportunity (the sum taken term by term) is within
-- 1e-15 * h of rate 0 (the closed form beyond 1,000 opportunities, itself
-- good to about 1e-10 at 100,000).
SELECT h, abs(custseg.clv(m, g, 3, 4, 6, 10, h, 1e-15)
			  / custseg.clv(m, g, 3, 4, 6, 10, h, 0) - 1) < 1e-15 * h + 2e-10 * (h > 1000)::int
		 AS near_rate_0
FROM bbc, (VALUES (5), (1000), (5000), (100000)) v(h)
ORDER BY h;

-- Over 5,000 opportunities at 0.1 % each, against the sum taken in SQL:
-- alpha etc. of the model, prod_j (delta + n + j) / (gamma + delta + n + j)
-- in logs, discounted.
SELECT abs(custseg.clv(m, g, 3, 4, 6, 10, 5000, 0.001)
		   / custseg.clv(m, g, 3, 4, 6, 10, 1, 0) * (8.78 / 9.44) / s - 1) < 1e-9 AS sql_sum
FROM bbc,
	 (SELECT sum(exp(lp - (j + 1) * ln(1.001))) AS s
	  FROM (SELECT j, sum(ln((8.78 + j) / (9.44 + j))) OVER (ORDER BY j) AS lp
			FROM generate_series(0, 4999) j) t) u;

-- More value with a longer horizon, a lower rate, more recent purchases,
-- proportional to the margin; zero horizon or margin 0: 0.
SELECT bool_and(c2 > c1) AS grows_with_horizon
FROM (SELECT custseg.clv(m, g, 3, 4, 6, 10, h, 0.1) AS c1,
			 custseg.clv(m, g, 3, 4, 6, 10, h + 1, 0.1) AS c2
	  FROM bbc, generate_series(0, 50) h) s;
SELECT custseg.clv(m, g, 3, 4, 6, 10, 10, 0.05) > custseg.clv(m, g, 3, 4, 6, 10, 10, 0.1) AS lower_rate_more,
	   custseg.clv(m, g, 3, 6, 6, 10, 10, 0.1) > custseg.clv(m, g, 3, 4, 6, 10, 10, 0.1) AS recent_more,
	   abs(custseg.clv(m, g, 3, 4, 6, 10, 10, 0.1, 0.3) / custseg.clv(m, g, 3, 4, 6, 10, 10, 0.1) - 0.3)
		 < 1e-15 AS margin_scales,
	   custseg.clv(m, g, 3, 4, 6, 10, 0, 0.1) AS zero_horizon,
	   custseg.clv(m, g, 3, 4, 6, 10, 10, 0.1, 0) AS zero_margin
FROM bbc;

-- Heavy and long histories stay finite.
SELECT custseg.clv(m, g, 9000, 9990, 10000, 25, 100, 0.01) BETWEEN 0 AND 100 * 30 AS finite_heavy,
	   custseg.clv(m, g, 1, 1, 100000, 25, 1000000, 0.0001) >= 0 AS finite_long
FROM bbc;

-- The donations model (test/data/donations.csv): the value of the next 10
-- yearly campaigns at 10 % a campaign, a gift worth 50 on average
-- (Gamma-Gamma p 6, q 4, gamma 150: the spend model here is made up), margin 1.
CREATE TABLE bbc_donations (x bigint, t_x bigint, n bigint, donors bigint);
\copy bbc_donations FROM 'test/data/donations.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE bbc_donor_model AS
SELECT custseg.bgbb_fit(x, t_x, n, donors) AS m,
	   ROW(6, 4, 150, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma AS g
FROM bbc_donations;
SELECT x, t_x, n,
	   round(custseg.expected_purchases(m, 10, x, t_x, n)::numeric, 4) AS next_10,
	   round(custseg.clv(m, g, x, t_x, n, 50, 10, 0)::numeric, 2) AS value_undiscounted,
	   round(custseg.clv(m, g, x, t_x, n, 50, 10, 0.1)::numeric, 2) AS value_10_pct
FROM bbc_donor_model, (VALUES (6, 6, 6), (3, 6, 6), (3, 3, 6), (1, 1, 6), (0, 0, 6)) v(x, t_x, n)
ORDER BY x DESC, t_x DESC;

-- Bad input: the history, the horizon, the rate, the margin, the models.
SELECT custseg.clv(m, g, 3, 2, 6, 10, 5, 0.1) FROM bbc;
SELECT custseg.clv(m, g, 0, 2, 6, 10, 5, 0.1) FROM bbc;
SELECT custseg.clv(m, g, -1, 0, 6, 10, 5, 0.1) FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 3000000000, 10, 5, 0.1) FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, 10, -1, 0.1) FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, -0.1) FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 'NaN') FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 'Infinity') FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 0.1, -0.3) FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, 10, 5, 0.1, 'NaN') FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, -10, 5, 0.1) FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, 'Infinity', 5, 0.1) FROM bbc;
SELECT custseg.clv(m, g, 1, 1, 6, 10, 100000000, 1e-9) FROM bbc;
SELECT custseg.clv(m, ROW(6, 1, 15, 0, 1, true, 1, NULL, NULL, NULL)::custseg.gammagamma, 0, 0, 6, 0, 5, 0.1) FROM bbc;
SELECT custseg.clv(ROW(1, 1, 0, 1, 0, 1, true, 1, NULL, NULL, NULL)::custseg.bgbb, g, 1, 1, 6, 10, 5, 0.1) FROM bbc;
SELECT custseg.clv(m, NULL, 1, 1, 6, 10, 5, 0.1) IS NULL AS strict FROM bbc;

DROP TABLE bbc, bbc_donations, bbc_donor_model;
