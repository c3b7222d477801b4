
-- Segment views, scheduled refreshes, segment history, segment reports and
-- cohort retention: docs/views.md
--
-- PL/pgSQL, because these functions run DDL and queries on the caller's own
-- tables.  All are SECURITY INVOKER: the caller owns what they create and
-- reads only what they may read.  pg_cron is optional: it is reached only
-- through dynamic SQL inside custseg.schedule_refresh and
-- custseg.unschedule_refresh, so the extension installs and works without it.
-- Every identifier that reaches dynamic SQL goes through format('%I') and
-- every value through format('%L') or a parameter.  Every function runs
-- with search_path = pg_catalog, pg_temp: no function or operator of the
-- caller's schemas (e.g. an exact-match >= (numeric, integer) in a schema
-- others may write to) is picked up by the code here or by the views and
-- queries it writes, and relations are named schema-qualified.  The
-- caller's current schema reaches create_segment_view as the default of
-- its last argument, which is evaluated before the function's own setting.

-- The base type of a column of a relation, for the functions that read a
-- table of orders.  Domains are resolved to their base type.
CREATE FUNCTION custseg.orders_column(orders regclass, column_name name)
RETURNS regtype
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	column_type oid;
	columns text;
BEGIN
	SELECT a.atttypid INTO column_type
	FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = orders AND a.attname = column_name
	  AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
		INTO columns
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = orders AND a.attnum > 0 AND NOT a.attisdropped;
		RAISE EXCEPTION 'column "%" of relation % does not exist', column_name, orders
			USING ERRCODE = 'undefined_column',
				  HINT = format('Its columns are: %s.', coalesce(columns, 'none'));
	END IF;
	-- A domain's base type, through domains over domains.
	WHILE (SELECT t.typtype FROM pg_catalog.pg_type t WHERE t.oid = column_type) = 'd' LOOP
		SELECT t.typbasetype INTO column_type FROM pg_catalog.pg_type t WHERE t.oid = column_type;
	END LOOP;
	RETURN column_type::regtype;
END
$$;

-- The quoted schema.name of a relation (the form segment history and job
-- names keep), or 42P01 with dropped_hint when the relation was dropped.
CREATE FUNCTION custseg.relation_name(rel regclass,
	dropped_hint text DEFAULT 'The relation was dropped.')
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	name text;
BEGIN
	SELECT format('%I.%I', n.nspname, c.relname) INTO name
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', rel::oid
			USING ERRCODE = 'undefined_table', HINT = dropped_hint;
	END IF;
	RETURN name;
END
$$;

-- 55000 when pg_cron is not installed in this database, with a hint on how
-- to install it.
CREATE FUNCTION custseg.require_pg_cron()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Add pg_cron to shared_preload_libraries, set cron.database_name to this database (it is %s now), restart the server and run CREATE EXTENSION pg_cron here.',
								coalesce('"' || pg_catalog.current_setting('cron.database_name', true) || '"', 'not set'));
	END IF;
END
$$;

-- The customer key of a segment view: the column of a unique index on one
-- plain column, without WHERE clause, valid and not deferrable.  Checks that
-- the relation is a populated materialized view with columns segment and
-- cell, as the segment history needs.
CREATE FUNCTION custseg.segment_view_key(view regclass)
RETURNS name
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel record;
	key name;
BEGIN
	SELECT c.relkind, c.relispopulated INTO rel
	FROM pg_catalog.pg_class c WHERE c.oid = view;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', view::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	-- A segment table (sql/parts/tables.sql): its key is in its registry row.
	SELECT t.customer_column INTO key FROM custseg.segment_tables t WHERE t.segment_table = view;
	IF FOUND THEN
		PERFORM custseg.orders_column(view, 'segment');
		PERFORM custseg.orders_column(view, 'cell');
		RETURN key;
	END IF;
	IF rel.relkind IS DISTINCT FROM 'm' THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'Segment history and reports read a segment view: create one with custseg.create_segment_view.';
	END IF;
	IF NOT rel.relispopulated THEN
		RAISE EXCEPTION 'materialized view % has not been populated', view
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Run REFRESH MATERIALIZED VIEW %s first.', view);
	END IF;
	SELECT a.attname INTO key
	FROM pg_catalog.pg_index i
	JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
	WHERE i.indrelid = view AND i.indisunique AND i.indisvalid AND i.indimmediate
	  AND i.indnatts = 1 AND i.indkey[0] > 0 AND i.indpred IS NULL
	ORDER BY i.indexrelid
	LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'materialized view % has no unique index on one customer column', view
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Create one, e.g. CREATE UNIQUE INDEX ON %s (customer_id), with no WHERE clause.', view);
	END IF;
	PERFORM custseg.orders_column(view, 'segment');
	PERFORM custseg.orders_column(view, 'cell');
	RETURN key;
END
$$;

