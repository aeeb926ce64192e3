/*-------------------------------------------------------------------------
 *
 * churn_trigger.c
 *	  The series upkeep: the row trigger on activity_weekly that keeps
 *	  bankcrm_churn.churn_series current and marks parties dirty.
 *
 * Two triggers on activity_weekly, both touching only the rows of the
 * parties of the rows they fire for, in tables distributed by the same
 * column (churn_series, churn_dirty, party), and neither reading
 * activity_weekly:
 *
 * - churn_activity_row(), AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW.
 *	 An inserted row is only remembered (party, week, figures) in this
 *	 backend's buffer.  A deleted row's week is taken out of the party's
 *	 series at once (churn_series_drop_week, which trims the series to the
 *	 weeks left and gives NULL when none is), an updated row is taken out
 *	 and laid over again; the party is marked dirty.
 *
 * - churn_activity_flush(), AFTER INSERT FOR EACH STATEMENT, with no
 *	 transition table: it sorts the buffer by party and week and, on one
 *	 node, appends per party the series of its new weeks to
 *	 churn_series_tail (or makes it the party's series when it has none
 *	 yet) and marks the party, all in one statement: a new week rewrites
 *	 no series, so the insert costs little more than the rows' own
 *	 insert.  The monitor folds the appended weeks into the series
 *	 (churn_monitor.c); an update or delete of a row folds them first
 *	 (ChurnRowFold).  Where Citus is installed, one upsert per party lays
 *	 the new weeks over its series (churn_series_merge), as before.
 *
 * activity_weekly has one row per party and week, so the appended weeks
 * never overlap, and the series with its appended weeks
 * (bankcrm_churn.churn_series_now) is the series churn_series_agg would
 * build from the party's rows.
 *
 * Why not a statement trigger with transition tables: Citus cannot run
 * those on a distributed table.  These run on the node that holds the
 * shard, once per shard statement, with the co-located shards of
 * churn_series and churn_dirty on the same node, so their statements stay
 * local there (citus.enable_unsafe_triggers).
 *
 * The buffer lives in a child of TopTransactionContext.  It is dropped
 * when the (sub)transaction that filled it aborts; rows a statement left
 * in it (rows inserted straight into a partition: the statement trigger is
 * the parent's) go with the next flush, and a transaction that would
 * commit with rows still in it fails instead of losing them.
 *
 * Each statement is a plan prepared once per backend and kept
 * (SPI_keepplan); the plan cache re-analyses it when a table it names is
 * dropped and created again.  Both functions are SECURITY DEFINER in SQL:
 * the callers of INSERT need no privilege on the derived tables.
 *
 * Layer: SQL entry point (the triggers of activity_weekly), with SPI.
 * Calls the series format (churn_series.c), the storage (churn_store.c)
 * and the worker's wake-up at commit (churn_worker.c), which calls nothing
 * back.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "bankcrm.h"
#include "churn.h"
#include "churn_store.h"
#include "churn_worker.h"

/* the statements of the row trigger, prepared once per backend */
typedef enum ChurnRowPlan
{
	CHURN_PLAN_UPSERT,			/* lay a week over a series, drop another */
	CHURN_PLAN_DROP,			/* take a week out of a series */
	CHURN_PLAN_EMPTY,			/* delete a series with no week left */
	CHURN_PLAN_MARK,			/* mark a party dirty, if it still exists */
	CHURN_PLAN_MARK_NEW,		/* mark the party of a new row dirty */
	CHURN_PLAN_UPSERT_MANY,		/* append new weeks of many parties, mark them */
	CHURN_PLAN_FOLD,			/* fold a party's appended weeks into its series */
	CHURN_PLANS
} ChurnRowPlan;

static SPIPlanPtr ChurnRowPrepare(ChurnRowPlan which, const char *nsp);
static void ChurnRowExec(ChurnRowPlan which, const char *nsp, int nargs, Datum *args,
						 const char *nulls, int expect);
static void ChurnRowAdd(const char *nsp, HeapTuple tuple, TupleDesc desc, bool drop_set, DateADT drop);
static void ChurnRowDrop(const char *nsp, int64 party_id, DateADT week);
static void ChurnRowFold(const char *nsp, Datum party_id);

