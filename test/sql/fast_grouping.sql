-- The fast grouping node (Custseg HashAggregate): GROUP BY one column with
-- custseg.summarize, run by custseg's own hash table.  Every result is
-- compared with PostgreSQL's own aggregation (custseg.enable_fast_grouping
-- off), serial and parallel, as text: float8 fields print exactly, so equal
-- text is equal bits.
SET TimeZone = 'UTC';
SET client_min_messages = warning;

-- Random orders of 3,000 customers: refunds, NULL times, amounts and keys,
-- rows after as_of (2020-12-31), every time and amount type, four key types.
CREATE TABLE fg_orders AS
SELECT g AS id,
	   CASE WHEN g % 97 = 0 THEN NULL ELSE (hashint4(g) & 4095) % 3000 - 1500 END::bigint AS cid,
	   timestamptz '2019-01-01 00:00+00'
		   + (abs(hashint4(g + 1)) % (3 * 365 * 24 * 60)) * interval '1 minute' AS t,
	   CASE WHEN g % 89 = 0 THEN NULL
			WHEN g % 23 = 0 THEN -round((abs(hashint4(g + 2)) % 5000) / 100.0, 2)
			ELSE round((abs(hashint4(g + 3)) % 100000) / 100.0, 2) END AS a
FROM generate_series(1, 30000) g;
UPDATE fg_orders SET t = NULL WHERE id % 101 = 0;
ALTER TABLE fg_orders
	ADD COLUMN cid4 integer, ADD COLUMN ctext text, ADD COLUMN cuuid uuid,
	ADD COLUMN d date, ADD COLUMN ts timestamp,
	ADD COLUMN f float8, ADD COLUMN i integer, ADD COLUMN b bigint;
UPDATE fg_orders SET cid4 = cid::integer, ctext = 'customer ' || cid, cuuid = md5(cid::text)::uuid,
	d = (t AT TIME ZONE 'UTC')::date, ts = t AT TIME ZONE 'UTC',
	f = a::float8 / 3, i = round(a)::integer, b = round(a * 100)::bigint;
ANALYZE fg_orders;

