/*-------------------------------------------------------------------------
 *
 * summary.c
 *	  custseg.summarize: one customer's order rows folded into the figures
 *	  that RFM scores and the buy-till-you-die models start from.
 *
 * The aggregate runs once per customer (GROUP BY customer_id).  Its state
 * keeps one entry per local calendar day on which the customer has a row:
 * the number of purchase rows and the sum of all amounts of that day.  The
 * latest day is kept in the state itself and rows of the same day merge into
 * it; a row of another day moves it to an array.  Rows of one customer
 * usually arrive in time order, so a row touches only the state (one
 * allocation, a one-time buyer needs nothing else) and the array is only
 * appended to; rows out of order are appended too, and the days are sorted
 * and merged once, at the end.
 *
 * Definitions (docs/summary.md has the user's version):
 *	- all times are local wall-clock times: a date is its midnight, a
 *	  timestamp is taken as it is, a timestamptz is converted to the session
 *	  TimeZone.  A calendar day is a local day;
 *	- rows after as_of are ignored; a NULL time or amount skips the row;
 *	- a row with amount >= 0 is a purchase (an order); a negative amount is a
 *	  refund: it counts in revenue (on its own day) but is not an order, does
 *	  not make a purchase day and does not move first_order or last_order;
 *	- repeat_spend is the revenue of the days after the first purchase day
 *	  divided by the number of repeat purchase days.
 *
 *-------------------------------------------------------------------------
 */
#include "custseg.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

/* Number of fields of custseg.customer_summary, and some of them. */
#define SUMMARY_NATTS 11
#define SUMMARY_ATT_ORDERS 3
#define SUMMARY_ATT_REVENUE 5
#define SUMMARY_ATT_RECENCY_DAYS 7

/* Bytes of day entries allocated when a customer first buys on a second day. */
#define SUMMARY_FIRST_DAYS_LOG2 7

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

#define SUMMARY_CAPACITY(state) \
	((state)->days == NULL ? 0 : (int) (((Size) 1 << (state)->days_log2) / sizeof(SummaryDay)))

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

/* Floor division, so that times before 2000-01-01 fall on the right day. */
static inline int32
local_day(Timestamp t)
{
	int64		day = t / USECS_PER_DAY;

	if (t % USECS_PER_DAY < 0)
		day--;
	return (int32) day;
}

/*
 * Local wall-clock time of a timestamptz in the session time zone.
 *
 * Converting through pg_tm for every row would cost more than the rest of
 * the row's work, so the offset is cached until the time zone's next
 * transition after the instant it was computed for.
 */
static Timestamp
timestamptz_local(SummaryCallSite *site, TimestampTz t)
{
	if (t < site->tz_from || t >= site->tz_until || site->tz != session_timezone)
	{
		pg_time_t	when;
		pg_time_t	boundary;
		long int	before_gmtoff;
		long int	after_gmtoff;
		int			before_isdst;
		int			after_isdst;
		int			found;

		/* the whole second at or before t (before 2000, t is negative) */
		when = timestamptz_to_time_t(t - (t % USECS_PER_SEC + USECS_PER_SEC) % USECS_PER_SEC);
		found = pg_next_dst_boundary(&when, &before_gmtoff, &before_isdst,
									 &boundary, &after_gmtoff, &after_isdst,
									 session_timezone);
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not determine the UTC offset of the session time zone"),
					 errhint("Set TimeZone to a valid time zone name.")));
		site->tz = session_timezone;
		site->tz_from = t;
		site->tz_until = found ? time_t_to_timestamptz(boundary) : DT_NOEND;
		site->tz_offset = (int64) before_gmtoff * USECS_PER_SEC;
	}
	return t + site->tz_offset;
}

