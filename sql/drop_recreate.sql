-- drop_recreate: DROP EXTENSION bankcrm CASCADE leaves nothing behind but its
-- (empty) schema, and the extension installs again on the same database
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm;
CREATE VIEW catalog_counts AS
SELECT (SELECT count(*) FROM pg_class) AS classes,
       (SELECT count(*) FROM pg_attribute) AS attributes,
       (SELECT count(*) FROM pg_proc) AS functions,
       (SELECT count(*) FROM pg_type) AS types,
       (SELECT count(*) FROM pg_operator) AS operators,
       (SELECT count(*) FROM pg_opclass) AS opclasses,
       (SELECT count(*) FROM pg_opfamily) AS opfamilies,
       (SELECT count(*) FROM pg_amop) AS amops,
       (SELECT count(*) FROM pg_amproc) AS amprocs,
       (SELECT count(*) FROM pg_aggregate) AS aggregates,
       (SELECT count(*) FROM pg_cast) AS casts,
       (SELECT count(*) FROM pg_constraint) AS constraints,
       (SELECT count(*) FROM pg_trigger) AS triggers,
       (SELECT count(*) FROM pg_policy) AS policies,
       (SELECT count(*) FROM pg_rewrite) AS rules,
       (SELECT count(*) FROM pg_index) AS indexes,
       (SELECT count(*) FROM pg_sequence) AS sequences,
       (SELECT count(*) FROM pg_attrdef) AS defaults,
       (SELECT count(*) FROM pg_depend) AS depends,
       (SELECT count(*) FROM pg_description) AS descriptions,
       (SELECT count(*) FROM pg_init_privs) AS init_privs,
       (SELECT count(*) FROM pg_namespace) AS schemas,
       (SELECT count(*) FROM pg_extension) AS extensions;
SELECT to_jsonb(c)::text AS before FROM catalog_counts c \gset
CREATE EXTENSION bankcrm;
-- something was created
SELECT key AS catalogue, c.value::int > b.value::int AS grew
  FROM jsonb_each(:'before'::jsonb) b
  JOIN jsonb_each((SELECT to_jsonb(c) FROM catalog_counts c)) c USING (key)
 WHERE key IN ('classes', 'functions', 'types', 'operators', 'opclasses', 'policies', 'triggers', 'aggregates')
 ORDER BY key;
DROP EXTENSION bankcrm CASCADE;
-- the schema created by CREATE EXTENSION is not a member of the extension:
-- it stays, empty
SELECT nspname, (SELECT count(*) FROM pg_class WHERE relnamespace = n.oid) AS relations,
       (SELECT count(*) FROM pg_proc WHERE pronamespace = n.oid) AS functions,
       (SELECT count(*) FROM pg_type WHERE typnamespace = n.oid) AS types
  FROM pg_namespace n WHERE nspname = 'bankcrm';
DROP SCHEMA bankcrm;
-- every catalogue is back where it was
SELECT key AS catalogue, b.value AS before, c.value AS after
  FROM jsonb_each(:'before'::jsonb) b
  JOIN jsonb_each((SELECT to_jsonb(c) FROM catalog_counts c)) c USING (key)
 WHERE b.value <> c.value;
-- and it installs again
CREATE EXTENSION bankcrm;
SELECT count(*) > 0 AS reinstalled FROM pg_extension WHERE extname = 'bankcrm';
DROP VIEW catalog_counts;
