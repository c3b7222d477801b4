/*-------------------------------------------------------------------------
 *
 * fmgrcall.c
 *	  Test-only: call functions and aggregates the way Citus calls them.
 *
 * Citus runs an aggregate on a worker as worker_partial_agg(...): its own
 * aggregate, whose transition function looks the real transition function
 * up with fmgr_info and calls it through FunctionCallInvoke.  Such a call
 * has no expression tree (flinfo->fn_expr is NULL), so a C function that
 * asks get_fn_expr_argtype for its argument types gets InvalidOid; its
 * FmgrInfo is made anew for every row, so fn_extra does not survive from
 * one row to the next.  The partial states travel to the coordinator in
 * their text form, where coord_combine_agg(...) reads them back and
 * combines and finalizes them the same way.
 *
 * fmgrcall(fn, args ...) calls one function like that; fmgrcall_agg(agg,
 * shard, args ...) runs an aggregate like that, with one partial state per
 * shard.  Both return the result in its text form.  This module is built
 * and installed by custseg's scripts/test only; it is not part of custseg.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

#define FMGRCALL_MAX_SHARDS 16

/* One shard's partial state. */
typedef struct FmgrShard
{
	Datum		value;
	bool		isnull;
} FmgrShard;

/* The state of fmgrcall_agg: the aggregate called and a state per shard. */
typedef struct FmgrAggState
{
	Oid			agg;
	int			nargs;			/* arguments of the aggregate */
	Oid			transfn;
	Oid			finalfn;
	Oid			combinefn;
	Oid			serialfn;
	Oid			deserialfn;
	bool		finalextra;
	Oid			transtype;
	int16		translen;
	bool		transbyval;
	bool		initnull;
	Datum		initval;
	Oid			rettype;
	int			nshards;		/* highest shard seen + 1 */
	FmgrShard	shards[FMGRCALL_MAX_SHARDS];
} FmgrAggState;

/*
 * Call fn with nargs arguments through a fresh FmgrInfo, without an
 * expression tree, in the given call context (an aggregate's, or NULL).
 * A strict function is not called when an argument is NULL.
 */
static Datum
fmgrcall_invoke(Oid fn, int nargs, const Datum *args, const bool *nulls,
				fmNodePtr context, bool *isnull)
{
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, FUNC_MAX_ARGS);
	Datum		result;
	int			i;

	fmgr_info(fn, &flinfo);
	Assert(flinfo.fn_expr == NULL);
	if (flinfo.fn_strict)
		for (i = 0; i < nargs; i++)
			if (nulls[i])
			{
				*isnull = true;
				return (Datum) 0;
			}
	InitFunctionCallInfoData(*fcinfo, &flinfo, nargs, InvalidOid, context, NULL);
	for (i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = nulls[i];
	}
	result = FunctionCallInvoke(fcinfo);
	*isnull = fcinfo->isnull;
	return result;
}

/* A value in its type's text form, by the output function, without expression. */
static text *
fmgrcall_output(Oid type, Datum value)
{
	Oid			outfn;
	bool		varlena;
	bool		nulls[1] = {false};
	bool		isnull;
	Datum		out;

	getTypeOutputInfo(type, &outfn, &varlena);
	out = fmgrcall_invoke(outfn, 1, &value, nulls, NULL, &isnull);
	return cstring_to_text(DatumGetCString(out));
}

/* A value from its type's text form, by the input function, without expression. */
static Datum
fmgrcall_input(Oid type, char *str)
{
	Oid			infn;
	Oid			ioparam;
	Datum		args[3];
	bool		nulls[3] = {false, false, false};
	bool		isnull;

	getTypeInputInfo(type, &infn, &ioparam);
	args[0] = CStringGetDatum(str);
	args[1] = ObjectIdGetDatum(ioparam);
	args[2] = Int32GetDatum(-1);
	return fmgrcall_invoke(infn, 3, args, nulls, NULL, &isnull);
}

/*
 * Check that the arguments from argument first on of our call have the
 * types of fn's arguments.
 */
static void
fmgrcall_check_args(FunctionCallInfo fcinfo, int first, Oid fn)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Form_pg_proc proc;
	int			i;

	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function %u does not exist", fn)));
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	if (get_fn_expr_variadic(fcinfo->flinfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("fmgrcall takes its arguments one by one, not as a VARIADIC array")));
	if (proc->pronargs != PG_NARGS() - first)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s takes %d arguments, not %d",
						format_procedure(fn), proc->pronargs, PG_NARGS() - first)));
	for (i = 0; i < proc->pronargs; i++)
	{
		Oid			type = get_fn_expr_argtype(fcinfo->flinfo, first + i);

		if (type != proc->proargtypes.values[i])
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("argument %d of %s must be of type %s, not %s",
							i + 1, format_procedure(fn),
							format_type_be(proc->proargtypes.values[i]),
							format_type_be(type)),
					 errhint("Cast the argument.")));
	}
	ReleaseSysCache(tuple);
}

