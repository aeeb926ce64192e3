/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The dialer background worker's entry point.
 *
 * Layer: the top of the dialer (defined by worker.c): the main loop and the
 * AMI connection, calling calls.c, predictive.c, dialer_db.c and outbox.c;
 * registered by launcher.c by name.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_WORKER_H
#define BANKCRM_DIALER_WORKER_H

#include "fmgr.h"

/* background worker entry point, named in bgw_function_name */
PGDLLEXPORT void DialerWorkerMain(Datum main_arg) pg_attribute_noreturn();

#endif							/* BANKCRM_DIALER_WORKER_H */
