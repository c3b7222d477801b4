
-- Holdout groups and uplift: src/holdout.c, docs/holdout.md, docs/uplift_guide.md

-- custseg.in_holdout(key, experiment, fraction): true for the customers
-- held out of the experiment.  SipHash-2-4 of the experiment name and the
-- key (specified in docs/holdout.md), stable everywhere.  Not strict: a
-- NULL argument is an error, not a NULL answer.
CREATE FUNCTION custseg.in_holdout(customer_key bigint, experiment text, fraction float8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'in_holdout_bigint'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.in_holdout(customer_key text, experiment text, fraction float8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'in_holdout_text'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.in_holdout(customer_key uuid, experiment text, fraction float8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'in_holdout_uuid'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The 64-bit hash behind in_holdout, as a two's complement bigint.
CREATE FUNCTION custseg.holdout_hash(customer_key bigint, experiment text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'holdout_hash_bigint'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.holdout_hash(customer_key text, experiment text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'holdout_hash_text'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.holdout_hash(customer_key uuid, experiment text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'holdout_hash_uuid'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Student's t distribution, as the Welch test uses it.
CREATE FUNCTION custseg.student_t_cdf(t float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_cdf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.student_t_quantile(p float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'student_t_quantile'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- What custseg.uplift(treated, outcome) returns.
CREATE TYPE custseg.uplift AS (
	test text,					-- 'two-proportion z-test' or 'Welch t-test'
	treated_size bigint,		-- rows with treated = true
	control_size bigint,		-- rows with treated = false (the holdout)
	treated_mean float8,
	control_mean float8,
	absolute_lift float8,		-- treated_mean - control_mean
	relative_lift float8,		-- absolute_lift / control_mean; NULL when that is 0
	ci_low float8,				-- 95% confidence interval of absolute_lift
	ci_high float8,
	p_value float8,				-- two-sided, of "no difference"
	statistic float8,			-- z or t
	df float8					-- Welch-Satterthwaite degrees of freedom (t-test only)
);

-- State of custseg.uplift in 0.1.0, kept so that stored states stay
-- readable: per group rows, sum and sum of squared deviations, and whether
-- every outcome was 0 or 1.  Fixed size; exact text form
-- {"binary": true, "treated": [n, sum, m2], "control": [n, sum, m2]}.
-- custseg.uplift_final gives the result of such a state.
CREATE TYPE custseg.uplift_state;

CREATE FUNCTION custseg.uplift_state_in(cstring)
RETURNS custseg.uplift_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_state_out(custseg.uplift_state)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.uplift_state (
	INPUT = custseg.uplift_state_in,
	OUTPUT = custseg.uplift_state_out,
	INTERNALLENGTH = 56,
	ALIGNMENT = double,
	STORAGE = plain
);

-- 0.1.0's transition and combine functions, for aggregates that users
-- built over stored states (custseg.uplift itself now uses
-- custseg.uplift_sums).  Not strict: a NULL treated or outcome is an error.
CREATE FUNCTION custseg.uplift_accum(custseg.uplift_state, treated boolean, outcome float8)
RETURNS custseg.uplift_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_combine(custseg.uplift_state, custseg.uplift_state)
RETURNS custseg.uplift_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_final(custseg.uplift_state)
RETURNS custseg.uplift
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

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
