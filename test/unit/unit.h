/*-------------------------------------------------------------------------
 *
 * unit.h
 *	  The check macros shared by the plain-C unit tests in test/unit.
 *
 * A unit test is one translation unit: it includes this header and the .c
 * file it tests, runs its checks, and ends main() with
 * "return UnitReport(name);", which prints the count and exits non-zero
 * when a check failed.  A failed check prints its file, line and the
 * values seen, and the test goes on, so one run shows every failure.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/unit/unit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_UNIT_H
#define BANKCRM_UNIT_H

#include <stdio.h>
#include <string.h>

static int	failures = 0;
static int	checks = 0;

#define CHECK(cond) \
	do { \
		checks++; \
		if (!(cond)) \
		{ \
			failures++; \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

/* integers of any width up to 64 bits */
#define CHECK_INT(got, want) \
	do { \
		long long	got_ = (long long) (got); \
		long long	want_ = (long long) (want); \
		checks++; \
		if (got_ != want_) \
		{ \
			failures++; \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", \
					__FILE__, __LINE__, #got, got_, want_); \
		} \
	} while (0)

/* doubles that must be equal to the last bit */
#define CHECK_DBL(got, want) \
	do { \
		double		got_ = (got); \
		double		want_ = (want); \
		checks++; \
		if (got_ != want_) \
		{ \
			failures++; \
			fprintf(stderr, "%s:%d: %s is %.17g, expected %.17g\n", \
					__FILE__, __LINE__, #got, got_, want_); \
		} \
	} while (0)

/* NUL-terminated strings; NULL never matches */
#define CHECK_STR(got, want) \
	do { \
		const char *got_ = (got); \
		const char *want_ = (want); \
		checks++; \
		if (got_ == NULL || want_ == NULL || strcmp(got_, want_) != 0) \
		{ \
			failures++; \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
					__FILE__, __LINE__, #got, got_ ? got_ : "(null)", \
					want_ ? want_ : "(null)"); \
		} \
	} while (0)

/* print the tally; the exit status of the test */
static inline int
UnitReport(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, checks, failures);
	return failures == 0 ? 0 : 1;
}

#endif							/* BANKCRM_UNIT_H */