-- The checked parts of a segment view or table (kind 'view' or 'table'),
-- shared by custseg.create_segment_view and custseg.create_segment_table:
-- every argument checked with the errors documented for those functions,
-- and the pieces of the generated queries as a jsonb object: schema and
-- name of the new relation, the orders relation (quoted), the types of
-- key and time, the expressions of time, amount and as_of over orders o,
-- bins and method (recomputed thresholds), the summary fields read from
-- k.s, the CLV columns over k.s (empty without models) and a description
-- for the relation's comment.  Creates nothing.
CREATE FUNCTION custseg.segment_definition(
	kind text,
	relation_name text,
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
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- Floats written into the generated query (models, rate, margin) read back
-- exactly, whatever the caller's setting.
SET extra_float_digits = 1
AS $$
DECLARE
	caller text := 'custseg.create_segment_' || kind;
	parts text[];
	view_schema text;
	view_rel text;
	orders_kind "char";
	key_type regtype;
	time_type regtype;
	amount_type regtype;
	time_sql text;
	amount_sql text;
	as_of_sql text;
	score_bins integer;
	summary_fields text[] := ARRAY['first_order', 'last_order', 'orders', 'purchase_days',
		'revenue', 'avg_order_value', 'recency_days', 'repeat_purchases', 'active_days',
		'age_days', 'repeat_spend'];
	field text;
	fields_sql text := '';
	-- Purchase model types custseg.<name>: each has a field converged and
	-- custseg.expected_purchases(model, interval, x, t_x, t),
	-- custseg.p_alive(model, x, t_x, t) and custseg.clv(model, gammagamma, ...).
	clv_models text[] := ARRAY['bgnbd', 'mbgnbd', 'paretonbd'];
	model_type text;
	model_sql text;
	spend_sql text;
	clv_sql text := '';
	view_columns text[];
	with_clv boolean;
BEGIN
	IF kind IS NULL OR kind NOT IN ('view', 'table') THEN
		RAISE EXCEPTION 'unknown kind of segment relation "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass ''view'' or ''table''.';
	END IF;
	IF num_nulls(relation_name, orders, customer_column, time_column, amount_column, map) > 0 THEN
		RAISE EXCEPTION '% of % must not be NULL',
			CASE WHEN relation_name IS NULL THEN kind || '_name' WHEN orders IS NULL THEN 'orders'
				 WHEN customer_column IS NULL THEN 'customer_column'
				 WHEN time_column IS NULL THEN 'time_column'
				 WHEN amount_column IS NULL THEN 'amount_column' ELSE 'map' END, caller
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Only as_of, as_of_unit, thresholds, bins, method, purchase_model and spend_model may be NULL.';
	END IF;

	-- CLV models: both or neither; the purchase model of a known family;
	-- neither from a fit that did not converge.  Parameters, horizon,
	-- discount rate and margin are checked below by custseg.clv itself.
	-- (num_nulls, not IS NULL: a model with NULL fields is a model, to be
	-- rejected by custseg.clv, not an absent one.)
	with_clv := num_nulls(purchase_model, spend_model) < 2;
	IF NOT with_clv THEN
		IF clv_horizon IS DISTINCT FROM interval '1 year' OR annual_discount_rate IS DISTINCT FROM 0.1
		   OR margin IS DISTINCT FROM 1 THEN
			RAISE EXCEPTION 'clv_horizon, annual_discount_rate and margin need purchase_model and spend_model'
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Pass a purchase model (e.g. from custseg.bgnbd_fit) and a spend model (custseg.gammagamma) to add CLV columns.';
		END IF;
	ELSE
		IF num_nulls(purchase_model, spend_model) > 0 THEN
			RAISE EXCEPTION '% of % must not be NULL when % is given',
				CASE WHEN num_nulls(purchase_model) > 0 THEN 'purchase_model' ELSE 'spend_model' END, caller,
				CASE WHEN num_nulls(purchase_model) > 0 THEN 'spend_model' ELSE 'purchase_model' END
				USING ERRCODE = 'null_value_not_allowed',
					  HINT = 'CLV needs both models: a purchase model (e.g. from custseg.bgnbd_fit or custseg.mbgnbd_fit) and a spend model (custseg.gammagamma).';
		END IF;
		SELECT t.typname INTO model_type
		FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
		WHERE t.oid = pg_catalog.pg_typeof(purchase_model) AND n.nspname = 'custseg'
		  AND t.typname = ANY (clv_models);
		IF NOT FOUND THEN
			RAISE EXCEPTION 'purchase_model has type %, not a purchase model', pg_catalog.pg_typeof(purchase_model)
				USING ERRCODE = 'datatype_mismatch',
					  HINT = format('Pass a model of type %s, e.g. the result of custseg.bgnbd_fit; cast a row: ROW(...)::custseg.bgnbd.',
									(SELECT pg_catalog.string_agg('custseg.' || m, ' or ') FROM pg_catalog.unnest(clv_models) AS m));
		END IF;
		IF purchase_model.converged IS FALSE OR spend_model.converged IS FALSE THEN
			RAISE EXCEPTION '% did not converge', CASE WHEN purchase_model.converged IS FALSE
													   THEN 'purchase_model' ELSE 'spend_model' END
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Its parameters are the best point the fit found, not a maximum of the likelihood: refit with more customers who made repeat purchases.';
		END IF;
		IF num_nulls(clv_horizon, annual_discount_rate, margin) > 0 THEN
			RAISE EXCEPTION '% of % must not be NULL',
				CASE WHEN clv_horizon IS NULL THEN 'clv_horizon'
					 WHEN annual_discount_rate IS NULL THEN 'annual_discount_rate' ELSE 'margin' END, caller
				USING ERRCODE = 'null_value_not_allowed',
					  HINT = 'Leave them out for the defaults: a horizon of 1 year, a discount rate of 0.1 a year and a margin of 1.';
		END IF;
		model_sql := format('%L::custseg.%I', purchase_model, model_type);
		spend_sql := format('%L::custseg.gammagamma', spend_model);
		-- Checks every parameter, the horizon, the rate and the margin.
		EXECUTE format('SELECT custseg.clv(%s, %s, 0, 0, 0, 0, $1, $2, $3)', model_sql, spend_sql)
			USING clv_horizon, annual_discount_rate, margin;
		clv_sql := format($sql$,
			   custseg.expected_purchases(%1$s, %3$L::interval, (k.s).repeat_purchases,
										  (k.s).active_days, (k.s).age_days) AS expected_purchases,
			   custseg.p_alive(%1$s, (k.s).repeat_purchases, (k.s).active_days,
							   (k.s).age_days) AS p_alive,
			   custseg.clv(%1$s, %2$s, (k.s).repeat_purchases, (k.s).active_days,
						   (k.s).age_days, greatest((k.s).repeat_spend, 0), %3$L::interval,
						   %4$L::float8, %5$L::float8) AS clv$sql$,
			model_sql, spend_sql, clv_horizon, annual_discount_rate, margin);
	END IF;

	-- The relation's name: "name" or "schema.name", quoted as in SQL.
	parts := pg_catalog.parse_ident(relation_name);
	IF pg_catalog.array_length(parts, 1) > 2 THEN
		RAISE EXCEPTION 'improper % name "%"', kind, relation_name
			USING ERRCODE = 'invalid_name',
				  HINT = format('Give a %s name, optionally qualified by a schema: name or schema.name.', kind);
	END IF;
	view_rel := parts[pg_catalog.array_length(parts, 1)];
	view_schema := CASE WHEN pg_catalog.array_length(parts, 1) = 2 THEN parts[1]
						ELSE default_schema END;
	IF view_schema IS NULL THEN
		RAISE EXCEPTION 'no schema has been selected to create in'
			USING ERRCODE = 'invalid_schema_name',
				  HINT = format('Qualify the %s name with a schema, or set search_path.', kind);
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = view_schema) THEN
		RAISE EXCEPTION 'schema "%" does not exist', view_schema
			USING ERRCODE = 'invalid_schema_name',
				  HINT = format('Create the schema first, or qualify the %s name with another one.', kind);
	END IF;
	IF pg_catalog.octet_length(view_rel) > 63 THEN
		RAISE EXCEPTION '% name "%" is too long', kind, view_rel
			USING ERRCODE = 'name_too_long',
				  HINT = 'PostgreSQL names have at most 63 bytes.';
	END IF;
	IF EXISTS (SELECT FROM pg_catalog.pg_class c
			   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			   WHERE n.nspname = view_schema AND c.relname = view_rel) THEN
		RAISE EXCEPTION 'relation "%.%" already exists', view_schema, view_rel
			USING ERRCODE = 'duplicate_table',
				  HINT = format('Drop it first or choose another name: %s never replaces a relation.', caller);
	END IF;

	-- The orders and their columns.
	SELECT c.relkind INTO orders_kind FROM pg_catalog.pg_class c WHERE c.oid = orders;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', orders::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	IF orders_kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
		RAISE EXCEPTION '% is not a table, view, materialized view or foreign table', orders
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'Pass the relation that holds one row per order.';
	END IF;
	view_columns := summary_fields || ARRAY['r', 'f', 'm', 'cell', 'segment'];
	IF with_clv THEN
		view_columns := view_columns || ARRAY['expected_purchases', 'p_alive', 'clv'];
	END IF;
	IF customer_column = ANY (view_columns) THEN
		RAISE EXCEPTION 'customer column "%" has the name of a column of the segment %', customer_column, kind
			USING ERRCODE = 'duplicate_column',
				  HINT = 'Rename it in a view over the orders, e.g. SELECT orders AS customer_id, ....';
	END IF;
	key_type := custseg.orders_column(orders, customer_column);
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_opclass oc
				   JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod
				   WHERE am.amname = 'btree' AND oc.opcdefault
					 AND (oc.opcintype = key_type
						  OR oc.opcintype IN (SELECT castt.casttarget FROM pg_catalog.pg_cast castt
											  WHERE castt.castsource = key_type AND castt.castmethod = 'b')
						  OR (oc.opcintype = 'anyenum'::regtype
							  AND (SELECT typtype FROM pg_catalog.pg_type WHERE oid = key_type) = 'e'))) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be a unique key', customer_column, orders, key_type
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Use a customer key with a default btree operator class: bigint, integer, text or uuid, for example.';
	END IF;
	time_type := custseg.orders_column(orders, time_column);
	IF time_type NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, not a date or time', time_column, orders, time_type
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Use a date, timestamp or timestamptz column, or a view that casts the order time to one of them.';
	END IF;
	amount_type := custseg.orders_column(orders, amount_column);
	IF amount_type NOT IN ('numeric'::regtype, 'double precision'::regtype, 'real'::regtype,
						   'integer'::regtype, 'bigint'::regtype, 'smallint'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, not a number', amount_column, orders, amount_type
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Use a numeric, double precision, integer or bigint column, or a view that casts the amount to numeric.';
	END IF;
	time_sql := format('o.%I::%s', time_column, time_type);
	amount_sql := format('o.%I::%s', amount_column,
		CASE amount_type WHEN 'real'::regtype THEN 'double precision'::regtype
						 WHEN 'smallint'::regtype THEN 'integer'::regtype
						 ELSE amount_type END);

	-- as_of: fixed, converted to the column's type now, or the time of each
	-- refresh.
	IF as_of_unit IS NOT NULL AND (as_of IS NOT NULL OR as_of_unit NOT IN ('minute', 'hour', 'day')
									OR time_type = 'date'::regtype) THEN
		RAISE EXCEPTION 'as_of_unit "%" cannot be used here', as_of_unit
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'as_of_unit is ''minute'', ''hour'' or ''day'', for a timestamp or timestamptz column and without a fixed as_of.';
	END IF;
	IF as_of IS NULL AND as_of_unit IS NOT NULL THEN
		as_of_sql := format('(date_trunc(%L, %s) + interval %L)', as_of_unit,
							CASE time_type WHEN 'timestamp'::regtype THEN 'LOCALTIMESTAMP' ELSE 'now()' END,
							'1 ' || as_of_unit);
	ELSIF as_of IS NULL THEN
		as_of_sql := CASE time_type WHEN 'date'::regtype THEN 'CURRENT_DATE'
									WHEN 'timestamp'::regtype THEN 'LOCALTIMESTAMP'
									ELSE 'now()' END;
	ELSE
		as_of_sql := CASE time_type WHEN 'date'::regtype THEN format('%L::date', as_of::date)
									WHEN 'timestamp'::regtype THEN format('%L::timestamp', as_of::timestamp)
									ELSE format('%L::timestamptz', as_of) END;
	END IF;

	-- Scores: against frozen thresholds, or against thresholds recomputed
	-- from all customers at each refresh.  The options are checked now by
	-- the functions that will use them, with their own errors.
	IF thresholds IS NOT NULL THEN
		IF bins IS NOT NULL OR method IS NOT NULL THEN
			RAISE EXCEPTION 'bins and method cannot be given with thresholds'
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Frozen thresholds carry their own bins and method: pass either thresholds, or bins and method to recompute the thresholds at each refresh.';
		END IF;
		score_bins := ((thresholds::text)::jsonb ->> 'bins')::integer;
	ELSE
		bins := coalesce(bins, 5);
		method := coalesce(method, 'quantile');
		PERFORM custseg.rfm_thresholds(1.0, 1.0, 1.0, bins, method);
		score_bins := bins;
	END IF;
	PERFORM custseg.segment(score_bins, score_bins, score_bins, map);

	FOREACH field IN ARRAY summary_fields LOOP
		fields_sql := fields_sql || format('(k.s).%I, ', field);
	END LOOP;
	RETURN pg_catalog.jsonb_build_object(
		'schema', view_schema,
		'name', view_rel,
		'orders', format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class c
									JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
									WHERE c.oid = orders),
						 (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = orders)),
		'orders_kind', orders_kind,
		'key_type', key_type::text,
		'time_type', time_type::text,
		'time_sql', time_sql,
		'amount_sql', amount_sql,
		'as_of_sql', as_of_sql,
		'bins', bins,
		'method', method,
		'fields_sql', fields_sql,
		'clv_sql', clv_sql,
		'description', format('%s by %I: as of %s, %s, map %s%s',
			   orders, customer_column,
			   coalesce(as_of::text, 'each refresh' || coalesce(format(' (end of its %s)', as_of_unit), '')),
			   CASE WHEN thresholds IS NULL
					THEN format('thresholds recomputed at each refresh (%s bins, %s)', bins, method)
					ELSE format('frozen thresholds %s', thresholds) END,
			   map,
			   CASE WHEN with_clv
					THEN format(', CLV over %s at %s a year, margin %s, from custseg.%s %s and custseg.gammagamma %s',
								clv_horizon, annual_discount_rate, margin, model_type, purchase_model, spend_model)
					ELSE '' END));
