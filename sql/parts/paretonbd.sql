
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
	iterations integer
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

-- Predictions, with the horizon in days or as an interval.
DO $$
DECLARE
	horizon text;
BEGIN
	FOREACH horizon IN ARRAY ARRAY['float8', 'interval'] LOOP
		EXECUTE format($sql$
			CREATE FUNCTION custseg.expected_purchases(model custseg.paretonbd,
				horizon %1$s, x bigint, t_x float8, t float8)
			RETURNS float8
			AS 'MODULE_PATHNAME', 'paretonbd_expected_purchases'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			horizon);
		EXECUTE format($sql$
			CREATE FUNCTION custseg.expected_purchases(model custseg.paretonbd,
				horizon %1$s)
			RETURNS float8
			AS 'MODULE_PATHNAME', 'paretonbd_expected_purchases_new'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			horizon);
		EXECUTE format($sql$
			CREATE FUNCTION custseg.purchase_probability(model custseg.paretonbd,
				n bigint, horizon %1$s)
			RETURNS float8
			AS 'MODULE_PATHNAME', 'paretonbd_purchase_probability'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			horizon);
		EXECUTE format($sql$
			CREATE FUNCTION custseg.clv(model custseg.paretonbd,
				gg custseg.gammagamma, x bigint, t_x float8, t float8,
				mean_spend float8, horizon %1$s,
				annual_discount_rate float8, margin float8 DEFAULT 1)
			RETURNS float8
			AS 'MODULE_PATHNAME', 'paretonbd_clv'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			horizon);
	END LOOP;
END
$$;

CREATE FUNCTION custseg.p_alive(model custseg.paretonbd, x bigint, t_x float8, t float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'paretonbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
