/* custseg--0.1.0--0.2.0.sql: upgrades an installed custseg 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION custseg UPDATE TO '0.2.0'" to load this file. \quit

-- Every change to the extension's SQL objects between 0.1.0 and 0.2.0 is
-- made here as well as in sql/parts/, so that an updated install equals a
-- fresh one (checked by scripts/test, test/upgrade/).

-- Uplift (issue 12 items 1-5, issue 14): one order-independent state,
-- custseg.uplift_sums, for the plain, stratified and CUPED aggregates;
-- 0.1.0's state type stays readable, with its final function; planning
-- functions and Holm's adjustment.
DROP AGGREGATE custseg.uplift(boolean, float8);
DROP FUNCTION custseg.uplift_accum(custseg.uplift_state, boolean, float8);
DROP FUNCTION custseg.uplift_combine(custseg.uplift_state, custseg.uplift_state);

-- The uplift aggregates (src/uplift.c).
-- State of the three forms of custseg.uplift: per stratum and group, rows,
-- least and greatest values and compensated sums of the outcome (and of the
-- covariate), so that the result does not depend on the order of rows or
-- of combined states.  Exact JSON text form.
CREATE TYPE custseg.uplift_sums;

CREATE FUNCTION custseg.uplift_sums_in(cstring)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_out(custseg.uplift_sums)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.uplift_sums (
	INPUT = custseg.uplift_sums_in,
	OUTPUT = custseg.uplift_sums_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

-- Not strict: a NULL treated, outcome, stratum or covariate is an error.
CREATE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8,
										  stratum text)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum_stratum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8,
										  covariate float8)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum_covariate' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_combine(custseg.uplift_sums, custseg.uplift_sums)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_final(custseg.uplift_sums)
RETURNS custseg.uplift
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Treated against control: z-test for 0/1 outcomes, Welch's t-test otherwise.
CREATE AGGREGATE custseg.uplift(treated boolean, outcome float8) (
	SFUNC = custseg.uplift_sums_accum,
	STYPE = custseg.uplift_sums,
	FINALFUNC = custseg.uplift_sums_final,
	COMBINEFUNC = custseg.uplift_sums_combine,
	INITCOND = '{"kind": "plain", "binary": true, "strata": []}',
	PARALLEL = SAFE
);

-- Stratified: per-stratum lifts weighted by stratum size.
CREATE AGGREGATE custseg.uplift(treated boolean, outcome float8, stratum text) (
	SFUNC = custseg.uplift_sums_accum,
	STYPE = custseg.uplift_sums,
	FINALFUNC = custseg.uplift_sums_final,
	COMBINEFUNC = custseg.uplift_sums_combine,
	INITCOND = '{"kind": "stratified", "binary": true, "strata": []}',
	PARALLEL = SAFE
);

-- CUPED: the outcome adjusted by a pre-period covariate.
CREATE AGGREGATE custseg.uplift_cuped(treated boolean, outcome float8, covariate float8) (
	SFUNC = custseg.uplift_sums_accum,
	STYPE = custseg.uplift_sums,
	FINALFUNC = custseg.uplift_sums_final,
	COMBINEFUNC = custseg.uplift_sums_combine,
	INITCOND = '{"kind": "cuped", "binary": true, "strata": []}',
	PARALLEL = SAFE
);

-- Planning (src/power.c).
CREATE FUNCTION custseg.normal_quantile(p float8)
RETURNS float8
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Not strict: a NULL argument is an error.
CREATE FUNCTION custseg.holdout_size(baseline_rate float8, lift float8,
									 holdout_fraction float8 DEFAULT 0.5,
									 alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8,
									 OUT treated_size bigint, OUT control_size bigint)
AS 'MODULE_PATHNAME', 'holdout_size' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.holdout_size_mean(sd float8, lift float8,
										  holdout_fraction float8 DEFAULT 0.5,
										  alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8,
										  OUT treated_size bigint, OUT control_size bigint)
AS 'MODULE_PATHNAME', 'holdout_size_mean' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.detectable_lift(baseline_rate float8, treated_size bigint,
										control_size bigint, alpha float8 DEFAULT 0.05,
										power float8 DEFAULT 0.8)
RETURNS float8
AS 'MODULE_PATHNAME', 'detectable_lift' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.detectable_lift_mean(sd float8, treated_size bigint,
											 control_size bigint, alpha float8 DEFAULT 0.05,
											 power float8 DEFAULT 0.8)
RETURNS float8
AS 'MODULE_PATHNAME', 'detectable_lift_mean' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Holm's adjustment of the p-values of a window partition.
CREATE FUNCTION custseg.holm(p_value float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'holm' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
