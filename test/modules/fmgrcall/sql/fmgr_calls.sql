-- Calls the way Citus makes them on its workers: through fmgr_info, without
-- an expression tree (no argument types to ask for), a fresh FmgrInfo per
-- row, partial states shipped in their text form (test/modules/fmgrcall).
-- Every custseg aggregate, run that way over four shards with three empty
-- ones between them, must give what it gives when PostgreSQL runs it; so
-- must every function whose C code serves more than one SQL signature.
CREATE EXTENSION fmgrcall;
SET TimeZone = 'UTC';
SET extra_float_digits = 0;

-- The CDNOW sample (test/data/README.md), its customers on four shards:
-- 0, 2, 4 and 6, so that the states of shards 1, 3 and 5, which have no
-- rows, are NULL when combined.
CREATE TEMP TABLE fc_raw (line text);
\copy fc_raw FROM '../../data/CDNOW_sample.txt'
CREATE TEMP TABLE fc_orders AS
SELECT f[2]::int AS customer_id, to_date(f[3], 'YYYYMMDD') AS day, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM fc_raw) s;
CREATE TEMP TABLE fc_customers AS
SELECT customer_id, (customer_id % 4) * 2 AS shard,
       custseg.summarize(day, amount, date '1998-06-30') AS s
FROM fc_orders GROUP BY customer_id;
CREATE TEMP TABLE fc_cdnow (id int, x bigint, t_x float8, t float8, zbar float8);
\copy fc_cdnow FROM '../../data/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER)
CREATE TEMP TABLE fc_donations (x bigint, t_x bigint, n bigint, donors bigint);
\copy fc_donations FROM '../../data/donations.csv' WITH (FORMAT csv, HEADER)

-- One line per aggregate (regprocedure): run through fmgrcall_agg, equal to
-- the aggregate run by PostgreSQL?
CREATE TEMP TABLE fc_agg (agg text, fmgr text, direct text);

INSERT INTO fc_agg
SELECT 'custseg.rfm_thresholds(float8,float8,float8)',
       fmgrcall_agg('custseg.rfm_thresholds(float8,float8,float8)', shard,
                    (s).recency_days, (s).orders::float8, (s).revenue),
       custseg.rfm_thresholds((s).recency_days, (s).orders, (s).revenue)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.rfm_thresholds(float8,float8,float8,integer)',
       fmgrcall_agg('custseg.rfm_thresholds(float8,float8,float8,integer)', shard,
                    (s).recency_days, (s).orders::float8, (s).revenue, 4),
       custseg.rfm_thresholds((s).recency_days, (s).orders, (s).revenue, 4)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.rfm_thresholds(float8,float8,float8,integer,text)',
       fmgrcall_agg('custseg.rfm_thresholds(float8,float8,float8,integer,text)', shard,
                    (s).recency_days, (s).orders::float8, (s).revenue, 5, 'rfm'::text),
       custseg.rfm_thresholds((s).recency_days, (s).orders, (s).revenue, 5, 'rfm')::text
FROM fc_customers
UNION ALL
SELECT 'custseg.rfm_thresholds(custseg.customer_summary)',
       fmgrcall_agg('custseg.rfm_thresholds(custseg.customer_summary)', shard, s),
       custseg.rfm_thresholds(s)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.rfm_thresholds(custseg.customer_summary,integer)',
       fmgrcall_agg('custseg.rfm_thresholds(custseg.customer_summary,integer)', shard, s, 3),
       custseg.rfm_thresholds(s, 3)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.rfm_thresholds(custseg.customer_summary,integer,text)',
       fmgrcall_agg('custseg.rfm_thresholds(custseg.customer_summary,integer,text)', shard,
                    s, 5, 'rfm'::text),
       custseg.rfm_thresholds(s, 5, 'rfm')::text
FROM fc_customers;

INSERT INTO fc_agg
SELECT 'custseg.bgnbd_fit(bigint,float8,float8)',
       fmgrcall_agg('custseg.bgnbd_fit(bigint,float8,float8)', (id % 4) * 2, x, t_x, t),
       custseg.bgnbd_fit(x, t_x, t)::text
FROM fc_cdnow
UNION ALL
SELECT 'custseg.bgnbd_fit(custseg.customer_summary)',
       fmgrcall_agg('custseg.bgnbd_fit(custseg.customer_summary)', shard, s),
       custseg.bgnbd_fit(s)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.mbgnbd_fit(bigint,float8,float8)',
       fmgrcall_agg('custseg.mbgnbd_fit(bigint,float8,float8)', (id % 4) * 2, x, t_x, t),
       custseg.mbgnbd_fit(x, t_x, t)::text
