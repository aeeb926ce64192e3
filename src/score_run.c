/*-------------------------------------------------------------------------
 *
 * score_run.c
 *	  The scoring engine: every party's scores in one pass over the bank,
 *	  score_preview() and score_all().
 *
 * A scoring run reads each input table once, sequentially, and keeps one
 * ScoreParty per party that is not closed, found by party_id through an
 * array over the id range (or a hash table when the ids are sparse); what
 * contacts and activity add up to is kept in small arrays of its own beside
 * it, because those tables are stored in time order and each of their rows
 * belongs to another party:
 *
 *   party             kind, rating, tenure, age and the words of potential
 *   holding           balances, interest and transfer-price sums, fees,
 *                     AUM, open products, the last opening (open on as_of)
 *   contact           contacts and cost to serve in the year, last contact
 *   activity_weekly   transactions in 52 weeks, last week with any
 *   party_retention   a party's own retention estimate
 *   score_history     the growth reference and the last recorded scores
 *
 * then has score_compute.c apply the formulas of score.c to every party
 * and cut the RFM quintiles, and either returns the rows (score_preview) or
 * has score_store.c write what changed (score_all): party_score rows are
 * deleted, updated in place or inserted, and score_history gets a row when a
 * party's recorded scores changed.  The formulas are in doc/scoring.md.
 *
 * Money is summed exactly: numeric balances are read as scaled integers
 * (cents, rates in millionths, transfer prices in 1e-10) and summed in
 * 128 bits, so the sums do not depend on the order of the rows; only the
 * final ratios are taken in double precision.
 *
 * The tables are read directly, with the privileges of the caller checked
 * first.  Row-level security cannot be applied row by row here, so a caller
 * whose view of these tables is filtered by it must have the privileges of
 * bankcrm_admin or bankcrm_app, whose policies show every row.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score_run.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <sys/mman.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/skey.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/parse_relation.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "score_run.h"


/*
 * The run's large arrays (up to hundreds of megabytes) are mapped from the
 * kernel directly rather than palloc'd: fresh anonymous memory is already
 * zero, so nothing is written twice and pages the run never touches (the
 * slack of an estimate) cost nothing; the mapping is aligned so that it can
 * be backed by huge pages where the kernel allows it (a run touches every
 * page of its arrays once, and faulting in 4 kB pages one by one costs more
 * than reading the bank).  A mapping is released with the memory context
 * that was current when it was made, or by ScoreFree.
 */
#define SCORE_MAP_MIN	(1024 * 1024)
#define SCORE_HUGE_PAGE	(2 * 1024 * 1024)

typedef struct ScoreMapping
{
	char	   *base;			/* as mapped; NULL once released */
	Size		len;
	MemoryContextCallback cb;
} ScoreMapping;

static void
ScoreUnmap(void *arg)
{
	ScoreMapping *m = (ScoreMapping *) arg;

	if (m->base != NULL)
		(void) munmap(m->base, m->len);
	m->base = NULL;
}

/*
 * ScoreAlloc
 *		A zeroed array of size bytes for the run.
 */
void *
ScoreAlloc(Size size)
{
#if defined(MAP_ANONYMOUS) && !defined(WIN32)
	if (size >= SCORE_MAP_MIN)
	{
		ScoreMapping *m = MemoryContextAlloc(CurrentMemoryContext, sizeof(ScoreMapping));
		char	   *p;

		/* room to align to a huge page, and for the pointer back to m */
		m->len = TYPEALIGN(SCORE_HUGE_PAGE, size) + SCORE_HUGE_PAGE;
		m->base = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m->base == MAP_FAILED)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Failed on a scoring array of %zu bytes.", size)));
		m->cb.func = ScoreUnmap;
		m->cb.arg = m;
		MemoryContextRegisterResetCallback(CurrentMemoryContext, &m->cb);
		p = (char *) TYPEALIGN(SCORE_HUGE_PAGE, m->base + sizeof(ScoreMapping *));
#ifdef MADV_HUGEPAGE
		(void) madvise(p, TYPEALIGN(SCORE_HUGE_PAGE, size), MADV_HUGEPAGE);
#endif
		((ScoreMapping **) p)[-1] = m;
		return p;
	}
