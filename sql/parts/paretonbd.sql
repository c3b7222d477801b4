
-- Pareto/NBD: src/paretonbd.c, docs/paretonbd.md

-- A fitted model: purchase rates lambda ~ Gamma(r, alpha) and dropout rates
-- mu ~ Gamma(s, beta), per day; then how the fit went.
CREATE TYPE custseg.paretonbd AS (
	r float8,
	alpha float8,
	s float8,
	beta float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer,
	unit interval,				-- 0.2.0: the unit of the times (NULL: days)
	penalty float8,				-- 0.2.0: the L2 penalty of the fit
	start_values float8[],		-- 0.2.0: where the optimizer started
	information float8[]		-- 0.2.0: observed information, log-parameters
);

CREATE FUNCTION custseg.paretonbd_final(custseg.fit_state)
RETURNS custseg.paretonbd
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.paretonbd_fit(x, t_x, t) and custseg.paretonbd_fit(summary): one
-- row per customer; rows with a NULL are skipped; no row at all gives NULL.
CREATE AGGREGATE custseg.paretonbd_fit(x bigint, t_x float8, t float8) (
	SFUNC = custseg.fit_xtt_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.paretonbd_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.paretonbd_fit(summary custseg.customer_summary) (
	SFUNC = custseg.fit_xtt_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.paretonbd_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

-- The forms with a unit, penalty and start values, and the predictions:
-- sql/parts/predict.sql.
