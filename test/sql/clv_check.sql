-- The holdout check as functions, on the CDNOW sample (calibration up to
-- 1997-09-30, holdout to 1998-06-30): each table equals a hand-written SQL
-- computation exactly, and bad input is rejected.
SET extra_float_digits = 0;
CREATE TABLE hc_raw (line text);
\copy hc_raw FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE hc_orders AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD') AS day, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM hc_raw) s;

SELECT repeat_purchases, customers, round(actual_purchases::numeric, 3) AS actual,
	   round(predicted_purchases::numeric, 3) AS predicted,
	   round(actual_revenue::numeric, 2) AS actual_revenue,
	   round(predicted_revenue::numeric, 2) AS predicted_revenue
FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30');
SELECT repeat_purchases, customers, round(expected_customers::numeric, 1) AS expected
FROM custseg.holdout_period_transactions('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30');
SELECT week, week_end, actual_cumulative, round(expected_cumulative::numeric, 1) AS expected, holdout
FROM custseg.holdout_tracking('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30')
WHERE week % 13 = 0 OR week = 78;

-- The same by hand.
CREATE TABLE hc_customers AS
SELECT id, custseg.summarize(day, amount, date '1997-09-30') FILTER (WHERE day <= '1997-09-30') AS s,
	   count(DISTINCT day) FILTER (WHERE day > '1997-09-30' AND day <= '1998-06-30' AND amount >= 0) AS actual,
	   coalesce(sum(amount) FILTER (WHERE day > '1997-09-30' AND day <= '1998-06-30'), 0)::float8 AS actual_revenue
FROM hc_orders GROUP BY id HAVING min(day) <= '1997-09-30';
CREATE TABLE hc_models AS
SELECT custseg.bgnbd_fit(s) AS m, custseg.paretonbd_fit(s) AS p, custseg.gammagamma_fit(s) AS g
FROM hc_customers;
CREATE TABLE hc_by_hand AS
SELECT CASE WHEN least((s).repeat_purchases, 7) = 7 THEN '7+' ELSE least((s).repeat_purchases, 7)::text END AS repeat_purchases,
	   count(*) AS customers, avg(actual)::float8 AS actual_purchases,
	   avg(custseg.expected_purchases(m, 273.0, (s).repeat_purchases, (s).active_days, (s).age_days)::numeric)::float8
		 AS predicted_purchases,
	   avg(actual_revenue::numeric)::float8 AS actual_revenue,
	   avg(custseg.clv(m, g, (s).repeat_purchases, (s).active_days, (s).age_days,
					   greatest((s).repeat_spend, 0), 273.0, 0, 1)::numeric)::float8 AS predicted_revenue
