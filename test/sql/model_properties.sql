-- Properties every model family's predictions must have, checked over a
-- grid of plausible parameters (dropout parameters up to the hundreds, as
-- fits of shops where few customers churn give) and of customer
-- histories, from new customers to heavy buyers:
--   expected_purchases >= 0 and non-decreasing in the horizon (for a
--   customer with history and for a new one), p_alive in [0, 1],
--   purchase_probability in [0, 1], summing to at most 1 over n = 0 .. N
--   and to at least 1 - E/(N + 1) (Markov's bound on the rest, E the
--   expected purchases), clv >= 0 for non-negative spend and
--   non-decreasing in the horizon.
-- "Non-decreasing" allows a relative step down of 1e-12 (rounding of a
-- function that is flat to the last digits).  Each line counts the points
-- checked and the violations, which must be 0.
SET extra_float_digits = 0;

CREATE TEMP TABLE pm_continuous AS
SELECT family, r, alpha, a, b
FROM unnest(ARRAY['bgnbd', 'mbgnbd', 'paretonbd']) family,
	 unnest(ARRAY[0.05, 0.243, 1, 4, 50, 150]::float8[]) r,
	 unnest(ARRAY[0.5, 4.414, 50, 500]::float8[]) alpha,
	 (VALUES (0.121::float8, 2.58::float8), (0.793, 2.426), (2.243, 207), (5, 50), (50, 500), (1, 1)) ab(a, b);
CREATE TEMP TABLE pm_history (x bigint, t_x float8, t float8);
INSERT INTO pm_history VALUES (0, 0, 30), (0, 0, 365), (1, 10, 100), (2, 30, 39), (5, 200, 365),
	(20, 350, 365), (3, 10, 400), (50, 700, 730);
CREATE TEMP TABLE pm_horizon AS SELECT unnest(ARRAY[7, 30, 90, 180, 365, 730, 1825]::float8[]) AS h;

-- Predictions of every continuous model for every history and horizon.
CREATE FUNCTION pg_temp.pm_predict(family text, r float8, alpha float8, a float8, b float8,
	x bigint, t_x float8, t float8, h float8, OUT e float8, OUT e_new float8, OUT alive float8, OUT clv float8)
LANGUAGE plpgsql AS $$
DECLARE
	model text := format('(%s,%s,%s,%s,0,1,t,1,,,,)', r, alpha, a, b);
	gg text := '(6.25,3.74,15.44,0,1,t,1,,,)';
BEGIN
	EXECUTE format('SELECT custseg.expected_purchases(%1$L::custseg.%2$I, %3$s::float8, %4$s::bigint, %5$s::float8, %6$s::float8),
						   custseg.expected_purchases(%1$L::custseg.%2$I, %3$s::float8),
						   custseg.p_alive(%1$L::custseg.%2$I, %4$s::bigint, %5$s::float8, %6$s::float8),
						   custseg.clv(%1$L::custseg.%2$I, %7$L::custseg.gammagamma, %4$s::bigint, %5$s::float8, %6$s::float8,
									   35.0::float8, %3$s::float8, 0.1::float8)',
				   model, family, h, x, t_x, t, gg)
		INTO e, e_new, alive, clv;
END
$$;
CREATE TEMP TABLE pm_points AS
SELECT m.family, m.r, m.alpha, m.a, m.b, c.x, c.t_x, c.t, hz.h, p.*
FROM pm_continuous m, pm_history c, pm_horizon hz,
	 LATERAL pg_temp.pm_predict(m.family, m.r, m.alpha, m.a, m.b, c.x, c.t_x, c.t, hz.h) p;

CREATE TEMP TABLE pm_checks (family text, property text, points bigint, violations bigint);
INSERT INTO pm_checks
SELECT family, 'expected_purchases >= 0', count(*), count(*) FILTER (WHERE NOT (e >= 0)) FROM pm_points GROUP BY family
UNION ALL
SELECT family, 'expected_purchases, new customer >= 0', count(*), count(*) FILTER (WHERE NOT (e_new >= 0)) FROM pm_points GROUP BY family
UNION ALL
SELECT family, 'p_alive in [0, 1]', count(*), count(*) FILTER (WHERE NOT (alive BETWEEN 0 AND 1)) FROM pm_points GROUP BY family
UNION ALL
SELECT family, 'clv >= 0', count(*), count(*) FILTER (WHERE NOT (clv >= 0)) FROM pm_points GROUP BY family;
INSERT INTO pm_checks
SELECT family, property, count(*), count(*) FILTER (WHERE NOT (v >= prev - 1e-12 * abs(prev)))
FROM (SELECT family, 'expected_purchases non-decreasing in the horizon' AS property, e AS v,
			 lag(e) OVER w AS prev FROM pm_points WINDOW w AS (PARTITION BY family, r, alpha, a, b, x, t_x, t ORDER BY h)
	  UNION ALL
	  SELECT family, 'expected_purchases, new customer, non-decreasing', e_new,
			 lag(e_new) OVER w FROM pm_points WHERE x = 0 AND t = 30 WINDOW w AS (PARTITION BY family, r, alpha, a, b ORDER BY h)
	  UNION ALL
	  SELECT family, 'clv non-decreasing in the horizon', clv,
			 lag(clv) OVER w FROM pm_points WINDOW w AS (PARTITION BY family, r, alpha, a, b, x, t_x, t ORDER BY h)) s
