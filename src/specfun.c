/*-------------------------------------------------------------------------
 *
 * specfun.c
 *	  Special functions: digamma, trigamma, the Gauss hypergeometric
 *	  function 2F1 (custseg.hyp2f1) and the continued fraction of the
 *	  incomplete beta function.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "fit.h"

/* ----------------------------------------------------------------
 *		Special functions
 * ----------------------------------------------------------------
 */

double
fit_digamma(double x)
{
	double		r = 0,
				x2;

	Assert(x > 0);
	while (x < 10)
	{
		r -= 1 / x;
		x += 1;
	}
	x2 = 1 / (x * x);
	/* psi(x) ~ log x - 1/2x - sum B_2k / (2k x^2k) */
	return r + log(x) - 0.5 / x -
		x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 -
			x2 * (1.0 / 132 - x2 * (691.0 / 32760 - x2 * (1.0 / 12)))))));
}

double
fit_trigamma(double x)
{
	double		r = 0,
				x2;

	Assert(x > 0);
	while (x < 10)
	{
		r += 1 / (x * x);
		x += 1;
	}
	x2 = 1 / (x * x);
	/* psi'(x) ~ 1/x + 1/2x^2 + sum B_2k / x^(2k+1) */
	return r + 1 / x + 0.5 * x2 +
		x2 / x * (1.0 / 6 - x2 * (1.0 / 30 - x2 * (1.0 / 42 - x2 * (1.0 / 30 -
			x2 * (5.0 / 66 - x2 * (691.0 / 2730 - x2 * (7.0 / 6)))))));
}

/*
 * The Gauss series of 2F1(a, b; c; z), 0 <= z < 1, summed until its terms
 * decrease and stop changing the sum.
 */
static double
fit_hyp2f1_series(double a, double b, double c, double z)
{
	double		term = 1,
				sum = 1,
				comp = 0;		/* compensation of the sum (Kahan) */
	int64		k;

	for (k = 0; k < INT64CONST(100000000); k++)
	{
		double		ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		double		y,
					next;

		term *= ratio;
		y = term - comp;
		next = sum + y;
		comp = (next - sum) - y;
		sum = next;
		if (term == 0 ||
			(fabs(term) <= 1e-17 * fabs(sum) && fabs(ratio) < 1))
			return sum;
		if (!isfinite(sum))
			break;
		if ((k & 8191) == 8191)
			CHECK_FOR_INTERRUPTS();
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("hypergeometric series 2F1(%g, %g; %g; %g) does not converge",
					a, b, c, z),
			 errhint("The parameters are too extreme for this function.")));
	return 0;					/* keep compiler quiet */
}

/* log |Gamma(x)| and its sign; a pole gives sign 0. */
static double
fit_lgamma_sign(double x, int *sign)
{
	if (x <= 0 && x == floor(x))
	{
		*sign = 0;
		return 0;
	}
	return lgamma_r(x, sign);
}