/* an inserted row, remembered until the statement's end */
typedef struct ChurnPendingRow
{
	int64		party_id;
	int32		wn;
	float4		v[CHURN_METRICS];
} ChurnPendingRow;

static void ChurnPendingAdd(HeapTuple tuple, TupleDesc desc);
static void ChurnPendingFlush(const char *nsp);
static void ChurnPendingForget(void);
static void churn_pending_xact(XactEvent event, void *arg);
static void churn_pending_subxact(SubXactEvent event, SubTransactionId mySubid,
								  SubTransactionId parentSubid, void *arg);
static int	churn_pending_cmp(const void *a, const void *b);
static bool ChurnFlushSetBased(const ChurnPendingRow *rows, int64 n);
static void ChurnFlushMany(const char *nsp, const ChurnPendingRow *rows, int64 n, MemoryContext work);

static SPIPlanPtr churn_row_plans[CHURN_PLANS];

/* the buffer of inserted rows (see the file header) */
static MemoryContext churn_pending_cxt = NULL;
static ChurnPendingRow *churn_pending = NULL;
static int64 churn_pending_n = 0;
static int64 churn_pending_max = 0;
static SubTransactionId churn_pending_subid = InvalidSubTransactionId;
static bool churn_pending_callbacks = false;

/*
 * ChurnRowPrepare
 *		The plan of one statement, prepared and kept on first use.  The
 *		extension's schema is fixed (relocatable = false), so the text of
 *		each statement is the same for the life of the backend.
 */
static SPIPlanPtr
ChurnRowPrepare(ChurnRowPlan which, const char *nsp)
{
	StringInfoData sql;
	Oid			argtypes[5] = {INT8OID, DATEOID, FLOAT4ARRAYOID, InvalidOid, InvalidOid};
	int			nargs = 0;
	SPIPlanPtr	plan;

	if (churn_row_plans[which] != NULL)
		return churn_row_plans[which];
	initStringInfo(&sql);
	switch (which)
	{
		case CHURN_PLAN_UPSERT:
			appendStringInfo(&sql,
							 "INSERT INTO bankcrm_churn.churn_series AS s (party_id, series) VALUES ($1, $3) "
							 "ON CONFLICT (party_id) DO UPDATE SET series = "
							 "%s.churn_series_merge(%s.churn_series_drop_week(s.series, $2), EXCLUDED.series)",
							 nsp, nsp);
			nargs = 3;
			break;
		case CHURN_PLAN_DROP:
			appendStringInfo(&sql,
							 "UPDATE bankcrm_churn.churn_series s "
							 "SET series = %s.churn_series_drop_week(s.series, $2) "
							 "WHERE s.party_id OPERATOR(pg_catalog.=) $1 "
							 "AND %s.churn_series_drop_week(s.series, $2) IS NOT NULL",
							 nsp, nsp);
			nargs = 2;
			break;
		case CHURN_PLAN_EMPTY:
			appendStringInfo(&sql,
							 "DELETE FROM bankcrm_churn.churn_series s "
							 "WHERE s.party_id OPERATOR(pg_catalog.=) $1 "
							 "AND %s.churn_series_drop_week(s.series, $2) IS NULL",
							 nsp);
			nargs = 2;
			break;
		case CHURN_PLAN_MARK_NEW:
			/* a new row's party exists (foreign key) */
			appendStringInfoString(&sql,
								   "INSERT INTO bankcrm_churn.churn_dirty (party_id) VALUES ($1) "
								   "ON CONFLICT (party_id) DO NOTHING");
			nargs = 1;
			break;
		case CHURN_PLAN_MARK:
			/* the party may be going: a cascade from party deletes its rows */
			appendStringInfo(&sql,
							 "INSERT INTO bankcrm_churn.churn_dirty (party_id) "
							 "SELECT p.party_id FROM %s.party p WHERE p.party_id OPERATOR(pg_catalog.=) $1 "
							 "ON CONFLICT (party_id) DO NOTHING",
							 nsp);
			nargs = 1;
			break;
		case CHURN_PLAN_UPSERT_MANY:

			/*
			 * one statement for many parties: each party's new weeks, a
			 * slice of one array, become its series when it has none yet,
			 * and are appended to churn_series_tail otherwise (nothing is
			 * rewritten); the marks in party order (the order in which
			 * concurrent statements lock them)
			 */
			appendStringInfo(&sql,
							 "WITH u AS MATERIALIZED (SELECT u.p, %s.churn_series_slice($5, u.off, u.w0, u.span) AS series "
							 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) "
							 "u(p, w0, span, off)), "
							 "b AS (INSERT INTO bankcrm_churn.churn_series AS s (party_id, series) "
							 "SELECT u.p, u.series FROM u ORDER BY u.p "
							 "ON CONFLICT (party_id) DO NOTHING RETURNING s.party_id), "
							 "t AS (INSERT INTO bankcrm_churn.churn_series_tail (party_id, series) "
							 "SELECT u.p, u.series FROM u "
							 "WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.party_id OPERATOR(pg_catalog.=) u.p)) "
							 "INSERT INTO bankcrm_churn.churn_dirty (party_id) "
							 "SELECT u.p FROM u ORDER BY 1 ON CONFLICT (party_id) DO NOTHING",
							 nsp);
			argtypes[0] = INT8ARRAYOID;
			argtypes[1] = INT4ARRAYOID;
			argtypes[2] = INT4ARRAYOID;
			argtypes[3] = INT4ARRAYOID;
			argtypes[4] = FLOAT4ARRAYOID;
			nargs = 5;
			break;
		case CHURN_PLAN_FOLD:

			/*
			 * the party's appended weeks laid over its series and deleted:
			 * a change of an older row then works on the whole series
			 */
			appendStringInfo(&sql,
							 "WITH t AS (DELETE FROM bankcrm_churn.churn_series_tail x "
							 "WHERE x.party_id OPERATOR(pg_catalog.=) $1 RETURNING x.series) "
							 "UPDATE bankcrm_churn.churn_series s "
							 "SET series = %s.churn_series_merge(s.series, (SELECT %s.churn_series_merge_agg(t.series) FROM t)) "
							 "WHERE s.party_id OPERATOR(pg_catalog.=) $1 AND EXISTS (SELECT 1 FROM t)",
							 nsp, nsp);
			nargs = 1;
			break;
		default:
			elog(ERROR, "unknown churn row statement %d", (int) which);
	}
	plan = SPI_prepare(sql.data, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	churn_row_plans[which] = plan;
	pfree(sql.data);
	return plan;
}

