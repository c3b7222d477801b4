/*-------------------------------------------------------------------------
 *
 * fit_model.c
 *	  What the CLV model families share after the fit (see fit.h): model
 *	  values (built, read back, cached per call site), result checks,
 *	  horizons and discounting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "funcapi.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "fit.h"

/* ----------------------------------------------------------------
 *		Model values
 * ----------------------------------------------------------------
 */

Datum
fit_model_datum(FunctionCallInfo fcinfo, const char *model,
				int nparams, const double *params,
				double log_likelihood, double customers,
				const FitResult *result)
{
	TupleDesc	desc = custseg_result_desc(fcinfo);
	Datum		values[FIT_MAX_PARAMS + 4];
	bool		isnull[FIT_MAX_PARAMS + 4];
	int			i;

	Assert(nparams <= FIT_MAX_PARAMS && desc->natts == nparams + 4);
	for (i = 0; i < nparams; i++)
	{
		if (!isfinite(params[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s fit gave a parameter that is not finite", model),
					 errhint("Check the input for extreme values.")));
		values[i] = Float8GetDatum(params[i]);
		isnull[i] = false;
	}
	if (!isfinite(log_likelihood))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s fit gave a log-likelihood that is not finite", model),
				 errhint("Check the input for extreme values.")));
	values[nparams] = Float8GetDatum(log_likelihood);
	values[nparams + 1] = Int64GetDatum((int64) llround(customers));
	values[nparams + 2] = BoolGetDatum(result->converged);
	values[nparams + 3] = Int32GetDatum(result->iterations);
	memset(isnull + nparams, 0, sizeof(bool) * 4);
	if (!result->converged)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s fit did not converge after %d iterations",
						model, result->iterations),
				 errdetail("The parameters are the best point found; the model value says converged = false."),
				 errhint("The data may not determine the parameters: check that enough customers made repeat purchases.")));
	return HeapTupleGetDatum(heap_form_tuple(desc, values, isnull));
}

void
fit_model_read(Datum model, const char *model_name, int nparams,
			   const char *const *param_names, double *params)
{
	int			attnums[FIT_MAX_PARAMS];
	Datum		values[FIT_MAX_PARAMS];
	bool		isnull[FIT_MAX_PARAMS];
	int			i;

	Assert(nparams <= FIT_MAX_PARAMS);
	for (i = 0; i < nparams; i++)
		attnums[i] = i + 1;
	custseg_row_fields(DatumGetHeapTupleHeader(model), nparams, attnums,
					   values, isnull);
	for (i = 0; i < nparams; i++)
	{
		double		v = isnull[i] ? 0 : DatumGetFloat8(values[i]);

		if (isnull[i] || !isfinite(v) || v <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s parameter %s must be positive and finite, not %s",
							model_name, param_names[i],
							isnull[i] ? "NULL" : float8out_internal(v)),
					 errhint("Pass a model returned by its fit aggregate.")));
		params[i] = v;
	}
}

const char *const fit_gammagamma_param_names[3] = {"p", "q", "gamma"};

/*
 * The model arguments of a call site, read once: the bytes of the last
 * model datum of each slot are kept with its parameters, and a row with the
 * same bytes (the usual case: one stored model for every customer) skips
 * reading it again.
 */
#define FIT_CACHE_SLOTS	2
#define FIT_CACHE_BYTES	256

typedef struct FitCacheSlot
{
	uint32		len;			/* 0: empty */
	char		bytes[FIT_CACHE_BYTES];
	double		params[FIT_MAX_PARAMS];
} FitCacheSlot;

