/*-------------------------------------------------------------------------
 *
 * paretonbd.c
 *	  The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): its fit
 *	  aggregate, predictions and CLV.
 *
 * While alive a customer buys at rate lambda (a Poisson process) and dies
 * at rate mu (an exponential lifetime); across customers lambda ~ Gamma(r,
 * alpha) and mu ~ Gamma(s, beta), rates per day.  A customer with x repeat
 * purchases, the last one t_x days after the first, observed for t days,
 * has the likelihood
 *
 *	L = Gamma(r + x) alpha^r beta^s / Gamma(r)
 *		* [ (alpha + t)^-(r + x) (beta + t)^-s + s (J(t_x) - J(t)) ]
 *
 *	J(u) = integral_u^inf (alpha + v)^-(r + x) (beta + v)^-(s + 1) dv
 *
 * (the first term: alive at t; the second: died at some v in (t_x, t]).
 * Substituting w = (m + u) / (m + v) turns J into a Gauss hypergeometric
 * function,
 *
 *	J(u) = (alpha + u)^-(r + x) (beta + u)^-(s + 1) (m + u) / (r + s + x) * F
 *	F	 = 2F1(1, b; r + s + x + 1; z),	z = |alpha - beta| / (M + u)
 *
 * with m = min(alpha, beta), M = max(alpha, beta), and b = r + x when
 * alpha >= beta, s + 1 when alpha < beta.  This is the form of Fader, Hardie
 * & Lee's note after Euler's transformation; the powers are kept outside F
 * and taken in logs.  Every term of F's series is positive, at most 1, and
 * the ratio of two terms is below z, so the series cannot overflow, whatever
 * x (a heavy buyer's 2F1 in the published form grows like (1 - z)^-x), and
 * its tail after a term is bounded by that term / (1 - z).  The derivatives
 * of F with respect to b, the third argument c and z are summed along the
 * same series: the log of term k is sum_{j<k} log(b + j) - log(c + j) +
 * k log z, so its derivatives are partial sums of 1 / (b + j) and 1 / (c + j).
 *
 * The fit maximizes the log-likelihood of the state's cells in log-parameter
 * space (fit_minimize), with this analytic gradient.  Cells are sorted by
 * (x, t_x, t), so J(t_x) and the terms that depend only on x are computed
 * once for a run of cells that share them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "fit.h"

#define PNBD_R			0
#define PNBD_ALPHA		1
#define PNBD_S			2
#define PNBD_BETA		3
#define PNBD_NPARAMS	4

/*
 * Most terms of one series.  The terms of F fall by a factor
 * z (b + k) / (c + k) each, so a series needs about 40 to 60 / (1 - z)
 * terms, many fewer when c is large against b (a heavy buyer with alpha <
 * beta); 1 - z = (m + u) / (M + u) is small only when alpha and beta differ
 * by a large factor.  A series sums up to 4,000,000 terms (some
 * milliseconds); beyond, a prediction fails and the fit treats the point
 * as one it must not take.  A purchase probability sums an incomplete beta
 * function per term, and its terms fall by z at best: up to 100,000.
 */
#define PNBD_MAX_TERMS		4000000
#define PNBD_PROB_MAX_TERMS	100000

/* J(u) by quadrature when 1 / (1 - z) exceeds this (pnbd_log_tail_quad) */
#define PNBD_QUAD_FROM		100.0

/* Iterations of the optimizer. */
#define PNBD_MAX_ITERATIONS	500

static const char *const pnbd_param_names[PNBD_NPARAMS] = {"r", "alpha", "s", "beta"};

/* log J(u) and its gradient with respect to (r, alpha, s, beta) */
typedef struct PnbdTail
{
	double		logj;
	double		grad[PNBD_NPARAMS];
	int			terms;			/* terms summed */
} PnbdTail;

/* What depends only on x: log Gamma(r + x) - log Gamma(r), psi(r + x) - psi(r) */
typedef struct PnbdXTerms
{
	double		lgamma_ratio;
	double		digamma_ratio;
} PnbdXTerms;

/*
 * The fit's cells, passed through fit_minimize to the objective.  One
 * evaluation may sum at most "budget" series terms (about 15 per series
 * near the CDNOW optimum): a point far out, where every cell needs
 * thousands, is refused instead of taking minutes.
 */
typedef struct PnbdFit
{
	const FitCells *cells;
	double		budget;
} PnbdFit;


/* ----------------------------------------------------------------
 *		The likelihood
 * ----------------------------------------------------------------
 */

