/*-------------------------------------------------------------------------
 *
 * test_pacing.c
 *	  Unit tests for the dialer's pacing: the calls-per-second token bucket,
 *	  the reconnect backoff with jitter and predictive pacing
 *	  (src/dialer/pacing.c).
 *
 * Built as one translation unit with the source it tests and run under
 * AddressSanitizer and UndefinedBehaviorSanitizer by test/run unit.  Time is
 * simulated: the bucket takes the clock as an argument, so a test can walk
 * it forward in microsecond steps and compare the tokens with what the rate
 * promises.  Rates and step sizes are chosen so that the arithmetic is exact
 * in binary floating point wherever a test asserts exact values.  The
 * randomised checks use a fixed-seed generator, so every run checks the
 * same inputs.
 *
 * Predictive pacing is checked with exact decisions (numbers of calls) for
 * hand-made situations, values of its distributions to 1e-12 (libm's erfc,
 * log and exp may differ in the last bit between C libraries), and, over
 * random situations, the properties its search promises: the calls it
 * places keep every checkpoint's expected abandonment within the tolerated
 * share, one more call would not.
 *
 * Exits 0 when every check passes and prints each failure otherwise.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/unit/test_pacing.c
 *
 *-------------------------------------------------------------------------
 */
#include "../../src/dialer/pacing.c"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

/* report the first few failing inputs of a randomised loop, count them all */
#define LOOP_FAIL(bad, ...) \
	do { \
		if ((bad)++ < 5) \
			fprintf(stderr, __VA_ARGS__); \
	} while (0)

/* xorshift64*: a small deterministic generator for the randomised checks */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

/* uniform in [lo, hi] */
static int64_t
rng_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t) (rng_next() % (uint64_t) (hi - lo + 1));
}

/* uniform in [lo, hi) */
static double
rng_double(double lo, double hi)
{
	return lo + (hi - lo) * ((double) (rng_next() >> 11) / 9007199254740992.0);
}

/* ------------------------------------------------------------------------
 * token bucket
 * ------------------------------------------------------------------------
 */

/* a fresh bucket is full; its capacity is a tenth of a second, at least 1 */
static void
test_bucket_init(void)
{
	PacingBucket b;
	const int64_t t0 = INT64_C(1000000000000);

	PacingBucketInit(&b, 500.0, t0);
	CHECK_DBL(b.rate, 500.0);
	CHECK_DBL(b.burst, 50.0);
	CHECK_DBL(b.tokens, 50.0);
	CHECK_INT(b.last_us, t0);
	CHECK_INT(PacingBucketAvailable(&b, t0), 50);

	PacingBucketInit(&b, 20.0, t0);
	CHECK_DBL(b.burst, 2.0);
	CHECK_INT(PacingBucketAvailable(&b, t0), 2);

	/* below 10 a second the capacity is one call */
	PacingBucketInit(&b, 10.0, t0);
	CHECK_DBL(b.burst, 1.0);
	PacingBucketInit(&b, 5.0, t0);
	CHECK_DBL(b.burst, 1.0);
	CHECK_INT(PacingBucketAvailable(&b, t0), 1);
	PacingBucketInit(&b, 0.25, t0);
	CHECK_DBL(b.burst, 1.0);

	/* a fractional capacity: 2.5 tokens, 2 whole ones */
	PacingBucketInit(&b, 25.0, t0);
	CHECK_DBL(b.burst, 2.5);
	CHECK_INT(PacingBucketAvailable(&b, t0), 2);

	/* no rate, a negative one or NaN: one call a second */
	PacingBucketInit(&b, 0.0, t0);
	CHECK_DBL(b.rate, 1.0);
	CHECK_DBL(b.burst, 1.0);
	CHECK_DBL(b.tokens, 1.0);
	PacingBucketInit(&b, -20.0, t0);
	CHECK_DBL(b.rate, 1.0);
	PacingBucketInit(&b, NAN, t0);
	CHECK_DBL(b.rate, 1.0);
	CHECK_INT(PacingBucketAvailable(&b, t0), 1);
}

/* tokens accrue at exactly rate * elapsed, and taking them is exact too */
static void
test_bucket_arithmetic(void)
{
	PacingBucket b;
	const int64_t t0 = INT64_C(1700000000000000);
	int64_t		t;

	PacingBucketInit(&b, 100.0, t0);	/* burst 10 */
	CHECK_INT(PacingBucketAvailable(&b, t0), 10);
	PacingBucketTake(&b, 10);
	CHECK_DBL(b.tokens, 0.0);
	CHECK_INT(PacingBucketAvailable(&b, t0), 0);

	/* 10 ms at 100 a second: one token */
	t = t0 + 10000;
	CHECK_INT(PacingBucketAvailable(&b, t), 1);
	CHECK_DBL(b.tokens, 1.0);
	CHECK_INT(b.last_us, t);

	/* 55 ms more: 6.5 tokens, 6 whole ones */
	t += 55000;
	CHECK_INT(PacingBucketAvailable(&b, t), 6);
	CHECK_DBL(b.tokens, 6.5);

	/* asking again at the same time changes nothing */
	CHECK_INT(PacingBucketAvailable(&b, t), 6);
	CHECK_DBL(b.tokens, 6.5);

	/* take some: the fraction stays */
	PacingBucketTake(&b, 4);
	CHECK_DBL(b.tokens, 2.5);
	t += 5000;
	CHECK_INT(PacingBucketAvailable(&b, t), 3);
	CHECK_DBL(b.tokens, 3.0);

	/* taking more than there is empties the bucket, never below zero */
	PacingBucketTake(&b, 1000);
	CHECK_DBL(b.tokens, 0.0);
	CHECK_INT(PacingBucketAvailable(&b, t), 0);
	PacingBucketTake(&b, 0);
	CHECK_DBL(b.tokens, 0.0);

	/* the clock going back adds nothing */
	CHECK_INT(PacingBucketAvailable(&b, t - 1000000), 0);
	CHECK_DBL(b.tokens, 0.0);
}

/*
 * 1000 a second in 1 ms steps, taking every whole token: exactly one call a
 * millisecond after the initial burst of 100, for 10 simulated seconds.
 */
