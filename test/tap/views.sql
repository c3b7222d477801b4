-- pgTAP: segment views, scheduled refreshes, segment history, reports and
-- cohort retention (sql/parts/views.sql, docs/views.md): labels, SQLSTATEs,
-- ownership and the row level security of the history.
BEGIN;
SELECT plan(118);

-- Labels: DDL and writes are VOLATILE PARALLEL UNSAFE, reads STABLE
-- PARALLEL SAFE; none is SECURITY DEFINER; NULLs are errors, not STRICT
-- (except the two helpers, whose callers check first).
SELECT is((SELECT format('%s %s %s %s', provolatile, proparallel, proisstrict, prosecdef)
		   FROM pg_proc WHERE oid = f::regprocedure), l, f || ' is ' || l)
FROM (VALUES
	('custseg.create_segment_view(text, regclass, name, name, name, timestamptz, text, custseg.rfm_thresholds, integer, text, text, record, custseg.gammagamma, interval, double precision, double precision, name)', 'v u f f'),
	('custseg.schedule_refresh(regclass, text, boolean, boolean)', 'v u f f'),
	('custseg.unschedule_refresh(regclass)', 'v u f f'),
	('custseg.snapshot_segments(regclass)', 'v u f f'),
	('custseg.prune_segment_history(regclass, interval)', 'v u f f'),
	('custseg.segment_transitions(regclass, timestamptz, timestamptz)', 's s f f'),
	('custseg.segment_report(regclass, integer)', 's s f f'),
	('custseg.cohort_retention(regclass, name, name, text, name)', 's s f f'),
	('custseg.orders_column(regclass, name)', 's s t f'),
	('custseg.segment_view_key(regclass)', 's s t f'),
	('custseg.relation_name(regclass, text)', 's s t f'),
	('custseg.require_pg_cron()', 's s f f')) AS v(f, l);

-- Each runs with its own search_path (views_search_path shows why).
SELECT is((SELECT pg_catalog.array_agg(p.proname::text ORDER BY p.proname)
		   FROM pg_proc p
		   WHERE p.pronamespace = 'custseg'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
			 AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)),
		  NULL, 'every PL/pgSQL function of custseg sets search_path = pg_catalog, pg_temp');

-- pg_cron is not a dependency of the extension.
SELECT ok(NOT EXISTS (SELECT FROM pg_depend d
					  WHERE d.classid = 'pg_extension'::regclass
						AND d.objid = (SELECT oid FROM pg_extension WHERE extname = 'custseg')
						AND d.refclassid = 'pg_extension'::regclass),
		  'custseg requires no other extension (pg_cron is optional)');

-- History tables: primary keys, kept by pg_dump, row level security on.
SELECT col_is_pk('custseg', 'segment_history', ARRAY['view_name', 'snapshot_at', 'customer_key'],
				 'segment_history key is (view_name, snapshot_at, customer_key)');
SELECT col_is_pk('custseg', 'segment_snapshots', ARRAY['view_name', 'snapshot_at'],
				 'segment_snapshots key is (view_name, snapshot_at)');
SELECT ok((SELECT 'custseg.segment_history'::regclass = ANY (extconfig)
				  AND 'custseg.segment_snapshots'::regclass = ANY (extconfig)
		   FROM pg_extension WHERE extname = 'custseg'), 'pg_dump keeps the history');
SELECT ok((SELECT bool_and(relrowsecurity) FROM pg_class
		   WHERE oid IN ('custseg.segment_history'::regclass, 'custseg.segment_snapshots'::regclass)),
		  'row level security is enabled on the history');
SELECT ok(NOT has_table_privilege('public', 'custseg.segment_history', 'UPDATE'),
		  'nobody may update the history (append-only)');

