/*-------------------------------------------------------------------------
 *
 * bankcrm.h
 *	  Declarations shared by the files of the bankcrm extension: the
 *	  bottom layer, which every module may include (see bankcrm.c).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/bankcrm.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_H
#define BANKCRM_H

/*
 * The search_path of every background worker's session (and of any SQL the
 * C code runs on its own): nothing a user can create is ever resolved.
 * pg_temp last, so that no temporary object shadows a catalog one either.
 * Set with PGC_S_SESSION, not PGC_S_OVERRIDE, so that the SET clauses of
 * the extension's functions still apply inside them.
 */
#define BANKCRM_SAFE_SEARCH_PATH "pg_catalog, pg_temp"
#define BankcrmPinSearchPath() \
	SetConfigOption("search_path", BANKCRM_SAFE_SEARCH_PATH, PGC_SUSET, PGC_S_SESSION)

/* the extension, and its schema as the control file fixes it */
#define BANKCRM_EXTENSION "bankcrm"

/* bankcrm.c: the extension's schema, cached per backend */
extern Oid	BankcrmSchemaOid(bool missing_ok);
extern const char *BankcrmSchemaName(void);

/* bankcrm.c: the settings every worker shares */
extern char *bankcrm_database;
extern void BankcrmDefineGucs(void);

/* churn monitor (src/churn_worker.c; the settings: churn_settings.c) */
extern bool bankcrm_churn_monitor;
extern int	bankcrm_churn_interval;
extern int	bankcrm_churn_batch_size;
extern char *bankcrm_churn_databases;

/* the oid of a database by name, InvalidOid if none; callable without a database (churn_worker.c) */
extern Oid	BankcrmDatabaseOid(const char *name);

/* dialer (src/dialer/worker.c) */
extern void DialerDefineGucs(void);
extern void DialerRegisterLauncher(void);

#endif							/* BANKCRM_H */
