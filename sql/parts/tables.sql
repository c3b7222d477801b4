
-- Segment tables: segments kept by incremental refreshes that read only the
-- orders of the customers whose orders changed: docs/tables.md
--
-- A segment table is three relations of the caller's, in the caller's
-- schema, and a row of custseg.segment_tables:
--   NAME        the view that readers read: the columns of a segment view;
--   NAME_store  an ordinary table, one row per customer, of the summary
--               fields that do not depend on as_of (and the earliest order
--               after as_of, which a later refresh must take in);
--   NAME_log    the keys of changed customers, written by four statement
--               triggers on the orders table, which call the C function
--               custseg.segment_table_capture (src/capture.c).
-- Recency, age, scores, segment and CLV depend on as_of: the view computes
-- them as of the last refresh's as_of (custseg.segment_tables.as_of_local)
-- with the thresholds of that refresh (frozen, or recomputed from all
-- customers by the refresh), so the view equals a full recomputation as of
-- that as_of without rewriting the rows of customers who did not order.
-- Like the view functions: PL/pgSQL, SECURITY INVOKER, search_path
-- pg_catalog, pg_temp, identifiers through %I and values through %L.

-- One row per segment table.  Relations by regclass (a dump restores them by
-- name); the orders relation may be dropped while its segment table stays:
-- then the refresh reports it.
CREATE TABLE custseg.segment_tables (
	segment_table regclass PRIMARY KEY,	-- the view that readers read
	storage		regclass NOT NULL UNIQUE,	-- the table the refresh writes
	log			regclass NOT NULL,		-- keys of changed customers
	orders		regclass NOT NULL,
	customer_column name NOT NULL,
	time_column name NOT NULL,
	time_type	regtype NOT NULL,
	time_sql	text NOT NULL,			-- expressions over orders o, as in the segment view
	amount_sql	text NOT NULL,
	as_of_sql	text NOT NULL,
	bins		integer,				-- recomputed thresholds; NULL when frozen
	method		text,
	-- the last refresh: its as_of in local time, the TimeZone it ran in,
	-- the thresholds it scored with, and when it ran
	as_of_local timestamp,
	time_zone	text,
	thresholds	custseg.rfm_thresholds,
	refreshed_at timestamptz
);

COMMENT ON TABLE custseg.segment_tables IS
	'Segment tables of custseg.create_segment_table and the state of their last refresh';

-- The registry is part of every segment table: pg_dump keeps every row.
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_tables', '');

-- Everyone may read (the view of a segment table reads its row with its
-- owner's privileges; the row holds no customer data); the owner of a
-- segment table writes its row.
ALTER TABLE custseg.segment_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY segment_tables_read ON custseg.segment_tables FOR SELECT USING (true);
CREATE POLICY segment_tables_write ON custseg.segment_tables FOR ALL
	USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
								   WHERE c.oid = segment_table), 'USAGE'));
GRANT SELECT, INSERT, UPDATE, DELETE ON custseg.segment_tables TO PUBLIC;

-- The function of the capture triggers (src/capture.c): per statement,
-- one row of the keys it changed, or of a TRUNCATE, into the log named by
-- its first argument; the second names the customer column.
CREATE FUNCTION custseg.segment_table_capture()
RETURNS trigger
AS 'MODULE_PATHNAME', 'segment_table_capture'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- The registry row of a segment table, or 42809 when the relation is not
-- one (42P01 when it does not exist).
CREATE FUNCTION custseg.segment_table_row(segment_table regclass)
RETURNS custseg.segment_tables
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found_row custseg.segment_tables;
BEGIN
	PERFORM custseg.relation_name(segment_table);
	SELECT * INTO found_row FROM custseg.segment_tables t WHERE t.segment_table = $1;
	IF NOT FOUND THEN
		RAISE EXCEPTION '% is not a segment table', $1
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'Create one with custseg.create_segment_table; segment views are refreshed with REFRESH MATERIALIZED VIEW.';
	END IF;
	RETURN found_row;
END
$$;

