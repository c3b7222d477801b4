/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  K-means clustering of customers on numeric features (e.g. RFM).
 *
 * The aggregates custseg.kmeans and custseg.kmeans_choose_k collect every
 * customer's feature vector in a state of type custseg.kmeans_state.  While
 * aggregating the state is an expanded object (KmStateExpanded) that
 * appends raw rows; flattened (for a parallel worker's partial result, a
 * table, or text) it holds the distinct rows in lexicographic order with
 * the number of customers having each.  Whatever the order in which rows
 * and partial states arrive, the final function thus sees the same sorted
 * distinct points, and everything after that is deterministic: the result
 * is the same bit for bit, serial or parallel.
 *
 * The fit (km_fit):
 *	1. every feature is transformed (log1p when asked) and standardized
 *	   with the customers' mean and population standard deviation;
 *	2. greedy k-means++ seeding: each new centre is the best, by the
 *	   resulting inertia, of 2 + floor(ln k) candidates drawn with
 *	   probability proportional to count * squared distance, from a
 *	   splitmix64 generator started at the seed;
 *	3. Lloyd iterations (update centres, reassign) until an assignment
 *	   changes nothing or max_iter updates were made.  Reassignment uses
 *	   Hamerly's bounds to skip the points that cannot have changed; a
 *	   point whose bounds do not prove it is compared with every centre.
 *	   An empty cluster takes the point farthest from its centre among the
 *	   clusters with at least two distinct points (lowest index on ties);
 *	4. steps 2 and 3 run ten times on a sample of KM_RESTART_SAMPLE
 *	   customers (all points when there are no more distinct ones); the
 *	   centres of the run of least inertia on all points start step 3 on
 *	   all points;
 *	5. a last pass assigns every point exactly as kmeans_assign does
 *	   (nearest centre, lowest index on ties); sizes, centroids in the
 *	   original units and inertia are computed from it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "custseg.h"

#define KM_MAX_FEATURES		64	/* the log flags are one uint64 */
#define KM_MAX_K			1000
#define KM_DEFAULT_SEED		0
#define KM_DEFAULT_MAX_ITER 100
#define KM_SILHOUETTE_SAMPLE 2000
#define KM_RESTARTS			10
#define KM_RESTART_SAMPLE	20000
#define KM_MAX_CUSTOMERS	(INT64CONST(1) << 53)

/* Options of one aggregate call; the same on every row. */
typedef struct KmOptions
{
	int32		k_min;			/* kmeans: k_min = k_max = k */
	int32		k_max;
	int32		seed;
	int32		max_iter;
	int32		dims;			/* number of features, 1 .. KM_MAX_FEATURES */
	uint64		logmask;		/* bit j: feature j is log1p-transformed */
} KmOptions;

/*
 * Flat custseg.kmeans_state: npoints distinct rows of dims values in
 * strictly increasing lexicographic order, then their counts (int64).
 */
typedef struct KmStateFlat
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int32		k_min;
	int32		k_max;
	int32		seed;
	int32		max_iter;
	int32		dims;
	uint64		logmask;
	int64		customers;		/* sum of the counts */
	int64		npoints;
	float8		values[FLEXIBLE_ARRAY_MEMBER];
} KmStateFlat;

#define KM_FLAT_HDRSZ	offsetof(KmStateFlat, values)

#define KM_STATE_MAGIC	0x4b4d4e53	/* "KMNS" */

/* Expanded custseg.kmeans_state, the form used while aggregating. */
typedef struct KmStateExpanded
{
	ExpandedObjectHeader hdr;
	int32		magic;
	KmOptions	opt;
	int64		customers;
	float8	   *raw;			/* rows not sorted yet, dims values each */
	int64		nraw;
	int64		rawcap;
	float8	   *x;				/* sorted distinct rows */
	int64	   *w;				/* their counts */
	int64		npoints;
} KmStateExpanded;

/* A state datum, expanded or flat, read in place. */
typedef struct KmView
{
	KmOptions	opt;
	int64		customers;
	int64		npoints;
	const float8 *x;
	const int64 *w;
} KmView;

/* The points of a fit: original and standardized values. */
typedef struct KmData
{
	int			dims;
	int64		n;				/* distinct points */
	int64		customers;
	const float8 *x;			/* n * dims, original units */
	const int64 *w;				/* n counts */
	float8	   *z;				/* n * dims, transformed and standardized */
	uint64		logmask;
	float8		means[KM_MAX_FEATURES];
	float8		sds[KM_MAX_FEATURES];
} KmData;

/* The result of one fit. */
typedef struct KmFit
{
	int			k;
	float8	   *centers;		/* k * dims, standardized space */
	float8	   *centroids;		/* k * dims, original units */
	int64	   *sizes;			/* k */
	int32	   *labels;			/* n, 0 .. k - 1 */
	float8		inertia;
	int			iterations;
	bool		converged;
} KmFit;

static Size km_state_get_flat_size(ExpandedObjectHeader *eohptr);
static void km_state_flatten_into(ExpandedObjectHeader *eohptr,
								  void *result, Size allocated_size);

static const ExpandedObjectMethods km_state_methods =
{
	km_state_get_flat_size,
	km_state_flatten_into
};


/* ----------------------------------------------------------------
 *		Random numbers: splitmix64, our own so that results never
 *		depend on the platform or on other users of random()
 * ----------------------------------------------------------------
 */

static inline uint64
km_random_next(uint64 *state)
{
	uint64		z = (*state += UINT64CONST(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 random bits. */
static inline float8
km_random_unit(uint64 *state)
{
	return (float8) (km_random_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* The generator of a seed and a stream (seeding, sampling). */
static uint64
km_random_start(int32 seed, uint64 stream)
{
	uint64		s = ((uint64) (uint32) seed) ^ (stream << 32);

	(void) km_random_next(&s);
	return s;
}


/* ----------------------------------------------------------------
 *		Arguments
 * ----------------------------------------------------------------
 */

static void
km_check_k(const char *name, int32 k)
{
	if (k < 1 || k > KM_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 1 and %d, not %d", name, KM_MAX_K, k),
				 errhint("A handful of clusters (2 to 10) is the usual choice.")));
}

static int32
km_int_arg(FunctionCallInfo fcinfo, int argno, const char *name, const char *hint)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("%s", hint)));
	return PG_GETARG_INT32(argno);
}

/*
 * The log_features argument: one boolean per feature, no NULLs.  Its
 * length is checked against the features by the caller.
 */
static uint64
km_logmask_arg(ArrayType *a, int *len)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				j;
	uint64		mask = 0;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("log_features must be a one-dimensional array"),
				 errhint("Pass one boolean per feature, true for the features to log-transform.")));
	deconstruct_array(a, BOOLOID, 1, true, TYPALIGN_CHAR, &elems, &nulls, &n);
	if (n > KM_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("log_features must have at most %d elements, not %d",
						KM_MAX_FEATURES, n),
				 errhint("Pass one boolean per feature.")));
	for (j = 0; j < n; j++)
	{
		if (nulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("log_features must not contain NULL"),
					 errhint("Pass true or false for every feature.")));
		if (DatumGetBool(elems[j]))
			mask |= UINT64CONST(1) << j;
	}
	*len = n;
	return mask;
}

/* A feature value of a row or of kmeans_assign: finite, >= 0 when logged. */
static inline void
km_check_value(float8 v, int j, uint64 logmask)
{
	if (isnan(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature %d must not be NaN", j + 1),
				 errhint("Filter out or repair the rows whose features contain NaN.")));
	if (isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("feature %d must be finite", j + 1),
				 errhint("Filter out or repair the rows whose features contain an infinity.")));
	if (v < 0 && (logmask & (UINT64CONST(1) << j)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature %d must not be negative: it is log-transformed", j + 1),
				 errhint("log1p is applied only to features that cannot be negative; set its log_features element to false, or clip the values at zero.")));
}

/*
 * The features of a row, pointed to in place: NULL when the array is NULL
 * or has a NULL element (the customer is left out).  *n is its length.
 */
static const float8 *
km_features_arg(FunctionCallInfo fcinfo, int argno, int *n)
{
	ArrayType  *a;

	if (PG_ARGISNULL(argno))
		return NULL;
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array"),
				 errhint("Pass one array of numbers per customer, e.g. ARRAY[recency, frequency, monetary].")));
	*n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	if (*n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must not be empty"),
				 errhint("Pass one array of numbers per customer, e.g. ARRAY[recency, frequency, monetary].")));
	if (*n > KM_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must have at most %d elements, not %d",
						KM_MAX_FEATURES, *n),
				 errhint("Select the few features that describe the customers best.")));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		return NULL;
	/* ARR_DATA_PTR, without its signed/unsigned mix that -Wextra rejects */
	return (const float8 *) ((const char *) a + (ARR_HASNULL(a) ? (Size) a->dataoffset :
												 ARR_OVERHEAD_NONULLS(1)));
}


