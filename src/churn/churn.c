/*-------------------------------------------------------------------------
 *
 * churn.c
 *	  Churn early warning: the evaluation of a party's weekly series
 *	  (deviation statistics, the seasonal baseline, the CUSUM, the rules).
 *
 * A party's weekly activity (loan volume, transaction volume, transaction
 * count) is kept, besides the row-per-week table activity_weekly, as one
 * float4[3][w0:w1] array per party ("the series", see churn_series.c):
 * the second dimension's lower bound is the week number (weeks since
 * Monday 2000-01-03), and NaN marks a week with no row.  activity_weekly
 * refuses NaN, so NaN is never ambiguous.  One array of 156 weeks is about
 * 1.9 kB and stays inline in its heap tuple, so a full evaluation reads a
 * fifth of the bytes a scan of activity_weekly reads.
 *
 * The evaluation walks a metric's weeks once, in order, keeping prefix sums
 * (any window mean is O(1)), the reference level, a robust noise estimate
 * and a lower CUSUM.  See doc/churn.md for the method; the formulas are
 * repeated in ChurnEvaluateMetric.  Every figure is computed from the
 * inputs alone, so the evaluation functions are IMMUTABLE and PARALLEL
 * SAFE; the SQL wrappers that read the policy and holiday tables are
 * STABLE.
 *
 * Layer: computation, the bottom of src/churn/ (no SPI, no worker, no
 * table; its SQL functions evaluate the values they are given).  Calls the
 * series format (churn_series.c) and the calendar (churn_calendar.c).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "churn.h"
#include "compat.h"
#include "progress.h"

const char *const churn_severity_names[4] = {NULL, "watch", "warning", "critical"};

static void ChurnParamsCheck(const ChurnParams *p);
static void ChurnPutFigures(Tuplestorestate *ts, TupleDesc tupdesc, const char *metric,
							const ChurnFigures *f);

/* ---------------------------------------------------------------------
 * parameters
 * ---------------------------------------------------------------------
 */

/*
 * ChurnParamsDefault
 *		The defaults of churn_policy's columns (keep both in step; the
 *		churn regression suite compares them).
 */
void
ChurnParamsDefault(ChurnParams *p)
{
	int			m;

	for (m = 0; m < CHURN_METRICS; m++)
		p->metrics[m] = true;
	p->trailing_weeks = 13;
	p->min_history = 26;
	p->confirm_weeks = 5;
	p->holiday_weeks = 3;
	p->week_drop = 0.30;
	p->week_z = 3.0;
	p->quarter_drop = 0.20;
	p->cusum_k = 0.5;
	p->cusum_h = 10.0;
	p->first_year_h = 12.0;
	p->drift_drop = 0.20;
	p->z_clip = 3.0;
	p->min_noise = 0.02;
	p->warning_drop = 0.25;
	p->critical_drop = 0.50;
}

static double
policy_float(HeapTupleHeader t, const char *name, double dflt)
{
	bool		isnull;
	Datum		d = GetAttributeByName(t, name, &isnull);

	return isnull ? dflt : DatumGetFloat8(d);
}

static int
policy_int(HeapTupleHeader t, const char *name, int dflt)
{
	bool		isnull;
	Datum		d = GetAttributeByName(t, name, &isnull);

	return isnull ? dflt : DatumGetInt32(d);
}

/*
 * ChurnParamsFromPolicy
 *		Read a churn_policy row; a NULL column takes the default.
 */
void
ChurnParamsFromPolicy(HeapTupleHeader t, ChurnParams *p)
{
	bool		isnull;
	Datum		d;

	ChurnParamsDefault(p);
	d = GetAttributeByName(t, "metrics", &isnull);
	if (!isnull)
	{
		ArrayType  *a = DatumGetArrayTypeP(d);
		Datum	   *elems;
		bool	   *enulls;
		int			ne;
		int			i;
		int			m;

		deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &ne);
		for (m = 0; m < CHURN_METRICS; m++)
			p->metrics[m] = false;
		for (i = 0; i < ne; i++)
		{
			char	   *name;
			bool		found = false;

			if (enulls[i])
				continue;
			name = TextDatumGetCString(elems[i]);
			for (m = 0; m < CHURN_METRICS; m++)
				if (strcmp(name, churn_metric_names[m]) == 0)
				{
					p->metrics[m] = true;
					found = true;
				}
			if (!found)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown churn metric \"%s\"", name),
						 errhint("The metrics are loan_volume, txn_volume and txn_count.")));
		}
	}
	p->trailing_weeks = policy_int(t, "trailing_weeks", p->trailing_weeks);
	p->min_history = policy_int(t, "min_history_weeks", p->min_history);
	p->confirm_weeks = policy_int(t, "confirm_weeks", p->confirm_weeks);
	p->holiday_weeks = policy_int(t, "holiday_weeks", p->holiday_weeks);
	p->week_drop = policy_float(t, "week_drop_pct", p->week_drop * 100) / 100;
	p->week_z = policy_float(t, "week_z", p->week_z);
	p->quarter_drop = policy_float(t, "quarter_drop_pct", p->quarter_drop * 100) / 100;
	p->cusum_k = policy_float(t, "cusum_k", p->cusum_k);
	p->cusum_h = policy_float(t, "cusum_h", p->cusum_h);
	p->first_year_h = policy_float(t, "first_year_cusum_h", p->first_year_h);
	p->drift_drop = policy_float(t, "drift_drop_pct", p->drift_drop * 100) / 100;
	p->z_clip = policy_float(t, "z_clip", p->z_clip);
	p->min_noise = policy_float(t, "min_noise_pct", p->min_noise * 100) / 100;
	p->warning_drop = policy_float(t, "warning_drop_pct", p->warning_drop * 100) / 100;
	p->critical_drop = policy_float(t, "critical_drop_pct", p->critical_drop * 100) / 100;
	ChurnParamsCheck(p);
}

