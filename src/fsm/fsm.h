/*-------------------------------------------------------------------------
 *
 * fsm.h
 *	  The process engine's C interface, shared by fsm.c, validate.c,
 *	  guard.c and campaign.c.
 *
 * The first part is the interface the rest of the extension uses: firing an
 * event and finding the extension's schema.  The second part is the
 * engine's own: the compiled process and the helpers that the engine's
 * three files call in one another.  A pointer to a compiled process is
 * valid only between FsmEnter() and the matching FsmLeave().
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/fsm/fsm.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_FSM_H
#define BANKCRM_FSM_H

#include "datatype/timestamp.h"
#include "utils/palloc.h"

/*
 * Fire an event on row "id" of the guarded table "relid": lock the row,
 * compute the next state, update the state column and write the history
 * row, all in the caller's transaction and on the caller's node.  Returns the new state (palloc'd).
 * "schema" is the extension's schema; at_set/at give an explicit event time
 * (bankcrm_admin only).
 */
extern char *FsmFire(Oid schema, Oid relid, int64 id, const char *event,
					 const char *note, bool at_set, TimestampTz at);

/* the namespace of the SQL function being executed: the extension's schema */
extern Oid	FsmSchemaOfFunction(Oid fn_oid);

/* ------------------------------------------------------------------------
 * engine internals (fsm.c, validate.c, guard.c)
 * ------------------------------------------------------------------------
 */

/* one transition of a compiled process */
typedef struct FsmTransition
{
	int			from;			/* index into states */
	int			to;
	char	   *event;
	int			nroles;			/* 0: anyone may fire it */
	Oid		   *roles;
} FsmTransition;

/* a compiled process: the hash key is the name */
typedef struct FsmProcess
{
	char		name[NAMEDATALEN];
	bool		exists;
	int			nstates;
	char	  **states;
	bool	   *initial;
	bool	   *terminal;
	int			ntrans;
	FsmTransition *trans;
} FsmProcess;

/* fsm.c: engine calls, the cache and its invalidation */
extern int	FsmCallDepth;
extern void FsmEnter(void);
extern void FsmWatch(Oid relid);

/*
 * FsmLeave
 *		End an engine call started by FsmEnter (also on error, via PG_FINALLY).
 *		Inline, so that the PG_FINALLY blocks calling it make no function call
 *		between the longjmp and their re-throw.
 */
static inline void
FsmLeave(void)
{
	if (FsmCallDepth > 0)
		FsmCallDepth--;
}

/* fsm.c: the extension's tables */
extern Oid	FsmRelid(Oid schema, const char *relname);
extern Oid	FsmRelOwner(Oid relid);
extern char *FsmQualify(Oid schema, const char *relname);

/* fsm.c: compiled processes */
extern void FsmProcessLoad(Oid schema, FsmProcess *p, MemoryContext cxt);
extern void FsmAllowNested(void);
extern FsmProcess *FsmProcessRequire(Oid schema, const char *name);
extern int	FsmStateIndex(const FsmProcess *p, const char *state);
extern bool FsmRoleOk(const FsmTransition *t);
extern const char *FsmTransitionTarget(Oid schema, const FsmProcess *p, const char *from,
									   const char *event, const char *what);

/* fsm.c: changes when the compiled processes are rebuilt */
extern uint64 FsmCacheGeneration(void);

#endif							/* BANKCRM_FSM_H */