END
$$;

-- A materialized view of one row per customer: key, the fields of
-- custseg.customer_summary, the R, F and M scores, the cell and the segment,
-- with the unique index on the key that REFRESH ... CONCURRENTLY needs.
-- as_of NULL: the summary describes the moment of each refresh (now(),
-- LOCALTIMESTAMP or CURRENT_DATE, after the type of the time column), or
-- with as_of_unit the end of the refresh's minute, hour or day: then a
-- customer's row changes only when their orders do or the unit ends, and a
-- concurrent refresh rewrites only those rows.
-- thresholds NULL: recomputed from all customers at each refresh (bins,
-- method); otherwise frozen.
-- purchase_model and spend_model: with both, the columns expected_purchases,
-- p_alive and clv over clv_horizon, from the models frozen into the view's
-- query as typed literals.  purchase_model is a record so that calls without
-- models keep resolving to this one function (typed overloads with the
-- models as required arguments would make positional calls with untyped
-- literals ambiguous); its type is checked against clv_models below, the
-- model types that have custseg.expected_purchases, custseg.p_alive and
-- custseg.clv.
CREATE FUNCTION custseg.create_segment_view(
	view_name text,
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
-- Floats written into the view's query (models, rate, margin) read back
-- exactly, whatever the caller's setting.
SET extra_float_digits = 1
AS $$
DECLARE
	d jsonb;
	score_sql text;
	distributed boolean := false;
	created regclass;
BEGIN
	d := custseg.segment_definition('view', view_name, orders, customer_column, time_column,
		amount_column, as_of, as_of_unit, thresholds, bins, method, map, purchase_model,
		spend_model, clv_horizon, annual_discount_rate, margin, default_schema);
	IF thresholds IS NOT NULL THEN
		score_sql := format('custseg.rfm_score(%L::custseg.rfm_thresholds, c.s)', thresholds);
	ELSE
		score_sql := format('custseg.rfm_score(c.s, %s, %L) OVER ()', d ->> 'bins', d ->> 'method');
		-- On a table distributed by Citus, the window would ship every
		-- summary to the coordinator: score against the thresholds of a
		-- subquery instead, whose aggregate runs on the workers (the same
		-- scores, docs/rfm.md; docs/citus.md).
		IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
			EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
									WHERE logicalrelid = $1 AND partmethod OPERATOR(pg_catalog.<>) ''n'')'
				INTO distributed USING orders;
		END IF;
		IF distributed THEN
			score_sql := format($sql$custseg.rfm_score((
				SELECT custseg.rfm_thresholds(t.s, %s, %L)
				FROM (SELECT custseg.summarize(%s, %s, %s) AS s
					  FROM %s AS o WHERE o.%I IS NOT NULL GROUP BY o.%I) AS t), c.s)$sql$,
				d ->> 'bins', d ->> 'method', d ->> 'time_sql', d ->> 'amount_sql', d ->> 'as_of_sql',
				d ->> 'orders', customer_column, customer_column);
		END IF;
	END IF;
	EXECUTE format($sql$
		CREATE MATERIALIZED VIEW %I.%I AS
		SELECT k.%I, %s(k.score).r, (k.score).f, (k.score).m, (k.score).cell,
			   custseg.segment(k.score, %L) AS segment%s
		FROM (SELECT c.%I, c.s, %s AS score
			  FROM (SELECT o.%I, custseg.summarize(%s, %s, %s) AS s
					FROM %s AS o
					WHERE o.%I IS NOT NULL
					GROUP BY o.%I) AS c
			  WHERE (c.s).orders IS NOT NULL) AS k$sql$,
		d ->> 'schema', d ->> 'name', customer_column, d ->> 'fields_sql', map, d ->> 'clv_sql',
		customer_column, score_sql,
		customer_column, d ->> 'time_sql', d ->> 'amount_sql', d ->> 'as_of_sql',
		d ->> 'orders', customer_column, customer_column);
	created := format('%I.%I', d ->> 'schema', d ->> 'name')::regclass;
	EXECUTE format('CREATE UNIQUE INDEX ON %s (%I)', created, customer_column);
	EXECUTE format('COMMENT ON MATERIALIZED VIEW %s IS %L', created,
		'custseg segment view of ' || (d ->> 'description'));
	RETURN created;
