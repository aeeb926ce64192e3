/*-------------------------------------------------------------------------
 *
 * compute.c
 *	  The scoring engine's arithmetic: the formulas of score.c applied to
 *	  every party a run has read (read.c), then the RFM cut-offs over
 *	  the whole population.
 *
 * Layer: pure computation (src/score/).  Works on a run in memory; calls
 * score.c and alloc.c, never SPI or the executor.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/compute.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "progress.h"
#include "score/alloc.h"
#include "score/compute.h"

/* a member of a relationship group: its group and its place in the run */
typedef struct GroupMember
{
	int64		group_id;
	uint32		index;
} GroupMember;

static int
GroupMemberCmp(const void *a, const void *b)
{
	const GroupMember *x = (const GroupMember *) a;
	const GroupMember *y = (const GroupMember *) b;

	if (x->group_id != y->group_id)
		return x->group_id < y->group_id ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index ? 1 : 0;
}

/*
 * GroupTiers
 *		For a model that tiers by group: each member of a household or
 *		corporate group takes the group's value tier (the members'
 *		contributions added up, or their value scores added up to at most
 *		1000) and, if an individual, the group's wealth tier (the members'
 *		assets added up): the sums relationship_group_rollup shows.
 */
static void
GroupTiers(ScoreRun *run)
{
	ScoreModel *m = &run->m;
	GroupMember *g;
	uint32		n = 0;
	uint32		i,
				j;

	g = palloc_extended(sizeof(GroupMember) * Max(run->nparties, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < run->nparties; i++)
		if (run->parties[i].group_id != 0)
		{
			g[n].group_id = run->parties[i].group_id;
			g[n].index = i;
			n++;
		}
	qsort(g, n, sizeof(GroupMember), GroupMemberCmp);
	for (i = 0; i < n; i = j)
	{
		double		contribution = 0.0;
		int64		value_score = 0;
		int64		aum = 0;
		int8		value_tier;
		int8		wealth_tier;

		for (j = i; j < n && g[j].group_id == g[i].group_id; j++)
		{
			const ScoreParty *p = &run->parties[g[j].index];

			contribution += p->contribution;
			value_score += p->value_score;
			aum += p->aum;
		}
		value_tier = ScoreValueTier(m->tier_on_score ? (double) Min(value_score, 1000) : contribution,
									m->key_min, m->general_min);
		wealth_tier = ScoreWealthTier((double) aum / 100.0, m->affluent_min, m->hnw_min, m->uhnw_min);
		for (; i < j; i++)
		{
			ScoreParty *p = &run->parties[g[i].index];

			p->value_tier = value_tier;
			if (p->kind == SCORE_KIND_INDIVIDUAL)
				p->wealth_tier = wealth_tier;
		}
	}
	pfree(g);
}

/*
 * ScoreComputeParties
 *		Every formula except the quintiles, party by party.
 */
void
ScoreComputeParties(ScoreRun *run)
{
	ScoreModel *m = &run->m;
	uint32		i;

	for (i = 0; i < run->nparties; i++)
	{
		ScoreParty *p = &run->parties[i];
		const ScoreContacts *c = &run->contacts[i];
		const ScoreActivity *a = &run->activity[i];
		double		loan_bal = (double) p->loan_bal / 100.0;
		double		dep_bal = (double) p->dep_bal / 100.0;
		double		loan_rate = 0.0,
					loan_ftp = 0.0,
					dep_rate = 0.0,
					dep_ftp = 0.0;
		double		aum;
		double		fees;
		DateADT		last;
		bool		has_ref = true;
		int64		ref = 0;

		ProgressTick();
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		/*
		 * balance-weighted average rates (scaled sums over scaled balances);
		 * the sums are all read here, before the results take their place
		 * (run.h)
		 */
		if (p->loan_bal != 0)
		{
			loan_rate = Int128ToDouble(p->loan_int) / (double) p->loan_bal / 1e6;
			loan_ftp = Int128ToDouble(p->loan_ftp) / (double) p->loan_bal / 1e10;
		}
		if (p->dep_bal != 0)
		{
			dep_rate = Int128ToDouble(p->dep_int) / (double) p->dep_bal / 1e6;
			dep_ftp = Int128ToDouble(p->dep_ftp) / (double) p->dep_bal / 1e10;
		}
		fees = ScoreFeesDouble(p->fees);
		p->contribution = ScoreContribution(loan_bal, loan_rate, loan_ftp, dep_bal, dep_rate, dep_ftp,
											fees, (double) c->cost / 1e6, p->notch, m->pd, m->lgd);

		if (p->ref_old_day != NO_DATE)
			ref = p->ref_old;
		else if (p->ref_young_day != NO_DATE)
			ref = p->ref_young;
		else
			has_ref = false;
		p->growth = 0.0;
		if (has_ref)
		{
			double		prev = (double) ref / 100.0;
			double		g = (p->contribution - prev) / Max(fabs(prev), m->growth_floor);

			p->growth = Max(-1.0, Min(1.0, g));
		}

		/* recency: the latest of the last contact (local day), week and opening */
		last = NO_DATE;
		if (c->has_contact)
		{
			struct pg_tm tm;
			fsec_t		fsec;
			int			tzoff;

			if (m->tz != NULL &&
				timestamp2tm(c->last_contact, &tzoff, &tm, &fsec, NULL, m->tz) == 0)
				last = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
			else
			{
				Timestamp	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone,
																		  PointerGetDatum(m->time_zone),
																		  TimestampTzGetDatum(c->last_contact)));

				last = (DateADT) (local >= 0 ? local / USECS_PER_DAY
								  : -((-local + USECS_PER_DAY - 1) / USECS_PER_DAY));
			}
		}
		if (a->last_week != NO_DATE)
			last = Max(last, a->last_week + Min(6, run->as_of - a->last_week));
		if (p->last_opened != NO_DATE)
			last = Max(last, p->last_opened);
		p->recency = last == NO_DATE ? 3650 : run->as_of - last;
		p->last_active = last;
		p->frequency = c->contacts + a->txns;

		p->potential = ScorePotential(&m->pot, (ScoreKind) p->kind, p->age, p->education,
									  p->occupation, p->life_stage, p->lifecycle);
		p->value_score = ScoreValue(&m->vsp, p->contribution, p->growth, (double) p->tenure_days / 365.25,
									p->products, p->notch, p->recency, p->potential);
		p->value_tier = ScoreValueTier(m->tier_on_score ? (double) p->value_score : p->contribution,
									   m->key_min, m->general_min);
		aum = (double) p->aum / 100.0;
		p->wealth_tier = p->kind == SCORE_KIND_INDIVIDUAL
			? ScoreWealthTier(aum, m->affluent_min, m->hnw_min, m->uhnw_min) : -1;
	}

	if (m->tier_by_group)
		GroupTiers(run);

	/* lifetime value, by the retention of the (party's or group's) tier */
	for (i = 0; i < run->nparties; i++)
	{
		ScoreParty *p = &run->parties[i];
		double		ret;

		ret = p->own_retention;
		if (isnan(ret))
			ret = m->retention[p->kind][p->value_tier];
		if (isnan(ret))
			ret = m->retention_default;
		ScoreCheckClvParams(ret, m->discount_rate, m->clv_years);
		p->retention = ret;
		p->clv = ScoreClv(p->contribution, ret, m->discount_rate, m->clv_years);
	}
}

