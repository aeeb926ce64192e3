/*-------------------------------------------------------------------------
 *
 * phone.c
 *	  The phone type: an E.164 telephone number stored as an int8.
 *
 * A phone value is the number's digits, country code first, read as one
 * integer (+86 135 2295 6919 is 8613522956919).  E.164 numbers have at most
 * 15 digits and never start with 0, so the encoding is lossless and ordering
 * is numeric.  Following contrib/isn, the SQL script declares the type LIKE
 * int8 and binds comparison, sort support and hashing to the built-in int8
 * functions (LANGUAGE internal); this file holds only the text and binary
 * I/O, the STABLE national-number parser and the functions that take a
 * number apart.  All parsing, validation and formatting is in e164.c, which
 * has no PostgreSQL dependencies; this file turns its statuses into
 * ereports.
 *
 * The input function is IMMUTABLE and reads no setting, so it accepts only
 * international forms ("+86 ..." or "0086 ...").  phone_parse() accepts
 * national forms too, under a country code given as an argument or taken
 * from bankcrm.default_country_code; reading the setting makes it STABLE,
 * and because a NULL country code means "use the setting" it is not STRICT.
 *
 * The binary format is the value as an 8-byte big-endian integer.  recv
 * validates it exactly as in validates text: nothing from the wire is
 * trusted.  Every stored value went through one of them, so the output
 * functions may trust their argument; they still check, because a wrong
 * answer would be worse than an error.
 *
 * The setting bankcrm.default_country_code is defined here
 * (PhoneDefineGucs, called by _PG_init).
 *
 * Layer: SQL entry points of the types, over the pure e164.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/types/phone.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <string.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "compat.h"
#include "e164.h"
#include "phone.h"

static bool check_default_country_code(int *newval, void **extra, GucSource source);

/* GUC variables */
int			bankcrm_default_country_code = 86;

/*
 * check_default_country_code
 *		Refuse a country calling code that the ITU has not assigned, so that
 *		the mistake shows at SET time rather than at the first phone_parse().
 */
static bool
check_default_country_code(int *newval, void **extra, GucSource source)
{
	if (E164IsCountryCode(*newval))
		return true;
	GUC_check_errdetail("Country calling code %d is not assigned.", *newval);
	GUC_check_errhint("Use an assigned code such as 86 (China), 852 (Hong Kong) or 1 (North America).");
	return false;
}

/*
 * PhoneDefineGucs
 *		Define bankcrm.default_country_code.
 */
void
PhoneDefineGucs(void)
{
	DefineCustomIntVariable("bankcrm.default_country_code",
							gettext_noop("Sets the country calling code assumed for national-format phone numbers."),
							gettext_noop("Used by phone_parse() when it is called without a country code. "
										 "It never changes what the phone type's input function accepts."),
							&bankcrm_default_country_code,
							86,
							1,
							999,
							PGC_USERSET,
							0,
							check_default_country_code,
							NULL,
							NULL);
}

/* a phone Datum is an int8 holding the number's digits as an integer */
typedef int64 Phone;

#define DatumGetPhone(X)		((Phone) DatumGetInt64(X))
#define PhoneGetDatum(X)		Int64GetDatum(X)
#define PG_GETARG_PHONE(n)		DatumGetPhone(PG_GETARG_DATUM(n))
#define PG_RETURN_PHONE(x)		return PhoneGetDatum(x)

/* an example in international form, used by hints */
#define PHONE_EXAMPLE			"+86 135 2295 6919"

static int	phone_errdetail(const E164Result *result, const char *str);
static int	phone_errhint(const E164Result *result);
static text *phone_format_text(Phone value, E164Style style);

/*
 * phone_errdetail
 *		errdetail() saying why str was rejected; used inside ereport().
 */
