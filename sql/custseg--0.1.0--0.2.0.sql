/* custseg--0.1.0--0.2.0.sql: upgrades an installed custseg 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION custseg UPDATE TO '0.2.0'" to load this file. \quit

-- Every change to the extension's SQL objects between 0.1.0 and 0.2.0 is
-- made here as well as in sql/parts/, so that an updated install equals a
-- fresh one (checked by scripts/test, test/upgrade/).

-- RFM: one C function per SQL signature (issue 14, Citus).  0.1.0 bound one
-- C function to the three-float and the summary forms and told them apart by
-- the call's expression, which Citus's worker_partial_agg does not pass.
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	recency float8, frequency float8, monetary float8)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_values' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	recency float8, frequency float8, monetary float8, bins integer)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_values_bins' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	recency float8, frequency float8, monetary float8, bins integer, method text)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_values_bins_method' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	summary custseg.customer_summary)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_summary' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	summary custseg.customer_summary, bins integer)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_summary_bins' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	summary custseg.customer_summary, bins integer, method text)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_summary_bins_method' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	recency float8, frequency float8, monetary float8)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_values'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	summary custseg.customer_summary)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_score(recency float8, frequency float8,
	monetary float8, bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window_values'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_score(summary custseg.customer_summary,
	bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window_summary'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

-- RFM: comparison operators and a btree operator class for custseg.rfm_thresholds
-- (issue 14: count(DISTINCT ...) over thresholds, on Citus and off it).
CREATE FUNCTION custseg.rfm_thresholds_cmp(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_eq(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_ne(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_lt(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_le(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_gt(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_ge(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR custseg.= (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_eq,
	COMMUTATOR = OPERATOR(custseg.=), NEGATOR = OPERATOR(custseg.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, MERGES
);
CREATE OPERATOR custseg.<> (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_ne,
	COMMUTATOR = OPERATOR(custseg.<>), NEGATOR = OPERATOR(custseg.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR custseg.< (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_lt,
	COMMUTATOR = OPERATOR(custseg.>), NEGATOR = OPERATOR(custseg.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR custseg.<= (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_le,
	COMMUTATOR = OPERATOR(custseg.>=), NEGATOR = OPERATOR(custseg.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR custseg.> (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_gt,
	COMMUTATOR = OPERATOR(custseg.<), NEGATOR = OPERATOR(custseg.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR custseg.>= (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_ge,
	COMMUTATOR = OPERATOR(custseg.<=), NEGATOR = OPERATOR(custseg.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS custseg.rfm_thresholds_ops
DEFAULT FOR TYPE custseg.rfm_thresholds USING btree AS
	OPERATOR 1 custseg.<,
	OPERATOR 2 custseg.<=,
	OPERATOR 3 custseg.=,
	OPERATOR 4 custseg.>=,
	OPERATOR 5 custseg.>,
	FUNCTION 1 custseg.rfm_thresholds_cmp(custseg.rfm_thresholds, custseg.rfm_thresholds);

-- Citus: custseg.sync_segment_rules() copies the user segment maps to every worker (issue 14).
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
