-- custseg.create_segment_table, refresh_segment_table, drop_segment_table:
-- what they create, their errors, privileges, TRUNCATE, dropped orders, and
-- history, reports and schedules of a segment table.  docs/tables.md
\set SHOW_CONTEXT never
\pset null '(null)'
SET timezone = 'UTC';

CREATE TABLE tab_orders (customer_id bigint, order_time timestamptz, amount numeric(10,2));
CREATE INDEX ON tab_orders (customer_id);
INSERT INTO tab_orders
SELECT c, timestamptz '2024-01-01' + (7 * c + 7 * i) * interval '1 day', 10 * c + i
FROM generate_series(1, 12) AS c, generate_series(1, c) AS i;

-- As of a fixed time, so that the figures below stay the same.
SELECT custseg.create_segment_table('tab_segments', 'tab_orders', 'customer_id', 'order_time',
	'amount', as_of => '2024-06-01');
SELECT customer_id, orders, revenue, round(recency_days::numeric, 1) AS recency_days,
	   r, f, m, cell, segment
FROM tab_segments ORDER BY customer_id;
-- The same columns, types and rows as the segment view.
SELECT custseg.create_segment_view('tab_view', 'tab_orders', 'customer_id', 'order_time',
	'amount', as_of => '2024-06-01');
