-- campaign: campaigns, lead generation, assignment, events, contacts,
-- reassignment and what each role sees
SET search_path = bankcrm, public;
\set VERBOSITY terse

-- a branch with two teams; Alice may take one new lead a day
INSERT INTO region VALUES ('ZZ-CP', 'Campaign city', 'Campaign province');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (1, 'CP-1', 'Campaign branch', 'ZZ-CP');
INSERT INTO team (team_id, branch_id, name) VALUES (1, 1, 'Team A'), (2, 1, 'Team B');
CREATE ROLE cp_alice IN ROLE bankcrm_rm;
CREATE ROLE cp_bob IN ROLE bankcrm_rm;
CREATE ROLE cp_carol IN ROLE bankcrm_manager;
CREATE ROLE cp_dan IN ROLE bankcrm_rm;
CREATE ROLE cp_erin IN ROLE bankcrm_manager;
CREATE ROLE cp_app IN ROLE bankcrm_app;
INSERT INTO staff (staff_id, name, role_kind, branch_id, team_id, db_role, daily_capacity, active) VALUES
	(1, 'Alice', 'rm', 1, 1, 'cp_alice', 1, true),
	(2, 'Bob', 'rm', 1, 1, 'cp_bob', 3, true),
	(3, 'Carol', 'team_lead', 1, 1, 'cp_carol', 10, true),
	(4, 'Dan', 'rm', 1, 2, 'cp_dan', 5, true),
	(5, 'Erin', 'team_lead', 1, 2, 'cp_erin', 10, true),
	(6, 'Frank', 'rm', 1, 1, NULL, 50, false),
	(7, 'Gina', 'rm', 1, 1, NULL, 5, true);
INSERT INTO product (product_id, code, name, category) VALUES (1, 'CARD_X', 'Card X', 'card'), (2, 'DEP_Y', 'Deposit Y', 'deposit');

-- parties 1, 2, 8, 9, 10 qualify; 3 to 7 are excluded, each for one reason
INSERT INTO party (party_id, kind, name, region_code, status, closed_on, consent_marketing, do_not_contact, birth_date) VALUES
	(1, 'individual', '王一', 'ZZ-CP', 'active', NULL, true, false, (CURRENT_DATE + 3) - interval '30 years'),
	(2, 'individual', '王二', 'ZZ-CP', 'active', NULL, true, false, NULL),
	(3, 'individual', '王三', 'ZZ-CP', 'closed', '2025-01-01', true, false, NULL),
	(4, 'individual', '王四', 'ZZ-CP', 'active', NULL, true, true, NULL),
	(5, 'individual', '王五', 'ZZ-CP', 'active', NULL, false, false, NULL),
	(6, 'individual', '王六', 'ZZ-CP', 'active', NULL, true, false, NULL),
	(7, 'individual', '王七', 'ZZ-CP', 'active', NULL, true, false, NULL),
	(8, 'individual', '王八', 'ZZ-CP', 'active', NULL, true, false, NULL),
	(9, 'individual', '王九', 'ZZ-CP', 'prospect', NULL, true, false, NULL),
	(10, 'individual', '王十', 'ZZ-CP', 'prospect', NULL, true, false, NULL),
	(11, 'individual', '李一', 'ZZ-CP', 'prospect', NULL, true, false, NULL),
	(12, 'individual', '李二', 'ZZ-CP', 'prospect', NULL, true, false, NULL);
INSERT INTO coverage (party_id, staff_id, role, valid_from) VALUES
	(1, 1, 'primary_rm', '2020-01-01'), (2, 1, 'primary_rm', '2020-01-01'),
	(8, 2, 'primary_rm', '2020-01-01'), (9, 4, 'primary_rm', '2020-01-01');
INSERT INTO holding (party_id, product_id, balance, opened_on) VALUES (6, 1, 100, '2024-01-01');
INSERT INTO segment (segment_id, name, kind, rule) VALUES (1, 'campaign test', 'rule', 'true');
INSERT INTO segment_member (segment_id, party_id, joined_at)
SELECT 1, g, '2026-11-01' FROM generate_series(1, 9) g;

-- another running campaign for the same product already has party 7
INSERT INTO campaign (campaign_id, name, product_id, state) VALUES (2, 'Earlier card drive', 1, 'active');
INSERT INTO lead (campaign_id, party_id, process_name, state) VALUES (2, 7, 'outbound_sale', 'review_customer');

