/*-------------------------------------------------------------------------
 *
 * churn_series.c
 *	  Churn early warning: the compact per-party series (week numbers,
 *	  packing, the churn_series_agg aggregate and the series helpers).
 *
 * Layer: computation, the bottom of src/churn/ (no SPI, no worker, no
 * table).  Calls nothing of the churn module; churn.c, churn_figures.c,
 * churn_model.c, the storage and the entry points call it.
 *
 * A series is a float4[3][w0:w1] array: the three metrics by week number
 * (weeks since Monday 2000-01-03), NaN for a week without a row; see
 * churn.c for the evaluation that walks it.
 *
 * The aggregate keeps an internal state of (week, values) points, sorts
 * them in the final function, and defines combine, serial and deserial
 * functions, so it runs under parallel query and as a window function (the
 * final function never changes its state).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_series.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"

#include "churn_series.h"
#include "compat.h"

/* the metrics of a series, in the order of its values */
const char *const churn_metric_names[CHURN_METRICS] = {"loan_volume", "txn_volume", "txn_count"};

/* aggregate states */
typedef struct SeriesPoint
{
	int32		wn;
	float4		v[CHURN_METRICS];
} SeriesPoint;

typedef struct SeriesState
{
	int			n;
	int			cap;
	SeriesPoint *p;
} SeriesState;

static int	cmp_series_point(const void *a, const void *b);

/* ---------------------------------------------------------------------
 * weeks and series
 * ---------------------------------------------------------------------
 */

/*
 * ChurnDateToWeek
 *		The week number of a Monday: weeks since Monday 2000-01-03.
 *
 * DateADT counts days from 2000-01-01, a Saturday.  Any other weekday is
 * refused: activity_weekly stores weeks by their Monday, and silently
 * moving a date to its Monday would hide a caller's mistake.
 */
int
ChurnDateToWeek(DateADT d, const char *what)
{
	int64		days = (int64) d - 2;

	if (DATE_NOT_FINITE(d) || days % 7 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a Monday", what),
				 errdetail("Weeks are identified by the Monday they start on (ISO weeks)."),
				 errhint("Use date_trunc('week', d)::date.")));
	return (int) (days >= 0 ? days / 7 : -((-days) / 7));
}

DateADT
ChurnWeekToDate(int wn)
{
	return (DateADT) (wn * 7 + 2);
}

/*
 * ChurnSeriesUnpack
 *		Check a series array and point into it.
 *
 * The array must be float4[3][w0:w1] without NULLs, as the functions of
 * this file build them; anything else is a caller's error, reported as such.
 */
void
ChurnSeriesUnpack(ArrayType *a, ChurnSeries *s)
{
	if (ARR_ELEMTYPE(a) != FLOAT4OID || ARR_NDIM(a) != 2 || ARR_DIMS(a)[0] != CHURN_METRICS ||
		ARR_HASNULL(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid churn series"),
				 errdetail("A churn series is a real[3][w0:w1] array without NULLs, as built by churn_series_agg()."),
				 errhint("Rebuild the series with churn_series_agg(week, loan_volume, txn_volume, txn_count).")));
	s->w0 = ARR_LBOUND(a)[1];
	s->n = ARR_DIMS(a)[1];
	s->v = (float4 *) ARR_DATA_PTR(a);
}

/*
 * ChurnSeriesPack
 *		A series array of n weeks from week w0, metric by metric.
 */
