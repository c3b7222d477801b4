/* custseg--0.1.0--0.2.0.sql: upgrades an installed custseg 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION custseg UPDATE TO '0.2.0'" to load this file. \quit

-- Every change to the extension's SQL objects between 0.1.0 and 0.2.0 is
-- made here as well as in sql/parts/, so that an updated install equals a
-- fresh one (checked by scripts/test, test/upgrade/).

-- ----------------------------------------------------------------
-- CLV models you can trust (issue 11): the model types record the unit of
-- their times, the penalty and start values of the fit and its observed
-- information (models stored by 0.1.0 read them as NULL: days, no
-- information); fits with a unit, a penalty and start values; one C
-- function per prediction signature, predictions from a customer_summary,
-- with a numeric x or a text horizon; model_summary and log_likelihood.
-- ----------------------------------------------------------------
ALTER TYPE custseg.bgnbd ADD ATTRIBUTE unit interval, ADD ATTRIBUTE penalty float8,
	ADD ATTRIBUTE start_values float8[], ADD ATTRIBUTE information float8[];
ALTER TYPE custseg.mbgnbd ADD ATTRIBUTE unit interval, ADD ATTRIBUTE penalty float8,
	ADD ATTRIBUTE start_values float8[], ADD ATTRIBUTE information float8[];
ALTER TYPE custseg.paretonbd ADD ATTRIBUTE unit interval, ADD ATTRIBUTE penalty float8,
	ADD ATTRIBUTE start_values float8[], ADD ATTRIBUTE information float8[];
ALTER TYPE custseg.bgbb ADD ATTRIBUTE penalty float8,
	ADD ATTRIBUTE start_values float8[], ADD ATTRIBUTE information float8[];
ALTER TYPE custseg.gammagamma ADD ATTRIBUTE penalty float8,
	ADD ATTRIBUTE start_values float8[], ADD ATTRIBUTE information float8[];

-- The rest is sql/parts/predict.sql as it stands (CREATE OR REPLACE gives
-- the predictions of 0.1.0 their own C function per signature).
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

-- The holdout check as functions (issue 11): sql/parts/clv_check.sql as it
-- stands.
-- The calibration/holdout check of a CLV model, as functions: per
-- calibration repeat-purchase count, the calibration distribution of
-- repeat purchases, and weekly tracking of cumulative repeat purchases.
-- docs/clv_check.md.  (Also run by the upgrade script from 0.1.0.)

-- The arguments every check shares, checked; the query of the calibration
-- customers: one row per customer whose first purchase day is at most
-- calibration_end, with s (custseg.summarize as of calibration_end, on
-- local calendar days), actual (distinct purchase days in the holdout,
-- calibration_end < day <= holdout_end, amount >= 0) and actual_revenue
-- (every amount of the holdout), for $1 = calibration_end, $2 =
-- holdout_end.
CREATE FUNCTION custseg.holdout_customers_sql(orders regclass, customer_column name,
	time_column name, amount_column name, calibration_end date, holdout_end date,
	model text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF orders IS NULL OR customer_column IS NULL OR time_column IS NULL OR
	   amount_column IS NULL OR calibration_end IS NULL OR holdout_end IS NULL OR model IS NULL THEN
		RAISE EXCEPTION 'the arguments of a holdout check must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Name the orders relation, its customer, time and amount columns, the two period ends and the model.';
	END IF;
	IF calibration_end >= holdout_end THEN
		RAISE EXCEPTION 'calibration_end must be before holdout_end, not % and %', calibration_end, holdout_end
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The model is fitted on the orders up to calibration_end and checked on those after it, up to holdout_end.';
	END IF;
	IF model NOT IN ('bgnbd', 'mbgnbd', 'paretonbd') THEN
		RAISE EXCEPTION 'unknown model "%"', model
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The model is ''bgnbd'', ''mbgnbd'' or ''paretonbd''.';
	END IF;
	IF custseg.orders_column(orders, time_column) NOT IN
	   ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % must be a date, timestamp or timestamptz', time_column, orders
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'The time column holds when each order was placed.';
	END IF;
	PERFORM custseg.orders_column(orders, customer_column);
	PERFORM custseg.orders_column(orders, amount_column);
	RETURN format($sql$
		SELECT o.%1$I AS customer,
			   custseg.summarize(o.%2$I::date, o.%3$I, $1) FILTER (WHERE o.%2$I::date <= $1) AS s,
			   count(DISTINCT o.%2$I::date) FILTER (WHERE o.%2$I::date > $1 AND o.%2$I::date <= $2
													 AND o.%3$I >= 0) AS actual,
			   coalesce(sum(o.%3$I) FILTER (WHERE o.%2$I::date > $1 AND o.%2$I::date <= $2), 0)::float8
				 AS actual_revenue
		FROM %4$s AS o
		WHERE o.%1$I IS NOT NULL AND o.%2$I IS NOT NULL AND o.%3$I IS NOT NULL
		GROUP BY 1
		HAVING min(o.%2$I::date) FILTER (WHERE o.%3$I >= 0) <= $1$sql$,
		customer_column, time_column, amount_column, orders);
END
$$;

-- Per calibration repeat-purchase count (0 .. 6, 7+): customers, actual and
-- predicted holdout purchases and revenue per customer.  Sums are taken in
-- numeric (of the float8 values, rounded to 15 digits): they do not depend
-- on the order of the rows.
CREATE FUNCTION custseg.holdout_check(orders regclass, customer_column name,
	time_column name, amount_column name, calibration_end date, holdout_end date,
	model text DEFAULT 'bgnbd', spend_model boolean DEFAULT true)
RETURNS TABLE (repeat_purchases text, customers bigint, actual_purchases float8,
	predicted_purchases float8, actual_revenue float8, predicted_revenue float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	customers_sql text := custseg.holdout_customers_sql(orders, customer_column, time_column,
		amount_column, calibration_end, holdout_end, model);
BEGIN
	IF spend_model IS NULL THEN
		RAISE EXCEPTION 'spend_model must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass true to predict revenue with a Gamma-Gamma model, false for purchases only.';
	END IF;
	RETURN QUERY EXECUTE format($sql$
		WITH c AS (%1$s),
		m AS (SELECT custseg.%2$I(c.s) AS m FROM c),
		g AS (SELECT custseg.gammagamma_fit(c.s) FILTER (WHERE $4) AS g FROM c)
		SELECT CASE WHEN least((c.s).repeat_purchases, 7) = 7 THEN '7+'
					ELSE least((c.s).repeat_purchases, 7)::text END,
			   count(*),
			   avg(c.actual)::float8,
			   avg(custseg.expected_purchases(m.m, $3, c.s)::numeric)::float8,
			   CASE WHEN $4 THEN avg(c.actual_revenue::numeric)::float8 END,
			   avg(custseg.clv(m.m, g.g, c.s, $3, 0, 1)::numeric)::float8
		FROM c, m, g
		WHERE (c.s).repeat_purchases IS NOT NULL
		GROUP BY least((c.s).repeat_purchases, 7)
		ORDER BY least((c.s).repeat_purchases, 7)$sql$, customers_sql, model || '_fit')
	USING calibration_end, holdout_end, (holdout_end - calibration_end)::float8, spend_model;
END
$$;

-- The calibration distribution of repeat purchases (0 .. 6, 7+): customers
-- who made them, and the number the model expects, sum over customers of
-- P(X(T) = k) with T the customer's age at calibration_end.
CREATE FUNCTION custseg.holdout_period_transactions(orders regclass, customer_column name,
	time_column name, amount_column name, calibration_end date, holdout_end date,
	model text DEFAULT 'bgnbd')
RETURNS TABLE (repeat_purchases text, customers bigint, expected_customers float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	customers_sql text := custseg.holdout_customers_sql(orders, customer_column, time_column,
		amount_column, calibration_end, holdout_end, model);
BEGIN
	RETURN QUERY EXECUTE format($sql$
		WITH c AS (%1$s),
		m AS (SELECT custseg.%2$I(c.s) AS m FROM c),
		ages AS (SELECT (c.s).age_days AS t, count(*) AS n FROM c
				 WHERE (c.s).repeat_purchases IS NOT NULL GROUP BY 1),
		expected AS (SELECT k, sum(ages.n * custseg.purchase_probability(m.m, k, ages.t)::numeric) AS e
					 FROM ages, m, generate_series(0, 6) AS k GROUP BY k),
		actual AS (SELECT least((c.s).repeat_purchases, 7) AS k, count(*) AS n FROM c
				   WHERE (c.s).repeat_purchases IS NOT NULL GROUP BY 1),
		total AS (SELECT sum(ages.n) AS n FROM ages)
		SELECT CASE WHEN k.k = 7 THEN '7+' ELSE k.k::text END,
			   coalesce(actual.n, 0),
			   CASE WHEN k.k = 7 THEN total.n - (SELECT sum(e) FROM expected)
					ELSE expected.e END::float8
		FROM generate_series(0, 7) AS k(k)
			 CROSS JOIN total
			 LEFT JOIN expected ON expected.k = k.k
			 LEFT JOIN actual ON actual.k = k.k
		WHERE total.n > 0
		ORDER BY k.k$sql$, customers_sql, model || '_fit')
	USING calibration_end, holdout_end;
END
$$;

-- Weekly tracking: cumulative repeat purchases of the calibration
-- customers at the end of each week from the first purchase day to
-- holdout_end, actual and expected (sum over customers of the expected
-- purchases of a new customer in the days since their first purchase).
CREATE FUNCTION custseg.holdout_tracking(orders regclass, customer_column name,
	time_column name, amount_column name, calibration_end date, holdout_end date,
	model text DEFAULT 'bgnbd')
RETURNS TABLE (week integer, week_end date, actual_cumulative bigint,
	expected_cumulative float8, holdout boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	customers_sql text := custseg.holdout_customers_sql(orders, customer_column, time_column,
		amount_column, calibration_end, holdout_end, model);
BEGIN
	RETURN QUERY EXECUTE format($sql$
		WITH c AS (%1$s),
		m AS (SELECT custseg.%2$I(c.s) AS m FROM c),
		first_days AS (SELECT c.customer, (c.s).first_order::date AS f FROM c
					   WHERE (c.s).repeat_purchases IS NOT NULL),
		cohorts AS (SELECT f, count(*) AS n FROM first_days GROUP BY f),
		repeat_days AS (
			SELECT o.day, count(*) AS n
			FROM (SELECT DISTINCT o.%3$I AS customer, o.%4$I::date AS day
				  FROM %6$s AS o
				  WHERE o.%5$I >= 0 AND o.%4$I::date <= $2) o
				 JOIN first_days ON first_days.customer = o.customer AND o.day > first_days.f
			GROUP BY o.day),
		weeks AS (
			SELECT w::integer AS week, least((SELECT min(f) FROM cohorts) + 7 * w, $2) AS week_end
			FROM generate_series(1, ceil(($2 - (SELECT min(f) FROM cohorts)) / 7.0)::integer) AS w)
		SELECT weeks.week, weeks.week_end,
			   (SELECT coalesce(sum(r.n), 0)::bigint FROM repeat_days r WHERE r.day <= weeks.week_end),
			   (SELECT sum(cohorts.n * custseg.expected_purchases(m.m, greatest(weeks.week_end - cohorts.f, 0)::float8)::numeric)::float8
				FROM cohorts, m),
			   weeks.week_end > $1
		FROM weeks
		ORDER BY weeks.week$sql$, customers_sql, model || '_fit',
		customer_column, time_column, amount_column, orders)
	USING calibration_end, holdout_end;
END
$$;
