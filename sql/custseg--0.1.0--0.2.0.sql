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

-- Uplift (issue 12 items 1-5, issue 14): one order-independent state,
-- custseg.uplift_sums, for the plain, stratified and CUPED aggregates;
-- 0.1.0's state type stays readable, with its support functions (for
-- aggregates users built over stored states); planning functions and
-- Holm's adjustment.
DROP AGGREGATE custseg.uplift(boolean, float8);

-- The uplift aggregates (src/uplift.c).
-- State of the three forms of custseg.uplift: per stratum and group, rows,
-- least and greatest values and compensated sums of the outcome (and of the
-- covariate), so that the result does not depend on the order of rows or
-- of combined states.  Exact JSON text form.
CREATE TYPE custseg.uplift_sums;

CREATE FUNCTION custseg.uplift_sums_in(cstring)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_out(custseg.uplift_sums)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE custseg.uplift_sums (
	INPUT = custseg.uplift_sums_in,
	OUTPUT = custseg.uplift_sums_out,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);

-- Not strict: a NULL treated, outcome, stratum or covariate is an error.
CREATE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8,
										  stratum text)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum_stratum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8,
										  covariate float8)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum_covariate' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_combine(custseg.uplift_sums, custseg.uplift_sums)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.uplift_sums_final(custseg.uplift_sums)
RETURNS custseg.uplift
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Treated against control: z-test for 0/1 outcomes, Welch's t-test otherwise.
CREATE AGGREGATE custseg.uplift(treated boolean, outcome float8) (
	SFUNC = custseg.uplift_sums_accum,
	STYPE = custseg.uplift_sums,
	FINALFUNC = custseg.uplift_sums_final,
	COMBINEFUNC = custseg.uplift_sums_combine,
	INITCOND = '{"kind": "plain", "binary": true, "strata": []}',
	PARALLEL = SAFE
);

-- Stratified: per-stratum lifts weighted by stratum size.
CREATE AGGREGATE custseg.uplift(treated boolean, outcome float8, stratum text) (
	SFUNC = custseg.uplift_sums_accum,
	STYPE = custseg.uplift_sums,
	FINALFUNC = custseg.uplift_sums_final,
	COMBINEFUNC = custseg.uplift_sums_combine,
	INITCOND = '{"kind": "stratified", "binary": true, "strata": []}',
	PARALLEL = SAFE
);

-- CUPED: the outcome adjusted by a pre-period covariate.
CREATE AGGREGATE custseg.uplift_cuped(treated boolean, outcome float8, covariate float8) (
	SFUNC = custseg.uplift_sums_accum,
	STYPE = custseg.uplift_sums,
	FINALFUNC = custseg.uplift_sums_final,
	COMBINEFUNC = custseg.uplift_sums_combine,
	INITCOND = '{"kind": "cuped", "binary": true, "strata": []}',
	PARALLEL = SAFE
);

-- Planning (src/power.c).
CREATE FUNCTION custseg.normal_quantile(p float8)
RETURNS float8
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Not strict: a NULL argument is an error.
CREATE FUNCTION custseg.holdout_size(baseline_rate float8, lift float8,
									 holdout_fraction float8 DEFAULT 0.5,
									 alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8,
									 OUT treated_size bigint, OUT control_size bigint)
AS 'MODULE_PATHNAME', 'holdout_size' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.holdout_size_mean(sd float8, lift float8,
										  holdout_fraction float8 DEFAULT 0.5,
										  alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8,
										  OUT treated_size bigint, OUT control_size bigint)
AS 'MODULE_PATHNAME', 'holdout_size_mean' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.detectable_lift(baseline_rate float8, treated_size bigint,
										control_size bigint, alpha float8 DEFAULT 0.05,
										power float8 DEFAULT 0.8)
RETURNS float8
AS 'MODULE_PATHNAME', 'detectable_lift' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.detectable_lift_mean(sd float8, treated_size bigint,
											 control_size bigint, alpha float8 DEFAULT 0.05,
											 power float8 DEFAULT 0.8)
RETURNS float8
AS 'MODULE_PATHNAME', 'detectable_lift_mean' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Holm's adjustment of the p-values of a window partition.
CREATE FUNCTION custseg.holm(p_value float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'holm' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

-- Segment tables (docs/tables.md): custseg.segment_definition, shared by
-- custseg.create_segment_view and custseg.create_segment_table; segment
-- views, history, reports and schedules accept segment tables.
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

CREATE OR REPLACE FUNCTION custseg.segment_view_key(view regclass)
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

CREATE OR REPLACE FUNCTION custseg.schedule_refresh(view regclass, schedule text,
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

CREATE OR REPLACE FUNCTION custseg.segment_report(view regclass, min_size integer DEFAULT 10)
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

-- The days from since to as_of, exactly as custseg.summarize computes
-- recency_days and age_days (the segment tables' view computes them with
-- it when read).
CREATE FUNCTION custseg.summary_days(as_of timestamp, since timestamp)
RETURNS double precision
AS 'MODULE_PATHNAME', 'summary_days'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

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

-- End of segment tables.

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

-- ----------------------------------------------------------------
-- Functions that several of the sections above define: their final
-- definitions, as sql/parts has them.
-- ----------------------------------------------------------------
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


-- Segment history keyed by the view's schema, name and owner (issue 15 §2):
-- new columns view_schema, view_relname and view_owner, a check that
-- view_name is view_schema.view_relname quoted, a primary key with the owner,
-- policies that look the view up without raising, history functions that
-- use the key; custseg.snapshot_segments takes as_of (issue 12 item 14).
-- The 0.1.0 rows are migrated: a view_name that names an existing relation
-- is keyed to it and its current owner (and spelled as it is quoted); the
-- rows of a dropped view keep its schema and name under the owner '' (no
-- role has an empty name): nobody but the superuser and the tables' owner
-- reads or deletes them.  view_name stays, so views and queries over the
-- tables that filter on it keep working.
DROP POLICY segment_snapshots_read ON custseg.segment_snapshots;
DROP POLICY segment_snapshots_write ON custseg.segment_snapshots;
DROP POLICY segment_snapshots_prune ON custseg.segment_snapshots;
DROP POLICY segment_history_read ON custseg.segment_history;
DROP POLICY segment_history_write ON custseg.segment_history;
DROP POLICY segment_history_prune ON custseg.segment_history;
ALTER TABLE custseg.segment_snapshots DROP CONSTRAINT segment_snapshots_pkey,
	ADD COLUMN view_schema name, ADD COLUMN view_relname name, ADD COLUMN view_owner name;
ALTER TABLE custseg.segment_history DROP CONSTRAINT segment_history_pkey,
	ADD COLUMN view_schema name, ADD COLUMN view_relname name, ADD COLUMN view_owner name;

DO $$
DECLARE
	old_name text;
	rel regclass;
	parts text[];
	key_schema name;
	key_relname name;
	key_owner name;
BEGIN
	FOR old_name IN SELECT view_name FROM custseg.segment_snapshots
					UNION SELECT view_name FROM custseg.segment_history LOOP
		BEGIN
			rel := pg_catalog.to_regclass(old_name);
		EXCEPTION WHEN OTHERS THEN
			rel := NULL;
		END;
		IF rel IS NOT NULL THEN
			SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner)
			INTO key_schema, key_relname, key_owner
			FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.oid = rel;
		ELSE
			BEGIN
				parts := pg_catalog.parse_ident(old_name);
			EXCEPTION WHEN OTHERS THEN
				parts := ARRAY[old_name];
			END;
			IF pg_catalog.array_length(parts, 1) = 2 THEN
				key_schema := parts[1];
				key_relname := parts[2];
			ELSE
				key_schema := '';
				key_relname := old_name;
			END IF;
			key_owner := '';
		END IF;
		UPDATE custseg.segment_snapshots
		SET view_name = pg_catalog.quote_ident(key_schema) || '.' || pg_catalog.quote_ident(key_relname),
			view_schema = key_schema, view_relname = key_relname, view_owner = key_owner
		WHERE view_name = old_name AND view_owner IS NULL;
		UPDATE custseg.segment_history
		SET view_name = pg_catalog.quote_ident(key_schema) || '.' || pg_catalog.quote_ident(key_relname),
			view_schema = key_schema, view_relname = key_relname, view_owner = key_owner
		WHERE view_name = old_name AND view_owner IS NULL;
	END LOOP;
END
$$;
-- Two spellings of one view that now read the same: one row each.
DELETE FROM custseg.segment_snapshots a USING custseg.segment_snapshots b
WHERE a.ctid > b.ctid AND a.view_name = b.view_name AND a.view_owner = b.view_owner
  AND a.snapshot_at = b.snapshot_at;
DELETE FROM custseg.segment_history a USING custseg.segment_history b
WHERE a.ctid > b.ctid AND a.view_name = b.view_name AND a.view_owner = b.view_owner
  AND a.snapshot_at = b.snapshot_at AND a.customer_key = b.customer_key;

ALTER TABLE custseg.segment_snapshots
	ALTER COLUMN view_schema SET NOT NULL, ALTER COLUMN view_relname SET NOT NULL,
	ALTER COLUMN view_owner SET NOT NULL,
	ADD PRIMARY KEY (view_name, view_owner, snapshot_at),
	ADD CONSTRAINT segment_snapshots_view_name_check
		CHECK (view_name = pg_catalog.quote_ident(view_schema) || '.' || pg_catalog.quote_ident(view_relname));
ALTER TABLE custseg.segment_history
	ALTER COLUMN view_schema SET NOT NULL, ALTER COLUMN view_relname SET NOT NULL,
	ALTER COLUMN view_owner SET NOT NULL,
	ADD PRIMARY KEY (view_name, view_owner, snapshot_at, customer_key),
	ADD CONSTRAINT segment_history_view_name_check
		CHECK (view_name = pg_catalog.quote_ident(view_schema) || '.' || pg_catalog.quote_ident(view_relname));
DROP FUNCTION custseg.snapshot_segments(regclass);

-- Readable: the relation of that schema and name exists, is owned by the
-- recorded owner, and the current user may SELECT from it.  Writable and
-- deletable: the same relation, and the current user has the privileges of
-- its owner.
CREATE POLICY segment_snapshots_read ON custseg.segment_snapshots FOR SELECT
	USING (EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = segment_snapshots.view_schema
					 AND c.relname = segment_snapshots.view_relname
					 AND pg_catalog.pg_get_userbyid(c.relowner) = segment_snapshots.view_owner
					 AND pg_catalog.has_table_privilege(c.oid, 'SELECT')));
