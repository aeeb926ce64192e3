/*-------------------------------------------------------------------------
 *
 * store.c
 *	  score_preview() and score_all(): compute every party's scores, and
 *	  return them or store what changed.
 *
 * A run holds the model's advisory lock (one run per model at a time) and
 * SHARE ROW EXCLUSIVE locks on party_score and score_history (LOCK TABLE),
 * taken before its snapshot: readers
 * are never blocked, and the cleanup trigger of a party deleted meanwhile
 * waits for the run and then sees its rows.  The rows are then written as
 * changes:
 *
 *   party_score    a party no longer scored (closed, deleted) loses its row,
 *                  a changed score is updated in place (scored_on = as_of),
 *                  an unchanged one is left alone, a new party gets a row;
 *   score_history  a row for the day a party is first scored and for each
 *                  day its recorded scores move beyond the model's
 *                  tolerances from the last row (a rescore of the same day
 *                  updates that day's row with any change).
 *
 * The model's party_score rows are read through the executor and compared
 * with the new scores in C; only what must change is written, by one of
 * three routes, chosen by where the table's rows are:
 *
 *   a plain table here   a changed row is updated by the ctid it was read
 *                        with (the run's lock keeps it there) and a new row
 *                        inserted, row by row through the executor's
 *                        single-row entry points (direct.c), when
 *                        the caller holds the table-wide privilege and
 *                        row-level security does not apply to it; else as
 *                        below, the update by ctid (a nested loop of TID
 *                        scans);
 *   partitioned here     SQL, a batch of rows at a time passed as one array
 *                        of the table's row type: an UPDATE ... FROM
 *                        unnest() by key (only the columns score_all writes
 *                        are set), an INSERT ... SELECT of the new rows;
 *   distributed (Citus)  the same, but a changed row is written by an
 *                        INSERT ... ON CONFLICT DO UPDATE, which sends each
 *                        row to its own shard (an UPDATE by key would send
 *                        the whole batch to every shard).
 *
 * Parties gone lose their rows by a DELETE.  Constraints, indexes, row
 * triggers, privileges and row-level security apply on every route as for
 * a statement.
 * party_score is stored with free space on each page (fillfactor), so that
 * the daily update of a changed row stays on its page (a HOT update).
 *
 * Layer: SQL entry points, the top of src/score/.  Calls every file of the
 * module below it; nothing of the module calls it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "compat.h"
#include "progress.h"
#include "score/affinity.h"
#include "score/alloc.h"
#include "score/direct.h"
#include "score/model.h"
#include "score/read.h"
#include "score/table.h"

/* rows written by one statement */
#define STORE_BATCH		50000

/* the columns of party_score compared with the new scores, by their place in the query */
enum
{
	PS_PARTY = 1, PS_CONTRIBUTION, PS_VALUE_SCORE, PS_VALUE_TIER, PS_WEALTH_TIER,
	PS_RFM_R, PS_RFM_F, PS_RFM_M, PS_CLV, PS_AUM, PS_RETENTION, PS_GROWTH, PS_POTENTIAL,
	PS_LAST_ACTIVE, PS_FREQUENCY, PS_PRODUCTS, PS_NCOLS = PS_PRODUCTS
};

/* the values of one party as stored (cents, codes) */
typedef struct StoredScore
{
	int64		contribution;
	int64		clv;
	int64		aum;
} StoredScore;

/* what comparing the model's party_score rows with the new scores finds */
typedef struct ScoreDiff
{
	StoredScore *stored;
	bool	   *has_row;		/* by party: party_score holds a row */
	uint32	   *changed;		/* parties whose row must change */
	uint32		nchanged;
	ItemPointerData *tids;		/* by party: its row's (NULL: not read) */
	bool		tids_valid;		/* every row read came with its ctid */
	int64	   *gone;			/* party_ids whose row must go */
	uint32		ngone;
	uint32		maxgone;
} ScoreDiff;

/* the columns of party_score DiffRow reads, in the order of PS_* */
#define PS_COLUMNS "party_id, contribution, value_score, value_tier, wealth_tier, rfm_r, rfm_f, rfm_m, " \
	"clv, aum, retention, growth, potential, last_active_on, frequency, products"


