
-- BG/NBD and MBG/NBD: src/bgnbd.c, docs/bgnbd.md

-- A fitted model: parameters (times in days), then how the fit went.
CREATE TYPE custseg.bgnbd AS (
	r float8,
	alpha float8,
	a float8,
	b float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer
);

CREATE TYPE custseg.mbgnbd AS (
	r float8,
	alpha float8,
	a float8,
	b float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer
);

CREATE FUNCTION custseg.bgnbd_final(custseg.fit_state)
RETURNS custseg.bgnbd
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.mbgnbd_final(custseg.fit_state)
RETURNS custseg.mbgnbd
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.bgnbd_fit(x, t_x, t), custseg.bgnbd_fit(summary), and the same
-- for mbgnbd_fit: one row per customer; rows with a NULL are skipped; no
-- row at all gives NULL.
DO $$
DECLARE
	model text;
	args text;
BEGIN
	FOREACH model IN ARRAY ARRAY['bgnbd', 'mbgnbd'] LOOP
		FOREACH args IN ARRAY ARRAY['x bigint, t_x float8, t float8',
									'summary custseg.customer_summary'] LOOP
			EXECUTE format($sql$
				CREATE AGGREGATE custseg.%1$s_fit(%2$s) (
					SFUNC = custseg.fit_xtt_accum,
					STYPE = custseg.fit_state,
					FINALFUNC = custseg.%1$s_final,
					COMBINEFUNC = custseg.fit_combine,
					PARALLEL = SAFE
				)$sql$,
				model, args);
		END LOOP;

		-- predictions, with the horizon in days or as an interval
		FOREACH args IN ARRAY ARRAY['float8', 'interval'] LOOP
			EXECUTE format($sql$
				CREATE FUNCTION custseg.expected_purchases(model custseg.%1$s,
					horizon %2$s, x bigint, t_x float8, t float8)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_expected_purchases'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, args);
			EXECUTE format($sql$
				CREATE FUNCTION custseg.expected_purchases(model custseg.%1$s,
					horizon %2$s)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_expected_purchases_new'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, args);
			EXECUTE format($sql$
				CREATE FUNCTION custseg.purchase_probability(model custseg.%1$s,
					n bigint, horizon %2$s)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_purchase_probability'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, args);
			EXECUTE format($sql$
				CREATE FUNCTION custseg.clv(model custseg.%1$s,
					gg custseg.gammagamma, x bigint, t_x float8, t float8,
					mean_spend float8, horizon %2$s,
					annual_discount_rate float8, margin float8 DEFAULT 1)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_clv'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, args);
		END LOOP;
		EXECUTE format($sql$
			CREATE FUNCTION custseg.p_alive(model custseg.%1$s,
				x bigint, t_x float8, t float8)
			RETURNS float8
			AS 'MODULE_PATHNAME', '%1$s_p_alive'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			model);
	END LOOP;
END
$$;
