/*-------------------------------------------------------------------------
 *
 * optimize.c
 *	  The optimizer of the CLV fits (see fit.h): BFGS with a line search
 *	  that keeps the strong Wolfe conditions, in log-parameter space.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "fit.h"

/* ----------------------------------------------------------------
 *		The optimizer
 * ----------------------------------------------------------------
 */

/* Wolfe constants, and the limits of one line search. */
#define FIT_C1			1e-4
#define FIT_C2			0.9
#define FIT_LS_STEPS	40
#define FIT_MAX_STEP	5.0		/* largest first step in any coordinate */

/* One evaluated point. */
typedef struct FitPoint
{
	double		theta[FIT_MAX_PARAMS];
	double		grad[FIT_MAX_PARAMS];
	double		f;
	double		dphi;			/* grad . direction */
	bool		ok;				/* f and grad finite, theta inside the box */
} FitPoint;

typedef struct FitProblem
{
	int			n;
	FitObjective f;
	void	   *arg;
} FitProblem;

static double
fit_dot(int n, const double *a, const double *b)
{
	double		s = 0;
	int			i;

	for (i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double
fit_norm_inf(int n, const double *a)
{
	double		m = 0;
	int			i;

	for (i = 0; i < n; i++)
		m = Max(m, fabs(a[i]));
	return m;
}

/* Evaluate at base + step * dir. */
static void
fit_eval(const FitProblem *pb, const double *base, const double *dir,
		 double step, FitPoint *pt)
{
	int			i;

	CHECK_FOR_INTERRUPTS();
	pt->ok = true;
	for (i = 0; i < pb->n; i++)
	{
		pt->theta[i] = base[i] + step * dir[i];
		if (!(fabs(pt->theta[i]) <= FIT_THETA_LIMIT))
			pt->ok = false;
	}
	if (!pt->ok)
		return;
	pt->f = pb->f(pt->theta, pt->grad, pb->arg);
	pt->ok = isfinite(pt->f) && isfinite(fit_norm_inf(pb->n, pt->grad));
	if (pt->ok)
		pt->dphi = fit_dot(pb->n, pt->grad, dir);
}

/*
 * Line search along dir from x0 (N&W, algorithms 3.5 and 3.6): find a step
 * with the strong Wolfe conditions by bracketing and bisection/cubic
 * interpolation.  A point that is not ok (non-finite f, or outside the box)
 * counts as too far.  On success *out holds the new point; returns false
 * when no step decreased f enough.
 */
static bool
fit_line_search(const FitProblem *pb, const FitPoint *x0, const double *dir,
				double step, FitPoint *out)
{
	FitPoint	lo,
				hi,
				cur;
	double		alo = 0,
				ahi,
				a = step;
	bool		have_hi = false;
	int			i;

	lo = *x0;
	for (i = 0; i < FIT_LS_STEPS; i++)
	{
		fit_eval(pb, x0->theta, dir, a, &cur);
		if (!cur.ok || cur.f > x0->f + FIT_C1 * a * x0->dphi ||
			(i > 0 && cur.f >= lo.f))
		{
			ahi = a;
			hi = cur;
			have_hi = true;
			break;
		}
		if (fabs(cur.dphi) <= -FIT_C2 * x0->dphi)
		{
			*out = cur;
			return true;
		}
		if (cur.dphi >= 0)
		{
			/* minimum between 0 and a: zoom with lo = a, hi = old lo */
			ahi = alo;
			hi = lo;
			alo = a;
			lo = cur;
			have_hi = true;
			break;
		}
		alo = a;
		lo = cur;
		a *= 2;					/* still descending: look further */
	}
	if (!have_hi)
	{
		*out = lo;
		return alo > 0;
	}

	/* zoom between alo and ahi */
	for (i = 0; i < FIT_LS_STEPS; i++)
	{
		double		width = ahi - alo;

		/* a cubic step when both ends are usable, else bisection */
		a = alo + 0.5 * width;
		if (hi.ok)
		{
			double		d1 = lo.dphi + hi.dphi - 3 * (lo.f - hi.f) / (alo - ahi);
			double		d2sq = d1 * d1 - lo.dphi * hi.dphi;

			if (d2sq >= 0)
			{
				double		d2 = copysign(sqrt(d2sq), ahi - alo);
				double		ac = ahi - (ahi - alo) *
					(hi.dphi + d2 - d1) / (hi.dphi - lo.dphi + 2 * d2);

				if (isfinite(ac) &&
					fabs(ac - alo) > 0.1 * fabs(width) &&
					fabs(ac - ahi) > 0.1 * fabs(width))
					a = ac;
			}
		}
		fit_eval(pb, x0->theta, dir, a, &cur);
		if (!cur.ok || cur.f > x0->f + FIT_C1 * a * x0->dphi || cur.f >= lo.f)
		{
			ahi = a;
			hi = cur;
		}
		else
		{
			if (fabs(cur.dphi) <= -FIT_C2 * x0->dphi)
			{
				*out = cur;
				return true;
			}
			if (cur.dphi * (ahi - alo) >= 0)
			{
				ahi = alo;
				hi = lo;
			}
			alo = a;
			lo = cur;
		}
		if (fabs(ahi - alo) < 1e-16 * Max(1.0, fabs(alo)))
			break;
	}
	/* no Wolfe point: accept the best decrease found, if any */
	*out = lo;
	return alo > 0;
}

void
fit_minimize(int n, double *theta, FitObjective f, void *arg,
			 int max_iterations, FitResult *result)
{
	FitProblem	pb;
	FitPoint	x,
				next;
	double		H[FIT_MAX_PARAMS][FIT_MAX_PARAMS];
	double		dir[FIT_MAX_PARAMS],
				s[FIT_MAX_PARAMS],
				y[FIT_MAX_PARAMS],
				Hy[FIT_MAX_PARAMS];
	bool		fresh = true;	/* H is the identity */
	int			iter,
				i,
				j;
	double		zero[FIT_MAX_PARAMS] = {0};

	Assert(n >= 1 && n <= FIT_MAX_PARAMS);
	pb.n = n;
	pb.f = f;
	pb.arg = arg;

	fit_eval(&pb, theta, zero, 0, &x);
	if (!x.ok)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the likelihood is not finite at the starting point of the fit"),
				 errhint("Check the input for extreme values.")));

	result->converged = false;
	for (iter = 0; iter < max_iterations; iter++)
	{
		double		gmax = fit_norm_inf(n, x.grad);
		double		dmax,
					step,
					sy;
		double		scale = Max(1.0, fabs(x.f));
		bool		found;

		/* converged: the gradient vanishes, relative to the function */
		if (gmax <= 1e-9 * scale)
		{
			result->converged = true;
			break;
		}

		if (fresh)
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					H[i][j] = (i == j);
		for (i = 0; i < n; i++)
		{
			dir[i] = 0;
			for (j = 0; j < n; j++)
				dir[i] -= H[i][j] * x.grad[j];
		}
		x.dphi = fit_dot(n, x.grad, dir);
		if (!(x.dphi < 0))
		{
			/* not a descent direction: start over from steepest descent */
			for (i = 0; i < n; i++)
				dir[i] = -x.grad[i];
			x.dphi = fit_dot(n, x.grad, dir);
			fresh = true;
		}
		dmax = fit_norm_inf(n, dir);
		step = (fresh && dmax > 0) ? Min(1.0, 1.0 / dmax) : 1.0;
		if (step * dmax > FIT_MAX_STEP)
			step = FIT_MAX_STEP / dmax;

		found = fit_line_search(&pb, &x, dir, step, &next);
		if (!found)
		{
			if (!fresh)
			{
				fresh = true;	/* retry along the gradient */
				continue;
			}
			/* no progress possible: converged if the gradient is tiny */
			result->converged = gmax <= 1e-6 * scale;
			break;
		}

		for (i = 0; i < n; i++)
		{
			s[i] = next.theta[i] - x.theta[i];
			y[i] = next.grad[i] - x.grad[i];
		}
		sy = fit_dot(n, s, y);
		if (sy > 1e-12 * sqrt(fit_dot(n, s, s) * fit_dot(n, y, y)))
		{
			double		rho = 1.0 / sy,
						yHy;

			if (fresh)
			{
				/* scale the identity to the curvature seen (Shanno-Phua) */
				double		gamma = sy / fit_dot(n, y, y);

				for (i = 0; i < n; i++)
					H[i][i] = gamma;
			}
			for (i = 0; i < n; i++)
			{
				Hy[i] = 0;
				for (j = 0; j < n; j++)
					Hy[i] += H[i][j] * y[j];
			}
			yHy = fit_dot(n, y, Hy);
			/* H += (1 + rho yHy) rho s s' - rho (Hy s' + s Hy') */
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					H[i][j] += (1 + rho * yHy) * rho * s[i] * s[j] -
						rho * (Hy[i] * s[j] + s[i] * Hy[j]);
			fresh = false;
		}
		/* else: curvature condition failed; keep H as it is */

		{
			double		decrease = x.f - next.f;

			x = next;
			if (decrease <= 1e-14 * Max(1.0, fabs(x.f)) &&
				fit_norm_inf(n, x.grad) <= 1e-6 * Max(1.0, fabs(x.f)))
			{
				result->converged = true;
				iter++;
				break;
			}
		}
	}

	/* a parameter running off to 0 or infinity is no maximum */
	for (i = 0; i < n; i++)
		if (fabs(x.theta[i]) > FIT_THETA_EDGE)
			result->converged = false;

	memcpy(theta, x.theta, sizeof(double) * n);
	result->value = x.f;
	result->iterations = iter;
}


