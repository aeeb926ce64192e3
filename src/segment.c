/*-------------------------------------------------------------------------
 *
 * segment.c
 *	  Segment rules: boolean SQL expressions over party_features, checked
 *	  with PostgreSQL's own scanner, parser and analyzer.
 *
 * A rule segment is stored as the text of one boolean expression.  Before a
 * rule is saved, previewed or evaluated, segment_check_rule() proves that the
 * whole text is exactly one expression built only from whitelisted parts, so
 * that the member query can embed the original text as its WHERE clause:
 * injection is impossible by construction, not by escaping.
 *
 * The check runs in four passes, each with PostgreSQL's own code:
 *
 *	1. the core scanner tokenises the text: comments, semicolons, dollar
 *	   quotes and every string constant other than a plain '...' literal are
 *	   refused, so no text can hide between or inside tokens;
 *	2. raw_parser() in RAW_PARSE_PLPGSQL_EXPR mode parses the text on its own
 *	   (no wrapper whose parentheses a rule could close); the result must be
 *	   a bare select list of exactly one unnamed expression, with no FROM,
 *	   WHERE or any other clause;
 *	3. a walk of the raw tree admits only column references to
 *	   party_features, constants, whitelisted operators and functions, casts
 *	   to basic types, boolean logic, IN, BETWEEN, LIKE, IS [NOT] NULL,
 *	   IS [NOT] DISTINCT FROM, CASE, COALESCE, NULLIF, GREATEST and LEAST,
 *	   and limits size and depth; every refusal names the element and its
 *	   position in the rule;
 *	4. transformExpr() analyses the expression against party_features, the
 *	   result must be boolean, and a walk of the analysed tree checks every
 *	   function and operator again by OID: it must live in pg_catalog or the
 *	   extension's schema, be on the whitelist and be immutable.
 *
 * Name resolution does not depend on the caller: while checking, search_path
 * is pg_catalog followed by the extension's schema, and standard_conforming_
 * strings is on.  The SQL functions that evaluate rules pin the same
 * settings, so the text evaluated is the text that was checked.
 *
 * Errors raised while checking carry the rule as their internal query and a
 * cursor position into it, so psql shows where the offending element is.
 *
 * Layer: SQL entry points and the rule checker of segments.  Uses
 * PostgreSQL's parser; calls bankcrm.c only.  cluster.c calls it.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/segment.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/heap.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/keywords.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "bankcrm.h"
#include "compat.h"
#include "segment.h"

/* limits on what a rule may be: see doc/segments.md */
#define SEGMENT_RULE_MAX_BYTES	8000
#define SEGMENT_RULE_MAX_NODES	1000
#define SEGMENT_RULE_MAX_DEPTH	32

/* the view whose columns rules may use */
#define SEGMENT_FEATURES_VIEW	"party_features"

/* state of one rule check */
typedef struct RuleCheck
{
	const char *rule;			/* the rule text, as given */
	Oid			extschema;		/* the extension's schema */
	Relation	features;		/* party_features, opened */
	Oid			credit_rating_type; /* the extension's credit_rating type */
	int			nodes;			/* raw nodes visited */
	int			depth;			/* current raw nesting depth */
} RuleCheck;

static void rule_error_callback(void *arg);
static int	rule_position(RuleCheck *rc, int location);
static void check_tokens(RuleCheck *rc);
static void check_gap(RuleCheck *rc, int from, int to);
static Node *check_statement_shape(RuleCheck *rc, List *parsetree);
static bool raw_walker(Node *node, void *context);
static void check_column_ref(RuleCheck *rc, ColumnRef *cref);
static void check_func_call(RuleCheck *rc, FuncCall *fc);
static void check_operator_name(RuleCheck *rc, List *opname, int location);
static void check_type_cast(RuleCheck *rc, TypeCast *tc);
static void check_schema_name(RuleCheck *rc, const char *schemaname, const char *what,
							  const char *name, int location);
static bool analyzed_walker(Node *node, void *context);
static void check_function_oid(RuleCheck *rc, Oid funcid, CoercionForm format, int location);
static void check_operator_oid(RuleCheck *rc, Oid opno, int location);
static bool name_in_list(const char *name, const char *const *list);
static char *word_at(RuleCheck *rc, int location);
static void check_clock_literal(RuleCheck *rc, Const *con);

