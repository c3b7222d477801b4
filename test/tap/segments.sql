-- pgTAP: segment maps and labels (src/segments.c, docs/segments.md).
BEGIN;
SELECT plan(65);

-- Labels of the functions.
SELECT is((SELECT format('%s %s %s', provolatile, proparallel, proisstrict) FROM pg_proc
		   WHERE oid = 'custseg.segment(integer, integer, integer, text)'::regprocedure),
		  's s t', 'segment(r, f, m, map) is STABLE PARALLEL SAFE STRICT');
SELECT is((SELECT format('%s %s %s', provolatile, proparallel, proisstrict) FROM pg_proc
		   WHERE oid = 'custseg.segment(custseg.rfm_score, text)'::regprocedure),
		  's s t', 'segment(score, map) is STABLE PARALLEL SAFE STRICT');
SELECT is((SELECT format('%s %s %s %s', provolatile, proparallel, proisstrict, proretset) FROM pg_proc
		   WHERE oid = 'custseg.segment_map_rules(text)'::regprocedure),
		  's s t t', 'segment_map_rules(map) is a STABLE PARALLEL SAFE STRICT set-returning function');
SELECT is((SELECT format('%s %s %s %s', provolatile, proparallel, proisstrict, proretset) FROM pg_proc
		   WHERE oid = 'custseg.check_segment_map(text, integer)'::regprocedure),
		  's s t t', 'check_segment_map(map, bins) is a STABLE PARALLEL SAFE STRICT set-returning function');
SELECT is(custseg.segment(5, 5, 5), custseg.segment(5, 5, 5, 'rfm'), 'the default map is rfm');
SELECT is(custseg.segment(ROW(3, 3, 3, 333, 5)::custseg.rfm_score), custseg.segment(3, 3, 3, 'rfm'),
		  'the default map of the composite form is rfm');

-- The table.
SELECT has_table('custseg', 'segment_rules', 'custseg.segment_rules exists');
SELECT col_is_pk('custseg', 'segment_rules', ARRAY['map', 'priority'], 'its key is (map, priority)');
SELECT ok((SELECT 'custseg.segment_rules'::regclass = ANY (extconfig) FROM pg_extension
		   WHERE extname = 'custseg'), 'pg_dump keeps custseg.segment_rules (extconfig)');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('rfm', 1, 'X', 1, 5, 1, 5, 1, 5)$$,
				 '23514', 'new row for relation "segment_rules" violates check constraint "segment_rules_map_check"',
				 'map name rfm is reserved');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('rfm11', 1, 'X', 1, 5, 1, 5, 1, 5)$$,
				 '23514', 'new row for relation "segment_rules" violates check constraint "segment_rules_map_check"',
				 'map name rfm11 is reserved');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('', 1, 'X', 1, 5, 1, 5, 1, 5)$$,
				 '23514', 'new row for relation "segment_rules" violates check constraint "segment_rules_map_check"',
				 'map name must not be empty');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('t', 1, '', 1, 5, 1, 5, 1, 5)$$,
				 '23514', 'new row for relation "segment_rules" violates check constraint "segment_rules_segment_check"',
				 'segment must not be empty');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('t', 1, 'X', 3, 2, 1, 5, 1, 5)$$,
				 '23514', 'new row for relation "segment_rules" violates check constraint "segment_rules_r_check"',
				 'r_min <= r_max');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('t', 1, 'X', 1, 5, 0, 5, 1, 5)$$,
				 '23514', 'new row for relation "segment_rules" violates check constraint "segment_rules_f_check"',
				 'f_min >= 1');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('t', 1, 'X', 1, 5, 1, 5, 1, 11)$$,
				 '23514', 'new row for relation "segment_rules" violates check constraint "segment_rules_m_check"',
				 'm_max <= 10');
SELECT throws_ok($$INSERT INTO custseg.segment_rules VALUES ('t', 1, 'X', 1, 5, 1, 5, 1, 5), ('t', 1, 'Y', 1, 5, 1, 5, 1, 5)$$,
				 '23505', 'duplicate key value violates unique constraint "segment_rules_pkey"',
				 'one rule per (map, priority)');

-- The built-in map rfm: one cell won by each rule, and a gap.
SELECT is(custseg.segment(5, 5, 5), 'Champions', 'rfm 555 is Champions');
SELECT is(custseg.segment(5, 3, 4), 'Potential Loyalist', 'rfm 534 is Potential Loyalist');
SELECT is(custseg.segment(2, 4, 4), 'Loyal Customers', 'rfm 244 is Loyal Customers');
SELECT is(custseg.segment(3, 1, 3), 'Promising', 'rfm 313 is Promising');
SELECT is(custseg.segment(5, 1, 1), 'New Customers', 'rfm 511 is New Customers');
SELECT is(custseg.segment(1, 3, 4), 'Can''t Lose Them', 'rfm 134 is Can''t Lose Them');
SELECT is(custseg.segment(1, 5, 5), 'At Risk', 'rfm 155 is At Risk');
SELECT is(custseg.segment(1, 3, 3), 'Need Attention', 'rfm 133 is Need Attention');
SELECT is(custseg.segment(2, 1, 1), 'About To Sleep', 'rfm 211 is About To Sleep');
SELECT is(custseg.segment(1, 1, 1), 'Lost', 'rfm 111 is Lost');
SELECT is(custseg.segment(2, 1, 5), 'Others', 'rfm 215 matches no rule: Others');
SELECT is((SELECT count(*)::int FROM custseg.check_segment_map('rfm') WHERE problem = 'uncovered'),
		  10, 'rfm leaves 10 cells uncovered');

