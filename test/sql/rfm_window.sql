-- custseg.rfm_score(recency, frequency, monetary [, bins [, method]]) OVER (...)

CREATE TABLE rfm_w (id int, region text, r float8, f float8, m float8);
INSERT INTO rfm_w
SELECT i, CASE WHEN i % 3 = 0 THEN 'north' ELSE 'south' END,
       (i * 37) % 365, 1 + (i * i) % 11 % 6, round(((i * 7907) % 10000) / 10.0)
FROM generate_series(1, 3000) i;
INSERT INTO rfm_w VALUES (3001, 'north', NULL, 1, 1), (3002, 'south', 5, NULL, 1),
                         (3003, 'east', 1, 1, NULL);

-- Scores against the whole table, for the first rows.
SELECT id, r, f, m, (custseg.rfm_score(r, f, m) OVER ()).*
FROM rfm_w ORDER BY id LIMIT 8;

-- Equal to the two-step form, for every method, bins and partitioning; rows
-- with a NULL dimension score NULL and do not count.
SELECT count(*) AS rows,
       count(*) FILTER (WHERE w IS NOT DISTINCT FROM s) AS equal,
       count(*) FILTER (WHERE w IS NULL) AS nulls
FROM (SELECT custseg.rfm_score(r, f, m) OVER () AS w,
             custseg.rfm_score((SELECT custseg.rfm_thresholds(r, f, m) FROM rfm_w), r, f, m) AS s
      FROM rfm_w) x;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE w IS NOT DISTINCT FROM s) AS equal
FROM (SELECT custseg.rfm_score(r, f, m, 4, 'rfm') OVER () AS w,
             custseg.rfm_score((SELECT custseg.rfm_thresholds(r, f, m, 4, 'rfm') FROM rfm_w), r, f, m) AS s
      FROM rfm_w) x;
SELECT region, count(*) AS rows,
       count(*) FILTER (WHERE w IS NOT DISTINCT FROM s) AS equal,
       count(*) FILTER (WHERE w IS NULL) AS nulls
FROM (SELECT w.region, custseg.rfm_score(r, f, m, 3) OVER (PARTITION BY w.region) AS w,
             custseg.rfm_score(t.t, r, f, m) AS s
      FROM rfm_w w
      LEFT JOIN (SELECT region, custseg.rfm_thresholds(r, f, m, 3) t FROM rfm_w GROUP BY region) t
        ON t.region = w.region) x
GROUP BY region ORDER BY region;

-- The ORDER BY of the window does not matter: the whole partition counts.
SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b) AS differ
FROM (SELECT custseg.rfm_score(r, f, m, 5, 'quantile') OVER (ORDER BY id) AS a,
             custseg.rfm_score(r, f, m, 5, 'quantile') OVER (ORDER BY m DESC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS b
      FROM rfm_w) x;

-- Score distribution per region.
SELECT region, (s).r, count(*)
FROM (SELECT region, custseg.rfm_score(r, f, m) OVER (PARTITION BY region) s FROM rfm_w) x
GROUP BY 1, 2 ORDER BY 1, 2;

-- One customer, all equal, empty.
SELECT (custseg.rfm_score(3, 2, 1) OVER ()).*;
SELECT (custseg.rfm_score(3, 2, 1, 5, 'rfm') OVER ()).*;
SELECT DISTINCT (custseg.rfm_score(7, 7, 7) OVER ()).* FROM generate_series(1, 10);
SELECT (custseg.rfm_score(r, f, m) OVER ()).* FROM rfm_w WHERE false;

-- Bad input.
SELECT custseg.rfm_score(r, f, m) OVER () FROM (VALUES (1::float8, 1::float8, 1::float8), ('NaN', 1, 1)) v(r, f, m);
SELECT custseg.rfm_score(r, f, m) OVER () FROM (VALUES (1::float8, 1::float8, 1::float8), (1, 'Infinity', 1)) v(r, f, m);
SELECT custseg.rfm_score(r, f, m) OVER () FROM (VALUES (1, 1, 1), (-1, 1, 1)) v(r, f, m);
SELECT custseg.rfm_score(r, f, m) OVER () FROM (VALUES (1, 1, 1), (1, -1, 1)) v(r, f, m);
SELECT custseg.rfm_score(1, 1, 1, 1) OVER ();
SELECT custseg.rfm_score(1, 1, 1, 11) OVER ();
SELECT custseg.rfm_score(1, 1, 1, NULL) OVER ();
SELECT custseg.rfm_score(1, 1, 1, 5, 'ntile') OVER ();
SELECT custseg.rfm_score(1, 1, 1, 5, NULL) OVER ();
SELECT custseg.rfm_score(r, f, m, 2 + id % 2) OVER () FROM rfm_w;
SELECT custseg.rfm_score(r, f, m, 5, CASE WHEN id < 10 THEN 'rfm' ELSE 'quantile' END) OVER () FROM rfm_w;

DROP TABLE rfm_w;
