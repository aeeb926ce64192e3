/*-------------------------------------------------------------------------
 *
 * ami.c
 *	  Asterisk Manager Interface (AMI) protocol: a byte-in, message-out
 *	  parser, an action builder, MD5 login, log redaction and the mapping
 *	  from PBX result codes to call outcomes.
 *
 * The parser is incremental.  The caller hands it whatever recv() returned,
 * in chunks of any size down to one byte, and it reports the greeting line
 * (AMI_BANNER), each complete message (AMI_MESSAGE) or an error (AMI_ERROR).
 * It stops after each banner or message and says how many input bytes it
 * used, so the caller feeds the rest of the chunk in the next call.  A message
 * stays valid until the next AmiParserFeed or AmiParserReset.
 *
 * Framing: a line ends with CR LF; a bare LF is accepted too, but a CR that
 * is not immediately followed by LF is an error, so no byte sequence can be
 * read two ways.  A message is one or more "Key: Value" lines ended by an
 * empty line; empty lines between messages are skipped.  The key ends at the
 * first ':' and one space after it is dropped, so values may contain ": ".
 * Repeated keys are kept in wire order.
 *
 * Memory: the parser owns a fixed buffer of AMI_MAX_MESSAGE bytes.  Each line
 * is copied in as it arrives; when it ends, the ':' and the line ending are
 * overwritten with NULs so keys and values are C strings in place.  Because
 * the stored form of a line is never longer than its raw form, a message that
 * passes the size check always fits.  Nothing is ever allocated.
 *
 * Errors are sticky: after AMI_ERROR every call returns AMI_ERROR and
 * consumes nothing until AmiParserReset.  The dialer then drops the
 * connection, since the stream can no longer be trusted to be in step.
 *
 * The builder refuses any key or value that could break the framing (CR, LF,
 * NUL; in keys also ':' and blanks), and refuses to produce a truncated
 * action when the output buffer is too small.
 *
 * The challenge login needs MD5; it comes from md5.c (RFC 1321) rather than
 * OpenSSL or PostgreSQL, because this code must build with no PostgreSQL
 * headers and no libraries.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/ami.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ami.h"
#include "md5.h"

static AmiResult parser_fail(AmiParser *parser, AmiError error);
static AmiResult parser_end_line(AmiParser *parser);
static int	ascii_lower(int c);
static bool key_equal(const char *a, const char *b);
static bool valid_key(const char *key);
static bool builder_put(AmiBuilder *builder, const char *data, size_t len);
static AmiError builder_fail(AmiBuilder *builder, AmiError error);

static const char *const error_messages[] = {
	"no error",
	"greeting is not an Asterisk Call Manager banner",
	"line too long",
	"too many header lines in one message",
	"message too large",
	"header line without a colon",
	"header line with an empty key",
	"NUL byte in stream",
	"carriage return not followed by line feed",
	"invalid header key",
	"header value contains CR, LF or NUL",
	"output buffer too small",
	"builder call out of order",
	"required argument missing"
};


/* ---------------------------------------------------------------------
 * Parser
 * ---------------------------------------------------------------------
 */

/*
 * AmiParserInit: prepare a parser.  With AMI_PARSER_NO_BANNER the input
 * starts directly with messages (a server reading actions, or tests);
 * otherwise the first line must be the greeting.
 */
void
AmiParserInit(AmiParser *parser, int flags)
{
	memset(parser, 0, offsetof(AmiParser, banner));
	parser->flags = flags;
	parser->state = (flags & AMI_PARSER_NO_BANNER) ? AMI_STATE_HEADERS : AMI_STATE_BANNER;
	parser->banner[0] = '\0';
	parser->banner_len = 0;
	parser->msg.nheaders = 0;
}

/*
 * AmiParserReset: forget everything, including an error, and expect a
 * banner again (unless the parser was made with AMI_PARSER_NO_BANNER).
 * Called on every new connection.
 */
void
AmiParserReset(AmiParser *parser)
{
	AmiParserInit(parser, parser->flags);
}

