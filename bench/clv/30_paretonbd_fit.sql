-- Pareto/NBD fit on every Pareto/NBD customer (100,000); target: 2 s
SELECT custseg.paretonbd_fit(x, t_x, t) FROM paretonbd_customers;
