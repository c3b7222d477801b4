-- The segment view functions under a hostile search_path: a schema others
-- may write to, whose operators match some arguments exactly where
-- pg_catalog's need a cast (numeric >= integer, regtype = regtype).  None
-- of them may run: custseg's functions run with search_path = pg_catalog,
-- pg_temp (sql/parts/views.sql).
\set SHOW_CONTEXT never
CREATE SCHEMA views_sp_hostile;
CREATE SCHEMA views_sp_mine;
CREATE FUNCTION views_sp_hostile.ge(numeric, integer) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked >= (numeric, integer)'; END $$;
CREATE OPERATOR views_sp_hostile.>= (LEFTARG = numeric, RIGHTARG = integer,
									 FUNCTION = views_sp_hostile.ge);
CREATE FUNCTION views_sp_hostile.eq(regtype, regtype) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked = (regtype, regtype)'; END $$;
CREATE OPERATOR views_sp_hostile.= (LEFTARG = regtype, RIGHTARG = regtype,
									FUNCTION = views_sp_hostile.eq);
CREATE TABLE views_sp_mine.orders (customer_id bigint, order_time date, amount numeric);
INSERT INTO views_sp_mine.orders VALUES
	(1, '2024-01-05', 10), (1, '2024-02-05', 10), (2, '2024-01-07', 5), (3, '2024-02-01', 7);

SET search_path = views_sp_mine, views_sp_hostile;
-- The operators are live for the caller's own queries ...
SELECT 'date'::regtype = 'date'::regtype;
SELECT count(*) FROM orders WHERE amount >= 0;
-- ... but not for custseg's.  An unqualified view name still lands in the
-- caller's current schema (views_sp_mine).
SELECT custseg.create_segment_view('segments', 'orders', 'customer_id', 'order_time', 'amount',
								   as_of => '2024-03-01');
SELECT customer_id, orders, revenue, segment FROM views_sp_mine.segments ORDER BY 1;
-- segment_report sums bigint counts (numeric) and compares them with min_size.
SELECT segment, segments, customers FROM custseg.segment_report('segments', 2);
-- cohort_retention compares the amount with 0.
SELECT * FROM custseg.cohort_retention('orders', 'customer_id', 'order_time', 'month', 'amount');
-- An explicit default_schema, for callers who compute it.
SELECT custseg.create_segment_view('segments2', 'orders', 'customer_id', 'order_time', 'amount',
								   default_schema => 'public');
RESET search_path;
DROP MATERIALIZED VIEW public.segments2;
DROP SCHEMA views_sp_mine CASCADE;
DROP SCHEMA views_sp_hostile CASCADE;
