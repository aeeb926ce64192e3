/*-------------------------------------------------------------------------
 *
 * fuzz_ami.c
 *	  libFuzzer target for the AMI parser and builder (src/dialer/ami.c).
 *
 * Input layout: byte 0 holds flags (bit 0: parse without a banner), bytes
 * 1..3 are chunk sizes (each taken modulo 97, plus one) used in turn to cut
 * the rest of the input into AmiParserFeed calls.  The same stream is also
 * parsed in one piece; both runs must report the same sequence of banners,
 * messages and errors.  Every message is checked against the limits and
 * every slice must lie inside the parser's own buffer.  After an error the
 * parser must refuse further input until reset.  Finally the first line of
 * the stream is offered to the builder as a header value: if accepted, the
 * action must parse back to the same value.
 *
 * Seeds: test/fuzz/corpus/ami/ (the transcripts' server side, CRLF).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/fuzz/fuzz_ami.c
 *
 *-------------------------------------------------------------------------
 */
#include "../../src/dialer/ami.c"
#include "../../src/dialer/md5.c"

#include <stdlib.h>

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "fuzz_ami: invariant failed: %s (line %d)\n", #cond, __LINE__); \
			abort(); \
		} \
	} while (0)

static AmiParser chunked;
static AmiParser whole;
static AmiParser back;

