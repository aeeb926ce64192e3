-- src/sql/12_text_compare.sql: the types compared with text, as drivers bind parameters

-- JDBC (setString), ODBC and other drivers send a parameter as varchar or
-- text; rating >= ? then found no operator (42883), since text has no
-- implicit cast to credit_rating or phone.  These operators take the text,
-- convert it with the type's input function (bad input is 22P02 as usual)
-- and compare; they are SQL functions the planner inlines into the type's own
-- operator, so an index on the column serves them.  A literal ('BBB-') still
-- resolves to the type's own operator.

-- credit_rating: every comparison

CREATE FUNCTION @extschema@.credit_rating_lt_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_lt_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<) $2$$;

CREATE OPERATOR @extschema@.< (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_lt_text,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE OPERATOR @extschema@.< (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_lt_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_le_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_le_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<=) $2$$;

CREATE OPERATOR @extschema@.<= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_le_text,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE OPERATOR @extschema@.<= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_le_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE FUNCTION @extschema@.credit_rating_eq_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_eq_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.=) $2$$;

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_eq_text,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_eq_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_ne_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<>) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_ne_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<>) $2$$;

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_ne_text,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_ne_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_ge_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.>=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_ge_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.>=) $2$$;

CREATE OPERATOR @extschema@.>= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_ge_text,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR @extschema@.>= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_ge_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE FUNCTION @extschema@.credit_rating_gt_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.>) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_gt_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.>) $2$$;

CREATE OPERATOR @extschema@.> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_gt_text,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

CREATE OPERATOR @extschema@.> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_gt_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

-- phone: equality (a phone is looked up, not ranged)

CREATE FUNCTION @extschema@.phone_eq_text(@extschema@.phone, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.=) $2::@extschema@.phone$$;

CREATE FUNCTION @extschema@.text_eq_phone(pg_catalog.text, @extschema@.phone)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.phone OPERATOR(@extschema@.=) $2$$;

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.phone,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.phone_eq_text,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.text_eq_phone,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE FUNCTION @extschema@.phone_ne_text(@extschema@.phone, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<>) $2::@extschema@.phone$$;

CREATE FUNCTION @extschema@.text_ne_phone(pg_catalog.text, @extschema@.phone)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.phone OPERATOR(@extschema@.<>) $2$$;

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.phone,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.phone_ne_text,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.text_ne_phone,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

-- what each operator's function is (every function of the extension has a comment)
COMMENT ON FUNCTION @extschema@.credit_rating_lt_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating < text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_lt_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text < credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_le_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating <= text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_le_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text <= credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_eq_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating = text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_eq_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text = credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_ne_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating <> text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_ne_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text <> credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_ge_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating >= text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_ge_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text >= credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_gt_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating > text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_gt_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text > credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.phone_eq_text(@extschema@.phone, pg_catalog.text) IS 'The operator phone = text: the text read as a phone number (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_eq_phone(pg_catalog.text, @extschema@.phone) IS 'The operator text = phone: the text read as a phone number (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.phone_ne_text(@extschema@.phone, pg_catalog.text) IS 'The operator phone <> text: the text read as a phone number (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_ne_phone(pg_catalog.text, @extschema@.phone) IS 'The operator text <> phone: the text read as a phone number (its input function), then compared; for parameters that drivers bind as text or varchar';
