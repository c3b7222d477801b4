-- Comparing custseg.rfm_thresholds: =, <>, <, <=, >, >=, custseg.rfm_thresholds_cmp
-- and the default btree operator class (DISTINCT, GROUP BY, ORDER BY, indexes).
CREATE TABLE rfm_cmp (id int, t custseg.rfm_thresholds);
INSERT INTO rfm_cmp VALUES
 (1, '{"method": "quantile", "bins": 3, "recency": [10, 20], "frequency": [2, 3], "monetary": [50, 100]}'),
 (2, '{"method": "quantile", "bins": 3, "recency": [10, 20], "frequency": [2, 3], "monetary": [50, 100]}'),
 -- -0 and 0 are the same cut point
 (3, '{"method": "quantile", "bins": 3, "recency": [-0, 20], "frequency": [2, 3], "monetary": [50, 100]}'),
 (4, '{"method": "quantile", "bins": 3, "recency": [0, 20], "frequency": [2, 3], "monetary": [50, 100]}'),
 -- fewer cut points: a prefix sorts first
 (5, '{"method": "quantile", "bins": 3, "recency": [10], "frequency": [2, 3], "monetary": [50, 100]}'),
 (6, '{"method": "quantile", "bins": 4, "recency": [10, 20], "frequency": [2, 3], "monetary": [50, 100]}'),
 (7, '{"method": "rfm", "bins": 3, "recency": [10, 20], "frequency": [2, 3], "monetary": [50, 100]}'),
 (8, '{"method": "custom", "bins": 3, "recency": [10, 20], "frequency": [2, 3], "monetary": [50, 100]}'),
 (9, '{"method": "quantile", "bins": 3, "recency": [10, 20], "frequency": [2, 3], "monetary": [50, 101]}'),
 (10, NULL);

-- The operators live in schema custseg: on the search path, or spelled
-- OPERATOR(custseg.=).  Sorting, DISTINCT and GROUP BY need neither.
SELECT a.t OPERATOR(custseg.=) b.t AS eq FROM rfm_cmp a, rfm_cmp b WHERE a.id = 1 AND b.id = 2;
SET search_path = public, custseg;
SELECT a.id, b.id, a.t = b.t AS eq, a.t <> b.t AS ne, a.t < b.t AS lt, a.t <= b.t AS le,
       a.t > b.t AS gt, a.t >= b.t AS ge, custseg.rfm_thresholds_cmp(a.t, b.t) AS cmp
FROM rfm_cmp a, rfm_cmp b
WHERE a.id IN (1, 3, 5, 10) AND b.id IN (2, 4, 6, 7, 8, 9)
ORDER BY 1, 2;
RESET search_path;

SELECT id, t FROM rfm_cmp ORDER BY t, id;
SELECT count(DISTINCT t) AS distinct_thresholds, count(t) AS thresholds FROM rfm_cmp;
SELECT t, count(*) FROM rfm_cmp GROUP BY t HAVING count(*) > 1 ORDER BY t;

SET search_path = public, custseg;
-- thresholds computed twice from the same customers are equal
SELECT custseg.rfm_thresholds(i % 7, i % 3, i) = custseg.rfm_thresholds(i % 7, i % 3, i::float8 + 0)
       AS same,
       custseg.rfm_thresholds(i % 7, i % 3, i) = custseg.rfm_thresholds(i % 7, i % 3, i, 4) AS other_bins
FROM generate_series(1, 100) i;

-- a btree index, used for equality
CREATE INDEX ON rfm_cmp (t);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM rfm_cmp
WHERE t = '{"method": "rfm", "bins": 3, "recency": [10, 20], "frequency": [2, 3], "monetary": [50, 100]}';
SELECT id FROM rfm_cmp
WHERE t = '{"method": "rfm", "bins": 3, "recency": [10, 20], "frequency": [2, 3], "monetary": [50, 100]}';
RESET enable_seqscan;
RESET search_path;
DROP TABLE rfm_cmp;
