/*
 * progress.h
 *		Progress of long operations, where a DBA looks: one slot per
 *		backend in shared memory, read by the view bankcrm.progress (like
 *		pg_stat_progress_*), and NOTICE lines every
 *		bankcrm.progress_notice_interval seconds when the caller sets it.
 *
 * An operation calls ProgressBegin once, ProgressPhase when it moves to
 * another phase, ProgressTick (or ProgressSet) in its loop and ProgressEnd
 * when it is done; an error ends it at the end of its (sub)transaction.  A
 * call inside an operation (segment_refresh under segment_refresh_all)
 * becomes a phase of the outer one.  Without shared_preload_libraries the
 * view is empty and the NOTICE lines still come.
 */
#ifndef BANKCRM_PROGRESS_H
#define BANKCRM_PROGRESS_H

#include "postgres.h"

/* _PG_init: the setting, and the shared memory when preloading */
extern void ProgressInit(void);

extern void ProgressBegin(const char *command, const char *phase, int64 total);
extern void ProgressPhase(const char *phase, int64 total);
extern void ProgressSet(int64 done);
extern void ProgressEnd(void);

/* one more unit done: cheap enough for a loop over every row */
extern void ProgressTickSlow(void);
extern PGDLLIMPORT int progress_depth;
extern PGDLLIMPORT int64 progress_done;
extern PGDLLIMPORT int progress_countdown;

static inline void
ProgressTick(void)
{
	if (progress_depth > 0)
	{
		progress_done++;
		if (--progress_countdown <= 0)
			ProgressTickSlow();
	}
}

#endif							/* BANKCRM_PROGRESS_H */
