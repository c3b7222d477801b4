/*-------------------------------------------------------------------------
 *
 * rfm.c
 *	  RFM thresholds and scores.
 *
 * A thresholds value holds, per dimension (recency, frequency, monetary),
 * k ascending cut points c_1 .. c_k with k <= bins - 1.  With
 * b(v) = #{j : c_j <= v}, frequency and monetary score 1 + b(v) and recency
 * scores k + 1 - b(v), so every score lies in 1 .. bins and higher is better
 * in every dimension.  The methods differ only in how they choose the cuts:
 *
 *	'rfm'		the rule of the R package rfm 0.3.0: the interior quantiles
 *				(R type 7) at 1/bins, 2/bins, ... plus one; always bins - 1
 *				cuts, which may repeat (a repeated cut leaves a score unused).
 *	'quantile'	equal-count groups of whole distinct values, built greedily
 *				(rfm_cuts_quantile); strictly increasing cuts.
 *	'custom'	cuts given by the user (rfm_thresholds_make).
 *
 * The aggregate custseg.rfm_thresholds needs every value to cut exactly.
 * Its state type custseg.rfm_thresholds_state is a varlena whose flat form
 * holds, per dimension, the sorted distinct values with their counts; while
 * aggregating it is an expanded object (RfmStateExpanded) that appends raw
 * values to growable arrays and sorts them (radix sort) only when it must
 * be flattened or finalized.  Both types have an exact JSON text form:
 * floats are printed shortest-exact and parsed back bit for bit.
 *
 * The window function custseg.rfm_score(...) OVER (...) reads its whole
 * partition once, computes the same thresholds with the same code, and
 * scores every row against them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "custseg.h"

#define RFM_NDIMS		3
#define RFM_RECENCY		0
#define RFM_MAX_CUTS	(CUSTSEG_MAX_BINS - 1)
#define RFM_DEFAULT_BINS 5

#define RFM_ABS64(x)	((x) < 0 ? -(x) : (x))

/*
 * Most customers one state may count: 2^53.  Counts of states that come
 * from text or from other states are checked against it, so that sums of
 * counts and the products in rfm_cuts_quantile stay far from overflow.
 */
#define RFM_MAX_CUSTOMERS	(INT64CONST(1) << 53)

typedef enum RfmMethod
{
	RFM_METHOD_QUANTILE = 1,
	RFM_METHOD_RFM = 2,
	RFM_METHOD_CUSTOM = 3
} RfmMethod;

static const char *const rfm_dim_names[RFM_NDIMS] = {"recency", "frequency", "monetary"};
static const char *const rfm_method_names[] = {NULL, "quantile", "rfm", "custom"};

/*
 * custseg.rfm_thresholds: fixed size, unused cut slots are zero.
 */
typedef struct RfmThresholds
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int32		method;			/* RfmMethod */
	int32		bins;			/* CUSTSEG_MIN_BINS .. CUSTSEG_MAX_BINS */
	int32		ncuts[RFM_NDIMS];	/* 0 .. bins - 1 */
	float8		cuts[RFM_NDIMS][RFM_MAX_CUTS];
} RfmThresholds;

/* One distinct value of a dimension and the number of customers with it. */
typedef struct RfmPair
{
	float8		value;
	int64		count;
} RfmPair;

/*
 * Flat custseg.rfm_thresholds_state: the pairs of recency, then those of
 * frequency, then those of monetary, each sorted by strictly increasing value.
 */
typedef struct RfmStateFlat
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int32		method;			/* RFM_METHOD_QUANTILE or RFM_METHOD_RFM */
	int32		bins;
	int32		unused;			/* zero */
	int64		customers;		/* sum of the counts of every dimension */
	int64		npairs[RFM_NDIMS];
	RfmPair		pairs[FLEXIBLE_ARRAY_MEMBER];
} RfmStateFlat;

#define RFM_STATE_FLAT_HDRSZ	offsetof(RfmStateFlat, pairs)

/* One dimension of an expanded state. */
typedef struct RfmColumn
{
	float8	   *raw;			/* values not sorted yet, one per customer */
	int64		nraw;
	int64		rawcap;
	RfmPair    *pairs;			/* sorted distinct values with counts */
	int64		npairs;
} RfmColumn;

#define RFM_STATE_MAGIC		0x52464d53	/* "RFMS" */

/* Expanded custseg.rfm_thresholds_state, the form used while aggregating. */
typedef struct RfmStateExpanded
{
	ExpandedObjectHeader hdr;
	int32		magic;
	int32		method;
	int32		bins;
	int64		customers;
	RfmColumn	col[RFM_NDIMS];
} RfmStateExpanded;

/* A state datum, expanded or flat, read in place. */
typedef struct RfmStateView
{
	int32		method;
	int32		bins;
	int64		customers;
	const RfmPair *pairs[RFM_NDIMS];
	int64		npairs[RFM_NDIMS];
} RfmStateView;

static Size rfm_state_get_flat_size(ExpandedObjectHeader *eohptr);
static void rfm_state_flatten_into(ExpandedObjectHeader *eohptr,
								   void *result, Size allocated_size);

static const ExpandedObjectMethods rfm_state_methods =
{
	rfm_state_get_flat_size,
	rfm_state_flatten_into
};


/* ----------------------------------------------------------------
 *		Checks shared by every entry point
 * ----------------------------------------------------------------
 */

/* Reject what no customer can have: NaN, infinities, negative days or orders. */
static void
rfm_check_values(const float8 *v)
{
	custseg_check_finite(v[0], "recency");
	custseg_check_finite(v[1], "frequency");
	custseg_check_finite(v[2], "monetary");
	if (v[0] < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must not be negative"),
				 errhint("Recency is the number of days since the last order; check that the as-of date is not before the last order.")));
	if (v[1] < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must not be negative"),
				 errhint("Frequency is a number of orders; count the orders, not their net of returns.")));
}

/*
 * The RFM values of a call, starting at argument argno: three float8
 * arguments (recency, frequency, monetary) or, when summary is true, one
 * custseg.customer_summary whose recency_days, orders and revenue are used.
 * The caller knows which from its own SQL signature (one C entry point per
 * signature); nothing here looks at the call's expression, which callers
 * such as Citus's worker_partial_agg do not pass.  *next is set to the
 * argument after them.  False when a value is NULL (not yet checked).
 */
static bool
rfm_values_arg(FunctionCallInfo fcinfo, int argno, bool summary, float8 *v,
			   int *next)
{
	if (!summary)
	{
		*next = argno + RFM_NDIMS;
		if (PG_ARGISNULL(argno) || PG_ARGISNULL(argno + 1) || PG_ARGISNULL(argno + 2))
			return false;
		v[0] = PG_GETARG_FLOAT8(argno);
		v[1] = PG_GETARG_FLOAT8(argno + 1);
		v[2] = PG_GETARG_FLOAT8(argno + 2);
		return true;
	}
	*next = argno + 1;
	return !PG_ARGISNULL(argno) && custseg_summary_rfm(PG_GETARG_DATUM(argno), v);
}

/*
 * An entry point's check that it was called with the arguments of its own
 * SQL signature: nargs of them, bound to the C symbol by the install script.
 */
static void
rfm_check_nargs(FunctionCallInfo fcinfo, int nargs, const char *symbol)
{
	if (PG_NARGS() != nargs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("C function %s takes %d arguments, not %d",
						symbol, nargs, PG_NARGS()),
				 errhint("Bind %s only to the SQL signature the custseg install script gives it.",
						 symbol)));
}

