/*-------------------------------------------------------------------------
 *
 * fit.c
 *	  What the CLV model families share (see fit.h): the fit state type
 *	  custseg.fit_state and its transition, combine and I/O functions, the
 *	  BFGS optimizer, model values, horizons, discounting and the special
 *	  functions digamma, trigamma and 2F1.
 *
 * The fit state.  An aggregate over customers appends one raw cell per row
 * to a buffer of the expanded state (FitStateExpanded); when the buffer
 * holds as many cells as the merged list (and at least FIT_RAW_MIN), it is
 * sorted and merged into the list of distinct cells with their weights.
 * The merged list is all the flat form (FitStateFlat) and the text form
 * hold, so a state costs 32 bytes per distinct cell when stored and at most
 * about 4 * 32 = 128 bytes per distinct cell (plus a buffer of FIT_RAW_MIN
 * cells, 2 MB) while aggregating.
 *
 * The text form is JSON, with floats printed shortest-exact, so that it
 * reads back bit for bit:
 *
 *	{"kind":"xtt","cells":[[0,0,270,12],[2,30,38,1]]}
 *
 * cells strictly increasing by (k1, k2, k3), every one valid for its kind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "fit.h"

/* Buffered raw cells before the first merge: 65536 cells, 2 MB. */
#define FIT_RAW_MIN		65536

/* A state holds at most 2^53 customers, so that their sum stays exact. */
#define FIT_MAX_CUSTOMERS	9007199254740992.0

/* Largest x (and t_x, n of BG/BB): whole numbers stay exact as float8. */
#define FIT_MAX_COUNT	INT64CONST(9007199254740992)

/* customer_summary fields (1-based) read by the summary forms */
#define FIT_ATT_REPEAT_PURCHASES	8
#define FIT_ATT_ACTIVE_DAYS			9
#define FIT_ATT_AGE_DAYS			10
#define FIT_ATT_REPEAT_SPEND		11

static const char *const fit_kind_names[] = {NULL, "xtt", "bgbb", "spend"};

/* Flat custseg.fit_state: the merged cells, strictly increasing. */
typedef struct FitStateFlat
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int32		kind;			/* FitKind */
	int64		ncells;
	FitCell		cells[FLEXIBLE_ARRAY_MEMBER];
} FitStateFlat;

#define FIT_STATE_FLAT_HDRSZ	offsetof(FitStateFlat, cells)

#define FIT_STATE_MAGIC		0x46495453	/* "FITS" */

/* Expanded custseg.fit_state, the form used while aggregating. */
typedef struct FitStateExpanded
{
	ExpandedObjectHeader hdr;
	int32		magic;
	int32		kind;
	FitCell    *cells;			/* merged: strictly increasing */
	int64		ncells;
	FitCell    *raw;			/* appended, not merged yet */
	int64		nraw;
	int64		rawcap;
	double		customers;		/* sum of the weights of cells and raw */
} FitStateExpanded;

static Size fit_state_get_flat_size(ExpandedObjectHeader *eohptr);
static void fit_state_flatten_into(ExpandedObjectHeader *eohptr,
								   void *result, Size allocated_size);

static const ExpandedObjectMethods fit_state_methods =
{
	fit_state_get_flat_size,
	fit_state_flatten_into
};


/* ----------------------------------------------------------------
 *		Cells
 * ----------------------------------------------------------------
 */

static inline int
fit_cell_cmp(const FitCell *a, const FitCell *b)
{
	if (a->k1 != b->k1)
		return a->k1 < b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2 ? -1 : 1;
	if (a->k3 != b->k3)
		return a->k3 < b->k3 ? -1 : 1;
	return 0;
}

#define ST_SORT fit_sort_cells
#define ST_ELEMENT_TYPE FitCell
#define ST_COMPARE(a, b) fit_cell_cmp(a, b)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Why a cell is not valid for its kind, or NULL.  Whole numbers are checked
 * to be whole; the keys are finite and -0 free (the callers add 0.0).
 */
static const char *
fit_cell_problem(FitKind kind, const FitCell *c)
{
	if (!isfinite(c->k1) || !isfinite(c->k2) || !isfinite(c->k3))
		return "Every value of a cell must be finite.";
	if (!isfinite(c->w) || c->w <= 0)
		return "Every weight must be positive and finite.";
	if (c->k1 < 0 || c->k1 != floor(c->k1) || c->k1 > (double) FIT_MAX_COUNT)
		return "x must be a whole number, 0 or more.";
	switch (kind)
	{
		case FIT_KIND_XTT:
			if (c->k2 < 0 || c->k2 > c->k3)
				return "t_x must be between 0 and t.";
			if (c->k1 == 0 && c->k2 != 0)
				return "t_x must be 0 when x is 0.";
			break;
		case FIT_KIND_BGBB:
			if (c->k2 != floor(c->k2) || c->k3 != floor(c->k3) ||
				c->k3 > (double) FIT_MAX_COUNT)
				return "t_x and n must be whole numbers.";
			if (c->k1 > c->k2 || c->k2 > c->k3)
				return "x, t_x and n must satisfy 0 <= x <= t_x <= n.";
			if ((c->k1 == 0) != (c->k2 == 0))
				return "t_x must be 0 exactly when x is 0.";
			break;
		case FIT_KIND_SPEND:
			if (c->k1 < 1)
				return "x must be at least 1.";
			if (c->k2 <= 0)
				return "The mean spend must be positive.";
			if (c->k3 != 0)
				return "The third value of a spend cell must be 0.";
			break;
	}
	return NULL;
}

