/*-------------------------------------------------------------------------
 *
 * fit_state.c
 *	  The fit state type custseg.fit_state that every CLV fit aggregate
 *	  builds (see fit.h): its cells, the expanded form, the transition and
 *	  combine functions and the text input and output.
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
 * A state built with settings (the fit aggregates' optional unit, penalty
 * and start values, see fit.h) or that skipped rows carries them after the
 * cells, in the flat form as a FitSettings after the last cell (flagged by
 * FIT_FLAT_SETTINGS in kind, so that the states of 0.1.0 read as before)
 * and in the text form as
 *
 *	...,"settings":{"unit":[months,days,microseconds],"penalty":0.1,"start":[1,2,3,4]},"skipped":3}
 *
 * (start [] when not given; either key may be absent, "cells" may then be
 * empty).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/float.h"
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
	int32		kind;			/* FitKind, | FIT_FLAT_SETTINGS */
	int64		ncells;
	FitCell		cells[FLEXIBLE_ARRAY_MEMBER];
} FitStateFlat;

#define FIT_STATE_FLAT_HDRSZ	offsetof(FitStateFlat, cells)

/* A FitSettings follows the cells. */
#define FIT_FLAT_SETTINGS	0x100
#define FIT_FLAT_KIND_MASK	0xFF

/* A unit is at most 2^53 microseconds (285 years), so its text form is exact. */
#define FIT_MAX_UNIT_USECS	INT64CONST(9007199254740992)

/* Start values within exp(+-FIT_THETA_EDGE) of 1. */
#define FIT_START_MIN	2.0611536224385579e-09	/* exp(-20) */
#define FIT_START_MAX	485165195.40979028		/* exp(20) */

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
	FitSettings settings;
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
 *		Settings
 * ----------------------------------------------------------------
 */

int
fit_kind_nparams(FitKind kind)
{
	return kind == FIT_KIND_SPEND ? 3 : 4;
}

void
fit_settings_default(FitSettings *settings)
{
	memset(settings, 0, sizeof(FitSettings));
	settings->unit.day = 1;
}

/* A state needs its settings stored when they were given or rows skipped. */
static bool
fit_settings_stored(const FitSettings *settings)
{
	return settings->given || settings->skipped > 0;
}

static bool
fit_settings_equal(const FitSettings *a, const FitSettings *b)
{
	int			i;

	if (a->unit.month != b->unit.month || a->unit.day != b->unit.day ||
		a->unit.time != b->unit.time || a->penalty != b->penalty ||
		a->nstart != b->nstart)
		return false;
	for (i = 0; i < a->nstart; i++)
		if (a->start[i] != b->start[i])
			return false;
	return true;
}

/* Add the settings of another state to into: the given ones must agree. */
static void
fit_settings_merge(FitSettings *into, const FitSettings *from)
{
	if (from->given)
	{
		if (!into->given)
		{
			double		skipped = into->skipped;

			*into = *from;
			into->skipped = skipped;
		}
		else if (!fit_settings_equal(into, from))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the settings of a fit must be the same for every row"),
					 errhint("Pass the unit, penalty and start values of a fit as constants, or combine only states built with the same ones.")));
	}
	into->skipped += from->skipped;
}

/* Why settings read from a text form are not valid for kind, or NULL. */
static const char *
fit_settings_problem(FitKind kind, const FitSettings *settings)
{
	int			i;

	if (settings->unit.month < 0 || settings->unit.day < 0 ||
		settings->unit.time < 0 ||
		(settings->unit.month == 0 && settings->unit.day == 0 &&
		 settings->unit.time == 0))
		return "The unit must be positive.";
	if (settings->unit.time > FIT_MAX_UNIT_USECS)
		return "The unit must be at most 2^53 microseconds.";
	if (kind != FIT_KIND_XTT &&
		(settings->unit.month != 0 || settings->unit.day != 1 ||
		 settings->unit.time != 0))
		return "Only a fit of x, t_x, t has a unit.";
	if (!isfinite(settings->penalty) || settings->penalty < 0)
		return "The penalty must be finite and not negative.";
	if (settings->nstart != 0 && settings->nstart != fit_kind_nparams(kind))
		return "The start values must be one per parameter.";
	for (i = 0; i < settings->nstart; i++)
		if (!(settings->start[i] >= FIT_START_MIN && settings->start[i] <= FIT_START_MAX))
			return "Every start value must be between exp(-20) and exp(20).";
	if (!isfinite(settings->skipped) || settings->skipped < 0 ||
		settings->skipped != floor(settings->skipped) ||
		settings->skipped > FIT_MAX_CUSTOMERS)
		return "skipped must be a whole number, 0 or more.";
	return NULL;
}

