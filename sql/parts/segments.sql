
-- Segment maps and labels: src/segments.c, docs/segments.md

-- User-defined segment maps.  A map is an ordered list of rules; a customer
-- gets the segment of the first rule (lowest priority) whose bounds contain
-- its r, f and m scores, or 'Others' when no rule does.  The built-in maps
-- 'rfm' and 'rfm11' are compiled into the extension and cannot be redefined.
CREATE TABLE custseg.segment_rules (
	map			text NOT NULL,
	priority	integer NOT NULL,
	segment		text NOT NULL,
	r_min		integer NOT NULL,
	r_max		integer NOT NULL,
	f_min		integer NOT NULL,
	f_max		integer NOT NULL,
	m_min		integer NOT NULL,
	m_max		integer NOT NULL,
	PRIMARY KEY (map, priority),
	CONSTRAINT segment_rules_map_check
		CHECK (map <> '' AND map NOT IN ('rfm', 'rfm11')),
	CONSTRAINT segment_rules_segment_check CHECK (segment <> ''),
	CONSTRAINT segment_rules_r_check CHECK (1 <= r_min AND r_min <= r_max AND r_max <= 10),
	CONSTRAINT segment_rules_f_check CHECK (1 <= f_min AND f_min <= f_max AND f_max <= 10),
	CONSTRAINT segment_rules_m_check CHECK (1 <= m_min AND m_min <= m_max AND m_max <= 10)
);

COMMENT ON TABLE custseg.segment_rules IS
	'Rules of user-defined segment maps: first matching rule by priority wins';

-- The rules are user data: pg_dump keeps every row.
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_rules', '');

-- Label a customer by its scores.
CREATE FUNCTION custseg.segment(r integer, f integer, m integer, map text DEFAULT 'rfm')
RETURNS text
AS 'MODULE_PATHNAME', 'segment_rfm'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.segment(score custseg.rfm_score, map text DEFAULT 'rfm')
RETURNS text
AS 'MODULE_PATHNAME', 'segment_score'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- The rules of a map, built-in or user-defined, in the column order of
-- custseg.segment_rules after its map column.
CREATE FUNCTION custseg.segment_map_rules(map text)
RETURNS TABLE (priority integer, segment text,
			   r_min integer, r_max integer,
			   f_min integer, f_max integer,
			   m_min integer, m_max integer)
AS 'MODULE_PATHNAME', 'segment_map_rules'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 20;

-- Audit a map over the cube of scores 1 .. bins: overlapping rules,
-- uncovered cells and unreachable rules.  No rows: the map is a partition.
CREATE FUNCTION custseg.check_segment_map(map text, bins integer DEFAULT 5)
RETURNS TABLE (problem text, r integer, f integer, m integer,
			   priority integer, segment text,
			   other_priority integer, other_segment text)
AS 'MODULE_PATHNAME', 'check_segment_map'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;

-- Labelling with a user map reads the rules; business rules are not secret.
GRANT SELECT ON custseg.segment_rules TO PUBLIC;

-- Citus: custseg.segment_rules is a local table on every node, read by
-- custseg.segment() wherever it runs (on the workers, for a distributed
-- table).  This copies the rules of this node (the coordinator) to every
-- worker, in one statement per worker that replaces all of its rules.
CREATE FUNCTION custseg.sync_segment_rules()
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rules text;
	command text;
	workers integer;
	failed text;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'custseg.sync_segment_rules needs Citus'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Without Citus, custseg.segment_rules of this database is the only copy there is: nothing needs to be copied.';
	END IF;
	-- (Citus is installed: its catalog exists)
	IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition
			   WHERE logicalrelid = 'custseg.segment_rules'::pg_catalog.regclass) THEN
		RAISE EXCEPTION 'custseg.segment_rules is a distributed table'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'custseg.segment() reads custseg.segment_rules on every node as a local table: keep it local and copy it with custseg.sync_segment_rules() (docs/citus.md).';
	END IF;

	-- the rules as they are now, kept so until the copy is sent
	LOCK TABLE custseg.segment_rules IN SHARE MODE;
	SELECT pg_catalog.string_agg(pg_catalog.format('(%L, %s, %L, %s, %s, %s, %s, %s, %s)',
			   r.map, r.priority, r.segment, r.r_min, r.r_max, r.f_min, r.f_max, r.m_min, r.m_max),
			   ', ' ORDER BY r.map, r.priority)
	INTO rules
	FROM custseg.segment_rules r;
	command := 'DELETE FROM custseg.segment_rules';
	IF rules IS NOT NULL THEN
		command := command || '; INSERT INTO custseg.segment_rules VALUES ' || rules;
	END IF;

	-- one multi-statement command per worker: one transaction on each
	EXECUTE $sql$
		SELECT pg_catalog.count(*)::integer,
			   pg_catalog.string_agg(pg_catalog.format('%s:%s: %s', nodename, nodeport, result), '; ')
				   FILTER (WHERE NOT success)
		FROM pg_catalog.run_command_on_workers($1)$sql$
	INTO workers, failed
	USING command;
	IF failed IS NOT NULL THEN
		RAISE EXCEPTION 'could not copy custseg.segment_rules to every worker'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = failed,
				  HINT = 'Install custseg on every worker (CREATE EXTENSION custseg), then call custseg.sync_segment_rules() again: workers that failed kept their old rules.';
	END IF;
	RETURN workers;
END
$$;
