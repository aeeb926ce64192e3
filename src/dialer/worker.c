/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The dialer background worker: one AMI connection per PBX, taking due
 *	  call attempts from the database, sending Originates and turning the
 *	  PBX's events back into outcomes.
 *
 * One dynamic background worker serves one PBX in one database.  It holds a
 * session advisory lock (DIALER_LOCK_KEY, pbx_id) for its whole life, so a
 * second worker for the same PBX exits at once; dialer_pid() finds the
 * holder.  bankcrm.dialer_launch(pbx_id) starts it; a small launcher started
 * with the server starts those of the PBXs marked autostart in
 * bankcrm.database (launcher.c).
 *
 * This file is the main loop and the connection.  The connection is a state
 * machine (DialerConnState): DISCONNECTED, CONNECTING (non-blocking connect
 * with a deadline), GREETING (the banner), CHALLENGE_SENT, LOGIN_SENT, READY,
 * and BACKOFF back to CONNECTING.  Every failure records a reason in
 * dialer_state.last_error, closes the socket and waits min * 2^n (capped,
 * with jitter: pacing.c) before the next attempt.  The only blocking call is
 * WaitLatchOrSocket; SIGTERM sets a flag and the latch (src/bgw.c, shared
 * with the churn monitor), so the loop finishes its step, writes what is
 * finished and records that it exited.
 *
 * Dialing never holds a transaction across a wait: the attempts are claimed
 * and committed as "dialing" (dialer_db.c) before any Originate for them is
 * written, with ActionID = attempt id and ChannelId / OtherChannelId =
 * "bankcrm-<database oid>-<attempt id>-a|b".  An attempt is sent at most
 * once: the worker only ever sends what it has just claimed, and a claimed
 * attempt is no longer "queued".  The events that follow are matched to the
 * attempts in calls.c.
 *
 * After every login, and at start for the attempts a previous worker left
 * "dialing", the worker sends CoreShowChannels; calls.c finishes the
 * attempts the PBX no longer has.  Nothing is ever dialed again.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ami.h"
#include "bankcrm.h"
#include "bgw.h"
#include "compat.h"
#include "pacing.h"
#include "wake.h"
#include "calls.h"
#include "dialer_db.h"
#include "outbox.h"
#include "predictive.h"
#include "settings.h"
#include "worker.h"

/* reread the pbx row this often */
#define DIALER_CONFIG_MS	5000

/* a Ping unanswered for this long ends the session */
#define DIALER_PING_TIMEOUT_MS	10000

static void dialer_drop(DialerWorker *w, const char *fmt,...) pg_attribute_printf(2, 3);

static uint32 dialer_wait_event = 0;

/* ------------------------------------------------------------------------
 * the connection
 * ------------------------------------------------------------------------
 */

/* close the socket and forget the session's state */
static void
dialer_close(DialerWorker *w)
{
	if (w->sock != PGINVALID_SOCKET)
	{
		closesocket(w->sock);
		w->sock = PGINVALID_SOCKET;
	}
	if (w->fd_reserved)
	{
		ReleaseExternalFD();
		w->fd_reserved = false;
	}
	w->out_len = 0;
	w->reconciling = false;
	w->ping_sent = 0;
	w->connected_since = 0;
}

/* end the session for a reason, then back off */
static void
dialer_drop(DialerWorker *w, const char *fmt,...)
{
	va_list		ap;
	int64		delay;
	HASH_SEQ_STATUS seq;
	DialerCall *c;

	va_start(ap, fmt);
	vsnprintf(w->last_error, sizeof(w->last_error), fmt, ap);
	va_end(ap);
	ereport(LOG,
			(errcode(ERRCODE_CONNECTION_FAILURE),
			 errmsg("dialer for PBX %d: %s", w->pbx_id, w->last_error)));
	dialer_close(w);
	w->failures++;
	w->reconnects++;
	delay = PacingBackoffMs(w->failures, bankcrm_dialer_backoff_min, bankcrm_dialer_backoff_max, pg_prng_uint32(&pg_global_prng_state));
	w->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay);
	w->state = DIALER_BACKOFF;
	w->status_dirty = true;
	/*
	 * what was in flight must be found again on the PBX after the next
	 * login; one that is gone by then ended no later than now
	 */
	hash_seq_init(&seq, w->calls);
	while ((c = hash_seq_search(&seq)) != NULL)
	{
		c->reconcile = true;
		if (c->lost_at == 0)
			c->lost_at = GetCurrentTimestamp();
	}
}

