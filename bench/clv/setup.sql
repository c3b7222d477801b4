-- bench/clv/setup.sql: run by bench/clv_run after loading the simulated
-- customers (tables bgnbd_customers and paretonbd_customers: id, x, t_x, t,
-- mean_spend).  Stores the models the timed queries apply.
CREATE TABLE bgnbd_model AS
SELECT custseg.bgnbd_fit(x, t_x, t) AS model FROM bgnbd_customers;
-- Gamma-Gamma parameters of the simulation (bench/simulate.pl --spend);
-- replace with custseg.gammagamma_fit once it exists.
CREATE TABLE gammagamma_model AS
SELECT ROW(6.25, 3.74, 15.44, 0, 0, true, 0)::custseg.gammagamma AS gg;
-- The fit state alone (diagnostic): the aggregate of the BG/NBD fit
-- without its final function.
CREATE AGGREGATE fit_xtt_state(bigint, float8, float8) (
	SFUNC = custseg.fit_xtt_accum, STYPE = custseg.fit_state,
	COMBINEFUNC = custseg.fit_combine, PARALLEL = SAFE);
