/*-------------------------------------------------------------------------
 *
 * test_e164.c
 *	  Unit test of the E.164 parser and formatter in src/types/e164.c.
 *
 * Built as one translation unit with the source it tests and run under
 * AddressSanitizer and UndefinedBehaviorSanitizer by test/run unit.  Exits 0
 * when every check passes and prints each failure otherwise.
 *
 * The tables below pin the exact behaviour: which forms each mode accepts
 * and the value they give, the status of every kind of bad input, the
 * country code table (sorted, prefix-free, each code round-trips) and the
 * Chinese numbering plan, and all four output styles.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/unit/test_e164.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/types/e164.c"

#include "unit.h"

/* inputs that parse; cc is the default country code (0: international only) */
static const struct
{
	const char *input;
	int			cc;
	uint64_t	value;
}			valid[] = {
	/* international forms, accepted in both modes */
	{"+8613522956919", 0, UINT64_C(8613522956919)},
	{"+86 135 2295 6919", 0, UINT64_C(8613522956919)},
	{"+86-135-2295-6919", 0, UINT64_C(8613522956919)},
	{"+86.135.2295.6919", 0, UINT64_C(8613522956919)},
	{"+86 (10) 5124 6210", 0, UINT64_C(861051246210)},
	{"(+86) 135 2295 6919", 0, UINT64_C(8613522956919)},
	{"+ 86 135 2295 6919", 0, UINT64_C(8613522956919)},
	{"008613522956919", 0, UINT64_C(8613522956919)},
	{"00 86 10 5124 6210", 0, UINT64_C(861051246210)},
	{"  \t+86 135 2295 6919 \n", 0, UINT64_C(8613522956919)},
	{"+8613522956919", 44, UINT64_C(8613522956919)},
	{"0044 20 7946 0958", 86, UINT64_C(442079460958)},
	/* every kind of Chinese number */
	{"+86 21 6888 8888", 0, UINT64_C(862168888888)},
	{"+86 755 8765 4321", 0, UINT64_C(8675587654321)},
	{"+86 571 876 5432", 0, UINT64_C(865718765432)},
	{"+86 898 6666 7777", 0, UINT64_C(8689866667777)},
	{"+86 400 123 4567", 0, UINT64_C(864001234567)},
	{"+86 800 810 8888", 0, UINT64_C(868008108888)},
	{"+86 199 0000 0000", 0, UINT64_C(8619900000000)},
	{"+86 10 2000 0000", 0, UINT64_C(861020000000)},
	/* other countries */
	{"+1 212 555 0100", 0, UINT64_C(12125550100)},
	{"+7 912 345-67-89", 0, UINT64_C(79123456789)},
	{"+44 20 7946 0958", 0, UINT64_C(442079460958)},
	{"+39 06 6982 1234", 0, UINT64_C(390669821234)},
	{"+852 2123 4567", 0, UINT64_C(85221234567)},
	{"+683 4002", 0, UINT64_C(6834002)},
	{"+800 1234 5678", 0, UINT64_C(80012345678)},
	{"+49 30 1234567890", 0, UINT64_C(49301234567890)},
	{"+882 1234 5678 9012", 0, UINT64_C(882123456789012)},
	{"+20 123456", 0, UINT64_C(20123456)},
	/* national forms with a default country code */
	{"13522956919", 86, UINT64_C(8613522956919)},
	{"135 2295 6919", 86, UINT64_C(8613522956919)},
	{"013522956919", 86, UINT64_C(8613522956919)},
	{"(010) 5124-6210", 86, UINT64_C(861051246210)},
	{"010-51246210", 86, UINT64_C(861051246210)},
	{"0755 8765 4321", 86, UINT64_C(8675587654321)},
	{"400-123-4567", 86, UINT64_C(864001234567)},
	{"020 7946 0958", 44, UINT64_C(442079460958)},
	{"(212) 555-0100", 1, UINT64_C(12125550100)},
	{"1 212 555 0100", 1, UINT64_C(12125550100)},
	{"8 912 345-67-89", 7, UINT64_C(79123456789)},
	{"912 345 67 89", 7, UINT64_C(79123456789)},
	{"06 6982 1234", 39, UINT64_C(390669821234)},
	{"06 1 234 5678", 36, UINT64_C(3612345678)},
	{"8 029 123-45-67", 375, UINT64_C(375291234567)},
	{"8 612 34567", 370, UINT64_C(37061234567)},
	{"0 612 34567", 370, UINT64_C(37061234567)},
	{"030 1234567890", 49, UINT64_C(49301234567890)},
	{"2123 4567", 852, UINT64_C(85221234567)}
};

