/*-------------------------------------------------------------------------
 *
 * churn_series.h
 *	  Churn early warning: a party's weekly series, compact, and week numbers.
 *
 * Layer: computation, the bottom of src/churn/ (defined by churn_series.c);
 * includes no other churn header.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_series.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_SERIES_H
#define BANKCRM_CHURN_SERIES_H

#include "utils/array.h"
#include "utils/date.h"

#define CHURN_METRICS		3		/* loan_volume, txn_volume, txn_count */
#define CHURN_QUARTER		13		/* weeks in a (rolling) quarter */
#define CHURN_YEAR			52		/* weeks in a year */

/* a party's weekly series, unpacked */
typedef struct ChurnSeries
{
	int			w0;				/* week number of the first week */
	int			n;				/* weeks */
	float4	   *v;				/* CHURN_METRICS * n values, metric-major */
} ChurnSeries;

extern const char *const churn_metric_names[CHURN_METRICS];

extern int	ChurnDateToWeek(DateADT d, const char *what);
extern DateADT ChurnWeekToDate(int wn);
extern void ChurnSeriesUnpack(ArrayType *a, ChurnSeries *s);
extern ArrayType *ChurnSeriesPack(int w0, int n, const float4 *v);
extern double ChurnCheckVolume(double v, const char *what);
extern ArrayType *ChurnSeriesOneWeek(DateADT week, double loan_volume, double txn_volume, int32 txn_count);

#endif							/* BANKCRM_CHURN_SERIES_H */