/*
 * J(u) by quadrature, where the series of F would need many terms (z near
 * 1: alpha and beta differ by a large factor, as at the far points a fit's
 * line search tries; 30 customers took 6-16 s of series of millions of
 * terms).  With w = v - u = exp(pi/2 sinh t) (the exp-sinh rule),
 * A = alpha + u, B = beta + u, p = r + x, q = s + 1:
 *
 *	J(u) = A^-p B^-q int g(t) dt,
 *	g(t) = pi/2 cosh(t) w (1 + w / A)^-p (1 + w / B)^-q,
 *
 * and g decays doubly exponentially at both ends (like w at the left, like
 * w^-(p+q-1) at the right, p + q > 1).  g is analytic in the strip
 * |Im t| < pi/2 less what the poles of (1 + w/A)^-p at w = -A cut off, so
 * the trapezoidal rule converges exponentially in 1/h: the step is halved
 * from 1/2 until two levels agree to 1e-14 (the value; the sum of some
 * thousand nodes rounds to about 1e-15) and 1e-13 (the gradient).  The gradient of log J is that of the powers plus weighted
 * means over g: d/dr = -log A - <log(1 + w/A)>, d/ds = -log B -
 * <log(1 + w/B)>, d/dalpha = -p / A <1 / (1 + w/A)>, d/dbeta = -q / B
 * <1 / (1 + w/B)>.  Everything is in logs: w and the powers never
 * overflow, and g is taken relative to its peak.  out->terms counts the
 * nodes.
 */
#define PNBD_QUAD_LEVELS 10

static inline double
pnbd_log1p_ratio(double lw, double lA)
{
	/* log(1 + e^(lw - lA)) without overflow */
	return lw > lA ? (lw - lA) + log1p(exp(lA - lw)) : log1p(exp(lw - lA));
}

static bool
pnbd_log_tail_quad(const double *par, double x, double u, PnbdTail *out)
{
	double		r = par[PNBD_R],
				alpha = par[PNBD_ALPHA],
				s = par[PNBD_S],
				beta = par[PNBD_BETA];
	double		p = r + x,
				q = s + 1.0,
				A = alpha + u,
				B = beta + u,
				lA = log(A),
				lB = log(B);
	double		sum[5] = {0, 0, 0, 0, 0},	/* g, g log(1+w/A), g log(1+w/B),
											 * g / (1+w/A), g / (1+w/B) */
				last[5] = {0, 0, 0, 0, 0};
	double		h = 0.5,
				tpeak = 0,
				lpeak = -INFINITY;
	int			nodes = 0,
				level,
				k;

	/*
	 * Where g peaks, on a grid of step 1/8: the sums stop only past it (the
	 * nodes before a narrow peak far from 0 are negligible too).
	 */
	for (k = -56; k <= 56; k++)
	{
		double		t = k / 8.0,
					lw = M_PI_2 * sinh(t),
					lg = log(M_PI_2 * cosh(t)) + lw - p * pnbd_log1p_ratio(lw, lA) -
			q * pnbd_log1p_ratio(lw, lB);

		if (lg > lpeak)
		{
			lpeak = lg;
			tpeak = t;
		}
	}
	nodes += 113;

	for (level = 0; level <= PNBD_QUAD_LEVELS; level++)
	{
		int			side;
		bool		done = true;

		for (side = -1; side <= 1; side += 2)
		{
			int64		i;
			int			small = 0;

			for (i = (level == 0 ? (side < 0 ? 0 : 1) : 0);; i++)
			{
				double		t = side * (level == 0 ? i * h : (2 * i + 1) * h),
							lw = M_PI_2 * sinh(t),
							la,
							lb,
							g;

				if (!isfinite(lw))
					break;
				la = pnbd_log1p_ratio(lw, lA);
				lb = pnbd_log1p_ratio(lw, lB);
				g = exp(log(M_PI_2 * cosh(t)) + lw - p * la - q * lb - lpeak);
				sum[0] += g;
				sum[1] += g * la;
				sum[2] += g * lb;
				sum[3] += g * exp(-la);
				sum[4] += g * exp(-lb);
				nodes++;
				if (g <= 1e-20 * sum[0] && (t - tpeak) * side > 0.5)
				{
					if (++small >= 3)
						break;
				}
				else
					small = 0;
			}
		}
		if (level > 0)
		{
			/* sums at step h against the last level's (step 2h) */
			for (k = 0; k < 5; k++)
			{
				double		now = sum[k] * h,
							before = last[k] * 2 * h;

				if (fabs(now - before) > (k == 0 ? 1e-14 : 1e-13) * fabs(now))
					done = false;
			}
			if (done)
				break;
		}
		memcpy(last, sum, sizeof(sum));
		h /= 2;
		CHECK_FOR_INTERRUPTS();
	}
	if (level > PNBD_QUAD_LEVELS || !(sum[0] > 0) || !isfinite(sum[0]))
		return false;
	out->terms = nodes;
	out->logj = -p * lA - q * lB + lpeak + log(sum[0] * h);
	out->grad[PNBD_R] = -lA - sum[1] / sum[0];
	out->grad[PNBD_S] = -lB - sum[2] / sum[0];
	out->grad[PNBD_ALPHA] = -p / A * sum[3] / sum[0];
	out->grad[PNBD_BETA] = -q / B * sum[4] / sum[0];
	return true;
}

/*
 * log J(u) and its gradient for a customer with x repeat purchases; false
 * when the series would need more than max_terms terms.
 */
