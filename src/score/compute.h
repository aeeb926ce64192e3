/*-------------------------------------------------------------------------
 *
 * compute.h
 *	  The formulas of score.c applied to every party of a run, and the RFM
 *	  quintiles.
 *
 * Layer: pure computation (score/).  Works on a ScoreRun in memory; may
 * call score.c and alloc.c, never SPI or the executor.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/compute.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_COMPUTE_H
#define BANKCRM_SCORE_COMPUTE_H

#include "score/run.h"

extern void ScoreComputeParties(ScoreRun *run);
extern void ScoreComputeQuintiles(ScoreRun *run);

#endif							/* BANKCRM_SCORE_COMPUTE_H */
