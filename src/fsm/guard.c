/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  The process engine: the state-column guard trigger, firing events and
 *	  the process history.
 *
 * Firing an event (FsmFire) decides everything on the caller's node: it
 * locks the row (SELECT ... FOR NO KEY UPDATE, by party_id too on a Citus
 * table distributed by it, so that the lock is a single-shard query), reads
 * its state and process, computes the target state from the compiled process
 * and checks the event's roles, updates the row and inserts the history row,
 * all in the caller's transaction.  Concurrent events on the same row
 * serialize on the row lock: the second waits, then reads the state the
 * first committed (READ COMMITTED), or fails with a serialization error
 * (REPEATABLE READ and SERIALIZABLE).
 * The history row is written with the rights of the history table's owner
 * (as ri_triggers.c does for referential checks), so callers need no INSERT
 * privilege on fsm_history and cannot forge history.
 *
 * fsm_guard() is the generic BEFORE INSERT OR UPDATE trigger for state
 * columns: an inserted state must belong to the process, an updated state
 * must be the target of a transition from the old state.  It may run on
 * another node than the caller (a Citus shard), so nothing is passed back:
 * FsmFire's UPDATE writes the new state followed by a mark and the event's
 * time (FSM_FIRE_MARK), which the guard strips before checking the
 * transition like any other; it leaves the history of a marked update to
 * FsmFire.  A valid direct UPDATE is recorded in fsm_history by the guard
 * (once, on the coordinator's copy of a reference table; refused on a
 * worker's shard of a distributed table, where the history row cannot be
 * written inside the shard's transaction).
 *
 * The guarded tables (key column, state column, process, the prepared
 * UPDATE) and the prepared history INSERT are cached per backend in a
 * memory context of their own, rebuilt when the compiled processes of
 * fsm.c have been (FsmCacheGeneration() changed): fsm.c never calls here.
 *
 * Layer: SQL entry points of src/fsm/ (fsm_fire, the fsm_guard trigger) and
 * the C interface for firing an event (guard.h: FsmFire, FsmFireArgs, which
 * campaign.c calls).  Calls fsm.c and bankcrm.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "parser/parse_relation.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "bankcrm.h"
#include "compat.h"
#include "fsm/fsm.h"
#include "fsm/guard.h"
#include "fsm/process.h"

/* a table whose state column is guarded, as seen by FsmFire and the guard */
typedef struct FsmEntity
{
	Oid			relid;			/* hash key */
	bool		fire_ready;		/* plans and guard arguments found */
	char	   *qualname;
	AttrNumber	pk_attno;		/* 0 if no integer row id in the key */
	Oid			pk_type;
	char	   *pk_col;
	char	   *state_col;
	char	   *process;		/* fixed process, or NULL */
	char	   *process_col;	/* column naming the process, or NULL */
	bool		by_party;		/* key (id, party_id): rows addressed with party_id */
	bool		distributed;	/* a Citus table distributed by party_id */
	SPIPlanPtr	party_plan;		/* the row's party_id (distributed tables) */
	SPIPlanPtr	lock_plan;		/* lock the row, read its state and process */
	SPIPlanPtr	update_plan;	/* write the new state, marked as an event */
} FsmEntity;

/*
 * The engine's UPDATE writes the new state followed by this mark and, for an
 * event with an explicit time, the time in microseconds since 2000-01-01:
 * the guard trigger, wherever it runs (on a Citus worker, on every replica
 * of a reference table), strips it, checks the transition like any other
 * and stamps the row, but leaves the history row to FsmFire.  Nothing is
 * passed back from the trigger to the caller.
 */
#define FSM_FIRE_MARK "\x1f" "bankcrm event"


static FsmEntity *fsm_entity_lookup(Oid schema, Relation rel);
static HeapTuple fsm_stamp(Relation rel, HeapTuple tuple, bool at_set, TimestampTz at);
static void fsm_entity_prepare_fire(Oid schema, FsmEntity *e, Relation rel);
static void fsm_write_history(Oid schema, const char *process, Oid relid, int64 id,
							  const char *event, const char *from, const char *to,
							  const char *note, bool at_set, TimestampTz at);
static int32 fsm_citus_placement(Oid logical, bool *reference);

/* file-level state: the cache of guarded tables */
static MemoryContext fsm_entity_cxt = NULL;
static HTAB *fsm_entities = NULL;
static uint64 fsm_entity_generation = 0;	/* of fsm.c's processes it was built at */
static SPIPlanPtr fsm_history_plan = NULL;
static Oid	fsm_history_owner = InvalidOid;

/*
 * fsm_entity_cache_check
 *		Forget the guarded tables and their plans when the compiled processes
 *		have been rebuilt since they were cached.  Called inside an engine
 *		call (after FsmEnter): a rebuild only happens with no engine call on
 *		the stack, so no entity of the old generation is still in use.
 */
static void
fsm_entity_cache_check(void)
{
	HASHCTL		ctl;

	if (fsm_entities != NULL && fsm_entity_generation == FsmCacheGeneration())
		return;
	if (fsm_entities != NULL)
	{
		HASH_SEQ_STATUS status;
		FsmEntity  *e;

		hash_seq_init(&status, fsm_entities);
		while ((e = hash_seq_search(&status)) != NULL)
		{
			if (e->update_plan)
				SPI_freeplan(e->update_plan);
			if (e->lock_plan)
				SPI_freeplan(e->lock_plan);
			if (e->party_plan)
				SPI_freeplan(e->party_plan);
		}
	}
	if (fsm_history_plan)
		SPI_freeplan(fsm_history_plan);
	fsm_history_plan = NULL;
	fsm_history_owner = InvalidOid;
	fsm_entities = NULL;

	if (fsm_entity_cxt == NULL)
		fsm_entity_cxt = AllocSetContextCreate(CacheMemoryContext, "bankcrm guarded tables",
											   ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(fsm_entity_cxt);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(FsmEntity);
	ctl.hcxt = fsm_entity_cxt;
	fsm_entities = hash_create("bankcrm guarded tables", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	fsm_entity_generation = FsmCacheGeneration();
}

/*
 * fsm_entity_lookup
 *		The cached description of a table with a guarded state column: its
 *		qualified name and its integer row id (the primary key, or the
 *		column beside party_id in a key (id, party_id)).
 */
static FsmEntity *
fsm_entity_lookup(Oid schema, Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	FsmEntity  *e;
	bool		found;

	fsm_entity_cache_check();
	e = hash_search(fsm_entities, &relid, HASH_ENTER, &found);
	if (!found)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(fsm_entity_cxt);
		Oid			pkindex = RelationGetPrimaryKeyIndex(rel);

		e->fire_ready = false;
		e->update_plan = NULL;
		e->lock_plan = NULL;
		e->party_plan = NULL;
		e->by_party = false;
		e->distributed = false;
		e->process = NULL;
		e->process_col = NULL;
		e->state_col = NULL;
		e->pk_attno = 0;
		e->pk_type = InvalidOid;
		e->pk_col = NULL;
		e->qualname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												 RelationGetRelationName(rel));
		if (OidIsValid(pkindex))
		{
			HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pkindex));

			if (HeapTupleIsValid(tup))
			{
				Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);

				AttrNumber	att = 0;
				int			k;

				/*
				 * The row's id: the one column of the key, or the other
				 * column of a key (id, party_id), as a party's rows are keyed
				 * (the distribution column is part of every key)
				 */
				for (k = 0; k < idx->indnkeyatts && idx->indnkeyatts <= 2; k++)
				{
					AttrNumber	ka = idx->indkey.values[k];

					if (ka <= 0)
					{
						att = 0;
						break;
					}
					if (idx->indnkeyatts == 2 &&
						strcmp(NameStr(TupleDescAttr(RelationGetDescr(rel), ka - 1)->attname), "party_id") == 0)
					{
						e->by_party = true;
						continue;
					}
					if (att != 0)
					{
						att = 0;
						break;
					}
					att = ka;
				}
				if (att <= 0)
					e->by_party = false;
				if (att > 0)
				{
					Form_pg_attribute a = TupleDescAttr(RelationGetDescr(rel), att - 1);

					if (a->atttypid == INT2OID || a->atttypid == INT4OID || a->atttypid == INT8OID)
					{
						e->pk_attno = att;
						e->pk_type = a->atttypid;
						e->pk_col = pstrdup(NameStr(a->attname));
					}
				}
				ReleaseSysCache(tup);
			}
		}
		MemoryContextSwitchTo(oldcxt);
		FsmWatch(relid);
	}
	return e;
}