/*
 * ChurnParamsCached
 *		ChurnParamsFromPolicy, remembered per call site.
 *
 * A scan passes the same few policy rows for every party; reading a row's
 * fifteen attributes by name costs more than the evaluation of a series,
 * so the parsed parameters are kept in fn_extra keyed by the row's bytes.
 */
#define CHURN_PARAM_CACHE 4
typedef struct ChurnParamCache
{
	int			n;
	int			next;
	Size		len[CHURN_PARAM_CACHE];
	char	   *bytes[CHURN_PARAM_CACHE];
	ChurnParams params[CHURN_PARAM_CACHE];
} ChurnParamCache;

void
ChurnParamsCached(FunctionCallInfo fcinfo, HeapTupleHeader t, ChurnParams *p)
{
	ChurnParamCache *c = (ChurnParamCache *) fcinfo->flinfo->fn_extra;
	Size		len = HeapTupleHeaderGetDatumLength(t);
	int			i;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ChurnParamCache));
		fcinfo->flinfo->fn_extra = c;
	}
	for (i = 0; i < c->n; i++)
		if (c->len[i] == len && memcmp(c->bytes[i], t, len) == 0)
		{
			*p = c->params[i];
			return;
		}
	ChurnParamsFromPolicy(t, p);
	i = c->n < CHURN_PARAM_CACHE ? c->n++ : c->next++ % CHURN_PARAM_CACHE;
	if (c->bytes[i])
		pfree(c->bytes[i]);
	c->bytes[i] = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len);
	memcpy(c->bytes[i], t, len);
	c->len[i] = len;
	c->params[i] = *p;
}

/*
 * ChurnParamsCheck
 *		The same bounds as churn_policy's CHECK constraints, for policy rows
 *		built on the fly.
 */
static void
ChurnParamsCheck(const ChurnParams *p)
{
	const char *bad = NULL;

	if (p->trailing_weeks < 2 || p->trailing_weeks > CHURN_YEAR)
		bad = "trailing_weeks must be between 2 and 52.";
	else if (p->min_history < p->trailing_weeks)
		bad = "min_history_weeks must be at least trailing_weeks.";
	else if (p->confirm_weeks < 1 || p->confirm_weeks > CHURN_QUARTER)
		bad = "confirm_weeks must be between 1 and 13.";
	else if (p->holiday_weeks < 0 || p->holiday_weeks > 8)
		bad = "holiday_weeks must be between 0 and 8.";
	else if (!(p->week_drop > 0 && p->week_drop < 1) || !(p->quarter_drop > 0 && p->quarter_drop < 1) ||
			 !(p->warning_drop > 0 && p->warning_drop < 1) || !(p->critical_drop > 0 && p->critical_drop < 1) ||
			 !(p->drift_drop >= 0 && p->drift_drop < 1))
		bad = "Percentages must lie between 0 and 100 (drift_drop_pct may be 0).";
	else if (p->warning_drop > p->critical_drop)
		bad = "warning_drop_pct must not exceed critical_drop_pct.";
	else if (!(p->week_z > 0) || !(p->cusum_k >= 0) || !(p->cusum_h > 0) || !(p->z_clip > 0) ||
			 !(p->min_noise > 0 && p->min_noise < 1) ||
			 isinf(p->week_z) || isinf(p->cusum_k) || isinf(p->cusum_h) || isinf(p->z_clip))
		bad = "week_z, cusum_h and z_clip must be positive, cusum_k non-negative, all finite.";
	else if (!(p->first_year_h >= p->cusum_h) || isinf(p->first_year_h))
		bad = "first_year_cusum_h must be finite and at least cusum_h.";
	if (bad)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid churn policy"),
				 errdetail("%s", bad)));
}

/* ---------------------------------------------------------------------
 * evaluation
 * ---------------------------------------------------------------------
 */

/* window sums over known weeks via prefix sums */
typedef struct Prefix
{
	double	   *sum;
	double	   *sq;
	int		   *cnt;
} Prefix;

static inline int
win_count(const Prefix *pf, int a, int b)
{
	if (a < 0)
		a = 0;
	if (b < a)
		return 0;
	return pf->cnt[b + 1] - pf->cnt[a];
}

/* the sum of weeks [a, b] from a prefix-sum array (a clipped to 0) */
static inline double
win_range(const double *prefix, int a, int b)
{
	if (a < 0)
		a = 0;
	if (b < a)
		return 0;
	return prefix[b + 1] - prefix[a];
}

