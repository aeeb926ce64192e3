/*-------------------------------------------------------------------------
 *
 * test_kmeans.c
 *	  Unit tests for the k-means arithmetic (src/kmeans.c): the generator,
 *	  nearest centroids, greedy k-means++ seeding, mini-batches, the sums of
 *	  a pass and their combination, Lloyd iterations and the silhouette.
 *
 * Built as one translation unit with the source it tests and run under
 * AddressSanitizer and UndefinedBehaviorSanitizer by test/run unit.  The
 * points are small whole numbers wherever a test asserts exact values, so
 * that sums are exact in any order.  Blobs are drawn from a fixed-seed
 * generator, so every run checks the same inputs.
 *
 * Exits 0 when every check passes and prints each failure otherwise.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/unit/test_kmeans.c
 *
 *-------------------------------------------------------------------------
 */
#include "../../src/kmeans.c"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#define BLOB_N	300				/* points per blob */
#define BLOBS	3
#define DIM		2

static const double blob_center[BLOBS][DIM] = {{0, 0}, {10, 0}, {0, 10}};

/* BLOBS blobs of BLOB_N points, uniform within +-1 of their center */
static void
make_blobs(double *x, int *truth)
{
	KmRng		r;

	KmRngSeed(&r, 99);
	for (int b = 0; b < BLOBS; b++)
		for (int i = 0; i < BLOB_N; i++)
		{
			int			p = b * BLOB_N + i;

			for (int j = 0; j < DIM; j++)
				x[p * DIM + j] = blob_center[b][j] + 2.0 * KmRngUniform(&r) - 1.0;
			truth[p] = b;
		}
}

/* the blob whose center is nearest to centroid c */
static int
blob_of(const double *c)
{
	return KmNearest(c, &blob_center[0][0], BLOBS, DIM, NULL);
}

static void
test_rng(void)
{
	KmRng		a,
				b;
	int			bad = 0;

	KmRngSeed(&a, 0);
	KmRngSeed(&b, 0);
	for (int i = 0; i < 1000; i++)
	{
		double		u = KmRngUniform(&a);

		if (u != KmRngUniform(&b) || u < 0.0 || u >= 1.0)
			bad++;
	}
	CHECK_INT(bad, 0);
	KmRngSeed(&b, 1);
	CHECK(KmRngNext(&a) != KmRngNext(&b));
}

static void
test_nearest(void)
{
	double		c[] = {0, 0, 2, 0, 0, 2};
	double		x1[] = {1, 0};
	double		x2[] = {1.5, 0.2};
	double		x3[] = {-3, 4};
	double		dd;

	CHECK_INT(KmNearest(x1, c, 3, 2, &dd), 0);	/* tie: the first */
	CHECK_DBL(dd, 1.0);
	CHECK_INT(KmNearest(x2, c, 3, 2, NULL), 1);
	CHECK_INT(KmNearest(x3, c, 3, 2, &dd), 2);
	CHECK_DBL(dd, 13.0);
	CHECK_DBL(KmDist2(x1, x3, 2), 32.0);
}

static void
test_seed(void)
{
	static double x[BLOBS * BLOB_N * DIM];
	static int	truth[BLOBS * BLOB_N];
	double		work[BLOBS * BLOB_N];
	double		c[BLOBS * DIM];
	double		c2[BLOBS * DIM];
	double		dup[] = {1, 1, 1, 1, 2, 2, 1, 1};
	KmRng		r;
	int			seen = 0;

	make_blobs(x, truth);
	for (uint64_t seed = 0; seed < 20; seed++)
	{
		int			mask = 0;

		KmRngSeed(&r, seed);
		CHECK_INT(KmSeed(x, BLOBS * BLOB_N, DIM, BLOBS, &r, c, work), BLOBS);
		for (int i = 0; i < BLOBS; i++)
			mask |= 1 << blob_of(c + i * DIM);
		/* greedy k-means++ puts one centroid in each separated blob */
		seen += mask == (1 << BLOBS) - 1;
	}
	CHECK_INT(seen, 20);

	/* the same seed, the same centroids */
	KmRngSeed(&r, 5);
	KmSeed(x, BLOBS * BLOB_N, DIM, BLOBS, &r, c, work);
	KmRngSeed(&r, 5);
	KmSeed(x, BLOBS * BLOB_N, DIM, BLOBS, &r, c2, work);
	CHECK(memcmp(c, c2, sizeof(c)) == 0);

	/* two distinct points among four: only two centroids */
	KmRngSeed(&r, 0);
	CHECK_INT(KmSeed(dup, 4, 2, 3, &r, c, work), 2);
	CHECK_INT(KmSeed(dup, 0, 2, 3, &r, c, work), 0);
}

