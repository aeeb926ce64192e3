-- src/sql/updates/bankcrm--0.1.0--0.2.0.sql
-- Update from release 0.1.0 to 0.2.0: each change made to src/sql since
-- 0.1.0, made the same way here (doc/releasing.md). test/t/002_upgrade.pl
-- checks that an updated installation equals a fresh one.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION bankcrm UPDATE TO '0.2.0'" to load this file. \quit

-- one list of party kinds: party_kinds() (20_party.sql); the CHECKs of
-- party, product and churn_policy read it
CREATE FUNCTION @extschema@.party_kinds()
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$SELECT '{individual,corporate,financial_institution,government}'::pg_catalog.text[]$$;
COMMENT ON FUNCTION @extschema@.party_kinds() IS 'The kinds of party, in order: individual, corporate, financial_institution, government; the one list that party.kind, product.for_kind and churn_policy.party_kind are checked against';
CREATE FUNCTION @extschema@.library_vocabulary(vocabulary text)
	RETURNS text[]
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'library_vocabulary';
COMMENT ON FUNCTION @extschema@.library_vocabulary(text) IS 'The words of a vocabulary (party_kind) as the loaded C library knows them, in order: equal to party_kinds() when library and install script belong together';
ALTER TABLE @extschema@.party DROP CONSTRAINT party_kind_check;
ALTER TABLE @extschema@.party ADD CONSTRAINT party_kind_check
	CHECK (kind OPERATOR(pg_catalog.=) ANY (@extschema@.party_kinds()));
ALTER TABLE @extschema@.product DROP CONSTRAINT product_for_kind_check;
ALTER TABLE @extschema@.product ADD CONSTRAINT product_for_kind_check
	CHECK (for_kind OPERATOR(pg_catalog.<@) @extschema@.party_kinds());
ALTER TABLE @extschema@.product ALTER COLUMN for_kind SET DEFAULT @extschema@.party_kinds();
ALTER TABLE @extschema@.churn_policy DROP CONSTRAINT churn_policy_party_kind_check;
ALTER TABLE @extschema@.churn_policy ADD CONSTRAINT churn_policy_party_kind_check
	CHECK (party_kind OPERATOR(pg_catalog.=) ANY (@extschema@.party_kinds()));