-- The built-in map rfm11 partitions the cube.
SELECT is_empty($$SELECT * FROM custseg.check_segment_map('rfm11')$$, 'rfm11 has no overlap, gap or dead rule');
SELECT results_eq(
	$$SELECT count(*)::int, count(DISTINCT custseg.segment(r, f, m, 'rfm11'))::int,
			 count(*) FILTER (WHERE custseg.segment(r, f, m, 'rfm11') = 'Others')::int
	  FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m$$,
	$$VALUES (125, 11, 0)$$, 'rfm11 labels the 125 cells with 11 segments and no Others');
SELECT is(custseg.segment(5, 5, 5, 'rfm11'), 'Champions', 'rfm11 555 is Champions');
SELECT is(custseg.segment(4, 4, 3, 'rfm11'), 'Loyal', 'rfm11 443 is Loyal');
SELECT is(custseg.segment(1, 5, 5, 'rfm11'), 'Can''t Lose Them', 'rfm11 155 is Can''t Lose Them');
SELECT is(custseg.segment(1, 1, 1, 'rfm11'), 'Lost', 'rfm11 111 is Lost');

-- The composite form and NULLs.
SELECT is(custseg.segment(ROW(5, 1, 1, 511, 5)::custseg.rfm_score, 'rfm11'), 'New Customers', 'composite form');
SELECT is(custseg.segment(ROW(1, 1, 1, 555, 5)::custseg.rfm_score), 'Lost', 'the cell field is ignored');
SELECT is(custseg.segment(NULL, 1, 1), NULL, 'NULL r gives NULL');
SELECT is(custseg.segment(1, 1, 1, NULL), NULL, 'NULL map gives NULL');
SELECT is(custseg.segment(ROW(1, NULL, 1, NULL, 5)::custseg.rfm_score), NULL, 'NULL f in the composite gives NULL');
SELECT is(custseg.segment(NULL::custseg.rfm_score), NULL, 'NULL composite gives NULL');

-- Bad scores, maps and bins.
SELECT throws_ok($$SELECT custseg.segment(0, 1, 1)$$, '22003',
				 'r score must be between 1 and 10, not 0', 'r = 0');
SELECT throws_ok($$SELECT custseg.segment(1, 11, 1, 'rfm11')$$, '22003',
				 'f score must be between 1 and 10, not 11', 'f = 11');
SELECT throws_ok($$SELECT custseg.segment(ROW(1, 1, -1, 0, 5)::custseg.rfm_score)$$, '22003',
				 'm score must be between 1 and 10, not -1', 'negative m in the composite');
SELECT throws_ok($$SELECT custseg.segment(6, 1, 1)$$, '22023',
				 'built-in map "rfm" labels scores 1 to 5, not r = 6', 'rfm is for 5 bins');
SELECT throws_ok($$SELECT custseg.segment(ROW(1, 1, 10, 0, 5)::custseg.rfm_score, 'rfm11')$$, '22023',
				 'built-in map "rfm11" labels scores 1 to 5, not m = 10', 'rfm11 is for 5 bins');
SELECT throws_ok($$SELECT custseg.segment(1, 1, 1, 'nope')$$, '42704',
				 'segment map "nope" does not exist', 'unknown map');
SELECT throws_ok($$SELECT custseg.segment(ROW(1, 1, 1, 111, 5)::custseg.rfm_score, 'RFM')$$, '42704',
				 'segment map "RFM" does not exist', 'map names are case sensitive');
SELECT throws_ok($$SELECT * FROM custseg.segment_map_rules('nope')$$, '42704',
				 'segment map "nope" does not exist', 'segment_map_rules: unknown map');
SELECT throws_ok($$SELECT * FROM custseg.check_segment_map('nope')$$, '42704',
				 'segment map "nope" does not exist', 'check_segment_map: unknown map');
SELECT throws_ok($$SELECT * FROM custseg.check_segment_map('rfm11', 1)$$, '22023',
				 'bins must be between 2 and 10, not 1', 'check_segment_map: bins 1');
SELECT throws_ok($$SELECT * FROM custseg.check_segment_map('rfm11', 11)$$, '22023',
				 'bins must be between 2 and 10, not 11', 'check_segment_map: bins 11');
