/*-------------------------------------------------------------------------
 *
 * affinity.c
 *	  Cross-sell: the association rules of product_affinity, counted from
 *	  the products each scored party holds, per party kind and value tier.
 *
 * Within a group (kind, value tier) of scored parties, for every ordered
 * pair of products (a, b) held together by at least affinity_min_parties
 * parties:
 *
 *   support    = parties(a and b) / parties(group)
 *   confidence = parties(a and b) / parties(a)
 *   lift       = confidence / (parties(b) / parties(group))
 *
 * and a baseline row per product (antecedent NULL): its share in the group
 * against its share in the kind.  The counts come from the scoring run's
 * bitsets of held products (read.c): score_all() counts the tiers it
 * has just computed, product_affinity_refresh() the tiers in party_score.
 * Pair counts live in a hash table, so the size of the product catalogue
 * does not matter, only the pairs parties actually hold.
 *
 * Layer: storage (src/score/), with the SQL entry point
 * product_affinity_refresh.  Calls read.c, model.c, table.c, alloc.c and
 * score.c; store.c calls it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/affinity.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "bankcrm.h"
#include "score/affinity.h"
#include "score/alloc.h"
#include "score/model.h"
#include "score/read.h"
#include "score/table.h"

#define NGROUPS		(SCORE_NKINDS * SCORE_NVALUE_TIERS)

/* a pair count: key = group << 42 | antecedent << 21 | product */
typedef struct PairEntry
{
	uint64		key;
	int64		n;
	char		status;
} PairEntry;

#define SH_PREFIX		pairhash
#define SH_ELEMENT_TYPE	PairEntry
#define SH_KEY_TYPE		uint64
#define SH_KEY			key
#define SH_HASH_KEY(tb, key) BankcrmHash64(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* the rows to insert, column by column */
typedef struct AffinityRows
{
	int			n;
	int			max;
	Datum	   *kind;
	Datum	   *tier;
	Datum	   *ante;
	bool	   *ante_null;
	Datum	   *prod;
	Datum	   *group_n;
	Datum	   *ante_n;
	Datum	   *prod_n;
	Datum	   *pair_n;
	Datum	   *support;
	Datum	   *confidence;
	Datum	   *lift;
} AffinityRows;

static void
AddRow(AffinityRows *r, int g, int32 ante, int32 prod, int64 gn, int64 an, int64 pn, int64 n,
	   double support, double confidence, double lift)
{
	if (r->n == r->max)
	{
		r->max = r->max ? 2 * r->max : 256;
#define GROW(f, t) r->f = r->f ? repalloc(r->f, sizeof(t) * r->max) : palloc(sizeof(t) * r->max)
		GROW(kind, Datum);
		GROW(tier, Datum);
		GROW(ante, Datum);
		GROW(ante_null, bool);
		GROW(prod, Datum);
		GROW(group_n, Datum);
		GROW(ante_n, Datum);
		GROW(prod_n, Datum);
		GROW(pair_n, Datum);
		GROW(support, Datum);
		GROW(confidence, Datum);
		GROW(lift, Datum);
#undef GROW
	}
	r->kind[r->n] = CStringGetTextDatum(bankcrm_party_kinds[g / SCORE_NVALUE_TIERS]);
	r->tier[r->n] = CStringGetTextDatum(score_value_tier_names[g % SCORE_NVALUE_TIERS]);
	r->ante[r->n] = Int32GetDatum(ante);
	r->ante_null[r->n] = ante < 0;
	r->prod[r->n] = Int32GetDatum(prod);
	r->group_n[r->n] = Int64GetDatum(gn);
	r->ante_n[r->n] = Int64GetDatum(an);
	r->prod_n[r->n] = Int64GetDatum(pn);
	r->pair_n[r->n] = Int64GetDatum(n);
	r->support[r->n] = Float8GetDatum(support);
	r->confidence[r->n] = Float8GetDatum(confidence);
	r->lift[r->n] = Float8GetDatum(lift);
	r->n++;
}

/*
 * ScoreAffinityStore
 *		Replace the model's product_affinity rows with the rules counted
 *		from the run's parties, tiers[i] being party i's value tier (-1: not
 *		in any group).  Returns the number of rows written.
 */
