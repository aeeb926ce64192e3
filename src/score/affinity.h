/*-------------------------------------------------------------------------
 *
 * affinity.h
 *	  Product affinity rules, counted over a run's parties and stored.
 *
 * Layer: storage (score/), with one SQL entry point
 * (product_affinity_refresh).  May call read.c, model.c, table.c, alloc.c
 * and score.c; store.c calls it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/affinity.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_AFFINITY_H
#define BANKCRM_SCORE_AFFINITY_H

#include "score/run.h"

extern int64 ScoreAffinityStore(ScoreRun *run, const int8 *tiers);

#endif							/* BANKCRM_SCORE_AFFINITY_H */