/* is the numeric column col exactly cents/100? */
static bool
SameCents(TupleTableSlot *slot, int col, int64 cents)
{
	int128		x;

	if (slot->tts_isnull[col - 1])
		return false;
	return ScoreNumericScaled(slot->tts_values[col - 1], 2, &x) && x == cents;
}

static bool
SameInt(TupleTableSlot *slot, int col, int64 x, int width)
{
	Datum		d;

	if (slot->tts_isnull[col - 1])
		return false;
	d = slot->tts_values[col - 1];
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
SameFloat(TupleTableSlot *slot, int col, double x)
{
	double		y;

	if (slot->tts_isnull[col - 1])
		return false;
	y = DatumGetFloat8(slot->tts_values[col - 1]);
	return y == x || (isnan(x) && isnan(y));
}

/* is text column col the given word (NULL when word is NULL)? */
static bool
SameWord(TupleTableSlot *slot, int col, const char *word)
{
	text	   *t;

	if (slot->tts_isnull[col - 1])
		return word == NULL;
	if (word == NULL)
		return false;
	t = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(slot->tts_values[col - 1]));
	return VARSIZE_ANY_EXHDR(t) == (int) strlen(word) && memcmp(VARDATA_ANY(t), word, strlen(word)) == 0;
}

static const char *
WealthName(const ScoreParty *p)
{
	return p->wealth_tier >= 0 ? score_wealth_tier_names[p->wealth_tier] : NULL;
}

/* is date column col the given day (NULL when NO_DATE)? */
static bool
SameDate(TupleTableSlot *slot, int col, DateADT day)
{
	if (slot->tts_isnull[col - 1])
		return day == NO_DATE;
	return day != NO_DATE && DatumGetDateADT(slot->tts_values[col - 1]) == day;
}

/*
 * ScoreUnchanged
 *		Does the party_score row in slot hold exactly the party's new
 *		scores?  Then it keeps its scored_on and computed_at: a row changes
 *		only when what it says does.
 */
static bool
ScoreUnchanged(TupleTableSlot *slot, const ScoreParty *p, const StoredScore *st)
{
	return SameCents(slot, PS_CONTRIBUTION, st->contribution) &&
		SameInt(slot, PS_VALUE_SCORE, p->value_score, 4) &&
		SameWord(slot, PS_VALUE_TIER, score_value_tier_names[p->value_tier]) &&
		SameWord(slot, PS_WEALTH_TIER, WealthName(p)) &&
		SameInt(slot, PS_RFM_R, p->rfm[0], 2) &&
		SameInt(slot, PS_RFM_F, p->rfm[1], 2) &&
		SameInt(slot, PS_RFM_M, p->rfm[2], 2) &&
		SameCents(slot, PS_CLV, st->clv) &&
		SameCents(slot, PS_AUM, st->aum) &&
		SameFloat(slot, PS_RETENTION, p->retention) &&
		SameFloat(slot, PS_GROWTH, p->growth) &&
		SameFloat(slot, PS_POTENTIAL, p->potential) &&
		SameDate(slot, PS_LAST_ACTIVE, p->last_active) &&
		SameInt(slot, PS_FREQUENCY, p->frequency, 8) &&
		SameInt(slot, PS_PRODUCTS, p->products, 4);
}

/* one party_score row of the model: keep it, change it, or delete it */
static void
DiffRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	ScoreDiff  *d = (ScoreDiff *) arg;
	int64		party_id = DatumGetInt64(slot->tts_values[PS_PARTY - 1]);
	ScoreParty *p = ScoreRunFindParty(run, party_id);
	uint32		i;

	if (p == NULL)
	{
		if (d->ngone == d->maxgone)
		{
			d->gone = ScoreGrow(d->gone, sizeof(int64) * d->maxgone, sizeof(int64) * d->maxgone * 2);
			d->maxgone *= 2;
		}
		d->gone[d->ngone++] = party_id;
		return;
	}
	i = p - run->parties;
	if (d->has_row[i])
		elog(ERROR, "party_score holds two rows of party %lld under model \"%s\"",
			 (long long) p->party_id, run->m.name);
	d->has_row[i] = true;
	if (d->tids != NULL)
	{
		d->tids[i] = slot->tts_tid;
		d->tids_valid = d->tids_valid && ItemPointerIsValid(&slot->tts_tid);
	}
	if (!ScoreUnchanged(slot, p, &d->stored[i]))
		d->changed[d->nchanged++] = i;
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
 * The columns a run writes: the recorded ones (party_score and
 * score_history both hold them), then those of party_score only.
 */