/* enter the error state and report it */
static AmiResult
parser_fail(AmiParser *parser, AmiError error)
{
	parser->state = AMI_STATE_ERROR;
	parser->error = error;
	parser->msg_ready = false;
	parser->msg.nheaders = 0;
	return AMI_ERROR;
}

/*
 * A line ended (its terminator already counted).  Returns AMI_NEED_MORE to
 * keep going, or the result to hand back to the caller.
 */
static AmiResult
parser_end_line(AmiParser *parser)
{
	size_t		len = parser->line_len;

	parser->line_len = 0;

	if (parser->state == AMI_STATE_BANNER)
	{
		parser->banner[len] = '\0';
		parser->banner_len = len;
		if (strstr(parser->banner, "Call Manager/") == NULL)
			return parser_fail(parser, AMI_ERR_BAD_BANNER);
		parser->state = AMI_STATE_HEADERS;
		return AMI_BANNER;
	}

	if (len == 0)
	{
		if (parser->msg.nheaders == 0)
		{
			/* blank line between messages: skip it */
			parser->msg_bytes = 0;
			return AMI_NEED_MORE;
		}
		parser->msg_ready = true;
		return AMI_MESSAGE;
	}

	{
		char	   *line = parser->buf + parser->used;
		char	   *colon = memchr(line, ':', len);
		size_t		klen;
		size_t		vstart;
		AmiHeader  *h;

		if (colon == NULL)
			return parser_fail(parser, AMI_ERR_NO_COLON);
		klen = (size_t) (colon - line);
		if (klen == 0)
			return parser_fail(parser, AMI_ERR_EMPTY_KEY);
		if (parser->msg.nheaders >= AMI_MAX_HEADERS)
			return parser_fail(parser, AMI_ERR_TOO_MANY_HEADERS);

		vstart = klen + 1;
		if (vstart < len && line[vstart] == ' ')
			vstart++;
		line[klen] = '\0';
		line[len] = '\0';

		h = &parser->msg.headers[parser->msg.nheaders++];
		h->key = line;
		h->key_len = klen;
		h->value = line + vstart;
		h->value_len = len - vstart;
		parser->used += len + 1;
	}
	return AMI_NEED_MORE;
}

/*
 * AmiParserFeed: consume bytes from data[0..len) until a banner or message is
 * complete, an error is found, or the input runs out.  *consumed tells how
 * many bytes were used; on AMI_BANNER and AMI_MESSAGE the caller feeds the
 * remaining data[*consumed..len) next.  On AMI_NEED_MORE everything was used.
 */
AmiResult
AmiParserFeed(AmiParser *parser, const char *data, size_t len, size_t *consumed)
{
	size_t		i;

	*consumed = 0;
	if (parser->state == AMI_STATE_ERROR)
		return AMI_ERROR;

	if (parser->msg_ready)
	{
		parser->msg_ready = false;
		parser->msg.nheaders = 0;
		parser->used = 0;
		parser->msg_bytes = 0;
	}

	for (i = 0; i < len; i++)
	{
		char		c = data[i];
		bool		eol = false;
		AmiResult	res;

		if (c == '\0')
		{
			*consumed = i;
			return parser_fail(parser, AMI_ERR_NUL_BYTE);
		}
		if (parser->cr_pending)
		{
			if (c != '\n')
			{
				*consumed = i;
				return parser_fail(parser, AMI_ERR_BARE_CR);
			}
			parser->cr_pending = false;
			eol = true;
		}
		else if (c == '\n')
			eol = true;
		else if (c == '\r')
			parser->cr_pending = true;
		else if (parser->line_len >= AMI_MAX_LINE)
		{
			*consumed = i;
			return parser_fail(parser, AMI_ERR_LINE_TOO_LONG);
		}

		if (parser->state == AMI_STATE_HEADERS)
		{
			if (parser->msg_bytes >= AMI_MAX_MESSAGE)
			{
				*consumed = i;
				return parser_fail(parser, AMI_ERR_MESSAGE_TOO_LARGE);
			}
			parser->msg_bytes++;
		}

		if (eol)
		{
			res = parser_end_line(parser);
			if (res != AMI_NEED_MORE)
			{
				*consumed = (res == AMI_ERROR) ? i : i + 1;
				return res;
			}
		}
		else if (c != '\r')
		{
			if (parser->state == AMI_STATE_BANNER)
				parser->banner[parser->line_len++] = c;
			else
				parser->buf[parser->used + parser->line_len++] = c;
		}
	}
	*consumed = len;
	return AMI_NEED_MORE;
}

