/*-------------------------------------------------------------------------
 *
 * segment.h
 *	  The checker of expressions over party_features (src/segment.c), for
 *	  the files that take such expressions from users.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/segment.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_SEGMENT_H
#define BANKCRM_SEGMENT_H

#include "nodes/nodes.h"

extern Node *SegmentCheckExpression(const char *rule, Oid extschema, bool numeric);

#endif							/* BANKCRM_SEGMENT_H */
