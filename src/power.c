/*-------------------------------------------------------------------------
 *
 * power.c
 *	  Planning a holdout, and reading many uplift tests at once.
 *
 * custseg.normal_quantile(p) is the standard normal quantile by Wichura's
 * algorithm AS 241 (PPND16, Applied Statistics 37 (1988) 477-484),
 * accurate to about 1e-16 relative.
 *
 * custseg.holdout_size and custseg.detectable_lift solve the usual normal
 * approximation of the power of the test custseg.uplift makes, for a
 * two-sided level alpha:
 *	|lift| = z(1 - alpha/2) SE0 + z(power) SE1,
 * SE0 the standard error of the lift when there is none, SE1 when there is.
 * For rates (the two-proportion z-test, which pools the rate under "no
 * lift") SE0^2 = pbar (1 - pbar) (1/n1 + 1/n0), pbar the rate over both
 * groups, and SE1^2 = p1 (1 - p1) / n1 + p0 (1 - p0) / n0 (Fleiss, Levin and
 * Paik, Statistical Methods for Rates and Proportions, 3rd ed., 2003,
 * section 4.2, without continuity correction; R's power.prop.test for
 * equal groups).  For means, SE0 = SE1 = sd sqrt(1/n1 + 1/n0).
 *
 * custseg.holm(p_value) OVER (...) is Holm's step-down adjustment of the
 * p-values of a window partition (Holm, Scand. J. Statist. 6 (1979) 65-70).
 *
 *-------------------------------------------------------------------------
 */
#include "custseg.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "windowapi.h"


/* ----------------------------------------------------------------
 *		The normal quantile (AS 241)
 * ----------------------------------------------------------------
 */

/* sum c[i] x^i, i = 0 .. 7 */
static inline float8
poly7(const float8 *c, float8 x)
{
	return ((((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]) * x + c[0];
}

/*
 * The x with Phi(x) = p, for 0 < p < 1: rational approximations in
 * q = p - 1/2 near the centre, and in r = sqrt(-log(min(p, 1 - p))) in the
 * tails, with Wichura's published coefficients.
 */
float8
custseg_normal_quantile(float8 p)
{
	static const float8 a[8] = {
		3.3871328727963666080e0, 1.3314166789178437745e+2,
		1.9715909503065514427e+3, 1.3731693765509461125e+4,
		4.5921953931549871457e+4, 6.7265770927008700853e+4,
		3.3430575583588128105e+4, 2.5090809287301226727e+3};
	static const float8 b[8] = {
		1.0, 4.2313330701600911252e+1,
		6.8718700749205790830e+2, 5.3941960214247511077e+3,
		2.1213794301586595867e+4, 3.9307895800092710610e+4,
		2.8729085735721942674e+4, 5.2264952788528545610e+3};
	static const float8 c[8] = {
		1.42343711074968357734e0, 4.63033784615654529590e0,
		5.76949722146069140550e0, 3.64784832476320460504e0,
		1.27045825245236838258e0, 2.41780725177450611770e-1,
		2.27238449892691845833e-2, 7.74545014278341407640e-4};
	static const float8 d[8] = {
		1.0, 2.05319162663775882187e0,
		1.67638483018380384940e0, 6.89767334985100004550e-1,
		1.48103976427480074590e-1, 1.51986665636164571966e-2,
		5.47593808499534494600e-4, 1.05075007164441684324e-9};
	static const float8 e[8] = {
		6.65790464350110377720e0, 5.46378491116411436990e0,
		1.78482653991729133580e0, 2.96560571828504891230e-1,
		2.65321895265761230930e-2, 1.24266094738807843860e-3,
		2.71155556874348757815e-5, 2.01033439929228813265e-7};
	static const float8 f[8] = {
		1.0, 5.99832206555887937690e-1,
		1.36929880922735805310e-1, 1.48753612908506148525e-2,
		7.86869131145613259100e-4, 1.84631831751005468180e-5,
		1.42151175831644588870e-7, 2.04426310338993978564e-15};
	float8		q = p - 0.5,
				r,
				x;

	if (fabs(q) <= 0.425)
	{
		r = 0.180625 - q * q;
		return q * poly7(a, r) / poly7(b, r);
	}
	r = sqrt(-log(q < 0.0 ? p : 1.0 - p));
	if (r <= 5.0)
	{
		r -= 1.6;
		x = poly7(c, r) / poly7(d, r);
	}
	else
	{
		r -= 5.0;
		x = poly7(e, r) / poly7(f, r);
	}
	return q < 0.0 ? -x : x;
}

/* A probability argument strictly between 0 and 1. */
static float8
power_probability(float8 p, const char *what, const char *hint)
{
	if (isnan(p) || p <= 0.0 || p >= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1 (exclusive), not %s", what,
						float8out_internal(p)),
				 errhint("%s", hint)));
	return p;
}

