/*-------------------------------------------------------------------------
 *
 * ami.h
 *	  Asterisk Manager Interface (AMI) protocol: parser, action builder,
 *	  MD5 login, log redaction and call-outcome mapping.
 *
 * Everything here is plain C99 with no PostgreSQL headers, no I/O and no
 * allocation: the parser owns fixed-size storage (AMI_MAX_MESSAGE bytes plus
 * AMI_MAX_HEADERS header slots), so a hostile or broken peer can make it fail
 * but never make it grow.  src/dialer/worker.c is the only caller in the
 * extension; test/unit/test_ami.c and test/fuzz/fuzz_ami.c drive it directly.
 * doc/ami.md is the reference for the limits, error codes and the outcome
 * mapping table.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/dialer/ami.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BANKCRM_AMI_H
#define BANKCRM_AMI_H

#include <stdbool.h>
#include <stddef.h>

/* longest line, line ending excluded */
#define AMI_MAX_LINE		4096
/* most Key: Value lines in one message */
#define AMI_MAX_HEADERS		128
/* largest message, every line ending and the blank line included */
#define AMI_MAX_MESSAGE		16384

/* the placeholder that AmiRedactForLog puts in place of secrets */
#define AMI_REDACTED		"********"

/* what AmiParserFeed reports */
typedef enum AmiResult
{
	AMI_NEED_MORE = 0,			/* all input consumed, nothing complete yet */
	AMI_BANNER,					/* the greeting line is complete */
	AMI_MESSAGE,				/* a message is complete: AmiParserMessage */
	AMI_ERROR					/* malformed or oversized input: AmiParserError */
} AmiResult;

/* error codes, from the parser and from the builders */
typedef enum AmiError
{
	AMI_OK = 0,
	AMI_ERR_BAD_BANNER,			/* first line is not "... Call Manager/..." */
	AMI_ERR_LINE_TOO_LONG,		/* a line exceeds AMI_MAX_LINE */
	AMI_ERR_TOO_MANY_HEADERS,	/* a message exceeds AMI_MAX_HEADERS */
	AMI_ERR_MESSAGE_TOO_LARGE,	/* a message exceeds AMI_MAX_MESSAGE */
	AMI_ERR_NO_COLON,			/* a line has no ':' */
	AMI_ERR_EMPTY_KEY,			/* a line starts with ':' */
	AMI_ERR_NUL_BYTE,			/* a NUL byte in the stream */
	AMI_ERR_BARE_CR,			/* a CR not followed by LF */
	AMI_ERR_BAD_KEY,			/* builder: empty key, or CR/LF/NUL/':'/space */
	AMI_ERR_BAD_VALUE,			/* builder: CR, LF or NUL in a value */
	AMI_ERR_OVERFLOW,			/* builder: output buffer too small */
	AMI_ERR_STATE,				/* builder: call out of order */
	AMI_ERR_ARGUMENT			/* a required argument is NULL or empty */
} AmiError;

/* one header: NUL-terminated slices into the parser's storage */
typedef struct AmiHeader
{
	const char *key;
	size_t		key_len;
	const char *value;
	size_t		value_len;
} AmiHeader;

/* one complete message; headers in wire order, repeated keys kept */
typedef struct AmiMessage
{
	int			nheaders;
	AmiHeader	headers[AMI_MAX_HEADERS];
} AmiMessage;

typedef enum AmiParserState
{
	AMI_STATE_BANNER = 0,		/* waiting for the greeting line */
	AMI_STATE_HEADERS,			/* reading messages */
	AMI_STATE_ERROR				/* stuck until AmiParserReset */
} AmiParserState;

/* AmiParserInit flags */
#define AMI_PARSER_NO_BANNER	0x01	/* input starts with messages (server side, tests) */

/*
 * Parser state.  Treat as opaque; it is public only so that callers can embed
 * it (about 25 kB) without allocation.
 */
typedef struct AmiParser
{
	AmiParserState state;
	int			flags;
	AmiError	error;
	bool		cr_pending;		/* last byte was CR, LF must follow */
	bool		msg_ready;		/* msg holds a message returned last call */
	size_t		line_len;		/* bytes of the current line so far */
	size_t		msg_bytes;		/* raw bytes of the current message so far */
	size_t		used;			/* bytes of buf holding finished lines */
	char		banner[AMI_MAX_LINE + 1];
	size_t		banner_len;
	char		buf[AMI_MAX_MESSAGE + 1];
	AmiMessage	msg;
} AmiParser;

/* what kind of message it is (AmiMessageKind) */
typedef enum AmiKind
{
	AMI_KIND_UNKNOWN = 0,
	AMI_KIND_RESPONSE,			/* Response: ... */
	AMI_KIND_EVENT,				/* Event: ... */
	AMI_KIND_ACTION				/* Action: ... (what a client sends) */
} AmiKind;

/* the Response value of a response (AmiMessageResponse) */
typedef enum AmiResponse
{
	AMI_RESPONSE_NONE = 0,		/* not a response */
	AMI_RESPONSE_SUCCESS,
	AMI_RESPONSE_ERROR,
	AMI_RESPONSE_GOODBYE,
	AMI_RESPONSE_FOLLOWS,
	AMI_RESPONSE_OTHER
} AmiResponse;

