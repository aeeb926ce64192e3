/*-------------------------------------------------------------------------
 *
 * predictive.h
 *	  Predictive mode: the pacing of each campaign and its Asterisk queue.
 *
 * Layer: logic of the worker, above dialer_db.c and outbox.c; called by
 * worker.c and calls.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/predictive.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_PREDICTIVE_H
#define BANKCRM_DIALER_PREDICTIVE_H

#include "dialer.h"

/* predictive mode (predictive.c) */
extern void DialerPaceRefresh(DialerWorker *w, TimestampTz now);
extern int	DialerPaceAllow(DialerWorker *w, TimestampTz now, int budget, int64 **campaigns, int **allow);
extern void DialerQueueSync(DialerWorker *w);
extern void DialerQueueForget(DialerWorker *w);
extern AmiOutcome DialerPredictiveOutcome(const DialerCall *c, AmiOutcome base);

#endif							/* BANKCRM_DIALER_PREDICTIVE_H */
