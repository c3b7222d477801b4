-- bench/query_a_bare.sql: (a) the floor: one bare GROUP BY over the orders.
-- No scores, no segments: what any per-customer query has to pay at least.
SELECT customer_id, max(order_time), count(*), sum(amount)
FROM orders
GROUP BY customer_id;
