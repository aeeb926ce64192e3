/*-------------------------------------------------------------------------
 *
 * pacing.c
 *	  Dialer pacing: the calls-per-second token bucket, the reconnect
 *	  backoff with jitter, and predictive pacing.
 *
 * The bucket holds at most a tenth of a second of tokens (and never less
 * than one), so a PBX configured for 500 originates a second gets them in
 * bursts of at most 50, never 500 at once after an idle minute.  The worker
 * asks how many tokens are available, claims at most that many attempts from
 * the database, and takes as many tokens as it actually sent.
 *
 * The backoff doubles from min_ms with every consecutive failure up to
 * max_ms, then moves by up to 12.5 % either way, so that the workers of
 * several databases that lost the same PBX do not reconnect in step.  The
 * result is never below min_ms / 2, so a broken PBX never causes a tight
 * loop.
 *
 * Predictive pacing decides, at every tick, how many numbers to ring so
 * that live answers meet free agents.  At four checkpoints (half the
 * horizon, the horizon = a new call's mean ring time plus the answering-
 * machine detector's time, half way to the ring timeout, the ring timeout
 * plus detection) it compares the live answers expected by then with the
 * agents free by then plus the 2 s a customer waits.  Agents: the ready ones
 * plus each busy one with the probability that its talk-and-wrap-up time,
 * learnt as a log-normal, ends by then given how long it has lasted.  Live
 * answers: the customers waiting, the calls in detection (each human with
 * the learnt human share), the calls ringing (each answered by then with
 * the probability its ring time so far leaves) and the new calls.  Both are
 * sums of Bernoulli variables; their difference is taken as normal with
 * PACING_DISPERSION times their variance, and its positive part is the
 * expected number of abandoned calls.  The pacing rings the most new numbers
 * for which that stays within the tolerated share of the live answers at
 * every checkpoint.
 *
 * The tolerance is the target (1 % by default) scaled down linearly as the
 * abandonment measured today approaches the daily cap (3 %), as the
 * abandoned calls the day could still take within its cap fall to a spare
 * of two plus one for every PACING_AGENTS_PER_SPARE agents (a list may run
 * out at any moment, and the share abandoned by then is the day's), as the
 * abandonment of the last 15 minutes approaches four fifths of its cap
 * (5 %), as the abandoned calls that window could still take within that
 * limit fall from three to two, and in proportion for a window whose limit
 * holds fewer than PACING_WINDOW_CALLS calls; at zero, and before the talk
 * time has been learnt from PACING_MIN_FINISHED calls, the pacing is
 * progressive: never more calls ringing than agents ready, which abandons
 * no one.  The constants were calibrated with test/bench/dialer_sim.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/pacing.c
 *
 *-------------------------------------------------------------------------
 */
#include "pacing.h"

#include <math.h>
#include <stddef.h>

/* the bucket holds this many seconds of tokens */
#define PACING_BURST_SECONDS 0.1

static double
bucket_capacity(double rate)
{
	double		burst = rate * PACING_BURST_SECONDS;

	return burst < 1.0 ? 1.0 : burst;
}

/*
 * PacingBucketInit
 *		A full bucket for "rate" tokens a second.
 */
void
PacingBucketInit(PacingBucket *bucket, double rate, int64_t now_us)
{
	if (!(rate > 0.0))
		rate = 1.0;
	bucket->rate = rate;
	bucket->burst = bucket_capacity(rate);
	bucket->tokens = bucket->burst;
	bucket->last_us = now_us;
}

/* bring the tokens up to date */
static void
bucket_refill(PacingBucket *bucket, int64_t now_us)
{
	if (now_us > bucket->last_us)
	{
		bucket->tokens += (double) (now_us - bucket->last_us) * bucket->rate / 1e6;
		if (bucket->tokens > bucket->burst)
			bucket->tokens = bucket->burst;
	}
	bucket->last_us = now_us;
}

/*
 * PacingBucketSetRate
 *		Change the rate (the PBX row was edited), keeping the tokens earned.
 */
