-- test/fuzz/setup.sql: the values the random-call generator of
-- test/fuzz/run.sql draws its arguments from.
--
-- Run by scripts/test in a fresh database (superuser).  Creates schema
-- fuzz with small order tables, real summaries, thresholds, scores, states
-- and fitted models made by custseg itself, and table fuzz.pool: for every
-- argument type of custseg's functions, SQL literals of ordinary, edge and
-- special values (zero, negative, tiny, huge, NaN, infinities, empty).
SET client_min_messages = warning;
CREATE EXTENSION custseg;
CREATE SCHEMA fuzz;

CREATE TABLE fuzz.orders AS
SELECT g % 60 AS customer_id, date '2020-01-01' + (g * 7) % 420 AS order_day,
	   timestamptz '2020-01-01 00:00+00' + g * interval '5 hours 7 minutes' AS order_time,
	   ((g * 37) % 1000 - 40)::numeric / 4 AS amount, (g % 9)::float8 AS score,
	   g % 3 = 0 AS treated
FROM generate_series(1, 2000) g;
CREATE TABLE fuzz.customers AS
SELECT customer_id, custseg.summarize(order_day, amount, date '2021-03-01') AS s
FROM fuzz.orders GROUP BY customer_id;

-- A larger table for aggregates run in parallel: one column per type that
-- aggregates take.
CREATE TABLE fuzz.big AS
SELECT g::bigint AS i8, (g % 1000)::integer AS i4, (g % 997)::float8 / 7 AS f8,
	   ((g * 13) % 5000)::numeric / 100 - 3 AS num, g % 2 = 0 AS bool,
	   date '2020-01-01' + g % 700 AS day,
	   timestamp '2020-01-01' + g * interval '37 minutes' AS ts,
	   timestamptz '2020-01-01 00:00+00' + g * interval '37 minutes' AS tstz,
	   ARRAY[(g % 31)::float8, (g % 17)::float8 / 3, ln(1 + g % 101)] AS f8arr,
	   (g % 50)::text AS txt
FROM generate_series(1, 60000) g;
ALTER TABLE fuzz.big SET (parallel_workers = 2);
ANALYZE fuzz.big;

-- Aggregates that return the state of custseg's aggregates, so that the
-- pool holds real states (the same transition and combine functions).
DO $$
DECLARE
	a record;
	i integer := 0;
BEGIN
	FOR a IN
		SELECT p.oid::regprocedure AS agg, ag.aggtransfn::regprocedure AS sfunc,
			   format_type(ag.aggtranstype, NULL) AS stype, ag.aggcombinefn AS combine,
			   pg_get_function_identity_arguments(p.oid) AS args
		FROM pg_aggregate ag JOIN pg_proc p ON p.oid = ag.aggfnoid
		WHERE p.pronamespace = 'custseg'::regnamespace AND ag.aggtranstype <> 'internal'::regtype
	LOOP
		i := i + 1;
		EXECUTE format('CREATE AGGREGATE fuzz.state_of_%s(%s) (SFUNC = %s, STYPE = %s%s)',
					   i, a.args, regexp_replace(a.sfunc::text, '\(.*$', ''), a.stype,
					   CASE WHEN a.combine <> 0 THEN format(', COMBINEFUNC = %s', a.combine::regproc) ELSE '' END);
	END LOOP;
END
$$;

CREATE TABLE fuzz.pool (typ regtype NOT NULL, lit text NOT NULL);

INSERT INTO fuzz.pool
SELECT 'double precision'::regtype, x FROM unnest(ARRAY['0', '-0.0', '1', '-1', '0.5', '2', '3.7', '39', '52',
	'365.25', '1000', '1e-300', '5e-324', '1e300', '1e-17', '1e7', '1e12', '9007199254740993',
	'0.999999', '''NaN''', '''Infinity''', '''-Infinity''']) x
UNION ALL
SELECT 'bigint'::regtype, x FROM unnest(ARRAY['0', '1', '-1', '2', '3', '7', '30', '100', '1000000',
	'2147483647', '-2147483648', '9007199254740992', '9223372036854775807',
	'-9223372036854775808']) x
UNION ALL
SELECT 'integer'::regtype, x FROM unnest(ARRAY['0', '1', '-1', '2', '3', '4', '5', '6', '10', '100',
	'2147483647', '-2147483648']) x
UNION ALL
SELECT 'numeric'::regtype, x FROM unnest(ARRAY['0', '-1', '1.5', '22.35', '1e20', '''NaN''',
	'0.00000000000000000001', '99999999999999999999.99', '''Infinity''']) x
UNION ALL
SELECT 'text'::regtype, quote_literal(x) FROM unnest(ARRAY['rfm', 'rfm11', 'quantile', 'custom', '',
	'x', 'month', 'week', 'quarter', 'Champions', 'experiment-1', 'A', 'B']) x
