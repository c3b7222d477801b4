-- Segment history: custseg.snapshot_segments, custseg.segment_transitions,
-- custseg.prune_segment_history (docs/views.md).
\set SHOW_CONTEXT never
\pset null '(null)'
SET timezone = 'UTC';

-- History and snapshots are kept by pg_dump (extension configuration tables).
SELECT c.relname, c.oid = ANY (e.extconfig) AS dumped, c.relrowsecurity AS row_security
FROM pg_extension e, pg_class c
WHERE e.extname = 'custseg' AND c.relname IN ('segment_history', 'segment_snapshots')
  AND c.relnamespace = 'custseg'::regnamespace
ORDER BY 1;

-- A two-segment map on F alone, and frozen thresholds with F cut points 2,
-- 3, 4, 5: 1 or 2 orders is Occasional, 3 or more Frequent.
INSERT INTO custseg.segment_rules VALUES
	('views_two', 1, 'Frequent', 1, 5, 3, 5, 1, 5),
	('views_two', 2, 'Occasional', 1, 5, 1, 2, 1, 5);
CREATE TABLE views_hist_orders (customer text, t timestamp, amount numeric);
-- Customers a, b: 1 order; c, d: 3 orders.
INSERT INTO views_hist_orders VALUES
	('a', '2024-01-01', 10),
	('b', '2024-01-02', 10),
	('c', '2024-01-03', 10), ('c', '2024-01-04', 10), ('c', '2024-01-05', 10),
	('d', '2024-01-03', 10), ('d', '2024-01-04', 10), ('d', '2024-01-05', 10);
SELECT custseg.create_segment_view('views_hist', 'views_hist_orders', 'customer', 't', 'amount',
	as_of => '2024-02-01', map => 'views_two',
	thresholds => custseg.rfm_thresholds(ARRAY[30, 60, 90, 120]::float8[],
										 ARRAY[2, 3, 4, 5]::float8[],
										 ARRAY[10, 20, 30, 40]::float8[])) IS NOT NULL AS created;
SELECT customer, orders, segment, cell FROM views_hist ORDER BY 1;

SELECT custseg.snapshot_segments('views_hist');
SELECT min(snapshot_at) AS first_snapshot FROM custseg.segment_snapshots
WHERE view_name = 'public.views_hist' \gset

-- a buys twice more (now Frequent), d's orders are deleted (d leaves), e
-- arrives with one order.
INSERT INTO views_hist_orders VALUES ('a', '2024-01-10', 5), ('a', '2024-01-11', 5),
									 ('e', '2024-01-12', 7);
DELETE FROM views_hist_orders WHERE customer = 'd';
REFRESH MATERIALIZED VIEW CONCURRENTLY views_hist;
SELECT custseg.snapshot_segments('views_hist');
SELECT customer, orders, segment FROM views_hist ORDER BY 1;

-- Two snapshots of 4 customers each.
-- Each keyed by the view's schema, name and owner.
SELECT view_name, view_schema, view_relname, view_owner = current_user AS owner, customers,
	   snapshot_at = :'first_snapshot' AS first
FROM custseg.segment_snapshots ORDER BY snapshot_at;
SELECT customer_key, segment, cell, snapshot_at = :'first_snapshot' AS first
FROM custseg.segment_history ORDER BY snapshot_at, customer_key;

-- By hand: a Occasional -> Frequent, b Occasional -> Occasional, c
-- Frequent -> Frequent, d Frequent -> (gone), e (new) -> Occasional.
SELECT * FROM custseg.segment_transitions('views_hist', :'first_snapshot', now());
-- Any time between the snapshots means the first one; a snapshot with itself
-- is the diagonal.
SELECT * FROM custseg.segment_transitions('views_hist', :'first_snapshot'::timestamptz + interval '1 microsecond',
										  :'first_snapshot');

-- One snapshot per transaction.
BEGIN;
SELECT custseg.snapshot_segments('views_hist');
SELECT custseg.snapshot_segments('views_hist');
ROLLBACK;

