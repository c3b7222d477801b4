-- custseg.describe(thresholds, digits): the range of values of every score,
-- cut points rounded to 6 significant digits, or more where fewer would
-- make two look equal (docs/rfm.md).
\set SHOW_CONTEXT never
\pset null '(null)'

SELECT * FROM custseg.describe(custseg.rfm_thresholds(ARRAY[30, 90, 180, 365], ARRAY[2, 3, 5, 10],
													  ARRAY[50, 100, 250, 1000]));

-- A cut point that prints as 31.759999999999998 in the exact text form
-- reads 31.76; fewer cut points than bins - 1 give fewer scores, none gives
-- one score for any value.
SELECT '{"method": "quantile", "bins": 3, "recency": [31.759999999999998], "frequency": [], "monetary": [2, 3]}'::custseg.rfm_thresholds;
SELECT * FROM custseg.describe('{"method": "quantile", "bins": 3, "recency": [31.759999999999998], "frequency": [], "monetary": [2, 3]}');

-- Rounded to 3 digits where 3 keep the cut points apart, to 8 where they
-- would not (1.0000001 and 1.0000002); negative and zero cut points.
SELECT * FROM custseg.describe('{"method": "quantile", "bins": 4, "recency": [1.0000001, 1.0000002, 2], "frequency": [], "monetary": [-5.55555, 0, 123456789]}', 3);

-- Thresholds computed from customers, both methods: with all 15 digits,
-- every customer's score lies in the range described for it.
CREATE TEMP TABLE describe_customers AS
SELECT i AS id, (i * 7919 % 365) + 0.1 * (i % 10) AS recency, 1 + i % 9 AS frequency,
	   round((i * 104729 % 1000) / 3.0, 2) AS monetary
FROM generate_series(1, 200) i;
SELECT t.method, count(*) AS customers,
	   count(*) FILTER (WHERE (d_r.lower IS NULL OR c.recency >= d_r.lower) AND (d_r.upper IS NULL OR c.recency < d_r.upper)
						  AND (d_f.lower IS NULL OR c.frequency >= d_f.lower) AND (d_f.upper IS NULL OR c.frequency < d_f.upper)
						  AND (d_m.lower IS NULL OR c.monetary >= d_m.lower) AND (d_m.upper IS NULL OR c.monetary < d_m.upper)) AS in_range
FROM (SELECT m AS method, custseg.rfm_thresholds(recency, frequency, monetary, 5, m) AS th
	  FROM describe_customers, (VALUES ('quantile'), ('rfm')) v(m) GROUP BY m) t
CROSS JOIN describe_customers c
CROSS JOIN LATERAL (SELECT custseg.rfm_score(t.th, c.recency, c.frequency, c.monetary) AS s) sc
JOIN custseg.describe(t.th, 15) d_r ON d_r.dimension = 'recency' AND d_r.score = (sc.s).r
JOIN custseg.describe(t.th, 15) d_f ON d_f.dimension = 'frequency' AND d_f.score = (sc.s).f
JOIN custseg.describe(t.th, 15) d_m ON d_m.dimension = 'monetary' AND d_m.score = (sc.s).m
GROUP BY t.method ORDER BY 1;

-- Bad input.
SELECT * FROM custseg.describe(NULL);
SELECT * FROM custseg.describe(custseg.rfm_thresholds(ARRAY[1, 2, 3, 4]::float8[], ARRAY[1, 2, 3, 4]::float8[], ARRAY[1, 2, 3, 4]::float8[]), NULL);
SELECT * FROM custseg.describe(custseg.rfm_thresholds(ARRAY[1, 2, 3, 4]::float8[], ARRAY[1, 2, 3, 4]::float8[], ARRAY[1, 2, 3, 4]::float8[]), 0);
SELECT * FROM custseg.describe(custseg.rfm_thresholds(ARRAY[1, 2, 3, 4]::float8[], ARRAY[1, 2, 3, 4]::float8[], ARRAY[1, 2, 3, 4]::float8[]), 16);
