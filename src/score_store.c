/*-------------------------------------------------------------------------
 *
 * score_store.c
 *	  score_all(): compute every party's scores and store what changed.
 *
 * A run holds the model's advisory lock (one run per model at a time) and
 * SHARE ROW EXCLUSIVE locks on party_score and score_history, taken before
 * its snapshot: readers are never blocked, and the cleanup trigger of a
 * party deleted meanwhile waits for the run and then sees its rows.  The
 * rows are then written as changes:
 *
 *   party_score    a party no longer scored (closed, deleted) loses its row,
 *                  a changed score is updated in place (scored_on = as_of),
 *                  an unchanged one is left alone, a new party gets a row;
 *   score_history  a row for the day a party is first scored and for each
 *                  day its recorded scores move beyond the model's
 *                  tolerances from the last row (a rescore of the same day
 *                  updates that day's row with any change).
 *
 * The writes go through the executor's single-row paths (the ones logical
 * replication applies changes with): constraints, indexes and triggers work
 * as for any UPDATE or INSERT, without planning a statement per row.  New
 * rows are stored a batch at a time, as COPY stores them (one heap write
 * and one WAL record per page instead of per row), unless the table has a
 * trigger that runs before each row or a generated column: then row by row.
 * party_score is stored with free space on each page (fillfactor), so that
 * the daily update of a changed row stays on its page (a HOT update).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "portability/instr_time.h"
#include "parser/parse_relation.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "score_run.h"

/* the columns score_all writes, by table */
enum
{
	PS_PARTY, PS_MODEL, PS_CONTRIBUTION, PS_VALUE_SCORE, PS_VALUE_TIER, PS_WEALTH_TIER,
	PS_RFM_R, PS_RFM_F, PS_RFM_M, PS_CLV, PS_AUM, PS_COMPUTED_AT, PS_SCORED_ON, PS_RETENTION,
	PS_GROWTH, PS_POTENTIAL, PS_LAST_ACTIVE, PS_FREQUENCY, PS_PRODUCTS, PS_NCOLS
};
static const char *const ps_columns[PS_NCOLS] = {
	"party_id", "model", "contribution", "value_score", "value_tier", "wealth_tier",
	"rfm_r", "rfm_f", "rfm_m", "clv", "aum", "computed_at", "scored_on", "retention",
	"growth", "potential", "last_active_on", "frequency", "products"
};

enum
{
	SH_PARTY, SH_MODEL, SH_DAY, SH_CONTRIBUTION, SH_VALUE_SCORE, SH_VALUE_TIER, SH_WEALTH_TIER,
	SH_RFM_R, SH_RFM_F, SH_RFM_M, SH_CLV, SH_AUM, SH_NCOLS
};
static const char *const sh_columns[SH_NCOLS] = {
	"party_id", "model", "scored_on", "contribution", "value_score", "value_tier",
	"wealth_tier", "rfm_r", "rfm_f", "rfm_m", "clv", "aum"
};

/* rows inserted by one call of table_multi_insert */
#define WRITER_BATCH	1000

/* a table being written: the executor state of the single-row paths */
typedef struct ScoreWriter
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	EPQState	epq;
	TupleTableSlot *old;		/* a row as scanned or fetched */
	TupleTableSlot *new;		/* the row to write */
	AttrNumber	att[PS_NCOLS];	/* attribute numbers of the columns written */
	bool		batch;			/* inserts are batched (see WriterInsert) */
	int			nbuf;			/* rows waiting in buf */
	TupleTableSlot *buf[WRITER_BATCH];
} ScoreWriter;

/* the values of one party as stored (cents, codes) */
typedef struct StoredScore
{
	int64		contribution;
	int64		clv;
	int64		aum;
} StoredScore;

