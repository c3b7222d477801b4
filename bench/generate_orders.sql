-- bench/generate_orders.sql: a synthetic, deterministic retail orders table.
--
--   psql -X -v customers=100000 -v orders=1000000 -f bench/generate_orders.sql
--
-- (Re)creates table orders (customer_id bigint, order_time timestamptz,
-- amount numeric(10,2)) in the current schema, shared by scripts/demo and
-- bench/run.  Not part of the extension: it needs nothing but PostgreSQL.
--
-- The shape, chosen to look like an online shop's order history:
--   * customers buy once (60%) or repeatedly; repeat buyers' order counts
--     follow a heavy-tailed (log-normal purchase rate times active time)
--     distribution with a soft cap (at 10 rows per customer: median 1,
--     90th percentile 26, largest about 300), scaled so that the total
--     number of rows is the requested one to within a few hundred rows;
--   * the shop opens on 2022-01-01: first purchases are front-loaded (most
--     customers are won early), so volume builds up over the first year;
--   * dates from 2022-01-01 to 2024-12-31: growth of 25% a year, a
--     November/December peak (Black Friday week strongest, a dip over
--     Christmas), more orders at weekends, times of day 06:00-23:00;
--   * every customer has a first-purchase date and an active lifetime
--     (exponential, mean 0.4 of the three years): orders stop when it ends
--     (churn), or continue to the end of 2024;
--   * amounts are log-normal, median about 40, tail into the thousands, with a
--     spending level per customer; about 2% of the rows are refunds: a
--     negative amount on a customer's later row, never the first one;
--   * rows are stored in time order, as an append-only orders table grows.
--
-- Deterministic: every random number is a hash of (customer, order index,
-- stream) through hashint8extended(), so every run yields the same rows on
-- any machine; there is no random().  Calendar days are UTC.

\set ON_ERROR_STOP on
\if :{?customers}
\else
\set customers 100000
\endif
\if :{?orders}
\else
\set orders 1000000
\endif

SET timezone = 'UTC';
SET client_min_messages = warning;
SET work_mem = '1GB';					-- sort the orders into time order in memory

-- Refuse impossible requests: every customer orders once, repeat buyers twice.
SELECT set_config('custseg_gen.customers', :'customers', false),
	   set_config('custseg_gen.orders', :'orders', false) \g /dev/null
DO $$
DECLARE
	customers bigint := current_setting('custseg_gen.customers')::bigint;
	orders bigint := current_setting('custseg_gen.orders')::bigint;
BEGIN
	IF customers < 1 OR orders < 1.5 * customers THEN
		RAISE EXCEPTION 'cannot generate % orders for % customers', orders, customers
			USING HINT = 'Ask for at least 1.5 orders per customer.';
	END IF;
END
$$;

