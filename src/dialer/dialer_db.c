/*-------------------------------------------------------------------------
 *
 * dialer_db.c
 *	  The dialer worker's database side: taking over at start, reading the
 *	  pbx row, claiming due attempts, recording outcomes and writing
 *	  dialer_state.
 *
 * Every function here runs one short transaction of its own, in the shape
 * of worker_spi.c: StartTransactionCommand, SPI_connect, a snapshot, then
 * SPI_execute_with_args with parameters, then commit and back to the loop
 * context.  None is ever open while the worker waits on the socket.  Errors
 * inside a transaction are caught, logged as a WARNING and the transaction
 * aborted (dialer_recover), so a database hiccup never ends the worker:
 * failed claims and failed outcome writes are retried a second later, and
 * the finished attempts are kept in memory until they are written.
 *
 * bankcrm.dialer_claim() takes due attempts FOR UPDATE SKIP LOCKED, checks
 * them at the moment of dialing and marks them "dialing"; that transaction
 * commits before any Originate for them is written.  bankcrm.dialer_finish()
 * writes the contact rows, fires the lead events and queues retries for a
 * batch of finished attempts.
 *
 * At start the worker takes the session advisory lock (DIALER_LOCK_KEY,
 * pbx_id) that makes it the only worker of its PBX in the database, and
 * loads the attempts a previous worker left "dialing", to be reconciled
 * after login.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/dialer_db.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "ami.h"
#include "bgw.h"
#include "dialer_db.h"
#include "settings.h"

/* session advisory lock (key1, pbx_id) held by the worker of a PBX; see dialer_pid() */
#define DIALER_LOCK_KEY		1684630898

/* ------------------------------------------------------------------------
 * transactions
 * ------------------------------------------------------------------------
 */

/* a transaction with SPI (src/bgw.c, shared with the churn monitor) */
static void
dialer_begin(const char *what)
{
	BgwBegin(what, true);
}

static void
dialer_commit(DialerWorker *w)
{
	BgwCommit(true);
	MemoryContextSwitchTo(w->loop_cxt);
}

/* after an ERROR inside dialer_begin/commit: log it and go on */
static void
dialer_recover(DialerWorker *w, MemoryContext cxt, const char *what)
{
	ErrorData  *edata;

	edata = BgwRecover(cxt);
	MemoryContextSwitchTo(w->loop_cxt);
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("dialer for PBX %d could not %s: %s", w->pbx_id, what, edata->message)));
	FreeErrorData(edata);
}

/*
 * write dialer_state; caller is inside dialer_begin.  last_error is the
 * worker's own: set by every failure, cleared by a successful login, so a
 * connected dialer never shows a stale error.
 */
