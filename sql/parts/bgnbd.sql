
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
	iterations integer,
	unit interval,				-- 0.2.0: the unit of the times (NULL: days)
	penalty float8,				-- 0.2.0: the L2 penalty of the fit
	start_values float8[],		-- 0.2.0: where the optimizer started
	information float8[]		-- 0.2.0: observed information, log-parameters
);

CREATE TYPE custseg.mbgnbd AS (
	r float8,
	alpha float8,
	a float8,
	b float8,
	log_likelihood float8,
	customers bigint,
	converged boolean,
	iterations integer,
	unit interval,				-- 0.2.0: the unit of the times (NULL: days)
	penalty float8,				-- 0.2.0: the L2 penalty of the fit
	start_values float8[],		-- 0.2.0: where the optimizer started
	information float8[]		-- 0.2.0: observed information, log-parameters
);

CREATE FUNCTION custseg.bgnbd_final(custseg.fit_state)
RETURNS custseg.bgnbd
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.mbgnbd_final(custseg.fit_state)
RETURNS custseg.mbgnbd
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- custseg.bgnbd_fit(x, t_x, t), custseg.bgnbd_fit(summary), and the same
-- for mbgnbd_fit: one row per customer; rows with a NULL are skipped; no
-- row at all gives NULL.  (The forms with a unit, penalty and start values,
-- and the predictions: sql/parts/predict.sql.)
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
	END LOOP;
END
$$;
