/* custseg--0.1.0--0.2.0.sql: upgrades an installed custseg 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION custseg UPDATE TO '0.2.0'" to load this file. \quit

-- Every change to the extension's SQL objects between 0.1.0 and 0.2.0 is
-- made here as well as in sql/parts/, so that an updated install equals a
-- fresh one (checked by scripts/test, test/upgrade/).

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