/* functions of pg_catalog a rule may call (each must also be immutable) */
static const char *const allowed_catalog_functions[] = {
	"abs", "array_length", "btrim", "cardinality", "ceil", "ceiling", "char_length",
	"character_length", "date_part", "date_trunc", "div", "extract", "floor", "initcap",
	"left", "length", "lower", "ltrim", "make_date", "mod", "position", "right", "round",
	"rtrim", "sign", "starts_with", "strpos", "substr", "substring", "trunc", "upper",
	/* for features of skewed amounts (clusters): ln(1 + aum) */
	"ln", "log", "log10", "sqrt",
	NULL
};

/* functions of the extension's schema a rule may call */
static const char *const allowed_extension_functions[] = {
	"downgrade", "is_investment_grade", "notch", "rating_band", "upgrade",
	NULL
};

/* operators a rule may use, from pg_catalog or the extension's schema */
static const char *const allowed_operators[] = {
	"=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "||",
	"~~", "~~*", "!~~", "!~~*", "@>", "<@", "&&",
	NULL
};

/*
 * rule_error_callback
 *		Move an error's cursor position from the calling statement into the
 *		rule: the rule becomes the error's internal query.
 */
static void
rule_error_callback(void *arg)
{
	const char *rule = (const char *) arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery(rule);
	}
}

/*
 * rule_position
 *		1-based character position of a byte offset into the rule, 0 when
 *		the location is unknown.
 */
static int
rule_position(RuleCheck *rc, int location)
{
	if (location < 0)
		return 0;
	return pg_mbstrlen_with_len(rc->rule, location) + 1;
}

/*
 * The refusals below share their shape: an errcode, a message naming the
 * element, a detail giving its position, a hint, and a cursor.
 */
#define REFUSE(rc, code, location, hint, ...) \
	do { \
		int			pos_ = rule_position((rc), (location)); \
		ereport(ERROR, \
				(errcode(code), \
				 errmsg(__VA_ARGS__), \
				 pos_ > 0 ? errdetail("Found at position %d of the rule.", pos_) : 0, \
				 errhint(hint), \
				 errposition(pos_))); \
	} while (0)

#define HINT_FUNCTIONS "Segment rules may call only the whitelisted immutable functions listed in doc/segments.md."
#define HINT_COLUMNS "Segment rules may refer only to the columns of bankcrm.party_features, by their plain names."
#define HINT_SHAPE "Write the rule as one boolean expression over the columns of bankcrm.party_features."

/*
 * check_gap
 *		Refuse a comment anywhere in rule[from, to): text that the scanner
 *		skips outside of tokens.
 */
static void
check_gap(RuleCheck *rc, int from, int to)
{
	int			i;

	for (i = from; i + 1 < to; i++)
	{
		if ((rc->rule[i] == '-' && rc->rule[i + 1] == '-') ||
			(rc->rule[i] == '/' && rc->rule[i + 1] == '*'))
			REFUSE(rc, ERRCODE_SYNTAX_ERROR, i,
				   "Remove the comment; describe the segment in its description instead.",
				   "comments are not allowed in a segment rule");
	}
}

/*
 * check_tokens
 *		Tokenise the rule with the core scanner.
 *
 * Besides refusing semicolons, this proves that no text hides in the rule:
 * the only tokens that may contain "--" or "/ *" are string constants and
 * quoted identifiers, and those must be written in their one canonical form
 * ('...' with '' for a quote, "..." with "" for a double quote), whose
 * length is therefore known.  Every other stretch of text between token
 * starts holds one token that cannot contain a comment opener, plus white
 * space, so a comment opener found there is a comment.
 */
