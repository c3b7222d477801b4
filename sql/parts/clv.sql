
-- Simple customer lifetime value formulas: src/clv.c, docs/clv.md

-- Historical value: margin * revenue, the profit a customer has brought so far.
CREATE FUNCTION custseg.clv_historical(revenue double precision,
	margin double precision DEFAULT 1.0)
RETURNS double precision
AS 'MODULE_PATHNAME', 'clv_historical'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.clv_historical(summary custseg.customer_summary,
	margin double precision DEFAULT 1.0)
RETURNS double precision
AS 'MODULE_PATHNAME', 'clv_historical_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Retention formula: margin * r / (1 + d - r), the present value of the
-- margins of the periods to come.
CREATE FUNCTION custseg.clv_retention(margin double precision,
	retention_rate double precision, discount_rate double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'clv_retention'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
