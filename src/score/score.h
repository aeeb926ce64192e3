/*-------------------------------------------------------------------------
 *
 * score.h
 *	  Customer value scoring: the formulas shared by the SQL-callable
 *	  functions of score.c and the scoring engine of read.c.
 *
 * Each formula exists once, here as a plain C function on plain values;
 * score.c wraps them as SQL functions (one row at a time, parameters cached
 * per call site) and read.c applies them to every party of the bank in
 * one pass.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/score.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_H
#define BANKCRM_SCORE_H

#include "fmgr.h"
#include "utils/jsonb.h"

#include "bankcrm.h"
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

/* clv: a horizon longer than this is surely a mistake */
#define CLV_MAX_YEARS			100

/* the vocabularies of party's descriptive columns (20_party.sql) */
#define N_EDUCATION		6
#define N_OCCUPATION	12
#define N_LIFE_STAGE	7
#define N_LIFECYCLE		4
extern const char *const score_education_values[N_EDUCATION];
extern const char *const score_occupation_values[N_OCCUPATION];
extern const char *const score_life_stage_values[N_LIFE_STAGE];
extern const char *const score_lifecycle_values[N_LIFECYCLE];

/* party kinds (party.kind): the extension's one list (bankcrm.h) */
typedef BankcrmPartyKind ScoreKind;
#define SCORE_KIND_INDIVIDUAL	PARTY_KIND_INDIVIDUAL
#define SCORE_KIND_CORPORATE	PARTY_KIND_CORPORATE
#define SCORE_KIND_FINANCIAL_INSTITUTION PARTY_KIND_FINANCIAL_INSTITUTION
#define SCORE_KIND_GOVERNMENT	PARTY_KIND_GOVERNMENT
#define SCORE_NKINDS			BANKCRM_NPARTY_KINDS

/* tiers, in the order of their names below */
#define SCORE_NVALUE_TIERS	3	/* key, general, scattered */
#define SCORE_NWEALTH_TIERS	4	/* mass, affluent, hnw, uhnw */
extern const char *const score_value_tier_names[SCORE_NVALUE_TIERS];
extern const char *const score_wealth_tier_names[SCORE_NWEALTH_TIERS];

/* potential: the weights of the individual's attributes, in this order */
#define POT_MIX_EDUCATION	0
#define POT_MIX_OCCUPATION	1
#define POT_MIX_LIFE_STAGE	2
#define POT_MIX_AGE			3
#define POT_NMIX			4

/*
 * The parsed potential parameters.  A NaN table entry means "not given":
 * the attribute then counts as unknown.  raw/rawlen/valid serve the
 * per-call-site cache of score.c.
 */
typedef struct PotentialParams
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
} PotentialParams;

/* the validated value-score parameters and what is derived from them */
typedef struct ValueScoreParams
{
	double		w[VS_NWEIGHTS];
	double		inv_total;		/* 1 / sum of the weights */
	double		s[VS_NSCALES];
	double		derived[VS_NSCALES];	/* 1/ln(1+s1), 1/s2, 1/s3, -1/s4 */
} ValueScoreParams;

/* an unknown age of potential() */
#define SCORE_AGE_UNKNOWN	PG_INT32_MIN

extern int	ScoreVocabIndex(const char *s, int len, const char *const *vocab, int n);
extern int	ScoreKindCode(const char *s, int len);

extern void ScoreCheckPd(const double *pd, int n);
extern void ScoreCheckLgd(double lgd);
extern double ScoreContribution(double loan_balance, double loan_rate, double loan_ftp,
								double deposit_balance, double deposit_rate, double deposit_ftp,
								double fees, double cost_to_serve, int notch,
								const double *pd, double lgd);

extern void ScoreValueWeights(ValueScoreParams *vp, const double *w, int n);
extern void ScoreValueScales(ValueScoreParams *vp, const double *s, int n);
extern int32 ScoreValue(const ValueScoreParams *vp, double contrib, double growth,
						double tenure, int32 products, int notch, int32 recency,
						double potential);

extern void ScoreParsePotential(Jsonb *jb, PotentialParams *pp);
extern double ScorePotential(const PotentialParams *pp, ScoreKind kind, int age,
							 int education, int occupation, int life_stage,
							 int lifecycle);

extern void ScoreCheckClvParams(double retention, double discount_rate, int32 years);
extern double ScoreClv(double m, double retention, double discount_rate, int32 years);

extern void ScoreCheckValueCutoffs(double key_min, double general_min);
extern int	ScoreValueTier(double x, double key_min, double general_min);
extern void ScoreCheckWealthCutoffs(double affluent_min, double hnw_min, double uhnw_min);
extern int	ScoreWealthTier(double aum, double affluent_min, double hnw_min, double uhnw_min);

#endif							/* BANKCRM_SCORE_H */
