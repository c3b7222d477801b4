/*-------------------------------------------------------------------------
 *
 * bgnbd.c
 *	  BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel &
 *	  Filiztekin 2007): fit aggregates, predictions and CLV.
 *
 * While alive a customer buys at rate lambda ~ Gamma(r, alpha); after
 * each purchase (BG/NBD: each repeat purchase; MBG/NBD: also the first one)
 * the customer drops out with probability p ~ Beta(a, b).  For a customer
 * with x repeat purchases, the last at t_x, observed until t, with
 * m = x (BG/NBD) or x + 1 (MBG/NBD):
 *
 *	log L = log Gamma(r + x) - log Gamma(r) + r log alpha
 *		  + log B(a, b + m) - log B(a, b) - (r + x) log(alpha + t)
 *		  + log(1 + e^u)						(BG/NBD: only when x > 0)
 *	u = log a - log(b + m - 1) + (r + x) (log(alpha + t) - log(alpha + t_x))
 *
 * and P(alive | x, t_x, t) = 1 / (1 + e^u) (BG/NBD with x = 0: 1).
 *
 * The fit minimizes -sum w log L over the cells of a fit state in
 * theta = log(r, alpha, a, b).  Terms that depend on x only are computed
 * once per distinct x (the cells come sorted by x), log(alpha + tau) once
 * per distinct time tau; a cell then costs one exp and one log1p.
 *
 * Expectations.  A customer alive at the end of the history behaves like a
 * new BG/NBD customer with the posterior parameters (r + x, alpha + t, a,
 * b + m), so E[X(t) | history] = P(alive) * E_new(t; r + x, alpha + t, a,
 * b + m), where for a new BG/NBD customer (A = r, B = b, C = a + B - 1,
 * z = t / (alpha + t), L = log(1 - z))
 *
 *	E_new(t) = C / (a - 1) [1 - (1 - z)^(a - 1) 2F1(C - A, a - 1; C; z)]
 *			 = C (1 - e^((a-1) L)) / (a - 1)
 *			   - e^((a-1) L) sum_{n>=1} (C-A)_n (a)_(n-1) / ((C+1)_(n-1) n!) z^n
 *
 * (Euler's transformation of FHL's 2F1(r, b; a + b - 1; z)).  The second
 * form has no pole at a = 1 or a + b = 1, and its terms shrink fast for
 * heavy buyers (C - A = a + b - 1 - r does not grow with x); for z > 0.9
 * the first form with 2F1(C - A, a - 1; C; z) from fit_hyp2f1 is used
 * instead (its Euler integral or connection formula near z = 1).  A new
 * MBG/NBD customer survives the first purchase with probability b / (a + b)
 * and then is a BG/NBD customer with (r, alpha, a, b + 1).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "fit.h"

#define BGNBD_NPARAMS	4
#define BGNBD_MAX_ITERATIONS	500

static const char *const bgnbd_param_names[BGNBD_NPARAMS] = {"r", "alpha", "a", "b"};

/* A model: its parameters and which of the two it is. */
typedef struct Bgnbd
{
	double		r,
				alpha,
				a,
				b;
	bool		mbg;
} Bgnbd;

static const char *
bgnbd_type_name(bool mbg)
{
	return mbg ? "custseg.mbgnbd" : "custseg.bgnbd";
}


/* ----------------------------------------------------------------
 *		The fit
 * ----------------------------------------------------------------
 */

/* The cells of a fit, with the index of their t_x and t among the times. */
typedef struct BgnbdData
{
	bool		mbg;
	int64		ncells;
	const FitCell *cells;
	double		customers;
	int32	   *itx;			/* index of k2 (t_x) in tau */
	int32	   *it;				/* index of k3 (t) in tau */
	int64		ntau;
	double	   *tau;			/* the distinct times, ascending */
	double	   *ltau;			/* log(alpha + tau), per evaluation */
	double	   *itau;			/* 1 / (alpha + tau), per evaluation */
} BgnbdData;