static inline double
win_sum(const Prefix *pf, int a, int b)
{
	return win_range(pf->sum, a, b);
}

static inline double
win_sq(const Prefix *pf, int a, int b)
{
	return win_range(pf->sq, a, b);
}

/* the mean of the known weeks of [a, b] if at least half of its len weeks are known */
static inline double
win_mean(const Prefix *pf, int a, int b, int len)
{
	int			c = win_count(pf, a, b);

	if (c == 0 || c < len * CHURN_MIN_WINDOW)
		return NAN;
	return win_sum(pf, a, b) / c;
}

/*
 * season_ratio
 *		Week t's value over the centred 13-week mean of the known weeks
 *		outside holidays, NaN when unusable (unknown, less than min_history
 *		known weeks before it, no level): the ratio pass of
 *		ChurnEvaluateMetric for one week, for a resumed walk.
 */
static inline double
season_ratio(const Prefix *pf, const Prefix *pfh, const double *val, const bool *known, int t,
			 int min_history)
{
	double		cm;

	if (!known[t] || pf->cnt[t] < min_history)
		return NAN;
	cm = win_mean(pfh, t - CHURN_QUARTER / 2, t + CHURN_QUARTER / 2, CHURN_QUARTER);
	return cm > 0 ? val[t] / cm : NAN;
}

/*
 * year_offset
 *		Weeks back to "the same quarter last year" for the quarter ending with
 *		week t: 52, or, when a calendar holiday's weeks fall in the quarter,
 *		the distance to that holiday's previous occurrence, so that both
 *		quarters hold the holiday at the same place.  0 when the quarter holds
 *		a holiday whose previous occurrence the calendar does not know: no
 *		comparison.
 */
static inline int
year_offset(const int *ref, const bool *in_holiday, int t)
{
	int			j;

	for (j = Max(t - CHURN_QUARTER + 1, 0); j <= t; j++)
		if (in_holiday[j])
			return ref[j] == INT_MIN ? 0 : j - ref[j];
	return CHURN_YEAR;
}

/*
 * ChurnEvaluateMetric
 *		Walk one metric's weeks 0..T and compute the figures of each week.
 *
 * raw[0..nraw) are the series' values (NaN: no row); weeks nraw..T lie
 * after the series' last week and have no row either.  A week without a row
 * is "unknown" when it is isolated, and counts as zero activity from the
 * second consecutive week on: one missing week is a gap in the data, two
 * are silence.
 *
 * For week t, with N = trailing_weeks and v = the week's value:
 *   L     = mean of the known weeks in [t-N, t-1] (trailing mean), sd their
 *           sample deviation; week_pct = v / L - 1, week_z = (v - L) / sd.
 *   R     = reference level: L while the CUSUM is at zero; while it is
 *           above zero R moves towards L by 1/52 a week, so a slow decline
 *           is measured against the level before it.
 *   S     = seasonal factor from the same weeks last year (week r = t - 52,
 *           or aligned on a calendar holiday): the median over r-1..r+1 of
 *           value / centred 13-week mean of the non-holiday weeks (X-11's
 *           ratio to moving average), holiday weeks using week r alone,
 *           only weeks with min_history behind them, capped at 1.
 *   E     = R * S; q = v / E - 1; z = q / sigma.
 *   sigma = robust noise: an EWMA (weight 0.1) of |q| * sqrt(pi/2), each
 *           |q| capped at z_clip * sigma, updated only while in control;
 *           started from 1.4826 * MAD of v / L - 1 over the first window;
 *           at least min_noise, and 1 / sqrt(R) for counts (Poisson).
 *   C     = max(0, C + clip(-z - k')), k' = max(k, drift_drop / (2 sigma)),
 *           clip to +-z_clip (one week's evidence is bounded): the lower
 *           CUSUM; drift fires at C >= h.
 *   quarter_drop: the last 13 weeks' mean against the 13 before is down
 *           by quarter_drop_pct and by week_z * sigma * sqrt(2/13), and
 *           against the same 13 weeks last year down by quarter_drop_pct;
 *           the quarters' means leave out the holiday weeks, and "the same
 *           13 weeks last year" is aligned on a holiday that falls in the
 *           quarter (year_offset).  Without last year's quarter (the first
 *           year) the rule does not fire.
 *   week_drop: q <= -week_drop_pct and z <= -week_z in confirm_weeks
 *           consecutive known weeks.
 * Holiday weeks without a reference last year add no evidence.  Rules fire
 * only once min_history known weeks precede the week.
 *
 * Every figure of week t depends on weeks 0..t alone, and the detector
 * carries only a few numbers from one week to the next (ChurnState).  With
 * state set and state->t >= 0, the walk resumes after week state->t from
 * that state (which the caller must have from the same weeks, parameters
 * and calendar) instead of starting at week 0: the prefix sums are rebuilt
 * over every week, as the window sums must be the same to the bit, but the
 * seasonal ratios, baselines and the detector run only over the new weeks.
 * On return state holds the detector after week T - 1 (state->t = T - 1;
 * -1 when T is 0), so that the same week T can be evaluated again from it
 * (a batch rolled back, a correction of the last week) as well as a later
 * one.
 */