/* inputs that fail, with the status and the fields that explain why */
static const struct
{
	const char *input;
	int			cc;
	E164Status	status;
	int			detail;			/* offset, country code or -1 */
}			invalid[] = {
	{"", 0, E164_EMPTY, -1},
	{"   ", 86, E164_EMPTY, -1},
	{"+", 0, E164_EMPTY, -1},
	{"+ - ()", 0, E164_EMPTY, -1},
	{"00", 0, E164_EMPTY, -1},
	{"+86 135x2295 6919", 0, E164_BAD_CHARACTER, 7},
	{"+86 135 2295 6919 ext 2", 0, E164_BAD_CHARACTER, 18},
	{"+86_13522956919", 0, E164_BAD_CHARACTER, 3},
	{"+86 135\t2295 6919", 0, E164_BAD_CHARACTER, 7},
	{"+86 135/2295/6919", 0, E164_BAD_CHARACTER, 7},
	{"86+13522956919", 0, E164_MISPLACED_PLUS, 2},
	{"++8613522956919", 0, E164_MISPLACED_PLUS, 1},
	{"+86 (10 5124 6210", 0, E164_UNBALANCED_PARENTHESES, 4},
	{"+86 10) 5124 6210", 0, E164_UNBALANCED_PARENTHESES, 6},
	{"+86 ((10)) 5124 6210", 0, E164_UNBALANCED_PARENTHESES, 5},
	{"13522956919", 0, E164_NATIONAL_FORM, -1},
	{"(010) 5124-6210", 0, E164_NATIONAL_FORM, -1},
	{"010-51246210", 0, E164_NATIONAL_FORM, -1},
	{"8613522956919", 0, E164_NATIONAL_FORM, -1},
	{"+0 86 135 2295 6919", 0, E164_ZERO_COUNTRY_CODE, -1},
	{"+0086 135 2295 6919", 0, E164_ZERO_COUNTRY_CODE, -1},
	{"00086 135 2295 6919", 0, E164_ZERO_COUNTRY_CODE, -1},
	{"+999 1234 5678", 0, E164_UNKNOWN_COUNTRY_CODE, 999},
	{"+28 1234 5678", 0, E164_UNKNOWN_COUNTRY_CODE, 281},
	{"+388 1234 5678", 0, E164_UNKNOWN_COUNTRY_CODE, 388},
	{"+997 1234 5678", 0, E164_UNKNOWN_COUNTRY_CODE, 997},
	{"+42", 0, E164_UNKNOWN_COUNTRY_CODE, 42},
	{"+671 123 4567", 0, E164_UNKNOWN_COUNTRY_CODE, 671},
	{"13522956919", 999, E164_UNKNOWN_COUNTRY_CODE, 999},
	{"+86", 0, E164_TOO_FEW_DIGITS, 86},
	{"+86 135 2295", 0, E164_TOO_FEW_DIGITS, 86},
	{"+44 1234", 0, E164_TOO_FEW_DIGITS, 44},
	{"+1 555 0100", 0, E164_TOO_FEW_DIGITS, 1},
	{"+683 400", 0, E164_TOO_FEW_DIGITS, 683},
	{"+86 135 2295 69190", 0, E164_TOO_MANY_DIGITS, 86},
	{"+44 1234 5678 9012 34", 0, E164_TOO_MANY_DIGITS, 44},
	{"+1 212 555 01000", 0, E164_TOO_MANY_DIGITS, 1},
	{"+49 123456789012345678901234567890", 0, E164_TOO_MANY_DIGITS, 49},
	{"135229569190", 86, E164_TOO_MANY_DIGITS, 86},
	{"+86 010 5124 6210", 0, E164_CN_TRUNK_PREFIX, 86},
	{"0086 0 135 2295 6919", 0, E164_CN_TRUNK_PREFIX, 86},
	{"+86 125 2295 6919", 0, E164_CN_INVALID, 86},
	{"+86 135 2295 691", 0, E164_CN_INVALID, 86},
	{"+86 10 1234 5678", 0, E164_CN_INVALID, 86},
	{"+86 10 0234 5678", 0, E164_CN_INVALID, 86},
	{"+86 10 5124 62101", 0, E164_CN_INVALID, 86},
	{"+86 26 5124 6210", 0, E164_CN_INVALID, 86},
	{"+86 732 1234 5678", 0, E164_CN_INVALID, 86},
	{"+86 300 1234 567", 0, E164_CN_INVALID, 86},
	{"+86 755 1234 5678", 0, E164_CN_INVALID, 86},
	{"+86 400 123 45678", 0, E164_CN_INVALID, 86},
	{"+86 11 2345 6789", 0, E164_CN_INVALID, 86},
	{"1 2295 6919", 86, E164_TOO_FEW_DIGITS, 86},
	{"12 2295 6919", 86, E164_CN_INVALID, 86},
	{"0123456789", 86, E164_TOO_FEW_DIGITS, 86}
};