static void
check_tokens(RuleCheck *rc)
{
	const char *rule = rc->rule;
	int			len = strlen(rule);
	core_yy_extra_type yyextra;
	core_yyscan_t scanner;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			gap_start = 0;
	int			ntokens = 0;

	scanner = scanner_init(rule, &yyextra, &ScanKeywords, ScanKeywordTokens);

	for (;;)
	{
		int			tok = core_yylex(&yylval, &yylloc, scanner);
		int			loc = (tok == 0) ? len : yylloc;
		char		c;

		check_gap(rc, gap_start, loc);
		if (tok == 0)
			break;
		ntokens++;

		if (tok == ';')
			REFUSE(rc, ERRCODE_SYNTAX_ERROR, loc, HINT_SHAPE,
				   "segment rule must be a single expression");

		c = rule[loc];
		if (c == '\'' || c == '"')
		{
			/* canonical form of the constant or quoted identifier */
			StringInfoData canon;
			const char *p;

			initStringInfo(&canon);
			appendStringInfoChar(&canon, c);
			for (p = yylval.str; *p; p++)
			{
				if (*p == c)
					appendStringInfoChar(&canon, c);
				appendStringInfoChar(&canon, *p);
			}
			appendStringInfoChar(&canon, c);
			if (loc + canon.len > len || strncmp(rule + loc, canon.data, canon.len) != 0)
				REFUSE(rc, ERRCODE_SYNTAX_ERROR, loc,
					   "Write string constants as '...', doubling any quote inside, on one line.",
					   "%s must be written in plain form in a segment rule",
					   c == '\'' ? "string constants" : "quoted identifiers");
			gap_start = loc + canon.len;
			pfree(canon.data);
		}
		else if (c == '$' && !isdigit((unsigned char) rule[loc + 1]))
			REFUSE(rc, ERRCODE_SYNTAX_ERROR, loc,
				   "Write string constants as '...', doubling any quote inside, on one line.",
				   "dollar-quoted strings are not allowed in a segment rule");
		else if ((strchr("bBeEnNxX", c) != NULL && rule[loc + 1] == '\'') ||
				 ((c == 'u' || c == 'U') && rule[loc + 1] == '&'))
			REFUSE(rc, ERRCODE_SYNTAX_ERROR, loc,
				   "Write string constants as '...', doubling any quote inside, on one line.",
				   "escape, bit, national and Unicode string forms are not allowed in a segment rule");
		else
			gap_start = loc;
	}
	scanner_finish(scanner);

	if (ntokens == 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("segment rule is empty"),
				 errhint(HINT_SHAPE)));
}

/*
 * check_statement_shape
 *		The raw parse of the rule must be a bare select list of exactly one
 *		unnamed expression; return that expression.
 */
static Node *
check_statement_shape(RuleCheck *rc, List *parsetree)
{
	RawStmt    *raw;
	SelectStmt *sel;
	ResTarget  *target;
	const char *clause = NULL;
	int			location = -1;

	if (list_length(parsetree) != 1 || !IsA(linitial(parsetree), RawStmt) ||
		!IsA(((RawStmt *) linitial(parsetree))->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("segment rule must be a single expression"),
				 errhint(HINT_SHAPE)));
	raw = linitial_node(RawStmt, parsetree);
	sel = (SelectStmt *) raw->stmt;

	if (sel->fromClause != NIL)
	{
		clause = "FROM";
		location = exprLocation(linitial(sel->fromClause));
	}
	else if (sel->whereClause != NULL)
	{
		clause = "WHERE";
		location = exprLocation(sel->whereClause);
	}
	else if (sel->groupClause != NIL || sel->groupDistinct)
		clause = "GROUP BY";
	else if (sel->havingClause != NULL)
		clause = "HAVING";
	else if (sel->windowClause != NIL)
		clause = "WINDOW";
	else if (sel->sortClause != NIL)
		clause = "ORDER BY";
	else if (sel->limitCount != NULL || sel->limitOffset != NULL)
		clause = "LIMIT or OFFSET";
	else if (sel->lockingClause != NIL)
		clause = "FOR UPDATE or FOR SHARE";
	else if (sel->distinctClause != NIL)
		clause = "DISTINCT";
	else if (sel->intoClause != NULL || sel->withClause != NULL || sel->valuesLists != NIL ||
			 sel->op != SETOP_NONE)
		clause = "INTO, WITH or VALUES";
	if (clause != NULL)
		REFUSE(rc, ERRCODE_SYNTAX_ERROR, location, HINT_SHAPE,
			   "%s clause is not allowed in a segment rule", clause);

	if (list_length(sel->targetList) != 1)
		REFUSE(rc, ERRCODE_SYNTAX_ERROR,
			   exprLocation(lsecond(sel->targetList)), HINT_SHAPE,
			   "segment rule must be a single expression, not a list");

	target = linitial_node(ResTarget, sel->targetList);
	if (target->name != NULL || target->indirection != NIL)
		REFUSE(rc, ERRCODE_SYNTAX_ERROR, target->location, HINT_SHAPE,
			   "segment rule must be a single expression without a column alias");
	return target->val;
}

