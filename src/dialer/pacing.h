/*-------------------------------------------------------------------------
 *
 * pacing.h
 *	  Dialer pacing: the calls-per-second token bucket, the reconnect
 *	  backoff with jitter, and predictive pacing (how many numbers to ring
 *	  now so that agents rarely wait and answered customers rarely do).
 *
 * Plain C99 with no PostgreSQL headers: times are microseconds or
 * milliseconds as int64_t from any monotonic clock the caller uses, and
 * randomness comes in as an argument, so the arithmetic can be tested alone.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/pacing.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_PACING_H
#define BANKCRM_PACING_H

#include <stdint.h>

/* a token bucket: "rate" tokens a second, holding at most "burst" */
typedef struct PacingBucket
{
	double		rate;			/* tokens per second, > 0 */
	double		burst;			/* capacity, >= 1 */
	double		tokens;			/* tokens now (fractional) */
	int64_t		last_us;		/* when tokens was last brought up to date */
} PacingBucket;

extern void PacingBucketInit(PacingBucket *bucket, double rate, int64_t now_us);
extern void PacingBucketSetRate(PacingBucket *bucket, double rate, int64_t now_us);
extern int	PacingBucketAvailable(PacingBucket *bucket, int64_t now_us);
extern void PacingBucketTake(PacingBucket *bucket, int n);
extern int64_t PacingBucketWaitUs(PacingBucket *bucket, int64_t now_us);

/* backoff delays are capped here (about 99 days): no overflow, exact jitter */
#define PACING_BACKOFF_LIMIT_MS INT64_C(8589934590)

extern int64_t PacingBackoffMs(int failures, int64_t min_ms, int64_t max_ms, uint32_t random);

/*
 * Predictive pacing.  Durations are seconds as doubles.
 *
 * A log-normal distribution of durations: ln(T) ~ N(mu, sigma^2).  Talk plus
 * wrap-up time and the ring time of answered calls are modelled this way.
 */
typedef struct PacingLogNormal
{
	double		mu;
	double		sigma;			/* >= 0; 0 means always exp(mu) */
} PacingLogNormal;

extern PacingLogNormal PacingLogNormalOf(double mean_s, double cv);
extern double PacingLogNormalMean(PacingLogNormal d);
extern double PacingLogNormalCdf(PacingLogNormal d, double t);

/*
 * A running log-normal fit: exponentially weighted sums of ln(T) and ln(T)^2,
 * started from a prior that counts as "weight" samples.
 */
typedef struct PacingFit
{
	double		weight;
	double		sum;
	double		sum2;
} PacingFit;

extern void PacingFitInit(PacingFit *fit, double mean_s, double cv, double weight);
extern void PacingFitAdd(PacingFit *fit, double seconds, double keep);
extern PacingLogNormal PacingFitGet(const PacingFit *fit);

/* a running share (answered per call, human per answer), with a prior */
typedef struct PacingShare
{
	double		hits;
	double		trials;
} PacingShare;

extern void PacingShareInit(PacingShare *share, double prior, double weight);
extern void PacingShareAdd(PacingShare *share, int hit, double keep);
extern double PacingShareGet(const PacingShare *share);

/* what the pacing sees at one tick */
typedef struct PacingInput
{
	int			agents_ready;	/* logged in, idle, no customer offered */
	int			agents_busy;	/* talking (or in a wrap-up handle includes) */
	const double *busy_s;		/* how long each busy agent has been busy */
	int			ringing_slots;	/* entries of ringing_by_s */
	const int  *ringing_by_s;	/* calls placed, not answered yet, by time
								 * rung: [k] have rung k to k+1 slots */
	double		ring_slot_s;	/* a slot's width in seconds (0: 1 s) */
	int			lines_screening;	/* answered, answering-machine detection running */
	int			waiting;		/* live customers waiting for an agent now */
	int			max_new;		/* most new calls allowed now (channels, calls a second) */
	int64_t		finished;		/* calls the talk-and-wrap-up fit has learnt from */

	double		answer_rate;	/* answered / placed */
	double		human_share;	/* live (human) / answered */
	PacingLogNormal ring;		/* ring time of answered calls */
	double		ring_timeout_s; /* unanswered calls are given up after this */
	double		screen_s;		/* answer to the detector's verdict */
	PacingLogNormal handle;		/* talk plus wrap-up */

	int64_t		live_day;		/* live answers today */
	int64_t		abandoned_day;	/* of which abandoned */
	int64_t		live_window;	/* the same in the last 15 minutes */
	int64_t		abandoned_window;
	double		cap_day;		/* the law: 0.03 */
	double		cap_window;		/* never above: 0.05 */
	double		target;			/* abandoned share aimed at: below cap_day */

	double		wrapup_s;		/* a fixed wrap-up after each call, beyond handle
								 * (0: none, or wrap-up is within handle) */
	int			agents_wrapup;	/* in wrap-up: free at a known time */
	const double *wrapup_left_s;	/* seconds until each is free; < 0: until it
									 * says so */
} PacingInput;

/* what it decided, and why */
typedef struct PacingDecision
{
	int			dial;			/* new calls to place now */
	int			fallback;		/* 1: dialing progressively (abandonment close to a cap) */
	double		tolerance;		/* abandoned share allowed for this decision */
	double		horizon_s;		/* a new call's live answer is expected this far ahead */
	double		live_expected;	/* at the checkpoint that bound: live answers by then */
	double		agents_expected;	/* and agents free by then (plus the 2 s a customer waits) */
	double		abandon_expected;	/* E[(live - agents)+] there, with the new calls */
} PacingDecision;

/* defaults for PacingInput's caps */
#define PACING_CAP_DAY 0.03
#define PACING_CAP_WINDOW 0.05
#define PACING_TARGET 0.01

/* a live customer waits this long for an agent before the call is abandoned */
#define PACING_ABANDON_S 2.0

/* predictive only once the talk-and-wrap-up fit has learnt from this many calls */
#define PACING_MIN_FINISHED 30

/* the checkpoints at which live answers and free agents are compared */
#define PACING_CHECKPOINTS 4

extern int	PacingRinging(const PacingInput *in);
extern int	PacingProgressive(const PacingInput *in, PacingDecision *out);
extern int	PacingPredictive(const PacingInput *in, PacingDecision *out);
extern double PacingTolerance(const PacingInput *in);
extern double PacingExcess(double mean, double var);

#endif							/* BANKCRM_PACING_H */