/*
 * The settings arguments of a transition function: unit (argument
 * unit_argno, or -1: none), penalty (penalty_argno) and start values
 * (start_argno, or -1 for both), each NULL for its default; checked.
 */
static void
fit_settings_args(FunctionCallInfo fcinfo, FitKind kind, int unit_argno,
				  int penalty_argno, int start_argno, FitSettings *settings)
{
	fit_settings_default(settings);
	settings->given = true;
	if (unit_argno >= 0 && !PG_ARGISNULL(unit_argno))
	{
		Interval   *unit = PG_GETARG_INTERVAL_P(unit_argno);

		if (unit->month < 0 || unit->day < 0 || unit->time < 0 ||
			(unit->month == 0 && unit->day == 0 && unit->time == 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unit must be a positive interval"),
					 errhint("unit is the length of one unit of t_x and t, e.g. interval '1 week'.")));
		if (unit->time > FIT_MAX_UNIT_USECS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unit must be at most 2^53 microseconds"),
					 errhint("Give the unit in days, months or years, e.g. interval '1 year'.")));
		settings->unit = *unit;
	}
	if (penalty_argno >= 0 && !PG_ARGISNULL(penalty_argno))
	{
		double		penalty = PG_GETARG_FLOAT8(penalty_argno);

		custseg_check_finite(penalty, "penalty");
		if (penalty < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("penalty must not be negative"),
					 errhint("The penalty is the weight per customer of the sum of the squared log-parameters, e.g. 0.001; 0 or NULL for none.")));
		settings->penalty = penalty + 0.0;
	}
	if (start_argno >= 0 && !PG_ARGISNULL(start_argno))
	{
		ArrayType  *a = PG_GETARG_ARRAYTYPE_P(start_argno);
		int			nparams = fit_kind_nparams(kind);
		Datum	   *elems;
		bool	   *nulls;
		int			n,
					i;

		if (ARR_NDIM(a) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("start_values must be a one-dimensional array"),
					 errhint("Give one start value per parameter, in the order of the model type.")));
		deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
						  TYPALIGN_DOUBLE, &elems, &nulls, &n);
		if (n != nparams)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("start_values must have %d elements, not %d", nparams, n),
					 errhint("Give one start value per parameter, in the order of the model type.")));
		for (i = 0; i < n; i++)
		{
			double		v;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("start_values must not contain NULL"),
						 errhint("Pass NULL instead of the array for the default start.")));
			v = DatumGetFloat8(elems[i]);
			custseg_check_finite(v, "start value");
			if (!(v >= FIT_START_MIN && v <= FIT_START_MAX))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("start value %d must be between exp(-20) and exp(20), not %s",
								i + 1, float8out_internal(v)),
						 errhint("Every parameter of the models is positive; start near the values you expect.")));
			settings->start[i] = v + 0.0;
		}
		settings->nstart = n;
	}
}


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
	fit_settings_default(&s->settings);
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
	bool		has_settings = (flat->kind & FIT_FLAT_SETTINGS) != 0;
	int32		kind = flat->kind & FIT_FLAT_KIND_MASK;
	Size		extra = has_settings ? sizeof(FitSettings) : 0;

	if (VARSIZE(flat) < FIT_STATE_FLAT_HDRSZ + extra ||
		flat->ncells < (has_settings ? 0 : 1) ||
		flat->ncells > (int64) ((VARSIZE(flat) - FIT_STATE_FLAT_HDRSZ) / sizeof(FitCell)) ||
		VARSIZE(flat) != FIT_STATE_FLAT_HDRSZ + flat->ncells * sizeof(FitCell) + extra ||
		(flat->kind & ~(FIT_FLAT_KIND_MASK | FIT_FLAT_SETTINGS)) != 0 ||
		kind < FIT_KIND_XTT || kind > FIT_KIND_SPEND)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt custseg.fit_state value")));
}

