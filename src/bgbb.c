/*-------------------------------------------------------------------------
 *
 * bgbb.c
 *	  The beta-geometric/beta-Bernoulli (BG/BB) model of repeat purchases
 *	  at discrete opportunities (Fader, Hardie & Shang 2010): its fit
 *	  aggregate and predictions.
 *
 * Purchases can happen only at discrete opportunities 1, 2, ... (a yearly
 * campaign, a weekly issue).  While alive, a customer buys at each
 * opportunity with probability p; at the start of each opportunity a live
 * customer dies with probability theta.  Across customers
 * p ~ Beta(alpha, beta) and theta ~ Beta(gamma, delta).
 *
 * A customer's history over n opportunities is x purchases, the last at
 * opportunity t_x (t_x = 0 when x = 0).  With B the beta function,
 *
 *	L = B(alpha + x, beta + n - x) / B(alpha, beta)
 *		* B(gamma, delta + n) / B(gamma, delta)				alive at n
 *	  + sum_{i=0}^{n-t_x-1} B(alpha + x, beta + t_x - x + i) / B(alpha, beta)
 *		* B(gamma + 1, delta + t_x + i) / B(gamma, delta)	died after t_x + i
 *
 * The terms of the sum shrink by the factor
 * (beta + t_x - x + i) / (alpha + beta + t_x + i)
 * * (delta + t_x + i) / (gamma + delta + t_x + i + 1), so the sum is the
 * first term times a sum of products of those ratios; the digamma values
 * of the gradient follow by psi(a + 1) = psi(a) + 1 / a.  A cell costs a
 * handful of lgamma and digamma calls and a loop of n - t_x steps.
 *
 * Predictions (n* = the number of future opportunities, the horizon):
 *	- expected purchases of a new customer in n* opportunities:
 *	  alpha / (alpha + beta) * S(gamma, delta, n*);
 *	- expected purchases in the n* opportunities after n, given x, t_x, n:
 *	  B(alpha + x + 1, beta + n - x) / B(alpha, beta)
 *	  * B(gamma, delta + n) / B(gamma, delta) * S(gamma, delta + n, n*) / L;
 *	- p_alive: the probability of being alive at opportunity n + 1,
 *	  B(alpha + x, beta + n - x) / B(alpha, beta)
 *	  * B(gamma, delta + n + 1) / B(gamma, delta) / L;
 *	- P(X(n) = k) for a new customer.
 * where S(gamma, d, m) = sum_{t=1}^m B(gamma, d + t) / B(gamma, d), the
 * expected number of the next m opportunities a customer alive now lives
 * through.
 *
 *-------------------------------------------------------------------------
 */
#include "fit.h"

#include "miscadmin.h"

#define BGBB_NPARAMS 4
#define BGBB_MAX_ITERATIONS 500

/* S(gamma, d, m) is summed term by term up to this m, in closed form beyond. */
#define BGBB_SUM_TERMS 1000

static const char *const bgbb_param_names[BGBB_NPARAMS] = {"alpha", "beta", "gamma", "delta"};

static double
bgbb_lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/*
 * The log-likelihood of one customer with history (x, t_x, n) under
 * params = (alpha, beta, gamma, delta), without the common term
 * -log B(alpha, beta) - log B(gamma, delta).  When grad is not NULL, adds
 * weight times the derivatives of the whole log-likelihood (common term
 * excluded) with respect to the four parameters.
 */
