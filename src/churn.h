/*-------------------------------------------------------------------------
 *
 * churn.h
 *	  Churn early warning: declarations shared by churn.c, churn_worker.c
 *	  and bankcrm.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_H
#define BANKCRM_CHURN_H

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

#endif							/* BANKCRM_CHURN_H */