static int
bgnbd_double_cmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static int32
bgnbd_time_index(const double *tau, int64 ntau, double v)
{
	int64		lo = 0,
				hi = ntau - 1;

	while (lo < hi)
	{
		int64		mid = (lo + hi) / 2;

		if (tau[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	Assert(tau[lo] == v);
	return (int32) lo;
}

static void
bgnbd_prepare(BgnbdData *d, const FitCells *cells, bool mbg)
{
	int64		n = cells->ncells,
				i,
				ntau = 0;
	double	   *times = palloc_extended(sizeof(double) * 2 * n, MCXT_ALLOC_HUGE);

	d->mbg = mbg;
	d->ncells = n;
	d->cells = cells->cells;
	d->customers = cells->customers;
	for (i = 0; i < n; i++)
	{
		times[2 * i] = cells->cells[i].k2;
		times[2 * i + 1] = cells->cells[i].k3;
	}
	qsort(times, 2 * n, sizeof(double), bgnbd_double_cmp);
	for (i = 0; i < 2 * n; i++)
		if (ntau == 0 || times[i] != times[ntau - 1])
			times[ntau++] = times[i];
	if (ntau > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct times in one fit"),
				 errhint("Round the times to whole days.")));
	d->tau = times;
	d->ntau = ntau;
	d->ltau = palloc_extended(sizeof(double) * ntau, MCXT_ALLOC_HUGE);
	d->itau = palloc_extended(sizeof(double) * ntau, MCXT_ALLOC_HUGE);
	d->itx = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
	d->it = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		d->itx[i] = bgnbd_time_index(times, ntau, cells->cells[i].k2);
		d->it[i] = bgnbd_time_index(times, ntau, cells->cells[i].k3);
	}
}

/* -log L and its gradient in theta = log(r, alpha, a, b). */
static double
bgnbd_objective(const double *theta, double *grad, void *arg)
{
	BgnbdData  *d = (BgnbdData *) arg;
	const FitCell *cells = d->cells;
	double		r = exp(theta[0]),
				alpha = exp(theta[1]),
				a = exp(theta[2]),
				b = exp(theta[3]);
	double		ll = 0,
				gr = 0,
				galpha = 0,
				ga = 0,
				gb = 0;
	double		psi_r = fit_digamma(r),
				psi_b = fit_digamma(b),
				psi_ab = fit_digamma(a + b),
				lg_r = lgamma(r),
				lg_b = lgamma(b),
				lg_ab = lgamma(a + b);
	int64		i,
				j;

	for (j = 0; j < d->ntau; j++)
	{
		double		s = alpha + d->tau[j];

		d->ltau[j] = log(s);
		d->itau[j] = 1 / s;
	}

	for (i = 0; i < d->ncells;)
	{
		double		x = cells[i].k1;
		double		m = d->mbg ? x + 1 : x;
		bool		two = d->mbg || x > 0;	/* the log(1 + e^u) term */
		double		rx = r + x;
		double		lgx = 0,
					dgx = 0,
					lbeta = 0,
					dba = 0,
					dbb = 0,
					cu = 0,
					ibm1 = 0;
		double		W = 0,
					S = 0,
					Sr = 0,
					Salpha = 0,
					Spi = 0;
		int64		k;

		/* what depends on x only */
		if (x > 0)
		{
			lgx = lgamma(rx) - lg_r;
			dgx = fit_digamma(rx) - psi_r;
		}
		if (m > 0)
		{
			double		psi_abm = fit_digamma(a + b + m);

			lbeta = lgamma(b + m) - lg_b + lg_ab - lgamma(a + b + m);
			dba = psi_ab - psi_abm;
			dbb = fit_digamma(b + m) - psi_b + psi_ab - psi_abm;
		}
		if (two)
		{
			/* b + m - 1 is b itself when m = 1: no rounding near 0 */
			double		bm1 = (m == 1) ? b : b + (m - 1);

			cu = theta[2] - log(bm1);
			ibm1 = 1 / bm1;
		}

		for (k = i; k < d->ncells && cells[k].k1 == x; k++)
		{
			double		w = cells[k].w;
			double		lt = d->ltau[d->it[k]],
						it = d->itau[d->it[k]];

			W += w;
			if (two)
			{
				double		ltx = d->ltau[d->itx[k]],
							itx = d->itau[d->itx[k]];
				double		u = cu + rx * (lt - ltx);
				double		e = exp(-fabs(u));
				double		pi = (u > 0 ? 1 : e) / (1 + e); /* e^u / (1 + e^u) */

				S += w * ((u > 0 ? u : 0) + log1p(e) - rx * lt);
				Sr += w * (pi * (lt - ltx) - lt);
				Salpha += w * rx * (pi * (it - itx) - it);
				Spi += w * pi;
			}
			else
			{
				S -= w * rx * lt;
				Sr -= w * lt;
				Salpha -= w * rx * it;
			}
		}
		ll += W * (lgx + lbeta) + S;
		gr += W * dgx + Sr;
		galpha += Salpha;
		ga += a * W * dba + Spi;
		gb += b * (W * dbb - Spi * ibm1);
		i = k;
	}
	ll += d->customers * r * theta[1];
	gr += d->customers * theta[1];
	galpha += d->customers * r / alpha;

	grad[0] = -r * gr;
	grad[1] = -alpha * galpha;
	grad[2] = -ga;
	grad[3] = -gb;
	return -ll;
}

static Datum
bgnbd_fit_final(FunctionCallInfo fcinfo, bool mbg)
{
	FitCells	cells;
	BgnbdData	d;
	FitResult	result;
	double		theta[BGNBD_NPARAMS],
				params[BGNBD_NPARAMS];
	double		sum_x = 0,
				sum_t = 0;
	int64		i;
	int			k;

	fit_state_cells(PG_GETARG_DATUM(0), FIT_KIND_XTT, &cells);
	if (cells.ncells == 0)
		PG_RETURN_NULL();		/* no customers */
	for (i = 0; i < cells.ncells; i++)
	{
		sum_x += cells.cells[i].w * cells.cells[i].k1;
		sum_t += cells.cells[i].w * cells.cells[i].k3;
	}
	bgnbd_prepare(&d, &cells, mbg);

	/*
	 * Start from r = 1 and the alpha of a Poisson rate x / t without dropout,
	 * a = b = 1 (a flat prior on the dropout probability).
	 */
	theta[0] = 0;
	theta[1] = log(Max(sum_t, 1.0) / Max(sum_x, 1.0));
	theta[1] = Max(Min(theta[1], 20.0), -20.0);
	theta[2] = 0;
	theta[3] = 0;
	fit_estimate(BGNBD_NPARAMS, theta, bgnbd_objective, &d,
				 BGNBD_MAX_ITERATIONS, &cells.settings, cells.customers, &result);

	/* without a repeat purchase the likelihood has no maximum (r -> 0) */
	if (sum_x == 0)
		result.converged = false;
	for (k = 0; k < BGNBD_NPARAMS; k++)
		params[k] = exp(theta[k]);
	return fit_model_datum(fcinfo, mbg ? "MBG/NBD" : "BG/NBD", BGNBD_NPARAMS,
						   params, -result.value, cells.customers, &result,
						   &cells.settings);
}

/* custseg.bgnbd_final(custseg.fit_state) -> custseg.bgnbd */
PG_FUNCTION_INFO_V1(bgnbd_final);
Datum
bgnbd_final(PG_FUNCTION_ARGS)
{
	return bgnbd_fit_final(fcinfo, false);
}

/* custseg.mbgnbd_final(custseg.fit_state) -> custseg.mbgnbd */
PG_FUNCTION_INFO_V1(mbgnbd_final);
Datum
mbgnbd_final(PG_FUNCTION_ARGS)
{
	return bgnbd_fit_final(fcinfo, true);
}


/* ----------------------------------------------------------------
 *		Predictions
 * ----------------------------------------------------------------
 */

/* The model in argument argno; returns the length of its unit in days. */
static double
bgnbd_read(FunctionCallInfo fcinfo, int argno, bool mbg, Bgnbd *model)
{
	double		p[BGNBD_NPARAMS];
	double		unit_days;

	unit_days = fit_model_unit_arg(fcinfo, argno, FIT_SLOT_MODEL, bgnbd_type_name(mbg),
								   BGNBD_NPARAMS, bgnbd_param_names, p);
	model->r = p[0];
	model->alpha = p[1];
	model->a = p[2];
	model->b = p[3];
	model->mbg = mbg;
	return unit_days;
}

/*
 * E_new(t) of a BG/NBD customer alive at 0 with parameters (A, alpha, a, B)
 * (see the head of the file).  The coefficients of the series do not
 * depend on t: they are kept, so that the many E(t) of one customer's CLV
 * cost a multiply-add per term.
 */
#define BGNBD_NCOEF 512
/* the most terms of the series of bgnbd_series_expected */
#define BGNBD_MAX_TERMS INT64CONST(20000000)

typedef struct BgnbdSeries
{
	double		A,
				alpha,
				a,
				C;
	int			ncoef;
	double		coef[BGNBD_NCOEF];	/* (C-A)_n (a)_(n-1) / ((C+1)_(n-1) n!), n = 1.. */
} BgnbdSeries;

static void
bgnbd_series_init(BgnbdSeries *s, double A, double alpha, double a, double B)
{
	s->A = A;
	s->alpha = alpha;
	s->a = a;
	s->C = a + B - 1;
	s->coef[0] = s->C - A;
	s->ncoef = 1;
}

/*
 * E_new(t) = E_p[(1 - (1 + p tau)^-A) / p], p ~ Beta(a, B), tau = t / alpha,
 * by double-exponential (tanh-sinh) quadrature in the logistic form
 * p = 1 / (1 + e^-u), u = pi sinh(s): the integrand is positive, so the
 * value is accurate whatever the parameters; the step is halved until two
 * estimates agree to 1e-13.  Slower than the series (hundreds of
 * evaluations), so the series below use it only when their terms cancel.
 * NaN when it does not converge.
 */
#define BGNBD_QUAD_SMAX 12.0
#define BGNBD_QUAD_LEVELS 9

static double
bgnbd_quadrature_expected(double A, double tau, double a, double B)
{
	double		lb = lgamma(a) + lgamma(B) - lgamma(a + B);
	double		h = 0.5,
				total = 0,
				prev = 0;
	int			level;

	for (level = 0; level < BGNBD_QUAD_LEVELS; level++)
	{
		int			k;
		int			kmax = (int) (BGNBD_QUAD_SMAX / h);
		double		est;

		CHECK_FOR_INTERRUPTS();
		/* level 0: every point; later levels: the new (odd) ones */
		for (k = -kmax; k <= kmax; k++)
		{
			double		sk = k * h,
						u,
						lp,
						l1p,
						pr,
						g,
						w;

			if (level > 0 && (k & 1) == 0)
				continue;
			u = M_PI * sinh(sk);
			lp = -log1p(exp(-u));	/* log p */
			l1p = -log1p(exp(u));	/* log (1 - p) */
			pr = exp(lp);
			if (!(pr > 0) || !isfinite(l1p))
				continue;		/* beyond the range of doubles: no weight */
			g = -expm1(-A * log1p(pr * tau)) / pr;
			w = M_PI * cosh(sk) * exp(a * lp + B * l1p - lb);
			if (isfinite(g * w))
				total += g * w;
		}
		est = total * h;
		if (level >= 3 && fabs(est - prev) <= 1e-13 * fabs(est))
			return est;
		prev = est;
		h /= 2;
	}
	return NAN;
}

static double
bgnbd_series_expected(BgnbdSeries *s, double t)
{
	double		a = s->a,
				C = s->C,
				CA = s->C - s->A;
	double		z = t / (s->alpha + t);
	double		L = -log1p(t / s->alpha);	/* log(1 - z) */
	double		d = a - 1;
	double		h,
				coef,
				pw,
				term,
				sum = 0,
				sumabs = 0;
	int64		n;

	if (t == 0)
		return 0;

	/*
	 * Hardly any dropout (a + B large against tau = t / alpha): the forms
	 * below subtract two numbers of order C, which leaves nothing of the
	 * result when C is large (a = 1e-300, b = 1e300 gave -3e284).  Here
	 * E_new(t) = E_p[(1 - (1 + p tau)^-A) / p] for p ~ Beta(a, B) is summed
	 * in powers of p instead, with E[p^(k-1)] = (a)_(k-1) / (a + B)_(k-1):
	 *
	 *	E_new(t) = sum_{k>=1} (-1)^(k+1) (A)_k / k! tau^k (a)_(k-1) / (a + B)_(k-1)
	 *
	 * The ratio of term k + 1 to term k is -tau (A + k) (a + k - 1) /
	 * ((k + 1) (a + B + k - 1)), at most tau max(A, 1) (a + 60) / (a + B)
	 * in size for k <= 60: the condition keeps it below 1/2, so the terms
	 * alternate and halve, and 64 of them reach 1e-17 of the sum.
	 */
	{
		double		aB = C + 1;
		double		tau = t / s->alpha;

		if (isfinite(aB) && aB >= 2 * tau * Max(s->A, 1.0) * (a + 60))
		{
			double		pterm = s->A * tau,
						psum = pterm;
			int			k;

			for (k = 1; k < 64; k++)
			{
				pterm *= -tau * (s->A + k) * (a + k - 1) / ((k + 1) * (aB + k - 1));
				psum += pterm;
				if (fabs(pterm) <= 1e-17 * fabs(psum))
					break;
			}
			return psum;
		}
	}

	/*
	 * A Beta distribution narrowed to a point (a and b grow without bound
	 * when the dropout probability hardly varies; a fit returned a = 1.5e12,
	 * b = 4.8e12): the hypergeometric forms below then need series of about
	 * a terms and fail.  E_p[g(p)], g(p) = (1 - (1 + p tau)^-A) / p, is
	 * taken by the three-point rule that is exact for polynomials of degree
	 * 5 under a normal distribution, at the mean mu = a / (a + B) and
	 * mu +- sqrt(3) sd.  With sd / mu <= 1 / sqrt(a) and p^k g^(k)(p) / g(p)
	 * at most about (A + k)^k, the skewness that the rule ignores costs
	 * about (A + 3)^3 / a^2 of the result (measured: 0.03 of that), under
	 * 1e-11 here.  Against 30-digit quadrature, (0.08, 2.4, 1.26e6, 3.7e7)
	 * at t = 365 is 4.0579689327304: the rule gives it to 3e-13, the series
	 * below 4.0579684070 (1.3e-7 off); at a = 1e4 the series is better.
	 */
	{
		double		aB = C + 1;
		double		tau = t / s->alpha;

		if (isfinite(aB) && a >= 1e5 * (s->A + 3) * (s->A + 3))
		{
			double		mu = a / aB;
			double		sd = sqrt(mu * (1 - mu) / (aB + 1));
			double		hs = sqrt(3.0) * sd;
			double		g0 = -expm1(-s->A * log1p(mu * tau)) / mu;
			double		gm = -expm1(-s->A * log1p((mu - hs) * tau)) / (mu - hs);
			double		gp = -expm1(-s->A * log1p((mu + hs) * tau)) / (mu + hs);

			return (gm + 4 * g0 + gp) / 6;
		}
	}

	/*
	 * A small A (r near 0): C / d (1 - (1 - z)^d 2F1(C - A, d; C; z)) is
	 * the difference of two numbers near C / d, and rounding left noise of
	 * either sign (-3.5e-14 for r = 1e-17) or made 2F1 fail.  With
	 * (1 - z)^-d = sum (d)_n z^n / n! and (C - A)_n / (C)_n =
	 * prod_{j<n} (1 - A / (C + j)),
	 *
	 *	E_new(t) = C / d (1 - z)^d sum_{n>=1} (d)_n / n! z^n [1 - prod_{j<n} (1 - A / (C + j))]
	 *
	 * whose terms all have the sign of d (d > -1; when a + b < 1, C < 0 and
	 * only the first bracket has the other sign), so the sum has no
	 * cancellation, the bracket taken as -expm1 of a sum of log1p (as for
	 * a = 1 below, which is this sum's limit); every factor of the product
	 * is positive (A < C, or A < C + 1 when C < 0).  Term n + 1 is term n
	 * times at most q = z (d + n + 1) / (n + 2) in size, and the bracket of
	 * term m > n is at most m / n times that of term n (-expm1(-x) is
	 * concave, and the sum of A / (C + j) grows at most so), so the rest
	 * after term n is below
	 *
	 *	|w_(n+1)| bracket_n ((n + 1) / (1 - q) + q / (1 - q)^2) / n
	 *
	 * once q < 1, w_n = (d)_n / n! z^n: some 40 / (1 - z) terms, which
	 * BGNBD_MAX_TERMS bounds (t up to some 400,000 alpha).
	 */
	if (s->A <= 1e-3 && d != 0 && C != 0 && s->A < (C > 0 ? C : C + 1) &&
		exp(L) * BGNBD_MAX_TERMS > 50)
	{
		double		lprod = 0,
					w = 1;		/* (d)_n / n! z^n */

		for (n = 1;; n++)
		{
			double		q,
						bracket,
						next;

			w *= (d + (n - 1)) / n * z;
			lprod += log1p(-s->A / (C + (n - 1)));
			bracket = -expm1(lprod);
			sum += w * bracket;
			q = z * (d + n + 1) / (n + 2);
			next = fabs(w * (d + n) / (n + 1) * z);
			if (q < 1 && n > 1 &&
				next * fabs(bracket) * ((n + 1) / (1 - q) + q / ((1 - q) * (1 - q))) / n <=
				1e-16 * fabs(sum))
				break;
			if (!isfinite(sum) || n >= BGNBD_MAX_TERMS)
				return NAN;
			if ((n & 8191) == 8191)
				CHECK_FOR_INTERRUPTS();
		}
		return C / d * exp(d * L) * sum;
	}

	/*
	 * The two 2F1 forms below give C / d (1 - x): when x is near 1 (a short
	 * horizon, or A large against C) the difference loses the digits that
	 * 2F1's 1e-14 has; past a factor 1000 of them, the quadrature instead.
	 * (With C - A below -20, 2F1 itself may have no accurate method: the
	 * series below, and the quadrature when it cancels.)
	 */
	if (z > 0.9 && fabs(d) > 1e-3 && C > 0 && C < 100 && CA > -20)
	{
		double		x = exp(d * L) * fit_hyp2f1(CA, d, C, z);

		if (fabs(x) <= 1e3 * fabs(1 - x))
			return C / d * (1 - x);
		return bgnbd_quadrature_expected(s->A, t / s->alpha, a, C + 1 - a);
	}

	/*
	 * A large a (p nearly constant): the terms of the series grow like
	 * (a z)^n / n! before e^((a-1) L) shrinks them.  FHL's own form,
	 * 2F1(A, C - a + 1; C; z), has small terms then, unless A is large too.
	 */
	if (a > 50 && s->A * z < 50)
	{
		double		x = exp(s->A * L) * fit_hyp2f1(s->A, C - a + 1, C, z);

		if (fabs(x) <= 1e3 * fabs(1 - x))
			return C / d * (1 - x);
		return bgnbd_quadrature_expected(s->A, t / s->alpha, a, C + 1 - a);
	}

	/*
	 * a = 1 (d = 0): with C = B, term n of the sum is C / n z^n times
	 * prod_{j<n} (1 - A / (C + j)), and C h = C sum z^n / n, so
	 *
	 *	E_new(t) = C sum_{n>=1} z^n / n [1 - prod_{j<n} (1 - A / (C + j))]
	 *
	 * a sum of positive terms, the bracket taken as -expm1 of the sum of
	 * log1p(-A / (C + j)): no difference of two sums of order C, which left
	 * rounding noise of either sign (-4e-15) when A is tiny (r = 1e-17).
	 */
	if (d == 0 && s->A >= C)
	{
		/* factors 1 - A / (C + j) of both signs: 1 - prod cancels */
		return bgnbd_quadrature_expected(s->A, t / s->alpha, a, C + 1 - a);
	}
	if (d == 0)
	{
		double		lprod = 0,
					prod = 1,
					zn = 1,
					bracket,
					omz = exp(L);	/* 1 - z, without cancellation */
		bool		positive = true;

		for (n = 1;; n++)
		{
			double		f = 1 - s->A / (C + (n - 1));

			/*
			 * While every factor is positive (always when A < C, so when A
			 * is tiny) the product is kept as a sum of logarithms; A >= C
			 * makes some factors 0 or negative, and 1 - prod has no
			 * cancellation then.
			 */
			prod *= f;
			if (positive && f > 0)
				lprod += log1p(-s->A / (C + (n - 1)));
			else
				positive = false;
			zn *= z;
			bracket = positive ? -expm1(lprod) : 1 - prod;
			term = zn / n * bracket;
			sum += term;

			/*
			 * The rest is below sum_{m>n} z^m / m bracket_m, and bracket_m
			 * <= m / n bracket_n (see the small-A sum above): below
			 * bracket_n z^(n+1) / (n (1 - z)).
			 */
			if (zn * z * fabs(bracket) / (n * omz) <= 1e-16 * sum)
				break;
			if (!isfinite(sum) || n >= BGNBD_MAX_TERMS)
				return NAN;
			if ((n & 8191) == 8191)
				CHECK_FOR_INTERRUPTS();
		}
		return C * sum;
	}

	h = -expm1(d * L) / d;
	pw = z;
	coef = s->coef[0];
	for (n = 1;; n++)
	{
		double		ratio;

		term = coef * pw;
		sum += term;
		sumabs += fabs(term);
		ratio = (CA + n) * (a + n - 1) / ((C + n) * (n + 1)) * z;
		if (term == 0 || (fabs(term) <= 1e-17 * fabs(sum) && fabs(ratio) < 1))
			break;

		/*
		 * Terms that overflow (|C - A| huge: r of 1e6 and more), or a sum that
		 * has not converged after BGNBD_MAX_TERMS terms (some 0.15 s): the
		 * quadrature, at once instead of after 10^8 terms of NaN (NaN when it
		 * fails too, which the caller reports as out of range).
		 */
		if (!isfinite(sum) || n >= BGNBD_MAX_TERMS)
			return bgnbd_quadrature_expected(s->A, t / s->alpha, a, C + 1 - a);
		/* the next coefficient: kept, or computed */
		if (n < s->ncoef)
			coef = s->coef[n];
		else
		{
			coef *= (CA + n) * (a + n - 1) / ((C + n) * (n + 1));
			if (n == s->ncoef && n < BGNBD_NCOEF)
				s->coef[s->ncoef++] = coef;
		}
		pw *= z;
		if ((n & 8191) == 8191)
			CHECK_FOR_INTERRUPTS();
	}

	/*
	 * C h and the sum cancel when A is large against C (r of 100 and more
	 * gave -1e14 purchases): the rounding of the terms then outweighs the
	 * result, and the quadrature takes over.
	 */
	{
		double		result = C * h - exp(d * L) * sum;
		double		noise = 4 * DBL_EPSILON * (fabs(C * h) + exp(d * L) * sumabs);

		if (result > 0 && noise <= 1e-12 * result)
			return result;
		return bgnbd_quadrature_expected(s->A, t / s->alpha, a, C + 1 - a);
	}
}

static double
bgnbd_expected_new(double A, double alpha, double a, double B, double t)
{
	BgnbdSeries s;

	bgnbd_series_init(&s, A, alpha, a, B);
	return bgnbd_series_expected(&s, t);
}

/* P(alive) of a customer with history (x, t_x, t). */
static double
bgnbd_p_alive_of(const Bgnbd *m, double x, double t_x, double t)
{
	double		bm1,
				u;

	if (!m->mbg && x == 0)
		return 1;
	bm1 = m->mbg ? m->b + x : (x == 1 ? m->b : m->b + (x - 1));
	u = log(m->a) - log(bm1) +
		(m->r + x) * (log(m->alpha + t) - log(m->alpha + t_x));
	return u > 0 ? exp(-u) / (1 + exp(-u)) : 1 / (1 + exp(u));
}

/* A customer's history and model, for the conditional expectation. */
typedef struct BgnbdCustomer
{
	const Bgnbd *model;
	double		x,
				t_x,
				t,
				p_alive;
	BgnbdSeries series;			/* E_new with the posterior parameters */
} BgnbdCustomer;

/* E[X(t) | history], the FitExpected of the customer. */
static double
bgnbd_expected_cond(double h, void *arg)
{
	BgnbdCustomer *c = (BgnbdCustomer *) arg;

	return c->p_alive * bgnbd_series_expected(&c->series, h);
}

static void
bgnbd_customer(const FitCustomer *fc, const Bgnbd *m, BgnbdCustomer *c)
{
	c->model = m;
	c->x = (double) fc->x;
	c->t_x = fc->t_x;
	c->t = fc->t;
	c->p_alive = bgnbd_p_alive_of(m, c->x, c->t_x, c->t);
	bgnbd_series_init(&c->series, m->r + c->x, m->alpha + c->t, m->a,
					  m->b + c->x + (m->mbg ? 1 : 0));
}

/* expected_purchases(model, horizon, customer) */
static Datum
bgnbd_expected_purchases_impl(FunctionCallInfo fcinfo, bool mbg,
							  FitCustomerKind ck, FitHorizonKind hk)
{
	Bgnbd		m;
	BgnbdCustomer c;
	FitCustomer fc;
	double		h,
				unit_days;
	int			next;

	unit_days = bgnbd_read(fcinfo, 0, mbg, &m);
	h = fit_horizon_arg(fcinfo, 1, hk, unit_days);
	if (!fit_customer_arg(fcinfo, 2, ck, unit_days, &fc, &next))
		PG_RETURN_NULL();
	bgnbd_customer(&fc, &m, &c);
	PG_RETURN_FLOAT8(fit_check_result(bgnbd_expected_cond(h, &c),
										"the expected number of purchases"));
}

/* expected_purchases(model, horizon): a new customer */
static Datum
bgnbd_expected_purchases_new_impl(FunctionCallInfo fcinfo, bool mbg,
								  FitHorizonKind hk)
{
	Bgnbd		m;
	double		h,
				e;

	h = fit_horizon_arg(fcinfo, 1, hk, bgnbd_read(fcinfo, 0, mbg, &m));
	if (mbg)
		e = m.b / (m.a + m.b) * bgnbd_expected_new(m.r, m.alpha, m.a, m.b + 1, h);
	else
		e = bgnbd_expected_new(m.r, m.alpha, m.a, m.b, h);
	PG_RETURN_FLOAT8(fit_check_result(e, "the expected number of purchases"));
}

/* p_alive(model, customer) */
static Datum
bgnbd_p_alive_impl(FunctionCallInfo fcinfo, bool mbg, FitCustomerKind ck)
{
	Bgnbd		m;
	FitCustomer fc;
	int			next;
	double		unit_days = bgnbd_read(fcinfo, 0, mbg, &m);

	if (!fit_customer_arg(fcinfo, 1, ck, unit_days, &fc, &next))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(fit_check_result(bgnbd_p_alive_of(&m, (double) fc.x, fc.t_x, fc.t),
									  "the probability of being alive"));
}

/*
 * purchase_probability(model, n, horizon): P(X(t) = n) for a new customer.
 * With NB(j) the negative binomial of the Gamma-Poisson counts,
 * NB(j) = Gamma(r + j) / (Gamma(r) j!) (alpha / (alpha + t))^r (t / (alpha + t))^j,
 *	BG/NBD:  B(a, b + n) / B(a, b) NB(n) + [n > 0] B(a + 1, b + n - 1) / B(a, b) P(NB >= n)
 *	MBG/NBD: B(a, b + n + 1) / B(a, b) NB(n) + B(a + 1, b + n) / B(a, b) P(NB >= n)
 */
static Datum
bgnbd_purchase_probability_impl(FunctionCallInfo fcinfo, bool mbg,
								FitHorizonKind hk)
{
	Bgnbd		m;
	int64		n;
	double		t,
				nd,
				lp,
				lq,
				lnb_n,
				tail,
				lbeta_ab,
				p;

	t = bgnbd_read(fcinfo, 0, mbg, &m);
	n = PG_GETARG_INT64(1);
	t = fit_horizon_arg(fcinfo, 2, hk, t);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must not be negative"),
				 errhint("n is a number of purchases.")));
	if (t == 0)
		PG_RETURN_FLOAT8(n == 0 ? 1.0 : 0.0);

	nd = (double) n;
	lp = -log1p(t / m.alpha);	/* log(alpha / (alpha + t)) */
	lq = log(t / (m.alpha + t));
	lnb_n = lgamma(m.r + nd) - lgamma(m.r) - lgamma(nd + 1) + m.r * lp + nd * lq;

	/*
	 * P(NB >= n): the tail above the mean, else 1 - the terms below n; for
	 * n over 100,000 (those sums take n terms) the regularized incomplete
	 * beta function I_q(n, r), q = t / (alpha + t), by its continued
	 * fraction (on the side where it converges fast).
	 */
	if (n == 0)
		tail = 1;
	else if (n > 100000)
	{
		double		lfront = nd * lq + m.r * lp -
			(lgamma(nd) + lgamma(m.r) - lgamma(nd + m.r));

		if (exp(lq) < (nd + 1) / (nd + m.r + 2))
			tail = exp(lfront - log(nd)) * custseg_beta_cf(nd, m.r, exp(lq));
		else
			tail = 1 - exp(lfront - log(m.r)) * custseg_beta_cf(m.r, nd, exp(lp));
		tail = Max(0.0, Min(1.0, tail));
	}
	else if (nd > m.r * t / m.alpha)
	{
		double		lterm = lnb_n;
		int64		j;

		tail = 0;
		for (j = n; j < n + INT64CONST(100000000); j++)
		{
			double		term = exp(lterm);

			tail += term;
			if (term <= 1e-17 * tail)
				break;
			lterm += log((m.r + j) / (j + 1)) + lq;
			if ((j & 8191) == 8191)
				CHECK_FOR_INTERRUPTS();
		}
	}
	else
	{
		double		lterm = m.r * lp,
					below = 0;
		int64		j;

		for (j = 0; j < n; j++)
		{
			below += exp(lterm);
			lterm += log((m.r + j) / (j + 1)) + lq;
			if ((j & 8191) == 8191)
				CHECK_FOR_INTERRUPTS();
		}
		tail = Max(0.0, 1 - below);
	}

	lbeta_ab = lgamma(m.a) + lgamma(m.b) - lgamma(m.a + m.b);
	if (mbg)
		p = exp(lgamma(m.a) + lgamma(m.b + nd + 1) - lgamma(m.a + m.b + nd + 1) - lbeta_ab + lnb_n) +
			exp(lgamma(m.a + 1) + lgamma(m.b + nd) - lgamma(m.a + m.b + nd + 1) - lbeta_ab) * tail;
	else
	{
		p = exp(lgamma(m.a) + lgamma(m.b + nd) - lgamma(m.a + m.b + nd) - lbeta_ab + lnb_n);
		if (n > 0)
			p += exp(lgamma(m.a + 1) + lgamma(m.b + nd - 1) - lgamma(m.a + m.b + nd) - lbeta_ab) * tail;
	}
	/* a NaN would pass the clamp: Min and Max keep it */
	p = fit_check_result(p, "the purchase probability");
	PG_RETURN_FLOAT8(Max(0.0, Min(1.0, p)));
}

