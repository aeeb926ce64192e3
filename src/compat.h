/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every difference between PostgreSQL major versions lives here.
 *
 * bankcrm targets PostgreSQL 15 and compiles on 16 and 17.  No other file
 * tests PG_VERSION_NUM.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_COMPAT_H
#define BANKCRM_COMPAT_H

#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * Soft input errors (PostgreSQL 16 and later).  On 15 an input function has
 * no error-saving context, so ereturn() becomes a plain ereport(ERROR).
 */
#if PG_VERSION_NUM < 160000
#define ereturn(context, dummy_value, ...) \
	do { \
		ereport(ERROR, __VA_ARGS__); \
		return dummy_value; \
	} while (0)
#define BANKCRM_ESCONTEXT(fcinfo) NULL
#else
#include "nodes/miscnodes.h"
#define BANKCRM_ESCONTEXT(fcinfo) ((fcinfo)->context)
#endif

/*
 * Custom wait events for pg_stat_activity.wait_event (PostgreSQL 17 and
 * later); before that every extension wait shows as "Extension".
 */
#ifndef BankcrmWaitEventNew
#if PG_VERSION_NUM >= 170000
#include "utils/wait_event.h"
#define BankcrmWaitEventNew(name) WaitEventExtensionNew(name)
#else
#define BankcrmWaitEventNew(name) PG_WAIT_EXTENSION
#endif
#endif

/*
 * The executor's single-row write paths (score/store.c): PostgreSQL 16 keeps
 * the permissions of a range table apart and gives EvalPlanQualInit the
 * result relations.
 */
#if PG_VERSION_NUM >= 160000
#include "parser/parse_relation.h"
#define BankcrmInitRangeTable(estate, rte) \
	do { \
		List	   *perminfos_ = NIL; \
		addRTEPermissionInfo(&perminfos_, (rte)); \
		ExecInitRangeTable((estate), list_make1(rte), perminfos_); \
	} while (0)
#define BankcrmEvalPlanQualInit(epq, estate) \
	EvalPlanQualInit((epq), (estate), NULL, NIL, -1, NIL)
#else
#define BankcrmInitRangeTable(estate, rte) \
	ExecInitRangeTable((estate), list_make1(rte))
#define BankcrmEvalPlanQualInit(epq, estate) \
	EvalPlanQualInit((epq), (estate), NULL, NIL, -1)
#endif

/* index entries of an inserted row (16 adds "only summarizing indexes") */
#if PG_VERSION_NUM >= 160000
#define BankcrmInsertIndexTuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL, false)
#else
#define BankcrmInsertIndexTuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL)
#endif

#endif							/* BANKCRM_COMPAT_H */
