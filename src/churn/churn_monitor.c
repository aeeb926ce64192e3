/*-------------------------------------------------------------------------
 *
 * churn_monitor.c
 *	  The churn monitor's batch: take dirty marks, evaluate those parties,
 *	  raise and escalate alerts, in one pass and one transaction.
 *
 * churn_process_dirty(batch_size) is the unit of work of the monitor
 * (churn_worker.c) and of anyone who runs the monitor's job by hand.  It
 *
 *	 1. claims up to batch_size marks of bankcrm_churn.churn_dirty, oldest
 *		first, skipping marks another session holds, and deletes them: one
 *		set-based statement on one node, and on Citus the candidates read
 *		without locks, then locked and deleted by party_id, shard by shard
 *		(ChurnClaimMarks);
 *	 2. reads those parties' series as of now (churn_series_now: the
 *		series with its appended weeks) with their kind and closing date in
 *		one statement whose rows go straight into the evaluation (a
 *		DestReceiver, nothing materialised), under the policy of each
 *		party's kind and the holiday calendar, both read once;
 *	 3. folds the weeks appended to the parties' series once they are
 *		enough, and closes as lost the alerts of departed parties (the
 *		closed ones of the batch; once per new latest week, those closed
 *		by then or silent since), both in churn_store.c;
 *	 4. only when some metric fired a rule, hands those hits, sorted by
 *		party and metric, to churn_apply_hits (SQL), which escalates,
 *		refreshes or raises the alerts, and notifies.
 *
 * Most parties raise nothing, so the common batch writes nothing but the
 * deletion of its marks and the folds.  The marks are rows deleted in the transaction
 * that evaluates them: a batch that fails or is killed rolls back with its
 * alerts and leaves its marks for the next one.
 *
 * Detector states.  A party's figures of its last week come out of a walk
 * over all its weeks (churn.c), but the walk carries only a few numbers
 * from week to week (ChurnState).  This backend remembers, per party, the
 * state after the week before the last one it evaluated, with a hash of
 * the weeks that state came from, of the policy and of the calendar.  When
 * the next batch finds the series unchanged up to that week (a new week
 * appended, the monitor's common case, or the last week corrected), the
 * walk resumes after it: the new weeks cost a pass of additions for the
 * window sums and a step of the detector each instead of the whole walk.  Anything else (an older week
 * changed, another policy, another calendar, the first batch of a
 * backend) takes the full walk.  Either way the figures are the same to
 * the bit: every figure of a week depends on that week and the weeks
 * before it alone, and the resumed walk computes each of them with the
 * same operations.  The states are private to the backend, not
 * transactional, and a pure function of the data they were computed from,
 * so a rolled-back batch leaves none that could mislead the next one.
 * They take about 200 bytes per party, for at most
 * CHURN_STATE_CACHE_MAX parties.  The monitor fills them before its first
 * batch (ChurnMonitorWarm), while it has nothing else to do.
 *
 * Layer: SQL entry point (churn_process_dirty, churn_evaluate_hits), with
 * SPI.  Calls the computation (churn.c, churn_series.c, churn_calendar.c)
 * and the storage upkeep (churn_store.c); the worker (churn_worker.c)
 * calls it, through ChurnMonitorWarm and churn_process_dirty.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_monitor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "bankcrm.h"
#include "churn.h"
#include "churn_monitor.h"
#include "churn_store.h"
#include "compat.h"

/* the parties whose detector states a backend keeps at most */
#define CHURN_STATE_CACHE_MAX 1000000

/* the party kinds of party.kind (bankcrm.h); a party of another kind gets the defaults */
#define CHURN_KINDS BANKCRM_NPARTY_KINDS
#define churn_kind_names bankcrm_party_kinds

/* one kind's policy */
typedef struct ChurnKindPolicy
{
	bool		found;			/* false: no enabled policy, the defaults */
	int32		policy_id;
	int32		snooze_weeks;
	ChurnParams params;
	uint64		context;		/* hash of params and calendar */
} ChurnKindPolicy;

/* a metric of a party whose evaluation fired a rule */
typedef struct ChurnHit
{
	int64		party_id;
	int			kind;			/* index into the batch's policies, CHURN_KINDS: none */
	int			metric;
	int			week;
	int			rules;
	int			severity;
	double		level_drop_pct;
	double		cusum;
} ChurnHit;

/* one batch's evaluation */
typedef struct ChurnBatch
{
	ChurnKindPolicy policy[CHURN_KINDS + 1];
	ChurnCalendar cal;
	bool		as_of_null;
	int			as_of;			/* week number, when !as_of_null */
	bool		use_states;
	bool		keep_hits;		/* false: fill the states only */
	MemoryContext row_ctx;		/* reset for every party */
	ChurnHit   *hits;
	int			nhits;
	int			maxhits;
	int64		parties;
	int64		resumed;		/* parties whose walk resumed from a kept state */
	bool		upkeep;			/* collect what churn_store.c writes */
	int64	   *fold;			/* parties whose appended weeks to fold */
	int			nfold;
	int64	   *closed;			/* closed parties */
	int			nclosed;
	int			maxids;
	int			latest_week;	/* the latest week of the batch, -1: none */
} ChurnBatch;

