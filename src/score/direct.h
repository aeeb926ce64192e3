/*-------------------------------------------------------------------------
 *
 * direct.h
 *	  Rows written through the executor's single-row entry points.
 *
 * Layer: storage (score/).  Opens relations and writes heap rows with
 * their indexes and triggers; calls nothing else of the module.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/direct.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_DIRECT_H
#define BANKCRM_SCORE_DIRECT_H

#include "access/attnum.h"
#include "nodes/nodes.h"
#include "storage/itemptr.h"

typedef struct ScoreDirect ScoreDirect;
extern ScoreDirect *ScoreDirectBegin(Oid relid, CmdType cmd, const AttrNumber *atts, int ncols);
extern void ScoreDirectUpdate(ScoreDirect *d, ItemPointer tid, const AttrNumber *atts, int ncols,
							  const Datum *values, const bool *nulls);
extern void ScoreDirectInsert(ScoreDirect *d, const Datum *values, const bool *nulls);
extern void ScoreDirectEnd(ScoreDirect *d);

#endif							/* BANKCRM_SCORE_DIRECT_H */
