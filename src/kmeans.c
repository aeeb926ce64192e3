/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  k-means clustering on arrays of doubles: greedy k-means++ seeding,
 *	  mini-batch iterations, Lloyd iterations through the sums of a pass,
 *	  and the silhouette of a labelled sample.
 *
 * This is the arithmetic of cluster_fit (src/cluster.c); it knows nothing
 * of tables.  A fit over a whole bank runs in three stages:
 *
 *	1. KmSeed chooses k starting centroids from a sample by greedy
 *	   k-means++: each new centroid is the best, by the potential it leaves
 *	   (the sum of squared distances to the nearest centroid), of
 *	   2 + ln k candidates drawn with probability proportional to the squared
 *	   distance to the centroids chosen so far;
 *	2. KmMiniBatch moves them with mini-batches drawn from the sample, each
 *	   point pulling its nearest centroid by a step of 1 / (points that
 *	   centroid has seen), which settles the centroids in a fraction of the
 *	   cost of full passes;
 *	3. full passes over every party (KmStateAdd per row, KmStateCombine to
 *	   merge partial sums of parallel workers or shards, KmStateUpdate to
 *	   move each centroid to the mean of its points) until no centroid moves
 *	   by more than the tolerance.
 *
 * Every random choice comes from the caller's KmRng, so the same points
 * and seed give the same centroids.  Empty clusters keep their centroid.
 * Distances are Euclidean; the caller standardises the features first.
 *
 * Layer: pure computation: plain C, no PostgreSQL header, unit-tested
 * (test/unit/test_kmeans.c).  Calls nothing of the extension.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/kmeans.c
 *
 *-------------------------------------------------------------------------
 */
#include "kmeans.h"

#include <math.h>
#include <string.h>

/* a mini-batch is assigned and applied in chunks of this many points */
#define BATCH_CHUNK 256

/*
 * KmRngSeed, KmRngNext, KmRngUniform
 *		splitmix64: a 64-bit state advanced by a constant and mixed; every
 *		seed, including 0, gives a full-period stream.
 */
void
KmRngSeed(KmRng *rng, uint64_t seed)
{
	rng->s = seed;
}