void
fit_model_arg(FunctionCallInfo fcinfo, int argno, int slot,
			  const char *model_name, int nparams,
			  const char *const *param_names, double *params)
{
	FitCacheSlot *cache = (FitCacheSlot *) fcinfo->flinfo->fn_extra;
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(argno);
	uint32		len = HeapTupleHeaderGetDatumLength(row);
	FitCacheSlot *c;

	Assert(slot >= 0 && slot < FIT_CACHE_SLOTS && nparams <= FIT_MAX_PARAMS);
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									   FIT_CACHE_SLOTS * sizeof(FitCacheSlot));
		fcinfo->flinfo->fn_extra = cache;
	}
	c = &cache[slot];
	if (c->len == len && memcmp(c->bytes, row, len) == 0)
	{
		memcpy(params, c->params, sizeof(double) * nparams);
		return;
	}
	fit_model_read(PointerGetDatum(row), model_name, nparams, param_names, params);
	if (len <= FIT_CACHE_BYTES)
	{
		memcpy(c->bytes, row, len);
		memcpy(c->params, params, sizeof(double) * nparams);
		c->len = len;
	}
}

double
fit_check_result(double value, const char *what)
{
	if (!isfinite(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of the range of float8", what),
				 errhint("The model parameters, the horizon or the other arguments are too extreme.")));
	return value;
}

/* ----------------------------------------------------------------
 *		Horizons and discounting
 * ----------------------------------------------------------------
 */

double
fit_horizon_days(double days)
{
	custseg_check_finite(days, "horizon");
	if (days < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must not be negative"),
				 errhint("The horizon is a number of days (or an interval) after the end of the customer's history.")));
	return days;
}

double
fit_interval_days(const Interval *horizon)
{
	double		seconds;

	/* extract(epoch FROM interval): a year of 365.25 days, a month of 30 */
	seconds = horizon->time / 1000000.0 +
		(double) (horizon->month / MONTHS_PER_YEAR) * DAYS_PER_YEAR * SECS_PER_DAY +
		(double) (horizon->month % MONTHS_PER_YEAR) * DAYS_PER_MONTH * SECS_PER_DAY +
		(double) horizon->day * SECS_PER_DAY;
	return fit_horizon_days(seconds / SECS_PER_DAY);
}

double
fit_horizon_arg(FunctionCallInfo fcinfo, int argno)
{
	if (get_fn_expr_argtype(fcinfo->flinfo, argno) == INTERVALOID)
		return fit_interval_days(PG_GETARG_INTERVAL_P(argno));
	return fit_horizon_days(PG_GETARG_FLOAT8(argno));
}

void
fit_clv_args(FunctionCallInfo fcinfo, int64 x, FitClvArgs *args)
{
	double		gg[3];

	fit_model_arg(fcinfo, 1, FIT_SLOT_SPEND, "custseg.gammagamma", 3,
				  fit_gammagamma_param_names, gg);
	args->spend = fit_expected_spend(gg, x, PG_GETARG_FLOAT8(5));
	args->horizon = fit_horizon_arg(fcinfo, 6);
	args->rate = PG_GETARG_FLOAT8(7);
	args->margin = 1.0;
	if (PG_NARGS() > 8)
	{
		args->margin = PG_GETARG_FLOAT8(8);
		fit_check_margin(args->margin);
	}
}

void
fit_check_margin(double margin)
{
	custseg_check_finite(margin, "margin");
	if (margin < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("margin must not be negative"),
				 errhint("margin is the share of revenue kept as profit, e.g. 0.3.")));
}

/*
 * Gauss-Legendre nodes and weights on [0, 1], computed once: FIT_GL_N of
 * them for the panels of fit_discounted_purchases, FIT_GL_NU for those of
 * fit_discounted_purchases_scaled.
 */
#define FIT_GL_N	12
#define FIT_GL_NU	6

static double fit_gl_x[FIT_GL_N],
			fit_gl_w[FIT_GL_N];
static double fit_glu_x[FIT_GL_NU],
			fit_glu_w[FIT_GL_NU];
static bool fit_gl_ready = false;

