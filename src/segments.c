/*-------------------------------------------------------------------------
 *
 * segments.c
 *	  Segment maps: label customers by their RFM scores.
 *
 * A segment map is an ordered list of rules.  Each rule names a segment and
 * an inclusive box of scores (r_min .. r_max, f_min .. f_max, m_min ..
 * m_max); a customer gets the segment of the first rule whose box contains
 * its scores, or "Others" when no rule does.
 *
 * Two maps are compiled in ("rfm" and "rfm11", for 5 bins); users define
 * more in the table custseg.segment_rules, for up to 10 bins.  Either way a
 * map is resolved once into a cube that holds, for every cell of scores, the
 * index of the winning rule, so that labelling a row is one array lookup.
 *
 * A user map is read with SPI under the snapshot of the calling statement
 * and kept in fn_extra for as long as that snapshot is the active one: a
 * statement reads the table once per map, sees every change made before it
 * and none made while it runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "custseg.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

/* Scores run from 1 to SEGMENT_MAX_SCORE; built-in maps stop at 5. */
#define SEGMENT_MAX_SCORE		CUSTSEG_MAX_BINS
#define SEGMENT_BUILTIN_BINS	5
#define SEGMENT_CELLS			(SEGMENT_MAX_SCORE * SEGMENT_MAX_SCORE * SEGMENT_MAX_SCORE)
#define SEGMENT_CELL(r, f, m) \
	((((r) - 1) * SEGMENT_MAX_SCORE + ((f) - 1)) * SEGMENT_MAX_SCORE + ((m) - 1))

/* What to do when a built-in map does not fit the bins. */
#define SEGMENT_BUILTIN_HINT \
	"The built-in maps are for 5 bins per dimension. For other bins, " \
	"insert the rules of your own map into custseg.segment_rules."

/* Label of a customer that no rule matches. */
#define SEGMENT_OTHERS			"Others"

/* User maps kept per call site before the cache starts over. */
#define SEGMENT_CACHE_MAPS		8

/* A rule as compiled into the extension. */
typedef struct BuiltinRule
{
	const char *segment;
	int8		r_min,
				r_max,
				f_min,
				f_max,
				m_min,
				m_max;
} BuiltinRule;

/*
 * The rules of the R package rfm's documentation, in its order.  The boxes
 * overlap and leave gaps; the first match wins and the gaps are "Others".
 */
static const BuiltinRule rfm_rules[] = {
	{"Champions", 5, 5, 5, 5, 5, 5},
	{"Potential Loyalist", 3, 5, 3, 5, 2, 5},
	{"Loyal Customers", 2, 4, 2, 4, 2, 4},
	{"Promising", 3, 4, 1, 3, 3, 5},
	{"New Customers", 4, 5, 1, 3, 1, 5},
	{"Can't Lose Them", 1, 2, 3, 4, 4, 5},
	{"At Risk", 1, 2, 2, 5, 4, 5},
	{"Need Attention", 1, 3, 3, 5, 3, 5},
	{"About To Sleep", 2, 3, 1, 3, 1, 4},
	{"Lost", 1, 1, 1, 5, 1, 5},
};

/*
 * The 11-segment R x FM grid.  FM is the mean of F and M put in five bands:
 * F + M of 2-3 is band 1, 4-5 band 2, 6 band 3, 7-8 band 4, 9-10 band 5.
 *
 *	  R   FM 1             FM 2            FM 3            FM 4            FM 5
 *	  5   New Customers  Potential Loyalist  .  .  .   Champions       Champions
 *	  4   Promising      Potential Loyalist  .  .  .   Loyal           Loyal
 *	  3   About To Sleep About To Sleep  Need Attention  Loyal           Loyal
 *	  2   Hibernating    Hibernating     At Risk         At Risk         Can't Lose Them
 *	  1   Lost           Hibernating     At Risk         At Risk         Can't Lose Them
 *
 * (Potential Loyalist covers FM 2 and FM 3 at R 4 and 5.)
 *
 * A band is not a box in (F, M), so each grid cell is cut into one box per
 * F value.  The boxes are disjoint and cover all 125 cells: the order of the
 * rules does not matter (custseg.check_segment_map('rfm11') is empty).
 */