-- A uniform number in (0, 1) and a standard normal one (Box-Muller), both
-- pure functions of (key, stream).  Simple SQL functions: the planner
-- inlines them.
CREATE FUNCTION pg_temp.gen_uniform(key bigint, stream bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((hashint8extended(key, stream) & 4503599627370495)::float8 + 0.5) / 4503599627370496.0::float8;

CREATE FUNCTION pg_temp.gen_normal(key bigint, stream bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN sqrt(-2.0 * ln(pg_temp.gen_uniform(key, stream)))
	* cos(2.0 * pi() * pg_temp.gen_uniform(key, stream + 1));

-- The shopping calendar: the weight of every day, and where it starts and
-- ends in cumulative "shopping time" (0 .. 1).  Customers live in shopping
-- time, so a busy day receives more first purchases and more repeat orders.
CREATE TEMP TABLE gen_calendar AS
WITH day AS (
	SELECT d::date AS day,
		   (CASE extract(month FROM d)
				WHEN 1 THEN 0.80 WHEN 2 THEN 0.75 WHEN 3 THEN 0.85
				WHEN 4 THEN 0.85 WHEN 5 THEN 0.90 WHEN 6 THEN 0.90
				WHEN 7 THEN 0.95 WHEN 8 THEN 0.95 WHEN 9 THEN 0.90
				WHEN 10 THEN 1.00 WHEN 11 THEN 1.40 ELSE 1.70 END)
		   * (CASE WHEN extract(month FROM d) = 11 AND extract(day FROM d) >= 22 THEN 1.60
				   WHEN extract(month FROM d) = 12 AND extract(day FROM d) BETWEEN 24 AND 26 THEN 0.50
				   ELSE 1.0 END)
		   * (CASE extract(isodow FROM d)
				WHEN 1 THEN 0.95 WHEN 2 THEN 0.90 WHEN 3 THEN 0.95
				WHEN 4 THEN 1.00 WHEN 5 THEN 1.10 WHEN 6 THEN 1.25 ELSE 1.15 END)
		   * (1.0 + 0.25 * (d::date - date '2022-01-01') / 365.0) AS weight
	FROM generate_series(date '2022-01-01', date '2024-12-31', interval '1 day') AS d
)
SELECT day,
	   (sum(weight) OVER w - weight) / sum(weight) OVER () AS starts,
	   sum(weight) OVER w / sum(weight) OVER () AS ends
FROM day
WINDOW w AS (ORDER BY day);

-- Customers: first purchase and end of activity in shopping time, and the
-- number of rows.  One-time buyers have one row; repeat buyers two plus a
-- share of the remaining rows proportional to their weight: purchase rate
-- (log-normal) times active time, saturating so the tail stays a tail.
CREATE TEMP TABLE gen_customer AS
WITH customer AS (
	SELECT c AS customer_id,
		   pg_temp.gen_uniform(c, 1) < 0.60 AS once,
		   1.0 - power(1.0 - pg_temp.gen_uniform(c, 2), 0.7) AS first_q,
		   -0.4 * ln(pg_temp.gen_uniform(c, 3)) AS lifetime,
		   exp(1.4 * pg_temp.gen_normal(c, 4)) AS rate,
		   pg_temp.gen_uniform(c, 6) AS dither,
		   0.45 * pg_temp.gen_normal(c, 7) AS spend_level
	FROM generate_series(1, :customers::bigint) AS c
),
active AS (
	SELECT *, least(first_q + lifetime, 0.999999999) AS last_q
	FROM customer
),
weighted AS (
	SELECT *,
		   CASE WHEN once THEN 0.0
				ELSE rate * (last_q - first_q) / (1.0 + rate * (last_q - first_q) / 7.5)
		   END AS weight
	FROM active
),
totals AS (
	SELECT :orders::bigint - count(*) - count(*) FILTER (WHERE NOT once) AS extra_rows,
		   sum(weight) AS weight
	FROM weighted
)
SELECT customer_id, first_q, last_q, spend_level,
	   CASE WHEN once THEN 1
			ELSE 2 + floor(t.extra_rows * w.weight / t.weight + dither)::integer
	   END AS n
FROM weighted AS w, totals AS t;

-- Orders.  Row 1 of a customer is the first purchase; rows 2 .. n fall
-- uniformly in the customer's active shopping time.  The inverse of the
-- calendar, a 65536-entry array from shopping time to day, is built inside
-- this statement so that it stays an in-memory value.
DROP TABLE IF EXISTS orders;
CREATE TABLE orders (
	customer_id bigint NOT NULL,
	order_time timestamptz NOT NULL,
	amount numeric(10,2) NOT NULL
);

INSERT INTO orders (customer_id, order_time, amount)
WITH inverse AS MATERIALIZED (
	SELECT array_agg(day - date '2022-01-01' ORDER BY bucket) AS day
	FROM gen_calendar,
		 generate_series(ceil(starts * 65536 - 0.5)::integer,
						 ceil(ends * 65536 - 0.5)::integer - 1) AS bucket
),
row AS (
	SELECT c.customer_id, i, c.spend_level,
		   CASE WHEN i = 1 THEN c.first_q
				ELSE c.first_q + (c.last_q - c.first_q)
					 * pg_temp.gen_uniform(c.customer_id, 16 * i)
		   END AS q
	FROM gen_customer AS c, generate_series(1, c.n) AS i
)
SELECT customer_id,
	   to_timestamp(1640995200									-- 2022-01-01 00:00 UTC
					+ 86400 * (SELECT day FROM inverse)[floor(q * 65536)::integer + 1]
					+ floor(21600 + 30600 * (pg_temp.gen_uniform(customer_id, 16 * i + 1)
											 + pg_temp.gen_uniform(customer_id, 16 * i + 2))))
		   AS order_time,
	   CASE WHEN i > 1 AND pg_temp.gen_uniform(customer_id, 16 * i + 3) < 0.022
			THEN -1 ELSE 1 END
	   * greatest(1.00, round(exp(ln(40.0) + spend_level
								  + 0.8 * pg_temp.gen_normal(customer_id, 16 * i + 4))::numeric, 2))
		   AS amount
FROM row
ORDER BY order_time, customer_id, amount;

DROP TABLE gen_customer, gen_calendar;
RESET client_min_messages;
