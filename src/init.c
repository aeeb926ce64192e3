/*-------------------------------------------------------------------------
 *
 * init.c
 *	  Module entry point: each module's settings, then worker registration.
 *
 * _PG_init has each module define its own GUCs first, so they exist
 * whether or not the library is in shared_preload_libraries, and reserves
 * the "bankcrm." prefix so that a misspelt setting is reported instead of
 * silently becoming a placeholder.  Background workers are registered only
 * while shared_preload_libraries is being processed.
 *
 * Layer: the top of the extension.  Calls every module's init functions;
 * nothing calls into it.  What all modules share is in bankcrm.c, at the
 * bottom.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/init.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "bankcrm.h"
#include "churn/churn_settings.h"
#include "churn/churn_worker.h"
#include "compat.h"
#include "dialer/wake.h"
#include "progress.h"
#include "types/phone.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Define the bankcrm.* settings; register the workers when preloaded.
 */
void
_PG_init(void)
{
	/* each module's own settings */
	PhoneDefineGucs();
	BankcrmDefineGucs();

	/* dialer settings (src/dialer/worker.c) */
	DialerDefineGucs();

	/* churn monitor settings (src/churn/churn_settings.c) */
	ChurnDefineGucs();

	ProgressInit();			/* bankcrm.progress_notice_interval, the progress slots */

	MarkGUCPrefixReserved("bankcrm");

	if (!process_shared_preload_libraries_in_progress)
		return;

	/* background workers are registered here by later modules */
	DialerRegisterLauncher();
	ChurnWorkerShmemRequest();
	DialerWakeShmemRequest();
	ChurnWorkerRegisterLauncher();
}
