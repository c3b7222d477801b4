-- diagnostic: the fit state of the BG/NBD fit alone (no optimization); target: -
SELECT fit_xtt_state(x, t_x, t) FROM bgnbd_customers;