-- the campaign and its lifecycle
INSERT INTO campaign (campaign_id, name, product_id, target_segment_id, owner_staff_id, daily_target, budget, cost_per_contact)
VALUES (1, 'Card X autumn', 1, 1, 3, 20, 5000, 2.50);
INSERT INTO campaign_team VALUES (1, 1);
SELECT campaign_id, name, process_name, state FROM campaign ORDER BY campaign_id;
UPDATE campaign SET state = 'active' WHERE campaign_id = 1;
SET ROLE cp_app;
SELECT bankcrm.fsm_fire('bankcrm.campaign', 1, 'approve');
RESET ROLE;
SET ROLE cp_carol;
SELECT bankcrm.fsm_fire('bankcrm.campaign', 1, 'approve', 'budget checked');
RESET ROLE;
SELECT fsm_fire('campaign', 1, 'launch');

-- leads from the segment, with the count of every exclusion
SELECT * FROM campaign_generate_leads(1);
SELECT * FROM campaign_generate_leads(1) WHERE parties > 0;
INSERT INTO segment_member VALUES (1, 10, '2026-11-02');
SELECT * FROM campaign_generate_leads(1) WHERE parties > 0;
SELECT lead_id, party_id, process_name, state, assigned_to FROM lead WHERE campaign_id = 1 ORDER BY party_id;
SELECT * FROM campaign_generate_leads(2);
SELECT * FROM campaign_generate_leads(99);

-- assignment: primary RMs first (Alice can take one), then the team in turn, then the least loaded
-- (ties go to the lower staff id); nobody exceeds the day's capacity
SELECT * FROM campaign_assign(1, 'primary_rm');
SELECT * FROM campaign_assign(1, 'round_robin');
INSERT INTO segment_member VALUES (1, 11, '2026-11-03'), (1, 12, '2026-11-03');
SELECT * FROM campaign_generate_leads(1) WHERE reason = 'created';
SELECT * FROM campaign_assign(1, 'least_loaded');
SELECT * FROM campaign_assign(1, 'least_loaded');
SELECT party_id, assigned_to FROM lead WHERE campaign_id = 1 ORDER BY party_id;
SELECT * FROM campaign_assign(1, 'alphabetical');
SELECT * FROM campaign_assign(99, 'primary_rm');
INSERT INTO campaign (campaign_id, name, product_id) VALUES (3, 'No teams', 2);
SELECT * FROM campaign_assign(3, 'round_robin');
SET ROLE cp_carol;
SELECT * FROM bankcrm.campaign_assign(1, 'primary_rm');
RESET ROLE;

-- what each person sees
SET ROLE cp_alice;
SELECT party_id, state FROM bankcrm.lead ORDER BY party_id;
RESET ROLE;
SET ROLE cp_carol;
SELECT party_id, assigned_to FROM bankcrm.lead ORDER BY party_id;
RESET ROLE;
SET ROLE cp_dan;
SELECT party_id, assigned_to FROM bankcrm.lead ORDER BY party_id;
RESET ROLE;

-- working a lead: events, contacts, the agenda
SELECT lead_id AS alice_lead FROM lead WHERE campaign_id = 1 AND party_id = 1 \gset
SELECT lead_id AS bob_lead FROM lead WHERE campaign_id = 1 AND party_id = 8 \gset
SELECT lead_id AS dan_lead FROM lead WHERE campaign_id = 1 AND party_id = 9 \gset
SET ROLE cp_alice;
SELECT bankcrm.lead_fire(:alice_lead, 'customer_reviewed', 'salary account, two children');
SELECT bankcrm.log_contact(:alice_lead, 'phone_out', 'interested', event => 'product_reviewed',
	fabe_step => 'advantage', next_follow_up => now() - interval '1 hour', note => 'call back after lunch') > 0 AS logged;
SELECT bankcrm.log_contact(:alice_lead, 'phone_out', 'answered', fabe_step => 'feature',
	next_follow_up => now() - interval '2 hours') > 0 AS logged_again;
