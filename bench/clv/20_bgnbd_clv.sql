-- CLV (BG/NBD + Gamma-Gamma, 1 year, 10% a year) of every customer; target: 2 s
SELECT custseg.clv((SELECT model FROM bgnbd_model), (SELECT gg FROM gammagamma_model),
				   x, t_x, t, mean_spend, 365, 0.1)
FROM bgnbd_customers;
