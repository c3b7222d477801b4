-- Gamma-Gamma fit on the repeat buyers (x > 0) among the simulated BG/NBD customers; target: 0.5 s
SELECT custseg.gammagamma_fit(x, mean_spend) FROM bgnbd_customers;
