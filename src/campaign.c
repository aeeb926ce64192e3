/*-------------------------------------------------------------------------
 *
 * campaign.c
 *	  Leads of campaigns: firing their events and assigning them to people.
 *
 * lead_fire is fsm_fire on table lead (FsmFireArgs): one row lock, one state
 * update, one history row, in the caller's transaction.  Background workers
 * (the dialer) call it as a superuser without a staff mapping; the history
 * then has no staff_id and names the worker's role as the actor.
 *
 * campaign_assign distributes a campaign's unassigned open leads.  It reads
 * the candidates once (their remaining capacity for today and their current
 * load of open leads), decides every lead in memory, and writes all the
 * assignments with a single UPDATE over two arrays.  Strategies:
 *
 *	primary_rm		the party's current primary relationship manager
 *	round_robin		the members of the campaign's teams in turn
 *	least_loaded	the team member with the fewest open leads
 *
 * Nobody gets more leads in a day than staff.daily_capacity, counting the
 * leads assigned to them earlier that day in any campaign; leads that find
 * no one stay unassigned for the next run.  The campaign row is locked
 * (FOR NO KEY UPDATE) for the duration, so two concurrent runs on the same
 * campaign serialize instead of both assigning the same leads.
 *
 * Layer: SQL entry points (lead_fire, campaign_assign).  Calls the process
 * engine through fsm/guard.h and bankcrm.c; nothing calls it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/campaign.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "bankcrm.h"
#include "compat.h"
#include "fsm/fsm.h"
#include "fsm/guard.h"

/* assignment strategies */
typedef enum AssignStrategy
{
	ASSIGN_PRIMARY_RM,
	ASSIGN_ROUND_ROBIN,
	ASSIGN_LEAST_LOADED
} AssignStrategy;

/* a person who may receive leads */
typedef struct AssignCandidate
{
	int32		staff_id;
	int64		remaining;		/* capacity left today */
	int64		load;			/* open leads now */
	int32		assigned;		/* leads given in this run */
} AssignCandidate;

static AssignStrategy assign_strategy_parse(const char *name);
static int	assign_pick(AssignCandidate *cands, int ncands, AssignStrategy strategy,
						int32 primary, int *cursor);

/*
 * assign_strategy_parse
 *		The strategy named by the caller, or 22023 with the valid names.
 */
static AssignStrategy
assign_strategy_parse(const char *name)
{
	if (strcmp(name, "primary_rm") == 0)
		return ASSIGN_PRIMARY_RM;
	if (strcmp(name, "round_robin") == 0)
		return ASSIGN_ROUND_ROBIN;
	if (strcmp(name, "least_loaded") == 0)
		return ASSIGN_LEAST_LOADED;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown assignment strategy \"%s\"", name),
			 errhint("Use primary_rm, round_robin or least_loaded.")));
	return ASSIGN_PRIMARY_RM;	/* keep compiler quiet */
}

/*
 * assign_pick
 *		Index of the candidate that gets the next lead, or -1 if nobody can.
 *		"primary" is the party's primary RM (primary_rm strategy); "cursor"
 *		is the round-robin position, advanced past the chosen candidate.
 */
static int
assign_pick(AssignCandidate *cands, int ncands, AssignStrategy strategy,
			int32 primary, int *cursor)
{
	int			i;
	int			best = -1;

	switch (strategy)
	{
		case ASSIGN_PRIMARY_RM:
			for (i = 0; i < ncands; i++)
				if (cands[i].staff_id == primary)
					return cands[i].remaining > 0 ? i : -1;
			return -1;
		case ASSIGN_ROUND_ROBIN:
			for (i = 0; i < ncands; i++)
			{
				int			k = (*cursor + i) % ncands;

				if (cands[k].remaining > 0)
				{
					*cursor = (k + 1) % ncands;
					return k;
				}
			}
			return -1;
		case ASSIGN_LEAST_LOADED:
			for (i = 0; i < ncands; i++)
			{
				if (cands[i].remaining <= 0)
					continue;
				if (best < 0 || cands[i].load < cands[best].load)
					best = i;
			}
			return best;
	}
	return -1;
}

/*
 * campaign_assign(campaign_id bigint, strategy text)
 *		returns table (staff_id integer, leads integer)
 *		Assign the campaign's unassigned open leads; one row per person who
 *		got leads, in staff_id order, and a last row with a NULL staff_id
 *		counting the leads left unassigned.
 */