static void
WriterOpen(ScoreWriter *w, Oid relid, const char *const *columns, int ncols)
{
	RangeTblEntry *rte;
	int			i;

	memset(w, 0, sizeof(ScoreWriter));
	w->rel = table_open(relid, RowExclusiveLock);
	w->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = w->rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	BankcrmInitRangeTable(w->estate, rte);
	w->estate->es_output_cid = GetCurrentCommandId(true);
	w->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(w->rri, w->rel, 1, NULL, 0);
	w->estate->es_opened_result_relations = lappend(w->estate->es_opened_result_relations, w->rri);
	ExecOpenIndices(w->rri, false);
	w->batch = !(w->rri->ri_TrigDesc &&
				 (w->rri->ri_TrigDesc->trig_insert_before_row ||
				  w->rri->ri_TrigDesc->trig_insert_instead_row)) &&
		!(w->rel->rd_att->constr && w->rel->rd_att->constr->has_generated_stored);
	BankcrmEvalPlanQualInit(&w->epq, w->estate);
	w->old = table_slot_create(w->rel, &w->estate->es_tupleTable);
	w->new = ExecInitExtraTupleSlot(w->estate, RelationGetDescr(w->rel), &TTSOpsVirtual);
	for (i = 0; i < ncols; i++)
	{
		w->att[i] = attnameAttNum(w->rel, columns[i], false);
		if (w->att[i] == InvalidAttrNumber)
			elog(ERROR, "column %s.%s is missing", RelationGetRelationName(w->rel), columns[i]);
	}
	AfterTriggerBeginQuery();
}

/*
 * WriterFlush
 *		Store the batched rows, then their index entries and AFTER ROW
 *		triggers, row by row as the single-row path would.
 */
static void
WriterFlush(ScoreWriter *w)
{
	int			i;

	if (w->nbuf == 0)
		return;
	table_multi_insert(w->rel, w->buf, w->nbuf, w->estate->es_output_cid, 0, NULL);
	for (i = 0; i < w->nbuf; i++)
	{
		List	   *recheck = NIL;

		ResetPerTupleExprContext(w->estate);
		if (w->rri->ri_NumIndices > 0)
			recheck = BankcrmInsertIndexTuples(w->rri, w->buf[i], w->estate);
		ExecARInsertTriggers(w->estate, w->rri, w->buf[i], recheck, NULL);
		list_free(recheck);
		ExecClearTuple(w->buf[i]);
	}
	w->nbuf = 0;
}

/*
 * WriterInsert
 *		Insert the row in w->new: checked now, stored with the next batch.
 */
static void
WriterInsert(ScoreWriter *w)
{
	if (!w->batch)
	{
		ExecSimpleRelationInsert(w->rri, w->estate, w->new);
		return;
	}
	if (w->rel->rd_att->constr)
		ExecConstraints(w->rri, w->new, w->estate);
	if (w->buf[w->nbuf] == NULL)
		w->buf[w->nbuf] = table_slot_create(w->rel, &w->estate->es_tupleTable);
	ExecCopySlot(w->buf[w->nbuf], w->new);
	if (++w->nbuf == WRITER_BATCH)
		WriterFlush(w);
}

static void
WriterClose(ScoreWriter *w)
{
	WriterFlush(w);
	AfterTriggerEndQuery(w->estate);
	EvalPlanQualEnd(&w->epq);
	ExecCloseIndices(w->rri);
	ExecResetTupleTable(w->estate->es_tupleTable, false);
	FreeExecutorState(w->estate);
	table_close(w->rel, NoLock);
}

/*
 * WriterStart
 *		Begin the next row: from the old row's values (update) or all NULL
 *		(insert), so that columns score_all does not write keep their values.
 */
static void
WriterStart(ScoreWriter *w, bool from_old)
{
	TupleDesc	desc = RelationGetDescr(w->rel);

	ResetPerTupleExprContext(w->estate);
	ExecClearTuple(w->new);
	if (from_old)
	{
		slot_getallattrs(w->old);
		memcpy(w->new->tts_values, w->old->tts_values, sizeof(Datum) * desc->natts);
		memcpy(w->new->tts_isnull, w->old->tts_isnull, sizeof(bool) * desc->natts);
	}
	else
		memset(w->new->tts_isnull, true, sizeof(bool) * desc->natts);
}

static inline void
Set(ScoreWriter *w, int col, Datum d, bool isnull)
{
	w->new->tts_values[w->att[col] - 1] = d;
	w->new->tts_isnull[w->att[col] - 1] = isnull;
}

