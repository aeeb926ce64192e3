/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  Starting dialer workers: bankcrm.dialer_launch(pbx_id) and the
 *	  autostart launcher.
 *
 * Dialer workers are dynamic background workers, one per PBX and database
 * (worker.c).  bankcrm.dialer_launch(pbx_id) registers one from a backend
 * and waits until it runs, as worker_spi_launch does; it returns the
 * process id of the worker already serving the PBX, if any (found by
 * bankcrm.dialer_pid(), which looks for the worker's advisory lock).
 *
 * With bankcrm.dialer_autostart on and bankcrm.database set, _PG_init
 * registers a launcher: a short-lived static worker, connected to no
 * database, that waits (with backoff) until bankcrm.database exists, then
 * starts a worker connected to it (DialerAutostartMain) that waits for the
 * extension, reads the PBXs marked autostart, registers a dialer worker for
 * each and exits.  A worker that finds another one
 * already serving its PBX exits at once, so starting one twice is harmless.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "bankcrm.h"
#include "bgw.h"
#include "compat.h"
#include "pacing.h"
#include "ami.h"
#include "launcher.h"
#include "settings.h"

/*
 * DialerRegisterLauncher
 *		Register the autostart launcher; called from _PG_init while
 *		shared_preload_libraries is processed.
 */
void
DialerRegisterLauncher(void)
{
	BackgroundWorker worker;

	if (!bankcrm_dialer_autostart || bankcrm_database == NULL || bankcrm_database[0] == '\0')
		return;
	BgwDefine(&worker, "DialerLauncherMain", "bankcrm dialer launcher", "bankcrm dialer launcher",
			  BGW_NEVER_RESTART, (Datum) 0);
	RegisterBackgroundWorker(&worker);
}

/* fill in and register a dynamic worker for one PBX of database dboid */
static bool
dialer_register(int pbx_id, Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;
	char		name[BGW_MAXLEN];

	snprintf(name, sizeof(name), "bankcrm dialer for PBX %d", pbx_id);
	/* restart after 5 s: a crash safety net only; a lost PBX link is handled in-process */
	BgwDefine(&worker, "DialerWorkerMain", "bankcrm dialer", name, 5, Int32GetDatum(pbx_id));
	memcpy(worker.bgw_extra, &dboid, sizeof(Oid));
	worker.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

/* the pid serving a PBX in this database, or 0; caller is connected to SPI */
static int
dialer_running_pid(int pbx_id)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(pbx_id)};
	bool		isnull;
	int			pid = 0;

	if (SPI_execute_with_args("SELECT bankcrm.dialer_pid($1)", 1, argtypes, values, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			pid = DatumGetInt32(d);
	}
	return pid;
}

PG_FUNCTION_INFO_V1(dialer_outcome_names);

/*
 * dialer_outcome_names
 *		The outcomes the worker can report (AmiOutcomeName over AmiOutcome),
 *		so that the regression tests compare them with call_outcomes() and
 *		the CHECK constraints: one vocabulary, checked in one place.
 */
Datum
dialer_outcome_names(PG_FUNCTION_ARGS)
{
	Datum		names[AMI_OUTCOME_COUNT];
	int			i;

	for (i = 0; i < AMI_OUTCOME_COUNT; i++)
		names[i] = CStringGetTextDatum(AmiOutcomeName((AmiOutcome) i));
	PG_RETURN_ARRAYTYPE_P(construct_array(names, AMI_OUTCOME_COUNT, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(dialer_launch);

/*
 * dialer_launch(pbx_id) returns the process id of the PBX's dialer worker,
 * starting it if none runs in this database.
 */
Datum
dialer_launch(PG_FUNCTION_ARGS)
{
	int			pbx_id = PG_GETARG_INT32(0);
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(pbx_id)};
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	pid_t		pid;
	int			running;

	SPI_connect();
	if (SPI_execute_with_args("SELECT 1 FROM bankcrm.pbx WHERE pbx_id OPERATOR(pg_catalog.=) $1", 1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the PBX");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("PBX %d does not exist", pbx_id)));
	running = dialer_running_pid(pbx_id);
	SPI_finish();
	if (running != 0)
	{
		ereport(NOTICE,
				(errmsg("the dialer for PBX %d is already running", pbx_id),
				 errdetail("Its process id is %d.", running)));
		PG_RETURN_INT32(running);
	}

	if (!dialer_register(pbx_id, MyDatabaseId, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not register the dialer background worker"),
				 errhint("You may need to increase max_worker_processes.")));
	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status == BGWH_STOPPED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the dialer background worker"),
				 errhint("More details may be available in the server log.")));
	if (status == BGWH_POSTMASTER_DIED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("cannot start background workers without postmaster"),
				 errhint("Kill all remaining database processes and restart the database.")));
	Assert(status == BGWH_STARTED);
	PG_RETURN_INT32((int32) pid);
}

/* how long the autostart worker waits for the extension in bankcrm.database */
#define DIALER_AUTOSTART_WAIT_MS	(10 * 60 * 1000)

/* wait before the next look: backoff with jitter, 1 s to 60 s; false on SIGTERM */
static bool
dialer_launcher_wait(int failures, uint32 wait_event)
{
	int64		ms = PacingBackoffMs(failures, 1000, 60000, pg_prng_uint32(&pg_global_prng_state));

	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, (long) ms, wait_event);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
	return !BgwStopRequested();
}

/*
 * DialerLauncherMain
 *		At server start: wait until bankcrm.database exists (make demo and
 *		fresh installs create it after the server started), then hand over
 *		to DialerAutostartMain, connected to it, and exit.
 *
 * The launcher connects to no database, so a missing one is not a FATAL
 * error: it looks it up in pg_database (BankcrmDatabaseOid) and looks again
 * with backoff, logging once that it waits.
 */
void
DialerLauncherMain(Datum main_arg)
{
	uint32		wait_event;
	int			failures = 0;
	Oid			dboid = InvalidOid;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	BgwSignals(true);
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("bankcrm dialer launcher");
	wait_event = BgwWaitEvent("BankcrmDialerLauncher");

	while (!BgwStopRequested())
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		dboid = BankcrmDatabaseOid(bankcrm_database);
		CommitTransactionCommand();
		if (OidIsValid(dboid))
			break;
		if (failures++ == 0)
			ereport(LOG,
					(errmsg("bankcrm dialer launcher: database \"%s\" does not exist yet; waiting for it", bankcrm_database),
					 errhint("Create the database, or set bankcrm.database to the one whose PBXs should start with the server.")));
		if (!dialer_launcher_wait(failures, wait_event))
			proc_exit(0);
	}
	if (BgwStopRequested())
		proc_exit(0);

	{
		char		name[BGW_MAXLEN];

		snprintf(name, sizeof(name), "bankcrm dialer autostart for database %s", bankcrm_database);
		BgwDefine(&worker, "DialerAutostartMain", "bankcrm dialer launcher", name, BGW_NEVER_RESTART, (Datum) 0);
	}
	memcpy(worker.bgw_extra, &dboid, sizeof(Oid));
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("bankcrm dialer launcher: could not start the autostart worker for database \"%s\"", bankcrm_database),
				 errhint("You may need to increase max_worker_processes.")));
	proc_exit(0);
}

