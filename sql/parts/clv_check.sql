
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
