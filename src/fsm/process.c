/*-------------------------------------------------------------------------
 *
 * process.c
 *	  A compiled process as a graph: its states and events, what leads
 *	  where, and what makes it invalid.
 *
 * Layer: pure computation, the bottom of src/fsm/: functions of a
 * FsmProcess in memory (palloc'd strings and lists), no SPI, no catalogue,
 * no privilege check.  fsm.c, guard.c and validate.c call it; it calls
 * nothing of the extension.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/fsm/process.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

#include "fsm/process.h"

/* index of a state in a process, or -1 */
int
FsmStateIndex(const FsmProcess *p, const char *state)
{
	int			i;

	if (state == NULL)
		return -1;
	for (i = 0; i < p->nstates; i++)
		if (strcmp(p->states[i], state) == 0)
			return i;
	return -1;
}

/* the transition leaving state "from" on "event", or NULL */
const FsmTransition *
FsmFindEvent(const FsmProcess *p, int from, const char *event)
{
	int			i;

	for (i = 0; i < p->ntrans; i++)
		if (p->trans[i].from == from && strcmp(p->trans[i].event, event) == 0)
			return &p->trans[i];
	return NULL;
}

/* "a, b, c": the events valid in state "from", in name order */
char *
FsmEventList(const FsmProcess *p, int from)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < p->ntrans; i++)
	{
		if (p->trans[i].from != from)
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, p->trans[i].event);
	}
	return buf.data;
}

/* "a, b": the distinct states reachable in one step from "from" */
char *
FsmNextStateList(const FsmProcess *p, int from)
{
	StringInfoData buf;
	bool	   *seen = palloc0(sizeof(bool) * (p->nstates > 0 ? p->nstates : 1));
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < p->nstates; i++)
	{
		int			j;

		for (j = 0; j < p->ntrans; j++)
			if (p->trans[j].from == from && p->trans[j].to == i && p->trans[j].to != from)
				seen[i] = true;
		if (seen[i])
		{
			if (buf.len > 0)
				appendStringInfoString(&buf, ", ");
			appendStringInfoString(&buf, p->states[i]);
		}
	}
	return buf.data;
}

/*
 * FsmProblems
 *		What makes a process invalid, as a list of sentences; NIL if valid.
 *		Rules: exactly one initial state; at least one terminal state; every
 *		state reachable from the initial one; every non-terminal state can
 *		reach a terminal one; no transition leaves a terminal state; (from,
 *		event) unique.
 */
List *
FsmProblems(const FsmProcess *p)
{
	List	   *problems = NIL;
	int			n = p->nstates;
	int			ninitial = 0;
	int			nterminal = 0;
	int			init = -1;
	int			i;
	bool	   *mark;
	bool		changed;

	if (n == 0)
		return list_make1(psprintf("Process \"%s\" has no states.", p->name));

	for (i = 0; i < n; i++)
	{
		if (p->initial[i])
		{
			ninitial++;
			init = i;
		}
		if (p->terminal[i])
			nterminal++;
	}
	if (ninitial == 0)
		problems = lappend(problems, psprintf("Process \"%s\" has no initial state.", p->name));
	else if (ninitial > 1)
		problems = lappend(problems, psprintf("Process \"%s\" has %d initial states; it needs exactly one.",
											  p->name, ninitial));
	if (nterminal == 0)
		problems = lappend(problems, psprintf("Process \"%s\" has no terminal state.", p->name));

	for (i = 0; i < p->ntrans; i++)
	{
		int			j;

		if (p->terminal[p->trans[i].from])
			problems = lappend(problems,
							   psprintf("Terminal state \"%s\" has a transition on event \"%s\".",
										p->states[p->trans[i].from], p->trans[i].event));
		for (j = 0; j < i; j++)
			if (p->trans[j].from == p->trans[i].from && strcmp(p->trans[j].event, p->trans[i].event) == 0)
				problems = lappend(problems,
								   psprintf("Event \"%s\" leaves state \"%s\" more than once.",
											p->trans[i].event, p->states[p->trans[i].from]));
	}

	/* forward reachability from the initial state */
	mark = palloc0(sizeof(bool) * n);
	if (ninitial == 1)
	{
		mark[init] = true;
		do
		{
			changed = false;
			for (i = 0; i < p->ntrans; i++)
				if (mark[p->trans[i].from] && !mark[p->trans[i].to])
					mark[p->trans[i].to] = changed = true;
		} while (changed);
		for (i = 0; i < n; i++)
			if (!mark[i])
				problems = lappend(problems,
								   psprintf("State \"%s\" is not reachable from the initial state \"%s\".",
											p->states[i], p->states[init]));
	}

	/* backward reachability from the terminal states */
	if (nterminal > 0)
	{
		for (i = 0; i < n; i++)
			mark[i] = p->terminal[i];
		do
		{
			changed = false;
			for (i = 0; i < p->ntrans; i++)
				if (mark[p->trans[i].to] && !mark[p->trans[i].from])
					mark[p->trans[i].from] = changed = true;
		} while (changed);
		for (i = 0; i < n; i++)
			if (!mark[i])
				problems = lappend(problems,
								   psprintf("State \"%s\" cannot reach a terminal state.", p->states[i]));
	}
	pfree(mark);
	return problems;
}

/* the problems joined into one errdetail */
char *
FsmProblemsText(List *problems)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, problems)
	{
		if (buf.len > 0)
			appendStringInfoChar(&buf, ' ');
		appendStringInfoString(&buf, (char *) lfirst(lc));
	}
	return buf.data;
}
