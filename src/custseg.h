/*-------------------------------------------------------------------------
 *
 * custseg.h
 *	  Helpers shared by every part of the custseg extension.
 *
 * Each concept lives in its own file: summary.c (per-customer order
 * summaries), rfm.c (RFM thresholds and scores), segments.c (segment maps),
 * kmeans.c, holdout.c (assignment), uplift.c (the uplift aggregates), power.c
 * (planning a holdout, Holm's adjustment).
 * What more than one of them needs is declared here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CUSTSEG_H
#define CUSTSEG_H

#include "postgres.h"

#include <math.h>

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"

/*
 * A function that never returns, written before its declaration:
 * PostgreSQL 18 has pg_noreturn (placed there) and no longer has
 * pg_attribute_noreturn(), which older releases place after the
 * declarator; GCC and Clang take that attribute in front as well.
 */
#ifdef pg_noreturn
#define custseg_noreturn pg_noreturn
#else
#define custseg_noreturn pg_attribute_noreturn()
#endif

/* Smallest and largest number of score bins per RFM dimension. */
#define CUSTSEG_MIN_BINS	2
#define CUSTSEG_MAX_BINS	10

/*
 * Reject NaN and infinities in a value that must be a finite number.
 * "what" names the argument in the message, e.g. "amount".
 */
static inline void
custseg_check_finite(double value, const char *what)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NaN", what),
				 errhint("Filter out or repair the rows whose %s is NaN.", what)));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be finite", what),
				 errhint("Filter out or repair the rows whose %s is infinite.", what)));
}

/* Reject a bins argument outside CUSTSEG_MIN_BINS .. CUSTSEG_MAX_BINS. */
static inline void
custseg_check_bins(int bins)
{
	if (bins < CUSTSEG_MIN_BINS || bins > CUSTSEG_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be between %d and %d, not %d",
						CUSTSEG_MIN_BINS, CUSTSEG_MAX_BINS, bins),
				 errhint("Five bins per dimension is the usual choice.")));
}

/*
 * Composite values (custseg.c).  custseg_result_desc: the blessed row type
 * of a function returning a composite, kept in fn_extra for the call site.
 * custseg_row_fields: fields attnums[0 .. n-1] (1-based) of a composite
 * value, read in place.
 */
extern TupleDesc custseg_result_desc(FunctionCallInfo fcinfo);
extern void custseg_row_fields(HeapTupleHeader row, int n, const int *attnums,
							   Datum *values, bool *isnull);

/*
 * The RFM values of a custseg.customer_summary datum (summary.c): its
 * recency_days, orders and revenue, in that order.  False when one of them
 * is NULL.
 */
extern bool custseg_summary_rfm(Datum summary, double *values);

/*
 * Reading the JSON text forms of custseg's state types (custseg.c): a
 * cursor over the input, with the SQL type name and the hint (or NULL) of
 * the "malformed ... literal" error.  custseg_parse_fail reports it with a
 * printf-style detail.  accept and expect skip white space before one
 * character; a number is strict JSON and a finite float8 (-0 read as 0); a
 * string has no escapes and at most 31 bytes.  custseg_parse_key reads
 * '"key":' (or the closing brace: -1), the key one of keys[], not seen
 * before; custseg_parse_end checks that nothing follows the object and
 * that every key was seen.
 */
typedef struct CustsegParser
{
	const char *input;			/* the whole input */
	const char *p;				/* next character to read */
	const char *type_name;		/* e.g. "custseg.kmeans_state" */
	const char *hint;			/* errhint of every error, or NULL */
} CustsegParser;

custseg_noreturn extern void custseg_parse_fail(CustsegParser *ps, const char *fmt,...)
			pg_attribute_printf(2, 3);
extern int	custseg_parse_pos(CustsegParser *ps);
extern void custseg_skip_space(CustsegParser *ps);
extern bool custseg_accept(CustsegParser *ps, char c);
extern void custseg_expect(CustsegParser *ps, char c);
extern float8 custseg_parse_number(CustsegParser *ps);
extern void custseg_parse_string(CustsegParser *ps, char *buf);
extern int	custseg_parse_key(CustsegParser *ps, const char *const *keys, int nkeys,
							  bool *seen, bool first);
extern void custseg_parse_end(CustsegParser *ps, const char *const *keys, int nkeys,
							  bool *seen);

/*
 * Append v to buf in the text forms of the state types: shortest-exact
 * decimal, so that custseg_parse_number reads back the same bits.
 */
extern void custseg_append_float8(StringInfo buf, float8 v);

/*
 * The continued fraction K of the regularized incomplete beta function,
 * I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * K (DLMF 8.17.22), by the
 * modified Lentz method; converges fast for x < (a + 1) / (a + b + 2).
 * NaN when it does not converge (extreme a or b): the caller reports it.
 * Used by Student's t (holdout.c) and the Pareto/NBD purchase
 * probabilities (paretonbd.c).
 */
extern float8 custseg_beta_cf(float8 a, float8 b, float8 x);

/*
 * Student's t distribution (holdout.c): P(T > t) for t >= 0, and the t > 0
 * with P(T > t) = q for 0 < q < 1/2, with df > 0 degrees of freedom.
 */
extern float8 student_t_upper(float8 t, float8 df);
extern float8 student_t_upper_inverse(float8 q, float8 df);

/* The standard normal quantile, for 0 < p < 1 (power.c, AS 241). */
extern float8 custseg_normal_quantile(float8 p);

/*
 * One group of an uplift comparison (uplift.c): rows, sum and mean of the
 * outcomes, and the sum of their squared deviations from the mean.
 * custseg_uplift_compare returns the custseg.uplift of two groups: a
 * two-proportion z-test when binary, else Welch's t-test; the statistics
 * that need a missing group (or two rows per group, Welch) are NULL.
 */
typedef struct UpliftMoments
{
	int64		n;
	float8		sum;
	float8		mean;
	float8		m2;
} UpliftMoments;

extern Datum custseg_uplift_compare(FunctionCallInfo fcinfo, const UpliftMoments *treated,
									const UpliftMoments *control, bool binary);

#endif							/* CUSTSEG_H */