/* the row's primary key as int64 */
static int64
fsm_entity_id(FsmEntity *e, Relation rel, HeapTuple tuple)
{
	bool		isnull;
	Datum		d;

	if (e->pk_attno == 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" has no integer row id in its primary key", RelationGetRelationName(rel)),
				 errdetail("The process history identifies rows by a primary key of one integer column, or of an integer column and party_id."),
				 errhint("Give the table a key such as PRIMARY KEY (id) or PRIMARY KEY (id, party_id).")));
	d = heap_getattr(tuple, e->pk_attno, RelationGetDescr(rel), &isnull);
	if (isnull)
		return 0;
	switch (e->pk_type)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
}

/*
 * fsm_stamp
 *		A table with a timestamptz column state_changed_at has it set to the
 *		time of every state change (the event's time, or now()).
 */
static HeapTuple
fsm_stamp(Relation rel, HeapTuple tuple, bool at_set, TimestampTz at)
{
	int			attno = attnameAttNum(rel, "state_changed_at", false);
	Datum		value;
	bool		isnull = false;

	if (attno <= 0 || TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid != TIMESTAMPTZOID)
		return tuple;
	value = TimestampTzGetDatum(at_set ? at : GetCurrentTransactionStartTimestamp());
	return heap_modify_tuple_by_cols(tuple, RelationGetDescr(rel), 1, &attno, &value, &isnull);
}