/* the rows of the series query, evaluated as they come */
typedef struct ChurnEvalReceiver
{
	DestReceiver pub;
	ChurnBatch *batch;
} ChurnEvalReceiver;

/* the detector states of one party (see the file header) */
typedef struct ChurnStateEntry
{
	int64		party_id;		/* hash key */
	bool		valid;			/* false while a walk updates the states */
	uint64		context;
	uint64		prefix;			/* hash of the weeks 0..state[].t */
	int			w0;
	ChurnState	state[CHURN_METRICS];
} ChurnStateEntry;

static void ChurnBatchSetup(ChurnBatch *b, const char *nsp, bool as_of_null, int as_of, bool use_states);
static void ChurnBatchRun(ChurnBatch *b, const char *nsp, ArrayType *party_ids, bool read_only);
static void ChurnBatchParty(ChurnBatch *b, int64 party_id, ArrayType *series, int kind,
							bool closed_null, DateADT closed_on);
static ArrayType *ChurnHitsArray(ChurnBatch *b, Oid hit_type);
static void ChurnBatchUpkeep(ChurnBatch *b, int64 party_id, bool closed, int tail_weeks);
static void ChurnPrefixHash(const ChurnSeries *s, int a, uint64 *ha, int b, uint64 *hb);
static const char *ChurnOwnSchema(FunctionCallInfo fcinfo);
static int	ChurnClaimMarks(int batch_size, Datum **ids);
static int	ChurnClaimLocal(int batch_size, Datum **ids);

static HTAB *churn_states = NULL;

/* ---------------------------------------------------------------------
 * hashing
 * ---------------------------------------------------------------------
 */

/*
 * a 64-bit hashing step: k mixed by PostgreSQL's murmur finaliser, half by
 * half (a bijection of k, so no two words collide), combined into h
 * (common/hashfn.h; the extension's one hash, as BankcrmHash64)
 */
static inline uint64
churn_mix(uint64 h, uint64 k)
{
	uint64		m = ((uint64) murmurhash32((uint32) (k >> 32)) << 32) | murmurhash32((uint32) k);

	return hash_combine64(h, m);
}

static uint64
churn_mix_bytes(uint64 h, const void *p, Size len)
{
	const unsigned char *c = p;

	while (len >= 8)
	{
		uint64		k;

		memcpy(&k, c, 8);
		h = churn_mix(h, k);
		c += 8;
		len -= 8;
	}
	if (len > 0)
	{
		uint64		k = 0;

		memcpy(&k, c, len);
		h = churn_mix(h, k ^ ((uint64) len << 56));
	}
	return h;
}

/* the bits of a week's value; weeks past the prefix are padded with a NaN no series holds */
#define CHURN_HASH_PAD UINT64CONST(0x7fc00001)

static inline uint64
churn_week_bits(const float4 *v)
{
	uint32		w;

	memcpy(&w, v, sizeof(w));
	return w;
}

static inline uint64
churn_prefix_final(const uint64 *h, int w0, int t)
{
	return churn_mix(churn_mix(churn_mix(h[0], h[1]), h[2]), ((uint64) (uint32) w0 << 32) | (uint32) t);
}

/*
 * ChurnPrefixHash
 *		The hashes of the values of weeks 0..a and of weeks 0..b (a <= b)
 *		of every metric, in one pass: H(t) hashes the bits of the weeks two
 *		at a time (the last pair padded when t is even), each metric as an
 *		independent chain, then the series' first week and t.  A changed
 *		value always changes the input.
 */
static void
ChurnPrefixHash(const ChurnSeries *s, int a, uint64 *ha, int b, uint64 *hb)
{
	uint64		h[CHURN_METRICS] = {1, 2, 3};
	int			i;
	int			m;

	Assert(0 <= a && a <= b && b < s->n);
	for (i = 0; i <= b; i += 2)
	{
		if (i == a)
		{
			/* a ends half a pair: a padded branch */
			uint64		hs[CHURN_METRICS];

			for (m = 0; m < CHURN_METRICS; m++)
				hs[m] = churn_mix(h[m], churn_week_bits(s->v + m * s->n + i) | (CHURN_HASH_PAD << 32));
			*ha = churn_prefix_final(hs, s->w0, a);
		}
		for (m = 0; m < CHURN_METRICS; m++)
		{
			const float4 *v = s->v + m * s->n + i;

			h[m] = churn_mix(h[m], churn_week_bits(v) |
							 ((i + 1 <= b ? churn_week_bits(v + 1) : CHURN_HASH_PAD) << 32));
		}
		if (i + 1 == a)
			*ha = churn_prefix_final(h, s->w0, a);
	}
	*hb = churn_prefix_final(h, s->w0, b);
}

