-- k-means on the CDNOW customers (test/data/README.md), side by side with
-- RFM segments: the default seed against ten others, choosing k, the
-- cross-tab of segments and clusters (docs/kmeans.md).
\pset null NULL
CREATE TABLE cdnow_raw (line text);
\copy cdnow_raw FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE cdnow AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD') AS day, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM cdnow_raw) s;
CREATE TABLE cdnow_customers AS
SELECT id, s, ARRAY[(s).recency_days, (s).orders, (s).revenue] AS rfm
FROM (SELECT id, custseg.summarize(day, amount, date '1998-06-30') AS s
	  FROM cdnow GROUP BY id) c;
SELECT count(*) AS customers, count(DISTINCT rfm) AS distinct_points FROM cdnow_customers;

-- The default seed (0) is within 1% of the best of seeds 1 .. 10, for
-- k = 2 .. 8, standardized and with log1p on frequency and monetary.
SELECT transform, k,
	   round((min(inertia) FILTER (WHERE seed = 0) / min(inertia) FILTER (WHERE seed > 0))::numeric, 4) AS ratio,
	   min(inertia) FILTER (WHERE seed = 0) <= 1.01 * min(inertia) FILTER (WHERE seed > 0) AS within_1_percent,
	   bool_and(converged) AS converged
FROM (SELECT transform, k, seed, (m).inertia, (m).converged
	  FROM (SELECT t.transform, k, seed,
				   custseg.kmeans(rfm, k, seed, 100, t.log_features) AS m
			FROM cdnow_customers,
				 generate_series(2, 8) k, generate_series(0, 10) seed,
				 (VALUES ('standardized', ARRAY[false, false, false]),
						 ('log1p f, m', ARRAY[false, true, true])) t(transform, log_features)
			GROUP BY 1, 2, 3) f) s
GROUP BY transform, k ORDER BY transform DESC, k;

-- Choosing k: inertia falls with every k; the silhouette of a sample of
-- 2000 customers peaks where the clusters separate best.
SELECT c.k, round(c.inertia::numeric, 1) AS inertia, round(c.silhouette::numeric, 3) AS silhouette,
	   c.iterations, c.converged
FROM (SELECT custseg.kmeans_choose_k(rfm, 1, 8, 0, 100, ARRAY[false, true, true]) AS a
	  FROM cdnow_customers) s, unnest(s.a) c;

-- Four clusters on log-transformed frequency and monetary: every cluster's
-- size and mean customer in the original units.
CREATE TABLE cdnow_model AS
SELECT custseg.kmeans(rfm, 4, 0, 100, ARRAY[false, true, true]) AS m FROM cdnow_customers;
SELECT (m).k, (m).customers, (m).iterations, (m).converged, round((m).inertia::numeric, 3) AS inertia
FROM cdnow_model;
SELECT c AS cluster, (m).sizes[c] AS customers,
	   round((m).centroids[c][1]::numeric, 1) AS recency_days,
	   round((m).centroids[c][2]::numeric, 2) AS orders,
	   round((m).centroids[c][3]::numeric, 2) AS revenue
FROM cdnow_model, generate_series(1, (m).k) c ORDER BY c;

-- The cross-tab of RFM segments (5 quantile bins, map 'rfm') and clusters.
WITH labelled AS (
	SELECT custseg.segment(custseg.rfm_score(s) OVER ()) AS segment,
		   custseg.kmeans_assign(m, rfm) AS cluster
	FROM cdnow_customers, cdnow_model
)
SELECT segment, count(*) AS customers,
	   count(*) FILTER (WHERE cluster = 1) AS "1",
	   count(*) FILTER (WHERE cluster = 2) AS "2",
	   count(*) FILTER (WHERE cluster = 3) AS "3",
	   count(*) FILTER (WHERE cluster = 4) AS "4"
FROM labelled GROUP BY segment ORDER BY customers DESC, segment;

-- The model's sizes are what kmeans_assign gives the same customers.
SELECT (m).sizes = ARRAY(SELECT count(*) FROM cdnow_customers GROUP BY custseg.kmeans_assign(m, rfm)
						 ORDER BY custseg.kmeans_assign(m, rfm)) AS sizes_match
FROM cdnow_model;

DROP TABLE cdnow_raw, cdnow, cdnow_customers, cdnow_model;
