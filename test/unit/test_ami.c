/*-------------------------------------------------------------------------
 *
 * test_ami.c
 *	  Unit tests for the AMI parser, builder, MD5 login, log redaction and
 *	  outcome mapping (src/dialer/ami.c).
 *
 * The server side ("<< " lines) of every transcript in test/ami_sim/transcripts
 * is turned into CRLF bytes and fed in chunks of 1, 2, 3, 7, 64 bytes and in
 * one piece; every chunking must give the same messages, and re-serialising
 * them must give back the exact bytes.  The client side (">> " lines) is the
 * reference for the builder.  Run from the repository root (test/run does).
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  test/unit/test_ami.c
 *
 *-------------------------------------------------------------------------
 */
#include "../../src/dialer/ami.c"
#include "../../src/dialer/md5.c"

#include <stdlib.h>

#define TRANSCRIPTS "test/ami_sim/transcripts/"

#include "unit.h"

/* a growable byte string for the test side (the library itself allocates nothing) */
typedef struct Bytes
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Bytes;

static void
bytes_put(Bytes *b, const char *data, size_t len)
{
	if (b->len + len + 1 > b->cap)
	{
		b->cap = (b->len + len + 1) * 2;
		b->data = realloc(b->data, b->cap);
		if (b->data == NULL)
			abort();
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void
bytes_puts(Bytes *b, const char *s)
{
	bytes_put(b, s, strlen(s));
}

static char *
read_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	Bytes		b = {0};
	char		chunk[4096];
	size_t		n;

	if (f == NULL)
	{
		fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		bytes_put(&b, chunk, n);
	fclose(f);
	if (b.data == NULL)
		bytes_puts(&b, "");
	return b.data;
}

/* the lines of one side ("<< " or ">> ") of a transcript, CRLF-terminated */
static Bytes
transcript_side(const char *text, const char *prefix)
{
	Bytes		out = {0};
	const char *p = text;

	while (*p)
	{
		const char *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);

		if (len >= 3 && strncmp(p, prefix, 3) == 0)
		{
			bytes_put(&out, p + 3, len - 3);
			bytes_puts(&out, "\r\n");
		}
		p += len + (eol ? 1 : 0);
	}
	if (out.data == NULL)
		bytes_puts(&out, "");
	return out;
}

/*
 * Feed data in chunks of `chunk` bytes (0 = all at once); return the banner
 * plus every message re-serialised as "Key: Value\r\n...\r\n", and count
 * the messages.  Returns the final result of the last call.
 */
static AmiResult
parse_all(AmiParser *p, const char *data, size_t len, size_t chunk, Bytes *out,
		  int *nmessages)
{
	size_t		off = 0;
	AmiResult	last = AMI_NEED_MORE;

	*nmessages = 0;
	while (off < len)
	{
		size_t		n = (chunk == 0 || len - off < chunk) ? len - off : chunk;
		size_t		pos = 0;

		while (pos < n)
		{
			size_t		used;

			last = AmiParserFeed(p, data + off + pos, n - pos, &used);
			CHECK(used <= n - pos);
			pos += used;
			if (last == AMI_ERROR)
				return last;
			if (last == AMI_BANNER)
			{
				bytes_puts(out, AmiParserBanner(p));
				bytes_puts(out, "\r\n");
			}
			else if (last == AMI_MESSAGE)
			{
				const AmiMessage *m = AmiParserMessage(p);
				int			i;

				CHECK(m != NULL);
				(*nmessages)++;
				for (i = 0; i < m->nheaders; i++)
				{
					CHECK(strlen(m->headers[i].key) == m->headers[i].key_len);
					CHECK(strlen(m->headers[i].value) == m->headers[i].value_len);
					bytes_puts(out, m->headers[i].key);
					bytes_puts(out, ": ");
					bytes_puts(out, m->headers[i].value);
					bytes_puts(out, "\r\n");
				}
				bytes_puts(out, "\r\n");
			}
			else
				CHECK(pos == n);	/* NEED_MORE used everything */
		}
		off += n;
	}
	return last;
}

/* feed a whole string, expect one message, return it (valid until next feed) */
static const AmiMessage *
parse_one(AmiParser *p, const char *s)
{
	size_t		used;
	AmiResult	r = AmiParserFeed(p, s, strlen(s), &used);

	if (r != AMI_MESSAGE)
		return NULL;
	return AmiParserMessage(p);
}

static const struct
{
	const char *file;
	int			messages;
} transcripts[] = {
	{"01-login.txt", 3},
	{"02-login-failed.txt", 1},
	{"03-md5-login.txt", 4},
	{"04-originate-answered.txt", 33},
	{"05-originate-busy.txt", 26},
	{"06-originate-noanswer.txt", 27},
	{"07-originate-congestion.txt", 26},
	{"08-originate-nonexistent.txt", 18},
	{"09-originate-malformed.txt", 4},
	{"10-events-off-ping.txt", 6},
	/* predictive mode: QueueAdd, AMD's UserEvent, Queue(), AgentConnect */
	{"12-predictive-queue-connected.txt", 127},
	{"13-predictive-machine.txt", 57},
	{"14-predictive-abandoned.txt", 57}
};

/* every transcript, every chunking: same messages, exact round trip */
static void
test_transcripts_parse(void)
{
	static const size_t chunks[] = {1, 2, 3, 7, 64, 0};
	static AmiParser p;
	size_t		t;
	size_t		c;

	for (t = 0; t < sizeof(transcripts) / sizeof(transcripts[0]); t++)
	{
		char		path[256];
		char	   *text;
		Bytes		server;

		snprintf(path, sizeof(path), TRANSCRIPTS "%s", transcripts[t].file);
		text = read_file(path);
		server = transcript_side(text, "<< ");
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
		{
			Bytes		out = {0};
			int			n;
			AmiResult	r;

			AmiParserInit(&p, 0);
			r = parse_all(&p, server.data, server.len, chunks[c], &out, &n);
			CHECK(r == AMI_MESSAGE);
			CHECK(n == transcripts[t].messages);
			CHECK(out.len == server.len && memcmp(out.data, server.data, server.len) == 0);
			CHECK_STR(AmiParserBanner(&p), "Asterisk Call Manager/11.0.0");
			if (n != transcripts[t].messages)
				fprintf(stderr, "  %s chunk %zu: %d messages\n", transcripts[t].file, chunks[c], n);
			free(out.data);
		}

		/* the same bytes with bare LF line endings give the same messages */
		{
			Bytes		lf = {0};
			Bytes		out = {0};
			size_t		i;
			int			n;

			for (i = 0; i < server.len; i++)
				if (server.data[i] != '\r')
					bytes_put(&lf, server.data + i, 1);
			AmiParserInit(&p, 0);
			CHECK(parse_all(&p, lf.data, lf.len, 5, &out, &n) == AMI_MESSAGE);
			CHECK(n == transcripts[t].messages);
			CHECK(out.len == server.len && memcmp(out.data, server.data, server.len) == 0);
			free(lf.data);
			free(out.data);
		}
		free(server.data);
		free(text);
	}
}

/* specific keys and values of the answered call, and message kinds */
static void
test_transcript_values(void)
{
	static AmiParser p;
	char	   *text = read_file(TRANSCRIPTS "04-originate-answered.txt");
	Bytes		server = transcript_side(text, "<< ");
	size_t		off = 0;
	int			n = 0;
	int			events = 0;
	int			responses = 0;
	bool		saw_originate_response = false;
	bool		saw_dialend = false;

	AmiParserInit(&p, 0);
	while (off < server.len)
	{
		size_t		used;
		AmiResult	r = AmiParserFeed(&p, server.data + off, server.len - off, &used);
		const AmiMessage *m;

		off += used;
		if (r == AMI_BANNER)
			continue;
		CHECK(r == AMI_MESSAGE);
		if (r != AMI_MESSAGE)
			break;
		m = AmiParserMessage(&p);
		n++;
		if (AmiMessageKind(m) == AMI_KIND_EVENT)
			events++;
		else if (AmiMessageKind(m) == AMI_KIND_RESPONSE)
			responses++;
		if (n == 1)
		{
			CHECK(AmiMessageResponse(m) == AMI_RESPONSE_SUCCESS);
			CHECK_STR(AmiMessageActionId(m), "login-1");
			CHECK_STR(AmiMessageGet(m, "message"), "Authentication accepted");
		}
		if (n == 3)
		{
			CHECK_STR(AmiMessageGet(m, "Message"), "Originate successfully queued");
			CHECK_STR(AmiMessageActionId(m), "att-1001");
		}
		if (AmiMessageIs(m, "newchannel") && n == 4)
		{
			CHECK_STR(AmiMessageGet(m, "Channel"), "Local/1001@crm-test-00000000;1");
			CHECK_STR(AmiMessageGet(m, "AccountCode"), "");
			CHECK_STR(AmiMessageGet(m, "CallerIDNum"), "<unknown>");
			CHECK_STR(AmiMessageGet(m, "Uniqueid"), "att-1001-a");
			CHECK(AmiMessageGet(m, "ActionID") == NULL);
		}
		if (AmiMessageIs(m, "DialEnd"))
		{
			saw_dialend = true;
			CHECK(!saw_originate_response);
			CHECK_STR(AmiMessageGet(m, "DialStatus"), "ANSWER");
			CHECK_STR(AmiMessageGet(m, "DestUniqueid"), "att-1001-a");
		}
		if (AmiMessageIs(m, "OriginateResponse"))
		{
			saw_originate_response = true;
			CHECK(saw_dialend);
			/* an event that also carries Response: it is an event */
			CHECK(AmiMessageKind(m) == AMI_KIND_EVENT);
			CHECK(AmiMessageResponse(m) == AMI_RESPONSE_NONE);
			CHECK_STR(AmiMessageGet(m, "Response"), "Success");
			CHECK_STR(AmiMessageActionId(m), "att-1001");
			CHECK_STR(AmiMessageGet(m, "Reason"), "4");
			CHECK_STR(AmiMessageGet(m, "Channel"), "Local/1001@crm-test-00000000;1");
			CHECK_STR(AmiMessageGet(m, "CallerIDName"), "Bank CRM");
		}
		if (AmiMessageIs(m, "NewCallerid") && AmiMessageGet(m, "CID-CallingPres"))
			CHECK_STR(AmiMessageGet(m, "CID-CallingPres"),
					  "0 (Presentation Allowed, Not Screened)");
		if (AmiMessageIs(m, "Hangup") && strcmp(AmiMessageGet(m, "Uniqueid"), "att-1001-b") == 0)
		{
			CHECK_STR(AmiMessageGet(m, "Cause"), "16");
			CHECK_STR(AmiMessageGet(m, "Cause-txt"), "Normal Clearing");
		}
		if (AmiMessageIs(m, "LocalBridge"))
			CHECK(m->nheaders == 33);
	}
	CHECK(n == 33);
	CHECK(responses == 3);
	CHECK(events == 30);
	CHECK(saw_originate_response);
	free(server.data);
	free(text);
}

/* split the client side into actions, as strings */
static int
client_actions(const char *file, char actions[][1024], int max)
{
	char		path[256];
	char	   *text;
	Bytes		client;
	int			n = 0;
	size_t		start = 0;
	size_t		i;

	snprintf(path, sizeof(path), TRANSCRIPTS "%s", file);
	text = read_file(path);
	client = transcript_side(text, ">> ");
	for (i = 0; i + 4 <= client.len && n < max; i++)
	{
		if (memcmp(client.data + i, "\r\n\r\n", 4) == 0)
		{
			size_t		len = i + 4 - start;

			if (len < 1024)
			{
				memcpy(actions[n], client.data + start, len);
				actions[n][len] = '\0';
				n++;
			}
			start = i + 4;
			i += 3;
		}
	}
	free(client.data);
	free(text);
	return n;
}

/* the builders give the transcripts' client bytes exactly */
static void
test_builder_transcripts(void)
{
	char		actions[8][1024];
	char		buf[1024];
	size_t		len;
	int			n;
	AmiBuilder	b;
	const char *vars[] = {"BANKCRM_ATTEMPT=att-1001"};
	AmiOriginate o = {0};

	n = client_actions("01-login.txt", actions, 8);
	CHECK(n == 2);
	CHECK(AmiBuildLoginPlain(buf, sizeof(buf), &len, "login-1", "crm", "crmsecret", NULL) == AMI_OK);
	CHECK_STR(buf, actions[0]);
	CHECK(len == strlen(actions[0]));
	CHECK(AmiBuildSimple(buf, sizeof(buf), &len, "Logoff", "bye-1") == AMI_OK);
	CHECK_STR(buf, actions[1]);

	n = client_actions("03-md5-login.txt", actions, 8);
	CHECK(n == 4);
	CHECK(AmiBuildChallenge(buf, sizeof(buf), &len, "ch-1") == AMI_OK);
	CHECK_STR(buf, actions[0]);
	/* the transcript's Key is MD5("632866649" + "crmsecret") */
	CHECK(AmiBuildLoginMd5(buf, sizeof(buf), &len, "login-2", "crm", "632866649",
						   "crmsecret", "off") == AMI_OK);
	CHECK_STR(buf, actions[1]);
	CHECK(strstr(buf, "crmsecret") == NULL);
	CHECK(AmiBuildSimple(buf, sizeof(buf), &len, "Ping", "ping-1") == AMI_OK);
	CHECK_STR(buf, actions[2]);

	n = client_actions("04-originate-answered.txt", actions, 8);
	CHECK(n == 3);
	o.action_id = "att-1001";
	o.channel = "Local/1001@crm-test";
	o.context = "crm-agent";
	o.exten = "2001";
	o.priority = "1";
	o.timeout_ms = 10000;
	o.caller_id = "\"Bank CRM\" <95599>";
	o.variables = vars;
	o.nvariables = 1;
	o.channel_id = "att-1001-a";
	o.other_channel_id = "att-1001-b";
	o.async = true;
	CHECK(AmiBuildOriginate(buf, sizeof(buf), &len, &o) == AMI_OK);
	CHECK_STR(buf, actions[1]);
	CHECK(len == strlen(actions[1]));

	/* exactly the size it needs (plus the NUL): fits; one byte less: refused */
	{
		size_t		need = len + 1;
		char		small[1024];

		CHECK(AmiBuildOriginate(small, need, &len, &o) == AMI_OK);
		CHECK_STR(small, actions[1]);
		CHECK(AmiBuildOriginate(small, need - 1, &len, &o) == AMI_ERR_OVERFLOW);
		CHECK(len == 0);
		CHECK(small[0] == '\0');
	}

	n = client_actions("09-originate-malformed.txt", actions, 8);
	CHECK(n == 3);
	AmiActionBegin(&b, buf, sizeof(buf), "Originate");
	AmiActionAdd(&b, "ActionID", "bad-1");
	AmiActionAdd(&b, "Context", "crm-agent");
	AmiActionAdd(&b, "Exten", "2001");
	AmiActionAdd(&b, "Priority", "1");
	AmiActionAdd(&b, "Async", "true");
	CHECK(AmiActionEnd(&b, &len) == AMI_OK);
	CHECK_STR(buf, actions[1]);

	n = client_actions("10-events-off-ping.txt", actions, 8);
	CHECK(n == 5);
	AmiActionBegin(&b, buf, sizeof(buf), "Events");
	AmiActionAdd(&b, "ActionID", "ev-1");
	AmiActionAdd(&b, "EventMask", "off");
	CHECK(AmiActionEnd(&b, &len) == AMI_OK);
	CHECK_STR(buf, actions[1]);
	CHECK(AmiBuildSimple(buf, sizeof(buf), &len, "NoSuchAction", "nsa-1") == AMI_OK);
	CHECK_STR(buf, actions[3]);

	/* built actions parse back (server side of the protocol) */
	{
		static AmiParser p;
		const AmiMessage *m;

		AmiParserInit(&p, AMI_PARSER_NO_BANNER);
		m = parse_one(&p, actions[1]);
		CHECK(m != NULL);
		CHECK(AmiMessageKind(m) == AMI_KIND_ACTION);
		CHECK_STR(AmiMessageGet(m, "EventMask"), "off");
	}
}

/* header injection and every builder error */
static void
test_builder_errors(void)
{
	char		buf[256];
	size_t		len = 99;
	AmiBuilder	b;
	const char *bad_values[] = {"a\r\nAction: Logoff", "x\n", "x\r", "\r\n"};
	const char *bad_keys[] = {"", "Bad Key", "Key:", "K\r\n", "K\n", "K\t", "\x7f", "Ä"};
	size_t		i;

	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
	{
		AmiActionBegin(&b, buf, sizeof(buf), "Originate");
		CHECK(AmiActionAdd(&b, "Channel", bad_values[i]) == AMI_ERR_BAD_VALUE);
		/* sticky: later good headers do not resurrect the action */
		CHECK(AmiActionAdd(&b, "ActionID", "x") == AMI_ERR_BAD_VALUE);
		CHECK(AmiActionEnd(&b, &len) == AMI_ERR_BAD_VALUE);
		CHECK(len == 0);
		CHECK(buf[0] == '\0');
	}
	for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++)
	{
		AmiActionBegin(&b, buf, sizeof(buf), "Ping");
		CHECK(AmiActionAdd(&b, bad_keys[i], "v") == AMI_ERR_BAD_KEY);
		CHECK(AmiActionEnd(&b, &len) == AMI_ERR_BAD_KEY);
		CHECK(len == 0);
	}

	/* an embedded NUL is refused, not silently cut */
	AmiActionBegin(&b, buf, sizeof(buf), "Ping");
	CHECK(AmiActionAddN(&b, "ActionID", "ab\0cd", 5) == AMI_ERR_BAD_VALUE);
	CHECK(AmiActionEnd(&b, &len) == AMI_ERR_BAD_VALUE);
	AmiActionBegin(&b, buf, sizeof(buf), "Ping");
	CHECK(AmiActionAddN(&b, "ActionID", "abcd", 2) == AMI_OK);
	CHECK(AmiActionEnd(&b, &len) == AMI_OK);
	CHECK_STR(buf, "Action: Ping\r\nActionID: ab\r\n\r\n");

	/* a bad action name, NULL arguments */
	CHECK(AmiActionBegin(&b, buf, sizeof(buf), "Ping\r\nSecret: x") == AMI_ERR_BAD_VALUE);
	CHECK(AmiActionEnd(&b, &len) == AMI_ERR_BAD_VALUE);
	CHECK(AmiActionBegin(&b, buf, sizeof(buf), NULL) == AMI_ERR_ARGUMENT);
	CHECK(AmiActionEnd(&b, &len) == AMI_ERR_ARGUMENT);
	CHECK(AmiActionBegin(&b, NULL, 10, "Ping") == AMI_ERR_ARGUMENT);
	CHECK(AmiActionEnd(&b, &len) == AMI_ERR_ARGUMENT);
	AmiActionBegin(&b, buf, sizeof(buf), "Ping");
	CHECK(AmiActionAdd(&b, "ActionID", NULL) == AMI_ERR_ARGUMENT);
	CHECK(AmiActionEnd(&b, &len) == AMI_ERR_ARGUMENT);
	AmiActionBegin(&b, buf, sizeof(buf), "Ping");
	CHECK(AmiActionAdd(&b, NULL, "x") == AMI_ERR_ARGUMENT);
	CHECK(AmiActionEnd(&b, &len) == AMI_ERR_ARGUMENT);

	/* order: Add or End after End */
	AmiActionBegin(&b, buf, sizeof(buf), "Ping");
	CHECK(AmiActionEnd(&b, &len) == AMI_OK);
	CHECK_STR(buf, "Action: Ping\r\n\r\n");
	CHECK(len == 16);
	CHECK(AmiActionAdd(&b, "ActionID", "x") == AMI_ERR_STATE);
	CHECK(AmiActionEnd(&b, &len) == AMI_ERR_STATE);
	CHECK_STR(buf, "Action: Ping\r\n\r\n");

	/* overflow at every size: never a truncated action */
	for (i = 1; i <= 30; i++)
	{
		char		small[64];
		AmiError	e;

		memset(small, 'z', sizeof(small));
		/* "Action: Ping\r\nActionID: p-1\r\n\r\n" is 31 bytes, plus the NUL */
		e = AmiBuildSimple(small, i, &len, "Ping", "p-1");
		CHECK(e == AMI_ERR_OVERFLOW);
		CHECK(len == 0);
		CHECK(small[0] == '\0');
	}
	CHECK(AmiBuildSimple(buf, 32, &len, "Ping", "p-1") == AMI_OK);
	CHECK(len == 31);
	CHECK(AmiBuildSimple(buf, 31, &len, "Ping", "p-1") == AMI_ERR_OVERFLOW);

	/* helpers check their arguments */
	CHECK(AmiBuildLoginMd5(buf, sizeof(buf), &len, "l", NULL, "1", "s", NULL) == AMI_ERR_ARGUMENT);
	CHECK(AmiBuildLoginMd5(buf, sizeof(buf), &len, "l", "u", "", "s", NULL) == AMI_ERR_ARGUMENT);
	CHECK(AmiBuildLoginPlain(buf, sizeof(buf), &len, "l", "", "s", NULL) == AMI_ERR_ARGUMENT);
	CHECK(AmiBuildLoginPlain(buf, sizeof(buf), &len, "l", "u", "s\r\nEvents: on", NULL) == AMI_ERR_BAD_VALUE);
	CHECK(AmiBuildLoginPlain(buf, sizeof(buf), &len, NULL, "u", "s", "on") == AMI_OK);
	CHECK_STR(buf, "Action: Login\r\nUsername: u\r\nSecret: s\r\nEvents: on\r\n\r\n");
	{
		AmiOriginate o = {0};

		CHECK(AmiBuildOriginate(buf, sizeof(buf), &len, &o) == AMI_ERR_ARGUMENT);
		CHECK(AmiBuildOriginate(buf, sizeof(buf), &len, NULL) == AMI_ERR_ARGUMENT);
		o.action_id = "a";
		o.channel = "Local/1@x";
		o.nvariables = 1;
		CHECK(AmiBuildOriginate(buf, sizeof(buf), &len, &o) == AMI_ERR_ARGUMENT);
		o.nvariables = 0;
		CHECK(AmiBuildOriginate(buf, sizeof(buf), &len, &o) == AMI_OK);
		CHECK_STR(buf, "Action: Originate\r\nActionID: a\r\nChannel: Local/1@x\r\n\r\n");
		o.caller_id = "x\ny";
		CHECK(AmiBuildOriginate(buf, sizeof(buf), &len, &o) == AMI_ERR_BAD_VALUE);
	}
}

