/*-------------------------------------------------------------------------
 *
 * holdout.c
 *	  Holdout groups and the uplift measured against them.
 *
 * custseg.in_holdout(key, experiment, fraction) puts a customer in the
 * holdout group of an experiment by a hash of the experiment name and the
 * customer key.  The hash is fully specified here and in docs/holdout.md,
 * so that an assignment never changes: not between sessions, machines,
 * CPU byte orders or PostgreSQL versions (PostgreSQL's own hash functions
 * make no such promise).  It is SipHash-2-4 (Aumasson and Bernstein, 2012)
 * under a fixed public key, over this message:
 *
 *	uint32 little-endian	number of bytes of the experiment name
 *	bytes					the experiment name in UTF-8
 *	uint8					key type: 1 bigint, 2 text, 3 uuid
 *	bytes					the key: a bigint as 8 bytes little-endian two's
 *							complement, a text as its UTF-8 bytes, a uuid as
 *							its 16 bytes in the order of its text form
 *
 * A key is in the holdout when (hash >> 11) * 2^-53 < fraction: the top 53
 * bits of the hash as a number in [0, 1).
 *
 * The uplift aggregates are in uplift.c.  Here remains the state of
 * 0.1.0's custseg.uplift(treated, outcome), custseg.uplift_state, so that
 * states stored by 0.1.0 stay readable and give their result through
 * custseg.uplift_final: per group the number of rows, the sum of the
 * outcomes and the sum of squared deviations from the mean (Youngs and
 * Cramer), and whether every outcome was 0 or 1.  Its transition and
 * combine functions are kept for the 0.1.0 install script.
 *
 * Student's t distribution, for the Welch test and for the SQL functions
 * custseg.student_t_cdf and custseg.student_t_quantile, comes from the
 * regularized incomplete beta function, evaluated by its continued
 * fraction (DLMF 8.17.22).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/uuid.h"

#include "custseg.h"


/* ----------------------------------------------------------------
 *		SipHash-2-4
 * ----------------------------------------------------------------
 */

/* The fixed key: the 16 ASCII bytes "custseg:holdout:" as two LE words. */
#define HOLDOUT_K0	UINT64CONST(0x3a67657374737563)	/* "custseg:" */
#define HOLDOUT_K1	UINT64CONST(0x3a74756f646c6f68)	/* "holdout:" */

/* Key types, the byte after the experiment name. */
#define HOLDOUT_KEY_BIGINT	1
#define HOLDOUT_KEY_TEXT	2
#define HOLDOUT_KEY_UUID	3

/* A SipHash-2-4 computation fed a message in pieces. */
typedef struct SipHash
{
	uint64		v0,
				v1,
				v2,
				v3;
	uint64		tail;			/* bytes not yet in a whole word, LE */
	int			ntail;			/* 0 .. 7 */
	uint64		length;			/* bytes fed so far */
} SipHash;

#define SIP_ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

static inline void
sip_round(SipHash *h)
{
	h->v0 += h->v1;
	h->v1 = SIP_ROTL(h->v1, 13);
	h->v1 ^= h->v0;
	h->v0 = SIP_ROTL(h->v0, 32);
	h->v2 += h->v3;
	h->v3 = SIP_ROTL(h->v3, 16);
	h->v3 ^= h->v2;
	h->v0 += h->v3;
	h->v3 = SIP_ROTL(h->v3, 21);
	h->v3 ^= h->v0;
	h->v2 += h->v1;
	h->v1 = SIP_ROTL(h->v1, 17);
	h->v1 ^= h->v2;
	h->v2 = SIP_ROTL(h->v2, 32);
}

static void
sip_init(SipHash *h, uint64 k0, uint64 k1)
{
	h->v0 = k0 ^ UINT64CONST(0x736f6d6570736575);
	h->v1 = k1 ^ UINT64CONST(0x646f72616e646f6d);
	h->v2 = k0 ^ UINT64CONST(0x6c7967656e657261);
	h->v3 = k1 ^ UINT64CONST(0x7465646279746573);
	h->tail = 0;
	h->ntail = 0;
	h->length = 0;
}

