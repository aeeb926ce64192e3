/*-------------------------------------------------------------------------
 *
 * churn_figures.c
 *	  The churn_figures(week, value) aggregate: one metric's churn figures
 *	  of its last week, under the default policy, from rows.
 *
 * Layer: SQL entry point over the computation (no SPI, no worker, no
 * table).  Calls the series format (churn_series.c: week numbers, checked
 * values) and the evaluation (churn.c); nothing calls it but SQL.  It was
 * part of churn_series.c, which made the series format call back into the
 * evaluation that calls it.
 *
 * The aggregate keeps an internal state of (week, value) points, sorts
 * them in the final function, and defines combine, serial and deserial
 * functions, so it runs under parallel query and as a window function (the
 * final function never changes its state).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_figures.c
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

#include "churn.h"
#include "compat.h"

typedef struct ValuePoint
{
	int32		wn;
	float8		v;
} ValuePoint;

typedef struct ValueState
{
	int			n;
	int			cap;
	ValuePoint *p;
} ValueState;

static int	cmp_value_point(const void *a, const void *b);

/* ---------------------------------------------------------------------
 * churn_figures(week, value): one metric's figures as an aggregate
 * ---------------------------------------------------------------------
 */

static ValueState *
value_state_new(MemoryContext agg)
{
	ValueState *st = MemoryContextAlloc(agg, sizeof(ValueState));

	st->n = 0;
	st->cap = 16;
	st->p = MemoryContextAlloc(agg, sizeof(ValuePoint) * st->cap);
	return st;
}

static void
value_state_add(ValueState *st, const ValuePoint *pt)
{
	if (st->n == st->cap)
	{
		st->cap *= 2;
		st->p = repalloc(st->p, mul_size(sizeof(ValuePoint), st->cap));
	}
	st->p[st->n++] = *pt;
}

PG_FUNCTION_INFO_V1(churn_figures_accum);
Datum
churn_figures_accum(PG_FUNCTION_ARGS)
{
	MemoryContext agg;
	MemoryContext old;
	ValueState *st;
	ValuePoint	pt;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_figures_accum called in non-aggregate context");
	st = PG_ARGISNULL(0) ? NULL : (ValueState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	old = MemoryContextSwitchTo(agg);
	if (st == NULL)
		st = value_state_new(agg);
	pt.wn = ChurnDateToWeek(PG_GETARG_DATEADT(1), "week");
	pt.v = ChurnCheckVolume(PG_GETARG_FLOAT8(2), "value");
	value_state_add(st, &pt);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(churn_figures_combine);
Datum
churn_figures_combine(PG_FUNCTION_ARGS)
{
	MemoryContext agg;
	MemoryContext old;
	ValueState *a;
	ValueState *b;
	int			i;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_figures_combine called in non-aggregate context");
	a = PG_ARGISNULL(0) ? NULL : (ValueState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (ValueState *) PG_GETARG_POINTER(1);
	if (b == NULL)
		PG_RETURN_POINTER(a);
	old = MemoryContextSwitchTo(agg);
	if (a == NULL)
		a = value_state_new(agg);
	for (i = 0; i < b->n; i++)
		value_state_add(a, &b->p[i]);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(churn_figures_serial);
Datum
churn_figures_serial(PG_FUNCTION_ARGS)
{
	ValueState *st = (ValueState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint32(&buf, st->p[i].wn);
		pq_sendfloat8(&buf, st->p[i].v);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(churn_figures_deserial);
Datum
churn_figures_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext agg;
	MemoryContext old;
	StringInfoData buf;
	ValueState *st;
	int			n;
	int			i;

	if (!AggCheckCallContext(fcinfo, &agg))
		elog(ERROR, "churn_figures_deserial called in non-aggregate context");
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || n > (int) (MaxAllocSize / sizeof(ValuePoint)))
		elog(ERROR, "invalid churn figures state");
	old = MemoryContextSwitchTo(agg);
	st = value_state_new(agg);
	for (i = 0; i < n; i++)
	{
		ValuePoint	pt;

		pt.wn = pq_getmsgint(&buf, 4);
		pt.v = pq_getmsgfloat8(&buf);
		value_state_add(st, &pt);
	}
	MemoryContextSwitchTo(old);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/*
 * churn_figures_final
 *		The figures of the group's last week under the default policy, with
 *		no holiday calendar.  Values of the same week are added up.
 */
PG_FUNCTION_INFO_V1(churn_figures_final);
Datum
churn_figures_final(PG_FUNCTION_ARGS)
{
	ValueState *st;
	ValuePoint *pts;
	TupleDesc	tupdesc;
	ChurnParams p;
	ChurnFigures last;
	float4	   *raw;
	int		   *ref;
	bool	   *in_holiday;
	int			w0;
	int64		n64;
	int			n;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (ValueState *) PG_GETARG_POINTER(0);
	if (st->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	pts = palloc(sizeof(ValuePoint) * st->n);
	memcpy(pts, st->p, sizeof(ValuePoint) * st->n);
	qsort(pts, st->n, sizeof(ValuePoint), cmp_value_point);
	w0 = pts[0].wn;
	n64 = (int64) pts[st->n - 1].wn - w0 + 1;
	if (n64 > 100 * CHURN_YEAR)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("churn series spans too many weeks"),
				 errdetail("The weeks span %lld weeks; the limit is 5200.", (long long) n64)));
	n = (int) n64;
	raw = palloc(sizeof(float4) * n);
	for (i = 0; i < n; i++)
		raw[i] = NAN;
	for (i = 0; i < st->n; i++)
	{
		float4	   *cell = &raw[pts[i].wn - w0];
		double		sum = isnan(*cell) ? pts[i].v : *cell + pts[i].v;

		if (sum > FLT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow")));
		*cell = (float4) sum;
	}
	ChurnParamsDefault(&p);
	ref = palloc(sizeof(int) * n);
	in_holiday = palloc(sizeof(bool) * n);
	ChurnReferenceWeeks(w0, n, NULL, p.holiday_weeks, ref, in_holiday);
	ChurnEvaluateMetric(&p, raw, n, n - 1, ref, in_holiday, w0, NULL, NULL, "value", NULL, &last);
	PG_RETURN_DATUM(HeapTupleGetDatum(ChurnFiguresTuple(tupdesc, "value", &last)));
}

static int
cmp_value_point(const void *a, const void *b)
{
	int32		x = ((const ValuePoint *) a)->wn;
	int32		y = ((const ValuePoint *) b)->wn;

	return (x > y) - (x < y);
}
