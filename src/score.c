/*-------------------------------------------------------------------------
 *
 * score.c
 *	  Customer value scoring: contribution, value score, potential, lifetime
 *	  value, tiers and RFM codes.
 *
 * Every function here is a pure computation on its arguments: IMMUTABLE,
 * PARALLEL SAFE, and STRICT except potential(), whose descriptive inputs
 * may be unknown.  Nothing reads a table.  The parameters of a scoring model
 * (the score_model row) are passed in as arguments, so score_preview() reads
 * the model once per query, in an InitPlan, and the per-row path is the
 * arithmetic below and nothing else.  That is also what makes the functions
 * safe in parallel workers: they keep no state other than a per-call-site
 * cache of the parsed parameters.
 *
 * Parameters arrive as arrays (float8[]) and as jsonb.  Parsing them on every
 * row would cost more than the arithmetic, so each call site caches the
 * parsed values in fn_extra, keyed by the stored bytes of the argument (plain,
 * compressed or a TOAST pointer): when the next row passes the same bytes
 * (the usual case: the same model row) the parsed values are reused after one
 * memcmp.  An expanded value is parsed every time, which is correct, only
 * slower.
 *
 * The formulas are documented in doc/scoring.md; the comments here say what
 * each function guarantees.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <string.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "types/rating.h"

/* number of notches of the agency scale: the length of a PD curve */
#define SCORE_NOTCHES			CREDIT_RATING_COUNT

/* value_score: the components, in the order of the weights array */
#define VS_CONTRIBUTION			0
#define VS_GROWTH				1
#define VS_TENURE				2
#define VS_BREADTH				3
#define VS_CREDIT				4
#define VS_RECENCY				5
#define VS_POTENTIAL			6
#define VS_NWEIGHTS				7

/* value_score: the scales, in the order of the scales array */
#define VS_SCALE_CONTRIBUTION	0
#define VS_SCALE_TENURE			1
#define VS_SCALE_BREADTH		2
#define VS_SCALE_RECENCY		3
#define VS_NSCALES				4

/* the largest parameter array any function takes */
#define SCORE_MAX_ARRAY			SCORE_NOTCHES

/* clv: a horizon longer than this is surely a mistake */
#define CLV_MAX_YEARS			100

/*
 * A parsed float8[] argument, cached per call site (fn_extra) and keyed by
 * the raw bytes of the array it was parsed from.
 */
typedef struct Float8ArrayCache
{
	bool		valid;
	Size		rawlen;
	char	   *raw;			/* copy of the argument's bytes, in fn_mcxt */
	int			nvals;
	double		vals[SCORE_MAX_ARRAY];
	double		derived[4];		/* whatever the caller precomputes */
} Float8ArrayCache;

/* the vocabularies of party's descriptive columns (20_party.sql) */
static const char *const education_values[] = {
	"primary", "secondary", "vocational", "bachelor", "master", "doctorate"
};
static const char *const occupation_values[] = {
	"student", "employee", "professional", "civil_servant", "business_owner",
	"individual_merchant", "farmer", "retired", "homemaker", "unemployed",
	"executive", "other"
};
static const char *const life_stage_values[] = {
	"bachelor", "newly_married", "full_nest_1", "full_nest_2", "full_nest_3",
	"empty_nest", "solitary_survivor"
};
static const char *const lifecycle_values[] = {
	"introduction", "growth", "maturity", "decline"
};

#define N_EDUCATION		lengthof(education_values)
#define N_OCCUPATION	lengthof(occupation_values)
#define N_LIFE_STAGE	lengthof(life_stage_values)
#define N_LIFECYCLE		lengthof(lifecycle_values)

/* potential: the weights of the individual's attributes, in this order */
#define POT_MIX_EDUCATION	0
#define POT_MIX_OCCUPATION	1
#define POT_MIX_LIFE_STAGE	2
#define POT_MIX_AGE			3
#define POT_NMIX			4

static const char *const mix_keys[] = {"education", "occupation", "life_stage", "age"};

/*
 * The parsed potential parameters, cached per call site and keyed by the raw
 * bytes of the jsonb.  A NaN table entry means "not given": the attribute
 * then counts as unknown.
 */
