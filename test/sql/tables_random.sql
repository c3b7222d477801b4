-- custseg.refresh_segment_table, differential: many rounds of random
-- inserts (new and existing customers, backdated, future-dated, refunds,
-- NULL keys and amounts), updates (of amount, time and customer), deletes
-- and a TRUNCATE, each round followed by a refresh of three segment tables,
-- whose every row and column is then compared with a full recomputation
-- (a segment view of custseg.create_segment_view as of the refresh's
-- as_of).  docs/tables.md
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET client_min_messages = warning;

CREATE TABLE rnd_orders (id bigserial PRIMARY KEY, customer_id bigint, order_time timestamptz, amount numeric(10,2));
CREATE INDEX ON rnd_orders (customer_id);
CREATE TABLE rnd_day_orders (id bigserial PRIMARY KEY, client text, day date, amount integer);
CREATE INDEX ON rnd_day_orders (client);

-- A history to start from: 300 customers, about 1,500 orders over 3 years.
SELECT setseed(0.42);
INSERT INTO rnd_orders (customer_id, order_time, amount)
SELECT 1 + floor(random() * 300), now() - random() * interval '1000 days', round((random() * 200 - 10)::numeric, 2)
FROM generate_series(1, 1500);
INSERT INTO rnd_day_orders (client, day, amount)
SELECT 'c' || (1 + floor(random() * 200)), current_date - floor(random() * 1000)::integer, floor(random() * 100 - 5)::integer
FROM generate_series(1, 1000);