double
fit_hyp2f1(double a, double b, double c, double z)
{
	double		m;

	if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(z))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("2F1 needs finite arguments"),
				 errhint("Pass numbers, not NaN or infinity.")));
	if (z >= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("2F1 needs z < 1"),
				 errhint("The series diverges at z >= 1; the function is defined here only below 1.")));
	if (c <= 0 && c == floor(c))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("2F1 is not defined when c is 0 or a negative integer"),
				 errhint("Pass a c that is not 0, -1, -2, ...")));
	if (z == 0)
		return 1;
	if (z < 0)
	{
		/* Pfaff: (1 - z)^-a 2F1(a, c - b; c; z / (z - 1)), argument in (0, 1) */
		return pow(1 - z, -a) * fit_hyp2f1(a, c - b, c, z / (z - 1));
	}
	m = c - a - b;
	if (z > 0.75 && fabs(m - rint(m)) > 1e-3)
	{
		/*
		 * z near 1: the connection formula (Abramowitz & Stegun 15.3.6) in
		 * powers of 1 - z, with its Gamma ratios in logs.
		 */
		int			s1,
					s2,
					s3,
					s4,
					s5,
					s6,
					s7;
		double		lc = fit_lgamma_sign(c, &s1);
		double		l1 = lc + fit_lgamma_sign(m, &s2) -
			fit_lgamma_sign(c - a, &s3) - fit_lgamma_sign(c - b, &s4);
		double		l2 = lc + fit_lgamma_sign(-m, &s5) -
			fit_lgamma_sign(a, &s6) - fit_lgamma_sign(b, &s7);
		double		t1 = 0,
					t2 = 0;

		/*
		 * 1/Gamma of a pole is 0: that term vanishes; so does a term whose
		 * factor underflows (its series is not summed: it may overflow).
		 */
		l2 += m * log1p(-z);
		if (s3 != 0 && s4 != 0 && l1 > -700)
			t1 = s1 * s2 * s3 * s4 * exp(l1) *
				fit_hyp2f1_series(a, b, 1 - m, 1 - z);
		if (s6 != 0 && s7 != 0 && l2 > -700)
			t2 = s1 * s5 * s6 * s7 * exp(l2) *
				fit_hyp2f1_series(c - a, c - b, 1 + m, 1 - z);
		if (isfinite(t1 + t2))
			return t1 + t2;
	}
	return fit_hyp2f1_series(a, b, c, z);
}

/*
 * custseg.hyp2f1(a, b, c, z): the Gauss hypergeometric function, for
 * checking the implementation against published values.
 */
PG_FUNCTION_INFO_V1(fit_hyp2f1_sql);
Datum
fit_hyp2f1_sql(PG_FUNCTION_ARGS)
{
	double		r = fit_hyp2f1(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1),
							   PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3));

	if (!isfinite(r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("2F1 is out of the range of float8"),
				 errhint("Use parameters of smaller magnitude.")));
	PG_RETURN_FLOAT8(r);
}

/* ----------------------------------------------------------------
 *		The incomplete beta function
 * ----------------------------------------------------------------
 */

#define LENTZ_TINY	1e-300
#define BETA_MAX_TERMS	1000000

/* One term d_j of the fraction: update c and d, return the factor of K. */
static inline float8
lentz_step(float8 dj, float8 *c, float8 *d)
{
	*d = 1.0 + dj * *d;
	if (fabs(*d) < LENTZ_TINY)
		*d = LENTZ_TINY;
	*c = 1.0 + dj / *c;
	if (fabs(*c) < LENTZ_TINY)
		*c = LENTZ_TINY;
	*d = 1.0 / *d;
	return *d * *c;
}

/*
 * The continued fraction of the regularized incomplete beta function
 * (DLMF 8.17.22): I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * K with
 * K = 1 / (1 + d1 / (1 + d2 / (1 + ...))),
 * d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) and
 * d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).  Returns K, evaluated
 * by the modified Lentz method; it converges fast for
 * x < (a + 1) / (a + b + 2).  NaN when it has not converged after
 * BETA_MAX_TERMS terms (extreme a or b).
 */
float8
custseg_beta_cf(float8 a, float8 b, float8 x)
{
	float8		c = 1.0,
				d,
				k;
	int			m;

	d = 1.0 - (a + b) * x / (a + 1.0);	/* 1 + d1 */
	if (fabs(d) < LENTZ_TINY)
		d = LENTZ_TINY;
	d = 1.0 / d;
	k = d;
	for (m = 1; m <= BETA_MAX_TERMS; m++)
	{
		float8		delta;

		/* d_{2m}, then d_{2m+1} */
		k *= lentz_step(m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)), &c, &d);
		delta = lentz_step(-(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
						   &c, &d);
		k *= delta;
		if (fabs(delta - 1.0) < 2.0 * DBL_EPSILON)
			return k;
		if ((m & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return NAN;					/* did not converge: the caller decides */
}
