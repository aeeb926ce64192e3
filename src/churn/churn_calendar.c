/*-------------------------------------------------------------------------
 *
 * churn_calendar.c
 *	  The holiday calendar of the churn evaluation as week numbers, and the
 *	  weeks of last year each week is compared with (moving holidays
 *	  aligned).
 *
 * Layer: computation, the bottom of src/churn/.  Calls nothing of the
 * churn module; the evaluation, the model's features and the monitor call
 * it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_calendar.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/lsyscache.h"

#include "churn_calendar.h"

/*
 * ChurnCalendarDecode
 *		The holiday calendar's days and previous occurrences as week
 *		numbers, decoded once for many series.
 *
 * hol_prev[i] is the previous occurrence of hol[i] (NULL when the calendar
 * does not know it: prev_week INT_MIN).  NULL and infinite holidays are
 * left out.
 */
void
ChurnCalendarDecode(ArrayType *hol, ArrayType *hol_prev, ChurnCalendar *cal)
{
	Datum	   *hd = NULL;
	Datum	   *pd = NULL;
	bool	   *hn = NULL;
	bool	   *pn = NULL;
	int			nh = 0;
	int			np = 0;
	int			i;

	cal->n = 0;
	cal->week = cal->prev_week = NULL;
	if (hol == NULL)
		return;
	deconstruct_array(hol, DATEOID, sizeof(DateADT), true, TYPALIGN_INT, &hd, &hn, &nh);
	if (hol_prev != NULL)
		deconstruct_array(hol_prev, DATEOID, sizeof(DateADT), true, TYPALIGN_INT, &pd, &pn, &np);
	if (hol_prev != NULL && np != nh)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("holiday arrays differ in length"),
				 errdetail("There are %d holidays and %d previous occurrences.", nh, np)));
	cal->week = palloc(sizeof(int) * Max(nh, 1));
	cal->prev_week = palloc(sizeof(int) * Max(nh, 1));
	for (i = 0; i < nh; i++)
	{
		int			pw = INT_MIN;

		if (hn[i] || DATE_NOT_FINITE(DatumGetDateADT(hd[i])))
			continue;
		/* the holiday's week: the Monday on or before it */
		if (pd != NULL && !pn[i] && !DATE_NOT_FINITE(DatumGetDateADT(pd[i])))
			pw = (int) floor(((double) DatumGetDateADT(pd[i]) - 2) / 7.0);
		cal->week[cal->n] = (int) floor(((double) DatumGetDateADT(hd[i]) - 2) / 7.0);
		cal->prev_week[cal->n++] = pw;
	}
}

/*
 * ChurnReferenceWeeks
 *		For each week t of [0, n), the index of "the same week last year".
 *
 * Normally t - 52.  Movable holidays (Chinese New Year) fall on different
 * weeks each year, so the weeks from a holiday's week on, for
 * holiday_weeks weeks, refer to the same offset from that holiday's
 * previous occurrence instead (ref = INT_MIN, "no reference", when the
 * calendar does not know it).  in_holiday[t] marks those weeks.  Indexes
 * below 0 mean the series has no such week.  cal NULL: no calendar.
 */
void
ChurnReferenceWeeks(int w0, int n, const ChurnCalendar *cal, int holiday_weeks,
					int *ref, bool *in_holiday)
{
	int			t;
	int			i;

	for (t = 0; t < n; t++)
	{
		ref[t] = t - CHURN_YEAR;
		in_holiday[t] = false;
	}
	if (cal == NULL)
		return;
	for (i = 0; i < cal->n; i++)
	{
		int			hw = cal->week[i];
		int			pw = cal->prev_week[i];
		int			d;

		for (d = 0; d < holiday_weeks; d++)
		{
			int			tt = hw + d - w0;

			if (tt < 0 || tt >= n)
				continue;
			in_holiday[tt] = true;
			ref[tt] = pw == INT_MIN ? INT_MIN : pw + d - w0;
		}
	}
}
