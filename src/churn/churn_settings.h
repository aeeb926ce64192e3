/*-------------------------------------------------------------------------
 *
 * churn_settings.h
 *	  The churn monitor's settings.
 *
 * Layer: computation, the bottom of src/churn/ (defined by
 * churn_settings.c); includes no other churn header.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/churn/churn_settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_CHURN_SETTINGS_H
#define BANKCRM_CHURN_SETTINGS_H

extern bool bankcrm_churn_monitor;
extern int	bankcrm_churn_interval;
extern int	bankcrm_churn_batch_size;
extern char *bankcrm_churn_databases;

extern void ChurnDefineGucs(void);

#endif							/* BANKCRM_CHURN_SETTINGS_H */