/*
 * DialerAutostartMain
 *		Connected to bankcrm.database: once the extension is there, start
 *		the workers of the PBXs marked autostart, log one line and exit.
 *		Until then look again with backoff (the extension is created after
 *		the database), for DIALER_AUTOSTART_WAIT_MS at most.
 */
void
DialerAutostartMain(Datum main_arg)
{
	int			n = 0;
	int			i;
	int		   *ids = NULL;
	Oid			dboid;
	uint32		wait_event;
	int			failures = 0;
	bool		ready = false;
	char	   *dbname;
	TimestampTz started = GetCurrentTimestamp();

	BgwSignals(true);
	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	BankcrmPinSearchPath();
	pgstat_report_appname("bankcrm dialer launcher");
	wait_event = BgwWaitEvent("BankcrmDialerLauncher");

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	dbname = MemoryContextStrdup(TopMemoryContext, get_database_name(dboid));
	CommitTransactionCommand();
	while (!BgwStopRequested())
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		ready = !RecoveryInProgress() && OidIsValid(get_extension_oid("bankcrm", true));
		if (ready)
		{
			SPI_connect();
			PushActiveSnapshot(GetTransactionSnapshot());
			if (SPI_execute("SELECT pbx_id FROM bankcrm.pbx WHERE autostart ORDER BY pbx_id USING OPERATOR(pg_catalog.<)", true, 0) == SPI_OK_SELECT)
			{
				n = (int) SPI_processed;
				ids = MemoryContextAlloc(TopMemoryContext, sizeof(int) * (n + 1));
				for (i = 0; i < n; i++)
				{
					bool		isnull;

					ids[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
				}
			}
			SPI_finish();
			PopActiveSnapshot();
		}
		CommitTransactionCommand();
		if (ready)
			break;
		if (TimestampDifferenceExceeds(started, GetCurrentTimestamp(), DIALER_AUTOSTART_WAIT_MS))
		{
			ereport(LOG,
					(errmsg("bankcrm dialer launcher: extension bankcrm is not installed in database \"%s\"; no dialer starts with the server",
							dbname),
					 errhint("Start them with bankcrm.dialer_launch(pbx_id) once the extension is installed.")));
			proc_exit(0);
		}
		if (failures++ == 0)
			ereport(LOG,
					(errmsg("bankcrm dialer launcher: extension bankcrm is not installed in database \"%s\" yet; waiting for it",
							dbname)));
		if (!dialer_launcher_wait(failures, wait_event))
			proc_exit(0);
	}
	if (!ready)
		proc_exit(0);

	for (i = 0; i < n; i++)
	{
		BackgroundWorkerHandle *handle;

		if (!dialer_register(ids[i], dboid, &handle))
			ereport(WARNING,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("could not register the dialer background worker for PBX %d", ids[i]),
					 errhint("You may need to increase max_worker_processes.")));
	}
	ereport(LOG, (errmsg("bankcrm dialer launcher started %d dialer workers in database \"%s\"", n, dbname)));
	proc_exit(0);
}
