/*-------------------------------------------------------------------------
 *
 * settings.h
 *	  The bankcrm.dialer_* settings.
 *
 * Layer: the bottom of the worker: defined by settings.c, read by every file
 * of the dialer; calls nothing of the dialer.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_SETTINGS_H
#define BANKCRM_DIALER_SETTINGS_H

/* GUC variables */
extern int	bankcrm_dialer_poll_interval;
extern int	bankcrm_dialer_ping_interval;
extern int	bankcrm_dialer_backoff_min;
extern int	bankcrm_dialer_backoff_max;
extern int	bankcrm_dialer_connect_timeout;
extern int	bankcrm_dialer_call_timeout;
extern int	bankcrm_dialer_batch;
extern bool bankcrm_dialer_autostart;

extern void DialerDefineGucs(void);

#endif							/* BANKCRM_DIALER_SETTINGS_H */