/*
 * fmgrcall(fn regprocedure, VARIADIC args "any") -> text
 */
PG_FUNCTION_INFO_V1(fmgrcall);
Datum
fmgrcall(PG_FUNCTION_ARGS)
{
	Oid			fn;
	Datum		args[FUNC_MAX_ARGS];
	bool		nulls[FUNC_MAX_ARGS];
	bool		isnull;
	Datum		result;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	fn = PG_GETARG_OID(0);
	fmgrcall_check_args(fcinfo, 1, fn);
	for (i = 1; i < PG_NARGS(); i++)
	{
		args[i - 1] = PG_GETARG_DATUM(i);
		nulls[i - 1] = PG_ARGISNULL(i);
	}
	result = fmgrcall_invoke(fn, PG_NARGS() - 1, args, nulls, NULL, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(fmgrcall_output(get_func_rettype(fn), result));
}

/*
 * A new transition value from a transition or combine function: kept as it
 * is when it lives in the aggregate context already (as nodeAgg does),
 * else copied there.
 */
static Datum
fmgrcall_keep(FmgrAggState *s, Datum value, bool isnull, Datum old,
			  MemoryContext aggcxt)
{
	MemoryContext oldcxt;

	if (isnull || s->transbyval || value == old)
		return value;
	if (DatumIsReadWriteExpandedObject(value, false, s->translen) &&
		MemoryContextGetParent(DatumGetEOHP(value)->eoh_context) == aggcxt)
		return value;
	oldcxt = MemoryContextSwitchTo(aggcxt);
	value = datumCopy(value, s->transbyval, s->translen);
	MemoryContextSwitchTo(oldcxt);
	return value;
}

static FmgrAggState *
fmgrcall_agg_init(FunctionCallInfo fcinfo, Oid agg, MemoryContext aggcxt)
{
	FmgrAggState *s = MemoryContextAllocZero(aggcxt, sizeof(FmgrAggState));
	HeapTuple	tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(agg));
	Form_pg_aggregate form;
	Datum		initval;
	bool		initnull;

	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not an aggregate", format_procedure(agg))));
	form = (Form_pg_aggregate) GETSTRUCT(tuple);
	if (form->aggkind != AGGKIND_NORMAL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("fmgrcall_agg runs plain aggregates only")));
	s->agg = agg;
	s->transfn = form->aggtransfn;
	s->finalfn = form->aggfinalfn;
	s->combinefn = form->aggcombinefn;
	s->serialfn = form->aggserialfn;
	s->deserialfn = form->aggdeserialfn;
	s->finalextra = form->aggfinalextra;
	s->transtype = form->aggtranstype;
	get_typlenbyval(s->transtype, &s->translen, &s->transbyval);
	initval = SysCacheGetAttr(AGGFNOID, tuple, Anum_pg_aggregate_agginitval,
							  &initnull);
	s->initnull = initnull;
	if (!initnull)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(aggcxt);

		s->initval = fmgrcall_input(s->transtype, TextDatumGetCString(initval));
		MemoryContextSwitchTo(oldcxt);
	}
	ReleaseSysCache(tuple);
	if (!OidIsValid(s->combinefn))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s has no combine function", format_procedure(agg)),
				 errhint("Citus runs only aggregates with a combine function on its workers.")));
	s->rettype = get_func_rettype(agg);
	s->nargs = PG_NARGS() - 3;
	fmgrcall_check_args(fcinfo, 3, agg);
	return s;
}

/* A copy of the initial value in the aggregate context, for a new shard. */
static void
fmgrcall_shard_start(FmgrAggState *s, FmgrShard *shard, MemoryContext aggcxt)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(aggcxt);

	shard->isnull = s->initnull;
	shard->value = s->initnull ? (Datum) 0 :
		datumCopy(s->initval, s->transbyval, s->translen);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * fmgrcall_agg_accum(state, agg, shard, VARIADIC args): one row into the
 * state of its shard, through the aggregate's transition function.
 */