END
$$;

-- pg_cron jobs.  The job of a view is named after the view's schema and
-- name, which survive dump and restore (an oid would not), so scheduling a
-- view again replaces its job.
CREATE FUNCTION custseg.schedule_refresh(view regclass, schedule text,
	concurrently boolean DEFAULT true, snapshot boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	fields text[];
	field text;
	items text[];
	item text;
	parts text[];
	i integer;
	lo integer;
	hi integer;
	lows integer[] := ARRAY[0, 0, 1, 1, 0];
	highs integer[] := ARRAY[59, 23, 31, 12, 7];
	field_names text[] := ARRAY['minute', 'hour', 'day of month', 'month', 'day of week'];
	names text[];
	rel record;
	view_sql text;
	job_name text;
	command text;
	job_id bigint;
	problem text;
	is_table boolean;
	refresh_concurrently ALIAS FOR $3;	-- CONCURRENTLY is a keyword
BEGIN
	IF num_nulls(view, schedule, refresh_concurrently, snapshot) > 0 THEN
		RAISE EXCEPTION '% of custseg.schedule_refresh must not be NULL',
			CASE WHEN view IS NULL THEN 'view' WHEN schedule IS NULL THEN 'schedule'
				 WHEN refresh_concurrently IS NULL THEN 'concurrently' ELSE 'snapshot' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a materialized view, a cron schedule such as ''0 2 * * *'', and true or false.';
	END IF;

	-- The schedule: five cron fields, a macro, or 'N seconds' (pg_cron 1.5+).
	fields := pg_catalog.regexp_split_to_array(pg_catalog.btrim(schedule), '\s+');
	IF pg_catalog.btrim(schedule) ~ '^@' THEN
		IF pg_catalog.lower(pg_catalog.btrim(schedule)) !~ '^@(yearly|annually|monthly|weekly|daily|midnight|hourly|reboot)$' THEN
			problem := 'unknown macro';
		END IF;
	ELSIF pg_catalog.btrim(schedule) ~ '^[0-9]{1,9} seconds?$' THEN
		IF fields[1]::integer NOT BETWEEN 1 AND 59 THEN
			problem := 'an interval must be 1 to 59 seconds';
		END IF;
	ELSIF pg_catalog.array_length(fields, 1) IS DISTINCT FROM 5 THEN
		problem := CASE WHEN pg_catalog.btrim(schedule) = '' THEN 'no fields'
						WHEN pg_catalog.array_length(fields, 1) = 1 THEN '1 field instead of 5'
						ELSE format('%s fields instead of 5', pg_catalog.array_length(fields, 1)) END;
	ELSE
		<<fields_loop>>
		FOR i IN 1 .. 5 LOOP
			field := pg_catalog.lower(fields[i]);
			names := CASE i WHEN 4 THEN ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun',
											   'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
							WHEN 5 THEN ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
							ELSE ARRAY[]::text[] END;
			items := pg_catalog.string_to_array(field, ',');
			FOREACH item IN ARRAY items LOOP
				parts := pg_catalog.regexp_match(item, '^(\*|([0-9]+|[a-z]{3})(-([0-9]+|[a-z]{3}))?)(/([0-9]+))?$');
				IF parts IS NULL THEN
					problem := format('the %s field "%s" is not a value, range, list or step', field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
				IF parts[6] IS NOT NULL AND parts[6]::integer NOT BETWEEN 1 AND highs[i] THEN
					problem := format('the step in the %s field "%s" is out of range', field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
				CONTINUE WHEN parts[1] = '*';
				lo := CASE WHEN parts[2] ~ '^[0-9]+$' THEN pg_catalog.left(parts[2], 9)::integer
						   ELSE pg_catalog.array_position(names, parts[2]) - 1 + lows[i] END;
				hi := CASE WHEN parts[4] IS NULL THEN lo
						   WHEN parts[4] ~ '^[0-9]+$' THEN pg_catalog.left(parts[4], 9)::integer
						   ELSE pg_catalog.array_position(names, parts[4]) - 1 + lows[i] END;
				IF lo IS NULL OR hi IS NULL OR lo NOT BETWEEN lows[i] AND highs[i]
				   OR hi NOT BETWEEN lows[i] AND highs[i] OR lo > hi THEN
					problem := format('the %s field "%s" is outside %s to %s', field_names[i], fields[i], lows[i], highs[i]);
					EXIT fields_loop;
				END IF;
			END LOOP;
		END LOOP;
	END IF;
	IF problem IS NOT NULL THEN
		RAISE EXCEPTION 'invalid cron schedule "%": %', schedule, problem
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give five fields (minute hour day-of-month month day-of-week), e.g. ''0 2 * * *'' for 02:00 every day, or @hourly, @daily, @weekly, @monthly.';
	END IF;

	-- The view.
	SELECT c.relkind, c.relispopulated, c.relowner, n.nspname, c.relname INTO rel
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = view;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', view::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	is_table := EXISTS (SELECT FROM custseg.segment_tables t WHERE t.segment_table = view);
	IF rel.relkind IS DISTINCT FROM 'm' AND NOT is_table THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'custseg.schedule_refresh refreshes materialized views: create one with custseg.create_segment_view.';
	END IF;
	IF NOT pg_catalog.pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Schedule the refresh as the owner of the view: only the owner may refresh it, and the job runs as the role that scheduled it.';
	END IF;
	-- A segment table's refresh never blocks readers: concurrently does not apply.
	IF refresh_concurrently AND NOT is_table THEN
		IF NOT rel.relispopulated THEN
			RAISE EXCEPTION 'materialized view % has not been populated', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = format('A concurrent refresh needs a populated view: run REFRESH MATERIALIZED VIEW %s once first.', view);
		END IF;
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_index i
					   WHERE i.indrelid = view AND i.indisunique AND i.indisvalid AND i.indimmediate
						 AND i.indpred IS NULL AND i.indexprs IS NULL) THEN
			RAISE EXCEPTION 'materialized view % has no unique index for a concurrent refresh', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = format('Create a unique index on plain columns without WHERE clause, e.g. CREATE UNIQUE INDEX ON %s (customer_id), or pass concurrently => false.', view);
		END IF;
	END IF;
	IF snapshot THEN
		PERFORM custseg.segment_view_key(view);
	END IF;

	-- pg_cron, in this database.
	PERFORM custseg.require_pg_cron();

	view_sql := format('%I.%I', rel.nspname, rel.relname);
	job_name := 'custseg refresh ' || view_sql;
	IF is_table THEN
		command := format('SELECT custseg.refresh_segment_table(%L)', view_sql);
	ELSE
		command := format('REFRESH MATERIALIZED VIEW %s%s', CASE WHEN refresh_concurrently THEN 'CONCURRENTLY ' ELSE '' END, view_sql);
	END IF;
	IF snapshot THEN
		command := command || format('; SELECT custseg.snapshot_segments(%L)', view_sql);
	END IF;
	BEGIN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, schedule, command;
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
		RAISE EXCEPTION 'pg_cron rejected the schedule "%"', schedule
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = problem,
				  HINT = format('pg_cron %s is installed; interval schedules such as ''30 seconds'' need pg_cron 1.5 or later, five-field schedules work with every version.',
								(SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'));
	END;
	RETURN job_id;
END
$$;

-- Remove the refresh job of a view: true when there was one.
CREATE FUNCTION custseg.unschedule_refresh(view regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	job_name text;
	found_job boolean;
BEGIN
	IF view IS NULL THEN
		RAISE EXCEPTION 'view of custseg.unschedule_refresh must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the materialized view whose refresh job should be removed.';
	END IF;
	PERFORM custseg.require_pg_cron();
	job_name := 'custseg refresh ' || custseg.relation_name(view,
		'The relation was dropped; remove its job with cron.unschedule(''custseg refresh schema.view'').');
	EXECUTE 'SELECT EXISTS (SELECT FROM cron.job WHERE jobname = $1 AND username = current_user)'
		INTO found_job USING job_name;
	IF found_job THEN
		EXECUTE 'SELECT cron.unschedule($1)' USING job_name;
	END IF;
	RETURN found_job;
END
$$;

-- Segment history.  One pair of tables for all views: a row per snapshot in
-- custseg.segment_snapshots, a row per customer and snapshot in
-- custseg.segment_history.  A view is named by its schema-qualified,
-- quoted name (stable across dump and restore, unlike its oid); a customer
-- key by its text form, whatever the key's type.  Append-only: nobody may
-- update; the owner of a view writes and prunes its history, whoever may
-- read the view may read its history (row level security).
CREATE TABLE custseg.segment_snapshots (
	view_name	text NOT NULL,		-- format('%I.%I', schema, view)
	snapshot_at	timestamptz NOT NULL,
	customers	bigint NOT NULL,
	PRIMARY KEY (view_name, snapshot_at)
);

CREATE TABLE custseg.segment_history (
	view_name	text NOT NULL,
	snapshot_at	timestamptz NOT NULL,
	customer_key text NOT NULL,		-- the key's text output
	segment		text,
	cell		integer,
	PRIMARY KEY (view_name, snapshot_at, customer_key)
);

COMMENT ON TABLE custseg.segment_snapshots IS
	'Snapshots of segment views taken by custseg.snapshot_segments';
COMMENT ON TABLE custseg.segment_history IS
	'Segment and cell of every customer of a segment view at each snapshot';

-- History is user data: pg_dump keeps every row.
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('custseg.segment_history', '');

ALTER TABLE custseg.segment_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE custseg.segment_history ENABLE ROW LEVEL SECURITY;

CREATE POLICY segment_snapshots_read ON custseg.segment_snapshots FOR SELECT
	USING (pg_catalog.has_table_privilege(pg_catalog.to_regclass(view_name), 'SELECT'));
CREATE POLICY segment_snapshots_write ON custseg.segment_snapshots FOR INSERT
	WITH CHECK (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
										WHERE c.oid = pg_catalog.to_regclass(view_name)), 'USAGE'));
CREATE POLICY segment_snapshots_prune ON custseg.segment_snapshots FOR DELETE
	USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
								   WHERE c.oid = pg_catalog.to_regclass(view_name)), 'USAGE'));
