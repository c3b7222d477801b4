-- Work without bound (issue 15, section 3): every fit and prediction below
-- answers or refuses at once.  (Their times are measured by
-- bench/fit_bounds, not here.)

SET client_min_messages = error;	-- the warnings of fits that do not converge
-- a bound against runaway sums (the Pareto/NBD fits below took 6-16 s)
SET statement_timeout = '5s';

-- A fit state whose weights add up to almost nothing is no data, like an
-- empty aggregate: NULL from every final function (it gave a model of 0
-- customers, "converged" after 0 iterations).
SELECT custseg.bgnbd_final(st) IS NULL AS bgnbd, custseg.mbgnbd_final(st) IS NULL AS mbgnbd,
	   custseg.paretonbd_final(st) IS NULL AS paretonbd
FROM (SELECT '{"kind":"xtt","cells":[[0,0,10,1e-300],[2,5,10,1e-300],[4,9,10,1e-300]]}'::custseg.fit_state AS st) s;
SELECT custseg.bgbb_final('{"kind":"bgbb","cells":[[0,0,6,1e-300],[2,5,6,1e-300]]}') IS NULL AS bgbb;
SELECT custseg.gammagamma_final('{"kind":"spend","cells":[[1,10,0,1e-300],[2,20,0,1e-300]]}') IS NULL AS gammagamma;
-- half a customer or more is data: the model counts it (rounded)
SELECT (m).customers, (m).converged
FROM (SELECT custseg.bgbb_final('{"kind":"bgbb","cells":[[0,0,6,0.25],[2,5,6,0.25],[4,6,6,0.25]]}') AS m) s;
-- an empty aggregate: NULL too
SELECT custseg.bgnbd_fit(x, t_x, t) IS NULL AS empty FROM (VALUES (1, 1, 1)) v(x, t_x, t) WHERE false;

-- BG/NBD with r of 1e7 and more: the terms of the series overflow (it
-- summed 10^8 terms of NaN, 5-20 s, then failed); the quadrature answers at
-- once: 0, as P(alive) of a customer with 2e8 purchases a day expected who
-- bought twice in 60 days is (custseg.p_alive gives 0 too).
SELECT custseg.expected_purchases('(1e9,4.414,0.5,2,0,1,t,1,,,,)'::custseg.bgnbd, 365, 2, 20, 60);
SELECT custseg.expected_purchases('(1e9,4.414,53,205,0,1,t,1,,,,)'::custseg.mbgnbd, 365, 2, 20, 60);
SELECT custseg.p_alive('(1e9,4.414,0.5,2,0,1,t,1,,,,)'::custseg.bgnbd, 2, 20, 60);
-- and a nearly homogeneous purchase rate (r = alpha = 1e6: one a day), the
-- new customer's expectation against mpmath's quadrature, 20.7765724007744486
SELECT abs(custseg.expected_purchases('(1e6,1e6,0.8,2.4,0,1,t,1,,,,)'::custseg.bgnbd, 365) / 20.7765724007744486 - 1) < 1e-12 AS homogeneous;

-- Pareto/NBD fits of 30 customers whose line search tries alpha and beta
-- far apart: J(u) by quadrature there instead of series of millions of
-- terms (they took 6-16 s); the log-likelihoods are those of the optimum.
SELECT round((m).log_likelihood::numeric, 2) AS ll, (m).customers
FROM (SELECT custseg.paretonbd_fit(x, t_x, t) AS m
	  FROM (SELECT CASE WHEN i < 25 THEN 0 ELSE 500 * i END AS x,
				   CASE WHEN i < 25 THEN 0 ELSE 99 END AS t_x, 100 AS t
			FROM generate_series(1, 30) i) s) f;
SELECT round((m).log_likelihood::numeric, 1) AS ll, (m).customers, (m).converged
FROM (SELECT custseg.paretonbd_fit(x, t_x, t) AS m
	  FROM (SELECT (i % 3) * (i % 7) * 40 AS x,
				   CASE WHEN (i % 3) * (i % 7) = 0 THEN 0 ELSE 30 + i END AS t_x,
				   100 + i * 3 AS t
			FROM generate_series(1, 30) i) s) f;

-- BG/BB: at most 100,000 opportunities (a sum of a term per opportunity;
-- 2^31 - 1 was accepted, and one cell of n = 1,000,000 took 101 s to fit)
SELECT custseg.bgbb_final('{"kind":"bgbb","cells":[[0,0,100000,50],[3,50000,100000,30],[10,90000,100000,20]]}') IS NOT NULL
	   AS fit_at_the_limit;
SELECT custseg.bgbb_final('{"kind":"bgbb","cells":[[0,0,6,50],[1,100001,100001,1]]}');
SELECT custseg.p_alive('(1.2,0.75,0.66,2.78,-507.0,120,t,26,,,)'::custseg.bgbb, 3, 50000, 100000) BETWEEN 0 AND 1
	   AS p_alive_at_the_limit;
SELECT custseg.p_alive('(1.2,0.75,0.66,2.78,-507.0,120,t,26,,,)'::custseg.bgbb, 3, 50000, 100001);
SELECT custseg.purchase_probability('(1.2,0.75,0.66,2.78,-507.0,120,t,26,,,)'::custseg.bgbb, 3, 100001);
SELECT custseg.expected_purchases('(1.2,0.75,0.66,2.78,-507.0,120,t,26,,,)'::custseg.bgbb, 10, 3, 50000, 100001);
RESET client_min_messages;
RESET statement_timeout;

-- purchase_probability with n in the billions summed n terms of P(NB >= n)
-- (over 5 s, found by test/fuzz); past 100,000 it is the incomplete beta
-- function's continued fraction, continuous with the sums at the switch.
SELECT custseg.purchase_probability('(1e9,1e9,1,1,0,1,t,1,1 day,,,)'::custseg.bgnbd, 2147483647, 1e300::float8) < 1e-18 AS billions;
SELECT n, round((custseg.purchase_probability('(0.243,4.414,0.793,2.426,0,1,t,1,,,,)'::custseg.bgnbd, n, 1e7::float8) * 1e18)::numeric) AS p_e18
FROM unnest(ARRAY[99999, 100000, 100001, 100002]::bigint[]) n;