FROM fc_cdnow
UNION ALL
SELECT 'custseg.mbgnbd_fit(custseg.customer_summary)',
       fmgrcall_agg('custseg.mbgnbd_fit(custseg.customer_summary)', shard, s),
       custseg.mbgnbd_fit(s)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.paretonbd_fit(bigint,float8,float8)',
       fmgrcall_agg('custseg.paretonbd_fit(bigint,float8,float8)', (id % 4) * 2, x, t_x, t),
       custseg.paretonbd_fit(x, t_x, t)::text
FROM fc_cdnow
UNION ALL
SELECT 'custseg.paretonbd_fit(custseg.customer_summary)',
       fmgrcall_agg('custseg.paretonbd_fit(custseg.customer_summary)', shard, s),
       custseg.paretonbd_fit(s)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.gammagamma_fit(bigint,float8)',
       fmgrcall_agg('custseg.gammagamma_fit(bigint,float8)', (id % 4) * 2, x, zbar),
       custseg.gammagamma_fit(x, zbar)::text
FROM fc_cdnow
UNION ALL
SELECT 'custseg.gammagamma_fit(custseg.customer_summary)',
       fmgrcall_agg('custseg.gammagamma_fit(custseg.customer_summary)', shard, s),
       custseg.gammagamma_fit(s)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.bgbb_fit(bigint,bigint,bigint)',
       fmgrcall_agg('custseg.bgbb_fit(bigint,bigint,bigint)', (x::int % 4) * 2, x, t_x, n),
       custseg.bgbb_fit(x, t_x, n)::text
FROM fc_donations, generate_series(1, 1 + donors / 100)
UNION ALL
SELECT 'custseg.bgbb_fit(bigint,bigint,bigint,bigint)',
       fmgrcall_agg('custseg.bgbb_fit(bigint,bigint,bigint,bigint)', (t_x::int % 4) * 2,
                    x, t_x, n, donors),
       custseg.bgbb_fit(x, t_x, n, donors)::text
FROM fc_donations;

-- The fits with settings (issue 11): unit, penalty, start values.
INSERT INTO fc_agg
SELECT 'custseg.' || f || '_fit(bigint,float8,float8,interval)',
       fmgrcall_agg(('custseg.' || f || '_fit(bigint,float8,float8,interval)')::regprocedure,
                    (id % 4) * 2, x, t_x, t, interval '1 week'),
       CASE f WHEN 'bgnbd' THEN custseg.bgnbd_fit(x, t_x, t, interval '1 week')::text
              WHEN 'mbgnbd' THEN custseg.mbgnbd_fit(x, t_x, t, interval '1 week')::text
              ELSE custseg.paretonbd_fit(x, t_x, t, interval '1 week')::text END
FROM fc_cdnow, unnest(ARRAY['bgnbd', 'mbgnbd', 'paretonbd']) f GROUP BY f
UNION ALL
SELECT 'custseg.' || f || '_fit(bigint,float8,float8,interval,float8,float8[])',
       fmgrcall_agg(('custseg.' || f || '_fit(bigint,float8,float8,interval,float8,float8[])')::regprocedure,
                    (id % 4) * 2, x, t_x, t, interval '1 week', 0.001::float8, ARRAY[1, 2, 1, 1]::float8[]),
       CASE f WHEN 'bgnbd' THEN custseg.bgnbd_fit(x, t_x, t, interval '1 week', 0.001, ARRAY[1, 2, 1, 1])::text
              WHEN 'mbgnbd' THEN custseg.mbgnbd_fit(x, t_x, t, interval '1 week', 0.001, ARRAY[1, 2, 1, 1])::text
              ELSE custseg.paretonbd_fit(x, t_x, t, interval '1 week', 0.001, ARRAY[1, 2, 1, 1])::text END
FROM fc_cdnow, unnest(ARRAY['bgnbd', 'mbgnbd', 'paretonbd']) f GROUP BY f
UNION ALL
SELECT 'custseg.' || f || '_fit(custseg.customer_summary,float8,float8[])',
       fmgrcall_agg(('custseg.' || f || '_fit(custseg.customer_summary,float8,float8[])')::regprocedure,
                    shard, s, 0.001::float8, NULL::float8[]),
       CASE f WHEN 'bgnbd' THEN custseg.bgnbd_fit(s, 0.001, NULL)::text
              WHEN 'mbgnbd' THEN custseg.mbgnbd_fit(s, 0.001, NULL)::text
              ELSE custseg.paretonbd_fit(s, 0.001, NULL)::text END
