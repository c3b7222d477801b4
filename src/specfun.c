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
 * The Gauss hypergeometric function 2F1(a, b; c; z) for real arguments and
 * z < 1.  No single method is accurate everywhere, so fit_hyp2f1 evaluates
 * the function by up to six methods, each of which returns its value with
 * an estimate of its own absolute error (rounding, truncation and the
 * cancellation between terms of mixed signs), and keeps the first whose
 * estimate is below H2F1_GOOD of the value, else the best one.  When even
 * the best estimate exceeds H2F1_TOLERANCE of the value, it refuses to
 * answer (22003) rather than return a number of unknown accuracy.
 *
 *	S	the Gauss series sum (a)_k (b)_k / ((c)_k k!) z^k, with a proven tail
 *		bound (h2f1_series); at most H2F1_MAX_TERMS terms;
 *	E	Euler's transformation (1 - z)^(c-a-b) 2F1(c - a, c - b; c; z), whose
 *		terms are all positive when c > a and c > b (DLMF 15.8.1);
 *	P	Pfaff's transformations (1 - z)^-a 2F1(a, c - b; c; z / (z - 1)) and
 *		(1 - z)^-b 2F1(c - a, b; c; z / (z - 1)) (DLMF 15.8.1), for z < 1/2,
 *		where |z / (z - 1)| < 1;
 *	Q	Euler's integral (DLMF 15.6.1), for c > b > 0 (or c > a > 0, the
 *		roles of a and b exchanged):
 *		2F1 = 1 / B(b, c - b) int_0^1 t^(b-1) (1 - t)^(c-b-1) (1 - z t)^-a dt,
 *		by the tanh-sinh rule (h2f1_quadrature); valid for every z < 1, it
 *		needs no special case when c - a - b is an integer;
 *	C	the connection formula in powers of 1 - z (DLMF 15.8.4, Abramowitz &
 *		Stegun 15.3.6) for 1/2 < z < 1 when c - a - b is not an integer; its
 *		two terms cancel when c - a - b is close to one, which its estimate
 *		sees.
 *
 * The order: S and E for -1 < z <= 0.9, P for z < 1/2, then Q and C (C for
 * z > 1/2 only); for z > 0.9, where the series need about 40 / (1 - z)
 * terms, E first when its terms are positive and fewer than 2,000, and S
 * and E last.  Every method's cost is bounded (at most H2F1_MAX_TERMS terms
 * a series, H2F1_QUAD_LEVELS halvings of the step of a quadrature): some
 * milliseconds in the worst case.  The CLV models need (1 - z)^A 2F1(A, B; C; z) with A, B > 0 and
 * C = a + B - 1 > B - 1 (BG/NBD and MBG/NBD, bgnbd.c) in the Euler form
 * 2F1(C - A, a - 1; C; z): for C > A or a > 1 Q serves it near z = 1, else
 * E (positive terms) or C.  The Pareto/NBD likelihood sums its own series of
 * 2F1(1, b; c; z) with c > b (paretonbd.c), all of whose terms are positive.
 */

#define H2F1_GOOD		2e-14
#define H2F1_TOLERANCE	1e-12
#define H2F1_MAX_TERMS	200000
#define H2F1_QUAD_LEVELS	14

typedef struct H2f1Value
{
	double		value;
	double		err;			/* estimated absolute error; +inf: no value */
} H2f1Value;

static inline double
h2f1_rel(const H2f1Value *v)
{
	if (!isfinite(v->value) || !isfinite(v->err))
		return INFINITY;
	if (v->value == 0)
		return v->err == 0 ? 0 : INFINITY;
	return v->err / fabs(v->value);
}

/*
 * c - a - b, without the rounding of c - a when c and a are large and
 * c - a - b is small (an error of eps c in an exponent multiplied by a
 * log of 30 would cost 1e-12 of the result): both subtractions are exact
 * sums (Knuth's TwoSum) whose rounding errors are added back.
 */
