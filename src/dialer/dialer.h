/*-------------------------------------------------------------------------
 *
 * dialer.h
 *	  The dialer worker's state: one record that every file of the worker is
 *	  passed, and the records of the calls, the PBX and the pacing.
 *
 * The worker is a few files around one state record.  worker.c runs the
 * main loop and the AMI connection; calls.c keeps the attempts in flight and
 * turns the PBX's events into outcomes; predictive.c paces predictive
 * campaigns and keeps their queues; dialer_db.c is the only file that talks
 * to the database (SPI); outbox.c queues what is sent to the PBX;
 * settings.c defines the GUCs; launcher.c bankcrm.dialer_launch() and the
 * autostart launcher.  ami.c (the protocol) and pacing.c (the pacing maths)
 * are pure C and know nothing of the worker.
 *
 * Layer: the bottom of the worker (types only, no functions).  Everything
 * declared here lives in one worker process: DialerWorker is allocated once
 * in TopMemoryContext by DialerWorkerMain and passed to every function, so
 * none of the files keeps worker state of its own, and nothing is in shared
 * memory.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/dialer.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_DIALER_H
#define BANKCRM_DIALER_DIALER_H

#include "datatype/timestamp.h"
#include "utils/hsearch.h"
#include "utils/palloc.h"

#include "ami.h"
#include "pacing.h"

/* finished attempts written per dialer_finish() call, at most */
#define DIALER_FINISH_BATCH	1000

/*
 * finished attempts kept in memory while the database does not take them:
 * past this many the worker takes no new calls (the calls in flight still
 * finish and are kept), so memory stays bounded and nothing is dropped
 */
#define DIALER_DONE_MAX		(DIALER_FINISH_BATCH * 4)

/* the PBX's answer to actions once it began shutting down (main/manager.c) */
#define DIALER_PBX_SHUTTING_DOWN "Asterisk is shutting down"

/* the connection state machine (worker.c) */
typedef enum DialerConnState
{
	DIALER_DISCONNECTED = 0,
	DIALER_CONNECTING,
	DIALER_GREETING,
	DIALER_CHALLENGE_SENT,
	DIALER_LOGIN_SENT,
	DIALER_READY,
	DIALER_BACKOFF
} DialerConnState;

/* one attempt in flight */
typedef struct DialerCall
{
	int64		attempt_id;		/* hash key */
	TimestampTz sent_at;		/* 0 when sent by an earlier worker */
	TimestampTz answered_at;
	TimestampTz deadline;		/* give up ("unknown") at this time */
	TimestampTz grace_until;	/* failed OriginateResponse: wait for Hangup until */
	TimestampTz lost_at;		/* when the PBX link dropped with the call on it; 0 if not */
	int			reason;			/* OriginateResponse Reason, -1 if none */
	int			cause;			/* customer-leg Hangup Cause, -1 if none */
	char		dial_status[24];	/* DialEnd DialStatus, "" if none */
	bool		got_response;	/* OriginateResponse arrived */
	bool		got_hangup;		/* customer leg hung up */
	bool		reconcile;		/* must be found by the running CoreShowChannels */
	bool		seen_live;		/* CoreShowChannels listed one of its legs */
	/* predictive mode (predictive.c) */
	bool		predictive;
	int64		campaign_id;	/* 0 when taken over from an earlier worker */
	char		amd_status[12]; /* the dialplan's AMDSTATUS, "" until it came */
	char		amd_cause[64];
	bool		queue_left;		/* the dialplan's Queue() returned: no agent took it */
	int			staff_id;		/* AgentConnect's MemberName, 0 if none */
	TimestampTz connected_at;
	bool		connect_recorded;	/* dialer_connect() has it */
	TimestampTz connect_recorded_at;	/* when it was committed */
} DialerCall;

/* one finished attempt waiting to be written */
typedef struct DialerDone
{
	int64		attempt_id;
	AmiOutcome	outcome;
	int			reason;
	int			cause;
	char		dial_status[24];
	TimestampTz sent_at;
	TimestampTz answered_at;
	TimestampTz ended_at;
	bool		not_placed;		/* the PBX refused the Originate: dial it again */
	char		detail[128];
	int			staff_id;		/* predictive: the agent the queue connected, 0 if none */
	char		amd_status[12];
	char		amd_cause[64];
	TimestampTz connected_at;
} DialerDone;