/*
 * clv(model, gammagamma, customer [, mean_spend], horizon,
 *	   annual_discount_rate [, margin])
 * = margin * expected spend per purchase * discounted expected purchases.
 */
static Datum
bgnbd_clv_impl(FunctionCallInfo fcinfo, bool mbg, FitCustomerKind ck,
			   FitHorizonKind hk)
{
	Bgnbd		m;
	BgnbdCustomer c;
	FitCustomer fc;
	FitClvArgs	args;
	double		de,
				unit_days;
	int			next;

	unit_days = bgnbd_read(fcinfo, 0, mbg, &m);
	if (!fit_customer_arg(fcinfo, 2, ck, unit_days, &fc, &next))
		PG_RETURN_NULL();
	bgnbd_customer(&fc, &m, &c);
	fit_clv_args(fcinfo, next, ck, hk, unit_days, &fc, &args);
	/*
	 * E(h) is analytic in h but for h <= -(alpha + t), and bends on the
	 * scale of (alpha + t) / (r + x), the mean time between purchases of
	 * the customer's posterior: a customer who buys often and drops out
	 * soon has all of E's growth in the first hours of a long horizon.
	 */
	de = fit_discounted_purchases_scaled(bgnbd_expected_cond, &c, args.horizon,
										  args.rate, (m.alpha + c.t) / Max(1.0, m.r + c.x),
										  unit_days);
	PG_RETURN_FLOAT8(fit_check_result(args.margin * args.spend * de, "the CLV"));
}

