
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


-- order_time date
CREATE FUNCTION custseg.summarize_accum(internal, date, numeric, date)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, date, double precision, date)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, date, integer, date)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, date, bigint, date)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE custseg.summarize(order_time date, amount numeric, as_of date) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time date, amount double precision, as_of date) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time date, amount integer, as_of date) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time date, amount bigint, as_of date) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);


-- order_time timestamp
CREATE FUNCTION custseg.summarize_accum(internal, timestamp, numeric, timestamp)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, timestamp, double precision, timestamp)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, timestamp, integer, timestamp)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, timestamp, bigint, timestamp)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE custseg.summarize(order_time timestamp, amount numeric, as_of timestamp) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time timestamp, amount double precision, as_of timestamp) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time timestamp, amount integer, as_of timestamp) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time timestamp, amount bigint, as_of timestamp) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);


-- order_time timestamptz
-- STABLE: calendar days of a timestamptz follow the session TimeZone.
CREATE FUNCTION custseg.summarize_accum(internal, timestamptz, numeric, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, timestamptz, double precision, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, timestamptz, integer, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION custseg.summarize_accum(internal, timestamptz, bigint, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;

CREATE AGGREGATE custseg.summarize(order_time timestamptz, amount numeric, as_of timestamptz) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time timestamptz, amount double precision, as_of timestamptz) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time timestamptz, amount integer, as_of timestamptz) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);

CREATE AGGREGATE custseg.summarize(order_time timestamptz, amount bigint, as_of timestamptz) (
	SFUNC = custseg.summarize_accum,
	STYPE = internal,
	SSPACE = 80,
	FINALFUNC = custseg.summarize_final,
	COMBINEFUNC = custseg.summarize_combine,
	SERIALFUNC = custseg.summarize_serialize,
	DESERIALFUNC = custseg.summarize_deserialize,
	PARALLEL = SAFE
);