FROM fc_customers, unnest(ARRAY['bgnbd', 'mbgnbd', 'paretonbd']) f GROUP BY f
UNION ALL
SELECT 'custseg.gammagamma_fit(bigint,float8,float8,float8[])',
       fmgrcall_agg('custseg.gammagamma_fit(bigint,float8,float8,float8[])', (id % 4) * 2, x, zbar,
                    0::float8, ARRAY[1, 2, 10]::float8[]),
       custseg.gammagamma_fit(x, zbar, 0, ARRAY[1, 2, 10])::text
FROM fc_cdnow
UNION ALL
SELECT 'custseg.gammagamma_fit(custseg.customer_summary,float8,float8[])',
       fmgrcall_agg('custseg.gammagamma_fit(custseg.customer_summary,float8,float8[])', shard, s,
                    0.01::float8, NULL::float8[]),
       custseg.gammagamma_fit(s, 0.01, NULL)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.bgbb_fit(bigint,bigint,bigint,bigint,float8,float8[])',
       fmgrcall_agg('custseg.bgbb_fit(bigint,bigint,bigint,bigint,float8,float8[])', (t_x::int % 4) * 2,
                    x, t_x, n, donors, 0.001::float8, ARRAY[1, 1, 1, 1]::float8[]),
       custseg.bgbb_fit(x, t_x, n, donors, 0.001, ARRAY[1, 1, 1, 1])::text
FROM fc_donations;

INSERT INTO fc_agg
SELECT 'custseg.kmeans(float8[],integer)',
       fmgrcall_agg('custseg.kmeans(float8[],integer)', shard,
                    ARRAY[(s).recency_days, (s).orders, (s).revenue], 3),
       custseg.kmeans(ARRAY[(s).recency_days, (s).orders, (s).revenue], 3)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.kmeans(float8[],integer,integer)',
       fmgrcall_agg('custseg.kmeans(float8[],integer,integer)', shard,
                    ARRAY[(s).recency_days, (s).orders, (s).revenue], 3, 7),
       custseg.kmeans(ARRAY[(s).recency_days, (s).orders, (s).revenue], 3, 7)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.kmeans(float8[],integer,integer,integer)',
       fmgrcall_agg('custseg.kmeans(float8[],integer,integer,integer)', shard,
                    ARRAY[(s).recency_days, (s).orders, (s).revenue], 3, 7, 20),
       custseg.kmeans(ARRAY[(s).recency_days, (s).orders, (s).revenue], 3, 7, 20)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.kmeans(float8[],integer,integer,integer,boolean[])',
       fmgrcall_agg('custseg.kmeans(float8[],integer,integer,integer,boolean[])', shard,
                    ARRAY[(s).recency_days, (s).orders, (s).revenue], 3, 7, 20,
                    ARRAY[false, true, true]),
       custseg.kmeans(ARRAY[(s).recency_days, (s).orders, (s).revenue], 3, 7, 20,
                      ARRAY[false, true, true])::text
FROM fc_customers
UNION ALL
SELECT 'custseg.kmeans_choose_k(float8[],integer,integer)',
       fmgrcall_agg('custseg.kmeans_choose_k(float8[],integer,integer)', shard,
                    ARRAY[(s).recency_days, (s).orders, (s).revenue], 2, 4),
       custseg.kmeans_choose_k(ARRAY[(s).recency_days, (s).orders, (s).revenue], 2, 4)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.kmeans_choose_k(float8[],integer,integer,integer)',
       fmgrcall_agg('custseg.kmeans_choose_k(float8[],integer,integer,integer)', shard,
                    ARRAY[(s).recency_days, (s).orders, (s).revenue], 2, 4, 7),
       custseg.kmeans_choose_k(ARRAY[(s).recency_days, (s).orders, (s).revenue], 2, 4, 7)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.kmeans_choose_k(float8[],integer,integer,integer,integer)',
       fmgrcall_agg('custseg.kmeans_choose_k(float8[],integer,integer,integer,integer)', shard,
                    ARRAY[(s).recency_days, (s).orders, (s).revenue], 2, 4, 7, 20),
       custseg.kmeans_choose_k(ARRAY[(s).recency_days, (s).orders, (s).revenue], 2, 4, 7, 20)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.kmeans_choose_k(float8[],integer,integer,integer,integer,boolean[])',
       fmgrcall_agg('custseg.kmeans_choose_k(float8[],integer,integer,integer,integer,boolean[])',
                    shard, ARRAY[(s).recency_days, (s).orders, (s).revenue], 2, 4, 7, 20,
                    ARRAY[false, true, true]),
       custseg.kmeans_choose_k(ARRAY[(s).recency_days, (s).orders, (s).revenue], 2, 4, 7, 20,
                               ARRAY[false, true, true])::text
