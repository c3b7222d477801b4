-- pgTAP: segment tables (sql/parts/tables.sql, docs/tables.md): labels,
-- the registry's row level security and dump, and what a segment table
-- grants.
BEGIN;
SELECT plan(17);

-- Labels: DDL and writes VOLATILE PARALLEL UNSAFE, none SECURITY DEFINER.
SELECT is((SELECT format('%s %s %s %s', provolatile, proparallel, proisstrict, prosecdef)
		   FROM pg_proc WHERE oid = f::regprocedure), l, f || ' is ' || l)
FROM (VALUES
	('custseg.create_segment_table(text, regclass, name, name, name, timestamptz, text, custseg.rfm_thresholds, integer, text, text, record, custseg.gammagamma, interval, double precision, double precision, name)', 'v u f f'),
	('custseg.refresh_segment_table(regclass)', 'v u f f'),
	('custseg.drop_segment_table(regclass)', 'v u f f'),
	('custseg.segment_table_capture()', 'v u f f'),
	('custseg.segment_table_row(regclass)', 's s t f'),
	('custseg.segment_definition(text, text, regclass, name, name, name, timestamptz, text, custseg.rfm_thresholds, integer, text, text, record, custseg.gammagamma, interval, double precision, double precision, name)', 's s f f'),
	('custseg.summary_days(timestamp, timestamp)', 'i s t f')) AS v(f, l);

-- The registry: kept by pg_dump, row level security on, readable by all.
SELECT ok((SELECT 'custseg.segment_tables'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'custseg'),
	'custseg.segment_tables is kept by pg_dump');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'custseg.segment_tables'::regclass),
	'custseg.segment_tables has row level security');

CREATE TABLE tap_tab_orders (customer_id bigint, order_time timestamptz, amount numeric);
CREATE INDEX ON tap_tab_orders (customer_id);
INSERT INTO tap_tab_orders VALUES (1, '2024-01-01', 10), (2, '2024-02-01', 20);
SELECT isnt(custseg.create_segment_table('tap_tab', 'tap_tab_orders', 'customer_id', 'order_time', 'amount'),
	NULL, 'create_segment_table creates');
CREATE ROLE tap_tab_stranger;
GRANT SELECT ON tap_tab TO tap_tab_stranger;
SET ROLE tap_tab_stranger;
SELECT is((SELECT count(*)::int FROM tap_tab), 2, 'a reader granted SELECT on the view reads it');
SELECT is((SELECT count(*)::int FROM custseg.segment_tables WHERE segment_table = 'tap_tab'::regclass), 1,
	'anyone reads the registry');
UPDATE custseg.segment_tables SET thresholds = NULL WHERE segment_table = 'tap_tab'::regclass;
SELECT throws_ok($$INSERT INTO custseg.segment_tables SELECT * FROM custseg.segment_tables$$,
	'42501', NULL, 'a stranger cannot add rows to the registry');
SELECT throws_ok($$SELECT * FROM tap_tab_store$$, '42501', NULL, 'a stranger cannot read the storage');
SELECT throws_ok($$INSERT INTO tap_tab_orders VALUES (3, now(), 1)$$, '42501', NULL,
	'a stranger cannot write the orders');
RESET ROLE;
SELECT ok((SELECT thresholds IS NOT NULL FROM custseg.segment_tables WHERE segment_table = 'tap_tab'::regclass),
	'a stranger''s UPDATE of the registry changed nothing');
SELECT lives_ok($$SELECT custseg.drop_segment_table('tap_tab')$$, 'drop_segment_table drops');

SELECT * FROM finish();
ROLLBACK;
