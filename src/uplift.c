/*-------------------------------------------------------------------------
 *
 * uplift.c
 *	  The uplift aggregates: plain, stratified and CUPED, over one state.
 *
 * custseg.uplift(treated, outcome) compares the treated rows with the
 * control (holdout) rows: a two-proportion z-test when every outcome is 0
 * or 1, Welch's t-test otherwise.  custseg.uplift(treated, outcome,
 * stratum) estimates the lift within each stratum and weights the
 * strata by their sizes, so that holdout shares that differ between strata
 * do not bias it.  custseg.uplift_cuped(treated, outcome, covariate) adjusts the
 * outcome by a pre-period covariate (CUPED: y - theta (x - mean x), theta
 * = cov(x, y) / var(x) over all rows), which narrows the interval.
 *
 * All three keep the same state, custseg.uplift_sums: per stratum and
 * group the number of rows, the least and greatest outcome (and
 * covariate), and the sums of the outcomes, of their squares (and of the
 * covariate, its squares and its products with the outcome).  Each sum is
 * a compensated pair (Neumaier): hi is the rounded running sum and lo what
 * rounding lost, and each square or product enters as its exact two parts
 * (fma).  The final function rounds each moment once from these pairs, so
 * that the result has the same bits whatever the order in which rows came
 * and partial states were combined (serial, parallel workers or Citus
 * shards), as summarize's sums do.  A group whose least and greatest
 * values are equal has variance exactly 0.
 *
 * The state is a varlena with an exact JSON text form, not internal, so
 * that Citus can run the aggregates in parts on its workers.  Strata are
 * kept sorted by their bytes, so that the state of a set of rows is the
 * same whatever their order.
 *
 *-------------------------------------------------------------------------
 */
#include "custseg.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"

/* The normal quantile at 0.975: half-width of a 95% interval in SEs. */
#define UPLIFT_Z_975	1.959963984540054

/* Most rows one group of a state may count, so that counts stay exact. */
#define UPLIFT_MAX_ROWS	(INT64CONST(1) << 53)

/* Kinds of state: which aggregate made it. */
#define UPLIFT_PLAIN		1
#define UPLIFT_STRATIFIED	2
#define UPLIFT_CUPED		3

/* Cells of a stratum. */
#define UPLIFT_TREATED	0
#define UPLIFT_CONTROL	1

/* A compensated sum: hi + lo. */
typedef struct UpliftSum
{
	float8		hi;
	float8		lo;
} UpliftSum;

/* One group of one stratum. */
typedef struct UpliftCell
{
	int64		n;
	float8		ymin,
				ymax,
				xmin,
				xmax;
	UpliftSum	y,
				yy,
				x,
				xx,
				xy;
} UpliftCell;

typedef struct UpliftStratum
{
	UpliftCell	cell[2];		/* UPLIFT_TREATED, UPLIFT_CONTROL */
	int32		name_off;		/* offset of the name in the names area */
	int32		name_len;		/* bytes, no terminator */
} UpliftStratum;

/*
 * custseg.uplift_sums: a header, nstrata strata sorted by name (bytes,
 * then length), then the names, concatenated in the same order.
 */
typedef struct UpliftSums
{
	int32		vl_len_;
	uint8		kind;
	uint8		binary;			/* 1 while every outcome is 0 or 1 */
	uint16		unused;			/* zero */
	int32		nstrata;
	int32		names_len;
	UpliftStratum strata[FLEXIBLE_ARRAY_MEMBER];
} UpliftSums;

#define UPLIFT_HEADER		offsetof(UpliftSums, strata)
#define UPLIFT_NAMES(s)		((char *) &(s)->strata[(s)->nstrata])
#define UPLIFT_SIZE(nstrata, names_len) \
	(UPLIFT_HEADER + (Size) (nstrata) * sizeof(UpliftStratum) + (names_len))

/* Most strata of one state: far more than a report can use. */
#define UPLIFT_MAX_STRATA	100000


/* ----------------------------------------------------------------
 *		Compensated sums and double-double arithmetic
 * ----------------------------------------------------------------
 */

static void
uplift_too_large(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("outcomes are too large to aggregate"),
			 errhint("Express the outcome (and the covariate) in a larger unit, for example thousands.")));
}

/* Add x to the compensated sum s (Neumaier). */
static inline void
uplift_sum_add(UpliftSum *s, float8 x)
{
	float8		t = s->hi + x;

	if (fabs(s->hi) >= fabs(x))
		s->lo += (s->hi - t) + x;
	else
		s->lo += (x - t) + s->hi;
	s->hi = t;
	if (!isfinite(t))
		uplift_too_large();
}

/* Add the exact product a * b to s. */
static inline void
uplift_sum_add_product(UpliftSum *s, float8 a, float8 b)
{
	float8		p = a * b;

	if (!isfinite(p))
		uplift_too_large();
	uplift_sum_add(s, p);
	s->lo += fma(a, b, -p);
}

static inline void
uplift_sum_merge(UpliftSum *a, const UpliftSum *b)
{
	uplift_sum_add(a, b->hi);
	a->lo += b->lo;
}

/* A double-double value: hi + lo with |lo| <= ulp(hi) / 2. */
typedef struct DD
{
	float8		hi;
	float8		lo;
} DD;

static inline DD
dd_two_sum(float8 a, float8 b)
{
	DD			r;
	float8		bb;

	r.hi = a + b;
	bb = r.hi - a;
	r.lo = (a - (r.hi - bb)) + (b - bb);
	return r;
}

static inline DD
dd_from_sum(const UpliftSum *s)
{
	return dd_two_sum(s->hi, s->lo);
}

