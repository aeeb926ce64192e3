/*-------------------------------------------------------------------------
 *
 * wake.c
 *	  Dialer workers woken by commits: a committed enqueue, agent change or
 *	  settings change sets the latch of its database's dialer workers, so an
 *	  attempt due now is claimed at once instead of at the next poll.
 *
 * Each worker publishes its latch in a slot of shared memory (database,
 * PBX, pid, latch, a wake counter).  Row triggers on call_attempt,
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

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"

#include "wake.h"

#define DIALER_WAKE_SLOTS 64

typedef struct DialerWakeSlot
{
	Oid			dboid;			/* InvalidOid: free */
	int			pbx_id;
	pid_t		pid;
	Latch	   *latch;
	uint64		wakes;			/* bumped by every waking commit */
} DialerWakeSlot;

typedef struct DialerWakeShared
{
	slock_t		mutex;
	DialerWakeSlot slots[DIALER_WAKE_SLOTS];
} DialerWakeShared;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static DialerWakeShared *wake_shared = NULL;
static bool wake_at_commit = false;
static bool xact_callback_registered = false;
static int	my_slot = -1;		/* in a dialer worker: its slot */
static uint64 my_wakes_seen = 0;

static void
wake_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(DialerWakeShared)));
}

static void
wake_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	wake_shared = ShmemInitStruct("bankcrm dialer wake", sizeof(DialerWakeShared), &found);
	if (!found)
	{
		memset(wake_shared, 0, sizeof(DialerWakeShared));
		SpinLockInit(&wake_shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * DialerWakeShmemRequest
 *		Install the shared memory hooks; _PG_init calls it while
 *		shared_preload_libraries is processed.
 */
void
DialerWakeShmemRequest(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = wake_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = wake_shmem_startup;
}

static void
wake_unpublish(int code, Datum arg)
{
	if (wake_shared == NULL || my_slot < 0)
		return;
	SpinLockAcquire(&wake_shared->mutex);
	if (wake_shared->slots[my_slot].pid == MyProcPid)
		memset(&wake_shared->slots[my_slot], 0, sizeof(DialerWakeSlot));
	SpinLockRelease(&wake_shared->mutex);
	my_slot = -1;
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
	int			i;
	int			free_slot = -1;

	if (wake_shared == NULL)
		return false;
	SpinLockAcquire(&wake_shared->mutex);
	for (i = 0; i < DIALER_WAKE_SLOTS; i++)
	{
		DialerWakeSlot *s = &wake_shared->slots[i];

		/* the slot of an earlier worker of this PBX that exited without its exit callback */
		if (s->dboid == MyDatabaseId && s->pbx_id == pbx_id)
		{
			free_slot = i;
			break;
		}
		if (s->dboid == InvalidOid && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0)
	{
		DialerWakeSlot *s = &wake_shared->slots[free_slot];

		s->dboid = MyDatabaseId;
		s->pbx_id = pbx_id;
		s->pid = MyProcPid;
		s->latch = MyLatch;
		my_wakes_seen = s->wakes;
	}
	SpinLockRelease(&wake_shared->mutex);
	if (free_slot < 0)
		return false;
	my_slot = free_slot;
	on_shmem_exit(wake_unpublish, (Datum) 0);
	return true;
}

/*
 * DialerWakeTaken
 *		In a dialer worker: true once after each waking commit.
 */
bool
DialerWakeTaken(void)
{
	uint64		wakes;

	if (wake_shared == NULL || my_slot < 0)
		return false;
	SpinLockAcquire(&wake_shared->mutex);
	wakes = wake_shared->slots[my_slot].wakes;
	SpinLockRelease(&wake_shared->mutex);
	if (wakes == my_wakes_seen)
		return false;
	my_wakes_seen = wakes;
	return true;
}

static void
wake_xact_callback(XactEvent event, void *arg)
{
	Latch	   *latches[DIALER_WAKE_SLOTS];
	int			n = 0;
	int			i;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (!wake_at_commit || wake_shared == NULL)
				break;
			wake_at_commit = false;
			SpinLockAcquire(&wake_shared->mutex);
			for (i = 0; i < DIALER_WAKE_SLOTS; i++)
			{
				DialerWakeSlot *s = &wake_shared->slots[i];

				if (s->dboid == MyDatabaseId && s->pid != MyProcPid && s->latch != NULL)
				{
					s->wakes++;
					latches[n++] = s->latch;
				}
			}
			SpinLockRelease(&wake_shared->mutex);
			for (i = 0; i < n; i++)
				SetLatch(latches[i]);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_at_commit = false;
			break;
		default:
			break;
	}
}

/*
 * DialerWakeAtCommit
 *		Wake this database's dialer workers when the transaction commits.
 */
void
DialerWakeAtCommit(void)
{
	if (wake_shared == NULL || my_slot >= 0)
		return;
	if (!xact_callback_registered)
	{
		RegisterXactCallback(wake_xact_callback, NULL);
		xact_callback_registered = true;
	}
	wake_at_commit = true;
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
