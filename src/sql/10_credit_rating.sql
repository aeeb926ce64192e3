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
