/*-------------------------------------------------------------------------
 *
 * md5.c
 *	  MD5 message digest (RFC 1321), for the AMI challenge login.
 *
 * Asterisk's MD5 login sends md5hex(challenge || secret) instead of the
 * secret.  ami.c must build without PostgreSQL headers or OpenSSL, so this
 * small implementation is its own: plain C99, no allocation, byte order
 * handled explicitly so it gives the same digest on any host.  It is not
 * meant for anything security-critical beyond what AMI itself asks for.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/md5.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "md5.h"

static void md5_block(uint32_t state[4], const unsigned char block[64]);

#define MD5_ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
	0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
	0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
	0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
	0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391
};

static const unsigned char md5_r[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21
};

/* start a digest */
void
AmiMd5Init(AmiMd5Ctx *ctx)
{
	ctx->state[0] = 0x67452301;
	ctx->state[1] = 0xefcdab89;
	ctx->state[2] = 0x98badcfe;
	ctx->state[3] = 0x10325476;
	ctx->nbytes = 0;
	ctx->blen = 0;
}

/* one 64-byte block; words are little-endian regardless of the host */
static void
md5_block(uint32_t state[4], const unsigned char block[64])
{
	uint32_t	m[16];
	uint32_t	a = state[0],
				b = state[1],
				c = state[2],
				d = state[3];
	int			i;

	for (i = 0; i < 16; i++)
		m[i] = (uint32_t) block[i * 4] |
			((uint32_t) block[i * 4 + 1] << 8) |
			((uint32_t) block[i * 4 + 2] << 16) |
			((uint32_t) block[i * 4 + 3] << 24);

	for (i = 0; i < 64; i++)
	{
		uint32_t	f;
		int			g;
		uint32_t	tmp;

		if (i < 16)
		{
			f = (b & c) | (~b & d);
			g = i;
		}
		else if (i < 32)
		{
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		}
		else if (i < 48)
		{
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		}
		else
		{
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		tmp = d;
		d = c;
		c = b;
		b = b + MD5_ROTL(a + f + md5_k[i] + m[g], md5_r[i]);
		a = tmp;
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
}

/* add data[0..len) */
void
AmiMd5Update(AmiMd5Ctx *ctx, const void *data, size_t len)
{
	const unsigned char *p = data;

	ctx->nbytes += len;
	while (len > 0)
	{
		size_t		n = 64 - ctx->blen;

		if (n > len)
			n = len;
		memcpy(ctx->block + ctx->blen, p, n);
		ctx->blen += n;
		p += n;
		len -= n;
		if (ctx->blen == 64)
		{
			md5_block(ctx->state, ctx->block);
			ctx->blen = 0;
		}
	}
}

/* finish: pad, append the bit length, emit the 16-byte digest */
void
AmiMd5Final(AmiMd5Ctx *ctx, unsigned char digest[16])
{
	uint64_t	bits = ctx->nbytes * 8;
	unsigned char pad[72];
	size_t		padlen;
	int			i;

	padlen = (ctx->blen < 56) ? 56 - ctx->blen : 120 - ctx->blen;
	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char) (bits >> (8 * i));
	AmiMd5Update(ctx, pad, padlen + 8);
	for (i = 0; i < 4; i++)
	{
		digest[i * 4] = (unsigned char) ctx->state[i];
		digest[i * 4 + 1] = (unsigned char) (ctx->state[i] >> 8);
		digest[i * 4 + 2] = (unsigned char) (ctx->state[i] >> 16);
		digest[i * 4 + 3] = (unsigned char) (ctx->state[i] >> 24);
	}
}

/* finish and write the digest as 32 lower-case hex digits and a NUL */
void
AmiMd5FinalHex(AmiMd5Ctx *ctx, char out[33])
{
	unsigned char digest[16];
	static const char hex[] = "0123456789abcdef";
	int			i;

	AmiMd5Final(ctx, digest);
	for (i = 0; i < 16; i++)
	{
		out[i * 2] = hex[digest[i] >> 4];
		out[i * 2 + 1] = hex[digest[i] & 0x0f];
	}
	out[32] = '\0';
}
