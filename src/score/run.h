/*-------------------------------------------------------------------------
 *
 * run.h
 *	  The scoring engine's data: a run, its parties and its model, as the
 *	  files of src/score/ share them.  Types and inline helpers only; each
 *	  file declares its own functions in a header of its own name.
 *
 * Layers of src/score/ (a file calls only files on its line or below, and
 * never one that calls it back; test/layers/check.py checks it):
 *
 *   SQL entry points   store.c      score_all, score_preview: read, compute,
 *                                   store what changed
 *   storage            affinity.c   product affinity (product_affinity_refresh)
 *                      read.c       a run's inputs through the executor
 *                      model.c      the model's rows
 *                      table.c      where a table lives, ANALYZE, arrays
 *                      direct.c     single-row writes through the executor
 *   pure computation   compute.c    formulas over a run in memory
 *                      alloc.c      the run's large arrays
 *                      score.c      the per-party formulas (and their
 *                                   IMMUTABLE SQL functions)
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/run.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_RUN_H
#define BANKCRM_SCORE_RUN_H

#include <math.h>

#include "fmgr.h"
#include "executor/tuptable.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "score/score.h"

/* the scales at which numeric inputs are summed */
#define SCALE_MONEY		2		/* cents */
#define SCALE_RATE		6		/* holding.rate, numeric(9, 6) */
#define SCALE_FTP		10		/* transfer prices of the model */
#define SCALE_COST		6		/* channel costs of the model */

#define NO_DATE			PG_INT32_MIN

/* the channels of contact.channel (their names: model.h) */
#define SCORE_NCHANNELS	11

/* a product as the model sees it */
typedef struct ScoreProduct
{
	bool		priced;			/* the model has a transfer price for it */
	bool		is_asset;
	bool		is_aum;
	int64		ftp;			/* scaled by 10^SCALE_FTP */
} ScoreProduct;

/* the model row and what is derived from it */
typedef struct ScoreModel
{
	char	   *name;
	int32		version;
	double		pd[SCORE_NOTCHES];
	double		lgd;
	int			unrated_notch;
	int32		fee_min_days;
	ValueScoreParams vsp;
	PotentialParams pot;
	double		growth_floor;
	int32		growth_window_days;
	int32		growth_min_days;
	double		history_tolerance;	/* of money columns, relative */
	int32		history_score_tolerance;	/* value score points */
	bool		tier_on_score;
	bool		tier_by_group;	/* members take their group's tiers */
	double		key_min;
	double		general_min;
	double		affluent_min;
	double		hnw_min;
	double		uhnw_min;
	double		retention[SCORE_NKINDS][SCORE_NVALUE_TIERS];	/* NaN: none */
	double		retention_default;
	double		discount_rate;
	int32		clv_years;
	text	   *time_zone;
	struct pg_tz *tz;			/* time_zone as a zone of the tz database, or NULL */
	TimestampTz year_start;
	TimestampTz day_end;
	DateADT		jan1;
	int64		channel_cost[SCORE_NCHANNELS];	/* scaled by 10^SCALE_COST */
	int32		affinity_min;	/* smallest party count of an affinity rule */
	int			nproducts;
	int32	   *product_ids;
	ScoreProduct *products;
} ScoreModel;

/* what the run keeps of the last recorded history row of a party */
typedef struct ScoreRecorded
{
	int64		contribution;	/* cents */
	int64		clv;
	int64		aum;
	int32		value_score;
	DateADT		day;			/* NO_DATE: none */
	int8		value_tier;		/* -1: NULL */
	int8		wealth_tier;
	int8		rfm[3];
	bool		nulls;			/* some recorded column was NULL */
} ScoreRecorded;

/*
 * A party's contacts and activity, in arrays of their own beside the
 * parties: those tables are stored in time order, so that each row belongs
 * to another party, and small records keep that walk in the CPU's caches.
 */
