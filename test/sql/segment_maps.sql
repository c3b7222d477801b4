-- Built-in segment maps 'rfm' and 'rfm11': labels, rules, audit, errors.
\pset null '(null)'

-- A view of a whole 5-bin map: one row per (r, f), one column per m.
CREATE TEMP TABLE cells AS
SELECT r, f, m FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m;

-- 'rfm': every cell, as the first matching rule of the ten labels it.
SELECT r, f,
	   max(s) FILTER (WHERE m = 1) AS m1, max(s) FILTER (WHERE m = 2) AS m2,
	   max(s) FILTER (WHERE m = 3) AS m3, max(s) FILTER (WHERE m = 4) AS m4,
	   max(s) FILTER (WHERE m = 5) AS m5
FROM (SELECT r, f, m, custseg.segment(r, f, m) AS s FROM cells) c
GROUP BY r, f ORDER BY r DESC, f DESC;

SELECT custseg.segment(r, f, m) AS segment, count(*) AS cells
FROM cells GROUP BY 1 ORDER BY 2 DESC, 1;

-- Spot checks: each rule at a cell it wins, and cells where an earlier
-- rule shadows a later one (444: Potential Loyalist before Loyal Customers).
SELECT cell, custseg.segment(cell / 100, cell / 10 % 10, cell % 10) AS segment
FROM unnest(ARRAY[555, 554, 355, 332, 551, 244, 422, 444, 313, 435, 511, 535, 415,
				  134, 245, 125, 155, 122, 133, 335, 211, 314, 112, 152, 215, 241, 111]) AS cell;

-- The default map is 'rfm'; map names are case sensitive.
SELECT custseg.segment(3, 3, 3) = custseg.segment(3, 3, 3, 'rfm') AS same;

SELECT * FROM custseg.segment_map_rules('rfm');

-- 'rfm' is no partition: the audit finds its gaps and its shadowed rules.
SELECT problem, count(*) FROM custseg.check_segment_map('rfm') GROUP BY 1 ORDER BY 1;
SELECT * FROM custseg.check_segment_map('rfm') WHERE problem = 'uncovered';
SELECT * FROM custseg.check_segment_map('rfm') WHERE r = 5 AND f = 5 AND m = 5;
SELECT priority, other_segment, count(*) AS shadowed_cells
FROM custseg.check_segment_map('rfm') WHERE segment = 'Champions' OR other_segment = 'Lost'
GROUP BY 1, 2 ORDER BY 1, 2;

-- 'rfm11': every cell.
SELECT r, f,
	   max(s) FILTER (WHERE m = 1) AS m1, max(s) FILTER (WHERE m = 2) AS m2,
	   max(s) FILTER (WHERE m = 3) AS m3, max(s) FILTER (WHERE m = 4) AS m4,
	   max(s) FILTER (WHERE m = 5) AS m5
FROM (SELECT r, f, m, custseg.segment(r, f, m, 'rfm11') AS s FROM cells) c
GROUP BY r, f ORDER BY r DESC, f DESC;

SELECT custseg.segment(r, f, m, 'rfm11') AS segment, count(*) AS cells
FROM cells GROUP BY 1 ORDER BY 2 DESC, 1;

-- 'rfm11' is a partition: each of the 125 cells lies in exactly one rule ...
SELECT count(*) AS cells, min(n) AS min_rules, max(n) AS max_rules, sum(n) AS pairs
FROM (SELECT count(x.priority) AS n
	  FROM cells c LEFT JOIN custseg.segment_map_rules('rfm11') x
		ON c.r BETWEEN x.r_min AND x.r_max AND c.f BETWEEN x.f_min AND x.f_max
		   AND c.m BETWEEN x.m_min AND x.m_max
	  GROUP BY c.r, c.f, c.m) per_cell;

-- ... so the audit reports nothing, for 5 bins and for fewer.
SELECT count(*) AS problems FROM custseg.check_segment_map('rfm11');
SELECT count(*) AS problems FROM custseg.check_segment_map('rfm11', 5);
SELECT * FROM custseg.check_segment_map('rfm11', 2) ORDER BY priority LIMIT 3;