typedef struct PotentialCache
{
	bool		valid;
	Size		rawlen;
	char	   *raw;
	double		education[N_EDUCATION];
	double		occupation[N_OCCUPATION];
	double		life_stage[N_LIFE_STAGE];
	double		lifecycle[N_LIFECYCLE];
	double		mix[POT_NMIX];
	double		age_full;
	double		age_zero;
	double		institution;
	double		unknown;
} PotentialCache;

/*
 * The fn_extra of a call site: one cache per parameter argument.  Every
 * function of this file uses the same struct, so the allocation is shared.
 */
typedef struct ScoreCallCache
{
	Float8ArrayCache arr[2];
	PotentialCache pot;
} ScoreCallCache;

static ScoreCallCache *GetCallCache(FunctionCallInfo fcinfo);
static bool RawMatches(Datum d, bool valid, Size rawlen, const char *raw,
					   Size *len_out, const char **data_out);
static void RememberRaw(FunctionCallInfo fcinfo, Size len, const char *data,
						Size *rawlen, char **raw);
static const double *GetFloat8Params(FunctionCallInfo fcinfo, int argno,
									 Float8ArrayCache *cache, int expected,
									 const char *what, bool *fresh);
static void CheckFinite(double x, const char *what);
static double Clamp01(double x);
static const PotentialCache *GetPotentialParams(FunctionCallInfo fcinfo, int argno);
static void ParsePotentialTable(JsonbContainer *root, const char *key,
								const char *const *vocab, int n, double *out);
static double JsonbGetNumber(JsonbContainer *c, const char *key, bool *found);
static int	VocabIndex(text *t, const char *const *vocab, int n);
static void CheckRfmQuintile(int32 q, const char *what);

/*
 * GetCallCache
 *		The per-call-site cache, created zeroed in fn_mcxt on first use.
 */
static ScoreCallCache *
GetCallCache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ScoreCallCache));
	return (ScoreCallCache *) fcinfo->flinfo->fn_extra;
}

/*
 * RawMatches
 *		True when the varlena Datum d has exactly the bytes a cache entry was
 *		parsed from.
 *
 * The comparison is on the stored form: a plain value, an in-line
 * compressed value or an on-disk TOAST pointer.  Within one query the same
 * stored form always stands for the same value, and that is all a call-site
 * cache needs; comparing the stored form means a compressed or toasted model
 * parameter is not decompressed on every row.  Expanded and indirect values
 * point into memory and cannot be compared: for them *data_out is NULL and
 * the answer is false.  Otherwise *len_out and *data_out describe the bytes
 * so the caller can remember them after parsing.
 */
static bool
RawMatches(Datum d, bool valid, Size rawlen, const char *raw,
		   Size *len_out, const char **data_out)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	*len_out = 0;
	*data_out = NULL;
	if (VARATT_IS_EXTERNAL(v) && !VARATT_IS_EXTERNAL_ONDISK(v))
		return false;
	*len_out = VARSIZE_ANY(v);
	*data_out = (const char *) v;
	return valid && rawlen == *len_out && memcmp(raw, *data_out, rawlen) == 0;
}

/*
 * RememberRaw
 *		Keep a copy of the bytes a cache entry was parsed from, in fn_mcxt.
 */
static void
RememberRaw(FunctionCallInfo fcinfo, Size len, const char *data,
			Size *rawlen, char **raw)
{
	if (*raw != NULL)
		pfree(*raw);
	*raw = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len > 0 ? len : 1);
	memcpy(*raw, data, len);
	*rawlen = len;
}

/*
 * GetFloat8Params
 *		The elements of float8[] argument argno, which must be a
 *		one-dimensional array of exactly `expected` finite, non-null numbers.
 *
 * *fresh is set when the array was parsed on this call (not reused), so the
 * caller knows to validate the values and fill cache->derived.  Errors name
 * the parameter through `what` ("pd", "weights", ...).
 */