/* ----------------------------------------------------------------
 *		Sorted distinct rows
 * ----------------------------------------------------------------
 */

static int
km_int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

static inline int
km_row_cmp(const float8 *a, const float8 *b, int dims)
{
	int			j;

	for (j = 0; j < dims; j++)
	{
		if (a[j] < b[j])
			return -1;
		if (a[j] > b[j])
			return 1;
	}
	return 0;
}

static int
km_row_qsort_cmp(const void *a, const void *b, void *arg)
{
	return km_row_cmp((const float8 *) a, (const float8 *) b, *(const int *) arg);
}

/*
 * Sort n raw rows (in place) and return their distinct rows and counts,
 * allocated in cxt.
 */
static int64
km_rows_to_points(float8 *rows, int64 n, int dims, float8 **xout, int64 **wout,
				  MemoryContext cxt)
{
	float8	   *x;
	int64	   *w;
	int64		i,
				np = 0;

	qsort_arg(rows, n, sizeof(float8) * dims, km_row_qsort_cmp, &dims);
	CHECK_FOR_INTERRUPTS();
	for (i = 0; i < n; i++)
		if (i == 0 || km_row_cmp(rows + i * dims, rows + (i - 1) * dims, dims) != 0)
			np++;
	x = MemoryContextAllocExtended(cxt, sizeof(float8) * dims * Max(np, 1), MCXT_ALLOC_HUGE);
	w = MemoryContextAllocExtended(cxt, sizeof(int64) * Max(np, 1), MCXT_ALLOC_HUGE);
	np = 0;
	for (i = 0; i < n; i++)
	{
		if (i == 0 || km_row_cmp(rows + i * dims, rows + (i - 1) * dims, dims) != 0)
		{
			memcpy(x + np * dims, rows + i * dims, sizeof(float8) * dims);
			w[np++] = 0;
		}
		w[np - 1]++;
	}
	*xout = x;
	*wout = w;
	return np;
}

/* Merge two lists of sorted distinct rows into a new one allocated in cxt. */
static int64
km_points_merge(const float8 *xa, const int64 *wa, int64 na,
				const float8 *xb, const int64 *wb, int64 nb, int dims,
				float8 **xout, int64 **wout, MemoryContext cxt)
{
	float8	   *x = MemoryContextAllocExtended(cxt, sizeof(float8) * dims * Max(na + nb, 1),
											   MCXT_ALLOC_HUGE);
	int64	   *w = MemoryContextAllocExtended(cxt, sizeof(int64) * Max(na + nb, 1),
											   MCXT_ALLOC_HUGE);
	int64		i = 0,
				j = 0,
				n = 0;
	Size		rowsz = sizeof(float8) * dims;

	while (i < na || j < nb)
	{
		int			c;

		if (i >= na)
			c = 1;
		else if (j >= nb)
			c = -1;
		else
			c = km_row_cmp(xa + i * dims, xb + j * dims, dims);
		if (c < 0)
		{
			memcpy(x + n * dims, xa + i * dims, rowsz);
			w[n++] = wa[i++];
		}
		else if (c > 0)
		{
			memcpy(x + n * dims, xb + j * dims, rowsz);
			w[n++] = wb[j++];
		}
		else
		{
			memcpy(x + n * dims, xa + i * dims, rowsz);
			w[n++] = wa[i++] + wb[j++];
		}
	}
	*xout = x;
	*wout = w;
	return n;
}


/* ----------------------------------------------------------------
 *		The aggregate state
 * ----------------------------------------------------------------
 */

static const int64 *
km_flat_counts(const KmStateFlat *flat)
{
	return (const int64 *) (flat->values + flat->npoints * flat->dims);
}

static KmStateExpanded *
km_state_new(MemoryContext parent, const KmOptions *opt)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "kmeans state",
											  ALLOCSET_DEFAULT_SIZES);
	KmStateExpanded *s = MemoryContextAllocZero(cxt, sizeof(KmStateExpanded));

	EOH_init_header(&s->hdr, &km_state_methods, cxt);
	s->magic = KM_STATE_MAGIC;
	s->opt = *opt;
	return s;
}

static KmStateExpanded *
km_state_from_eoh(ExpandedObjectHeader *eohptr)
{
	KmStateExpanded *s = (KmStateExpanded *) eohptr;

	if (s->magic != KM_STATE_MAGIC)
		elog(ERROR, "expanded object is not a custseg.kmeans_state");
	return s;
}

/* Options must not change from one row (or partial state) to the next. */
static void
km_check_same_options(const KmOptions *a, const KmOptions *b)
{
	if (a->dims != b->dims)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must have the same length in every row, not %d and %d",
						a->dims, b->dims),
				 errhint("Give every customer the same features in the same order.")));
	if (a->k_min != b->k_min || a->k_max != b->k_max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of clusters must be the same for every row"),
				 errhint("Pass a constant as k (or k_min and k_max).")));
	if (a->seed != b->seed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seed must be the same for every row, not %d and %d",
						a->seed, b->seed),
				 errhint("Pass a constant as seed.")));
	if (a->max_iter != b->max_iter)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_iter must be the same for every row, not %d and %d",
						a->max_iter, b->max_iter),
				 errhint("Pass a constant as max_iter.")));
	if (a->logmask != b->logmask)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("log_features must be the same for every row"),
				 errhint("Pass a constant array as log_features.")));
}

static void
km_state_append(KmStateExpanded *s, const float8 *v)
{
	int			dims = s->opt.dims;
	float8	   *dst;
	int			j;

	if (s->nraw == s->rawcap)
	{
		if (s->raw == NULL)
		{
			s->rawcap = 256;
			s->raw = MemoryContextAlloc(s->hdr.eoh_context,
										sizeof(float8) * dims * s->rawcap);
		}
		else
		{
			s->rawcap *= 2;
			s->raw = repalloc_huge(s->raw, sizeof(float8) * dims * s->rawcap);
		}
	}
	dst = s->raw + s->nraw * dims;
	for (j = 0; j < dims; j++)
		dst[j] = v[j] + 0.0;	/* -0 becomes 0 */
	s->nraw++;
	s->customers++;
}

/* Count the customers of another state, up to KM_MAX_CUSTOMERS. */
static void
km_state_add_customers(KmStateExpanded *s, int64 customers)
{
	if (customers < 0 || customers > KM_MAX_CUSTOMERS ||
		s->customers + customers > KM_MAX_CUSTOMERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many customers in one custseg.kmeans_state"),
				 errhint("A state counts at most 2^53 customers.")));
	s->customers += customers;
}

/* Add sorted distinct points to s. */
static void
km_state_add_points(KmStateExpanded *s, const float8 *x, const int64 *w, int64 n)
{
	float8	   *mx;
	int64	   *mw;
	int64		nm;

	if (n == 0)
		return;
	nm = km_points_merge(s->x, s->w, s->npoints, x, w, n, s->opt.dims,
						 &mx, &mw, s->hdr.eoh_context);
	if (s->x != NULL)
	{
		pfree(s->x);
		pfree(s->w);
	}
	s->x = mx;
	s->w = mw;
	s->npoints = nm;
}

/*
 * Sort the raw rows into the distinct points.  This changes the
 * representation only, so it is allowed on a read-only state too.
 */
static void
km_state_compact(KmStateExpanded *s)
{
	float8	   *x;
	int64	   *w;
	int64		n;

	if (s->nraw == 0)
		return;
	n = km_rows_to_points(s->raw, s->nraw, s->opt.dims, &x, &w, s->hdr.eoh_context);
	s->nraw = 0;
	if (s->npoints == 0)
	{
		s->x = x;
		s->w = w;
		s->npoints = n;
	}
	else
	{
		km_state_add_points(s, x, w, n);
		pfree(x);
		pfree(w);
	}
	/* the raw rows are not needed any more */
	pfree(s->raw);
	s->raw = NULL;
	s->rawcap = 0;
}

/* Why the options are not those of a valid state, or NULL. */
static const char *
km_options_problem(const KmOptions *opt)
{
	if (opt->k_min < 1 || opt->k_min > KM_MAX_K)
		return psprintf("k_min must be between 1 and %d.", KM_MAX_K);
	if (opt->k_max < opt->k_min || opt->k_max > KM_MAX_K)
		return psprintf("k_max must be between k_min and %d.", KM_MAX_K);
	if (opt->max_iter < 1)
		return "max_iter must be at least 1.";
	if (opt->dims < 1 || opt->dims > KM_MAX_FEATURES)
		return psprintf("There must be between 1 and %d features.", KM_MAX_FEATURES);
	if (opt->dims < 64 && (opt->logmask >> opt->dims) != 0)
		return "log_features has flags beyond the last feature.";
	return NULL;
}