#endif
	return palloc_extended(Max(size, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/*
 * ScoreFree
 *		Release an array of ScoreAlloc(size) before its context goes.
 */
void
ScoreFree(void *p, Size size)
{
#if defined(MAP_ANONYMOUS) && !defined(WIN32)
	if (size >= SCORE_MAP_MIN)
	{
		ScoreUnmap(((ScoreMapping **) p)[-1]);
		return;
	}
#endif
	pfree(p);
}

/*
 * ScoreGrow
 *		An array of ScoreAlloc(size) grown to new_size, contents kept.
 */
void *
ScoreGrow(void *p, Size size, Size new_size)
{
	void	   *q = ScoreAlloc(new_size);

	memcpy(q, p, Min(size, new_size));
	ScoreFree(p, size);
	return q;
}

/* a 64-bit mix of a party id (the finaliser of MurmurHash3) */
static inline uint32
HashPartyId(int64 key)
{
	uint64		h = (uint64) key;

	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return (uint32) h;
}

/* party_id -> index into the ScoreParty array */
typedef struct PartyEntry
{
	int64		key;
	uint32		idx;
	char		status;
} PartyEntry;

#define SH_PREFIX		partyhash
#define SH_ELEMENT_TYPE	PartyEntry
#define SH_KEY_TYPE		int64
#define SH_KEY			key
#define SH_HASH_KEY(tb, key) HashPartyId(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static void ReadParties(ScoreRun *run);
static void ReadHoldings(ScoreRun *run);
static void ReadContacts(ScoreRun *run);
static void ReadActivity(ScoreRun *run);
static void ReadRetention(ScoreRun *run);
static void ReadHistory(ScoreRun *run);

/*
 * ScoreNumericScaled
 *		The value of a numeric Datum times 10^scale as an exact 128-bit
 *		integer, read from the stored form of a numeric (a sign, a weight,
 *		a display scale and base-10000 digits).  False when the value is
 *		NaN or infinite, has more decimals than scale, or does not fit.
 */
bool
ScoreNumericScaled(Datum d, int scale, int128 *out)
{
	static int128 pow10[31];	/* 10^0 .. 10^30, filled on first use */
	struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));
	const char *p = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	int			weight;
	bool		negative;
	int			hdrsize;
	int			ndigits;
	int128		acc = 0;
	int			i;

	if (pow10[0] == 0)
	{
		pow10[0] = 1;
		for (i = 1; i < lengthof(pow10); i++)
			pow10[i] = pow10[i - 1] * 10;
	}
	if (len < (int) sizeof(uint16))
		return false;
	memcpy(&header, p, sizeof(uint16));
	switch (header & 0xC000)
	{
		case 0x8000:			/* short format */
			negative = (header & 0x2000) != 0;
			weight = (header & 0x0040) ? (~0x003F | (header & 0x003F)) : (header & 0x003F);
			hdrsize = sizeof(uint16);
			break;
		case 0xC000:			/* NaN, +Infinity, -Infinity */
			return false;
		default:				/* long format */
			{
				int16		w;

				if (len < (int) (sizeof(uint16) + sizeof(int16)))
					return false;
				negative = (header & 0xC000) == 0x4000;
				memcpy(&w, p + sizeof(uint16), sizeof(int16));
				weight = w;
				hdrsize = sizeof(uint16) + sizeof(int16);
			}
			break;
	}
	ndigits = (len - hdrsize) / (int) sizeof(int16);
	for (i = 0; i < ndigits; i++)
	{
		int16		digit;
		int			e;

		memcpy(&digit, p + hdrsize + i * sizeof(int16), sizeof(int16));
		if (digit == 0)
			continue;
		e = 4 * (weight - i) + scale;	/* the power of ten of this digit */
		if (e < 0)
		{
			/* digits are below 10^4: a digit below the scale must end in zeros */
			if (e < -4 || digit % (int) pow10[-e] != 0)
				return false;
			acc += digit / (int) pow10[-e];
		}
		else
		{
			if (e > 30)
				return false;
			acc += digit * pow10[e];
		}
	}
	*out = negative ? -acc : acc;
	return true;
}

/* a numeric column of a table that must be exact at a scale */
static int128
ColumnScaled(Datum d, int scale, const char *table, const char *column)
{
	int128		x;

	if (!ScoreNumericScaled(d, scale, &x))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s.%s holds a value the scoring cannot read exactly", table, column),
				 errdetail("Values must be finite with at most %d decimals.", scale),
				 errhint("Restore the column type the extension installed, or round the column's values to %d decimals.", scale)));
	return x;
}