static inline DD
dd_add(DD a, DD b)
{
	DD			s = dd_two_sum(a.hi, b.hi);

	return dd_two_sum(s.hi, s.lo + a.lo + b.lo);
}

static inline DD
dd_neg(DD a)
{
	a.hi = -a.hi;
	a.lo = -a.lo;
	return a;
}

static inline DD
dd_mul(DD a, DD b)
{
	float8		p = a.hi * b.hi;
	float8		e = fma(a.hi, b.hi, -p) + (a.hi * b.lo + a.lo * b.hi);

	return dd_two_sum(p, e);
}

static inline DD
dd_div(DD a, float8 d)
{
	float8		q = a.hi / d;
	float8		p = q * d;
	float8		e = fma(q, d, -p);
	float8		r = ((a.hi - p) - e) + a.lo;

	return dd_two_sum(q, r / d);
}

/* xy - x y / n: n times a covariance, rounded once. */
static float8
dd_central(const UpliftSum *xy, const UpliftSum *x, const UpliftSum *y, float8 n)
{
	DD			m = dd_div(dd_mul(dd_from_sum(x), dd_from_sum(y)), n);

	return dd_add(dd_from_sum(xy), dd_neg(m)).hi;
}


/* ----------------------------------------------------------------
 *		The state
 * ----------------------------------------------------------------
 */

static const char *const uplift_kind_names[] = {NULL, "plain", "stratified", "cuped"};

/* A new state of a kind, with no strata, palloc'd in the current context. */
static UpliftSums *
uplift_sums_new(int kind, int nstrata, int names_len)
{
	Size		size = UPLIFT_SIZE(nstrata, names_len);
	UpliftSums *s = palloc0(size);

	SET_VARSIZE(s, size);
	s->kind = kind;
	s->binary = 1;
	s->nstrata = nstrata;
	s->names_len = names_len;
	return s;
}

static int
uplift_name_cmp(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/*
 * The index of the stratum named (name, len), or -1 - the index where it
 * would be inserted.
 */
static int
uplift_find(const UpliftSums *s, const char *name, int len)
{
	const char *names = UPLIFT_NAMES(s);
	int			lo = 0,
				hi = s->nstrata - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const UpliftStratum *st = &s->strata[mid];
		int			c = uplift_name_cmp(names + st->name_off, st->name_len, name, len);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1 - lo;
}

/*
 * A copy of s with an empty stratum named (name, len) inserted at index
 * at, in the current memory context (s itself is left alone: the
 * aggregate frees it once it has the new state).
 */
static UpliftSums *
uplift_insert(const UpliftSums *s, int at, const char *name, int len)
{
	UpliftSums *r;
	const char *names = UPLIFT_NAMES(s);
	char	   *rnames;
	int			i,
				off = 0;

	if (s->nstrata >= UPLIFT_MAX_STRATA)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("uplift takes at most %d strata", UPLIFT_MAX_STRATA),
				 errhint("Stratify by a variable with few values, such as the segment at assignment.")));
	if ((Size) s->names_len + len > MaxAllocSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("uplift strata names are too long")));
	r = uplift_sums_new(s->kind, s->nstrata + 1, s->names_len + len);
	r->binary = s->binary;
	rnames = UPLIFT_NAMES(r);
	for (i = 0; i < r->nstrata; i++)
	{
		UpliftStratum *st = &r->strata[i];

		if (i == at)
		{
			memcpy(rnames + off, name, len);
			st->name_len = len;
		}
		else
		{
			const UpliftStratum *from = &s->strata[i < at ? i : i - 1];

			*st = *from;
			memcpy(rnames + off, names + from->name_off, from->name_len);
		}
		st->name_off = off;
		off += st->name_len;
	}
	return r;
}

/* Add one row to a cell. */
static void
uplift_cell_add(UpliftCell *c, float8 y, bool has_x, float8 x)
{
	if (c->n >= UPLIFT_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("uplift counts at most 2^53 rows per group")));
	if (c->n == 0)
	{
		c->ymin = c->ymax = y;
		if (has_x)
			c->xmin = c->xmax = x;
	}
	else
	{
		c->ymin = Min(c->ymin, y);
		c->ymax = Max(c->ymax, y);
		if (has_x)
		{
			c->xmin = Min(c->xmin, x);
			c->xmax = Max(c->xmax, x);
		}
	}
	c->n++;
	uplift_sum_add(&c->y, y);
	uplift_sum_add_product(&c->yy, y, y);
	if (has_x)
	{
		uplift_sum_add(&c->x, x);
		uplift_sum_add_product(&c->xx, x, x);
		uplift_sum_add_product(&c->xy, x, y);
	}
}

/* Merge cell b into cell a. */
static void
uplift_cell_merge(UpliftCell *a, const UpliftCell *b)
{
	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		*a = *b;
		return;
	}
	if (a->n > UPLIFT_MAX_ROWS - b->n)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("uplift counts at most 2^53 rows per group")));
	a->n += b->n;
	a->ymin = Min(a->ymin, b->ymin);
	a->ymax = Max(a->ymax, b->ymax);
	a->xmin = Min(a->xmin, b->xmin);
	a->xmax = Max(a->xmax, b->xmax);
	uplift_sum_merge(&a->y, &b->y);
	uplift_sum_merge(&a->yy, &b->yy);
	uplift_sum_merge(&a->x, &b->x);
	uplift_sum_merge(&a->xx, &b->xx);
	uplift_sum_merge(&a->xy, &b->xy);
}

/*
 * The state argument of a support function, which only an aggregate may
 * call: it updates the state in place.
 */
