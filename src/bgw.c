/*-------------------------------------------------------------------------
 *
 * bgw.c
 *	  What every bankcrm background worker shares: registration, signals,
 *	  transactions with error recovery, wait events, and wake-ups at commit.
 *
 * Registration (BgwDefine) fills a BackgroundWorker for a function of this
 * library that connects to a database, started once recovery is over.
 *
 * Signals (BgwSignals): SIGHUP sets ConfigReloadPending, which the loop
 * takes with BgwReloadConfig; SIGTERM either ends the process at the next
 * CHECK_FOR_INTERRUPTS (die: a worker with nothing to finish) or, graceful,
 * sets a flag and the latch so that the loop finishes its step first
 * (BgwStopRequested: the dialer writes what is finished).
 *
 * Transactions (BgwBegin, BgwCommit, BgwRecover) follow worker_spi: a
 * statement timestamp, a transaction, SPI if asked, a snapshot, and what
 * the worker does shown in pg_stat_activity; after an ERROR the caller's
 * PG_CATCH calls BgwRecover, which aborts, leaves SPI and returns the error
 * for the caller to log in its own words.  No transaction is open while a
 * worker waits.
 *
 * Wake-ups (BgwWakeDefine, BgwWakePublish, BgwWakeTaken, BgwWakeAtCommit):
 * a table of slots in shared memory per kind of worker; a worker publishes
 * its latch under (database, key); a session that changed what a worker
 * waits for asks, from a trigger or a function, for a wake-up at commit, and
 * the transaction callback then bumps the counter of every slot of its
 * database and sets their latches, after the commit, so that the worker's
 * next snapshot sees the rows.  A worker's own writes wake no one of its
 * table.  Without shared_preload_libraries there is no shared memory:
 * wake-ups are no-ops and the workers poll.
 *
 * Layer: workers.  It knows nothing of the dialer or the churn monitor.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/bgw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "bgw.h"
#include "compat.h"

/* ------------------------------------------------------------------------
 * registration, signals, wait events
 * ------------------------------------------------------------------------
 */

void
BgwDefine(BackgroundWorker *worker, const char *function, const char *type,
		  const char *name, int restart_s, Datum arg)
{
	memset(worker, 0, sizeof(*worker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = restart_s;
	snprintf(worker->bgw_library_name, BGW_MAXLEN, "bankcrm");
	snprintf(worker->bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker->bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(worker->bgw_type, BGW_MAXLEN, "%s", type);
	worker->bgw_main_arg = arg;
	worker->bgw_notify_pid = 0;
}

static volatile sig_atomic_t stop_requested = false;

/* SIGTERM seen: die() clears ProcDiePending before its FATAL, so keep our own */
static volatile sig_atomic_t term_received = false;

/* SIGTERM, at once: remember it, then as die() */
static void
bgw_die(SIGNAL_ARGS)
{
	term_received = true;
	die(postgres_signal_arg);
}

/* SIGTERM, graceful: finish the current step, then leave the loop */
static void
bgw_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	stop_requested = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/*
 * The line every worker logs when it stops, by its name in
 * pg_stat_activity: asked to (SIGTERM, at once or after its step) or done,
 * or after an error that ended it.
 */
static void
bgw_log_stop(int code, Datum arg)
{
	bool		asked = code == 0 || stop_requested || term_received;

	ereport(LOG,
			(errmsg("%s stopped%s", MyBgworkerEntry->bgw_name,
					asked ? "" : " after an error")));
}

/*
 * BgwSignals
 *		The signals of a worker (SIGHUP rereads the settings; SIGTERM stops
 *		at once, or after the current step when graceful), and one log line
 *		when it starts and one when it stops, with its name.
 */
void
BgwSignals(bool graceful)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, graceful ? bgw_sigterm : bgw_die);
	BackgroundWorkerUnblockSignals();
	ereport(LOG, (errmsg("%s started", MyBgworkerEntry->bgw_name)));
	before_shmem_exit(bgw_log_stop, (Datum) 0);
}

bool
BgwStopRequested(void)
{
	return stop_requested;
}

/* BgwReloadConfig: reread the settings after a SIGHUP; true if it did */
bool
BgwReloadConfig(void)
{
	if (!ConfigReloadPending)
		return false;
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	return true;
}

/* BgwWaitEvent: the worker's own wait event (PostgreSQL 17+), else Extension */
uint32
BgwWaitEvent(const char *name)
{
	return BankcrmWaitEventNew(name);
}

/* ------------------------------------------------------------------------
 * transactions
 * ------------------------------------------------------------------------
 */

void
BgwBegin(const char *what, bool spi)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (spi)
		SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	debug_query_string = what;
	pgstat_report_activity(STATE_RUNNING, what);
}

