/*-------------------------------------------------------------------------
 *
 * fastagg.h
 *	  The fast grouping node: a CustomScan that replaces PostgreSQL's Agg for
 *	  "SELECT key, custseg.summarize(...) ... GROUP BY key", with its own
 *	  open-addressing hash table holding the summarize states inline.
 *
 * fastagg_plan.c decides when the node applies (a create_upper_paths_hook
 * for UPPERREL_GROUP_AGG) and builds the plan; fastagg_exec.c runs it.
 * The path's custom_private is list_make5(key Var, distinct summarize
 * Aggrefs, HAVING quals, Integer partitions (0: serial), distinct plain
 * Aggrefs); the plan puts HAVING in its qual and hands the executor the
 * rest in its custom_private:
 *
 *	list_make4(key, aggs, partitions, plains)
 *	  key:  list_make3(Integer attno of the key in the child's tlist,
 *					   Integer key type OID, Integer FastKeyKind)
 *	  aggs: one list_make3(List of the 3 argument expressions, with Vars
 *					   of the child's output as OUTER_VAR, Integer time type
 *					   OID, Integer amount type OID) per distinct summarize,
 *					   in the order of custom_scan_tlist (after the key)
 *	  partitions: Integer, the number of partitions of a parallel node
 *	  plains: one list_make5(List of 0 or 1 argument expression, Integer
 *					   transition function OID, Integer transition type
 *					   OID, Const initial value, Integer input collation)
 *					   per distinct plain aggregate (after the summarizes)
 *
 *-------------------------------------------------------------------------
 */
#ifndef CUSTSEG_FASTAGG_H
#define CUSTSEG_FASTAGG_H

#include "nodes/extensible.h"

/* The most summarize aggregates, and plain ones, the node handles in one query. */
#define FASTAGG_MAX_AGGS 8

/* How the node hashes and compares keys. */
typedef enum FastKeyKind
{
	FASTAGG_KEY_BYVAL,			/* int2, int4, int8: the Datum itself */
	FASTAGG_KEY_UUID,			/* 16 bytes, compared as bytes */
	FASTAGG_KEY_TEXT			/* text, deterministic collation: the bytes */
} FastKeyKind;

#define FASTAGG_NAME "Custseg HashAggregate"

/* custseg.enable_fast_grouping */
extern bool custseg_enable_fast_grouping;

extern void fastagg_plan_init(void);	/* fastagg_plan.c: the hook */
extern void fastagg_exec_init(void);	/* fastagg_exec.c: the scan methods */
extern CustomScanMethods fastagg_scan_methods;

#endif							/* CUSTSEG_FASTAGG_H */