static void
test_bucket_simulated_exact(void)
{
	PacingBucket b;
	const int64_t t0 = 0;
	int64_t		total = 0;
	int			step;
	int			bad = 0;

	PacingBucketInit(&b, 1000.0, t0);
	for (step = 0; step <= 10000; step++)
	{
		int64_t		now = t0 + (int64_t) step * 1000;
		int			n = PacingBucketAvailable(&b, now);

		if (n != (step == 0 ? 100 : 1))
			LOOP_FAIL(bad, "step %d: %d tokens available\n", step, n);
		PacingBucketTake(&b, n);
		total += n;
	}
	CHECK(bad == 0);
	CHECK_INT(total, 100 + 10000);
}

/*
 * 50 a second (burst 5) polled every millisecond for 20 s: no window of one
 * second ever gets more than rate + burst calls, and the total is the burst
 * plus rate * time.
 */
static void
test_bucket_simulated_window(void)
{
	enum
	{
		STEPS = 20000
	};
	static int	taken[STEPS + 1];
	PacingBucket b;
	int64_t		total = 0;
	int64_t		window = 0;
	int64_t		worst = 0;
	int			step;

	PacingBucketInit(&b, 50.0, 0);
	for (step = 0; step <= STEPS; step++)
	{
		int			n = PacingBucketAvailable(&b, (int64_t) step * 1000);

		PacingBucketTake(&b, n);
		taken[step] = n;
		total += n;
		window += n;
		if (step >= 1000)
			window -= taken[step - 1000];
		if (window > worst)
			worst = window;
	}
	CHECK(worst <= 50 + 5);
	CHECK(total >= 5 + 50 * 20 - 1);
	CHECK(total <= 5 + 50 * 20);
}

/*
 * Random rates, irregular clock steps and random amounts taken: the calls
 * never exceed burst + rate * elapsed, the tokens stay within [0, burst],
 * and a caller that takes everything loses less than one call to rounding
 * (when a step never fills the bucket, so nothing is lost to the cap).
 */
static void
test_bucket_random(void)
{
	int			round;
	int			bad = 0;

	for (round = 0; round < 200; round++)
	{
		double		rate = rng_double(0.5, 2000.0);
		int			greedy = (round % 2) == 0;
		PacingBucket b;
		int64_t		t0 = rng_range(0, INT64_C(1) << 52);
		int64_t		now = t0;
		int64_t		total = 0;
		double		allowed;

		PacingBucketInit(&b, rate, t0);
		while (now - t0 < INT64_C(30000000))
		{
			int			n = PacingBucketAvailable(&b, now);
			int			take = greedy ? n : (int) rng_range(0, n);

			if (b.tokens < 0.0 || b.tokens > b.burst)
				LOOP_FAIL(bad, "rate %g: %g tokens, burst %g\n", rate, b.tokens, b.burst);
			PacingBucketTake(&b, take);
			total += take;
			now += rng_range(1, 50000);
		}
		allowed = b.burst + rate * (double) (now - t0) / 1e6;
		if ((double) total > allowed + 1e-6)
			LOOP_FAIL(bad, "rate %g: %lld calls, at most %g allowed\n", rate, (long long) total, allowed);
		/* 50 ms at >= 20 a second earns at most half the capacity */
		if (greedy && rate >= 20.0 && (double) total < allowed - rate * 0.05 - 1.0 - 1e-6)
			LOOP_FAIL(bad, "rate %g: %lld calls, expected about %g\n", rate, (long long) total, allowed);
	}
	CHECK(bad == 0);
}

/* after any idle time the bucket holds its capacity, never a backlog */
static void
test_bucket_burst_cap(void)
{
	PacingBucket b;
	const int64_t hour = INT64_C(3600000000);

	PacingBucketInit(&b, 500.0, 0);
	PacingBucketTake(&b, 50);
	CHECK_INT(PacingBucketAvailable(&b, hour), 50);
	CHECK_DBL(b.tokens, 50.0);

	PacingBucketInit(&b, 5.0, 0);
	PacingBucketTake(&b, 1);
	CHECK_INT(PacingBucketAvailable(&b, hour), 1);
	CHECK_DBL(b.tokens, 1.0);

	/* a year of idling, in one step */
	PacingBucketInit(&b, 2000.0, 0);
	PacingBucketTake(&b, 200);
	CHECK_INT(PacingBucketAvailable(&b, hour * 24 * 365), 200);
}

/* a new rate keeps the tokens earned, accrued at the old rate until now */
static void
test_bucket_set_rate(void)
{
	PacingBucket b;
	const int64_t t0 = INT64_C(5000000);

	/* lower: the capacity shrinks and the tokens with it */
	PacingBucketInit(&b, 500.0, t0);
	PacingBucketSetRate(&b, 100.0, t0);
	CHECK_DBL(b.rate, 100.0);
	CHECK_DBL(b.burst, 10.0);
	CHECK_DBL(b.tokens, 10.0);
	CHECK_INT(PacingBucketAvailable(&b, t0), 10);

	/* higher: no free tokens, only a larger capacity */
	PacingBucketInit(&b, 100.0, t0);
	PacingBucketSetRate(&b, 1000.0, t0);
	CHECK_DBL(b.burst, 100.0);
	CHECK_DBL(b.tokens, 10.0);

	/* 20 ms at the old rate (2 tokens), then 10 ms at the new one (10) */
	PacingBucketInit(&b, 100.0, t0);
	PacingBucketTake(&b, 10);
	PacingBucketSetRate(&b, 1000.0, t0 + 20000);
	CHECK_DBL(b.tokens, 2.0);
	CHECK_INT(b.last_us, t0 + 20000);
	CHECK_INT(PacingBucketAvailable(&b, t0 + 30000), 12);
	CHECK_DBL(b.tokens, 12.0);

	/* nonsense rates are ignored, and so is the same rate */
	PacingBucketSetRate(&b, 0.0, t0 + 40000);
	PacingBucketSetRate(&b, -3.0, t0 + 40000);
	PacingBucketSetRate(&b, NAN, t0 + 40000);
	CHECK_DBL(b.rate, 1000.0);
	CHECK_DBL(b.burst, 100.0);
	CHECK_DBL(b.tokens, 12.0);
	CHECK_INT(b.last_us, t0 + 30000);
	PacingBucketSetRate(&b, 1000.0, t0 + 40000);
	CHECK_DBL(b.tokens, 12.0);
	CHECK_INT(b.last_us, t0 + 30000);

	/* down to below 10 a second: capacity one call */
	PacingBucketSetRate(&b, 2.0, t0 + 40000);
	CHECK_DBL(b.burst, 1.0);
	CHECK_DBL(b.tokens, 1.0);
}