/* the message just returned with AMI_MESSAGE, or NULL */
const AmiMessage *
AmiParserMessage(const AmiParser *parser)
{
	return parser->msg_ready ? &parser->msg : NULL;
}

/* the greeting line without its line ending, or NULL before it arrived */
const char *
AmiParserBanner(const AmiParser *parser)
{
	return parser->banner_len > 0 ? parser->banner : NULL;
}

/* the error that put the parser in the error state, or AMI_OK */
AmiError
AmiParserError(const AmiParser *parser)
{
	return parser->state == AMI_STATE_ERROR ? parser->error : AMI_OK;
}

/* a static English description of an error code, for errdetail */
const char *
AmiErrorMessage(AmiError error)
{
	if ((int) error < 0 ||
		(size_t) error >= sizeof(error_messages) / sizeof(error_messages[0]))
		return "unknown error";
	return error_messages[error];
}


/* ---------------------------------------------------------------------
 * Messages
 * ---------------------------------------------------------------------
 */

static int
ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality; locale-independent, as AMI keys are */
static bool
key_equal(const char *a, const char *b)
{
	while (*a && *b)
	{
		if (ascii_lower((unsigned char) *a) != ascii_lower((unsigned char) *b))
			return false;
		a++;
		b++;
	}
	return *a == *b;
}

/* the first value of key (case-insensitive), or NULL */
const char *
AmiMessageGet(const AmiMessage *msg, const char *key)
{
	return AmiMessageGetNth(msg, key, 0);
}

/* the n-th (from 0) value of a repeated key, or NULL */
const char *
AmiMessageGetNth(const AmiMessage *msg, const char *key, int n)
{
	int			i;

	if (msg == NULL || key == NULL || n < 0)
		return NULL;
	for (i = 0; i < msg->nheaders; i++)
	{
		if (key_equal(msg->headers[i].key, key) && n-- == 0)
			return msg->headers[i].value;
	}
	return NULL;
}

/* how many times key occurs */
int
AmiMessageCount(const AmiMessage *msg, const char *key)
{
	int			i;
	int			count = 0;

	if (msg == NULL || key == NULL)
		return 0;
	for (i = 0; i < msg->nheaders; i++)
		if (key_equal(msg->headers[i].key, key))
			count++;
	return count;
}

/*
 * Response, event or action.  The first line decides, because an
 * OriginateResponse event also carries "Response: Failure"; when the first
 * line is something else, Event wins over Response over Action.
 */
AmiKind
AmiMessageKind(const AmiMessage *msg)
{
	if (msg == NULL || msg->nheaders == 0)
		return AMI_KIND_UNKNOWN;
	if (key_equal(msg->headers[0].key, "Event"))
		return AMI_KIND_EVENT;
	if (key_equal(msg->headers[0].key, "Response"))
		return AMI_KIND_RESPONSE;
	if (key_equal(msg->headers[0].key, "Action"))
		return AMI_KIND_ACTION;
	if (AmiMessageGet(msg, "Event"))
		return AMI_KIND_EVENT;
	if (AmiMessageGet(msg, "Response"))
		return AMI_KIND_RESPONSE;
	if (AmiMessageGet(msg, "Action"))
		return AMI_KIND_ACTION;
	return AMI_KIND_UNKNOWN;
}