-- Data.
SET LOCAL timezone = 'UTC';
CREATE TABLE tap_orders (customer_id bigint, order_time timestamptz, amount numeric, note text);
INSERT INTO tap_orders
SELECT c, timestamptz '2024-01-01' + (c + i) * interval '3 days', 10 * i
FROM generate_series(1, 20) c, generate_series(1, 1 + c % 4) i;
SELECT isnt(custseg.create_segment_view('tap_segments', 'tap_orders', 'customer_id', 'order_time',
										'amount', as_of => '2024-06-01'), NULL, 'a segment view');
CREATE TABLE tap_plain (customer_id integer);
CREATE MATERIALIZED VIEW tap_unpopulated AS SELECT 1 AS customer_id, 'x'::text AS segment, 1 AS cell WITH NO DATA;
CREATE UNIQUE INDEX ON tap_unpopulated (customer_id);
CREATE MATERIALIZED VIEW tap_noindex AS SELECT 1 AS customer_id, 'x'::text AS segment, 1 AS cell;
CREATE MATERIALIZED VIEW tap_dropped AS SELECT 1 AS customer_id;
SELECT 'tap_dropped'::regclass::oid AS dropped \gset
DROP MATERIALIZED VIEW tap_dropped;

-- CLV columns: models given by hand (CDNOW's published BG/NBD in days and
-- Gamma-Gamma), frozen into the view.
CREATE TEMP TABLE tap_models AS
SELECT ROW(0.243, 30.898, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgnbd AS bg,
	   ROW(0.525, 43.281, 0.891, 1.614, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.mbgnbd AS mbg,
	   ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma AS gg;
SELECT is((SELECT custseg.create_segment_view('tap_clv', 'tap_orders', 'customer_id', 'order_time', 'amount',
												as_of => '2024-06-01', purchase_model => bg, spend_model => gg,
												clv_horizon => '6 months', annual_discount_rate => 0.2, margin => 0.3)
		   FROM tap_models)::text, 'tap_clv', 'a segment view with CLV');
SELECT columns_are('tap_clv', ARRAY['customer_id', 'first_order', 'last_order', 'orders', 'purchase_days',
	'revenue', 'avg_order_value', 'recency_days', 'repeat_purchases', 'active_days', 'age_days',
	'repeat_spend', 'r', 'f', 'm', 'cell', 'segment', 'expected_purchases', 'p_alive', 'clv'],
	'... has the CLV columns after the segment');
CREATE TEMP VIEW tap_clv_check AS
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE v.clv = custseg.clv(m.bg, m.gg, (c.s).repeat_purchases, (c.s).active_days,
							  (c.s).age_days, greatest((c.s).repeat_spend, 0), interval '6 months', 0.2, 0.3)
						AND v.expected_purchases = custseg.expected_purchases(m.bg, interval '6 months',
							  (c.s).repeat_purchases, (c.s).active_days, (c.s).age_days)
						AND v.p_alive = custseg.p_alive(m.bg, (c.s).repeat_purchases, (c.s).active_days,
							  (c.s).age_days)) AS equal
FROM tap_clv v
JOIN (SELECT customer_id, custseg.summarize(order_time, amount, timestamptz '2024-06-01') AS s
	  FROM tap_orders GROUP BY customer_id) AS c USING (customer_id)
CROSS JOIN tap_models m;
SELECT results_eq('SELECT customers, equal FROM tap_clv_check', 'VALUES (20::bigint, 20::bigint)',
				  '... every value equals custseg.clv, expected_purchases and p_alive on the same summary');
INSERT INTO tap_orders VALUES (21, '2024-05-01', 40), (21, '2024-05-20', 60), (1, '2024-05-30', 25);
SELECT lives_ok('REFRESH MATERIALIZED VIEW CONCURRENTLY tap_clv', '... refreshes concurrently');
SELECT results_eq('SELECT customers, equal FROM tap_clv_check', 'VALUES (21::bigint, 21::bigint)',
				  '... and after the refresh still equals custseg.clv, with the new customer');
DELETE FROM tap_orders WHERE customer_id = 21 OR order_time = '2024-05-30';
SELECT is((SELECT custseg.create_segment_view('tap_clv_mbg', 'tap_orders', 'customer_id', 'order_time', 'amount',
												as_of => '2024-06-01', purchase_model => mbg, spend_model => gg)
		   FROM tap_models)::text, 'tap_clv_mbg', 'a segment view with MBG/NBD CLV');
SELECT is((SELECT count(*) FILTER (WHERE v.clv = custseg.clv(m.mbg, m.gg, v.repeat_purchases, v.active_days, v.age_days,
																greatest(v.repeat_spend, 0), interval '1 year', 0.1))
		   FROM tap_clv_mbg v, tap_models m), 20::bigint, '... equal to custseg.clv of the MBG/NBD model');
-- Calls without models resolve as before, also positional with untyped literals.
SELECT is(custseg.create_segment_view('tap_positional', 'tap_orders', 'customer_id', 'order_time', 'amount',
									  '2024-06-01', NULL, NULL, 4, 'quantile', 'rfm')::text, 'tap_positional',
		  'a positional call with untyped literals resolves without models');
-- Bad models.
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => bg) FROM tap_models$$,
	'22004', 'spend_model of custseg.create_segment_view must not be NULL when purchase_model is given', 'clv: no spend model');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => gg, spend_model => gg) FROM tap_models$$,
	'42804', 'purchase_model has type custseg.gammagamma, not a purchase model', 'clv: a spend model as purchase model');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => ROW(1, 2, 3, 4, 0, 5, true, 9), spend_model => gg) FROM tap_models$$,
	'42804', 'purchase_model has type record, not a purchase model', 'clv: an anonymous row');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => ROW(0.2, 30, 0.8, 2.4, -50, 20, false, 500, NULL, NULL, NULL, NULL)::custseg.bgnbd, spend_model => gg) FROM tap_models$$,
	'22023', 'purchase_model did not converge', 'clv: an unconverged purchase model');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => bg, spend_model => ROW(6.25, 3.74, 15.44, -50, 20, false, 500, NULL, NULL, NULL)::custseg.gammagamma) FROM tap_models$$,
	'22023', 'spend_model did not converge', 'clv: an unconverged spend model');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => ROW(0.2, 'Infinity', 0.8, 2.4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.mbgnbd, spend_model => gg) FROM tap_models$$,
	'22023', 'custseg.mbgnbd parameter alpha must be positive and finite, not Infinity', 'clv: an infinite parameter');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => bg, spend_model => ROW(6.25, 1, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma) FROM tap_models$$,
	'22003', 'expected spend is infinite for x = 0 under a model with p = 6.25, q = 1', 'clv: q = 1 (no finite spend for customers without repeat purchases)');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => bg, spend_model => gg, clv_horizon => '-1 day') FROM tap_models$$,
	'22023', 'horizon must not be negative', 'clv: a negative horizon');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => bg, spend_model => gg, annual_discount_rate => '-Infinity') FROM tap_models$$,
	'22003', 'annual_discount_rate must be finite', 'clv: an infinite discount rate');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 purchase_model => bg, spend_model => gg, margin => NULL) FROM tap_models$$,
	'22004', 'margin of custseg.create_segment_view must not be NULL', 'clv: a NULL margin');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount',
					 clv_horizon => '2 years')$$,
	'22023', 'clv_horizon, annual_discount_rate and margin need purchase_model and spend_model', 'clv: options without models');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_clv', 'p_alive', 'last_order', 'revenue',
					 purchase_model => bg, spend_model => gg) FROM tap_models$$,
	'42701', 'customer column "p_alive" has the name of a column of the segment view', 'clv: a key named like a CLV column');