-- A segment table: the view NAME over NAME_store, kept by
-- custseg.refresh_segment_table from the keys that the capture triggers
-- write to NAME_log.  The arguments are those of
-- custseg.create_segment_view, checked by custseg.segment_definition; the
-- orders must be a table or partitioned table (triggers capture the
-- changes) with an index led by the customer column (a refresh reads a
-- changed customer's orders through it).  Built at once; CREATE TRIGGER
-- keeps writers of the orders waiting until the creating transaction ends,
-- so no order is missed between the build and the capture.
CREATE FUNCTION custseg.create_segment_table(
	table_name text,
	orders regclass,
	customer_column name,
	time_column name,
	amount_column name,
	as_of timestamptz DEFAULT NULL,
	as_of_unit text DEFAULT NULL,
	thresholds custseg.rfm_thresholds DEFAULT NULL,
	bins integer DEFAULT NULL,
	method text DEFAULT NULL,
	map text DEFAULT 'rfm',
	purchase_model record DEFAULT NULL,
	spend_model custseg.gammagamma DEFAULT NULL,
	clv_horizon interval DEFAULT '1 year',
	annual_discount_rate float8 DEFAULT 0.1,
	margin float8 DEFAULT 1,
	default_schema name DEFAULT pg_catalog.current_schema())
RETURNS regclass
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1
AS $$
DECLARE
	d jsonb;
	schema_name text;
	base text;
	store_name text;
	log_name text;
	store_sql text;
	log_sql text;
	key_type text;
	time_type text;
	candidate text;
	key_attnum smallint;
	created regclass;
	op text;
BEGIN
	d := custseg.segment_definition('table', table_name, orders, customer_column, time_column,
		amount_column, as_of, as_of_unit, thresholds, bins, method, map, purchase_model,
		spend_model, clv_horizon, annual_discount_rate, margin, default_schema);
	IF d ->> 'orders_kind' NOT IN ('r', 'p') THEN
		RAISE EXCEPTION '% is not a table', orders
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'A segment table captures changes with triggers on a table or partitioned table; for a view or a foreign table, use custseg.create_segment_view.';
	END IF;
	IF customer_column = 'pending' THEN
		RAISE EXCEPTION 'customer column "%" has the name of a column of the segment table''s storage', customer_column
			USING ERRCODE = 'duplicate_column',
				  HINT = 'Rename it in the orders table, or use custseg.create_segment_view over a view that renames it.';
	END IF;
	SELECT a.attnum INTO key_attnum FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = orders AND a.attname = customer_column;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_index i
				   WHERE i.indrelid = orders AND i.indkey[0] = key_attnum AND i.indpred IS NULL) THEN
		RAISE EXCEPTION '% has no index on column "%"', orders, customer_column
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('A refresh reads the orders of each changed customer through an index: CREATE INDEX ON %s (%I) first.',
								orders, customer_column);
	END IF;

	schema_name := d ->> 'schema';
	base := d ->> 'name';
	store_name := base || '_store';
	log_name := base || '_log';
	FOREACH candidate IN ARRAY ARRAY[store_name, log_name] LOOP
		IF pg_catalog.octet_length(candidate) > 63 THEN
			RAISE EXCEPTION 'table name "%" is too long for its storage name "%"', base, candidate
				USING ERRCODE = 'name_too_long',
					  HINT = 'The names of a segment table''s parts add _store and _log to it: keep it within 57 bytes.';
		END IF;
		IF EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = schema_name AND c.relname = candidate) THEN
			RAISE EXCEPTION 'relation "%.%" already exists', schema_name, candidate
				USING ERRCODE = 'duplicate_table',
					  HINT = format('A segment table %s needs the names %s and %s: choose another name.',
									base, store_name, log_name);
		END IF;
	END LOOP;
	store_sql := format('%I.%I', schema_name, store_name);
	log_sql := format('%I.%I', schema_name, log_name);
	key_type := d ->> 'key_type';
	time_type := d ->> 'time_type';

	-- The storage: the summary fields that do not depend on as_of; pending
	-- is the earliest order after the as_of of the customer's last
	-- computation (an order a later as_of takes in).  Room on every page
	-- for the new version of a row a refresh rewrites (a HOT update).
	EXECUTE format($sql$
		CREATE TABLE %s (
			%I %s PRIMARY KEY,
			first_order timestamp,
			last_order timestamp,
			orders bigint,
			purchase_days bigint,
			revenue double precision,
			avg_order_value double precision,
			repeat_purchases bigint,
			active_days double precision,
			repeat_spend double precision,
			pending %s
		) WITH (fillfactor = 90)$sql$, store_sql, customer_column, key_type, time_type);
	EXECUTE format('CREATE INDEX ON %s (pending) WHERE pending IS NOT NULL', store_sql);

	-- The log: one row per statement that changed orders, with the keys it
	-- touched, or a TRUNCATE.  Whoever may write to the orders may add to
	-- it (the triggers run as the writer); nobody else.
	EXECUTE format('CREATE TABLE %s (keys %s[], truncated boolean NOT NULL DEFAULT false)',
				   log_sql, key_type);
	EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', log_sql);
	EXECUTE format($sql$CREATE POLICY capture ON %s FOR INSERT
		WITH CHECK (pg_catalog.has_table_privilege(%s::oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))$sql$,
		log_sql, orders::oid);
	EXECUTE format('GRANT INSERT ON %s TO PUBLIC', log_sql);

	FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION custseg.segment_table_capture(%L, %L)',
			format('custseg_%s_%s', log_sql::regclass::oid, op), op, orders,
			CASE op WHEN 'insert' THEN 'REFERENCING NEW TABLE AS custseg_new'
					WHEN 'update' THEN 'REFERENCING OLD TABLE AS custseg_old NEW TABLE AS custseg_new'
					WHEN 'delete' THEN 'REFERENCING OLD TABLE AS custseg_old'
					ELSE '' END,
			log_sql, customer_column);
	END LOOP;

	-- The view: the segment view's columns, computed from the storage as of
	-- the last refresh.  The laterals (OFFSET 0: not flattened) compute the
	-- summary and the scores once per row; a condition on the key still
	-- reaches the storage's primary key.
	EXECUTE format($sql$
		CREATE VIEW %1$I.%2$I AS
		SELECT st.%3$I, %4$s(k.score).r, (k.score).f, (k.score).m, (k.score).cell,
			   custseg.segment(k.score, %5$L) AS segment%6$s
		FROM %7$s AS st
		CROSS JOIN custseg.segment_tables AS t
		CROSS JOIN LATERAL (
			SELECT x.s, custseg.rfm_score(t.thresholds, x.s) AS score
			FROM (SELECT ROW(st.first_order, st.last_order, st.orders, st.purchase_days,
							 st.revenue, st.avg_order_value,
							 custseg.summary_days(t.as_of_local, st.last_order),
							 st.repeat_purchases, st.active_days,
							 custseg.summary_days(t.as_of_local, pg_catalog.date_trunc('day', st.first_order)),
							 st.repeat_spend)::custseg.customer_summary AS s
				  OFFSET 0) AS x
			OFFSET 0) AS k
		WHERE t.storage = %8$L::regclass AND st.orders IS NOT NULL$sql$,
		schema_name, base, customer_column, d ->> 'fields_sql', map, d ->> 'clv_sql',
		store_sql, store_sql);
	created := format('%I.%I', schema_name, base)::regclass;

	INSERT INTO custseg.segment_tables (segment_table, storage, log, orders,
		customer_column, time_column, time_type, time_sql, amount_sql, as_of_sql, bins, method,
		thresholds)
	VALUES (created, store_sql::regclass, log_sql::regclass, orders,
		customer_column, time_column, time_type::regtype, d ->> 'time_sql', d ->> 'amount_sql',
		d ->> 'as_of_sql',
		CASE WHEN thresholds IS NULL THEN (d ->> 'bins')::integer END,
		CASE WHEN thresholds IS NULL THEN d ->> 'method' END,
		thresholds);

	EXECUTE format('COMMENT ON VIEW %s IS %L', created,
		'custseg segment table of ' || (d ->> 'description'));
	EXECUTE format('COMMENT ON TABLE %s IS %L', store_sql::regclass,
		format('custseg storage of segment table %s', created));
	EXECUTE format('COMMENT ON TABLE %s IS %L', log_sql::regclass,
		format('custseg log of the customers of %s changed since the last refresh of %s', orders, created));

	PERFORM custseg.refresh_segment_table(created);
	RETURN created;