static bool
pnbd_log_tail(const double *p, double x, double u, int max_terms, PnbdTail *out)
{
	double		r = p[PNBD_R],
				alpha = p[PNBD_ALPHA],
				s = p[PNBD_S],
				beta = p[PNBD_BETA];
	double		a = r + s + x;
	double		c = a + 1.0;
	double		A = alpha + u;
	double		B = beta + u;
	bool		alpha_max = alpha >= beta;
	double		b = alpha_max ? r + x : s + 1.0;
	double		z = alpha_max ? (alpha - beta) / A : (beta - alpha) / B;
	double		tail = 1.0 / (1.0 - z);
	double		term = 1.0,		/* (b)_k / (c)_k z^k */
				sum = 1.0,		/* F */
				sum_b = 0.0,	/* dF/db */
				sum_c = 0.0,	/* -dF/dc */
				sum_z = 0.0,	/* dF/dz */
				hb = 0.0,		/* sum_{j<k} 1 / (b + j) */
				hc = 0.0;		/* sum_{j<k} 1 / (c + j) */
	double		dz_dalpha,
				dz_dbeta,
				dlogf_db,
				dlogf_dc,
				dlogf_dz;
	int			k;

	/* the series would need more than some 4,000 terms: the quadrature */
	if (tail > PNBD_QUAD_FROM)
		return pnbd_log_tail_quad(p, x, u, out);

	for (k = 0;; k++)
	{
		/* (b)_{k+1} / (c)_{k+1} z^k: term k + 1 of dF/dz, over k + 1 */
		double		g = term * (b + k) / (c + k);

		sum_z += (k + 1) * g;
		term = g * z;
		hb += 1.0 / (b + k);
		hc += 1.0 / (c + k);
		sum += term;
		sum_b += term * hb;
		sum_c += term * hc;

		/*
		 * Later terms shrink by a factor below z each, so what is left of
		 * F is below term * tail; of dF/dz below term * tail * (k + 2 +
		 * tail); of the harmonic-weighted sums below term * tail * (h +
		 * tail / (b + k)) (h grows by at most 1 / (b + k) a term).
		 */
		if (term * tail <= 1e-16 * sum &&
			term * tail * (k + 2 + tail) <= 1e-16 * sum_z &&
			term * tail * (hb + tail / (b + k)) <= 1e-16 * sum_b &&
			term * tail * (hc + tail / (c + k)) <= 1e-16 * sum_c)
			break;
		if (k >= max_terms)
			return false;
		if ((k & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();
	}
	out->terms = k + 1;
	dlogf_db = sum_b / sum;
	dlogf_dc = -sum_c / sum;
	dlogf_dz = sum_z / sum;
	if (alpha_max)
	{
		dz_dalpha = B / (A * A);
		dz_dbeta = -1.0 / A;
	}
	else
	{
		dz_dalpha = -1.0 / B;
		dz_dbeta = A / (B * B);
	}

	out->logj = -(r + x) * log(A) - (s + 1.0) * log(B) +
		log(alpha_max ? B : A) - log(a) + log(sum);
	out->grad[PNBD_R] = -log(A) - 1.0 / a + (alpha_max ? dlogf_db : 0.0) + dlogf_dc;
	out->grad[PNBD_S] = -log(B) - 1.0 / a + (alpha_max ? 0.0 : dlogf_db) + dlogf_dc;
	out->grad[PNBD_ALPHA] = -(r + x) / A + (alpha_max ? 0.0 : 1.0 / A) +
		dlogf_dz * dz_dalpha;
	out->grad[PNBD_BETA] = -(s + 1.0) / B + (alpha_max ? 1.0 / B : 0.0) +
		dlogf_dz * dz_dbeta;
	return true;
}

static void
pnbd_x_terms(const double *p, double x, PnbdXTerms *xt)
{
	double		r = p[PNBD_R];

	if (x == 0.0)
	{
		xt->lgamma_ratio = 0.0;
		xt->digamma_ratio = 0.0;
	}
	else
	{
		xt->lgamma_ratio = lgamma(r + x) - lgamma(r);
		xt->digamma_ratio = fit_digamma(r + x) - fit_digamma(r);
	}
}

/*
 * The log of the bracket of L,
 *
 *	(alpha + t)^-(r + x) (beta + t)^-s + s (J(t_x) - J(t)),
 *
 * its gradient, and the first term's share of it, P(alive at t).  tail_tx
 * is J(t_x) for this x.  The larger of the two logs is factored out, so a
 * heavy buyer's powers (10^-10000) never leave log space.  False when a
 * series does not converge.
 */
static bool
pnbd_log_bracket(const double *p, double x, double tx, double t,
				 const PnbdTail *tail_tx, int max_terms, double *logbr,
				 double *grad, double *alive, int *terms)
{
	double		r = p[PNBD_R],
				alpha = p[PNBD_ALPHA],
				s = p[PNBD_S],
				beta = p[PNBD_BETA];
	double		le = -(r + x) * log(alpha + t) - s * log(beta + t);
	double		ge[PNBD_NPARAMS];
	double		m,
				e,
				j1,
				j2,
				j12,
				d;
	PnbdTail	tail_t;
	int			i;

	ge[PNBD_R] = -log(alpha + t);
	ge[PNBD_ALPHA] = -(r + x) / (alpha + t);
	ge[PNBD_S] = -log(beta + t);
	ge[PNBD_BETA] = -s / (beta + t);

	if (t <= tx)
	{
		/* bought on the last day: alive for sure */
		*logbr = le;
		memcpy(grad, ge, sizeof(ge));
		*alive = 1.0;
		*terms = 0;
		return true;
	}
	if (!pnbd_log_tail(p, x, t, max_terms, &tail_t))
		return false;
	*terms = tail_t.terms;

	/* s J(t_x) - s J(t) = s J(t_x) (1 - J(t) / J(t_x)), 0 < J(t) < J(t_x) */
	m = Max(le, log(s) + tail_tx->logj);
	e = exp(le - m);
	j1 = exp(log(s) + tail_tx->logj - m);
	j2 = j1 * exp(tail_t.logj - tail_tx->logj);
	j12 = j1 * -expm1(tail_t.logj - tail_tx->logj);
	d = e + j12;
	*logbr = m + log(d);
	*alive = e / d;
	for (i = 0; i < PNBD_NPARAMS; i++)
		grad[i] = (e * ge[i] + j1 * tail_tx->grad[i] - j2 * tail_t.grad[i]) / d;
	grad[PNBD_S] += j12 / (s * d);
	return true;
}

/*
 * log L of one customer and its gradient; false: a series did not converge.
 * *terms: the series terms summed.
 */
static bool
pnbd_log_likelihood(const double *p, const PnbdXTerms *xt, double x, double tx,
					double t, const PnbdTail *tail_tx, double *logl, double *grad,
					int *terms)
{
	double		r = p[PNBD_R],
				alpha = p[PNBD_ALPHA],
				s = p[PNBD_S],
				beta = p[PNBD_BETA];
	double		logbr,
				alive;

	if (!pnbd_log_bracket(p, x, tx, t, tail_tx, PNBD_MAX_TERMS,
						  &logbr, grad, &alive, terms))
		return false;
	*logl = xt->lgamma_ratio + r * log(alpha) + s * log(beta) + logbr;
	grad[PNBD_R] += xt->digamma_ratio + log(alpha);
	grad[PNBD_ALPHA] += r / alpha;
	grad[PNBD_S] += log(beta);
	grad[PNBD_BETA] += s / beta;
	return true;
}

/*
 * The objective of fit_minimize: minus the log-likelihood of every cell,
 * and its gradient with respect to theta = log(parameters).  NaN (a point
 * the optimizer must not take) when a series does not converge.
 */
static double
pnbd_objective(const double *theta, double *grad, void *arg)
{
	PnbdFit    *fit = (PnbdFit *) arg;
	const FitCells *cells = fit->cells;
	double		p[PNBD_NPARAMS];
	double		f = 0.0;
	PnbdXTerms	xt = {0, 0};
	PnbdTail	tail_tx;
	double		budget = fit->budget;
	int64		i;
	int			j;

	for (j = 0; j < PNBD_NPARAMS; j++)
	{
		p[j] = exp(theta[j]);
		grad[j] = 0.0;
	}
	for (i = 0; i < cells->ncells; i++)
	{
		const FitCell *c = &cells->cells[i];
		double		logl,
					g[PNBD_NPARAMS];
		int			terms;

		if (i == 0 || c->k1 != c[-1].k1)
			pnbd_x_terms(p, c->k1, &xt);
		if (i == 0 || c->k1 != c[-1].k1 || c->k2 != c[-1].k2)
		{
			if (!pnbd_log_tail(p, c->k1, c->k2, PNBD_MAX_TERMS, &tail_tx))
				return get_float8_nan();
			budget -= tail_tx.terms;
		}
		if (!pnbd_log_likelihood(p, &xt, c->k1, c->k2, c->k3, &tail_tx,
								 &logl, g, &terms))
			return get_float8_nan();
		budget -= terms;
		if (budget < 0)
			return get_float8_nan();
		f -= c->w * logl;
		for (j = 0; j < PNBD_NPARAMS; j++)
			grad[j] -= c->w * g[j] * p[j];
		if ((i & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
	}
	return f;
}

/*
 * custseg.paretonbd_final(custseg.fit_state) -> custseg.paretonbd
 *
 * Starting point: r = s = 1 (exponentially spread rates), alpha from the
 * mean purchase rate (r / alpha = sum x / sum t) but within 1/100 to 100
 * mean observation times, beta the mean observation time (a mean lifetime
 * of about that); all within exp(+-FIT_THETA_EDGE).  NULL when no customer
 * was aggregated.
 */
PG_FUNCTION_INFO_V1(paretonbd_final);
Datum
paretonbd_final(PG_FUNCTION_ARGS)
{
	FitCells	cells;
	PnbdFit		fit;
	FitResult	result;
	double		theta[PNBD_NPARAMS],
				params[PNBD_NPARAMS];
	double		sum_x = 0.0,
				sum_t = 0.0,
				mean_t;
	int64		i;
	int			j;

	fit_state_cells(PG_GETARG_DATUM(0), FIT_KIND_XTT, &cells);
	if (cells.ncells == 0)
		PG_RETURN_NULL();

	for (i = 0; i < cells.ncells; i++)
	{
		sum_x += cells.cells[i].w * cells.cells[i].k1;
		sum_t += cells.cells[i].w * cells.cells[i].k3;
	}
	mean_t = sum_t / cells.customers;
	if (!(mean_t > 0))
		mean_t = 1.0;			/* every customer came today */
	theta[PNBD_R] = 0.0;
	theta[PNBD_ALPHA] = log(Min(Max(sum_t / Max(sum_x, 1.0), mean_t / 100), mean_t * 100));
	theta[PNBD_S] = 0.0;
	theta[PNBD_BETA] = log(mean_t);
	for (j = 0; j < PNBD_NPARAMS; j++)
		theta[j] = Max(Min(theta[j], FIT_THETA_EDGE), -FIT_THETA_EDGE);

	fit.cells = &cells;
	fit.budget = 2e6 + 200.0 * cells.ncells;
	fit_estimate(PNBD_NPARAMS, theta, pnbd_objective, &fit,
				 PNBD_MAX_ITERATIONS, &cells.settings, cells.customers, &result);

	/*
	 * Without a repeat purchase the likelihood has no maximum (r / alpha ->
	 * 0); fewer distinct histories than parameters cannot determine them.
	 */
	if (sum_x == 0 || cells.ncells < PNBD_NPARAMS)
		result.converged = false;
	for (j = 0; j < PNBD_NPARAMS; j++)
		params[j] = exp(theta[j]);
	PG_RETURN_DATUM(fit_model_datum(fcinfo, "Pareto/NBD", PNBD_NPARAMS, params,
									0.0 - result.value, cells.customers, &result,
									&cells.settings));
}


/* ----------------------------------------------------------------
 *		Predictions
 * ----------------------------------------------------------------
 */

/*
 * The parameters of the custseg.paretonbd argument argno; returns the
 * length of its unit in days.
 */
static double
pnbd_read(FunctionCallInfo fcinfo, int argno, double *p)
{
	return fit_model_unit_arg(fcinfo, argno, FIT_SLOT_MODEL, "custseg.paretonbd",
							  PNBD_NPARAMS, pnbd_param_names, p);
}

/* A series that did not converge, in a prediction. */
static void
pnbd_series_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("the Pareto/NBD series does not converge for these parameters"),
			 errdetail("alpha and beta differ by too large a factor."),
			 errhint("Use a model fitted by custseg.paretonbd_fit, or parameters of similar size.")));
}

/* P(alive) of a customer with history (x, t_x, t) */
static double
pnbd_alive(const double *p, double x, double tx, double t)
{
	PnbdTail	tail_tx;
	double		logbr,
				alive,
				grad[PNBD_NPARAMS];
	int			terms;

	if (t <= tx)
		return 1.0;
	if (!pnbd_log_tail(p, x, tx, PNBD_MAX_TERMS, &tail_tx) ||
		!pnbd_log_bracket(p, x, tx, t, &tail_tx, PNBD_MAX_TERMS,
						  &logbr, grad, &alive, &terms))
		pnbd_series_error();
	return alive;
}

/*
 * (1 - exp(-e L)) / e, and its limit L at e = 0: the integral of
 * exp(-e v) over (0, L).
 */
static double
pnbd_expm1_ratio(double e, double L)
{
	if (e == 0.0)
		return L;
	return -expm1(-e * L) / e;
}

/*
 * Expected purchases in (0, h] of a customer alive now who has bought x
 * times in t days: the posterior mean rate (r + x) / (alpha + t) times the
 * expected time alive in (0, h],
 *
 *	(beta + t) / (s - 1) (1 - ((beta + t) / (beta + t + h))^(s - 1)).
 *
 * For a new customer x = t = 0.
 */
static double
pnbd_expected_alive(const double *p, double x, double t, double h)
{
	double		r = p[PNBD_R],
				alpha = p[PNBD_ALPHA],
				s = p[PNBD_S],
				beta = p[PNBD_BETA];

	return (r + x) / (alpha + t) * (beta + t) *
		pnbd_expm1_ratio(s - 1.0, log1p(h / (beta + t)));
}

/* A customer's history and model, for the conditional expectation. */
typedef struct PnbdCustomer
{
	double		p[PNBD_NPARAMS];
	double		x;
	double		t;
	double		alive;
} PnbdCustomer;

/* E[X(h) | history], the FitExpected of the customer. */
static double
pnbd_expected_cond(double h, void *arg)
{
	PnbdCustomer *c = (PnbdCustomer *) arg;

	return c->alive * pnbd_expected_alive(c->p, c->x, c->t, h);
}

/* The customer of argument argno on, of kind ck; false for a NULL field. */
static bool
pnbd_customer(FunctionCallInfo fcinfo, int argno, FitCustomerKind ck,
			  double unit_days, PnbdCustomer *c, FitCustomer *fc, int *next)
{
	if (!fit_customer_arg(fcinfo, argno, ck, unit_days, fc, next))
		return false;
	c->x = (double) fc->x;
	c->t = fc->t;
	c->alive = pnbd_alive(c->p, c->x, fc->t_x, fc->t);
	return true;
}

/* custseg.expected_purchases(paretonbd, horizon, customer) */
static Datum
pnbd_expected_purchases_impl(FunctionCallInfo fcinfo, FitCustomerKind ck,
							 FitHorizonKind hk)
{
	PnbdCustomer c;
	FitCustomer fc;
	double		h,
				unit_days;
	int			next;

	unit_days = pnbd_read(fcinfo, 0, c.p);
	h = fit_horizon_arg(fcinfo, 1, hk, unit_days);
	if (!pnbd_customer(fcinfo, 2, ck, unit_days, &c, &fc, &next))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(fit_check_result(pnbd_expected_cond(h, &c),
									   "the expected number of purchases"));
}

/*
 * custseg.expected_purchases(paretonbd, horizon): a new customer,
 * r beta / (alpha (s - 1)) (1 - (beta / (beta + h))^(s - 1)).
 */
static Datum
pnbd_expected_purchases_new_impl(FunctionCallInfo fcinfo, FitHorizonKind hk)
{
	double		p[PNBD_NPARAMS];
	double		h;

	h = fit_horizon_arg(fcinfo, 1, hk, pnbd_read(fcinfo, 0, p));
	PG_RETURN_FLOAT8(fit_check_result(pnbd_expected_alive(p, 0.0, 0.0, h),
									   "the expected number of purchases"));
}

/* custseg.p_alive(paretonbd, customer) */
static Datum
pnbd_p_alive_impl(FunctionCallInfo fcinfo, FitCustomerKind ck)
{
	PnbdCustomer c;
	FitCustomer fc;
	int			next;
	double		unit_days = pnbd_read(fcinfo, 0, c.p);

	if (!pnbd_customer(fcinfo, 1, ck, unit_days, &c, &fc, &next))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(fit_check_result(c.alive, "the probability of being alive"));
}

/*
 * custseg.log_likelihood(paretonbd, x, t_x, t): log L of one customer,
 * the term of the fit's objective.
 */
PG_FUNCTION_INFO_V1(paretonbd_log_likelihood);
Datum
paretonbd_log_likelihood(PG_FUNCTION_ARGS)
{
	double		p[PNBD_NPARAMS],
				g[PNBD_NPARAMS],
				logl;
	PnbdXTerms	xt;
	PnbdTail	tail_tx;
	FitCustomer fc;
	int			next,
				terms;

	pnbd_read(fcinfo, 0, p);
	fit_customer_arg(fcinfo, 1, FIT_CUSTOMER_BIGINT, 1.0, &fc, &next);
	pnbd_x_terms(p, (double) fc.x, &xt);
	if (!pnbd_log_tail(p, (double) fc.x, fc.t_x, PNBD_MAX_TERMS, &tail_tx) ||
		!pnbd_log_likelihood(p, &xt, (double) fc.x, fc.t_x, fc.t, &tail_tx,
							 &logl, g, &terms))
		pnbd_series_error();
	PG_RETURN_FLOAT8(fit_check_result(logl, "the log-likelihood"));
}

/* custseg.model_summary(paretonbd) */
static const int pnbd_time_powers[PNBD_NPARAMS] = {0, 1, 0, 1};

PG_FUNCTION_INFO_V1(paretonbd_model_summary);
Datum
paretonbd_model_summary(PG_FUNCTION_ARGS)
{
	fit_model_summary(fcinfo, "custseg.paretonbd", "Pareto/NBD", PNBD_NPARAMS,
					  pnbd_param_names, pnbd_time_powers);
	return (Datum) 0;
}


/* ----------------------------------------------------------------
 *		P(X(h) = n) of a new customer
 * ----------------------------------------------------------------
 *
 * Given lambda and mu, n purchases in (0, h] happen either with the
 * customer alive at h or dead at some v in (0, h]:
 *
 *	P(n | lambda, mu) = e^(-mu h) Pois(n; lambda h)
 *					  + integral_0^h mu e^(-mu v) Pois(n; lambda v) dv
 *
 * Averaged over lambda and mu, with NB(n; v) = Gamma(r + n) / (Gamma(r) n!)
 * (alpha / (alpha + v))^r (v / (alpha + v))^n,
 *
 *	P(n) = NB(n; h) (beta / (beta + h))^s
 *		 + s beta^s integral_0^h NB(n; v) (beta + v)^-(s + 1) dv.
 *
 * With y = v / (alpha + v) the integral is a series of incomplete beta
 * functions B_Y(a, b) = integral_0^Y y^(a-1) (1 - y)^(b-1) dy, Y = h / (alpha + h),
 * all of whose terms are positive:
 *
 *	alpha >= beta, z = 1 - beta / alpha:
 *		s beta^s alpha^r I = s (beta / alpha)^s sum_k (s + 1)_k / k! z^k B_Y(n + 1, r + s + k)
 *	alpha < beta, z = 1 - alpha / beta:
 *		s beta^s alpha^r I = s (alpha / beta) sum_k (s + 1)_k / k! z^k B_Y(n + 1 + k, r + s)
 *
 * (from expanding (beta + v)^-(s + 1) in powers of (1 - y) and of y).
 */

/* log B_y(a, b), 0 < y < 1 */
static double
pnbd_log_incbeta(double a, double b, double y)
{
	double		lfront = a * log(y) + b * log1p(-y);

	if (y < (a + 1.0) / (a + b + 2.0))
		return lfront - log(a) + log(custseg_beta_cf(a, b, y));
	else
	{
		/* B(a, b) - B_{1-y}(b, a), the subtracted part below half of B */
		double		lbeta = lgamma(a) + lgamma(b) - lgamma(a + b);
		double		rest = exp(lfront - log(b) - lbeta) * custseg_beta_cf(b, a, 1.0 - y);

		return lbeta + log1p(-rest);
	}
}

static double
pnbd_purchase_probability(const double *p, int64 n, double h)
{
	double		r = p[PNBD_R],
				alpha = p[PNBD_ALPHA],
				s = p[PNBD_S],
				beta = p[PNBD_BETA];
	double		nn = (double) n;
	double		y = h / (alpha + h);
	double		lcoef,
				lalive,
				ldead0,
				z,
				coef = 1.0,
				sum = 0.0,
				lfactor;
	bool		alpha_max = alpha >= beta;
	int			k;

	if (h == 0.0)
		return n == 0 ? 1.0 : 0.0;

	lcoef = lgamma(r + nn) - lgamma(r) - lgamma(nn + 1.0);
	/* alive at h: NB(n; h) (beta / (beta + h))^s */
	lalive = r * log(alpha / (alpha + h)) + nn * log(h / (alpha + h)) -
		s * log1p(h / beta);

	z = alpha_max ? 1.0 - beta / alpha : 1.0 - alpha / beta;
	lfactor = log(s) + (alpha_max ? s * log(beta / alpha) : log(alpha / beta));
	ldead0 = pnbd_log_incbeta(nn + 1.0, r + s, y);
	if (40.0 / (1.0 - z) > PNBD_PROB_MAX_TERMS)
		pnbd_series_error();

	/* sum_k (s + 1)_k / k! z^k B_k / B_0; B_k falls with k, coef peaks near k = s z / (1 - z) */
	for (k = 0;; k++)
	{
		double		lb,
					term;

		if (k == 0)
			lb = ldead0;
		else
		{
			coef *= (s + k) / k * z;
			lb = alpha_max ? pnbd_log_incbeta(nn + 1.0, r + s + k, y) :
				pnbd_log_incbeta(nn + 1.0 + k, r + s, y);
		}
		term = coef * exp(lb - ldead0);
		sum += term;
		if (z == 0.0 ||
			(k > (s + 1.0) * z / (1.0 - z) && term * (1.0 + 1.0 / (1.0 - z)) <= 1e-17 * sum))
			break;
		if (k >= PNBD_PROB_MAX_TERMS)
			pnbd_series_error();
		if ((k & 255) == 255)
			CHECK_FOR_INTERRUPTS();
	}

	/* P = exp(lcoef) (exp(lalive) + exp(lfactor + ldead0) sum) */
	{
		double		ldead = lfactor + ldead0 + log(sum);
		double		m = Max(lalive, ldead);

		return exp(lcoef + m + log(exp(lalive - m) + exp(ldead - m)));
	}
}

/* custseg.purchase_probability(paretonbd, n, horizon) */
static Datum
pnbd_purchase_probability_impl(FunctionCallInfo fcinfo, FitHorizonKind hk)
{
	double		p[PNBD_NPARAMS];
	int64		n;
	double		h;

	h = pnbd_read(fcinfo, 0, p);
	n = PG_GETARG_INT64(1);
	h = fit_horizon_arg(fcinfo, 2, hk, h);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must not be negative"),
				 errhint("n is a number of purchases.")));
	/* a NaN would pass the clamp: Min and Max keep it */
	PG_RETURN_FLOAT8(Max(0.0, Min(1.0, fit_check_result(pnbd_purchase_probability(p, n, h),
														"the purchase probability"))));
}


