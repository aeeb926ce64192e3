/*-------------------------------------------------------------------------
 *
 * kmeans.h
 *	  k-means clustering on arrays of doubles: seeding, mini-batch and Lloyd
 *	  iterations, the sums of one pass, and the silhouette.
 *
 * Pure C99: no PostgreSQL headers, no allocation, no I/O.  The caller owns
 * every buffer; points are row-major n x d, centroids row-major k x d.
 * Random choices come from KmRng, a splitmix64 generator seeded by the
 * caller, so a result depends only on the inputs and the seed.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/kmeans.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_KMEANS_H
#define BANKCRM_KMEANS_H

#include <stdint.h>

/* the largest k and number of features accepted anywhere */
#define KM_MAX_K		100
#define KM_MAX_DIM		64

/*
 * The sums of one pass, as a flat array of doubles (the SQL-visible state
 * of the kmeans_accum aggregate):
 *	[0] k, [1] d, [2] rows seen, [3] inertia, [4 .. 4+k) counts,
 *	[4+k .. 4+k+k*d) sums of the points of each cluster, row-major
 */
#define KM_STATE_HEADER	4
#define KM_STATE_SIZE(k, d)	(KM_STATE_HEADER + (k) + (k) * (d))

typedef struct KmRng
{
	uint64_t	s;
} KmRng;

extern void KmRngSeed(KmRng *rng, uint64_t seed);
extern uint64_t KmRngNext(KmRng *rng);
extern double KmRngUniform(KmRng *rng);

extern double KmDist2(const double *a, const double *b, int d);
extern int	KmNearest(const double *x, const double *c, int k, int d, double *dist2);

extern int	KmSeed(const double *x, int n, int d, int k, KmRng *rng,
				   double *c, double *mind2);
extern void KmMiniBatch(const double *x, int n, int d, int k, int batch, int iters,
						KmRng *rng, double *c, double *counts);

extern void KmStateInit(double *state, int k, int d);
extern void KmStateAdd(double *state, const double *c, const double *x);
extern void KmStateCombine(double *into, const double *from);
extern double KmStateUpdate(const double *state, double *c);

extern int	KmLloyd(const double *x, int n, int d, int k, int max_iter, double tol,
					double *c, double *state, double *inertia);
extern double KmSilhouette(const double *x, const int *label, int n, int d, int k,
						   double *sum, int *size);

#endif							/* BANKCRM_KMEANS_H */
