-- bench/kmeans_customers.sql: synthetic RFM features for the k-means benchmark.
--
--   psql -X -v customers=1000000 -f bench/kmeans_customers.sql
--
-- (Re)creates table kmeans_customers (customer_id bigint, features float8[])
-- with three RFM-like features per customer, deterministic (hashes of the
-- customer id through hashint8extended, no random()):
--   recency   whole days, exponential with mean 200, at most 1095;
--   frequency orders, 1 + geometric with mean about 2;
--   monetary  frequency times a log-normal order value (median 40), cents.

\set ON_ERROR_STOP on
\if :{?customers}
\else
\set customers 1000000
\endif

DROP TABLE IF EXISTS kmeans_customers;
CREATE TABLE kmeans_customers AS
WITH u AS (
	SELECT g AS customer_id,
		   ((hashint8extended(g, 1) & 4503599627370495) + 0.5) / 4503599627370496.0 AS u1,
		   ((hashint8extended(g, 2) & 4503599627370495) + 0.5) / 4503599627370496.0 AS u2,
		   ((hashint8extended(g, 3) & 4503599627370495) + 0.5) / 4503599627370496.0 AS u3,
		   ((hashint8extended(g, 4) & 4503599627370495) + 0.5) / 4503599627370496.0 AS u4
	FROM generate_series(1, :customers) g
), f AS (
	SELECT customer_id,
		   least(floor(-ln(u1) * 200), 1095)::float8 AS recency,
		   (1 + floor(ln(u2) / ln(0.6)))::float8 AS frequency,
		   exp(ln(40) + 0.8 * sqrt(-2 * ln(u3)) * cos(2 * pi() * u4)) AS order_value
	FROM u
)
SELECT customer_id,
	   ARRAY[recency, frequency, round((frequency * order_value)::numeric, 2)::float8] AS features
FROM f;
VACUUM ANALYZE kmeans_customers;
