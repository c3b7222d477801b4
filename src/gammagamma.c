/*-------------------------------------------------------------------------
 *
 * gammagamma.c
 *	  The Gamma-Gamma model of the money a customer spends per purchase
 *	  (Fader & Hardie 2013): its fit aggregate and the expected spend.
 *
 * Each purchase of a customer is worth z ~ Gamma(p, nu) (shape p, rate nu),
 * and nu varies across customers as Gamma(q, gamma).  A customer with
 * x >= 1 repeat purchases of mean value zbar contributes
 *
 *	log L = lgamma(p x + q) - lgamma(p x) - lgamma(q) + q log gamma
 *			+ (p x - 1) log zbar + p x log x - (p x + q) log(gamma + x zbar)
 *
 * Customers without repeat purchases carry no information on spend and do
 * not enter the fit (fit_spend_accum skips them).  The fit works in
 * theta = log(p, q, gamma) with fit_minimize.
 *
 * Speed.  zbar is continuous, so cells rarely merge and the likelihood
 * runs over about as many cells as customers.  The cells are sorted by x,
 * so the lgamma and digamma terms, which depend on x and the parameters
 * only, are computed once per distinct x; so is the sum of w log zbar,
 * once per fit.  What is left per cell and evaluation is one log and one
 * division: the sums of w log(gamma + x zbar) and w / (gamma + x zbar).
 *
 *-------------------------------------------------------------------------
 */
#include "fit.h"

#include "miscadmin.h"

#define GAMMAGAMMA_NPARAMS 3
#define GAMMAGAMMA_MAX_ITERATIONS 500


/* The customers who share a number of repeat purchases x. */
typedef struct GammaGammaGroup
{
	double		x;
	double		w;				/* customers */
	double		wlogz;			/* sum of w log zbar */
	int64		first;			/* their cells: first .. end - 1 */
	int64		end;
} GammaGammaGroup;

typedef struct GammaGammaData
{
	const FitCell *cells;
	GammaGammaGroup *groups;
	int64		ngroups;
} GammaGammaData;

/*
 * The negative log-likelihood at theta = log(p, q, gamma) and its gradient
 * with respect to theta.
 */
static double
gammagamma_objective(const double *theta, double *grad, void *arg)
{
	const GammaGammaData *data = (const GammaGammaData *) arg;
	double		p,
				q,
				gamma,
				log_gamma,
				lgamma_q,
				digamma_q;
	double		ll = 0.0,
				dp = 0.0,
				dq = 0.0,
				dgamma = 0.0;
	int64		g;

	p = exp(theta[0]);
	q = exp(theta[1]);
	gamma = exp(theta[2]);
	log_gamma = theta[2];
	lgamma_q = lgamma(q);
	digamma_q = fit_digamma(q);

	for (g = 0; g < data->ngroups; g++)
	{
		const GammaGammaGroup *group = &data->groups[g];
		double		x = group->x;
		double		px = p * x;
		double		digamma_pxq = fit_digamma(px + q);
		double		log_x = log(x);
		double		wlogb = 0.0;	/* sum of w log(gamma + x zbar) */
		double		winvb = 0.0;	/* sum of w / (gamma + x zbar) */
		int64		c;

		for (c = group->first; c < group->end; c++)
		{
			double		b = gamma + x * data->cells[c].k2;
			double		w = data->cells[c].w;

			wlogb += w * log(b);
			winvb += w / b;
		}

		ll += group->w * (lgamma(px + q) - lgamma(px) - lgamma_q
						  + q * log_gamma + px * log_x)
			+ (px - 1.0) * group->wlogz - (px + q) * wlogb;
		dp += x * (group->w * (digamma_pxq - fit_digamma(px) + log_x)
				   + group->wlogz - wlogb);
		dq += group->w * (digamma_pxq - digamma_q + log_gamma) - wlogb;
		dgamma += group->w * q / gamma - (px + q) * winvb;
	}

	/* d/dtheta = parameter * d/dparameter, and we minimize -log L */
	grad[0] = -dp * p;
	grad[1] = -dq * q;
	grad[2] = -dgamma * gamma;
	return -ll;
}

/*
 * custseg.gammagamma_final(fit_state) returns custseg.gammagamma: the
 * maximum likelihood fit, or NULL when no customer has a repeat purchase.
 */