static UpliftSums *
uplift_sums_arg(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname)));
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s needs a state, not NULL", fname),
				 errhint("Call it through custseg.uplift, whose initial state is never NULL.")));
	return (UpliftSums *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
}

static void
uplift_check_kind(const UpliftSums *s, int kind, const char *fname)
{
	if (s->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a %s state, not a %s one", fname,
						uplift_kind_names[kind], uplift_kind_names[s->kind]),
				 errhint("Combine only states of the same form of custseg.uplift.")));
}

/* The treated and outcome arguments, checked. */
static float8
uplift_row_args(FunctionCallInfo fcinfo, bool *treated)
{
	float8		y;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("treated must not be NULL"),
				 errhint("Every row must say whether the customer was treated (true) or held out (false).")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("outcome must not be NULL"),
				 errhint("Use coalesce(outcome, 0) when a customer without an outcome had none (for example no purchase), or leave such rows out with WHERE.")));
	*treated = PG_GETARG_BOOL(1);
	y = PG_GETARG_FLOAT8(2);
	custseg_check_finite(y, "outcome");
	return y + 0.0;				/* -0 is 0 */
}

/*
 * Add a row to the stratum (name, len) of s; returns the state, which is a
 * new one when the stratum is new.
 */
static UpliftSums *
uplift_add_row(UpliftSums *s, const char *name, int len, bool treated,
			   float8 y, bool has_x, float8 x)
{
	int			i = uplift_find(s, name, len);

	if (i < 0)
	{
		i = -1 - i;
		s = uplift_insert(s, i, name, len);
	}
	if (y != 0.0 && y != 1.0)
		s->binary = 0;
	uplift_cell_add(&s->strata[i].cell[treated ? UPLIFT_TREATED : UPLIFT_CONTROL], y, has_x, x);
	return s;
}

/*
 * custseg.uplift_sums_accum(state, treated boolean, outcome float8)
 */
PG_FUNCTION_INFO_V1(uplift_sums_accum);
Datum
uplift_sums_accum(PG_FUNCTION_ARGS)
{
	UpliftSums *s = uplift_sums_arg(fcinfo, 0, "uplift_sums_accum");
	bool		treated;
	float8		y = uplift_row_args(fcinfo, &treated);

	uplift_check_kind(s, UPLIFT_PLAIN, "uplift_sums_accum");
	PG_RETURN_POINTER(uplift_add_row(s, "", 0, treated, y, false, 0.0));
}

/*
 * custseg.uplift_sums_accum(state, treated boolean, outcome float8,
 *							 stratum text)
 */
PG_FUNCTION_INFO_V1(uplift_sums_accum_stratum);
Datum
uplift_sums_accum_stratum(PG_FUNCTION_ARGS)
{
	UpliftSums *s = uplift_sums_arg(fcinfo, 0, "uplift_sums_accum");
	bool		treated;
	float8		y = uplift_row_args(fcinfo, &treated);
	text	   *stratum;

	uplift_check_kind(s, UPLIFT_STRATIFIED, "uplift_sums_accum");
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("stratum must not be NULL"),
				 errhint("Give every row its stratum, for example coalesce(segment, 'none'), or leave such rows out with WHERE.")));
	stratum = PG_GETARG_TEXT_PP(3);
	PG_RETURN_POINTER(uplift_add_row(s, VARDATA_ANY(stratum), VARSIZE_ANY_EXHDR(stratum),
									 treated, y, false, 0.0));
}

/*
 * custseg.uplift_sums_accum(state, treated boolean, outcome float8,
 *							 covariate float8)
 */
PG_FUNCTION_INFO_V1(uplift_sums_accum_covariate);
Datum
uplift_sums_accum_covariate(PG_FUNCTION_ARGS)
{
	UpliftSums *s = uplift_sums_arg(fcinfo, 0, "uplift_sums_accum");
	bool		treated;
	float8		y = uplift_row_args(fcinfo, &treated);
	float8		x;

	uplift_check_kind(s, UPLIFT_CUPED, "uplift_sums_accum");
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("covariate must not be NULL"),
				 errhint("Use coalesce(covariate, 0) when a customer without a pre-period value had none (for example no purchase).")));
	x = PG_GETARG_FLOAT8(3);
	custseg_check_finite(x, "covariate");
	PG_RETURN_POINTER(uplift_add_row(s, "", 0, treated, y, true, x + 0.0));
}

/*
 * custseg.uplift_sums_combine(state, state)
 */
PG_FUNCTION_INFO_V1(uplift_sums_combine);
Datum
uplift_sums_combine(PG_FUNCTION_ARGS)
{
	UpliftSums *s = uplift_sums_arg(fcinfo, 0, "uplift_sums_combine");
	UpliftSums *other = uplift_sums_arg(fcinfo, 1, "uplift_sums_combine");
	const char *onames = UPLIFT_NAMES(other);
	int			i;

	uplift_check_kind(other, s->kind, "uplift_sums_combine");
	for (i = 0; i < other->nstrata; i++)
	{
		const UpliftStratum *ost = &other->strata[i];
		const char *name = onames + ost->name_off;
		int			j = uplift_find(s, name, ost->name_len);

		if (j < 0)
		{
			j = -1 - j;
			s = uplift_insert(s, j, name, ost->name_len);
		}
		uplift_cell_merge(&s->strata[j].cell[UPLIFT_TREATED], &ost->cell[UPLIFT_TREATED]);
		uplift_cell_merge(&s->strata[j].cell[UPLIFT_CONTROL], &ost->cell[UPLIFT_CONTROL]);
	}
	s->binary = s->binary && other->binary;
	PG_RETURN_POINTER(s);
}


/* ----------------------------------------------------------------
 *		Results
 * ----------------------------------------------------------------
 */

