/*-------------------------------------------------------------------------
 *
 * model.c
 *	  The scoring engine's model: one score_model row read and checked once
 *	  per run, with the products' transfer prices, the channel costs and the
 *	  retention table resolved to arrays.
 *
 * Layer: storage (src/score/).  Reads the model through SPI; calls score.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "score/model.h"

/* the channels of contact.channel (21_business.sql) */
const char *const score_channel_names[SCORE_NCHANNELS] = {
	"branch", "phone_in", "phone_out", "web", "mobile", "email", "letter",
	"fax", "visit", "event", "sms"
};

/* a float8 column of the model row (SPI), never NULL */
static double
ModelFloat8(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0.0 : DatumGetFloat8(d);
}

static int32
ModelInt32(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

/* a float8[] column of the model row, into out[] */
static int
ModelFloat8Array(int col, double *out, int max)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (isnull)
		return 0;
	a = DatumGetArrayTypeP(d);
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	for (i = 0; i < n && i < max; i++)
		out[i] = nulls[i] ? get_float8_nan() : DatumGetFloat8(elems[i]);
	return n;
}

/*
 * LoadModel
 *		Read the model row, the products' transfer prices, the channel
 *		costs and the retention table, and check every parameter once;
 *		what is kept lives in runcxt (the caller's, not SPI's).
 */