/* Two compression rounds for one message word. */
static inline void
sip_compress(SipHash *h, uint64 m)
{
	h->v3 ^= m;
	sip_round(h);
	sip_round(h);
	h->v0 ^= m;
}

/* Feed bytes; words are read little-endian whatever the CPU. */
static void
sip_update(SipHash *h, const unsigned char *p, size_t len)
{
	h->length += len;
	while (len > 0)
	{
		h->tail |= (uint64) *p++ << (8 * h->ntail);
		len--;
		if (++h->ntail == 8)
		{
			sip_compress(h, h->tail);
			h->tail = 0;
			h->ntail = 0;
		}
	}
}

/* The last word carries the length mod 256 in its top byte. */
static uint64
sip_final(SipHash *h)
{
	int			i;

	sip_compress(h, h->tail | (h->length << 56));
	h->v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(h);
	return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}


/* ----------------------------------------------------------------
 *		Holdout assignment
 * ----------------------------------------------------------------
 */

/*
 * Text in UTF-8, converted from the database encoding when it differs.  A
 * SQL_ASCII database holds bytes in no particular encoding: they are
 * hashed as they are, and must be UTF-8.  "what" names the argument.
 */
static const char *
holdout_utf8(text *t, int *len, const char *what)
{
	const char *s = VARDATA_ANY(t);
	int			n = VARSIZE_ANY_EXHDR(t);
	const char *u;

	if (GetDatabaseEncoding() == PG_SQL_ASCII && !pg_verify_mbstr(PG_UTF8, s, n, true))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("%s is not valid UTF-8", what),
				 errhint("In a SQL_ASCII database the bytes of a text are hashed as UTF-8; store keys and experiment names in UTF-8.")));
	u = pg_server_to_any(s, n, PG_UTF8);

	*len = (u == s) ? n : (int) strlen(u);
	return u;
}

/*
 * The hash of a call of in_holdout or holdout_hash: arguments key and
 * experiment, checked, with the key of the given type.
 */
static uint64
holdout_hash_args(FunctionCallInfo fcinfo, int keytype)
{
	SipHash		h;
	const char *name;
	int			namelen;
	unsigned char word[8];
	unsigned char tag = (unsigned char) keytype;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customer key must not be NULL"),
				 errhint("Holdouts are assigned by key: leave out the rows without a key, or give them one.")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("experiment must not be NULL"),
				 errhint("Name the experiment; the name makes each experiment's holdout independent of the others.")));
	name = holdout_utf8(PG_GETARG_TEXT_PP(1), &namelen, "experiment name");
	if (namelen == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("experiment name must not be empty"),
				 errhint("Name the experiment, for example 'winback-2026-05'; the name makes each experiment's holdout independent of the others.")));

	sip_init(&h, HOLDOUT_K0, HOLDOUT_K1);
	for (i = 0; i < 4; i++)
		word[i] = (unsigned char) ((uint32) namelen >> (8 * i));
	sip_update(&h, word, 4);
	sip_update(&h, (const unsigned char *) name, namelen);
	sip_update(&h, &tag, 1);

	switch (keytype)
	{
		case HOLDOUT_KEY_BIGINT:
			{
				uint64		key = (uint64) PG_GETARG_INT64(0);

				for (i = 0; i < 8; i++)
					word[i] = (unsigned char) (key >> (8 * i));
				sip_update(&h, word, 8);
				break;
			}
		case HOLDOUT_KEY_TEXT:
			{
				int			len;
				const char *key = holdout_utf8(PG_GETARG_TEXT_PP(0), &len, "customer key");

				sip_update(&h, (const unsigned char *) key, len);
				break;
			}
		case HOLDOUT_KEY_UUID:
			sip_update(&h, PG_GETARG_UUID_P(0)->data, UUID_LEN);
			break;
	}
	return sip_final(&h);
}