void
PacingBucketSetRate(PacingBucket *bucket, double rate, int64_t now_us)
{
	if (!(rate > 0.0) || rate == bucket->rate)
		return;
	bucket_refill(bucket, now_us);
	bucket->rate = rate;
	bucket->burst = bucket_capacity(rate);
	if (bucket->tokens > bucket->burst)
		bucket->tokens = bucket->burst;
}

/*
 * PacingBucketAvailable
 *		Whole tokens available now.
 */
int
PacingBucketAvailable(PacingBucket *bucket, int64_t now_us)
{
	bucket_refill(bucket, now_us);
	return bucket->tokens < 0.0 ? 0 : (int) bucket->tokens;
}

/*
 * PacingBucketTake
 *		Spend n tokens (n no more than PacingBucketAvailable returned).
 */
void
PacingBucketTake(PacingBucket *bucket, int n)
{
	bucket->tokens -= (double) n;
	if (bucket->tokens < 0.0)
		bucket->tokens = 0.0;
}

/*
 * PacingBucketWaitUs
 *		Microseconds until the next whole token; 0 if one is there.
 */
int64_t
PacingBucketWaitUs(PacingBucket *bucket, int64_t now_us)
{
	double		missing;

	bucket_refill(bucket, now_us);
	missing = 1.0 - bucket->tokens;
	if (missing <= 0.0)
		return 0;
	return (int64_t) (missing * 1e6 / bucket->rate) + 1;
}

/*
 * PacingBackoffMs
 *		Delay before the next connection attempt after "failures" consecutive
 *		failures (1 for the first): min_ms * 2^(failures-1), capped at max_ms,
 *		then moved by -12.5 % .. +12.5 % according to "random".
 */
int64_t
PacingBackoffMs(int failures, int64_t min_ms, int64_t max_ms, uint32_t random)
{
	int64_t		delay;
	int64_t		spread;
	int			i;

	if (min_ms < 1)
		min_ms = 1;
	/* bounded so that doubling and the jitter's 32-bit modulus stay exact */
	if (min_ms > PACING_BACKOFF_LIMIT_MS)
		min_ms = PACING_BACKOFF_LIMIT_MS;
	if (max_ms > PACING_BACKOFF_LIMIT_MS)
		max_ms = PACING_BACKOFF_LIMIT_MS;
	if (max_ms < min_ms)
		max_ms = min_ms;
	delay = min_ms;
	for (i = 1; i < failures && delay < max_ms; i++)
		delay *= 2;
	if (delay > max_ms)
		delay = max_ms;
	/* jitter: uniform in [-delay/8, +delay/8] */
	spread = delay / 4;
	if (spread > 0)
		delay += (int64_t) (random % (uint32_t) (spread + 1)) - spread / 2;
	if (delay < min_ms / 2)
		delay = min_ms / 2;
	return delay < 1 ? 1 : delay;
}

/* ------------------------------------------------------------------------
 * predictive pacing
 * ------------------------------------------------------------------------
 */

/* C99 has no M_SQRT2 nor M_PI */
#define PACING_SQRT2 1.41421356237309504880
#define PACING_SQRT_2PI 2.50662827463100050242

/* the shortest duration a fit takes, so that ln() stays finite */
#define PACING_MIN_SECONDS 0.01

/* the 15-minute abandonment is held below this share of its cap */
#define PACING_WINDOW_HEADROOM 0.8

/*
 * Windows whose limit holds fewer abandoned calls than this get a tolerance
 * in proportion: abandoned calls come in clusters (one burst of live
 * answers), which a window of few live answers cannot absorb.
 */
#define PACING_WINDOW_CALLS 8.0

/*
 * Predictive only while the day's cap can still take this many abandoned
 * calls, plus one for every PACING_AGENTS_PER_SPARE agents logged in (see
 * PacingTolerance).  Calibrated with test/bench/dialer_sim.c: with a spare
 * of two alone, 200 agents starting their day together abandoned 3-7 % of
 * the first minute's live answers.
 */