/* output styles of valid values */
static const struct
{
	uint64_t	value;
	const char *canonical;
	const char *readable;
	const char *masked;
	const char *national;
}			formats[] = {
	{UINT64_C(8613522956919), "+8613522956919", "+86 135 2295 6919",
	"+86 135****6919", "13522956919"},
	{UINT64_C(861051246210), "+861051246210", "+86 10 5124 6210",
	"+86 1*****6210", "1051246210"},
	{UINT64_C(8675587654321), "+8675587654321", "+86 755 8765 4321",
	"+86 755****4321", "75587654321"},
	{UINT64_C(865718765432), "+865718765432", "+86 571 876 5432",
	"+86 5*****5432", "5718765432"},
	{UINT64_C(864001234567), "+864001234567", "+86 400 123 4567",
	"+86 4*****4567", "4001234567"},
	{UINT64_C(12125550100), "+12125550100", "+1 212 555 0100",
	"+1 2*****0100", "2125550100"},
	{UINT64_C(79123456789), "+79123456789", "+7 912 345 6789",
	"+7 9*****6789", "9123456789"},
	{UINT64_C(442079460958), "+442079460958", "+44 20 7946 0958",
	"+44 2*****0958", "2079460958"},
	{UINT64_C(390669821234), "+390669821234", "+39 06 6982 1234",
	"+39 0*****1234", "0669821234"},
	{UINT64_C(85221234567), "+85221234567", "+852 2123 4567",
	"+852 2****567", "21234567"},
	{UINT64_C(6834002), "+6834002", "+683 4002", "+683 4**2", "4002"},
	{UINT64_C(20123456), "+20123456", "+20 12 3456", "+20 1***56", "123456"},
	{UINT64_C(29012345), "+29012345", "+290 1 2345", "+290 1***5", "12345"},
	{UINT64_C(49301234567890), "+49301234567890", "+49 3012 3456 7890",
	"+49 301*****7890", "301234567890"},
	{UINT64_C(882123456789012), "+882123456789012", "+882 1234 5678 9012",
	"+882 123*****9012", "123456789012"}
};

/*
 * parse
 *		Parse a NUL-terminated test input from a heap copy of exactly its
 *		length, so that AddressSanitizer catches any read past the end.
 */
