/*-------------------------------------------------------------------------
 *
 * churn_settings.c
 *	  The churn monitor's settings (bankcrm.churn_*).
 *
 * Layer: computation, the bottom of src/churn/ (no SPI, no worker): the
 * GUC variables that churn_worker.c reads, defined by ChurnDefineGucs(),
 * which _PG_init (init.c) calls.  Calls nothing of the extension.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "churn_settings.h"

/* GUC variables (declared in bankcrm.h too, where churn_worker.c finds them) */
bool		bankcrm_churn_monitor = true;
int			bankcrm_churn_interval = 10;
int			bankcrm_churn_batch_size = 1000;
char	   *bankcrm_churn_databases = NULL;

/*
 * ChurnDefineGucs
 *		Define the churn monitor's settings.
 */
void
ChurnDefineGucs(void)
{
	DefineCustomBoolVariable("bankcrm.churn_monitor",
							 gettext_noop("Sets whether the churn monitor evaluates newly arrived activity."),
							 gettext_noop("Off stops the churn monitors; on starts them again."),
							 &bankcrm_churn_monitor,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL,
							 NULL,
							 NULL);
	DefineCustomIntVariable("bankcrm.churn_interval",
							gettext_noop("Sets the longest time the churn monitor sleeps between looks for new activity."),
							gettext_noop("Inserts wake the monitor at once when bankcrm is preloaded; this is the fallback."),
							&bankcrm_churn_interval,
							10,
							1,
							3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);
	DefineCustomIntVariable("bankcrm.churn_batch_size",
							gettext_noop("Sets the number of parties the churn monitor evaluates in one transaction."),
							NULL,
							&bankcrm_churn_batch_size,
							1000,
							1,
							1000000,
							PGC_SIGHUP,
							0,
							NULL,
							NULL,
							NULL);
	DefineCustomStringVariable("bankcrm.churn_databases",
							   gettext_noop("Sets the databases the churn monitor serves, as a comma-separated list."),
							   gettext_noop("Empty means bankcrm.database. One monitor runs per listed database that exists."),
							   &bankcrm_churn_databases,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   NULL,
							   NULL,
							   NULL);
}