#define PACING_DAY_SPARE 2.0
#define PACING_AGENTS_PER_SPARE 10.0

/*
 * The variance of live answers less free agents is taken as this many
 * times that of independent Bernoulli variables: calls placed in the same
 * seconds answer together and agents free together.  Calibrated with the
 * simulation bench (test/bench/dialer_sim.c): with 1 the abandonment came
 * out two to four times the model's expectation.
 */
#define PACING_DISPERSION 2.5

static double
clamp01(double x)
{
	if (!(x > 0.0))
		return 0.0;
	return x > 1.0 ? 1.0 : x;
}

/*
 * PacingLogNormalOf
 *		The log-normal with this mean and coefficient of variation
 *		(sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2).
 */
PacingLogNormal
PacingLogNormalOf(double mean_s, double cv)
{
	PacingLogNormal d;
	double		var;

	if (!(mean_s > PACING_MIN_SECONDS))
		mean_s = PACING_MIN_SECONDS;
	if (!(cv > 0.0))
		cv = 0.0;
	var = log1p(cv * cv);
	d.sigma = sqrt(var);
	d.mu = log(mean_s) - var / 2.0;
	return d;
}

/* PacingLogNormalMean: exp(mu + sigma^2 / 2) */
double
PacingLogNormalMean(PacingLogNormal d)
{
	return exp(d.mu + d.sigma * d.sigma / 2.0);
}

/* PacingLogNormalCdf: P(T <= t) */
double
PacingLogNormalCdf(PacingLogNormal d, double t)
{
	if (!(t > 0.0))
		return 0.0;
	if (!(d.sigma > 0.0))
		return log(t) >= d.mu ? 1.0 : 0.0;
	return 0.5 * erfc(-(log(t) - d.mu) / (d.sigma * PACING_SQRT2));
}

/*
 * PacingFitInit
 *		A fit that starts as the log-normal of this mean and cv, counted as
 *		"weight" samples.
 */
void
PacingFitInit(PacingFit *fit, double mean_s, double cv, double weight)
{
	PacingLogNormal d = PacingLogNormalOf(mean_s, cv);

	if (!(weight > 0.0))
		weight = 0.0;
	fit->weight = weight;
	fit->sum = weight * d.mu;
	fit->sum2 = weight * (d.mu * d.mu + d.sigma * d.sigma);
}

/*
 * PacingFitAdd
 *		One observed duration; older samples keep "keep" (0 < keep <= 1) of
 *		their weight, so that about 1 / (1 - keep) recent samples count.
 */
void
PacingFitAdd(PacingFit *fit, double seconds, double keep)
{
	double		x;

	if (isnan(seconds))
		return;
	if (!(keep > 0.0) || keep > 1.0)
		keep = 1.0;
	x = log(seconds > PACING_MIN_SECONDS ? seconds : PACING_MIN_SECONDS);
	fit->weight = fit->weight * keep + 1.0;
	fit->sum = fit->sum * keep + x;
	fit->sum2 = fit->sum2 * keep + x * x;
}

/* PacingFitGet: the fitted log-normal ({0, 0} before any weight) */
PacingLogNormal
PacingFitGet(const PacingFit *fit)
{
	PacingLogNormal d = {0.0, 0.0};
	double		var;

	if (!(fit->weight > 0.0))
		return d;
	d.mu = fit->sum / fit->weight;
	var = fit->sum2 / fit->weight - d.mu * d.mu;
	d.sigma = var > 0.0 ? sqrt(var) : 0.0;
	return d;
}

/* PacingShareInit: a share that starts at "prior", counted as "weight" trials */
void
PacingShareInit(PacingShare *share, double prior, double weight)
{
	if (!(weight > 0.0))
		weight = 0.0;
	share->trials = weight;
	share->hits = clamp01(prior) * weight;
}

/* PacingShareAdd: one trial, a hit when "hit" is non-zero */
void
PacingShareAdd(PacingShare *share, int hit, double keep)
{
	if (!(keep > 0.0) || keep > 1.0)
		keep = 1.0;
	share->hits = share->hits * keep + (hit ? 1.0 : 0.0);
	share->trials = share->trials * keep + 1.0;
}