/* Result fields of custseg.uplift, 0-based. */
enum
{
	UPLIFT_TEST,
	UPLIFT_TREATED_SIZE,
	UPLIFT_CONTROL_SIZE,
	UPLIFT_TREATED_MEAN,
	UPLIFT_CONTROL_MEAN,
	UPLIFT_ABSOLUTE_LIFT,
	UPLIFT_RELATIVE_LIFT,
	UPLIFT_CI_LOW,
	UPLIFT_CI_HIGH,
	UPLIFT_P_VALUE,
	UPLIFT_STATISTIC,
	UPLIFT_DF,
	UPLIFT_NFIELDS
};

typedef struct UpliftResult
{
	Datum		values[UPLIFT_NFIELDS];
	bool		isnull[UPLIFT_NFIELDS];
} UpliftResult;

/* A field of the result, which must be a finite number. */
static float8
uplift_finite(float8 v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s of the uplift is out of range", what),
				 errhint("Express the outcome in a larger unit, for example thousands.")));
	return v;
}

static void
uplift_set(UpliftResult *r, int field, Datum value)
{
	r->values[field] = value;
	r->isnull[field] = false;
}

static void
uplift_set_float(UpliftResult *r, int field, float8 v, const char *what)
{
	uplift_set(r, field, Float8GetDatum(uplift_finite(v, what)));
}

static void
uplift_result_init(UpliftResult *r, const char *test, int64 n1, int64 n0)
{
	int			i;

	for (i = 0; i < UPLIFT_NFIELDS; i++)
	{
		r->values[i] = (Datum) 0;
		r->isnull[i] = true;
	}
	uplift_set(r, UPLIFT_TEST, CStringGetTextDatum(test));
	uplift_set(r, UPLIFT_TREATED_SIZE, Int64GetDatum(n1));
	uplift_set(r, UPLIFT_CONTROL_SIZE, Int64GetDatum(n0));
}

/* The means, the lift and the relative lift. */
static void
uplift_result_means(UpliftResult *r, float8 mean1, float8 mean0)
{
	float8		lift = uplift_finite(mean1 - mean0, "absolute lift");

	uplift_set_float(r, UPLIFT_TREATED_MEAN, mean1, "treated mean");
	uplift_set_float(r, UPLIFT_CONTROL_MEAN, mean0, "control mean");
	uplift_set_float(r, UPLIFT_ABSOLUTE_LIFT, lift, "absolute lift");
	if (mean0 != 0.0)
		uplift_set_float(r, UPLIFT_RELATIVE_LIFT, lift / mean0, "relative lift");
}

/* The interval lift -/+ half, unless the standard error is 0. */
static void
uplift_result_interval(UpliftResult *r, float8 lift, float8 se, float8 half)
{
	if (se > 0.0)
	{
		uplift_set_float(r, UPLIFT_CI_LOW, lift - half, "confidence interval");
		uplift_set_float(r, UPLIFT_CI_HIGH, lift + half, "confidence interval");
	}
}

/*
 * Welch's test from the squared standard errors a[k] of k = 0 .. m - 1
 * independent means, each from n[k] rows, weighted into the lift: the
 * Welch-Satterthwaite degrees of freedom (sum a)^2 / sum (a^2 / (n - 1)).
 */
static void
uplift_result_welch(UpliftResult *r, float8 lift, const float8 *a, const int64 *n, int m)
{
	float8		v = 0.0,
				d = 0.0,
				se;
	int			k;

	for (k = 0; k < m; k++)
		v += a[k];
	se = uplift_finite(sqrt(v), "standard error");
	if (!(se > 0.0))
		return;
	for (k = 0; k < m; k++)
	{
		float8		w = a[k] / v;

		d += w * w / ((float8) n[k] - 1.0);
	}
	{
		float8		df = 1.0 / d,
					t = lift / se;

		uplift_set_float(r, UPLIFT_STATISTIC, t, "statistic");
		uplift_set(r, UPLIFT_P_VALUE, Float8GetDatum(2.0 * student_t_upper(fabs(t), df)));
		uplift_set_float(r, UPLIFT_DF, df, "degrees of freedom");
		uplift_result_interval(r, lift, se, student_t_upper_inverse(0.025, df) * se);
	}
}

/*
 * Two groups: a two-proportion z-test (binary) or Welch's t-test on the
 * moments of each.  Fields that need a group missing, or (Welch) two rows
 * in each group, are NULL.
 */
static void
uplift_two_groups(UpliftResult *r, const UpliftMoments *t, const UpliftMoments *c,
				  bool binary, const char *welch_name)
{
	float8		n1 = (float8) t->n,
				n0 = (float8) c->n,
				lift;

	uplift_result_init(r, binary ? "two-proportion z-test" : welch_name, t->n, c->n);
	if (t->n > 0)
		uplift_set_float(r, UPLIFT_TREATED_MEAN, t->mean, "treated mean");
	if (c->n > 0)
		uplift_set_float(r, UPLIFT_CONTROL_MEAN, c->mean, "control mean");
	if (t->n == 0 || c->n == 0)
		return;
	uplift_result_means(r, t->mean, c->mean);
	lift = t->mean - c->mean;
	if (binary)
	{
		float8		pooled = (t->sum + c->sum) / (n1 + n0);
		float8		se_pooled = sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n0));
		float8		se = sqrt(t->mean * (1.0 - t->mean) / n1 + c->mean * (1.0 - c->mean) / n0);

		if (se_pooled > 0.0)
		{
			float8		z = lift / se_pooled;

			uplift_set_float(r, UPLIFT_STATISTIC, z, "statistic");
			uplift_set(r, UPLIFT_P_VALUE, Float8GetDatum(erfc(fabs(z) * M_SQRT1_2)));
		}
		uplift_result_interval(r, lift, se, UPLIFT_Z_975 * se);
	}
	else if (t->n >= 2 && c->n >= 2)
	{
		float8		a[2];
		int64		n[2];

		a[0] = t->m2 / (n1 - 1.0) / n1;	/* squared standard errors of the means */
		a[1] = c->m2 / (n0 - 1.0) / n0;
		n[0] = t->n;
		n[1] = c->n;
		uplift_result_welch(r, lift, a, n, 2);
	}
}

