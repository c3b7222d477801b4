/*-------------------------------------------------------------------------
 *
 * fit_model.c
 *	  What the CLV model families share after the fit (see fit.h): model
 *	  values (built, read back, cached per call site), result checks,
 *	  horizons, customers, the expected spend and discounting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "fit.h"

/* ----------------------------------------------------------------
 *		Model values
 * ----------------------------------------------------------------
 */

Datum
fit_model_datum(FunctionCallInfo fcinfo, const char *model,
				int nparams, const double *params,
				double log_likelihood, double customers,
				const FitResult *result, const FitSettings *settings)
{
	TupleDesc	desc = custseg_result_desc(fcinfo);
	Datum		values[FIT_MAX_PARAMS + 8];
	bool		isnull[FIT_MAX_PARAMS + 8];
	Datum		start[FIT_MAX_PARAMS];
	int			extra = desc->natts - nparams - 4;
	int			a,
				i;

	Assert(nparams <= FIT_MAX_PARAMS && (extra == 3 || extra == 4));
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
	memset(isnull + nparams, 0, sizeof(bool) * (4 + extra));
	a = nparams + 4;
	if (extra == 4)
	{
		Interval   *unit = palloc(sizeof(Interval));

		*unit = settings->unit;
		values[a++] = IntervalPGetDatum(unit);
	}
	values[a++] = Float8GetDatum(result->penalty);
	for (i = 0; i < nparams; i++)
		start[i] = Float8GetDatum(result->start[i]);
	values[a++] = PointerGetDatum(construct_array(start, nparams, FLOAT8OID,
												  sizeof(float8), FLOAT8PASSBYVAL,
												  TYPALIGN_DOUBLE));
	if (result->has_information)
	{
		Datum		info[FIT_MAX_PARAMS * FIT_MAX_PARAMS];
		int			dims[2];
		int			lbs[2] = {1, 1};

		dims[0] = nparams;
		dims[1] = nparams;
		for (i = 0; i < nparams * nparams; i++)
			info[i] = Float8GetDatum(result->information[i]);
		values[a++] = PointerGetDatum(construct_md_array(info, NULL, 2, dims, lbs,
														 FLOAT8OID, sizeof(float8),
														 FLOAT8PASSBYVAL,
														 TYPALIGN_DOUBLE));
	}
	else
	{
		values[a] = (Datum) 0;
		isnull[a++] = true;
	}
	if (!result->converged)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s fit did not converge after %d iterations",
						model, result->iterations),
				 errdetail("The parameters are the best point found; the model value says converged = false."),
				 errhint("The data may not determine the parameters: check that enough customers made repeat purchases, or try a penalty or other start values.")));
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
#define FIT_CACHE_BYTES	1024

typedef struct FitCacheSlot
{
	uint32		len;			/* 0: empty */
	char		bytes[FIT_CACHE_BYTES];
	double		params[FIT_MAX_PARAMS];
	double		unit_days;
} FitCacheSlot;

/*
 * The unit in days of a model row: its field attno, 1 when the row type
 * has no such interval field (the Gamma-Gamma and BG/BB types; 0.1.0's
 * types before ALTER EXTENSION UPDATE) or the field is NULL (a model
 * stored by 0.1.0).
 */
static double
fit_model_unit_days(HeapTupleHeader row, int attno)
{
	TypeCacheEntry *type = lookup_type_cache(HeapTupleHeaderGetTypeId(row),
											 TYPECACHE_TUPDESC);
	Datum		value;
	bool		isnull;
	const Interval *unit;
	double		days;

	if (type->tupDesc == NULL || type->tupDesc->natts < attno ||
		TupleDescAttr(type->tupDesc, attno - 1)->atttypid != INTERVALOID)
		return 1.0;
	custseg_row_fields(row, 1, &attno, &value, &isnull);
	if (isnull)
		return 1.0;
	unit = DatumGetIntervalP(value);
	days = unit->time / 1000000.0 / SECS_PER_DAY +
		(double) (unit->month / MONTHS_PER_YEAR) * DAYS_PER_YEAR +
		(double) (unit->month % MONTHS_PER_YEAR) * DAYS_PER_MONTH +
		(double) unit->day;
	if (!(days > 0) || !isfinite(days))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the unit of a model must be a positive interval"),
				 errhint("Pass a model returned by its fit aggregate.")));
	return days;
}