static void
dialer_write_state(DialerWorker *w, const char *state)
{
	Oid			argtypes[7] = {INT4OID, INT4OID, TEXTOID, TIMESTAMPTZOID, TEXTOID, INT4OID, TIMESTAMPTZOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int32GetDatum(w->pbx_id);
	values[1] = Int32GetDatum(MyProcPid);
	values[2] = CStringGetTextDatum(state);
	values[3] = TimestampTzGetDatum(w->connected_since);
	if (w->connected_since == 0)
		nulls[3] = 'n';
	values[4] = CStringGetTextDatum(w->last_error);
	if (w->last_error[0] == '\0')
		nulls[4] = 'n';
	values[5] = Int32GetDatum(w->reconnects);
	/* the time as a parameter: Citus takes no now() in ON CONFLICT DO UPDATE */
	values[6] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	if (SPI_execute_with_args(
							  "INSERT INTO bankcrm.dialer_state AS s (pbx_id, pid, state, started_at, connected_since, last_error, last_error_at, reconnects, updated_at) "
							  "VALUES ($1, $2, $3, $7, $4, $5, CASE WHEN $5 IS NOT NULL THEN $7 END, $6, $7) "
							  "ON CONFLICT (pbx_id) DO UPDATE SET pid = $2, state = $3, connected_since = $4, "
							  "last_error = $5, "
							  "last_error_at = CASE WHEN $5 IS NULL THEN NULL WHEN $5 IS DISTINCT FROM s.last_error THEN $7 ELSE s.last_error_at END, "
							  "reconnects = $6, updated_at = $7",
							  7, argtypes, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write dialer_state");
}

static const char *
dialer_state_name(DialerConnState s)
{
	switch (s)
	{
		case DIALER_DISCONNECTED:
		case DIALER_CONNECTING:
		case DIALER_GREETING:
			return "connecting";
		case DIALER_CHALLENGE_SENT:
		case DIALER_LOGIN_SENT:
			return "login";
		case DIALER_READY:
			return "ready";
		case DIALER_BACKOFF:
			return "backoff";
	}
	return "connecting";
}

/*
 * DialerReportState
 *		Record the connection state in dialer_state, if it changed since the
 *		last time.
 */
void
DialerReportState(DialerWorker *w)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (!w->status_dirty)
		return;
	w->status_dirty = false;
	PG_TRY();
	{
		dialer_begin("bankcrm dialer: state");
		dialer_write_state(w, dialer_state_name(w->state));
		dialer_commit(w);
	}
	PG_CATCH();
	{
		dialer_recover(w, cxt, "record its state");
	}
	PG_END_TRY();
}

/* read the pbx row; false if it is gone */
static bool
dialer_load_pbx(DialerWorker *w, DialerPbx *pbx)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(w->pbx_id)};
	bool		found = false;

	if (SPI_execute_with_args("SELECT name, host, port, username, secret, max_channels, max_cps FROM bankcrm.pbx WHERE pbx_id OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the pbx row");
	if (SPI_processed == 1)
	{
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;

		memset(pbx, 0, sizeof(*pbx));
		strlcpy(pbx->name, SPI_getvalue(t, d, 1), sizeof(pbx->name));
		strlcpy(pbx->host, SPI_getvalue(t, d, 2), sizeof(pbx->host));
		pbx->port = DatumGetInt32(SPI_getbinval(t, d, 3, &isnull));
		strlcpy(pbx->username, SPI_getvalue(t, d, 4), sizeof(pbx->username));
		strlcpy(pbx->secret, SPI_getvalue(t, d, 5), sizeof(pbx->secret));
		pbx->max_channels = DatumGetInt32(SPI_getbinval(t, d, 6, &isnull));
		pbx->max_cps = DatumGetFloat8(SPI_getbinval(t, d, 7, &isnull));
		found = true;
	}
	return found;
}

/* attempts a previous worker left dialing: track them until reconciled */
static void
dialer_load_inflight(DialerWorker *w)
{
	Oid			argtypes[2] = {INT4OID, INT4OID};
	Datum		values[2] = {Int32GetDatum(w->pbx_id), Int32GetDatum(bankcrm_dialer_call_timeout)};
	uint64		i;

	if (SPI_execute_with_args("SELECT a.attempt_id, a.dialed_at OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => "
							  "(s.dial_timeout_ms::pg_catalog.numeric OPERATOR(pg_catalog./) 1000.0) OPERATOR(pg_catalog.+) $2::pg_catalog.numeric), "
							  "a.sent_at "
							  "FROM bankcrm.call_attempt a JOIN bankcrm.dial_settings s ON s.campaign_id OPERATOR(pg_catalog.=) a.campaign_id "
							  "WHERE a.pbx_id OPERATOR(pg_catalog.=) $1 AND a.state OPERATOR(pg_catalog.=) 'dialing'",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the attempts in flight");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		TimestampTz deadline = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		Datum		sent = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull);
		bool		found;
		DialerCall *c = hash_search(w->calls, &id, HASH_ENTER, &found);

		if (!found)
		{
			memset(((char *) c) + sizeof(int64), 0, sizeof(DialerCall) - sizeof(int64));
			c->reason = -1;
			c->cause = -1;
			c->deadline = deadline;
			c->reconcile = true;
			/* recorded by the worker that sent it (DialerRecordSent) */
			c->sent_at = isnull ? 0 : DatumGetTimestampTz(sent);
		}
	}
	if (SPI_processed > 0)
		ereport(LOG,
				(errmsg("dialer for PBX %d found %d attempts left in flight", w->pbx_id, (int) SPI_processed),
				 errdetail("They are reconciled with the PBX's channels after login and never dialed again.")));
}

/*
 * DialerFlush
 *		Write up to DIALER_FINISH_BATCH finished attempts with
 *		bankcrm.dialer_finish(); on an error keep them and try again in a
 *		second.  True when what it wrote freed an agent of a campaign queue
 *		(a predictive call an agent took: the agent is ready or in wrap-up).
 */
bool
DialerFlush(DialerWorker *w)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			n = w->ndone < DIALER_FINISH_BATCH ? w->ndone : DIALER_FINISH_BATCH;
	volatile bool freed = false;

	if (n == 0 || GetCurrentTimestamp() < w->next_flush)
		return false;
	PG_TRY();
	{
		Datum	   *ids = palloc(sizeof(Datum) * n);
		Datum	   *outs = palloc(sizeof(Datum) * n);
		Datum	   *reasons = palloc(sizeof(Datum) * n);
		Datum	   *statuses = palloc(sizeof(Datum) * n);
		Datum	   *causes = palloc(sizeof(Datum) * n);
		Datum	   *sents = palloc(sizeof(Datum) * n);
		Datum	   *answers = palloc(sizeof(Datum) * n);
		Datum	   *ends = palloc(sizeof(Datum) * n);
		Datum	   *details = palloc(sizeof(Datum) * n);
		bool	   *nreason = palloc(sizeof(bool) * n);
		bool	   *nstatus = palloc(sizeof(bool) * n);
		bool	   *ncause = palloc(sizeof(bool) * n);
		bool	   *nsent = palloc(sizeof(bool) * n);
		bool	   *nanswer = palloc(sizeof(bool) * n);
		bool	   *ndetail = palloc(sizeof(bool) * n);
		bool	   *nnone = palloc0(sizeof(bool) * n);
		Datum	   *staffs = palloc(sizeof(Datum) * n);
		Datum	   *amds = palloc(sizeof(Datum) * n);
		Datum	   *amd_causes = palloc(sizeof(Datum) * n);
		Datum	   *connects = palloc(sizeof(Datum) * n);
		bool	   *nstaff = palloc(sizeof(bool) * n);
		bool	   *namd = palloc(sizeof(bool) * n);
		bool	   *namd_cause = palloc(sizeof(bool) * n);
		bool	   *nconnect = palloc(sizeof(bool) * n);
		int			dims[1] = {n};
		int			lbs[1] = {1};
		Oid			argtypes[13] = {INT8ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID,
			TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID,
		INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID};
		Datum		values[13];
		int			i;

		for (i = 0; i < n; i++)
		{
			DialerDone *d = &w->done[i];

			ids[i] = Int64GetDatum(d->attempt_id);
			outs[i] = CStringGetTextDatum(d->not_placed ? "not_placed" : AmiOutcomeName(d->outcome));
			reasons[i] = Int32GetDatum(d->reason);
			nreason[i] = d->reason < 0;
			statuses[i] = CStringGetTextDatum(d->dial_status);
			nstatus[i] = d->dial_status[0] == '\0';
			causes[i] = Int32GetDatum(d->cause);
			ncause[i] = d->cause < 0;
			sents[i] = TimestampTzGetDatum(d->sent_at);
			nsent[i] = d->sent_at == 0;
			answers[i] = TimestampTzGetDatum(d->answered_at);
			nanswer[i] = d->answered_at == 0;
			ends[i] = TimestampTzGetDatum(d->ended_at);
			details[i] = CStringGetTextDatum(d->detail);
			ndetail[i] = d->detail[0] == '\0';
			staffs[i] = Int32GetDatum(d->staff_id);
			nstaff[i] = d->staff_id == 0;
			amds[i] = CStringGetTextDatum(d->amd_status);
			namd[i] = d->amd_status[0] == '\0';
			amd_causes[i] = CStringGetTextDatum(d->amd_cause);
			namd_cause[i] = d->amd_cause[0] == '\0';
			connects[i] = TimestampTzGetDatum(d->connected_at);
			nconnect[i] = d->connected_at == 0;
		}
		dialer_begin("bankcrm dialer: record outcomes");
		values[0] = PointerGetDatum(construct_md_array(ids, nnone, 1, dims, lbs, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[1] = PointerGetDatum(construct_md_array(outs, nnone, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
		values[2] = PointerGetDatum(construct_md_array(reasons, nreason, 1, dims, lbs, INT4OID, 4, true, TYPALIGN_INT));
		values[3] = PointerGetDatum(construct_md_array(statuses, nstatus, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
		values[4] = PointerGetDatum(construct_md_array(causes, ncause, 1, dims, lbs, INT4OID, 4, true, TYPALIGN_INT));
		values[5] = PointerGetDatum(construct_md_array(sents, nsent, 1, dims, lbs, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[6] = PointerGetDatum(construct_md_array(answers, nanswer, 1, dims, lbs, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[7] = PointerGetDatum(construct_md_array(ends, nnone, 1, dims, lbs, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[8] = PointerGetDatum(construct_md_array(details, ndetail, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
		values[9] = PointerGetDatum(construct_md_array(staffs, nstaff, 1, dims, lbs, INT4OID, 4, true, TYPALIGN_INT));
		values[10] = PointerGetDatum(construct_md_array(amds, namd, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
		values[11] = PointerGetDatum(construct_md_array(amd_causes, namd_cause, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
		values[12] = PointerGetDatum(construct_md_array(connects, nconnect, 1, dims, lbs, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		if (SPI_execute_with_args("SELECT bankcrm.dialer_finish($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
								  13, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not record the outcomes");
		dialer_commit(w);
		for (i = 0; i < n; i++)
			if (w->done[i].staff_id != 0)
				freed = true;
		memmove(&w->done[0], &w->done[n], sizeof(DialerDone) * (w->ndone - n));
		w->ndone -= n;
		if (w->done_full && w->ndone < DIALER_DONE_MAX / 2)
		{
			w->done_full = false;
			ereport(LOG, (errmsg("dialer for PBX %d wrote the outcomes it held; it takes calls again", w->pbx_id)));
		}
	}
	PG_CATCH();
	{
		dialer_recover(w, cxt, "record call outcomes");
		/* keep them and try again in a second */
		w->next_flush = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
	}
	PG_END_TRY();
	return freed;
}

/* ------------------------------------------------------------------------
 * claiming and finishing attempts
 * ------------------------------------------------------------------------
 */

/*
 * DialerClaimAttempts
 *		Claim at most "budget" due attempts and commit them as dialing; fills
 *		cl (in the loop context).  On an error cl->n is 0 and the next poll
 *		waits a second.
 */
void
DialerClaimAttempts(DialerWorker *w, int budget, int npace, const int64 *campaigns, const int *allow,
					DialerClaim *cl)
{
	MemoryContext cxt = CurrentMemoryContext;

	cl->n = 0;
	PG_TRY();
	{
		Oid			argtypes[4] = {INT4OID, INT4OID, INT8ARRAYOID, INT4ARRAYOID};
		Datum		values[4] = {Int32GetDatum(w->pbx_id), Int32GetDatum(budget), (Datum) 0, (Datum) 0};
		char		nulls[4] = {' ', ' ', 'n', 'n'};
		int			n;
		int			i;

		if (npace > 0)
		{
			Datum	   *c = palloc(sizeof(Datum) * npace);
			Datum	   *a = palloc(sizeof(Datum) * npace);

			for (i = 0; i < npace; i++)
			{
				c[i] = Int64GetDatum(campaigns[i]);
				a[i] = Int32GetDatum(allow[i]);
			}
			values[2] = PointerGetDatum(construct_array(c, npace, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			values[3] = PointerGetDatum(construct_array(a, npace, INT4OID, 4, true, TYPALIGN_INT));
			nulls[2] = nulls[3] = ' ';
		}
		dialer_begin("bankcrm dialer: claim due attempts");
		if (SPI_execute_with_args("SELECT attempt_id, channel, context, exten, timeout_ms, caller_id, campaign_id, mode, variables "
								  "FROM bankcrm.dialer_claim($1, $2, $3, $4)",
								  4, argtypes, values, nulls, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not claim attempts");
		n = (int) SPI_processed;
		if (n > 0)
		{
			MemoryContext spi = MemoryContextSwitchTo(w->loop_cxt);

			cl->ids = palloc(sizeof(int64) * n);
			cl->channels = palloc(sizeof(char *) * n);
			cl->contexts = palloc(sizeof(char *) * n);
			cl->extens = palloc(sizeof(char *) * n);
			cl->timeouts = palloc(sizeof(int) * n);
			cl->callerids = palloc(sizeof(char *) * n);
			cl->campaign_ids = palloc(sizeof(int64) * n);
			cl->predictive = palloc(sizeof(bool) * n);
			cl->variables = palloc(sizeof(char *) * n);
			for (i = 0; i < n; i++)
			{
				HeapTuple	t = SPI_tuptable->vals[i];
				TupleDesc	d = SPI_tuptable->tupdesc;
				bool		isnull;
				char	   *v;

				cl->ids[i] = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
				v = SPI_getvalue(t, d, 2);
				cl->channels[i] = v ? pstrdup(v) : NULL;
				v = SPI_getvalue(t, d, 3);
				cl->contexts[i] = v ? pstrdup(v) : NULL;
				v = SPI_getvalue(t, d, 4);
				cl->extens[i] = v ? pstrdup(v) : NULL;
				cl->timeouts[i] = DatumGetInt32(SPI_getbinval(t, d, 5, &isnull));
				v = SPI_getvalue(t, d, 6);
				cl->callerids[i] = v ? pstrdup(v) : NULL;
				cl->campaign_ids[i] = DatumGetInt64(SPI_getbinval(t, d, 7, &isnull));
				v = SPI_getvalue(t, d, 8);
				cl->predictive[i] = v != NULL && strcmp(v, "predictive") == 0;
				v = SPI_getvalue(t, d, 9);
				cl->variables[i] = v ? pstrdup(v) : NULL;
			}
			MemoryContextSwitchTo(spi);
		}
		/* the attempts are "dialing" in the database before any Originate leaves */
		dialer_commit(w);
		cl->n = n;
	}
	PG_CATCH();
	{
		dialer_recover(w, cxt, "claim due attempts");
		cl->n = 0;
		/* do not repeat a failing query ten times a second */
		w->next_poll = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
	}
	PG_END_TRY();
}

/*
 * DialerRecordSent
 *		Record when the Originates of just-claimed attempts were written, in
 *		a short transaction of its own: a worker that dies before their
 *		outcomes are written leaves its successor the moment each call
 *		started, so ring and talk times are still known.  On an error the
 *		moment stays in memory and is written with the outcome.
 */
void
DialerRecordSent(DialerWorker *w, const int64 *ids, int n, TimestampTz sent_at)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		Datum	   *d = palloc(sizeof(Datum) * n);
		Oid			argtypes[2] = {INT8ARRAYOID, TIMESTAMPTZOID};
		Datum		values[2];
		int			i;

		for (i = 0; i < n; i++)
			d[i] = Int64GetDatum(ids[i]);
		dialer_begin("bankcrm dialer: record sent");
		values[0] = PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[1] = TimestampTzGetDatum(sent_at);
		if (SPI_execute_with_args("UPDATE bankcrm.call_attempt SET sent_at = $2 "
								  "WHERE attempt_id OPERATOR(pg_catalog.=) ANY ($1) "
								  "AND state OPERATOR(pg_catalog.=) 'dialing' AND sent_at IS NULL",
								  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not record when the Originates were sent");
		dialer_commit(w);
	}
	PG_CATCH();
	{
		dialer_recover(w, cxt, "record when its Originates were sent");
	}
	PG_END_TRY();
}

/*
 * DialerRecordConnects
 *		Predictive mode: record the calls an agent of the queue took since
 *		the last time (bankcrm.dialer_connect: the attempt's staff_id and
 *		connected_at, the agent on_call), in a short transaction of its own.
 *		On an error they are tried again on the next turn of the loop; the
 *		outcome carries the agent in any case.
 */
void
DialerRecordConnects(DialerWorker *w)
{
	MemoryContext cxt = CurrentMemoryContext;
	HASH_SEQ_STATUS seq;
	DialerCall *c;
	int64	   *ids;
	int			n = 0;
	int			cap = 16;

	/* nothing to write: no scan of the calls in flight */
	if (w->connects_pending == 0)
		return;
	ids = palloc(sizeof(int64) * cap);
	hash_seq_init(&seq, w->calls);
	while ((c = hash_seq_search(&seq)) != NULL)
	{
		if (c->staff_id == 0 || c->connect_recorded)
			continue;
		if (n >= cap)
		{
			cap *= 2;
			ids = repalloc(ids, sizeof(int64) * cap);
		}
		ids[n++] = c->attempt_id;
	}
	if (n == 0)
	{
		w->connects_pending = 0;
		return;
	}
	PG_TRY();
	{
		Datum	   *a = palloc(sizeof(Datum) * n);
		Datum	   *s = palloc(sizeof(Datum) * n);
		Datum	   *t = palloc(sizeof(Datum) * n);
		Oid			argtypes[3] = {INT8ARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID};
		Datum		values[3];
		int			i;

		for (i = 0; i < n; i++)
		{
			c = hash_search(w->calls, &ids[i], HASH_FIND, NULL);
			a[i] = Int64GetDatum(ids[i]);
			s[i] = Int32GetDatum(c->staff_id);
			t[i] = TimestampTzGetDatum(c->connected_at);
		}
		dialer_begin("bankcrm dialer: record connects");
		values[0] = PointerGetDatum(construct_array(a, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[1] = PointerGetDatum(construct_array(s, n, INT4OID, 4, true, TYPALIGN_INT));
		values[2] = PointerGetDatum(construct_array(t, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		if (SPI_execute_with_args("SELECT bankcrm.dialer_connect($1, $2, $3)",
								  3, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not record the connected calls");
		dialer_commit(w);
		for (i = 0; i < n; i++)
		{
			c = hash_search(w->calls, &ids[i], HASH_FIND, NULL);
			if (c)
			{
				c->connect_recorded = true;
				c->connect_recorded_at = GetCurrentTimestamp();
			}
		}
		w->connects_pending = 0;
	}
	PG_CATCH();
	{
		dialer_recover(w, cxt, "record the calls its agents took");
	}
	PG_END_TRY();
}

/* a float8[] column as a palloc'd array */
static double *
dialer_float8s(Datum d, int *n)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	double	   *out;
	int			i;

	deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, n);
	out = palloc(sizeof(double) * (*n + 1));
	for (i = 0; i < *n; i++)
		out[i] = nulls[i] ? 0.0 : DatumGetFloat8(elems[i]);
	return out;
}

/* a text[] column as a palloc'd array of C strings */
static char **
dialer_texts(Datum d, int *n)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;
	int			i;

	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * (*n + 1));
	for (i = 0; i < *n; i++)
		out[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
	return out;
}

/*
 * DialerReadPace
 *		Read what bankcrm.dialer_pacing() says of the PBX's predictive
 *		campaigns into w->pace (w->pace_cxt).  On an error the figures read
 *		last are kept.
 */
void
DialerReadPace(DialerWorker *w)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		Oid			argtypes[1] = {INT4OID};
		Datum		values[1] = {Int32GetDatum(w->pbx_id)};
		int			n;
		int			i;

		dialer_begin("bankcrm dialer: read pacing");
		if (SPI_execute_with_args("SELECT campaign_id, max_concurrent, ring_timeout_ms, agents_ready, busy_s, finished, "
								  "answer_rate, human_share, ring_mu, ring_sigma, handle_mu, handle_sigma, "
								  "live_day, abandoned_day, live_window, abandoned_window, member_names, member_interfaces, "
								  "wrapup_s, wrapup_left_s FROM bankcrm.dialer_pacing($1)",
								  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the pacing figures");
		n = (int) SPI_processed;
		{
			MemoryContext old;
			DialerPace *pace;

			w->pace = NULL;
			w->npace = 0;
			MemoryContextReset(w->pace_cxt);
			old = MemoryContextSwitchTo(w->pace_cxt);
			pace = palloc0(sizeof(DialerPace) * (n + 1));
			for (i = 0; i < n; i++)
			{
				HeapTuple	t = SPI_tuptable->vals[i];
				TupleDesc	d = SPI_tuptable->tupdesc;
				DialerPace *p = &pace[i];
				bool		isnull;
				int			nnames;

				p->campaign_id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
				p->max_concurrent = DatumGetInt32(SPI_getbinval(t, d, 2, &isnull));
				p->ring_timeout_ms = DatumGetInt32(SPI_getbinval(t, d, 3, &isnull));
				p->agents_ready = DatumGetInt32(SPI_getbinval(t, d, 4, &isnull));
				p->busy_s = dialer_float8s(SPI_getbinval(t, d, 5, &isnull), &p->nbusy);
				p->finished = DatumGetInt64(SPI_getbinval(t, d, 6, &isnull));
				p->answer_rate = DatumGetFloat8(SPI_getbinval(t, d, 7, &isnull));
				p->human_share = DatumGetFloat8(SPI_getbinval(t, d, 8, &isnull));
				p->ring.mu = DatumGetFloat8(SPI_getbinval(t, d, 9, &isnull));
				p->ring.sigma = DatumGetFloat8(SPI_getbinval(t, d, 10, &isnull));
				p->handle.mu = DatumGetFloat8(SPI_getbinval(t, d, 11, &isnull));
				p->handle.sigma = DatumGetFloat8(SPI_getbinval(t, d, 12, &isnull));
				p->live_day = DatumGetInt64(SPI_getbinval(t, d, 13, &isnull));
				p->abandoned_day = DatumGetInt64(SPI_getbinval(t, d, 14, &isnull));
				p->live_window = DatumGetInt64(SPI_getbinval(t, d, 15, &isnull));
				p->abandoned_window = DatumGetInt64(SPI_getbinval(t, d, 16, &isnull));
				p->member_names = dialer_texts(SPI_getbinval(t, d, 17, &isnull), &nnames);
				p->member_ifaces = dialer_texts(SPI_getbinval(t, d, 18, &isnull), &p->nmembers);
				if (nnames < p->nmembers)
					p->nmembers = nnames;
				p->wrapup_s = DatumGetFloat8(SPI_getbinval(t, d, 19, &isnull));
				p->wrapup_left_s = dialer_float8s(SPI_getbinval(t, d, 20, &isnull), &p->nwrapup);
			}
			MemoryContextSwitchTo(old);
			w->pace = pace;
			w->npace = n;
			w->pace_read_at = GetCurrentTimestamp();
		}
		dialer_commit(w);
	}
	PG_CATCH();
	{
		dialer_recover(w, cxt, "read its predictive campaigns");
	}
	PG_END_TRY();
}

/*
 * DialerReadPbx
 *		Reread the pbx row into *pbx: 1 if found, 0 if it was deleted, -1 if
 *		it could not be read (logged; the caller keeps what it has).
 */
int
DialerReadPbx(DialerWorker *w, DialerPbx *pbx)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile int found = -1;

	PG_TRY();
	{
		dialer_begin("bankcrm dialer: read pbx");
		found = dialer_load_pbx(w, pbx) ? 1 : 0;
		dialer_commit(w);
	}
	PG_CATCH();
	{
		dialer_recover(w, cxt, "read its PBX row");
	}
	PG_END_TRY();
	return found;
}

/*
 * DialerReportExit
 *		Record in dialer_state that the worker stopped.
 */
void
DialerReportExit(DialerWorker *w)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		dialer_begin("bankcrm dialer: stop");
		dialer_write_state(w, "exited");
		dialer_commit(w);
	}
	PG_CATCH();
	{
		dialer_recover(w, cxt, "record its state");
	}
	PG_END_TRY();
}

/*
 * DialerTakeOver
 *		At start: take the PBX's advisory lock, read the pbx row, record the
 *		state "starting" and track the attempts a previous worker left in
 *		flight, in one transaction.  False if another worker holds the lock;
 *		*have_pbx is false if the PBX does not exist.
 */
bool
DialerTakeOver(DialerWorker *w, bool *have_pbx)
{
	bool		locked = false;

	*have_pbx = false;
	dialer_begin("bankcrm dialer: start");
	if (!RecoveryInProgress() && !IsBinaryUpgrade && OidIsValid(get_extension_oid("bankcrm", true)))
	{
		Oid			argtypes[2] = {INT4OID, INT4OID};
		Datum		values[2] = {Int32GetDatum(DIALER_LOCK_KEY), Int32GetDatum(w->pbx_id)};
		bool		isnull;

		if (SPI_execute_with_args("SELECT pg_catalog.pg_try_advisory_lock($1, $2)", 2, argtypes, values, NULL, false, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
			locked = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (locked)
			*have_pbx = dialer_load_pbx(w, &w->pbx);
		if (locked && *have_pbx)
		{
			dialer_write_state(w, "starting");
			dialer_load_inflight(w);
		}
	}
	dialer_commit(w);
	return locked;
}
