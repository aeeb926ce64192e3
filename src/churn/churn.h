/*-------------------------------------------------------------------------
 *
 * churn.h
 *	  Churn early warning, the computation: the series format, the
 *	  evaluation's parameters, figures and detector state, the calendar.
 *
 * Layer: computation, the bottom of src/churn/ with churn_series.h (the
 * series format) and churn_calendar.h (the holiday weeks), which it
 * includes and which never include it.  Defined by churn.c (the
 * evaluation); included by every churn file above those two.  It pulls in no SPI,
 * worker or shared-memory header: the worker's declarations are in
 * churn_worker.h, the monitor's in churn_monitor.h, the storage upkeep's in
 * churn_store.h.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_H
#define BANKCRM_CHURN_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/tuplestore.h"

#include "churn_calendar.h"
#include "churn_series.h"

/*
 * The evaluation's internals, shared by churn.c (the evaluation),
 * churn_series.c (the compact series), churn_figures.c (the churn_figures
 * aggregate), the model's features and the monitor's batch.
 */
#define CHURN_NOISE_LAMBDA	0.1		/* EWMA weight of the noise estimate */
#define CHURN_MIN_WINDOW	0.5		/* share of a window that must be known */
#define CHURN_ABS_NORMAL	1.2533141373155003	/* sqrt(pi / 2) */
#define CHURN_MAD_NORMAL	1.4826		/* MAD to standard deviation */

#define RULE_DRIFT		0x01
#define RULE_QUARTER	0x02
#define RULE_WEEK		0x04

/* evaluation parameters: one churn_policy row */
typedef struct ChurnParams
{
	bool		metrics[CHURN_METRICS];
	int			trailing_weeks;
	int			min_history;
	int			confirm_weeks;
	int			holiday_weeks;
	double		week_drop;		/* fractions, from the policy's percents */
	double		week_z;
	double		quarter_drop;
	double		cusum_k;
	double		cusum_h;
	double		first_year_h;	/* cusum_h for weeks without last year's season */
	double		drift_drop;
	double		z_clip;
	double		min_noise;
	double		warning_drop;
	double		critical_drop;
} ChurnParams;

/* the figures of one metric in one week; NaN means SQL NULL */
typedef struct ChurnFigures
{
	int			week;			/* week number */
	double		value;
	int			history;
	double		trailing_mean;
	double		trailing_sd;
	double		week_pct;
	double		week_z;
	double		last_year_value;
	double		last_year_pct;
	double		seasonal_factor;
	double		expected;
	double		quarter_mean;
	double		prev_quarter_pct;
	double		last_year_quarter_pct;
	double		noise;
	double		reference;
	double		cusum;
	double		level_drop_pct;
	int			rules;
	int			severity;
	int			first_alert_week;	/* -1: none yet */
	int			first_alert_severity;
} ChurnFigures;

#define CHURN_FIGURES_NATTS 23

/*
 * What the detector of one metric carries from one week to the next: the
 * walk resumes from it (ChurnEvaluateMetric).  t is the last week walked
 * (an index into the series), -1 for none.
 */
typedef struct ChurnState
{
	int			t;
	bool		started;
	int			drop_run;
	int			first_week;
	int			first_sev;
	double		R;
	double		sigma;
	double		C;
} ChurnState;

extern const char *const churn_severity_names[4];

extern int	ChurnSeriesLastIndex(const ChurnSeries *s);
extern void ChurnParamsDefault(ChurnParams *p);
extern void ChurnParamsFromPolicy(HeapTupleHeader t, ChurnParams *p);
extern void ChurnParamsCached(FunctionCallInfo fcinfo, HeapTupleHeader t, ChurnParams *p);
extern void ChurnEvaluateMetric(const ChurnParams *p, const float4 *raw, int nraw, int T,
								const int *ref, const bool *in_holiday, int w0,
								Tuplestorestate *history, TupleDesc tupdesc,
								const char *metric, ChurnState *state, ChurnFigures *last);
extern char *ChurnRulesText(int rules);
extern HeapTuple ChurnFiguresTuple(TupleDesc tupdesc, const char *metric, const ChurnFigures *f);

#endif							/* BANKCRM_CHURN_H */
