/*-------------------------------------------------------------------------
 *
 * churn_worker.c
 *	  The churn monitor: background workers that evaluate parties as soon
 *	  as their weekly activity arrives.
 *
 * Two kinds of worker:
 *
 * - "bankcrm churn launcher", registered at server start, connected to no
 *	 database.  It starts one monitor per database named in
 *	 bankcrm.churn_databases (empty: bankcrm.database), restarts a monitor
 *	 that died (no sooner than a second after its last start), stops the
 *	 monitors of databases dropped from the list, and stops them all when
 *	 bankcrm.churn_monitor is off.  It rereads the settings on SIGHUP.
 *
 * - "bankcrm churn monitor", a dynamic worker per database.  It takes
 *	 batches of bankcrm_churn.churn_dirty marks with
 *	 bankcrm.churn_process_dirty(bankcrm.churn_batch_size), each batch in
 *	 its own transaction, until none are left, then sleeps for
 *	 bankcrm.churn_interval or until its latch is set.  A database without
 *	 the extension is checked again every interval, and so is a Citus
 *	 worker node: on Citus the monitor of the coordinator does the work.
 *	 A batch that fails is logged and retried after a pause that doubles
 *	 with each failure in a row (CHURN_BACKOFF_MAX_MS at most): the
 *	 monitor never exits on an error, so the launcher never restarts it in
 *	 a loop.  Before its first batch it evaluates every party once,
 *	 writing nothing, to fill the detector states its batches resume from
 *	 (churn_monitor.c).
 *
 * Marks are rows removed in the transaction that evaluates them: a monitor
 * killed mid-batch rolls back and the marks are still there for its
 * successor; an alert raised in that transaction is rolled back with them,
 * so it is not raised twice.
 *
 * Wake-ups: a session that inserts activity calls ChurnWakeMonitorAtCommit
 * (through churn_wake_monitor()); at commit it sets the latch of its
 * database's monitor, which the monitor published in shared memory.  The
 * latch is set only after commit, so the monitor's next snapshot sees the
 * marks.  Without shared_preload_libraries there is no shared memory and no
 * monitor; the wake-up is then a no-op.
 *
 * The wake-up table, the registration, the signals and the wait events are
 * src/bgw.c's, shared with the dialer: one slot per served database.
 *
 * Layer: workers, the top of src/churn/.  Calls the monitor's batch
 * (churn_monitor.c); the insert path's trigger calls its wake-up.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "bankcrm.h"
#include "bgw.h"
#include "churn_monitor.h"
#include "churn_worker.h"
#include "compat.h"
#include "dialer/pacing.h"

/* the longest pause after failed batches */
#define CHURN_BACKOFF_MAX_MS (5 * 60 * 1000L)

/* a monitor the launcher started */
typedef struct LaunchedMonitor
{
	Oid			dboid;
	BackgroundWorkerHandle *handle;		/* NULL: not running */
	TimestampTz started_at;
} LaunchedMonitor;

static void churn_monitor_detach(int code, Datum arg);
static int	ChurnMonitorBatch(void);
static void ChurnMonitorWarmUp(void);
static void ChurnMonitorRecover(MemoryContext cxt, const char *what);
static bool ChurnExtensionReady(void);
static void ChurnLauncherReconcile(LaunchedMonitor *launched, int *nlaunched);

/* the monitors' wake-up table (src/bgw.c): one slot per database */
static BgwWakeTable churn_wake_table = -1;
static bool warmed = false;		/* the monitor's detector states are filled */
static uint32 churn_wait_event = PG_WAIT_EXTENSION;	/* this process's wait event */
static int	churn_failures = 0;	/* the monitor's failed batches in a row */
static char *churn_serving = NULL;	/* the monitor's database, for its last log line */

/*
 * ChurnWorkerShmemRequest
 *		Define the monitors' wake-up table (src/bgw.c); _PG_init calls it
 *		while shared_preload_libraries is processed.
 */
void
ChurnWorkerShmemRequest(void)
{
	churn_wake_table = BgwWakeDefine("bankcrm churn monitor", CHURN_MAX_DATABASES);
}

/*
 * ChurnWorkerRegisterLauncher
 *		Register the launcher; _PG_init calls it while
 *		shared_preload_libraries is processed.
 */