/* the hash of everything but the series that a detector state depends on */
static uint64
ChurnContextHash(const ChurnParams *p, const ChurnCalendar *cal)
{
	uint64		h = 17;
	int			m;
	double		d[] = {p->week_drop, p->week_z, p->quarter_drop, p->cusum_k, p->cusum_h, p->first_year_h,
	p->drift_drop, p->z_clip, p->min_noise, p->warning_drop, p->critical_drop};
	int			i[] = {p->trailing_weeks, p->min_history, p->confirm_weeks, p->holiday_weeks};

	for (m = 0; m < CHURN_METRICS; m++)
		h = churn_mix(h, p->metrics[m] ? 1 : 0);
	h = churn_mix_bytes(h, d, sizeof(d));
	h = churn_mix_bytes(h, i, sizeof(i));
	h = churn_mix(h, cal->n);
	if (cal->n > 0)
	{
		h = churn_mix_bytes(h, cal->week, sizeof(int) * cal->n);
		h = churn_mix_bytes(h, cal->prev_week, sizeof(int) * cal->n);
	}
	return h;
}

/* ---------------------------------------------------------------------
 * the evaluation of a batch
 * ---------------------------------------------------------------------
 */

/*
 * ChurnBatchSetup
 *		Read the policy of each party kind and the holiday calendar, once.
 *		Called with SPI connected.
 */
static void
ChurnBatchSetup(ChurnBatch *b, const char *nsp, bool as_of_null, int as_of, bool use_states)
{
	StringInfoData sql;
	uint64		i;
	int			k;
	int			ret;

	memset(b, 0, sizeof(*b));
	b->as_of_null = as_of_null;
	b->as_of = as_of;
	b->use_states = use_states;
	b->keep_hits = true;
	for (k = 0; k <= CHURN_KINDS; k++)
	{
		b->policy[k].found = false;
		b->policy[k].snooze_weeks = 13;
		ChurnParamsDefault(&b->policy[k].params);
	}

	/* the calendar */
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT c.days, c.prev_days FROM %s.churn_calendar() c", nsp);
	ret = SPI_execute(sql.data, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "churn_calendar returned %d", ret);
	{
		bool		dnull;
		bool		pnull;
		Datum		days = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &dnull);
		Datum		prev = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &pnull);

		ChurnCalendarDecode(dnull ? NULL : DatumGetArrayTypeP(days),
							pnull ? NULL : DatumGetArrayTypeP(prev), &b->cal);
	}

	/* the policy of each kind: its own first, else the kind-less one */
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT k.i, c FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY k(kind, i) "
					 "CROSS JOIN LATERAL (SELECT c FROM %s.churn_policy c "
					 " WHERE c.enabled AND (c.party_kind IS NULL OR c.party_kind OPERATOR(pg_catalog.=) k.kind) "
					 " ORDER BY c.party_kind IS NULL, c.priority, c.policy_id LIMIT 1) c", nsp);
	{
		Oid			argtypes[1] = {TEXTARRAYOID};
		Datum		args[1];
		Datum		names[CHURN_KINDS];

		for (k = 0; k < CHURN_KINDS; k++)
			names[k] = CStringGetTextDatum(churn_kind_names[k]);
		args[0] = PointerGetDatum(construct_array(names, CHURN_KINDS, TEXTOID, -1, false, TYPALIGN_INT));
		ret = SPI_execute_with_args(sql.data, 1, argtypes, args, NULL, true, 0);
	}
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading the churn policies returned %d", ret);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		ki = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		Datum		row = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
		HeapTupleHeader t;
		ChurnKindPolicy *pol;
		Datum		d;

		if (isnull || ki < 1 || ki > CHURN_KINDS)
			continue;
		pol = &b->policy[ki - 1];
		t = DatumGetHeapTupleHeader(row);
		ChurnParamsFromPolicy(t, &pol->params);
		pol->found = true;
		d = GetAttributeByName(t, "policy_id", &isnull);
		pol->policy_id = isnull ? 0 : DatumGetInt32(d);
		d = GetAttributeByName(t, "snooze_weeks", &isnull);
		pol->snooze_weeks = isnull ? 13 : DatumGetInt32(d);
	}
	for (k = 0; k <= CHURN_KINDS; k++)
		b->policy[k].context = ChurnContextHash(&b->policy[k].params, &b->cal);

	b->row_ctx = AllocSetContextCreate(CurrentMemoryContext, "bankcrm churn party", ALLOCSET_DEFAULT_SIZES);
	b->maxhits = 256;
	b->hits = palloc(sizeof(ChurnHit) * b->maxhits);
	b->maxids = 256;
	b->fold = palloc(sizeof(int64) * b->maxids);
	b->closed = palloc(sizeof(int64) * b->maxids);
	b->latest_week = -1;
}

/*
 * ChurnBatchParty
 *		Evaluate one party as of the batch's week (or its own last week) and
 *		keep the metrics whose severity is set, unless the party closed
 *		before that week.  Runs in the batch's per-party memory context.
 */
