/*-------------------------------------------------------------------------
 *
 * model.h
 *	  A scoring model's row and what is derived from it, read into a run.
 *
 * Layer: storage (score/).  Reads the model's tables through SPI; may call
 * score.c (the parameter checks).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/score/model.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SCORE_MODEL_H
#define BANKCRM_SCORE_MODEL_H

#include "score/run.h"

/* the channels of contact.channel, as the model prices them */
extern const char *const score_channel_names[SCORE_NCHANNELS];

extern void ScoreRunModel(ScoreRun *run, const char *model);

#endif							/* BANKCRM_SCORE_MODEL_H */