/*
 * Whether the first RFM argument (argno) of a call to a C symbol of
 * custseg 0.1.0 is a summary, for the calls that its argument count alone
 * does not settle.  0.1.0 bound one symbol to both forms and told them apart
 * by the call's expression; a caller that passes none (Citus's
 * worker_partial_agg, any fmgr_info caller) gets an error, never a guess.
 */
static bool
rfm_legacy_is_summary(FunctionCallInfo fcinfo, int argno, const char *symbol)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);

	if (!OidIsValid(type))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s of custseg 0.1.0 cannot tell its argument types in this call",
						symbol),
				 errdetail("The call carries no expression to take the types from, as when Citus runs the aggregate on a worker."),
				 errhint("Run ALTER EXTENSION custseg UPDATE, which gives every signature its own C function.")));
	return type != FLOAT8OID;
}

/* The method named by a text argument; 'custom' is not a method to compute. */
static int
rfm_method_from_text(text *name)
{
	const char *s = VARDATA_ANY(name);
	int			len = VARSIZE_ANY_EXHDR(name);

	if (len == 8 && memcmp(s, "quantile", 8) == 0)
		return RFM_METHOD_QUANTILE;
	if (len == 3 && memcmp(s, "rfm", 3) == 0)
		return RFM_METHOD_RFM;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown RFM method \"%s\"", text_to_cstring(name)),
			 errhint("Use 'quantile' (equal-count bins) or 'rfm' (the rule of the R package rfm).")));
	return 0;					/* keep compiler quiet */
}

/* The bins and method arguments of the aggregate and the window function. */
static void
rfm_check_options(FunctionCallInfo fcinfo, int binsarg, int *bins, int *method)
{
	*bins = RFM_DEFAULT_BINS;
	*method = RFM_METHOD_QUANTILE;
	if (PG_NARGS() > binsarg)
	{
		if (PG_ARGISNULL(binsarg))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("bins must not be NULL"),
					 errhint("Five bins per dimension is the usual choice.")));
		*bins = PG_GETARG_INT32(binsarg);
		custseg_check_bins(*bins);
	}
	if (PG_NARGS() > binsarg + 1)
	{
		if (PG_ARGISNULL(binsarg + 1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("method must not be NULL"),
					 errhint("Use 'quantile' (equal-count bins) or 'rfm' (the rule of the R package rfm).")));
		*method = rfm_method_from_text(PG_GETARG_TEXT_PP(binsarg + 1));
	}
}

/* bins and method must not change from one row (or partial state) to the next. */
static void
rfm_check_same_options(int bins1, int method1, int bins2, int method2)
{
	if (bins1 != bins2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be the same for every row, not %d and %d",
						bins1, bins2),
				 errhint("Pass a constant as bins.")));
	if (method1 != method2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("method must be the same for every row, not '%s' and '%s'",
						rfm_method_names[method1], rfm_method_names[method2]),
				 errhint("Pass a constant as method.")));
}


/* ----------------------------------------------------------------
 *		Sorting values into distinct values with counts
 * ----------------------------------------------------------------
 */

#define RFM_SIGN_BIT	UINT64CONST(0x8000000000000000)

/* An unsigned key that sorts like the float8 (NaN excluded, -0 made +0). */
static inline uint64
rfm_key(float8 v)
{
	uint64		u;

	memcpy(&u, &v, sizeof(u));
	return (u & RFM_SIGN_BIT) ? ~u : (u | RFM_SIGN_BIT);
}

static inline float8
rfm_unkey(uint64 u)
{
	float8		v;

	u = (u & RFM_SIGN_BIT) ? (u & ~RFM_SIGN_BIT) : ~u;
	memcpy(&v, &u, sizeof(v));
	return v;
}

/*
 * Sort n keys: insertion sort when short, else an LSD radix sort on bytes
 * that skips the bytes all keys share (integral amounts share most of them).
 */
static void
rfm_sort_keys(uint64 *keys, int64 n)
{
	int64	   *counts;
	uint64	   *tmp,
			   *src,
			   *dst;
	int64		i;
	int			d;

	if (n < 64)
	{
		for (i = 1; i < n; i++)
		{
			uint64		k = keys[i];
			int64		j = i;

			while (j > 0 && keys[j - 1] > k)
			{
				keys[j] = keys[j - 1];
				j--;
			}
			keys[j] = k;
		}
		return;
	}

	counts = palloc0(sizeof(int64) * 8 * 256);
	for (i = 0; i < n; i++)
	{
		uint64		k = keys[i];

		for (d = 0; d < 8; d++)
			counts[d * 256 + ((k >> (8 * d)) & 0xff)]++;
	}

	tmp = palloc_extended(sizeof(uint64) * n, MCXT_ALLOC_HUGE);
	src = keys;
	dst = tmp;
	for (d = 0; d < 8; d++)
	{
		int64	   *c = counts + d * 256;
		int			shift = 8 * d;
		int64		sum = 0;
		int			b;
		uint64	   *swap;

		if (c[(src[0] >> shift) & 0xff] == n)
			continue;			/* every key has this byte */
		for (b = 0; b < 256; b++)
		{
			int64		cnt = c[b];

			c[b] = sum;
			sum += cnt;
		}
		for (i = 0; i < n; i++)
		{
			uint64		k = src[i];

			dst[c[(k >> shift) & 0xff]++] = k;
		}
		swap = src;
		src = dst;
		dst = swap;
		CHECK_FOR_INTERRUPTS();
	}
	if (src != keys)
		memcpy(keys, src, sizeof(uint64) * n);
	pfree(tmp);
	pfree(counts);
}

/*
 * Sort n finite values (destroying the array) and return their distinct
 * values with counts, allocated in cxt.
 */
static RfmPair *
rfm_values_to_pairs(float8 *values, int64 n, int64 *npairs, MemoryContext cxt)
{
	uint64	   *keys = (uint64 *) values;
	RfmPair    *pairs;
	int64		i,
				np = 0;

	StaticAssertStmt(sizeof(uint64) == sizeof(float8), "float8 is not 64 bits");
	for (i = 0; i < n; i++)
		keys[i] = rfm_key(values[i]);
	rfm_sort_keys(keys, n);

	for (i = 0; i < n; i++)
		if (i == 0 || keys[i] != keys[i - 1])
			np++;
	pairs = MemoryContextAllocExtended(cxt, sizeof(RfmPair) * Max(np, 1),
									   MCXT_ALLOC_HUGE);
	np = 0;
	for (i = 0; i < n; i++)
	{
		if (i == 0 || keys[i] != keys[i - 1])
		{
			pairs[np].value = rfm_unkey(keys[i]);
			pairs[np].count = 0;
			np++;
		}
		pairs[np - 1].count++;
	}
	*npairs = np;
	return pairs;
}

/* Merge two sorted pair lists into a new one allocated in cxt. */
static RfmPair *
rfm_pairs_merge(const RfmPair *a, int64 na, const RfmPair *b, int64 nb,
				int64 *nout, MemoryContext cxt)
{
	RfmPair    *out = MemoryContextAllocExtended(cxt,
												 sizeof(RfmPair) * Max(na + nb, 1),
												 MCXT_ALLOC_HUGE);
	int64		i = 0,
				j = 0,
				n = 0;

	while (i < na || j < nb)
	{
		if (j >= nb || (i < na && a[i].value < b[j].value))
			out[n++] = a[i++];
		else if (i >= na || b[j].value < a[i].value)
			out[n++] = b[j++];
		else
		{
			out[n].value = a[i].value;
			out[n].count = a[i++].count + b[j++].count;
			n++;
		}
	}
	*nout = n;
	return out;
}


/* ----------------------------------------------------------------
 *		Cut points
 * ----------------------------------------------------------------
 */

