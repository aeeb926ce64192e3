-- test/upgrade/catalog.sql: a description of everything the bankcrm
-- extension owns, one sorted line an object (and one a column, constraint,
-- index, trigger, policy and comment), so that two databases can be
-- compared line by line: one updated with ALTER EXTENSION ... UPDATE from an
-- earlier release, one with a fresh CREATE EXTENSION of the new version.
-- Oids, identity sequence positions and statistics are left out.
WITH ext AS (
	SELECT oid FROM pg_extension WHERE extname = 'bankcrm'
), member AS (
	SELECT d.classid, d.objid, d.objsubid
	  FROM pg_depend d, ext
	 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), rel AS (
	SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name
	  FROM member m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	  JOIN pg_namespace n ON n.oid = c.relnamespace
), lines AS (
	-- every member, with its privileges
	SELECT pg_describe_object(m.classid, m.objid, m.objsubid)
	       || coalesce(' acl=' || (SELECT c.relacl::text FROM pg_class c WHERE m.classid = 'pg_class'::regclass AND c.oid = m.objid), '')
	       || coalesce(' acl=' || (SELECT p.proacl::text FROM pg_proc p WHERE m.classid = 'pg_proc'::regclass AND p.oid = m.objid), '')
	       || coalesce(' acl=' || (SELECT t.typacl::text FROM pg_type t WHERE m.classid = 'pg_type'::regclass AND t.oid = m.objid), '')
	       || coalesce(' acl=' || (SELECT s.nspacl::text FROM pg_namespace s WHERE m.classid = 'pg_namespace'::regclass AND s.oid = m.objid), '')
	       AS line
	  FROM member m
	UNION ALL
	-- functions: their whole definition (aggregates: their parts)
	SELECT CASE WHEN p.prokind = 'a'
	            THEN format('aggregate %s(%s) %s', p.oid::regproc, pg_get_function_identity_arguments(p.oid),
	                        (SELECT row(a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn,
	                                    a.aggtranstype::regtype, a.agginitval, a.aggkind)::text
	                           FROM pg_aggregate a WHERE a.aggfnoid = p.oid))
	            ELSE pg_get_functiondef(p.oid) END
	  FROM member m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
	UNION ALL
	-- columns of tables, views and composite types
	SELECT format('column %s.%I %s%s%s%s%s', r.name, a.attname, format_type(a.atttypid, a.atttypmod),
	              CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
	              coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), ''),
	              CASE a.attidentity WHEN 'a' THEN ' identity always' WHEN 'd' THEN ' identity by default' ELSE '' END,
	              CASE a.attgenerated WHEN 's' THEN ' generated' ELSE '' END)
	       || format(' #%s', (SELECT count(*) FROM pg_attribute b
	                           WHERE b.attrelid = a.attrelid AND b.attnum > 0 AND NOT b.attisdropped AND b.attnum <= a.attnum))
	  FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	UNION ALL
	SELECT format('reloptions %s %s %s', r.name, c.reloptions, c.relrowsecurity)
	  FROM rel r JOIN pg_class c ON c.oid = r.oid
	UNION ALL
	SELECT format('view %s %s', r.name, pg_get_viewdef(r.oid))
	  FROM rel r WHERE r.relkind IN ('v', 'm')
	UNION ALL
	SELECT format('constraint %s %s %s', r.name, co.conname, pg_get_constraintdef(co.oid))
	  FROM rel r JOIN pg_constraint co ON co.conrelid = r.oid
	UNION ALL
	SELECT format('index %s', pg_get_indexdef(i.indexrelid))
	  FROM rel r JOIN pg_index i ON i.indrelid = r.oid
	UNION ALL
	SELECT format('trigger %s', pg_get_triggerdef(t.oid))
	  FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
	UNION ALL
	SELECT format('policy %s %s %s %s %s %s', r.name, p.polname, p.polcmd, p.polpermissive,
	              (SELECT array_agg(rolname ORDER BY rolname) FROM pg_roles WHERE oid = ANY (p.polroles)),
	              coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' / ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''))
	  FROM rel r JOIN pg_policy p ON p.polrelid = r.oid
	UNION ALL
	SELECT format('sequence %s %s %s %s %s', r.name, s.seqtypid::regtype, s.seqincrement, s.seqmin, s.seqmax)
	  FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
	UNION ALL
	-- comments on members, their columns and constraints
	SELECT format('comment %s: %s', pg_describe_object(ds.classoid, ds.objoid, ds.objsubid), ds.description)
	  FROM pg_description ds
	 WHERE (ds.classoid, ds.objoid) IN (SELECT classid, objid FROM member)
	    OR (ds.classoid = 'pg_constraint'::regclass
	        AND ds.objoid IN (SELECT co.oid FROM pg_constraint co JOIN rel r ON r.oid = co.conrelid))
	UNION ALL
	-- the tables pg_dump dumps as configuration, each with its condition
	-- (in name order: an update registers its new tables after the others)
	SELECT format('config %s %s', c.rel::regclass, quote_literal(c.cond))
	  FROM pg_extension e, unnest(e.extconfig, e.extcondition) c(rel, cond)
	 WHERE e.extname = 'bankcrm'
	UNION ALL
	-- the settings it defines, as the update leaves them
	SELECT format('setting %s', name) FROM pg_settings WHERE name LIKE 'bankcrm.%'
)
SELECT line FROM lines ORDER BY line COLLATE "C";
