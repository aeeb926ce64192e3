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
#include "compat.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* GUC variables */
int			bankcrm_default_country_code = 86;

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
							NULL,
							NULL,
							NULL);

	MarkGUCPrefixReserved("bankcrm");

	if (!process_shared_preload_libraries_in_progress)
		return;

	/* background workers are registered here by later modules */
}