/* Check what a flat state claims against its size. */
static void
km_state_flat_check(const KmStateFlat *flat)
{
	KmOptions	opt;

	if (VARSIZE(flat) < KM_FLAT_HDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt custseg.kmeans_state value")));
	opt.k_min = flat->k_min;
	opt.k_max = flat->k_max;
	opt.seed = flat->seed;
	opt.max_iter = flat->max_iter;
	opt.dims = flat->dims;
	opt.logmask = flat->logmask;
	if (km_options_problem(&opt) != NULL ||
		flat->npoints < 1 || flat->customers < flat->npoints ||
		flat->customers > KM_MAX_CUSTOMERS ||
		flat->npoints > (int64) ((VARSIZE(flat) - KM_FLAT_HDRSZ) / (sizeof(float8) * (flat->dims + 1))) ||
		VARSIZE(flat) != KM_FLAT_HDRSZ + flat->npoints * sizeof(float8) * (flat->dims + 1))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt custseg.kmeans_state value")));
}

static void
km_view_of_flat(const KmStateFlat *flat, KmView *v)
{
	v->opt.k_min = flat->k_min;
	v->opt.k_max = flat->k_max;
	v->opt.seed = flat->seed;
	v->opt.max_iter = flat->max_iter;
	v->opt.dims = flat->dims;
	v->opt.logmask = flat->logmask;
	v->customers = flat->customers;
	v->npoints = flat->npoints;
	v->x = flat->values;
	v->w = km_flat_counts(flat);
}

/*
 * Look at a state datum: a flat one is checked against its size, an
 * expanded one compacted.
 */
static void
km_state_view(Datum src, KmView *v)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(src)))
	{
		KmStateExpanded *s = km_state_from_eoh(DatumGetEOHP(src));

		km_state_compact(s);
		v->opt = s->opt;
		v->customers = s->customers;
		v->npoints = s->npoints;
		v->x = s->x;
		v->w = s->w;
	}
	else
	{
		KmStateFlat *flat = (KmStateFlat *) PG_DETOAST_DATUM(src);

		km_state_flat_check(flat);
		km_view_of_flat(flat, v);
	}
}

static void
km_state_add_view(KmStateExpanded *s, const KmView *v)
{
	km_check_same_options(&s->opt, &v->opt);
	km_state_add_customers(s, v->customers);
	km_state_add_points(s, v->x, v->w, v->npoints);
}

/*
 * The state in argument argno as an expanded object we may change: the
 * argument itself when it is a read-write expanded object of ours, else a
 * copy in aggcxt.
 */
static KmStateExpanded *
km_state_for_update(FunctionCallInfo fcinfo, int argno, MemoryContext aggcxt)
{
	Datum		d = PG_GETARG_DATUM(argno);
	KmStateExpanded *s;
	KmView		v;

	if (DatumIsReadWriteExpandedObject(d, false, -1))
	{
		s = km_state_from_eoh(DatumGetEOHP(d));
		if (MemoryContextGetParent(s->hdr.eoh_context) == aggcxt)
			return s;
	}
	km_state_view(d, &v);
	s = km_state_new(aggcxt, &v.opt);
	km_state_add_view(s, &v);
	return s;
}

static Size
km_state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	KmStateExpanded *s = km_state_from_eoh(eohptr);

	km_state_compact(s);
	if (s->npoints > (int64) ((MaxAllocSize - KM_FLAT_HDRSZ) /
							  (sizeof(float8) * (s->opt.dims + 1))))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("custseg.kmeans_state of " INT64_FORMAT " distinct points is too large to store",
						s->npoints),
				 errhint("Aggregate without parallel workers, or round the features so that more customers share a point.")));
	return KM_FLAT_HDRSZ + s->npoints * sizeof(float8) * (s->opt.dims + 1);
}

static void
km_state_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					  Size allocated_size)
{
	KmStateExpanded *s = km_state_from_eoh(eohptr);
	KmStateFlat *flat = (KmStateFlat *) result;

	Assert(s->nraw == 0);
	memset(flat, 0, KM_FLAT_HDRSZ);
	SET_VARSIZE(flat, allocated_size);
	flat->k_min = s->opt.k_min;
	flat->k_max = s->opt.k_max;
	flat->seed = s->opt.seed;
	flat->max_iter = s->opt.max_iter;
	flat->dims = s->opt.dims;
	flat->logmask = s->opt.logmask;
	flat->customers = s->customers;
	flat->npoints = s->npoints;
	memcpy(flat->values, s->x, sizeof(float8) * s->opt.dims * s->npoints);
	memcpy((char *) (flat->values + s->npoints * s->opt.dims), s->w,
		   sizeof(int64) * s->npoints);
}

/*
 * The transition functions:
 *	custseg.kmeans_accum(state, features, k [, seed [, max_iter [, log_features]]])
 *	custseg.kmeans_choose_k_accum(state, features, k_min, k_max
 *								  [, seed [, max_iter [, log_features]]])
 * A NULL features array, or one with a NULL element, leaves the customer
 * out; the options are checked on every row.
 */
static Datum
km_accum(FunctionCallInfo fcinfo, bool choose, const char *fname)
{
	MemoryContext aggcxt;
	KmStateExpanded *s = NULL;
	KmOptions	opt;
	const float8 *v;
	int			n = 0,
				loglen = -1,
				argno,
				j;
	static const char *const khint = "A handful of clusters (2 to 10) is the usual choice.";

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname)));

	memset(&opt, 0, sizeof(opt));
	if (choose)
	{
		opt.k_min = km_int_arg(fcinfo, 2, "k_min", khint);
		opt.k_max = km_int_arg(fcinfo, 3, "k_max", khint);
		km_check_k("k_min", opt.k_min);
		km_check_k("k_max", opt.k_max);
		if (opt.k_max < opt.k_min)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k_max must not be less than k_min, not %d and %d",
							opt.k_max, opt.k_min),
					 errhint("Pass the smallest and the largest number of clusters to try.")));
		argno = 4;
	}
	else
	{
		opt.k_min = opt.k_max = km_int_arg(fcinfo, 2, "k", khint);
		km_check_k("k", opt.k_max);
		argno = 3;
	}
	opt.seed = KM_DEFAULT_SEED;
	opt.max_iter = KM_DEFAULT_MAX_ITER;
	if (PG_NARGS() > argno)
		opt.seed = km_int_arg(fcinfo, argno, "seed",
							  "Pass any integer; the same seed gives the same clusters.");
	if (PG_NARGS() > argno + 1)
	{
		opt.max_iter = km_int_arg(fcinfo, argno + 1, "max_iter",
								  "100 iterations are plenty for most data.");
		if (opt.max_iter < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_iter must be at least 1, not %d", opt.max_iter),
					 errhint("100 iterations are plenty for most data.")));
	}

	v = km_features_arg(fcinfo, 1, &n);
	if (PG_NARGS() > argno + 2)
	{
		if (PG_ARGISNULL(argno + 2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("log_features must not be NULL"),
					 errhint("Pass one boolean per feature, true for the features to log-transform.")));
		opt.logmask = km_logmask_arg(PG_GETARG_ARRAYTYPE_P(argno + 2), &loglen);
	}
	if (!PG_ARGISNULL(0))
		s = km_state_for_update(fcinfo, 0, aggcxt);

	/* the number of features: of this row, else of the earlier rows */
	opt.dims = n > 0 ? n : (s != NULL ? s->opt.dims : loglen);
	if (loglen >= 0 && opt.dims > 0 && loglen != opt.dims)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("log_features must have one element per feature (%d), not %d",
						opt.dims, loglen),
				 errhint("Pass one boolean per feature.")));
	if (s != NULL)
		km_check_same_options(&s->opt, &opt);
	if (v == NULL)
	{
		/* the customer is left out */
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(EOHPGetRWDatum(&s->hdr));
	}
	for (j = 0; j < n; j++)
		km_check_value(v[j], j, opt.logmask);
	if (s == NULL)
		s = km_state_new(aggcxt, &opt);
	if (s->customers >= KM_MAX_CUSTOMERS)
		km_state_add_customers(s, 1);	/* reports the error */
	km_state_append(s, v);
	PG_RETURN_DATUM(EOHPGetRWDatum(&s->hdr));
}

PG_FUNCTION_INFO_V1(kmeans_accum);
Datum
kmeans_accum(PG_FUNCTION_ARGS)
{
	return km_accum(fcinfo, false, "kmeans_accum");
}

PG_FUNCTION_INFO_V1(kmeans_choose_k_accum);
Datum
kmeans_choose_k_accum(PG_FUNCTION_ARGS)
{
	return km_accum(fcinfo, true, "kmeans_choose_k_accum");
}

/*
 * custseg.kmeans_combine(state, state)
 */
PG_FUNCTION_INFO_V1(kmeans_combine);
Datum
kmeans_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	KmStateExpanded *s;
	KmView		other;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("kmeans_combine called in non-aggregate context")));
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		s = km_state_for_update(fcinfo, 0, aggcxt);
	else
	{
		km_state_view(PG_GETARG_DATUM(1), &other);
		if (PG_ARGISNULL(0))
			s = km_state_new(aggcxt, &other.opt);	/* never the input itself */
		else
			s = km_state_for_update(fcinfo, 0, aggcxt);
		km_state_add_view(s, &other);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&s->hdr));
}