/* the wait until the next whole token */
static void
test_bucket_wait(void)
{
	PacingBucket b;
	const int64_t t0 = INT64_C(77000000);
	int			round;
	int			bad = 0;

	/* a token is there: no wait */
	PacingBucketInit(&b, 100.0, t0);
	CHECK_INT(PacingBucketWaitUs(&b, t0), 0);

	/* empty at 100 a second: 10 ms, plus the microsecond that rounds up */
	PacingBucketTake(&b, 10);
	CHECK_INT(PacingBucketWaitUs(&b, t0), 10001);
	CHECK_INT(PacingBucketAvailable(&b, t0 + 9999), 0);
	CHECK_INT(PacingBucketAvailable(&b, t0 + 10001), 1);
	CHECK_INT(PacingBucketWaitUs(&b, t0 + 10001), 0);

	/* a quarter of a token there: three quarters to wait */
	PacingBucketInit(&b, 100.0, t0);
	PacingBucketTake(&b, 10);
	CHECK_INT(PacingBucketWaitUs(&b, t0 + 2500), 7501);
	CHECK_DBL(b.tokens, 0.25);

	/* a very slow rate: one call in 1000 s */
	PacingBucketInit(&b, 0.001, t0);
	PacingBucketTake(&b, 1);
	CHECK_INT(PacingBucketWaitUs(&b, t0), INT64_C(1000000001));

	/* random rates and fill levels: waiting that long is enough, 2 us less is not */
	for (round = 0; round < 100000; round++)
	{
		double		rate = rng_double(0.01, 10000.0);
		int64_t		now = rng_range(0, INT64_C(1) << 50);
		int64_t		wait;
		PacingBucket probe;

		PacingBucketInit(&b, rate, now);
		PacingBucketTake(&b, (int) b.burst);
		now += rng_range(0, 2000000);
		wait = PacingBucketWaitUs(&b, now);
		if (wait < 0)
			LOOP_FAIL(bad, "rate %g: wait %lld\n", rate, (long long) wait);
		probe = b;
		if (PacingBucketAvailable(&probe, now + wait) < 1)
			LOOP_FAIL(bad, "rate %g: no token after the wait of %lld us\n", rate, (long long) wait);
		probe = b;
		if (wait >= 2 && PacingBucketAvailable(&probe, now + wait - 2) != 0)
			LOOP_FAIL(bad, "rate %g: a token before the wait of %lld us\n", rate, (long long) wait);
		if (wait == 0 && b.tokens < 1.0)
			LOOP_FAIL(bad, "rate %g: no wait with %g tokens\n", rate, b.tokens);
	}
	CHECK(bad == 0);
}

/* ------------------------------------------------------------------------
 * backoff
 * ------------------------------------------------------------------------
 */

/* the delay before jitter: min * 2^(failures-1), capped, computed without overflow */
static int64_t
expected_base(int failures, int64_t min_ms, int64_t max_ms)
{
	int64_t		delay;
	int			i;

	if (min_ms < 1)
		min_ms = 1;
	if (max_ms < min_ms)
		max_ms = min_ms;
	delay = min_ms;
	for (i = 1; i < failures && delay < max_ms; i++)
	{
		if (delay > max_ms / 2)
			return max_ms;		/* doubling would pass the cap */
		delay *= 2;
	}
	return delay;
}