/*
 * fsm_logical_relid
 *		The table the history names for a row of "rel": rel itself, or, when
 *		rel is a Citus shard ("lead_102008") of a table of the same schema,
 *		that table.
 */
static Oid
fsm_logical_relid(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	const char *us = strrchr(name, '_');
	const char *c;
	char	   *base;
	Oid			relid;

	if (us == NULL || us == name || us[1] == '\0' ||
		!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return RelationGetRelid(rel);
	for (c = us + 1; *c; c++)
		if (*c < '0' || *c > '9')
			return RelationGetRelid(rel);
	base = pnstrdup(name, us - name);
	relid = get_relname_relid(base, RelationGetNamespace(rel));
	return OidIsValid(relid) ? relid : RelationGetRelid(rel);
}

/*
 * fsm_guard_oid
 *		The OID of the SQL function fsm_guard() in the extension's schema.
 */
static Oid
fsm_guard_oid(Oid schema)
{
	List	   *name = list_make2(makeString(get_namespace_name(schema)), makeString("fsm_guard"));

	return LookupFuncName(name, 0, NULL, false);
}

/*
 * fsm_is_distributed
 *		Is the relation a Citus table distributed by a column (not a
 *		reference table)?  False where Citus is not installed.
 */
static bool
fsm_is_distributed(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	bool		result = false;

	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return false;
	args[0] = ObjectIdGetDatum(relid);
	if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_dist_partition "
							  "WHERE logicalrelid OPERATOR(pg_catalog.=) $1 "
							  "AND partmethod OPERATOR(pg_catalog.=) 'h'",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_dist_partition");
	result = SPI_processed > 0;
	return result;
}

/*
 * fsm_entity_prepare_fire
 *		Find the fsm_guard trigger on the table (its arguments name the
 *		process and the state column) and prepare the statements FsmFire runs.
 */
static void
fsm_entity_prepare_fire(Oid schema, FsmEntity *e, Relation rel)
{
	TriggerDesc *td = rel->trigdesc;
	Oid			guard = fsm_guard_oid(schema);
	Trigger    *found = NULL;
	int			i;
	StringInfoData sql;
	Oid			updargs[3] = {INT8OID, INT8OID, TEXTOID};
	AttrNumber	attno;
	MemoryContext oldcxt;

	for (i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (t->tgfoid == guard && t->tgenabled != TRIGGER_DISABLED && t->tgnargs >= 2)
		{
			if (found != NULL && strcmp(found->tgargs[1], t->tgargs[1]) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
						 errmsg("table \"%s\" has more than one guarded state column", RelationGetRelationName(rel)),
						 errhint("Events fire on a table with exactly one fsm_guard trigger.")));
			found = t;
		}
	}
	if (found == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table \"%s\" has no state column guarded by a process", RelationGetRelationName(rel)),
				 errhint("Attach the trigger function fsm_guard('<process>', '<state column>') to the table.")));
	if (e->pk_attno == 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table \"%s\" has no integer row id in its primary key", RelationGetRelationName(rel)),
				 errdetail("Events address rows by a primary key of one integer column, or of an integer column and party_id."),
				 errhint("Give the table a key such as PRIMARY KEY (id) or PRIMARY KEY (id, party_id).")));
	attno = attnameAttNum(rel, found->tgargs[1], false);
	if (attno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						found->tgargs[1], RelationGetRelationName(rel))));

	oldcxt = MemoryContextSwitchTo(fsm_entity_cxt);
	e->state_col = pstrdup(found->tgargs[1]);
	if (found->tgargs[0][0] == '@')
		e->process_col = pstrdup(found->tgargs[0] + 1);
	else
		e->process = pstrdup(found->tgargs[0]);
	MemoryContextSwitchTo(oldcxt);

	/* a Citus table distributed by party_id is addressed by party_id too */
	e->distributed = e->by_party && fsm_is_distributed(RelationGetRelid(rel));

	/*
	 * Three statements do the work: the row's party_id (distributed tables
	 * only: Citus locks rows only in a query that names the shard), the row
	 * lock with the current state and process, and the update.  The event is
	 * computed in between, from the compiled process, on this node.
	 */
	initStringInfo(&sql);
	if (e->distributed)
	{
		appendStringInfo(&sql, "SELECT party_id FROM %s WHERE %s OPERATOR(pg_catalog.=) $1",
						 e->qualname, quote_identifier(e->pk_col));
		e->party_plan = SPI_prepare(sql.data, 1, updargs);
		if (e->party_plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", sql.data, SPI_result_code_string(SPI_result));
		SPI_keepplan(e->party_plan);
		resetStringInfo(&sql);
	}
	appendStringInfo(&sql, "SELECT %s::pg_catalog.text, %s FROM %s WHERE %s OPERATOR(pg_catalog.=) $1%s "
					 "FOR NO KEY UPDATE",
					 quote_identifier(e->state_col),
					 e->process_col ? psprintf("%s::pg_catalog.text", quote_identifier(e->process_col))
					 : "NULL::pg_catalog.text",
					 e->qualname, quote_identifier(e->pk_col),
					 e->distributed ? " AND party_id OPERATOR(pg_catalog.=) $2" : "");
	e->lock_plan = SPI_prepare(sql.data, e->distributed ? 2 : 1, updargs);
	if (e->lock_plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql.data, SPI_result_code_string(SPI_result));
	SPI_keepplan(e->lock_plan);

	resetStringInfo(&sql);
	appendStringInfo(&sql, "UPDATE %s SET %s = CAST($3 AS %s) WHERE %s OPERATOR(pg_catalog.=) $1%s",
					 e->qualname, quote_identifier(e->state_col),
					 format_type_be_qualified(TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid),
					 quote_identifier(e->pk_col),
					 e->distributed ? " AND party_id OPERATOR(pg_catalog.=) $2" : "");
	e->update_plan = SPI_prepare(sql.data, 3, updargs);
	if (e->update_plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql.data, SPI_result_code_string(SPI_result));
	SPI_keepplan(e->update_plan);
	e->fire_ready = true;
}

