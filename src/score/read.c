/*-------------------------------------------------------------------------
 *
 * read.c
 *	  The scoring engine's run: every party's inputs in one pass over the
 *	  bank, read through the executor.
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
 * then has compute.c apply the formulas of score.c to every party
 * and cut the RFM quintiles, and either returns the rows (score_preview) or
 * has store.c write what changed (score_all): party_score rows are
 * deleted, updated in place or inserted, and score_history gets a row when a
 * party's recorded scores changed.  The formulas are in doc/scoring.md.
 *
 * Money is summed exactly: numeric balances are read as scaled integers
 * (cents, rates in millionths, transfer prices in 1e-10) and summed in
 * 128 bits, annualised fees in 128-bit fixed point, so the sums do not
 * depend on the order of the rows (which a partitioned or distributed table
 * returns in another order); only the final ratios are taken in double
 * precision.
 *
 * The tables are read through the executor: each is one schema-qualified
 * SELECT, run through SPI in the caller's snapshot with search_path pinned
 * to pg_catalog, pg_temp, whose rows go straight into a DestReceiver that
 * folds them into the run (nothing is materialised).  So the planner finds
 * the rows wherever they are: in a plain table, in the partitions of a
 * partitioned one, or on the workers of a Citus cluster (which pull them to
 * the node that runs the scoring: the bank-wide figures, the RFM cut-offs,
 * are taken over all the rows read, as on one node).  The caller's
 * privileges and row-level security apply as to any query: a role that sees
 * some parties only scores those, among themselves.
 *
 * Layer: storage (src/score/).  Reads through SPI and the executor; calls
 * model.c, compute.c, alloc.c and score.c.  store.c and affinity.c call it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "bankcrm.h"
#include "compat.h"
#include "progress.h"
#include "score/alloc.h"
#include "score/compute.h"
#include "score/model.h"
#include "score/read.h"


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
#define SH_HASH_KEY(tb, key) BankcrmHash64((uint64) (key))
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
static void ReadGroups(ScoreRun *run);

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
 * ScoreNspName
 *		The extension's schema, quoted for a query.
 */
const char *
ScoreNspName(ScoreRun *run)
{
	return BankcrmSchemaName();
}

/* the most columns a query hands over */
#define SCORE_MAX_COLS	20

/*
 * A receiver that hands each row of a query to a function of the run: the
 * columns it names, found by name in what the query returns, in the order
 * named.  The query may return more (SELECT *: a scan whose rows need no
 * projection), of which only those up to the last one named are deformed.
 */
typedef struct ScoreReceiver
{
	DestReceiver pub;
	ScoreRun   *run;
	ScoreRowFunc fn;
	void	   *arg;
	const char *columns;		/* the names, separated by ", " */
	int			ncols;
	AttrNumber	att[SCORE_MAX_COLS];
	AttrNumber	upto;
	TupleTableSlot *out;		/* the columns named, as the function sees them */
} ScoreReceiver;

static bool
ScoreReceive(TupleTableSlot *slot, DestReceiver *self)
{
	ScoreReceiver *r = (ScoreReceiver *) self;
	TupleTableSlot *out = r->out;
	MemoryContext old;
	int			i;

	slot_getsomeattrs(slot, r->upto);
	for (i = 0; i < r->ncols; i++)
	{
		out->tts_values[i] = slot->tts_values[r->att[i] - 1];
		out->tts_isnull[i] = slot->tts_isnull[r->att[i] - 1];
	}
	/* a row as stored in a table, not projected, carries its ctid */
	out->tts_tid = slot->tts_tid;
	/* what a row allocates (a grown array, a detoasted word) is the run's */
	old = MemoryContextSwitchTo(r->run->cxt);
	r->fn(r->run, out, r->arg);
	MemoryContextSwitchTo(old);
	return true;
}

