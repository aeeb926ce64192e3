/*-------------------------------------------------------------------------
 *
 * cluster.c
 *	  SQL entry points of behavioural clustering: the feature checker, the
 *	  kmeans_pass aggregate and the functions that seed, move and judge
 *	  centroids (the arithmetic is in src/kmeans.c).
 *
 * cluster_fit (src/sql/47_cluster.sql) drives a fit with SQL: it checks
 * each feature with cluster_check_feature, measures the means and standard
 * deviations with the built-in aggregates, reads a sample ordered by a
 * seeded hash of party_id, seeds and moves centroids over the sample with
 * kmeans_start, and then runs full passes of the kmeans_pass aggregate until
 * the centroids settle.  Each pass is one scan: its state is a float8[] of
 * counts and sums (kmeans.h KM_STATE_*), so the aggregate is parallel safe
 * without serialisation, and on Citus the shards' partial sums are merged
 * by kmeans_combine.
 *
 * Centroids travel as two-dimensional float8 arrays, k rows of d
 * standardised coordinates; points as one-dimensional float8 arrays of d
 * coordinates, or a two-dimensional array of n rows for a sample.  A point
 * with a NULL coordinate belongs to no cluster.
 *
 * The transition function updates its state in place when it is called as
 * an aggregate, as float8_accum does: the state is allocated once per group
 * and each row adds to it without allocation.
 *
 * Layer: SQL entry points of clustering.  Calls kmeans.c (pure) and
 * segment.c (the feature checker); nothing calls it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/cluster.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "kmeans.h"
#include "segment.h"

static void check_float8_array(ArrayType *a, const char *what);
static double *centroids_of(ArrayType *a, int *k, int *d);
static double *points_of(ArrayType *a, int *n, int *d);
static ArrayType *make_matrix(const double *v, int rows, int cols);
static ArrayType *make_state_array(const double *state);
static double *state_of(ArrayType *a, const char *what);

/*
 * check_float8_array
 *		A float8 array without NULLs, or an error naming what it is.
 */
static void
check_float8_array(ArrayType *a, const char *what)
{
	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be an array of double precision", what)));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain nulls", what)));
}

/*
 * centroids_of
 *		The k x d coordinates of a two-dimensional centroid array, in place.
 */
static double *
centroids_of(ArrayType *a, int *k, int *d)
{
	check_float8_array(a, "centroids");
	if (ARR_NDIM(a) != 2 || ARR_DIMS(a)[0] < 1 || ARR_DIMS(a)[1] < 1 ||
		ARR_DIMS(a)[0] > KM_MAX_K || ARR_DIMS(a)[1] > KM_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("centroids must be a two-dimensional array of k rows of d coordinates"),
				 errdetail("k may be 1 to %d and d 1 to %d.", KM_MAX_K, KM_MAX_DIM)));
	*k = ARR_DIMS(a)[0];
	*d = ARR_DIMS(a)[1];
	return (double *) ARR_DATA_PTR(a);
}

/*
 * points_of
 *		The n x d coordinates of a two-dimensional array of points, in place.
 */
static double *
points_of(ArrayType *a, int *n, int *d)
{
	check_float8_array(a, "points");
	if (ARR_NDIM(a) != 2 || ARR_DIMS(a)[1] < 1 || ARR_DIMS(a)[1] > KM_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("points must be a two-dimensional array of n rows of d coordinates"),
				 errdetail("d may be 1 to %d.", KM_MAX_DIM)));
	*n = ARR_DIMS(a)[0];
	*d = ARR_DIMS(a)[1];
	return (double *) ARR_DATA_PTR(a);
}

/*
 * make_matrix
 *		A new two-dimensional float8 array of rows x cols values.
 */