FROM hc_customers, hc_models GROUP BY least((s).repeat_purchases, 7);
SELECT (SELECT count(*) FROM hc_by_hand) AS groups,
	   (SELECT count(*) FROM (SELECT * FROM hc_by_hand EXCEPT
			SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30')) d) AS differ,
	   (SELECT count(*) FROM (SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30')
			EXCEPT SELECT * FROM hc_by_hand) d) AS differ_back;
-- the totals: 1,882 holdout purchases, of which BG/NBD predicts 1,653
SELECT sum(customers * actual_purchases) AS actual_total,
	   round(sum(customers * predicted_purchases)::numeric, 1) AS predicted_total
FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30');
-- Pareto/NBD without a spend model
SELECT count(*) AS differ
FROM (SELECT CASE WHEN least((s).repeat_purchases, 7) = 7 THEN '7+' ELSE least((s).repeat_purchases, 7)::text END,
			 count(*), avg(actual)::float8,
			 avg(custseg.expected_purchases(p, 273.0, (s).repeat_purchases, (s).active_days, (s).age_days)::numeric)::float8,
			 NULL::float8, NULL::float8
	  FROM hc_customers, hc_models GROUP BY least((s).repeat_purchases, 7)
	  EXCEPT
	  SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30',
										  'paretonbd', false)) d;

-- Period transactions by hand: sum over customers of P(X(T) = k).
SELECT count(*) AS differ
FROM (SELECT k::text, count(*) FILTER (WHERE (s).repeat_purchases = k),
			 sum(custseg.purchase_probability(m, k, (s).age_days)::numeric)::float8
	  FROM hc_customers, hc_models, generate_series(0, 6) k GROUP BY k
	  EXCEPT
	  SELECT * FROM custseg.holdout_period_transactions('hc_orders', 'id', 'day', 'amount',
														'1997-09-30', '1998-06-30')) d;
SELECT abs(sum(expected_customers) - 2357) < 1e-9 AS expected_sum_to_customers,
	   sum(customers) AS customers
FROM custseg.holdout_period_transactions('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30');

-- Tracking by hand, at three week ends: repeat purchase days so far, and
-- the expected purchases of each customer since their first purchase.
SELECT t.week_end, t.actual_cumulative = h.actual AS actual_equal,
	   t.expected_cumulative = h.expected AS expected_equal
FROM custseg.holdout_tracking('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30') t
JOIN LATERAL (
	SELECT (SELECT count(*) FROM (SELECT DISTINCT o.id, o.day FROM hc_orders o JOIN hc_customers c USING (id)
								  WHERE o.amount >= 0 AND o.day > (c.s).first_order::date
									AND o.day <= t.week_end) d) AS actual,
		   (SELECT sum(custseg.expected_purchases(m, greatest(t.week_end - (c.s).first_order::date, 0)::float8)::numeric)::float8
			FROM hc_customers c, hc_models) AS expected) h ON true
WHERE t.week IN (10, 39, 78)
ORDER BY t.week;

-- Bad input.
\set SHOW_CONTEXT never
SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1998-06-30', '1997-09-30');
SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1997-09-30');
SELECT * FROM custseg.holdout_tracking('hc_orders', 'id', 'day', 'amount', '1998-07-30', '1998-06-30');
SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30', 'bgbb');
SELECT * FROM custseg.holdout_period_transactions('hc_orders', 'id', 'nope', 'amount', '1997-09-30', '1998-06-30');
SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'amount', 'amount', '1997-09-30', '1998-06-30');
SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', NULL, '1998-06-30');
SELECT * FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30', 'bgnbd', NULL);
-- no customer in the calibration period: no rows
SELECT count(*) AS no_rows FROM custseg.holdout_check('hc_orders', 'id', 'day', 'amount', '1990-01-01', '1990-06-30');
-- The shared helper: the query of the calibration customers, run as the
-- checks run it ($1 calibration_end, $2 holdout_end); its customers and
-- holdout purchase days equal those counted by hand above.
CREATE FUNCTION pg_temp.hc_customers_of(q text, cal date, hold date, OUT customers bigint, OUT actual bigint)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SELECT count(*), sum(actual) FROM (%s) c', q) INTO customers, actual USING cal, hold;
END
$$;
SELECT h.customers = (SELECT count(*) FROM hc_customers) AS same_customers,
	   h.actual = (SELECT sum(actual) FROM hc_customers) AS same_holdout_days
FROM pg_temp.hc_customers_of(custseg.holdout_customers_sql('hc_orders', 'id', 'day', 'amount',
	 '1997-09-30', '1998-06-30', 'bgnbd'), '1997-09-30', '1998-06-30') h;
SELECT custseg.holdout_customers_sql('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30', NULL);
SELECT custseg.holdout_customers_sql('hc_orders', 'id', 'day', 'amount', '1998-06-30', '1998-06-30', 'bgnbd');
SELECT custseg.holdout_customers_sql('hc_orders', 'id', 'day', 'amount', '1997-09-30', '1998-06-30', 'pareto');
SELECT custseg.holdout_customers_sql('hc_orders', 'id', 'amount', 'amount', '1997-09-30', '1998-06-30', 'bgnbd');
SELECT custseg.holdout_customers_sql('hc_orders', 'id', 'day', 'no_such', '1997-09-30', '1998-06-30', 'bgnbd');
DROP TABLE hc_raw, hc_orders, hc_customers, hc_models, hc_by_hand;