/*
 * fsm_write_history
 *		Insert one history row, with the rights of fsm_history's owner.  The
 *		caller must be connected to SPI.
 */
static void
fsm_write_history(Oid schema, const char *process, Oid relid, int64 id,
				  const char *event, const char *from, const char *to,
				  const char *note, bool at_set, TimestampTz at)
{
	Datum		values[9];
	char		nulls[9];
	Oid			save_userid;
	int			save_sec;
	char	   *actor = GetUserNameFromId(GetUserId(), false);
	int			rc;
	SPIPlanPtr	plan;

	fsm_entity_cache_check();
	if (fsm_history_plan == NULL)
	{
		StringInfoData sql;
		Oid			argtypes[10] = {TEXTOID, OIDOID, INT8OID, TEXTOID, TEXTOID, TEXTOID,
		NAMEOID, TIMESTAMPTZOID, TEXTOID};
		Oid			hist = FsmRelid(schema, "fsm_history");

		/* INSERT ... SELECT: Citus takes no subquery in VALUES */
		initStringInfo(&sql);
		appendStringInfo(&sql,
						 "INSERT INTO %s (process_name, entity, entity_id, event, from_state, to_state, "
						 "staff_id, actor, at, note) SELECT $1, $2::pg_catalog.regclass, $3, $4, $5, $6, "
						 "(SELECT s.staff_id FROM %s s WHERE s.db_role OPERATOR(pg_catalog.=) $7 AND s.active), "
						 "$7, COALESCE($8, pg_catalog.now()), $9",
						 FsmQualify(schema, "fsm_history"), FsmQualify(schema, "staff"));
		fsm_history_plan = SPI_prepare(sql.data, 9, argtypes);
		if (fsm_history_plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", sql.data, SPI_result_code_string(SPI_result));
		SPI_keepplan(fsm_history_plan);

		fsm_history_owner = FsmRelOwner(hist);
		FsmWatch(hist);
	}

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(process);
	values[1] = ObjectIdGetDatum(relid);
	values[2] = Int64GetDatum(id);
	if (event)
		values[3] = CStringGetTextDatum(event);
	else
		nulls[3] = 'n';
	if (from)
		values[4] = CStringGetTextDatum(from);
	else
		nulls[4] = 'n';
	values[5] = CStringGetTextDatum(to);
	{
		NameData   *nd = palloc0(sizeof(NameData));

		namestrcpy(nd, actor);
		values[6] = NameGetDatum(nd);
	}
	if (at_set)
		values[7] = TimestampTzGetDatum(at);
	else
		nulls[7] = 'n';
	if (note)
		values[8] = CStringGetTextDatum(note);
	else
		nulls[8] = 'n';
	plan = fsm_history_plan;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(fsm_history_owner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not write the process history: %s", SPI_result_code_string(rc));
}

/*
 * fsm_citus_placement
 *		For a guard running on a Citus shard of logical table "logical": the
 *		node's group id (0 on the coordinator), and whether the table is a
 *		reference table (a copy on every node, the trigger on each).
 */
static int32
fsm_citus_placement(Oid logical, bool *reference)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	bool		isnull;
	int32		group = 0;

	args[0] = ObjectIdGetDatum(logical);
	*reference = false;
	if (SPI_execute("SELECT groupid FROM pg_catalog.pg_dist_local_group", true, 1) == SPI_OK_SELECT &&
		SPI_processed > 0)
		group = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_dist_partition "
							  "WHERE logicalrelid OPERATOR(pg_catalog.=) $1 "
							  "AND partmethod OPERATOR(pg_catalog.=) 'n'",
							  1, argtypes, args, NULL, true, 1) == SPI_OK_SELECT)
		*reference = SPI_processed > 0;
	return group;
}

