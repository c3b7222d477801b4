-- bench/query_b_sql.sql: (b) RFM segments in the SQL a user writes today.
--
-- Per customer, as custseg.summarize defines them: recency in days (with
-- fractions) from the last order to :as_of, frequency as the number of orders
-- (a negative amount is a refund: it lowers revenue but is not an order),
-- monetary as net revenue.  Scores 1 .. 5 by
-- NTILE over each dimension (recent is 5), then the R rfm package's ten
-- segment rules: bounds inclusive, the first match wins.
WITH customer AS (
	SELECT customer_id,
		   extract(epoch FROM :'as_of'::timestamptz
						   - max(order_time) FILTER (WHERE amount >= 0)) / 86400 AS recency,
		   count(*) FILTER (WHERE amount >= 0) AS frequency,
		   sum(amount) AS monetary
	FROM orders
	GROUP BY customer_id
),
scored AS (
	SELECT customer_id, recency, frequency, monetary,
		   ntile(5) OVER (ORDER BY recency DESC) AS r,
		   ntile(5) OVER (ORDER BY frequency) AS f,
		   ntile(5) OVER (ORDER BY monetary) AS m
	FROM customer
)
SELECT customer_id, recency, frequency, monetary, r, f, m,
	   CASE
		   WHEN r = 5 AND f = 5 AND m = 5
			   THEN 'Champions'
		   WHEN r BETWEEN 3 AND 5 AND f BETWEEN 3 AND 5 AND m BETWEEN 2 AND 5
			   THEN 'Potential Loyalist'
		   WHEN r BETWEEN 2 AND 4 AND f BETWEEN 2 AND 4 AND m BETWEEN 2 AND 4
			   THEN 'Loyal Customers'
		   WHEN r BETWEEN 3 AND 4 AND f BETWEEN 1 AND 3 AND m BETWEEN 3 AND 5
			   THEN 'Promising'
		   WHEN r BETWEEN 4 AND 5 AND f BETWEEN 1 AND 3 AND m BETWEEN 1 AND 5
			   THEN 'New Customers'
		   WHEN r BETWEEN 1 AND 2 AND f BETWEEN 3 AND 4 AND m BETWEEN 4 AND 5
			   THEN 'Can''t Lose Them'
		   WHEN r BETWEEN 1 AND 2 AND f BETWEEN 2 AND 5 AND m BETWEEN 4 AND 5
			   THEN 'At Risk'
		   WHEN r BETWEEN 1 AND 3 AND f BETWEEN 3 AND 5 AND m BETWEEN 3 AND 5
			   THEN 'Need Attention'
		   WHEN r BETWEEN 2 AND 3 AND f BETWEEN 1 AND 3 AND m BETWEEN 1 AND 4
			   THEN 'About To Sleep'
		   WHEN r = 1
			   THEN 'Lost'
		   ELSE 'Others'
	   END AS segment
FROM scored;