/* feed a string; return the result of the first non-NEED_MORE call or NEED_MORE */
static AmiResult
feed_str(AmiParser *p, const char *s, size_t len, size_t *total_used)
{
	size_t		off = 0;

	*total_used = 0;
	while (off < len)
	{
		size_t		used;
		AmiResult	r = AmiParserFeed(p, s + off, len - off, &used);

		off += used;
		*total_used = off;
		if (r != AMI_NEED_MORE && r != AMI_BANNER)
			return r;
	}
	return AMI_NEED_MORE;
}

/* framing rules: bare LF, blank lines, colon handling, repeated keys */
static void
test_parser_framing(void)
{
	static AmiParser p;
	const AmiMessage *m;
	size_t		used;
	AmiResult	r;

	/* banner must come first; no blank line after it */
	AmiParserInit(&p, 0);
	CHECK(AmiParserBanner(&p) == NULL);
	r = AmiParserFeed(&p, "Asterisk Call Manager/11.0.0\r\nResponse: Success\r\n\r\n", 52, &used);
	CHECK(r == AMI_BANNER);
	CHECK(used == 30);
	CHECK_STR(AmiParserBanner(&p), "Asterisk Call Manager/11.0.0");
	CHECK(AmiParserMessage(&p) == NULL);
	r = AmiParserFeed(&p, "Response: Success\r\n\r\n", 21, &used);
	CHECK(r == AMI_MESSAGE);
	CHECK(used == 21);

	/* other Call Manager banners are fine */
	AmiParserInit(&p, 0);
	CHECK(AmiParserFeed(&p, "Asterisk Call Manager/1.1\n", 26, &used) == AMI_BANNER);

	AmiParserInit(&p, AMI_PARSER_NO_BANNER);
	/* blank lines between messages are skipped; bare LF accepted; mixed endings */
	m = parse_one(&p, "\r\n\n\r\nEvent: X\nA:1\r\nB:  two\r\nC: x: y: z\r\nA: again\nD:\r\nE: \n\r\n");
	CHECK(m != NULL);
	if (m)
	{
		CHECK(m->nheaders == 7);
		CHECK_STR(AmiMessageEvent(m), "X");
		CHECK_STR(AmiMessageGet(m, "a"), "1");
		CHECK_STR(AmiMessageGetNth(m, "A", 0), "1");
		CHECK_STR(AmiMessageGetNth(m, "A", 1), "again");
		CHECK(AmiMessageGetNth(m, "A", 2) == NULL);
		CHECK(AmiMessageGetNth(m, "A", -1) == NULL);
		CHECK(AmiMessageCount(m, "a") == 2);
		CHECK(AmiMessageCount(m, "nope") == 0);
		CHECK_STR(AmiMessageGet(m, "B"), " two");
		CHECK_STR(AmiMessageGet(m, "C"), "x: y: z");
		CHECK_STR(AmiMessageGet(m, "D"), "");
		CHECK_STR(AmiMessageGet(m, "E"), "");
		CHECK(m->headers[2].value_len == 4);
		CHECK(AmiMessageGet(m, "F") == NULL);
		CHECK(AmiMessageGet(m, NULL) == NULL);
		CHECK(AmiMessageActionId(m) == NULL);
		CHECK(AmiMessageIs(m, "x"));
		CHECK(!AmiMessageIs(m, "Y"));
	}

	/* a message split at every point, including between CR and LF */
	{
		const char *s = "Response: Error\r\nActionID: a\r\nMessage: Permission denied\r\n\r\n";
		size_t		len = strlen(s);
		size_t		cut;

		for (cut = 0; cut <= len; cut++)
		{
			AmiParserReset(&p);
			r = AmiParserFeed(&p, s, cut, &used);
			if (cut < len)
			{
				CHECK(r == AMI_NEED_MORE);
				CHECK(used == cut);
				r = AmiParserFeed(&p, s + cut, len - cut, &used);
				CHECK(used == len - cut);
			}
			CHECK(r == AMI_MESSAGE);
			m = AmiParserMessage(&p);
			CHECK(AmiMessageResponse(m) == AMI_RESPONSE_ERROR);
			CHECK_STR(AmiMessageGet(m, "message"), "Permission denied");
		}
	}

	/* kinds and response values */
	AmiParserReset(&p);
	m = parse_one(&p, "Response: Goodbye\r\n\r\n");
	CHECK(AmiMessageResponse(m) == AMI_RESPONSE_GOODBYE);
	m = parse_one(&p, "Response: Follows\r\n\r\n");
	CHECK(AmiMessageResponse(m) == AMI_RESPONSE_FOLLOWS);
	m = parse_one(&p, "Response: Whatever\r\n\r\n");
	CHECK(AmiMessageResponse(m) == AMI_RESPONSE_OTHER);
	m = parse_one(&p, "ActionID: 1\r\nResponse: Success\r\n\r\n");
	CHECK(AmiMessageKind(m) == AMI_KIND_RESPONSE);
	CHECK(AmiMessageResponse(m) == AMI_RESPONSE_SUCCESS);
	m = parse_one(&p, "ActionID: 1\r\nResponse: Success\r\nEvent: E\r\n\r\n");
	CHECK(AmiMessageKind(m) == AMI_KIND_EVENT);
	m = parse_one(&p, "X: 1\r\nAction: Ping\r\n\r\n");
	CHECK(AmiMessageKind(m) == AMI_KIND_ACTION);
	CHECK(AmiMessageEvent(m) == NULL);
	m = parse_one(&p, "X: 1\r\n\r\n");
	CHECK(AmiMessageKind(m) == AMI_KIND_UNKNOWN);
	CHECK(AmiMessageResponse(m) == AMI_RESPONSE_NONE);
	CHECK(AmiMessageKind(NULL) == AMI_KIND_UNKNOWN);

	/* two messages in one buffer: one at a time */
	AmiParserReset(&p);
	{
		const char *s = "Event: A\r\n\r\nEvent: B\r\n\r\n";

		r = AmiParserFeed(&p, s, strlen(s), &used);
		CHECK(r == AMI_MESSAGE && used == 12);
		CHECK_STR(AmiMessageEvent(AmiParserMessage(&p)), "A");
		r = AmiParserFeed(&p, s + used, strlen(s) - used, &used);
		CHECK(r == AMI_MESSAGE && used == 12);
		CHECK_STR(AmiMessageEvent(AmiParserMessage(&p)), "B");
		r = AmiParserFeed(&p, "", 0, &used);
		CHECK(r == AMI_NEED_MORE && used == 0);
		CHECK(AmiParserMessage(&p) == NULL);
	}
}