static void
test_state(void)
{
	/* centroids 0 and 10; points 1, 2 | 9, 12: inertia 10, means 1.5, 10.5 */
	double		c[] = {0, 10};
	double		pts[] = {1, 2, 9, 12};
	double		s[KM_STATE_SIZE(2, 1)];
	double		s1[KM_STATE_SIZE(2, 1)];
	double		s2[KM_STATE_SIZE(2, 1)];
	double		c3[] = {0, 10, 100};
	double		s3[KM_STATE_SIZE(3, 1)];

	KmStateInit(s, 2, 1);
	for (int i = 0; i < 4; i++)
		KmStateAdd(s, c, pts + i);
	CHECK_DBL(s[2], 4.0);
	CHECK_DBL(s[3], 10.0);
	CHECK_DBL(s[KM_STATE_HEADER], 2.0);
	CHECK_DBL(s[KM_STATE_HEADER + 1], 2.0);

	/* two halves combined equal one pass */
	KmStateInit(s1, 2, 1);
	KmStateInit(s2, 2, 1);
	KmStateAdd(s1, c, pts + 0);
	KmStateAdd(s1, c, pts + 2);
	KmStateAdd(s2, c, pts + 1);
	KmStateAdd(s2, c, pts + 3);
	KmStateCombine(s1, s2);
	CHECK(memcmp(s, s1, sizeof(s)) == 0);

	CHECK_DBL(KmStateUpdate(s, c), 1.5);
	CHECK_DBL(c[0], 1.5);
	CHECK_DBL(c[1], 10.5);

	/* a centroid without points stays where it is */
	KmStateInit(s3, 3, 1);
	for (int i = 0; i < 4; i++)
		KmStateAdd(s3, c3, pts + i);
	KmStateUpdate(s3, c3);
	CHECK_DBL(c3[2], 100.0);
}

static void
test_lloyd_and_minibatch(void)
{
	static double x[BLOBS * BLOB_N * DIM];
	static int	truth[BLOBS * BLOB_N];
	double		work[BLOBS * BLOB_N];
	double		c[BLOBS * DIM];
	double		c0[BLOBS * DIM];
	double		s[KM_STATE_SIZE(BLOBS, DIM)];
	double		means[BLOBS][DIM] = {{0}};
	double		inertia = 0.0,
				want = 0.0,
				worst = 0.0;
	KmRng		r;
	int			it,
				wrong = 0;

	make_blobs(x, truth);
	for (int p = 0; p < BLOBS * BLOB_N; p++)
		for (int j = 0; j < DIM; j++)
			means[truth[p]][j] += x[p * DIM + j] / BLOB_N;
	for (int p = 0; p < BLOBS * BLOB_N; p++)
		want += KmDist2(x + p * DIM, means[truth[p]], DIM);

	KmRngSeed(&r, 3);
	KmSeed(x, BLOBS * BLOB_N, DIM, BLOBS, &r, c, work);
	memcpy(c0, c, sizeof(c));

	/* mini-batches alone bring each centroid near its blob's mean */
	KmMiniBatch(x, BLOBS * BLOB_N, DIM, BLOBS, 100, 30, &r, c, work);
	for (int i = 0; i < BLOBS; i++)
	{
		double		dd = sqrt(KmDist2(c + i * DIM, means[blob_of(c + i * DIM)], DIM));

		if (dd > worst)
			worst = dd;
	}
	CHECK(worst < 0.3);

	/* Lloyd from the seeds converges on the blob means exactly */
	memcpy(c, c0, sizeof(c));
	it = KmLloyd(x, BLOBS * BLOB_N, DIM, BLOBS, 100, 0.0, c, s, &inertia);
	CHECK(it >= 2 && it < 100);
	for (int i = 0; i < BLOBS; i++)
		if (KmDist2(c + i * DIM, means[blob_of(c + i * DIM)], DIM) > 1e-20)
			wrong++;
	CHECK_INT(wrong, 0);
	CHECK(fabs(inertia - want) < 1e-9 * want);

	/* every point labelled as its blob */
	wrong = 0;
	for (int p = 0; p < BLOBS * BLOB_N; p++)
		if (blob_of(c + KmNearest(x + p * DIM, c, BLOBS, DIM, NULL) * DIM) != truth[p])
			wrong++;
	CHECK_INT(wrong, 0);
}

static void
test_silhouette(void)
{
	double		x[] = {0, 1, 10, 11};
	int			label[] = {0, 0, 1, 1};
	int			one[] = {0, 0, 0, 0};
	int			single[] = {0, 0, 0, 1};
	double		sum[3];
	int			size[3];
	double		s;

	/* for 0: a = 1, b = 10.5; for 1: a = 1, b = 9.5; symmetric */
	s = KmSilhouette(x, label, 4, 1, 2, sum, size);
	CHECK(fabs(s - (2.0 - 1.0 / 10.5 - 1.0 / 9.5) / 2.0) < 1e-15);
	CHECK(isnan(KmSilhouette(x, one, 4, 1, 2, sum, size)));
	/*
	 * 11 alone counts 0; for 0, a = 5.5 and b = 11; for 1, a = 5 and b = 10;
	 * for 10, a = 9.5 and b = 1; the third cluster is empty
	 */
	s = KmSilhouette(x, single, 4, 1, 3, sum, size);
	CHECK(fabs(s - ((1.0 - 5.5 / 11.0) + (1.0 - 5.0 / 10.0) + (1.0 / 9.5 - 1.0)) / 4.0) < 1e-15);
}

int
main(void)
{
	test_rng();
	test_nearest();
	test_seed();
	test_state();
	test_lloyd_and_minibatch();
	test_silhouette();
	return UnitReport("kmeans");
}
