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