double
fit_model_unit_arg(FunctionCallInfo fcinfo, int argno, int slot,
				   const char *model_name, int nparams,
				   const char *const *param_names, double *params)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(argno);

	fit_model_arg(fcinfo, argno, slot, model_name, nparams, param_names, params);
	/* fit_model_arg leaves a row that fits in the cache there */
	if (HeapTupleHeaderGetDatumLength(row) <= FIT_CACHE_BYTES)
		return ((FitCacheSlot *) fcinfo->flinfo->fn_extra)[slot].unit_days;
	return fit_model_unit_days(row, FIT_UNIT_ATTNO(nparams));
}

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
		c->unit_days = fit_model_unit_days(row, FIT_UNIT_ATTNO(nparams));
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
fit_horizon_arg(FunctionCallInfo fcinfo, int argno, FitHorizonKind kind,
				double unit_days)
{
	if (kind == FIT_HORIZON_GUESS)
	{
		/* a C symbol of 0.1.0: both SQL signatures shared it */
		Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);

		if (type == INTERVALOID)
			kind = FIT_HORIZON_INTERVAL;
		else if (type == FLOAT8OID)
			kind = FIT_HORIZON_NUMBER;
		else
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot tell whether the horizon is a number or an interval"),
					 errdetail("The function was created by custseg 0.1.0 and is called without an expression tree."),
					 errhint("Run ALTER EXTENSION custseg UPDATE.")));
	}
	if (kind == FIT_HORIZON_INTERVAL)
		return fit_interval_days(PG_GETARG_INTERVAL_P(argno)) / unit_days;
	return fit_horizon_days(PG_GETARG_FLOAT8(argno));
}

/* customer_summary fields (1-based) read by the predictions */
#define FIT_ATT_REPEAT_PURCHASES	8
#define FIT_ATT_ACTIVE_DAYS			9
#define FIT_ATT_AGE_DAYS			10
#define FIT_ATT_REPEAT_SPEND		11

/* Largest x: whole numbers stay exact as float8. */
#define FIT_MAX_X	9007199254740992.0

bool
fit_customer_arg(FunctionCallInfo fcinfo, int argno, FitCustomerKind kind,
				 double unit_days, FitCustomer *c, int *next_argno)
{
	c->mean_spend = 0;
	if (kind == FIT_CUSTOMER_SUMMARY)
	{
		static const int attnums[4] = {
			FIT_ATT_REPEAT_PURCHASES, FIT_ATT_ACTIVE_DAYS, FIT_ATT_AGE_DAYS,
			FIT_ATT_REPEAT_SPEND
		};
		Datum		fields[4];
		bool		isnull[4];

		*next_argno = argno + 1;
		custseg_row_fields(PG_GETARG_HEAPTUPLEHEADER(argno), 4, attnums, fields, isnull);
		if (isnull[0] || isnull[1] || isnull[2])
			return false;
		c->x = DatumGetInt64(fields[0]);
		c->t_x = DatumGetFloat8(fields[1]) / unit_days;
		c->t = DatumGetFloat8(fields[2]) / unit_days;
		if (!isnull[3] && DatumGetFloat8(fields[3]) > 0)
			c->mean_spend = DatumGetFloat8(fields[3]);
	}
	else
	{
		*next_argno = argno + 3;
		if (kind == FIT_CUSTOMER_FLOAT8)
		{
			double		x = PG_GETARG_FLOAT8(argno);

			custseg_check_finite(x, "x");
			if (x != floor(x))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("x must be a whole number, not %s", float8out_internal(x)),
						 errhint("x is the number of repeat purchases: purchases after the first one.")));
			if (fabs(x) > FIT_MAX_X)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("x must be at most 2^53"),
						 errhint("x is the number of repeat purchases of one customer.")));
			c->x = (int64) x;
		}
		else
			c->x = PG_GETARG_INT64(argno);
		c->t_x = PG_GETARG_FLOAT8(argno + 1);
		c->t = PG_GETARG_FLOAT8(argno + 2);
	}
	fit_check_customer(c->x, c->t_x, c->t);
	return true;
}

