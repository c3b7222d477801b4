/*-------------------------------------------------------------------------
 *
 * capture.c
 *	  The capture of changed customers for segment tables.
 *
 * custseg.segment_table_capture() is the function of the four statement
 * triggers that custseg.create_segment_table puts on an orders table
 * (AFTER INSERT, UPDATE and DELETE with transition tables, AFTER
 * TRUNCATE).  Its arguments are the log table (its quoted, qualified name)
 * and the customer column.  Per statement it inserts one row into the log:
 * the array of the non-NULL keys of the transition tables (for an UPDATE
 * the old and the new keys), nothing when there is none, or the TRUNCATE
 * marker.  The insert goes through SPI with the writer's privileges (the
 * log admits writers of the orders by its row level security policy), with
 * a plan prepared once per trigger and session.  A C function rather than
 * PL/pgSQL because it runs on every write to the orders: it costs a single
 * INSERT of one row, not an interpreter call with its own settings
 * (docs/tables.md measures it).  See sql/parts/tables.sql.
 *
 *-------------------------------------------------------------------------
 */
#include "custseg.h"

#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

/* The prepared inserts of one trigger, kept for the session. */
typedef struct CapturePlans
{
	Oid			trigger;		/* hash key: the trigger's oid */
	Oid			key_type;		/* the base type of the customer column */
	AttrNumber	key_attnum;
	SPIPlanPtr	insert_keys;	/* INSERT INTO log (keys) VALUES ($1) */
	SPIPlanPtr	insert_truncate;	/* INSERT INTO log (truncated) VALUES (true) */
} CapturePlans;

static HTAB *capture_plans = NULL;

/* A kept plan of one statement; the caller is connected to SPI. */
static SPIPlanPtr
capture_prepare(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "custseg.segment_table_capture: SPI_prepare failed for \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "custseg.segment_table_capture: SPI_keepplan failed");
	return plan;
}

/* The plans of a trigger, prepared on its first call in the session. */
static CapturePlans *
capture_plans_for(TriggerData *trigdata)
{
	Trigger    *trigger = trigdata->tg_trigger;
	CapturePlans *entry;
	bool		found;
	const char *log_name;
	const char *key_column;
	Oid			array_type;
	StringInfoData sql;

	if (capture_plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CapturePlans);
		ctl.hcxt = TopMemoryContext;
		capture_plans = hash_create("custseg capture plans", 16, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = (CapturePlans *) hash_search(capture_plans, &trigger->tgoid, HASH_FIND, &found);
	if (found)
		return entry;

	if (trigger->tgnargs != 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" must pass custseg.segment_table_capture a log table and a customer column",
						trigger->tgname),
				 errhint("Create segment tables with custseg.create_segment_table, which creates their triggers.")));
	log_name = trigger->tgargs[0];
	key_column = trigger->tgargs[1];

	/* everything is resolved before the entry exists: an error leaves none */
	{
		AttrNumber	attnum = get_attnum(RelationGetRelid(trigdata->tg_relation), key_column);
		Oid			key_type;

		if (attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("customer column \"%s\" of segment table capture trigger \"%s\" does not exist in %s",
							key_column, trigger->tgname, RelationGetRelationName(trigdata->tg_relation)),
					 errhint("The column was renamed or dropped: drop the segment table with custseg.drop_segment_table and create it again.")));
		key_type = getBaseType(get_atttype(RelationGetRelid(trigdata->tg_relation), attnum));
		array_type = get_array_type(key_type);
		if (!OidIsValid(array_type))
			elog(ERROR, "custseg.segment_table_capture: type %u has no array type", key_type);

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "custseg.segment_table_capture: SPI_connect failed");
		initStringInfo(&sql);
		appendStringInfo(&sql, "INSERT INTO %s (keys) VALUES ($1)", log_name);
		{
			SPIPlanPtr	insert_keys = capture_prepare(sql.data, 1, &array_type);
			SPIPlanPtr	insert_truncate;

			resetStringInfo(&sql);
			appendStringInfo(&sql, "INSERT INTO %s (truncated) VALUES (true)", log_name);
			insert_truncate = capture_prepare(sql.data, 0, NULL);
			SPI_finish();

			entry = (CapturePlans *) hash_search(capture_plans, &trigger->tgoid, HASH_ENTER, &found);
			entry->key_type = key_type;
			entry->key_attnum = attnum;
			entry->insert_keys = insert_keys;
			entry->insert_truncate = insert_truncate;
		}
	}
	return entry;
}

/* Add the non-NULL keys of a transition table to the array being built. */
static ArrayBuildState *
capture_add_keys(ArrayBuildState *keys, Tuplestorestate *rows, Relation rel,
				 const CapturePlans *plans)
{
	TupleTableSlot *slot;
	int			pointer;

	if (rows == NULL)
		return keys;
	/* a read pointer of our own, as a transition table scan takes one */
	pointer = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(rows, pointer);
	tuplestore_copy_read_pointer(rows, 0, pointer);
	tuplestore_rescan(rows);
	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		bool		isnull;
		Datum		key = slot_getattr(slot, plans->key_attnum, &isnull);

		CHECK_FOR_INTERRUPTS();
		if (!isnull)
			keys = accumArrayResult(keys, key, false, plans->key_type, CurrentMemoryContext);
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_select_read_pointer(rows, 0);
	return keys;
}

PG_FUNCTION_INFO_V1(segment_table_capture);
Datum
segment_table_capture(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	CapturePlans *plans;
	int			ret;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("custseg.segment_table_capture must be called as an AFTER ... FOR EACH STATEMENT trigger"),
				 errhint("Create segment tables with custseg.create_segment_table, which creates their triggers.")));
	plans = capture_plans_for(trigdata);

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "custseg.segment_table_capture: SPI_connect failed");
		ret = SPI_execute_plan(plans->insert_truncate, NULL, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "custseg.segment_table_capture: insert failed: %s", SPI_result_code_string(ret));
		SPI_finish();
	}
	else
	{
		ArrayBuildState *keys = NULL;

		if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
			keys = capture_add_keys(keys, trigdata->tg_oldtable, trigdata->tg_relation, plans);
		if (!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
			keys = capture_add_keys(keys, trigdata->tg_newtable, trigdata->tg_relation, plans);
		if (keys != NULL)
		{
			Datum		array = makeArrayResult(keys, CurrentMemoryContext);
			char		nulls = ' ';

			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "custseg.segment_table_capture: SPI_connect failed");
			ret = SPI_execute_plan(plans->insert_keys, &array, &nulls, false, 0);
			if (ret != SPI_OK_INSERT)
				elog(ERROR, "custseg.segment_table_capture: insert failed: %s", SPI_result_code_string(ret));
			SPI_finish();
		}
	}
	return PointerGetDatum(NULL);
}
