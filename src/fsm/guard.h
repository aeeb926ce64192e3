/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  Firing an event: the process engine's interface to the rest of the
 *	  extension (campaign.c's lead_fire).
 *
 * Layer: SQL entry points of src/fsm/ (guard.c calls fsm.c; fsm.c never
 * calls guard.c).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/fsm/guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_FSM_GUARD_H
#define BANKCRM_FSM_GUARD_H

#include "datatype/timestamp.h"
#include "fmgr.h"

/*
 * Fire an event on row "id" of the guarded table "relid": lock the row,
 * compute the next state, update the state column and write the history
 * row, all in the caller's transaction and on the caller's node.  Returns
 * the new state (palloc'd).  "schema" is the extension's schema; at_set/at
 * give an explicit event time (the caller checks that it may).
 */
extern char *FsmFire(Oid schema, Oid relid, int64 id, const char *event,
					 const char *note, bool at_set, TimestampTz at);

/*
 * The body of fsm_fire(): its arguments from "first" on are (id, event,
 * note, at); checks them and the right to give an event time, fires on
 * relid and returns the new state as text.
 */
extern Datum FsmFireArgs(FunctionCallInfo fcinfo, Oid relid, int first);

#endif							/* BANKCRM_FSM_GUARD_H */