static int
phone_errdetail(const E164Result *result, const char *str)
{
	switch (result->status)
	{
		case E164_EMPTY:
			return errdetail("The number has no digits.");
		case E164_BAD_CHARACTER:
			{
				const char *p = str + result->offset;
				unsigned char c = (unsigned char) *p;
				int			len;

				if (c < 0x20 || c == 0x7f)
					return errdetail("Character with code 0x%02x is not allowed.", c);
				len = pg_mblen(p);
				if ((size_t) len > strlen(p))
					len = (int) strlen(p);
				return errdetail("Character \"%.*s\" is not allowed.", len, p);
			}
		case E164_MISPLACED_PLUS:
			return errdetail("A \"+\" may only begin the number.");
		case E164_UNBALANCED_PARENTHESES:
			return errdetail("The parentheses are not balanced.");
		case E164_NATIONAL_FORM:
			return errdetail("A national number needs phone_parse() with a country code.");
		case E164_ZERO_COUNTRY_CODE:
			return errdetail("A country code never starts with 0.");
		case E164_UNKNOWN_COUNTRY_CODE:
			return errdetail("Unknown country code %d. No assigned ITU-T E.164 country code begins the number.",
							 result->country_code);
		case E164_TOO_FEW_DIGITS:
			if (result->min_national == result->max_national)
				return errdetail("The number has too few digits. Numbers with country code %d have exactly %d digits after the country code.",
								 result->country_code, result->min_national);
			return errdetail("The number has too few digits. Numbers with country code %d have at least %d digits after the country code.",
							 result->country_code, result->min_national);
		case E164_TOO_MANY_DIGITS:
			if (result->min_national == result->max_national)
				return errdetail("The number has too many digits. Numbers with country code %d have exactly %d digits after the country code.",
								 result->country_code, result->max_national);
			return errdetail("The number has too many digits. Numbers with country code %d have at most %d digits after the country code.",
							 result->country_code, result->max_national);
		case E164_CN_TRUNK_PREFIX:
			return errdetail("The national number %s starts with the trunk prefix 0, which is not dialled after +86.",
							 result->national);
		case E164_CN_INVALID:
			return errdetail("The national number %s is not a valid Chinese mobile, fixed-line or 400/800 service number.",
							 result->national);
		case E164_OK:
			break;
	}
	return 0;
}

/*
 * phone_errhint
 *		errhint() telling the user what to write instead, if there is a
 *		useful one; used inside ereport().
 */
static int
phone_errhint(const E164Result *result)
{
	switch (result->status)
	{
		case E164_EMPTY:
		case E164_BAD_CHARACTER:
		case E164_MISPLACED_PLUS:
		case E164_UNBALANCED_PARENTHESES:
			return errhint("Write digits separated by spaces, \"-\", \".\" or parentheses after \"+\" and the country code, such as \"%s\".",
						   PHONE_EXAMPLE);
		case E164_NATIONAL_FORM:
			return errhint("Write the number in international form, such as \"%s\", or use bankcrm.phone_parse() for national numbers.",
						   PHONE_EXAMPLE);
		case E164_ZERO_COUNTRY_CODE:
		case E164_UNKNOWN_COUNTRY_CODE:
			return errhint("Start the number with \"+\" or \"00\" and an assigned country code, such as \"%s\".",
						   PHONE_EXAMPLE);
		case E164_CN_TRUNK_PREFIX:
			return errhint("Drop the 0, as in \"+86 10 5124 6210\" for the Beijing number (010) 5124 6210.");
		case E164_CN_INVALID:
			return errhint("Chinese mobile numbers have 11 digits starting with 13 to 19; fixed-line numbers are an area code such as 10, 21 or 755 followed by a 7- or 8-digit subscriber number that does not start with 0 or 1.");
		case E164_TOO_FEW_DIGITS:
			return errhint("Check the number for missing digits: a complete number is written like \"%s\".",
						   PHONE_EXAMPLE);
		case E164_TOO_MANY_DIGITS:
			return errhint("Check the number for extra digits; write an extension in a column of its own, not in the number.");
		case E164_OK:
			break;
	}
	return 0;
}

/*
 * phone_in
 *		Text input: international forms only, e.g. "+86 135 2295 6919",
 *		"+86 (10) 5124 6210" or "008613522956919".
 *
 * Reports bad input through ereturn so that, on PostgreSQL 16 and later,
 * pg_input_is_valid() and COPY ... ON_ERROR see a soft error.  On 15 the
 * compat.h ereturn ignores its context, hence pg_attribute_unused().
 */
PG_FUNCTION_INFO_V1(phone_in);
Datum
phone_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Node	   *escontext pg_attribute_unused() = BANKCRM_ESCONTEXT(fcinfo);
	E164Result	result;

	if (!E164Parse(str, strlen(str), 0, &result))
		ereturn(escontext, (Datum) 0,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "phone", str),
				 phone_errdetail(&result, str),
				 phone_errhint(&result)));

	PG_RETURN_PHONE((Phone) result.value);
}

/*
 * phone_out
 *		Text output: the canonical E.164 form, "+" and the digits.
 */
PG_FUNCTION_INFO_V1(phone_out);
Datum
phone_out(PG_FUNCTION_ARGS)
{
	Phone		value = PG_GETARG_PHONE(0);
	char		buf[E164_BUFSIZE];

	if (value <= 0 ||
		E164Format((uint64_t) value, E164_STYLE_CANONICAL, buf, sizeof(buf)) == 0)
		elog(ERROR, "invalid phone value " INT64_FORMAT, value);

	PG_RETURN_CSTRING(pstrdup(buf));
}