FROM fc_customers;

-- uplift: a binary outcome, and revenues (compensated sums rounded once:
-- the same bits whatever the order in which shard states are combined),
-- plain, stratified and CUPED
INSERT INTO fc_agg
SELECT 'custseg.uplift(boolean,float8)',
       fmgrcall_agg('custseg.uplift(boolean,float8)', shard,
                    customer_id % 3 = 0, ((s).orders > 3)::int::float8),
       custseg.uplift(customer_id % 3 = 0, ((s).orders > 3)::int)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.uplift(boolean,float8)',
       fmgrcall_agg('custseg.uplift(boolean,float8)', shard,
                    customer_id % 3 = 0, (s).revenue::float8),
       custseg.uplift(customer_id % 3 = 0, (s).revenue)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.uplift(boolean,float8,text)',
       fmgrcall_agg('custseg.uplift(boolean,float8,text)', shard,
                    customer_id % 3 = 0, (s).revenue::float8,
                    CASE WHEN (s).orders > 3 THEN 'many' ELSE 'few' END),
       custseg.uplift(customer_id % 3 = 0, (s).revenue,
                      CASE WHEN (s).orders > 3 THEN 'many' ELSE 'few' END)::text
FROM fc_customers
UNION ALL
SELECT 'custseg.uplift_cuped(boolean,float8,float8)',
       fmgrcall_agg('custseg.uplift_cuped(boolean,float8,float8)', shard,
                    customer_id % 3 = 0, (s).revenue::float8, (s).orders::float8),
       custseg.uplift_cuped(customer_id % 3 = 0, (s).revenue, (s).orders)::text
FROM fc_customers;



-- summarize: one C transition function per overload since 0.2.0; the
-- orders of the customers with most orders, one customer per call.
INSERT INTO fc_agg
SELECT 'custseg.summarize(date,numeric,date)',
       string_agg(fmgr, ',' ORDER BY customer_id), string_agg(direct, ',' ORDER BY customer_id)
FROM (SELECT customer_id,
             fmgrcall_agg('custseg.summarize(date,numeric,date)', (n % 4)::int * 2, day, amount,
                          date '1998-06-30') AS fmgr,
             custseg.summarize(day, amount, date '1998-06-30')::text AS direct
      FROM (SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY day, amount) AS n
            FROM fc_orders WHERE customer_id IN (SELECT customer_id FROM fc_orders
                                                 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 5)) o
      GROUP BY customer_id) c;

SELECT agg, fmgr = direct AS same, fmgr IS NOT NULL AS has_result FROM fc_agg ORDER BY agg;
SELECT agg, fmgr, direct FROM fc_agg WHERE fmgr IS DISTINCT FROM direct;

-- Every aggregate of custseg is in the list above.
SELECT a.aggfnoid::regprocedure AS not_tested
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'custseg'::regnamespace
  AND a.aggfnoid NOT IN (SELECT agg::regprocedure FROM fc_agg)
  AND p.proname <> 'summarize'  -- one overload above; all twelve share one C function body
ORDER BY 1;

-- rfm_score against stored thresholds, both signatures
CREATE TEMP TABLE fc_t AS
SELECT custseg.rfm_thresholds(s) AS t FROM fc_customers;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE fmgrcall('custseg.rfm_score(custseg.rfm_thresholds,custseg.customer_summary)', t, s)
                        = custseg.rfm_score(t, s)::text) AS summary_same,
       count(*) FILTER (WHERE fmgrcall('custseg.rfm_score(custseg.rfm_thresholds,float8,float8,float8)',
                                       t, (s).recency_days, (s).orders::float8, (s).revenue)
                        = custseg.rfm_score(t, (s).recency_days, (s).orders, (s).revenue)::text) AS values_same
FROM fc_customers, fc_t;
SELECT fmgrcall('custseg.rfm_score(custseg.rfm_thresholds,float8,float8,float8)', t, 3::float8, 2::float8, 80::float8),
       fmgrcall('custseg.rfm_score(custseg.rfm_thresholds,float8,float8,float8)', t, NULL::float8, 2::float8, 80::float8)
