/*-------------------------------------------------------------------------
 *
 * md5.h
 *	  MD5 message digest (RFC 1321), for the AMI challenge login.
 *
 * Plain C99, no PostgreSQL headers, no allocation.  Used by ami.c
 * (AmiLoginKey, AmiMd5Hex); see md5.c.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/md5.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_MD5_H
#define BANKCRM_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct AmiMd5Ctx
{
	uint32_t	state[4];
	uint64_t	nbytes;
	unsigned char block[64];
	size_t		blen;
} AmiMd5Ctx;

extern void AmiMd5Init(AmiMd5Ctx *ctx);
extern void AmiMd5Update(AmiMd5Ctx *ctx, const void *data, size_t len);
extern void AmiMd5Final(AmiMd5Ctx *ctx, unsigned char digest[16]);
extern void AmiMd5FinalHex(AmiMd5Ctx *ctx, char out[33]);

#endif							/* BANKCRM_MD5_H */