static Datum
uplift_result_datum(FunctionCallInfo fcinfo, UpliftResult *r)
{
	TupleDesc	desc = custseg_result_desc(fcinfo);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, r->values, r->isnull)));
}

/* See custseg.h: the result of the two groups of a 0.1.0 state. */
Datum
custseg_uplift_compare(FunctionCallInfo fcinfo, const UpliftMoments *treated,
					   const UpliftMoments *control, bool binary)
{
	UpliftResult r;

	uplift_two_groups(&r, treated, control, binary, "Welch t-test");
	return uplift_result_datum(fcinfo, &r);
}

/* The rounded moments of the outcomes of a cell. */
static void
uplift_cell_moments(const UpliftCell *c, UpliftMoments *m)
{
	float8		n = (float8) c->n;

	m->n = c->n;
	m->sum = dd_from_sum(&c->y).hi;
	m->mean = 0.0;
	m->m2 = 0.0;
	if (c->n == 0)
		return;
	m->mean = dd_div(dd_from_sum(&c->y), n).hi;
	if (c->ymin != c->ymax)
		m->m2 = Max(0.0, dd_central(&c->yy, &c->y, &c->y, n));
	if (m->mean < c->ymin)		/* rounding cannot leave the range */
		m->mean = c->ymin;
	if (m->mean > c->ymax)
		m->mean = c->ymax;
}

/*
 * The stratified estimate: with N_h rows in stratum h of N, weight
 * w_h = N_h / N, the lift sum w_h (mean1_h - mean0_h) and its squared
 * standard error sum w_h^2 (v1_h / n1_h + v0_h / n0_h).  Binary outcomes:
 * v = p (1 - p) for the interval, and the within-stratum pooled p for the
 * test; otherwise the sample variances, and the Welch-Satterthwaite degrees
 * of freedom over the 2H means.  Every stratum needs both groups (and
 * two rows in each for Welch), else the statistics are NULL.
 */
static void
uplift_stratified(UpliftResult *r, const UpliftSums *s)
{
	int64		n1 = 0,
				n0 = 0;
	float8		total,
				mean1 = 0.0,
				mean0 = 0.0,
				v_test = 0.0,
				v_ci = 0.0,
				lift;
	float8	   *a;
	int64	   *n;
	bool		complete = s->nstrata > 0,
				welch_ok = true;
	int			h;

	for (h = 0; h < s->nstrata; h++)
	{
		const UpliftStratum *st = &s->strata[h];

		n1 += st->cell[UPLIFT_TREATED].n;
		n0 += st->cell[UPLIFT_CONTROL].n;
		if (st->cell[UPLIFT_TREATED].n == 0 || st->cell[UPLIFT_CONTROL].n == 0)
			complete = false;
		if (st->cell[UPLIFT_TREATED].n < 2 || st->cell[UPLIFT_CONTROL].n < 2)
			welch_ok = false;
	}
	uplift_result_init(r, s->binary ? "stratified two-proportion z-test" : "stratified Welch t-test",
					   n1, n0);
	if (!complete)
		return;

	total = (float8) n1 + (float8) n0;
	a = palloc(sizeof(float8) * 2 * s->nstrata);
	n = palloc(sizeof(int64) * 2 * s->nstrata);
	for (h = 0; h < s->nstrata; h++)
	{
		const UpliftStratum *st = &s->strata[h];
		UpliftMoments t,
					c;
		float8		w,
					w2;

		CHECK_FOR_INTERRUPTS();
		uplift_cell_moments(&st->cell[UPLIFT_TREATED], &t);
		uplift_cell_moments(&st->cell[UPLIFT_CONTROL], &c);
		w = ((float8) t.n + (float8) c.n) / total;
		w2 = w * w;
		mean1 += w * t.mean;
		mean0 += w * c.mean;
		if (s->binary)
		{
			float8		p = (t.sum + c.sum) / ((float8) t.n + (float8) c.n);

			v_test += w2 * p * (1.0 - p) * (1.0 / (float8) t.n + 1.0 / (float8) c.n);
			v_ci += w2 * (t.mean * (1.0 - t.mean) / (float8) t.n +
						  c.mean * (1.0 - c.mean) / (float8) c.n);
		}
		else if (welch_ok)
		{
			a[2 * h] = w2 * t.m2 / ((float8) t.n - 1.0) / (float8) t.n;
			a[2 * h + 1] = w2 * c.m2 / ((float8) c.n - 1.0) / (float8) c.n;
			n[2 * h] = t.n;
			n[2 * h + 1] = c.n;
		}
	}
	uplift_result_means(r, mean1, mean0);
	lift = mean1 - mean0;
	if (s->binary)
	{
		float8		se_test = sqrt(v_test),
					se = sqrt(v_ci);

		if (se_test > 0.0)
		{
			float8		z = lift / se_test;

			uplift_set_float(r, UPLIFT_STATISTIC, z, "statistic");
			uplift_set(r, UPLIFT_P_VALUE, Float8GetDatum(erfc(fabs(z) * M_SQRT1_2)));
		}
		uplift_result_interval(r, lift, se, UPLIFT_Z_975 * se);
	}
	else if (welch_ok)
		uplift_result_welch(r, lift, a, n, 2 * s->nstrata);
	pfree(a);
	pfree(n);
}