/* the pbx row */
typedef struct DialerPbx
{
	char		name[NAMEDATALEN * 2];
	char		host[256];
	int			port;
	char		username[128];
	char		secret[128];
	int			max_channels;
	double		max_cps;
} DialerPbx;

/* what dialer_pacing() says of one predictive campaign (predictive.c) */
typedef struct DialerPace
{
	int64		campaign_id;
	int			max_concurrent;
	int			ring_timeout_ms;
	int			agents_ready;
	int			nbusy;
	double	   *busy_s;			/* how long each busy agent has been, at read_at */
	int64		finished;
	double		answer_rate;
	double		human_share;
	PacingLogNormal ring;
	PacingLogNormal handle;
	int64		live_day;
	int64		abandoned_day;
	int64		live_window;
	int64		abandoned_window;
	int			nmembers;
	char	  **member_names;	/* staff ids */
	char	  **member_ifaces;	/* agent_endpoint with the extension */
	double		wrapup_s;		/* the wrap-up to come after each call */
	int			nwrapup;
	double	   *wrapup_left_s;	/* each agent in wrap-up: seconds left at read_at (-1: open) */
	int			allow;			/* the last decision: calls allowed now */
	bool		fallback;		/* the last decision was progressive */
} DialerPace;

/* a member the worker added to a campaign queue */
typedef struct DialerMember
{
	int64		campaign_id;
	char		iface[160];
	char		name[16];
	bool		wanted;
} DialerMember;

/* everything the worker keeps; one per process, in TopMemoryContext */
typedef struct DialerWorker
{
	int			pbx_id;
	Oid			dboid;
	DialerPbx	pbx;
	DialerConnState state;
	pgsocket	sock;
	bool		fd_reserved;
	AmiParser	parser;
	char	   *out;			/* pending output */
	size_t		out_len;
	size_t		out_cap;
	TimestampTz deadline;		/* CONNECTING: connect deadline; BACKOFF: retry at */
	int			failures;		/* consecutive connection failures */
	TimestampTz connected_since;
	TimestampTz next_poll;
	TimestampTz next_ping;
	TimestampTz ping_sent;		/* 0 when no Ping is outstanding */
	TimestampTz next_config;
	TimestampTz next_sweep;
	TimestampTz next_flush;		/* after a failed flush: not before */
	uint64		action_seq;
	bool		reconciling;	/* a CoreShowChannels is running */
	char		csc_action[32];
	HTAB	   *calls;
	DialerDone *done;
	int			ndone;
	int			done_cap;		/* allocated entries of done */
	bool		done_full;		/* ndone reached DIALER_DONE_MAX: no new calls */
	bool		pbx_stopping;	/* the PBX is shutting down: no new calls until the next login */
	PacingBucket bucket;
	MemoryContext loop_cxt;
	char		last_error[256];
	bool		status_dirty;
	int			reconnects;
	/* predictive mode (predictive.c), in TopMemoryContext */
	MemoryContext pace_cxt;		/* holds pace; reset at every read */
	DialerPace *pace;
	int			npace;
	TimestampTz pace_read_at;
	TimestampTz next_pace;
	DialerMember *members;
	int			nmembers;
	int			members_cap;
	int			connects_pending;	/* AgentConnects not yet written by DialerRecordConnects */
	double		screen_s;		/* answer to the detector's verdict, learnt (exponentially weighted) */
	int64		screens;		/* verdicts it has learnt from */
} DialerWorker;

/* what dialer_claim() returned, copied out of SPI */
typedef struct DialerClaim
{
	int			n;
	int64	   *ids;
	char	  **channels;
	char	  **contexts;
	char	  **extens;
	int		   *timeouts;
	char	  **callerids;
	int64	   *campaign_ids;
	bool	   *predictive;
	char	  **variables;		/* one more Originate variable, or NULL */
} DialerClaim;

#endif							/* BANKCRM_DIALER_DIALER_H */
