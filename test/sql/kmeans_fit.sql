-- custseg.kmeans and custseg.kmeans_assign: fits, labels, edge cases, bad input.
\pset null NULL

-- Nine customers in three tight groups of two features.
CREATE TABLE km_small (id int, x float8, y float8);
INSERT INTO km_small VALUES
	(1, 0, 0), (2, 0, 1), (3, 1, 0),
	(4, 10, 10), (5, 10, 11), (6, 11, 10),
	(7, 20, 0), (8, 20, 1), (9, 21, 0);

-- The whole model: centroids are the groups' means in the original units,
-- centers the same in standardized units ((x - mean) / sd, population sd).
SELECT (m).* FROM (SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small) s;
SELECT id, custseg.kmeans_assign(m, ARRAY[x, y]) AS cluster
FROM km_small, (SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small) s ORDER BY id;
-- kmeans_assign on the fitted customers reproduces the sizes; new points
-- go to the nearest centre.
SELECT (m).sizes,
	   ARRAY(SELECT count(*) FROM km_small GROUP BY custseg.kmeans_assign(m, ARRAY[x, y])
			 ORDER BY custseg.kmeans_assign(m, ARRAY[x, y])) AS assigned,
	   custseg.kmeans_assign(m, ARRAY[19, 2]) AS near_20_0,
	   custseg.kmeans_assign(m, ARRAY[-100, -100]) AS far_away
FROM (SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small) s;

-- Well-separated blobs are recovered exactly (up to label order), for every
-- seed: 5 blobs of 200 customers in 4 dimensions, 1 .. 200 apart.
CREATE TABLE km_blobs AS
SELECT b AS blob, i,
	   ARRAY[b * 40 + sin(i * 1.3), (b % 2) * 50 + cos(i * 0.7), (b / 2) * 30 + sin(i * 2.1),
			 b * b * 8 + cos(i * 1.9)] AS f
FROM generate_series(0, 4) b, generate_series(1, 200) i;
SELECT seed,
	   count(DISTINCT cluster) AS clusters,
	   count(DISTINCT (blob, cluster)) AS blob_cluster_pairs,
	   min(size) AS smallest, max(size) AS largest
FROM (SELECT seed, blob, custseg.kmeans_assign(m, f) AS cluster, ((m).sizes)[custseg.kmeans_assign(m, f)] AS size
	  FROM km_blobs,
		   (SELECT seed, custseg.kmeans(f, 5, seed) AS m
			FROM km_blobs, generate_series(0, 9) seed GROUP BY seed) s) a
GROUP BY seed ORDER BY seed;

-- k = 1: one cluster of everyone; its centroid is the mean, and the inertia
-- is customers x features (every standardized feature has variance 1).
SELECT (m).k, (m).sizes, (m).centroids, (m).inertia, (m).iterations, (m).converged,
	   (m).centers
FROM (SELECT custseg.kmeans(ARRAY[x, y], 1) AS m FROM km_small) s;

-- k = the number of distinct points: every point its own cluster, inertia 0.
SELECT (m).sizes, (m).inertia, (m).converged
FROM (SELECT custseg.kmeans(ARRAY[x, y], 9) AS m FROM km_small) s;
-- Duplicates count as customers: 3 distinct points, 6 customers.
SELECT (m).customers, (m).sizes, (m).centroids, (m).inertia
FROM (SELECT custseg.kmeans(ARRAY[x], 3) AS m
	  FROM (VALUES (1), (1), (1), (5), (5), (9)) v(x)) s;
-- k larger than the number of distinct points is an error.
SELECT custseg.kmeans(ARRAY[x], 4) FROM (VALUES (1), (1), (1), (5), (5), (9)) v(x);

-- One customer; all-equal customers (a constant feature has sd 1, centre 0).
SELECT (m).* FROM (SELECT custseg.kmeans(ARRAY[3.5, -2], 1) AS m) s;
SELECT (m).sizes, (m).inertia, (m).means, (m).sds, (m).centers
FROM (SELECT custseg.kmeans(ARRAY[7, -1.5], 1) AS m FROM generate_series(1, 5)) s;
SELECT custseg.kmeans(ARRAY[7, -1.5], 2) FROM generate_series(1, 5);
SELECT (m).sizes, (m).means, (m).sds, (m).centers
FROM (SELECT custseg.kmeans(ARRAY[7, y], 2) AS m
	  FROM (VALUES (1), (2), (3), (10)) v(y)) s;

-- Empty input and only left-out customers: NULL.  A NULL array, or an
-- array with a NULL element, leaves the customer out.
SELECT custseg.kmeans(ARRAY[x, y], 2) IS NULL AS empty FROM km_small WHERE false;
SELECT custseg.kmeans(NULL::float8[], 2) IS NULL AS all_null FROM km_small;
SELECT (m).customers, (m).sizes
FROM (SELECT custseg.kmeans(f, 2) AS m
	  FROM (VALUES (ARRAY[1, 1]::float8[]), (ARRAY[2, 2]), (NULL), (ARRAY[NULL, 5]), (ARRAY[8, 9])) v(f)) s;