FROM fc_t;
SELECT fmgrcall('custseg.rfm_score(custseg.rfm_thresholds,float8,float8,float8)', t, -3::float8, 2::float8, 80::float8)
FROM fc_t;

-- The C functions of custseg 0.1.0, which served both forms, still work
-- where the argument count tells the form, and fail clearly, never guess,
-- where only the (absent) expression could.
CREATE TEMP TABLE fc_rows AS SELECT * FROM (VALUES (1::float8, 1::float8, 10::float8), (5, 2, 20), (9, 3, 30)) v(r, f, m);
CREATE FUNCTION fc_old_accum(custseg.rfm_thresholds_state, float8, float8, float8)
RETURNS custseg.rfm_thresholds_state AS 'custseg', 'rfm_thresholds_accum' LANGUAGE C;
CREATE AGGREGATE fc_old_thresholds(float8, float8, float8) (
	SFUNC = fc_old_accum, STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final, COMBINEFUNC = custseg.rfm_thresholds_combine);
CREATE FUNCTION fc_old_accum(custseg.rfm_thresholds_state, float8, float8, float8, integer)
RETURNS custseg.rfm_thresholds_state AS 'custseg', 'rfm_thresholds_accum' LANGUAGE C;
CREATE AGGREGATE fc_old_thresholds(float8, float8, float8, integer) (
	SFUNC = fc_old_accum, STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final, COMBINEFUNC = custseg.rfm_thresholds_combine);
CREATE FUNCTION fc_old_accum(custseg.rfm_thresholds_state, custseg.customer_summary)
RETURNS custseg.rfm_thresholds_state AS 'custseg', 'rfm_thresholds_accum' LANGUAGE C;
CREATE AGGREGATE fc_old_thresholds(custseg.customer_summary) (
	SFUNC = fc_old_accum, STYPE = custseg.rfm_thresholds_state,
	FINALFUNC = custseg.rfm_thresholds_final, COMBINEFUNC = custseg.rfm_thresholds_combine);
SELECT fc_old_thresholds(r, f, m)::text = custseg.rfm_thresholds(r, f, m)::text AS same FROM fc_rows;
SELECT fmgrcall_agg('fc_old_thresholds(float8,float8,float8,integer)', 0, r, f, m, 3)
       = custseg.rfm_thresholds(r, f, m, 3)::text AS same FROM fc_rows;
SELECT fmgrcall_agg('fc_old_thresholds(custseg.customer_summary)', shard, s)
       = custseg.rfm_thresholds(s)::text AS same FROM fc_customers;
SELECT fmgrcall_agg('fc_old_thresholds(float8,float8,float8)', 0, r, f, m) FROM fc_rows;
CREATE FUNCTION fc_old_score(custseg.rfm_thresholds, custseg.customer_summary)
RETURNS custseg.rfm_score AS 'custseg', 'rfm_score' LANGUAGE C STRICT;
CREATE FUNCTION fc_old_score(custseg.rfm_thresholds, float8, float8, float8)
RETURNS custseg.rfm_score AS 'custseg', 'rfm_score' LANGUAGE C STRICT;
SELECT fmgrcall('fc_old_score(custseg.rfm_thresholds,custseg.customer_summary)', t, s)
       = custseg.rfm_score(t, s)::text AS same,
       fmgrcall('fc_old_score(custseg.rfm_thresholds,float8,float8,float8)', t, 4::float8, 2::float8, 50::float8)
       = custseg.rfm_score(t, 4, 2, 50)::text AS same
FROM fc_t, fc_customers WHERE customer_id = 17;
CREATE FUNCTION fc_old_window(float8, float8, float8, integer DEFAULT 5, text DEFAULT 'quantile')
RETURNS custseg.rfm_score AS 'custseg', 'rfm_score_window' LANGUAGE C WINDOW;
CREATE FUNCTION fc_old_window(custseg.customer_summary, integer DEFAULT 5, text DEFAULT 'quantile')
RETURNS custseg.rfm_score AS 'custseg', 'rfm_score_window' LANGUAGE C WINDOW;
SELECT count(*) FILTER (WHERE a = b) AS same, count(*) AS customers
FROM (SELECT fc_old_window(s) OVER () AS a, custseg.rfm_score(s) OVER () AS b FROM fc_customers) w;
SELECT count(*) FILTER (WHERE a = b) AS same, count(*) AS rows
FROM (SELECT fc_old_window(r, f, m, 3) OVER () AS a, custseg.rfm_score(r, f, m, 3) OVER () AS b FROM fc_rows) w;