/*
 * name_in_list
 *		Is name one of the NULL-terminated list?
 */
static bool
name_in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

/*
 * check_schema_name
 *		A qualified function, operator or type name may name only pg_catalog
 *		or the extension's schema.
 */
static void
check_schema_name(RuleCheck *rc, const char *schemaname, const char *what,
				  const char *name, int location)
{
	if (schemaname == NULL)
		return;
	if (strcmp(schemaname, "pg_catalog") == 0 ||
		LookupNamespaceNoError(schemaname) == rc->extschema)
		return;
	REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, location, HINT_FUNCTIONS,
		   "%s \"%s.%s\" is not allowed in a segment rule", what, schemaname, name);
}

/*
 * check_column_ref
 *		A column reference is one plain name of a party_features column: no
 *		qualification, no star, no whole-row reference, no system column.
 */
static void
check_column_ref(RuleCheck *rc, ColumnRef *cref)
{
	Node	   *last = llast(cref->fields);
	const char *name;

	if (IsA(last, A_Star))
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, cref->location, HINT_COLUMNS,
			   "whole-row references are not allowed in a segment rule");
	if (list_length(cref->fields) != 1)
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, cref->location, HINT_COLUMNS,
			   "qualified column reference \"%s\" is not allowed in a segment rule",
			   NameListToString(cref->fields));

	name = strVal(last);
	if (strcmp(name, SEGMENT_FEATURES_VIEW) == 0)
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, cref->location, HINT_COLUMNS,
			   "whole-row references are not allowed in a segment rule");
	if (SystemAttributeByName(name) != NULL)
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, cref->location, HINT_COLUMNS,
			   "system column \"%s\" is not allowed in a segment rule", name);
	if (get_attnum(RelationGetRelid(rc->features), name) == InvalidAttrNumber)
		REFUSE(rc, ERRCODE_UNDEFINED_COLUMN, cref->location, HINT_COLUMNS,
			   "column \"%s\" is not a segment feature", name);
}

/*
 * check_func_call
 *		A function call names a whitelisted function and is a plain call:
 *		no aggregate or window syntax, no VARIADIC.
 */
static void
check_func_call(RuleCheck *rc, FuncCall *fc)
{
	char	   *schemaname;
	char	   *funcname;

	DeconstructQualifiedName(fc->funcname, &schemaname, &funcname);

	if (fc->over != NULL)
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, fc->location, HINT_FUNCTIONS,
			   "window function \"%s\" is not allowed in a segment rule", funcname);
	if (fc->agg_star || fc->agg_distinct || fc->agg_order != NIL ||
		fc->agg_filter != NULL || fc->agg_within_group)
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, fc->location, HINT_FUNCTIONS,
			   "aggregate function \"%s\" is not allowed in a segment rule", funcname);
	if (fc->func_variadic)
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, fc->location, HINT_FUNCTIONS,
			   "VARIADIC calls are not allowed in a segment rule");

	check_schema_name(rc, schemaname, "function", funcname, fc->location);
	if (schemaname == NULL || strcmp(schemaname, "pg_catalog") == 0)
	{
		if (name_in_list(funcname, allowed_catalog_functions))
			return;
	}
	if (schemaname == NULL || strcmp(schemaname, "pg_catalog") != 0)
	{
		if (name_in_list(funcname, allowed_extension_functions))
			return;
	}
	REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, fc->location, HINT_FUNCTIONS,
		   "function \"%s\" is not allowed in a segment rule", funcname);
}

/*
 * check_operator_name
 *		An operator is one of the whitelisted comparison, arithmetic,
 *		concatenation, LIKE and array operators.
 */
static void
check_operator_name(RuleCheck *rc, List *opname, int location)
{
	char	   *schemaname;
	char	   *name;

	DeconstructQualifiedName(opname, &schemaname, &name);
	check_schema_name(rc, schemaname, "operator", name, location);
	if (!name_in_list(name, allowed_operators))
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, location, HINT_FUNCTIONS,
			   "operator %s is not allowed in a segment rule", name);
}

