/*-------------------------------------------------------------------------
 *
 * churn_store.h
 *	  Churn storage layer: the upkeep the monitor's batch does besides the
 *	  evaluation (churn_store.c).
 *
 * Layer: storage.  Included by the monitor (churn_monitor.c).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_store.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_STORE_H
#define BANKCRM_CHURN_STORE_H

/*
 * whether the installed version has bankcrm_churn.churn_series_tail (an
 * extension updated to this library's version); without it nothing is
 * appended and the series are read as they are
 */
extern bool ChurnTailExists(void);

/* a party's appended weeks are folded once they are this many or more */
extern int	ChurnFoldWeeks(int64 party_id);

/* fold the appended weeks of these parties into their series (SPI connected) */
extern void ChurnFoldTails(const char *nsp, const int64 *ids, int n);

/*
 * close as lost the active alerts of departed parties: those of ids that
 * are closed and, once per new latest week (latest_week, a week number;
 * -1: none), those closed by then or silent since (SPI connected); returns
 * the alerts closed
 */
extern uint64 ChurnLoseDeparted(const char *nsp, const int64 *closed, int nclosed, int latest_week);

#endif							/* BANKCRM_CHURN_STORE_H */