uint64_t
KmRngNext(KmRng *rng)
{
	uint64_t	z = (rng->s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* uniform in [0, 1), 53 bits */
double
KmRngUniform(KmRng *rng)
{
	return (double) (KmRngNext(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* uniform integer in [0, n), n > 0 */
static int
rng_below(KmRng *rng, int n)
{
	return (int) (KmRngUniform(rng) * n);
}

/*
 * KmDist2
 *		Squared Euclidean distance of two points of d coordinates.
 */
double
KmDist2(const double *a, const double *b, int d)
{
	double		s = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

/*
 * KmNearest
 *		Index of the centroid nearest to x (the first one on ties), and its
 *		squared distance in *dist2 when dist2 is not NULL.
 */
int
KmNearest(const double *x, const double *c, int k, int d, double *dist2)
{
	int			best = 0;
	double		bestd = KmDist2(x, c, d);

	for (int i = 1; i < k; i++)
	{
		double		t = KmDist2(x, c + (size_t) i * d, d);

		if (t < bestd)
		{
			bestd = t;
			best = i;
		}
	}
	if (dist2)
		*dist2 = bestd;
	return best;
}

/* index of the point where the running sum of w passes r, w summing to total */
static int
pick_weighted(const double *w, int n, double r)
{
	double		acc = 0.0;

	for (int i = 0; i < n; i++)
	{
		acc += w[i];
		if (acc > r && w[i] > 0.0)
			return i;
	}
	/* rounding: the last point with weight */
	for (int i = n - 1; i >= 0; i--)
		if (w[i] > 0.0)
			return i;
	return 0;
}

/*
 * KmSeed
 *		Greedy k-means++ over n points: writes up to k centroids into c and
 *		returns how many it found.  Fewer than k means the points have fewer
 *		than k distinct values.  mind2 is n doubles of work space.
 */
int
KmSeed(const double *x, int n, int d, int k, KmRng *rng, double *c, double *mind2)
{
	int			trials = 2;
	double		total = 0.0;
	int			first;

	/* 2 + floor(ln k) candidates, counted without libm */
	for (double e = 2.718281828459045; e <= k; e *= 2.718281828459045)
		trials++;

	if (n <= 0 || k <= 0)
		return 0;
	first = rng_below(rng, n);
	memcpy(c, x + (size_t) first * d, sizeof(double) * d);
	for (int i = 0; i < n; i++)
	{
		mind2[i] = KmDist2(x + (size_t) i * d, c, d);
		total += mind2[i];
	}

	for (int m = 1; m < k; m++)
	{
		int			best = -1;
		double		best_total = 0.0;

		if (!(total > 0.0))
			return m;
		for (int t = 0; t < trials; t++)
		{
			int			cand = pick_weighted(mind2, n, KmRngUniform(rng) * total);
			const double *xc = x + (size_t) cand * d;
			double		s = 0.0;

			for (int i = 0; i < n; i++)
			{
				double		dd = KmDist2(x + (size_t) i * d, xc, d);

				s += dd < mind2[i] ? dd : mind2[i];
			}
			if (best < 0 || s < best_total)
			{
				best = cand;
				best_total = s;
			}
		}
		memcpy(c + (size_t) m * d, x + (size_t) best * d, sizeof(double) * d);
		total = 0.0;
		for (int i = 0; i < n; i++)
		{
			double		dd = KmDist2(x + (size_t) i * d, c + (size_t) m * d, d);

			if (dd < mind2[i])
				mind2[i] = dd;
			total += mind2[i];
		}
	}
	return k;
}

/*
 * KmMiniBatch
 *		iters mini-batches of batch points drawn with replacement: each
 *		point moves its nearest centroid towards it by 1 / (the number of
 *		points that centroid has taken so far).  counts is k doubles of work
 *		space.  The nearest centroids of a batch are found before any moves,
 *		as in Sculley's algorithm.
 */
void
KmMiniBatch(const double *x, int n, int d, int k, int batch, int iters,
			KmRng *rng, double *c, double *counts)
{
	int			idx[BATCH_CHUNK];
	int			near[BATCH_CHUNK];

	for (int i = 0; i < k; i++)
		counts[i] = 0.0;
	if (n <= 0)
		return;
	for (int it = 0; it < iters; it++)
	{
		/* a batch is taken in chunks of fixed size, each assigned then moved */
		for (int done = 0; done < batch; done += BATCH_CHUNK)
		{
			int			m = batch - done < BATCH_CHUNK ? batch - done : BATCH_CHUNK;

			for (int b = 0; b < m; b++)
			{
				idx[b] = rng_below(rng, n);
				near[b] = KmNearest(x + (size_t) idx[b] * d, c, k, d, NULL);
			}
			for (int b = 0; b < m; b++)
			{
				double	   *cc = c + (size_t) near[b] * d;
				const double *xx = x + (size_t) idx[b] * d;
				double		eta;

				counts[near[b]] += 1.0;
				eta = 1.0 / counts[near[b]];
				for (int j = 0; j < d; j++)
					cc[j] += eta * (xx[j] - cc[j]);
			}
		}
	}
}

/*
 * KmStateInit
 *		Empty sums of a pass for k centroids of d coordinates; state holds
 *		KM_STATE_SIZE(k, d) doubles.
 */
void
KmStateInit(double *state, int k, int d)
{
	memset(state, 0, sizeof(double) * KM_STATE_SIZE(k, d));
	state[0] = k;
	state[1] = d;
}

/*
 * KmStateAdd
 *		Add one point to the sums: its nearest of the centroids c, its squared
 *		distance to the inertia, its coordinates to that cluster's sums.
 */
void
KmStateAdd(double *state, const double *c, const double *x)
{
	int			k = (int) state[0];
	int			d = (int) state[1];
	double		dd;
	int			i = KmNearest(x, c, k, d, &dd);
	double	   *sum = state + KM_STATE_HEADER + k + (size_t) i * d;

	state[2] += 1.0;
	state[3] += dd;
	state[KM_STATE_HEADER + i] += 1.0;
	for (int j = 0; j < d; j++)
		sum[j] += x[j];
}

/*
 * KmStateCombine
 *		Add the sums of another pass over other points (same k and d).
 */
void
KmStateCombine(double *into, const double *from)
{
	int			n = KM_STATE_SIZE((int) into[0], (int) into[1]);

	for (int i = 2; i < n; i++)
		into[i] += from[i];
}

/*
 * KmStateUpdate
 *		Move every centroid with points to their mean; a centroid without
 *		points stays.  Returns the largest distance a centroid moved.
 */
double
KmStateUpdate(const double *state, double *c)
{
	int			k = (int) state[0];
	int			d = (int) state[1];
	double		shift = 0.0;

	for (int i = 0; i < k; i++)
	{
		double		cnt = state[KM_STATE_HEADER + i];
		const double *sum = state + KM_STATE_HEADER + k + (size_t) i * d;
		double	   *cc = c + (size_t) i * d;
		double		moved = 0.0;

		if (cnt <= 0.0)
			continue;
		for (int j = 0; j < d; j++)
		{
			double		v = sum[j] / cnt;

			moved += (v - cc[j]) * (v - cc[j]);
			cc[j] = v;
		}
		moved = sqrt(moved);
		if (moved > shift)
			shift = moved;
	}
	return shift;
}

/*
 * KmLloyd
 *		Lloyd iterations over points held in memory, from the centroids in c,
 *		until no centroid moves by more than tol or after max_iter passes.
 *		state holds KM_STATE_SIZE(k, d) doubles.  *inertia is that of the
 *		last pass, against the centroids before its update.  Returns the
 *		number of passes.
 */
int
KmLloyd(const double *x, int n, int d, int k, int max_iter, double tol,
		double *c, double *state, double *inertia)
{
	int			it = 0;

	*inertia = 0.0;
	while (it < max_iter)
	{
		double		shift;

		KmStateInit(state, k, d);
		for (int i = 0; i < n; i++)
			KmStateAdd(state, c, x + (size_t) i * d);
		*inertia = state[3];
		shift = KmStateUpdate(state, c);
		it++;
		if (shift <= tol)
			break;
	}
	return it;
}

/*
 * KmSilhouette
 *		Mean silhouette of n labelled points: for each point, a is its mean
 *		distance to the other points of its cluster and b the smallest mean
 *		distance to the points of another cluster; its silhouette is
 *		(b - a) / max(a, b), and 0 alone in its cluster.  sum is k doubles
 *		and size k ints of work space.  NAN when fewer than two clusters
 *		have points.  Quadratic in n: give it a sample.
 */
double
KmSilhouette(const double *x, const int *label, int n, int d, int k,
			 double *sum, int *size)
{
	int			used = 0;
	double		total = 0.0;

	for (int i = 0; i < k; i++)
		size[i] = 0;
	for (int p = 0; p < n; p++)
		size[label[p]]++;
	for (int i = 0; i < k; i++)
		used += size[i] > 0;
	if (used < 2)
		return NAN;

	for (int p = 0; p < n; p++)
	{
		int			own = label[p];
		double		a,
					b = INFINITY;

		if (size[own] <= 1)
			continue;			/* silhouette 0 */
		for (int i = 0; i < k; i++)
			sum[i] = 0.0;
		for (int q = 0; q < n; q++)
			if (q != p)
				sum[label[q]] += sqrt(KmDist2(x + (size_t) p * d, x + (size_t) q * d, d));
		a = sum[own] / (size[own] - 1);
		for (int i = 0; i < k; i++)
			if (i != own && size[i] > 0 && sum[i] / size[i] < b)
				b = sum[i] / size[i];
		if (a < b)
			total += 1.0 - a / b;
		else if (a > b)
			total += b / a - 1.0;
	}
	return total / n;
}