SELECT throws_ok($$SELECT * FROM custseg.check_segment_map('rfm', 6)$$, '22023',
				 'built-in map "rfm" is for 5 bins, not 6', 'check_segment_map: rfm on 6 bins');

-- A user map: labels, audit, and each statement sees the rules before it.
INSERT INTO custseg.segment_rules VALUES
	('tap', 10, 'Best', 9, 10, 9, 10, 9, 10),
	('tap', 20, 'Recent', 6, 10, 1, 10, 1, 10),
	('tap', 30, 'Shadowed', 10, 10, 10, 10, 10, 10);
SELECT is(custseg.segment(10, 10, 10, 'tap'), 'Best', 'user map on 10 bins: first match');
SELECT is(custseg.segment(ROW(6, 1, 1, NULL, NULL)::custseg.rfm_score, 'tap'), 'Recent', 'user map: composite form');
SELECT is(custseg.segment(5, 10, 10, 'tap'), 'Others', 'user map: no match is Others');
SELECT results_eq(
	$$SELECT problem, count(*)::int FROM custseg.check_segment_map('tap', 10) GROUP BY 1 ORDER BY 1$$,
	$$VALUES ('overlap', 9), ('uncovered', 500), ('unreachable', 1)$$,
	'check_segment_map finds 8 + 1 overlaps, 500 gaps and the dead rule');
SELECT results_eq(
	$$SELECT * FROM custseg.check_segment_map('tap', 10) WHERE problem = 'unreachable'$$,
	$$VALUES ('unreachable', NULL::int, NULL::int, NULL::int, 30, 'Shadowed', NULL::int, NULL::text)$$,
	'the unreachable rule is reported with its priority');
SELECT results_eq(
	$$SELECT * FROM custseg.segment_map_rules('tap')$$,
	$$SELECT priority, segment, r_min, r_max, f_min, f_max, m_min, m_max
	  FROM custseg.segment_rules WHERE map = 'tap' ORDER BY priority$$,
	'segment_map_rules lists a user map in priority order');
UPDATE custseg.segment_rules SET segment = 'Top' WHERE map = 'tap' AND priority = 10;
SELECT is(custseg.segment(10, 10, 10, 'tap'), 'Top', 'the next statement sees the changed rule');
SELECT throws_ok($$SELECT custseg.segment(1, 1, 11, 'tap')$$, '22003',
				 'm score must be between 1 and 10, not 11', 'user maps take scores up to 10 only');

-- A PL/pgSQL call site lives for the whole transaction; it still sees changes.
CREATE FUNCTION pg_temp.relabel() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	seen text[] := '{}';
BEGIN
	FOR i IN 1 .. 3 LOOP
		seen := seen || custseg.segment(10, 10, 10, 'tap');
		UPDATE custseg.segment_rules SET segment = 'Pass ' || i WHERE map = 'tap' AND priority = 10;
	END LOOP;
	RETURN array_to_string(seen, ', ');
END
$$;
SELECT is(pg_temp.relabel(), 'Top, Pass 1, Pass 2', 'a PL/pgSQL expression in a loop sees each change made before it');
DELETE FROM custseg.segment_rules WHERE map = 'tap';
SELECT throws_ok($$SELECT custseg.segment(10, 10, 10, 'tap')$$, '42704',
				 'segment map "tap" does not exist', 'a deleted map is gone for the next statement');

-- Rules that the table's constraints should have kept out are rejected, not
-- used to index the cube (the table owner can drop the constraints).
-- (The constraints are put back by hand, not by ROLLBACK TO SAVEPOINT,
-- which would also roll back pgTAP's count of the tests run.)
ALTER TABLE custseg.segment_rules DROP CONSTRAINT segment_rules_r_check;
INSERT INTO custseg.segment_rules VALUES ('broken', 1, 'X', 1, 100000, 1, 1, 1, 1);
SELECT throws_ok($$SELECT custseg.segment(1, 1, 1, 'broken')$$,
	'23514', 'rule 1 of segment map "broken" has a NULL or a bound outside 1 .. 10',
	'a rule with a bound outside the cube is an error');
DELETE FROM custseg.segment_rules WHERE map = 'broken';
ALTER TABLE custseg.segment_rules ADD CONSTRAINT segment_rules_r_check
	CHECK (1 <= r_min AND r_min <= r_max AND r_max <= 10);
ALTER TABLE custseg.segment_rules ALTER COLUMN m_max DROP NOT NULL;
INSERT INTO custseg.segment_rules VALUES ('broken', 1, 'X', 1, 5, 1, 5, 1, NULL);
SELECT throws_ok($$SELECT custseg.segment(1, 1, 1, 'broken')$$,
	'23514', 'rule 1 of segment map "broken" has a NULL or a bound outside 1 .. 10',
	'a rule with a NULL bound is an error');
DELETE FROM custseg.segment_rules WHERE map = 'broken';
ALTER TABLE custseg.segment_rules ALTER COLUMN m_max SET NOT NULL;

SELECT * FROM finish();
ROLLBACK;