SELECT state, fabe_step, next_follow_up IS NOT NULL AS follow_up_set FROM bankcrm.lead WHERE lead_id = :alice_lead;
INSERT INTO bankcrm.appointment (party_id, staff_id, starts_at, ends_at, kind, purpose, lead_id)
VALUES (1, 1, CURRENT_DATE + interval '23 hours', CURRENT_DATE + interval '23 hours 30 minutes', 'call_back', 'Card X questions', :alice_lead);
SELECT kind, lead_id = :alice_lead AS my_lead, party_name, state, detail FROM bankcrm.my_agenda ORDER BY kind;
SELECT party_id, party_name, occasion, days_ahead FROM bankcrm.care_due WHERE occasion = 'birthday';
SELECT bankcrm.lead_fire(:bob_lead, 'customer_reviewed');
SELECT bankcrm.lead_fire(:alice_lead, 'send_thank_you');
UPDATE bankcrm.lead SET state = 'won' WHERE lead_id = :alice_lead;
UPDATE bankcrm.lead SET assigned_to = 2 WHERE lead_id = :alice_lead;
SELECT bankcrm.lead_reassign(:alice_lead, 2);
SELECT bankcrm.campaign_generate_leads(1);
RESET ROLE;
SELECT channel, purpose, outcome, fabe_step, campaign_id, lead_id = :alice_lead AS lead, staff_id, note
  FROM contact ORDER BY contact_id;

-- the dialer fires call outcomes as a superuser without a staff mapping
SELECT lead_fire(:dan_lead, 'customer_reviewed');
SELECT lead_fire(:dan_lead, 'product_reviewed');
SELECT lead_fire(:dan_lead, 'no_answer', 'attempt 1');
SELECT lead_fire(:dan_lead, 'busy', 'attempt 2');
SELECT lead_fire(:dan_lead, 'invalid_number');
SELECT lead_fire(:dan_lead, 'call_answered');
SELECT lead_fire(NULL, 'busy');
SELECT lead_fire(-1, 'busy');
SELECT h.event, h.from_state, h.to_state, h.staff_id, h.actor, h.note
  FROM fsm_history h WHERE h.entity = 'lead'::regclass AND h.entity_id IN (:alice_lead, :dan_lead)
 ORDER BY h.history_id;

-- reassignment: a team lead within its own team only
SET ROLE cp_carol;
SELECT bankcrm.lead_reassign(:bob_lead, 7) AS previous;
SELECT bankcrm.lead_reassign(:bob_lead, 4);
SELECT bankcrm.lead_reassign(:dan_lead, 1);
SELECT bankcrm.lead_reassign(:bob_lead, 6);
RESET ROLE;
SET ROLE cp_erin;
SELECT bankcrm.lead_reassign(:bob_lead, 4);
RESET ROLE;
SELECT party_id, assigned_to FROM lead WHERE campaign_id = 1 ORDER BY party_id;

-- the campaign's own process; a completed campaign takes no new leads
SELECT fsm_fire('campaign', 1, 'pause'), fsm_fire('campaign', 1, 'resume'), fsm_fire('campaign', 1, 'complete');
SELECT fsm_fire('campaign', 1, 'resume');
SELECT * FROM campaign_generate_leads(1);
SELECT * FROM campaign_assign(1);
SELECT event, from_state, to_state, actor, note FROM fsm_history WHERE entity = 'campaign'::regclass ORDER BY history_id;

-- contacts and appointments point at real campaigns and leads
INSERT INTO contact (party_id, channel, outcome, campaign_id) VALUES (1, 'web', 'completed', 42);
INSERT INTO contact (party_id, channel, outcome, lead_id) VALUES (1, 'web', 'completed', 4242);

-- clean up the roles (the tables go with the database)
DROP OWNED BY cp_alice, cp_bob, cp_carol, cp_dan, cp_erin, cp_app;
DROP ROLE cp_alice, cp_bob, cp_carol, cp_dan, cp_erin, cp_app;
-- leave the shared regression database as it was found (history and
-- contacts are append-only, so their triggers are bypassed for the cleanup)
SET client_min_messages = warning;
SET session_replication_role = replica;
TRUNCATE bankcrm.region, bankcrm.product, bankcrm.fsm_history, bankcrm.segment RESTART IDENTITY CASCADE;
RESET session_replication_role;
RESET client_min_messages;
DELETE FROM bankcrm.process WHERE NOT builtin;