int64
ScoreAffinityStore(ScoreRun *run, const int8 *tiers)
{
	ScoreModel *m = &run->m;
	int64		gsize[NGROUPS] = {0};
	int64		ksize[SCORE_NKINDS] = {0};
	int64	   *pc = palloc0(sizeof(int64) * NGROUPS * Max(m->nproducts, 1));
	int64	   *kc = palloc0(sizeof(int64) * SCORE_NKINDS * Max(m->nproducts, 1));
	pairhash_hash *pairs = pairhash_create(CurrentMemoryContext, 1024, NULL);
	pairhash_iterator it;
	PairEntry  *e;
	AffinityRows rows = {0};
	int		   *held = palloc(sizeof(int) * Max(m->nproducts, 1));
	const char *nspname = quote_identifier(get_namespace_name(run->nsp));
	uint32		i;
	int			g;
	int			b;
	int64		written;

	for (i = 0; i < run->nparties; i++)
	{
		const uint64 *bits = &run->held[(Size) i * run->nwords];
		int			k = run->parties[i].kind;
		int			nheld = 0;
		int			w;
		int			x;
		int			y;

		if (tiers[i] < 0)
			continue;
		g = k * SCORE_NVALUE_TIERS + tiers[i];
		gsize[g]++;
		ksize[k]++;
		for (w = 0; w < run->nwords; w++)
		{
			uint64		word = bits[w];

			while (word != 0)
			{
				int			bit = w * 64 + pg_rightmost_one_pos64(word);

				word &= word - 1;
				held[nheld++] = bit;
				pc[g * m->nproducts + bit]++;
				kc[k * m->nproducts + bit]++;
			}
		}
		for (x = 0; x < nheld; x++)
			for (y = 0; y < nheld; y++)
			{
				bool		found;

				if (x == y)
					continue;
				e = pairhash_insert(pairs, ((uint64) g << 42) | ((uint64) held[x] << 21) | (uint64) held[y], &found);
				if (!found)
					e->n = 0;
				e->n++;
			}
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	/* the rules: pairs first, then each product's baseline */
	pairhash_start_iterate(pairs, &it);
	while ((e = pairhash_iterate(pairs, &it)) != NULL)
	{
		int			a = (int) ((e->key >> 21) & 0x1FFFFF);
		int64		gn,
					an,
					pn;

		g = (int) (e->key >> 42);
		b = (int) (e->key & 0x1FFFFF);
		if (e->n < m->affinity_min)
			continue;
		gn = gsize[g];
		an = pc[g * m->nproducts + a];
		pn = pc[g * m->nproducts + b];
		AddRow(&rows, g, m->product_ids[a], m->product_ids[b], gn, an, pn, e->n,
			   (double) e->n / (double) gn,
			   (double) e->n / (double) an,
			   ((double) e->n / (double) an) / ((double) pn / (double) gn));
	}
	for (g = 0; g < NGROUPS; g++)
		for (b = 0; b < m->nproducts; b++)
		{
			int64		n = pc[g * m->nproducts + b];
			int			k = g / SCORE_NVALUE_TIERS;

			if (n < m->affinity_min || n == 0)
				continue;
			AddRow(&rows, g, -1, m->product_ids[b], gsize[g], gsize[g], n, n,
				   (double) n / (double) gsize[g],
				   (double) n / (double) gsize[g],
				   ((double) n / (double) gsize[g]) /
				   ((double) kc[k * m->nproducts + b] / (double) ksize[k]));
		}

	/* replace the model's rules */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Oid			types[13] = {TEXTOID, DATEOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
		INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID};
		Datum		args[13];
		char	   *q;

		args[0] = CStringGetTextDatum(m->name);
		args[1] = DateADTGetDatum(run->as_of);
		q = psprintf("DELETE FROM %s.product_affinity WHERE model OPERATOR(pg_catalog.=) $1", nspname);
		if (SPI_execute_with_args(q, 1, types, args, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete the product_affinity rows of model \"%s\"", m->name);
		args[2] = ScoreArrayOf(rows.kind, NULL, rows.n, TEXTOID);
		args[3] = ScoreArrayOf(rows.tier, NULL, rows.n, TEXTOID);
		args[4] = ScoreArrayOf(rows.ante, rows.ante_null, rows.n, INT4OID);
		args[5] = ScoreArrayOf(rows.prod, NULL, rows.n, INT4OID);
		args[6] = ScoreArrayOf(rows.group_n, NULL, rows.n, INT8OID);
		args[7] = ScoreArrayOf(rows.ante_n, NULL, rows.n, INT8OID);
		args[8] = ScoreArrayOf(rows.prod_n, NULL, rows.n, INT8OID);
		args[9] = ScoreArrayOf(rows.pair_n, NULL, rows.n, INT8OID);
		args[10] = ScoreArrayOf(rows.support, NULL, rows.n, FLOAT8OID);
		args[11] = ScoreArrayOf(rows.confidence, NULL, rows.n, FLOAT8OID);
		args[12] = ScoreArrayOf(rows.lift, NULL, rows.n, FLOAT8OID);
		q = psprintf("INSERT INTO %s.product_affinity (model, kind, value_tier, antecedent_id, product_id, "
					 "group_parties, antecedent_parties, product_parties, pair_parties, support, confidence, lift, as_of) "
					 "SELECT $1, r.*, $2 FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4), "
					 "pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
					 "pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), pg_catalog.unnest($12), "
					 "pg_catalog.unnest($13)) r",
					 nspname);
		if (SPI_execute_with_args(q, 13, types, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert the product_affinity rows of model \"%s\"", m->name);
		written = (int64) SPI_processed;
	}
	SPI_finish();
	/* every row of the model rewritten: fresh statistics for the recommendations */
	if (written >= 0)
		ScoreAnalyze(run, "product_affinity");
	return written;
}

/*
 * product_affinity_refresh
 *		SQL product_affinity_refresh(model text, as_of date) returns bigint:
 *		recount a model's product_affinity from the value tiers in
 *		party_score and the holdings open on as_of.
 */
PG_FUNCTION_INFO_V1(product_affinity_refresh);
Datum
product_affinity_refresh(PG_FUNCTION_ARGS)
{
	MemoryContext runcxt;
	MemoryContext old;
	ScoreRun	run;
	int8	   *tiers;
	int64		written;

	runcxt = AllocSetContextCreate(CurrentMemoryContext, "bankcrm affinity run", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(runcxt);
	ScoreRunInit(&run, fcinfo);
	ScoreRunModel(&run, PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	ScoreRunHoldings(&run);
	tiers = ScoreAlloc(sizeof(int8) * run.nparties);
	ScoreRunStoredTiers(&run, tiers);
	written = ScoreAffinityStore(&run, tiers);
	ScoreRunEnd(&run);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(runcxt);
	PG_RETURN_INT64(written);
}