/* PacingShareGet: hits / trials, 0 before any trial */
double
PacingShareGet(const PacingShare *share)
{
	return share->trials > 0.0 ? clamp01(share->hits / share->trials) : 0.0;
}

/*
 * PacingExcess
 *		E[max(X, 0)] for X normal with this mean and variance:
 *		mean * Phi(mean / sd) + sd * phi(mean / sd).
 */
double
PacingExcess(double mean, double var)
{
	double		sd;
	double		z;

	if (!(var > 0.0))
		return mean > 0.0 ? mean : 0.0;
	sd = sqrt(var);
	z = mean / sd;
	return mean * 0.5 * erfc(-z / PACING_SQRT2) + sd * exp(-z * z / 2.0) / PACING_SQRT_2PI;
}

/*
 * PacingTolerance
 *		The abandoned share allowed for the next calls: the target, scaled
 *		down linearly from 1 (at or below the target) to 0 (at the cap) by
 *		the share abandoned today, and likewise by the share abandoned in the
 *		last 15 minutes against four fifths of the window's cap; and by the
 *		abandoned calls the day and the window could still take.
 */
double
PacingTolerance(const PacingInput *in)
{
	double		target = in->target;
	double		f = 1.0;
	double		limit;

	if (!(target > 0.0))
		return 0.0;
	if (in->live_day > 0)
	{
		double		rate = (double) in->abandoned_day / (double) in->live_day;

		if (in->cap_day > target)
			f = fmin(f, clamp01((in->cap_day - rate) / (in->cap_day - target)));
		else if (rate >= in->cap_day)
			f = 0.0;
	}
	/*
	 * The day by its count too: a campaign's list may run out at any moment,
	 * and the share abandoned by then is the day's, so the share must be
	 * within the cap at every moment, not only by the evening.  None while
	 * the day's cap could not take a spare of abandoned calls (two, and one
	 * more for every PACING_AGENTS_PER_SPARE agents: a larger team places
	 * more calls at once, and an early forecast has learnt little of the
	 * day), full once it could take two more than that.  So every day
	 * starts progressively: 100 live answers for a team of 10 agents,
	 * about 730 for 200.
	 */
	if (in->cap_day > 0.0)
	{
		double		spare = PACING_DAY_SPARE +
			(double) (in->agents_ready + in->agents_busy + in->agents_wrapup) / PACING_AGENTS_PER_SPARE;

		f = fmin(f, clamp01((in->cap_day * (double) in->live_day - (double) in->abandoned_day - spare) /
							PACING_DAY_SPARE));
	}
	else
		f = 0.0;

	/*
	 * The window: by its share as for the day, and by its count, as a small
	 * team's window holds few live answers: full tolerance while it can
	 * take three more abandoned calls within four fifths of its cap, none
	 * when it cannot take two (so no window starts predictively, and one
	 * burst of two abandoned calls cannot pass the cap).  With "one" and
	 * "two", a team of 20 with 6-minute talks (40 live answers in a window)
	 * had a window of 7.3 % in one of 144 simulated days.
	 */
	limit = in->cap_window * PACING_WINDOW_HEADROOM;
	if (in->live_window > 0)
	{
		double		rate = (double) in->abandoned_window / (double) in->live_window;

		if (limit > target)
			f = fmin(f, clamp01((limit - rate) / (limit - target)));
		else if (rate >= limit)
			f = 0.0;
	}
	f = fmin(f, clamp01(limit * (double) in->live_window - (double) in->abandoned_window - 2.0));
	f = fmin(f, clamp01(limit * (double) in->live_window / PACING_WINDOW_CALLS));
	if (target > in->cap_day)
		target = in->cap_day;
	return target * f;
}

/* PacingRinging: the calls ringing, over all slots */
int
PacingRinging(const PacingInput *in)
{
	int			n = 0;
	int			k;

	for (k = 0; k < in->ringing_slots; k++)
		n += in->ringing_by_s[k] > 0 ? in->ringing_by_s[k] : 0;
	return n;
}