static const double *
GetFloat8Params(FunctionCallInfo fcinfo, int argno, Float8ArrayCache *cache,
				int expected, const char *what, bool *fresh)
{
	Datum		d = PG_GETARG_DATUM(argno);
	Size		len;
	const char *data;
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	Assert(expected <= SCORE_MAX_ARRAY);
	if (RawMatches(d, cache->valid, cache->rawlen, cache->raw, &len, &data))
	{
		*fresh = false;
		return cache->vals;
	}

	a = DatumGetArrayTypeP(d);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n != expected)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have %d elements, not %d", what, expected, n)));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", what)));
		cache->vals[i] = DatumGetFloat8(elems[i]);
		if (isnan(cache->vals[i]) || isinf(cache->vals[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must contain finite numbers", what)));
	}
	cache->nvals = n;
	cache->valid = false;
	if (data != NULL)
	{
		RememberRaw(fcinfo, len, data, &cache->rawlen, &cache->raw);
		cache->valid = true;
	}
	*fresh = true;
	return cache->vals;
}

/*
 * CheckFinite
 *		Refuse NaN and infinity in a monetary or rate input.
 */
static void
CheckFinite(double x, const char *what)
{
	if (isnan(x) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite number", what)));
}

static double
Clamp01(double x)
{
	if (x < 0.0)
		return 0.0;
	if (x > 1.0)
		return 1.0;
	return x;
}

/*
 * contribution
 *		SQL contribution(loan_balance, loan_rate, loan_ftp, deposit_balance,
 *		deposit_rate, deposit_ftp, fees, cost_to_serve, credit_rating,
 *		pd float8[22], lgd): a party's yearly profit contribution.
 *
 *   L (r_L - f_L) - L PD(notch) LGD + D (f_D - r_D) + fees - cost_to_serve
 *
 * Rates are yearly fractions.  A party with several loans passes their total
 * balance and the balance-weighted averages of rate and transfer price, which
 * gives exactly the sum of the per-loan margins; deposits likewise.  pd[n] is
 * the one-year probability of default of notch n (AAA = 1 ... D = 22).
 */
PG_FUNCTION_INFO_V1(contribution);
Datum
contribution(PG_FUNCTION_ARGS)
{
	float8		loan_balance = PG_GETARG_FLOAT8(0);
	float8		loan_rate = PG_GETARG_FLOAT8(1);
	float8		loan_ftp = PG_GETARG_FLOAT8(2);
	float8		deposit_balance = PG_GETARG_FLOAT8(3);
	float8		deposit_rate = PG_GETARG_FLOAT8(4);
	float8		deposit_ftp = PG_GETARG_FLOAT8(5);
	float8		fees = PG_GETARG_FLOAT8(6);
	float8		cost_to_serve = PG_GETARG_FLOAT8(7);
	int16		rating = DatumGetInt16(PG_GETARG_DATUM(8));
	float8		lgd = PG_GETARG_FLOAT8(10);
	ScoreCallCache *cc = GetCallCache(fcinfo);
	const double *pd;
	bool		fresh;
	int			notch;
	float8		result;

	pd = GetFloat8Params(fcinfo, 9, &cc->arr[0], SCORE_NOTCHES, "pd", &fresh);
	if (fresh)
	{
		int			i;

		for (i = 0; i < SCORE_NOTCHES; i++)
			if (pd[i] < 0.0 || pd[i] > 1.0)
			{
				cc->arr[0].valid = false;
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pd must contain probabilities between 0 and 1"),
						 errdetail("Element %d (notch %d) is %g.", i + 1, i + 1, pd[i])));
			}
	}
	if (isnan(lgd) || lgd < 0.0 || lgd > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lgd must be between 0 and 1")));
	CheckFinite(loan_balance, "loan_balance");
	CheckFinite(loan_rate, "loan_rate");
	CheckFinite(loan_ftp, "loan_ftp");
	CheckFinite(deposit_balance, "deposit_balance");
	CheckFinite(deposit_rate, "deposit_rate");
	CheckFinite(deposit_ftp, "deposit_ftp");
	CheckFinite(fees, "fees");
	CheckFinite(cost_to_serve, "cost_to_serve");
	if (loan_balance < 0.0 || deposit_balance < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("balances must not be negative")));

	notch = CreditRatingNotch(rating);
	if (notch < 1)
		elog(ERROR, "invalid credit_rating code %d", (int) rating);

	result = loan_balance * (loan_rate - loan_ftp)
		- loan_balance * pd[notch - 1] * lgd
		+ deposit_balance * (deposit_ftp - deposit_rate)
		+ fees - cost_to_serve;
	if (isinf(result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("contribution is out of range")));
	PG_RETURN_FLOAT8(result);
}