/*
 * FsmFire
 *		Fire "event" on row "id" of the guarded table "relid"; see fsm.h.
 *
 * Everything is decided here, on the node the caller is connected to: the
 * row is locked (FOR NO KEY UPDATE, addressed by party_id on a distributed
 * table, so that it is a single-shard query), the event's target state and
 * roles are checked against the compiled process, the row is updated and
 * the history row inserted.  The guard trigger, which may run on another
 * node, only sees the marked update and checks it again.
 */
char *
FsmFire(Oid schema, Oid relid, int64 id, const char *event, const char *note,
		bool at_set, TimestampTz at)
{
	char	   *result = NULL;

	FsmEnter();
	PG_TRY();
	{
		Relation	rel;
		FsmEntity  *e;
		Datum		values[3];
		FsmProcess *p;
		int			rc;
		char	   *from;
		char	   *process;
		const char *to;
		bool		isnull;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		rel = table_open(relid, AccessShareLock);
		/* the marked update needs the guard to strip and check it */
		if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot fire an event while session_replication_role is \"replica\""),
					 errdetail("The guard trigger of table \"%s\" does not fire in replica mode, so the transition would not be checked.",
							   RelationGetRelationName(rel)),
					 errhint("Fire events with session_replication_role = origin, the default.")));
		e = fsm_entity_lookup(schema, rel);
		if (!e->fire_ready)
			fsm_entity_prepare_fire(schema, e, rel);
		table_close(rel, NoLock);

		values[0] = Int64GetDatum(id);
		values[1] = Int64GetDatum(0);
		if (e->distributed)
		{
			rc = SPI_execute_plan(e->party_plan, values, NULL, true, 1);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "could not find row " INT64_FORMAT ": %s", id, SPI_result_code_string(rc));
			if (SPI_processed > 0)
				values[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		}
		if (!e->distributed || SPI_processed > 0)
		{
			rc = SPI_execute_plan(e->lock_plan, values, NULL, false, 1);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "could not lock row " INT64_FORMAT ": %s", id, SPI_result_code_string(rc));
		}
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("row %lld of table \"%s\" does not exist", (long long) id, get_rel_name(relid)),
					 errdetail("It may also be hidden from the current role by row-level security.")));
		from = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		process = e->process_col ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)
			: e->process;
		if (from == NULL || process == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("row %lld of table \"%s\" has no state or no process",
							(long long) id, get_rel_name(relid))));

		/* the event: valid in this state, and for the current user */
		p = FsmProcessRequire(schema, process);
		to = FsmTransitionTarget(schema, p, from, event, "fire");

		/* the time travels with the mark: a worker's clock is not the caller's */
		values[2] = CStringGetTextDatum(psprintf("%s" FSM_FIRE_MARK "\x1f" INT64_FORMAT, to,
												 (int64) (at_set ? at : GetCurrentTransactionStartTimestamp())));
		rc = SPI_execute_plan(e->update_plan, values, NULL, false, 0);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "could not fire event \"%s\": %s", event, SPI_result_code_string(rc));
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("row %lld of table \"%s\" does not exist", (long long) id, get_rel_name(relid)),
					 errdetail("It may also be hidden from the current role by row-level security.")));
		fsm_write_history(schema, p->name, relid, id, event, from, to, note, at_set, at);
		SPI_finish();
		result = pstrdup(to);
	}
	PG_FINALLY();
	{
		FsmLeave();
	}
	PG_END_TRY();
	return result;
}

