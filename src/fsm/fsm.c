/*-------------------------------------------------------------------------
 *
 * fsm.c
 *	  The process engine: state machines kept as data, compiled per backend.
 *
 * A process is three tables: process, process_state (initial and terminal
 * flags, stage order, daily targets) and process_transition (from state,
 * event, to state, roles allowed).  The first time a backend needs a process
 * it reads those rows once through SPI and compiles them into an array of
 * states and an array of transitions, kept in a hash table under
 * CacheMemoryContext.  The cache is never re-read on every call and never
 * stale after an edit: a statement-level trigger on the three tables
 * (fsm_cache_invalidate) sends a relcache invalidation for the table it
 * fired on, and our relcache callback bumps a generation counter whenever
 * one of the watched relations (the process tables, and every table an
 * event was fired on) is invalidated.  The cache is rebuilt at the next
 * top-level entry, together with the cache of guarded tables that
 * guard.c keeps in the same memory context.
 *
 * Invalidation messages can arrive in the middle of a call (any lock
 * acquisition accepts them), so the callback only bumps the counter; the
 * memory is reset by FsmEnter(), and only when no engine call is active
 * further up the stack (FsmCallDepth == 0).  Pointers into the cache are
 * therefore valid for the whole of a top-level call.
 *
 * This file also answers the questions asked of a process (fsm_next,
 * fsm_events).  Checking that a process is well formed is validate.c;
 * firing events, the guard trigger and the history are guard.c.
 *
 * Layer: storage of src/fsm/ (the map is in fsm.h).  Reads the transition
 * tables through SPI and caches them; SQL entry points fsm_next, fsm_events
 * and fsm_cache_invalidate.  Calls bankcrm.c only; guard.c and validate.c
 * call it, never the reverse.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/fsm.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "bankcrm.h"
#include "compat.h"
#include "fsm/fsm.h"
#include "fsm/process.h"

static void fsm_relcache_callback(Datum arg, Oid relid);
static FsmProcess *fsm_process_lookup(Oid schema, const char *name, bool missing_ok);
static char *fsm_role_list(const FsmTransition *t);

/* engine calls active on the stack; see FsmEnter and FsmLeave (fsm.h) */
int			FsmCallDepth = 0;

/* file-level state */
static MemoryContext fsm_cache_cxt = NULL;
static HTAB *fsm_processes = NULL;
static bool fsm_callback_registered = false;
static uint64 fsm_generation = 1;	/* bumped by invalidations */
static uint64 fsm_cache_generation = 0; /* generation the cache was built at */

#define FSM_MAX_WATCHED 64
static Oid	fsm_watched[FSM_MAX_WATCHED];
static int	fsm_nwatched = 0;

/*
 * fsm_relcache_callback
 *		Note that a watched relation changed; the cache is rebuilt later.
 */
static void
fsm_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	if (!OidIsValid(relid))
	{
		fsm_generation++;
		return;
	}
	for (i = 0; i < fsm_nwatched; i++)
	{
		if (fsm_watched[i] == relid)
		{
			fsm_generation++;
			return;
		}
	}
}

/*
 * FsmWatch
 *		Add a relation to the set whose invalidation resets the cache.
 */
void
FsmWatch(Oid relid)
{
	int			i;

	if (!OidIsValid(relid))
		return;
	for (i = 0; i < fsm_nwatched; i++)
		if (fsm_watched[i] == relid)
			return;
	if (fsm_nwatched < FSM_MAX_WATCHED)
		fsm_watched[fsm_nwatched++] = relid;
	else
		fsm_generation++;		/* full: forget everything, start again */
}

/*
 * FsmEnter
 *		Start an engine call: at top level, rebuild the cache if invalidated.
 */
