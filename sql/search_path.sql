-- search_path: the install script binds only its own and pg_catalog objects,
-- even when hostile look-alikes sit in public and public comes first
DROP EXTENSION bankcrm;
DROP SCHEMA IF EXISTS bankcrm;
CREATE TABLE public.hostile_calls (what text);
-- look-alikes of objects the script uses
CREATE FUNCTION public.mask_name(text) RETURNS text LANGUAGE sql
	AS $$ INSERT INTO public.hostile_calls VALUES ('mask_name') RETURNING 'pwned' $$;
CREATE FUNCTION public.visible_party_ids(name) RETURNS SETOF bigint LANGUAGE sql
	AS $$ INSERT INTO public.hostile_calls VALUES ('visible_party_ids') RETURNING 1::bigint $$;
CREATE FUNCTION public.current_staff_id() RETURNS integer LANGUAGE sql
	AS $$ INSERT INTO public.hostile_calls VALUES ('current_staff_id') RETURNING 1 $$;
CREATE FUNCTION public.format(text, VARIADIC text[]) RETURNS text LANGUAGE sql
	AS $$ SELECT 'SELECT 1' $$;
CREATE FUNCTION public.btrim(text) RETURNS text LANGUAGE sql
	AS $$ INSERT INTO public.hostile_calls VALUES ('btrim') RETURNING 'x' $$;
-- an operator that matches text = unknown more closely than the built-in one
CREATE FUNCTION public.hostile_eq(text, text) RETURNS boolean LANGUAGE sql
	AS $$ INSERT INTO public.hostile_calls VALUES ('=') RETURNING true $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hostile_eq);
CREATE TABLE public.party (party_id bigint);
CREATE TABLE public.staff (staff_id integer, db_role name, active boolean);
SET search_path = public, pg_catalog;
CREATE EXTENSION bankcrm;
RESET search_path;
SELECT count(*) AS hostile_calls_during_install FROM public.hostile_calls;
-- the installed objects refer to bankcrm's objects only
SELECT pg_describe_object(refclassid, refobjid, refobjsubid) AS referenced
  FROM pg_depend
 WHERE classid = 'pg_rewrite'::regclass
   AND refobjid IN ('public.party'::regclass, 'public.staff'::regclass,
                    'public.mask_name(text)'::regprocedure, 'public.hostile_eq(text,text)'::regprocedure);
SELECT pg_describe_object(classid, objid, objsubid) AS dependent
  FROM pg_depend
 WHERE refobjid IN ('public.visible_party_ids(name)'::regprocedure, 'public.current_staff_id()'::regprocedure,
                    'public.btrim(text)'::regprocedure, 'public.mask_name(text)'::regprocedure,
                    'public.format(text,text[])'::regprocedure, 'public.hostile_eq(text,text)'::regprocedure);
-- and still work with the hostile objects first on the path
SET search_path = public, bankcrm;
INSERT INTO bankcrm.region VALUES ('ZZ-SP', 'Search path city', 'Search path province');
INSERT INTO bankcrm.party (party_id, kind, name, region_code) VALUES (1, 'individual', '赵钱孙', 'ZZ-SP');
SELECT name_masked FROM bankcrm.party_masked;
SELECT kind, parties FROM bankcrm.party_summary;
SELECT count(*) AS hostile_calls_after_use FROM public.hostile_calls;
RESET search_path;
-- clean up: the extension goes, the hostile objects with it
DROP EXTENSION bankcrm;
DROP SCHEMA bankcrm;
DROP TABLE public.hostile_calls, public.party, public.staff;
DROP OPERATOR public.= (text, text);
DROP FUNCTION public.hostile_eq(text, text), public.mask_name(text), public.visible_party_ids(name),
	public.current_staff_id(), public.format(text, VARIADIC text[]), public.btrim(text);
CREATE EXTENSION bankcrm;