/* is the numeric column col of the old row exactly cents/100? */
static bool
SameCents(ScoreWriter *w, int col, int64 cents)
{
	int128		x;

	if (w->old->tts_isnull[w->att[col] - 1])
		return false;
	return ScoreNumericScaled(w->old->tts_values[w->att[col] - 1], 2, &x) && x == cents;
}

static bool
SameInt(ScoreWriter *w, int col, int64 x, int width)
{
	Datum		d;

	if (w->old->tts_isnull[w->att[col] - 1])
		return false;
	d = w->old->tts_values[w->att[col] - 1];
	switch (width)
	{
		case 2:
			return DatumGetInt16(d) == x;
		case 4:
			return DatumGetInt32(d) == x;
		default:
			return DatumGetInt64(d) == x;
	}
}

static bool
SameFloat(ScoreWriter *w, int col, double x)
{
	double		y;

	if (w->old->tts_isnull[w->att[col] - 1])
		return false;
	y = DatumGetFloat8(w->old->tts_values[w->att[col] - 1]);
	return y == x || (isnan(x) && isnan(y));
}

/* is text column col of the old row the given word (NULL when word is NULL)? */
static bool
SameWord(ScoreWriter *w, int col, const char *word)
{
	text	   *t;

	if (w->old->tts_isnull[w->att[col] - 1])
		return word == NULL;
	if (word == NULL)
		return false;
	t = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(w->old->tts_values[w->att[col] - 1]));
	return VARSIZE_ANY_EXHDR(t) == (int) strlen(word) && memcmp(VARDATA_ANY(t), word, strlen(word)) == 0;
}

static const char *
WealthName(const ScoreParty *p)
{
	return p->wealth_tier >= 0 ? score_wealth_tier_names[p->wealth_tier] : NULL;
}

/* is date column col of the old row the given day (NULL when NO_DATE)? */
static bool
SameDate(ScoreWriter *w, int col, DateADT day)
{
	if (w->old->tts_isnull[w->att[col] - 1])
		return day == NO_DATE;
	return day != NO_DATE && DatumGetDateADT(w->old->tts_values[w->att[col] - 1]) == day;
}

/*
 * ScoreUnchanged
 *		Does the party_score row in w->old hold exactly the party's new
 *		scores?  Then it keeps its scored_on and computed_at: a row changes
 *		only when what it says does.
 */
static bool
ScoreUnchanged(ScoreWriter *w, const ScoreParty *p, const StoredScore *st)
{
	slot_getallattrs(w->old);
	return SameCents(w, PS_CONTRIBUTION, st->contribution) &&
		SameInt(w, PS_VALUE_SCORE, p->value_score, 4) &&
		SameWord(w, PS_VALUE_TIER, score_value_tier_names[p->value_tier]) &&
		SameWord(w, PS_WEALTH_TIER, WealthName(p)) &&
		SameInt(w, PS_RFM_R, p->rfm[0], 2) &&
		SameInt(w, PS_RFM_F, p->rfm[1], 2) &&
		SameInt(w, PS_RFM_M, p->rfm[2], 2) &&
		SameCents(w, PS_CLV, st->clv) &&
		SameCents(w, PS_AUM, st->aum) &&
		SameFloat(w, PS_RETENTION, p->retention) &&
		SameFloat(w, PS_GROWTH, p->growth) &&
		SameFloat(w, PS_POTENTIAL, p->potential) &&
		SameDate(w, PS_LAST_ACTIVE, p->last_active) &&
		SameInt(w, PS_FREQUENCY, p->frequency, 8) &&
		SameInt(w, PS_PRODUCTS, p->products, 4);
}

/*
 * The columns a history row records, by their place in each table's column
 * list: party_score holds them too, and both are filled by SetRecorded.
 */
