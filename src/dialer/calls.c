/*-------------------------------------------------------------------------
 *
 * calls.c
 *	  The dialer's attempts in flight: matching the PBX's events to the
 *	  attempts, deciding their outcomes, reconciliation and timeouts.
 *
 * Every attempt the worker has sent (or took over from a previous worker)
 * is a DialerCall in a hash table keyed by attempt id.  Events find their
 * attempt by the ActionID (the attempt id) or by one of our channel ids,
 * "bankcrm-<database oid>-<attempt id>-a|b"; events of other channels are
 * ignored.  An attempt is finished when the OriginateResponse and the
 * customer leg's Hangup have both arrived, when the Originate was refused,
 * when its OriginateResponse reported a failure and no Hangup followed
 * within a grace period, or when it exceeded dial timeout +
 * bankcrm.dialer_call_timeout ("unknown").  A finished attempt moves to the
 * batch that dialer_db.c writes with bankcrm.dialer_finish().
 *
 * Reconciliation: after every login the worker sends CoreShowChannels.  An
 * attempt with no live channel on the PBX is finished with what is known of
 * it (the OriginateResponse Reason if it came, else "unknown"); one with a
 * live channel is left to its events.
 *
 * Nothing here touches the database or the socket, and nothing blocks; all
 * of it runs in the worker process, on the worker's own state.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/calls.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>

#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "ami.h"
#include "calls.h"
#include "dialer_db.h"
#include "outbox.h"
#include "predictive.h"
#include "settings.h"

/* a failed OriginateResponse waits this long for the customer leg's Hangup */
#define DIALER_HANGUP_GRACE_MS	3000

/* ------------------------------------------------------------------------
 * channel and action ids
 * ------------------------------------------------------------------------
 */

/*
 * DialerChannelId
 *		The channel id of leg 'a' (the agent side) or 'b' (the customer) of an
 *		attempt: "bankcrm-<database oid>-<attempt id>-<leg>".
 */
void
DialerChannelId(const DialerWorker *w, int64 attempt_id, char leg, char *buf, size_t len)
{
	snprintf(buf, len, "bankcrm-%u-" INT64_FORMAT "-%c", w->dboid, attempt_id, leg);
}

