
-- CLV models, 0.2.0: fits with a unit, a penalty and start values; the
-- predictions of the continuous-time families (one C function per SQL
-- signature); model_summary, log_likelihood and parameter_draws.  src/fit_state.c,
-- src/fit_model.c, src/bgnbd.c, src/paretonbd.c, src/bgbb.c,
-- src/gammagamma.c; docs/fit.md.  (Also run by the upgrade script from
-- 0.1.0, hence CREATE OR REPLACE for the functions 0.1.0 had.)

-- Transition functions of the fits with settings (NULL: the default).
CREATE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state, x bigint,
	t_x float8, t float8, unit interval)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_xtt_unit_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state, x bigint,
	t_x float8, t float8, unit interval, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_xtt_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state,
	summary custseg.customer_summary, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_xtt_summary_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_bgbb_accum(state custseg.fit_state, x bigint,
	t_x bigint, n bigint, weight bigint, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_bgbb_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_spend_accum(state custseg.fit_state, x bigint,
	mean_spend float8, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_spend_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.fit_spend_accum(state custseg.fit_state,
	summary custseg.customer_summary, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_spend_summary_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- A horizon written as text ('1 year'): what an untyped literal horizon
-- resolves to.  A bare number is an error.
CREATE FUNCTION custseg.horizon(horizon text)
RETURNS interval
AS 'MODULE_PATHNAME', 'fit_horizon_text' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- The fit aggregates with settings.
DO $$
DECLARE
	model text;
	args text;
BEGIN
	FOREACH model IN ARRAY ARRAY['bgnbd', 'mbgnbd', 'paretonbd'] LOOP
		FOREACH args IN ARRAY ARRAY[
			'x bigint, t_x float8, t float8, unit interval',
			'x bigint, t_x float8, t float8, unit interval, penalty float8, start_values float8[]',
			'summary custseg.customer_summary, penalty float8, start_values float8[]'] LOOP
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

CREATE AGGREGATE custseg.bgbb_fit(x bigint, t_x bigint, n bigint, weight bigint,
	penalty float8, start_values float8[]) (
	SFUNC = custseg.fit_bgbb_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.bgbb_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.gammagamma_fit(x bigint, mean_spend float8,
	penalty float8, start_values float8[]) (
	SFUNC = custseg.fit_spend_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.gammagamma_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.gammagamma_fit(summary custseg.customer_summary,
	penalty float8, start_values float8[]) (
	SFUNC = custseg.fit_spend_accum,
	STYPE = custseg.fit_state,
	FINALFUNC = custseg.gammagamma_final,
	COMBINEFUNC = custseg.fit_combine,
	PARALLEL = SAFE
);

-- Predictions of BG/NBD, MBG/NBD and Pareto/NBD.  The customer is
-- (x bigint, t_x, t), (x float8, t_x, t) (a whole number: numeric and
-- integer x resolve to it) or a custseg.customer_summary; the horizon a
-- float8 in the model's unit, an interval, or text (custseg.horizon).
DO $$
DECLARE
	model text;
	cust text[];
	h text[];
	customers text[] := ARRAY[
		-- signature, C suffix, call arguments
		ARRAY['x bigint, t_x float8, t float8', '', 'x, t_x, t'],
		ARRAY['x float8, t_x float8, t float8', '_xf', 'x, t_x, t'],
		ARRAY['summary custseg.customer_summary', '_summary', 'summary']];
	horizons text[] := ARRAY[ARRAY['float8', 'number'], ARRAY['interval', 'interval']];
	spend text;
BEGIN
	FOREACH model IN ARRAY ARRAY['bgnbd', 'mbgnbd', 'paretonbd'] LOOP
		FOREACH cust SLICE 1 IN ARRAY customers LOOP
			spend := CASE WHEN cust[2] = '_summary' THEN '' ELSE 'mean_spend float8, ' END;
			FOREACH h SLICE 1 IN ARRAY horizons LOOP
				EXECUTE format($sql$
					CREATE OR REPLACE FUNCTION custseg.expected_purchases(model custseg.%1$s,
						horizon %2$s, %3$s)
					RETURNS float8
					AS 'MODULE_PATHNAME', '%1$s_expected_purchases%4$s_%5$s'
					LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
					model, h[1], cust[1], cust[2], h[2]);
				EXECUTE format($sql$
					CREATE OR REPLACE FUNCTION custseg.clv(model custseg.%1$s,
						gg custseg.gammagamma, %3$s, %6$shorizon %2$s,
						annual_discount_rate float8, margin float8 DEFAULT 1)
					RETURNS float8
					AS 'MODULE_PATHNAME', '%1$s_clv%4$s_%5$s'
					LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
					model, h[1], cust[1], cust[2], h[2], spend);
			END LOOP;
			EXECUTE format($sql$
				CREATE OR REPLACE FUNCTION custseg.expected_purchases(model custseg.%1$s,
					horizon text, %2$s)
				RETURNS float8
				LANGUAGE sql STABLE STRICT PARALLEL SAFE
				AS 'SELECT custseg.expected_purchases(model, custseg.horizon(horizon), %3$s)'$sql$,
				model, cust[1], cust[3]);
			EXECUTE format($sql$
				CREATE OR REPLACE FUNCTION custseg.clv(model custseg.%1$s,
					gg custseg.gammagamma, %2$s, %4$shorizon text,
					annual_discount_rate float8, margin float8 DEFAULT 1)
				RETURNS float8
				LANGUAGE sql STABLE STRICT PARALLEL SAFE
				AS 'SELECT custseg.clv(model, gg, %3$s, %5$scustseg.horizon(horizon), annual_discount_rate, margin)'$sql$,
				model, cust[1], cust[3], spend,
				CASE WHEN spend = '' THEN '' ELSE 'mean_spend, ' END);
			EXECUTE format($sql$
				CREATE OR REPLACE FUNCTION custseg.p_alive(model custseg.%1$s, %2$s)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_p_alive%3$s'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, cust[1], cust[2]);
		END LOOP;
		FOREACH h SLICE 1 IN ARRAY horizons LOOP
			EXECUTE format($sql$
				CREATE OR REPLACE FUNCTION custseg.expected_purchases(model custseg.%1$s,
					horizon %2$s)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_expected_purchases_new_%3$s'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, h[1], h[2]);
			EXECUTE format($sql$
				CREATE OR REPLACE FUNCTION custseg.purchase_probability(model custseg.%1$s,
					n bigint, horizon %2$s)
				RETURNS float8
				AS 'MODULE_PATHNAME', '%1$s_purchase_probability_%3$s'
				LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
				model, h[1], h[2]);
		END LOOP;
		EXECUTE format($sql$
			CREATE OR REPLACE FUNCTION custseg.expected_purchases(model custseg.%1$s,
				horizon text)
			RETURNS float8
			LANGUAGE sql STABLE STRICT PARALLEL SAFE
			AS 'SELECT custseg.expected_purchases(model, custseg.horizon(horizon))'$sql$,
			model);
		EXECUTE format($sql$
			CREATE OR REPLACE FUNCTION custseg.purchase_probability(model custseg.%1$s,
				n bigint, horizon text)
			RETURNS float8
			LANGUAGE sql STABLE STRICT PARALLEL SAFE
			AS 'SELECT custseg.purchase_probability(model, n, custseg.horizon(horizon))'$sql$,
			model);
		EXECUTE format($sql$
			CREATE FUNCTION custseg.log_likelihood(model custseg.%1$s,
				x bigint, t_x float8, t float8)
			RETURNS float8
			AS 'MODULE_PATHNAME', '%1$s_log_likelihood'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$sql$,
			model);
	END LOOP;

	-- Every family: its parameters with standard errors and intervals.
	FOREACH model IN ARRAY ARRAY['bgnbd', 'mbgnbd', 'paretonbd', 'bgbb', 'gammagamma'] LOOP
		EXECUTE format($sql$
			CREATE FUNCTION custseg.model_summary(model custseg.%1$s)
			RETURNS TABLE (parameter text, estimate float8, std_error float8,
				lower float8, upper float8, per_day float8, per_week float8,
				log_likelihood float8, aic float8, bic float8,
				customers bigint, converged boolean)
			AS 'MODULE_PATHNAME', '%1$s_model_summary'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4$sql$,
			model);
		-- Draws from the asymptotic normal of the log-parameters, for
		-- prediction intervals.
		EXECUTE format($sql$
			CREATE FUNCTION custseg.parameter_draws(model custseg.%1$s,
				draws integer DEFAULT 200, seed bigint DEFAULT 1)
			RETURNS SETOF custseg.%1$s
			AS 'MODULE_PATHNAME', '%1$s_parameter_draws'
			LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 200$sql$,
			model);
	END LOOP;
END
$$;