/* a sum of cents as an int64, for numeric(18, 2) columns */
int64
ScoreCentsToInt64(int128 x, const char *what)
{
	if (x > PG_INT64_MAX || x < PG_INT64_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range", what)));
	return (int64) x;
}

/* a double rounded to cents, half away from zero */
int64
ScoreDoubleToCents(double x, const char *what)
{
	double		c = round(x * 100.0);

	if (!(c > -9.0e17 && c < 9.0e17))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range", what)));
	return (int64) c;
}

/*
 * ScoreRelid
 *		The OID of a table of the extension's schema.
 */
Oid
ScoreRelid(ScoreRun *run, const char *name)
{
	Oid			relid = get_relname_relid(name, run->nsp);

	if (!OidIsValid(relid))
		elog(ERROR, "table %s.%s is missing", get_namespace_name(run->nsp), name);
	return relid;
}

/*
 * CheckStorage
 *		The engine reads and writes a table's heap on this node: the table
 *		must be a plain table whose rows are here, not a partitioned table
 *		(the rows are in its partitions) nor a table that Citus distributes
 *		(the coordinator's table is an empty shell).  Anything else would
 *		score from an empty table without a word.
 */
static void
CheckStorage(Oid relid, const char *table)
{
	Oid			dist;

	if (get_rel_relkind(relid) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the scoring engine cannot read %s: it is not a plain table", table),
				 errdetail("The engine scans the heap of each table it reads; a partitioned table keeps its rows in its partitions."),
				 errhint("Keep bankcrm's tables unpartitioned to use score_all and score_preview.")));
	/* Citus lists the tables it distributes in pg_dist_partition (logicalrelid first) */
	dist = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	if (OidIsValid(dist))
	{
		Relation	rel = table_open(dist, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		bool		distributed;

		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
		distributed = HeapTupleIsValid(systable_getnext(scan));
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		if (distributed)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the scoring engine cannot read %s: Citus distributes it", table),
					 errdetail("The engine reads the rows stored on the node it runs on, and a coordinator stores none of a distributed table."),
					 errhint("Score on a single node; distributed scoring is not supported yet.")));
	}
}

/*
 * ScoreCheckAccess
 *		The caller must have the privileges `mode` on every table, and see
 *		all of its rows: when row-level security filters the caller's view,
 *		the caller must have the privileges of a role whose policies show
 *		every row (bankcrm_admin, bankcrm_app).
 */
void
ScoreCheckAccess(ScoreRun *run, const char *const *tables, int n, AclMode mode)
{
	Oid			user = GetUserId();
	Oid			admin = get_role_oid("bankcrm_admin", true);
	Oid			app = get_role_oid("bankcrm_app", true);
	int			i;

	for (i = 0; i < n; i++)
	{
		Oid			relid = ScoreRelid(run, tables[i]);

		CheckStorage(relid, tables[i]);
		if (pg_class_aclcheck(relid, user, mode) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, tables[i]);
		if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED &&
			!(OidIsValid(admin) && has_privs_of_role(user, admin)) &&
			!(OidIsValid(app) && has_privs_of_role(user, app)))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("scoring reads every row of %s, and row-level security filters what role \"%s\" sees",
							tables[i], GetUserNameFromId(user, false)),
					 errhint("Score as a member of bankcrm_admin or bankcrm_app, or as a role that bypasses row-level security.")));
	}
}

/* a sequential scan of one input table in the run's snapshot */
typedef struct ScoreScan
{
	Relation	rel;
	TupleTableSlot *slot;
	TableScanDesc scan;
	AttrNumber	upto;			/* deform the columns up to this one */
} ScoreScan;

static ScoreScan
ScanStart(ScoreRun *run, const char *table)
{
	ScoreScan	s;

	s.rel = table_open(ScoreRelid(run, table), AccessShareLock);
	s.slot = table_slot_create(s.rel, NULL);
	s.scan = table_beginscan(s.rel, run->snapshot, 0, NULL);
	s.upto = 0;
	return s;
}

/* the attribute number of a column the scan reads, by name */
static AttrNumber
ScanCol(ScoreScan *s, const char *name)
{
	AttrNumber	att = attnameAttNum(s->rel, name, false);

	if (att == InvalidAttrNumber)
		elog(ERROR, "column %s.%s is missing", RelationGetRelationName(s->rel), name);
	s->upto = Max(s->upto, att);
	return att;
}

/* the next row, its columns up to the last one asked for deformed */
static bool
ScanNext(ScoreScan *s)
{
	CHECK_FOR_INTERRUPTS();
	if (!table_scan_getnextslot(s->scan, ForwardScanDirection, s->slot))
		return false;
	slot_getsomeattrs(s->slot, s->upto);
	return true;
}

static void
ScanEnd(ScoreScan *s)
{
	table_endscan(s->scan);
	ExecDropSingleTupleTableSlot(s->slot);
	table_close(s->rel, AccessShareLock);
}

/* the run's index of a party, -1 when the party is not scored */
int32
ScoreRunFindIndex(ScoreRun *run, int64 party_id)
{
	if (run->dense != NULL)
	{
		uint64		off = (uint64) party_id - (uint64) run->min_id;

		return off < run->ndense ? run->dense[off] : -1;
	}
	else
	{
		PartyEntry *e = partyhash_lookup(run->byid, party_id);

		return e ? (int32) e->idx : -1;
	}
}