void
FsmEnter(void)
{
	if (!fsm_callback_registered)
	{
		CacheRegisterRelcacheCallback(fsm_relcache_callback, (Datum) 0);
		fsm_callback_registered = true;
	}
	if (fsm_cache_cxt == NULL)
		fsm_cache_cxt = AllocSetContextCreate(CacheMemoryContext, "bankcrm process cache",
											  ALLOCSET_DEFAULT_SIZES);
	if (FsmCallDepth == 0 && (fsm_cache_generation != fsm_generation || fsm_processes == NULL))
	{
		HASHCTL		ctl;

		fsm_processes = NULL;
		fsm_nwatched = 0;
		MemoryContextReset(fsm_cache_cxt);

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(FsmProcess);
		ctl.hcxt = fsm_cache_cxt;
		fsm_processes = hash_create("bankcrm processes", 16, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

		fsm_cache_generation = fsm_generation;
	}
	FsmCallDepth++;
}

/*
 * FsmCacheGeneration
 *		The generation the compiled processes were built at: it changes each
 *		time FsmEnter() rebuilds them (only at top level, with no engine call
 *		on the stack), so that a cache of things derived from them (the
 *		guarded tables of guard.c) rebuilds itself when it sees a new one.
 */
uint64
FsmCacheGeneration(void)
{
	return fsm_cache_generation;
}

/* the extension's relation "relname" in "schema", or an internal error */
Oid
FsmRelid(Oid schema, const char *relname)
{
	Oid			relid = get_relname_relid(relname, schema);

	if (!OidIsValid(relid))
		elog(ERROR, "bankcrm table \"%s\" is missing", relname);
	return relid;
}

/* the owner of a relation */
Oid
FsmRelOwner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* a schema-qualified, quoted relation name */
char *
FsmQualify(Oid schema, const char *relname)
{
	return quote_qualified_identifier(get_namespace_name(schema), relname);
}

/*
 * FsmProcessLoad
 *		Read one process from the tables and compile it into the cache entry.
 */
void
FsmProcessLoad(Oid schema, FsmProcess *p, MemoryContext cxt)
{
	StringInfoData sql;
	Datum		arg[1];
	Oid			argtypes[1] = {TEXTOID};
	MemoryContext oldcxt;
	int			i;
	uint64		n;
	Oid			save_userid;
	int			save_sec;
	int			nest;

	/*
	 * The queries are not read-only so that SPI makes the caller's own
	 * changes visible first (a deferred check at commit needs them).
	 */

	p->exists = false;
	p->nstates = 0;
	p->ntrans = 0;
	p->states = NULL;
	p->initial = NULL;
	p->terminal = NULL;
	p->trans = NULL;

	FsmWatch(FsmRelid(schema, "process"));
	FsmWatch(FsmRelid(schema, "process_state"));
	FsmWatch(FsmRelid(schema, "process_transition"));

	arg[0] = CStringGetTextDatum(p->name);
	nest = NewGUCNestLevel();
	FsmAllowNested();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * Read the definition with the rights of the tables' owner: the compiled
	 * process is shared by every role of the backend, and firing an event
	 * needs no privilege on the definitions.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(FsmRelOwner(FsmRelid(schema, "process_state")),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT s.state, s.is_initial, s.is_terminal FROM %s p "
					 "LEFT JOIN %s s ON s.process_name OPERATOR(pg_catalog.=) p.process_name "
					 "WHERE p.process_name OPERATOR(pg_catalog.=) $1 "
					 "ORDER BY s.stage_order NULLS LAST, s.state COLLATE \"C\"",
					 FsmQualify(schema, "process"), FsmQualify(schema, "process_state"));
	if (SPI_execute_with_args(sql.data, 1, argtypes, arg, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read process \"%s\"", p->name);
	n = SPI_processed;
	if (n == 0)
	{
		SetUserIdAndSecContext(save_userid, save_sec);
		SPI_finish();
		AtEOXact_GUC(true, nest);
		return;
	}
	oldcxt = MemoryContextSwitchTo(cxt);
	p->exists = true;
	p->states = palloc0(sizeof(char *) * n);
	p->initial = palloc0(sizeof(bool) * n);
	p->terminal = palloc0(sizeof(bool) * n);
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		char	   *state = SPI_getvalue(tup, td, 1);

		if (state == NULL)
			break;				/* a process without states */
		p->states[p->nstates] = pstrdup(state);
		d = SPI_getbinval(tup, td, 2, &isnull);
		p->initial[p->nstates] = !isnull && DatumGetBool(d);
		d = SPI_getbinval(tup, td, 3, &isnull);
		p->terminal[p->nstates] = !isnull && DatumGetBool(d);
		p->nstates++;
	}
	MemoryContextSwitchTo(oldcxt);

	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT t.from_state, t.event, t.to_state, t.roles_allowed::pg_catalog.text[] FROM %s t "
					 "WHERE t.process_name OPERATOR(pg_catalog.=) $1 "
					 "ORDER BY t.from_state COLLATE \"C\", t.event COLLATE \"C\"",
					 FsmQualify(schema, "process_transition"));
	if (SPI_execute_with_args(sql.data, 1, argtypes, arg, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the transitions of process \"%s\"", p->name);
	n = SPI_processed;
	oldcxt = MemoryContextSwitchTo(cxt);
	p->trans = palloc0(sizeof(FsmTransition) * (n > 0 ? n : 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		FsmTransition *t = &p->trans[p->ntrans];
		char	   *from = SPI_getvalue(tup, td, 1);
		char	   *to = SPI_getvalue(tup, td, 3);
		bool		isnull;
		Datum		roles = SPI_getbinval(tup, td, 4, &isnull);

		t->from = FsmStateIndex(p, from);
		t->to = FsmStateIndex(p, to);
		t->event = pstrdup(SPI_getvalue(tup, td, 2));
		t->nroles = 0;
		t->roles = NULL;
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			nelems;
			int			j;

			deconstruct_array(DatumGetArrayTypeP(roles), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &nelems);
			t->roles = palloc0(sizeof(Oid) * (nelems > 0 ? nelems : 1));
			for (j = 0; j < nelems; j++)
			{
				if (nulls[j])
					continue;
				/* a role that does not exist admits nobody but superusers */
				t->roles[t->nroles++] = get_role_oid(TextDatumGetCString(elems[j]), true);
			}
			if (t->nroles == 0)
			{
				/* an empty list: nobody but superusers */
				t->roles[0] = InvalidOid;
				t->nroles = 1;
			}
		}
		if (t->from >= 0 && t->to >= 0)
			p->ntrans++;
	}
	MemoryContextSwitchTo(oldcxt);
	SetUserIdAndSecContext(save_userid, save_sec);
	SPI_finish();
	AtEOXact_GUC(true, nest);
}

/*
 * FsmAllowNested
 *		On a Citus node, let the queries that follow read and write Citus
 *		tables from inside a shard task (a trigger on a shard reads the
 *		process definitions and writes the history).  The setting lasts until
 *		the caller's AtEOXact_GUC(true, nest) after NewGUCNestLevel(); it is
 *		a no-op where Citus is not loaded.
 */
void
FsmAllowNested(void)
{
	if (GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		(void) set_config_option("citus.allow_nested_distributed_execution", "on",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/*
 * fsm_process_lookup
 *		The compiled process "name", loading it on first use.  NULL when it
 *		does not exist and missing_ok; else an error.
 */
static FsmProcess *
fsm_process_lookup(Oid schema, const char *name, bool missing_ok)
{
	FsmProcess *p;
	bool		found;
	char		key[NAMEDATALEN];

	if (strlen(name) >= NAMEDATALEN)
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("process \"%s\" does not exist", name)));
	}
	memset(key, 0, sizeof(key));
	strlcpy(key, name, NAMEDATALEN);
	p = hash_search(fsm_processes, key, HASH_ENTER, &found);
	if (!found)
	{
		PG_TRY();
		{
			FsmProcessLoad(schema, p, fsm_cache_cxt);
		}
		PG_CATCH();
		{
			hash_search(fsm_processes, key, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	if (!p->exists)
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("process \"%s\" does not exist", name),
				 errhint("The processes are the rows of table process.")));
	}
	return p;
}

/*
 * FsmProcessRequire
 *		The compiled process "name"; an error if it does not exist.
 */
FsmProcess *
FsmProcessRequire(Oid schema, const char *name)
{
	return fsm_process_lookup(schema, name, false);
}




/* may the current user fire this transition? */
bool
FsmRoleOk(const FsmTransition *t)
{
	Oid			user = GetUserId();
	int			i;

	if (t->nroles == 0 || superuser_arg(user))
		return true;
	for (i = 0; i < t->nroles; i++)
		if (OidIsValid(t->roles[i]) && has_privs_of_role(user, t->roles[i]))
			return true;
	return false;
}

/* "bankcrm_manager, bankcrm_admin": the roles that may fire a transition */
static char *
fsm_role_list(const FsmTransition *t)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < t->nroles; i++)
	{
		char	   *name = OidIsValid(t->roles[i]) ? GetUserNameFromId(t->roles[i], true) : NULL;

		if (name == NULL)
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, name);
	}
	if (buf.len == 0)
		appendStringInfoString(&buf, "superusers");
	return buf.data;
}

