-- User-defined segment maps in custseg.segment_rules.
\pset null '(null)'

-- pg_dump keeps the rules: the table is an extension configuration table.
SELECT 'custseg.segment_rules'::regclass = ANY (extconfig) AS dumped,
	   extcondition[array_position(extconfig, 'custseg.segment_rules'::regclass)] AS condition
FROM pg_extension WHERE extname = 'custseg';

-- What the table accepts.
INSERT INTO custseg.segment_rules VALUES ('rfm', 10, 'Mine', 1, 5, 1, 5, 1, 5);
INSERT INTO custseg.segment_rules VALUES ('rfm11', 10, 'Mine', 1, 5, 1, 5, 1, 5);
INSERT INTO custseg.segment_rules VALUES ('', 10, 'Mine', 1, 5, 1, 5, 1, 5);
INSERT INTO custseg.segment_rules VALUES ('bad', 10, '', 1, 5, 1, 5, 1, 5);
INSERT INTO custseg.segment_rules VALUES ('bad', 10, 'Mine', 0, 5, 1, 5, 1, 5);
INSERT INTO custseg.segment_rules VALUES ('bad', 10, 'Mine', 1, 5, 4, 3, 1, 5);
INSERT INTO custseg.segment_rules VALUES ('bad', 10, 'Mine', 1, 5, 1, 5, 1, 11);
INSERT INTO custseg.segment_rules VALUES ('bad', 10, NULL, 1, 5, 1, 5, 1, 5);
INSERT INTO custseg.segment_rules VALUES ('bad', 10, 'Mine', 1, 5, 1, 5, 1, 5),
										 ('bad', 10, 'Yours', 1, 5, 1, 5, 1, 5);
SELECT count(*) FROM custseg.segment_rules WHERE map = 'bad';

-- A small map on 2 bins with every kind of problem:
-- 'Top' covers m = 2, 'Recent' r = 2 (shadowed by 'Top' where m = 2),
-- 'Never' lies inside 'Top' and wins nothing, (1, f, 1) is uncovered.
INSERT INTO custseg.segment_rules VALUES
	('tiny', 1, 'Top', 1, 2, 1, 2, 2, 2),
	('tiny', 2, 'Recent', 2, 2, 1, 2, 1, 2),
	('tiny', 3, 'Never', 2, 2, 2, 2, 2, 2);
SELECT r, f, m, custseg.segment(r, f, m, 'tiny')
FROM generate_series(1, 2) r, generate_series(1, 2) f, generate_series(1, 2) m
ORDER BY r, f, m;
SELECT * FROM custseg.check_segment_map('tiny', 2);
SELECT * FROM custseg.segment_map_rules('tiny');
-- Checked on 3 bins, the cells with a 3 are uncovered too.
SELECT problem, count(*) FROM custseg.check_segment_map('tiny', 3) GROUP BY 1 ORDER BY 1;
-- A user map labels scores up to 10; uncovered cells are Others.
SELECT custseg.segment(10, 10, 10, 'tiny') AS others, custseg.segment(2, 1, 1, 'tiny') AS recent;
SELECT custseg.segment(11, 1, 1, 'tiny');
SELECT custseg.segment(2, 2, 0, 'tiny');

-- A map for 10 bins: three segments by recency and spend, first match wins.
INSERT INTO custseg.segment_rules VALUES
	('tenbin', 10, 'Big recent', 6, 10, 1, 10, 8, 10),
	('tenbin', 20, 'Recent', 6, 10, 1, 10, 1, 10),
	('tenbin', 30, 'Lapsed', 1, 5, 1, 10, 1, 10);
SELECT custseg.segment(r, f, m, 'tenbin') AS segment, count(*) AS cells
FROM generate_series(1, 10) r, generate_series(1, 10) f, generate_series(1, 10) m
GROUP BY 1 ORDER BY 1;
-- Overlap, not uncovered: 'Recent' contains 'Big recent'.
SELECT problem, segment, other_segment, count(*)
FROM custseg.check_segment_map('tenbin', 10) GROUP BY 1, 2, 3;
-- On 5 bins the rules for r 6 .. 10 win nothing.
SELECT * FROM custseg.check_segment_map('tenbin', 5);
SELECT custseg.segment(ROW(10, 10, 10, NULL, 10)::custseg.rfm_score, 'tenbin');

-- The recipe: copy a built-in map as the start of your own.
INSERT INTO custseg.segment_rules SELECT 'copy', * FROM custseg.segment_map_rules('rfm11');
SELECT count(*) AS differences
FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
WHERE custseg.segment(r, f, m, 'copy') IS DISTINCT FROM custseg.segment(r, f, m, 'rfm11');
SELECT count(*) AS problems FROM custseg.check_segment_map('copy');
-- Merge 'New Customers' into 'Promising' between the existing priorities.
UPDATE custseg.segment_rules SET segment = 'Promising'
WHERE map = 'copy' AND segment = 'New Customers';
SELECT custseg.segment(5, 1, 1, 'copy');

