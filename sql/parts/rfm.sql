
-- RFM scores: src/rfm.c, docs/rfm.md

-- One customer's scores: 1 .. bins in every dimension, higher is better,
-- and the bins of the thresholds that made them (which segment maps check).
CREATE TYPE custseg.rfm_score AS (
	r integer,
	f integer,
	m integer,
	cell integer,				-- 100 * r + 10 * f + m
	bins integer
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

-- Thresholds for reading: per dimension and score, the range of values that
-- gets the score, the cut points rounded to digits significant digits, or
-- to more where fewer would make two cut points of a dimension look equal
-- (at most 15: 31.759999999999998 reads 31.76).  The type keeps the exact
-- values; the scores use them.
CREATE FUNCTION custseg.describe(thresholds custseg.rfm_thresholds, digits integer DEFAULT 6)
RETURNS TABLE (dimension text, score integer, lower numeric, upper numeric, range text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	doc jsonb;
	name text;
	exact float8[];
	cuts numeric[];
	d integer;
	k integer;
	b integer;
	s integer;
BEGIN
	IF thresholds IS NULL OR digits IS NULL THEN
		RAISE EXCEPTION '% of custseg.describe must not be NULL',
			CASE WHEN thresholds IS NULL THEN 'thresholds' ELSE 'digits' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a custseg.rfm_thresholds value, and the significant digits to show (6 by default).';
	END IF;
	IF digits NOT BETWEEN 1 AND 15 THEN
		RAISE EXCEPTION 'digits must be between 1 and 15, not %', digits
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A double precision value has 15 significant decimal digits; 6 is the default.';
	END IF;
	doc := (thresholds::text)::jsonb;
	FOREACH name IN ARRAY ARRAY['recency', 'frequency', 'monetary'] LOOP
		exact := ARRAY(SELECT (c.cut::text)::float8
					   FROM pg_catalog.jsonb_array_elements(doc -> name) WITH ORDINALITY AS c(cut, i)
					   ORDER BY c.i);
		k := pg_catalog.cardinality(exact);
		-- The fewest digits (from digits on) that keep the cut points apart.
		d := digits;
		LOOP
			cuts := ARRAY(SELECT CASE WHEN x = 0 THEN 0::numeric
									  ELSE pg_catalog.trim_scale(pg_catalog.round(x::numeric,
										  d - 1 - pg_catalog.floor(pg_catalog.log(pg_catalog.abs(x::numeric)))::integer)) END
						  FROM pg_catalog.unnest(exact) WITH ORDINALITY AS u(x, i) ORDER BY u.i);
			EXIT WHEN d >= 15 OR NOT EXISTS (SELECT FROM pg_catalog.generate_series(1, k - 1) AS j
											 WHERE cuts[j] >= cuts[j + 1]);
			d := d + 1;
		END LOOP;
		-- Score s, best first; b: the number of cut points at or below its
		-- values (docs/rfm.md).
		FOR s IN REVERSE k + 1 .. 1 LOOP
			b := CASE WHEN name = 'recency' THEN k + 1 - s ELSE s - 1 END;
			dimension := name;
			score := s;
			lower := cuts[b];
			upper := cuts[b + 1];
			range := CASE WHEN lower IS NULL AND upper IS NULL THEN 'any value'
						  WHEN lower IS NULL THEN format('below %s', upper)
						  WHEN upper IS NULL THEN format('%s or more', lower)
						  ELSE format('%s to below %s', lower, upper) END;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;