/* the run's party of an id, NULL when the party is not scored */
ScoreParty *
ScoreRunFindParty(ScoreRun *run, int64 party_id)
{
	int32		idx = ScoreRunFindIndex(run, party_id);

	return idx >= 0 ? &run->parties[idx] : NULL;
}

/*
 * IndexParties
 *		The lookup from party_id to party: an array over the id range when
 *		ids are dense (identity columns make them so; at most 4 slots per
 *		party), a hash table otherwise.
 */
static void
IndexParties(ScoreRun *run)
{
	int64		min_id = PG_INT64_MAX;
	int64		max_id = PG_INT64_MIN;
	uint32		i;

	for (i = 0; i < run->nparties; i++)
	{
		min_id = Min(min_id, run->parties[i].party_id);
		max_id = Max(max_id, run->parties[i].party_id);
	}
	if (run->nparties > 0 && (uint64) max_id - (uint64) min_id < (uint64) 4 * run->nparties + 1024)
	{
		run->min_id = min_id;
		run->ndense = (uint64) max_id - (uint64) min_id + 1;
		run->dense = ScoreAlloc(sizeof(int32) * run->ndense);
		memset(run->dense, 0xFF, sizeof(int32) * run->ndense);
		for (i = 0; i < run->nparties; i++)
			run->dense[run->parties[i].party_id - min_id] = (int32) i;
		return;
	}
	run->byid = partyhash_create(CurrentMemoryContext, Max(run->nparties, 16), NULL);
	for (i = 0; i < run->nparties; i++)
	{
		bool		found;
		PartyEntry *e = partyhash_insert(run->byid, run->parties[i].party_id, &found);

		e->idx = i;
	}
}

/* the index of a text column's word in a vocabulary, -1 when NULL or unknown */
static int
SlotWord(TupleTableSlot *slot, AttrNumber att, const char *const *vocab, int n)
{
	text	   *t;

	if (slot->tts_isnull[att - 1])
		return -1;
	t = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(slot->tts_values[att - 1]));
	return ScoreVocabIndex(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), vocab, n);
}

/*
 * ReadParties
 *		One ScoreParty per party that is not closed.
 */
static void
ReadParties(ScoreRun *run)
{
	ScoreScan	s = ScanStart(run, "party");
	AttrNumber	a_id = ScanCol(&s, "party_id"),
				a_kind = ScanCol(&s, "kind"),
				a_status = ScanCol(&s, "status"),
				a_rating = ScanCol(&s, "credit_rating"),
				a_onb = ScanCol(&s, "onboarded_on"),
				a_birth = ScanCol(&s, "birth_date"),
				a_edu = ScanCol(&s, "education"),
				a_occ = ScanCol(&s, "occupation"),
				a_life = ScanCol(&s, "life_stage"),
				a_lc = ScanCol(&s, "product_lifecycle");
	int			y2,
				m2,
				d2;
	double		est = Max(s.rel->rd_rel->reltuples, 1024.0);

	j2date(run->as_of + POSTGRES_EPOCH_JDATE, &y2, &m2, &d2);
	run->maxparties = (uint32) Min(est * 1.1 + 1024, (double) (MaxAllocHugeSize / sizeof(ScoreParty)));
	run->parties = ScoreAlloc(sizeof(ScoreParty) * run->maxparties);

	while (ScanNext(&s))
	{
		ScoreParty *p;
		text	   *st;

		st = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(s.slot->tts_values[a_status - 1]));
		if (VARSIZE_ANY_EXHDR(st) == 6 && memcmp(VARDATA_ANY(st), "closed", 6) == 0)
			continue;
		if (run->nparties == run->maxparties)
		{
			run->parties = ScoreGrow(run->parties, sizeof(ScoreParty) * run->maxparties,
									 sizeof(ScoreParty) * run->maxparties * 2);
			run->maxparties = run->maxparties * 2;
		}
		p = &run->parties[run->nparties];
		memset(p, 0, sizeof(ScoreParty));
		p->party_id = DatumGetInt64(s.slot->tts_values[a_id - 1]);
		run->nparties++;
		{
			text	   *k = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(s.slot->tts_values[a_kind - 1]));

			p->kind = ScoreKindCode(VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k));
		}
		p->notch = s.slot->tts_isnull[a_rating - 1] ? run->m.unrated_notch
			: CreditRatingNotch(DatumGetInt16(s.slot->tts_values[a_rating - 1]));
		if (p->notch < 1)
			elog(ERROR, "invalid credit rating of party %lld", (long long) p->party_id);
		p->tenure_days = 0;
		if (!s.slot->tts_isnull[a_onb - 1])
			p->tenure_days = Max(run->as_of - DatumGetDateADT(s.slot->tts_values[a_onb - 1]), 0);
		p->age = SCORE_AGE_UNKNOWN;
		if (!s.slot->tts_isnull[a_birth - 1])
		{
			DateADT		birth = DatumGetDateADT(s.slot->tts_values[a_birth - 1]);

			if (!DATE_NOT_FINITE(birth) && birth <= run->as_of)
			{
				int			y1,
							m1,
							d1;

				j2date(birth + POSTGRES_EPOCH_JDATE, &y1, &m1, &d1);
				p->age = y2 - y1 - ((m2 < m1 || (m2 == m1 && d2 < d1)) ? 1 : 0);
			}
		}
		p->education = SlotWord(s.slot, a_edu, score_education_values, N_EDUCATION);
		p->occupation = SlotWord(s.slot, a_occ, score_occupation_values, N_OCCUPATION);
		p->life_stage = SlotWord(s.slot, a_life, score_life_stage_values, N_LIFE_STAGE);
		p->lifecycle = SlotWord(s.slot, a_lc, score_lifecycle_values, N_LIFECYCLE);
		p->last_opened = NO_DATE;
		p->own_retention = get_float8_nan();
		p->ref_old_day = NO_DATE;
		p->ref_young_day = NO_DATE;
		p->rec.day = NO_DATE;
	}
	ScanEnd(&s);
	IndexParties(run);
}