SELECT ok(to_regclass('v') IS NULL, 'no view is left by a failed call');
DROP VIEW tap_clv_check;
DROP MATERIALIZED VIEW tap_clv, tap_clv_mbg, tap_positional;

-- create_segment_view.
SELECT throws_ok($$SELECT custseg.create_segment_view(NULL, 'tap_orders', 'customer_id', 'order_time', 'amount')$$,
	'22004', 'view_name of custseg.create_segment_view must not be NULL', 'create: NULL view name');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', NULL, 'order_time', 'amount')$$,
	'22004', 'customer_column of custseg.create_segment_view must not be NULL', 'create: NULL customer column');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', NULL, 'amount')$$,
	'22004', 'time_column of custseg.create_segment_view must not be NULL', 'create: NULL time column');
SELECT throws_ok($$SELECT custseg.create_segment_view('tap_segments', 'tap_orders', 'customer_id', 'order_time', 'amount')$$,
	'42P07', 'relation "public.tap_segments" already exists', 'create: name taken');
SELECT throws_ok($$SELECT custseg.create_segment_view('a.b.c', 'tap_orders', 'customer_id', 'order_time', 'amount')$$,
	'42602', 'improper view name "a.b.c"', 'create: three-part name');
SELECT throws_ok($$SELECT custseg.create_segment_view('nowhere.v', 'tap_orders', 'customer_id', 'order_time', 'amount')$$,
	'3F000', 'schema "nowhere" does not exist', 'create: unknown schema');
