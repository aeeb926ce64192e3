/*-------------------------------------------------------------------------
 *
 * churn_worker.h
 *	  The churn monitor's background workers (churn_worker.c).
 *
 * Layer: workers, the top of src/churn/.  Included by bankcrm.c (the
 * registration at _PG_init), churn_worker.c and the insert path's triggers
 * (churn_trigger.c, an SQL entry point, which wakes the monitor at
 * commit).  Nothing below the top layer includes it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_WORKER_H
#define BANKCRM_CHURN_WORKER_H

#include "postmaster/bgworker.h"

/* the most databases the churn monitor serves at once */
#define CHURN_MAX_DATABASES 16

/* worker registration and shared memory, called from _PG_init */
extern void ChurnWorkerShmemRequest(void);
extern void ChurnWorkerRegisterLauncher(void);

/* wake the monitor of the current database when this transaction commits */
extern void ChurnWakeMonitorAtCommit(void);

/* background worker entry points */
extern PGDLLEXPORT void churn_launcher_main(Datum main_arg) pg_attribute_noreturn();
extern PGDLLEXPORT void churn_monitor_main(Datum main_arg) pg_attribute_noreturn();

#endif							/* BANKCRM_CHURN_WORKER_H */