static void
ChurnBatchParty(ChurnBatch *b, int64 party_id, ArrayType *series, int kind,
				bool closed_null, DateADT closed_on)
{
	ChurnKindPolicy *pol = &b->policy[kind];
	const ChurnParams *p = &pol->params;
	ChurnSeries s;
	ChurnStateEntry *entry = NULL;
	ChurnStateEntry fresh;
	bool		resume = false;
	uint64		h_old = 0;
	uint64		h_new = 0;
	int			T;
	int		   *ref;
	bool	   *in_holiday;
	int			m;

	ChurnSeriesUnpack(series, &s);
	if (b->as_of_null)
	{
		T = ChurnSeriesLastIndex(&s);
		b->latest_week = Max(b->latest_week, s.w0 + T);
	}
	else
	{
		if (b->as_of < s.w0)
			return;
		if ((int64) b->as_of - s.w0 > 100 * CHURN_YEAR)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of lies more than 100 years after the series' first week")));
		T = b->as_of - s.w0;
	}
	ref = palloc(sizeof(int) * (T + 1));
	in_holiday = palloc(sizeof(bool) * (T + 1));
	ChurnReferenceWeeks(s.w0, T + 1, &b->cal, p->holiday_weeks, ref, in_holiday);

	/* a state this backend kept from an earlier batch, if still valid */
	if (b->use_states && T < s.n)
	{
		bool		found;

		if (hash_get_num_entries(churn_states) < CHURN_STATE_CACHE_MAX)
		{
			entry = (ChurnStateEntry *) hash_search(churn_states, &party_id, HASH_ENTER, &found);
			if (!found)
				entry->valid = false;
		}
		else
			entry = (ChurnStateEntry *) hash_search(churn_states, &party_id, HASH_FIND, &found);
		if (entry != NULL && T > 0)
		{
			int			t0 = entry->valid ? entry->state[0].t : -1;

			if (t0 >= 0 && t0 < T && entry->context == pol->context && entry->w0 == s.w0)
			{
				ChurnPrefixHash(&s, t0, &h_old, T - 1, &h_new);
				resume = entry->prefix == h_old;
			}
			else
				ChurnPrefixHash(&s, T - 1, &h_new, T - 1, &h_new);
		}
	}
	if (!resume)
	{
		/* a full walk; its states go into the entry afterwards */
		memset(&fresh, 0, sizeof(fresh));
		for (m = 0; m < CHURN_METRICS; m++)
			fresh.state[m].t = -1;
		if (entry != NULL)
		{
			fresh.party_id = entry->party_id;
			*entry = fresh;
		}
	}
	if (entry != NULL)
		entry->valid = false;
	if (resume)
		b->resumed++;

	for (m = 0; m < CHURN_METRICS; m++)
	{
		ChurnFigures last;
		ChurnHit   *h;

		if (!p->metrics[m])
			continue;
		ChurnEvaluateMetric(p, s.v + m * s.n, s.n, T, ref, in_holiday, s.w0, NULL, NULL,
							churn_metric_names[m], entry != NULL ? &entry->state[m] : NULL, &last);
		if (last.severity == 0 || !b->keep_hits)
			continue;
		if (!closed_null && !(closed_on > ChurnWeekToDate(last.week)))
			continue;
		if (b->nhits == b->maxhits)
		{
			b->maxhits *= 2;
			b->hits = repalloc_huge(b->hits, sizeof(ChurnHit) * b->maxhits);
		}
		h = &b->hits[b->nhits++];
		h->party_id = party_id;
		h->kind = kind;
		h->metric = m;
		h->week = last.week;
		h->rules = last.rules;
		h->severity = last.severity;
		h->level_drop_pct = last.level_drop_pct;
		h->cusum = last.cusum;
	}
	if (entry != NULL && T > 0)
	{
		/* metrics the policy leaves out keep no state; the context hash covers that */
		for (m = 0; m < CHURN_METRICS; m++)
			entry->state[m].t = T - 1;
		entry->context = pol->context;
		entry->w0 = s.w0;
		entry->prefix = h_new;
		entry->valid = true;
	}
	b->parties++;
}

static bool
churn_eval_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ChurnBatch *b = ((ChurnEvalReceiver *) self)->batch;
	MemoryContext old;
	bool		isnull;
	int64		party_id;
	Datum		series;
	int			kind = CHURN_KINDS;
	bool		closed_null;
	DateADT		closed_on = 0;

	slot_getallattrs(slot);
	party_id = DatumGetInt64(slot->tts_values[0]);
	series = slot->tts_values[1];
	isnull = slot->tts_isnull[1];
	closed_null = slot->tts_isnull[3];
	if (!closed_null)
		closed_on = DatumGetDateADT(slot->tts_values[3]);
	if (isnull)
		return true;
	if (b->upkeep)
		ChurnBatchUpkeep(b, party_id, !closed_null, DatumGetInt32(slot->tts_values[4]));

	old = MemoryContextSwitchTo(b->row_ctx);
	if (!slot->tts_isnull[2])
	{
		text	   *t = DatumGetTextPP(slot->tts_values[2]);
		int			len = VARSIZE_ANY_EXHDR(t);
		int			k;

		for (k = 0; k < CHURN_KINDS; k++)
			if (strlen(churn_kind_names[k]) == len && memcmp(churn_kind_names[k], VARDATA_ANY(t), len) == 0)
			{
				kind = k;
				break;
			}
	}
	ChurnBatchParty(b, party_id, DatumGetArrayTypeP(series), kind, closed_null, closed_on);
	MemoryContextSwitchTo(old);
	MemoryContextReset(b->row_ctx);
	return true;
}