void
ChurnWorkerRegisterLauncher(void)
{
	BackgroundWorker worker;

	BgwDefine(&worker, "churn_launcher_main", "bankcrm churn launcher", "bankcrm churn launcher", 1, (Datum) 0);
	RegisterBackgroundWorker(&worker);
}

/* ---------------------------------------------------------------------
 * wake-ups
 * ---------------------------------------------------------------------
 */

/*
 * ChurnWakeMonitorAtCommit
 *		Set the latch of this database's monitor when the transaction commits.
 */
void
ChurnWakeMonitorAtCommit(void)
{
	if (churn_wake_table >= 0)
		BgwWakeAtCommit(churn_wake_table);
}

/* ---------------------------------------------------------------------
 * the launcher
 * ---------------------------------------------------------------------
 */

void
churn_launcher_main(Datum main_arg)
{
	LaunchedMonitor launched[CHURN_MAX_DATABASES];
	int			nlaunched = 0;
	MemoryContext loop_ctx;

	BgwSignals(false);
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("bankcrm churn launcher");
	churn_wait_event = BgwWaitEvent("BankcrmChurnLauncher");

	loop_ctx = AllocSetContextCreate(TopMemoryContext, "bankcrm churn launcher loop", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		(void) BgwReloadConfig();
		MemoryContextSwitchTo(loop_ctx);
		ChurnLauncherReconcile(launched, &nlaunched);
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(loop_ctx);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, churn_wait_event);
		ResetLatch(MyLatch);
	}
}

/*
 * BankcrmDatabaseOid
 *		The oid of the database of that name, InvalidOid if none, by a heap
 *		scan of pg_database.
 *
 * The launcher is connected to no database, so it cannot build the relcache
 * entry of a shared catalog's index (that reads pg_class) until a backend
 * has rewritten the shared relcache init file, which a crash or initdb
 * removes; get_database_oid's index scan then fails.  The autovacuum
 * launcher reads pg_database by heap scan for the same reason.
 */
Oid
BankcrmDatabaseOid(const char *name)
{
	Relation	rel = table_open(DatabaseRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple	tup;
	Oid			oid = InvalidOid;

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (strcmp(NameStr(db->datname), name) == 0)
		{
			oid = db->oid;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return oid;
}

/*
 * ChurnLauncherReconcile
 *		Make the running monitors match the settings.
 */
static void
ChurnLauncherReconcile(LaunchedMonitor *launched, int *nlaunched)
{
	Oid			want[CHURN_MAX_DATABASES];
	char	   *names[CHURN_MAX_DATABASES];
	int			nwant = 0;
	int			i;
	int			j;
	TimestampTz now = GetCurrentTimestamp();

	/* which databases the settings name */
	if (bankcrm_churn_monitor)
	{
		const char *setting = (bankcrm_churn_databases && bankcrm_churn_databases[0])
			? bankcrm_churn_databases : bankcrm_database;
		char	   *raw = pstrdup(setting ? setting : "");
		List	   *list = NIL;
		ListCell   *lc;

		if (!SplitIdentifierString(raw, ',', &list))
			ereport(LOG,
					(errmsg("bankcrm churn launcher: invalid list syntax in bankcrm.churn_databases")));
		else if (list != NIL)
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			foreach(lc, list)
			{
				char	   *name = (char *) lfirst(lc);
				Oid			oid = BankcrmDatabaseOid(name);
				bool		dup = false;

				if (!OidIsValid(oid))
					continue;
				for (j = 0; j < nwant; j++)
					dup |= want[j] == oid;
				if (dup)
					continue;
				if (nwant == CHURN_MAX_DATABASES)
				{
					ereport(LOG,
							(errmsg("bankcrm churn launcher: serving only the first %d databases",
									CHURN_MAX_DATABASES)));
					break;
				}
				names[nwant] = pstrdup(name);
				want[nwant++] = oid;
			}
			CommitTransactionCommand();
		}
	}

	/* forget monitors that stopped; stop those no longer wanted */
	for (i = 0; i < *nlaunched; i++)
	{
		LaunchedMonitor *m = &launched[i];
		bool		wanted = false;

		for (j = 0; j < nwant; j++)
			wanted |= want[j] == m->dboid;
		if (m->handle != NULL)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(m->handle, &pid) == BGWH_STOPPED)
			{
				pfree(m->handle);
				m->handle = NULL;
			}
			else if (!wanted)
				TerminateBackgroundWorker(m->handle);
		}
		if (!wanted && m->handle == NULL)
		{
			launched[i] = launched[--(*nlaunched)];
			i--;
		}
	}

	/* start what is missing */
	for (j = 0; j < nwant; j++)
	{
		LaunchedMonitor *m = NULL;
		BackgroundWorker worker;
		BackgroundWorkerHandle *handle;
		MemoryContext old;
		char		name[BGW_MAXLEN];

		for (i = 0; i < *nlaunched; i++)
			if (launched[i].dboid == want[j])
				m = &launched[i];
		if (m != NULL && (m->handle != NULL ||
						  !TimestampDifferenceExceeds(m->started_at, now, 1000)))
			continue;

		snprintf(name, sizeof(name), "bankcrm churn monitor for database %s", names[j]);
		BgwDefine(&worker, "churn_monitor_main", "bankcrm churn monitor", name, BGW_NEVER_RESTART,
				  ObjectIdGetDatum(want[j]));
		worker.bgw_notify_pid = MyProcPid;

		old = MemoryContextSwitchTo(TopMemoryContext);
		if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		{
			MemoryContextSwitchTo(old);
			ereport(LOG,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("bankcrm churn launcher: could not start the churn monitor for database \"%s\"", names[j]),
					 errhint("Raise max_worker_processes.")));
			continue;
		}
		MemoryContextSwitchTo(old);
		if (m == NULL)
		{
			m = &launched[(*nlaunched)++];
			m->dboid = want[j];
		}
		m->handle = handle;
		m->started_at = now;
	}
}