static void
ChurnRowExec(ChurnRowPlan which, const char *nsp, int nargs, Datum *args, const char *nulls, int expect)
{
	int			ret = SPI_execute_plan(ChurnRowPrepare(which, nsp), args, nulls, false, 0);

	if (ret != expect)
		elog(ERROR, "churn series upkeep statement %d returned %d", (int) which, ret);
}

/*
 * ChurnRowFold
 *		Fold the party's appended weeks (churn_series_tail) into its series
 *		before a row of it is changed or deleted.  Where Citus is installed
 *		nothing is appended (ChurnFlushSetBased): nothing to fold.
 */
static void
ChurnRowFold(const char *nsp, Datum party_id)
{
	Datum		args[1];

	if (OidIsValid(get_extension_oid("citus", true)) || !ChurnTailExists())
		return;
	args[0] = party_id;
	ChurnRowExec(CHURN_PLAN_FOLD, nsp, 1, args, NULL, SPI_OK_UPDATE);
}

/*
 * ChurnRowAdd
 *		Lay the row's week over its party's series, after taking the week
 *		"drop" out of it when drop_set (an update that moved the row), and
 *		mark the party dirty.
 */
static void
ChurnRowAdd(const char *nsp, HeapTuple tuple, TupleDesc desc, bool drop_set, DateADT drop)
{
	static const char *const cols[5] = {"party_id", "week", "loan_volume", "txn_volume", "txn_count"};
	bool		isnull[5];
	Datum		d[5];
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	int			i;

	for (i = 0; i < 5; i++)
	{
		d[i] = SPI_getbinval(tuple, desc, SPI_fnumber(desc, cols[i]), &isnull[i]);
		if (isnull[i])
			elog(ERROR, "activity_weekly row with a NULL %s", cols[i]);
	}
	args[0] = d[0];
	args[1] = DateADTGetDatum(drop);
	if (!drop_set)
		nulls[1] = 'n';
	args[2] = PointerGetDatum(ChurnSeriesOneWeek(DatumGetDateADT(d[1]), DatumGetFloat8(d[2]),
												 DatumGetFloat8(d[3]), DatumGetInt32(d[4])));
	ChurnRowFold(nsp, d[0]);
	ChurnRowExec(CHURN_PLAN_UPSERT, nsp, 3, args, nulls, SPI_OK_INSERT);
	ChurnRowExec(CHURN_PLAN_MARK, nsp, 1, args, NULL, SPI_OK_INSERT);
}

