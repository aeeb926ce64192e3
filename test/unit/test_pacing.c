/*-------------------------------------------------------------------------
 *
 * test_pacing.c
 *	  Unit tests for the dialer's pacing: the calls-per-second token bucket
 *	  and the reconnect backoff with jitter (src/dialer/pacing.c).
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

	return UnitReport("test_pacing");
}
