-- src/sql/85_distribute.sql
-- scale-out: one call that lays bankcrm's tables out on a Citus cluster
--
-- Every table that holds a party's rows is distributed by party_id,
-- co-located with party, so that a party's rows of every table live in the
-- same shard group and every join on party_id runs inside one shard task.
-- Catalogues, the organisation and configuration are reference tables: a
-- copy on every node, so that any shard can join them.  The lists below are
-- the contract; doc/scale-out.md explains each choice.

CREATE FUNCTION @extschema@.distribution_plan(
	OUT table_name regclass,
	OUT kind text,
	OUT ord integer)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT v.t::pg_catalog.regclass, v.k, v.o
	  FROM (VALUES
		-- reference tables: catalogues, organisation, configuration
		(1, '@extschema@.region', 'reference'),
		(2, '@extschema@.branch', 'reference'),
		(3, '@extschema@.team', 'reference'),
		(4, '@extschema@.staff', 'reference'),
		(5, '@extschema@.product', 'reference'),
		(6, '@extschema@.process', 'reference'),
		(7, '@extschema@.process_state', 'reference'),
		(8, '@extschema@.process_transition', 'reference'),
		(9, '@extschema@.fsm_history', 'reference'),
		(10, '@extschema@.score_model', 'reference'),
		(11, '@extschema@.score_run_log', 'reference'),
		(12, '@extschema@.product_affinity', 'reference'),
		(13, '@extschema@.segment', 'reference'),
		(14, '@extschema@.campaign', 'reference'),
		(15, '@extschema@.campaign_team', 'reference'),
		(16, '@extschema@.care_occasion', 'reference'),
		(17, '@extschema@.churn_policy', 'reference'),
		(18, '@extschema@.churn_holiday', 'reference'),
		(19, 'bankcrm_churn.builtin_holiday', 'reference'),
		(20, '@extschema@.pbx', 'reference'),
		(21, '@extschema@.dial_settings', 'reference'),
		(22, '@extschema@.dial_retry_rule', 'reference'),
		(23, '@extschema@.dialer_agent', 'reference'),
		(24, '@extschema@.dialer_state', 'reference'),
		(25, '@extschema@.dnc', 'reference'),
		(26, '@extschema@.holiday', 'reference'),
		(27, '@extschema@.churn_model', 'reference'),
		-- distributed by party_id, co-located with party (party first)
		(28, '@extschema@.party', 'distributed'),
		(29, '@extschema@.party_kyc', 'distributed'),
		(30, '@extschema@.party_phone', 'distributed'),
		(31, '@extschema@.party_relation', 'distributed'),
		(32, '@extschema@.coverage', 'distributed'),
		(33, '@extschema@.holding', 'distributed'),
		(34, '@extschema@.activity_weekly', 'distributed'),
		(35, '@extschema@.contact', 'distributed'),
		(36, '@extschema@.complaint', 'distributed'),
		(37, '@extschema@.survey_response', 'distributed'),
		(38, '@extschema@.appointment', 'distributed'),
		(39, '@extschema@.party_score', 'distributed'),
		(40, '@extschema@.score_history', 'distributed'),
		(41, '@extschema@.party_retention', 'distributed'),
		(42, '@extschema@.segment_member', 'distributed'),
		(43, '@extschema@.segment_history', 'distributed'),
		(44, '@extschema@.lead', 'distributed'),
		(45, 'bankcrm_churn.churn_series', 'distributed'),
		(46, 'bankcrm_churn.churn_dirty', 'distributed'),
		(47, '@extschema@.churn_alert', 'distributed'),
		(48, '@extschema@.churn_alert_history', 'distributed'),
		(49, '@extschema@.churn_remediation', 'distributed'),
		(50, '@extschema@.call_attempt', 'distributed'),
		(51, '@extschema@.churn_score', 'distributed'),
		(52, '@extschema@.lead_event_failure', 'distributed'),
		-- reference tables added since: models of behavioural clusters
		(53, '@extschema@.cluster_model', 'reference'),
		(54, '@extschema@.cluster_centroid', 'reference'),
		-- distributed since: households and groups
		(55, '@extschema@.relationship_group', 'distributed'),
		-- distributed since: wallet estimates
		(56, '@extschema@.wallet_estimate', 'distributed'),
		-- distributed since: the weeks appended to the churn series
		(57, 'bankcrm_churn.churn_series_tail', 'distributed')
	) v(o, t, k)
	 ORDER BY v.o
$$;
COMMENT ON FUNCTION @extschema@.distribution_plan() IS 'How distribute() lays out each table on Citus: reference (a copy on every node) or distributed by party_id co-located with party, in the order it is done';