/* The settings of a checked flat state. */
static void
fit_state_flat_settings(const FitStateFlat *flat, FitSettings *settings)
{
	if (flat->kind & FIT_FLAT_SETTINGS)
	{
		memcpy(settings, (const char *) flat->cells + flat->ncells * sizeof(FitCell),
			   sizeof(FitSettings));
		if (fit_settings_problem(flat->kind & FIT_FLAT_KIND_MASK, settings) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("corrupt custseg.fit_state value")));
	}
	else
		fit_settings_default(settings);
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
		v->settings = s->settings;
	}
	else
	{
		FitStateFlat *flat = (FitStateFlat *) PG_DETOAST_DATUM(src);
		double		customers = 0;
		int64		i;

		fit_state_flat_check(flat);
		fit_state_flat_settings(flat, &v->settings);
		for (i = 0; i < flat->ncells; i++)
			customers += flat->cells[i].w;
		v->kind = flat->kind & FIT_FLAT_KIND_MASK;
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
	fit_settings_merge(&s->settings, &v->settings);
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
	return FIT_STATE_FLAT_HDRSZ + s->ncells * sizeof(FitCell) +
		(fit_settings_stored(&s->settings) ? sizeof(FitSettings) : 0);
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
	if (s->ncells > 0)
		memcpy(flat->cells, s->cells, sizeof(FitCell) * s->ncells);
	if (fit_settings_stored(&s->settings))
	{
		flat->kind |= FIT_FLAT_SETTINGS;
		memcpy((char *) flat->cells + s->ncells * sizeof(FitCell), &s->settings,
			   sizeof(FitSettings));
	}
}

/*
 * The cells of a state for a fit.  A state whose weights add up to less
 * than half a customer (weights of 1e-300 from the text form) would give a
 * model of 0 customers, "converged" at once because every gradient is
 * nearly 0: it is no data, like an empty aggregate, and comes back with no
 * cells, for which every final function returns NULL.
 */
