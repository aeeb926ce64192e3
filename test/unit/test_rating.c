/*-------------------------------------------------------------------------
 *
 * test_rating.c
 *	  Unit test of the credit grade scale in src/types/rating.c.
 *
 * Built as one translation unit with the source it tests and run under
 * AddressSanitizer and UndefinedBehaviorSanitizer by test/run unit.  Exits 0
 * when every check passes and prints each failure otherwise.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/unit/test_rating.c
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/types/rating.c"

#include "unit.h"

/* the scale, best first, with the expected notch, band and code */
static const struct
{
	const char *name;
	int			code;
	const char *band;
}			scale[] = {
	{"AAA", 22, "AAA"},
	{"AA+", 21, "AA"},
	{"AA", 20, "AA"},
	{"AA-", 19, "AA"},
	{"A+", 18, "A"},
	{"A", 17, "A"},
	{"A-", 16, "A"},
	{"BBB+", 15, "BBB"},
	{"BBB", 14, "BBB"},
	{"BBB-", 13, "BBB"},
	{"BB+", 12, "BB"},
	{"BB", 11, "BB"},
	{"BB-", 10, "BB"},
	{"B+", 9, "below BB"},
	{"B", 8, "below BB"},
	{"B-", 7, "below BB"},
	{"CCC+", 6, "below BB"},
	{"CCC", 5, "below BB"},
	{"CCC-", 4, "below BB"},
	{"CC", 3, "below BB"},
	{"C", 2, "below BB"},
	{"D", 1, "below BB"},
};

#define SCALE_LEN ((int) (sizeof(scale) / sizeof(scale[0])))

/* parse a NUL-terminated string */
static int
parse(const char *s)
{
	return CreditRatingParse(s, strlen(s));
}

/*
 * parse the bytes of s into an exactly sized heap buffer, so that
 * AddressSanitizer catches any read beyond len
 */
static int
parse_exact(const char *s, size_t len)
{
	char	   *copy = malloc(len ? len : 1);
	int			code;

	if (copy == NULL)
		abort();
	memcpy(copy, s, len);
	code = CreditRatingParse(copy, len);
	free(copy);
	return code;
}

static void
test_scale(void)
{
	int			i;

	CHECK_INT(SCALE_LEN, CREDIT_RATING_COUNT);
	CHECK_INT(CREDIT_RATING_COUNT, 22);
	for (i = 0; i < SCALE_LEN; i++)
	{
		int			code = parse(scale[i].name);

		CHECK_INT(code, scale[i].code);
		CHECK_STR(CreditRatingName(code), scale[i].name);
		CHECK_INT(CreditRatingNotch(code), i + 1);
		CHECK_STR(CreditRatingBand(code), scale[i].band);
		CHECK_INT(CreditRatingIsInvestmentGrade(code), code >= 13);
		CHECK_INT(parse_exact(scale[i].name, strlen(scale[i].name)), code);
		/* the list is best first: each grade is better than the next */
		if (i > 0)
			CHECK(scale[i - 1].code > code);
	}
	CHECK_INT(parse("AAA"), CREDIT_RATING_AAA);
	CHECK_INT(parse("BBB-"), CREDIT_RATING_BBB_MINUS);
	CHECK_INT(parse("D"), CREDIT_RATING_D);
	CHECK(CreditRatingIsInvestmentGrade(parse("BBB-")));
	CHECK(!CreditRatingIsInvestmentGrade(parse("BB+")));
}

/* the hint text lists every grade, best first, in the parser's spelling */
static void
test_grade_list(void)
{
	char		list[256] = "";
	int			i;

	for (i = 0; i < SCALE_LEN; i++)
	{
		if (i == SCALE_LEN - 1)
			strcat(list, " and ");
		else if (i > 0)
			strcat(list, ", ");
		strcat(list, scale[i].name);
	}
	CHECK_STR(CREDIT_RATING_GRADE_LIST, list);
}