SELECT custseg.kmeans_assign(m, ARRAY[NULL, 1]) AS null_element,
	   custseg.kmeans_assign(m, NULL) AS null_array
FROM (SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small) s;

-- The seed: the same seed gives the same model; a model records its seed.
SELECT a = b AS same_model, (a).seed, (c).seed
FROM (SELECT custseg.kmeans(f, 4, 42) a, custseg.kmeans(f, 4, 42) b, custseg.kmeans(f, 4, -7) c
	  FROM km_blobs) s;
-- Rows in any order give the same model.
SELECT custseg.kmeans(f, 4 ORDER BY blob, i) = custseg.kmeans(f, 4 ORDER BY i DESC, blob) AS order_independent
FROM km_blobs;

-- max_iter: one update is too few here; the default 100 converges.
SELECT (m1).iterations, (m1).converged, (m100).iterations <= 100 AS within, (m100).converged,
	   (m1).inertia >= (m100).inertia AS no_better
FROM (SELECT custseg.kmeans(f, 3, 0, 1) m1, custseg.kmeans(f, 3, 0, 100) m100
	  FROM (SELECT ARRAY[i::float8, (i * i) % 17] AS f FROM generate_series(1, 300) i) x) s;

-- log_features: log1p before standardizing; centroids stay arithmetic means
-- in the original units.
SELECT (m).log_features, (m).means, (m).sizes, (m).centroids
FROM (SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 100, ARRAY[false, true]) AS m
	  FROM (VALUES (1, 0), (2, 1), (3, 10), (4, 100), (5, 1000), (6, 10000)) v(x, y)) s;
SELECT custseg.kmeans_assign(m, ARRAY[5, 5000]) AS big_y, custseg.kmeans_assign(m, ARRAY[2, 0]) AS small_y
FROM (SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 100, ARRAY[false, true]) AS m
	  FROM (VALUES (1, 0), (2, 1), (3, 10), (4, 100), (5, 1000), (6, 10000)) v(x, y)) s;

-- As a window aggregate the model grows row by row (the state stays valid
-- after each final call).
SELECT id, (m).sizes, (m).centroids
FROM (SELECT id, custseg.kmeans(ARRAY[x, y], 1) OVER (ORDER BY id) AS m
	  FROM km_small WHERE id <= 4) w ORDER BY id;

-- GROUP BY: a model per group.
SELECT x > 5 AS right_side, (custseg.kmeans(ARRAY[x, y], 2)).sizes
FROM km_small GROUP BY 1 ORDER BY 1;

-- Large magnitudes are standardized without overflow.
SELECT (m).sizes, (m).centroids
FROM (SELECT custseg.kmeans(ARRAY[x], 2) AS m
	  FROM (VALUES (1e300), (1.1e300), (-1e300), (-1.1e300)) v(x)) s;

-- kmeans_choose_k: each k is the model custseg.kmeans gives; with at most
-- 2000 customers the silhouette is over all of them, and equals the one
-- computed here in SQL from the standardized features and the labels.
CREATE TABLE km_choice AS
SELECT c.* FROM (SELECT custseg.kmeans_choose_k(f, 2, 6, 3) AS a FROM km_blobs) s, unnest(s.a) c;
SELECT c.k, c.inertia = (m).inertia AS same_inertia, c.iterations = (m).iterations AS same_iterations,
	   c.converged, round(c.silhouette::numeric, 6) AS silhouette
FROM km_choice c,
	 LATERAL (SELECT custseg.kmeans(f, c.k, 3) AS m FROM km_blobs) m
ORDER BY c.k;
CREATE FUNCTION pg_temp.silhouette_sql(k int) RETURNS float8 LANGUAGE sql AS $$
	WITH m AS (SELECT custseg.kmeans(f, k, 3) AS m FROM km_blobs),
	p AS (SELECT blob * 1000 + i AS id, custseg.kmeans_assign(m, f) AS c,
				 ARRAY(SELECT (f[j] - (m).means[j]) / (m).sds[j] FROM generate_series(1, 4) j) AS z
		  FROM km_blobs, m),
	d AS (SELECT a.id, a.c, b.c AS bc,
				 sqrt((a.z[1] - b.z[1]) ^ 2 + (a.z[2] - b.z[2]) ^ 2 + (a.z[3] - b.z[3]) ^ 2 + (a.z[4] - b.z[4]) ^ 2) AS dist
		  FROM p a JOIN p b ON a.id <> b.id),
	per AS (SELECT id, c, bc, avg(dist) AS md FROM d GROUP BY id, c, bc),
	s AS (SELECT id, max(md) FILTER (WHERE bc = c) AS a, min(md) FILTER (WHERE bc <> c) AS b
		  FROM per GROUP BY id)
	SELECT avg(CASE WHEN a IS NULL THEN 0 ELSE (b - a) / greatest(a, b) END) FROM s
