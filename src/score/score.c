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
 * Layer: pure computation, the bottom of src/score/.  No SPI, no executor:
 * the formulas take and return values; the SQL functions here are their
 * IMMUTABLE wrappers.  Calls only types/rating.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/score.c
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

#include "score/score.h"

/* the largest parameter array any function takes */
#define SCORE_MAX_ARRAY			SCORE_NOTCHES

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

const char *const score_education_values[N_EDUCATION] = {
	"primary", "secondary", "vocational", "bachelor", "master", "doctorate"
};
const char *const score_occupation_values[N_OCCUPATION] = {
	"student", "employee", "professional", "civil_servant", "business_owner",
	"individual_merchant", "farmer", "retired", "homemaker", "unemployed",
	"executive", "other"
};
const char *const score_life_stage_values[N_LIFE_STAGE] = {
	"bachelor", "newly_married", "full_nest_1", "full_nest_2", "full_nest_3",
	"empty_nest", "solitary_survivor"
};
const char *const score_lifecycle_values[N_LIFECYCLE] = {
	"introduction", "growth", "maturity", "decline"
};
const char *const score_value_tier_names[SCORE_NVALUE_TIERS] = {
	"key", "general", "scattered"
};
const char *const score_wealth_tier_names[SCORE_NWEALTH_TIERS] = {
	"mass", "affluent", "hnw", "uhnw"
};

static const char *const mix_keys[POT_NMIX] = {"education", "occupation", "life_stage", "age"};

/*
 * The fn_extra of a call site: one cache per parameter argument.  Every
 * function of this file uses the same struct, so the allocation is shared.
 */
typedef struct ScoreCallCache
{
	Float8ArrayCache arr[2];
	ValueScoreParams vsp;
	PotentialParams pot;
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
static void CheckNotNaN(bool nan, const char *function);
static double Clamp01(double x);
static const PotentialParams *GetPotentialParams(FunctionCallInfo fcinfo, int argno);
static void ParsePotentialTable(JsonbContainer *root, const char *key,
								const char *const *vocab, int n, double *out);
static double JsonbGetNumber(JsonbContainer *c, const char *key, bool *found);
static int	TextVocabIndex(text *t, const char *const *vocab, int n);
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

/*
 * CheckNotNaN
 *		Refuse NaN among the inputs of a score or tier function (infinity
 *		is a valid cut-off or score input, NaN is not).
 */
static void
CheckNotNaN(bool nan, const char *function)
{
	if (nan)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s inputs must not be NaN", function),
				 errhint("NaN orders above every number, so it has no place on a scale; pass NULL for an unknown value.")));
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
 * ScoreVocabIndex
 *		Position of a word in a vocabulary, -1 when it is not there.
 */
int
ScoreVocabIndex(const char *s, int len, const char *const *vocab, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if ((int) strlen(vocab[i]) == len && memcmp(vocab[i], s, len) == 0)
			return i;
	return -1;
}

static int
TextVocabIndex(text *t, const char *const *vocab, int n)
{
	return ScoreVocabIndex(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), vocab, n);
}

/*
 * ScoreKindCode
 *		The ScoreKind of a party kind; an unknown kind is an error.
 */
int
ScoreKindCode(const char *s, int len)
{
	int			k = ScoreVocabIndex(s, len, bankcrm_party_kinds, SCORE_NKINDS);

	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid party kind \"%s\"", pnstrdup(s, len)),
				 errhint("Use individual, corporate, financial_institution or government.")));
	return k;
}

/*
 * ScoreCheckPd, ScoreCheckLgd
 *		Refuse a PD curve or a loss given default that is not a probability.
 */
