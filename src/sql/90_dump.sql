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