void
BgwCommit(bool spi)
{
	if (spi)
		SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	debug_query_string = NULL;
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * BgwRecover
 *		In a PG_CATCH after BgwBegin: abort the transaction, leave SPI, and
 *		return the error (allocated in cxt, which is current again) for the
 *		caller to log and FreeErrorData.
 */
ErrorData *
BgwRecover(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	SPI_finish();
	debug_query_string = NULL;
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(cxt);
	return edata;
}

/* ------------------------------------------------------------------------
 * wake-ups at commit
 * ------------------------------------------------------------------------
 */

#define BGW_WAKE_TABLES 4
#define BGW_WAKE_SLOTS_MAX 64

typedef struct BgwWakeSlot
{
	Oid			dboid;			/* InvalidOid: free */
	int			key;
	pid_t		pid;
	Latch	   *latch;
	uint64		wakes;			/* bumped by every waking commit */
} BgwWakeSlot;

typedef struct BgwWakeShared
{
	slock_t		mutex;
	int			nslots;
	BgwWakeSlot slots[FLEXIBLE_ARRAY_MEMBER];
} BgwWakeShared;

typedef struct BgwWakeLocal
{
	const char *name;
	int			nslots;
	BgwWakeShared *shared;		/* NULL without shared memory */
	bool		wake_at_commit;
	int			my_slot;		/* in a worker that published: its slot */
	uint64		my_wakes_seen;
} BgwWakeLocal;

static BgwWakeLocal wake_tables[BGW_WAKE_TABLES];
static int	nwake_tables = 0;
static bool hooks_installed = false;
static bool xact_callback_registered = false;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
wake_size(int nslots)
{
	return MAXALIGN(add_size(offsetof(BgwWakeShared, slots), mul_size(sizeof(BgwWakeSlot), nslots)));
}

static void
bgw_shmem_request(void)
{
	int			i;

	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	for (i = 0; i < nwake_tables; i++)
		RequestAddinShmemSpace(wake_size(wake_tables[i].nslots));
}

static void
bgw_shmem_startup(void)
{
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	for (i = 0; i < nwake_tables; i++)
	{
		BgwWakeLocal *t = &wake_tables[i];
		bool		found;

		t->shared = ShmemInitStruct(t->name, wake_size(t->nslots), &found);
		if (!found)
		{
			memset(t->shared, 0, wake_size(t->nslots));
			SpinLockInit(&t->shared->mutex);
			t->shared->nslots = t->nslots;
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * BgwWakeDefine
 *		A wake-up table of nslots slots, named in shared memory; _PG_init
 *		calls it while shared_preload_libraries is processed.
 */
BgwWakeTable
BgwWakeDefine(const char *name, int nslots)
{
	BgwWakeLocal *t;

	if (nwake_tables >= BGW_WAKE_TABLES || nslots > BGW_WAKE_SLOTS_MAX)
		elog(ERROR, "too many bankcrm wake-up tables or slots");
	t = &wake_tables[nwake_tables];
	t->name = name;
	t->nslots = nslots;
	t->shared = NULL;
	t->my_slot = -1;
	if (!hooks_installed)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = bgw_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = bgw_shmem_startup;
		hooks_installed = true;
	}
	return nwake_tables++;
}

static void
wake_unpublish(int code, Datum arg)
{
	BgwWakeLocal *t = &wake_tables[DatumGetInt32(arg)];

	if (t->shared == NULL || t->my_slot < 0)
		return;
	SpinLockAcquire(&t->shared->mutex);
	if (t->shared->slots[t->my_slot].pid == MyProcPid)
		memset(&t->shared->slots[t->my_slot], 0, sizeof(BgwWakeSlot));
	SpinLockRelease(&t->shared->mutex);
	t->my_slot = -1;
}

/*
 * BgwWakePublish
 *		In a worker: publish its latch under (this database, key), taking
 *		over the slot of an earlier worker of the same key that exited
 *		without its exit callback.  False when there is no shared memory or
 *		no free slot (the worker then only polls).
 */
bool
BgwWakePublish(BgwWakeTable tid, int key)
{
	BgwWakeLocal *t = &wake_tables[tid];
	int			i;
	int			free_slot = -1;

	if (t->shared == NULL)
		return false;
	SpinLockAcquire(&t->shared->mutex);
	for (i = 0; i < t->nslots; i++)
	{
		BgwWakeSlot *s = &t->shared->slots[i];

		if (s->dboid == MyDatabaseId && s->key == key)
		{
			free_slot = i;
			break;
		}
		if (s->dboid == InvalidOid && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0)
	{
		BgwWakeSlot *s = &t->shared->slots[free_slot];

		s->dboid = MyDatabaseId;
		s->key = key;
		s->pid = MyProcPid;
		s->latch = MyLatch;
		t->my_wakes_seen = s->wakes;
	}
	SpinLockRelease(&t->shared->mutex);
	if (free_slot < 0)
		return false;
	t->my_slot = free_slot;
	on_shmem_exit(wake_unpublish, Int32GetDatum(tid));
	return true;
}

/* BgwWakeTaken: in a worker that published, true once after each waking commit */
bool
BgwWakeTaken(BgwWakeTable tid)
{
	BgwWakeLocal *t = &wake_tables[tid];
	uint64		wakes;

	if (t->shared == NULL || t->my_slot < 0)
		return false;
	SpinLockAcquire(&t->shared->mutex);
	wakes = t->shared->slots[t->my_slot].wakes;
	SpinLockRelease(&t->shared->mutex);
	if (wakes == t->my_wakes_seen)
		return false;
	t->my_wakes_seen = wakes;
	return true;
}

static void
wake_xact_callback(XactEvent event, void *arg)
{
	int			i;
	int			j;

	for (i = 0; i < nwake_tables; i++)
	{
		BgwWakeLocal *t = &wake_tables[i];

		switch (event)
		{
			case XACT_EVENT_COMMIT:
			case XACT_EVENT_PARALLEL_COMMIT:
				if (t->wake_at_commit && t->shared != NULL)
				{
					Latch	   *latches[BGW_WAKE_SLOTS_MAX];
					int			n = 0;

					SpinLockAcquire(&t->shared->mutex);
					for (j = 0; j < t->nslots; j++)
					{
						BgwWakeSlot *s = &t->shared->slots[j];

						if (s->dboid == MyDatabaseId && s->pid != MyProcPid && s->latch != NULL)
						{
							s->wakes++;
							latches[n++] = s->latch;
						}
					}
					SpinLockRelease(&t->shared->mutex);
					for (j = 0; j < n; j++)
						SetLatch(latches[j]);
				}
				t->wake_at_commit = false;
				break;
			case XACT_EVENT_ABORT:
			case XACT_EVENT_PARALLEL_ABORT:
			case XACT_EVENT_PREPARE:
				t->wake_at_commit = false;
				break;
			default:
				break;
		}
	}
}

/*
 * BgwWakeAtCommit
 *		Wake the workers of this database published in the table when the
 *		transaction commits; a no-op in a worker published there (its own
 *		writes wake no one) and without shared memory.
 */
void
BgwWakeAtCommit(BgwWakeTable tid)
{
	BgwWakeLocal *t = &wake_tables[tid];

	if (t->shared == NULL || t->my_slot >= 0)
		return;
	if (!xact_callback_registered)
	{
		RegisterXactCallback(wake_xact_callback, NULL);
		xact_callback_registered = true;
	}
	t->wake_at_commit = true;
}