/* the model's product of an id (products are few: a binary search) */
static const ScoreProduct *
FindProduct(ScoreModel *m, int32 product_id)
{
	int			lo = 0,
				hi = m->nproducts - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (m->product_ids[mid] == product_id)
			return &m->products[mid];
		if (m->product_ids[mid] < product_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* add a balance to a party's sum of balances, in cents */
static inline void
AddCents(int64 *sum, int128 cents, const ScoreParty *p)
{
	int128		x = (int128) *sum + cents;

	if (x > PG_INT64_MAX || x < PG_INT64_MIN)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the balances of party %lld add up to more than the scoring can hold",
						(long long) p->party_id),
				 errdetail("A party's balances are summed in cents in a 64-bit integer."),
				 errhint("Check the balances of the party's holdings: together they must stay under 92233720368547758.07.")));
	*sum = (int64) x;
}

/*
 * ReadHoldings
 *		The holdings open on as_of: opened on or before it, not closed on or
 *		before it.
 */
static void
ReadHoldings(ScoreRun *run)
{
	ScoreScan	s = ScanStart(run, "holding");
	AttrNumber	a_party = ScanCol(&s, "party_id"),
				a_prod = ScanCol(&s, "product_id"),
				a_bal = ScanCol(&s, "balance"),
				a_rate = ScanCol(&s, "rate"),
				a_fees = ScanCol(&s, "fees_ytd"),
				a_open = ScanCol(&s, "opened_on"),
				a_close = ScanCol(&s, "closed_on");
	ScoreModel *m = &run->m;

	run->nwords = Max((m->nproducts + 63) / 64, 1);
	run->held = ScoreAlloc(sizeof(uint64) * run->nwords * Max(run->nparties, 1));
	while (ScanNext(&s))
	{
		ScoreParty *p;
		const ScoreProduct *pr;
		DateADT		opened;
		int128		bal;
		int128		fees;

		opened = DatumGetDateADT(s.slot->tts_values[a_open - 1]);
		if (opened > run->as_of)
			continue;
		if (!s.slot->tts_isnull[a_close - 1] && DatumGetDateADT(s.slot->tts_values[a_close - 1]) <= run->as_of)
			continue;
		p = ScoreRunFindParty(run, DatumGetInt64(s.slot->tts_values[a_party - 1]));
		if (p == NULL)
			continue;
		pr = FindProduct(m, DatumGetInt32(s.slot->tts_values[a_prod - 1]));
		if (pr == NULL)
			continue;
		bal = ColumnScaled(s.slot->tts_values[a_bal - 1], SCALE_MONEY, "holding", "balance");
		if (pr->priced)
		{
			int128		rate = ColumnScaled(s.slot->tts_values[a_rate - 1], SCALE_RATE, "holding", "rate");

			if (pr->is_asset)
			{
				AddCents(&p->loan_bal, bal, p);
				p->loan_int += bal * rate;
				p->loan_ftp += bal * pr->ftp;
			}
			else
			{
				AddCents(&p->dep_bal, bal, p);
				p->dep_int += bal * rate;
				p->dep_ftp += bal * pr->ftp;
			}
		}
		if (pr->is_aum)
			AddCents(&p->aum, bal, p);
		/* fees so far this year, annualised over the days since January 1 or the opening */
		fees = ColumnScaled(s.slot->tts_values[a_fees - 1], SCALE_MONEY, "holding", "fees_ytd");
		if (fees != 0)
			p->fees += Int128ToDouble(fees * 365) /
				(100.0 * (double) Max(run->as_of - Max(opened, m->jan1), m->fee_min_days));
		p->products++;
		if (opened > p->last_opened)
			p->last_opened = opened;
		{
			int			bit = pr - m->products;

			run->held[(Size) (p - run->parties) * run->nwords + bit / 64] |= UINT64CONST(1) << (bit % 64);
		}
	}
	ScanEnd(&s);
}

