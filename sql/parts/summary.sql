
-- Customer summaries: src/summary.c, docs/summary.md

CREATE TYPE custseg.customer_summary AS (
	first_order timestamp,		-- earliest purchase, local time
	last_order timestamp,		-- latest purchase, local time
	orders bigint,				-- purchase rows (amount >= 0)
	purchase_days bigint,		-- distinct local calendar days with a purchase
	revenue double precision,	-- sum of all amounts, refunds included
	avg_order_value double precision,	-- revenue / orders
	recency_days double precision,	-- as_of - last_order, in days: the R of RFM
	repeat_purchases bigint,	-- purchase_days - 1: x of the BTYD models
	active_days double precision,	-- first to last purchase day: t_x
	age_days double precision,	-- first purchase day to as_of: T
	repeat_spend double precision	-- revenue after the first purchase day per repeat purchase
);

CREATE FUNCTION custseg.summarize_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_final(internal)
RETURNS custseg.customer_summary
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;


-- custseg.summarize(order_time, amount, as_of): one transition function and
-- one aggregate for each order_time type (date, timestamp, timestamptz) and
-- amount type (numeric, double precision, integer, bigint); all share one C
-- function, which reads the argument types.  The timestamptz variants are
-- STABLE: calendar days of a timestamptz follow the session TimeZone.
DO $$
DECLARE
	time_type text;
	amount_type text;
BEGIN
	FOREACH time_type IN ARRAY ARRAY['date', 'timestamp', 'timestamptz'] LOOP
		FOREACH amount_type IN ARRAY ARRAY['numeric', 'double precision', 'integer', 'bigint'] LOOP
			EXECUTE format($sql$
				CREATE FUNCTION custseg.summarize_accum(internal, %1$s, %2$s, %1$s)
				RETURNS internal
				AS 'MODULE_PATHNAME' LANGUAGE C %3$s PARALLEL SAFE$sql$,
				time_type, amount_type,
				CASE time_type WHEN 'timestamptz' THEN 'STABLE' ELSE 'IMMUTABLE' END);
			EXECUTE format($sql$
				CREATE AGGREGATE custseg.summarize(order_time %1$s, amount %2$s, as_of %1$s) (
					SFUNC = custseg.summarize_accum,
					STYPE = internal,
					SSPACE = 64,
					FINALFUNC = custseg.summarize_final,
					COMBINEFUNC = custseg.summarize_combine,
					SERIALFUNC = custseg.summarize_serialize,
					DESERIALFUNC = custseg.summarize_deserialize,
					PARALLEL = SAFE
				)$sql$,
				time_type, amount_type);
		END LOOP;
	END LOOP;
END
$$;

-- The days from since to as_of, exactly as custseg.summarize computes
-- recency_days and age_days (the segment tables' view computes them with
-- it when read).
CREATE FUNCTION custseg.summary_days(as_of timestamp, since timestamp)
RETURNS double precision
AS 'MODULE_PATHNAME', 'summary_days'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