/* the Response status of a response message; NONE for anything else */
AmiResponse
AmiMessageResponse(const AmiMessage *msg)
{
	const char *r;

	if (AmiMessageKind(msg) != AMI_KIND_RESPONSE)
		return AMI_RESPONSE_NONE;
	r = AmiMessageGet(msg, "Response");
	if (key_equal(r, "Success"))
		return AMI_RESPONSE_SUCCESS;
	if (key_equal(r, "Error"))
		return AMI_RESPONSE_ERROR;
	if (key_equal(r, "Goodbye"))
		return AMI_RESPONSE_GOODBYE;
	if (key_equal(r, "Follows"))
		return AMI_RESPONSE_FOLLOWS;
	return AMI_RESPONSE_OTHER;
}

/* the event name of an event message, or NULL */
const char *
AmiMessageEvent(const AmiMessage *msg)
{
	if (AmiMessageKind(msg) != AMI_KIND_EVENT)
		return NULL;
	return AmiMessageGet(msg, "Event");
}

/* the ActionID, or NULL */
const char *
AmiMessageActionId(const AmiMessage *msg)
{
	return AmiMessageGet(msg, "ActionID");
}

/* is this the event named event (case-insensitive)? */
bool
AmiMessageIs(const AmiMessage *msg, const char *event)
{
	const char *e = AmiMessageEvent(msg);

	return e != NULL && event != NULL && key_equal(e, event);
}


/* ---------------------------------------------------------------------
 * Action builder
 * ---------------------------------------------------------------------
 */

/* printable ASCII without blanks or ':' and not empty */
static bool
valid_key(const char *key)
{
	const unsigned char *p = (const unsigned char *) key;

	if (key == NULL || *p == '\0')
		return false;
	for (; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ':')
			return false;
	return true;
}

/* record the first error; the output is void from now on */
static AmiError
builder_fail(AmiBuilder *builder, AmiError error)
{
	if (builder->error == AMI_OK)
		builder->error = error;
	builder->len = 0;
	if (builder->buf != NULL && builder->cap > 0)
		builder->buf[0] = '\0';
	return builder->error;
}

/* append bytes, keeping room for a terminating NUL */
static bool
builder_put(AmiBuilder *builder, const char *data, size_t len)
{
	if (builder->cap - builder->len <= len)
		return false;
	memcpy(builder->buf + builder->len, data, len);
	builder->len += len;
	builder->buf[builder->len] = '\0';
	return true;
}

/*
 * AmiActionBegin: start an action in buf[0..cap).  The finished action is
 * NUL-terminated, so cap must hold its bytes plus one.
 */
AmiError
AmiActionBegin(AmiBuilder *builder, char *buf, size_t cap, const char *action)
{
	builder->buf = buf;
	builder->cap = cap;
	builder->len = 0;
	builder->error = AMI_OK;
	builder->open = true;
	if (buf == NULL || cap == 0)
	{
		builder->cap = 0;
		builder->buf = NULL;
		return builder_fail(builder, AMI_ERR_ARGUMENT);
	}
	buf[0] = '\0';
	if (!valid_key(action))
		return builder_fail(builder, action == NULL ? AMI_ERR_ARGUMENT : AMI_ERR_BAD_VALUE);
	return AmiActionAdd(builder, "Action", action);
}

/* AmiActionAdd: append "key: value" (value a C string) */
AmiError
AmiActionAdd(AmiBuilder *builder, const char *key, const char *value)
{
	if (value == NULL)
	{
		if (!builder->open)
			return AMI_ERR_STATE;
		return builder_fail(builder, AMI_ERR_ARGUMENT);
	}
	return AmiActionAddN(builder, key, value, strlen(value));
}

/*
 * AmiActionAddN: append "key: value" with an explicit value length, so that
 * an embedded NUL is seen and refused rather than silently cutting the value.
 */
AmiError
AmiActionAddN(AmiBuilder *builder, const char *key, const char *value, size_t value_len)
{
	size_t		klen;
	size_t		start;

	if (!builder->open)
		return AMI_ERR_STATE;
	if (builder->error != AMI_OK)
		return builder->error;
	if (!valid_key(key))
		return builder_fail(builder, key == NULL ? AMI_ERR_ARGUMENT : AMI_ERR_BAD_KEY);
	if (value == NULL)
		return builder_fail(builder, AMI_ERR_ARGUMENT);
	if (memchr(value, '\r', value_len) || memchr(value, '\n', value_len) ||
		memchr(value, '\0', value_len))
		return builder_fail(builder, AMI_ERR_BAD_VALUE);

	klen = strlen(key);
	start = builder->len;
	if (!builder_put(builder, key, klen) ||
		!builder_put(builder, ": ", 2) ||
		!builder_put(builder, value, value_len) ||
		!builder_put(builder, "\r\n", 2))
	{
		builder->len = start;
		return builder_fail(builder, AMI_ERR_OVERFLOW);
	}
	return AMI_OK;
}

