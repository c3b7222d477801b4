-- custseg.create_segment_view with CLV columns (docs/views.md): the models
-- are frozen into the view's query; every value equals custseg.clv,
-- custseg.expected_purchases and custseg.p_alive called on the same summary.
\set SHOW_CONTEXT never
\pset null '(null)'
SET TimeZone = 'UTC';

-- The CDNOW sample (test/data/README.md) as orders by day, and customer 9001
-- whose one repeat purchase was more than refunded: repeat spend -25.
CREATE TABLE views_clv_raw (line text);
\copy views_clv_raw FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE views_clv_orders AS
SELECT f[2]::int AS customer, to_date(f[3], 'YYYYMMDD') AS day, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM views_clv_raw) AS s;
INSERT INTO views_clv_orders VALUES
	(9001, '1997-01-10', 20), (9001, '1997-02-10', 15), (9001, '1997-03-10', -40);
CREATE TABLE views_clv_summary AS
SELECT customer, custseg.summarize(day, amount, date '1997-09-30') AS s
FROM views_clv_orders GROUP BY customer;

-- The purchase models fitted on the summary (in days); the Gamma-Gamma
-- parameters published for CDNOW (Fader, Hardie & Lee 2005), entered by hand:
-- no log-likelihood, no customer count, converged unknown (NULL).
CREATE TABLE views_clv_models AS
SELECT custseg.bgnbd_fit(s) AS bg, custseg.mbgnbd_fit(s) AS mbg,
	   ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma AS gg
FROM views_clv_summary;
SELECT (bg).converged AS bg_converged, (mbg).converged AS mbg_converged FROM views_clv_models;

SELECT custseg.create_segment_view('views_clv', 'views_clv_orders', 'customer', 'day', 'amount',
	as_of => '1997-09-30', purchase_model => bg, spend_model => gg)
FROM views_clv_models;

-- The columns: those of every segment view, then the three of CLV.
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'views_clv'::regclass AND attnum > 11 ORDER BY attnum;

-- Customer 1 (x 2), customers without repeat purchases (x 0), the heaviest
-- buyer (157, x 29) and customer 9001 (net negative repeat spend: mean spend 0).
SELECT customer, repeat_purchases AS x, active_days AS t_x, age_days AS t,
	   round(repeat_spend::numeric, 2) AS repeat_spend, segment,
	   round(expected_purchases::numeric, 4) AS expected_purchases,
	   round(p_alive::numeric, 4) AS p_alive, round(clv::numeric, 2) AS clv
FROM views_clv WHERE customer IN (1, 2, 3, 4, 157, 1150, 9001) ORDER BY customer;

-- Every customer of the view, every value: equal to the functions called
-- directly on the same summary (mean spend: the repeat spend, 0 when it is
-- negative).
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE v.expected_purchases = custseg.expected_purchases(m.bg, interval '1 year',
								(c.s).repeat_purchases, (c.s).active_days, (c.s).age_days)) AS expected_equal,
	   count(*) FILTER (WHERE v.p_alive = custseg.p_alive(m.bg, (c.s).repeat_purchases,
								(c.s).active_days, (c.s).age_days)) AS p_alive_equal,
	   count(*) FILTER (WHERE v.clv = custseg.clv(m.bg, m.gg, (c.s).repeat_purchases, (c.s).active_days,
								(c.s).age_days, greatest((c.s).repeat_spend, 0), interval '1 year', 0.1, 1)) AS clv_equal,
	   count(*) FILTER (WHERE (c.s).repeat_purchases = 0) AS without_repeat,
	   count(*) FILTER (WHERE v.clv > 0) AS positive_clv
FROM views_clv v JOIN views_clv_summary c USING (customer) CROSS JOIN views_clv_models m;

