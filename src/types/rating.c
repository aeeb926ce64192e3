/*-------------------------------------------------------------------------
 *
 * rating.c
 *	  Parse, format and step along the agency credit grade scale.
 *
 * The scale has 22 grades.  Each one gets a code from 1 (D) to 22 (AAA), so
 * that comparing codes as integers compares credit quality, and the
 * PostgreSQL type can reuse the int2 comparison and hash functions unchanged.
 * The agency "notch" counts the other way: AAA is notch 1 and D notch 22.
 *
 * The parser takes a pointer and a length rather than a C string, so that it
 * never reads past what it was given and treats an embedded NUL byte like
 * any other foreign character.  Input is case-insensitive, and white space
 * (space, tab, newline, carriage return, vertical tab, form feed) around the
 * grade is ignored.  Nothing here depends on the locale: upper-casing and the
 * white space test look at ASCII bytes only.
 *
 * This file is plain C99 with no PostgreSQL headers and no allocation, so it
 * is safe to call from any process and is driven directly by
 * test/unit/test_rating.c and test/fuzz/fuzz_rating.c.
 *
 * Layer: pure computation: plain C, no PostgreSQL header, unit-tested and
 * fuzzed.  Calls nothing of the extension.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/types/rating.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "rating.h"

static int	rating_is_space(unsigned char c);

/* canonical names, indexed by code; slot 0 is CREDIT_RATING_INVALID */
static const char *const rating_names[CREDIT_RATING_MAX + 1] = {
	NULL,
	"D", "C", "CC",
	"CCC-", "CCC", "CCC+",
	"B-", "B", "B+",
	"BB-", "BB", "BB+",
	"BBB-", "BBB", "BBB+",
	"A-", "A", "A+",
	"AA-", "AA", "AA+",
	"AAA"
};

/* strlen() of each name, so the parser compares only same-length names */
static const unsigned char rating_lengths[CREDIT_RATING_MAX + 1] = {
	0,
	1, 1, 2,
	4, 3, 4,
	2, 1, 2,
	3, 2, 3,
	4, 3, 4,
	2, 1, 2,
	3, 2, 3,
	3
};

/*
 * rating_is_space
 *		The white space accepted around a grade: the C locale's isspace()
 *		set, tested without consulting the locale.
 */
static int
rating_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

/*
 * CreditRatingIsValid
 *		True if code is one of the 22 grades.
 */
int
CreditRatingIsValid(int code)
{
	return code >= CREDIT_RATING_MIN && code <= CREDIT_RATING_MAX;
}

/*
 * CreditRatingParse
 *		Return the code of the grade spelt by the len bytes at str, or
 *		CREDIT_RATING_INVALID.
 *
 * str need not be NUL-terminated and may be NULL when len is 0.  Leading and
 * trailing white space is skipped and letters are compared case-insensitively;
 * anything else, including an empty or all-blank input, is invalid.
 */
int
CreditRatingParse(const char *str, size_t len)
{
	const unsigned char *p = (const unsigned char *) str;
	size_t		start = 0;
	size_t		end = len;
	size_t		n;
	size_t		i;
	char		buf[CREDIT_RATING_NAME_MAXLEN];
	int			code;

	if (p == NULL)
		return CREDIT_RATING_INVALID;

	while (start < end && rating_is_space(p[start]))
		start++;
	while (end > start && rating_is_space(p[end - 1]))
		end--;

	n = end - start;
	if (n == 0 || n > CREDIT_RATING_NAME_MAXLEN)
		return CREDIT_RATING_INVALID;

	for (i = 0; i < n; i++)
	{
		unsigned char c = p[start + i];

		if (c >= 'a' && c <= 'z')
			c = (unsigned char) (c - 'a' + 'A');
		buf[i] = (char) c;
	}

	for (code = CREDIT_RATING_MIN; code <= CREDIT_RATING_MAX; code++)
	{
		if (rating_lengths[code] == n &&
			memcmp(rating_names[code], buf, n) == 0)
			return code;
	}
	return CREDIT_RATING_INVALID;
}

/*
 * CreditRatingName
 *		The canonical upper-case name of a grade, or NULL for an invalid code.
 *
 * The result is a static string of at most CREDIT_RATING_NAME_MAXLEN bytes.
 */
const char *
CreditRatingName(int code)
{
	if (!CreditRatingIsValid(code))
		return NULL;
	return rating_names[code];
}

/*
 * CreditRatingNotch
 *		The agency notch of a grade: AAA is 1, D is 22; 0 for an invalid code.
 */
int
CreditRatingNotch(int code)
{
	if (!CreditRatingIsValid(code))
		return 0;
	return CREDIT_RATING_MAX + 1 - code;
}

/*
 * CreditRatingBand
 *		The bank's reporting bucket of a grade, or NULL for an invalid code.
 *
 * A plus or minus grade belongs to its letter band ("AA-" is in "AA"); every
 * grade from B+ down to D is "below BB".
 */
const char *
CreditRatingBand(int code)
{
	if (!CreditRatingIsValid(code))
		return NULL;
	if (code == CREDIT_RATING_AAA)
		return "AAA";
	if (code >= 19)				/* AA- .. AA+ */
		return "AA";
	if (code >= 16)				/* A- .. A+ */
		return "A";
	if (code >= CREDIT_RATING_BBB_MINUS)	/* BBB- .. BBB+ */
		return "BBB";
	if (code >= 10)				/* BB- .. BB+ */
		return "BB";
	return CREDIT_RATING_BAND_BELOW_BB;
}

/*
 * CreditRatingIsInvestmentGrade
 *		True for BBB- and better; false for worse and for invalid codes.
 */
int
CreditRatingIsInvestmentGrade(int code)
{
	return CreditRatingIsValid(code) && code >= CREDIT_RATING_BBB_MINUS;
}

/*
 * CreditRatingShift
 *		Move a grade steps notches towards AAA (negative: towards D), stopping
 *		at the ends of the scale.
 *
 * steps is a long long so that callers can negate any int without overflow.
 * An invalid code is returned unchanged as CREDIT_RATING_INVALID.
 */
int
CreditRatingShift(int code, long long steps)
{
	long long	target;

	if (!CreditRatingIsValid(code))
		return CREDIT_RATING_INVALID;

	/* clamp steps first so that the addition cannot overflow */
	if (steps > CREDIT_RATING_COUNT)
		steps = CREDIT_RATING_COUNT;
	else if (steps < -CREDIT_RATING_COUNT)
		steps = -CREDIT_RATING_COUNT;

	target = (long long) code + steps;
	if (target > CREDIT_RATING_MAX)
		target = CREDIT_RATING_MAX;
	else if (target < CREDIT_RATING_MIN)
		target = CREDIT_RATING_MIN;
	return (int) target;
}

/*
 * CreditRatingDistance
 *		The number of notches between two grades, never negative.
 */
int
CreditRatingDistance(int a, int b)
{
	return a >= b ? a - b : b - a;
}