-- Three segment tables: thresholds recomputed with CLV columns; frozen
-- thresholds with another map, as of the end of each hour; a date column
-- with text keys and the 'rfm' method on 4 bins.
SELECT custseg.create_segment_table('rnd_recomputed', 'rnd_orders', 'customer_id', 'order_time', 'amount',
	purchase_model => ROW(0.243, 30.9, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgnbd,
	spend_model => ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma) IS NOT NULL AS created;
SELECT custseg.create_segment_table('rnd_frozen', 'rnd_orders', 'customer_id', 'order_time', 'amount',
	as_of_unit => 'hour', map => 'rfm11',
	thresholds => custseg.rfm_thresholds(ARRAY[30, 90, 180, 365], ARRAY[2, 3, 5, 8], ARRAY[50, 100, 250, 500])) IS NOT NULL AS created;
SELECT custseg.create_segment_table('rnd_days', 'rnd_day_orders', 'client', 'day', 'amount',
	bins => 4, method => 'rfm') IS NOT NULL AS created;

-- The rows of a segment table that a full recomputation as of its last
-- refresh does not have, and the other way round.
CREATE FUNCTION pg_temp.mismatches(segment_table regclass, orders regclass, key name, time_column name,
	as_of_unit_given boolean, options text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	as_of timestamptz;
	differing bigint;
BEGIN
	SELECT t.as_of_local AT TIME ZONE 'UTC' INTO as_of
	FROM custseg.segment_tables t WHERE t.segment_table = $1;
	EXECUTE format('SELECT custseg.create_segment_view(%L, %L, %L, %L, %L, as_of => %L%s)',
		'rnd_reference', orders, key, time_column, 'amount', as_of, options);
	EXECUTE format('SELECT (SELECT count(*) FROM (SELECT * FROM %1$s EXCEPT ALL SELECT * FROM rnd_reference) a)
						 + (SELECT count(*) FROM (SELECT * FROM rnd_reference EXCEPT ALL SELECT * FROM %1$s) b)',
		segment_table) INTO differing;
	DROP MATERIALIZED VIEW rnd_reference;
	RETURN differing;
END
$$;

CREATE TABLE rnd_results (round integer, segment_table text, customers bigint, read bigint, differing bigint);

-- One round of random changes to both orders tables.
CREATE FUNCTION pg_temp.random_changes(round integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	IF round = 17 THEN
		TRUNCATE rnd_orders;
		INSERT INTO rnd_orders (customer_id, order_time, amount)
		SELECT 1 + floor(random() * 300), now() - random() * interval '1000 days', round((random() * 200)::numeric, 2)
		FROM generate_series(1, 800);
		RETURN;
	END IF;
	n := 1 + floor(random() * 40);
	-- new orders, some for new customers, some backdated years, a few refunds
	INSERT INTO rnd_orders (customer_id, order_time, amount)
	SELECT 1 + floor(random() * 330), now() - random() * interval '1000 days' * (random() < 0.3)::integer,
		   round((random() * 150 - 15)::numeric, 2)
	FROM generate_series(1, n);
	-- orders a little in the future (a later refresh takes them in), NULL keys and amounts
	INSERT INTO rnd_orders (customer_id, order_time, amount)
	SELECT CASE WHEN random() < 0.2 THEN NULL ELSE 1 + floor(random() * 330) END,
		   now() + random() * interval '400 milliseconds',
		   CASE WHEN random() < 0.2 THEN NULL ELSE round((random() * 80)::numeric, 2) END
	FROM generate_series(1, 1 + floor(random() * 3)::integer);
	-- refunds of existing orders
	INSERT INTO rnd_orders (customer_id, order_time, amount)
	SELECT customer_id, order_time + interval '2 days', -amount
	FROM rnd_orders WHERE amount > 0 AND random() < 0.003;
	-- updates: amounts, times (backdated or moved on), customers
	UPDATE rnd_orders SET amount = round((random() * 300 - 20)::numeric, 2) WHERE random() < 0.005;
	UPDATE rnd_orders SET order_time = order_time - random() * interval '500 days' WHERE random() < 0.004;
	UPDATE rnd_orders SET customer_id = 1 + floor(random() * 330) WHERE random() < 0.004;
	UPDATE rnd_orders SET amount = amount WHERE false;	-- no row: nothing logged
	-- deletes, including a whole customer now and then
	DELETE FROM rnd_orders WHERE random() < 0.004;
	DELETE FROM rnd_orders WHERE customer_id = 1 + floor(random() * 330)::bigint AND random() < 0.5;
	-- the date-keyed orders
	INSERT INTO rnd_day_orders (client, day, amount)
	SELECT 'c' || (1 + floor(random() * 220)), current_date - floor(random() * 1000 * random())::integer,
		   floor(random() * 100 - 10)::integer
	FROM generate_series(1, 1 + floor(random() * 20)::integer);
	UPDATE rnd_day_orders SET client = 'c' || (1 + floor(random() * 220)) WHERE random() < 0.005;
	UPDATE rnd_day_orders SET day = day - 30 WHERE random() < 0.005;
	DELETE FROM rnd_day_orders WHERE random() < 0.005;
END
$$;

CREATE TABLE rnd_tables (name text, orders text, key text, time_column text, options text);
INSERT INTO rnd_tables VALUES
	('rnd_recomputed', 'rnd_orders', 'customer_id', 'order_time',
	 ', purchase_model => ROW(0.243, 30.9, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.bgnbd, spend_model => ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.gammagamma'),
	('rnd_frozen', 'rnd_orders', 'customer_id', 'order_time',
	 ', map => ''rfm11'', thresholds => custseg.rfm_thresholds(ARRAY[30, 90, 180, 365], ARRAY[2, 3, 5, 8], ARRAY[50, 100, 250, 500])'),
	('rnd_days', 'rnd_day_orders', 'client', 'day', ', bins => 4, method => ''rfm''');

CREATE PROCEDURE pg_temp.rounds(rounds integer) LANGUAGE plpgsql AS $$
DECLARE
	t record;
	n bigint;
BEGIN
	FOR round IN 1 .. rounds LOOP
		PERFORM pg_temp.random_changes(round);
		COMMIT;
		FOR t IN SELECT * FROM rnd_tables ORDER BY name LOOP
			n := custseg.refresh_segment_table(t.name::regclass);
			COMMIT;
			INSERT INTO rnd_results VALUES (round, t.name, NULL, n,
				pg_temp.mismatches(t.name::regclass, t.orders::regclass, t.key, t.time_column, false, t.options));
			EXECUTE format('UPDATE rnd_results r SET customers = (SELECT count(*) FROM %I) WHERE r.round = $1 AND r.segment_table = $2', t.name)
				USING round, t.name;
			COMMIT;
		END LOOP;
	END LOOP;
END
$$;
CALL pg_temp.rounds(30);

-- Every round, every table: no row differs.  The refreshes read the orders
-- of a few customers, not of all (except after the TRUNCATE of round 17).
SELECT segment_table, count(*) AS rounds, sum(differing) AS differing,
	   min(customers) > 100 AS many_customers,
	   sum(read) FILTER (WHERE round <> 17) < sum(customers) FILTER (WHERE round <> 17) / 3 AS reads_few
FROM rnd_results GROUP BY segment_table ORDER BY segment_table;
SELECT read >= customers AS truncate_rebuilds_all FROM rnd_results
WHERE round = 17 AND segment_table = 'rnd_frozen';

-- The orders dated a little in the future were taken in by later refreshes
-- without a change to them: after a pause, none is pending but the refunds
-- dated two days after an order of the last two days.
SELECT pg_sleep(0.5);
SELECT custseg.refresh_segment_table('rnd_recomputed') >= 0 AS refreshed;
SELECT pg_temp.mismatches(t.name::regclass, t.orders::regclass, t.key, t.time_column, false, t.options) AS differing,
	   (SELECT count(*) FROM rnd_recomputed_store WHERE pending <= now()) AS overdue
FROM rnd_tables t WHERE t.name = 'rnd_recomputed';

SELECT custseg.drop_segment_table('rnd_recomputed'), custseg.drop_segment_table('rnd_frozen'),
	   custseg.drop_segment_table('rnd_days');
DROP TABLE rnd_orders, rnd_day_orders, rnd_results, rnd_tables;