/*
 * ChurnRowDrop
 *		Take a week out of a party's series (deleting a series that has no
 *		week left) and mark the party dirty.
 */
static void
ChurnRowDrop(const char *nsp, int64 party_id, DateADT week)
{
	Datum		args[2];

	args[0] = Int64GetDatum(party_id);
	args[1] = DateADTGetDatum(week);
	ChurnRowFold(nsp, args[0]);
	ChurnRowExec(CHURN_PLAN_EMPTY, nsp, 2, args, NULL, SPI_OK_DELETE);
	ChurnRowExec(CHURN_PLAN_DROP, nsp, 2, args, NULL, SPI_OK_UPDATE);
	ChurnRowExec(CHURN_PLAN_MARK, nsp, 1, args, NULL, SPI_OK_INSERT);
}

/*
 * ChurnPendingAdd
 *		Remember an inserted row for the statement's flush.
 */
static void
ChurnPendingAdd(HeapTuple tuple, TupleDesc desc)
{
	static const char *const cols[5] = {"party_id", "week", "loan_volume", "txn_volume", "txn_count"};
	bool		isnull;
	Datum		d[5];
	ArrayType  *one;
	ChurnSeries s;
	ChurnPendingRow *r;
	int			i;

	for (i = 0; i < 5; i++)
	{
		d[i] = SPI_getbinval(tuple, desc, SPI_fnumber(desc, cols[i]), &isnull);
		if (isnull)
			elog(ERROR, "activity_weekly row with a NULL %s", cols[i]);
	}
	if (!churn_pending_callbacks)
	{
		RegisterXactCallback(churn_pending_xact, NULL);
		RegisterSubXactCallback(churn_pending_subxact, NULL);
		churn_pending_callbacks = true;
	}
	if (churn_pending_cxt == NULL)
	{
		churn_pending_cxt = AllocSetContextCreate(TopTransactionContext, "bankcrm churn inserted rows",
												  ALLOCSET_DEFAULT_SIZES);
		churn_pending_max = 1024;
		churn_pending = MemoryContextAllocHuge(churn_pending_cxt, sizeof(ChurnPendingRow) * churn_pending_max);
		churn_pending_n = 0;
		churn_pending_subid = GetCurrentSubTransactionId();
	}
	else if (churn_pending_n == churn_pending_max)
	{
		churn_pending_max *= 2;
		churn_pending = repalloc_huge(churn_pending, sizeof(ChurnPendingRow) * churn_pending_max);
	}

	/* checked and converted as churn_series_agg does */
	one = ChurnSeriesOneWeek(DatumGetDateADT(d[1]), DatumGetFloat8(d[2]), DatumGetFloat8(d[3]),
							 DatumGetInt32(d[4]));
	ChurnSeriesUnpack(one, &s);
	r = &churn_pending[churn_pending_n++];
	r->party_id = DatumGetInt64(d[0]);
	r->wn = s.w0;
	for (i = 0; i < CHURN_METRICS; i++)
		r->v[i] = s.v[i];
	pfree(one);
}

static int
churn_pending_cmp(const void *a, const void *b)
{
	const ChurnPendingRow *x = a;
	const ChurnPendingRow *y = b;

	if (x->party_id != y->party_id)
		return x->party_id < y->party_id ? -1 : 1;
	return x->wn < y->wn ? -1 : (x->wn > y->wn ? 1 : 0);
}