/*
 * log_likelihood(model, x, t_x, t): log L of one customer, straight from
 * the formula of Fader, Hardie & Lee (2005), eq. 6 (MBG/NBD: Batislam et
 * al., 2007), as the sum of its two terms
 *
 *	L = B(a, b + m) / B(a, b) Gamma(r + x) alpha^r / (Gamma(r) (alpha + t)^(r + x))
 *	  + [two] B(a + 1, b + m - 1) / B(a, b) Gamma(r + x) alpha^r / (Gamma(r) (alpha + t_x)^(r + x))
 *
 * (m = x, two = x > 0 for BG/NBD; m = x + 1 and always two for MBG/NBD),
 * without the cell grouping and gradient of the fit.
 */
static Datum
bgnbd_log_likelihood_impl(FunctionCallInfo fcinfo, bool mbg)
{
	Bgnbd		m;
	FitCustomer fc;
	int			next;
	double		x,
				mm,
				common,
				l1,
				l2;

	bgnbd_read(fcinfo, 0, mbg, &m);
	fit_customer_arg(fcinfo, 1, FIT_CUSTOMER_BIGINT, 1.0, &fc, &next);
	x = (double) fc.x;
	mm = mbg ? x + 1 : x;
	common = lgamma(m.r + x) - lgamma(m.r) + m.r * log(m.alpha) -
		(lgamma(m.a) + lgamma(m.b) - lgamma(m.a + m.b));
	l1 = common + lgamma(m.a) + lgamma(m.b + mm) - lgamma(m.a + m.b + mm) -
		(m.r + x) * log(m.alpha + fc.t);
	if (mbg || x > 0)
	{
		double		hi;

		l2 = common + lgamma(m.a + 1) + lgamma(m.b + mm - 1) - lgamma(m.a + m.b + mm) -
			(m.r + x) * log(m.alpha + fc.t_x);
		hi = Max(l1, l2);
		l1 = hi + log(exp(l1 - hi) + exp(l2 - hi));
	}
	PG_RETURN_FLOAT8(fit_check_result(l1, "the log-likelihood"));
}