/* A time argument of the call site's type as local time; finite only. */
static Timestamp
time_arg(SummaryCallSite *site, Datum value, const char *what)
{
	Timestamp	result;

	switch (site->time_type)
	{
		case DATEOID:
			{
				DateADT		d = DatumGetDateADT(value);

				if (DATE_NOT_FINITE(d))
					goto infinite;
				return (Timestamp) d * USECS_PER_DAY;
			}
		case TIMESTAMPOID:
			result = DatumGetTimestamp(value);
			if (TIMESTAMP_NOT_FINITE(result))
				goto infinite;
			return result;
		default:
			result = DatumGetTimestampTz(value);
			if (TIMESTAMP_NOT_FINITE(result))
				goto infinite;
			return timestamptz_local(site, result);
	}

infinite:
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("%s must be finite", what),
			 errhint("Filter out or repair the rows whose %s is infinite.", what)));
	return 0;					/* keep the compiler quiet */
}

/*
 * A numeric as double precision, correctly rounded.
 *
 * numeric_float8 prints the number and parses the text back, which costs
 * more than everything else summarize does for a row.  Amounts are short
 * decimals, so we read the base-10000 digits straight from the varlena (the
 * on-disk format, which pg_upgrade compatibility keeps frozen; its layout is
 * described at the top of PostgreSQL's numeric.c).  When the decimal
 * significand is below 2^53 and the power of ten is exact in double
 * precision (at most 10^22), one IEEE multiplication or division of two
 * exact doubles gives the correctly rounded result.  Anything else, and
 * the special values, go through numeric_float8.
 */
static double
numeric_amount(Datum value)
{
	static const double powers_of_ten[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
	};
	struct varlena *num = PG_DETOAST_DATUM_PACKED(value);
	const char *data = VARDATA_ANY(num);
	int			size = VARSIZE_ANY_EXHDR(num);
	uint16		header;
	int16		digit;
	int			weight;
	bool		negative;
	int			offset;
	int			ndigits;
	uint64		significand = 0;
	int			exponent;
	int			i;
	double		result;

	if (size < (int) sizeof(uint16))
		goto slow;
	memcpy(&header, data, sizeof(uint16));
	if ((header & 0xC000) == 0xC000)
		goto slow;				/* NaN or an infinity */
	if (header & 0x8000)
	{
		/* short format: sign, display scale and a 7-bit weight in the header */
		negative = (header & 0x2000) != 0;
		weight = (header & 0x003F) | ((header & 0x0040) ? ~0x003F : 0);
		offset = sizeof(uint16);
	}
	else
	{
		/* long format: sign and display scale, then an int16 weight */
		int16		long_weight;

		if (size < (int) (2 * sizeof(uint16)))
			goto slow;
		negative = (header & 0xC000) == 0x4000;
		memcpy(&long_weight, data + sizeof(uint16), sizeof(int16));
		weight = long_weight;
		offset = 2 * sizeof(uint16);
	}
	ndigits = (size - offset) / (int) sizeof(int16);
	if (ndigits == 0)
		return 0.0;

	for (i = 0; i < ndigits; i++)
	{
		memcpy(&digit, data + offset + i * sizeof(int16), sizeof(int16));
		if (significand >= (UINT64CONST(1) << 53) / 10000)
			goto slow;
		significand = significand * 10000 + (uint64) digit;
	}
	exponent = 4 * (weight - ndigits + 1);
	while (exponent < 0 && significand % 10 == 0)
	{
		significand /= 10;
		exponent++;
	}
	if (exponent < -22 || exponent > 22)
		goto slow;
	if (exponent >= 0)
		result = (double) significand * powers_of_ten[exponent];
	else
		result = (double) significand / powers_of_ten[-exponent];
	return negative ? -result : result;

slow:
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
}

/* An amount argument of the call site's type as a finite double. */
static double
amount_arg(SummaryCallSite *site, Datum value)
{
	double		amount;

	switch (site->amount_type)
	{
		case INT4OID:
			return (double) DatumGetInt32(value);
		case INT8OID:
			return (double) DatumGetInt64(value);
		case FLOAT8OID:
			amount = DatumGetFloat8(value);
			break;
		default:
			amount = numeric_amount(value);
			break;
	}
	custseg_check_finite(amount, "amount");
	return amount;
}