static void
churn_eval_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	if (typeinfo->natts != 5)
		elog(ERROR, "churn series query returned %d columns", typeinfo->natts);
}

static void
churn_eval_shutdown(DestReceiver *self)
{
}

static void
churn_eval_destroy(DestReceiver *self)
{
}

/*
 * ChurnBatchRun
 *		Evaluate the parties with a series among party_ids (NULL: every
 *		party with a series).  Called with SPI connected.
 */
static void
ChurnBatchRun(ChurnBatch *b, const char *nsp, ArrayType *party_ids, bool read_only)
{
	StringInfoData sql;
	ChurnEvalReceiver recv;
	SPIExecuteOptions opts;
	ParamListInfo params = NULL;
	Oid			argtypes[1] = {INT8ARRAYOID};
	SPIPlanPtr	plan;
	int			ret;
	bool		tail = ChurnTailExists();

	if (b->use_states && churn_states == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(ChurnStateEntry);
		churn_states = hash_create("bankcrm churn detector states", 1024, &ctl, HASH_ELEM | HASH_BLOBS);
	}

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT s.party_id, s.series, p.kind, p.closed_on, %s "
					 "FROM bankcrm_churn.%s s "
					 "JOIN %s.party p ON p.party_id OPERATOR(pg_catalog.=) s.party_id",
					 tail ? "s.tail_weeks" : "0", tail ? "churn_series_now" : "churn_series", nsp);
	if (party_ids != NULL)
	{
		appendStringInfoString(&sql, " WHERE s.party_id OPERATOR(pg_catalog.=) ANY ($1)");
		params = makeParamList(1);
		params->params[0].value = PointerGetDatum(party_ids);
		params->params[0].isnull = false;
		params->params[0].pflags = PARAM_FLAG_CONST;
		params->params[0].ptype = INT8ARRAYOID;
	}

	memset(&recv, 0, sizeof(recv));
	recv.pub.receiveSlot = churn_eval_receive;
	recv.pub.rStartup = churn_eval_startup;
	recv.pub.rShutdown = churn_eval_shutdown;
	recv.pub.rDestroy = churn_eval_destroy;
	recv.pub.mydest = DestNone;
	recv.batch = b;

	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = read_only;
	opts.dest = (DestReceiver *) &recv;
	/*
	 * no parallel plan: the evaluation runs in this process's receiver
	 * anyway, and the monitor shares the machine with the sessions it
	 * serves
	 */
	plan = SPI_prepare_cursor(sql.data, party_ids != NULL ? 1 : 0, argtypes, 0);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	/* with a receiver of its own, SPI reports a SELECT as SPI_OK_UTILITY */
	ret = SPI_execute_plan_extended(plan, &opts);
	if (ret != SPI_OK_SELECT && ret != SPI_OK_UTILITY)
		elog(ERROR, "reading the churn series returned %d", ret);
}

/*
 * ChurnBatchUpkeep
 *		Note a party of the monitor's batch for churn_store.c: its appended
 *		weeks to fold once they are enough, whether it is closed, and the
 *		batch's latest week (ChurnBatchParty).
 */
static void
ChurnBatchUpkeep(ChurnBatch *b, int64 party_id, bool closed, int tail_weeks)
{
	if (b->nfold == b->maxids || b->nclosed == b->maxids)
	{
		b->maxids *= 2;
		b->fold = repalloc_huge(b->fold, sizeof(int64) * b->maxids);
		b->closed = repalloc_huge(b->closed, sizeof(int64) * b->maxids);
	}
	if (tail_weeks > 0 && tail_weeks >= ChurnFoldWeeks(party_id))
		b->fold[b->nfold++] = party_id;
	if (closed)
		b->closed[b->nclosed++] = party_id;
}

static int
churn_hit_cmp(const void *a, const void *b)
{
	const ChurnHit *x = a;
	const ChurnHit *y = b;

	if (x->party_id != y->party_id)
		return x->party_id < y->party_id ? -1 : 1;
	return x->metric - y->metric;
}

/*
 * ChurnHitsArray
 *		The batch's hits as a churn_hit[], sorted by party and metric, or
 *		NULL when there are none.  hit_type is the oid of churn_hit.
 */