/*
 * The 'rfm' cuts: R's quantile(x, seq(0, 1, length.out = bins + 1)), type 7,
 * without its first and last element, plus one.  The arithmetic is R's own:
 * probabilities i * (1 / bins), 1-based index 1 + (n - 1) * p and the
 * interpolation (1 - h) * x[lo] + h * x[hi].
 */
static int
rfm_cuts_rfm(const RfmPair *pairs, int64 npairs, int64 total, int bins,
			 float8 *cuts)
{
	int64		lopos = 0,
				lobefore = 0,
				hipos = 0,
				hibefore = 0;
	int			i;

	for (i = 1; i < bins; i++)
	{
		float8		p = i * (1.0 / bins);
		float8		index = 1.0 + (float8) (total - 1) * p;
		float8		lo = floor(index);
		float8		hi = ceil(index);
		float8		xlo,
					xhi,
					q;

		/* the lo-th and hi-th smallest values (1-based); cursors only advance */
		while (lopos < npairs - 1 && lobefore + pairs[lopos].count < (int64) lo)
			lobefore += pairs[lopos++].count;
		while (hipos < npairs - 1 && hibefore + pairs[hipos].count < (int64) hi)
			hibefore += pairs[hipos++].count;
		xlo = pairs[lopos].value;
		xhi = pairs[hipos].value;
		q = xlo;
		if (index > lo && xhi != xlo)
		{
			float8		h = index - lo;

			q = (1 - h) * xlo + h * xhi;
		}
		cuts[i - 1] = q + 1;
	}
	return bins - 1;
}

/*
 * The 'quantile' cuts.  The distinct values are split into at most bins
 * groups of whole values, greedily from the worst end (smallest frequency or
 * monetary, largest recency): each group takes the next distinct values
 * while that brings its count closer to remaining customers / remaining
 * groups (on a tie it stops: the smaller group), takes at least one value,
 * and leaves at least one value for every later group when it can.  A value
 * held by more customers than the target thus makes a group by itself and
 * the later groups share the rest equally.  The cuts are the smallest value
 * of every group but the lowest, ascending.
 */
static int
rfm_cuts_quantile(const RfmPair *pairs, int64 npairs, int64 total, int bins,
				  bool descending, float8 *cuts)
{
	int64		remaining = total;
	int			groups_left = bins;
	int64		next = 0;
	int			ncuts = 0;

#define RFM_PAIR(i) (pairs[descending ? npairs - 1 - (i) : (i)])

	while (next < npairs)
	{
		int64		end = next;
		int64		cum = RFM_PAIR(next).count;

		if (groups_left == 1)
			end = npairs - 1;
		else
		{
			int64		last_end = Max(next, npairs - groups_left);

			while (end < last_end)
			{
				int64		more = cum + RFM_PAIR(end + 1).count;

				/* distances to the target, times groups_left */
				if (RFM_ABS64(more * groups_left - remaining) >=
					RFM_ABS64(cum * groups_left - remaining))
					break;
				cum = more;
				end++;
			}
		}
		remaining -= cum;
		groups_left--;
		next = end + 1;
		if (next < npairs)
		{
			/* a boundary between two groups */
			if (descending)
				cuts[ncuts++] = RFM_PAIR(end).value;
			else
				cuts[ncuts++] = RFM_PAIR(next).value;
		}
	}
#undef RFM_PAIR

	if (descending)
	{
		int			i;

		for (i = 0; i < ncuts / 2; i++)
		{
			float8		t = cuts[i];

			cuts[i] = cuts[ncuts - 1 - i];
			cuts[ncuts - 1 - i] = t;
		}
	}
	return ncuts;
}

/* Fill in t from the distinct values with counts of each dimension. */
static void
rfm_compute_thresholds(const RfmPair *const *pairs, const int64 *npairs,
					   int64 customers, int method, int bins, RfmThresholds *t)
{
	int			d;

	memset(t, 0, sizeof(RfmThresholds));
	SET_VARSIZE(t, sizeof(RfmThresholds));
	t->method = method;
	t->bins = bins;
	for (d = 0; d < RFM_NDIMS; d++)
	{
		if (method == RFM_METHOD_RFM)
			t->ncuts[d] = rfm_cuts_rfm(pairs[d], npairs[d], customers, bins,
									   t->cuts[d]);
		else
			t->ncuts[d] = rfm_cuts_quantile(pairs[d], npairs[d], customers,
											bins, d == RFM_RECENCY, t->cuts[d]);
	}
}

/* Why t is not a valid thresholds value, or NULL if it is. */
static const char *
rfm_thresholds_problem(const RfmThresholds *t)
{
	int			d,
				j;

	if (t->method < RFM_METHOD_QUANTILE || t->method > RFM_METHOD_CUSTOM)
		return "The method must be \"quantile\", \"rfm\" or \"custom\".";
	if (t->bins < CUSTSEG_MIN_BINS || t->bins > CUSTSEG_MAX_BINS)
		return psprintf("bins must be between %d and %d.",
						CUSTSEG_MIN_BINS, CUSTSEG_MAX_BINS);
	for (d = 0; d < RFM_NDIMS; d++)
	{
		int			n = t->ncuts[d];

		if (n < 0 || n > t->bins - 1)
			return psprintf("\"%s\" must have at most bins - 1 = %d cut points.",
							rfm_dim_names[d], t->bins - 1);
		if (t->method != RFM_METHOD_QUANTILE && n != t->bins - 1)
			return psprintf("\"%s\" must have exactly bins - 1 = %d cut points with method \"%s\".",
							rfm_dim_names[d], t->bins - 1,
							rfm_method_names[t->method]);
		for (j = 0; j < n; j++)
		{
			if (isnan(t->cuts[d][j]) || isinf(t->cuts[d][j]))
				return psprintf("The cut points of \"%s\" must be finite.",
								rfm_dim_names[d]);
			if (j > 0 && t->method == RFM_METHOD_RFM &&
				t->cuts[d][j] < t->cuts[d][j - 1])
				return psprintf("The cut points of \"%s\" must be in ascending order.",
								rfm_dim_names[d]);
			if (j > 0 && t->method != RFM_METHOD_RFM &&
				t->cuts[d][j] <= t->cuts[d][j - 1])
				return psprintf("The cut points of \"%s\" must be strictly increasing.",
								rfm_dim_names[d]);
		}
	}
	return NULL;
}

