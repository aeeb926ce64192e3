/*-------------------------------------------------------------------------
 *
 * pacing.c
 *	  Dialer pacing: the calls-per-second token bucket and the reconnect
 *	  backoff with jitter.
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
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/pacing.c
 *
 *-------------------------------------------------------------------------
 */
#include "pacing.h"

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
