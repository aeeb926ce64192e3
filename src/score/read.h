/*-------------------------------------------------------------------------
 *
 * read.h
 *	  A run: its start and end, and every party's inputs read through the
 *	  executor.
 *
 * Layer: storage (score/).  Reads the bank's tables through SPI into a
 * ScoreRun; may call model.c, compute.c, alloc.c and score.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/read.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_READ_H
#define BANKCRM_SCORE_READ_H

#include "score/run.h"

/* a function of ScoreQuery that takes one row */
typedef void (*ScoreRowFunc) (ScoreRun *run, TupleTableSlot *slot, void *arg);

extern void ScoreRunInit(ScoreRun *run, FunctionCallInfo fcinfo);
extern void ScoreRunEnd(ScoreRun *run);
extern void ScoreRunCompute(ScoreRun *run);
extern void ScoreRunHoldings(ScoreRun *run);
extern void ScoreRunStoredTiers(ScoreRun *run, int8 *tiers);
extern ScoreParty *ScoreRunFindParty(ScoreRun *run, int64 party_id);
extern int32 ScoreRunFindIndex(ScoreRun *run, int64 party_id);
extern bool ScoreNumericScaled(Datum d, int scale, int128 *out);
extern const char *ScoreNspName(ScoreRun *run);
extern void ScoreQuery(ScoreRun *run, const char *sql, const char *columns, int ncols, int nargs,
					   Oid *argtypes, Datum *args, ScoreRowFunc fn, void *arg);
extern void ScoreReadTable(ScoreRun *run, const char *table, bool model, const char *columns,
						   int ncols, ScoreRowFunc fn, void *arg);
extern int64 ScoreCentsToInt64(int128 x, const char *what);
extern int64 ScoreDoubleToCents(double x, const char *what);
extern Datum ScoreCentsDatum(int64 cents);

#endif							/* BANKCRM_SCORE_READ_H */
