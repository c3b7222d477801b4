-- The extension as a whole: where its objects live and what they may do.
BEGIN;
SELECT plan(6);

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

SELECT is((SELECT count(*)::int FROM pg_proc
		   WHERE pronamespace = 'custseg'::regnamespace AND proparallel <> 's'), 0,
	'every function is PARALLEL SAFE');

SELECT ok(has_schema_privilege('public', 'custseg', 'USAGE'),
	'everyone may use schema custseg');

SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'custseg'), false,
	'the extension is not relocatable (its SQL names custseg.)');

SELECT * FROM finish();
ROLLBACK;