static void
fit_gl_nodes(int n, double *x, double *w)
{
	int			i,
				k,
				iter;

	for (i = 0; i < n; i++)
	{
		/* Newton's method on P_n from Tricomi's initial guess */
		double		z = cos(M_PI * (i + 0.75) / (n + 0.5));
		double		dp = 1;

		for (iter = 0; iter < 100; iter++)
		{
			double		p0 = 1,
						p1 = z,
						z1;

			for (k = 2; k <= n; k++)
			{
				double		p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;

				p0 = p1;
				p1 = p2;
			}
			dp = n * (z * p1 - p0) / (z * z - 1);
			z1 = z;
			z = z1 - p1 / dp;
			if (fabs(z - z1) < 1e-16)
				break;
		}
		x[i] = 0.5 * (1 - z);
		w[i] = 1.0 / ((1 - z * z) * dp * dp);	/* 2 / (...) on [-1, 1], halved */
	}
}

static void
fit_gl_init(void)
{
	fit_gl_nodes(FIT_GL_N, fit_gl_x, fit_gl_w);
	fit_gl_nodes(FIT_GL_NU, fit_glu_x, fit_glu_w);
	fit_gl_ready = true;
}

/* The continuous daily discount rate delta of an annual rate. */
static double
fit_discount_delta(double annual_discount_rate)
{
	custseg_check_finite(annual_discount_rate, "annual_discount_rate");
	if (annual_discount_rate < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("annual_discount_rate must not be negative"),
				 errhint("Give the rate as a fraction per year, e.g. 0.1 for 10%%.")));
	if (!fit_gl_ready)
		fit_gl_init();
	return log1p(annual_discount_rate) / 365.25;
}

/*
 * Panels of the quadrature, as fractions of the horizon: graded toward 0,
 * where E(t) bends most (its nearest singularity lies at t < 0).
 */
static const double fit_panels[] = {0, 1.0 / 64, 1.0 / 8, 1.0 / 2, 1};
#define FIT_NPANELS (lengthof(fit_panels) - 1)

double
fit_discounted_purchases(FitExpected expected, void *arg,
						 double horizon_days, double annual_discount_rate)
{
	double		delta = fit_discount_delta(annual_discount_rate),
				integral = 0;
	int			p,
				i;

	if (horizon_days == 0)
		return 0;
	if (delta == 0)
		return expected(horizon_days, arg);
	for (p = 0; p < (int) FIT_NPANELS; p++)
	{
		double		a = fit_panels[p] * horizon_days;
		double		len = (fit_panels[p + 1] - fit_panels[p]) * horizon_days;
		double		sum = 0;

		for (i = 0; i < FIT_GL_N; i++)
		{
			double		t = a + len * fit_gl_x[i];

			sum += fit_gl_w[i] * exp(-delta * t) * expected(t, arg);
		}
		integral += len * sum;
	}
	return exp(-delta * horizon_days) * expected(horizon_days, arg) +
		delta * integral;
}

/* Longest panel in u = log(1 + t / scale). */
#define FIT_U_PANEL		1.5

double
fit_discounted_purchases_scaled(FitExpected expected, void *arg,
								double horizon_days, double annual_discount_rate,
								double scale_days)
{
	double		delta = fit_discount_delta(annual_discount_rate),
				integral = 0,
				U,
				len;
	int			npanels,
				p,
				i;

	if (!(scale_days > 0) || !isfinite(scale_days))
		elog(ERROR, "the scale of a discounted expectation must be positive");
	if (horizon_days == 0)
		return 0;
	if (delta == 0)
		return expected(horizon_days, arg);
	/* horizon / scale may overflow (scale 1e-300): then 1 is nothing to it */
	U = isfinite(horizon_days / scale_days) ?
		log1p(horizon_days / scale_days) : log(horizon_days) - log(scale_days);
	npanels = (int) ceil(U / FIT_U_PANEL);
	len = U / npanels;
	for (p = 0; p < npanels; p++)
	{
		double		sum = 0;

		for (i = 0; i < FIT_GL_NU; i++)
		{
			double		u = (p + fit_glu_x[i]) * len;
			double		t = scale_days * expm1(u);

			sum += fit_glu_w[i] * exp(-delta * t + u) * expected(t, arg);
		}
		integral += len * scale_days * sum;
	}
	return exp(-delta * horizon_days) * expected(horizon_days, arg) +
		delta * integral;
}