/*
 * ChurnPendingFlush
 *		Write the buffered rows: per party, in party order (the order in
 *		which concurrent statements lock the series), one upsert of the
 *		series of its new weeks and one mark.  Called with SPI connected.
 */
static void
ChurnPendingFlush(const char *nsp)
{
	ChurnPendingRow *rows = churn_pending;
	int64		n = churn_pending_n;
	int64		i = 0;
	MemoryContext work;
	MemoryContext old;

	if (churn_pending_cxt == NULL)
		return;
	/* forget first: an error below must not leave the rows to be written twice */
	churn_pending = NULL;
	churn_pending_n = 0;
	work = AllocSetContextCreate(CurrentMemoryContext, "bankcrm churn flush", ALLOCSET_DEFAULT_SIZES);
	qsort(rows, n, sizeof(ChurnPendingRow), churn_pending_cmp);
	if (ChurnFlushSetBased(rows, n))
	{
		ChurnFlushMany(nsp, rows, n, work);
		i = n;
	}
	while (i < n)
	{
		int64		j = i;
		int			w0 = rows[i].wn;
		int64		span;
		float4	   *v;
		int			m;
		int64		k;
		Datum		args[3];
		char		nulls[3] = {' ', 'n', ' '};

		while (j + 1 < n && rows[j + 1].party_id == rows[i].party_id)
			j++;
		span = (int64) rows[j].wn - w0 + 1;
		if (span > MaxAllocSize / (CHURN_METRICS * sizeof(Datum)))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("churn series spans too many weeks"),
					 errdetail("The weeks span %lld weeks.", (long long) span)));
		old = MemoryContextSwitchTo(work);
		v = palloc(sizeof(float4) * CHURN_METRICS * span);
		for (k = 0; k < CHURN_METRICS * span; k++)
			v[k] = NAN;
		for (k = i; k <= j; k++)
			for (m = 0; m < CHURN_METRICS; m++)
				v[m * span + (rows[k].wn - w0)] = rows[k].v[m];
		args[0] = Int64GetDatum(rows[i].party_id);
		args[1] = (Datum) 0;
		args[2] = PointerGetDatum(ChurnSeriesPack(w0, (int) span, v));
		MemoryContextSwitchTo(old);
		ChurnRowExec(CHURN_PLAN_UPSERT, nsp, 3, args, nulls, SPI_OK_INSERT);
		ChurnRowExec(CHURN_PLAN_MARK_NEW, nsp, 1, args, NULL, SPI_OK_INSERT);
		MemoryContextReset(work);
		i = j + 1;
	}
	MemoryContextDelete(work);
	ChurnPendingForget();
	ChurnWakeMonitorAtCommit();
}

/*
 * ChurnFlushSetBased
 *		Whether the buffered rows are appended to churn_series_tail in
 *		statements of many parties: on one node, once the extension is at
 *		this library's version (release 0.1.0 has no churn_series_tail).  Where Citus is installed,
 *		each party's upsert of its series stays a statement of its own,
 *		which Citus routes to the party's shard on the node that fired the
 *		trigger.
 */
static bool
ChurnFlushSetBased(const ChurnPendingRow *rows, int64 n)
{
	if (n < 1)
		return false;
	return !OidIsValid(get_extension_oid("citus", true)) && ChurnTailExists();
}

/*
 * ChurnFlushMany
 *		Write the sorted rows in statements of up to CHURN_FLUSH_PARTIES
 *		parties: the parties, each one's first week, span and offset, and
 *		one array of every party's new weeks, NaN where a week of its span
 *		has no row (CHURN_PLAN_UPSERT_MANY).
 */
#define CHURN_FLUSH_PARTIES 50000

