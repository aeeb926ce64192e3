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

#include "common/hashfn.h"

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

/*
 * The hash of a 64-bit key (a party id, a pair of product ids) for the
 * extension's hash tables: PostgreSQL's murmur hash of each half, combined.
 */
static inline uint32
BankcrmHash64(uint64 key)
{
	return hash_combine(murmurhash32((uint32) (key >> 32)), murmurhash32((uint32) key));
}

/*
 * Party kinds, in the order of the SQL function party_kinds()
 * (src/sql/20_party.sql), the one list of them; library_vocabulary() shows
 * this copy and sql/vocabulary.sql checks that the two agree.
 */
typedef enum BankcrmPartyKind
{
	PARTY_KIND_INDIVIDUAL,
	PARTY_KIND_CORPORATE,
	PARTY_KIND_FINANCIAL_INSTITUTION,
	PARTY_KIND_GOVERNMENT,
	BANKCRM_NPARTY_KINDS
} BankcrmPartyKind;
extern const char *const bankcrm_party_kinds[BANKCRM_NPARTY_KINDS];

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