void
fit_clv_args(FunctionCallInfo fcinfo, int argno, FitCustomerKind ckind,
			 FitHorizonKind hkind, double unit_days, const FitCustomer *c,
			 FitClvArgs *args)
{
	double		gg[3];
	double		mean_spend = c->mean_spend;

	fit_model_arg(fcinfo, 1, FIT_SLOT_SPEND, "custseg.gammagamma", 3,
				  fit_gammagamma_param_names, gg);
	if (ckind != FIT_CUSTOMER_SUMMARY)
		mean_spend = PG_GETARG_FLOAT8(argno++);
	args->spend = fit_expected_spend(gg, c->x, mean_spend);
	args->horizon = fit_horizon_arg(fcinfo, argno++, hkind, unit_days);
	args->rate = PG_GETARG_FLOAT8(argno++);
	args->margin = 1.0;
	if (PG_NARGS() > argno)
	{
		args->margin = PG_GETARG_FLOAT8(argno);
		fit_check_margin(args->margin);
	}
}

/*
 * The expected value of a purchase of a customer with x repeat purchases of
 * mean value mean_spend under gg = (p, q, gamma): p (gamma + x mean_spend) /
 * (p x + q - 1).  A mean spend of 0 (repeat purchases refunded) is allowed:
 * the prediction then shrinks the population mean towards 0.  It is finite
 * only when p x + q > 1; a model with q <= 1
 * gives no finite value for a customer without repeat purchases, which is
 * an error (so is a value beyond float8).  Shared by expected_spend and the
 * clv functions of every purchase model (fit.h); here, so that the shared
 * CLV code does not call back into a model family's file.
 */
double
fit_expected_spend(const double *gg, int64 x, double mean_spend)
{
	double		spend;

	if (x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must not be negative"),
				 errhint("x is the number of repeat purchases: purchases after the first one.")));
	custseg_check_finite(mean_spend, "mean_spend");
	if (mean_spend < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mean_spend must not be negative"),
				 errhint("mean_spend is the mean value of the repeat purchases; pass greatest(mean_spend, 0) for a customer whose repeat purchases were refunded.")));
	if (gg[0] * (double) x + gg[1] <= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("expected spend is infinite for x = " INT64_FORMAT " under a model with p = %g, q = %g",
						x, gg[0], gg[1]),
				 errhint("The expected spend is finite only when p x + q > 1: a model with q <= 1 has none for customers without (or with few) repeat purchases. Use a model fitted on cleaner spend data, or a fixed spend, for them.")));

	spend = gg[0] * (gg[2] + (double) x * mean_spend) / (gg[0] * (double) x + gg[1] - 1.0);
	if (!isfinite(spend))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("expected spend is out of the range of float8"),
				 errhint("Express mean_spend in a larger currency unit.")));
	return spend;
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
#define FIT_GL_NU	12

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

/* The continuous discount rate delta per unit of an annual rate. */
static double
fit_discount_delta(double annual_discount_rate, double unit_days)
{
	custseg_check_finite(annual_discount_rate, "annual_discount_rate");
	if (annual_discount_rate < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("annual_discount_rate must not be negative"),
				 errhint("Give the rate as a fraction per year, e.g. 0.1 for 10%%.")));
	if (!fit_gl_ready)
		fit_gl_init();
	return log1p(annual_discount_rate) * unit_days / 365.25;
}