/*
 * Sort n cells and merge equal ones in place (adding their weights);
 * returns the number of distinct cells.
 */
static int64
fit_cells_sort_unique(FitCell *cells, int64 n)
{
	int64		i,
				m = 0;

	if (n == 0)
		return 0;
	fit_sort_cells(cells, n);
	for (i = 1; i < n; i++)
	{
		if (fit_cell_cmp(&cells[m], &cells[i]) == 0)
			cells[m].w += cells[i].w;
		else
			cells[++m] = cells[i];
	}
	return m + 1;
}

/* Merge two strictly increasing cell lists into a new one allocated in cxt. */
static FitCell *
fit_cells_merge(const FitCell *a, int64 na, const FitCell *b, int64 nb,
				int64 *nout, MemoryContext cxt)
{
	FitCell    *out = MemoryContextAllocExtended(cxt,
												 sizeof(FitCell) * Max(na + nb, 1),
												 MCXT_ALLOC_HUGE);
	int64		i = 0,
				j = 0,
				n = 0;

	while (i < na && j < nb)
	{
		int			c = fit_cell_cmp(&a[i], &b[j]);

		if (c < 0)
			out[n++] = a[i++];
		else if (c > 0)
			out[n++] = b[j++];
		else
		{
			out[n] = a[i++];
			out[n++].w += b[j++].w;
		}
	}
	while (i < na)
		out[n++] = a[i++];
	while (j < nb)
		out[n++] = b[j++];
	*nout = n;
	return out;
}


/* ----------------------------------------------------------------
 *		The expanded state
 * ----------------------------------------------------------------
 */

static FitStateExpanded *
fit_state_new(MemoryContext parent, FitKind kind)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "custseg.fit_state",
											  ALLOCSET_START_SMALL_SIZES);
	FitStateExpanded *s = MemoryContextAllocZero(cxt, sizeof(FitStateExpanded));

	EOH_init_header(&s->hdr, &fit_state_methods, cxt);
	s->magic = FIT_STATE_MAGIC;
	s->kind = kind;
	return s;
}

static FitStateExpanded *
fit_state_from_eoh(ExpandedObjectHeader *eohptr)
{
	FitStateExpanded *s = (FitStateExpanded *) eohptr;

	if (s->magic != FIT_STATE_MAGIC)
		elog(ERROR, "expanded object is not a custseg.fit_state");
	return s;
}

/*
 * Merge the raw cells into the cell list.  This changes the representation
 * only, so it is allowed on a read-only state too.
 */
static void
fit_state_compact(FitStateExpanded *s)
{
	int64		nfresh,
				nmerged;
	FitCell    *merged;

	if (s->nraw == 0)
		return;
	nfresh = fit_cells_sort_unique(s->raw, s->nraw);
	s->nraw = 0;
	merged = fit_cells_merge(s->cells, s->ncells, s->raw, nfresh, &nmerged,
							 s->hdr.eoh_context);
	if (s->cells != NULL)
		pfree(s->cells);
	s->cells = merged;
	s->ncells = nmerged;
}

static void
fit_state_add_customers(FitStateExpanded *s, double customers)
{
	if (s->customers > FIT_MAX_CUSTOMERS - customers)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many customers in one custseg.fit_state"),
				 errhint("A fit state counts at most 2^53 customers.")));
	s->customers += customers;
}

/* Append one (checked) cell. */
static void
fit_state_append(FitStateExpanded *s, double k1, double k2, double k3, double w)
{
	FitCell    *c;

	if (s->nraw == s->rawcap)
	{
		/* the buffer grows up to the size of the cell list, then merges */
		int64		target = Max(FIT_RAW_MIN, s->ncells);

		if (s->rawcap >= target)
			fit_state_compact(s);
		else if (s->raw == NULL)
		{
			s->rawcap = 256;
			s->raw = MemoryContextAlloc(s->hdr.eoh_context,
										sizeof(FitCell) * s->rawcap);
		}
		else
		{
			s->rawcap = Min(2 * s->rawcap, target);
			s->raw = repalloc_huge(s->raw, sizeof(FitCell) * s->rawcap);
		}
	}
	fit_state_add_customers(s, w);
	c = &s->raw[s->nraw++];
	c->k1 = k1 + 0.0;			/* -0 becomes 0 */
	c->k2 = k2 + 0.0;
	c->k3 = k3 + 0.0;
	c->w = w;
}

/* Check what a flat state claims against its size. */
static void
fit_state_flat_check(const FitStateFlat *flat)
{
	if (VARSIZE(flat) < FIT_STATE_FLAT_HDRSZ ||
		flat->ncells < 1 ||
		flat->ncells > (int64) ((VARSIZE(flat) - FIT_STATE_FLAT_HDRSZ) / sizeof(FitCell)) ||
		VARSIZE(flat) != FIT_STATE_FLAT_HDRSZ + flat->ncells * sizeof(FitCell) ||
		flat->kind < FIT_KIND_XTT || flat->kind > FIT_KIND_SPEND)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt custseg.fit_state value")));
}

