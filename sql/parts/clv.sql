
-- Simple customer lifetime value formulas: src/clv.c, docs/clv.md

-- Historical value: margin * revenue, the profit a customer has brought so far.
CREATE FUNCTION custseg.clv_historical(revenue float8,
	margin float8 DEFAULT 1.0)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_historical'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.clv_historical(summary custseg.customer_summary,
	margin float8 DEFAULT 1.0)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_historical_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Retention formula: margin * r / (1 + d - r), the present value of the
-- margins of the periods to come.
CREATE FUNCTION custseg.clv_retention(margin float8,
	retention_rate float8, discount_rate float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_retention'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
