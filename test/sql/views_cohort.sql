-- custseg.cohort_retention: cohorts by first-purchase month, quarter or week
-- (docs/views.md).  Checked by hand below.
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

CREATE TABLE views_cohort_orders (customer_id integer, day date, amount numeric);
INSERT INTO views_cohort_orders VALUES
	(1, '2024-01-05', 10), (1, '2024-02-10', 10), (1, '2024-04-01', 10),
	(2, '2024-01-20', 10), (2, '2024-01-25', 10),
	(3, '2024-01-31', 10), (3, '2024-03-15', 10),
	(4, '2024-02-01', 10), (4, '2024-02-29', 10), (4, '2024-03-01', 10),
	(5, '2024-02-14', 10), (5, '2024-03-03', -10),	-- a refund in March
	(6, '2024-04-30', 10),
	(NULL, '2024-03-10', 10);						-- no customer: ignored

-- By hand, months (the last month with an order is April 2024):
--   cohort January:  customers 1, 2, 3 (3)
--     0 January  1, 2, 3 active  3/3 = 1
--     1 February 1               1/3
--     2 March    3               1/3
--     3 April    1               1/3
--   cohort February: customers 4, 5 (2)
--     0 February 4, 5            2/2 = 1
--     1 March    4, 5 (refund)   2/2 = 1
--     2 April    nobody          0/2 = 0
--   no March cohort (nobody bought first in March)
--   cohort April:    customer 6 (1)
--     0 April    6               1/1 = 1
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'day');
-- With the amount column, a refund is not a purchase: customer 5 is not
-- active in March, the February cohort's month 1 is 1/2 = 0.5.
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'day',
	amount_column => 'amount')
WHERE cohort = '2024-02-01';

-- Quarters, by hand (the last quarter with an order is 2024 Q2); orders of
-- 2023 Q4 and 2025 Q1 across the year boundary in a second table:
--   cohort Q1: customers 1 .. 5 (5)
--     0 Q1  1, 2, 3, 4, 5       5/5 = 1
--     1 Q2  1                   1/5
--   cohort Q2: customer 6 (1)
--     0 Q2  6                   1/1 = 1
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'day', 'quarter');
CREATE TABLE views_cohort_years (customer_id integer, day date);
INSERT INTO views_cohort_years VALUES (1, '2023-12-31'), (1, '2024-01-01'), (1, '2025-03-31'),
									  (2, '2023-10-01');
-- Cohort 2023 Q4 (1, 2): quarter 1 (2024 Q1) 1/2, quarters 2, 3, 4 none,
-- quarter 5 (2025 Q1) 1/2.
SELECT * FROM custseg.cohort_retention('views_cohort_years', 'customer_id', 'day', 'quarter');
DROP TABLE views_cohort_years;

-- Weeks (ISO, from Monday; 2024-01-01 is a Monday), timestamptz times.
CREATE TABLE views_cohort_weekly (who text, t timestamptz);
INSERT INTO views_cohort_weekly VALUES
	('w1', '2024-01-01 08:00+00'), ('w1', '2024-01-07 23:00+00'), ('w1', '2024-01-15 10:00+00'),
	('w2', '2024-01-03 12:00+00'), ('w2', '2024-01-09 12:00+00'),
	('w3', '2024-01-10 12:00+00'), ('w3', '2024-01-17 12:00+00');
-- By hand (weeks of Jan 1, Jan 8, Jan 15):
--   cohort Jan 1: w1, w2 (2)
--     0 week of Jan 1   w1, w2   2/2 = 1
--     1 week of Jan 8   w2       1/2
--     2 week of Jan 15  w1       1/2
--   cohort Jan 8: w3 (1)
--     0 week of Jan 8   w3       1/1
--     1 week of Jan 15  w3       1/1
SELECT * FROM custseg.cohort_retention('views_cohort_weekly', 'who', 't', 'week');
-- w1's Sunday order at 23:00 UTC is Monday in Berlin: w1 is then active in
-- the week of Jan 8 too, and week 1 of the first cohort is 2/2.
SET timezone = 'Europe/Berlin';
SELECT * FROM custseg.cohort_retention('views_cohort_weekly', 'who', 't', 'week')
WHERE cohort = '2024-01-01' AND period_number = 1;
SET timezone = 'UTC';

-- No orders: no cohorts.
CREATE TABLE views_cohort_none (customer_id integer, day date);
SELECT count(*) FROM custseg.cohort_retention('views_cohort_none', 'customer_id', 'day');

-- Bad input.
SELECT * FROM custseg.cohort_retention(NULL, 'customer_id', 'day');
SELECT * FROM custseg.cohort_retention('views_cohort_orders', NULL, 'day');
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', NULL);
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'day', NULL);
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'day', 'day');
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'day', 'Month');
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'day', 'year');
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'client', 'day');
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'time');
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'amount');
SELECT * FROM custseg.cohort_retention('views_cohort_weekly', 'who', 't', amount_column => 'who');
SELECT * FROM custseg.cohort_retention('views_cohort_orders', 'customer_id', 'day', amount_column => 'price');
SELECT * FROM custseg.cohort_retention('no_such_table', 'customer_id', 'day');

DROP TABLE views_cohort_orders, views_cohort_weekly, views_cohort_none;
