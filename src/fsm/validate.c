/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  The process engine: is a process well formed?
 *
 * A process is valid when it has exactly one initial state and at least one
 * terminal state, every state is reachable from the initial one, every
 * non-terminal state can reach a terminal one, no transition leaves a
 * terminal state, and no event leaves a state twice.  fsm_problems() lists
 * what breaks these rules, one sentence a row; fsm_validate() raises them
 * as one error.
 *
 * fsm_process_check() is a deferred constraint trigger on process,
 * process_state and process_transition: at commit, every process touched by
 * the transaction must be valid.  It compiles the process afresh, never from
 * the per-backend cache, so it sees the transaction's own edits; states and
 * transitions can therefore be changed together in one transaction, through
 * intermediate invalid definitions.
 *
 * Layer: SQL entry points of src/fsm/ (fsm_problems, fsm_validate,
 * fsm_process_check).  Calls fsm.c and bankcrm.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/validate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "bankcrm.h"
#include "compat.h"
#include "fsm/fsm.h"
#include "fsm/process.h"



/*
 * fsm_problems(process text) returns setof text
 *		What makes a process invalid, one sentence a row; no rows if valid.
 */
PG_FUNCTION_INFO_V1(fsm_problems);
Datum
fsm_problems(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			schema = BankcrmSchemaOid(false);
	char	   *process = text_to_cstring(PG_GETARG_TEXT_PP(0));
	List	   *problems = NIL;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	FsmEnter();
	PG_TRY();
	{
		FsmProcess *p = FsmProcessRequire(schema, process);

		problems = FsmProblems(p);
	}
	PG_FINALLY();
	{
		FsmLeave();
	}
	PG_END_TRY();
	foreach(lc, problems)
	{
		Datum		v[1];
		bool		n[1] = {false};

		v[0] = CStringGetTextDatum((char *) lfirst(lc));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	return (Datum) 0;
}

/*
 * fsm_validate(process text) returns boolean
 *		True if the process is valid; otherwise 42P17 with every problem.
 */
PG_FUNCTION_INFO_V1(fsm_validate);
Datum
fsm_validate(PG_FUNCTION_ARGS)
{
	Oid			schema = BankcrmSchemaOid(false);
	char	   *process = text_to_cstring(PG_GETARG_TEXT_PP(0));
	List	   *problems = NIL;

	FsmEnter();
	PG_TRY();
	{
		problems = FsmProblems(FsmProcessRequire(schema, process));
	}
	PG_FINALLY();
	{
		FsmLeave();
	}
	PG_END_TRY();
	if (problems != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("process \"%s\" is invalid", process),
				 errdetail("%s", FsmProblemsText(problems))));
	PG_RETURN_BOOL(true);
}

/*
 * fsm_process_check()
 *		Deferred constraint trigger on process, process_state and
 *		process_transition: at commit, the processes touched must be valid.
 *		Skipped while check_function_bodies is off, as in a restore of
 *		pg_dump output, which loads states before transitions.
 */
PG_FUNCTION_INFO_V1(fsm_process_check);
Datum
fsm_process_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			schema = BankcrmSchemaOid(false);
	HeapTuple	tuple;
	char	   *process;
	List	   *problems = NIL;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("fsm_process_check: not fired by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("fsm_process_check: must be fired AFTER, FOR EACH ROW")));
	if (!check_function_bodies)
		return PointerGetDatum(NULL);

	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	process = SPI_getvalue(tuple, RelationGetDescr(trigdata->tg_relation),
						   SPI_fnumber(RelationGetDescr(trigdata->tg_relation), "process_name"));
	if (process == NULL)
		return PointerGetDatum(NULL);

	FsmEnter();
	PG_TRY();
	{
		FsmProcess *p = palloc0(sizeof(FsmProcess));

		/* never the cached copy: the check must see this transaction's edits */
		strlcpy(p->name, process, NAMEDATALEN);
		FsmProcessLoad(schema, p, CurrentMemoryContext);
		if (p->exists)
			problems = FsmProblems(p);
	}
	PG_FINALLY();
	{
		FsmLeave();
	}
	PG_END_TRY();
	if (problems != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("process \"%s\" is invalid", process),
				 errdetail("%s", FsmProblemsText(problems)),
				 errhint("Change states and transitions together in one transaction; a process is checked at commit.")));
	return PointerGetDatum(NULL);
}