void
ScoreCheckPd(const double *pd, int n)
{
	int			i;

	if (n != SCORE_NOTCHES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pd must have %d elements, not %d", SCORE_NOTCHES, n)));
	for (i = 0; i < n; i++)
		if (!(pd[i] >= 0.0 && pd[i] <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pd must contain probabilities between 0 and 1"),
					 errdetail("Element %d (notch %d) is %g.", i + 1, i + 1, pd[i])));
}

void
ScoreCheckLgd(double lgd)
{
	if (isnan(lgd) || lgd < 0.0 || lgd > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lgd must be between 0 and 1")));
}

/*
 * ScoreContribution
 *		A party's yearly profit contribution:
 *
 *   L (r_L - f_L) - L PD(notch) LGD + D (f_D - r_D) + fees - cost_to_serve
 *
 * Rates are yearly fractions.  A party with several loans passes their total
 * balance and the balance-weighted averages of rate and transfer price, which
 * gives exactly the sum of the per-loan margins; deposits likewise.  pd[n] is
 * the one-year probability of default of notch n (AAA = 1 ... D = 22).  The
 * inputs must be finite, the balances not negative, pd and lgd checked.
 */
double
ScoreContribution(double loan_balance, double loan_rate, double loan_ftp,
				  double deposit_balance, double deposit_rate, double deposit_ftp,
				  double fees, double cost_to_serve, int notch,
				  const double *pd, double lgd)
{
	double		result;

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
	if (notch < 1 || notch > SCORE_NOTCHES)
		elog(ERROR, "invalid credit rating notch %d", notch);

	result = loan_balance * (loan_rate - loan_ftp)
		- loan_balance * pd[notch - 1] * lgd
		+ deposit_balance * (deposit_ftp - deposit_rate)
		+ fees - cost_to_serve;
	if (isinf(result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("contribution is out of range")));
	return result;
}

/*
 * contribution
 *		SQL contribution(loan_balance, loan_rate, loan_ftp, deposit_balance,
 *		deposit_rate, deposit_ftp, fees, cost_to_serve, credit_rating,
 *		pd float8[22], lgd): ScoreContribution() of one party.
 */
PG_FUNCTION_INFO_V1(contribution);
Datum
contribution(PG_FUNCTION_ARGS)
{
	int16		rating = DatumGetInt16(PG_GETARG_DATUM(8));
	float8		lgd = PG_GETARG_FLOAT8(10);
	ScoreCallCache *cc = GetCallCache(fcinfo);
	const double *pd;
	bool		fresh;
	int			notch;

	pd = GetFloat8Params(fcinfo, 9, &cc->arr[0], SCORE_NOTCHES, "pd", &fresh);
	if (fresh)
	{
		bool		valid = cc->arr[0].valid;

		cc->arr[0].valid = false;
		ScoreCheckPd(pd, SCORE_NOTCHES);
		cc->arr[0].valid = valid;
	}
	ScoreCheckLgd(lgd);
	notch = CreditRatingNotch(rating);
	if (notch < 1)
		elog(ERROR, "invalid credit_rating code %d", (int) rating);

	PG_RETURN_FLOAT8(ScoreContribution(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1),
									   PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3),
									   PG_GETARG_FLOAT8(4), PG_GETARG_FLOAT8(5),
									   PG_GETARG_FLOAT8(6), PG_GETARG_FLOAT8(7),
									   notch, pd, lgd));
}

/*
 * ScoreValueWeights, ScoreValueScales
 *		Check the value score's weights (non-negative, positive sum) and
 *		scales (positive) and keep them with what is derived from them.
 */
