/*-------------------------------------------------------------------------
 *
 * rls.c
 *	  The row-level security predicates: which parties, staff, campaigns,
 *	  complaints and leads the staff member behind the current role sees.
 *
 * Every policy of a staff role is a call of one of these functions on a
 * column of the row (party_visible(party_id), staff_visible(assigned_to),
 * ...), never a subquery: Citus refuses subqueries in the policies of the
 * tables it distributes, and evaluates a policy inside each shard task, on
 * the node that holds the shard.
 *
 * Each function answers from a set it computes once, with a query, the
 * first time it is called for a role in a transaction and command; later
 * calls are a binary search.  So a policy costs one query per statement
 * and a lookup per row, as the hashed subplan of "party_id IN (SELECT ...)"
 * did.  The sets are dropped at the end of the transaction, when the role
 * changes, and when the command counter moves (so a transaction sees its
 * own changes of coverage at its next statement).
 *
 * On a Citus worker the query that fills a set reads distributed tables
 * from within a shard task; it runs with citus.allow_nested_distributed_
 * execution on, and with search_path pinned to pg_catalog, pg_temp.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/rls.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "bankcrm.h"

PG_FUNCTION_INFO_V1(rls_party_visible);
PG_FUNCTION_INFO_V1(rls_staff_visible);
PG_FUNCTION_INFO_V1(rls_team_campaign);
PG_FUNCTION_INFO_V1(rls_history_visible);
PG_FUNCTION_INFO_V1(rls_current_staff_id);

/* the sets one cache holds */
typedef enum RlsSet
{
	RLS_PARTIES,
	RLS_STAFF,
	RLS_CAMPAIGNS,
	RLS_COMPLAINTS,
	RLS_LEADS,
	RLS_ME,
	RLS_NSETS
} RlsSet;

typedef struct IdSet
{
	bool		valid;
	int			n;
	int64	   *ids;			/* sorted */
} IdSet;

typedef struct RlsCache
{
	bool		valid;
	Oid			userid;
	CommandId	cid;
	MemoryContext cxt;
	IdSet		sets[RLS_NSETS];
} RlsCache;

static RlsCache cache;
static bool callback_registered = false;

static void
rls_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			cache.valid = false;
			break;
		default:
			break;
	}
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* the query that fills each set; %s is the extension's schema */
static const char *
set_query(RlsSet set)
{
	switch (set)
	{
		case RLS_PARTIES:
			return "SELECT v::pg_catalog.int8 FROM %s.visible_party_ids(CURRENT_USER) v";
		case RLS_STAFF:
			return "SELECT v::pg_catalog.int8 FROM %s.visible_staff_ids() v";
		case RLS_CAMPAIGNS:
			return "SELECT ct.campaign_id::pg_catalog.int8 FROM %1$s.campaign_team ct "
				"JOIN %1$s.staff me ON me.db_role OPERATOR(pg_catalog.=) CURRENT_USER AND me.active "
				"WHERE me.role_kind OPERATOR(pg_catalog.=) 'team_lead' "
				"AND ct.team_id OPERATOR(pg_catalog.=) me.team_id";
		case RLS_COMPLAINTS:
			return "SELECT c.complaint_id FROM %s.complaint c";
		case RLS_LEADS:
			return "SELECT l.lead_id FROM %s.lead l";
		case RLS_ME:
			return "SELECT s.staff_id::pg_catalog.int8 FROM %s.staff s "
				"WHERE s.db_role OPERATOR(pg_catalog.=) CURRENT_USER AND s.active";
		default:
			elog(ERROR, "unknown row-level security set %d", (int) set);
	}
	return NULL;					/* keep compiler quiet */
}

/*
 * RlsFill
 *		Run the query of a set and keep its ids, sorted, in the cache.
 */