SELECT throws_ok(format($$SELECT custseg.create_segment_view(%L, 'tap_orders', 'customer_id', 'order_time', 'amount')$$, repeat('x', 64)),
	'42622', format('view name "%s" is too long', repeat('x', 64)), 'create: name too long');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'no_such_orders', 'customer_id', 'order_time', 'amount')$$,
	'42P01', 'relation "no_such_orders" does not exist', 'create: unknown orders relation');
SELECT throws_ok(format($$SELECT custseg.create_segment_view('v', %s, 'customer_id', 'order_time', 'amount')$$, :dropped),
	'42P01', format('relation with OID %s does not exist', :dropped), 'create: dropped orders relation');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_segments_customer_id_idx', 'customer_id', 'order_time', 'amount')$$,
	'42809', 'public.tap_segments_customer_id_idx is not a table, view, materialized view or foreign table', 'create: an index as orders');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'client', 'order_time', 'amount')$$,
	'42703', 'column "client" of relation public.tap_orders does not exist', 'create: unknown customer column');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'price')$$,
	'42703', 'column "price" of relation public.tap_orders does not exist', 'create: unknown amount column');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'note', 'amount')$$,
	'42804', 'column "note" of relation public.tap_orders has type text, not a date or time', 'create: text time column');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'note')$$,
	'42804', 'column "note" of relation public.tap_orders has type text, not a number', 'create: text amount column');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount', thresholds => custseg.rfm_thresholds(ARRAY[1]::float8[], ARRAY[1]::float8[], ARRAY[1]::float8[]), method => 'rfm')$$,
	'22023', 'bins and method cannot be given with thresholds', 'create: thresholds and method');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount', bins => 1)$$,
	'22023', 'bins must be between 2 and 10, not 1', 'create: one bin');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount', as_of_unit => 'week')$$,
	'22023', 'as_of_unit "week" cannot be used here', 'create: as_of_unit week');
SELECT throws_ok($$SELECT custseg.create_segment_view('v', 'tap_orders', 'customer_id', 'order_time', 'amount', map => 'nope')$$,
	'42704', 'segment map "nope" does not exist', 'create: unknown map');

-- schedule_refresh, unschedule_refresh (no pg_cron in this database).
SELECT throws_ok($$SELECT custseg.schedule_refresh(NULL, '0 2 * * *')$$,
	'22004', 'view of custseg.schedule_refresh must not be NULL', 'schedule: NULL view');
SELECT throws_ok($$SELECT custseg.schedule_refresh('tap_segments', NULL)$$,
	'22004', 'schedule of custseg.schedule_refresh must not be NULL', 'schedule: NULL schedule');