/* The merged cells of a state datum, flat or expanded, read in place. */
static void
fit_state_view(Datum src, FitCells *v)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(src)))
	{
		FitStateExpanded *s = fit_state_from_eoh(DatumGetEOHP(src));

		fit_state_compact(s);
		v->kind = s->kind;
		v->ncells = s->ncells;
		v->cells = s->cells;
		v->customers = s->customers;
	}
	else
	{
		FitStateFlat *flat = (FitStateFlat *) PG_DETOAST_DATUM(src);
		double		customers = 0;
		int64		i;

		fit_state_flat_check(flat);
		for (i = 0; i < flat->ncells; i++)
			customers += flat->cells[i].w;
		v->kind = flat->kind;
		v->ncells = flat->ncells;
		v->cells = flat->cells;
		v->customers = customers;
	}
}

static void
fit_check_same_kind(FitKind have, FitKind want)
{
	if (have != want)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("custseg.fit_state holds \"%s\" cells, not \"%s\" cells",
						fit_kind_names[have], fit_kind_names[want]),
				 errhint("Combine and fit only states built by the same kind of model.")));
}

/* Add the cells of another state to s. */
static void
fit_state_add_view(FitStateExpanded *s, const FitCells *v)
{
	int64		n;
	FitCell    *merged;

	fit_check_same_kind(s->kind, v->kind);
	fit_state_compact(s);
	fit_state_add_customers(s, v->customers);
	merged = fit_cells_merge(s->cells, s->ncells, v->cells, v->ncells, &n,
							 s->hdr.eoh_context);
	if (s->cells != NULL)
		pfree(s->cells);
	s->cells = merged;
	s->ncells = n;
}

/*
 * The state in argument argno as an expanded object we may change: the
 * argument itself when it is a read-write expanded object of ours in
 * aggcxt, else a copy in aggcxt.
 */
static FitStateExpanded *
fit_state_for_update(FunctionCallInfo fcinfo, int argno, MemoryContext aggcxt)
{
	Datum		d = PG_GETARG_DATUM(argno);
	FitStateExpanded *s;
	FitCells	v;

	if (DatumIsReadWriteExpandedObject(d, false, -1))
	{
		s = fit_state_from_eoh(DatumGetEOHP(d));
		if (MemoryContextGetParent(s->hdr.eoh_context) == aggcxt)
			return s;
	}
	fit_state_view(d, &v);
	s = fit_state_new(aggcxt, v.kind);
	fit_state_add_view(s, &v);
	return s;
}

static Size
fit_state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	FitStateExpanded *s = fit_state_from_eoh(eohptr);

	fit_state_compact(s);
	if ((Size) s->ncells > (MaxAllocSize - FIT_STATE_FLAT_HDRSZ) / sizeof(FitCell))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("custseg.fit_state of " INT64_FORMAT " distinct cells is too large to store",
						s->ncells),
				 errhint("Aggregate without parallel workers, or round the times to whole days.")));
	return FIT_STATE_FLAT_HDRSZ + s->ncells * sizeof(FitCell);
}

static void
fit_state_flatten_into(ExpandedObjectHeader *eohptr, void *result,
					   Size allocated_size)
{
	FitStateExpanded *s = fit_state_from_eoh(eohptr);
	FitStateFlat *flat = (FitStateFlat *) result;

	Assert(s->nraw == 0);
	memset(flat, 0, FIT_STATE_FLAT_HDRSZ);
	SET_VARSIZE(flat, allocated_size);
	flat->kind = s->kind;
	flat->ncells = s->ncells;
	memcpy(flat->cells, s->cells, sizeof(FitCell) * s->ncells);
}

void
fit_state_cells(Datum state, FitKind kind, FitCells *cells)
{
	fit_state_view(state, cells);
	fit_check_same_kind(cells->kind, kind);
}


/* ----------------------------------------------------------------
 *		Transition and combine functions
 * ----------------------------------------------------------------
 */

/*
 * The state to add a row to: argument 0, or a new state in the aggregate
 * context.  NULL when the row is to be skipped and there is no state yet.
 */
static FitStateExpanded *
fit_accum_state(FunctionCallInfo fcinfo, const char *fname, FitKind kind,
				bool skip)
{
	MemoryContext aggcxt;
	FitStateExpanded *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname)));
	if (!PG_ARGISNULL(0))
	{
		s = fit_state_for_update(fcinfo, 0, aggcxt);
		fit_check_same_kind(s->kind, kind);
		return s;
	}
	if (skip)
		return NULL;
	return fit_state_new(aggcxt, kind);
}

#define FIT_RETURN_STATE(s) \
	do { \
		if ((s) == NULL) \
			PG_RETURN_NULL(); \
		PG_RETURN_DATUM(EOHPGetRWDatum(&(s)->hdr)); \
	} while (0)

void
fit_check_customer(int64 x, double t_x, double t)
{
	custseg_check_finite(t_x, "t_x");
	custseg_check_finite(t, "t");
	if (x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must not be negative"),
				 errhint("x is the number of repeat purchases: purchases after the first one.")));
	if (x > FIT_MAX_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("x must be at most 2^53"),
				 errhint("x is the number of repeat purchases of one customer.")));
	if (t_x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must not be negative"),
				 errhint("t_x is the time from the first to the last purchase.")));
	if (t_x > t)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must not be greater than t"),
				 errhint("t_x runs from the first to the last purchase, t from the first purchase to the end of the period; check that no purchase lies after the end of the period.")));
	if (x == 0 && t_x != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must be 0 when x is 0"),
				 errhint("A customer without repeat purchases has no time between first and last purchase.")));
}

