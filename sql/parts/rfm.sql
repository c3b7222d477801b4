
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
-- function) per argument list.  The transition functions are not strict:
-- rows with a NULL dimension are skipped by the C code, and a NULL bins or
-- method is an error.
DO $$
DECLARE
	dimensions text;
	options text;
BEGIN
	FOREACH dimensions IN ARRAY ARRAY['recency float8, frequency float8, monetary float8',
									  'summary custseg.customer_summary'] LOOP
		FOREACH options IN ARRAY ARRAY['', ', bins integer', ', bins integer, method text'] LOOP
			EXECUTE format($sql$
				CREATE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state, %1$s%2$s)
				RETURNS custseg.rfm_thresholds_state
				AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE$sql$,
				dimensions, options);
			EXECUTE format($sql$
				CREATE AGGREGATE custseg.rfm_thresholds(%1$s%2$s) (
					SFUNC = custseg.rfm_thresholds_accum,
					STYPE = custseg.rfm_thresholds_state,
					FINALFUNC = custseg.rfm_thresholds_final,
					COMBINEFUNC = custseg.rfm_thresholds_combine,
					PARALLEL = SAFE
				)$sql$,
				dimensions, options);
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
AS 'MODULE_PATHNAME', 'rfm_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	summary custseg.customer_summary)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Every row of a window partition scored against that partition's
-- thresholds, in one pass: rfm_score(r, f, m) OVER (PARTITION BY ...).
CREATE FUNCTION custseg.rfm_score(recency float8, frequency float8,
	monetary float8, bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_score(summary custseg.customer_summary,
	bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