enum
{
	REC_CONTRIBUTION, REC_VALUE_SCORE, REC_VALUE_TIER, REC_WEALTH_TIER,
	REC_RFM_R, REC_RFM_F, REC_RFM_M, REC_CLV, REC_AUM, REC_NCOLS
};
static const int ps_recorded[REC_NCOLS] = {
	PS_CONTRIBUTION, PS_VALUE_SCORE, PS_VALUE_TIER, PS_WEALTH_TIER, PS_RFM_R, PS_RFM_F, PS_RFM_M, PS_CLV, PS_AUM
};
static const int sh_recorded[REC_NCOLS] = {
	SH_CONTRIBUTION, SH_VALUE_SCORE, SH_VALUE_TIER, SH_WEALTH_TIER, SH_RFM_R, SH_RFM_F, SH_RFM_M, SH_CLV, SH_AUM
};

/* fill the recorded columns (col: their places) of w->new */
static void
SetRecorded(ScoreWriter *w, const int *col, const ScoreParty *p, const StoredScore *st)
{
	const char *wt = WealthName(p);

	Set(w, col[REC_CONTRIBUTION], ScoreCentsDatum(st->contribution), false);
	Set(w, col[REC_VALUE_SCORE], Int32GetDatum(p->value_score), false);
	Set(w, col[REC_VALUE_TIER], CStringGetTextDatum(score_value_tier_names[p->value_tier]), false);
	Set(w, col[REC_WEALTH_TIER], wt ? CStringGetTextDatum(wt) : (Datum) 0, wt == NULL);
	Set(w, col[REC_RFM_R], Int16GetDatum(p->rfm[0]), false);
	Set(w, col[REC_RFM_F], Int16GetDatum(p->rfm[1]), false);
	Set(w, col[REC_RFM_M], Int16GetDatum(p->rfm[2]), false);
	Set(w, col[REC_CLV], ScoreCentsDatum(st->clv), false);
	Set(w, col[REC_AUM], ScoreCentsDatum(st->aum), false);
}

/* fill w->new with the party's party_score columns (in per-row memory) */
static void
SetScore(ScoreWriter *w, const ScoreParty *p, const StoredScore *st, Datum model,
		 DateADT as_of, TimestampTz now)
{
	MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(w->estate));

	Set(w, PS_PARTY, Int64GetDatum(p->party_id), false);
	Set(w, PS_MODEL, model, false);
	SetRecorded(w, ps_recorded, p, st);
	Set(w, PS_COMPUTED_AT, TimestampTzGetDatum(now), false);
	Set(w, PS_SCORED_ON, DateADTGetDatum(as_of), false);
	Set(w, PS_RETENTION, Float8GetDatum(p->retention), false);
	Set(w, PS_GROWTH, Float8GetDatum(p->growth), false);
	Set(w, PS_POTENTIAL, Float8GetDatum(p->potential), false);
	Set(w, PS_LAST_ACTIVE, DateADTGetDatum(p->last_active), p->last_active == NO_DATE);
	Set(w, PS_FREQUENCY, Int64GetDatum(p->frequency), false);
	Set(w, PS_PRODUCTS, Int32GetDatum(p->products), false);
	ExecStoreVirtualTuple(w->new);
	MemoryContextSwitchTo(old);
}

/* fill w->new with the party's score_history columns (in per-row memory) */
static void
SetHistory(ScoreWriter *w, const ScoreParty *p, const StoredScore *st, Datum model, DateADT as_of)
{
	MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(w->estate));

	Set(w, SH_PARTY, Int64GetDatum(p->party_id), false);
	Set(w, SH_MODEL, model, false);
	Set(w, SH_DAY, DateADTGetDatum(as_of), false);
	SetRecorded(w, sh_recorded, p, st);
	ExecStoreVirtualTuple(w->new);
	MemoryContextSwitchTo(old);
}

/* has an amount in cents moved by more than tolerance times the recorded one? */
static inline bool
MovedCents(int64 recorded, int64 now, double tolerance)
{
	if (recorded == now)
		return false;
	/* the difference of two numeric(18, 2) amounts fits a double exactly enough */
	return fabs((double) now - (double) recorded) > tolerance * fabs((double) recorded);
}

/*
 * HistoryChanged
 *		Do the party's new scores differ from its last recorded history row:
 *		beyond the model's tolerances, or (exact) at all?
 *
 * A tier or an RFM quintile that moves always counts.  Amounts and the value
 * score are compared with the last recorded row, not with the day before, so
 * a slow drift is recorded once it adds up to more than the tolerance.
 */
