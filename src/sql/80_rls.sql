-- src/sql/80_rls.sql
-- row-level security: which party's rows each staff role sees, in one place
--
-- Every table that holds a party_id gets the same two policies:
--   <table>_all      bankcrm_admin and bankcrm_app: every row, read and write
--   <table>_covered  bankcrm_manager and bankcrm_rm: read the rows of the
--                    parties visible_party_ids() gives the role, tested row
--                    by row with party_visible(party_id) (30_security.sql)
-- and some get what their module lets staff do with their own parties
-- (record a contact, log a remediation, work an alert).  This part runs after
-- every module has created its tables, so that visible_party_ids() can be
-- defined once, leads included.  Leads themselves (55_campaign.sql) are
-- scoped by who works them, not by party, and keep their policies there.

-- the parties the staff member behind a database role may see, computed
-- from the given relations: the tables themselves, or, on a Citus worker,
-- one co-located group of their shards and the local replicas of the
-- reference tables (src/rls.c); the one definition of who sees whom
CREATE FUNCTION @extschema@.visible_party_ids_in(role_name name, party regclass, coverage regclass,
                                                 lead regclass, staff regclass, process_state regclass)
RETURNS SETOF bigint
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY EXECUTE pg_catalog.format($q$
	WITH me AS (
		SELECT s.staff_id, s.role_kind, s.team_id, s.branch_id
		  FROM %5$s s
		 WHERE s.db_role = $1 AND s.active
	), team_staff AS (
		SELECT s.staff_id
		  FROM %5$s s, me
		 WHERE me.role_kind = 'team_lead' AND s.team_id = me.team_id
		UNION
		SELECT me.staff_id FROM me
	)
	-- the parties it (or its team, for a team lead) covers
	SELECT c.party_id
	  FROM %2$s c
	  JOIN team_staff ts ON ts.staff_id = c.staff_id
	 WHERE c.valid_to IS NULL OR c.valid_to >= CURRENT_DATE
	UNION
	-- a branch manager's branch
	SELECT p.party_id
	  FROM %1$s p, me
	 WHERE me.role_kind = 'branch_manager' AND p.home_branch_id = me.branch_id
	UNION
	-- the parties of the open leads it (or its team) works
	SELECT l.party_id
	  FROM %3$s l
	  JOIN team_staff ts ON ts.staff_id = l.assigned_to
	  JOIN %4$s ps ON ps.process_name = l.process_name AND ps.state = l.state
	 WHERE NOT ps.is_terminal
	$q$, party, coverage, lead, process_state, staff) USING role_name;
END
$$;
COMMENT ON FUNCTION @extschema@.visible_party_ids_in(name, regclass, regclass, regclass, regclass, regclass) IS 'Internal: the parties a role may see, computed from the given relations (the tables, or co-located shards on a Citus worker)';
REVOKE ALL ON FUNCTION @extschema@.visible_party_ids_in(name, regclass, regclass, regclass, regclass, regclass) FROM PUBLIC;

CREATE FUNCTION @extschema@.visible_party_ids(role_name name)
RETURNS SETOF bigint
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- PL/pgSQL, not SQL: Citus cannot plan a SQL function's parameters over
-- distributed tables; PL/pgSQL hands it the value
AS $$
BEGIN
	-- the caller may ask only for itself or a role it is a member of; "role"
	-- is the SET ROLE of the session, which a SECURITY DEFINER function does
	-- not change (an unknown role sees nothing)
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = role_name) OR NOT pg_catalog.pg_has_role(
	         CASE WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
	              ELSE pg_catalog.current_setting('role')::name END,
	         role_name, 'MEMBER') THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT v FROM @extschema@.visible_party_ids_in(role_name,
		'@extschema@.party', '@extschema@.coverage', '@extschema@.lead',
		'@extschema@.staff', '@extschema@.process_state') v;
END
$$;
COMMENT ON FUNCTION @extschema@.visible_party_ids(name) IS 'Parties the staff member mapped to a database role may see: those it covers, those of its open leads, its team''s (team leads) or its branch''s (branch managers); empty unless the session may act as that role';
REVOKE ALL ON FUNCTION @extschema@.visible_party_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.visible_party_ids(name)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;