/* model_summary(model) */
static const int bgnbd_time_powers[BGNBD_NPARAMS] = {0, 1, 0, 0};

static Datum
bgnbd_model_summary_impl(FunctionCallInfo fcinfo, bool mbg)
{
	fit_model_summary(fcinfo, bgnbd_type_name(mbg), mbg ? "MBG/NBD" : "BG/NBD",
					  BGNBD_NPARAMS, bgnbd_param_names, bgnbd_time_powers);
	return (Datum) 0;
}

/* parameter_draws(model, draws, seed) */
static Datum
bgnbd_parameter_draws_impl(FunctionCallInfo fcinfo, bool mbg)
{
	fit_parameter_draws(fcinfo, bgnbd_type_name(mbg), mbg ? "MBG/NBD" : "BG/NBD",
						BGNBD_NPARAMS, bgnbd_param_names, true);
	return (Datum) 0;
}

/*
 * One SQL-callable function per model and SQL signature: name, the
 * implementation and its arguments after (fcinfo, mbg).
 */
#define BGNBD_ENTRY(name, impl, ...) \
PG_FUNCTION_INFO_V1(bgnbd_##name); \
Datum \
bgnbd_##name(PG_FUNCTION_ARGS) \
{ \
	return impl(fcinfo, false, __VA_ARGS__); \
} \
PG_FUNCTION_INFO_V1(mbgnbd_##name); \
Datum \
mbgnbd_##name(PG_FUNCTION_ARGS) \
{ \
	return impl(fcinfo, true, __VA_ARGS__); \
}

#define BGNBD_ENTRY0(name, impl) \
PG_FUNCTION_INFO_V1(bgnbd_##name); \
Datum \
bgnbd_##name(PG_FUNCTION_ARGS) \
{ \
	return impl(fcinfo, false); \
} \
PG_FUNCTION_INFO_V1(mbgnbd_##name); \
Datum \
mbgnbd_##name(PG_FUNCTION_ARGS) \
{ \
	return impl(fcinfo, true); \
}

/* the C symbols of 0.1.0, each shared by a float8 and an interval signature */
BGNBD_ENTRY(expected_purchases, bgnbd_expected_purchases_impl,
			FIT_CUSTOMER_BIGINT, FIT_HORIZON_GUESS)
BGNBD_ENTRY(expected_purchases_new, bgnbd_expected_purchases_new_impl,
			FIT_HORIZON_GUESS)
BGNBD_ENTRY(purchase_probability, bgnbd_purchase_probability_impl,
			FIT_HORIZON_GUESS)
BGNBD_ENTRY(clv, bgnbd_clv_impl, FIT_CUSTOMER_BIGINT, FIT_HORIZON_GUESS)
BGNBD_ENTRY(p_alive, bgnbd_p_alive_impl, FIT_CUSTOMER_BIGINT)

/* 0.2.0: one per signature */
BGNBD_ENTRY(expected_purchases_number, bgnbd_expected_purchases_impl,
			FIT_CUSTOMER_BIGINT, FIT_HORIZON_NUMBER)
BGNBD_ENTRY(expected_purchases_interval, bgnbd_expected_purchases_impl,
			FIT_CUSTOMER_BIGINT, FIT_HORIZON_INTERVAL)
BGNBD_ENTRY(expected_purchases_xf_number, bgnbd_expected_purchases_impl,
			FIT_CUSTOMER_FLOAT8, FIT_HORIZON_NUMBER)
BGNBD_ENTRY(expected_purchases_xf_interval, bgnbd_expected_purchases_impl,
			FIT_CUSTOMER_FLOAT8, FIT_HORIZON_INTERVAL)
BGNBD_ENTRY(expected_purchases_summary_number, bgnbd_expected_purchases_impl,
			FIT_CUSTOMER_SUMMARY, FIT_HORIZON_NUMBER)
BGNBD_ENTRY(expected_purchases_summary_interval, bgnbd_expected_purchases_impl,
			FIT_CUSTOMER_SUMMARY, FIT_HORIZON_INTERVAL)
BGNBD_ENTRY(expected_purchases_new_number, bgnbd_expected_purchases_new_impl,
			FIT_HORIZON_NUMBER)
BGNBD_ENTRY(expected_purchases_new_interval, bgnbd_expected_purchases_new_impl,
			FIT_HORIZON_INTERVAL)
BGNBD_ENTRY(purchase_probability_number, bgnbd_purchase_probability_impl,
			FIT_HORIZON_NUMBER)
BGNBD_ENTRY(purchase_probability_interval, bgnbd_purchase_probability_impl,
			FIT_HORIZON_INTERVAL)
BGNBD_ENTRY(clv_number, bgnbd_clv_impl, FIT_CUSTOMER_BIGINT, FIT_HORIZON_NUMBER)
BGNBD_ENTRY(clv_interval, bgnbd_clv_impl, FIT_CUSTOMER_BIGINT, FIT_HORIZON_INTERVAL)
BGNBD_ENTRY(clv_xf_number, bgnbd_clv_impl, FIT_CUSTOMER_FLOAT8, FIT_HORIZON_NUMBER)
BGNBD_ENTRY(clv_xf_interval, bgnbd_clv_impl, FIT_CUSTOMER_FLOAT8, FIT_HORIZON_INTERVAL)
BGNBD_ENTRY(clv_summary_number, bgnbd_clv_impl, FIT_CUSTOMER_SUMMARY, FIT_HORIZON_NUMBER)
BGNBD_ENTRY(clv_summary_interval, bgnbd_clv_impl, FIT_CUSTOMER_SUMMARY, FIT_HORIZON_INTERVAL)
BGNBD_ENTRY(p_alive_xf, bgnbd_p_alive_impl, FIT_CUSTOMER_FLOAT8)
BGNBD_ENTRY(p_alive_summary, bgnbd_p_alive_impl, FIT_CUSTOMER_SUMMARY)
BGNBD_ENTRY0(log_likelihood, bgnbd_log_likelihood_impl)
BGNBD_ENTRY0(model_summary, bgnbd_model_summary_impl)
BGNBD_ENTRY0(parameter_draws, bgnbd_parameter_draws_impl)