/*
 * CUPED: theta = C_xy / C_xx over all rows (C the centred sums of squares
 * and products); each group's outcome adjusted to y - theta (x - mean x),
 * whose mean is mean_y - theta (mean_x,g - mean x) and whose centred sum of
 * squares is C_yy,g - 2 theta C_xy,g + theta^2 C_xx,g; then Welch's test.
 * A constant covariate gives theta 0 and the plain result.
 */
static void
uplift_cuped(UpliftResult *r, const UpliftSums *s)
{
	const UpliftCell *ct,
			   *cc;
	UpliftCell	all;
	UpliftMoments t,
				c;
	float8		theta = 0.0,
				mean_x;

	if (s->nstrata == 0)
	{
		UpliftMoments none = {0};

		uplift_two_groups(r, &none, &none, s->binary, "Welch t-test");
		return;
	}
	ct = &s->strata[0].cell[UPLIFT_TREATED];
	cc = &s->strata[0].cell[UPLIFT_CONTROL];
	uplift_cell_moments(ct, &t);
	uplift_cell_moments(cc, &c);
	all = *ct;
	uplift_cell_merge(&all, cc);
	if (all.xmin != all.xmax)
	{
		float8		nall = (float8) all.n;
		float8		cxx = dd_central(&all.xx, &all.x, &all.x, nall),
					cxy = dd_central(&all.xy, &all.x, &all.y, nall);

		if (cxx > 0.0)
			theta = cxy / cxx;
		if (!isfinite(theta))
			uplift_too_large();
	}
	if (theta == 0.0)
	{
		uplift_two_groups(r, &t, &c, s->binary, "Welch t-test");
		return;
	}
	mean_x = dd_div(dd_from_sum(&all.x), (float8) all.n).hi;
	{
		UpliftMoments *m[2] = {&t, &c};
		const UpliftCell *cell[2] = {ct, cc};
		int			g;

		for (g = 0; g < 2; g++)
		{
			float8		n = (float8) cell[g]->n;
			float8		mx,
						cxx,
						cxy;

			if (cell[g]->n == 0)
				continue;
			mx = dd_div(dd_from_sum(&cell[g]->x), n).hi;
			cxx = cell[g]->xmin == cell[g]->xmax ? 0.0 :
				Max(0.0, dd_central(&cell[g]->xx, &cell[g]->x, &cell[g]->x, n));
			cxy = dd_central(&cell[g]->xy, &cell[g]->x, &cell[g]->y, n);
			if (cxx == 0.0 || m[g]->m2 == 0.0)
				cxy = 0.0;
			m[g]->mean = m[g]->mean - theta * (mx - mean_x);
			m[g]->m2 = Max(0.0, m[g]->m2 - 2.0 * theta * cxy + theta * theta * cxx);
			if (!isfinite(m[g]->mean) || !isfinite(m[g]->m2))
				uplift_too_large();
		}
	}
	uplift_two_groups(r, &t, &c, false, "Welch t-test, CUPED");
}

/*
 * custseg.uplift_sums_final(state) -> custseg.uplift
 */