/*
 * AmiActionEnd: append the blank line.  On success *len is the byte count
 * (the NUL after it not counted); on any error from any step *len is 0, the
 * buffer holds an empty string and the first error is returned.
 */
AmiError
AmiActionEnd(AmiBuilder *builder, size_t *len)
{
	if (len != NULL)
		*len = 0;
	if (!builder->open)
		return AMI_ERR_STATE;
	builder->open = false;
	if (builder->error != AMI_OK)
		return builder->error;
	if (!builder_put(builder, "\r\n", 2))
		return builder_fail(builder, AMI_ERR_OVERFLOW);
	if (len != NULL)
		*len = builder->len;
	return AMI_OK;
}

/* an action with just an ActionID (Ping, Logoff, CoreShowChannels, ...) */
AmiError
AmiBuildSimple(char *buf, size_t cap, size_t *len, const char *action,
			   const char *action_id)
{
	AmiBuilder	b;

	AmiActionBegin(&b, buf, cap, action);
	if (action_id != NULL)
		AmiActionAdd(&b, "ActionID", action_id);
	return AmiActionEnd(&b, len);
}

/* Action: Challenge with AuthType: MD5 (03-md5-login.txt) */
AmiError
AmiBuildChallenge(char *buf, size_t cap, size_t *len, const char *action_id)
{
	AmiBuilder	b;

	AmiActionBegin(&b, buf, cap, "Challenge");
	if (action_id != NULL)
		AmiActionAdd(&b, "ActionID", action_id);
	AmiActionAdd(&b, "AuthType", "MD5");
	return AmiActionEnd(&b, len);
}

/*
 * Login answering a challenge: Key = hex MD5(challenge + secret), so the
 * secret never crosses the wire.  events: NULL to leave the Events header
 * out, else its value ("off", "on", "call,system", ...).
 */
AmiError
AmiBuildLoginMd5(char *buf, size_t cap, size_t *len, const char *action_id,
				 const char *username, const char *challenge, const char *secret,
				 const char *events)
{
	AmiBuilder	b;
	char		key[33];

	if (len != NULL)
		*len = 0;
	if (username == NULL || challenge == NULL || secret == NULL ||
		*username == '\0' || *challenge == '\0')
	{
		if (buf != NULL && cap > 0)
			buf[0] = '\0';
		return AMI_ERR_ARGUMENT;
	}
	AmiLoginKey(challenge, secret, key);
	AmiActionBegin(&b, buf, cap, "Login");
	if (action_id != NULL)
		AmiActionAdd(&b, "ActionID", action_id);
	AmiActionAdd(&b, "AuthType", "MD5");
	AmiActionAdd(&b, "Username", username);
	AmiActionAdd(&b, "Key", key);
	if (events != NULL)
		AmiActionAdd(&b, "Events", events);
	return AmiActionEnd(&b, len);
}

/* plain Login with Secret, for a PBX that does not offer MD5 */
AmiError
AmiBuildLoginPlain(char *buf, size_t cap, size_t *len, const char *action_id,
				   const char *username, const char *secret, const char *events)
{
	AmiBuilder	b;

	if (len != NULL)
		*len = 0;
	if (username == NULL || secret == NULL || *username == '\0')
	{
		if (buf != NULL && cap > 0)
			buf[0] = '\0';
		return AMI_ERR_ARGUMENT;
	}
	AmiActionBegin(&b, buf, cap, "Login");
	if (action_id != NULL)
		AmiActionAdd(&b, "ActionID", action_id);
	AmiActionAdd(&b, "Username", username);
	AmiActionAdd(&b, "Secret", secret);
	if (events != NULL)
		AmiActionAdd(&b, "Events", events);
	return AmiActionEnd(&b, len);
}