/* ---------------------------------------------------------------------
 * the monitor
 * ---------------------------------------------------------------------
 */

static void
churn_monitor_detach(int code, Datum arg)
{
	if (churn_serving != NULL)
		ereport(LOG, (errmsg("churn monitor stopped serving database \"%s\"", churn_serving)));
}

void
churn_monitor_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	MemoryContext loop_ctx;

	BgwSignals(false);
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	/* nothing planted in public (or anywhere else) is ever called as superuser */
	BankcrmPinSearchPath();
	pgstat_report_appname("bankcrm churn monitor");
	churn_wait_event = BgwWaitEvent("BankcrmChurnMonitor");
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	churn_serving = MemoryContextStrdup(TopMemoryContext, get_database_name(dboid));
	CommitTransactionCommand();
	before_shmem_exit(churn_monitor_detach, (Datum) 0);
	ereport(LOG, (errmsg("churn monitor started serving database \"%s\"", churn_serving)));

	/* publish our latch for this database (the slot is freed at exit) */
	if (churn_wake_table >= 0)
		(void) BgwWakePublish(churn_wake_table, 0);

	loop_ctx = AllocSetContextCreate(TopMemoryContext, "bankcrm churn monitor loop", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		(void) BgwReloadConfig();
		if (!bankcrm_churn_monitor)
			proc_exit(0);

		/* once, before the first batch: the detector states */
		if (!warmed)
		{
			MemoryContextSwitchTo(loop_ctx);
			ChurnMonitorWarmUp();
			MemoryContextSwitchTo(TopMemoryContext);
			MemoryContextReset(loop_ctx);
		}

		/* batches until the marks run out or one fails */
		for (;;)
		{
			int			n;

			MemoryContextSwitchTo(loop_ctx);
			n = ChurnMonitorBatch();
			MemoryContextSwitchTo(TopMemoryContext);
			MemoryContextReset(loop_ctx);
			if (n < 0)
			{
				churn_failures++;
				break;
			}
			if (churn_failures > 0)
				ereport(LOG,
						(errmsg("churn monitor: batches succeed again after %d failed tries", churn_failures)));
			churn_failures = 0;
			if (n < bankcrm_churn_batch_size)
				break;
			CHECK_FOR_INTERRUPTS();
			(void) BgwReloadConfig();
			if (!bankcrm_churn_monitor)
				proc_exit(0);
		}

		if (churn_failures == 0)
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 bankcrm_churn_interval * 1000L, churn_wait_event);
		else
		{
			/*
			 * after a failed batch: the interval doubled for every failure in
			 * a row, up to CHURN_BACKOFF_MAX_MS, with jitter (pacing.c, as the
			 * dialer backs off), so that monitors failing together do not
			 * retry together; wake-ups do not cut it short, since the marks
			 * that failed are still first in the queue.  The detector states
			 * are kept: they are a function of the data, not of the batch.
			 */
			long		wait_ms = (long) PacingBackoffMs(churn_failures, bankcrm_churn_interval * 1000L,
														 Max(CHURN_BACKOFF_MAX_MS, bankcrm_churn_interval * 1000L),
														 pg_prng_uint32(&pg_global_prng_state));
			TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);

			while ((wait_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until)) > 0)
			{
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
								 wait_ms, churn_wait_event);
				ResetLatch(MyLatch);
				CHECK_FOR_INTERRUPTS();
				if (ConfigReloadPending)
					break;
			}
		}
		ResetLatch(MyLatch);
	}
}