/* ----------------------------------------------------------------
 *		The fit of a model family: settings, and the information
 * ----------------------------------------------------------------
 */

/* f with the L2 penalty weight * sum theta[i]^2. */
typedef struct FitPenalized
{
	int			n;
	FitObjective f;
	void	   *arg;
	double		weight;
} FitPenalized;

static double
fit_penalized(const double *theta, double *grad, void *arg)
{
	FitPenalized *p = (FitPenalized *) arg;
	double		v = p->f(theta, grad, p->arg);
	int			i;

	for (i = 0; i < p->n; i++)
	{
		v += p->weight * theta[i] * theta[i];
		grad[i] += 2 * p->weight * theta[i];
	}
	return v;
}

/* Step of the central differences of the gradient, in theta. */
#define FIT_HESSIAN_STEP	1e-4

/*
 * The Hessian of f at theta by central differences of its gradient,
 * symmetrized.  False when f or a gradient is not finite at a step.
 */
static bool
fit_information(int n, const double *theta, FitObjective f, void *arg,
				double *H)
{
	double		x[FIT_MAX_PARAMS],
				gp[FIT_MAX_PARAMS],
				gm[FIT_MAX_PARAMS];
	int			i,
				j;

	memcpy(x, theta, sizeof(double) * n);
	for (j = 0; j < n; j++)
	{
		double		h = FIT_HESSIAN_STEP * Max(1.0, fabs(theta[j]));

		CHECK_FOR_INTERRUPTS();
		x[j] = theta[j] + h;
		if (!isfinite(f(x, gp, arg)))
			return false;
		x[j] = theta[j] - h;
		if (!isfinite(f(x, gm, arg)))
			return false;
		x[j] = theta[j];
		/* the step actually taken, as represented */
		h = 0.5 * ((theta[j] + h) - (theta[j] - h));
		for (i = 0; i < n; i++)
		{
			H[i * n + j] = (gp[i] - gm[i]) / (2 * h);
			if (!isfinite(H[i * n + j]))
				return false;
		}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
		{
			double		m = 0.5 * (H[i * n + j] + H[j * n + i]);

			H[i * n + j] = m;
			H[j * n + i] = m;
		}
	return true;
}

void
fit_estimate(int n, double *theta, FitObjective f, void *arg,
			 int max_iterations, const FitSettings *settings,
			 double customers, FitResult *result)
{
	FitPenalized pen;
	FitObjective g = f;
	void	   *garg = arg;
	double		grad[FIT_MAX_PARAMS];
	int			i;

	Assert(n >= 1 && n <= FIT_MAX_PARAMS);
	if (settings->nstart != 0)
	{
		Assert(settings->nstart == n);
		for (i = 0; i < n; i++)
			theta[i] = log(settings->start[i]);
	}
	for (i = 0; i < n; i++)
		result->start[i] = exp(theta[i]);
	result->penalty = settings->penalty;
	if (settings->penalty > 0)
	{
		pen.n = n;
		pen.f = f;
		pen.arg = arg;
		pen.weight = settings->penalty * customers;
		g = fit_penalized;
		garg = &pen;
	}

	fit_minimize(n, theta, g, garg, max_iterations, result);

	/* once, at the end: the information, and f without the penalty */
	result->has_information = fit_information(n, theta, g, garg,
											  result->information);
	if (settings->penalty > 0)
		result->value = f(theta, grad, arg);
}

/*
 * The eigenvalues d and eigenvectors (columns of V) of the symmetric n x n
 * matrix A by cyclic Jacobi rotations; A is destroyed.
 */
static void
fit_jacobi(int n, double *A, double *d, double *V)
{
	int			sweep,
				p,
				q,
				k;

	for (p = 0; p < n; p++)
		for (q = 0; q < n; q++)
			V[p * n + q] = (p == q);
	for (sweep = 0; sweep < 100; sweep++)
	{
		double		off = 0,
					total = 0;

		for (p = 0; p < n; p++)
			for (q = 0; q < n; q++)
			{
				total += A[p * n + q] * A[p * n + q];
				if (p != q)
					off += A[p * n + q] * A[p * n + q];
			}
		if (off <= 1e-30 * total)
			break;
		for (p = 0; p < n - 1; p++)
			for (q = p + 1; q < n; q++)
			{
				double		apq = A[p * n + q],
							theta,
							t,
							c,
							s;

				if (apq == 0)
					continue;
				theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
				t = copysign(1.0, theta) / (fabs(theta) + sqrt(theta * theta + 1));
				c = 1 / sqrt(t * t + 1);
				s = t * c;
				for (k = 0; k < n; k++)
				{
					double		akp = A[k * n + p],
								akq = A[k * n + q];

					A[k * n + p] = c * akp - s * akq;
					A[k * n + q] = s * akp + c * akq;
				}
				for (k = 0; k < n; k++)
				{
					double		apk = A[p * n + k],
								aqk = A[q * n + k];

					A[p * n + k] = c * apk - s * aqk;
					A[q * n + k] = s * apk + c * aqk;
				}
				for (k = 0; k < n; k++)
				{
					double		vkp = V[k * n + p],
								vkq = V[k * n + q];

					V[k * n + p] = c * vkp - s * vkq;
					V[k * n + q] = s * vkp + c * vkq;
				}
			}
	}
	for (p = 0; p < n; p++)
		d[p] = A[p * n + p];
}

/* The smallest eigenvalue of a determined model, relative to the largest. */
#define FIT_MIN_EIGEN_RATIO	1e-10

bool
fit_covariance(int n, const double *H, double *cov, bool *unidentified)
{
	double		A[FIT_MAX_PARAMS * FIT_MAX_PARAMS],
				V[FIT_MAX_PARAMS * FIT_MAX_PARAMS],
				d[FIT_MAX_PARAMS],
				scale[FIT_MAX_PARAMS],
				dmax = 0;
	bool		ok = true;
	int			i,
				j,
				k;

	Assert(n >= 1 && n <= FIT_MAX_PARAMS);
	for (i = 0; i < n; i++)
	{
		unidentified[i] = false;
		if (!(H[i * n + i] > 0) || !isfinite(H[i * n + i]))
		{
			unidentified[i] = true;
			ok = false;
		}
	}
	if (!ok)
		return false;
	for (i = 0; i < n; i++)
		scale[i] = 1 / sqrt(H[i * n + i]);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			A[i * n + j] = H[i * n + j] * scale[i] * scale[j];
	fit_jacobi(n, A, d, V);
	for (k = 0; k < n; k++)
		dmax = Max(dmax, fabs(d[k]));
	for (k = 0; k < n; k++)
		if (!(d[k] > FIT_MIN_EIGEN_RATIO * dmax))
		{
			ok = false;
			for (i = 0; i < n; i++)
				if (fabs(V[i * n + k]) >= 0.3)
					unidentified[i] = true;
		}
	if (!ok)
		return false;
	/* cov = S V diag(1 / d) V' S */
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
		{
			double		sum = 0;

			for (k = 0; k < n; k++)
				sum += V[i * n + k] * V[j * n + k] / d[k];
			cov[i * n + j] = scale[i] * scale[j] * sum;
		}
	return true;
}
