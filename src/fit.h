/*-------------------------------------------------------------------------
 *
 * fit.h
 *	  What the CLV model families share: the cell state their fit
 *	  aggregates build, the optimizer that maximizes their likelihoods,
 *	  reading a stored model back, horizons and discounting.
 *
 * One file per concept implements this: fit_state.c the state type,
 * optimize.c the optimizer, fit_model.c model values, horizons and
 * discounting, specfun.c the special functions.  Each model family has its
 * own file (bgnbd.c for BG/NBD and MBG/NBD, paretonbd.c, bgbb.c,
 * gammagamma.c) with its likelihood, gradient, predictions and
 * SQL-callable functions.
 *
 * Fit state.  Every fit aggregate compresses its customers into distinct
 * cells (k1, k2, k3) with a weight, the number of customers in the cell:
 *
 *	FIT_KIND_XTT	(x, t_x, t)		BG/NBD, MBG/NBD, Pareto/NBD; times in days
 *	FIT_KIND_BGBB	(x, t_x, n)		BG/BB; whole numbers of opportunities
 *	FIT_KIND_SPEND	(x, mean spend, 0)	Gamma-Gamma
 *
 * The state is the SQL type custseg.fit_state (a varlena; an expanded
 * object while aggregating) with an exact text form, so that a fit runs in
 * parallel workers and on Citus workers.  A final function reads the merged,
 * sorted cells with fit_state_cells().
 *
 *-------------------------------------------------------------------------
 */
#ifndef CUSTSEG_FIT_H
#define CUSTSEG_FIT_H

#include "custseg.h"

#include "datatype/timestamp.h"

typedef enum FitKind
{
	FIT_KIND_XTT = 1,
	FIT_KIND_BGBB = 2,
	FIT_KIND_SPEND = 3
} FitKind;

/* One cell: the customers who share k1, k2, k3. */
typedef struct FitCell
{
	double		k1;				/* x: repeat purchases */
	double		k2;				/* t_x, or the mean spend */
	double		k3;				/* t (days), n (opportunities), or 0 */
	double		w;				/* customers in the cell, > 0 */
} FitCell;

/* The cells of a state, merged and sorted by (k1, k2, k3). */
typedef struct FitCells
{
	FitKind		kind;
	int64		ncells;
	const FitCell *cells;
	double		customers;		/* sum of w */
} FitCells;

/*
 * Read the state datum of a fit aggregate (flat or expanded).  Errors out
 * when its kind is not the expected one.  The cells stay valid for the
 * rest of the call.
 */
extern void fit_state_cells(Datum state, FitKind kind, FitCells *cells);

/*
 * Added: the checks of one customer (x, t_x, t) of the continuous models,
 * as the fit aggregates and the predictions apply them: x >= 0,
 * 0 <= t_x <= t, t_x = 0 when x = 0, all finite.  Errors 22023 (22003 for
 * an infinite time), each with a hint.
 */
extern void fit_check_customer(int64 x, double t_x, double t);

/*
 * The same for one customer (x, t_x, n) of BG/BB: 0 <= x <= t_x <= n,
 * t_x = 0 exactly when x = 0.  Errors 22023, each with a hint.
 */
extern void fit_check_bgbb_customer(int64 x, int64 t_x, int64 n);

/*
 * The optimizer.  Minimizes f over theta[0 .. n-1] (n <= FIT_MAX_PARAMS);
 * the model files work in log-parameter space, theta = log(parameter), so
 * every parameter stays positive.  f returns the negative log-likelihood
 * and writes its gradient with respect to theta into grad; it may return a
 * non-finite value (or NaN) for a point the optimizer must not accept, and
 * the line search then steps back.  Quasi-Newton (BFGS) with a line search
 * that keeps the Wolfe conditions, CHECK_FOR_INTERRUPTS() in every loop.
 * On return theta holds the best point seen and *result says how it went.
 */
#define FIT_MAX_PARAMS	8

typedef double (*FitObjective) (const double *theta, double *grad, void *arg);

typedef struct FitResult
{
	double		value;			/* f at the returned theta */
	int			iterations;
	bool		converged;
} FitResult;

extern void fit_minimize(int n, double *theta, FitObjective f, void *arg,
						 int max_iterations, FitResult *result);

/*
 * Added to the contract: fit_minimize keeps every theta[i] within
 * +-FIT_THETA_LIMIT (a point outside counts like a non-finite f), and a
 * result with some |theta[i]| > FIT_THETA_EDGE (a parameter running off to
 * 0 or infinity: the likelihood has no maximum inside) is reported as not
 * converged.  Converged means: max |grad| <= 1e-9 max(1, |f|), or a step
 * that decreased f by at most 1e-14 max(1, |f|) with max |grad| <=
 * 1e-6 max(1, |f|).
 */
#define FIT_THETA_LIMIT	30.0
#define FIT_THETA_EDGE	20.0

/*
 * A fitted model as a composite value: its nparams parameters, then the
 * common fields log_likelihood float8, customers bigint, converged boolean,
 * iterations integer.  fit_model_datum builds one for the result type of
 * the calling final function; when the fit did not converge it also raises
 * a WARNING naming the model.  fit_model_read reads the parameters of a
 * model argument back and rejects NULL, zero, negative, NaN or infinite
 * ones with a clear error (22023) naming the model and the parameter.
 */
extern Datum fit_model_datum(FunctionCallInfo fcinfo, const char *model,
							 int nparams, const double *params,
							 double log_likelihood, double customers,
							 const FitResult *result);