SELECT throws_ok($$SELECT custseg.schedule_refresh('tap_segments', '0 2 * *')$$,
	'22023', 'invalid cron schedule "0 2 * *": 4 fields instead of 5', 'schedule: four fields');
SELECT throws_ok($$SELECT custseg.schedule_refresh('tap_segments', '0 2 31 2 8')$$,
	'22023', 'invalid cron schedule "0 2 31 2 8": the day of week field "8" is outside 0 to 7', 'schedule: day of week 8');
SELECT throws_ok($$SELECT custseg.schedule_refresh('tap_segments', 'daily')$$,
	'22023', 'invalid cron schedule "daily": 1 field instead of 5', 'schedule: a word');
SELECT throws_ok($$SELECT custseg.schedule_refresh('no_such_view', '0 2 * * *')$$,
	'42P01', 'relation "no_such_view" does not exist', 'schedule: unknown view');
SELECT throws_ok(format($$SELECT custseg.schedule_refresh(%s, '0 2 * * *')$$, :dropped),
	'42P01', format('relation with OID %s does not exist', :dropped), 'schedule: dropped view');
SELECT throws_ok($$SELECT custseg.schedule_refresh('tap_plain', '0 2 * * *')$$,
	'42809', 'public.tap_plain is not a materialized view', 'schedule: a table');
SELECT throws_ok($$SELECT custseg.schedule_refresh('tap_unpopulated', '0 2 * * *')$$,
	'55000', 'materialized view public.tap_unpopulated has not been populated', 'schedule: not populated');
SELECT throws_ok($$SELECT custseg.schedule_refresh('tap_noindex', '0 2 * * *')$$,
	'55000', 'materialized view public.tap_noindex has no unique index for a concurrent refresh', 'schedule: no unique index');
SELECT throws_ok($$SELECT custseg.schedule_refresh('tap_segments', '0 2 * * *')$$,
	'55000', 'pg_cron is not installed in database "custseg_tap"', 'schedule: no pg_cron');
SELECT throws_ok($$SELECT custseg.unschedule_refresh('tap_segments')$$,
	'55000', 'pg_cron is not installed in database "custseg_tap"', 'unschedule: no pg_cron');
SELECT throws_ok($$SELECT custseg.unschedule_refresh(NULL)$$,
	'22004', 'view of custseg.unschedule_refresh must not be NULL', 'unschedule: NULL view');

-- History.
SELECT is(custseg.snapshot_segments('tap_segments'), 20::bigint, 'a snapshot of 20 customers');
SELECT is((SELECT count(*) FROM custseg.segment_history WHERE view_name = 'public.tap_segments'),
		  20::bigint, '20 rows of history');
SELECT throws_ok($$SELECT custseg.snapshot_segments('tap_segments')$$,
	'55000', 'a snapshot of public.tap_segments was taken in this transaction already', 'snapshot: twice in a transaction');
SELECT throws_ok($$SELECT custseg.snapshot_segments(NULL)$$,
	'22004', 'view of custseg.snapshot_segments must not be NULL', 'snapshot: NULL view');
SELECT throws_ok($$SELECT custseg.snapshot_segments('tap_plain')$$,
	'42809', 'public.tap_plain is not a materialized view', 'snapshot: a table');
SELECT throws_ok(format($$SELECT custseg.snapshot_segments(%s)$$, :dropped),
	'42P01', format('relation with OID %s does not exist', :dropped), 'snapshot: dropped view');
SELECT throws_ok($$SELECT custseg.snapshot_segments('tap_unpopulated')$$,
	'55000', 'materialized view public.tap_unpopulated has not been populated', 'snapshot: not populated');
SELECT throws_ok($$SELECT custseg.snapshot_segments('tap_noindex')$$,
	'55000', 'materialized view public.tap_noindex has no unique index on one customer column', 'snapshot: no key');