/* A thresholds argument, checked (it may come from a damaged table). */
static RfmThresholds *
rfm_thresholds_arg(FunctionCallInfo fcinfo, int argno)
{
	RfmThresholds *t = (RfmThresholds *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE(t) != sizeof(RfmThresholds) || rfm_thresholds_problem(t) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt custseg.rfm_thresholds value")));
	return t;
}


/* ----------------------------------------------------------------
 *		Scoring
 * ----------------------------------------------------------------
 */

/* b(v): the number of cut points at or below v. */
static inline int
rfm_cuts_below(const float8 *cuts, int ncuts, float8 v)
{
	int			b = 0;

	while (b < ncuts && cuts[b] <= v)
		b++;
	return b;
}

/* The custseg.rfm_score of checked values v, as a composite datum, with t's bins. */
static Datum
rfm_score_datum(FunctionCallInfo fcinfo, const RfmThresholds *t, const float8 *v)
{
	TupleDesc	desc = custseg_result_desc(fcinfo);
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	int			r,
				f,
				m;

	r = t->ncuts[0] + 1 - rfm_cuts_below(t->cuts[0], t->ncuts[0], v[0]);
	f = 1 + rfm_cuts_below(t->cuts[1], t->ncuts[1], v[1]);
	m = 1 + rfm_cuts_below(t->cuts[2], t->ncuts[2], v[2]);
	values[0] = Int32GetDatum(r);
	values[1] = Int32GetDatum(f);
	values[2] = Int32GetDatum(m);
	values[3] = Int32GetDatum(100 * r + 10 * f + m);
	/* bins: the fifth field, absent from the row type of custseg 0.1.0 */
	values[4] = Int32GetDatum(t->bins);
	if (desc->natts > 5)
		elog(ERROR, "custseg.rfm_score has %d fields, not 5", desc->natts);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

/* One customer's scores against stored thresholds. */
static Datum
rfm_score_common(FunctionCallInfo fcinfo, bool summary)
{
	RfmThresholds *t = rfm_thresholds_arg(fcinfo, 0);
	float8		v[RFM_NDIMS];
	int			next;

	if (!rfm_values_arg(fcinfo, 1, summary, v, &next))
		PG_RETURN_NULL();		/* a summary with a NULL field */
	rfm_check_values(v);
	PG_RETURN_DATUM(rfm_score_datum(fcinfo, t, v));
}

/*
 * custseg.rfm_score(thresholds, recency, frequency, monetary)
 */
PG_FUNCTION_INFO_V1(rfm_score_values);
Datum
rfm_score_values(PG_FUNCTION_ARGS)
{
	rfm_check_nargs(fcinfo, 1 + RFM_NDIMS, "rfm_score_values");
	return rfm_score_common(fcinfo, false);
}

/*
 * custseg.rfm_score(thresholds, summary)
 */
PG_FUNCTION_INFO_V1(rfm_score_summary);
Datum
rfm_score_summary(PG_FUNCTION_ARGS)
{
	rfm_check_nargs(fcinfo, 2, "rfm_score_summary");
	return rfm_score_common(fcinfo, true);
}

/*
 * rfm_score: the C function of both signatures in custseg 0.1.0, kept for
 * its install script; their argument counts differ.
 */
PG_FUNCTION_INFO_V1(rfm_score);
Datum
rfm_score(PG_FUNCTION_ARGS)
{
	if (PG_NARGS() != 2)
		rfm_check_nargs(fcinfo, 1 + RFM_NDIMS, "rfm_score");
	return rfm_score_common(fcinfo, PG_NARGS() == 2);
}


/* ----------------------------------------------------------------
 *		JSON text forms
 * ----------------------------------------------------------------
 */

/* A JSON integer between 0 and max. */
static int64
rfm_parse_integer(CustsegParser *ps, int64 max)
{
	int64		v = 0;

	custseg_skip_space(ps);
	if (!isdigit((unsigned char) *ps->p) ||
		(ps->p[0] == '0' && isdigit((unsigned char) ps->p[1])))
		custseg_parse_fail(ps, "Expected an unsigned integer at character %d.",
						   custseg_parse_pos(ps));
	while (isdigit((unsigned char) *ps->p))
	{
		int			digit = *ps->p - '0';

		if (v > (max - digit) / 10)
			custseg_parse_fail(ps, "Integer out of range at character %d.",
							   custseg_parse_pos(ps));
		v = v * 10 + digit;
		ps->p++;
	}
	if (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E')
		custseg_parse_fail(ps, "Expected an unsigned integer at character %d.",
						   custseg_parse_pos(ps));
	return v;
}

static int
rfm_parse_method(CustsegParser *ps, bool allow_custom)
{
	char		buf[32];
	int			m;

	custseg_skip_space(ps);
	custseg_parse_string(ps, buf);
	for (m = RFM_METHOD_QUANTILE; m <= RFM_METHOD_CUSTOM; m++)
		if (strcmp(buf, rfm_method_names[m]) == 0 &&
			(allow_custom || m != RFM_METHOD_CUSTOM))
			return m;
	custseg_parse_fail(ps, "Unknown method \"%s\".", buf);
}

/*
 * custseg.rfm_thresholds text input:
 * {"method": "quantile", "bins": 5, "recency": [..], "frequency": [..], "monetary": [..]}
 * with the keys in any order.
 */
static const char *const rfm_thresholds_keys[] =
{"method", "bins", "recency", "frequency", "monetary"};

PG_FUNCTION_INFO_V1(rfm_thresholds_in);
Datum
rfm_thresholds_in(PG_FUNCTION_ARGS)
{
	CustsegParser	ps;
	RfmThresholds *t = palloc0(sizeof(RfmThresholds));
	bool		seen[5] = {false, false, false, false, false};
	const char *problem;
	int			key;
	bool		first = true;

	ps.input = PG_GETARG_CSTRING(0);
	ps.p = ps.input;
	ps.type_name = "custseg.rfm_thresholds";
	ps.hint = NULL;
	SET_VARSIZE(t, sizeof(RfmThresholds));

	custseg_expect(&ps, '{');
	while ((key = custseg_parse_key(&ps, rfm_thresholds_keys, 5, seen, first)) >= 0)
	{
		first = false;
		if (key == 0)
			t->method = rfm_parse_method(&ps, true);
		else if (key == 1)
			t->bins = (int32) rfm_parse_integer(&ps, 1000);
		else
		{
			int			d = key - 2;

			custseg_expect(&ps, '[');
			if (!custseg_accept(&ps, ']'))
			{
				do
				{
					if (t->ncuts[d] == RFM_MAX_CUTS)
						custseg_parse_fail(&ps, "\"%s\" has more than %d cut points.",
										   rfm_dim_names[d], RFM_MAX_CUTS);
					t->cuts[d][t->ncuts[d]++] = custseg_parse_number(&ps);
				} while (custseg_accept(&ps, ','));
				custseg_expect(&ps, ']');
			}
		}
	}
	custseg_parse_end(&ps, rfm_thresholds_keys, 5, seen);

	problem = rfm_thresholds_problem(t);
	if (problem != NULL)
		custseg_parse_fail(&ps, "%s", problem);
	PG_RETURN_POINTER(t);
}

PG_FUNCTION_INFO_V1(rfm_thresholds_out);
Datum
rfm_thresholds_out(PG_FUNCTION_ARGS)
{
	RfmThresholds *t = rfm_thresholds_arg(fcinfo, 0);
	StringInfoData buf;
	int			d,
				j;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"method\": \"%s\", \"bins\": %d",
					 rfm_method_names[t->method], t->bins);
	for (d = 0; d < RFM_NDIMS; d++)
	{
		appendStringInfo(&buf, ", \"%s\": [", rfm_dim_names[d]);
		for (j = 0; j < t->ncuts[d]; j++)
		{
			if (j > 0)
				appendStringInfoString(&buf, ", ");
			custseg_append_float8(&buf, t->cuts[d][j]);
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}


/* ----------------------------------------------------------------
 *		The aggregate state
 * ----------------------------------------------------------------
 */

static RfmStateExpanded *
rfm_state_new(MemoryContext parent, int method, int bins)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "rfm_thresholds state",
											  ALLOCSET_START_SMALL_SIZES);
	RfmStateExpanded *s = MemoryContextAllocZero(cxt, sizeof(RfmStateExpanded));

	EOH_init_header(&s->hdr, &rfm_state_methods, cxt);
	s->magic = RFM_STATE_MAGIC;
	s->method = method;
	s->bins = bins;
	return s;
}

static RfmStateExpanded *
rfm_state_from_eoh(ExpandedObjectHeader *eohptr)
{
	RfmStateExpanded *s = (RfmStateExpanded *) eohptr;

	if (s->magic != RFM_STATE_MAGIC)
		elog(ERROR, "expanded object is not a custseg.rfm_thresholds_state");
	return s;
}

static void
rfm_state_append(RfmStateExpanded *s, const float8 *v)
{
	int			d;

	for (d = 0; d < RFM_NDIMS; d++)
	{
		RfmColumn  *col = &s->col[d];

		if (col->nraw == col->rawcap)
		{
			if (col->raw == NULL)
			{
				col->rawcap = 64;
				col->raw = MemoryContextAlloc(s->hdr.eoh_context,
											  sizeof(float8) * col->rawcap);
			}
			else
			{
				col->rawcap *= 2;
				col->raw = repalloc_huge(col->raw, sizeof(float8) * col->rawcap);
			}
		}
		col->raw[col->nraw++] = v[d] + 0.0; /* -0 becomes 0 */
	}
	s->customers++;
}

/* Add sorted pairs to dimension d of s. */
static void
rfm_state_add_pairs(RfmStateExpanded *s, int d, const RfmPair *pairs, int64 npairs)
{
	RfmColumn  *col = &s->col[d];
	RfmPair    *merged;
	int64		nmerged;

	if (npairs == 0)
		return;
	merged = rfm_pairs_merge(col->pairs, col->npairs, pairs, npairs, &nmerged,
							 s->hdr.eoh_context);
	if (col->pairs != NULL)
		pfree(col->pairs);
	col->pairs = merged;
	col->npairs = nmerged;
}

/*
 * Sort the raw values into the pairs.  This changes the representation
 * only, so it is allowed on a read-only state too.
 */
static void
rfm_state_compact(RfmStateExpanded *s)
{
	int			d;

	for (d = 0; d < RFM_NDIMS; d++)
	{
		RfmColumn  *col = &s->col[d];
		RfmPair    *fresh;
		int64		nfresh;

		if (col->nraw == 0)
			continue;
		fresh = rfm_values_to_pairs(col->raw, col->nraw, &nfresh,
									s->hdr.eoh_context);
		col->nraw = 0;
		if (col->npairs == 0)
		{
			col->pairs = fresh;
			col->npairs = nfresh;
		}
		else
		{
			rfm_state_add_pairs(s, d, fresh, nfresh);
			pfree(fresh);
		}
	}
}

/* Check what a flat state claims against its size. */
static void
rfm_state_flat_check(const RfmStateFlat *flat)
{
	int64		total = 0;
	int			d;

	if (VARSIZE(flat) < RFM_STATE_FLAT_HDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt custseg.rfm_thresholds_state value")));
	for (d = 0; d < RFM_NDIMS; d++)
	{
		/* each bounded by the size first, so that the sum cannot wrap */
		if (flat->npairs[d] < 0 ||
			flat->npairs[d] > (int64) ((VARSIZE(flat) - RFM_STATE_FLAT_HDRSZ) / sizeof(RfmPair)))
			total = -1;
		else if (total >= 0)
			total += flat->npairs[d];
	}
	if (total < 0 || VARSIZE(flat) != RFM_STATE_FLAT_HDRSZ + total * sizeof(RfmPair) ||
		(flat->method != RFM_METHOD_QUANTILE && flat->method != RFM_METHOD_RFM) ||
		flat->bins < CUSTSEG_MIN_BINS || flat->bins > CUSTSEG_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt custseg.rfm_thresholds_state value")));
}

/* Count the customers of another state, up to RFM_MAX_CUSTOMERS. */
static void
rfm_state_add_customers(RfmStateExpanded *s, int64 customers)
{
	if (customers < 0 || customers > RFM_MAX_CUSTOMERS ||
		s->customers + customers > RFM_MAX_CUSTOMERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many customers in one custseg.rfm_thresholds_state"),
				 errhint("A state counts at most 2^53 customers.")));
	s->customers += customers;
}

/*
 * Look at a state datum: a flat one is checked against its size, an
 * expanded one compacted (which changes its representation only).
 */
static void
rfm_state_view(Datum src, RfmStateView *v)
{
	int			d;

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(src)))
	{
		RfmStateExpanded *s = rfm_state_from_eoh(DatumGetEOHP(src));

		rfm_state_compact(s);
		v->method = s->method;
		v->bins = s->bins;
		v->customers = s->customers;
		for (d = 0; d < RFM_NDIMS; d++)
		{
			v->pairs[d] = s->col[d].pairs;
			v->npairs[d] = s->col[d].npairs;
		}
	}
	else
	{
		RfmStateFlat *flat = (RfmStateFlat *) PG_DETOAST_DATUM(src);
		const RfmPair *pairs = flat->pairs;

		rfm_state_flat_check(flat);
		v->method = flat->method;
		v->bins = flat->bins;
		v->customers = flat->customers;
		for (d = 0; d < RFM_NDIMS; d++)
		{
			v->pairs[d] = pairs;
			v->npairs[d] = flat->npairs[d];
			pairs += flat->npairs[d];
		}
	}
}

/* Add the customers of another state to s. */
static void
rfm_state_add_view(RfmStateExpanded *s, const RfmStateView *v)
{
	int			d;

	rfm_check_same_options(s->bins, s->method, v->bins, v->method);
	for (d = 0; d < RFM_NDIMS; d++)
		rfm_state_add_pairs(s, d, v->pairs[d], v->npairs[d]);
	rfm_state_add_customers(s, v->customers);
}

/* A new expanded state in aggcxt holding the customers of another. */
static RfmStateExpanded *
rfm_state_copy(const RfmStateView *v, MemoryContext aggcxt)
{
	RfmStateExpanded *s = rfm_state_new(aggcxt, v->method, v->bins);

	rfm_state_add_view(s, v);
	return s;
}

/*
 * The state in argument argno as an expanded object we may change: the
 * argument itself when it is a read-write expanded object of ours, else a
 * copy in aggcxt.
 */
static RfmStateExpanded *
rfm_state_for_update(FunctionCallInfo fcinfo, int argno, MemoryContext aggcxt)
{
	Datum		d = PG_GETARG_DATUM(argno);
	RfmStateView v;

	if (DatumIsReadWriteExpandedObject(d, false, -1))
	{
		RfmStateExpanded *s = rfm_state_from_eoh(DatumGetEOHP(d));

		if (MemoryContextGetParent(s->hdr.eoh_context) == aggcxt)
			return s;
	}
	rfm_state_view(d, &v);
	return rfm_state_copy(&v, aggcxt);
}

static Size
rfm_state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	RfmStateExpanded *s = rfm_state_from_eoh(eohptr);
	Size		npairs = 0;
	int			d;

	rfm_state_compact(s);
	for (d = 0; d < RFM_NDIMS; d++)
		npairs += s->col[d].npairs;
	if (npairs > (MaxAllocSize - RFM_STATE_FLAT_HDRSZ) / sizeof(RfmPair))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("custseg.rfm_thresholds_state of %lld distinct values is too large to store",
						(long long) npairs),
				 errhint("Aggregate without parallel workers, or round the monetary amounts.")));
	return RFM_STATE_FLAT_HDRSZ + npairs * sizeof(RfmPair);
}