/* FNV-1a over the results, to compare two runs */
static uint64_t
mix(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static bool
inside(const AmiParser *p, const char *s, size_t len)
{
	const char *lo = p->buf;
	const char *hi = p->buf + sizeof(p->buf);

	return s >= lo && s < hi && len < (size_t) (hi - s);
}

static uint64_t
check_message(const AmiParser *p, uint64_t h)
{
	const AmiMessage *m = AmiParserMessage(p);
	size_t		total = 0;
	int			i;

	FUZZ_CHECK(m != NULL);
	FUZZ_CHECK(m->nheaders >= 1 && m->nheaders <= AMI_MAX_HEADERS);
	for (i = 0; i < m->nheaders; i++)
	{
		const AmiHeader *hd = &m->headers[i];

		FUZZ_CHECK(inside(p, hd->key, hd->key_len));
		FUZZ_CHECK(inside(p, hd->value, hd->value_len));
		FUZZ_CHECK(hd->key_len >= 1);
		FUZZ_CHECK(hd->key[hd->key_len] == '\0');
		FUZZ_CHECK(hd->value[hd->value_len] == '\0');
		FUZZ_CHECK(strlen(hd->key) == hd->key_len);
		FUZZ_CHECK(strlen(hd->value) == hd->value_len);
		FUZZ_CHECK(memchr(hd->key, ':', hd->key_len) == NULL);
		FUZZ_CHECK(memchr(hd->value, '\r', hd->value_len) == NULL);
		FUZZ_CHECK(memchr(hd->value, '\n', hd->value_len) == NULL);
		FUZZ_CHECK(hd->key_len + 1 + hd->value_len <= AMI_MAX_LINE);
		total += hd->key_len + hd->value_len + 2;
		FUZZ_CHECK(AmiMessageGet(m, hd->key) != NULL);
		h = mix(h, hd->key, hd->key_len + 1);
		h = mix(h, hd->value, hd->value_len + 1);
	}
	FUZZ_CHECK(total <= AMI_MAX_MESSAGE);
	(void) AmiMessageKind(m);
	(void) AmiMessageResponse(m);
	return h;
}

/* run the parser over the stream; chunks == NULL means one piece */
static uint64_t
run(AmiParser *p, int flags, const char *data, size_t len, const uint8_t *chunks,
	int *nresults)
{
	uint64_t	h = 14695981039346656037ULL;
	size_t		off = 0;
	int			k = 0;

	AmiParserInit(p, flags);
	*nresults = 0;
	while (off < len)
	{
		size_t		n = len - off;
		size_t		pos = 0;

		if (chunks != NULL)
		{
			size_t		c = (size_t) (chunks[k++ % 3] % 97) + 1;

			if (c < n)
				n = c;
		}
		while (pos < n)
		{
			size_t		used = 12345;
			AmiResult	r = AmiParserFeed(p, data + off + pos, n - pos, &used);
			unsigned char tag = (unsigned char) r;

			FUZZ_CHECK(used <= n - pos);
			pos += used;
			if (r == AMI_NEED_MORE)
			{
				FUZZ_CHECK(pos == n);
				FUZZ_CHECK(AmiParserMessage(p) == NULL);
				continue;
			}
			(*nresults)++;
			h = mix(h, &tag, 1);
			if (r == AMI_BANNER)
			{
				const char *b = AmiParserBanner(p);

				FUZZ_CHECK(b != NULL && strstr(b, "Call Manager/") != NULL);
				FUZZ_CHECK(strlen(b) <= AMI_MAX_LINE);
				h = mix(h, b, strlen(b));
			}
			else if (r == AMI_MESSAGE)
				h = check_message(p, h);
			else
			{
				AmiError	e = AmiParserError(p);
				size_t		again;

				FUZZ_CHECK(r == AMI_ERROR);
				FUZZ_CHECK(e != AMI_OK);
				FUZZ_CHECK(strcmp(AmiErrorMessage(e), "unknown error") != 0);
				h = mix(h, &e, sizeof(e));
				/* the absolute position of the error is part of the result */
				{
					size_t		at = off + pos;

					h = mix(h, &at, sizeof(at));
				}
				/* sticky until reset */
				FUZZ_CHECK(AmiParserFeed(p, "Event: X\r\n\r\n", 12, &again) == AMI_ERROR);
				FUZZ_CHECK(again == 0);
				FUZZ_CHECK(AmiParserMessage(p) == NULL);
				return h;
			}
		}
		off += n;
	}
	return h;
}

/* a header value built from fuzz bytes either is refused or round-trips */
static void
builder_round_trip(const char *data, size_t len)
{
	char		out[AMI_MAX_LINE + 64];
	size_t		outlen;
	size_t		used;
	AmiBuilder	b;
	AmiError	e;
	char		redacted[256];

	if (len > AMI_MAX_LINE - 16)
		len = AMI_MAX_LINE - 16;
	AmiActionBegin(&b, out, sizeof(out), "Fuzz");
	AmiActionAddN(&b, "Value", data, len);
	e = AmiActionEnd(&b, &outlen);
	if (memchr(data, '\r', len) || memchr(data, '\n', len) || memchr(data, '\0', len))
	{
		FUZZ_CHECK(e == AMI_ERR_BAD_VALUE);
		FUZZ_CHECK(outlen == 0);
		return;
	}
	FUZZ_CHECK(e == AMI_OK);
	FUZZ_CHECK(outlen == strlen(out));
	AmiParserInit(&back, AMI_PARSER_NO_BANNER);
	FUZZ_CHECK(AmiParserFeed(&back, out, outlen, &used) == AMI_MESSAGE);
	FUZZ_CHECK(used == outlen);
	{
		const AmiMessage *m = AmiParserMessage(&back);
		const char *v = AmiMessageGet(m, "Value");
		size_t		expect_len = len;
		const char *expect = data;

		FUZZ_CHECK(m->nheaders == 2);
		FUZZ_CHECK(v != NULL);
		/* the parser drops one space after the colon; the builder wrote one */
		FUZZ_CHECK(strlen(v) == expect_len && memcmp(v, expect, expect_len) == 0);
	}
	FUZZ_CHECK(AmiRedactForLog(out, outlen, redacted, sizeof(redacted)) ||
			   strlen(redacted) == sizeof(redacted) - 1);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			flags;
	const char *stream;
	size_t		len;
	int			n1;
	int			n2;
	uint64_t	h1;
	uint64_t	h2;

	if (size < 4)
		return 0;
	flags = (data[0] & 1) ? AMI_PARSER_NO_BANNER : 0;
	stream = (const char *) data + 4;
	len = size - 4;

	h1 = run(&chunked, flags, stream, len, data + 1, &n1);
	h2 = run(&whole, flags, stream, len, NULL, &n2);
	FUZZ_CHECK(n1 == n2);
	FUZZ_CHECK(h1 == h2);

	{
		const char *eol = memchr(stream, '\n', len);

		builder_round_trip(stream, eol ? (size_t) (eol - stream) : len);
	}
	return 0;
}