static double
bgbb_cell_loglik(const double *params, double x, double t_x, double n,
				 double weight, double *grad)
{
	double		alpha = params[0],
				beta = params[1],
				gamma = params[2],
				delta = params[3];
	double		alive;			/* log of the "alive at n" term */
	double		died = 0.0;		/* log of the first term of the sum */
	double		sum = 0.0;		/* the sum, relative to its first term */
	double		dsum[BGBB_NPARAMS] = {0.0, 0.0, 0.0, 0.0};
	double		loglik,
				share_alive;
	int64		terms = (int64) (n - t_x);
	int64		i;
	int			k;

	alive = bgbb_lbeta(alpha + x, beta + n - x) + bgbb_lbeta(gamma, delta + n);
	if (terms > 0)
	{
		double		b = beta + t_x - x;
		double		ab = alpha + beta + t_x;
		double		d = delta + t_x;
		double		gd = gamma + delta + t_x + 1.0;
		double		digamma_b = 0.0,
					digamma_ab = 0.0,
					digamma_d = 0.0,
					digamma_gd = 0.0;
		double		term = 1.0;
		double		digamma_ax = 0.0,
					digamma_g1 = 0.0;

		died = bgbb_lbeta(alpha + x, b) + bgbb_lbeta(gamma + 1.0, d);
		if (grad)
		{
			digamma_ax = fit_digamma(alpha + x);
			digamma_g1 = fit_digamma(gamma + 1.0);
			digamma_b = fit_digamma(b);
			digamma_ab = fit_digamma(ab);
			digamma_d = fit_digamma(d);
			digamma_gd = fit_digamma(gd);
		}
		for (i = 0; i < terms; i++)
		{
			if ((i & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
			sum += term;
			if (grad)
			{
				dsum[0] += term * (digamma_ax - digamma_ab);
				dsum[1] += term * (digamma_b - digamma_ab);
				dsum[2] += term * (digamma_g1 - digamma_gd);
				dsum[3] += term * (digamma_d - digamma_gd);
				digamma_b += 1.0 / b;
				digamma_ab += 1.0 / ab;
				digamma_d += 1.0 / d;
				digamma_gd += 1.0 / gd;
			}
			term *= (b / ab) * (d / gd);
			b += 1.0;
			ab += 1.0;
			d += 1.0;
			gd += 1.0;
		}
		died += log(sum);
	}

	/* log(exp(alive) + exp(died)), and the share of the first term */
	if (terms <= 0)
	{
		loglik = alive;
		share_alive = 1.0;
	}
	else if (alive >= died)
	{
		double		e = exp(died - alive);

		loglik = alive + log1p(e);
		share_alive = 1.0 / (1.0 + e);
	}
	else
	{
		double		e = exp(alive - died);

		loglik = died + log1p(e);
		share_alive = e / (1.0 + e);
	}

	if (grad)
	{
		double		digamma_abn = fit_digamma(alpha + beta + n);
		double		digamma_gdn = fit_digamma(gamma + delta + n);
		double		dalive[BGBB_NPARAMS];

		dalive[0] = fit_digamma(alpha + x) - digamma_abn;
		dalive[1] = fit_digamma(beta + n - x) - digamma_abn;
		dalive[2] = fit_digamma(gamma) - digamma_gdn;
		dalive[3] = fit_digamma(delta + n) - digamma_gdn;
		for (k = 0; k < BGBB_NPARAMS; k++)
			grad[k] += weight * (share_alive * dalive[k]
								 + (terms > 0 ? (1.0 - share_alive) * dsum[k] / sum : 0.0));
	}
	return loglik;
}

/* log B(alpha, beta) + log B(gamma, delta): the common term, negated. */
static double
bgbb_log_norm(const double *params)
{
	return bgbb_lbeta(params[0], params[1]) + bgbb_lbeta(params[2], params[3]);
}

/* The negative log-likelihood at theta = log(params) and its gradient. */
static double
bgbb_objective(const double *theta, double *grad, void *arg)
{
	const FitCells *cells = (const FitCells *) arg;
	double		params[BGBB_NPARAMS];
	double		dparams[BGBB_NPARAMS] = {0.0, 0.0, 0.0, 0.0};
	double		ll = 0.0;
	double		psi_ab,
				psi_gd;
	int64		c;
	int			k;

	for (k = 0; k < BGBB_NPARAMS; k++)
		params[k] = exp(theta[k]);
	for (c = 0; c < cells->ncells; c++)
	{
		const FitCell *cell = &cells->cells[c];

		CHECK_FOR_INTERRUPTS();
		ll += cell->w * bgbb_cell_loglik(params, cell->k1, cell->k2, cell->k3,
										 cell->w, dparams);
	}

	/* the common term -log B(alpha, beta) - log B(gamma, delta) */
	ll -= cells->customers * bgbb_log_norm(params);
	psi_ab = fit_digamma(params[0] + params[1]);
	psi_gd = fit_digamma(params[2] + params[3]);
	dparams[0] -= cells->customers * (fit_digamma(params[0]) - psi_ab);
	dparams[1] -= cells->customers * (fit_digamma(params[1]) - psi_ab);
	dparams[2] -= cells->customers * (fit_digamma(params[2]) - psi_gd);
	dparams[3] -= cells->customers * (fit_digamma(params[3]) - psi_gd);

	for (k = 0; k < BGBB_NPARAMS; k++)
		grad[k] = -dparams[k] * params[k];
	return -ll;
}

/*
 * The most opportunities n of a history: the likelihood, p_alive, the
 * expected purchases and P(X(n) = k) sum a term per opportunity (the
 * likelihood of a customer without a purchase has terms that fall only
 * like i^-(alpha + gamma + 1), so no tail bound can stop its sum early).
 * At this limit a sum takes about 0.3 ms and a fit of a few cells some
 * 0.1 s; with the former limit of 2^31 - 1 one cell of n = 1,000,000 took
 * 101 s to fit.  (Daily opportunities over 270 years fit under it.)
 */
#define BGBB_MAX_OPPORTUNITIES 100000

static void
bgbb_check_opportunities(int64 n)
{
	if (n > BGBB_MAX_OPPORTUNITIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("n must be at most %d, not " INT64_FORMAT, BGBB_MAX_OPPORTUNITIES, n),
				 errhint("Count opportunities in a coarser unit.")));
}

/*
 * Reject a history that cannot happen (the checks of the fit aggregate,
 * fit_check_bgbb_customer) or that is too long to predict for.
 */
static void
bgbb_check_history(int64 x, int64 t_x, int64 n)
{
	fit_check_bgbb_customer(x, t_x, n);
	bgbb_check_opportunities(n);
}

/* Reject a negative count; hint says what the count is. */
static void
bgbb_check_count(int64 value, const char *what, const char *hint)
{
	if (value < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", what),
				 errhint("%s", hint)));
}

