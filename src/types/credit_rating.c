/*-------------------------------------------------------------------------
 *
 * credit_rating.c
 *	  The credit_rating type: I/O functions and grade arithmetic.
 *
 * credit_rating is a pass-by-value int2 holding a code from rating.h: 1 is D
 * and 22 is AAA, so integer order is credit-quality order.  Following
 * contrib/isn, the SQL script declares the type LIKE int2 and binds its
 * comparison, sort support, hash and min/max functions straight to the
 * built-in int2 ones (LANGUAGE internal).  This file therefore holds only
 * what int2 cannot do: text and binary I/O, which must reject every value
 * outside the scale, and the functions that know what a grade means.
 *
 * Every stored value went through credit_rating_in or credit_rating_recv, so
 * the other functions may trust their arguments; the output function still
 * checks, because a wrong answer would be worse than an error.
 *
 * The binary format is the code as a 2-byte big-endian integer.  recv
 * validates it exactly as in validates text: nothing from the wire is
 * trusted.
 *
 * Layer: SQL entry points of the type, over the pure rating.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/types/credit_rating.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <string.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "compat.h"
#include "rating.h"

/* a credit_rating Datum is an int2 holding a rating.h code */
typedef int16 CreditRating;

#define DatumGetCreditRating(X)		((CreditRating) DatumGetInt16(X))
#define CreditRatingGetDatum(X)		Int16GetDatum(X)
#define PG_GETARG_CREDIT_RATING(n)	DatumGetCreditRating(PG_GETARG_DATUM(n))
#define PG_RETURN_CREDIT_RATING(x)	return CreditRatingGetDatum(x)

/*
 * credit_rating_in
 *		Text input: one of the 22 grades, any case, white space around it.
 *
 * Reports bad input through ereturn so that, on PostgreSQL 16 and later,
 * pg_input_is_valid() and COPY ... ON_ERROR see a soft error.  On 15 the
 * compat.h ereturn ignores its context, hence pg_attribute_unused().
 */
PG_FUNCTION_INFO_V1(credit_rating_in);
Datum
credit_rating_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Node	   *escontext pg_attribute_unused() = BANKCRM_ESCONTEXT(fcinfo);
	int			code;

	code = CreditRatingParse(str, strlen(str));
	if (code == CREDIT_RATING_INVALID)
		ereturn(escontext, (Datum) 0,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"",
						"credit_rating", str),
				 errhint("Valid grades are %s.", CREDIT_RATING_GRADE_LIST)));

	PG_RETURN_CREDIT_RATING((CreditRating) code);
}

/*
 * credit_rating_out
 *		Text output: the canonical upper-case grade.
 */
PG_FUNCTION_INFO_V1(credit_rating_out);
Datum
credit_rating_out(PG_FUNCTION_ARGS)
{
	CreditRating rating = PG_GETARG_CREDIT_RATING(0);
	const char *name = CreditRatingName(rating);

	if (name == NULL)
		elog(ERROR, "invalid credit_rating code %d", (int) rating);

	PG_RETURN_CSTRING(pstrdup(name));
}

/*
 * credit_rating_recv
 *		Binary input: a 2-byte code, checked against the scale.
 */
PG_FUNCTION_INFO_V1(credit_rating_recv);
Datum
credit_rating_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int16		code = (int16) pq_getmsgint(buf, sizeof(int16));

	if (!CreditRatingIsValid(code))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type %s: %d",
						"credit_rating", (int) code),
				 errdetail("A credit_rating is sent as a 2-byte integer from %d (D) to %d (AAA).",
						   CREDIT_RATING_MIN, CREDIT_RATING_MAX)));

	PG_RETURN_CREDIT_RATING((CreditRating) code);
}

/*
 * credit_rating_send
 *		Binary output: the code as a 2-byte big-endian integer.
 */
PG_FUNCTION_INFO_V1(credit_rating_send);
Datum
credit_rating_send(PG_FUNCTION_ARGS)
{
	CreditRating rating = PG_GETARG_CREDIT_RATING(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, (uint16) rating);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * credit_rating_notch
 *		SQL notch(credit_rating): the agency notch, AAA = 1 ... D = 22.
 */
PG_FUNCTION_INFO_V1(credit_rating_notch);
Datum
credit_rating_notch(PG_FUNCTION_ARGS)
{
	CreditRating rating = PG_GETARG_CREDIT_RATING(0);

	PG_RETURN_INT32(CreditRatingNotch(rating));
}

/*
 * credit_rating_band
 *		SQL rating_band(credit_rating): the bank's reporting bucket.
 */
PG_FUNCTION_INFO_V1(credit_rating_band);
Datum
credit_rating_band(PG_FUNCTION_ARGS)
{
	CreditRating rating = PG_GETARG_CREDIT_RATING(0);
	const char *band = CreditRatingBand(rating);

	if (band == NULL)
		elog(ERROR, "invalid credit_rating code %d", (int) rating);

	PG_RETURN_TEXT_P(cstring_to_text(band));
}

/*
 * credit_rating_is_investment_grade
 *		SQL is_investment_grade(credit_rating): BBB- or better.
 */
PG_FUNCTION_INFO_V1(credit_rating_is_investment_grade);
Datum
credit_rating_is_investment_grade(PG_FUNCTION_ARGS)
{
	CreditRating rating = PG_GETARG_CREDIT_RATING(0);

	PG_RETURN_BOOL(CreditRatingIsInvestmentGrade(rating));
}

/*
 * credit_rating_downgrade
 *		SQL downgrade(credit_rating, int): steps notches worse, stopping at D.
 *
 * A negative step count upgrades, so downgrade(r, -n) = upgrade(r, n).
 */
PG_FUNCTION_INFO_V1(credit_rating_downgrade);
Datum
credit_rating_downgrade(PG_FUNCTION_ARGS)
{
	CreditRating rating = PG_GETARG_CREDIT_RATING(0);
	int32		steps = PG_GETARG_INT32(1);

	PG_RETURN_CREDIT_RATING((CreditRating)
							CreditRatingShift(rating, -(long long) steps));
}

/*
 * credit_rating_upgrade
 *		SQL upgrade(credit_rating, int): steps notches better, stopping at AAA.
 *
 * A negative step count downgrades, so upgrade(r, -n) = downgrade(r, n).
 */
PG_FUNCTION_INFO_V1(credit_rating_upgrade);
Datum
credit_rating_upgrade(PG_FUNCTION_ARGS)
{
	CreditRating rating = PG_GETARG_CREDIT_RATING(0);
	int32		steps = PG_GETARG_INT32(1);

	PG_RETURN_CREDIT_RATING((CreditRating)
							CreditRatingShift(rating, (long long) steps));
}

/*
 * credit_rating_distance
 *		SQL operator <->: the absolute number of notches between two grades.
 */
PG_FUNCTION_INFO_V1(credit_rating_distance);
Datum
credit_rating_distance(PG_FUNCTION_ARGS)
{
	CreditRating a = PG_GETARG_CREDIT_RATING(0);
	CreditRating b = PG_GETARG_CREDIT_RATING(1);

	PG_RETURN_INT32(CreditRatingDistance(a, b));
}