/* The fraction argument of in_holdout, checked. */
static float8
holdout_fraction_arg(FunctionCallInfo fcinfo)
{
	float8		fraction;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("fraction must not be NULL"),
				 errhint("The fraction is the share of customers held out, for example 0.1 for 10%%.")));
	fraction = PG_GETARG_FLOAT8(2);
	if (isnan(fraction) || fraction < 0.0 || fraction > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fraction must be between 0 and 1, not %s",
						float8out_internal(fraction)),
				 errhint("The fraction is the share of customers held out, for example 0.1 for 10%%.")));
	return fraction;
}

/* The top 53 bits of a hash as a number in [0, 1), exactly. */
static inline float8
holdout_position(uint64 hash)
{
	return (float8) (hash >> 11) * (1.0 / 9007199254740992.0);
}

static Datum
in_holdout_common(FunctionCallInfo fcinfo, int keytype)
{
	uint64		hash = holdout_hash_args(fcinfo, keytype);
	float8		fraction = holdout_fraction_arg(fcinfo);

	PG_RETURN_BOOL(holdout_position(hash) < fraction);
}

/*
 * custseg.in_holdout(key bigint | text | uuid, experiment text,
 *					  fraction float8) -> boolean
 */
PG_FUNCTION_INFO_V1(in_holdout_bigint);
Datum
in_holdout_bigint(PG_FUNCTION_ARGS)
{
	return in_holdout_common(fcinfo, HOLDOUT_KEY_BIGINT);
}

PG_FUNCTION_INFO_V1(in_holdout_text);
Datum
in_holdout_text(PG_FUNCTION_ARGS)
{
	return in_holdout_common(fcinfo, HOLDOUT_KEY_TEXT);
}

PG_FUNCTION_INFO_V1(in_holdout_uuid);
Datum
in_holdout_uuid(PG_FUNCTION_ARGS)
{
	return in_holdout_common(fcinfo, HOLDOUT_KEY_UUID);
}

/*
 * custseg.holdout_hash(key bigint | text | uuid, experiment text) -> bigint:
 * the 64 bits of the hash, as a two's complement bigint.
 */
PG_FUNCTION_INFO_V1(holdout_hash_bigint);
Datum
holdout_hash_bigint(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) holdout_hash_args(fcinfo, HOLDOUT_KEY_BIGINT));
}

PG_FUNCTION_INFO_V1(holdout_hash_text);
Datum
holdout_hash_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) holdout_hash_args(fcinfo, HOLDOUT_KEY_TEXT));
}

PG_FUNCTION_INFO_V1(holdout_hash_uuid);
Datum
holdout_hash_uuid(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) holdout_hash_args(fcinfo, HOLDOUT_KEY_UUID));
}


/* ----------------------------------------------------------------
 *		Student's t distribution
 * ----------------------------------------------------------------
 */

/* Most terms of the continued fraction before giving up. */

/*
 * log(Gamma(a + 1/2) / Gamma(a)).  For large a the difference of two
 * lgamma values would lose the digits of the answer, so there the
 * asymptotic series 1/2 log a - 1/(8a) + 1/(192 a^3) - 1/(640 a^5) is used
 * (its next term, about 0.0012 / a^7, is below 2e-17 for a >= 100).
 */
static float8
log_gamma_half_ratio(float8 a)
{
	if (a >= 100.0)
	{
		float8		r = 1.0 / a;
		float8		r2 = r * r;

		return 0.5 * log(a) - r / 8.0 + r * r2 / 192.0 - r * r2 * r2 / 640.0;
	}
	return lgamma(a + 0.5) - lgamma(a);
}


/* custseg_beta_cf, which must converge for Student's t. */
static float8
student_t_beta_cf(float8 a, float8 b, float8 x)
{
	float8		k = custseg_beta_cf(a, b, x);

	if (isnan(k))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the incomplete beta function did not converge for a = %g, b = %g, x = %g",
						a, b, x),
				 errhint("This should not happen; please report the inputs.")));
	return k;
}

