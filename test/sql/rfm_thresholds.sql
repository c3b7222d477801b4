-- custseg.rfm_thresholds: the aggregate, its state type and the thresholds type.

-- 100 customers whose frequency is heavily tied: 60 have one order.
CREATE TABLE rfm_t (id int, recency float8, frequency float8, monetary float8);
INSERT INTO rfm_t
SELECT i,
       (i * 37) % 100,
       CASE WHEN i <= 60 THEN 1 WHEN i <= 75 THEN 2 WHEN i <= 85 THEN 3
            WHEN i <= 91 THEN 4 WHEN i <= 95 THEN 5 ELSE i - 90 END,
       i * 10 - 500
FROM generate_series(1, 100) i;

-- 'quantile' (the default): F = 1 takes score 1 alone, the other 40
-- customers are split into 15 | 10 | 6 | 9 (closest to 40/4, 25/3, 15/2).
SELECT custseg.rfm_thresholds(recency, frequency, monetary) FROM rfm_t;
SELECT custseg.rfm_thresholds(recency, frequency, monetary, 5) FROM rfm_t;
SELECT custseg.rfm_thresholds(recency, frequency, monetary, 5, 'quantile') FROM rfm_t;
SELECT custseg.rfm_thresholds(recency, frequency, monetary, 2) FROM rfm_t;
SELECT custseg.rfm_thresholds(recency, frequency, monetary, 10) FROM rfm_t;

-- 'rfm': R's quantiles plus one; equal cut points are kept.
SELECT custseg.rfm_thresholds(recency, frequency, monetary, 5, 'rfm') FROM rfm_t;
SELECT custseg.rfm_thresholds(recency, frequency, monetary, 3, 'rfm') FROM rfm_t;

-- Tie between two boundaries equally close to the target: the smaller group
-- wins.  Frequencies 1, 2, 2, 3 in two bins: {1} | {2, 3}.
SELECT custseg.rfm_thresholds(0, f, 0, 2) FROM (VALUES (1), (2), (2), (3)) v(f);

-- Recency is grouped from the worst (largest) value down: 400 (6 customers)
-- scores 1, 100 (2 customers) scores 2, 0 and 10 score 3.
SELECT custseg.rfm_thresholds(r, 1, 1, 3)
FROM (VALUES (0), (10), (100), (100), (400), (400), (400), (400), (400), (400)) v(r);

-- Fewer distinct values than bins: one group per value, top scores unused.
SELECT custseg.rfm_thresholds(r, f, m) FROM (VALUES (1, 1, 5), (2, 1, 5), (3, 2, 5)) v(r, f, m);

-- All-equal values, one customer, no customer, only NULL rows.
SELECT custseg.rfm_thresholds(7, 3, 100) FROM generate_series(1, 50);
SELECT custseg.rfm_thresholds(7, 3, 100, 5, 'rfm') FROM generate_series(1, 50);
SELECT custseg.rfm_thresholds(30, 2, 99.5);
SELECT custseg.rfm_thresholds(30, 2, 99.5, 4, 'rfm');
SELECT custseg.rfm_thresholds(recency, frequency, monetary) IS NULL AS empty FROM rfm_t WHERE false;
SELECT custseg.rfm_thresholds(NULL, 1, 1) IS NULL AS all_null FROM generate_series(1, 3);

-- Rows with a NULL dimension are left out.
SELECT custseg.rfm_thresholds(recency, frequency, monetary)
FROM (SELECT recency, frequency, monetary FROM rfm_t
      UNION ALL SELECT NULL, 1, 1 UNION ALL SELECT 1, NULL, 1 UNION ALL SELECT 1, 1, NULL) s;

-- Negative monetary (refunds) is allowed; -0 is 0.
SELECT custseg.rfm_thresholds(r, 1, m, 2) FROM (VALUES (0, -250.5), ('-0', '-0'), (3, 100)) v(r, m);

-- GROUP BY: thresholds per group.
SELECT id % 2 AS half, custseg.rfm_thresholds(recency, frequency, monetary, 3)
FROM rfm_t GROUP BY 1 ORDER BY 1;

-- Bad input.
SELECT custseg.rfm_thresholds(r, 1, 1) FROM (VALUES (1::float8), ('NaN')) v(r);
SELECT custseg.rfm_thresholds(1, f, 1) FROM (VALUES (1::float8), ('Infinity')) v(f);
SELECT custseg.rfm_thresholds(1, 1, m) FROM (VALUES (1::float8), ('-Infinity')) v(m);
SELECT custseg.rfm_thresholds(-1, 1, 1);
SELECT custseg.rfm_thresholds(1, -1, 1);
SELECT custseg.rfm_thresholds(1, 1, 1, 1);
SELECT custseg.rfm_thresholds(1, 1, 1, 11);
SELECT custseg.rfm_thresholds(1, 1, 1, NULL);
SELECT custseg.rfm_thresholds(1, 1, 1, 5, 'ntile');
SELECT custseg.rfm_thresholds(1, 1, 1, 5, 'custom');
SELECT custseg.rfm_thresholds(1, 1, 1, 5, NULL);
SELECT custseg.rfm_thresholds(recency, frequency, monetary, 3 + id % 2) FROM rfm_t;
SELECT custseg.rfm_thresholds(recency, frequency, monetary, 5,
       CASE WHEN id < 50 THEN 'rfm' ELSE 'quantile' END) FROM rfm_t;
