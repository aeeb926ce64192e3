/*-------------------------------------------------------------------------
 *
 * churn_calendar.h
 *	  Churn early warning: the holiday calendar as week numbers, and the
 *	  reference weeks of last year a comparison aligns with.
 *
 * Layer: computation, the bottom of src/churn/ (defined by churn_calendar.c);
 * includes churn_series.h for the week numbers, nothing above it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_calendar.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_CALENDAR_H
#define BANKCRM_CHURN_CALENDAR_H

#include "utils/array.h"

#include "churn_series.h"

/* the holiday calendar as week numbers (see ChurnCalendarDecode) */
typedef struct ChurnCalendar
{
	int			n;
	int		   *week;			/* each holiday's week */
	int		   *prev_week;		/* its previous occurrence's, INT_MIN: unknown */
} ChurnCalendar;

extern void ChurnCalendarDecode(ArrayType *hol, ArrayType *hol_prev, ChurnCalendar *cal);
extern void ChurnReferenceWeeks(int w0, int n, const ChurnCalendar *cal, int holiday_weeks,
								int *ref, bool *in_holiday);

#endif							/* BANKCRM_CHURN_CALENDAR_H */
