-- test/citus/checks.sql: custseg on a Citus cluster, run by test/citus/run
-- on the coordinator.  The same orders are loaded twice: distributed by
-- customer (schema custseg_citus_dist) and as plain tables of the
-- coordinator (schema custseg_citus_single, run by PostgreSQL alone).  Every
-- check runs one query text in both schemas and compares the results row for
-- row, as text; a plan check looks for what Citus ran on its workers.  Prints
-- one "ok - name" or "not ok - name" line per check.
--
-- psql variables: customers, orders (the size of bench/generate_orders.sql).

\set ON_ERROR_STOP on
SET client_min_messages = error;
DROP SCHEMA IF EXISTS custseg_citus_dist CASCADE;
DROP SCHEMA IF EXISTS custseg_citus_single CASCADE;
CREATE SCHEMA custseg_citus_dist;
CREATE SCHEMA custseg_citus_single;

-- The orders: generated once, on the coordinator, then copied.
SET search_path = custseg_citus_single, public;
SET client_min_messages = error;
\ir ../../bench/generate_orders.sql
SET client_min_messages = error;
SET search_path = custseg_citus_dist, public;
CREATE TABLE orders (LIKE custseg_citus_single.orders);
SELECT create_distributed_table('orders', 'customer_id') \g /dev/null
INSERT INTO orders SELECT * FROM custseg_citus_single.orders;

