-- BG/NBD expected_purchases, r = 1e9 (22003; was 5-20 s)
SELECT custseg.expected_purchases('(1e9,4.414,0.5,2,0,1,t,1,,,,)'::custseg.bgnbd, 365, 2, 20, 60);

-- BG/NBD expected_purchases, r = 1e7 (22003)
SELECT custseg.expected_purchases('(1e7,4.414,0.5,2,0,1,t,1,,,,)'::custseg.bgnbd, 365, 2, 20, 60);

-- MBG/NBD expected_purchases, r = 1e12 (22003)
SELECT custseg.expected_purchases('(1e12,4.414,53,205,0,1,t,1,,,,)'::custseg.mbgnbd, 365, 2, 20, 60);

-- Pareto/NBD fit of 30 customers, heavy buyers (was 16.5 s)
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (SELECT (i % 3) * (i % 7) * 40 AS x, CASE WHEN (i % 3) * (i % 7) = 0 THEN 0 ELSE 30 + i END AS t_x, 100 + i * 3 AS t FROM generate_series(1, 30) i) s;

-- Pareto/NBD fit of 30 customers, 6 very heavy ones (was 9.5 s)
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (SELECT CASE WHEN i < 25 THEN 0 ELSE 500 * i END AS x, CASE WHEN i < 25 THEN 0 ELSE 99 END AS t_x, 100 AS t FROM generate_series(1, 30) i) s;

-- Pareto/NBD fit of 30 customers, 2 repeat buyers (was 13.5 s)
SELECT custseg.paretonbd_fit(x, t_x, t) FROM (SELECT CASE WHEN i < 28 THEN 0 ELSE 1 END AS x, CASE WHEN i < 28 THEN 0 ELSE 1 END AS t_x, 1000 AS t FROM generate_series(1, 30) i) s;

-- Pareto/NBD p_alive with alpha / beta = 1e9 (quadrature)
SELECT custseg.p_alive((0.5, 1e9, 0.7, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::custseg.paretonbd, 1, 1, 2);

-- BG/BB fit, 3 cells at n = 100,000 (the limit)
SELECT custseg.bgbb_final('{"kind":"bgbb","cells":[[0,0,100000,50],[3,50000,100000,30],[10,90000,100000,20]]}');

-- BG/BB fit, 1 cell of non-buyers at n = 100,000
SELECT custseg.bgbb_final('{"kind":"bgbb","cells":[[0,0,100000,50]]}');

-- BG/BB purchase_probability at n = 100,000
SELECT custseg.purchase_probability('(1.2,0.75,0.66,2.78,-507.0,120,t,26,,,)'::custseg.bgbb, 3, 100000);

-- BG/BB fit at n = 1,000,000 (refused, 54000; was 101 s)
SELECT custseg.bgbb_final('{"kind":"bgbb","cells":[[0,0,6,50],[1,1000000,1000000,1]]}');

-- 2F1(2.243, 207; 259; 0.999)
SELECT custseg.hyp2f1(2.243, 207, 259, 0.999);

-- 2F1(1, 1; 2; 1 - 1e-12) (Euler's integral)
SELECT custseg.hyp2f1(1, 1, 2, 1 - 1e-12);