void
ChurnEvaluateMetric(const ChurnParams *p, const float4 *raw, int nraw, int T,
					const int *ref, const bool *in_holiday, int w0,
					Tuplestorestate *history, TupleDesc tupdesc, const char *metric,
					ChurnState *state, ChurnFigures *last)
{
	int			N = p->trailing_weeks;
	char	   *mem;
	double	   *val;
	bool	   *known;
	double	   *sig;
	double	   *trail;
	double	   *ratio;			/* value / centred non-holiday mean, NaN: unusable */
	double	   *sfacs;			/* seasonal factor of each week */
	double	   *qmean;			/* mean of the quarter ending with each week */
	bool	   *skips;			/* a holiday week without a reference */
	bool	   *seasoned;		/* a week with last year's season to go by */
	Prefix		pf;
	Prefix		pfh;			/* known weeks outside holidays */
	int			t;
	int			run = 0;
	bool		started = false;
	double		R = NAN;
	double		sigma = NAN;
	double		C = 0;
	int			drop_run = 0;
	int			ratio_last;
	int			first_week = -1;
	int			first_sev = 0;
	int			t_start = 0;	/* the first week the detector walks */
	double		allowance_drop = p->drift_drop / 2;
	double		quarter_se = p->week_z * sqrt(2.0 / CHURN_QUARTER);
	bool		is_count = strcmp(metric, "txn_count") == 0;
	Size		n1 = T + 1;
	Size		n2 = T + 2;

	/* one allocation for every per-week array */
	mem = palloc(sizeof(double) * (7 * n1 + 3 * n2) + sizeof(int) * 2 * n2 + sizeof(bool) * 3 * n1);
	val = (double *) mem;
	sig = val + n1;
	trail = sig + n1;
	ratio = trail + n1;
	sfacs = ratio + n1;
	qmean = sfacs + n1;
	pf.sum = qmean + n1;
	pf.sq = pf.sum + n2;
	pfh.sum = pf.sq + n2;
	pfh.sq = NULL;
	pf.cnt = (int *) (pfh.sum + n2);
	pfh.cnt = pf.cnt + n2;
	known = (bool *) (pfh.cnt + n2);
	skips = known + n1;
	seasoned = skips + n1;

	if (state != NULL && state->t >= 0)
	{
		Assert(history == NULL && state->t < T);
		t_start = state->t + 1;
		started = state->started;
		R = state->R;
		sigma = state->sigma;
		C = state->C;
		drop_run = state->drop_run;
		first_week = state->first_week;
		first_sev = state->first_sev;
	}

	/*
	 * a ratio is read only as r - 1, r or r + 1 of a later week whose
	 * centred window lies wholly before it: none past the largest reference
	 * week plus one, nor past T - 7
	 */
	ratio_last = -1;
	for (t = 0; t <= T; t++)
		if (ref[t] != INT_MIN && ref[t] + 1 > ratio_last)
			ratio_last = ref[t] + 1;
	ratio_last = Min(ratio_last, T - CHURN_QUARTER / 2 - 1);

	pf.sum[0] = pf.sq[0] = pfh.sum[0] = 0;
	pf.cnt[0] = pfh.cnt[0] = 0;
	for (t = 0; t <= T; t++)
	{
		float4		x = t < nraw ? raw[t] : NAN;

		if (!isnan(x))
		{
			run = 0;
			known[t] = true;
			val[t] = x;
		}
		else if (++run >= 2)
		{
			known[t] = true;
			val[t] = 0;
		}
		else
		{
			known[t] = false;
			val[t] = NAN;
		}
		pf.sum[t + 1] = pf.sum[t] + (known[t] ? val[t] : 0);
		pf.sq[t + 1] = pf.sq[t] + (known[t] ? val[t] * val[t] : 0);
		pf.cnt[t + 1] = pf.cnt[t] + (known[t] ? 1 : 0);
		pfh.sum[t + 1] = pfh.sum[t] + ((known[t] && !in_holiday[t]) ? val[t] : 0);
		pfh.cnt[t + 1] = pfh.cnt[t] + ((known[t] && !in_holiday[t]) ? 1 : 0);
	}

	/*
	 * last year's seasonal ratios: value over the centred 13-week moving
	 * average of the weeks outside holidays (as X-11 does, with the holidays'
	 * own dips kept out of the level); only weeks with a full history, since a
	 * ramp-up is no season
	 */
	if (t_start == 0)
	{
		for (t = 0; t <= T; t++)
		{
			double		cm;

			ratio[t] = NAN;
			if (t > ratio_last || !known[t] || pf.cnt[t] < p->min_history)
				continue;
			cm = win_mean(&pfh, t - CHURN_QUARTER / 2, t + CHURN_QUARTER / 2, CHURN_QUARTER);
			if (cm > 0)
				ratio[t] = val[t] / cm;
		}
	}
	else
	{
		/*
		 * resumed: only what the new weeks read, the ratios (which lie
		 * before the week's centred window) and the quarters before them
		 * (the figures' pass below does each new week's own quarter)
		 */
		for (t = t_start; t <= T; t++)
		{
			int			j;

			if (ref[t] != INT_MIN)
				for (j = Max(ref[t] - 1, 0); j <= Min(ref[t] + 1, t - CHURN_QUARTER / 2 - 1); j++)
					ratio[j] = j > ratio_last ? NAN : season_ratio(&pf, &pfh, val, known, j, p->min_history);
			j = t - CHURN_QUARTER;
			if (j >= 0 && j < t_start)
				qmean[j] = win_mean(&pfh, j - CHURN_QUARTER + 1, j, CHURN_QUARTER);
			j = year_offset(ref, in_holiday, t);
			j = j > 0 ? t - j : -1;
			if (j >= 0 && j < t_start)
				qmean[j] = win_mean(&pfh, j - CHURN_QUARTER + 1, j, CHURN_QUARTER);
		}
	}

	/*
	 * the figures that depend on the data alone, not on the detector's state
	 * (the trailing and quarter means, the seasonal factor), in a pass of
	 * their own: without the detector's chain of dependent divisions in the
	 * way, the processor overlaps their weeks
	 */
	for (t = t_start; t <= T; t++)
	{
		double		sfac = 1.0;
		bool		skip = false;
		bool		sfac_known = false;
		int			r = ref[t];

		trail[t] = win_mean(&pf, t - N, t - 1, N);
		qmean[t] = win_mean(&pfh, t - CHURN_QUARTER + 1, t, CHURN_QUARTER);

		/*
		 * same weeks last year: the median of the ratios of r-1, r, r+1 (one
		 * sharp week, a quarter end, does not spread); a holiday week uses
		 * the aligned week alone; a holiday last year explains nothing about
		 * a plain week
		 */
		if (r != INT_MIN && r >= 0)
		{
			double		x[3];
			int			cnt = 0;
			int			span = in_holiday[t] ? 0 : 1;
			int			j;

			for (j = r - span; j <= r + span; j++)
			{
				if (j < 0 || j + CHURN_QUARTER / 2 >= t || isnan(ratio[j]))
					continue;
				if (in_holiday[j] && !in_holiday[t])
					continue;
				x[cnt++] = ratio[j];
			}
			if (cnt == 3)
			{
				double		lo = Min(x[0], x[1]);
				double		hi = Max(x[0], x[1]);

				sfac = x[2] < lo ? lo : (x[2] > hi ? hi : x[2]);
			}
			else if (cnt == 2)
				sfac = (x[0] + x[1]) / 2;
			else if (cnt == 1)
				sfac = x[0];

			/*
			 * lows excuse, peaks expect nothing: quarter ends and other
			 * fixed-date peaks move by a week from year to year, and a
			 * missed peak is no sign of churn
			 */
			sfac_known = cnt > 0;
			if (cnt > 0)
				sfac = Max(Min(sfac, 1.0), 0.05);
			else if (in_holiday[t])
				skip = true;
		}
		else if (in_holiday[t])
			skip = true;
		sfacs[t] = sfac;
		skips[t] = skip;
		seasoned[t] = sfac_known;
	}

	for (t = t_start; t <= T; t++)
	{
		double		v = val[t];
		double		L = trail[t];
		double		sfac = sfacs[t];
		double		q = NAN;
		bool		skip = skips[t];
		int			r = ref[t];
		bool		in_control = (C == 0);
		int			hist = pf.cnt[t];
		int			rules = 0;
		int			severity = 0;
		double		drop = NAN;
		/*
		 * the quarter before and the same quarter last year, aligned on the
		 * holidays, each without its holiday weeks
		 */
		int			yoff = year_offset(ref, in_holiday, t);
		double		pq = t >= CHURN_QUARTER ? qmean[t - CHURN_QUARTER] : NAN;
		double		yq = (yoff > 0 && t >= yoff) ? qmean[t - yoff] : NAN;

		/* the state after week T - 1, from which week T can be done again */
		if (state != NULL && t == T)
		{
			state->t = T - 1;
			state->started = started;
			state->R = R;
			state->sigma = sigma;
			state->C = C;
			state->drop_run = drop_run;
			state->first_week = first_week;
			state->first_sev = first_sev;
		}

		/* start the detector once a full trailing window with a level exists */
		if (!started && hist >= N && L > 0)
		{
			double		dev[CHURN_YEAR];
			int			nd = 0;
			int			i;

			for (i = t - N; i < t; i++)
				if (i >= 0 && known[i])
					dev[nd++] = fabs(val[i] / L - 1);
			/* at most 52 finite values: an insertion sort beats qsort's calls */
			for (i = 1; i < nd; i++)
			{
				double		x = dev[i];
				int			j = i;

				while (j > 0 && dev[j - 1] > x)
				{
					dev[j] = dev[j - 1];
					j--;
				}
				dev[j] = x;
			}
			sigma = nd > 0 ? CHURN_MAD_NORMAL * (nd % 2 ? dev[nd / 2] : (dev[nd / 2 - 1] + dev[nd / 2]) / 2) : 0;
			sigma = Max(sigma, p->min_noise);
			R = L;
			started = true;
			in_control = true;
		}

		/*
		 * the reference follows the trailing level while in control; out of
		 * control it moves towards it by 1/52 a week, so a lasting new level
		 * is accepted within about a year while a decline of a few months
		 * stays measured against the level before it
		 */
		if (started && L > 0)
			R = in_control ? L : R + (L - R) / CHURN_YEAR;

		if (started && known[t] && R > 0 && !skip)
		{
			double		z;
			double		step;
			double		poisson = 0;

			/*
			 * counts carry Poisson noise: a count around R cannot be steadier
			 * than 1 / sqrt(R) relative
			 */
			if (is_count)
			{
				poisson = 1.0 / sqrt(R);
				sigma = Max(sigma, poisson);
			}
			q = v / (R * sfac) - 1;
			z = q / sigma;

			/*
			 * allowance: k noise units, but at least half the smallest
			 * decline worth detecting (CUSUM's k = delta / 2), so a steady
			 * series does not alarm on a few percent
			 */
			step = -z - Max(p->cusum_k, allowance_drop / sigma);
			C = Max(0, C + Max(-p->z_clip, Min(p->z_clip, step)));
			if (in_control)
			{
				double		aq = Min(fabs(q), p->z_clip * sigma);

				sigma = (1 - CHURN_NOISE_LAMBDA) * sigma + CHURN_NOISE_LAMBDA * aq * CHURN_ABS_NORMAL;
				sigma = Max(sigma, p->min_noise);
				if (is_count)
					sigma = Max(sigma, poisson);
			}
			if (q <= -p->week_drop && z <= -p->week_z)
				drop_run++;
			else
				drop_run = 0;
		}
		sig[t] = started ? sigma : NAN;

		/* rules */
		if (started && hist >= p->min_history)
		{
			/*
			 * without last year's season (the first year of history) a
			 * seasonal low cannot be told from a decline: the CUSUM must
			 * reach first_year_cusum_h
			 */
			if (C >= (seasoned[t] ? p->cusum_h : p->first_year_h))
				rules |= RULE_DRIFT;

			/*
			 * a quarter's drop counts when it is both large (quarter_drop_pct)
			 * and beyond week_z standard errors of the difference of two
			 * 13-week means, sigma * sqrt(2 / 13): a party with a handful of
			 * transactions a week moves 20 % by chance
			 */
			{
				double		qm = qmean[t];

				if (pq > 0 && !isnan(qm))
				{
					double		d = 1 - qm / pq;

					/*
					 * and against the same quarter last year: without it
					 * (the first year) a seasonal quarter cannot be told
					 * from a decline, and the rule does not fire
					 */
					if (d >= p->quarter_drop && d >= quarter_se * sigma &&
						yq > 0 && 1 - qm / yq >= p->quarter_drop)
						rules |= RULE_QUARTER;
				}
			}
			if (drop_run >= p->confirm_weeks)
				rules |= RULE_WEEK;
		}
		if (rules || history != NULL || t == T)
		{
			double		m4 = win_mean(&pf, t - 3, t, 4);

			drop = (started && R > 0 && !isnan(m4)) ? 1 - m4 / R : NAN;
		}
		if (rules)
		{
			double		d = isnan(drop) ? 0 : drop;

			if (d >= p->critical_drop)
				severity = 3;
			else if (d >= p->warning_drop || (rules & RULE_QUARTER))
				severity = 2;
			else
				severity = 1;
			if (first_week < 0)
			{
				first_week = w0 + t;
				first_sev = severity;
			}
		}

		/* the figures, for every week of a history and for the last week */
		if (history != NULL || t == T)
		{
			ChurnFigures f;
			int			c = win_count(&pf, t - N, t - 1);
			double		sd = NAN;

			memset(&f, 0, sizeof(f));
			f.week = w0 + t;
			f.value = known[t] ? v : NAN;
			f.history = hist;
			if (!isnan(L) && c >= 2)
			{
				double		var = (win_sq(&pf, t - N, t - 1) - c * L * L) / (c - 1);

				sd = var > 0 ? sqrt(var) : 0;
			}
			f.trailing_mean = L;
			f.trailing_sd = sd;
			f.week_pct = (known[t] && L > 0) ? (v / L - 1) * 100 : NAN;
			f.week_z = (known[t] && sd > 0) ? (v - L) / sd : NAN;
			f.last_year_value = f.last_year_pct = NAN;
			if (r != INT_MIN && r >= 0 && known[r])
			{
				f.last_year_value = val[r];
				if (known[t] && val[r] > 0)
					f.last_year_pct = (v / val[r] - 1) * 100;
			}
			f.seasonal_factor = sfac;
			f.reference = started ? R : NAN;
			f.expected = (started && R > 0) ? R * sfac : NAN;
			f.noise = started ? sigma : NAN;
			f.cusum = started ? C : NAN;
			f.quarter_mean = qmean[t];
			f.prev_quarter_pct = (pq > 0 && !isnan(f.quarter_mean)) ? (f.quarter_mean / pq - 1) * 100 : NAN;
			f.last_year_quarter_pct = (yq > 0 && !isnan(f.quarter_mean)) ? (f.quarter_mean / yq - 1) * 100 : NAN;
			f.level_drop_pct = isnan(drop) ? NAN : drop * 100;
			f.rules = rules;
			f.severity = severity;
			f.first_alert_week = first_week;
			f.first_alert_severity = first_sev;
			if (history != NULL)
				ChurnPutFigures(history, tupdesc, metric, &f);
			if (t == T)
				*last = f;
		}
	}
	pfree(mem);
}

