-- bench/query_scan.sql: the scan alone, the floor of every query: count(*)
-- reads every row of orders and feeds one trivial aggregate.
SELECT count(*) FROM orders;
