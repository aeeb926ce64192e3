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

#endif							/* BANKCRM_H */