enum
{
	W_PARTY, W_MODEL, W_SCORED_ON, W_CONTRIBUTION, W_VALUE_SCORE, W_VALUE_TIER, W_WEALTH_TIER,
	W_RFM_R, W_RFM_F, W_RFM_M, W_CLV, W_AUM, W_NHISTORY,
	W_COMPUTED_AT = W_NHISTORY, W_RETENTION, W_GROWTH, W_POTENTIAL, W_LAST_ACTIVE, W_FREQUENCY,
	W_PRODUCTS, W_NSCORE
};
static const char *const w_names[W_NSCORE] = {
	"party_id", "model", "scored_on", "contribution", "value_score", "value_tier", "wealth_tier",
	"rfm_r", "rfm_f", "rfm_m", "clv", "aum", "computed_at", "retention", "growth", "potential",
	"last_active_on", "frequency", "products"
};

/*
 * A statement that writes rows of one table, and its batch.  The rows are
 * passed as one array of the table's row type ($3), which the statement
 * unnests: one set-returning function, whose rows need no conversion to
 * the columns' types.
 */
typedef struct ScoreWrite
{
	char	   *sql;
	int			ncols;			/* W_NHISTORY or W_NSCORE */
	Oid			rowtype;
	TupleDesc	desc;
	AttrNumber	att[W_NSCORE];	/* of the columns written */
	Datum	   *values;			/* a row being formed */
	bool	   *nulls;
	Datum	   *rows;			/* the batch */
	Datum	   *tids;			/* their rows' (updates by row) */
	int			n;
	int			batch;			/* rows a statement */
	int			spi_ok;
	int64		written;
	Datum		model;
	Datum		as_of;
	Datum		now;
	MemoryContext cxt;			/* of a batch's rows */
	ScoreDirect *direct;		/* row by row, not by SQL (direct.c) */
} ScoreWrite;

/*
 * WriteInit
 *		The statement that writes rows of table (party_score: ncols =
 *		W_NSCORE; score_history: W_NHISTORY), batch rows at a time.  With
 *		update, each row sets the columns written of the row of its key
 *		(model $1, scored_on $2 for score_history, party_id); else it is
 *		inserted.
 */