void
ScoreValueWeights(ValueScoreParams *vp, const double *w, int n)
{
	double		total = 0.0;
	int			i;

	if (n != VS_NWEIGHTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must have %d elements, not %d", VS_NWEIGHTS, n)));
	for (i = 0; i < VS_NWEIGHTS; i++)
	{
		if (!(w[i] >= 0.0) || isinf(w[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weights must not be negative")));
		total += w[i];
	}
	if (total <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must not all be zero")));
	memcpy(vp->w, w, sizeof(vp->w));
	vp->inv_total = 1.0 / total;
}

void
ScoreValueScales(ValueScoreParams *vp, const double *s, int n)
{
	int			i;

	if (n != VS_NSCALES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scales must have %d elements, not %d", VS_NSCALES, n)));
	for (i = 0; i < VS_NSCALES; i++)
		if (!(s[i] > 0.0) || isinf(s[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scales must be positive")));
	memcpy(vp->s, s, sizeof(vp->s));
	vp->derived[0] = 1.0 / log1p(s[VS_SCALE_CONTRIBUTION]);
	vp->derived[1] = 1.0 / s[VS_SCALE_TENURE];
	vp->derived[2] = 1.0 / s[VS_SCALE_BREADTH];
	vp->derived[3] = -1.0 / s[VS_SCALE_RECENCY];
}

/*
 * ScoreValue
 *		The value score 0 .. 1000 of checked parameters.
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
 */
int32
ScoreValue(const ValueScoreParams *vp, double contrib, double growth,
		   double tenure, int32 products, int notch, int32 recency,
		   double potential)
{
	double		comp[VS_NWEIGHTS];
	double		sum;
	int			i;

	CheckNotNaN(isnan(contrib) || isnan(growth) || isnan(tenure) || isnan(potential), "value_score");
	if (notch < 1 || notch > SCORE_NOTCHES)
		elog(ERROR, "invalid credit rating notch %d", notch);

	comp[VS_CONTRIBUTION] = contrib > 0.0 ? Clamp01(log1p(contrib) * vp->derived[0]) : 0.0;
	comp[VS_GROWTH] = Clamp01((growth + 1.0) * 0.5);
	comp[VS_TENURE] = Clamp01(tenure * vp->derived[1]);
	comp[VS_BREADTH] = Clamp01((double) products * vp->derived[2]);
	comp[VS_CREDIT] = (double) (SCORE_NOTCHES - notch) / (double) (SCORE_NOTCHES - 1);
	comp[VS_RECENCY] = recency <= 0 ? 1.0 : exp2((double) recency * vp->derived[3]);
	comp[VS_POTENTIAL] = Clamp01(potential);

	sum = 0.0;
	for (i = 0; i < VS_NWEIGHTS; i++)
		sum += vp->w[i] * comp[i];
	return (int32) floor(1000.0 * Clamp01(sum * vp->inv_total) + 0.5);
}

/*
 * value_score
 *		SQL value_score(contribution, growth, tenure_years, products,
 *		credit_rating, recency_days, potential, weights float8[7],
 *		scales float8[4]) returns integer 0 .. 1000: ScoreValue().
 */
PG_FUNCTION_INFO_V1(value_score);
Datum
value_score(PG_FUNCTION_ARGS)
{
	int16		rating = DatumGetInt16(PG_GETARG_DATUM(4));
	ScoreCallCache *cc = GetCallCache(fcinfo);
	const double *w;
	const double *s;
	bool		fresh;
	int			notch;

	w = GetFloat8Params(fcinfo, 7, &cc->arr[0], VS_NWEIGHTS, "weights", &fresh);
	if (fresh)
	{
		bool		valid = cc->arr[0].valid;

		cc->arr[0].valid = false;
		ScoreValueWeights(&cc->vsp, w, VS_NWEIGHTS);
		cc->arr[0].valid = valid;
	}
	s = GetFloat8Params(fcinfo, 8, &cc->arr[1], VS_NSCALES, "scales", &fresh);
	if (fresh)
	{
		bool		valid = cc->arr[1].valid;

		cc->arr[1].valid = false;
		ScoreValueScales(&cc->vsp, s, VS_NSCALES);
		cc->arr[1].valid = valid;
	}
	notch = CreditRatingNotch(rating);
	if (notch < 1)
		elog(ERROR, "invalid credit_rating code %d", (int) rating);
	PG_RETURN_INT32(ScoreValue(&cc->vsp, PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1),
							   PG_GETARG_FLOAT8(2), PG_GETARG_INT32(3), notch,
							   PG_GETARG_INT32(5), PG_GETARG_FLOAT8(6)));
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
		int			idx;

		if (tok != WJB_KEY)
			continue;
		word = pnstrdup(jv.val.string.val, jv.val.string.len);
		idx = ScoreVocabIndex(jv.val.string.val, jv.val.string.len, vocab, n);
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
 * ScoreParsePotential
 *		Parse and check the potential parameters of a model (the jsonb of
 *		score_model.potential) into *pp; raw, rawlen and valid are left
 *		alone.
 */
void
ScoreParsePotential(Jsonb *jb, PotentialParams *pp)
{
	JsonbContainer *root = &jb->root;
	bool		found;
	double		total = 0.0;
	int			i;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid potential parameters"),
				 errdetail("The parameters must be a JSON object.")));

	ParsePotentialTable(root, "education", score_education_values, N_EDUCATION, pp->education);
	ParsePotentialTable(root, "occupation", score_occupation_values, N_OCCUPATION, pp->occupation);
	ParsePotentialTable(root, "life_stage", score_life_stage_values, N_LIFE_STAGE, pp->life_stage);
	ParsePotentialTable(root, "product_lifecycle", score_lifecycle_values, N_LIFECYCLE, pp->lifecycle);

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
			pp->mix[i] = JsonbGetNumber(v->val.binary.data, mix_keys[i], &found);
			if (!found)
				pp->mix[i] = 0.0;
			if (!(pp->mix[i] >= 0.0) || isinf(pp->mix[i]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid potential parameters"),
						 errdetail("The weight of \"%s\" in \"mix\" must be a non-negative number.", mix_keys[i])));
			total += pp->mix[i];
		}
		if (total <= 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid potential parameters"),
					 errdetail("The weights in \"mix\" must not all be zero.")));
	}

	pp->age_full = JsonbGetNumber(root, "age_full", &found);
	if (!found)
		pp->age_full = 25.0;
	pp->age_zero = JsonbGetNumber(root, "age_zero", &found);
	if (!found)
		pp->age_zero = 70.0;
	if (!(pp->age_zero > pp->age_full))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid potential parameters"),
				 errdetail("\"age_zero\" must be greater than \"age_full\".")));
	pp->institution = JsonbGetNumber(root, "institution", &found);
	if (!found)
		pp->institution = 0.5;
	pp->unknown = JsonbGetNumber(root, "unknown", &found);
	if (!found)
		pp->unknown = 0.5;
	if (!(pp->institution >= 0.0 && pp->institution <= 1.0) ||
		!(pp->unknown >= 0.0 && pp->unknown <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid potential parameters"),
				 errdetail("\"institution\" and \"unknown\" must be between 0 and 1.")));
}

/*
 * GetPotentialParams
 *		The parsed potential parameters of jsonb argument argno (cached).
 */
static const PotentialParams *
GetPotentialParams(FunctionCallInfo fcinfo, int argno)
{
	ScoreCallCache *cc = GetCallCache(fcinfo);
	PotentialParams *pp = &cc->pot;
	Datum		d = PG_GETARG_DATUM(argno);
	Size		len;
	const char *data;

	if (RawMatches(d, pp->valid, pp->rawlen, pp->raw, &len, &data))
		return pp;

	pp->valid = false;
	ScoreParsePotential(DatumGetJsonbP(d), pp);
	if (data != NULL)
	{
		RememberRaw(fcinfo, len, data, &pp->rawlen, &pp->raw);
		pp->valid = true;
	}
	return pp;
}

/*
 * ScorePotential
 *		What a party may become, in [0, 1], not what it holds today.
 *
 * Individuals: the weighted mean (params.mix) of the table values of their
 * education, occupation and life stage and of an age curve that is 1 up to
 * params.age_full and falls linearly to 0 at params.age_zero.  An attribute
 * that is unknown (index -1, SCORE_AGE_UNKNOWN) or absent from its table
 * does not count; with none known the result is params.unknown.
 * Corporates: the table value of the market life-cycle stage of their main
 * product (params.unknown if unknown).  Financial institutions and
 * government bodies: params.institution.
 */
double
ScorePotential(const PotentialParams *pp, ScoreKind kind, int age,
			   int education, int occupation, int life_stage, int lifecycle)
{
	double		num = 0.0;
	double		den = 0.0;

	switch (kind)
	{
		case SCORE_KIND_INDIVIDUAL:
			if (education >= 0 && !isnan(pp->education[education]))
			{
				num += pp->mix[POT_MIX_EDUCATION] * pp->education[education];
				den += pp->mix[POT_MIX_EDUCATION];
			}
			if (occupation >= 0 && !isnan(pp->occupation[occupation]))
			{
				num += pp->mix[POT_MIX_OCCUPATION] * pp->occupation[occupation];
				den += pp->mix[POT_MIX_OCCUPATION];
			}
			if (life_stage >= 0 && !isnan(pp->life_stage[life_stage]))
			{
				num += pp->mix[POT_MIX_LIFE_STAGE] * pp->life_stage[life_stage];
				den += pp->mix[POT_MIX_LIFE_STAGE];
			}
			if (age != SCORE_AGE_UNKNOWN)
			{
				num += pp->mix[POT_MIX_AGE] *
					Clamp01((pp->age_zero - (double) age) / (pp->age_zero - pp->age_full));
				den += pp->mix[POT_MIX_AGE];
			}
			return den > 0.0 ? num / den : pp->unknown;
		case SCORE_KIND_CORPORATE:
			if (lifecycle >= 0 && !isnan(pp->lifecycle[lifecycle]))
				return pp->lifecycle[lifecycle];
			return pp->unknown;
		case SCORE_KIND_FINANCIAL_INSTITUTION:
		case SCORE_KIND_GOVERNMENT:
		case SCORE_NKINDS:
			break;
	}
	return pp->institution;
}

/*
 * potential
 *		SQL potential(kind, age, education, occupation, life_stage,
 *		product_lifecycle, params jsonb) returns float8 in [0, 1]:
 *		ScorePotential().  NULL kind or params give NULL; other NULLs mean
 *		"unknown", and so does a word outside its vocabulary.
 */
PG_FUNCTION_INFO_V1(potential);
Datum
potential(PG_FUNCTION_ARGS)
{
	const PotentialParams *pp;
	text	   *kind;
	int			age;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(6))
		PG_RETURN_NULL();
	pp = GetPotentialParams(fcinfo, 6);
	kind = PG_GETARG_TEXT_PP(0);
	age = PG_ARGISNULL(1) ? SCORE_AGE_UNKNOWN : PG_GETARG_INT32(1);

	PG_RETURN_FLOAT8(ScorePotential(pp,
									ScoreKindCode(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind)),
									age,
									PG_ARGISNULL(2) ? -1 : TextVocabIndex(PG_GETARG_TEXT_PP(2), score_education_values, N_EDUCATION),
									PG_ARGISNULL(3) ? -1 : TextVocabIndex(PG_GETARG_TEXT_PP(3), score_occupation_values, N_OCCUPATION),
									PG_ARGISNULL(4) ? -1 : TextVocabIndex(PG_GETARG_TEXT_PP(4), score_life_stage_values, N_LIFE_STAGE),
									PG_ARGISNULL(5) ? -1 : TextVocabIndex(PG_GETARG_TEXT_PP(5), score_lifecycle_values, N_LIFECYCLE)));
}