/*
 * ReadContacts
 *		Contacts before the end of as_of: the last one, and the number and
 *		cost of those in the 365 days before.
 */
static void
ReadContacts(ScoreRun *run)
{
	ScoreScan	s = ScanStart(run, "contact");
	AttrNumber	a_party = ScanCol(&s, "party_id"),
				a_channel = ScanCol(&s, "channel"),
				a_at = ScanCol(&s, "occurred_at");

	run->contacts = ScoreAlloc(sizeof(ScoreContacts) * Max(run->nparties, 1));
	while (ScanNext(&s))
	{
		ScoreContacts *c;
		int32		idx;
		TimestampTz at;

		at = DatumGetTimestampTz(s.slot->tts_values[a_at - 1]);
		if (at >= run->m.day_end)
			continue;
		idx = ScoreRunFindIndex(run, DatumGetInt64(s.slot->tts_values[a_party - 1]));
		if (idx < 0)
			continue;
		c = &run->contacts[idx];
		if (!c->has_contact || at > c->last_contact)
			c->last_contact = at;
		c->has_contact = true;
		if (at >= run->m.year_start)
		{
			int			ch = SlotWord(s.slot, a_channel, score_channel_names, SCORE_NCHANNELS);

			c->contacts++;
			if (ch >= 0)
				c->cost += run->m.channel_cost[ch];
		}
	}
	ScanEnd(&s);
}

/*
 * ReadActivity
 *		Weeks up to as_of: transactions in the 52 weeks before, and the last
 *		week with any.
 */
static void
ReadActivity(ScoreRun *run)
{
	ScoreScan	s = ScanStart(run, "activity_weekly");
	AttrNumber	a_party = ScanCol(&s, "party_id"),
				a_week = ScanCol(&s, "week"),
				a_count = ScanCol(&s, "txn_count");
	uint32		i;

	run->activity = ScoreAlloc(sizeof(ScoreActivity) * Max(run->nparties, 1));
	for (i = 0; i < run->nparties; i++)
		run->activity[i].last_week = NO_DATE;
	while (ScanNext(&s))
	{
		ScoreActivity *a;
		int32		idx;
		DateADT		week;
		int32		n;

		week = DatumGetDateADT(s.slot->tts_values[a_week - 1]);
		if (week > run->as_of)
			continue;
		idx = ScoreRunFindIndex(run, DatumGetInt64(s.slot->tts_values[a_party - 1]));
		if (idx < 0)
			continue;
		a = &run->activity[idx];
		n = DatumGetInt32(s.slot->tts_values[a_count - 1]);
		if (week > run->as_of - 364)
			a->txns += n;
		if (n > 0 && week > a->last_week)
			a->last_week = week;
	}
	ScanEnd(&s);
}

/*
 * ReadRetention
 *		Each party's own retention estimate (party_retention).
 */
static void
ReadRetention(ScoreRun *run)
{
	ScoreScan	s = ScanStart(run, "party_retention");
	AttrNumber	a_party = ScanCol(&s, "party_id"),
				a_ret = ScanCol(&s, "retention");

	while (ScanNext(&s))
	{
		ScoreParty *p;

		p = ScoreRunFindParty(run, DatumGetInt64(s.slot->tts_values[a_party - 1]));
		if (p != NULL && !s.slot->tts_isnull[a_ret - 1])
			p->own_retention = DatumGetFloat8(s.slot->tts_values[a_ret - 1]);
	}
	ScanEnd(&s);
}

/* the tier code of a text column (-1 NULL or unknown) */
static int8
SlotTier(TupleTableSlot *slot, AttrNumber att, const char *const *names, int n)
{
	return (int8) SlotWord(slot, att, names, n);
}

/* a numeric(…, 2) column as cents; *isnull when NULL */
static int64
SlotCents(TupleTableSlot *slot, AttrNumber att, const char *column, bool *isnull)
{
	if (slot->tts_isnull[att - 1])
	{
		*isnull = true;
		return 0;
	}
	return ScoreCentsToInt64(ColumnScaled(slot->tts_values[att - 1], SCALE_MONEY, "score_history", column), column);
}