/*
 * check_type_cast
 *		Casts only to basic types: boolean, integers, numeric, floating
 *		point, text, varchar, date, credit_rating and text[].
 */
static void
check_type_cast(RuleCheck *rc, TypeCast *tc)
{
	Oid			typid;
	int32		typmod;

	typenameTypeIdAndMod(NULL, tc->typeName, &typid, &typmod);
	switch (typid)
	{
		case BOOLOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case TEXTOID:
		case VARCHAROID:
		case DATEOID:
		case TEXTARRAYOID:
			return;
		default:
			if (typid == rc->credit_rating_type)
				return;
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, tc->location,
				   "Cast only to boolean, smallint, integer, bigint, numeric, real, double precision, text, varchar, date, text[] or credit_rating.",
				   "cast to type %s is not allowed in a segment rule", format_type_be(typid));
	}
}

/*
 * word_at
 *		The keyword at a location of the rule, upper-cased, for naming
 *		CURRENT_DATE and its kin in errors (their node types differ between
 *		server versions; the text does not).
 */
static char *
word_at(RuleCheck *rc, int location)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	if (location >= 0)
		for (p = rc->rule + location; isalpha((unsigned char) *p) || *p == '_'; p++)
			appendStringInfoChar(&buf, pg_ascii_toupper((unsigned char) *p));
	return buf.data;
}

/*
 * raw_walker
 *		Admit only the raw node types a rule may contain, check names, and
 *		enforce the size and depth limits.
 */
static bool
raw_walker(Node *node, void *context)
{
	RuleCheck  *rc = (RuleCheck *) context;
	bool		result;

	if (node == NULL)
		return false;
	check_stack_depth();

	if (IsA(node, List))
		return raw_expression_tree_walker(node, raw_walker, context);

	if (++rc->nodes > SEGMENT_RULE_MAX_NODES)
		REFUSE(rc, ERRCODE_STATEMENT_TOO_COMPLEX, exprLocation(node),
			   "Split the segment, or use IN lists and ranges instead of long chains of conditions.",
			   "segment rule is too complex: more than %d elements", SEGMENT_RULE_MAX_NODES);
	if (rc->depth >= SEGMENT_RULE_MAX_DEPTH)
		REFUSE(rc, ERRCODE_STATEMENT_TOO_COMPLEX, exprLocation(node),
			   "Split the segment, or use IN lists and ranges instead of deep nesting.",
			   "segment rule is too complex: nested more than %d levels deep", SEGMENT_RULE_MAX_DEPTH);

	switch (nodeTag(node))
	{
		case T_A_Const:
			return false;
		case T_ColumnRef:
			check_column_ref(rc, (ColumnRef *) node);
			return false;
		case T_A_Expr:
			{
				A_Expr	   *a = (A_Expr *) node;

				switch (a->kind)
				{
					case AEXPR_BETWEEN:
					case AEXPR_NOT_BETWEEN:
					case AEXPR_BETWEEN_SYM:
					case AEXPR_NOT_BETWEEN_SYM:
						break;
					case AEXPR_SIMILAR:
						REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, a->location,
							   "Use LIKE or ILIKE patterns instead.",
							   "SIMILAR TO is not allowed in a segment rule");
						break;
					default:
						check_operator_name(rc, a->name, a->location);
						break;
				}
				break;
			}
		case T_BoolExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_CaseExpr:
		case T_CaseWhen:
		case T_CoalesceExpr:
		case T_MinMaxExpr:
		case T_A_ArrayExpr:
			break;
		case T_TypeCast:
			check_type_cast(rc, (TypeCast *) node);
			rc->depth++;
			result = raw_walker(((TypeCast *) node)->arg, context);
			rc->depth--;
			return result;
		case T_FuncCall:
			check_func_call(rc, (FuncCall *) node);
			rc->depth++;
			result = raw_walker((Node *) ((FuncCall *) node)->args, context);
			rc->depth--;
			return result;
		case T_SQLValueFunction:
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, ((SQLValueFunction *) node)->location,
				   "Use the age, tenure_years and days_since_last_contact features instead of the current date or user.",
				   "%s is not allowed in a segment rule",
				   word_at(rc, ((SQLValueFunction *) node)->location));
			break;
		case T_SubLink:
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, ((SubLink *) node)->location, HINT_COLUMNS,
				   "subqueries are not allowed in a segment rule");
			break;
		case T_ParamRef:
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, ((ParamRef *) node)->location, HINT_SHAPE,
				   "parameter $%d is not allowed in a segment rule", ((ParamRef *) node)->number);
			break;
		case T_CollateClause:
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, ((CollateClause *) node)->location,
				   "Remove the COLLATE clause; rules compare with the default collation.",
				   "COLLATE is not allowed in a segment rule");
			break;
		case T_A_Indirection:
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, exprLocation(((A_Indirection *) node)->arg),
				   "Use the array operators @>, <@, && or = ANY (...) instead.",
				   "subscripts and field selections are not allowed in a segment rule");
			break;
		case T_RowExpr:
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, exprLocation(node),
				   "Compare the columns one at a time.",
				   "row constructors are not allowed in a segment rule");
			break;
		default:
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, exprLocation(node), HINT_SHAPE,
				   "this kind of expression is not allowed in a segment rule");
			break;
	}

	rc->depth++;
	result = raw_expression_tree_walker(node, raw_walker, context);
	rc->depth--;
	return result;
}

