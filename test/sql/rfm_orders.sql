-- The sample orders of the R package rfm (test/data/README.md), scored with
-- method 'rfm' as of 2006-12-31, 5 bins, as R's rfm_table_order does.

CREATE TABLE rfm_o_orders (customer_id text, order_date date, revenue float8);
\copy rfm_o_orders FROM 'test/data/rfm_orders.csv' WITH (FORMAT csv, HEADER)

-- Per customer: days since the last order, number of orders, revenue.
CREATE TABLE rfm_o_customers AS
SELECT customer_id,
       DATE '2006-12-31' - max(order_date) AS recency_days,
       count(*) AS transactions,
       sum(revenue) AS amount
FROM rfm_o_orders GROUP BY customer_id;
SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers,
       min(order_date), max(order_date) FROM rfm_o_orders;

SELECT custseg.rfm_thresholds(recency_days, transactions, amount, 5, 'rfm')
FROM rfm_o_customers;

-- The first customers.  These five match the scores the rfm package's
-- documentation prints for this sample (there the names carry suffixes such
-- as "DVM" and "Sr." that this copy of the data does not have):
-- Abbey O'Reilly 205 6 472 R3 F4 M3, Add Senger 140 3 340 R4 F1 M2,
-- Aden Lesch 194 4 405 R3 F2 M3, Admiral Senger 132 5 448 R4 F3 M3,
-- Agness O'Keefe 90 9 843 R5 F5 M5.
SELECT customer_id, recency_days, transactions, amount,
       (custseg.rfm_score(recency_days, transactions, amount, 5, 'rfm') OVER ()).*
FROM rfm_o_customers ORDER BY customer_id LIMIT 10;

-- An independent plain-SQL implementation of R's rule: quantiles by
-- percentile_cont, cut points plus one, bin i = [lower_i, upper_i) with
-- lower = (min, cuts) and upper = (cuts, max + 1), recency scored 6 - i.
CREATE TABLE rfm_o_reference AS
WITH q AS (
	SELECT min(recency_days)::float8 AS rmin, max(recency_days)::float8 AS rmax,
	       min(transactions)::float8 AS fmin, max(transactions)::float8 AS fmax,
	       min(amount) AS mmin, max(amount) AS mmax,
	       percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency_days) AS rq,
	       percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY transactions) AS fq,
	       percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY amount) AS mq
	FROM rfm_o_customers),
b AS (
	SELECT ARRAY[rmin] || ARRAY(SELECT x + 1 FROM unnest(rq) x) AS rlo,
	       ARRAY(SELECT x + 1 FROM unnest(rq) x) || ARRAY[rmax + 1] AS rhi,
	       ARRAY[fmin] || ARRAY(SELECT x + 1 FROM unnest(fq) x) AS flo,
	       ARRAY(SELECT x + 1 FROM unnest(fq) x) || ARRAY[fmax + 1] AS fhi,
	       ARRAY[mmin] || ARRAY(SELECT x + 1 FROM unnest(mq) x) AS mlo,
	       ARRAY(SELECT x + 1 FROM unnest(mq) x) || ARRAY[mmax + 1] AS mhi
	FROM q)
SELECT c.customer_id,
       (SELECT 6 - max(i) FROM generate_series(1, 5) i
        WHERE c.recency_days >= rlo[i] AND c.recency_days < rhi[i]) AS r,
       (SELECT max(i) FROM generate_series(1, 5) i
        WHERE c.transactions >= flo[i] AND c.transactions < fhi[i]) AS f,
       (SELECT max(i) FROM generate_series(1, 5) i
        WHERE c.amount >= mlo[i] AND c.amount < mhi[i]) AS m
FROM rfm_o_customers c, b;

-- All 995 customers agree with the reference, in both forms.
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (w.r, w.f, w.m) = (ref.r, ref.f, ref.m)) AS window_equal,
       count(*) FILTER (WHERE (s.r, s.f, s.m) = (ref.r, ref.f, ref.m)) AS two_step_equal,
       count(*) FILTER (WHERE w.cell = 100 * ref.r + 10 * ref.f + ref.m) AS cell_equal
FROM (SELECT customer_id,
             (custseg.rfm_score(recency_days, transactions, amount, 5, 'rfm') OVER ()).*
      FROM rfm_o_customers) w
JOIN rfm_o_reference ref USING (customer_id)
JOIN (SELECT c.customer_id, (custseg.rfm_score(t, recency_days, transactions, amount)).*
      FROM rfm_o_customers c,
           (SELECT custseg.rfm_thresholds(recency_days, transactions, amount, 5, 'rfm') t
            FROM rfm_o_customers) x) s USING (customer_id);

-- Score distribution: recency and monetary have nearly equal bins; frequency
-- is tied (whole order counts), so its bins hold 268 | 187 | 176 | 244 | 120.
SELECT 'r' AS dim, r AS score, count(*) FROM rfm_o_reference GROUP BY r
UNION ALL SELECT 'f', f, count(*) FROM rfm_o_reference GROUP BY f
UNION ALL SELECT 'm', m, count(*) FROM rfm_o_reference GROUP BY m
ORDER BY 1, 2;

-- The default method on the same customers, for comparison.
SELECT custseg.rfm_thresholds(recency_days, transactions, amount) FROM rfm_o_customers;
SELECT (s).f, count(*)
FROM (SELECT custseg.rfm_score(recency_days, transactions, amount) OVER () s FROM rfm_o_customers) x
GROUP BY 1 ORDER BY 1;

-- custseg.summarize gives the same three figures (recency_days, orders,
-- revenue), so the whole pipeline from orders to segments is one query.
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (s).recency_days = c.recency_days AND (s).orders = c.transactions
                          AND (s).revenue = c.amount) AS same_figures
FROM (SELECT customer_id, custseg.summarize(order_date, revenue, DATE '2006-12-31') AS s
      FROM rfm_o_orders GROUP BY customer_id) o
JOIN rfm_o_customers c USING (customer_id);
SELECT segment, count(*) AS customers
FROM (SELECT custseg.segment(custseg.rfm_score((s).recency_days, (s).orders, (s).revenue, 5, 'rfm')
                             OVER ()) AS segment
      FROM (SELECT custseg.summarize(order_date, revenue, DATE '2006-12-31') AS s
            FROM rfm_o_orders GROUP BY customer_id) o) x
GROUP BY segment ORDER BY customers DESC, segment;

DROP TABLE rfm_o_orders, rfm_o_customers, rfm_o_reference;
