-- baseline: read x, t_x, t and mean_spend of every simulated BG/NBD customer (sums); target: -
SELECT sum(x), sum(t_x), sum(t), sum(mean_spend) FROM bgnbd_customers;