/* the attempt id and leg ('a' or 'b') of one of our channel ids; false if not ours */
static bool
dialer_parse_channel_id(const DialerWorker *w, const char *id, int64 *attempt_id, char *leg)
{
	char		prefix[32];
	size_t		plen;
	const char *p;
	int64		v = 0;

	if (id == NULL)
		return false;
	snprintf(prefix, sizeof(prefix), "bankcrm-%u-", w->dboid);
	plen = strlen(prefix);
	if (strncmp(id, prefix, plen) != 0)
		return false;
	p = id + plen;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
	{
		if (v > (PG_INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p++ - '0');
	}
	if (p[0] != '-' || (p[1] != 'a' && p[1] != 'b') || p[2] != '\0')
		return false;
	*attempt_id = v;
	*leg = p[1];
	return true;
}

/*
 * DialerParseActionId
 *		The attempt id an ActionID names (all digits), or 0.
 */
int64
DialerParseActionId(const char *id)
{
	int64		v = 0;

	if (id == NULL || *id == '\0')
		return 0;
	for (; *id; id++)
	{
		if (*id < '0' || *id > '9' || v > (PG_INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*id - '0');
	}
	return v;
}

/* a header's integer value, dflt if absent or not a plausible integer */
static int
dialer_int(const char *s, int dflt)
{
	char	   *end;
	long		v;

	if (s == NULL || *s == '\0')
		return dflt;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || v < -1000000 || v > 1000000)
		return dflt;
	return (int) v;
}

/* ------------------------------------------------------------------------
 * outcomes
 * ------------------------------------------------------------------------
 */

/*
 * dialer_done_push
 *		Move a call from the table to the batch that dialer_finish() will
 *		write (DialerFlush).  Nothing is ever dropped: the batch grows while
 *		the database does not take it, and once it holds DIALER_DONE_MAX
 *		outcomes the worker takes no new calls (done_full), so it grows by
 *		the calls in flight at most.
 */
static void
dialer_done_push(DialerWorker *w, DialerCall *c, AmiOutcome outcome, const char *detail,
				 bool not_placed, TimestampTz ended_at)
{
	DialerDone *d;
	bool		found;

	if (w->ndone >= w->done_cap)
	{
		w->done_cap *= 2;
		w->done = repalloc(w->done, sizeof(DialerDone) * w->done_cap);
	}
	if (w->ndone + 1 >= DIALER_DONE_MAX && !w->done_full)
	{
		w->done_full = true;
		ereport(WARNING,
				(errmsg("dialer for PBX %d holds %d outcomes the database has not taken; it takes no new calls until they are written",
						w->pbx_id, w->ndone + 1),
				 errhint("The outcomes are kept and written as soon as bankcrm.dialer_finish() succeeds again.")));
	}
	d = &w->done[w->ndone++];
	memset(d, 0, sizeof(*d));
	d->attempt_id = c->attempt_id;
	d->outcome = outcome;
	d->reason = c->reason;
	d->cause = c->cause;
	strlcpy(d->dial_status, c->dial_status, sizeof(d->dial_status));
	d->sent_at = c->sent_at;
	d->answered_at = c->answered_at;
	d->ended_at = ended_at;
	d->not_placed = not_placed;
	d->staff_id = c->staff_id;
	strlcpy(d->amd_status, c->amd_status, sizeof(d->amd_status));
	strlcpy(d->amd_cause, c->amd_cause, sizeof(d->amd_cause));
	d->connected_at = c->connected_at;
	if (detail)
		strlcpy(d->detail, detail, sizeof(d->detail));
	hash_search(w->calls, &c->attempt_id, HASH_REMOVE, &found);
}

/*
 * DialerFinishCall
 *		The call is over: its outcome goes to the batch to be written.
 */
void
DialerFinishCall(DialerWorker *w, DialerCall *c, AmiOutcome outcome, const char *detail)
{
	dialer_done_push(w, c, outcome, detail, false, GetCurrentTimestamp());
}

/*
 * DialerRequeueCall
 *		The PBX refused the Originate, so the call was never placed: the
 *		attempt goes back to the queue (dialer_finish with outcome
 *		"not_placed"), with no contact row, no lead event and no retry
 *		counted.
 */
void
DialerRequeueCall(DialerWorker *w, DialerCall *c, const char *detail)
{
	dialer_done_push(w, c, AMI_OUTCOME_UNKNOWN, detail, true, GetCurrentTimestamp());
}

/*
 * DialerPbxStopping
 *		The PBX said it is shutting down (its Shutdown event, or a refusal):
 *		send no Originate until the next login.
 */
void
DialerPbxStopping(DialerWorker *w, const char *why)
{
	if (w->pbx_stopping)
		return;
	w->pbx_stopping = true;
	snprintf(w->last_error, sizeof(w->last_error), "%s; no new calls until it is back", why);
	w->status_dirty = true;
	ereport(LOG,
			(errmsg("dialer for PBX %d: %s; no new calls until it is back", w->pbx_id, why)));
}

/* what the evidence gathered for a call says (predictive: with what the dialplan told) */
static AmiOutcome
dialer_resolve(const DialerCall *c)
{
	if (c->reason < 0 && c->cause < 0 && c->dial_status[0] == '\0')
		return AMI_OUTCOME_UNKNOWN;
	return DialerPredictiveOutcome(c, AmiOutcomeResolve(c->reason, c->dial_status[0] ? c->dial_status : NULL, c->cause));
}

/* finish the call if everything needed has arrived */
static void
dialer_maybe_finish(DialerWorker *w, DialerCall *c)
{
	if (c->got_response && c->got_hangup)
		DialerFinishCall(w, c, dialer_resolve(c), NULL);
	else if (c->got_response && c->reason != 4 && c->grace_until == 0)
		c->grace_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DIALER_HANGUP_GRACE_MS);
}

/*
 * DialerReconciled
 *		CoreShowChannelsComplete (or a failed CoreShowChannels): finish the
 *		calls being reconciled that the PBX no longer has.
 */