/* exhaustive: every code formats to a name that parses back to it */
static void
test_round_trip(void)
{
	int			code;
	int			valid = 0;

	for (code = -1000; code <= 1000; code++)
	{
		const char *name = CreditRatingName(code);

		if (!CreditRatingIsValid(code))
		{
			CHECK(name == NULL);
			CHECK(CreditRatingBand(code) == NULL);
			CHECK_INT(CreditRatingNotch(code), 0);
			CHECK_INT(CreditRatingIsInvestmentGrade(code), 0);
			CHECK_INT(CreditRatingShift(code, 1), CREDIT_RATING_INVALID);
			continue;
		}
		valid++;
		CHECK(name != NULL);
		if (name == NULL)
			continue;
		CHECK(strlen(name) >= 1 && strlen(name) <= CREDIT_RATING_NAME_MAXLEN);
		CHECK_INT(parse(name), code);
		CHECK_INT(CreditRatingNotch(code), CREDIT_RATING_MAX + 1 - code);
	}
	CHECK_INT(valid, CREDIT_RATING_COUNT);
	CHECK(!CreditRatingIsValid(INT_MIN));
	CHECK(!CreditRatingIsValid(INT_MAX));
	CHECK(!CreditRatingIsValid(CREDIT_RATING_INVALID));
}

/* lower and mixed case and surrounding white space are accepted */
static void
test_variants(void)
{
	CHECK_INT(parse("aaa"), parse("AAA"));
	CHECK_INT(parse("aA+"), parse("AA+"));
	CHECK_INT(parse("bbb-"), parse("BBB-"));
	CHECK_INT(parse("Ccc+"), parse("CCC+"));
	CHECK_INT(parse("d"), parse("D"));
	CHECK_INT(parse("c"), parse("C"));
	CHECK_INT(parse(" AAA"), parse("AAA"));
	CHECK_INT(parse("AAA "), parse("AAA"));
	CHECK_INT(parse("  bb+  "), parse("BB+"));
	CHECK_INT(parse("\t\n\r\v\fa-\f\v\r\n\t"), parse("A-"));
	CHECK_INT(parse_exact("  CCC-  ", 8), parse("CCC-"));
	/* only the first len bytes count */
	CHECK_INT(CreditRatingParse("AAAA", 3), parse("AAA"));
	CHECK_INT(CreditRatingParse("A+garbage", 2), parse("A+"));
	CHECK_INT(CreditRatingParse("BB ", 2), parse("BB"));
}

/* every class of bad input is refused */
static void
test_invalid(void)
{
	static const char *const bad[] = {
		"", " ", "  ", "\t\n", "XYZ", "AAAA", "A++", "A+-", "AAA+", "AAA-",
		"AA+ +", "A A", "+A", "-", "+", "CC+", "CC-", "C+", "C-", "D+", "D-",
		"DD", "DDD", "CCCC", "BBBB", "E", "F", "AB", "BA", "ABC", "BBB--",
		"A+ x", "x A", "Aa+a", "0", "22", "AAA.", "AA*", "\"A\"", "'A'",
		"A\xc2\xa0", "\xc3\x80", "\xff", "A+\x01", "aaa\x7f",
	};
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		int			code = parse(bad[i]);

		if (code != CREDIT_RATING_INVALID)
			fprintf(stderr, "accepted bad input \"%s\"\n", bad[i]);
		CHECK_INT(code, CREDIT_RATING_INVALID);
		CHECK_INT(parse_exact(bad[i], strlen(bad[i])), CREDIT_RATING_INVALID);
	}

	/* NULL pointer and zero length */
	CHECK_INT(CreditRatingParse(NULL, 0), CREDIT_RATING_INVALID);
	CHECK_INT(CreditRatingParse("AAA", 0), CREDIT_RATING_INVALID);

	/* an embedded NUL byte is a foreign character, not an end marker */
	CHECK_INT(parse_exact("A\0", 2), CREDIT_RATING_INVALID);
	CHECK_INT(parse_exact("\0A", 2), CREDIT_RATING_INVALID);
	CHECK_INT(parse_exact("D\0\0\0", 4), CREDIT_RATING_INVALID);
	CHECK_INT(parse_exact("AA\0+", 4), CREDIT_RATING_INVALID);
	CHECK_INT(parse_exact(" B \0", 4), CREDIT_RATING_INVALID);

	/* long inputs, blank and not */
	{
		char		buf[4096];

		memset(buf, ' ', sizeof(buf));
		CHECK_INT(parse_exact(buf, sizeof(buf)), CREDIT_RATING_INVALID);
		buf[2000] = 'A';
		CHECK_INT(parse_exact(buf, sizeof(buf)), parse("A"));
		buf[2001] = 'A';
		buf[2002] = 'A';
		buf[2003] = 'A';
		CHECK_INT(parse_exact(buf, sizeof(buf)), CREDIT_RATING_INVALID);
	}
}

