/*-------------------------------------------------------------------------
 *
 * direct.c
 *	  Writing score rows through the executor's single-row entry points.
 *
 * A nightly score_all() updates a few hundred thousand party_score rows in
 * place.  Through SQL (an UPDATE ... FROM unnest() of a batch, store.c)
 * each row is formed, packed into an array, unnested, materialised, found
 * again by its ctid and fetched a second time by the update.  When the table
 * is a plain heap on this node and nothing a statement would add applies to
 * the caller, the same write is done here, row by row, with the executor
 * functions that apply a replicated change (ExecSimpleRelationUpdate and
 * ExecSimpleRelationInsert): they check the table's constraints, maintain
 * its indexes (none for a HOT update) and fire its row triggers, as the
 * statement would.
 *
 * "Nothing a statement would add" is checked once, when the writer is set
 * up (ScoreDirectBegin returns NULL otherwise, and the caller writes by
 * SQL): the caller holds the table-wide privilege, row-level security does
 * not apply to it, the table has no statement-level trigger and no trigger
 * with a transition table for the command, and an insert writes every
 * column (so that no default is skipped).  The run's SHARE ROW EXCLUSIVE
 * lock keeps every row where it was read.
 *
 * Layer: storage (src/score/).  Writes through the executor's single-row
 * entry points; calls nothing else of the module.  store.c calls it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/direct.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "score/direct.h"

struct ScoreDirect
{
	Relation	rel;
	CmdType		cmd;
	EState	   *estate;
	ResultRelInfo *rri;
	EPQState	epq;
	TupleTableSlot *oldslot;	/* updates: the row as stored */
	TupleTableSlot *newslot;
};

/*
 * ScoreDirectBegin
 *		A writer of rows of relid for cmd (CMD_UPDATE or CMD_INSERT), or NULL
 *		when the write must go through SQL (see the file header).  An insert
 *		must set the ncols attributes atts.
 */
