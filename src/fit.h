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

/*
 * The settings of a fit, carried by its state from the rows to the final
 * function (the fit aggregates' optional arguments): the unit of the times
 * (FIT_KIND_XTT; one day unless given), an L2 penalty on the
 * log-parameters (0: none) and start values (nstart = 0: the family's
 * default start).  given: set by a transition function that takes them;
 * two states that both have them must agree.  skipped counts the rows a
 * transition function left out and reports at the end (gammagamma_fit of
 * a summary: repeat spend not positive).
 */
typedef struct FitSettings
{
	bool		given;
	int32		nstart;
	Interval	unit;
	double		penalty;
	double		start[8];		/* FIT_MAX_PARAMS */
	double		skipped;
} FitSettings;

/* The number of parameters of the models of a kind: 4, 4, 3. */
extern int	fit_kind_nparams(FitKind kind);

/* The default settings: a day, no penalty, the family's start values. */
extern void fit_settings_default(FitSettings *settings);

/* The cells of a state, merged and sorted by (k1, k2, k3). */
typedef struct FitCells
{
	FitKind		kind;
	int64		ncells;
	const FitCell *cells;
	double		customers;		/* sum of w */
	FitSettings settings;
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
	/* set by fit_estimate only */
	double		penalty;		/* the penalty used */
	double		start[FIT_MAX_PARAMS];	/* the start used, as parameters */
	bool		has_information;
	double		information[FIT_MAX_PARAMS * FIT_MAX_PARAMS];
} FitResult;

extern void fit_minimize(int n, double *theta, FitObjective f, void *arg,
						 int max_iterations, FitResult *result);

/*
 * fit_estimate: the fit of a model family.  theta holds the family's
 * default start; start values of the settings replace it.  With a penalty
 * lambda > 0 it minimizes f(theta) + lambda * customers * sum theta[i]^2
 * (lambda per customer, like lifetimes' penalizer_coef, but on the
 * log-parameters).  Then result->value is f (without the penalty) at the
 * optimum, and result->information the observed information: the Hessian
 * of the minimized function (penalty included) in theta, by central
 * differences of the analytic gradient (2 n evaluations, steps of 1e-4),
 * symmetrized; has_information is false when one of them is not finite.
 */
extern void fit_estimate(int n, double *theta, FitObjective f, void *arg,
						 int max_iterations, const FitSettings *settings,
						 double customers, FitResult *result);

/*
 * fit_covariance: the inverse of an n x n information matrix H (in theta)
 * by its eigendecomposition (Jacobi rotations) after scaling H to unit
 * diagonal.  Returns false when H is not positive definite or so badly
 * conditioned that some parameter is not determined (an eigenvalue below
 * 1e-10 of the largest, or a diagonal element that is not positive); then
 * unidentified[i] is set for the parameters that take part in the
 * degenerate directions (|component| >= 0.3 in their eigenvectors).
 */
extern bool fit_covariance(int n, const double *H, double *cov,
						   bool *unidentified);

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
							 const FitResult *result,
							 const FitSettings *settings);

/*
 * Added in 0.2.0: the model types end with what the fit used and found,
 * after iterations: unit interval (the continuous-time families only),
 * penalty float8, start_values float8[], information float8[] (n x n, in
 * theta; NULL when it could not be computed).  fit_model_datum fills them
 * from result and settings when the result type has them.  A model stored
 * by 0.1.0 reads these fields as NULL: its times are in days.
 */
extern void fit_model_read(Datum model, const char *model_name, int nparams,
						   const char *const *param_names, double *params);

/*
 * fit_model_arg: fit_model_read of the model in argument argno of a
 * prediction function, cached in fn_extra for the call site (a query that
 * scores every customer with one stored model reads it once).  Each model
 * argument of a function has its own slot: FIT_SLOT_MODEL for the purchase
 * model, FIT_SLOT_SPEND for the Gamma-Gamma model of clv().
 * fit_model_unit_arg also returns the length in days of the model's unit
 * (field unit_attno, 1-based): 1 when it is NULL (a model of 0.1.0) or the
 * row type has no such field.
 */
#define FIT_SLOT_MODEL	0
#define FIT_SLOT_SPEND	1

extern void fit_model_arg(FunctionCallInfo fcinfo, int argno, int slot,
						  const char *model_name, int nparams,
						  const char *const *param_names, double *params);
extern double fit_model_unit_arg(FunctionCallInfo fcinfo, int argno, int slot,
								 const char *model_name, int nparams,
								 const char *const *param_names, double *params);

/* The field number of unit in the continuous-time model types. */
#define FIT_UNIT_ATTNO(nparams)	((nparams) + 5)

/*
 * custseg.model_summary(model) of a family: one row per parameter (name,
 * estimate, std_error, lower, upper, per_day, per_week) with the model's
 * log_likelihood, aic, bic, customers and converged, from its information
 * field (see docs/fit.md).  time_powers[i]: the power of the time unit in
 * parameter i (alpha, beta: 1), or NULL for a family without a unit.
 */
extern void fit_model_summary(FunctionCallInfo fcinfo, const char *type_name,
							  const char *label, int nparams,
							  const char *const *param_names,
							  const int *time_powers);

