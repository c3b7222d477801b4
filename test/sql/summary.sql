-- custseg.summarize: one customer's orders folded into a customer_summary.
SET TimeZone = 'UTC';

CREATE TABLE orders (customer int, order_day date, amount numeric);
INSERT INTO orders VALUES
	-- customer 1: two orders on the first day, a refund before it, a refund
	-- on a later day, two repeat days, and an order after as_of
	(1, '2020-01-01', 10), (1, '2020-01-01', 5), (1, '2019-12-30', -2),
	(1, '2020-01-05', -3), (1, '2020-01-10', 20), (1, '2020-03-01', 8.5),
	(1, '2021-06-01', 100),
	-- customer 2: one order, and rows with a NULL time or amount (skipped)
	(2, '2020-02-01', 7), (2, NULL, 1000), (2, '2020-02-02', NULL),
	-- customer 3: only a refund; customer 4: only orders after as_of
	(3, '2020-03-01', -5), (4, '2021-01-01', 30),
	-- customer 5: an order on as_of itself, and a zero-amount order
	(5, '2020-12-31', 0), (5, '2020-06-30', 12.25);

SELECT customer, (custseg.summarize(order_day, amount, date '2020-12-31')).*
FROM orders GROUP BY customer ORDER BY customer;

-- Rows arriving in any order give the same summary.
SELECT s1 = s2 AS order_independent
FROM (SELECT custseg.summarize(order_day, amount, date '2020-12-31' ORDER BY order_day) s1,
			 custseg.summarize(order_day, amount, date '2020-12-31' ORDER BY order_day DESC) s2
	  FROM orders WHERE customer = 1) s;

-- As a window aggregate the summary grows row by row, also when rows come
-- out of day order (the state stays valid after each final call).
SELECT id, (s).orders, (s).purchase_days, (s).active_days, (s).age_days, (s).revenue
FROM (SELECT id, custseg.summarize(d, a, date '2020-12-31') OVER (ORDER BY id) AS s
	  FROM (VALUES (1, date '2020-01-05', 1), (2, date '2020-01-01', 2),
				   (3, date '2019-12-01', 4), (4, date '2020-01-05', 8),
				   (5, date '2020-01-03', -16)) v(id, d, a)) w
ORDER BY id;

-- Many rows on few days in no order: the state merges them as it goes.
SELECT (s).orders, (s).purchase_days, (s).revenue, (s).repeat_spend
FROM (SELECT custseg.summarize(date '2020-01-01' + g % 3, (g % 2)::numeric, date '2020-12-31'
							   ORDER BY hashint4(g)) AS s
	  FROM generate_series(1, 100000) g) x;

-- Every amount type gives the same figures.
SELECT customer,
	   custseg.summarize(order_day, amount, date '2020-12-31') =
	   custseg.summarize(order_day, amount::float8, date '2020-12-31') AS float8,
	   custseg.summarize(order_day, round(amount)::int, date '2020-12-31') =
	   custseg.summarize(order_day, round(amount)::bigint, date '2020-12-31') AS int_bigint
FROM orders GROUP BY customer ORDER BY customer;

-- timestamp: recency and age are fractional days; active_days counts
-- calendar days between the first and last purchase day.
SELECT (custseg.summarize(t, a, timestamp '2020-01-03 12:00')).*
FROM (VALUES (timestamp '2020-01-01 23:00', 1), (timestamp '2020-01-02 01:00', 2),
			 (timestamp '2020-01-02 18:00', 4)) v(t, a);

-- timestamptz: calendar days follow the session TimeZone.  23:30 UTC and
-- 00:30 UTC the next day are two days in UTC and one day in New York.
SELECT current_setting('TimeZone') AS tz, purchase_days, first_order, recency_days
FROM (SELECT (custseg.summarize(t, 1, timestamptz '2020-01-03 00:00+00')).*
	  FROM (VALUES (timestamptz '2020-01-01 23:30+00'),
				   (timestamptz '2020-01-02 00:30+00')) v(t)) s;
