/* custseg--0.1.0--0.2.0.sql: upgrades an installed custseg 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION custseg UPDATE TO '0.2.0'" to load this file. \quit

-- Every change to the extension's SQL objects between 0.1.0 and 0.2.0 is
-- made here as well as in sql/parts/, so that an updated install equals a
-- fresh one (checked by scripts/test, test/upgrade/).

-- Segment history keyed by the view's schema, name and owner (issue 15 §2):
-- new columns view_schema, view_name (now of type name, without the schema)
-- and view_owner; policies that look the view up without raising; history
-- functions that use the key; custseg.snapshot_segments takes as_of (issue
-- 12 item 14).  The 0.1.0 rows are migrated: a view_name that names an
-- existing relation is keyed to it and its current owner; the rows of a
-- dropped view keep its schema and name under the owner '' (no role has an
-- empty name): nobody but the superuser and the tables' owner reads or
-- deletes them.
ALTER TABLE custseg.segment_snapshots RENAME TO segment_snapshots_0_1_0;
ALTER TABLE custseg.segment_snapshots_0_1_0 RENAME CONSTRAINT segment_snapshots_pkey TO segment_snapshots_0_1_0_pkey;
ALTER TABLE custseg.segment_history RENAME TO segment_history_0_1_0;
ALTER TABLE custseg.segment_history_0_1_0 RENAME CONSTRAINT segment_history_pkey TO segment_history_0_1_0_pkey;
DROP FUNCTION custseg.snapshot_segments(regclass);
DROP FUNCTION custseg.prune_segment_history(regclass, interval);
DROP FUNCTION custseg.segment_transitions(regclass, timestamptz, timestamptz);

CREATE TABLE custseg.segment_snapshots (
	view_schema	name NOT NULL,
	view_name	name NOT NULL,
	view_owner	name NOT NULL,
	snapshot_at	timestamptz NOT NULL,
	customers	bigint NOT NULL,
	PRIMARY KEY (view_schema, view_name, view_owner, snapshot_at)
);

CREATE TABLE custseg.segment_history (
	view_schema	name NOT NULL,
	view_name	name NOT NULL,
	view_owner	name NOT NULL,
	snapshot_at	timestamptz NOT NULL,
	customer_key text NOT NULL,		-- the key's text output
	segment		text,
	cell		integer,
	PRIMARY KEY (view_schema, view_name, view_owner, snapshot_at, customer_key)
);

COMMENT ON TABLE custseg.segment_snapshots IS
	'Snapshots of segment views taken by custseg.snapshot_segments';
COMMENT ON TABLE custseg.segment_history IS
	'Segment and cell of every customer of a segment view at each snapshot';

DO $$
DECLARE
	old_name text;
	rel regclass;
	parts text[];
	key_schema name;
	key_name name;
	key_owner name;
BEGIN
	FOR old_name IN SELECT view_name FROM custseg.segment_snapshots_0_1_0
					UNION SELECT view_name FROM custseg.segment_history_0_1_0 LOOP
		BEGIN
			rel := pg_catalog.to_regclass(old_name);
		EXCEPTION WHEN OTHERS THEN
			rel := NULL;
		END;
		IF rel IS NOT NULL THEN
			SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner)
			INTO key_schema, key_name, key_owner
			FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.oid = rel;
		ELSE
			BEGIN
				parts := pg_catalog.parse_ident(old_name);
			EXCEPTION WHEN OTHERS THEN
				parts := ARRAY[old_name];
			END;
			IF pg_catalog.array_length(parts, 1) = 2 THEN
				key_schema := parts[1];
				key_name := parts[2];
			ELSE
				key_schema := '';
				key_name := old_name;
			END IF;
			key_owner := '';
		END IF;
		INSERT INTO custseg.segment_snapshots
		SELECT key_schema, key_name, key_owner, s.snapshot_at, s.customers
		FROM custseg.segment_snapshots_0_1_0 s WHERE s.view_name = old_name
		ON CONFLICT DO NOTHING;
		INSERT INTO custseg.segment_history
		SELECT key_schema, key_name, key_owner, h.snapshot_at, h.customer_key, h.segment, h.cell
		FROM custseg.segment_history_0_1_0 h WHERE h.view_name = old_name
		ON CONFLICT DO NOTHING;
	END LOOP;
END
$$;

-- Out of the extension first, so that its list of configuration tables
-- forgets them.
ALTER EXTENSION custseg DROP TABLE custseg.segment_snapshots_0_1_0;
ALTER EXTENSION custseg DROP TABLE custseg.segment_history_0_1_0;
DROP TABLE custseg.segment_snapshots_0_1_0, custseg.segment_history_0_1_0;

-- History is user data: pg_dump keeps every row.
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_history', '');

ALTER TABLE custseg.segment_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE custseg.segment_history ENABLE ROW LEVEL SECURITY;

-- Readable: the relation of that schema and name exists, is owned by the
-- recorded owner, and the current user may SELECT from it.
CREATE POLICY segment_snapshots_read ON custseg.segment_snapshots FOR SELECT
	USING (EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = segment_snapshots.view_schema
					 AND c.relname = segment_snapshots.view_name
					 AND pg_catalog.pg_get_userbyid(c.relowner) = segment_snapshots.view_owner
					 AND pg_catalog.has_table_privilege(c.oid, 'SELECT')));
-- Writable and deletable: the same relation, and the current user has the
-- privileges of its owner.
CREATE POLICY segment_snapshots_write ON custseg.segment_snapshots FOR INSERT
	WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
						JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
						WHERE n.nspname = segment_snapshots.view_schema
						  AND c.relname = segment_snapshots.view_name
						  AND pg_catalog.pg_get_userbyid(c.relowner) = segment_snapshots.view_owner
						  AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY segment_snapshots_prune ON custseg.segment_snapshots FOR DELETE
	USING (EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = segment_snapshots.view_schema
					 AND c.relname = segment_snapshots.view_name
					 AND pg_catalog.pg_get_userbyid(c.relowner) = segment_snapshots.view_owner
					 AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY segment_history_read ON custseg.segment_history FOR SELECT
	USING (EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = segment_history.view_schema
					 AND c.relname = segment_history.view_name
					 AND pg_catalog.pg_get_userbyid(c.relowner) = segment_history.view_owner
					 AND pg_catalog.has_table_privilege(c.oid, 'SELECT')));
CREATE POLICY segment_history_write ON custseg.segment_history FOR INSERT
	WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
						JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
						WHERE n.nspname = segment_history.view_schema
						  AND c.relname = segment_history.view_name
						  AND pg_catalog.pg_get_userbyid(c.relowner) = segment_history.view_owner
						  AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY segment_history_prune ON custseg.segment_history FOR DELETE
	USING (EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = segment_history.view_schema
					 AND c.relname = segment_history.view_name
					 AND pg_catalog.pg_get_userbyid(c.relowner) = segment_history.view_owner
					 AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));

GRANT SELECT, INSERT, DELETE ON custseg.segment_snapshots, custseg.segment_history TO PUBLIC;

-- The history key of a relation: its schema, name and owner's name.
CREATE FUNCTION custseg.history_key(rel regclass,
	OUT view_schema name, OUT view_name name, OUT view_owner name)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner)
	INTO view_schema, view_name, view_owner
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', rel::oid
			USING ERRCODE = 'undefined_table', HINT = 'The relation was dropped.';
	END IF;
END
$$;

-- Record the segment of every customer of a view; the number of customers
-- recorded.  The snapshot is stamped as_of, or now() when as_of is NULL:
-- run it right after a refresh (in the same transaction, the snapshot time
-- is the refresh's), or pass the as_of of a view created for a past date to
-- back-fill history.
CREATE FUNCTION custseg.snapshot_segments(view regclass, as_of timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	key name;
	hk record;
	stamp timestamptz;
	recorded bigint;
BEGIN
	IF view IS NULL THEN
		RAISE EXCEPTION 'view of custseg.snapshot_segments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the segment view whose segments should be recorded.';
	END IF;
	stamp := coalesce(as_of, pg_catalog.now());
	IF stamp IN ('infinity', '-infinity') THEN
		RAISE EXCEPTION 'as_of must be finite, not %', stamp
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass the time the view describes, e.g. the as_of it was created with, or NULL for now().';
	END IF;
	IF stamp > pg_catalog.now() THEN
		RAISE EXCEPTION 'as_of % is in the future', stamp
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A snapshot records what a view showed at a past time or now: pass an as_of at or before now(), or NULL.';
	END IF;
	key := custseg.segment_view_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view records its history; the owner may schedule it with custseg.schedule_refresh(view, schedule, snapshot => true).';
	END IF;
	hk := custseg.history_key(view);
	IF EXISTS (SELECT FROM custseg.segment_snapshots s
			   WHERE s.view_schema = hk.view_schema AND s.view_name = hk.view_name
				 AND s.view_owner = hk.view_owner AND s.snapshot_at = stamp) THEN
		IF as_of IS NULL THEN
			RAISE EXCEPTION 'a snapshot of % was taken in this transaction already', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'A snapshot is taken at the start time of its transaction: take one per transaction.';
		END IF;
		RAISE EXCEPTION 'a snapshot of % as of % exists already', view, stamp
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Take one snapshot per as_of; custseg.prune_segment_history deletes old ones.';
	END IF;
	EXECUTE format('INSERT INTO custseg.segment_history (view_schema, view_name, view_owner, snapshot_at,
														 customer_key, segment, cell)
					SELECT $1, $2, $3, $4, v.%I::text, v.segment::text, v.cell::integer
					FROM %I.%I AS v', key, hk.view_schema, hk.view_name)
		USING hk.view_schema, hk.view_name, hk.view_owner, stamp;
	GET DIAGNOSTICS recorded = ROW_COUNT;
	INSERT INTO custseg.segment_snapshots (view_schema, view_name, view_owner, snapshot_at, customers)
	VALUES (hk.view_schema, hk.view_name, hk.view_owner, stamp, recorded);
	RETURN recorded;
END
$$;

-- Delete the snapshots of a view older than keep; the number of snapshots
-- deleted.
CREATE FUNCTION custseg.prune_segment_history(view regclass, keep interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hk record;
	pruned bigint;
BEGIN
	IF view IS NULL OR keep IS NULL THEN
		RAISE EXCEPTION '% of custseg.prune_segment_history must not be NULL',
			CASE WHEN view IS NULL THEN 'view' ELSE 'keep' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the view and how long to keep its snapshots, e.g. interval ''13 months''.';
	END IF;
	IF keep < interval '0' THEN
		RAISE EXCEPTION 'keep must not be negative, not %', keep
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give how long snapshots are kept, e.g. interval ''13 months''; interval ''0'' deletes every snapshot taken before this transaction.';
	END IF;
	hk := custseg.history_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view prunes its history.';
	END IF;
	DELETE FROM custseg.segment_history h
	WHERE h.view_schema = hk.view_schema AND h.view_name = hk.view_name
	  AND h.view_owner = hk.view_owner AND h.snapshot_at < pg_catalog.now() - keep;
	DELETE FROM custseg.segment_snapshots s
	WHERE s.view_schema = hk.view_schema AND s.view_name = hk.view_name
	  AND s.view_owner = hk.view_owner AND s.snapshot_at < pg_catalog.now() - keep;
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;

-- How customers moved between two snapshots of a view: the newest snapshot
-- taken at or before from_snapshot, and the newest at or before
-- to_snapshot.  A NULL from_segment counts customers who appeared, a NULL
-- to_segment customers who disappeared.
CREATE FUNCTION custseg.segment_transitions(view regclass,
	from_snapshot timestamptz, to_snapshot timestamptz)
RETURNS TABLE (from_segment text, to_segment text, customers bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hk record;
	from_at timestamptz;
	to_at timestamptz;
BEGIN
	IF num_nulls(view, from_snapshot, to_snapshot) > 0 THEN
		RAISE EXCEPTION '% of custseg.segment_transitions must not be NULL',
			CASE WHEN view IS NULL THEN 'view' WHEN from_snapshot IS NULL THEN 'from_snapshot'
				 ELSE 'to_snapshot' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the view and two times; the newest snapshot at or before each time is used.';
	END IF;
	hk := custseg.history_key(view);
	IF NOT pg_catalog.has_table_privilege(view, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'The history of a view is readable by those who may read the view.';
	END IF;
	SELECT max(s.snapshot_at) INTO from_at FROM custseg.segment_snapshots s
	WHERE s.view_schema = hk.view_schema AND s.view_name = hk.view_name
	  AND s.view_owner = hk.view_owner AND s.snapshot_at <= from_snapshot;
	SELECT max(s.snapshot_at) INTO to_at FROM custseg.segment_snapshots s
	WHERE s.view_schema = hk.view_schema AND s.view_name = hk.view_name
	  AND s.view_owner = hk.view_owner AND s.snapshot_at <= to_snapshot;
	IF from_at IS NULL OR to_at IS NULL THEN
		RAISE EXCEPTION 'no snapshot of % at or before %', view,
			CASE WHEN from_at IS NULL THEN from_snapshot ELSE to_snapshot END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('The snapshots are listed by SELECT snapshot_at FROM custseg.segment_snapshots WHERE view_schema = %L AND view_name = %L.',
								hk.view_schema, hk.view_name);
	END IF;
	RETURN QUERY
		SELECT a.segment, b.segment, count(*)
		FROM (SELECT h.customer_key, h.segment FROM custseg.segment_history h
			  WHERE h.view_schema = hk.view_schema AND h.view_name = hk.view_name
				AND h.view_owner = hk.view_owner AND h.snapshot_at = from_at) AS a
		FULL JOIN (SELECT h.customer_key, h.segment FROM custseg.segment_history h
				   WHERE h.view_schema = hk.view_schema AND h.view_name = hk.view_name
					 AND h.view_owner = hk.view_owner AND h.snapshot_at = to_at) AS b
			ON a.customer_key = b.customer_key
		GROUP BY a.segment, b.segment
		ORDER BY a.segment NULLS FIRST, b.segment NULLS FIRST;
END
$$;

-- custseg.schedule_refresh: a schedule checked against pg_cron 1.4's grammar (issue 15
-- §3), and without pg_cron here, the cron.schedule_in_database statement
-- for pg_cron's database (issue 12 item 13).
-- pg_cron jobs.  The job of a view is named after the view's schema and
-- name, which survive dump and restore (an oid would not), so scheduling a
-- view again replaces its job.
CREATE OR REPLACE FUNCTION custseg.schedule_refresh(view regclass, schedule text,
	concurrently boolean DEFAULT true, snapshot boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	fields text[];
	field text;
	items text[];
	item text;
	parts text[];
	i integer;
	lo numeric;
	hi numeric;
	trimmed text;
	lows integer[] := ARRAY[0, 0, 1, 1, 0];
	highs integer[] := ARRAY[59, 23, 31, 12, 7];
	field_names text[] := ARRAY['minute', 'hour', 'day of month', 'month', 'day of week'];
	names text[];
	rel record;
	view_sql text;
	job_name text;
	command text;
	job_id bigint;
	problem text;
	refresh_concurrently ALIAS FOR $3;	-- CONCURRENTLY is a keyword
BEGIN
	IF num_nulls(view, schedule, refresh_concurrently, snapshot) > 0 THEN
		RAISE EXCEPTION '% of custseg.schedule_refresh must not be NULL',
			CASE WHEN view IS NULL THEN 'view' WHEN schedule IS NULL THEN 'schedule'
				 WHEN refresh_concurrently IS NULL THEN 'concurrently' ELSE 'snapshot' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a materialized view, a cron schedule such as ''0 2 * * *'', and true or false.';
	END IF;

	-- The schedule, checked against the grammar of pg_cron 1.4's parser
	-- (Vixie cron's, src/entry.c), so that what passes here pg_cron takes:
	-- five fields separated by spaces or tabs; each a list of items, an
	-- item * or a value or a range (names of months and days only in their
	-- fields, any case), a step only after * or a range; or one of
	-- pg_cron's macros, which it matches in lowercase only; or 'N seconds'
	-- (pg_cron 1.5 and later; older versions reject it below).  Stricter
	-- than pg_cron where it would take a schedule silently wrong: text after
	-- the fifth field or inside a field (pg_cron ignores it), a range that
	-- runs backwards or a step longer than the field (never or once).
	-- Leading and trailing spaces and tabs are allowed, line breaks are not
	-- (pg_cron rejects them between fields).
	trimmed := pg_catalog.regexp_replace(schedule, '^[ \t]+|[ \t]+$', '', 'g');
	IF pg_catalog.octet_length(schedule) >= 1000 THEN
		problem := 'longer than the 999 bytes pg_cron reads';
	ELSIF trimmed = '' THEN
		problem := 'no fields';
	ELSIF trimmed ~ '[\n\r\f\v]' THEN
		problem := 'a line break: separate the fields by spaces or tabs';
	ELSIF trimmed ~ '[^ \t!-~]' THEN
		problem := 'a character that is neither a space, a tab nor printable ASCII';
	ELSIF trimmed ~ '^@' THEN
		IF trimmed !~ '^@(yearly|annually|monthly|weekly|daily|midnight|hourly|reboot|restart)$' THEN
			problem := format('unknown macro "%s" (pg_cron knows @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @reboot and @restart, in lowercase)', trimmed);
		END IF;
	ELSIF trimmed ~* '^[0-9]+ *seconds?$' THEN
		IF pg_catalog.substring(trimmed, '^[0-9]+')::numeric NOT BETWEEN 1 AND 59 THEN
			problem := 'an interval must be 1 to 59 seconds';
		END IF;
	ELSE
		fields := pg_catalog.regexp_split_to_array(trimmed, '[ \t]+');
		IF pg_catalog.array_length(fields, 1) <> 5 THEN
			problem := CASE WHEN pg_catalog.array_length(fields, 1) = 1 THEN '1 field instead of 5'
							ELSE format('%s fields instead of 5', pg_catalog.array_length(fields, 1)) END;
		END IF;
		<<fields_loop>>
		FOR i IN 1 .. CASE WHEN problem IS NULL THEN 5 ELSE 0 END LOOP
			field := pg_catalog.lower(fields[i]);
			names := CASE i WHEN 4 THEN ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun',
											   'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
							WHEN 5 THEN ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
							ELSE ARRAY[]::text[] END;
			items := pg_catalog.string_to_array(field, ',');
			FOREACH item IN ARRAY items LOOP
				-- 1: * or the range, 2: its first value, 4: its last, 6: the step.
				parts := pg_catalog.regexp_match(item, '^(\*|([0-9]+|[a-z]+)(-([0-9]+|[a-z]+))?)(/([0-9]+))?$');
				IF parts IS NULL OR (parts[6] IS NOT NULL AND parts[1] <> '*' AND parts[4] IS NULL) THEN
					problem := format('the %s field "%s" is not a list of values, ranges and steps (a step follows * or a range)',
									  field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
				IF parts[6] IS NOT NULL AND parts[6]::numeric NOT BETWEEN 1 AND highs[i] THEN
					problem := format('the step in the %s field "%s" is outside 1 to %s', field_names[i], fields[i], highs[i]);
					EXIT fields_loop;
				END IF;
				CONTINUE WHEN parts[1] = '*';
				IF (parts[2] !~ '^[0-9]+$' AND NOT parts[2] = ANY (names))
				   OR (parts[4] !~ '^[0-9]+$' AND NOT parts[4] = ANY (names)) THEN
					problem := format('the %s field "%s" has a name that is not %s', field_names[i], fields[i],
									  CASE WHEN i < 4 THEN 'allowed there (only months and days of the week have names)'
										   ELSE 'a three-letter English abbreviation' END);
					EXIT fields_loop;
				END IF;
				lo := CASE WHEN parts[2] ~ '^[0-9]+$' THEN parts[2]::numeric
						   ELSE pg_catalog.array_position(names, parts[2]) - 1 + lows[i] END;
				hi := CASE WHEN parts[4] IS NULL THEN lo
						   WHEN parts[4] ~ '^[0-9]+$' THEN parts[4]::numeric
						   ELSE pg_catalog.array_position(names, parts[4]) - 1 + lows[i] END;
				IF lo NOT BETWEEN lows[i] AND highs[i] OR hi NOT BETWEEN lows[i] AND highs[i] THEN
					problem := format('the %s field "%s" is outside %s to %s', field_names[i], fields[i], lows[i], highs[i]);
					EXIT fields_loop;
				END IF;
				IF lo > hi THEN
					problem := format('the range in the %s field "%s" runs backwards', field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
			END LOOP;
		END LOOP;
	END IF;
	IF problem IS NOT NULL THEN
		RAISE EXCEPTION 'invalid cron schedule "%": %', schedule, problem
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give five fields (minute hour day-of-month month day-of-week) separated by spaces, e.g. ''0 2 * * *'' for 02:00 every day, or @hourly, @daily, @weekly, @monthly.';
	END IF;

	-- The view.
	SELECT c.relkind, c.relispopulated, c.relowner, n.nspname, c.relname INTO rel
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = view;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', view::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	IF rel.relkind IS DISTINCT FROM 'm' THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'custseg.schedule_refresh refreshes materialized views: create one with custseg.create_segment_view.';
	END IF;
	IF NOT pg_catalog.pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Schedule the refresh as the owner of the view: only the owner may refresh it, and the job runs as the role that scheduled it.';
	END IF;
	IF refresh_concurrently THEN
		IF NOT rel.relispopulated THEN
			RAISE EXCEPTION 'materialized view % has not been populated', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = format('A concurrent refresh needs a populated view: run REFRESH MATERIALIZED VIEW %s once first.', view);
		END IF;
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_index i
					   WHERE i.indrelid = view AND i.indisunique AND i.indisvalid AND i.indimmediate
						 AND i.indpred IS NULL AND i.indexprs IS NULL) THEN
			RAISE EXCEPTION 'materialized view % has no unique index for a concurrent refresh', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = format('Create a unique index on plain columns without WHERE clause, e.g. CREATE UNIQUE INDEX ON %s (customer_id), or pass concurrently => false.', view);
		END IF;
	END IF;
	IF snapshot THEN
		PERFORM custseg.segment_view_key(view);
	END IF;

	view_sql := format('%I.%I', rel.nspname, rel.relname);
	command := format('REFRESH MATERIALIZED VIEW %s%s', CASE WHEN refresh_concurrently THEN 'CONCURRENTLY ' ELSE '' END, view_sql);
	IF snapshot THEN
		command := command || format('; SELECT custseg.snapshot_segments(%L)', view_sql);
	END IF;

	-- pg_cron, in this database; or else the statement that schedules the
	-- job from pg_cron's database (cron.schedule_in_database, pg_cron 1.4
	-- and later), under a job name that names this database.
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('pg_cron runs the jobs of every database from its own, cron.database_name (%s).',
								  coalesce('"' || pg_catalog.current_setting('cron.database_name', true) || '"', 'not set: pg_cron is not loaded'))
						   || ' Schedule this refresh there, as the owner of the view: '
						   || format('SELECT cron.schedule_in_database(%L, %L, %L, %L);',
									 format('custseg refresh %s in %s', view_sql, pg_catalog.quote_ident(pg_catalog.current_database())),
									 schedule, command, pg_catalog.current_database()),
				  HINT = 'Run the statement of the detail in pg_cron''s database (pg_cron 1.4 or later), or install pg_cron in this one: add it to shared_preload_libraries, set cron.database_name to this database, restart the server and run CREATE EXTENSION pg_cron here.';
	END IF;

	job_name := 'custseg refresh ' || view_sql;
	BEGIN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, schedule, command;
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
		RAISE EXCEPTION 'pg_cron rejected the schedule "%"', schedule
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = problem,
				  HINT = CASE WHEN trimmed ~* 'second'
							  THEN format('pg_cron %s is installed: interval schedules such as ''30 seconds'' need pg_cron 1.5 or later; five-field schedules work with every version.',
										  (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'))
							  ELSE format('pg_cron %s is installed: check the schedule against its documentation.',
										  (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')) END;
	END;
	RETURN job_id;
END
$$;

