-- Objects for the sqlsmith run of scripts/test: the extension and a few
-- small tables whose columns have the types custseg's functions take.
-- Every statement is logged, so the run can count the queries that
-- reached custseg.
CREATE EXTENSION custseg;
ALTER DATABASE custseg_smith SET log_statement = 'all';
CREATE TABLE orders AS
SELECT g % 50 AS customer_id, date '2020-01-01' + g % 400 AS order_day,
	   timestamptz '2020-01-01 00:00+00' + g * interval '5 hours' AS order_time,
	   ((g * 37) % 1000 - 50)::numeric / 4 AS amount, (g % 9)::float8 AS score
FROM generate_series(1, 1000) g;
CREATE TABLE customers AS
SELECT customer_id, custseg.summarize(order_day, amount, date '2021-03-01') AS s
FROM orders GROUP BY customer_id;
CREATE TABLE features AS
SELECT customer_id, (s).recency_days, (s).orders::float8 AS frequency, (s).revenue AS monetary,
	   (customer_id % 5 + 1)::int AS r, (customer_id % 4 + 1)::int AS f, (customer_id % 3 + 1)::int AS m
FROM customers;
