/*-------------------------------------------------------------------------
 *
 * score_store.c
 *	  score_all(): compute every party's scores and store what changed.
 *
 * A run holds the model's advisory lock (one run per model at a time) and
 * SHARE ROW EXCLUSIVE locks on party_score and score_history (LOCK TABLE,
 * which Citus takes on the shards too), taken before its snapshot: readers
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
 * with the new scores in C; what must change is then written by SQL, a
 * batch of rows at a time passed as arrays: a DELETE of the parties gone,
 * an INSERT ... ON CONFLICT DO UPDATE of the changed rows (the key finds
 * each; only the columns score_all writes are set), a plain INSERT of the
 * new ones.  So constraints, indexes, triggers, privileges and row-level
 * security work as for any statement, and the same statements run on a
 * partitioned party_score or on one that Citus distributes by party_id.
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

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "score_run.h"

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
	int64	   *gone;			/* party_ids whose row must go */
	uint32		ngone;
	uint32		maxgone;
} ScoreDiff;

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

/* a one-dimensional array of n values */
static Datum
ArrayOf(Datum *values, bool *nulls, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, type, typlen, typbyval, typalign));
}

/*
 * The columns of a written row, in the order of the arrays the statements
 * take: the recorded ones (party_score and score_history both hold them),
 * then those of party_score only.
 */
enum
{
	W_PARTY, W_CONTRIBUTION, W_VALUE_SCORE, W_VALUE_TIER, W_WEALTH_TIER, W_RFM_R, W_RFM_F,
	W_RFM_M, W_CLV, W_AUM, W_NHISTORY,
	W_RETENTION = W_NHISTORY, W_GROWTH, W_POTENTIAL, W_LAST_ACTIVE, W_FREQUENCY, W_PRODUCTS,
	W_NSCORE
};
static const Oid w_types[W_NSCORE] = {
	INT8OID, NUMERICOID, INT4OID, TEXTOID, TEXTOID, INT2OID, INT2OID, INT2OID, NUMERICOID,
	NUMERICOID, FLOAT8OID, FLOAT8OID, FLOAT8OID, DATEOID, INT8OID, INT4OID
};
static const char *const w_names[W_NSCORE] = {
	"party_id", "contribution", "value_score", "value_tier", "wealth_tier", "rfm_r", "rfm_f",
	"rfm_m", "clv", "aum", "retention", "growth", "potential", "last_active_on", "frequency",
	"products"
};

/* a statement that writes rows of one table from arrays, and its batch */
typedef struct ScoreWrite
{
	char	   *sql;
	int			ncols;			/* W_NHISTORY or W_NSCORE */
	int			nfixed;			/* parameters before the arrays */
	Oid			types[3 + W_NSCORE];
	Datum		args[3 + W_NSCORE];
	Datum	   *values[W_NSCORE];
	bool	   *nulls[W_NSCORE];
	int			n;
	int			spi_ok;
	int64		written;
	MemoryContext cxt;			/* of a batch's values */
} ScoreWrite;

/*
 * WriteInit
 *		The statement that writes table from arrays of the columns of
 *		w_names (ncols of them): score_history's rows carry scored_on ($2),
 *		party_score's computed_at ($2) and scored_on ($3); model is $1.
 *		With conflict, a row whose key is there updates it (upsert).
 */
