-- scripts/demo.sql: from a table of orders to a segment report.
--
-- Run by scripts/demo in a database with custseg installed and table orders
-- filled by bench/generate_orders.sql.  Reads like the guide
-- (docs/guide.md): summarize every customer, score R, F and M from 1 to 5,
-- name the segment, and report.  The thresholds are shown from their JSON
-- text form (docs/rfm.md).

\set ON_ERROR_STOP on
SET timezone = 'UTC';				-- calendar days (recency) are UTC days
SET client_min_messages = warning;
\pset footer off
\pset border 2
\pset linestyle unicode
\pset null '-'

-- As of the day after the last order: a customer who ordered on the last
-- day has a recency of 0 to 1 day.
SELECT date_trunc('day', max(order_time)) + interval '1 day' AS as_of,
	   to_char(date_trunc('day', max(order_time)) + interval '1 day', 'FMDD FMMonth YYYY')
		   AS as_of_text
FROM orders \gset

-- Every customer, summarized, scored and labelled: the whole pipeline.
CREATE TEMP TABLE customer_segment AS
WITH summary AS (
	SELECT customer_id,
		   custseg.summarize(order_time, amount, :'as_of'::timestamptz) AS s
	FROM orders
	GROUP BY customer_id
),
scored AS (
	SELECT customer_id, s,
		   custseg.rfm_score(s) OVER () AS score
	FROM summary
)
SELECT customer_id, s, score, custseg.segment(score) AS segment
FROM scored;

-- What a marketer might do with each segment (names of the 'rfm' map).
CREATE TEMP TABLE segment_advice (segment text PRIMARY KEY, advice text);
INSERT INTO segment_advice VALUES
	('Champions', 'Reward them; they try new products first and tell others'),
	('Loyal Customers', 'Upsell; ask for reviews'),
	('Potential Loyalist', 'Offer a membership or loyalty program'),
	('New Customers', 'Welcome them; make the second order easy'),
	('Promising', 'Build awareness; free trials'),
	('Need Attention', 'Limited-time offers based on past purchases'),
	('About To Sleep', 'Recommend popular products; renew the relationship'),
	('At Risk', 'Personal emails and offers: win them back'),
	('Can''t Lose Them', 'Win them back before a competitor does; talk to them'),
	('Lost', 'Ignore, or one last campaign'),
	('Others', 'Look at them more closely');

\echo
\echo '  Customer segments as of' :as_of_text
\echo '  ========================================================='
\echo
\echo '  The orders'
SELECT to_char(count(DISTINCT customer_id), 'FM999,999,999') AS customers,
	   to_char(count(*) FILTER (WHERE amount >= 0), 'FM999,999,999') AS orders,
	   to_char(count(*) FILTER (WHERE amount < 0), 'FM999,999,999') AS refunds,
	   to_char(sum(amount), 'FM999,999,999,999') AS "net revenue",
	   min(order_time)::date AS "first order",
	   max(order_time)::date AS "last order"
FROM orders;

-- One row per segment, ranked by revenue: the report and the examples.
CREATE TEMP TABLE segment_report AS
SELECT c.segment,
	   rank() OVER (ORDER BY sum((c.s).revenue) DESC, c.segment) AS rank,
	   count(*) AS customers,
	   round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS customer_share,
	   round((100.0 * sum((c.s).revenue) / sum(sum((c.s).revenue)) OVER ())::numeric, 1)
		   AS revenue_share,
	   round(avg((c.s).recency_days)) AS recency_days,
	   round(avg((c.s).orders)::numeric, 1) AS orders,
	   round(avg((c.s).revenue)::numeric) AS revenue,
	   a.advice
FROM customer_segment AS c
LEFT JOIN segment_advice AS a USING (segment)
GROUP BY c.segment, a.advice;

\echo '  Segments, by share of revenue'
SELECT segment AS "segment",
	   customers AS "customers",
	   customer_share AS "% customers",
	   revenue_share AS "% revenue",
	   recency_days AS "recency (days)",
	   orders AS "orders",
	   revenue AS "revenue",
	   advice AS "what to do"
FROM segment_report
ORDER BY rank;
\echo '  recency, orders and revenue are means per customer of the segment.'
\echo

\echo '  The RFM score thresholds (computed over all customers, five bins each)'
WITH thresholds AS (
	SELECT custseg.rfm_thresholds((s).recency_days, (s).orders, (s).revenue)::text::jsonb AS t
	FROM customer_segment
)
SELECT d.label AS "dimension",
	   (SELECT string_agg(trim_scale(round(x::numeric, 1))::text, '  |  ' ORDER BY i)
		FROM jsonb_array_elements_text(t -> d.key) WITH ORDINALITY AS cut(x, i))
		   AS "cut points between the scores"
FROM thresholds,
	 (VALUES (1, 'recency', 'recency (days)'),
			 (2, 'frequency', 'frequency (orders)'),
			 (3, 'monetary', 'monetary (revenue)')) AS d(n, key, label)
ORDER BY d.n;

\echo '  A typical customer of every segment (the median by revenue)'
WITH ranked AS (
	SELECT *,
		   row_number() OVER (PARTITION BY segment ORDER BY (s).revenue, customer_id) AS rank,
		   count(*) OVER (PARTITION BY segment) AS size
	FROM customer_segment
)
SELECT segment,
	   customer_id AS "customer",
	   (s).first_order::date AS "first order",
	   (s).last_order::date AS "last order",
	   (s).orders AS "orders",
	   round((s).revenue::numeric, 2) AS "revenue",
	   round((s).recency_days::numeric) AS "recency (days)",
	   format('%s %s %s', (score).r, (score).f, (score).m) AS "R F M"
FROM ranked
JOIN segment_report AS r USING (segment)
WHERE ranked.rank = (size + 1) / 2
ORDER BY r.rank;

\echo '  Customers in every cell of recency (rows) and frequency (columns)'
SELECT (score).r AS "R \ F",
	   count(*) FILTER (WHERE (score).f = 1) AS "1",
	   count(*) FILTER (WHERE (score).f = 2) AS "2",
	   count(*) FILTER (WHERE (score).f = 3) AS "3",
	   count(*) FILTER (WHERE (score).f = 4) AS "4",
	   count(*) FILTER (WHERE (score).f = 5) AS "5"
FROM customer_segment
GROUP BY 1
ORDER BY 1 DESC;

DROP TABLE customer_segment, segment_advice, segment_report;