/*
 * SelectKth
 *		The k-th smallest (0-based) of a[lo .. hi], moving elements: a
 *		quickselect with a three-way partition (many parties share a value:
 *		no contact in ten years, no transaction) and a median-of-three pivot.
 */
static double
SelectKth(double *a, uint32 lo, uint32 hi, uint32 k)
{
	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;
		double		x = a[lo],
					y = a[mid],
					z = a[hi];
		double		pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		uint32		lt = lo,
					i = lo,
					gt = hi;

		/* a[lo..lt-1] < pivot, a[lt..i-1] = pivot, a[gt+1..hi] > pivot */
		while (i <= gt)
		{
			double		v = a[i];

			if (v < pivot)
			{
				a[i++] = a[lt];
				a[lt++] = v;
			}
			else if (v > pivot)
			{
				a[i] = a[gt];
				a[gt] = v;
				if (gt == 0)
					break;
				gt--;
			}
			else
				i++;
		}
		if (k < lt)
			hi = lt - 1;
		else if (k > gt)
			lo = gt + 1;
		else
			return pivot;
	}
	return a[k];
}

/*
 * ScoreComputeQuintiles
 *		RFM quintiles: the quintile 1 + floor(5 c / n), c the parties
 *		strictly ahead in the order, is 1 plus the number of cut-offs
 *		k = 1..4 the party lies beyond, cut-off k being the value at
 *		position ceil(k n / 5) of the sorted column (recency sorted from the
 *		longest silence, frequency and contribution from the smallest).
 *		Four selections per column instead of a sort.
 */
void
ScoreComputeQuintiles(ScoreRun *run)
{
	uint32		n = run->nparties;
	double	   *col;
	double		cut[3][4];
	uint32		i;
	int			c;
	int			k;

	if (n == 0)
		return;
	col = ScoreAlloc(sizeof(double) * n);
	for (c = 0; c < 3; c++)
	{
		for (i = 0; i < n; i++)
		{
			ScoreParty *p = &run->parties[i];

			col[i] = c == 0 ? (double) p->recency : c == 1 ? (double) p->frequency : p->contribution;
		}
		for (k = 1; k <= 4; k++)
		{
			uint32		pos = (uint32) (((uint64) k * n + 4) / 5 - 1);

			/* recency counts from the longest silence: descending */
			cut[c][k - 1] = SelectKth(col, 0, n - 1, c == 0 ? n - 1 - pos : pos);
		}
	}
	for (i = 0; i < n; i++)
	{
		ScoreParty *p = &run->parties[i];

		p->rfm[0] = p->rfm[1] = p->rfm[2] = 1;
		for (k = 0; k < 4; k++)
		{
			p->rfm[0] += (double) p->recency < cut[0][k];
			p->rfm[1] += (double) p->frequency > cut[1][k];
			p->rfm[2] += p->contribution > cut[2][k];
		}
	}
	ScoreFree(col, sizeof(double) * n);
}