/* queue bytes for the socket (outbox.c) */
#define dialer_send(w, data, len) DialerSend(w, data, len)

/* write what the socket takes; false after dropping the session */
static bool
dialer_write(DialerWorker *w)
{
	size_t		off = 0;

	while (off < w->out_len)
	{
		ssize_t		r = send(w->sock, w->out + off, w->out_len - off, 0);

		if (r < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			dialer_drop(w, "could not send to the PBX: %s", strerror(errno));
			return false;
		}
		off += r;
	}
	if (off > 0)
	{
		memmove(w->out, w->out + off, w->out_len - off);
		w->out_len -= off;
	}
	/* do not let a stuck peer grow the buffer forever */
	if (w->out_len > 16 * 1024 * 1024)
	{
		dialer_drop(w, "the PBX stopped reading");
		return false;
	}
	return true;
}

/* a fresh ActionID for one of our own actions: "<kind>-<n>" (outbox.c) */
#define dialer_next_action_id(w, kind, buf, len) DialerNextActionId(w, kind, buf, len)

/* start a non-blocking connection */
static void
dialer_connect(DialerWorker *w)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	char		port[16];
	int			rc;
	int			one = 1;

	/* the pbx row may have changed while we were away */
	DialerReportState(w);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", w->pbx.port);
	rc = getaddrinfo(w->pbx.host, port, &hints, &res);
	if (rc != 0 || res == NULL)
	{
		dialer_drop(w, "could not resolve \"%s\": %s", w->pbx.host, gai_strerror(rc));
		return;
	}
	if (!AcquireExternalFD())
	{
		freeaddrinfo(res);
		dialer_drop(w, "no file descriptor available for the AMI socket");
		return;
	}
	w->fd_reserved = true;
	w->sock = socket(res->ai_family, SOCK_STREAM, 0);
	if (w->sock == PGINVALID_SOCKET)
	{
		freeaddrinfo(res);
		dialer_drop(w, "could not create a socket: %s", strerror(errno));
		return;
	}
	(void) setsockopt(w->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void) setsockopt(w->sock, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (!pg_set_noblock(w->sock))
	{
		freeaddrinfo(res);
		dialer_drop(w, "could not make the socket non-blocking: %s", strerror(errno));
		return;
	}
	rc = connect(w->sock, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc < 0 && errno != EINPROGRESS && errno != EINTR)
	{
		dialer_drop(w, "could not connect to %s:%d: %s", w->pbx.host, w->pbx.port, strerror(errno));
		return;
	}
	AmiParserReset(&w->parser);
	w->state = DIALER_CONNECTING;
	w->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), bankcrm_dialer_connect_timeout);
	w->status_dirty = true;
}

