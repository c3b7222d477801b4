-- bench/query_c0_summary.sql: a diagnostic for (c), not one of the three
-- timed queries: custseg.summarize alone, without scores and segments.
-- (c) minus this is the cost of the window function and the segment map.
SELECT customer_id,
	   custseg.summarize(order_time, amount, :'as_of'::timestamptz) AS s
FROM orders
GROUP BY customer_id;