/*
 * Panels of the quadrature, as fractions of the horizon: graded toward 0,
 * where E(t) bends most (its nearest singularity lies at t < 0).
 */
static const double fit_panels[] = {0, 1.0 / 64, 1.0 / 8, 1.0 / 2, 1};
#define FIT_NPANELS (lengthof(fit_panels) - 1)

double
fit_discounted_purchases(FitExpected expected, void *arg,
						 double horizon_days, double annual_discount_rate,
						 double unit_days)
{
	double		delta = fit_discount_delta(annual_discount_rate, unit_days),
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
								double scale_days, double unit_days)
{
	double		delta = fit_discount_delta(annual_discount_rate, unit_days),
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


/* ----------------------------------------------------------------
 *		custseg.model_summary
 * ----------------------------------------------------------------
 */

/* The 97.5 % quantile of the standard normal distribution. */
#define FIT_Z975	1.959963984540054

/* The information matrix of a model value (n x n, finite), or false. */
static bool
fit_model_information(Datum value, const char *type_name, int n, double *H)
{
	ArrayType  *a = DatumGetArrayTypeP(value);
	Datum	   *elems;
	bool	   *nulls;
	int			nelems,
				i;

	if (ARR_NDIM(a) != 2 || ARR_DIMS(a)[0] != n || ARR_DIMS(a)[1] != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s information must be a %d x %d matrix", type_name, n, n),
				 errhint("Pass a model returned by its fit aggregate.")));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	for (i = 0; i < nelems; i++)
	{
		if (nulls[i] || !isfinite(DatumGetFloat8(elems[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s information must hold finite numbers", type_name),
					 errhint("Pass a model returned by its fit aggregate.")));
		H[i] = DatumGetFloat8(elems[i]);
	}
	return true;
}

void
fit_model_summary(FunctionCallInfo fcinfo, const char *type_name,
				  const char *label, int nparams,
				  const char *const *param_names, const int *time_powers)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	double		params[FIT_MAX_PARAMS],
				H[FIT_MAX_PARAMS * FIT_MAX_PARAMS],
				cov[FIT_MAX_PARAMS * FIT_MAX_PARAMS];
	bool		unidentified[FIT_MAX_PARAMS];
	bool		have_cov = false;
	int			unit = time_powers != NULL ? 1 : 0;
	int			attnums[4];
	Datum		fields[4];
	bool		isnull[4];
	double		unit_days = 1,
				ll,
				customers;
	int			i;

	fit_model_read(PointerGetDatum(row), type_name, nparams, param_names, params);
	attnums[0] = nparams + 1;	/* log_likelihood */
	attnums[1] = nparams + 2;	/* customers */
	attnums[2] = nparams + 3;	/* converged */
	attnums[3] = nparams + 7 + unit;	/* information */
	custseg_row_fields(row, 4, attnums, fields, isnull);
	if (time_powers != NULL)
		unit_days = fit_model_unit_days(row, FIT_UNIT_ATTNO(nparams));
	ll = isnull[0] ? NAN : DatumGetFloat8(fields[0]);
	customers = isnull[1] ? NAN : (double) DatumGetInt64(fields[1]);

	if (isnull[3])
		ereport(NOTICE,
				(errmsg("%s model has no information matrix: no standard errors", label),
				 errdetail("Models fitted by custseg 0.1.0, or whose information could not be computed, have none."),
				 errhint("Fit the model again with this version of custseg.")));
	else if (fit_model_information(fields[3], type_name, nparams, H))
	{
		have_cov = fit_covariance(nparams, H, cov, unidentified);
		if (!have_cov)
		{
			StringInfoData names;

			initStringInfo(&names);
			for (i = 0; i < nparams; i++)
				if (unidentified[i])
					appendStringInfo(&names, "%s%s", names.len > 0 ? ", " : "",
									 param_names[i]);
			ereport(WARNING,
					(errcode(ERRCODE_WARNING),
					 errmsg("%s information matrix is singular or not positive definite: %s not identified",
							label, names.len > 0 ? names.data : "parameters"),
					 errdetail("The standard errors and intervals are NULL."),
					 errhint("The data do not determine these parameters: fit on more customers with repeat purchases, or with a penalty.")));
		}
	}

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < nparams; i++)
	{
		Datum		values[12];
		bool		nulls[12];
		double		theta = log(params[i]);

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(param_names[i]);
		values[1] = Float8GetDatum(params[i]);
		if (have_cov && cov[i * nparams + i] > 0 && isfinite(cov[i * nparams + i]))
		{
			double		se = sqrt(cov[i * nparams + i]);

			/* delta method in theta = log(parameter); the interval in theta */
			values[2] = Float8GetDatum(params[i] * se);
			values[3] = Float8GetDatum(exp(theta - FIT_Z975 * se));
			values[4] = Float8GetDatum(exp(theta + FIT_Z975 * se));
			if (!isfinite(params[i] * se) || !isfinite(exp(theta + FIT_Z975 * se)))
				nulls[2] = nulls[3] = nulls[4] = true;
		}
		else
			nulls[2] = nulls[3] = nulls[4] = true;
		if (time_powers != NULL)
		{
			double		per_day = params[i] * pow(unit_days, time_powers[i]);

			values[5] = Float8GetDatum(per_day);
			values[6] = Float8GetDatum(per_day * pow(1.0 / 7.0, time_powers[i]));
		}
		else
			nulls[5] = nulls[6] = true;
		values[7] = Float8GetDatum(ll);
		values[8] = Float8GetDatum(2.0 * nparams - 2.0 * ll);
		values[9] = Float8GetDatum(nparams * log(customers) - 2.0 * ll);
		nulls[7] = nulls[8] = isnull[0];
		nulls[9] = isnull[0] || isnull[1] || !(customers > 0);
		values[10] = isnull[1] ? (Datum) 0 : fields[1];
		nulls[10] = isnull[1];
		values[11] = isnull[2] ? (Datum) 0 : fields[2];
		nulls[11] = isnull[2];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}


/* ----------------------------------------------------------------
 *		custseg.horizon(text)
 * ----------------------------------------------------------------
 */

/*
 * custseg.horizon(text) -> interval: a horizon written as text ('1 year',
 * '39 weeks'), which is what an untyped literal horizon resolves to.  A
 * bare number is rejected: as an interval it would count seconds.
 * STABLE, as interval input is (IntervalStyle).
 */
PG_FUNCTION_INFO_V1(fit_horizon_text);
Datum
fit_horizon_text(PG_FUNCTION_ARGS)
{
	char	   *str = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *end;

	errno = 0;
	(void) strtod(str, &end);
	if (end != str)
	{
		while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
			end++;
		if (*end == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a horizon given as text must name its unit: \"%s\"", str),
					 errhint("Write the number without quotes for a horizon in the model's unit, or name the unit, e.g. '39 weeks'.")));
	}
	PG_RETURN_DATUM(DirectFunctionCall3(interval_in, CStringGetDatum(str),
										ObjectIdGetDatum(InvalidOid),
										Int32GetDatum(-1)));
}