/* expect an error of a given code after feeding s (in one piece and byte by byte) */
static void
expect_error(int flags, const char *s, size_t len, AmiError code, size_t at)
{
	static AmiParser p;
	size_t		used;
	size_t		i;
	AmiResult	r = AMI_NEED_MORE;

	AmiParserInit(&p, flags);
	r = feed_str(&p, s, len, &used);
	CHECK(r == AMI_ERROR);
	CHECK(AmiParserError(&p) == code);
	CHECK(used == at);
	if (AmiParserError(&p) != code || used != at)
		fprintf(stderr, "  expected %s at %zu, got %s at %zu\n", AmiErrorMessage(code), at,
				AmiErrorMessage(AmiParserError(&p)), used);
	/* sticky: nothing more until reset */
	CHECK(AmiParserFeed(&p, "Event: X\r\n\r\n", 12, &used) == AMI_ERROR);
	CHECK(used == 0);
	CHECK(AmiParserMessage(&p) == NULL);

	AmiParserInit(&p, flags);
	for (i = 0; i < len; i++)
	{
		r = AmiParserFeed(&p, s + i, 1, &used);
		if (r == AMI_ERROR)
			break;
	}
	CHECK(r == AMI_ERROR);
	CHECK(i == at);
	CHECK(AmiParserError(&p) == code);

	/* reset recovers */
	AmiParserReset(&p);
	CHECK(AmiParserError(&p) == AMI_OK);
	if (flags & AMI_PARSER_NO_BANNER)
		CHECK(AmiParserFeed(&p, "Event: X\r\n\r\n", 12, &used) == AMI_MESSAGE);
	else
		CHECK(AmiParserFeed(&p, "Asterisk Call Manager/11.0.0\r\n", 30, &used) == AMI_BANNER);
}