-- the shards of a distributed table that this node holds (none where Citus
-- is absent or the table is not distributed): what a trigger on a copy of a
-- reference table can reach from inside its shard task
CREATE FUNCTION @extschema@.local_shards(logical regclass)
RETURNS SETOF regclass
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_shard') IS NULL THEN
		RETURN;
	END IF;
	RETURN QUERY EXECUTE
		'SELECT r FROM (SELECT pg_catalog.to_regclass(pg_catalog.format(''%I.%I'', n.nspname,
		                         c.relname OPERATOR(pg_catalog.||) ''_'' OPERATOR(pg_catalog.||) s.shardid)) r
		                  FROM pg_catalog.pg_dist_shard s
		                  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.logicalrelid
		                  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		                 WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1
		                 ORDER BY s.shardid) l
		  WHERE r IS NOT NULL'
		USING logical;
END
$$;
COMMENT ON FUNCTION @extschema@.local_shards(regclass) IS 'Internal: the shards of a Citus distributed table held by this node, in shard order; none without Citus';
REVOKE ALL ON FUNCTION @extschema@.local_shards(regclass) FROM PUBLIC;

CREATE FUNCTION @extschema@.distribute(
	OUT table_name regclass,
	OUT kind text,
	OUT action text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET citus.enable_unsafe_triggers = on
SET citus.multi_shard_modify_mode = sequential
SET client_min_messages = warning
AS $fn$
DECLARE
	p record;
	fk record;
	v record;
	g record;
	workers bigint;
	have regclass;
	current_kind text;
	dropped integer := 0;
	fks text[] := '{}';
	fk_tables regclass[] := '{}';
	fk_names text[] := '{}';
	i integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'Citus is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
			      DETAIL = 'distribute() lays bankcrm''s tables out on a Citus cluster; without Citus every table stays on this node.',
			      HINT = 'Add citus to shared_preload_libraries, run CREATE EXTENSION citus and citus_add_node() for each worker, then call distribute() again.';
	END IF;
	EXECUTE 'SELECT pg_catalog.count(*) FROM pg_catalog.citus_get_active_worker_nodes()' INTO workers;
	IF workers = 0 THEN
		RAISE EXCEPTION 'the Citus cluster has no worker nodes'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'distribute() spreads the party tables over the workers; there are none yet.',
			      HINT = 'On the coordinator run SELECT citus_set_coordinator_host(...) and SELECT citus_add_node(host, port) for each worker, then call distribute() again.';
	END IF;

	-- a table of the bank's own that points at a party-scoped table must be
	-- laid out first: Citus would have to take it over with bankcrm's tables
	SELECT c.conrelid::regclass, c.conname, c.confrelid::regclass
	  INTO fk
	  FROM pg_catalog.pg_constraint c
	  JOIN @extschema@.distribution_plan() d ON d.table_name OPERATOR(pg_catalog.=) c.confrelid
	 WHERE c.contype = 'f'
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.distribution_plan() o
	                    WHERE o.table_name OPERATOR(pg_catalog.=) c.conrelid)
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition dp
	                    WHERE dp.logicalrelid OPERATOR(pg_catalog.=) c.conrelid)
	 ORDER BY 1, 2
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'table % has a foreign key to bankcrm table %', fk.conrelid, fk.confrelid
			USING ERRCODE = 'dependent_objects_still_exist',
			      DETAIL = pg_catalog.format('Constraint %I ties a table that is not bankcrm''s to one that distribute() lays out on the cluster.', fk.conname),
			      HINT = 'Drop that foreign key and call distribute() again; then distribute the table with create_distributed_table(''<table>'', ''party_id'', colocate_with => ''bankcrm.party'') and add the key back.';
	END IF;

	-- what is already done is said so and left alone: a second call
	-- changes nothing
	-- Citus converts the whole foreign-key graph of a table it takes over;
	-- the keys between bankcrm's tables are dropped first and put back once
	-- every table is in place (those between co-located tables on party_id,
	-- and those to reference tables, are what Citus accepts)
	FOR fk IN
		SELECT c.conrelid::regclass AS rel, c.conname, pg_catalog.pg_get_constraintdef(c.oid) AS def
		  FROM pg_catalog.pg_constraint c
		  JOIN @extschema@.distribution_plan() d ON d.table_name OPERATOR(pg_catalog.=) c.conrelid
		 WHERE c.contype = 'f'
		   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition dp
		                    WHERE dp.logicalrelid OPERATOR(pg_catalog.=) c.conrelid)
		 ORDER BY d.ord, c.conname
	LOOP
		fks := fks || fk.def;
		fk_tables := fk_tables || fk.rel;
		fk_names := fk_names || fk.conname::text;
		EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);
		-- the workers' copies of the table, made by CREATE EXTENSION, too:
		-- the key is put back on every node once Citus manages the table
		PERFORM pg_catalog.run_command_on_workers(
			pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk.rel, fk.conname));
	END LOOP;

	FOR p IN SELECT * FROM @extschema@.distribution_plan() ORDER BY ord LOOP
		table_name := p.table_name;
		kind := p.kind;
		SELECT CASE dp.partmethod WHEN 'n' THEN 'reference' WHEN 'h' THEN 'distributed' ELSE 'other' END
		  INTO current_kind
		  FROM pg_catalog.pg_dist_partition dp
		 WHERE dp.logicalrelid OPERATOR(pg_catalog.=) p.table_name;
		IF current_kind IS NOT NULL THEN
			action := 'unchanged: already ' || current_kind;
		ELSIF p.kind = 'reference' THEN
			-- the rows are copied into the shards with the table's triggers
			-- off: they are already valid, and were checked when written
			EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER USER', p.table_name);
			PERFORM pg_catalog.create_reference_table(p.table_name);
			PERFORM pg_catalog.truncate_local_data_after_distributing_table(p.table_name);
			EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE TRIGGER USER', p.table_name);
			action := 'made a reference table';
		ELSE
			EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER USER', p.table_name);
			IF p.table_name OPERATOR(pg_catalog.=) '@extschema@.party'::regclass THEN
				PERFORM pg_catalog.create_distributed_table(p.table_name, 'party_id');
			ELSE
				PERFORM pg_catalog.create_distributed_table(p.table_name, 'party_id',
					colocate_with => '@extschema@.party');
			END IF;
			PERFORM pg_catalog.truncate_local_data_after_distributing_table(p.table_name);
			EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE TRIGGER USER', p.table_name);
			action := 'distributed by party_id';
		END IF;
		RETURN NEXT;
	END LOOP;

	-- A view that runs with its owner's rights (the analyst's masked views,
	-- the sales and pyramid reports) cannot on Citus: the workers run its
	-- shard queries as the connected role, with that role's rights.  Each
	-- reads through a SECURITY DEFINER function of its own definition,
	-- <view>_rows(), which runs as the owner on every node.
	FOR v IN
		SELECT c.oid::regclass AS rel, n.nspname, c.relname
		  FROM pg_catalog.pg_class c
		  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		  JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
		   AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype = 'e'
		  JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid AND e.extname = 'bankcrm'
		 WHERE c.relkind = 'v'
		   AND NOT COALESCE('security_invoker=true' OPERATOR(pg_catalog.=) ANY (c.reloptions), false)
		   AND NOT COALESCE('security_invoker=on' OPERATOR(pg_catalog.=) ANY (c.reloptions), false)
		   AND pg_catalog.to_regprocedure(pg_catalog.format('%I.%I()', n.nspname, c.relname || '_rows')) IS NULL
		 ORDER BY n.nspname, c.relname
	LOOP
		EXECUTE pg_catalog.format(
			'CREATE FUNCTION %I.%I() RETURNS SETOF %s LANGUAGE sql STABLE SECURITY DEFINER '
			'SET search_path = pg_catalog, pg_temp AS %L',
			v.nspname, v.relname || '_rows', v.rel, pg_catalog.pg_get_viewdef(v.rel));
		EXECUTE pg_catalog.format('ALTER EXTENSION bankcrm ADD FUNCTION %I.%I()', v.nspname, v.relname || '_rows');
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %I.%I() FROM PUBLIC', v.nspname, v.relname || '_rows');
		EXECUTE pg_catalog.format('COMMENT ON FUNCTION %I.%I() IS %L', v.nspname, v.relname || '_rows',
			pg_catalog.format('The rows of view %s with its owner''s rights (distribute(): Citus runs shard queries as the connected role)', v.rel));
		-- the view's readers may run it
		FOR g IN
			SELECT a.grantee::regrole AS grantee
			  FROM pg_catalog.pg_class c2, pg_catalog.aclexplode(c2.relacl) a
			 WHERE c2.oid OPERATOR(pg_catalog.=) v.rel AND a.privilege_type = 'SELECT'
			   AND a.grantee OPERATOR(pg_catalog.<>) 0
		LOOP
			EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %I.%I() TO %s', v.nspname, v.relname || '_rows', g.grantee);
		END LOOP;
		EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW %s AS SELECT * FROM %I.%I()', v.rel, v.nspname, v.relname || '_rows');
		table_name := v.rel;
		kind := 'view';
		action := pg_catalog.format('reads through %s_rows() with its owner''s rights', v.relname);
		RETURN NEXT;
	END LOOP;

	FOR i IN 1 .. COALESCE(pg_catalog.array_length(fks, 1), 0) LOOP
		BEGIN
			EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk_tables[i], fk_names[i], fks[i]);
		EXCEPTION WHEN feature_not_supported OR invalid_table_definition OR object_not_in_prerequisite_state THEN
			table_name := fk_tables[i];
			kind := NULL;
			action := pg_catalog.format('foreign key %s not kept: %s', fk_names[i], SQLERRM);
			RETURN NEXT;
		END;
	END LOOP;
END
$fn$;
COMMENT ON FUNCTION @extschema@.distribute() IS 'On a Citus coordinator: distributes every party-scoped table by party_id co-located with party and makes the catalogues reference tables; idempotent; returns what it did, table by table';
REVOKE ALL ON FUNCTION @extschema@.distribute() FROM PUBLIC;