void
fit_check_bgbb_customer(int64 x, int64 t_x, int64 n)
{
	if (x < 0 || t_x < 0 || n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x, t_x and n must not be negative"),
				 errhint("x counts the opportunities with a purchase, t_x is the last of them, n the number of opportunities.")));
	if (x > t_x || t_x > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x, t_x and n must satisfy x <= t_x <= n, not x = " INT64_FORMAT ", t_x = " INT64_FORMAT ", n = " INT64_FORMAT,
						x, t_x, n),
				 errhint("x purchases need at least x opportunities up to the last purchase t_x, which is one of the n opportunities.")));
	if ((x == 0) != (t_x == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must be 0 exactly when x is 0"),
				 errhint("t_x is the opportunity of the last purchase; without a purchase it is 0.")));
}

/* The x, t_x, t of argument 1: three arguments or a customer_summary. */
static bool
fit_xtt_args(FunctionCallInfo fcinfo, int64 *x, double *t_x, double *t)
{
	if (PG_NARGS() == 2)
	{
		static const int attnums[3] = {
			FIT_ATT_REPEAT_PURCHASES, FIT_ATT_ACTIVE_DAYS, FIT_ATT_AGE_DAYS
		};
		Datum		fields[3];
		bool		isnull[3];

		if (PG_ARGISNULL(1))
			return false;
		custseg_row_fields(PG_GETARG_HEAPTUPLEHEADER(1), 3, attnums, fields, isnull);
		if (isnull[0] || isnull[1] || isnull[2])
			return false;
		*x = DatumGetInt64(fields[0]);
		*t_x = DatumGetFloat8(fields[1]);
		*t = DatumGetFloat8(fields[2]);
		return true;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		return false;
	*x = PG_GETARG_INT64(1);
	*t_x = PG_GETARG_FLOAT8(2);
	*t = PG_GETARG_FLOAT8(3);
	return true;
}

/*
 * custseg.fit_xtt_accum(state, x bigint, t_x float8, t float8)
 * custseg.fit_xtt_accum(state, custseg.customer_summary)
 * A row with a NULL value is skipped.
 */
PG_FUNCTION_INFO_V1(fit_xtt_accum);
Datum
fit_xtt_accum(PG_FUNCTION_ARGS)
{
	int64		x = 0;
	double		t_x = 0,
				t = 0;
	bool		known = fit_xtt_args(fcinfo, &x, &t_x, &t);
	FitStateExpanded *s = fit_accum_state(fcinfo, "fit_xtt_accum",
										  FIT_KIND_XTT, !known);

	if (known)
	{
		fit_check_customer(x, t_x, t);
		fit_state_append(s, (double) x, t_x, t, 1.0);
	}
	FIT_RETURN_STATE(s);
}

/*
 * custseg.fit_bgbb_accum(state, x bigint, t_x bigint, n bigint [, weight bigint])
 * A row with a NULL value, or weight 0, is skipped.
 */
PG_FUNCTION_INFO_V1(fit_bgbb_accum);
Datum
fit_bgbb_accum(PG_FUNCTION_ARGS)
{
	bool		known = !PG_ARGISNULL(1) && !PG_ARGISNULL(2) && !PG_ARGISNULL(3) &&
		(PG_NARGS() < 5 || !PG_ARGISNULL(4));
	int64		x = known ? PG_GETARG_INT64(1) : 0;
	int64		t_x = known ? PG_GETARG_INT64(2) : 0;
	int64		n = known ? PG_GETARG_INT64(3) : 0;
	int64		weight = (known && PG_NARGS() == 5) ? PG_GETARG_INT64(4) : 1;
	FitStateExpanded *s;

	if (known)
	{
		fit_check_bgbb_customer(x, t_x, n);
		if (n > FIT_MAX_COUNT)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("n must be at most 2^53"),
					 errhint("n is the number of purchase opportunities.")));
		if (weight < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weight must not be negative"),
					 errhint("weight is the number of customers with this history.")));
		if (weight == 0)
			known = false;
	}
	s = fit_accum_state(fcinfo, "fit_bgbb_accum", FIT_KIND_BGBB, !known);
	if (known)
		fit_state_append(s, (double) x, (double) t_x, (double) n, (double) weight);
	FIT_RETURN_STATE(s);
}

/*
 * custseg.fit_spend_accum(state, x bigint, mean_spend float8)
 * custseg.fit_spend_accum(state, custseg.customer_summary)
 * Rows with x = 0 (no repeat purchase: no repeat spend) and rows with a
 * NULL value are skipped.
 */
PG_FUNCTION_INFO_V1(fit_spend_accum);
Datum
fit_spend_accum(PG_FUNCTION_ARGS)
{
	bool		known;
	int64		x = 0;
	double		m = 0;
	FitStateExpanded *s;

	if (PG_NARGS() == 2)
	{
		static const int attnums[2] = {FIT_ATT_REPEAT_PURCHASES, FIT_ATT_REPEAT_SPEND};
		Datum		fields[2];
		bool		isnull[2];

		known = !PG_ARGISNULL(1);
		if (known)
		{
			custseg_row_fields(PG_GETARG_HEAPTUPLEHEADER(1), 2, attnums, fields, isnull);
			known = !isnull[0] && !isnull[1];
			if (!isnull[0])
				x = DatumGetInt64(fields[0]);
			if (!isnull[1])
				m = DatumGetFloat8(fields[1]);
			if (!isnull[0] && x == 0)
				known = false;
		}
	}
	else
	{
		known = !PG_ARGISNULL(1) && !PG_ARGISNULL(2);
		if (known)
		{
			x = PG_GETARG_INT64(1);
			m = PG_GETARG_FLOAT8(2);
		}
	}
	if (known)
	{
		if (x < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("x must not be negative"),
					 errhint("x is the number of repeat purchases: purchases after the first one.")));
		if (x == 0)
			known = false;
		else
		{
			custseg_check_finite(m, "mean_spend");
			if (m <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("mean_spend must be positive for a customer with repeat purchases"),
						 errhint("The Gamma-Gamma model needs positive spend; leave out customers whose repeat purchases were refunded (WHERE mean_spend > 0, or (summary).repeat_spend > 0).")));
			if (x > FIT_MAX_COUNT)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("x must be at most 2^53"),
						 errhint("x is the number of repeat purchases of one customer.")));
		}
	}
	s = fit_accum_state(fcinfo, "fit_spend_accum", FIT_KIND_SPEND, !known);
	if (known)
		fit_state_append(s, (double) x, m, 0.0, 1.0);
	FIT_RETURN_STATE(s);
}