static void
ScoreReceiveStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	ScoreReceiver *r = (ScoreReceiver *) self;
	const char *p = r->columns;
	TupleDesc	desc;
	int			i;

	r->upto = 0;
	for (i = 0; i < r->ncols; i++)
	{
		const char *end = strchr(p, ',');
		int			len = end ? end - p : strlen(p);
		int			j;

		r->att[i] = InvalidAttrNumber;
		for (j = 0; j < typeinfo->natts; j++)
		{
			Form_pg_attribute a = TupleDescAttr(typeinfo, j);

			if (!a->attisdropped && strlen(NameStr(a->attname)) == len &&
				strncmp(NameStr(a->attname), p, len) == 0)
			{
				r->att[i] = j + 1;
				break;
			}
		}
		if (r->att[i] == InvalidAttrNumber)
			elog(ERROR, "a scoring query returned no column %.*s", len, p);
		r->upto = Max(r->upto, r->att[i]);
		p = end ? end + 1 : p + len;
		while (*p == ' ')
			p++;
	}
	desc = CreateTemplateTupleDesc(r->ncols);
	for (i = 0; i < r->ncols; i++)
		TupleDescCopyEntry(desc, i + 1, typeinfo, r->att[i]);
	r->out = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
}

static void
ScoreReceiveNothing(DestReceiver *self)
{
}

/*
 * ScoreQuery
 *		Run a query (nargs parameters) in the active snapshot and hand the
 *		columns it names (ncols of them, separated by ", ") of every row to
 *		fn, as slot->tts_values[0 .. ncols - 1].  The query must name every
 *		object with its schema and every operator as OPERATOR(pg_catalog.x);
 *		the run pins search_path besides.
 */
void
ScoreQuery(ScoreRun *run, const char *sql, const char *columns, int ncols, int nargs,
		   Oid *argtypes, Datum *args, ScoreRowFunc fn, void *arg)
{
	ScoreReceiver recv;
	SPIExecuteOptions opts;
	SPIPlanPtr	plan;
	int			ret;
	int			i;

	Assert(ncols <= SCORE_MAX_COLS);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&recv, 0, sizeof(recv));
	recv.pub.receiveSlot = ScoreReceive;
	recv.pub.rStartup = ScoreReceiveStartup;
	recv.pub.rShutdown = ScoreReceiveNothing;
	recv.pub.rDestroy = ScoreReceiveNothing;
	recv.pub.mydest = DestNone;
	recv.run = run;
	recv.fn = fn;
	recv.arg = arg;
	recv.columns = columns;
	recv.ncols = ncols;

	memset(&opts, 0, sizeof(opts));
	if (nargs > 0)
	{
		opts.params = makeParamList(nargs);
		for (i = 0; i < nargs; i++)
		{
			opts.params->params[i].value = args[i];
			opts.params->params[i].isnull = false;
			opts.params->params[i].pflags = PARAM_FLAG_CONST;
			opts.params->params[i].ptype = argtypes[i];
		}
	}
	/* the run's snapshot: every table is read as of the same moment */
	opts.read_only = true;
	opts.dest = (DestReceiver *) &recv;
	/*
	 * No parallel plan: every row comes to this process's receiver anyway,
	 * and a Gather would only add a copy of each.
	 */
	plan = SPI_prepare_cursor(sql, nargs, argtypes, 0);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	/* with a receiver of its own, SPI reports a SELECT as SPI_OK_UTILITY */
	ret = SPI_execute_plan_extended(plan, &opts);
	if (ret != SPI_OK_SELECT && ret != SPI_OK_UTILITY)
		elog(ERROR, "a scoring query returned %d", ret);
	SPI_finish();
}

/*
 * ScoreReadTable
 *		Hand columns (ncols names) of every row of a table of the
 *		extension's schema to fn; with model, of the run's model's rows
 *		only.  The query is SELECT *: a scan of a plain table then gives its
 *		rows as stored, with no projection, and only the columns up to the
 *		last one used are deformed.
 */
void
ScoreReadTable(ScoreRun *run, const char *table, bool model, const char *columns, int ncols,
			   ScoreRowFunc fn, void *arg)
{
	char	   *sql;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	if (model)
	{
		sql = psprintf("SELECT * FROM %s.%s WHERE model OPERATOR(pg_catalog.=) $1", ScoreNspName(run), table);
		args[0] = CStringGetTextDatum(run->m.name);
		ScoreQuery(run, sql, columns, ncols, 1, argtypes, args, fn, arg);
	}
	else
	{
		sql = psprintf("SELECT * FROM %s.%s", ScoreNspName(run), table);
		ScoreQuery(run, sql, columns, ncols, 0, NULL, NULL, fn, arg);
	}
	pfree(sql);
}

