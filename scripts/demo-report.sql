-- scripts/demo-report.sql: what scripts/report draws for the synthetic shop.
--
-- Run by scripts/demo after scripts/demo.sql, in a database with custseg
-- and table orders of bench/generate_orders.sql.  Fits a purchase model
-- (MBG/NBD) and a spend model (Gamma-Gamma) on the customers as of the day
-- after the last order, makes a segment view with CLV columns, snapshots
-- it, adds a week of new orders from 5 % of the customers, refreshes and
-- snapshots again, so that the report can show segment movement.

\set ON_ERROR_STOP on
SET timezone = 'UTC';
SET client_min_messages = warning;

SELECT date_trunc('day', max(order_time)) + interval '1 day' AS as_of FROM orders \gset

DROP TABLE IF EXISTS demo_models;
CREATE TABLE demo_models AS
SELECT custseg.mbgnbd_fit(s) AS purchase_model,
	   custseg.gammagamma_fit(s) FILTER (WHERE (s).repeat_purchases = 0 OR (s).repeat_spend > 0) AS spend_model
FROM (SELECT custseg.summarize(order_time, amount, :'as_of'::timestamptz) AS s
	  FROM orders GROUP BY customer_id) AS c;

DROP MATERIALIZED VIEW IF EXISTS demo_segments;
SELECT custseg.create_segment_view('demo_segments', 'orders', 'customer_id', 'order_time',
								   'amount', as_of => :'as_of'::timestamptz + interval '7 days',
								   purchase_model => purchase_model, spend_model => spend_model)
FROM demo_models \gset
SELECT custseg.snapshot_segments('demo_segments') \gset

-- The next week: one order each from every 20th customer.
INSERT INTO orders (customer_id, order_time, amount)
SELECT customer_id, :'as_of'::timestamptz + (customer_id % 7) * interval '1 day' + interval '12 hours', 45
FROM (SELECT DISTINCT customer_id FROM orders WHERE customer_id % 20 = 0) c;
REFRESH MATERIALIZED VIEW demo_segments;
SELECT custseg.snapshot_segments('demo_segments') \gset