static bool
parse(const char *input, int cc, E164Result *result)
{
	size_t		len = strlen(input);
	char	   *copy = malloc(len ? len : 1);
	bool		ok;

	if (copy == NULL)
		abort();
	memcpy(copy, input, len);
	ok = E164Parse(copy, len, cc, result);
	free(copy);
	return ok;
}

static void
test_valid(void)
{
	size_t		i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
	{
		E164Result r;
		bool		ok = parse(valid[i].input, valid[i].cc, &r);

		checks++;
		if (!ok || r.status != E164_OK || r.value != valid[i].value)
		{
			failures++;
			fprintf(stderr, "valid input \"%s\" (cc %d): ok %d status %d value %" PRIu64
					", expected %" PRIu64 "\n", valid[i].input, valid[i].cc,
					(int) ok, (int) r.status, r.value, valid[i].value);
			continue;
		}
		/* the value validates and its canonical form parses back */
		{
			E164Result v;
			char		buf[E164_BUFSIZE];

			CHECK(E164Validate(r.value, &v));
			CHECK(v.value == r.value);
			CHECK(E164Format(r.value, E164_STYLE_CANONICAL, buf, sizeof(buf)) > 0);
			CHECK(parse(buf, 0, &v) && v.value == r.value);
			CHECK(E164Format(r.value, E164_STYLE_READABLE, buf, sizeof(buf)) > 0);
			CHECK(parse(buf, 0, &v) && v.value == r.value);
			CHECK_INT(E164CountryCode(r.value), r.country_code);
		}
	}
}

static void
test_invalid(void)
{
	size_t		i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
	{
		E164Result r;
		bool		ok = parse(invalid[i].input, invalid[i].cc, &r);
		int			detail = -1;

		switch (r.status)
		{
			case E164_BAD_CHARACTER:
			case E164_MISPLACED_PLUS:
			case E164_UNBALANCED_PARENTHESES:
				detail = (int) r.offset;
				break;
			case E164_UNKNOWN_COUNTRY_CODE:
			case E164_TOO_FEW_DIGITS:
			case E164_TOO_MANY_DIGITS:
			case E164_CN_TRUNK_PREFIX:
			case E164_CN_INVALID:
				detail = r.country_code;
				break;
			default:
				break;
		}
		checks++;
		if (ok || r.status != invalid[i].status || detail != invalid[i].detail)
		{
			failures++;
			fprintf(stderr, "invalid input \"%s\" (cc %d): ok %d status %d detail %d, "
					"expected status %d detail %d\n", invalid[i].input,
					invalid[i].cc, (int) ok, (int) r.status, detail,
					(int) invalid[i].status, invalid[i].detail);
		}
	}
}

/* the extra fields that error messages use */
static void
test_result_fields(void)
{
	E164Result r;

	CHECK(!parse("+86 135 2295 69190", 0, &r));
	CHECK_INT(r.national_digits, 12);
	CHECK_INT(r.min_national, 10);
	CHECK_INT(r.max_national, 11);

	CHECK(!parse("+1 555 0100", 0, &r));
	CHECK_INT(r.national_digits, 7);
	CHECK_INT(r.min_national, 10);
	CHECK_INT(r.max_national, 10);

	CHECK(!parse("+44 1234", 0, &r));
	CHECK_INT(r.min_national, 6);
	CHECK_INT(r.max_national, 13);

	CHECK(!parse("+852 1234", 0, &r));
	CHECK_INT(r.min_national, 5);
	CHECK_INT(r.max_national, 12);

	CHECK(!parse("+86 125 2295 6919", 0, &r));
	CHECK_STR(r.national, "12522956919");

	CHECK(!parse("+86 010 5124 6210", 0, &r));
	CHECK_STR(r.national, "01051246210");

	CHECK(parse("+86 135 2295 6919", 0, &r));
	CHECK_INT(r.country_code, 86);
	CHECK_INT(r.national_digits, 11);
	CHECK_STR(r.national, "13522956919");
}