/*
 * ScoreRunPinPath
 *		Pin search_path to pg_catalog, pg_temp until ScoreRunEnd: nothing a
 *		caller plants in another schema can be called by the run's queries.
 */
static void
ScoreRunPinPath(ScoreRun *run)
{
	run->guc_nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * ScoreRunEnd
 *		Restore what ScoreRunInit changed (search_path).
 */
void
ScoreRunEnd(ScoreRun *run)
{
	AtEOXact_GUC(true, run->guc_nest);
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

/* the columns ReadParties reads, by their place in its query */
enum
{
	PA_ID = 1, PA_KIND, PA_STATUS, PA_RATING, PA_ONBOARDED, PA_BIRTH, PA_EDUCATION,
	PA_OCCUPATION, PA_LIFE_STAGE, PA_LIFECYCLE, PA_NCOLS = PA_LIFECYCLE
};

/* the scoring day as a calendar date, for the ages */
typedef struct PartyRead
{
	int			y2,
				m2,
				d2;
} PartyRead;

/* one row of party: a ScoreParty unless the party is closed */
static void
PartyRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	PartyRead  *pr = (PartyRead *) arg;
	Datum	   *v = slot->tts_values;
	bool	   *isnull = slot->tts_isnull;
	ScoreParty *p;
	text	   *st;

	st = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(v[PA_STATUS - 1]));
	if (VARSIZE_ANY_EXHDR(st) == 6 && memcmp(VARDATA_ANY(st), "closed", 6) == 0)
		return;
	if (run->nparties == run->maxparties)
	{
		run->parties = ScoreGrow(run->parties, sizeof(ScoreParty) * run->maxparties,
								 sizeof(ScoreParty) * run->maxparties * 2);
		run->maxparties = run->maxparties * 2;
	}
	p = &run->parties[run->nparties];
	memset(p, 0, sizeof(ScoreParty));
	p->party_id = DatumGetInt64(v[PA_ID - 1]);
	run->nparties++;
	{
		text	   *k = (text *) pg_detoast_datum_packed((struct varlena *) DatumGetPointer(v[PA_KIND - 1]));

		p->kind = ScoreKindCode(VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k));
	}
	p->notch = isnull[PA_RATING - 1] ? run->m.unrated_notch
		: CreditRatingNotch(DatumGetInt16(v[PA_RATING - 1]));
	if (p->notch < 1)
		elog(ERROR, "invalid credit rating of party %lld", (long long) p->party_id);
	p->tenure_days = 0;
	if (!isnull[PA_ONBOARDED - 1])
		p->tenure_days = Max(run->as_of - DatumGetDateADT(v[PA_ONBOARDED - 1]), 0);
	p->age = SCORE_AGE_UNKNOWN;
	if (!isnull[PA_BIRTH - 1])
	{
		DateADT		birth = DatumGetDateADT(v[PA_BIRTH - 1]);

		if (!DATE_NOT_FINITE(birth) && birth <= run->as_of)
		{
			int			y1,
						m1,
						d1;

			j2date(birth + POSTGRES_EPOCH_JDATE, &y1, &m1, &d1);
			p->age = pr->y2 - y1 - ((pr->m2 < m1 || (pr->m2 == m1 && pr->d2 < d1)) ? 1 : 0);
		}
	}
	p->education = SlotWord(slot, PA_EDUCATION, score_education_values, N_EDUCATION);
	p->occupation = SlotWord(slot, PA_OCCUPATION, score_occupation_values, N_OCCUPATION);
	p->life_stage = SlotWord(slot, PA_LIFE_STAGE, score_life_stage_values, N_LIFE_STAGE);
	p->lifecycle = SlotWord(slot, PA_LIFECYCLE, score_lifecycle_values, N_LIFECYCLE);
	p->last_opened = NO_DATE;
	p->own_retention = get_float8_nan();
	p->ref_old_day = NO_DATE;
	p->ref_young_day = NO_DATE;
	p->rec.day = NO_DATE;
}