/*
 * An Originate with its headers in the order of 04-originate-answered.txt.
 * NULL optional fields are left out; action_id and channel are required.
 */
AmiError
AmiBuildOriginate(char *buf, size_t cap, size_t *len, const AmiOriginate *orig)
{
	AmiBuilder	b;
	char		num[24];
	int			i;

	if (len != NULL)
		*len = 0;
	if (orig == NULL || orig->action_id == NULL || orig->channel == NULL ||
		*orig->action_id == '\0' || *orig->channel == '\0' ||
		orig->nvariables < 0 || (orig->nvariables > 0 && orig->variables == NULL))
	{
		if (buf != NULL && cap > 0)
			buf[0] = '\0';
		return AMI_ERR_ARGUMENT;
	}
	AmiActionBegin(&b, buf, cap, "Originate");
	AmiActionAdd(&b, "ActionID", orig->action_id);
	AmiActionAdd(&b, "Channel", orig->channel);
	if (orig->context != NULL)
		AmiActionAdd(&b, "Context", orig->context);
	if (orig->exten != NULL)
		AmiActionAdd(&b, "Exten", orig->exten);
	if (orig->priority != NULL)
		AmiActionAdd(&b, "Priority", orig->priority);
	if (orig->timeout_ms > 0)
	{
		snprintf(num, sizeof(num), "%d", orig->timeout_ms);
		AmiActionAdd(&b, "Timeout", num);
	}
	if (orig->caller_id != NULL)
		AmiActionAdd(&b, "CallerID", orig->caller_id);
	for (i = 0; i < orig->nvariables; i++)
		AmiActionAdd(&b, "Variable", orig->variables[i]);
	if (orig->channel_id != NULL)
		AmiActionAdd(&b, "ChannelId", orig->channel_id);
	if (orig->other_channel_id != NULL)
		AmiActionAdd(&b, "OtherChannelId", orig->other_channel_id);
	if (orig->async)
		AmiActionAdd(&b, "Async", "true");
	return AmiActionEnd(&b, len);
}


/* ---------------------------------------------------------------------
 * Log redaction
 * ---------------------------------------------------------------------
 */

/*
 * AmiRedactForLog: render a CRLF-framed action (or any message) as one log
 * line, "Key: Value; Key: Value", with the values of Secret and Key replaced
 * by AMI_REDACTED and control bytes shown as '?'.  out is always
 * NUL-terminated when cap > 0.  Returns false if the rendering had to be cut
 * short, in which case it ends with "..." when there is room for it.
 */
bool
AmiRedactForLog(const char *data, size_t len, char *out, size_t cap)
{
	size_t		o = 0;
	size_t		pos = 0;
	bool		first = true;
	bool		complete = true;

	if (out == NULL || cap == 0)
		return false;
	out[0] = '\0';
	if (data == NULL)
		return true;

#define REDACT_PUT(ch) \
	do { \
		if (o + 1 >= cap) { complete = false; goto done; } \
		out[o++] = (ch); \
	} while (0)

	while (pos < len)
	{
		size_t		end = pos;
		size_t		stop;
		size_t		colon;
		size_t		k;
		bool		secret = false;

		while (end < len && data[end] != '\n')
			end++;
		stop = end;
		if (stop > pos && data[stop - 1] == '\r')
			stop--;

		if (stop > pos)
		{
			colon = pos;
			while (colon < stop && data[colon] != ':')
				colon++;
			if (colon < stop)
			{
				size_t		klen = colon - pos;

				if (klen == 6 || klen == 3)
				{
					char		lower[7];

					for (k = 0; k < klen; k++)
						lower[k] = (char) ascii_lower((unsigned char) data[pos + k]);
					lower[klen] = '\0';
					secret = (strcmp(lower, "secret") == 0 || strcmp(lower, "key") == 0);
				}
			}
			if (!first)
			{
				REDACT_PUT(';');
				REDACT_PUT(' ');
			}
			first = false;
			if (secret)
			{
				const char *r = ": " AMI_REDACTED;

				for (k = pos; k < colon; k++)
					REDACT_PUT(data[k]);
				for (; *r; r++)
					REDACT_PUT(*r);
			}
			else
			{
				for (k = pos; k < stop; k++)
				{
					unsigned char c = (unsigned char) data[k];

					REDACT_PUT((c < 0x20 || c == 0x7f) ? '?' : (char) c);
				}
			}
		}
		pos = end + 1;
	}
#undef REDACT_PUT

done:
	out[o] = '\0';
	if (!complete && cap >= 4)
	{
		size_t		at = (o + 3 < cap) ? o : cap - 4;

		memcpy(out + at, "...", 4);
	}
	return complete;
}


