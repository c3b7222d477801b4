
-- BG/BB model of purchases at discrete opportunities: src/bgbb.c, docs/bgbb.md

-- A fitted model: purchase probability p ~ Beta(alpha, beta), dropout
-- probability theta ~ Beta(gamma, delta); the fit's log-likelihood, its
-- customers and how the optimizer went.
CREATE TYPE custseg.bgbb AS (
	alpha float8,
	beta float8,
	gamma float8,
	delta float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer,
	penalty float8,				-- 0.2.0: the L2 penalty of the fit
	start_values float8[],		-- 0.2.0: where the optimizer started
	information float8[]		-- 0.2.0: observed information, log-parameters
);

CREATE FUNCTION custseg.bgbb_final(custseg.fit_state)
RETURNS custseg.bgbb
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.bgbb_fit(x, t_x, n [, weight]): one row per customer, or per
-- pattern of customers with weight = their number.  Rows with a NULL are
-- skipped.  (No summary form: a summary counts days, not opportunities.)
CREATE AGGREGATE custseg.bgbb_fit(x bigint, t_x bigint, n bigint) (
	SFUNC = custseg.fit_bgbb_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.bgbb_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.bgbb_fit(x bigint, t_x bigint, n bigint, weight bigint) (
	SFUNC = custseg.fit_bgbb_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.bgbb_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

-- Expected purchases in the next horizon opportunities of a customer with
-- history (x, t_x, n), and of a new customer in its first horizon ones.
CREATE FUNCTION custseg.expected_purchases(model custseg.bgbb, horizon bigint,
	x bigint, t_x bigint, n bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.expected_purchases(model custseg.bgbb, horizon bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Probability that a customer with history (x, t_x, n) is alive at
-- opportunity n + 1.
CREATE FUNCTION custseg.p_alive(model custseg.bgbb, x bigint, t_x bigint, n bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Probability that a new customer makes exactly k purchases in n opportunities.
CREATE FUNCTION custseg.purchase_probability(model custseg.bgbb, k bigint, n bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_purchase_probability'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Discounted value of the purchases in the next horizon opportunities of a
-- customer with history (x, t_x, n): margin * expected spend per purchase
-- (Gamma-Gamma) * sum_{i=1}^horizon P(purchase at n + i) / (1 + r)^i, where
-- r is the discount rate per opportunity (per campaign, per issue...).
CREATE FUNCTION custseg.clv(model custseg.bgbb, gg custseg.gammagamma,
	x bigint, t_x bigint, n bigint, mean_spend float8, horizon bigint,
	discount_rate_per_opportunity float8, margin float8 DEFAULT 1)
RETURNS float8
AS 'MODULE_PATHNAME', 'bgbb_clv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
