/*-------------------------------------------------------------------------
 *
 * predictive.c
 *	  The dialer worker's predictive mode: how many numbers each predictive
 *	  campaign may ring now, the members of the campaign queues, and what a
 *	  predictive call came to.
 *
 * A predictive campaign rings more numbers than it has free agents.  Its
 * Originates run the dialplan context dial_settings.queue_context with the
 * campaign id as Exten: answering-machine detection (AMD()) on answer, a
 * UserEvent "BankcrmAmd" with AMDSTATUS and AMDCAUSE, then for a live
 * customer Queue(bankcrm-<campaign id>) with a 2 s timeout; Asterisk's
 * AgentConnect says which member (MemberName = staff id) took the call, and
 * a UserEvent "BankcrmQueue" says the customer met nobody (the dialplan then
 * plays the abandonment message).  doc/dialer.md holds that dialplan.
 *
 * Layer: worker.  It reads what the database says of each campaign
 * (DialerReadPace, dialer_db.c, once a second or when a commit wakes the
 * worker), adds what only the worker knows (calls ringing by seconds rung,
 * in detection, waiting in the queue) and asks pacing.c, which is plain C,
 * for the count.  It writes no SQL itself and sends actions only through
 * DialerSend.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/predictive.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ami.h"
#include "pacing.h"
#include "dialer_db.h"
#include "outbox.h"
#include "predictive.h"
#include "settings.h"

/* reread the campaigns' figures this often (a commit that changes agents rereads at once) */
#define DIALER_PACE_MS		1000

/*
 * answer to the detector's verdict: AMD()'s usual decision time, until the
 * worker has timed 10 verdicts of its own (then their running average)
 */
#define DIALER_SCREEN_S		2.5

/* calls ringing, by quarter seconds rung (a slot of 0.25 s), up to 10 minutes */
#define DIALER_RING_SLOT_US	(USECS_PER_SEC / 4)
#define DIALER_RING_SLOTS	2400

/*
 * DialerPaceRefresh
 *		Reread the predictive campaigns' figures when they are due, then
 *		bring the campaign queues' members in line with the agents logged in.
 */
void
DialerPaceRefresh(DialerWorker *w, TimestampTz now)
{
	if (now < w->next_pace)
		return;
	w->next_pace = TimestampTzPlusMilliseconds(now, DIALER_PACE_MS);
	DialerReadPace(w);
	DialerQueueSync(w);
}

/* the campaign's figures, NULL if it is not a predictive campaign of ours */
static DialerPace *
pace_of(DialerWorker *w, int64 campaign_id)
{
	int			i;

	for (i = 0; i < w->npace; i++)
		if (w->pace[i].campaign_id == campaign_id)
			return &w->pace[i];
	return NULL;
}

/*
 * DialerPaceAllow
 *		For every predictive campaign, the calls the pacing allows now, at
 *		most budget each; returns the number of campaigns, with their ids
 *		and counts in palloc'd arrays (the loop context).
 */