/*
 * value_score
 *		SQL value_score(contribution, growth, tenure_years, products,
 *		credit_rating, recency_days, potential, weights float8[7],
 *		scales float8[4]) returns integer 0 .. 1000.
 *
 * Each component is mapped to [0, 1]; the score is the weighted mean times
 * 1000, rounded half up.  The mappings:
 *   contribution  ln(1 + c) / ln(1 + scales[1]), 0 for c <= 0, at most 1
 *   growth        (g + 1) / 2, so -100 % = 0, flat = 0.5, +100 % = 1
 *   tenure        years / scales[2], at most 1
 *   breadth       products / scales[3], at most 1
 *   credit        (22 - notch) / 21: AAA = 1, D = 0
 *   recency       0.5 ^ (days / scales[4]): a half-life in days
 *   potential     as given, clamped to [0, 1]
 * Weights must be non-negative with a positive sum; scales positive.
 */
PG_FUNCTION_INFO_V1(value_score);
Datum
value_score(PG_FUNCTION_ARGS)
{
	float8		contrib = PG_GETARG_FLOAT8(0);
	float8		growth = PG_GETARG_FLOAT8(1);
	float8		tenure = PG_GETARG_FLOAT8(2);
	int32		products = PG_GETARG_INT32(3);
	int16		rating = DatumGetInt16(PG_GETARG_DATUM(4));
	int32		recency = PG_GETARG_INT32(5);
	float8		potential = PG_GETARG_FLOAT8(6);
	ScoreCallCache *cc = GetCallCache(fcinfo);
	Float8ArrayCache *wc = &cc->arr[0];
	Float8ArrayCache *sc = &cc->arr[1];
	const double *w;
	const double *s;
	bool		fresh;
	int			notch;
	double		comp[VS_NWEIGHTS];
	double		sum;
	int			i;

	w = GetFloat8Params(fcinfo, 7, wc, VS_NWEIGHTS, "weights", &fresh);
	if (fresh)
	{
		double		total = 0.0;

		for (i = 0; i < VS_NWEIGHTS; i++)
		{
			if (w[i] < 0.0)
			{
				wc->valid = false;
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("weights must not be negative")));
			}
			total += w[i];
		}
		if (total <= 0.0)
		{
			wc->valid = false;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weights must not all be zero")));
		}
		wc->derived[0] = 1.0 / total;
	}
	s = GetFloat8Params(fcinfo, 8, sc, VS_NSCALES, "scales", &fresh);
	if (fresh)
	{
		for (i = 0; i < VS_NSCALES; i++)
			if (s[i] <= 0.0)
			{
				sc->valid = false;
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("scales must be positive")));
			}
		sc->derived[0] = 1.0 / log1p(s[VS_SCALE_CONTRIBUTION]);
		sc->derived[1] = 1.0 / s[VS_SCALE_TENURE];
		sc->derived[2] = 1.0 / s[VS_SCALE_BREADTH];
		sc->derived[3] = -1.0 / s[VS_SCALE_RECENCY];
	}
	if (isnan(contrib) || isnan(growth) || isnan(tenure) || isnan(potential))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value_score inputs must not be NaN")));
	notch = CreditRatingNotch(rating);
	if (notch < 1)
		elog(ERROR, "invalid credit_rating code %d", (int) rating);

	comp[VS_CONTRIBUTION] = contrib > 0.0 ? Clamp01(log1p(contrib) * sc->derived[0]) : 0.0;
	comp[VS_GROWTH] = Clamp01((growth + 1.0) * 0.5);
	comp[VS_TENURE] = Clamp01(tenure * sc->derived[1]);
	comp[VS_BREADTH] = Clamp01((double) products * sc->derived[2]);
	comp[VS_CREDIT] = (double) (SCORE_NOTCHES - notch) / (double) (SCORE_NOTCHES - 1);
	comp[VS_RECENCY] = recency <= 0 ? 1.0 : exp2((double) recency * sc->derived[3]);
	comp[VS_POTENTIAL] = Clamp01(potential);

	sum = 0.0;
	for (i = 0; i < VS_NWEIGHTS; i++)
		sum += w[i] * comp[i];
	PG_RETURN_INT32((int32) floor(1000.0 * Clamp01(sum * wc->derived[0]) + 0.5));
}

