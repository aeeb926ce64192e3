/*-------------------------------------------------------------------------
 *
 * churn_trigger.c
 *	  The series upkeep: the row trigger on activity_weekly that keeps
 *	  bankcrm_churn.churn_series current and marks parties dirty.
 *
 * churn_activity_row() runs AFTER INSERT, UPDATE or DELETE FOR EACH ROW.
 * It touches only the rows of the party of the row it fires for, in tables
 * distributed by the same column (churn_series, churn_dirty, party), and
 * never reads activity_weekly: an inserted row is laid over the party's
 * series (churn_series_merge of the one-week series of the row), a deleted
 * row's week is taken out of it (churn_series_drop_week, which trims the
 * series to the weeks left and gives NULL when none is), an updated row is
 * both.  activity_weekly has one row per party and week, so the result is
 * the series churn_series_agg would build from the party's rows.
 *
 * Why rows and not statements: a statement trigger needs transition tables
 * to know the rows, and Citus cannot run those on a distributed table.  A
 * row trigger runs on the node that holds the shard, with the co-located
 * shards of churn_series and churn_dirty on the same node, so its
 * statements stay local there (citus.enable_unsafe_triggers).
 *
 * Each statement is a plan prepared once per backend and kept
 * (SPI_keepplan); the plan cache re-analyses it when a table it names is
 * dropped and created again.  The function is SECURITY DEFINER in SQL: the
 * callers of INSERT need no privilege on the derived tables.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn_trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "churn.h"

/* the statements of the row trigger, prepared once per backend */
typedef enum ChurnRowPlan
{
	CHURN_PLAN_UPSERT,			/* lay a week over a series, drop another */
	CHURN_PLAN_DROP,			/* take a week out of a series */
	CHURN_PLAN_EMPTY,			/* delete a series with no week left */
	CHURN_PLAN_MARK,			/* mark a party dirty */
	CHURN_PLANS
} ChurnRowPlan;

static SPIPlanPtr ChurnRowPrepare(ChurnRowPlan which, const char *nsp);
static void ChurnRowExec(ChurnRowPlan which, const char *nsp, int nargs, Datum *args,
						 const char *nulls, int expect);
static void ChurnRowAdd(const char *nsp, HeapTuple tuple, TupleDesc desc, bool drop_set, DateADT drop);
static void ChurnRowDrop(const char *nsp, int64 party_id, DateADT week);

static SPIPlanPtr churn_row_plans[CHURN_PLANS];

/*
 * ChurnRowPrepare
 *		The plan of one statement, prepared and kept on first use.  The
 *		extension's schema is fixed (relocatable = false), so the text of
 *		each statement is the same for the life of the backend.
 */
