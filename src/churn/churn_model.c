/*-------------------------------------------------------------------------
 *
 * churn_model.c
 *	  The churn probability model: a party's series features as of a week
 *	  (point in time), the churn_logreg aggregate that fits an
 *	  L2-regularised logistic regression in the database, and the
 *	  prediction.
 *
 * The fit itself is plain C in churn_logreg.c; this file is the glue: the
 * features come from the detector of churn.c (its figures as of the week)
 * and from the series' own recent shape, and the aggregate gathers the
 * rows (with combine, serial and deserial functions, so that it runs under
 * parallel query and on Citus) and fits in its final function.
 *
 * Layer: SQL entry point over the computation (no SPI, no worker).  Calls
 * the evaluation (churn.c), the series format, the calendar and the fit
 * (churn_logreg.c); nothing calls it but SQL.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"

#include "churn.h"
#include "churn_logreg.h"

/* the series features, in the order of churn_feature_names() */
#define CHURN_SERIES_FEATURES 14

/* -----------------------------------------------------------------------
 * features
 * -----------------------------------------------------------------------
 */

static double
finite_or(double x, double dflt)
{
	return isfinite(x) ? x : dflt;
}

static double
clamp(double x, double lo, double hi)
{
	return x < lo ? lo : (x > hi ? hi : x);
}

/*
 * recent_vs_half_year
 *		log of the mean of weeks T-3..T against the mean of the 26 weeks
 *		before them (+1 each, a week without a row counting as 0), within
 *		[-5, 5]; 0 without the half year.
 */
static double
recent_vs_half_year(const float4 *v, int n, int T)
{
	double		rs = 0,
				ps = 0;
	int			rn = 0,
				pn = 0;
	int			i;

	for (i = 0; i <= T && i < 30; i++)
	{
		int			t = T - i;
		double		x = (t < n && !isnan(v[t])) ? v[t] : 0;

		if (i < 4)
		{
			rs += x;
			rn++;
		}
		else
		{
			ps += x;
			pn++;
		}
	}
	return pn > 0 ? clamp(log((rs / rn + 1) / (ps / pn + 1)), -5, 5) : 0;
}

/*
 * churn_features(series, as_of, policy, holidays, holidays_prev)
 *		A party's series features as of a week, from the weeks up to it
 *		alone: per metric the detector's level drop and CUSUM, then for
 *		the transaction volume the last four weeks against the half-year
 *		before, the quarter's slope, the weeks of silence, the highest
 *		severity, the years of history and the quarter against the one
 *		before; then the count's and the loans' last four weeks against
 *		their half-year.  NULL for a NULL series or a week before the series.
 */