/*
 * phone_recv
 *		Binary input: an 8-byte integer, validated exactly as phone_in
 *		validates text.
 */
PG_FUNCTION_INFO_V1(phone_recv);
Datum
phone_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Phone		value = (Phone) pq_getmsgint64(buf);
	E164Result	result;
	char		digits[32];

	snprintf(digits, sizeof(digits), INT64_FORMAT, value);
	if (value <= 0 || (uint64_t) value > E164_MAX_VALUE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external \"phone\" value: %s", digits),
				 errdetail("A phone value is a positive integer of at most 15 digits.")));
	if (!E164Validate((uint64_t) value, &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external \"phone\" value: %s", digits),
				 phone_errdetail(&result, digits)));

	PG_RETURN_PHONE(value);
}

/*
 * phone_send
 *		Binary output: the value as an 8-byte integer.
 */
PG_FUNCTION_INFO_V1(phone_send);
Datum
phone_send(PG_FUNCTION_ARGS)
{
	Phone		value = PG_GETARG_PHONE(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, value);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * phone_parse
 *		phone_parse(text, default_country_code int4 DEFAULT NULL): parse a
 *		number in international or national form.
 *
 * A national number (no "+" or "00") is taken to be in the given country,
 * or in bankcrm.default_country_code when the country code is NULL; its
 * trunk prefix is dropped ("(010) 5124-6210" under 86 is +861051246210).
 * Not STRICT, because NULL has that meaning; a NULL number gives NULL.
 */
PG_FUNCTION_INFO_V1(phone_parse);
Datum
phone_parse(PG_FUNCTION_ARGS)
{
	char	   *str;
	int			cc;
	E164Result	result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();

	if (PG_ARGISNULL(1))
	{
		cc = bankcrm_default_country_code;
		if (!E164IsCountryCode(cc))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid default country code %d", cc),
					 errdetail("Country code %d is not assigned in ITU-T E.164.", cc),
					 errhint("Set \"bankcrm.default_country_code\" to an assigned country code, such as 86.")));
	}
	else
	{
		cc = PG_GETARG_INT32(1);
		if (!E164IsCountryCode(cc))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid default country code %d", cc),
					 errdetail("Country code %d is not assigned in ITU-T E.164.", cc),
					 errhint("Pass an assigned country code, such as 86, or NULL to use \"bankcrm.default_country_code\".")));
	}

	str = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!E164Parse(str, strlen(str), cc, &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "phone", str),
				 phone_errdetail(&result, str),
				 phone_errhint(&result)));

	pfree(str);
	PG_RETURN_PHONE((Phone) result.value);
}

/*
 * phone_country_code
 *		SQL country_code(phone): the country calling code, e.g. 86.
 */
PG_FUNCTION_INFO_V1(phone_country_code);
Datum
phone_country_code(PG_FUNCTION_ARGS)
{
	Phone		value = PG_GETARG_PHONE(0);
	int			cc = value > 0 ? E164CountryCode((uint64_t) value) : 0;

	if (cc == 0)
		elog(ERROR, "invalid phone value " INT64_FORMAT, value);

	PG_RETURN_INT32(cc);
}

/*
 * phone_format_text
 *		The number in an E164Style as text; errors on an invalid value.
 */
static text *
phone_format_text(Phone value, E164Style style)
{
	char		buf[E164_BUFSIZE];
	size_t		len = 0;

	if (value > 0)
		len = E164Format((uint64_t) value, style, buf, sizeof(buf));
	if (len == 0)
		elog(ERROR, "invalid phone value " INT64_FORMAT, value);

	return cstring_to_text_with_len(buf, (int) len);
}

/*
 * phone_national_number
 *		SQL national_number(phone): the national significant number, the
 *		digits after the country code ("13522956919").
 */
PG_FUNCTION_INFO_V1(phone_national_number);
Datum
phone_national_number(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(phone_format_text(PG_GETARG_PHONE(0), E164_STYLE_NATIONAL));
}

/*
 * phone_mask
 *		The number with its middle digits replaced by "*" ("+86 135****6919"),
 *		for analysts and logs.  The rule is E164Format's E164_STYLE_MASKED.
 */
PG_FUNCTION_INFO_V1(phone_mask);
Datum
phone_mask(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(phone_format_text(PG_GETARG_PHONE(0), E164_STYLE_MASKED));
}

/*
 * phone_format
 *		The number grouped for reading ("+86 135 2295 6919"); it parses back
 *		to the same value.
 */
PG_FUNCTION_INFO_V1(phone_format);
Datum
phone_format(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(phone_format_text(PG_GETARG_PHONE(0), E164_STYLE_READABLE));
}