-- ... and it is the R x FM grid: one segment per (R, FM band), FM band from F + M.
SELECT r, band,
	   string_agg(DISTINCT custseg.segment(r, f, m, 'rfm11'), ', ') AS segments
FROM (SELECT r, f, m,
			 CASE WHEN f + m <= 3 THEN 1 WHEN f + m <= 5 THEN 2 WHEN f + m = 6 THEN 3
				  WHEN f + m <= 8 THEN 4 ELSE 5 END AS band
	  FROM cells) c
GROUP BY r, band ORDER BY r DESC, band;

SELECT count(*) AS rules, count(DISTINCT segment) AS segments,
	   min(priority) AS first, max(priority) AS last
FROM custseg.segment_map_rules('rfm11');

-- The composite form uses r, f and m; cell is ignored.
SELECT custseg.segment(ROW(5, 5, 5, 555, 5)::custseg.rfm_score) AS champions,
	   custseg.segment(ROW(1, 1, 1, 999, NULL)::custseg.rfm_score) AS lost_despite_cell,
	   custseg.segment(ROW(5, 1, 1, NULL, 5)::custseg.rfm_score, 'rfm11') AS new_customers,
	   custseg.segment(ROW(2, 5, 5, 255, 5)::custseg.rfm_score, 'rfm11') AS cant_lose_them;
SELECT custseg.segment(s) AS segment, count(*)
FROM (SELECT ROW(r, f, m, 100 * r + 10 * f + m, 5)::custseg.rfm_score AS s FROM cells) c
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3;

-- NULL in, NULL out.
SELECT custseg.segment(NULL, 1, 1) AS r_null, custseg.segment(1, NULL, 1) AS f_null,
	   custseg.segment(1, 1, NULL) AS m_null, custseg.segment(1, 1, 1, NULL) AS map_null;
SELECT custseg.segment(NULL::custseg.rfm_score) AS score_null,
	   custseg.segment(ROW(NULL, 1, 1, 11, 5)::custseg.rfm_score) AS r_null,
	   custseg.segment(ROW(1, NULL, 1, 101, 5)::custseg.rfm_score) AS f_null,
	   custseg.segment(ROW(1, 1, NULL, 110, 5)::custseg.rfm_score) AS m_null,
	   custseg.segment(ROW(1, 1, 1, 111, 5)::custseg.rfm_score, NULL) AS map_null;
SELECT count(*) FROM custseg.segment_map_rules(NULL);
SELECT count(*) FROM custseg.check_segment_map(NULL);
SELECT count(*) FROM custseg.check_segment_map('rfm', NULL);

-- Scores outside 1 .. 10.
SELECT custseg.segment(0, 1, 1);
SELECT custseg.segment(1, 11, 1);
SELECT custseg.segment(1, 1, -3);
SELECT custseg.segment(-2147483648, 1, 1, 'rfm11');
SELECT custseg.segment(ROW(5, 0, 5, 505, 5)::custseg.rfm_score);

-- Built-in maps are for 5 bins.
SELECT custseg.segment(6, 1, 1);
SELECT custseg.segment(1, 1, 10, 'rfm11');
SELECT custseg.segment(ROW(5, 6, 5, 565, 5)::custseg.rfm_score, 'rfm11');
SELECT * FROM custseg.check_segment_map('rfm', 6);

-- Unknown maps.
SELECT custseg.segment(1, 1, 1, 'RFM');
SELECT custseg.segment(1, 1, 1, '');
SELECT custseg.segment(ROW(1, 1, 1, 111, 5)::custseg.rfm_score, 'no such map');
SELECT * FROM custseg.segment_map_rules('rfm12');
SELECT * FROM custseg.check_segment_map('rfm12');

-- Bad bins.
SELECT * FROM custseg.check_segment_map('rfm11', 1);
SELECT * FROM custseg.check_segment_map('rfm11', 11);
SELECT * FROM custseg.check_segment_map('rfm11', -5);

DROP TABLE cells;

