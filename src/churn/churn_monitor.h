/*-------------------------------------------------------------------------
 *
 * churn_monitor.h
 *	  The monitor's batch (churn_monitor.c), as the worker calls it.
 *
 * Layer: SQL entry points.  Included by churn_monitor.c and the worker
 * (churn_worker.c), which sits above it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_monitor.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_MONITOR_H
#define BANKCRM_CHURN_MONITOR_H

/* fill the monitor's detector states before its first batch */
extern void ChurnMonitorWarm(void);

#endif							/* BANKCRM_CHURN_MONITOR_H */