/*
 * custseg.normal_quantile(p float8) -> float8
 */
PG_FUNCTION_INFO_V1(normal_quantile);
Datum
normal_quantile(PG_FUNCTION_ARGS)
{
	float8		p = power_probability(PG_GETARG_FLOAT8(0), "probability",
									  "For a two-sided 95% interval ask for the quantile at 0.975.");

	PG_RETURN_FLOAT8(custseg_normal_quantile(p));
}


/* ----------------------------------------------------------------
 *		Sizes and detectable lifts
 * ----------------------------------------------------------------
 */

#define ALPHA_HINT	"alpha is the significance level of the two-sided test, usually 0.05."
#define POWER_HINT	"power is the probability of detecting the lift when it is there, usually 0.8 or 0.9."

/* z(1 - alpha/2) + z(power) parts, checked; arguments at alpha_arg, alpha_arg + 1. */
static void
power_z(FunctionCallInfo fcinfo, int alpha_arg, float8 *za, float8 *zb)
{
	float8		alpha,
				power;

	if (PG_ARGISNULL(alpha_arg) || PG_ARGISNULL(alpha_arg + 1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", PG_ARGISNULL(alpha_arg) ? "alpha" : "power"),
				 errhint("%s", PG_ARGISNULL(alpha_arg) ? ALPHA_HINT : POWER_HINT)));
	alpha = power_probability(PG_GETARG_FLOAT8(alpha_arg), "alpha", ALPHA_HINT);
	power = power_probability(PG_GETARG_FLOAT8(alpha_arg + 1), "power", POWER_HINT);
	if (power <= alpha / 2.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("power must exceed alpha / 2, not %s", float8out_internal(power)),
				 errhint("%s", POWER_HINT)));
	*za = custseg_normal_quantile(1.0 - alpha / 2.0);
	*zb = custseg_normal_quantile(power);
}

/* A float8 argument that must be given and finite. */
static float8
power_arg(FunctionCallInfo fcinfo, int argno, const char *what, const char *hint)
{
	float8		v;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what),
				 errhint("%s", hint)));
	v = PG_GETARG_FLOAT8(argno);
	custseg_check_finite(v, what);
	return v;
}

#define RATE_HINT	"The baseline rate is the share of the holdout expected to convert anyway, for example 0.08."
#define LIFT_HINT	"The lift is the absolute difference to detect, for example 0.02 for 8% to 10%."
#define FRACTION_HINT	"The holdout fraction is the share of customers held out, for example 0.1 for 10%."
#define SD_HINT		"Use the standard deviation of the outcome per customer, for example from a past period."
#define SIZE_HINT	"Give the number of treated and of held-out customers, each at least 1."

static float8
power_rate(FunctionCallInfo fcinfo, int argno)
{
	float8		p = power_arg(fcinfo, argno, "baseline rate", RATE_HINT);

	return power_probability(p, "baseline rate", RATE_HINT);
}

static float8
power_fraction(FunctionCallInfo fcinfo, int argno)
{
	float8		f = power_arg(fcinfo, argno, "holdout fraction", FRACTION_HINT);

	return power_probability(f, "holdout fraction", FRACTION_HINT);
}

static float8
power_sd(FunctionCallInfo fcinfo, int argno)
{
	float8		sd = power_arg(fcinfo, argno, "standard deviation", SD_HINT);

	if (sd <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("standard deviation must be positive, not %s", float8out_internal(sd)),
				 errhint("%s", SD_HINT)));
	return sd;
}

static float8
power_lift(FunctionCallInfo fcinfo, int argno)
{
	float8		lift = power_arg(fcinfo, argno, "lift", LIFT_HINT);

	if (lift == 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lift must not be 0"),
				 errhint("No experiment can detect a lift of 0. %s", LIFT_HINT)));
	return lift;
}

/* The (treated_size, control_size) row of N customers, a share f held out. */
static Datum
power_sizes(FunctionCallInfo fcinfo, float8 total, float8 f)
{
	TupleDesc	desc;
	Datum		values[2];
	bool		isnull[2] = {false, false};
	float8		n1 = ceil((1.0 - f) * total),
				n0 = ceil(f * total);

	if (!(n1 < 9.0e15 && n0 < 9.0e15))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the sizes needed are too large to represent"),
				 errhint("Plan to detect a larger lift.")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = BlessTupleDesc(desc);
	values[0] = Int64GetDatum((int64) n1);
	values[1] = Int64GetDatum((int64) n0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, isnull)));
}

