-- src/sql/30_security.sql
-- roles, privileges and row-level security
--
-- bankcrm_admin    owns configuration; sees and changes everything, KYC included
-- bankcrm_manager  team leads and branch managers: their team's or branch's parties
-- bankcrm_rm       relationship managers, agents, hunters, farmers: parties they cover
-- bankcrm_analyst  masked views and aggregates only, never raw personal data
-- bankcrm_app      application back ends: every party (they scope end users themselves)
--
-- Roles are cluster-wide, so they are created if absent and left in place by
-- DROP EXTENSION (other databases may use them).  A login role acts as a staff
-- member through staff.db_role.

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['bankcrm_admin', 'bankcrm_manager', 'bankcrm_rm', 'bankcrm_analyst', 'bankcrm_app'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

-- the parties the staff member behind a database role may see
CREATE FUNCTION @extschema@.visible_party_ids(role_name name)
RETURNS SETOF bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	WITH me AS (
		SELECT s.staff_id, s.role_kind, s.team_id, s.branch_id
		  FROM @extschema@.staff s
		 WHERE s.db_role = role_name
		   AND s.active
		   -- the caller may ask only for itself or a role it is a member of;
		   -- "role" is the SET ROLE of the session, which a SECURITY DEFINER
		   -- function does not change
		   AND pg_catalog.pg_has_role(
		         CASE WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
		              ELSE pg_catalog.current_setting('role')::name END,
		         role_name, 'MEMBER')
	), team_staff AS (
		SELECT s.staff_id
		  FROM @extschema@.staff s, me
		 WHERE me.role_kind = 'team_lead' AND s.team_id = me.team_id
		UNION
		SELECT me.staff_id FROM me
	)
	SELECT c.party_id
	  FROM @extschema@.coverage c
	  JOIN team_staff ts ON ts.staff_id = c.staff_id
	 WHERE c.valid_to IS NULL OR c.valid_to >= CURRENT_DATE
	UNION
	SELECT p.party_id
	  FROM @extschema@.party p, me
	 WHERE me.role_kind = 'branch_manager' AND p.home_branch_id = me.branch_id;
END;
COMMENT ON FUNCTION @extschema@.visible_party_ids(name) IS 'Parties the staff member mapped to a database role may see: those it covers, its team''s (team leads) or its branch''s (branch managers); empty unless the session may act as that role';

-- the staff member the current role acts as
CREATE FUNCTION @extschema@.current_staff_id()
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT s.staff_id FROM @extschema@.staff s WHERE s.db_role = CURRENT_USER AND s.active;
END;
COMMENT ON FUNCTION @extschema@.current_staff_id() IS 'The staff member that the current database role acts as (staff.db_role), or NULL';

GRANT USAGE ON SCHEMA @extschema@ TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;

-- reference data: readable by every bankcrm role
GRANT SELECT ON @extschema@.region, @extschema@.branch, @extschema@.team, @extschema@.staff, @extschema@.product
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON ALL TABLES IN SCHEMA @extschema@ TO bankcrm_admin;
GRANT ALL ON ALL SEQUENCES IN SCHEMA @extschema@ TO bankcrm_admin;

-- customer data: staff roles read what row-level security lets them see
GRANT SELECT ON @extschema@.party, @extschema@.party_phone, @extschema@.party_relation, @extschema@.coverage,
	@extschema@.holding, @extschema@.activity_weekly, @extschema@.contact, @extschema@.complaint,
	@extschema@.survey_response, @extschema@.appointment, @extschema@.party_balance, @extschema@.party_360
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT ON @extschema@.contact, @extschema@.appointment, @extschema@.complaint, @extschema@.survey_response
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT UPDATE (status, purpose, starts_at, ends_at) ON @extschema@.appointment TO bankcrm_manager, bankcrm_rm, bankcrm_app;
-- complaints move through their handling flow (state changes go through the complaint process)
GRANT UPDATE (state, assigned_to, resolved_at) ON @extschema@.complaint TO bankcrm_manager, bankcrm_app;
GRANT INSERT, UPDATE ON @extschema@.party, @extschema@.party_phone, @extschema@.party_relation, @extschema@.coverage,
	@extschema@.holding, @extschema@.activity_weekly TO bankcrm_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA @extschema@ TO bankcrm_manager, bankcrm_rm, bankcrm_app;

-- analysts: masked parties and aggregates
GRANT SELECT ON @extschema@.party_masked, @extschema@.aum_pyramid, @extschema@.party_summary TO bankcrm_analyst;
GRANT SELECT ON @extschema@.party_masked, @extschema@.aum_pyramid, @extschema@.party_summary TO bankcrm_manager, bankcrm_app;

REVOKE ALL ON FUNCTION @extschema@.visible_party_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.visible_party_ids(name)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;

-- row-level security on every party-scoped table
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['party', 'party_phone', 'party_relation', 'coverage', 'holding', 'activity_weekly',
	                         'contact', 'complaint', 'survey_response', 'appointment'] LOOP
		EXECUTE pg_catalog.format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', '@extschema@', t);
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR ALL TO bankcrm_admin, bankcrm_app USING (true) WITH CHECK (true)',
			t || '_all', '@extschema@', t);
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR SELECT TO bankcrm_manager, bankcrm_rm '
			'USING (party_id IN (SELECT %I.visible_party_ids(CURRENT_USER)))',
			t || '_covered', '@extschema@', t, '@extschema@');
	END LOOP;
	-- staff record contacts, appointments, complaints and surveys of their own parties, as themselves
	FOREACH t IN ARRAY ARRAY['contact', 'appointment'] LOOP
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR INSERT TO bankcrm_manager, bankcrm_rm '
			'WITH CHECK (party_id IN (SELECT %I.visible_party_ids(CURRENT_USER)) '
			'AND staff_id OPERATOR(pg_catalog.=) %I.current_staff_id())',
			t || '_own_insert', '@extschema@', t, '@extschema@', '@extschema@');
	END LOOP;
	FOREACH t IN ARRAY ARRAY['complaint', 'survey_response'] LOOP
		EXECUTE pg_catalog.format(
			'CREATE POLICY %I ON %I.%I FOR INSERT TO bankcrm_manager, bankcrm_rm '
			'WITH CHECK (party_id IN (SELECT %I.visible_party_ids(CURRENT_USER)))',
			t || '_own_insert', '@extschema@', t, '@extschema@');
	END LOOP;
	EXECUTE pg_catalog.format(
		'CREATE POLICY complaint_covered_update ON %I.complaint FOR UPDATE TO bankcrm_manager '
		'USING (party_id IN (SELECT %I.visible_party_ids(CURRENT_USER))) '
		'WITH CHECK (party_id IN (SELECT %I.visible_party_ids(CURRENT_USER)))',
		'@extschema@', '@extschema@', '@extschema@');
	EXECUTE pg_catalog.format(
		'CREATE POLICY appointment_own_update ON %I.appointment FOR UPDATE TO bankcrm_manager, bankcrm_rm '
		'USING (staff_id OPERATOR(pg_catalog.=) %I.current_staff_id()) '
		'WITH CHECK (staff_id OPERATOR(pg_catalog.=) %I.current_staff_id())',
		'@extschema@', '@extschema@', '@extschema@');
END
$$;

-- KYC answers: admin only
ALTER TABLE @extschema@.party_kyc ENABLE ROW LEVEL SECURITY;
CREATE POLICY party_kyc_admin ON @extschema@.party_kyc FOR ALL TO bankcrm_admin USING (true) WITH CHECK (true);