-- Bad input.
SELECT custseg.snapshot_segments(NULL);
SELECT custseg.snapshot_segments('views_hist_orders');
SELECT custseg.snapshot_segments('no_such_view');
CREATE MATERIALIZED VIEW views_hist_bare AS SELECT 'a'::text AS customer, 'X'::text AS label;
SELECT custseg.snapshot_segments('views_hist_bare');
CREATE UNIQUE INDEX ON views_hist_bare (customer);
SELECT custseg.snapshot_segments('views_hist_bare');
REFRESH MATERIALIZED VIEW views_hist_bare WITH NO DATA;
SELECT custseg.snapshot_segments('views_hist_bare');
SELECT * FROM custseg.segment_transitions(NULL, now(), now());
SELECT * FROM custseg.segment_transitions('views_hist', NULL, now());
SELECT * FROM custseg.segment_transitions('views_hist', now(), NULL);
SELECT * FROM custseg.segment_transitions('views_hist', '2000-01-01', now());
SELECT * FROM custseg.segment_transitions('views_hist_bare', '2030-01-01', '2030-01-01');
SELECT custseg.prune_segment_history(NULL, '1 day');
SELECT custseg.prune_segment_history('views_hist', NULL);
SELECT custseg.prune_segment_history('views_hist', '-1 day');

-- Back-filling: a view of a past date, snapshotted at its as_of.  A view
-- created again under the same name by the same owner continues its
-- history.
CREATE TABLE views_fill_orders AS SELECT * FROM views_hist_orders;
INSERT INTO views_fill_orders VALUES ('d', '2024-01-03', 10), ('d', '2024-01-04', 10), ('d', '2024-01-05', 10);
SELECT custseg.create_segment_view('views_fill', 'views_fill_orders', 'customer', 't', 'amount',
	as_of => '2024-01-04 12:00', map => 'views_two',
	thresholds => custseg.rfm_thresholds(ARRAY[30, 60, 90, 120]::float8[],
										 ARRAY[2, 3, 4, 5]::float8[],
										 ARRAY[10, 20, 30, 40]::float8[])) IS NOT NULL AS created;
SELECT custseg.snapshot_segments('views_fill', '2024-01-04 12:00');
DROP MATERIALIZED VIEW views_fill;
SELECT custseg.create_segment_view('views_fill', 'views_fill_orders', 'customer', 't', 'amount',
	as_of => '2024-02-01', map => 'views_two',
	thresholds => custseg.rfm_thresholds(ARRAY[30, 60, 90, 120]::float8[],
										 ARRAY[2, 3, 4, 5]::float8[],
										 ARRAY[10, 20, 30, 40]::float8[])) IS NOT NULL AS created;
SELECT custseg.snapshot_segments('views_fill', as_of => '2024-02-01');
SELECT snapshot_at, customers FROM custseg.segment_snapshots
WHERE view_name = 'public.views_fill' ORDER BY 1;
-- On 2024-01-04 at noon a and b had 1 order, c and d 2 (all Occasional), e none.
SELECT * FROM custseg.segment_transitions('views_fill', '2024-01-04 12:00', '2024-02-01');
-- Bad as_of: taken already, in the future, infinite.
SELECT custseg.snapshot_segments('views_fill', '2024-02-01');
SELECT custseg.snapshot_segments('views_fill', '2999-01-01');
SELECT custseg.snapshot_segments('views_fill', 'infinity');
SELECT custseg.snapshot_segments('views_fill', '-infinity');
SELECT custseg.prune_segment_history('views_fill', '0');
DROP MATERIALIZED VIEW views_fill;
DROP TABLE views_fill_orders;

-- Retention: nothing is older than a day; interval '0' deletes every
-- snapshot taken before this transaction, with its customers.
SELECT custseg.prune_segment_history('views_hist', '1 day');
SELECT custseg.prune_segment_history('views_hist', '0');
SELECT (SELECT count(*) FROM custseg.segment_snapshots) AS snapshots,
	   (SELECT count(*) FROM custseg.segment_history) AS history;

DROP MATERIALIZED VIEW views_hist, views_hist_bare;
DROP TABLE views_hist_orders;
DELETE FROM custseg.segment_rules WHERE map = 'views_two';