#define BGBB_HORIZON_HINT "The horizon is the number of future opportunities."

/*
 * custseg.bgbb_final(fit_state) returns custseg.bgbb: the maximum
 * likelihood fit, or NULL for an empty state.
 */
PG_FUNCTION_INFO_V1(bgbb_final);
Datum
bgbb_final(PG_FUNCTION_ARGS)
{
	FitCells	cells;
	FitResult	result;
	double		theta[BGBB_NPARAMS] = {0.0, 0.0, 0.0, 0.0};
	double		params[BGBB_NPARAMS];
	int64		c;
	int			k;

	fit_state_cells(PG_GETARG_DATUM(0), FIT_KIND_BGBB, &cells);
	if (cells.ncells == 0)
		PG_RETURN_NULL();
	/* The state keeps 0 <= x <= t_x <= n; the sums need n below a limit. */
	for (c = 0; c < cells.ncells; c++)
		bgbb_check_opportunities((int64) cells.cells[c].k3);

	/* Start at alpha = beta = gamma = delta = 1: uniform p and theta. */
	fit_estimate(BGBB_NPARAMS, theta, bgbb_objective, &cells,
				 BGBB_MAX_ITERATIONS, &cells.settings, cells.customers, &result);

	/*
	 * Without a purchase, or with a single history shared by everyone, the
	 * likelihood has no maximum: it keeps rising as the parameters run off
	 * towards a degenerate model, however flat it gets.  Say so.
	 */
	if (cells.ncells < 2 || cells.cells[cells.ncells - 1].k1 == 0.0)
		result.converged = false;
	for (k = 0; k < BGBB_NPARAMS; k++)
		params[k] = exp(theta[k]);

	PG_RETURN_DATUM(fit_model_datum(fcinfo, "BG/BB", BGBB_NPARAMS, params,
									-result.value, cells.customers, &result,
									&cells.settings));
}

