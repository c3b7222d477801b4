-- baseline: read x, t_x, t of every Pareto/NBD customer (100,000; sums); target: -
SELECT sum(x), sum(t_x), sum(t) FROM paretonbd_customers;