/* the table is sorted, prefix-free, and every code round-trips */
static void
test_country_table(void)
{
	size_t		n = E164CountryCount();
	size_t		i;
	size_t		j;
	int			cc;

	CHECK(n > 200);
	CHECK_INT(E164CountryAt(n), 0);

	for (i = 0; i < n; i++)
	{
		int			code = E164CountryAt(i);
		int			cclen = code >= 100 ? 3 : code >= 10 ? 2 : 1;
		const E164Country *c = find_country(code);
		int			min_national;
		int			max_national;
		uint64_t	value;
		char		canonical[E164_BUFSIZE];
		char		expect[E164_BUFSIZE];
		E164Result	r;

		CHECK(code >= 1 && code <= 998);
		CHECK(E164IsCountryCode(code));
		if (i > 0)
			CHECK(E164CountryAt(i - 1) < code);

		/* no code is a decimal prefix of another */
		for (j = 0; j < n; j++)
		{
			int			other = E164CountryAt(j);

			if (other == code)
				continue;
			CHECK(other / 10 != code && other / 100 != code);
		}

		/* shortest and longest numbers of the country, digits 2..9 cycling */
		national_range(c, &min_national, &max_national);
		CHECK(min_national + cclen >= E164_MIN_DIGITS);
		CHECK(max_national + cclen <= E164_MAX_DIGITS);
		{
			int			lens[2];
			int			k;

			lens[0] = min_national;
			lens[1] = max_national;
			for (k = 0; k < 2; k++)
			{
				char		nsn[E164_MAX_DIGITS + 1];
				int			d;

				if (code == 86)
				{
					/* a mobile number and a Beijing line instead */
					strcpy(nsn, k == 0 ? "1051246210" : "13522956919");
				}
				else
				{
					for (d = 0; d < lens[k]; d++)
						nsn[d] = (char) ('2' + (d % 8));
					nsn[lens[k]] = '\0';
				}
				snprintf(expect, sizeof(expect), "+%d%s", code, nsn);
				CHECK(parse(expect, 0, &r));
				CHECK_INT(r.country_code, code);
				value = r.value;
				CHECK_INT(E164CountryCode(value), code);
				CHECK(E164Format(value, E164_STYLE_CANONICAL, canonical,
								 sizeof(canonical)) > 0);
				CHECK_STR(canonical, expect);
				CHECK(E164Format(value, E164_STYLE_NATIONAL, canonical,
								 sizeof(canonical)) > 0);
				CHECK_STR(canonical, nsn);
				CHECK(E164Validate(value, &r) && r.value == value);
			}

			/* one digit too few and too many (Chinese rules aside) */
			if (code != 86)
			{
				char		nsn[E164_MAX_DIGITS + 2];
				int			d;

				for (d = 0; d < min_national - 1; d++)
					nsn[d] = '5';
				nsn[min_national - 1] = '\0';
				snprintf(expect, sizeof(expect), "+%d%s", code, nsn);
				CHECK(!parse(expect, 0, &r) && r.status == E164_TOO_FEW_DIGITS);

				for (d = 0; d < max_national + 1; d++)
					nsn[d] = '5';
				nsn[max_national + 1] = '\0';
				snprintf(expect, sizeof(expect), "+%d%s", code, nsn);
				CHECK(!parse(expect, 0, &r) && r.status == E164_TOO_MANY_DIGITS);
			}
		}
	}

	/* codes that are not assigned */
	CHECK(!E164IsCountryCode(0));
	CHECK(!E164IsCountryCode(-86));
	CHECK(!E164IsCountryCode(1000));
	CHECK(!E164IsCountryCode(999));
	CHECK(!E164IsCountryCode(388));
	CHECK(!E164IsCountryCode(871));
	CHECK(!E164IsCountryCode(42));
	CHECK(!E164IsCountryCode(86 * 10));

	/* a spot check of the list against the ITU assignments */
	{
		static const int assigned[] = {
			1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46,
			47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64,
			65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213,
			216, 218, 246, 247, 262, 290, 291, 297, 298, 299, 350, 359, 370,
			379, 380, 383, 385, 387, 389, 420, 421, 423, 500, 509, 590, 599,
			670, 672, 683, 690, 692, 800, 808, 850, 852, 853, 855, 856, 870,
			878, 880, 881, 882, 883, 886, 888, 960, 968, 970, 977, 979, 992,
			996, 998
		};

		for (i = 0; i < sizeof(assigned) / sizeof(assigned[0]); i++)
			CHECK(E164IsCountryCode(assigned[i]));
		for (cc = 220; cc <= 258; cc++)
			CHECK(E164IsCountryCode(cc));
		for (cc = 260; cc <= 269; cc++)
			CHECK(E164IsCountryCode(cc));
		for (cc = 590; cc <= 599; cc++)
			CHECK(E164IsCountryCode(cc));
	}
	{
		static const int spare[] = {
			210, 214, 215, 217, 219, 259, 280, 289, 292, 296, 384, 388, 422,
			424, 429, 671, 684, 693, 699, 801, 807, 809, 830, 839, 851, 854,
			857, 859, 871, 874, 875, 879, 884, 885, 887, 889, 890, 899, 969,
			978, 990, 991, 997, 999
		};

		for (i = 0; i < sizeof(spare) / sizeof(spare[0]); i++)
			CHECK(!E164IsCountryCode(spare[i]));
	}
}