/*
 * S(gamma, d, m) = sum_{t=1}^m prod_{j=0}^{t-1} (d + j) / (gamma + d + j):
 * term by term for small m; for larger m the closed form
 *
 *	d / (gamma - 1) * (1 - exp(L)),
 *	L = lgamma(gamma + d) - lgamma(1 + d) - lgamma(gamma + d + m) + lgamma(1 + d + m),
 *
 * where near gamma = 1 the differences of lgamma are taken by their Taylor
 * series in e = gamma - 1 (to e^2, with digamma and trigamma) so that
 * L / e stays accurate down to e = 0.
 */
static double
bgbb_survival_sum(double gamma, double d, double m)
{
	double		e = gamma - 1.0;
	double		lr;

	if (m <= BGBB_SUM_TERMS)
	{
		double		sum = 0.0,
					term = 1.0;
		double		t;

		for (t = 0.0; t < m; t += 1.0)
		{
			term *= (d + t) / (gamma + d + t);
			sum += term;
		}
		return sum;
	}
	if (fabs(e) < 1e-4)
	{
		/* L / e, then d / e * -(exp(L) - 1) = -d * (L / e) * expm1(L) / L */
		double		l_e = fit_digamma(1.0 + d) - fit_digamma(1.0 + d + m)
			+ 0.5 * e * (fit_trigamma(1.0 + d) - fit_trigamma(1.0 + d + m));

		lr = l_e * e;
		return -d * l_e * (lr == 0.0 ? 1.0 : expm1(lr) / lr);
	}
	/*
	 * log of Gamma(gamma + d) Gamma(1 + d + m) / (Gamma(1 + d) Gamma(gamma +
	 * d + m)), as two ratios of Gamma functions at arguments gamma - 1
	 * apart: four lgamma() of order d log d, subtracted, lost every digit
	 * when d is large (delta = 2^32 gave -385211.5 purchases).
	 */
	if (1.0 + d >= 1e6)
	{
		/*
		 * With x1 = 1 + d and x2 = x1 + m, lr = D(x1) - D(x2) for D(x) = log
		 * Gamma(x + e) - log Gamma(x) = e log(x + e) + g(x) + c(x), Stirling:
		 * g(x) = (x - 1/2) log1p(e / x) - e = -e (e + 1) / (2x) + (e^3 / 3 +
		 * e^2 / 4) / x^2 + O(x^-3) and c(x) = -e / (12 x (x + e)) + O(x^-3).
		 * Taken as differences that are computed directly, the result keeps
		 * its digits however small it is against log x.
		 */
		double		x1 = 1.0 + d,
					x2 = x1 + m;

		lr = -e * log1p(m / (x1 + e))
			- 0.5 * e * (e + 1) * (m / (x1 * x2))
			+ (e * e * e / 3 + e * e / 4) * (m * (x1 + x2) / (x1 * x1 * x2 * x2))
			- e / 12 * (1 / (x1 * (x1 + e)) - 1 / (x2 * (x2 + e)));
	}
	else
		lr = fit_lgamma_ratio(1.0 + d, e) - fit_lgamma_ratio(1.0 + d + m, e);
	return -expm1(lr) * d / e;
}

/* log P(X(n) = k) terms: log of (i choose k). */
static double
bgbb_log_choose(double i, double k)
{
	return lgamma(i + 1.0) - lgamma(k + 1.0) - lgamma(i - k + 1.0);
}

/* The parameters of the model, the first argument of every prediction. */
static void
bgbb_read_model(FunctionCallInfo fcinfo, double *params)
{
	fit_model_read(PG_GETARG_DATUM(0), "custseg.bgbb", BGBB_NPARAMS,
				   bgbb_param_names, params);
}

/*
 * E[p; alive at n | x, t_x, n]: the posterior mean of the purchase
 * probability p times the indicator of being alive at opportunity n,
 *
 *	B(alpha + x + 1, beta + n - x) / B(alpha, beta)
 *	* B(gamma, delta + n) / B(gamma, delta) / L.
 *
 * The probability of a purchase at opportunity n + i is this times
 * B(gamma, delta + n + i) / B(gamma, delta + n), the probability of
 * surviving i more opportunities for someone alive at n.
 */