/*
 * JsonbGetNumber
 *		The number under key in an object container; *found false when the
 *		key is absent.  Any other type is an error.
 */
static double
JsonbGetNumber(JsonbContainer *c, const char *key, bool *found)
{
	JsonbValue	vbuf;
	JsonbValue *v;
	double		x;

	v = getKeyJsonValueFromContainer(c, key, strlen(key), &vbuf);
	if (v == NULL)
	{
		*found = false;
		return 0.0;
	}
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid potential parameters"),
				 errdetail("The value of \"%s\" must be a number.", key)));
	x = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	*found = true;
	return x;
}

/*
 * ParsePotentialTable
 *		Read root->key, an object mapping vocabulary words to numbers in
 *		[0, 1], into out[] (NaN for words it does not mention).  A key that
 *		is not in the vocabulary is refused: it is a typo.
 */
static void
ParsePotentialTable(JsonbContainer *root, const char *key,
					const char *const *vocab, int n, double *out)
{
	JsonbValue	vbuf;
	JsonbValue *v;
	JsonbIterator *it;
	JsonbValue	jv;
	JsonbIteratorToken tok;
	int			i;

	for (i = 0; i < n; i++)
		out[i] = get_float8_nan();
	v = getKeyJsonValueFromContainer(root, key, strlen(key), &vbuf);
	if (v == NULL)
		return;
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid potential parameters"),
				 errdetail("The value of \"%s\" must be an object.", key)));

	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &jv, true)) != WJB_DONE)
	{
		char	   *word;
		int			idx = -1;

		if (tok != WJB_KEY)
			continue;
		word = pnstrdup(jv.val.string.val, jv.val.string.len);
		for (i = 0; i < n; i++)
			if (strcmp(word, vocab[i]) == 0)
				idx = i;
		if (idx < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid potential parameters"),
					 errdetail("\"%s\" is not a known value of %s.", word, key)));
		tok = JsonbIteratorNext(&it, &jv, true);
		if (tok != WJB_VALUE || jv.type != jbvNumeric)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid potential parameters"),
					 errdetail("The value of %s \"%s\" must be a number.", key, word)));
		out[idx] = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													  NumericGetDatum(jv.val.numeric)));
		if (!(out[idx] >= 0.0 && out[idx] <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid potential parameters"),
					 errdetail("The value of %s \"%s\" must be between 0 and 1.", key, word)));
		pfree(word);
	}
}

/*
 * GetPotentialParams
 *		The parsed potential parameters of jsonb argument argno (cached).
 */