/*
 * P(T > t) for t >= 0 and T Student-t with df degrees of freedom:
 * I_x(df/2, 1/2) / 2 with x = df / (df + t^2).  x and 1 - x are computed
 * from r = t^2 / df without cancellation or overflow.
 *
 * With many degrees of freedom and a moderate t the continued fraction
 * loses digits (its terms 1 + d_j cancel to about t^2 / df), so there the
 * expansion in 1/df of Fisher (1925) is used instead:
 *	P(T > t) = Q(t) + phi(t) (g1(t) / df + g2(t) / df^2) + O(df^-3),
 *	g1 = (t^3 + t) / 4,  g2 = (3t^7 - 7t^5 - 5t^3 - 3t) / 96,
 * with Q and phi the normal tail and density.  Its error, about
 * 0.0025 t^12 / df^3 relative, is below 2e-14 where it is used
 * (df >= 10^4 and t^4 <= 2e-4 df).
 */
float8
student_t_upper(float8 t, float8 df)
{
	float8		a = 0.5 * df,
				b = 0.5,
				r,
				s,
				x,
				y,
				log_x,
				front;

	Assert(t >= 0.0 && df > 0.0);
	if (t == 0.0)
		return 0.5;
	if (df >= 1e4 && t * t * t * t <= 2e-4 * df)
	{
		float8		t2 = t * t,
					g1 = (t2 + 1.0) * t / 4.0,
					g2 = (((3.0 * t2 - 7.0) * t2 - 5.0) * t2 - 3.0) * t / 96.0;

		return 0.5 * erfc(t * M_SQRT1_2) +
			exp(-0.5 * t2) / sqrt(2.0 * M_PI) * (g1 / df + g2 / (df * df));
	}
	r = (t / df) * t;			/* t^2 / df, may be Infinity */
	s = (df / t) / t;			/* df / t^2, may be 0 */
	x = 1.0 / (1.0 + r);		/* may be 0 */
	y = 1.0 / (1.0 + s);
	log_x = isinf(r) ? -(2.0 * log(t) - log(df) + log1p(s)) : -log1p(r);
	/* x^a y^b / B(a, b), log B(a, 1/2) = log Gamma(1/2) - log_gamma_half_ratio(a) */
	front = exp(a * log_x - b * log1p(s) -
				(0.57236494292470008707 - log_gamma_half_ratio(a)));

	/*
	 * The fraction in x converges for x < (a + 1) / (a + b + 2), that is for
	 * r > (b + 1) / (a + 1): decided on r, because with many degrees of
	 * freedom x and that bound both round to 1.  Where x^a underflows the
	 * tail is 0, and the fraction (whose terms overflow for a above 1e154)
	 * is not needed.
	 */
	if (r * (a + 1.0) > b + 1.0)
		return front == 0.0 ? 0.0 : 0.5 * front * student_t_beta_cf(a, b, x) / a;
	return 0.5 * (1.0 - front * student_t_beta_cf(b, a, y) / b);
}

/* The density of Student's t at t. */
static float8
student_t_density(float8 t, float8 df)
{
	return exp(log_gamma_half_ratio(0.5 * df) - 0.5 * log(df * M_PI) -
			   0.5 * (df + 1.0) * log1p((t / df) * t));
}

/*
 * The t > 0 with P(T > t) = q, for 0 < q < 1/2: Newton's method on
 * P(T > t) - q inside a bracket that every step narrows, with a bisection
 * step whenever Newton's would leave the bracket.
 */
float8
student_t_upper_inverse(float8 q, float8 df)
{
	float8		lo = 0.0,
				hi = 1.0,
				t;
	int			i;

	while (student_t_upper(hi, df) > q)
	{
		lo = hi;
		hi *= 2.0;
		if (hi > 1e300)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the t quantile is too large to represent"),
					 errhint("Ask for a probability farther from 0 and 1, or for more degrees of freedom.")));
	}
	t = 0.5 * (lo + hi);
	for (i = 0; i < 200; i++)
	{
		float8		f = student_t_upper(t, df) - q;
		float8		next;

		if (f == 0.0)
			return t;
		if (f > 0.0)
			lo = t;
		else
			hi = t;
		next = t + f / student_t_density(t, df);
		if (!(next > lo && next < hi))
			next = 0.5 * (lo + hi);
		if (fabs(next - t) <= 4.0 * DBL_EPSILON * t)
			return next;
		t = next;
	}
	return t;
}