/* CONNECTING and the socket became writable: did it work? */
static void
dialer_connected(DialerWorker *w)
{
	int			err = 0;
	socklen_t	len = sizeof(err);

	if (getsockopt(w->sock, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0)
	{
		dialer_drop(w, "could not connect to %s:%d: %s", w->pbx.host, w->pbx.port, strerror(err));
		return;
	}
	w->state = DIALER_GREETING;
}

/* the banner arrived: ask for an MD5 challenge */
static void
dialer_send_challenge(DialerWorker *w)
{
	char		buf[256];
	char		id[32];
	size_t		len;

	dialer_next_action_id(w, "challenge", id, sizeof(id));
	if (AmiBuildChallenge(buf, sizeof(buf), &len, id) != AMI_OK)
	{
		dialer_drop(w, "could not build the Challenge action");
		return;
	}
	dialer_send(w, buf, len);
	w->state = DIALER_CHALLENGE_SENT;
	w->status_dirty = true;
}

/* send Login: MD5 when a challenge came, plain otherwise */
static void
dialer_send_login(DialerWorker *w, const char *challenge)
{
	char		buf[1024];
	char		id[32];
	size_t		len;
	AmiError	err;

	dialer_next_action_id(w, "login", id, sizeof(id));
	if (challenge)
		err = AmiBuildLoginMd5(buf, sizeof(buf), &len, id, w->pbx.username, challenge, w->pbx.secret, "call,system,user,agent");
	else
		err = AmiBuildLoginPlain(buf, sizeof(buf), &len, id, w->pbx.username, w->pbx.secret, "call,system,user,agent");
	if (err != AMI_OK)
	{
		dialer_drop(w, "could not build the Login action: %s", AmiErrorMessage(err));
		return;
	}
	dialer_send(w, buf, len);
	explicit_bzero(buf, sizeof(buf));
	w->state = DIALER_LOGIN_SENT;
}

/* logged in: reconcile what is in flight, then dial */
static void
dialer_ready(DialerWorker *w)
{
	TimestampTz now = GetCurrentTimestamp();
	HASH_SEQ_STATUS seq;
	DialerCall *c;
	bool		any = false;

	w->state = DIALER_READY;
	w->connected_since = now;
	w->failures = 0;
	w->last_error[0] = '\0';
	w->pbx_stopping = false;
	w->status_dirty = true;
	w->next_ping = TimestampTzPlusMilliseconds(now, bankcrm_dialer_ping_interval * 1000);
	w->ping_sent = 0;
	w->next_poll = now;
	/* a new session: the campaign queues get their members again */
	DialerQueueForget(w);
	ereport(LOG, (errmsg("dialer for PBX %d logged in to %s:%d", w->pbx_id, w->pbx.host, w->pbx.port)));

	hash_seq_init(&seq, w->calls);
	while ((c = hash_seq_search(&seq)) != NULL)
	{
		if (c->reconcile)
		{
			c->seen_live = false;
			any = true;
		}
	}
	if (any)
	{
		char		buf[256];
		size_t		len;

		dialer_next_action_id(w, "channels", w->csc_action, sizeof(w->csc_action));
		if (AmiBuildSimple(buf, sizeof(buf), &len, "CoreShowChannels", w->csc_action) == AMI_OK)
		{
			dialer_send(w, buf, len);
			w->reconciling = true;
		}
	}
}

/* a response to one of our actions */
static void
dialer_on_response(DialerWorker *w, const AmiMessage *m)
{
	const char *aid = AmiMessageActionId(m);
	AmiResponse resp = AmiMessageResponse(m);
	int64		attempt_id;

	if (w->state == DIALER_CHALLENGE_SENT)
	{
		const char *challenge = AmiMessageGet(m, "Challenge");

		if (resp == AMI_RESPONSE_SUCCESS && challenge && challenge[0])
			dialer_send_login(w, challenge);
		else
			dialer_send_login(w, NULL);
		return;
	}
	if (w->state == DIALER_LOGIN_SENT)
	{
		if (resp == AMI_RESPONSE_SUCCESS)
			dialer_ready(w);
		else
		{
			const char *msg = AmiMessageGet(m, "Message");

			dialer_drop(w, "authentication failed for user \"%s\": %s", w->pbx.username, msg ? msg : "no message");
		}
		return;
	}
	if (aid == NULL)
		return;
	if (strncmp(aid, "ping-", 5) == 0)
	{
		w->ping_sent = 0;
		return;
	}
	if (w->reconciling && strcmp(aid, w->csc_action) == 0)
	{
		if (resp != AMI_RESPONSE_SUCCESS)
			DialerReconciled(w);	/* no list: treat every tracked call as gone */
		return;
	}
	attempt_id = DialerParseActionId(aid);
	if (attempt_id > 0 && resp == AMI_RESPONSE_ERROR)
	{
		DialerCall *c = hash_search(w->calls, &attempt_id, HASH_FIND, NULL);

		if (c)
		{
			const char *msg = AmiMessageGet(m, "Message");
			char		detail[128];

			/*
			 * A refused Originate placed no call: never a customer outcome.
			 * Refused because the PBX is going down, the attempt is dialed
			 * again once it is back, and nothing more is sent until then;
			 * refused for another reason (a channel the PBX does not know),
			 * it is "unknown", which fires no lead event.
			 */
			snprintf(detail, sizeof(detail), "the PBX refused the Originate: %s", msg ? msg : "no message");
			if (msg && strcmp(msg, DIALER_PBX_SHUTTING_DOWN) == 0)
			{
				DialerPbxStopping(w, "the PBX is shutting down");
				DialerRequeueCall(w, c, detail);
			}
			else
				DialerFinishCall(w, c, AMI_OUTCOME_UNKNOWN, detail);
		}
	}
}

/* read and handle everything the socket has */
static void
dialer_read(DialerWorker *w)
{
	char		buf[65536];

	for (;;)
	{
		ssize_t		n = recv(w->sock, buf, sizeof(buf), 0);
		size_t		off = 0;

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			dialer_drop(w, "could not read from the PBX: %s", strerror(errno));
			return;
		}
		if (n == 0)
		{
			dialer_drop(w, w->state == DIALER_LOGIN_SENT ? "the PBX closed the connection during login" :
						"the PBX closed the connection");
			return;
		}
		while (off < (size_t) n)
		{
			size_t		used = 0;
			AmiResult	r = AmiParserFeed(&w->parser, buf + off, n - off, &used);

			off += used;
			if (r == AMI_BANNER)
			{
				if (w->state == DIALER_GREETING)
					dialer_send_challenge(w);
			}
			else if (r == AMI_MESSAGE)
			{
				const AmiMessage *m = AmiParserMessage(&w->parser);

				if (AmiMessageKind(m) == AMI_KIND_RESPONSE)
					dialer_on_response(w, m);
				else if (AmiMessageKind(m) == AMI_KIND_EVENT)
					DialerOnEvent(w, m);
				if (w->sock == PGINVALID_SOCKET)
					return;
			}
			else if (r == AMI_ERROR)
			{
				dialer_drop(w, "protocol error: %s", AmiErrorMessage(AmiParserError(&w->parser)));
				return;
			}
			else
				break;
		}
	}
}

