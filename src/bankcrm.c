/*-------------------------------------------------------------------------
 *
 * bankcrm.c
 *	  What every module of the extension shares: the extension's schema,
 *	  looked up once per backend, the database the workers serve, and the
 *	  C side of the vocabularies the SQL side defines (party kinds).
 *
 * Layer: the bottom of the extension.  Reads the catalogues only; calls no
 * file of the extension, and every module may call it.  The entry point
 * that calls into every module (_PG_init) is init.c, at the top.
 *
 * The schema is the one pg_extension records for bankcrm (its control file
 * fixes it).  It is cached per backend and forgotten when any schema is
 * invalidated (a syscache callback on pg_namespace: a dropped or renamed
 * schema, a dropped and recreated extension's new schema), so the next call
 * looks it up again.  Every SQL statement that the C code composes names
 * the schema through BankcrmSchemaName(), never a literal "bankcrm".
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/bankcrm.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "bankcrm.h"

static void bankcrm_schema_invalidate(Datum arg, int cacheid, uint32 hashvalue);

/* the party kinds, in the order of the SQL function party_kinds() (bankcrm.h) */
const char *const bankcrm_party_kinds[BANKCRM_NPARTY_KINDS] = {
	"individual", "corporate", "financial_institution", "government"
};

/* GUC variables */
char	   *bankcrm_database = NULL;

/* file-level state: the cached schema */
static Oid	bankcrm_schema_oid = InvalidOid;
static char *bankcrm_schema_name = NULL;	/* quoted, in TopMemoryContext, never freed */
static bool bankcrm_schema_callback = false;

/*
 * bankcrm_schema_invalidate
 *		Forget the cached schema when pg_namespace changes.
 */
static void
bankcrm_schema_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	/* the name is kept: a caller may still hold it (BankcrmSchemaName) */
	bankcrm_schema_oid = InvalidOid;
}

/*
 * BankcrmSchemaOid
 *		The extension's schema, or InvalidOid when bankcrm is not installed
 *		in this database and missing_ok; an error otherwise.
 */
Oid
BankcrmSchemaOid(bool missing_ok)
{
	if (!OidIsValid(bankcrm_schema_oid))
	{
		Oid			ext = get_extension_oid(BANKCRM_EXTENSION, true);

		if (!bankcrm_schema_callback)
		{
			CacheRegisterSyscacheCallback(NAMESPACEOID, bankcrm_schema_invalidate, (Datum) 0);
			bankcrm_schema_callback = true;
		}
		if (OidIsValid(ext))
		{
			Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
			ScanKeyData key;
			SysScanDesc scan;
			HeapTuple	tup;

			ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
						ObjectIdGetDatum(ext));
			scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
			tup = systable_getnext(scan);
			if (HeapTupleIsValid(tup))
				bankcrm_schema_oid = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
			systable_endscan(scan);
			table_close(rel, AccessShareLock);
		}
		if (!OidIsValid(bankcrm_schema_oid) && !missing_ok)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("extension \"%s\" is not installed in this database", BANKCRM_EXTENSION),
					 errhint("Run CREATE EXTENSION %s.", BANKCRM_EXTENSION)));
	}
	return bankcrm_schema_oid;
}

/*
 * BankcrmSchemaName
 *		The extension's schema, quoted for a query.  The string is never
 *		freed, so a caller may keep it across statements that process
 *		invalidations: a lookup after an invalidation keeps the same string
 *		when the name is the same, and leaves the old one allocated when it
 *		changed (a renamed schema, rare enough to leak a name).
 */
const char *
BankcrmSchemaName(void)
{
	if (bankcrm_schema_name == NULL || !OidIsValid(bankcrm_schema_oid))
	{
		Oid			nsp = BankcrmSchemaOid(false);
		char	   *name = get_namespace_name(nsp);
		const char *quoted;

		if (name == NULL)
			elog(ERROR, "cache lookup failed for namespace %u", nsp);
		quoted = quote_identifier(name);
		if (bankcrm_schema_name == NULL || strcmp(bankcrm_schema_name, quoted) != 0)
			bankcrm_schema_name = MemoryContextStrdup(TopMemoryContext, quoted);
	}
	return bankcrm_schema_name;
}

/*
 * BankcrmDefineGucs
 *		The settings every worker shares (bankcrm.database).
 */
void
BankcrmDefineGucs(void)
{
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
}

/*
 * library_vocabulary(vocabulary text) returns text[]
 *		The words of a vocabulary as this library knows them, in order:
 *		'party_kind'.  The regress suite compares them with the SQL
 *		definition (party_kinds()).
 */
PG_FUNCTION_INFO_V1(library_vocabulary);
Datum
library_vocabulary(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Datum		words[BANKCRM_NPARTY_KINDS];
	int			i;

	if (strcmp(name, "party_kind") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown vocabulary \"%s\"", name),
				 errhint("The vocabularies are: party_kind.")));
	for (i = 0; i < BANKCRM_NPARTY_KINDS; i++)
		words[i] = CStringGetTextDatum(bankcrm_party_kinds[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(words, BANKCRM_NPARTY_KINDS, TEXTOID, -1, false, TYPALIGN_INT));
}
