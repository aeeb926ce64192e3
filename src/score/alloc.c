/*-------------------------------------------------------------------------
 *
 * alloc.c
 *	  Memory for a scoring run's large arrays (one entry per party).
 *
 * Layer: pure computation (src/score/).  Calls only memory contexts.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/alloc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/mman.h>

#include "utils/memutils.h"

#include "score/alloc.h"

/*
 * The run's large arrays (up to hundreds of megabytes) are mapped from the
 * kernel directly rather than palloc'd: fresh anonymous memory is already
 * zero, so nothing is written twice and pages the run never touches (the
 * slack of an estimate) cost nothing; the mapping is aligned so that it can
 * be backed by huge pages where the kernel allows it (a run touches every
 * page of its arrays once, and faulting in 4 kB pages one by one costs more
 * than reading the bank).  A mapping is released with the memory context
 * that was current when it was made, or by ScoreFree.
 */
#define SCORE_MAP_MIN	(1024 * 1024)
#define SCORE_HUGE_PAGE	(2 * 1024 * 1024)

typedef struct ScoreMapping
{
	char	   *base;			/* as mapped; NULL once released */
	Size		len;
	MemoryContextCallback cb;
} ScoreMapping;

static void
ScoreUnmap(void *arg)
{
	ScoreMapping *m = (ScoreMapping *) arg;

	if (m->base != NULL)
		(void) munmap(m->base, m->len);
	m->base = NULL;
}

/*
 * ScoreAlloc
 *		A zeroed array of size bytes for the run.
 */
void *
ScoreAlloc(Size size)
{
#if defined(MAP_ANONYMOUS) && !defined(WIN32)
	if (size >= SCORE_MAP_MIN)
	{
		ScoreMapping *m = MemoryContextAlloc(CurrentMemoryContext, sizeof(ScoreMapping));
		char	   *p;

		/* room to align to a huge page, and for the pointer back to m */
		m->len = TYPEALIGN(SCORE_HUGE_PAGE, size) + SCORE_HUGE_PAGE;
		m->base = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m->base == MAP_FAILED)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Failed on a scoring array of %zu bytes.", size)));
		m->cb.func = ScoreUnmap;
		m->cb.arg = m;
		MemoryContextRegisterResetCallback(CurrentMemoryContext, &m->cb);
		p = (char *) TYPEALIGN(SCORE_HUGE_PAGE, m->base + sizeof(ScoreMapping *));
#ifdef MADV_HUGEPAGE
		(void) madvise(p, TYPEALIGN(SCORE_HUGE_PAGE, size), MADV_HUGEPAGE);
#endif
		((ScoreMapping **) p)[-1] = m;
		return p;
	}
#endif
	return palloc_extended(Max(size, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/*
 * ScoreFree
 *		Release an array of ScoreAlloc(size) before its context goes.
 */
void
ScoreFree(void *p, Size size)
{
#if defined(MAP_ANONYMOUS) && !defined(WIN32)
	if (size >= SCORE_MAP_MIN)
	{
		ScoreUnmap(((ScoreMapping **) p)[-1]);
		return;
	}
#endif
	pfree(p);
}

/*
 * ScoreGrow
 *		An array of ScoreAlloc(size) grown to new_size, contents kept.
 */
void *
ScoreGrow(void *p, Size size, Size new_size)
{
	void	   *q = ScoreAlloc(new_size);

	memcpy(q, p, Min(size, new_size));
	ScoreFree(p, size);
	return q;
}