SET TimeZone = 'America/New_York';
SELECT current_setting('TimeZone') AS tz, purchase_days, first_order, recency_days
FROM (SELECT (custseg.summarize(t, 1, timestamptz '2020-01-03 00:00+00')).*
	  FROM (VALUES (timestamptz '2020-01-01 23:30+00'),
				   (timestamptz '2020-01-02 00:30+00')) v(t)) s;

-- Local times across daylight-saving transitions agree with PostgreSQL's
-- own timestamptz to timestamp conversion, second by second around each
-- switch, in zones with one-hour and half-hour shifts.
CREATE TABLE instants AS
SELECT z.zone, i.t + g * interval '17 minutes 13.5 seconds' AS t
FROM (VALUES ('America/New_York'), ('Europe/Berlin'), ('Australia/Lord_Howe'),
			 ('Asia/Kolkata'), ('UTC')) z(zone),
	 (VALUES (timestamptz '1950-01-01 00:00+00'), (timestamptz '2019-01-01 00:00+00')) i(t),
	 generate_series(0, 80000) g
UNION ALL
SELECT z.zone, b.t + g * interval '0.5 seconds'
FROM (VALUES ('America/New_York'), ('Europe/Berlin')) z(zone),
	 (VALUES (timestamptz '2020-03-08 06:59:58+00'), (timestamptz '2020-11-01 05:59:58+00'),
			 (timestamptz '2020-03-29 00:59:58+00'), (timestamptz '2020-10-25 00:59:58+00')) b(t),
	 generate_series(0, 8) g;