static bool
HistoryChanged(const ScoreParty *p, const StoredScore *st, const ScoreModel *m, bool exact)
{
	const ScoreRecorded *r = &p->rec;
	double		tol = exact ? 0.0 : m->history_tolerance;
	int32		points = exact ? 0 : m->history_score_tolerance;

	return r->nulls ||
		r->value_tier != p->value_tier ||
		r->wealth_tier != p->wealth_tier ||
		r->rfm[0] != p->rfm[0] || r->rfm[1] != p->rfm[1] || r->rfm[2] != p->rfm[2] ||
		abs(r->value_score - p->value_score) > points ||
		MovedCents(r->contribution, st->contribution, tol) ||
		MovedCents(r->clv, st->clv, tol) ||
		MovedCents(r->aum, st->aum, tol);
}

/* the counts score_all returns and logs */
typedef struct ScoreCounts
{
	int64		parties;
	int64		value_tier[SCORE_NVALUE_TIERS];
	int64		wealth_tier[SCORE_NWEALTH_TIERS];
	int64		affinity;		/* -1: not refreshed */
	int64		updated;		/* party_score */
	int64		inserted;
	int64		deleted;
	int64		h_inserted;		/* score_history */
	int64		h_updated;
	double		read_ms;
	double		store_ms;
} ScoreCounts;

/*
 * StoreScores
 *		Write party_score and score_history as changes (see the file header),
 *		counting the rows written in counts.
 */
static void
StoreScores(ScoreRun *run, StoredScore *stored, ScoreCounts *counts)
{
	instr_time	start,
				mid,
				end;

	ScoreWriter w;
	TableScanDesc scan;
	Datum		model = CStringGetTextDatum(run->m.name);
	int			mlen = strlen(run->m.name);
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	bool	   *has_row = ScoreAlloc(sizeof(bool) * run->nparties);
	uint32		i;

	/* party_score: delete, update or keep the rows there are */
	INSTR_TIME_SET_CURRENT(start);
	WriterOpen(&w, ScoreRelid(run, "party_score"), ps_columns, PS_NCOLS);
	scan = table_beginscan(w.rel, run->snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, w.old))
	{
		text	   *m;
		ScoreParty *p;

		CHECK_FOR_INTERRUPTS();
		slot_getsomeattrs(w.old, Max(w.att[PS_PARTY], w.att[PS_MODEL]));
		m = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(w.old->tts_values[w.att[PS_MODEL] - 1]));
		if (VARSIZE_ANY_EXHDR(m) != mlen || memcmp(VARDATA_ANY(m), run->m.name, mlen) != 0)
			continue;
		p = ScoreRunFindParty(run, DatumGetInt64(w.old->tts_values[w.att[PS_PARTY] - 1]));
		ResetPerTupleExprContext(w.estate);
		if (p == NULL)
		{
			ExecSimpleRelationDelete(w.rri, w.estate, &w.epq, w.old);
			counts->deleted++;
			continue;
		}
		i = p - run->parties;
		if (has_row[i])
			elog(ERROR, "party_score holds two rows of party %lld under model \"%s\"",
				 (long long) p->party_id, run->m.name);
		has_row[i] = true;
		if (ScoreUnchanged(&w, p, &stored[i]))
			continue;
		WriterStart(&w, true);
		SetScore(&w, p, &stored[i], model, run->as_of, now);
		ExecSimpleRelationUpdate(w.rri, w.estate, &w.epq, w.old, w.new);
		counts->updated++;
	}
	table_endscan(scan);
	for (i = 0; i < run->nparties; i++)
	{
		if (has_row[i])
			continue;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		WriterStart(&w, false);
		SetScore(&w, &run->parties[i], &stored[i], model, run->as_of, now);
		WriterInsert(&w);
		counts->inserted++;
	}
	WriterClose(&w);
	INSTR_TIME_SET_CURRENT(mid);

	/* score_history: a row when the recorded scores change */
	WriterOpen(&w, ScoreRelid(run, "score_history"), sh_columns, SH_NCOLS);
	for (i = 0; i < run->nparties; i++)
	{
		ScoreParty *p = &run->parties[i];

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (p->rec.day != NO_DATE &&
			!HistoryChanged(p, &stored[i], &run->m, p->rec.day == run->as_of))
			continue;
		if (p->rec.day == run->as_of)
		{
			/* a rescore of the same day: that day's row takes any change */
			if (!table_tuple_fetch_row_version(w.rel, &p->rec.tid, run->snapshot, w.old))
				elog(ERROR, "score_history row of party %lld vanished", (long long) p->party_id);
			WriterStart(&w, true);
			SetHistory(&w, p, &stored[i], model, run->as_of);
			ExecSimpleRelationUpdate(w.rri, w.estate, &w.epq, w.old, w.new);
			counts->h_updated++;
		}
		else
		{
			WriterStart(&w, false);
			SetHistory(&w, p, &stored[i], model, run->as_of);
			WriterInsert(&w);
			counts->h_inserted++;
		}
	}
	WriterClose(&w);
	ScoreFree(has_row, sizeof(bool) * run->nparties);
	INSTR_TIME_SET_CURRENT(end);
	INSTR_TIME_SUBTRACT(end, mid);
	INSTR_TIME_SUBTRACT(mid, start);
	elog(DEBUG1, "score_all: party_score: " INT64_FORMAT " updated, " INT64_FORMAT " inserted, " INT64_FORMAT
		 " deleted in %.0f ms; score_history: " INT64_FORMAT " inserted, " INT64_FORMAT " updated in %.0f ms",
		 counts->updated, counts->inserted, counts->deleted, INSTR_TIME_GET_MILLISEC(mid),
		 counts->h_inserted, counts->h_updated, INSTR_TIME_GET_MILLISEC(end));
	counts->store_ms = INSTR_TIME_GET_MILLISEC(mid) + INSTR_TIME_GET_MILLISEC(end);
}