/* lower-case hex MD5 of data[0..len) */
void
AmiMd5Hex(const void *data, size_t len, char out[33])
{
	AmiMd5Ctx	ctx;

	AmiMd5Init(&ctx);
	AmiMd5Update(&ctx, data, len);
	AmiMd5FinalHex(&ctx, out);
}

/* the Login Key: lower-case hex MD5 of the challenge followed by the secret */
void
AmiLoginKey(const char *challenge, const char *secret, char out[33])
{
	AmiMd5Ctx	ctx;

	AmiMd5Init(&ctx);
	AmiMd5Update(&ctx, challenge, strlen(challenge));
	AmiMd5Update(&ctx, secret, strlen(secret));
	AmiMd5FinalHex(&ctx, out);
}


/* ---------------------------------------------------------------------
 * Call outcomes (table in doc/ami.md)
 * ---------------------------------------------------------------------
 */

/*
 * OriginateResponse Reason: the AST_CONTROL_* state the originate ended in.
 * 0 is Asterisk's "no specific state" (channel could not be created, or the
 * dialplan had no such extension), so it is a plain failure.
 */
AmiOutcome
AmiOutcomeFromReason(int reason)
{
	switch (reason)
	{
		case 0:
			return AMI_OUTCOME_FAILED;
		case 1:					/* hung up before answer */
		case 2:					/* ring */
		case 3:					/* ringing, then timed out */
			return AMI_OUTCOME_NO_ANSWER;
		case 4:
			return AMI_OUTCOME_ANSWERED;
		case 5:
			return AMI_OUTCOME_BUSY;
		case 8:
			return AMI_OUTCOME_CONGESTION;
		default:
			return reason < 0 ? AMI_OUTCOME_UNKNOWN : AMI_OUTCOME_FAILED;
	}
}

/* DialEnd (or last DialState) DialStatus; NULL or unknown words: UNKNOWN */
AmiOutcome
AmiOutcomeFromDialStatus(const char *dial_status)
{
	static const struct
	{
		const char *status;
		AmiOutcome	outcome;
	}			map[] = {
		{"ANSWER", AMI_OUTCOME_ANSWERED},
		{"BUSY", AMI_OUTCOME_BUSY},
		{"NOANSWER", AMI_OUTCOME_NO_ANSWER},
		{"RINGING", AMI_OUTCOME_NO_ANSWER},
		{"CANCEL", AMI_OUTCOME_NO_ANSWER},
		{"CONGESTION", AMI_OUTCOME_CONGESTION},
		{"CHANUNAVAIL", AMI_OUTCOME_FAILED},
		{"DONTCALL", AMI_OUTCOME_FAILED},
		{"TORTURE", AMI_OUTCOME_FAILED},
		{"INVALIDARGS", AMI_OUTCOME_FAILED}
	};
	size_t		i;

	if (dial_status == NULL)
		return AMI_OUTCOME_UNKNOWN;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (key_equal(dial_status, map[i].status))
			return map[i].outcome;
	return AMI_OUTCOME_UNKNOWN;
}