extern void fit_model_read(Datum model, const char *model_name, int nparams,
						   const char *const *param_names, double *params);

/*
 * fit_model_arg: fit_model_read of the model in argument argno of a
 * prediction function, cached in fn_extra for the call site (a query that
 * scores every customer with one stored model reads it once).  Each model
 * argument of a function has its own slot: FIT_SLOT_MODEL for the purchase
 * model, FIT_SLOT_SPEND for the Gamma-Gamma model of clv().
 */
#define FIT_SLOT_MODEL	0
#define FIT_SLOT_SPEND	1

extern void fit_model_arg(FunctionCallInfo fcinfo, int argno, int slot,
						  const char *model_name, int nparams,
						  const char *const *param_names, double *params);

/* The names of the parameters of custseg.gammagamma: p, q, gamma. */
extern const char *const fit_gammagamma_param_names[3];

/*
 * The checks of a prediction's result: an error (22003) naming "what" when
 * it is not finite, else the value.
 */
extern double fit_check_result(double value, const char *what);

/*
 * Horizons.  A horizon is a number of days (float8) or an interval, which
 * counts as its length in seconds / 86400 with the convention of
 * extract(epoch FROM interval): 12 months are 365.25 days, any further
 * month 30 days.  Both reject negative, NaN and infinite horizons.
 */
extern double fit_horizon_days(double days);
extern double fit_interval_days(const Interval *horizon);

/* The horizon argument argno of a prediction: float8 days or an interval. */
extern double fit_horizon_arg(FunctionCallInfo fcinfo, int argno);

/*
 * Discounting (custseg.clv).  With the annual discount rate d, money at
 * time t (days) is worth (1 + d)^(-t / 365.25) today: a continuous rate
 * delta = log(1 + d) / 365.25 per day.  The discounted expected number of
 * purchases over a horizon H is
 *
 *	DE(H) = integral_0^H exp(-delta t) dE(t)
 *		  = exp(-delta H) E(H) + delta * integral_0^H exp(-delta t) E(t) dt
 *
 * where E(t) is the expected number of purchases in (0, t] after the end of
 * the customer's history.  fit_discounted_purchases computes it with
 * Gauss-Legendre quadrature on the second form; expected(t, arg) supplies
 * E(t).  CLV = margin * expected spend per purchase * DE(H).
 */
/*
 * The arguments every clv() shares, after (model, gammagamma, x, t_x, t):
 * mean_spend (argument 5), horizon (6), annual_discount_rate (7) and the
 * optional margin (8, default 1, finite and not negative), read and checked;
 * spend is fit_expected_spend of the customer with x repeat purchases.
 */
typedef struct FitClvArgs
{
	double		spend;
	double		horizon;
	double		rate;
	double		margin;
} FitClvArgs;

extern void fit_clv_args(FunctionCallInfo fcinfo, int64 x, FitClvArgs *args);

/* Reject a margin that is negative or not finite (every CLV function). */
extern void fit_check_margin(double margin);

typedef double (*FitExpected) (double t, void *arg);

extern double fit_discounted_purchases(FitExpected expected, void *arg,
									   double horizon_days,
									   double annual_discount_rate);

/*
 * Added: the same integral for an E(t) that is analytic in t except on
 * (-infinity, -scale_days], as E(t) of BG/NBD and Pareto/NBD are (scale:
 * alpha + t, or beta + t).  It integrates in u = log(1 + t / scale_days),
 * where the integrand is analytic in the strip |Im u| < pi: panels of at
 * most 1.5 in u with 6 Gauss-Legendre nodes each give about 1e-11
 * relative (a node rule of n points errs like rho^-2n, rho >= 8.5 here),
 * with 7 evaluations of E for horizons up to e^1.5 - 1 = 3.5 times the
 * scale.
 */
extern double fit_discounted_purchases_scaled(FitExpected expected, void *arg,
											  double horizon_days,
											  double annual_discount_rate,
											  double scale_days);

/*
 * Special functions the likelihood gradients need: the digamma function
 * psi(x) = d/dx log Gamma(x) and the trigamma function psi'(x), for x > 0,
 * accurate to about 1e-14 relative.  (log Gamma is lgamma() of libm.)
 */
extern double fit_digamma(double x);
extern double fit_trigamma(double x);

/*
 * Added: the Gauss hypergeometric function 2F1(a, b; c; z) for z < 1 and c
 * not 0 or a negative integer, right to about 1e-12 relative: the best of
 * its series, Euler's and Pfaff's transformations, Euler's integral and the
 * connection formula in powers of 1 - z, each with an estimate of its error
 * (specfun.c).  Errors out with 22023 on NaN or infinite arguments, z >= 1
 * or such a c, and with 22003 when no method reaches 1e-12.
 */
extern double fit_hyp2f1(double a, double b, double c, double z);

/*
 * Gamma-Gamma (gammagamma.c): the expected spend per purchase of a customer
 * with x repeat purchases of mean value mean_spend, for gg = (p, q, gamma):
 * p (gamma + x mean_spend) / (p x + q - 1).  Errors out (with the messages
 * of custseg.expected_spend) when x < 0, when mean_spend is not finite or
 * not positive for x > 0, and when p x + q <= 1 (no finite mean).
 */
extern double fit_expected_spend(const double *gg, int64 x, double mean_spend);

#endif							/* CUSTSEG_FIT_H */
