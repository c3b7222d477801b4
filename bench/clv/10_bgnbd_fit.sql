-- BG/NBD fit on every simulated customer; target: 1 s
SELECT custseg.bgnbd_fit(x, t_x, t) FROM bgnbd_customers;