ArrayType *
ChurnSeriesPack(int w0, int n, const float4 *v)
{
	Datum	   *d;
	int			dims[2] = {CHURN_METRICS, n};
	int			lbs[2] = {1, w0};
	int			i;
	ArrayType  *a;
	Size		nbytes;

	/*
	 * The usual case, built directly: the bytes construct_md_array would
	 * build (float4 is by value and int-aligned, no NULL bitmap), without
	 * its per-element loop; every reader of the series pays for a pack.
	 */
	if (n >= 1 && n <= 100 * CHURN_YEAR + 1 && (int64) w0 + n - 1 <= PG_INT32_MAX)
	{
		nbytes = ARR_OVERHEAD_NONULLS(2) + sizeof(float4) * CHURN_METRICS * n;
		a = (ArrayType *) palloc0(nbytes);
		SET_VARSIZE(a, nbytes);
		a->ndim = 2;
		a->dataoffset = 0;
		a->elemtype = FLOAT4OID;
		memcpy(ARR_DIMS(a), dims, sizeof(dims));
		memcpy(ARR_LBOUND(a), lbs, sizeof(lbs));
		memcpy(ARR_DATA_PTR(a), v, sizeof(float4) * CHURN_METRICS * n);
		return a;
	}
	d = palloc(sizeof(Datum) * CHURN_METRICS * Max(n, 1));
	for (i = 0; i < CHURN_METRICS * n; i++)
		d[i] = Float4GetDatum(v[i]);
	return construct_md_array(d, NULL, 2, dims, lbs, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
}

/*
 * CheckVolume
 *		Refuse NaN, infinite and negative volumes.
 */
double
ChurnCheckVolume(double v, const char *what)
{
	if (isnan(v) || isinf(v) || v < 0 || v > FLT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite non-negative number", what),
				 errdetail("The value given was %g.", v)));
	return v;
}

/* ---------------------------------------------------------------------
 * churn_series_agg(week, loan_volume, txn_volume, txn_count) -> real[]
 * ---------------------------------------------------------------------
 */

static SeriesState *
series_state_new(MemoryContext agg)
{
	SeriesState *st = MemoryContextAlloc(agg, sizeof(SeriesState));

	st->n = 0;
	st->cap = 16;
	st->p = MemoryContextAlloc(agg, sizeof(SeriesPoint) * st->cap);
	return st;
}

static void
series_state_add(SeriesState *st, MemoryContext agg, const SeriesPoint *pt)
{
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->p = repalloc(st->p, mul_size(sizeof(SeriesPoint), st->cap));
	}
	st->p[st->n++] = *pt;
}