SELECT throws_ok($$SELECT * FROM custseg.segment_transitions('tap_segments', '2000-01-01', now())$$,
	'22023', 'no snapshot of public.tap_segments at or before 2000-01-01 00:00:00+00', 'transitions: no snapshot');
SELECT throws_ok($$SELECT * FROM custseg.segment_transitions('tap_segments', NULL, now())$$,
	'22004', 'from_snapshot of custseg.segment_transitions must not be NULL', 'transitions: NULL time');
SELECT throws_ok($$SELECT custseg.prune_segment_history('tap_segments', '-1 second')$$,
	'22023', 'keep must not be negative, not -00:00:01', 'prune: negative keep');
SELECT throws_ok($$SELECT custseg.prune_segment_history('tap_segments', NULL)$$,
	'22004', 'keep of custseg.prune_segment_history must not be NULL', 'prune: NULL keep');
SELECT results_eq($$SELECT * FROM custseg.segment_transitions('tap_segments', now(), now())$$,
	$$SELECT segment, segment, count(*) FROM tap_segments GROUP BY segment ORDER BY segment$$,
	'a snapshot against itself is the diagonal of the view''s segments');

-- Report and cohorts.
SELECT throws_ok($$SELECT * FROM custseg.segment_report('tap_segments', 0)$$,
	'22023', 'min_size must be at least 1, not 0', 'report: min_size 0');
SELECT throws_ok($$SELECT * FROM custseg.segment_report('tap_segments', NULL)$$,
	'22004', 'min_size of custseg.segment_report must not be NULL', 'report: NULL min_size');
SELECT throws_ok($$SELECT * FROM custseg.segment_report('tap_plain')$$,
	'42809', 'public.tap_plain is not a materialized view', 'report: a table');
SELECT throws_ok(format($$SELECT * FROM custseg.segment_report(%s)$$, :dropped),
	'42P01', format('relation with OID %s does not exist', :dropped), 'report: dropped view');
SELECT throws_ok($$SELECT * FROM custseg.segment_report('tap_noindex')$$,
	'42703', 'column "revenue" of relation public.tap_noindex does not exist', 'report: no revenue column');
SELECT is((SELECT sum(customers) FROM custseg.segment_report('tap_segments', 1)), 20::numeric,
		  'report with min_size 1 counts every customer');
SELECT ok((SELECT bool_and(customers >= 10) FROM custseg.segment_report('tap_segments')),
		  'report with the default min_size shows no group under 10');
SELECT throws_ok($$SELECT * FROM custseg.cohort_retention('tap_orders', 'customer_id', 'order_time', 'year')$$,
	'22023', 'unknown cohort period "year"', 'cohort: period year');
SELECT throws_ok($$SELECT * FROM custseg.cohort_retention('tap_orders', 'customer_id', 'order_time', NULL)$$,
	'22004', 'period of custseg.cohort_retention must not be NULL', 'cohort: NULL period');
SELECT throws_ok($$SELECT * FROM custseg.cohort_retention('tap_orders', 'who', 'order_time')$$,
	'42703', 'column "who" of relation public.tap_orders does not exist', 'cohort: unknown customer column');
SELECT throws_ok($$SELECT * FROM custseg.cohort_retention('tap_orders', 'customer_id', 'amount')$$,
	'42804', 'column "amount" of relation public.tap_orders has type numeric, not a date or time', 'cohort: numeric time column');
SELECT is((SELECT sum(customers) FILTER (WHERE period_number = 0)
		   FROM custseg.cohort_retention('tap_orders', 'customer_id', 'order_time')), 20::numeric,
		  'every customer is in exactly one cohort');

-- Another role: may not schedule, snapshot or prune the views of others,
-- nor write history for them directly; reads history only of views it may read.
CREATE ROLE custseg_views_other;
CREATE SCHEMA tap_other AUTHORIZATION custseg_views_other;
SET LOCAL ROLE custseg_views_other;
SELECT throws_ok($$SELECT custseg.schedule_refresh('public.tap_segments', '0 2 * * *')$$,
	'42501', 'must be owner of materialized view public.tap_segments', 'schedule: not the owner');