SELECT (SELECT array_agg(format('%s %s', attname, format_type(atttypid, atttypmod)) ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'tab_segments'::regclass AND attnum > 0)
	 = (SELECT array_agg(format('%s %s', attname, format_type(atttypid, atttypmod)) ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'tab_view'::regclass AND attnum > 0) AS same_columns,
	   (SELECT count(*) FROM (TABLE tab_segments EXCEPT ALL TABLE tab_view) a) AS missing_in_view,
	   (SELECT count(*) FROM (TABLE tab_view EXCEPT ALL TABLE tab_segments) a) AS missing_in_table;
-- What was created: a view, its storage and log, and four statement
-- triggers on the orders.
SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c WHERE c.relname LIKE 'tab\_segments%' AND c.relkind IN ('r', 'v') ORDER BY 1;
SELECT tgname ~ '^custseg_[0-9]+_(insert|update|delete|truncate)$' AS named, tgtype,
	   tgfoid::regprocedure, encode(tgargs, 'escape') AS args
FROM pg_trigger WHERE tgrelid = 'tab_orders'::regclass ORDER BY tgtype;
SELECT segment_table, storage, log, orders, bins, method, as_of_local, thresholds IS NULL AS recomputed_later
FROM custseg.segment_tables;

-- Changes: an order of a new customer, a backdated order, a customer
-- changed, a deleted customer, a refund.  Only those customers are read.
INSERT INTO tab_orders VALUES (20, '2024-05-30', 500), (3, '2024-01-02', 7);
UPDATE tab_orders SET customer_id = 21 WHERE customer_id = 1;
DELETE FROM tab_orders WHERE customer_id = 2;
INSERT INTO tab_orders VALUES (5, '2024-05-01', -50);
SELECT count(*) AS statements_logged FROM tab_segments_log;
SELECT custseg.refresh_segment_table('tab_segments') AS customers_read;
SELECT count(*) AS log_after FROM tab_segments_log;
REFRESH MATERIALIZED VIEW tab_view;
SELECT (SELECT count(*) FROM (TABLE tab_segments EXCEPT ALL TABLE tab_view) a) AS missing_in_view,
	   (SELECT count(*) FROM (TABLE tab_view EXCEPT ALL TABLE tab_segments) a) AS missing_in_table;
SELECT customer_id, orders, revenue FROM tab_segments WHERE customer_id IN (1, 2, 3, 5, 20, 21) ORDER BY 1;
-- A refresh with nothing logged reads nobody.
SELECT custseg.refresh_segment_table('tab_segments') AS customers_read;

-- TRUNCATE: the next refresh rebuilds everything.
BEGIN;
TRUNCATE tab_orders;
INSERT INTO tab_orders VALUES (7, '2024-02-02', 70), (8, '2024-03-03', 80);
COMMIT;
SELECT keys, truncated FROM tab_segments_log ORDER BY truncated;
SELECT custseg.refresh_segment_table('tab_segments') AS customers_read;
SELECT customer_id, orders, revenue FROM tab_segments ORDER BY 1;

-- Segment history, reports and schedules take a segment table.
SELECT custseg.snapshot_segments('tab_segments') AS recorded;
SELECT * FROM custseg.segment_transitions('tab_segments', now(), now());
SELECT segment, customers FROM custseg.segment_report('tab_segments', 1);
SELECT custseg.segment_view_key('tab_segments');
-- pg_cron is not installed here: schedule_refresh takes the segment table
-- and then asks for pg_cron (the hint names the server's cron.database_name).
DO $$
BEGIN
	PERFORM custseg.schedule_refresh('tab_segments', '@hourly');
EXCEPTION WHEN object_not_in_prerequisite_state THEN
	RAISE NOTICE '%', SQLERRM;
END
$$;

-- Errors of create_segment_table.
SELECT custseg.create_segment_table(NULL, 'tab_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_table('tab_segments', 'tab_orders', 'customer_id', 'order_time', 'amount');
CREATE VIEW tab_orders_view AS SELECT * FROM tab_orders;
SELECT custseg.create_segment_table('tab_x', 'tab_orders_view', 'customer_id', 'order_time', 'amount');
CREATE TABLE tab_unindexed (customer_id bigint, order_time timestamptz, amount numeric);
SELECT custseg.create_segment_table('tab_x', 'tab_unindexed', 'customer_id', 'order_time', 'amount');
CREATE TABLE tab_x_log ();
SELECT custseg.create_segment_table('tab_x', 'tab_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_table(repeat('x', 60), 'tab_orders', 'customer_id', 'order_time', 'amount');
SELECT custseg.create_segment_table('tab_y', 'tab_orders', 'customer_id', 'order_time', 'amount', bins => 11);
SELECT custseg.create_segment_table('tab_y', 'tab_orders', 'nobody', 'order_time', 'amount');
SELECT custseg.create_segment_table('a.b.c', 'tab_orders', 'customer_id', 'order_time', 'amount');
CREATE TABLE tab_pending (pending bigint, order_time timestamptz, amount numeric);
CREATE INDEX ON tab_pending (pending);
SELECT custseg.create_segment_table('tab_y', 'tab_pending', 'pending', 'order_time', 'amount');
-- Nothing was left behind by the failed calls.
SELECT count(*) AS segment_tables FROM custseg.segment_tables;
SELECT relname FROM pg_class WHERE relname LIKE 'tab\_y%' OR relname LIKE 'tab\_x\_%' ORDER BY 1;

-- Errors of refresh_segment_table and drop_segment_table.
SELECT custseg.refresh_segment_table(NULL);
SELECT custseg.refresh_segment_table('tab_view');
SELECT custseg.drop_segment_table(NULL);
SELECT custseg.drop_segment_table('tab_orders');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT custseg.refresh_segment_table('tab_segments');
ROLLBACK;

-- Privileges: another role may write orders (the capture runs as the
-- writer and may add to the log), but not write the log by itself, read
-- the storage, or refresh or drop the segment table.
CREATE ROLE tab_writer;
GRANT INSERT ON tab_orders TO tab_writer;
CREATE ROLE tab_stranger;
SET ROLE tab_writer;
INSERT INTO tab_orders VALUES (9, '2024-04-04', 90);
SELECT custseg.refresh_segment_table('tab_segments');
SELECT custseg.drop_segment_table('tab_segments');
SELECT * FROM tab_segments;
RESET ROLE;
SET ROLE tab_stranger;
INSERT INTO tab_segments_log (keys) VALUES ('{1}');
RESET ROLE;
SELECT custseg.refresh_segment_table('tab_segments') AS customers_read;
SELECT customer_id, orders FROM tab_segments ORDER BY 1;
SELECT has_table_privilege('tab_stranger', 'tab_segments', 'SELECT') AS stranger_reads,
	   has_table_privilege('tab_stranger', 'tab_segments_store', 'SELECT') AS stranger_reads_storage;

-- The orders dropped: a clear error at refresh; the segment table can still
-- be dropped, and nothing is left.
DROP TABLE tab_orders CASCADE;
SELECT custseg.refresh_segment_table('tab_segments');
SELECT custseg.drop_segment_table('tab_segments');
SELECT count(*) AS segment_tables FROM custseg.segment_tables;
SELECT relname FROM pg_class WHERE relname LIKE 'tab\_segments%';
SELECT count(*) AS triggers FROM pg_trigger WHERE tgfoid = 'custseg.segment_table_capture'::regproc;
-- The capture function outside a capture trigger.
SELECT custseg.segment_table_capture();
CREATE TABLE tab_rows (k bigint);
CREATE TRIGGER tab_rows_capture AFTER INSERT ON tab_rows FOR EACH ROW EXECUTE FUNCTION custseg.segment_table_capture('x', 'k');
INSERT INTO tab_rows VALUES (1);
DROP TABLE tab_rows;

-- custseg.summary_days: summarize's days, to the last bit; its errors.
SELECT bool_and(custseg.summary_days(a, t) = recency_days) AS same_as_summarize, count(*)
FROM (SELECT a, t, (custseg.summarize(t, 1, a)).recency_days
	  FROM (SELECT timestamp '2024-06-01 13:17:01.123457' AS a,
				   timestamp '2020-02-29 23:59:59.999999' - i * interval '17 hours 3 minutes 0.000001 seconds' AS t
			FROM generate_series(0, 1000) i) x
	  GROUP BY a, t) y;
SELECT custseg.summary_days('2024-06-01', '2024-05-31 12:00'), custseg.summary_days('2024-01-01', '2024-06-01');
SELECT custseg.summary_days('infinity', '2024-01-01');
SELECT custseg.summary_days('294000-01-01', '4700-01-01 BC');

DELETE FROM custseg.segment_history WHERE view_name = 'public.tab_segments';
DELETE FROM custseg.segment_snapshots WHERE view_name = 'public.tab_segments';
DROP TABLE tab_unindexed, tab_x_log, tab_pending;
DROP ROLE tab_writer;
DROP ROLE tab_stranger;
