/*-------------------------------------------------------------------------
 *
 * outbox.c
 *	  What the dialer worker sends to the PBX: bytes queued for the socket
 *	  (worker.c writes them when it can) and fresh ActionIDs.
 *
 * Layer: the bottom of the worker, beside dialer.h: called by worker.c and
 * predictive.c, calls nothing of the dialer.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/outbox.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "outbox.h"

/* queue bytes for the socket */
void
DialerSend(DialerWorker *w, const char *data, size_t len)
{
	if (w->out_len + len > w->out_cap)
	{
		size_t		cap = w->out_cap * 2;

		while (cap < w->out_len + len)
			cap *= 2;
		w->out = repalloc(w->out, cap);
		w->out_cap = cap;
	}
	memcpy(w->out + w->out_len, data, len);
	w->out_len += len;
}

/* a fresh ActionID for one of our own actions: "<kind>-<n>" */
void
DialerNextActionId(DialerWorker *w, const char *kind, char *buf, size_t len)
{
	snprintf(buf, len, "%s-" UINT64_FORMAT, kind, ++w->action_seq);
}