static double
h2f1_cab(double a, double b, double c)
{
	double		s1 = c - b,
				bb = s1 - c,
				e1 = (c - (s1 - bb)) + (-b - bb),
				s2 = s1 - a,
				aa = s2 - s1,
				e2 = (s1 - (s2 - aa)) + (-a - aa);

	return s2 + (e1 + e2);
}

/*
 * (a + k) (b + k) / ((c + k) (k + 1)), the ratio of two terms of the
 * series, with the rounding errors of a + k, b + k and c + k (Knuth's
 * TwoSum) put back: those errors are the same for every k in a binade, so
 * over thousands of terms they would add up to 1e-12 of a sum of positive
 * terms instead of averaging out.
 */
static inline double
h2f1_ratio(double a, double b, double c, double k)
{
	double		sa = a + k,
				sb = b + k,
				sc = c + k,
				va = sa - a,
				vb = sb - b,
				vc = sc - c,
				ea = (a - (sa - va)) + (k - va),
				eb = (b - (sb - vb)) + (k - vb),
				ec = (c - (sc - vc)) + (k - vc);

	return sa * sb / (sc * (k + 1)) * (1 + (ea / sa + eb / sb - ec / sc));
}

/*
 * S: the Gauss series.  Term k + 1 is term k times
 * f(k) z = (a + k) (b + k) / ((c + k) (k + 1)) z.  For j >= k > max(|a|,
 * |b|, |c|), f(j) > 0 and f(j) - 1 = (alpha j + beta) / ((c + j) (j + 1))
 * with alpha = a + b - c - 1, beta = a b - c, so
 * f(j) <= 1 + (max(alpha, 0) + max(beta, 0) / k) / (k - |c|), a bound that
 * decreases in k, and f(j) <= 1 when alpha <= 0 and alpha k + beta <= 0.
 * Once rho = |z| times that bound is below 1, every later term is at most
 * rho times the one before, and the tail after term k is at most
 * |term k| rho / (1 - rho).  The sum stops when that bound is below 1e-17 of
 * the sum, or when a term is 0 (a or b a non-positive integer: a
 * polynomial).  Rounding: each term is a product of k ratios, each good to
 * a few units in the last place, whose errors add up like a random walk;
 * the estimate is 4 eps sqrt(n) sum |term|, which also measures the loss to
 * cancellation when the terms change sign.  Those errors are not quite
 * random: the ratio of two large terms rounds the same way term after term
 * (over the 20,000 terms of 2F1(74.2, 758; 759.2; 0.9955) = 1.7e172 the
 * product drifted by 1.8e-12).  So once k > 2 max(|a|, |b|, |c|) + 2, where
 * the ratio is 1 + delta with delta = (alpha k + beta) / ((c + k) (k + 1))
 * and |delta| < 1, the next term is taken as (term + term delta) z, with
 * alpha and beta exact to rounding: its error no longer depends on how
 * close the ratio is to 1.  Not converged after max_terms
 * terms: err = +inf.
 */
static H2f1Value
h2f1_series(double a, double b, double c, double z, int64 max_terms)
{
	H2f1Value	v;
	double		term = 1,
				sum = 1,
				comp = 0,		/* Kahan compensation */
				abssum = 1;
	double		alpha = -h2f1_cab(a, b, c) - 1,
				beta = fma(a, b, -c),
				kmin = Max(Max(fabs(a), fabs(b)), fabs(c)),
				kdelta = 2 * kmin + 2;
	int64		k;

	v.value = NAN;
	v.err = INFINITY;
	for (k = 0; k < max_terms; k++)
	{
		double		y,
					next;

		if (k <= kdelta)
			term *= h2f1_ratio(a, b, c, (double) k) * z;
		else
		{
			double		delta = (alpha * k + beta) / ((c + k) * ((double) k + 1));

			term = (term + term * delta) * z;
		}
		y = term - comp;
		next = sum + y;
		comp = (next - sum) - y;
		sum = next;
		abssum += fabs(term);
		if (!isfinite(sum) || !isfinite(abssum))
			return v;
		if (term == 0)
			break;
		if (k + 1 > kmin)
		{
			double		kk = k + 1;
			double		rho = fabs(z);

			if (!(alpha <= 0 && alpha * kk + beta <= 0))
				rho *= 1 + (Max(alpha, 0) + Max(beta, 0) / kk) / (kk - fabs(c));

			if (rho < 1 && fabs(term) * rho / (1 - rho) <= 1e-17 * fabs(sum))
			{
				v.value = sum;
				v.err = 4 * DBL_EPSILON * sqrt((double) k + 2) * abssum +
					fabs(term) * rho / (1 - rho);
				return v;
			}
		}
		if ((k & 8191) == 8191)
			CHECK_FOR_INTERRUPTS();
	}
	if (term == 0)
	{
		v.value = sum;
		v.err = 4 * DBL_EPSILON * sqrt((double) k + 2) * abssum;
	}
	return v;
}

