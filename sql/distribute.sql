-- distribute: the layout distribute() gives a Citus cluster, and its
-- refusal where there is none (the citus stage of test/run runs it on one)
SET search_path = bankcrm, public;

-- every table of the extension has its place in the plan, once
SELECT kind, count(*) FROM distribution_plan() GROUP BY kind ORDER BY kind;
SELECT c.oid::regclass AS missing_from_plan
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bankcrm'
 WHERE c.relkind IN ('r', 'p')
   AND c.oid NOT IN (SELECT table_name FROM distribution_plan())
 ORDER BY 1;
SELECT table_name, count(*) FROM distribution_plan() GROUP BY 1 HAVING count(*) > 1;

-- a table is distributed exactly when it holds a party's rows
SELECT p.table_name, p.kind,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = p.table_name AND a.attname = 'party_id'
                 AND NOT a.attisdropped) AS has_party_id
  FROM distribution_plan() p
 WHERE (p.kind = 'distributed') <> EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = p.table_name
                                             AND a.attname = 'party_id' AND NOT a.attisdropped)
 ORDER BY p.ord;

-- every key of a distributed table includes party_id (Citus requires it)
SELECT c.conrelid::regclass, c.conname
  FROM pg_constraint c JOIN distribution_plan() p ON p.table_name = c.conrelid AND p.kind = 'distributed'
 WHERE c.contype IN ('p', 'u', 'x')
   AND NOT (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'party_id') = ANY (c.conkey)
 ORDER BY 1, 2;
SELECT i.indexrelid::regclass
  FROM pg_index i JOIN distribution_plan() p ON p.table_name = i.indrelid AND p.kind = 'distributed'
 WHERE i.indisunique
   AND NOT (SELECT attnum FROM pg_attribute WHERE attrelid = i.indrelid AND attname = 'party_id') = ANY (i.indkey)
 ORDER BY 1;

-- no policy with a subquery (Citus refuses them on distributed tables)
SELECT tablename, policyname FROM pg_policies
 WHERE schemaname IN ('bankcrm', 'bankcrm_churn')
   AND (qual ~* '\mselect\M' OR with_check ~* '\mselect\M')
 ORDER BY 1, 2;

-- no trigger with a transition table on a table that may be distributed
SELECT t.tgrelid::regclass, t.tgname FROM pg_trigger t JOIN distribution_plan() p ON p.table_name = t.tgrelid
 WHERE t.tgoldtable IS NOT NULL OR t.tgnewtable IS NOT NULL
 ORDER BY 1, 2;

-- without Citus: refused, with what to do
\set SHOW_CONTEXT never
SELECT * FROM distribute();
\echo :LAST_ERROR_SQLSTATE

-- only the owner may lay the tables out
SET ROLE bankcrm_admin;
SELECT * FROM distribute();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
