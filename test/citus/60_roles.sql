-- test/citus/60_roles.sql: each staff role, through a login role that is a
-- member of it (as staff connect), sees exactly the same rows
SET search_path = bankcrm, public;
\pset footer off

\echo '### roles_setup'
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['cap_rm', 'cap_lead', 'cap_manager', 'cap_analyst', 'cap_app'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
END
$$;
GRANT bankcrm_rm TO cap_rm;
GRANT bankcrm_manager TO cap_lead, cap_manager;
GRANT bankcrm_analyst TO cap_analyst;
GRANT bankcrm_app TO cap_app;
-- the RM who covers the most parties, the lead of its team, a branch manager
SELECT c.staff_id AS rm_staff FROM coverage c JOIN staff s USING (staff_id)
 WHERE s.role_kind = 'rm' AND s.active AND c.valid_to IS NULL
 GROUP BY c.staff_id ORDER BY count(*) DESC, c.staff_id LIMIT 1 \gset
SELECT l.staff_id AS lead_staff FROM staff l JOIN staff r ON r.team_id = l.team_id
 WHERE r.staff_id = :rm_staff AND l.role_kind = 'team_lead' AND l.active ORDER BY l.staff_id LIMIT 1 \gset
SELECT staff_id AS manager_staff FROM staff WHERE role_kind = 'branch_manager' AND active ORDER BY staff_id LIMIT 1 \gset
UPDATE staff SET db_role = NULL WHERE db_role IN ('cap_rm', 'cap_lead', 'cap_manager');
UPDATE staff SET db_role = 'cap_rm' WHERE staff_id = :rm_staff;
UPDATE staff SET db_role = 'cap_lead' WHERE staff_id = :lead_staff;
UPDATE staff SET db_role = 'cap_manager' WHERE staff_id = :manager_staff;
SELECT role_kind, db_role FROM staff WHERE db_role LIKE 'cap_%' ORDER BY db_role;

\echo '### rm_sees'
\c - cap_rm
SET search_path = bankcrm, public;
SELECT current_staff_id() IS NOT NULL AS is_staff;
SELECT 'party' AS t, count(*) FROM party UNION ALL
SELECT 'party_phone', count(*) FROM party_phone UNION ALL
SELECT 'coverage', count(*) FROM coverage UNION ALL
SELECT 'holding', count(*) FROM holding UNION ALL
SELECT 'activity_weekly', count(*) FROM activity_weekly UNION ALL
SELECT 'contact', count(*) FROM contact UNION ALL
SELECT 'complaint', count(*) FROM complaint UNION ALL
SELECT 'party_score', count(*) FROM party_score UNION ALL
SELECT 'segment_member', count(*) FROM segment_member UNION ALL
SELECT 'lead', count(*) FROM lead UNION ALL
SELECT 'churn_alert', count(*) FROM churn_alert UNION ALL
SELECT 'fsm_history', count(*) FROM fsm_history;
SELECT md5(string_agg(party_id::text, ',' ORDER BY party_id)) FROM party;

\echo '### rm_360'
SELECT party_id, kind, aum FROM party_360 ORDER BY aum DESC NULLS LAST, party_id LIMIT 5;

\echo '### rm_kyc_refused'
SELECT count(*) FROM party_kyc;

\echo '### team_lead_sees'
\c - cap_lead
SET search_path = bankcrm, public;
SELECT 'party' AS t, count(*) FROM party UNION ALL
SELECT 'holding', count(*) FROM holding UNION ALL
SELECT 'contact', count(*) FROM contact UNION ALL
SELECT 'lead', count(*) FROM lead UNION ALL
SELECT 'fsm_history', count(*) FROM fsm_history;

\echo '### branch_manager_sees'
\c - cap_manager
SET search_path = bankcrm, public;
SELECT 'party' AS t, count(*) FROM party UNION ALL
SELECT 'holding', count(*) FROM holding UNION ALL
SELECT 'contact', count(*) FROM contact UNION ALL
SELECT 'lead', count(*) FROM lead;

\echo '### analyst_sees'
\c - cap_analyst
SET search_path = bankcrm, public;
SELECT count(*), count(DISTINCT name_masked) FROM party_masked;
SELECT * FROM aum_pyramid;
SELECT count(*) FROM party;

\echo '### app_sees'
\c - cap_app
SET search_path = bankcrm, public;
SELECT count(*) FROM party;
SELECT count(*) FROM holding;

\c - postgres
