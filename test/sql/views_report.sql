-- custseg.segment_report: sizes and revenue per segment, small groups
-- suppressed (docs/views.md).
\set SHOW_CONTEXT never
\pset null '(null)'

-- 60 customers in five segments; revenue = the customer's number.
--   A: 1 .. 30   30 customers, revenue 1 + ... + 30 = 465
--   B: 31 .. 42  12 customers, (31 + 42) * 12 / 2  = 438
--   C: 43 .. 51   9 customers, (43 + 51) *  9 / 2  = 423
--   D: 52 .. 57   6 customers, (52 + 57) *  6 / 2  = 327
--   E: 58 .. 60   3 customers, (58 + 60) *  3 / 2  = 177
-- Total 60 customers, revenue 1830.
CREATE MATERIALIZED VIEW views_rep AS
SELECT i AS customer_id,
	   CASE WHEN i <= 30 THEN 'A' WHEN i <= 42 THEN 'B' WHEN i <= 51 THEN 'C'
			WHEN i <= 57 THEN 'D' ELSE 'E' END AS segment,
	   i::float8 AS revenue
FROM generate_series(1, 60) AS i;

-- min_size 1: every segment; shares of 60 and 1830
-- (A 0.5 and 465 / 1830 = 0.2540983606557377).
SELECT * FROM custseg.segment_report('views_rep', 1);
-- Default min_size 10: A and B shown; C, D and E (9 + 6 + 3 = 18 >= 10)
-- together in one row of 3 segments, revenue 423 + 327 + 177 = 927;
-- customer shares 30/60, 12/60, 18/60.
SELECT * FROM custseg.segment_report('views_rep');
-- min_size 20: A; B to E together (12 + 9 + 6 + 3 = 30).
SELECT * FROM custseg.segment_report('views_rep', 20);
-- min_size 31: no segment alone, all five together (60).
SELECT * FROM custseg.segment_report('views_rep', 31);
-- min_size 61: nothing at all.
SELECT * FROM custseg.segment_report('views_rep', 61);

-- One small segment cannot hide in a merged row of its own: without D and
-- E, C (9 < 10) is left out, and the shares are of the 42 customers shown
-- (30/42 = 0.7142857142857143, revenue 465/903 = 0.5149501661129569, shown
-- rounded to 0.7143 and 0.5150), so no total or share gives C's size away.
CREATE MATERIALIZED VIEW views_rep3 AS SELECT * FROM views_rep WHERE segment IN ('A', 'B', 'C');
SELECT * FROM custseg.segment_report('views_rep3');

-- Rounded for reading: revenue to cents, summed exactly (as numeric) from
-- the float revenues; shares to 4 decimals.  Ten customers of 0.1 and ten
-- of 15614.5999999999: their float sum prints 156146.999999999.
CREATE MATERIALIZED VIEW views_rep_round AS
SELECT i AS customer_id, CASE WHEN i <= 10 THEN 'small' ELSE 'large' END AS segment,
	   CASE WHEN i <= 10 THEN 0.1::float8 ELSE 15614.5999999999::float8 END AS revenue
FROM generate_series(1, 20) AS i;
SELECT sum(revenue) AS float_sum FROM views_rep_round;
SELECT * FROM custseg.segment_report('views_rep_round');
SELECT pg_typeof(revenue) AS revenue, pg_typeof(customer_share) AS customer_share,
	   pg_typeof(revenue_share) AS revenue_share
FROM custseg.segment_report('views_rep_round') LIMIT 1;
DROP MATERIALIZED VIEW views_rep_round;

-- An empty view: no rows.
CREATE MATERIALIZED VIEW views_rep_empty AS SELECT * FROM views_rep WHERE false;
SELECT * FROM custseg.segment_report('views_rep_empty', 1);

-- Bad input.
SELECT * FROM custseg.segment_report(NULL);
SELECT * FROM custseg.segment_report('views_rep', NULL);
SELECT * FROM custseg.segment_report('views_rep', 0);
SELECT * FROM custseg.segment_report('views_rep', -5);
CREATE TABLE views_rep_table AS SELECT * FROM views_rep;
SELECT * FROM custseg.segment_report('views_rep_table');
SELECT * FROM custseg.segment_report('no_such_view');
CREATE MATERIALIZED VIEW views_rep_bare AS SELECT customer_id, segment FROM views_rep;
SELECT * FROM custseg.segment_report('views_rep_bare');
REFRESH MATERIALIZED VIEW views_rep3 WITH NO DATA;
SELECT * FROM custseg.segment_report('views_rep3');

DROP MATERIALIZED VIEW views_rep3, views_rep_empty, views_rep_bare;
DROP MATERIALIZED VIEW views_rep;
DROP TABLE views_rep_table;