/* upgrade/downgrade stop at the ends; steps of any size are safe */
static void
test_shift(void)
{
	int			aaa = parse("AAA");
	int			d = parse("D");
	int			bbb = parse("BBB");
	int			code;

	CHECK_INT(CreditRatingShift(bbb, 0), bbb);
	CHECK_INT(CreditRatingShift(bbb, 1), parse("BBB+"));
	CHECK_INT(CreditRatingShift(bbb, -1), parse("BBB-"));
	CHECK_INT(CreditRatingShift(bbb, -2), parse("BB+"));
	CHECK_INT(CreditRatingShift(bbb, 3), parse("A"));
	CHECK_INT(CreditRatingShift(aaa, 1), aaa);
	CHECK_INT(CreditRatingShift(d, -1), d);
	CHECK_INT(CreditRatingShift(bbb, 21), aaa);
	CHECK_INT(CreditRatingShift(bbb, -21), d);
	CHECK_INT(CreditRatingShift(bbb, INT_MAX), aaa);
	CHECK_INT(CreditRatingShift(bbb, INT_MIN), d);
	CHECK_INT(CreditRatingShift(bbb, -(long long) INT_MIN), aaa);
	CHECK_INT(CreditRatingShift(bbb, LLONG_MAX), aaa);
	CHECK_INT(CreditRatingShift(bbb, LLONG_MIN), d);
	CHECK_INT(CreditRatingShift(d, CREDIT_RATING_COUNT - 1), aaa);
	CHECK_INT(CreditRatingShift(aaa, -(CREDIT_RATING_COUNT - 1)), d);

	for (code = CREDIT_RATING_MIN; code <= CREDIT_RATING_MAX; code++)
	{
		long long	s;

		for (s = -30; s <= 30; s++)
		{
			long long	want = code + s;

			if (want > CREDIT_RATING_MAX)
				want = CREDIT_RATING_MAX;
			if (want < CREDIT_RATING_MIN)
				want = CREDIT_RATING_MIN;
			CHECK_INT(CreditRatingShift(code, s), (int) want);
		}
	}
}

static void
test_distance(void)
{
	int			a;
	int			b;

	CHECK_INT(CreditRatingDistance(parse("AAA"), parse("D")), 21);
	CHECK_INT(CreditRatingDistance(parse("D"), parse("AAA")), 21);
	CHECK_INT(CreditRatingDistance(parse("BBB-"), parse("BB+")), 1);
	for (a = CREDIT_RATING_MIN; a <= CREDIT_RATING_MAX; a++)
		for (b = CREDIT_RATING_MIN; b <= CREDIT_RATING_MAX; b++)
		{
			CHECK_INT(CreditRatingDistance(a, b), CreditRatingDistance(b, a));
			CHECK_INT(CreditRatingDistance(a, b),
					  abs(CreditRatingNotch(a) - CreditRatingNotch(b)));
			CHECK_INT(CreditRatingDistance(a, b) == 0, a == b);
		}
}

int
main(void)
{
	test_scale();
	test_grade_list();
	test_round_trip();
	test_variants();
	test_invalid();
	test_shift();
	test_distance();

	return UnitReport("test_rating");
}