static Datum
nullable_float(double x, bool *isnull)
{
	*isnull = isnan(x);
	return Float8GetDatum(*isnull ? 0 : x);
}

/*
 * ChurnRulesText
 *		The rules that fired, joined by "+" (drift+quarter_drop); "" for
 *		none.
 */
char *
ChurnRulesText(int rules)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (rules & RULE_DRIFT)
		appendStringInfoString(&buf, "drift");
	if (rules & RULE_QUARTER)
		appendStringInfo(&buf, "%squarter_drop", buf.len ? "+" : "");
	if (rules & RULE_WEEK)
		appendStringInfo(&buf, "%sweek_drop", buf.len ? "+" : "");
	return buf.data;
}

static void
ChurnFiguresValues(const char *metric, const ChurnFigures *f, Datum *values, bool *nulls)
{
	int			i = 0;

	values[i] = CStringGetTextDatum(metric);
	nulls[i++] = false;
	values[i] = DateADTGetDatum(ChurnWeekToDate(f->week));
	nulls[i++] = false;
	values[i] = nullable_float(f->value, &nulls[i]);
	i++;
	values[i] = Int32GetDatum(f->history);
	nulls[i++] = false;
	values[i] = nullable_float(f->trailing_mean, &nulls[i]);
	i++;
	values[i] = nullable_float(f->trailing_sd, &nulls[i]);
	i++;
	values[i] = nullable_float(f->week_pct, &nulls[i]);
	i++;
	values[i] = nullable_float(f->week_z, &nulls[i]);
	i++;
	values[i] = nullable_float(f->last_year_value, &nulls[i]);
	i++;
	values[i] = nullable_float(f->last_year_pct, &nulls[i]);
	i++;
	values[i] = nullable_float(f->seasonal_factor, &nulls[i]);
	i++;
	values[i] = nullable_float(f->expected, &nulls[i]);
	i++;
	values[i] = nullable_float(f->quarter_mean, &nulls[i]);
	i++;
	values[i] = nullable_float(f->prev_quarter_pct, &nulls[i]);
	i++;
	values[i] = nullable_float(f->last_year_quarter_pct, &nulls[i]);
	i++;
	values[i] = nullable_float(f->noise, &nulls[i]);
	i++;
	values[i] = nullable_float(f->reference, &nulls[i]);
	i++;
	values[i] = nullable_float(f->cusum, &nulls[i]);
	i++;
	values[i] = nullable_float(f->level_drop_pct, &nulls[i]);
	i++;
	nulls[i] = f->rules == 0;
	values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(ChurnRulesText(f->rules));
	i++;
	nulls[i] = f->severity == 0;
	values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(churn_severity_names[f->severity]);
	i++;
	nulls[i] = f->first_alert_week < 0;
	values[i] = nulls[i] ? (Datum) 0 : DateADTGetDatum(ChurnWeekToDate(f->first_alert_week));
	i++;
	nulls[i] = f->first_alert_week < 0;
	values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(churn_severity_names[f->first_alert_severity]);
	i++;
	Assert(i == CHURN_FIGURES_NATTS);
}

