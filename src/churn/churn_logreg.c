/*-------------------------------------------------------------------------
 *
 * churn_logreg.c
 *	  L2-regularised logistic regression by Newton's method (iteratively
 *	  reweighted least squares), on standardised features.
 *
 * Why this model: the churn probability must be calibrated (a probability
 * times a contribution is money at risk), and logistic regression's loss
 * is a proper scoring rule whose fitted probabilities average to the
 * observed rates; with a dozen features the problem is small and convex,
 * Newton converges in a handful of passes, and the answer is unique and
 * reproducible to the bit for the same rows.  The L2 penalty keeps
 * correlated features (the level drop of three metrics) from trading
 * large coefficients.
 *
 * Layer: computation, plain C (no PostgreSQL header at all).  Calls
 * nothing; churn_model.c calls it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_logreg.c
 *
 *-------------------------------------------------------------------------
 */
#include "churn_logreg.h"

#include <math.h>
#include <string.h>

#define LOGREG_MAX_ITER 50
#define LOGREG_TOL 1e-9

static double
sigmoid(double z)
{
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	else
	{
		double		e = exp(z);

		return e / (1.0 + e);
	}
}

double
logreg_predict(const double *coef, int p, const double *x)
{
	double		z = coef[0];
	int			j;

	for (j = 0; j < p; j++)
		z += coef[j + 1] * x[j];
	return sigmoid(z);
}

/* solve A d = g for symmetric positive definite A (k x k) by Cholesky; A is overwritten */
static int
cholesky_solve(double *a, int k, const double *g, double *d)
{
	int			i,
				j,
				m;

	for (j = 0; j < k; j++)
	{
		double		s = a[j * k + j];

		for (m = 0; m < j; m++)
			s -= a[j * k + m] * a[j * k + m];
		if (!(s > 0))
			return -1;
		a[j * k + j] = sqrt(s);
		for (i = j + 1; i < k; i++)
		{
			double		t = a[i * k + j];

			for (m = 0; m < j; m++)
				t -= a[i * k + m] * a[j * k + m];
			a[i * k + j] = t / a[j * k + j];
		}
	}
	/* L z = g, then L' d = z */
	for (i = 0; i < k; i++)
	{
		double		t = g[i];

		for (m = 0; m < i; m++)
			t -= a[i * k + m] * d[m];
		d[i] = t / a[i * k + i];
	}
	for (i = k - 1; i >= 0; i--)
	{
		double		t = d[i];

		for (m = i + 1; m < k; m++)
			t -= a[m * k + i] * d[m];
		d[i] = t / a[i * k + i];
	}
	return 0;
}

int
logreg_fit(const double *x, const unsigned char *y, size_t n, int p, double lambda,
		   double *coef, double *work)
{
	int			k = p + 1;
	double	   *h = work;
	double	   *hc = h + (size_t) k * k;
	double	   *g = hc + (size_t) k * k;
	double	   *d = g + k;
	double	   *mean = d + k;
	double	   *sd = mean + k;
	double	   *beta = sd + k;
	double	   *z = beta + k;
	size_t		i;
	int			j,
				m,
				it;

	if (p < 0 || p > LOGREG_MAX_FEATURES || n == 0 || !(lambda >= 0))
		return -2;

	/* standardisation */
	for (j = 0; j < p; j++)
	{
		double		s = 0,
					s2 = 0;

		for (i = 0; i < n; i++)
			s += x[i * p + j];
		mean[j] = s / n;
		for (i = 0; i < n; i++)
		{
			double		e = x[i * p + j] - mean[j];

			s2 += e * e;
		}
		sd[j] = sqrt(s2 / n);
		if (!(sd[j] > 1e-12))
			sd[j] = 1;
	}
	memset(beta, 0, sizeof(double) * k);

	for (it = 1; it <= LOGREG_MAX_ITER; it++)
	{
		double		step = 0;

		memset(h, 0, sizeof(double) * k * k);
		memset(g, 0, sizeof(double) * k);
		for (i = 0; i < n; i++)
		{
			double		eta = beta[0];
			double		mu,
						wgt,
						r;

			z[0] = 1;
			for (j = 0; j < p; j++)
			{
				z[j + 1] = (x[i * p + j] - mean[j]) / sd[j];
				eta += beta[j + 1] * z[j + 1];
			}
			mu = sigmoid(eta);
			wgt = mu * (1 - mu);
			r = (y[i] ? 1.0 : 0.0) - mu;
			for (j = 0; j < k; j++)
			{
				g[j] += r * z[j];
				for (m = 0; m <= j; m++)
					h[j * k + m] += wgt * z[j] * z[m];
			}
		}
		for (j = 0; j < k; j++)
			for (m = 0; m < j; m++)
				h[m * k + j] = h[j * k + m];
		for (j = 1; j < k; j++)
		{
			g[j] -= lambda * beta[j];
			h[j * k + j] += lambda;
		}
		/* a tiny ridge on the intercept too, for a data set of one class */
		h[0] += 1e-9 * n;
		memcpy(hc, h, sizeof(double) * k * k);
		if (cholesky_solve(hc, k, g, d) != 0)
			return -1;
		for (j = 0; j < k; j++)
		{
			beta[j] += d[j];
			if (fabs(d[j]) > step)
				step = fabs(d[j]);
		}
		if (step < LOGREG_TOL)
			break;
	}
	if (it > LOGREG_MAX_ITER)
		it = LOGREG_MAX_ITER;

	/* back to the features' own scale */
	coef[0] = beta[0];
	for (j = 0; j < p; j++)
	{
		coef[j + 1] = beta[j + 1] / sd[j];
		coef[0] -= beta[j + 1] * mean[j] / sd[j];
	}
	return it;
}
