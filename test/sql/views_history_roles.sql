-- Segment history across roles (docs/views.md, "Segment history"): the row
-- level security policies hide rows and never raise, and history is keyed
-- by the view's schema, name and owner, so that a relation of the same name
-- created by another role after the view was dropped neither reads, writes
-- nor deletes the first owner's history.
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET client_min_messages = warning;

CREATE ROLE regress_custseg_alice;
CREATE ROLE regress_custseg_mallory;
-- A schema where both may create relations, and one of Alice's own that
-- Mallory may not even use.
CREATE SCHEMA views_shared;
GRANT USAGE, CREATE ON SCHEMA views_shared TO regress_custseg_alice, regress_custseg_mallory;
CREATE SCHEMA views_alice AUTHORIZATION regress_custseg_alice;
RESET client_min_messages;

SET ROLE regress_custseg_alice;
CREATE TABLE views_alice.orders (customer integer, t date, amount numeric);
INSERT INTO views_alice.orders SELECT c, date '2024-01-01' + c * i, 10 * i
FROM generate_series(1, 20) c, generate_series(1, 1 + c % 3) i;
SELECT custseg.create_segment_view('views_alice.segs', 'views_alice.orders', 'customer', 't', 'amount',
	as_of => '2024-06-01')::text AS private_view;
SELECT custseg.create_segment_view('views_shared.segs', 'views_alice.orders', 'customer', 't', 'amount',
	as_of => '2024-06-01')::text AS shared_view;
SELECT custseg.snapshot_segments('views_alice.segs', '2024-06-01') AS private_snapshot,
	   custseg.snapshot_segments('views_shared.segs', '2024-06-01') AS shared_snapshot;
SELECT view_name, view_schema, view_relname, view_owner, customers FROM custseg.segment_snapshots ORDER BY 1;
RESET ROLE;

-- Mallory may not use schema views_alice: reading the history hides Alice's
-- rows instead of failing with 42501.
SET ROLE regress_custseg_mallory;
SELECT has_schema_privilege('views_alice', 'USAGE') AS mallory_uses_views_alice;
SELECT count(*) AS snapshots FROM custseg.segment_snapshots;
SELECT count(*) AS history FROM custseg.segment_history;
RESET ROLE;

-- Alice drops her shared view; Mallory creates a relation of the same name.
SET ROLE regress_custseg_alice;
DROP MATERIALIZED VIEW views_shared.segs;
RESET ROLE;
SET ROLE regress_custseg_mallory;
CREATE MATERIALIZED VIEW views_shared.segs AS
SELECT c AS customer, 'Forged'::text AS segment, 111 AS cell FROM generate_series(1, 3) c;
CREATE UNIQUE INDEX ON views_shared.segs (customer);
-- Nothing of Alice's is readable through the new relation ...
SELECT count(*) AS history FROM custseg.segment_history WHERE view_name = 'views_shared.segs';
SELECT * FROM custseg.segment_transitions('views_shared.segs', '2024-06-01', '2024-06-01');
-- ... nor writable under Alice's name ...
INSERT INTO custseg.segment_history VALUES ('views_shared.segs', '2024-06-01', '999', 'Forged', 111, 'views_shared', 'segs', 'regress_custseg_alice');
INSERT INTO custseg.segment_snapshots VALUES ('views_shared.segs', '2024-07-01', 1, 'views_shared', 'segs', 'regress_custseg_alice');
-- ... nor deletable.
DELETE FROM custseg.segment_history;
DELETE FROM custseg.segment_snapshots;
-- Its own history is its own: rows under its name, read back by it alone.
SELECT custseg.snapshot_segments('views_shared.segs', '2024-06-01') AS mallory_snapshot;
INSERT INTO custseg.segment_history VALUES ('views_shared.segs', '2024-06-01', '999', 'Forged', 111, 'views_shared', 'segs', 'regress_custseg_mallory');
SELECT view_owner, count(*) FROM custseg.segment_history GROUP BY 1;
-- Other spellings of a name: view_name must be the schema and name quoted
-- (rows for its own relation spelled otherwise are refused), and a schema
-- and name that reach no relation are refused too.
INSERT INTO custseg.segment_history VALUES ('segs', now(), '1', 'X', 111, 'views_shared', 'segs', 'regress_custseg_mallory');
INSERT INTO custseg.segment_history VALUES ('VIEWS_SHARED.SEGS', now(), '1', 'X', 111, 'views_shared', 'segs', 'regress_custseg_mallory');
INSERT INTO custseg.segment_history VALUES ('"views_shared"."segs"', now(), '1', 'X', 111, 'views_shared', 'segs', 'regress_custseg_mallory');
INSERT INTO custseg.segment_history VALUES ('views_shared.SEGS', now(), '1', 'X', 111, 'views_shared', 'SEGS', 'regress_custseg_mallory');
INSERT INTO custseg.segment_history VALUES ('VIEWS_SHARED.segs', now(), '1', 'X', 111, 'VIEWS_SHARED', 'segs', 'regress_custseg_mallory');
INSERT INTO custseg.segment_history VALUES ('pg_temp.segs', now(), '1', 'X', 111, 'pg_temp', 'segs', 'regress_custseg_mallory');
INSERT INTO custseg.segment_history VALUES ('"".segs', now(), '1', 'X', 111, '', 'segs', 'regress_custseg_mallory');
INSERT INTO custseg.segment_history VALUES (NULL, now(), '1', 'X', 111, NULL, 'segs', 'regress_custseg_mallory');
-- Updates are refused to everyone.
UPDATE custseg.segment_history SET segment = 'X';
RESET ROLE;

-- Alice's history is intact (the superuser sees every row).
SELECT view_name, view_owner, count(*) FROM custseg.segment_history GROUP BY 1, 2 ORDER BY 1, 2;
SELECT view_name, view_owner, customers FROM custseg.segment_snapshots ORDER BY 1, 2;

-- A reader Alice grants SELECT on her private view reads its history, even
-- without USAGE on its schema; Mallory's relation keeps its own.
GRANT SELECT ON views_alice.segs TO regress_custseg_mallory;
SET ROLE regress_custseg_mallory;
SELECT view_name, view_owner, count(*) FROM custseg.segment_history GROUP BY 1, 2 ORDER BY 1, 2;
RESET ROLE;

-- When Alice's view changes owner, its history stays with the owner who
-- recorded it: the new owner starts a history of its own.
ALTER MATERIALIZED VIEW views_alice.segs OWNER TO regress_custseg_mallory;
SET ROLE regress_custseg_mallory;
SELECT count(*) AS inherited FROM custseg.segment_history WHERE view_schema = 'views_alice';
RESET ROLE;

DELETE FROM custseg.segment_history WHERE view_schema IN ('views_alice', 'views_shared');
DELETE FROM custseg.segment_snapshots WHERE view_schema IN ('views_alice', 'views_shared');
SET client_min_messages = warning;
DROP SCHEMA views_alice, views_shared CASCADE;
DROP OWNED BY regress_custseg_alice, regress_custseg_mallory;
DROP ROLE regress_custseg_alice, regress_custseg_mallory;
