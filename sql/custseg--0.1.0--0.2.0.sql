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