/* the planner's estimate of a table's rows (0 when it has none) */
static double
EstimateRows(ScoreRun *run, const char *table)
{
	Oid			relid = get_relname_relid(table, run->nsp);
	HeapTuple	tup;
	double		est = 0;

	if (!OidIsValid(relid))
		return 0;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		est = ((Form_pg_class) GETSTRUCT(tup))->reltuples;
		ReleaseSysCache(tup);
	}
	return est;
}

/*
 * ReadParties
 *		One ScoreParty per party that is not closed.
 */
static void
ReadParties(ScoreRun *run)
{
	PartyRead	pr;
	double		est = Max(EstimateRows(run, "party"), 1024.0);

	j2date(run->as_of + POSTGRES_EPOCH_JDATE, &pr.y2, &pr.m2, &pr.d2);
	run->maxparties = (uint32) Min(est * 1.1 + 1024, (double) (MaxAllocHugeSize / sizeof(ScoreParty)));
	run->parties = ScoreAlloc(sizeof(ScoreParty) * run->maxparties);
	ScoreReadTable(run, "party", false,
				   "party_id, kind, status, credit_rating, onboarded_on, birth_date, education, "
				   "occupation, life_stage, product_lifecycle", PA_NCOLS, PartyRow, &pr);
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

/* the columns ReadHoldings reads */
enum
{
	HO_PARTY = 1, HO_PRODUCT, HO_BALANCE, HO_RATE, HO_FEES, HO_OPENED, HO_CLOSED,
	HO_NCOLS = HO_CLOSED
};

/* one row of holding */
static void
HoldingRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	Datum	   *v = slot->tts_values;
	ScoreModel *m = &run->m;
	ScoreParty *p;
	const ScoreProduct *pr;
	DateADT		opened;
	int128		bal;
	int128		fees;

	opened = DatumGetDateADT(v[HO_OPENED - 1]);
	if (opened > run->as_of)
		return;
	if (!slot->tts_isnull[HO_CLOSED - 1] && DatumGetDateADT(v[HO_CLOSED - 1]) <= run->as_of)
		return;
	p = ScoreRunFindParty(run, DatumGetInt64(v[HO_PARTY - 1]));
	if (p == NULL)
		return;
	pr = FindProduct(m, DatumGetInt32(v[HO_PRODUCT - 1]));
	if (pr == NULL)
		return;
	bal = ColumnScaled(v[HO_BALANCE - 1], SCALE_MONEY, "holding", "balance");
	if (pr->priced)
	{
		int128		rate = ColumnScaled(v[HO_RATE - 1], SCALE_RATE, "holding", "rate");

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
	fees = ColumnScaled(v[HO_FEES - 1], SCALE_MONEY, "holding", "fees_ytd");
	if (fees != 0)
		p->fees += ScoreFeesFixed(Int128ToDouble(fees * 365) /
								  (100.0 * (double) Max(run->as_of - Max(opened, m->jan1), m->fee_min_days)));
	p->products++;
	if (opened > p->last_opened)
		p->last_opened = opened;
	{
		int			bit = pr - m->products;

		run->held[(Size) (p - run->parties) * run->nwords + bit / 64] |= UINT64CONST(1) << (bit % 64);
	}
}

/*
 * ReadHoldings
 *		The holdings open on as_of: opened on or before it, not closed on or
 *		before it.
 */
static void
ReadHoldings(ScoreRun *run)
{
	run->nwords = Max((run->m.nproducts + 63) / 64, 1);
	run->held = ScoreAlloc(sizeof(uint64) * run->nwords * Max(run->nparties, 1));
	ScoreReadTable(run, "holding", false,
				   "party_id, product_id, balance, rate, fees_ytd, opened_on, closed_on",
				   HO_NCOLS, HoldingRow, NULL);
}

/* the columns ReadContacts reads */
enum
{
	CO_PARTY = 1, CO_CHANNEL, CO_AT, CO_NCOLS = CO_AT
};

/* one row of contact */
static void
ContactRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	ScoreContacts *c;
	int32		idx;
	TimestampTz at;

	at = DatumGetTimestampTz(slot->tts_values[CO_AT - 1]);
	if (at >= run->m.day_end)
		return;
	idx = ScoreRunFindIndex(run, DatumGetInt64(slot->tts_values[CO_PARTY - 1]));
	if (idx < 0)
		return;
	c = &run->contacts[idx];
	if (!c->has_contact || at > c->last_contact)
		c->last_contact = at;
	c->has_contact = true;
	if (at >= run->m.year_start)
	{
		int			ch = SlotWord(slot, CO_CHANNEL, score_channel_names, SCORE_NCHANNELS);

		c->contacts++;
		if (ch >= 0)
			c->cost += run->m.channel_cost[ch];
	}
}

