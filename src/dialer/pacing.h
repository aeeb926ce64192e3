/*-------------------------------------------------------------------------
 *
 * pacing.h
 *	  Dialer pacing: the calls-per-second token bucket and the reconnect
 *	  backoff with jitter.
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

#endif							/* BANKCRM_PACING_H */