int
DialerPaceAllow(DialerWorker *w, TimestampTz now, int budget, int64 **campaigns, int **allow)
{
	int		   *ringing;
	int		   *screening;
	int		   *waiting;
	int		   *inflight;
	int		   *connected;
	int		  **by_s;
	int			i;
	HASH_SEQ_STATUS seq;
	DialerCall *c;

	*campaigns = NULL;
	*allow = NULL;
	if (w->npace == 0)
		return 0;
	*campaigns = palloc(sizeof(int64) * w->npace);
	*allow = palloc0(sizeof(int) * w->npace);
	ringing = palloc0(sizeof(int) * w->npace);
	screening = palloc0(sizeof(int) * w->npace);
	waiting = palloc0(sizeof(int) * w->npace);
	inflight = palloc0(sizeof(int) * w->npace);
	connected = palloc0(sizeof(int) * w->npace);
	by_s = palloc(sizeof(int *) * w->npace);
	for (i = 0; i < w->npace; i++)
		by_s[i] = palloc0(sizeof(int) * DIALER_RING_SLOTS);

	/* what only the worker knows: where each call in flight stands */
	hash_seq_init(&seq, w->calls);
	while ((c = hash_seq_search(&seq)) != NULL)
	{
		DialerPace *p;
		int			k;

		if (!c->predictive || (p = pace_of(w, c->campaign_id)) == NULL)
			continue;
		k = p - w->pace;
		inflight[k]++;
		if (c->answered_at == 0)
		{
			int64		s = c->sent_at != 0 ? (now - c->sent_at) / DIALER_RING_SLOT_US : 0;

			if (s < 0)
				s = 0;
			if (s >= DIALER_RING_SLOTS)
				s = DIALER_RING_SLOTS - 1;
			by_s[k][s]++;
			ringing[k]++;
		}
		else if (c->amd_status[0] == '\0')
			screening[k]++;
		else if (c->staff_id == 0 && !c->queue_left && strcmp(c->amd_status, "MACHINE") != 0)
			waiting[k]++;
		/*
		 * taken by an agent that the figures read still show ready: the
		 * database learnt of it after they were read, or not yet
		 */
		if (c->staff_id != 0 && (!c->connect_recorded || c->connect_recorded_at >= w->pace_read_at))
			connected[k]++;
	}

	for (i = 0; i < w->npace; i++)
	{
		DialerPace *p = &w->pace[i];
		PacingInput in;
		PacingDecision d;
		double	   *busy;
		double	   *wrapup;
		int			j;
		int			room = p->max_concurrent - inflight[i];

		memset(&in, 0, sizeof(in));
		busy = palloc(sizeof(double) * (p->nbusy + connected[i] + 1));
		for (j = 0; j < p->nbusy; j++)
			busy[j] = p->busy_s[j] + (double) (now - w->pace_read_at) / USECS_PER_SEC;
		for (j = 0; j < connected[i]; j++)
			busy[p->nbusy + j] = 0.0;
		in.agents_ready = Max(0, p->agents_ready - connected[i]);
		in.agents_busy = p->nbusy + connected[i];
		in.busy_s = busy;
		in.ringing_slots = DIALER_RING_SLOTS;
		in.ring_slot_s = (double) DIALER_RING_SLOT_US / USECS_PER_SEC;
		in.ringing_by_s = by_s[i];
		in.lines_screening = screening[i];
		in.waiting = waiting[i];
		in.max_new = Max(0, Min(budget, room));
		in.finished = p->finished;
		in.answer_rate = p->answer_rate;
		in.human_share = p->human_share;
		in.ring = p->ring;
		in.ring_timeout_s = p->ring_timeout_ms / 1000.0;
		in.screen_s = w->screens >= 10 ? w->screen_s : DIALER_SCREEN_S;
		in.handle = p->handle;
		in.live_day = p->live_day;
		in.abandoned_day = p->abandoned_day;
		in.live_window = p->live_window;
		in.abandoned_window = p->abandoned_window;
		in.cap_day = PACING_CAP_DAY;
		in.cap_window = PACING_CAP_WINDOW;
		in.target = PACING_TARGET;
		in.wrapup_s = p->wrapup_s;
		wrapup = palloc(sizeof(double) * (p->nwrapup + 1));
		for (j = 0; j < p->nwrapup; j++)
			wrapup[j] = p->wrapup_left_s[j] < 0.0 ? -1.0
				: Max(0.0, p->wrapup_left_s[j] - (double) (now - w->pace_read_at) / USECS_PER_SEC);
		in.agents_wrapup = p->nwrapup;
		in.wrapup_left_s = wrapup;
		(void) PacingPredictive(&in, &d);
		(*campaigns)[i] = p->campaign_id;
		(*allow)[i] = d.dial;
		p->allow = d.dial;
		if (p->fallback != (d.fallback != 0))
			ereport(DEBUG1,
					(errmsg("dialer for PBX %d: campaign " INT64_FORMAT " paces %s",
							w->pbx_id, p->campaign_id, d.fallback ? "progressively" : "predictively")));
		p->fallback = d.fallback != 0;
	}
	return w->npace;
}

/* ------------------------------------------------------------------------
 * the campaign queues' members
 * ------------------------------------------------------------------------
 */