PG_FUNCTION_INFO_V1(fmgrcall_agg_accum);
Datum
fmgrcall_agg_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	FmgrAggState *s;
	FmgrShard  *shard;
	Datum		args[FUNC_MAX_ARGS];
	bool		nulls[FUNC_MAX_ARGS];
	int			k,
				i;
	bool		isnull;
	Datum		value;
	FmgrInfo	flinfo;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "fmgrcall_agg_accum called in non-aggregate context");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the aggregate and the shard must not be NULL")));
	k = PG_GETARG_INT32(2);
	if (k < 0 || k >= FMGRCALL_MAX_SHARDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("shard must be between 0 and %d", FMGRCALL_MAX_SHARDS - 1)));
	if (PG_ARGISNULL(0))
	{
		s = fmgrcall_agg_init(fcinfo, PG_GETARG_OID(1), aggcxt);
		for (i = 0; i < FMGRCALL_MAX_SHARDS; i++)
			s->shards[i].isnull = true;
	}
	else
		s = (FmgrAggState *) PG_GETARG_POINTER(0);
	if (s->agg != PG_GETARG_OID(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the aggregate must be the same on every row")));
	while (s->nshards <= k)
		fmgrcall_shard_start(s, &s->shards[s->nshards++], aggcxt);
	shard = &s->shards[k];

	args[0] = shard->value;
	nulls[0] = shard->isnull;
	for (i = 0; i < s->nargs; i++)
	{
		args[i + 1] = PG_GETARG_DATUM(i + 3);
		nulls[i + 1] = PG_ARGISNULL(i + 3);
	}

	/* the rules of a strict transition function, as in nodeAgg */
	fmgr_info(s->transfn, &flinfo);
	if (flinfo.fn_strict)
	{
		for (i = 1; i <= s->nargs; i++)
			if (nulls[i])
				PG_RETURN_POINTER(s);
		if (shard->isnull)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(aggcxt);

			shard->value = datumCopy(args[1], s->transbyval, s->translen);
			shard->isnull = false;
			MemoryContextSwitchTo(oldcxt);
			PG_RETURN_POINTER(s);
		}
	}
	value = fmgrcall_invoke(s->transfn, s->nargs + 1, args, nulls,
							fcinfo->context, &isnull);
	shard->value = fmgrcall_keep(s, value, isnull, shard->value, aggcxt);
	shard->isnull = isnull;
	PG_RETURN_POINTER(s);
}

/*
 * A partial state as the coordinator receives it: through the text form of
 * the state type, or through serialize and deserialize for internal states.
 */
static void
fmgrcall_ship(FunctionCallInfo fcinfo, FmgrAggState *s, FmgrShard *shard)
{
	Datum		args[2];
	bool		nulls[2] = {false, false};
	bool		isnull;

	if (shard->isnull)
		return;
	if (s->transtype == INTERNALOID)
	{
		Datum		bytes;

		if (!OidIsValid(s->serialfn))
			return;				/* stays in memory */
		args[0] = shard->value;
		bytes = fmgrcall_invoke(s->serialfn, 1, args, nulls, fcinfo->context, &isnull);
		args[0] = bytes;
		args[1] = PointerGetDatum(NULL);
		shard->value = fmgrcall_invoke(s->deserialfn, 2, args, nulls,
									   fcinfo->context, &isnull);
		shard->isnull = isnull;
	}
	else
		shard->value = fmgrcall_input(s->transtype,
									  text_to_cstring(fmgrcall_output(s->transtype,
																	  shard->value)));
}

/*
 * fmgrcall_agg_final(state): every shard's state shipped, combined in shard
 * order into one, finalized; the result in its text form.
 */
PG_FUNCTION_INFO_V1(fmgrcall_agg_final);
Datum
fmgrcall_agg_final(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	FmgrAggState *s;
	FmgrInfo	flinfo;
	Datum		acc = (Datum) 0;
	bool		accnull = true;
	Datum		args[FUNC_MAX_ARGS];
	bool		nulls[FUNC_MAX_ARGS];
	Datum		result;
	bool		isnull;
	int			k,
				i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "fmgrcall_agg_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (FmgrAggState *) PG_GETARG_POINTER(0);

	fmgr_info(s->combinefn, &flinfo);
	for (k = 0; k < s->nshards; k++)
	{
		FmgrShard  *shard = &s->shards[k];

		fmgrcall_ship(fcinfo, s, shard);
		if (flinfo.fn_strict && (accnull || shard->isnull))
		{
			/* a strict combine function: the first state is copied */
			if (accnull && !shard->isnull)
			{
				MemoryContext oldcxt = MemoryContextSwitchTo(aggcxt);

				acc = datumCopy(shard->value, s->transbyval, s->translen);
				accnull = false;
				MemoryContextSwitchTo(oldcxt);
			}
			continue;
		}
		args[0] = acc;
		nulls[0] = accnull;
		args[1] = shard->value;
		nulls[1] = shard->isnull;
		result = fmgrcall_invoke(s->combinefn, 2, args, nulls, fcinfo->context,
								 &isnull);
		acc = fmgrcall_keep(s, result, isnull, acc, aggcxt);
		accnull = isnull;
	}

	if (OidIsValid(s->finalfn))
	{
		int			nfinal = s->finalextra ? s->nargs + 1 : 1;

		args[0] = acc;
		nulls[0] = accnull;
		for (i = 1; i < nfinal; i++)
		{
			args[i] = (Datum) 0;
			nulls[i] = true;
		}
		result = fmgrcall_invoke(s->finalfn, nfinal, args, nulls, fcinfo->context,
								 &isnull);
	}
	else
	{
		result = acc;
		isnull = accnull;
	}
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(fmgrcall_output(s->rettype, result));
}
