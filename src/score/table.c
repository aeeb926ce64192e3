/*-------------------------------------------------------------------------
 *
 * table.c
 *	  Where a table of the extension's schema keeps its rows (here, in
 *	  partitions, on Citus workers), gathering its statistics after a run,
 *	  and the one-dimensional arrays a run passes to SQL.
 *
 * Layer: storage (score/).  Reads pg_class and pg_dist_partition, runs
 * ANALYZE through SPI.  Calls read.c (the schema's name); called by store.c
 * and affinity.c, which both write tables.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/table.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "score/read.h"
#include "score/table.h"


/*
 * ScoreTablePlace
 *		Where the rows of a table of the extension's schema are.  A row of a
 *		plain table read in the run's snapshot is still where it was when the
 *		run writes (it holds a SHARE ROW EXCLUSIVE lock): an update can name
 *		it by its ctid.
 */
TablePlace
ScoreTablePlace(ScoreRun *run, const char *table)
{
	Oid			relid = get_relname_relid(table, run->nsp);
	Oid			dist;
	bool		distributed = false;

	dist = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	if (OidIsValid(relid) && OidIsValid(dist))
	{
		Relation	rel = table_open(dist, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;

		/* logicalrelid is its first column */
		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
		distributed = HeapTupleIsValid(systable_getnext(scan));
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	if (distributed)
		return PLACE_CITUS;
	return get_rel_relkind(relid) == RELKIND_RELATION ? PLACE_HERE : PLACE_PARTITIONED;
}

/*
 * ScoreAnalyze
 *		Gather the statistics of a table of the extension's schema that a run
 *		has just filled or rewritten, as its owner, so that the queries that
 *		read it next (recommendations, segments, campaigns) are not planned on
 *		the statistics of the table before the run.  A Citus table is left to
 *		the cluster.
 */
void
ScoreAnalyze(ScoreRun *run, const char *table)
{
	Oid			relid = get_relname_relid(table, run->nsp);
	Oid			owner;
	Oid			save_userid;
	int			save_sec;
	HeapTuple	tp;

	if (!OidIsValid(relid) || ScoreTablePlace(run, table) == PLACE_CITUS)
		return;
	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tp))
		return;
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_execute(psprintf("ANALYZE %s.%s", ScoreNspName(run), quote_identifier(table)), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not analyze %s", table);
	SetUserIdAndSecContext(save_userid, save_sec);
	SPI_finish();
}

/* a one-dimensional array of n values */
Datum
ScoreArrayOf(Datum *values, bool *nulls, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, type, typlen, typbyval, typalign));
}