typedef struct ScoreContacts
{
	int64		contacts;		/* in the year before as_of */
	int64		cost;			/* of those, scaled by 10^SCALE_COST */
	TimestampTz last_contact;
	bool		has_contact;
} ScoreContacts;

typedef struct ScoreActivity
{
	int64		txns;			/* in the 52 weeks before as_of */
	DateADT		last_week;		/* the last week with any, NO_DATE: none */
} ScoreActivity;

/*
 * One party of the run.  A run keeps one per party that is not closed, so
 * the fields are ordered by size: no padding.
 */
typedef struct ScoreParty
{
	/*
	 * The sums of balance times rate or transfer price of the holdings open
	 * on as_of are read only by ScoreComputeParties, which takes them before
	 * it writes the results in their place.
	 */
	union
	{
		struct
		{
			int128		loan_int;
			int128		loan_ftp;
			int128		dep_int;
			int128		dep_ftp;
			int128		fees;		/* annualised, in 2^-64 yuan (ScoreFeesFixed) */
		};
		struct
		{
			double		contribution;
			double		growth;
			double		potential;
			double		retention;
			double		clv;
			int64		frequency;
			int32		value_score;
			int32		recency;
			DateADT		last_active;	/* NO_DATE: none */
		};
	};
	int64		party_id;
	int64		group_id;		/* relationship_group, when tier_by_group; 0: none */
	int64		loan_bal;		/* cents */
	int64		dep_bal;
	int64		aum;
	/* party_retention */
	double		own_retention;	/* NaN: none */
	/* score_history */
	int64		ref_old;		/* contribution of the growth reference, cents */
	int64		ref_young;
	ScoreRecorded rec;
	/* party */
	int32		age;
	int32		tenure_days;
	/* holdings */
	int32		products;
	DateADT		last_opened;
	/* score_history */
	DateADT		ref_old_day;	/* latest row on or before as_of - window */
	DateADT		ref_young_day;	/* earliest row on or before as_of - min */
	/* party */
	int8		kind;
	int8		education;
	int8		occupation;
	int8		life_stage;
	int8		lifecycle;
	int8		notch;
	/* results */
	int8		value_tier;
	int8		wealth_tier;
	int8		rfm[3];
} ScoreParty;

/* a whole run */
typedef struct ScoreRun
{
	Oid			nsp;
	DateADT		as_of;
	ScoreModel	m;
	ScoreParty *parties;
	ScoreContacts *contacts;	/* by party, like parties */
	ScoreActivity *activity;
	uint32		nparties;
	uint32		maxparties;
	uint64	   *held;			/* products held: nwords bits per party */
	int			nwords;
	struct partyhash_hash *byid;	/* party_id -> index, or: */
	int32	   *dense;			/* index by party_id - min_id (-1: none) */
	int64		min_id;
	uint64		ndense;
	MemoryContext cxt;			/* of the run's arrays */
	int			guc_nest;		/* of the pinned search_path */
} ScoreRun;

/* a 128-bit integer sum as a double (for the final ratios) */
static inline double
Int128ToDouble(int128 x)
{
	return (double) x;
}

/*
 * Fees are summed in fixed point, 2^-64 of a yuan in 128 bits, so that the
 * sum of a party's holdings does not depend on the order of the rows (a
 * partitioned or distributed table returns them in another order than a
 * plain one); a double sum would differ in its last bit.  Each holding's
 * annualised fee is a double whose bits all lie above 2^-64 (it is at least
 * a cent over 365/fee_min_days years), so the sum is exact, and its double
 * is the correctly rounded sum: for one or two holdings, exactly the double
 * sum.
 */
static inline int128
ScoreFeesFixed(double fee)
{
	return (int128) ldexp(fee, 64);
}

static inline double
ScoreFeesDouble(int128 fees)
{
	return ldexp(Int128ToDouble(fees), -64);
}

#endif							/* BANKCRM_SCORE_RUN_H */