DO $$
DECLARE
	t text;
	sch text;
	tab text;
	pol record;
	covered CONSTANT text := pg_catalog.format('%I.party_visible(party_id)', '@extschema@');
	own_staff CONSTANT text := pg_catalog.format('staff_id OPERATOR(pg_catalog.=) %I.current_staff_id()', '@extschema@');
BEGIN
	-- every party-scoped table: the standard pair
	FOREACH t IN ARRAY ARRAY[
		-- customer 360 (20_party.sql, 21_business.sql)
		'@extschema@.party', '@extschema@.party_phone', '@extschema@.party_relation', '@extschema@.coverage',
		'@extschema@.holding', '@extschema@.activity_weekly', '@extschema@.contact', '@extschema@.complaint',
		'@extschema@.survey_response', '@extschema@.appointment',
		-- households and groups (22_relationship_group.sql), wallet estimates (20_party.sql)
		'@extschema@.relationship_group', '@extschema@.wallet_estimate',
		-- scoring (40_score.sql) and segments (45_segment.sql)
		'@extschema@.party_score', '@extschema@.score_history', '@extschema@.party_retention',
		'@extschema@.segment_member', '@extschema@.segment_history',
		-- churn (60_churn.sql)
		'bankcrm_churn.churn_series', 'bankcrm_churn.churn_series_tail', 'bankcrm_churn.churn_dirty', '@extschema@.churn_alert',
		'@extschema@.churn_alert_history', '@extschema@.churn_remediation', '@extschema@.churn_score',
		-- the dialer (70_dialer.sql)
		'@extschema@.call_attempt'] LOOP
		sch := pg_catalog.split_part(t, '.', 1);
		tab := pg_catalog.split_part(t, '.', 2);
		EXECUTE pg_catalog.format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', sch, tab);
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR ALL TO bankcrm_admin, bankcrm_app USING (true) WITH CHECK (true)',
			tab || '_all', sch, tab);
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR SELECT TO bankcrm_manager, bankcrm_rm USING (%s)',
			tab || '_covered', sch, tab, covered);
	END LOOP;

	-- staff record contacts, appointments and calls of their own parties, as themselves
	FOREACH t IN ARRAY ARRAY['contact', 'appointment', 'call_attempt'] LOOP
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR INSERT TO bankcrm_manager, bankcrm_rm WITH CHECK (%s AND %s)',
			t || '_own_insert', '@extschema@', t, covered, own_staff);
	END LOOP;
	-- and complaints, surveys, alert notes and remediation actions of their own parties
	FOREACH t IN ARRAY ARRAY['complaint', 'survey_response', 'churn_alert_history', 'churn_remediation'] LOOP
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR INSERT TO bankcrm_manager, bankcrm_rm WITH CHECK (%s)',
			t || '_own_insert', '@extschema@', t, covered);
	END LOOP;
	-- managers handle their parties' complaints; the churn task force works
	-- its parties' alerts and remediation actions; staff move their own
	-- appointments
	FOR pol IN
		SELECT * FROM (VALUES
			('complaint_covered_update', 'complaint', 'bankcrm_manager', covered),
			('churn_alert_task_force', 'churn_alert', 'bankcrm_manager, bankcrm_rm', covered),
			('churn_remediation_own_update', 'churn_remediation', 'bankcrm_manager, bankcrm_rm', covered),
			('appointment_own_update', 'appointment', 'bankcrm_manager, bankcrm_rm', own_staff)) v(name, tab, roles, rule)
	LOOP
		EXECUTE pg_catalog.format('CREATE POLICY %I ON %I.%I FOR UPDATE TO %s USING (%s) WITH CHECK (%s)',
			pol.name, '@extschema@', pol.tab, pol.roles, pol.rule, pol.rule);
	END LOOP;
END
$$;

-- KYC answers: admin only
ALTER TABLE @extschema@.party_kyc ENABLE ROW LEVEL SECURITY;
CREATE POLICY party_kyc_admin ON @extschema@.party_kyc FOR ALL TO bankcrm_admin USING (true) WITH CHECK (true);