SELECT throws_ok($$SELECT custseg.snapshot_segments('public.tap_segments')$$,
	'42501', 'must be owner of materialized view public.tap_segments', 'snapshot: not the owner');
SELECT throws_ok($$SELECT custseg.prune_segment_history('public.tap_segments', '0')$$,
	'42501', 'must be owner of materialized view public.tap_segments', 'prune: not the owner');
SELECT throws_ok($$SELECT * FROM custseg.segment_transitions('public.tap_segments', now(), now())$$,
	'42501', 'permission denied for materialized view public.tap_segments', 'transitions: may not read the view');
SELECT throws_ok($$INSERT INTO custseg.segment_history VALUES ('public.tap_segments', now(), '999', 'Forged', 555)$$,
	'42501', 'new row violates row-level security policy for table "segment_history"', 'history: no forged rows');
SELECT throws_ok($$INSERT INTO custseg.segment_snapshots VALUES ('public.tap_segments', now(), 1)$$,
	'42501', 'new row violates row-level security policy for table "segment_snapshots"', 'snapshots: no forged rows');
SELECT throws_ok($$UPDATE custseg.segment_history SET segment = 'X'$$,
	'42501', 'permission denied for table segment_history', 'history: no updates');
SELECT is((SELECT count(*) FROM custseg.segment_history), 0::bigint, 'history of an unreadable view is hidden');
SELECT lives_ok($$DELETE FROM custseg.segment_history$$, 'a DELETE by another role runs');
RESET ROLE;
SELECT is((SELECT count(*) FROM custseg.segment_history WHERE view_name = 'public.tap_segments'),
		  20::bigint, '... and deletes nothing of views it does not own');
GRANT SELECT ON tap_segments TO custseg_views_other;
GRANT SELECT ON tap_orders TO custseg_views_other;
SET LOCAL ROLE custseg_views_other;
SELECT is((SELECT count(*) FROM custseg.segment_history), 20::bigint, 'history of a readable view is visible');
SELECT is((SELECT sum(customers) FROM custseg.segment_transitions('public.tap_segments', now(), now())),
		  20::numeric, 'a reader of the view reads its transitions');
-- Its own view in its own schema: it owns it, snapshots it, prunes it.
SELECT is(custseg.create_segment_view('tap_other.mine', 'public.tap_orders', 'customer_id', 'order_time',
									  'amount', as_of => '2024-06-01')::text, 'tap_other.mine', 'another role creates a view');
SELECT is((SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'tap_other.mine'::regclass)::text,
		  'custseg_views_other', '... and owns it');
SELECT is(custseg.snapshot_segments('tap_other.mine'), 20::bigint, '... snapshots it');
SELECT is(custseg.prune_segment_history('tap_other.mine', '1 day'), 0::bigint, '... and prunes its history');
SELECT throws_ok($$SELECT custseg.create_segment_view('public.theirs', 'public.tap_orders', 'customer_id', 'order_time', 'amount')$$,
	'42501', 'permission denied for schema public', 'no view where the role may not create');
RESET ROLE;

-- The helpers on their own.
SELECT is(custseg.relation_name('pg_catalog.pg_class'::regclass), 'pg_catalog.pg_class',
	'relation_name: the quoted schema.name');
SELECT throws_ok($$SELECT custseg.relation_name(4294967295::oid::regclass, 'Gone.')$$, '42P01',
	'relation with OID 4294967295 does not exist', 'relation_name: a dropped relation');
SELECT is(custseg.relation_name(NULL), NULL, 'relation_name: NULL in, NULL out (STRICT)');
SELECT throws_ok($$SELECT custseg.require_pg_cron()$$, '55000',
	'pg_cron is not installed in database "custseg_tap"', 'require_pg_cron: not here');

SELECT * FROM finish();
ROLLBACK;