-- A C function bound to an SQL signature that is not its own fails clearly.
CREATE FUNCTION fc_wrong_score(custseg.rfm_thresholds, custseg.customer_summary)
RETURNS custseg.rfm_score AS 'custseg', 'rfm_score_values' LANGUAGE C STRICT;
SELECT fc_wrong_score(t, s) FROM fc_t, fc_customers WHERE customer_id = 17;
CREATE FUNCTION fc_wrong_window(custseg.customer_summary, integer DEFAULT 5, text DEFAULT 'quantile')
RETURNS custseg.rfm_score AS 'custseg', 'rfm_score_window_values' LANGUAGE C WINDOW;
SELECT fc_wrong_window(s) OVER () FROM fc_customers LIMIT 1;

-- The CLV predictions (issue 11): one C function per signature, so a call
-- without an expression tree gives what the SQL call gives, for a horizon
-- as a number and as an interval; the C symbols of 0.1.0, bound to both,
-- fail clearly instead of guessing.
CREATE TEMP TABLE fc_m AS SELECT custseg.bgnbd_fit(x, t_x, t, interval '1 week') AS m,
	custseg.paretonbd_fit(x, t_x, t) AS p FROM fc_cdnow;
SELECT fmgrcall('custseg.expected_purchases(custseg.bgnbd,interval,bigint,float8,float8)',
				m, interval '39 weeks', 2::bigint, 30.43::float8, 38.86::float8)
	   = custseg.expected_purchases(m, interval '39 weeks', 2, 30.43, 38.86)::text AS interval_horizon,
	   fmgrcall('custseg.expected_purchases(custseg.bgnbd,float8,bigint,float8,float8)',
				m, 39::float8, 2::bigint, 30.43::float8, 38.86::float8)
	   = custseg.expected_purchases(m, 39, 2, 30.43, 38.86)::text AS number_horizon,
	   fmgrcall('custseg.purchase_probability(custseg.paretonbd,bigint,interval)', p, 1::bigint, interval '10 weeks')
	   = custseg.purchase_probability(p, 1, interval '10 weeks')::text AS pareto_interval
FROM fc_m;
CREATE FUNCTION fc_old_expected(custseg.bgnbd, interval, bigint, float8, float8)
RETURNS float8 AS 'custseg', 'bgnbd_expected_purchases' LANGUAGE C STRICT;
SELECT fc_old_expected(m, interval '39 weeks', 2, 30.43, 38.86) = custseg.expected_purchases(m, interval '39 weeks', 2, 30.43, 38.86)
	   AS old_symbol_in_sql FROM fc_m;
SELECT fmgrcall('fc_old_expected(custseg.bgnbd,interval,bigint,float8,float8)',
				m, interval '39 weeks', 2::bigint, 30.43::float8, 38.86::float8) FROM fc_m;
DROP FUNCTION fc_old_expected(custseg.bgnbd, interval, bigint, float8, float8);

-- fmgrcall's own checks
SELECT fmgrcall('custseg.rfm_score(custseg.rfm_thresholds,float8,float8,float8)', t, 3, 2, 80) FROM fc_t;
SELECT fmgrcall_agg('custseg.rfm_score(custseg.rfm_thresholds,float8,float8,float8)', 0, t, 1::float8, 1::float8, 1::float8) FROM fc_t;

DROP FUNCTION fc_wrong_window(custseg.customer_summary, integer, text);
DROP FUNCTION fc_wrong_score(custseg.rfm_thresholds, custseg.customer_summary);
DROP FUNCTION fc_old_window(custseg.customer_summary, integer, text);
DROP FUNCTION fc_old_window(float8, float8, float8, integer, text);
DROP FUNCTION fc_old_score(custseg.rfm_thresholds, float8, float8, float8);
DROP FUNCTION fc_old_score(custseg.rfm_thresholds, custseg.customer_summary);
DROP AGGREGATE fc_old_thresholds(custseg.customer_summary);
DROP AGGREGATE fc_old_thresholds(float8, float8, float8, integer);
DROP AGGREGATE fc_old_thresholds(float8, float8, float8);
DROP FUNCTION fc_old_accum(custseg.rfm_thresholds_state, custseg.customer_summary);
DROP FUNCTION fc_old_accum(custseg.rfm_thresholds_state, float8, float8, float8, integer);
DROP FUNCTION fc_old_accum(custseg.rfm_thresholds_state, float8, float8, float8);
DROP EXTENSION fmgrcall;
