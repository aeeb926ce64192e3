/*-------------------------------------------------------------------------
 *
 * churn_logreg.h
 *	  L2-regularised logistic regression fitted by Newton's method, for the
 *	  churn probability model (churn_model.c).
 *
 * Plain C99 with no PostgreSQL headers and no allocation: the caller passes
 * the rows and the work space, so the arithmetic is unit-tested alone
 * (test/unit/test_churn_logreg.c).
 *
 * Layer: computation, plain C.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_logreg.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_LOGREG_H
#define BANKCRM_CHURN_LOGREG_H

#include <stddef.h>

/* the most features a model may have */
#define LOGREG_MAX_FEATURES 32

/* doubles of work space logreg_fit needs for p features */
#define LOGREG_WORK(p) ((size_t) ((p) + 1) * ((p) + 1) * 2 + 6 * ((size_t) (p) + 1))

/*
 * Fit P(y = 1 | x) = 1 / (1 + exp(-(b + w . x))) to n rows x[i * p + j] with
 * labels y[i] (0 or 1), minimising the mean log loss plus
 * lambda / 2 * |w|^2 / n on standardised features (each feature centred
 * and divided by its standard deviation; the intercept is not penalised).
 * coef[0] = b and coef[1..p] = w come back on the features' own scale.
 * Returns the Newton iterations taken, or -1 when the Hessian is singular
 * (which lambda > 0 rules out), -2 for bad arguments.
 */
extern int	logreg_fit(const double *x, const unsigned char *y, size_t n, int p, double lambda,
					   double *coef, double *work);

/* the model's probability for one row of p features */
extern double logreg_predict(const double *coef, int p, const double *x);

#endif							/* BANKCRM_CHURN_LOGREG_H */