/*
 * FsmFireArgs
 *		The body of fsm_fire and of the wrappers that name their table
 *		(lead_fire): the arguments from "first" on are (id bigint, event
 *		text, note text, at timestamptz), fired on table relid.  An explicit
 *		event time is for bankcrm_admin (imports, simulations); the check is
 *		made here, once.
 */
Datum
FsmFireArgs(FunctionCallInfo fcinfo, Oid relid, int first)
{
	char	   *note = NULL;
	bool		at_set = !PG_ARGISNULL(first + 3);
	TimestampTz at = 0;

	if (PG_ARGISNULL(first) || PG_ARGISNULL(first + 1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s and event must not be null", get_rel_name(relid))));
	if (!PG_ARGISNULL(first + 2))
		note = text_to_cstring(PG_GETARG_TEXT_PP(first + 2));
	if (at_set)
	{
		Oid			admin = get_role_oid("bankcrm_admin", true);

		at = PG_GETARG_TIMESTAMPTZ(first + 3);
		if (!superuser() && !(OidIsValid(admin) && has_privs_of_role(GetUserId(), admin)))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set the time of an event"),
					 errdetail("Only bankcrm_admin may record events with an explicit time.")));
	}
	PG_RETURN_TEXT_P(cstring_to_text(FsmFire(BankcrmSchemaOid(false), relid, PG_GETARG_INT64(first),
											 text_to_cstring(PG_GETARG_TEXT_PP(first + 1)),
											 note, at_set, at)));
}