/* send QueueAdd or QueueRemove for one member */
static void
queue_action(DialerWorker *w, const DialerMember *m, bool add)
{
	char		buf[1024];
	char		id[48];
	char		queue[40];
	size_t		len;
	AmiBuilder	b;

	snprintf(queue, sizeof(queue), "bankcrm-" INT64_FORMAT, m->campaign_id);
	DialerNextActionId(w, add ? "queueadd" : "queueremove", id, sizeof(id));
	AmiActionBegin(&b, buf, sizeof(buf), add ? "QueueAdd" : "QueueRemove");
	AmiActionAdd(&b, "ActionID", id);
	AmiActionAdd(&b, "Queue", queue);
	AmiActionAdd(&b, "Interface", m->iface);
	if (add)
	{
		AmiActionAdd(&b, "MemberName", m->name);
		AmiActionAdd(&b, "Paused", "false");
	}
	if (AmiActionEnd(&b, &len) == AMI_OK)
		DialerSend(w, buf, len);
}

/*
 * DialerQueueSync
 *		Add to each campaign queue the agents logged in (ready or on a call)
 *		that it lacks, and remove those that logged out.  Nothing is sent
 *		while the worker is not logged in; DialerQueueForget at login makes
 *		it add them all again (the PBX may have restarted).
 */
void
DialerQueueSync(DialerWorker *w)
{
	int			i;
	int			j;
	int			keep = 0;

	if (w->state != DIALER_READY)
		return;
	for (j = 0; j < w->nmembers; j++)
		w->members[j].wanted = false;
	for (i = 0; i < w->npace; i++)
	{
		DialerPace *p = &w->pace[i];
		int			k;

		for (k = 0; k < p->nmembers; k++)
		{
			bool		found = false;

			for (j = 0; j < w->nmembers && !found; j++)
			{
				DialerMember *m = &w->members[j];

				if (m->campaign_id == p->campaign_id && strcmp(m->iface, p->member_ifaces[k]) == 0)
				{
					m->wanted = true;
					found = true;
				}
			}
			if (found)
				continue;
			if (w->nmembers >= w->members_cap)
			{
				w->members_cap = w->members_cap > 0 ? w->members_cap * 2 : 64;
				w->members = w->members
					? repalloc(w->members, sizeof(DialerMember) * w->members_cap)
					: MemoryContextAlloc(TopMemoryContext, sizeof(DialerMember) * w->members_cap);
			}
			{
				DialerMember *m = &w->members[w->nmembers++];

				m->campaign_id = p->campaign_id;
				strlcpy(m->iface, p->member_ifaces[k], sizeof(m->iface));
				strlcpy(m->name, p->member_names[k], sizeof(m->name));
				m->wanted = true;
				queue_action(w, m, true);
			}
		}
	}
	for (j = 0; j < w->nmembers; j++)
	{
		if (!w->members[j].wanted)
			queue_action(w, &w->members[j], false);
		else
			w->members[keep++] = w->members[j];
	}
	w->nmembers = keep;
}

/* DialerQueueForget: a new session; every member is added again */
void
DialerQueueForget(DialerWorker *w)
{
	w->nmembers = 0;
	w->next_pace = 0;
}

/* ------------------------------------------------------------------------
 * outcomes
 * ------------------------------------------------------------------------
 */

/*
 * DialerPredictiveOutcome
 *		What a predictive call came to, from what the PBX's call events say
 *		(base) and what the dialplan told: an answered call is "machine"
 *		when the detector said so, "answered" when an agent took it, and
 *		otherwise "abandoned" (a live answer, or one whose verdict never
 *		came, that met nobody: counted against the cap, never hidden).
 */
AmiOutcome
DialerPredictiveOutcome(const DialerCall *c, AmiOutcome base)
{
	if (!c->predictive || base != AMI_OUTCOME_ANSWERED)
		return base;
	if (strcmp(c->amd_status, "MACHINE") == 0)
		return AMI_OUTCOME_MACHINE;
	if (c->staff_id != 0)
		return AMI_OUTCOME_ANSWERED;
	return AMI_OUTCOME_ABANDONED;
}