PG_FUNCTION_INFO_V1(churn_features);
Datum
churn_features(PG_FUNCTION_ARGS)
{
	ChurnParams p;
	ChurnCalendar cal;
	ChurnSeries s;
	ChurnFigures fig[CHURN_METRICS];
	Datum		out[CHURN_SERIES_FEATURES];
	double		f[CHURN_SERIES_FEATURES];
	const float4 *txn;
	int			T;
	int		   *ref;
	bool	   *in_holiday;
	int			m;
	int			i;
	int			sev = 0;
	int			silent = 0;
	double		sx = 0,
				sy = 0,
				sxx = 0,
				sxy = 0;
	int			nq = 0;
	int			wn;
	/* the metrics in feature order: transaction volume, count, loans */
	static const int order[CHURN_METRICS] = {1, 2, 0};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(0), &s);
	if (PG_ARGISNULL(2))
		ChurnParamsDefault(&p);
	else
		ChurnParamsCached(fcinfo, PG_GETARG_HEAPTUPLEHEADER(2), &p);
	wn = ChurnDateToWeek(PG_GETARG_DATEADT(1), "as_of");
	if (wn < s.w0)
		PG_RETURN_NULL();
	if ((int64) wn - s.w0 > 100 * CHURN_YEAR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of lies more than 100 years after the series' first week")));
	T = wn - s.w0;
	ref = palloc(sizeof(int) * (T + 1));
	in_holiday = palloc(sizeof(bool) * (T + 1));
	ChurnCalendarDecode(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3),
						PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4), &cal);
	ChurnReferenceWeeks(s.w0, T + 1, &cal, p.holiday_weeks, ref, in_holiday);

	/* the detector's figures of every metric as of the week */
	for (m = 0; m < CHURN_METRICS; m++)
	{
		ChurnEvaluateMetric(&p, s.v + m * s.n, s.n, T, ref, in_holiday, s.w0, NULL, NULL,
							churn_metric_names[m], NULL, &fig[m]);
		if (fig[m].severity > sev)
			sev = fig[m].severity;
	}
	for (i = 0; i < CHURN_METRICS; i++)
	{
		const ChurnFigures *g = &fig[order[i]];

		f[2 * i] = clamp(finite_or(g->level_drop_pct / 100, 0), -2, 1);
		f[2 * i + 1] = Min(finite_or(g->cusum, 0), 30) / 10;
	}

	/*
	 * the transaction volume's recent shape: weeks without a row count as
	 * zero here (a missing week at the end is the silence that matters)
	 */
	txn = s.v + 1 * s.n;
	for (i = 0; i <= T && i < CHURN_QUARTER; i++)
	{
		int			t = T - i;
		double		y = log1p((t < s.n && !isnan(txn[t])) ? txn[t] : 0);

		sx += -i;
		sy += y;
		sxx += (double) i * i;
		sxy += -i * y;
		nq++;
	}
	for (i = 0; i <= T; i++)
	{
		int			t = T - i;

		if (t < s.n && !isnan(txn[t]) && txn[t] > 0)
			break;
		silent++;
	}
	f[6] = recent_vs_half_year(txn, s.n, T);
	f[7] = 0;
	if (nq >= 4)
	{
		double		den = nq * sxx - sx * sx;

		if (den > 0)
			f[7] = clamp((nq * sxy - sx * sy) / den * CHURN_QUARTER, -10, 10);
	}
	f[8] = Min(silent, CHURN_QUARTER) / 4.0;
	f[9] = sev / 3.0;
	f[10] = Min(finite_or(fig[1].history, 0), 3 * CHURN_YEAR) / (double) CHURN_YEAR;
	f[11] = clamp(finite_or(fig[1].prev_quarter_pct / 100, 0), -1, 2);
	f[12] = recent_vs_half_year(s.v + 2 * s.n, s.n, T);
	f[13] = recent_vs_half_year(s.v, s.n, T);

	for (i = 0; i < CHURN_SERIES_FEATURES; i++)
		out[i] = Float8GetDatum(f[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, CHURN_SERIES_FEATURES, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* -----------------------------------------------------------------------
 * churn_logreg(features float8[], label boolean, lambda float8): the fit
 * -----------------------------------------------------------------------
 */

typedef struct LogregState
{
	int			p;				/* features per row, -1 until the first row */
	double		lambda;
	Size		n;
	Size		cap;
	double	   *x;
	unsigned char *y;
} LogregState;

/* the features of a row as doubles: no NULL array, no NULL element, finite */
static int
features_of(ArrayType *a, double **out)
{
	int			n;

	if (ARR_NDIM(a) != 1 || ARR_ELEMTYPE(a) != FLOAT8OID || ARR_HASNULL(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("churn model features must be a one-dimensional float8 array without NULLs")));
	n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (n < 1 || n > LOGREG_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a churn model takes 1 to %d features, not %d", LOGREG_MAX_FEATURES, n)));
	*out = (double *) ARR_DATA_PTR(a);
	return n;
}

static void
state_reserve(LogregState *st, Size more)
{
	Size		need = st->n + more;

	if (need <= st->cap)
		return;
	st->cap = Max(need, Max(st->cap * 2, 1024));
	if (st->x == NULL)
	{
		st->x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * st->cap * Max(st->p, 1));
		st->y = MemoryContextAllocHuge(CurrentMemoryContext, st->cap);
	}
	else
	{
		st->x = repalloc_huge(st->x, sizeof(double) * st->cap * Max(st->p, 1));
		st->y = repalloc_huge(st->y, st->cap);
	}
}

static LogregState *
state_new(MemoryContext agg)
{
	LogregState *st = MemoryContextAllocZero(agg, sizeof(LogregState));

	st->p = -1;
	return st;
}

PG_FUNCTION_INFO_V1(churn_logreg_accum);
Datum
churn_logreg_accum(PG_FUNCTION_ARGS)
{
	MemoryContext agg;
	MemoryContext old;
	LogregState *st;
	double	   *x;
	int			p;
	int			j;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_logreg_accum called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (LogregState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("churn model rows need features and a label"),
				 errhint("Leave out the rows whose outcome is not known yet.")));
	if (PG_ARGISNULL(3) || !(PG_GETARG_FLOAT8(3) >= 0) || isinf(PG_GETARG_FLOAT8(3)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lambda must be a finite number of at least 0")));
	p = features_of(PG_GETARG_ARRAYTYPE_P(1), &x);
	old = MemoryContextSwitchTo(agg);
	if (st == NULL)
		st = state_new(agg);
	if (st->p < 0)
	{
		st->p = p;
		st->lambda = PG_GETARG_FLOAT8(3);
	}
	else if (st->p != p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every row of a churn model needs the same number of features"),
				 errdetail("A row has %d features, the rows before it %d.", p, st->p)));
	for (j = 0; j < p; j++)
		if (!isfinite(x[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("churn model features must be finite")));
	state_reserve(st, 1);
	memcpy(st->x + st->n * p, x, sizeof(double) * p);
	st->y[st->n] = PG_GETARG_BOOL(2) ? 1 : 0;
	st->n++;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(churn_logreg_combine);
Datum
churn_logreg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext agg;
	MemoryContext old;
	LogregState *a;
	LogregState *b;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_logreg_combine called in non-aggregate context");
	a = PG_ARGISNULL(0) ? NULL : (LogregState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (LogregState *) PG_GETARG_POINTER(1);
	if (b == NULL || b->n == 0)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	old = MemoryContextSwitchTo(agg);
	if (a == NULL)
		a = state_new(agg);
	if (a->p < 0)
	{
		a->p = b->p;
		a->lambda = b->lambda;
	}
	else if (a->p != b->p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every row of a churn model needs the same number of features")));
	state_reserve(a, b->n);
	memcpy(a->x + a->n * a->p, b->x, sizeof(double) * b->n * b->p);
	memcpy(a->y + a->n, b->y, b->n);
	a->n += b->n;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(churn_logreg_serial);
Datum
churn_logreg_serial(PG_FUNCTION_ARGS)
{
	LogregState *st = (LogregState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	Size		i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->p);
	pq_sendfloat8(&buf, st->lambda);
	pq_sendint64(&buf, (int64) st->n);
	for (i = 0; i < st->n * Max(st->p, 0); i++)
		pq_sendfloat8(&buf, st->x[i]);
	if (st->n > 0)
		pq_sendbytes(&buf, (const char *) st->y, st->n);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(churn_logreg_deserial);
Datum
churn_logreg_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext agg;
	MemoryContext old;
	StringInfoData buf;
	LogregState *st;
	int64		n;
	Size		i;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_logreg_deserial called in non-aggregate context");
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	old = MemoryContextSwitchTo(agg);
	st = state_new(agg);
	st->p = pq_getmsgint(&buf, 4);
	st->lambda = pq_getmsgfloat8(&buf);
	n = pq_getmsgint64(&buf);
	if (st->p > LOGREG_MAX_FEATURES || n < 0 || (st->p < 1 && n > 0))
		elog(ERROR, "invalid churn_logreg state");
	if (n > 0)
	{
		state_reserve(st, (Size) n);
		for (i = 0; i < (Size) n * st->p; i++)
			st->x[i] = pq_getmsgfloat8(&buf);
		memcpy(st->y, pq_getmsgbytes(&buf, (int) n), n);
		st->n = (Size) n;
	}
	pq_getmsgend(&buf);
	pfree(buf.data);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(churn_logreg_final);
Datum
churn_logreg_final(PG_FUNCTION_ARGS)
{
	LogregState *st = PG_ARGISNULL(0) ? NULL : (LogregState *) PG_GETARG_POINTER(0);
	double		coef[LOGREG_MAX_FEATURES + 1];
	double	   *work;
	Datum		out[LOGREG_MAX_FEATURES + 1];
	int			it;
	int			j;

	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	work = palloc(sizeof(double) * LOGREG_WORK(st->p));
	it = logreg_fit(st->x, st->y, st->n, st->p, st->lambda, coef, work);
	if (it < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the churn model could not be fitted"),
				 errhint("Use a lambda above 0.")));
	for (j = 0; j <= st->p; j++)
		out[j] = Float8GetDatum(coef[j]);
	pfree(work);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, st->p + 1, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * churn_logreg_predict(coef float8[], features float8[])
 *		The model's probability for one row: coef[1] is the intercept.
 */
PG_FUNCTION_INFO_V1(churn_logreg_predict);
Datum
churn_logreg_predict(PG_FUNCTION_ARGS)
{
	ArrayType  *ca = PG_GETARG_ARRAYTYPE_P(0);
	double	   *coef;
	double	   *x;
	int			nc;
	int			p;

	if (ARR_NDIM(ca) != 1 || ARR_ELEMTYPE(ca) != FLOAT8OID || ARR_HASNULL(ca))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("churn model coefficients must be a one-dimensional float8 array without NULLs")));
	nc = ArrayGetNItems(ARR_NDIM(ca), ARR_DIMS(ca));
	coef = (double *) ARR_DATA_PTR(ca);
	p = features_of(PG_GETARG_ARRAYTYPE_P(1), &x);
	if (nc != p + 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the churn model has %d coefficients for %d features", nc, p),
				 errhint("A model has one coefficient per feature plus the intercept.")));
	PG_RETURN_FLOAT8(logreg_predict(coef, p, x));
}