void
DialerReconciled(DialerWorker *w)
{
	HASH_SEQ_STATUS seq;
	DialerCall *c;
	int64	   *gone;
	int			ngone = 0;
	int			i;

	gone = palloc(sizeof(int64) * (hash_get_num_entries(w->calls) + 1));
	hash_seq_init(&seq, w->calls);
	while ((c = hash_seq_search(&seq)) != NULL)
	{
		if (!c->reconcile)
			continue;
		c->reconcile = false;
		if (!c->seen_live)
			gone[ngone++] = c->attempt_id;
		else
			c->lost_at = 0;		/* still up: its own events will end it */
	}
	for (i = 0; i < ngone; i++)
	{
		TimestampTz ended;

		c = hash_search(w->calls, &gone[i], HASH_FIND, NULL);
		if (c == NULL)
			continue;

		/*
		 * It ended while the link was down, at a moment nobody saw: no later
		 * than the drop (a crashed PBX took it with it), and never before
		 * what was seen of it
		 */
		ended = c->lost_at != 0 ? c->lost_at : GetCurrentTimestamp();
		if (c->answered_at != 0 && ended < c->answered_at)
			ended = c->answered_at;
		if (c->got_response || c->got_hangup || c->dial_status[0])
			dialer_done_push(w, c, dialer_resolve(c), "the call ended while the PBX link was down", false, ended);
		else
			dialer_done_push(w, c, AMI_OUTCOME_UNKNOWN,
							 "no trace of the call on the PBX after the link was lost", false, ended);
	}
	pfree(gone);
	w->reconciling = false;
	if (ngone > 0)
		ereport(LOG, (errmsg("dialer for PBX %d reconciled %d attempts that were in flight", w->pbx_id, ngone)));
}

/* ------------------------------------------------------------------------
 * events
 * ------------------------------------------------------------------------
 */

/* the call an event belongs to, by one of the channel-id headers */
static DialerCall *
dialer_event_call(DialerWorker *w, const AmiMessage *m, const char *key, char *leg)
{
	int64		id;

	if (!dialer_parse_channel_id(w, AmiMessageGet(m, key), &id, leg))
		return NULL;
	return hash_search(w->calls, &id, HASH_FIND, NULL);
}

/*
 * DialerOnEvent
 *		An AMI event: OriginateResponse, DialEnd and the customer leg's Hangup
 *		gather the evidence of a call; CoreShowChannel and
 *		CoreShowChannelsComplete drive the reconciliation.
 */