/*
 * ScoreCheckClvParams, ScoreClv
 *		Customer lifetime value, the present value of the margin m the party
 *		is expected to bring in the next `years` years,
 *
 *   sum_{t=1..T} m r^(t-1) / (1+d)^t  =  m/(1+d) (1 - q^T) / (1 - q),  q = r/(1+d)
 *
 * (m T / (1+d) when q = 1).  retention is the probability that the party is
 * still a customer a year later, in [0, 1]; d > -1; 0 <= T <= 100.
 */
void
ScoreCheckClvParams(double retention, double discount_rate, int32 years)
{
	if (isnan(retention) || retention < 0.0 || retention > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must be between 0 and 1")));
	if (isnan(discount_rate) || isinf(discount_rate) || discount_rate <= -1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be greater than -1")));
	if (years < 0 || years > CLV_MAX_YEARS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("years must be between 0 and %d", CLV_MAX_YEARS)));
}

double
ScoreClv(double m, double retention, double discount_rate, int32 years)
{
	double		q;
	double		result;

	CheckFinite(m, "annual_margin");
	q = retention / (1.0 + discount_rate);
	if (fabs(1.0 - q) < 1e-12)
		result = m * years / (1.0 + discount_rate);
	else
		result = m / (1.0 + discount_rate) * (1.0 - pow(q, years)) / (1.0 - q);
	if (isinf(result) || isnan(result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("lifetime value is out of range")));
	return result;
}

/*
 * clv
 *		SQL clv(annual_margin, retention, discount_rate, years): ScoreClv().
 */
PG_FUNCTION_INFO_V1(clv);
Datum
clv(PG_FUNCTION_ARGS)
{
	float8		m = PG_GETARG_FLOAT8(0);
	float8		r = PG_GETARG_FLOAT8(1);
	float8		d = PG_GETARG_FLOAT8(2);
	int32		years = PG_GETARG_INT32(3);

	CheckFinite(m, "annual_margin");
	ScoreCheckClvParams(r, d, years);
	PG_RETURN_FLOAT8(ScoreClv(m, r, d, years));
}

/*
 * ScoreCheckValueCutoffs, ScoreValueTier
 *		The value tier of x: 0 (key) when x >= key_min, 1 (general) when
 *		x >= general_min, else 2 (scattered).
 */
void
ScoreCheckValueCutoffs(double key_min, double general_min)
{
	CheckNotNaN(isnan(key_min) || isnan(general_min), "value_tier");
	if (general_min > key_min)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("general_min must not be greater than key_min")));
}

