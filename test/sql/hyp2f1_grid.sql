-- custseg.hyp2f1 against 2F1 by mpmath at 60 digits (test/data/hyp2f1_grid.py
-- made test/data/hyp2f1_grid.csv): the arguments the BG/NBD and MBG/NBD
-- expectations pass (kind model), the audit's grid of issue 15 (kind issue,
-- a = 2.243 with b up to 207 and z from 0.7 to 0.97, where the connection
-- formula gave -4.15e36 for 9.96), and a general grid of a, b, c in
-- [-7.5, 300], z in [-50, 0.9999] (kind general).  Every value must be right
-- to 1e-12 relative, or (general grid only) refused with 22003.
CREATE TEMP TABLE hyp2f1_grid (kind text, a float8, b float8, c float8, z float8, reference float8);
\copy hyp2f1_grid FROM 'test/data/hyp2f1_grid.csv' WITH (FORMAT csv, HEADER)
CREATE FUNCTION pg_temp.hyp2f1_or_null(a float8, b float8, c float8, z float8) RETURNS float8
LANGUAGE plpgsql AS $$
BEGIN
	RETURN custseg.hyp2f1(a, b, c, z);
EXCEPTION WHEN numeric_value_out_of_range THEN
	RETURN NULL;
END
$$;
CREATE TEMP TABLE hyp2f1_result AS
SELECT *, pg_temp.hyp2f1_or_null(a, b, c, z) AS value FROM hyp2f1_grid;
SELECT kind, count(*) AS points,
	   count(*) FILTER (WHERE value IS NULL) AS refused,
	   count(*) FILTER (WHERE abs(value / reference - 1) > 1e-12) AS wrong,
	   max(abs(value / reference - 1)) < 1e-12 AS worst_below_1e_12
FROM hyp2f1_result GROUP BY kind ORDER BY kind;
-- the wrong ones, if any
SELECT kind, a, b, c, z, reference, value FROM hyp2f1_result
WHERE abs(value / reference - 1) > 1e-12 OR (value IS NULL AND kind <> 'general')
ORDER BY kind, a, b, c, z;
-- the audit's examples
SELECT z, custseg.hyp2f1(2.243, 207, 259, z) AS value
FROM (VALUES (0.7), (0.8), (0.9), (0.95)) v(z);
-- c - a - b an integer (the connection formula's degenerate case), near
-- z = 1: 2F1(1, 1; 2; z) = -log(1 - z) / z (z in float8, where 1 - z is
-- exact)
SELECT z, abs(custseg.hyp2f1(1, 1, 2, z) / (-ln(1 - z) / z) - 1) < 1e-12 AS log_form
FROM (VALUES (0.999::float8), (1 - 1e-9::float8), (1 - 1e-14::float8)) v(z);
-- a refusal: a sum of terms of mixed signs that cancel to nothing
SELECT custseg.hyp2f1(-300, 207, -2.5, 0.9999);
