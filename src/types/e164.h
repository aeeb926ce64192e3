/*-------------------------------------------------------------------------
 *
 * e164.h
 *	  Parse, validate and format ITU-T E.164 telephone numbers.
 *
 * An E.164 number is a country calling code followed by a national
 * significant number, at most 15 digits in all, and its first digit is never
 * 0.  The digits read as one decimal integer are therefore a lossless
 * encoding that fits in 50 bits: that integer is the value this module
 * produces and the phone type stores.  Country calling codes are prefix-free,
 * so the code is recovered from the value by prefix matching against the
 * table of assigned codes in e164.c.
 *
 * This header and e164.c are plain C99 with no PostgreSQL headers: the unit
 * test and the fuzz target drive them directly, and src/types/phone.c is the
 * only PostgreSQL glue.  Nothing here allocates memory or reads beyond the
 * length it is given.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/types/e164.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_E164_H
#define BANKCRM_E164_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* digits in a number, country code included */
#define E164_MAX_DIGITS			15
/* the fewest digits of any number (Niue and Tokelau fixed lines) */
#define E164_MIN_DIGITS			7
/* the fewest digits where the table has no smaller country-specific minimum */
#define E164_DEFAULT_MIN_DIGITS	8

/* the largest value a number can have, 15 nines */
#define E164_MAX_VALUE			UINT64_C(999999999999999)

/* a buffer of this size holds any formatted number and its terminator */
#define E164_BUFSIZE			32

/*
 * Why a parse or validation failed.  The order is the order of the checks:
 * characters first, then the form, the country code, the length and the
 * country's own numbering plan.
 */
typedef enum E164Status
{
	E164_OK = 0,
	E164_EMPTY,					/* no digits at all */
	E164_BAD_CHARACTER,			/* a byte that is neither digit nor separator */
	E164_MISPLACED_PLUS,		/* "+" after a digit or a second "+" */
	E164_UNBALANCED_PARENTHESES,	/* ")" without "(", "((" or "(" unclosed */
	E164_NATIONAL_FORM,			/* no "+" or "00" and no default country code */
	E164_ZERO_COUNTRY_CODE,		/* "+0...": country codes never start with 0 */
	E164_UNKNOWN_COUNTRY_CODE,	/* no assigned code is a prefix of the digits */
	E164_TOO_FEW_DIGITS,		/* national number shorter than the country allows */
	E164_TOO_MANY_DIGITS,		/* national number longer than the country allows */
	E164_CN_TRUNK_PREFIX,		/* "+86 0...": trunk prefix kept after +86 */
	E164_CN_INVALID				/* +86 number outside the Chinese numbering plan */
} E164Status;

/*
 * What E164Parse and E164Validate found.  Which fields are meaningful
 * depends on the status:
 *
 *	value			E164_OK
 *	offset			E164_BAD_CHARACTER, E164_MISPLACED_PLUS,
 *					E164_UNBALANCED_PARENTHESES: byte offset into the input
 *	country_code	E164_OK and every status after E164_UNKNOWN_COUNTRY_CODE;
 *					for E164_UNKNOWN_COUNTRY_CODE the leading (up to three)
 *					digits that matched no code
 *	national_digits, min_national, max_national
 *					E164_OK, E164_TOO_FEW_DIGITS, E164_TOO_MANY_DIGITS:
 *					digits after the country code and the range the country
 *					allows
 *	national		E164_OK, E164_CN_TRUNK_PREFIX, E164_CN_INVALID: the
 *					national significant number as a string
 */
typedef struct E164Result
{
	E164Status	status;
	uint64_t	value;
	size_t		offset;
	int			country_code;
	int			national_digits;
	int			min_national;
	int			max_national;
	char		national[E164_MAX_DIGITS + 1];
} E164Result;

/* output styles of E164Format */
typedef enum E164Style
{
	E164_STYLE_CANONICAL,		/* +8613522956919 */
	E164_STYLE_READABLE,		/* +86 135 2295 6919 */
	E164_STYLE_MASKED,			/* +86 135****6919 */
	E164_STYLE_NATIONAL			/* 13522956919 (national significant number) */
} E164Style;

/* kinds of Chinese (+86) numbers, from E164ChinaKind */
typedef enum E164ChinaKind
{
	E164_CN_NONE = 0,			/* not a valid Chinese number */
	E164_CN_MOBILE,				/* 1[3-9] and 9 more digits */
	E164_CN_FIXED,				/* area code and 7- or 8-digit subscriber */
	E164_CN_SERVICE				/* 400 or 800 and 7 more digits */
} E164ChinaKind;

extern bool E164Parse(const char *str, size_t len, int default_cc,
					  E164Result *result);
extern bool E164Validate(uint64_t value, E164Result *result);
extern size_t E164Format(uint64_t value, E164Style style,
						 char *buf, size_t size);
extern int	E164CountryCode(uint64_t value);
extern bool E164IsCountryCode(int cc);
extern size_t E164CountryCount(void);
extern int	E164CountryAt(size_t i);
extern E164ChinaKind E164ChinaClassify(const char *nsn, int len, int *area_len);
extern bool E164IsChinaAreaCode(int area);

#endif							/* BANKCRM_E164_H */