CREATE POLICY segment_history_read ON custseg.segment_history FOR SELECT
	USING (pg_catalog.has_table_privilege(pg_catalog.to_regclass(view_name), 'SELECT'));
CREATE POLICY segment_history_write ON custseg.segment_history FOR INSERT
	WITH CHECK (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
										WHERE c.oid = pg_catalog.to_regclass(view_name)), 'USAGE'));
CREATE POLICY segment_history_prune ON custseg.segment_history FOR DELETE
	USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
								   WHERE c.oid = pg_catalog.to_regclass(view_name)), 'USAGE'));

GRANT SELECT, INSERT, DELETE ON custseg.segment_snapshots, custseg.segment_history TO PUBLIC;

-- Record the segment of every customer of a view now; the number of
-- customers recorded.  Run it right after a refresh (in the same
-- transaction, the snapshot time is the refresh's).
CREATE FUNCTION custseg.snapshot_segments(view regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	key name;
	view_sql text;
	recorded bigint;
BEGIN
	IF view IS NULL THEN
		RAISE EXCEPTION 'view of custseg.snapshot_segments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the segment view whose segments should be recorded.';
	END IF;
	key := custseg.segment_view_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view records its history; the owner may schedule it with custseg.schedule_refresh(view, schedule, snapshot => true).';
	END IF;
	view_sql := custseg.relation_name(view);
	IF EXISTS (SELECT FROM custseg.segment_snapshots s
			   WHERE s.view_name = view_sql AND s.snapshot_at = pg_catalog.now()) THEN
		RAISE EXCEPTION 'a snapshot of % was taken in this transaction already', view
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'A snapshot is taken at the start time of its transaction: take one per transaction.';
	END IF;
	EXECUTE format('INSERT INTO custseg.segment_history (view_name, snapshot_at, customer_key, segment, cell)
					SELECT %L, pg_catalog.now(), v.%I::text, v.segment::text, v.cell::integer
					FROM %s AS v', view_sql, key, view_sql);
	GET DIAGNOSTICS recorded = ROW_COUNT;
	INSERT INTO custseg.segment_snapshots (view_name, snapshot_at, customers)
	VALUES (view_sql, pg_catalog.now(), recorded);
	RETURN recorded;
END
$$;

-- Delete the snapshots of a view older than keep; the number of snapshots
-- deleted.
CREATE FUNCTION custseg.prune_segment_history(view regclass, keep interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	view_sql text;
	pruned bigint;
BEGIN
	IF view IS NULL OR keep IS NULL THEN
		RAISE EXCEPTION '% of custseg.prune_segment_history must not be NULL',
			CASE WHEN view IS NULL THEN 'view' ELSE 'keep' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the view and how long to keep its snapshots, e.g. interval ''13 months''.';
	END IF;
	IF keep < interval '0' THEN
		RAISE EXCEPTION 'keep must not be negative, not %', keep
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give how long snapshots are kept, e.g. interval ''13 months''; interval ''0'' deletes every snapshot taken before this transaction.';
	END IF;
	view_sql := custseg.relation_name(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view prunes its history.';
	END IF;
	DELETE FROM custseg.segment_history h
	WHERE h.view_name = view_sql AND h.snapshot_at < pg_catalog.now() - keep;
	DELETE FROM custseg.segment_snapshots s
	WHERE s.view_name = view_sql AND s.snapshot_at < pg_catalog.now() - keep;
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;

-- How customers moved between two snapshots of a view: the newest snapshot
-- taken at or before from_snapshot, and the newest at or before
-- to_snapshot.  A NULL from_segment counts customers who appeared, a NULL
-- to_segment customers who disappeared.
CREATE FUNCTION custseg.segment_transitions(view regclass,
	from_snapshot timestamptz, to_snapshot timestamptz)
RETURNS TABLE (from_segment text, to_segment text, customers bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	view_sql text;
	from_at timestamptz;
	to_at timestamptz;
BEGIN
	IF num_nulls(view, from_snapshot, to_snapshot) > 0 THEN
		RAISE EXCEPTION '% of custseg.segment_transitions must not be NULL',
			CASE WHEN view IS NULL THEN 'view' WHEN from_snapshot IS NULL THEN 'from_snapshot'
				 ELSE 'to_snapshot' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the view and two times; the newest snapshot at or before each time is used.';
	END IF;
	view_sql := custseg.relation_name(view);
	IF NOT pg_catalog.has_table_privilege(view, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'The history of a view is readable by those who may read the view.';
	END IF;
	SELECT max(s.snapshot_at) INTO from_at FROM custseg.segment_snapshots s
	WHERE s.view_name = view_sql AND s.snapshot_at <= from_snapshot;
	SELECT max(s.snapshot_at) INTO to_at FROM custseg.segment_snapshots s
	WHERE s.view_name = view_sql AND s.snapshot_at <= to_snapshot;
	IF from_at IS NULL OR to_at IS NULL THEN
		RAISE EXCEPTION 'no snapshot of % at or before %', view,
			CASE WHEN from_at IS NULL THEN from_snapshot ELSE to_snapshot END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('The snapshots are listed by SELECT snapshot_at FROM custseg.segment_snapshots WHERE view_name = %L.', view_sql);
	END IF;
	RETURN QUERY
		SELECT a.segment, b.segment, count(*)
		FROM (SELECT h.customer_key, h.segment FROM custseg.segment_history h
			  WHERE h.view_name = view_sql AND h.snapshot_at = from_at) AS a
		FULL JOIN (SELECT h.customer_key, h.segment FROM custseg.segment_history h
				   WHERE h.view_name = view_sql AND h.snapshot_at = to_at) AS b
			ON a.customer_key = b.customer_key
		GROUP BY a.segment, b.segment
		ORDER BY a.segment NULLS FIRST, b.segment NULLS FIRST;
END
$$;

-- Customers and revenue per segment, for sharing: a segment with fewer than
-- min_size customers is not shown.  The small segments are shown together
-- in one row (segment NULL) when they have min_size customers together, and
-- left out otherwise; shares are of the customers and revenue shown, and no
-- total is shown, so a left-out group cannot be recovered by subtraction.
CREATE FUNCTION custseg.segment_report(view regclass, min_size integer DEFAULT 10)
RETURNS TABLE (segment text, segments integer, customers bigint, revenue double precision,
			   customer_share double precision, revenue_share double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind "char";
BEGIN
	IF view IS NULL OR min_size IS NULL THEN
		RAISE EXCEPTION '% of custseg.segment_report must not be NULL',
			CASE WHEN view IS NULL THEN 'view' ELSE 'min_size' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a segment view and the smallest group size that may be shown, e.g. 10.';
	END IF;
	IF min_size < 1 THEN
		RAISE EXCEPTION 'min_size must be at least 1, not %', min_size
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Groups smaller than min_size are suppressed; 10 is a common choice, 1 shows every group.';
	END IF;
	SELECT c.relkind INTO kind FROM pg_catalog.pg_class c WHERE c.oid = view;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', view::oid
			USING ERRCODE = 'undefined_table',
				  HINT = 'The relation was dropped.';
	END IF;
	IF kind IS DISTINCT FROM 'm'
	   AND NOT EXISTS (SELECT FROM custseg.segment_tables t WHERE t.segment_table = view) THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'custseg.segment_report reads a segment view: create one with custseg.create_segment_view.';
	END IF;
	PERFORM custseg.orders_column(view, 'segment');
	PERFORM custseg.orders_column(view, 'revenue');
	RETURN QUERY EXECUTE format($sql$
		WITH grouped AS (
			SELECT v.segment::text AS segment, count(*) AS customers,
				   sum(v.revenue)::double precision AS revenue
			FROM %s AS v
			GROUP BY 1
		),
		shown AS (
			SELECT g.segment, 1 AS segments, g.customers, g.revenue
			FROM grouped g WHERE g.customers >= $1
			UNION ALL
			SELECT NULL, count(*)::integer, sum(g.customers)::bigint, sum(g.revenue)
			FROM grouped g WHERE g.customers < $1
			HAVING sum(g.customers) >= $1
		)
		SELECT s.segment, s.segments, s.customers, s.revenue,
			   s.customers::double precision / sum(s.customers) OVER (),
			   s.revenue / nullif(sum(s.revenue) OVER (), 0)
		FROM shown s
		ORDER BY s.segment IS NULL, s.customers DESC, s.segment$sql$, view)
	USING min_size;
END
$$;

-- Cohorts by the period (month or week) of the first purchase; for each
-- cohort and each period since, the share of its customers who bought in
-- that period.  Periods run to the last period with an order in the table.
CREATE FUNCTION custseg.cohort_retention(orders regclass, customer_column name,
	time_column name, period text DEFAULT 'month', amount_column name DEFAULT NULL)
RETURNS TABLE (cohort date, period_number integer, customers bigint, active bigint,
			   retention double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	time_type regtype;
	amount_type regtype;
	time_sql text;
	filter_sql text := '';
	distance_sql text;
BEGIN
	IF num_nulls(orders, customer_column, time_column, period) > 0 THEN
		RAISE EXCEPTION '% of custseg.cohort_retention must not be NULL',
			CASE WHEN orders IS NULL THEN 'orders' WHEN customer_column IS NULL THEN 'customer_column'
				 WHEN time_column IS NULL THEN 'time_column' ELSE 'period' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the orders relation, its customer and time columns, and ''month'' or ''week''.';
	END IF;
	IF period NOT IN ('month', 'week') THEN
		RAISE EXCEPTION 'unknown cohort period "%"', period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use ''month'' (calendar months) or ''week'' (ISO weeks, starting on Monday).';
	END IF;
	PERFORM custseg.orders_column(orders, customer_column);
	time_type := custseg.orders_column(orders, time_column);
	IF time_type NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, not a date or time', time_column, orders, time_type
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Use a date, timestamp or timestamptz column, or a view that casts the order time to one of them.';
	END IF;
	-- A date is truncated as a timestamp: its own calendar, not the session's time zone.
	time_sql := format('o.%I::%s', time_column,
		CASE time_type WHEN 'date'::regtype THEN 'timestamp'::regtype ELSE time_type END);
	IF amount_column IS NOT NULL THEN
		amount_type := custseg.orders_column(orders, amount_column);
		IF amount_type NOT IN ('numeric'::regtype, 'double precision'::regtype, 'real'::regtype,
							   'integer'::regtype, 'bigint'::regtype, 'smallint'::regtype) THEN
			RAISE EXCEPTION 'column "%" of relation % has type %, not a number', amount_column, orders, amount_type
				USING ERRCODE = 'datatype_mismatch',
					  HINT = 'Use a numeric, double precision, integer or bigint column, or leave amount_column NULL to count every row as a purchase.';
		END IF;
		filter_sql := format(' AND o.%I >= 0', amount_column);
	END IF;
	distance_sql := CASE period
		WHEN 'month' THEN '((extract(year FROM p.period_start) - extract(year FROM f.cohort)) * 12
							+ extract(month FROM p.period_start) - extract(month FROM f.cohort))::integer'
		ELSE '(p.period_start - f.cohort) / 7' END;
	RETURN QUERY EXECUTE format($sql$
		WITH purchase AS (
			SELECT DISTINCT o.%1$I AS customer, date_trunc(%2$L, %3$s)::date AS period_start
			FROM %4$s AS o
			WHERE o.%1$I IS NOT NULL AND o.%5$I IS NOT NULL%6$s
		),
		first AS (
			SELECT p.customer, min(p.period_start) AS cohort
			FROM purchase p GROUP BY p.customer
		),
		activity AS (
			SELECT f.cohort, %7$s AS period_number, count(*) AS active
			FROM purchase p JOIN first f ON f.customer = p.customer
			GROUP BY 1, 2
		),
		size AS (
			SELECT f.cohort, count(*) AS customers FROM first f GROUP BY f.cohort
		)
		SELECT s.cohort, n.period_number, s.customers, coalesce(a.active, 0),
			   coalesce(a.active, 0)::double precision / s.customers
		FROM size s
		CROSS JOIN LATERAL generate_series(0,
			(SELECT %8$s FROM (SELECT max(p.period_start) AS period_start FROM purchase p) AS p,
							  (SELECT s.cohort) AS f)) AS n(period_number)
		LEFT JOIN activity a ON a.cohort = s.cohort AND a.period_number = n.period_number
		ORDER BY 1, 2$sql$,
		customer_column, period, time_sql, orders, time_column, filter_sql,
		distance_sql, distance_sql);
END
$$;