/*
 * Multiply by exp(l), which carries a relative error of about eps lsize,
 * in logs: a product that underflows or overflows is no value (err = +inf)
 * rather than 0 or infinity with an error estimate of 0.
 */
static H2f1Value
h2f1_scale(H2f1Value v, double l, double lsize)
{
	double		lv,
				rel;

	if (v.value == 0 || !isfinite(v.err))
		return v;
	rel = v.err / fabs(v.value);
	lv = l + log(fabs(v.value));
	if (!(lv > log(DBL_MIN) && lv < log(DBL_MAX)))
	{
		v.value = NAN;
		v.err = INFINITY;
		return v;
	}
	v.value = copysign(exp(lv), v.value);
	v.err = fabs(v.value) * (rel + 2 * DBL_EPSILON * (lsize + 1));
	return v;
}

/*
 * log|x| of the integrand's t and 1 - t at the tanh-sinh node s = pi/2
 * sinh(u): t = 1 / (1 + e^(-2s)), 1 - t = 1 / (1 + e^(2s)), in logs, so
 * that nodes next to 0 and 1 neither underflow nor lose their digits.
 */
static inline double
h2f1_log_logistic(double s)
{
	return s >= 0 ? -log1p(exp(-2 * s)) : 2 * s - log1p(exp(2 * s));
}

/*
 * log Gamma(x + d) - log Gamma(x) for x >= 10, d >= 0, without the
 * cancellation of two large log Gamma: Stirling's series (DLMF 5.11.1)
 * differenced term by term, (x - 1/2) log1p(d / x) + d log(x + d) - d
 * + sum_k B_2k / (2k (2k - 1)) ((x + d)^(1-2k) - x^(1-2k)); eight terms
 * leave less than 1e-17 at x = 10.  *size: the size of its largest parts,
 * for the rounding estimate.
 */
static double
h2f1_lgamma_diff(double x, double d, double *size)
{
	static const double bern[8] = {
		1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680,
		1.0 / 1188, -691.0 / 360360, 1.0 / 156, -3617.0 / 122400
	};
	double		y = x + d,
				p1 = (x - 0.5) * log1p(d / x),
				p2 = d * log(y),
				corr = 0,
				ix = 1 / x,
				iy = 1 / y,
				ix2 = ix * ix,
				iy2 = iy * iy;
	int			k;

	for (k = 0; k < 8; k++)
	{
		corr += bern[k] * (iy - ix);
		ix *= ix2;
		iy *= iy2;
	}
	*size = fabs(p1) + fabs(p2) + fabs(d);
	return p1 + p2 - d + corr;
}

/*
 * fit_lgamma_ratio(x, g): log Gamma(x + g) - log Gamma(x) for x > 0 and
 * x + g > 0, without the cancellation of two large log Gamma when x is
 * large (h2f1_lgamma_diff, with the smaller argument first); lgamma()
 * itself below 10.
 */
double
fit_lgamma_ratio(double x, double g)
{
	double		size;

	if (g >= 0 && x >= 10)
		return h2f1_lgamma_diff(x, g, &size);
	if (g < 0 && x + g >= 10)
		return -h2f1_lgamma_diff(x + g, -g, &size);
	return lgamma(x + g) - lgamma(x);
}