PG_FUNCTION_INFO_V1(churn_series_accum);
Datum
churn_series_accum(PG_FUNCTION_ARGS)
{
	MemoryContext agg;
	SeriesState *st;
	SeriesPoint pt;
	int			m;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_series_accum called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (SeriesState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	if (st == NULL)
		st = series_state_new(agg);

	pt.wn = ChurnDateToWeek(PG_GETARG_DATEADT(1), "week");
	/* a NULL figure is not known: NaN, as a missing row */
	pt.v[0] = PG_ARGISNULL(2) ? NAN : (float4) ChurnCheckVolume(PG_GETARG_FLOAT8(2), "loan_volume");
	pt.v[1] = PG_ARGISNULL(3) ? NAN : (float4) ChurnCheckVolume(PG_GETARG_FLOAT8(3), "txn_volume");
	if (PG_ARGISNULL(4))
		pt.v[2] = NAN;
	else
	{
		int32		c = PG_GETARG_INT32(4);

		pt.v[2] = (float4) ChurnCheckVolume((double) c, "txn_count");
	}
	for (m = 0; m < CHURN_METRICS; m++)
		Assert(isnan(pt.v[m]) || pt.v[m] >= 0);
	series_state_add(st, agg, &pt);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(churn_series_combine);
Datum
churn_series_combine(PG_FUNCTION_ARGS)
{
	MemoryContext agg;
	SeriesState *a;
	SeriesState *b;
	int			i;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_series_combine called in non-aggregate context");
	a = PG_ARGISNULL(0) ? NULL : (SeriesState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (SeriesState *) PG_GETARG_POINTER(1);
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = series_state_new(agg);
	for (i = 0; i < b->n; i++)
		series_state_add(a, agg, &b->p[i]);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(churn_series_serial);
Datum
churn_series_serial(PG_FUNCTION_ARGS)
{
	SeriesState *st = (SeriesState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;
	int			m;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint32(&buf, st->p[i].wn);
		for (m = 0; m < CHURN_METRICS; m++)
			pq_sendfloat4(&buf, st->p[i].v[m]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(churn_series_deserial);
Datum
churn_series_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext agg;
	StringInfoData buf;
	SeriesState *st;
	int			n;
	int			i;
	int			m;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_series_deserial called in non-aggregate context");
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || n > (int) (MaxAllocSize / sizeof(SeriesPoint)))
		elog(ERROR, "invalid churn series state");
	st = series_state_new(agg);
	for (i = 0; i < n; i++)
	{
		SeriesPoint pt;

		pt.wn = pq_getmsgint(&buf, 4);
		for (m = 0; m < CHURN_METRICS; m++)
			pt.v[m] = pq_getmsgfloat4(&buf);
		series_state_add(st, agg, &pt);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/*
 * churn_series_final
 *		Sort the points by week and lay them out as a series.
 *
 * Figures given more than once for the same week are added up (a caller
 * may feed daily or per-transaction rows); weeks without a point are NaN.
 * Works on a copy, so the state stays valid for window use.
 */
PG_FUNCTION_INFO_V1(churn_series_final);
Datum
churn_series_final(PG_FUNCTION_ARGS)
{
	SeriesState *st;
	SeriesPoint *p;
	float4	   *v;
	int			w0;
	int64		n64;
	int			n;
	int			i;
	int			m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SeriesState *) PG_GETARG_POINTER(0);
	if (st->n == 0)
		PG_RETURN_NULL();
	p = palloc(sizeof(SeriesPoint) * st->n);
	memcpy(p, st->p, sizeof(SeriesPoint) * st->n);
	qsort(p, st->n, sizeof(SeriesPoint), cmp_series_point);
	w0 = p[0].wn;
	n64 = (int64) p[st->n - 1].wn - w0 + 1;
	if (n64 > MaxAllocSize / (CHURN_METRICS * sizeof(Datum)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("churn series spans too many weeks"),
				 errdetail("The weeks span %lld weeks.", (long long) n64)));
	n = (int) n64;
	v = palloc(sizeof(float4) * CHURN_METRICS * n);
	for (i = 0; i < CHURN_METRICS * n; i++)
		v[i] = NAN;
	for (i = 0; i < st->n; i++)
	{
		int			t = p[i].wn - w0;

		for (m = 0; m < CHURN_METRICS; m++)
		{
			float4	   *cell = &v[m * n + t];

			if (isnan(p[i].v[m]))
				continue;
			if (!isnan(*cell) && (double) *cell + p[i].v[m] > FLT_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("value out of range: overflow"),
						 errdetail("The %s of one week adds up beyond the range of type real.", churn_metric_names[m])));
			*cell = isnan(*cell) ? p[i].v[m] : *cell + p[i].v[m];
		}
	}
	PG_RETURN_ARRAYTYPE_P(ChurnSeriesPack(w0, n, v));
}

/*
 * churn_series_merge(old, new)
 *		The series with the known weeks of "new" laid over "old".
 *
 * The insert path calls it with the series built from the inserted rows;
 * a week present in both takes the new figures.
 */
PG_FUNCTION_INFO_V1(churn_series_merge);
Datum
churn_series_merge(PG_FUNCTION_ARGS)
{
	ChurnSeries a;
	ChurnSeries b;
	float4	   *v;
	int			w0;
	int			w1;
	int			n;
	int			i;
	int			m;

	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(0))
	{
		ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(1), &b);
		PG_RETURN_ARRAYTYPE_P(ChurnSeriesPack(b.w0, b.n, b.v));
	}
	if (PG_ARGISNULL(1))
	{
		ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(0), &a);
		PG_RETURN_ARRAYTYPE_P(ChurnSeriesPack(a.w0, a.n, a.v));
	}
	ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(0), &a);
	ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(1), &b);
	w0 = Min(a.w0, b.w0);
	w1 = Max(a.w0 + a.n, b.w0 + b.n);
	n = w1 - w0;
	v = palloc(sizeof(float4) * CHURN_METRICS * n);
	for (i = 0; i < CHURN_METRICS * n; i++)
		v[i] = NAN;
	for (m = 0; m < CHURN_METRICS; m++)
	{
		for (i = 0; i < a.n; i++)
			v[m * n + a.w0 - w0 + i] = a.v[m * a.n + i];
		for (i = 0; i < b.n; i++)
			if (!isnan(b.v[m * b.n + i]))
				v[m * n + b.w0 - w0 + i] = b.v[m * b.n + i];
	}
	PG_RETURN_ARRAYTYPE_P(ChurnSeriesPack(w0, n, v));
}