-- A score carries its bins: the built-in maps (for 5 bins) refuse scores on
-- other bins, even when every score is within 1 .. 5.
CREATE TEMP TABLE maps_bins_orders AS
SELECT c AS customer, date '2024-01-01' + (c * i) % 200 AS t, 10 * c AS amount
FROM generate_series(1, 30) c, generate_series(1, 1 + c % 4) i;
CREATE TEMP TABLE maps_bins_scores AS
SELECT customer, custseg.rfm_score(s, 3) OVER () AS three, custseg.rfm_score(s) OVER () AS five
FROM (SELECT customer, custseg.summarize(t, amount, date '2024-12-31') AS s
	  FROM maps_bins_orders GROUP BY customer) x;
SELECT (three).bins AS three_bins, (five).bins AS five_bins, count(*)
FROM maps_bins_scores GROUP BY 1, 2;
SELECT custseg.segment(three) FROM maps_bins_scores LIMIT 1;
SELECT custseg.segment(three, 'rfm11') FROM maps_bins_scores LIMIT 1;
SELECT count(custseg.segment(five)) AS labelled FROM maps_bins_scores;
-- Bins outside 2 .. 10; a NULL bins (a row made by hand) is checked by its
-- scores alone.
SELECT custseg.segment(ROW(1, 1, 1, 111, 11)::custseg.rfm_score);
SELECT custseg.segment(ROW(1, 1, 1, 111, 1)::custseg.rfm_score);
SELECT custseg.segment(ROW(5, 5, 5, 555, NULL)::custseg.rfm_score) AS undeclared;

-- User maps declare their bins (column bins, the same in every rule): a map
-- for 3 bins labels scores on 3 bins and refuses others; a map without
-- bins labels any scores that fit its rules.
INSERT INTO custseg.segment_rules (map, priority, segment, r_min, r_max, f_min, f_max, m_min, m_max, bins) VALUES
	('maps_three', 1, 'Top', 3, 3, 1, 3, 1, 3, 3),
	('maps_three', 2, 'Rest', 1, 2, 1, 3, 1, 3, 3),
	('maps_any', 1, 'Anyone', 1, 10, 1, 10, 1, 10, NULL);
SELECT custseg.segment(three, 'maps_three') AS segment, count(*)
FROM maps_bins_scores GROUP BY 1 ORDER BY 1;
SELECT custseg.segment(five, 'maps_three') FROM maps_bins_scores LIMIT 1;
SELECT custseg.segment(ROW(3, 3, 3, 333, NULL)::custseg.rfm_score, 'maps_three') AS undeclared_score;
SELECT custseg.segment(ROW(4, 1, 1, 411, NULL)::custseg.rfm_score, 'maps_three');
SELECT count(*) FILTER (WHERE custseg.segment(three, 'maps_any') = 'Anyone') AS three,
	   count(*) FILTER (WHERE custseg.segment(five, 'maps_any') = 'Anyone') AS five
FROM maps_bins_scores;
-- Bins the rules do not fit, outside 2 .. 10, or different across a map's
-- rules.
INSERT INTO custseg.segment_rules VALUES ('maps_bad', 1, 'X', 1, 5, 1, 3, 1, 3, 3);
INSERT INTO custseg.segment_rules VALUES ('maps_bad', 1, 'X', 1, 1, 1, 1, 1, 1, 11);
INSERT INTO custseg.segment_rules VALUES ('maps_bad', 1, 'X', 1, 1, 1, 1, 1, 1, 1);
INSERT INTO custseg.segment_rules VALUES ('maps_mixed', 1, 'X', 1, 3, 1, 3, 1, 3, 3),
										 ('maps_mixed', 2, 'Y', 1, 4, 1, 4, 1, 4, 4);
SELECT custseg.segment(1, 1, 1, 'maps_mixed');
UPDATE custseg.segment_rules SET bins = NULL WHERE map = 'maps_mixed' AND priority = 2;
SELECT custseg.segment(1, 1, 1, 'maps_mixed');
DELETE FROM custseg.segment_rules WHERE map IN ('maps_three', 'maps_any', 'maps_mixed');