static void
rfm_state_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					   Size allocated_size)
{
	RfmStateExpanded *s = rfm_state_from_eoh(eohptr);
	RfmStateFlat *flat = (RfmStateFlat *) result;
	RfmPair    *pairs = flat->pairs;
	int			d;

	memset(flat, 0, allocated_size);
	SET_VARSIZE(flat, allocated_size);
	flat->method = s->method;
	flat->bins = s->bins;
	flat->customers = s->customers;
	for (d = 0; d < RFM_NDIMS; d++)
	{
		Assert(s->col[d].nraw == 0);
		flat->npairs[d] = s->col[d].npairs;
		if (s->col[d].npairs > 0)
			memcpy(pairs, s->col[d].pairs, sizeof(RfmPair) * s->col[d].npairs);
		pairs += s->col[d].npairs;
	}
}

/*
 * The transition function of custseg.rfm_thresholds: state, then the RFM
 * values (three floats or one summary), then bins and method where the
 * signature has them (the argument count says; rfm_check_options).
 */
static Datum
rfm_thresholds_accum_common(FunctionCallInfo fcinfo, bool summary)
{
	MemoryContext aggcxt;
	RfmStateExpanded *s = NULL;
	float8		v[RFM_NDIMS];
	bool		known;
	int			next,
				bins,
				method;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rfm_thresholds_accum called in non-aggregate context")));
	known = rfm_values_arg(fcinfo, 1, summary, v, &next);
	rfm_check_options(fcinfo, next, &bins, &method);

	if (!PG_ARGISNULL(0))
	{
		s = rfm_state_for_update(fcinfo, 0, aggcxt);
		rfm_check_same_options(s->bins, s->method, bins, method);
	}
	if (!known)
	{
		/* a customer with an unknown dimension is left out */
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(EOHPGetRWDatum(&s->hdr));
	}
	rfm_check_values(v);
	if (s == NULL)
		s = rfm_state_new(aggcxt, method, bins);
	rfm_state_append(s, v);
	PG_RETURN_DATUM(EOHPGetRWDatum(&s->hdr));
}