static const PotentialCache *
GetPotentialParams(FunctionCallInfo fcinfo, int argno)
{
	ScoreCallCache *cc = GetCallCache(fcinfo);
	PotentialCache *pc = &cc->pot;
	Datum		d = PG_GETARG_DATUM(argno);
	Size		len;
	const char *data;
	Jsonb	   *jb;
	JsonbContainer *root;
	bool		found;
	double		total = 0.0;
	int			i;

	if (RawMatches(d, pc->valid, pc->rawlen, pc->raw, &len, &data))
		return pc;

	pc->valid = false;
	jb = DatumGetJsonbP(d);
	root = &jb->root;
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid potential parameters"),
				 errdetail("The parameters must be a JSON object.")));

	ParsePotentialTable(root, "education", education_values, N_EDUCATION, pc->education);
	ParsePotentialTable(root, "occupation", occupation_values, N_OCCUPATION, pc->occupation);
	ParsePotentialTable(root, "life_stage", life_stage_values, N_LIFE_STAGE, pc->life_stage);
	ParsePotentialTable(root, "product_lifecycle", lifecycle_values, N_LIFECYCLE, pc->lifecycle);

	/* mix: the weights of the four attributes of an individual */
	{
		JsonbValue	vbuf;
		JsonbValue *v = getKeyJsonValueFromContainer(root, "mix", 3, &vbuf);

		if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid potential parameters"),
					 errdetail("\"mix\" must be an object with the weights of education, occupation, life_stage and age.")));
		for (i = 0; i < POT_NMIX; i++)
		{
			pc->mix[i] = JsonbGetNumber(v->val.binary.data, mix_keys[i], &found);
			if (!found)
				pc->mix[i] = 0.0;
			if (!(pc->mix[i] >= 0.0) || isinf(pc->mix[i]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid potential parameters"),
						 errdetail("The weight of \"%s\" in \"mix\" must be a non-negative number.", mix_keys[i])));
			total += pc->mix[i];
		}
		if (total <= 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid potential parameters"),
					 errdetail("The weights in \"mix\" must not all be zero.")));
	}

	pc->age_full = JsonbGetNumber(root, "age_full", &found);
	if (!found)
		pc->age_full = 25.0;
	pc->age_zero = JsonbGetNumber(root, "age_zero", &found);
	if (!found)
		pc->age_zero = 70.0;
	if (!(pc->age_zero > pc->age_full))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid potential parameters"),
				 errdetail("\"age_zero\" must be greater than \"age_full\".")));
	pc->institution = JsonbGetNumber(root, "institution", &found);
	if (!found)
		pc->institution = 0.5;
	pc->unknown = JsonbGetNumber(root, "unknown", &found);
	if (!found)
		pc->unknown = 0.5;
	if (!(pc->institution >= 0.0 && pc->institution <= 1.0) ||
		!(pc->unknown >= 0.0 && pc->unknown <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid potential parameters"),
				 errdetail("\"institution\" and \"unknown\" must be between 0 and 1.")));

	if (data != NULL)
	{
		RememberRaw(fcinfo, len, data, &pc->rawlen, &pc->raw);
		pc->valid = true;
	}
	return pc;
}

/*
 * VocabIndex
 *		Position of a text value in a vocabulary, -1 when NULL or unknown.
 */
static int
VocabIndex(text *t, const char *const *vocab, int n)
{
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			i;

	for (i = 0; i < n; i++)
		if ((int) strlen(vocab[i]) == len && memcmp(vocab[i], s, len) == 0)
			return i;
	return -1;
}

/*
 * potential
 *		SQL potential(kind, age, education, occupation, life_stage,
 *		product_lifecycle, params jsonb) returns float8 in [0, 1]: what the
 *		party may become, not what it holds today.
 *
 * Individuals: the weighted mean (params.mix) of the table values of their
 * education, occupation and life stage and of an age curve that is 1 up to
 * params.age_full and falls linearly to 0 at params.age_zero.  An attribute
 * that is NULL or absent from its table does not count; with none known the
 * result is params.unknown.  Corporates: the table value of the market
 * life-cycle stage of their main product (params.unknown if NULL).
 * Financial institutions and government bodies: params.institution.
 * NULL kind or params give NULL; other NULLs mean "unknown".
 */