/*
 * ReadContacts
 *		Contacts before the end of as_of: the last one, and the number and
 *		cost of those in the 365 days before.
 */
static void
ReadContacts(ScoreRun *run)
{
	run->contacts = ScoreAlloc(sizeof(ScoreContacts) * Max(run->nparties, 1));
	ScoreReadTable(run, "contact", false, "party_id, channel, occurred_at", CO_NCOLS, ContactRow, NULL);
}

/* the columns ReadActivity reads */
enum
{
	AC_PARTY = 1, AC_WEEK, AC_COUNT, AC_NCOLS = AC_COUNT
};

/* one row of activity_weekly */
static void
ActivityRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	ScoreActivity *a;
	int32		idx;
	DateADT		week;
	int32		n;

	week = DatumGetDateADT(slot->tts_values[AC_WEEK - 1]);
	if (week > run->as_of)
		return;
	idx = ScoreRunFindIndex(run, DatumGetInt64(slot->tts_values[AC_PARTY - 1]));
	if (idx < 0)
		return;
	a = &run->activity[idx];
	n = DatumGetInt32(slot->tts_values[AC_COUNT - 1]);
	if (week > run->as_of - 364)
		a->txns += n;
	if (n > 0 && week > a->last_week)
		a->last_week = week;
}

/*
 * ReadActivity
 *		Weeks up to as_of: transactions in the 52 weeks before, and the last
 *		week with any.
 */
static void
ReadActivity(ScoreRun *run)
{
	uint32		i;

	run->activity = ScoreAlloc(sizeof(ScoreActivity) * Max(run->nparties, 1));
	for (i = 0; i < run->nparties; i++)
		run->activity[i].last_week = NO_DATE;
	ScoreReadTable(run, "activity_weekly", false, "party_id, week, txn_count", AC_NCOLS, ActivityRow, NULL);
}

/* one row of party_retention */
static void
RetentionRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	ScoreParty *p = ScoreRunFindParty(run, DatumGetInt64(slot->tts_values[0]));

	if (p != NULL && !slot->tts_isnull[1])
		p->own_retention = DatumGetFloat8(slot->tts_values[1]);
}

/*
 * ReadRetention
 *		Each party's own retention estimate (party_retention).
 */
static void
ReadRetention(ScoreRun *run)
{
	ScoreReadTable(run, "party_retention", false, "party_id, retention", 2, RetentionRow, NULL);
}

/* a ReadTableRow callback: the party's household or corporate group */
static void
GroupRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	ScoreParty *p = ScoreRunFindParty(run, DatumGetInt64(slot->tts_values[0]));

	if (p != NULL)
		p->group_id = DatumGetInt64(slot->tts_values[1]);
}

/*
 * ReadGroups
 *		Each party's relationship group, for a model that tiers by group.
 */
