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
SELECT custseg.segment(ROW(5, 5, 5, 555)::custseg.rfm_score) AS champions,
	   custseg.segment(ROW(1, 1, 1, 999)::custseg.rfm_score) AS lost_despite_cell,
	   custseg.segment(ROW(5, 1, 1, NULL)::custseg.rfm_score, 'rfm11') AS new_customers,
	   custseg.segment(ROW(2, 5, 5, 255)::custseg.rfm_score, 'rfm11') AS cant_lose_them;
SELECT custseg.segment(s) AS segment, count(*)
FROM (SELECT ROW(r, f, m, 100 * r + 10 * f + m)::custseg.rfm_score AS s FROM cells) c
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3;

-- NULL in, NULL out.
SELECT custseg.segment(NULL, 1, 1) AS r_null, custseg.segment(1, NULL, 1) AS f_null,
	   custseg.segment(1, 1, NULL) AS m_null, custseg.segment(1, 1, 1, NULL) AS map_null;
SELECT custseg.segment(NULL::custseg.rfm_score) AS score_null,
	   custseg.segment(ROW(NULL, 1, 1, 11)::custseg.rfm_score) AS r_null,
	   custseg.segment(ROW(1, NULL, 1, 101)::custseg.rfm_score) AS f_null,
	   custseg.segment(ROW(1, 1, NULL, 110)::custseg.rfm_score) AS m_null,
	   custseg.segment(ROW(1, 1, 1, 111)::custseg.rfm_score, NULL) AS map_null;
SELECT count(*) FROM custseg.segment_map_rules(NULL);
SELECT count(*) FROM custseg.check_segment_map(NULL);
SELECT count(*) FROM custseg.check_segment_map('rfm', NULL);

-- Scores outside 1 .. 10.
SELECT custseg.segment(0, 1, 1);
SELECT custseg.segment(1, 11, 1);
SELECT custseg.segment(1, 1, -3);
SELECT custseg.segment(-2147483648, 1, 1, 'rfm11');
SELECT custseg.segment(ROW(5, 0, 5, 505)::custseg.rfm_score);

-- Built-in maps are for 5 bins.
SELECT custseg.segment(6, 1, 1);
SELECT custseg.segment(1, 1, 10, 'rfm11');
SELECT custseg.segment(ROW(5, 6, 5, 565)::custseg.rfm_score, 'rfm11');
SELECT * FROM custseg.check_segment_map('rfm', 6);

-- Unknown maps.
SELECT custseg.segment(1, 1, 1, 'RFM');
SELECT custseg.segment(1, 1, 1, '');
SELECT custseg.segment(ROW(1, 1, 1, 111)::custseg.rfm_score, 'no such map');
SELECT * FROM custseg.segment_map_rules('rfm12');
SELECT * FROM custseg.check_segment_map('rfm12');

-- Bad bins.
SELECT * FROM custseg.check_segment_map('rfm11', 1);
SELECT * FROM custseg.check_segment_map('rfm11', 11);
SELECT * FROM custseg.check_segment_map('rfm11', -5);

DROP TABLE cells;
