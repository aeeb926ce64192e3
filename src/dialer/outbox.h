/*-------------------------------------------------------------------------
 *
 * outbox.h
 *	  What the worker sends to the PBX: the output buffer and fresh ActionIDs.
 *
 * Layer: the bottom of the worker (defined by outbox.c): no calls into
 * the dialer.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/outbox.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_DIALER_OUTBOX_H
#define BANKCRM_DIALER_OUTBOX_H

#include "dialer.h"

/* outbox.c */
extern void DialerSend(DialerWorker *w, const char *data, size_t len);
extern void DialerNextActionId(DialerWorker *w, const char *prefix, char *buf, size_t len);

#endif							/* BANKCRM_DIALER_OUTBOX_H */