-- Customers without a repeat purchase have no mean spend: the spend model
-- gives them the population mean p gamma / (q - 1) = 6.25 * 15.44 / 2.74
-- = 35.2189781...  Undiscounted (rate 0), clv / expected purchases is that
-- mean; a mean spend given with x = 0 does not matter.
SELECT 6.25 * 15.44 / 2.74 AS population_mean_spend,
	   max(abs(custseg.clv(m.bg, m.gg, 0, 0, (c.s).age_days, 0, interval '1 year', 0)
			   / custseg.expected_purchases(m.bg, interval '1 year', 0, 0, (c.s).age_days)
			   / (6.25 * 15.44 / 2.74) - 1)) < 1e-14 AS x0_spend_is_population_mean,
	   bool_and(custseg.clv(m.bg, m.gg, 0, 0, (c.s).age_days, 0, interval '1 year', 0.1)
				= custseg.clv(m.bg, m.gg, 0, 0, (c.s).age_days, 100, interval '1 year', 0.1))
		   AS x0_ignores_mean_spend
FROM views_clv_summary c CROSS JOIN views_clv_models m
WHERE (c.s).repeat_purchases = 0;

-- Customer 9001 (x 1, repeat spend -25) is valued at mean spend 0: the spend
-- model shrinks it to p gamma / (p x + q - 1) = 96.5 / 8.99.
SELECT round((v.clv / custseg.clv(m.bg, m.gg, 1, (c.s).active_days, (c.s).age_days, 0,
								   interval '1 year', 0.1))::numeric, 15) AS ratio_to_mean_spend_0,
	   round((custseg.clv(m.bg, m.gg, 1, (c.s).active_days, (c.s).age_days, 0, interval '1 year', 0)
			  / custseg.expected_purchases(m.bg, interval '1 year', 1, (c.s).active_days, (c.s).age_days))::numeric, 10)
		   AS spend_per_purchase,
	   round((6.25 * 15.44 / 8.99)::numeric, 10) AS p_gamma_over_px_q_1
FROM views_clv v JOIN views_clv_summary c USING (customer) CROSS JOIN views_clv_models m
WHERE customer = 9001;

-- The models are frozen into the query as typed literals, and the comment
-- says how the view was made.
SELECT pg_get_viewdef('views_clv') LIKE '%::custseg.bgnbd%' AS bgnbd_literal,
	   pg_get_viewdef('views_clv') LIKE '%::custseg.gammagamma%' AS gammagamma_literal,
	   pg_get_viewdef('views_clv') LIKE '%views_clv_models%' AS reads_the_model_table;
SELECT regexp_replace(obj_description('views_clv'::regclass, 'pg_class'),
					  'custseg.bgnbd \(.*\) and', 'custseg.bgnbd (...) and') AS comment;

-- REFRESH ... CONCURRENTLY keeps working: customer 4 orders again, the view
-- picks it up, every customer is still there, and every value still equals
-- custseg.clv.
SELECT customer, repeat_purchases AS x, round(clv::numeric, 2) AS clv FROM views_clv WHERE customer = 4;
INSERT INTO views_clv_orders VALUES (4, '1997-09-20', 30);
REFRESH MATERIALIZED VIEW CONCURRENTLY views_clv;
SELECT customer, repeat_purchases AS x, round(clv::numeric, 2) AS clv FROM views_clv WHERE customer = 4;
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE v.clv = custseg.clv(m.bg, m.gg, (c.s).repeat_purchases, (c.s).active_days,
								(c.s).age_days, greatest((c.s).repeat_spend, 0), interval '1 year', 0.1, 1)) AS clv_equal
FROM views_clv v
JOIN (SELECT customer, custseg.summarize(day, amount, date '1997-09-30') AS s
	  FROM views_clv_orders GROUP BY customer) AS c USING (customer)
CROSS JOIN views_clv_models m;

-- MBG/NBD, over two years, undiscounted, margin 0.3, with thresholds
-- recomputed at each refresh and as_of at each refresh (CURRENT_DATE: every
-- order is in the past, so the summaries include the orders of 1997-10 to
-- 1998-06 too).  The caller's extra_float_digits 0 (15 digits) does not
-- round the frozen model: the values stay equal.
SET extra_float_digits = 0;
SELECT custseg.create_segment_view('views_clv_mbg', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => mbg, spend_model => gg, clv_horizon => '2 years',
	annual_discount_rate => 0, margin => 0.3)
