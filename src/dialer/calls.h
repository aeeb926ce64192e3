/*-------------------------------------------------------------------------
 *
 * calls.h
 *	  Attempts in flight: the PBX's events turned into outcomes.
 *
 * Layer: logic of the worker, above dialer_db.c, predictive.c and outbox.c;
 * called by worker.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/calls.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_CALLS_H
#define BANKCRM_DIALER_CALLS_H

#include "dialer.h"

/* attempts in flight (calls.c) */
extern void DialerChannelId(const DialerWorker *w, int64 attempt_id, char leg, char *buf, size_t len);
extern int64 DialerParseActionId(const char *id);
extern void DialerFinishCall(DialerWorker *w, DialerCall *c, AmiOutcome outcome, const char *detail);
extern void DialerRequeueCall(DialerWorker *w, DialerCall *c, const char *detail);
extern void DialerPbxStopping(DialerWorker *w, const char *why);
extern void DialerOnEvent(DialerWorker *w, const AmiMessage *m);
extern void DialerReconciled(DialerWorker *w);
extern void DialerSweep(DialerWorker *w, TimestampTz now);

#endif							/* BANKCRM_DIALER_CALLS_H */