PG_FUNCTION_INFO_V1(campaign_assign);
Datum
campaign_assign(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			schema = BankcrmSchemaOid(false);
	char	   *nsp = get_namespace_name(schema);
	int64		campaign_id = PG_GETARG_INT64(0);
	AssignStrategy strategy = assign_strategy_parse(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	StringInfoData sql;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	AssignCandidate *cands;
	int			ncands;
	int64	   *lead_ids;
	int32	   *primaries;
	Datum	   *out_leads;
	Datum	   *out_staff;
	int			nleads;
	int			nout = 0;
	int			unassigned = 0;
	int			cursor = 0;
	int			i;
	bool		isnull;
	char	   *state;
	bool		terminal;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	args[0] = Int64GetDatum(campaign_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the campaign: exists, is not over, and is locked against a concurrent run */
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT c.state, ps.is_terminal FROM %s.campaign c "
					 "JOIN %s.process_state ps ON ps.process_name OPERATOR(pg_catalog.=) 'campaign_lifecycle' "
					 " AND ps.state OPERATOR(pg_catalog.=) c.state "
					 "WHERE c.campaign_id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE OF c",
					 quote_identifier(nsp), quote_identifier(nsp));
	if (SPI_execute_with_args(sql.data, 1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read campaign " INT64_FORMAT, campaign_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign %lld does not exist", (long long) campaign_id)));
	state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	terminal = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (terminal)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("campaign %lld is %s", (long long) campaign_id, state),
				 errdetail("Leads of a campaign that is over are not assigned.")));

	/* the candidates, their capacity left today and their open leads */
	resetStringInfo(&sql);
	/*
	 * The counts are grouped subqueries, not correlated ones, so that Citus
	 * runs them on the shards and joins their results to the staff.
	 */
	appendStringInfo(&sql,
					 "SELECT s.staff_id, "
					 " s.daily_capacity::pg_catalog.int8 OPERATOR(pg_catalog.-) COALESCE(td.n, 0), COALESCE(op.n, 0) "
					 "FROM %s.staff s "
					 "LEFT JOIN (SELECT t.assigned_to, pg_catalog.count(*) AS n FROM %s.lead t "
					 "  WHERE t.assigned_at OPERATOR(pg_catalog.>=) CURRENT_DATE::pg_catalog.timestamptz "
					 "  GROUP BY t.assigned_to) td ON td.assigned_to OPERATOR(pg_catalog.=) s.staff_id "
					 "LEFT JOIN (SELECT o.assigned_to, pg_catalog.count(*) AS n FROM %s.lead o JOIN %s.process_state ps "
					 "    ON ps.process_name OPERATOR(pg_catalog.=) o.process_name AND ps.state OPERATOR(pg_catalog.=) o.state "
					 "  WHERE NOT ps.is_terminal GROUP BY o.assigned_to) op ON op.assigned_to OPERATOR(pg_catalog.=) s.staff_id "
					 "WHERE s.active ",
					 quote_identifier(nsp), quote_identifier(nsp), quote_identifier(nsp), quote_identifier(nsp));
	if (strategy == ASSIGN_PRIMARY_RM)
		appendStringInfo(&sql,
						 "AND s.staff_id IN (SELECT cv.staff_id FROM %s.coverage cv JOIN %s.lead l "
						 " ON l.party_id OPERATOR(pg_catalog.=) cv.party_id "
						 " WHERE l.campaign_id OPERATOR(pg_catalog.=) $1 AND l.assigned_to IS NULL "
						 " AND cv.role OPERATOR(pg_catalog.=) 'primary_rm' AND cv.valid_to IS NULL) ",
						 quote_identifier(nsp), quote_identifier(nsp));
	else
		appendStringInfo(&sql,
						 "AND s.role_kind OPERATOR(pg_catalog.=) ANY ('{rm,agent,hunter,farmer}'::pg_catalog.text[]) "
						 "AND s.team_id IN (SELECT ct.team_id FROM %s.campaign_team ct "
						 " WHERE ct.campaign_id OPERATOR(pg_catalog.=) $1) ",
						 quote_identifier(nsp));
	appendStringInfoString(&sql, "ORDER BY s.staff_id");
	if (SPI_execute_with_args(sql.data, 1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the candidates of campaign " INT64_FORMAT, campaign_id);
	ncands = (int) SPI_processed;
	if (ncands == 0 && strategy != ASSIGN_PRIMARY_RM)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("campaign %lld has nobody to assign leads to", (long long) campaign_id),
				 errhint("Add teams with relationship managers or agents to the campaign in table campaign_team.")));
	cands = palloc0(sizeof(AssignCandidate) * (ncands > 0 ? ncands : 1));
	for (i = 0; i < ncands; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;

		cands[i].staff_id = DatumGetInt32(SPI_getbinval(tup, td, 1, &isnull));
		cands[i].remaining = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
		cands[i].load = DatumGetInt64(SPI_getbinval(tup, td, 3, &isnull));
	}

	/* the open, unassigned leads, most important first */
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT l.lead_id, cv.staff_id FROM %s.lead l "
					 "JOIN %s.process_state ps ON ps.process_name OPERATOR(pg_catalog.=) l.process_name "
					 " AND ps.state OPERATOR(pg_catalog.=) l.state AND NOT ps.is_terminal "
					 "LEFT JOIN %s.coverage cv ON cv.party_id OPERATOR(pg_catalog.=) l.party_id "
					 " AND cv.role OPERATOR(pg_catalog.=) 'primary_rm' AND cv.valid_to IS NULL "
					 "WHERE l.campaign_id OPERATOR(pg_catalog.=) $1 AND l.assigned_to IS NULL "
					 "ORDER BY l.priority DESC, l.lead_id",
					 quote_identifier(nsp), quote_identifier(nsp), quote_identifier(nsp));
	if (SPI_execute_with_args(sql.data, 1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the leads of campaign " INT64_FORMAT, campaign_id);
	nleads = (int) SPI_processed;
	lead_ids = palloc(sizeof(int64) * (nleads > 0 ? nleads : 1));
	primaries = palloc(sizeof(int32) * (nleads > 0 ? nleads : 1));
	for (i = 0; i < nleads; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		Datum		d;

		lead_ids[i] = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		d = SPI_getbinval(tup, td, 2, &isnull);
		primaries[i] = isnull ? 0 : DatumGetInt32(d);
	}

	/* decide */
	out_leads = palloc(sizeof(Datum) * (nleads > 0 ? nleads : 1));
	out_staff = palloc(sizeof(Datum) * (nleads > 0 ? nleads : 1));
	for (i = 0; i < nleads; i++)
	{
		int			k = assign_pick(cands, ncands, strategy, primaries[i], &cursor);

		CHECK_FOR_INTERRUPTS();
		if (k < 0)
		{
			unassigned++;
			continue;
		}
		cands[k].remaining--;
		cands[k].load++;
		cands[k].assigned++;
		out_leads[nout] = Int64GetDatum(lead_ids[i]);
		out_staff[nout] = Int32GetDatum(cands[k].staff_id);
		nout++;
	}

	/* write */
	if (nout > 0)
	{
		Oid			uargtypes[2] = {INT8ARRAYOID, INT4ARRAYOID};
		Datum		uargs[2];

		uargs[0] = PointerGetDatum(construct_array(out_leads, nout, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		uargs[1] = PointerGetDatum(construct_array(out_staff, nout, INT4OID, sizeof(int32), true, TYPALIGN_INT));
		resetStringInfo(&sql);
		if (OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		{
			/*
			 * On Citus an UPDATE joins no function: one UPDATE per person,
			 * over the ids of the leads they get, run on the shards.
			 */
			Oid			pargtypes[2] = {INT4OID, INT8ARRAYOID};
			Datum		pargs[2];
			Datum	   *mine = palloc(sizeof(Datum) * nout);
			uint64		done = 0;
			int			k;

			appendStringInfo(&sql,
							 "UPDATE %s.lead l SET assigned_to = $1, assigned_at = pg_catalog.now() "
							 "WHERE l.lead_id OPERATOR(pg_catalog.=) ANY ($2) AND l.assigned_to IS NULL",
							 quote_identifier(nsp));
			for (k = 0; k < ncands; k++)
			{
				int			nmine = 0;
				int			j;

				if (cands[k].assigned == 0)
					continue;
				for (j = 0; j < nout; j++)
					if (DatumGetInt32(out_staff[j]) == cands[k].staff_id)
						mine[nmine++] = out_leads[j];
				pargs[0] = Int32GetDatum(cands[k].staff_id);
				pargs[1] = PointerGetDatum(construct_array(mine, nmine, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
				if (SPI_execute_with_args(sql.data, 2, pargtypes, pargs, NULL, false, 0) != SPI_OK_UPDATE)
					elog(ERROR, "could not assign the leads of campaign " INT64_FORMAT, campaign_id);
				done += SPI_processed;
			}
			SPI_processed = done;
		}
		else
		{
			appendStringInfo(&sql,
							 "UPDATE %s.lead l SET assigned_to = a.staff_id, assigned_at = pg_catalog.now() "
							 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) a(lead_id, staff_id) "
							 "WHERE l.lead_id OPERATOR(pg_catalog.=) a.lead_id AND l.assigned_to IS NULL",
							 quote_identifier(nsp));
			if (SPI_execute_with_args(sql.data, 2, uargtypes, uargs, NULL, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not assign the leads of campaign " INT64_FORMAT, campaign_id);
		}
		if (SPI_processed != nout)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("the leads of campaign %lld changed during the assignment", (long long) campaign_id),
					 errhint("Run campaign_assign again.")));
	}
	SPI_finish();

	for (i = 0; i < ncands; i++)
	{
		Datum		v[2];
		bool		n[2] = {false, false};

		if (cands[i].assigned == 0)
			continue;
		v[0] = Int32GetDatum(cands[i].staff_id);
		v[1] = Int32GetDatum(cands[i].assigned);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	if (unassigned > 0)
	{
		Datum		v[2];
		bool		n[2] = {true, false};

		v[0] = (Datum) 0;
		v[1] = Int32GetDatum(unassigned);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	return (Datum) 0;
}

/*
 * lead_fire(lead_id bigint, event text, note text, at timestamptz) returns text
 *		fsm_fire on table lead: the same checks, the same history row.
 */
PG_FUNCTION_INFO_V1(lead_fire);
Datum
lead_fire(PG_FUNCTION_ARGS)
{
	return FsmFireArgs(fcinfo, FsmRelid(BankcrmSchemaOid(false), "lead"), 0);
}
