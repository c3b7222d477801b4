
-- CLV model fitting, shared by every model family: src/fit_state.c,
-- src/optimize.c, src/fit_model.c, src/specfun.c (contract src/fit.h), docs/fit.md

-- State of the fit aggregates: the distinct customer cells (k1, k2, k3)
-- with their weights.  Text form is JSON, exact, checked on input:
-- {"kind":"xtt","cells":[[x,t_x,t,weight],...]}
CREATE TYPE custseg.fit_state;

CREATE FUNCTION custseg.fit_state_in(cstring)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.fit_state_out(custseg.fit_state)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.fit_state (
	INPUT = custseg.fit_state_in,
	OUTPUT = custseg.fit_state_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

-- Transition functions.  Not strict: a row with a NULL value is skipped by
-- the C code (so is a BG/BB row of weight 0 and a spend row with x = 0).
CREATE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state, x bigint,
	t_x float8, t float8)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state,
	summary custseg.customer_summary)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_bgbb_accum(state custseg.fit_state, x bigint,
	t_x bigint, n bigint)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_bgbb_accum(state custseg.fit_state, x bigint,
	t_x bigint, n bigint, weight bigint)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_spend_accum(state custseg.fit_state, x bigint,
	mean_spend float8)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_spend_accum(state custseg.fit_state,
	summary custseg.customer_summary)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_combine(custseg.fit_state, custseg.fit_state)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The Gauss hypergeometric function 2F1(a, b; c; z), z < 1.
CREATE FUNCTION custseg.hyp2f1(a float8, b float8, c float8, z float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'fit_hyp2f1_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