/*
 * custseg.parameter_draws(model, draws integer, seed bigint) of a family:
 * draws copies of the model (a set of its row type) whose parameters are
 * exp(theta + L z), theta the estimate in log space, L L' the covariance
 * (the inverse of the information), z standard normals by Box-Muller from
 * pg_prng seeded with seed; the other fields copied.  Errors out for a
 * model without information or with a singular one.
 */
extern void fit_parameter_draws(FunctionCallInfo fcinfo, const char *type_name,
								const char *label, int nparams,
								const char *const *param_names, bool has_unit);

/* The names of the parameters of custseg.gammagamma: p, q, gamma. */
extern const char *const fit_gammagamma_param_names[3];

/*
 * The checks of a prediction's result: an error (22003) naming "what" when
 * it is not finite, else the value.
 */
extern double fit_check_result(double value, const char *what);

/*
 * Horizons.  A horizon is a number of the model's time units (float8) or
 * an interval, which counts as its length in seconds / 86400 days with the
 * convention of extract(epoch FROM interval): 12 months are 365.25 days,
 * any further month 30 days; then divided by the unit in days.  Both
 * reject negative, NaN and infinite horizons.
 */
extern double fit_horizon_days(double days);
extern double fit_interval_days(const Interval *horizon);

/*
 * How a prediction's entry point passes its horizon: a float8 in the
 * model's unit, an interval, or (the C symbols of 0.1.0, each shared by
 * both SQL signatures) read from the call's expression tree, which fails
 * when there is none (a call through fmgr_info, as other extensions make).
 */
typedef enum FitHorizonKind
{
	FIT_HORIZON_GUESS,
	FIT_HORIZON_NUMBER,
	FIT_HORIZON_INTERVAL
} FitHorizonKind;

/* The horizon argument argno of a prediction, in the model's unit. */
extern double fit_horizon_arg(FunctionCallInfo fcinfo, int argno,
							  FitHorizonKind kind, double unit_days);

/*
 * How a prediction of the continuous-time families passes its customer:
 * x bigint, t_x float8, t float8 (in the model's unit); the same with x
 * float8 (a whole number: numeric and integer arguments resolve to it);
 * or a custseg.customer_summary, whose times are days, converted to the
 * model's unit, and whose repeat_spend is the mean spend (greatest(., 0)).
 * fit_customer_arg reads and checks it; false when a field of the summary
 * is NULL (the prediction is then NULL).  *next_argno: the argument after
 * the customer.
 */
typedef enum FitCustomerKind
{
	FIT_CUSTOMER_BIGINT,
	FIT_CUSTOMER_FLOAT8,
	FIT_CUSTOMER_SUMMARY
} FitCustomerKind;

typedef struct FitCustomer
{
	int64		x;
	double		t_x;
	double		t;
	double		mean_spend;		/* summary: its repeat_spend, else 0 */
} FitCustomer;

extern bool fit_customer_arg(FunctionCallInfo fcinfo, int argno,
							 FitCustomerKind kind, double unit_days,
							 FitCustomer *c, int *next_argno);

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
 * the customer's history.  With times in a unit of unit_days days, delta
 * per unit is log(1 + d) unit_days / 365.25; horizon and scale are in the
 * unit.  fit_discounted_purchases computes it with
 * Gauss-Legendre quadrature on the second form; expected(t, arg) supplies
 * E(t).  CLV = margin * expected spend per purchase * DE(H).
 */
/*
 * The arguments every clv() of the continuous-time families shares after
 * (model, gammagamma, customer): mean_spend (unless the customer is a
 * summary), the horizon, annual_discount_rate and the optional margin
 * (default 1, finite and not negative), read and checked from argument
 * argno on; spend is fit_expected_spend of the customer.
 */
typedef struct FitClvArgs
{
	double		spend;
	double		horizon;
	double		rate;
	double		margin;
} FitClvArgs;

extern void fit_clv_args(FunctionCallInfo fcinfo, int argno,
						 FitCustomerKind ckind, FitHorizonKind hkind,
						 double unit_days, const FitCustomer *c,
						 FitClvArgs *args);

/* Reject a margin that is negative or not finite (every CLV function). */
extern void fit_check_margin(double margin);

typedef double (*FitExpected) (double t, void *arg);

extern double fit_discounted_purchases(FitExpected expected, void *arg,
									   double horizon,
									   double annual_discount_rate,
									   double unit_days);

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
											  double horizon,
											  double annual_discount_rate,
											  double scale,
											  double unit_days);

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
 * log Gamma(x + g) - log Gamma(x), x > 0, x + g > 0: accurate when x is
 * large and g small against it, where the difference of two lgamma() loses
 * every digit (BG/BB with a large delta).
 */
extern double fit_lgamma_ratio(double x, double g);

/*
 * Gamma-Gamma (fit_model.c, shared by gammagamma.c and every clv()): the expected spend per purchase of a customer
 * with x repeat purchases of mean value mean_spend, for gg = (p, q, gamma):
 * p (gamma + x mean_spend) / (p x + q - 1).  Errors out (with the messages
 * of custseg.expected_spend) when x < 0, when mean_spend is not finite or
 * not positive for x > 0, and when p x + q <= 1 (no finite mean).
 */
extern double fit_expected_spend(const double *gg, int64 x, double mean_spend);

#endif							/* CUSTSEG_FIT_H */