/*
 * log B(p, q) for p, q > 0, and the size of the parts whose rounding it
 * carries: with the larger of the two at least 10, log Gamma(min) minus
 * h2f1_lgamma_diff(max, min), which keeps the digits that
 * lgamma(p) + lgamma(q) - lgamma(p + q) loses when p or q is large.
 */
static double
h2f1_lbeta(double p, double q, double *size)
{
	double		lo = Min(p, q),
				hi = Max(p, q);
	int			sg;

	if (hi >= 10)
	{
		double		lg = lgamma_r(lo, &sg),
					dsize,
					diff = h2f1_lgamma_diff(hi, lo, &dsize);

		*size = fabs(lg) + dsize;
		return lg - diff;
	}
	else
	{
		double		l1 = lgamma_r(p, &sg),
					l2 = lgamma_r(q, &sg),
					l3 = lgamma_r(p + q, &sg);

		*size = fabs(l1) + fabs(l2) + fabs(l3);
		return l1 + l2 - l3;
	}
}

/*
 * The log of the integrand of Q at the node u, and the size of its parts.
 * With t / (1 - t) = e^(2s) and
 * (1 - z t) / (1 - t) = 1 + (1 - z) e^(2s),
 *
 *	log(t^b (1 - t)^(c-b) (1 - z t)^-a)
 *		= b log t + (c - a - b) log(1 - t) - a log(1 + (1 - z) e^(2s)),
 *
 * a form whose parts stay small where the integrand matters, even when a
 * and c - b are large and nearly equal (the parts of
 * (c - b) log(1 - t) - a log(1 - z t) would be of size 10^4 there and
 * leave 10^-12 of the result).
 */
static inline double
h2f1_quad_log(double a, double b, double cab, double lomz, double u,
			  double *size)
{
	double		s = M_PI_2 * sinh(u),
				lt = h2f1_log_logistic(s),
				l1t = h2f1_log_logistic(-s),
				e = lomz + 2 * s,	/* log((1 - z) e^(2s)) */
				l2 = e > 0 ? e + log1p(exp(-e)) : log1p(exp(e));

	*size = fabs(b * lt) + fabs(cab * l1t) + fabs(a * l2);
	return log(M_PI * cosh(u)) + b * lt + cab * l1t - a * l2;
}

/*
 * Q: Euler's integral, for c > b > 0, substituting t = 1 / (1 + e^(-2s)),
 * s = pi/2 sinh(u) (the tanh-sinh rule): dt = pi cosh(u) t (1 - t) du, and
 * the integrand
 *
 *	pi cosh(u) t^b (1 - t)^(c-b) (1 - z t)^-a / B(b, c - b)
 *
 * decays doubly exponentially in u at both ends whatever b and c - b.  The
 * trapezoidal rule in u with step h = 2^-j, j = 0, 1, ..., each level adding
 * the odd nodes of the last, out to where, past the peak, the terms fall
 * below 1e-20 of the sum; the logs are taken relative to their largest
 * value (on a first pass of step 1/16, raised when a node exceeds it), so
 * that nothing underflows.  The rule converges exponentially in
 * 1/h, so the difference between two levels bounds the error of the coarser
 * one; the sum stops when it is below 1e-15.  Rounding: each node is the exp
 * of a sum of logs of size S, good to about eps S, and log B(b, c - b) to
 * eps times the size of its parts: the estimate is 2 eps (the mean S,
 * weighted by the nodes' values, plus that size).
 */