static void
ChurnFlushMany(const char *nsp, const ChurnPendingRow *rows, int64 n, MemoryContext work)
{
	int64		i = 0;

	while (i < n)
	{
		MemoryContext old = MemoryContextSwitchTo(work);
		int			np = 0;
		int64		nv = 0;
		int64		start = i;
		int64		j;
		Datum	   *pid;
		Datum	   *w0s;
		Datum	   *spans;
		Datum	   *offs;
		float4	   *vals;
		Datum	   *vd;
		Datum		args[5];
		int64		k;
		int			ret;

		/* the parties of this statement and the size of their weeks */
		for (j = i; j < n && np < CHURN_FLUSH_PARTIES; np++)
		{
			int64		e = j;
			int64		span;

			while (e + 1 < n && rows[e + 1].party_id == rows[j].party_id)
				e++;
			span = (int64) rows[e].wn - rows[j].wn + 1;
			if (span > MaxAllocSize / (CHURN_METRICS * sizeof(Datum)) ||
				nv + CHURN_METRICS * span > MaxAllocSize / sizeof(Datum))
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("churn series spans too many weeks"),
						 errdetail("The weeks span %lld weeks.", (long long) span)));
			nv += CHURN_METRICS * span;
			j = e + 1;
		}
		pid = palloc(sizeof(Datum) * np);
		w0s = palloc(sizeof(Datum) * np);
		spans = palloc(sizeof(Datum) * np);
		offs = palloc(sizeof(Datum) * np);
		vals = palloc(sizeof(float4) * nv);
		for (k = 0; k < nv; k++)
			vals[k] = NAN;
		nv = 0;
		j = start;
		for (k = 0; k < np; k++)
		{
			int64		e = j;
			int			w0 = rows[j].wn;
			int64		span;
			int64		r;
			int			m;

			while (e + 1 < n && rows[e + 1].party_id == rows[j].party_id)
				e++;
			span = (int64) rows[e].wn - w0 + 1;
			pid[k] = Int64GetDatum(rows[j].party_id);
			w0s[k] = Int32GetDatum(w0);
			spans[k] = Int32GetDatum((int32) span);
			offs[k] = Int32GetDatum((int32) nv);
			for (r = j; r <= e; r++)
				for (m = 0; m < CHURN_METRICS; m++)
					vals[nv + m * span + (rows[r].wn - w0)] = rows[r].v[m];
			nv += CHURN_METRICS * span;
			j = e + 1;
		}
		vd = palloc(sizeof(Datum) * nv);
		for (k = 0; k < nv; k++)
			vd[k] = Float4GetDatum(vals[k]);
		args[0] = PointerGetDatum(construct_array(pid, np, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[1] = PointerGetDatum(construct_array(w0s, np, INT4OID, sizeof(int32), true, TYPALIGN_INT));
		args[2] = PointerGetDatum(construct_array(spans, np, INT4OID, sizeof(int32), true, TYPALIGN_INT));
		args[3] = PointerGetDatum(construct_array(offs, np, INT4OID, sizeof(int32), true, TYPALIGN_INT));
		args[4] = PointerGetDatum(construct_array(vd, (int) nv, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
		MemoryContextSwitchTo(old);
		ret = SPI_execute_plan(ChurnRowPrepare(CHURN_PLAN_UPSERT_MANY, nsp), args, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "churn series upkeep statement %d returned %d", (int) CHURN_PLAN_UPSERT_MANY, ret);
		MemoryContextReset(work);
		i = j;
	}
}

/*
 * churn_series_slice(values real[], off integer, w0 integer, span integer) -> real[]
 *		The series real[3][w0:w0+span-1] of values[off + 1 .. off + 3 * span]
 *		(metric-major): how the flush passes many parties' new weeks in one
 *		array.
 */
PG_FUNCTION_INFO_V1(churn_series_slice);
Datum
churn_series_slice(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int32		off = PG_GETARG_INT32(1);
	int32		w0 = PG_GETARG_INT32(2);
	int32		span = PG_GETARG_INT32(3);
	int			nitems;

	if (ARR_NDIM(a) != 1 || ARR_ELEMTYPE(a) != FLOAT4OID || ARR_HASNULL(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("churn series values must be a one-dimensional real array without NULLs")));
	nitems = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (span < 1 || off < 0 || (int64) off + (int64) CHURN_METRICS * span > nitems)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("churn series slice out of range"),
				 errdetail("Offset %d and span %d do not lie within %d values.", off, span, nitems)));
	PG_RETURN_ARRAYTYPE_P(ChurnSeriesPack(w0, span, (float4 *) ARR_DATA_PTR(a) + off));
}