/* ------------------------------------------------------------------------
 * dialing
 * ------------------------------------------------------------------------
 */

/* claim due attempts and send their Originates; returns how many */
static int
dialer_dial(DialerWorker *w, int budget)
{
	DialerClaim cl;
	int			i;
	int64	   *campaigns;
	int		   *allow;
	int			npace;

	/* predictive campaigns: what the pacing allows each now */
	npace = DialerPaceAllow(w, GetCurrentTimestamp(), budget, &campaigns, &allow);
	DialerClaimAttempts(w, budget, npace, campaigns, allow, &cl);
	for (i = 0; i < cl.n; i++)
	{
		char		buf[2048];
		char		aid[32];
		char		chan_a[64];
		char		chan_b[64];
		char		var[64];
		const char *vars[2];
		AmiOriginate o;
		size_t		len;
		AmiError	err;
		bool		found;
		DialerCall *c;
		TimestampTz now = GetCurrentTimestamp();

		snprintf(aid, sizeof(aid), INT64_FORMAT, cl.ids[i]);
		DialerChannelId(w, cl.ids[i], 'a', chan_a, sizeof(chan_a));
		DialerChannelId(w, cl.ids[i], 'b', chan_b, sizeof(chan_b));
		snprintf(var, sizeof(var), "BANKCRM_ATTEMPT=%s", aid);
		vars[0] = var;
		memset(&o, 0, sizeof(o));
		o.action_id = aid;
		o.channel = cl.channels[i];
		o.context = cl.contexts[i];
		o.exten = cl.extens[i];
		o.priority = "1";
		o.timeout_ms = cl.timeouts[i];
		o.caller_id = cl.callerids[i];
		o.variables = vars;
		o.nvariables = 1;
		if (cl.variables[i] != NULL)
			vars[o.nvariables++] = cl.variables[i];
		o.channel_id = chan_a;
		o.other_channel_id = chan_b;
		o.async = true;

		c = hash_search(w->calls, &cl.ids[i], HASH_ENTER, &found);
		memset(((char *) c) + sizeof(int64), 0, sizeof(DialerCall) - sizeof(int64));
		c->reason = -1;
		c->cause = -1;
		c->sent_at = now;
		c->deadline = TimestampTzPlusMilliseconds(now, (int64) cl.timeouts[i] + (int64) bankcrm_dialer_call_timeout * 1000);
		c->campaign_id = cl.campaign_ids[i];
		c->predictive = cl.predictive[i];

		err = AmiBuildOriginate(buf, sizeof(buf), &len, &o);
		if (err != AMI_OK)
		{
			char		detail[128];

			snprintf(detail, sizeof(detail), "the Originate could not be built: %s", AmiErrorMessage(err));
			c->sent_at = 0;
			DialerFinishCall(w, c, AMI_OUTCOME_FAILED, detail);
			continue;
		}
		dialer_send(w, buf, len);
	}
	if (cl.n > 0)
	{
		PacingBucketTake(&w->bucket, cl.n);
		(void) dialer_write(w);
		/* when the Originates left: kept even if this worker dies next */
		DialerRecordSent(w, cl.ids, cl.n, GetCurrentTimestamp());
	}
	return cl.n;
}