/* Check the df argument of the t functions. */
static void
student_t_check_df(float8 df)
{
	custseg_check_finite(df, "degrees of freedom");
	if (df <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("degrees of freedom must be positive, not %s",
						float8out_internal(df)),
				 errhint("Welch's t-test has at least one degree of freedom.")));
}

/*
 * custseg.student_t_cdf(t float8, df float8) -> float8: P(T <= t).
 */
PG_FUNCTION_INFO_V1(student_t_cdf);
Datum
student_t_cdf(PG_FUNCTION_ARGS)
{
	float8		t = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	custseg_check_finite(t, "t");
	student_t_check_df(df);
	if (t >= 0.0)
		PG_RETURN_FLOAT8(1.0 - student_t_upper(t, df));
	PG_RETURN_FLOAT8(student_t_upper(-t, df));
}

/*
 * custseg.student_t_quantile(p float8, df float8) -> float8: the t with
 * P(T <= t) = p.
 */
PG_FUNCTION_INFO_V1(student_t_quantile);
Datum
student_t_quantile(PG_FUNCTION_ARGS)
{
	float8		p = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	if (isnan(p) || p <= 0.0 || p >= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probability must be between 0 and 1 (exclusive), not %s",
						float8out_internal(p)),
				 errhint("For a two-sided 95%% interval ask for the quantile at 0.975.")));
	student_t_check_df(df);
	if (p == 0.5)
		PG_RETURN_FLOAT8(0.0);
	if (p > 0.5)
		PG_RETURN_FLOAT8(student_t_upper_inverse(1.0 - p, df));
	PG_RETURN_FLOAT8(-student_t_upper_inverse(p, df));
}


/* ----------------------------------------------------------------
 *		Uplift
 * ----------------------------------------------------------------
 */

/* Most rows one group of a state may count, so that counts stay exact. */
#define UPLIFT_MAX_ROWS	(INT64CONST(1) << 53)

/* One group: rows, sum of the outcomes, sum of squared deviations. */
typedef struct UpliftGroup
{
	int64		n;
	float8		sum;
	float8		m2;
} UpliftGroup;

/* custseg.uplift_state: a fixed-size type (INTERNALLENGTH 56). */
typedef struct UpliftState
{
	UpliftGroup treated;
	UpliftGroup control;
	int32		binary;			/* 1 while every outcome is 0 or 1 */
	int32		unused;			/* zero */
} UpliftState;

StaticAssertDecl(sizeof(UpliftState) == 56, "custseg.uplift_state must be 56 bytes");

static void
uplift_check_sums(const UpliftGroup *g)
{
	if (!isfinite(g->sum) || !isfinite(g->m2))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("outcomes are too large to aggregate"),
				 errhint("Express the outcome in a larger unit, for example thousands.")));
}

/* Add one outcome to a group (Youngs and Cramer). */
static void
uplift_group_add(UpliftGroup *g, float8 x)
{
	float8		n = (float8) g->n;

	g->sum += x;
	if (g->n > 0)
	{
		float8		tmp = x * (n + 1.0) - g->sum;

		g->m2 += tmp * tmp / (n * (n + 1.0));
	}
	g->n++;
	uplift_check_sums(g);
}

/* Merge group b into group a (Chan, Golub and LeVeque). */
static void
uplift_group_merge(UpliftGroup *a, const UpliftGroup *b)
{
	float8		na = (float8) a->n,
				nb = (float8) b->n,
				tmp;

	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		*a = *b;
		return;
	}
	if (a->n > UPLIFT_MAX_ROWS - b->n)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("uplift counts at most 2^53 rows per group")));
	tmp = a->sum / na - b->sum / nb;
	a->m2 += b->m2 + na * nb / (na + nb) * tmp * tmp;
	a->sum += b->sum;
	a->n += b->n;
	uplift_check_sums(a);
}

/* The state argument, writable in place only in an aggregate. */
static UpliftState *
uplift_state_arg(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname)));
	if (PG_ARGISNULL(0))
	{
		/* not reached through custseg.uplift, whose INITCOND is never NULL */
		UpliftState *s = MemoryContextAllocZero(aggcxt, sizeof(UpliftState));

		s->binary = 1;
		return s;
	}
	return (UpliftState *) PG_GETARG_POINTER(0);
}