/* Reject a sum of amounts that left the range of double precision. */
static void
summary_check_sum(double sum)
{
	if (!isfinite(sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("revenue of a customer is out of range"),
				 errhint("Check the amounts of this customer's orders; their sum exceeds double precision.")));
}

/* Add x to the compensated sum (*sum, *error). */
static inline void
summary_sum_add(double *sum, double *error, double x)
{
	double		t = *sum + x;

	summary_check_sum(t);
	if (fabs(*sum) >= fabs(x))
		*error += (*sum - t) + x;
	else
		*error += (x - t) + *sum;
	*sum = t;
}

/* Add n purchases to a day's count. */
static inline void
summary_count_purchases(SummaryDay *day, int32 n)
{
	if (pg_add_s32_overflow(day->purchases, n, &day->purchases))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many orders of one customer on one day"),
				 errhint("Check that the orders are grouped by customer.")));
}

static int
summary_day_cmp(const void *a, const void *b)
{
	int32		x = ((const SummaryDay *) a)->day;
	int32		y = ((const SummaryDay *) b)->day;

	return (x > y) - (x < y);
}

/* Merge entry b into entry a of the same day. */
static void
summary_merge_day(SummaryDay *a, const SummaryDay *b)
{
	summary_count_purchases(a, b->purchases);
	summary_sum_add(&a->amount, &a->error, b->amount);
	a->error += b->error;
}

/* Sort the days array and merge its entries of the same day. */
static void
summary_sort_days(SummaryState *state)
{
	int			i;
	int			n = 0;

	qsort(state->days, state->ndays, sizeof(SummaryDay), summary_day_cmp);
	for (i = 0; i < state->ndays; i++)
	{
		if (n > 0 && state->days[n - 1].day == state->days[i].day)
			summary_merge_day(&state->days[n - 1], &state->days[i]);
		else
			state->days[n++] = state->days[i];
	}
	state->ndays = n;
}

/*
 * Make the days array hold at least n entries; it takes a power of two
 * bytes, the size of the chunk the allocator hands out anyway.
 */
static void
summary_reserve(SummaryState *state, MemoryContext context, int64 n)
{
	int			log2 = state->days ? state->days_log2 : SUMMARY_FIRST_DAYS_LOG2;

	while (((Size) 1 << log2) < (Size) n * sizeof(SummaryDay))
		log2++;
	if (state->days != NULL && log2 == state->days_log2)
		return;
	if (((Size) 1 << log2) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many order days for one customer"),
				 errhint("Group the orders by customer before summarizing them.")));
	if (state->days == NULL)
		state->days = MemoryContextAlloc(context, (Size) 1 << log2);
	else
		state->days = repalloc(state->days, (Size) 1 << log2);
	state->days_log2 = log2;
}

/*
 * Append an entry to the days array.  A full array of unsorted days is
 * first sorted and merged, and grows only if that does not free half of
 * it, so that it grows with the number of distinct days, not of rows.
 */
static void
summary_append(SummaryState *state, MemoryContext context, const SummaryDay *day)
{
	int			capacity = SUMMARY_CAPACITY(state);

	if (state->ndays == capacity)
	{
		if (!state->sorted)
		{
			CHECK_FOR_INTERRUPTS();
			summary_sort_days(state);
		}
		if (capacity == 0 || state->ndays > capacity / 2)
			summary_reserve(state, context, (int64) capacity + 1);
	}
	state->days[state->ndays++] = *day;
}

/* Add an entry: merged into the current day, or a new current day. */
static void
summary_add_day(SummaryState *state, MemoryContext context, const SummaryDay *day)
{
	SummaryDay	previous;

	if (!state->has_current)
	{
		state->current = *day;
		state->has_current = true;
	}
	else if (state->current.day == day->day)
		summary_merge_day(&state->current, day);
	else
	{
		if (day->day < state->current.day)
			state->sorted = false;
		previous = state->current;
		state->current = *day;
		summary_append(state, context, &previous);
	}
}