/* calls that progressive dialing places now: one per ready agent not yet covered */
static int
progressive_count(const PacingInput *in)
{
	int			n = in->agents_ready - PacingRinging(in) - in->lines_screening - in->waiting;

	if (n > in->max_new)
		n = in->max_new;
	return n > 0 ? n : 0;
}

/*
 * PacingProgressive
 *		One call per ready agent that has none ringing for it: never more
 *		calls than agents, so nobody is abandoned.
 */
int
PacingProgressive(const PacingInput *in, PacingDecision *out)
{
	PacingDecision d = {0};

	d.dial = progressive_count(in);
	d.fallback = 1;
	if (out)
		*out = d;
	return d.dial;
}

/* the sums of independent Bernoulli variables at one checkpoint */
typedef struct Checkpoint
{
	double		live_mean;		/* from the calls already placed */
	double		live_var;
	double		p_new;			/* a new call is live by then */
	double		agents_mean;
	double		agents_var;
} Checkpoint;

/* expected abandoned calls at a checkpoint with n new calls, less the tolerated share */
static double
over(const Checkpoint *c, int n, double tolerance)
{
	double		live = c->live_mean + n * c->p_new;

	return PacingExcess(live - c->agents_mean,
						PACING_DISPERSION * (c->live_var + n * c->p_new * (1.0 - c->p_new) + c->agents_var))
		- tolerance * live;
}

static double
worst_over(const Checkpoint *cp, int n, double tolerance, int *which)
{
	double		worst = -1e300;
	int			k;

	for (k = 0; k < PACING_CHECKPOINTS; k++)
	{
		double		o = over(&cp[k], n, tolerance);

		if (o > worst)
		{
			worst = o;
			if (which)
				*which = k;
		}
	}
	return worst;
}

/*
 * checkpoints
 *		The live answers and free agents expected by each checkpoint from the
 *		situation now; returns the horizon.
 */
static double
checkpoints(const PacingInput *in, Checkpoint *cp)
{
	double		at[PACING_CHECKPOINTS];
	double		horizon;
	double		ring_mean;
	double		ring_all;
	double		screen = in->screen_s > 0.0 ? in->screen_s : 0.0;
	double		timeout;
	double		hs = clamp01(in->human_share);
	double		pa = clamp01(in->answer_rate);
	double		wrapup = in->wrapup_s > 0.0 ? in->wrapup_s : 0.0;
	double		slot = in->ring_slot_s > 0.0 ? in->ring_slot_s : 1.0;
	int			i;
	int			k;

	ring_mean = PacingLogNormalMean(in->ring);
	timeout = in->ring_timeout_s > 0.0 ? in->ring_timeout_s : 3.0 * ring_mean;
	if (ring_mean > timeout)
		ring_mean = timeout;
	horizon = ring_mean + screen;
	ring_all = PacingLogNormalCdf(in->ring, timeout);

	/* half the horizon, the horizon, half way to the longest ring, the longest ring */
	at[0] = horizon / 2.0;
	at[1] = horizon;
	at[2] = (horizon + timeout + screen) / 2.0;
	at[3] = timeout + screen;

	for (k = 0; k < PACING_CHECKPOINTS; k++)
	{
		Checkpoint *c = &cp[k];
		double		by = at[k] - screen;	/* answered by then to be live by at[k] */

		c->p_new = ring_all > 0.0 ? pa * hs * clamp01(PacingLogNormalCdf(in->ring, by) / ring_all) : 0.0;
		c->agents_mean = in->agents_ready > 0 ? in->agents_ready : 0;
		c->agents_var = 0.0;
		c->live_mean = (in->waiting > 0 ? in->waiting : 0) + in->lines_screening * hs;
		c->live_var = in->lines_screening * hs * (1.0 - hs);
	}

	/*
	 * agents: each busy one as it may finish by each checkpoint (plus the 2 s
	 * a customer waits), and then its fixed wrap-up; each in wrap-up when
	 * that ends
	 */
	for (i = 0; i < in->agents_busy; i++)
	{
		double		e = in->busy_s[i] > 0.0 ? in->busy_s[i] : 0.0;
		double		done = PacingLogNormalCdf(in->handle, e);

		for (k = 0; k < PACING_CHECKPOINTS; k++)
		{
			double		q = done < 1.0
				? clamp01((PacingLogNormalCdf(in->handle, e + at[k] + PACING_ABANDON_S - wrapup) - done) /
						  (1.0 - done))
				: (at[k] + PACING_ABANDON_S >= wrapup ? 1.0 : 0.0);

			cp[k].agents_mean += q;
			cp[k].agents_var += q * (1.0 - q);
		}
	}
	for (i = 0; i < in->agents_wrapup && in->wrapup_left_s; i++)
	{
		double		left = in->wrapup_left_s[i];

		for (k = 0; k < PACING_CHECKPOINTS; k++)
			if (left >= 0.0 && left <= at[k] + PACING_ABANDON_S)
				cp[k].agents_mean += 1.0;
	}

	/* live answers from the calls ringing: answered by then, given not yet, and human */
	for (i = 0; i < in->ringing_slots && ring_all > 0.0; i++)
	{
		int			n = in->ringing_by_s[i];
		double		r = (i + 0.5) * slot;
		double		fr;

		if (n <= 0 || r >= timeout)
			continue;
		fr = PacingLogNormalCdf(in->ring, r) / ring_all;
		if (fr >= 1.0)
			continue;
		for (k = 0; k < PACING_CHECKPOINTS; k++)
		{
			double		by = at[k] - screen;
			double		fh = by > 0.0 ? PacingLogNormalCdf(in->ring, fmin(r + by, timeout)) / ring_all : fr;
			double		p = hs * clamp01(pa * (fh - fr) / (pa * (1.0 - fr) + (1.0 - pa)));

			cp[k].live_mean += n * p;
			cp[k].live_var += n * p * (1.0 - p);
		}
	}

	return horizon;
}