void
fit_state_cells(Datum state, FitKind kind, FitCells *cells)
{
	fit_state_view(state, cells);
	fit_check_same_kind(cells->kind, kind);
	if (cells->customers < 0.5)
		cells->ncells = 0;
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

/* Record the settings of a row in its state (every row must agree). */
static void
fit_state_apply_settings(FitStateExpanded *s, const FitSettings *settings)
{
	if (s != NULL)
		fit_settings_merge(&s->settings, settings);
}

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

/* The x, t_x, t of argument 1: three arguments, or a customer_summary. */
static bool
fit_xtt_args(FunctionCallInfo fcinfo, bool summary, int64 *x, double *t_x,
			 double *t)
{
	if (summary)
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

/* Add the customer of a row of a fit of x, t_x, t to its state. */
static Datum
fit_xtt_accum_row(FunctionCallInfo fcinfo, bool summary,
				  const FitSettings *settings)
{
	int64		x = 0;
	double		t_x = 0,
				t = 0;
	bool		known = fit_xtt_args(fcinfo, summary, &x, &t_x, &t);
	FitStateExpanded *s = fit_accum_state(fcinfo, "fit_xtt_accum",
										  FIT_KIND_XTT, !known);

	if (known)
	{
		fit_check_customer(x, t_x, t);
		fit_state_append(s, (double) x, t_x, t, 1.0);
	}
	if (settings != NULL)
		fit_state_apply_settings(s, settings);
	FIT_RETURN_STATE(s);
}

/*
 * custseg.fit_xtt_accum(state, x bigint, t_x float8, t float8)
 * custseg.fit_xtt_accum(state, custseg.customer_summary)
 * A row with a NULL value is skipped.  (Two SQL signatures, told apart by
 * their number of arguments.)
 */
PG_FUNCTION_INFO_V1(fit_xtt_accum);
Datum
fit_xtt_accum(PG_FUNCTION_ARGS)
{
	return fit_xtt_accum_row(fcinfo, PG_NARGS() == 2, NULL);
}

/* custseg.fit_xtt_accum(state, x, t_x, t, unit interval) */
PG_FUNCTION_INFO_V1(fit_xtt_unit_accum);
Datum
fit_xtt_unit_accum(PG_FUNCTION_ARGS)
{
	FitSettings settings;

	fit_settings_args(fcinfo, FIT_KIND_XTT, 4, -1, -1, &settings);
	return fit_xtt_accum_row(fcinfo, false, &settings);
}

/*
 * custseg.fit_xtt_accum(state, x, t_x, t, unit interval, penalty float8,
 *						 start_values float8[])
 */
PG_FUNCTION_INFO_V1(fit_xtt_settings_accum);
Datum
fit_xtt_settings_accum(PG_FUNCTION_ARGS)
{
	FitSettings settings;

	fit_settings_args(fcinfo, FIT_KIND_XTT, 4, 5, 6, &settings);
	return fit_xtt_accum_row(fcinfo, false, &settings);
}

/*
 * custseg.fit_xtt_accum(state, custseg.customer_summary, penalty float8,
 *						 start_values float8[])
 */
PG_FUNCTION_INFO_V1(fit_xtt_summary_settings_accum);
Datum
fit_xtt_summary_settings_accum(PG_FUNCTION_ARGS)
{
	FitSettings settings;

	fit_settings_args(fcinfo, FIT_KIND_XTT, -1, 2, 3, &settings);
	return fit_xtt_accum_row(fcinfo, true, &settings);
}

/* Add the customers of a row of a BG/BB fit (weight: argument 4 or 1). */
static Datum
fit_bgbb_accum_row(FunctionCallInfo fcinfo, bool weighted,
				   const FitSettings *settings)
{
	bool		known = !PG_ARGISNULL(1) && !PG_ARGISNULL(2) && !PG_ARGISNULL(3) &&
		(!weighted || !PG_ARGISNULL(4));
	int64		x = known ? PG_GETARG_INT64(1) : 0;
	int64		t_x = known ? PG_GETARG_INT64(2) : 0;
	int64		n = known ? PG_GETARG_INT64(3) : 0;
	int64		weight = (known && weighted) ? PG_GETARG_INT64(4) : 1;
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
	if (settings != NULL)
		fit_state_apply_settings(s, settings);
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
	return fit_bgbb_accum_row(fcinfo, PG_NARGS() == 5, NULL);
}

/*
 * custseg.fit_bgbb_accum(state, x, t_x, n, weight, penalty float8,
 *						  start_values float8[])
 */
PG_FUNCTION_INFO_V1(fit_bgbb_settings_accum);
Datum
fit_bgbb_settings_accum(PG_FUNCTION_ARGS)
{
	FitSettings settings;

	fit_settings_args(fcinfo, FIT_KIND_BGBB, -1, 5, 6, &settings);
	return fit_bgbb_accum_row(fcinfo, true, &settings);
}

/*
 * Add the customer of a row of a Gamma-Gamma fit.  Rows with x = 0 (no
 * repeat purchase: no repeat spend) and rows with a NULL value are
 * skipped; so, counted in the state, are the summaries whose repeat_spend
 * is not positive (repeat purchases refunded).
 */
static Datum
fit_spend_accum_row(FunctionCallInfo fcinfo, bool summary,
					const FitSettings *settings)
{
	bool		known,
				counted = false;
	int64		x = 0;
	double		m = 0;
	FitStateExpanded *s;

	if (summary)
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
			if (known && x > 0 && isfinite(m) && m <= 0)
			{
				known = false;
				counted = true;
			}
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
						 errhint("The Gamma-Gamma model needs positive spend; leave out customers whose repeat purchases were refunded (WHERE mean_spend > 0), or fit from the summaries, which skips them.")));
			if (x > FIT_MAX_COUNT)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("x must be at most 2^53"),
						 errhint("x is the number of repeat purchases of one customer.")));
		}
	}
	s = fit_accum_state(fcinfo, "fit_spend_accum", FIT_KIND_SPEND,
						!known && !counted);
	if (known)
		fit_state_append(s, (double) x, m, 0.0, 1.0);
	if (counted)
		s->settings.skipped += 1;
	if (settings != NULL)
		fit_state_apply_settings(s, settings);
	FIT_RETURN_STATE(s);
}