static void
WriteInit(ScoreWrite *w, ScoreRun *run, const char *table, int ncols, bool update, bool bytid,
		  int batch, TablePlace place)
{
	StringInfoData q;
	Oid			relid = get_relname_relid(table, run->nsp);
	TupleDesc	rowdesc;
	int			i;

	if (!OidIsValid(relid))
		elog(ERROR, "table %s.%s is missing", get_namespace_name(run->nsp), table);
	memset(w, 0, sizeof(ScoreWrite));
	w->batch = Max(batch, 1);
	w->ncols = ncols;
	w->rowtype = get_rel_type_id(relid);
	rowdesc = lookup_rowtype_tupdesc(w->rowtype, -1);
	w->desc = CreateTupleDescCopy(rowdesc);
	ReleaseTupleDesc(rowdesc);
	w->desc->tdtypeid = w->rowtype;
	w->desc->tdtypmod = -1;
	for (i = 0; i < ncols; i++)
	{
		int			j;

		w->att[i] = InvalidAttrNumber;
		for (j = 0; j < w->desc->natts; j++)
			if (!TupleDescAttr(w->desc, j)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(w->desc, j)->attname), w_names[i]) == 0)
				w->att[i] = j + 1;
		if (w->att[i] == InvalidAttrNumber)
			elog(ERROR, "column %s.%s is missing", table, w_names[i]);
	}
	w->values = palloc(sizeof(Datum) * w->desc->natts);
	w->nulls = palloc(sizeof(bool) * w->desc->natts);
	w->rows = palloc_extended(sizeof(Datum) * w->batch, MCXT_ALLOC_HUGE);
	if (bytid)
		w->tids = palloc_extended(sizeof(Datum) * w->batch, MCXT_ALLOC_HUGE);
	w->model = CStringGetTextDatum(run->m.name);
	w->as_of = DateADTGetDatum(run->as_of);
	w->now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());

	initStringInfo(&q);
	if (update && place == PLACE_CITUS)
	{
		/*
		 * an update by key of a distributed table would send the whole batch
		 * to every shard: an upsert sends each row to its own shard (the row
		 * exists: the run read it)
		 */
		appendStringInfo(&q, "INSERT INTO %s.%s AS t (", ScoreNspName(run), table);
		for (i = 0; i < ncols; i++)
			appendStringInfo(&q, "%s%s", i > 0 ? ", " : "", w_names[i]);
		appendStringInfoString(&q, ") SELECT ");
		for (i = 0; i < ncols; i++)
			appendStringInfo(&q, "%su.%s", i > 0 ? ", " : "", w_names[i]);
		appendStringInfo(&q, " FROM pg_catalog.unnest($3) AS u"
						 " ON CONFLICT (party_id, model%s) DO UPDATE SET ",
						 ncols == W_NSCORE ? "" : ", scored_on");
		for (i = W_SCORED_ON; i < ncols; i++)
			appendStringInfo(&q, "%s%s = EXCLUDED.%s", i > W_SCORED_ON ? ", " : "", w_names[i], w_names[i]);
		w->spi_ok = SPI_OK_INSERT;
	}
	else if (update)
	{
		appendStringInfo(&q, "UPDATE %s.%s AS t SET ", ScoreNspName(run), table);
		for (i = W_SCORED_ON; i < ncols; i++)
			appendStringInfo(&q, "%s%s = u.%s", i > W_SCORED_ON ? ", " : "", w_names[i], w_names[i]);
		if (bytid)
			appendStringInfoString(&q, " FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u"
								   " WHERE t.ctid OPERATOR(pg_catalog.=) u.unnest AND");
		else
			appendStringInfoString(&q, " FROM pg_catalog.unnest($3) AS u WHERE");
		appendStringInfo(&q, " t.model OPERATOR(pg_catalog.=) $1%s AND t.party_id OPERATOR(pg_catalog.=) u.party_id",
						 ncols == W_NSCORE ? "" : " AND t.scored_on OPERATOR(pg_catalog.=) $2");
		w->spi_ok = SPI_OK_UPDATE;
	}
	else
	{
		appendStringInfo(&q, "INSERT INTO %s.%s (", ScoreNspName(run), table);
		for (i = 0; i < ncols; i++)
			appendStringInfo(&q, "%s%s", i > 0 ? ", " : "", w_names[i]);
		appendStringInfoString(&q, ") SELECT ");
		for (i = 0; i < ncols; i++)
			appendStringInfo(&q, "%su.%s", i > 0 ? ", " : "", w_names[i]);
		appendStringInfoString(&q, " FROM pg_catalog.unnest($3) AS u");
		w->spi_ok = SPI_OK_INSERT;
	}
	w->sql = q.data;
	w->cxt = AllocSetContextCreate(CurrentMemoryContext, "bankcrm score batch", ALLOCSET_DEFAULT_SIZES);
	/* a plain table here: row by row when no statement is needed (an update by its ctid) */
	if (place == PLACE_HERE && (bytid || !update))
		w->direct = ScoreDirectBegin(relid, update ? CMD_UPDATE : CMD_INSERT, w->att, ncols);
}