static H2f1Value
h2f1_quadrature(double a, double b, double c, double z)
{
	H2f1Value	v;
	double		bsize,
				lbeta = h2f1_lbeta(b, c - b, &bsize);
	double		lomz = log1p(-z);	/* log(1 - z), exact 1 - z for z >= 1/2 */
	double		cab = h2f1_cab(a, b, c);
	double		h = 1,
				sum = 0,
				last = 0,
				now,
				logsize = 0,	/* sum of f times the size of its log */
				shift = -INFINITY,
				upeak = 0,
				size;
	int			level,
				k;

	v.value = NAN;
	v.err = INFINITY;
	/*
	 * The largest log on a grid of step 1/16, and where it is: the scale of
	 * the sums, and the peak, past which the sums may stop.
	 */
	for (k = -192; k <= 192; k++)
	{
		double		lg = h2f1_quad_log(a, b, cab, lomz, k / 16.0, &size);

		if (isfinite(lg) && lg > shift)
		{
			shift = lg;
			upeak = k / 16.0;
		}
	}
	if (!isfinite(shift))
		return v;
	for (level = 0; level <= H2F1_QUAD_LEVELS; level++)
	{
		double		part = 0;
		int			side;

		/* level 0: the nodes k h, k in Z; later levels: odd multiples of h */
		for (side = -1; side <= 1; side += 2)
		{
			int64		i;
			int			small = 0;

			for (i = (level == 0 ? (side < 0 ? 0 : 1) : 0);; i++)
			{
				double		u = side * (level == 0 ? i * h : (2 * i + 1) * h),
							lg,
							f;

				if (fabs(u) > 12)
					break;
				lg = h2f1_quad_log(a, b, cab, lomz, u, &size);
				if (lg > shift + 64)
				{
					/* a peak the coarse pass missed: a new scale */
					double		factor = exp(shift - lg);

					sum *= factor;
					part *= factor;
					last *= factor;
					logsize *= factor;
					shift = lg;
				}
				f = exp(lg - shift);
				part += f;
				logsize += f * size;
				/* past the peak, stop after terms become negligible */
				if (f <= 1e-20 * (sum + part) && fabs(u - upeak) > 0.5 &&
					(u - upeak) * side > 0)
				{
					if (++small >= 3)
						break;
				}
				else
					small = 0;
				if ((i & 1023) == 1023)
					CHECK_FOR_INTERRUPTS();
			}
		}
		sum += part;
		now = sum * h;
		if (!isfinite(now))
			break;
		if (level > 0)
		{
			double		diff = fabs(now - last);
			double		rounding = 2 * DBL_EPSILON * (bsize + logsize / sum + 1) * now;

			v.value = now;
			v.err = diff + rounding;
			if (diff <= 1e-15 * now)
				break;
		}
		last = now;
		h /= 2;
	}
	if (!isfinite(v.err))
		return v;
	/* times exp(shift - log B), with its rounding */
	return h2f1_scale(v, shift - lbeta, fabs(shift) + fabs(lbeta));
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

/*
 * C: the connection formula, for z in (1/2, 1) and m = c - a - b not an
 * integer,
 *
 *	2F1 = G(c) G(m) / (G(c - a) G(c - b)) 2F1(a, b; 1 - m; 1 - z)
 *		+ (1 - z)^m G(c) G(-m) / (G(a) G(b)) 2F1(c - a, c - b; 1 + m; 1 - z),
 *
 * the Gamma ratios in logs.  1/Gamma at a pole is 0: that term vanishes.
 * The estimate adds both terms' errors: when m is close to an integer the
 * two terms are large and of opposite signs, and the estimate (relative to
 * their sum) shows the loss.
 */
static H2f1Value
h2f1_connection(double a, double b, double c, double z)
{
	H2f1Value	v,
				t1,
				t2;
	double		m = h2f1_cab(a, b, c);
	int			s1,
				s2,
				s3,
				s4,
				s5,
				s6,
				s7;
	double		lc = fit_lgamma_sign(c, &s1),
				lm = fit_lgamma_sign(m, &s2),
				lca = fit_lgamma_sign(c - a, &s3),
				lcb = fit_lgamma_sign(c - b, &s4),
				lmm = fit_lgamma_sign(-m, &s5),
				la = fit_lgamma_sign(a, &s6),
				lb = fit_lgamma_sign(b, &s7);
	double		lz = log1p(-z);

	v.value = NAN;
	v.err = INFINITY;
	if (m == rint(m))
		return v;
	t1.value = t1.err = 0;
	t2.value = t2.err = 0;
	if (s3 != 0 && s4 != 0)
	{
		t1 = h2f1_series(a, b, 1 - m, 1 - z, H2F1_MAX_TERMS);
		t1 = h2f1_scale(t1, lc + lm - lca - lcb,
						fabs(lc) + fabs(lm) + fabs(lca) + fabs(lcb));
		t1.value *= s1 * s2 * s3 * s4;
	}
	if (s6 != 0 && s7 != 0)
	{
		t2 = h2f1_series(c - a, c - b, 1 + m, 1 - z, H2F1_MAX_TERMS);
		t2 = h2f1_scale(t2, lc + lmm - la - lb + m * lz,
						fabs(lc) + fabs(lmm) + fabs(la) + fabs(lb) + fabs(m * lz));
		t2.value *= s1 * s5 * s6 * s7;
	}
	v.value = t1.value + t2.value;
	v.err = t1.err + t2.err + DBL_EPSILON * (fabs(t1.value) + fabs(t2.value));
	if (!isfinite(v.value))
		v.err = INFINITY;
	return v;
}

/* Keep the candidate with the smaller relative error; true when good. */
static bool
h2f1_consider(H2f1Value *best, H2f1Value cand)
{
	if (h2f1_rel(&cand) < h2f1_rel(best))
		*best = cand;
	return h2f1_rel(best) <= H2F1_GOOD;
}

double
fit_hyp2f1(double a, double b, double c, double z)
{
	H2f1Value	best;
	double		lz,
				cab;
	bool		q_ab,
				q_ba,
				euler_positive;

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
	if (z == 0 || a == 0 || b == 0)
		return 1;

	best.value = NAN;
	best.err = INFINITY;
	lz = log1p(-z);
	q_ab = c > b && b > 0;		/* Euler's integral over t^(b-1) */
	q_ba = c > a && a > 0;		/* the same with a and b exchanged */
	euler_positive = c > a && c > b && c > 0;
	cab = h2f1_cab(a, b, c);

	if (z <= 0.9 && z > -1)
	{
		if (h2f1_consider(&best, h2f1_series(a, b, c, z, H2F1_MAX_TERMS)))
			return best.value;
		if (h2f1_consider(&best, h2f1_scale(h2f1_series(c - a, c - b, c, z, H2F1_MAX_TERMS),
											cab * lz, fabs(cab * lz))))
			return best.value;
	}
	if (z < 0.5)
	{
		double		w = z / (z - 1);

		if (h2f1_consider(&best, h2f1_scale(h2f1_series(a, c - b, c, w, H2F1_MAX_TERMS),
											-a * lz, fabs(a * lz))))
			return best.value;
		if (h2f1_consider(&best, h2f1_scale(h2f1_series(c - a, b, c, w, H2F1_MAX_TERMS),
											-b * lz, fabs(b * lz))))
			return best.value;
	}
	if (z > 0.9 && euler_positive && 40 / (1 - z) < 2000)
	{
		if (h2f1_consider(&best, h2f1_scale(h2f1_series(c - a, c - b, c, z, H2F1_MAX_TERMS),
											cab * lz, fabs(cab * lz))))
			return best.value;
	}
	if (q_ab && h2f1_consider(&best, h2f1_quadrature(a, b, c, z)))
		return best.value;
	if (q_ba && h2f1_consider(&best, h2f1_quadrature(b, a, c, z)))
		return best.value;
	if (z > 0.5 && h2f1_consider(&best, h2f1_connection(a, b, c, z)))
		return best.value;
	if (z > 0.9)
	{
		if (h2f1_consider(&best, h2f1_series(a, b, c, z, H2F1_MAX_TERMS)))
			return best.value;
		if (h2f1_consider(&best, h2f1_scale(h2f1_series(c - a, c - b, c, z, H2F1_MAX_TERMS),
											cab * lz, fabs(cab * lz))))
			return best.value;
	}
	if (h2f1_rel(&best) <= H2F1_TOLERANCE)
		return best.value;
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("2F1(%g, %g; %g; %g) cannot be computed to 12 digits", a, b, c, z),
			 errhint("None of its series, transformations and integrals is accurate for these arguments; use parameters of smaller magnitude.")));
	return 0;					/* keep compiler quiet */
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