/* ----------------------------------------------------------------
 *		CLV
 * ----------------------------------------------------------------
 */

/*
 * custseg.clv(paretonbd, gammagamma, customer [, mean_spend], horizon,
 *			   annual_discount_rate [, margin])
 * = margin * expected spend per purchase * discounted expected purchases.
 */
static Datum
pnbd_clv_impl(FunctionCallInfo fcinfo, FitCustomerKind ck, FitHorizonKind hk)
{
	PnbdCustomer c;
	FitCustomer fc;
	FitClvArgs	args;
	double		de,
				unit_days;
	int			next;

	unit_days = pnbd_read(fcinfo, 0, c.p);
	if (!pnbd_customer(fcinfo, 2, ck, unit_days, &c, &fc, &next))
		PG_RETURN_NULL();
	fit_clv_args(fcinfo, next, ck, hk, unit_days, &fc, &args);
	/* E(h) is analytic in h but for h <= -(beta + t) */
	de = fit_discounted_purchases_scaled(pnbd_expected_cond, &c, args.horizon,
										 args.rate, c.p[PNBD_BETA] + c.t,
										 unit_days);
	PG_RETURN_FLOAT8(fit_check_result(args.margin * args.spend * de, "the CLV"));
}

/* One SQL-callable function per SQL signature (0.1.0's: shared by two). */
#define PNBD_ENTRY(name, impl, ...) \
PG_FUNCTION_INFO_V1(paretonbd_##name); \
Datum \
paretonbd_##name(PG_FUNCTION_ARGS) \
{ \
	return impl(fcinfo, __VA_ARGS__); \
}

PNBD_ENTRY(expected_purchases, pnbd_expected_purchases_impl,
		   FIT_CUSTOMER_BIGINT, FIT_HORIZON_GUESS)
PNBD_ENTRY(expected_purchases_new, pnbd_expected_purchases_new_impl,
		   FIT_HORIZON_GUESS)
PNBD_ENTRY(purchase_probability, pnbd_purchase_probability_impl,
		   FIT_HORIZON_GUESS)
PNBD_ENTRY(clv, pnbd_clv_impl, FIT_CUSTOMER_BIGINT, FIT_HORIZON_GUESS)
PNBD_ENTRY(p_alive, pnbd_p_alive_impl, FIT_CUSTOMER_BIGINT)

PNBD_ENTRY(expected_purchases_number, pnbd_expected_purchases_impl,
		   FIT_CUSTOMER_BIGINT, FIT_HORIZON_NUMBER)
PNBD_ENTRY(expected_purchases_interval, pnbd_expected_purchases_impl,
		   FIT_CUSTOMER_BIGINT, FIT_HORIZON_INTERVAL)
PNBD_ENTRY(expected_purchases_xf_number, pnbd_expected_purchases_impl,
		   FIT_CUSTOMER_FLOAT8, FIT_HORIZON_NUMBER)
PNBD_ENTRY(expected_purchases_xf_interval, pnbd_expected_purchases_impl,
		   FIT_CUSTOMER_FLOAT8, FIT_HORIZON_INTERVAL)
PNBD_ENTRY(expected_purchases_summary_number, pnbd_expected_purchases_impl,
		   FIT_CUSTOMER_SUMMARY, FIT_HORIZON_NUMBER)
PNBD_ENTRY(expected_purchases_summary_interval, pnbd_expected_purchases_impl,
		   FIT_CUSTOMER_SUMMARY, FIT_HORIZON_INTERVAL)
PNBD_ENTRY(expected_purchases_new_number, pnbd_expected_purchases_new_impl,
		   FIT_HORIZON_NUMBER)
PNBD_ENTRY(expected_purchases_new_interval, pnbd_expected_purchases_new_impl,
		   FIT_HORIZON_INTERVAL)
PNBD_ENTRY(purchase_probability_number, pnbd_purchase_probability_impl,
		   FIT_HORIZON_NUMBER)
PNBD_ENTRY(purchase_probability_interval, pnbd_purchase_probability_impl,
		   FIT_HORIZON_INTERVAL)
PNBD_ENTRY(clv_number, pnbd_clv_impl, FIT_CUSTOMER_BIGINT, FIT_HORIZON_NUMBER)
PNBD_ENTRY(clv_interval, pnbd_clv_impl, FIT_CUSTOMER_BIGINT, FIT_HORIZON_INTERVAL)
PNBD_ENTRY(clv_xf_number, pnbd_clv_impl, FIT_CUSTOMER_FLOAT8, FIT_HORIZON_NUMBER)
PNBD_ENTRY(clv_xf_interval, pnbd_clv_impl, FIT_CUSTOMER_FLOAT8, FIT_HORIZON_INTERVAL)
PNBD_ENTRY(clv_summary_number, pnbd_clv_impl, FIT_CUSTOMER_SUMMARY, FIT_HORIZON_NUMBER)
PNBD_ENTRY(clv_summary_interval, pnbd_clv_impl, FIT_CUSTOMER_SUMMARY, FIT_HORIZON_INTERVAL)
PNBD_ENTRY(p_alive_xf, pnbd_p_alive_impl, FIT_CUSTOMER_FLOAT8)
PNBD_ENTRY(p_alive_summary, pnbd_p_alive_impl, FIT_CUSTOMER_SUMMARY)

/* custseg.parameter_draws(paretonbd, draws, seed) */
PG_FUNCTION_INFO_V1(paretonbd_parameter_draws);
Datum
paretonbd_parameter_draws(PG_FUNCTION_ARGS)
{
	fit_parameter_draws(fcinfo, "custseg.paretonbd", "Pareto/NBD", PNBD_NPARAMS, pnbd_param_names, true);
	return (Datum) 0;
}
