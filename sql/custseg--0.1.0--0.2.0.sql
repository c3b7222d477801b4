/* custseg--0.1.0--0.2.0.sql: upgrades an installed custseg 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION custseg UPDATE TO '0.2.0'" to load this file. \quit

-- Every change to the extension's SQL objects between 0.1.0 and 0.2.0 is
-- made here as well as in sql/parts/, so that an updated install equals a
-- fresh one (checked by scripts/test, test/upgrade/).

-- RFM: one C function per SQL signature (issue 14, Citus).  0.1.0 bound one
-- C function to the three-float and the summary forms and told them apart by
-- the call's expression, which Citus's worker_partial_agg does not pass.
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	recency float8, frequency float8, monetary float8)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_values' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	recency float8, frequency float8, monetary float8, bins integer)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_values_bins' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	recency float8, frequency float8, monetary float8, bins integer, method text)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_values_bins_method' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	summary custseg.customer_summary)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_summary' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	summary custseg.customer_summary, bins integer)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_summary_bins' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_accum(state custseg.rfm_thresholds_state,
	summary custseg.customer_summary, bins integer, method text)
RETURNS custseg.rfm_thresholds_state
AS 'MODULE_PATHNAME', 'rfm_thresholds_accum_summary_bins_method' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	recency float8, frequency float8, monetary float8)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_values'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_score(thresholds custseg.rfm_thresholds,
	summary custseg.customer_summary)
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_score(recency float8, frequency float8,
	monetary float8, bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window_values'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION custseg.rfm_score(summary custseg.customer_summary,
	bins integer DEFAULT 5, method text DEFAULT 'quantile')
RETURNS custseg.rfm_score
AS 'MODULE_PATHNAME', 'rfm_score_window_summary'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

-- RFM: comparison operators and a btree operator class for custseg.rfm_thresholds
-- (issue 14: count(DISTINCT ...) over thresholds, on Citus and off it).
CREATE FUNCTION custseg.rfm_thresholds_cmp(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_eq(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_ne(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_lt(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_le(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_gt(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION custseg.rfm_thresholds_ge(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR custseg.= (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_eq,
	COMMUTATOR = OPERATOR(custseg.=), NEGATOR = OPERATOR(custseg.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, MERGES
);
CREATE OPERATOR custseg.<> (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_ne,
	COMMUTATOR = OPERATOR(custseg.<>), NEGATOR = OPERATOR(custseg.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR custseg.< (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_lt,
	COMMUTATOR = OPERATOR(custseg.>), NEGATOR = OPERATOR(custseg.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR custseg.<= (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_le,
	COMMUTATOR = OPERATOR(custseg.>=), NEGATOR = OPERATOR(custseg.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR custseg.> (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_gt,
	COMMUTATOR = OPERATOR(custseg.<), NEGATOR = OPERATOR(custseg.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR custseg.>= (
	LEFTARG = custseg.rfm_thresholds, RIGHTARG = custseg.rfm_thresholds,
	FUNCTION = custseg.rfm_thresholds_ge,
	COMMUTATOR = OPERATOR(custseg.<=), NEGATOR = OPERATOR(custseg.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS custseg.rfm_thresholds_ops
DEFAULT FOR TYPE custseg.rfm_thresholds USING btree AS
	OPERATOR 1 custseg.<,
	OPERATOR 2 custseg.<=,
	OPERATOR 3 custseg.=,
	OPERATOR 4 custseg.>=,
	OPERATOR 5 custseg.>,
	FUNCTION 1 custseg.rfm_thresholds_cmp(custseg.rfm_thresholds, custseg.rfm_thresholds);

-- Citus: custseg.sync_segment_rules() copies the user segment maps to every worker (issue 14).
CREATE FUNCTION custseg.sync_segment_rules()
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rules text;
	command text;
	workers integer;
	failed text;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'custseg.sync_segment_rules needs Citus'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Without Citus, custseg.segment_rules of this database is the only copy there is: nothing needs to be copied.';
	END IF;
	-- (Citus is installed: its catalog exists)
	IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition
			   WHERE logicalrelid = 'custseg.segment_rules'::pg_catalog.regclass) THEN
		RAISE EXCEPTION 'custseg.segment_rules is a distributed table'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'custseg.segment() reads custseg.segment_rules on every node as a local table: keep it local and copy it with custseg.sync_segment_rules() (docs/citus.md).';
	END IF;

	-- the rules as they are now, kept so until the copy is sent
	LOCK TABLE custseg.segment_rules IN SHARE MODE;
	SELECT pg_catalog.string_agg(pg_catalog.format('(%L, %s, %L, %s, %s, %s, %s, %s, %s)',
			   r.map, r.priority, r.segment, r.r_min, r.r_max, r.f_min, r.f_max, r.m_min, r.m_max),
			   ', ' ORDER BY r.map, r.priority)
	INTO rules
	FROM custseg.segment_rules r;
	command := 'DELETE FROM custseg.segment_rules';
	IF rules IS NOT NULL THEN
		command := command || '; INSERT INTO custseg.segment_rules VALUES ' || rules;
	END IF;

	-- one multi-statement command per worker: one transaction on each
	EXECUTE $sql$
		SELECT pg_catalog.count(*)::integer,
			   pg_catalog.string_agg(pg_catalog.format('%s:%s: %s', nodename, nodeport, result), '; ')
				   FILTER (WHERE NOT success)
		FROM pg_catalog.run_command_on_workers($1)$sql$
	INTO workers, failed
	USING command;
	IF failed IS NOT NULL THEN
		RAISE EXCEPTION 'could not copy custseg.segment_rules to every worker'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = failed,
				  HINT = 'Install custseg on every worker (CREATE EXTENSION custseg), then call custseg.sync_segment_rules() again: workers that failed kept their old rules.';
	END IF;
	RETURN workers;
END
$$;

-- Segment views: on an orders table distributed by Citus, recomputed thresholds
-- come from an aggregate run on the workers, not from a window over every summary
-- shipped to the coordinator (issue 14).
CREATE OR REPLACE FUNCTION custseg.create_segment_view(
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
	score_sql text;
	score_bins integer;
	distributed boolean := false;
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
	created regclass;
BEGIN
	IF num_nulls(view_name, orders, customer_column, time_column, amount_column, map) > 0 THEN
		RAISE EXCEPTION '% of custseg.create_segment_view must not be NULL',
			CASE WHEN view_name IS NULL THEN 'view_name' WHEN orders IS NULL THEN 'orders'
				 WHEN customer_column IS NULL THEN 'customer_column'
				 WHEN time_column IS NULL THEN 'time_column'
				 WHEN amount_column IS NULL THEN 'amount_column' ELSE 'map' END
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
			RAISE EXCEPTION '% of custseg.create_segment_view must not be NULL when % is given',
				CASE WHEN num_nulls(purchase_model) > 0 THEN 'purchase_model' ELSE 'spend_model' END,
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
			RAISE EXCEPTION '% of custseg.create_segment_view must not be NULL',
				CASE WHEN clv_horizon IS NULL THEN 'clv_horizon'
					 WHEN annual_discount_rate IS NULL THEN 'annual_discount_rate' ELSE 'margin' END
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

	-- The view's name: "name" or "schema.name", quoted as in SQL.
	parts := pg_catalog.parse_ident(view_name);
	IF pg_catalog.array_length(parts, 1) > 2 THEN
		RAISE EXCEPTION 'improper view name "%"', view_name
			USING ERRCODE = 'invalid_name',
				  HINT = 'Give a view name, optionally qualified by a schema: name or schema.name.';
	END IF;
	view_rel := parts[pg_catalog.array_length(parts, 1)];
	view_schema := CASE WHEN pg_catalog.array_length(parts, 1) = 2 THEN parts[1]
						ELSE default_schema END;
	IF view_schema IS NULL THEN
		RAISE EXCEPTION 'no schema has been selected to create in'
			USING ERRCODE = 'invalid_schema_name',
				  HINT = 'Qualify the view name with a schema, or set search_path.';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = view_schema) THEN
		RAISE EXCEPTION 'schema "%" does not exist', view_schema
			USING ERRCODE = 'invalid_schema_name',
				  HINT = 'Create the schema first, or qualify the view name with another one.';
	END IF;
	IF pg_catalog.octet_length(view_rel) > 63 THEN
		RAISE EXCEPTION 'view name "%" is too long', view_rel
			USING ERRCODE = 'name_too_long',
				  HINT = 'PostgreSQL names have at most 63 bytes.';
	END IF;
	IF EXISTS (SELECT FROM pg_catalog.pg_class c
			   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			   WHERE n.nspname = view_schema AND c.relname = view_rel) THEN
		RAISE EXCEPTION 'relation "%.%" already exists', view_schema, view_rel
			USING ERRCODE = 'duplicate_table',
				  HINT = 'Drop it first or choose another name: custseg.create_segment_view never replaces a relation.';
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
		RAISE EXCEPTION 'customer column "%" has the name of a column of the segment view', customer_column
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
		score_sql := format('custseg.rfm_score(%L::custseg.rfm_thresholds, c.s)', thresholds);
	ELSE
		bins := coalesce(bins, 5);
		method := coalesce(method, 'quantile');
		PERFORM custseg.rfm_thresholds(1.0, 1.0, 1.0, bins, method);
		score_bins := bins;
		score_sql := format('custseg.rfm_score(c.s, %s, %L) OVER ()', bins, method);
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
				bins, method, time_sql, amount_sql, as_of_sql,
				format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class c
								  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
								  WHERE c.oid = orders),
					   (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = orders)),
				customer_column, customer_column);
		END IF;
	END IF;
	PERFORM custseg.segment(score_bins, score_bins, score_bins, map);

	FOREACH field IN ARRAY summary_fields LOOP
		fields_sql := fields_sql || format('(k.s).%I, ', field);
	END LOOP;
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
		view_schema, view_rel, customer_column, fields_sql, map, clv_sql,
		customer_column, score_sql,
		customer_column, time_sql, amount_sql, as_of_sql,
		format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class c
						  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
						  WHERE c.oid = orders),
			   (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = orders)),
		customer_column, customer_column);
	created := format('%I.%I', view_schema, view_rel)::regclass;
	EXECUTE format('CREATE UNIQUE INDEX ON %s (%I)', created, customer_column);
	EXECUTE format('COMMENT ON MATERIALIZED VIEW %s IS %L', created,
		format('custseg segment view of %s by %I: as of %s, %s, map %s%s',
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
	RETURN created;
END
$$;