/* ----------------------------------------------------------------
 *		The fit
 * ----------------------------------------------------------------
 */

static inline float8
km_dist2(const float8 *a, const float8 *b, int dims)
{
	float8		s = 0;
	int			j;

	for (j = 0; j < dims; j++)
	{
		float8		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

/*
 * Transform and standardize the points of a view.  z is allocated in the
 * current memory context.
 */
static void
km_prepare(const KmView *v, KmData *data)
{
	int			dims = v->opt.dims;
	int64		n = v->npoints,
				i;
	int			j;
	float8		total = (float8) v->customers;

	data->dims = dims;
	data->n = n;
	data->customers = v->customers;
	data->x = v->x;
	data->w = v->w;
	data->logmask = v->opt.logmask;
	data->z = palloc_extended(sizeof(float8) * dims * n, MCXT_ALLOC_HUGE);

	/* transformed values */
	for (i = 0; i < n * dims; i++)
	{
		j = i % dims;
		data->z[i] = (data->logmask & (UINT64CONST(1) << j)) ? log1p(v->x[i]) : v->x[i];
	}

	for (j = 0; j < dims; j++)
	{
		float8		sum = 0,
					ss = 0,
					maxdev = 0,
					mean,
					sd;

		for (i = 0; i < n; i++)
			sum += (float8) v->w[i] * data->z[i * dims + j];
		mean = sum / total;
		/* scaled by the largest deviation, so that squares cannot overflow */
		for (i = 0; i < n; i++)
			maxdev = Max(maxdev, fabs(data->z[i * dims + j] - mean));
		if (maxdev > 0 && !isinf(maxdev))
			for (i = 0; i < n; i++)
			{
				float8		t = (data->z[i * dims + j] - mean) / maxdev;

				ss += (float8) v->w[i] * t * t;
			}
		sd = maxdev * sqrt(ss / total);
		if (isinf(mean) || isinf(maxdev) || isinf(sd) || isnan(sd))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d is too large to standardize", j + 1),
					 errhint("Rescale the feature (e.g. to thousands) or log-transform it with log_features.")));
		if (sd == 0)
			sd = 1;				/* a constant feature: every z is 0 */
		data->means[j] = mean;
		data->sds[j] = sd;
	}
	for (i = 0; i < n * dims; i++)
	{
		j = i % dims;
		data->z[i] = (data->z[i] - data->means[j]) / data->sds[j];
	}
	CHECK_FOR_INTERRUPTS();
}

static void
km_too_few_points(int k, int64 n)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("k = %d is more than the " INT64_FORMAT " distinct feature vectors", k, n),
			 errhint("Choose fewer clusters: every cluster needs a distinct customer at its centre.")));
}

/* The index of the point where the cumulative sum of weight[i] passes r. */
static int64
km_pick(const float8 *weight, int64 n, float8 r)
{
	int64		i,
				last = -1;
	float8		cum = 0;

	for (i = 0; i < n; i++)
	{
		if (weight[i] <= 0)
			continue;
		cum += weight[i];
		last = i;
		if (cum > r)
			return i;
	}
	return last;				/* rounding: the last point with a weight */
}

/*
 * Greedy k-means++: the first centre drawn with probability proportional
 * to the counts, every further one the best of 2 + floor(ln k) candidates
 * drawn with probability proportional to count * squared distance to the
 * nearest centre so far.
 */
static bool
km_seed_centers(const KmData *data, int k, uint64 *rng, float8 *centers)
{
	int			dims = data->dims;
	int64		n = data->n,
				i;
	float8	   *d2 = palloc_extended(sizeof(float8) * n, MCXT_ALLOC_HUGE);
	float8	   *weight = palloc_extended(sizeof(float8) * n, MCXT_ALLOC_HUGE);
	float8	   *cand_d2 = palloc_extended(sizeof(float8) * n, MCXT_ALLOC_HUGE);
	float8	   *best_d2 = palloc_extended(sizeof(float8) * n, MCXT_ALLOC_HUGE);
	int			trials = 2 + (int) floor(log((float8) k));
	float8		potential = 0;
	int64		first;
	int			c;

	for (i = 0; i < n; i++)
		weight[i] = (float8) data->w[i];
	first = km_pick(weight, n, km_random_unit(rng) * (float8) data->customers);
	memcpy(centers, data->z + first * dims, sizeof(float8) * dims);
	for (i = 0; i < n; i++)
	{
		d2[i] = km_dist2(data->z + i * dims, centers, dims);
		weight[i] = (float8) data->w[i] * d2[i];
		potential += weight[i];
	}

	for (c = 1; c < k; c++)
	{
		float8		best_potential = -1;
		int64		best = -1;
		int			t;

		if (!(potential > 0))
			return false;		/* every point coincides with a centre */
		for (t = 0; t < trials; t++)
		{
			int64		cand = km_pick(weight, n, km_random_unit(rng) * potential);
			const float8 *cz = data->z + cand * dims;
			float8		pot = 0;

			for (i = 0; i < n; i++)
			{
				float8		dd = km_dist2(data->z + i * dims, cz, dims);

				cand_d2[i] = dd < d2[i] ? dd : d2[i];
				pot += (float8) data->w[i] * cand_d2[i];
			}
			if (best < 0 || pot < best_potential)
			{
				float8	   *swap = best_d2;

				best_potential = pot;
				best = cand;
				best_d2 = cand_d2;
				cand_d2 = swap;
			}
			CHECK_FOR_INTERRUPTS();
		}
		memcpy(centers + c * dims, data->z + best * dims, sizeof(float8) * dims);
		memcpy(d2, best_d2, sizeof(float8) * n);
		potential = 0;
		for (i = 0; i < n; i++)
		{
			weight[i] = (float8) data->w[i] * d2[i];
			potential += weight[i];
		}
	}
	pfree(d2);
	pfree(weight);
	pfree(cand_d2);
	pfree(best_d2);
	return true;
}

/*
 * Nearest centre of point p (lowest index on ties); the distances to it
 * and to the second nearest (DBL_MAX when k = 1) in *d1 and *d2, squared.
 */
static inline int
km_nearest(const float8 *p, const float8 *centers, int k, int dims,
		   float8 *d1, float8 *d2)
{
	float8		best = DBL_MAX,
				second = DBL_MAX;
	int			a = 0,
				c;

	for (c = 0; c < k; c++)
	{
		float8		dd = km_dist2(p, centers + c * dims, dims);

		if (dd < best)
		{
			second = best;
			best = dd;
			a = c;
		}
		else if (dd < second)
			second = dd;
	}
	*d1 = best;
	*d2 = second;
	return a;
}

/*
 * New centres: the count-weighted means of the clusters' points.  An empty
 * cluster first takes the point farthest from its centre among clusters of
 * at least two distinct points; such a point is marked in moved[].
 */