/* every error path and every limit, just inside and just outside */
static void
test_parser_limits(void)
{
	static AmiParser p;
	static char big[AMI_MAX_MESSAGE * 2];
	size_t		used;
	size_t		len;
	int			i;
	const AmiMessage *m;

	expect_error(0, "SSH-2.0-OpenSSH\r\n", 17, AMI_ERR_BAD_BANNER, 16);
	expect_error(0, "\r\n", 2, AMI_ERR_BAD_BANNER, 1);
	expect_error(0, "Asterisk Call\0 Manager/1\r\n", 26, AMI_ERR_NUL_BYTE, 13);
	expect_error(AMI_PARSER_NO_BANNER, "Event: X\r\nnocolon\r\n\r\n", 21, AMI_ERR_NO_COLON, 18);
	expect_error(AMI_PARSER_NO_BANNER, "Event: X\r\n: v\r\n\r\n", 17, AMI_ERR_EMPTY_KEY, 14);
	expect_error(AMI_PARSER_NO_BANNER, "Event: X\r\nA: b\0c\r\n\r\n", 20, AMI_ERR_NUL_BYTE, 14);
	expect_error(AMI_PARSER_NO_BANNER, "Event: X\rA: b\r\n\r\n", 17, AMI_ERR_BARE_CR, 9);
	expect_error(AMI_PARSER_NO_BANNER, "Event: X\r\r\n\r\n", 13, AMI_ERR_BARE_CR, 9);
	expect_error(AMI_PARSER_NO_BANNER, "Event: X\r\n\r\r\n", 13, AMI_ERR_BARE_CR, 11);

	/* line length: AMI_MAX_LINE bytes is fine, one more is not */
	memset(big, 'v', sizeof(big));
	memcpy(big, "K: ", 3);
	memcpy(big + AMI_MAX_LINE, "\r\n\r\n", 4);
	AmiParserInit(&p, AMI_PARSER_NO_BANNER);
	CHECK(feed_str(&p, big, AMI_MAX_LINE + 4, &used) == AMI_MESSAGE);
	m = AmiParserMessage(&p);
	CHECK(m != NULL && m->headers[0].value_len == AMI_MAX_LINE - 3);
	memset(big, 'v', sizeof(big));
	memcpy(big, "K: ", 3);
	memcpy(big + AMI_MAX_LINE + 1, "\r\n\r\n", 4);
	expect_error(AMI_PARSER_NO_BANNER, big, AMI_MAX_LINE + 5, AMI_ERR_LINE_TOO_LONG, AMI_MAX_LINE);
	/* also for the banner */
	memset(big, 'B', sizeof(big));
	expect_error(0, big, AMI_MAX_LINE + 10, AMI_ERR_LINE_TOO_LONG, AMI_MAX_LINE);
	/* and a line with no colon that never ends cannot grow memory */
	expect_error(AMI_PARSER_NO_BANNER, big, sizeof(big), AMI_ERR_LINE_TOO_LONG, AMI_MAX_LINE);

	/* header count: AMI_MAX_HEADERS fine, one more is not */
	len = 0;
	for (i = 0; i < AMI_MAX_HEADERS; i++)
		len += (size_t) sprintf(big + len, "H%d: %d\r\n", i, i);
	len += (size_t) sprintf(big + len, "\r\n");
	AmiParserInit(&p, AMI_PARSER_NO_BANNER);
	CHECK(feed_str(&p, big, len, &used) == AMI_MESSAGE);
	m = AmiParserMessage(&p);
	CHECK(m != NULL && m->nheaders == AMI_MAX_HEADERS);
	CHECK_STR(AmiMessageGet(m, "H127"), "127");
	len -= 2;
	{
		size_t		at = len + 8;	/* the LF that ends the extra line */

		len += (size_t) sprintf(big + len, "X: 1234\r\n\r\n");
		expect_error(AMI_PARSER_NO_BANNER, big, len, AMI_ERR_TOO_MANY_HEADERS, at);
	}

	/*
	 * message size: exactly AMI_MAX_MESSAGE bytes (blank line included) is
	 * fine, one more is not.  Lines of 4000 + 2 bytes, then one to fill.
	 */
	{
		size_t		target = AMI_MAX_MESSAGE;
		size_t		off = 0;

		while (target - off - 2 > 4002)
		{
			memset(big + off, 'a', 3998);
			memcpy(big + off, "K: ", 3);
			memcpy(big + off + 3998, "\r\n", 2);
			off += 4000;
		}
		/* fill: last line is target - off - 2 bytes long incl. its CRLF */
		{
			size_t		last = target - off - 2;

			memset(big + off, 'b', last - 2);
			memcpy(big + off, "L: ", 3);
			memcpy(big + off + last - 2, "\r\n", 2);
			off += last;
			memcpy(big + off, "\r\n", 2);
			off += 2;
		}
		CHECK(off == AMI_MAX_MESSAGE);
		AmiParserInit(&p, AMI_PARSER_NO_BANNER);
		CHECK(feed_str(&p, big, off, &used) == AMI_MESSAGE);
		CHECK(used == AMI_MAX_MESSAGE);
		m = AmiParserMessage(&p);
		CHECK(m != NULL && m->nheaders == 5);

		/* one byte longer: the final LF no longer fits */
		memmove(big + 3, big + 2, off - 2);
		big[2] = ' ';
		expect_error(AMI_PARSER_NO_BANNER, big, off + 1, AMI_ERR_MESSAGE_TOO_LARGE, AMI_MAX_MESSAGE);
	}

	/* a flood of blank lines between messages costs nothing */
	memset(big, '\n', sizeof(big));
	AmiParserInit(&p, AMI_PARSER_NO_BANNER);
	CHECK(feed_str(&p, big, sizeof(big), &used) == AMI_NEED_MORE);
	CHECK(used == sizeof(big));
	CHECK(parse_one(&p, "Event: Y\r\n\r\n") != NULL);

	/* error strings */
	CHECK_STR(AmiErrorMessage(AMI_OK), "no error");
	CHECK_STR(AmiErrorMessage(AMI_ERR_LINE_TOO_LONG), "line too long");
	CHECK_STR(AmiErrorMessage(AMI_ERR_ARGUMENT), "required argument missing");
	CHECK_STR(AmiErrorMessage((AmiError) 999), "unknown error");
	for (i = AMI_OK; i <= AMI_ERR_ARGUMENT; i++)
		CHECK(strcmp(AmiErrorMessage((AmiError) i), "unknown error") != 0);
}