static const BuiltinRule rfm11_rules[] = {
	/* R 5, FM 4-5 */
	{"Champions", 5, 5, 2, 2, 5, 5},
	{"Champions", 5, 5, 3, 3, 4, 5},
	{"Champions", 5, 5, 4, 4, 3, 5},
	{"Champions", 5, 5, 5, 5, 2, 5},
	/* R 3-4, FM 4-5 */
	{"Loyal", 3, 4, 2, 2, 5, 5},
	{"Loyal", 3, 4, 3, 3, 4, 5},
	{"Loyal", 3, 4, 4, 4, 3, 5},
	{"Loyal", 3, 4, 5, 5, 2, 5},
	/* R 4-5, FM 2-3 */
	{"Potential Loyalist", 4, 5, 1, 1, 3, 5},
	{"Potential Loyalist", 4, 5, 2, 2, 2, 4},
	{"Potential Loyalist", 4, 5, 3, 3, 1, 3},
	{"Potential Loyalist", 4, 5, 4, 4, 1, 2},
	{"Potential Loyalist", 4, 5, 5, 5, 1, 1},
	/* R 5, FM 1 */
	{"New Customers", 5, 5, 1, 1, 1, 2},
	{"New Customers", 5, 5, 2, 2, 1, 1},
	/* R 4, FM 1 */
	{"Promising", 4, 4, 1, 1, 1, 2},
	{"Promising", 4, 4, 2, 2, 1, 1},
	/* R 3, FM 3 */
	{"Need Attention", 3, 3, 1, 1, 5, 5},
	{"Need Attention", 3, 3, 2, 2, 4, 4},
	{"Need Attention", 3, 3, 3, 3, 3, 3},
	{"Need Attention", 3, 3, 4, 4, 2, 2},
	{"Need Attention", 3, 3, 5, 5, 1, 1},
	/* R 3, FM 1-2 */
	{"About To Sleep", 3, 3, 1, 1, 1, 4},
	{"About To Sleep", 3, 3, 2, 2, 1, 3},
	{"About To Sleep", 3, 3, 3, 3, 1, 2},
	{"About To Sleep", 3, 3, 4, 4, 1, 1},
	/* R 1-2, FM 3-4 */
	{"At Risk", 1, 2, 1, 1, 5, 5},
	{"At Risk", 1, 2, 2, 2, 4, 5},
	{"At Risk", 1, 2, 3, 3, 3, 5},
	{"At Risk", 1, 2, 4, 4, 2, 4},
	{"At Risk", 1, 2, 5, 5, 1, 3},
	/* R 1-2, FM 5 */
	{"Can't Lose Them", 1, 2, 4, 4, 5, 5},
	{"Can't Lose Them", 1, 2, 5, 5, 4, 5},
	/* R 1-2, FM 2 */
	{"Hibernating", 1, 2, 1, 1, 3, 4},
	{"Hibernating", 1, 2, 2, 2, 2, 3},
	{"Hibernating", 1, 2, 3, 3, 1, 2},
	{"Hibernating", 1, 2, 4, 4, 1, 1},
	/* R 2, FM 1 */
	{"Hibernating", 2, 2, 1, 1, 1, 2},
	{"Hibernating", 2, 2, 2, 2, 1, 1},
	/* R 1, FM 1 */
	{"Lost", 1, 1, 1, 1, 1, 2},
	{"Lost", 1, 1, 2, 2, 1, 1},
};

typedef struct BuiltinMap
{
	const char *name;
	const BuiltinRule *rules;
	int			nrules;
} BuiltinMap;

static const BuiltinMap builtin_maps[] = {
	{"rfm", rfm_rules, lengthof(rfm_rules)},
	{"rfm11", rfm11_rules, lengthof(rfm11_rules)},
};

/* A rule ready for use: built-in rules get priorities 10, 20, 30, ... */
typedef struct SegmentRule
{
	int32		priority;
	int32		lo[3];			/* r_min, f_min, m_min */
	int32		hi[3];			/* r_max, f_max, m_max */
	text	   *segment;
} SegmentRule;

/* A map resolved into a cube of winning rules. */
typedef struct SegmentMap
{
	char	   *name;			/* not NUL-terminated */
	int			namelen;
	bool		builtin;
	int			maxscore;		/* 5 for built-in maps, else 10 */
	int			bins;			/* declared bins: 5 for built-in maps, 0 for a
								 * user map that declares none */
	int			nrules;
	SegmentRule *rules;			/* in priority order */
	int32		winner[SEGMENT_CELLS];	/* rule index per cell, -1: Others */
} SegmentMap;

