/*-------------------------------------------------------------------------
 *
 * phone.h
 *	  The phone type's settings.
 *
 * Layer: SQL entry points of the types (phone.c over the pure e164.c).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/types/phone.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_PHONE_H
#define BANKCRM_PHONE_H

/* bankcrm.default_country_code, read by phone_parse() */
extern int	bankcrm_default_country_code;

extern void PhoneDefineGucs(void);

#endif							/* BANKCRM_PHONE_H */
