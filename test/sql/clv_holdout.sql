-- Holdout validation on CDNOW: calibrate BG/NBD and Gamma-Gamma on the
-- purchases up to 1997-09-30, predict each customer's purchases and
-- revenue in the next 39 weeks (1997-10-01 .. 1998-06-30, 273 days) and
-- compare with what they bought, per group of customers with the same
-- number of calibration repeat purchases (docs/clv.md).
SET extra_float_digits = 0;

CREATE TABLE ho_raw (line text);
\copy ho_raw FROM 'test/data/CDNOW_sample.txt'
CREATE TABLE ho_orders AS
SELECT f[2]::int AS id, to_date(f[3], 'YYYYMMDD') AS day, f[5]::numeric AS amount
FROM (SELECT regexp_split_to_array(trim(line), '\s+') AS f FROM ho_raw) s;

-- Calibration summary (purchases after as_of are ignored) and holdout
-- purchases: distinct purchase days, as x counts them.
CREATE TABLE ho_customers AS
SELECT id, custseg.summarize(day, amount, date '1997-09-30') AS s,
	   count(DISTINCT day) FILTER (WHERE day BETWEEN '1997-10-01' AND '1998-06-30') AS actual,
	   coalesce(sum(amount) FILTER (WHERE day BETWEEN '1997-10-01' AND '1998-06-30'), 0)
		 AS actual_revenue
FROM ho_orders GROUP BY id;
SELECT count(*) AS customers, sum((s).repeat_purchases) AS calibration_repeat_purchases,
	   sum(actual) AS holdout_purchases
FROM ho_customers;

CREATE TABLE ho_model AS SELECT custseg.bgnbd_fit(s) AS m FROM ho_customers;
SELECT round((m).r::numeric, 3) AS r, round((m).alpha::numeric / 7, 3) AS alpha_weeks,
	   round((m).a::numeric, 3) AS a, round((m).b::numeric, 3) AS b, (m).converged
FROM ho_model;

CREATE TABLE ho_scored AS
SELECT least((s).repeat_purchases, 7) AS x_group, actual,
	   custseg.expected_purchases(m, 273.0, (s).repeat_purchases, (s).active_days, (s).age_days)
		 AS predicted,
	   -- naive benchmark: the customer's calibration purchase rate carried forward
	   (s).repeat_purchases / (s).age_days * 273 AS naive
FROM ho_customers, ho_model;

-- The table of the papers: predicted and actual mean holdout purchases per
-- calibration frequency (7 = 7 or more).
SELECT x_group, count(*) AS customers, round(avg(actual), 3) AS actual,
	   round(avg(predicted)::numeric, 3) AS predicted, round(avg(naive)::numeric, 3) AS naive
FROM ho_scored GROUP BY x_group ORDER BY x_group;

-- Checks that fail when the model, the summary or the time units are
-- wrong.  BG/NBD predicts 1,653 of the 1,882 holdout purchases (12 % too
-- few: it under-predicts customers with 1 or 2 calibration repeat
-- purchases by a quarter); a horizon in the wrong unit, or a model fitted
-- on weeks, would be off by a factor of 7.  The total is within 15 %;
-- every group within 30 %; the group means rise with the calibration
-- frequency; the model beats the naive benchmark in total, per group and
-- per customer.
SELECT round(sum(predicted)::numeric, 1) AS predicted_total, sum(actual) AS actual_total,
	   abs(sum(predicted) / sum(actual) - 1) < 0.15 AS total_within_15_percent,
	   abs(sum(naive) / sum(actual) - 1) > abs(sum(predicted) / sum(actual) - 1) AS beats_naive_total,
	   avg(abs(predicted - actual)) < avg(abs(naive - actual)) AS beats_naive_per_customer
FROM ho_scored;
SELECT bool_and(abs(p - a) <= 0.30 * a) AS every_group_within_30_percent,
	   sum(abs(p - a)) < sum(abs(n - a)) AS beats_naive_per_group,
	   bool_and(mean_p > previous_mean_p) FILTER (WHERE x_group > 0) AS rises_with_frequency
FROM (SELECT x_group, p, a, n, p / c AS mean_p, lag(p / c) OVER (ORDER BY x_group) AS previous_mean_p
	  FROM (SELECT x_group, sum(predicted) AS p, sum(actual) AS a, sum(naive) AS n, count(*) AS c
			FROM ho_scored GROUP BY x_group) g) h;

-- The money: Gamma-Gamma fitted on the same calibration summaries, and
-- custseg.clv undiscounted with margin 1 (the expected revenue of the
-- holdout).  Expected spend per purchase against the actual revenue per
-- holdout purchase, and revenue, per group.
CREATE TABLE ho_spend AS SELECT custseg.gammagamma_fit(s) AS g FROM ho_customers;
CREATE TABLE ho_revenue AS
SELECT least((s).repeat_purchases, 7) AS x_group, actual, actual_revenue,
	   custseg.expected_spend(g, (s).repeat_purchases, (s).repeat_spend) AS spend,
	   custseg.clv(m, g, (s).repeat_purchases, (s).active_days, (s).age_days, (s).repeat_spend,
				   273.0, 0, 1) AS predicted_revenue
FROM ho_customers, ho_model, ho_spend;
SELECT x_group, round(sum(actual_revenue) / nullif(sum(actual), 0), 2) AS actual_per_purchase,
	   round(avg(spend)::numeric, 2) AS expected_spend,
	   round(avg(actual_revenue), 2) AS actual_revenue,
	   round(avg(predicted_revenue)::numeric, 2) AS predicted_revenue
FROM ho_revenue GROUP BY x_group ORDER BY x_group;

-- Revenue per purchase is predicted within 5 % (37.71 actual); the revenue
-- within 20 % (it inherits the 12 % shortfall of the purchases); every
-- group's mean spend within 20 % of its actual revenue per purchase.
SELECT round(sum(actual_revenue), 2) AS actual_revenue,
	   round(sum(predicted_revenue)::numeric, 2) AS predicted_revenue,
	   abs(sum(predicted_revenue) / (SELECT sum(predicted) FROM ho_scored)
		   / (sum(actual_revenue) / sum(actual)) - 1) < 0.05 AS per_purchase_within_5_percent,
	   abs(sum(predicted_revenue) / sum(actual_revenue) - 1) < 0.20 AS revenue_within_20_percent
FROM ho_revenue;
SELECT bool_and(abs(s / (r / a) - 1) < 0.20) AS every_group_spend_within_20_percent
FROM (SELECT avg(spend) AS s, sum(actual_revenue) AS r, sum(actual) AS a
	  FROM ho_revenue GROUP BY x_group) g;

DROP TABLE ho_raw, ho_orders, ho_customers, ho_model, ho_scored, ho_spend, ho_revenue;