/*
 * What one call site of custseg.segment keeps in fn_extra: the user maps
 * read under one snapshot (which the key identifies) and the map used last.
 */
typedef struct SegmentCache
{
	MemoryContext mapcxt;		/* holds the user maps; reset on a new key */
	bool		keyvalid;
	TimestampTz xact_start;
	CommandId	curcid;
	TransactionId xmin;
	TransactionId xmax;
	uint64		completions;	/* snapXactCompletionCount */
	int			nmaps;
	SegmentMap *maps[SEGMENT_CACHE_MAPS];
	SegmentMap *last;
} SegmentCache;

/* Built-in maps, resolved on first use and kept for the backend's life. */
static SegmentMap *builtin_cache[lengthof(builtin_maps)];
static text *others_text;

/* The label "Others", made once per backend. */
static const text *
segment_others(void)
{
	if (others_text == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);

		others_text = cstring_to_text(SEGMENT_OTHERS);
		MemoryContextSwitchTo(oldcxt);
	}
	return others_text;
}

/* Fill map->winner from map->rules: the first rule containing a cell wins. */
static void
segment_map_resolve(SegmentMap *map)
{
	int			i;

	for (i = 0; i < SEGMENT_CELLS; i++)
		map->winner[i] = -1;

	for (i = 0; i < map->nrules; i++)
	{
		const SegmentRule *rule = &map->rules[i];
		int			r,
					f,
					m;

		CHECK_FOR_INTERRUPTS();
		for (r = rule->lo[0]; r <= rule->hi[0]; r++)
			for (f = rule->lo[1]; f <= rule->hi[1]; f++)
				for (m = rule->lo[2]; m <= rule->hi[2]; m++)
				{
					int32	   *cell = &map->winner[SEGMENT_CELL(r, f, m)];

					if (*cell < 0)
						*cell = i;
				}
	}
}

static SegmentMap *
segment_map_new(const char *name, int namelen, bool builtin, int nrules)
{
	SegmentMap *map = palloc(sizeof(SegmentMap));

	map->name = palloc(namelen + 1);
	memcpy(map->name, name, namelen);
	map->name[namelen] = '\0';
	map->namelen = namelen;
	map->builtin = builtin;
	map->maxscore = builtin ? SEGMENT_BUILTIN_BINS : SEGMENT_MAX_SCORE;
	map->bins = builtin ? SEGMENT_BUILTIN_BINS : 0;
	map->nrules = nrules;
	map->rules = palloc(sizeof(SegmentRule) * Max(nrules, 1));
	return map;
}

/* The built-in map of this name, or NULL. */
static SegmentMap *
segment_builtin_map(const char *name, int namelen)
{
	int			i;

	for (i = 0; i < (int) lengthof(builtin_maps); i++)
	{
		const BuiltinMap *def = &builtin_maps[i];
		MemoryContext oldcxt;
		SegmentMap *map;
		int			k;

		if (strlen(def->name) != (size_t) namelen ||
			memcmp(def->name, name, namelen) != 0)
			continue;
		if (builtin_cache[i] != NULL)
			return builtin_cache[i];

		oldcxt = MemoryContextSwitchTo(TopMemoryContext);
		map = segment_map_new(name, namelen, true, def->nrules);
		for (k = 0; k < def->nrules; k++)
		{
			const BuiltinRule *src = &def->rules[k];
			SegmentRule *rule = &map->rules[k];

			rule->priority = 10 * (k + 1);
			rule->lo[0] = src->r_min;
			rule->hi[0] = src->r_max;
			rule->lo[1] = src->f_min;
			rule->hi[1] = src->f_max;
			rule->lo[2] = src->m_min;
			rule->hi[2] = src->m_max;
			rule->segment = cstring_to_text(src->segment);
		}
		MemoryContextSwitchTo(oldcxt);
		segment_map_resolve(map);
		builtin_cache[i] = map;
		return map;
	}
	return NULL;
}

/* A rule that the table's constraints should have kept out. */
static void
segment_bad_rule(const char *name, int namelen, uint64 rule)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("rule " UINT64_FORMAT " of segment map \"%.*s\" has a NULL or a bound outside 1 .. %d",
					rule + 1, namelen, name, SEGMENT_MAX_SCORE),
			 errhint("Fix the rule, and restore the check constraints of custseg.segment_rules.")));
}

