/*-------------------------------------------------------------------------
 *
 * table.h
 *	  Where a table of the extension's schema keeps its rows, its statistics,
 *	  and the arrays a run passes to SQL.
 *
 * Layer: storage (score/).  Reads the catalogues; may include score/run.h.
 * Called by store.c and affinity.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/table.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_TABLE_H
#define BANKCRM_SCORE_TABLE_H

#include "score/run.h"

/* where a table's rows are, for writing them */
typedef enum TablePlace
{
	PLACE_HERE,					/* a plain table on this node */
	PLACE_PARTITIONED,			/* a partitioned table on this node */
	PLACE_CITUS					/* distributed by Citus (listed in pg_dist_partition) */
} TablePlace;

extern TablePlace ScoreTablePlace(ScoreRun *run, const char *table);
extern void ScoreAnalyze(ScoreRun *run, const char *table);
extern Datum ScoreArrayOf(Datum *values, bool *nulls, int n, Oid type);

#endif							/* BANKCRM_SCORE_TABLE_H */