void
DialerOnEvent(DialerWorker *w, const AmiMessage *m)
{
	const char *ev = AmiMessageEvent(m);
	DialerCall *c;
	char		leg;

	if (ev == NULL)
		return;
	if (strcmp(ev, "OriginateResponse") == 0)
	{
		int64		id = DialerParseActionId(AmiMessageActionId(m));

		c = id > 0 ? hash_search(w->calls, &id, HASH_FIND, NULL) : NULL;
		if (c == NULL)
			c = dialer_event_call(w, m, "Uniqueid", &leg);
		if (c == NULL)
			return;
		c->got_response = true;
		c->reason = dialer_int(AmiMessageGet(m, "Reason"), 0);
		if (c->reason == 4 && c->answered_at == 0)
			c->answered_at = GetCurrentTimestamp();
		dialer_maybe_finish(w, c);
	}
	else if (strcmp(ev, "DialEnd") == 0)
	{
		const char *status = AmiMessageGet(m, "DialStatus");

		c = dialer_event_call(w, m, "DestLinkedid", &leg);
		if (c == NULL)
			c = dialer_event_call(w, m, "Linkedid", &leg);
		if (c == NULL || status == NULL)
			return;
		/* the customer's BUSY is not overwritten by the Local channel's NOANSWER */
		if (AmiDialStatusRank(status) < AmiDialStatusRank(c->dial_status))
			return;
		strlcpy(c->dial_status, status, sizeof(c->dial_status));
		if (strcmp(status, "ANSWER") == 0 && c->answered_at == 0)
			c->answered_at = GetCurrentTimestamp();
	}
	else if (strcmp(ev, "Hangup") == 0)
	{
		c = dialer_event_call(w, m, "Uniqueid", &leg);
		if (c == NULL || leg != 'b')
			return;
		c->got_hangup = true;
		c->cause = dialer_int(AmiMessageGet(m, "Cause"), 0);
		c->seen_live = false;
		if (c->reconcile || !c->got_response)
		{
			/* OriginateResponse missed (link lost) or still to come */
			if (c->reconcile || c->sent_at == 0)
				DialerFinishCall(w, c, dialer_resolve(c), "outcome taken from the hangup; the OriginateResponse was missed");
			else if (c->grace_until == 0)
				c->grace_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DIALER_HANGUP_GRACE_MS);
			return;
		}
		dialer_maybe_finish(w, c);
	}
	else if (strcmp(ev, "UserEvent") == 0)
	{
		/* predictive: the dialplan's answering-machine verdict, or Queue() left unanswered */
		const char *name = AmiMessageGet(m, "UserEvent");

		c = dialer_event_call(w, m, "Uniqueid", &leg);
		if (c == NULL)
			c = dialer_event_call(w, m, "Linkedid", &leg);
		if (c == NULL || name == NULL)
			return;
		if (strcmp(name, "BankcrmAmd") == 0)
		{
			const char *status = AmiMessageGet(m, "Status");
			const char *cause = AmiMessageGet(m, "Cause");

			/* only the detector's own words; anything else reads as not sure */
			if (status && (strcmp(status, "HUMAN") == 0 || strcmp(status, "MACHINE") == 0 ||
						   strcmp(status, "NOTSURE") == 0 || strcmp(status, "HANGUP") == 0))
				strlcpy(c->amd_status, status, sizeof(c->amd_status));
			else
				strlcpy(c->amd_status, "NOTSURE", sizeof(c->amd_status));
			c->amd_cause[0] = '\0';
			if (cause)
			{
				size_t		i;

				strlcpy(c->amd_cause, cause, sizeof(c->amd_cause));
				for (i = 0; c->amd_cause[i]; i++)
					if (c->amd_cause[i] == '\r' || c->amd_cause[i] == '\n')
						c->amd_cause[i] = ' ';
			}
			if (c->answered_at == 0)
				c->answered_at = GetCurrentTimestamp();
			else
			{
				/* how long detection takes here: the pacing's screening time */
				double		took = (double) (GetCurrentTimestamp() - c->answered_at) / USECS_PER_SEC;

				if (took >= 0.0 && took < 30.0)
				{
					w->screen_s = w->screens == 0 ? took : 0.95 * w->screen_s + 0.05 * took;
					w->screens++;
				}
			}
		}
		else if (strcmp(name, "BankcrmQueue") == 0)
			c->queue_left = true;
	}
	else if (strcmp(ev, "AgentConnect") == 0)
	{
		/* predictive: a member of the campaign queue (MemberName = staff id) took the call */
		c = dialer_event_call(w, m, "Uniqueid", &leg);
		if (c == NULL)
			c = dialer_event_call(w, m, "Linkedid", &leg);
		if (c == NULL || c->staff_id != 0)
			return;
		c->staff_id = dialer_int(AmiMessageGet(m, "MemberName"), 0);
		if (c->staff_id < 0)
			c->staff_id = 0;
		if (c->staff_id != 0)
		{
			c->connected_at = GetCurrentTimestamp();
			w->connects_pending++;
		}
	}
	else if (strcmp(ev, "CoreShowChannel") == 0)
	{
		c = dialer_event_call(w, m, "Linkedid", &leg);
		if (c == NULL)
			c = dialer_event_call(w, m, "Uniqueid", &leg);
		if (c)
			c->seen_live = true;
	}
	else if (strcmp(ev, "CoreShowChannelsComplete") == 0)
	{
		if (w->reconciling)
			DialerReconciled(w);
	}
	else if (strcmp(ev, "Shutdown") == 0)
		DialerPbxStopping(w, "the PBX is shutting down");
}

/* ------------------------------------------------------------------------
 * timeouts
 * ------------------------------------------------------------------------
 */

/*
 * DialerSweep
 *		Finish the calls past their deadline ("unknown") and the failed calls
 *		whose Hangup never came within the grace period.
 */
void
DialerSweep(DialerWorker *w, TimestampTz now)
{
	HASH_SEQ_STATUS seq;
	DialerCall *c;
	int64	   *late;
	bool	   *timed_out;
	int			nlate = 0;
	int			i;

	late = palloc(sizeof(int64) * (hash_get_num_entries(w->calls) + 1));
	timed_out = palloc(sizeof(bool) * (hash_get_num_entries(w->calls) + 1));
	hash_seq_init(&seq, w->calls);
	while ((c = hash_seq_search(&seq)) != NULL)
	{
		if (c->grace_until != 0 && now >= c->grace_until && !c->reconcile)
		{
			timed_out[nlate] = false;
			late[nlate++] = c->attempt_id;
		}
		else if (c->deadline != 0 && now >= c->deadline)
		{
			timed_out[nlate] = true;
			late[nlate++] = c->attempt_id;
		}
	}
	for (i = 0; i < nlate; i++)
	{
		c = hash_search(w->calls, &late[i], HASH_FIND, NULL);
		if (c == NULL)
			continue;
		if (timed_out[i])
			DialerFinishCall(w, c, AMI_OUTCOME_UNKNOWN, "no outcome before the call timeout");
		else
			DialerFinishCall(w, c, dialer_resolve(c), NULL);
	}
	pfree(late);
	pfree(timed_out);
}