-- bins and method are checked on rows with NULL dimensions too
SELECT custseg.rfm_thresholds(NULL, 1, 1, 0);

-- Parallel plans: partial aggregates combined, equal to the serial result.
CREATE TABLE rfm_big AS
SELECT i AS id, (i * 7919) % 1000 AS recency, 1 + (i::bigint * i) % 13 % 7 AS frequency,
       ((i::bigint * 104729) % 100000) / 100.0 AS monetary
FROM generate_series(1, 50000) i;
ANALYZE rfm_big;
CREATE TABLE rfm_serial AS
SELECT custseg.rfm_thresholds(recency, frequency, monetary)::text AS q,
       custseg.rfm_thresholds(recency, frequency, monetary, 7, 'rfm')::text AS r
FROM rfm_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT custseg.rfm_thresholds(recency, frequency, monetary) FROM rfm_big;
SELECT custseg.rfm_thresholds(recency, frequency, monetary)::text = q AS quantile_equal,
       custseg.rfm_thresholds(recency, frequency, monetary, 7, 'rfm')::text = r AS rfm_equal
FROM rfm_big, rfm_serial GROUP BY q, r;
-- only a few rows count: some workers end with a NULL state
SELECT custseg.rfm_thresholds(CASE WHEN id % 9973 = 0 THEN recency END, frequency, monetary)
FROM rfm_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT custseg.rfm_thresholds(CASE WHEN id % 9973 = 0 THEN recency END, frequency, monetary)
FROM rfm_big;

-- The state type: an aggregate without final function shows the state,
-- whose text form feeds the final function to the same thresholds.
CREATE AGGREGATE rfm_state_of(float8, float8, float8, integer, text) (
	SFUNC = custseg.rfm_thresholds_accum,
	STYPE = custseg.rfm_thresholds_state,
	COMBINEFUNC = custseg.rfm_thresholds_combine
);
SELECT rfm_state_of(r, f, m, 3, 'rfm')
FROM (VALUES (5, 1, 10.25), (5, 2, 0.1), (40, 1, -3)) v(r, f, m);
SELECT custseg.rfm_thresholds_final(rfm_state_of(recency, frequency, monetary, 5, 'quantile')::text::custseg.rfm_thresholds_state)::text
       = custseg.rfm_thresholds(recency, frequency, monetary)::text AS state_round_trip
FROM rfm_big;
SELECT s::text::custseg.rfm_thresholds_state::text = s::text AS state_text_round_trip
FROM (SELECT rfm_state_of(recency, frequency, monetary, 4, 'rfm') s FROM rfm_big) x;
SELECT custseg.rfm_thresholds_final(
	'{"customers": 3, "bins": 2, "method": "rfm", "recency": [[1, 3]],
	  "frequency": [[1, 1], [2, 2]], "monetary": [[-1e-300, 1], [0.1, 1], [1.7976931348623157e308, 1]]}');

-- Malformed or inconsistent states are rejected.
SELECT '{"method": "rfm", "bins": 5, "customers": 2, "recency": [[1, 2]], "frequency": [[1, 2]], "monetary": [[1, 1]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 2, "recency": [[1, 2]], "frequency": [[1, 2]], "monetary": [[1, 1], [2, 2]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 2, "recency": [[2, 1], [1, 1]], "frequency": [[1, 2]], "monetary": [[1, 2]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 2, "recency": [[1, 0], [2, 2]], "frequency": [[1, 2]], "monetary": [[1, 2]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 1, "recency": [[-1, 1]], "frequency": [[1, 1]], "monetary": [[1, 1]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 0, "recency": [], "frequency": [], "monetary": []}'::custseg.rfm_thresholds_state;
SELECT '{"method": "custom", "bins": 5, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[1, 1]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 11, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[1, 1]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[1, 1.5]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[NaN, 1]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 99999999999999999999, "recency": [], "frequency": [], "monetary": []}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[1e999, 1]]}'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[1, 1]]} x'::custseg.rfm_thresholds_state;
SELECT '{"method": "rfm", "bins": 5, "customers": 1, "recency": [[1, 1]], "frequency": [[1, 1]], "monetary": [[1, 1'::custseg.rfm_thresholds_state;