static SummaryState *
summary_new(MemoryContext context, Timestamp as_of)
{
	SummaryState *state = MemoryContextAllocZero(context, sizeof(SummaryState));

	state->as_of = as_of;
	state->first_order = DT_NOEND;
	state->last_order = DT_NOBEGIN;
	state->sorted = true;
	return state;
}

/*
 * Sort and merge all days; afterwards the array holds every day but the
 * latest, which is current again, and the state is sorted.
 */
static void
summary_normalize(SummaryState *state, MemoryContext context)
{
	if (state->sorted)
		return;
	if (state->has_current)
	{
		SummaryDay	current = state->current;

		state->has_current = false;
		summary_append(state, context, &current);
	}
	summary_sort_days(state);
	if (state->ndays > 0)
	{
		state->current = state->days[--state->ndays];
		state->has_current = true;
	}
	state->sorted = true;
}

static void
summary_check_as_of(SummaryState *state, Timestamp as_of)
{
	if (state->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a customer"),
				 errhint("Pass one constant as_of, such as a literal or a query parameter.")));
}

static MemoryContext
summary_aggcontext(FunctionCallInfo fcinfo, const char *function)
{
	MemoryContext context;

	if (!AggCheckCallContext(fcinfo, &context))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", function)));
	return context;
}

/*
 * summarize_accum(state, order_time, amount, as_of): the transition function
 * of every custseg.summarize overload.
 */
PG_FUNCTION_INFO_V1(summarize_accum);
Datum
summarize_accum(PG_FUNCTION_ARGS)
{
	MemoryContext context = summary_aggcontext(fcinfo, "summarize_accum");
	SummaryState *state = PG_ARGISNULL(0) ? NULL : (SummaryState *) PG_GETARG_POINTER(0);
	SummaryCallSite *site = fcinfo->flinfo->fn_extra;
	Timestamp	as_of;
	Timestamp	when;
	double		amount;
	SummaryDay	row;

	if (site == NULL)
	{
		site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SummaryCallSite));
		site->time_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
		site->amount_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
		site->tz_from = DT_NOEND;	/* empty span: compute on first use */
		site->tz_until = DT_NOBEGIN;
		fcinfo->flinfo->fn_extra = site;
	}

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be NULL"),
				 errhint("Pass the end of the period to summarize, such as current_date.")));
	as_of = time_arg(site, PG_GETARG_DATUM(3), "as_of");
	if (state != NULL)
		summary_check_as_of(state, as_of);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		goto skip;
	when = time_arg(site, PG_GETARG_DATUM(1), "order_time");
	amount = amount_arg(site, PG_GETARG_DATUM(2));
	if (when > as_of)
		goto skip;

	if (state == NULL)
		state = summary_new(context, as_of);
	if (amount >= 0)
	{
		if (when < state->first_order)
			state->first_order = when;
		if (when > state->last_order)
			state->last_order = when;
	}
	row.day = local_day(when);
	row.purchases = amount >= 0 ? 1 : 0;
	row.amount = amount;
	row.error = 0.0;
	summary_add_day(state, context, &row);
	PG_RETURN_POINTER(state);

skip:
	if (state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(state);
}