static void
ChurnPutFigures(Tuplestorestate *ts, TupleDesc tupdesc, const char *metric, const ChurnFigures *f)
{
	Datum		values[CHURN_FIGURES_NATTS];
	bool		nulls[CHURN_FIGURES_NATTS];

	ChurnFiguresValues(metric, f, values, nulls);
	tuplestore_putvalues(ts, tupdesc, values, nulls);
}

HeapTuple
ChurnFiguresTuple(TupleDesc tupdesc, const char *metric, const ChurnFigures *f)
{
	Datum		values[CHURN_FIGURES_NATTS];
	bool		nulls[CHURN_FIGURES_NATTS];

	ChurnFiguresValues(metric, f, values, nulls);
	return heap_form_tuple(tupdesc, values, nulls);
}

/* the index of the series' last week with a row (0 if none) */
int
ChurnSeriesLastIndex(const ChurnSeries *s)
{
	int			T;
	int			m;

	for (T = s->n - 1; T > 0; T--)
		for (m = 0; m < CHURN_METRICS; m++)
			if (!isnan(s->v[m * s->n + T]))
				return T;
	return 0;
}

/*
 * churn_evaluate_series
 *		The shared body of churn_evaluate and churn_history.
 *
 * Arguments: series real[], policy churn_policy, as_of date (NULL: the
 * series' last week), holidays date[], holidays_prev date[].  as_of before
 * the series' first week gives no rows; after its last week, the weeks in
 * between have no row.
 */
