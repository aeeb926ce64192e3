-- src/sql/updates/bankcrm--0.1.0--0.2.0.sql
-- Update from release 0.1.0 to 0.2.0: each change made to src/sql since
-- 0.1.0, made the same way here (doc/releasing.md). test/t/002_upgrade.pl
-- checks that an updated installation equals a fresh one.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION bankcrm UPDATE TO '0.2.0'" to load this file. \quit

-- one list of party kinds: the type party_kind (20_party.sql); the CHECKs
-- of party, product and churn_policy read its labels
CREATE TYPE @extschema@.party_kind AS ENUM ('individual', 'corporate', 'financial_institution', 'government');
COMMENT ON TYPE @extschema@.party_kind IS 'The kinds of party: individual, corporate, financial_institution, government (party.kind, product.for_kind, churn_policy.party_kind)';
CREATE FUNCTION @extschema@.library_vocabulary(vocabulary text)
	RETURNS text[]
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'library_vocabulary';
COMMENT ON FUNCTION @extschema@.library_vocabulary(text) IS 'The words of a vocabulary (party_kind) as the loaded C library knows them, in order: equal to the SQL type''s labels when library and install script belong together';
ALTER TABLE @extschema@.party DROP CONSTRAINT party_kind_check;
ALTER TABLE @extschema@.party ADD CONSTRAINT party_kind_check
	CHECK (kind OPERATOR(pg_catalog.=) ANY (pg_catalog.enum_range(NULL::@extschema@.party_kind)::text[]));
ALTER TABLE @extschema@.product DROP CONSTRAINT product_for_kind_check;
ALTER TABLE @extschema@.product ADD CONSTRAINT product_for_kind_check
	CHECK (for_kind OPERATOR(pg_catalog.<@) pg_catalog.enum_range(NULL::@extschema@.party_kind)::text[]);
ALTER TABLE @extschema@.product ALTER COLUMN for_kind SET DEFAULT pg_catalog.enum_range(NULL::@extschema@.party_kind)::text[];
ALTER TABLE @extschema@.churn_policy DROP CONSTRAINT churn_policy_party_kind_check;
ALTER TABLE @extschema@.churn_policy ADD CONSTRAINT churn_policy_party_kind_check
	CHECK (party_kind OPERATOR(pg_catalog.=) ANY (pg_catalog.enum_range(NULL::@extschema@.party_kind)::text[]));