/* summarize_combine(state, state): merges two partial states. */
PG_FUNCTION_INFO_V1(summarize_combine);
Datum
summarize_combine(PG_FUNCTION_ARGS)
{
	MemoryContext context = summary_aggcontext(fcinfo, "summarize_combine");
	SummaryState *state = PG_ARGISNULL(0) ? NULL : (SummaryState *) PG_GETARG_POINTER(0);
	SummaryState *other = PG_ARGISNULL(1) ? NULL : (SummaryState *) PG_GETARG_POINTER(1);
	int			i;

	if (other == NULL)
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	/* other may live in a short-lived context: copy, never adopt it */
	if (state == NULL)
		state = summary_new(context, other->as_of);
	summary_check_as_of(state, other->as_of);

	if (other->first_order < state->first_order)
		state->first_order = other->first_order;
	if (other->last_order > state->last_order)
		state->last_order = other->last_order;
	for (i = 0; i < other->ndays; i++)
		summary_add_day(state, context, &other->days[i]);
	if (other->has_current)
		summary_add_day(state, context, &other->current);
	if (!other->sorted)
		state->sorted = false;

	PG_RETURN_POINTER(state);
}

/*
 * summarize_serialize(state) -> bytea: as_of, first and last order, the
 * number of days, then the day entries, sorted and merged, in the server's
 * own layout (partial states only travel between processes of one server).
 * The state stays valid: the latest day is its current day again.
 */
PG_FUNCTION_INFO_V1(summarize_serialize);
Datum
summarize_serialize(PG_FUNCTION_ARGS)
{
	MemoryContext context = summary_aggcontext(fcinfo, "summarize_serialize");
	SummaryState *state = (SummaryState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	summary_normalize(state, context);

	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->as_of);
	pq_sendint64(&buf, state->first_order);
	pq_sendint64(&buf, state->last_order);
	pq_sendint32(&buf, state->ndays + (state->has_current ? 1 : 0));
	if (state->ndays > 0)
		pq_sendbytes(&buf, (const char *) state->days, state->ndays * sizeof(SummaryDay));
	if (state->has_current)
		pq_sendbytes(&buf, (const char *) &state->current, sizeof(SummaryDay));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * summarize_deserialize(bytea, internal): the inverse of the above, into the
 * current (per-tuple) memory context; summarize_combine copies what it keeps.
 */
PG_FUNCTION_INFO_V1(summarize_deserialize);
Datum
summarize_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	SummaryState *state;
	int32		ndays;
	int			i;

	summary_aggcontext(fcinfo, "summarize_deserialize");
	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	state = summary_new(CurrentMemoryContext, pq_getmsgint64(&buf));
	state->first_order = pq_getmsgint64(&buf);
	state->last_order = pq_getmsgint64(&buf);
	ndays = pq_getmsgint(&buf, 4);
	if (ndays < 0 || (int64) ndays * sizeof(SummaryDay) != (uint64) (buf.len - buf.cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid summarize state: %d days in %d bytes",
						ndays, buf.len - buf.cursor)));
	if (ndays > 0)
	{
		summary_reserve(state, CurrentMemoryContext, ndays);
		pq_copymsgbytes(&buf, (char *) state->days, ndays * sizeof(SummaryDay));
		state->ndays = ndays;
		for (i = 1; i < ndays; i++)
			if (state->days[i].day <= state->days[i - 1].day)
				state->sorted = false;
	}
	pq_getmsgend(&buf);

	PG_RETURN_POINTER(state);
}

