-- The RFM functions take a custseg.customer_summary in place of
-- (recency, frequency, monetary): they use its recency_days, orders and
-- revenue, and give the same results.
SET TimeZone = 'UTC';
CREATE TABLE rfm_s_orders AS
SELECT g % 400 AS customer, date '2023-01-01' + (hashint4(g) & 511) AS day,
	   ((hashint4(g + 7) & 1023) - 40) / 4.0 AS amount
FROM generate_series(1, 3000) g;
CREATE TABLE rfm_s_customers AS
SELECT customer, custseg.summarize(day, amount, date '2024-06-30') AS s
FROM rfm_s_orders GROUP BY customer;
-- one customer whose summary has a NULL field: left out / NULL score
INSERT INTO rfm_s_customers
VALUES (-1, ROW(NULL, NULL, NULL, 1, 1, NULL, NULL, NULL, 0, 0, 0)::custseg.customer_summary);

SELECT custseg.rfm_thresholds(s)::text = custseg.rfm_thresholds((s).recency_days, (s).orders, (s).revenue)::text
	   AS aggregate_5,
	   custseg.rfm_thresholds(s, 4, 'rfm')::text
	   = custseg.rfm_thresholds((s).recency_days, (s).orders, (s).revenue, 4, 'rfm')::text AS aggregate_4_rfm
FROM rfm_s_customers;

SELECT count(*) AS customers,
	   count(*) FILTER (WHERE a IS NOT DISTINCT FROM b) AS window_equal,
	   count(*) FILTER (WHERE a IS NULL) AS null_scores
FROM (SELECT custseg.rfm_score(s) OVER () AS a,
			 custseg.rfm_score((s).recency_days, (s).orders, (s).revenue) OVER () AS b
	  FROM rfm_s_customers) x;

SELECT count(*) AS customers,
	   count(*) FILTER (WHERE a IS NOT DISTINCT FROM b) AS window_equal
FROM (SELECT custseg.rfm_score(s, 3, 'rfm') OVER (PARTITION BY customer % 3) AS a,
			 custseg.rfm_score((s).recency_days, (s).orders, (s).revenue, 3, 'rfm')
				 OVER (PARTITION BY customer % 3) AS b
	  FROM rfm_s_customers) x;

SELECT count(*) AS customers,
	   count(*) FILTER (WHERE custseg.rfm_score(t, s) IS NOT DISTINCT FROM
							  custseg.rfm_score(t, (s).recency_days, (s).orders, (s).revenue)) AS scalar_equal,
	   count(*) FILTER (WHERE custseg.rfm_score(t, s) IS NULL) AS null_scores
FROM rfm_s_customers, (SELECT custseg.rfm_thresholds(s) AS t FROM rfm_s_customers) t;

-- Empty input: NULL thresholds.  A summary with NaN, an infinity or a
-- negative recency (built by hand) is rejected like the three values.
SELECT custseg.rfm_thresholds(s) IS NULL AS empty FROM rfm_s_customers WHERE false;
SELECT custseg.rfm_thresholds(ROW(NULL, NULL, 1, 1, 'NaN', 1, 3, 0, 0, 0, 0)::custseg.customer_summary);
SELECT custseg.rfm_score(ROW(NULL, NULL, 1, 1, 'Infinity', 1, 3, 0, 0, 0, 0)::custseg.customer_summary) OVER ();
SELECT custseg.rfm_score(custseg.rfm_thresholds(ARRAY[10.0], ARRAY[2.0], ARRAY[50.0]),
						 ROW(NULL, NULL, 1, 1, 5, 5, -3, 0, 0, 0, 0)::custseg.customer_summary);

-- Bad options are errors here too.
SELECT custseg.rfm_thresholds(s, 1) FROM rfm_s_customers;
SELECT custseg.rfm_score(s, 5, 'median') OVER () FROM rfm_s_customers;

DROP TABLE rfm_s_orders, rfm_s_customers;
