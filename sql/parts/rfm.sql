
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

-- Aggregate support.  Not strict: rows with a NULL dimension are skipped by
-- the C code, and a NULL bins or method is an error.
CREATE FUNCTION custseg.rfm_thresholds_accum(custseg.rfm_thresholds_state,
	float8, float8, float8)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_accum(custseg.rfm_thresholds_state,
	float8, float8, float8, integer)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_accum(custseg.rfm_thresholds_state,
	float8, float8, float8, integer, text)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_combine(custseg.rfm_thresholds_state,
	custseg.rfm_thresholds_state)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_final(custseg.rfm_thresholds_state)
RETURNS custseg.rfm_thresholds
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.rfm_thresholds(recency, frequency, monetary [, bins [, method]]):
-- one row per customer.  CREATE AGGREGATE has no DEFAULT arguments, hence
-- three aggregates.
CREATE AGGREGATE custseg.rfm_thresholds(recency float8, frequency float8,
	monetary float8) (
	SFUNC = custseg.rfm_thresholds_accum,
	STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final,
	COMBINEFUNC = custseg.rfm_thresholds_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.rfm_thresholds(recency float8, frequency float8,
	monetary float8, bins integer) (
	SFUNC = custseg.rfm_thresholds_accum,
	STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final,
	COMBINEFUNC = custseg.rfm_thresholds_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.rfm_thresholds(recency float8, frequency float8,
	monetary float8, bins integer, method text) (
	SFUNC = custseg.rfm_thresholds_accum,
	STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final,
	COMBINEFUNC = custseg.rfm_thresholds_combine,
	PARALLEL = SAFE
);

-- The same from customer summaries: recency_days, orders and revenue.
CREATE FUNCTION custseg.rfm_thresholds_accum(custseg.rfm_thresholds_state,
	custseg.customer_summary)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_accum(custseg.rfm_thresholds_state,
	custseg.customer_summary, integer)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.rfm_thresholds_accum(custseg.rfm_thresholds_state,
	custseg.customer_summary, integer, text)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE custseg.rfm_thresholds(summary custseg.customer_summary) (
	SFUNC = custseg.rfm_thresholds_accum,
	STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final,
	COMBINEFUNC = custseg.rfm_thresholds_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.rfm_thresholds(summary custseg.customer_summary,
	bins integer) (
	SFUNC = custseg.rfm_thresholds_accum,
	STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final,
	COMBINEFUNC = custseg.rfm_thresholds_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.rfm_thresholds(summary custseg.customer_summary,
	bins integer, method text) (
	SFUNC = custseg.rfm_thresholds_accum,
	STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final,
	COMBINEFUNC = custseg.rfm_thresholds_combine,
	PARALLEL = SAFE
);

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