/*
 * Read a user map from custseg.segment_rules into memory context cxt, under
 * the active snapshot.  NULL if the table has no rule for it.
 */
static SegmentMap *
segment_load_user_map(const char *name, int namelen, MemoryContext cxt)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	SegmentMap *map = NULL;
	MemoryContext oldcxt;
	uint64		nrows;
	uint64		i;
	int			ret;
	int32		bins;
	bool		binsnull;

	values[0] = PointerGetDatum(cstring_to_text_with_len(name, namelen));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * The bins column is read through to_jsonb, so that the query also runs
	 * against the table of custseg 0.1.0, which has none (NULL: undeclared).
	 */
	ret = SPI_execute_with_args("SELECT priority, segment, r_min, r_max, f_min, f_max, m_min, m_max,"
								" ((pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.->>) 'bins')::pg_catalog.int4)"
								" FROM custseg.segment_rules r"
								" WHERE map OPERATOR(pg_catalog.=) $1"
								" ORDER BY priority",
								1, argtypes, values, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args returned %s", SPI_result_code_string(ret));

	nrows = SPI_processed;
	if (nrows > 0)
	{
		TupleDesc	desc = SPI_tuptable->tupdesc;

		if (nrows > (uint64) (MaxAllocSize / sizeof(SegmentRule)))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("segment map \"%.*s\" has too many rules", namelen, name)));

		oldcxt = MemoryContextSwitchTo(cxt);
		map = segment_map_new(name, namelen, false, (int) nrows);
		for (i = 0; i < nrows; i++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[i];
			SegmentRule *rule = &map->rules[i];
			bool		isnull[8];
			int			d;

			/*
			 * The table's constraints keep every column non-NULL and every
			 * bound in 1 .. SEGMENT_MAX_SCORE, but the cube is indexed with
			 * these values, so check them again.
			 */
			rule->priority = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull[0]));
			rule->segment = isnull[0] ? NULL :
				DatumGetTextPCopy(SPI_getbinval(tuple, desc, 2, &isnull[1]));
			for (d = 0; d < 3; d++)
			{
				rule->lo[d] = DatumGetInt32(SPI_getbinval(tuple, desc, 3 + 2 * d, &isnull[2 + 2 * d]));
				rule->hi[d] = DatumGetInt32(SPI_getbinval(tuple, desc, 4 + 2 * d, &isnull[3 + 2 * d]));
			}
			for (d = 0; d < 8; d++)
				if (isnull[d])
					segment_bad_rule(name, namelen, i);
			for (d = 0; d < 3; d++)
				if (rule->lo[d] < 1 || rule->lo[d] > rule->hi[d] ||
					rule->hi[d] > SEGMENT_MAX_SCORE)
					segment_bad_rule(name, namelen, i);

			/* Every rule declares the same bins, or none does. */
			bins = DatumGetInt32(SPI_getbinval(tuple, desc, 9, &binsnull));
			if (binsnull)
				bins = 0;
			else if (bins < CUSTSEG_MIN_BINS || bins > SEGMENT_MAX_SCORE)
				segment_bad_rule(name, namelen, i);
			if (i == 0)
				map->bins = bins;
			else if (bins != map->bins)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("the rules of segment map \"%.*s\" declare different bins",
								namelen, name),
						 errdetail("Rule " UINT64_FORMAT " declares %s, rule 1 %s.", i + 1,
								   bins ? psprintf("%d bins", bins) : "none",
								   map->bins ? psprintf("%d bins", map->bins) : "none"),
						 errhint("Set custseg.segment_rules.bins to one value for every rule of the map.")));
			for (d = 0; d < 3; d++)
				if (bins > 0 && rule->hi[d] > bins)
					segment_bad_rule(name, namelen, i);
		}
		if (map->bins > 0)
			map->maxscore = map->bins;
		MemoryContextSwitchTo(oldcxt);
	}
	SPI_finish();

	if (map != NULL)
		segment_map_resolve(map);
	return map;
}

static void
segment_unknown_map(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("segment map \"%s\" does not exist", name),
			 errhint("Use a built-in map (\"rfm\" or \"rfm11\") or insert the rules "
					 "of your map into custseg.segment_rules.")));
}

