/*-------------------------------------------------------------------------
 *
 * launcher.h
 *	  Starting dialer workers: bankcrm.dialer_launch() and the autostart
 *	  launcher.
 *
 * Layer: the top of the dialer (defined by launcher.c), beside worker.c:
 * registers workers by name, calls no other file of the worker.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/launcher.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_LAUNCHER_H
#define BANKCRM_DIALER_LAUNCHER_H

#include "fmgr.h"

/* background worker entry points, named in bgw_function_name */
PGDLLEXPORT void DialerLauncherMain(Datum main_arg) pg_attribute_noreturn();
PGDLLEXPORT void DialerAutostartMain(Datum main_arg) pg_attribute_noreturn();

#endif							/* BANKCRM_DIALER_LAUNCHER_H */