WHERE prev IS NOT NULL
GROUP BY family, property;

-- purchase_probability over n = 0 .. 60 for a new customer, three horizons,
-- on part of the grid (a Pareto/NBD probability is an integral: up to tens
-- of milliseconds a call).
CREATE FUNCTION pg_temp.pm_probabilities(family text, r float8, alpha float8, a float8, b float8, h float8,
	OUT e float8, OUT total float8, OUT outside bigint)
LANGUAGE plpgsql AS $$
DECLARE
	model text := format('(%s,%s,%s,%s,0,1,t,1,,,,)', r, alpha, a, b);
BEGIN
	EXECUTE format('SELECT custseg.expected_purchases(%1$L::custseg.%2$I, %3$s::float8),
						   sum(p), count(*) FILTER (WHERE NOT (p BETWEEN 0 AND 1))
					FROM (SELECT custseg.purchase_probability(%1$L::custseg.%2$I, n, %3$s::float8) AS p
						  FROM generate_series(0, 60) n) s', model, family, h)
		INTO e, total, outside;
END
$$;
CREATE TEMP TABLE pm_sums AS
SELECT m.family, hz.h, p.*
FROM pm_continuous m, (VALUES (7::float8), (90), (365)) hz(h),
	 LATERAL pg_temp.pm_probabilities(m.family, m.r, m.alpha, m.a, m.b, hz.h) p
WHERE m.r IN (0.05, 1, 50) AND m.alpha IN (4.414, 500);
INSERT INTO pm_checks
SELECT family, 'purchase_probability in [0, 1]', count(*) * 61, sum(outside) FROM pm_sums GROUP BY family
UNION ALL
SELECT family, 'purchase_probability sums to 1 (Markov bound)', count(*),
	   count(*) FILTER (WHERE NOT (total <= 1 + 1e-9 AND total >= 1 - e / 61 - 1e-9))
FROM pm_sums GROUP BY family;

-- BG/BB, over opportunities.
CREATE TEMP TABLE pm_bgbb AS
SELECT alpha, beta, gamma, delta
FROM unnest(ARRAY[0.1, 1.2, 5, 60]::float8[]) alpha, unnest(ARRAY[0.2, 0.75, 8, 300]::float8[]) beta,
	 unnest(ARRAY[0.1, 0.66, 4]::float8[]) gamma, unnest(ARRAY[0.3, 2.78, 40, 500]::float8[]) delta;
CREATE TEMP TABLE pm_bgbb_history (x bigint, t_x bigint, n bigint);
INSERT INTO pm_bgbb_history VALUES (0, 0, 6), (2, 3, 6), (6, 6, 6), (1, 1, 10), (5, 8, 10), (0, 0, 1);
CREATE TEMP TABLE pm_bgbb_points AS
SELECT m.*, c.*, hz.h,
	   custseg.expected_purchases(mm, hz.h, c.x, c.t_x, c.n) AS e,
	   custseg.expected_purchases(mm, hz.h) AS e_new,
	   custseg.p_alive(mm, c.x, c.t_x, c.n) AS alive,
	   custseg.clv(mm, '(6.25,3.74,15.44,0,1,t,1,,,)'::custseg.gammagamma, c.x, c.t_x, c.n, 35.0, hz.h, 0.01) AS clv
FROM pm_bgbb m, pm_bgbb_history c, unnest(ARRAY[1, 2, 5, 10, 20, 50, 200]::bigint[]) hz(h),
	 LATERAL (SELECT format('(%s,%s,%s,%s,0,1,t,1,,,)', m.alpha, m.beta, m.gamma, m.delta)::custseg.bgbb AS mm) x;
INSERT INTO pm_checks
SELECT 'bgbb', 'expected_purchases >= 0', count(*), count(*) FILTER (WHERE NOT (e >= 0)) FROM pm_bgbb_points
UNION ALL
SELECT 'bgbb', 'expected_purchases, new customer >= 0', count(*), count(*) FILTER (WHERE NOT (e_new >= 0)) FROM pm_bgbb_points
UNION ALL
SELECT 'bgbb', 'p_alive in [0, 1]', count(*), count(*) FILTER (WHERE NOT (alive BETWEEN 0 AND 1)) FROM pm_bgbb_points
UNION ALL
SELECT 'bgbb', 'clv >= 0', count(*), count(*) FILTER (WHERE NOT (clv >= 0)) FROM pm_bgbb_points;
INSERT INTO pm_checks
SELECT 'bgbb', property, count(*), count(*) FILTER (WHERE NOT (v >= prev - 1e-12 * abs(prev)))
FROM (SELECT 'expected_purchases non-decreasing in the horizon' AS property, e AS v,
			 lag(e) OVER w AS prev FROM pm_bgbb_points WINDOW w AS (PARTITION BY alpha, beta, gamma, delta, x, t_x, n ORDER BY h)
	  UNION ALL
	  SELECT 'expected_purchases, new customer, non-decreasing', e_new,
			 lag(e_new) OVER w FROM pm_bgbb_points WHERE x = 0 AND n = 6 WINDOW w AS (PARTITION BY alpha, beta, gamma, delta ORDER BY h)
	  UNION ALL
	  SELECT 'clv non-decreasing in the horizon', clv,
			 lag(clv) OVER w FROM pm_bgbb_points WINDOW w AS (PARTITION BY alpha, beta, gamma, delta, x, t_x, n ORDER BY h)) s
WHERE prev IS NOT NULL
GROUP BY property;
-- purchase_probability(k of n) over k = 0 .. n sums to 1 (finite support).
INSERT INTO pm_checks
SELECT 'bgbb', 'purchase_probability in [0, 1]', count(*), count(*) FILTER (WHERE NOT (p BETWEEN 0 AND 1))
FROM (SELECT custseg.purchase_probability(format('(%s,%s,%s,%s,0,1,t,1,,,)', alpha, beta, gamma, delta)::custseg.bgbb, k, n) AS p
	  FROM pm_bgbb, unnest(ARRAY[1, 6, 30]::bigint[]) n, generate_series(0, n) k) s
UNION ALL
SELECT 'bgbb', 'purchase_probability sums to 1', count(*), count(*) FILTER (WHERE NOT (abs(total - 1) <= 1e-9))
FROM (SELECT sum(custseg.purchase_probability(format('(%s,%s,%s,%s,0,1,t,1,,,)', alpha, beta, gamma, delta)::custseg.bgbb, k, n)) AS total
	  FROM pm_bgbb, unnest(ARRAY[1, 6, 30]::bigint[]) n, generate_series(0, n) k
	  GROUP BY alpha, beta, gamma, delta, n) s;

SELECT family, property, points, violations FROM pm_checks ORDER BY family, property;
SELECT count(*) AS checks, sum(points) AS points, sum(violations) AS violations FROM pm_checks;

-- A new BG/NBD customer when r is tiny: E_new(t) / r against the limit
-- E_p[log(1 + p t / alpha) / p], p ~ Beta(a, b), from mpmath
-- (test/data/model_properties.py): within 1e-12 relative for horizons of a
-- few hundred alpha, 1e-10 for 200,000 alpha.  (The difference of two
-- numbers near (a + b - 1) / (a - 1) it used to be gave -3.5e-14 for
-- r = 1e-17, or an error.)
SELECT r, a, b, t,
	   abs(custseg.expected_purchases(format('(%s,4.414,%s,%s,0,1,t,1,,,,)', r, a, b)::custseg.bgnbd, t) / r / ref - 1)
		   < CASE WHEN t > 1e5 THEN 1e-10 ELSE 1e-12 END AS accurate
FROM (VALUES (0.793, 2.426, 365, 21.294231433117386), (0.793, 207, 365, 73.294229233238372),
			 (3.5, 207, 365, 53.877111327714628), (2.243, 207, 30, 6.5647076253359851),
			 (3.5, 207, 1000000, 644.60331742165854), (0.793, 2.426, 1000000, 369.28948641479266))
		 v(a, b, t, ref),
	 unnest(ARRAY[1e-300, 1e-17, 1e-13]::float8[]) r
ORDER BY t, a, b, r;
-- and never below 0, for either family, over tiny r, a and b from small to
-- large, and horizons up to 1,000,000 days (a = 40 only up to 10,000: over
-- 200,000 alpha its terms overflow, and it raises 22003)
SELECT family, count(*) AS points, count(*) FILTER (WHERE NOT (e > 0)) AS not_positive
FROM (SELECT family, CASE family
		WHEN 'bgnbd' THEN custseg.expected_purchases(format('(%s,4.414,%s,%s,0,1,t,1,,,,)', r, a, b)::custseg.bgnbd, h)
		ELSE custseg.expected_purchases(format('(%s,4.414,%s,%s,0,1,t,1,,,,)', r, a, b)::custseg.mbgnbd, h) END AS e
	  FROM unnest(ARRAY['bgnbd', 'mbgnbd']) family, unnest(ARRAY[1e-300, 1e-17, 1e-13, 1e-8, 1e-4, 0.00099, 0.00101]::float8[]) r,
		   unnest(ARRAY[0.05, 0.793, 1, 2.243, 3.5, 40]::float8[]) a, unnest(ARRAY[0.3, 2.426, 207]::float8[]) b,
		   unnest(ARRAY[0.01, 1, 30, 365, 10000, 1000000]::float8[]) h
	  WHERE NOT (a = 40 AND h > 10000)) s
GROUP BY family ORDER BY family;