/*
 * custseg.holdout_size(baseline_rate, lift, holdout_fraction, alpha, power)
 *		-> (treated_size bigint, control_size bigint)
 *
 * With N customers, n1 = (1 - f) N, n0 = f N:
 *	N = (za sqrt(pbar qbar (1/(1-f) + 1/f)) + zb sqrt(p1 q1/(1-f) + p0 q0/f))^2 / lift^2
 * with p1 = p0 + lift and pbar = (1 - f) p1 + f p0.
 */
PG_FUNCTION_INFO_V1(holdout_size);
Datum
holdout_size(PG_FUNCTION_ARGS)
{
	float8		p0 = power_rate(fcinfo, 0),
				lift = power_lift(fcinfo, 1),
				f = power_fraction(fcinfo, 2),
				p1 = p0 + lift,
				za,
				zb,
				pbar,
				s0,
				s1;

	power_z(fcinfo, 3, &za, &zb);
	if (!(p1 > 0.0 && p1 < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("baseline rate plus lift must be between 0 and 1 (exclusive), not %s",
						float8out_internal(p1)),
				 errhint("%s", LIFT_HINT)));
	pbar = (1.0 - f) * p1 + f * p0;
	s0 = sqrt(pbar * (1.0 - pbar) * (1.0 / (1.0 - f) + 1.0 / f));
	s1 = sqrt(p1 * (1.0 - p1) / (1.0 - f) + p0 * (1.0 - p0) / f);
	return power_sizes(fcinfo, pow((za * s0 + zb * s1) / lift, 2.0), f);
}

/*
 * custseg.holdout_size_mean(sd, lift, holdout_fraction, alpha, power)
 *		-> (treated_size bigint, control_size bigint)
 *
 *	N = (za + zb)^2 sd^2 (1/(1-f) + 1/f) / lift^2
 */
PG_FUNCTION_INFO_V1(holdout_size_mean);
Datum
holdout_size_mean(PG_FUNCTION_ARGS)
{
	float8		sd = power_sd(fcinfo, 0),
				lift = power_lift(fcinfo, 1),
				f = power_fraction(fcinfo, 2),
				za,
				zb;

	power_z(fcinfo, 3, &za, &zb);
	return power_sizes(fcinfo,
					   pow((za + zb) * sd / lift, 2.0) * (1.0 / (1.0 - f) + 1.0 / f), f);
}

/* The treated_size and control_size arguments, each at least 1. */
static void
power_size_args(FunctionCallInfo fcinfo, int argno, float8 *n1, float8 *n0)
{
	int			i;

	for (i = 0; i < 2; i++)
	{
		int64		n;

		if (PG_ARGISNULL(argno + i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", i == 0 ? "treated size" : "control size"),
					 errhint("%s", SIZE_HINT)));
		n = PG_GETARG_INT64(argno + i);
		if (n < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be at least 1, not " INT64_FORMAT,
							i == 0 ? "treated size" : "control size", n),
					 errhint("%s", SIZE_HINT)));
		if (i == 0)
			*n1 = (float8) n;
		else
			*n0 = (float8) n;
	}
}

/*
 * The excess of lift over what the test detects with the given power, for
 * rates: lift - za SE0 - zb SE1.
 */
static float8
power_rate_excess(float8 lift, float8 p0, float8 n1, float8 n0, float8 za, float8 zb)
{
	float8		p1 = p0 + lift,
				pbar = (n1 * p1 + n0 * p0) / (n1 + n0);

	return lift - za * sqrt(pbar * (1.0 - pbar) * (1.0 / n1 + 1.0 / n0)) -
		zb * sqrt(p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0);
}

/*
 * custseg.detectable_lift(baseline_rate, treated_size, control_size,
 *						   alpha, power) -> float8
 *
 * The smallest lift above the baseline rate that the groups detect: the
 * root of power_rate_excess in (0, 1 - p0), by bisection to the last bit;
 * NULL when even a rate of 1 would not be detected.
 */
