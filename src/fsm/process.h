/*-------------------------------------------------------------------------
 *
 * process.h
 *	  A compiled process, and the pure functions of one (process.c).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/fsm/process.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_FSM_PROCESS_H
#define BANKCRM_FSM_PROCESS_H

#include "nodes/pg_list.h"

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

/* index of a state in a process, or -1 */
extern int	FsmStateIndex(const FsmProcess *p, const char *state);

/* the transition leaving state "from" on "event", or NULL */
extern const FsmTransition *FsmFindEvent(const FsmProcess *p, int from, const char *event);

/* "a, b, c": the events valid in state "from" */
extern char *FsmEventList(const FsmProcess *p, int from);

/* "a, b": the distinct states reachable in one step from "from" */
extern char *FsmNextStateList(const FsmProcess *p, int from);

/* what makes a process invalid, as a list of sentences (NIL: valid), and joined */
extern List *FsmProblems(const FsmProcess *p);
extern char *FsmProblemsText(List *problems);

#endif							/* BANKCRM_FSM_PROCESS_H */
