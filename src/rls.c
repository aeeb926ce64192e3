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
 * did.  The sets are dropped at the end of the transaction, when a
 * subtransaction is rolled back, when the role changes, and when the
 * command counter moves (so a transaction sees its own changes of coverage
 * at its next statement).
 *
 * On Citus a policy runs inside a shard task, on the worker that holds the
 * shard.  There, the parties a role sees are computed from the shards of
 * the same co-located group (party, coverage, lead) and the local replicas
 * of the reference tables (staff, process_state): the rows a task tests all
 * belong to that group, and nothing leaves the node.  One small query per
 * group and transaction, instead of a distributed query per shard task.
 * The other sets, and a party whose group is not on this node, are computed
 * with a distributed query, run with citus.allow_nested_distributed_
 * execution on.  Every query runs with search_path pinned to pg_catalog,
 * pg_temp.
 *
 * Layer: SQL entry points (the row-level security predicates and their
 * planner support).  Calls bankcrm.c only.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/rls.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "bankcrm.h"

PG_FUNCTION_INFO_V1(rls_party_visible);
PG_FUNCTION_INFO_V1(rls_staff_visible);
PG_FUNCTION_INFO_V1(rls_team_campaign);
PG_FUNCTION_INFO_V1(rls_history_visible);
PG_FUNCTION_INFO_V1(rls_current_staff_id);
PG_FUNCTION_INFO_V1(rls_visible_party_array);
PG_FUNCTION_INFO_V1(rls_party_visible_support);

/* the share of the parties below which party_visible() lends an index condition */
#define RLS_INDEX_SHARE 0.05

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

/*
 * Where party is hash-distributed by Citus: its shard groups, in hash
 * order, and for each the local shards of party, coverage and lead
 * (InvalidOid when the group is on another node), with the parties of the
 * group the role sees once computed
 */
typedef struct ShardMap
{
	bool		checked;		/* looked up in this cache's lifetime */
	bool		distributed;	/* party is a Citus hash-distributed table */
	int			n;
	int32	   *minv;
	int32	   *maxv;
	Oid		   *party;
	Oid		   *coverage;
	Oid		   *lead;
	Oid			staff;			/* local replicas of reference tables */
	Oid			process_state;
	IdSet	   *groups;
} ShardMap;