/*
 * ReadHistory
 *		From the model's score_history: each party's growth reference and its
 *		last recorded scores on or before as_of.
 *
 * History holds a row for the day a party was first scored and for every
 * day its recorded scores changed.  The reference of growth is the score in
 * force growth_window_days before as_of (the party's latest row on or
 * before that day) or, when the party's history starts later, its earliest
 * row at least growth_min_days old.
 */
static void
ReadHistory(ScoreRun *run)
{
	ScoreScan	s = ScanStart(run, "score_history");
	AttrNumber	a_party = ScanCol(&s, "party_id"),
				a_model = ScanCol(&s, "model"),
				a_day = ScanCol(&s, "scored_on"),
				a_contrib = ScanCol(&s, "contribution"),
				a_vs = ScanCol(&s, "value_score"),
				a_vt = ScanCol(&s, "value_tier"),
				a_wt = ScanCol(&s, "wealth_tier"),
				a_r = ScanCol(&s, "rfm_r"),
				a_f = ScanCol(&s, "rfm_f"),
				a_m = ScanCol(&s, "rfm_m"),
				a_clv = ScanCol(&s, "clv"),
				a_aum = ScanCol(&s, "aum");
	DateADT		old_day = run->as_of - run->m.growth_window_days;
	DateADT		young_day = run->as_of - run->m.growth_min_days;
	int			mlen = strlen(run->m.name);

	while (ScanNext(&s))
	{
		ScoreParty *p;
		text	   *model;
		DateADT		day;
		bool		isnull = false;

		model = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(s.slot->tts_values[a_model - 1]));
		if (VARSIZE_ANY_EXHDR(model) != mlen || memcmp(VARDATA_ANY(model), run->m.name, mlen) != 0)
			continue;
		day = DatumGetDateADT(s.slot->tts_values[a_day - 1]);
		if (day > run->as_of)
			continue;
		p = ScoreRunFindParty(run, DatumGetInt64(s.slot->tts_values[a_party - 1]));
		if (p == NULL)
			continue;

		if (day <= young_day && !s.slot->tts_isnull[a_contrib - 1])
		{
			int64		c = SlotCents(s.slot, a_contrib, "contribution", &isnull);

			if (day <= old_day && (p->ref_old_day == NO_DATE || day > p->ref_old_day))
			{
				p->ref_old_day = day;
				p->ref_old = c;
			}
			if (p->ref_young_day == NO_DATE || day < p->ref_young_day)
			{
				p->ref_young_day = day;
				p->ref_young = c;
			}
		}
		if (p->rec.day == NO_DATE || day > p->rec.day)
		{
			ScoreRecorded *r = &p->rec;

			isnull = false;
			r->day = day;
			r->tid = s.slot->tts_tid;
			r->contribution = SlotCents(s.slot, a_contrib, "contribution", &isnull);
			r->clv = SlotCents(s.slot, a_clv, "clv", &isnull);
			r->aum = SlotCents(s.slot, a_aum, "aum", &isnull);
			r->value_score = s.slot->tts_isnull[a_vs - 1] ? -1 : DatumGetInt32(s.slot->tts_values[a_vs - 1]);
			r->value_tier = SlotTier(s.slot, a_vt, score_value_tier_names, SCORE_NVALUE_TIERS);
			r->wealth_tier = SlotTier(s.slot, a_wt, score_wealth_tier_names, SCORE_NWEALTH_TIERS);
			r->rfm[0] = s.slot->tts_isnull[a_r - 1] ? -1 : DatumGetInt16(s.slot->tts_values[a_r - 1]);
			r->rfm[1] = s.slot->tts_isnull[a_f - 1] ? -1 : DatumGetInt16(s.slot->tts_values[a_f - 1]);
			r->rfm[2] = s.slot->tts_isnull[a_m - 1] ? -1 : DatumGetInt16(s.slot->tts_values[a_m - 1]);
			r->nulls = isnull || s.slot->tts_isnull[a_vs - 1] || s.slot->tts_isnull[a_vt - 1];
		}
	}
	ScanEnd(&s);
}

/*
 * ScoreRunHoldings
 *		Read the parties and their holdings only (what the affinity counts
 *		need).
 */
void
ScoreRunHoldings(ScoreRun *run)
{
	ReadParties(run);
	ReadHoldings(run);
}

/*
 * ScoreRunStoredTiers
 *		tiers[i] = the value tier party_score holds for party i under the
 *		run's model, -1 when it has no score.
 */
