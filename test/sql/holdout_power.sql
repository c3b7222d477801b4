-- Planning a holdout: custseg.normal_quantile, custseg.holdout_size(_mean),
-- custseg.detectable_lift(_mean); and Holm's adjustment, custseg.holm.

-- The normal quantile (AS 241) against values computed with mpmath at 40
-- digits (and tabulated, e.g. Abramowitz and Stegun table 26.5:
-- 1.959964, 1.644854, 2.575829, 0.841621): relative error below 1e-15.
SELECT p::float8, q::float8, abs(custseg.normal_quantile(p) / q - 1) < 1e-15 AS accurate
FROM (VALUES (0.975, 1.9599639845400542355), (0.95, 1.6448536269514727149),
			 (0.995, 2.575829303548900761), (0.8, 0.84162123357291420518),
			 (0.9, 1.281551565544600467), (0.25, -0.6744897501960817432),
			 (0.001, -3.0902323061678135415), (1e-20, -9.2623400897984075737),
			 (1e-100, -21.273453560965324294), (1e-300, -37.04709629936119923655),
			 (0.6, 0.25334710313579974132), (0.999999, 4.7534243088170877657),
			 (0.02, -2.0537489106318230443)) v(p, q);
SELECT custseg.normal_quantile(0.5) AS centre,
	   custseg.normal_quantile(0.3) = -custseg.normal_quantile(0.7) AS symmetric;
-- Phi(quantile(p)) = p over a grid from 1e-12 to 1 - 1e-12, and the
-- quantile increases.  Phi is student_t_cdf with 1e300 degrees of freedom
-- (there its expansion in 1/df is the normal distribution, by erfc).
SELECT max(abs(custseg.student_t_cdf(custseg.normal_quantile(p), 1e300) / p - 1)) < 1e-13 AS round_trip,
	   bool_and(q2 > q1) AS increasing
FROM (SELECT p, custseg.normal_quantile(p) AS q1, custseg.normal_quantile(p * 1.0001) AS q2
	  FROM (SELECT 10 ^ (-12 + 12 * i / 2000.0) * 0.5 AS p FROM generate_series(0, 2000) i
			UNION ALL SELECT 1 - 10 ^ (-12 + 12 * i / 2000.0) * 0.5 FROM generate_series(1, 2000) i) g
	  WHERE p * 1.0001 < 1) s;
SELECT custseg.normal_quantile(0);
SELECT custseg.normal_quantile(1);
SELECT custseg.normal_quantile('NaN');
SELECT custseg.normal_quantile(NULL);