/*
 * ChurnSeriesOneWeek
 *		The series of one activity_weekly row, as churn_series_agg builds it
 *		from that row alone (the row triggers' unit).
 */
ArrayType *
ChurnSeriesOneWeek(DateADT week, double loan_volume, double txn_volume, int32 txn_count)
{
	float4		v[CHURN_METRICS];

	v[0] = (float4) ChurnCheckVolume(loan_volume, "loan_volume");
	v[1] = (float4) ChurnCheckVolume(txn_volume, "txn_volume");
	v[2] = (float4) ChurnCheckVolume((double) txn_count, "txn_count");
	return ChurnSeriesPack(ChurnDateToWeek(week, "week"), 1, v);
}

/*
 * churn_series_drop_week(series, week)
 *		The series without the given week's row, trimmed to its first and
 *		last weeks that still have one: the series churn_series_agg would
 *		build from the rows left.  NULL when no week is left; the series
 *		itself when week is NULL or has no row.
 *
 * The row triggers on activity_weekly call it for an updated or deleted
 * row (activity_weekly has one row per party and week), so that they never
 * read activity_weekly.
 */
PG_FUNCTION_INFO_V1(churn_series_drop_week);
Datum
churn_series_drop_week(PG_FUNCTION_ARGS)
{
	ChurnSeries a;
	ArrayType  *arr;
	float4	   *v;
	int			t;
	int			first;
	int			last;
	int			n;
	int			m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	arr = PG_GETARG_ARRAYTYPE_P(0);
	ChurnSeriesUnpack(arr, &a);
	if (PG_ARGISNULL(1))
		PG_RETURN_ARRAYTYPE_P(arr);
	t = ChurnDateToWeek(PG_GETARG_DATEADT(1), "week") - a.w0;
	if (t < 0 || t >= a.n)
		PG_RETURN_ARRAYTYPE_P(arr);
	v = palloc(sizeof(float4) * CHURN_METRICS * a.n);
	memcpy(v, a.v, sizeof(float4) * CHURN_METRICS * a.n);
	for (m = 0; m < CHURN_METRICS; m++)
		v[m * a.n + t] = NAN;
	/* a week has a row when any of its metrics is known */
	for (first = 0; first < a.n; first++)
	{
		for (m = 0; m < CHURN_METRICS && isnan(v[m * a.n + first]); m++)
			;
		if (m < CHURN_METRICS)
			break;
	}
	if (first == a.n)
		PG_RETURN_NULL();
	for (last = a.n - 1; last > first; last--)
	{
		for (m = 0; m < CHURN_METRICS && isnan(v[m * a.n + last]); m++)
			;
		if (m < CHURN_METRICS)
			break;
	}
	n = last - first + 1;
	if (n == a.n)
		PG_RETURN_ARRAYTYPE_P(ChurnSeriesPack(a.w0, a.n, v));
	{
		float4	   *w = palloc(sizeof(float4) * CHURN_METRICS * n);

		for (m = 0; m < CHURN_METRICS; m++)
			memcpy(w + m * n, v + m * a.n + first, sizeof(float4) * n);
		PG_RETURN_ARRAYTYPE_P(ChurnSeriesPack(a.w0 + first, n, w));
	}
}

