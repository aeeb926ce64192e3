/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  The bankcrm.dialer_* settings, defined from _PG_init.
 *
 * Layer: the bottom of the dialer: every file of the worker reads these
 * variables; this file calls nothing of the dialer.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "bankcrm.h"
#include "settings.h"

/* GUC variables */
int			bankcrm_dialer_poll_interval = 100;
int			bankcrm_dialer_ping_interval = 20;
int			bankcrm_dialer_backoff_min = 500;
int			bankcrm_dialer_backoff_max = 60000;
int			bankcrm_dialer_connect_timeout = 5000;
int			bankcrm_dialer_call_timeout = 3600;
int			bankcrm_dialer_batch = 200;
bool		bankcrm_dialer_autostart = true;

/*
 * DialerDefineGucs
 *		The bankcrm.dialer_* settings; called from _PG_init.
 */
void
DialerDefineGucs(void)
{
	DefineCustomIntVariable("bankcrm.dialer_poll_interval",
							gettext_noop("Sets how often a dialer worker looks for due call attempts."),
							NULL,
							&bankcrm_dialer_poll_interval,
							100, 1, 60000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("bankcrm.dialer_ping_interval",
							gettext_noop("Sets the interval of the AMI keepalive Ping."),
							gettext_noop("A Ping unanswered for 10 seconds ends the session, which is then reconnected."),
							&bankcrm_dialer_ping_interval,
							20, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("bankcrm.dialer_backoff_min",
							gettext_noop("Sets the first reconnect delay of a dialer worker."),
							gettext_noop("The delay doubles with every consecutive failure up to bankcrm.dialer_backoff_max, with 12.5 % jitter."),
							&bankcrm_dialer_backoff_min,
							500, 10, 600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("bankcrm.dialer_backoff_max",
							gettext_noop("Sets the longest reconnect delay of a dialer worker."),
							NULL,
							&bankcrm_dialer_backoff_max,
							60000, 10, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("bankcrm.dialer_connect_timeout",
							gettext_noop("Sets how long a dialer worker waits for a TCP connection and the AMI greeting."),
							NULL,
							&bankcrm_dialer_connect_timeout,
							5000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("bankcrm.dialer_call_timeout",
							gettext_noop("Sets how long a call may last beyond its dial timeout before its outcome is recorded as unknown."),
							NULL,
							&bankcrm_dialer_call_timeout,
							3600, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("bankcrm.dialer_batch",
							gettext_noop("Sets the most call attempts a dialer worker takes in one transaction."),
							NULL,
							&bankcrm_dialer_batch,
							200, 1, 10000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("bankcrm.dialer_autostart",
							 gettext_noop("Starts the dialer workers of the PBXs marked autostart in bankcrm.database at server start."),
							 NULL,
							 &bankcrm_dialer_autostart,
							 true,
							 PGC_POSTMASTER, 0,
							 NULL, NULL, NULL);
}