/*
 * ChurnExtensionReady
 *		True when our tables exist and may be used (pg_cron's
 *		PgCronHasBeenLoaded); called inside a transaction.
 */
static bool
ChurnExtensionReady(void)
{
	bool		ready;

	if (IsBinaryUpgrade || creating_extension || RecoveryInProgress())
		return false;
	if (!OidIsValid(get_extension_oid("bankcrm", true)))
		return false;

	/*
	 * On a Citus cluster the monitor works on the coordinator only: it
	 * claims and evaluates marks of every shard from there.  A worker node
	 * has the extension too (Citus propagates it), but its monitor idles.
	 */
	if (!OidIsValid(get_extension_oid("citus", true)))
		return true;
	SPI_connect();
	if (SPI_execute("SELECT pg_catalog.citus_is_coordinator()", true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "citus_is_coordinator() failed");
	{
		bool		isnull;

		ready = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
	}
	SPI_finish();
	return ready;
}

/*
 * ChurnMonitorWarmUp
 *		Fill the detector states (ChurnMonitorWarm) in a transaction of its
 *		own, once the extension is there; the first batch then resumes each
 *		party's walk as later batches do instead of walking every series in
 *		full.  It writes nothing, and a monitor that dies meanwhile loses
 *		nothing but the time.
 */
static void
ChurnMonitorWarmUp(void)
{
	static const char *what = "bankcrm churn monitor: keeping the detector states";
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (ChurnExtensionReady())
		{
			debug_query_string = what;
			pgstat_report_activity(STATE_RUNNING, what);
			ChurnMonitorWarm();
			warmed = true;
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* the states are an optimisation: batches fill them as they go */
		ChurnMonitorRecover(cxt, "keep the detector states");
		warmed = true;
	}
	PG_END_TRY();
	debug_query_string = NULL;
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * ChurnMonitorRecover
 *		After an ERROR in one of the monitor's transactions: abort it, log
 *		the error as a WARNING and go on.  A monitor that exited instead
 *		would be restarted by the launcher and meet the same error again,
 *		once a second; the caller backs off instead (churn_monitor_main).
 */
static void
ChurnMonitorRecover(MemoryContext cxt, const char *what)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	debug_query_string = NULL;
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(cxt);
	/* once per run of failures: the first one at WARNING, the repeats at DEBUG1 */
	ereport(churn_failures == 0 ? WARNING : DEBUG1,
			(errcode(edata->sqlerrcode),
			 errmsg("churn monitor could not %s: %s", what, edata->message),
			 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
			 errhint("The marks stay in bankcrm_churn.churn_dirty; the monitor tries again after a pause that grows with each failure, and logs again when a batch succeeds.")));
	FreeErrorData(edata);
}

/*
 * ChurnMonitorBatch
 *		One batch in one transaction; returns the number of parties
 *		evaluated (0 when there is nothing to do or no extension).
 */
static int
ChurnMonitorBatch(void)
{
	static const char *sql = "SELECT bankcrm.churn_process_dirty($1)";
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1];
	volatile int n = 0;
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (ChurnExtensionReady())
		{
			bool		isnull;
			int			ret;

			debug_query_string = sql;
			pgstat_report_activity(STATE_RUNNING, sql);
			args[0] = Int32GetDatum(bankcrm_churn_batch_size);
			ret = SPI_execute_with_args(sql, 1, argtypes, args, NULL, false, 1);
			if (ret != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "churn_process_dirty returned %d", ret);
			n = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			if (isnull)
				n = 0;
		}
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ChurnMonitorRecover(cxt, "evaluate a batch of churn marks");
		n = -1;
	}
	PG_END_TRY();
	debug_query_string = NULL;
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
	return n;
}
