-- custseg.student_t_cdf and custseg.student_t_quantile: Student's t
-- distribution as the Welch test uses it, against published values and
-- values computed to 40 digits (mpmath's betainc and findroot); each line
-- shows the value to 12 significant digits and whether it agrees with
-- the reference to a relative 1e-12 (1e-10 for a million degrees of
-- freedom and more).

CREATE FUNCTION pg_temp.sig(x float8, digits int DEFAULT 12) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN x = 0 THEN 0
				ELSE round(x::numeric, greatest(0, digits - 1 - floor(log(abs(x::numeric)))::int)) END
$$;

-- Distribution function: P(T <= t).
SELECT t, df, pg_temp.sig(custseg.student_t_cdf(t, df)) AS cdf,
	   abs(custseg.student_t_cdf(t, df) / ref - 1) < tol AS agrees
FROM (VALUES
	-- t = 2, df = 10: two-sided p = 0.0733880347707404 (tables: 0.07339)
	(2, 10, 0.96330598261462981719, 1e-12),
	-- df = 1 is the Cauchy distribution: 1/2 + atan(t)/pi, 0.75 at t = 1
	(1, 1, 0.75, 1e-12),
	-- df = 2: 1/2 + t / (2 sqrt(2 + t^2)) = 1/2 + 1/(2 sqrt 3) at t = 1
	(1, 2, 0.78867513459481288225, 1e-12),
	(3, 2.5, 0.96371195222548407805, 1e-12),
	(-3, 2.5, 0.036288047774515921947, 1e-12),
	(-40, 3, 0.000017190340394579264142, 1e-12),
	(-10, 100, 4.9508444922970695877e-17, 1e-12),
	(0, 7, 0.5, 1e-12),
	(1.5, 1e5, 0.93319122023858470067, 1e-10),
	(-2.5, 1e8, 0.0062096661200272706695, 1e-10)) v(t, df, ref, tol);

-- The two-sided p-value of t = 2 with 10 degrees of freedom.
SELECT pg_temp.sig(2 * custseg.student_t_cdf(-2, 10), 6) AS p_value;

-- Symmetry: P(T <= -t) = 1 - P(T <= t).
SELECT abs(custseg.student_t_cdf(-1.3, 4.5) + custseg.student_t_cdf(1.3, 4.5) - 1) < 1e-15 AS symmetric;

-- Quantiles at 0.975, the half-width of a 95% interval in standard errors:
-- tables give 12.706, 4.303, 2.228, 2.042; df = 1 is tan(0.475 pi).
SELECT df, pg_temp.sig(custseg.student_t_quantile(0.975, df)) AS quantile,
	   abs(custseg.student_t_quantile(0.975, df) / ref - 1) < tol AS agrees
FROM (VALUES
	(1, 12.706204736174704646, 1e-12),
	(2, 4.3026527297494638523, 1e-12),
	(10, 2.2281388519862747484, 1e-12),
	(30, 2.04227245630123831, 1e-12),
	(2.679133709411533, 3.4093205090420258239, 1e-12),
	(1e6, 1.9599663568141070353, 1e-10),
	-- the normal quantile, to which t tends
	(1e30, 1.9599639845400542355, 1e-12)) v(df, ref, tol);
SELECT pg_temp.sig(custseg.student_t_quantile(0.9999, 3)) AS far_tail,
	   abs(custseg.student_t_quantile(0.025, 10) / custseg.student_t_quantile(0.975, 10) + 1) < 1e-14 AS symmetric,
	   custseg.student_t_quantile(0.5, 3) AS median;

-- The quantile inverts the distribution function.
SELECT max(abs(custseg.student_t_cdf(custseg.student_t_quantile(p, df), df) / p - 1)) < 1e-12 AS inverse
FROM unnest(ARRAY[1e-9, 0.001, 0.025, 0.3, 0.6, 0.975, 0.999999]) p,
	 unnest(ARRAY[0.7, 1, 2.5, 10, 1000, 1e5]) df;

-- Bad input.
SELECT custseg.student_t_cdf(1, 0);
SELECT custseg.student_t_cdf(1, -3);
SELECT custseg.student_t_cdf(1, 'NaN');
SELECT custseg.student_t_cdf(1, 'Infinity');
SELECT custseg.student_t_cdf('NaN', 5);
SELECT custseg.student_t_cdf('-Infinity', 5);
SELECT custseg.student_t_quantile(0, 5);
SELECT custseg.student_t_quantile(1, 5);
SELECT custseg.student_t_quantile('NaN', 5);
SELECT custseg.student_t_quantile(0.975, 0);
-- Far quantiles of very few degrees of freedom exceed every float8.
SELECT custseg.student_t_quantile(1e-300, 0.01);
-- Extreme arguments that have an answer get it: 0.00485263 (mpmath) for
-- t = -1e200 with df = 0.01; the Cauchy quantile -cot(pi p) = -3.18310e299
-- at p = 1e-300.
SELECT pg_temp.sig(custseg.student_t_cdf(-1e200, 0.01), 6) AS heavy_tail,
	   custseg.student_t_cdf(-1e10, 1e300) AS normal_tail,
	   pg_temp.sig(custseg.student_t_quantile(1e-300, 1) / 1e299, 6) AS cauchy_quantile_over_1e299;
-- Far tails of very many degrees of freedom are the normal tail: 0.  (The
-- fraction in x was skipped there when x rounded to 1, giving 0.5, or did
-- not converge.)
SELECT custseg.student_t_cdf(1e80, 1e300) AS above, custseg.student_t_cdf(-1e80, 1e300) AS below,
	   custseg.student_t_cdf(1e308, 1e308) AS largest, custseg.student_t_cdf(-1e30, 1e100) AS far;
-- NULL in, NULL out (both functions are strict).
SELECT custseg.student_t_cdf(NULL, 5) IS NULL AS cdf_null,
	   custseg.student_t_quantile(0.5, NULL) IS NULL AS quantile_null;