CREATE POLICY segment_snapshots_write ON custseg.segment_snapshots FOR INSERT
	WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
						JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
						WHERE n.nspname = segment_snapshots.view_schema
						  AND c.relname = segment_snapshots.view_relname
						  AND pg_catalog.pg_get_userbyid(c.relowner) = segment_snapshots.view_owner
						  AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY segment_snapshots_prune ON custseg.segment_snapshots FOR DELETE
	USING (EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = segment_snapshots.view_schema
					 AND c.relname = segment_snapshots.view_relname
					 AND pg_catalog.pg_get_userbyid(c.relowner) = segment_snapshots.view_owner
					 AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY segment_history_read ON custseg.segment_history FOR SELECT
	USING (EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = segment_history.view_schema
					 AND c.relname = segment_history.view_relname
					 AND pg_catalog.pg_get_userbyid(c.relowner) = segment_history.view_owner
					 AND pg_catalog.has_table_privilege(c.oid, 'SELECT')));
CREATE POLICY segment_history_write ON custseg.segment_history FOR INSERT
	WITH CHECK (EXISTS (SELECT FROM pg_catalog.pg_class c
						JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
						WHERE n.nspname = segment_history.view_schema
						  AND c.relname = segment_history.view_relname
						  AND pg_catalog.pg_get_userbyid(c.relowner) = segment_history.view_owner
						  AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));
CREATE POLICY segment_history_prune ON custseg.segment_history FOR DELETE
	USING (EXISTS (SELECT FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
				   WHERE n.nspname = segment_history.view_schema
					 AND c.relname = segment_history.view_relname
					 AND pg_catalog.pg_get_userbyid(c.relowner) = segment_history.view_owner
					 AND pg_catalog.pg_has_role(c.relowner, 'USAGE')));

-- The history key of a relation: its quoted schema.name, schema, name and
-- owner's name.
CREATE FUNCTION custseg.history_key(rel regclass,
	OUT view_name text, OUT view_schema name, OUT view_relname name, OUT view_owner name)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
		   n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner)
	INTO view_name, view_schema, view_relname, view_owner
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', rel::oid
			USING ERRCODE = 'undefined_table', HINT = 'The relation was dropped.';
	END IF;
END
$$;