PG_FUNCTION_INFO_V1(potential);
Datum
potential(PG_FUNCTION_ARGS)
{
	const PotentialCache *pc;
	text	   *kind;
	const char *k;
	int			klen;
	double		num = 0.0;
	double		den = 0.0;
	int			idx;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(6))
		PG_RETURN_NULL();
	pc = GetPotentialParams(fcinfo, 6);
	kind = PG_GETARG_TEXT_PP(0);
	k = VARDATA_ANY(kind);
	klen = VARSIZE_ANY_EXHDR(kind);

	if (klen == 10 && memcmp(k, "individual", 10) == 0)
	{
		if (!PG_ARGISNULL(2) &&
			(idx = VocabIndex(PG_GETARG_TEXT_PP(2), education_values, N_EDUCATION)) >= 0 &&
			!isnan(pc->education[idx]))
		{
			num += pc->mix[POT_MIX_EDUCATION] * pc->education[idx];
			den += pc->mix[POT_MIX_EDUCATION];
		}
		if (!PG_ARGISNULL(3) &&
			(idx = VocabIndex(PG_GETARG_TEXT_PP(3), occupation_values, N_OCCUPATION)) >= 0 &&
			!isnan(pc->occupation[idx]))
		{
			num += pc->mix[POT_MIX_OCCUPATION] * pc->occupation[idx];
			den += pc->mix[POT_MIX_OCCUPATION];
		}
		if (!PG_ARGISNULL(4) &&
			(idx = VocabIndex(PG_GETARG_TEXT_PP(4), life_stage_values, N_LIFE_STAGE)) >= 0 &&
			!isnan(pc->life_stage[idx]))
		{
			num += pc->mix[POT_MIX_LIFE_STAGE] * pc->life_stage[idx];
			den += pc->mix[POT_MIX_LIFE_STAGE];
		}
		if (!PG_ARGISNULL(1))
		{
			double		age = (double) PG_GETARG_INT32(1);

			num += pc->mix[POT_MIX_AGE] *
				Clamp01((pc->age_zero - age) / (pc->age_zero - pc->age_full));
			den += pc->mix[POT_MIX_AGE];
		}
		PG_RETURN_FLOAT8(den > 0.0 ? num / den : pc->unknown);
	}
	if (klen == 9 && memcmp(k, "corporate", 9) == 0)
	{
		if (!PG_ARGISNULL(5) &&
			(idx = VocabIndex(PG_GETARG_TEXT_PP(5), lifecycle_values, N_LIFECYCLE)) >= 0 &&
			!isnan(pc->lifecycle[idx]))
			PG_RETURN_FLOAT8(pc->lifecycle[idx]);
		PG_RETURN_FLOAT8(pc->unknown);
	}
	if ((klen == 21 && memcmp(k, "financial_institution", 21) == 0) ||
		(klen == 10 && memcmp(k, "government", 10) == 0))
		PG_RETURN_FLOAT8(pc->institution);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid party kind \"%s\"", text_to_cstring(kind)),
			 errhint("Use individual, corporate, financial_institution or government.")));
	PG_RETURN_NULL();			/* keep the compiler quiet */
}

/*
 * clv
 *		SQL clv(annual_margin, retention, discount_rate, years): customer
 *		lifetime value, the present value of the margin the party is expected
 *		to bring in the next `years` years,
 *
 *   sum_{t=1..T} m r^(t-1) / (1+d)^t  =  m/(1+d) (1 - q^T) / (1 - q),  q = r/(1+d)
 *
 * (m T / (1+d) when q = 1).  retention is the probability that the party is
 * still a customer a year later, in [0, 1]; d > -1; 0 <= T <= 100.
 */
PG_FUNCTION_INFO_V1(clv);
Datum
clv(PG_FUNCTION_ARGS)
{
	float8		m = PG_GETARG_FLOAT8(0);
	float8		r = PG_GETARG_FLOAT8(1);
	float8		d = PG_GETARG_FLOAT8(2);
	int32		years = PG_GETARG_INT32(3);
	double		q;
	double		result;

	CheckFinite(m, "annual_margin");
	if (isnan(r) || r < 0.0 || r > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must be between 0 and 1")));
	if (isnan(d) || isinf(d) || d <= -1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be greater than -1")));
	if (years < 0 || years > CLV_MAX_YEARS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("years must be between 0 and %d", CLV_MAX_YEARS)));

	q = r / (1.0 + d);
	if (fabs(1.0 - q) < 1e-12)
		result = m * years / (1.0 + d);
	else
		result = m / (1.0 + d) * (1.0 - pow(q, years)) / (1.0 - q);
	if (isinf(result) || isnan(result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("lifetime value is out of range")));
	PG_RETURN_FLOAT8(result);
}

/*
 * value_tier
 *		SQL value_tier(x, key_min, general_min): 'key' when x >= key_min,
 *		'general' when x >= general_min, else 'scattered'.
 */
PG_FUNCTION_INFO_V1(value_tier);
Datum
value_tier(PG_FUNCTION_ARGS)
{
	float8		x = PG_GETARG_FLOAT8(0);
	float8		key_min = PG_GETARG_FLOAT8(1);
	float8		general_min = PG_GETARG_FLOAT8(2);

	if (isnan(x) || isnan(key_min) || isnan(general_min))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value_tier inputs must not be NaN")));
	if (general_min > key_min)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("general_min must not be greater than key_min")));
	if (x >= key_min)
		PG_RETURN_TEXT_P(cstring_to_text("key"));
	if (x >= general_min)
		PG_RETURN_TEXT_P(cstring_to_text("general"));
	PG_RETURN_TEXT_P(cstring_to_text("scattered"));
}