/*
 * custseg.fit_combine(state, state)
 */
PG_FUNCTION_INFO_V1(fit_combine);
Datum
fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	FitStateExpanded *s;
	FitCells	other;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("fit_combine called in non-aggregate context")));
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		s = fit_state_for_update(fcinfo, 0, aggcxt);
	else
	{
		fit_state_view(PG_GETARG_DATUM(1), &other);
		if (PG_ARGISNULL(0))
			s = fit_state_new(aggcxt, other.kind);	/* never the input itself */
		else
			s = fit_state_for_update(fcinfo, 0, aggcxt);
		fit_state_add_view(s, &other);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&s->hdr));
}


/* ----------------------------------------------------------------
 *		Text input and output
 * ----------------------------------------------------------------
 */

#define FIT_STATE_HINT "The form is {\"kind\":\"xtt\",\"cells\":[[k1,k2,k3,weight],...]} with kind xtt, bgbb or spend and the cells strictly increasing."

/* A JSON string without escapes: one of names[1 .. n-1], else fail. */
static int
fit_parse_name(CustsegParser *ps, const char *const *names, int n, const char *what)
{
	char		buf[32];
	int			i;

	custseg_parse_string(ps, buf);
	for (i = 1; i < n; i++)
		if (strcmp(buf, names[i]) == 0)
			return i;
	custseg_parse_fail(ps, "Unknown %s \"%s\".", what, buf);
}

static const char *const fit_state_keys[] = {NULL, "kind", "cells"};

/*
 * custseg.fit_state text input: {"kind":"xtt","cells":[[k1,k2,k3,w],...]}
 * with the keys in this order, at least one cell, cells strictly increasing
 * and valid for the kind.
 */
PG_FUNCTION_INFO_V1(fit_state_in);
Datum
fit_state_in(PG_FUNCTION_ARGS)
{
	CustsegParser ps;
	FitKind		kind;
	int64		cap = 16,
				n = 0,
				i;
	FitCell    *cells;
	FitStateFlat *flat;
	double		customers = 0;
	Size		size;

	ps.input = PG_GETARG_CSTRING(0);
	ps.p = ps.input;
	ps.type_name = "custseg.fit_state";
	ps.hint = FIT_STATE_HINT;

	custseg_expect(&ps, '{');
	if (fit_parse_name(&ps, fit_state_keys, 3, "key") != 1)
		custseg_parse_fail(&ps, "The first key must be \"kind\".");
	custseg_expect(&ps, ':');
	kind = (FitKind) fit_parse_name(&ps, fit_kind_names, 4, "kind");
	custseg_expect(&ps, ',');
	if (fit_parse_name(&ps, fit_state_keys, 3, "key") != 2)
		custseg_parse_fail(&ps, "The second key must be \"cells\".");
	custseg_expect(&ps, ':');
	custseg_expect(&ps, '[');
	if (custseg_accept(&ps, ']'))
		custseg_parse_fail(&ps, "A state has at least one cell.");
	cells = palloc(sizeof(FitCell) * cap);
	do
	{
		const char *problem;

		if (n == cap)
		{
			if (cap >= (int64) ((MaxAllocSize - FIT_STATE_FLAT_HDRSZ) / sizeof(FitCell) / 2))
				custseg_parse_fail(&ps, "Too many cells.");
			cap *= 2;
			cells = repalloc(cells, sizeof(FitCell) * cap);
		}
		custseg_expect(&ps, '[');
		cells[n].k1 = custseg_parse_number(&ps);
		custseg_expect(&ps, ',');
		cells[n].k2 = custseg_parse_number(&ps);
		custseg_expect(&ps, ',');
		cells[n].k3 = custseg_parse_number(&ps);
		custseg_expect(&ps, ',');
		cells[n].w = custseg_parse_number(&ps);
		custseg_expect(&ps, ']');
		problem = fit_cell_problem(kind, &cells[n]);
		if (problem != NULL)
			custseg_parse_fail(&ps, "Cell %lld: %s", (long long) n + 1, problem);
		if (n > 0 && fit_cell_cmp(&cells[n - 1], &cells[n]) >= 0)
			custseg_parse_fail(&ps, "Cell %lld: cells must be strictly increasing by their first three values.",
						   (long long) n + 1);
		if (customers > FIT_MAX_CUSTOMERS - cells[n].w)
			custseg_parse_fail(&ps, "The weights add up to more than 2^53.");
		customers += cells[n].w;
		n++;
	} while (custseg_accept(&ps, ','));
	custseg_expect(&ps, ']');
	custseg_expect(&ps, '}');
	custseg_skip_space(&ps);
	if (*ps.p != '\0')
		custseg_parse_fail(&ps, "Unexpected text after the object at character %d.",
						   custseg_parse_pos(&ps));

	size = FIT_STATE_FLAT_HDRSZ + n * sizeof(FitCell);
	flat = palloc0(size);
	SET_VARSIZE(flat, size);
	flat->kind = kind;
	flat->ncells = n;
	for (i = 0; i < n; i++)
		flat->cells[i] = cells[i];
	pfree(cells);
	PG_RETURN_POINTER(flat);
}

