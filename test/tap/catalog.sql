-- The extension as a whole: where its objects live and what they may do.
BEGIN;
SELECT plan(9);

SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace AND prosecdef), 0,
	'no SECURITY DEFINER function');

SELECT is((SELECT count(*)::int
		   FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
		   WHERE d.refclassid = 'pg_extension'::regclass
			 AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'custseg')
			 AND p.pronamespace <> 'custseg'::regnamespace), 0,
	'every function of the extension is in schema custseg');

SELECT is((SELECT count(*)::int
		   FROM pg_depend d JOIN pg_type t ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
		   WHERE d.refclassid = 'pg_extension'::regclass
			 AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'custseg')
			 AND t.typnamespace <> 'custseg'::regnamespace), 0,
	'every type of the extension is in schema custseg');

-- The functions that run DDL, write the segment history, a segment table
-- or other nodes' tables are truthfully PARALLEL UNSAFE (sql/parts/views.sql,
-- sql/parts/tables.sql, sql/parts/segments.sql); every other one is
-- PARALLEL SAFE.
SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace AND proparallel <> 's'
			 AND proname NOT IN ('create_segment_view', 'schedule_refresh', 'unschedule_refresh',
								 'snapshot_segments', 'prune_segment_history',
								 'create_segment_table', 'refresh_segment_table', 'drop_segment_table',
								 'segment_table_capture', 'sync_segment_rules')), 0,
	'every function is PARALLEL SAFE, except the ten that run DDL or write history, segment tables or other nodes');

SELECT ok(has_schema_privilege('public', 'custseg', 'USAGE'),
	'everyone may use schema custseg');

SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'custseg'), false,
	'the extension is not relocatable (its SQL names custseg.)');

-- An ordinary role can use everything: summaries, scores, built-in and user
-- maps (it may read the rules, not change them).
INSERT INTO custseg.segment_rules VALUES ('catalog_test', 1, 'Everyone', 1, 10, 1, 10, 1, 10);
CREATE ROLE custseg_catalog_user;
SET ROLE custseg_catalog_user;
SELECT is((SELECT custseg.segment(custseg.rfm_score(s) OVER ())
		   FROM (SELECT custseg.summarize(date '2020-01-01', 10, date '2020-12-31') AS s) x),
	'Lost', 'an ordinary role summarizes, scores and labels');
SELECT is(custseg.segment(3, 3, 3, 'catalog_test'), 'Everyone',
	'an ordinary role labels with a user map');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('mine', 1, 'X', 1, 5, 1, 5, 1, 5)$$,
	'42501', 'permission denied for table segment_rules',
	'an ordinary role cannot change the rules unless granted');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