static SPIPlanPtr
ChurnRowPrepare(ChurnRowPlan which, const char *nsp)
{
	StringInfoData sql;
	Oid			argtypes[3] = {INT8OID, DATEOID, FLOAT4ARRAYOID};
	int			nargs = 0;
	SPIPlanPtr	plan;

	if (churn_row_plans[which] != NULL)
		return churn_row_plans[which];
	initStringInfo(&sql);
	switch (which)
	{
		case CHURN_PLAN_UPSERT:
			appendStringInfo(&sql,
							 "INSERT INTO bankcrm_churn.churn_series AS s (party_id, series) VALUES ($1, $3) "
							 "ON CONFLICT (party_id) DO UPDATE SET series = "
							 "%s.churn_series_merge(%s.churn_series_drop_week(s.series, $2), EXCLUDED.series)",
							 nsp, nsp);
			nargs = 3;
			break;
		case CHURN_PLAN_DROP:
			appendStringInfo(&sql,
							 "UPDATE bankcrm_churn.churn_series s "
							 "SET series = %s.churn_series_drop_week(s.series, $2) "
							 "WHERE s.party_id OPERATOR(pg_catalog.=) $1 "
							 "AND %s.churn_series_drop_week(s.series, $2) IS NOT NULL",
							 nsp, nsp);
			nargs = 2;
			break;
		case CHURN_PLAN_EMPTY:
			appendStringInfo(&sql,
							 "DELETE FROM bankcrm_churn.churn_series s "
							 "WHERE s.party_id OPERATOR(pg_catalog.=) $1 "
							 "AND %s.churn_series_drop_week(s.series, $2) IS NULL",
							 nsp);
			nargs = 2;
			break;
		case CHURN_PLAN_MARK:
			/* the party may be going: a cascade from party deletes its rows */
			appendStringInfo(&sql,
							 "INSERT INTO bankcrm_churn.churn_dirty (party_id) "
							 "SELECT p.party_id FROM %s.party p WHERE p.party_id OPERATOR(pg_catalog.=) $1 "
							 "ON CONFLICT (party_id) DO NOTHING",
							 nsp);
			nargs = 1;
			break;
		default:
			elog(ERROR, "unknown churn row statement %d", (int) which);
	}
	plan = SPI_prepare(sql.data, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	churn_row_plans[which] = plan;
	pfree(sql.data);
	return plan;
}

static void
ChurnRowExec(ChurnRowPlan which, const char *nsp, int nargs, Datum *args, const char *nulls, int expect)
{
	int			ret = SPI_execute_plan(ChurnRowPrepare(which, nsp), args, nulls, false, 0);

	if (ret != expect)
		elog(ERROR, "churn series upkeep statement %d returned %d", (int) which, ret);
}

/*
 * ChurnRowAdd
 *		Lay the row's week over its party's series, after taking the week
 *		"drop" out of it when drop_set (an update that moved the row), and
 *		mark the party dirty.
 */
static void
ChurnRowAdd(const char *nsp, HeapTuple tuple, TupleDesc desc, bool drop_set, DateADT drop)
{
	bool		isnull[5];
	Datum		d[5];
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	int			i;

	static const char *const cols[5] = {"party_id", "week", "loan_volume", "txn_volume", "txn_count"};

	for (i = 0; i < 5; i++)
	{
		d[i] = SPI_getbinval(tuple, desc, SPI_fnumber(desc, cols[i]), &isnull[i]);
		if (isnull[i])
			elog(ERROR, "activity_weekly row with a NULL %s", cols[i]);
	}
	args[0] = d[0];
	args[1] = DateADTGetDatum(drop);
	if (!drop_set)
		nulls[1] = 'n';
	args[2] = PointerGetDatum(ChurnSeriesOneWeek(DatumGetDateADT(d[1]), DatumGetFloat8(d[2]),
												 DatumGetFloat8(d[3]), DatumGetInt32(d[4])));
	ChurnRowExec(CHURN_PLAN_UPSERT, nsp, 3, args, nulls, SPI_OK_INSERT);
	ChurnRowExec(CHURN_PLAN_MARK, nsp, 1, args, NULL, SPI_OK_INSERT);
}

/*
 * ChurnRowDrop
 *		Take a week out of a party's series (deleting a series that has no
 *		week left) and mark the party dirty.
 */
static void
ChurnRowDrop(const char *nsp, int64 party_id, DateADT week)
{
	Datum		args[2];

	args[0] = Int64GetDatum(party_id);
	args[1] = DateADTGetDatum(week);
	ChurnRowExec(CHURN_PLAN_EMPTY, nsp, 2, args, NULL, SPI_OK_DELETE);
	ChurnRowExec(CHURN_PLAN_DROP, nsp, 2, args, NULL, SPI_OK_UPDATE);
	ChurnRowExec(CHURN_PLAN_MARK, nsp, 1, args, NULL, SPI_OK_INSERT);
}

/*
 * churn_activity_row() -> trigger
 *		AFTER INSERT OR UPDATE OR DELETE ON activity_weekly FOR EACH ROW
 *		(see the file header).
 */
PG_FUNCTION_INFO_V1(churn_activity_row);
Datum
churn_activity_row(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	Oid			nspoid;
	char	   *nspname;
	const char *nsp;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("churn_activity_row: not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("churn_activity_row must be fired AFTER ... FOR EACH ROW")));

	nspoid = get_func_namespace(fcinfo->flinfo->fn_oid);
	nspname = OidIsValid(nspoid) ? get_namespace_name(nspoid) : NULL;
	if (nspname == NULL)
		elog(ERROR, "cache lookup failed for the namespace of function %u", fcinfo->flinfo->fn_oid);
	nsp = quote_identifier(nspname);
	desc = RelationGetDescr(trigdata->tg_relation);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ChurnRowAdd(nsp, trigdata->tg_trigtuple, desc, false, 0);
	else
	{
		HeapTuple	old = trigdata->tg_trigtuple;
		bool		isnull;
		int64		old_party = DatumGetInt64(SPI_getbinval(old, desc, SPI_fnumber(desc, "party_id"), &isnull));
		DateADT		old_week = DatumGetDateADT(SPI_getbinval(old, desc, SPI_fnumber(desc, "week"), &isnull));

		if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
			ChurnRowDrop(nsp, old_party, old_week);
		else
		{
			HeapTuple	new = trigdata->tg_newtuple;
			int64		new_party = DatumGetInt64(SPI_getbinval(new, desc, SPI_fnumber(desc, "party_id"), &isnull));

			if (new_party == old_party)
				ChurnRowAdd(nsp, new, desc, true, old_week);
			else
			{
				ChurnRowDrop(nsp, old_party, old_week);
				ChurnRowAdd(nsp, new, desc, false, 0);
			}
		}
	}
	SPI_finish();
	ChurnWakeMonitorAtCommit();
	return PointerGetDatum(NULL);
}
