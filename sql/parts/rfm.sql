
-- RFM scores: src/rfm.c, docs/rfm.md

-- One customer's scores: 1 .. bins in every dimension, higher is better.
CREATE TYPE custseg.rfm_score AS (
	r integer,
	f integer,
	m integer,
	cell integer				-- 100 * r + 10 * f + m
);

-- Cut points of the three dimensions; text form is JSON, e.g.
-- {"method": "quantile", "bins": 5, "recency": [..], "frequency": [..], "monetary": [..]}
CREATE TYPE custseg.rfm_thresholds;

CREATE FUNCTION custseg.rfm_thresholds_in(cstring)
RETURNS custseg.rfm_thresholds
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_out(custseg.rfm_thresholds)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.rfm_thresholds (
	INPUT = custseg.rfm_thresholds_in,
	OUTPUT = custseg.rfm_thresholds_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

-- Comparison of thresholds: = and <> (same method, bins and cut points) and
-- an order (method, bins, then the cut points of each dimension), the
-- default btree operator class, so that DISTINCT, GROUP BY and ORDER BY
-- work on thresholds (Citus plans count(DISTINCT ...) with a sort).
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

-- State of the custseg.rfm_thresholds aggregate: per dimension the distinct
-- values with their counts.  Text form is JSON, exact, checked on input.
CREATE TYPE custseg.rfm_thresholds_state;

CREATE FUNCTION custseg.rfm_thresholds_state_in(cstring)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_state_out(custseg.rfm_thresholds_state)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.rfm_thresholds_state (
	INPUT = custseg.rfm_thresholds_state_in,
	OUTPUT = custseg.rfm_thresholds_state_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

CREATE FUNCTION custseg.rfm_thresholds_combine(custseg.rfm_thresholds_state,
	custseg.rfm_thresholds_state)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_final(custseg.rfm_thresholds_state)
RETURNS custseg.rfm_thresholds
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.rfm_thresholds(recency, frequency, monetary [, bins [, method]])
-- and custseg.rfm_thresholds(summary [, bins [, method]]), one row per
-- customer; a summary gives its recency_days, orders and revenue.  CREATE
-- AGGREGATE has no DEFAULT arguments, hence an aggregate (and a transition
-- function) per argument list, each transition function with a C function
-- of its own (rfm_thresholds_accum_values_bins, ...): the C code never
-- guesses its argument types, which callers such as Citus do not pass.  The
-- transition functions are not strict: rows with a NULL dimension are
-- skipped by the C code, and a NULL bins or method is an error.
DO $$
DECLARE
	form text[];
	options text[];
BEGIN
	FOREACH form SLICE 1 IN ARRAY ARRAY[
			['recency float8, frequency float8, monetary float8', 'values'],
			['summary custseg.customer_summary', 'summary']] LOOP
		FOREACH options SLICE 1 IN ARRAY ARRAY[['', ''], [', bins integer', '_bins'],
											   [', bins integer, method text', '_bins_method']] LOOP
			EXECUTE format($sql$
				CREATE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state, %1$s%2$s)
				RETURNS custseg.rfm_thresholds_state
				AS 'MODULE_PATHNAME', %3$L LANGUAGE C IMMUTABLE PARALLEL SAFE$sql$,
				form[1], options[1], 'rfm_thresholds_accum_' || form[2] || options[2]);
			EXECUTE format($sql$
				CREATE AGGREGATE custseg.rfm_thresholds(%1$s%2$s) (
					SFUNC = custseg.rfm_thresholds_accum,
					STYPE = custseg.rfm_thresholds_state,
					FINALFUNC = custseg.rfm_thresholds_final,
					COMBINEFUNC = custseg.rfm_thresholds_combine,
					PARALLEL = SAFE
				)$sql$,
				form[1], options[1]);
		END LOOP;
	END LOOP;
END
$$;

-- Thresholds from cut points chosen by hand (method "custom").
CREATE FUNCTION custseg.rfm_thresholds(recency_cuts float8[],
	frequency_cuts float8[], monetary_cuts float8[])
RETURNS custseg.rfm_thresholds
AS 'MODULE_PATHNAME', 'rfm_thresholds_make'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- One customer's scores against stored thresholds.
CREATE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	recency float8, frequency float8, monetary float8)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_values'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	summary custseg.customer_summary)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Every row of a window partition scored against that partition's
-- thresholds, in one pass: rfm_score(r, f, m) OVER (PARTITION BY ...).
CREATE FUNCTION custseg.rfm_score(recency float8, frequency float8,
	monetary float8, bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window_values'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_score(summary custseg.customer_summary,
	bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window_summary'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