/*
 * churn_series_last_week(series) -> date
 *		The Monday of the series' last week with a row.
 */
PG_FUNCTION_INFO_V1(churn_series_last_week);
Datum
churn_series_last_week(PG_FUNCTION_ARGS)
{
	ChurnSeries s;
	int			t;
	int			m;

	ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(0), &s);
	for (t = s.n - 1; t >= 0; t--)
		for (m = 0; m < CHURN_METRICS; m++)
			if (!isnan(s.v[m * s.n + t]))
				PG_RETURN_DATEADT(ChurnWeekToDate(s.w0 + t));
	PG_RETURN_NULL();
}

/*
 * churn_series_unnest(series) -> (week, loan_volume, txn_volume, txn_count)
 *		The weeks of a series that have a row, in order.
 */
PG_FUNCTION_INFO_V1(churn_series_unnest);
Datum
churn_series_unnest(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ChurnSeries s;
	int			t;

	InitMaterializedSRF(fcinfo, 0);
	ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(0), &s);
	for (t = 0; t < s.n; t++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		bool		any = false;
		int			m;

		values[0] = DateADTGetDatum(ChurnWeekToDate(s.w0 + t));
		for (m = 0; m < CHURN_METRICS; m++)
		{
			float4		x = s.v[m * s.n + t];

			if (isnan(x))
				nulls[m + 1] = true;
			else
			{
				any = true;
				values[m + 1] = m == 2 ? Int32GetDatum((int32) rint(x)) : Float8GetDatum((double) x);
			}
		}
		if (any)
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}


/*
 * churn_sparkline(series, metric, last_week, weeks) -> float8[]
 *		One metric over the weeks ending with last_week, oldest first, NULL
 *		for a week without a row: the dashboard's sparkline.
 */
PG_FUNCTION_INFO_V1(churn_sparkline);
Datum
churn_sparkline(PG_FUNCTION_ARGS)
{
	ChurnSeries s;
	char	   *metric = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			last = ChurnDateToWeek(PG_GETARG_DATEADT(2), "last_week");
	int			weeks = PG_GETARG_INT32(3);
	Datum	   *d;
	bool	   *nulls;
	int			dims[1];
	int			lbs[1] = {1};
	int			m;
	int			i;

	ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(0), &s);
	for (m = 0; m < CHURN_METRICS; m++)
		if (strcmp(metric, churn_metric_names[m]) == 0)
			break;
	if (m == CHURN_METRICS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown churn metric \"%s\"", metric),
				 errhint("The metrics are loan_volume, txn_volume and txn_count.")));
	if (weeks < 1 || weeks > 5200)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weeks must be between 1 and 5200")));
	d = palloc(sizeof(Datum) * weeks);
	nulls = palloc(sizeof(bool) * weeks);
	for (i = 0; i < weeks; i++)
	{
		int			t = last - weeks + 1 + i - s.w0;
		float4		x = (t >= 0 && t < s.n) ? s.v[m * s.n + t] : NAN;

		nulls[i] = isnan(x);
		d[i] = Float8GetDatum(nulls[i] ? 0 : (double) x);
	}
	dims[0] = weeks;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(d, nulls, 1, dims, lbs, FLOAT8OID, sizeof(float8),
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* ---------------------------------------------------------------------
 * helpers
 * ---------------------------------------------------------------------
 */

static int
cmp_series_point(const void *a, const void *b)
{
	int32		x = ((const SeriesPoint *) a)->wn;
	int32		y = ((const SeriesPoint *) b)->wn;

	return (x > y) - (x < y);
}