PG_FUNCTION_INFO_V1(gammagamma_final);
Datum
gammagamma_final(PG_FUNCTION_ARGS)
{
	FitCells	cells;
	GammaGammaData data;
	FitResult	result;
	double		theta[GAMMAGAMMA_NPARAMS];
	double		params[GAMMAGAMMA_NPARAMS];
	double		spend = 0.0;
	int64		c;
	int			i;

	fit_state_cells(PG_GETARG_DATUM(0), FIT_KIND_SPEND, &cells);
	if (cells.settings.skipped > 0)
		ereport(NOTICE,
				(errmsg("Gamma-Gamma fit skipped the customers whose repeat spend is not positive: %.0f",
						cells.settings.skipped),
				 errdetail("The model of the spend per purchase needs positive amounts; their repeat purchases were refunded or free."),
				 errhint("Their CLV uses the expected spend of the population, shrunk towards a mean spend of 0.")));
	if (cells.ncells == 0)
		PG_RETURN_NULL();

	/*
	 * Group the cells by x (they are sorted by x): count, then fill.  The
	 * state's input and transition functions keep x >= 1 and a positive
	 * mean spend.
	 */
	data.cells = cells.cells;
	data.ngroups = 0;
	for (c = 0; c < cells.ncells; c++)
		if (c == 0 || cells.cells[c].k1 != cells.cells[c - 1].k1)
			data.ngroups++;
	data.groups = palloc_extended(sizeof(GammaGammaGroup) * data.ngroups,
								  MCXT_ALLOC_HUGE);
	data.ngroups = 0;
	for (c = 0; c < cells.ncells; c++)
	{
		const FitCell *cell = &cells.cells[c];
		GammaGammaGroup *group;

		if (c == 0 || cell->k1 != cells.cells[c - 1].k1)
		{
			group = &data.groups[data.ngroups++];
			group->x = cell->k1;
			group->w = 0.0;
			group->wlogz = 0.0;
			group->first = c;
		}
		group = &data.groups[data.ngroups - 1];
		group->w += cell->w;
		group->wlogz += cell->w * log(cell->k2);
		group->end = c + 1;
		spend += cell->w * cell->k2;
	}

	/*
	 * Start at p = 1, q = 2 and the gamma that gives the model the mean
	 * spend of the data (the mean of z is p gamma / (q - 1)).
	 */
	theta[0] = 0.0;
	theta[1] = log(2.0);
	theta[2] = log(spend / cells.customers);
	fit_estimate(GAMMAGAMMA_NPARAMS, theta, gammagamma_objective, &data,
				 GAMMAGAMMA_MAX_ITERATIONS, &cells.settings, cells.customers,
				 &result);
	/* One (x, zbar) shared by everyone: no spread to fit, no maximum. */
	if (cells.ncells < 2)
		result.converged = false;
	for (i = 0; i < GAMMAGAMMA_NPARAMS; i++)
		params[i] = exp(theta[i]);
	pfree(data.groups);

	PG_RETURN_DATUM(fit_model_datum(fcinfo, "Gamma-Gamma", GAMMAGAMMA_NPARAMS,
									params, -result.value, cells.customers,
									&result, &cells.settings));
}

/* custseg.expected_spend(gammagamma, x, mean_spend): fit_expected_spend. */
PG_FUNCTION_INFO_V1(gammagamma_expected_spend);
Datum
gammagamma_expected_spend(PG_FUNCTION_ARGS)
{
	double		gg[GAMMAGAMMA_NPARAMS];

	fit_model_read(PG_GETARG_DATUM(0), "custseg.gammagamma", GAMMAGAMMA_NPARAMS,
				   fit_gammagamma_param_names, gg);
	PG_RETURN_FLOAT8(fit_expected_spend(gg, PG_GETARG_INT64(1), PG_GETARG_FLOAT8(2)));
}

/* custseg.model_summary(gammagamma) */
PG_FUNCTION_INFO_V1(gammagamma_model_summary);
Datum
gammagamma_model_summary(PG_FUNCTION_ARGS)
{
	fit_model_summary(fcinfo, "custseg.gammagamma", "Gamma-Gamma",
					  GAMMAGAMMA_NPARAMS, fit_gammagamma_param_names, NULL);
	return (Datum) 0;
}

/* custseg.parameter_draws(gammagamma, draws, seed) */
PG_FUNCTION_INFO_V1(gammagamma_parameter_draws);
Datum
gammagamma_parameter_draws(PG_FUNCTION_ARGS)
{
	fit_parameter_draws(fcinfo, "custseg.gammagamma", "Gamma-Gamma", GAMMAGAMMA_NPARAMS, fit_gammagamma_param_names, false);
	return (Datum) 0;
}