/*
 * custseg.uplift_accum(state, treated boolean, outcome float8)
 */
PG_FUNCTION_INFO_V1(uplift_accum);
Datum
uplift_accum(PG_FUNCTION_ARGS)
{
	UpliftState *s = uplift_state_arg(fcinfo, "uplift_accum");
	float8		x;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("treated must not be NULL"),
				 errhint("Every row must say whether the customer was treated (true) or held out (false).")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("outcome must not be NULL"),
				 errhint("Use coalesce(outcome, 0) when a customer without an outcome had none (for example no purchase), or leave such rows out with WHERE.")));
	x = PG_GETARG_FLOAT8(2);
	custseg_check_finite(x, "outcome");
	if (x != 0.0 && x != 1.0)
		s->binary = 0;
	uplift_group_add(PG_GETARG_BOOL(1) ? &s->treated : &s->control, x + 0.0);
	PG_RETURN_POINTER(s);
}

/*
 * custseg.uplift_combine(state, state)
 */
PG_FUNCTION_INFO_V1(uplift_combine);
Datum
uplift_combine(PG_FUNCTION_ARGS)
{
	UpliftState *s = uplift_state_arg(fcinfo, "uplift_combine");
	const UpliftState *other = (const UpliftState *) PG_GETARG_POINTER(1);

	uplift_group_merge(&s->treated, &other->treated);
	uplift_group_merge(&s->control, &other->control);
	s->binary = s->binary && other->binary;
	PG_RETURN_POINTER(s);
}

/*
 * custseg.uplift_final(state) -> custseg.uplift: the result of a state of
 * 0.1.0's aggregate, computed as custseg.uplift computes it (uplift.c).
 */
PG_FUNCTION_INFO_V1(uplift_final);
Datum
uplift_final(PG_FUNCTION_ARGS)
{
	const UpliftState *s = (const UpliftState *) PG_GETARG_POINTER(0);
	const UpliftGroup *g[2] = {&s->treated, &s->control};
	UpliftMoments m[2];
	int			i;

	for (i = 0; i < 2; i++)
	{
		m[i].n = g[i]->n;
		m[i].sum = g[i]->sum;
		m[i].mean = g[i]->n > 0 ? g[i]->sum / (float8) g[i]->n : 0.0;
		m[i].m2 = g[i]->m2;
	}
	return custseg_uplift_compare(fcinfo, &m[0], &m[1], s->binary);
}


/* ----------------------------------------------------------------
 *		custseg.uplift_state text form
 * ----------------------------------------------------------------
 *
 * {"binary": true, "treated": [n, sum, m2], "control": [n, sum, m2]}, keys
 * in this order; numbers printed shortest-exact and read back bit for bit.
 */

typedef struct UpliftParser
{
	const char *input;
	const char *p;
} UpliftParser;

custseg_noreturn static void
uplift_parse_fail(UpliftParser *ps, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type custseg.uplift_state: \"%s\"", ps->input),
			 errdetail("%s", detail),
			 errhint("Use the text form that custseg.uplift_state prints, e.g. {\"binary\": true, \"treated\": [2, 1, 0.5], \"control\": [0, 0, 0]}.")));
}

/* Skip white space, then expect the literal lit. */
static void
uplift_expect(UpliftParser *ps, const char *lit)
{
	size_t		len = strlen(lit);

	while (isspace((unsigned char) *ps->p))
		ps->p++;
	if (strncmp(ps->p, lit, len) != 0)
	{
		char		detail[64];

		snprintf(detail, sizeof(detail), "Expected %s at character %d.", lit,
				 (int) (ps->p - ps->input) + 1);
		uplift_parse_fail(ps, detail);
	}
	ps->p += len;
}