PG_FUNCTION_INFO_V1(fit_state_out);
Datum
fit_state_out(PG_FUNCTION_ARGS)
{
	FitCells	v;
	StringInfoData buf;
	int64		i;

	fit_state_view(PG_GETARG_DATUM(0), &v);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\":\"%s\",\"cells\":[", fit_kind_names[v.kind]);
	for (i = 0; i < v.ncells; i++)
	{
		const FitCell *c = &v.cells[i];

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '[');
		custseg_append_float8(&buf, c->k1);
		appendStringInfoChar(&buf, ',');
		custseg_append_float8(&buf, c->k2);
		appendStringInfoChar(&buf, ',');
		custseg_append_float8(&buf, c->k3);
		appendStringInfoChar(&buf, ',');
		custseg_append_float8(&buf, c->w);
		appendStringInfoChar(&buf, ']');
		if ((i & 65535) == 65535)
			CHECK_FOR_INTERRUPTS();
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}


/* ----------------------------------------------------------------
 *		The optimizer
 * ----------------------------------------------------------------
 */

/* Wolfe constants, and the limits of one line search. */
#define FIT_C1			1e-4
#define FIT_C2			0.9
#define FIT_LS_STEPS	40
#define FIT_MAX_STEP	5.0		/* largest first step in any coordinate */

/* One evaluated point. */
typedef struct FitPoint
{
	double		theta[FIT_MAX_PARAMS];
	double		grad[FIT_MAX_PARAMS];
	double		f;
	double		dphi;			/* grad . direction */
	bool		ok;				/* f and grad finite, theta inside the box */
} FitPoint;

typedef struct FitProblem
{
	int			n;
	FitObjective f;
	void	   *arg;
} FitProblem;