/* Hangup Cause (Q.850) of the customer leg */
AmiOutcome
AmiOutcomeFromCause(int cause)
{
	switch (cause)
	{
		case 1:					/* unallocated (unassigned) number */
		case 3:					/* no route to destination */
		case 22:				/* number changed */
		case 28:				/* invalid number format */
			return AMI_OUTCOME_INVALID_NUMBER;
		case 16:				/* normal clearing */
			return AMI_OUTCOME_ANSWERED;
		case 17:				/* user busy */
		case 21:				/* call rejected */
			return AMI_OUTCOME_BUSY;
		case 18:				/* no user responding */
		case 19:				/* user alerting, no answer */
		case 20:				/* subscriber absent */
			return AMI_OUTCOME_NO_ANSWER;
		case 34:				/* circuit/channel congestion */
		case 38:				/* network out of order */
		case 41:				/* temporary failure */
		case 42:				/* switching equipment congestion */
		case 44:				/* requested channel not available */
			return AMI_OUTCOME_CONGESTION;
		default:
			/* 0 is "Unknown": it says nothing */
			return cause <= 0 ? AMI_OUTCOME_UNKNOWN : AMI_OUTCOME_FAILED;
	}
}

/*
 * AmiDialStatusRank
 *		How much a DialStatus tells about the customer: 3 ANSWER; 2 BUSY,
 *		CONGESTION, CHANUNAVAIL and the other refusals; 1 NOANSWER, RINGING,
 *		CANCEL and unknown words; 0 none.  A call through Local/ channels has
 *		two dials (the Originate's of the Local channel, the dialplan's of the
 *		customer) whose DialEnds come in either order; the Originate's says
 *		NOANSWER when the customer's said BUSY, so a later status replaces an
 *		earlier one only when it tells as much or more.
 */
int
AmiDialStatusRank(const char *dial_status)
{
	if (dial_status == NULL || dial_status[0] == '\0')
		return 0;
	switch (AmiOutcomeFromDialStatus(dial_status))
	{
		case AMI_OUTCOME_ANSWERED:
			return 3;
		case AMI_OUTCOME_BUSY:
		case AMI_OUTCOME_CONGESTION:
		case AMI_OUTCOME_FAILED:
			return 2;
		default:
			return 1;
	}
}

/*
 * The outcome of one attempt from what arrived: reason (OriginateResponse
 * Reason, -1 if none), dial_status (DialEnd DialStatus, NULL if none) and
 * cause (Hangup Cause of the customer leg, -1 if none).  A successful
 * originate is answered; a number the network calls invalid is invalid
 * whatever else was said; then the dial status, the reason and the cause
 * decide in that order, and with nothing to go on the attempt failed.
 */
AmiOutcome
AmiOutcomeResolve(int reason, const char *dial_status, int cause)
{
	AmiOutcome	by_cause = AmiOutcomeFromCause(cause);
	AmiOutcome	o;

	if (reason == 4)
		return AMI_OUTCOME_ANSWERED;
	if (by_cause == AMI_OUTCOME_INVALID_NUMBER)
		return by_cause;
	o = AmiOutcomeFromDialStatus(dial_status);
	if (o != AMI_OUTCOME_UNKNOWN)
		return o;
	o = AmiOutcomeFromReason(reason);
	if (o != AMI_OUTCOME_UNKNOWN)
		return o;
	if (by_cause != AMI_OUTCOME_UNKNOWN)
		return by_cause;
	return AMI_OUTCOME_FAILED;
}

/* the outcome's name as stored in the contact table */
const char *
AmiOutcomeName(AmiOutcome outcome)
{
	switch (outcome)
	{
		case AMI_OUTCOME_ANSWERED:
			return "answered";
		case AMI_OUTCOME_BUSY:
			return "busy";
		case AMI_OUTCOME_NO_ANSWER:
			return "no_answer";
		case AMI_OUTCOME_CONGESTION:
			return "congestion";
		case AMI_OUTCOME_FAILED:
			return "failed";
		case AMI_OUTCOME_INVALID_NUMBER:
			return "invalid_number";
		case AMI_OUTCOME_MACHINE:
			return "machine";
		case AMI_OUTCOME_ABANDONED:
			return "abandoned";
		case AMI_OUTCOME_UNKNOWN:
			break;
	}
	return "unknown";
}