static double
bgbb_buy_alive(const double *params, int64 x, int64 t_x, int64 n)
{
	double		loglik,
				lnum;

	loglik = bgbb_cell_loglik(params, x, t_x, n, 0.0, NULL);
	lnum = bgbb_lbeta(params[0] + x + 1.0, params[1] + n - x)
		+ bgbb_lbeta(params[2], params[3] + n);
	return exp(lnum - loglik);
}

/*
 * custseg.expected_purchases(bgbb, horizon, x, t_x, n): expected purchases
 * in the horizon opportunities after the n observed ones.
 */
PG_FUNCTION_INFO_V1(bgbb_expected_purchases);
Datum
bgbb_expected_purchases(PG_FUNCTION_ARGS)
{
	int64		horizon = PG_GETARG_INT64(1);
	int64		x = PG_GETARG_INT64(2);
	int64		t_x = PG_GETARG_INT64(3);
	int64		n = PG_GETARG_INT64(4);
	double		params[BGBB_NPARAMS];

	bgbb_read_model(fcinfo, params);
	bgbb_check_count(horizon, "horizon", BGBB_HORIZON_HINT);
	bgbb_check_history(x, t_x, n);

	PG_RETURN_FLOAT8(fit_check_result(bgbb_buy_alive(params, x, t_x, n)
									  * bgbb_survival_sum(params[2], params[3] + n, (double) horizon),
									  "the expected number of purchases"));
}

/*
 * custseg.expected_purchases(bgbb, horizon): expected purchases of a new
 * customer in the first horizon opportunities.
 */
PG_FUNCTION_INFO_V1(bgbb_expected_purchases_new);
Datum
bgbb_expected_purchases_new(PG_FUNCTION_ARGS)
{
	int64		horizon = PG_GETARG_INT64(1);
	double		params[BGBB_NPARAMS];

	bgbb_read_model(fcinfo, params);
	bgbb_check_count(horizon, "horizon", BGBB_HORIZON_HINT);
	PG_RETURN_FLOAT8(fit_check_result(params[0] / (params[0] + params[1])
									  * bgbb_survival_sum(params[2], params[3], (double) horizon),
									  "the expected number of purchases"));
}

/*
 * custseg.p_alive(bgbb, x, t_x, n): the probability that the customer is
 * alive at the next opportunity, n + 1.
 */
PG_FUNCTION_INFO_V1(bgbb_p_alive);
Datum
bgbb_p_alive(PG_FUNCTION_ARGS)
{
	int64		x = PG_GETARG_INT64(1);
	int64		t_x = PG_GETARG_INT64(2);
	int64		n = PG_GETARG_INT64(3);
	double		params[BGBB_NPARAMS];
	double		loglik,
				lnum;

	bgbb_read_model(fcinfo, params);
	bgbb_check_history(x, t_x, n);

	loglik = bgbb_cell_loglik(params, x, t_x, n, 0.0, NULL);
	lnum = bgbb_lbeta(params[0] + x, params[1] + n - x)
		+ bgbb_lbeta(params[2], params[3] + n + 1.0);
	/* a NaN would pass the clamp: Min(NaN, 1.0) is 1.0 */
	PG_RETURN_FLOAT8(Min(fit_check_result(exp(lnum - loglik),
										  "the probability of being alive"), 1.0));
}

/*
 * custseg.purchase_probability(bgbb, k, n): the probability that a new
 * customer makes exactly k purchases in the first n opportunities,
 *
 *	P(X(n) = k) = (n choose k) B(alpha + k, beta + n - k) / B(alpha, beta)
 *					* B(gamma, delta + n) / B(gamma, delta)
 *				+ sum_{i=k}^{n-1} (i choose k) B(alpha + k, beta + i - k) / B(alpha, beta)
 *					* B(gamma + 1, delta + i) / B(gamma, delta)
 *
 * (alive through n, or died after i opportunities with k purchases in
 * them).  Zero when k > n.
 */