static ArrayType *
make_matrix(const double *v, int rows, int cols)
{
	int			dims[2] = {rows, cols};
	int			lbs[2] = {1, 1};
	int			n = rows * cols;
	Datum	   *elems = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(v[i]);
	return construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID, sizeof(float8),
							  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* a new one-dimensional array holding a pass's state */
static ArrayType *
make_state_array(const double *state)
{
	int			n = KM_STATE_SIZE((int) state[0], (int) state[1]);
	int			dims[1] = {n};
	int			lbs[1] = {1};
	Datum	   *elems = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(state[i]);
	return construct_md_array(elems, NULL, 1, dims, lbs, FLOAT8OID, sizeof(float8),
							  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * state_of
 *		The values of a kmeans_pass state, NULL for the empty state, or an
 *		error when the array is not a state.
 */
static double *
state_of(ArrayType *a, const char *what)
{
	double	   *s;
	int			n;

	check_float8_array(a, what);
	n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (n == 0)
		return NULL;
	s = (double *) ARR_DATA_PTR(a);
	if (ARR_NDIM(a) != 1 || n < KM_STATE_HEADER ||
		s[0] < 1 || s[0] > KM_MAX_K || s[1] < 1 || s[1] > KM_MAX_DIM ||
		s[0] != floor(s[0]) || s[1] != floor(s[1]) ||
		n != KM_STATE_SIZE((int) s[0], (int) s[1]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not a kmeans_pass state", what)));
	return s;
}

/*
 * cluster_check_feature(feature text) returns boolean
 *		True when the text is one numeric expression over party_features
 *		built from the parts segment rules may use; an error naming the
 *		offending element otherwise.
 */
PG_FUNCTION_INFO_V1(cluster_check_feature);
Datum
cluster_check_feature(PG_FUNCTION_ARGS)
{
	char	   *feature = text_to_cstring(PG_GETARG_TEXT_PP(0));

	(void) SegmentCheckExpression(feature, get_func_namespace(fcinfo->flinfo->fn_oid), true);
	PG_RETURN_BOOL(true);
}

/*
 * kmeans_accum(state float8[], centroids float8[], x float8[])
 *		Transition function of kmeans_pass: adds point x to the sums of its
 *		nearest centroid.  A NULL point, or one with a NULL coordinate, is
 *		skipped.  The first point sizes the state from the centroids.
 */
PG_FUNCTION_INFO_V1(kmeans_accum);
Datum
kmeans_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state_a;
	ArrayType  *cent_a;
	ArrayType  *x_a;
	double	   *state;
	double	   *c;
	double	   *x;
	int			k,
				d;
	bool		in_place;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kmeans_pass state must not be null")));
	state_a = PG_GETARG_ARRAYTYPE_P(0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("centroids must not be null")));
	if (PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(state_a);
	x_a = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_ELEMTYPE(x_a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a point must be an array of double precision")));
	if (ARR_HASNULL(x_a) && array_contains_nulls(x_a))
		PG_RETURN_ARRAYTYPE_P(state_a);

	cent_a = PG_GETARG_ARRAYTYPE_P(1);
	c = centroids_of(cent_a, &k, &d);
	if (ARR_NDIM(x_a) != 1 || ARR_DIMS(x_a)[0] != d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("a point has %d coordinates, the centroids %d",
						ARR_NDIM(x_a) == 1 ? ARR_DIMS(x_a)[0] : 0, d)));
	x = (double *) ARR_DATA_PTR(x_a);
	for (int j = 0; j < d; j++)
		if (!isfinite(x[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("a point has a coordinate that is not a finite number"),
					 errhint("Features must be finite; standard deviations of zero are replaced by one.")));

	state = state_of(state_a, "the state");
	in_place = AggCheckCallContext(fcinfo, NULL) != 0;
	if (state == NULL)
	{
		double	   *fresh = palloc(sizeof(double) * KM_STATE_SIZE(k, d));

		KmStateInit(fresh, k, d);
		KmStateAdd(fresh, c, x);
		PG_RETURN_ARRAYTYPE_P(make_state_array(fresh));
	}
	if ((int) state[0] != k || (int) state[1] != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the centroids changed within one kmeans_pass")));
	if (!in_place)
	{
		state_a = DatumGetArrayTypePCopy(PG_GETARG_DATUM(0));
		state = (double *) ARR_DATA_PTR(state_a);
	}
	KmStateAdd(state, c, x);
	PG_RETURN_ARRAYTYPE_P(state_a);
}

/*
 * kmeans_combine(a float8[], b float8[])
 *		Combine function of kmeans_pass: the sums of both.
 */
PG_FUNCTION_INFO_V1(kmeans_combine);
Datum
kmeans_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	double	   *sa = state_of(a, "the state");
	double	   *sb = state_of(b, "the state");

	if (sb == NULL)
		PG_RETURN_ARRAYTYPE_P(a);
	if (sa == NULL)
		PG_RETURN_ARRAYTYPE_P(DatumGetArrayTypePCopy(PG_GETARG_DATUM(1)));
	if (sa[0] != sb[0] || sa[1] != sb[1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine kmeans_pass states of different sizes")));
	if (!AggCheckCallContext(fcinfo, NULL))
	{
		a = DatumGetArrayTypePCopy(PG_GETARG_DATUM(0));
		sa = (double *) ARR_DATA_PTR(a);
	}
	KmStateCombine(sa, sb);
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * kmeans_update(state float8[], centroids float8[]) returns float8[]
 *		The centroids moved to the means of their points in the pass whose
 *		state is given; a centroid without points stays.
 */
PG_FUNCTION_INFO_V1(kmeans_update);
Datum
kmeans_update(PG_FUNCTION_ARGS)
{
	double	   *s = state_of(PG_GETARG_ARRAYTYPE_P(0), "the state");
	ArrayType  *cent_a = PG_GETARG_ARRAYTYPE_P(1);
	int			k,
				d;
	double	   *c0 = centroids_of(cent_a, &k, &d);
	double	   *c = palloc(sizeof(double) * k * d);

	memcpy(c, c0, sizeof(double) * k * d);
	if (s != NULL)
	{
		if ((int) s[0] != k || (int) s[1] != d)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the state is of %d centroids of %d coordinates, not %d of %d",
							(int) s[0], (int) s[1], k, d)));
		(void) KmStateUpdate(s, c);
		for (int i = 0; i < k * d; i++)
			if (!isfinite(c[i]))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("a centroid coordinate is out of range")));
	}
	PG_RETURN_ARRAYTYPE_P(make_matrix(c, k, d));
}

/*
 * kmeans_shift(a float8[], b float8[]) returns float8
 *		The largest distance between corresponding centroids of a and b.
 */
PG_FUNCTION_INFO_V1(kmeans_shift);
Datum
kmeans_shift(PG_FUNCTION_ARGS)
{
	int			ka,
				da,
				kb,
				db;
	double	   *a = centroids_of(PG_GETARG_ARRAYTYPE_P(0), &ka, &da);
	double	   *b = centroids_of(PG_GETARG_ARRAYTYPE_P(1), &kb, &db);
	double		shift = 0.0;

	if (ka != kb || da != db)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("centroid arrays of different shapes")));
	for (int i = 0; i < ka; i++)
	{
		double		t = sqrt(KmDist2(a + (size_t) i * da, b + (size_t) i * da, da));

		if (t > shift)
			shift = t;
	}
	PG_RETURN_FLOAT8(shift);
}

/*
 * kmeans_inertia(state float8[]) returns float8
 * kmeans_sizes(state float8[]) returns bigint[]
 * kmeans_points(state float8[]) returns bigint
 *		Read a pass's state: the sum of squared distances to the nearest
 *		centroid, the points of each cluster, and the points seen.
 */
PG_FUNCTION_INFO_V1(kmeans_inertia);
Datum
kmeans_inertia(PG_FUNCTION_ARGS)
{
	double	   *s = state_of(PG_GETARG_ARRAYTYPE_P(0), "the state");

	if (s == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s[3]);
}

PG_FUNCTION_INFO_V1(kmeans_sizes);
Datum
kmeans_sizes(PG_FUNCTION_ARGS)
{
	double	   *s = state_of(PG_GETARG_ARRAYTYPE_P(0), "the state");
	int			k;
	Datum	   *elems;

	if (s == NULL)
		PG_RETURN_NULL();
	k = (int) s[0];
	elems = palloc(sizeof(Datum) * k);
	for (int i = 0; i < k; i++)
		elems[i] = Int64GetDatum((int64) s[KM_STATE_HEADER + i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, k, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(kmeans_points);
Datum
kmeans_points(PG_FUNCTION_ARGS)
{
	double	   *s = state_of(PG_GETARG_ARRAYTYPE_P(0), "the state");

	PG_RETURN_INT64(s == NULL ? 0 : (int64) s[2]);
}

/*
 * kmeans_nearest(centroids float8[], x float8[]) returns integer
 *		The 1-based number of the centroid nearest to x (the lowest on ties);
 *		NULL when x has a NULL coordinate.
 */
PG_FUNCTION_INFO_V1(kmeans_nearest);
Datum
kmeans_nearest(PG_FUNCTION_ARGS)
{
	int			k,
				d;
	double	   *c = centroids_of(PG_GETARG_ARRAYTYPE_P(0), &k, &d);
	ArrayType  *x_a = PG_GETARG_ARRAYTYPE_P(1);

	if (ARR_ELEMTYPE(x_a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a point must be an array of double precision")));
	if (ARR_HASNULL(x_a) && array_contains_nulls(x_a))
		PG_RETURN_NULL();
	if (ARR_NDIM(x_a) != 1 || ARR_DIMS(x_a)[0] != d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("a point has %d coordinates, the centroids %d",
						ARR_NDIM(x_a) == 1 ? ARR_DIMS(x_a)[0] : 0, d)));
	PG_RETURN_INT32(KmNearest((double *) ARR_DATA_PTR(x_a), c, k, d, NULL) + 1);
}

/*
 * kmeans_start(points float8[], k integer, seed bigint, batch_size integer,
 *				batches integer) returns float8[]
 *		Starting centroids from a sample of points: greedy k-means++, then
 *		the given number of mini-batches.  Raises an error when the points
 *		have fewer than k distinct values.
 */
PG_FUNCTION_INFO_V1(kmeans_start);
Datum
kmeans_start(PG_FUNCTION_ARGS)
{
	int			n,
				d;
	double	   *x = points_of(PG_GETARG_ARRAYTYPE_P(0), &n, &d);
	int32		k = PG_GETARG_INT32(1);
	int64		seed = PG_GETARG_INT64(2);
	int32		batch = PG_GETARG_INT32(3);
	int32		batches = PG_GETARG_INT32(4);
	double	   *c;
	double	   *work;
	KmRng		rng;
	int			found;

	if (k < 1 || k > KM_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 1 and %d", KM_MAX_K)));
	if (batch < 1 || batches < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be positive and batches not negative")));
	c = palloc0(sizeof(double) * k * d);
	work = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * Max(n, k));
	KmRngSeed(&rng, (uint64) seed);
	found = KmSeed(x, n, d, k, &rng, c, work);
	if (found < k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot find %d clusters among %d distinct points", k, found),
				 errdetail("The sample has %d points with only %d distinct feature values.", n, found),
				 errhint("Choose a smaller k or features that vary more.")));
	if (batches > 0)
		KmMiniBatch(x, n, d, k, batch, batches, &rng, c, work);
	pfree(work);
	PG_RETURN_ARRAYTYPE_P(make_matrix(c, k, d));
}

/*
 * kmeans_silhouette(points float8[], centroids float8[]) returns float8
 *		Mean silhouette of the points labelled by their nearest centroid;
 *		NULL when fewer than two clusters have points.  Quadratic in the
 *		points: pass a sample.
 */
PG_FUNCTION_INFO_V1(kmeans_silhouette);
Datum
kmeans_silhouette(PG_FUNCTION_ARGS)
{
	int			n,
				d,
				k,
				dc;
	double	   *x = points_of(PG_GETARG_ARRAYTYPE_P(0), &n, &d);
	double	   *c = centroids_of(PG_GETARG_ARRAYTYPE_P(1), &k, &dc);
	int		   *label;
	double	   *sum;
	int		   *size;
	double		s;

	if (d != dc)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("points have %d coordinates, the centroids %d", d, dc)));
	if (n < 2)
		PG_RETURN_NULL();
	label = palloc(sizeof(int) * n);
	sum = palloc(sizeof(double) * k);
	size = palloc(sizeof(int) * k);
	for (int p = 0; p < n; p++)
		label[p] = KmNearest(x + (size_t) p * d, c, k, d, NULL);
	s = KmSilhouette(x, label, n, d, k, sum, size);
	if (isnan(s))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s);
}