/*
 * PacingPredictive
 *		The number of new calls to place now (see the file's header).
 */
int
PacingPredictive(const PacingInput *in, PacingDecision *out)
{
	PacingDecision d = {0};
	Checkpoint	cp[PACING_CHECKPOINTS];
	double		p_live = clamp01(in->human_share) * clamp01(in->answer_rate);
	int			base = progressive_count(in);
	int			which = 0;

	d.dial = base;
	d.fallback = 1;
	d.tolerance = PacingTolerance(in);
	d.horizon_s = checkpoints(in, cp);

	if (d.tolerance > 0.0 && p_live > 0.0 && in->finished >= PACING_MIN_FINISHED &&
		in->agents_ready + in->agents_busy + in->agents_wrapup > 0 && in->max_new > base &&
		worst_over(cp, base, d.tolerance, NULL) <= 0.0)
	{
		/*
		 * Beyond the first n where a checkpoint's excess passes its tolerated
		 * share it only grows faster (its slope tends to p_new, the share's
		 * is tolerance * p_new), so the n that pass form a range from base.
		 */
		int			lo = base;
		int			hi = in->max_new;

		if (worst_over(cp, hi, d.tolerance, NULL) <= 0.0)
			lo = hi;
		else
			while (hi - lo > 1)
			{
				int			mid = lo + (hi - lo) / 2;

				if (worst_over(cp, mid, d.tolerance, NULL) <= 0.0)
					lo = mid;
				else
					hi = mid;
			}
		d.dial = lo;
		d.fallback = 0;
	}
	worst_over(cp, d.dial, d.tolerance, &which);
	d.live_expected = cp[which].live_mean + d.dial * cp[which].p_new;
	d.agents_expected = cp[which].agents_mean;
	d.abandon_expected = PacingExcess(d.live_expected - d.agents_expected,
									  cp[which].live_var + d.dial * cp[which].p_new * (1.0 - cp[which].p_new) +
									  cp[which].agents_var);
	if (out)
		*out = d;
	return d.dial;
}
