/*-------------------------------------------------------------------------
 *
 * dialer_db.h
 *	  The dialer worker's SQL: the only file of the worker that talks to the
 *	  database.
 *
 * Layer: storage of the worker (defined by dialer_db.c), below calls.c,
 * predictive.c and worker.c; calls only the settings and bgw.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/dialer_db.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_DIALER_DB_H
#define BANKCRM_DIALER_DIALER_DB_H

#include "dialer.h"

/* the database (dialer_db.c) */
extern bool DialerTakeOver(DialerWorker *w, bool *have_pbx);
extern int	DialerReadPbx(DialerWorker *w, DialerPbx *pbx);
extern void DialerClaimAttempts(DialerWorker *w, int budget, int npace, const int64 *campaigns,
								const int *allow, DialerClaim *cl);
extern void DialerReadPace(DialerWorker *w);
extern void DialerRecordConnects(DialerWorker *w);
extern void DialerRecordSent(DialerWorker *w, const int64 *ids, int n, TimestampTz sent_at);
extern bool DialerFlush(DialerWorker *w);
extern void DialerReportState(DialerWorker *w);
extern void DialerReportExit(DialerWorker *w);

#endif							/* BANKCRM_DIALER_DIALER_DB_H */