static void
km_update_centers(const KmData *data, int k, int32 *labels, float8 *centers,
				  bool *moved)
{
	int			dims = data->dims;
	int64		n = data->n,
				i;
	float8	   *sums = palloc0(sizeof(float8) * k * dims);
	float8	   *weights = palloc0(sizeof(float8) * k);
	int64	   *members = palloc0(sizeof(int64) * k);
	int			c,
				j;

	for (i = 0; i < n; i++)
		members[labels[i]]++;
	for (c = 0; c < k; c++)
	{
		float8		far = -1;
		int64		pick = -1;

		if (members[c] > 0)
			continue;
		for (i = 0; i < n; i++)
		{
			float8		dd;

			if (members[labels[i]] < 2)
				continue;
			dd = km_dist2(data->z + i * dims, centers + labels[i] * dims, dims);
			if (dd > far)
			{
				far = dd;
				pick = i;
			}
			if ((i & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		if (pick < 0)			/* cannot happen: k <= n */
			elog(ERROR, "no point to move into empty cluster %d", c + 1);
		members[labels[pick]]--;
		members[c]++;
		labels[pick] = c;
		moved[pick] = true;
	}

	for (i = 0; i < n; i++)
	{
		float8		wi = (float8) data->w[i];
		float8	   *s = sums + labels[i] * dims;
		const float8 *z = data->z + i * dims;

		weights[labels[i]] += wi;
		for (j = 0; j < dims; j++)
			s[j] += wi * z[j];
	}
	for (c = 0; c < k; c++)
		for (j = 0; j < dims; j++)
			centers[c * dims + j] = sums[c * dims + j] / weights[c];
	pfree(sums);
	pfree(weights);
	pfree(members);
}

/*
 * Lloyd's iterations with Hamerly's bounds: upper[i] bounds the distance
 * of point i to its centre, lower[i] the distance to every other centre.
 * A point is examined only when upper > max(lower, half the distance from
 * its centre to the nearest other centre).
 */
static void
km_lloyd(const KmData *data, int k, int max_iter, float8 *centers,
		 int32 *labels, int *iterations, bool *converged)
{
	int			dims = data->dims;
	int64		n = data->n,
				i;
	float8	   *upper = palloc_extended(sizeof(float8) * n, MCXT_ALLOC_HUGE);
	float8	   *lower = palloc_extended(sizeof(float8) * n, MCXT_ALLOC_HUGE);
	bool	   *moved = palloc_extended(sizeof(bool) * n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	float8	   *old = palloc(sizeof(float8) * k * dims);
	float8	   *shift = palloc(sizeof(float8) * k);
	float8	   *half = palloc(sizeof(float8) * k);
	int			iter,
				c,
				c2;

	for (i = 0; i < n; i++)
	{
		float8		d1,
					d2;

		labels[i] = km_nearest(data->z + i * dims, centers, k, dims, &d1, &d2);
		upper[i] = sqrt(d1);
		lower[i] = sqrt(d2);
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	*converged = false;
	for (iter = 1; iter <= max_iter; iter++)
	{
		float8		max1 = 0,
					max2 = 0;
		int			argmax1 = -1;
		int64		changed = 0;

		memcpy(old, centers, sizeof(float8) * k * dims);
		km_update_centers(data, k, labels, centers, moved);

		/* how far each centre moved; the two largest moves */
		for (c = 0; c < k; c++)
		{
			shift[c] = sqrt(km_dist2(old + c * dims, centers + c * dims, dims));
			if (shift[c] > max1)
			{
				max2 = max1;
				max1 = shift[c];
				argmax1 = c;
			}
			else if (shift[c] > max2)
				max2 = shift[c];
		}
		/* half the distance from each centre to its nearest other centre */
		for (c = 0; c < k; c++)
		{
			float8		m = DBL_MAX;

			for (c2 = 0; c2 < k; c2++)
				if (c2 != c)
					m = Min(m, km_dist2(centers + c * dims, centers + c2 * dims, dims));
			half[c] = k > 1 ? sqrt(m) / 2 : DBL_MAX;
		}

		for (i = 0; i < n; i++)
		{
			int			a = labels[i];
			float8		bound;
			const float8 *z = data->z + i * dims;

			if (moved[i])
			{
				/* relocated into an empty cluster: bounds unknown */
				upper[i] = DBL_MAX;
				lower[i] = 0;
				moved[i] = false;
			}
			else
			{
				upper[i] += shift[a];
				lower[i] -= (a == argmax1) ? max2 : max1;
			}
			bound = Max(lower[i], half[a]);
			if (upper[i] > bound)
			{
				upper[i] = sqrt(km_dist2(z, centers + a * dims, dims));
				if (upper[i] > bound)
				{
					float8		d1,
								d2;
					int			b = km_nearest(z, centers, k, dims, &d1, &d2);

					upper[i] = sqrt(d1);
					lower[i] = sqrt(d2);
					if (b != a)
					{
						labels[i] = b;
						changed++;
					}
				}
			}
			if ((i & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		if (changed == 0)
		{
			*converged = true;
			break;
		}
	}
	*iterations = Min(iter, max_iter);

	pfree(upper);
	pfree(lower);
	pfree(moved);
	pfree(old);
	pfree(shift);
	pfree(half);
}

/*
 * A sample of min(size, customers) customers drawn without replacement, as
 * the indexes of their points in ascending order.  The customers are
 * numbered 0 .. customers - 1 in the canonical order of the points (a point
 * of count c has c consecutive numbers); Floyd's algorithm draws the
 * numbers from random stream "stream" of the seed, with a hash set of
 * those drawn, in O(size) whatever the counts.  Returns the sample size.
 */
static int
km_sample(const KmData *data, int32 seed, uint64 stream, int size, int64 *sample)
{
	uint64		rng = km_random_start(seed, stream);
	int64		total = data->customers;
	int			m = (int) Min(total, (int64) size);
	int			bits = 1;
	int64	   *slots;
	int64		j,
				cum = 0,
				i = 0;
	int			p = 0;

	while ((1 << bits) < 2 * m)
		bits++;
	slots = palloc(sizeof(int64) * (1 << bits));
	memset(slots, 0xff, sizeof(int64) * (1 << bits));	/* all -1: empty */
	for (j = total - m; j < total; j++)
	{
		int64		t = (int64) (km_random_unit(&rng) * (float8) (j + 1));
		int			pass;

		t = Min(t, j);			/* rounding near 1 */
		/* insert t, or j when t was drawn before */
		for (pass = 0; pass < 2; pass++)
		{
			uint64		h = ((uint64) t * UINT64CONST(0x9e3779b97f4a7c15)) >> (64 - bits);

			while (slots[h] >= 0 && slots[h] != t)
				h = (h + 1) & ((UINT64CONST(1) << bits) - 1);
			if (slots[h] < 0)
			{
				slots[h] = t;
				sample[p++] = t;
				break;
			}
			t = j;				/* j itself is never drawn before */
		}
	}
	Assert(p == m);
	qsort(sample, m, sizeof(int64), km_int64_cmp);

	/* customer numbers to point indexes */
	for (p = 0; p < m; p++)
	{
		while (cum + data->w[i] <= sample[p])
		{
			cum += data->w[i++];
			if ((i & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		sample[p] = i;
	}
	pfree(slots);
	return m;
}

/* Inertia of the nearest-centre assignment. */
static float8
km_inertia(const KmData *data, int k, const float8 *centers)
{
	float8		inertia = 0;
	int64		i;

	for (i = 0; i < data->n; i++)
	{
		float8		d1,
					d2;

		(void) km_nearest(data->z + i * data->dims, centers, k, data->dims, &d1, &d2);
		inertia += (float8) data->w[i] * d1;
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return inertia;
}

/*
 * The points of a sample of KM_RESTART_SAMPLE customers, as data of its
 * own: the distinct points drawn, each with the number of times it was
 * drawn.  All points when there are no more than KM_RESTART_SAMPLE
 * distinct ones.
 */
static void
km_restart_data(const KmData *data, int32 seed, KmData *sub)
{
	int64	   *sample,
			   *w;
	int			m,
				i,
				n = 0;

	if (data->n <= KM_RESTART_SAMPLE)
	{
		*sub = *data;
		return;
	}
	sample = palloc(sizeof(int64) * KM_RESTART_SAMPLE);
	m = km_sample(data, seed, 3, KM_RESTART_SAMPLE, sample);
	memset(sub, 0, sizeof(KmData));
	sub->dims = data->dims;
	sub->customers = m;
	sub->z = palloc(sizeof(float8) * data->dims * m);
	w = palloc(sizeof(int64) * m);
	for (i = 0; i < m; i++)
	{
		if (i > 0 && sample[i] == sample[i - 1])
		{
			w[n - 1]++;
			continue;
		}
		memcpy(sub->z + n * data->dims, data->z + sample[i] * data->dims,
			   sizeof(float8) * data->dims);
		w[n++] = 1;
	}
	sub->w = w;
	sub->n = n;
	pfree(sample);
}

/*
 * Fit k clusters to prepared data.  Everything is allocated in the current
 * memory context.
 *
 * KM_RESTARTS runs (k-means++ seeding and Lloyd iterations, from random
 * streams 16, 17, ... of the seed) on a sample of the customers (all of
 * them when there are few distinct points); the centres of the run whose
 * inertia on all points is least start the Lloyd iterations on all points.
 * When the sample is all points, that run is the result.
 */
static void
km_fit(const KmData *data, int k, int32 seed, int max_iter, KmFit *fit)
{
	int			dims = data->dims;
	int64		n = data->n,
				i;
	KmData		sub;
	float8	   *wsum,
			   *trial,
				best = -1;
	int32	   *sublabels;
	int			c,
				j,
				r;

	if (k > n)
		km_too_few_points(k, n);
	fit->k = k;
	fit->centers = palloc(sizeof(float8) * k * dims);
	fit->labels = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);

	km_restart_data(data, seed, &sub);
	trial = palloc(sizeof(float8) * k * dims);
	sublabels = palloc_extended(sizeof(int32) * sub.n, MCXT_ALLOC_HUGE);
	for (r = 0; r < KM_RESTARTS && k <= sub.n; r++)
	{
		uint64		rng = km_random_start(seed, 16 + r);
		int			iterations;
		bool		converged;
		float8		inertia;

		if (!km_seed_centers(&sub, k, &rng, trial))
			break;				/* the sample has fewer than k distinct points */
		km_lloyd(&sub, k, max_iter, trial, sublabels, &iterations, &converged);
		/* judged on all points: a sample's inertia is too noisy to rank runs */
		inertia = km_inertia(data, k, trial);
		if (best < 0 || inertia < best)
		{
			best = inertia;
			memcpy(fit->centers, trial, sizeof(float8) * k * dims);
			fit->iterations = iterations;
			fit->converged = converged;
		}
	}
	if (best < 0)
	{
		/* no run on the sample: seed from all points */
		uint64		rng = km_random_start(seed, 16);

		if (!km_seed_centers(data, k, &rng, fit->centers))
			km_too_few_points(k, n);
	}
	if (best < 0 || sub.n != n)
		km_lloyd(data, k, max_iter, fit->centers, fit->labels,
				 &fit->iterations, &fit->converged);

	/* the final assignment, as kmeans_assign makes it */
	fit->sizes = palloc0(sizeof(int64) * k);
	fit->centroids = palloc0(sizeof(float8) * k * dims);
	wsum = palloc0(sizeof(float8) * k);
	fit->inertia = 0;
	for (i = 0; i < n; i++)
	{
		float8		d1,
					d2;
		int			a = km_nearest(data->z + i * dims, fit->centers, k, dims, &d1, &d2);
		float8		wi = (float8) data->w[i];

		fit->labels[i] = a;
		fit->sizes[a] += data->w[i];
		fit->inertia += wi * d1;
		wsum[a] += wi;
		for (j = 0; j < dims; j++)
			fit->centroids[a * dims + j] += wi * data->x[i * dims + j];
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (c = 0; c < k; c++)
		for (j = 0; j < dims; j++)
		{
			/* a cluster emptied by the last update keeps its centre, back-transformed */
			float8		v;

			if (wsum[c] > 0)
				v = fit->centroids[c * dims + j] / wsum[c];
			else
			{
				v = fit->centers[c * dims + j] * data->sds[j] + data->means[j];
				if (data->logmask & (UINT64CONST(1) << j))
					v = expm1(v);
			}
			if (isinf(v) || isnan(v))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("the centroid of feature %d is out of range", j + 1),
						 errhint("Rescale the feature (e.g. to thousands) or log-transform it with log_features.")));
			fit->centroids[c * dims + j] = v;
		}
	pfree(wsum);
}


/* ----------------------------------------------------------------
 *		Silhouette
 * ----------------------------------------------------------------
 */

/*
 * Mean silhouette of the sample under the fit's labels, Euclidean
 * distances in the standardized space.  A point alone in its cluster (in
 * the sample) scores 0.  False when fewer than two clusters appear in the
 * sample (the silhouette is undefined).
 */
static bool
km_silhouette(const KmData *data, const KmFit *fit, const int64 *sample, int m,
			  float8 *result)
{
	int			dims = data->dims;
	int			k = fit->k;
	float8	   *sum = palloc(sizeof(float8) * k);
	int		   *count = palloc0(sizeof(int) * k);
	int			p,
				q,
				c,
				present = 0;
	float8		total = 0;

	for (p = 0; p < m; p++)
		count[fit->labels[sample[p]]]++;
	for (c = 0; c < k; c++)
		if (count[c] > 0)
			present++;
	if (present < 2)
	{
		pfree(sum);
		pfree(count);
		return false;
	}
	for (p = 0; p < m; p++)
	{
		const float8 *zp = data->z + sample[p] * dims;
		int			a = fit->labels[sample[p]];
		float8		ai,
					bi = DBL_MAX;

		memset(sum, 0, sizeof(float8) * k);
		for (q = 0; q < m; q++)
			if (q != p)
				sum[fit->labels[sample[q]]] += sqrt(km_dist2(zp, data->z + sample[q] * dims, dims));
		if (count[a] < 2)
			continue;			/* scores 0 */
		ai = sum[a] / (count[a] - 1);
		for (c = 0; c < k; c++)
			if (c != a && count[c] > 0)
				bi = Min(bi, sum[c] / count[c]);
		if (Max(ai, bi) > 0)
			total += (bi - ai) / Max(ai, bi);
		CHECK_FOR_INTERRUPTS();
	}
	*result = total / m;
	pfree(sum);
	pfree(count);
	return true;
}


/* ----------------------------------------------------------------
 *		Final functions
 * ----------------------------------------------------------------
 */

static Datum
km_float8_array(const float8 *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * n);
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, FLOAT8OID, sizeof(float8),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
km_float8_matrix(const float8 *v, int rows, int cols)
{
	Datum	   *d = palloc(sizeof(Datum) * rows * cols);
	int			dims[2] = {rows, cols};
	int			lbs[2] = {1, 1};
	int			i;

	for (i = 0; i < rows * cols; i++)
		d[i] = Float8GetDatum(v[i]);
	return PointerGetDatum(construct_md_array(d, NULL, 2, dims, lbs, FLOAT8OID,
											  sizeof(float8), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
}

/* Fields of custseg.kmeans_model, 1-based. */
enum
{
	KM_MODEL_K = 1,
	KM_MODEL_CUSTOMERS,
	KM_MODEL_SIZES,
	KM_MODEL_CENTROIDS,
	KM_MODEL_INERTIA,
	KM_MODEL_ITERATIONS,
	KM_MODEL_CONVERGED,
	KM_MODEL_SEED,
	KM_MODEL_LOG_FEATURES,
	KM_MODEL_MEANS,
	KM_MODEL_SDS,
	KM_MODEL_CENTERS,
	KM_MODEL_NFIELDS = KM_MODEL_CENTERS
};

/*
 * custseg.kmeans_final(state) -> custseg.kmeans_model
 */
PG_FUNCTION_INFO_V1(kmeans_final);
Datum
kmeans_final(PG_FUNCTION_ARGS)
{
	TupleDesc	desc = custseg_result_desc(fcinfo);
	MemoryContext workcxt = AllocSetContextCreate(CurrentMemoryContext,
												  "kmeans fit", ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt;
	KmView		v;
	KmData		data;
	KmFit		fit;
	Datum		values[KM_MODEL_NFIELDS];
	bool		nulls[KM_MODEL_NFIELDS];
	Datum	   *elems;
	Datum		result;
	int			dims,
				j;

	km_state_view(PG_GETARG_DATUM(0), &v);
	if (v.opt.k_min != v.opt.k_max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this custseg.kmeans_state is for choosing k between %d and %d",
						v.opt.k_min, v.opt.k_max),
				 errhint("Pass it to custseg.kmeans_choose_k_final, or aggregate with custseg.kmeans.")));
	dims = v.opt.dims;

	oldcxt = MemoryContextSwitchTo(workcxt);
	km_prepare(&v, &data);
	km_fit(&data, v.opt.k_max, v.opt.seed, v.opt.max_iter, &fit);
	MemoryContextSwitchTo(oldcxt);

	memset(nulls, 0, sizeof(nulls));
	values[KM_MODEL_K - 1] = Int32GetDatum(fit.k);
	values[KM_MODEL_CUSTOMERS - 1] = Int64GetDatum(data.customers);
	elems = palloc(sizeof(Datum) * Max(fit.k, dims));
	for (j = 0; j < fit.k; j++)
		elems[j] = Int64GetDatum(fit.sizes[j]);
	values[KM_MODEL_SIZES - 1] =
		PointerGetDatum(construct_array(elems, fit.k, INT8OID, sizeof(int64),
										FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[KM_MODEL_CENTROIDS - 1] = km_float8_matrix(fit.centroids, fit.k, dims);
	values[KM_MODEL_INERTIA - 1] = Float8GetDatum(fit.inertia);
	values[KM_MODEL_ITERATIONS - 1] = Int32GetDatum(fit.iterations);
	values[KM_MODEL_CONVERGED - 1] = BoolGetDatum(fit.converged);
	values[KM_MODEL_SEED - 1] = Int32GetDatum(v.opt.seed);
	for (j = 0; j < dims; j++)
		elems[j] = BoolGetDatum((data.logmask & (UINT64CONST(1) << j)) != 0);
	values[KM_MODEL_LOG_FEATURES - 1] =
		PointerGetDatum(construct_array(elems, dims, BOOLOID, 1, true, TYPALIGN_CHAR));
	values[KM_MODEL_MEANS - 1] = km_float8_array(data.means, dims);
	values[KM_MODEL_SDS - 1] = km_float8_array(data.sds, dims);
	values[KM_MODEL_CENTERS - 1] = km_float8_matrix(fit.centers, fit.k, dims);
	result = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
	MemoryContextDelete(workcxt);
	PG_RETURN_DATUM(result);
}

/*
 * custseg.kmeans_choose_k_final(state) -> custseg.kmeans_choice[]
 * One fit per k from k_min to k_max, each from the same seed, with its
 * inertia and the silhouette of one sample of customers (the same for
 * every k).
 */
PG_FUNCTION_INFO_V1(kmeans_choose_k_final);
Datum
kmeans_choose_k_final(PG_FUNCTION_ARGS)
{
	Oid			arraytype = get_func_rettype(fcinfo->flinfo->fn_oid);
	Oid			rowtype = get_element_type(arraytype);
	MemoryContext workcxt = AllocSetContextCreate(CurrentMemoryContext,
												  "kmeans_choose_k fit",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext fitcxt = AllocSetContextCreate(workcxt, "kmeans_choose_k one k",
												 ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt;
	TupleDesc	desc;
	KmView		v;
	KmData		data;
	int64	   *sample;
	int			m,
				k,
				nk;
	Datum	   *rows;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	ArrayType  *result;

	if (!OidIsValid(rowtype))
		elog(ERROR, "kmeans_choose_k_final must return an array");
	desc = lookup_rowtype_tupdesc_copy(rowtype, -1);
	km_state_view(PG_GETARG_DATUM(0), &v);
	nk = v.opt.k_max - v.opt.k_min + 1;
	rows = palloc(sizeof(Datum) * nk);

	oldcxt = MemoryContextSwitchTo(workcxt);
	km_prepare(&v, &data);
	if (v.opt.k_max > data.n)
		km_too_few_points(v.opt.k_max, data.n);
	sample = palloc(sizeof(int64) * KM_SILHOUETTE_SAMPLE);
	m = km_sample(&data, v.opt.seed, 2, KM_SILHOUETTE_SAMPLE, sample);

	for (k = v.opt.k_min; k <= v.opt.k_max; k++)
	{
		KmFit		fit;
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		float8		silhouette = 0;

		MemoryContextSwitchTo(fitcxt);
		km_fit(&data, k, v.opt.seed, v.opt.max_iter, &fit);
		if (k < 2 || !km_silhouette(&data, &fit, sample, m, &silhouette))
			nulls[2] = true;
		values[0] = Int32GetDatum(k);
		values[1] = Float8GetDatum(fit.inertia);
		values[2] = Float8GetDatum(silhouette);
		values[3] = Int32GetDatum(fit.iterations);
		values[4] = BoolGetDatum(fit.converged);
		MemoryContextSwitchTo(oldcxt);
		rows[k - v.opt.k_min] = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
		MemoryContextReset(fitcxt);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(workcxt);

	get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
	result = construct_array(rows, nk, rowtype, typlen, typbyval, typalign);
	PG_RETURN_ARRAYTYPE_P(result);
}


/* ----------------------------------------------------------------
 *		kmeans_assign
 * ----------------------------------------------------------------
 */

/* A model, read and checked once per distinct model value. */
typedef struct KmModel
{
	int			k;
	int			dims;
	uint64		logmask;
	float8		means[KM_MAX_FEATURES];
	float8		sds[KM_MAX_FEATURES];
	float8	   *centers;		/* k * dims */
	Size		rawlen;			/* the model datum it was read from */
	char	   *raw;
} KmModel;

custseg_noreturn static void km_model_invalid(const char *detail);

static void
km_model_invalid(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid custseg.kmeans_model"),
			 errdetail("%s", detail),
			 errhint("Use a model made by custseg.kmeans, unchanged.")));
}

/* The float8 elements of a model field, checked: no NULLs, all finite. */
static float8 *
km_model_floats(Datum d, const char *name, int ndim, int *len)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	float8	   *out;
	int			n,
				i;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "kmeans_model.%s is not a float8 array", name);
	if (ARR_NDIM(a) != ndim)
		km_model_invalid(psprintf("%s must have %d dimension%s.", name, ndim,
								  ndim == 1 ? "" : "s"));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	out = palloc(sizeof(float8) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			km_model_invalid(psprintf("%s must not contain NULL.", name));
		out[i] = DatumGetFloat8(elems[i]);
		if (isnan(out[i]) || isinf(out[i]))
			km_model_invalid(psprintf("%s must be finite.", name));
	}
	*len = n;
	return out;
}

static void
km_model_read(HeapTupleHeader row, KmModel *model, MemoryContext cxt)
{
	static const int attnums[] = {KM_MODEL_K, KM_MODEL_LOG_FEATURES, KM_MODEL_MEANS,
	KM_MODEL_SDS, KM_MODEL_CENTERS};
	static const char *const names[] = {"k", "log_features", "means", "sds", "centers"};
	Datum		values[5];
	bool		isnull[5];
	MemoryContext oldcxt;
	float8	   *means,
			   *sds;
	ArrayType  *centers,
			   *logs;
	int			len,
				n,
				i;

	custseg_row_fields(row, 5, attnums, values, isnull);
	for (i = 0; i < 5; i++)
		if (isnull[i])
			km_model_invalid(psprintf("%s must not be NULL.", names[i]));
	model->k = DatumGetInt32(values[0]);
	if (model->k < 1 || model->k > KM_MAX_K)
		km_model_invalid(psprintf("k must be between 1 and %d.", KM_MAX_K));
	logs = DatumGetArrayTypeP(values[1]);
	if (ARR_NDIM(logs) != 1 || array_contains_nulls(logs))
		km_model_invalid("log_features must be a one-dimensional array without NULL.");
	model->logmask = km_logmask_arg(logs, &len);
	if (len < 1)
		km_model_invalid("log_features must have one element per feature.");
	model->dims = len;
	means = km_model_floats(values[2], "means", 1, &n);
	if (n != len)
		km_model_invalid("means must have one element per feature.");
	sds = km_model_floats(values[3], "sds", 1, &n);
	if (n != len)
		km_model_invalid("sds must have one element per feature.");
	for (i = 0; i < len; i++)
	{
		if (!(sds[i] > 0))
			km_model_invalid("sds must be positive.");
		model->means[i] = means[i];
		model->sds[i] = sds[i];
	}
	centers = DatumGetArrayTypeP(values[4]);
	if (ARR_NDIM(centers) != 2 || ARR_DIMS(centers)[0] != model->k ||
		ARR_DIMS(centers)[1] != len)
		km_model_invalid("centers must be a k x features matrix.");
	oldcxt = MemoryContextSwitchTo(cxt);
	model->centers = km_model_floats(values[4], "centers", 2, &n);
	model->rawlen = HeapTupleHeaderGetDatumLength(row);
	model->raw = palloc(model->rawlen);
	memcpy(model->raw, row, model->rawlen);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * custseg.kmeans_assign(model, features) -> integer
 * The nearest centre (1 .. k, lowest on ties) in the model's standardized
 * space; NULL when a feature is NULL.
 */
PG_FUNCTION_INFO_V1(kmeans_assign);
Datum
kmeans_assign(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	KmModel    *model = (KmModel *) fcinfo->flinfo->fn_extra;
	const float8 *v;
	float8		z[KM_MAX_FEATURES];
	float8		best = 0;
	int			n = 0,
				a = 0,
				c,
				j;

	if (model == NULL ||
		model->rawlen != HeapTupleHeaderGetDatumLength(row) ||
		memcmp(model->raw, row, model->rawlen) != 0)
	{
		if (model == NULL)
			model = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(KmModel));
		else
		{
			pfree(model->raw);
			pfree(model->centers);
			model->raw = NULL;
			model->rawlen = 0;
		}
		fcinfo->flinfo->fn_extra = NULL;
		km_model_read(row, model, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = model;
	}

	v = km_features_arg(fcinfo, 1, &n);
	if (v == NULL)
		PG_RETURN_NULL();
	if (n != model->dims)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must have the model's %d elements, not %d", model->dims, n),
				 errhint("Pass the features the model was fitted on, in the same order.")));
	for (j = 0; j < n; j++)
	{
		float8		y;

		km_check_value(v[j], j, model->logmask);
		y = (model->logmask & (UINT64CONST(1) << j)) ? log1p(v[j]) : v[j];
		z[j] = (y - model->means[j]) / model->sds[j];
	}
	for (c = 0; c < model->k; c++)
	{
		float8		dd = km_dist2(z, model->centers + c * n, n);

		if (c == 0 || dd < best)
		{
			best = dd;
			a = c;
		}
	}
	if (isinf(best) || isnan(best))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("features are too far from the model's customers to assign"),
				 errhint("Check the units of the features: they must be those the model was fitted on.")));
	PG_RETURN_INT32(a + 1);
}


/* ----------------------------------------------------------------
 *		Text form of custseg.kmeans_state
 * ----------------------------------------------------------------
 */

/* A well-formed state whose content is not valid. */
custseg_noreturn static void km_state_invalid(const char *fmt,...)
			pg_attribute_printf(1, 2);

static void
km_state_invalid(const char *fmt,...)
{
	char		detail[256];
	va_list		args;

	va_start(args, fmt);
	vsnprintf(detail, sizeof(detail), fmt, args);
	va_end(args);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid custseg.kmeans_state"),
			 errdetail("%s", detail),
			 errhint("Use the text of a custseg.kmeans_state value, unchanged.")));
}

/* A JSON integer between min and max. */
static int64
km_parse_integer(CustsegParser *ps, int64 min, int64 max)
{
	bool		neg = false;
	int64		v = 0;
	int			pos;

	custseg_skip_space(ps);
	pos = custseg_parse_pos(ps);
	if (*ps->p == '-')
	{
		neg = true;
		ps->p++;
	}
	if (!isdigit((unsigned char) *ps->p) ||
		(ps->p[0] == '0' && isdigit((unsigned char) ps->p[1])))
		custseg_parse_fail(ps, "Expected an integer at character %d.", pos);
	while (isdigit((unsigned char) *ps->p))
	{
		if (v > (PG_INT64_MAX - 9) / 10)
			custseg_parse_fail(ps, "Integer out of range at character %d.", pos);
		v = v * 10 + (*ps->p - '0');
		ps->p++;
	}
	if (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E')
		custseg_parse_fail(ps, "Expected an integer at character %d.", pos);
	if (neg)
		v = -v;
	if (v < min || v > max)
		custseg_parse_fail(ps, "Integer out of range at character %d.", pos);
	return v;
}

static bool
km_parse_bool(CustsegParser *ps)
{
	custseg_skip_space(ps);
	if (strncmp(ps->p, "true", 4) == 0)
	{
		ps->p += 4;
		return true;
	}
	if (strncmp(ps->p, "false", 5) == 0)
	{
		ps->p += 5;
		return false;
	}
	custseg_parse_fail(ps, "Expected true or false at character %d.", custseg_parse_pos(ps));
}

static const char *const km_state_keys[] =
{"k_min", "k_max", "seed", "max_iter", "log_features", "customers", "points"};
#define KM_NKEYS 7

/*
 * custseg.kmeans_state text input:
 * {"k_min": 3, "k_max": 3, "seed": 0, "max_iter": 100,
 *	"log_features": [false, true], "customers": 3,
 *	"points": [[[1, 2], 2], [[4, 0.5], 1]]}
 * every point its features and its count, in strictly increasing
 * lexicographic order, counts adding up to customers.
 */
PG_FUNCTION_INFO_V1(kmeans_state_in);
Datum
kmeans_state_in(PG_FUNCTION_ARGS)
{
	CustsegParser	ps;
	bool		seen[KM_NKEYS];
	KmOptions	opt;
	int64		customers = 0,
				npoints = 0,
				cap = 16,
				sum = 0,
				i;
	int			pointdims = -1,
				logdims = 0,
				key,
				j;
	bool		first = true;
	float8	   *x = NULL;
	int64	   *w = palloc(sizeof(int64) * cap);
	KmStateFlat *flat;
	const char *problem;
	Size		size;

	ps.input = PG_GETARG_CSTRING(0);
	ps.p = ps.input;
	ps.type_name = "custseg.kmeans_state";
	ps.hint = "Use the text of a custseg.kmeans_state value, unchanged.";
	memset(seen, 0, sizeof(seen));
	memset(&opt, 0, sizeof(opt));

	custseg_expect(&ps, '{');
	while ((key = custseg_parse_key(&ps, km_state_keys, KM_NKEYS, seen, first)) >= 0)
	{
		first = false;
		switch (key)
		{
			case 0:
				opt.k_min = (int32) km_parse_integer(&ps, PG_INT32_MIN, PG_INT32_MAX);
				break;
			case 1:
				opt.k_max = (int32) km_parse_integer(&ps, PG_INT32_MIN, PG_INT32_MAX);
				break;
			case 2:
				opt.seed = (int32) km_parse_integer(&ps, PG_INT32_MIN, PG_INT32_MAX);
				break;
			case 3:
				opt.max_iter = (int32) km_parse_integer(&ps, PG_INT32_MIN, PG_INT32_MAX);
				break;
			case 4:
				custseg_expect(&ps, '[');
				if (!custseg_accept(&ps, ']'))
				{
					do
					{
						if (logdims == KM_MAX_FEATURES)
							custseg_parse_fail(&ps, "More than %d features.", KM_MAX_FEATURES);
						if (km_parse_bool(&ps))
							opt.logmask |= UINT64CONST(1) << logdims;
						logdims++;
					} while (custseg_accept(&ps, ','));
					custseg_expect(&ps, ']');
				}
				break;
			case 5:
				customers = km_parse_integer(&ps, 0, KM_MAX_CUSTOMERS);
				break;
			case 6:
				custseg_expect(&ps, '[');
				if (custseg_accept(&ps, ']'))
					break;
				do
				{
					float8		point[KM_MAX_FEATURES];
					int			d = 0;

					custseg_expect(&ps, '[');
					custseg_expect(&ps, '[');
					do
					{
						if (d == KM_MAX_FEATURES)
							custseg_parse_fail(&ps, "More than %d features.", KM_MAX_FEATURES);
						point[d++] = custseg_parse_number(&ps);
					} while (custseg_accept(&ps, ','));
					custseg_expect(&ps, ']');
					if (pointdims < 0)
					{
						pointdims = d;
						x = palloc(sizeof(float8) * cap * pointdims);
					}
					else if (d != pointdims)
						custseg_parse_fail(&ps, "Point %lld has %d features, point 1 has %d.",
										   (long long) npoints + 1, d, pointdims);
					if (npoints == cap)
					{
						if (cap >= (int64) (MaxAllocSize / (sizeof(float8) * (pointdims + 1)) / 2))
							custseg_parse_fail(&ps, "Too many points.");
						cap *= 2;
						x = repalloc(x, sizeof(float8) * cap * pointdims);
						w = repalloc(w, sizeof(int64) * cap);
					}
					memcpy(x + npoints * pointdims, point, sizeof(float8) * pointdims);
					custseg_expect(&ps, ',');
					w[npoints] = km_parse_integer(&ps, 1, KM_MAX_CUSTOMERS);
					custseg_expect(&ps, ']');
					npoints++;
					if ((npoints & 0xffff) == 0)
						CHECK_FOR_INTERRUPTS();
				} while (custseg_accept(&ps, ','));
				custseg_expect(&ps, ']');
				break;
		}
	}
	custseg_parse_end(&ps, km_state_keys, KM_NKEYS, seen);

	/* everything the aggregate relies on */
	opt.dims = logdims;
	problem = km_options_problem(&opt);
	if (problem != NULL)
		km_state_invalid("%s", problem);
	if (npoints == 0)
		km_state_invalid("There must be at least one point (an empty state is NULL).");
	if (pointdims != logdims)
		km_state_invalid("The points have %d features but log_features has %d.",
						 pointdims, logdims);
	for (i = 0; i < npoints; i++)
	{
		const float8 *p = x + i * opt.dims;

		for (j = 0; j < opt.dims; j++)
			if (p[j] < 0 && (opt.logmask & (UINT64CONST(1) << j)))
				km_state_invalid("Feature %d of point %lld is negative but log-transformed.",
								 j + 1, (long long) i + 1);
		if (i > 0 && km_row_cmp(p - opt.dims, p, opt.dims) >= 0)
			km_state_invalid("Point %lld does not come after point %lld: the points must be distinct and in increasing order.",
							 (long long) i + 1, (long long) i);
		if (w[i] > customers - sum)
			km_state_invalid("The counts add up to more than customers.");
		sum += w[i];
	}
	if (sum != customers)
		km_state_invalid("The counts add up to less than customers.");

	size = KM_FLAT_HDRSZ + npoints * sizeof(float8) * (opt.dims + 1);
	if (npoints > (int64) ((MaxAllocSize - KM_FLAT_HDRSZ) / (sizeof(float8) * (opt.dims + 1))))
		custseg_parse_fail(&ps, "Too many points.");
	flat = palloc0(size);
	SET_VARSIZE(flat, size);
	flat->k_min = opt.k_min;
	flat->k_max = opt.k_max;
	flat->seed = opt.seed;
	flat->max_iter = opt.max_iter;
	flat->dims = opt.dims;
	flat->logmask = opt.logmask;
	flat->customers = customers;
	flat->npoints = npoints;
	memcpy(flat->values, x, sizeof(float8) * opt.dims * npoints);
	memcpy((char *) (flat->values + npoints * opt.dims), w, sizeof(int64) * npoints);
	PG_RETURN_POINTER(flat);
}

PG_FUNCTION_INFO_V1(kmeans_state_out);
Datum
kmeans_state_out(PG_FUNCTION_ARGS)
{
	KmStateFlat *flat = (KmStateFlat *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	const int64 *w;
	StringInfoData buf;
	int64		i;
	int			j;

	km_state_flat_check(flat);
	w = km_flat_counts(flat);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"k_min\": %d, \"k_max\": %d, \"seed\": %d, \"max_iter\": %d, \"log_features\": [",
					 flat->k_min, flat->k_max, flat->seed, flat->max_iter);
	for (j = 0; j < flat->dims; j++)
		appendStringInfoString(&buf, (j > 0 ? ((flat->logmask >> j) & 1 ? ", true" : ", false")
									  : ((flat->logmask >> j) & 1 ? "true" : "false")));
	appendStringInfo(&buf, "], \"customers\": " INT64_FORMAT ", \"points\": [",
					 flat->customers);
	for (i = 0; i < flat->npoints; i++)
	{
		const float8 *p = flat->values + i * flat->dims;

		appendStringInfoString(&buf, i > 0 ? ", [[" : "[[");
		for (j = 0; j < flat->dims; j++)
		{
			if (j > 0)
				appendStringInfoString(&buf, ", ");
			custseg_append_float8(&buf, p[j]);
		}
		appendStringInfo(&buf, "], " INT64_FORMAT "]", w[i]);
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}