-- Each statement sees the rules as they were when it started.
BEGIN;
INSERT INTO custseg.segment_rules VALUES ('visible', 1, 'Before', 1, 10, 1, 10, 1, 10);
SELECT custseg.segment(3, 3, 3, 'visible');
UPDATE custseg.segment_rules SET segment = 'After' WHERE map = 'visible';
SELECT custseg.segment(3, 3, 3, 'visible');
-- A change made by the same statement is not seen by its labels.
WITH changed AS (
	UPDATE custseg.segment_rules SET segment = 'During' WHERE map = 'visible' RETURNING 1
)
SELECT custseg.segment(3, 3, 3, 'visible'), (SELECT count(*) FROM changed) AS changed;
SELECT custseg.segment(3, 3, 3, 'visible');
DELETE FROM custseg.segment_rules WHERE map = 'visible';
SELECT custseg.segment(3, 3, 3, 'visible');
ROLLBACK;

-- PL/pgSQL evaluates a simple expression through the same call site for
-- the whole transaction; its labels still follow every change before them.
DO $$
DECLARE
	s text;
BEGIN
	INSERT INTO custseg.segment_rules VALUES ('plpgsql', 1, 'Pass 0', 1, 10, 1, 10, 1, 10);
	FOR i IN 1 .. 3 LOOP
		s := custseg.segment(1, 1, 1, 'plpgsql');
		RAISE NOTICE 'label: %', s;
		UPDATE custseg.segment_rules SET segment = 'Pass ' || i WHERE map = 'plpgsql';
	END LOOP;
	DELETE FROM custseg.segment_rules WHERE map = 'plpgsql';
	s := custseg.segment(1, 1, 1, 'plpgsql');
END
$$;

-- One call site labelling with many maps, built-in and user, row by row.
INSERT INTO custseg.segment_rules
SELECT 'many' || i, 1, 'Segment ' || i, 1, 10, 1, 10, 1, 10 FROM generate_series(1, 12) i;
SELECT string_agg(custseg.segment(1, 1, 1, map), ', ' ORDER BY n) AS labels
FROM (SELECT n, CASE WHEN n % 5 = 0 THEN 'rfm' ELSE 'many' || (n % 12 + 1) END AS map
	  FROM generate_series(1, 30) n) maps;
-- ... and with more user maps in a row than it keeps (it starts over).
SELECT string_agg(custseg.segment(1, 1, 1, 'many' || n), ', ' ORDER BY n) AS labels
FROM generate_series(1, 12) n;

-- Labelling in parallel workers gives the serial answer.
CREATE TABLE seg_customers AS
SELECT i AS id, 1 + i % 5 AS r, 1 + i / 5 % 5 AS f, 1 + i / 25 % 5 AS m,
	   1 + i % 10 AS r10, 1 + i / 10 % 10 AS f10, 1 + i / 100 % 10 AS m10
FROM generate_series(1, 50000) i;
ANALYZE seg_customers;
CREATE TABLE seg_serial AS
SELECT custseg.segment(r, f, m, 'copy') AS copy, custseg.segment(r, f, m, 'rfm11') AS rfm11,
	   custseg.segment(r10, f10, m10, 'tenbin') AS tenbin, count(*) AS n
FROM seg_customers GROUP BY 1, 2, 3;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT custseg.segment(r, f, m, 'copy') AS copy, custseg.segment(r, f, m, 'rfm11') AS rfm11,
	   custseg.segment(r10, f10, m10, 'tenbin') AS tenbin, count(*) AS n
FROM seg_customers GROUP BY 1, 2, 3;
CREATE TABLE seg_parallel AS
SELECT custseg.segment(r, f, m, 'copy') AS copy, custseg.segment(r, f, m, 'rfm11') AS rfm11,
	   custseg.segment(r10, f10, m10, 'tenbin') AS tenbin, count(*) AS n
FROM seg_customers GROUP BY 1, 2, 3;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
SELECT (SELECT count(*) FROM seg_serial) AS groups,
	   (SELECT sum(n) FROM seg_parallel) AS customers,
	   (SELECT count(*) FROM (TABLE seg_serial EXCEPT TABLE seg_parallel) a) +
	   (SELECT count(*) FROM (TABLE seg_parallel EXCEPT TABLE seg_serial) b) AS differences;
SELECT rfm11, sum(n) FROM seg_parallel GROUP BY 1 ORDER BY 2 DESC, 1;

DROP TABLE seg_customers, seg_serial, seg_parallel;
DELETE FROM custseg.segment_rules
WHERE map IN ('tiny', 'tenbin', 'copy') OR map LIKE 'many%';
SELECT count(*) AS rules_left FROM custseg.segment_rules;