/* drop the buffer */
static void
ChurnPendingForget(void)
{
	if (churn_pending_cxt != NULL)
		MemoryContextDelete(churn_pending_cxt);
	churn_pending_cxt = NULL;
	churn_pending = NULL;
	churn_pending_n = 0;
	churn_pending_max = 0;
	churn_pending_subid = InvalidSubTransactionId;
}

/*
 * churn_pending_xact
 *		At the end of a transaction the buffer is gone with
 *		TopTransactionContext; committing with rows still in it would lose
 *		them, so that fails.
 */
static void
churn_pending_xact(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (churn_pending_cxt != NULL && churn_pending_n > 0)
			{
				char		buf[32];

				snprintf(buf, sizeof(buf), "%lld", (long long) churn_pending_n);
				ChurnPendingForget();
				ereport(ERROR,
						(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						 errmsg("churn series of %s inserted activity rows were not written", buf),
						 errdetail("Inserted rows of activity_weekly are written to the churn series at the end of the statement, by a statement trigger of activity_weekly."),
						 errhint("Insert into activity_weekly itself, not into one of its partitions.")));
			}
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* the memory went with TopTransactionContext */
			churn_pending_cxt = NULL;
			churn_pending = NULL;
			churn_pending_n = 0;
			churn_pending_max = 0;
			churn_pending_subid = InvalidSubTransactionId;
					break;
		default:
			break;
	}
}

/* a subtransaction that aborts takes the rows it buffered with it */
static void
churn_pending_subxact(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && churn_pending_cxt != NULL && churn_pending_subid >= mySubid)
		ChurnPendingForget();
}

/*
 * churn_activity_row() -> trigger
 *		AFTER INSERT OR UPDATE OR DELETE ON activity_weekly FOR EACH ROW
 *		(see the file header).
 */
PG_FUNCTION_INFO_V1(churn_activity_row);
Datum
churn_activity_row(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	const char *nsp;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("churn_activity_row: not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("churn_activity_row must be fired AFTER ... FOR EACH ROW")));

	nsp = BankcrmSchemaName();
	desc = RelationGetDescr(trigdata->tg_relation);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		ChurnPendingAdd(trigdata->tg_trigtuple, desc);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	else
	{
		HeapTuple	old = trigdata->tg_trigtuple;
		bool		isnull;
		int64		old_party = DatumGetInt64(SPI_getbinval(old, desc, SPI_fnumber(desc, "party_id"), &isnull));
		DateADT		old_week = DatumGetDateADT(SPI_getbinval(old, desc, SPI_fnumber(desc, "week"), &isnull));

		if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
			ChurnRowDrop(nsp, old_party, old_week);
		else
		{
			HeapTuple	new = trigdata->tg_newtuple;
			int64		new_party = DatumGetInt64(SPI_getbinval(new, desc, SPI_fnumber(desc, "party_id"), &isnull));

			if (new_party == old_party)
				ChurnRowAdd(nsp, new, desc, true, old_week);
			else
			{
				ChurnRowDrop(nsp, old_party, old_week);
				ChurnRowAdd(nsp, new, desc, false, 0);
			}
		}
	}
	SPI_finish();
	ChurnWakeMonitorAtCommit();
	return PointerGetDatum(NULL);
}

/*
 * churn_activity_flush() -> trigger
 *		AFTER INSERT ON activity_weekly FOR EACH STATEMENT: write the rows
 *		the row trigger buffered (see the file header).
 */
PG_FUNCTION_INFO_V1(churn_activity_flush);
Datum
churn_activity_flush(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("churn_activity_flush: not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("churn_activity_flush must be fired AFTER ... FOR EACH STATEMENT")));
	if (churn_pending_cxt == NULL)
		return PointerGetDatum(NULL);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ChurnPendingFlush(BankcrmSchemaName());
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * churn_wake_monitor() -> void
 *		Ask the churn monitor of this database to wake when the current
 *		transaction commits.  A no-op when the library is not preloaded.
 */
PG_FUNCTION_INFO_V1(churn_wake_monitor);
Datum
churn_wake_monitor(PG_FUNCTION_ARGS)
{
	ChurnWakeMonitorAtCommit();
	PG_RETURN_VOID();
}
