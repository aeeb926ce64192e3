/*-------------------------------------------------------------------------
 *
 * fsm.h
 *	  The process engine's compiled processes and their cache (fsm.c), as
 *	  validate.c and guard.c use them.  A pointer to a compiled process is
 *	  valid only between FsmEnter() and the matching FsmLeave().
 *
 * Layers of src/fsm/ (test/layers/check.py checks that none calls back up):
 *
 *   SQL entry points   guard.c      fsm_fire, the fsm_guard trigger, FsmFire
 *                                   (guard.h: what campaign.c calls)
 *                      validate.c   fsm_problems, fsm_validate,
 *                                   fsm_process_check
 *   storage            fsm.c        the transition tables read through SPI,
 *                                   compiled and cached per backend;
 *                                   fsm_next, fsm_events
 *   pure computation   process.c    a compiled process as a graph (process.h)
 *
 * The trigger and FsmFire pass nothing through globals: FsmFire's UPDATE
 * carries the new state and the event's time in the row itself (a mark the
 * trigger strips), wherever the trigger runs.
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

#include "fsm/process.h"



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
extern bool FsmRoleOk(const FsmTransition *t);
extern const char *FsmTransitionTarget(Oid schema, const FsmProcess *p, const char *from,
									   const char *event, const char *what);

/* fsm.c: changes when the compiled processes are rebuilt */
extern uint64 FsmCacheGeneration(void);

#endif							/* BANKCRM_FSM_H */