/*
 * FsmTransitionTarget
 *		The state that "event" leads to from state "from", with the errors of
 *		fsm_next: unknown state, invalid event (55000 with the valid events),
 *		and, when "what" names an action, a role that may not fire it.
 */
const char *
FsmTransitionTarget(Oid schema, const FsmProcess *p, const char *from,
					const char *event, const char *what)
{
	int			fi = FsmStateIndex(p, from);
	const FsmTransition *t;

	if (fi < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a state of process \"%s\"", from, p->name)));
	t = FsmFindEvent(p, fi, event);
	if (t == NULL)
	{
		char	   *valid = FsmEventList(p, fi);

		if (valid[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("event \"%s\" is not valid in state \"%s\" of process \"%s\"",
							event, from, p->name),
					 errhint("State \"%s\" is terminal: no event leaves it.", from)));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("event \"%s\" is not valid in state \"%s\" of process \"%s\"",
						event, from, p->name),
				 errhint("Valid events in state \"%s\": %s.", from, valid)));
	}
	if (what != NULL && !FsmRoleOk(t))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to fire event \"%s\" of process \"%s\"", event, p->name),
				 errdetail("Only members of %s may fire it.", fsm_role_list(t))));
	return p->states[t->to];
}

/*
 * fsm_next(process text, state text, event text) returns text
 *		The state that "event" leads to from "state"; 55000 if the event is not
 *		valid there, with a hint listing the valid events.  Roles are not
 *		checked: this answers a question, it fires nothing.
 */