PG_FUNCTION_INFO_V1(bgbb_purchase_probability);
Datum
bgbb_purchase_probability(PG_FUNCTION_ARGS)
{
	int64		k = PG_GETARG_INT64(1);
	int64		n = PG_GETARG_INT64(2);
	double		params[BGBB_NPARAMS];
	double		norm,
				p,
				lterm = 0.0;
	int64		i;

	bgbb_read_model(fcinfo, params);
	bgbb_check_count(k, "k", "k is the number of purchases whose probability you want.");
	bgbb_check_count(n, "n", "n is the number of opportunities.");
	bgbb_check_opportunities(n);
	if (k > n)
		PG_RETURN_FLOAT8(0.0);

	norm = bgbb_log_norm(params);
	p = exp(bgbb_log_choose(n, k) + bgbb_lbeta(params[0] + k, params[1] + n - k)
			+ bgbb_lbeta(params[2], params[3] + n) - norm);

	/*
	 * The terms of the sum, in logs: each from the one before by the ratio
	 * (i + 1) / (i + 1 - k) * (beta + i - k) / (alpha + beta + i)
	 * * (delta + i) / (gamma + delta + i + 1), and afresh from log Gamma
	 * every 1024 steps so that rounding cannot pile up.  A term is a
	 * probability: exp() of it cannot overflow.
	 */
	for (i = k; i < n; i++)
	{
		if ((i - k) % 1024 == 0)
		{
			CHECK_FOR_INTERRUPTS();
			lterm = bgbb_log_choose(i, k) + bgbb_lbeta(params[0] + k, params[1] + i - k)
				+ bgbb_lbeta(params[2] + 1.0, params[3] + i) - norm;
		}
		else
			lterm += log((double) i / (double) (i - k)
						 * (params[1] + i - 1 - k) / (params[0] + params[1] + i - 1)
						 * (params[3] + i - 1) / (params[2] + params[3] + i));
		p += exp(lterm);
	}
	/* a NaN would pass the clamp: Min(NaN, 1.0) is 1.0 */
	PG_RETURN_FLOAT8(Min(fit_check_result(p, "the purchase probability"), 1.0));
}

/*
 * The most terms bgbb_discounted_survival_sum adds: 10^7 take 30-40 ms.
 * Only a horizon longer than that with a discount rate below about 5e-6
 * per opportunity needs more (see there).
 */
#define BGBB_CLV_MAX_TERMS	INT64CONST(10000000)

#define BGBB_RATE_NAME "discount_rate_per_opportunity"

/*
 * D(gamma, d, m, r) = sum_{i=1}^m (1 + r)^-i B(gamma, d + i) / B(gamma, d),
 * the discounted version of S(gamma, d, m) (bgbb_survival_sum, which it is
 * when r = 0).  The terms are positive, so there is no cancellation: the
 * survival ratio B(gamma, d + i) / B(gamma, d) is the one before times
 * (d + i - 1) / (gamma + d + i - 1), the discount factor the one before
 * times 1 / (1 + r) and afresh exp(-i log1p(r)) every 1024 steps (1 / (1 + r)
 * rounded would otherwise drift over millions of steps), and the terms are
 * added with compensation (Kahan).
 *
 * For r > 0 the survival ratios are below 1, so all the terms after the
 * i-th add up to less than term_i * sum_{j>=1} (1 + r)^-j = term_i / r:
 * the sum stops as soon as that is below 1e-17 of it, after at most about
 * (39 + log(1 / r)) / log(1 + r) terms whatever m is.  A sum that would
 * need more than BGBB_CLV_MAX_TERMS terms (m above that and r below about
 * 5e-6) is an error rather than a long wait.
 */
