/*-------------------------------------------------------------------------
 *
 * bankcrm.c
 *	  Module entry point: server-wide settings and worker registration.
 *
 * _PG_init defines the GUCs that SQL functions read first, so they exist
 * whether or not the library is in shared_preload_libraries, and reserves
 * the "bankcrm." prefix so that a misspelt setting is reported instead of
 * silently becoming a placeholder.  Background workers are registered only
 * while shared_preload_libraries is being processed.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/bankcrm.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "bankcrm.h"
#include "churn.h"
#include "compat.h"
#include "dialer/wake.h"
#include "types/e164.h"

PG_MODULE_MAGIC;

void		_PG_init(void);
static bool check_default_country_code(int *newval, void **extra, GucSource source);

/* GUC variables */
int			bankcrm_default_country_code = 86;
char	   *bankcrm_database = NULL;
bool		bankcrm_churn_monitor = true;
int			bankcrm_churn_interval = 10;
int			bankcrm_churn_batch_size = 1000;
char	   *bankcrm_churn_databases = NULL;

/*
 * check_default_country_code
 *		Refuse a country calling code that the ITU has not assigned, so that
 *		the mistake shows at SET time rather than at the first phone_parse().
 */
static bool
check_default_country_code(int *newval, void **extra, GucSource source)
{
	if (E164IsCountryCode(*newval))
		return true;
	GUC_check_errdetail("Country calling code %d is not assigned.", *newval);
	GUC_check_errhint("Use an assigned code such as 86 (China), 852 (Hong Kong) or 1 (North America).");
	return false;
}

/*
 * _PG_init
 *		Define the bankcrm.* settings.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("bankcrm.default_country_code",
							gettext_noop("Sets the country calling code assumed for national-format phone numbers."),
							gettext_noop("Used by phone_parse() when it is called without a country code. "
										 "It never changes what the phone type's input function accepts."),
							&bankcrm_default_country_code,
							86,
							1,
							999,
							PGC_USERSET,
							0,
							check_default_country_code,
							NULL,
							NULL);

	DefineCustomStringVariable("bankcrm.database",
							   gettext_noop("Sets the database whose bankcrm background workers start with the server."),
							   gettext_noop("The dialer starts the workers of the PBXs marked autostart in this database."),
							   &bankcrm_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL,
							   NULL,
							   NULL);

	/* dialer settings (src/dialer/worker.c) */
	DialerDefineGucs();

	/* churn monitor settings (src/churn_worker.c) */
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

	MarkGUCPrefixReserved("bankcrm");

	if (!process_shared_preload_libraries_in_progress)
		return;

	/* background workers are registered here by later modules */
	DialerRegisterLauncher();
	ChurnWorkerShmemRequest();
	DialerWakeShmemRequest();
	ChurnWorkerRegisterLauncher();
}
