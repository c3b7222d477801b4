/*-------------------------------------------------------------------------
 *
 * custseg.c
 *	  Module entry point of the custseg extension, and the helpers for
 *	  composite values that more than one concept uses.
 *
 * The SQL-callable functions live in one file per concept; see custseg.h.
 *
 *-------------------------------------------------------------------------
 */
#include "custseg.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

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
