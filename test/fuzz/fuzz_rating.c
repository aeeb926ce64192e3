/*-------------------------------------------------------------------------
 *
 * fuzz_rating.c
 *	  libFuzzer target for the credit grade parser in src/types/rating.c.
 *
 * Feeds arbitrary bytes, with their exact length, to CreditRatingParse and
 * checks the invariants the PostgreSQL type relies on: an accepted input
 * yields a code on the scale; its canonical name is short, upper case and
 * parses back to the same code, also when padded with white space or
 * lower-cased; and the grade functions agree with the code.  Any violation
 * aborts, which libFuzzer reports as a crash with the input saved.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_rating.c
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/types/rating.c"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			code = CreditRatingParse((const char *) data, size);
	const char *name;
	size_t		len;
	size_t		i;
	char		buf[CREDIT_RATING_NAME_MAXLEN + 4];

	if (code == CREDIT_RATING_INVALID)
	{
		/* CREDIT_RATING_INVALID is not a grade and has no name */
		require(CreditRatingName(code) == NULL);
		return 0;
	}

	require(CreditRatingIsValid(code));
	require(code >= CREDIT_RATING_MIN && code <= CREDIT_RATING_MAX);

	name = CreditRatingName(code);
	require(name != NULL);
	len = strlen(name);
	require(len >= 1 && len <= CREDIT_RATING_NAME_MAXLEN);

	/* canonical form: upper-case letters, then at most one sign */
	for (i = 0; i < len; i++)
		require((name[i] >= 'A' && name[i] <= 'D') ||
				(i == len - 1 && i > 0 && (name[i] == '+' || name[i] == '-')));

	/* format then parse is the identity, exactly sized and padded */
	require(CreditRatingParse(name, len) == code);
	buf[0] = ' ';
	memcpy(buf + 1, name, len);
	buf[len + 1] = '\t';
	require(CreditRatingParse(buf, len + 2) == code);
	for (i = 0; i < len; i++)
		buf[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char) (name[i] + 32) : name[i];
	require(CreditRatingParse(buf, len) == code);

	/* an accepted input has at most four non-blank bytes */
	{
		size_t		nonblank = 0;

		for (i = 0; i < size; i++)
			if (!rating_is_space(data[i]))
				nonblank++;
		require(nonblank == len);
	}

	/* the grade functions agree with the code */
	require(CreditRatingNotch(code) == CREDIT_RATING_MAX + 1 - code);
	require(CreditRatingBand(code) != NULL);
	require(CreditRatingIsInvestmentGrade(code) == (code >= CREDIT_RATING_BBB_MINUS));
	require(CreditRatingShift(code, 0) == code);
	require(CreditRatingDistance(code, CreditRatingShift(code, 1)) <= 1);
	return 0;
}