/*
 * check_function_oid
 *		After analysis: a called function must be immutable, return one
 *		value, live in pg_catalog or the extension's schema and, when the
 *		rule calls it by name, be on the whitelist.  Casts the analyzer
 *		chose (int4 to numeric and the like) need only the first three.
 */
static void
check_function_oid(RuleCheck *rc, Oid funcid, CoercionForm format, int location)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		ok;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	proc = (Form_pg_proc) GETSTRUCT(tup);

	ok = proc->prokind == PROKIND_FUNCTION && !proc->proretset &&
		proc->provolatile == PROVOLATILE_IMMUTABLE &&
		(proc->pronamespace == PG_CATALOG_NAMESPACE || proc->pronamespace == rc->extschema);
	if (ok && (format == COERCE_EXPLICIT_CALL || format == COERCE_SQL_SYNTAX))
		ok = name_in_list(NameStr(proc->proname),
						  proc->pronamespace == PG_CATALOG_NAMESPACE ?
						  allowed_catalog_functions : allowed_extension_functions);
	if (!ok)
	{
		char	   *name = pstrdup(NameStr(proc->proname));
		bool		immutable = proc->provolatile == PROVOLATILE_IMMUTABLE;

		ReleaseSysCache(tup);
		if (!immutable)
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, location,
				   "Cast the arguments, for example to date, numeric or text, so that an immutable variant is chosen.",
				   "function %s is not allowed in a segment rule because it is not immutable",
				   format_procedure(funcid));
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, location, HINT_FUNCTIONS,
			   "function \"%s\" is not allowed in a segment rule", name);
	}
	ReleaseSysCache(tup);
}

/*
 * check_operator_oid
 *		After analysis: an operator must live in pg_catalog or the
 *		extension's schema, be on the whitelist and run an immutable function.
 */
static void
check_operator_oid(RuleCheck *rc, Oid opno, int location)
{
	HeapTuple	tup;
	Form_pg_operator oper;
	bool		ok;

	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	oper = (Form_pg_operator) GETSTRUCT(tup);

	ok = (oper->oprnamespace == PG_CATALOG_NAMESPACE || oper->oprnamespace == rc->extschema) &&
		name_in_list(NameStr(oper->oprname), allowed_operators) &&
		func_volatile(oper->oprcode) == PROVOLATILE_IMMUTABLE;
	if (!ok)
	{
		char	   *name = pstrdup(NameStr(oper->oprname));
		char	   *types = pstrdup(format_operator(opno));

		ReleaseSysCache(tup);
		REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, location, HINT_FUNCTIONS,
			   "operator %s is not allowed in a segment rule: %s is not immutable or not whitelisted",
			   name, types);
	}
	ReleaseSysCache(tup);
}

/*
 * check_clock_literal
 *		A date or time literal that the type's input function resolves
 *		against the clock ('now', 'today', 'tomorrow', 'yesterday') is folded
 *		into a constant when the rule is analysed, so the rule would mean a
 *		different thing every day.  Refuse it: the literal is read back from
 *		the rule text at the constant's position (the analyser keeps the
 *		literal's own position when it coerces it).
 */