static ArrayType *
ChurnHitsArray(ChurnBatch *b, Oid hit_type)
{
	TupleDesc	tupdesc;
	Datum	   *elems;
	int			i;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (b->nhits == 0)
		return NULL;
	qsort(b->hits, b->nhits, sizeof(ChurnHit), churn_hit_cmp);
	tupdesc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(hit_type, -1));
	if (tupdesc->natts != 9)
		elog(ERROR, "churn_hit has %d attributes", tupdesc->natts);
	elems = palloc(sizeof(Datum) * b->nhits);
	for (i = 0; i < b->nhits; i++)
	{
		ChurnHit   *h = &b->hits[i];
		ChurnKindPolicy *pol = &b->policy[h->kind];
		Datum		values[9];
		bool		nulls[9] = {false};

		values[0] = Int64GetDatum(h->party_id);
		values[1] = Int32GetDatum(pol->policy_id);
		nulls[1] = !pol->found;
		values[2] = CStringGetTextDatum(churn_metric_names[h->metric]);
		values[3] = DateADTGetDatum(ChurnWeekToDate(h->week));
		values[4] = CStringGetTextDatum(churn_severity_names[h->severity]);
		values[5] = CStringGetTextDatum(ChurnRulesText(h->rules));
		nulls[6] = isnan(h->level_drop_pct);
		values[6] = Float8GetDatum(nulls[6] ? 0 : h->level_drop_pct);
		nulls[7] = isnan(h->cusum);
		values[7] = Float8GetDatum(nulls[7] ? 0 : h->cusum);
		values[8] = Int32GetDatum(pol->snooze_weeks);
		elems[i] = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	}
	get_typlenbyvalalign(hit_type, &typlen, &typbyval, &typalign);
	return construct_array(elems, b->nhits, hit_type, typlen, typbyval, typalign);
}

/* the extension's schema (bankcrm.c) */
static const char *
ChurnOwnSchema(FunctionCallInfo fcinfo)
{
	return BankcrmSchemaName();
}

/*
 * ChurnMonitorWarm
 *		Fill this backend's detector states from a full evaluation of every
 *		party with a series, as of each party's last week, writing nothing.
 *		The monitor calls it once when it starts, in a transaction of its
 *		own with a snapshot, so that its first batch resumes from the
 *		states as the later ones do.
 */
void
ChurnMonitorWarm(void)
{
	ChurnBatch	b;

	SPI_connect();
	ChurnBatchSetup(&b, BankcrmSchemaName(), true, 0, true);
	b.keep_hits = false;
	ChurnBatchRun(&b, BankcrmSchemaName(), NULL, true);
	ereport(DEBUG1,
			(errmsg_internal("churn monitor: detector states of %lld parties kept", (long long) b.parties)));
	SPI_finish();
}

static int
churn_int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * ChurnClaimLocal
 *		ChurnClaimMarks on one node: the oldest batch_size marks that no
 *		other session holds, locked and deleted in one statement.  The
 *		locked marks are joined back by party_id, the primary key, so the
 *		plan is linear in the marks whatever the statistics of the queue
 *		(a table emptied and refilled between two ANALYZEs).
 */
static int
ChurnClaimLocal(int batch_size, Datum **ids)
{
	Oid			types[1] = {INT4OID};
	Datum		args[1];
	Datum	   *claimed;
	uint64		k;
	int			ret;

	args[0] = Int32GetDatum(batch_size);
	ret = SPI_execute_with_args("DELETE FROM bankcrm_churn.churn_dirty d "
								"WHERE d.party_id IN (SELECT m.party_id FROM bankcrm_churn.churn_dirty m "
								"ORDER BY m.marked_at, m.party_id LIMIT $1 FOR UPDATE SKIP LOCKED) "
								"RETURNING d.party_id",
								1, types, args, NULL, false, 0);
	if (ret != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "claiming churn marks returned %d", ret);
	claimed = palloc(sizeof(Datum) * Max(SPI_processed, 1));
	for (k = 0; k < SPI_processed; k++)
	{
		bool		isnull;

		claimed[k] = SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1, &isnull);
	}
	SPI_freetuptable(SPI_tuptable);
	*ids = claimed;
	return (int) k;
}

/*
 * ChurnClaimMarks
 *		Take up to batch_size marks of churn_dirty, oldest first, skipping
 *		marks another session holds; returns how many, their party ids in
 *		*ids.  Called with SPI connected.
 *
 * On one node the claim is one set-based statement: the oldest marks are
 * locked with SKIP LOCKED and deleted through the primary key, with no
 * array of party ids in the plan (ChurnClaimLocal).
 *
 * On Citus, FOR UPDATE on a distributed table needs a query that touches a
 * single shard, so the queue is claimed by its distribution column: the
 * candidates are read without locks, oldest first, and grouped by the
 * shard of churn_dirty that holds them; each group is claimed by one
 * statement that locks its marks with SKIP LOCKED, by party_id, and a
 * second that deletes the marks it locked.  A candidate that another
 * session holds, or took meanwhile, is skipped and left out of the next
 * read; the reads go on until the batch is full or no candidate is left.
 *
 * A claimed mark is deleted in this transaction: two callers never
 * evaluate the same mark, and a batch that fails leaves its marks for the
 * next one.
 */