/* action builder: see AmiActionBegin */
typedef struct AmiBuilder
{
	char	   *buf;
	size_t		cap;
	size_t		len;
	AmiError	error;			/* first error; sticky */
	bool		open;			/* between Begin and End */
} AmiBuilder;

/* what an originate attempt came to */
typedef enum AmiOutcome
{
	AMI_OUTCOME_UNKNOWN = 0,	/* this source says nothing */
	AMI_OUTCOME_ANSWERED,
	AMI_OUTCOME_BUSY,
	AMI_OUTCOME_NO_ANSWER,
	AMI_OUTCOME_CONGESTION,
	AMI_OUTCOME_FAILED,
	AMI_OUTCOME_INVALID_NUMBER,
	/* predictive mode, from the dialplan's UserEvents (doc/dialer.md) */
	AMI_OUTCOME_MACHINE,		/* AMD said MACHINE: never offered to an agent */
	AMI_OUTCOME_ABANDONED		/* a live answer that met no agent within 2 s */
} AmiOutcome;

/* one past the last outcome: AmiOutcomeName(0 .. AMI_OUTCOME_COUNT - 1) lists them all */
#define AMI_OUTCOME_COUNT (AMI_OUTCOME_ABANDONED + 1)

/* the fields of an Originate, in the order they go on the wire */
typedef struct AmiOriginate
{
	const char *action_id;		/* required: the call attempt's id */
	const char *channel;		/* required, e.g. "Local/1001@crm-out" */
	const char *context;		/* optional (NULL = omit) */
	const char *exten;
	const char *priority;
	int			timeout_ms;		/* <= 0: omit (Asterisk default 30000) */
	const char *caller_id;
	const char *const *variables;	/* "NAME=value", one header each */
	int			nvariables;
	const char *channel_id;		/* Uniqueid of the ;1 leg */
	const char *other_channel_id;	/* Uniqueid of the ;2 leg */
	bool		async;			/* "Async: true" */
} AmiOriginate;

/* parser */
extern void AmiParserInit(AmiParser *parser, int flags);
extern void AmiParserReset(AmiParser *parser);
extern AmiResult AmiParserFeed(AmiParser *parser, const char *data, size_t len,
							   size_t *consumed);
extern const AmiMessage *AmiParserMessage(const AmiParser *parser);
extern const char *AmiParserBanner(const AmiParser *parser);
extern AmiError AmiParserError(const AmiParser *parser);
extern const char *AmiErrorMessage(AmiError error);

/* messages */
extern const char *AmiMessageGet(const AmiMessage *msg, const char *key);
extern const char *AmiMessageGetNth(const AmiMessage *msg, const char *key, int n);
extern int	AmiMessageCount(const AmiMessage *msg, const char *key);
extern AmiKind AmiMessageKind(const AmiMessage *msg);
extern AmiResponse AmiMessageResponse(const AmiMessage *msg);
extern const char *AmiMessageEvent(const AmiMessage *msg);
extern const char *AmiMessageActionId(const AmiMessage *msg);
extern bool AmiMessageIs(const AmiMessage *msg, const char *event);

/* action builder */
extern AmiError AmiActionBegin(AmiBuilder *builder, char *buf, size_t cap,
							   const char *action);
extern AmiError AmiActionAdd(AmiBuilder *builder, const char *key, const char *value);
extern AmiError AmiActionAddN(AmiBuilder *builder, const char *key,
							  const char *value, size_t value_len);
extern AmiError AmiActionEnd(AmiBuilder *builder, size_t *len);

/* ready-made actions */
extern AmiError AmiBuildSimple(char *buf, size_t cap, size_t *len,
							   const char *action, const char *action_id);
extern AmiError AmiBuildChallenge(char *buf, size_t cap, size_t *len,
								  const char *action_id);
extern AmiError AmiBuildLoginMd5(char *buf, size_t cap, size_t *len,
								 const char *action_id, const char *username,
								 const char *challenge, const char *secret,
								 const char *events);
extern AmiError AmiBuildLoginPlain(char *buf, size_t cap, size_t *len,
								   const char *action_id, const char *username,
								   const char *secret, const char *events);
extern AmiError AmiBuildOriginate(char *buf, size_t cap, size_t *len,
								  const AmiOriginate *orig);

/* MD5 (RFC 1321, src/dialer/md5.c) and the login key */
extern void AmiMd5Hex(const void *data, size_t len, char out[33]);
extern void AmiLoginKey(const char *challenge, const char *secret, char out[33]);

/* logging */
extern bool AmiRedactForLog(const char *data, size_t len, char *out, size_t cap);

/* call outcomes */
extern AmiOutcome AmiOutcomeFromReason(int reason);
extern AmiOutcome AmiOutcomeFromDialStatus(const char *dial_status);
extern int	AmiDialStatusRank(const char *dial_status);
extern AmiOutcome AmiOutcomeFromCause(int cause);
extern AmiOutcome AmiOutcomeResolve(int reason, const char *dial_status, int cause);
extern const char *AmiOutcomeName(AmiOutcome outcome);

#endif							/* BANKCRM_AMI_H */