/* Any map, read afresh into the current memory context (for the SRFs). */
static SegmentMap *
segment_get_map(text *name)
{
	const char *str = VARDATA_ANY(name);
	int			len = VARSIZE_ANY_EXHDR(name);
	SegmentMap *map;

	map = segment_builtin_map(str, len);
	if (map == NULL)
		map = segment_load_user_map(str, len, CurrentMemoryContext);
	if (map == NULL)
		segment_unknown_map(text_to_cstring(name));
	return map;
}

static SegmentCache *
segment_cache(FunctionCallInfo fcinfo)
{
	SegmentCache *cache = fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SegmentCache));
		cache->mapcxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
											  "custseg segment maps",
											  ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

/*
 * Are the user maps in the cache read under the active snapshot?  Within
 * one statement the answer is always yes; a call site that outlives its
 * statement (a PL/pgSQL simple expression) gets a new snapshot per
 * evaluation and so reloads after the table may have changed.
 */
static bool
segment_cache_current(SegmentCache *cache)
{
	Snapshot	snap;

	if (!cache->keyvalid || !ActiveSnapshotSet())
		return false;
	snap = GetActiveSnapshot();
	return snap->curcid == cache->curcid &&
		snap->xmin == cache->xmin &&
		snap->xmax == cache->xmax &&
		snap->snapXactCompletionCount == cache->completions &&
		GetCurrentTransactionStartTimestamp() == cache->xact_start;
}

/* Forget the user maps in the cache and remember the active snapshot. */
static void
segment_cache_reset(SegmentCache *cache)
{
	/* last may point into mapcxt: look at it before freeing that */
	if (cache->last != NULL && !cache->last->builtin)
		cache->last = NULL;
	MemoryContextReset(cache->mapcxt);
	cache->nmaps = 0;
	cache->keyvalid = ActiveSnapshotSet();
	if (cache->keyvalid)
	{
		Snapshot	snap = GetActiveSnapshot();

		cache->curcid = snap->curcid;
		cache->xmin = snap->xmin;
		cache->xmax = snap->xmax;
		cache->completions = snap->snapXactCompletionCount;
		cache->xact_start = GetCurrentTransactionStartTimestamp();
	}
}

static inline bool
segment_map_is(const SegmentMap *map, const char *name, int namelen)
{
	return map->namelen == namelen && memcmp(map->name, name, namelen) == 0;
}

/* The map of this name for a labelling call, from the cache if possible. */
static SegmentMap *
segment_cached_map(FunctionCallInfo fcinfo, text *name)
{
	SegmentCache *cache = segment_cache(fcinfo);
	const char *str = VARDATA_ANY(name);
	int			len = VARSIZE_ANY_EXHDR(name);
	SegmentMap *map;
	int			i;

	/* Fast path: the same map as the previous row. */
	map = cache->last;
	if (map != NULL && segment_map_is(map, str, len) &&
		(map->builtin || segment_cache_current(cache)))
		return map;

	map = segment_builtin_map(str, len);
	if (map != NULL)
	{
		cache->last = map;
		return map;
	}

	if (!segment_cache_current(cache))
		segment_cache_reset(cache);
	for (i = 0; i < cache->nmaps; i++)
	{
		if (segment_map_is(cache->maps[i], str, len))
		{
			cache->last = cache->maps[i];
			return cache->last;
		}
	}

	/* Too many maps at one call site: start over rather than grow. */
	if (cache->nmaps == SEGMENT_CACHE_MAPS)
		segment_cache_reset(cache);

	map = segment_load_user_map(str, len, cache->mapcxt);
	if (map == NULL)
		segment_unknown_map(text_to_cstring(name));
	cache->maps[cache->nmaps++] = map;
	cache->last = map;
	return map;
}