static double
fit_dot(int n, const double *a, const double *b)
{
	double		s = 0;
	int			i;

	for (i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double
fit_norm_inf(int n, const double *a)
{
	double		m = 0;
	int			i;

	for (i = 0; i < n; i++)
		m = Max(m, fabs(a[i]));
	return m;
}

/* Evaluate at base + step * dir. */
static void
fit_eval(const FitProblem *pb, const double *base, const double *dir,
		 double step, FitPoint *pt)
{
	int			i;

	CHECK_FOR_INTERRUPTS();
	pt->ok = true;
	for (i = 0; i < pb->n; i++)
	{
		pt->theta[i] = base[i] + step * dir[i];
		if (!(fabs(pt->theta[i]) <= FIT_THETA_LIMIT))
			pt->ok = false;
	}
	if (!pt->ok)
		return;
	pt->f = pb->f(pt->theta, pt->grad, pb->arg);
	pt->ok = isfinite(pt->f) && isfinite(fit_norm_inf(pb->n, pt->grad));
	if (pt->ok)
		pt->dphi = fit_dot(pb->n, pt->grad, dir);
}

/*
 * Line search along dir from x0 (N&W, algorithms 3.5 and 3.6): find a step
 * with the strong Wolfe conditions by bracketing and bisection/cubic
 * interpolation.  A point that is not ok (non-finite f, or outside the box)
 * counts as too far.  On success *out holds the new point; returns false
 * when no step decreased f enough.
 */
static bool
fit_line_search(const FitProblem *pb, const FitPoint *x0, const double *dir,
				double step, FitPoint *out)
{
	FitPoint	lo,
				hi,
				cur;
	double		alo = 0,
				ahi,
				a = step;
	bool		have_hi = false;
	int			i;

	lo = *x0;
	for (i = 0; i < FIT_LS_STEPS; i++)
	{
		fit_eval(pb, x0->theta, dir, a, &cur);
		if (!cur.ok || cur.f > x0->f + FIT_C1 * a * x0->dphi ||
			(i > 0 && cur.f >= lo.f))
		{
			ahi = a;
			hi = cur;
			have_hi = true;
			break;
		}
		if (fabs(cur.dphi) <= -FIT_C2 * x0->dphi)
		{
			*out = cur;
			return true;
		}
		if (cur.dphi >= 0)
		{
			/* minimum between 0 and a: zoom with lo = a, hi = old lo */
			ahi = alo;
			hi = lo;
			alo = a;
			lo = cur;
			have_hi = true;
			break;
		}
		alo = a;
		lo = cur;
		a *= 2;					/* still descending: look further */
	}
	if (!have_hi)
	{
		*out = lo;
		return alo > 0;
	}

	/* zoom between alo and ahi */
	for (i = 0; i < FIT_LS_STEPS; i++)
	{
		double		width = ahi - alo;

		/* a cubic step when both ends are usable, else bisection */
		a = alo + 0.5 * width;
		if (hi.ok)
		{
			double		d1 = lo.dphi + hi.dphi - 3 * (lo.f - hi.f) / (alo - ahi);
			double		d2sq = d1 * d1 - lo.dphi * hi.dphi;

			if (d2sq >= 0)
			{
				double		d2 = copysign(sqrt(d2sq), ahi - alo);
				double		ac = ahi - (ahi - alo) *
					(hi.dphi + d2 - d1) / (hi.dphi - lo.dphi + 2 * d2);

				if (isfinite(ac) &&
					fabs(ac - alo) > 0.1 * fabs(width) &&
					fabs(ac - ahi) > 0.1 * fabs(width))
					a = ac;
			}
		}
		fit_eval(pb, x0->theta, dir, a, &cur);
		if (!cur.ok || cur.f > x0->f + FIT_C1 * a * x0->dphi || cur.f >= lo.f)
		{
			ahi = a;
			hi = cur;
		}
		else
		{
			if (fabs(cur.dphi) <= -FIT_C2 * x0->dphi)
			{
				*out = cur;
				return true;
			}
			if (cur.dphi * (ahi - alo) >= 0)
			{
				ahi = alo;
				hi = lo;
			}
			alo = a;
			lo = cur;
		}
		if (fabs(ahi - alo) < 1e-16 * Max(1.0, fabs(alo)))
			break;
	}
	/* no Wolfe point: accept the best decrease found, if any */
	*out = lo;
	return alo > 0;
}

void
fit_minimize(int n, double *theta, FitObjective f, void *arg,
			 int max_iterations, FitResult *result)
{
	FitProblem	pb;
	FitPoint	x,
				next;
	double		H[FIT_MAX_PARAMS][FIT_MAX_PARAMS];
	double		dir[FIT_MAX_PARAMS],
				s[FIT_MAX_PARAMS],
				y[FIT_MAX_PARAMS],
				Hy[FIT_MAX_PARAMS];
	bool		fresh = true;	/* H is the identity */
	int			iter,
				i,
				j;
	double		zero[FIT_MAX_PARAMS] = {0};

	Assert(n >= 1 && n <= FIT_MAX_PARAMS);
	pb.n = n;
	pb.f = f;
	pb.arg = arg;

	fit_eval(&pb, theta, zero, 0, &x);
	if (!x.ok)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the likelihood is not finite at the starting point of the fit"),
				 errhint("Check the input for extreme values.")));

	result->converged = false;
	for (iter = 0; iter < max_iterations; iter++)
	{
		double		gmax = fit_norm_inf(n, x.grad);
		double		dmax,
					step,
					sy;
		double		scale = Max(1.0, fabs(x.f));
		bool		found;

		/* converged: the gradient vanishes, relative to the function */
		if (gmax <= 1e-9 * scale)
		{
			result->converged = true;
			break;
		}

		if (fresh)
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					H[i][j] = (i == j);
		for (i = 0; i < n; i++)
		{
			dir[i] = 0;
			for (j = 0; j < n; j++)
				dir[i] -= H[i][j] * x.grad[j];
		}
		x.dphi = fit_dot(n, x.grad, dir);
		if (!(x.dphi < 0))
		{
			/* not a descent direction: start over from steepest descent */
			for (i = 0; i < n; i++)
				dir[i] = -x.grad[i];
			x.dphi = fit_dot(n, x.grad, dir);
			fresh = true;
		}
		dmax = fit_norm_inf(n, dir);
		step = (fresh && dmax > 0) ? Min(1.0, 1.0 / dmax) : 1.0;
		if (step * dmax > FIT_MAX_STEP)
			step = FIT_MAX_STEP / dmax;

		found = fit_line_search(&pb, &x, dir, step, &next);
		if (!found)
		{
			if (!fresh)
			{
				fresh = true;	/* retry along the gradient */
				continue;
			}
			/* no progress possible: converged if the gradient is tiny */
			result->converged = gmax <= 1e-6 * scale;
			break;
		}

		for (i = 0; i < n; i++)
		{
			s[i] = next.theta[i] - x.theta[i];
			y[i] = next.grad[i] - x.grad[i];
		}
		sy = fit_dot(n, s, y);
		if (sy > 1e-12 * sqrt(fit_dot(n, s, s) * fit_dot(n, y, y)))
		{
			double		rho = 1.0 / sy,
						yHy;

			if (fresh)
			{
				/* scale the identity to the curvature seen (Shanno-Phua) */
				double		gamma = sy / fit_dot(n, y, y);

				for (i = 0; i < n; i++)
					H[i][i] = gamma;
			}
			for (i = 0; i < n; i++)
			{
				Hy[i] = 0;
				for (j = 0; j < n; j++)
					Hy[i] += H[i][j] * y[j];
			}
			yHy = fit_dot(n, y, Hy);
			/* H += (1 + rho yHy) rho s s' - rho (Hy s' + s Hy') */
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					H[i][j] += (1 + rho * yHy) * rho * s[i] * s[j] -
						rho * (Hy[i] * s[j] + s[i] * Hy[j]);
			fresh = false;
		}
		/* else: curvature condition failed; keep H as it is */

		{
			double		decrease = x.f - next.f;

			x = next;
			if (decrease <= 1e-14 * Max(1.0, fabs(x.f)) &&
				fit_norm_inf(n, x.grad) <= 1e-6 * Max(1.0, fabs(x.f)))
			{
				result->converged = true;
				iter++;
				break;
			}
		}
	}

	/* a parameter running off to 0 or infinity is no maximum */
	for (i = 0; i < n; i++)
		if (fabs(x.theta[i]) > FIT_THETA_EDGE)
			result->converged = false;

	memcpy(theta, x.theta, sizeof(double) * n);
	result->value = x.f;
	result->iterations = iter;
}


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


/* ----------------------------------------------------------------
 *		Special functions
 * ----------------------------------------------------------------
 */