/*
 * custseg.fit_spend_accum(state, x bigint, mean_spend float8)
 * custseg.fit_spend_accum(state, custseg.customer_summary)
 */
PG_FUNCTION_INFO_V1(fit_spend_accum);
Datum
fit_spend_accum(PG_FUNCTION_ARGS)
{
	return fit_spend_accum_row(fcinfo, PG_NARGS() == 2, NULL);
}

/* custseg.fit_spend_accum(state, x, mean_spend, penalty, start_values) */
PG_FUNCTION_INFO_V1(fit_spend_settings_accum);
Datum
fit_spend_settings_accum(PG_FUNCTION_ARGS)
{
	FitSettings settings;

	fit_settings_args(fcinfo, FIT_KIND_SPEND, -1, 3, 4, &settings);
	return fit_spend_accum_row(fcinfo, false, &settings);
}

/* custseg.fit_spend_accum(state, summary, penalty, start_values) */
PG_FUNCTION_INFO_V1(fit_spend_summary_settings_accum);
Datum
fit_spend_summary_settings_accum(PG_FUNCTION_ARGS)
{
	FitSettings settings;

	fit_settings_args(fcinfo, FIT_KIND_SPEND, -1, 2, 3, &settings);
	return fit_spend_accum_row(fcinfo, true, &settings);
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

#define FIT_STATE_HINT "The form is {\"kind\":\"xtt\",\"cells\":[[k1,k2,k3,weight],...]} with kind xtt, bgbb or spend and the cells strictly increasing, optionally followed by \"settings\":{\"unit\":[months,days,microseconds],\"penalty\":p,\"start\":[...]} and \"skipped\":n."

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

static const char *const fit_state_keys[] = {NULL, "kind", "cells", "settings", "skipped"};
static const char *const fit_settings_keys[] = {NULL, "unit", "penalty", "start"};

/* A JSON number that must be a whole number within +-limit. */
static double
fit_parse_whole(CustsegParser *ps, double limit, const char *what)
{
	double		v = custseg_parse_number(ps);

	if (v != floor(v) || fabs(v) > limit)
		custseg_parse_fail(ps, "%s must be a whole number.", what);
	return v;
}

/* The settings object of the text form, after "settings": */
static void
fit_parse_settings(CustsegParser *ps, FitSettings *settings)
{
	custseg_expect(ps, '{');
	if (fit_parse_name(ps, fit_settings_keys, 4, "key") != 1)
		custseg_parse_fail(ps, "The first key of the settings must be \"unit\".");
	custseg_expect(ps, ':');
	custseg_expect(ps, '[');
	settings->unit.month = (int32) fit_parse_whole(ps, PG_INT32_MAX, "The months of the unit");
	custseg_expect(ps, ',');
	settings->unit.day = (int32) fit_parse_whole(ps, PG_INT32_MAX, "The days of the unit");
	custseg_expect(ps, ',');
	settings->unit.time = (int64) fit_parse_whole(ps, (double) FIT_MAX_UNIT_USECS,
												  "The microseconds of the unit");
	custseg_expect(ps, ']');
	custseg_expect(ps, ',');
	if (fit_parse_name(ps, fit_settings_keys, 4, "key") != 2)
		custseg_parse_fail(ps, "The second key of the settings must be \"penalty\".");
	custseg_expect(ps, ':');
	settings->penalty = custseg_parse_number(ps);
	custseg_expect(ps, ',');
	if (fit_parse_name(ps, fit_settings_keys, 4, "key") != 3)
		custseg_parse_fail(ps, "The third key of the settings must be \"start\".");
	custseg_expect(ps, ':');
	custseg_expect(ps, '[');
	settings->nstart = 0;
	if (!custseg_accept(ps, ']'))
	{
		do
		{
			if (settings->nstart == FIT_MAX_PARAMS)
				custseg_parse_fail(ps, "Too many start values.");
			settings->start[settings->nstart++] = custseg_parse_number(ps);
		} while (custseg_accept(ps, ','));
		custseg_expect(ps, ']');
	}
	custseg_expect(ps, '}');
	settings->given = true;
}

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
	FitSettings settings;
	const char *problem;

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
	cells = palloc(sizeof(FitCell) * cap);
	fit_settings_default(&settings);
	if (!custseg_accept(&ps, ']'))
	{
	do
	{
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
	}
	if (custseg_accept(&ps, ','))
	{
		int			key = fit_parse_name(&ps, fit_state_keys, 5, "key");

		if (key == 3)
		{
			custseg_expect(&ps, ':');
			fit_parse_settings(&ps, &settings);
			if (custseg_accept(&ps, ','))
				key = fit_parse_name(&ps, fit_state_keys, 5, "key");
			else
				key = 0;
		}
		if (key == 4)
		{
			custseg_expect(&ps, ':');
			settings.skipped = custseg_parse_number(&ps);
			if (!(settings.skipped > 0))
				custseg_parse_fail(&ps, "skipped must be positive when present.");
		}
		else if (key != 0)
			custseg_parse_fail(&ps, "After the cells come \"settings\" and \"skipped\", in this order.");
		problem = fit_settings_problem(kind, &settings);
		if (problem != NULL)
			custseg_parse_fail(&ps, "%s", problem);
	}
	if (n == 0 && !fit_settings_stored(&settings))
		custseg_parse_fail(&ps, "A state has at least one cell.");
	custseg_expect(&ps, '}');
	custseg_skip_space(&ps);
	if (*ps.p != '\0')
		custseg_parse_fail(&ps, "Unexpected text after the object at character %d.",
						   custseg_parse_pos(&ps));

	size = FIT_STATE_FLAT_HDRSZ + n * sizeof(FitCell) +
		(fit_settings_stored(&settings) ? sizeof(FitSettings) : 0);
	flat = palloc0(size);
	SET_VARSIZE(flat, size);
	flat->kind = kind;
	flat->ncells = n;
	for (i = 0; i < n; i++)
		flat->cells[i] = cells[i];
	if (fit_settings_stored(&settings))
	{
		flat->kind |= FIT_FLAT_SETTINGS;
		memcpy((char *) flat->cells + n * sizeof(FitCell), &settings, sizeof(FitSettings));
	}
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
	appendStringInfoChar(&buf, ']');
	if (v.settings.given)
	{
		appendStringInfo(&buf, ",\"settings\":{\"unit\":[%d,%d," INT64_FORMAT "],\"penalty\":",
						 v.settings.unit.month, v.settings.unit.day, v.settings.unit.time);
		custseg_append_float8(&buf, v.settings.penalty);
		appendStringInfoString(&buf, ",\"start\":[");
		for (i = 0; i < v.settings.nstart; i++)
		{
			if (i > 0)
				appendStringInfoChar(&buf, ',');
			custseg_append_float8(&buf, v.settings.start[i]);
		}
		appendStringInfoString(&buf, "]}");
	}
	if (v.settings.skipped > 0)
	{
		appendStringInfoString(&buf, ",\"skipped\":");
		custseg_append_float8(&buf, v.settings.skipped);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}
