/*-------------------------------------------------------------------------
 *
 * test_churn_logreg.c
 *	  Unit tests for the churn model's logistic regression
 *	  (src/churn_logreg.c): a planted model is recovered, the fitted
 *	  probabilities average to the observed rate (the intercept's score
 *	  equation), the penalty shrinks, bad arguments are refused, and a
 *	  data set of one class stays finite.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/unit/test_churn_logreg.c
 *
 *-------------------------------------------------------------------------
 */
#include "../../src/churn/churn_logreg.c"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

/* a fixed-seed generator: every run checks the same rows */
static uint64_t rng_state = 88172645463325252ULL;

static double
uniform01(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double
gauss(void)
{
	return sqrt(-2 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

int
main(void)
{
	enum {N = 20000, P = 3};
	double	   *x = malloc(sizeof(double) * N * P);
	unsigned char *y = malloc(N);
	double		work[LOGREG_WORK(P)];
	double		coef[P + 1];
	double		shrunk[P + 1];
	double		mean_p = 0;
	double		mean_y = 0;
	int			it;
	int			i;

	/* P(y) = sigmoid(-1 + 2 x0 - x1 + 0 x2), x2 on another scale */
	for (i = 0; i < N; i++)
	{
		double		z;

		x[i * P + 0] = gauss();
		x[i * P + 1] = gauss();
		x[i * P + 2] = 1000 + 50 * gauss();
		z = -1 + 2 * x[i * P + 0] - x[i * P + 1];
		y[i] = uniform01() < 1 / (1 + exp(-z));
	}
	it = logreg_fit(x, y, N, P, 1e-3, coef, work);
	CHECK(it > 0 && it < 50);
	CHECK(fabs(coef[0] - -1) < 0.15);
	CHECK(fabs(coef[1] - 2) < 0.1);
	CHECK(fabs(coef[2] - -1) < 0.1);
	CHECK(fabs(coef[3]) < 0.005);

	/* at the optimum the mean probability is the observed rate */
	for (i = 0; i < N; i++)
	{
		mean_p += logreg_predict(coef, P, x + i * P);
		mean_y += y[i];
	}
	CHECK(fabs(mean_p / N - mean_y / N) < 1e-6);

	/* a strong penalty shrinks the slopes towards zero */
	CHECK(logreg_fit(x, y, N, P, 1e5, shrunk, work) > 0);
	CHECK(fabs(shrunk[1]) < fabs(coef[1]) / 2);

	/* bad arguments */
	CHECK_INT(logreg_fit(x, y, 0, P, 1, coef, work), -2);
	CHECK_INT(logreg_fit(x, y, N, -1, 1, coef, work), -2);
	CHECK_INT(logreg_fit(x, y, N, P, -1, coef, work), -2);
	CHECK_INT(logreg_fit(x, y, N, LOGREG_MAX_FEATURES + 1, 1, coef, work), -2);

	/* one class only: finite, and probabilities near zero */
	memset(y, 0, N);
	CHECK(logreg_fit(x, y, N, P, 1, coef, work) > 0);
	CHECK(isfinite(coef[0]) && isfinite(coef[1]));
	CHECK(logreg_predict(coef, P, x) < 0.01);

	free(x);
	free(y);
	return UnitReport("churn_logreg");
}