ScoreDirect *
ScoreDirectBegin(Oid relid, CmdType cmd, const AttrNumber *atts, int ncols)
{
	ScoreDirect *d;
	Relation	rel;
	TriggerDesc *trig;
	RangeTblEntry *rte;
	bool		ok;
	int			i;

	Assert(cmd == CMD_UPDATE || cmd == CMD_INSERT);
	if (get_rel_relkind(relid) != RELKIND_RELATION ||
		pg_class_aclcheck(relid, GetUserId(), cmd == CMD_UPDATE ? ACL_UPDATE : ACL_INSERT) != ACLCHECK_OK ||
		check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return NULL;

	rel = table_open(relid, RowExclusiveLock);
	trig = rel->trigdesc;
	ok = true;
	if (trig != NULL && cmd == CMD_UPDATE)
		ok = !trig->trig_update_before_statement && !trig->trig_update_after_statement &&
			!trig->trig_update_old_table && !trig->trig_update_new_table;
	else if (trig != NULL)
		ok = !trig->trig_insert_before_statement && !trig->trig_insert_after_statement &&
			!trig->trig_insert_new_table;
	if (ok && cmd == CMD_INSERT)
	{
		TupleDesc	desc = RelationGetDescr(rel);
		int			j;

		for (i = 0; ok && i < desc->natts; i++)
		{
			bool		set = TupleDescAttr(desc, i)->attisdropped;

			for (j = 0; !set && j < ncols; j++)
				set = atts[j] == i + 1;
			ok = set;
		}
	}
	if (!ok)
	{
		table_close(rel, RowExclusiveLock);
		return NULL;
	}

	d = palloc0(sizeof(ScoreDirect));
	d->rel = rel;
	d->cmd = cmd;
	d->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = cmd == CMD_UPDATE ? ACL_UPDATE : ACL_INSERT;
	/* the columns set: what "UPDATE OF" triggers and error reports look at */
	for (i = 0; i < ncols; i++)
	{
		int			bit = atts[i] - FirstLowInvalidHeapAttributeNumber;

		if (cmd == CMD_UPDATE)
			rte->updatedCols = bms_add_member(rte->updatedCols, bit);
		else
			rte->insertedCols = bms_add_member(rte->insertedCols, bit);
	}
	ExecInitRangeTable(d->estate, list_make1(rte));
	d->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(d->rri, rel, 1, NULL, 0);
	d->estate->es_output_cid = GetCurrentCommandId(true);
	d->estate->es_snapshot = GetActiveSnapshot();
	ExecOpenIndices(d->rri, false);
	EvalPlanQualInit(&d->epq, d->estate, NULL, NIL, -1);
	d->newslot = ExecInitExtraTupleSlot(d->estate, RelationGetDescr(rel), &TTSOpsVirtual);
	if (cmd == CMD_UPDATE)
		d->oldslot = ExecInitExtraTupleSlot(d->estate, RelationGetDescr(rel),
											table_slot_callbacks(rel));
	AfterTriggerBeginQuery();
	return d;
}

/*
 * ScoreDirectUpdate
 *		Set the ncols attributes atts of the row at tid to values/nulls
 *		(indexed by attribute number - 1, like the row's own arrays).
 */
void
ScoreDirectUpdate(ScoreDirect *d, ItemPointer tid, const AttrNumber *atts, int ncols,
				  const Datum *values, const bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(d->estate));
	int			natts = RelationGetDescr(d->rel)->natts;
	int			i;

	Assert(d->cmd == CMD_UPDATE);
	if (!table_tuple_fetch_row_version(d->rel, tid, SnapshotAny, d->oldslot))
		elog(ERROR, "the score row at (%u,%u) is gone",
			 ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
	slot_getallattrs(d->oldslot);
	ExecClearTuple(d->newslot);
	memcpy(d->newslot->tts_values, d->oldslot->tts_values, sizeof(Datum) * natts);
	memcpy(d->newslot->tts_isnull, d->oldslot->tts_isnull, sizeof(bool) * natts);
	for (i = 0; i < ncols; i++)
	{
		d->newslot->tts_values[atts[i] - 1] = values[atts[i] - 1];
		d->newslot->tts_isnull[atts[i] - 1] = nulls[atts[i] - 1];
	}
	ExecStoreVirtualTuple(d->newslot);
	EvalPlanQualSetSlot(&d->epq, d->oldslot);
	ExecSimpleRelationUpdate(d->rri, d->estate, &d->epq, d->oldslot, d->newslot);
	MemoryContextSwitchTo(old);
	ResetPerTupleExprContext(d->estate);
}

/*
 * ScoreDirectInsert
 *		Insert a row of values/nulls (every column, by attribute number - 1).
 */
void
ScoreDirectInsert(ScoreDirect *d, const Datum *values, const bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(d->estate));
	int			natts = RelationGetDescr(d->rel)->natts;

	Assert(d->cmd == CMD_INSERT);
	ExecClearTuple(d->newslot);
	memcpy(d->newslot->tts_values, values, sizeof(Datum) * natts);
	memcpy(d->newslot->tts_isnull, nulls, sizeof(bool) * natts);
	ExecStoreVirtualTuple(d->newslot);
	ExecSimpleRelationInsert(d->rri, d->estate, d->newslot);
	MemoryContextSwitchTo(old);
	ResetPerTupleExprContext(d->estate);
}

/*
 * ScoreDirectEnd
 *		Fire the queued row triggers, release the writer and make its rows
 *		visible to the statements that follow.
 */
void
ScoreDirectEnd(ScoreDirect *d)
{
	if (d == NULL)
		return;
	AfterTriggerEndQuery(d->estate);
	EvalPlanQualEnd(&d->epq);
	ExecCloseIndices(d->rri);
	/* relations the triggers opened */
	ExecCloseResultRelations(d->estate);
	ExecCloseRangeTableRelations(d->estate);
	ExecResetTupleTable(d->estate->es_tupleTable, false);
	FreeExecutorState(d->estate);
	table_close(d->rel, NoLock);
	pfree(d);
	CommandCounterIncrement();
}