typedef struct RlsCache
{
	bool		valid;
	Oid			userid;
	CommandId	cid;
	MemoryContext cxt;
	IdSet		sets[RLS_NSETS];
	ShardMap	shards;
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

/* a subtransaction rolled back may have seen rows that are gone */
static void
rls_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		cache.valid = false;
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* whether id is in the sorted set (called once per row: no callbacks) */
static inline bool
IdSetContains(const IdSet *s, int64 id)
{
	int			lo = 0;
	int			hi = s->n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int64		v = s->ids[mid];

		if (v == id)
			return true;
		if (v < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
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
 * RlsQuery
 *		Run a query returning one integer column into the set s, sorted.
 *		With run_as valid, the query runs with that role's rights (the
 *		extension's owner, to read shards).
 */
static void
RlsQuery(IdSet *s, const char *sql, int nargs, Oid *argtypes, Datum *args, Oid run_as)
{
	int			nest;
	int			rc;
	uint64		i;
	Oid			save_userid;
	int			save_sec;

	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	/* on a Citus worker a query over distributed tables runs from a shard */
	if (GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		(void) set_config_option("citus.allow_nested_distributed_execution", "on",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	GetUserIdAndSecContext(&save_userid, &save_sec);
	if (OidIsValid(run_as))
		SetUserIdAndSecContext(run_as, save_sec | SECURITY_LOCAL_USERID_CHANGE);

	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		rc = SPI_execute_with_args(sql, nargs, argtypes, args, NULL, true, 0);
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
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	AtEOXact_GUC(true, nest);

	if (s->n > 1)
		qsort(s->ids, s->n, sizeof(int64), int64_cmp);
	s->valid = true;
}

/* the extension's schema, quoted: the schema of the function called */
static const char *
rls_schema(Oid fnoid)
{
	return quote_identifier(get_namespace_name(get_func_namespace(fnoid)));
}

/*
 * RlsFill
 *		Run the query of a set and keep its ids, sorted, in the cache.
 */
static void
RlsFill(Oid fnoid, RlsSet set)
{
	RlsQuery(&cache.sets[set], psprintf(set_query(set), rls_schema(fnoid)), 0, NULL, NULL, InvalidOid);
}

/* the owner of the function called: the extension's owner */
static Oid
rls_owner(Oid fnoid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fnoid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fnoid);
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * RlsShardMap
 *		Whether party is distributed by Citus here, and if so its shard
 *		groups and which of their shards this node holds.
 */
static void
RlsShardMap(Oid fnoid)
{
	ShardMap   *m = &cache.shards;
	const char *schema;
	char	   *sql;
	uint64		i;
	Oid			save_userid;
	int			save_sec;

	m->checked = true;
	m->distributed = false;
	if (!OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return;
	schema = rls_schema(fnoid);
	sql = psprintf("SELECT p.shardminvalue::pg_catalog.int4, p.shardmaxvalue::pg_catalog.int4, "
				   "pg_catalog.to_regclass(pg_catalog.format('%%s.%%I', %1$s, 'party_' OPERATOR(pg_catalog.||) p.shardid))::pg_catalog.oid, "
				   "pg_catalog.to_regclass(pg_catalog.format('%%s.%%I', %1$s, 'coverage_' OPERATOR(pg_catalog.||) c.shardid))::pg_catalog.oid, "
				   "pg_catalog.to_regclass(pg_catalog.format('%%s.%%I', %1$s, 'lead_' OPERATOR(pg_catalog.||) l.shardid))::pg_catalog.oid, "
				   "(SELECT pg_catalog.to_regclass(pg_catalog.format('%%s.%%I', %1$s, 'staff_' OPERATOR(pg_catalog.||) r.shardid))::pg_catalog.oid "
				   "   FROM pg_catalog.pg_dist_shard r WHERE r.logicalrelid OPERATOR(pg_catalog.=) '%2$s.staff'::pg_catalog.regclass), "
				   "(SELECT pg_catalog.to_regclass(pg_catalog.format('%%s.%%I', %1$s, 'process_state_' OPERATOR(pg_catalog.||) r.shardid))::pg_catalog.oid "
				   "   FROM pg_catalog.pg_dist_shard r WHERE r.logicalrelid OPERATOR(pg_catalog.=) '%2$s.process_state'::pg_catalog.regclass) "
				   "FROM pg_catalog.pg_dist_shard p "
				   "JOIN pg_catalog.pg_dist_shard c ON c.logicalrelid OPERATOR(pg_catalog.=) '%2$s.coverage'::pg_catalog.regclass "
				   " AND c.shardminvalue OPERATOR(pg_catalog.=) p.shardminvalue "
				   "JOIN pg_catalog.pg_dist_shard l ON l.logicalrelid OPERATOR(pg_catalog.=) '%2$s.lead'::pg_catalog.regclass "
				   " AND l.shardminvalue OPERATOR(pg_catalog.=) p.shardminvalue "
				   "WHERE p.logicalrelid OPERATOR(pg_catalog.=) '%2$s.party'::pg_catalog.regclass "
				   "ORDER BY 1",
				   quote_literal_cstr(schema), schema);

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(rls_owner(fnoid), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "row-level security: reading the shard map failed");
		if (SPI_processed > 0)
		{
			MemoryContext old = MemoryContextSwitchTo(cache.cxt);

			m->n = (int) SPI_processed;
			m->minv = palloc(sizeof(int32) * m->n);
			m->maxv = palloc(sizeof(int32) * m->n);
			m->party = palloc(sizeof(Oid) * m->n);
			m->coverage = palloc(sizeof(Oid) * m->n);
			m->lead = palloc(sizeof(Oid) * m->n);
			m->groups = palloc0(sizeof(IdSet) * m->n);
			MemoryContextSwitchTo(old);
			for (i = 0; i < SPI_processed; i++)
			{
				HeapTuple	t = SPI_tuptable->vals[i];
				TupleDesc	d = SPI_tuptable->tupdesc;
				bool		isnull;
				Datum		v;

				m->minv[i] = DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
				m->maxv[i] = DatumGetInt32(SPI_getbinval(t, d, 2, &isnull));
				v = SPI_getbinval(t, d, 3, &isnull);
				m->party[i] = isnull ? InvalidOid : DatumGetObjectId(v);
				v = SPI_getbinval(t, d, 4, &isnull);
				m->coverage[i] = isnull ? InvalidOid : DatumGetObjectId(v);
				v = SPI_getbinval(t, d, 5, &isnull);
				m->lead[i] = isnull ? InvalidOid : DatumGetObjectId(v);
				if (i == 0)
				{
					v = SPI_getbinval(t, d, 6, &isnull);
					m->staff = isnull ? InvalidOid : DatumGetObjectId(v);
					v = SPI_getbinval(t, d, 7, &isnull);
					m->process_state = isnull ? InvalidOid : DatumGetObjectId(v);
				}
			}
			m->distributed = true;
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
}

/*
 * RlsPartyLocal
 *		On a node that holds the party's shard group: whether the role sees
 *		it, from that group's shards (*answered false when it cannot say).
 */
static bool
RlsPartyLocal(Oid fnoid, int64 party_id, bool *answered)
{
	ShardMap   *m = &cache.shards;
	int32		h;
	int			lo,
				hi,
				g = -1;
	IdSet	   *s;

	*answered = false;
	if (!m->checked)
		RlsShardMap(fnoid);
	if (!m->distributed || !OidIsValid(m->staff) || !OidIsValid(m->process_state))
		return false;
	/* Citus hashes a bigint with its default hash function */
	h = DatumGetInt32(DirectFunctionCall1(hashint8, Int64GetDatum(party_id)));
	lo = 0;
	hi = m->n - 1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (h < m->minv[mid])
			hi = mid - 1;
		else if (h > m->maxv[mid])
			lo = mid + 1;
		else
		{
			g = mid;
			break;
		}
	}
	if (g < 0 || !OidIsValid(m->party[g]) || !OidIsValid(m->coverage[g]) || !OidIsValid(m->lead[g]))
		return false;
	s = &m->groups[g];
	if (!s->valid)
	{
		Oid			types[6] = {NAMEOID, OIDOID, OIDOID, OIDOID, OIDOID, OIDOID};
		Datum		args[6];
		char	   *sql = psprintf("SELECT v FROM %s.visible_party_ids_in($1, $2::pg_catalog.regclass, "
								   "$3::pg_catalog.regclass, $4::pg_catalog.regclass, $5::pg_catalog.regclass, "
								   "$6::pg_catalog.regclass) v",
								   rls_schema(fnoid));
		NameData	role;

		namestrcpy(&role, GetUserNameFromId(GetUserId(), false));
		args[0] = NameGetDatum(&role);
		args[1] = ObjectIdGetDatum(m->party[g]);
		args[2] = ObjectIdGetDatum(m->coverage[g]);
		args[3] = ObjectIdGetDatum(m->lead[g]);
		args[4] = ObjectIdGetDatum(m->staff);
		args[5] = ObjectIdGetDatum(m->process_state);
		RlsQuery(s, sql, 6, types, args, rls_owner(fnoid));
	}
	*answered = true;
	return IdSetContains(s, party_id);
}

/*
 * RlsContains
 *		Whether id is in the set, computing the set first if this role,
 *		transaction and command have not yet.
 */
static void RlsCacheCheck(void);

static bool
RlsContains(Oid fnoid, RlsSet set, int64 id)
{
	IdSet	   *s;

	RlsCacheCheck();
	s = &cache.sets[set];
	if (!s->valid)
		RlsFill(fnoid, set);
	/* the set may have been dropped by a nested call; it is filled again */
	if (!cache.valid || !s->valid)
		return RlsContains(fnoid, set, id);
	return IdSetContains(s, id);
}

/*
 * RlsCacheCheck
 *		Drop the sets if the role, the transaction or the command changed.
 */
static void
RlsCacheCheck(void)
{
	Oid			userid = GetUserId();
	CommandId	cid = GetCurrentCommandId(false);

	if (!callback_registered)
	{
		RegisterXactCallback(rls_xact_callback, NULL);
		RegisterSubXactCallback(rls_subxact_callback, NULL);
		callback_registered = true;
	}
	if (cache.cxt == NULL)
		cache.cxt = AllocSetContextCreate(TopMemoryContext, "bankcrm row-level security",
										  ALLOCSET_SMALL_SIZES);
	if (!cache.valid || cache.userid != userid || cache.cid != cid)
	{
		MemoryContextReset(cache.cxt);
		memset(cache.sets, 0, sizeof(cache.sets));
		memset(&cache.shards, 0, sizeof(cache.shards));
		cache.userid = userid;
		cache.cid = cid;
		cache.valid = true;
	}
}

/* party_visible(party_id bigint): the current role may see this party */
Datum
rls_party_visible(PG_FUNCTION_ARGS)
{
	int64		party_id = PG_GETARG_INT64(0);
	bool		answered;
	bool		visible;

	/* the common case, once the set is there: one lookup */
	if (cache.valid && cache.shards.checked && !cache.shards.distributed &&
		cache.sets[RLS_PARTIES].valid && cache.userid == GetUserId() &&
		cache.cid == GetCurrentCommandId(false))
		PG_RETURN_BOOL(IdSetContains(&cache.sets[RLS_PARTIES], party_id));

	RlsCacheCheck();
	visible = RlsPartyLocal(fcinfo->flinfo->fn_oid, party_id, &answered);
	if (answered)
		PG_RETURN_BOOL(visible);
	PG_RETURN_BOOL(RlsContains(fcinfo->flinfo->fn_oid, RLS_PARTIES, party_id));
}

/* staff_visible(staff_id integer): the current role sees this staff member's leads */
Datum
rls_staff_visible(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(RlsContains(fcinfo->flinfo->fn_oid, RLS_STAFF, (int64) PG_GETARG_INT32(0)));
}

/* team_lead_campaign(campaign_id bigint): a campaign of the current team lead's team */
Datum
rls_team_campaign(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(RlsContains(fcinfo->flinfo->fn_oid, RLS_CAMPAIGNS, PG_GETARG_INT64(0)));
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
		PG_RETURN_BOOL(RlsContains(fcinfo->flinfo->fn_oid, RLS_COMPLAINTS, id));
	if (strcmp(name, "lead") == 0)
		PG_RETURN_BOOL(RlsContains(fcinfo->flinfo->fn_oid, RLS_LEADS, id));
	PG_RETURN_BOOL(false);
}

/* current_staff_id(): the staff member the current role acts as, or NULL */
Datum
rls_current_staff_id(PG_FUNCTION_ARGS)
{
	IdSet	   *s;

	/* fills the set, whatever the answer */
	(void) RlsContains(fcinfo->flinfo->fn_oid, RLS_ME, 0);
	s = &cache.sets[RLS_ME];
	if (s->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32((int32) s->ids[0]);
}

/* visible_party_array(): the parties the current role sees, as an array */
Datum
rls_visible_party_array(PG_FUNCTION_ARGS)
{
	IdSet	   *s;
	Datum	   *d;
	int			i;

	(void) RlsContains(fcinfo->flinfo->fn_oid, RLS_PARTIES, 0);
	s = &cache.sets[RLS_PARTIES];
	d = palloc(sizeof(Datum) * Max(s->n, 1));
	for (i = 0; i < s->n; i++)
		d[i] = Int64GetDatum(s->ids[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, s->n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * party_visible's planner support: party_visible(party_id) over a btree
 * index on party_id becomes the index condition
 * party_id = ANY (visible_party_array()), so that a role that sees few
 * parties reads them through the index, as the hashed subplan of a policy
 * "party_id IN (SELECT ...)" let the planner do.  The function stays as
 * the filter (the condition is marked lossy).  Only when the role sees
 * at most RLS_INDEX_SHARE of the parties; not where party is
 * distributed by Citus: there each shard task answers from its own group.
 */
Datum
rls_party_visible_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestIndexCondition *req;
	FuncExpr   *fe;
	Oid			eqop;
	Oid			arrfn;
	ScalarArrayOpExpr *saop;
	List	   *name;
	Oid			party_rel;
	double		parties = -1;

	if (!IsA(rawreq, SupportRequestIndexCondition))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestIndexCondition *) rawreq;
	if (!IsA(req->node, FuncExpr) || req->indexarg != 0 || req->index->relam != BTREE_AM_OID)
		PG_RETURN_POINTER(NULL);
	fe = (FuncExpr *) req->node;
	if (list_length(fe->args) != 1 || exprType(linitial(fe->args)) != INT8OID)
		PG_RETURN_POINTER(NULL);
	eqop = get_opfamily_member(req->opfamily, INT8OID, INT8OID, BTEqualStrategyNumber);
	if (!OidIsValid(eqop))
		PG_RETURN_POINTER(NULL);

	RlsCacheCheck();
	if (!cache.shards.checked)
		RlsShardMap(req->funcid);
	if (cache.shards.distributed)
		PG_RETURN_POINTER(NULL);

	/*
	 * Worth it for a few parties only: a role that sees a large share of
	 * the bank (a branch manager) reads faster with a plain scan, filtered
	 * row by row
	 */
	party_rel = get_relname_relid("party", get_func_namespace(req->funcid));
	if (OidIsValid(party_rel))
	{
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(party_rel));

		if (HeapTupleIsValid(tup))
		{
			parties = ((Form_pg_class) GETSTRUCT(tup))->reltuples;
			ReleaseSysCache(tup);
		}
	}
	(void) RlsContains(req->funcid, RLS_PARTIES, 0);
	if (parties > 0 && cache.sets[RLS_PARTIES].n > RLS_INDEX_SHARE * parties)
		PG_RETURN_POINTER(NULL);

	name = list_make2(makeString(get_namespace_name(get_func_namespace(req->funcid))),
					  makeString("visible_party_array"));
	arrfn = LookupFuncName(name, 0, NULL, true);
	if (!OidIsValid(arrfn))
		PG_RETURN_POINTER(NULL);

	saop = makeNode(ScalarArrayOpExpr);
	saop->opno = eqop;
	saop->opfuncid = get_opcode(eqop);
	saop->useOr = true;
	saop->inputcollid = InvalidOid;
	saop->args = list_make2(copyObject(linitial(fe->args)),
							makeFuncExpr(arrfn, INT8ARRAYOID, NIL, InvalidOid, InvalidOid,
										 COERCE_EXPLICIT_CALL));
	saop->location = -1;
	req->lossy = true;
	PG_RETURN_POINTER(list_make1(saop));
}
