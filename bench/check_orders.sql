-- bench/check_orders.sql: the shape and a checksum of table orders.
--
--   psql -X -f bench/check_orders.sql
--
-- The checksum does not depend on the physical row order, the TimeZone or
-- the DateStyle: two runs of bench/generate_orders.sql with the same
-- variables must print the same line.

\set ON_ERROR_STOP on
SET timezone = 'UTC';
\pset footer off

\echo
\echo 'Checksum'
SELECT count(*) AS rows,
	   sum(amount) AS amount,
	   sum(hashtextextended(format('%s|%s|%s', customer_id,
								   extract(epoch FROM order_time), amount), 0)::numeric)
		   AS checksum
FROM orders;

\echo 'Orders (rows with an amount >= 0) per customer'
WITH customer AS (
	SELECT customer_id, count(*) FILTER (WHERE amount >= 0) AS orders
	FROM orders
	GROUP BY customer_id
)
SELECT count(*) AS customers,
	   round(100.0 * count(*) FILTER (WHERE orders = 1) / count(*), 1) AS "one order %",
	   round(100.0 * count(*) FILTER (WHERE orders = 2) / count(*), 1) AS "two orders %",
	   round(avg(orders), 2) AS mean,
	   percentile_disc(0.9) WITHIN GROUP (ORDER BY orders) AS p90,
	   percentile_disc(0.99) WITHIN GROUP (ORDER BY orders) AS p99,
	   percentile_disc(0.999) WITHIN GROUP (ORDER BY orders) AS p999,
	   max(orders) AS max
FROM customer;

\echo 'Amounts'
SELECT round(100.0 * count(*) FILTER (WHERE amount < 0) / count(*), 2) AS "refund rows %",
	   percentile_disc(0.5) WITHIN GROUP (ORDER BY amount) FILTER (WHERE amount >= 0) AS median,
	   round(avg(amount) FILTER (WHERE amount >= 0), 2) AS mean,
	   percentile_disc(0.99) WITHIN GROUP (ORDER BY amount) FILTER (WHERE amount >= 0) AS p99,
	   max(amount) AS max,
	   min(order_time)::date AS first_day,
	   max(order_time)::date AS last_day
FROM orders;

\echo 'Rows per month'
SELECT to_char(order_time, 'YYYY') AS year,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 1) AS jan,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 2) AS feb,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 3) AS mar,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 4) AS apr,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 5) AS may,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 6) AS jun,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 7) AS jul,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 8) AS aug,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 9) AS sep,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 10) AS oct,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 11) AS nov,
	   count(*) FILTER (WHERE extract(month FROM order_time) = 12) AS dec
FROM orders
GROUP BY 1
ORDER BY 1;

\echo 'Rows per weekday'
SELECT count(*) FILTER (WHERE extract(isodow FROM order_time) = 1) AS mon,
	   count(*) FILTER (WHERE extract(isodow FROM order_time) = 2) AS tue,
	   count(*) FILTER (WHERE extract(isodow FROM order_time) = 3) AS wed,
	   count(*) FILTER (WHERE extract(isodow FROM order_time) = 4) AS thu,
	   count(*) FILTER (WHERE extract(isodow FROM order_time) = 5) AS fri,
	   count(*) FILTER (WHERE extract(isodow FROM order_time) = 6) AS sat,
	   count(*) FILTER (WHERE extract(isodow FROM order_time) = 7) AS sun
FROM orders;

\echo 'Churn: customers by the year of their last row'
SELECT extract(year FROM last) AS year, count(*) AS customers
FROM (SELECT max(order_time) AS last FROM orders GROUP BY customer_id) AS c
GROUP BY 1
ORDER BY 1;