$$;
SELECT k, abs(silhouette - pg_temp.silhouette_sql(k)) < 1e-9 AS silhouette_matches_sql
FROM km_choice WHERE k IN (2, 5) ORDER BY k;
-- k_min = 1: no silhouette for one cluster.
SELECT c.k, c.inertia, c.silhouette
FROM (SELECT custseg.kmeans_choose_k(ARRAY[x, y], 1, 2) AS a FROM km_small) s, unnest(s.a) c;

-- Bad input.
SELECT custseg.kmeans(ARRAY[x, 'NaN'], 2) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, 'Infinity'], 2) FROM km_small;
SELECT custseg.kmeans(ARRAY['-Infinity', y], 2) FROM km_small;
SELECT custseg.kmeans(CASE WHEN id = 5 THEN ARRAY[x] ELSE ARRAY[x, y] END, 2) FROM km_small;
SELECT custseg.kmeans(ARRAY[]::float8[], 2);
SELECT custseg.kmeans(ARRAY[[1, 2], [3, 4]]::float8[], 2);
SELECT custseg.kmeans(array_fill(1::float8, ARRAY[65]), 1);
SELECT custseg.kmeans(ARRAY[x, y], 0) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], -3) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 1001) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], NULL) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, NULL) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 0) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, 0, NULL) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2 + id % 2) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, id) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 10 + id) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 10, ARRAY[true]) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 10, ARRAY[true, NULL]) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 10, NULL) FROM km_small;
SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 10, ARRAY[id > 3, true]) FROM km_small;
SELECT custseg.kmeans(ARRAY[x - 5, y], 2, 0, 10, ARRAY[true, false]) FROM km_small;
SELECT custseg.kmeans(ARRAY[x], 2) FROM (VALUES (1e308), (1.5e308), (1.7e308)) v(x);
-- options are checked on left-out rows too
SELECT custseg.kmeans(NULL, 0);
SELECT custseg.kmeans(NULL::float8[], 2, 0, 10, ARRAY[true, false]) IS NULL AS left_out;

-- kmeans_assign: features must match the model.
SELECT custseg.kmeans_assign(m, ARRAY[1]) FROM (SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small) s;
SELECT custseg.kmeans_assign(m, ARRAY[1, 'NaN']::float8[]) FROM (SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small) s;
SELECT custseg.kmeans_assign(m, ARRAY['Infinity', 1]::float8[]) FROM (SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small) s;
SELECT custseg.kmeans_assign(m, ARRAY[1, -1]) FROM (SELECT custseg.kmeans(ARRAY[x, y], 2, 0, 10, ARRAY[false, true]) AS m FROM km_small) s;
SELECT custseg.kmeans_assign(m, ARRAY[1e308, -1e308]) FROM (SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small) s;
-- A model that custseg.kmeans did not make is checked.
CREATE TABLE km_models AS SELECT custseg.kmeans(ARRAY[x, y], 3) AS m FROM km_small;
SELECT custseg.kmeans_assign(m, ARRAY[1, 1]) AS stored FROM km_models;
SELECT custseg.kmeans_assign(m::text::custseg.kmeans_model, ARRAY[1, 1]) AS via_text,
	   m::text::custseg.kmeans_model = m AS text_round_trip FROM km_models;
UPDATE km_models SET m.k = 2;
SELECT custseg.kmeans_assign(m, ARRAY[1, 1]) FROM km_models;
UPDATE km_models SET m.k = 3, m.sds = ARRAY[1, 0];
SELECT custseg.kmeans_assign(m, ARRAY[1, 1]) FROM km_models;
UPDATE km_models SET m.sds = ARRAY[1, 1, 1];
SELECT custseg.kmeans_assign(m, ARRAY[1, 1]) FROM km_models;
UPDATE km_models SET m.sds = ARRAY[1, 1], m.means = NULL;
SELECT custseg.kmeans_assign(m, ARRAY[1, 1]) FROM km_models;
UPDATE km_models SET m.means = ARRAY[1, 'NaN']::float8[];
SELECT custseg.kmeans_assign(m, ARRAY[1, 1]) FROM km_models;
UPDATE km_models SET m.means = ARRAY[0, 0], m.centers = ARRAY[0, 0, 1, 1, 2, 2];
SELECT custseg.kmeans_assign(m, ARRAY[1, 1]) FROM km_models;
UPDATE km_models SET m.centers = ARRAY[[0, 0], [1, 1], [2, 2]], m.log_features = ARRAY[NULL, true]::boolean[];
SELECT custseg.kmeans_assign(m, ARRAY[1, 1]) FROM km_models;
UPDATE km_models SET m.log_features = ARRAY[false, false];
SELECT custseg.kmeans_assign(m, ARRAY[0.9, 1.2]) AS hand_made FROM km_models;

DROP TABLE km_small, km_blobs, km_models, km_choice;
