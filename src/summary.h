/*-------------------------------------------------------------------------
 *
 * summary.h
 *	  The state of custseg.summarize and the row-level functions that fold
 *	  order rows into it, shared by the aggregate (summary.c) and the fast
 *	  grouping node (fastagg_plan.c, fastagg_exec.c), which keeps the
 *	  states inline in its own hash table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CUSTSEG_SUMMARY_H
#define CUSTSEG_SUMMARY_H

#include "datatype/timestamp.h"
#include "pgtime.h"

/*
 * A day's amounts are summed with Neumaier's compensated summation: amount
 * is the rounded running sum and error what rounding lost, so that
 * amount + error is the exact sum for any realistic number of rows.  The
 * day's value, amount + error rounded once, is then the same whatever the
 * order in which its rows arrived, serial or split between parallel
 * workers.
 */
typedef struct SummaryDay
{
	int32		day;			/* local calendar day, days since 2000-01-01 */
	int32		purchases;		/* rows with amount >= 0 */
	double		amount;			/* sum of every amount of the day ... */
	double		error;			/* ... and the rounding error of that sum */
} SummaryDay;

/*
 * The day being accumulated is kept in the state itself ("current"), so that
 * a row touches only this struct; it goes to the days array when a row of
 * another day arrives.  While rows arrive in time order (sorted), the array
 * holds strictly increasing days, all before current, and is only appended
 * to.  Rows out of order are appended as they come; the array is sorted
 * and merged when it is full and at the end (summary_normalize), after
 * which the latest day is current again, so that more rows can follow (as
 * they do when summarize is used as a window aggregate).
 *
 * The struct is kept at 64 bytes and the array at a power of two bytes, the
 * sizes of the chunks PostgreSQL allocates: hash aggregation keeps one state
 * per customer.
 */
typedef struct SummaryState
{
	Timestamp	as_of;			/* local time, the same on every row */
	Timestamp	first_order;	/* earliest purchase row, local time */
	Timestamp	last_order;		/* latest purchase row, local time */
	SummaryDay	current;		/* the latest day seen, if has_current */
	SummaryDay *days;			/* other days, or NULL */
	int32		ndays;			/* entries of days in use */
	uint8		days_log2;		/* days takes 2^days_log2 bytes */
	bool		has_current;
	bool		sorted;			/* days strictly increasing, then current? */
} SummaryState;

StaticAssertDecl(sizeof(SummaryState) <= 64, "a summarize state fits a 64-byte chunk");

/*
 * What the transition function learns about its call site once: the
 * argument types, and the session time zone's UTC offset over the span of
 * time around the last timestamptz it converted.
 */
typedef struct SummaryCallSite
{
	Oid			time_type;
	Oid			amount_type;
	pg_tz	   *tz;				/* the session time zone the span is for */
	TimestampTz tz_from;		/* tz_offset holds in [tz_from, tz_until) */
	TimestampTz tz_until;
	int64		tz_offset;		/* microseconds east of UTC */
} SummaryCallSite;

/*
 * summary_site_init: a call site for the given order_time type (DATEOID,
 * TIMESTAMPOID, TIMESTAMPTZOID) and amount type (NUMERICOID, FLOAT8OID,
 * INT4OID, INT8OID); any other type is an error.
 *
 * summary_row: fold one row (order_time, amount, as_of; a NULL as_of is an
 * error) into *state.  *valid says whether *state holds a state yet (the
 * aggregate's state is NULL until a row is kept); day arrays are allocated
 * in context.
 *
 * summary_read_row and summary_fold_row: the same in two steps, for the
 * fast grouping node, which reads rows ahead of folding them: a row read
 * into scalars (local times, the amount as float8; the same errors for bad
 * values), then folded (as_of checked against the state's).
 *
 * summary_result: the custseg.customer_summary of a state (tupdesc blessed),
 * or NULL (*isnull) when it holds no purchase.  The state stays valid.
 */
extern void summary_site_init(SummaryCallSite *site, Oid time_type, Oid amount_type);
extern void summary_row(SummaryState *state, bool *valid, MemoryContext context,
						SummaryCallSite *site, Datum order_time, bool order_time_null,
						Datum amount, bool amount_null, Datum as_of, bool as_of_null);

/* A row read by summary_read_row: keep is false for a skipped row. */
typedef struct SummaryRow
{
	Timestamp	as_of;
	Timestamp	when;
	double		amount;
	bool		keep;
} SummaryRow;

extern void summary_read_row(SummaryCallSite *site, Datum order_time, bool order_time_null,
							 Datum amount, bool amount_null, Datum as_of, bool as_of_null,
							 SummaryRow *row);
extern void summary_fold_row(SummaryState *state, bool *valid, MemoryContext context,
							 const SummaryRow *row);
extern Datum summary_result(SummaryState *state, MemoryContext context,
							TupleDesc tupdesc, bool *isnull);

#endif							/* CUSTSEG_SUMMARY_H */