END
$$;

-- Bring a segment table up to date as of now (or its fixed as_of): re-read
-- the orders of the customers in the log and of those with an order that
-- the new as_of takes in, or of everyone after a TRUNCATE of the orders, a
-- change of TimeZone (timestamptz orders), an as_of earlier than the last
-- one, or when the log names more keys than a quarter of the customers; recompute the thresholds when they are not frozen.  Returns the
-- number of customers whose orders were read.  One statement of the
-- caller's transaction: a failure leaves storage and log as they were.
CREATE FUNCTION custseg.refresh_segment_table(segment_table regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
-- Compiling the refresh's statements would take longer than running them
-- on the few customers they usually read.
SET jit = off
AS $$
DECLARE
	t custseg.segment_tables;
	orders_sql text;
	as_of_sql text;
	new_as_of timestamp;
	full_rebuild boolean;
	store_columns text := 'first_order, last_order, orders, purchase_days, revenue, avg_order_value, repeat_purchases, active_days, repeat_spend';
	summary_sql text;
	read_count bigint;
BEGIN
	IF segment_table IS NULL THEN
		RAISE EXCEPTION 'segment_table of custseg.refresh_segment_table must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the segment table to refresh.';
	END IF;
	t := custseg.segment_table_row(segment_table);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = segment_table), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of segment table %', segment_table
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a segment table refreshes it; the owner may schedule it with custseg.schedule_refresh.';
	END IF;
	IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
		RAISE EXCEPTION 'custseg.refresh_segment_table needs isolation level read committed, not %',
			pg_catalog.current_setting('transaction_isolation')
			USING ERRCODE = 'active_sql_transaction',
				  HINT = 'A refresh must see the orders committed up to each of its statements: run it in a READ COMMITTED transaction (the default).';
	END IF;
	-- One refresh at a time: the registry row is locked until the end of
	-- the transaction; readers never wait for it.
	BEGIN
		PERFORM FROM custseg.segment_tables r WHERE r.segment_table = $1 FOR UPDATE NOWAIT;
	EXCEPTION WHEN lock_not_available THEN
		RAISE EXCEPTION 'segment table % is being refreshed by another transaction', segment_table
			USING ERRCODE = 'lock_not_available',
				  HINT = 'Wait for that refresh to end: it leaves the table up to date as of its start.';
	END;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = t.orders) THEN
		RAISE EXCEPTION 'the orders of segment table % were dropped', segment_table
			USING ERRCODE = 'undefined_table',
				  HINT = 'Drop the segment table with custseg.drop_segment_table and create it again over the new orders.';
	END IF;
	orders_sql := custseg.relation_name(t.orders);
	-- No TRUNCATE of the orders until the refresh ends (it would take the
	-- lock of every reader of the orders anyway): a TRUNCATE is seen either
	-- before the refresh or after it, never half-way.
	EXECUTE format('LOCK TABLE %s IN ACCESS SHARE MODE', orders_sql);

	as_of_sql := t.as_of_sql;
	EXECUTE format('SELECT (%s)::timestamp', as_of_sql) INTO new_as_of;
	EXECUTE format('SELECT EXISTS (SELECT FROM %s l WHERE l.truncated)', t.log) INTO full_rebuild;
	full_rebuild := full_rebuild OR t.as_of_local IS NULL OR new_as_of < t.as_of_local
		OR (t.time_type = 'timestamptz'::regtype
			AND t.time_zone IS DISTINCT FROM pg_catalog.current_setting('TimeZone'));
	-- When the log names more keys than a quarter of the customers (a large
	-- COPY, say), one pass over all orders is faster than a lookup per
	-- customer; the result is the same.
	IF NOT full_rebuild THEN
		EXECUTE format('SELECT coalesce(pg_catalog.sum(pg_catalog.cardinality(l.keys)), 0) > %s FROM %s l',
					   greatest((SELECT c.reltuples FROM pg_catalog.pg_class c WHERE c.oid = t.storage), 0)::bigint / 4 + 1000,
					   t.log)
		INTO full_rebuild;
	END IF;

	summary_sql := format('custseg.summarize(%s, %s, %s) AS s, pg_catalog.min(o.%I) FILTER (WHERE o.%I > %s) AS pending',
						  t.time_sql, t.amount_sql, as_of_sql, t.time_column, t.time_column, as_of_sql);
	IF full_rebuild THEN
		-- The log first: every change it held is in the orders read next.
		EXECUTE format('DELETE FROM %s', t.log);
		EXECUTE format('DELETE FROM %s', t.storage);
		EXECUTE format($sql$
			INSERT INTO %1$s (%2$I, %3$s, pending)
			SELECT f.%2$I, (f.s).first_order, (f.s).last_order, (f.s).orders, (f.s).purchase_days,
				   (f.s).revenue, (f.s).avg_order_value, (f.s).repeat_purchases, (f.s).active_days,
				   (f.s).repeat_spend, f.pending
			FROM (SELECT o.%2$I, %4$s FROM %5$s AS o WHERE o.%2$I IS NOT NULL GROUP BY o.%2$I) AS f
			WHERE (f.s).orders IS NOT NULL OR f.pending IS NOT NULL$sql$,
			t.storage, t.customer_column, store_columns, summary_sql, orders_sql);
		GET DIAGNOSTICS read_count = ROW_COUNT;
	ELSE
		-- One statement, one snapshot: the log rows it deletes are those of
		-- committed changes, whose orders it reads; rows of transactions
		-- that commit later stay for the next refresh.
		EXECUTE format($sql$
			WITH consumed AS (
				DELETE FROM %1$s l WHERE NOT l.truncated RETURNING l.keys
			), changed AS (
				SELECT k.key FROM consumed c CROSS JOIN LATERAL pg_catalog.unnest(c.keys) AS k(key)
				UNION
				SELECT st.%3$I FROM %2$s st WHERE st.pending <= %4$s
			), fresh AS (
				SELECT c.key, f.s, f.pending
				FROM changed c
				CROSS JOIN LATERAL (SELECT %5$s FROM %6$s AS o WHERE o.%3$I = c.key) AS f
			), removed AS (
				DELETE FROM %2$s st USING fresh f
				WHERE st.%3$I = f.key AND (f.s).orders IS NULL AND f.pending IS NULL
				RETURNING 1
			), written AS (
				INSERT INTO %2$s AS st (%3$I, %7$s, pending)
				SELECT f.key, (f.s).first_order, (f.s).last_order, (f.s).orders, (f.s).purchase_days,
					   (f.s).revenue, (f.s).avg_order_value, (f.s).repeat_purchases, (f.s).active_days,
					   (f.s).repeat_spend, f.pending
				FROM fresh f
				WHERE (f.s).orders IS NOT NULL OR f.pending IS NOT NULL
				ON CONFLICT (%3$I) DO UPDATE SET
					first_order = excluded.first_order, last_order = excluded.last_order,
					orders = excluded.orders, purchase_days = excluded.purchase_days,
					revenue = excluded.revenue, avg_order_value = excluded.avg_order_value,
					repeat_purchases = excluded.repeat_purchases, active_days = excluded.active_days,
					repeat_spend = excluded.repeat_spend, pending = excluded.pending
				RETURNING 1
			)
			SELECT pg_catalog.count(*) FROM fresh$sql$,
			t.log, t.storage, t.customer_column, as_of_sql, summary_sql, orders_sql, store_columns)
		INTO read_count;
	END IF;

	-- Recomputed thresholds: from every customer as of the new as_of, as
	-- the segment view's window function computes them.
	IF t.bins IS NOT NULL THEN
		EXECUTE format($sql$
			SELECT custseg.rfm_thresholds(custseg.summary_days($1, st.last_order),
										  st.orders::double precision, st.revenue, $2, $3)
			FROM %s st WHERE st.orders IS NOT NULL$sql$, t.storage)
		INTO t.thresholds USING new_as_of, t.bins, t.method;
	END IF;
	UPDATE custseg.segment_tables r
	SET as_of_local = new_as_of, time_zone = pg_catalog.current_setting('TimeZone'),
		thresholds = t.thresholds, refreshed_at = pg_catalog.now()
	WHERE r.segment_table = $1;
	RETURN read_count;
