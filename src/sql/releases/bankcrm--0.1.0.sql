-- src/sql/00_header.sql
-- bankcrm install script, assembled from src/sql/*.sql in name order.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION bankcrm" to load this file. \quit
-- src/sql/10_credit_rating.sql
-- credit_rating: the agency grade scale AAA .. D as a pass-by-value ordinal.
--
-- The value is an int2 code, D = 1 .. AAA = 22, so integer order is credit
-- quality order.  As in contrib/isn, the type is declared LIKE int2 and its
-- comparison, sort support, hash and min/max functions are the built-in int2
-- functions (LANGUAGE internal); only I/O and the grade functions are ours.
-- The aggregates come after the operators because SORTOP names one.

-- credit_rating: shell type and I/O functions

CREATE TYPE @extschema@.credit_rating;

CREATE FUNCTION @extschema@.credit_rating_in(pg_catalog.cstring)
	RETURNS @extschema@.credit_rating
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_out(@extschema@.credit_rating)
	RETURNS pg_catalog.cstring
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_recv(pg_catalog.internal)
	RETURNS @extschema@.credit_rating
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_send(@extschema@.credit_rating)
	RETURNS pg_catalog.bytea
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- credit_rating: the type

CREATE TYPE @extschema@.credit_rating (
	INPUT = @extschema@.credit_rating_in,
	OUTPUT = @extschema@.credit_rating_out,
	RECEIVE = @extschema@.credit_rating_recv,
	SEND = @extschema@.credit_rating_send,
	LIKE = pg_catalog.int2
);

COMMENT ON TYPE @extschema@.credit_rating IS
	'agency credit grade, AAA (best) to D (worst), ordered by credit quality';
COMMENT ON FUNCTION @extschema@.credit_rating_in(pg_catalog.cstring) IS 'I/O';
COMMENT ON FUNCTION @extschema@.credit_rating_out(@extschema@.credit_rating) IS 'I/O';
COMMENT ON FUNCTION @extschema@.credit_rating_recv(pg_catalog.internal) IS 'I/O';
COMMENT ON FUNCTION @extschema@.credit_rating_send(@extschema@.credit_rating) IS 'I/O';

-- credit_rating: functions

CREATE FUNCTION @extschema@.notch(@extschema@.credit_rating)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'credit_rating_notch'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.notch(@extschema@.credit_rating) IS
	'agency notch of a grade: AAA = 1 ... D = 22';

CREATE FUNCTION @extschema@.rating_band(@extschema@.credit_rating)
	RETURNS pg_catalog.text
	AS 'MODULE_PATHNAME', 'credit_rating_band'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.rating_band(@extschema@.credit_rating) IS
	'reporting band of a grade: AAA, AA, A, BBB, BB or below BB';

CREATE FUNCTION @extschema@.is_investment_grade(@extschema@.credit_rating)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME', 'credit_rating_is_investment_grade'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.is_investment_grade(@extschema@.credit_rating) IS
	'true for BBB- and better';

CREATE FUNCTION @extschema@.downgrade(@extschema@.credit_rating, pg_catalog.int4)
	RETURNS @extschema@.credit_rating
	AS 'MODULE_PATHNAME', 'credit_rating_downgrade'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.downgrade(@extschema@.credit_rating, pg_catalog.int4) IS
	'grade moved the given number of notches towards D, stopping at D; negative steps upgrade';

CREATE FUNCTION @extschema@.upgrade(@extschema@.credit_rating, pg_catalog.int4)
	RETURNS @extschema@.credit_rating
	AS 'MODULE_PATHNAME', 'credit_rating_upgrade'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.upgrade(@extschema@.credit_rating, pg_catalog.int4) IS
	'grade moved the given number of notches towards AAA, stopping at AAA; negative steps downgrade';

-- credit_rating: operator and support functions (the int2 built-ins)

CREATE FUNCTION @extschema@.credit_rating_lt(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS pg_catalog.bool
	AS 'int2lt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_le(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS pg_catalog.bool
	AS 'int2le'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_eq(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS pg_catalog.bool
	AS 'int2eq'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_ne(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS pg_catalog.bool
	AS 'int2ne'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_ge(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS pg_catalog.bool
	AS 'int2ge'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_gt(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS pg_catalog.bool
	AS 'int2gt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_cmp(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS pg_catalog.int4
	AS 'btint2cmp'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_sortsupport(pg_catalog.internal)
	RETURNS pg_catalog.void
	AS 'btint2sortsupport'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_hash(@extschema@.credit_rating)
	RETURNS pg_catalog.int4
	AS 'hashint2'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_hash_extended(@extschema@.credit_rating, pg_catalog.int8)
	RETURNS pg_catalog.int8
	AS 'hashint2extended'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_smaller(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS @extschema@.credit_rating
	AS 'int2smaller'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_larger(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS @extschema@.credit_rating
	AS 'int2larger'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.credit_rating_distance(@extschema@.credit_rating, @extschema@.credit_rating)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.credit_rating_lt(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'implementation of < operator';
COMMENT ON FUNCTION @extschema@.credit_rating_le(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'implementation of <= operator';
COMMENT ON FUNCTION @extschema@.credit_rating_eq(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'implementation of = operator';
COMMENT ON FUNCTION @extschema@.credit_rating_ne(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'implementation of <> operator';
COMMENT ON FUNCTION @extschema@.credit_rating_ge(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'implementation of >= operator';
COMMENT ON FUNCTION @extschema@.credit_rating_gt(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'implementation of > operator';
COMMENT ON FUNCTION @extschema@.credit_rating_cmp(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'btree comparison: negative, zero or positive as the first grade is worse than, equal to or better than the second';
COMMENT ON FUNCTION @extschema@.credit_rating_sortsupport(pg_catalog.internal) IS
	'btree sort support';
COMMENT ON FUNCTION @extschema@.credit_rating_hash(@extschema@.credit_rating) IS
	'hash';
COMMENT ON FUNCTION @extschema@.credit_rating_hash_extended(@extschema@.credit_rating, pg_catalog.int8) IS
	'hash with seed';
COMMENT ON FUNCTION @extschema@.credit_rating_smaller(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'the worse of two grades';
COMMENT ON FUNCTION @extschema@.credit_rating_larger(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'the better of two grades';
COMMENT ON FUNCTION @extschema@.credit_rating_distance(@extschema@.credit_rating, @extschema@.credit_rating) IS
	'implementation of <-> operator: notches between two grades';

-- credit_rating: operators

CREATE OPERATOR @extschema@.< (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.credit_rating_lt,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE OPERATOR @extschema@.<= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.credit_rating_le,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.credit_rating_eq,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel,
	MERGES,
	HASHES
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.credit_rating_ne,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.>= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.credit_rating_ge,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR @extschema@.> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.credit_rating_gt,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

CREATE OPERATOR @extschema@.<-> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.credit_rating_distance,
	COMMUTATOR = OPERATOR(@extschema@.<->)
);

COMMENT ON OPERATOR @extschema@.< (@extschema@.credit_rating, @extschema@.credit_rating) IS
	'worse than';
COMMENT ON OPERATOR @extschema@.<= (@extschema@.credit_rating, @extschema@.credit_rating) IS
	'worse than or equal to';
COMMENT ON OPERATOR @extschema@.= (@extschema@.credit_rating, @extschema@.credit_rating) IS
	'equal';
COMMENT ON OPERATOR @extschema@.<> (@extschema@.credit_rating, @extschema@.credit_rating) IS
	'not equal';
COMMENT ON OPERATOR @extschema@.>= (@extschema@.credit_rating, @extschema@.credit_rating) IS
	'better than or equal to';
COMMENT ON OPERATOR @extschema@.> (@extschema@.credit_rating, @extschema@.credit_rating) IS
	'better than';
COMMENT ON OPERATOR @extschema@.<-> (@extschema@.credit_rating, @extschema@.credit_rating) IS
	'number of notches between two grades';

-- credit_rating: aggregates

CREATE AGGREGATE @extschema@.min(@extschema@.credit_rating) (
	SFUNC = @extschema@.credit_rating_smaller,
	STYPE = @extschema@.credit_rating,
	COMBINEFUNC = @extschema@.credit_rating_smaller,
	SORTOP = OPERATOR(@extschema@.<),
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.max(@extschema@.credit_rating) (
	SFUNC = @extschema@.credit_rating_larger,
	STYPE = @extschema@.credit_rating,
	COMBINEFUNC = @extschema@.credit_rating_larger,
	SORTOP = OPERATOR(@extschema@.>),
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.min(@extschema@.credit_rating) IS
	'worst grade of all input values';
COMMENT ON AGGREGATE @extschema@.max(@extschema@.credit_rating) IS
	'best grade of all input values';

-- credit_rating: operator classes

CREATE OPERATOR CLASS @extschema@.credit_rating_ops
	DEFAULT FOR TYPE @extschema@.credit_rating USING btree AS
		OPERATOR 1 @extschema@.<,
		OPERATOR 2 @extschema@.<=,
		OPERATOR 3 @extschema@.=,
		OPERATOR 4 @extschema@.>=,
		OPERATOR 5 @extschema@.>,
		FUNCTION 1 @extschema@.credit_rating_cmp(@extschema@.credit_rating, @extschema@.credit_rating),
		FUNCTION 2 @extschema@.credit_rating_sortsupport(pg_catalog.internal),
		FUNCTION 4 pg_catalog.btequalimage(pg_catalog.oid);

CREATE OPERATOR CLASS @extschema@.credit_rating_ops
	DEFAULT FOR TYPE @extschema@.credit_rating USING hash AS
		OPERATOR 1 @extschema@.=,
		FUNCTION 1 @extschema@.credit_rating_hash(@extschema@.credit_rating),
		FUNCTION 2 @extschema@.credit_rating_hash_extended(@extschema@.credit_rating, pg_catalog.int8);

COMMENT ON OPERATOR CLASS @extschema@.credit_rating_ops USING btree IS
	'default btree operator class for credit_rating: order by credit quality';
COMMENT ON OPERATOR CLASS @extschema@.credit_rating_ops USING hash IS
	'default hash operator class for credit_rating';
COMMENT ON OPERATOR FAMILY @extschema@.credit_rating_ops USING btree IS
	'btree operator family for credit_rating';
COMMENT ON OPERATOR FAMILY @extschema@.credit_rating_ops USING hash IS
	'hash operator family for credit_rating';
-- src/sql/11_phone.sql
-- phone: an E.164 telephone number as a pass-by-value int8.
--
-- The value is the number's digits, country code first, read as one integer
-- (+86 135 2295 6919 is 8613522956919): at most 15 digits and never a
-- leading 0, so the encoding is lossless and ordering is numeric.  As in
-- contrib/isn, the type is declared LIKE int8 and its comparison, sort
-- support, hash and min/max functions are the built-in int8 functions
-- (LANGUAGE internal); only I/O, phone_parse and the functions that take a
-- number apart are ours.  The input function is IMMUTABLE and accepts
-- international forms only; phone_parse is STABLE and also accepts national
-- forms under bankcrm.default_country_code.  The aggregates come after the
-- operators because SORTOP names one.

-- phone: shell type and I/O functions

CREATE TYPE @extschema@.phone;

CREATE FUNCTION @extschema@.phone_in(pg_catalog.cstring)
	RETURNS @extschema@.phone
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_out(@extschema@.phone)
	RETURNS pg_catalog.cstring
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_recv(pg_catalog.internal)
	RETURNS @extschema@.phone
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_send(@extschema@.phone)
	RETURNS pg_catalog.bytea
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- phone: the type

CREATE TYPE @extschema@.phone (
	INPUT = @extschema@.phone_in,
	OUTPUT = @extschema@.phone_out,
	RECEIVE = @extschema@.phone_recv,
	SEND = @extschema@.phone_send,
	LIKE = pg_catalog.int8
);

COMMENT ON TYPE @extschema@.phone IS
	'E.164 telephone number, stored as its digits in an int8, ordered numerically';
COMMENT ON FUNCTION @extschema@.phone_in(pg_catalog.cstring) IS 'I/O';
COMMENT ON FUNCTION @extschema@.phone_out(@extschema@.phone) IS 'I/O';
COMMENT ON FUNCTION @extschema@.phone_recv(pg_catalog.internal) IS 'I/O';
COMMENT ON FUNCTION @extschema@.phone_send(@extschema@.phone) IS 'I/O';

-- phone: functions

-- not STRICT: a NULL country code means bankcrm.default_country_code
CREATE FUNCTION @extschema@.phone_parse(pg_catalog.text,
		default_country_code pg_catalog.int4 DEFAULT NULL)
	RETURNS @extschema@.phone
	AS 'MODULE_PATHNAME'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.phone_parse(pg_catalog.text, pg_catalog.int4) IS
	'parse a number in international or national form; national numbers are in the given country, or in bankcrm.default_country_code when it is NULL';

CREATE FUNCTION @extschema@.country_code(@extschema@.phone)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'phone_country_code'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.country_code(@extschema@.phone) IS
	'country calling code of a number, e.g. 86';

CREATE FUNCTION @extschema@.national_number(@extschema@.phone)
	RETURNS pg_catalog.text
	AS 'MODULE_PATHNAME', 'phone_national_number'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.national_number(@extschema@.phone) IS
	'national significant number: the digits after the country code';

CREATE FUNCTION @extschema@.phone_mask(@extschema@.phone)
	RETURNS pg_catalog.text
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.phone_mask(@extschema@.phone) IS
	'number with its middle digits masked, e.g. +86 135****6919, for analysts and logs';

CREATE FUNCTION @extschema@.phone_format(@extschema@.phone)
	RETURNS pg_catalog.text
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.phone_format(@extschema@.phone) IS
	'number grouped for reading, e.g. +86 135 2295 6919';

-- phone: operator and support functions (the int8 built-ins)

CREATE FUNCTION @extschema@.phone_lt(@extschema@.phone, @extschema@.phone)
	RETURNS pg_catalog.bool
	AS 'int8lt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_le(@extschema@.phone, @extschema@.phone)
	RETURNS pg_catalog.bool
	AS 'int8le'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_eq(@extschema@.phone, @extschema@.phone)
	RETURNS pg_catalog.bool
	AS 'int8eq'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_ne(@extschema@.phone, @extschema@.phone)
	RETURNS pg_catalog.bool
	AS 'int8ne'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_ge(@extschema@.phone, @extschema@.phone)
	RETURNS pg_catalog.bool
	AS 'int8ge'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_gt(@extschema@.phone, @extschema@.phone)
	RETURNS pg_catalog.bool
	AS 'int8gt'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_cmp(@extschema@.phone, @extschema@.phone)
	RETURNS pg_catalog.int4
	AS 'btint8cmp'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_sortsupport(pg_catalog.internal)
	RETURNS pg_catalog.void
	AS 'btint8sortsupport'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_hash(@extschema@.phone)
	RETURNS pg_catalog.int4
	AS 'hashint8'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_hash_extended(@extschema@.phone, pg_catalog.int8)
	RETURNS pg_catalog.int8
	AS 'hashint8extended'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_smaller(@extschema@.phone, @extschema@.phone)
	RETURNS @extschema@.phone
	AS 'int8smaller'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.phone_larger(@extschema@.phone, @extschema@.phone)
	RETURNS @extschema@.phone
	AS 'int8larger'
	LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.phone_lt(@extschema@.phone, @extschema@.phone) IS
	'implementation of < operator';
COMMENT ON FUNCTION @extschema@.phone_le(@extschema@.phone, @extschema@.phone) IS
	'implementation of <= operator';
COMMENT ON FUNCTION @extschema@.phone_eq(@extschema@.phone, @extschema@.phone) IS
	'implementation of = operator';
COMMENT ON FUNCTION @extschema@.phone_ne(@extschema@.phone, @extschema@.phone) IS
	'implementation of <> operator';
COMMENT ON FUNCTION @extschema@.phone_ge(@extschema@.phone, @extschema@.phone) IS
	'implementation of >= operator';
COMMENT ON FUNCTION @extschema@.phone_gt(@extschema@.phone, @extschema@.phone) IS
	'implementation of > operator';
COMMENT ON FUNCTION @extschema@.phone_cmp(@extschema@.phone, @extschema@.phone) IS
	'btree comparison: -1, 0 or 1 as the first number is numerically smaller than, equal to or larger than the second';
COMMENT ON FUNCTION @extschema@.phone_sortsupport(pg_catalog.internal) IS
	'btree sort support';
COMMENT ON FUNCTION @extschema@.phone_hash(@extschema@.phone) IS
	'hash';
COMMENT ON FUNCTION @extschema@.phone_hash_extended(@extschema@.phone, pg_catalog.int8) IS
	'hash with seed';
COMMENT ON FUNCTION @extschema@.phone_smaller(@extschema@.phone, @extschema@.phone) IS
	'the numerically smaller of two numbers';
COMMENT ON FUNCTION @extschema@.phone_larger(@extschema@.phone, @extschema@.phone) IS
	'the numerically larger of two numbers';

-- phone: operators

CREATE OPERATOR @extschema@.< (
	LEFTARG = @extschema@.phone,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.phone_lt,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE OPERATOR @extschema@.<= (
	LEFTARG = @extschema@.phone,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.phone_le,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.phone,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.phone_eq,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel,
	MERGES,
	HASHES
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.phone,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.phone_ne,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.>= (
	LEFTARG = @extschema@.phone,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.phone_ge,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR @extschema@.> (
	LEFTARG = @extschema@.phone,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.phone_gt,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

COMMENT ON OPERATOR @extschema@.< (@extschema@.phone, @extschema@.phone) IS
	'numerically less than';
COMMENT ON OPERATOR @extschema@.<= (@extschema@.phone, @extschema@.phone) IS
	'numerically less than or equal to';
COMMENT ON OPERATOR @extschema@.= (@extschema@.phone, @extschema@.phone) IS
	'equal';
COMMENT ON OPERATOR @extschema@.<> (@extschema@.phone, @extschema@.phone) IS
	'not equal';
COMMENT ON OPERATOR @extschema@.>= (@extschema@.phone, @extschema@.phone) IS
	'numerically greater than or equal to';
COMMENT ON OPERATOR @extschema@.> (@extschema@.phone, @extschema@.phone) IS
	'numerically greater than';

-- phone: aggregates

CREATE AGGREGATE @extschema@.min(@extschema@.phone) (
	SFUNC = @extschema@.phone_smaller,
	STYPE = @extschema@.phone,
	COMBINEFUNC = @extschema@.phone_smaller,
	SORTOP = OPERATOR(@extschema@.<),
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.max(@extschema@.phone) (
	SFUNC = @extschema@.phone_larger,
	STYPE = @extschema@.phone,
	COMBINEFUNC = @extschema@.phone_larger,
	SORTOP = OPERATOR(@extschema@.>),
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.min(@extschema@.phone) IS
	'numerically smallest number of all input values';
COMMENT ON AGGREGATE @extschema@.max(@extschema@.phone) IS
	'numerically largest number of all input values';

-- phone: operator classes

CREATE OPERATOR CLASS @extschema@.phone_ops
	DEFAULT FOR TYPE @extschema@.phone USING btree AS
		OPERATOR 1 @extschema@.<,
		OPERATOR 2 @extschema@.<=,
		OPERATOR 3 @extschema@.=,
		OPERATOR 4 @extschema@.>=,
		OPERATOR 5 @extschema@.>,
		FUNCTION 1 @extschema@.phone_cmp(@extschema@.phone, @extschema@.phone),
		FUNCTION 2 @extschema@.phone_sortsupport(pg_catalog.internal),
		FUNCTION 4 pg_catalog.btequalimage(pg_catalog.oid);

CREATE OPERATOR CLASS @extschema@.phone_ops
	DEFAULT FOR TYPE @extschema@.phone USING hash AS
		OPERATOR 1 @extschema@.=,
		FUNCTION 1 @extschema@.phone_hash(@extschema@.phone),
		FUNCTION 2 @extschema@.phone_hash_extended(@extschema@.phone, pg_catalog.int8);

COMMENT ON OPERATOR CLASS @extschema@.phone_ops USING btree IS
	'default btree operator class for phone: numeric order of the digits';
COMMENT ON OPERATOR CLASS @extschema@.phone_ops USING hash IS
	'default hash operator class for phone';
COMMENT ON OPERATOR FAMILY @extschema@.phone_ops USING btree IS
	'btree operator family for phone';
COMMENT ON OPERATOR FAMILY @extschema@.phone_ops USING hash IS
	'hash operator family for phone';
-- src/sql/20_party.sql
-- customer 360: organisation (region, branch, team, staff), parties and what
-- hangs off them (phones, relations, coverage, KYC answers)

-- region: where a party or branch is; its time zone sets local calling hours
CREATE TABLE @extschema@.region (
	region_code  text PRIMARY KEY
	             CONSTRAINT region_code_format CHECK (region_code ~ '^[A-Z]{2}(-[A-Z0-9]{1,6})?$'),
	name         text NOT NULL,
	province     text NOT NULL,
	tz           text NOT NULL DEFAULT 'Asia/Shanghai'
);
COMMENT ON TABLE @extschema@.region IS 'Regions (provinces and cities) with the time zone used for local calling windows';

CREATE TABLE @extschema@.branch (
	branch_id    integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	code         text NOT NULL UNIQUE,
	name         text NOT NULL,
	region_code  text NOT NULL REFERENCES @extschema@.region,
	opened_on    date
);
COMMENT ON TABLE @extschema@.branch IS 'Bank branches';

CREATE TABLE @extschema@.team (
	team_id      integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	branch_id    integer NOT NULL REFERENCES @extschema@.branch,
	name         text NOT NULL,
	kind         text NOT NULL DEFAULT 'relationship'
	             CONSTRAINT team_kind_check CHECK (kind IN ('relationship', 'call_centre', 'hunting', 'wealth', 'corporate')),
	UNIQUE (branch_id, name)
);
COMMENT ON TABLE @extschema@.team IS 'Teams of staff: N+1 relationship teams, call-centre teams, hunting teams';

CREATE TABLE @extschema@.staff (
	staff_id        integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name            text NOT NULL,
	role_kind       text NOT NULL
	                CONSTRAINT staff_role_kind_check CHECK (role_kind IN
	                  ('rm', 'team_lead', 'branch_manager', 'lobby_manager', 'agent', 'analyst', 'hunter', 'farmer')),
	branch_id       integer NOT NULL REFERENCES @extschema@.branch,
	team_id         integer REFERENCES @extschema@.team,
	db_role         name UNIQUE,
	daily_capacity  integer NOT NULL DEFAULT 40 CONSTRAINT staff_daily_capacity_check CHECK (daily_capacity >= 0),
	active          boolean NOT NULL DEFAULT true,
	hired_on        date
);
COMMENT ON TABLE @extschema@.staff IS 'Staff members; db_role maps a database login role to the staff member it acts as';
COMMENT ON COLUMN @extschema@.staff.db_role IS 'The database role this staff member logs in as; row-level security resolves current_user through it';
CREATE INDEX staff_team_idx ON @extschema@.staff (team_id);
CREATE INDEX staff_branch_idx ON @extschema@.staff (branch_id);

-- party: every customer or prospect
CREATE TABLE @extschema@.party (
	party_id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	kind              text NOT NULL
	                  CONSTRAINT party_kind_check CHECK (kind IN ('individual', 'corporate', 'financial_institution', 'government')),
	name              text NOT NULL CONSTRAINT party_name_check CHECK (btrim(name) <> ''),
	gender            text CONSTRAINT party_gender_check CHECK (gender IN ('f', 'm')),
	industry          text CONSTRAINT party_industry_check CHECK (industry IN
	                    ('agriculture', 'mining', 'machinery', 'electronics', 'chemicals', 'textiles', 'food',
	                     'construction', 'real_estate', 'energy', 'transport', 'logistics', 'commerce', 'wholesale',
	                     'retail', 'hospitality', 'finance', 'it', 'telecom', 'healthcare', 'education',
	                     'public_administration', 'professional_services', 'other')),
	region_code       text NOT NULL REFERENCES @extschema@.region,
	birth_date        date,
	education         text CONSTRAINT party_education_check CHECK (education IN
	                    ('primary', 'secondary', 'vocational', 'bachelor', 'master', 'doctorate')),
	occupation        text CONSTRAINT party_occupation_check CHECK (occupation IN
	                    ('student', 'employee', 'professional', 'civil_servant', 'business_owner', 'individual_merchant',
	                     'farmer', 'retired', 'homemaker', 'unemployed', 'executive', 'other')),
	life_stage        text CONSTRAINT party_life_stage_check CHECK (life_stage IN
	                    ('bachelor', 'newly_married', 'full_nest_1', 'full_nest_2', 'full_nest_3', 'empty_nest', 'solitary_survivor')),
	wealth_source     text CONSTRAINT party_wealth_source_check CHECK (wealth_source IN ('inherited', 'created')),
	involvement       text CONSTRAINT party_involvement_check CHECK (involvement IN ('delegator', 'participant', 'validator', 'uhnw')),
	product_lifecycle text CONSTRAINT party_product_lifecycle_check CHECK (product_lifecycle IN
	                    ('introduction', 'growth', 'maturity', 'decline')),
	credit_rating     @extschema@.credit_rating,
	status            text NOT NULL DEFAULT 'prospect'
	                  CONSTRAINT party_status_check CHECK (status IN ('prospect', 'active', 'dormant', 'closed')),
	home_branch_id    integer REFERENCES @extschema@.branch,
	onboarded_on      date,
	closed_on         date,
	annual_turnover   numeric(18, 2) CONSTRAINT party_annual_turnover_check CHECK (annual_turnover >= 0),
	consent_marketing boolean NOT NULL DEFAULT false,
	do_not_contact    boolean NOT NULL DEFAULT false,
	created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT party_individual_fields_check CHECK (kind = 'individual' OR
	  (gender IS NULL AND education IS NULL AND life_stage IS NULL AND involvement IS NULL)),
	CONSTRAINT party_closed_check CHECK ((status = 'closed') = (closed_on IS NOT NULL))
);
COMMENT ON TABLE @extschema@.party IS 'Every customer or prospect of the bank: individuals, corporates, financial institutions, government bodies';
COMMENT ON COLUMN @extschema@.party.birth_date IS 'Date of birth (individuals) or of founding (organisations)';
COMMENT ON COLUMN @extschema@.party.life_stage IS 'Stage of the family life cycle (individuals): the seven stages';
COMMENT ON COLUMN @extschema@.party.involvement IS 'Wealth-management involvement style: delegator, participant, validator, ultra-high-net-worth';
COMMENT ON COLUMN @extschema@.party.product_lifecycle IS 'Corporates: market life-cycle stage of the main product';
COMMENT ON COLUMN @extschema@.party.annual_turnover IS 'Yearly business turnover (corporates and individual merchants), CNY';
COMMENT ON COLUMN @extschema@.party.consent_marketing IS 'The party agreed to marketing contact';
COMMENT ON COLUMN @extschema@.party.do_not_contact IS 'The party asked not to be contacted for marketing';
CREATE INDEX party_branch_idx ON @extschema@.party (home_branch_id);
CREATE INDEX party_kind_status_idx ON @extschema@.party (kind, status);

-- KYC answers ("know your customer in 100 questions"): only bankcrm_admin reads them
CREATE TABLE @extschema@.party_kyc (
	party_id    bigint PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	answers     jsonb NOT NULL DEFAULT '{}' CONSTRAINT party_kyc_answers_check CHECK (jsonb_typeof(answers) = 'object'),
	reviewed_on date
);
COMMENT ON TABLE @extschema@.party_kyc IS 'Know-your-customer answers per party; readable by bankcrm_admin only';

CREATE TABLE @extschema@.party_phone (
	party_id    bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	phone       @extschema@.phone NOT NULL,
	kind        text NOT NULL DEFAULT 'mobile' CONSTRAINT party_phone_kind_check CHECK (kind IN ('mobile', 'home', 'work', 'fax')),
	is_primary  boolean NOT NULL DEFAULT false,
	verified    boolean NOT NULL DEFAULT false,
	PRIMARY KEY (party_id, phone)
);
COMMENT ON TABLE @extschema@.party_phone IS 'Phone numbers of parties (E.164)';
CREATE UNIQUE INDEX party_phone_one_primary ON @extschema@.party_phone (party_id) WHERE is_primary;
CREATE INDEX party_phone_phone_idx ON @extschema@.party_phone (phone);

CREATE TABLE @extschema@.party_relation (
	party_id          bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	related_party_id  bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	kind              text NOT NULL CONSTRAINT party_relation_kind_check CHECK (kind IN ('household', 'parent_company', 'guarantor', 'referral')),
	since             date,
	PRIMARY KEY (party_id, related_party_id, kind),
	CONSTRAINT party_relation_not_self CHECK (party_id <> related_party_id)
);
COMMENT ON TABLE @extschema@.party_relation IS 'Relations between parties: household members, parent companies, guarantors, referrals';
CREATE INDEX party_relation_related_idx ON @extschema@.party_relation (related_party_id);

-- coverage: who looks after a party, in what role (N+1 teams, hunters and farmers)
CREATE TABLE @extschema@.coverage (
	coverage_id  bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id     bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	staff_id     integer NOT NULL REFERENCES @extschema@.staff,
	role         text NOT NULL CONSTRAINT coverage_role_check CHECK (role IN ('primary_rm', 'team_member', 'hunter', 'farmer', 'lobby_manager')),
	valid_from   date NOT NULL DEFAULT CURRENT_DATE,
	valid_to     date,
	CONSTRAINT coverage_dates_check CHECK (valid_to IS NULL OR valid_to >= valid_from),
	-- keys of a party's rows include party_id (doc/scale-out.md)
	PRIMARY KEY (coverage_id, party_id)
);
COMMENT ON TABLE @extschema@.coverage IS 'Who covers a party in which role and since when; valid_to NULL means current';
CREATE UNIQUE INDEX coverage_one_primary_rm ON @extschema@.coverage (party_id) WHERE role = 'primary_rm' AND valid_to IS NULL;
CREATE INDEX coverage_party_idx ON @extschema@.coverage (party_id);
CREATE INDEX coverage_staff_idx ON @extschema@.coverage (staff_id) WHERE valid_to IS NULL;
-- src/sql/21_business.sql
-- customer 360: products, holdings, weekly activity, contacts, complaints,
-- surveys and appointments

CREATE TABLE @extschema@.product (
	product_id   integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	code         text NOT NULL UNIQUE,
	name         text NOT NULL,
	category     text NOT NULL CONSTRAINT product_category_check CHECK (category IN
	               ('deposit', 'loan', 'card', 'wealth', 'insurance', 'fx', 'payment', 'service')),
	for_kind     text[] NOT NULL DEFAULT '{individual,corporate,financial_institution,government}'
	             CONSTRAINT product_for_kind_check CHECK (for_kind <@ '{individual,corporate,financial_institution,government}'::text[]),
	feature      text,
	advantage    text,
	benefit      text,
	evidence     text[] NOT NULL DEFAULT '{}',
	active       boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE @extschema@.product IS 'Product catalogue with FABE pitch content (feature, advantage, benefit, evidence)';
COMMENT ON COLUMN @extschema@.product.for_kind IS 'Party kinds the product is sold to';

CREATE TABLE @extschema@.holding (
	holding_id            bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id              bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	product_id            integer NOT NULL REFERENCES @extschema@.product,
	balance               numeric(18, 2) NOT NULL DEFAULT 0 CONSTRAINT holding_balance_check CHECK (balance >= 0),
	rate                  numeric(9, 6) NOT NULL DEFAULT 0 CONSTRAINT holding_rate_check CHECK (rate > -1 AND rate < 1),
	fees_ytd              numeric(14, 2) NOT NULL DEFAULT 0 CONSTRAINT holding_fees_check CHECK (fees_ytd >= 0),
	monthly_contribution  numeric(14, 2) NOT NULL DEFAULT 0,
	opened_on             date NOT NULL,
	closed_on             date,
	CONSTRAINT holding_dates_check CHECK (closed_on IS NULL OR closed_on >= opened_on),
	PRIMARY KEY (holding_id, party_id)
);
COMMENT ON TABLE @extschema@.holding IS 'Products a party holds: balance, rate, fees and monthly profit contribution';
COMMENT ON COLUMN @extschema@.holding.rate IS 'Yearly interest rate as a fraction (0.0435 = 4.35 %)';
CREATE INDEX holding_party_idx ON @extschema@.holding (party_id);
CREATE INDEX holding_product_idx ON @extschema@.holding (product_id) WHERE closed_on IS NULL;

-- weekly volumes per party: the input of churn early warning
CREATE TABLE @extschema@.activity_weekly (
	party_id     bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	week         date NOT NULL CONSTRAINT activity_weekly_week_check CHECK (pg_catalog.date_part('isodow', week) = 1),
	loan_volume  double precision NOT NULL DEFAULT 0
	             CONSTRAINT activity_weekly_loan_volume_check CHECK (loan_volume >= 0 AND loan_volume < 'Infinity'),
	txn_volume   double precision NOT NULL DEFAULT 0
	             CONSTRAINT activity_weekly_txn_volume_check CHECK (txn_volume >= 0 AND txn_volume < 'Infinity'),
	txn_count    integer NOT NULL DEFAULT 0 CONSTRAINT activity_weekly_txn_count_check CHECK (txn_count >= 0),
	PRIMARY KEY (party_id, week)
);
COMMENT ON TABLE @extschema@.activity_weekly IS 'Each party''s lending and transaction volume per ISO week (week = its Monday)';
COMMENT ON COLUMN @extschema@.activity_weekly.week IS 'Monday of the ISO week';

-- contact: every interaction on every channel; append-only
CREATE TABLE @extschema@.contact (
	contact_id      bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id        bigint NOT NULL REFERENCES @extschema@.party,
	staff_id        integer REFERENCES @extschema@.staff,
	channel         text NOT NULL CONSTRAINT contact_channel_check CHECK (channel IN
	                  ('branch', 'phone_in', 'phone_out', 'web', 'mobile', 'email', 'letter', 'fax', 'visit', 'event', 'sms')),
	purpose         text NOT NULL DEFAULT 'service' CONSTRAINT contact_purpose_check CHECK (purpose IN
	                  ('service', 'sales', 'care', 'collection', 'complaint', 'survey', 'retention', 'kyc')),
	outcome         text NOT NULL CONSTRAINT contact_outcome_check CHECK (outcome IN
	                  ('completed', 'answered', 'no_answer', 'busy', 'congestion', 'failed', 'invalid_number', 'unknown',
	                   'left_message', 'interested', 'not_interested', 'appointment', 'sale', 'declined', 'do_not_call')),
	fabe_step       text CONSTRAINT contact_fabe_step_check CHECK (fabe_step IN ('feature', 'advantage', 'benefit', 'evidence', 'convinced')),
	campaign_id     bigint,
	lead_id         bigint,
	product_id      integer REFERENCES @extschema@.product,
	occurred_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
	duration_s      integer CONSTRAINT contact_duration_check CHECK (duration_s >= 0),
	note            text,
	next_follow_up  timestamptz,
	PRIMARY KEY (contact_id, party_id)
);
COMMENT ON TABLE @extschema@.contact IS 'Every interaction with a party on every channel; append-only (corrections are new rows)';
CREATE INDEX contact_party_time_idx ON @extschema@.contact (party_id, occurred_at);
CREATE INDEX contact_staff_time_idx ON @extschema@.contact (staff_id, occurred_at);

CREATE FUNCTION @extschema@.contact_append_only_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'contact history is append-only'
		USING ERRCODE = 'prohibited_sql_statement_attempted',
		      DETAIL = format('%s on table %I.%I is not allowed.', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
		      HINT = 'Record a correction as a new contact row.';
END
$$;
COMMENT ON FUNCTION @extschema@.contact_append_only_trigger() IS 'Refuses UPDATE, DELETE and TRUNCATE on contact';
CREATE TRIGGER contact_append_only BEFORE UPDATE OR DELETE ON @extschema@.contact
	FOR EACH ROW EXECUTE FUNCTION @extschema@.contact_append_only_trigger();
CREATE TRIGGER contact_no_truncate BEFORE TRUNCATE ON @extschema@.contact
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.contact_append_only_trigger();

CREATE TABLE @extschema@.complaint (
	complaint_id   bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id       bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	received_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	channel        text NOT NULL CONSTRAINT complaint_channel_check CHECK (channel IN
	                 ('branch', 'phone_in', 'web', 'mobile', 'email', 'letter', 'regulator')),
	category       text NOT NULL CONSTRAINT complaint_category_check CHECK (category IN
	                 ('service', 'fees', 'product', 'staff', 'waiting_time', 'system', 'fraud', 'other')),
	severity       text NOT NULL DEFAULT 'normal' CONSTRAINT complaint_severity_check CHECK (severity IN ('low', 'normal', 'high', 'critical')),
	state          text NOT NULL DEFAULT 'received' CONSTRAINT complaint_state_check CHECK (state IN
	                 ('received', 'assigned', 'investigating', 'responded', 'closed', 'escalated')),
	assigned_to    integer REFERENCES @extschema@.staff,
	description    text NOT NULL,
	resolved_at    timestamptz,
	PRIMARY KEY (complaint_id, party_id)
);
COMMENT ON TABLE @extschema@.complaint IS 'Customer complaints and where they are in their handling flow';
CREATE INDEX complaint_party_idx ON @extschema@.complaint (party_id);
CREATE INDEX complaint_open_idx ON @extschema@.complaint (state) WHERE state NOT IN ('closed');

CREATE TABLE @extschema@.survey_response (
	response_id     bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id        bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	surveyed_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
	channel         text NOT NULL DEFAULT 'phone_out' CONSTRAINT survey_response_channel_check CHECK (channel IN
	                  ('branch', 'phone_out', 'web', 'mobile', 'email', 'sms')),
	reliability     smallint NOT NULL CONSTRAINT survey_reliability_check CHECK (reliability BETWEEN 1 AND 5),
	assurance       smallint NOT NULL CONSTRAINT survey_assurance_check CHECK (assurance BETWEEN 1 AND 5),
	tangibles       smallint NOT NULL CONSTRAINT survey_tangibles_check CHECK (tangibles BETWEEN 1 AND 5),
	empathy         smallint NOT NULL CONSTRAINT survey_empathy_check CHECK (empathy BETWEEN 1 AND 5),
	responsiveness  smallint NOT NULL CONSTRAINT survey_responsiveness_check CHECK (responsiveness BETWEEN 1 AND 5),
	comment         text,
	PRIMARY KEY (response_id, party_id)
);
COMMENT ON TABLE @extschema@.survey_response IS 'Satisfaction surveys on the five service-quality dimensions, each scored 1 to 5';
CREATE INDEX survey_response_party_idx ON @extschema@.survey_response (party_id);

CREATE TABLE @extschema@.appointment (
	appointment_id  bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id        bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	staff_id        integer NOT NULL REFERENCES @extschema@.staff,
	branch_id       integer REFERENCES @extschema@.branch,
	starts_at       timestamptz NOT NULL,
	ends_at         timestamptz NOT NULL,
	kind            text NOT NULL DEFAULT 'branch_meeting' CONSTRAINT appointment_kind_check CHECK (kind IN
	                  ('branch_meeting', 'visit', 'call_back', 'seminar')),
	purpose         text,
	status          text NOT NULL DEFAULT 'scheduled' CONSTRAINT appointment_status_check CHECK (status IN
	                  ('scheduled', 'done', 'cancelled', 'no_show')),
	lead_id         bigint,
	CONSTRAINT appointment_time_check CHECK (ends_at > starts_at),
	PRIMARY KEY (appointment_id, party_id)
);
COMMENT ON TABLE @extschema@.appointment IS 'Branch meetings, visits and call-backs agreed with a party';
CREATE INDEX appointment_staff_time_idx ON @extschema@.appointment (staff_id, starts_at);
CREATE INDEX appointment_party_idx ON @extschema@.appointment (party_id);
-- src/sql/22_relationship_group.sql
-- households and corporate groups: the connected parts of party_relation
--
-- Two parties are in one relationship group when a chain of household or
-- parent_company relations joins them, whichever way each relation points,
-- through parties that are not closed.  A group is named by its lowest
-- party_id.  relationship_group holds one row per party in a group of two
-- or more; row triggers on party_relation and on party's status keep it
-- current on one node, by recomputing the groups of the parties a change
-- touches.  On Citus the triggers run in the shards, which cannot follow a
-- chain into other shards: there relationship_group_refresh() recomputes
-- every group after changes (doc/concepts.md).  The table is derived: it is
-- not dumped, and the triggers rebuild it when a dump is restored.  Guarantees do not join
-- groups: guarantor_chain follows them for credit staff.

CREATE TABLE @extschema@.relationship_group (
	party_id    bigint NOT NULL PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	group_id    bigint NOT NULL,
	kind        text NOT NULL CONSTRAINT relationship_group_kind_check CHECK (kind IN ('household', 'corporate', 'mixed')),
	members     integer NOT NULL CONSTRAINT relationship_group_members_check CHECK (members >= 2)
);
COMMENT ON TABLE @extschema@.relationship_group IS 'The household or corporate group of each party that has one: parties joined by household or parent_company relations through parties that are not closed';
COMMENT ON COLUMN @extschema@.relationship_group.group_id IS 'The lowest party_id of the group';
COMMENT ON COLUMN @extschema@.relationship_group.kind IS 'household (household relations only), corporate (parent_company only) or mixed';
COMMENT ON COLUMN @extschema@.relationship_group.members IS 'Parties in the group';
CREATE INDEX relationship_group_group_idx ON @extschema@.relationship_group (group_id);

-- the groups of the given parties, each party with its group: the chains
-- of live relations from each seed, followed both ways; UNION stops at
-- parties already reached, so cycles end.  edges names the relation rows
-- to follow: NULL for party_relation itself, or a table of (party_id,
-- related_party_id, kind) with the live relations only
CREATE FUNCTION @extschema@.relationship_group_of(seeds bigint[], edges regclass DEFAULT NULL)
RETURNS TABLE (party_id bigint, group_id bigint, kind text, members integer)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	src text;
	out_e text;
	in_e text;
BEGIN
	IF edges IS NULL THEN
		out_e := format('SELECT e.related_party_id AS other, e.kind FROM %1$I.party_relation e '
		                'JOIN %1$I.party q ON q.party_id = e.related_party_id AND q.status <> ''closed'' '
		                'WHERE e.party_id = r.node AND e.kind IN (''household'', ''parent_company'')', '@extschema@');
		in_e := format('SELECT e.party_id, e.kind FROM %1$I.party_relation e '
		               'JOIN %1$I.party q ON q.party_id = e.party_id AND q.status <> ''closed'' '
		               'WHERE e.related_party_id = r.node AND e.kind IN (''household'', ''parent_company'')', '@extschema@');
		src := format('SELECT s FROM pg_catalog.unnest($1) s JOIN %I.party p ON p.party_id = s AND p.status <> ''closed''',
		              '@extschema@');
	ELSE
		out_e := format('SELECT e.related_party_id AS other, e.kind FROM %s e WHERE e.party_id = r.node', edges);
		in_e := format('SELECT e.party_id, e.kind FROM %s e WHERE e.related_party_id = r.node', edges);
		src := 'SELECT s FROM pg_catalog.unnest($1) s';
	END IF;
	RETURN QUERY EXECUTE format(
		'WITH RECURSIVE reach (seed, node, kind) AS ('
		'  SELECT DISTINCT s.s, s.s, NULL::text FROM (%s) s'
		'  UNION'
		'  SELECT r.seed, x.other, x.kind FROM reach r'
		'  CROSS JOIN LATERAL (%s UNION ALL %s) x'
		'), comp AS ('
		'  SELECT r.seed, pg_catalog.min(r.node) AS group_id, pg_catalog.count(DISTINCT r.node)::integer AS members,'
		'         CASE WHEN pg_catalog.bool_and(r.kind = ''household'') THEN ''household'''
		'              WHEN pg_catalog.bool_and(r.kind = ''parent_company'') THEN ''corporate'''
		'              ELSE ''mixed'' END AS kind'
		'    FROM reach r GROUP BY r.seed'
		') '
		'SELECT DISTINCT r.node, c.group_id, c.kind, c.members'
		'  FROM reach r JOIN comp c ON c.seed = r.seed'
		' WHERE c.members >= 2', src, out_e, in_e)
	USING seeds;
END
$$;
COMMENT ON FUNCTION @extschema@.relationship_group_of(bigint[], regclass) IS 'Every party of the groups of the given parties, with its group (lowest party_id), kind and size; groups of one are left out';

-- rewrite the rows of the given parties and of everyone in their groups
CREATE FUNCTION @extschema@.relationship_group_touch(seeds bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	affected bigint[];
	n integer;
BEGIN
	-- one upkeep at a time, to the end of the transaction: a relation that
	-- joins two groups must see the relation another transaction is adding
	-- (read committed: each statement below sees what committed before it)
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('bankcrm.relationship_group'));
	affected := ARRAY(SELECT DISTINCT x FROM (
	                    SELECT unnest(seeds) AS x
	                    UNION ALL
	                    SELECT g.party_id FROM @extschema@.relationship_group g
	                     WHERE g.group_id IN (SELECT o.group_id FROM @extschema@.relationship_group o
	                                           WHERE o.party_id = ANY (seeds))) a
	                   WHERE x IS NOT NULL);
	WITH n AS (SELECT * FROM @extschema@.relationship_group_of(affected)),
	     gone AS (DELETE FROM @extschema@.relationship_group g
	               WHERE g.party_id = ANY (affected)
	                 AND NOT EXISTS (SELECT 1 FROM n WHERE n.party_id = g.party_id))
	INSERT INTO @extschema@.relationship_group AS g (party_id, group_id, kind, members)
	SELECT n.party_id, n.group_id, n.kind, n.members FROM n
	ON CONFLICT ON CONSTRAINT relationship_group_pkey DO UPDATE
	   SET group_id = EXCLUDED.group_id, kind = EXCLUDED.kind, members = EXCLUDED.members
	 WHERE (g.group_id, g.kind, g.members) IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.kind, EXCLUDED.members);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.relationship_group_touch(bigint[]) IS 'Recomputes the groups of the given parties and of the members of their current groups, and writes the rows that changed; returns the rows inserted or changed';

-- every group again, from a copy of the live relations: on Citus the
-- relations and the closed parties are gathered on the coordinator, where
-- the chains are followed
CREATE FUNCTION @extschema@.relationship_group_refresh()
RETURNS TABLE (groups bigint, parties bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET client_min_messages = warning
AS $$
BEGIN
	DROP TABLE IF EXISTS pg_temp.relationship_group_edges, pg_temp.relationship_group_closed,
		pg_temp.relationship_group_all;
	CREATE TEMP TABLE relationship_group_edges ON COMMIT DROP AS
	SELECT r.party_id, r.related_party_id, r.kind
	  FROM @extschema@.party_relation r
	 WHERE r.kind IN ('household', 'parent_company');
	CREATE TEMP TABLE relationship_group_closed ON COMMIT DROP AS
	SELECT p.party_id FROM @extschema@.party p WHERE p.status = 'closed';
	DELETE FROM relationship_group_edges e
	 WHERE e.party_id IN (SELECT c.party_id FROM relationship_group_closed c)
	    OR e.related_party_id IN (SELECT c.party_id FROM relationship_group_closed c);
	CREATE INDEX ON relationship_group_edges (party_id);
	CREATE INDEX ON relationship_group_edges (related_party_id);
	ANALYZE relationship_group_edges;
	CREATE TEMP TABLE relationship_group_all ON COMMIT DROP AS
	SELECT * FROM @extschema@.relationship_group_of(
		ARRAY(SELECT e.party_id FROM relationship_group_edges e
		      UNION SELECT e.related_party_id FROM relationship_group_edges e),
		'pg_temp.relationship_group_edges'::regclass);
	DELETE FROM @extschema@.relationship_group g
	 WHERE g.party_id NOT IN (SELECT n.party_id FROM relationship_group_all n);
	INSERT INTO @extschema@.relationship_group AS g (party_id, group_id, kind, members)
	SELECT n.party_id, n.group_id, n.kind, n.members FROM relationship_group_all n
	ON CONFLICT ON CONSTRAINT relationship_group_pkey DO UPDATE
	   SET group_id = EXCLUDED.group_id, kind = EXCLUDED.kind, members = EXCLUDED.members
	 WHERE (g.group_id, g.kind, g.members) IS DISTINCT FROM (EXCLUDED.group_id, EXCLUDED.kind, EXCLUDED.members);
	RETURN QUERY SELECT pg_catalog.count(DISTINCT n.group_id), pg_catalog.count(*) FROM relationship_group_all n;
END
$$;
COMMENT ON FUNCTION @extschema@.relationship_group_refresh() IS 'Recomputes every relationship group from the live household and parent_company relations and writes the difference; returns the numbers of groups and of parties in them';

-- upkeep on one node: the groups of the parties a change touches
CREATE FUNCTION @extschema@.relationship_group_trigger()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	-- a shard of Citus (party_relation_102008) cannot follow chains into
	-- other shards: relationship_group_refresh() keeps the groups there
	IF TG_TABLE_NAME NOT IN ('party_relation', 'party') THEN
		RETURN NULL;
	END IF;
	IF TG_TABLE_NAME = 'party' THEN
		PERFORM @extschema@.relationship_group_touch(ARRAY[NEW.party_id]);
	ELSIF TG_OP = 'INSERT' THEN
		IF NEW.kind IN ('household', 'parent_company') THEN
			PERFORM @extschema@.relationship_group_touch(ARRAY[NEW.party_id, NEW.related_party_id]);
		END IF;
	ELSIF TG_OP = 'DELETE' THEN
		IF OLD.kind IN ('household', 'parent_company') THEN
			PERFORM @extschema@.relationship_group_touch(ARRAY[OLD.party_id, OLD.related_party_id]);
		END IF;
	ELSIF OLD.kind IN ('household', 'parent_company') OR NEW.kind IN ('household', 'parent_company') THEN
		PERFORM @extschema@.relationship_group_touch(ARRAY[OLD.party_id, OLD.related_party_id,
		                                                   NEW.party_id, NEW.related_party_id]);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.relationship_group_trigger() IS 'Keeps relationship_group current when a household or parent_company relation is added, changed or removed, or a party is closed or reopened';
CREATE TRIGGER relationship_group_upkeep AFTER INSERT OR UPDATE OR DELETE ON @extschema@.party_relation
	FOR EACH ROW EXECUTE FUNCTION @extschema@.relationship_group_trigger();
CREATE TRIGGER relationship_group_upkeep AFTER UPDATE OF status ON @extschema@.party
	FOR EACH ROW WHEN ((OLD.status = 'closed') IS DISTINCT FROM (NEW.status = 'closed'))
	EXECUTE FUNCTION @extschema@.relationship_group_trigger();

-- guarantor chains: who guarantees whom, directly or through others.  The
-- guarantees are read first and the chains followed over that copy: Citus
-- follows no recursive query over the shards
CREATE FUNCTION @extschema@.guarantor_chain_rows()
RETURNS TABLE (guarantor_id bigint, party_id bigint, depth integer, path bigint[], status text, loans numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	borrowers bigint[];
	guarantors bigint[];
	gs bigint[];
	ps bigint[];
	ds integer[];
	paths text[];
BEGIN
	SELECT pg_catalog.array_agg(r.party_id ORDER BY r.party_id, r.related_party_id),
	       pg_catalog.array_agg(r.related_party_id ORDER BY r.party_id, r.related_party_id)
	  INTO borrowers, guarantors
	  FROM @extschema@.party_relation r
	 WHERE r.kind = 'guarantor';
	WITH RECURSIVE e (b, g) AS (SELECT * FROM unnest(borrowers, guarantors)),
	chain (g, p, d, path) AS (
		SELECT e.g, e.b, 1, ARRAY[e.g, e.b] FROM e
		UNION ALL
		SELECT c.g, e.b, c.d + 1, c.path || e.b
		  FROM chain c JOIN e ON e.g = c.p
		 WHERE NOT e.b = ANY (c.path)
	)
	SELECT pg_catalog.array_agg(c.g), pg_catalog.array_agg(c.p), pg_catalog.array_agg(c.d),
	       pg_catalog.array_agg(c.path::text)
	  INTO gs, ps, ds, paths
	  FROM chain c;
	RETURN QUERY
	SELECT u.g, u.p, u.d, u.path::bigint[], pa.status, COALESCE(b.loans, 0)::numeric
	  FROM unnest(gs, ps, ds, paths) u (g, p, d, path)
	  JOIN (SELECT q.party_id, q.status FROM @extschema@.party q WHERE q.party_id = ANY (ps)) pa ON pa.party_id = u.p
	  LEFT JOIN (SELECT h.party_id, pg_catalog.sum(h.balance)::numeric(18, 2) AS loans
	               FROM @extschema@.holding h
	               JOIN @extschema@.product pr ON pr.product_id = h.product_id AND pr.category IN ('loan', 'card')
	              WHERE h.closed_on IS NULL AND h.party_id = ANY (ps)
	              GROUP BY h.party_id) b ON b.party_id = u.p;
END
$$;
COMMENT ON FUNCTION @extschema@.guarantor_chain_rows() IS 'The rows of guarantor_chain, with the caller''s rights';

CREATE VIEW @extschema@.guarantor_chain
WITH (security_invoker = true) AS
SELECT c.guarantor_id, c.party_id, c.depth, c.path, c.status, c.loans
  FROM @extschema@.guarantor_chain_rows() c;
COMMENT ON VIEW @extschema@.guarantor_chain IS 'Every party a guarantor stands behind, directly (depth 1) or as guarantor of a guarantor (depth 2 and more), with the chain and the party''s loans; a chain stops where it would come back to a party already on it; row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.guarantor_chain.guarantor_id IS 'The party that guarantees';
COMMENT ON COLUMN @extschema@.guarantor_chain.party_id IS 'A party whose debts the guarantor stands behind, directly or through the chain';
COMMENT ON COLUMN @extschema@.guarantor_chain.depth IS '1 when the guarantor guarantees the party itself, 2 when it guarantees a guarantor of the party, and so on';
COMMENT ON COLUMN @extschema@.guarantor_chain.path IS 'The chain from the guarantor to the party';
COMMENT ON COLUMN @extschema@.guarantor_chain.loans IS 'Loan and card balances of the party''s open holdings, CNY';

CREATE VIEW @extschema@.guarantor_exposure
WITH (security_invoker = true) AS
SELECT g.guarantor_id,
       pg_catalog.count(*) FILTER (WHERE g.nearest = 1) AS direct_parties,
       pg_catalog.count(*) AS parties,
       pg_catalog.max(g.farthest) AS longest_chain,
       pg_catalog.sum(g.loans) AS exposure
  FROM (SELECT c.guarantor_id, c.party_id, pg_catalog.min(c.depth) AS nearest, pg_catalog.max(c.depth) AS farthest,
               pg_catalog.max(c.loans) AS loans
          FROM @extschema@.guarantor_chain c
         GROUP BY c.guarantor_id, c.party_id) g
 GROUP BY g.guarantor_id;
COMMENT ON VIEW @extschema@.guarantor_exposure IS 'Per guarantor: the parties it guarantees directly, all it stands behind through chains, the longest chain and the exposure (loans of each such party, counted once); row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.guarantor_exposure.exposure IS 'Sum of the loans of every party the guarantor stands behind, each counted once, CNY';

-- privileges: in 42_group_rollup.sql, after the roles (30_security.sql)
-- src/sql/25_views.sql
-- customer 360 views: one row per party for screens, the masked view for
-- analysts, and the first aggregates

-- initialise a name: keep the first character, mask the rest
CREATE FUNCTION @extschema@.mask_name(name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
	WHEN pg_catalog.char_length(name) <= 1 THEN name
	ELSE pg_catalog.left(name, 1) || pg_catalog.repeat('*', LEAST(pg_catalog.char_length(name) - 1, 3))
END;
COMMENT ON FUNCTION @extschema@.mask_name(text) IS 'Masks a name for analysts: first character kept, the rest shown as at most three asterisks';

-- money a party has with the bank, per party (closed holdings excluded)
CREATE VIEW @extschema@.party_balance
WITH (security_invoker = true) AS
SELECT h.party_id,
       sum(h.balance) FILTER (WHERE pr.category IN ('deposit', 'wealth', 'insurance'))::numeric(18, 2) AS aum,
       sum(h.balance) FILTER (WHERE pr.category IN ('loan', 'card'))::numeric(18, 2) AS loans,
       pg_catalog.sum(h.monthly_contribution)::numeric(14, 2) AS monthly_contribution,
       pg_catalog.count(*) AS products_held
  FROM @extschema@.holding h
  JOIN @extschema@.product pr ON pr.product_id = h.product_id
 WHERE h.closed_on IS NULL
 GROUP BY h.party_id;
COMMENT ON VIEW @extschema@.party_balance IS 'Per party: assets under management, loans, monthly contribution and number of products held (open holdings)';
COMMENT ON COLUMN @extschema@.party_balance.aum IS 'Deposits, wealth and insurance balances';
COMMENT ON COLUMN @extschema@.party_balance.loans IS 'Loan and card balances';
COMMENT ON COLUMN @extschema@.party_balance.monthly_contribution IS 'Sum of the monthly profit contribution of open holdings';
COMMENT ON COLUMN @extschema@.party_balance.products_held IS 'Number of open holdings';

-- the customer 360: what the next agent needs to see about a party
CREATE VIEW @extschema@.party_360
WITH (security_invoker = true) AS
SELECT p.party_id,
       p.kind,
       p.name,
       p.status,
       p.credit_rating,
       p.industry,
       p.region_code,
       b.name AS home_branch,
       rm.name AS primary_rm,
       (SELECT pp.phone FROM @extschema@.party_phone pp
         WHERE pp.party_id = p.party_id
         ORDER BY pp.is_primary DESC, pp.phone LIMIT 1) AS primary_phone,
       COALESCE(bal.aum, 0) AS aum,
       COALESCE(bal.loans, 0) AS loans,
       COALESCE(bal.monthly_contribution, 0) AS monthly_contribution,
       COALESCE(bal.products_held, 0) AS products_held,
       (SELECT pg_catalog.array_agg(pr.code ORDER BY pr.code)
          FROM @extschema@.holding h JOIN @extschema@.product pr ON pr.product_id = h.product_id
         WHERE h.party_id = p.party_id AND h.closed_on IS NULL) AS products,
       lc.last_contact_at,
       lc.last_contact_channel,
       lc.last_contact_outcome,
       (SELECT pg_catalog.count(*) FROM @extschema@.contact c
         WHERE c.party_id = p.party_id
           AND c.occurred_at >= pg_catalog.now() - interval '90 days') AS contacts_90d,
       (SELECT pg_catalog.min(c.next_follow_up) FROM @extschema@.contact c
         WHERE c.party_id = p.party_id
           AND c.next_follow_up >= pg_catalog.now()) AS next_follow_up,
       (SELECT pg_catalog.count(*) FROM @extschema@.complaint cp
         WHERE cp.party_id = p.party_id AND cp.state NOT IN ('closed')) AS open_complaints,
       p.consent_marketing,
       p.do_not_contact,
       rg.group_id,
       rg.kind AS group_kind,
       rg.members AS group_members
  FROM @extschema@.party p
  LEFT JOIN @extschema@.branch b ON b.branch_id = p.home_branch_id
  LEFT JOIN @extschema@.coverage cv ON cv.party_id = p.party_id
        AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
  LEFT JOIN @extschema@.staff rm ON rm.staff_id = cv.staff_id
  LEFT JOIN @extschema@.party_balance bal ON bal.party_id = p.party_id
  LEFT JOIN @extschema@.relationship_group rg ON rg.party_id = p.party_id
  LEFT JOIN LATERAL (
       SELECT c.occurred_at AS last_contact_at, c.channel AS last_contact_channel, c.outcome AS last_contact_outcome
         FROM @extschema@.contact c
        WHERE c.party_id = p.party_id
        ORDER BY c.occurred_at DESC LIMIT 1) lc ON true;
COMMENT ON VIEW @extschema@.party_360 IS 'One row per party: profile, coverage, balances, products, last contact, follow-up and open complaints; row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.party_360.primary_rm IS 'Name of the current primary relationship manager';
COMMENT ON COLUMN @extschema@.party_360.primary_phone IS 'Primary phone number, else the lowest one';
COMMENT ON COLUMN @extschema@.party_360.products IS 'Codes of the products held (open holdings)';
COMMENT ON COLUMN @extschema@.party_360.contacts_90d IS 'Contacts in the last 90 days';
COMMENT ON COLUMN @extschema@.party_360.next_follow_up IS 'Earliest follow-up still ahead';
COMMENT ON COLUMN @extschema@.party_360.open_complaints IS 'Complaints not yet closed';
COMMENT ON COLUMN @extschema@.party_360.group_id IS 'The party''s household or corporate group (relationship_group; its lowest party_id), NULL when it has none';
COMMENT ON COLUMN @extschema@.party_360.group_kind IS 'household, corporate or mixed';
COMMENT ON COLUMN @extschema@.party_360.group_members IS 'Parties in the group; the rollups are in relationship_group_rollup';

-- the analyst's view of parties: no names, no phones, no exact birth dates
CREATE VIEW @extschema@.party_masked AS
SELECT p.party_id,
       p.kind,
       @extschema@.mask_name(p.name) AS name_masked,
       p.gender,
       pg_catalog.date_part('year', p.birth_date)::integer AS birth_year,
       p.industry,
       p.region_code,
       p.education,
       p.occupation,
       p.life_stage,
       p.wealth_source,
       p.involvement,
       p.credit_rating,
       p.status,
       p.home_branch_id,
       p.onboarded_on,
       p.annual_turnover,
       (SELECT @extschema@.phone_mask(pp.phone) FROM @extschema@.party_phone pp
         WHERE pp.party_id = p.party_id
         ORDER BY pp.is_primary DESC, pp.phone LIMIT 1) AS phone_masked,
       COALESCE(bal.aum, 0) AS aum,
       COALESCE(bal.loans, 0) AS loans,
       COALESCE(bal.products_held, 0) AS products_held,
       p.consent_marketing,
       p.do_not_contact
  FROM @extschema@.party p
  LEFT JOIN (SELECT h.party_id,
	               sum(h.balance) FILTER (WHERE pr.category IN ('deposit', 'wealth', 'insurance')) AS aum,
	               sum(h.balance) FILTER (WHERE pr.category IN ('loan', 'card')) AS loans,
	               count(*) AS products_held
	          FROM @extschema@.holding h
	          JOIN @extschema@.product pr ON pr.product_id = h.product_id
	         WHERE h.closed_on IS NULL
	         GROUP BY h.party_id) bal ON bal.party_id = p.party_id;
COMMENT ON VIEW @extschema@.party_masked IS 'Parties with personal data masked (initialised names, masked phones, birth year only): the analyst''s view';
COMMENT ON COLUMN @extschema@.party_masked.name_masked IS 'First character of the name, the rest masked';
COMMENT ON COLUMN @extschema@.party_masked.birth_year IS 'Year of birth or founding';
COMMENT ON COLUMN @extschema@.party_masked.phone_masked IS 'Primary phone with the middle digits masked';

-- the wealth pyramid of individuals by assets under management
CREATE VIEW @extschema@.aum_pyramid AS
WITH b AS (
	SELECT CASE
	         WHEN COALESCE(bal.aum, 0) >= 100000000 THEN 'uhnw'
	         WHEN COALESCE(bal.aum, 0) >= 10000000 THEN 'hnw'
	         WHEN COALESCE(bal.aum, 0) >= 500000 THEN 'affluent'
	         ELSE 'mass' END AS level,
	       COALESCE(bal.aum, 0) AS aum
	  FROM @extschema@.party p
	  LEFT JOIN (SELECT h.party_id,
		               sum(h.balance) FILTER (WHERE pr.category IN ('deposit', 'wealth', 'insurance')) AS aum,
		               sum(h.balance) FILTER (WHERE pr.category IN ('loan', 'card')) AS loans,
		               count(*) AS products_held
		          FROM @extschema@.holding h
		          JOIN @extschema@.product pr ON pr.product_id = h.product_id
		         WHERE h.closed_on IS NULL
		         GROUP BY h.party_id) bal ON bal.party_id = p.party_id
	 WHERE p.kind = 'individual' AND p.status <> 'closed'
)
SELECT level,
       pg_catalog.count(*) AS parties,
       pg_catalog.sum(aum)::numeric(20, 2) AS aum,
       pg_catalog.round(100.0 * pg_catalog.count(*) / pg_catalog.sum(pg_catalog.count(*)) OVER (), 2) AS parties_pct,
       pg_catalog.round(100.0 * pg_catalog.sum(aum) / NULLIF(pg_catalog.sum(pg_catalog.sum(aum)) OVER (), 0), 2) AS aum_pct
  FROM b
 GROUP BY level
 ORDER BY pg_catalog.array_position(ARRAY['uhnw', 'hnw', 'affluent', 'mass'], level);
COMMENT ON VIEW @extschema@.aum_pyramid IS 'Wealth pyramid of active individuals by assets under management: mass (< 500k CNY), affluent (< 10M), hnw (< 100M), uhnw';
COMMENT ON COLUMN @extschema@.aum_pyramid.level IS 'uhnw, hnw, affluent or mass';
COMMENT ON COLUMN @extschema@.aum_pyramid.parties_pct IS 'Share of the individuals, percent';
COMMENT ON COLUMN @extschema@.aum_pyramid.aum_pct IS 'Share of the assets under management, percent';

-- parties per kind and status
CREATE VIEW @extschema@.party_summary AS
SELECT p.kind,
       pg_catalog.count(*) AS parties,
       pg_catalog.count(*) FILTER (WHERE p.status = 'active') AS active,
       pg_catalog.count(*) FILTER (WHERE p.status = 'prospect') AS prospects,
       pg_catalog.count(*) FILTER (WHERE p.status = 'dormant') AS dormant,
       pg_catalog.count(*) FILTER (WHERE p.status = 'closed') AS closed
  FROM @extschema@.party p
 GROUP BY p.kind
 ORDER BY p.kind;
COMMENT ON VIEW @extschema@.party_summary IS 'Number of parties per kind and status';
-- src/sql/30_security.sql
-- roles and privileges (row-level security, which needs every module's tables, is in 80_rls.sql)
--
-- bankcrm_admin    owns configuration; sees and changes everything, KYC included
-- bankcrm_manager  team leads and branch managers: their team's or branch's parties
-- bankcrm_rm       relationship managers, agents, hunters, farmers: parties they cover
-- bankcrm_analyst  masked views and aggregates only, never raw personal data
-- bankcrm_app      application back ends: every party (they scope end users themselves)
--
-- Roles are cluster-wide, so they are created if absent and left in place by
-- DROP EXTENSION (other databases may use them).  A login role acts as a staff
-- member through staff.db_role.

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['bankcrm_admin', 'bankcrm_manager', 'bankcrm_rm', 'bankcrm_analyst', 'bankcrm_app'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

-- the row-level security predicates (src/rls.c): each answers from a set it
-- computes once per role, transaction and command, so that a policy is a
-- function of the row's own columns and never a subquery (which Citus
-- refuses in the policies of distributed tables)

-- the staff member the current role acts as
CREATE FUNCTION @extschema@.current_staff_id()
RETURNS integer
LANGUAGE C STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_current_staff_id';
COMMENT ON FUNCTION @extschema@.current_staff_id() IS 'The staff member that the current database role acts as (staff.db_role), or NULL';

CREATE FUNCTION @extschema@.visible_party_array()
RETURNS bigint[]
LANGUAGE C STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_visible_party_array';
COMMENT ON FUNCTION @extschema@.visible_party_array() IS 'The parties the current role may see, as an array (the index condition party_visible() lends the planner)';

CREATE FUNCTION @extschema@.party_visible_support(internal)
RETURNS internal
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'rls_party_visible_support';
COMMENT ON FUNCTION @extschema@.party_visible_support(internal) IS 'Planner support of party_visible(): an index condition party_id = ANY (visible_party_array())';

CREATE FUNCTION @extschema@.party_visible(party_id bigint)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SUPPORT @extschema@.party_visible_support
AS 'MODULE_PATHNAME', 'rls_party_visible';
COMMENT ON FUNCTION @extschema@.party_visible(bigint) IS 'Row-level security: the current role may see this party (it is among visible_party_ids(CURRENT_USER))';

CREATE FUNCTION @extschema@.staff_visible(staff_id integer)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_staff_visible';
COMMENT ON FUNCTION @extschema@.staff_visible(integer) IS 'Row-level security: the current role sees the leads of this staff member (it is among visible_staff_ids())';

CREATE FUNCTION @extschema@.team_lead_campaign(campaign_id bigint)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_team_campaign';
COMMENT ON FUNCTION @extschema@.team_lead_campaign(bigint) IS 'Row-level security: the current role leads a team that works this campaign';

CREATE FUNCTION @extschema@.history_visible(entity regclass, entity_id bigint)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_history_visible';
COMMENT ON FUNCTION @extschema@.history_visible(regclass, bigint) IS 'Row-level security: the current role sees the complaint or lead a process history row is about';

GRANT USAGE ON SCHEMA @extschema@ TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;

-- reference data: readable by every bankcrm role
GRANT SELECT ON @extschema@.region, @extschema@.branch, @extschema@.team, @extschema@.staff, @extschema@.product
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON ALL TABLES IN SCHEMA @extschema@ TO bankcrm_admin;
GRANT ALL ON ALL SEQUENCES IN SCHEMA @extschema@ TO bankcrm_admin;

-- customer data: staff roles read what row-level security lets them see
GRANT SELECT ON @extschema@.party, @extschema@.party_phone, @extschema@.party_relation, @extschema@.coverage,
	@extschema@.holding, @extschema@.activity_weekly, @extschema@.contact, @extschema@.complaint,
	@extschema@.survey_response, @extschema@.appointment, @extschema@.party_balance, @extschema@.party_360
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT ON @extschema@.contact, @extschema@.appointment, @extschema@.complaint, @extschema@.survey_response
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT UPDATE (status, purpose, starts_at, ends_at) ON @extschema@.appointment TO bankcrm_manager, bankcrm_rm, bankcrm_app;
-- complaints move through their handling flow (state changes go through the complaint process)
GRANT UPDATE (state, assigned_to, resolved_at) ON @extschema@.complaint TO bankcrm_manager, bankcrm_app;
GRANT INSERT, UPDATE ON @extschema@.party, @extschema@.party_phone, @extschema@.party_relation, @extschema@.coverage,
	@extschema@.holding, @extschema@.activity_weekly TO bankcrm_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA @extschema@ TO bankcrm_manager, bankcrm_rm, bankcrm_app;

-- analysts: masked parties and aggregates
GRANT SELECT ON @extschema@.party_masked, @extschema@.aum_pyramid, @extschema@.party_summary TO bankcrm_analyst;
GRANT SELECT ON @extschema@.party_masked, @extschema@.aum_pyramid, @extschema@.party_summary TO bankcrm_manager, bankcrm_app;


-- the row-level security helpers: for the roles whose policies use them
-- (the analyst reads masked and aggregated views only)
REVOKE ALL ON FUNCTION @extschema@.party_visible(bigint), @extschema@.visible_party_array(),
	@extschema@.history_visible(regclass, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.party_visible(bigint), @extschema@.visible_party_array(),
	@extschema@.history_visible(regclass, bigint) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
-- src/sql/40_score.sql
-- customer value scoring: the scoring models, the per-party scores and their
-- history, the C scoring functions, score_preview() / score_all(), the value
-- pyramid, the Pareto line, hidden gold and cross-sell recommendations.
-- doc/scoring.md explains every formula.

-- score_model: every parameter of a scoring model

CREATE TABLE @extschema@.score_model (
	model                    text PRIMARY KEY
	                         CONSTRAINT score_model_name_check CHECK (model ~ '^[a-z][a-z0-9_]{0,62}$'),
	version                  integer NOT NULL DEFAULT 1 CONSTRAINT score_model_version_check CHECK (version >= 1),
	is_default               boolean NOT NULL DEFAULT false,
	description              text,
	-- contribution
	ftp                      jsonb NOT NULL DEFAULT '{}'
	                         CONSTRAINT score_model_ftp_check CHECK (pg_catalog.jsonb_typeof(ftp) = 'object'),
	asset_categories         text[] NOT NULL DEFAULT '{loan,card}',
	aum_categories           text[] NOT NULL DEFAULT '{deposit,wealth,insurance}',
	pd                       double precision[] NOT NULL
	                         CONSTRAINT score_model_pd_check CHECK (pg_catalog.array_ndims(pd) = 1
	                           AND pg_catalog.cardinality(pd) = 22 AND 0 <= ALL (pd) AND 1 >= ALL (pd)),
	lgd                      double precision NOT NULL DEFAULT 0.45 CONSTRAINT score_model_lgd_check CHECK (lgd BETWEEN 0 AND 1),
	unrated_rating           @extschema@.credit_rating NOT NULL DEFAULT 'BB',
	channel_cost             jsonb NOT NULL DEFAULT '{}'
	                         CONSTRAINT score_model_channel_cost_check CHECK (pg_catalog.jsonb_typeof(channel_cost) = 'object'),
	fee_min_days             integer NOT NULL DEFAULT 30 CONSTRAINT score_model_fee_min_days_check CHECK (fee_min_days BETWEEN 1 AND 366),
	-- value score
	value_weights            double precision[] NOT NULL
	                         CONSTRAINT score_model_value_weights_check CHECK (pg_catalog.array_ndims(value_weights) = 1
	                           AND pg_catalog.cardinality(value_weights) = 7 AND 0 <= ALL (value_weights)),
	value_scales             double precision[] NOT NULL
	                         CONSTRAINT score_model_value_scales_check CHECK (pg_catalog.array_ndims(value_scales) = 1
	                           AND pg_catalog.cardinality(value_scales) = 4 AND 0 < ALL (value_scales)),
	potential                jsonb NOT NULL
	                         CONSTRAINT score_model_potential_check CHECK (pg_catalog.jsonb_typeof(potential) = 'object'),
	growth_floor             double precision NOT NULL DEFAULT 1000 CONSTRAINT score_model_growth_floor_check CHECK (growth_floor > 0),
	growth_window_days       integer NOT NULL DEFAULT 365,
	growth_min_days          integer NOT NULL DEFAULT 28,
	-- history
	history_tolerance        double precision NOT NULL DEFAULT 0.01
	                         CONSTRAINT score_model_history_tolerance_check CHECK (history_tolerance >= 0 AND history_tolerance < 1),
	history_score_tolerance  integer NOT NULL DEFAULT 4
	                         CONSTRAINT score_model_history_score_tolerance_check CHECK (history_score_tolerance BETWEEN 0 AND 1000),
	-- tiers
	value_tier_basis         text NOT NULL DEFAULT 'contribution'
	                         CONSTRAINT score_model_value_tier_basis_check CHECK (value_tier_basis IN ('contribution', 'value_score')),
	key_min                  double precision NOT NULL,
	general_min              double precision NOT NULL,
	affluent_min             double precision NOT NULL DEFAULT 500000,
	hnw_min                  double precision NOT NULL DEFAULT 10000000,
	uhnw_min                 double precision NOT NULL DEFAULT 100000000,
	-- lifetime value
	retention                jsonb NOT NULL DEFAULT '{}'
	                         CONSTRAINT score_model_retention_check CHECK (pg_catalog.jsonb_typeof(retention) = 'object'),
	retention_default        double precision NOT NULL DEFAULT 0.85
	                         CONSTRAINT score_model_retention_default_check CHECK (retention_default BETWEEN 0 AND 1),
	discount_rate            double precision NOT NULL DEFAULT 0.08
	                         CONSTRAINT score_model_discount_rate_check CHECK (discount_rate > -1),
	clv_years                integer NOT NULL DEFAULT 10 CONSTRAINT score_model_clv_years_check CHECK (clv_years BETWEEN 0 AND 100),
	-- hidden gold
	hidden_gold_occupations  text[] NOT NULL DEFAULT '{individual_merchant}',
	hidden_gold_min_turnover numeric(18, 2) NOT NULL DEFAULT 2000000,
	hidden_gold_max_aum      numeric(18, 2) NOT NULL DEFAULT 200000,
	-- cross-sell
	affinity_min_parties     integer NOT NULL DEFAULT 5
	                         CONSTRAINT score_model_affinity_min_parties_check CHECK (affinity_min_parties >= 1),
	time_zone                text NOT NULL DEFAULT 'Asia/Shanghai',
	builtin                  boolean NOT NULL DEFAULT false,
	CONSTRAINT score_model_value_tier_order_check CHECK (general_min <= key_min),
	CONSTRAINT score_model_wealth_tier_order_check CHECK (affluent_min <= hnw_min AND hnw_min <= uhnw_min),
	CONSTRAINT score_model_growth_days_check CHECK (growth_min_days >= 1 AND growth_window_days >= growth_min_days),
	CONSTRAINT score_model_one_default EXCLUDE USING btree (is_default WITH OPERATOR(pg_catalog.=))
	  WHERE (is_default) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE @extschema@.score_model IS 'Scoring models: every parameter of contribution, value score, tiers, lifetime value, hidden gold and cross-sell; one model is the default';
COMMENT ON COLUMN @extschema@.score_model.version IS 'Version of the model''s parameters; raise it when they change';
COMMENT ON COLUMN @extschema@.score_model.is_default IS 'The model used when none is named; at most one';
COMMENT ON COLUMN @extschema@.score_model.ftp IS 'Funds transfer price per product category (yearly fraction); categories not listed are off balance sheet and earn fees only';
COMMENT ON COLUMN @extschema@.score_model.asset_categories IS 'Categories in which the bank lends: margin = rate - FTP, expected loss applies; other priced categories are funding: margin = FTP - rate';
COMMENT ON COLUMN @extschema@.score_model.aum_categories IS 'Categories whose balances count as assets under management';
COMMENT ON COLUMN @extschema@.score_model.pd IS 'One-year probability of default per notch, AAA = element 1 ... D = element 22';
COMMENT ON COLUMN @extschema@.score_model.lgd IS 'Loss given default, a fraction of the balance';
COMMENT ON COLUMN @extschema@.score_model.unrated_rating IS 'Grade assumed for parties without a credit rating';
COMMENT ON COLUMN @extschema@.score_model.channel_cost IS 'Cost in CNY of one contact per channel (cost to serve)';
COMMENT ON COLUMN @extschema@.score_model.fee_min_days IS 'Year-to-date fees are annualised over at least this many days';
COMMENT ON COLUMN @extschema@.score_model.value_weights IS 'Weights of the value score components: contribution, growth, tenure, breadth, credit, recency, potential';
COMMENT ON COLUMN @extschema@.score_model.value_scales IS 'Scales of the value score: contribution giving full marks (CNY/year), tenure (years), products, recency half-life (days)';
COMMENT ON COLUMN @extschema@.score_model.potential IS 'Potential tables: education, occupation, life_stage, product_lifecycle values in [0, 1], mix weights, age_full, age_zero, institution, unknown';
COMMENT ON COLUMN @extschema@.score_model.growth_floor IS 'Smallest denominator (CNY) of the relative contribution growth';
COMMENT ON COLUMN @extschema@.score_model.growth_window_days IS 'Growth compares with the oldest score at most this many days old';
COMMENT ON COLUMN @extschema@.score_model.growth_min_days IS 'and at least this many days old';
COMMENT ON COLUMN @extschema@.score_model.history_tolerance IS 'score_history records a new row when contribution, lifetime value or AUM moves by more than this fraction of the last recorded value (or a tier, an RFM quintile or the value score moves more than history_score_tolerance)';
COMMENT ON COLUMN @extschema@.score_model.history_score_tolerance IS 'score_history records a new row when the value score moves by more than this many points from the last recorded one';
COMMENT ON COLUMN @extschema@.score_model.value_tier_basis IS 'Value tiers cut on contribution (CNY/year) or on value_score';
COMMENT ON COLUMN @extschema@.score_model.key_min IS 'Smallest basis value of a key customer';
COMMENT ON COLUMN @extschema@.score_model.general_min IS 'Smallest basis value of a general customer; below it a customer is scattered';
COMMENT ON COLUMN @extschema@.score_model.affluent_min IS 'Smallest AUM (CNY) of an affluent individual';
COMMENT ON COLUMN @extschema@.score_model.hnw_min IS 'Smallest AUM (CNY) of a high-net-worth individual';
COMMENT ON COLUMN @extschema@.score_model.uhnw_min IS 'Smallest AUM (CNY) of an ultra-high-net-worth individual';
COMMENT ON COLUMN @extschema@.score_model.retention IS 'Default yearly retention per party kind and value tier: {"individual": {"key": 0.95, ...}, ...}';
COMMENT ON COLUMN @extschema@.score_model.retention_default IS 'Retention when neither party_retention nor the retention table gives one';
COMMENT ON COLUMN @extschema@.score_model.discount_rate IS 'Yearly discount rate of the lifetime value';
COMMENT ON COLUMN @extschema@.score_model.clv_years IS 'Horizon of the lifetime value in years';
COMMENT ON COLUMN @extschema@.score_model.hidden_gold_occupations IS 'Occupations that can be hidden gold (individual merchants)';
COMMENT ON COLUMN @extschema@.score_model.hidden_gold_min_turnover IS 'Smallest yearly business turnover (CNY) of hidden gold';
COMMENT ON COLUMN @extschema@.score_model.hidden_gold_max_aum IS 'Hidden gold keeps less than this AUM (CNY) with the bank';
COMMENT ON COLUMN @extschema@.score_model.affinity_min_parties IS 'Smallest number of parties behind a product_affinity row';
COMMENT ON COLUMN @extschema@.score_model.time_zone IS 'Time zone in which contact times are turned into days';
COMMENT ON COLUMN @extschema@.score_model.builtin IS 'Installed by the extension; inserting a builtin row of an existing name replaces it (how restores keep a modified built-in model)';

-- a dump holds the built-in model's row, which CREATE EXTENSION has already
-- installed: the restored row's values replace the installed row's, in
-- place (a restore may already have brought back the model's scores, which
-- keep a model from being deleted), and the insert is skipped.  Every column
-- is copied, named from the catalog, so that columns added later follow.
CREATE FUNCTION @extschema@.score_model_builtin_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cols text;
	n bigint;
BEGIN
	IF NOT NEW.builtin THEN
		RETURN NEW;
	END IF;
	SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
	  FROM pg_attribute a
	 WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
	EXECUTE format('UPDATE %I.%I m SET (%s) = ROW(($1).*) '
	               'WHERE m.model OPERATOR(pg_catalog.=) ($1).model AND m.builtin',
	               TG_TABLE_SCHEMA, TG_TABLE_NAME, cols)
	  USING NEW;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.score_model_builtin_trigger() IS 'Lets an inserted built-in model row replace the installed one in place (pg_dump restores)';
CREATE TRIGGER score_model_builtin BEFORE INSERT ON @extschema@.score_model
	FOR EACH ROW EXECUTE FUNCTION @extschema@.score_model_builtin_trigger();

INSERT INTO @extschema@.score_model (model, is_default, builtin, description, ftp, pd, lgd, unrated_rating, channel_cost,
	value_weights, value_scales, potential, key_min, general_min, retention)
VALUES ('standard', true, true,
	'Standard model for a Chinese commercial bank: FTP about 2.5 %, agency PD curve, LGD 45 %, branch-based channel costs',
	'{"loan": 0.0285, "card": 0.0300, "deposit": 0.0250, "fx": 0.0150}',
	'{0.0001,0.0002,0.0003,0.0004,0.0006,0.0008,0.0011,0.0015,0.0020,0.0030,0.0050,0.0080,0.0120,0.0200,0.0300,0.0450,0.0700,0.1000,0.1400,0.2000,0.3000,1.0000}',
	0.45, 'BB',
	'{"branch": 25, "phone_out": 4, "phone_in": 3, "web": 0.2, "mobile": 0.1, "email": 0.05, "letter": 6, "visit": 120, "event": 60, "sms": 0.05, "fax": 2}',
	'{0.35,0.10,0.10,0.10,0.10,0.10,0.15}',
	'{1000000,10,6,180}',
	'{"education": {"primary": 0.2, "secondary": 0.35, "vocational": 0.45, "bachelor": 0.7, "master": 0.85, "doctorate": 0.95},
	  "occupation": {"student": 0.8, "employee": 0.5, "professional": 0.85, "civil_servant": 0.7, "business_owner": 0.8,
	                 "individual_merchant": 0.65, "farmer": 0.25, "retired": 0.3, "homemaker": 0.3, "unemployed": 0.15,
	                 "executive": 0.95, "other": 0.4},
	  "life_stage": {"bachelor": 0.7, "newly_married": 0.9, "full_nest_1": 0.85, "full_nest_2": 0.7, "full_nest_3": 0.55,
	                 "empty_nest": 0.4, "solitary_survivor": 0.2},
	  "product_lifecycle": {"introduction": 0.6, "growth": 0.9, "maturity": 0.5, "decline": 0.15},
	  "mix": {"education": 0.3, "occupation": 0.3, "life_stage": 0.15, "age": 0.25},
	  "age_full": 25, "age_zero": 75, "institution": 0.5, "unknown": 0.4}',
	20000, 1000,
	'{"individual": {"key": 0.95, "general": 0.90, "scattered": 0.80},
	  "corporate": {"key": 0.92, "general": 0.88, "scattered": 0.78},
	  "financial_institution": {"key": 0.95, "general": 0.92, "scattered": 0.85},
	  "government": {"key": 0.97, "general": 0.95, "scattered": 0.90}}');

-- the default model's name, or the name given
CREATE FUNCTION @extschema@.score_model_resolve(model text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT COALESCE(score_model_resolve.model,
	                (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default));
END;
COMMENT ON FUNCTION @extschema@.score_model_resolve(text) IS 'The model name given, or the default model''s name when NULL';

-- per-party scores and their history

-- party_score and score_history are written by score_all() and carry no
-- foreign keys: a key check per written row locks that party's row (a
-- SELECT ... FOR KEY SHARE), which would cost a scoring run more than all
-- its other writes.  The triggers below keep them consistent instead: a
-- deleted party's scores go with it, a renamed model renames its scores, a
-- model that has scores cannot be deleted, and every score_all() removes
-- the scores of parties that are gone.
CREATE TABLE @extschema@.party_score (
	party_id      bigint NOT NULL,
	model         text NOT NULL,
	contribution  numeric(16, 2),
	value_score   integer CONSTRAINT party_score_value_score_check CHECK (value_score BETWEEN 0 AND 1000),
	value_tier    text CONSTRAINT party_score_value_tier_check CHECK (value_tier IN ('key', 'general', 'scattered')),
	wealth_tier   text CONSTRAINT party_score_wealth_tier_check CHECK (wealth_tier IN ('mass', 'affluent', 'hnw', 'uhnw')),
	rfm_r         smallint CONSTRAINT party_score_rfm_r_check CHECK (rfm_r BETWEEN 1 AND 5),
	rfm_f         smallint CONSTRAINT party_score_rfm_f_check CHECK (rfm_f BETWEEN 1 AND 5),
	rfm_m         smallint CONSTRAINT party_score_rfm_m_check CHECK (rfm_m BETWEEN 1 AND 5),
	clv           numeric(16, 2),
	aum           numeric(18, 2),
	computed_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
	scored_on     date,
	retention     double precision,
	growth        double precision,
	potential     double precision,
	last_active_on date,
	frequency     bigint,
	products      integer,
	PRIMARY KEY (party_id, model)
) WITH (fillfactor = 50);
COMMENT ON TABLE @extschema@.party_score IS 'The latest score of every party under every model, written by score_all(); half of each page is kept free so that a daily rescore updates rows in place';
COMMENT ON COLUMN @extschema@.party_score.contribution IS 'Yearly profit contribution, CNY: interest margins after FTP, minus expected loss, plus fees, minus cost to serve';
COMMENT ON COLUMN @extschema@.party_score.value_score IS 'Composite customer value, 0 to 1000';
COMMENT ON COLUMN @extschema@.party_score.value_tier IS 'key, general or scattered, by the model''s cut-offs';
COMMENT ON COLUMN @extschema@.party_score.wealth_tier IS 'Wealth pyramid level by AUM (individuals only): mass, affluent, hnw, uhnw';
COMMENT ON COLUMN @extschema@.party_score.rfm_r IS 'Recency quintile, 5 = most recent activity';
COMMENT ON COLUMN @extschema@.party_score.rfm_f IS 'Frequency quintile (contacts and transactions in 12 months), 5 = most frequent';
COMMENT ON COLUMN @extschema@.party_score.rfm_m IS 'Monetary quintile (contribution), 5 = highest';
COMMENT ON COLUMN @extschema@.party_score.clv IS 'Customer lifetime value, CNY: discounted contribution over the model''s horizon at the party''s retention';
COMMENT ON COLUMN @extschema@.party_score.aum IS 'Assets under management, CNY';
COMMENT ON COLUMN @extschema@.party_score.computed_at IS 'When score_all() last wrote the row, that is changed it';
COMMENT ON COLUMN @extschema@.party_score.scored_on IS 'The scoring day (as_of of score_all) from which the row''s values hold: the run that last changed them; score_run_log tells the day of the last run';
COMMENT ON COLUMN @extschema@.party_score.retention IS 'Yearly retention used for the lifetime value';
COMMENT ON COLUMN @extschema@.party_score.growth IS 'Relative change of contribution since the reference score in score_history, -1 to 1';
COMMENT ON COLUMN @extschema@.party_score.potential IS 'Potential from life stage, education, occupation and age (individuals) or market life cycle (corporates), 0 to 1';
COMMENT ON COLUMN @extschema@.party_score.last_active_on IS 'The day of the last contact, transaction week (its last day, at most the scoring day) or product opening on or before the scoring day; NULL when none';
COMMENT ON COLUMN @extschema@.party_score.frequency IS 'Contacts plus transactions in the 12 months before the scoring day';
COMMENT ON COLUMN @extschema@.party_score.products IS 'Open holdings';
-- No index by tier: a tier holds a large share of the parties, which a scan
-- reads faster than an index, and an index on value_tier would cost every
-- write and turn each update that changes a tier into one that moves the row.

CREATE TABLE @extschema@.score_history (
	party_id      bigint NOT NULL,
	model         text NOT NULL,
	scored_on     date NOT NULL,
	contribution  numeric(16, 2),
	value_score   integer,
	value_tier    text,
	wealth_tier   text,
	rfm_r         smallint,
	rfm_f         smallint,
	rfm_m         smallint,
	clv           numeric(16, 2),
	aum           numeric(18, 2),
	PRIMARY KEY (party_id, model, scored_on)
);
COMMENT ON TABLE @extschema@.score_history IS 'A party''s recorded scores under a model from the day they were first scored (scored_on) and from every day they changed; growth is computed from it';
COMMENT ON COLUMN @extschema@.score_history.scored_on IS 'The scoring day (as_of of score_all) from which these scores held';
-- Rows are added in the order of the scoring days, so a block range index
-- finds a day's rows at almost no cost to the daily inserts (a B-tree on
-- (model, scored_on) took as long to maintain as the rows to write: every
-- row of a day carries the same key).
CREATE INDEX score_history_day_idx ON @extschema@.score_history USING brin (scored_on);

-- one row per score_all() that committed
CREATE TABLE @extschema@.score_run_log (
	run_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	model             text NOT NULL,
	model_version     integer NOT NULL,
	as_of             date NOT NULL,
	started_at        timestamptz NOT NULL,
	finished_at       timestamptz NOT NULL,
	run_by            name NOT NULL DEFAULT CURRENT_USER,
	parties           bigint NOT NULL,
	scores_updated    bigint NOT NULL,
	scores_inserted   bigint NOT NULL,
	scores_deleted    bigint NOT NULL,
	history_inserted  bigint NOT NULL,
	history_updated   bigint NOT NULL,
	affinity_rows     bigint,
	read_ms           double precision NOT NULL,
	store_ms          double precision NOT NULL
);
CREATE INDEX score_run_log_model_idx ON @extschema@.score_run_log (model, as_of);
COMMENT ON TABLE @extschema@.score_run_log IS 'One row per score_all() that committed: the model and day scored, when and by whom, what was written and where the time went';
COMMENT ON COLUMN @extschema@.score_run_log.model_version IS 'score_model.version when the run read the model';
COMMENT ON COLUMN @extschema@.score_run_log.started_at IS 'When score_all() was called (clock time)';
COMMENT ON COLUMN @extschema@.score_run_log.finished_at IS 'When it had written everything, before its commit';
COMMENT ON COLUMN @extschema@.score_run_log.parties IS 'Parties scored';
COMMENT ON COLUMN @extschema@.score_run_log.scores_updated IS 'party_score rows updated (their scores changed)';
COMMENT ON COLUMN @extschema@.score_run_log.scores_inserted IS 'party_score rows inserted (parties scored for the first time)';
COMMENT ON COLUMN @extschema@.score_run_log.scores_deleted IS 'party_score rows deleted (parties closed or gone)';
COMMENT ON COLUMN @extschema@.score_run_log.history_inserted IS 'score_history rows inserted';
COMMENT ON COLUMN @extschema@.score_run_log.history_updated IS 'score_history rows of the same day updated';
COMMENT ON COLUMN @extschema@.score_run_log.affinity_rows IS 'product_affinity rows written, NULL when the run did not refresh them';
COMMENT ON COLUMN @extschema@.score_run_log.read_ms IS 'Milliseconds reading the bank and computing the scores';
COMMENT ON COLUMN @extschema@.score_run_log.store_ms IS 'Milliseconds writing party_score and score_history';

-- what the foreign keys would do: a party's scores go with the party.  A
-- row trigger, not a statement trigger with a transition table (Citus runs
-- none): on Citus it runs on the party's shard and deletes the rows of the
-- same party, in the co-located shards of the same node
CREATE FUNCTION @extschema@.score_party_deleted()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET citus.allow_nested_distributed_execution = on
AS $$
BEGIN
	DELETE FROM @extschema@.party_score s WHERE s.party_id = OLD.party_id;
	DELETE FROM @extschema@.score_history s WHERE s.party_id = OLD.party_id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.score_party_deleted() IS 'Trigger: deletes the scores and score history of a deleted party';
CREATE TRIGGER party_scores_delete AFTER DELETE ON @extschema@.party
	FOR EACH ROW EXECUTE FUNCTION @extschema@.score_party_deleted();

-- a renamed model renames its scores; a model that has scores stays.
-- On Citus score_model is a reference table whose trigger fires on its copy
-- on every node, inside the statement's distributed transaction; each copy
-- renames (or looks for) the scores in the shards of its own node, where a
-- query over the distributed tables could not run.
CREATE FUNCTION @extschema@.score_model_scores_trigger()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rels regclass[];
	r regclass;
	found boolean;
BEGIN
	IF TG_RELID OPERATOR(pg_catalog.=) '@extschema@.score_model'::regclass THEN
		rels := ARRAY['@extschema@.party_score'::regclass, '@extschema@.score_history'::regclass];
	ELSE
		SELECT pg_catalog.array_agg(s) INTO rels
		  FROM @extschema@.local_shards('@extschema@.party_score') s;
		SELECT rels OPERATOR(pg_catalog.||) pg_catalog.array_agg(s) INTO rels
		  FROM @extschema@.local_shards('@extschema@.score_history') s;
	END IF;
	FOREACH r IN ARRAY COALESCE(rels, '{}') LOOP
		IF TG_OP = 'UPDATE' THEN
			EXECUTE pg_catalog.format('UPDATE %s s SET model = $1 WHERE s.model OPERATOR(pg_catalog.=) $2', r)
				USING NEW.model, OLD.model;
		ELSE
			EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s s WHERE s.model OPERATOR(pg_catalog.=) $1)', r)
				INTO found USING OLD.model;
			IF found THEN
				RAISE EXCEPTION 'score model "%" still has scores', OLD.model
					USING ERRCODE = 'foreign_key_violation',
					      DETAIL = 'party_score or score_history holds rows of the model.',
					      HINT = 'Delete the model''s rows of party_score and score_history first.';
			END IF;
		END IF;
	END LOOP;
	IF TG_OP = 'UPDATE' THEN
		RETURN NEW;
	END IF;
	RETURN OLD;
END
$$;
COMMENT ON FUNCTION @extschema@.score_model_scores_trigger() IS
	'Trigger: a renamed score model renames its scores and history; a model with scores cannot be deleted';
CREATE TRIGGER score_model_scores_rename AFTER UPDATE OF model ON @extschema@.score_model
	FOR EACH ROW WHEN (OLD.model IS DISTINCT FROM NEW.model)
	EXECUTE FUNCTION @extschema@.score_model_scores_trigger();
CREATE TRIGGER score_model_scores_delete BEFORE DELETE ON @extschema@.score_model
	FOR EACH ROW EXECUTE FUNCTION @extschema@.score_model_scores_trigger();

-- the hook for a per-party retention estimate (churn risk)
CREATE TABLE @extschema@.party_retention (
	party_id      bigint PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	retention     double precision NOT NULL CONSTRAINT party_retention_retention_check CHECK (retention BETWEEN 0 AND 1),
	source        text NOT NULL DEFAULT 'manual',
	estimated_on  date NOT NULL DEFAULT CURRENT_DATE
);
COMMENT ON TABLE @extschema@.party_retention IS 'Per-party yearly retention estimates (for example from churn risk); score_all() prefers them to the model''s defaults';
COMMENT ON COLUMN @extschema@.party_retention.source IS 'Who estimated it: manual, churn, ...';

-- cross-sell: product affinity among similar parties
CREATE TABLE @extschema@.product_affinity (
	model               text NOT NULL REFERENCES @extschema@.score_model ON UPDATE CASCADE ON DELETE CASCADE,
	kind                text NOT NULL,
	value_tier          text NOT NULL,
	antecedent_id       integer REFERENCES @extschema@.product ON DELETE CASCADE,
	product_id          integer NOT NULL REFERENCES @extschema@.product ON DELETE CASCADE,
	group_parties       bigint NOT NULL,
	antecedent_parties  bigint NOT NULL,
	product_parties     bigint NOT NULL,
	pair_parties        bigint NOT NULL,
	support             double precision NOT NULL,
	confidence          double precision NOT NULL,
	lift                double precision NOT NULL,
	as_of               date NOT NULL,
	refreshed_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT product_affinity_key UNIQUE NULLS NOT DISTINCT (model, kind, value_tier, antecedent_id, product_id)
);
COMMENT ON TABLE @extschema@.product_affinity IS 'Association rules "holders of antecedent also hold product" per party kind and value tier, refreshed by score_all(); antecedent NULL is the tier''s baseline';
COMMENT ON COLUMN @extschema@.product_affinity.group_parties IS 'Scored parties of this kind and value tier';
COMMENT ON COLUMN @extschema@.product_affinity.antecedent_parties IS 'Parties of the group holding the antecedent (the whole group for baseline rows)';
COMMENT ON COLUMN @extschema@.product_affinity.product_parties IS 'Parties of the group holding the product';
COMMENT ON COLUMN @extschema@.product_affinity.pair_parties IS 'Parties of the group holding both';
COMMENT ON COLUMN @extschema@.product_affinity.support IS 'pair_parties / group_parties';
COMMENT ON COLUMN @extschema@.product_affinity.confidence IS 'pair_parties / antecedent_parties';
COMMENT ON COLUMN @extschema@.product_affinity.lift IS 'confidence / (product_parties / group_parties); baseline rows: share in the tier / share in the kind';

-- scoring functions (C, pure)

CREATE FUNCTION @extschema@.contribution(loan_balance double precision, loan_rate double precision,
	loan_ftp double precision, deposit_balance double precision, deposit_rate double precision,
	deposit_ftp double precision, fees double precision, cost_to_serve double precision,
	credit_rating @extschema@.credit_rating, pd double precision[], lgd double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.contribution(double precision, double precision, double precision, double precision,
	double precision, double precision, double precision, double precision, @extschema@.credit_rating,
	double precision[], double precision) IS
	'Yearly profit contribution: L(rate - FTP) - L PD(notch) LGD + D(FTP - rate) + fees - cost to serve';

CREATE FUNCTION @extschema@.value_score(contribution double precision, growth double precision,
	tenure_years double precision, products integer, credit_rating @extschema@.credit_rating,
	recency_days integer, potential double precision, weights double precision[], scales double precision[])
	RETURNS integer
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.value_score(double precision, double precision, double precision, integer,
	@extschema@.credit_rating, integer, double precision, double precision[], double precision[]) IS
	'Customer value 0 to 1000: weighted mean of contribution, growth, tenure, breadth, credit, recency and potential';

CREATE FUNCTION @extschema@.potential(kind text, age integer, education text, occupation text, life_stage text,
	product_lifecycle text, params jsonb)
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.potential(text, integer, text, text, text, text, jsonb) IS
	'What a party may become, 0 to 1: education, occupation, life stage and age of individuals, market life cycle of corporates';

CREATE FUNCTION @extschema@.clv(annual_margin double precision, retention double precision,
	discount_rate double precision, years integer)
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(double precision, double precision, double precision, integer) IS
	'Customer lifetime value: sum over t = 1..years of margin * retention^(t-1) / (1 + discount_rate)^t';

CREATE FUNCTION @extschema@.value_tier(x double precision, key_min double precision, general_min double precision)
	RETURNS text
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.value_tier(double precision, double precision, double precision) IS
	'key when x >= key_min, general when x >= general_min, else scattered';

CREATE FUNCTION @extschema@.wealth_tier(aum double precision, affluent_min double precision,
	hnw_min double precision, uhnw_min double precision)
	RETURNS text
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.wealth_tier(double precision, double precision, double precision, double precision) IS
	'Wealth pyramid level by assets under management: mass, affluent, hnw or uhnw';

CREATE FUNCTION @extschema@.rfm_score(r integer, f integer, m integer)
	RETURNS integer
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(integer, integer, integer) IS
	'RFM code 100 r + 10 f + m of three quintiles 1 to 5 (555 is best)';

CREATE FUNCTION @extschema@.rfm_segment(r integer, f integer, m integer)
	RETURNS text
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer) IS
	'RFM group: champions, loyal, promising, need_attention, cant_lose, at_risk or hibernating';

-- score_preview: the scores of every party that is not closed, computed and
-- not stored, by the scoring engine of score_run.c (one sequential pass over
-- each input table; doc/scoring.md has every formula)
CREATE FUNCTION @extschema@.score_preview(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE)
RETURNS TABLE (party_id bigint, model text, contribution numeric, value_score integer, value_tier text,
	wealth_tier text, rfm_r smallint, rfm_f smallint, rfm_m smallint, clv numeric, aum numeric,
	retention double precision, growth double precision, potential double precision, recency_days integer,
	frequency bigint, products integer)
	AS 'MODULE_PATHNAME'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 100000;
COMMENT ON FUNCTION @extschema@.score_preview(text, date) IS
	'The scores score_all() would store for every party that is not closed, computed as of a day and not stored';

-- product_affinity_refresh: the association rules of a model's value tiers,
-- counted in C (score_affinity.c) from the tiers in party_score and the
-- holdings open on as_of; score_all() counts them from the tiers it has just
-- computed
CREATE FUNCTION @extschema@.product_affinity_refresh(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE)
RETURNS bigint
	AS 'MODULE_PATHNAME'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.product_affinity_refresh(text, date) IS
	'Recomputes product_affinity of a model from its party_score tiers and the holdings open on as_of; returns the rows written';

-- score_all: recompute every party's scores and store what changed
-- (score_store.c: deletes, in-place updates and inserts through the
-- executor's single-row paths, history rows only for changed scores)
CREATE FUNCTION @extschema@.score_all(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE,
	refresh_affinity boolean DEFAULT true)
RETURNS TABLE (parties bigint, key bigint, general bigint, scattered bigint, mass bigint, affluent bigint,
	hnw bigint, uhnw bigint, affinity_rows bigint)
	AS 'MODULE_PATHNAME'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.score_all(text, date, boolean) IS
	'Recomputes party_score of a model (default: the default model) as of a day, records changed scores in score_history, refreshes product_affinity; returns counts per tier';

-- score_history_prune: delete the history rows growth can no longer use.
-- Growth on as_of or later compares with each party's latest row at least
-- growth_window_days old, so the rows older than that one are not read
-- again; what is kept beyond it is for trend analysis.
CREATE FUNCTION @extschema@.score_history_prune(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	m_name		text;
	m_window	integer;
	n			bigint;
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite date'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Pass the first day the pruned history will be used for, usually today.';
	END IF;
	SELECT s.model, s.growth_window_days INTO m_name, m_window
	  FROM @extschema@.score_model s
	 WHERE CASE WHEN score_history_prune.model IS NULL THEN s.is_default ELSE s.model = score_history_prune.model END;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'score model "%" does not exist', coalesce(score_history_prune.model, '(default)')
			USING ERRCODE = 'undefined_object',
			      HINT = 'Name a model of bankcrm.score_model, or mark one as the default.';
	END IF;
	WITH reference AS (
		SELECT h.party_id, max(h.scored_on) AS scored_on
		  FROM @extschema@.score_history h
		 WHERE h.model = m_name AND h.scored_on <= as_of - m_window
		 GROUP BY h.party_id
	)
	DELETE FROM @extschema@.score_history h
	 USING reference r
	 WHERE h.model = m_name AND h.party_id = r.party_id AND h.scored_on < r.scored_on;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$fn$;
COMMENT ON FUNCTION @extschema@.score_history_prune(text, date) IS
	'Deletes the score_history rows of a model that growth on as_of or later no longer reads (older than each party''s latest row at least growth_window_days old); returns the rows deleted';

-- cross-sell recommendations: one set-based statement for any number of
-- parties, joined on party_id throughout (on Citus it runs inside the
-- co-located shard tasks); PL/pgSQL, as Citus cannot plan the parameters
-- of a SQL function over distributed tables
-- The candidates of a party: the rules of its kind and value tier whose
-- antecedent it holds, and those that need none (a join on the antecedent
-- instead of a test of every rule of the tier against the holdings); of
-- each product it does not hold, the rule of highest lift.
CREATE FUNCTION @extschema@.recommend_products_batch(party_ids bigint[], n integer DEFAULT 3, model text DEFAULT NULL)
RETURNS TABLE (party_id bigint, rank integer, product_id integer, code text, name text, category text,
	lift numeric, support numeric, confidence numeric, because text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m_name text := COALESCE(recommend_products_batch.model,
	                        (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default));
BEGIN
	IF recommend_products_batch.n < 0 THEN
		RAISE EXCEPTION 'the number of recommendations must not be negative'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give n >= 0, or NULL for every candidate.';
	END IF;
	-- dynamic, so that the array is planned as the constant it is: a hashed
	-- lookup, not a search through the array for every row read
	RETURN QUERY EXECUTE $q$
	SELECT c.party_id, c.rank::integer, pr.product_id, pr.code, pr.name, pr.category,
	       pg_catalog.round(c.lift::numeric, 2), pg_catalog.round(c.support::numeric, 4),
	       pg_catalog.round(c.confidence::numeric, 4), ante.code
	  FROM (SELECT d.party_id, d.product_id, d.antecedent_id, d.lift, d.support, d.confidence,
	               pg_catalog.row_number() OVER (PARTITION BY d.party_id
	                                             ORDER BY d.lift DESC, d.support DESC, d.product_id) AS rank
	          FROM (SELECT DISTINCT ON (cand.party_id, cand.product_id)
	                       cand.party_id, cand.product_id, cand.antecedent_id, cand.lift, cand.support, cand.confidence
	                  FROM (SELECT ps.party_id, p.kind, pa.product_id, pa.antecedent_id, pa.lift, pa.support, pa.confidence
	                          FROM @extschema@.party_score ps
	                          JOIN @extschema@.party p ON p.party_id = ps.party_id
	                          JOIN @extschema@.holding ha ON ha.party_id = ps.party_id AND ha.closed_on IS NULL
	                          JOIN @extschema@.product_affinity pa
	                            ON pa.model = ps.model AND pa.kind = p.kind AND pa.value_tier = ps.value_tier
	                           AND pa.antecedent_id = ha.product_id
	                         WHERE ps.party_id = ANY ($1) AND p.party_id = ANY ($1) AND ha.party_id = ANY ($1)
	                           AND ps.model = $2
	                        UNION ALL
	                        SELECT ps.party_id, p.kind, pa.product_id, pa.antecedent_id, pa.lift, pa.support, pa.confidence
	                          FROM @extschema@.party_score ps
	                          JOIN @extschema@.party p ON p.party_id = ps.party_id
	                          JOIN @extschema@.product_affinity pa
	                            ON pa.model = ps.model AND pa.kind = p.kind AND pa.value_tier = ps.value_tier
	                           AND pa.antecedent_id IS NULL
	                         WHERE ps.party_id = ANY ($1) AND p.party_id = ANY ($1) AND ps.model = $2) cand
	                  JOIN @extschema@.product cp
	                    ON cp.product_id = cand.product_id AND cp.active AND cand.kind = ANY (cp.for_kind)
	                  LEFT JOIN @extschema@.holding hp
	                    ON hp.party_id = cand.party_id AND hp.product_id = cand.product_id AND hp.closed_on IS NULL
	                 WHERE hp.party_id IS NULL
	                 ORDER BY cand.party_id, cand.product_id, cand.lift DESC, cand.support DESC,
	                          cand.antecedent_id NULLS LAST) d
	       ) c
	  JOIN @extschema@.product pr ON pr.product_id = c.product_id
	  LEFT JOIN @extschema@.product ante ON ante.product_id = c.antecedent_id
	 WHERE c.rank <= COALESCE($3, c.rank)
	 ORDER BY c.party_id, c.rank
	$q$ USING recommend_products_batch.party_ids, m_name, recommend_products_batch.n;
END
$$;
COMMENT ON FUNCTION @extschema@.recommend_products_batch(bigint[], integer, text) IS
	'recommend_products() for a set of parties, for example ARRAY(SELECT party_id FROM party_score WHERE value_tier = ''key'')';

CREATE FUNCTION @extschema@.recommend_products(party_id bigint, n integer DEFAULT 3, model text DEFAULT NULL)
RETURNS TABLE (rank integer, product_id integer, code text, name text, category text, lift numeric,
	support numeric, confidence numeric, because text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m_name text := COALESCE(recommend_products.model,
	                        (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default));
BEGIN
	-- the statement of recommend_products_batch for one party, by equality:
	-- its plan is kept from call to call (on Citus it is routed to the
	-- party's shard), where an array parameter is planned again each time
	RETURN QUERY
	SELECT c.rank::integer, pr.product_id, pr.code, pr.name, pr.category,
	       pg_catalog.round(c.lift::numeric, 2), pg_catalog.round(c.support::numeric, 4),
	       pg_catalog.round(c.confidence::numeric, 4), ante.code
	  FROM (SELECT d.product_id, d.antecedent_id, d.lift, d.support, d.confidence,
	               pg_catalog.row_number() OVER (ORDER BY d.lift DESC, d.support DESC, d.product_id) AS rank
	          FROM (SELECT DISTINCT ON (cand.product_id)
	                       cand.product_id, cand.antecedent_id, cand.lift, cand.support, cand.confidence
	                  FROM (SELECT p.kind, pa.product_id, pa.antecedent_id, pa.lift, pa.support, pa.confidence
	                          FROM @extschema@.party_score ps
	                          JOIN @extschema@.party p ON p.party_id = ps.party_id
	                          JOIN @extschema@.holding ha ON ha.party_id = ps.party_id AND ha.closed_on IS NULL
	                          JOIN @extschema@.product_affinity pa
	                            ON pa.model = ps.model AND pa.kind = p.kind AND pa.value_tier = ps.value_tier
	                           AND pa.antecedent_id = ha.product_id
	                         WHERE ps.party_id = recommend_products.party_id AND p.party_id = recommend_products.party_id
	                           AND ha.party_id = recommend_products.party_id AND ps.model = m_name
	                        UNION ALL
	                        SELECT p.kind, pa.product_id, pa.antecedent_id, pa.lift, pa.support, pa.confidence
	                          FROM @extschema@.party_score ps
	                          JOIN @extschema@.party p ON p.party_id = ps.party_id
	                          JOIN @extschema@.product_affinity pa
	                            ON pa.model = ps.model AND pa.kind = p.kind AND pa.value_tier = ps.value_tier
	                           AND pa.antecedent_id IS NULL
	                         WHERE ps.party_id = recommend_products.party_id AND p.party_id = recommend_products.party_id
	                           AND ps.model = m_name) cand
	                  JOIN @extschema@.product cp
	                    ON cp.product_id = cand.product_id AND cp.active AND cand.kind = ANY (cp.for_kind)
	                  LEFT JOIN @extschema@.holding hp
	                    ON hp.party_id = recommend_products.party_id AND hp.product_id = cand.product_id
	                   AND hp.closed_on IS NULL
	                 WHERE hp.party_id IS NULL
	                 ORDER BY cand.product_id, cand.lift DESC, cand.support DESC, cand.antecedent_id NULLS LAST) d
	       ) c
	  JOIN @extschema@.product pr ON pr.product_id = c.product_id
	  LEFT JOIN @extschema@.product ante ON ante.product_id = c.antecedent_id
	 ORDER BY c.rank
	 LIMIT recommend_products.n;
END
$$;
COMMENT ON FUNCTION @extschema@.recommend_products(bigint, integer, text) IS
	'Products a party does not hold, ranked by lift among parties of its kind and value tier, with support, confidence and the product it follows from';

-- views

-- the value pyramid (key / general / scattered) and the wealth pyramid
-- (individuals by AUM) of the default model
CREATE VIEW @extschema@.value_pyramid AS
WITH levels (pyramid, tier, ord) AS (
	VALUES ('value', 'key', 1), ('value', 'general', 2), ('value', 'scattered', 3),
	       ('wealth', 'uhnw', 4), ('wealth', 'hnw', 5), ('wealth', 'affluent', 6), ('wealth', 'mass', 7)
), agg AS (
	-- the default model by a join (not a function reading score_model), so
	-- that on Citus each aggregate runs in the shards and is merged
	SELECT 'value' AS pyramid, ps.value_tier AS tier, pg_catalog.count(*) AS parties,
	       pg_catalog.sum(ps.aum) AS aum, pg_catalog.sum(ps.contribution) AS contribution
	  FROM @extschema@.party_score ps
	  JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
	 GROUP BY ps.value_tier
	UNION ALL
	SELECT 'wealth', ps.wealth_tier, pg_catalog.count(*), pg_catalog.sum(ps.aum), pg_catalog.sum(ps.contribution)
	  FROM @extschema@.party_score ps
	  JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
	 WHERE ps.wealth_tier IS NOT NULL
	 GROUP BY ps.wealth_tier
)
SELECT l.pyramid,
       l.tier,
       COALESCE(agg.parties, 0) AS parties,
       COALESCE(agg.aum, 0)::numeric(20, 2) AS aum,
       COALESCE(agg.contribution, 0)::numeric(20, 2) AS contribution,
       pg_catalog.round(100.0 * COALESCE(agg.parties, 0)
             / NULLIF(pg_catalog.sum(COALESCE(agg.parties, 0)) OVER (PARTITION BY l.pyramid), 0), 2) AS parties_pct,
       pg_catalog.round(100.0 * COALESCE(agg.aum, 0)
             / NULLIF(pg_catalog.sum(COALESCE(agg.aum, 0)) OVER (PARTITION BY l.pyramid), 0), 2) AS aum_pct,
       pg_catalog.round(100.0 * COALESCE(agg.contribution, 0)
             / NULLIF(pg_catalog.sum(COALESCE(agg.contribution, 0)) OVER (PARTITION BY l.pyramid), 0), 2) AS contribution_pct
  FROM levels l
  LEFT JOIN agg ON agg.pyramid = l.pyramid AND agg.tier = l.tier
 ORDER BY l.ord;
COMMENT ON VIEW @extschema@.value_pyramid IS 'Parties, AUM and contribution per value tier (key, general, scattered) and per wealth tier (individuals), with shares, under the default model';
COMMENT ON COLUMN @extschema@.value_pyramid.pyramid IS 'value (key / general / scattered, every scored party) or wealth (uhnw / hnw / affluent / mass, individuals)';
COMMENT ON COLUMN @extschema@.value_pyramid.tier IS 'The tier';
COMMENT ON COLUMN @extschema@.value_pyramid.parties IS 'Scored parties in the tier';
COMMENT ON COLUMN @extschema@.value_pyramid.aum IS 'Their assets under management, CNY';
COMMENT ON COLUMN @extschema@.value_pyramid.contribution IS 'Their yearly contribution, CNY';
COMMENT ON COLUMN @extschema@.value_pyramid.parties_pct IS 'Share of the pyramid''s parties, percent';
COMMENT ON COLUMN @extschema@.value_pyramid.aum_pct IS 'Share of the pyramid''s AUM, percent';
COMMENT ON COLUMN @extschema@.value_pyramid.contribution_pct IS 'Share of the pyramid''s contribution, percent';

-- the Pareto line: how few customers make a given share of the contribution
CREATE FUNCTION @extschema@.pareto(share numeric DEFAULT 0.8, model text DEFAULT NULL)
RETURNS TABLE (model_name text, target_share numeric, customers bigint, customers_total bigint,
	customers_pct numeric, contribution numeric, contribution_total numeric, min_contribution numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	m_name	text := @extschema@.score_model_resolve(pareto.model);
BEGIN
	IF pareto.share IS NULL OR pareto.share <= 0 OR pareto.share > 1 THEN
		RAISE EXCEPTION 'share must be greater than 0 and at most 1'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the share of the contribution as a fraction, for example 0.8 for 80 %.';
	END IF;
	RETURN QUERY
	WITH c AS (
		SELECT ps.contribution,
		       pg_catalog.row_number() OVER w AS rn,
		       pg_catalog.sum(GREATEST(ps.contribution, 0)) OVER w AS cum
		  FROM @extschema@.party_score ps
		  JOIN @extschema@.party p ON p.party_id = ps.party_id
		 WHERE ps.model = m_name AND p.status <> 'prospect'
		WINDOW w AS (ORDER BY ps.contribution DESC, ps.party_id)
	), tot AS (
		SELECT pg_catalog.count(*) AS n, COALESCE(pg_catalog.sum(c.contribution) FILTER (WHERE c.contribution > 0), 0) AS pos
		  FROM c
	), cut AS (
		SELECT pg_catalog.min(c.rn) AS k
		  FROM c, tot
		 WHERE tot.pos > 0 AND c.cum >= pareto.share * tot.pos
	)
	SELECT m_name, pareto.share, COALESCE(cut.k, 0), tot.n,
	       pg_catalog.round(100.0 * COALESCE(cut.k, 0) / NULLIF(tot.n, 0), 2),
	       COALESCE((SELECT c.cum FROM c WHERE c.rn = cut.k), 0),
	       tot.pos,
	       (SELECT c.contribution FROM c WHERE c.rn = cut.k)
	  FROM tot, cut;
END
$$;
COMMENT ON FUNCTION @extschema@.pareto(numeric, text) IS
	'The smallest set of customers (not prospects) producing the given share of the positive contribution, and the share of customers it is';

CREATE VIEW @extschema@.pareto AS
SELECT p.model_name, p.target_share, p.customers, p.customers_total, p.customers_pct, p.contribution,
       p.contribution_total, p.min_contribution
  FROM @extschema@.pareto(0.8, NULL) p;
COMMENT ON VIEW @extschema@.pareto IS 'The Pareto line at 80 %: how many customers make 80 % of the positive contribution under the default model';
COMMENT ON COLUMN @extschema@.pareto.model_name IS 'The scoring model (the default model)';
COMMENT ON COLUMN @extschema@.pareto.target_share IS 'Target share of the contribution (0.8)';
COMMENT ON COLUMN @extschema@.pareto.customers IS 'Customers in the smallest set reaching the share';
COMMENT ON COLUMN @extschema@.pareto.customers_total IS 'Scored customers (prospects excluded)';
COMMENT ON COLUMN @extschema@.pareto.customers_pct IS 'customers / customers_total, percent';
COMMENT ON COLUMN @extschema@.pareto.contribution IS 'Contribution of that set, CNY';
COMMENT ON COLUMN @extschema@.pareto.contribution_total IS 'Sum of the positive contributions, CNY';
COMMENT ON COLUMN @extschema@.pareto.min_contribution IS 'Contribution of the smallest customer in the set: the Pareto line';

-- hidden gold: individual merchants with millions of turnover and little AUM
CREATE VIEW @extschema@.hidden_gold
WITH (security_invoker = true) AS
SELECT p.party_id,
       p.name,
       p.region_code,
       p.home_branch_id,
       p.industry,
       p.annual_turnover,
       ps.aum,
       pg_catalog.round(p.annual_turnover / NULLIF(ps.aum, 0), 1) AS turnover_to_aum,
       ps.contribution,
       ps.value_score,
       ps.value_tier,
       ps.wealth_tier,
       rm.name AS primary_rm
  FROM @extschema@.party_score ps
  JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
  JOIN @extschema@.party p ON p.party_id = ps.party_id
  LEFT JOIN @extschema@.coverage cv ON cv.party_id = p.party_id AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
  LEFT JOIN @extschema@.staff rm ON rm.staff_id = cv.staff_id
 WHERE p.kind = 'individual'
   AND p.status = 'active'
   AND p.occupation = ANY (m.hidden_gold_occupations)
   AND p.annual_turnover >= m.hidden_gold_min_turnover
   AND ps.aum < m.hidden_gold_max_aum;
COMMENT ON VIEW @extschema@.hidden_gold IS 'Individual merchants whose yearly turnover reaches the model''s minimum (millions) but whose AUM with the bank is below its maximum: the VIP customers deposit-based tiers miss; the caller''s row-level security applies';
COMMENT ON COLUMN @extschema@.hidden_gold.annual_turnover IS 'Yearly business turnover, CNY';
COMMENT ON COLUMN @extschema@.hidden_gold.aum IS 'Assets under management with the bank, CNY';
COMMENT ON COLUMN @extschema@.hidden_gold.turnover_to_aum IS 'Turnover per CNY of AUM: how much business passes elsewhere';
COMMENT ON COLUMN @extschema@.hidden_gold.primary_rm IS 'Current primary relationship manager; NULL when nobody covers the merchant';

CREATE VIEW @extschema@.hidden_gold_masked AS
SELECT p.party_id,
       @extschema@.mask_name(p.name) AS name_masked,
       p.region_code,
       p.home_branch_id,
       p.industry,
       p.annual_turnover,
       ps.aum,
       pg_catalog.round(p.annual_turnover / NULLIF(ps.aum, 0), 1) AS turnover_to_aum,
       ps.contribution,
       ps.value_score,
       ps.value_tier,
       ps.wealth_tier,
       EXISTS (SELECT FROM @extschema@.coverage cv
                WHERE cv.party_id = p.party_id AND cv.role = 'primary_rm' AND cv.valid_to IS NULL) AS has_rm
  FROM @extschema@.party_score ps
  JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
  JOIN @extschema@.party p ON p.party_id = ps.party_id
 WHERE p.kind = 'individual'
   AND p.status = 'active'
   AND p.occupation = ANY (m.hidden_gold_occupations)
   AND p.annual_turnover >= m.hidden_gold_min_turnover
   AND ps.aum < m.hidden_gold_max_aum;
COMMENT ON VIEW @extschema@.hidden_gold_masked IS 'hidden_gold for analysts: names initialised, no relationship manager named';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.name_masked IS 'First character of the name, the rest masked';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.has_rm IS 'A primary relationship manager covers the merchant';

-- privileges and row-level security

GRANT ALL ON @extschema@.score_model, @extschema@.party_score, @extschema@.score_history, @extschema@.party_retention,
	@extschema@.score_run_log, @extschema@.product_affinity, @extschema@.value_pyramid, @extschema@.pareto, @extschema@.hidden_gold,
	@extschema@.hidden_gold_masked TO bankcrm_admin;
GRANT SELECT ON @extschema@.score_model, @extschema@.product_affinity, @extschema@.score_run_log
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT INSERT ON @extschema@.score_run_log TO bankcrm_app;
GRANT SELECT ON @extschema@.party_score, @extschema@.score_history, @extschema@.party_retention
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT, UPDATE, DELETE ON @extschema@.party_score, @extschema@.score_history, @extschema@.party_retention,
	@extschema@.product_affinity TO bankcrm_app;
GRANT SELECT ON @extschema@.value_pyramid, @extschema@.pareto, @extschema@.hidden_gold_masked
	TO bankcrm_analyst, bankcrm_manager, bankcrm_app;
GRANT SELECT ON @extschema@.hidden_gold TO bankcrm_manager, bankcrm_rm, bankcrm_app;

REVOKE ALL ON FUNCTION @extschema@.score_all(text, date, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.score_preview(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.score_preview(text, date) TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.score_party_deleted() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.score_model_scores_trigger() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.product_affinity_refresh(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.score_all(text, date, boolean) TO bankcrm_admin, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.product_affinity_refresh(text, date) TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.score_history_prune(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.score_history_prune(text, date) TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.pareto(numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.pareto(numeric, text)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.recommend_products(bigint, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.recommend_products_batch(bigint[], integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.recommend_products(bigint, integer, text)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.recommend_products_batch(bigint[], integer, text)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;

-- src/sql/42_group_rollup.sql
-- households and corporate groups seen as one relationship: the sums of
-- their members (relationship_group, 22_relationship_group.sql)
--
-- The rollup reads each member's balances and default-model scores by
-- party_id and adds them up by group, and tiers the group by the default
-- score model's cut-offs, as score_all tiers a party.

CREATE VIEW @extschema@.relationship_group_rollup
WITH (security_invoker = true) AS
WITH m AS (
	SELECT g.group_id,
	       g.kind,
	       g.party_id,
	       COALESCE(b.aum, 0) AS aum,
	       COALESCE(b.loans, 0) AS loans,
	       sc.contribution,
	       sc.value_score,
	       sc.clv
	  FROM @extschema@.relationship_group g
	  LEFT JOIN @extschema@.party_balance b ON b.party_id = g.party_id
	  LEFT JOIN @extschema@.party_score sc ON sc.party_id = g.party_id
	        AND sc.model = (SELECT dm.model FROM @extschema@.score_model dm WHERE dm.is_default)
), lead AS (
	-- the member with the most assets, and its primary RM
	SELECT r.group_id, r.party_id AS lead_party_id, st.name AS primary_rm
	  FROM (SELECT m.group_id, m.party_id,
	               pg_catalog.row_number() OVER (PARTITION BY m.group_id ORDER BY m.aum DESC, m.party_id) AS rank
	          FROM m) r
	  LEFT JOIN @extschema@.coverage cv ON cv.party_id = r.party_id AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
	  LEFT JOIN @extschema@.staff st ON st.staff_id = cv.staff_id
	 WHERE r.rank = 1
), held AS (
	SELECT x.group_id, pg_catalog.array_agg(x.code ORDER BY x.code) AS products
	  FROM (SELECT DISTINCT g.group_id, pr.code
	          FROM @extschema@.relationship_group g
	          JOIN @extschema@.holding h ON h.party_id = g.party_id AND h.closed_on IS NULL
	          JOIN @extschema@.product pr ON pr.product_id = h.product_id) x
	 GROUP BY x.group_id
)
SELECT s.group_id,
       s.kind,
       s.members,
       s.aum,
       s.loans,
       s.contribution,
       s.clv,
       s.value_score,
       s.top_value_score,
       l.lead_party_id,
       l.primary_rm,
       COALESCE(h.products, '{}') AS products,
       @extschema@.value_tier(CASE dm.value_tier_basis WHEN 'value_score' THEN s.value_score ELSE s.contribution END,
                              dm.key_min, dm.general_min) AS value_tier,
       @extschema@.wealth_tier(s.aum, dm.affluent_min, dm.hnw_min, dm.uhnw_min) AS wealth_tier
  FROM (SELECT m.group_id,
               pg_catalog.min(m.kind) AS kind,
               pg_catalog.count(*) AS members,
               pg_catalog.sum(m.aum)::numeric(18, 2) AS aum,
               pg_catalog.sum(m.loans)::numeric(18, 2) AS loans,
               pg_catalog.sum(m.contribution) AS contribution,
               pg_catalog.sum(m.clv) AS clv,
               CASE WHEN pg_catalog.count(m.value_score) > 0 THEN LEAST(1000, pg_catalog.sum(m.value_score)) END AS value_score,
               pg_catalog.max(m.value_score) AS top_value_score
          FROM m
         GROUP BY m.group_id) s
  LEFT JOIN lead l ON l.group_id = s.group_id
  LEFT JOIN held h ON h.group_id = s.group_id
  LEFT JOIN @extschema@.score_model dm ON dm.is_default;
COMMENT ON VIEW @extschema@.relationship_group_rollup IS 'One row per household or corporate group: members, summed assets, loans, contribution and lifetime value, the group''s value score, the lead member and its primary RM, the products anyone in it holds, its value and wealth tiers; scores and cut-offs of the default model; row-level security of the caller applies (a group sums the members the caller may see)';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.group_id IS 'The group (its lowest party_id)';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.aum IS 'Deposits, wealth and insurance balances of all members, CNY';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.loans IS 'Loan and card balances of all members, CNY';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.contribution IS 'Sum of the members'' profit contribution; NULL when none is scored';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.clv IS 'Sum of the members'' customer lifetime values';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.value_score IS 'Value score of the group: the members'' value scores added, at most 1000';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.top_value_score IS 'The highest value score of a member';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.lead_party_id IS 'The member with the most assets (the lowest party_id on ties)';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.primary_rm IS 'Name of the lead member''s current primary relationship manager';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.products IS 'Codes of the products held by anyone in the group (open holdings), distinct, sorted';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.value_tier IS 'The group''s value tier under the default score model''s cut-offs (key_min, general_min), applied to the group''s contribution or value score as the model''s value_tier_basis says';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.wealth_tier IS 'The group''s wealth tier under the default score model''s cut-offs, applied to the group''s assets';

-- privileges of 22_relationship_group.sql and of the rollup: staff who
-- see parties see their groups (row-level security applies); analysts
-- read aggregates elsewhere
GRANT SELECT ON @extschema@.relationship_group, @extschema@.guarantor_chain, @extschema@.guarantor_exposure,
	@extschema@.relationship_group_rollup
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT ALL ON @extschema@.relationship_group, @extschema@.guarantor_chain, @extschema@.guarantor_exposure,
	@extschema@.relationship_group_rollup TO bankcrm_admin;
REVOKE ALL ON FUNCTION @extschema@.relationship_group_refresh(), @extschema@.relationship_group_touch(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.relationship_group_refresh() TO bankcrm_admin, bankcrm_manager, bankcrm_app;
-- per-party readers: for the roles that see parties (row-level security applies)
REVOKE ALL ON FUNCTION @extschema@.relationship_group_of(bigint[], regclass), @extschema@.guarantor_chain_rows() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.relationship_group_of(bigint[], regclass), @extschema@.guarantor_chain_rows()
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
-- src/sql/45_segment.sql
-- segmentation: rule, tier, pareto and RFM segments, their current members
-- and the history of who joined and left
--
-- A rule segment is one boolean SQL expression over the whitelisted view
-- party_features, proved safe by segment_check_rule() (src/segment.c) with
-- PostgreSQL's own scanner, parser and analyzer before it is saved and again
-- before it is evaluated.  Membership is recomputed set-based by
-- segment_refresh(), one statement that writes the difference.

-- party_features: what rules may look at, one row per party
CREATE VIEW @extschema@.party_features
WITH (security_invoker = true) AS
SELECT p.party_id,
       p.kind,
       p.status,
       p.gender,
       pg_catalog.date_part('year', pg_catalog.age(CURRENT_DATE::timestamp, p.birth_date::timestamp))::integer AS age,
       p.industry,
       p.region_code,
       p.education,
       p.occupation,
       p.life_stage,
       p.wealth_source,
       p.involvement,
       p.product_lifecycle,
       p.credit_rating,
       @extschema@.notch(p.credit_rating) AS rating_notch,
       @extschema@.rating_band(p.credit_rating) AS rating_band,
       p.home_branch_id,
       p.onboarded_on,
       pg_catalog.date_part('year', pg_catalog.age(CURRENT_DATE::timestamp, p.onboarded_on::timestamp))::integer AS tenure_years,
       COALESCE(bal.aum, 0)::numeric(18, 2) AS aum,
       COALESCE(bal.loans, 0)::numeric(18, 2) AS loans,
       p.annual_turnover AS turnover,
       COALESCE(bal.products_held, 0) AS products_held,
       COALESCE(hp.products, '{}') AS products,
       COALESCE(hp.product_categories, '{}') AS product_categories,
       sc.contribution,
       sc.value_score,
       sc.value_tier,
       sc.wealth_tier,
       sc.rfm_r,
       sc.rfm_f,
       sc.rfm_m,
       sc.clv,
       (CURRENT_DATE - (SELECT pg_catalog.max(c.occurred_at) FROM @extschema@.contact c
                         WHERE c.party_id = p.party_id)::date) AS days_since_last_contact,
       p.consent_marketing,
       p.do_not_contact
  FROM @extschema@.party p
  LEFT JOIN @extschema@.party_balance bal ON bal.party_id = p.party_id
  LEFT JOIN (SELECT h.party_id,
                    pg_catalog.array_agg(DISTINCT pr.code) AS products,
                    pg_catalog.array_agg(DISTINCT pr.category) AS product_categories
               FROM @extschema@.holding h
               JOIN @extschema@.product pr ON pr.product_id = h.product_id
              WHERE h.closed_on IS NULL
              GROUP BY h.party_id) hp ON hp.party_id = p.party_id
  LEFT JOIN @extschema@.party_score sc ON sc.party_id = p.party_id
        AND sc.model = (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default);
COMMENT ON VIEW @extschema@.party_features IS 'One row per party with the features segment rules may use (no names, phones or exact birth dates); scores are those of the default score model; row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.party_features.age IS 'Whole years since birth (individuals) or founding (organisations), as of the current date';
COMMENT ON COLUMN @extschema@.party_features.rating_notch IS 'Agency notch of the credit rating: AAA = 1 ... D = 22';
COMMENT ON COLUMN @extschema@.party_features.rating_band IS 'Reporting band of the credit rating: AAA, AA, A, BBB, BB or below BB';
COMMENT ON COLUMN @extschema@.party_features.tenure_years IS 'Whole years since onboarding, as of the current date; NULL for prospects';
COMMENT ON COLUMN @extschema@.party_features.aum IS 'Deposits, wealth and insurance balances of open holdings, CNY';
COMMENT ON COLUMN @extschema@.party_features.loans IS 'Loan and card balances of open holdings, CNY';
COMMENT ON COLUMN @extschema@.party_features.turnover IS 'Yearly business turnover (party.annual_turnover), CNY';
COMMENT ON COLUMN @extschema@.party_features.products_held IS 'Number of open holdings';
COMMENT ON COLUMN @extschema@.party_features.products IS 'Codes of the products held in open holdings, distinct, sorted';
COMMENT ON COLUMN @extschema@.party_features.product_categories IS 'Categories of the products held in open holdings, distinct, sorted';
COMMENT ON COLUMN @extschema@.party_features.contribution IS 'Profit contribution under the default score model';
COMMENT ON COLUMN @extschema@.party_features.value_score IS 'Value score under the default score model';
COMMENT ON COLUMN @extschema@.party_features.value_tier IS 'key, general or scattered, under the default score model';
COMMENT ON COLUMN @extschema@.party_features.wealth_tier IS 'mass, affluent, hnw or uhnw, under the default score model';
COMMENT ON COLUMN @extschema@.party_features.rfm_r IS 'Recency score under the default score model';
COMMENT ON COLUMN @extschema@.party_features.rfm_f IS 'Frequency score under the default score model';
COMMENT ON COLUMN @extschema@.party_features.rfm_m IS 'Monetary score under the default score model';
COMMENT ON COLUMN @extschema@.party_features.clv IS 'Customer lifetime value under the default score model';
COMMENT ON COLUMN @extschema@.party_features.days_since_last_contact IS 'Days since the last contact on any channel; NULL if never contacted';

-- the rule checker (src/segment.c)
CREATE FUNCTION @extschema@.segment_check_rule(rule text)
	RETURNS boolean
	AS 'MODULE_PATHNAME'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment_check_rule(text) IS 'Returns true when the text is one boolean expression over party_features using only whitelisted columns, operators and functions; raises an error naming the offending element and its position otherwise';

-- the segment parameters of kinds tier, pareto and rfm
CREATE FUNCTION @extschema@.segment_check_params(kind text, params jsonb)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k text;
	allowed text[];
	v jsonb;
BEGIN
	IF jsonb_typeof(params) <> 'object' THEN
		RAISE EXCEPTION 'segment parameters must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	allowed := CASE kind
		WHEN 'rule' THEN ARRAY[]::text[]
		WHEN 'tier' THEN ARRAY['model', 'value_tier', 'wealth_tier']
		WHEN 'pareto' THEN ARRAY['model', 'share', 'measure']
		WHEN 'rfm' THEN ARRAY['model', 'min_r', 'min_f', 'min_m', 'max_r', 'max_f', 'max_m']
		WHEN 'cluster' THEN ARRAY['cluster_model', 'cluster']
	END;
	IF allowed IS NULL THEN
		RAISE EXCEPTION 'unknown segment kind "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The segment kinds are rule, tier, pareto, rfm and cluster.';
	END IF;
	FOR k, v IN SELECT e.key, e.value FROM jsonb_each(params) e LOOP
		IF NOT k = ANY (allowed) THEN
			RAISE EXCEPTION 'unknown parameter "%" for a segment of kind %', k, kind
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = CASE WHEN cardinality(allowed) = 0 THEN 'Segments of kind rule take no parameters.'
				                  ELSE format('Segments of kind %s take %s.', kind, array_to_string(allowed, ', ')) END;
		END IF;
		IF k = 'cluster_model' AND jsonb_typeof(v) <> 'string' THEN
			RAISE EXCEPTION 'segment parameter "cluster_model" must be a string'
				USING ERRCODE = 'invalid_parameter_value';
		ELSIF k = 'cluster' AND (jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
		                         OR v::text::numeric NOT BETWEEN 1 AND 100) THEN
			RAISE EXCEPTION 'segment parameter "cluster" must be an integer from 1 to 100'
				USING ERRCODE = 'invalid_parameter_value',
				      DETAIL = format('Found %s.', v);
		ELSIF k = 'model' AND jsonb_typeof(v) <> 'string' THEN
			RAISE EXCEPTION 'segment parameter "model" must be a string'
				USING ERRCODE = 'invalid_parameter_value';
		ELSIF k IN ('value_tier', 'wealth_tier') THEN
			IF jsonb_typeof(v) <> 'array' OR jsonb_array_length(v) = 0
			   OR EXISTS (SELECT 1 FROM jsonb_array_elements(v) t
			               WHERE jsonb_typeof(t) <> 'string'
			                  OR NOT (t #>> '{}') = ANY (CASE k WHEN 'value_tier' THEN ARRAY['key', 'general', 'scattered']
			                                                     ELSE ARRAY['mass', 'affluent', 'hnw', 'uhnw'] END)) THEN
				RAISE EXCEPTION 'segment parameter "%" must be a non-empty array of tiers', k
					USING ERRCODE = 'invalid_parameter_value',
					      DETAIL = format('Found %s.', v),
					      HINT = CASE k WHEN 'value_tier' THEN 'Value tiers are key, general and scattered.'
					                    ELSE 'Wealth tiers are mass, affluent, hnw and uhnw.' END;
			END IF;
		ELSIF k = 'share' THEN
			IF jsonb_typeof(v) <> 'number' OR v::text::numeric <= 0 OR v::text::numeric > 1 THEN
				RAISE EXCEPTION 'segment parameter "share" must be a number above 0 and at most 1'
					USING ERRCODE = 'invalid_parameter_value',
					      DETAIL = format('Found %s.', v),
					      HINT = 'Give the share of parties to keep, for example 0.2 for the top 20 %.';
			END IF;
		ELSIF k = 'measure' THEN
			IF jsonb_typeof(v) <> 'string' OR NOT (v #>> '{}') = ANY (ARRAY['contribution', 'clv', 'aum', 'value_score']) THEN
				RAISE EXCEPTION 'segment parameter "measure" must be contribution, clv, aum or value_score'
					USING ERRCODE = 'invalid_parameter_value',
					      DETAIL = format('Found %s.', v);
			END IF;
		ELSIF k IN ('min_r', 'min_f', 'min_m', 'max_r', 'max_f', 'max_m') THEN
			IF jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
			   OR v::text::numeric NOT BETWEEN 1 AND 5 THEN
				RAISE EXCEPTION 'segment parameter "%" must be an integer from 1 to 5', k
					USING ERRCODE = 'invalid_parameter_value',
					      DETAIL = format('Found %s.', v);
			END IF;
		END IF;
	END LOOP;
	IF kind = 'tier' AND NOT (params ? 'value_tier' OR params ? 'wealth_tier') THEN
		RAISE EXCEPTION 'a segment of kind tier needs "value_tier" or "wealth_tier"'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'For example {"wealth_tier": ["hnw", "uhnw"]}.';
	ELSIF kind = 'pareto' AND NOT params ? 'share' THEN
		RAISE EXCEPTION 'a segment of kind pareto needs "share"'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'For example {"share": 0.2} for the top 20 % of parties by contribution.';
	ELSIF kind = 'cluster' AND NOT params ?& ARRAY['cluster_model', 'cluster'] THEN
		RAISE EXCEPTION 'a segment of kind cluster needs "cluster_model" and "cluster"'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'cluster_assign() makes these segments from a model fitted by cluster_fit().';
	ELSIF kind = 'rfm' AND NOT params ?| ARRAY['min_r', 'min_f', 'min_m', 'max_r', 'max_f', 'max_m'] THEN
		RAISE EXCEPTION 'a segment of kind rfm needs at least one of min_r, min_f, min_m, max_r, max_f, max_m'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'For example {"min_r": 4, "min_f": 4, "min_m": 4}.';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_check_params(text, jsonb) IS 'Returns true when the parameters fit the segment kind (tier: value_tier/wealth_tier arrays; pareto: share, measure; rfm: min_/max_ r, f, m; tier, pareto and rfm: model; cluster: cluster_model and cluster); raises an error naming the bad parameter otherwise';

-- segment: the definitions
CREATE TABLE @extschema@.segment (
	segment_id      bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name            text NOT NULL UNIQUE CONSTRAINT segment_name_check CHECK (btrim(name) <> ''),
	kind            text NOT NULL
	                CONSTRAINT segment_kind_check CHECK (kind IN ('rule', 'tier', 'pareto', 'rfm', 'cluster')),
	rule            text,
	params          jsonb NOT NULL DEFAULT '{}',
	description     text,
	owner_staff_id  integer REFERENCES @extschema@.staff DEFAULT @extschema@.current_staff_id(),
	created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
	refreshed_at    timestamptz,
	CONSTRAINT segment_rule_check CHECK ((kind = 'rule') = (rule IS NOT NULL)),
	CONSTRAINT segment_params_check CHECK (@extschema@.segment_check_params(kind, params))
);
COMMENT ON TABLE @extschema@.segment IS 'Segment definitions: a boolean rule over party_features, value or wealth tiers, the top share by a measure, RFM score bounds, or the parties nearest to one centroid of a cluster model';
COMMENT ON COLUMN @extschema@.segment.rule IS 'Kind rule: one boolean SQL expression over the columns of party_features, checked by segment_check_rule()';
COMMENT ON COLUMN @extschema@.segment.params IS 'Kinds tier, pareto and rfm: parameters (model, value_tier, wealth_tier, share, measure, min_r ... max_m); kind cluster: cluster_model and cluster';
COMMENT ON COLUMN @extschema@.segment.owner_staff_id IS 'Staff member who owns the segment; defaults to the one the current role acts as';
COMMENT ON COLUMN @extschema@.segment.refreshed_at IS 'When segment_refresh() last recomputed the members';

-- a rule cannot be saved unless it passes the checker
CREATE FUNCTION @extschema@.segment_rule_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.rule IS NOT NULL THEN
		PERFORM @extschema@.segment_check_rule(NEW.rule);
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_rule_trigger() IS 'Refuses to save a segment whose rule fails segment_check_rule()';
CREATE TRIGGER segment_rule_check BEFORE INSERT OR UPDATE OF rule ON @extschema@.segment
	FOR EACH ROW EXECUTE FUNCTION @extschema@.segment_rule_trigger();

-- segment_member: who is in a segment now
CREATE TABLE @extschema@.segment_member (
	segment_id  bigint NOT NULL REFERENCES @extschema@.segment ON DELETE CASCADE,
	party_id    bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	joined_at   timestamptz NOT NULL,
	PRIMARY KEY (segment_id, party_id)
);
COMMENT ON TABLE @extschema@.segment_member IS 'Current members of each segment, as of its last refresh';
COMMENT ON COLUMN @extschema@.segment_member.joined_at IS 'When the party joined the segment (the refresh that added it)';
CREATE INDEX segment_member_party_idx ON @extschema@.segment_member (party_id);

-- segment_history: every join and leave, append-only
CREATE TABLE @extschema@.segment_history (
	segment_id  bigint NOT NULL REFERENCES @extschema@.segment ON DELETE CASCADE,
	party_id    bigint NOT NULL,
	change      text NOT NULL CONSTRAINT segment_history_change_check CHECK (change IN ('joined', 'left')),
	at          timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.segment_history IS 'Every party that joined or left a segment, and when (the refresh that found it)';
CREATE INDEX segment_history_segment_at_idx ON @extschema@.segment_history (segment_id, at);

-- the SELECT that lists a segment's members: the checked rule embedded as
-- the WHERE clause, or the score conditions of the other kinds
CREATE FUNCTION @extschema@.segment_member_query(kind text, rule text, params jsonb)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	model_name text;
	measure text;
	conds text[] := ARRAY[]::text[];
	r text;
BEGIN
	IF kind = 'rule' THEN
		-- proven to be exactly one whitelisted expression: embedding the
		-- text is safe, and the newlines keep it apart from the wrapper
		PERFORM @extschema@.segment_check_rule(rule);
		RETURN format(E'SELECT f.party_id FROM %I.party_features f WHERE (\n%s\n)', '@extschema@', rule);
	END IF;

	PERFORM @extschema@.segment_check_params(kind, params);
	IF kind = 'cluster' THEN
		-- src/sql/47_cluster.sql
		RETURN @extschema@.cluster_member_query(params);
	END IF;
	model_name := COALESCE(params ->> 'model', (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default));
	IF model_name IS NULL THEN
		RAISE EXCEPTION 'no default score model'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Mark one score_model row as the default, or name a model in the segment parameters.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM @extschema@.score_model m WHERE m.model = model_name) THEN
		RAISE EXCEPTION 'score model "%" does not exist', model_name
			USING ERRCODE = 'undefined_object';
	END IF;

	IF kind = 'tier' THEN
		IF params ? 'value_tier' THEN
			conds := conds || format('s.value_tier = ANY (%L::text[])',
			                         ARRAY(SELECT jsonb_array_elements_text(params -> 'value_tier')));
		END IF;
		IF params ? 'wealth_tier' THEN
			conds := conds || format('s.wealth_tier = ANY (%L::text[])',
			                         ARRAY(SELECT jsonb_array_elements_text(params -> 'wealth_tier')));
		END IF;
		RETURN format('SELECT s.party_id FROM %I.party_score s WHERE s.model = %L AND %s',
		              '@extschema@', model_name, array_to_string(conds, ' AND '));
	ELSIF kind = 'pareto' THEN
		measure := COALESCE(params ->> 'measure', 'contribution');
		RETURN format('SELECT r.party_id FROM (SELECT s.party_id, '
		              'pg_catalog.row_number() OVER (ORDER BY s.%I DESC NULLS LAST, s.party_id) AS rank, '
		              'pg_catalog.count(*) OVER () AS n '
		              'FROM %I.party_score s WHERE s.model = %L) r '
		              'WHERE r.rank <= pg_catalog.ceil(%s * r.n)',
		              measure, '@extschema@', model_name, (params ->> 'share')::numeric);
	ELSE
		FOREACH r IN ARRAY ARRAY['r', 'f', 'm'] LOOP
			IF params ? ('min_' || r) THEN
				conds := conds || format('s.%I >= %s', 'rfm_' || r, (params ->> ('min_' || r))::integer);
			END IF;
			IF params ? ('max_' || r) THEN
				conds := conds || format('s.%I <= %s', 'rfm_' || r, (params ->> ('max_' || r))::integer);
			END IF;
		END LOOP;
		RETURN format('SELECT s.party_id FROM %I.party_score s WHERE s.model = %L AND %s',
		              '@extschema@', model_name, array_to_string(conds, ' AND '));
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_member_query(text, text, jsonb) IS 'The SELECT listing the party_id of every member of a segment of the given kind, rule and parameters; a rule is checked first';

-- preview: every party a rule selects, without saving anything
CREATE FUNCTION @extschema@.segment_preview(rule text)
RETURNS TABLE (party_id bigint, kind text, status text, region_code text, aum numeric, value_tier text)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
BEGIN
	PERFORM @extschema@.segment_check_rule(rule);
	RETURN QUERY EXECUTE format(
		E'SELECT f.party_id, f.kind, f.status, f.region_code, f.aum, f.value_tier FROM %I.party_features f WHERE (\n%s\n) ORDER BY f.party_id',
		'@extschema@', rule);
END
$$;
COMMENT ON FUNCTION @extschema@.segment_preview(text) IS 'Every party (that the caller may see) satisfying a segment rule, with a few features, in party_id order; nothing is saved';

-- who asks, and what of the members it may learn about (doc/security.md,
-- "Segments"): bank_wide for superusers and members of bankcrm_admin or
-- bankcrm_app; otherwise the parties the caller may see, and for a caller
-- that sees none but is an analyst, bank-wide aggregates with small counts
-- withheld.  The caller is the session's role (SET ROLE or the login),
-- which a SECURITY DEFINER function does not change.
CREATE FUNCTION @extschema@.segment_caller_scope(OUT bank_wide boolean, OUT aggregate_only boolean, OUT parties bigint[])
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	caller name := CASE WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
	                    ELSE pg_catalog.current_setting('role')::name END;
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = caller AND (r.rolsuper OR r.rolbypassrls))
	   OR pg_catalog.pg_has_role(caller, 'bankcrm_admin', 'USAGE') OR pg_catalog.pg_has_role(caller, 'bankcrm_app', 'USAGE') THEN
		bank_wide := true;
		aggregate_only := false;
		parties := NULL;
		RETURN;
	END IF;
	bank_wide := false;
	parties := ARRAY(SELECT v FROM @extschema@.visible_party_ids(caller) v);
	aggregate_only := pg_catalog.cardinality(parties) = 0 AND pg_catalog.pg_has_role(caller, 'bankcrm_analyst', 'USAGE');
END
$$;
COMMENT ON FUNCTION @extschema@.segment_caller_scope() IS 'What the calling role may learn through the segment functions: bank_wide (admin, app, superuser), else the parties it may see; aggregate_only for an analyst, who gets bank-wide counts with counts below 5 withheld';

-- a count an aggregate-only caller may see: none below 5 (one party's facts would show)
CREATE FUNCTION @extschema@.segment_safe_count(n bigint, aggregate_only boolean)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN aggregate_only AND n > 0 AND n < 5 THEN NULL ELSE n END;
COMMENT ON FUNCTION @extschema@.segment_safe_count(bigint, boolean) IS 'n, or NULL when the caller sees aggregates only and n is between 1 and 4';

-- refresh: recompute the members in one statement, record the difference
CREATE FUNCTION @extschema@.segment_refresh(segment_id bigint)
RETURNS TABLE (joined bigint, "left" bigint, total bigint)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	seg @extschema@.segment;
	stamp timestamptz := clock_timestamp();
	sc record;
	target text;
BEGIN
	-- a caller without bank-wide read recomputes the segment within the
	-- parties it may see: the rule never meets another party's data (no
	-- error, no count, no timing from it), members it cannot see are left
	-- as they are, and the numbers returned count only what it sees
	SELECT * INTO sc FROM @extschema@.segment_caller_scope();
	-- one refresh of a segment at a time; the next one sees this one's result
	SELECT * INTO seg FROM @extschema@.segment s WHERE s.segment_id = segment_refresh.segment_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'segment % does not exist', segment_refresh.segment_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'The segments are listed in bankcrm.segment_sizes.';
	END IF;
	-- stamped first: on Citus a reference table is written before, not
	-- after, the distributed tables that refer to it in one transaction
	UPDATE @extschema@.segment s SET refreshed_at = stamp WHERE s.segment_id = seg.segment_id;
	IF sc.bank_wide THEN
		target := @extschema@.segment_member_query(seg.kind, seg.rule, seg.params);
	ELSIF seg.kind = 'rule' THEN
		-- the visible parties first, in a subquery the rule cannot be pushed
		-- into (OFFSET 0): the rule is evaluated on them only
		PERFORM @extschema@.segment_check_rule(seg.rule);
		target := format(E'SELECT f.party_id FROM (SELECT * FROM %I.party_features v WHERE v.party_id = ANY ($3) OFFSET 0) f WHERE (\n%s\n)',
		                 '@extschema@', seg.rule);
	ELSE
		target := format('SELECT t.party_id FROM (%s OFFSET 0) t WHERE t.party_id = ANY ($3)',
		                 @extschema@.segment_member_query(seg.kind, seg.rule, seg.params));
	END IF;

	-- the difference, from one evaluation of the members' query: who is
	-- in the target and not a member joins, who is a member and not in the
	-- target leaves.  It goes to the history first and the members follow
	-- from it.  OFFSET 0 plans the members' query on its own: inside the
	-- full join the planner would keep the joins of party_features the rule
	-- does not use.  On Citus that query runs in the shard tasks and the
	-- full join on the coordinator; the other statements join on party_id
	-- within each shard (doc/segments.md)
	EXECUTE format(
		'INSERT INTO %2$I.segment_history (segment_id, party_id, change, at) '
		'SELECT $1, COALESCE(t.party_id, m.party_id), '
		'       CASE WHEN m.party_id IS NULL THEN ''joined'' ELSE ''left'' END, $2 '
		'  FROM (%1$s
 OFFSET 0) t '
		'  FULL JOIN (SELECT m.party_id FROM %2$I.segment_member m WHERE m.segment_id = $1 '
		'               AND ($3::bigint[] IS NULL OR m.party_id = ANY ($3))) m '
		'    ON m.party_id = t.party_id '
		' WHERE t.party_id IS NULL OR m.party_id IS NULL',
		target, '@extschema@')
	USING seg.segment_id, stamp, sc.parties;
	EXECUTE format(
		'DELETE FROM %1$I.segment_member m USING %1$I.segment_history h '
		' WHERE m.segment_id = $1 AND h.segment_id = $1 AND h.at = $2 AND h.change = ''left'' '
		'   AND m.party_id = h.party_id',
		'@extschema@')
	USING seg.segment_id, stamp;
	EXECUTE format(
		'INSERT INTO %1$I.segment_member (segment_id, party_id, joined_at) '
		'SELECT $1, h.party_id, $2 FROM %1$I.segment_history h '
		' WHERE h.segment_id = $1 AND h.at = $2 AND h.change = ''joined''',
		'@extschema@')
	USING seg.segment_id, stamp;

	RETURN QUERY EXECUTE format(
		'SELECT d.joined, d."left", n.total '
		'  FROM (SELECT pg_catalog.count(*) FILTER (WHERE h.change = ''joined'') AS joined, '
		'               pg_catalog.count(*) FILTER (WHERE h.change = ''left'') AS "left" '
		'          FROM %1$I.segment_history h WHERE h.segment_id = $1 AND h.at = $2) d, '
		'       (SELECT pg_catalog.count(*) AS total '
		'          FROM %1$I.segment_member m WHERE m.segment_id = $1 '
		'           AND ($3::bigint[] IS NULL OR m.party_id = ANY ($3))) n',
		'@extschema@')
	USING seg.segment_id, stamp, sc.parties;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_refresh(bigint) IS 'Recomputes the members of a segment, records who joined and left in segment_history, and returns the numbers joined, left and now in the segment; over every party for bankcrm_admin and bankcrm_app, within the parties the caller may see for anyone else (the other members are left as they are, and not counted)';

CREATE FUNCTION @extschema@.segment_refresh_all()
RETURNS TABLE (segment_id bigint, joined bigint, "left" bigint, total bigint)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
BEGIN ATOMIC
	SELECT s.segment_id, r.joined, r."left", r.total
	  FROM @extschema@.segment s, LATERAL @extschema@.segment_refresh(s.segment_id) r
	 ORDER BY s.segment_id;
END;
COMMENT ON FUNCTION @extschema@.segment_refresh_all() IS 'Refreshes every segment in segment_id order; returns the numbers joined, left and in each';

-- the members with a few party columns, for the caller's parties only
CREATE VIEW @extschema@.segment_members
WITH (security_invoker = true) AS
SELECT m.segment_id,
       s.name AS segment,
       m.party_id,
       m.joined_at,
       p.kind,
       @extschema@.mask_name(p.name) AS name_masked,
       p.status,
       p.region_code,
       p.home_branch_id,
       p.consent_marketing,
       p.do_not_contact
  FROM @extschema@.segment_member m
  JOIN @extschema@.segment s ON s.segment_id = m.segment_id
  JOIN @extschema@.party p ON p.party_id = m.party_id;
COMMENT ON VIEW @extschema@.segment_members IS 'Current segment members with a few party columns (name masked); row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.segment_members.segment IS 'Segment name';
COMMENT ON COLUMN @extschema@.segment_members.name_masked IS 'First character of the party''s name, the rest masked';

-- sizes: aggregates only, over the members the caller may learn about
CREATE FUNCTION @extschema@.segment_counts()
RETURNS TABLE (segment_id bigint, members bigint, last_joined bigint, last_left bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sc record;
BEGIN
	SELECT * INTO sc FROM @extschema@.segment_caller_scope();
	RETURN QUERY
	SELECT s.segment_id,
	       @extschema@.segment_safe_count(COALESCE(mc.members, 0), sc.aggregate_only),
	       @extschema@.segment_safe_count(COALESCE(hc.last_joined, 0), sc.aggregate_only),
	       @extschema@.segment_safe_count(COALESCE(hc.last_left, 0), sc.aggregate_only)
	  FROM @extschema@.segment s
	  LEFT JOIN (SELECT m.segment_id, pg_catalog.count(*) AS members
	               FROM @extschema@.segment_member m
	              WHERE sc.bank_wide OR sc.aggregate_only OR m.party_id = ANY (sc.parties)
	              GROUP BY m.segment_id) mc ON mc.segment_id = s.segment_id
	  LEFT JOIN (SELECT h.segment_id,
	                    pg_catalog.count(*) FILTER (WHERE h.change = 'joined') AS last_joined,
	                    pg_catalog.count(*) FILTER (WHERE h.change = 'left') AS last_left
	               FROM @extschema@.segment_history h
	               JOIN @extschema@.segment r ON r.segment_id = h.segment_id AND r.refreshed_at = h.at
	              WHERE sc.bank_wide OR sc.aggregate_only OR h.party_id = ANY (sc.parties)
	              GROUP BY h.segment_id) hc ON hc.segment_id = s.segment_id;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_counts() IS 'Per segment: members, joined and left at the last refresh, counting what the caller may learn about (segment_caller_scope)';

CREATE VIEW @extschema@.segment_sizes AS
SELECT s.segment_id,
       s.name,
       s.kind,
       c.members,
       c.last_joined,
       c.last_left,
       s.refreshed_at
  FROM @extschema@.segment s
  JOIN @extschema@.segment_counts() c ON c.segment_id = s.segment_id;
COMMENT ON VIEW @extschema@.segment_sizes IS 'Number of members of every segment, and how many joined and left at its last refresh: all of them for bankcrm_admin and bankcrm_app, those the caller may see for staff, bank-wide with counts of 1 to 4 withheld (NULL) for analysts';
COMMENT ON COLUMN @extschema@.segment_sizes.members IS 'Current members';
COMMENT ON COLUMN @extschema@.segment_sizes.last_joined IS 'Parties that joined at the last refresh';
COMMENT ON COLUMN @extschema@.segment_sizes.last_left IS 'Parties that left at the last refresh';

-- overlap of two segments: aggregates only, over every member
CREATE FUNCTION @extschema@.segment_overlap(a bigint, b bigint)
RETURNS TABLE (only_a bigint, "both" bigint, only_b bigint, jaccard numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	missing bigint;
	sc record;
BEGIN
	SELECT * INTO sc FROM @extschema@.segment_caller_scope();
	SELECT x INTO missing FROM unnest(ARRAY[a, b]) x
	 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.segment s WHERE s.segment_id = x) LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'segment % does not exist', missing
			USING ERRCODE = 'undefined_object',
			      HINT = 'The segments are listed in bankcrm.segment_sizes.';
	END IF;
	-- counted over what the caller may learn about (segment_caller_scope)
	RETURN QUERY
	SELECT @extschema@.segment_safe_count(o.only_a, sc.aggregate_only),
	       @extschema@.segment_safe_count(o.both_, sc.aggregate_only),
	       @extschema@.segment_safe_count(o.only_b, sc.aggregate_only),
	       CASE WHEN sc.aggregate_only AND (o.only_a BETWEEN 1 AND 4 OR o.both_ BETWEEN 1 AND 4 OR o.only_b BETWEEN 1 AND 4)
	            THEN NULL ELSE round(o.both_::numeric / NULLIF(o.only_a + o.both_ + o.only_b, 0), 4) END
	  FROM (SELECT count(*) FILTER (WHERE mb.party_id IS NULL) AS only_a,
	               count(*) FILTER (WHERE ma.party_id IS NOT NULL AND mb.party_id IS NOT NULL) AS both_,
	               count(*) FILTER (WHERE ma.party_id IS NULL) AS only_b
	          FROM (SELECT m.party_id FROM @extschema@.segment_member m WHERE m.segment_id = a
	                   AND (sc.bank_wide OR sc.aggregate_only OR m.party_id = ANY (sc.parties))) ma
	          FULL JOIN (SELECT m.party_id FROM @extschema@.segment_member m WHERE m.segment_id = b
	                        AND (sc.bank_wide OR sc.aggregate_only OR m.party_id = ANY (sc.parties))) mb
	            ON mb.party_id = ma.party_id) o;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_overlap(bigint, bigint) IS 'Members only in segment a, in both, only in b, and the Jaccard index both / (only_a + both + only_b), NULL when both are empty; counted over what the caller may learn about, as segment_sizes';

-- cross-sell for a whole segment: recommend_products() for each current
-- member the caller may see (row-level security applies, as to the members)
CREATE FUNCTION @extschema@.segment_recommendations(segment_id bigint, n integer DEFAULT 3, model text DEFAULT NULL)
RETURNS TABLE (party_id bigint, rank integer, product_id integer, code text, name text, category text,
	lift numeric, support numeric, confidence numeric, because text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM @extschema@.segment s WHERE s.segment_id = segment_recommendations.segment_id) THEN
		RAISE EXCEPTION 'segment % does not exist', segment_recommendations.segment_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'The segments are listed in bankcrm.segment_sizes.';
	END IF;
	-- the members are read first and passed as a value: on Citus a function
	-- whose argument reads a distributed table would be sent to the shards
	RETURN QUERY EXECUTE
		'SELECT r.party_id, r.rank, r.product_id, r.code, r.name, r.category, r.lift, r.support, r.confidence, r.because
		   FROM @extschema@.recommend_products_batch($1, $2, $3) r'
	USING ARRAY(SELECT m.party_id FROM @extschema@.segment_member m
	             WHERE m.segment_id = segment_recommendations.segment_id),
	      segment_recommendations.n, segment_recommendations.model;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_recommendations(bigint, integer, text) IS
	'recommend_products() for every current member of a segment: up to n products per party, by party and rank';

-- privileges: staff and analysts read definitions and aggregates; admin,
-- managers and applications define and refresh segments; members are
-- party-scoped rows under row-level security
GRANT SELECT ON @extschema@.segment, @extschema@.segment_sizes
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT INSERT, UPDATE (name, kind, rule, params, description, owner_staff_id), DELETE ON @extschema@.segment
	TO bankcrm_manager, bankcrm_app;
GRANT SELECT ON @extschema@.party_features, @extschema@.segment_member, @extschema@.segment_history,
	@extschema@.segment_members
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT ALL ON @extschema@.party_features, @extschema@.segment, @extschema@.segment_member,
	@extschema@.segment_history, @extschema@.segment_members, @extschema@.segment_sizes TO bankcrm_admin;
GRANT ALL ON SEQUENCE @extschema@.segment_segment_id_seq TO bankcrm_admin;
GRANT USAGE ON SEQUENCE @extschema@.segment_segment_id_seq TO bankcrm_manager, bankcrm_app;

-- a preview lists parties: for the roles that read party_features
REVOKE ALL ON FUNCTION @extschema@.segment_preview(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.segment_preview(text) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.segment_caller_scope() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.segment_counts() FROM PUBLIC;
-- segment_sizes calls it as the reader: it counts what the reader may learn about
GRANT EXECUTE ON FUNCTION @extschema@.segment_counts() TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.segment_refresh(bigint), @extschema@.segment_refresh_all(),
	@extschema@.segment_overlap(bigint, bigint), @extschema@.segment_recommendations(bigint, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.segment_refresh(bigint), @extschema@.segment_refresh_all()
	TO bankcrm_admin, bankcrm_manager, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.segment_overlap(bigint, bigint)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.segment_recommendations(bigint, integer, text)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
-- src/sql/47_cluster.sql
-- clustering: behavioural segments by k-means over party_features
--
-- A cluster model is k centroids over d features, each feature one numeric
-- expression over party_features checked by the segment rule checker
-- (cluster_check_feature, src/cluster.c).  cluster_fit standardises the
-- features, seeds with greedy k-means++ on a sample ordered by a seeded hash
-- of party_id, moves the centroids with mini-batches of that sample, then
-- runs full passes of the kmeans_pass aggregate (one scan each, parallel
-- safe, merged across shards on Citus) until no centroid moves by more than
-- the tolerance.  cluster_assign makes one segment of kind cluster per
-- centroid; segment_refresh keeps them current as the data changes, and
-- campaigns, overlap and recommendations take them like any segment.

-- the arithmetic (src/cluster.c, src/kmeans.c)
CREATE FUNCTION @extschema@.cluster_check_feature(feature text)
	RETURNS boolean
	AS 'MODULE_PATHNAME'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cluster_check_feature(text) IS 'Returns true when the text is one numeric expression over party_features built from what segment rules may use; raises an error naming the offending element and its position otherwise';

CREATE FUNCTION @extschema@.kmeans_accum(state double precision[], centroids double precision[], x double precision[])
	RETURNS double precision[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_accum(double precision[], double precision[], double precision[]) IS 'Transition function of kmeans_pass';

CREATE FUNCTION @extschema@.kmeans_combine(a double precision[], b double precision[])
	RETURNS double precision[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_combine(double precision[], double precision[]) IS 'Combine function of kmeans_pass: the sums of two partial passes';

CREATE AGGREGATE @extschema@.kmeans_pass(centroids double precision[], x double precision[]) (
	SFUNC = @extschema@.kmeans_accum,
	STYPE = double precision[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.kmeans_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.kmeans_pass(double precision[], double precision[]) IS 'One k-means pass: for the centroids (k rows of d coordinates) and the points x (d coordinates each; a point with a NULL is skipped), the state {k, d, points, inertia, the count of each cluster, the coordinate sums of each cluster}; read it with kmeans_update, kmeans_inertia, kmeans_sizes and kmeans_points';

CREATE FUNCTION @extschema@.kmeans_update(state double precision[], centroids double precision[])
	RETURNS double precision[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_update(double precision[], double precision[]) IS 'The centroids moved to the means of their points in a kmeans_pass state; a centroid without points stays';

CREATE FUNCTION @extschema@.kmeans_shift(a double precision[], b double precision[])
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_shift(double precision[], double precision[]) IS 'The largest Euclidean distance between corresponding centroids of two centroid arrays';

CREATE FUNCTION @extschema@.kmeans_inertia(state double precision[])
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_inertia(double precision[]) IS 'Sum of squared distances of the points of a kmeans_pass to their nearest centroid; NULL for an empty pass';

CREATE FUNCTION @extschema@.kmeans_sizes(state double precision[])
	RETURNS bigint[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_sizes(double precision[]) IS 'Points nearest to each centroid in a kmeans_pass; NULL for an empty pass';

CREATE FUNCTION @extschema@.kmeans_points(state double precision[])
	RETURNS bigint
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_points(double precision[]) IS 'Points counted by a kmeans_pass (those without a NULL coordinate)';

CREATE FUNCTION @extschema@.kmeans_nearest(centroids double precision[], x double precision[])
	RETURNS integer
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_nearest(double precision[], double precision[]) IS 'The 1-based number of the centroid nearest to the point (the lowest on ties); NULL when the point has a NULL coordinate';

CREATE FUNCTION @extschema@.kmeans_start(points double precision[], k integer, seed bigint,
                                         batch_size integer, batches integer)
	RETURNS double precision[]
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_start(double precision[], integer, bigint, integer, integer) IS 'Starting centroids for a sample of points (n rows of d coordinates): greedy k-means++ from the seed, then the given number of mini-batches of batch_size points';

CREATE FUNCTION @extschema@.kmeans_silhouette(points double precision[], centroids double precision[])
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_silhouette(double precision[], double precision[]) IS 'Mean silhouette of the points labelled by their nearest centroid (-1 to 1, higher is better separated); NULL when fewer than two clusters have points; quadratic in the points';

-- cluster_model, cluster_centroid: the fitted models
CREATE TABLE @extschema@.cluster_model (
	name        text PRIMARY KEY CONSTRAINT cluster_model_name_check CHECK (btrim(name) <> ''),
	features    text[] NOT NULL,
	k           integer NOT NULL CONSTRAINT cluster_model_k_check CHECK (k BETWEEN 2 AND 100),
	seed        bigint NOT NULL,
	means       double precision[] NOT NULL,
	scales      double precision[] NOT NULL,
	centroids   double precision[] NOT NULL,
	points      bigint NOT NULL,
	passes      integer NOT NULL,
	converged   boolean NOT NULL,
	inertia     double precision NOT NULL,
	silhouette  double precision,
	silhouette_sample integer NOT NULL,
	fitted_at   timestamptz NOT NULL,
	CONSTRAINT cluster_model_shape_check CHECK (
		pg_catalog.cardinality(features) BETWEEN 1 AND 64
		AND pg_catalog.cardinality(means) = pg_catalog.cardinality(features)
		AND pg_catalog.cardinality(scales) = pg_catalog.cardinality(features)
		AND pg_catalog.array_ndims(centroids) = 2
		AND pg_catalog.array_length(centroids, 1) = k
		AND pg_catalog.array_length(centroids, 2) = pg_catalog.cardinality(features))
);
COMMENT ON TABLE @extschema@.cluster_model IS 'k-means models fitted by cluster_fit(): features, standardisation, centroids and the quality of the fit';
COMMENT ON COLUMN @extschema@.cluster_model.features IS 'Numeric expressions over party_features, checked by cluster_check_feature()';
COMMENT ON COLUMN @extschema@.cluster_model.seed IS 'Seed of the sample and of k-means++: the same data and seed give the same model';
COMMENT ON COLUMN @extschema@.cluster_model.means IS 'Mean of each feature over the parties that have every feature';
COMMENT ON COLUMN @extschema@.cluster_model.scales IS 'Population standard deviation of each feature (1 where it is 0); a point is (feature - mean) / scale';
COMMENT ON COLUMN @extschema@.cluster_model.centroids IS 'k rows of standardised coordinates, cluster 1 first';
COMMENT ON COLUMN @extschema@.cluster_model.points IS 'Parties with every feature not NULL, the points of the fit';
COMMENT ON COLUMN @extschema@.cluster_model.passes IS 'Full passes over the parties';
COMMENT ON COLUMN @extschema@.cluster_model.converged IS 'True when the last pass moved no centroid by more than the tolerance';
COMMENT ON COLUMN @extschema@.cluster_model.inertia IS 'Sum of squared standardised distances of the points to their centroid, in the last pass';
COMMENT ON COLUMN @extschema@.cluster_model.silhouette IS 'Mean silhouette on a sample of the points (-1 to 1); NULL when fewer than two clusters have points';
COMMENT ON COLUMN @extschema@.cluster_model.silhouette_sample IS 'Points in the silhouette sample';

CREATE TABLE @extschema@.cluster_centroid (
	model       text NOT NULL REFERENCES @extschema@.cluster_model ON DELETE CASCADE,
	cluster     integer NOT NULL,
	size        bigint NOT NULL,
	centroid    double precision[] NOT NULL,
	center      double precision[] NOT NULL,
	PRIMARY KEY (model, cluster)
);
COMMENT ON TABLE @extschema@.cluster_centroid IS 'One row per cluster of a model: its size at the fit and its centroid, standardised and in the features'' own units';
COMMENT ON COLUMN @extschema@.cluster_centroid.size IS 'Points nearest to this centroid in the last pass of the fit';
COMMENT ON COLUMN @extschema@.cluster_centroid.centroid IS 'Standardised coordinates';
COMMENT ON COLUMN @extschema@.cluster_centroid.center IS 'The centroid in the features'' own units: mean + coordinate * scale, the mean of the features of its points';

-- the text of the SELECT giving party_id and the raw value v1 .. vd of each
-- checked feature: the features are embedded the way rules are (each
-- checked first, each on lines of its own)
CREATE FUNCTION @extschema@.cluster_feature_query(features text[])
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	cols text := '';
	i integer;
BEGIN
	IF cardinality(features) NOT BETWEEN 1 AND 64 THEN
		RAISE EXCEPTION 'a cluster model needs 1 to 64 features, not %', cardinality(features)
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give an array of numeric expressions over party_features, for example ARRAY[''aum'', ''products_held''].';
	END IF;
	FOR i IN 1 .. cardinality(features) LOOP
		IF features[i] IS NULL THEN
			RAISE EXCEPTION 'cluster feature % is NULL', i
				USING ERRCODE = 'null_value_not_allowed';
		END IF;
		PERFORM @extschema@.cluster_check_feature(features[i]);
		cols := cols || format(E', (\n%s\n)::pg_catalog.float8 AS v%s', features[i], i);
	END LOOP;
	RETURN format('SELECT f.party_id%s FROM %I.party_features f', cols, '@extschema@');
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_feature_query(text[]) IS 'The SELECT of party_id and the value of each feature (v1, v2, ...) over party_features; every feature is checked first';

-- the standardised point of a row of cluster_feature_query, aliased x
CREATE FUNCTION @extschema@.cluster_point_expr(means double precision[], scales double precision[])
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT 'ARRAY[' || pg_catalog.string_agg(
	         pg_catalog.format('(x.v%s - %s::pg_catalog.float8) / %s::pg_catalog.float8', i, means[i], scales[i]),
	         ', ' ORDER BY i) || ']'
	  FROM pg_catalog.generate_subscripts(means, 1) i;
END;
COMMENT ON FUNCTION @extschema@.cluster_point_expr(double precision[], double precision[]) IS 'The expression of the standardised point, ARRAY[(x.v1 - mean) / scale, ...], for rows x of cluster_feature_query()';

-- one fit, nothing stored
CREATE FUNCTION @extschema@.cluster_compute(
	features text[], k integer, seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, batch_size integer DEFAULT 1024, batches integer DEFAULT 100,
	max_passes integer DEFAULT 20, tolerance double precision DEFAULT 1e-4,
	silhouette_sample integer DEFAULT 1000,
	OUT means double precision[], OUT scales double precision[], OUT centroids double precision[],
	OUT sizes bigint[], OUT points bigint, OUT passes integer, OUT converged boolean,
	OUT inertia double precision, OUT silhouette double precision, OUT silhouette_points integer)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	q text := @extschema@.cluster_feature_query(features);
	d integer := cardinality(features);
	all_present text;
	avgs text;
	sds text;
	pt text;
	sample double precision[];
	n_sample integer;
	state double precision[];
	nextc double precision[];
	sd double precision[];
BEGIN
	IF k IS NULL OR k NOT BETWEEN 2 AND 100 THEN
		RAISE EXCEPTION 'k must be between 2 and 100, not %', k
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'cluster_choose_k() reports the inertia and silhouette of k = 2 to 10.';
	END IF;
	IF seed IS NULL OR sample_size IS NULL OR sample_size < k OR batch_size IS NULL OR batch_size < 1
	   OR batches IS NULL OR batches < 0 OR max_passes IS NULL OR max_passes < 1
	   OR tolerance IS NULL OR NOT tolerance >= 0 OR silhouette_sample IS NULL OR silhouette_sample < 0 THEN
		RAISE EXCEPTION 'invalid fitting parameters'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = format('seed %s, sample_size %s, batch_size %s, batches %s, max_passes %s, tolerance %s, silhouette_sample %s.',
			                      seed, sample_size, batch_size, batches, max_passes, tolerance, silhouette_sample),
			      HINT = 'The sample holds at least k points, batch_size and max_passes are positive, batches, tolerance and silhouette_sample are not negative.';
	END IF;
	SELECT string_agg(format('x.v%s IS NOT NULL', i), ' AND ' ORDER BY i) INTO all_present
	  FROM generate_series(1, d) i;

	-- 1. standardisation: built-in aggregates, parallel and per shard
	SELECT string_agg(format('pg_catalog.avg(x.v%s)', i), ', ' ORDER BY i),
	       string_agg(format('pg_catalog.stddev_pop(x.v%s)', i), ', ' ORDER BY i)
	  INTO avgs, sds
	  FROM generate_series(1, d) i;
	EXECUTE format('SELECT pg_catalog.count(*), ARRAY[%s], ARRAY[%s] FROM (%s) x WHERE %s', avgs, sds, q, all_present)
	   INTO points, means, sd;
	IF points < k THEN
		RAISE EXCEPTION 'cannot find % clusters among % parties', k, points
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'Only parties with every feature not NULL are clustered.',
			      HINT = 'Choose a smaller k, or wrap a feature in COALESCE().';
	END IF;
	scales := ARRAY(SELECT CASE WHEN s > 0 THEN s ELSE 1 END FROM unnest(sd) WITH ORDINALITY u(s, o) ORDER BY o);
	pt := @extschema@.cluster_point_expr(means, scales);

	-- 2. the sample: the points with the lowest seeded hash of party_id
	EXECUTE format('SELECT pg_catalog.array_agg(s.p ORDER BY s.h, s.party_id) FROM '
	               '(SELECT x.party_id, pg_catalog.hashint8extended(x.party_id, $1) AS h, %s AS p '
	               '   FROM (%s) x WHERE %s ORDER BY 2, 1 LIMIT $2) s', pt, q, all_present)
	   INTO sample USING seed, sample_size;
	n_sample := array_length(sample, 1);

	-- 3. seeding and mini-batches on the sample (only when it exceeds a batch)
	centroids := @extschema@.kmeans_start(sample, k, seed, batch_size,
	                                      CASE WHEN n_sample > batch_size THEN batches ELSE 0 END);

	-- 4. full passes until no centroid moves more than the tolerance; the
	-- model keeps the centroids the last pass measured
	passes := 0;
	converged := false;
	LOOP
		EXECUTE format('SELECT @extschema@.kmeans_pass($1, %s) FROM (%s) x', pt, q)
		   INTO state USING centroids;
		passes := passes + 1;
		inertia := @extschema@.kmeans_inertia(state);
		sizes := @extschema@.kmeans_sizes(state);
		nextc := @extschema@.kmeans_update(state, centroids);
		IF @extschema@.kmeans_shift(nextc, centroids) <= tolerance THEN
			converged := true;
			EXIT;
		END IF;
		EXIT WHEN passes >= max_passes;
		centroids := nextc;
	END LOOP;

	-- 5. silhouette on the first points of the sample
	silhouette_points := LEAST(silhouette_sample, n_sample);
	IF silhouette_points >= 2 THEN
		silhouette := @extschema@.kmeans_silhouette(sample[1:silhouette_points][1:d], centroids);
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_compute(text[], integer, bigint, integer, integer, integer, integer, double precision, integer) IS 'One k-means fit over every party the caller may see, nothing stored: standardisation, the seeded sample, greedy k-means++ and mini-batches on it, full passes of kmeans_pass until no centroid moves by more than the tolerance, the silhouette on the first points of the sample';

-- fit and store a model
CREATE FUNCTION @extschema@.cluster_fit(
	name text, features text[], k integer, seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, batch_size integer DEFAULT 1024, batches integer DEFAULT 100,
	max_passes integer DEFAULT 20, tolerance double precision DEFAULT 1e-4,
	silhouette_sample integer DEFAULT 1000)
RETURNS TABLE (cluster integer, size bigint, center double precision[])
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
-- on Citus the model (reference tables) is written after the passes read
-- the shards: they read over one connection per worker (no effect without Citus)
SET citus.multi_shard_modify_mode = sequential
AS $$
DECLARE
	r record;
	d integer;
BEGIN
	IF name IS NULL OR btrim(name) = '' THEN
		RAISE EXCEPTION 'a cluster model needs a name'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT * INTO r FROM @extschema@.cluster_compute(features, k, seed, sample_size, batch_size, batches,
	                                                 max_passes, tolerance, silhouette_sample);
	d := cardinality(features);
	-- stamped first: on Citus the reference tables are written together
	DELETE FROM @extschema@.cluster_centroid c WHERE c.model = cluster_fit.name;
	INSERT INTO @extschema@.cluster_model AS m (name, features, k, seed, means, scales, centroids, points, passes,
	                                            converged, inertia, silhouette, silhouette_sample, fitted_at)
	VALUES (cluster_fit.name, features, k, seed, r.means, r.scales, r.centroids, r.points, r.passes,
	        r.converged, r.inertia, r.silhouette, r.silhouette_points, clock_timestamp())
	ON CONFLICT ON CONSTRAINT cluster_model_pkey DO UPDATE
	   SET features = EXCLUDED.features, k = EXCLUDED.k, seed = EXCLUDED.seed, means = EXCLUDED.means,
	       scales = EXCLUDED.scales, centroids = EXCLUDED.centroids, points = EXCLUDED.points,
	       passes = EXCLUDED.passes, converged = EXCLUDED.converged, inertia = EXCLUDED.inertia,
	       silhouette = EXCLUDED.silhouette, silhouette_sample = EXCLUDED.silhouette_sample,
	       fitted_at = EXCLUDED.fitted_at;
	INSERT INTO @extschema@.cluster_centroid (model, cluster, size, centroid, center)
	SELECT cluster_fit.name, i, r.sizes[i],
	       ARRAY(SELECT r.centroids[i][j] FROM generate_series(1, d) j ORDER BY j),
	       ARRAY(SELECT r.means[j] + r.centroids[i][j] * r.scales[j] FROM generate_series(1, d) j ORDER BY j)
	  FROM generate_series(1, k) i;
	RETURN QUERY SELECT c.cluster, c.size, c.center FROM @extschema@.cluster_centroid c
	              WHERE c.model = cluster_fit.name ORDER BY c.cluster;
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_fit(text, text[], integer, bigint, integer, integer, integer, integer, double precision, integer) IS 'Fits a k-means model over every party (row-level security does not narrow it) with cluster_compute() and stores it under the name, replacing a model of that name; returns each cluster''s size and center in the features'' own units';

-- k = 2 .. 10 (or the ks given), for choosing k
CREATE FUNCTION @extschema@.cluster_choose_k(
	features text[], ks integer[] DEFAULT ARRAY[2, 3, 4, 5, 6, 7, 8, 9, 10], seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, max_passes integer DEFAULT 10,
	silhouette_sample integer DEFAULT 1000)
RETURNS TABLE (k integer, inertia double precision, silhouette double precision, passes integer, converged boolean)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	kk integer;
	r record;
BEGIN
	IF ks IS NULL OR cardinality(ks) = 0 THEN
		RAISE EXCEPTION 'no k to try'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give an array of k from 2 to 100, or leave the default 2 to 10.';
	END IF;
	FOR kk IN SELECT DISTINCT u FROM unnest(ks) u ORDER BY 1 LOOP
		SELECT * INTO r FROM @extschema@.cluster_compute(features, kk, seed, sample_size,
		                                                 max_passes => max_passes,
		                                                 silhouette_sample => silhouette_sample);
		k := kk;
		inertia := r.inertia;
		silhouette := r.silhouette;
		passes := r.passes;
		converged := r.converged;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_choose_k(text[], integer[], bigint, integer, integer, integer) IS 'For each k (2 to 10 by default) a fit like cluster_fit() without storing it: the inertia (falls as k grows; look for the elbow) and the silhouette (higher is better)';

-- the members' query of a segment of kind cluster (segment_member_query)
CREATE FUNCTION @extschema@.cluster_member_query(params jsonb)
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	m @extschema@.cluster_model;
BEGIN
	SELECT * INTO m FROM @extschema@.cluster_model c WHERE c.name = params ->> 'cluster_model';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'cluster model "%" does not exist', params ->> 'cluster_model'
			USING ERRCODE = 'undefined_object',
			      HINT = 'Fit it with cluster_fit(); the models are listed in bankcrm.cluster_model.';
	END IF;
	RETURN format('SELECT x.party_id FROM (%s) x WHERE %I.kmeans_nearest(%L::pg_catalog.float8[], %s) = %s',
	              @extschema@.cluster_feature_query(m.features), '@extschema@', m.centroids,
	              @extschema@.cluster_point_expr(m.means, m.scales), (params ->> 'cluster')::integer);
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_member_query(jsonb) IS 'The SELECT listing the parties nearest to one centroid of a cluster model (params: cluster_model, cluster); parties with a NULL feature are in no cluster';

-- one segment of kind cluster per centroid, refreshed
CREATE FUNCTION @extschema@.cluster_assign(model text)
RETURNS TABLE (cluster integer, segment_id bigint, joined bigint, "left" bigint, total bigint)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
-- on Citus each new segment (a reference table) is written after the last
-- refresh read the shards (no effect without Citus)
SET citus.multi_shard_modify_mode = sequential
AS $$
DECLARE
	m @extschema@.cluster_model;
	i integer;
	sid bigint;
	r record;
BEGIN
	SELECT * INTO m FROM @extschema@.cluster_model c WHERE c.name = cluster_assign.model;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'cluster model "%" does not exist', cluster_assign.model
			USING ERRCODE = 'undefined_object',
			      HINT = 'Fit it with cluster_fit(); the models are listed in bankcrm.cluster_model.';
	END IF;
	FOR i IN 1 .. m.k LOOP
		SELECT s.segment_id INTO sid FROM @extschema@.segment s
		 WHERE s.kind = 'cluster' AND s.params = jsonb_build_object('cluster_model', m.name, 'cluster', i);
		IF NOT FOUND THEN
			INSERT INTO @extschema@.segment (name, kind, params, description)
			VALUES (format('%s: cluster %s', m.name, i), 'cluster',
			        jsonb_build_object('cluster_model', m.name, 'cluster', i),
			        format('Parties nearest to centroid %s of cluster model %s', i, m.name))
			RETURNING segment.segment_id INTO sid;
		END IF;
		SELECT * INTO r FROM @extschema@.segment_refresh(sid);
		cluster := i;
		segment_id := sid;
		joined := r.joined;
		"left" := r."left";
		total := r.total;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.cluster_assign(text) IS 'Puts every party into the segment of kind cluster of its nearest centroid (created as "<model>: cluster <i>" when missing) by segment_refresh(); returns the numbers joined, left and in each; call again, or refresh the segments, as the data changes';

-- profiles: each cluster's feature means, members, top products and value tiers
CREATE VIEW @extschema@.cluster_profiles AS
SELECT c.model,
       c.cluster,
       s.segment_id,
       c.size AS fitted_size,
       COALESCE(mc.members, 0) AS members,
       (SELECT pg_catalog.jsonb_object_agg(m.features[j], pg_catalog.round(c.center[j]::numeric, 2) ORDER BY j)
          FROM pg_catalog.generate_subscripts(m.features, 1) j) AS feature_means,
       tp.top_products,
       vt.value_tiers
  FROM @extschema@.cluster_centroid c
  JOIN @extschema@.cluster_model m ON m.name = c.model
  LEFT JOIN @extschema@.segment s ON s.kind = 'cluster'
        AND s.params = pg_catalog.jsonb_build_object('cluster_model', c.model, 'cluster', c.cluster)
  LEFT JOIN (SELECT sm.segment_id, pg_catalog.count(*) AS members
               FROM @extschema@.segment_member sm
              GROUP BY sm.segment_id) mc ON mc.segment_id = s.segment_id
  LEFT JOIN (SELECT r.segment_id, (pg_catalog.array_agg(r.code ORDER BY r.holders DESC, r.code))[1:3] AS top_products
               FROM (SELECT sm.segment_id, pr.code, pg_catalog.count(DISTINCT h.party_id) AS holders
                       FROM @extschema@.segment_member sm
                       JOIN @extschema@.holding h ON h.party_id = sm.party_id AND h.closed_on IS NULL
                       JOIN @extschema@.product pr ON pr.product_id = h.product_id
                      GROUP BY sm.segment_id, pr.code) r
              GROUP BY r.segment_id) tp ON tp.segment_id = s.segment_id
  LEFT JOIN (SELECT t.segment_id, pg_catalog.jsonb_object_agg(t.value_tier, t.n ORDER BY t.value_tier) AS value_tiers
               FROM (SELECT sm.segment_id, COALESCE(sc.value_tier, 'unscored') AS value_tier, pg_catalog.count(*) AS n
                       FROM @extschema@.segment_member sm
                       LEFT JOIN @extschema@.party_score sc ON sc.party_id = sm.party_id
                             AND sc.model = (SELECT dm.model FROM @extschema@.score_model dm WHERE dm.is_default)
                      GROUP BY 1, 2) t
              GROUP BY t.segment_id) vt ON vt.segment_id = s.segment_id;
COMMENT ON VIEW @extschema@.cluster_profiles IS 'Each cluster of each model: size at the fit, current members of its segment, the mean of each feature, the three products most members hold and the members by value tier (default score model); aggregates only';
COMMENT ON COLUMN @extschema@.cluster_profiles.segment_id IS 'The segment of kind cluster made by cluster_assign(); NULL before it ran';
COMMENT ON COLUMN @extschema@.cluster_profiles.fitted_size IS 'Points nearest to the centroid in the last pass of the fit';
COMMENT ON COLUMN @extschema@.cluster_profiles.members IS 'Current members of the cluster''s segment, as of its last refresh';
COMMENT ON COLUMN @extschema@.cluster_profiles.feature_means IS 'Feature expression to the mean of its values over the cluster''s points at the fit, rounded to 2 places';
COMMENT ON COLUMN @extschema@.cluster_profiles.top_products IS 'Codes of the three products held (open holdings) by the most members, most held first';
COMMENT ON COLUMN @extschema@.cluster_profiles.value_tiers IS 'Members by value tier under the default score model; unscored for members without a score';

-- privileges: analysts fit and read models (aggregates only); managers,
-- applications and admin also turn them into segments
GRANT SELECT ON @extschema@.cluster_model, @extschema@.cluster_centroid, @extschema@.cluster_profiles
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON @extschema@.cluster_model, @extschema@.cluster_centroid, @extschema@.cluster_profiles TO bankcrm_admin;
REVOKE ALL ON FUNCTION @extschema@.cluster_compute(text[], integer, bigint, integer, integer, integer, integer, double precision, integer),
	@extschema@.cluster_fit(text, text[], integer, bigint, integer, integer, integer, integer, double precision, integer),
	@extschema@.cluster_choose_k(text[], integer[], bigint, integer, integer, integer),
	@extschema@.cluster_assign(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.cluster_fit(text, text[], integer, bigint, integer, integer, integer, integer, double precision, integer),
	@extschema@.cluster_choose_k(text[], integer[], bigint, integer, integer, integer)
	TO bankcrm_admin, bankcrm_manager, bankcrm_analyst, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.cluster_assign(text) TO bankcrm_admin, bankcrm_manager, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.cluster_compute(text[], integer, bigint, integer, integer, integer, integer, double precision, integer)
	TO bankcrm_admin;
-- src/sql/50_fsm.sql
-- processes as state machines: the tables that define them, the C engine
-- (fsm.c) that compiles and follows them, the generic guard trigger for
-- state columns, the history of every transition, and the built-in
-- processes: outbound_sale, prospecting, fabe_pitch, campaign_lifecycle,
-- churn_alert and complaint

-- process definitions
CREATE TABLE @extschema@.process (
	process_name  text PRIMARY KEY
	              CONSTRAINT process_name_check CHECK (process_name ~ '^[a-z][a-z0-9_]{0,62}$'),
	description   text NOT NULL DEFAULT '',
	builtin       boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.process IS 'Business processes modelled as state machines; edit their states and transitions, the engine follows';
COMMENT ON COLUMN @extschema@.process.builtin IS 'Installed by the extension; inserting a row with the key of a built-in row replaces it (this is how pg_dump restores edited built-ins)';

CREATE TABLE @extschema@.process_state (
	process_name  text NOT NULL REFERENCES @extschema@.process ON UPDATE CASCADE ON DELETE CASCADE,
	state         text NOT NULL CONSTRAINT process_state_name_check CHECK (state ~ '^[a-z][a-z0-9_]{0,62}$'),
	description   text NOT NULL DEFAULT '',
	is_initial    boolean NOT NULL DEFAULT false,
	is_terminal   boolean NOT NULL DEFAULT false,
	outcome       text CONSTRAINT process_state_outcome_check CHECK (outcome IN ('won', 'lost')),
	stage_order   integer CONSTRAINT process_state_stage_order_check CHECK (stage_order > 0),
	daily_target  integer NOT NULL DEFAULT 0 CONSTRAINT process_state_daily_target_check CHECK (daily_target >= 0),
	builtin       boolean NOT NULL DEFAULT false,
	PRIMARY KEY (process_name, state),
	CONSTRAINT process_state_outcome_terminal_check CHECK (outcome IS NULL OR is_terminal)
);
COMMENT ON TABLE @extschema@.process_state IS 'States of a process: exactly one initial, at least one terminal; stages carry an order and a minimum daily activity target per person';
COMMENT ON COLUMN @extschema@.process_state.outcome IS 'For terminal states: won (a conversion) or lost; NULL for neutral ends';
COMMENT ON COLUMN @extschema@.process_state.stage_order IS 'Position of the state in the funnel; NULL for states that are not funnel stages (exits)';
COMMENT ON COLUMN @extschema@.process_state.daily_target IS 'Minimum number of events a person should fire per day on rows in this state';

CREATE TABLE @extschema@.process_transition (
	process_name  text NOT NULL,
	from_state    text NOT NULL,
	event         text NOT NULL CONSTRAINT process_transition_event_check CHECK (event ~ '^[a-z][a-z0-9_]{0,62}$'),
	to_state      text NOT NULL,
	roles_allowed name[],
	description   text NOT NULL DEFAULT '',
	builtin       boolean NOT NULL DEFAULT false,
	PRIMARY KEY (process_name, from_state, event),
	FOREIGN KEY (process_name, from_state) REFERENCES @extschema@.process_state ON UPDATE CASCADE ON DELETE CASCADE,
	FOREIGN KEY (process_name, to_state) REFERENCES @extschema@.process_state ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.process_transition IS 'Transitions of a process: in state from_state, event leads to to_state';
COMMENT ON COLUMN @extschema@.process_transition.roles_allowed IS 'Roles whose members may fire the event; NULL means anyone who may update the row';
CREATE INDEX process_transition_to_idx ON @extschema@.process_transition (process_name, to_state);

-- the history of every transition, on every guarded table
CREATE TABLE @extschema@.fsm_history (
	history_id    bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	process_name  text NOT NULL,
	entity        regclass NOT NULL,
	entity_id     bigint NOT NULL,
	event         text,
	from_state    text,
	to_state      text NOT NULL,
	staff_id      integer,
	actor         name NOT NULL,
	at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
	note          text
);
COMMENT ON TABLE @extschema@.fsm_history IS 'One row per transition of a guarded row (events fired and valid direct updates), written in the same transaction; append-only';
COMMENT ON COLUMN @extschema@.fsm_history.entity IS 'The table of the row';
COMMENT ON COLUMN @extschema@.fsm_history.entity_id IS 'Primary key of the row';
COMMENT ON COLUMN @extschema@.fsm_history.event IS 'The event fired; NULL for a direct update that more than one event explains';
COMMENT ON COLUMN @extschema@.fsm_history.staff_id IS 'The staff member the actor role acts as (staff.db_role), NULL for workers and administrators';
COMMENT ON COLUMN @extschema@.fsm_history.actor IS 'The database role that caused the transition';
CREATE INDEX fsm_history_entity_idx ON @extschema@.fsm_history (entity, entity_id, history_id);
CREATE INDEX fsm_history_staff_idx ON @extschema@.fsm_history (staff_id, at);

-- the engine
CREATE FUNCTION @extschema@.fsm_next(process text, state text, event text)
RETURNS text
AS 'MODULE_PATHNAME', 'fsm_next'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fsm_next(text, text, text) IS 'The state an event leads to from a state of a process; 55000 with the valid events if the event is not valid there';

CREATE FUNCTION @extschema@.fsm_events(process text, state text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'fsm_events'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fsm_events(text, text) IS 'The events valid in a state of a process, in name order';

CREATE FUNCTION @extschema@.fsm_problems(process text)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'fsm_problems'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION @extschema@.fsm_problems(text) IS 'What makes a process invalid, one sentence a row; no rows if it is valid';

CREATE FUNCTION @extschema@.fsm_validate(process text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'fsm_validate'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fsm_validate(text) IS 'True if the process is valid (one initial state, all states reachable, every state can end, terminal states final); else 42P17 with the reasons';

CREATE FUNCTION @extschema@.fsm_fire(entity regclass, id bigint, event text, note text DEFAULT NULL,
                                     at timestamptz DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'fsm_fire'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.fsm_fire(regclass, bigint, text, text, timestamptz) IS 'Fires an event on a row of a table with an fsm_guard trigger: locks it, moves its state, writes fsm_history; returns the new state';

CREATE FUNCTION @extschema@.fsm_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'fsm_guard'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.fsm_guard() IS 'Trigger fsm_guard(process, state_column): refuses states outside the process and direct updates that are no transition (23514); records valid direct updates';

CREATE FUNCTION @extschema@.fsm_cache_invalidate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'fsm_cache_invalidate'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.fsm_cache_invalidate() IS 'Statement trigger on the process tables: every backend drops its compiled processes';

CREATE FUNCTION @extschema@.fsm_process_check()
RETURNS trigger
AS 'MODULE_PATHNAME', 'fsm_process_check'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.fsm_process_check() IS 'Deferred constraint trigger on the process tables: a process must be valid at commit';

-- inserting the key of a built-in row replaces that row: a restore of
-- pg_dump output brings back edited built-ins over the freshly installed ones
CREATE FUNCTION @extschema@.process_builtin_replace()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	-- TG_ARGV[0] names the table; the row is updated in the relation the
	-- trigger fires on, which on Citus is the shard (each replica of the
	-- reference table), so that the trigger never queries another node
	IF TG_ARGV[0] = 'process' THEN
		EXECUTE format('UPDATE %I.%I t SET description = ($1).description, builtin = ($1).builtin '
		               'WHERE t.process_name = ($1).process_name AND t.builtin', TG_TABLE_SCHEMA, TG_TABLE_NAME)
		USING NEW;
	ELSIF TG_ARGV[0] = 'process_state' THEN
		EXECUTE format('UPDATE %I.%I t SET description = ($1).description, is_initial = ($1).is_initial, '
		               'is_terminal = ($1).is_terminal, outcome = ($1).outcome, stage_order = ($1).stage_order, '
		               'daily_target = ($1).daily_target, builtin = ($1).builtin '
		               'WHERE t.process_name = ($1).process_name AND t.state = ($1).state AND t.builtin',
		               TG_TABLE_SCHEMA, TG_TABLE_NAME)
		USING NEW;
	ELSE
		EXECUTE format('UPDATE %I.%I t SET to_state = ($1).to_state, roles_allowed = ($1).roles_allowed, '
		               'description = ($1).description, builtin = ($1).builtin '
		               'WHERE t.process_name = ($1).process_name AND t.from_state = ($1).from_state '
		               'AND t.event = ($1).event AND t.builtin', TG_TABLE_SCHEMA, TG_TABLE_NAME)
		USING NEW;
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.process_builtin_replace() IS 'Trigger: an INSERT with the key of a built-in process row updates that row instead';

-- history is append-only
CREATE FUNCTION @extschema@.fsm_history_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'process history is append-only'
		USING ERRCODE = 'prohibited_sql_statement_attempted',
		      DETAIL = format('%s on table %I.%I is not allowed.', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
		      HINT = 'Fire a new event to correct a state.';
END
$$;
COMMENT ON FUNCTION @extschema@.fsm_history_append_only() IS 'Refuses UPDATE, DELETE and TRUNCATE on fsm_history';
CREATE TRIGGER fsm_history_append_only BEFORE UPDATE OR DELETE ON @extschema@.fsm_history
	FOR EACH ROW EXECUTE FUNCTION @extschema@.fsm_history_append_only();
CREATE TRIGGER fsm_history_no_truncate BEFORE TRUNCATE ON @extschema@.fsm_history
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.fsm_history_append_only();

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['process', 'process_state', 'process_transition'] LOOP
		EXECUTE pg_catalog.format(
			'CREATE TRIGGER %I BEFORE INSERT ON %I.%I FOR EACH ROW EXECUTE FUNCTION %I.process_builtin_replace(%L)',
			t || '_builtin_replace', '@extschema@', t, '@extschema@', t);
		EXECUTE pg_catalog.format(
			'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I.%I '
			'FOR EACH STATEMENT EXECUTE FUNCTION %I.fsm_cache_invalidate()',
			t || '_cache_invalidate', '@extschema@', t, '@extschema@');
		EXECUTE pg_catalog.format(
			'CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I.%I '
			'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION %I.fsm_process_check()',
			t || '_check', '@extschema@', t, '@extschema@');
	END LOOP;
END
$$;

-- the built-in processes
INSERT INTO @extschema@.process (process_name, description, builtin) VALUES
	('outbound_sale', 'A complete outbound sale: review the customer and the product, call, send the brochure, follow up, meet, present, do the paperwork, thank', true),
	('prospecting', 'The prospecting funnel: select, first contact, persuade, follow up, close, cross-sell; each stage with a minimum daily target', true),
	('fabe_pitch', 'A FABE pitch: feature, advantage, benefit, evidence; an objection goes back one step', true),
	('campaign_lifecycle', 'A marketing campaign from draft to completion', true),
	('churn_alert', 'An early-warning alert from detection to resolution', true),
	('complaint', 'A customer complaint from receipt to closure', true);

INSERT INTO @extschema@.process_state
	(process_name, state, is_initial, is_terminal, outcome, stage_order, daily_target, description, builtin)
SELECT v.p, v.s, v.i, v.t, v.o, v.ord, v.tgt, v.d, true
  FROM (VALUES
	('outbound_sale', 'review_customer', true, false, NULL, 1, 30, 'Review the customer''s information'),
	('outbound_sale', 'review_product', false, false, NULL, 2, 30, 'Review the product''s information'),
	('outbound_sale', 'first_call', false, false, NULL, 3, 25, 'Make the first call'),
	('outbound_sale', 'brochure_sent', false, false, NULL, 4, 15, 'The product brochure was sent'),
	('outbound_sale', 'follow_up_call', false, false, NULL, 5, 20, 'Make the follow-up call'),
	('outbound_sale', 'appointment', false, false, NULL, 6, 5, 'A branch appointment or a visit is agreed'),
	('outbound_sale', 'presentation', false, false, NULL, 7, 4, 'Detailed product presentation'),
	('outbound_sale', 'paperwork', false, false, NULL, 8, 3, 'Paperwork'),
	('outbound_sale', 'won', false, true, 'won', 9, 0, 'Thank-you letter sent: the sale is made'),
	('outbound_sale', 'declined', false, true, 'lost', NULL, 0, 'The customer declined'),
	('outbound_sale', 'unreachable', false, true, 'lost', NULL, 0, 'The customer cannot be reached'),
	('outbound_sale', 'do_not_call', false, true, 'lost', NULL, 0, 'The customer asked not to be called'),
	('prospecting', 'select', true, false, NULL, 1, 30, 'Select the customer'),
	('prospecting', 'first_contact', false, false, NULL, 2, 20, 'First contact'),
	('prospecting', 'persuade', false, false, NULL, 3, 10, 'Persuade'),
	('prospecting', 'follow_up', false, false, NULL, 4, 10, 'Follow up'),
	('prospecting', 'close', false, false, NULL, 5, 3, 'Close the deal'),
	('prospecting', 'cross_sell', false, false, NULL, 6, 2, 'Introduce other services'),
	('prospecting', 'won', false, true, 'won', 7, 0, 'Customer won'),
	('prospecting', 'dropped', false, true, 'lost', NULL, 0, 'Prospect dropped'),
	('fabe_pitch', 'feature', true, false, NULL, 1, 0, 'Present the product''s features'),
	('fabe_pitch', 'advantage', false, false, NULL, 2, 0, 'Explain the advantages'),
	('fabe_pitch', 'benefit', false, false, NULL, 3, 0, 'Show the benefit to this customer'),
	('fabe_pitch', 'evidence', false, false, NULL, 4, 0, 'Give evidence: reports, media, other customers'' reviews'),
	('fabe_pitch', 'convinced', false, true, 'won', 5, 0, 'The customer is convinced'),
	('fabe_pitch', 'not_convinced', false, true, 'lost', NULL, 0, 'The customer is not convinced'),
	('campaign_lifecycle', 'draft', true, false, NULL, 1, 0, 'Being prepared'),
	('campaign_lifecycle', 'approved', false, false, NULL, 2, 0, 'Approved by a manager'),
	('campaign_lifecycle', 'active', false, false, NULL, 3, 0, 'Running'),
	('campaign_lifecycle', 'paused', false, false, NULL, NULL, 0, 'Paused'),
	('campaign_lifecycle', 'completed', false, true, NULL, 4, 0, 'Completed'),
	('campaign_lifecycle', 'cancelled', false, true, NULL, NULL, 0, 'Cancelled'),
	('churn_alert', 'open', true, false, NULL, 1, 0, 'Raised by the deviation scan'),
	('churn_alert', 'acknowledged', false, false, NULL, 2, 0, 'Seen by the task force'),
	('churn_alert', 'in_remediation', false, false, NULL, 3, 0, 'Remediation under way: service, marketing, fee cuts'),
	('churn_alert', 'resolved', false, true, 'won', 4, 0, 'The customer stayed'),
	('churn_alert', 'lost', false, true, 'lost', NULL, 0, 'The customer left'),
	('churn_alert', 'false_alarm', false, true, NULL, NULL, 0, 'Not a churn signal'),
	('complaint', 'received', true, false, NULL, 1, 0, 'Received'),
	('complaint', 'assigned', false, false, NULL, 2, 0, 'Assigned to a handler'),
	('complaint', 'investigating', false, false, NULL, 3, 0, 'Under investigation'),
	('complaint', 'responded', false, false, NULL, 4, 0, 'The customer got an answer'),
	('complaint', 'closed', false, true, 'won', 5, 0, 'Closed'),
	('complaint', 'escalated', false, true, 'lost', NULL, 0, 'Escalated beyond the branch')
  ) v(p, s, i, t, o, ord, tgt, d);

INSERT INTO @extschema@.process_transition (process_name, from_state, event, to_state, roles_allowed, builtin)
SELECT v.p, v.f, v.e, v.t, v.r::name[], true
  FROM (VALUES
	('outbound_sale', 'review_customer', 'customer_reviewed', 'review_product', NULL),
	('outbound_sale', 'review_customer', 'do_not_call', 'do_not_call', NULL),
	('outbound_sale', 'review_product', 'product_reviewed', 'first_call', NULL),
	('outbound_sale', 'review_product', 'do_not_call', 'do_not_call', NULL),
	('outbound_sale', 'first_call', 'call_answered', 'first_call', NULL),
	('outbound_sale', 'first_call', 'no_answer', 'first_call', NULL),
	('outbound_sale', 'first_call', 'busy', 'first_call', NULL),
	('outbound_sale', 'first_call', 'congestion', 'first_call', NULL),
	('outbound_sale', 'first_call', 'failed', 'first_call', NULL),
	('outbound_sale', 'first_call', 'invalid_number', 'unreachable', NULL),
	('outbound_sale', 'first_call', 'do_not_call', 'do_not_call', NULL),
	('outbound_sale', 'first_call', 'send_brochure', 'brochure_sent', NULL),
	('outbound_sale', 'first_call', 'book_appointment', 'appointment', NULL),
	('outbound_sale', 'first_call', 'decline', 'declined', NULL),
	('outbound_sale', 'first_call', 'give_up', 'unreachable', NULL),
	('outbound_sale', 'brochure_sent', 'schedule_follow_up', 'follow_up_call', NULL),
	('outbound_sale', 'brochure_sent', 'decline', 'declined', NULL),
	('outbound_sale', 'brochure_sent', 'do_not_call', 'do_not_call', NULL),
	('outbound_sale', 'follow_up_call', 'call_answered', 'follow_up_call', NULL),
	('outbound_sale', 'follow_up_call', 'no_answer', 'follow_up_call', NULL),
	('outbound_sale', 'follow_up_call', 'busy', 'follow_up_call', NULL),
	('outbound_sale', 'follow_up_call', 'congestion', 'follow_up_call', NULL),
	('outbound_sale', 'follow_up_call', 'failed', 'follow_up_call', NULL),
	('outbound_sale', 'follow_up_call', 'invalid_number', 'unreachable', NULL),
	('outbound_sale', 'follow_up_call', 'do_not_call', 'do_not_call', NULL),
	('outbound_sale', 'follow_up_call', 'resend_brochure', 'brochure_sent', NULL),
	('outbound_sale', 'follow_up_call', 'book_appointment', 'appointment', NULL),
	('outbound_sale', 'follow_up_call', 'decline', 'declined', NULL),
	('outbound_sale', 'follow_up_call', 'give_up', 'unreachable', NULL),
	('outbound_sale', 'appointment', 'reschedule', 'appointment', NULL),
	('outbound_sale', 'appointment', 'meet', 'presentation', NULL),
	('outbound_sale', 'appointment', 'no_show', 'follow_up_call', NULL),
	('outbound_sale', 'appointment', 'decline', 'declined', NULL),
	('outbound_sale', 'presentation', 'agree', 'paperwork', NULL),
	('outbound_sale', 'presentation', 'need_time', 'follow_up_call', NULL),
	('outbound_sale', 'presentation', 'decline', 'declined', NULL),
	('outbound_sale', 'paperwork', 'send_thank_you', 'won', NULL),
	('outbound_sale', 'paperwork', 'decline', 'declined', NULL),
	('prospecting', 'select', 'contact', 'first_contact', NULL),
	('prospecting', 'select', 'drop', 'dropped', NULL),
	('prospecting', 'first_contact', 'retry', 'first_contact', NULL),
	('prospecting', 'first_contact', 'interested', 'persuade', NULL),
	('prospecting', 'first_contact', 'drop', 'dropped', NULL),
	('prospecting', 'persuade', 'persuaded', 'follow_up', NULL),
	('prospecting', 'persuade', 'drop', 'dropped', NULL),
	('prospecting', 'follow_up', 'retry', 'follow_up', NULL),
	('prospecting', 'follow_up', 'ready', 'close', NULL),
	('prospecting', 'follow_up', 'drop', 'dropped', NULL),
	('prospecting', 'close', 'closed', 'cross_sell', NULL),
	('prospecting', 'close', 'back_to_follow_up', 'follow_up', NULL),
	('prospecting', 'close', 'drop', 'dropped', NULL),
	('prospecting', 'cross_sell', 'introduced', 'won', NULL),
	('prospecting', 'cross_sell', 'no_further_need', 'won', NULL),
	('fabe_pitch', 'feature', 'explain_advantage', 'advantage', NULL),
	('fabe_pitch', 'feature', 'reject', 'not_convinced', NULL),
	('fabe_pitch', 'advantage', 'show_benefit', 'benefit', NULL),
	('fabe_pitch', 'advantage', 'objection', 'feature', NULL),
	('fabe_pitch', 'advantage', 'reject', 'not_convinced', NULL),
	('fabe_pitch', 'benefit', 'give_evidence', 'evidence', NULL),
	('fabe_pitch', 'benefit', 'objection', 'advantage', NULL),
	('fabe_pitch', 'benefit', 'reject', 'not_convinced', NULL),
	('fabe_pitch', 'evidence', 'agree', 'convinced', NULL),
	('fabe_pitch', 'evidence', 'objection', 'benefit', NULL),
	('fabe_pitch', 'evidence', 'reject', 'not_convinced', NULL),
	('campaign_lifecycle', 'draft', 'approve', 'approved', '{bankcrm_manager,bankcrm_admin}'),
	('campaign_lifecycle', 'draft', 'cancel', 'cancelled', NULL),
	('campaign_lifecycle', 'approved', 'launch', 'active', NULL),
	('campaign_lifecycle', 'approved', 'revise', 'draft', NULL),
	('campaign_lifecycle', 'approved', 'cancel', 'cancelled', NULL),
	('campaign_lifecycle', 'active', 'pause', 'paused', NULL),
	('campaign_lifecycle', 'active', 'complete', 'completed', NULL),
	('campaign_lifecycle', 'active', 'cancel', 'cancelled', NULL),
	('campaign_lifecycle', 'paused', 'resume', 'active', NULL),
	('campaign_lifecycle', 'paused', 'complete', 'completed', NULL),
	('campaign_lifecycle', 'paused', 'cancel', 'cancelled', NULL),
	('churn_alert', 'open', 'acknowledge', 'acknowledged', NULL),
	('churn_alert', 'open', 'start_remediation', 'in_remediation', NULL),
	('churn_alert', 'open', 'dismiss', 'false_alarm', NULL),
	('churn_alert', 'open', 'lose', 'lost', NULL),
	('churn_alert', 'acknowledged', 'start_remediation', 'in_remediation', NULL),
	('churn_alert', 'acknowledged', 'dismiss', 'false_alarm', NULL),
	('churn_alert', 'acknowledged', 'resolve', 'resolved', NULL),
	('churn_alert', 'acknowledged', 'lose', 'lost', NULL),
	('churn_alert', 'in_remediation', 'resolve', 'resolved', NULL),
	('churn_alert', 'in_remediation', 'lose', 'lost', NULL),
	('complaint', 'received', 'assign', 'assigned', NULL),
	('complaint', 'received', 'escalate', 'escalated', NULL),
	('complaint', 'assigned', 'investigate', 'investigating', NULL),
	('complaint', 'assigned', 'escalate', 'escalated', NULL),
	('complaint', 'investigating', 'respond', 'responded', NULL),
	('complaint', 'investigating', 'escalate', 'escalated', NULL),
	('complaint', 'responded', 'close', 'closed', NULL),
	('complaint', 'responded', 'reopen', 'investigating', NULL),
	('complaint', 'responded', 'escalate', 'escalated', NULL)
  ) v(p, f, e, t, r);

-- complaints move only along their process
CREATE TRIGGER complaint_state_guard BEFORE INSERT OR UPDATE OF state ON @extschema@.complaint
	FOR EACH ROW EXECUTE FUNCTION @extschema@.fsm_guard('complaint', 'state');

-- privileges: process definitions are reference data; history is read through RLS
GRANT SELECT ON @extschema@.process, @extschema@.process_state, @extschema@.process_transition
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON @extschema@.process, @extschema@.process_state, @extschema@.process_transition,
	@extschema@.fsm_history TO bankcrm_admin;
GRANT SELECT ON @extschema@.fsm_history TO bankcrm_manager, bankcrm_rm, bankcrm_app;

ALTER TABLE @extschema@.fsm_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY fsm_history_all ON @extschema@.fsm_history FOR ALL TO bankcrm_admin, bankcrm_app
	USING (true) WITH CHECK (true);
CREATE POLICY fsm_history_own ON @extschema@.fsm_history FOR SELECT TO bankcrm_manager, bankcrm_rm
	USING (staff_id OPERATOR(pg_catalog.=) @extschema@.current_staff_id());
CREATE POLICY fsm_history_complaint ON @extschema@.fsm_history FOR SELECT TO bankcrm_manager, bankcrm_rm
	USING (entity OPERATOR(pg_catalog.=) '@extschema@.complaint'::regclass
	       AND @extschema@.history_visible(entity, entity_id));
-- src/sql/55_campaign.sql
-- campaigns and leads: who sells what to whom, through which process;
-- lead generation from segments, assignment, events, contacts, the RM's
-- agenda and care contacts

CREATE TABLE @extschema@.campaign (
	campaign_id       bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name              text NOT NULL UNIQUE CONSTRAINT campaign_name_check CHECK (btrim(name) <> ''),
	product_id        integer NOT NULL REFERENCES @extschema@.product,
	target_segment_id bigint REFERENCES @extschema@.segment,
	process_name      text NOT NULL DEFAULT 'outbound_sale' REFERENCES @extschema@.process ON UPDATE CASCADE,
	state             text NOT NULL DEFAULT 'draft',
	state_changed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
	starts_on         date,
	ends_on           date,
	owner_staff_id    integer REFERENCES @extschema@.staff,
	daily_target      integer NOT NULL DEFAULT 0 CONSTRAINT campaign_daily_target_check CHECK (daily_target >= 0),
	budget            numeric(14, 2) NOT NULL DEFAULT 0 CONSTRAINT campaign_budget_check CHECK (budget >= 0),
	cost_per_contact  numeric(10, 2) NOT NULL DEFAULT 0 CONSTRAINT campaign_cost_per_contact_check CHECK (cost_per_contact >= 0),
	description       text,
	created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT campaign_schedule_check CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);
COMMENT ON TABLE @extschema@.campaign IS 'Marketing campaigns: a product sold to a target segment through a process, on a schedule, with an owner, daily targets and a budget';
COMMENT ON COLUMN @extschema@.campaign.process_name IS 'The process its leads follow (outbound_sale by default)';
COMMENT ON COLUMN @extschema@.campaign.state IS 'Where the campaign is in process campaign_lifecycle; changes through fsm_fire';
COMMENT ON COLUMN @extschema@.campaign.daily_target IS 'Contacts each assigned person should make per day';
COMMENT ON COLUMN @extschema@.campaign.budget IS 'Budget, CNY';
COMMENT ON COLUMN @extschema@.campaign.cost_per_contact IS 'Cost of one contact, CNY; the campaign''s cost is contacts times this';
CREATE INDEX campaign_product_idx ON @extschema@.campaign (product_id);
CREATE TRIGGER campaign_state_guard BEFORE INSERT OR UPDATE OF state ON @extschema@.campaign
	FOR EACH ROW EXECUTE FUNCTION @extschema@.fsm_guard('campaign_lifecycle', 'state');

CREATE TABLE @extschema@.campaign_team (
	campaign_id  bigint NOT NULL REFERENCES @extschema@.campaign ON DELETE CASCADE,
	team_id      integer NOT NULL REFERENCES @extschema@.team,
	PRIMARY KEY (campaign_id, team_id)
);
COMMENT ON TABLE @extschema@.campaign_team IS 'The teams that work a campaign: round_robin and least_loaded assign to their members';
CREATE INDEX campaign_team_team_idx ON @extschema@.campaign_team (team_id);

CREATE TABLE @extschema@.lead (
	lead_id           bigint GENERATED BY DEFAULT AS IDENTITY,
	campaign_id       bigint NOT NULL REFERENCES @extschema@.campaign ON DELETE CASCADE,
	party_id          bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	process_name      text NOT NULL REFERENCES @extschema@.process ON UPDATE CASCADE,
	state             text NOT NULL,
	state_changed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
	assigned_to       integer REFERENCES @extschema@.staff,
	assigned_at       timestamptz,
	priority          integer NOT NULL DEFAULT 0,
	fabe_step         text CONSTRAINT lead_fabe_step_check CHECK (fabe_step IN ('feature', 'advantage', 'benefit', 'evidence', 'convinced')),
	next_follow_up    timestamptz,
	last_contact_at   timestamptz,
	created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT lead_campaign_party_key UNIQUE (campaign_id, party_id),
	PRIMARY KEY (lead_id, party_id),
	CONSTRAINT lead_assigned_check CHECK ((assigned_to IS NULL) = (assigned_at IS NULL))
);
COMMENT ON TABLE @extschema@.lead IS 'A party to sell to in a campaign: its state in the campaign''s process, who works it, the FABE step reached and the next follow-up';
COMMENT ON COLUMN @extschema@.lead.process_name IS 'The campaign''s process when the lead was created';
COMMENT ON COLUMN @extschema@.lead.state IS 'State in the process; changes through lead_fire (or direct updates that are valid transitions)';
COMMENT ON COLUMN @extschema@.lead.state_changed_at IS 'When the lead entered its state';
COMMENT ON COLUMN @extschema@.lead.priority IS 'Higher is assigned first';
COMMENT ON COLUMN @extschema@.lead.fabe_step IS 'Furthest FABE step reached in the pitch';
CREATE INDEX lead_campaign_state_idx ON @extschema@.lead (campaign_id, state);
CREATE INDEX lead_assigned_idx ON @extschema@.lead (assigned_to, state);
CREATE INDEX lead_party_idx ON @extschema@.lead (party_id);
CREATE INDEX lead_follow_up_idx ON @extschema@.lead (assigned_to, next_follow_up) WHERE next_follow_up IS NOT NULL;
CREATE TRIGGER lead_state_guard BEFORE INSERT OR UPDATE OF state ON @extschema@.lead
	FOR EACH ROW EXECUTE FUNCTION @extschema@.fsm_guard('@process_name', 'state');

-- contacts and appointments point at campaigns and leads
ALTER TABLE @extschema@.contact ADD CONSTRAINT contact_campaign_fk
	FOREIGN KEY (campaign_id) REFERENCES @extschema@.campaign;
-- (a lead and its contacts are the same party's rows: the keys say so)
ALTER TABLE @extschema@.contact ADD CONSTRAINT contact_lead_fk
	FOREIGN KEY (lead_id, party_id) REFERENCES @extschema@.lead (lead_id, party_id);
ALTER TABLE @extschema@.appointment ADD CONSTRAINT appointment_lead_fk
	FOREIGN KEY (lead_id, party_id) REFERENCES @extschema@.lead (lead_id, party_id);
CREATE INDEX contact_campaign_idx ON @extschema@.contact (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX contact_lead_idx ON @extschema@.contact (lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX appointment_lead_idx ON @extschema@.appointment (lead_id) WHERE lead_id IS NOT NULL;

-- holidays for care contacts (greetings); birthdays come from party.birth_date
CREATE TABLE @extschema@.care_occasion (
	occasion_date  date NOT NULL,
	name           text NOT NULL,
	builtin        boolean NOT NULL DEFAULT false,
	PRIMARY KEY (occasion_date, name)
);
COMMENT ON TABLE @extschema@.care_occasion IS 'Holidays on which relationship managers send greetings (care contacts); add the bank''s own';
INSERT INTO @extschema@.care_occasion (occasion_date, name, builtin)
SELECT v.d::date, v.n, true
  FROM (VALUES
	('2025-01-01', 'New Year''s Day'), ('2025-01-29', 'Spring Festival'), ('2025-05-31', 'Dragon Boat Festival'),
	('2025-10-01', 'National Day'), ('2025-10-06', 'Mid-Autumn Festival'),
	('2026-01-01', 'New Year''s Day'), ('2026-02-17', 'Spring Festival'), ('2026-06-19', 'Dragon Boat Festival'),
	('2026-09-25', 'Mid-Autumn Festival'), ('2026-10-01', 'National Day'),
	('2027-01-01', 'New Year''s Day'), ('2027-02-06', 'Spring Festival'), ('2027-06-09', 'Dragon Boat Festival'),
	('2027-09-15', 'Mid-Autumn Festival'), ('2027-10-01', 'National Day')
  ) v(d, n);

-- inserting the key of a built-in holiday replaces it (pg_dump restores)
CREATE FUNCTION @extschema@.care_occasion_builtin_replace()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	-- the relation the trigger fires on: on Citus, each replica's shard
	EXECUTE format('UPDATE %I.%I t SET builtin = ($1).builtin '
	               'WHERE t.occasion_date = ($1).occasion_date AND t.name = ($1).name AND t.builtin',
	               TG_TABLE_SCHEMA, TG_TABLE_NAME)
	USING NEW;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.care_occasion_builtin_replace() IS 'Trigger: an INSERT with the key of a built-in holiday updates that row instead';
CREATE TRIGGER care_occasion_builtin_replace BEFORE INSERT ON @extschema@.care_occasion
	FOR EACH ROW EXECUTE FUNCTION @extschema@.care_occasion_builtin_replace();

-- whose leads the current role sees: its own; a team lead its team's; a
-- branch manager its branch's
CREATE FUNCTION @extschema@.visible_staff_ids()
RETURNS SETOF integer
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- PL/pgSQL, not SQL: Citus cannot plan this SQL function on a worker
AS $$
BEGIN
	RETURN QUERY
	SELECT s.staff_id
	  FROM @extschema@.staff s
	  JOIN @extschema@.staff me ON me.db_role = CURRENT_USER AND me.active
	 WHERE s.staff_id = me.staff_id
	    OR (me.role_kind = 'team_lead' AND s.team_id = me.team_id)
	    OR (me.role_kind = 'branch_manager' AND s.branch_id = me.branch_id);
END
$$;
COMMENT ON FUNCTION @extschema@.visible_staff_ids() IS 'Staff whose leads the current role sees: itself, its team (team leads), its branch (branch managers)';

-- lead generation
CREATE FUNCTION @extschema@.campaign_generate_leads(campaign_id bigint)
RETURNS TABLE (reason text, parties bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	c record;
	initial text;
BEGIN
	-- lock the campaign: concurrent calls serialize, so a party is never added twice
	SELECT k.campaign_id, k.product_id, k.target_segment_id, k.process_name, k.state, ps.is_terminal
	  INTO c
	  FROM @extschema@.campaign k
	  JOIN @extschema@.process_state ps ON ps.process_name = 'campaign_lifecycle' AND ps.state = k.state
	 WHERE k.campaign_id = campaign_generate_leads.campaign_id
	   FOR NO KEY UPDATE OF k;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign % does not exist', campaign_generate_leads.campaign_id
			USING ERRCODE = 'no_data_found';
	END IF;
	IF c.is_terminal THEN
		RAISE EXCEPTION 'campaign % is %', c.campaign_id, c.state
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'Leads are generated only for campaigns that are not over.';
	END IF;
	IF c.target_segment_id IS NULL THEN
		RAISE EXCEPTION 'campaign % has no target segment', c.campaign_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Set campaign.target_segment_id to the segment whose members are to be called.';
	END IF;
	SELECT ps.state INTO initial
	  FROM @extschema@.process_state ps
	 WHERE ps.process_name = c.process_name AND ps.is_initial;

	-- the counts first, then the leads: two plain statements over co-located
	-- tables, so that on Citus each runs in the shards
	RETURN QUERY
	SELECT r.reason, COALESCE(k.n, 0)::bigint
	  FROM pg_catalog.unnest(ARRAY['created', 'already_lead', 'closed', 'do_not_contact', 'no_consent',
	                               'holds_product', 'other_campaign']) WITH ORDINALITY r(reason, ord)
	  LEFT JOIN (
		SELECT CASE
		         WHEN EXISTS (SELECT 1 FROM @extschema@.lead l
		                       WHERE l.campaign_id = c.campaign_id AND l.party_id = m.party_id) THEN 'already_lead'
		         WHEN p.status = 'closed' THEN 'closed'
		         WHEN p.do_not_contact THEN 'do_not_contact'
		         WHEN NOT p.consent_marketing THEN 'no_consent'
		         WHEN EXISTS (SELECT 1 FROM @extschema@.holding h
		                       WHERE h.party_id = m.party_id AND h.product_id = c.product_id
		                         AND h.closed_on IS NULL) THEN 'holds_product'
		         WHEN EXISTS (SELECT 1 FROM @extschema@.lead l
		                        JOIN @extschema@.campaign o ON o.campaign_id = l.campaign_id
		                       WHERE l.party_id = m.party_id AND o.product_id = c.product_id
		                         AND o.campaign_id <> c.campaign_id
		                         AND o.state IN ('approved', 'active', 'paused')) THEN 'other_campaign'
		         ELSE 'created'
		       END AS reason,
		       pg_catalog.count(*) AS n
		  FROM @extschema@.segment_member m
		  JOIN @extschema@.party p ON p.party_id = m.party_id
		 WHERE m.segment_id = c.target_segment_id
		 GROUP BY 1) k ON k.reason = r.reason
	 ORDER BY r.ord;

	INSERT INTO @extschema@.lead (campaign_id, party_id, process_name, state)
	SELECT c.campaign_id, m.party_id, c.process_name, initial
	  FROM @extschema@.segment_member m
	  JOIN @extschema@.party p ON p.party_id = m.party_id
	 WHERE m.segment_id = c.target_segment_id
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.lead l
	                    WHERE l.campaign_id = c.campaign_id AND l.party_id = m.party_id)
	   AND p.status IS DISTINCT FROM 'closed'
	   AND NOT p.do_not_contact IS TRUE
	   AND NOT (NOT p.consent_marketing) IS TRUE
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.holding h
	                    WHERE h.party_id = m.party_id AND h.product_id = c.product_id
	                      AND h.closed_on IS NULL)
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.lead l
	                     JOIN @extschema@.campaign o ON o.campaign_id = l.campaign_id
	                    WHERE l.party_id = m.party_id AND o.product_id = c.product_id
	                      AND o.campaign_id <> c.campaign_id
	                      AND o.state IN ('approved', 'active', 'paused'))
	 ORDER BY m.party_id;
END
$$;
COMMENT ON FUNCTION @extschema@.campaign_generate_leads(bigint) IS 'Creates leads from the members of the campaign''s target segment, skipping closed, do-not-contact and no-consent parties, holders of the product and parties in another running campaign for it; idempotent; returns counts per reason';

-- assignment
CREATE FUNCTION @extschema@.campaign_assign(campaign_id bigint, strategy text DEFAULT 'primary_rm')
RETURNS TABLE (staff_id integer, leads integer)
AS 'MODULE_PATHNAME', 'campaign_assign'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.campaign_assign(bigint, text) IS 'Assigns the campaign''s unassigned open leads by strategy primary_rm, round_robin or least_loaded within each person''s daily capacity; one row per person, and a NULL row for leads left unassigned';

CREATE FUNCTION @extschema@.lead_reassign(lead_id bigint, staff_id integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	me record;
	target record;
	l record;
	cur record;
	pid bigint;
BEGIN
	SELECT s.staff_id, s.role_kind, s.team_id, s.branch_id INTO me
	  FROM @extschema@.staff s WHERE s.db_role = CURRENT_USER AND s.active;
	SELECT s.staff_id, s.team_id, s.branch_id, s.active INTO target
	  FROM @extschema@.staff s WHERE s.staff_id = lead_reassign.staff_id;
	IF NOT FOUND OR NOT target.active THEN
		RAISE EXCEPTION 'staff % does not exist or is not active', lead_reassign.staff_id
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the lead's party first: the lock is then a single-shard query on Citus
	SELECT x.party_id INTO pid FROM @extschema@.lead x WHERE x.lead_id = lead_reassign.lead_id;
	SELECT x.lead_id, x.party_id, x.assigned_to INTO l
	  FROM @extschema@.lead x
	 WHERE x.party_id = pid AND x.lead_id = lead_reassign.lead_id
	   FOR NO KEY UPDATE OF x;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'lead % does not exist', lead_reassign.lead_id
			USING ERRCODE = 'no_data_found',
			      DETAIL = 'It may also be hidden from the current role by row-level security.';
	END IF;
	SELECT a.team_id, a.branch_id INTO cur FROM @extschema@.staff a WHERE a.staff_id = l.assigned_to;
	IF me.staff_id IS NOT NULL THEN
		IF me.role_kind = 'team_lead' THEN
			IF target.team_id IS DISTINCT FROM me.team_id OR (l.assigned_to IS NOT NULL AND cur.team_id IS DISTINCT FROM me.team_id) THEN
				RAISE EXCEPTION 'permission denied to reassign lead % to staff %', l.lead_id, target.staff_id
					USING ERRCODE = 'insufficient_privilege',
					      DETAIL = 'A team lead reassigns leads within its own team only.';
			END IF;
		ELSIF me.role_kind = 'branch_manager' THEN
			IF target.branch_id IS DISTINCT FROM me.branch_id OR (l.assigned_to IS NOT NULL AND cur.branch_id IS DISTINCT FROM me.branch_id) THEN
				RAISE EXCEPTION 'permission denied to reassign lead % to staff %', l.lead_id, target.staff_id
					USING ERRCODE = 'insufficient_privilege',
					      DETAIL = 'A branch manager reassigns leads within its own branch only.';
			END IF;
		ELSE
			RAISE EXCEPTION 'permission denied to reassign lead %', l.lead_id
				USING ERRCODE = 'insufficient_privilege',
				      DETAIL = 'Only team leads and branch managers reassign leads.';
		END IF;
	END IF;
	UPDATE @extschema@.lead x
	   SET assigned_to = target.staff_id, assigned_at = pg_catalog.now()
	 WHERE x.party_id = l.party_id AND x.lead_id = l.lead_id;
	RETURN l.assigned_to;
END
$$;
COMMENT ON FUNCTION @extschema@.lead_reassign(bigint, integer) IS 'Gives a lead to another person: team leads within their team, branch managers within their branch; returns the previous assignee';

-- events and contacts
CREATE FUNCTION @extschema@.lead_fire(lead_id bigint, event text, note text DEFAULT NULL, at timestamptz DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'lead_fire'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.lead_fire(bigint, text, text, timestamptz) IS 'Fires an event on a lead: locks it, moves its state along its process, writes the history row; returns the new state';

CREATE FUNCTION @extschema@.log_contact(lead_id bigint, channel text, outcome text, event text DEFAULT NULL,
                                        fabe_step text DEFAULT NULL, next_follow_up timestamptz DEFAULT NULL,
                                        note text DEFAULT NULL, occurred_at timestamptz DEFAULT NULL,
                                        duration_s integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	l record;
	at timestamptz := COALESCE(log_contact.occurred_at, pg_catalog.now());
	backdate boolean;
	id bigint;
BEGIN
	SELECT x.lead_id, x.party_id, x.campaign_id, x.assigned_to, x.fabe_step, k.product_id INTO l
	  FROM @extschema@.lead x
	  JOIN @extschema@.campaign k ON k.campaign_id = x.campaign_id
	 WHERE x.lead_id = log_contact.lead_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'lead % does not exist', log_contact.lead_id
			USING ERRCODE = 'no_data_found',
			      DETAIL = 'It may also be hidden from the current role by row-level security.';
	END IF;
	IF log_contact.event IS NOT NULL THEN
		backdate := log_contact.occurred_at IS NOT NULL
		            AND (pg_catalog.pg_has_role('bankcrm_admin', 'USAGE')
		                 OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER));
		PERFORM @extschema@.lead_fire(l.lead_id, log_contact.event, log_contact.note,
		                              CASE WHEN backdate THEN log_contact.occurred_at END);
	END IF;
	UPDATE @extschema@.lead x
	   SET last_contact_at = at,
	       next_follow_up = log_contact.next_follow_up,
	       fabe_step = CASE
	         WHEN pg_catalog.array_position('{feature,advantage,benefit,evidence,convinced}'::text[], log_contact.fabe_step)
	              > COALESCE(pg_catalog.array_position('{feature,advantage,benefit,evidence,convinced}'::text[], x.fabe_step), 0)
	         THEN log_contact.fabe_step ELSE x.fabe_step END
	 WHERE x.party_id = l.party_id AND x.lead_id = l.lead_id;
	INSERT INTO @extschema@.contact (party_id, staff_id, channel, purpose, outcome, fabe_step, campaign_id, lead_id,
	                                 product_id, occurred_at, duration_s, note, next_follow_up)
	VALUES (l.party_id, COALESCE(@extschema@.current_staff_id(), l.assigned_to), log_contact.channel, 'sales',
	        log_contact.outcome, log_contact.fabe_step, l.campaign_id, l.lead_id, l.product_id, at,
	        log_contact.duration_s, log_contact.note, log_contact.next_follow_up)
	RETURNING contact_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.log_contact(bigint, text, text, text, text, timestamptz, text, timestamptz, integer) IS 'Records a sales contact on a lead (channel, outcome, FABE step reached, next follow-up), optionally firing an event; returns the contact id';

-- the RM's day
CREATE VIEW @extschema@.my_agenda
WITH (security_invoker = true) AS
SELECT 'follow_up'::text AS kind,
       l.next_follow_up AS due_at,
       l.lead_id,
       l.campaign_id,
       l.party_id,
       p.name AS party_name,
       l.state,
       NULL::bigint AS appointment_id,
       k.name AS detail
  FROM @extschema@.lead l
  JOIN @extschema@.campaign k ON k.campaign_id = l.campaign_id
  JOIN @extschema@.process_state ps ON ps.process_name = l.process_name AND ps.state = l.state AND NOT ps.is_terminal
  LEFT JOIN @extschema@.party p ON p.party_id = l.party_id
 WHERE l.assigned_to = @extschema@.current_staff_id()
   AND l.next_follow_up < CURRENT_DATE + 1
UNION ALL
SELECT 'appointment'::text,
       a.starts_at,
       a.lead_id,
       l.campaign_id,
       a.party_id,
       p.name,
       l.state,
       a.appointment_id,
       COALESCE(a.purpose, a.kind)
  FROM @extschema@.appointment a
  LEFT JOIN @extschema@.lead l ON l.party_id = a.party_id AND l.lead_id = a.lead_id
  LEFT JOIN @extschema@.party p ON p.party_id = a.party_id
 WHERE a.staff_id = @extschema@.current_staff_id()
   AND a.status = 'scheduled'
   AND a.starts_at >= CURRENT_DATE AND a.starts_at < CURRENT_DATE + 1;
COMMENT ON VIEW @extschema@.my_agenda IS 'The current staff member''s day: follow-ups due today or overdue on open leads, and today''s scheduled appointments';
COMMENT ON COLUMN @extschema@.my_agenda.kind IS 'follow_up or appointment';
COMMENT ON COLUMN @extschema@.my_agenda.due_at IS 'When the follow-up is due or the appointment starts';
COMMENT ON COLUMN @extschema@.my_agenda.party_name IS 'The party''s name, if the caller may see the party';
COMMENT ON COLUMN @extschema@.my_agenda.state IS 'The lead''s state';
COMMENT ON COLUMN @extschema@.my_agenda.detail IS 'Campaign name (follow-ups) or appointment purpose';

CREATE VIEW @extschema@.care_due
WITH (security_invoker = true) AS
WITH mine AS (
	SELECT p.party_id, p.name, p.kind, p.birth_date
	  FROM @extschema@.coverage cv
	  JOIN @extschema@.party p ON p.party_id = cv.party_id
	 WHERE cv.staff_id = @extschema@.current_staff_id()
	   AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
	   AND p.status <> 'closed' AND NOT p.do_not_contact
), birthdays AS (
	SELECT m.party_id, m.name, m.birth_date
	       + pg_catalog.make_interval(years => pg_catalog.date_part('year', pg_catalog.age(CURRENT_DATE, m.birth_date))::integer
	         + CASE WHEN m.birth_date + pg_catalog.make_interval(years => pg_catalog.date_part('year',
	                      pg_catalog.age(CURRENT_DATE, m.birth_date))::integer) < CURRENT_DATE THEN 1 ELSE 0 END) AS next_date
	  FROM mine m
	 WHERE m.kind = 'individual' AND m.birth_date IS NOT NULL
)
SELECT b.party_id, b.name AS party_name, 'birthday'::text AS occasion, b.next_date::date AS occasion_date,
       b.next_date::date - CURRENT_DATE AS days_ahead
  FROM birthdays b
 WHERE b.next_date::date - CURRENT_DATE BETWEEN 0 AND 7
UNION ALL
SELECT m.party_id, m.name, o.name, o.occasion_date, o.occasion_date - CURRENT_DATE
  FROM mine m
  JOIN @extschema@.care_occasion o ON o.occasion_date - CURRENT_DATE BETWEEN 0 AND 7;
COMMENT ON VIEW @extschema@.care_due IS 'Care contacts due in the next seven days for the parties the current staff member covers as primary RM: birthdays of individuals and holidays (care_occasion)';
COMMENT ON COLUMN @extschema@.care_due.occasion IS 'birthday, or the holiday''s name';
COMMENT ON COLUMN @extschema@.care_due.days_ahead IS 'Days from today, 0 to 7';

-- privileges
GRANT SELECT ON @extschema@.campaign, @extschema@.campaign_team, @extschema@.care_occasion
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON @extschema@.campaign, @extschema@.campaign_team, @extschema@.lead, @extschema@.care_occasion
	TO bankcrm_admin;
GRANT INSERT, UPDATE ON @extschema@.campaign, @extschema@.campaign_team TO bankcrm_app;
GRANT UPDATE (state, state_changed_at) ON @extschema@.campaign TO bankcrm_manager;
GRANT SELECT ON @extschema@.lead TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT, UPDATE ON @extschema@.lead TO bankcrm_app;
GRANT UPDATE (state, state_changed_at, fabe_step, next_follow_up, last_contact_at) ON @extschema@.lead
	TO bankcrm_manager, bankcrm_rm;
GRANT UPDATE (assigned_to, assigned_at) ON @extschema@.lead TO bankcrm_manager;
GRANT SELECT ON @extschema@.my_agenda, @extschema@.care_due TO bankcrm_manager, bankcrm_rm, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.campaign_generate_leads(bigint), @extschema@.campaign_assign(bigint, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.campaign_generate_leads(bigint), @extschema@.campaign_assign(bigint, text)
	TO bankcrm_admin, bankcrm_app;
-- working leads is for the staff and the applications, not the analyst
REVOKE ALL ON FUNCTION @extschema@.lead_fire(bigint, text, text, timestamptz),
	@extschema@.log_contact(bigint, text, text, text, text, timestamptz, text, timestamptz, integer),
	@extschema@.lead_reassign(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.lead_fire(bigint, text, text, timestamptz),
	@extschema@.log_contact(bigint, text, text, text, text, timestamptz, text, timestamptz, integer),
	@extschema@.lead_reassign(bigint, integer) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;

-- row-level security: leads are seen by the people who work them
ALTER TABLE @extschema@.lead ENABLE ROW LEVEL SECURITY;
CREATE POLICY lead_all ON @extschema@.lead FOR ALL TO bankcrm_admin, bankcrm_app USING (true) WITH CHECK (true);
CREATE POLICY lead_worked ON @extschema@.lead FOR SELECT TO bankcrm_manager, bankcrm_rm
	USING (@extschema@.staff_visible(assigned_to)
	       OR (assigned_to IS NULL AND @extschema@.team_lead_campaign(campaign_id)));
CREATE POLICY lead_worked_update ON @extschema@.lead FOR UPDATE TO bankcrm_manager, bankcrm_rm
	USING (@extschema@.staff_visible(assigned_to)
	       OR (assigned_to IS NULL AND @extschema@.team_lead_campaign(campaign_id)))
	WITH CHECK (@extschema@.staff_visible(assigned_to));
CREATE POLICY fsm_history_lead ON @extschema@.fsm_history FOR SELECT TO bankcrm_manager, bankcrm_rm
	USING (entity OPERATOR(pg_catalog.=) '@extschema@.lead'::regclass
	       AND @extschema@.history_visible(entity, entity_id));

-- src/sql/56_sales_views.sql
-- marketing analysis for managers and BI: the funnel with its bottleneck,
-- the weekly meeting's activity sheet, campaign results and the value each
-- relationship manager creates

-- every stay of a lead in a state: from its creation or a state change to the next change
CREATE VIEW @extschema@.lead_stay AS
WITH moves AS (
	SELECT l.lead_id, l.campaign_id, l.process_name,
	       COALESCE(f.from_state, l.state) AS state, l.created_at AS entered_at, 0::bigint AS seq
	  FROM @extschema@.lead l
	  LEFT JOIN (
	       SELECT DISTINCT ON (h.entity_id) h.entity_id, h.from_state FROM @extschema@.fsm_history h
	        WHERE h.entity = '@extschema@.lead'::regclass
	        ORDER BY h.entity_id, h.history_id) f ON f.entity_id = l.lead_id
	UNION ALL
	SELECT l.lead_id, l.campaign_id, l.process_name, h.to_state, h.at, h.history_id
	  FROM @extschema@.fsm_history h
	  JOIN @extschema@.lead l ON l.lead_id = h.entity_id
	 WHERE h.entity = '@extschema@.lead'::regclass
	   AND h.to_state IS DISTINCT FROM h.from_state
)
SELECT m.lead_id, m.campaign_id, m.process_name, m.state, m.entered_at,
       pg_catalog.lead(m.entered_at) OVER w AS left_at,
       pg_catalog.lead(m.state) OVER w AS next_state
  FROM moves m
WINDOW w AS (PARTITION BY m.lead_id ORDER BY m.seq);
COMMENT ON VIEW @extschema@.lead_stay IS 'Each stay of each lead in a state: when it entered, when it left and for which state (NULL while it is still there)';
COMMENT ON COLUMN @extschema@.lead_stay.left_at IS 'When the lead left the state; NULL if it is still there';
COMMENT ON COLUMN @extschema@.lead_stay.next_state IS 'The state it moved to';

-- the funnel: per campaign and stage
CREATE VIEW @extschema@.funnel AS
WITH stays AS (
	SELECT s.lead_id, s.campaign_id, s.state, s.entered_at, s.left_at, s.next_state,
	       ps.stage_order, nx.outcome AS next_outcome
	  FROM @extschema@.lead_stay s
	  JOIN @extschema@.process_state ps ON ps.process_name = s.process_name AND ps.state = s.state
	  LEFT JOIN @extschema@.process_state nx ON nx.process_name = s.process_name AND nx.state = s.next_state
), furthest AS (
	SELECT st.lead_id, pg_catalog.max(st.stage_order) AS stage_order
	  FROM stays st GROUP BY st.lead_id
), stages AS (
	SELECT k.campaign_id, k.name AS campaign, ps.state AS stage, ps.stage_order,
	       ps.stage_order = pg_catalog.max(ps.stage_order) OVER (PARTITION BY k.campaign_id) AS last_stage
	  FROM @extschema@.campaign k
	  JOIN @extschema@.process_state ps ON ps.process_name = k.process_name AND ps.stage_order IS NOT NULL
), counted AS (
	-- grouped, not correlated: on Citus the aggregates run over the shards
	SELECT st.campaign_id, st.state,
	       pg_catalog.count(DISTINCT st.lead_id) AS entered,
	       pg_catalog.count(DISTINCT st.lead_id) FILTER (WHERE f.stage_order > st.stage_order) AS moved_on,
	       pg_catalog.count(DISTINCT st.lead_id) FILTER (WHERE st.next_outcome = 'lost') AS dropped,
	       pg_catalog.round((pg_catalog.percentile_cont(0.5) WITHIN GROUP (
	                 ORDER BY pg_catalog.date_part('epoch', st.left_at - st.entered_at))
	                 FILTER (WHERE st.left_at IS NOT NULL) / 86400)::numeric, 2) AS median_days
	  FROM stays st JOIN furthest f ON f.lead_id = st.lead_id
	 GROUP BY st.campaign_id, st.state
), now_in AS (
	SELECT l.campaign_id, l.state, pg_catalog.count(*) AS n
	  FROM @extschema@.lead l GROUP BY l.campaign_id, l.state
), per_stage AS (
	SELECT g.campaign_id, g.campaign, g.stage, g.stage_order, g.last_stage,
	       COALESCE(c.entered, 0) AS entered,
	       COALESCE(n.n, 0) AS now_in_stage,
	       COALESCE(c.moved_on, 0) AS moved_on,
	       COALESCE(c.dropped, 0) AS dropped,
	       c.median_days
	  FROM stages g
	  LEFT JOIN counted c ON c.campaign_id = g.campaign_id AND c.state = g.stage
	  LEFT JOIN now_in n ON n.campaign_id = g.campaign_id AND n.state = g.stage
), rated AS (
	SELECT p.*,
	       CASE WHEN NOT p.last_stage AND p.entered > 0
	            THEN pg_catalog.round(100.0 * p.moved_on / p.entered, 1) END AS conversion_pct
	  FROM per_stage p
), ranked AS (
	SELECT r.*,
	       pg_catalog.first_value(r.stage_order) OVER (PARTITION BY r.campaign_id
	                                                   ORDER BY r.conversion_pct NULLS LAST, r.stage_order) AS worst
	  FROM rated r
)
SELECT r.campaign_id, r.campaign, r.stage_order, r.stage, r.entered, r.now_in_stage, r.moved_on, r.dropped,
       r.conversion_pct, r.median_days,
       COALESCE(r.conversion_pct IS NOT NULL AND r.stage_order = r.worst, false) AS bottleneck
  FROM ranked r;
COMMENT ON VIEW @extschema@.funnel IS 'Per campaign and stage of its process: leads that entered, are there now, moved on to a later stage, dropped out; conversion, median days in stage, and the bottleneck (the worst hand-off)';
COMMENT ON COLUMN @extschema@.funnel.entered IS 'Leads that were ever in the stage';
COMMENT ON COLUMN @extschema@.funnel.now_in_stage IS 'Leads in the stage now';
COMMENT ON COLUMN @extschema@.funnel.moved_on IS 'Leads that entered the stage and later reached a later stage';
COMMENT ON COLUMN @extschema@.funnel.dropped IS 'Leads that left the stage for a lost end (declined, unreachable, do not call)';
COMMENT ON COLUMN @extschema@.funnel.conversion_pct IS '100 * moved_on / entered; NULL for the last stage and for stages nobody entered';
COMMENT ON COLUMN @extschema@.funnel.median_days IS 'Median days a lead stayed in the stage, over the stays that ended';
COMMENT ON COLUMN @extschema@.funnel.bottleneck IS 'True on the stage with the lowest conversion of the campaign (the earliest on a tie)';

-- the weekly marketing meeting's sheet: activity per person, day and stage against the minimum
CREATE VIEW @extschema@.rep_activity AS
WITH ev AS (
	-- events fired by a worker or an administrator (no staff mapping) count for the lead's assignee
	SELECT COALESCE(h.staff_id, l.assigned_to) AS staff_id, l.process_name, h.at::date AS day, h.from_state
	  FROM @extschema@.fsm_history h
	  JOIN @extschema@.lead l ON l.lead_id = h.entity_id
	 WHERE h.entity = '@extschema@.lead'::regclass AND COALESCE(h.staff_id, l.assigned_to) IS NOT NULL
), days AS (
	SELECT DISTINCT e.staff_id, e.process_name, e.day FROM ev e
), counts AS (
	SELECT e.staff_id, e.process_name, e.day, e.from_state, pg_catalog.count(*) AS n
	  FROM ev e GROUP BY e.staff_id, e.process_name, e.day, e.from_state
)
SELECT d.staff_id, s.name AS staff_name, s.team_id, d.process_name, d.day, ps.state AS stage, ps.stage_order,
       COALESCE(c.n, 0) AS activity, ps.daily_target,
       GREATEST(ps.daily_target - COALESCE(c.n, 0), 0) AS shortfall,
       COALESCE(c.n, 0) >= ps.daily_target AS target_met
  FROM days d
  JOIN @extschema@.staff s ON s.staff_id = d.staff_id
  JOIN @extschema@.process_state ps ON ps.process_name = d.process_name AND NOT ps.is_terminal
  LEFT JOIN counts c ON c.staff_id = d.staff_id AND c.process_name = d.process_name
        AND c.day = d.day AND c.from_state = ps.state
 WHERE ps.daily_target > 0 OR c.n IS NOT NULL;
COMMENT ON VIEW @extschema@.rep_activity IS 'Per person, working day and stage: events fired on leads in that stage against the stage''s minimum daily target, and the shortfall; events fired without a staff mapping (the dialer) count for the lead''s assignee';
COMMENT ON COLUMN @extschema@.rep_activity.day IS 'A day on which the person fired at least one lead event';
COMMENT ON COLUMN @extschema@.rep_activity.activity IS 'Events fired that day on leads that were in the stage (retries included)';
COMMENT ON COLUMN @extschema@.rep_activity.daily_target IS 'The stage''s minimum per person and day (process_state.daily_target)';
COMMENT ON COLUMN @extschema@.rep_activity.shortfall IS 'greatest(daily_target - activity, 0)';

-- what each won lead brought: the campaign's product opened by the party since the lead was created
CREATE VIEW @extschema@.lead_won AS
SELECT l.lead_id, l.campaign_id, l.assigned_to, l.party_id,
       COALESCE(pg_catalog.sum(h.balance), 0)::numeric(18, 2) AS volume,
       (12 * COALESCE(pg_catalog.sum(h.monthly_contribution), 0))::numeric(16, 2) AS annual_contribution
  FROM @extschema@.lead l
  JOIN @extschema@.process_state ps ON ps.process_name = l.process_name AND ps.state = l.state AND ps.outcome = 'won'
  JOIN @extschema@.campaign k ON k.campaign_id = l.campaign_id
  LEFT JOIN @extschema@.holding h ON h.party_id = l.party_id AND h.product_id = k.product_id
        AND h.opened_on >= l.created_at::date
 GROUP BY l.lead_id, l.campaign_id, l.assigned_to, l.party_id;
COMMENT ON VIEW @extschema@.lead_won IS 'Leads in a won state, with the balance and annualised contribution of the campaign''s product the party opened since the lead was created';
COMMENT ON COLUMN @extschema@.lead_won.volume IS 'Balances of those holdings, CNY';
COMMENT ON COLUMN @extschema@.lead_won.annual_contribution IS '12 times their monthly contribution, CNY';

CREATE VIEW @extschema@.campaign_report AS
SELECT k.campaign_id, k.name AS campaign, k.state, pr.code AS product,
       COALESCE(ld.leads, 0) AS leads,
       COALESCE(ld.assigned, 0) AS assigned,
       COALESCE(ct.contacts, 0) AS contacts,
       COALESCE(ct.leads_contacted, 0) AS leads_contacted,
       COALESCE(w.conversions, 0) AS conversions,
       CASE WHEN ct.leads_contacted > 0 THEN pg_catalog.round(100.0 * COALESCE(w.conversions, 0) / ct.leads_contacted, 1) END
         AS conversion_pct,
       COALESCE(w.volume, 0)::numeric(18, 2) AS revenue_won,
       COALESCE(w.annual_contribution, 0)::numeric(16, 2) AS contribution_won,
       (COALESCE(ct.contacts, 0) * k.cost_per_contact)::numeric(14, 2) AS cost,
       k.budget,
       CASE WHEN COALESCE(ct.contacts, 0) * k.cost_per_contact > 0
            THEN pg_catalog.round((COALESCE(w.annual_contribution, 0) - ct.contacts * k.cost_per_contact)
                                  / (ct.contacts * k.cost_per_contact), 2) END AS roi
  FROM @extschema@.campaign k
  JOIN @extschema@.product pr ON pr.product_id = k.product_id
  -- grouped subqueries, not correlated ones: on Citus each runs over the shards
  LEFT JOIN (
       SELECT l.campaign_id, pg_catalog.count(*) AS leads,
              pg_catalog.count(*) FILTER (WHERE l.assigned_to IS NOT NULL) AS assigned
         FROM @extschema@.lead l GROUP BY l.campaign_id) ld ON ld.campaign_id = k.campaign_id
  LEFT JOIN (
       SELECT c.campaign_id, pg_catalog.count(*) AS contacts, pg_catalog.count(DISTINCT c.lead_id) AS leads_contacted
         FROM @extschema@.contact c WHERE c.campaign_id IS NOT NULL GROUP BY c.campaign_id) ct
        ON ct.campaign_id = k.campaign_id
  LEFT JOIN (
       SELECT x.campaign_id, pg_catalog.count(*) AS conversions,
              pg_catalog.sum(x.volume) AS volume,
              pg_catalog.sum(x.annual_contribution) AS annual_contribution
         FROM @extschema@.lead_won x GROUP BY x.campaign_id) w ON w.campaign_id = k.campaign_id;
COMMENT ON VIEW @extschema@.campaign_report IS 'Per campaign: leads, contacts, conversions, business volume and contribution won, cost and return on investment';
COMMENT ON COLUMN @extschema@.campaign_report.contacts IS 'Contacts logged for the campaign';
COMMENT ON COLUMN @extschema@.campaign_report.leads_contacted IS 'Leads with at least one contact';
COMMENT ON COLUMN @extschema@.campaign_report.conversions IS 'Leads in a won state';
COMMENT ON COLUMN @extschema@.campaign_report.conversion_pct IS '100 * conversions / leads_contacted';
COMMENT ON COLUMN @extschema@.campaign_report.revenue_won IS 'Balances of the product opened by converted parties since their lead was created, CNY';
COMMENT ON COLUMN @extschema@.campaign_report.contribution_won IS 'Annualised monthly contribution of those holdings, CNY';
COMMENT ON COLUMN @extschema@.campaign_report.cost IS 'contacts * cost_per_contact, CNY';
COMMENT ON COLUMN @extschema@.campaign_report.roi IS '(contribution_won - cost) / cost';

-- appraisal by value: what each person's work is worth to the bank
CREATE VIEW @extschema@.staff_performance AS
SELECT s.staff_id, s.name AS staff_name, s.role_kind, s.team_id, s.branch_id,
       COALESCE(ld.assigned, 0) AS leads_assigned,
       COALESCE(ld.open, 0) AS leads_open,
       COALESCE(ld.won, 0) AS leads_won,
       CASE WHEN ld.closed > 0 THEN pg_catalog.round(100.0 * ld.won / ld.closed, 1) END AS win_pct,
       COALESCE(ct.contacts, 0) AS contacts,
       COALESCE(w.annual_contribution, 0)::numeric(16, 2) AS contribution_won,
       COALESCE(cv.parties, 0) AS parties_covered,
       COALESCE(cv.annual_contribution, 0)::numeric(16, 2) AS book_contribution
  FROM @extschema@.staff s
  LEFT JOIN (
       SELECT l.assigned_to,
              pg_catalog.count(*) AS assigned,
              pg_catalog.count(*) FILTER (WHERE NOT ps.is_terminal) AS open,
              pg_catalog.count(*) FILTER (WHERE ps.outcome = 'won') AS won,
              pg_catalog.count(*) FILTER (WHERE ps.is_terminal) AS closed
         FROM @extschema@.lead l
         JOIN @extschema@.process_state ps ON ps.process_name = l.process_name AND ps.state = l.state
        WHERE l.assigned_to IS NOT NULL
        GROUP BY l.assigned_to) ld ON ld.assigned_to = s.staff_id
  LEFT JOIN (
       SELECT c.staff_id, pg_catalog.count(*) AS contacts
         FROM @extschema@.contact c WHERE c.campaign_id IS NOT NULL GROUP BY c.staff_id) ct ON ct.staff_id = s.staff_id
  LEFT JOIN (
       SELECT x.assigned_to, pg_catalog.sum(x.annual_contribution) AS annual_contribution
         FROM @extschema@.lead_won x GROUP BY x.assigned_to) w ON w.assigned_to = s.staff_id
  LEFT JOIN (
       SELECT c.staff_id, pg_catalog.count(DISTINCT c.party_id) AS parties,
              12 * pg_catalog.sum(h.monthly_contribution) AS annual_contribution
         FROM @extschema@.coverage c
         LEFT JOIN @extschema@.holding h ON h.party_id = c.party_id AND h.closed_on IS NULL
        WHERE c.role = 'primary_rm' AND c.valid_to IS NULL
        GROUP BY c.staff_id) cv ON cv.staff_id = s.staff_id
 WHERE s.active AND (ld.assigned IS NOT NULL OR cv.parties IS NOT NULL OR ct.contacts IS NOT NULL);
COMMENT ON VIEW @extschema@.staff_performance IS 'Per active person with leads, contacts or a book: leads worked and won, campaign contacts, contribution won, and the annual contribution of the parties covered as primary RM';
COMMENT ON COLUMN @extschema@.staff_performance.win_pct IS '100 * leads won / leads closed (in a terminal state)';
COMMENT ON COLUMN @extschema@.staff_performance.contacts IS 'Campaign contacts logged by the person';
COMMENT ON COLUMN @extschema@.staff_performance.contribution_won IS 'Annualised contribution of the products sold through the person''s won leads, CNY';
COMMENT ON COLUMN @extschema@.staff_performance.parties_covered IS 'Parties covered now as primary RM';
COMMENT ON COLUMN @extschema@.staff_performance.book_contribution IS 'Annualised monthly contribution of the open holdings of those parties, CNY';

GRANT SELECT ON @extschema@.funnel, @extschema@.rep_activity, @extschema@.campaign_report, @extschema@.staff_performance
	TO bankcrm_manager, bankcrm_analyst, bankcrm_app;
GRANT SELECT ON @extschema@.lead_stay, @extschema@.lead_won TO bankcrm_app;
GRANT ALL ON @extschema@.lead_stay, @extschema@.lead_won, @extschema@.funnel, @extschema@.rep_activity,
	@extschema@.campaign_report, @extschema@.staff_performance TO bankcrm_admin;
-- src/sql/60_churn.sql
-- churn early warning: the compact weekly series kept by the insert path,
-- deviation statistics (C), policies, holiday calendar, alerts with their
-- lifecycle and remediation log, the scan, the monitor's batch function and
-- the dashboard

-- churn: the weekly series ------------------------------------------------

CREATE FUNCTION @extschema@.churn_series_accum(internal, date, double precision, double precision, integer)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_accum(internal, date, double precision, double precision, integer) IS 'churn_series_agg transition function';

CREATE FUNCTION @extschema@.churn_series_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_combine(internal, internal) IS 'churn_series_agg combine function';

CREATE FUNCTION @extschema@.churn_series_serial(internal)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_serial(internal) IS 'churn_series_agg serial function';

CREATE FUNCTION @extschema@.churn_series_deserial(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_deserial(bytea, internal) IS 'churn_series_agg deserial function';

CREATE FUNCTION @extschema@.churn_series_final(internal)
RETURNS real[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_final(internal) IS 'churn_series_agg final function';

CREATE AGGREGATE @extschema@.churn_series_agg(week date, loan_volume double precision, txn_volume double precision, txn_count integer) (
	SFUNC = @extschema@.churn_series_accum,
	STYPE = internal,
	FINALFUNC = @extschema@.churn_series_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.churn_series_combine,
	SERIALFUNC = @extschema@.churn_series_serial,
	DESERIALFUNC = @extschema@.churn_series_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_series_agg(date, double precision, double precision, integer) IS 'A party''s weekly figures as a churn series: real[3][w0:w1], the second lower bound being the week number, NaN for weeks without a row; figures of the same week add up';

CREATE FUNCTION @extschema@.churn_series_merge(old_series real[], new_series real[])
RETURNS real[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_merge(real[], real[]) IS 'The series with the weeks that have a row in new_series laid over old_series';

CREATE FUNCTION @extschema@.churn_series_last_week(series real[])
RETURNS date
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_last_week(real[]) IS 'Monday of the last week of a churn series that has a row';

CREATE FUNCTION @extschema@.churn_series_unnest(series real[],
	OUT week date, OUT loan_volume double precision, OUT txn_volume double precision, OUT txn_count integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE ROWS 156;
COMMENT ON FUNCTION @extschema@.churn_series_unnest(real[]) IS 'The weeks of a churn series that have a row, in order';

CREATE FUNCTION @extschema@.churn_sparkline(series real[], metric text, last_week date, weeks integer DEFAULT 26)
RETURNS double precision[]
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_sparkline(real[], text, date, integer) IS 'One metric of a churn series over the given number of weeks ending with last_week, oldest first; NULL for a week without a row';

-- Derived data lives in schema bankcrm_churn: it is rebuilt from
-- activity_weekly by the triggers below (also when a dump is restored), so
-- pg_dump must not dump it, and the tables of @extschema@ are all dumped.
CREATE SCHEMA bankcrm_churn;
COMMENT ON SCHEMA bankcrm_churn IS 'bankcrm churn early warning: derived data and built-in reference data, recreated by CREATE EXTENSION and never dumped';

-- the series of every party with activity, kept current by the triggers below
CREATE TABLE bankcrm_churn.churn_series (
	party_id  bigint PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	series    real[] NOT NULL
	          CONSTRAINT churn_series_shape_check CHECK (pg_catalog.array_ndims(series) = 2 AND pg_catalog.array_length(series, 1) = 3)
);
COMMENT ON TABLE bankcrm_churn.churn_series IS 'Each party''s weekly activity as one compact array (see churn_series_agg); kept current by triggers on activity_weekly';
COMMENT ON COLUMN bankcrm_churn.churn_series.series IS 'real[3][w0:w1]: loan_volume, txn_volume, txn_count by week number (weeks since 2000-01-03); NaN for a week without a row';

-- parties whose activity changed and that the monitor has not evaluated yet
CREATE TABLE bankcrm_churn.churn_dirty (
	party_id   bigint PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	marked_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE bankcrm_churn.churn_dirty IS 'Parties with new activity not yet evaluated by the churn monitor; a mark is removed in the transaction that evaluates it';

-- churn: policy and calendar ----------------------------------------------

CREATE TABLE @extschema@.churn_policy (
	policy_id          integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name               text NOT NULL UNIQUE,
	party_kind         text CONSTRAINT churn_policy_party_kind_check CHECK (party_kind IN ('individual', 'corporate', 'financial_institution', 'government')),
	priority           integer NOT NULL DEFAULT 100,
	enabled            boolean NOT NULL DEFAULT true,
	metrics            text[] NOT NULL DEFAULT '{loan_volume,txn_volume,txn_count}'
	                   CONSTRAINT churn_policy_metrics_check CHECK (metrics <@ '{loan_volume,txn_volume,txn_count}'::text[] AND pg_catalog.cardinality(metrics) > 0),
	trailing_weeks     integer NOT NULL DEFAULT 13 CONSTRAINT churn_policy_trailing_check CHECK (trailing_weeks BETWEEN 2 AND 52),
	min_history_weeks  integer NOT NULL DEFAULT 26,
	week_drop_pct      double precision NOT NULL DEFAULT 30 CONSTRAINT churn_policy_week_drop_check CHECK (week_drop_pct > 0 AND week_drop_pct < 100),
	week_z             double precision NOT NULL DEFAULT 3 CONSTRAINT churn_policy_week_z_check CHECK (week_z > 0 AND week_z < 'Infinity'),
	confirm_weeks      integer NOT NULL DEFAULT 5 CONSTRAINT churn_policy_confirm_check CHECK (confirm_weeks BETWEEN 1 AND 13),
	quarter_drop_pct   double precision NOT NULL DEFAULT 20 CONSTRAINT churn_policy_quarter_drop_check CHECK (quarter_drop_pct > 0 AND quarter_drop_pct < 100),
	cusum_k            double precision NOT NULL DEFAULT 0.5 CONSTRAINT churn_policy_cusum_k_check CHECK (cusum_k >= 0 AND cusum_k < 'Infinity'),
	cusum_h            double precision NOT NULL DEFAULT 10 CONSTRAINT churn_policy_cusum_h_check CHECK (cusum_h > 0 AND cusum_h < 'Infinity'),
	z_clip             double precision NOT NULL DEFAULT 3 CONSTRAINT churn_policy_z_clip_check CHECK (z_clip > 0 AND z_clip < 'Infinity'),
	drift_drop_pct     double precision NOT NULL DEFAULT 20 CONSTRAINT churn_policy_drift_drop_check CHECK (drift_drop_pct >= 0 AND drift_drop_pct < 100),
	min_noise_pct      double precision NOT NULL DEFAULT 2 CONSTRAINT churn_policy_min_noise_check CHECK (min_noise_pct > 0 AND min_noise_pct < 100),
	holiday_weeks      integer NOT NULL DEFAULT 3 CONSTRAINT churn_policy_holiday_weeks_check CHECK (holiday_weeks BETWEEN 0 AND 8),
	warning_drop_pct   double precision NOT NULL DEFAULT 25 CONSTRAINT churn_policy_warning_check CHECK (warning_drop_pct > 0 AND warning_drop_pct < 100),
	critical_drop_pct  double precision NOT NULL DEFAULT 50 CONSTRAINT churn_policy_critical_check CHECK (critical_drop_pct > 0 AND critical_drop_pct < 100),
	snooze_weeks       integer NOT NULL DEFAULT 13 CONSTRAINT churn_policy_snooze_check CHECK (snooze_weeks BETWEEN 0 AND 104),
	first_year_cusum_h double precision NOT NULL DEFAULT 12 CONSTRAINT churn_policy_first_year_h_check CHECK (first_year_cusum_h < 'Infinity'),
	CONSTRAINT churn_policy_history_check CHECK (min_history_weeks >= trailing_weeks),
	CONSTRAINT churn_policy_levels_check CHECK (warning_drop_pct <= critical_drop_pct),
	CONSTRAINT churn_policy_first_year_check CHECK (first_year_cusum_h >= cusum_h)
);
COMMENT ON TABLE @extschema@.churn_policy IS 'Churn early-warning policies per party kind: metrics, windows, thresholds, CUSUM h and k, minimum history, severity levels';
COMMENT ON COLUMN @extschema@.churn_policy.party_kind IS 'Party kind the policy applies to; NULL: every kind without a policy of its own';
COMMENT ON COLUMN @extschema@.churn_policy.priority IS 'Among enabled policies for the same kind, the lowest priority wins';
COMMENT ON COLUMN @extschema@.churn_policy.trailing_weeks IS 'N: weeks of the trailing mean and deviation a week is compared with';
COMMENT ON COLUMN @extschema@.churn_policy.min_history_weeks IS 'Known weeks a party needs before any rule may fire';
COMMENT ON COLUMN @extschema@.churn_policy.week_drop_pct IS 'week_drop rule: percent below the seasonal expectation';
COMMENT ON COLUMN @extschema@.churn_policy.week_z IS 'week_drop rule: noise units below the seasonal expectation';
COMMENT ON COLUMN @extschema@.churn_policy.confirm_weeks IS 'week_drop rule: consecutive known weeks the drop must last';
COMMENT ON COLUMN @extschema@.churn_policy.quarter_drop_pct IS 'quarter_drop rule: percent the last 13 weeks fell against the 13 before and against the same 13 weeks last year';
COMMENT ON COLUMN @extschema@.churn_policy.cusum_k IS 'CUSUM allowance k, in noise units per week';
COMMENT ON COLUMN @extschema@.churn_policy.cusum_h IS 'CUSUM decision interval h, in noise units: drift fires when the lower CUSUM reaches h';
COMMENT ON COLUMN @extschema@.churn_policy.z_clip IS 'Largest evidence one week may add, in noise units (Huber clipping)';
COMMENT ON COLUMN @extschema@.churn_policy.drift_drop_pct IS 'Smallest decline the CUSUM is tuned to detect, percent: its allowance is at least half of it';
COMMENT ON COLUMN @extschema@.churn_policy.min_noise_pct IS 'Floor of the weekly noise estimate, percent';
COMMENT ON COLUMN @extschema@.churn_policy.holiday_weeks IS 'Weeks from a calendar holiday''s week on that are aligned with the same holiday last year';
COMMENT ON COLUMN @extschema@.churn_policy.warning_drop_pct IS 'Severity warning: the last four weeks this many percent below the reference level';
COMMENT ON COLUMN @extschema@.churn_policy.critical_drop_pct IS 'Severity critical: the last four weeks this many percent below the reference level';
COMMENT ON COLUMN @extschema@.churn_policy.first_year_cusum_h IS 'CUSUM decision interval for weeks without last year''s season to go by (the first year of history): a seasonal low cannot be told from a decline there, so more evidence is needed';
COMMENT ON COLUMN @extschema@.churn_policy.snooze_weeks IS 'After an alert is closed, the same party and metric raise no new alert of the same or lower severity for this many weeks';

CREATE TABLE @extschema@.churn_holiday (
	holiday  text NOT NULL,
	day      date NOT NULL,
	PRIMARY KEY (holiday, day)
);
COMMENT ON TABLE @extschema@.churn_holiday IS 'The bank''s own holidays, added to the built-in calendar (bankcrm_churn.builtin_holiday): their weeks are compared with the same holiday last year rather than the same calendar week';

CREATE TABLE bankcrm_churn.builtin_holiday (
	holiday  text NOT NULL,
	day      date NOT NULL,
	PRIMARY KEY (holiday, day)
);
COMMENT ON TABLE bankcrm_churn.builtin_holiday IS 'Built-in holiday calendar: Chinese New Year and National Day, 2019 to 2030';

INSERT INTO bankcrm_churn.builtin_holiday (holiday, day) VALUES
	('chinese_new_year', '2019-02-05'), ('chinese_new_year', '2020-01-25'), ('chinese_new_year', '2021-02-12'),
	('chinese_new_year', '2022-02-01'), ('chinese_new_year', '2023-01-22'), ('chinese_new_year', '2024-02-10'),
	('chinese_new_year', '2025-01-29'), ('chinese_new_year', '2026-02-17'), ('chinese_new_year', '2027-02-06'),
	('chinese_new_year', '2028-01-26'), ('chinese_new_year', '2029-02-13'), ('chinese_new_year', '2030-02-03');
INSERT INTO bankcrm_churn.builtin_holiday (holiday, day)
	SELECT 'national_day', pg_catalog.make_date(y, 10, 1) FROM pg_catalog.generate_series(2019, 2030) y;

CREATE FUNCTION @extschema@.churn_calendar(OUT days date[], OUT prev_days date[])
RETURNS record
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT pg_catalog.array_agg(h.day ORDER BY h.day, h.holiday),
	       pg_catalog.array_agg(CASE WHEN h.day OPERATOR(pg_catalog.-) h.prev BETWEEN 300 AND 430 THEN h.prev END
	                            ORDER BY h.day, h.holiday)
	  FROM (SELECT c.holiday, c.day,
	               pg_catalog.lag(c.day) OVER (PARTITION BY c.holiday ORDER BY c.day) AS prev
	          FROM (SELECT b.holiday, b.day FROM bankcrm_churn.builtin_holiday b
	                UNION
	                SELECT o.holiday, o.day FROM @extschema@.churn_holiday o) c) h;
END;
COMMENT ON FUNCTION @extschema@.churn_calendar() IS 'The holiday calendar (built-in plus churn_holiday) as two arrays for churn_evaluate: each holiday''s day and the day of its previous occurrence (NULL when unknown)';

-- churn: deviation ---------------------------------------------------------

CREATE TYPE @extschema@.churn_figures AS (
	metric                 text,
	week                   date,
	value                  double precision,
	history_weeks          integer,
	trailing_mean          double precision,
	trailing_sd            double precision,
	week_pct               double precision,
	week_z                 double precision,
	last_year_value        double precision,
	last_year_pct          double precision,
	seasonal_factor        double precision,
	expected               double precision,
	quarter_mean           double precision,
	prev_quarter_pct       double precision,
	last_year_quarter_pct  double precision,
	noise                  double precision,
	reference              double precision,
	cusum                  double precision,
	level_drop_pct         double precision,
	rule                   text,
	severity               text,
	first_alert_week       date,
	first_alert_severity   text
);
COMMENT ON TYPE @extschema@.churn_figures IS 'The deviation figures of one metric in one week (see doc/churn.md)';

CREATE FUNCTION @extschema@.churn_evaluate(series real[], policy @extschema@.churn_policy, as_of date DEFAULT NULL,
	holidays date[] DEFAULT NULL, holidays_prev date[] DEFAULT NULL)
RETURNS SETOF @extschema@.churn_figures
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION @extschema@.churn_evaluate(real[], @extschema@.churn_policy, date, date[], date[]) IS 'Figures, rules and severity of each policy metric of a series as of a week (default: its last week), with the first week an alert would have been raised';

CREATE FUNCTION @extschema@.churn_history(series real[], policy @extschema@.churn_policy, as_of date DEFAULT NULL,
	holidays date[] DEFAULT NULL, holidays_prev date[] DEFAULT NULL)
RETURNS SETOF @extschema@.churn_figures
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE ROWS 468;
COMMENT ON FUNCTION @extschema@.churn_history(real[], @extschema@.churn_policy, date, date[], date[]) IS 'The figures of every week of a series up to as_of (default: its last week), per policy metric';

CREATE FUNCTION @extschema@.churn_evaluate_alerts(series real[], policy @extschema@.churn_policy, as_of date DEFAULT NULL,
	holidays date[] DEFAULT NULL, holidays_prev date[] DEFAULT NULL)
RETURNS @extschema@.churn_figures[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_evaluate_alerts(real[], @extschema@.churn_policy, date, date[], date[]) IS 'The figures of the metrics whose severity is set as of a week, NULL when none is (churn_evaluate restricted to alerts, for scans over many parties)';

-- the policy that applies to a party kind
CREATE FUNCTION @extschema@.churn_policy_for(party_kind text)
RETURNS @extschema@.churn_policy
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT c FROM @extschema@.churn_policy c
	 WHERE c.enabled AND (c.party_kind IS NULL OR c.party_kind OPERATOR(pg_catalog.=) churn_policy_for.party_kind)
	 ORDER BY c.party_kind IS NULL, c.priority, c.policy_id
	 LIMIT 1;
END;
COMMENT ON FUNCTION @extschema@.churn_policy_for(text) IS 'The enabled churn policy for a party kind: its own first, else the kind-less one, lowest priority first';

-- Three steps, not one join: the calendar and the policy come from small
-- (on Citus: reference) tables, read once here, and the series from one
-- party's row; the evaluation itself reads no table.  A single SQL query
-- calling churn_calendar() and churn_policy_for() per row would have Citus
-- read reference tables from inside a shard query, which it refuses.
CREATE FUNCTION @extschema@.churn_deviation(party_id bigint, week date DEFAULT NULL)
RETURNS SETOF @extschema@.churn_figures
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cal record;
	ser real[];
	kind text;
BEGIN
	SELECT s.series, p.kind INTO ser, kind
	  FROM bankcrm_churn.churn_series s
	  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) s.party_id
	 WHERE s.party_id OPERATOR(pg_catalog.=) churn_deviation.party_id
	   AND p.party_id OPERATOR(pg_catalog.=) churn_deviation.party_id;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	SELECT c.days, c.prev_days INTO cal FROM @extschema@.churn_calendar() c;
	RETURN QUERY
	SELECT f.*
	  FROM @extschema@.churn_evaluate(ser, @extschema@.churn_policy_for(kind), churn_deviation.week,
	                                  cal.days, cal.prev_days) f
	 ORDER BY f.metric;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_deviation(bigint, date) IS 'A party''s churn figures per metric as of a week (default: its last week with activity) under its policy and the holiday calendar: the rule that fired and the severity';

-- churn_figures(week, value): one metric's figures as an aggregate
CREATE FUNCTION @extschema@.churn_figures_accum(internal, date, double precision)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_accum(internal, date, double precision) IS 'churn_figures transition function';

CREATE FUNCTION @extschema@.churn_figures_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_combine(internal, internal) IS 'churn_figures combine function';

CREATE FUNCTION @extschema@.churn_figures_serial(internal)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_serial(internal) IS 'churn_figures serial function';

CREATE FUNCTION @extschema@.churn_figures_deserial(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_deserial(bytea, internal) IS 'churn_figures deserial function';

CREATE FUNCTION @extschema@.churn_figures_final(internal)
RETURNS @extschema@.churn_figures
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_final(internal) IS 'churn_figures final function';

CREATE AGGREGATE @extschema@.churn_figures(week date, value double precision) (
	SFUNC = @extschema@.churn_figures_accum,
	STYPE = internal,
	FINALFUNC = @extschema@.churn_figures_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.churn_figures_combine,
	SERIALFUNC = @extschema@.churn_figures_serial,
	DESERIALFUNC = @extschema@.churn_figures_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_figures(date, double precision) IS 'Churn figures of the last week of a weekly series under the default policy (no holiday calendar); with GROUP BY per series, as a window function ORDER BY week for every week';

-- churn: the insert path ---------------------------------------------------

CREATE FUNCTION @extschema@.churn_wake_monitor()
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.churn_wake_monitor() IS 'Wakes the churn monitor of this database when the current transaction commits (no-op unless bankcrm is preloaded)';

CREATE FUNCTION @extschema@.churn_series_slice(series_values real[], off integer, w0 integer, span integer)
RETURNS real[]
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_slice(real[], integer, integer, integer) IS 'Internal: the series real[3][w0:w0+span-1] of the 3 * span values from offset off (metric-major); how the insert path passes many parties'' new weeks in one statement';

CREATE FUNCTION @extschema@.churn_series_drop_week(series real[], week date)
RETURNS real[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_drop_week(real[], date) IS 'The series without the given week''s row, trimmed to the weeks left; NULL when none is left, the series itself when week is NULL';

-- Row triggers and a statement trigger without transition tables: they
-- touch only the rows of churn_series and churn_dirty (tables distributed
-- like activity_weekly) of the parties of the rows, so they also run on
-- Citus, on the node that holds the shard (src/churn_trigger.c).  Inserted
-- rows are remembered by the row trigger and written per party by the
-- statement trigger.
CREATE FUNCTION @extschema@.churn_activity_row()
RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION @extschema@.churn_activity_flush()
RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.churn_activity_flush() IS 'After an INSERT statement on activity_weekly: lays the weeks the row trigger remembered over each party''s churn series, one write per party, and marks the parties dirty';

COMMENT ON FUNCTION @extschema@.churn_activity_row() IS 'After INSERT, UPDATE or DELETE of a row of activity_weekly: remembers an inserted row for churn_activity_flush; takes a deleted row''s week out of the party''s churn series, lays an updated row over it, and marks the party dirty';

CREATE FUNCTION @extschema@.churn_activity_truncated()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- On Citus the trigger also fires on each shard of activity_weekly
	-- (activity_weekly_<shard id>) on the workers, where a TRUNCATE of the
	-- distributed tables would be a distributed command run from a shard;
	-- there it does nothing, and the coordinator, where it fires on
	-- activity_weekly itself, empties churn_series and churn_dirty
	-- everywhere in the same transaction.
	IF TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'activity_weekly' THEN
		RETURN NULL;
	END IF;
	TRUNCATE bankcrm_churn.churn_series, bankcrm_churn.churn_dirty;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_activity_truncated() IS 'After TRUNCATE on activity_weekly: empties churn_series and churn_dirty';

CREATE TRIGGER churn_activity_row AFTER INSERT OR UPDATE OR DELETE ON @extschema@.activity_weekly
	FOR EACH ROW EXECUTE FUNCTION @extschema@.churn_activity_row();
CREATE TRIGGER churn_activity_flush AFTER INSERT ON @extschema@.activity_weekly
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.churn_activity_flush();
CREATE TRIGGER churn_activity_truncate AFTER TRUNCATE ON @extschema@.activity_weekly
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.churn_activity_truncated();

-- churn: alerts, their history and remediation -------------------------------

CREATE TABLE @extschema@.churn_alert (
	alert_id           bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id           bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	metric             text NOT NULL CONSTRAINT churn_alert_metric_check CHECK (metric IN ('loan_volume', 'txn_volume', 'txn_count')),
	policy_id          integer REFERENCES @extschema@.churn_policy ON DELETE SET NULL,
	state              text NOT NULL DEFAULT 'open'
	                   CONSTRAINT churn_alert_state_check CHECK (state IN ('open', 'acknowledged', 'in_remediation', 'resolved', 'lost', 'false_alarm')),
	severity           text NOT NULL CONSTRAINT churn_alert_severity_check CHECK (severity IN ('watch', 'warning', 'critical')),
	rule               text NOT NULL,
	first_week         date NOT NULL,
	last_week          date NOT NULL,
	level_drop_pct     double precision,
	cusum              double precision,
	raised_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
	escalated_at       timestamptz,
	closed_at          timestamptz,
	branch_id          integer REFERENCES @extschema@.branch,
	branch_manager_id  integer REFERENCES @extschema@.staff,
	rm_id              integer REFERENCES @extschema@.staff,
	team_id            integer REFERENCES @extschema@.team,
	note               text,
	CONSTRAINT churn_alert_weeks_check CHECK (last_week >= first_week),
	-- the key includes the distribution column (party_id); alert_id, an
	-- identity, leads, so that a lookup by alert_id alone uses the index
	PRIMARY KEY (alert_id, party_id)
);
COMMENT ON TABLE @extschema@.churn_alert IS 'Churn early-warning alerts: at most one active (open, acknowledged, in_remediation) per party and metric; lifecycle through the churn_alert process';
COMMENT ON COLUMN @extschema@.churn_alert.severity IS 'watch, warning or critical; only ever escalated while the alert is active';
COMMENT ON COLUMN @extschema@.churn_alert.rule IS 'The rules that fired when the alert was last raised or escalated: drift, quarter_drop, week_drop, joined by +';
COMMENT ON COLUMN @extschema@.churn_alert.first_week IS 'The week whose evaluation raised the alert';
COMMENT ON COLUMN @extschema@.churn_alert.last_week IS 'The latest week whose evaluation fired a rule for this alert';
COMMENT ON COLUMN @extschema@.churn_alert.level_drop_pct IS 'Percent the last four weeks lay below the reference level at the last evaluation';
COMMENT ON COLUMN @extschema@.churn_alert.branch_manager_id IS 'Task force: the manager of the party''s home branch';
COMMENT ON COLUMN @extschema@.churn_alert.rm_id IS 'Task force: the party''s covering (primary) relationship manager';
COMMENT ON COLUMN @extschema@.churn_alert.team_id IS 'Task force: the relationship manager''s team';
CREATE UNIQUE INDEX churn_alert_one_active ON @extschema@.churn_alert (party_id, metric)
	WHERE state IN ('open', 'acknowledged', 'in_remediation');
CREATE INDEX churn_alert_party_idx ON @extschema@.churn_alert (party_id);
CREATE INDEX churn_alert_active_idx ON @extschema@.churn_alert (branch_id, severity)
	WHERE state IN ('open', 'acknowledged', 'in_remediation');

CREATE TABLE @extschema@.churn_alert_history (
	history_id  bigint GENERATED BY DEFAULT AS IDENTITY,
	alert_id    bigint NOT NULL,
	party_id    bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
	event       text NOT NULL,
	from_state  text,
	to_state    text NOT NULL,
	severity    text NOT NULL,
	actor       name NOT NULL DEFAULT CURRENT_USER,
	note        text,
	PRIMARY KEY (history_id, party_id),
	FOREIGN KEY (alert_id, party_id) REFERENCES @extschema@.churn_alert (alert_id, party_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.churn_alert_history IS 'Every event of every churn alert (raised, escalated, and each state change), written in the same transaction as the change';
CREATE INDEX churn_alert_history_alert_idx ON @extschema@.churn_alert_history (alert_id);

CREATE TABLE @extschema@.churn_remediation (
	remediation_id  bigint GENERATED BY DEFAULT AS IDENTITY,
	alert_id        bigint NOT NULL,
	party_id        bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	action          text NOT NULL CONSTRAINT churn_remediation_action_check CHECK (action IN
	                  ('better_service', 'marketing', 'fee_reduction', 'fee_waiver')),
	staff_id        integer REFERENCES @extschema@.staff,
	taken_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	outcome         text NOT NULL DEFAULT 'pending' CONSTRAINT churn_remediation_outcome_check CHECK (outcome IN
	                  ('pending', 'retained', 'partially_retained', 'no_effect', 'lost')),
	outcome_at      timestamptz,
	note            text,
	PRIMARY KEY (remediation_id, party_id),
	FOREIGN KEY (alert_id, party_id) REFERENCES @extschema@.churn_alert (alert_id, party_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.churn_remediation IS 'What the task force did about a churn alert (better service, marketing, fee reduction or waiver) and what came of it';
CREATE INDEX churn_remediation_alert_idx ON @extschema@.churn_remediation (alert_id);

-- not STRICT: the CASE gives NULL for NULL anyway, and a STRICT SQL function
-- whose body is not strict is never inlined (a function call per row)
CREATE FUNCTION @extschema@.churn_severity_rank(severity text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE severity WHEN 'watch' THEN 1 WHEN 'warning' THEN 2 WHEN 'critical' THEN 3 END;
COMMENT ON FUNCTION @extschema@.churn_severity_rank(text) IS 'Orders churn severities: watch 1, warning 2, critical 3';

-- the alert lifecycle is the churn_alert process of the state-machine engine
-- (50_fsm.sql): the guard refuses any state change that is not one of its
-- transitions and records each one in fsm_history
CREATE TRIGGER churn_alert_state_guard BEFORE INSERT OR UPDATE OF state ON @extschema@.churn_alert
	FOR EACH ROW EXECUTE FUNCTION @extschema@.fsm_guard('churn_alert', 'state');

CREATE FUNCTION @extschema@.churn_alert_fire(alert_id bigint, event text, note text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a record;
	target text;
	-- a value, not now() inside CASE: Citus refuses non-immutable
	-- functions there
	ts timestamptz := pg_catalog.now();
BEGIN
	SELECT c.alert_id, c.party_id, c.state, c.severity INTO a
	  FROM @extschema@.churn_alert c
	 WHERE c.alert_id OPERATOR(pg_catalog.=) churn_alert_fire.alert_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'churn alert % does not exist', churn_alert_fire.alert_id
			USING ERRCODE = 'no_data_found',
			      HINT = 'The alert may belong to a party you do not cover.';
	END IF;
	target := @extschema@.fsm_fire('@extschema@.churn_alert'::regclass, a.alert_id, churn_alert_fire.event,
	                               churn_alert_fire.note);
	UPDATE @extschema@.churn_alert c
	   SET closed_at = CASE WHEN target IN ('resolved', 'lost', 'false_alarm') THEN ts END,
	       note = COALESCE(churn_alert_fire.note, c.note)
	 WHERE c.alert_id OPERATOR(pg_catalog.=) a.alert_id;
	INSERT INTO @extschema@.churn_alert_history (alert_id, party_id, event, from_state, to_state, severity, note)
	VALUES (a.alert_id, a.party_id, churn_alert_fire.event, a.state, target, a.severity, churn_alert_fire.note);
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_alert_fire(bigint, text, text) IS 'Fires an event of the churn_alert process (acknowledge, start_remediation, resolve, lose, dismiss) on an alert through fsm_fire, and logs it in churn_alert_history; returns the new state';

CREATE FUNCTION @extschema@.churn_remediation_log(alert_id bigint, action text, note text DEFAULT NULL,
	staff_id integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a record;
	rid bigint;
BEGIN
	SELECT c.alert_id, c.party_id, c.state INTO a
	  FROM @extschema@.churn_alert c
	 WHERE c.alert_id OPERATOR(pg_catalog.=) churn_remediation_log.alert_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'churn alert % does not exist', churn_remediation_log.alert_id
			USING ERRCODE = 'no_data_found',
			      HINT = 'The alert may belong to a party you do not cover.';
	END IF;
	IF churn_remediation_log.action IS NULL
	   OR churn_remediation_log.action NOT IN ('better_service', 'marketing', 'fee_reduction', 'fee_waiver') THEN
		RAISE EXCEPTION 'unknown remediation action "%"', churn_remediation_log.action
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The actions are better_service, marketing, fee_reduction and fee_waiver.';
	END IF;
	IF a.state NOT IN ('open', 'acknowledged', 'in_remediation') THEN
		RAISE EXCEPTION 'churn alert % is closed', a.alert_id
			USING ERRCODE = 'check_violation',
			      DETAIL = pg_catalog.format('The alert is %s.', a.state),
			      HINT = 'Remediation is logged against an open, acknowledged or in_remediation alert.';
	END IF;
	INSERT INTO @extschema@.churn_remediation (alert_id, party_id, action, staff_id, note)
	VALUES (a.alert_id, a.party_id, churn_remediation_log.action,
	        COALESCE(churn_remediation_log.staff_id, @extschema@.current_staff_id()), churn_remediation_log.note)
	RETURNING remediation_id INTO rid;
	IF a.state OPERATOR(pg_catalog.<>) 'in_remediation' THEN
		PERFORM @extschema@.churn_alert_fire(a.alert_id, 'start_remediation', churn_remediation_log.note);
	END IF;
	RETURN rid;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_remediation_log(bigint, text, text, integer) IS 'Logs a remediation action (better_service, marketing, fee_reduction, fee_waiver) on an active alert and moves it to in_remediation; returns the remediation id';

CREATE FUNCTION @extschema@.churn_remediation_outcome(remediation_id bigint, outcome text, note text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF churn_remediation_outcome.outcome IS NULL
	   OR churn_remediation_outcome.outcome NOT IN ('pending', 'retained', 'partially_retained', 'no_effect', 'lost') THEN
		RAISE EXCEPTION 'unknown remediation outcome "%"', churn_remediation_outcome.outcome
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The outcomes are pending, retained, partially_retained, no_effect and lost.';
	END IF;
	UPDATE @extschema@.churn_remediation r
	   SET outcome = churn_remediation_outcome.outcome,
	       outcome_at = pg_catalog.now(),
	       note = COALESCE(churn_remediation_outcome.note, r.note)
	 WHERE r.remediation_id OPERATOR(pg_catalog.=) churn_remediation_outcome.remediation_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'churn remediation % does not exist', churn_remediation_outcome.remediation_id
			USING ERRCODE = 'no_data_found';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_remediation_outcome(bigint, text, text) IS 'Records the outcome of a remediation action: retained, partially_retained, no_effect or lost';

-- churn: alerts of parties the bank can no longer keep ----------------------

-- Each active alert of the given parties goes to lost through
-- churn_alert_fire (the churn_alert process, fsm_history and
-- churn_alert_history), one alert at a time in alert_id order.
CREATE FUNCTION @extschema@.churn_lose_alerts(party_ids bigint[], note text,
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT a.alert_id, a.party_id, a.metric, a.severity
	           FROM @extschema@.churn_alert a
	          WHERE a.party_id OPERATOR(pg_catalog.=) ANY (churn_lose_alerts.party_ids)
	            AND a.state IN ('open', 'acknowledged', 'in_remediation')
	          ORDER BY a.alert_id
	LOOP
		PERFORM @extschema@.churn_alert_fire(r.alert_id, 'lose', churn_lose_alerts.note);
		alert_id := r.alert_id;
		party_id := r.party_id;
		metric := r.metric;
		severity := r.severity;
		event := 'lost';
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_lose_alerts(bigint[], text) IS 'Fires lose on every active churn alert of the given parties (the churn_alert process, with history and the note); returns the alerts closed';

CREATE FUNCTION @extschema@.churn_close_departed(as_of date DEFAULT NULL, silent_weeks integer DEFAULT 26,
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	upto date := churn_close_departed.as_of;
	closed bigint[];
	silent bigint[];
BEGIN
	IF churn_close_departed.silent_weeks IS NULL OR churn_close_departed.silent_weeks OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'silent_weeks must be at least 1'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'A party silent for this many weeks before as_of has left; 26 is two quarters.';
	END IF;
	-- the parties with an active alert: closed ones, and those whose
	-- activity ended silent_weeks or more before as_of (default: the latest
	-- week of any party's activity)
	IF upto IS NULL THEN
		SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO upto FROM bankcrm_churn.churn_series s;
	END IF;
	closed := ARRAY(SELECT DISTINCT a.party_id
	                  FROM @extschema@.churn_alert a
	                  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
	                 WHERE a.state IN ('open', 'acknowledged', 'in_remediation')
	                   AND p.status OPERATOR(pg_catalog.=) 'closed'
	                   AND (churn_close_departed.as_of IS NULL OR p.closed_on OPERATOR(pg_catalog.<=) churn_close_departed.as_of)
	                 ORDER BY 1);
	RETURN QUERY
	SELECT l.alert_id, l.party_id, l.metric, l.severity, l.event
	  FROM @extschema@.churn_lose_alerts(closed, 'The party closed its relationship with the bank.') l;
	IF upto IS NULL THEN
		RETURN;
	END IF;
	silent := ARRAY(SELECT DISTINCT a.party_id
	                  FROM @extschema@.churn_alert a
	                  JOIN bankcrm_churn.churn_series s ON s.party_id OPERATOR(pg_catalog.=) a.party_id
	                 WHERE a.state IN ('open', 'acknowledged', 'in_remediation')
	                   AND @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.<=)
	                       (upto OPERATOR(pg_catalog.-) (7 OPERATOR(pg_catalog.*) churn_close_departed.silent_weeks))
	                 ORDER BY 1);
	RETURN QUERY
	SELECT l.alert_id, l.party_id, l.metric, l.severity, l.event
	  FROM @extschema@.churn_lose_alerts(silent, pg_catalog.format('No activity for %s weeks or more.',
	                                                               churn_close_departed.silent_weeks)) l;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_close_departed(date, integer) IS 'Closes as lost (the churn_alert process, with history) every active churn alert of a party that is closed (by as_of) or whose activity ended silent_weeks or more before as_of (default: the latest week of any activity); returns the alerts closed';

-- churn: evaluation and alerting -------------------------------------------

CREATE TYPE @extschema@.churn_hit AS (
	party_id        bigint,
	policy_id       integer,
	metric          text,
	week            date,
	severity        text,
	rule            text,
	level_drop_pct  double precision,
	cusum           double precision,
	snooze_weeks    integer
);
COMMENT ON TYPE @extschema@.churn_hit IS 'A metric of a party whose evaluation fired a rule (churn_evaluate_hits returns them, churn_apply_hits consumes them)';

-- the evaluation of many parties in C: the metrics whose rules fire
CREATE FUNCTION @extschema@.churn_evaluate_hits(party_ids bigint[], as_of date)
RETURNS @extschema@.churn_hit[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.churn_evaluate_hits(bigint[], date) IS 'Evaluates parties (NULL: every party with a series) as of a week (NULL: each party''s last week) under their policies and the holiday calendar; returns the metrics whose rules fire (closed parties only for weeks before closed_on), sorted by party and metric, or NULL';

-- Escalates, refreshes or raises the alerts of evaluated hits, logs history,
-- and returns what it did (churn_apply and churn_process_dirty notify).
CREATE FUNCTION @extschema@.churn_apply_hits(hits @extschema@.churn_hit[],
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	-- a value, not now() inside CASE: Citus refuses non-immutable
	-- functions there
	ts timestamptz := pg_catalog.now();
	ids bigint[];
	closed bigint[];
BEGIN
	IF hits IS NULL THEN
		RETURN;
	END IF;
	ids := ARRAY(SELECT DISTINCT x.party_id FROM pg_catalog.unnest(hits) x);

	-- a closed party is no longer the bank's to keep: its active alerts are
	-- lost (through the churn_alert process) and its hits raise nothing
	closed := ARRAY(SELECT p.party_id FROM @extschema@.party p
	                 WHERE p.party_id OPERATOR(pg_catalog.=) ANY (ids) AND p.status OPERATOR(pg_catalog.=) 'closed'
	                 ORDER BY p.party_id);
	IF pg_catalog.cardinality(closed) OPERATOR(pg_catalog.>) 0 THEN
		RETURN QUERY
		SELECT l.alert_id, l.party_id, l.metric, l.severity, l.event
		  FROM @extschema@.churn_lose_alerts(closed, 'The party closed its relationship with the bank.') l;
		hits := ARRAY(SELECT x FROM pg_catalog.unnest(hits) x
		               WHERE x.party_id OPERATOR(pg_catalog.<>) ALL (closed));
		ids := ARRAY(SELECT i FROM pg_catalog.unnest(ids) i WHERE i OPERATOR(pg_catalog.<>) ALL (closed));
		IF pg_catalog.cardinality(hits) OPERATOR(pg_catalog.=) 0 THEN
			RETURN;
		END IF;
	END IF;

	-- escalate active alerts whose severity rose; refresh the others
	RETURN QUERY
	WITH h AS (SELECT * FROM pg_catalog.unnest(hits)),
	cur AS (
		SELECT a.alert_id, a.party_id, a.severity AS old_severity, h.severity AS new_severity, h.rule, h.week,
		       h.level_drop_pct, h.cusum
		  FROM @extschema@.churn_alert a
		  JOIN h ON a.party_id OPERATOR(pg_catalog.=) h.party_id AND a.metric OPERATOR(pg_catalog.=) h.metric
		 WHERE a.state IN ('open', 'acknowledged', 'in_remediation')
	),
	upd AS (
		UPDATE @extschema@.churn_alert a
		   SET severity = CASE WHEN c.up THEN c.new_severity ELSE a.severity END,
		       escalated_at = CASE WHEN c.up THEN ts ELSE a.escalated_at END,
		       rule = CASE WHEN c.up THEN c.rule ELSE a.rule END,
		       last_week = GREATEST(a.last_week, c.week),
		       level_drop_pct = CASE WHEN c.week OPERATOR(pg_catalog.>=) a.last_week THEN c.level_drop_pct ELSE a.level_drop_pct END,
		       cusum = CASE WHEN c.week OPERATOR(pg_catalog.>=) a.last_week THEN c.cusum ELSE a.cusum END
		  FROM (SELECT cur.*, @extschema@.churn_severity_rank(cur.new_severity) OPERATOR(pg_catalog.>)
		                      @extschema@.churn_severity_rank(cur.old_severity) AS up
		          FROM cur) c
		 WHERE a.alert_id OPERATOR(pg_catalog.=) c.alert_id AND a.party_id OPERATOR(pg_catalog.=) c.party_id
		RETURNING a.alert_id, a.party_id, a.metric, a.severity, a.state, c.up
	), logged AS (
		INSERT INTO @extschema@.churn_alert_history (alert_id, party_id, event, from_state, to_state, severity)
		SELECT u.alert_id, u.party_id, 'escalated', u.state, u.state, u.severity FROM upd u WHERE u.up
		RETURNING 1
	)
	SELECT u.alert_id, u.party_id, u.metric, u.severity, 'escalated'::text FROM upd u WHERE u.up;

	-- raise new alerts where none is active and none was closed recently
	RETURN QUERY
	WITH h AS (SELECT * FROM pg_catalog.unnest(hits)),
	ins AS (
		INSERT INTO @extschema@.churn_alert AS a (party_id, metric, policy_id, severity, rule, first_week, last_week,
		                                         level_drop_pct, cusum, branch_id, branch_manager_id, rm_id, team_id)
		SELECT h.party_id, h.metric, h.policy_id, h.severity, h.rule, h.week, h.week, h.level_drop_pct, h.cusum,
		       p.home_branch_id, bm.staff_id, rm.staff_id, rs.team_id
		  FROM h
		  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) h.party_id
		  -- each party's covering relationship manager: its latest primary_rm coverage
		  LEFT JOIN (
		        SELECT DISTINCT ON (c.party_id) c.party_id, c.staff_id
		          FROM @extschema@.coverage c
		         WHERE c.party_id OPERATOR(pg_catalog.=) ANY (ids) AND c.role OPERATOR(pg_catalog.=) 'primary_rm'
		           AND (c.valid_to IS NULL OR c.valid_to OPERATOR(pg_catalog.>=) CURRENT_DATE)
		         ORDER BY c.party_id, c.valid_from DESC, c.coverage_id DESC) rm
		    ON rm.party_id OPERATOR(pg_catalog.=) p.party_id
		  LEFT JOIN @extschema@.staff rs ON rs.staff_id OPERATOR(pg_catalog.=) rm.staff_id
		  -- each branch's manager: the lowest staff_id among its active ones
		  LEFT JOIN (
		        SELECT s.branch_id, pg_catalog.min(s.staff_id) AS staff_id
		          FROM @extschema@.staff s
		         WHERE s.role_kind OPERATOR(pg_catalog.=) 'branch_manager' AND s.active
		         GROUP BY s.branch_id) bm
		    ON bm.branch_id OPERATOR(pg_catalog.=) p.home_branch_id
		 WHERE NOT EXISTS (
		        SELECT 1 FROM @extschema@.churn_alert c
		         WHERE c.party_id OPERATOR(pg_catalog.=) p.party_id AND c.metric OPERATOR(pg_catalog.=) h.metric
		           AND (c.state IN ('open', 'acknowledged', 'in_remediation')
		                OR (c.state IN ('resolved', 'false_alarm')
		                    AND c.last_week OPERATOR(pg_catalog.>=) (h.week OPERATOR(pg_catalog.-) 7 * h.snooze_weeks)
		                    AND @extschema@.churn_severity_rank(c.severity) OPERATOR(pg_catalog.>=)
		                        @extschema@.churn_severity_rank(h.severity))))
		ON CONFLICT (party_id, metric) WHERE state IN ('open', 'acknowledged', 'in_remediation') DO NOTHING
		RETURNING a.alert_id, a.party_id, a.metric, a.severity
	), logged AS (
		INSERT INTO @extschema@.churn_alert_history (alert_id, party_id, event, from_state, to_state, severity)
		SELECT i.alert_id, i.party_id, 'raised', NULL, 'open', i.severity FROM ins i
		RETURNING 1
	)
	SELECT i.alert_id, i.party_id, i.metric, i.severity, 'raised'::text FROM ins i;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_apply_hits(@extschema@.churn_hit[]) IS 'Closes the active alerts of closed parties as lost and drops their hits; escalates active alerts whose severity rose and refreshes the others, raises new alerts with their task force where none is active and none was closed recently at the same or a higher severity, logs history; returns the alerts raised, escalated or lost';

CREATE FUNCTION @extschema@.churn_apply(party_ids bigint[], as_of date,
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT a.alert_id, a.party_id, a.metric, a.severity, a.event
	  FROM @extschema@.churn_apply_hits(@extschema@.churn_evaluate_hits(party_ids, as_of)) a;
END;
COMMENT ON FUNCTION @extschema@.churn_apply(bigint[], date) IS 'Evaluates parties (NULL: all) as of a week (NULL: each party''s last week), raises and escalates alerts with their task force and history; returns the alerts raised or escalated';

-- announce raised and escalated alerts on channel bankcrm_churn
CREATE FUNCTION @extschema@.churn_notify(alert_id bigint, party_id bigint, metric text, severity text, event text)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.pg_notify('bankcrm_churn',
	pg_catalog.json_build_object('alert_id', alert_id, 'party_id', party_id, 'metric', metric,
	                             'severity', severity, 'event', event)::text);
COMMENT ON FUNCTION @extschema@.churn_notify(bigint, bigint, text, text, text) IS 'Sends NOTIFY bankcrm_churn with a JSON payload: alert_id, party_id, metric, severity, event (raised or escalated)';

CREATE FUNCTION @extschema@.churn_scan(week date DEFAULT NULL,
	OUT severity text, OUT parties integer, OUT raised integer, OUT escalated integer, OUT lost integer)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n_raised integer[] := ARRAY[0, 0, 0];
	n_escalated integer[] := ARRAY[0, 0, 0];
	n_lost integer[] := ARRAY[0, 0, 0];
	r record;
	i integer;
BEGIN
	IF churn_scan.week IS NOT NULL AND pg_catalog.date_part('isodow', churn_scan.week) OPERATOR(pg_catalog.<>) 1 THEN
		RAISE EXCEPTION 'week must be a Monday'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = pg_catalog.format('%s is not the first day of an ISO week.', churn_scan.week),
			      HINT = 'Use date_trunc(''week'', d)::date.';
	END IF;
	-- first the parties the bank can no longer keep: their alerts are lost
	FOR r IN SELECT a.alert_id, a.party_id, a.metric, a.severity, a.event
	           FROM @extschema@.churn_close_departed(churn_scan.week) a
	          ORDER BY a.alert_id
	LOOP
		PERFORM @extschema@.churn_notify(r.alert_id, r.party_id, r.metric, r.severity, r.event);
		i := @extschema@.churn_severity_rank(r.severity);
		n_lost[i] := n_lost[i] OPERATOR(pg_catalog.+) 1;
	END LOOP;
	FOR r IN SELECT a.alert_id, a.party_id, a.metric, a.severity, a.event
	           FROM @extschema@.churn_apply(NULL, churn_scan.week) a
	          ORDER BY a.alert_id
	LOOP
		PERFORM @extschema@.churn_notify(r.alert_id, r.party_id, r.metric, r.severity, r.event);
		i := @extschema@.churn_severity_rank(r.severity);
		IF r.event OPERATOR(pg_catalog.=) 'raised' THEN
			n_raised[i] := n_raised[i] OPERATOR(pg_catalog.+) 1;
		ELSIF r.event OPERATOR(pg_catalog.=) 'lost' THEN
			n_lost[i] := n_lost[i] OPERATOR(pg_catalog.+) 1;
		ELSE
			n_escalated[i] := n_escalated[i] OPERATOR(pg_catalog.+) 1;
		END IF;
	END LOOP;
	RETURN QUERY
	WITH active AS (
		SELECT a.party_id, pg_catalog.max(@extschema@.churn_severity_rank(a.severity)) AS rank
		  FROM @extschema@.churn_alert a
		  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
		 WHERE a.state IN ('open', 'acknowledged', 'in_remediation') AND p.status OPERATOR(pg_catalog.<>) 'closed'
		 GROUP BY a.party_id
	)
	SELECT l.severity,
	       (SELECT pg_catalog.count(*) FROM active a WHERE a.rank OPERATOR(pg_catalog.=) l.rank)::integer,
	       n_raised[l.rank], n_escalated[l.rank], n_lost[l.rank]
	  FROM (VALUES ('watch', 1), ('warning', 2), ('critical', 3)) l(severity, rank)
	 ORDER BY l.rank;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_scan(date) IS 'Closes as lost the active alerts of parties closed or silent for 26 weeks (churn_close_departed), evaluates every party as of a week (default: each party''s last week with activity), raises or escalates alerts of the parties the bank can still keep, notifies bankcrm_churn; returns per severity the kept parties with an active alert at that severity and the alerts raised, escalated and lost';

-- the monitor's unit of work: one batch of dirty parties in one transaction
-- (src/churn_monitor.c)
CREATE FUNCTION @extschema@.churn_process_dirty(batch_size integer DEFAULT 1000)
RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.churn_process_dirty(integer) IS 'Takes up to batch_size dirty marks (oldest first, skipping marks another session holds), evaluates those parties as of their last week, raises or escalates alerts and notifies, all in the caller''s transaction; returns the number of parties evaluated';

-- churn: views -------------------------------------------------------------

-- analysts: counts only, no party
CREATE VIEW @extschema@.churn_alert_summary AS
SELECT a.branch_id,
       b.name AS branch_name,
       a.severity,
       a.state,
       pg_catalog.count(*) AS alerts,
       pg_catalog.count(DISTINCT a.party_id) AS parties
  FROM @extschema@.churn_alert a
  LEFT JOIN @extschema@.branch b ON b.branch_id OPERATOR(pg_catalog.=) a.branch_id
 GROUP BY a.branch_id, b.name, a.severity, a.state;
COMMENT ON VIEW @extschema@.churn_alert_summary IS 'Churn alerts counted by branch, severity and state (no party data; for analysts)';
COMMENT ON COLUMN @extschema@.churn_alert_summary.branch_id IS 'Home branch of the alerted parties';
COMMENT ON COLUMN @extschema@.churn_alert_summary.branch_name IS 'That branch''s name';
COMMENT ON COLUMN @extschema@.churn_alert_summary.severity IS 'watch, warning or critical';
COMMENT ON COLUMN @extschema@.churn_alert_summary.state IS 'Alert state';
COMMENT ON COLUMN @extschema@.churn_alert_summary.alerts IS 'Alerts';
COMMENT ON COLUMN @extschema@.churn_alert_summary.parties IS 'Distinct parties';

-- churn: privileges and row-level security -----------------------------------

GRANT USAGE ON SCHEMA bankcrm_churn TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT SELECT ON bankcrm_churn.builtin_holiday TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON @extschema@.churn_policy, @extschema@.churn_holiday, bankcrm_churn.churn_series, bankcrm_churn.churn_dirty,
	@extschema@.churn_alert, @extschema@.churn_alert_history, @extschema@.churn_remediation TO bankcrm_admin;
GRANT SELECT ON @extschema@.churn_alert_summary TO bankcrm_admin;
GRANT SELECT ON @extschema@.churn_policy, @extschema@.churn_holiday
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT SELECT ON @extschema@.churn_alert, @extschema@.churn_alert_history, @extschema@.churn_remediation,
	bankcrm_churn.churn_series TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT UPDATE (state, closed_at, note) ON @extschema@.churn_alert TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT ON @extschema@.churn_alert_history, @extschema@.churn_remediation TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT UPDATE (outcome, outcome_at, note) ON @extschema@.churn_remediation TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT SELECT ON @extschema@.churn_alert_summary TO bankcrm_analyst, bankcrm_manager, bankcrm_app;
GRANT USAGE ON SEQUENCE @extschema@.churn_alert_history_history_id_seq, @extschema@.churn_remediation_remediation_id_seq
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA @extschema@ TO bankcrm_admin;

REVOKE ALL ON FUNCTION @extschema@.churn_lose_alerts(bigint[], text), @extschema@.churn_close_departed(date, integer)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.churn_lose_alerts(bigint[], text), @extschema@.churn_close_departed(date, integer)
	TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.churn_apply(bigint[], date), @extschema@.churn_scan(date),
	@extschema@.churn_process_dirty(integer), @extschema@.churn_evaluate_hits(bigint[], date),
	@extschema@.churn_apply_hits(@extschema@.churn_hit[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.churn_apply(bigint[], date), @extschema@.churn_scan(date),
	@extschema@.churn_process_dirty(integer), @extschema@.churn_evaluate_hits(bigint[], date),
	@extschema@.churn_apply_hits(@extschema@.churn_hit[]) TO bankcrm_admin, bankcrm_app;
-- churn_scan, churn_process_dirty and churn_apply, granted to bankcrm_app,
-- write alerts and marks as the caller
GRANT INSERT, UPDATE ON @extschema@.churn_alert TO bankcrm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON bankcrm_churn.churn_series, bankcrm_churn.churn_dirty TO bankcrm_app;
GRANT USAGE ON SEQUENCE @extschema@.churn_alert_alert_id_seq TO bankcrm_app;
-- one party's figures and the alert workflow: staff and applications, not the analyst
REVOKE ALL ON FUNCTION @extschema@.churn_deviation(bigint, date), @extschema@.churn_alert_fire(bigint, text, text),
	@extschema@.churn_remediation_log(bigint, text, text, integer),
	@extschema@.churn_remediation_outcome(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.churn_deviation(bigint, date), @extschema@.churn_alert_fire(bigint, text, text),
	@extschema@.churn_remediation_log(bigint, text, text, integer),
	@extschema@.churn_remediation_outcome(bigint, text, text) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.churn_activity_row(), @extschema@.churn_activity_flush(),
	@extschema@.churn_activity_truncated() FROM PUBLIC;
-- src/sql/61_churn_model.sql
-- churn probability: features of a party as of a week (series in C, the
-- customer 360 in SQL), an L2-regularised logistic regression trained in
-- the database on the bank's own history of who left, versioned models,
-- point-in-time probabilities and the contribution at risk

CREATE FUNCTION @extschema@.churn_features(series real[], as_of date, policy @extschema@.churn_policy DEFAULT NULL,
	holidays date[] DEFAULT NULL, holidays_prev date[] DEFAULT NULL)
RETURNS double precision[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_features(real[], date, @extschema@.churn_policy, date[], date[]) IS 'A series'' features as of a week, from that week and the weeks before it alone (see churn_feature_names); NULL for a week before the series';

CREATE FUNCTION @extschema@.churn_feature_names()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['txn_level_drop', 'txn_cusum', 'count_level_drop', 'count_cusum', 'loan_level_drop', 'loan_cusum',
             'txn_recent_vs_half_year', 'txn_quarter_slope', 'silent_weeks', 'severity', 'history_years',
             'txn_prev_quarter', 'count_recent_vs_half_year', 'loan_recent_vs_half_year', 'products', 'contribution', 'contacts_26w', 'complaints_52w', 'credit_rating',
             'tenure_years'];
COMMENT ON FUNCTION @extschema@.churn_feature_names() IS 'The names of the churn model''s features, in order: fourteen from the series (churn_features), six from the customer 360';

CREATE FUNCTION @extschema@.churn_logreg_accum(internal, double precision[], boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_logreg_accum(internal, double precision[], boolean, double precision) IS 'churn_logreg transition function';
CREATE FUNCTION @extschema@.churn_logreg_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_logreg_combine(internal, internal) IS 'churn_logreg combine function';
CREATE FUNCTION @extschema@.churn_logreg_serial(internal)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_logreg_serial(internal) IS 'churn_logreg serial function';
CREATE FUNCTION @extschema@.churn_logreg_deserial(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_logreg_deserial(bytea, internal) IS 'churn_logreg deserial function';
CREATE FUNCTION @extschema@.churn_logreg_final(internal)
RETURNS double precision[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_logreg_final(internal) IS 'churn_logreg final function: the fit';

CREATE AGGREGATE @extschema@.churn_logreg(features double precision[], label boolean, lambda double precision) (
	SFUNC = @extschema@.churn_logreg_accum,
	STYPE = internal,
	FINALFUNC = @extschema@.churn_logreg_final,
	COMBINEFUNC = @extschema@.churn_logreg_combine,
	SERIALFUNC = @extschema@.churn_logreg_serial,
	DESERIALFUNC = @extschema@.churn_logreg_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_logreg(double precision[], boolean, double precision) IS 'Fits an L2-regularised logistic regression (Newton''s method on standardised features, lambda the penalty) to the rows; returns the intercept then one coefficient per feature, on the features'' own scale';

CREATE FUNCTION @extschema@.churn_logreg_predict(coef double precision[], features double precision[])
RETURNS double precision
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_logreg_predict(double precision[], double precision[]) IS 'The probability a churn_logreg model gives a row of features';

CREATE TABLE @extschema@.churn_model (
	model_id        integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name            text NOT NULL,
	version         integer NOT NULL,
	trained_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
	trained_by      name NOT NULL DEFAULT CURRENT_USER,
	horizon_weeks   integer NOT NULL CONSTRAINT churn_model_horizon_check CHECK (horizon_weeks BETWEEN 1 AND 104),
	lambda          double precision NOT NULL CONSTRAINT churn_model_lambda_check CHECK (lambda >= 0 AND lambda < 'Infinity'),
	weeks_from      date NOT NULL,
	weeks_to        date NOT NULL,
	step_weeks      integer NOT NULL,
	features        text[] NOT NULL,
	coef            double precision[] NOT NULL,
	rows            bigint NOT NULL,
	positives       bigint NOT NULL,
	train_brier     double precision,
	train_auc       double precision,
	CONSTRAINT churn_model_coef_check CHECK (pg_catalog.cardinality(coef) = pg_catalog.cardinality(features) + 1),
	UNIQUE (name, version)
);
COMMENT ON TABLE @extschema@.churn_model IS 'Churn probability models trained in the database (churn_model_train): each name''s versions, what they were trained on and their coefficients';
COMMENT ON COLUMN @extschema@.churn_model.horizon_weeks IS 'The model gives the probability that the party exits within this many weeks';
COMMENT ON COLUMN @extschema@.churn_model.coef IS 'The intercept, then one coefficient per feature (churn_logreg)';
COMMENT ON COLUMN @extschema@.churn_model.rows IS 'Training rows: corporates active in a training week, one row per party and week';
COMMENT ON COLUMN @extschema@.churn_model.positives IS 'Training rows whose party exited within horizon_weeks';
COMMENT ON COLUMN @extschema@.churn_model.train_brier IS 'Brier score (mean squared error of the probability) on the training rows';
COMMENT ON COLUMN @extschema@.churn_model.train_auc IS 'Area under the ROC curve on the training rows';

-- Per party and week: the features of both kinds and, where known, whether
-- the party exited within horizon weeks.  A party exited in the week after
-- its last week of activity when that lies four weeks or more before the
-- latest week of any party's activity, or when it closed.  The customer
-- 360 is taken as of the week: holdings open then, contacts of the 26
-- weeks and complaints of the 52 weeks before it; the credit rating is the
-- current one (no history of ratings is kept).  Grouped joins by party_id,
-- not LATERAL subqueries, so that the query runs shard by shard on Citus.
CREATE FUNCTION @extschema@.churn_model_rows(weeks date[], horizon_weeks integer, party_ids bigint[] DEFAULT NULL,
	OUT party_id bigint, OUT week date, OUT features double precision[], OUT exited boolean,
	OUT yearly_contribution double precision)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cal record;
	pol @extschema@.churn_policy;
	data_end date;
BEGIN
	IF churn_model_rows.horizon_weeks IS NULL OR churn_model_rows.horizon_weeks NOT BETWEEN 1 AND 104 THEN
		RAISE EXCEPTION 'horizon_weeks must be between 1 and 104'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT c.days, c.prev_days INTO cal FROM @extschema@.churn_calendar() c;
	pol := @extschema@.churn_policy_for('corporate');
	SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO data_end FROM bankcrm_churn.churn_series s;
	RETURN QUERY
	WITH w AS (SELECT DISTINCT u.week FROM pg_catalog.unnest(churn_model_rows.weeks) u(week) WHERE u.week IS NOT NULL),
	pw AS (
		SELECT s.party_id, w.week, s.series, p.onboarded_on, p.credit_rating,
		       CASE WHEN p.closed_on IS NOT NULL
		                 THEN LEAST(p.closed_on, @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.+) 7)
		            WHEN @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.<=) (data_end OPERATOR(pg_catalog.-) 28)
		                 THEN @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.+) 7 END AS exit_week
		  FROM bankcrm_churn.churn_series s
		  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) s.party_id
		  CROSS JOIN w
		 WHERE p.kind OPERATOR(pg_catalog.=) 'corporate'
		   AND (churn_model_rows.party_ids IS NULL OR s.party_id OPERATOR(pg_catalog.=) ANY (churn_model_rows.party_ids))
		   -- a half year of history, and still active in the week
		   AND w.week OPERATOR(pg_catalog.>=)
		       ('2000-01-03'::date OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) (pg_catalog.array_lower(s.series, 2) OPERATOR(pg_catalog.+) 26)))
		   AND w.week OPERATOR(pg_catalog.<=) @extschema@.churn_series_last_week(s.series)),
	hold AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS products,
		       (12 OPERATOR(pg_catalog.*) pg_catalog.sum(h.monthly_contribution))::double precision AS contribution
		  FROM pw JOIN @extschema@.holding h ON h.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE h.opened_on OPERATOR(pg_catalog.<=) pw.week
		   AND (h.closed_on IS NULL OR h.closed_on OPERATOR(pg_catalog.>) pw.week)
		 GROUP BY pw.party_id, pw.week),
	cont AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS n
		  FROM pw JOIN @extschema@.contact c ON c.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE c.occurred_at OPERATOR(pg_catalog.>=) (pw.week OPERATOR(pg_catalog.-) 175)
		   AND c.occurred_at OPERATOR(pg_catalog.<) (pw.week OPERATOR(pg_catalog.+) 7)
		 GROUP BY pw.party_id, pw.week),
	comp AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS n
		  FROM pw JOIN @extschema@.complaint c ON c.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE c.received_at OPERATOR(pg_catalog.>=) (pw.week OPERATOR(pg_catalog.-) 357)
		   AND c.received_at OPERATOR(pg_catalog.<) (pw.week OPERATOR(pg_catalog.+) 7)
		 GROUP BY pw.party_id, pw.week)
	SELECT pw.party_id, pw.week,
	       @extschema@.churn_features(pw.series, pw.week, pol, cal.days, cal.prev_days)
	       OPERATOR(pg_catalog.||) ARRAY[
	           COALESCE(hold.products, 0)::double precision,
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) GREATEST(COALESCE(hold.contribution, 0), 0)) OPERATOR(pg_catalog./) 10::double precision,
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) COALESCE(cont.n, 0)),
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) COALESCE(comp.n, 0)),
	           COALESCE((22 OPERATOR(pg_catalog.-) @extschema@.notch(pw.credit_rating))::double precision OPERATOR(pg_catalog./) 21::double precision, 0.5),
	           LEAST(GREATEST(COALESCE((pw.week OPERATOR(pg_catalog.-) pw.onboarded_on)::double precision
	                                   OPERATOR(pg_catalog./) 365.25::double precision, 0), 0), 30)],
	       CASE WHEN pw.exit_week IS NOT NULL
	                 AND pw.exit_week OPERATOR(pg_catalog.<=) (pw.week OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) churn_model_rows.horizon_weeks)) THEN true
	            WHEN (pw.week OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) churn_model_rows.horizon_weeks)) OPERATOR(pg_catalog.<=) data_end THEN false END,
	       COALESCE(hold.contribution, 0)
	  FROM pw
	  LEFT JOIN hold ON hold.party_id OPERATOR(pg_catalog.=) pw.party_id AND hold.week OPERATOR(pg_catalog.=) pw.week
	  LEFT JOIN cont ON cont.party_id OPERATOR(pg_catalog.=) pw.party_id AND cont.week OPERATOR(pg_catalog.=) pw.week
	  LEFT JOIN comp ON comp.party_id OPERATOR(pg_catalog.=) pw.party_id AND comp.week OPERATOR(pg_catalog.=) pw.week;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_model_rows(date[], integer, bigint[]) IS 'The churn model''s rows: per corporate (of party_ids, NULL: all) active in each week with a half year of history, its features as of the week, whether it exited within horizon_weeks (NULL while unknown) and its yearly contribution';

CREATE FUNCTION @extschema@.churn_model_train(name text, weeks_from date, weeks_to date, horizon_weeks integer DEFAULT 26,
	step_weeks integer DEFAULT 4, lambda double precision DEFAULT 1)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ws date[];
	mid integer;
	r record;
BEGIN
	IF churn_model_train.name IS NULL OR churn_model_train.weeks_from IS NULL OR churn_model_train.weeks_to IS NULL THEN
		RAISE EXCEPTION 'a churn model needs a name and the weeks to train on'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF churn_model_train.step_weeks IS NULL OR churn_model_train.step_weeks < 1 THEN
		RAISE EXCEPTION 'step_weeks must be at least 1'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF churn_model_train.lambda IS NULL OR NOT (churn_model_train.lambda >= 0 AND churn_model_train.lambda < 'Infinity') THEN
		RAISE EXCEPTION 'lambda must be a finite number of at least 0'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	ws := ARRAY(SELECT pg_catalog.date_trunc('week', g)::date
	              FROM pg_catalog.generate_series(churn_model_train.weeks_from, churn_model_train.weeks_to,
	                                              pg_catalog.make_interval(weeks => churn_model_train.step_weeks)) g);
	CREATE TEMP TABLE churn_model_train_rows ON COMMIT DROP AS
	SELECT m.features, m.exited
	  FROM @extschema@.churn_model_rows(ws, churn_model_train.horizon_weeks) m
	 WHERE m.exited IS NOT NULL;
	SELECT pg_catalog.count(*) AS n, pg_catalog.count(*) FILTER (WHERE t.exited) AS pos,
	       @extschema@.churn_logreg(t.features, t.exited, churn_model_train.lambda) AS coef
	  INTO r FROM churn_model_train_rows t;
	IF r.n = 0 OR r.pos = 0 OR r.pos = r.n THEN
		RAISE EXCEPTION 'no churn model can be trained on these weeks'
			USING ERRCODE = 'data_exception',
			      DETAIL = pg_catalog.format('The weeks give %s rows whose outcome is known, %s of them exits.', r.n, r.pos),
			      HINT = 'Train on weeks at least horizon_weeks before the latest activity, in which some parties left.';
	END IF;
	INSERT INTO @extschema@.churn_model (name, version, horizon_weeks, lambda, weeks_from, weeks_to, step_weeks,
	                                     features, coef, rows, positives)
	SELECT churn_model_train.name,
	       COALESCE((SELECT pg_catalog.max(m.version) FROM @extschema@.churn_model m
	                  WHERE m.name OPERATOR(pg_catalog.=) churn_model_train.name), 0) OPERATOR(pg_catalog.+) 1,
	       churn_model_train.horizon_weeks, churn_model_train.lambda, churn_model_train.weeks_from,
	       churn_model_train.weeks_to, churn_model_train.step_weeks, @extschema@.churn_feature_names(), r.coef, r.n, r.pos
	RETURNING model_id INTO mid;
	-- the fit on its own rows: Brier score and the AUC (Mann-Whitney, ties halved)
	UPDATE @extschema@.churn_model m
	   SET train_brier = q.brier, train_auc = q.auc
	  FROM (SELECT pg_catalog.avg((s.p OPERATOR(pg_catalog.-) s.y) OPERATOR(pg_catalog.^) 2) AS brier,
	               (pg_catalog.sum(s.rk) FILTER (WHERE s.y OPERATOR(pg_catalog.=) 1)
	                OPERATOR(pg_catalog.-) ((r.pos::double precision OPERATOR(pg_catalog.*) (r.pos OPERATOR(pg_catalog.+) 1)) OPERATOR(pg_catalog./) 2))
	               OPERATOR(pg_catalog./) (r.pos::double precision OPERATOR(pg_catalog.*) (r.n OPERATOR(pg_catalog.-) r.pos)) AS auc
	          FROM (SELECT x.p, x.y, pg_catalog.avg(x.rn) OVER (PARTITION BY x.p) AS rk
	                  FROM (SELECT @extschema@.churn_logreg_predict(r.coef, t.features) AS p, t.exited::integer AS y,
	                               pg_catalog.row_number() OVER (ORDER BY @extschema@.churn_logreg_predict(r.coef, t.features)) AS rn
	                          FROM churn_model_train_rows t) x) s) q
	 WHERE m.model_id OPERATOR(pg_catalog.=) mid;
	DROP TABLE churn_model_train_rows;
	RETURN mid;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_model_train(text, date, date, integer, integer, double precision) IS 'Trains a new version of a churn probability model in the database: corporates active in every step_weeks-th week from weeks_from to weeks_to whose outcome is known, labelled by whether they exited within horizon_weeks, fitted by churn_logreg with penalty lambda; returns the model_id';

-- the newest model (highest model_id) when none is named
CREATE FUNCTION @extschema@.churn_model_current()
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT pg_catalog.max(m.model_id) FROM @extschema@.churn_model m;
END;
COMMENT ON FUNCTION @extschema@.churn_model_current() IS 'The newest churn model (the highest model_id), NULL when none is trained';

CREATE FUNCTION @extschema@.churn_probability(party_id bigint, week date DEFAULT NULL, model_id integer DEFAULT NULL)
RETURNS double precision
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	coef double precision[];
	horizon integer;
	w date := churn_probability.week;
	p double precision;
BEGIN
	SELECT m.coef, m.horizon_weeks INTO coef, horizon FROM @extschema@.churn_model m
	 WHERE m.model_id OPERATOR(pg_catalog.=) COALESCE(churn_probability.model_id, @extschema@.churn_model_current());
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no churn model %', COALESCE(churn_probability.model_id::text, 'is trained')
			USING ERRCODE = 'no_data_found',
			      HINT = 'Train one with churn_model_train(name, weeks_from, weeks_to).';
	END IF;
	IF w IS NULL THEN
		SELECT @extschema@.churn_series_last_week(s.series) INTO w FROM bankcrm_churn.churn_series s
		 WHERE s.party_id OPERATOR(pg_catalog.=) churn_probability.party_id;
	END IF;
	SELECT @extschema@.churn_logreg_predict(coef, r.features) INTO p
	  FROM @extschema@.churn_model_rows(ARRAY[w], horizon, ARRAY[churn_probability.party_id]) r;
	RETURN p;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_probability(bigint, date, integer) IS 'The probability that a corporate exits within the model''s horizon, as of a week (default: its last week) from the data up to that week, under a model (default: the newest); NULL for a party not active then or with less than a half year of history';

-- the scores of a week, kept for the dashboard and the task force's queue
CREATE TABLE @extschema@.churn_score (
	party_id             bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	week                 date NOT NULL,
	model_id             integer NOT NULL,
	probability          double precision NOT NULL,
	yearly_contribution  double precision NOT NULL,
	at_risk              double precision NOT NULL,
	scored_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (party_id, week, model_id)
);
COMMENT ON TABLE @extschema@.churn_score IS 'Churn probabilities per party, week and model (churn_score_week), with the yearly contribution and the contribution at risk (probability times contribution)';
COMMENT ON COLUMN @extschema@.churn_score.at_risk IS 'Expected yearly contribution lost: probability times yearly_contribution';

CREATE FUNCTION @extschema@.churn_score_week(week date DEFAULT NULL, model_id integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	w date := churn_score_week.week;
	n integer;
BEGIN
	SELECT x.model_id, x.coef, x.horizon_weeks INTO m FROM @extschema@.churn_model x
	 WHERE x.model_id OPERATOR(pg_catalog.=) COALESCE(churn_score_week.model_id, @extschema@.churn_model_current());
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no churn model %', COALESCE(churn_score_week.model_id::text, 'is trained')
			USING ERRCODE = 'no_data_found',
			      HINT = 'Train one with churn_model_train(name, weeks_from, weeks_to).';
	END IF;
	IF w IS NULL THEN
		SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO w FROM bankcrm_churn.churn_series s;
	END IF;
	IF w IS NULL THEN
		RETURN 0;
	END IF;
	IF pg_catalog.date_part('isodow', w) OPERATOR(pg_catalog.<>) 1 THEN
		RAISE EXCEPTION 'week must be a Monday'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = pg_catalog.format('%s is not the first day of an ISO week.', w),
			      HINT = 'Use date_trunc(''week'', d)::date.';
	END IF;
	DELETE FROM @extschema@.churn_score s
	 WHERE s.week OPERATOR(pg_catalog.=) w AND s.model_id OPERATOR(pg_catalog.=) m.model_id;
	INSERT INTO @extschema@.churn_score (party_id, week, model_id, probability, yearly_contribution, at_risk)
	SELECT r.party_id, r.week, m.model_id, x.p, r.yearly_contribution, x.p OPERATOR(pg_catalog.*) r.yearly_contribution
	  FROM @extschema@.churn_model_rows(ARRAY[w], m.horizon_weeks) r,
	       LATERAL (SELECT @extschema@.churn_logreg_predict(m.coef, r.features) AS p) x;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_score_week(date, integer) IS 'Scores every corporate active in a week (default: the latest week of activity) under a model (default: the newest) into churn_score, replacing that week''s scores of the model; returns the parties scored';

CREATE INDEX churn_score_week_idx ON @extschema@.churn_score (week, model_id);

GRANT SELECT ON @extschema@.churn_model TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON @extschema@.churn_model, @extschema@.churn_score TO bankcrm_admin;
GRANT SELECT ON @extschema@.churn_score TO bankcrm_manager, bankcrm_rm, bankcrm_app;
-- the application trains and scores (churn_model_train, churn_score_week)
GRANT INSERT, UPDATE ON @extschema@.churn_model TO bankcrm_app;
GRANT INSERT, DELETE ON @extschema@.churn_score TO bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.churn_model_train(text, date, date, integer, integer, double precision),
	@extschema@.churn_score_week(date, integer), @extschema@.churn_model_rows(date[], integer, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.churn_model_train(text, date, date, integer, integer, double precision),
	@extschema@.churn_score_week(date, integer) TO bankcrm_admin, bankcrm_app;
-- the rows read the customer 360 under the caller's row-level security
GRANT EXECUTE ON FUNCTION @extschema@.churn_model_rows(date[], integer, bigint[])
	TO bankcrm_admin, bankcrm_app, bankcrm_manager, bankcrm_rm;
-- a party's probability: for the roles that see parties
REVOKE ALL ON FUNCTION @extschema@.churn_probability(bigint, date, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.churn_probability(bigint, date, integer)
	TO bankcrm_admin, bankcrm_app, bankcrm_manager, bankcrm_rm;

-- churn: the task force's screen --------------------------------------------

CREATE VIEW @extschema@.churn_dashboard WITH (security_invoker = true) AS
SELECT a.alert_id,
       a.party_id,
       p.name AS party_name,
       p.kind AS party_kind,
       a.branch_id,
       b.name AS branch_name,
       a.severity,
       a.state,
       a.metric,
       a.rule,
       a.first_week,
       a.last_week,
       (GREATEST(a.last_week, @extschema@.churn_series_last_week(s.series)) OPERATOR(pg_catalog.-) a.first_week)
           OPERATOR(pg_catalog./) 7 AS weeks_open,
       pg_catalog.now() OPERATOR(pg_catalog.-) a.raised_at AS age,
       a.level_drop_pct,
       a.rm_id,
       a.branch_manager_id,
       a.team_id,
       @extschema@.churn_sparkline(s.series, a.metric, a.last_week, 26) AS sparkline,
       sc.probability,
       sc.yearly_contribution,
       sc.at_risk AS contribution_at_risk
  FROM @extschema@.churn_alert a
  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
  LEFT JOIN @extschema@.branch b ON b.branch_id OPERATOR(pg_catalog.=) a.branch_id
  LEFT JOIN bankcrm_churn.churn_series s ON s.party_id OPERATOR(pg_catalog.=) a.party_id
  -- the party's latest score, of the newest model that scored that week
  -- (grouped by party_id, the distribution column: on Citus it runs in
  -- the shards)
  LEFT JOIN (SELECT DISTINCT ON (x.party_id) x.party_id, x.probability, x.yearly_contribution, x.at_risk
               FROM @extschema@.churn_score x
              ORDER BY x.party_id, x.week DESC, x.model_id DESC) sc ON sc.party_id OPERATOR(pg_catalog.=) a.party_id
 WHERE a.state IN ('open', 'acknowledged', 'in_remediation') AND p.status OPERATOR(pg_catalog.<>) 'closed';
COMMENT ON VIEW @extschema@.churn_dashboard IS 'Active churn alerts of the parties the bank can still keep (not closed), with branch, severity, age and the last 26 weeks of the alerting metric for sparklines; shows what the caller''s row-level security allows';
COMMENT ON COLUMN @extschema@.churn_dashboard.alert_id IS 'The alert';
COMMENT ON COLUMN @extschema@.churn_dashboard.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.churn_dashboard.party_name IS 'The party''s name';
COMMENT ON COLUMN @extschema@.churn_dashboard.party_kind IS 'The party''s kind';
COMMENT ON COLUMN @extschema@.churn_dashboard.branch_id IS 'The party''s home branch when the alert was raised';
COMMENT ON COLUMN @extschema@.churn_dashboard.branch_name IS 'That branch''s name';
COMMENT ON COLUMN @extschema@.churn_dashboard.severity IS 'watch, warning or critical';
COMMENT ON COLUMN @extschema@.churn_dashboard.state IS 'open, acknowledged or in_remediation';
COMMENT ON COLUMN @extschema@.churn_dashboard.metric IS 'loan_volume, txn_volume or txn_count';
COMMENT ON COLUMN @extschema@.churn_dashboard.rule IS 'The rules that fired';
COMMENT ON COLUMN @extschema@.churn_dashboard.first_week IS 'The week that raised the alert';
COMMENT ON COLUMN @extschema@.churn_dashboard.last_week IS 'The latest week that fired a rule';
COMMENT ON COLUMN @extschema@.churn_dashboard.weeks_open IS 'Weeks from first_week to the party''s latest week of activity (or last_week when later): how long the alert has been open in the data''s time';
COMMENT ON COLUMN @extschema@.churn_dashboard.age IS 'Time since the alert was raised';
COMMENT ON COLUMN @extschema@.churn_dashboard.level_drop_pct IS 'Percent the last four weeks lay below the reference level';
COMMENT ON COLUMN @extschema@.churn_dashboard.rm_id IS 'Task force: covering relationship manager';
COMMENT ON COLUMN @extschema@.churn_dashboard.branch_manager_id IS 'Task force: branch manager';
COMMENT ON COLUMN @extschema@.churn_dashboard.team_id IS 'Task force: the relationship manager''s team';
COMMENT ON COLUMN @extschema@.churn_dashboard.sparkline IS 'The metric over the 26 weeks ending with last_week, oldest first, NULL for a week without a row';
COMMENT ON COLUMN @extschema@.churn_dashboard.probability IS 'The party''s churn probability, from its latest score (churn_score_week; of that week, the newest model''s)';
COMMENT ON COLUMN @extschema@.churn_dashboard.yearly_contribution IS 'The party''s yearly contribution at that score';
COMMENT ON COLUMN @extschema@.churn_dashboard.contribution_at_risk IS 'Expected yearly contribution lost: probability times yearly contribution';

GRANT SELECT ON @extschema@.churn_dashboard TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;

-- the task force's queue: the dashboard's alerts, each branch's ranked by
-- the contribution at risk (sorted on the coordinator on Citus)
CREATE VIEW @extschema@.churn_queue WITH (security_invoker = true) AS
SELECT d.branch_id, d.branch_name, d.alert_id, d.party_id, d.party_name, d.severity, d.state, d.metric, d.rule,
       d.first_week, d.weeks_open, d.level_drop_pct, d.probability, d.yearly_contribution, d.contribution_at_risk,
       d.rm_id, d.branch_manager_id, d.team_id
  FROM @extschema@.churn_dashboard d
 ORDER BY d.branch_id, d.contribution_at_risk DESC NULLS LAST, d.severity OPERATOR(pg_catalog.=) 'critical' DESC,
          d.level_drop_pct DESC NULLS LAST, d.alert_id;
COMMENT ON VIEW @extschema@.churn_queue IS 'The task force''s queue: active alerts of the parties the bank can still keep, by branch, highest contribution at risk (churn probability times yearly contribution) first, then severity and level drop; shows what the caller''s row-level security allows';
COMMENT ON COLUMN @extschema@.churn_queue.branch_id IS 'The party''s home branch when the alert was raised';
COMMENT ON COLUMN @extschema@.churn_queue.branch_name IS 'That branch''s name';
COMMENT ON COLUMN @extschema@.churn_queue.alert_id IS 'The alert';
COMMENT ON COLUMN @extschema@.churn_queue.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.churn_queue.party_name IS 'The party''s name';
COMMENT ON COLUMN @extschema@.churn_queue.severity IS 'watch, warning or critical';
COMMENT ON COLUMN @extschema@.churn_queue.state IS 'open, acknowledged or in_remediation';
COMMENT ON COLUMN @extschema@.churn_queue.metric IS 'loan_volume, txn_volume or txn_count';
COMMENT ON COLUMN @extschema@.churn_queue.rule IS 'The rules that fired';
COMMENT ON COLUMN @extschema@.churn_queue.first_week IS 'The week that raised the alert';
COMMENT ON COLUMN @extschema@.churn_queue.weeks_open IS 'Weeks from first_week to the party''s latest week of activity';
COMMENT ON COLUMN @extschema@.churn_queue.level_drop_pct IS 'Percent the last four weeks lay below the reference level';
COMMENT ON COLUMN @extschema@.churn_queue.probability IS 'The party''s latest churn probability';
COMMENT ON COLUMN @extschema@.churn_queue.yearly_contribution IS 'The party''s yearly contribution at that score';
COMMENT ON COLUMN @extschema@.churn_queue.contribution_at_risk IS 'Probability times yearly contribution';
COMMENT ON COLUMN @extschema@.churn_queue.rm_id IS 'Task force: covering relationship manager';
COMMENT ON COLUMN @extschema@.churn_queue.branch_manager_id IS 'Task force: branch manager';
COMMENT ON COLUMN @extschema@.churn_queue.team_id IS 'Task force: the relationship manager''s team';
GRANT SELECT ON @extschema@.churn_queue TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
-- src/sql/70_dialer.sql
-- outbound dialer: PBXs, per-campaign dial settings, agents, call attempts,
-- the do-not-call list, holidays, the claim and finish functions the worker
-- calls, and the status views.  The worker itself is src/dialer/worker.c;
-- doc/dialer.md is the reference.

-- dialer: PBXs

CREATE TABLE @extschema@.pbx (
	pbx_id          integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name            text NOT NULL UNIQUE,
	host            text NOT NULL,
	port            integer NOT NULL DEFAULT 5038 CONSTRAINT pbx_port_check CHECK (port BETWEEN 1 AND 65535),
	username        text NOT NULL CONSTRAINT pbx_username_check CHECK (username !~ '[\r\n]' AND username <> ''),
	secret          text NOT NULL CONSTRAINT pbx_secret_check CHECK (secret !~ '[\r\n]' AND secret <> ''),
	max_channels    integer NOT NULL DEFAULT 30 CONSTRAINT pbx_max_channels_check CHECK (max_channels > 0),
	max_cps         double precision NOT NULL DEFAULT 10
	                CONSTRAINT pbx_max_cps_check CHECK (max_cps > 0 AND max_cps <= 100000),
	autostart       boolean NOT NULL DEFAULT false,
	clock_offset    interval NOT NULL DEFAULT '0',
	created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.pbx IS 'Asterisk PBXs the dialer connects to over AMI; one dialer worker per row; readable by bankcrm_admin only (it holds the manager secret)';
COMMENT ON COLUMN @extschema@.pbx.host IS 'Host name or IPv4/IPv6 address of the AMI listener';
COMMENT ON COLUMN @extschema@.pbx.username IS 'AMI manager user (manager.conf section name)';
COMMENT ON COLUMN @extschema@.pbx.secret IS 'AMI manager secret; sent only as an MD5 challenge response when the PBX offers it; never logged';
COMMENT ON COLUMN @extschema@.pbx.max_channels IS 'Most calls this PBX may carry for the dialer at once';
COMMENT ON COLUMN @extschema@.pbx.max_cps IS 'Most Originate actions per second (token bucket, burst of one tenth of a second)';
COMMENT ON COLUMN @extschema@.pbx.autostart IS 'Start this PBX''s dialer worker at server start (database bankcrm.database)';
COMMENT ON COLUMN @extschema@.pbx.clock_offset IS 'Shifts the clock used for calling-window decisions of this PBX''s attempts; zero in production, set by tests and drills';

-- dialer: per-campaign settings

CREATE TABLE @extschema@.dial_settings (
	campaign_id       bigint PRIMARY KEY REFERENCES @extschema@.campaign ON DELETE CASCADE,
	pbx_id            integer NOT NULL REFERENCES @extschema@.pbx,
	mode              text NOT NULL DEFAULT 'progressive'
	                  CONSTRAINT dial_settings_mode_check CHECK (mode IN ('preview', 'progressive')),
	active            boolean NOT NULL DEFAULT true,
	max_concurrent    integer NOT NULL DEFAULT 10 CONSTRAINT dial_settings_max_concurrent_check CHECK (max_concurrent > 0),
	dial_timeout_ms   integer NOT NULL DEFAULT 30000
	                  CONSTRAINT dial_settings_dial_timeout_check CHECK (dial_timeout_ms BETWEEN 1000 AND 600000),
	caller_id         text CONSTRAINT dial_settings_caller_id_check CHECK (caller_id !~ '[\r\n]'),
	customer_channel  text NOT NULL DEFAULT 'Local/{number}@crm-out'
	                  CONSTRAINT dial_settings_customer_channel_check CHECK (customer_channel ~ '^[^/\r\n]+/.*\{(number|e164)\}' AND customer_channel !~ '[\r\n]'),
	customer_context  text NOT NULL DEFAULT 'crm-out' CONSTRAINT dial_settings_customer_context_check CHECK (customer_context ~ '^[A-Za-z0-9_.-]+$'),
	agent_context     text NOT NULL DEFAULT 'crm-agent' CONSTRAINT dial_settings_agent_context_check CHECK (agent_context ~ '^[A-Za-z0-9_.-]+$'),
	agent_endpoint    text NOT NULL DEFAULT 'Local/{agent}@crm-agent'
	                  CONSTRAINT dial_settings_agent_endpoint_check CHECK (agent_endpoint ~ '^[^/\r\n]+/.*\{agent\}' AND agent_endpoint !~ '[\r\n]'),
	window_start      time NOT NULL DEFAULT '09:00',
	window_end        time NOT NULL DEFAULT '20:00',
	call_days         integer[] NOT NULL DEFAULT '{1,2,3,4,5,6}'
	                  CONSTRAINT dial_settings_call_days_check CHECK (call_days <@ '{1,2,3,4,5,6,7}' AND cardinality(call_days) > 0),
	skip_holidays     boolean NOT NULL DEFAULT true,
	max_attempts      integer NOT NULL DEFAULT 3 CONSTRAINT dial_settings_max_attempts_check CHECK (max_attempts BETWEEN 1 AND 100),
	CONSTRAINT dial_settings_window_check CHECK (window_end > window_start)
);
COMMENT ON TABLE @extschema@.dial_settings IS 'How the dialer calls the leads of one campaign: mode, PBX, limits, channel templates, calling window, attempts';
COMMENT ON COLUMN @extschema@.dial_settings.mode IS 'preview: an agent clicks dial(lead_id), the agent''s phone rings first; progressive: the worker dials one queued attempt per ready agent';
COMMENT ON COLUMN @extschema@.dial_settings.active IS 'false stops the worker from starting new calls for this campaign (queued attempts wait); so does a campaign state other than active';
COMMENT ON COLUMN @extschema@.dial_settings.max_concurrent IS 'Most calls of this campaign in flight at once';
COMMENT ON COLUMN @extschema@.dial_settings.dial_timeout_ms IS 'How long the customer''s phone may ring (Originate Timeout)';
COMMENT ON COLUMN @extschema@.dial_settings.caller_id IS 'CallerID of the call, e.g. "Bank" <95599>; NULL leaves the PBX default';
COMMENT ON COLUMN @extschema@.dial_settings.customer_channel IS 'Channel that reaches the customer; {number} is the national number, {e164} the country code and national number';
COMMENT ON COLUMN @extschema@.dial_settings.customer_context IS 'Dialplan context that dials the customer''s number (preview mode: Context of the Originate)';
COMMENT ON COLUMN @extschema@.dial_settings.agent_context IS 'Dialplan context that connects an answered customer to the agent''s extension (progressive mode)';
COMMENT ON COLUMN @extschema@.dial_settings.agent_endpoint IS 'Channel that rings the agent''s phone in preview mode; {agent} is the agent''s extension';
COMMENT ON COLUMN @extschema@.dial_settings.window_start IS 'Earliest local time of the customer (region time zone) a call may start';
COMMENT ON COLUMN @extschema@.dial_settings.window_end IS 'Local time of the customer from which no call starts';
COMMENT ON COLUMN @extschema@.dial_settings.call_days IS 'ISO days of the week (1 = Monday) on which calls are allowed';
COMMENT ON COLUMN @extschema@.dial_settings.skip_holidays IS 'No calls on the days of the holiday table (national or the customer''s region)';
COMMENT ON COLUMN @extschema@.dial_settings.max_attempts IS 'Most attempts per lead, retries included';
CREATE INDEX dial_settings_pbx_idx ON @extschema@.dial_settings (pbx_id);

CREATE TABLE @extschema@.dial_retry_rule (
	campaign_id  bigint NOT NULL REFERENCES @extschema@.dial_settings ON DELETE CASCADE,
	outcome      text NOT NULL CONSTRAINT dial_retry_rule_outcome_check CHECK (outcome IN
	               ('no_answer', 'busy', 'congestion', 'failed', 'unknown')),
	delay        interval NOT NULL CONSTRAINT dial_retry_rule_delay_check CHECK (delay >= '0'),
	PRIMARY KEY (campaign_id, outcome)
);
COMMENT ON TABLE @extschema@.dial_retry_rule IS 'Retry rules of progressive campaigns: after an attempt with this outcome, a new attempt is queued after the delay (up to max_attempts); no row, no retry';

CREATE TABLE @extschema@.dialer_agent (
	staff_id     integer PRIMARY KEY REFERENCES @extschema@.staff,
	campaign_id  bigint REFERENCES @extschema@.dial_settings ON DELETE SET NULL,
	extension    text NOT NULL CONSTRAINT dialer_agent_extension_check CHECK (extension ~ '^[A-Za-z0-9_.+*#-]+$'),
	state        text NOT NULL DEFAULT 'offline'
	             CONSTRAINT dialer_agent_state_check CHECK (state IN ('offline', 'ready', 'on_call')),
	attempt_id   bigint,
	since        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT dialer_agent_call_check CHECK ((state = 'on_call') = (attempt_id IS NOT NULL))
);
COMMENT ON TABLE @extschema@.dialer_agent IS 'Call-centre agents: their PBX extension, the campaign they work and whether they are ready for a progressive call';
COMMENT ON COLUMN @extschema@.dialer_agent.extension IS 'The agent''s extension: Exten of a progressive Originate, {agent} of agent_endpoint in preview mode';
COMMENT ON COLUMN @extschema@.dialer_agent.state IS 'offline, ready (the worker may connect the next progressive call) or on_call (attempt_id)';

-- dialer: do-not-call list and holidays

CREATE TABLE @extschema@.dnc (
	phone     @extschema@.phone PRIMARY KEY,
	reason    text,
	added_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.dnc IS 'Do-not-call list: numbers the dialer never calls, checked at the moment of dialing';

CREATE TABLE @extschema@.holiday (
	day          date NOT NULL,
	region_code  text REFERENCES @extschema@.region,
	name         text NOT NULL
);
COMMENT ON TABLE @extschema@.holiday IS 'Public holidays: no dialing on these days (region_code NULL = nationwide) in campaigns with skip_holidays';
CREATE UNIQUE INDEX holiday_day_region_idx ON @extschema@.holiday (day, COALESCE(region_code, ''));

-- dialer: call attempts

CREATE TABLE @extschema@.call_attempt (
	attempt_id    bigint GENERATED BY DEFAULT AS IDENTITY,
	campaign_id   bigint NOT NULL REFERENCES @extschema@.dial_settings ON DELETE CASCADE,
	lead_id       bigint,
	party_id      bigint NOT NULL REFERENCES @extschema@.party,
	phone         @extschema@.phone NOT NULL,
	pbx_id        integer NOT NULL REFERENCES @extschema@.pbx,
	mode          text NOT NULL CONSTRAINT call_attempt_mode_check CHECK (mode IN ('preview', 'progressive')),
	staff_id      integer REFERENCES @extschema@.staff,
	attempt_no    integer NOT NULL DEFAULT 1 CONSTRAINT call_attempt_no_check CHECK (attempt_no > 0),
	state         text NOT NULL DEFAULT 'queued'
	              CONSTRAINT call_attempt_state_check CHECK (state IN ('queued', 'dialing', 'done', 'blocked', 'cancelled')),
	due_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	dialed_at     timestamptz,
	sent_at       timestamptz,
	answered_at   timestamptz,
	ended_at      timestamptz,
	outcome       text CONSTRAINT call_attempt_outcome_check CHECK (outcome IN
	                ('answered', 'busy', 'no_answer', 'congestion', 'failed', 'invalid_number', 'unknown')),
	reason        integer,
	dial_status   text,
	hangup_cause  integer,
	ring_ms       integer CONSTRAINT call_attempt_ring_check CHECK (ring_ms >= 0),
	talk_ms       integer CONSTRAINT call_attempt_talk_check CHECK (talk_ms >= 0),
	detail        text,
	contact_id    bigint,
	created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT call_attempt_outcome_state_check CHECK ((state = 'done') = (outcome IS NOT NULL)),
	CONSTRAINT call_attempt_dialed_check CHECK (state IN ('queued', 'blocked', 'cancelled') OR dialed_at IS NOT NULL),
	-- keys of a party's rows include party_id (doc/scale-out.md)
	PRIMARY KEY (attempt_id, party_id),
	FOREIGN KEY (lead_id, party_id) REFERENCES @extschema@.lead (lead_id, party_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.call_attempt IS 'One row per call the dialer makes or will make: queued, dialing (committed before the Originate is sent), then done with its outcome; blocked or cancelled ones were never dialed';
COMMENT ON COLUMN @extschema@.call_attempt.state IS 'queued, dialing, done, blocked (do-not-call or no consent at the moment of dialing) or cancelled';
COMMENT ON COLUMN @extschema@.call_attempt.due_at IS 'Earliest time the worker may dial; moved to the next calling window when it is closed';
COMMENT ON COLUMN @extschema@.call_attempt.dialed_at IS 'When the worker committed the attempt as dialing, just before sending its Originate';
COMMENT ON COLUMN @extschema@.call_attempt.sent_at IS 'When the Originate was written to the socket (NULL if the worker died before recording it)';
COMMENT ON COLUMN @extschema@.call_attempt.reason IS 'OriginateResponse Reason (AST_CONTROL_*), NULL if none arrived';
COMMENT ON COLUMN @extschema@.call_attempt.dial_status IS 'DialEnd DialStatus, NULL if none arrived';
COMMENT ON COLUMN @extschema@.call_attempt.hangup_cause IS 'Q.850 cause of the customer leg''s Hangup, NULL if none arrived';
COMMENT ON COLUMN @extschema@.call_attempt.ring_ms IS 'From sending the Originate to the answer (or to the end of an unanswered call)';
COMMENT ON COLUMN @extschema@.call_attempt.talk_ms IS 'From the answer to the customer''s hangup';
COMMENT ON COLUMN @extschema@.call_attempt.detail IS 'Why an attempt was blocked, failed or is unknown, in words';
COMMENT ON COLUMN @extschema@.call_attempt.contact_id IS 'The contact row this attempt wrote';
CREATE INDEX call_attempt_due_idx ON @extschema@.call_attempt (pbx_id, due_at) WHERE state = 'queued';
CREATE INDEX call_attempt_dialing_idx ON @extschema@.call_attempt (pbx_id) WHERE state = 'dialing';
CREATE INDEX call_attempt_campaign_idx ON @extschema@.call_attempt (campaign_id, state);
CREATE INDEX call_attempt_lead_idx ON @extschema@.call_attempt (lead_id);
-- never two calls to one party at once, never two open attempts for one lead
CREATE UNIQUE INDEX call_attempt_party_live_idx ON @extschema@.call_attempt (party_id) WHERE state = 'dialing';
CREATE UNIQUE INDEX call_attempt_lead_open_idx ON @extschema@.call_attempt (lead_id, party_id) WHERE state IN ('queued', 'dialing');

-- lead events that failed where nothing may stop: kept for an operator to see and replay
CREATE TABLE @extschema@.lead_event_failure (
	failure_id   bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id     bigint NOT NULL,
	lead_id      bigint NOT NULL,
	event        text NOT NULL,
	note         text,
	at           timestamptz,
	sqlstate     text NOT NULL,
	error        text NOT NULL,
	failed_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	tries        integer NOT NULL DEFAULT 1,
	replayed_at  timestamptz,
	-- keys of a party's rows include party_id (doc/scale-out.md)
	PRIMARY KEY (failure_id, party_id),
	FOREIGN KEY (lead_id, party_id) REFERENCES @extschema@.lead (lead_id, party_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.lead_event_failure IS 'Lead events the dialer could not fire (a call''s outcome, a do-not-call block): the call is recorded all the same, the event waits here for lead_event_replay(); replayed_at is set once it went through';
COMMENT ON COLUMN @extschema@.lead_event_failure.at IS 'The time the event is dated (the end of the call)';
COMMENT ON COLUMN @extschema@.lead_event_failure.error IS 'The last error, with its SQLSTATE in sqlstate';
COMMENT ON COLUMN @extschema@.lead_event_failure.tries IS 'How many times it was tried, the first included';
CREATE INDEX lead_event_failure_pending_idx ON @extschema@.lead_event_failure (failed_at) WHERE replayed_at IS NULL;

-- fire a lead event; on failure keep it in lead_event_failure (never lost, never silent)
CREATE FUNCTION @extschema@.lead_fire_or_keep(lead_id bigint, party_id bigint, event text, note text, at timestamptz)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	st   text;
	msg  text;
BEGIN
	PERFORM @extschema@.lead_fire(lead_fire_or_keep.lead_id, lead_fire_or_keep.event, lead_fire_or_keep.note,
	                              lead_fire_or_keep.at);
	RETURN true;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	INSERT INTO @extschema@.lead_event_failure (party_id, lead_id, event, note, at, sqlstate, error)
	VALUES (lead_fire_or_keep.party_id, lead_fire_or_keep.lead_id, lead_fire_or_keep.event, lead_fire_or_keep.note,
	        lead_fire_or_keep.at, st, msg);
	RAISE WARNING 'lead % did not take event "%": %', lead_fire_or_keep.lead_id, lead_fire_or_keep.event, msg
		USING HINT = 'It is kept in bankcrm.lead_event_failure; fix the cause, then run bankcrm.lead_event_replay().';
	RETURN false;
END
$$;
COMMENT ON FUNCTION @extschema@.lead_fire_or_keep(bigint, bigint, text, text, timestamptz) IS 'Worker only: fires a lead event; if it fails, records it in lead_event_failure with the error and returns false';

-- replay the kept lead events (all pending ones, or one)
CREATE FUNCTION @extschema@.lead_event_replay(failure_id bigint DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f    record;
	n    integer := 0;
	st   text;
	msg  text;
BEGIN
	FOR f IN
		SELECT * FROM @extschema@.lead_event_failure x
		 WHERE x.replayed_at IS NULL AND (lead_event_replay.failure_id IS NULL OR x.failure_id = lead_event_replay.failure_id)
		 ORDER BY x.failed_at, x.failure_id
		   FOR UPDATE
	LOOP
		BEGIN
			PERFORM @extschema@.lead_fire(f.lead_id, f.event, f.note, f.at);
			UPDATE @extschema@.lead_event_failure x SET replayed_at = pg_catalog.now(), tries = x.tries + 1
			 WHERE x.party_id = f.party_id AND x.failure_id = f.failure_id;
			n := n + 1;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
			UPDATE @extschema@.lead_event_failure x SET tries = x.tries + 1, sqlstate = st, error = msg
			 WHERE x.party_id = f.party_id AND x.failure_id = f.failure_id;
		END;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.lead_event_replay(bigint) IS 'Fires again the lead events kept in lead_event_failure (all pending ones, or the one given); returns how many went through; those that fail again keep their row with the new error';

-- written by the worker: one row per PBX
CREATE TABLE @extschema@.dialer_state (
	pbx_id           integer PRIMARY KEY REFERENCES @extschema@.pbx ON DELETE CASCADE,
	pid              integer,
	state            text NOT NULL,
	started_at       timestamptz,
	connected_since  timestamptz,
	last_error       text,
	last_error_at    timestamptz,
	reconnects       integer NOT NULL DEFAULT 0,
	updated_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.dialer_state IS 'What each PBX''s dialer worker last reported: connection state, since when, the last error';

-- dialer: functions

-- the channel string of a template: {number} national, {e164} with the country code
CREATE FUNCTION @extschema@.dial_channel(template text, phone @extschema@.phone)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.replace(pg_catalog.replace(template, '{number}', @extschema@.national_number(phone)),
                          '{e164}', @extschema@.country_code(phone)::text || @extschema@.national_number(phone));
COMMENT ON FUNCTION @extschema@.dial_channel(text, @extschema@.phone) IS 'Fills a channel template: {number} becomes the national number, {e164} the country code followed by the national number';

-- the first moment at or after "at" inside the campaign's calling window in
-- the party's local time, looking 15 days ahead; NULL if there is none
CREATE FUNCTION @extschema@.dial_next_window(campaign_id bigint, party_id bigint, at timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no parameterized SQL function over a distributed table
	RETURN (
		SELECT min(GREATEST((d.day + s.window_start) AT TIME ZONE r.tz, dial_next_window.at))
		  FROM @extschema@.dial_settings s,
		       @extschema@.party p
		  JOIN @extschema@.region r ON r.region_code = p.region_code,
		       LATERAL (SELECT g::date AS day
		                  FROM pg_catalog.generate_series((dial_next_window.at AT TIME ZONE r.tz)::date,
		                                                  (dial_next_window.at AT TIME ZONE r.tz)::date + 14,
		                                                  interval '1 day') g) d
		 WHERE s.campaign_id = dial_next_window.campaign_id
		   AND p.party_id = dial_next_window.party_id
		   AND pg_catalog.date_part('isodow', d.day)::integer = ANY (s.call_days)
		   AND (d.day + s.window_end) AT TIME ZONE r.tz > dial_next_window.at
		   AND NOT (s.skip_holidays AND EXISTS (
		         SELECT 1 FROM @extschema@.holiday h
		          WHERE h.day = d.day AND (h.region_code IS NULL OR h.region_code = p.region_code))));
END
$$;
COMMENT ON FUNCTION @extschema@.dial_next_window(bigint, bigint, timestamptz) IS 'First moment at or after the given time inside the campaign''s calling window in the party''s local time (region time zone, call days, holidays); the time itself when the window is open, NULL when nothing opens within 15 days';

-- a lead in a final state of its process (won, lost, do_not_call) is never dialed
CREATE FUNCTION @extschema@.dial_check_lead_open(lead_id bigint, process_name text, state text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM @extschema@.process_transition t
	                WHERE t.process_name = dial_check_lead_open.process_name
	                  AND t.from_state = dial_check_lead_open.state) THEN
		RAISE EXCEPTION 'lead % is closed: its state "%" is final', dial_check_lead_open.lead_id, dial_check_lead_open.state
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'A lead that was won, lost or asked not to be called is not dialed again.',
			      HINT = 'Open a lead for the party in another campaign to call it again.';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.dial_check_lead_open(bigint, text, text) IS 'Raises 55000 when the lead''s state is final in its process (no transition leaves it); dial() and dialer_queue() call it';

-- queue one attempt for a lead (progressive campaigns; tests; imports)
CREATE FUNCTION @extschema@.dialer_queue(campaign_id bigint, party_id bigint,
		due_at timestamptz DEFAULT pg_catalog.now(), lead_id bigint DEFAULT NULL, phone @extschema@.phone DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s   @extschema@.dial_settings;
	ph  @extschema@.phone := dialer_queue.phone;
	ld  record;
	id  bigint;
	n   integer;
BEGIN
	SELECT * INTO s FROM @extschema@.dial_settings d WHERE d.campaign_id = dialer_queue.campaign_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign % has no dial settings', dialer_queue.campaign_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'Insert a row into dial_settings for the campaign first.';
	END IF;
	-- only a party that exists, only as a lead of this campaign, only while the lead is open
	IF NOT EXISTS (SELECT 1 FROM @extschema@.party p WHERE p.party_id = dialer_queue.party_id) THEN
		RAISE EXCEPTION 'party % does not exist', dialer_queue.party_id
			USING ERRCODE = 'foreign_key_violation',
			      HINT = 'Calls are queued for parties of bankcrm.party only.';
	END IF;
	SELECT l.lead_id, l.state, l.process_name INTO ld
	  FROM @extschema@.lead l
	 WHERE l.party_id = dialer_queue.party_id AND l.campaign_id = dialer_queue.campaign_id
	   AND (dialer_queue.lead_id IS NULL OR l.lead_id = dialer_queue.lead_id);
	IF NOT FOUND THEN
		IF dialer_queue.lead_id IS NULL THEN
			RAISE EXCEPTION 'party % is not a lead of campaign %', dialer_queue.party_id, dialer_queue.campaign_id
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = 'Generate the campaign''s leads (campaign_generate_leads) or insert the lead first.';
		END IF;
		RAISE EXCEPTION 'lead % is not the lead of party % in campaign %', dialer_queue.lead_id,
			dialer_queue.party_id, dialer_queue.campaign_id
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Pass the lead_id of the party in this campaign, or NULL to use it.';
	END IF;
	PERFORM @extschema@.dial_check_lead_open(ld.lead_id, ld.process_name, ld.state);
	IF ph IS NULL THEN
		SELECT pp.phone INTO ph
		  FROM @extschema@.party_phone pp
		 WHERE pp.party_id = dialer_queue.party_id AND pp.kind <> 'fax'
		 ORDER BY pp.is_primary DESC, pp.verified DESC, pp.phone
		 LIMIT 1;
		IF ph IS NULL THEN
			RAISE EXCEPTION 'party % has no phone number to dial', dialer_queue.party_id
				USING ERRCODE = 'no_data_found';
		END IF;
	END IF;
	-- the attempt number first: Citus takes no subquery in an INSERT's VALUES
	SELECT 1 + pg_catalog.count(*) INTO n
	  FROM @extschema@.call_attempt a
	 WHERE a.party_id = dialer_queue.party_id AND a.lead_id = ld.lead_id AND a.state = 'done';
	INSERT INTO @extschema@.call_attempt (campaign_id, lead_id, party_id, phone, pbx_id, mode, due_at, attempt_no)
	VALUES (s.campaign_id, ld.lead_id, dialer_queue.party_id, ph, s.pbx_id, 'progressive', dialer_queue.due_at, n)
	RETURNING attempt_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_queue(bigint, bigint, timestamptz, bigint, @extschema@.phone) IS 'Queues a progressive call attempt to a party that is an open lead of the campaign (its primary phone unless one is given), due at the given time; returns the attempt id; refuses a party that does not exist (23503), is not a lead of the campaign (22023) or whose lead is closed (55000)';

-- progressive campaigns: an attempt for every lead waiting for a call
CREATE FUNCTION @extschema@.dialer_enqueue(campaign_id bigint, due_at timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM @extschema@.dial_settings d WHERE d.campaign_id = dialer_enqueue.campaign_id) THEN
		RAISE EXCEPTION 'campaign % has no dial settings', dialer_enqueue.campaign_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'Insert a row into dial_settings for the campaign first.';
	END IF;
	INSERT INTO @extschema@.call_attempt (campaign_id, lead_id, party_id, phone, pbx_id, mode, due_at, attempt_no)
	SELECT s.campaign_id, l.lead_id, l.party_id, ph.phone, s.pbx_id, 'progressive', dialer_enqueue.due_at,
	       1 + (SELECT count(*) FROM @extschema@.call_attempt a WHERE a.lead_id = l.lead_id AND a.state = 'done')
	  FROM @extschema@.dial_settings s
	  JOIN @extschema@.lead l ON l.campaign_id = s.campaign_id
	  CROSS JOIN LATERAL (
	        SELECT pp.phone FROM @extschema@.party_phone pp
	         WHERE pp.party_id = l.party_id AND pp.kind <> 'fax'
	         ORDER BY pp.is_primary DESC, pp.verified DESC, pp.phone
	         LIMIT 1) ph
	 WHERE s.campaign_id = dialer_enqueue.campaign_id
	   -- the lead's state takes a call outcome (outbound_sale: first_call, follow_up_call)
	   AND EXISTS (SELECT 1 FROM @extschema@.process_transition t
	                WHERE t.process_name = l.process_name AND t.from_state = l.state AND t.event = 'call_answered')
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.call_attempt a
	                    WHERE a.lead_id = l.lead_id AND a.state IN ('queued', 'dialing'))
	   AND (SELECT count(*) FROM @extschema@.call_attempt a WHERE a.lead_id = l.lead_id AND a.state = 'done') < s.max_attempts;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_enqueue(bigint, timestamptz) IS 'Queues a progressive attempt for every lead of the campaign whose state takes a call outcome, that has no open attempt and attempts left; returns how many';

-- preview mode: the agent behind the current role (or the lead's assignee) clicks dial
CREATE FUNCTION @extschema@.dial(lead_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	l      record;
	s      @extschema@.dial_settings;
	agent  integer;
	ph     @extschema@.phone;
	id     bigint;
	n      integer;
BEGIN
	SELECT ld.campaign_id, ld.party_id, ld.assigned_to, ld.process_name, ld.state INTO l
	  FROM @extschema@.lead ld WHERE ld.lead_id = dial.lead_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'lead % does not exist', dial.lead_id USING ERRCODE = 'no_data_found';
	END IF;
	PERFORM @extschema@.dial_check_lead_open(dial.lead_id, l.process_name, l.state);
	agent := COALESCE(@extschema@.current_staff_id(), l.assigned_to);
	IF @extschema@.current_staff_id() IS NOT NULL AND l.assigned_to IS DISTINCT FROM agent THEN
		RAISE EXCEPTION 'lead % is not assigned to you', dial.lead_id
			USING ERRCODE = 'insufficient_privilege',
			      DETAIL = 'Only the agent the lead is assigned to may dial it.';
	END IF;
	SELECT * INTO s FROM @extschema@.dial_settings d WHERE d.campaign_id = l.campaign_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign % has no dial settings', l.campaign_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'Insert a row into dial_settings for the campaign first.';
	END IF;
	IF agent IS NULL OR NOT EXISTS (SELECT 1 FROM @extschema@.dialer_agent g WHERE g.staff_id = agent) THEN
		RAISE EXCEPTION 'no agent extension to ring for lead %', dial.lead_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Add the agent to dialer_agent with the extension of their phone.';
	END IF;
	SELECT pp.phone INTO ph
	  FROM @extschema@.party_phone pp
	 WHERE pp.party_id = l.party_id AND pp.kind <> 'fax'
	 ORDER BY pp.is_primary DESC, pp.verified DESC, pp.phone
	 LIMIT 1;
	IF ph IS NULL THEN
		RAISE EXCEPTION 'party % has no phone number to dial', l.party_id USING ERRCODE = 'no_data_found';
	END IF;
	-- the attempt number first: Citus takes no subquery in an INSERT's VALUES
	SELECT 1 + pg_catalog.count(*) INTO n
	  FROM @extschema@.call_attempt a
	 WHERE a.party_id = l.party_id AND a.lead_id = dial.lead_id AND a.state = 'done';
	BEGIN
		INSERT INTO @extschema@.call_attempt (campaign_id, lead_id, party_id, phone, pbx_id, mode, staff_id, attempt_no)
		VALUES (l.campaign_id, dial.lead_id, l.party_id, ph, s.pbx_id, 'preview', agent, n)
		RETURNING attempt_id INTO id;
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'lead % already has a call queued or in progress', dial.lead_id
			USING ERRCODE = 'object_in_use';
	END;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.dial(bigint) IS 'Preview dialing: queues a call for the lead now; the agent''s phone rings first, then the customer''s; returns the attempt id';

-- the worker: take due attempts, check them at the moment of dialing, and mark
-- those it may dial as "dialing" (committed by the caller before any Originate)
CREATE FUNCTION @extschema@.dialer_claim(pbx_id integer, budget integer)
RETURNS TABLE (attempt_id bigint, channel text, context text, exten text, timeout_ms integer, caller_id text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids       bigint[] := '{}';
	parties   bigint[] := '{}';
	clock     timestamptz;
	next_at   timestamptz;
	dialed    timestamptz;
	r         record;
	-- the attempts that may be dialed, in due order
	c_id      bigint[] := '{}';
	c_campaign bigint[] := '{}';
	c_party   bigint[] := '{}';
	c_phone   @extschema@.phone[] := '{}';
	c_mode    text[] := '{}';
	c_staff   integer[] := '{}';
	c_due     timestamptz[] := '{}';
	-- calls in flight per campaign, ready agents
	live_c    bigint[];
	live_n    bigint[];
	ag_staff  integer[];
	ag_campaign bigint[];
	ag_since  timestamptz[];
	-- what was dialed
	p_id      bigint[] := '{}';
	p_party   bigint[] := '{}';
	p_agent   integer[] := '{}';
BEGIN
	IF dialer_claim.budget <= 0 THEN
		RETURN;
	END IF;
	SELECT pg_catalog.now() + p.clock_offset INTO clock FROM @extschema@.pbx p WHERE p.pbx_id = dialer_claim.pbx_id;

	-- the due attempts, read without locks; then each is claimed by its key
	-- (party_id first, a single-shard lock on Citus), skipping those that
	-- another session holds: no attempt is ever claimed twice
	FOR r IN
		SELECT a.party_id, a.attempt_id
		  FROM @extschema@.call_attempt a
		  JOIN @extschema@.dial_settings s ON s.campaign_id = a.campaign_id
		  JOIN @extschema@.campaign k ON k.campaign_id = a.campaign_id
		 WHERE a.pbx_id = dialer_claim.pbx_id AND a.state = 'queued' AND a.due_at <= pg_catalog.now()
		   AND s.active AND k.state = 'active'
		 ORDER BY a.due_at, a.attempt_id
		 LIMIT dialer_claim.budget * 4
	LOOP
		PERFORM 1 FROM @extschema@.call_attempt a
		 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id AND a.state = 'queued'
		   FOR UPDATE SKIP LOCKED;
		IF FOUND THEN
			ids := ids || r.attempt_id;
			parties := parties || r.party_id;
		END IF;
	END LOOP;
	IF pg_catalog.cardinality(ids) = 0 THEN
		RETURN;
	END IF;

	-- do-not-call list, do-not-contact flag, no marketing consent: never dialed
	FOR r IN
		SELECT a.attempt_id, a.party_id, a.lead_id,
		       CASE WHEN EXISTS (SELECT 1 FROM @extschema@.dnc d WHERE d.phone OPERATOR(@extschema@.=) a.phone) THEN 'number on the do-not-call list'
		            WHEN p.do_not_contact THEN 'party asked not to be contacted'
		            ELSE 'party has not consented to marketing contact' END AS detail
		  FROM @extschema@.call_attempt a
		  JOIN @extschema@.party p ON p.party_id = a.party_id
		 WHERE a.party_id = ANY (parties) AND a.attempt_id = ANY (ids)
		   AND (p.do_not_contact OR NOT p.consent_marketing
		        OR EXISTS (SELECT 1 FROM @extschema@.dnc d WHERE d.phone OPERATOR(@extschema@.=) a.phone))
		 ORDER BY a.attempt_id
	LOOP
		UPDATE @extschema@.call_attempt a
		   SET state = 'blocked', ended_at = pg_catalog.now(), detail = r.detail
		 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id;
		-- the customer asked not to be called: the lead leaves the funnel
		IF r.lead_id IS NOT NULL AND r.detail <> 'party has not consented to marketing contact' THEN
			PERFORM @extschema@.lead_fire_or_keep(r.lead_id, r.party_id, 'do_not_call',
				pg_catalog.format('call attempt %s: %s', r.attempt_id, r.detail), NULL);
		END IF;
	END LOOP;

	-- outside the calling window: wait for it to open (or give up after 15 days)
	FOR r IN
		SELECT b.attempt_id, b.party_id, b.campaign_id
		  FROM @extschema@.call_attempt b
		 WHERE b.party_id = ANY (parties) AND b.attempt_id = ANY (ids) AND b.state = 'queued'
		 ORDER BY b.attempt_id
	LOOP
		next_at := @extschema@.dial_next_window(r.campaign_id, r.party_id, clock);
		IF next_at IS DISTINCT FROM clock THEN
			UPDATE @extschema@.call_attempt a
			   SET due_at = next_at + (pg_catalog.now() - clock),
			       state = CASE WHEN next_at IS NULL THEN 'cancelled' ELSE 'queued' END,
			       detail = CASE WHEN next_at IS NULL THEN 'no calling window within 15 days' END
			 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id;
		END IF;
	END LOOP;

	-- what may be dialed now: due, and no call of the party in flight
	FOR r IN
		SELECT a.attempt_id, a.campaign_id, a.party_id, a.phone, a.mode, a.staff_id, a.due_at
		  FROM @extschema@.call_attempt a
		 WHERE a.party_id = ANY (parties) AND a.attempt_id = ANY (ids) AND a.state = 'queued'
		   AND a.due_at <= pg_catalog.now()
		   AND NOT EXISTS (SELECT 1 FROM @extschema@.call_attempt l WHERE l.party_id = a.party_id AND l.state = 'dialing')
		 ORDER BY a.due_at, a.attempt_id
	LOOP
		c_id := c_id || r.attempt_id;
		c_campaign := c_campaign || r.campaign_id;
		c_party := c_party || r.party_id;
		c_phone := c_phone || r.phone;
		c_mode := c_mode || r.mode;
		c_staff := c_staff || r.staff_id;
		c_due := c_due || r.due_at;
	END LOOP;
	IF pg_catalog.cardinality(c_id) = 0 THEN
		RETURN;
	END IF;
	SELECT pg_catalog.array_agg(x.campaign_id), pg_catalog.array_agg(x.n) INTO live_c, live_n
	  FROM (SELECT l.campaign_id, pg_catalog.count(*) AS n
	          FROM @extschema@.call_attempt l
	         WHERE l.state = 'dialing' AND l.campaign_id = ANY (c_campaign)
	         GROUP BY l.campaign_id) x;
	FOR r IN
		SELECT g.staff_id, g.campaign_id, g.since
		  FROM @extschema@.dialer_agent g
		 WHERE g.state = 'ready' AND g.campaign_id = ANY (c_campaign)
		   FOR UPDATE SKIP LOCKED
	LOOP
		ag_staff := ag_staff || r.staff_id;
		ag_campaign := ag_campaign || r.campaign_id;
		ag_since := ag_since || r.since;
	END LOOP;

	-- one call per party, campaign and PBX limits, agents
	FOR r IN
		WITH cand AS (
			SELECT c.attempt_id, c.campaign_id, c.party_id, c.phone, c.mode, c.staff_id, c.due_at, s.max_concurrent,
			       pg_catalog.row_number() OVER (PARTITION BY c.party_id ORDER BY c.due_at, c.attempt_id) AS party_rank,
			       pg_catalog.row_number() OVER (PARTITION BY c.campaign_id, c.mode ORDER BY c.due_at, c.attempt_id) AS campaign_rank
			  FROM ROWS FROM (pg_catalog.unnest(c_id), pg_catalog.unnest(c_campaign), pg_catalog.unnest(c_party),
			                  pg_catalog.unnest(c_phone), pg_catalog.unnest(c_mode), pg_catalog.unnest(c_staff),
			                  pg_catalog.unnest(c_due))
			       AS c(attempt_id, campaign_id, party_id, phone, mode, staff_id, due_at)
			  JOIN @extschema@.dial_settings s ON s.campaign_id = c.campaign_id
		), live AS (
			SELECT lv.campaign_id, lv.n
			  FROM ROWS FROM (pg_catalog.unnest(live_c), pg_catalog.unnest(live_n)) AS lv(campaign_id, n)
		), agents AS (
			SELECT g.staff_id, g.campaign_id,
			       pg_catalog.row_number() OVER (PARTITION BY g.campaign_id ORDER BY g.since, g.staff_id) AS agent_rank
			  FROM ROWS FROM (pg_catalog.unnest(ag_staff), pg_catalog.unnest(ag_campaign), pg_catalog.unnest(ag_since))
			       AS g(staff_id, campaign_id, since)
		), fit AS (
			SELECT c.*, COALESCE(c.staff_id, ag.staff_id) AS agent_id,
			       pg_catalog.row_number() OVER (PARTITION BY c.campaign_id ORDER BY c.due_at, c.attempt_id) AS fit_rank
			  FROM cand c
			  LEFT JOIN agents ag ON c.mode = 'progressive' AND ag.campaign_id = c.campaign_id AND ag.agent_rank = c.campaign_rank
			 WHERE c.party_rank = 1
			   AND CASE c.mode WHEN 'progressive' THEN ag.staff_id IS NOT NULL
			       ELSE NOT EXISTS (SELECT 1 FROM @extschema@.dialer_agent g WHERE g.staff_id = c.staff_id AND g.state = 'on_call') END
		)
		SELECT f.attempt_id, f.party_id, f.agent_id
		  FROM fit f
		  LEFT JOIN live lv ON lv.campaign_id = f.campaign_id
		 WHERE f.fit_rank <= f.max_concurrent - COALESCE(lv.n, 0)
		 ORDER BY f.due_at, f.attempt_id
		 LIMIT dialer_claim.budget
	LOOP
		IF r.agent_id IS NOT NULL THEN
			UPDATE @extschema@.dialer_agent g
			   SET state = 'on_call', attempt_id = r.attempt_id, since = pg_catalog.now()
			 WHERE g.staff_id = r.agent_id;
		END IF;
		-- the clock read here: Citus runs no volatile function in an UPDATE
		dialed := pg_catalog.clock_timestamp();
		UPDATE @extschema@.call_attempt a
		   SET state = 'dialing', dialed_at = dialed, staff_id = r.agent_id
		 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id;
		p_id := p_id || r.attempt_id;
		p_party := p_party || r.party_id;
		p_agent := p_agent || r.agent_id;
	END LOOP;

	RETURN QUERY
	SELECT d.attempt_id,
	       CASE d.mode WHEN 'progressive' THEN @extschema@.dial_channel(s.customer_channel, d.phone)
	                   ELSE pg_catalog.replace(s.agent_endpoint, '{agent}', g.extension) END,
	       CASE d.mode WHEN 'progressive' THEN s.agent_context ELSE s.customer_context END,
	       CASE d.mode WHEN 'progressive' THEN g.extension
	                   ELSE @extschema@.dial_channel(
	                          CASE WHEN s.customer_channel ~ '\{e164\}' THEN '{e164}' ELSE '{number}' END, d.phone) END,
	       s.dial_timeout_ms,
	       s.caller_id
	  FROM ROWS FROM (pg_catalog.unnest(p_id), pg_catalog.unnest(p_agent)) AS x(attempt_id, agent_id)
	  JOIN ROWS FROM (pg_catalog.unnest(c_id), pg_catalog.unnest(c_campaign), pg_catalog.unnest(c_phone),
	                  pg_catalog.unnest(c_mode))
	       AS d(attempt_id, campaign_id, phone, mode) ON d.attempt_id = x.attempt_id
	  JOIN @extschema@.dial_settings s ON s.campaign_id = d.campaign_id
	  LEFT JOIN @extschema@.dialer_agent g ON g.staff_id = x.agent_id
	 ORDER BY d.attempt_id;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_claim(integer, integer) IS 'Worker only: takes up to budget due attempts of a PBX (each locked by party_id and attempt_id, SKIP LOCKED), blocks do-not-call and no-consent ones, reschedules those outside the calling window, and marks as dialing and returns those within the party, campaign and agent limits';

-- the worker: record what calls came to, write contacts, fire lead events, schedule retries
CREATE FUNCTION @extschema@.dialer_finish(attempt_ids bigint[], outcomes text[], reasons integer[],
		dial_statuses text[], causes integer[], sent_ats timestamptz[], answered_ats timestamptz[],
		ended_ats timestamptz[], details text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f     record;
	r     @extschema@.call_attempt;
	n     integer := 0;
	cid   bigint;
	pid   bigint;
BEGIN
	-- attempt by attempt, each addressed by party_id too (a single-shard
	-- update on Citus); only attempts still dialing are finished
	FOR f IN
		SELECT * FROM unnest(attempt_ids, outcomes, reasons, dial_statuses, causes,
		                     sent_ats, answered_ats, ended_ats, details)
		           AS f(attempt_id, outcome, reason, dial_status, cause, sent_at, answered_at, ended_at, detail)
	LOOP
		SELECT a.party_id INTO pid FROM @extschema@.call_attempt a WHERE a.attempt_id = f.attempt_id;
		CONTINUE WHEN NOT FOUND;
		-- the PBX refused the Originate: no call was placed, the attempt waits to be dialed again
		IF f.outcome = 'not_placed' THEN
			UPDATE @extschema@.call_attempt a
			   SET state = 'queued', dialed_at = NULL, sent_at = NULL, due_at = pg_catalog.now(), detail = f.detail,
			       staff_id = CASE WHEN a.mode = 'progressive' THEN NULL ELSE a.staff_id END
			 WHERE a.party_id = pid AND a.attempt_id = f.attempt_id AND a.state = 'dialing';
			IF FOUND THEN
				n := n + 1;
				UPDATE @extschema@.dialer_agent
				   SET state = 'ready', attempt_id = NULL, since = pg_catalog.now()
				 WHERE attempt_id = f.attempt_id;
			END IF;
			CONTINUE;
		END IF;
		UPDATE @extschema@.call_attempt a
		   SET state = 'done', outcome = f.outcome, reason = f.reason, dial_status = f.dial_status,
		       hangup_cause = f.cause, sent_at = COALESCE(f.sent_at, a.sent_at), answered_at = f.answered_at, ended_at = f.ended_at,
		       ring_ms = GREATEST(0, (1000 * pg_catalog.date_part('epoch',
		                     COALESCE(f.answered_at, f.ended_at) - COALESCE(f.sent_at, a.sent_at, a.dialed_at)))::integer),
		       talk_ms = CASE WHEN f.answered_at IS NOT NULL
		                      THEN GREATEST(0, (1000 * pg_catalog.date_part('epoch', f.ended_at - f.answered_at))::integer) END,
		       detail = f.detail
		 WHERE a.party_id = pid AND a.attempt_id = f.attempt_id AND a.state = 'dialing'
		RETURNING a.* INTO r;
		CONTINUE WHEN NOT FOUND;
		n := n + 1;
		INSERT INTO @extschema@.contact (party_id, staff_id, channel, purpose, outcome, campaign_id, lead_id,
		                                 occurred_at, duration_s, note)
		VALUES (r.party_id, r.staff_id, 'phone_out', 'sales', r.outcome, r.campaign_id, r.lead_id,
		        COALESCE(r.sent_at, r.dialed_at), COALESCE(r.talk_ms, 0) / 1000,
		        pg_catalog.format('call attempt %s', r.attempt_id)
		          || COALESCE(pg_catalog.format(', cause %s', r.hangup_cause), '')
		          || COALESCE(': ' || r.detail, ''))
		RETURNING contact_id INTO cid;
		UPDATE @extschema@.call_attempt SET contact_id = cid WHERE party_id = r.party_id AND attempt_id = r.attempt_id;
		UPDATE @extschema@.dialer_agent
		   SET state = 'ready', attempt_id = NULL, since = pg_catalog.now()
		 WHERE attempt_id = r.attempt_id;
		-- the lead's event; one the lead does not take (it moved on meanwhile,
		-- or something failed) is kept in lead_event_failure for replay
		IF r.lead_id IS NOT NULL AND r.outcome <> 'unknown' THEN
			PERFORM @extschema@.lead_fire_or_keep(r.lead_id, r.party_id,
				CASE r.outcome WHEN 'answered' THEN 'call_answered' ELSE r.outcome END,
				pg_catalog.format('call attempt %s', r.attempt_id), r.ended_at);
		END IF;
		-- retries: progressive attempts only, by the campaign's rule for the outcome
		INSERT INTO @extschema@.call_attempt (campaign_id, lead_id, party_id, phone, pbx_id, mode, attempt_no, due_at)
		SELECT r.campaign_id, r.lead_id, r.party_id, r.phone, r.pbx_id, 'progressive', r.attempt_no + 1, r.ended_at + q.delay
		  FROM @extschema@.dial_retry_rule q
		  JOIN @extschema@.dial_settings s ON s.campaign_id = q.campaign_id
		 WHERE r.mode = 'progressive' AND q.campaign_id = r.campaign_id AND q.outcome = r.outcome
		   AND r.attempt_no < s.max_attempts;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_finish(bigint[], text[], integer[], text[], integer[], timestamptz[], timestamptz[], timestamptz[], text[]) IS 'Worker only: records the outcome of finished attempts (only those still dialing), writes their contact rows, frees their agents, fires the lead events (keeping those that fail in lead_event_failure) and queues retries; outcome not_placed (the PBX refused the Originate) puts the attempt back in the queue instead';

-- the worker at start: attempts it left dialing; cancel queued attempts by hand
CREATE FUNCTION @extschema@.dialer_cancel(attempt_id bigint)
RETURNS boolean
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	WITH c AS (
		UPDATE @extschema@.call_attempt a
		   SET state = 'cancelled', ended_at = pg_catalog.now(), detail = 'cancelled'
		 WHERE a.attempt_id = dialer_cancel.attempt_id AND a.state = 'queued'
		RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM c);
END;
COMMENT ON FUNCTION @extschema@.dialer_cancel(bigint) IS 'Cancels a queued attempt; false if it is no longer queued (a call already started is never cancelled here)';

-- workers: launch, stop
CREATE FUNCTION @extschema@.dialer_launch(pbx_id integer)
RETURNS integer
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.dialer_launch(integer) IS 'Starts the dialer background worker of a PBX in the current database; returns its process id';

CREATE FUNCTION @extschema@.dialer_pid(pbx_id integer)
RETURNS integer
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT l.pid FROM pg_catalog.pg_locks l
	 WHERE l.locktype = 'advisory' AND l.granted
	   AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
	   AND l.classid = 1684630898 AND l.objid = dialer_pid.pbx_id::oid AND l.objsubid = 2;
END;
COMMENT ON FUNCTION @extschema@.dialer_pid(integer) IS 'Process id of the dialer worker serving a PBX in this database, NULL if none runs';

-- SECURITY DEFINER: the worker runs as the bootstrap superuser, and only a
-- superuser may signal it; the function signals nothing but a process that
-- is a dialer worker of this database holding the PBX's lock
CREATE FUNCTION @extschema@.dialer_stop(pbx_id integer)
RETURNS boolean
LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT COALESCE((SELECT pg_catalog.pg_terminate_backend(a.pid, 10000)
	                   FROM pg_catalog.pg_stat_activity a
	                  WHERE a.pid OPERATOR(pg_catalog.=) @extschema@.dialer_pid(dialer_stop.pbx_id)
	                    AND a.backend_type OPERATOR(pg_catalog.=) 'bankcrm dialer'
	                    AND a.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()), false);
END;
COMMENT ON FUNCTION @extschema@.dialer_stop(integer) IS 'Stops the dialer worker of a PBX (it finishes its current step, records its state and exits without restart); waits up to 10 s; false if none ran';

-- dialer: views

CREATE VIEW @extschema@.dialer_status AS
SELECT p.pbx_id,
       p.name AS pbx_name,
       p.host,
       p.port,
       COALESCE(st.state, 'stopped') AS state,
       @extschema@.dialer_pid(p.pbx_id) AS pid,
       st.connected_since,
       st.last_error,
       st.last_error_at,
       st.reconnects,
       COALESCE(ca.calls_in_flight, 0) AS calls_in_flight,
       COALESCE(ca.calls_due, 0) AS calls_due,
       COALESCE(ca.originates_last_minute, 0) AS originates_last_minute,
       ca.answer_rate_pct
  FROM @extschema@.pbx p
  LEFT JOIN @extschema@.dialer_state st ON st.pbx_id = p.pbx_id
  -- grouped, not correlated: on Citus the counts run over the shards
  LEFT JOIN (
       SELECT a.pbx_id,
              pg_catalog.count(*) FILTER (WHERE a.state = 'dialing') AS calls_in_flight,
              pg_catalog.count(*) FILTER (WHERE a.state = 'queued' AND a.due_at <= pg_catalog.now()) AS calls_due,
              pg_catalog.count(*) FILTER (WHERE a.dialed_at >= pg_catalog.now() - interval '1 minute') AS originates_last_minute,
              round(100.0 * pg_catalog.count(*) FILTER (WHERE a.state = 'done' AND a.ended_at >= pg_catalog.now() - interval '1 hour'
                                                          AND a.outcome = 'answered')
                    / NULLIF(pg_catalog.count(*) FILTER (WHERE a.state = 'done'
                                                          AND a.ended_at >= pg_catalog.now() - interval '1 hour'), 0), 1)
                AS answer_rate_pct
         FROM @extschema@.call_attempt a
        GROUP BY a.pbx_id) ca ON ca.pbx_id = p.pbx_id;
COMMENT ON VIEW @extschema@.dialer_status IS 'Per PBX: worker state, connected since, last error, calls in flight and due, originates in the last minute, answer rate of the last hour';
COMMENT ON COLUMN @extschema@.dialer_status.state IS 'stopped, starting, connecting, login, ready, backoff or exited';
COMMENT ON COLUMN @extschema@.dialer_status.connected_since IS 'When the current AMI session logged in (NULL when not connected)';
COMMENT ON COLUMN @extschema@.dialer_status.last_error IS 'The last connection or protocol error, in words';
COMMENT ON COLUMN @extschema@.dialer_status.reconnects IS 'Connection attempts that failed or sessions that were lost since the worker started';
COMMENT ON COLUMN @extschema@.dialer_status.calls_in_flight IS 'Attempts dialing now';
COMMENT ON COLUMN @extschema@.dialer_status.calls_due IS 'Queued attempts whose time has come';
COMMENT ON COLUMN @extschema@.dialer_status.originates_last_minute IS 'Attempts started in the last minute';
COMMENT ON COLUMN @extschema@.dialer_status.answer_rate_pct IS 'Percentage of the attempts finished in the last hour that were answered';

CREATE VIEW @extschema@.dialer_campaign_status AS
SELECT s.campaign_id,
       s.pbx_id,
       s.mode,
       s.active,
       pg_catalog.count(*) FILTER (WHERE a.state = 'queued') AS queued,
       pg_catalog.count(*) FILTER (WHERE a.state = 'dialing') AS in_flight,
       pg_catalog.count(*) FILTER (WHERE a.dialed_at >= pg_catalog.now() - interval '1 minute') AS originates_last_minute,
       pg_catalog.count(*) FILTER (WHERE a.state = 'done') AS done,
       pg_catalog.count(*) FILTER (WHERE a.outcome = 'answered') AS answered,
       pg_catalog.count(*) FILTER (WHERE a.outcome IN ('no_answer', 'busy')) AS no_answer_or_busy,
       pg_catalog.count(*) FILTER (WHERE a.outcome IN ('congestion', 'failed', 'invalid_number', 'unknown')) AS failed,
       pg_catalog.count(*) FILTER (WHERE a.state = 'blocked') AS blocked,
       round(100.0 * pg_catalog.count(*) FILTER (WHERE a.outcome = 'answered')
             / NULLIF(pg_catalog.count(*) FILTER (WHERE a.state = 'done'), 0), 1) AS answer_rate_pct,
       (SELECT pg_catalog.count(*) FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id AND g.state = 'ready') AS agents_ready,
       (SELECT pg_catalog.count(*) FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id AND g.state = 'on_call') AS agents_on_call
  FROM @extschema@.dial_settings s
  LEFT JOIN @extschema@.call_attempt a ON a.campaign_id = s.campaign_id
 GROUP BY s.campaign_id, s.pbx_id, s.mode, s.active;
COMMENT ON VIEW @extschema@.dialer_campaign_status IS 'Per campaign: attempts queued, in flight, started in the last minute, done by outcome, blocked; answer rate; agents ready and on a call';

-- dialer: privileges.  pbx holds secrets: bankcrm_admin and superusers (the worker) only.
REVOKE ALL ON @extschema@.pbx FROM PUBLIC;
GRANT ALL ON @extschema@.pbx, @extschema@.dial_settings, @extschema@.dial_retry_rule, @extschema@.dialer_agent,
	@extschema@.dnc, @extschema@.holiday, @extschema@.call_attempt, @extschema@.dialer_state TO bankcrm_admin;
GRANT SELECT ON @extschema@.dial_settings, @extschema@.dial_retry_rule, @extschema@.dialer_agent, @extschema@.holiday,
	@extschema@.dialer_status, @extschema@.dialer_campaign_status TO bankcrm_manager, bankcrm_app, bankcrm_admin;
GRANT SELECT ON @extschema@.dial_settings, @extschema@.dialer_agent, @extschema@.holiday TO bankcrm_rm;
GRANT UPDATE (state, ended_at, detail) ON @extschema@.call_attempt TO bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.dial_next_window(bigint, bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.dial_next_window(bigint, bigint, timestamptz) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT SELECT ON @extschema@.call_attempt TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT ON @extschema@.call_attempt TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT USAGE ON SEQUENCE @extschema@.call_attempt_attempt_id_seq TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT SELECT ON @extschema@.dnc TO bankcrm_manager, bankcrm_app;

GRANT INSERT ON @extschema@.dnc TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT UPDATE (state, since) ON @extschema@.dialer_agent TO bankcrm_rm, bankcrm_manager, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.dialer_claim(integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.lead_fire_or_keep(bigint, bigint, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.lead_event_replay(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.lead_event_replay(bigint) TO bankcrm_admin, bankcrm_app;
GRANT SELECT ON @extschema@.lead_event_failure TO bankcrm_admin, bankcrm_app;
GRANT UPDATE (replayed_at, tries, sqlstate, error) ON @extschema@.lead_event_failure TO bankcrm_admin, bankcrm_app;
GRANT DELETE ON @extschema@.lead_event_failure TO bankcrm_admin;
REVOKE ALL ON FUNCTION @extschema@.dialer_finish(bigint[], text[], integer[], text[], integer[], timestamptz[], timestamptz[], timestamptz[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.dialer_launch(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.dialer_stop(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.dialer_queue(bigint, bigint, timestamptz, bigint, @extschema@.phone) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.dialer_cancel(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.dialer_enqueue(bigint, timestamptz) FROM PUBLIC;
-- progressive attempts are queued and cancelled by the applications and the
-- administrator (an attempt carries no staff member, so a manager's row-level
-- security, which records calls as the manager, would refuse it)
GRANT EXECUTE ON FUNCTION @extschema@.dialer_enqueue(bigint, timestamptz) TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.dial(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.dialer_launch(integer), @extschema@.dialer_stop(integer) TO bankcrm_admin;
GRANT EXECUTE ON FUNCTION @extschema@.dialer_queue(bigint, bigint, timestamptz, bigint, @extschema@.phone),
	@extschema@.dialer_cancel(bigint) TO bankcrm_admin, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.dial(bigint) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
-- src/sql/71_dialer_wake.sql: dialer workers woken by commits (src/dialer/wake.c)

-- dialer: wake-ups ----------------------------------------------------------

CREATE FUNCTION @extschema@.dialer_wake()
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.dialer_wake() IS 'Wakes the dialer workers of this database when the current transaction commits (no-op unless bankcrm is preloaded)';
REVOKE EXECUTE ON FUNCTION @extschema@.dialer_wake() FROM PUBLIC;

CREATE FUNCTION @extschema@.dialer_wake_trigger()
RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.dialer_wake_trigger() IS 'Row trigger: a queued attempt, an agent or dial settings changed; wakes the dialer workers at commit';
REVOKE EXECUTE ON FUNCTION @extschema@.dialer_wake_trigger() FROM PUBLIC;

CREATE TRIGGER dialer_wake AFTER INSERT OR UPDATE OF state, due_at ON @extschema@.call_attempt
	FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION @extschema@.dialer_wake_trigger();
CREATE TRIGGER dialer_wake AFTER INSERT OR UPDATE ON @extschema@.dialer_agent
	FOR EACH ROW EXECUTE FUNCTION @extschema@.dialer_wake_trigger();
CREATE TRIGGER dialer_wake AFTER INSERT OR UPDATE ON @extschema@.dial_settings
	FOR EACH ROW EXECUTE FUNCTION @extschema@.dialer_wake_trigger();
-- src/sql/80_rls.sql
-- row-level security: which party's rows each staff role sees, in one place
--
-- Every table that holds a party_id gets the same two policies:
--   <table>_all      bankcrm_admin and bankcrm_app: every row, read and write
--   <table>_covered  bankcrm_manager and bankcrm_rm: read the rows of the
--                    parties visible_party_ids() gives the role, tested row
--                    by row with party_visible(party_id) (30_security.sql)
-- and some get what their module lets staff do with their own parties
-- (record a contact, log a remediation, work an alert).  This part runs after
-- every module has created its tables, so that visible_party_ids() can be
-- defined once, leads included.  Leads themselves (55_campaign.sql) are
-- scoped by who works them, not by party, and keep their policies there.

-- the parties the staff member behind a database role may see, computed
-- from the given relations: the tables themselves, or, on a Citus worker,
-- one co-located group of their shards and the local replicas of the
-- reference tables (src/rls.c); the one definition of who sees whom
CREATE FUNCTION @extschema@.visible_party_ids_in(role_name name, party regclass, coverage regclass,
                                                 lead regclass, staff regclass, process_state regclass)
RETURNS SETOF bigint
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY EXECUTE pg_catalog.format($q$
	WITH me AS (
		SELECT s.staff_id, s.role_kind, s.team_id, s.branch_id
		  FROM %5$s s
		 WHERE s.db_role = $1 AND s.active
	), team_staff AS (
		SELECT s.staff_id
		  FROM %5$s s, me
		 WHERE me.role_kind = 'team_lead' AND s.team_id = me.team_id
		UNION
		SELECT me.staff_id FROM me
	)
	-- the parties it (or its team, for a team lead) covers
	SELECT c.party_id
	  FROM %2$s c
	  JOIN team_staff ts ON ts.staff_id = c.staff_id
	 WHERE c.valid_to IS NULL OR c.valid_to >= CURRENT_DATE
	UNION
	-- a branch manager's branch
	SELECT p.party_id
	  FROM %1$s p, me
	 WHERE me.role_kind = 'branch_manager' AND p.home_branch_id = me.branch_id
	UNION
	-- the parties of the open leads it (or its team) works
	SELECT l.party_id
	  FROM %3$s l
	  JOIN team_staff ts ON ts.staff_id = l.assigned_to
	  JOIN %4$s ps ON ps.process_name = l.process_name AND ps.state = l.state
	 WHERE NOT ps.is_terminal
	$q$, party, coverage, lead, process_state, staff) USING role_name;
END
$$;
COMMENT ON FUNCTION @extschema@.visible_party_ids_in(name, regclass, regclass, regclass, regclass, regclass) IS 'Internal: the parties a role may see, computed from the given relations (the tables, or co-located shards on a Citus worker)';
REVOKE ALL ON FUNCTION @extschema@.visible_party_ids_in(name, regclass, regclass, regclass, regclass, regclass) FROM PUBLIC;

CREATE FUNCTION @extschema@.visible_party_ids(role_name name)
RETURNS SETOF bigint
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- PL/pgSQL, not SQL: Citus cannot plan a SQL function's parameters over
-- distributed tables; PL/pgSQL hands it the value
AS $$
BEGIN
	-- the caller may ask only for itself or a role it is a member of; "role"
	-- is the SET ROLE of the session, which a SECURITY DEFINER function does
	-- not change (an unknown role sees nothing)
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = role_name) OR NOT pg_catalog.pg_has_role(
	         CASE WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
	              ELSE pg_catalog.current_setting('role')::name END,
	         role_name, 'MEMBER') THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT v FROM @extschema@.visible_party_ids_in(role_name,
		'@extschema@.party', '@extschema@.coverage', '@extschema@.lead',
		'@extschema@.staff', '@extschema@.process_state') v;
END
$$;
COMMENT ON FUNCTION @extschema@.visible_party_ids(name) IS 'Parties the staff member mapped to a database role may see: those it covers, those of its open leads, its team''s (team leads) or its branch''s (branch managers); empty unless the session may act as that role';
REVOKE ALL ON FUNCTION @extschema@.visible_party_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.visible_party_ids(name)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;

DO $$
DECLARE
	t text;
	sch text;
	tab text;
	pol record;
	covered CONSTANT text := pg_catalog.format('%I.party_visible(party_id)', '@extschema@');
	own_staff CONSTANT text := pg_catalog.format('staff_id OPERATOR(pg_catalog.=) %I.current_staff_id()', '@extschema@');
BEGIN
	-- every party-scoped table: the standard pair
	FOREACH t IN ARRAY ARRAY[
		-- customer 360 (20_party.sql, 21_business.sql)
		'@extschema@.party', '@extschema@.party_phone', '@extschema@.party_relation', '@extschema@.coverage',
		'@extschema@.holding', '@extschema@.activity_weekly', '@extschema@.contact', '@extschema@.complaint',
		'@extschema@.survey_response', '@extschema@.appointment',
		-- households and groups (22_relationship_group.sql)
		'@extschema@.relationship_group',
		-- scoring (40_score.sql) and segments (45_segment.sql)
		'@extschema@.party_score', '@extschema@.score_history', '@extschema@.party_retention',
		'@extschema@.segment_member', '@extschema@.segment_history',
		-- churn (60_churn.sql)
		'bankcrm_churn.churn_series', 'bankcrm_churn.churn_dirty', '@extschema@.churn_alert',
		'@extschema@.churn_alert_history', '@extschema@.churn_remediation', '@extschema@.churn_score',
		-- the dialer (70_dialer.sql)
		'@extschema@.call_attempt'] LOOP
		sch := pg_catalog.split_part(t, '.', 1);
		tab := pg_catalog.split_part(t, '.', 2);
		EXECUTE pg_catalog.format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', sch, tab);
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR ALL TO bankcrm_admin, bankcrm_app USING (true) WITH CHECK (true)',
			tab || '_all', sch, tab);
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR SELECT TO bankcrm_manager, bankcrm_rm USING (%s)',
			tab || '_covered', sch, tab, covered);
	END LOOP;

	-- staff record contacts, appointments and calls of their own parties, as themselves
	FOREACH t IN ARRAY ARRAY['contact', 'appointment', 'call_attempt'] LOOP
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR INSERT TO bankcrm_manager, bankcrm_rm WITH CHECK (%s AND %s)',
			t || '_own_insert', '@extschema@', t, covered, own_staff);
	END LOOP;
	-- and complaints, surveys, alert notes and remediation actions of their own parties
	FOREACH t IN ARRAY ARRAY['complaint', 'survey_response', 'churn_alert_history', 'churn_remediation'] LOOP
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR INSERT TO bankcrm_manager, bankcrm_rm WITH CHECK (%s)',
			t || '_own_insert', '@extschema@', t, covered);
	END LOOP;
	-- managers handle their parties' complaints; the churn task force works
	-- its parties' alerts and remediation actions; staff move their own
	-- appointments
	FOR pol IN
		SELECT * FROM (VALUES
			('complaint_covered_update', 'complaint', 'bankcrm_manager', covered),
			('churn_alert_task_force', 'churn_alert', 'bankcrm_manager, bankcrm_rm', covered),
			('churn_remediation_own_update', 'churn_remediation', 'bankcrm_manager, bankcrm_rm', covered),
			('appointment_own_update', 'appointment', 'bankcrm_manager, bankcrm_rm', own_staff)) v(name, tab, roles, rule)
	LOOP
		EXECUTE pg_catalog.format('CREATE POLICY %I ON %I.%I FOR UPDATE TO %s USING (%s) WITH CHECK (%s)',
			pol.name, '@extschema@', pol.tab, pol.roles, pol.rule, pol.rule);
	END LOOP;
END
$$;

-- KYC answers: admin only
ALTER TABLE @extschema@.party_kyc ENABLE ROW LEVEL SECURITY;
CREATE POLICY party_kyc_admin ON @extschema@.party_kyc FOR ALL TO bankcrm_admin USING (true) WITH CHECK (true);
-- src/sql/85_distribute.sql
-- scale-out: one call that lays bankcrm's tables out on a Citus cluster
--
-- Every table that holds a party's rows is distributed by party_id,
-- co-located with party, so that a party's rows of every table live in the
-- same shard group and every join on party_id runs inside one shard task.
-- Catalogues, the organisation and configuration are reference tables: a
-- copy on every node, so that any shard can join them.  The lists below are
-- the contract; doc/scale-out.md explains each choice.

CREATE FUNCTION @extschema@.distribution_plan(
	OUT table_name regclass,
	OUT kind text,
	OUT ord integer)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT v.t::pg_catalog.regclass, v.k, v.o
	  FROM (VALUES
		-- reference tables: catalogues, organisation, configuration
		(1, '@extschema@.region', 'reference'),
		(2, '@extschema@.branch', 'reference'),
		(3, '@extschema@.team', 'reference'),
		(4, '@extschema@.staff', 'reference'),
		(5, '@extschema@.product', 'reference'),
		(6, '@extschema@.process', 'reference'),
		(7, '@extschema@.process_state', 'reference'),
		(8, '@extschema@.process_transition', 'reference'),
		(9, '@extschema@.fsm_history', 'reference'),
		(10, '@extschema@.score_model', 'reference'),
		(11, '@extschema@.score_run_log', 'reference'),
		(12, '@extschema@.product_affinity', 'reference'),
		(13, '@extschema@.segment', 'reference'),
		(14, '@extschema@.campaign', 'reference'),
		(15, '@extschema@.campaign_team', 'reference'),
		(16, '@extschema@.care_occasion', 'reference'),
		(17, '@extschema@.churn_policy', 'reference'),
		(18, '@extschema@.churn_holiday', 'reference'),
		(19, 'bankcrm_churn.builtin_holiday', 'reference'),
		(20, '@extschema@.pbx', 'reference'),
		(21, '@extschema@.dial_settings', 'reference'),
		(22, '@extschema@.dial_retry_rule', 'reference'),
		(23, '@extschema@.dialer_agent', 'reference'),
		(24, '@extschema@.dialer_state', 'reference'),
		(25, '@extschema@.dnc', 'reference'),
		(26, '@extschema@.holiday', 'reference'),
		(27, '@extschema@.churn_model', 'reference'),
		-- distributed by party_id, co-located with party (party first)
		(28, '@extschema@.party', 'distributed'),
		(29, '@extschema@.party_kyc', 'distributed'),
		(30, '@extschema@.party_phone', 'distributed'),
		(31, '@extschema@.party_relation', 'distributed'),
		(32, '@extschema@.coverage', 'distributed'),
		(33, '@extschema@.holding', 'distributed'),
		(34, '@extschema@.activity_weekly', 'distributed'),
		(35, '@extschema@.contact', 'distributed'),
		(36, '@extschema@.complaint', 'distributed'),
		(37, '@extschema@.survey_response', 'distributed'),
		(38, '@extschema@.appointment', 'distributed'),
		(39, '@extschema@.party_score', 'distributed'),
		(40, '@extschema@.score_history', 'distributed'),
		(41, '@extschema@.party_retention', 'distributed'),
		(42, '@extschema@.segment_member', 'distributed'),
		(43, '@extschema@.segment_history', 'distributed'),
		(44, '@extschema@.lead', 'distributed'),
		(45, 'bankcrm_churn.churn_series', 'distributed'),
		(46, 'bankcrm_churn.churn_dirty', 'distributed'),
		(47, '@extschema@.churn_alert', 'distributed'),
		(48, '@extschema@.churn_alert_history', 'distributed'),
		(49, '@extschema@.churn_remediation', 'distributed'),
		(50, '@extschema@.call_attempt', 'distributed'),
		(51, '@extschema@.churn_score', 'distributed'),
		(52, '@extschema@.lead_event_failure', 'distributed'),
		-- reference tables added since: models of behavioural clusters
		(53, '@extschema@.cluster_model', 'reference'),
		(54, '@extschema@.cluster_centroid', 'reference'),
		-- distributed since: households and groups
		(55, '@extschema@.relationship_group', 'distributed')
	) v(o, t, k)
	 ORDER BY v.o
$$;
COMMENT ON FUNCTION @extschema@.distribution_plan() IS 'How distribute() lays out each table on Citus: reference (a copy on every node) or distributed by party_id co-located with party, in the order it is done';

-- the shards of a distributed table that this node holds (none where Citus
-- is absent or the table is not distributed): what a trigger on a copy of a
-- reference table can reach from inside its shard task
CREATE FUNCTION @extschema@.local_shards(logical regclass)
RETURNS SETOF regclass
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_shard') IS NULL THEN
		RETURN;
	END IF;
	RETURN QUERY EXECUTE
		'SELECT r FROM (SELECT pg_catalog.to_regclass(pg_catalog.format(''%I.%I'', n.nspname,
		                         c.relname OPERATOR(pg_catalog.||) ''_'' OPERATOR(pg_catalog.||) s.shardid)) r
		                  FROM pg_catalog.pg_dist_shard s
		                  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.logicalrelid
		                  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		                 WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1
		                 ORDER BY s.shardid) l
		  WHERE r IS NOT NULL'
		USING logical;
END
$$;
COMMENT ON FUNCTION @extschema@.local_shards(regclass) IS 'Internal: the shards of a Citus distributed table held by this node, in shard order; none without Citus';
REVOKE ALL ON FUNCTION @extschema@.local_shards(regclass) FROM PUBLIC;

CREATE FUNCTION @extschema@.distribute(
	OUT table_name regclass,
	OUT kind text,
	OUT action text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET citus.enable_unsafe_triggers = on
SET citus.multi_shard_modify_mode = sequential
SET client_min_messages = warning
AS $fn$
DECLARE
	p record;
	fk record;
	v record;
	g record;
	workers bigint;
	have regclass;
	current_kind text;
	dropped integer := 0;
	fks text[] := '{}';
	fk_tables regclass[] := '{}';
	fk_names text[] := '{}';
	i integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'Citus is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
			      DETAIL = 'distribute() lays bankcrm''s tables out on a Citus cluster; without Citus every table stays on this node.',
			      HINT = 'Add citus to shared_preload_libraries, run CREATE EXTENSION citus and citus_add_node() for each worker, then call distribute() again.';
	END IF;
	EXECUTE 'SELECT pg_catalog.count(*) FROM pg_catalog.citus_get_active_worker_nodes()' INTO workers;
	IF workers = 0 THEN
		RAISE EXCEPTION 'the Citus cluster has no worker nodes'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'distribute() spreads the party tables over the workers; there are none yet.',
			      HINT = 'On the coordinator run SELECT citus_set_coordinator_host(...) and SELECT citus_add_node(host, port) for each worker, then call distribute() again.';
	END IF;

	-- a table of the bank's own that points at a party-scoped table must be
	-- laid out first: Citus would have to take it over with bankcrm's tables
	SELECT c.conrelid::regclass, c.conname, c.confrelid::regclass
	  INTO fk
	  FROM pg_catalog.pg_constraint c
	  JOIN @extschema@.distribution_plan() d ON d.table_name OPERATOR(pg_catalog.=) c.confrelid
	 WHERE c.contype = 'f'
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.distribution_plan() o
	                    WHERE o.table_name OPERATOR(pg_catalog.=) c.conrelid)
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition dp
	                    WHERE dp.logicalrelid OPERATOR(pg_catalog.=) c.conrelid)
	 ORDER BY 1, 2
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'table % has a foreign key to bankcrm table %', fk.conrelid, fk.confrelid
			USING ERRCODE = 'dependent_objects_still_exist',
			      DETAIL = pg_catalog.format('Constraint %I ties a table that is not bankcrm''s to one that distribute() lays out on the cluster.', fk.conname),
			      HINT = 'Drop that foreign key and call distribute() again; then distribute the table with create_distributed_table(''<table>'', ''party_id'', colocate_with => ''bankcrm.party'') and add the key back.';
	END IF;

	-- what is already done is said so and left alone: a second call
	-- changes nothing
	-- Citus converts the whole foreign-key graph of a table it takes over;
	-- the keys between bankcrm's tables are dropped first and put back once
	-- every table is in place (those between co-located tables on party_id,
	-- and those to reference tables, are what Citus accepts)
	FOR fk IN
		SELECT c.conrelid::regclass AS rel, c.conname, pg_catalog.pg_get_constraintdef(c.oid) AS def
		  FROM pg_catalog.pg_constraint c
		  JOIN @extschema@.distribution_plan() d ON d.table_name OPERATOR(pg_catalog.=) c.conrelid
		 WHERE c.contype = 'f'
		   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition dp
		                    WHERE dp.logicalrelid OPERATOR(pg_catalog.=) c.conrelid)
		 ORDER BY d.ord, c.conname
	LOOP
		fks := fks || fk.def;
		fk_tables := fk_tables || fk.rel;
		fk_names := fk_names || fk.conname::text;
		EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);
		-- the workers' copies of the table, made by CREATE EXTENSION, too:
		-- the key is put back on every node once Citus manages the table
		PERFORM pg_catalog.run_command_on_workers(
			pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk.rel, fk.conname));
	END LOOP;

	FOR p IN SELECT * FROM @extschema@.distribution_plan() ORDER BY ord LOOP
		table_name := p.table_name;
		kind := p.kind;
		SELECT CASE dp.partmethod WHEN 'n' THEN 'reference' WHEN 'h' THEN 'distributed' ELSE 'other' END
		  INTO current_kind
		  FROM pg_catalog.pg_dist_partition dp
		 WHERE dp.logicalrelid OPERATOR(pg_catalog.=) p.table_name;
		IF current_kind IS NOT NULL THEN
			action := 'unchanged: already ' || current_kind;
		ELSIF p.kind = 'reference' THEN
			-- the rows are copied into the shards with the table's triggers
			-- off: they are already valid, and were checked when written
			EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER USER', p.table_name);
			PERFORM pg_catalog.create_reference_table(p.table_name);
			PERFORM pg_catalog.truncate_local_data_after_distributing_table(p.table_name);
			EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE TRIGGER USER', p.table_name);
			action := 'made a reference table';
		ELSE
			EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER USER', p.table_name);
			IF p.table_name OPERATOR(pg_catalog.=) '@extschema@.party'::regclass THEN
				PERFORM pg_catalog.create_distributed_table(p.table_name, 'party_id');
			ELSE
				PERFORM pg_catalog.create_distributed_table(p.table_name, 'party_id',
					colocate_with => '@extschema@.party');
			END IF;
			PERFORM pg_catalog.truncate_local_data_after_distributing_table(p.table_name);
			EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE TRIGGER USER', p.table_name);
			action := 'distributed by party_id';
		END IF;
		RETURN NEXT;
	END LOOP;

	-- A view that runs with its owner's rights (the analyst's masked views,
	-- the sales and pyramid reports) cannot on Citus: the workers run its
	-- shard queries as the connected role, with that role's rights.  Each
	-- reads through a SECURITY DEFINER function of its own definition,
	-- <view>_rows(), which runs as the owner on every node.
	FOR v IN
		SELECT c.oid::regclass AS rel, n.nspname, c.relname
		  FROM pg_catalog.pg_class c
		  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		  JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
		   AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype = 'e'
		  JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid AND e.extname = 'bankcrm'
		 WHERE c.relkind = 'v'
		   AND NOT COALESCE('security_invoker=true' OPERATOR(pg_catalog.=) ANY (c.reloptions), false)
		   AND NOT COALESCE('security_invoker=on' OPERATOR(pg_catalog.=) ANY (c.reloptions), false)
		   AND pg_catalog.to_regprocedure(pg_catalog.format('%I.%I()', n.nspname, c.relname || '_rows')) IS NULL
		 ORDER BY n.nspname, c.relname
	LOOP
		EXECUTE pg_catalog.format(
			'CREATE FUNCTION %I.%I() RETURNS SETOF %s LANGUAGE sql STABLE SECURITY DEFINER '
			'SET search_path = pg_catalog, pg_temp AS %L',
			v.nspname, v.relname || '_rows', v.rel, pg_catalog.pg_get_viewdef(v.rel));
		EXECUTE pg_catalog.format('ALTER EXTENSION bankcrm ADD FUNCTION %I.%I()', v.nspname, v.relname || '_rows');
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %I.%I() FROM PUBLIC', v.nspname, v.relname || '_rows');
		EXECUTE pg_catalog.format('COMMENT ON FUNCTION %I.%I() IS %L', v.nspname, v.relname || '_rows',
			pg_catalog.format('The rows of view %s with its owner''s rights (distribute(): Citus runs shard queries as the connected role)', v.rel));
		-- the view's readers may run it
		FOR g IN
			SELECT a.grantee::regrole AS grantee
			  FROM pg_catalog.pg_class c2, pg_catalog.aclexplode(c2.relacl) a
			 WHERE c2.oid OPERATOR(pg_catalog.=) v.rel AND a.privilege_type = 'SELECT'
			   AND a.grantee OPERATOR(pg_catalog.<>) 0
		LOOP
			EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %I.%I() TO %s', v.nspname, v.relname || '_rows', g.grantee);
		END LOOP;
		EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW %s AS SELECT * FROM %I.%I()', v.rel, v.nspname, v.relname || '_rows');
		table_name := v.rel;
		kind := 'view';
		action := pg_catalog.format('reads through %s_rows() with its owner''s rights', v.relname);
		RETURN NEXT;
	END LOOP;

	FOR i IN 1 .. COALESCE(pg_catalog.array_length(fks, 1), 0) LOOP
		BEGIN
			EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk_tables[i], fk_names[i], fks[i]);
		EXCEPTION WHEN feature_not_supported OR invalid_table_definition OR object_not_in_prerequisite_state THEN
			table_name := fk_tables[i];
			kind := NULL;
			action := pg_catalog.format('foreign key %s not kept: %s', fk_names[i], SQLERRM);
			RETURN NEXT;
		END;
	END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.distribute() IS 'On a Citus coordinator: distributes every party-scoped table by party_id co-located with party and makes the catalogues reference tables; idempotent; returns what it did, table by table';
REVOKE ALL ON FUNCTION @extschema@.distribute() FROM PUBLIC;
-- src/sql/88_pictures.sql: pictures — SVG charts and text sparklines and bars
--
-- Every chart is a plain SQL or PL/pgSQL function that returns one SVG
-- document as text, so a web page or a BI tool embeds it as it is.  The
-- functions run with the caller's rights and read through the views the
-- caller would query (value_pyramid, funnel, churn_dashboard, party_360) or,
-- for the Pareto curve, the scores themselves: row-level security decides
-- what is drawn.  Every piece of text that comes from the data passes through
-- svg_escape().  Numbers are printed with at most one decimal, so that the
-- output is the same on every platform (the regress suite compares it
-- byte for byte).  doc/pictures.md.

-- pictures: text ---------------------------------------------------------------

CREATE FUNCTION @extschema@.spark(vals double precision[], lo double precision DEFAULT NULL,
	hi double precision DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN vals IS NULL THEN NULL ELSE (
	WITH v AS (
		SELECT u.x, u.i FROM pg_catalog.unnest(vals) WITH ORDINALITY AS u (x, i)
	), r AS (
		SELECT COALESCE(lo, pg_catalog.min(v.x) FILTER (WHERE v.x > '-Infinity'::float8)) AS lo,
		       COALESCE(hi, pg_catalog.max(v.x) FILTER (WHERE v.x < 'Infinity'::float8)) AS hi
		  FROM v
	)
	SELECT COALESCE(pg_catalog.string_agg(
	         CASE WHEN v.x IS NULL OR v.x = 'NaN'::float8 THEN ' '
	              WHEN r.hi <= r.lo THEN '▄'
	              ELSE pg_catalog.substr('▁▂▃▄▅▆▇█',
	                     1 + LEAST(7, GREATEST(0, pg_catalog.floor(8 * (LEAST(GREATEST(v.x, r.lo), r.hi) - r.lo)
	                                                               / (r.hi - r.lo))::integer)), 1)
	         END, '' ORDER BY v.i), '')
	  FROM v, r
) END;
COMMENT ON FUNCTION @extschema@.spark(double precision[], double precision, double precision) IS
	'A text sparkline, one block character (▁ to █) per value, scaled between lo and hi (the values'' minimum and maximum when NULL); a blank for NULL or NaN; NULL for a NULL array';

CREATE FUNCTION @extschema@.bar(val double precision, max_val double precision, width integer DEFAULT 20)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	eighths	integer;
BEGIN
	IF width IS NULL OR width < 1 OR width > 1000 THEN
		RAISE EXCEPTION 'width must be between 1 and 1000 characters'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the width the longest bar may take, for example 20.';
	END IF;
	IF val IS NULL OR max_val IS NULL OR val = 'NaN'::float8 OR max_val = 'NaN'::float8 THEN
		RETURN NULL;
	END IF;
	IF max_val <= 0 OR val <= 0 THEN
		RETURN '';
	END IF;
	eighths := pg_catalog.round(8 * width * LEAST(val / max_val, 1.0))::integer;
	RETURN pg_catalog.repeat('█', eighths / 8)
	    || CASE WHEN eighths % 8 > 0 THEN pg_catalog.substr('▏▎▍▌▋▊▉', eighths % 8, 1) ELSE '' END;
END
$$;
COMMENT ON FUNCTION @extschema@.bar(double precision, double precision, integer) IS
	'A text bar: val against max_val over width characters, in eighths of a character (▏ to █); empty for zero or less, NULL for NULL';

-- pictures: SVG helpers --------------------------------------------------------

CREATE FUNCTION @extschema@.svg_escape(s text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
	pg_catalog.regexp_replace(s, '[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]', '', 'g'),
	'&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&apos;');
COMMENT ON FUNCTION @extschema@.svg_escape(text) IS
	'Text made safe inside an XML element or attribute: & < > " and '' as entities, characters XML 1.0 forbids removed';

-- a number as SVG writes it: at most one decimal, no trailing ".0"
CREATE FUNCTION @extschema@.svg_num(x double precision)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.regexp_replace(pg_catalog.round(x::numeric, 1)::text, '\.0$', '');
COMMENT ON FUNCTION @extschema@.svg_num(double precision) IS
	'A number rounded to one decimal, without a trailing .0 (coordinates in the SVG functions)';

-- an amount for a label: 1234567 -> 1.2 M, 45600 -> 45.6 k
CREATE FUNCTION @extschema@.svg_amount(x numeric)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE
	WHEN pg_catalog.abs(x) >= 1e9 THEN pg_catalog.round(x / 1e9, 1)::text || ' bn'
	WHEN pg_catalog.abs(x) >= 1e6 THEN pg_catalog.round(x / 1e6, 1)::text || ' M'
	WHEN pg_catalog.abs(x) >= 1e3 THEN pg_catalog.round(x / 1e3, 1)::text || ' k'
	ELSE pg_catalog.round(x, 0)::text END;
COMMENT ON FUNCTION @extschema@.svg_amount(numeric) IS
	'An amount for a chart label: one decimal with k, M or bn';

-- the opening tag, the title and a heading; svg_close() ends it
CREATE FUNCTION @extschema@.svg_open(chart text, title text, width integer, height integer)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.format(
	'<svg xmlns="http://www.w3.org/2000/svg" class="bankcrm-chart" data-chart="%s" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="12" role="img">'
	'<title>%s</title><rect width="100%%" height="100%%" fill="#fff"/>'
	'<text x="10" y="20" font-size="14" font-weight="bold">%s</text>',
	@extschema@.svg_escape(chart), width, height, width, height,
	@extschema@.svg_escape(COALESCE(title, '')), @extschema@.svg_escape(COALESCE(title, '')));
COMMENT ON FUNCTION @extschema@.svg_open(text, text, integer, integer) IS
	'The start of a chart: the svg element (class bankcrm-chart, data-chart = chart), its title and a heading';

-- a small line of values: the polyline of a sparkline inside a box
CREATE FUNCTION @extschema@.svg_polyline(vals double precision[], x double precision, y double precision,
	width double precision, height double precision, colour text DEFAULT '#2c7bb6')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN (
	WITH v AS (
		SELECT u.v, u.i FROM pg_catalog.unnest(vals) WITH ORDINALITY AS u (v, i)
	), r AS (
		SELECT pg_catalog.min(v.v) FILTER (WHERE v.v <> 'NaN'::float8) AS lo,
		       pg_catalog.max(v.v) FILTER (WHERE v.v <> 'NaN'::float8) AS hi,
		       pg_catalog.count(*) AS n
		  FROM v
	)
	SELECT '<polyline fill="none" stroke="' || @extschema@.svg_escape(colour) || '" stroke-width="1.5" points="'
	       || COALESCE(pg_catalog.string_agg(
	            @extschema@.svg_num(x + CASE WHEN r.n > 1 THEN width * (v.i - 1) / (r.n - 1) ELSE width / 2 END)
	            || ',' ||
	            @extschema@.svg_num(y + height - CASE WHEN r.hi > r.lo THEN height * (v.v - r.lo) / (r.hi - r.lo)
	                                                  ELSE height / 2 END),
	            ' ' ORDER BY v.i) FILTER (WHERE v.v IS NOT NULL AND v.v <> 'NaN'::float8), '')
	       || '"/>'
	  FROM v, r
);
COMMENT ON FUNCTION @extschema@.svg_polyline(double precision[], double precision, double precision,
	double precision, double precision, text) IS
	'An SVG polyline of the values, scaled to fill the box at (x, y) of width by height; NULL values are left out';

-- pictures: SVG charts from arrays ----------------------------------------------

CREATE FUNCTION @extschema@.svg_sparkline(vals double precision[], width integer DEFAULT 120, height integer DEFAULT 24)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.format(
	'<svg xmlns="http://www.w3.org/2000/svg" class="bankcrm-chart" data-chart="sparkline" width="%s" height="%s" viewBox="0 0 %s %s" role="img">%s</svg>',
	width, height, width, height, @extschema@.svg_polyline(vals, 1, 1, width - 2, height - 2));
COMMENT ON FUNCTION @extschema@.svg_sparkline(double precision[], integer, integer) IS
	'A sparkline as a small SVG: the values as one line, NULL values left out';

CREATE FUNCTION @extschema@.svg_bars(title text, labels text[], vals double precision[], notes text[] DEFAULT NULL,
	centred boolean DEFAULT false, highlight boolean[] DEFAULT NULL, chart text DEFAULT 'bars')
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n		integer := COALESCE(pg_catalog.cardinality(labels), 0);
	top		double precision;
	out		text;
	i		integer;
	w		double precision;
	y		integer;
BEGIN
	IF n <> COALESCE(pg_catalog.cardinality(vals), 0)
	   OR (notes IS NOT NULL AND pg_catalog.cardinality(notes) <> n)
	   OR (highlight IS NOT NULL AND pg_catalog.cardinality(highlight) <> n) THEN
		RAISE EXCEPTION 'labels, values, notes and highlight differ in length'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give one value (and one note, one highlight flag) per label.';
	END IF;
	SELECT pg_catalog.max(v) INTO top FROM pg_catalog.unnest(vals) v WHERE v > 0 AND v < 'Infinity'::float8;
	out := @extschema@.svg_open(chart, title, 800, 40 + 28 * n);
	FOR i IN 1 .. n LOOP
		w := CASE WHEN top IS NULL OR vals[i] IS NULL OR NOT vals[i] > 0 THEN 0
		          ELSE 300 * LEAST(vals[i], top) / top END;
		y := 32 + 28 * (i - 1);
		out := out || pg_catalog.format(
			'<g class="bar"><text x="130" y="%s" text-anchor="end">%s</text>'
			'<rect x="%s" y="%s" width="%s" height="22" fill="%s"/>'
			'<text x="450" y="%s">%s</text></g>',
			y + 15, @extschema@.svg_escape(COALESCE(labels[i], '')),
			@extschema@.svg_num(CASE WHEN centred THEN 290 - w / 2 ELSE 140 END), y, @extschema@.svg_num(w),
			CASE WHEN highlight[i] THEN '#d7301f' ELSE '#2c7bb6' END,
			y + 15, @extschema@.svg_escape(COALESCE(notes[i], COALESCE(@extschema@.svg_num(vals[i]), ''))));
	END LOOP;
	IF n = 0 THEN
		out := out || '<text x="10" y="36">no rows</text>';
	END IF;
	RETURN out || '</svg>';
END
$$;
COMMENT ON FUNCTION @extschema@.svg_bars(text, text[], double precision[], text[], boolean, boolean[], text) IS
	'A horizontal bar chart as SVG: one bar per label, scaled to the largest value, centred (a pyramid or funnel) or left-aligned, with a note beside each bar and highlighted bars in red';

-- pictures: charts of the bank --------------------------------------------------

CREATE FUNCTION @extschema@.svg_value_pyramid(pyramid text DEFAULT 'value')
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	l text[];
	v double precision[];
	t text[];
BEGIN
	IF pyramid IS NULL OR pyramid NOT IN ('value', 'wealth') THEN
		RAISE EXCEPTION 'unknown pyramid "%"', pyramid
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give ''value'' (key, general, scattered) or ''wealth'' (uhnw, hnw, affluent, mass).';
	END IF;
	SELECT pg_catalog.array_agg(p.tier ORDER BY o.ord),
	       pg_catalog.array_agg(p.parties ORDER BY o.ord),
	       pg_catalog.array_agg(pg_catalog.format('%s parties · %s%% of AUM · %s%% of contribution',
	                              p.parties, COALESCE(p.aum_pct, 0), COALESCE(p.contribution_pct, 0)) ORDER BY o.ord)
	  INTO l, v, t
	  FROM @extschema@.value_pyramid p,
	       LATERAL pg_catalog.array_position(ARRAY['key', 'general', 'scattered', 'uhnw', 'hnw', 'affluent', 'mass'],
	                                         p.tier) AS o (ord)
	 WHERE p.pyramid = svg_value_pyramid.pyramid;
	RETURN @extschema@.svg_bars(CASE pyramid WHEN 'value' THEN 'Value pyramid' ELSE 'Wealth pyramid' END,
	                            l, v, t, true, NULL, pyramid || '_pyramid');
END
$$;
COMMENT ON FUNCTION @extschema@.svg_value_pyramid(text) IS
	'The value pyramid (key, general, scattered) or the wealth pyramid (uhnw to mass) of value_pyramid as SVG: parties per tier with their share of AUM and contribution';

CREATE FUNCTION @extschema@.svg_pareto(model text DEFAULT NULL, share numeric DEFAULT 0.8, points integer DEFAULT 50)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	m_name	text;
	n		bigint;
	k		bigint;
	xs		double precision[];
	ys		double precision[];
	kx		double precision;
	out		text;
BEGIN
	IF share IS NULL OR share <= 0 OR share > 1 THEN
		RAISE EXCEPTION 'share must be greater than 0 and at most 1'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the share of the contribution as a fraction, for example 0.8 for 80 %.';
	END IF;
	IF points IS NULL OR points < 2 OR points > 1000 THEN
		RAISE EXCEPTION 'points must be between 2 and 1000'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the number of points the curve is drawn through, for example 50.';
	END IF;
	SELECT m.model INTO m_name FROM @extschema@.score_model m
	 WHERE (svg_pareto.model IS NULL AND m.is_default) OR m.model = svg_pareto.model;
	IF m_name IS NULL THEN
		RAISE EXCEPTION 'scoring model "%" does not exist', COALESCE(model, '(default)')
			USING ERRCODE = 'undefined_object',
			      HINT = 'SELECT model FROM bankcrm.score_model lists the models.';
	END IF;
	-- the caller's rights: row-level security decides which customers are in the curve
	WITH c AS (
		SELECT pg_catalog.row_number() OVER w AS rn,
		       pg_catalog.sum(GREATEST(ps.contribution, 0)) OVER w AS cum
		  FROM @extschema@.party_score ps
		  JOIN @extschema@.party p ON p.party_id = ps.party_id
		 WHERE ps.model = m_name AND p.status <> 'prospect'
		WINDOW w AS (ORDER BY ps.contribution DESC, ps.party_id)
	), tot AS (
		SELECT pg_catalog.count(*) AS n, pg_catalog.max(c.cum) AS pos FROM c
	), picked AS (
		SELECT 0::bigint AS rn, 0::numeric AS cum
		UNION ALL
		SELECT c.rn, c.cum FROM c, tot
		 WHERE c.rn IN (SELECT pg_catalog.ceil(g * tot.n / points::numeric)::bigint
		                  FROM pg_catalog.generate_series(1, points) g)
	)
	SELECT tot.n,
	       (SELECT pg_catalog.min(c.rn) FROM c WHERE tot.pos > 0 AND c.cum >= share * tot.pos),
	       pg_catalog.array_agg(100.0 * picked.rn / NULLIF(tot.n, 0) ORDER BY picked.rn),
	       pg_catalog.array_agg(COALESCE(100.0 * picked.cum / NULLIF(tot.pos, 0), 0) ORDER BY picked.rn)
	  INTO n, k, xs, ys
	  FROM picked, tot
	 GROUP BY tot.n, tot.pos;
	out := @extschema@.svg_open('pareto', pg_catalog.format('Pareto curve (%s)', m_name), 640, 360)
	    -- axes: customers (x) against contribution (y), percent, in a 500 x 280 box at (60, 40)
	    || '<g class="axes" stroke="#444"><line x1="60" y1="320" x2="560" y2="320"/><line x1="60" y1="40" x2="60" y2="320"/></g>'
	    || '<text x="310" y="350" text-anchor="middle">customers, % (largest contribution first)</text>'
	    || '<text x="20" y="180" text-anchor="middle" transform="rotate(-90 20 180)">contribution, %</text>'
	    || '<text x="55" y="324" text-anchor="end">0</text><text x="55" y="44" text-anchor="end">100</text>'
	    || '<text x="560" y="334" text-anchor="middle">100</text>';
	IF COALESCE(n, 0) = 0 THEN
		RETURN out || '<text x="310" y="180" text-anchor="middle">no scored customers</text></svg>';
	END IF;
	out := out || '<polyline class="curve" fill="none" stroke="#2c7bb6" stroke-width="2" points="'
	    || (SELECT pg_catalog.string_agg(@extschema@.svg_num(60 + 5 * xs[i]) || ',' || @extschema@.svg_num(320 - 2.8 * ys[i]),
	                                     ' ' ORDER BY i)
	          FROM pg_catalog.generate_subscripts(xs, 1) AS g (i))
	    || '"/>';
	IF k IS NOT NULL THEN
		kx := 100.0 * k / n;
		out := out || pg_catalog.format(
			'<g class="mark" stroke="#d7301f" stroke-dasharray="4 3"><line x1="60" y1="%s" x2="%s" y2="%s"/><line x1="%s" y1="%s" x2="%s" y2="320"/></g>'
			'<text x="%s" y="%s" fill="#d7301f">%s%% of customers make %s%% of the contribution</text>',
			@extschema@.svg_num(320 - 280 * share), @extschema@.svg_num(60 + 5 * kx), @extschema@.svg_num(320 - 280 * share),
			@extschema@.svg_num(60 + 5 * kx), @extschema@.svg_num(320 - 280 * share), @extschema@.svg_num(60 + 5 * kx),
			@extschema@.svg_num(LEAST(60 + 5 * kx + 6, 330)), @extschema@.svg_num(320 - 280 * share + 16),
			@extschema@.svg_num(kx), @extschema@.svg_num(100 * share));
	END IF;
	RETURN out || '</svg>';
END
$$;
COMMENT ON FUNCTION @extschema@.svg_pareto(text, numeric, integer) IS
	'The Pareto curve as SVG: the share of the positive contribution against the share of customers (prospects excluded), largest first, with the line at the given share; the customers are those the caller may read';

CREATE FUNCTION @extschema@.svg_funnel(campaign_id bigint)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	nm	text;
	l	text[];
	v	double precision[];
	t	text[];
	h	boolean[];
BEGIN
	SELECT pg_catalog.min(f.campaign),
	       pg_catalog.array_agg(f.stage ORDER BY f.stage_order),
	       pg_catalog.array_agg(f.entered ORDER BY f.stage_order),
	       pg_catalog.array_agg(pg_catalog.format('%s entered · %s now', f.entered, f.now_in_stage)
	                            || CASE WHEN f.conversion_pct IS NOT NULL
	                                    THEN pg_catalog.format(' · %s%% on', f.conversion_pct) ELSE '' END
	                            || CASE WHEN f.bottleneck THEN ' · bottleneck' ELSE '' END ORDER BY f.stage_order),
	       pg_catalog.array_agg(f.bottleneck ORDER BY f.stage_order)
	  INTO nm, l, v, t, h
	  FROM @extschema@.funnel f
	 WHERE f.campaign_id = svg_funnel.campaign_id;
	IF l IS NULL THEN
		RAISE EXCEPTION 'campaign % not found', COALESCE(campaign_id::text, 'NULL')
			USING ERRCODE = 'undefined_object',
			      HINT = 'SELECT DISTINCT campaign_id, campaign FROM bankcrm.funnel lists the campaigns you may see.';
	END IF;
	RETURN @extschema@.svg_bars('Funnel: ' || nm, l, v, t, true, h, 'funnel');
END
$$;
COMMENT ON FUNCTION @extschema@.svg_funnel(bigint) IS
	'One campaign''s funnel as SVG from the funnel view: leads that entered each stage, now in it and moving on, the bottleneck in red';

CREATE FUNCTION @extschema@.svg_churn_dashboard(max_alerts integer DEFAULT 12)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r		record;
	i		integer := 0;
	total	bigint;
	out		text := '';
	y		integer;
BEGIN
	IF max_alerts IS NULL OR max_alerts < 1 OR max_alerts > 500 THEN
		RAISE EXCEPTION 'max_alerts must be between 1 and 500'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the number of alerts to draw, for example 12.';
	END IF;
	SELECT pg_catalog.count(*) INTO total FROM @extschema@.churn_dashboard;
	FOR r IN
		SELECT d.alert_id, d.party_name, d.branch_name, d.severity, d.state, d.metric, d.level_drop_pct, d.sparkline
		  FROM @extschema@.churn_dashboard d
		 ORDER BY pg_catalog.array_position(ARRAY['critical', 'warning', 'watch'], d.severity),
		          d.level_drop_pct DESC NULLS LAST, d.alert_id
		 LIMIT max_alerts
	LOOP
		y := 50 + 30 * i;
		out := out || pg_catalog.format(
			'<g class="alert"><circle cx="18" cy="%s" r="6" fill="%s"/>'
			'<text x="30" y="%s">%s</text><text x="200" y="%s">%s</text><text x="320" y="%s">%s</text>'
			'%s<text x="630" y="%s" text-anchor="end">%s</text></g>',
			y - 4, CASE r.severity WHEN 'critical' THEN '#d7301f' WHEN 'warning' THEN '#fc8d59' ELSE '#fee08b' END,
			y, @extschema@.svg_escape(COALESCE(r.party_name, '')),
			y, @extschema@.svg_escape(COALESCE(r.branch_name, '')),
			y, @extschema@.svg_escape(r.metric || ' · ' || r.state),
			@extschema@.svg_polyline(r.sparkline, 505, y - 16, 90, 20,
			                         CASE r.severity WHEN 'critical' THEN '#d7301f' ELSE '#2c7bb6' END),
			y, COALESCE('-' || @extschema@.svg_num(r.level_drop_pct) || '%', ''));
		i := i + 1;
	END LOOP;
	RETURN @extschema@.svg_open('churn_dashboard',
	                            pg_catalog.format('Churn alerts: %s active%s', total,
	                                              CASE WHEN total > i THEN pg_catalog.format(', %s shown', i) ELSE '' END),
	                            640, 40 + 30 * GREATEST(i, 1))
	    || CASE WHEN i = 0 THEN '<text x="10" y="50">no active alerts</text>' ELSE out END
	    || '</svg>';
END
$$;
COMMENT ON FUNCTION @extschema@.svg_churn_dashboard(integer) IS
	'The churn dashboard as SVG: the active alerts the caller may read, most severe and deepest drop first, each with its party, branch, metric, 26-week sparkline and drop';

CREATE FUNCTION @extschema@.svg_party_slide(party_id bigint, weeks integer DEFAULT 26)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	p		record;
	sc		record;
	act		double precision[];
	facts	text[];
	out		text;
	i		integer;
BEGIN
	IF weeks IS NULL OR weeks < 2 OR weeks > 520 THEN
		RAISE EXCEPTION 'weeks must be between 2 and 520'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the number of weeks of activity to draw, for example 26.';
	END IF;
	SELECT v.party_id, v.kind, v.name, v.status, v.credit_rating::text AS rating, v.industry, v.home_branch, v.primary_rm,
	       v.aum, v.loans, v.monthly_contribution, v.products, v.last_contact_at, v.last_contact_channel,
	       v.open_complaints, v.do_not_contact
	  INTO p
	  FROM @extschema@.party_360 v
	 WHERE v.party_id = svg_party_slide.party_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'party % not found', COALESCE(party_id::text, 'NULL')
			USING ERRCODE = 'undefined_object',
			      HINT = 'The party does not exist or row-level security hides it from you.';
	END IF;
	SELECT ps.value_score, ps.value_tier, ps.wealth_tier, ps.contribution INTO sc
	  FROM @extschema@.party_score ps JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
	 WHERE ps.party_id = p.party_id;
	-- weekly transaction volume, oldest first, over the weeks up to the party's latest
	SELECT pg_catalog.array_agg(a.txn_volume ORDER BY g.wk) INTO act
	  FROM (SELECT pg_catalog.max(aw.week) AS last FROM @extschema@.activity_weekly aw
	         WHERE aw.party_id = p.party_id) lw,
	       LATERAL pg_catalog.generate_series(lw.last - 7 * (weeks - 1), lw.last, interval '7 days') AS g (wk)
	  LEFT JOIN @extschema@.activity_weekly a ON a.party_id = p.party_id AND a.week = g.wk::date
	 WHERE lw.last IS NOT NULL;
	facts := ARRAY[
		pg_catalog.format('%s · %s · %s', p.kind, p.status, COALESCE(p.industry, 'no industry')),
		pg_catalog.format('credit rating %s', COALESCE(p.rating, 'none')),
		pg_catalog.format('branch %s · RM %s', COALESCE(p.home_branch, 'none'), COALESCE(p.primary_rm, 'none')),
		pg_catalog.format('AUM %s · loans %s · contribution %s a month', @extschema@.svg_amount(p.aum),
		                  @extschema@.svg_amount(p.loans), @extschema@.svg_amount(p.monthly_contribution)),
		CASE WHEN sc.value_score IS NULL THEN 'not scored'
		     ELSE pg_catalog.format('value score %s · %s tier%s · contribution %s a year', sc.value_score, sc.value_tier,
		                            COALESCE(' · ' || sc.wealth_tier, ''), @extschema@.svg_amount(sc.contribution)) END,
		'products: ' || COALESCE(pg_catalog.array_to_string(p.products, ', '), 'none'),
		CASE WHEN p.last_contact_at IS NULL THEN 'never contacted'
		     ELSE pg_catalog.format('last contact %s by %s', pg_catalog.to_char(p.last_contact_at, 'YYYY-MM-DD'),
		                            p.last_contact_channel) END
		|| CASE WHEN p.open_complaints > 0 THEN pg_catalog.format(' · %s open complaints', p.open_complaints) ELSE '' END
		|| CASE WHEN p.do_not_contact THEN ' · do not contact' ELSE '' END];
	out := @extschema@.svg_open('party_slide', pg_catalog.format('%s (%s)', p.name, p.party_id), 640, 260);
	FOR i IN 1 .. pg_catalog.cardinality(facts) LOOP
		out := out || pg_catalog.format('<text x="20" y="%s">%s</text>', 28 + 20 * i, @extschema@.svg_escape(facts[i]));
	END LOOP;
	out := out || pg_catalog.format('<text x="20" y="%s" fill="#666">weekly transaction volume, %s weeks</text>', 208, weeks);
	IF act IS NULL THEN
		out := out || '<text x="320" y="208" fill="#666">no activity</text>';
	ELSE
		out := out || @extschema@.svg_polyline(act, 320, 192, 300, 40);
	END IF;
	RETURN out || '</svg>';
END
$$;
COMMENT ON FUNCTION @extschema@.svg_party_slide(bigint, integer) IS
	'One party''s slide as SVG from party_360 and its score: profile, coverage, balances, products, last contact and a line of its weekly transaction volume';

-- pictures: privileges ------------------------------------------------------------
-- each chart for the roles that may read what it draws from; what each
-- draws is what row-level security lets the caller see

REVOKE ALL ON FUNCTION @extschema@.svg_value_pyramid(text), @extschema@.svg_pareto(text, numeric, integer),
	@extschema@.svg_funnel(bigint), @extschema@.svg_churn_dashboard(integer),
	@extschema@.svg_party_slide(bigint, integer) FROM PUBLIC;
-- value_pyramid and funnel: aggregates, for the analyst too
GRANT EXECUTE ON FUNCTION @extschema@.svg_value_pyramid(text), @extschema@.svg_funnel(bigint)
	TO bankcrm_admin, bankcrm_manager, bankcrm_analyst, bankcrm_app;
-- party rows: party_score, churn_dashboard, party_360
GRANT EXECUTE ON FUNCTION @extschema@.svg_pareto(text, numeric, integer), @extschema@.svg_churn_dashboard(integer),
	@extschema@.svg_party_slide(bigint, integer)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
-- src/sql/90_dump.sql
-- pg_dump keeps the rows of every table the extension creates: they hold the
-- bank's data and configuration, not objects the script would recreate.
-- Runs last, so it covers every table and identity sequence in the schema.
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT c.oid::regclass AS rel
		  FROM pg_catalog.pg_class c
		 WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
		   AND c.relkind IN ('r', 'p', 'S')
		   -- derived from party_relation by its triggers, which rebuild it
		   -- when a dump is restored (22_relationship_group.sql)
		   AND c.relname OPERATOR(pg_catalog.<>) 'relationship_group'
		 ORDER BY c.relkind DESC, c.relname
	LOOP
		PERFORM pg_catalog.pg_extension_config_dump(r.rel, '');
	END LOOP;
END
$$;
