/*-------------------------------------------------------------------------
 *
 * alloc.h
 *	  The memory of a run's large arrays.
 *
 * Layer: pure computation (score/).  Calls only PostgreSQL's memory
 * contexts; no SPI, no executor.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/alloc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_ALLOC_H
#define BANKCRM_SCORE_ALLOC_H

extern void *ScoreAlloc(Size size);
extern void ScoreFree(void *p, Size size);
extern void *ScoreGrow(void *p, Size size, Size new_size);

#endif							/* BANKCRM_SCORE_ALLOC_H */