FROM views_clv_models;
RESET extra_float_digits;
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE v.expected_purchases = custseg.expected_purchases(m.mbg, interval '2 years',
								(c.s).repeat_purchases, (c.s).active_days, (c.s).age_days)
						  AND v.p_alive = custseg.p_alive(m.mbg, (c.s).repeat_purchases,
								(c.s).active_days, (c.s).age_days)
						  AND v.clv = custseg.clv(m.mbg, m.gg, (c.s).repeat_purchases, (c.s).active_days,
								(c.s).age_days, greatest((c.s).repeat_spend, 0), interval '2 years', 0, 0.3)) AS all_equal,
	   count(*) FILTER (WHERE (c.s).repeat_purchases = 0)
		   = count(*) FILTER (WHERE (c.s).repeat_purchases = 0 AND v.p_alive < 1) AS mbg_x0_not_surely_alive
FROM views_clv_mbg v
JOIN (SELECT customer, custseg.summarize(day, amount, CURRENT_DATE) AS s
	  FROM views_clv_orders GROUP BY customer) AS c USING (customer)
CROSS JOIN views_clv_models m;

-- Pareto/NBD as the purchase model, fitted on the same summary: every value
-- equals the functions called directly.
SELECT custseg.create_segment_view('views_clv_pnbd', 'views_clv_orders', 'customer', 'day', 'amount',
	as_of => '1997-09-30', purchase_model => custseg.paretonbd_fit(c.s), spend_model => m.gg)
FROM views_clv_summary c CROSS JOIN views_clv_models m GROUP BY m.gg;
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE v.expected_purchases = custseg.expected_purchases(p.pm, interval '1 year',
								(c.s).repeat_purchases, (c.s).active_days, (c.s).age_days)
						  AND v.p_alive = custseg.p_alive(p.pm, (c.s).repeat_purchases,
								(c.s).active_days, (c.s).age_days)
						  AND v.clv = custseg.clv(p.pm, m.gg, (c.s).repeat_purchases, (c.s).active_days,
								(c.s).age_days, greatest((c.s).repeat_spend, 0), interval '1 year', 0.1, 1)) AS all_equal
FROM views_clv_pnbd v
JOIN (SELECT customer, custseg.summarize(day, amount, date '1997-09-30') AS s
	  FROM views_clv_orders GROUP BY customer) AS c USING (customer)
CROSS JOIN views_clv_models m
CROSS JOIN (SELECT custseg.paretonbd_fit(s) AS pm FROM views_clv_summary) p;
DROP MATERIALIZED VIEW views_clv_pnbd;

-- Bad models and options.
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => bg) FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	spend_model => gg) FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => gg, spend_model => gg) FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => ROW(0.24, 30.9, 0.79, 2.43, NULL, NULL, NULL, NULL), spend_model => gg) FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => ROW(0.24, 30.9, 0.79, 2.43, -9000, 10, false, 500, NULL, NULL, NULL, NULL)::custseg.bgnbd, spend_model => gg)
FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => bg, spend_model => ROW(6.25, 3.74, 15.44, -100, 10, false, 500, NULL, NULL, NULL)::custseg.gammagamma)
FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => ROW(-0.24, 30.9, 0.79, 2.43, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgnbd, spend_model => gg)
FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.mbgnbd, spend_model => gg)
FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => bg, spend_model => ROW(6.25, 0.9, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma)
FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => bg, spend_model => gg, clv_horizon => '-1 month') FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => bg, spend_model => gg, annual_discount_rate => 'NaN') FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => bg, spend_model => gg, margin => -0.5) FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	purchase_model => bg, spend_model => gg, clv_horizon => NULL) FROM views_clv_models;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'customer', 'day', 'amount',
	margin => 0.3);
ALTER TABLE views_clv_orders RENAME customer TO clv;
SELECT custseg.create_segment_view('v', 'views_clv_orders', 'clv', 'day', 'amount',
	purchase_model => bg, spend_model => gg) FROM views_clv_models;
-- ... a key named clv is fine in a view without CLV columns.
SELECT custseg.create_segment_view('views_clv_plain', 'views_clv_orders', 'clv', 'day', 'amount');
SELECT count(*) FROM views_clv_plain;
SELECT to_regclass('v') IS NULL AS no_view_left;

DROP MATERIALIZED VIEW views_clv, views_clv_mbg, views_clv_plain;
DROP TABLE views_clv_raw, views_clv_orders, views_clv_summary, views_clv_models;