static void
RlsFill(FunctionCallInfo fcinfo, RlsSet set)
{
	IdSet	   *s = &cache.sets[set];
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	const char *schema = quote_identifier(get_namespace_name(nsp));
	char	   *sql = psprintf(set_query(set), schema);
	int			nest;
	int			rc;
	uint64		i;

	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	/* on a Citus worker the query reads distributed tables from a shard */
	if (GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		(void) set_config_option("citus.allow_nested_distributed_execution", "on",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute(sql, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "row-level security query failed: %s", SPI_result_code_string(rc));

	s->n = 0;
	s->ids = MemoryContextAlloc(cache.cxt, sizeof(int64) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			s->ids[s->n++] = DatumGetInt64(d);
	}
	SPI_finish();
	AtEOXact_GUC(true, nest);

	if (s->n > 1)
		qsort(s->ids, s->n, sizeof(int64), int64_cmp);
	s->valid = true;
}

/*
 * RlsContains
 *		Whether id is in the set, computing the set first if this role,
 *		transaction and command have not yet.
 */
static bool
RlsContains(FunctionCallInfo fcinfo, RlsSet set, int64 id)
{
	Oid			userid = GetUserId();
	CommandId	cid = GetCurrentCommandId(false);
	IdSet	   *s;

	if (!callback_registered)
	{
		RegisterXactCallback(rls_xact_callback, NULL);
		callback_registered = true;
	}
	if (cache.cxt == NULL)
		cache.cxt = AllocSetContextCreate(TopMemoryContext, "bankcrm row-level security",
										  ALLOCSET_SMALL_SIZES);
	if (!cache.valid || cache.userid != userid || cache.cid != cid)
	{
		MemoryContextReset(cache.cxt);
		memset(cache.sets, 0, sizeof(cache.sets));
		cache.userid = userid;
		cache.cid = cid;
		cache.valid = true;
	}
	s = &cache.sets[set];
	if (!s->valid)
		RlsFill(fcinfo, set);
	/* the set may have been dropped by a nested call; it is filled again */
	if (!cache.valid || !s->valid)
		return RlsContains(fcinfo, set, id);
	return bsearch(&id, s->ids, s->n, sizeof(int64), int64_cmp) != NULL;
}

/* party_visible(party_id bigint): the current role may see this party */
Datum
rls_party_visible(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(RlsContains(fcinfo, RLS_PARTIES, PG_GETARG_INT64(0)));
}

/* staff_visible(staff_id integer): the current role sees this staff member's leads */
Datum
rls_staff_visible(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(RlsContains(fcinfo, RLS_STAFF, (int64) PG_GETARG_INT32(0)));
}

/* team_lead_campaign(campaign_id bigint): a campaign of the current team lead's team */
Datum
rls_team_campaign(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(RlsContains(fcinfo, RLS_CAMPAIGNS, PG_GETARG_INT64(0)));
}

/*
 * history_visible(entity regclass, entity_id bigint): the current role sees
 * the complaint or lead a process history row is about
 */
Datum
rls_history_visible(PG_FUNCTION_ARGS)
{
	Oid			entity = PG_GETARG_OID(0);
	int64		id = PG_GETARG_INT64(1);
	char	   *name = get_rel_name(entity);
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);

	if (name == NULL || get_rel_namespace(entity) != nsp)
		PG_RETURN_BOOL(false);
	if (strcmp(name, "complaint") == 0)
		PG_RETURN_BOOL(RlsContains(fcinfo, RLS_COMPLAINTS, id));
	if (strcmp(name, "lead") == 0)
		PG_RETURN_BOOL(RlsContains(fcinfo, RLS_LEADS, id));
	PG_RETURN_BOOL(false);
}

/* current_staff_id(): the staff member the current role acts as, or NULL */
Datum
rls_current_staff_id(PG_FUNCTION_ARGS)
{
	IdSet	   *s;

	/* fills the set, whatever the answer */
	(void) RlsContains(fcinfo, RLS_ME, 0);
	s = &cache.sets[RLS_ME];
	if (s->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32((int32) s->ids[0]);
}