static Datum
churn_evaluate_series(FunctionCallInfo fcinfo, bool history)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ChurnSeries s;
	ChurnParams p;
	ChurnCalendar cal;
	int			T;
	int		   *ref;
	bool	   *in_holiday;
	int			m;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(0), &s);
	if (PG_ARGISNULL(1))
		ChurnParamsDefault(&p);
	else
		ChurnParamsCached(fcinfo, PG_GETARG_HEAPTUPLEHEADER(1), &p);
	if (PG_ARGISNULL(2))
		T = ChurnSeriesLastIndex(&s);
	else
	{
		int			wn = ChurnDateToWeek(PG_GETARG_DATEADT(2), "as_of");

		if (wn < s.w0)
			return (Datum) 0;
		if ((int64) wn - s.w0 > 100 * CHURN_YEAR)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of lies more than 100 years after the series' first week")));
		T = wn - s.w0;
	}
	ref = palloc(sizeof(int) * (T + 1));
	in_holiday = palloc(sizeof(bool) * (T + 1));
	ChurnCalendarDecode(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3),
						PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4), &cal);
	ChurnReferenceWeeks(s.w0, T + 1, &cal, p.holiday_weeks, ref, in_holiday);
	for (m = 0; m < CHURN_METRICS; m++)
	{
		ChurnFigures last;

		if (!p.metrics[m])
			continue;
		ChurnEvaluateMetric(&p, s.v + m * s.n, s.n, T, ref, in_holiday, s.w0,
							history ? rsinfo->setResult : NULL, rsinfo->setDesc,
							churn_metric_names[m], NULL, &last);
		if (!history)
			ChurnPutFigures(rsinfo->setResult, rsinfo->setDesc, churn_metric_names[m], &last);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(churn_evaluate);
Datum
churn_evaluate(PG_FUNCTION_ARGS)
{
	return churn_evaluate_series(fcinfo, false);
}

PG_FUNCTION_INFO_V1(churn_history);
Datum
churn_history(PG_FUNCTION_ARGS)
{
	return churn_evaluate_series(fcinfo, true);
}

/*
 * churn_evaluate_alerts(series, policy, as_of, holidays, holidays_prev)
 *		-> churn_figures[]
 *
 * The figures of the metrics whose severity is set as of a week, or NULL
 * when none is: what churn_apply needs from each of many parties, without
 * a result set per party (most parties have nothing to report).
 */
PG_FUNCTION_INFO_V1(churn_evaluate_alerts);
Datum
churn_evaluate_alerts(PG_FUNCTION_ARGS)
{
	ChurnSeries s;
	ChurnParams p;
	ChurnCalendar cal;
	TupleDesc	tupdesc;
	Datum		hits[CHURN_METRICS];
	int			nhits = 0;
	int			T;
	int		   *ref;
	bool	   *in_holiday;
	int			m;
	int			dims[1];
	int			lbs[1] = {1};
	Oid			elemtype;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	ProgressTick();				/* churn_scan: one party more */
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ChurnSeriesUnpack(PG_GETARG_ARRAYTYPE_P(0), &s);
	if (PG_ARGISNULL(1))
		ChurnParamsDefault(&p);
	else
		ChurnParamsCached(fcinfo, PG_GETARG_HEAPTUPLEHEADER(1), &p);
	if (PG_ARGISNULL(2))
		T = ChurnSeriesLastIndex(&s);
	else
	{
		int			wn = ChurnDateToWeek(PG_GETARG_DATEADT(2), "as_of");

		if (wn < s.w0)
			PG_RETURN_NULL();
		if ((int64) wn - s.w0 > 100 * CHURN_YEAR)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of lies more than 100 years after the series' first week")));
		T = wn - s.w0;
	}
	ref = palloc(sizeof(int) * (T + 1));
	in_holiday = palloc(sizeof(bool) * (T + 1));
	ChurnCalendarDecode(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3),
						PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4), &cal);
	ChurnReferenceWeeks(s.w0, T + 1, &cal, p.holiday_weeks, ref, in_holiday);
	tupdesc = NULL;
	for (m = 0; m < CHURN_METRICS; m++)
	{
		ChurnFigures last;

		if (!p.metrics[m])
			continue;
		ChurnEvaluateMetric(&p, s.v + m * s.n, s.n, T, ref, in_holiday, s.w0, NULL, NULL,
							churn_metric_names[m], NULL, &last);
		if (last.severity == 0)
			continue;
		if (tupdesc == NULL)
		{
			elemtype = get_fn_expr_rettype(fcinfo->flinfo);
			elemtype = OidIsValid(elemtype) ? get_element_type(elemtype) : InvalidOid;
			if (!OidIsValid(elemtype))
				elog(ERROR, "churn_evaluate_alerts must return churn_figures[]");
			tupdesc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(elemtype, -1));
		}
		hits[nhits++] = HeapTupleGetDatum(ChurnFiguresTuple(tupdesc, churn_metric_names[m], &last));
	}
	pfree(ref);
	pfree(in_holiday);
	if (nhits == 0)
		PG_RETURN_NULL();
	dims[0] = nhits;
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	PG_RETURN_ARRAYTYPE_P(construct_md_array(hits, NULL, 1, dims, lbs, elemtype, typlen, typbyval, typalign));
}