/*
 * LogRun
 *		Add the run's row to score_run_log (through SPI, as the caller).
 */
static void
LogRun(ScoreRun *run, const ScoreCounts *c, TimestampTz started)
{
	Oid			argtypes[13] = {TEXTOID, INT4OID, DATEOID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID,
	INT8OID, INT8OID, INT8OID, INT8OID, FLOAT8OID, FLOAT8OID};
	Datum		args[13];
	char		nulls[13];
	StringInfoData q;

	memset(nulls, ' ', sizeof(nulls));
	args[0] = CStringGetTextDatum(run->m.name);
	args[1] = Int32GetDatum(run->m.version);
	args[2] = DateADTGetDatum(run->as_of);
	args[3] = TimestampTzGetDatum(started);
	args[4] = Int64GetDatum(c->parties);
	args[5] = Int64GetDatum(c->updated);
	args[6] = Int64GetDatum(c->inserted);
	args[7] = Int64GetDatum(c->deleted);
	args[8] = Int64GetDatum(c->h_inserted);
	args[9] = Int64GetDatum(c->h_updated);
	args[10] = Int64GetDatum(c->affinity);
	if (c->affinity < 0)
		nulls[10] = 'n';
	args[11] = Float8GetDatum(c->read_ms);
	args[12] = Float8GetDatum(c->store_ms);
	initStringInfo(&q);
	appendStringInfo(&q,
					 "INSERT INTO %s.score_run_log (model, model_version, as_of, started_at, finished_at, parties, "
					 "scores_updated, scores_inserted, scores_deleted, history_inserted, history_updated, "
					 "affinity_rows, read_ms, store_ms) "
					 "VALUES ($1, $2, $3, $4, pg_catalog.clock_timestamp(), $5, $6, $7, $8, $9, $10, $11, $12, $13)",
					 quote_identifier(get_namespace_name(run->nsp)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(q.data, 13, argtypes, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not log the scoring run");
	SPI_finish();
}

/* the tables score_all writes */
static const char *const write_tables[] = {"party_score", "score_history"};
static const char *const log_tables[] = {"score_run_log"};
static const char *const affinity_tables[] = {"product_affinity"};

/*
 * score_all
 *		SQL score_all(model text, as_of date, refresh_affinity boolean)
 *		returns (parties, key, general, scattered, mass, affluent, hnw, uhnw,
 *		affinity_rows): recompute and store every party's scores.
 */
PG_FUNCTION_INFO_V1(score_all);
Datum
score_all(PG_FUNCTION_ARGS)
{
	MemoryContext runcxt;
	MemoryContext old;
	ScoreRun	run;
	StoredScore *stored;
	ScoreCounts counts;
	TupleDesc	desc;
	Datum		v[9];
	bool		n[9] = {0};
	uint32		i;
	int			k;
	instr_time	start,
				end;
	TimestampTz started = GetCurrentTimestamp();

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "score_all must return a row");
	runcxt = AllocSetContextCreate(CurrentMemoryContext, "bankcrm score run", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(runcxt);

	ScoreRunInit(&run, fcinfo);
	ScoreCheckAccess(&run, write_tables, lengthof(write_tables), ACL_INSERT | ACL_UPDATE | ACL_DELETE);
	ScoreCheckAccess(&run, log_tables, lengthof(log_tables), ACL_INSERT);
	ScoreRunModel(&run, PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));

	/* one run per model at a time; then the snapshot, after the locks */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1] = {CStringGetTextDatum(run.m.name)};

		if (SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock("
								  "pg_catalog.hashtext('bankcrm.score_all'), pg_catalog.hashtext($1))",
								  1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not lock the scoring model");
	}
	SPI_finish();
	LockRelationOid(ScoreRelid(&run, "party_score"), ShareRowExclusiveLock);
	LockRelationOid(ScoreRelid(&run, "score_history"), ShareRowExclusiveLock);
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	run.snapshot = GetActiveSnapshot();

	INSTR_TIME_SET_CURRENT(start);
	ScoreRunCompute(&run);
	INSTR_TIME_SET_CURRENT(end);
	INSTR_TIME_SUBTRACT(end, start);
	elog(DEBUG1, "score_all: read the bank and scored %u parties in %.0f ms",
		 run.nparties, INSTR_TIME_GET_MILLISEC(end));
	stored = ScoreAlloc(sizeof(StoredScore) * run.nparties);
	memset(&counts, 0, sizeof(counts));
	counts.read_ms = INSTR_TIME_GET_MILLISEC(end);
	counts.affinity = -1;
	for (i = 0; i < run.nparties; i++)
	{
		ScoreParty *p = &run.parties[i];

		stored[i].contribution = ScoreDoubleToCents(p->contribution, "contribution");
		stored[i].clv = ScoreDoubleToCents(p->clv, "clv");
		stored[i].aum = p->aum;
		counts.parties++;
		counts.value_tier[p->value_tier]++;
		if (p->wealth_tier >= 0)
			counts.wealth_tier[p->wealth_tier]++;
	}
	StoreScores(&run, stored, &counts);
	PopActiveSnapshot();
	CommandCounterIncrement();

	if (PG_ARGISNULL(2) || PG_GETARG_BOOL(2))
	{
		int8	   *tiers = ScoreAlloc(sizeof(int8) * run.nparties);

		ScoreCheckAccess(&run, affinity_tables, lengthof(affinity_tables), ACL_INSERT | ACL_DELETE);
		for (i = 0; i < run.nparties; i++)
			tiers[i] = run.parties[i].value_tier;
		counts.affinity = ScoreAffinityStore(&run, tiers);
	}
	LogRun(&run, &counts, started);

	MemoryContextSwitchTo(old);
	v[0] = Int64GetDatum(counts.parties);
	for (k = 0; k < SCORE_NVALUE_TIERS; k++)
		v[1 + k] = Int64GetDatum(counts.value_tier[k]);
	for (k = 0; k < SCORE_NWEALTH_TIERS; k++)
		v[1 + SCORE_NVALUE_TIERS + k] = Int64GetDatum(counts.wealth_tier[k]);
	v[8] = Int64GetDatum(Max(counts.affinity, 0));
	desc = BlessTupleDesc(desc);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, v, n)));
}