/* RFC 1321 appendix A.5 test suite and the transcript's login key */
static void
test_md5(void)
{
	static const char *const vectors[][2] = {
		{"", "d41d8cd98f00b204e9800998ecf8427e"},
		{"a", "0cc175b9c0f1b6a831c399e269772661"},
		{"abc", "900150983cd24fb0d6963f7d28e17f72"},
		{"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
		{"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		"d174ab98d277d9f5a5611c2c9f419d9f"},
		{"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		"57edf4a22be3c955ac49da2e2107b67a"}
	};
	char		out[33];
	size_t		i;
	static char million[1000000];

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
	{
		AmiMd5Hex(vectors[i][0], strlen(vectors[i][0]), out);
		CHECK_STR(out, vectors[i][1]);
	}
	/* block-boundary lengths: 55, 56, 63, 64, 65 bytes of 'a' */
	memset(million, 'a', sizeof(million));
	AmiMd5Hex(million, 55, out);
	CHECK_STR(out, "ef1772b6dff9a122358552954ad0df65");
	AmiMd5Hex(million, 56, out);
	CHECK_STR(out, "3b0c8ac703f828b04c6c197006d17218");
	AmiMd5Hex(million, 64, out);
	CHECK_STR(out, "014842d480b571495a4a0363793f7367");
	AmiMd5Hex(million, sizeof(million), out);
	CHECK_STR(out, "7707d6ae4e027c70eea2a935c2296f21");

	AmiLoginKey("632866649", "crmsecret", out);
	CHECK_STR(out, "3f9f8b9cc75639c7d9d35eb14a02490b");
	AmiLoginKey("", "", out);
	CHECK_STR(out, "d41d8cd98f00b204e9800998ecf8427e");
}

static void
test_redact(void)
{
	char		buf[512];
	char		out[512];
	size_t		len;
	char		tiny[12];

	AmiBuildLoginPlain(buf, sizeof(buf), &len, "login-1", "crm", "crmsecret", NULL);
	CHECK(AmiRedactForLog(buf, len, out, sizeof(out)));
	CHECK_STR(out, "Action: Login; ActionID: login-1; Username: crm; Secret: ********");
	CHECK(strstr(out, "crmsecret") == NULL);

	AmiBuildLoginMd5(buf, sizeof(buf), &len, "login-2", "crm", "632866649", "crmsecret", "off");
	CHECK(AmiRedactForLog(buf, len, out, sizeof(out)));
	CHECK_STR(out, "Action: Login; ActionID: login-2; AuthType: MD5; Username: crm; Key: ********; Events: off");

	/* keys match case-insensitively; control bytes are masked; LF-only input */
	CHECK(AmiRedactForLog("SECRET:x\nkey:y\nA: b\tc\nnocolon\n\n", 31, out, sizeof(out)));
	CHECK_STR(out, "SECRET: ********; key: ********; A: b?c; nocolon");
	CHECK(AmiRedactForLog("Keys: v\r\n", 9, out, sizeof(out)));
	CHECK_STR(out, "Keys: v");

	/* truncation: always terminated, marked, never leaks a secret */
	CHECK(!AmiRedactForLog("Action: Login\r\nSecret: abc\r\n", 28, tiny, sizeof(tiny)));
	CHECK_STR(tiny, "Action: ...");
	CHECK(!AmiRedactForLog("Secret: abcdefghijkl\r\n", 22, tiny, sizeof(tiny)));
	CHECK(strstr(tiny, "abc") == NULL);
	CHECK(!AmiRedactForLog("Action: Login", 13, tiny, 3));
	CHECK(strlen(tiny) == 2);
	CHECK(!AmiRedactForLog("x", 1, NULL, 0));
	CHECK(AmiRedactForLog(NULL, 0, out, sizeof(out)));
	CHECK_STR(out, "");
}

static void
test_outcomes(void)
{
	/* OriginateResponse Reason */
	CHECK(AmiOutcomeFromReason(0) == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeFromReason(1) == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromReason(2) == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromReason(3) == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromReason(4) == AMI_OUTCOME_ANSWERED);
	CHECK(AmiOutcomeFromReason(5) == AMI_OUTCOME_BUSY);
	CHECK(AmiOutcomeFromReason(8) == AMI_OUTCOME_CONGESTION);
	CHECK(AmiOutcomeFromReason(7) == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeFromReason(-1) == AMI_OUTCOME_UNKNOWN);

	/* DialStatus */
	CHECK(AmiOutcomeFromDialStatus("ANSWER") == AMI_OUTCOME_ANSWERED);
	/* what a later DialEnd may replace: never a telling status by a vaguer one */
	CHECK_INT(AmiDialStatusRank(NULL), 0);
	CHECK_INT(AmiDialStatusRank(""), 0);
	CHECK_INT(AmiDialStatusRank("NOANSWER"), 1);
	CHECK_INT(AmiDialStatusRank("CANCEL"), 1);
	CHECK_INT(AmiDialStatusRank("RINGING"), 1);
	CHECK_INT(AmiDialStatusRank("SOMETHINGNEW"), 1);
	CHECK_INT(AmiDialStatusRank("BUSY"), 2);
	CHECK_INT(AmiDialStatusRank("CONGESTION"), 2);
	CHECK_INT(AmiDialStatusRank("CHANUNAVAIL"), 2);
	CHECK_INT(AmiDialStatusRank("ANSWER"), 3);
	CHECK(AmiOutcomeFromDialStatus("BUSY") == AMI_OUTCOME_BUSY);
	CHECK(AmiOutcomeFromDialStatus("NOANSWER") == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromDialStatus("RINGING") == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromDialStatus("CANCEL") == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromDialStatus("CONGESTION") == AMI_OUTCOME_CONGESTION);
	CHECK(AmiOutcomeFromDialStatus("CHANUNAVAIL") == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeFromDialStatus("DONTCALL") == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeFromDialStatus("TORTURE") == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeFromDialStatus("INVALIDARGS") == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeFromDialStatus("busy") == AMI_OUTCOME_BUSY);
	CHECK(AmiOutcomeFromDialStatus("") == AMI_OUTCOME_UNKNOWN);
	CHECK(AmiOutcomeFromDialStatus("WHATEVER") == AMI_OUTCOME_UNKNOWN);
	CHECK(AmiOutcomeFromDialStatus(NULL) == AMI_OUTCOME_UNKNOWN);

	/* Hangup Cause */
	CHECK(AmiOutcomeFromCause(0) == AMI_OUTCOME_UNKNOWN);
	CHECK(AmiOutcomeFromCause(-1) == AMI_OUTCOME_UNKNOWN);
	CHECK(AmiOutcomeFromCause(1) == AMI_OUTCOME_INVALID_NUMBER);
	CHECK(AmiOutcomeFromCause(3) == AMI_OUTCOME_INVALID_NUMBER);
	CHECK(AmiOutcomeFromCause(22) == AMI_OUTCOME_INVALID_NUMBER);
	CHECK(AmiOutcomeFromCause(28) == AMI_OUTCOME_INVALID_NUMBER);
	CHECK(AmiOutcomeFromCause(16) == AMI_OUTCOME_ANSWERED);
	CHECK(AmiOutcomeFromCause(17) == AMI_OUTCOME_BUSY);
	CHECK(AmiOutcomeFromCause(21) == AMI_OUTCOME_BUSY);
	CHECK(AmiOutcomeFromCause(18) == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromCause(19) == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromCause(20) == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeFromCause(27) == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeFromCause(31) == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeFromCause(34) == AMI_OUTCOME_CONGESTION);
	CHECK(AmiOutcomeFromCause(38) == AMI_OUTCOME_CONGESTION);
	CHECK(AmiOutcomeFromCause(41) == AMI_OUTCOME_CONGESTION);
	CHECK(AmiOutcomeFromCause(42) == AMI_OUTCOME_CONGESTION);
	CHECK(AmiOutcomeFromCause(44) == AMI_OUTCOME_CONGESTION);
	CHECK(AmiOutcomeFromCause(127) == AMI_OUTCOME_FAILED);

	/* the five transcripts: (Reason, DialEnd DialStatus, customer-leg Cause) */
	CHECK(AmiOutcomeResolve(4, "ANSWER", 16) == AMI_OUTCOME_ANSWERED);
	CHECK(AmiOutcomeResolve(5, "BUSY", 17) == AMI_OUTCOME_BUSY);
	CHECK(AmiOutcomeResolve(3, NULL, 19) == AMI_OUTCOME_NO_ANSWER);
	CHECK(AmiOutcomeResolve(8, "CONGESTION", 34) == AMI_OUTCOME_CONGESTION);
	CHECK(AmiOutcomeResolve(0, NULL, 0) == AMI_OUTCOME_FAILED);
	/* precedence */
	CHECK(AmiOutcomeResolve(4, NULL, -1) == AMI_OUTCOME_ANSWERED);
	CHECK(AmiOutcomeResolve(1, "CHANUNAVAIL", 1) == AMI_OUTCOME_INVALID_NUMBER);
	CHECK(AmiOutcomeResolve(0, "BUSY", 16) == AMI_OUTCOME_BUSY);
	CHECK(AmiOutcomeResolve(-1, NULL, 17) == AMI_OUTCOME_BUSY);
	CHECK(AmiOutcomeResolve(-1, "WHATEVER", -1) == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeResolve(-1, NULL, 0) == AMI_OUTCOME_FAILED);
	CHECK(AmiOutcomeResolve(3, "RINGING", -1) == AMI_OUTCOME_NO_ANSWER);

	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_ANSWERED), "answered");
	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_BUSY), "busy");
	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_NO_ANSWER), "no_answer");
	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_CONGESTION), "congestion");
	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_FAILED), "failed");
	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_INVALID_NUMBER), "invalid_number");
	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_MACHINE), "machine");
	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_ABANDONED), "abandoned");
	CHECK_STR(AmiOutcomeName(AMI_OUTCOME_UNKNOWN), "unknown");
	CHECK_STR(AmiOutcomeName((AmiOutcome) AMI_OUTCOME_COUNT), "unknown");
	CHECK_STR(AmiOutcomeName((AmiOutcome) 42), "unknown");
}

int
main(void)
{
	test_transcripts_parse();
	test_transcript_values();
	test_builder_transcripts();
	test_builder_errors();
	test_parser_framing();
	test_parser_limits();
	test_md5();
	test_redact();
	test_outcomes();

	return UnitReport("test_ami");
}