static void
check_clock_literal(RuleCheck *rc, Const *con)
{
	static const char *const clock_words[] = {"now", "today", "tomorrow", "yesterday", NULL};
	StringInfoData lit;
	const char *p;
	int			i;

	switch (con->consttype)
	{
		case DATEOID:
		case TIMEOID:
		case TIMETZOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case DATEARRAYOID:
		case TIMEARRAYOID:
		case TIMETZARRAYOID:
		case TIMESTAMPARRAYOID:
		case TIMESTAMPTZARRAYOID:
			break;
		default:
			return;
	}
	if (con->location < 0 || con->location >= (int) strlen(rc->rule) || rc->rule[con->location] != '\'')
		return;
	/* the literal's text, '' read as ', lower-cased */
	initStringInfo(&lit);
	for (p = rc->rule + con->location + 1; *p; p++)
	{
		if (*p == '\'')
		{
			if (p[1] != '\'')
				break;
			p++;
		}
		appendStringInfoChar(&lit, pg_ascii_tolower((unsigned char) *p));
	}
	/* any of the words, as a word of its own ("today", "now", "{today}", "yesterday 10:00") */
	for (i = 0; clock_words[i]; i++)
	{
		size_t		len = strlen(clock_words[i]);

		for (p = strstr(lit.data, clock_words[i]); p; p = strstr(p + 1, clock_words[i]))
		{
			bool		start = p == lit.data || !isalpha((unsigned char) p[-1]);
			bool		end = !isalpha((unsigned char) p[len]);

			if (start && end)
				REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, con->location,
					   "Use the age, tenure_years and days_since_last_contact features, or a fixed date such as '2026-01-01'.",
					   "date and time literals that depend on the clock are not allowed in a segment rule: '%s'",
					   clock_words[i]);
		}
	}
	pfree(lit.data);
}

/*
 * analyzed_walker
 *		Admit only the analysed node types a rule may produce and check every
 *		function and operator by OID.
 */
static bool
analyzed_walker(Node *node, void *context)
{
	RuleCheck  *rc = (RuleCheck *) context;

	if (node == NULL)
		return false;
	check_stack_depth();

	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *var = (Var *) node;

				if (var->varno != 1 || var->varlevelsup != 0 || var->varattno <= 0)
					REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, var->location, HINT_COLUMNS,
						   "this column reference is not allowed in a segment rule");
				return false;
			}
		case T_Const:
			check_clock_literal(rc, (Const *) node);
			return false;
		case T_CaseTestExpr:
			return false;
		case T_FuncExpr:
			check_function_oid(rc, ((FuncExpr *) node)->funcid,
							   ((FuncExpr *) node)->funcformat, ((FuncExpr *) node)->location);
			break;
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			check_operator_oid(rc, ((OpExpr *) node)->opno, ((OpExpr *) node)->location);
			break;
		case T_ScalarArrayOpExpr:
			check_operator_oid(rc, ((ScalarArrayOpExpr *) node)->opno,
							   ((ScalarArrayOpExpr *) node)->location);
			break;
		case T_List:
		case T_BoolExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_CaseExpr:
		case T_CaseWhen:
		case T_CoalesceExpr:
		case T_MinMaxExpr:
		case T_ArrayExpr:
		case T_RelabelType:
		case T_CoerceViaIO:
		case T_ArrayCoerceExpr:
			break;
		default:
			REFUSE(rc, ERRCODE_INSUFFICIENT_PRIVILEGE, exprLocation(node), HINT_SHAPE,
				   "this kind of expression is not allowed in a segment rule");
			break;
	}
	return expression_tree_walker(node, analyzed_walker, context);
}

/*
 * SegmentCheckExpression
 *		Check a rule; return its analysed expression (allocated in the
 *		current memory context) or raise an error naming what is wrong.
 *
 * extschema is the schema of the extension: party_features, credit_rating
 * and the extension's whitelisted functions live there.  A rule must be
 * boolean; with numeric true the expression must instead be of a numeric
 * type (a clustering feature, src/cluster.c), and everything else is
 * checked the same way.
 */