/* doubling from min to the cap, then staying there */
static void
test_backoff_growth(void)
{
	static const int64_t want[] = {500, 500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
	int			f;

	/* a random value of spread / 2 lands exactly on the base delay */
	for (f = 1; f <= 10; f++)
	{
		int64_t		base = want[f];

		CHECK_INT(PacingBackoffMs(f, 500, 60000, (uint32_t) (base / 4 / 2)), base);
	}
	/* no failure yet, or a nonsense count: the first delay */
	CHECK_INT(PacingBackoffMs(0, 500, 60000, 62), 500);
	CHECK_INT(PacingBackoffMs(-7, 500, 60000, 62), 500);
	CHECK_INT(PacingBackoffMs(INT_MIN, 500, 60000, 62), 500);

	/* the ends of the jitter: -spread/2 and +spread/2 (spread = delay / 4) */
	CHECK_INT(PacingBackoffMs(1, 500, 60000, 0), 500 - 62);
	CHECK_INT(PacingBackoffMs(1, 500, 60000, 125), 500 + 63);
	CHECK_INT(PacingBackoffMs(1, 500, 60000, 126), 500 - 62);	/* wraps */
	CHECK_INT(PacingBackoffMs(9, 500, 60000, 0), 60000 - 7500);
	CHECK_INT(PacingBackoffMs(9, 500, 60000, 15000), 60000 + 7500);
	CHECK_INT(PacingBackoffMs(9, 500, 60000, UINT32_MAX), 60000 - 7500 + (int64_t) (UINT32_MAX % 15001));

	/* a cap that is not a power-of-two multiple of min */
	CHECK_INT(PacingBackoffMs(3, 300, 1000, 1000 / 4 / 2), 1000);
	CHECK_INT(PacingBackoffMs(2, 300, 1000, 600 / 4 / 2), 600);

	/* tiny delays have no room for jitter */
	CHECK_INT(PacingBackoffMs(1, 1, 1, UINT32_MAX), 1);
	CHECK_INT(PacingBackoffMs(1, 3, 100, UINT32_MAX), 3);
	CHECK_INT(PacingBackoffMs(1, 4, 100, 0), 4);
	CHECK_INT(PacingBackoffMs(1, 4, 100, 1), 5);

	/* nonsense bounds: min at least 1, max at least min */
	CHECK_INT(PacingBackoffMs(5, 0, 0, 12345), 1);
	CHECK_INT(PacingBackoffMs(5, -10, -20, 12345), 1);
	CHECK_INT(PacingBackoffMs(5, 1000, 10, 1000 / 4 / 2), 1000);
	CHECK_INT(PacingBackoffMs(1, 1000, 10, 0), 1000 - 125);
}

/* huge failure counts stop doubling at the cap; nothing overflows */
static void
test_backoff_large_failures(void)
{
	/* the GUC limits: bankcrm.dialer_backoff_min <= 600000, _max <= 3600000 */
	CHECK_INT(PacingBackoffMs(INT_MAX, 10, 3600000, 450000), 3600000);
	CHECK_INT(PacingBackoffMs(INT_MAX, 600000, 3600000, 450000), 3600000);
	CHECK_INT(PacingBackoffMs(INT_MAX, 600000, 600000, 75000), 600000);
	CHECK_INT(PacingBackoffMs(INT_MAX, 1, 3600000, 0), 3600000 - 450000);
	CHECK_INT(PacingBackoffMs(INT_MAX, 1, 3600000, 900000), 3600000 + 450000);
	CHECK_INT(PacingBackoffMs(1000000, 10, 60000, 7500), 60000);
	/* 2^40 would overflow 32 bits; here it is just capped */
	CHECK_INT(PacingBackoffMs(41, 1, 1000000000, 125000000), 1000000000);
	CHECK_INT(PacingBackoffMs(31, 1, INT64_C(1000000000), 0), 1000000000 - 125000000);
}

/*
 * Random failure counts, bounds within the GUC limits (and beyond them up
 * to 10^9 ms) and random jitter: the delay is the base delay moved by at
 * most an eighth either way, exactly base + (random mod (spread + 1)) -
 * spread / 2, never below min / 2 nor below 1 ms.
 */
static void
test_backoff_random(void)
{
	int			round;
	int			bad = 0;

	for (round = 0; round < 500000; round++)
	{
		int			failures = (int) rng_range(-5, 100);
		int64_t		min_ms = rng_range(-10, round % 4 == 0 ? 1000000 : 600000);
		int64_t		max_ms = rng_range(-10, round % 4 == 0 ? 1000000000 : 3600000);
		uint32_t	rnd = (uint32_t) rng_next();
		int64_t		got = PacingBackoffMs(failures, min_ms, max_ms, rnd);
		int64_t		base = expected_base(failures, min_ms, max_ms);
		int64_t		spread = base / 4;
		int64_t		want = base + (int64_t) (rnd % (uint32_t) (spread + 1)) - spread / 2;
		int64_t		eff_min = min_ms < 1 ? 1 : min_ms;
		int64_t		eff_max = max_ms < eff_min ? eff_min : max_ms;

		if (got != want)
			LOOP_FAIL(bad, "backoff(%d, %lld, %lld, %u) = %lld, expected %lld\n", failures,
					  (long long) min_ms, (long long) max_ms, rnd, (long long) got, (long long) want);
		if (got < 1 || got < eff_min / 2)
			LOOP_FAIL(bad, "backoff(%d, %lld, %lld, %u) = %lld is too short\n", failures,
					  (long long) min_ms, (long long) max_ms, rnd, (long long) got);
		if (got < base - base / 8 || got > base + base / 8 + 1)
			LOOP_FAIL(bad, "backoff(%d, %lld, %lld, %u) = %lld strays from %lld\n", failures,
					  (long long) min_ms, (long long) max_ms, rnd, (long long) got, (long long) base);
		if (got > eff_max + eff_max / 8 + 1)
			LOOP_FAIL(bad, "backoff(%d, %lld, %lld, %u) = %lld exceeds the cap\n", failures,
					  (long long) min_ms, (long long) max_ms, rnd, (long long) got);
	}
	CHECK(bad == 0);
}

/* the jitter is spread evenly: both ends are reached and the mean is the base */
static void
test_backoff_distribution(void)
{
	int64_t		lo = INT64_MAX;
	int64_t		hi = INT64_MIN;
	double		sum = 0.0;
	int			n = 200000;
	int			i;
	int			f;
	int			bad = 0;

	for (i = 0; i < n; i++)
	{
		int64_t		d = PacingBackoffMs(8, 500, 60000, (uint32_t) rng_next());

		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
		sum += (double) d;
	}
	/* 500 * 2^7 is capped at 60000: spread 15000 */
	CHECK_INT(lo, 60000 - 7500);
	CHECK_INT(hi, 60000 + 7500);
	CHECK(fabs(sum / n - 60000.0) < 60000.0 * 0.005);

	/* with the same random value, more failures never mean a shorter wait */
	for (i = 0; i < 20000; i++)
	{
		int64_t		min_ms = rng_range(10, 600000);
		int64_t		max_ms = rng_range(10, 3600000);
		int64_t		prev = 0;

		for (f = 1; f <= 40; f++)
		{
			int64_t		base = expected_base(f, min_ms, max_ms);
			int64_t		mid = PacingBackoffMs(f, min_ms, max_ms, (uint32_t) (base / 4 / 2));

			if (mid != base || mid < prev)
				LOOP_FAIL(bad, "backoff(%d, %lld, %lld): %lld after %lld\n", f,
						  (long long) min_ms, (long long) max_ms, (long long) mid, (long long) prev);
			prev = mid;
		}
	}
	CHECK(bad == 0);
}

/* ------------------------------------------------------------------------
 * predictive pacing
 * ------------------------------------------------------------------------
 */

/* doubles computed through libm: equal to 1e-12, relative */
#define CHECK_NEAR(got, want) \
	do { \
		double		g_ = (got); \
		double		w_ = (want); \
		checks++; \
		if (!(fabs(g_ - w_) <= 1e-12 * (fabs(w_) > 1.0 ? fabs(w_) : 1.0))) \
		{ \
			failures++; \
			fprintf(stderr, "%s:%d: %s is %.17g, expected %.17g\n", \
					__FILE__, __LINE__, #got, g_, w_); \
		} \
	} while (0)

/* log-normals from a mean and a coefficient of variation, their mean and CDF */
static void
test_lognormal(void)
{
	PacingLogNormal d;

	/* cv 1: sigma^2 = ln 2 */
	d = PacingLogNormalOf(60.0, 1.0);
	CHECK_NEAR(d.sigma, sqrt(log(2.0)));
	CHECK_NEAR(d.mu, log(60.0) - log(2.0) / 2.0);
	CHECK_NEAR(PacingLogNormalMean(d), 60.0);
	/* the median is exp(mu) */
	CHECK_NEAR(PacingLogNormalCdf(d, exp(d.mu)), 0.5);
	/* one sigma above the median: Phi(1) */
	CHECK_NEAR(PacingLogNormalCdf(d, exp(d.mu + d.sigma)), 0.84134474606854293);
	CHECK_NEAR(PacingLogNormalCdf(d, exp(d.mu - 2.0 * d.sigma)), 0.022750131948179209);
	CHECK_DBL(PacingLogNormalCdf(d, 0.0), 0.0);
	CHECK_DBL(PacingLogNormalCdf(d, -5.0), 0.0);
	CHECK_DBL(PacingLogNormalCdf(d, NAN), 0.0);
	CHECK_DBL(PacingLogNormalCdf(d, INFINITY), 1.0);

	/* cv 0: always the mean, a step */
	d = PacingLogNormalOf(9.0, 0.0);
	CHECK_DBL(d.sigma, 0.0);
	CHECK_NEAR(d.mu, log(9.0));
	CHECK_DBL(PacingLogNormalCdf(d, 8.999), 0.0);
	CHECK_DBL(PacingLogNormalCdf(d, 9.001), 1.0);

	/* nonsense: a mean of at least 10 ms, a cv of at least 0 */
	d = PacingLogNormalOf(-3.0, -1.0);
	CHECK_NEAR(d.mu, log(0.01));
	CHECK_DBL(d.sigma, 0.0);
	d = PacingLogNormalOf(NAN, NAN);
	CHECK_NEAR(d.mu, log(0.01));
	CHECK_DBL(d.sigma, 0.0);
}

/* running fits and shares */
static void
test_fit_share(void)
{
	PacingFit	fit;
	PacingLogNormal d;
	PacingShare share;

	/* a prior alone gives itself back */
	PacingFitInit(&fit, 120.0, 0.5, 20.0);
	d = PacingFitGet(&fit);
	CHECK_NEAR(d.mu, PacingLogNormalOf(120.0, 0.5).mu);
	CHECK_NEAR(d.sigma, PacingLogNormalOf(120.0, 0.5).sigma);
	CHECK_DBL(fit.weight, 20.0);

	/* no prior: e, e^2, e^3 give mu 2 and sigma sqrt(2/3) */
	PacingFitInit(&fit, 1.0, 1.0, 0.0);
	CHECK_DBL(PacingFitGet(&fit).mu, 0.0);
	CHECK_DBL(PacingFitGet(&fit).sigma, 0.0);
	PacingFitAdd(&fit, exp(1.0), 1.0);
	PacingFitAdd(&fit, exp(2.0), 1.0);
	PacingFitAdd(&fit, exp(3.0), 1.0);
	d = PacingFitGet(&fit);
	CHECK_NEAR(d.mu, 2.0);
	CHECK_NEAR(d.sigma, sqrt(2.0 / 3.0));
	CHECK_DBL(fit.weight, 3.0);

	/* forgetting: with keep 0.5 the older samples weigh half, a quarter */
	PacingFitInit(&fit, 1.0, 1.0, 0.0);
	PacingFitAdd(&fit, exp(4.0), 0.5);
	PacingFitAdd(&fit, exp(1.0), 0.5);
	PacingFitAdd(&fit, exp(1.0), 0.5);
	CHECK_DBL(fit.weight, 1.75);
	CHECK_NEAR(PacingFitGet(&fit).mu, (4.0 * 0.25 + 0.5 + 1.0) / 1.75);

	/* durations of 0 or less count as 10 ms; NaN is ignored; a bad keep is 1 */
	PacingFitInit(&fit, 1.0, 1.0, 0.0);
	PacingFitAdd(&fit, 0.0, 2.0);
	PacingFitAdd(&fit, -7.0, -1.0);
	PacingFitAdd(&fit, NAN, 0.5);
	CHECK_DBL(fit.weight, 2.0);
	CHECK_NEAR(PacingFitGet(&fit).mu, log(0.01));
	CHECK_DBL(PacingFitGet(&fit).sigma, 0.0);

	PacingShareInit(&share, 0.25, 100.0);
	CHECK_DBL(PacingShareGet(&share), 0.25);
	PacingShareAdd(&share, 1, 1.0);
	CHECK_DBL(share.trials, 101.0);
	CHECK_DBL(share.hits, 26.0);
	PacingShareInit(&share, 0.5, 0.0);
	CHECK_DBL(PacingShareGet(&share), 0.0);
	PacingShareAdd(&share, 7, 0.5);
	PacingShareAdd(&share, 0, 0.5);
	CHECK_DBL(PacingShareGet(&share), 0.5 / 1.5);
	/* priors outside [0, 1] are clamped */
	PacingShareInit(&share, 3.0, 10.0);
	CHECK_DBL(PacingShareGet(&share), 1.0);
	PacingShareInit(&share, -1.0, 10.0);
	CHECK_DBL(PacingShareGet(&share), 0.0);
}

/* E[max(X, 0)] of a normal */
static void
test_excess(void)
{
	int			i;
	int			bad = 0;

	CHECK_DBL(PacingExcess(3.0, 0.0), 3.0);
	CHECK_DBL(PacingExcess(-3.0, 0.0), 0.0);
	CHECK_DBL(PacingExcess(-3.0, -1.0), 0.0);
	CHECK_NEAR(PacingExcess(0.0, 1.0), 0.3989422804014327);
	CHECK_NEAR(PacingExcess(0.0, 4.0), 2.0 * 0.3989422804014327);
	/* mean 1, sd 1: Phi(1) + phi(1) */
	CHECK_NEAR(PacingExcess(1.0, 1.0), 0.84134474606854293 + 0.24197072451914337);
	CHECK_NEAR(PacingExcess(-1.0, 1.0), -0.15865525393145707 + 0.24197072451914337);

	/* E[X+] - E[(-X)+] = E[X], E[X+] >= max(E[X], 0), growing with the variance */
	for (i = 0; i < 10000; i++)
	{
		double		m = rng_double(-50.0, 50.0);
		double		v = rng_double(0.001, 100.0);
		double		e = PacingExcess(m, v);

		if (fabs(e - PacingExcess(-m, v) - m) > 1e-9)
			LOOP_FAIL(bad, "excess(%g, %g) - excess(%g, %g) != %g\n", m, v, -m, v, m);
		if (e < 0.0 || e < m - 1e-9)
			LOOP_FAIL(bad, "excess(%g, %g) = %g\n", m, v, e);
		if (PacingExcess(m, v * 2.0) < e - 1e-12)
			LOOP_FAIL(bad, "excess(%g, %g) falls with more variance\n", m, v);
	}
	CHECK(bad == 0);
}

/* the decisions of test_predictive_exact */
#define PREDICT_READY10 29
#define PREDICT_RINGING 1
#define PREDICT_BUSY 5

/* the worst checkpoint's expected abandoned calls less the tolerated share, with n new calls */
static double
predictive_over(const PacingInput *in, int n)
{
	Checkpoint	cp[PACING_CHECKPOINTS];

	checkpoints(in, cp);
	return worst_over(cp, n, PacingTolerance(in), NULL);
}

/* a campaign in the middle of a day: the base of the situations below */
static int	ringing_none[1];

static PacingInput
situation(void)
{
	PacingInput in;

	memset(&in, 0, sizeof(in));
	in.agents_ready = 10;
	in.ringing_slots = 0;
	in.ringing_by_s = ringing_none;
	in.max_new = 200;
	in.finished = 1000;
	in.answer_rate = 0.3;
	in.human_share = 0.5;
	in.ring = PacingLogNormalOf(9.0, 0.6);
	in.ring_timeout_s = 20.0;
	in.screen_s = 3.0;
	in.handle = PacingLogNormalOf(120.0, 1.0);
	in.cap_day = PACING_CAP_DAY;
	in.cap_window = PACING_CAP_WINDOW;
	in.target = PACING_TARGET;
	in.live_day = 2000;
	in.abandoned_day = 0;
	in.live_window = 400;
	in.abandoned_window = 0;
	return in;
}

/* the tolerance: the target, scaled down by the day's and the window's abandonment */
static void
test_tolerance(void)
{
	PacingInput in = situation();

	CHECK_NEAR(PacingTolerance(&in), 0.01);
	/* the day at the target: still the target; half way to the cap: half */
	in.abandoned_day = 20;
	CHECK_NEAR(PacingTolerance(&in), 0.01);
	in.abandoned_day = 40;
	CHECK_NEAR(PacingTolerance(&in), 0.005);
	in.abandoned_day = 60;
	CHECK_DBL(PacingTolerance(&in), 0.0);
	in.abandoned_day = 80;
	CHECK_DBL(PacingTolerance(&in), 0.0);

	/*
	 * the day by its count: 10 agents want a spare of 3 abandoned calls
	 * within the day's 3 % for any tolerance, 5 for all of it
	 */
	in = situation();
	in.live_day = 100;			/* 3 calls within 3 %: none to spare */
	CHECK_DBL(PacingTolerance(&in), 0.0);
	in.live_day = 133;			/* 3.99: just under one to spare of two */
	CHECK_NEAR(PacingTolerance(&in), 0.01 * 0.99 / 2.0);
	in.live_day = 167;			/* 5.01: all of it */
	CHECK_NEAR(PacingTolerance(&in), 0.01);
	in.live_day = 300;			/* 9 calls, 5 taken: a half by the count */
	in.abandoned_day = 5;		/* (and 0.67 by the share of 1.67 %) */
	CHECK_NEAR(PacingTolerance(&in), 0.005);
	in.agents_ready = 60;		/* 60 agents want a spare of 8: none */
	CHECK_DBL(PacingTolerance(&in), 0.0);
	in.agents_ready = 10;
	in.live_day = 0;			/* nothing yet today: progressive */
	in.abandoned_day = 0;
	CHECK_DBL(PacingTolerance(&in), 0.0);
	in = situation();
	in.cap_day = 0.0;			/* no day's cap at all: none */
	CHECK_DBL(PacingTolerance(&in), 0.0);

	/* the window: 400 live answers, four fifths of 5 % is 4 %: 16 abandoned calls */
	in = situation();
	in.abandoned_window = 4;	/* 1 %: the target */
	CHECK_NEAR(PacingTolerance(&in), 0.01);
	in.abandoned_window = 10;	/* 2.5 %: half way from 1 % to 4 % */
	CHECK_NEAR(PacingTolerance(&in), 0.005);
	in.abandoned_window = 16;
	CHECK_DBL(PacingTolerance(&in), 0.0);

	/* a small window: 100 live answers take 4 abandoned calls within 4 % */
	in = situation();
	in.live_window = 100;
	CHECK_NEAR(PacingTolerance(&in), 0.01 * 4.0 / PACING_WINDOW_CALLS);
	in.abandoned_window = 1;	/* 3 to spare: all of it by the count, half by the size */
	CHECK_NEAR(PacingTolerance(&in), 0.005);
	in.live_window = 90;		/* 3.6 within 4 %, 1 taken: 0.6 by the count, 0.45 by the size */
	CHECK_NEAR(PacingTolerance(&in), 0.01 * 0.45);
	in.live_window = 400;		/* 16 within 4 %, 13 taken: 3 to spare, all by the count */
	in.abandoned_window = 13;	/* and 3.25 %: 0.25 by the share */
	CHECK_NEAR(PacingTolerance(&in), 0.01 * 0.25);
	in.abandoned_window = 14;	/* not two more calls to spare within 4 % */
	CHECK_NEAR(PacingTolerance(&in), 0.0);
	in.live_window = 90;
	in.abandoned_window = 2;	/* 1.6 to spare */
	CHECK_NEAR(PacingTolerance(&in), 0.0);
	in.live_window = 50;		/* 2 calls within 4 %, none taken: none to spare */
	in.abandoned_window = 0;
	CHECK_NEAR(PacingTolerance(&in), 0.0);
	in.live_window = 75;		/* 3 calls: one to spare, a half by the count, 3/8 by the size */
	CHECK_NEAR(PacingTolerance(&in), 0.01 * 3.0 / PACING_WINDOW_CALLS);
	in.live_window = 0;			/* nothing yet in the window: progressive */
	CHECK_DBL(PacingTolerance(&in), 0.0);

	/* a target above the day's cap is the cap; none at all is none */
	in = situation();
	in.live_window = 100000;
	in.target = 0.2;
	CHECK_NEAR(PacingTolerance(&in), 0.03);
	in.target = 0.0;
	CHECK_DBL(PacingTolerance(&in), 0.0);
	in.target = NAN;
	CHECK_DBL(PacingTolerance(&in), 0.0);
}

/* wrap-up: a fixed one after each call, and agents in one free when it ends */
static void
test_wrapup(void)
{
	PacingInput in = situation();
	Checkpoint	plain[PACING_CHECKPOINTS];
	Checkpoint	wrap[PACING_CHECKPOINTS];
	double		busy[1] = {60.0};
	double		left[3] = {1.0, 30.0, -1.0};
	double		at[PACING_CHECKPOINTS] = {6.0, 12.0, 17.5, 23.0};	/* horizon 9 + 3 s */
	double		done = PacingLogNormalCdf(in.handle, 60.0);
	int			k;

	in.agents_ready = 0;
	in.agents_busy = 1;
	in.busy_s = busy;
	checkpoints(&in, plain);
	in.wrapup_s = 20.0;
	checkpoints(&in, wrap);
	for (k = 0; k < PACING_CHECKPOINTS; k++)
	{
		/* talking 60 s: free by a checkpoint as without wrap-up 20 s sooner */
		CHECK_NEAR(plain[k].agents_mean,
				   (PacingLogNormalCdf(in.handle, 60.0 + at[k] + PACING_ABANDON_S) - done) / (1.0 - done));
		CHECK_NEAR(wrap[k].agents_mean,
				   fmax(0.0, (PacingLogNormalCdf(in.handle, 60.0 + at[k] + PACING_ABANDON_S - 20.0) - done) / (1.0 - done)));
		CHECK(wrap[k].agents_mean < plain[k].agents_mean);
	}
	/* the first two checkpoints (with the 2 s) come before any wrap-up of 20 s ends */
	CHECK_DBL(wrap[0].agents_mean, 0.0);
	CHECK_DBL(wrap[1].agents_mean, 0.0);

	/* three in wrap-up: one with 1 s left, one with 30 s, one until it says so */
	in = situation();
	in.agents_ready = 0;
	in.agents_wrapup = 3;
	in.wrapup_left_s = left;
	checkpoints(&in, wrap);
	for (k = 0; k < PACING_CHECKPOINTS; k++)
		CHECK_DBL(wrap[k].agents_mean, 1.0);
	left[1] = 24.0;				/* free by the last checkpoint, 23 s and the 2 s */
	checkpoints(&in, wrap);
	CHECK_DBL(wrap[2].agents_mean, 1.0);
	CHECK_DBL(wrap[3].agents_mean, 2.0);
	CHECK_DBL(wrap[3].agents_var, 0.0);

	/* they count as logged in for the day's spare: 10 ready and 50 in wrap-up want 8 */
	in = situation();
	in.live_day = 300;			/* 9 within 3 % */
	in.abandoned_day = 0;
	CHECK_NEAR(PacingTolerance(&in), 0.01);
	in.agents_wrapup = 50;
	in.wrapup_left_s = NULL;
	CHECK_NEAR(PacingTolerance(&in), 0.005);
}

/* progressive: one call per ready agent not yet covered */
static void
test_progressive(void)
{
	PacingInput in = situation();
	PacingDecision d;
	int			ring[5] = {1, 0, 2, 0, 0};

	CHECK_INT(PacingProgressive(&in, &d), 10);
	CHECK_INT(d.dial, 10);
	CHECK_INT(d.fallback, 1);
	in.ringing_by_s = ring;
	in.ringing_slots = 5;
	CHECK_INT(PacingRinging(&in), 3);
	in.lines_screening = 2;
	in.waiting = 1;
	CHECK_INT(PacingProgressive(&in, NULL), 4);
	in.max_new = 3;
	CHECK_INT(PacingProgressive(&in, NULL), 3);
	in.agents_ready = 5;
	CHECK_INT(PacingProgressive(&in, NULL), 0);
	in.agents_ready = 0;
	CHECK_INT(PacingProgressive(&in, NULL), 0);
}

/* the number of calls placed in hand-made situations */
static void
test_predictive_exact(void)
{
	PacingInput in = situation();
	PacingDecision d;
	int			ring[20];
	double		busy[10];
	int			i;

	/*
	 * 10 agents ready, nothing ringing: a live answer in 6.7 calls, so 29
	 * calls (4.35 live answers expected) keep the excess within 1 %
	 */
	CHECK_INT(PacingPredictive(&in, &d), PREDICT_READY10);
	CHECK_INT(d.fallback, 0);
	CHECK_NEAR(d.tolerance, 0.01);
	CHECK_NEAR(d.horizon_s, 12.0);
	/* the decision is the last that passes: one more call would not */
	CHECK(d.abandon_expected <= d.tolerance * d.live_expected + 1e-12);

	/* those calls now ringing 2 s: only a few more */
	memset(ring, 0, sizeof(ring));
	ring[2] = d.dial;
	in.ringing_by_s = ring;
	in.ringing_slots = 20;
	CHECK_INT(PacingPredictive(&in, &d), PREDICT_RINGING);

	/*
	 * the same in slots of a quarter second: ringing 2 s is slot 8, taken
	 * as 2.125 s (whole seconds: slot 2, 2.5 s); a slot's time is the middle
	 * of the slot, whatever its width
	 */
	{
		int			quarter[80];
		int			one[1];
		Checkpoint	a[PACING_CHECKPOINTS];
		Checkpoint	b[PACING_CHECKPOINTS];
		PacingInput q = in;
		PacingInput o = in;
		int			k;

		memset(quarter, 0, sizeof(quarter));
		quarter[8] = ring[2];
		q.ringing_by_s = quarter;
		q.ringing_slots = 80;
		q.ring_slot_s = 0.25;
		CHECK_INT(PacingPredictive(&q, NULL), PREDICT_RINGING);
		one[0] = ring[2];
		o.ringing_by_s = one;
		o.ringing_slots = 1;
		o.ring_slot_s = 4.25;	/* slot 0 of 4.25 s: 2.125 s */
		checkpoints(&q, a);
		checkpoints(&o, b);
		for (k = 0; k < PACING_CHECKPOINTS; k++)
			CHECK_NEAR(a[k].live_mean, b[k].live_mean);
		o.ring_slot_s = 5.0;	/* 2.5 s: as whole seconds' slot 2 */
		checkpoints(&in, a);
		checkpoints(&o, b);
		for (k = 0; k < PACING_CHECKPOINTS; k++)
			CHECK_NEAR(a[k].live_mean, b[k].live_mean);
		CHECK(b[1].live_mean != 0.0);
	}

	/* and 10 busy agents, 100 s into their calls: more */
	for (i = 0; i < 10; i++)
		busy[i] = 100.0;
	in.busy_s = busy;
	in.agents_busy = 10;
	CHECK_INT(PacingPredictive(&in, &d), PREDICT_BUSY);

	/* the calls a second allow only 3 */
	in.max_new = 3;
	CHECK_INT(PacingPredictive(&in, &d), 3);
	CHECK_INT(d.fallback, 0);

	/* cold start: fewer than 30 calls learnt from, progressive */
	in = situation();
	in.finished = PACING_MIN_FINISHED - 1;
	CHECK_INT(PacingPredictive(&in, &d), 10);
	CHECK_INT(d.fallback, 1);
	in.finished = PACING_MIN_FINISHED;
	CHECK_INT(PacingPredictive(&in, &d), PREDICT_READY10);

	/* abandonment at the day's cap: progressive */
	in = situation();
	in.abandoned_day = 60;
	CHECK_INT(PacingPredictive(&in, &d), 10);
	CHECK_INT(d.fallback, 1);
	CHECK_DBL(d.tolerance, 0.0);

	/* nobody answers, or nobody is human: progressive */
	in = situation();
	in.answer_rate = 0.0;
	CHECK_INT(PacingPredictive(&in, &d), 10);
	in = situation();
	in.human_share = 0.0;
	CHECK_INT(PacingPredictive(&in, &d), 10);

	/* no agent logged in: nothing */
	in = situation();
	in.agents_ready = 0;
	CHECK_INT(PacingPredictive(&in, &d), 0);

	/* a customer already waiting with no agent: nothing more */
	in = situation();
	in.agents_ready = 0;
	in.agents_busy = 10;
	for (i = 0; i < 10; i++)
		busy[i] = 1.0;
	in.busy_s = busy;
	in.waiting = 1;
	CHECK_INT(PacingPredictive(&in, &d), 0);
	CHECK_INT(d.fallback, 1);
}

/* random situations: the search's promise, bounds and monotonicity */
static void
test_predictive_random(void)
{
	int			round;
	int			bad = 0;

	for (round = 0; round < 3000; round++)
	{
		PacingInput in = situation();
		PacingDecision d;
		int			ring[25];
		double		busy[60];
		int			n;
		int			k;
		int			more;

		in.agents_ready = (int) rng_range(0, 20);
		in.agents_busy = (int) rng_range(0, 60);
		for (k = 0; k < in.agents_busy; k++)
			busy[k] = rng_double(0.0, 600.0);
		in.busy_s = busy;
		for (k = 0; k < 25; k++)
			ring[k] = (int) rng_range(0, 4);
		in.ringing_by_s = ring;
		in.ringing_slots = 25;
		in.lines_screening = (int) rng_range(0, 5);
		in.waiting = (int) rng_range(0, 1);
		in.max_new = (int) rng_range(0, 300);
		in.answer_rate = rng_double(0.05, 0.9);
		in.human_share = rng_double(0.1, 1.0);
		in.ring = PacingLogNormalOf(rng_double(3.0, 15.0), rng_double(0.1, 1.0));
		in.handle = PacingLogNormalOf(rng_double(30.0, 600.0), rng_double(0.2, 1.5));
		in.live_window = rng_range(0, 2000);
		in.abandoned_window = rng_range(0, in.live_window / 20 + 1);

		n = PacingPredictive(&in, &d);
		if (n < 0 || n > (in.max_new > 0 ? in.max_new : 0))
			LOOP_FAIL(bad, "round %d: %d calls, max_new %d\n", round, n, in.max_new);
		if (n < PacingProgressive(&in, NULL))
			LOOP_FAIL(bad, "round %d: %d calls, fewer than progressive\n", round, n);
		if (!d.fallback)
		{
			/* the promise at the decision, and one more call breaks it */
			if (predictive_over(&in, n) > 1e-12)
				LOOP_FAIL(bad, "round %d: %d calls exceed the tolerance\n", round, n);
			if (n < in.max_new && predictive_over(&in, n + 1) <= 0.0)
				LOOP_FAIL(bad, "round %d: %d calls, one more would pass\n", round, n);
		}
		/* one more ready agent never means fewer calls */
		in.agents_ready++;
		more = PacingPredictive(&in, NULL);
		if (more < n)
			LOOP_FAIL(bad, "round %d: %d calls with one more agent, %d before\n", round, more, n);
	}
	CHECK(bad == 0);
}

int
main(void)
{
	test_bucket_init();
	test_bucket_arithmetic();
	test_bucket_simulated_exact();
	test_bucket_simulated_window();
	test_bucket_random();
	test_bucket_burst_cap();
	test_bucket_set_rate();
	test_bucket_wait();
	test_backoff_growth();
	test_backoff_large_failures();
	test_backoff_random();
	test_backoff_distribution();
	test_lognormal();
	test_fit_share();
	test_excess();
	test_tolerance();
	test_wrapup();
	test_progressive();
	test_predictive_exact();
	test_predictive_random();

	return UnitReport("test_pacing");
}