static void
WriteInit(ScoreWrite *w, ScoreRun *run, const char *table, int ncols, const char *conflict)
{
	StringInfoData q;
	int			i;

	memset(w, 0, sizeof(ScoreWrite));
	w->ncols = ncols;
	w->nfixed = ncols == W_NSCORE ? 3 : 2;
	w->types[0] = TEXTOID;
	w->args[0] = CStringGetTextDatum(run->m.name);
	if (ncols == W_NSCORE)
	{
		w->types[1] = TIMESTAMPTZOID;
		w->args[1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		w->types[2] = DATEOID;
		w->args[2] = DateADTGetDatum(run->as_of);
	}
	else
	{
		w->types[1] = DATEOID;
		w->args[1] = DateADTGetDatum(run->as_of);
	}
	for (i = 0; i < ncols; i++)
	{
		w->types[w->nfixed + i] = get_array_type(w_types[i]);
		w->values[i] = palloc(sizeof(Datum) * STORE_BATCH);
		w->nulls[i] = palloc0(sizeof(bool) * STORE_BATCH);
	}

	initStringInfo(&q);
	appendStringInfo(&q, "INSERT INTO %s.%s AS t (model, %s", ScoreNspName(run), table,
					 ncols == W_NSCORE ? "computed_at, scored_on" : "scored_on");
	for (i = 0; i < ncols; i++)
		appendStringInfo(&q, ", %s", w_names[i]);
	appendStringInfo(&q, ") SELECT $1, $2, %s", ncols == W_NSCORE ? "$3, " : "");
	for (i = 0; i < ncols; i++)
		appendStringInfo(&q, "%su.%s", i > 0 ? ", " : "", w_names[i]);
	appendStringInfoString(&q, " FROM ROWS FROM (");
	for (i = 0; i < ncols; i++)
		appendStringInfo(&q, "%spg_catalog.unnest($%d)", i > 0 ? ", " : "", w->nfixed + 1 + i);
	appendStringInfoString(&q, ") AS u (");
	for (i = 0; i < ncols; i++)
		appendStringInfo(&q, "%s%s", i > 0 ? ", " : "", w_names[i]);
	appendStringInfoChar(&q, ')');
	if (conflict != NULL)
	{
		appendStringInfo(&q, " ON CONFLICT (%s) DO UPDATE SET %s", conflict,
						 ncols == W_NSCORE ? "computed_at = excluded.computed_at, scored_on = excluded.scored_on"
						 : "scored_on = excluded.scored_on");
		for (i = 1; i < ncols; i++)
			appendStringInfo(&q, ", %s = excluded.%s", w_names[i], w_names[i]);
	}
	w->sql = q.data;
	w->spi_ok = SPI_OK_INSERT;
	w->cxt = AllocSetContextCreate(CurrentMemoryContext, "bankcrm score batch", ALLOCSET_DEFAULT_SIZES);
}

/* write the batch */
static void
WriteFlush(ScoreWrite *w)
{
	MemoryContext old;
	int			i;

	if (w->n == 0)
		return;
	old = MemoryContextSwitchTo(w->cxt);
	for (i = 0; i < w->ncols; i++)
		w->args[w->nfixed + i] = ArrayOf(w->values[i], w->nulls[i], w->n, w_types[i]);
	/* a BEFORE trigger may skip a row: the rows given are counted */
	if (SPI_execute_with_args(w->sql, w->nfixed + w->ncols, w->types, w->args, NULL, false, 0) != w->spi_ok)
		elog(ERROR, "could not write the scores");
	w->written += w->n;
	MemoryContextSwitchTo(old);
	MemoryContextReset(w->cxt);
	w->n = 0;
}

/* add a party's row to the batch */
static void
WriteParty(ScoreWrite *w, const ScoreParty *p, const StoredScore *st)
{
	static Datum value_tiers[SCORE_NVALUE_TIERS];
	static Datum wealth_tiers[SCORE_NWEALTH_TIERS];
	MemoryContext old;
	int			k = w->n;

	if (value_tiers[0] == (Datum) 0)
	{
		old = MemoryContextSwitchTo(TopMemoryContext);
		for (k = 0; k < SCORE_NVALUE_TIERS; k++)
			value_tiers[k] = CStringGetTextDatum(score_value_tier_names[k]);
		for (k = 0; k < SCORE_NWEALTH_TIERS; k++)
			wealth_tiers[k] = CStringGetTextDatum(score_wealth_tier_names[k]);
		MemoryContextSwitchTo(old);
		k = w->n;
	}
	old = MemoryContextSwitchTo(w->cxt);
	w->values[W_PARTY][k] = Int64GetDatum(p->party_id);
	w->values[W_CONTRIBUTION][k] = ScoreCentsDatum(st->contribution);
	w->values[W_VALUE_SCORE][k] = Int32GetDatum(p->value_score);
	w->values[W_VALUE_TIER][k] = value_tiers[p->value_tier];
	w->nulls[W_WEALTH_TIER][k] = p->wealth_tier < 0;
	w->values[W_WEALTH_TIER][k] = p->wealth_tier < 0 ? (Datum) 0 : wealth_tiers[p->wealth_tier];
	w->values[W_RFM_R][k] = Int16GetDatum(p->rfm[0]);
	w->values[W_RFM_F][k] = Int16GetDatum(p->rfm[1]);
	w->values[W_RFM_M][k] = Int16GetDatum(p->rfm[2]);
	w->values[W_CLV][k] = ScoreCentsDatum(st->clv);
	w->values[W_AUM][k] = ScoreCentsDatum(st->aum);
	if (w->ncols == W_NSCORE)
	{
		w->values[W_RETENTION][k] = Float8GetDatum(p->retention);
		w->values[W_GROWTH][k] = Float8GetDatum(p->growth);
		w->values[W_POTENTIAL][k] = Float8GetDatum(p->potential);
		w->nulls[W_LAST_ACTIVE][k] = p->last_active == NO_DATE;
		w->values[W_LAST_ACTIVE][k] = DateADTGetDatum(p->last_active);
		w->values[W_FREQUENCY][k] = Int64GetDatum(p->frequency);
		w->values[W_PRODUCTS][k] = Int32GetDatum(p->products);
	}
	MemoryContextSwitchTo(old);
	if (++w->n == STORE_BATCH)
		WriteFlush(w);
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
		args[1] = ArrayOf(ids, NULL, n, INT8OID);
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
	char	   *sql;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(run->m.name)};
	uint32		i;

	/* party_score: which rows to delete, update or keep */
	INSTR_TIME_SET_CURRENT(start);
	memset(&d, 0, sizeof(d));
	d.stored = stored;
	d.has_row = ScoreAlloc(sizeof(bool) * Max(run->nparties, 1));
	d.changed = ScoreAlloc(sizeof(uint32) * Max(run->nparties, 1));
	d.maxgone = 1024;
	d.gone = ScoreAlloc(sizeof(int64) * d.maxgone);
	sql = psprintf("SELECT party_id, contribution, value_score, value_tier, wealth_tier, rfm_r, rfm_f, rfm_m, "
				   "clv, aum, retention, growth, potential, last_active_on, frequency, products "
				   "FROM %s.party_score WHERE model OPERATOR(pg_catalog.=) $1", ScoreNspName(run));
	ScoreQuery(run, sql, PS_NCOLS, 1, argtypes, args, DiffRow, &d);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	DeleteGone(run, &d);
	counts->deleted = d.ngone;
	WriteInit(&w, run, "party_score", W_NSCORE, "party_id, model");
	for (i = 0; i < d.nchanged; i++)
		WriteParty(&w, &run->parties[d.changed[i]], &stored[d.changed[i]]);
	WriteFlush(&w);
	counts->updated = w.written;
	WriteInit(&w, run, "party_score", W_NSCORE, NULL);
	for (i = 0; i < run->nparties; i++)
	{
		if (d.has_row[i])
			continue;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		WriteParty(&w, &run->parties[i], &stored[i]);
	}
	WriteFlush(&w);
	counts->inserted = w.written;
	INSTR_TIME_SET_CURRENT(mid);

	/*
	 * score_history: a row when the recorded scores change; a rescore of the
	 * same day updates that day's row
	 */
	{
		ScoreWrite	wi;

		WriteInit(&w, run, "score_history", W_NHISTORY, "party_id, model, scored_on");
		WriteInit(&wi, run, "score_history", W_NHISTORY, NULL);
		for (i = 0; i < run->nparties; i++)
		{
			ScoreParty *p = &run->parties[i];

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (p->rec.day != NO_DATE &&
				!HistoryChanged(p, &stored[i], &run->m, p->rec.day == run->as_of))
				continue;
			WriteParty(p->rec.day == run->as_of ? &w : &wi, p, &stored[i]);
		}
		WriteFlush(&w);
		WriteFlush(&wi);
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

		for (i = 0; i < run.nparties; i++)
			tiers[i] = run.parties[i].value_tier;
		counts.affinity = ScoreAffinityStore(&run, tiers);
	}
	LogRun(&run, &counts, started);
	ScoreRunEnd(&run);

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