-- check(name, query): the query's rows (sorted, as text) in both schemas
CREATE FUNCTION pg_temp.check(name text, query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	dist text;
	single text;
	n bigint;
BEGIN
	PERFORM set_config('search_path', 'custseg_citus_dist, public', true);
	EXECUTE format('SELECT string_agg(r::text, E''\n'' ORDER BY r::text), count(*) FROM (%s) r', query)
		INTO dist, n;
	PERFORM set_config('search_path', 'custseg_citus_single, public', true);
	EXECUTE format('SELECT string_agg(r::text, E''\n'' ORDER BY r::text) FROM (%s) r', query)
		INTO single;
	PERFORM set_config('search_path', 'custseg_citus_dist, public', true);
	IF dist IS NOT DISTINCT FROM single AND dist IS NOT NULL THEN
		RETURN format('ok - %s (%s rows, equal)', name, n);
	END IF;
	RETURN format(E'not ok - %s\n#   distributed: %s\n#   single:      %s', name,
				  left(coalesce(dist, 'NULL'), 300), left(coalesce(single, 'NULL'), 300));
END
$$;

-- plan(name, query, pattern): EXPLAIN VERBOSE of the query on the
-- distributed tables matches the pattern
CREATE FUNCTION pg_temp.plan(name text, query text, pattern text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	PERFORM set_config('search_path', 'custseg_citus_dist, public', true);
	FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || query LOOP
		plan := plan || line || E'\n';
	END LOOP;
	IF plan ~ pattern THEN
		RETURN format('ok - %s', name);
	END IF;
	RETURN format(E'not ok - %s: no %s in\n%s', name, pattern, plan);
END
$$;

-- Summaries: per customer, pushed down whole (the group is the distribution
-- column); stored in a distributed table co-located with the orders.
CREATE TABLE custseg_citus_single.customers AS
SELECT customer_id, (s).recency_days, (s).orders, (s).revenue, s
FROM (SELECT customer_id, custseg.summarize(order_time, amount, timestamptz '2025-01-01 00:00+00') AS s
	  FROM custseg_citus_single.orders GROUP BY customer_id) c;
CREATE TABLE customers (LIKE custseg_citus_single.customers);
SELECT create_distributed_table('customers', 'customer_id', colocate_with => 'orders') \g /dev/null
INSERT INTO customers
SELECT customer_id, (s).recency_days, (s).orders, (s).revenue, s
FROM (SELECT customer_id, custseg.summarize(order_time, amount, timestamptz '2025-01-01 00:00+00') AS s
	  FROM orders GROUP BY customer_id) c;

\pset tuples_only on
\pset format unaligned
SELECT format('# %s orders of %s customers on %s workers; Citus %s, custseg %s',
			  (SELECT count(*) FROM orders), (SELECT count(*) FROM customers),
			  (SELECT count(*) FROM citus_get_active_worker_nodes()),
			  (SELECT extversion FROM pg_extension WHERE extname = 'citus'),
			  (SELECT extversion FROM pg_extension WHERE extname = 'custseg'));

-- Settings that must be the same on every node (docs/citus.md)
-- (the same zone may have other names: compared by the local times it gives)
SELECT CASE WHEN bool_and(success AND result = local.times)
			THEN format('ok - TimeZone: the coordinator''s session (%s) and every worker give the same local times',
						current_setting('TimeZone'))
			ELSE format('not ok - TimeZone differs: the coordinator''s session has %s (%s), the workers %s',
						current_setting('TimeZone'), min(local.times), string_agg(result, ', ')) END
FROM run_command_on_workers($$SELECT to_char(timestamptz '2024-01-15 12:00+00', 'HH24:MI') || ' ' ||
									  to_char(timestamptz '2024-07-15 12:00+00', 'HH24:MI')$$),
	 (SELECT to_char(timestamptz '2024-01-15 12:00+00', 'HH24:MI') || ' ' ||
			 to_char(timestamptz '2024-07-15 12:00+00', 'HH24:MI') AS times) local
GROUP BY local.times;
SELECT CASE WHEN bool_and(success AND result = (SELECT extversion FROM pg_extension WHERE extname = 'custseg'))
			THEN 'ok - custseg of the same version on every worker'
			ELSE 'not ok - custseg versions on the workers: ' || string_agg(result, ', ') END
FROM run_command_on_workers($$SELECT extversion FROM pg_extension WHERE extname = 'custseg'$$);

SELECT pg_temp.check('summarize per customer',
	$q$SELECT customer_id, custseg.summarize(order_time, amount, timestamptz '2025-01-01 00:00+00')
	   FROM orders GROUP BY customer_id$q$);
SELECT pg_temp.check('summarize over dates and floats',
	$q$SELECT customer_id, custseg.summarize((order_time AT TIME ZONE 'UTC')::date, amount::float8, date '2025-01-01')
	   FROM orders GROUP BY customer_id$q$);
SELECT pg_temp.check('stored summaries', 'SELECT customer_id, s FROM customers');
SELECT pg_temp.plan('summarize is pushed down whole',
	$q$SELECT customer_id, custseg.summarize(order_time, amount, timestamptz '2025-01-01 00:00+00')
	   FROM orders GROUP BY customer_id$q$,
	'Query: SELECT customer_id, custseg\.summarize\(');
SELECT pg_temp.plan('the shard query runs custseg''s fast grouping node on the worker',
	$q$SELECT customer_id, custseg.summarize(order_time, amount, timestamptz '2025-01-01 00:00+00'), count(*)
	   FROM orders GROUP BY customer_id$q$,
	'Custom Scan \(Custseg HashAggregate\)');

-- RFM thresholds, both forms, and the two-step example of docs/rfm.md verbatim
SELECT pg_temp.check('rfm_thresholds(recency, frequency, monetary)',
	'SELECT custseg.rfm_thresholds(recency_days, orders, revenue) FROM customers');
SELECT pg_temp.check('rfm_thresholds(recency, frequency, monetary, bins, method)',
	$q$SELECT custseg.rfm_thresholds(recency_days, orders, revenue, 4, 'rfm') FROM customers$q$);
SELECT pg_temp.check('rfm_thresholds(summary)', 'SELECT custseg.rfm_thresholds(s) FROM customers');
SELECT pg_temp.check('rfm_thresholds(summary, bins, method)',
	$q$SELECT custseg.rfm_thresholds(s, 3, 'rfm') FROM customers$q$);
SELECT pg_temp.plan('rfm_thresholds(recency, frequency, monetary) runs as worker_partial_agg',
	'SELECT custseg.rfm_thresholds(recency_days, orders, revenue) FROM customers',
	'worker_partial_agg\(''custseg\.rfm_thresholds\(double precision');
SELECT pg_temp.plan('rfm_thresholds(summary) runs as worker_partial_agg',
	'SELECT custseg.rfm_thresholds(s) FROM customers',
	'worker_partial_agg\(''custseg\.rfm_thresholds\(custseg\.customer_summary\)');

SET search_path = custseg_citus_single, public;
CREATE TABLE rfm_cuts AS
SELECT now() AS computed, custseg.rfm_thresholds(recency_days, orders, revenue) AS t
FROM customers;
SET search_path = custseg_citus_dist, public;
-- Two steps: compute thresholds once, store them, score with them later
-- (scores stay comparable across refreshes).
CREATE TABLE rfm_cuts AS
SELECT now() AS computed, custseg.rfm_thresholds(recency_days, orders, revenue) AS t
FROM customers;
SELECT pg_temp.check('docs/rfm.md two steps: the stored thresholds', 'SELECT t FROM rfm_cuts');
SELECT pg_temp.check('docs/rfm.md two steps: the scores',
	$q$SELECT c.customer_id, (custseg.rfm_score(t, c.recency_days, c.orders, c.revenue)).*
	   FROM customers c, rfm_cuts$q$);
SELECT pg_temp.check('rfm_score(thresholds, summary)',
	'SELECT c.customer_id, custseg.rfm_score(t, c.s) FROM customers c, rfm_cuts');
SELECT pg_temp.check('rfm_score(summary) OVER ()',
	'SELECT customer_id, custseg.rfm_score(s) OVER () FROM customers');

-- count(DISTINCT ...) over thresholds (a sort on the workers)
CREATE TABLE scored AS SELECT c.customer_id, b, custseg.rfm_thresholds(c.s, b) OVER (PARTITION BY b) AS t
FROM custseg_citus_single.customers c, generate_series(2, 4) b;
CREATE TABLE custseg_citus_single.scored AS SELECT * FROM scored;
SELECT create_distributed_table('scored', 'customer_id', colocate_with => 'orders') \g /dev/null
SELECT truncate_local_data_after_distributing_table('scored') \g /dev/null
SELECT pg_temp.check('count(DISTINCT thresholds)',
	'SELECT count(DISTINCT t), count(*) FROM scored');
SELECT pg_temp.check('thresholds GROUP BY and ORDER BY',
	'SELECT t, count(*) FROM scored GROUP BY t ORDER BY t');

-- Model fits: every one a worker_partial_agg combined on the coordinator
SELECT pg_temp.check('bgnbd_fit(summary)', 'SELECT custseg.bgnbd_fit(s) FROM customers');
SELECT pg_temp.check('bgnbd_fit(x, t_x, t)',
	'SELECT custseg.bgnbd_fit((s).repeat_purchases, (s).active_days, (s).age_days) FROM customers');
SELECT pg_temp.check('mbgnbd_fit(summary)', 'SELECT custseg.mbgnbd_fit(s) FROM customers');
SELECT pg_temp.check('mbgnbd_fit(x, t_x, t)',
	'SELECT custseg.mbgnbd_fit((s).repeat_purchases, (s).active_days, (s).age_days) FROM customers');
SELECT pg_temp.check('paretonbd_fit(summary)', 'SELECT custseg.paretonbd_fit(s) FROM customers');
SELECT pg_temp.check('paretonbd_fit(x, t_x, t)',
	'SELECT custseg.paretonbd_fit((s).repeat_purchases, (s).active_days, (s).age_days) FROM customers');
SELECT pg_temp.check('gammagamma_fit(summary)',
	'SELECT custseg.gammagamma_fit(s) FROM customers WHERE (s).repeat_spend > 0');
SELECT pg_temp.check('gammagamma_fit(x, mean_spend)',
	$q$SELECT custseg.gammagamma_fit((s).repeat_purchases, (s).repeat_spend / (s).repeat_purchases)
	   FROM customers WHERE (s).repeat_spend > 0$q$);
-- BG/BB: six opportunities, x of them with a purchase, the last at t_x
SELECT pg_temp.check('bgbb_fit(x, t_x, n)',
	$q$SELECT custseg.bgbb_fit(x, CASE WHEN x = 0 THEN 0 ELSE x + customer_id % (7 - x) END, 6)
	   FROM (SELECT customer_id, least((s).repeat_purchases, 6) AS x FROM customers) c$q$);
SELECT pg_temp.check('bgbb_fit(x, t_x, n, weight)',
	$q$SELECT custseg.bgbb_fit(x, t_x, 6, n)
	   FROM (SELECT x, CASE WHEN x = 0 THEN 0 ELSE x + customer_id % (7 - x) END AS t_x, count(*) AS n
			 FROM (SELECT customer_id, least((s).repeat_purchases, 6) AS x FROM customers) c
			 GROUP BY 1, 2) d$q$);
SELECT pg_temp.plan('bgnbd_fit runs as worker_partial_agg',
	'SELECT custseg.bgnbd_fit(s) FROM customers', 'worker_partial_agg\(''custseg\.bgnbd_fit');

-- k-means
SELECT pg_temp.check('kmeans',
	'SELECT custseg.kmeans(ARRAY[recency_days, orders, revenue], 4) FROM customers');
SELECT pg_temp.check('kmeans(seed, max_iter, log_features)',
	'SELECT custseg.kmeans(ARRAY[recency_days, orders, greatest(revenue, 0)], 3, 5, 50, ARRAY[false, true, true]) FROM customers');
SELECT pg_temp.check('kmeans_choose_k',
	'SELECT custseg.kmeans_choose_k(ARRAY[recency_days, orders, revenue], 2, 5) FROM customers');

-- uplift, a binary and a continuous outcome (the same bits since 0.2.0), stratified and CUPED
SELECT pg_temp.check('uplift (binary outcome)',
	'SELECT custseg.uplift(customer_id % 2 = 0, (orders > 3)::int) FROM customers');
SELECT pg_temp.check('uplift (continuous outcome)',
	'SELECT custseg.uplift(customer_id % 2 = 0, revenue) FROM customers');
SELECT pg_temp.check('uplift, stratified',
	'SELECT custseg.uplift(customer_id % 2 = 0, revenue, CASE WHEN orders > 3 THEN ''many'' ELSE ''few'' END) FROM customers');
SELECT pg_temp.check('uplift_cuped',
	'SELECT custseg.uplift_cuped(customer_id % 2 = 0, revenue, orders) FROM customers');

-- Predictions, the models in a reference table: pushed down with it
SET search_path = custseg_citus_single, public;
CREATE TABLE models AS
SELECT (SELECT custseg.bgnbd_fit(s) FROM customers) AS bgnbd,
	   (SELECT custseg.paretonbd_fit(s) FROM customers) AS paretonbd,
	   (SELECT custseg.gammagamma_fit(s) FROM customers WHERE (s).repeat_spend > 0) AS gammagamma;
SET search_path = custseg_citus_dist, public;
CREATE TABLE models AS SELECT * FROM custseg_citus_single.models;
SELECT create_reference_table('models') \g /dev/null
SELECT truncate_local_data_after_distributing_table('models') \g /dev/null
SELECT pg_temp.check('models in a reference table',
	'SELECT bgnbd, paretonbd, gammagamma FROM models');
SELECT pg_temp.check('p_alive, expected_purchases, clv with models from a reference table',
	$q$SELECT c.customer_id,
			  custseg.p_alive(m.bgnbd, (c.s).repeat_purchases, (c.s).active_days, (c.s).age_days),
			  custseg.expected_purchases(m.paretonbd, interval '90 days', (c.s).repeat_purchases,
										 (c.s).active_days, (c.s).age_days),
			  custseg.clv(m.bgnbd, m.gammagamma, (c.s).repeat_purchases, (c.s).active_days,
						  (c.s).age_days, greatest((c.s).repeat_spend / nullif((c.s).repeat_purchases, 0), 0),
						  interval '1 year', 0.1, 1)
	   FROM customers c, models m$q$);
SELECT pg_temp.plan('predictions are pushed down with the reference table',
	$q$SELECT custseg.p_alive(m.bgnbd, (c.s).repeat_purchases, (c.s).active_days, (c.s).age_days)
	   FROM customers c, models m$q$,
	'Query: SELECT custseg\.p_alive\(');

-- Segment maps of the coordinator, copied to the workers
INSERT INTO custseg.segment_rules VALUES
	('custseg_citus_check', 1, 'Recent', 4, 5, 1, 5, 1, 5),
	('custseg_citus_check', 2, 'Lapsing', 1, 3, 1, 5, 1, 5);
SELECT CASE WHEN custseg.sync_segment_rules() = (SELECT count(*) FROM citus_get_active_worker_nodes())
			THEN 'ok - sync_segment_rules copied the rules to every worker'
			ELSE 'not ok - sync_segment_rules' END;
SELECT pg_temp.check('segment() with a user map, on the workers',
	$q$SELECT c.customer_id, custseg.segment(custseg.rfm_score(t, c.s), 'custseg_citus_check')
	   FROM customers c, rfm_cuts$q$);
SELECT pg_temp.check('segment() with a user map, GROUP BY the segment',
	$q$SELECT custseg.segment(custseg.rfm_score(t, c.s), 'custseg_citus_check') AS segment, count(*)
	   FROM customers c, rfm_cuts GROUP BY 1$q$);

-- Segment views of the orders: recomputed thresholds, frozen thresholds, a user map
SET search_path = custseg_citus_single, public;
SELECT custseg.create_segment_view('segments', 'orders', 'customer_id', 'order_time', 'amount',
								   as_of => '2025-01-01 00:00+00') \g /dev/null
SELECT custseg.create_segment_view('segments_frozen', 'orders', 'customer_id', 'order_time', 'amount',
								   as_of => '2025-01-01 00:00+00', thresholds => (SELECT t FROM rfm_cuts),
								   map => 'custseg_citus_check') \g /dev/null
SET search_path = custseg_citus_dist, public;
SELECT custseg.create_segment_view('segments', 'orders', 'customer_id', 'order_time', 'amount',
								   as_of => '2025-01-01 00:00+00') \g /dev/null
SELECT custseg.create_segment_view('segments_frozen', 'orders', 'customer_id', 'order_time', 'amount',
								   as_of => '2025-01-01 00:00+00', thresholds => (SELECT t FROM rfm_cuts),
								   map => 'custseg_citus_check') \g /dev/null
SELECT pg_temp.check('create_segment_view on distributed orders', 'SELECT * FROM segments');
SELECT pg_temp.check('create_segment_view, frozen thresholds and a user map',
	'SELECT * FROM segments_frozen');
SELECT pg_temp.plan('segment view: recomputed thresholds by worker_partial_agg, no window',
	rtrim(pg_get_viewdef('custseg_citus_dist.segments'::regclass), ';'),
	'worker_partial_agg\(''custseg\.rfm_thresholds\(custseg\.customer_summary,integer,text\)');
SELECT CASE WHEN pg_get_viewdef('custseg_citus_dist.segments'::regclass) !~ 'OVER'
			 AND pg_get_viewdef('custseg_citus_single.segments'::regclass) ~ 'OVER \(\)'
			THEN 'ok - segment view: two steps on distributed orders, the window on local ones'
			ELSE 'not ok - segment view: the query does not depend on the distribution' END;
INSERT INTO orders VALUES (-1, '2024-12-31 12:00+00', 42);
INSERT INTO custseg_citus_single.orders VALUES (-1, '2024-12-31 12:00+00', 42);
REFRESH MATERIALIZED VIEW CONCURRENTLY segments;
REFRESH MATERIALIZED VIEW CONCURRENTLY custseg_citus_single.segments;
SELECT pg_temp.check('a segment view refreshed concurrently', 'SELECT * FROM segments');

DELETE FROM custseg.segment_rules WHERE map = 'custseg_citus_check';
SELECT custseg.sync_segment_rules() \g /dev/null
DROP SCHEMA custseg_citus_dist CASCADE;
DROP SCHEMA custseg_citus_single CASCADE;
