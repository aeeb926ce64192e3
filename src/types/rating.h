/*-------------------------------------------------------------------------
 *
 * rating.h
 *	  The agency credit grade scale, AAA down to D, as small integer codes.
 *
 * A grade is stored as a code from CREDIT_RATING_MIN (D) to
 * CREDIT_RATING_MAX (AAA) whose numeric order is the order of credit quality:
 * a better grade has a larger code.  This header and rating.c are plain C99
 * with no PostgreSQL headers, so the unit test and the fuzz target drive the
 * parser directly; src/types/credit_rating.c is the only PostgreSQL glue.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/types/rating.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_RATING_H
#define BANKCRM_RATING_H

#include <stddef.h>

/* returned by CreditRatingParse for anything that is not a grade */
#define CREDIT_RATING_INVALID		0

/* the codes at the ends of the scale and at the investment-grade line */
#define CREDIT_RATING_D				1
#define CREDIT_RATING_BBB_MINUS		13
#define CREDIT_RATING_AAA			22

#define CREDIT_RATING_MIN			CREDIT_RATING_D
#define CREDIT_RATING_MAX			CREDIT_RATING_AAA
#define CREDIT_RATING_COUNT			(CREDIT_RATING_MAX - CREDIT_RATING_MIN + 1)

/* longest canonical name ("BBB+", "CCC-"), not counting the terminator */
#define CREDIT_RATING_NAME_MAXLEN	4

/* every grade, best first, as a sentence fragment for error hints */
#define CREDIT_RATING_GRADE_LIST \
	"AAA, AA+, AA, AA-, A+, A, A-, BBB+, BBB, BBB-, BB+, BB, BB-, " \
	"B+, B, B-, CCC+, CCC, CCC-, CC, C and D"

/* band name of every grade worse than BB- */
#define CREDIT_RATING_BAND_BELOW_BB	"below BB"

extern int	CreditRatingIsValid(int code);
extern int	CreditRatingParse(const char *str, size_t len);
extern const char *CreditRatingName(int code);
extern int	CreditRatingNotch(int code);
extern const char *CreditRatingBand(int code);
extern int	CreditRatingIsInvestmentGrade(int code);
extern int	CreditRatingShift(int code, long long steps);
extern int	CreditRatingDistance(int a, int b);

#endif							/* BANKCRM_RATING_H */
