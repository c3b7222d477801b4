-- custseg.create_segment_view: a materialized view of segments (docs/views.md).
\set SHOW_CONTEXT never
\pset null '(null)'
SET timezone = 'UTC';

-- Twelve customers: customer c orders c times, a week apart from day 7c of
-- 2024; amounts 10c + i.  Customer 13 has only a refund (no summary, left
-- out), customer 14 only an order after as_of (left out), and a row without
-- a customer is left out.
CREATE TABLE views_orders (
	customer_id bigint,
	order_time timestamptz NOT NULL,
	amount numeric(10,2) NOT NULL,
	channel text
);
INSERT INTO views_orders
SELECT c, timestamptz '2024-01-01' + (7 * c + 7 * i) * interval '1 day', 10 * c + i, 'web'
FROM generate_series(1, 12) AS c, generate_series(1, c) AS i;
INSERT INTO views_orders VALUES
	(13, '2024-03-01', -5, 'web'),
	(14, '2024-07-01', 99, 'web'),
	(NULL, '2024-03-01', 50, 'shop');

SELECT custseg.create_segment_view('views_segments', 'views_orders', 'customer_id',
	'order_time', 'amount', as_of => '2024-06-01');

-- One row per customer with an order by as_of.
SELECT customer_id, orders, revenue, round(recency_days::numeric, 1) AS recency_days,
	   r, f, m, cell, segment
FROM views_segments ORDER BY customer_id;

-- The same rows as the query written by hand (both differences empty).
CREATE TEMP TABLE views_expected AS
SELECT customer_id, (s).*, (score).r, (score).f, (score).m, (score).cell, custseg.segment(score) AS segment
FROM (SELECT customer_id, s, custseg.rfm_score(s) OVER () AS score
	  FROM (SELECT customer_id,
				   custseg.summarize(order_time, amount, timestamptz '2024-06-01') AS s
			FROM views_orders WHERE customer_id IS NOT NULL
			GROUP BY customer_id) AS c
	  WHERE (s).orders IS NOT NULL) AS k;
SELECT count(*) AS missing FROM (TABLE views_expected EXCEPT TABLE views_segments) d;
SELECT count(*) AS extra FROM (TABLE views_segments EXCEPT TABLE views_expected) d;

-- The unique index a concurrent refresh needs, the comment, the owner.
SELECT indexdef FROM pg_indexes WHERE tablename = 'views_segments';
SELECT obj_description('views_segments'::regclass, 'pg_class');
SELECT relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS caller_owns
FROM pg_class WHERE oid = 'views_segments'::regclass;

-- A concurrent refresh picks up a new customer with 20 orders, and the
-- thresholds are recomputed: the view is again the query written by hand.
INSERT INTO views_orders
SELECT 15, timestamptz '2024-05-01' + i * interval '1 hour', 1, 'web' FROM generate_series(1, 20) i;
SELECT customer_id, f FROM views_segments WHERE customer_id IN (12, 15) ORDER BY 1;
REFRESH MATERIALIZED VIEW CONCURRENTLY views_segments;
SELECT customer_id, f FROM views_segments WHERE customer_id IN (12, 15) ORDER BY 1;
TRUNCATE views_expected;
INSERT INTO views_expected
SELECT customer_id, (s).*, (score).r, (score).f, (score).m, (score).cell, custseg.segment(score) AS segment
FROM (SELECT customer_id, s, custseg.rfm_score(s) OVER () AS score
	  FROM (SELECT customer_id,
				   custseg.summarize(order_time, amount, timestamptz '2024-06-01') AS s
			FROM views_orders WHERE customer_id IS NOT NULL
			GROUP BY customer_id) AS c
	  WHERE (s).orders IS NOT NULL) AS k;
SELECT (SELECT count(*) FROM views_expected) AS customers,
	   (SELECT count(*) FROM (TABLE views_expected EXCEPT TABLE views_segments) d) AS missing,
	   (SELECT count(*) FROM (TABLE views_segments EXCEPT TABLE views_expected) d) AS extra;

-- Frozen thresholds, 4 bins, cut points R 30, 60, 90 days, F 2, 5, 10
-- orders, M 100, 300, 600.  By hand: customer 1 (138 days, 1 order, 11)
-- is 111; 4 (96 days, 4 orders, 170) 122; 5 (82 days, 5 orders, 265) 232;
-- 12 (5 days, 9 orders, 1125) 434; 15 (30.2 days, 20 orders, 20) 341.
-- Scores on 4 bins: the built-in map (for 5 bins) refuses them; a map
-- declared for 4 bins labels them.
SELECT custseg.create_segment_view('views_frozen', 'views_orders', 'customer_id',
	'order_time', 'amount', as_of => '2024-06-01',
	thresholds => custseg.rfm_thresholds(ARRAY[30, 60, 90]::float8[], ARRAY[2, 5, 10]::float8[],
										 ARRAY[100, 300, 600]::float8[]));