/* Report the first score of r, f, m that map cannot label. */
static void
segment_bad_scores(const SegmentMap *map, int32 r, int32 f, int32 m)
{
	const char *names[3] = {"r", "f", "m"};
	int32		scores[3];
	int			d;

	scores[0] = r;
	scores[1] = f;
	scores[2] = m;
	for (d = 0; d < 3; d++)
	{
		if (scores[d] < 1 || scores[d] > SEGMENT_MAX_SCORE)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s score must be between 1 and %d, not %d",
							names[d], SEGMENT_MAX_SCORE, scores[d]),
					 errhint("Scores run from 1 to the number of bins, as custseg.rfm_score computes them.")));
	}
	for (d = 0; d < 3; d++)
	{
		if (scores[d] > map->maxscore && map->builtin)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("built-in map \"%s\" labels scores 1 to %d, not %s = %d",
							map->name, map->maxscore, names[d], scores[d]),
					 errhint(SEGMENT_BUILTIN_HINT)));
		if (scores[d] > map->maxscore)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("segment map \"%s\" is declared for %d bins and labels scores 1 to %d, not %s = %d",
							map->name, map->bins, map->maxscore, names[d], scores[d]),
					 errhint("Score with %d bins, or label with a map declared for more bins.",
							 map->bins)));
	}
}

/* The label of one cell, as a new text. */
static Datum
segment_label(const SegmentMap *map, int32 r, int32 f, int32 m)
{
	const text *label;
	text	   *result;
	int32		winner;

	if (r < 1 || r > map->maxscore ||
		f < 1 || f > map->maxscore ||
		m < 1 || m > map->maxscore)
		segment_bad_scores(map, r, f, m);

	winner = map->winner[SEGMENT_CELL(r, f, m)];
	label = winner < 0 ? segment_others() : map->rules[winner].segment;
	result = palloc(VARSIZE(label));
	memcpy(result, label, VARSIZE(label));
	return PointerGetDatum(result);
}

/*
 * custseg.segment(r int, f int, m int, map text DEFAULT 'rfm') RETURNS text
 */
PG_FUNCTION_INFO_V1(segment_rfm);
Datum
segment_rfm(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);
	SegmentMap *map = segment_cached_map(fcinfo, PG_GETARG_TEXT_PP(3));

	PG_RETURN_DATUM(segment_label(map, r, f, m));
}

/*
 * custseg.segment(score custseg.rfm_score, map text DEFAULT 'rfm')
 * RETURNS text
 *
 * Uses the fields r, f, m and bins; cell is derived from them and ignored.
 * A NULL r, f or m gives NULL.  A score on bins other than the map's is an
 * error; a NULL bins (a score of custseg 0.1.0, or a row made by hand) is
 * checked by its scores alone.
 */
PG_FUNCTION_INFO_V1(segment_score);
Datum
segment_score(PG_FUNCTION_ARGS)
{
	static const int attnums[4] = {1, 2, 3, 5};	/* r, f, m, bins */
	HeapTupleHeader score = PG_GETARG_HEAPTUPLEHEADER(0);
	SegmentMap *map = segment_cached_map(fcinfo, PG_GETARG_TEXT_PP(1));
	Datum		values[4];
	bool		isnull[4] = {true, true, true, true};
	int32		bins;

	/* The row type of custseg 0.1.0 has no field bins. */
	custseg_row_fields(score, custseg_row_natts(score) >= 5 ? 4 : 3, attnums, values, isnull);
	if (isnull[0] || isnull[1] || isnull[2])
		PG_RETURN_NULL();
	if (custseg_row_natts(score) >= 5 && !isnull[3])
	{
		bins = DatumGetInt32(values[3]);
		if (bins < CUSTSEG_MIN_BINS || bins > CUSTSEG_MAX_BINS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("score bins must be between %d and %d, not %d",
							CUSTSEG_MIN_BINS, CUSTSEG_MAX_BINS, bins),
					 errhint("Scores carry the bins of the thresholds that made them, as custseg.rfm_score computes them.")));
		if (map->builtin && bins != map->bins)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("built-in map \"%s\" labels scores on %d bins, not %d",
							map->name, map->bins, bins),
					 errhint("Score with 5 bins, or label with a map of your own declared for %d bins "
							 "(custseg.segment_rules, column bins).", bins)));
		if (map->bins > 0 && bins != map->bins)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("segment map \"%s\" labels scores on %d bins, not %d",
							map->name, map->bins, bins),
					 errhint("Score with %d bins, or label with a map declared for %d bins.",
							 map->bins, bins)));
	}
	PG_RETURN_DATUM(segment_label(map, DatumGetInt32(values[0]),
								  DatumGetInt32(values[1]), DatumGetInt32(values[2])));
}

/*
 * custseg.segment_map_rules(map text) RETURNS TABLE (priority int,
 *		segment text, r_min int, r_max int, f_min int, f_max int,
 *		m_min int, m_max int)
 */