Node *
SegmentCheckExpression(const char *rule, Oid extschema, bool numeric)
{
	RuleCheck	rc;
	ErrorContextCallback errcallback;
	int			save_nestlevel;
	char	   *path;
	Oid			relid;
	List	   *parsetree;
	Node	   *raw;
	Node	   *expr;
	ParseState *pstate;
	ParseNamespaceItem *nsitem;
	Oid			restype;

	memset(&rc, 0, sizeof(rc));
	rc.rule = rule;
	rc.extschema = extschema;

	if (strlen(rule) > SEGMENT_RULE_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("segment rule is too complex: longer than %d bytes", SEGMENT_RULE_MAX_BYTES),
				 errdetail("The rule is %d bytes long.", (int) strlen(rule)),
				 errhint("Split the segment, or use IN lists and ranges instead of long chains of conditions.")));

	/* resolve names the same way whoever calls */
	save_nestlevel = NewGUCNestLevel();
	path = psprintf("pg_catalog, %s", quote_identifier(get_namespace_name(extschema)));
	(void) set_config_option("search_path", path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("standard_conforming_strings", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	relid = get_relname_relid(SEGMENT_FEATURES_VIEW, extschema);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist",
						get_namespace_name(extschema), SEGMENT_FEATURES_VIEW)));
	rc.features = relation_open(relid, AccessShareLock);
	rc.credit_rating_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
											CStringGetDatum("credit_rating"),
											ObjectIdGetDatum(extschema));

	errcallback.callback = rule_error_callback;
	errcallback.arg = (void *) rule;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	/* 1. tokens */
	check_tokens(&rc);

	/* 2. exactly one expression */
	parsetree = raw_parser(rule, RAW_PARSE_PLPGSQL_EXPR);
	raw = check_statement_shape(&rc, parsetree);

	/* 3. whitelisted raw nodes, within the limits */
	(void) raw_walker(raw, &rc);

	/* 4. analysis against party_features */
	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = rule;
	nsitem = addRangeTableEntryForRelation(pstate, rc.features, AccessShareLock, NULL, false, true);
	addNSItemToQuery(pstate, nsitem, true, true, true);
	expr = transformExpr(pstate, raw, EXPR_KIND_WHERE);
	restype = exprType(expr);
	if (numeric)
	{
		if (restype != INT2OID && restype != INT4OID && restype != INT8OID &&
			restype != FLOAT4OID && restype != FLOAT8OID && restype != NUMERICOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("cluster feature must return a number, not type %s", format_type_be(restype)),
					 errhint("Use a numeric column of party_features or an arithmetic expression, for example aum / 10000."),
					 errposition(Max(rule_position(&rc, exprLocation(expr)), 1))));
	}
	else if (restype != BOOLOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("segment rule must return type boolean, not type %s", format_type_be(restype)),
				 errdetail("Found at position %d of the rule.", Max(rule_position(&rc, exprLocation(expr)), 1)),
				 errhint("Compare the value with something, for example aum >= 500000."),
				 errposition(Max(rule_position(&rc, exprLocation(expr)), 1))));
	assign_expr_collations(pstate, expr);
	if (list_length(pstate->p_rtable) != 1 || pstate->p_hasAggs || pstate->p_hasWindowFuncs ||
		pstate->p_hasTargetSRFs || pstate->p_hasSubLinks)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("segment rule may use only the columns of party_features"),
				 errhint(HINT_SHAPE)));
	(void) analyzed_walker(expr, &rc);
	if (contain_mutable_functions(expr))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("segment rule must use only immutable functions and operators"),
				 errhint(HINT_FUNCTIONS)));
	free_parsestate(pstate);

	error_context_stack = errcallback.previous;
	relation_close(rc.features, AccessShareLock);
	AtEOXact_GUC(true, save_nestlevel);
	return expr;
}

/*
 * segment_check_rule(rule text) returns boolean
 *		True when the rule is one valid segment expression; raises an error
 *		that names the offending element otherwise.  STABLE: it reads the
 *		catalogs.
 */
PG_FUNCTION_INFO_V1(segment_check_rule);
Datum
segment_check_rule(PG_FUNCTION_ARGS)
{
	char	   *rule = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			extschema = get_func_namespace(fcinfo->flinfo->fn_oid);

	(void) SegmentCheckExpression(rule, extschema, false);
	PG_RETURN_BOOL(true);
}
