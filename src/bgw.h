/*-------------------------------------------------------------------------
 *
 * bgw.h
 *	  What every bankcrm background worker shares (bgw.c): its
 *	  registration, its signals, its transactions and their error recovery,
 *	  its wait event, and the commit-time wake-ups through shared memory.
 *
 * Layer: workers.  The dialer (src/dialer/) and the churn monitor
 * (src/churn_worker.c) are built on it; it calls nothing of theirs.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/bgw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_BGW_H
#define BANKCRM_BGW_H

#include "postmaster/bgworker.h"
#include "utils/elog.h"
#include "utils/palloc.h"

/* registration: a worker of this library connected to a database */
extern void BgwDefine(BackgroundWorker *worker, const char *function, const char *type,
					  const char *name, int restart_s, Datum arg);

/* signals: SIGHUP rereads the settings; SIGTERM stops at once (die) or, graceful, at the loop's next turn */
extern void BgwSignals(bool graceful);
extern bool BgwStopRequested(void);
extern bool BgwReloadConfig(void);
extern uint32 BgwWaitEvent(const char *name);

/* transactions: one short transaction, optionally with SPI; errors caught by the caller */
extern void BgwBegin(const char *what, bool spi);
extern void BgwCommit(bool spi);
extern ErrorData *BgwRecover(MemoryContext cxt);

/*
 * commit-time wake-ups: a table of slots in shared memory where workers
 * publish their latch (database, key); a session asks for the workers of
 * its database to be woken when its transaction commits
 */
typedef int BgwWakeTable;

extern BgwWakeTable BgwWakeDefine(const char *name, int nslots);
extern bool BgwWakePublish(BgwWakeTable t, int key);
extern bool BgwWakeTaken(BgwWakeTable t);
extern void BgwWakeAtCommit(BgwWakeTable t);

#endif							/* BANKCRM_BGW_H */