double
fit_digamma(double x)
{
	double		r = 0,
				x2;

	Assert(x > 0);
	while (x < 10)
	{
		r -= 1 / x;
		x += 1;
	}
	x2 = 1 / (x * x);
	/* psi(x) ~ log x - 1/2x - sum B_2k / (2k x^2k) */
	return r + log(x) - 0.5 / x -
		x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 -
			x2 * (1.0 / 132 - x2 * (691.0 / 32760 - x2 * (1.0 / 12)))))));
}

double
fit_trigamma(double x)
{
	double		r = 0,
				x2;

	Assert(x > 0);
	while (x < 10)
	{
		r += 1 / (x * x);
		x += 1;
	}
	x2 = 1 / (x * x);
	/* psi'(x) ~ 1/x + 1/2x^2 + sum B_2k / x^(2k+1) */
	return r + 1 / x + 0.5 * x2 +
		x2 / x * (1.0 / 6 - x2 * (1.0 / 30 - x2 * (1.0 / 42 - x2 * (1.0 / 30 -
			x2 * (5.0 / 66 - x2 * (691.0 / 2730 - x2 * (7.0 / 6)))))));
}

/*
 * The Gauss series of 2F1(a, b; c; z), 0 <= z < 1, summed until its terms
 * decrease and stop changing the sum.
 */
static double
fit_hyp2f1_series(double a, double b, double c, double z)
{
	double		term = 1,
				sum = 1,
				comp = 0;		/* compensation of the sum (Kahan) */
	int64		k;

	for (k = 0; k < INT64CONST(100000000); k++)
	{
		double		ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		double		y,
					next;

		term *= ratio;
		y = term - comp;
		next = sum + y;
		comp = (next - sum) - y;
		sum = next;
		if (term == 0 ||
			(fabs(term) <= 1e-17 * fabs(sum) && fabs(ratio) < 1))
			return sum;
		if (!isfinite(sum))
			break;
		if ((k & 8191) == 8191)
			CHECK_FOR_INTERRUPTS();
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("hypergeometric series 2F1(%g, %g; %g; %g) does not converge",
					a, b, c, z),
			 errhint("The parameters are too extreme for this function.")));
	return 0;					/* keep compiler quiet */
}

/* log |Gamma(x)| and its sign; a pole gives sign 0. */
static double
fit_lgamma_sign(double x, int *sign)
{
	if (x <= 0 && x == floor(x))
	{
		*sign = 0;
		return 0;
	}
	return lgamma_r(x, sign);
}

double
fit_hyp2f1(double a, double b, double c, double z)
{
	double		m;

	if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(z))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("2F1 needs finite arguments"),
				 errhint("Pass numbers, not NaN or infinity.")));
	if (z >= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("2F1 needs z < 1"),
				 errhint("The series diverges at z >= 1; the function is defined here only below 1.")));
	if (c <= 0 && c == floor(c))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("2F1 is not defined when c is 0 or a negative integer"),
				 errhint("Pass a c that is not 0, -1, -2, ...")));
	if (z == 0)
		return 1;
	if (z < 0)
	{
		/* Pfaff: (1 - z)^-a 2F1(a, c - b; c; z / (z - 1)), argument in (0, 1) */
		return pow(1 - z, -a) * fit_hyp2f1(a, c - b, c, z / (z - 1));
	}
	m = c - a - b;
	if (z > 0.75 && fabs(m - rint(m)) > 1e-3)
	{
		/*
		 * z near 1: the connection formula (Abramowitz & Stegun 15.3.6) in
		 * powers of 1 - z, with its Gamma ratios in logs.
		 */
		int			s1,
					s2,
					s3,
					s4,
					s5,
					s6,
					s7;
		double		lc = fit_lgamma_sign(c, &s1);
		double		l1 = lc + fit_lgamma_sign(m, &s2) -
			fit_lgamma_sign(c - a, &s3) - fit_lgamma_sign(c - b, &s4);
		double		l2 = lc + fit_lgamma_sign(-m, &s5) -
			fit_lgamma_sign(a, &s6) - fit_lgamma_sign(b, &s7);
		double		t1 = 0,
					t2 = 0;

		/*
		 * 1/Gamma of a pole is 0: that term vanishes; so does a term whose
		 * factor underflows (its series is not summed: it may overflow).
		 */
		l2 += m * log1p(-z);
		if (s3 != 0 && s4 != 0 && l1 > -700)
			t1 = s1 * s2 * s3 * s4 * exp(l1) *
				fit_hyp2f1_series(a, b, 1 - m, 1 - z);
		if (s6 != 0 && s7 != 0 && l2 > -700)
			t2 = s1 * s5 * s6 * s7 * exp(l2) *
				fit_hyp2f1_series(c - a, c - b, 1 + m, 1 - z);
		if (isfinite(t1 + t2))
			return t1 + t2;
	}
	return fit_hyp2f1_series(a, b, c, z);
}

/*
 * custseg.hyp2f1(a, b, c, z): the Gauss hypergeometric function, for
 * checking the implementation against published values.
 */
PG_FUNCTION_INFO_V1(fit_hyp2f1_sql);
Datum
fit_hyp2f1_sql(PG_FUNCTION_ARGS)
{
	double		r = fit_hyp2f1(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1),
							   PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3));

	if (!isfinite(r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("2F1 is out of the range of float8"),
				 errhint("Use parameters of smaller magnitude.")));
	PG_RETURN_FLOAT8(r);
}