static void
LoadModel(ScoreRun *run, const char *model, MemoryContext runcxt)
{
	ScoreModel *m = &run->m;
	const char *nspname = quote_identifier(get_namespace_name(run->nsp));
	StringInfoData q;
	Oid			argtypes[2] = {TEXTOID, DATEOID};
	Datum		args[2];
	double		w[VS_NWEIGHTS + 1];
	double		s[VS_NSCALES + 1];
	bool		isnull;
	int			n;
	uint64		i;
	int			k;
	int			t;

	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT sm.model, sm.pd, sm.lgd, %s.notch(sm.unrated_rating), sm.fee_min_days, "
					 "sm.value_weights, sm.value_scales, sm.potential, sm.growth_floor, "
					 "sm.growth_window_days, sm.growth_min_days, sm.value_tier_basis OPERATOR(pg_catalog.=) 'value_score', "
					 "sm.key_min, sm.general_min, sm.affluent_min, sm.hnw_min, sm.uhnw_min, "
					 "sm.retention_default, sm.discount_rate, sm.clv_years, sm.time_zone, "
					 "(($2 OPERATOR(pg_catalog.-) 365)::timestamp AT TIME ZONE sm.time_zone), "
					 "(($2 OPERATOR(pg_catalog.+) 1)::timestamp AT TIME ZONE sm.time_zone), "
					 "pg_catalog.make_date(pg_catalog.date_part('year', $2)::integer, 1, 1), "
					 "sm.affinity_min_parties, sm.history_tolerance, sm.history_score_tolerance, sm.version, "
					 /* a column of 0.2.0: read by name, false until ALTER EXTENSION UPDATE adds it */
					 "COALESCE((pg_catalog.to_jsonb(sm) OPERATOR(pg_catalog.->>) 'tier_by_group')::boolean, false) "
					 "FROM %s.score_model sm WHERE sm.model OPERATOR(pg_catalog.=) COALESCE($1, "
					 "(SELECT d.model FROM %s.score_model d WHERE d.is_default))",
					 nspname, nspname, nspname);
	args[0] = model ? CStringGetTextDatum(model) : (Datum) 0;
	args[1] = DateADTGetDatum(run->as_of);
	if (SPI_execute_with_args(q.data, 2, argtypes, args, model ? "  " : "n ", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the scoring model");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("score model \"%s\" does not exist", model ? model : "(default)"),
				 errhint("Name a model of bankcrm.score_model, or mark one as the default.")));

	m->name = MemoryContextStrdup(runcxt, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	n = ModelFloat8Array(2, m->pd, SCORE_NOTCHES);
	ScoreCheckPd(m->pd, n);
	m->lgd = ModelFloat8(3);
	ScoreCheckLgd(m->lgd);
	m->unrated_notch = ModelInt32(4);
	m->fee_min_days = ModelInt32(5);
	n = ModelFloat8Array(6, w, VS_NWEIGHTS + 1);
	ScoreValueWeights(&m->vsp, w, n);
	n = ModelFloat8Array(7, s, VS_NSCALES + 1);
	ScoreValueScales(&m->vsp, s, n);
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 8, &isnull);
		MemoryContext old = MemoryContextSwitchTo(runcxt);

		ScoreParsePotential(DatumGetJsonbP(d), &m->pot);
		MemoryContextSwitchTo(old);
	}
	m->growth_floor = ModelFloat8(9);
	m->growth_window_days = ModelInt32(10);
	m->growth_min_days = ModelInt32(11);
	m->tier_on_score = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 12, &isnull));
	m->key_min = ModelFloat8(13);
	m->general_min = ModelFloat8(14);
	ScoreCheckValueCutoffs(m->key_min, m->general_min);
	m->affluent_min = ModelFloat8(15);
	m->hnw_min = ModelFloat8(16);
	m->uhnw_min = ModelFloat8(17);
	ScoreCheckWealthCutoffs(m->affluent_min, m->hnw_min, m->uhnw_min);
	m->retention_default = ModelFloat8(18);
	m->discount_rate = ModelFloat8(19);
	m->clv_years = ModelInt32(20);
	ScoreCheckClvParams(m->retention_default, m->discount_rate, m->clv_years);
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 21, &isnull);
		MemoryContext old = MemoryContextSwitchTo(runcxt);

		m->time_zone = DatumGetTextPCopy(d);
		MemoryContextSwitchTo(old);
		/*
		 * A region name (Asia/Shanghai) is never an abbreviation, so it means
		 * the same zone to pg_tzset() as to AT TIME ZONE; other names keep
		 * the AT TIME ZONE path.
		 */
		m->tz = NULL;
		if (strchr(text_to_cstring(m->time_zone), '/') != NULL)
			m->tz = pg_tzset(text_to_cstring(m->time_zone));
	}
	m->year_start = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 22, &isnull));
	m->day_end = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 23, &isnull));
	m->jan1 = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 24, &isnull));
	m->affinity_min = ModelInt32(25);
	m->history_tolerance = ModelFloat8(26);
	m->history_score_tolerance = ModelInt32(27);
	m->version = ModelInt32(28);
	m->tier_by_group = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 29, &isnull));

	/* products: transfer price (to 10 decimals) and side of the balance sheet */
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT pr.product_id, pg_catalog.round((sm.ftp OPERATOR(pg_catalog.->>) pr.category)::numeric OPERATOR(pg_catalog.*) 1e%d)::int8, "
					 "pr.category OPERATOR(pg_catalog.=) ANY (sm.asset_categories), pr.category OPERATOR(pg_catalog.=) ANY (sm.aum_categories) "
					 "FROM %s.product pr, %s.score_model sm WHERE sm.model OPERATOR(pg_catalog.=) $1 ORDER BY pr.product_id",
					 SCALE_FTP, nspname, nspname);
	args[0] = CStringGetTextDatum(m->name);
	if (SPI_execute_with_args(q.data, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the products");
	m->nproducts = (int) SPI_processed;
	m->product_ids = MemoryContextAlloc(runcxt, sizeof(int32) * (m->nproducts + 1));
	m->products = MemoryContextAllocZero(runcxt, sizeof(ScoreProduct) * (m->nproducts + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		noftp;
		Datum		ftp = SPI_getbinval(tup, desc, 2, &noftp);

		m->product_ids[i] = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		m->products[i].priced = !noftp;
		m->products[i].ftp = noftp ? 0 : DatumGetInt64(ftp);
		m->products[i].is_asset = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		m->products[i].is_aum = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
	}

	/* channel costs, to 6 decimals; a channel not listed costs nothing */
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT e.key, pg_catalog.round(e.value::numeric OPERATOR(pg_catalog.*) 1e%d)::int8 "
					 "FROM %s.score_model sm, pg_catalog.jsonb_each_text(sm.channel_cost) e WHERE sm.model OPERATOR(pg_catalog.=) $1",
					 SCALE_COST, nspname);
	if (SPI_execute_with_args(q.data, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the channel costs");
	memset(m->channel_cost, 0, sizeof(m->channel_cost));
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *ch = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		Datum		c = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);

		k = ScoreVocabIndex(ch, strlen(ch), score_channel_names, SCORE_NCHANNELS);
		if (k >= 0 && !isnull)
			m->channel_cost[k] = DatumGetInt64(c);
	}

	/* the retention table: kind -> value tier -> yearly retention */
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT k.i, t.i, CASE WHEN pg_catalog.jsonb_typeof(sm.retention OPERATOR(pg_catalog.->) k.w) OPERATOR(pg_catalog.=) 'object' "
					 "THEN (sm.retention OPERATOR(pg_catalog.->) k.w OPERATOR(pg_catalog.->>) t.w)::float8 END "
					 "FROM %s.score_model sm, "
					 "pg_catalog.unnest($2::text[]) WITH ORDINALITY k(w, i), "
					 "pg_catalog.unnest('{key,general,scattered}'::text[]) WITH ORDINALITY t(w, i) "
					 "WHERE sm.model OPERATOR(pg_catalog.=) $1",
					 nspname);
	/* the kinds in the order of their codes (bankcrm.h) */
	{
		Datum		kinds[SCORE_NKINDS];

		for (k = 0; k < SCORE_NKINDS; k++)
			kinds[k] = CStringGetTextDatum(bankcrm_party_kinds[k]);
		argtypes[1] = TEXTARRAYOID;
		args[1] = PointerGetDatum(construct_array(kinds, SCORE_NKINDS, TEXTOID, -1, false, TYPALIGN_INT));
	}
	if (SPI_execute_with_args(q.data, 2, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the retention table");
	for (k = 0; k < SCORE_NKINDS; k++)
		for (t = 0; t < SCORE_NVALUE_TIERS; t++)
			m->retention[k][t] = get_float8_nan();
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		int			ki = (int) DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)) - 1;
		int			ti = (int) DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull)) - 1;
		Datum		r = SPI_getbinval(tup, desc, 3, &isnull);

		if (!isnull)
			m->retention[ki][ti] = DatumGetFloat8(r);
	}
}

/*
 * ScoreRunModel
 *		Read the model (the default one when model is NULL).
 */
void
ScoreRunModel(ScoreRun *run, const char *model)
{
	MemoryContext runcxt = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LoadModel(run, model, runcxt);
	SPI_finish();
}