-- Does the plan of query use the node?
CREATE FUNCTION fg_uses_node(query text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
		IF line LIKE '%Custseg HashAggregate%' THEN
			RETURN true;
		END IF;
	END LOOP;
	RETURN false;
END
$$;

-- The rows of query (as text) that PostgreSQL's aggregation, serial and
-- parallel, does not give exactly; raises when the node was not used or
-- (unless parallel is false: PostgreSQL may find no partial plan worth it)
-- the parallel plan is not parallel.
CREATE FUNCTION fg_diff(query text, parallel_plan boolean DEFAULT true) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	fast text[];
	serial text[];
	parallel text[];
	line text;
	partial boolean := false;
BEGIN
	IF NOT fg_uses_node(query) THEN
		RAISE EXCEPTION 'not the fast grouping node: %', query;
	END IF;
	EXECUTE format('SELECT array_agg(r::text ORDER BY r::text) FROM (%s) r', query) INTO fast;
	IF fast IS NULL THEN
		RAISE EXCEPTION 'no rows: %', query;
	END IF;
	SET LOCAL custseg.enable_fast_grouping = off;
	EXECUTE format('SELECT array_agg(r::text ORDER BY r::text) FROM (%s) r', query) INTO serial;
	SET LOCAL parallel_setup_cost = 0;
	SET LOCAL parallel_tuple_cost = 0;
	SET LOCAL min_parallel_table_scan_size = 0;
	SET LOCAL max_parallel_workers_per_gather = 2;
	SET LOCAL work_mem = '64MB';		-- PostgreSQL's results do not depend on it
	SET LOCAL enable_hashagg = off;		-- a Partial GroupAggregate on every version
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
		partial := partial OR line LIKE '%Partial%Aggregate%';
	END LOOP;
	IF parallel_plan AND NOT partial THEN
		RAISE EXCEPTION 'no parallel plan for: %', query;
	END IF;
	EXECUTE format('SELECT array_agg(r::text ORDER BY r::text) FROM (%s) r', query) INTO parallel;
	RESET custseg.enable_fast_grouping;
	RESET parallel_setup_cost;
	RESET parallel_tuple_cost;
	RESET min_parallel_table_scan_size;
	RESET max_parallel_workers_per_gather;
	RESET work_mem;
	RESET enable_hashagg;
	IF fast IS DISTINCT FROM parallel THEN
		RAISE EXCEPTION 'serial and parallel PostgreSQL results differ: %', query;
	END IF;
	RETURN (SELECT count(*) FROM (SELECT unnest(fast) EXCEPT ALL SELECT unnest(serial)) x)
		 + (SELECT count(*) FROM (SELECT unnest(serial) EXCEPT ALL SELECT unnest(fast)) y);
END
$$;

-- The lines of a query's plan.
CREATE FUNCTION fg_plan_lines(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query;
END
$$;

-- What the node shows in EXPLAIN.
EXPLAIN (COSTS OFF)
SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') FROM fg_orders GROUP BY cid;

-- Every overload (3 time types by 4 amount types), bigint key.
SELECT tt, at, fg_diff(format('SELECT cid, custseg.summarize(%s, %s, %L::%s) AS s FROM fg_orders GROUP BY cid',
							  tt, at, '2020-12-31', pg_typeof_name)) AS differ
FROM (VALUES ('t', 'timestamptz'), ('ts', 'timestamp'), ('d', 'date')) tv(tt, pg_typeof_name),
	 unnest(ARRAY['a', 'f', 'i', 'b']) at
ORDER BY 1, 2;

-- Every key type; the NULL key is a group of its own.
SELECT k, fg_diff(format('SELECT %s, custseg.summarize(t, a, timestamptz ''2020-12-31'') AS s FROM fg_orders GROUP BY %1$s', k)) AS differ
FROM unnest(ARRAY['cid', 'cid4', 'ctext', 'cuuid']) k;
SELECT count(*) AS groups, count(*) FILTER (WHERE cid IS NULL) AS null_key
FROM (SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') FROM fg_orders GROUP BY cid) s;

-- Calendar days follow the session time zone.
SET TimeZone = 'America/New_York';
SELECT fg_diff('SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31 12:00+00'') AS s FROM fg_orders GROUP BY cid') AS new_york;
SET TimeZone = 'Asia/Kathmandu';
SELECT fg_diff('SELECT ctext, custseg.summarize(t, f, timestamptz ''2020-06-30'') AS s FROM fg_orders GROUP BY ctext') AS kathmandu;
SET TimeZone = 'Pacific/Chatham';
SELECT fg_diff('SELECT cuuid, custseg.summarize(t, i, now()) AS s FROM fg_orders GROUP BY cuuid') AS chatham;
SET TimeZone = 'UTC';

-- Expressions, several aggregates, fields of the result, a filter and a
-- join below the grouping, the key in an expression.
SELECT fg_diff($q$SELECT cid, custseg.summarize(t, a * 2, timestamptz '2020-12-31') AS s1,
						(custseg.summarize(t + interval '13 hours', a, timestamptz '2020-06-30')).orders AS o,
						custseg.summarize(d, i, date '2021-12-31') AS s3,
						custseg.summarize(t, a * 2, timestamptz '2020-12-31') AS s1_again
				 FROM fg_orders WHERE id % 3 <> 0 GROUP BY cid$q$) AS expressions;
SELECT fg_diff($q$SELECT o.cid * 10 AS k, custseg.summarize(o.t, o.a, timestamptz '2020-12-31') AS s
				 FROM fg_orders o JOIN generate_series(-1500, 1500, 7) c(cid) ON c.cid = o.cid
				 GROUP BY o.cid$q$, parallel_plan => false) AS join_below;

-- Plain aggregates beside summarize (up to eight): built-in ones with a
-- by-value state and no final function (count, sum of integers and floats,
-- min and max of by-value types, bool_and, bit_or, ...), their transition
-- functions called as PostgreSQL calls them.
SELECT fg_diff($q$SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s, count(*) AS n,
						count(a) AS na, count(ctext) AS nt, max(t) AS last, min(d) AS first,
						sum(i) AS si, bool_and(a > 0) AS all_positive, max(f) AS top
				 FROM fg_orders GROUP BY cid
				 HAVING count(*) > 5$q$) AS plain_differ;
SELECT fg_uses_node($q$SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s, count(*) AS n,
							  max(t) AS last, sum(i) AS si FROM fg_orders GROUP BY cid$q$) AS plain_node;
EXPLAIN (COSTS OFF)
SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31'), count(*), max(t) FROM fg_orders GROUP BY cid;
-- A float sum depends on the order of its rows: the node adds them in the
-- order of the input, as PostgreSQL's serial hash aggregation does (a sort
-- or partial sums in workers add them in another order).
SET max_parallel_workers_per_gather = 0;
SET enable_sort = off;
CREATE TABLE fg_float_fast AS
SELECT cid, sum(f) AS v, sum(f / 7) AS w, custseg.summarize(t, a, timestamptz '2020-12-31') AS s FROM fg_orders GROUP BY cid;
SET custseg.enable_fast_grouping = off;
CREATE TABLE fg_float_pg AS
SELECT cid, sum(f) AS v, sum(f / 7) AS w, custseg.summarize(t, a, timestamptz '2020-12-31') AS s FROM fg_orders GROUP BY cid;
RESET custseg.enable_fast_grouping;
RESET enable_sort;
RESET max_parallel_workers_per_gather;
SELECT (SELECT count(*) FROM fg_float_fast) AS customers,
	   (SELECT count(*) FROM (SELECT x::text FROM fg_float_fast x EXCEPT SELECT y::text FROM fg_float_pg y) d) AS differ;
DROP TABLE fg_float_fast, fg_float_pg;

-- HAVING, written or pushed down by PostgreSQL from an outer WHERE, is the
-- node's filter.
SELECT fg_diff($q$SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s FROM fg_orders
				 GROUP BY cid HAVING (custseg.summarize(t, a, timestamptz '2020-12-31')).orders > 12$q$) AS having_differ;
SELECT fg_diff($q$SELECT * FROM (SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s
							   FROM fg_orders GROUP BY cid) c
				 WHERE (c.s).revenue > 5000 AND cid > 0$q$, false) AS outer_where_differ;
EXPLAIN (COSTS OFF)
SELECT * FROM (SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s
			   FROM fg_orders GROUP BY cid) c
WHERE (c.s).orders IS NOT NULL;

-- Sorted paths compete by cost: ORDER BY the key with a LIMIT over an index
-- keeps PostgreSQL's GroupAggregate.
CREATE INDEX fg_orders_cid ON fg_orders (cid);
EXPLAIN (COSTS OFF)
SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') FROM fg_orders GROUP BY cid ORDER BY cid LIMIT 3;
DROP INDEX fg_orders_cid;

-- A segment view's query uses it.
SELECT custseg.create_segment_view('fg_segments', 'fg_orders', 'cid', 't', 'a', as_of => '2020-12-31') IS NOT NULL AS created;
SELECT fg_uses_node(pg_get_viewdef('fg_segments'::regclass)) AS segment_view_node;
DROP MATERIALIZED VIEW fg_segments;

-- A generic plan: as_of is a parameter.
SET plan_cache_mode = force_generic_plan;
PREPARE fg_prepared(timestamptz) AS
SELECT cid, custseg.summarize(t, a, $1) AS s FROM fg_orders GROUP BY cid;
CREATE TABLE fg_param AS EXECUTE fg_prepared('2020-12-31');
SELECT fg_diff($q$SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s FROM fg_orders GROUP BY cid$q$)
	+ (SELECT count(*) FROM ((SELECT cid, s::text FROM fg_param
							  EXCEPT SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31')::text
									 FROM fg_orders GROUP BY cid)) x) AS prepared;
RESET plan_cache_mode;

-- Where it does not apply, PostgreSQL plans as usual.
SELECT q, fg_uses_node(q) AS node
FROM unnest(ARRAY[
	'SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_orders GROUP BY cid HAVING sum(a) > 1',
	'SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31''), avg(i) FROM fg_orders GROUP BY cid',
	'SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31''), count(DISTINCT a) FROM fg_orders GROUP BY cid',
	'SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31''), max(ctext) FROM fg_orders GROUP BY cid',
	'SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31''), count(*) FILTER (WHERE a > 0) FROM fg_orders GROUP BY cid',
	'SELECT cid, count(*), max(t) FROM fg_orders GROUP BY cid',
	'SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') FILTER (WHERE a > 0) FROM fg_orders GROUP BY cid',
	'SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'' ORDER BY t) FROM fg_orders GROUP BY cid',
	'SELECT cid, cid4, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_orders GROUP BY cid, cid4',
	'SELECT cid + 1, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_orders GROUP BY cid + 1',
	'SELECT ctext COLLATE "C", custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_orders GROUP BY 1',
	'SELECT custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_orders',
	'SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_orders GROUP BY cid'
]) q;
SET custseg.enable_fast_grouping = off;
SELECT fg_uses_node('SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_orders GROUP BY cid') AS node_when_off;
RESET custseg.enable_fast_grouping;

-- Memory: with a tiny work_mem, rows of customers that do not fit go to
-- batch files; the peak stays near the limit and the results are the same.
CREATE TABLE fg_many AS
SELECT g % 20000 AS cid, timestamptz '2020-01-01' + (g % 300) * interval '1 day' AS t,
	   (g % 1000)::numeric / 10 AS a
FROM generate_series(1, 60000) g;
ANALYZE fg_many;
CREATE FUNCTION fg_explain(query text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	plan jsonb;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || query INTO plan;
	RETURN plan -> 0 -> 'Plan';
END
$$;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT (p ->> 'Groups')::int AS groups, (p ->> 'Batches')::int > 1 AS batches,
	   (p ->> 'Memory Limit')::int AS limit_kb,
	   (p ->> 'Peak Memory Usage')::int <= 4 * (p ->> 'Memory Limit')::int AS bounded,
	   (p ->> 'Rows Spilled')::int > 0 AS spilled
FROM fg_explain('SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_many GROUP BY cid') p;
SELECT fg_diff('SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') AS s FROM fg_many GROUP BY cid', false) AS spilled_differ;
SELECT fg_diff('SELECT ctext, custseg.summarize(t, a, timestamptz ''2020-12-31'') AS s FROM fg_orders GROUP BY ctext') AS spilled_text_differ;
SELECT fg_diff('SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') AS s, count(*), max(t), sum(cid) FROM fg_many GROUP BY cid', false) AS spilled_plain_differ;
RESET work_mem;
RESET hash_mem_multiplier;
SELECT (p ->> 'Batches')::int AS batches, p ? 'Rows Spilled' AS spilled
FROM fg_explain('SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_many GROUP BY cid') p;

-- Bad input raises the aggregate's errors.
SELECT cid, custseg.summarize(t, a, NULL::timestamptz) FROM fg_orders GROUP BY cid;
SELECT cid, custseg.summarize(t, 'NaN'::float8, timestamptz '2020-12-31') FROM fg_orders GROUP BY cid;
SELECT cid, custseg.summarize(t, a, t) FROM fg_orders WHERE t IS NOT NULL GROUP BY cid;
SELECT cid, custseg.summarize(timestamptz 'infinity', a, timestamptz '2020-12-31') FROM fg_orders GROUP BY cid;

-- A rescan (the inner side of a nested loop) starts over: the same rows as
-- PostgreSQL's.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_sort = off;		-- a GroupAggregate may cost about the same
CREATE VIEW fg_rescan AS
SELECT count(*) AS rows, count(s) AS summaries, sum(hashtext(s::text)) AS checksum
FROM (VALUES (1), (2), (3)) v(n)
	 CROSS JOIN LATERAL (SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s
						 FROM fg_orders WHERE cid % 3 = v.n - 1 OR v.n = 3 GROUP BY cid) g;
SELECT fg_uses_node('SELECT * FROM fg_rescan') AS node;
SELECT * FROM fg_rescan;
SET custseg.enable_fast_grouping = off;
SELECT * FROM fg_rescan;
RESET custseg.enable_fast_grouping;
DROP VIEW fg_rescan;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_sort;

-- Row-level security and privileges are those of the SELECT below the node.
CREATE ROLE regress_fg_reader;
CREATE TABLE fg_secure AS SELECT * FROM fg_orders;
ALTER TABLE fg_secure ENABLE ROW LEVEL SECURITY;
CREATE POLICY fg_positive ON fg_secure FOR SELECT TO regress_fg_reader USING (cid > 0);
GRANT SELECT ON fg_secure TO regress_fg_reader;
GRANT USAGE ON SCHEMA custseg TO regress_fg_reader;
SET ROLE regress_fg_reader;
SELECT count(*) AS groups, min(cid) > 0 AS only_visible
FROM (SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') FROM fg_secure GROUP BY cid) s;
SELECT fg_uses_node('SELECT cid, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_secure GROUP BY cid') AS node;
SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') FROM fg_orders GROUP BY cid;
RESET ROLE;

-- A cancel (statement_timeout) stops it within a second of the timeout.
SELECT fg_uses_node('SELECT x.cid, custseg.summarize(x.t, x.a, timestamptz ''2020-12-31'') FROM fg_orders x, generate_series(1, 1000) g GROUP BY x.cid') AS node;
CREATE VIEW fg_slow AS
SELECT max((s).orders) FROM (
	SELECT x.cid, custseg.summarize(x.t, x.a, timestamptz '2020-12-31') AS s
	FROM fg_orders x, generate_series(1, 1000) g
	GROUP BY x.cid) s;
CREATE TABLE fg_clock AS SELECT clock_timestamp() AS started;
SET statement_timeout = '300ms';
SELECT * FROM fg_slow;
RESET statement_timeout;
SELECT clock_timestamp() - started < interval '1.3 s' AS cancelled_in_time FROM fg_clock;
-- The same in parallel: the workers stop with the leader.
SET parallel_setup_cost = 0;
SET cpu_operator_cost = 0.05;
SET min_parallel_table_scan_size = 0;
SELECT position('Parallel Custom Scan (Custseg HashAggregate)' IN string_agg(p, E'\n')) > 0 AS parallel_node
FROM fg_plan_lines('SELECT * FROM fg_slow') p;
UPDATE fg_clock SET started = clock_timestamp();
SET statement_timeout = '300ms';
SELECT * FROM fg_slow;
RESET statement_timeout;
SELECT clock_timestamp() - started < interval '1.3 s' AS parallel_cancelled_in_time FROM fg_clock;
RESET parallel_setup_cost;
RESET cpu_operator_cost;
RESET min_parallel_table_scan_size;

-- Parallel: under a Gather, each worker reads the whole input and folds the
-- groups of the partitions it claims.  The same rows as PostgreSQL's serial
-- aggregation, whatever the workers that start: all of them, one of two
-- (it takes both partitions in turn, the leader helps), none (the leader
-- takes every partition in one pass), and without the leader's help.
-- For the rest of the transaction: costs that make a parallel plan of the
-- small table cheapest, then the settings given ('name=value').
CREATE FUNCTION fg_parallel_settings(settings text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	setting text;
BEGIN
	PERFORM set_config('parallel_setup_cost', '0', true);
	PERFORM set_config('cpu_operator_cost', '0.05', true);
	PERFORM set_config('min_parallel_table_scan_size', '0', true);
	PERFORM set_config('max_parallel_workers_per_gather', '2', true);
	FOREACH setting IN ARRAY settings LOOP
		PERFORM set_config(split_part(setting, '=', 1), split_part(setting, '=', 2), true);
	END LOOP;
END
$$;
CREATE FUNCTION fg_parallel_diff(query text, settings text[] DEFAULT '{}') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	fast text[];
	serial text[];
	line text;
	parallel_node boolean := false;
BEGIN
	PERFORM fg_parallel_settings(settings);
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
		parallel_node := parallel_node OR line LIKE '%Parallel Custom Scan (Custseg HashAggregate)%';
	END LOOP;
	IF NOT parallel_node THEN
		RETURN 'not parallel';
	END IF;
	EXECUTE format('SELECT array_agg(r::text ORDER BY r::text) FROM (%s) r', query) INTO fast;
	PERFORM set_config('custseg.enable_fast_grouping', 'off', true);
	PERFORM set_config('max_parallel_workers_per_gather', '0', true);
	EXECUTE format('SELECT array_agg(r::text ORDER BY r::text) FROM (%s) r', query) INTO serial;
	PERFORM set_config('custseg.enable_fast_grouping', 'on', true);
	IF fast IS NULL THEN
		RETURN 'no rows';
	END IF;
	RETURN ((SELECT count(*) FROM (SELECT unnest(fast) EXCEPT ALL SELECT unnest(serial)) x)
		  + (SELECT count(*) FROM (SELECT unnest(serial) EXCEPT ALL SELECT unnest(fast)) y))::text
		   || ' of ' || cardinality(serial);
END
$$;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL cpu_operator_cost = 0.05;	-- a small table, costed as a large one
SET LOCAL min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') FROM fg_orders GROUP BY cid;
COMMIT;
SELECT name, fg_parallel_diff(format('SELECT %s, custseg.summarize(t, %s, timestamptz ''2020-12-31'') AS s FROM fg_orders GROUP BY 1', k, a),
							  settings) AS differ
FROM (VALUES ('bigint key, all workers', 'cid', 'a', '{}'::text[]),
			 ('integer key, float8', 'cid4', 'f', '{}'),
			 ('text key, integer', 'ctext', 'i', '{}'),
			 ('uuid key, bigint', 'cuuid', 'b', '{}'),
			 ('one worker of two', 'cid', 'a', '{max_parallel_workers=1}'),
			 ('no worker', 'ctext', 'a', '{max_parallel_workers=0}'),
			 ('no worker, no leader', 'cid', 'f', '{max_parallel_workers=0,parallel_leader_participation=off}'),
			 ('one worker, no leader', 'cuuid', 'a', '{max_parallel_workers=1,parallel_leader_participation=off}'),
			 ('batch files', 'ctext', 'a', '{work_mem=64kB,hash_mem_multiplier=1}')) v(name, k, a, settings);
SELECT fg_parallel_diff($q$SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s, count(*), sum(f),
								  min(t), count(ctext) FROM fg_orders GROUP BY cid$q$) AS plain_parallel_differ;
SELECT fg_parallel_diff($q$SELECT cid, custseg.summarize(t, a * 2, timestamptz '2020-12-31') AS s1,
								  custseg.summarize(d, i, date '2021-12-31') AS s2
						   FROM fg_orders WHERE id % 3 <> 0 GROUP BY cid
						   HAVING (custseg.summarize(t, a * 2, timestamptz '2020-12-31')).orders > 5$q$) AS having_differ;
-- Joined above the Gather.
SELECT fg_parallel_diff($q$SELECT v.n, g.cid, g.s FROM (VALUES (1), (2), (3)) v(n)
								 CROSS JOIN (SELECT cid, custseg.summarize(t, a, timestamptz '2020-12-31') AS s
											 FROM fg_orders GROUP BY cid) g$q$,
						'{enable_hashjoin=off,enable_mergejoin=off,enable_material=off}') AS join_differ;

-- Who did the work, as EXPLAIN ANALYZE shows it: the workers launched, the
-- participants that folded partitions, the groups of all of them.
CREATE FUNCTION fg_parallel_explain(settings text[]) RETURNS TABLE (launched int, participants int,
	partitions int, groups int, spilled boolean)
LANGUAGE plpgsql AS $$
DECLARE
	p jsonb;
BEGIN
	PERFORM fg_parallel_settings(settings);
	p := fg_explain('SELECT ctext, custseg.summarize(t, a, timestamptz ''2020-12-31'') FROM fg_orders GROUP BY 1');
	RETURN QUERY SELECT (p ->> 'Workers Launched')::int, (p -> 'Plans' -> 0 ->> 'Participants')::int,
		(p -> 'Plans' -> 0 ->> 'Partitions')::int, (p -> 'Plans' -> 0 ->> 'Groups')::int,
		(p -> 'Plans' -> 0) ? 'Rows Spilled';
END
$$;
-- (How many workers start, and which participant claims first, varies.)
SELECT name, e.partitions, e.groups, e.spilled,
	   e.participants BETWEEN 1 AND e.launched + 1 AS participants_ok,
	   CASE WHEN name = 'no worker' THEN e.launched = 0 AND e.participants = 1 END AS leader_alone
FROM (VALUES ('all workers', '{}'::text[]),
			 ('one worker of two', '{max_parallel_workers=1}'),
			 ('no worker', '{max_parallel_workers=0}'),
			 ('one worker, no leader', '{max_parallel_workers=1,parallel_leader_participation=off}'),
			 ('batch files', '{work_mem=64kB,hash_mem_multiplier=1}')) v(name, settings),
	 fg_parallel_explain(settings) e;

-- The transition function of custseg 0.1.0 (one C function for every
-- overload, reading the argument types of its call) still works.
CREATE FUNCTION fg_accum_010(internal, date, numeric, date) RETURNS internal
AS '$libdir/custseg', 'summarize_accum' LANGUAGE C;
CREATE AGGREGATE fg_summarize_010(date, numeric, date) (
	SFUNC = fg_accum_010, STYPE = internal, FINALFUNC = custseg.summarize_final);
SELECT count(*) AS customers,
	   count(*) FILTER (WHERE s_old::text IS DISTINCT FROM s_new::text) AS differ
FROM (SELECT cid, fg_summarize_010(d, a, date '2020-12-31') AS s_old,
			 custseg.summarize(d, a, date '2020-12-31') AS s_new
	  FROM fg_orders GROUP BY cid) s;

DROP AGGREGATE fg_summarize_010(date, numeric, date);
DROP FUNCTION fg_accum_010(internal, date, numeric, date);
DROP VIEW fg_slow;
DROP TABLE fg_orders, fg_many, fg_param, fg_secure, fg_clock;
DROP FUNCTION fg_uses_node(text), fg_diff(text, boolean), fg_explain(text), fg_parallel_diff(text, text[]), fg_parallel_explain(text[]), fg_plan_lines(text), fg_parallel_settings(text[]);
REVOKE USAGE ON SCHEMA custseg FROM regress_fg_reader;
DROP ROLE regress_fg_reader;
