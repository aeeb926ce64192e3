-- src/sql/30_security.sql
-- roles and privileges (row-level security, which needs every module's tables, is in 80_rls.sql)
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

-- the row-level security predicates (src/rls.c): each answers from a set it
-- computes once per role, transaction and command, so that a policy is a
-- function of the row's own columns and never a subquery (which Citus
-- refuses in the policies of distributed tables)

-- the staff member the current role acts as
CREATE FUNCTION @extschema@.current_staff_id()
RETURNS integer
LANGUAGE C STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_current_staff_id';
COMMENT ON FUNCTION @extschema@.current_staff_id() IS 'The staff member that the current database role acts as (staff.db_role), or NULL';

CREATE FUNCTION @extschema@.visible_party_array()
RETURNS bigint[]
LANGUAGE C STABLE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_visible_party_array';
COMMENT ON FUNCTION @extschema@.visible_party_array() IS 'The parties the current role may see, as an array (the index condition party_visible() lends the planner)';

CREATE FUNCTION @extschema@.party_visible_support(internal)
RETURNS internal
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'rls_party_visible_support';
COMMENT ON FUNCTION @extschema@.party_visible_support(internal) IS 'Planner support of party_visible(): an index condition party_id = ANY (visible_party_array())';

CREATE FUNCTION @extschema@.party_visible(party_id bigint)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SUPPORT @extschema@.party_visible_support
AS 'MODULE_PATHNAME', 'rls_party_visible';
COMMENT ON FUNCTION @extschema@.party_visible(bigint) IS 'Row-level security: the current role may see this party (it is among visible_party_ids(CURRENT_USER))';

CREATE FUNCTION @extschema@.staff_visible(staff_id integer)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_staff_visible';
COMMENT ON FUNCTION @extschema@.staff_visible(integer) IS 'Row-level security: the current role sees the leads of this staff member (it is among visible_staff_ids())';

CREATE FUNCTION @extschema@.team_lead_campaign(campaign_id bigint)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_team_campaign';
COMMENT ON FUNCTION @extschema@.team_lead_campaign(bigint) IS 'Row-level security: the current role leads a team that works this campaign';

CREATE FUNCTION @extschema@.history_visible(entity regclass, entity_id bigint)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'rls_history_visible';
COMMENT ON FUNCTION @extschema@.history_visible(regclass, bigint) IS 'Row-level security: the current role sees the complaint or lead a process history row is about';

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
-- wallet estimates: read by who may see the party, kept by applications
GRANT SELECT ON @extschema@.wallet_estimate TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT, UPDATE, DELETE ON @extschema@.wallet_estimate TO bankcrm_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA @extschema@ TO bankcrm_manager, bankcrm_rm, bankcrm_app;

-- analysts: masked parties and aggregates
GRANT SELECT ON @extschema@.party_masked, @extschema@.aum_pyramid, @extschema@.party_summary TO bankcrm_analyst;
GRANT SELECT ON @extschema@.party_masked, @extschema@.aum_pyramid, @extschema@.party_summary TO bankcrm_manager, bankcrm_app;


-- the row-level security helpers: for the roles whose policies use them
-- (the analyst reads masked and aggregated views only)
REVOKE ALL ON FUNCTION @extschema@.party_visible(bigint), @extschema@.visible_party_array(),
	@extschema@.history_visible(regclass, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.party_visible(bigint), @extschema@.visible_party_array(),
	@extschema@.history_visible(regclass, bigint) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