PG_FUNCTION_INFO_V1(detectable_lift);
Datum
detectable_lift(PG_FUNCTION_ARGS)
{
	float8		p0 = power_rate(fcinfo, 0),
				n1,
				n0,
				za,
				zb,
				lo = 0.0,
				hi = 1.0 - p0;
	int			i;

	power_size_args(fcinfo, 1, &n1, &n0);
	power_z(fcinfo, 3, &za, &zb);
	if (power_rate_excess(hi, p0, n1, n0, za, zb) < 0.0)
		PG_RETURN_NULL();
	for (i = 0; i < 200; i++)
	{
		float8		mid = 0.5 * (lo + hi);

		if (mid <= lo || mid >= hi)
			break;
		if (power_rate_excess(mid, p0, n1, n0, za, zb) < 0.0)
			lo = mid;
		else
			hi = mid;
	}
	PG_RETURN_FLOAT8(hi);
}

/*
 * custseg.detectable_lift_mean(sd, treated_size, control_size, alpha,
 *								power) -> float8: (za + zb) sd sqrt(1/n1 + 1/n0)
 */
PG_FUNCTION_INFO_V1(detectable_lift_mean);
Datum
detectable_lift_mean(PG_FUNCTION_ARGS)
{
	float8		sd = power_sd(fcinfo, 0),
				n1,
				n0,
				za,
				zb;

	power_size_args(fcinfo, 1, &n1, &n0);
	power_z(fcinfo, 3, &za, &zb);
	PG_RETURN_FLOAT8((za + zb) * sd * sqrt(1.0 / n1 + 1.0 / n0));
}


/* ----------------------------------------------------------------
 *		Holm's adjustment
 * ----------------------------------------------------------------
 */

/* The adjusted p-values of a partition, computed at its first row. */
typedef struct HolmPartition
{
	bool		ready;
	int64		n;
	/* then n float8 adjusted values and n bool NULL flags */
} HolmPartition;

#define HOLM_VALUES(h)	((float8 *) MAXALIGN((char *) (h) + sizeof(HolmPartition)))
#define HOLM_NULLS(h)	((bool *) (HOLM_VALUES(h) + (h)->n))

typedef struct HolmItem
{
	float8		p;
	int64		row;
} HolmItem;

static int
holm_cmp(const void *a, const void *b)
{
	const HolmItem *x = a,
			   *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

/*
 * custseg.holm(p_value float8) -> float8, a window function: with the m
 * non-NULL p-values of the partition sorted, p(1) <= ... <= p(m), the
 * adjusted value of p(k) is max over j <= k of min(1, (m - j + 1) p(j)).
 * A NULL p-value is not counted and stays NULL.
 */
PG_FUNCTION_INFO_V1(holm);
Datum
holm(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	int64		nrows = WinGetPartitionRowCount(winobj);
	HolmPartition *h;
	int64		pos = WinGetCurrentPosition(winobj);

	if ((Size) nrows > (MaxAllocSize - 64) / (sizeof(float8) + sizeof(bool) + sizeof(HolmItem)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("holm takes at most %zu rows per partition",
						(MaxAllocSize - 64) / (sizeof(float8) + sizeof(bool) + sizeof(HolmItem)))));
	h = (HolmPartition *) WinGetPartitionLocalMemory(winobj,
													 MAXALIGN(sizeof(HolmPartition)) +
													 nrows * (sizeof(float8) + sizeof(bool)));
	if (!h->ready)
	{
		HolmItem   *items = palloc(sizeof(HolmItem) * Max(nrows, 1));
		float8	   *adj;
		bool	   *nulls;
		int64		m = 0,
					i;
		float8		running = 0.0;

		h->n = nrows;
		adj = HOLM_VALUES(h);
		nulls = HOLM_NULLS(h);
		for (i = 0; i < nrows; i++)
		{
			bool		isnull,
						isout;
			Datum		d = WinGetFuncArgInPartition(winobj, 0, i, WINDOW_SEEK_HEAD,
													 false, &isnull, &isout);

			CHECK_FOR_INTERRUPTS();
			nulls[i] = isnull;
			adj[i] = 0.0;
			if (isnull)
				continue;
			items[m].p = DatumGetFloat8(d);
			items[m].row = i;
			if (isnan(items[m].p) || items[m].p < 0.0 || items[m].p > 1.0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("p-value must be between 0 and 1, not %s",
								float8out_internal(items[m].p)),
						 errhint("Pass the p_value field of custseg.uplift, or NULL for a test that was not made.")));
			m++;
		}
		qsort(items, m, sizeof(HolmItem), holm_cmp);
		for (i = 0; i < m; i++)
		{
			float8		v = Min(1.0, (float8) (m - i) * items[i].p);

			running = Max(running, v);
			adj[items[i].row] = running;
		}
		pfree(items);
		h->ready = true;
	}
	if (HOLM_NULLS(h)[pos])
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(HOLM_VALUES(h)[pos]);
}