/*
 * custseg.rfm_thresholds_accum(state, recency, frequency, monetary
 *								[, bins [, method]]): one C function per
 * SQL signature.
 */
#define RFM_ACCUM_ENTRY(symbol, summary, nargs) \
PG_FUNCTION_INFO_V1(symbol); \
Datum \
symbol(PG_FUNCTION_ARGS) \
{ \
	rfm_check_nargs(fcinfo, nargs, #symbol); \
	return rfm_thresholds_accum_common(fcinfo, summary); \
}

RFM_ACCUM_ENTRY(rfm_thresholds_accum_values, false, 4)
RFM_ACCUM_ENTRY(rfm_thresholds_accum_values_bins, false, 5)
RFM_ACCUM_ENTRY(rfm_thresholds_accum_values_bins_method, false, 6)

/*
 * custseg.rfm_thresholds_accum(state, summary [, bins [, method]])
 */
RFM_ACCUM_ENTRY(rfm_thresholds_accum_summary, true, 2)
RFM_ACCUM_ENTRY(rfm_thresholds_accum_summary_bins, true, 3)
RFM_ACCUM_ENTRY(rfm_thresholds_accum_summary_bins_method, true, 4)

/*
 * rfm_thresholds_accum: the one C function of every signature in custseg
 * 0.1.0, kept for its install script.  Four arguments are either three
 * floats or a summary, bins and method: only the call's expression tells.
 */
PG_FUNCTION_INFO_V1(rfm_thresholds_accum);
Datum
rfm_thresholds_accum(PG_FUNCTION_ARGS)
{
	bool		summary;

	if (PG_NARGS() == 2 || PG_NARGS() == 3)
		summary = true;
	else if (PG_NARGS() == 5 || PG_NARGS() == 6)
		summary = false;
	else
		summary = rfm_legacy_is_summary(fcinfo, 1, "rfm_thresholds_accum");
	return rfm_thresholds_accum_common(fcinfo, summary);
}

/*
 * custseg.rfm_thresholds_combine(state, state)
 */
PG_FUNCTION_INFO_V1(rfm_thresholds_combine);
Datum
rfm_thresholds_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RfmStateExpanded *s;
	RfmStateView other;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("rfm_thresholds_combine called in non-aggregate context")));
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		s = rfm_state_for_update(fcinfo, 0, aggcxt);
	else
	{
		rfm_state_view(PG_GETARG_DATUM(1), &other);
		if (PG_ARGISNULL(0))
			s = rfm_state_copy(&other, aggcxt); /* never the input itself */
		else
		{
			s = rfm_state_for_update(fcinfo, 0, aggcxt);
			rfm_state_add_view(s, &other);
		}
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&s->hdr));
}

/*
 * custseg.rfm_thresholds_final(state) -> custseg.rfm_thresholds
 */
PG_FUNCTION_INFO_V1(rfm_thresholds_final);
Datum
rfm_thresholds_final(PG_FUNCTION_ARGS)
{
	RfmThresholds *t = palloc(sizeof(RfmThresholds));
	RfmStateView v;

	rfm_state_view(PG_GETARG_DATUM(0), &v);
	rfm_compute_thresholds(v.pairs, v.npairs, v.customers, v.method, v.bins, t);
	PG_RETURN_POINTER(t);
}

/*
 * custseg.rfm_thresholds_state text input:
 * {"method": "rfm", "bins": 5, "customers": 2,
 *	"recency": [[3, 1], [10, 1]], "frequency": [[1, 2]], "monetary": [[5, 1], [7, 1]]}
 * every dimension a list of [value, count] with strictly increasing values
 * and counts adding up to customers.
 */
static const char *const rfm_state_keys[] =
{"method", "bins", "customers", "recency", "frequency", "monetary"};

PG_FUNCTION_INFO_V1(rfm_thresholds_state_in);
Datum
rfm_thresholds_state_in(PG_FUNCTION_ARGS)
{
	CustsegParser	ps;
	bool		seen[6] = {false, false, false, false, false, false};
	RfmPair    *pairs[RFM_NDIMS] = {NULL, NULL, NULL};
	int64		npairs[RFM_NDIMS] = {0, 0, 0};
	int64		customers = 0;
	int			method = 0,
				bins = 0,
				key,
				d;
	bool		first = true;
	RfmStateFlat *flat;
	RfmPair    *dst;
	Size		size;

	ps.input = PG_GETARG_CSTRING(0);
	ps.p = ps.input;
	ps.type_name = "custseg.rfm_thresholds_state";
	ps.hint = NULL;

	custseg_expect(&ps, '{');
	while ((key = custseg_parse_key(&ps, rfm_state_keys, 6, seen, first)) >= 0)
	{
		first = false;
		if (key == 0)
			method = rfm_parse_method(&ps, false);
		else if (key == 1)
			bins = (int) rfm_parse_integer(&ps, 1000);
		else if (key == 2)
			customers = rfm_parse_integer(&ps, RFM_MAX_CUSTOMERS);
		else
		{
			int64		cap = 16,
						n = 0;
			RfmPair    *p = palloc(sizeof(RfmPair) * cap);

			d = key - 3;
			custseg_expect(&ps, '[');
			if (!custseg_accept(&ps, ']'))
			{
				do
				{
					if (n == cap)
					{
						if (cap >= (int64) (MaxAllocSize / sizeof(RfmPair) / 2))
							custseg_parse_fail(&ps, "Too many values.");
						cap *= 2;
						p = repalloc(p, sizeof(RfmPair) * cap);
					}
					custseg_expect(&ps, '[');
					p[n].value = custseg_parse_number(&ps);
					custseg_expect(&ps, ',');
					p[n].count = rfm_parse_integer(&ps, PG_INT64_MAX);
					custseg_expect(&ps, ']');
					n++;
				} while (custseg_accept(&ps, ','));
				custseg_expect(&ps, ']');
			}
			pairs[d] = p;
			npairs[d] = n;
		}
	}
	custseg_parse_end(&ps, rfm_state_keys, 6, seen);

	/* everything the aggregate relies on */
	if (bins < CUSTSEG_MIN_BINS || bins > CUSTSEG_MAX_BINS)
		custseg_parse_fail(&ps, "bins must be between %d and %d.",
						   CUSTSEG_MIN_BINS, CUSTSEG_MAX_BINS);
	if (customers < 1)
		custseg_parse_fail(&ps, "customers must be at least 1.");
	for (d = 0; d < RFM_NDIMS; d++)
	{
		int64		sum = 0,
					i;

		for (i = 0; i < npairs[d]; i++)
		{
			if (pairs[d][i].count < 1)
				custseg_parse_fail(&ps, "The counts of \"%s\" must be positive.",
								   rfm_dim_names[d]);
			if (i > 0 && pairs[d][i].value <= pairs[d][i - 1].value)
				custseg_parse_fail(&ps, "The values of \"%s\" must be strictly increasing.",
								   rfm_dim_names[d]);
			if (d != 2 && pairs[d][i].value < 0)
				custseg_parse_fail(&ps, "The values of \"%s\" must not be negative.",
								   rfm_dim_names[d]);
			if (pairs[d][i].count > customers - sum)
				custseg_parse_fail(&ps, "The counts of \"%s\" add up to more than customers.",
								   rfm_dim_names[d]);
			sum += pairs[d][i].count;
		}
		if (sum != customers)
			custseg_parse_fail(&ps, "The counts of \"%s\" add up to less than customers.",
							   rfm_dim_names[d]);
	}

	size = RFM_STATE_FLAT_HDRSZ +
		(npairs[0] + npairs[1] + npairs[2]) * sizeof(RfmPair);
	if (size > MaxAllocSize)
		custseg_parse_fail(&ps, "Too many values.");
	flat = palloc0(size);
	SET_VARSIZE(flat, size);
	flat->method = method;
	flat->bins = bins;
	flat->customers = customers;
	dst = flat->pairs;
	for (d = 0; d < RFM_NDIMS; d++)
	{
		flat->npairs[d] = npairs[d];
		memcpy(dst, pairs[d], sizeof(RfmPair) * npairs[d]);
		dst += npairs[d];
	}
	PG_RETURN_POINTER(flat);
}

