/*-------------------------------------------------------------------------
 *
 * churn_store.c
 *	  Churn storage: what the monitor's batch writes besides the alerts of
 *	  its hits.
 *
 * Layer: storage (SPI, no worker).  Called by the monitor's batch
 * (churn_monitor.c); calls the week numbering of the series format
 * (churn_series.c, through churn.h) and, through SQL, the series' merge
 * and the alert workflow (churn_lose_alerts, churn_close_departed,
 * churn_notify).
 *
 * - The appended weeks.  The insert path appends each statement's new
 *   weeks of a party to bankcrm_churn.churn_series_tail instead of
 *   rewriting its series (churn_trigger.c).  Once a party's appended weeks
 *   are ChurnFoldWeeks(party_id) or more, the batch that evaluates it lays
 *   them over its series and deletes them, in one statement for the whole
 *   batch.  The threshold differs by party (4 to 12 weeks), so that when
 *   every party gets a week at once, about a ninth of them is folded a
 *   week, not all of them every few weeks.
 *
 * - The departed.  A party that closed, or whose activity ended for good,
 *   is no longer the bank's to keep: the batch closes its active alerts as
 *   lost through churn_lose_alerts (the churn_alert process, with
 *   history), and notifies, whether or not a rule fired for it.  The
 *   closed parties among the batch's parties at once; the others (closed
 *   without new activity, or silent for 26 weeks) by churn_close_departed
 *   once per new latest week the backend sees.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/lsyscache.h"

#include "churn.h"
#include "churn_store.h"

/* the latest week this backend closed departed parties for */
static int	churn_departed_week = -1;

bool
ChurnTailExists(void)
{
	Oid			nsp = get_namespace_oid("bankcrm_churn", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("churn_series_tail", nsp));
}

int
ChurnFoldWeeks(int64 party_id)
{
	return 4 + (int) ((uint64) party_id % 9);
}

static ArrayType *
ChurnIdArray(const int64 *ids, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(ids[i]);
	return construct_array(d, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * ChurnFoldTails
 *		One statement: the appended weeks of the parties deleted and laid
 *		over their series.  Both tables are reached by party_id (the
 *		series' key, the appended weeks' index), never scanned whole.
 */
void
ChurnFoldTails(const char *nsp, const int64 *ids, int n)
{
	StringInfoData sql;
	Oid			types[1] = {INT8ARRAYOID};
	Datum		args[1];
	int			ret;

	if (n == 0)
		return;
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "WITH t AS (DELETE FROM bankcrm_churn.churn_series_tail x "
					 "WHERE x.party_id OPERATOR(pg_catalog.=) ANY ($1) RETURNING x.party_id, x.series), "
					 "g AS (SELECT t.party_id, %s.churn_series_merge_agg(t.series) AS series "
					 "FROM t GROUP BY t.party_id) "
					 "UPDATE bankcrm_churn.churn_series s "
					 "SET series = %s.churn_series_merge(s.series, g.series) FROM g "
					 "WHERE s.party_id OPERATOR(pg_catalog.=) ANY ($1) "
					 "AND s.party_id OPERATOR(pg_catalog.=) g.party_id",
					 nsp, nsp);
	args[0] = PointerGetDatum(ChurnIdArray(ids, n));
	ret = SPI_execute_with_args(sql.data, 1, types, args, NULL, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "folding the appended churn weeks returned %d", ret);
	pfree(sql.data);
}

/*
 * ChurnLoseDeparted
 *		See the file header.
 */
uint64
ChurnLoseDeparted(const char *nsp, const int64 *closed, int nclosed, int latest_week)
{
	StringInfoData sql;
	uint64		lost = 0;
	int			ret;

	if (nclosed > 0)
	{
		Oid			types[1] = {INT8ARRAYOID};
		Datum		args[1];

		initStringInfo(&sql);
		appendStringInfo(&sql,
						 "SELECT %s.churn_notify(l.alert_id, l.party_id, l.metric, l.severity, l.event) "
						 "FROM %s.churn_lose_alerts($1, 'The party closed its relationship with the bank.') l",
						 nsp, nsp);
		args[0] = PointerGetDatum(ChurnIdArray(closed, nclosed));
		ret = SPI_execute_with_args(sql.data, 1, types, args, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "closing the alerts of closed parties returned %d", ret);
		lost += SPI_processed;
		pfree(sql.data);
	}
	if (latest_week > churn_departed_week)
	{
		Oid			types[1] = {DATEOID};
		Datum		args[1];

		initStringInfo(&sql);
		appendStringInfo(&sql,
						 "SELECT %s.churn_notify(l.alert_id, l.party_id, l.metric, l.severity, l.event) "
						 "FROM %s.churn_close_departed($1) l",
						 nsp, nsp);
		args[0] = DateADTGetDatum(ChurnWeekToDate(latest_week));
		ret = SPI_execute_with_args(sql.data, 1, types, args, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "closing the alerts of departed parties returned %d", ret);
		lost += SPI_processed;
		pfree(sql.data);
		/*
		 * once per week and backend: a batch that fails after this leaves
		 * those alerts to the call of the next new week
		 */
		churn_departed_week = latest_week;
	}
	return lost;
}