-- The thresholds type: exact JSON text, keys in any order (so jsonb works).
SELECT t, t::text::custseg.rfm_thresholds::text = t::text AS round_trip,
       t::text::jsonb::text::custseg.rfm_thresholds::text = t::text AS via_jsonb
FROM (SELECT custseg.rfm_thresholds(recency, frequency, monetary, 4, 'rfm') t FROM rfm_big) x;
SELECT t, t::text::custseg.rfm_thresholds::text = t::text AS round_trip,
       (t::text::jsonb -> 'monetary' ->> 1)::float8 = 1::float8 / 3 AS third,
       (t::text::jsonb -> 'monetary' ->> 0)::float8 = 0.1::float8 AS tenth,
       (t::text::jsonb -> 'recency' ->> 0)::float8 = 5e-324 AS denormal
FROM (SELECT custseg.rfm_thresholds(ARRAY[5e-324, 1e-300], ARRAY[-1.5, 1e22],
                                    ARRAY[0.1, 1::float8 / 3]) t) x;
SELECT '{ "bins" : 3 , "monetary":[1,2],"frequency":[ 2 ,3 ],"recency":[-0, 1E2], "method":"custom" }'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 10, "recency": [], "frequency": [1], "monetary": [1, 2, 3, 4, 5, 6, 7, 8, 9]}'::custseg.rfm_thresholds;
SELECT '{"method": "rfm", "bins": 3, "recency": [2, 2], "frequency": [1, 1], "monetary": [0, 0]}'::custseg.rfm_thresholds;

-- Malformed or invalid thresholds are rejected.
SELECT ''::custseg.rfm_thresholds;
SELECT '{}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [1], "frequency": [1], "monetary": [1]'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [1], "frequency": [1], "monetary": [1]}}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [1], "frequency": [1], "monetary": [1], "bins": 5}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [1], "frequency": [1], "monetary": [1], "extra": 1}'::custseg.rfm_thresholds;
SELECT '{"method": "kmeans", "bins": 5, "recency": [1], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 1, "recency": [], "frequency": [], "monetary": []}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 11, "recency": [1], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": -5, "recency": [1], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 3, "recency": [1, 2, 3], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 10, "recency": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [1], "frequency": [2, 2], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "rfm", "bins": 3, "recency": [1, 2], "frequency": [2, 1], "monetary": [1, 1]}'::custseg.rfm_thresholds;
SELECT '{"method": "rfm", "bins": 3, "recency": [1, 2], "frequency": [1], "monetary": [1, 1]}'::custseg.rfm_thresholds;
SELECT '{"method": "custom", "bins": 3, "recency": [1, 2], "frequency": [1, 2], "monetary": []}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [NaN], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [Infinity], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [1e400], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [0x10], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": ["1"], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5.0, "recency": [1], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 05, "recency": [1], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quantile", "bins": 5, "recency": [1,], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;
SELECT '{"method": "quan\u0074ile", "bins": 5, "recency": [1], "frequency": [1], "monetary": [1]}'::custseg.rfm_thresholds;

-- Custom thresholds.
SELECT custseg.rfm_thresholds(ARRAY[30, 90, 180, 365], ARRAY[2, 3, 5, 10], ARRAY[50, 100, 250, 1000]);
SELECT custseg.rfm_thresholds(ARRAY[30], ARRAY[2], ARRAY[0]);
SELECT custseg.rfm_thresholds(ARRAY[30, 90], NULL, ARRAY[50, 100]) IS NULL AS strict;
SELECT custseg.rfm_thresholds(ARRAY[]::float8[], ARRAY[]::float8[], ARRAY[]::float8[]);
SELECT custseg.rfm_thresholds(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
SELECT custseg.rfm_thresholds(ARRAY[30, 90], ARRAY[2, 3, 5], ARRAY[50, 100]);
SELECT custseg.rfm_thresholds(ARRAY[30, 90], ARRAY[2, 3], ARRAY[50]);
SELECT custseg.rfm_thresholds(ARRAY[[30, 90]], ARRAY[2, 3], ARRAY[50, 100]);
SELECT custseg.rfm_thresholds(ARRAY[30, NULL], ARRAY[2, 3], ARRAY[50, 100]);
SELECT custseg.rfm_thresholds(ARRAY[30, 90], ARRAY[2, 'NaN'::float8], ARRAY[50, 100]);
SELECT custseg.rfm_thresholds(ARRAY[30, 90], ARRAY[2, 3], ARRAY['-Infinity'::float8, 100]);
SELECT custseg.rfm_thresholds(ARRAY[90, 30], ARRAY[2, 3], ARRAY[50, 100]);
SELECT custseg.rfm_thresholds(ARRAY[30, 90], ARRAY[3, 3], ARRAY[50, 100]);

DROP AGGREGATE rfm_state_of(float8, float8, float8, integer, text);
DROP TABLE rfm_t, rfm_big, rfm_serial;