INSERT INTO custseg.segment_rules (map, priority, segment, r_min, r_max, f_min, f_max, m_min, m_max, bins) VALUES
	('views_four', 1, 'Recent', 3, 4, 1, 4, 1, 4, 4),
	('views_four', 2, 'Lapsed frequent', 1, 2, 3, 4, 1, 4, 4),
	('views_four', 3, 'Lapsed', 1, 2, 1, 2, 1, 4, 4);
SELECT custseg.create_segment_view('views_frozen', 'views_orders', 'customer_id',
	'order_time', 'amount', as_of => '2024-06-01', map => 'views_four',
	thresholds => custseg.rfm_thresholds(ARRAY[30, 60, 90]::float8[], ARRAY[2, 5, 10]::float8[],
										 ARRAY[100, 300, 600]::float8[]));
SELECT customer_id, recency_days < 30 AS recent, orders, revenue, r, f, m, segment
FROM views_frozen WHERE customer_id IN (1, 4, 5, 12, 15) ORDER BY 1;

-- A quoted, schema-qualified name; a date column, a real amount and a
-- text key; as_of the time of each refresh (CURRENT_DATE for a date).
CREATE SCHEMA "Views Schema";
CREATE TABLE views_daily (shopper text, day date, amount real);
INSERT INTO views_daily VALUES
	('ann', current_date - 2, 10.5), ('ann', current_date - 10, 4),
	('bob', current_date, 7), ('cy', current_date + 1, 3);
SELECT custseg.create_segment_view('"Views Schema"."Daily Segments"', 'views_daily',
	'shopper', 'day', 'amount', bins => 4, method => 'rfm', map => 'views_four');
SELECT shopper, orders, revenue, recency_days, age_days
FROM "Views Schema"."Daily Segments" ORDER BY 1;
-- cy's order is tomorrow: not yet in the view.

-- A timestamptz column without as_of: recency up to now().
CREATE TABLE views_recent (id integer, t timestamptz, amount bigint);
INSERT INTO views_recent VALUES (1, now() - interval '2 days', 5);
SELECT custseg.create_segment_view('views_now', 'views_recent', 'id', 't', 'amount');
SELECT recency_days BETWEEN 2 AND 2.01 AS two_days FROM views_now;
-- as_of_unit 'day': recency up to the end of today, so the same until
-- midnight: an order at 00:00 today is 1 day old (at midnight tonight).
INSERT INTO views_recent VALUES (2, date_trunc('day', now()), 5);
SELECT custseg.create_segment_view('views_today', 'views_recent', 'id', 't', 'amount', as_of_unit => 'day');
SELECT id, recency_days, age_days FROM views_today WHERE id = 2;
SELECT recency_days > 2 AND recency_days <= 3 AS two_to_three_days FROM views_today WHERE id = 1;

-- Bad input.
SELECT custseg.create_segment_view(NULL, 'views_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('v', NULL, 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', NULL);
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'amount', map => NULL);
SELECT custseg.create_segment_view('views_segments', 'views_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('views_orders', 'views_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('a.b.c', 'views_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('"unterminated', 'views_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('no_such_schema.v', 'views_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view(repeat('v', 64), 'views_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('v', 'no_such_table', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('v', 'views_segments_customer_id_idx', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_view('v', 'views_orders', 'client', 'order_time', 'amount');
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'ordered', 'amount');
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'channel');
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'channel', 'amount');
CREATE TABLE views_bad_key (k json, t date, a numeric, orders bigint);
SELECT custseg.create_segment_view('v', 'views_bad_key', 'k', 't', 'a');
SELECT custseg.create_segment_view('v', 'views_bad_key', 'orders', 't', 'a');
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'amount',
	thresholds => custseg.rfm_thresholds(ARRAY[1]::float8[], ARRAY[1]::float8[], ARRAY[1]::float8[]), bins => 2);
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'amount', bins => 11);
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'amount', method => 'median');
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'amount', map => 'no_such_map');
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'amount', bins => 6);
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'amount', as_of_unit => 'second');
SELECT custseg.create_segment_view('v', 'views_orders', 'customer_id', 'order_time', 'amount', as_of => '2024-06-01', as_of_unit => 'day');
SELECT custseg.create_segment_view('v', 'views_daily', 'shopper', 'day', 'amount', as_of_unit => 'day');
-- Nothing was created by the failed calls.
SELECT count(*) FROM pg_class WHERE relname = 'v';

DROP MATERIALIZED VIEW views_segments, views_frozen, views_now, views_today, "Views Schema"."Daily Segments";
DROP SCHEMA "Views Schema";
DROP TABLE views_orders, views_daily, views_recent, views_bad_key;
DELETE FROM custseg.segment_rules WHERE map = 'views_four';