/* write the batch */
static void
WriteFlush(ScoreWrite *w)
{
	MemoryContext old;
	Oid			types[4];
	Datum		args[4];
	int			nest = -1;

	if (w->n == 0)
		return;
	old = MemoryContextSwitchTo(w->cxt);
	types[0] = TEXTOID;
	args[0] = w->model;
	types[1] = DATEOID;
	args[1] = w->as_of;
	types[2] = get_array_type(w->rowtype);
	args[2] = PointerGetDatum(construct_array(w->rows, w->n, w->rowtype, -1, false, TYPALIGN_DOUBLE));
	if (w->tids != NULL)
	{
		types[3] = TIDARRAYOID;
		args[3] = PointerGetDatum(construct_array(w->tids, w->n, TIDOID, sizeof(ItemPointerData), false,
												  TYPALIGN_SHORT));
		/*
		 * each row by its tid: not a join that reads every row of the table
		 * (and no JIT for the cost that disabling the joins adds)
		 */
		nest = NewGUCNestLevel();
		(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	/* a BEFORE trigger may skip a row: the rows given are counted */
	if (SPI_execute_with_args(w->sql, w->tids != NULL ? 4 : 3, types, args, NULL, false, 0) != w->spi_ok)
		elog(ERROR, "could not write the scores");
	if (nest >= 0)
		AtEOXact_GUC(true, nest);
	w->written += w->n;
	MemoryContextSwitchTo(old);
	MemoryContextReset(w->cxt);
	w->n = 0;
}

static inline void
WSet(ScoreWrite *w, int col, Datum d, bool isnull)
{
	w->values[w->att[col] - 1] = d;
	w->nulls[w->att[col] - 1] = isnull;
}

/* add a party's row to the batch */
static void
WriteParty(ScoreWrite *w, const ScoreParty *p, const StoredScore *st, ItemPointer tid)
{
	static Datum value_tiers[SCORE_NVALUE_TIERS];
	static Datum wealth_tiers[SCORE_NWEALTH_TIERS];
	MemoryContext old;
	HeapTuple	tup;

	if (value_tiers[0] == (Datum) 0)
	{
		int			k;

		old = MemoryContextSwitchTo(TopMemoryContext);
		for (k = 0; k < SCORE_NVALUE_TIERS; k++)
			value_tiers[k] = CStringGetTextDatum(score_value_tier_names[k]);
		for (k = 0; k < SCORE_NWEALTH_TIERS; k++)
			wealth_tiers[k] = CStringGetTextDatum(score_wealth_tier_names[k]);
		MemoryContextSwitchTo(old);
	}
	old = MemoryContextSwitchTo(w->cxt);
	memset(w->nulls, true, sizeof(bool) * w->desc->natts);
	WSet(w, W_PARTY, Int64GetDatum(p->party_id), false);
	WSet(w, W_MODEL, w->model, false);
	WSet(w, W_SCORED_ON, w->as_of, false);
	WSet(w, W_CONTRIBUTION, ScoreCentsDatum(st->contribution), false);
	WSet(w, W_VALUE_SCORE, Int32GetDatum(p->value_score), false);
	WSet(w, W_VALUE_TIER, value_tiers[p->value_tier], false);
	WSet(w, W_WEALTH_TIER, p->wealth_tier < 0 ? (Datum) 0 : wealth_tiers[p->wealth_tier], p->wealth_tier < 0);
	WSet(w, W_RFM_R, Int16GetDatum(p->rfm[0]), false);
	WSet(w, W_RFM_F, Int16GetDatum(p->rfm[1]), false);
	WSet(w, W_RFM_M, Int16GetDatum(p->rfm[2]), false);
	WSet(w, W_CLV, ScoreCentsDatum(st->clv), false);
	WSet(w, W_AUM, ScoreCentsDatum(st->aum), false);
	if (w->ncols == W_NSCORE)
	{
		WSet(w, W_COMPUTED_AT, w->now, false);
		WSet(w, W_RETENTION, Float8GetDatum(p->retention), false);
		WSet(w, W_GROWTH, Float8GetDatum(p->growth), false);
		WSet(w, W_POTENTIAL, Float8GetDatum(p->potential), false);
		WSet(w, W_LAST_ACTIVE, DateADTGetDatum(p->last_active), p->last_active == NO_DATE);
		WSet(w, W_FREQUENCY, Int64GetDatum(p->frequency), false);
		WSet(w, W_PRODUCTS, Int32GetDatum(p->products), false);
	}
	if (w->direct != NULL)
	{
		if (tid != NULL)
			ScoreDirectUpdate(w->direct, tid, w->att, w->ncols, w->values, w->nulls);
		else
			ScoreDirectInsert(w->direct, w->values, w->nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(w->cxt);
		w->written++;
		return;
	}
	tup = heap_form_tuple(w->desc, w->values, w->nulls);
	w->rows[w->n] = HeapTupleGetDatum(tup);
	if (w->tids != NULL)
		w->tids[w->n] = PointerGetDatum(tid);
	MemoryContextSwitchTo(old);
	if (++w->n == w->batch)
		WriteFlush(w);
}

/* write what is left and end the writer */
static void
WriteDone(ScoreWrite *w)
{
	WriteFlush(w);
	ScoreDirectEnd(w->direct);
	w->direct = NULL;
}

/* delete the model's party_score rows of the parties gone */
static void
DeleteGone(ScoreRun *run, ScoreDiff *d)
{
	Oid			types[2] = {TEXTOID, INT8ARRAYOID};
	Datum		args[2];
	char	   *sql = psprintf("DELETE FROM %s.party_score WHERE model OPERATOR(pg_catalog.=) $1 "
							   "AND party_id OPERATOR(pg_catalog.=) ANY ($2)", ScoreNspName(run));
	uint32		i;

	args[0] = CStringGetTextDatum(run->m.name);
	for (i = 0; i < d->ngone; i += STORE_BATCH)
	{
		int			n = Min(d->ngone - i, STORE_BATCH);
		Datum	   *ids = palloc(sizeof(Datum) * n);
		int			k;

		for (k = 0; k < n; k++)
			ids[k] = Int64GetDatum(d->gone[i + k]);
		args[1] = ScoreArrayOf(ids, NULL, n, INT8OID);
		if (SPI_execute_with_args(sql, 2, types, args, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete the scores of parties no longer scored");
		pfree(DatumGetPointer(args[1]));
		pfree(ids);
	}
}

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
	ScoreDiff	d;
	ScoreWrite	w;
	TablePlace	place;
	bool		bytid;
	uint32		i;

	/* party_score: which rows to delete, update or keep */
	INSTR_TIME_SET_CURRENT(start);
	memset(&d, 0, sizeof(d));
	d.stored = stored;
	d.has_row = ScoreAlloc(sizeof(bool) * Max(run->nparties, 1));
	d.changed = ScoreAlloc(sizeof(uint32) * Max(run->nparties, 1));
	d.maxgone = 1024;
	d.gone = ScoreAlloc(sizeof(int64) * d.maxgone);
	place = ScoreTablePlace(run, "party_score");
	bytid = place == PLACE_HERE;
	if (bytid)
	{
		d.tids = ScoreAlloc(sizeof(ItemPointerData) * Max(run->nparties, 1));
		d.tids_valid = true;
	}
	ScoreReadTable(run, "party_score", true, PS_COLUMNS, PS_NCOLS, DiffRow, &d);
	/* rows that came projected carry no ctid: then by key */
	bytid = bytid && d.tids_valid;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	DeleteGone(run, &d);
	counts->deleted = d.ngone;
	WriteInit(&w, run, "party_score", W_NSCORE, true, bytid, STORE_BATCH, place);
	for (i = 0; i < d.nchanged; i++)
		WriteParty(&w, &run->parties[d.changed[i]], &stored[d.changed[i]],
				   bytid ? &d.tids[d.changed[i]] : NULL);
	WriteDone(&w);
	counts->updated = w.written;
	WriteInit(&w, run, "party_score", W_NSCORE, false, false, STORE_BATCH, place);
	for (i = 0; i < run->nparties; i++)
	{
		if (d.has_row[i])
			continue;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		WriteParty(&w, &run->parties[i], &stored[i], NULL);
	}
	WriteDone(&w);
	counts->inserted = w.written;
	INSTR_TIME_SET_CURRENT(mid);

	/*
	 * score_history: a row when the recorded scores change; a rescore of the
	 * same day updates that day's row
	 */
	{
		ScoreWrite	wi;

		WriteInit(&w, run, "score_history", W_NHISTORY, true, false, STORE_BATCH, ScoreTablePlace(run, "score_history"));
		WriteInit(&wi, run, "score_history", W_NHISTORY, false, false, STORE_BATCH, ScoreTablePlace(run, "score_history"));
		for (i = 0; i < run->nparties; i++)
		{
			ScoreParty *p = &run->parties[i];

			ProgressTick();
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (p->rec.day != NO_DATE &&
				!HistoryChanged(p, &stored[i], &run->m, p->rec.day == run->as_of))
				continue;
			WriteParty(p->rec.day == run->as_of ? &w : &wi, p, &stored[i], NULL);
		}
		WriteDone(&w);
		WriteDone(&wi);
		counts->h_updated = w.written;
		counts->h_inserted = wi.written;
	}
	SPI_finish();
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
	{
		char	   *lock = psprintf("LOCK TABLE %s.party_score, %s.score_history IN SHARE ROW EXCLUSIVE MODE",
									ScoreNspName(&run), ScoreNspName(&run));

		if (SPI_execute(lock, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not lock the scores");
	}
	SPI_finish();
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());

	INSTR_TIME_SET_CURRENT(start);
	ProgressBegin("score_all", "reading the bank", 0);
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
	ProgressPhase("storing the scores", run.nparties);
	StoreScores(&run, stored, &counts);
	PopActiveSnapshot();
	CommandCounterIncrement();
	/* a tenth of the rows or more written: what reads them next is planned on fresh statistics */
	if ((counts.inserted + counts.updated + counts.deleted) * 10 >= Max(counts.parties, 1))
		ScoreAnalyze(&run, "party_score");
	if ((counts.h_inserted + counts.h_updated) * 10 >= Max(counts.parties, 1))
		ScoreAnalyze(&run, "score_history");

	if (PG_ARGISNULL(2) || PG_GETARG_BOOL(2))
	{
		int8	   *tiers = ScoreAlloc(sizeof(int8) * run.nparties);

		for (i = 0; i < run.nparties; i++)
			tiers[i] = run.parties[i].value_tier;
		counts.affinity = ScoreAffinityStore(&run, tiers);
	}
	LogRun(&run, &counts, started);
	ScoreRunEnd(&run);
	ProgressEnd();

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

/*
 * score_preview
 *		SQL score_preview(model text, as_of date) returns setof the scores
 *		score_all() would store for every party that is not closed.
 */
PG_FUNCTION_INFO_V1(score_preview);
Datum
score_preview(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext runcxt;
	MemoryContext old;
	ScoreRun	run;
	Datum		model_d;
	Datum		vt_d[SCORE_NVALUE_TIERS];
	Datum		wt_d[SCORE_NWEALTH_TIERS];
	uint32		i;
	int			k;

	InitMaterializedSRF(fcinfo, 0);
	runcxt = AllocSetContextCreate(CurrentMemoryContext, "bankcrm score run", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(runcxt);
	ScoreRunInit(&run, fcinfo);
	ScoreRunModel(&run, PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	ScoreRunCompute(&run);
	ScoreRunEnd(&run);

	model_d = CStringGetTextDatum(run.m.name);
	for (k = 0; k < SCORE_NVALUE_TIERS; k++)
		vt_d[k] = CStringGetTextDatum(score_value_tier_names[k]);
	for (k = 0; k < SCORE_NWEALTH_TIERS; k++)
		wt_d[k] = CStringGetTextDatum(score_wealth_tier_names[k]);
	for (i = 0; i < run.nparties; i++)
	{
		ScoreParty *p = &run.parties[i];
		Datum		v[17];
		bool		n[17] = {0};

		v[0] = Int64GetDatum(p->party_id);
		v[1] = model_d;
		v[2] = ScoreCentsDatum(ScoreDoubleToCents(p->contribution, "contribution"));
		v[3] = Int32GetDatum(p->value_score);
		v[4] = vt_d[p->value_tier];
		if (p->wealth_tier >= 0)
			v[5] = wt_d[p->wealth_tier];
		else
			n[5] = true;
		v[6] = Int16GetDatum(p->rfm[0]);
		v[7] = Int16GetDatum(p->rfm[1]);
		v[8] = Int16GetDatum(p->rfm[2]);
		v[9] = ScoreCentsDatum(ScoreDoubleToCents(p->clv, "clv"));
		v[10] = ScoreCentsDatum(p->aum);
		v[11] = Float8GetDatum(p->retention);
		v[12] = Float8GetDatum(p->growth);
		v[13] = Float8GetDatum(p->potential);
		v[14] = Int32GetDatum(p->recency);
		v[15] = Int64GetDatum(p->frequency);
		v[16] = Int32GetDatum(p->products);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