static float8
uplift_parse_number(UpliftParser *ps)
{
	const char *s;
	char	   *end;
	float8		v;

	while (isspace((unsigned char) *ps->p))
		ps->p++;
	s = ps->p;
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char) *s))
		uplift_parse_fail(ps, "Expected a number.");
	while (isdigit((unsigned char) *s) || *s == '.' || *s == 'e' || *s == 'E' ||
		   ((*s == '+' || *s == '-') && (s[-1] == 'e' || s[-1] == 'E')))
		s++;
	errno = 0;
	v = strtod(ps->p, &end);
	if (end != s || !isfinite(v))
		uplift_parse_fail(ps, "Malformed or out-of-range number.");
	ps->p = s;
	return v;
}

static void
uplift_parse_group(UpliftParser *ps, const char *name, UpliftGroup *g)
{
	float8		n;

	uplift_expect(ps, ",");
	uplift_expect(ps, name);
	uplift_expect(ps, ":");
	uplift_expect(ps, "[");
	n = uplift_parse_number(ps);
	uplift_expect(ps, ",");
	g->sum = uplift_parse_number(ps) + 0.0;
	uplift_expect(ps, ",");
	g->m2 = uplift_parse_number(ps) + 0.0;
	uplift_expect(ps, "]");
	if (n != floor(n) || n < 0.0 || n > (float8) UPLIFT_MAX_ROWS)
		uplift_parse_fail(ps, "A group size must be a whole number between 0 and 2^53.");
	g->n = (int64) n;
	if (g->m2 < 0.0)
		uplift_parse_fail(ps, "A sum of squared deviations must not be negative.");
	if (g->n == 0 && (g->sum != 0.0 || g->m2 != 0.0))
		uplift_parse_fail(ps, "An empty group must have sum and m2 0.");
	if (g->n == 1 && g->m2 != 0.0)
		uplift_parse_fail(ps, "A group of one row must have m2 0.");
}

PG_FUNCTION_INFO_V1(uplift_state_in);
Datum
uplift_state_in(PG_FUNCTION_ARGS)
{
	UpliftParser ps;
	UpliftState *s = palloc0(sizeof(UpliftState));

	ps.input = PG_GETARG_CSTRING(0);
	ps.p = ps.input;
	uplift_expect(&ps, "{");
	uplift_expect(&ps, "\"binary\"");
	uplift_expect(&ps, ":");
	while (isspace((unsigned char) *ps.p))
		ps.p++;
	if (strncmp(ps.p, "true", 4) == 0)
		s->binary = 1;
	else if (strncmp(ps.p, "false", 5) != 0)
		uplift_parse_fail(&ps, "Expected true or false for \"binary\".");
	ps.p += s->binary ? 4 : 5;
	uplift_parse_group(&ps, "\"treated\"", &s->treated);
	uplift_parse_group(&ps, "\"control\"", &s->control);
	uplift_expect(&ps, "}");
	while (isspace((unsigned char) *ps.p))
		ps.p++;
	if (*ps.p != '\0')
		uplift_parse_fail(&ps, "Unexpected text after the object.");
	if (s->binary)
	{
		const UpliftGroup *g[2] = {&s->treated, &s->control};
		int			i;

		for (i = 0; i < 2; i++)
			if (g[i]->sum != floor(g[i]->sum) || g[i]->sum < 0.0 || g[i]->sum > (float8) g[i]->n)
				uplift_parse_fail(&ps, "With binary outcomes a sum must be a whole number between 0 and the group size.");
	}
	PG_RETURN_POINTER(s);
}

static void
uplift_append_group(StringInfo buf, const char *name, const UpliftGroup *g)
{
	appendStringInfo(buf, ", \"%s\": [" INT64_FORMAT ", ", name, g->n);
	custseg_append_float8(buf, g->sum);
	appendStringInfoString(buf, ", ");
	custseg_append_float8(buf, g->m2);
	appendStringInfoChar(buf, ']');
}

PG_FUNCTION_INFO_V1(uplift_state_out);
Datum
uplift_state_out(PG_FUNCTION_ARGS)
{
	const UpliftState *s = (const UpliftState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"binary\": %s", s->binary ? "true" : "false");
	uplift_append_group(&buf, "treated", &s->treated);
	uplift_append_group(&buf, "control", &s->control);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}