static double
bgbb_discounted_survival_sum(double gamma, double d, int64 m, double r)
{
	double		lv = -log1p(r);
	double		v = exp(lv);
	double		gd = gamma + d;
	double		survival = 1.0,
				discount = 1.0,
				sum = 0.0,
				carry = 0.0;
	int64		i;

	if (r == 0.0)
		return bgbb_survival_sum(gamma, d, (double) m);
	for (i = 0; i < m; i++)
	{
		double		term,
					y,
					t;

		if (i == BGBB_CLV_MAX_TERMS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the discounted sum over " INT64_FORMAT " opportunities needs more than " INT64_FORMAT " terms at %s %g",
							m, BGBB_CLV_MAX_TERMS, BGBB_RATE_NAME, r),
					 errhint("Use a horizon of at most " INT64_FORMAT " opportunities, or a larger discount rate per opportunity.",
							 BGBB_CLV_MAX_TERMS)));
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		survival *= (d + i) / (gd + i);
		if (((i + 1) & 1023) == 0)
			discount = exp(lv * (double) (i + 1));
		else
			discount *= v;
		term = survival * discount;
		y = term - carry;
		t = sum + y;
		carry = (t - sum) - y;
		sum = t;
		if (term <= 1e-17 * r * sum)
			break;
	}
	return sum;
}

/*
 * custseg.clv(bgbb, gammagamma, x, t_x, n, mean_spend, horizon,
 *			   discount_rate_per_opportunity [, margin])
 * = margin * expected spend per purchase
 *	 * sum_{i=1}^horizon P(purchase at opportunity n + i | x, t_x, n) / (1 + r)^i
 * = margin * spend * bgbb_buy_alive() * D(gamma, delta + n, horizon, r).
 * With r = 0 it is margin * spend * expected_purchases(bgbb, horizon, x,
 * t_x, n), computed the same way.
 */
PG_FUNCTION_INFO_V1(bgbb_clv);
Datum
bgbb_clv(PG_FUNCTION_ARGS)
{
	int64		x = PG_GETARG_INT64(2);
	int64		t_x = PG_GETARG_INT64(3);
	int64		n = PG_GETARG_INT64(4);
	double		mean_spend = PG_GETARG_FLOAT8(5);
	int64		horizon = PG_GETARG_INT64(6);
	double		rate = PG_GETARG_FLOAT8(7);
	double		margin = PG_GETARG_FLOAT8(8);
	double		params[BGBB_NPARAMS],
				gg[3],
				spend,
				purchases;

	fit_model_arg(fcinfo, 0, FIT_SLOT_MODEL, "custseg.bgbb", BGBB_NPARAMS,
				  bgbb_param_names, params);
	fit_model_arg(fcinfo, 1, FIT_SLOT_SPEND, "custseg.gammagamma", 3,
				  fit_gammagamma_param_names, gg);
	bgbb_check_history(x, t_x, n);
	spend = fit_expected_spend(gg, x, mean_spend);
	bgbb_check_count(horizon, "horizon", BGBB_HORIZON_HINT);
	custseg_check_finite(rate, BGBB_RATE_NAME);
	if (rate < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", BGBB_RATE_NAME),
				 errhint("Give the rate per opportunity as a fraction, e.g. 0.1 for 10%% per yearly campaign.")));
	fit_check_margin(margin);

	purchases = bgbb_buy_alive(params, x, t_x, n)
		* bgbb_discounted_survival_sum(params[2], params[3] + n, horizon, rate);
	PG_RETURN_FLOAT8(fit_check_result(margin * spend * purchases, "the CLV"));
}

/* custseg.model_summary(bgbb) */
PG_FUNCTION_INFO_V1(bgbb_model_summary);
Datum
bgbb_model_summary(PG_FUNCTION_ARGS)
{
	fit_model_summary(fcinfo, "custseg.bgbb", "BG/BB", BGBB_NPARAMS,
					  bgbb_param_names, NULL);
	return (Datum) 0;
}

/* custseg.parameter_draws(bgbb, draws, seed) */
PG_FUNCTION_INFO_V1(bgbb_parameter_draws);
Datum
bgbb_parameter_draws(PG_FUNCTION_ARGS)
{
	fit_parameter_draws(fcinfo, "custseg.bgbb", "BG/BB", BGBB_NPARAMS, bgbb_param_names, false);
	return (Datum) 0;
}
