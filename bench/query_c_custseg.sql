-- bench/query_c_custseg.sql: (c) the same with custseg, from orders to
-- scores and segments in one query: the per-customer summary aggregate, the
-- RFM window function over the summaries (five quantile bins, thresholds
-- computed over all customers; it reads recency_days, orders and revenue)
-- and the 'rfm' segment map.  Tune here: bench/run reads only this file for
-- (c).
WITH summary AS (
	SELECT customer_id, custseg.summarize(order_time, amount, :'as_of'::timestamptz) AS s
	FROM orders
	GROUP BY customer_id
),
scored AS (
	SELECT customer_id, s, custseg.rfm_score(s) OVER () AS score
	FROM summary
)
SELECT customer_id, (s).recency_days, (s).orders, (s).revenue,
	   (score).r, (score).f, (score).m,
	   custseg.segment(score) AS segment
FROM scored;
