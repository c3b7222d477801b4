-- custseg.schedule_refresh and custseg.unschedule_refresh where pg_cron is
-- not installed (this database is not cron.database_name): every check
-- before pg_cron is reached, then the error naming what to configure.
-- scripts/test runs the real schedule in the cron database.
\set SHOW_CONTEXT never
SET timezone = 'UTC';

CREATE TABLE views_sched_orders (customer_id integer, order_time date, amount integer);
INSERT INTO views_sched_orders VALUES (1, '2024-01-01', 10), (2, '2024-01-02', 20);
SELECT custseg.create_segment_view('views_sched', 'views_sched_orders', 'customer_id',
	'order_time', 'amount', as_of => '2024-02-01') IS NOT NULL AS created;

-- The error of a request that reaches the pg_cron check, with the server's
-- cron.database_name in its hint (a setting of the cluster, or "not set"
-- where pg_cron is not loaded) shown as <cron.database_name>: a notice.
CREATE PROCEDURE pg_temp.without_pg_cron(request text)
LANGUAGE plpgsql AS $$
DECLARE
	state text;
	message text;
	hint text;
BEGIN
	EXECUTE request;
	RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		hint = PG_EXCEPTION_HINT;
	RAISE NOTICE '%: %', state, message
		USING HINT = replace(hint, coalesce('"' || current_setting('cron.database_name', true) || '"',
											'not set'), '<cron.database_name>');
END
$$;

-- No pg_cron here: a valid request stops at the last check.
SELECT count(*) AS pg_cron FROM pg_extension WHERE extname = 'pg_cron';
CALL pg_temp.without_pg_cron($$SELECT custseg.schedule_refresh('views_sched', '0 2 * * *')$$);
CALL pg_temp.without_pg_cron($$SELECT custseg.schedule_refresh('views_sched', '@daily',
	concurrently => false, snapshot => true)$$);
CALL pg_temp.without_pg_cron($$SELECT custseg.unschedule_refresh('views_sched')$$);

-- Schedules that are valid cron: each passes the check of the schedule and
-- reaches the pg_cron check (SQLSTATE 55000, not 22023).
DO $$
DECLARE
	s text;
BEGIN
	FOREACH s IN ARRAY ARRAY['*/15 * * * *', '0 2 * * mon-fri', '30 1 1,15 jan-jun,dec 0',
							 '0 0-23/2 * * 7', ' 5  4  *  *  SUN ', '@hourly', '@Daily', '30 seconds'] LOOP
		BEGIN
			PERFORM custseg.schedule_refresh('views_sched', s);
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE '"%": %', s, SQLSTATE;
		END;
	END LOOP;
END
$$;

-- Invalid schedules.
SELECT custseg.schedule_refresh('views_sched', '');
SELECT custseg.schedule_refresh('views_sched', '0 2 * *');
SELECT custseg.schedule_refresh('views_sched', '0 2 * * * *');
SELECT custseg.schedule_refresh('views_sched', '60 2 * * *');
SELECT custseg.schedule_refresh('views_sched', '0 24 * * *');
SELECT custseg.schedule_refresh('views_sched', '0 2 0 * *');
SELECT custseg.schedule_refresh('views_sched', '0 2 * 13 *');
SELECT custseg.schedule_refresh('views_sched', '0 2 * * 8');
SELECT custseg.schedule_refresh('views_sched', '0 2 * foo *');
SELECT custseg.schedule_refresh('views_sched', '0 5-2 * * *');
SELECT custseg.schedule_refresh('views_sched', '*/0 * * * *');
SELECT custseg.schedule_refresh('views_sched', '0 2 ? * *');
SELECT custseg.schedule_refresh('views_sched', '0 seconds');
SELECT custseg.schedule_refresh('views_sched', '90 seconds');
SELECT custseg.schedule_refresh('views_sched', '@sometimes');
SELECT custseg.schedule_refresh('views_sched', 'every night');

-- NULL arguments.
SELECT custseg.schedule_refresh(NULL, '0 2 * * *');
SELECT custseg.schedule_refresh('views_sched', NULL);
SELECT custseg.schedule_refresh('views_sched', '0 2 * * *', NULL);
SELECT custseg.schedule_refresh('views_sched', '0 2 * * *', true, NULL);
SELECT custseg.unschedule_refresh(NULL);

-- Relations that cannot be refreshed, or not concurrently.
SELECT custseg.schedule_refresh('views_sched_orders', '0 2 * * *');
SELECT custseg.schedule_refresh('no_such_view', '0 2 * * *');
CREATE MATERIALIZED VIEW views_sched_empty AS SELECT 1 AS customer_id, 'x'::text AS segment WITH NO DATA;
CREATE UNIQUE INDEX ON views_sched_empty (customer_id);
SELECT custseg.schedule_refresh('views_sched_empty', '0 2 * * *');
-- Not populated is fine for a plain refresh (it populates the view).
CALL pg_temp.without_pg_cron($$SELECT custseg.schedule_refresh('views_sched_empty', '0 2 * * *',
	concurrently => false)$$);
CREATE MATERIALIZED VIEW views_sched_noindex AS SELECT 1 AS customer_id;
SELECT custseg.schedule_refresh('views_sched_noindex', '0 2 * * *');
-- Unique indexes that a concurrent refresh cannot use: partial, on an expression.
CREATE UNIQUE INDEX ON views_sched_noindex (customer_id) WHERE customer_id > 0;
CREATE UNIQUE INDEX ON views_sched_noindex ((customer_id + 1));
SELECT custseg.schedule_refresh('views_sched_noindex', '0 2 * * *');
CALL pg_temp.without_pg_cron($$SELECT custseg.schedule_refresh('views_sched_noindex', '0 2 * * *',
	concurrently => false)$$);
-- A snapshot needs a key and columns segment and cell.
CREATE UNIQUE INDEX ON views_sched_noindex (customer_id);
SELECT custseg.schedule_refresh('views_sched_noindex', '0 2 * * *', snapshot => true);


DROP MATERIALIZED VIEW views_sched, views_sched_empty, views_sched_noindex;
DROP TABLE views_sched_orders;
