/*-------------------------------------------------------------------------
 *
 * bankcrm.h
 *	  Declarations shared by the files of the bankcrm extension.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/bankcrm.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_H
#define BANKCRM_H

/* GUC variables, defined in bankcrm.c */
extern int	bankcrm_default_country_code;
extern char *bankcrm_database;

/* churn monitor (src/churn_worker.c) */
extern bool bankcrm_churn_monitor;
extern int	bankcrm_churn_interval;
extern int	bankcrm_churn_batch_size;
extern char *bankcrm_churn_databases;

/* dialer (src/dialer/worker.c) */
extern void DialerDefineGucs(void);
extern void DialerRegisterLauncher(void);

#endif							/* BANKCRM_H */