int
ScoreValueTier(double x, double key_min, double general_min)
{
	CheckNotNaN(isnan(x), "value_tier");
	if (x >= key_min)
		return 0;
	if (x >= general_min)
		return 1;
	return 2;
}

/*
 * value_tier
 *		SQL value_tier(x, key_min, general_min): 'key', 'general' or
 *		'scattered'.
 */
PG_FUNCTION_INFO_V1(value_tier);
Datum
value_tier(PG_FUNCTION_ARGS)
{
	float8		x = PG_GETARG_FLOAT8(0);
	float8		key_min = PG_GETARG_FLOAT8(1);
	float8		general_min = PG_GETARG_FLOAT8(2);
	int			t;

	CheckNotNaN(isnan(x), "value_tier");
	ScoreCheckValueCutoffs(key_min, general_min);
	t = ScoreValueTier(x, key_min, general_min);
	PG_RETURN_TEXT_P(cstring_to_text(score_value_tier_names[t]));
}

/*
 * ScoreCheckWealthCutoffs, ScoreWealthTier
 *		The level of the wealth pyramid: 0 mass, 1 affluent, 2 hnw, 3 uhnw.
 */
void
ScoreCheckWealthCutoffs(double affluent_min, double hnw_min, double uhnw_min)
{
	CheckNotNaN(isnan(affluent_min) || isnan(hnw_min) || isnan(uhnw_min), "wealth_tier");
	if (!(affluent_min <= hnw_min && hnw_min <= uhnw_min))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wealth tier cut-offs must be in increasing order"),
				 errdetail("affluent_min %g, hnw_min %g and uhnw_min %g were given.",
						   affluent_min, hnw_min, uhnw_min)));
}