/*
 * wealth_tier
 *		SQL wealth_tier(aum, affluent_min, hnw_min, uhnw_min): the level of
 *		the wealth pyramid, 'mass', 'affluent', 'hnw' or 'uhnw'.
 */
PG_FUNCTION_INFO_V1(wealth_tier);
Datum
wealth_tier(PG_FUNCTION_ARGS)
{
	float8		aum = PG_GETARG_FLOAT8(0);
	float8		affluent_min = PG_GETARG_FLOAT8(1);
	float8		hnw_min = PG_GETARG_FLOAT8(2);
	float8		uhnw_min = PG_GETARG_FLOAT8(3);

	if (isnan(aum) || isnan(affluent_min) || isnan(hnw_min) || isnan(uhnw_min))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("wealth_tier inputs must not be NaN")));
	if (!(affluent_min <= hnw_min && hnw_min <= uhnw_min))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wealth tier cut-offs must be in increasing order"),
				 errdetail("affluent_min %g, hnw_min %g and uhnw_min %g were given.",
						   affluent_min, hnw_min, uhnw_min)));
	if (aum >= uhnw_min)
		PG_RETURN_TEXT_P(cstring_to_text("uhnw"));
	if (aum >= hnw_min)
		PG_RETURN_TEXT_P(cstring_to_text("hnw"));
	if (aum >= affluent_min)
		PG_RETURN_TEXT_P(cstring_to_text("affluent"));
	PG_RETURN_TEXT_P(cstring_to_text("mass"));
}

static void
CheckRfmQuintile(int32 q, const char *what)
{
	if (q < 1 || q > 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s quintile must be between 1 and 5, not %d", what, q)));
}

/*
 * rfm_score
 *		SQL rfm_score(r, f, m): the three quintiles as one code, 100 r +
 *		10 f + m (555 is the best customer, 111 the least engaged).
 */
PG_FUNCTION_INFO_V1(rfm_score);
Datum
rfm_score(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);

	CheckRfmQuintile(r, "recency");
	CheckRfmQuintile(f, "frequency");
	CheckRfmQuintile(m, "monetary");
	PG_RETURN_INT32(100 * r + 10 * f + m);
}

/*
 * rfm_segment
 *		SQL rfm_segment(r, f, m): the customer group an RFM code falls in,
 *		from recency r and the mean of frequency and monetary fm:
 *		champions (r >= 4, fm >= 4), loyal (r >= 3, fm >= 3), promising
 *		(r >= 4), need_attention (r = 3), cant_lose (fm >= 4), at_risk
 *		(fm >= 3), hibernating (the rest).
 */
PG_FUNCTION_INFO_V1(rfm_segment);
Datum
rfm_segment(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);
	int32		fm2;
	const char *seg;

	CheckRfmQuintile(r, "recency");
	CheckRfmQuintile(f, "frequency");
	CheckRfmQuintile(m, "monetary");
	fm2 = f + m;				/* twice the mean, to stay in integers */
	if (r >= 4 && fm2 >= 8)
		seg = "champions";
	else if (r >= 3 && fm2 >= 6)
		seg = "loyal";
	else if (r >= 4)
		seg = "promising";
	else if (r == 3)
		seg = "need_attention";
	else if (fm2 >= 8)
		seg = "cant_lose";
	else if (fm2 >= 6)
		seg = "at_risk";
	else
		seg = "hibernating";
	PG_RETURN_TEXT_P(cstring_to_text(seg));
}