/* the Chinese numbering plan */
static void
test_china(void)
{
	int			area_len;
	int			area;
	size_t		i;

	CHECK_INT(E164ChinaClassify("13522956919", 11, &area_len), E164_CN_MOBILE);
	CHECK_INT(area_len, 0);
	CHECK_INT(E164ChinaClassify("19912345678", 11, NULL), E164_CN_MOBILE);
	CHECK_INT(E164ChinaClassify("12912345678", 11, NULL), E164_CN_NONE);
	CHECK_INT(E164ChinaClassify("1352295691", 10, NULL), E164_CN_NONE);
	CHECK_INT(E164ChinaClassify("1051246210", 10, &area_len), E164_CN_FIXED);
	CHECK_INT(area_len, 2);
	CHECK_INT(E164ChinaClassify("10512462101", 11, NULL), E164_CN_NONE);
	CHECK_INT(E164ChinaClassify("2951246210", 10, &area_len), E164_CN_FIXED);
	CHECK_INT(area_len, 2);
	CHECK_INT(E164ChinaClassify("2651246210", 10, NULL), E164_CN_NONE);
	CHECK_INT(E164ChinaClassify("2111111111", 10, NULL), E164_CN_NONE);
	CHECK_INT(E164ChinaClassify("75587654321", 11, &area_len), E164_CN_FIXED);
	CHECK_INT(area_len, 3);
	CHECK_INT(E164ChinaClassify("5718765432", 10, &area_len), E164_CN_FIXED);
	CHECK_INT(area_len, 3);
	CHECK_INT(E164ChinaClassify("5710765432", 10, NULL), E164_CN_NONE);
	CHECK_INT(E164ChinaClassify("4001234567", 10, NULL), E164_CN_SERVICE);
	CHECK_INT(E164ChinaClassify("8001234567", 10, NULL), E164_CN_SERVICE);
	CHECK_INT(E164ChinaClassify("40012345678", 11, NULL), E164_CN_NONE);
	CHECK_INT(E164ChinaClassify("4102345678", 10, NULL), E164_CN_FIXED);
	CHECK_INT(E164ChinaClassify("135229569a9", 11, NULL), E164_CN_NONE);
	CHECK_INT(E164ChinaClassify("135", 3, NULL), E164_CN_NONE);

	/* two-digit area codes */
	for (area = 10; area <= 99; area++)
		CHECK(E164IsChinaAreaCode(area) ==
			  (area == 10 || (area >= 20 && area <= 29 && area != 26)));
	/* the three-digit table: sorted, 3xx-9xx, a few known codes */
	for (i = 0; i < CHINA_NAREAS; i++)
	{
		CHECK(china_area_codes[i] >= 310 && china_area_codes[i] <= 999);
		if (i > 0)
			CHECK(china_area_codes[i - 1] < china_area_codes[i]);
		CHECK(E164IsChinaAreaCode(china_area_codes[i]));
	}
	CHECK(E164IsChinaAreaCode(311));	/* Shijiazhuang */
	CHECK(E164IsChinaAreaCode(512));	/* Suzhou */
	CHECK(E164IsChinaAreaCode(571));	/* Hangzhou */
	CHECK(E164IsChinaAreaCode(755));	/* Shenzhen */
	CHECK(E164IsChinaAreaCode(769));	/* Dongguan */
	CHECK(E164IsChinaAreaCode(871));	/* Kunming */
	CHECK(E164IsChinaAreaCode(898));	/* Hainan */
	CHECK(E164IsChinaAreaCode(991));	/* Urumqi */
	CHECK(!E164IsChinaAreaCode(300));
	CHECK(!E164IsChinaAreaCode(400));
	CHECK(!E164IsChinaAreaCode(732));
	CHECK(!E164IsChinaAreaCode(733));
	CHECK(!E164IsChinaAreaCode(800));
	CHECK(!E164IsChinaAreaCode(899));
	CHECK(!E164IsChinaAreaCode(26));
}