static int
ChurnClaimMarks(int batch_size, Datum **ids)
{
	Datum	   *claimed = palloc(sizeof(Datum) * batch_size);
	Datum	   *skipped = NULL;
	int			nclaimed = 0;
	int			nskipped = 0;
	int			maxskipped = 0;
	bool		distributed = false;
	int			ret;

	/* is churn_dirty a Citus table? */
	if (OidIsValid(get_extension_oid("citus", true)))
	{
		bool		isnull;

		ret = SPI_execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition "
						  "WHERE logicalrelid OPERATOR(pg_catalog.=) 'bankcrm_churn.churn_dirty'::pg_catalog.regclass "
						  "AND partmethod OPERATOR(pg_catalog.=) 'h')", true, 1);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "reading pg_dist_partition returned %d", ret);
		distributed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	if (!distributed)
	{
		pfree(claimed);
		return ChurnClaimLocal(batch_size, ids);
	}

	while (nclaimed < batch_size)
	{
		Oid			types[2] = {INT8ARRAYOID, INT4OID};
		Datum		args[2];
		Datum	   *cand;
		Datum	   *group;
		int64	   *shard;
		bool	   *done;
		int			ncand;
		int			i;
		int			want = batch_size - nclaimed;

		args[0] = PointerGetDatum(construct_array(skipped, nskipped, INT8OID, sizeof(int64),
												  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[1] = Int32GetDatum(want);
		ret = SPI_execute_with_args("SELECT m.party_id FROM bankcrm_churn.churn_dirty m "
									"WHERE NOT (m.party_id OPERATOR(pg_catalog.=) ANY ($1)) "
									"ORDER BY m.marked_at, m.party_id LIMIT $2",
									2, types, args, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "reading the churn marks returned %d", ret);
		ncand = (int) SPI_processed;
		if (ncand == 0)
			break;
		cand = palloc(sizeof(Datum) * ncand);
		shard = palloc0(sizeof(int64) * ncand);
		done = palloc0(sizeof(bool) * ncand);
		for (i = 0; i < ncand; i++)
		{
			bool		isnull;

			cand[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		}
		SPI_freetuptable(SPI_tuptable);

		/* the shard of each candidate, in the candidates' order */
		if (distributed)
		{
			Oid			t[1] = {INT8ARRAYOID};
			Datum		a[1];

			a[0] = PointerGetDatum(construct_array(cand, ncand, INT8OID, sizeof(int64),
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			ret = SPI_execute_with_args("SELECT pg_catalog.get_shard_id_for_distribution_column("
										"'bankcrm_churn.churn_dirty'::pg_catalog.regclass, x.id) "
										"FROM pg_catalog.unnest($1) WITH ORDINALITY x(id, n) ORDER BY x.n",
										1, t, a, NULL, true, 0);
			if (ret != SPI_OK_SELECT || (int) SPI_processed != ncand)
				elog(ERROR, "finding the shards of the churn marks returned %d", ret);
			for (i = 0; i < ncand; i++)
			{
				bool		isnull;

				shard[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			}
			SPI_freetuptable(SPI_tuptable);
		}

		/* one claim per shard */
		group = palloc(sizeof(Datum) * ncand);
		for (i = 0; i < ncand; i++)
		{
			Oid			t[1] = {INT8ARRAYOID};
			Datum		a[1];
			int64	   *got;
			int			ngroup = 0;
			int			j;
			uint64		k;

			if (done[i])
				continue;
			for (j = i; j < ncand; j++)
				if (!done[j] && shard[j] == shard[i])
				{
					group[ngroup++] = cand[j];
					done[j] = true;
				}
			a[0] = PointerGetDatum(construct_array(group, ngroup, INT8OID, sizeof(int64),
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			/*
			 * lock, then delete what was locked: two statements on one
			 * table each, never a join of the marks with an array of them
			 */
			ret = SPI_execute_with_args("SELECT m.party_id FROM bankcrm_churn.churn_dirty m "
										"WHERE m.party_id OPERATOR(pg_catalog.=) ANY ($1) FOR UPDATE SKIP LOCKED",
										1, t, a, NULL, false, 0);
			if (ret != SPI_OK_SELECT)
				elog(ERROR, "claiming churn marks returned %d", ret);
			/* what this claim did not return, another session holds or took */
			got = palloc(sizeof(int64) * Max(SPI_processed, 1));
			for (k = 0; k < SPI_processed; k++)
			{
				bool		isnull;

				got[k] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1, &isnull));
			}
			SPI_freetuptable(SPI_tuptable);
			if (k > 0)
			{
				Datum	   *locked = palloc(sizeof(Datum) * k);
				uint64		l;

				for (l = 0; l < k; l++)
					locked[l] = Int64GetDatum(got[l]);
				a[0] = PointerGetDatum(construct_array(locked, (int) k, INT8OID, sizeof(int64),
													   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
				ret = SPI_execute_with_args("DELETE FROM bankcrm_churn.churn_dirty d "
											"WHERE d.party_id OPERATOR(pg_catalog.=) ANY ($1)",
											1, t, a, NULL, false, 0);
				if (ret != SPI_OK_DELETE)
					elog(ERROR, "deleting claimed churn marks returned %d", ret);
				pfree(locked);
			}
			qsort(got, k, sizeof(int64), churn_int64_cmp);
			for (j = 0; j < ngroup; j++)
			{
				int64		id = DatumGetInt64(group[j]);

				if (bsearch(&id, got, k, sizeof(int64), churn_int64_cmp) != NULL)
					claimed[nclaimed++] = group[j];
				else
				{
					if (nskipped == maxskipped)
					{
						maxskipped = Max(64, maxskipped * 2);
						skipped = skipped == NULL ? palloc(sizeof(Datum) * maxskipped)
							: repalloc(skipped, sizeof(Datum) * maxskipped);
					}
					skipped[nskipped++] = group[j];
				}
			}
			pfree(got);
		}
		pfree(group);
		pfree(cand);
		pfree(shard);
		pfree(done);
		if (ncand < want)
			break;
	}
	*ids = claimed;
	return nclaimed;
}

/* ---------------------------------------------------------------------
 * SQL-callable functions
 * ---------------------------------------------------------------------
 */

/*
 * churn_evaluate_hits(party_ids bigint[], as_of date) -> churn_hit[]
 *		The metrics whose rules fire for the given parties (NULL: every
 *		party with a series) as of a week (NULL: each party's last week),
 *		under each party's policy and the calendar; closed parties only for
 *		weeks before closed_on.  NULL when nothing fires.  churn_apply's
 *		evaluation.
 */
PG_FUNCTION_INFO_V1(churn_evaluate_hits);
Datum
churn_evaluate_hits(PG_FUNCTION_ARGS)
{
	const char *nsp = ChurnOwnSchema(fcinfo);
	ArrayType  *ids = PG_ARGISNULL(0) ? NULL : PG_GETARG_ARRAYTYPE_P(0);
	Oid			rettype = get_fn_expr_rettype(fcinfo->flinfo);
	Oid			hit_type = OidIsValid(rettype) ? get_element_type(rettype) : InvalidOid;
	MemoryContext caller = CurrentMemoryContext;
	ChurnBatch	b;
	ArrayType  *result = NULL;
	int			as_of = 0;

	if (!OidIsValid(hit_type))
		elog(ERROR, "churn_evaluate_hits must return churn_hit[]");
	if (!PG_ARGISNULL(1))
		as_of = ChurnDateToWeek(PG_GETARG_DATEADT(1), "as_of");
	SPI_connect();
	ChurnBatchSetup(&b, nsp, PG_ARGISNULL(1), as_of, false);
	ChurnBatchRun(&b, nsp, ids, false);
	if (b.nhits > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = ChurnHitsArray(&b, hit_type);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * churn_process_dirty(batch_size integer) -> integer
 *		The monitor's unit of work (see the file header); returns the
 *		number of marks taken.
 */
PG_FUNCTION_INFO_V1(churn_process_dirty);
Datum
churn_process_dirty(PG_FUNCTION_ARGS)
{
	const char *nsp;
	StringInfoData sql;
	Oid			argtypes[1];
	Datum		args[1];
	Datum	   *ids;
	int			n;
	ChurnBatch	b;
	Oid			hit_type;
	int			ret;

	if (PG_ARGISNULL(0) || PG_GETARG_INT32(0) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be at least 1")));
	nsp = ChurnOwnSchema(fcinfo);
	hit_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("churn_hit"),
							   ObjectIdGetDatum(BankcrmSchemaOid(false)));
	if (!OidIsValid(hit_type))
		elog(ERROR, "type churn_hit does not exist");

	SPI_connect();
	n = ChurnClaimMarks(PG_GETARG_INT32(0), &ids);
	if (n == 0)
	{
		SPI_finish();
		PG_RETURN_INT32(0);
	}

	/* evaluate; nothing to write unless a rule fired */
	ChurnBatchSetup(&b, nsp, true, 0, true);
	b.upkeep = true;
	ChurnBatchRun(&b, nsp, construct_array(ids, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE),
				  false);
	/* the appended weeks folded, the departed parties' alerts lost (churn_store.c) */
	if (b.nfold > 0)
		ChurnFoldTails(nsp, b.fold, b.nfold);
	ChurnLoseDeparted(nsp, b.closed, b.nclosed, b.latest_week);
	ereport(DEBUG1,
			(errmsg_internal("churn batch: %d marks, %lld parties evaluated, %lld resumed from a kept state, %d hits",
							 n, (long long) b.parties, (long long) b.resumed, b.nhits)));
	if (b.nhits > 0)
	{
		initStringInfo(&sql);
		appendStringInfo(&sql,
						 "SELECT %s.churn_notify(r.alert_id, r.party_id, r.metric, r.severity, r.event) "
						 "FROM %s.churn_apply_hits($1) r", nsp, nsp);
		argtypes[0] = get_array_type(hit_type);
		args[0] = PointerGetDatum(ChurnHitsArray(&b, hit_type));
		ret = SPI_execute_with_args(sql.data, 1, argtypes, args, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "applying the churn hits returned %d", ret);
	}
	SPI_finish();
	PG_RETURN_INT32((int32) n);
}