/* summarize_final(state) -> custseg.customer_summary, or NULL. */
PG_FUNCTION_INFO_V1(summarize_final);
Datum
summarize_final(PG_FUNCTION_ARGS)
{
	SummaryState *state;
	TupleDesc	tupdesc;
	Datum		values[SUMMARY_NATTS];
	bool		nulls[SUMMARY_NATTS] = {false};
	int64		orders = 0;
	int64		purchase_days = 0;
	double		revenue = 0.0;
	double		revenue_error = 0.0;
	double		repeat_revenue = 0.0;
	double		repeat_error = 0.0;
	int32		first_day = 0;
	int32		last_day = 0;
	MemoryContext context;
	int			i;

	context = summary_aggcontext(fcinfo, "summarize_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (SummaryState *) PG_GETARG_POINTER(0);
	summary_normalize(state, context);

	/* the days in order: the array, then the current day */
	for (i = 0; i < state->ndays + (state->has_current ? 1 : 0); i++)
	{
		const SummaryDay *d = i < state->ndays ? &state->days[i] : &state->current;
		double		amount = d->amount + d->error;	/* the day, rounded once */

		summary_sum_add(&revenue, &revenue_error, amount);
		if (purchase_days > 0)
			summary_sum_add(&repeat_revenue, &repeat_error, amount);
		if (d->purchases > 0)
		{
			if (purchase_days == 0)
				first_day = d->day;
			last_day = d->day;
			purchase_days++;
			orders += d->purchases;
		}
	}
	if (orders == 0)
		PG_RETURN_NULL();		/* only refunds */
	revenue += revenue_error;
	repeat_revenue += repeat_error;
	summary_check_sum(revenue);
	summary_check_sum(repeat_revenue);

	tupdesc = custseg_result_desc(fcinfo);
	if (tupdesc->natts != SUMMARY_NATTS)
		elog(ERROR, "summarize_final must return custseg.customer_summary");

	values[0] = TimestampGetDatum(state->first_order);
	values[1] = TimestampGetDatum(state->last_order);
	values[2] = Int64GetDatum(orders);
	values[3] = Int64GetDatum(purchase_days);
	values[4] = Float8GetDatum(revenue);
	values[5] = Float8GetDatum(revenue / orders);
	values[6] = Float8GetDatum((double) (state->as_of - state->last_order) / USECS_PER_DAY);
	values[7] = Int64GetDatum(purchase_days - 1);
	values[8] = Float8GetDatum((double) (last_day - first_day));
	values[9] = Float8GetDatum((double) (state->as_of - (Timestamp) first_day * USECS_PER_DAY)
							   / USECS_PER_DAY);
	values[10] = Float8GetDatum(purchase_days > 1 ? repeat_revenue / (purchase_days - 1) : 0.0);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * custseg_summary_rfm: the RFM values of a summary, for the RFM functions
 * that take a custseg.customer_summary (declared in custseg.h).
 */
bool
custseg_summary_rfm(Datum summary, double *values)
{
	static const int attnums[3] = {
		SUMMARY_ATT_RECENCY_DAYS, SUMMARY_ATT_ORDERS, SUMMARY_ATT_REVENUE
	};
	Datum		fields[3];
	bool		isnull[3];

	custseg_row_fields(DatumGetHeapTupleHeader(summary), 3, attnums, fields, isnull);
	if (isnull[0] || isnull[1] || isnull[2])
		return false;
	values[0] = DatumGetFloat8(fields[0]);
	values[1] = (double) DatumGetInt64(fields[1]);
	values[2] = DatumGetFloat8(fields[2]);
	return true;
}

/*
 * summary_days(as_of timestamp, since timestamp) -> float8: the days from
 * since to as_of with the arithmetic of summarize_final (recency_days,
 * age_days): the microseconds between them, as a double, divided by the
 * microseconds of a day.  The segment tables compute recency and age with
 * it when read, as of their last refresh (sql/parts/tables.sql).
 */
PG_FUNCTION_INFO_V1(summary_days);
Datum
summary_days(PG_FUNCTION_ARGS)
{
	Timestamp	as_of = PG_GETARG_TIMESTAMP(0);
	Timestamp	since = PG_GETARG_TIMESTAMP(1);
	int64		usecs;

	if (TIMESTAMP_NOT_FINITE(as_of) || TIMESTAMP_NOT_FINITE(since))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be finite", TIMESTAMP_NOT_FINITE(as_of) ? "as_of" : "since"),
				 errhint("Pass finite timestamps: the days between infinities are not a number.")));
	if (pg_sub_s64_overflow(as_of, since, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("days from %s to %s are out of range",
						DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(since))),
						DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(as_of)))),
				 errhint("Pass timestamps less than 292,000 years apart.")));
	PG_RETURN_FLOAT8((double) usecs / USECS_PER_DAY);
}