static void
test_formats(void)
{
	size_t		i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
	{
		char		buf[E164_BUFSIZE];
		E164Result	r;

		CHECK(E164Validate(formats[i].value, &r));
		CHECK(E164Format(formats[i].value, E164_STYLE_CANONICAL, buf, sizeof(buf)) ==
			  strlen(formats[i].canonical));
		CHECK_STR(buf, formats[i].canonical);
		CHECK(E164Format(formats[i].value, E164_STYLE_READABLE, buf, sizeof(buf)) > 0);
		CHECK_STR(buf, formats[i].readable);
		CHECK(E164Format(formats[i].value, E164_STYLE_MASKED, buf, sizeof(buf)) > 0);
		CHECK_STR(buf, formats[i].masked);
		CHECK(E164Format(formats[i].value, E164_STYLE_NATIONAL, buf, sizeof(buf)) > 0);
		CHECK_STR(buf, formats[i].national);
	}

	/* masking hides at least half of a short national number */
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
	{
		char		buf[E164_BUFSIZE];
		size_t		len = E164Format(formats[i].value, E164_STYLE_MASKED, buf, sizeof(buf));
		size_t		stars = 0;
		size_t		nlen = strlen(formats[i].national);
		size_t		k;

		for (k = 0; k < len; k++)
			stars += buf[k] == '*';
		CHECK(stars >= 4 || stars * 2 >= nlen);
		CHECK(nlen >= 11 ? stars == nlen - 7 : stars * 2 >= nlen);
	}

	/* invalid values and small buffers give 0 and write nothing */
	{
		char		buf[E164_BUFSIZE];
		char		small[15];

		memset(small, 'x', sizeof(small));
		CHECK_INT(E164Format(0, E164_STYLE_CANONICAL, buf, sizeof(buf)), 0);
		CHECK_INT(E164Format(UINT64_C(1000000000000000), E164_STYLE_CANONICAL, buf, sizeof(buf)), 0);
		CHECK_INT(E164Format(UINT64_MAX, E164_STYLE_READABLE, buf, sizeof(buf)), 0);
		CHECK_INT(E164Format(UINT64_C(99912345678), E164_STYLE_CANONICAL, buf, sizeof(buf)), 0);
		CHECK_INT(E164Format(UINT64_C(86), E164_STYLE_CANONICAL, buf, sizeof(buf)), 0);
		CHECK_INT(E164Format(UINT64_C(8613522956919), E164_STYLE_CANONICAL, small, sizeof(small) - 1), 0);
		CHECK(small[0] == 'x');
		CHECK_INT(E164Format(UINT64_C(8613522956919), E164_STYLE_CANONICAL, small, sizeof(small)), 14);
		CHECK_STR(small, "+8613522956919");
	}
}

