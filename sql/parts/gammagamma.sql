
-- Gamma-Gamma model of the spend per purchase: src/gammagamma.c, docs/gammagamma.md

-- A fitted model: purchases are worth Gamma(p, nu), nu ~ Gamma(q, gamma)
-- across customers; the fit's log-likelihood, its customers (those with a
-- repeat purchase) and how the optimizer went.
CREATE TYPE custseg.gammagamma AS (
	p float8,
	q float8,
	gamma float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer,
	penalty float8,				-- 0.2.0: the L2 penalty of the fit
	start_values float8[],		-- 0.2.0: where the optimizer started
	information float8[]		-- 0.2.0: observed information, log-parameters
);

CREATE FUNCTION custseg.gammagamma_final(custseg.fit_state)
RETURNS custseg.gammagamma
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.gammagamma_fit(x, mean_spend) and custseg.gammagamma_fit(summary)
-- (its repeat_purchases and repeat_spend), one row per customer; customers
-- without a repeat purchase (x = 0) and rows with a NULL are skipped.
CREATE AGGREGATE custseg.gammagamma_fit(x bigint, mean_spend float8) (
	SFUNC = custseg.fit_spend_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.gammagamma_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.gammagamma_fit(summary custseg.customer_summary) (
	SFUNC = custseg.fit_spend_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.gammagamma_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

-- Expected value of a purchase of a customer with x repeat purchases of
-- mean value mean_spend.
CREATE FUNCTION custseg.expected_spend(model custseg.gammagamma, x bigint,
	mean_spend float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'gammagamma_expected_spend'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