PG_FUNCTION_INFO_V1(uplift_sums_final);
Datum
uplift_sums_final(PG_FUNCTION_ARGS)
{
	const UpliftSums *s = (const UpliftSums *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	UpliftResult r;

	switch (s->kind)
	{
		case UPLIFT_PLAIN:
			{
				UpliftMoments t = {0},
							c = {0};

				if (s->nstrata == 1)
				{
					uplift_cell_moments(&s->strata[0].cell[UPLIFT_TREATED], &t);
					uplift_cell_moments(&s->strata[0].cell[UPLIFT_CONTROL], &c);
				}
				uplift_two_groups(&r, &t, &c, s->binary, "Welch t-test");
				break;
			}
		case UPLIFT_STRATIFIED:
			uplift_stratified(&r, s);
			break;
		default:
			uplift_cuped(&r, s);
			break;
	}
	return uplift_result_datum(fcinfo, &r);
}


/* ----------------------------------------------------------------
 *		custseg.uplift_sums text form
 * ----------------------------------------------------------------
 *
 * {"kind": "plain", "binary": true, "strata": [{"name": "", "treated": [...],
 * "control": [...]}, ...]}: keys in this order, strata sorted by name; a
 * group is [n, ymin, ymax, y, y_lo, yy, yy_lo], and for "cuped" also
 * [..., xmin, xmax, x, x_lo, xx, xx_lo, xy, xy_lo]; numbers printed
 * shortest-exact and read back bit for bit; names are JSON strings, with
 * \" \\ and control characters escaped.
 */

#define UPLIFT_HINT "Use the text form that custseg.uplift_sums prints, e.g. {\"kind\": \"plain\", \"binary\": true, \"strata\": []}."

static void
uplift_expect_word(CustsegParser *ps, const char *word)
{
	size_t		len = strlen(word);

	custseg_skip_space(ps);
	if (strncmp(ps->p, word, len) != 0)
		custseg_parse_fail(ps, "Expected %s at character %d.", word, custseg_parse_pos(ps));
	ps->p += len;
}

static void
uplift_expect_key(CustsegParser *ps, const char *key)
{
	char		quoted[32];

	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	uplift_expect_word(ps, quoted);
	custseg_expect(ps, ':');
}

static int
uplift_hex(CustsegParser *ps, char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	custseg_parse_fail(ps, "Malformed \\u escape at character %d.", custseg_parse_pos(ps));
	return 0;					/* not reached */
}

/* A JSON string with the escapes of ASCII characters, into buf. */
static void
uplift_parse_name(CustsegParser *ps, StringInfo buf)
{
	custseg_expect(ps, '"');
	for (;;)
	{
		char		c = *ps->p;

		if (c == '\0')
			custseg_parse_fail(ps, "Unterminated string.");
		ps->p++;
		if (c == '"')
			break;
		if ((unsigned char) c < 0x20)
			custseg_parse_fail(ps, "Unescaped control character at character %d.",
							   custseg_parse_pos(ps));
		if (c == '\\')
		{
			c = *ps->p++;
			switch (c)
			{
				case '"':
				case '\\':
				case '/':
					break;
				case 'b':
					c = '\b';
					break;
				case 'f':
					c = '\f';
					break;
				case 'n':
					c = '\n';
					break;
				case 'r':
					c = '\r';
					break;
				case 't':
					c = '\t';
					break;
				case 'u':
					{
						int			v = 0,
									i;

						for (i = 0; i < 4; i++)
							v = v * 16 + uplift_hex(ps, *ps->p++);
						if (v == 0 || v > 0x7f)
							custseg_parse_fail(ps, "Only \\u0001 to \\u007f are allowed, at character %d.",
											   custseg_parse_pos(ps));
						c = (char) v;
						break;
					}
				default:
					custseg_parse_fail(ps, "Malformed escape at character %d.", custseg_parse_pos(ps));
			}
		}
		appendStringInfoChar(buf, c);
	}
	if (!pg_verify_mbstr(GetDatabaseEncoding(), buf->data, buf->len, true))
		custseg_parse_fail(ps, "A stratum name is not valid in the database encoding.");
}

static void
uplift_parse_sum(CustsegParser *ps, UpliftSum *s)
{
	custseg_expect(ps, ',');
	s->hi = custseg_parse_number(ps);
	custseg_expect(ps, ',');
	s->lo = custseg_parse_number(ps);
	if (!isfinite(s->hi + s->lo))
		custseg_parse_fail(ps, "A sum is out of range.");
}

static void
uplift_parse_cell(CustsegParser *ps, const char *key, UpliftCell *c, int kind, bool binary)
{
	float8		n;

	uplift_expect_key(ps, key);
	custseg_expect(ps, '[');
	n = custseg_parse_number(ps);
	if (n != floor(n) || n < 0.0 || n > (float8) UPLIFT_MAX_ROWS)
		custseg_parse_fail(ps, "A group size must be a whole number between 0 and 2^53.");
	c->n = (int64) n;
	custseg_expect(ps, ',');
	c->ymin = custseg_parse_number(ps);
	custseg_expect(ps, ',');
	c->ymax = custseg_parse_number(ps);
	uplift_parse_sum(ps, &c->y);
	uplift_parse_sum(ps, &c->yy);
	if (kind == UPLIFT_CUPED)
	{
		custseg_expect(ps, ',');
		c->xmin = custseg_parse_number(ps);
		custseg_expect(ps, ',');
		c->xmax = custseg_parse_number(ps);
		uplift_parse_sum(ps, &c->x);
		uplift_parse_sum(ps, &c->xx);
		uplift_parse_sum(ps, &c->xy);
	}
	custseg_expect(ps, ']');

	if (c->n == 0)
	{
		if (c->ymin != 0.0 || c->ymax != 0.0 || c->xmin != 0.0 || c->xmax != 0.0 ||
			c->y.hi != 0.0 || c->y.lo != 0.0 || c->yy.hi != 0.0 || c->yy.lo != 0.0 ||
			c->x.hi != 0.0 || c->x.lo != 0.0 || c->xx.hi != 0.0 || c->xx.lo != 0.0 ||
			c->xy.hi != 0.0 || c->xy.lo != 0.0)
			custseg_parse_fail(ps, "An empty group must have every value 0.");
		return;
	}
	if (c->ymin > c->ymax || c->xmin > c->xmax)
		custseg_parse_fail(ps, "A least value must not exceed the greatest.");
	if (c->n == 1 && (c->ymin != c->ymax || c->xmin != c->xmax))
		custseg_parse_fail(ps, "A group of one row has one value.");
	if (c->yy.hi + c->yy.lo < 0.0 || c->xx.hi + c->xx.lo < 0.0)
		custseg_parse_fail(ps, "A sum of squares must not be negative.");
	if (binary)
	{
		float8		y = c->y.hi + c->y.lo;

		if (c->ymin < 0.0 || c->ymax > 1.0 || c->y.lo != 0.0 || c->yy.lo != 0.0 ||
			y != floor(y) || y < 0.0 || y > n || c->yy.hi != c->y.hi)
			custseg_parse_fail(ps, "With binary outcomes a sum must be a whole number between 0 and the group size, and equal the sum of squares.");
	}
}

PG_FUNCTION_INFO_V1(uplift_sums_in);
Datum
uplift_sums_in(PG_FUNCTION_ARGS)
{
	CustsegParser ps;
	StringInfoData names;
	List	   *strata = NIL;
	UpliftSums *s;
	ListCell   *lc;
	int			kind = 0,
				binary,
				i,
				off = 0;
	char		word[32];

	ps.input = PG_GETARG_CSTRING(0);
	ps.p = ps.input;
	ps.type_name = "custseg.uplift_sums";
	ps.hint = UPLIFT_HINT;
	initStringInfo(&names);

	custseg_expect(&ps, '{');
	uplift_expect_key(&ps, "kind");
	custseg_parse_string(&ps, word);
	for (i = UPLIFT_PLAIN; i <= UPLIFT_CUPED; i++)
		if (strcmp(word, uplift_kind_names[i]) == 0)
			kind = i;
	if (kind == 0)
		custseg_parse_fail(&ps, "The kind must be \"plain\", \"stratified\" or \"cuped\".");
	custseg_expect(&ps, ',');
	uplift_expect_key(&ps, "binary");
	custseg_skip_space(&ps);
	if (strncmp(ps.p, "true", 4) == 0)
		binary = 1;
	else if (strncmp(ps.p, "false", 5) == 0)
		binary = 0;
	else
		custseg_parse_fail(&ps, "Expected true or false for \"binary\".");
	ps.p += binary ? 4 : 5;
	custseg_expect(&ps, ',');
	uplift_expect_key(&ps, "strata");
	custseg_expect(&ps, '[');
	if (!custseg_accept(&ps, ']'))
	{
		do
		{
			UpliftStratum *st = palloc0(sizeof(UpliftStratum));
			int			start = names.len;

			custseg_expect(&ps, '{');
			uplift_expect_key(&ps, "name");
			uplift_parse_name(&ps, &names);
			st->name_off = start;
			st->name_len = names.len - start;
			custseg_expect(&ps, ',');
			uplift_parse_cell(&ps, "treated", &st->cell[UPLIFT_TREATED], kind, binary);
			custseg_expect(&ps, ',');
			uplift_parse_cell(&ps, "control", &st->cell[UPLIFT_CONTROL], kind, binary);
			custseg_expect(&ps, '}');
			if (st->cell[UPLIFT_TREATED].n == 0 && st->cell[UPLIFT_CONTROL].n == 0)
				custseg_parse_fail(&ps, "A stratum must have at least one row.");
			if (strata != NIL)
			{
				const UpliftStratum *prev = llast(strata);

				if (uplift_name_cmp(names.data + prev->name_off, prev->name_len,
									names.data + st->name_off, st->name_len) >= 0)
					custseg_parse_fail(&ps, "Strata must be sorted by name, each name once.");
			}
			if (kind != UPLIFT_STRATIFIED && (st->name_len != 0 || strata != NIL))
				custseg_parse_fail(&ps, "A %s state has at most one stratum, named \"\".",
								   uplift_kind_names[kind]);
			if (list_length(strata) >= UPLIFT_MAX_STRATA)
				custseg_parse_fail(&ps, "A state has at most %d strata.", UPLIFT_MAX_STRATA);
			strata = lappend(strata, st);
		} while (custseg_accept(&ps, ','));
		custseg_expect(&ps, ']');
	}
	custseg_expect(&ps, '}');
	custseg_skip_space(&ps);
	if (*ps.p != '\0')
		custseg_parse_fail(&ps, "Unexpected text after the object at character %d.",
						   custseg_parse_pos(&ps));

	s = uplift_sums_new(kind, list_length(strata), names.len);
	s->binary = binary;
	i = 0;
	foreach(lc, strata)
	{
		s->strata[i] = *(UpliftStratum *) lfirst(lc);
		off += s->strata[i].name_len;
		i++;
	}
	Assert(off == names.len);
	memcpy(UPLIFT_NAMES(s), names.data, names.len);
	PG_RETURN_POINTER(s);
}

static void
uplift_append_sum(StringInfo buf, const UpliftSum *s)
{
	appendStringInfoString(buf, ", ");
	custseg_append_float8(buf, s->hi);
	appendStringInfoString(buf, ", ");
	custseg_append_float8(buf, s->lo);
}

static void
uplift_append_cell(StringInfo buf, const char *key, const UpliftCell *c, int kind)
{
	appendStringInfo(buf, ", \"%s\": [" INT64_FORMAT ", ", key, c->n);
	custseg_append_float8(buf, c->ymin);
	appendStringInfoString(buf, ", ");
	custseg_append_float8(buf, c->ymax);
	uplift_append_sum(buf, &c->y);
	uplift_append_sum(buf, &c->yy);
	if (kind == UPLIFT_CUPED)
	{
		appendStringInfoString(buf, ", ");
		custseg_append_float8(buf, c->xmin);
		appendStringInfoString(buf, ", ");
		custseg_append_float8(buf, c->xmax);
		uplift_append_sum(buf, &c->x);
		uplift_append_sum(buf, &c->xx);
		uplift_append_sum(buf, &c->xy);
	}
	appendStringInfoChar(buf, ']');
}

PG_FUNCTION_INFO_V1(uplift_sums_out);
Datum
uplift_sums_out(PG_FUNCTION_ARGS)
{
	const UpliftSums *s = (const UpliftSums *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	const char *names = UPLIFT_NAMES(s);
	StringInfoData buf;
	int			i,
				j;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\": \"%s\", \"binary\": %s, \"strata\": [",
					 uplift_kind_names[s->kind], s->binary ? "true" : "false");
	for (i = 0; i < s->nstrata; i++)
	{
		const UpliftStratum *st = &s->strata[i];

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "{\"name\": \"");
		for (j = 0; j < st->name_len; j++)
		{
			unsigned char c = names[st->name_off + j];

			if (c == '"' || c == '\\')
				appendStringInfo(&buf, "\\%c", c);
			else if (c < 0x20 || c == 0x7f)
				appendStringInfo(&buf, "\\u%04x", c);
			else
				appendStringInfoChar(&buf, c);
		}
		appendStringInfoChar(&buf, '"');
		uplift_append_cell(&buf, "treated", &st->cell[UPLIFT_TREATED], s->kind);
		uplift_append_cell(&buf, "control", &st->cell[UPLIFT_CONTROL], s->kind);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}
