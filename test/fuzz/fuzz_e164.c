/*-------------------------------------------------------------------------
 *
 * fuzz_e164.c
 *	  libFuzzer target for the E.164 parser and formatter in src/types/e164.c.
 *
 * Feeds arbitrary bytes, with their exact length, to E164Parse in both of
 * its modes: international only (the phone type's input function) and
 * national under a default country code (phone_parse), once with 86 and once
 * with a code chosen by the first byte.  For every accepted number it checks
 * the invariants the PostgreSQL type relies on: the value has 7 to 15 digits
 * and validates; its canonical and readable forms re-parse to the same value
 * in every mode; the country code and national number recovered from the
 * value are the ones the parser saw; Chinese numbers fit the Chinese plan;
 * the masked form hides digits.  A rejected input must report an offset
 * inside the input when the status has one.  The first eight bytes are also
 * tried as a binary value, as phone_recv would receive it.  Any violation
 * aborts, which libFuzzer reports as a crash with the input saved; reading
 * past the input is caught by AddressSanitizer, since libFuzzer passes a
 * heap buffer of exactly the input's size.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_e164.c
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/types/e164.c"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(int cond)
{
	if (!cond)
		abort();
}

/*
 * check_value
 *		Invariants of a value that E164Parse or E164Validate accepted, with
 *		the result that accepted it.
 */
static void
check_value(const E164Result *r)
{
	uint64_t	value = r->value;
	char		canonical[E164_BUFSIZE];
	char		readable[E164_BUFSIZE];
	char		masked[E164_BUFSIZE];
	char		national[E164_BUFSIZE];
	char		expect[E164_BUFSIZE];
	size_t		clen;
	size_t		rlen;
	size_t		mlen;
	size_t		nlen;
	size_t		i;
	size_t		stars = 0;
	E164Result	again;

	require(r->status == E164_OK);
	require(value >= UINT64_C(1000000) && value <= E164_MAX_VALUE);
	require(E164IsCountryCode(r->country_code));
	require(E164CountryCode(value) == r->country_code);
	require(r->national_digits >= r->min_national &&
			r->national_digits <= r->max_national);

	/* validation of the stored value agrees with the parser */
	require(E164Validate(value, &again));
	require(again.value == value && again.country_code == r->country_code);

	/* canonical: "+", then all the digits, country code first */
	clen = E164Format(value, E164_STYLE_CANONICAL, canonical, sizeof(canonical));
	require(clen >= 1 + E164_MIN_DIGITS && clen <= 1 + E164_MAX_DIGITS);
	require(canonical[0] == '+' && canonical[clen] == '\0');
	for (i = 1; i < clen; i++)
		require(canonical[i] >= '0' && canonical[i] <= '9');
	require(canonical[1] != '0');

	/* ... which is the country code followed by the national number */
	nlen = E164Format(value, E164_STYLE_NATIONAL, national, sizeof(national));
	require(nlen == (size_t) r->national_digits);
	require(strcmp(national, r->national) == 0);
	snprintf(expect, sizeof(expect), "+%d%s", r->country_code, national);
	require(strcmp(expect, canonical) == 0);

	/* canonical and readable forms re-parse to the value in every mode */
	require(E164Parse(canonical, clen, 0, &again) && again.value == value);
	require(E164Parse(canonical, clen, 86, &again) && again.value == value);
	require(E164Parse(canonical, clen, 1, &again) && again.value == value);
	rlen = E164Format(value, E164_STYLE_READABLE, readable, sizeof(readable));
	require(rlen > clen && rlen < sizeof(readable));
	require(E164Parse(readable, rlen, 0, &again) && again.value == value);

	/* masked: "+cc " and the national number with at least some stars */
	mlen = E164Format(value, E164_STYLE_MASKED, masked, sizeof(masked));
	require(mlen == 1 + (clen - 1 - nlen) + 1 + nlen);
	require(memcmp(masked, canonical, clen - nlen) == 0);
	require(masked[clen - nlen] == ' ');
	for (i = 0; i < mlen; i++)
		stars += masked[i] == '*';
	require(nlen >= 11 ? stars == nlen - 7 : stars * 2 >= nlen);

	if (r->country_code == 86)
		require(E164ChinaClassify(national, (int) nlen, NULL) != E164_CN_NONE);
}

/*
 * check_parse
 *		Parse data in one mode and check what comes out.
 */
static bool
check_parse(const uint8_t *data, size_t size, int default_cc, E164Result *r)
{
	bool		ok = E164Parse((const char *) data, size, default_cc, r);

	require(ok == (r->status == E164_OK));
	if (ok)
		check_value(r);
	else
	{
		switch (r->status)
		{
			case E164_BAD_CHARACTER:
			case E164_MISPLACED_PLUS:
			case E164_UNBALANCED_PARENTHESES:
				require(r->offset < size);
				break;
			case E164_NATIONAL_FORM:
				require(default_cc <= 0);
				break;
			default:
				break;
		}
	}
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	E164Result	intl;
	E164Result	cn;
	E164Result	other;
	bool		intl_ok;

	/* international only, as the type's input function */
	intl_ok = check_parse(data, size, 0, &intl);

	/* national under +86, as phone_parse with the default setting */
	if (check_parse(data, size, 86, &cn) && intl_ok)
		require(cn.value == intl.value);
	if (intl_ok)
		require(cn.status == E164_OK);

	/* national under a country chosen by the first byte, on the rest */
	if (size > 0)
	{
		int			cc = E164CountryAt(data[0] % E164CountryCount());

		check_parse(data + 1, size - 1, cc, &other);
	}

	/* the first eight bytes as a binary value, as phone_recv sees them */
	if (size >= 8)
	{
		uint64_t	value = 0;
		size_t		i;
		E164Result	r;

		for (i = 0; i < 8; i++)
			value = (value << 8) | data[i];
		if (E164Validate(value, &r))
		{
			require(r.value == value);
			check_value(&r);
		}
		else
			require(r.status != E164_OK);
		/* a value below 10^15 in its low digits is also worth a try */
		value %= E164_MAX_VALUE + 1;
		if (E164Validate(value, &r))
			check_value(&r);
	}
	return 0;
}