/* ----------------------------------------------------------------
 *		custseg.parameter_draws
 * ----------------------------------------------------------------
 */

/* Most draws of one call. */
#define FIT_MAX_DRAWS	100000

void
fit_parameter_draws(FunctionCallInfo fcinfo, const char *type_name,
					const char *label, int nparams,
					const char *const *param_names, bool has_unit)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	int32		ndraws = PG_GETARG_INT32(1);
	int64		seed = PG_GETARG_INT64(2);
	double		params[FIT_MAX_PARAMS],
				theta[FIT_MAX_PARAMS],
				H[FIT_MAX_PARAMS * FIT_MAX_PARAMS],
				cov[FIT_MAX_PARAMS * FIT_MAX_PARAMS],
				L[FIT_MAX_PARAMS * FIT_MAX_PARAMS];
	bool		unidentified[FIT_MAX_PARAMS];
	int			attno = nparams + 7 + (has_unit ? 1 : 0);
	Datum		info;
	bool		info_null;
	TupleDesc	desc;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;
	pg_prng_state prng;
	int			i,
				j,
				k,
				d;

	if (ndraws < 1 || ndraws > FIT_MAX_DRAWS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("draws must be between 1 and %d, not %d", FIT_MAX_DRAWS, ndraws),
				 errhint("200 draws give the 2.5 %% and 97.5 %% points to about a tenth of a standard error.")));
	fit_model_read(PointerGetDatum(row), type_name, nparams, param_names, params);
	custseg_row_fields(row, 1, &attno, &info, &info_null);
	if (info_null)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s model has no information matrix to draw from", label),
				 errdetail("Models fitted by custseg 0.1.0, or whose information could not be computed, have none."),
				 errhint("Fit the model again with this version of custseg.")));
	fit_model_information(info, type_name, nparams, H);
	if (!fit_covariance(nparams, H, cov, unidentified))
	{
		StringInfoData names;

		initStringInfo(&names);
		for (i = 0; i < nparams; i++)
			if (unidentified[i])
				appendStringInfo(&names, "%s%s", names.len > 0 ? ", " : "", param_names[i]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s information matrix is singular or not positive definite: %s not identified",
						label, names.len > 0 ? names.data : "parameters"),
				 errhint("Parameter draws need a model whose data determine every parameter: fit on more customers with repeat purchases, or with a penalty.")));
	}

	/* L: the Cholesky factor of the covariance of theta */
	memset(L, 0, sizeof(L));
	for (j = 0; j < nparams; j++)
	{
		double		s = cov[j * nparams + j];

		for (k = 0; k < j; k++)
			s -= L[j * nparams + k] * L[j * nparams + k];
		if (!(s > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s covariance matrix is not positive definite", label),
					 errhint("Fit the model again, or with a penalty.")));
		L[j * nparams + j] = sqrt(s);
		for (i = j + 1; i < nparams; i++)
		{
			double		t = cov[i * nparams + j];

			for (k = 0; k < j; k++)
				t -= L[i * nparams + k] * L[j * nparams + k];
			L[i * nparams + j] = t / L[j * nparams + j];
		}
	}
	for (i = 0; i < nparams; i++)
		theta[i] = log(params[i]);

	InitMaterializedSRF(fcinfo, 0);
	desc = rsinfo->setDesc;
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	heap_deform_tuple(&tuple, desc, values, nulls);

	pg_prng_seed(&prng, (uint64) seed);
	for (d = 0; d < ndraws; d++)
	{
		double		z[FIT_MAX_PARAMS];

		CHECK_FOR_INTERRUPTS();
		/* standard normals by Box-Muller, two per pair of uniforms */
		for (i = 0; i < nparams; i += 2)
		{
			double		u1 = pg_prng_double(&prng),
						u2 = pg_prng_double(&prng),
						rad = sqrt(-2.0 * log1p(-u1));

			z[i] = rad * cos(2 * M_PI * u2);
			if (i + 1 < nparams)
				z[i + 1] = rad * sin(2 * M_PI * u2);
		}
		for (i = 0; i < nparams; i++)
		{
			double		t = theta[i];

			for (k = 0; k <= i; k++)
				t += L[i * nparams + k] * z[k];
			values[i] = Float8GetDatum(exp(t));
			nulls[i] = false;
			if (!isfinite(exp(t)) || exp(t) <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("a parameter draw of the %s model is out of the range of float8", label),
						 errhint("The standard errors are too large for draws: fit on more data, or with a penalty.")));
		}
		tuplestore_putvalues(rsinfo->setResult, desc, values, nulls);
	}
}