/*
 * fsm_fire(entity regclass, id bigint, event text, note text, at timestamptz)
 *		Fire an event on any table with an fsm_guard trigger; returns the new
 *		state.
 */
PG_FUNCTION_INFO_V1(fsm_fire);
Datum
fsm_fire(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("entity, id and event must not be null")));
	return FsmFireArgs(fcinfo, PG_GETARG_OID(0), 1);
}


/*
 * fsm_guard()
 *		BEFORE INSERT OR UPDATE OF <state column> FOR EACH ROW trigger with
 *		arguments (process, state column).  A process written "@col" is read
 *		from column "col" of the row.  Refuses a state that is not one of the
 *		process (INSERT) and a change that no transition allows (UPDATE),
 *		with 23514 naming both states; records a valid direct change in
 *		fsm_history.
 */
PG_FUNCTION_INFO_V1(fsm_guard);
Datum
fsm_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			schema = BankcrmSchemaOid(false);
	Relation	rel;
	TupleDesc	tupdesc;
	Trigger    *trigger;
	HeapTuple	newtuple;
	AttrNumber	attno;
	char	   *newstate;
	char	   *oldstate = NULL;
	char	   *process;
	bool		is_update;
	char	   *mark;
	bool		fired = false;
	bool		fired_at_set = false;
	TimestampTz fired_at = 0;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("fsm_guard: not fired by trigger manager")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("fsm_guard: must be fired BEFORE, FOR EACH ROW")));
	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) && !TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("fsm_guard: must be fired for INSERT or UPDATE")));
	trigger = trigdata->tg_trigger;
	if (trigger->tgnargs != 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("fsm_guard: needs two arguments, the process and the state column")));

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	newtuple = is_update ? trigdata->tg_newtuple : trigdata->tg_trigtuple;

	attno = SPI_fnumber(tupdesc, trigger->tgargs[1]);
	if (attno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						trigger->tgargs[1], RelationGetRelationName(rel))));
	newstate = SPI_getvalue(newtuple, tupdesc, attno);
	if (is_update)
		oldstate = SPI_getvalue(trigdata->tg_trigtuple, tupdesc, attno);
	if (trigger->tgargs[0][0] == '@')
	{
		AttrNumber	patt = SPI_fnumber(tupdesc, trigger->tgargs[0] + 1);

		if (patt <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							trigger->tgargs[0] + 1, RelationGetRelationName(rel))));
		process = SPI_getvalue(newtuple, tupdesc, patt);
		if (process == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("column \"%s\" of relation \"%s\" names no process",
							trigger->tgargs[0] + 1, RelationGetRelationName(rel)),
					 errtablecol(rel, patt)));
	}
	else
		process = trigger->tgargs[0];

	if (newstate == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("the state of a row of process \"%s\" must not be null", process),
				 errtablecol(rel, attno)));

	/* the UPDATE of an event fired by FsmFire: strip the mark, take the time */
	if (is_update && (mark = strstr(newstate, FSM_FIRE_MARK)) != NULL)
	{
		char	   *t = mark + strlen(FSM_FIRE_MARK);
		Datum		clean;
		bool		cnull = false;
		int			col = attno;

		fired = true;
		if (*t == '\x1f')
		{
			fired_at_set = true;
			fired_at = (TimestampTz) pg_strtoint64(t + 1);
		}
		*mark = '\0';
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, attno - 1);
			Oid			typinput;
			Oid			typioparam;

			getTypeInputInfo(att->atttypid, &typinput, &typioparam);
			clean = OidInputFunctionCall(typinput, newstate, typioparam, att->atttypmod);
		}
		newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &col, &clean, &cnull);
	}
	if (is_update && oldstate != NULL && strcmp(oldstate, newstate) == 0)
		return PointerGetDatum(newtuple);

	FsmEnter();
	PG_TRY();
	{
		FsmProcess *p = FsmProcessRequire(schema, process);
		int			ni = FsmStateIndex(p, newstate);

		if (!is_update)
		{
			if (ni < 0)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("\"%s\" is not a state of process \"%s\"", newstate, p->name),
						 errdetail("New row for relation \"%s\" has state \"%s\".",
								   RelationGetRelationName(rel), newstate),
						 errtablecol(rel, attno)));
		}
		else
		{
			int			oi = FsmStateIndex(p, oldstate);
			int			i;
			int			nmatch = 0;
			int			nallowed = 0;
			const FsmTransition *match = NULL;

			for (i = 0; oi >= 0 && ni >= 0 && i < p->ntrans; i++)
			{
				if (p->trans[i].from == oi && p->trans[i].to == ni)
				{
					nmatch++;
					if (FsmRoleOk(&p->trans[i]))
					{
						nallowed++;
						match = &p->trans[i];
					}
				}
			}
			if (nmatch == 0)
			{
				char	   *next = oi >= 0 ? FsmNextStateList(p, oi) : pstrdup("");

				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("invalid transition from \"%s\" to \"%s\" in process \"%s\"",
								oldstate ? oldstate : "(null)", newstate, p->name),
						 errdetail("No event of process \"%s\" leads from state \"%s\" to state \"%s\".",
								   p->name, oldstate ? oldstate : "(null)", newstate),
						 next[0] != '\0'
						 ? errhint("From \"%s\" the process can go to: %s. Fire an event rather than updating the column.",
								   oldstate, next)
						 : errhint("Fire an event rather than updating the column."),
						 errtablecol(rel, attno)));
			}
			if (nallowed == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to move from \"%s\" to \"%s\" in process \"%s\"",
								oldstate, newstate, p->name)));
			newtuple = fsm_stamp(rel, newtuple, fired_at_set, fired_at);
			if (!fired)
			{
				FsmEntity  *e = fsm_entity_lookup(schema, rel);
				int64		id = fsm_entity_id(e, rel, newtuple);

				int			nest = NewGUCNestLevel();

				Oid			logical = fsm_logical_relid(rel);
				int32		group = 0;
				bool		reference = false;

				FsmAllowNested();
				if (SPI_connect() != SPI_OK_CONNECT)
					elog(ERROR, "SPI_connect failed");
				/* on a Citus shard: one history row, from the node that owns the row */
				if (logical != RelationGetRelid(rel))
					group = fsm_citus_placement(logical, &reference);
				if (group > 0 && !reference)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("a direct update of the state of a row of distributed table \"%s\" cannot be recorded",
									get_rel_name(logical)),
							 errdetail("The history row would be written from a Citus worker, inside the shard's own transaction."),
							 errhint("Fire the event with fsm_fire or lead_fire: they record it on the coordinator.")));
				if (group == 0)
					fsm_write_history(schema, p->name, logical, id,
									  nallowed == 1 ? match->event : NULL, oldstate, newstate,
									  "direct update", false, 0);
				SPI_finish();
				AtEOXact_GUC(true, nest);
			}
		}
	}
	PG_FINALLY();
	{
		FsmLeave();
	}
	PG_END_TRY();
	return PointerGetDatum(newtuple);
}