CREATE FUNCTION local_time_mismatches(zone text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	PERFORM set_config('TimeZone', zone, true);
	SELECT count(*) INTO n
	FROM (SELECT t, custseg.summarize(t, 1, timestamptz '2100-01-01') s
		  FROM instants WHERE instants.zone = local_time_mismatches.zone GROUP BY t) x
	WHERE (s).first_order <> t::timestamp
	   OR (s).age_days <> extract(epoch FROM (timestamptz '2100-01-01')::timestamp
										- date_trunc('day', t::timestamp)) / 86400;
	RETURN n;
END $$;
SELECT zone, local_time_mismatches(zone) FROM (SELECT DISTINCT zone FROM instants) z ORDER BY zone;
SET TimeZone = 'UTC';

-- numeric amounts are converted exactly like numeric::float8.
SELECT count(*) AS amounts,
	   count(*) FILTER (WHERE (s).revenue IS DISTINCT FROM x::float8) AS mismatches
FROM (SELECT x, custseg.summarize(date '2020-01-01', x, date '2020-01-01') s
	  FROM (SELECT DISTINCT x FROM (
			SELECT round((hashint4(g) & 2147483647)::numeric / 1000, g % 6) AS x
			FROM generate_series(1, 20000) g
			UNION ALL
			SELECT (hashint4(g) & 2147483647)::numeric * ('1e' || (g % 40 - 20))::numeric
			FROM generate_series(1, 20000) g
			UNION ALL
			SELECT v FROM unnest(ARRAY[0, 0.1, 0.3, 1e22, 1e23, 9007199254740993, 0.000001,
									   123456789012345.67, 1e-30, 1.7976931348623157e308]::numeric[]) v
		  ) a) b
	  GROUP BY x) c;

-- The text form of a summary reads back to the same value, bit for bit
-- (floats print shortest-exact), so summaries can be exported and stored.
SELECT count(*) AS summaries,
	   count(*) FILTER (WHERE s::text::custseg.customer_summary IS NOT DISTINCT FROM s
						  AND s::text::custseg.customer_summary::text = s::text) AS round_trip
FROM (SELECT custseg.summarize(t, a::float8 / 3, timestamp '2020-06-01 13:14:15.123456') AS s
	  FROM (SELECT g % 50 AS c, timestamp '2020-01-01' + g * interval '1 hour 7 minutes 0.1 second' AS t,
				   (hashint4(g) & 65535) - 1000 AS a
			FROM generate_series(1, 3000) g) o
	  GROUP BY c) x;

-- No usable row: NULL.  Empty input: NULL.
SELECT custseg.summarize(order_day, amount, date '2019-01-01') IS NULL AS before_every_order
FROM orders WHERE customer = 1;
SELECT custseg.summarize(order_day, amount, date '2020-12-31') IS NULL AS empty
FROM orders WHERE false;

-- Bad input: clear errors.
SELECT custseg.summarize(order_day, amount, NULL::date) FROM orders;
SELECT custseg.summarize(order_day, amount, CASE WHEN customer = 1 THEN date '2020-12-31'
														ELSE date '2021-12-31' END)
FROM orders WHERE customer IN (1, 2);
SELECT custseg.summarize(t, a, date '2020-12-31')
FROM (VALUES (date '2020-01-01', 'NaN'::numeric)) v(t, a);
SELECT custseg.summarize(t, a, date '2020-12-31')
FROM (VALUES (date '2020-01-01', 'NaN'::float8)) v(t, a);
SELECT custseg.summarize(t, a, date '2020-12-31')
FROM (VALUES (date '2020-01-01', '-Infinity'::numeric)) v(t, a);
SELECT custseg.summarize(t, a, date '2020-12-31')
FROM (VALUES (date '2020-01-01', 'Infinity'::float8)) v(t, a);
SELECT custseg.summarize(t, 1, date '2020-12-31') FROM (VALUES ('-infinity'::date)) v(t);
SELECT custseg.summarize(t, 1, 'infinity'::timestamptz) FROM (VALUES (now())) v(t);
SELECT custseg.summarize(t, 1e308::float8, date '2020-12-31')
FROM (VALUES (date '2020-01-01'), (date '2020-01-02')) v(t);

-- Parallel: partial aggregates in workers, combined in the leader, equal to
-- the serial result, bit for bit: amounts with cents are summed with
-- compensation, so the order of the rows does not change the result.
CREATE TABLE many_orders AS
SELECT g % 5000 AS customer,
	   timestamp '2020-01-01' + (hashint4(g) & 1023) * interval '7 hours' AS t,
	   ((hashint4(g + 1) & 65535) - 3000) / 100.0 AS amount
FROM generate_series(1, 300000) g;
ANALYZE many_orders;
CREATE TABLE serial_result AS
SELECT customer, custseg.summarize(t, amount, timestamp '2020-03-31') AS s
FROM many_orders GROUP BY customer;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT customer, custseg.summarize(t, amount, timestamp '2020-03-31')
FROM many_orders GROUP BY customer;
SELECT count(*) AS customers, count(*) FILTER (WHERE p.s IS NOT DISTINCT FROM r.s) AS equal
FROM (SELECT customer, custseg.summarize(t, amount, timestamp '2020-03-31') AS s
	  FROM many_orders GROUP BY customer) p
JOIN serial_result r USING (customer);
RESET enable_hashagg;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- CDNOW (test/data/README.md): the summary built from the transactions
-- matches the published calibration summary (weeks, rounded to 2 decimals).
CREATE TABLE cdnow_raw (line text);
\copy cdnow_raw FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE cdnow AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD') AS day, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM cdnow_raw) s;
CREATE TABLE cdnow_published (id int, x int, t_x float8, t float8, zbar float8);
\copy cdnow_published FROM 'test/data/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER)
SELECT count(*) AS customers,
	   sum((s).repeat_purchases) AS sum_x,
	   count(*) FILTER (WHERE (s).repeat_purchases > 0) AS repeat_buyers,
	   count(*) FILTER (WHERE (s).repeat_purchases <> p.x) AS x_mismatches,
	   max(abs((s).active_days / 7 - p.t_x)) <= 0.005 + 1e-9 AS t_x_within_rounding,
	   max(abs((s).age_days / 7 - p.t)) <= 0.005 + 1e-9 AS t_within_rounding,
	   max(abs((s).repeat_spend - p.zbar)) <= 0.005 + 1e-9 AS zbar_within_rounding
FROM (SELECT id, custseg.summarize(day, amount, date '1997-09-30') AS s
	  FROM cdnow GROUP BY id) c
JOIN cdnow_published p USING (id);

DROP TABLE orders, instants, many_orders, serial_result, cdnow_raw, cdnow, cdnow_published;
DROP FUNCTION local_time_mismatches(text);