PG_FUNCTION_INFO_V1(rfm_thresholds_state_out);
Datum
rfm_thresholds_state_out(PG_FUNCTION_ARGS)
{
	RfmStateFlat *flat = (RfmStateFlat *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	const RfmPair *p = flat->pairs;
	StringInfoData buf;
	int			d;
	int64		i;

	rfm_state_flat_check(flat);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"method\": \"%s\", \"bins\": %d, \"customers\": " INT64_FORMAT,
					 rfm_method_names[flat->method], flat->bins, flat->customers);
	for (d = 0; d < RFM_NDIMS; d++)
	{
		appendStringInfo(&buf, ", \"%s\": [", rfm_dim_names[d]);
		for (i = 0; i < flat->npairs[d]; i++, p++)
		{
			if (i > 0)
				appendStringInfoString(&buf, ", ");
			appendStringInfoChar(&buf, '[');
			custseg_append_float8(&buf, p->value);
			appendStringInfo(&buf, ", " INT64_FORMAT "]", p->count);
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}


/* ----------------------------------------------------------------
 *		Comparison (the btree operator class)
 * ----------------------------------------------------------------
 */

/*
 * Thresholds are ordered by method, then bins, then the cut points of
 * recency, frequency and monetary, each list compared element by element
 * (a list that is a prefix of another comes first).  Equal means the same
 * method, bins and cut points, so equal thresholds score every customer
 * alike.  This is what DISTINCT, GROUP BY and ORDER BY need (Citus plans
 * count(DISTINCT ...) with a sort).
 */
static int
rfm_thresholds_compare(const RfmThresholds *a, const RfmThresholds *b)
{
	int			d,
				j;

	if (a->method != b->method)
		return a->method < b->method ? -1 : 1;
	if (a->bins != b->bins)
		return a->bins < b->bins ? -1 : 1;
	for (d = 0; d < RFM_NDIMS; d++)
	{
		for (j = 0; j < a->ncuts[d] && j < b->ncuts[d]; j++)
			if (a->cuts[d][j] != b->cuts[d][j])
				return a->cuts[d][j] < b->cuts[d][j] ? -1 : 1;
		if (a->ncuts[d] != b->ncuts[d])
			return a->ncuts[d] < b->ncuts[d] ? -1 : 1;
	}
	return 0;
}

static int
rfm_thresholds_compare_args(FunctionCallInfo fcinfo)
{
	return rfm_thresholds_compare(rfm_thresholds_arg(fcinfo, 0),
								  rfm_thresholds_arg(fcinfo, 1));
}

/* custseg.rfm_thresholds_cmp(a, b) -> -1, 0 or 1 */
PG_FUNCTION_INFO_V1(rfm_thresholds_cmp);
Datum
rfm_thresholds_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(rfm_thresholds_compare_args(fcinfo));
}

PG_FUNCTION_INFO_V1(rfm_thresholds_eq);
Datum
rfm_thresholds_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rfm_thresholds_compare_args(fcinfo) == 0);
}

PG_FUNCTION_INFO_V1(rfm_thresholds_ne);
Datum
rfm_thresholds_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rfm_thresholds_compare_args(fcinfo) != 0);
}

PG_FUNCTION_INFO_V1(rfm_thresholds_lt);
Datum
rfm_thresholds_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rfm_thresholds_compare_args(fcinfo) < 0);
}

PG_FUNCTION_INFO_V1(rfm_thresholds_le);
Datum
rfm_thresholds_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rfm_thresholds_compare_args(fcinfo) <= 0);
}

PG_FUNCTION_INFO_V1(rfm_thresholds_gt);
Datum
rfm_thresholds_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rfm_thresholds_compare_args(fcinfo) > 0);
}

PG_FUNCTION_INFO_V1(rfm_thresholds_ge);
Datum
rfm_thresholds_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rfm_thresholds_compare_args(fcinfo) >= 0);
}


/* ----------------------------------------------------------------
 *		Custom thresholds
 * ----------------------------------------------------------------
 */

/*
 * custseg.rfm_thresholds(recency_cuts float8[], frequency_cuts float8[],
 *						  monetary_cuts float8[])
 */
PG_FUNCTION_INFO_V1(rfm_thresholds_make);
Datum
rfm_thresholds_make(PG_FUNCTION_ARGS)
{
	RfmThresholds *t = palloc0(sizeof(RfmThresholds));
	int			d,
				j,
				n = 0;

	SET_VARSIZE(t, sizeof(RfmThresholds));
	t->method = RFM_METHOD_CUSTOM;
	for (d = 0; d < RFM_NDIMS; d++)
	{
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(d);
		int			len = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
		Datum	   *elems;

		if (ARR_NDIM(a) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s cut points must be a one-dimensional array",
							rfm_dim_names[d]),
					 errhint("Pass one array of ascending cut points per dimension.")));
		if (len < 1 || len > RFM_MAX_CUTS)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s must have between 1 and %d cut points, not %d",
							rfm_dim_names[d], RFM_MAX_CUTS, len),
					 errhint("Give bins - 1 cut points for bins between %d and %d.",
							 CUSTSEG_MIN_BINS, CUSTSEG_MAX_BINS)));
		if (d > 0 && len != n)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s has %d cut points but recency has %d",
							rfm_dim_names[d], len, n),
					 errhint("Every dimension has the same number of bins: give each the same number of cut points.")));
		n = len;
		if (array_contains_nulls(a))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s cut points must not be NULL", rfm_dim_names[d]),
					 errhint("Remove the NULL elements from the array.")));
		deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
						  TYPALIGN_DOUBLE, &elems, NULL, &len);
		for (j = 0; j < len; j++)
		{
			float8		cut = DatumGetFloat8(elems[j]);

			if (isnan(cut) || isinf(cut))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s cut points must be finite", rfm_dim_names[d]),
						 errhint("Remove NaN and infinite values from the array.")));
			if (j > 0 && cut <= t->cuts[d][j - 1])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s cut points must be strictly increasing",
								rfm_dim_names[d]),
						 errhint("Sort the cut points and remove duplicates.")));
			t->cuts[d][j] = cut + 0.0;	/* -0 becomes 0 */
		}
		t->ncuts[d] = len;
	}
	t->bins = n + 1;
	PG_RETURN_POINTER(t);
}


