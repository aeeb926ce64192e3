-- test/dialer/planted.sql: look-alike operators and functions planted in
-- public, as a role with CREATE on public could (the default before
-- PostgreSQL 15).  Each one is a closer type match than the pg_catalog
-- object it imitates for some call: one argument replaced by a type that
-- casts implicitly to the original one (integer for numeric, text for
-- varchar, ...), so a session whose search_path reaches public would call
-- it instead of the catalog's.  Each one records the call in
-- public.planted_log and returns NULL.
--
-- psql variable :names is a comma-separated list of the function names to
-- imitate (the names the workers' SQL calls); every binary operator of
-- pg_catalog over the common types is imitated.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
-- this script's own queries must not meet what it plants
SET search_path = pg_catalog, pg_temp;
SELECT set_config('planted.names', :'names', false) \gset
CREATE FUNCTION public.planted_note(what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.planted_log (what, by_role, app) VALUES (what, current_user, current_setting('application_name'));
END $$;

CREATE TEMP TABLE planted_types AS
SELECT x::regtype AS typ FROM unnest(ARRAY['int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'text', 'varchar',
	'bpchar', 'name', 'date', 'timestamp', 'timestamptz', 'interval', 'bool', 'oid', 'int4[]', 'int8[]', 'text[]']) x;

-- does a value of type "src" reach type "dst" implicitly?
CREATE FUNCTION pg_temp.implicit(src regtype, dst regtype) RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT src <> dst AND EXISTS (SELECT 1 FROM pg_cast c WHERE c.castsource = src AND c.casttarget = dst
	                                AND c.castcontext = 'i')
$$;

DO $plant$
DECLARE
	o record;
	f record;
	n integer := 0;
	k integer := 0;
	args text;
	i integer;
	alt regtype;
	types oid[];
BEGIN
	-- operators: (left, right) with one side moved to an implicitly castable type
	FOR o IN
		SELECT DISTINCT ON (op.oprname, v.l, v.r) op.oprname, v.l, v.r, op.oprresult
		  FROM pg_operator op
		  JOIN pg_namespace ns ON ns.oid = op.oprnamespace AND ns.nspname = 'pg_catalog'
		  CROSS JOIN planted_types pt
		  CROSS JOIN LATERAL (VALUES (pt.typ::oid, op.oprright, pg_temp.implicit(pt.typ, op.oprleft::regtype)),
		                             (op.oprleft, pt.typ::oid, pg_temp.implicit(pt.typ, op.oprright::regtype))) v(l, r, ok)
		 WHERE op.oprkind = 'b' AND v.ok
		   AND op.oprleft IN (SELECT typ FROM planted_types) AND op.oprright IN (SELECT typ FROM planted_types)
		   AND NOT EXISTS (SELECT 1 FROM pg_operator x WHERE x.oprnamespace = op.oprnamespace
		                     AND x.oprname = op.oprname AND x.oprleft = v.l AND x.oprright = v.r)
	LOOP
		n := n + 1;
		EXECUTE format('CREATE FUNCTION public.planted_op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L',
			n, o.l::regtype, o.r::regtype, o.oprresult::regtype,
			format('BEGIN PERFORM public.planted_note(%L); RETURN NULL; END',
			       format('operator %s(%s, %s)', o.oprname, o.l::regtype, o.r::regtype)));
		EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.planted_op_%s)',
			o.oprname, o.l::regtype, o.r::regtype, n);
	END LOOP;

	-- functions: every plain catalog overload of the names, one argument
	-- moved to an implicitly castable type; same argument names and defaults
	FOR f IN
		SELECT p.oid, p.proname, p.pronargs, p.pronargdefaults, ARRAY(SELECT pg_catalog.unnest(p.proargtypes)) AS argtypes,
		       p.proargnames, p.prorettype
		  FROM pg_proc p
		 WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f' AND NOT p.proretset
		   AND p.provariadic = 0 AND p.pronargs BETWEEN 0 AND 8
		   AND p.proname = ANY (string_to_array(current_setting('planted.names'), ','))
		   AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) a(t) JOIN pg_type y ON y.oid = a.t WHERE y.typtype = 'p')
		   AND (SELECT y.typtype FROM pg_type y WHERE y.oid = p.prorettype) <> 'p'
	LOOP
		FOR i IN 1 .. f.pronargs LOOP
			FOR alt IN SELECT pt.typ FROM planted_types pt WHERE pg_temp.implicit(pt.typ, f.argtypes[i]::regtype) LOOP
				types := f.argtypes;
				types[i] := alt;
				CONTINUE WHEN EXISTS (SELECT 1 FROM pg_proc x WHERE x.proname = f.proname
				                        AND x.pronamespace IN ('pg_catalog'::regnamespace, 'public'::regnamespace)
				                        AND ARRAY(SELECT pg_catalog.unnest(x.proargtypes)) = types);
				SELECT string_agg(concat_ws(' ', quote_ident(f.proargnames[j]), types[j]::regtype,
				                            'DEFAULT ' || pg_get_function_arg_default(f.oid, j)), ', ' ORDER BY j)
				  INTO args FROM generate_series(1, f.pronargs) j;
				k := k + 1;
				EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
					f.proname, args, f.prorettype::regtype,
					format('BEGIN PERFORM public.planted_note(%L); RETURN NULL; END',
					       format('function %s(%s)', f.proname, args)));
			END LOOP;
		END LOOP;
	END LOOP;
	RAISE WARNING 'planted % operators and % functions', n, k;
END
$plant$;
