-- install: the extension's own objects, settings and catalogue footprint
-- the extension: at the control file's default version, in its fixed schema
SELECT e.extname, e.extversion = a.default_version AS at_default_version, e.extrelocatable,
       e.extnamespace::regnamespace
  FROM pg_extension e JOIN pg_available_extensions a ON a.name = e.extname
 WHERE e.extname = 'bankcrm';
-- the settings each module defines (types/phone.c, bankcrm.c,
-- churn_settings.c, dialer/launcher.c): name, context, type, unit, default
SELECT name, context, vartype, coalesce(unit, '') AS unit, boot_val, min_val, max_val
  FROM pg_settings WHERE name LIKE 'bankcrm.%' ORDER BY name;
-- every setting has a description in the "Sets the ..." form
SELECT name, short_desc FROM pg_settings
 WHERE name LIKE 'bankcrm.%' AND short_desc NOT LIKE 'Sets %';
SHOW bankcrm.default_country_code;
SET bankcrm.default_country_code = 44;
SHOW bankcrm.default_country_code;
SELECT bankcrm.phone_parse('020 7946 0958')::text AS parsed_under_44;
RESET bankcrm.default_country_code;
-- an unassigned country code is refused when set
SET bankcrm.default_country_code = 999;
SET bankcrm.default_country_code = 0;
-- the prefix is reserved: a misspelt setting is refused
SET bankcrm.no_such_setting = 1;
-- a setting read at server start cannot change in a session
SET bankcrm.database = 'other';
-- every table, view, type and callable function of the extension carries a
-- comment (doc/ is written from them): none without
CREATE TEMP VIEW commentable AS
SELECT d.classid, d.objid
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bankcrm')
   AND d.deptype = 'e'
   AND d.classid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
   AND NOT (d.classid = 'pg_class'::regclass AND (SELECT relkind FROM pg_class WHERE oid = d.objid) IN ('i', 'S', 'I'))
   AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = d.objid AND (t.typrelid <> 0 OR t.typelem <> 0 AND t.typname LIKE '\_%')));
SELECT count(*) > 300 AS many_objects FROM commentable;
SELECT pg_describe_object(classid, objid, 0) AS without_comment
  FROM commentable
 WHERE obj_description(objid, (SELECT relname FROM pg_class WHERE oid = classid)) IS NULL
 ORDER BY 1;
DROP VIEW commentable;
-- every function states whether it is parallel safe; none is left at the
-- default of a function created without the label and marked unsafe by
-- accident: the unsafe ones are the ones that write or start workers
SELECT p.proname, p.proparallel
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
                  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bankcrm')
 WHERE p.provolatile = 'i' AND p.proparallel <> 's' AND p.prokind = 'f'
 ORDER BY 1;