/* ----------------------------------------------------------------
 *		The window function
 * ----------------------------------------------------------------
 */

typedef struct RfmWindowState
{
	bool		ready;			/* thresholds computed for this partition */
	bool		summary;		/* values come from one customer_summary */
	int32		bins;
	int32		method;
	RfmThresholds thresholds;
	/* each row's values as read by the first pass (NULL: rows past it) */
	int64		rows;
	float8	   *values;			/* RFM_NDIMS per row */
	bool	   *valid;			/* false: a NULL value, the row scores NULL */
} RfmWindowState;

/*
 * The RFM values of row pos of the partition: three float8 arguments, or
 * one customer_summary.  False when a value is NULL.
 */
static bool
rfm_window_values(WindowObject winobj, bool summary, int64 pos, float8 *v)
{
	int			nargs = summary ? 1 : RFM_NDIMS;
	Datum		arg[RFM_NDIMS];
	int			d;

	for (d = 0; d < nargs; d++)
	{
		bool		isnull;
		bool		isout = false;

		arg[d] = WinGetFuncArgInPartition(winobj, d, pos, WINDOW_SEEK_HEAD,
										  false, &isnull, &isout);
		if (isout)
			elog(ERROR, "row " INT64_FORMAT " of the partition is missing", pos);
		if (isnull)
			return false;
	}
	if (summary)
		return custseg_summary_rfm(arg[0], v);
	for (d = 0; d < RFM_NDIMS; d++)
		v[d] = DatumGetFloat8(arg[d]);
	return true;
}

/*
 * Read the whole partition once and compute its thresholds.  Each row's
 * values are kept, in the partition's memory (where ws lives), for the
 * scoring of the rows, which then need not read their arguments again.
 */
static void
rfm_window_prepare(WindowObject winobj, RfmWindowState *ws)
{
	MemoryContext partcxt = GetMemoryChunkContext(ws);
	MemoryContext workcxt = AllocSetContextCreate(CurrentMemoryContext,
												  "rfm_score window",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext rowcxt = AllocSetContextCreate(workcxt,
												 "rfm_score window row",
												 ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(workcxt);
	int64		rows = WinGetPartitionRowCount(winobj);
	float8	   *values[RFM_NDIMS];
	const RfmPair *pairs[RFM_NDIMS];
	int64		npairs[RFM_NDIMS];
	int64		n = 0,
				pos;
	int			d;

	for (d = 0; d < RFM_NDIMS; d++)
		values[d] = palloc_extended(sizeof(float8) * Max(rows, 1), MCXT_ALLOC_HUGE);
	ws->rows = rows;
	ws->values = MemoryContextAllocExtended(partcxt, sizeof(float8) * RFM_NDIMS * Max(rows, 1),
											MCXT_ALLOC_HUGE);
	ws->valid = MemoryContextAllocExtended(partcxt, sizeof(bool) * Max(rows, 1),
										   MCXT_ALLOC_HUGE);

	/* argument expressions may allocate: evaluate them in rowcxt */
	MemoryContextSwitchTo(rowcxt);
	for (pos = 0; pos < rows; pos++)
	{
		float8	   *v = &ws->values[pos * RFM_NDIMS];

		ws->valid[pos] = rfm_window_values(winobj, ws->summary, pos, v);
		if (ws->valid[pos])
		{
			rfm_check_values(v);
			for (d = 0; d < RFM_NDIMS; d++)
				values[d][n] = v[d];
			n++;
		}
		if ((pos & 1023) == 1023)
		{
			MemoryContextReset(rowcxt);
			CHECK_FOR_INTERRUPTS();
		}
	}
	MemoryContextSwitchTo(workcxt);

	if (n > 0)
	{
		for (d = 0; d < RFM_NDIMS; d++)
			pairs[d] = rfm_values_to_pairs(values[d], n, &npairs[d], workcxt);
		rfm_compute_thresholds(pairs, npairs, n, ws->method, ws->bins,
							   &ws->thresholds);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(workcxt);
	ws->ready = true;
}

/*
 * Score the current row of a window partition: the RFM values (three floats
 * or one summary), then bins and method (their defaults are filled in by
 * the planner, so they are always there).
 */
static Datum
rfm_score_window_common(FunctionCallInfo fcinfo, bool summary)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	RfmWindowState *ws;
	int64		pos;
	int			binsarg = summary ? 1 : RFM_NDIMS;
	int			bins,
				method;
	Datum		arg;
	bool		isnull;

	arg = WinGetFuncArgCurrent(winobj, binsarg, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("bins must not be NULL"),
				 errhint("Five bins per dimension is the usual choice.")));
	bins = DatumGetInt32(arg);
	custseg_check_bins(bins);
	arg = WinGetFuncArgCurrent(winobj, binsarg + 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("method must not be NULL"),
				 errhint("Use 'quantile' (equal-count bins) or 'rfm' (the rule of the R package rfm).")));
	method = rfm_method_from_text(DatumGetTextPP(arg));

	ws = (RfmWindowState *) WinGetPartitionLocalMemory(winobj,
													   sizeof(RfmWindowState));
	if (!ws->ready)
	{
		ws->bins = bins;
		ws->method = method;
		ws->summary = summary;
		rfm_window_prepare(winobj, ws);
	}
	else
		rfm_check_same_options(ws->bins, ws->method, bins, method);

	/* the row's values as the first pass read them */
	pos = WinGetCurrentPosition(winobj);
	if (pos < 0 || pos >= ws->rows)
		elog(ERROR, "row " INT64_FORMAT " of the partition is missing", pos);
	if (!ws->valid[pos])
		PG_RETURN_NULL();
	PG_RETURN_DATUM(rfm_score_datum(fcinfo, &ws->thresholds, &ws->values[pos * RFM_NDIMS]));
}

/*
 * custseg.rfm_score(recency, frequency, monetary, bins, method) OVER (...)
 */
PG_FUNCTION_INFO_V1(rfm_score_window_values);
Datum
rfm_score_window_values(PG_FUNCTION_ARGS)
{
	rfm_check_nargs(fcinfo, RFM_NDIMS + 2, "rfm_score_window_values");
	return rfm_score_window_common(fcinfo, false);
}

/*
 * custseg.rfm_score(summary, bins, method) OVER (...)
 */
PG_FUNCTION_INFO_V1(rfm_score_window_summary);
Datum
rfm_score_window_summary(PG_FUNCTION_ARGS)
{
	rfm_check_nargs(fcinfo, 3, "rfm_score_window_summary");
	return rfm_score_window_common(fcinfo, true);
}

/*
 * rfm_score_window: the C function of both window signatures in custseg
 * 0.1.0, kept for its install script; with their defaults filled in, their
 * argument counts differ.
 */
PG_FUNCTION_INFO_V1(rfm_score_window);
Datum
rfm_score_window(PG_FUNCTION_ARGS)
{
	if (PG_NARGS() != 3)
		rfm_check_nargs(fcinfo, RFM_NDIMS + 2, "rfm_score_window");
	return rfm_score_window_common(fcinfo, PG_NARGS() == 3);
}
