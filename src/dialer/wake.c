/*-------------------------------------------------------------------------
 *
 * wake.c
 *	  Dialer workers woken by commits: a committed enqueue, agent change or
 *	  settings change sets the latch of its database's dialer workers, so an
 *	  attempt due now is claimed at once instead of at the next poll.
 *
 * Each worker publishes its latch in a slot of the dialer's wake-up table
 * (src/bgw.c; keyed by database and PBX).  Row triggers on call_attempt,
 * dialer_agent and dial_settings (src/sql/71_dialer_wake.sql) ask for a
 * wake-up at commit; the transaction callback then bumps the counter of
 * every slot of the database and sets its latch.  The worker claims at once
 * when its counter moved.  The latch is set only after commit, so the
 * worker's next snapshot sees the rows.  The poll timer
 * (bankcrm.dialer_poll_interval) stays for attempts that become due later.
 *
 * Without shared_preload_libraries there is no shared memory: the triggers
 * are no-ops and the worker polls.  On Citus the triggers of a distributed
 * table fire on the node that holds the shard, which has no dialer: the
 * coordinator's worker polls for those.  The worker's own writes never wake
 * it (they come from its process).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/wake.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"

#include "bgw.h"
#include "wake.h"

#define DIALER_WAKE_SLOTS 64

/* the dialer workers' wake-up table (bgw.c), keyed by PBX */
static BgwWakeTable dialer_wake_table = -1;

/*
 * DialerWakeShmemRequest
 *		Define the wake-up table; _PG_init calls it while
 *		shared_preload_libraries is processed.
 */
void
DialerWakeShmemRequest(void)
{
	dialer_wake_table = BgwWakeDefine("bankcrm dialer wake", DIALER_WAKE_SLOTS);
}

/*
 * DialerWakePublish
 *		In a dialer worker: publish its latch for the commits of this
 *		database.  False when there is no shared memory or no free slot (the
 *		worker then only polls).
 */
bool
DialerWakePublish(int pbx_id)
{
	return dialer_wake_table >= 0 && BgwWakePublish(dialer_wake_table, pbx_id);
}

/*
 * DialerWakeTaken
 *		In a dialer worker: true once after each waking commit.
 */
bool
DialerWakeTaken(void)
{
	return dialer_wake_table >= 0 && BgwWakeTaken(dialer_wake_table);
}

/*
 * DialerWakeAtCommit
 *		Wake this database's dialer workers when the transaction commits.
 */
void
DialerWakeAtCommit(void)
{
	if (dialer_wake_table >= 0)
		BgwWakeAtCommit(dialer_wake_table);
}

/*
 * dialer_wake() -> void
 *		Wake this database's dialer workers when the current transaction
 *		commits.  A no-op when the library is not preloaded.
 */
PG_FUNCTION_INFO_V1(dialer_wake);
Datum
dialer_wake(PG_FUNCTION_ARGS)
{
	DialerWakeAtCommit();
	PG_RETURN_VOID();
}

/*
 * dialer_wake_trigger() -> trigger
 *		The same, as an AFTER row trigger of the tables whose changes may make
 *		a call dialable now.
 */
PG_FUNCTION_INFO_V1(dialer_wake_trigger);
Datum
dialer_wake_trigger(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dialer_wake_trigger() may only be called as a trigger")));
	DialerWakeAtCommit();
	return PointerGetDatum(NULL);
}
