/*-------------------------------------------------------------------------
 *
 * custseg.c
 *	  Module entry point of the custseg extension, the helpers for
 *	  composite values that more than one concept uses, and the reader of
 *	  the JSON text forms of the state types (rfm.c, kmeans.c).
 *
 * The SQL-callable functions live in one file per concept; see custseg.h.
 *
 *-------------------------------------------------------------------------
 */
#include "custseg.h"
#include "fastagg.h"


#include "common/shortest_dec.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

/*
 * Loading the library installs the fast grouping node's setting and
 * planner hook (fastagg_plan.c).  Planning a query with custseg.summarize
 * loads it (custseg.summarize_support), so the node applies from a
 * session's first such query on.
 */
void		_PG_init(void);

void
_PG_init(void)
{
	fastagg_plan_init();
	fastagg_exec_init();
}

/*
 * custseg_result_desc: the row type a function returns, blessed so that
 * HeapTupleGetDatum can label the result, looked up once per call site.
 * The caller must not use fn_extra for anything else.
 */
TupleDesc
custseg_result_desc(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	tupdesc;

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		fcinfo->flinfo->fn_extra = BlessTupleDesc(tupdesc);
		MemoryContextSwitchTo(oldcxt);
	}
	return (TupleDesc) fcinfo->flinfo->fn_extra;
}

/*
 * custseg_row_fields: read fields of a composite value without copying it.
 * The row type's descriptor comes from the type cache, unpinned: nothing
 * between the lookup and its last use can process invalidations.
 */
void
custseg_row_fields(HeapTupleHeader row, int n, const int *attnums,
				   Datum *values, bool *isnull)
{
	TypeCacheEntry *type = lookup_type_cache(HeapTupleHeaderGetTypeId(row),
											 TYPECACHE_TUPDESC);
	HeapTupleData tuple;
	int			i;

	if (type->tupDesc == NULL)
		elog(ERROR, "type %u is not a row type", HeapTupleHeaderGetTypeId(row));
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	for (i = 0; i < n; i++)
	{
		if (attnums[i] > type->tupDesc->natts)
			elog(ERROR, "row type %u has no field %d",
				 HeapTupleHeaderGetTypeId(row), attnums[i]);
		values[i] = heap_getattr(&tuple, attnums[i], type->tupDesc, &isnull[i]);
	}
}


/*
 * custseg_row_natts: the number of fields of a composite value's row type
 * (dropped fields included).
 */
int
custseg_row_natts(HeapTupleHeader row)
{
	TypeCacheEntry *type = lookup_type_cache(HeapTupleHeaderGetTypeId(row),
											 TYPECACHE_TUPDESC);

	if (type->tupDesc == NULL)
		elog(ERROR, "type %u is not a row type", HeapTupleHeaderGetTypeId(row));
	return type->tupDesc->natts;
}


/* ----------------------------------------------------------------
 *		JSON text forms of the state types (see custseg.h)
 * ----------------------------------------------------------------
 */

void
custseg_parse_fail(CustsegParser *ps, const char *fmt,...)
{
	char		detail[256];
	va_list		args;
	int			len = strlen(ps->input);
	int			shown = pg_mbcliplen(ps->input, len, 60);

	va_start(args, fmt);
	vsnprintf(detail, sizeof(detail), fmt, args);
	va_end(args);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("malformed %s literal: \"%.*s%s\"", ps->type_name,
					shown, ps->input, len > shown ? "..." : ""),
			 errdetail("%s", detail),
			 ps->hint ? errhint("%s", ps->hint) : 0));
}

int
custseg_parse_pos(CustsegParser *ps)
{
	return (int) (ps->p - ps->input) + 1;
}

void
custseg_skip_space(CustsegParser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

/* Skip white space; true and consume c if it comes next. */
bool
custseg_accept(CustsegParser *ps, char c)
{
	custseg_skip_space(ps);
	if (*ps->p != c)
		return false;
	ps->p++;
	return true;
}

void
custseg_expect(CustsegParser *ps, char c)
{
	if (!custseg_accept(ps, c))
		custseg_parse_fail(ps, "Expected \"%c\" at character %d.", c, custseg_parse_pos(ps));
}

/* A JSON string without escapes, at most 31 bytes. */
void
custseg_parse_string(CustsegParser *ps, char *buf)
{
	int			n = 0;

	custseg_expect(ps, '"');
	while (*ps->p != '"')
	{
		if (*ps->p == '\0' || *ps->p == '\\' || n == 31)
			custseg_parse_fail(ps, "Unexpected string at character %d.", custseg_parse_pos(ps));
		buf[n++] = *ps->p++;
	}
	ps->p++;
	buf[n] = '\0';
}

/* A JSON number, which must be a finite float8. */
float8
custseg_parse_number(CustsegParser *ps)
{
	const char *s;
	char	   *end;
	float8		v;

	custseg_skip_space(ps);
	s = ps->p;
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char) *s))
		custseg_parse_fail(ps, "Expected a number at character %d.", custseg_parse_pos(ps));
	if (*s == '0')
		s++;
	else
		while (isdigit((unsigned char) *s))
			s++;
	if (*s == '.')
	{
		s++;
		if (!isdigit((unsigned char) *s))
			custseg_parse_fail(ps, "Malformed number at character %d.", custseg_parse_pos(ps));
		while (isdigit((unsigned char) *s))
			s++;
	}
	if (*s == 'e' || *s == 'E')
	{
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char) *s))
			custseg_parse_fail(ps, "Malformed number at character %d.", custseg_parse_pos(ps));
		while (isdigit((unsigned char) *s))
			s++;
	}
	errno = 0;
	v = strtod(ps->p, &end);
	if (end != s)
		custseg_parse_fail(ps, "Malformed number at character %d.", custseg_parse_pos(ps));
	if (isinf(v))
		custseg_parse_fail(ps, "Number out of range at character %d.", custseg_parse_pos(ps));
	ps->p = s;
	return v + 0.0;				/* -0 becomes 0 */
}

/*
 * The next key of an object ("key":), or -1 at the closing brace.  first
 * says whether this is the first key (no comma before it).
 */
int
custseg_parse_key(CustsegParser *ps, const char *const *keys, int nkeys,
				  bool *seen, bool first)
{
	char		buf[32];
	int			i;

	if (custseg_accept(ps, '}'))
		return -1;
	if (!first)
		custseg_expect(ps, ',');
	custseg_skip_space(ps);
	custseg_parse_string(ps, buf);
	for (i = 0; i < nkeys; i++)
		if (strcmp(buf, keys[i]) == 0)
			break;
	if (i == nkeys)
		custseg_parse_fail(ps, "Unknown key \"%s\".", buf);
	if (seen[i])
		custseg_parse_fail(ps, "Duplicate key \"%s\".", buf);
	seen[i] = true;
	custseg_expect(ps, ':');
	return i;
}

void
custseg_parse_end(CustsegParser *ps, const char *const *keys, int nkeys, bool *seen)
{
	int			i;

	custseg_skip_space(ps);
	if (*ps->p != '\0')
		custseg_parse_fail(ps, "Unexpected text after the object at character %d.",
						   custseg_parse_pos(ps));
	for (i = 0; i < nkeys; i++)
		if (!seen[i])
			custseg_parse_fail(ps, "Missing key \"%s\".", keys[i]);
}

void
custseg_append_float8(StringInfo buf, float8 v)
{
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, num);
	appendStringInfoString(buf, num);
}