PG_FUNCTION_INFO_V1(fsm_next);
Datum
fsm_next(PG_FUNCTION_ARGS)
{
	Oid			schema = BankcrmSchemaOid(false);
	char	   *process = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *state = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *event = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *result = NULL;

	FsmEnter();
	PG_TRY();
	{
		FsmProcess *p = FsmProcessRequire(schema, process);

		result = pstrdup(FsmTransitionTarget(schema, p, state, event, NULL));
	}
	PG_FINALLY();
	{
		FsmLeave();
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/*
 * fsm_events(process text, state text) returns text[]
 *		The events valid in a state, in name order (empty for terminal states).
 */
PG_FUNCTION_INFO_V1(fsm_events);
Datum
fsm_events(PG_FUNCTION_ARGS)
{
	Oid			schema = BankcrmSchemaOid(false);
	char	   *process = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *state = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ArrayType  *result = NULL;

	FsmEnter();
	PG_TRY();
	{
		FsmProcess *p = FsmProcessRequire(schema, process);
		int			fi = FsmStateIndex(p, state);
		Datum	   *elems = palloc(sizeof(Datum) * (p->ntrans > 0 ? p->ntrans : 1));
		int			n = 0;
		int			i;

		if (fi < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" is not a state of process \"%s\"", state, p->name)));
		for (i = 0; i < p->ntrans; i++)
			if (p->trans[i].from == fi)
				elems[n++] = CStringGetTextDatum(p->trans[i].event);
		result = construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
	}
	PG_FINALLY();
	{
		FsmLeave();
	}
	PG_END_TRY();
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * fsm_cache_invalidate()
 *		AFTER ... FOR EACH STATEMENT trigger on process, process_state and
 *		process_transition: every backend drops its compiled processes.
 */
PG_FUNCTION_INFO_V1(fsm_cache_invalidate);
Datum
fsm_cache_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("fsm_cache_invalidate: not fired by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("fsm_cache_invalidate: must be fired AFTER, FOR EACH STATEMENT")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