void
ScoreRunStoredTiers(ScoreRun *run, int8 *tiers)
{
	ScoreScan	s = ScanStart(run, "party_score");
	AttrNumber	a_party = ScanCol(&s, "party_id"),
				a_model = ScanCol(&s, "model"),
				a_tier = ScanCol(&s, "value_tier");
	int			mlen = strlen(run->m.name);

	memset(tiers, -1, sizeof(int8) * run->nparties);
	while (ScanNext(&s))
	{
		text	   *model = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(s.slot->tts_values[a_model - 1]));
		ScoreParty *p;

		if (VARSIZE_ANY_EXHDR(model) != mlen || memcmp(VARDATA_ANY(model), run->m.name, mlen) != 0)
			continue;
		p = ScoreRunFindParty(run, DatumGetInt64(s.slot->tts_values[a_party - 1]));
		if (p != NULL)
			tiers[p - run->parties] = SlotTier(s.slot, a_tier, score_value_tier_names, SCORE_NVALUE_TIERS);
	}
	ScanEnd(&s);
}

/*
 * ScoreRunCompute
 *		Read the bank in run->snapshot and compute every party's scores.
 */
void
ScoreRunCompute(ScoreRun *run)
{
	ReadParties(run);
	ReadHoldings(run);
	ReadContacts(run);
	ReadActivity(run);
	ReadRetention(run);
	ReadHistory(run);
	ScoreComputeParties(run);
	ScoreComputeQuintiles(run);
}

/* the tables a run reads */
static const char *const read_tables[] = {
	"score_model", "product", "party", "holding", "contact", "activity_weekly",
	"party_retention", "score_history"
};

/* set up a run in the extension's schema; as_of must not be NULL */
void
ScoreRunInit(ScoreRun *run, FunctionCallInfo fcinfo)
{
	memset(run, 0, sizeof(ScoreRun));
	run->nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be null")));
	if (DATE_NOT_FINITE(PG_GETARG_DATEADT(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite date")));
	ScoreCheckAccess(run, read_tables, lengthof(read_tables), ACL_SELECT);
	run->as_of = PG_GETARG_DATEADT(1);
}

/* numeric of cents */
Datum
ScoreCentsDatum(int64 cents)
{
	return NumericGetDatum(int64_div_fast_to_numeric(cents, 2));
}

/*
 * score_preview
 *		SQL score_preview(model text, as_of date) returns setof the scores
 *		score_all() would store for every party that is not closed.
 */
PG_FUNCTION_INFO_V1(score_preview);
Datum
score_preview(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext runcxt;
	MemoryContext old;
	ScoreRun	run;
	Datum		model_d;
	Datum		vt_d[SCORE_NVALUE_TIERS];
	Datum		wt_d[SCORE_NWEALTH_TIERS];
	uint32		i;
	int			k;

	InitMaterializedSRF(fcinfo, 0);
	runcxt = AllocSetContextCreate(CurrentMemoryContext, "bankcrm score run", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(runcxt);
	ScoreRunInit(&run, fcinfo);
	ScoreRunModel(&run, PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	run.snapshot = GetActiveSnapshot();
	ScoreRunCompute(&run);

	model_d = CStringGetTextDatum(run.m.name);
	for (k = 0; k < SCORE_NVALUE_TIERS; k++)
		vt_d[k] = CStringGetTextDatum(score_value_tier_names[k]);
	for (k = 0; k < SCORE_NWEALTH_TIERS; k++)
		wt_d[k] = CStringGetTextDatum(score_wealth_tier_names[k]);
	for (i = 0; i < run.nparties; i++)
	{
		ScoreParty *p = &run.parties[i];
		Datum		v[17];
		bool		n[17] = {0};

		v[0] = Int64GetDatum(p->party_id);
		v[1] = model_d;
		v[2] = ScoreCentsDatum(ScoreDoubleToCents(p->contribution, "contribution"));
		v[3] = Int32GetDatum(p->value_score);
		v[4] = vt_d[p->value_tier];
		if (p->wealth_tier >= 0)
			v[5] = wt_d[p->wealth_tier];
		else
			n[5] = true;
		v[6] = Int16GetDatum(p->rfm[0]);
		v[7] = Int16GetDatum(p->rfm[1]);
		v[8] = Int16GetDatum(p->rfm[2]);
		v[9] = ScoreCentsDatum(ScoreDoubleToCents(p->clv, "clv"));
		v[10] = ScoreCentsDatum(p->aum);
		v[11] = Float8GetDatum(p->retention);
		v[12] = Float8GetDatum(p->growth);
		v[13] = Float8GetDatum(p->potential);
		v[14] = Int32GetDatum(p->recency);
		v[15] = Int64GetDatum(p->frequency);
		v[16] = Int32GetDatum(p->products);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