/* milliseconds from now until then, rounded up; 0 if passed */
static int64
dialer_ms_until(TimestampTz now, TimestampTz then)
{
	if (then <= now)
		return 0;
	return (then - now + 999) / 1000;
}

/* reread the pbx row; reconnect if the address or credentials changed; false if it is gone */
static bool
dialer_reload_pbx(DialerWorker *w, TimestampTz now)
{
	DialerPbx	pbx;
	int			found;

	w->next_config = TimestampTzPlusMilliseconds(now, DIALER_CONFIG_MS);
	found = DialerReadPbx(w, &pbx);
	if (found < 0)
		return true;
	if (found == 0)
	{
		ereport(LOG, (errmsg("PBX %d was deleted; its dialer exits", w->pbx_id)));
		return false;
	}
	if (strcmp(pbx.host, w->pbx.host) != 0 || pbx.port != w->pbx.port ||
		strcmp(pbx.username, w->pbx.username) != 0 || strcmp(pbx.secret, w->pbx.secret) != 0)
	{
		w->pbx = pbx;
		if (w->state != DIALER_DISCONNECTED && w->state != DIALER_BACKOFF)
		{
			dialer_drop(w, "the PBX settings changed; reconnecting");
			w->failures = 0;
		}
		w->deadline = now;
	}
	else
		w->pbx = pbx;
	explicit_bzero(&pbx, sizeof(pbx));
	PacingBucketSetRate(&w->bucket, w->pbx.max_cps, now);
	return true;
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------
 */

/*
 * DialerWorkerMain
 *		Serve one PBX until told to stop.
 */
void
DialerWorkerMain(Datum main_arg)
{
	DialerWorker *w;
	HASHCTL		ctl;
	bool		have_pbx = false;

	/* SIGTERM: finish the current step, then leave the loop (src/bgw.c) */
	BgwSignals(true);

	w = MemoryContextAllocZero(TopMemoryContext, sizeof(DialerWorker));
	w->pbx_id = DatumGetInt32(main_arg);
	memcpy(&w->dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	w->sock = PGINVALID_SOCKET;
	w->out_cap = 65536;
	w->out = MemoryContextAlloc(TopMemoryContext, w->out_cap);
	w->done_cap = DIALER_FINISH_BATCH;
	w->done = MemoryContextAlloc(TopMemoryContext, sizeof(DialerDone) * w->done_cap);
	AmiParserInit(&w->parser, 0);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(DialerCall);
	w->calls = hash_create("bankcrm dialer calls", 1024, &ctl, HASH_ELEM | HASH_BLOBS);
	w->loop_cxt = AllocSetContextCreate(TopMemoryContext, "bankcrm dialer loop", ALLOCSET_DEFAULT_SIZES);
	w->pace_cxt = AllocSetContextCreate(TopMemoryContext, "bankcrm dialer pacing", ALLOCSET_DEFAULT_SIZES);

	BackgroundWorkerInitializeConnectionByOid(w->dboid, InvalidOid, 0);
	dialer_wait_event = BgwWaitEvent("BankcrmDialer");
	/* nothing planted in public (or anywhere else) is ever called as superuser */
	BankcrmPinSearchPath();
	/* a "dialing" commit must survive a crash, whatever the server default */
	SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);
	{
		char		appname[64];

		snprintf(appname, sizeof(appname), "bankcrm dialer pbx %d", w->pbx_id);
		pgstat_report_appname(appname);
	}

	/* one worker per PBX and database; find the PBX; take over what was in flight */
	MemoryContextSwitchTo(w->loop_cxt);
	if (!DialerTakeOver(w, &have_pbx))
	{
		ereport(LOG, (errmsg("dialer for PBX %d is already running in this database; this one exits", w->pbx_id)));
		proc_exit(0);
	}
	if (!have_pbx)
	{
		ereport(LOG, (errmsg("PBX %d does not exist; its dialer exits", w->pbx_id)));
		proc_exit(0);
	}
	PacingBucketInit(&w->bucket, w->pbx.max_cps, GetCurrentTimestamp());
	w->state = DIALER_DISCONNECTED;
	w->next_config = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DIALER_CONFIG_MS);
	(void) DialerWakePublish(w->pbx_id);
	ereport(LOG, (errmsg("dialer for PBX %d (\"%s\") started", w->pbx_id, w->pbx.name)));

	while (!BgwStopRequested())
	{
		TimestampTz now;
		int64		timeout_ms;
		int			events;
		int			rc;

		CHECK_FOR_INTERRUPTS();
		(void) BgwReloadConfig();
		now = GetCurrentTimestamp();

		/* the pbx row: limits, address, secret */
		if (now >= w->next_config && !dialer_reload_pbx(w, now))
			break;

		/* the connection state machine */
		switch (w->state)
		{
			case DIALER_DISCONNECTED:
				dialer_connect(w);
				break;
			case DIALER_BACKOFF:
				if (now >= w->deadline)
					dialer_connect(w);
				break;
			case DIALER_CONNECTING:
			case DIALER_GREETING:
			case DIALER_CHALLENGE_SENT:
			case DIALER_LOGIN_SENT:
				if (now >= w->deadline)
					dialer_drop(w, w->state == DIALER_CONNECTING ? "connection to %s:%d timed out" :
								"no greeting or login reply from %s:%d in time", w->pbx.host, w->pbx.port);
				break;
			case DIALER_READY:
				if (w->ping_sent != 0 && now >= TimestampTzPlusMilliseconds(w->ping_sent, DIALER_PING_TIMEOUT_MS))
				{
					dialer_drop(w, "keepalive Ping unanswered for %d s", DIALER_PING_TIMEOUT_MS / 1000);
					break;
				}
				if (w->ping_sent == 0 && now >= w->next_ping)
				{
					char		buf[128];
					char		id[32];
					size_t		len;

					dialer_next_action_id(w, "ping", id, sizeof(id));
					if (AmiBuildSimple(buf, sizeof(buf), &len, "Ping", id) == AMI_OK)
						dialer_send(w, buf, len);
					w->ping_sent = now;
					w->next_ping = TimestampTzPlusMilliseconds(now, bankcrm_dialer_ping_interval * 1000);
				}
				/* predictive campaigns' figures and queue members, once a second */
				DialerPaceRefresh(w, now);
				if (now >= w->next_poll && !w->pbx_stopping && !w->done_full)
				{
					int			budget = PacingBucketAvailable(&w->bucket, now);
					int			room = w->pbx.max_channels - (int) hash_get_num_entries(w->calls);
					int			sent = 0;

					if (room < budget)
						budget = room;
					if (bankcrm_dialer_batch < budget)
						budget = bankcrm_dialer_batch;
					if (budget > 0)
						sent = dialer_dial(w, budget);
					/* a full batch: there may be more, look again at once */
					if (sent > 0 && sent == budget)
						w->next_poll = now;
					else if (w->next_poll <= now)
						w->next_poll = TimestampTzPlusMilliseconds(now, bankcrm_dialer_poll_interval);
				}
				break;
		}

		/* timeouts of calls, every 100 ms at most */
		now = GetCurrentTimestamp();
		if (now >= w->next_sweep)
		{
			DialerSweep(w, now);
			w->next_sweep = TimestampTzPlusMilliseconds(now, 100);
		}
		DialerRecordConnects(w);
		/*
		 * an agent the queue connected is free or in wrap-up now: read the
		 * figures again at once, so that an agent in wrap-up leaves its
		 * campaign queue before the queue offers it the next caller
		 */
		if (DialerFlush(w) && w->state == DIALER_READY)
		{
			w->next_pace = 0;
			DialerPaceRefresh(w, GetCurrentTimestamp());
		}
		DialerReportState(w);
		if (w->sock != PGINVALID_SOCKET && w->out_len > 0)
			(void) dialer_write(w);

		/* wait for the socket, the latch or the next deadline */
		now = GetCurrentTimestamp();
		timeout_ms = 1000;
		events = WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH;
		switch (w->state)
		{
			case DIALER_BACKOFF:
			case DIALER_CONNECTING:
			case DIALER_GREETING:
			case DIALER_CHALLENGE_SENT:
			case DIALER_LOGIN_SENT:
				timeout_ms = Min(timeout_ms, dialer_ms_until(now, w->deadline));
				break;
			case DIALER_READY:
				{
					int64		next = dialer_ms_until(now, w->next_poll);

					if (w->pbx.max_channels <= (int) hash_get_num_entries(w->calls) ||
						w->pbx_stopping || w->done_full)
						next = bankcrm_dialer_poll_interval;
					else if (next == 0)
						next = Max(1, PacingBucketWaitUs(&w->bucket, now) / 1000);
					timeout_ms = Min(timeout_ms, next);
					timeout_ms = Min(timeout_ms, dialer_ms_until(now, w->next_ping));
				}
				break;
			case DIALER_DISCONNECTED:
				timeout_ms = 0;
				break;
		}
		if (hash_get_num_entries(w->calls) > 0)
			timeout_ms = Min(timeout_ms, 100);
		if (w->ndone > 0)
			timeout_ms = Min(timeout_ms, 10);
		if (w->sock != PGINVALID_SOCKET)
		{
			if (w->state == DIALER_CONNECTING)
				events |= WL_SOCKET_CONNECTED;
			else
			{
				events |= WL_SOCKET_READABLE;
				if (w->out_len > 0)
					events |= WL_SOCKET_WRITEABLE;
			}
		}
		if (timeout_ms < 0)
			timeout_ms = 0;
		rc = WaitLatchOrSocket(MyLatch, events, w->sock, (long) timeout_ms, dialer_wait_event);
		if (rc & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			/* a committed enqueue, agent or settings change: look for work now */
			if (DialerWakeTaken())
			{
				w->next_poll = GetCurrentTimestamp();
				w->next_pace = w->next_poll;
			}
		}
		if (w->sock != PGINVALID_SOCKET)
		{
			if (w->state == DIALER_CONNECTING)
			{
				if (rc & WL_SOCKET_CONNECTED)
					dialer_connected(w);
			}
			else
			{
				if (rc & WL_SOCKET_READABLE)
					dialer_read(w);
				if (w->sock != PGINVALID_SOCKET && (rc & WL_SOCKET_WRITEABLE))
					(void) dialer_write(w);
			}
		}
		MemoryContextReset(w->loop_cxt);
	}

	/* stopping: write what is finished, record the state, leave the rest to the next worker */
	(void) DialerFlush(w);
	dialer_close(w);
	DialerReportExit(w);
	ereport(LOG, (errmsg("dialer for PBX %d stopped", w->pbx_id)));
	proc_exit(0);
}