PG_FUNCTION_INFO_V1(segment_map_rules);
Datum
segment_map_rules(PG_FUNCTION_ARGS)
{
	SegmentMap *map = segment_get_map(PG_GETARG_TEXT_PP(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < map->nrules; i++)
	{
		const SegmentRule *rule = &map->rules[i];
		Datum		values[8];
		bool		nulls[8] = {false};
		int			d;

		values[0] = Int32GetDatum(rule->priority);
		values[1] = PointerGetDatum(rule->segment);
		for (d = 0; d < 3; d++)
		{
			values[2 + 2 * d] = Int32GetDatum(rule->lo[d]);
			values[3 + 2 * d] = Int32GetDatum(rule->hi[d]);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/* One row of custseg.check_segment_map; cell NULL for a rule's problem. */
static void
segment_problem(ReturnSetInfo *rsinfo, const char *problem, const int *cell,
				const SegmentRule *rule, const SegmentRule *other)
{
	Datum		values[8];
	bool		nulls[8] = {false};
	int			d;

	values[0] = CStringGetTextDatum(problem);
	for (d = 0; d < 3; d++)
	{
		nulls[1 + d] = (cell == NULL);
		values[1 + d] = cell ? Int32GetDatum(cell[d]) : (Datum) 0;
	}
	nulls[4] = (rule == NULL);
	values[4] = rule ? Int32GetDatum(rule->priority) : (Datum) 0;
	values[5] = PointerGetDatum(rule ? rule->segment : segment_others());
	nulls[6] = nulls[7] = (other == NULL);
	values[6] = other ? Int32GetDatum(other->priority) : (Datum) 0;
	values[7] = other ? PointerGetDatum(other->segment) : (Datum) 0;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

static inline bool
segment_rule_contains(const SegmentRule *rule, const int *cell)
{
	return rule->lo[0] <= cell[0] && cell[0] <= rule->hi[0] &&
		rule->lo[1] <= cell[1] && cell[1] <= rule->hi[1] &&
		rule->lo[2] <= cell[2] && cell[2] <= rule->hi[2];
}

/*
 * custseg.check_segment_map(map text, bins int DEFAULT 5) RETURNS TABLE
 *		(problem text, r int, f int, m int, priority int, segment text,
 *		 other_priority int, other_segment text)
 *
 * For every cell of the cube 1 .. bins, in order of r, f, m: an "overlap"
 * row per rule that the winning rule shadows, or one "uncovered" row when no
 * rule matches.  Then an "unreachable" row per rule that wins no cell.
 */
PG_FUNCTION_INFO_V1(check_segment_map);
Datum
check_segment_map(PG_FUNCTION_ARGS)
{
	SegmentMap *map = segment_get_map(PG_GETARG_TEXT_PP(0));
	int32		bins = PG_GETARG_INT32(1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool	   *wins;
	int			cell[3];
	int			i;

	custseg_check_bins(bins);
	if (bins > map->maxscore)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("built-in map \"%s\" is for %d bins, not %d",
						map->name, map->maxscore, bins),
				 errhint(SEGMENT_BUILTIN_HINT)));

	InitMaterializedSRF(fcinfo, 0);
	wins = palloc0(sizeof(bool) * Max(map->nrules, 1));

	for (cell[0] = 1; cell[0] <= bins; cell[0]++)
		for (cell[1] = 1; cell[1] <= bins; cell[1]++)
			for (cell[2] = 1; cell[2] <= bins; cell[2]++)
			{
				int32		winner = map->winner[SEGMENT_CELL(cell[0], cell[1], cell[2])];

				CHECK_FOR_INTERRUPTS();
				if (winner < 0)
				{
					segment_problem(rsinfo, "uncovered", cell, NULL, NULL);
					continue;
				}
				wins[winner] = true;
				for (i = winner + 1; i < map->nrules; i++)
				{
					if (segment_rule_contains(&map->rules[i], cell))
						segment_problem(rsinfo, "overlap", cell,
										&map->rules[winner], &map->rules[i]);
				}
			}

	for (i = 0; i < map->nrules; i++)
	{
		if (!wins[i])
			segment_problem(rsinfo, "unreachable", NULL, &map->rules[i], NULL);
	}
	PG_RETURN_NULL();
}