int
ScoreWealthTier(double aum, double affluent_min, double hnw_min, double uhnw_min)
{
	CheckNotNaN(isnan(aum), "wealth_tier");
	if (aum >= uhnw_min)
		return 3;
	if (aum >= hnw_min)
		return 2;
	if (aum >= affluent_min)
		return 1;
	return 0;
}

/*
 * wealth_tier
 *		SQL wealth_tier(aum, affluent_min, hnw_min, uhnw_min): 'mass',
 *		'affluent', 'hnw' or 'uhnw'.
 */
PG_FUNCTION_INFO_V1(wealth_tier);
Datum
wealth_tier(PG_FUNCTION_ARGS)
{
	float8		aum = PG_GETARG_FLOAT8(0);
	float8		affluent_min = PG_GETARG_FLOAT8(1);
	float8		hnw_min = PG_GETARG_FLOAT8(2);
	float8		uhnw_min = PG_GETARG_FLOAT8(3);
	int			t;

	CheckNotNaN(isnan(aum), "wealth_tier");
	ScoreCheckWealthCutoffs(affluent_min, hnw_min, uhnw_min);
	t = ScoreWealthTier(aum, affluent_min, hnw_min, uhnw_min);
	PG_RETURN_TEXT_P(cstring_to_text(score_wealth_tier_names[t]));
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
