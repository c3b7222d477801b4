
-- Segment maps and labels: src/segments.c, docs/segments.md

-- User-defined segment maps.  A map is an ordered list of rules; a customer
-- gets the segment of the first rule (lowest priority) whose bounds contain
-- its r, f and m scores, or 'Others' when no rule does.  The built-in maps
-- 'rfm' and 'rfm11' are compiled into the extension and cannot be redefined.
-- A map may declare its bins (every rule the same): it then labels only
-- scores on those bins.
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
	bins		integer,		-- the map's bins, the same in every rule; NULL: undeclared
	PRIMARY KEY (map, priority),
	CONSTRAINT segment_rules_map_check
		CHECK (map <> '' AND map NOT IN ('rfm', 'rfm11')),
	CONSTRAINT segment_rules_segment_check CHECK (segment <> ''),
	CONSTRAINT segment_rules_r_check CHECK (1 <= r_min AND r_min <= r_max AND r_max <= 10),
	CONSTRAINT segment_rules_f_check CHECK (1 <= f_min AND f_min <= f_max AND f_max <= 10),
	CONSTRAINT segment_rules_m_check CHECK (1 <= m_min AND m_min <= m_max AND m_max <= 10),
	CONSTRAINT segment_rules_bins_check
		CHECK (bins BETWEEN 2 AND 10 AND r_max <= bins AND f_max <= bins AND m_max <= bins)
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
