-- The simple CLV formulas: historical value and the retention formula.
SET extra_float_digits = 0;

-- Historical value: margin * revenue; revenue may be negative (refunds).
SELECT custseg.clv_historical(1250.0) AS full_revenue,
	   custseg.clv_historical(1250.0, 0.3) AS thirty_percent,
	   custseg.clv_historical(-40.0, 0.3) AS refunds,
	   custseg.clv_historical(1250.0, 0) AS no_margin,
	   custseg.clv_historical(1250.0, 1.5) AS marked_up;

-- From a summary: its revenue.
SELECT customer, (s).revenue, custseg.clv_historical(s, 0.25) AS historical
FROM (SELECT customer, custseg.summarize(day, amount, date '2020-12-31') AS s
	  FROM (VALUES (1, date '2020-01-01', 100.0), (1, date '2020-03-01', 60.0),
				   (2, date '2020-05-01', 80.0), (2, date '2020-05-02', -100.0)) v(customer, day, amount)
	  GROUP BY customer) x
ORDER BY customer;

-- Retention formula m r / (1 + d - r): equal to the discounted sum of the
-- margins of the periods to come, summed here over 5,000 periods.
SELECT m, r, d, round(custseg.clv_retention(m, r, d)::numeric, 6) AS clv,
	   abs(custseg.clv_retention(m, r, d)
		   - (SELECT sum(m * (r / (1 + d)) ^ t) FROM generate_series(1, 5000) t)) < 1e-9 AS series
FROM (VALUES (100.0, 0.8, 0.1), (100.0, 0.0, 0.1), (50.0, 0.9, 0.0), (-20.0, 0.5, 0.25),
			 (100.0, 0.99, 0.0)) v(m, r, d)
ORDER BY m, r, d;

-- Bad input.
SELECT custseg.clv_historical('NaN'::float8);
SELECT custseg.clv_historical('Infinity', 0.5);
SELECT custseg.clv_historical(100, -0.1);
SELECT custseg.clv_historical(100, 'NaN');
SELECT custseg.clv_historical(NULL::float8) IS NULL AS null_revenue;
SELECT custseg.clv_historical(NULL::custseg.customer_summary) IS NULL AS null_summary;
SELECT custseg.clv_historical(ROW(NULL, NULL, 0, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL)::custseg.customer_summary)
	IS NULL AS summary_without_revenue;
SELECT custseg.clv_historical(ROW(NULL, NULL, 0, 0, 'Infinity', NULL, NULL, 0, NULL, NULL, NULL)::custseg.customer_summary);
SELECT custseg.clv_retention(100, 1, 0.1);
SELECT custseg.clv_retention(100, 1.2, 0.1);
SELECT custseg.clv_retention(100, -0.1, 0.1);
SELECT custseg.clv_retention(100, 0.8, -0.05);
SELECT custseg.clv_retention('NaN', 0.8, 0.1);
SELECT custseg.clv_retention(100, 'NaN', 0.1);
SELECT custseg.clv_retention(100, 0.8, 'Infinity');
SELECT custseg.clv_retention(100, 0.8, NULL) IS NULL AS null_rate;