static void
ReadGroups(ScoreRun *run)
{
	if (run->m.tier_by_group)
		ScoreReadTable(run, "relationship_group", false, "party_id, group_id", 2, GroupRow, NULL);
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

/* the columns ReadHistory reads */
enum
{
	HI_PARTY = 1, HI_DAY, HI_CONTRIBUTION, HI_VALUE_SCORE, HI_VALUE_TIER, HI_WEALTH_TIER,
	HI_RFM_R, HI_RFM_F, HI_RFM_M, HI_CLV, HI_AUM, HI_NCOLS = HI_AUM
};

/* the days that bound the growth reference */
typedef struct HistoryRead
{
	DateADT		old_day;
	DateADT		young_day;
} HistoryRead;

/* one row of the model's score_history */
static void
HistoryRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	HistoryRead *hr = (HistoryRead *) arg;
	Datum	   *v = slot->tts_values;
	bool	   *n = slot->tts_isnull;
	ScoreParty *p;
	DateADT		day;
	bool		isnull = false;

	day = DatumGetDateADT(v[HI_DAY - 1]);
	if (day > run->as_of)
		return;
	p = ScoreRunFindParty(run, DatumGetInt64(v[HI_PARTY - 1]));
	if (p == NULL)
		return;

	if (day <= hr->young_day && !n[HI_CONTRIBUTION - 1])
	{
		int64		c = SlotCents(slot, HI_CONTRIBUTION, "contribution", &isnull);

		if (day <= hr->old_day && (p->ref_old_day == NO_DATE || day > p->ref_old_day))
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
		r->contribution = SlotCents(slot, HI_CONTRIBUTION, "contribution", &isnull);
		r->clv = SlotCents(slot, HI_CLV, "clv", &isnull);
		r->aum = SlotCents(slot, HI_AUM, "aum", &isnull);
		r->value_score = n[HI_VALUE_SCORE - 1] ? -1 : DatumGetInt32(v[HI_VALUE_SCORE - 1]);
		r->value_tier = SlotTier(slot, HI_VALUE_TIER, score_value_tier_names, SCORE_NVALUE_TIERS);
		r->wealth_tier = SlotTier(slot, HI_WEALTH_TIER, score_wealth_tier_names, SCORE_NWEALTH_TIERS);
		r->rfm[0] = n[HI_RFM_R - 1] ? -1 : DatumGetInt16(v[HI_RFM_R - 1]);
		r->rfm[1] = n[HI_RFM_F - 1] ? -1 : DatumGetInt16(v[HI_RFM_F - 1]);
		r->rfm[2] = n[HI_RFM_M - 1] ? -1 : DatumGetInt16(v[HI_RFM_M - 1]);
		r->nulls = isnull || n[HI_VALUE_SCORE - 1] || n[HI_VALUE_TIER - 1];
	}
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
	HistoryRead hr;

	hr.old_day = run->as_of - run->m.growth_window_days;
	hr.young_day = run->as_of - run->m.growth_min_days;
	ScoreReadTable(run, "score_history", true,
					   "party_id, scored_on, contribution, value_score, value_tier, wealth_tier, "
					   "rfm_r, rfm_f, rfm_m, clv, aum", HI_NCOLS, HistoryRow, &hr);
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

/* one row of the model's party_score: its value tier */
static void
StoredTierRow(ScoreRun *run, TupleTableSlot *slot, void *arg)
{
	int8	   *tiers = (int8 *) arg;
	ScoreParty *p = ScoreRunFindParty(run, DatumGetInt64(slot->tts_values[0]));

	if (p != NULL)
		tiers[p - run->parties] = SlotTier(slot, 2, score_value_tier_names, SCORE_NVALUE_TIERS);
}

/*
 * ScoreRunStoredTiers
 *		tiers[i] = the value tier party_score holds for party i under the
 *		run's model, -1 when it has no score.
 */
void
ScoreRunStoredTiers(ScoreRun *run, int8 *tiers)
{
	memset(tiers, -1, sizeof(int8) * run->nparties);
	ScoreReadTable(run, "party_score", true, "party_id, value_tier", 2, StoredTierRow, tiers);
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
	ReadGroups(run);
	ProgressPhase("scoring the parties", run->nparties);
	ScoreComputeParties(run);
	ScoreComputeQuintiles(run);
}

/*
 * ScoreRunInit
 *		Set up a run in the extension's schema, its arrays in the current
 *		memory context; as_of must not be NULL.  search_path stays pinned
 *		until ScoreRunEnd.
 */
void
ScoreRunInit(ScoreRun *run, FunctionCallInfo fcinfo)
{
	memset(run, 0, sizeof(ScoreRun));
	run->nsp = BankcrmSchemaOid(false);
	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be null")));
	if (DATE_NOT_FINITE(PG_GETARG_DATEADT(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite date")));
	run->as_of = PG_GETARG_DATEADT(1);
	run->cxt = CurrentMemoryContext;
	ScoreRunPinPath(run);
}

/* numeric of cents */
Datum
ScoreCentsDatum(int64 cents)
{
	return NumericGetDatum(int64_div_fast_to_numeric(cents, 2));
}
