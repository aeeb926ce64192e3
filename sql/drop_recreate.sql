-- drop_recreate: DROP EXTENSION bankcrm CASCADE leaves nothing behind but its
-- (empty) schema, and the extension installs again on the same database,
-- with the same objects, and works in the same session
SET search_path = bankcrm, public;
-- the process engine and the scoring engine find the extension's schema
-- (cached per backend, bankcrm.c) before ...
SELECT fsm_next('campaign_lifecycle', 'draft', 'approve') AS next_state;
SELECT count(*) = (SELECT count(*) FROM party WHERE status <> 'closed') AS every_open_party_scored
  FROM score_preview(NULL, '2026-11-16');
RESET search_path;
-- the extension's members, by kind and name
CREATE FUNCTION pg_temp.members() RETURNS TABLE (member text) LANGUAGE sql AS $$
	SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
	  FROM pg_depend d
	 WHERE d.refclassid = 'pg_extension'::regclass
	   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bankcrm')
	   AND d.deptype = 'e'
$$;
CREATE TEMP TABLE members_before AS SELECT member FROM pg_temp.members();
SELECT count(*) > 100 AS many_members FROM members_before;
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm;
CREATE VIEW catalog_counts AS
SELECT (SELECT count(*) FROM pg_class WHERE relpersistence <> 't') AS classes,
       (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relpersistence <> 't') AS attributes,
       (SELECT count(*) FROM pg_proc WHERE pronamespace <> pg_my_temp_schema()) AS functions,
       (SELECT count(*) FROM pg_type WHERE typnamespace <> pg_my_temp_schema()) AS types,
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
-- the install creates exactly the members it had: none missing, none more
SELECT 'missing' AS what, member FROM (SELECT member FROM members_before EXCEPT SELECT member FROM pg_temp.members()) m
UNION ALL
SELECT 'new', member FROM (SELECT member FROM pg_temp.members() EXCEPT SELECT member FROM members_before) n
ORDER BY 1, 2;
-- and what it created shows in every catalogue it uses
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
-- and it installs again, in a new schema, with every member
CREATE EXTENSION bankcrm;
SELECT count(*) AS members_missing FROM (SELECT member FROM members_before EXCEPT SELECT member FROM pg_temp.members()) m;
-- the engines find the new schema in this same session: the cached lookup
-- was forgotten when the old schema went
SET search_path = bankcrm, public;
SELECT fsm_next('campaign_lifecycle', 'draft', 'approve') AS next_state;
SELECT count(*) = (SELECT count(*) FROM party WHERE status <> 'closed') AS every_open_party_scored
  FROM score_preview(NULL, '2026-11-16');
RESET search_path;
DROP VIEW catalog_counts;