-- Record the segment of every customer of a view; the number of customers
-- recorded.  The snapshot is stamped as_of, or now() when as_of is NULL:
-- run it right after a refresh (in the same transaction, the snapshot time
-- is the refresh's), or pass the as_of of a view created for a past date to
-- back-fill history.
CREATE FUNCTION custseg.snapshot_segments(view regclass, as_of timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	key name;
	hk record;
	stamp timestamptz;
	recorded bigint;
BEGIN
	IF view IS NULL THEN
		RAISE EXCEPTION 'view of custseg.snapshot_segments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the segment view whose segments should be recorded.';
	END IF;
	stamp := coalesce(as_of, pg_catalog.now());
	IF stamp IN ('infinity', '-infinity') THEN
		RAISE EXCEPTION 'as_of must be finite, not %', stamp
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass the time the view describes, e.g. the as_of it was created with, or NULL for now().';
	END IF;
	IF stamp > pg_catalog.now() THEN
		RAISE EXCEPTION 'as_of % is in the future', stamp
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A snapshot records what a view showed at a past time or now: pass an as_of at or before now(), or NULL.';
	END IF;
	key := custseg.segment_view_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view records its history; the owner may schedule it with custseg.schedule_refresh(view, schedule, snapshot => true).';
	END IF;
	hk := custseg.history_key(view);
	IF EXISTS (SELECT FROM custseg.segment_snapshots s
			   WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner
				 AND s.snapshot_at = stamp) THEN
		IF as_of IS NULL THEN
			RAISE EXCEPTION 'a snapshot of % was taken in this transaction already', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'A snapshot is taken at the start time of its transaction: take one per transaction.';
		END IF;
		RAISE EXCEPTION 'a snapshot of % as of % exists already', view, stamp
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Take one snapshot per as_of; custseg.prune_segment_history deletes old ones.';
	END IF;
	EXECUTE format('INSERT INTO custseg.segment_history (view_name, snapshot_at, customer_key, segment,
														 cell, view_schema, view_relname, view_owner)
					SELECT $1, $2, v.%I::text, v.segment::text, v.cell::integer, $3, $4, $5
					FROM %s AS v', key, hk.view_name)
		USING hk.view_name, stamp, hk.view_schema, hk.view_relname, hk.view_owner;
	GET DIAGNOSTICS recorded = ROW_COUNT;
	INSERT INTO custseg.segment_snapshots (view_name, snapshot_at, customers, view_schema,
										   view_relname, view_owner)
	VALUES (hk.view_name, stamp, recorded, hk.view_schema, hk.view_relname, hk.view_owner);
	RETURN recorded;
END
$$;


-- Delete the snapshots of a view older than keep; the number of snapshots
-- deleted.
CREATE OR REPLACE FUNCTION custseg.prune_segment_history(view regclass, keep interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hk record;
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
	hk := custseg.history_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view prunes its history.';
	END IF;
	DELETE FROM custseg.segment_history h
	WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner AND h.snapshot_at < pg_catalog.now() - keep;
	DELETE FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at < pg_catalog.now() - keep;
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;


-- How customers moved between two snapshots of a view: the newest snapshot
-- taken at or before from_snapshot, and the newest at or before
-- to_snapshot.  A NULL from_segment counts customers who appeared, a NULL
-- to_segment customers who disappeared.
CREATE OR REPLACE FUNCTION custseg.segment_transitions(view regclass,
	from_snapshot timestamptz, to_snapshot timestamptz)
RETURNS TABLE (from_segment text, to_segment text, customers bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hk record;
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
	hk := custseg.history_key(view);
	IF NOT pg_catalog.has_table_privilege(view, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'The history of a view is readable by those who may read the view.';
	END IF;
	SELECT max(s.snapshot_at) INTO from_at FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at <= from_snapshot;
	SELECT max(s.snapshot_at) INTO to_at FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at <= to_snapshot;
	IF from_at IS NULL OR to_at IS NULL THEN
		RAISE EXCEPTION 'no snapshot of % at or before %', view,
			CASE WHEN from_at IS NULL THEN from_snapshot ELSE to_snapshot END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('The snapshots are listed by SELECT snapshot_at FROM custseg.segment_snapshots WHERE view_name = %L AND view_owner = %L.',
								hk.view_name, hk.view_owner);
	END IF;
	RETURN QUERY
		SELECT a.segment, b.segment, count(*)
		FROM (SELECT h.customer_key, h.segment FROM custseg.segment_history h
			  WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner
				AND h.snapshot_at = from_at) AS a
		FULL JOIN (SELECT h.customer_key, h.segment FROM custseg.segment_history h
				   WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner
					 AND h.snapshot_at = to_at) AS b
			ON a.customer_key = b.customer_key
		GROUP BY a.segment, b.segment
		ORDER BY a.segment NULLS FIRST, b.segment NULLS FIRST;
END
$$;


-- custseg.schedule_refresh: a schedule checked against pg_cron 1.4's grammar
-- (issue 15 §3), and without pg_cron here, the cron.schedule_in_database
-- statement for pg_cron's database (issue 12 item 13).
-- pg_cron jobs.  The job of a view is named after the view's schema and
-- name, which survive dump and restore (an oid would not), so scheduling a
-- view again replaces its job.
CREATE OR REPLACE FUNCTION custseg.schedule_refresh(view regclass, schedule text,
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
	lo numeric;
	hi numeric;
	trimmed text;
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
	refresh_concurrently ALIAS FOR $3;	-- CONCURRENTLY is a keyword
BEGIN
	IF num_nulls(view, schedule, refresh_concurrently, snapshot) > 0 THEN
		RAISE EXCEPTION '% of custseg.schedule_refresh must not be NULL',
			CASE WHEN view IS NULL THEN 'view' WHEN schedule IS NULL THEN 'schedule'
				 WHEN refresh_concurrently IS NULL THEN 'concurrently' ELSE 'snapshot' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a materialized view, a cron schedule such as ''0 2 * * *'', and true or false.';
	END IF;

	-- The schedule, checked against the grammar of pg_cron 1.4's parser
	-- (Vixie cron's, src/entry.c), so that what passes here pg_cron takes:
	-- five fields separated by spaces or tabs; each a list of items, an
	-- item * or a value or a range (names of months and days only in their
	-- fields, any case), a step only after * or a range; or one of
	-- pg_cron's macros, which it matches in lowercase only; or 'N seconds'
	-- (pg_cron 1.5 and later; older versions reject it below).  Stricter
	-- than pg_cron where it would take a schedule silently wrong: text after
	-- the fifth field or inside a field (pg_cron ignores it), a range that
	-- runs backwards or a step longer than the field (never or once).
	-- Leading and trailing spaces and tabs are allowed, line breaks are not
	-- (pg_cron rejects them between fields).
	trimmed := pg_catalog.regexp_replace(schedule, '^[ \t]+|[ \t]+$', '', 'g');
	IF pg_catalog.octet_length(schedule) >= 1000 THEN
		problem := 'longer than the 999 bytes pg_cron reads';
	ELSIF trimmed = '' THEN
		problem := 'no fields';
	ELSIF trimmed ~ '[\n\r\f\v]' THEN
		problem := 'a line break: separate the fields by spaces or tabs';
	ELSIF trimmed ~ '[^ \t!-~]' THEN
		problem := 'a character that is neither a space, a tab nor printable ASCII';
	ELSIF trimmed ~ '^@' THEN
		IF trimmed !~ '^@(yearly|annually|monthly|weekly|daily|midnight|hourly|reboot|restart)$' THEN
			problem := format('unknown macro "%s" (pg_cron knows @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @reboot and @restart, in lowercase)', trimmed);
		END IF;
	ELSIF trimmed ~* '^[0-9]+ *seconds?$' THEN
		IF pg_catalog.substring(trimmed, '^[0-9]+')::numeric NOT BETWEEN 1 AND 59 THEN
			problem := 'an interval must be 1 to 59 seconds';
		END IF;
	ELSE
		fields := pg_catalog.regexp_split_to_array(trimmed, '[ \t]+');
		IF pg_catalog.array_length(fields, 1) <> 5 THEN
			problem := CASE WHEN pg_catalog.array_length(fields, 1) = 1 THEN '1 field instead of 5'
							ELSE format('%s fields instead of 5', pg_catalog.array_length(fields, 1)) END;
		END IF;
		<<fields_loop>>
		FOR i IN 1 .. CASE WHEN problem IS NULL THEN 5 ELSE 0 END LOOP
			field := pg_catalog.lower(fields[i]);
			names := CASE i WHEN 4 THEN ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun',
											   'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
							WHEN 5 THEN ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
							ELSE ARRAY[]::text[] END;
			items := pg_catalog.string_to_array(field, ',');
			FOREACH item IN ARRAY items LOOP
				-- 1: * or the range, 2: its first value, 4: its last, 6: the step.
				parts := pg_catalog.regexp_match(item, '^(\*|([0-9]+|[a-z]+)(-([0-9]+|[a-z]+))?)(/([0-9]+))?$');
				IF parts IS NULL OR (parts[6] IS NOT NULL AND parts[1] <> '*' AND parts[4] IS NULL) THEN
					problem := format('the %s field "%s" is not a list of values, ranges and steps (a step follows * or a range)',
									  field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
				IF parts[6] IS NOT NULL AND parts[6]::numeric NOT BETWEEN 1 AND highs[i] THEN
					problem := format('the step in the %s field "%s" is outside 1 to %s', field_names[i], fields[i], highs[i]);
					EXIT fields_loop;
				END IF;
				CONTINUE WHEN parts[1] = '*';
				IF (parts[2] !~ '^[0-9]+$' AND NOT parts[2] = ANY (names))
				   OR (parts[4] !~ '^[0-9]+$' AND NOT parts[4] = ANY (names)) THEN
					problem := format('the %s field "%s" has a name that is not %s', field_names[i], fields[i],
									  CASE WHEN i < 4 THEN 'allowed there (only months and days of the week have names)'
										   ELSE 'a three-letter English abbreviation' END);
					EXIT fields_loop;
				END IF;
				lo := CASE WHEN parts[2] ~ '^[0-9]+$' THEN parts[2]::numeric
						   ELSE pg_catalog.array_position(names, parts[2]) - 1 + lows[i] END;
				hi := CASE WHEN parts[4] IS NULL THEN lo
						   WHEN parts[4] ~ '^[0-9]+$' THEN parts[4]::numeric
						   ELSE pg_catalog.array_position(names, parts[4]) - 1 + lows[i] END;
				IF lo NOT BETWEEN lows[i] AND highs[i] OR hi NOT BETWEEN lows[i] AND highs[i] THEN
					problem := format('the %s field "%s" is outside %s to %s', field_names[i], fields[i], lows[i], highs[i]);
					EXIT fields_loop;
				END IF;
				IF lo > hi THEN
					problem := format('the range in the %s field "%s" runs backwards', field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
			END LOOP;
		END LOOP;
	END IF;
	IF problem IS NOT NULL THEN
		RAISE EXCEPTION 'invalid cron schedule "%": %', schedule, problem
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give five fields (minute hour day-of-month month day-of-week) separated by spaces, e.g. ''0 2 * * *'' for 02:00 every day, or @hourly, @daily, @weekly, @monthly.';
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
	IF rel.relkind IS DISTINCT FROM 'm' THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'custseg.schedule_refresh refreshes materialized views: create one with custseg.create_segment_view.';
	END IF;
	IF NOT pg_catalog.pg_has_role(rel.relowner, 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Schedule the refresh as the owner of the view: only the owner may refresh it, and the job runs as the role that scheduled it.';
	END IF;
	IF refresh_concurrently THEN
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

	view_sql := format('%I.%I', rel.nspname, rel.relname);
	command := format('REFRESH MATERIALIZED VIEW %s%s', CASE WHEN refresh_concurrently THEN 'CONCURRENTLY ' ELSE '' END, view_sql);
	IF snapshot THEN
		command := command || format('; SELECT custseg.snapshot_segments(%L)', view_sql);
	END IF;

	-- pg_cron, in this database; or else the statement that schedules the
	-- job from pg_cron's database (cron.schedule_in_database, pg_cron 1.4
	-- and later), under a job name that names this database.
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('pg_cron runs the jobs of every database from its own, cron.database_name (%s).',
								  coalesce('"' || pg_catalog.current_setting('cron.database_name', true) || '"', 'not set: pg_cron is not loaded'))
						   || ' Schedule this refresh there, as the owner of the view: '
						   || format('SELECT cron.schedule_in_database(%L, %L, %L, %L);',
									 format('custseg refresh %s in %s', view_sql, pg_catalog.quote_ident(pg_catalog.current_database())),
									 schedule, command, pg_catalog.current_database()),
				  HINT = 'Run the statement of the detail in pg_cron''s database (pg_cron 1.4 or later), or install pg_cron in this one: add it to shared_preload_libraries, set cron.database_name to this database, restart the server and run CREATE EXTENSION pg_cron here.';
	END IF;

	job_name := 'custseg refresh ' || view_sql;
	BEGIN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, schedule, command;
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
		RAISE EXCEPTION 'pg_cron rejected the schedule "%"', schedule
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = problem,
				  HINT = CASE WHEN trimmed ~* 'second'
							  THEN format('pg_cron %s is installed: interval schedules such as ''30 seconds'' need pg_cron 1.5 or later; five-field schedules work with every version.',
										  (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'))
							  ELSE format('pg_cron %s is installed: check the schedule against its documentation.',
										  (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')) END;
	END;
	RETURN job_id;
END
$$;


-- A score carries its bins, and a user map may declare its bins (issue 12
-- item 6): the built-in maps refuse scores on other bins than 5, a declared
-- map scores on other bins than its own.  Scores and maps of 0.1.0 have
-- NULL bins: undeclared, checked by their scores alone as before.
ALTER TYPE custseg.rfm_score ADD ATTRIBUTE bins integer;
ALTER TABLE custseg.segment_rules ADD COLUMN bins integer;
ALTER TABLE custseg.segment_rules ADD CONSTRAINT segment_rules_bins_check
	CHECK (bins BETWEEN 2 AND 10 AND r_max <= bins AND f_max <= bins AND m_max <= bins);
-- Citus: custseg.segment_rules is a local table on every node, read by
-- custseg.segment() wherever it runs (on the workers, for a distributed
-- table).  This copies the rules of this node (the coordinator) to every
-- worker, in one statement per worker that replaces all of its rules.
CREATE OR REPLACE FUNCTION custseg.sync_segment_rules()
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
	SELECT pg_catalog.string_agg(pg_catalog.format('(%L, %s, %L, %s, %s, %s, %s, %s, %s, %s)',
			   r.map, r.priority, r.segment, r.r_min, r.r_max, r.f_min, r.f_max, r.m_min, r.m_max,
			   coalesce(r.bins::text, 'NULL')),
			   ', ' ORDER BY r.map, r.priority)
	INTO rules
	FROM custseg.segment_rules r;
	command := 'DELETE FROM custseg.segment_rules';
	IF rules IS NOT NULL THEN
		command := command || '; INSERT INTO custseg.segment_rules (map, priority, segment, r_min, r_max, f_min, f_max, m_min, m_max, bins) VALUES ' || rules;
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


-- custseg.create_segment_view: checks that the map labels scores on the
-- view's bins (issue 12 item 6), and warns about a BG/NBD model (item 7).
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
	PERFORM custseg.segment(ROW(1, 1, 1, 111, score_bins)::custseg.rfm_score, map);

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
	-- BG/NBD never lets a customer without repeat purchases churn.
	IF with_clv AND model_type = 'bgnbd' THEN
		RAISE WARNING 'a BG/NBD model gives every customer without repeat purchases p_alive 1'
			USING DETAIL = 'In BG/NBD a customer can drop out only right after a repeat purchase, so one-time buyers stay alive however long ago they bought, and a segment such as Lost shows a mean p_alive of 1.',
				  HINT = 'For segment views, fit an MBG/NBD model (custseg.mbgnbd_fit) or a Pareto/NBD model (custseg.paretonbd_fit) instead.';
	END IF;
	RETURN created;
END
$$;


-- Readable reports (issue 12 item 16): custseg.segment_report rounds revenue
-- to 2 decimals and shares to 4; custseg.describe(thresholds) lists the
-- range of every score.
-- Customers and revenue per segment, for sharing: a segment with fewer than
-- min_size customers is not shown.  The small segments are shown together
-- in one row (segment NULL) when they have min_size customers together, and
-- left out otherwise; shares are of the customers and revenue shown, and no
-- total is shown, so a left-out group cannot be recovered by subtraction.
-- Rounded for reading: revenue to 2 decimals (summed exactly, as numeric),
-- shares to 4; double precision as in 0.1.0 (views over the report keep
-- working), which prints the rounded values as they are.
CREATE OR REPLACE FUNCTION custseg.segment_report(view regclass, min_size integer DEFAULT 10)
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
	IF kind IS DISTINCT FROM 'm' THEN
		RAISE EXCEPTION '% is not a materialized view', view
			USING ERRCODE = 'wrong_object_type',
				  HINT = 'custseg.segment_report reads a segment view: create one with custseg.create_segment_view.';
	END IF;
	PERFORM custseg.orders_column(view, 'segment');
	PERFORM custseg.orders_column(view, 'revenue');
	RETURN QUERY EXECUTE format($sql$
		WITH grouped AS (
			SELECT v.segment::text AS segment, count(*) AS customers,
				   sum(v.revenue::numeric) AS revenue
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
		SELECT s.segment, s.segments, s.customers, round(s.revenue, 2)::double precision,
			   round(s.customers / sum(s.customers) OVER (), 4)::double precision,
			   round(s.revenue / nullif(sum(s.revenue) OVER (), 0), 4)::double precision
		FROM shown s
		ORDER BY s.segment IS NULL, s.customers DESC, s.segment$sql$, view)
	USING min_size;
END
$$;


-- Thresholds for reading: per dimension and score, the range of values that
-- gets the score, the cut points rounded to digits significant digits, or
-- to more where fewer would make two cut points of a dimension look equal
-- (at most 15: 31.759999999999998 reads 31.76).  The type keeps the exact
-- values; the scores use them.
CREATE FUNCTION custseg.describe(thresholds custseg.rfm_thresholds, digits integer DEFAULT 6)
RETURNS TABLE (dimension text, score integer, lower numeric, upper numeric, range text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	doc jsonb;
	name text;
	exact float8[];
	cuts numeric[];
	d integer;
	k integer;
	b integer;
	s integer;
BEGIN
	IF thresholds IS NULL OR digits IS NULL THEN
		RAISE EXCEPTION '% of custseg.describe must not be NULL',
			CASE WHEN thresholds IS NULL THEN 'thresholds' ELSE 'digits' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a custseg.rfm_thresholds value, and the significant digits to show (6 by default).';
	END IF;
	IF digits NOT BETWEEN 1 AND 15 THEN
		RAISE EXCEPTION 'digits must be between 1 and 15, not %', digits
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A double precision value has 15 significant decimal digits; 6 is the default.';
	END IF;
	doc := (thresholds::text)::jsonb;
	FOREACH name IN ARRAY ARRAY['recency', 'frequency', 'monetary'] LOOP
		exact := ARRAY(SELECT (c.cut::text)::float8
					   FROM pg_catalog.jsonb_array_elements(doc -> name) WITH ORDINALITY AS c(cut, i)
					   ORDER BY c.i);
		k := pg_catalog.cardinality(exact);
		-- The fewest digits (from digits on) that keep the cut points apart.
		d := digits;
		LOOP
			cuts := ARRAY(SELECT CASE WHEN x = 0 THEN 0::numeric
									  ELSE pg_catalog.trim_scale(pg_catalog.round(x::numeric,
										  d - 1 - pg_catalog.floor(pg_catalog.log(pg_catalog.abs(x::numeric)))::integer)) END
						  FROM pg_catalog.unnest(exact) WITH ORDINALITY AS u(x, i) ORDER BY u.i);
			EXIT WHEN d >= 15 OR NOT EXISTS (SELECT FROM pg_catalog.generate_series(1, k - 1) AS j
											 WHERE cuts[j] >= cuts[j + 1]);
			d := d + 1;
		END LOOP;
		-- Score s, best first; b: the number of cut points at or below its
		-- values (docs/rfm.md).
		FOR s IN REVERSE k + 1 .. 1 LOOP
			b := CASE WHEN name = 'recency' THEN k + 1 - s ELSE s - 1 END;
			dimension := name;
			score := s;
			lower := cuts[b];
			upper := cuts[b + 1];
			range := CASE WHEN lower IS NULL AND upper IS NULL THEN 'any value'
						  WHEN lower IS NULL THEN format('below %s', upper)
						  WHEN upper IS NULL THEN format('%s or more', lower)
						  ELSE format('%s to below %s', lower, upper) END;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;


-- custseg.cohort_retention: quarter periods (issue 12 item 15).
-- Cohorts by the period (month, quarter or week) of the first purchase; for each
-- cohort and each period since, the share of its customers who bought in
-- that period.  Periods run to the last period with an order in the table.
CREATE OR REPLACE FUNCTION custseg.cohort_retention(orders regclass, customer_column name,
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
				  HINT = 'Pass the orders relation, its customer and time columns, and ''month'', ''quarter'' or ''week''.';
	END IF;
	IF period NOT IN ('month', 'quarter', 'week') THEN
		RAISE EXCEPTION 'unknown cohort period "%"', period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use ''month'' (calendar months), ''quarter'' (calendar quarters) or ''week'' (ISO weeks, starting on Monday).';
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
		WHEN 'quarter' THEN '((extract(year FROM p.period_start) - extract(year FROM f.cohort)) * 4
							  + extract(quarter FROM p.period_start) - extract(quarter FROM f.cohort))::integer'
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

-- Merge of segment history and segment tables: the final definitions (sql/parts) of the functions defined above
-- that other sections define too.
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

CREATE OR REPLACE FUNCTION custseg.describe(thresholds custseg.rfm_thresholds, digits integer DEFAULT 6)
RETURNS TABLE (dimension text, score integer, lower numeric, upper numeric, range text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	doc jsonb;
	name text;
	exact float8[];
	cuts numeric[];
	d integer;
	k integer;
	b integer;
	s integer;
BEGIN
	IF thresholds IS NULL OR digits IS NULL THEN
		RAISE EXCEPTION '% of custseg.describe must not be NULL',
			CASE WHEN thresholds IS NULL THEN 'thresholds' ELSE 'digits' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a custseg.rfm_thresholds value, and the significant digits to show (6 by default).';
	END IF;
	IF digits NOT BETWEEN 1 AND 15 THEN
		RAISE EXCEPTION 'digits must be between 1 and 15, not %', digits
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A double precision value has 15 significant decimal digits; 6 is the default.';
	END IF;
	doc := (thresholds::text)::jsonb;
	FOREACH name IN ARRAY ARRAY['recency', 'frequency', 'monetary'] LOOP
		exact := ARRAY(SELECT (c.cut::text)::float8
					   FROM pg_catalog.jsonb_array_elements(doc -> name) WITH ORDINALITY AS c(cut, i)
					   ORDER BY c.i);
		k := pg_catalog.cardinality(exact);
		-- The fewest digits (from digits on) that keep the cut points apart.
		d := digits;
		LOOP
			cuts := ARRAY(SELECT CASE WHEN x = 0 THEN 0::numeric
									  ELSE pg_catalog.trim_scale(pg_catalog.round(x::numeric,
										  d - 1 - pg_catalog.floor(pg_catalog.log(pg_catalog.abs(x::numeric)))::integer)) END
						  FROM pg_catalog.unnest(exact) WITH ORDINALITY AS u(x, i) ORDER BY u.i);
			EXIT WHEN d >= 15 OR NOT EXISTS (SELECT FROM pg_catalog.generate_series(1, k - 1) AS j
											 WHERE cuts[j] >= cuts[j + 1]);
			d := d + 1;
		END LOOP;
		-- Score s, best first; b: the number of cut points at or below its
		-- values (docs/rfm.md).
		FOR s IN REVERSE k + 1 .. 1 LOOP
			b := CASE WHEN name = 'recency' THEN k + 1 - s ELSE s - 1 END;
			dimension := name;
			score := s;
			lower := cuts[b];
			upper := cuts[b + 1];
			range := CASE WHEN lower IS NULL AND upper IS NULL THEN 'any value'
						  WHEN lower IS NULL THEN format('below %s', upper)
						  WHEN upper IS NULL THEN format('%s or more', lower)
						  ELSE format('%s to below %s', lower, upper) END;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION custseg.history_key(rel regclass,
	OUT view_name text, OUT view_schema name, OUT view_relname name, OUT view_owner name)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
		   n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner)
	INTO view_name, view_schema, view_relname, view_owner
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', rel::oid
			USING ERRCODE = 'undefined_table', HINT = 'The relation was dropped.';
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION custseg.prune_segment_history(view regclass, keep interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hk record;
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
	hk := custseg.history_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view prunes its history.';
	END IF;
	DELETE FROM custseg.segment_history h
	WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner AND h.snapshot_at < pg_catalog.now() - keep;
	DELETE FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at < pg_catalog.now() - keep;
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;

CREATE OR REPLACE FUNCTION custseg.schedule_refresh(view regclass, schedule text,
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
	lo numeric;
	hi numeric;
	trimmed text;
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

	-- The schedule, checked against the grammar of pg_cron 1.4's parser
	-- (Vixie cron's, src/entry.c), so that what passes here pg_cron takes:
	-- five fields separated by spaces or tabs; each a list of items, an
	-- item * or a value or a range (names of months and days only in their
	-- fields, any case), a step only after * or a range; or one of
	-- pg_cron's macros, which it matches in lowercase only; or 'N seconds'
	-- (pg_cron 1.5 and later; older versions reject it below).  Stricter
	-- than pg_cron where it would take a schedule silently wrong: text after
	-- the fifth field or inside a field (pg_cron ignores it), a range that
	-- runs backwards or a step longer than the field (never or once).
	-- Leading and trailing spaces and tabs are allowed, line breaks are not
	-- (pg_cron rejects them between fields).
	trimmed := pg_catalog.regexp_replace(schedule, '^[ \t]+|[ \t]+$', '', 'g');
	IF pg_catalog.octet_length(schedule) >= 1000 THEN
		problem := 'longer than the 999 bytes pg_cron reads';
	ELSIF trimmed = '' THEN
		problem := 'no fields';
	ELSIF trimmed ~ '[\n\r\f\v]' THEN
		problem := 'a line break: separate the fields by spaces or tabs';
	ELSIF trimmed ~ '[^ \t!-~]' THEN
		problem := 'a character that is neither a space, a tab nor printable ASCII';
	ELSIF trimmed ~ '^@' THEN
		IF trimmed !~ '^@(yearly|annually|monthly|weekly|daily|midnight|hourly|reboot|restart)$' THEN
			problem := format('unknown macro "%s" (pg_cron knows @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @reboot and @restart, in lowercase)', trimmed);
		END IF;
	ELSIF trimmed ~* '^[0-9]+ *seconds?$' THEN
		IF pg_catalog.substring(trimmed, '^[0-9]+')::numeric NOT BETWEEN 1 AND 59 THEN
			problem := 'an interval must be 1 to 59 seconds';
		END IF;
	ELSE
		fields := pg_catalog.regexp_split_to_array(trimmed, '[ \t]+');
		IF pg_catalog.array_length(fields, 1) <> 5 THEN
			problem := CASE WHEN pg_catalog.array_length(fields, 1) = 1 THEN '1 field instead of 5'
							ELSE format('%s fields instead of 5', pg_catalog.array_length(fields, 1)) END;
		END IF;
		<<fields_loop>>
		FOR i IN 1 .. CASE WHEN problem IS NULL THEN 5 ELSE 0 END LOOP
			field := pg_catalog.lower(fields[i]);
			names := CASE i WHEN 4 THEN ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun',
											   'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
							WHEN 5 THEN ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
							ELSE ARRAY[]::text[] END;
			items := pg_catalog.string_to_array(field, ',');
			FOREACH item IN ARRAY items LOOP
				-- 1: * or the range, 2: its first value, 4: its last, 6: the step.
				parts := pg_catalog.regexp_match(item, '^(\*|([0-9]+|[a-z]+)(-([0-9]+|[a-z]+))?)(/([0-9]+))?$');
				IF parts IS NULL OR (parts[6] IS NOT NULL AND parts[1] <> '*' AND parts[4] IS NULL) THEN
					problem := format('the %s field "%s" is not a list of values, ranges and steps (a step follows * or a range)',
									  field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
				IF parts[6] IS NOT NULL AND parts[6]::numeric NOT BETWEEN 1 AND highs[i] THEN
					problem := format('the step in the %s field "%s" is outside 1 to %s', field_names[i], fields[i], highs[i]);
					EXIT fields_loop;
				END IF;
				CONTINUE WHEN parts[1] = '*';
				IF (parts[2] !~ '^[0-9]+$' AND NOT parts[2] = ANY (names))
				   OR (parts[4] !~ '^[0-9]+$' AND NOT parts[4] = ANY (names)) THEN
					problem := format('the %s field "%s" has a name that is not %s', field_names[i], fields[i],
									  CASE WHEN i < 4 THEN 'allowed there (only months and days of the week have names)'
										   ELSE 'a three-letter English abbreviation' END);
					EXIT fields_loop;
				END IF;
				lo := CASE WHEN parts[2] ~ '^[0-9]+$' THEN parts[2]::numeric
						   ELSE pg_catalog.array_position(names, parts[2]) - 1 + lows[i] END;
				hi := CASE WHEN parts[4] IS NULL THEN lo
						   WHEN parts[4] ~ '^[0-9]+$' THEN parts[4]::numeric
						   ELSE pg_catalog.array_position(names, parts[4]) - 1 + lows[i] END;
				IF lo NOT BETWEEN lows[i] AND highs[i] OR hi NOT BETWEEN lows[i] AND highs[i] THEN
					problem := format('the %s field "%s" is outside %s to %s', field_names[i], fields[i], lows[i], highs[i]);
					EXIT fields_loop;
				END IF;
				IF lo > hi THEN
					problem := format('the range in the %s field "%s" runs backwards', field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
			END LOOP;
		END LOOP;
	END IF;
	IF problem IS NOT NULL THEN
		RAISE EXCEPTION 'invalid cron schedule "%": %', schedule, problem
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give five fields (minute hour day-of-month month day-of-week) separated by spaces, e.g. ''0 2 * * *'' for 02:00 every day, or @hourly, @daily, @weekly, @monthly.';
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

	view_sql := format('%I.%I', rel.nspname, rel.relname);
	IF is_table THEN
		command := format('SELECT custseg.refresh_segment_table(%L)', view_sql);
	ELSE
		command := format('REFRESH MATERIALIZED VIEW %s%s', CASE WHEN refresh_concurrently THEN 'CONCURRENTLY ' ELSE '' END, view_sql);
	END IF;
	IF snapshot THEN
		command := command || format('; SELECT custseg.snapshot_segments(%L)', view_sql);
	END IF;

	-- pg_cron, in this database; or else the statement that schedules the
	-- job from pg_cron's database (cron.schedule_in_database, pg_cron 1.4
	-- and later), under a job name that names this database.
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('pg_cron runs the jobs of every database from its own, cron.database_name (%s).',
								  coalesce('"' || pg_catalog.current_setting('cron.database_name', true) || '"', 'not set: pg_cron is not loaded'))
						   || ' Schedule this refresh there, as the owner of the view: '
						   || format('SELECT cron.schedule_in_database(%L, %L, %L, %L);',
									 format('custseg refresh %s in %s', view_sql, pg_catalog.quote_ident(pg_catalog.current_database())),
									 schedule, command, pg_catalog.current_database()),
				  HINT = 'Run the statement of the detail in pg_cron''s database (pg_cron 1.4 or later), or install pg_cron in this one: add it to shared_preload_libraries, set cron.database_name to this database, restart the server and run CREATE EXTENSION pg_cron here.';
	END IF;

	job_name := 'custseg refresh ' || view_sql;
	BEGIN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, schedule, command;
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
		RAISE EXCEPTION 'pg_cron rejected the schedule "%"', schedule
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = problem,
				  HINT = CASE WHEN trimmed ~* 'second'
							  THEN format('pg_cron %s is installed: interval schedules such as ''30 seconds'' need pg_cron 1.5 or later; five-field schedules work with every version.',
										  (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'))
							  ELSE format('pg_cron %s is installed: check the schedule against its documentation.',
										  (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')) END;
	END;
	RETURN job_id;
END
$$;

CREATE OR REPLACE FUNCTION custseg.segment_report(view regclass, min_size integer DEFAULT 10)
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
				   sum(v.revenue::numeric) AS revenue
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
		SELECT s.segment, s.segments, s.customers, round(s.revenue, 2)::double precision,
			   round(s.customers / sum(s.customers) OVER (), 4)::double precision,
			   round(s.revenue / nullif(sum(s.revenue) OVER (), 0), 4)::double precision
		FROM shown s
		ORDER BY s.segment IS NULL, s.customers DESC, s.segment$sql$, view)
	USING min_size;
END
$$;

CREATE OR REPLACE FUNCTION custseg.segment_transitions(view regclass,
	from_snapshot timestamptz, to_snapshot timestamptz)
RETURNS TABLE (from_segment text, to_segment text, customers bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hk record;
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
	hk := custseg.history_key(view);
	IF NOT pg_catalog.has_table_privilege(view, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'The history of a view is readable by those who may read the view.';
	END IF;
	SELECT max(s.snapshot_at) INTO from_at FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at <= from_snapshot;
	SELECT max(s.snapshot_at) INTO to_at FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at <= to_snapshot;
	IF from_at IS NULL OR to_at IS NULL THEN
		RAISE EXCEPTION 'no snapshot of % at or before %', view,
			CASE WHEN from_at IS NULL THEN from_snapshot ELSE to_snapshot END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('The snapshots are listed by SELECT snapshot_at FROM custseg.segment_snapshots WHERE view_name = %L AND view_owner = %L.',
								hk.view_name, hk.view_owner);
	END IF;
	RETURN QUERY
		SELECT a.segment, b.segment, count(*)
		FROM (SELECT h.customer_key, h.segment FROM custseg.segment_history h
			  WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner
				AND h.snapshot_at = from_at) AS a
		FULL JOIN (SELECT h.customer_key, h.segment FROM custseg.segment_history h
				   WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner
					 AND h.snapshot_at = to_at) AS b
			ON a.customer_key = b.customer_key
		GROUP BY a.segment, b.segment
		ORDER BY a.segment NULLS FIRST, b.segment NULLS FIRST;
END
$$;

CREATE OR REPLACE FUNCTION custseg.snapshot_segments(view regclass, as_of timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	key name;
	hk record;
	stamp timestamptz;
	recorded bigint;
BEGIN
	IF view IS NULL THEN
		RAISE EXCEPTION 'view of custseg.snapshot_segments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the segment view whose segments should be recorded.';
	END IF;
	stamp := coalesce(as_of, pg_catalog.now());
	IF stamp IN ('infinity', '-infinity') THEN
		RAISE EXCEPTION 'as_of must be finite, not %', stamp
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass the time the view describes, e.g. the as_of it was created with, or NULL for now().';
	END IF;
	IF stamp > pg_catalog.now() THEN
		RAISE EXCEPTION 'as_of % is in the future', stamp
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A snapshot records what a view showed at a past time or now: pass an as_of at or before now(), or NULL.';
	END IF;
	key := custseg.segment_view_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view records its history; the owner may schedule it with custseg.schedule_refresh(view, schedule, snapshot => true).';
	END IF;
	hk := custseg.history_key(view);
	IF EXISTS (SELECT FROM custseg.segment_snapshots s
			   WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner
				 AND s.snapshot_at = stamp) THEN
		IF as_of IS NULL THEN
			RAISE EXCEPTION 'a snapshot of % was taken in this transaction already', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'A snapshot is taken at the start time of its transaction: take one per transaction.';
		END IF;
		RAISE EXCEPTION 'a snapshot of % as of % exists already', view, stamp
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Take one snapshot per as_of; custseg.prune_segment_history deletes old ones.';
	END IF;
	EXECUTE format('INSERT INTO custseg.segment_history (view_name, snapshot_at, customer_key, segment,
														 cell, view_schema, view_relname, view_owner)
					SELECT $1, $2, v.%I::text, v.segment::text, v.cell::integer, $3, $4, $5
					FROM %s AS v', key, hk.view_name)
		USING hk.view_name, stamp, hk.view_schema, hk.view_relname, hk.view_owner;
	GET DIAGNOSTICS recorded = ROW_COUNT;
	INSERT INTO custseg.segment_snapshots (view_name, snapshot_at, customers, view_schema,
										   view_relname, view_owner)
	VALUES (hk.view_name, stamp, recorded, hk.view_schema, hk.view_relname, hk.view_owner);
	RETURN recorded;
END
$$;


-- Merge of segment history checks into segment tables: segment_definition: the definitions of sql/parts as merged.
CREATE OR REPLACE FUNCTION custseg.segment_definition(
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
	PERFORM custseg.segment(ROW(1, 1, 1, 111, score_bins)::custseg.rfm_score, map);
	-- BG/NBD never lets a customer without repeat purchases churn.
	IF with_clv AND model_type = 'bgnbd' THEN
		RAISE WARNING 'a BG/NBD model gives every customer without repeat purchases p_alive 1'
			USING DETAIL = 'In BG/NBD a customer can drop out only right after a repeat purchase, so one-time buyers stay alive however long ago they bought, and a segment such as Lost shows a mean p_alive of 1.',
				  HINT = 'For segment views, fit an MBG/NBD model (custseg.mbgnbd_fit) or a Pareto/NBD model (custseg.paretonbd_fit) instead.';
	END IF;

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



-- summarize: one C entry point per overload (summarize_accum_TIME_AMOUNT)
-- instead of one that read the argument types from the call site, which a
-- caller through fmgr_info (Citus) does not have.  The functions keep their
-- signatures, labels and the aggregates that use them.
-- The planner support function of the transition functions: it answers no
-- request, but calling it while planning loads the library, and with it
-- the fast grouping node (src/fastagg_plan.c), in a new session.
CREATE FUNCTION custseg.summarize_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DO $$
DECLARE
	time_type text;
	amount_type text;
	amount_name text;
BEGIN
	FOREACH time_type IN ARRAY ARRAY['date', 'timestamp', 'timestamptz'] LOOP
		FOREACH amount_type IN ARRAY ARRAY['numeric', 'double precision', 'integer', 'bigint'] LOOP
			amount_name := CASE amount_type WHEN 'double precision' THEN 'float8'
				WHEN 'integer' THEN 'int4' WHEN 'bigint' THEN 'int8' ELSE amount_type END;
			EXECUTE format($sql$
				CREATE OR REPLACE FUNCTION custseg.summarize_accum(internal, %1$s, %2$s, %1$s)
				RETURNS internal
				AS 'MODULE_PATHNAME', %4$L LANGUAGE C %3$s PARALLEL SAFE
				SUPPORT custseg.summarize_support$sql$,
				time_type, amount_type,
				CASE time_type WHEN 'timestamptz' THEN 'STABLE' ELSE 'IMMUTABLE' END,
				'summarize_accum_' || time_type || '_' || amount_name);
		END LOOP;
	END LOOP;
END
$$;

-- x: the final definitions (sql/parts) of the functions defined above
-- that other sections define too.
CREATE OR REPLACE FUNCTION custseg.cohort_retention(orders regclass, customer_column name,
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
				  HINT = 'Pass the orders relation, its customer and time columns, and ''month'', ''quarter'' or ''week''.';
	END IF;
	IF period NOT IN ('month', 'quarter', 'week') THEN
		RAISE EXCEPTION 'unknown cohort period "%"', period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use ''month'' (calendar months), ''quarter'' (calendar quarters) or ''week'' (ISO weeks, starting on Monday).';
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
		WHEN 'quarter' THEN '((extract(year FROM p.period_start) - extract(year FROM f.cohort)) * 4
							  + extract(quarter FROM p.period_start) - extract(quarter FROM f.cohort))::integer'
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

CREATE OR REPLACE FUNCTION custseg.create_segment_table(
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

CREATE OR REPLACE FUNCTION custseg.describe(thresholds custseg.rfm_thresholds, digits integer DEFAULT 6)
RETURNS TABLE (dimension text, score integer, lower numeric, upper numeric, range text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	doc jsonb;
	name text;
	exact float8[];
	cuts numeric[];
	d integer;
	k integer;
	b integer;
	s integer;
BEGIN
	IF thresholds IS NULL OR digits IS NULL THEN
		RAISE EXCEPTION '% of custseg.describe must not be NULL',
			CASE WHEN thresholds IS NULL THEN 'thresholds' ELSE 'digits' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a custseg.rfm_thresholds value, and the significant digits to show (6 by default).';
	END IF;
	IF digits NOT BETWEEN 1 AND 15 THEN
		RAISE EXCEPTION 'digits must be between 1 and 15, not %', digits
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A double precision value has 15 significant decimal digits; 6 is the default.';
	END IF;
	doc := (thresholds::text)::jsonb;
	FOREACH name IN ARRAY ARRAY['recency', 'frequency', 'monetary'] LOOP
		exact := ARRAY(SELECT (c.cut::text)::float8
					   FROM pg_catalog.jsonb_array_elements(doc -> name) WITH ORDINALITY AS c(cut, i)
					   ORDER BY c.i);
		k := pg_catalog.cardinality(exact);
		-- The fewest digits (from digits on) that keep the cut points apart.
		d := digits;
		LOOP
			cuts := ARRAY(SELECT CASE WHEN x = 0 THEN 0::numeric
									  ELSE pg_catalog.trim_scale(pg_catalog.round(x::numeric,
										  d - 1 - pg_catalog.floor(pg_catalog.log(pg_catalog.abs(x::numeric)))::integer)) END
						  FROM pg_catalog.unnest(exact) WITH ORDINALITY AS u(x, i) ORDER BY u.i);
			EXIT WHEN d >= 15 OR NOT EXISTS (SELECT FROM pg_catalog.generate_series(1, k - 1) AS j
											 WHERE cuts[j] >= cuts[j + 1]);
			d := d + 1;
		END LOOP;
		-- Score s, best first; b: the number of cut points at or below its
		-- values (docs/rfm.md).
		FOR s IN REVERSE k + 1 .. 1 LOOP
			b := CASE WHEN name = 'recency' THEN k + 1 - s ELSE s - 1 END;
			dimension := name;
			score := s;
			lower := cuts[b];
			upper := cuts[b + 1];
			range := CASE WHEN lower IS NULL AND upper IS NULL THEN 'any value'
						  WHEN lower IS NULL THEN format('below %s', upper)
						  WHEN upper IS NULL THEN format('%s or more', lower)
						  ELSE format('%s to below %s', lower, upper) END;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION custseg.detectable_lift(baseline_rate float8, treated_size bigint,
										control_size bigint, alpha float8 DEFAULT 0.05,
										power float8 DEFAULT 0.8)
RETURNS float8
AS 'MODULE_PATHNAME', 'detectable_lift' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.detectable_lift_mean(sd float8, treated_size bigint,
											 control_size bigint, alpha float8 DEFAULT 0.05,
											 power float8 DEFAULT 0.8)
RETURNS float8
AS 'MODULE_PATHNAME', 'detectable_lift_mean' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.drop_segment_table(segment_table regclass)
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

CREATE OR REPLACE FUNCTION custseg.fit_bgbb_accum(state custseg.fit_state, x bigint,
	t_x bigint, n bigint)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_bgbb_accum(state custseg.fit_state, x bigint,
	t_x bigint, n bigint, weight bigint)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_bgbb_accum(state custseg.fit_state, x bigint,
	t_x bigint, n bigint, weight bigint, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_bgbb_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_spend_accum(state custseg.fit_state, x bigint,
	mean_spend float8)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_spend_accum(state custseg.fit_state,
	summary custseg.customer_summary)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_spend_accum(state custseg.fit_state, x bigint,
	mean_spend float8, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_spend_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_spend_accum(state custseg.fit_state,
	summary custseg.customer_summary, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_spend_summary_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state, x bigint,
	t_x float8, t float8)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state,
	summary custseg.customer_summary)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state, x bigint,
	t_x float8, t float8, unit interval)
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_xtt_unit_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state, x bigint,
	t_x float8, t float8, unit interval, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_xtt_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.fit_xtt_accum(state custseg.fit_state,
	summary custseg.customer_summary, penalty float8, start_values float8[])
RETURNS custseg.fit_state
AS 'MODULE_PATHNAME', 'fit_xtt_summary_settings_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.history_key(rel regclass,
	OUT view_name text, OUT view_schema name, OUT view_relname name, OUT view_owner name)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
		   n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner)
	INTO view_name, view_schema, view_relname, view_owner
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation with OID % does not exist', rel::oid
			USING ERRCODE = 'undefined_table', HINT = 'The relation was dropped.';
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION custseg.holdout_check(orders regclass, customer_column name,
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

CREATE OR REPLACE FUNCTION custseg.holdout_customers_sql(orders regclass, customer_column name,
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

CREATE OR REPLACE FUNCTION custseg.holdout_period_transactions(orders regclass, customer_column name,
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

CREATE OR REPLACE FUNCTION custseg.holdout_size(baseline_rate float8, lift float8,
									 holdout_fraction float8 DEFAULT 0.5,
									 alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8,
									 OUT treated_size bigint, OUT control_size bigint)
AS 'MODULE_PATHNAME', 'holdout_size' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.holdout_size_mean(sd float8, lift float8,
										  holdout_fraction float8 DEFAULT 0.5,
										  alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8,
										  OUT treated_size bigint, OUT control_size bigint)
AS 'MODULE_PATHNAME', 'holdout_size_mean' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.holdout_tracking(orders regclass, customer_column name,
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

CREATE OR REPLACE FUNCTION custseg.holm(p_value float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'holm' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.horizon(horizon text)
RETURNS interval
AS 'MODULE_PATHNAME', 'fit_horizon_text' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.normal_quantile(p float8)
RETURNS float8
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.prune_segment_history(view regclass, keep interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hk record;
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
	hk := custseg.history_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view prunes its history.';
	END IF;
	DELETE FROM custseg.segment_history h
	WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner AND h.snapshot_at < pg_catalog.now() - keep;
	DELETE FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at < pg_catalog.now() - keep;
	GET DIAGNOSTICS pruned = ROW_COUNT;
	RETURN pruned;
END
$$;

CREATE OR REPLACE FUNCTION custseg.refresh_segment_table(segment_table regclass)
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

CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_cmp(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_eq(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_ge(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_gt(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_le(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_lt(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.rfm_thresholds_ne(custseg.rfm_thresholds, custseg.rfm_thresholds)
RETURNS boolean
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.schedule_refresh(view regclass, schedule text,
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
	lo numeric;
	hi numeric;
	trimmed text;
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

	-- The schedule, checked against the grammar of pg_cron 1.4's parser
	-- (Vixie cron's, src/entry.c), so that what passes here pg_cron takes:
	-- five fields separated by spaces or tabs; each a list of items, an
	-- item * or a value or a range (names of months and days only in their
	-- fields, any case), a step only after * or a range; or one of
	-- pg_cron's macros, which it matches in lowercase only; or 'N seconds'
	-- (pg_cron 1.5 and later; older versions reject it below).  Stricter
	-- than pg_cron where it would take a schedule silently wrong: text after
	-- the fifth field or inside a field (pg_cron ignores it), a range that
	-- runs backwards or a step longer than the field (never or once).
	-- Leading and trailing spaces and tabs are allowed, line breaks are not
	-- (pg_cron rejects them between fields).
	trimmed := pg_catalog.regexp_replace(schedule, '^[ \t]+|[ \t]+$', '', 'g');
	IF pg_catalog.octet_length(schedule) >= 1000 THEN
		problem := 'longer than the 999 bytes pg_cron reads';
	ELSIF trimmed = '' THEN
		problem := 'no fields';
	ELSIF trimmed ~ '[\n\r\f\v]' THEN
		problem := 'a line break: separate the fields by spaces or tabs';
	ELSIF trimmed ~ '[^ \t!-~]' THEN
		problem := 'a character that is neither a space, a tab nor printable ASCII';
	ELSIF trimmed ~ '^@' THEN
		IF trimmed !~ '^@(yearly|annually|monthly|weekly|daily|midnight|hourly|reboot|restart)$' THEN
			problem := format('unknown macro "%s" (pg_cron knows @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @reboot and @restart, in lowercase)', trimmed);
		END IF;
	ELSIF trimmed ~* '^[0-9]+ *seconds?$' THEN
		IF pg_catalog.substring(trimmed, '^[0-9]+')::numeric NOT BETWEEN 1 AND 59 THEN
			problem := 'an interval must be 1 to 59 seconds';
		END IF;
	ELSE
		fields := pg_catalog.regexp_split_to_array(trimmed, '[ \t]+');
		IF pg_catalog.array_length(fields, 1) <> 5 THEN
			problem := CASE WHEN pg_catalog.array_length(fields, 1) = 1 THEN '1 field instead of 5'
							ELSE format('%s fields instead of 5', pg_catalog.array_length(fields, 1)) END;
		END IF;
		<<fields_loop>>
		FOR i IN 1 .. CASE WHEN problem IS NULL THEN 5 ELSE 0 END LOOP
			field := pg_catalog.lower(fields[i]);
			names := CASE i WHEN 4 THEN ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun',
											   'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
							WHEN 5 THEN ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
							ELSE ARRAY[]::text[] END;
			items := pg_catalog.string_to_array(field, ',');
			FOREACH item IN ARRAY items LOOP
				-- 1: * or the range, 2: its first value, 4: its last, 6: the step.
				parts := pg_catalog.regexp_match(item, '^(\*|([0-9]+|[a-z]+)(-([0-9]+|[a-z]+))?)(/([0-9]+))?$');
				IF parts IS NULL OR (parts[6] IS NOT NULL AND parts[1] <> '*' AND parts[4] IS NULL) THEN
					problem := format('the %s field "%s" is not a list of values, ranges and steps (a step follows * or a range)',
									  field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
				IF parts[6] IS NOT NULL AND parts[6]::numeric NOT BETWEEN 1 AND highs[i] THEN
					problem := format('the step in the %s field "%s" is outside 1 to %s', field_names[i], fields[i], highs[i]);
					EXIT fields_loop;
				END IF;
				CONTINUE WHEN parts[1] = '*';
				IF (parts[2] !~ '^[0-9]+$' AND NOT parts[2] = ANY (names))
				   OR (parts[4] !~ '^[0-9]+$' AND NOT parts[4] = ANY (names)) THEN
					problem := format('the %s field "%s" has a name that is not %s', field_names[i], fields[i],
									  CASE WHEN i < 4 THEN 'allowed there (only months and days of the week have names)'
										   ELSE 'a three-letter English abbreviation' END);
					EXIT fields_loop;
				END IF;
				lo := CASE WHEN parts[2] ~ '^[0-9]+$' THEN parts[2]::numeric
						   ELSE pg_catalog.array_position(names, parts[2]) - 1 + lows[i] END;
				hi := CASE WHEN parts[4] IS NULL THEN lo
						   WHEN parts[4] ~ '^[0-9]+$' THEN parts[4]::numeric
						   ELSE pg_catalog.array_position(names, parts[4]) - 1 + lows[i] END;
				IF lo NOT BETWEEN lows[i] AND highs[i] OR hi NOT BETWEEN lows[i] AND highs[i] THEN
					problem := format('the %s field "%s" is outside %s to %s', field_names[i], fields[i], lows[i], highs[i]);
					EXIT fields_loop;
				END IF;
				IF lo > hi THEN
					problem := format('the range in the %s field "%s" runs backwards', field_names[i], fields[i]);
					EXIT fields_loop;
				END IF;
			END LOOP;
		END LOOP;
	END IF;
	IF problem IS NOT NULL THEN
		RAISE EXCEPTION 'invalid cron schedule "%": %', schedule, problem
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give five fields (minute hour day-of-month month day-of-week) separated by spaces, e.g. ''0 2 * * *'' for 02:00 every day, or @hourly, @daily, @weekly, @monthly.';
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

	view_sql := format('%I.%I', rel.nspname, rel.relname);
	IF is_table THEN
		command := format('SELECT custseg.refresh_segment_table(%L)', view_sql);
	ELSE
		command := format('REFRESH MATERIALIZED VIEW %s%s', CASE WHEN refresh_concurrently THEN 'CONCURRENTLY ' ELSE '' END, view_sql);
	END IF;
	IF snapshot THEN
		command := command || format('; SELECT custseg.snapshot_segments(%L)', view_sql);
	END IF;

	-- pg_cron, in this database; or else the statement that schedules the
	-- job from pg_cron's database (cron.schedule_in_database, pg_cron 1.4
	-- and later), under a job name that names this database.
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = format('pg_cron runs the jobs of every database from its own, cron.database_name (%s).',
								  coalesce('"' || pg_catalog.current_setting('cron.database_name', true) || '"', 'not set: pg_cron is not loaded'))
						   || ' Schedule this refresh there, as the owner of the view: '
						   || format('SELECT cron.schedule_in_database(%L, %L, %L, %L);',
									 format('custseg refresh %s in %s', view_sql, pg_catalog.quote_ident(pg_catalog.current_database())),
									 schedule, command, pg_catalog.current_database()),
				  HINT = 'Run the statement of the detail in pg_cron''s database (pg_cron 1.4 or later), or install pg_cron in this one: add it to shared_preload_libraries, set cron.database_name to this database, restart the server and run CREATE EXTENSION pg_cron here.';
	END IF;

	job_name := 'custseg refresh ' || view_sql;
	BEGIN
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, schedule, command;
	EXCEPTION WHEN invalid_parameter_value THEN
		GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
		RAISE EXCEPTION 'pg_cron rejected the schedule "%"', schedule
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = problem,
				  HINT = CASE WHEN trimmed ~* 'second'
							  THEN format('pg_cron %s is installed: interval schedules such as ''30 seconds'' need pg_cron 1.5 or later; five-field schedules work with every version.',
										  (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'))
							  ELSE format('pg_cron %s is installed: check the schedule against its documentation.',
										  (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')) END;
	END;
	RETURN job_id;
END
$$;

CREATE OR REPLACE FUNCTION custseg.segment_definition(
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
	PERFORM custseg.segment(ROW(1, 1, 1, 111, score_bins)::custseg.rfm_score, map);
	-- BG/NBD never lets a customer without repeat purchases churn.
	IF with_clv AND model_type = 'bgnbd' THEN
		RAISE WARNING 'a BG/NBD model gives every customer without repeat purchases p_alive 1'
			USING DETAIL = 'In BG/NBD a customer can drop out only right after a repeat purchase, so one-time buyers stay alive however long ago they bought, and a segment such as Lost shows a mean p_alive of 1.',
				  HINT = 'For segment views, fit an MBG/NBD model (custseg.mbgnbd_fit) or a Pareto/NBD model (custseg.paretonbd_fit) instead.';
	END IF;

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

CREATE OR REPLACE FUNCTION custseg.segment_report(view regclass, min_size integer DEFAULT 10)
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
				   sum(v.revenue::numeric) AS revenue
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
		SELECT s.segment, s.segments, s.customers, round(s.revenue, 2)::double precision,
			   round(s.customers / sum(s.customers) OVER (), 4)::double precision,
			   round(s.revenue / nullif(sum(s.revenue) OVER (), 0), 4)::double precision
		FROM shown s
		ORDER BY s.segment IS NULL, s.customers DESC, s.segment$sql$, view)
	USING min_size;
END
$$;

CREATE OR REPLACE FUNCTION custseg.segment_table_capture()
RETURNS trigger
AS 'MODULE_PATHNAME', 'segment_table_capture'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION custseg.segment_table_row(segment_table regclass)
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

CREATE OR REPLACE FUNCTION custseg.segment_transitions(view regclass,
	from_snapshot timestamptz, to_snapshot timestamptz)
RETURNS TABLE (from_segment text, to_segment text, customers bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	hk record;
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
	hk := custseg.history_key(view);
	IF NOT pg_catalog.has_table_privilege(view, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'The history of a view is readable by those who may read the view.';
	END IF;
	SELECT max(s.snapshot_at) INTO from_at FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at <= from_snapshot;
	SELECT max(s.snapshot_at) INTO to_at FROM custseg.segment_snapshots s
	WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner AND s.snapshot_at <= to_snapshot;
	IF from_at IS NULL OR to_at IS NULL THEN
		RAISE EXCEPTION 'no snapshot of % at or before %', view,
			CASE WHEN from_at IS NULL THEN from_snapshot ELSE to_snapshot END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('The snapshots are listed by SELECT snapshot_at FROM custseg.segment_snapshots WHERE view_name = %L AND view_owner = %L.',
								hk.view_name, hk.view_owner);
	END IF;
	RETURN QUERY
		SELECT a.segment, b.segment, count(*)
		FROM (SELECT h.customer_key, h.segment FROM custseg.segment_history h
			  WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner
				AND h.snapshot_at = from_at) AS a
		FULL JOIN (SELECT h.customer_key, h.segment FROM custseg.segment_history h
				   WHERE h.view_name = hk.view_name AND h.view_owner = hk.view_owner
					 AND h.snapshot_at = to_at) AS b
			ON a.customer_key = b.customer_key
		GROUP BY a.segment, b.segment
		ORDER BY a.segment NULLS FIRST, b.segment NULLS FIRST;
END
$$;

CREATE OR REPLACE FUNCTION custseg.segment_view_key(view regclass)
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

CREATE OR REPLACE FUNCTION custseg.snapshot_segments(view regclass, as_of timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	key name;
	hk record;
	stamp timestamptz;
	recorded bigint;
BEGIN
	IF view IS NULL THEN
		RAISE EXCEPTION 'view of custseg.snapshot_segments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the segment view whose segments should be recorded.';
	END IF;
	stamp := coalesce(as_of, pg_catalog.now());
	IF stamp IN ('infinity', '-infinity') THEN
		RAISE EXCEPTION 'as_of must be finite, not %', stamp
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass the time the view describes, e.g. the as_of it was created with, or NULL for now().';
	END IF;
	IF stamp > pg_catalog.now() THEN
		RAISE EXCEPTION 'as_of % is in the future', stamp
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A snapshot records what a view showed at a past time or now: pass an as_of at or before now(), or NULL.';
	END IF;
	key := custseg.segment_view_key(view);
	IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = view), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of materialized view %', view
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the owner of a view records its history; the owner may schedule it with custseg.schedule_refresh(view, schedule, snapshot => true).';
	END IF;
	hk := custseg.history_key(view);
	IF EXISTS (SELECT FROM custseg.segment_snapshots s
			   WHERE s.view_name = hk.view_name AND s.view_owner = hk.view_owner
				 AND s.snapshot_at = stamp) THEN
		IF as_of IS NULL THEN
			RAISE EXCEPTION 'a snapshot of % was taken in this transaction already', view
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'A snapshot is taken at the start time of its transaction: take one per transaction.';
		END IF;
		RAISE EXCEPTION 'a snapshot of % as of % exists already', view, stamp
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Take one snapshot per as_of; custseg.prune_segment_history deletes old ones.';
	END IF;
	EXECUTE format('INSERT INTO custseg.segment_history (view_name, snapshot_at, customer_key, segment,
														 cell, view_schema, view_relname, view_owner)
					SELECT $1, $2, v.%I::text, v.segment::text, v.cell::integer, $3, $4, $5
					FROM %s AS v', key, hk.view_name)
		USING hk.view_name, stamp, hk.view_schema, hk.view_relname, hk.view_owner;
	GET DIAGNOSTICS recorded = ROW_COUNT;
	INSERT INTO custseg.segment_snapshots (view_name, snapshot_at, customers, view_schema,
										   view_relname, view_owner)
	VALUES (hk.view_name, stamp, recorded, hk.view_schema, hk.view_relname, hk.view_owner);
	RETURN recorded;
END
$$;

CREATE OR REPLACE FUNCTION custseg.summarize_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.summary_days(as_of timestamp, since timestamp)
RETURNS double precision
AS 'MODULE_PATHNAME', 'summary_days'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.sync_segment_rules()
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
	SELECT pg_catalog.string_agg(pg_catalog.format('(%L, %s, %L, %s, %s, %s, %s, %s, %s, %s)',
			   r.map, r.priority, r.segment, r.r_min, r.r_max, r.f_min, r.f_max, r.m_min, r.m_max,
			   coalesce(r.bins::text, 'NULL')),
			   ', ' ORDER BY r.map, r.priority)
	INTO rules
	FROM custseg.segment_rules r;
	command := 'DELETE FROM custseg.segment_rules';
	IF rules IS NOT NULL THEN
		command := command || '; INSERT INTO custseg.segment_rules (map, priority, segment, r_min, r_max, f_min, f_max, m_min, m_max, bins) VALUES ' || rules;
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

CREATE OR REPLACE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8,
										  stratum text)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum_stratum' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.uplift_sums_accum(custseg.uplift_sums, treated boolean, outcome float8,
										  covariate float8)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME', 'uplift_sums_accum_covariate' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.uplift_sums_combine(custseg.uplift_sums, custseg.uplift_sums)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.uplift_sums_final(custseg.uplift_sums)
RETURNS custseg.uplift
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.uplift_sums_in(cstring)
RETURNS custseg.uplift_sums
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION custseg.uplift_sums_out(custseg.uplift_sums)
RETURNS cstring
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