UNION ALL
SELECT 'text'::regtype, 'E''a\nb'''
UNION ALL
SELECT 'boolean'::regtype, x FROM unnest(ARRAY['true', 'false']) x
UNION ALL
SELECT 'interval'::regtype, quote_literal(x) FROM unnest(ARRAY['1 day', '-1 day', '0', '1 year',
	'39 weeks', '1 mon', '100000 years', '1 microsecond', '7 days 12:00']) x
UNION ALL
SELECT 'date'::regtype, quote_literal(x) FROM unnest(ARRAY['2020-01-01', '2021-03-01', '1999-12-31',
	'infinity', '-infinity', '4000-01-01']) x
UNION ALL
SELECT 'timestamp'::regtype, quote_literal(x) FROM unnest(ARRAY['2020-06-01 12:00', '2021-03-01',
	'infinity', '-infinity', '1970-01-01']) x
UNION ALL
SELECT 'timestamptz'::regtype, quote_literal(x) FROM unnest(ARRAY['2020-06-01 12:00+00', '2021-03-01 00:00+05',
	'infinity', '-infinity', '2000-01-01 00:00+00']) x
UNION ALL
SELECT 'double precision[]'::regtype, x FROM unnest(ARRAY['ARRAY[1, 2, 3]::float8[]', 'ARRAY[]::float8[]',
	'ARRAY[0.5]::float8[]', '''{NaN,1,2}''::float8[]', 'ARRAY[1e300, 1e300, 1e300]::float8[]',
	'ARRAY[1, NULL, 3]::float8[]', 'ARRAY[-1, 0, 1]::float8[]', '''{{1,2},{3,4}}''::float8[]']) x
UNION ALL
SELECT 'boolean[]'::regtype, x FROM unnest(ARRAY['ARRAY[true, false, true]', 'ARRAY[]::boolean[]',
	'ARRAY[false]', 'ARRAY[true, NULL, false]']) x
UNION ALL
SELECT 'uuid'::regtype, quote_literal(x) FROM unnest(ARRAY['00000000-0000-0000-0000-000000000000',
	'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']) x
UNION ALL
SELECT 'bytea'::regtype, x FROM unnest(ARRAY['''\x''::bytea', '''\xdeadbeef''::bytea']) x;

-- Real values of custseg's types, written as typed literals.
INSERT INTO fuzz.pool
SELECT 'custseg.customer_summary'::regtype, quote_literal(s::text) FROM fuzz.customers WHERE customer_id % 6 = 0
UNION ALL
SELECT 'custseg.customer_summary'::regtype, quote_literal(custseg.summarize(order_time, amount, timestamptz '2020-03-01 00:00+00')::text)
FROM fuzz.orders WHERE customer_id = 1
UNION ALL
SELECT 'custseg.rfm_thresholds'::regtype, quote_literal(custseg.rfm_thresholds(s)::text) FROM fuzz.customers
UNION ALL
SELECT 'custseg.rfm_thresholds'::regtype, quote_literal(custseg.rfm_thresholds(s, 3, 'rfm')::text) FROM fuzz.customers
UNION ALL
SELECT 'custseg.rfm_score'::regtype, quote_literal(custseg.rfm_score(t, c.s)::text)
FROM fuzz.customers c, (SELECT custseg.rfm_thresholds(s) AS t FROM fuzz.customers) x WHERE c.customer_id % 15 = 0
UNION ALL
SELECT 'custseg.kmeans_model'::regtype, quote_literal(custseg.kmeans(ARRAY[(s).recency_days, (s).orders, (s).revenue], 3)::text)
FROM fuzz.customers
UNION ALL
SELECT 'custseg.uplift'::regtype, quote_literal(custseg.uplift(treated, amount::float8)::text) FROM fuzz.orders
UNION ALL
SELECT 'custseg.uplift'::regtype, quote_literal(custseg.uplift(treated, (amount > 50)::int::float8)::text) FROM fuzz.orders;

-- Fitted models, and the same with hand-typed extreme parameters (the
-- parameters of each type by name; other fields are kept).
CREATE TABLE fuzz.models AS
SELECT 'custseg.bgnbd'::regtype AS typ, to_jsonb(custseg.bgnbd_fit(s)) AS m FROM fuzz.customers
UNION ALL SELECT 'custseg.mbgnbd'::regtype, to_jsonb(custseg.mbgnbd_fit(s)) FROM fuzz.customers
UNION ALL SELECT 'custseg.paretonbd'::regtype, to_jsonb(custseg.paretonbd_fit(s)) FROM fuzz.customers
UNION ALL SELECT 'custseg.gammagamma'::regtype, to_jsonb(custseg.gammagamma_fit(s) FILTER (WHERE (s).repeat_purchases = 0 OR (s).repeat_spend > 0)) FROM fuzz.customers
UNION ALL SELECT 'custseg.bgbb'::regtype, to_jsonb(custseg.bgbb_fit(x, t_x, 6, w))
FROM (VALUES (0, 0, 30), (1, 2, 10), (2, 5, 8), (3, 6, 9), (4, 6, 12), (5, 6, 10), (6, 6, 20), (1, 1, 5)) v(x, t_x, w);
INSERT INTO fuzz.pool
SELECT typ, format('jsonb_populate_record(NULL::%s, %L)', typ, m) FROM fuzz.models
UNION ALL
SELECT m.typ, format('jsonb_populate_record(NULL::%s, %L)', m.typ, m.m || p.patch)
FROM fuzz.models m, (VALUES
	('{"r": 0.243, "alpha": 4.414, "a": 53, "b": 205}'::jsonb),
	('{"r": 1e-17, "alpha": 1, "a": 1, "b": 1}'),
	('{"r": 128, "alpha": 30, "a": 0.5, "b": 3}'),
	('{"r": 1e9, "alpha": 1e9, "a": 1, "b": 1}'),
	('{"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}'),
	('{"r": 5, "alpha": 0.01, "s": 40, "beta": 1e-3}'),
	('{"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 4294967296}'),
	('{"alpha": 1e-8, "beta": 1e8, "gamma": 1e8, "delta": 1e-8}'),
	('{"p": 6.25, "q": 3.74, "gamma": 15.44}'),
	('{"p": 1e-9, "q": 1.000001, "gamma": 1e9}')) p(patch)
WHERE (SELECT count(*) FROM jsonb_object_keys(p.patch) k WHERE m.m ? k) = (SELECT count(*) FROM jsonb_object_keys(p.patch));

-- Real aggregate states, from the state_of_* aggregates above.
DO $$
DECLARE
	a record;
	args text;
	typ regtype;
	v text;
BEGIN
	FOR a IN
		SELECT p.oid, p.proname, p.proargtypes::regtype[] AS types, p.prorettype::regtype AS rettype
		FROM pg_proc p WHERE p.pronamespace = 'fuzz'::regnamespace AND p.proname LIKE 'state\_of\_%'
	LOOP
		args := NULL;
		-- arguments from fuzz.customers or fuzz.orders columns of a matching type
		SELECT string_agg(CASE t
				WHEN 'custseg.customer_summary'::regtype THEN 'c.s'
				WHEN 'bigint'::regtype THEN '(c.s).repeat_purchases'
				WHEN 'double precision'::regtype THEN '(c.s).active_days'
				WHEN 'integer'::regtype THEN '3'
				WHEN 'text'::regtype THEN '''quantile'''
				WHEN 'double precision[]'::regtype THEN 'ARRAY[(c.s).recency_days, (c.s).orders, (c.s).revenue]'
				WHEN 'boolean[]'::regtype THEN 'ARRAY[false, true, true]'
				WHEN 'boolean'::regtype THEN '(c.customer_id % 3 = 0)'
				WHEN 'date'::regtype THEN 'date ''2021-03-01'''
				END, ', ' ORDER BY ord)
		INTO args
		FROM unnest(a.types) WITH ORDINALITY u(t, ord);
		CONTINUE WHEN args IS NULL OR a.rettype = 'custseg.customer_summary'::regtype;
		BEGIN
			EXECUTE format('SELECT %s(%s)::text FROM fuzz.customers c', a.oid::regproc, args) INTO v;
			IF v IS NOT NULL THEN
				INSERT INTO fuzz.pool VALUES (a.rettype, format('%L::%s', v, a.rettype));
			END IF;
		EXCEPTION WHEN OTHERS THEN
			NULL;				-- e.g. bins out of range for this aggregate: no state
		END;
	END LOOP;
END
$$;

-- Hand-written states at the edges of their text forms.
INSERT INTO fuzz.pool VALUES
	('custseg.fit_state', quote_literal('{"kind":"xtt","cells":[[0,0,1,1]]}')),
	('custseg.fit_state', quote_literal('{"kind":"xtt","cells":[[0,0,270,12],[2,30,38,1]]}')),
	('custseg.fit_state', quote_literal('{"kind":"xtt","cells":[[0,0,10,1e-300]]}')),
	('custseg.fit_state', quote_literal('{"kind":"bgbb","cells":[[0,0,6,10],[3,5,6,2]]}')),
	('custseg.fit_state', quote_literal('{"kind":"bgbb","cells":[[1,1000000,1000000,1]]}')),
	('custseg.fit_state', quote_literal('{"kind":"spend","cells":[[1,10,0,3],[2,25.5,0,2]]}')),
	('custseg.uplift_state', quote_literal('{"binary": true, "treated": [2, 1, 0.5], "control": [1, 1, 0]}')),
	('custseg.uplift_state', quote_literal('{"binary": false, "treated": [3, 0.30000000000000004, 1e-300], "control": [0, 0, 0]}'));

-- Every literal as an expression of its type.
UPDATE fuzz.pool SET lit = format('(%s)::%s', lit, typ);
ANALYZE fuzz.pool;
