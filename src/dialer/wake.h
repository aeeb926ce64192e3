/*-------------------------------------------------------------------------
 *
 * wake.h
 *	  Dialer workers woken by commits (wake.c).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/wake.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_WAKE_H
#define BANKCRM_DIALER_WAKE_H

extern void DialerWakeShmemRequest(void);
extern bool DialerWakePublish(int pbx_id);
extern bool DialerWakeTaken(void);
extern void DialerWakeAtCommit(void);

#endif							/* BANKCRM_DIALER_WAKE_H */