-- Sizes for rates.  R's power.prop.test(p1 = 0.50, p2 = 0.75, power =
-- 0.90), whose help page gives n = 76.7 per group (Fleiss, Levin and Paik,
-- formula 4.14 without continuity correction, for equal groups): 77 each.
SELECT * FROM custseg.holdout_size(0.5, 0.25, power => 0.9);
SELECT * FROM custseg.holdout_size(0.75, -0.25, power => 0.9);
-- From 8% to 10% with a 10% holdout (docs/uplift_guide.md): N =
-- (1.959964 sqrt(pbar qbar (1/0.9 + 1/0.1)) + 0.841621 sqrt(0.09/0.9 +
-- 0.0736/0.1))^2 / 0.02^2 with pbar = 0.098: N = 18386.54, 1838.65 held
-- out and 16547.89 treated.
SELECT * FROM custseg.holdout_size(0.08, 0.02, 0.1);
-- Sizes for means.  Lehr's rule (van Belle, Statistical Rules of Thumb,
-- rule 2.3): 16 / (lift / sd)^2 per group for 80% power at 5%; exactly
-- 2 (1.959964 + 0.841621)^2 = 15.69776, so 62.79 for half a standard
-- deviation: 63 each (Cohen's table 2.4.1, from the t distribution, has 64).
SELECT * FROM custseg.holdout_size_mean(1, 0.5);
SELECT * FROM custseg.holdout_size_mean(40, 20);
SELECT * FROM custseg.holdout_size_mean(100, 5, 0.2, 0.01, 0.9);

-- The smallest detectable lift, and that it inverts holdout_size.
SELECT round(custseg.detectable_lift(0.5, 77, 77, power => 0.9)::numeric, 6) AS rate_lift,
	   round(custseg.detectable_lift_mean(1, 63, 63)::numeric, 6) AS mean_lift,
	   round(custseg.detectable_lift_mean(1, 1000000, 1000000)::numeric, 8) AS large;
SELECT (custseg.holdout_size(0.08, custseg.detectable_lift(0.08, 16548, 1839))).*,
	   (custseg.holdout_size_mean(3, custseg.detectable_lift_mean(3, 4000, 1000, 0.05, 0.9), 0.2, 0.05, 0.9)).*;
-- Groups too small to detect any rate up to 1: NULL.
SELECT custseg.detectable_lift(0.5, 1, 1);

-- Bad input.
SELECT custseg.holdout_size(0, 0.1);
SELECT custseg.holdout_size(1, -0.1);
SELECT custseg.holdout_size(0.5, 0);
SELECT custseg.holdout_size(0.5, 0.5);
SELECT custseg.holdout_size(0.5, 0.1, 0);
SELECT custseg.holdout_size(0.5, 0.1, 1.5);
SELECT custseg.holdout_size(0.5, 0.1, 0.5, 0);
SELECT custseg.holdout_size(0.5, 0.1, 0.5, 1);
SELECT custseg.holdout_size(0.5, 0.1, 0.5, 0.05, 1);
SELECT custseg.holdout_size(0.5, 0.1, 0.5, 0.05, 0.02);
SELECT custseg.holdout_size(0.5, 0.1, 0.5, 'NaN');
SELECT custseg.holdout_size(NULL, 0.1);
SELECT custseg.holdout_size(0.5, NULL);
SELECT custseg.holdout_size(0.5, 0.1, NULL);
SELECT custseg.holdout_size(0.5, 0.1, 0.5, NULL);
SELECT custseg.holdout_size(0.5, 0.1, 0.5, 0.05, NULL);
SELECT custseg.holdout_size(0.5, 'Infinity');
SELECT custseg.holdout_size(0.5, 1e-12);
SELECT custseg.holdout_size_mean(0, 1);
SELECT custseg.holdout_size_mean(-1, 1);
SELECT custseg.holdout_size_mean(1, 0);
SELECT custseg.holdout_size_mean('NaN', 1);
SELECT custseg.holdout_size_mean(1, 1, 0.5, 0.05, 0);
SELECT custseg.detectable_lift(0.5, -1, 10);
SELECT custseg.detectable_lift(0.5, 10, 0);
SELECT custseg.detectable_lift(0.5, NULL, 10);
SELECT custseg.detectable_lift(1.5, 10, 10);
SELECT custseg.detectable_lift(0.5, 10, 10, 1.5);
SELECT custseg.detectable_lift_mean(1, 10, -5);
SELECT custseg.detectable_lift_mean(0, 10, 10);
SELECT custseg.detectable_lift_mean(1, 10, 10, 0.05, -0.2);

-- Holm.  p-values 0.01, 0.04, 0.03, 0.005 of four segments: sorted 0.005,
-- 0.01, 0.03, 0.04, times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04, made
-- non-decreasing: 0.02, 0.03, 0.06, 0.06.  A NULL p-value (a test that was
-- not made) is not counted and stays NULL.
SELECT segment, p, custseg.holm(p) OVER () AS p_holm
FROM (VALUES ('a', 0.01), ('b', 0.04), ('c', 0.03), ('d', NULL), ('e', 0.005)) v(segment, p)
ORDER BY segment;
-- R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") = 0.05 0.08 0.09
-- 0.09 0.09; capped at 1; ties; per partition; whatever the frame.
SELECT g, p, custseg.holm(p) OVER (PARTITION BY g) AS p_holm,
	   custseg.holm(p) OVER (PARTITION BY g ORDER BY p ROWS BETWEEN CURRENT ROW AND CURRENT ROW) AS framed
FROM (VALUES (1, 0.01), (1, 0.02), (1, 0.03), (1, 0.04), (1, 0.05),
			 (2, 0.5), (2, 0.6), (2, 0.5), (3, 1.0), (4, 0.0)) v(g, p)
ORDER BY g, p;
-- In an uplift report: a segment without a holdout has a NULL p-value.
SELECT segment, round((u).p_value::numeric, 4) AS p_value,
	   round(custseg.holm((u).p_value) OVER ()::numeric, 4) AS p_holm
FROM (SELECT segment, custseg.uplift(treated, bought) AS u
	  FROM (SELECT (ARRAY['A', 'B', 'C'])[1 + i % 3] AS segment, i % 5 <> 0 AS treated,
				   (hashint4(i) & 3 = 0 OR (i % 3 = 0 AND i % 5 <> 0 AND hashint4(i) & 7 = 1))::int AS bought
			FROM generate_series(1, 3000) i
			UNION ALL VALUES ('D', true, 1)) r
	  GROUP BY segment) s
ORDER BY segment;
SELECT custseg.holm(p) OVER () FROM (VALUES (0.5), (1.5)) v(p);
SELECT custseg.holm(p) OVER () FROM (VALUES (-0.1)) v(p);
SELECT custseg.holm(p) OVER () FROM (VALUES ('NaN'::float8)) v(p);
SELECT custseg.holm(0.5);
