/*-------------------------------------------------------------------------
 *
 * clv.c
 *	  Simple customer lifetime value formulas, for teams without the
 *	  history the probabilistic models need (docs/clv.md says when to use
 *	  which).
 *
 *	- historical value: the margin a customer has produced so far,
 *	  margin * revenue;
 *	- retention formula: the discounted margin of the periods to come of a
 *	  customer who stays from one period to the next with probability r,
 *	  sum_{t>=1} m r^t / (1 + d)^t = m r / (1 + d - r).
 *
 *-------------------------------------------------------------------------
 */
#include "fit.h"


/* Field of custseg.customer_summary that clv_historical reads. */
#define SUMMARY_ATT_REVENUE 5

/*
 * custseg.clv_historical(revenue [, margin]): margin * revenue.  Revenue
 * may be negative (net of refunds).
 */
PG_FUNCTION_INFO_V1(clv_historical);
Datum
clv_historical(PG_FUNCTION_ARGS)
{
	double		revenue = PG_GETARG_FLOAT8(0);
	double		margin = PG_GETARG_FLOAT8(1);

	custseg_check_finite(revenue, "revenue");
	fit_check_margin(margin);
	PG_RETURN_FLOAT8(fit_check_result(margin * revenue, "the CLV"));
}

/*
 * custseg.clv_historical(summary [, margin]): the same from a summary's
 * revenue; NULL when the summary has no revenue.
 */
PG_FUNCTION_INFO_V1(clv_historical_summary);
Datum
clv_historical_summary(PG_FUNCTION_ARGS)
{
	static const int attnums[1] = {SUMMARY_ATT_REVENUE};
	double		margin = PG_GETARG_FLOAT8(1);
	Datum		revenue;
	bool		isnull;

	custseg_row_fields(PG_GETARG_HEAPTUPLEHEADER(0), 1, attnums, &revenue, &isnull);
	fit_check_margin(margin);
	if (isnull)
		PG_RETURN_NULL();
	custseg_check_finite(DatumGetFloat8(revenue), "revenue");
	PG_RETURN_FLOAT8(fit_check_result(margin * DatumGetFloat8(revenue), "the CLV"));
}

/*
 * custseg.clv_retention(margin, retention_rate, discount_rate):
 * m r / (1 + d - r), the present value of the margins of the periods after
 * the current one.  margin is money per customer and period; r and d are
 * per period.
 */
PG_FUNCTION_INFO_V1(clv_retention);
Datum
clv_retention(PG_FUNCTION_ARGS)
{
	double		margin = PG_GETARG_FLOAT8(0);
	double		r = PG_GETARG_FLOAT8(1);
	double		d = PG_GETARG_FLOAT8(2);

	custseg_check_finite(margin, "margin");
	custseg_check_finite(r, "retention_rate");
	custseg_check_finite(d, "discount_rate");
	if (r < 0.0 || r >= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_rate must be at least 0 and below 1, not %g", r),
				 errhint("retention_rate is the share of customers who stay from one period to the next, e.g. 0.8; at 1 nobody ever leaves and the value is infinite.")));
	if (d < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must not be negative, not %g", d),
				 errhint("discount_rate is the rate per period at which future money loses value, e.g. 0.1 for 10 %% a year.")));
	PG_RETURN_FLOAT8(fit_check_result(margin * r / (1.0 + d - r), "the CLV"));
}