/* E164Validate checks stored values exactly as the parser checks text */
static void
test_validate(void)
{
	E164Result	r;

	CHECK(E164Validate(UINT64_C(8613522956919), &r));
	CHECK(!E164Validate(0, &r) && r.status == E164_ZERO_COUNTRY_CODE);
	CHECK(!E164Validate(UINT64_C(99912345678), &r) &&
		  r.status == E164_UNKNOWN_COUNTRY_CODE && r.country_code == 999);
	CHECK(!E164Validate(UINT64_C(8612522956919), &r) && r.status == E164_CN_INVALID);
	CHECK(!E164Validate(UINT64_C(86135229569190), &r) && r.status == E164_TOO_MANY_DIGITS);
	CHECK(!E164Validate(UINT64_C(1000000000000000), &r) && r.status == E164_TOO_MANY_DIGITS);
	CHECK(!E164Validate(UINT64_MAX, &r) && r.status == E164_TOO_MANY_DIGITS);
	CHECK(!E164Validate(UINT64_C(441234), &r) && r.status == E164_TOO_FEW_DIGITS);
	CHECK(!E164Validate(UINT64_C(12125550100) * 10, &r) && r.status == E164_TOO_MANY_DIGITS);
	CHECK_INT(E164CountryCode(UINT64_C(8613522956919)), 86);
	CHECK_INT(E164CountryCode(UINT64_C(12125550100)), 1);
	CHECK_INT(E164CountryCode(UINT64_C(85221234567)), 852);
	CHECK_INT(E164CountryCode(UINT64_C(99912345678)), 0);
	CHECK_INT(E164CountryCode(0), 0);
}

/* a national number that only the default country code makes valid */
static void
test_modes(void)
{
	E164Result	r;

	CHECK(!parse("13522956919", 0, &r) && r.status == E164_NATIONAL_FORM);
	CHECK(!parse("13522956919", -1, &r) && r.status == E164_NATIONAL_FORM);
	CHECK(parse("13522956919", 86, &r) && r.value == UINT64_C(8613522956919));
	/* the same digits under another country are another number */
	CHECK(parse("13522956919", 44, &r) && r.value == UINT64_C(4413522956919));
	/* a trunk prefix other than 0 is kept when too few digits would remain */
	CHECK(!parse("7123", 7, &r) && r.status == E164_TOO_FEW_DIGITS &&
		  r.national_digits == 4);
	/* ... so ten digits that start with 8 are the national number itself */
	CHECK(parse("800 555 3535", 7, &r) && r.value == UINT64_C(78005553535));
	CHECK(parse("8 800 555 3535", 7, &r) && r.value == UINT64_C(78005553535));
	/* a trunk 0 is always dropped */
	CHECK(!parse("0123", 44, &r) && r.status == E164_TOO_FEW_DIGITS &&
		  r.national_digits == 3);
	/* Italy keeps its leading 0 */
	CHECK(parse("0669821234", 39, &r) && r.value == UINT64_C(390669821234));
	/* +1: a leading 1 is the trunk prefix only on 11 digits */
	CHECK(parse("12125550100", 1, &r) && r.value == UINT64_C(12125550100));
	CHECK(!parse("121255501", 1, &r) && r.status == E164_TOO_FEW_DIGITS);
	/* the input is not NUL-terminated: only len bytes count */
	CHECK(E164Parse("+8613522956919999", 14, 0, &r) &&
		  r.value == UINT64_C(8613522956919));
	CHECK(!E164Parse("+8613522956919", 0, 0, &r) && r.status == E164_EMPTY);
	CHECK(!E164Parse("+86 135\0002295 6919", 17, 0, &r) &&
		  r.status == E164_BAD_CHARACTER && r.offset == 7);
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_result_fields();
	test_country_table();
	test_china();
	test_formats();
	test_validate();
	test_modes();

	printf("%zu country codes, %zu Chinese area codes\n", E164CountryCount(), CHINA_NAREAS);
	return UnitReport("test_e164");
}