END
$$;

-- Drop a segment table: its view, storage, log, the capture triggers on
-- the orders, and its registry row.  Its segment history stays
-- (prune it first with custseg.prune_segment_history to remove it).
CREATE FUNCTION custseg.drop_segment_table(segment_table regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t custseg.segment_tables;
	trig record;
BEGIN
	IF segment_table IS NULL THEN
		RAISE EXCEPTION 'segment_table of custseg.drop_segment_table must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the segment table to drop.';
	END IF;
	t := custseg.segment_table_row(segment_table);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = segment_table), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of segment table %', segment_table
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a segment table drops it.';
	END IF;
	FOR trig IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_catalog.pg_trigger g
				WHERE g.tgfoid = 'custseg.segment_table_capture()'::pg_catalog.regprocedure
				  AND g.tgnargs = 2
				  AND pg_catalog.to_regclass(pg_catalog.split_part(pg_catalog.encode(g.tgargs, 'escape'), '\000', 1)) = t.log LOOP
		EXECUTE format('DROP TRIGGER %I ON %s', trig.tgname, trig.rel);
	END LOOP;
	DELETE FROM custseg.segment_tables r WHERE r.segment_table = $1;
	EXECUTE format('DROP VIEW %s', segment_table);
	EXECUTE format('DROP TABLE %s, %s', t.log, t.storage);
END
$$;
