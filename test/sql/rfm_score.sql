-- custseg.rfm_score(thresholds, recency, frequency, monetary)

-- Stored thresholds: scores stay comparable across refreshes.
CREATE TABLE rfm_s_thresholds (name text PRIMARY KEY, t custseg.rfm_thresholds);
INSERT INTO rfm_s_thresholds VALUES
  ('custom', custseg.rfm_thresholds(ARRAY[30, 90, 180, 365], ARRAY[2, 3, 5, 10], ARRAY[50, 100, 250, 1000])),
  ('rfm', '{"method": "rfm", "bins": 5, "recency": [115, 181, 297.4, 482], "frequency": [4, 5, 5, 8], "monetary": [255.8, 382, 506.4, 666]}'),
  ('sparse', '{"method": "quantile", "bins": 5, "recency": [10], "frequency": [], "monetary": [0, 100, 200]}');
SELECT name, t FROM rfm_s_thresholds ORDER BY name;

-- Every score 1 .. bins, higher is better; cuts belong to the bin above them.
SELECT v.r, v.f, v.m, (custseg.rfm_score(t, v.r, v.f, v.m)).*
FROM rfm_s_thresholds,
     (VALUES (0, 0, -100), (29.9, 1, 49.99), (30, 2, 50), (89, 2.5, 99), (90, 3, 100),
             (364, 9, 999), (365, 10, 1000), (100000, 1000, 1e9)) v(r, f, m)
WHERE name = 'custom';

-- 'rfm' cuts may repeat: frequency 5 skips score 3; values below the lowest or
-- at or above the highest cut get the end scores.
SELECT v.r, v.f, v.m, (custseg.rfm_score(t, v.r, v.f, v.m)).*
FROM rfm_s_thresholds,
     (VALUES (0, 0, 0), (114, 3, 255), (115, 4, 255.8), (297.4, 5, 506.4),
             (482, 7, 666), (10000, 8, 1e6)) v(r, f, m)
WHERE name = 'rfm';

-- Fewer cuts than bins - 1: the unused scores are the top ones.
SELECT v.r, v.f, v.m, (custseg.rfm_score(t, v.r, v.f, v.m)).*
FROM rfm_s_thresholds, (VALUES (0, 1, -5), (10, 50, 0), (9.5, 0, 150), (11, 2, 1e9)) v(r, f, m)
WHERE name = 'sparse';

-- The two-step form on a table equals the window form (see rfm_window).
CREATE TABLE rfm_s_customers AS
SELECT i AS id, (i * 13) % 50 AS r, 1 + i % 4 AS f, (i * 17) % 300 AS m
FROM generate_series(1, 40) i;
SELECT (custseg.rfm_score(t, r, f, m)).cell, count(*)
FROM rfm_s_customers, (SELECT custseg.rfm_thresholds(r, f, m, 3) t FROM rfm_s_customers) x
GROUP BY 1 ORDER BY 1;

-- NULL in, NULL out (strict).
SELECT custseg.rfm_score(t, NULL, 1, 1) IS NULL AS null_r,
       custseg.rfm_score(t, 1, NULL, 1) IS NULL AS null_f,
       custseg.rfm_score(t, 1, 1, NULL) IS NULL AS null_m,
       custseg.rfm_score(NULL::custseg.rfm_thresholds, 1, 1, 1) IS NULL AS null_t
FROM rfm_s_thresholds WHERE name = 'custom';

-- Bad input.
SELECT custseg.rfm_score(t, 'NaN', 1, 1) FROM rfm_s_thresholds WHERE name = 'custom';
SELECT custseg.rfm_score(t, 1, 'Infinity', 1) FROM rfm_s_thresholds WHERE name = 'custom';
SELECT custseg.rfm_score(t, 1, 1, '-Infinity') FROM rfm_s_thresholds WHERE name = 'custom';
SELECT custseg.rfm_score(t, -1, 1, 1) FROM rfm_s_thresholds WHERE name = 'custom';
SELECT custseg.rfm_score(t, 1, -0.5, 1) FROM rfm_s_thresholds WHERE name = 'custom';
SELECT (custseg.rfm_score(t, 1, 1, -1e6)).* FROM rfm_s_thresholds WHERE name = 'custom';

DROP TABLE rfm_s_thresholds, rfm_s_customers;
