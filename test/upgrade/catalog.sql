-- test/upgrade/catalog.sql: the definition of every member of extension
-- custseg, one line each, without OIDs, sorted: run on a fresh install and
-- on an updated one, the two outputs must be equal (scripts/test).
\pset format unaligned
\pset tuples_only on
WITH members AS (
	SELECT d.classid, d.objid
	FROM pg_depend d
	WHERE d.refclassid = 'pg_extension'::regclass
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'custseg')
	  AND d.deptype = 'e'
)
SELECT line FROM (
	-- every member by its identity
	SELECT pg_describe_object(classid, objid, 0) AS line FROM members
	UNION ALL
	-- functions, procedures, aggregates: their whole definition
	SELECT 'function ' || p.oid::regprocedure || ': ' ||
		CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) ELSE '' END ||
		' kind=' || p.prokind::text || ' volatile=' || p.provolatile::text || ' strict=' || p.proisstrict ||
		' parallel=' || p.proparallel::text || ' cost=' || p.procost || ' rows=' || p.prorows ||
		' returns=' || format_type(p.prorettype, NULL) ||
		' acl=' || coalesce(p.proacl::text, '') ||
		' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
	FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
	UNION ALL
	SELECT 'aggregate ' || a.aggfnoid::regprocedure || ': ' || concat_ws(' ',
		a.aggkind, a.aggnumdirectargs, a.aggtransfn::regprocedure, a.aggfinalfn,
		a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn,
		a.aggmfinalfn, a.aggfinalextra, a.aggmfinalextra, a.aggfinalmodify, a.aggmfinalmodify,
		a.aggsortop::regoperator, format_type(a.aggtranstype, NULL), a.aggtransspace,
		format_type(a.aggmtranstype, NULL), a.aggmtransspace, a.agginitval, a.aggminitval)
	FROM members m JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid
	UNION ALL
	-- types: their functions and layout
	SELECT 'type ' || format_type(t.oid, NULL) || ': ' || concat_ws(' ',
		t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage, t.typinput::regproc,
		t.typoutput::regproc, t.typreceive::regproc, t.typsend::regproc,
		t.typmodin::regproc, t.typmodout::regproc, t.typanalyze::regproc,
		t.typcategory, t.typispreferred, t.typdelim, format_type(t.typelem, NULL),
		t.typnotnull, format_type(t.typbasetype, NULL), t.typdefault,
		obj_description(t.oid, 'pg_type'))
	FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
	UNION ALL
	-- columns of member relations and composite types
	SELECT 'column ' || c.oid::regclass || '.' || a.attname || ': ' ||
		format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull ||
		' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') ||
		' position=' || a.attnum || ' comment=' || coalesce(col_description(c.oid, a.attnum), '')
	FROM members m
	JOIN pg_class c ON (m.classid = 'pg_class'::regclass AND c.oid = m.objid)
		OR (m.classid = 'pg_type'::regclass AND c.reltype = m.objid)
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
	UNION ALL
	-- relations: kind, options, privileges, security, comments
	SELECT 'relation ' || c.oid::regclass || ': ' || concat_ws(' ',
		c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
		c.reloptions::text, c.relacl::text, obj_description(c.oid, 'pg_class'))
	FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	UNION ALL
	SELECT 'view ' || c.oid::regclass || ': ' || pg_get_viewdef(c.oid)
	FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	WHERE c.relkind IN ('v', 'm')
	UNION ALL
	-- constraints, indexes, triggers and policies of member tables
	SELECT 'constraint ' || r.conrelid::regclass || ' ' || r.conname || ': ' ||
		pg_get_constraintdef(r.oid)
	FROM members m JOIN pg_constraint r ON m.classid = 'pg_class'::regclass AND r.conrelid = m.objid
	UNION ALL
	SELECT 'constraint of type ' || format_type(r.contypid, NULL) || ' ' || r.conname || ': ' ||
		pg_get_constraintdef(r.oid)
	FROM members m JOIN pg_constraint r ON m.classid = 'pg_type'::regclass AND r.contypid = m.objid
	UNION ALL
	SELECT 'index ' || i.indrelid::regclass || ': ' ||
		regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \S+ ON', 'INDEX ON')
	FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
	UNION ALL
	SELECT 'trigger ' || g.tgrelid::regclass || ' ' || g.tgname || ': ' || pg_get_triggerdef(g.oid)
	FROM members m JOIN pg_trigger g ON m.classid = 'pg_class'::regclass AND g.tgrelid = m.objid
	WHERE NOT g.tgisinternal
	UNION ALL
	SELECT 'policy ' || pol.polrelid::regclass || ' ' || pol.polname || ': ' || concat_ws(' ',
		pol.polcmd, pol.polpermissive, pol.polroles::regrole[]::text,
		pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
	FROM members m JOIN pg_policy pol ON m.classid = 'pg_class'::regclass AND pol.polrelid = m.objid
	UNION ALL
	-- operators and casts
	SELECT 'operator ' || o.oid::regoperator || ': ' || concat_ws(' ', o.oprcode::regproc,
		o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin,
		o.oprcanmerge, o.oprcanhash)
	FROM members m JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid
	UNION ALL
	SELECT 'cast ' || format_type(k.castsource, NULL) || ' -> ' || format_type(k.casttarget, NULL) ||
		': ' || concat_ws(' ', k.castfunc::regprocedure, k.castcontext, k.castmethod)
	FROM members m JOIN pg_cast k ON m.classid = 'pg_cast'::regclass AND k.oid = m.objid
	UNION ALL
	-- the schema's privileges, and the extension's configuration tables
	SELECT 'schema custseg: ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'custseg'
	UNION ALL
	SELECT 'extension: ' || concat_ws(' ', extrelocatable,
		(SELECT array_agg(c::regclass::text ORDER BY c::regclass::text) FROM unnest(extconfig) c),
		extcondition::text)
	FROM pg_extension WHERE extname = 'custseg'
) l
ORDER BY line COLLATE "C";
