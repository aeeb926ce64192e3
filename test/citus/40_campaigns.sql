-- test/citus/40_campaigns.sql: a campaign from segment to won leads, the
-- process engine, and the sales views
SET search_path = bankcrm, public;
\pset footer off
-- one connection a node for multi-shard writes: the stage's nodes allow few prepared transactions
SET citus.multi_shard_modify_mode TO 'sequential';
SET citus.max_adaptive_executor_pool_size TO 1;

\echo '### campaign_setup'
SELECT p.home_branch_id AS cap_branch
  FROM party p WHERE p.kind = 'individual' AND p.status = 'active'
 GROUP BY p.home_branch_id ORDER BY count(*) DESC, p.home_branch_id LIMIT 1 \gset
INSERT INTO segment (name, kind, rule, description)
VALUES ('cap: young families', 'rule',
        format($$kind = 'individual' AND status = 'active' AND home_branch_id = %s
                 AND life_stage IN ('newly_married', 'full_nest_1', 'full_nest_2')$$, :cap_branch),
        'capability script');
SELECT segment_id AS cap_segment FROM segment WHERE name = 'cap: young families' \gset

\echo '### campaign_segment_refresh'
SELECT joined, "left", total FROM segment_refresh(:cap_segment);

\echo '### campaign_setup_members'
-- the segment's members, whatever segment_refresh did: this script tests the campaign
INSERT INTO segment_member (segment_id, party_id, joined_at)
SELECT :cap_segment, f.party_id, now() FROM party_features f
 WHERE f.kind = 'individual' AND f.status = 'active' AND f.home_branch_id = :cap_branch
   AND f.life_stage IN ('newly_married', 'full_nest_1', 'full_nest_2')
ON CONFLICT DO NOTHING;
SELECT count(*) AS members FROM segment_member WHERE segment_id = :cap_segment;
INSERT INTO campaign (name, product_id, target_segment_id, process_name, starts_on, ends_on, daily_target, budget, cost_per_contact)
SELECT 'cap: money market', pr.product_id, :cap_segment, 'outbound_sale', '2026-11-09', '2026-12-31', 20, 20000, 3.50
  FROM product pr WHERE pr.code = 'WM_MONEY_MARKET';
SELECT campaign_id AS cap_campaign FROM campaign WHERE name = 'cap: money market' \gset
INSERT INTO campaign_team (campaign_id, team_id)
SELECT :cap_campaign, t.team_id FROM team t WHERE t.branch_id = :cap_branch AND t.kind IN ('relationship', 'call_centre');
SELECT fsm_fire('bankcrm.campaign', :cap_campaign, e, 'capability') FROM unnest(ARRAY['approve', 'launch']) e;
SELECT state FROM campaign WHERE campaign_id = :cap_campaign;

\echo '### campaign_generate_leads'
SELECT reason, parties FROM campaign_generate_leads(:cap_campaign) ORDER BY 1;

\echo '### campaign_assign'
SELECT staff_id, leads FROM campaign_assign(:cap_campaign, 'primary_rm') ORDER BY staff_id NULLS LAST;
SELECT staff_id, leads FROM campaign_assign(:cap_campaign, 'round_robin') ORDER BY staff_id NULLS LAST;

\echo '### lead_fire'
SELECT lead_id AS cap_lead FROM lead WHERE campaign_id = :cap_campaign AND assigned_to IS NOT NULL
 ORDER BY lead_id LIMIT 1 \gset
SELECT lead_fire(:cap_lead, 'customer_reviewed', 'capability', '2026-11-10 09:00+08');
SELECT lead_fire(:cap_lead, 'product_reviewed', NULL, '2026-11-10 09:05+08');
SELECT state, fabe_step FROM lead WHERE lead_id = :cap_lead;

\echo '### log_contact'
SELECT log_contact(:cap_lead, 'phone_out', 'interested', 'call_answered', 'advantage',
                   '2026-11-12 10:00+08', 'call back', '2026-11-10 09:10+08', 240) IS NOT NULL AS logged;
SELECT state, fabe_step, next_follow_up FROM lead WHERE lead_id = :cap_lead;
SELECT channel, outcome, fabe_step, duration_s FROM contact WHERE lead_id = :cap_lead ORDER BY contact_id;

\echo '### lead_reassign'
SELECT s.staff_id AS cap_other FROM staff s
 WHERE s.active AND s.staff_id <> (SELECT assigned_to FROM lead WHERE lead_id = :cap_lead)
 ORDER BY s.staff_id LIMIT 1 \gset
SELECT lead_reassign(:cap_lead, :cap_other);
SELECT assigned_to = :cap_other AS reassigned FROM lead WHERE lead_id = :cap_lead;

\echo '### fsm_history'
SELECT event, from_state, to_state, note FROM fsm_history
 WHERE entity = 'bankcrm.lead'::regclass AND entity_id = :cap_lead ORDER BY history_id;

\echo '### direct_update_guarded'
UPDATE lead SET state = 'won' WHERE lead_id = :cap_lead;

\echo '### funnel'
-- median_days depends on when the leads were created (now): only whether it is known
SELECT campaign, stage_order, stage, entered, now_in_stage, moved_on, dropped, conversion_pct,
       median_days IS NOT NULL AS has_median, bottleneck
  FROM funnel WHERE campaign_id = :cap_campaign ORDER BY stage_order;

\echo '### rep_activity'
SELECT staff_id, process_name, day, stage, activity, daily_target, shortfall, target_met
  FROM rep_activity WHERE process_name = 'outbound_sale' ORDER BY 1, 2, 3, stage LIMIT 20;

\echo '### campaign_report'
SELECT campaign, state, product, leads, assigned, contacts, leads_contacted, conversions, conversion_pct,
       revenue_won, contribution_won, cost, budget, roi
  FROM campaign_report WHERE campaign_id = :cap_campaign;

\echo '### staff_performance'
SELECT * FROM staff_performance ORDER BY 1 LIMIT 10;

\echo '### lead_stay'
-- entered_at of a new lead is its creation time (now): left out
SELECT s.lead_id - :cap_lead AS lead, s.process_name, s.state, s.left_at, s.next_state
  FROM lead_stay s WHERE s.campaign_id = :cap_campaign ORDER BY s.lead_id, s.entered_at LIMIT 10;

\echo '### my_agenda'
-- the lead's assignee, through a login role that is a member of bankcrm_rm
SET client_min_messages TO warning;
CREATE ROLE cap_agenda LOGIN IN ROLE bankcrm_rm;
RESET client_min_messages;
UPDATE staff SET db_role = NULL WHERE db_role = 'cap_agenda';
UPDATE staff SET db_role = 'cap_agenda' WHERE staff_id = (SELECT assigned_to FROM lead WHERE lead_id = :cap_lead);
SET ROLE cap_agenda;
SELECT kind, due_at, lead_id - :cap_lead AS lead, party_name, state, detail FROM my_agenda ORDER BY due_at, lead_id;

\echo '### care_due'
SELECT party_id, party_name, occasion, occasion_date, days_ahead FROM care_due ORDER BY occasion_date, party_id, occasion;
RESET ROLE;
UPDATE staff SET db_role = NULL WHERE db_role = 'cap_agenda';

\echo '### lead_won'
SELECT count(*) AS won, coalesce(sum(volume), 0) AS volume FROM lead_won;

\echo '### dial'
INSERT INTO pbx (name, host, port, username, secret) VALUES ('cap', '127.0.0.1', 5038, 'cap', 'cap');
-- a calling window open all day, every day, so that the claim below dials
INSERT INTO dial_settings (campaign_id, pbx_id, window_start, window_end, call_days, skip_holidays)
SELECT :cap_campaign, pbx_id, '00:00', '23:59:59.999999', '{1,2,3,4,5,6,7}', false FROM pbx WHERE name = 'cap';
INSERT INTO dialer_agent (staff_id, extension, campaign_id, state)
SELECT assigned_to, '201', :cap_campaign, 'ready' FROM lead WHERE lead_id = :cap_lead;
SELECT dial(:cap_lead) IS NOT NULL AS queued;
SELECT state, mode, attempt_no FROM call_attempt WHERE lead_id = :cap_lead;

\echo '### dialer_status'
SELECT * FROM dialer_status ORDER BY 1;
SELECT * FROM dialer_campaign_status ORDER BY 1;

\echo '### dialer_claim_finish'
SELECT count(*) AS claimed FROM dialer_claim((SELECT pbx_id FROM pbx WHERE name = 'cap'), 5);
SELECT state FROM call_attempt WHERE lead_id = :cap_lead;
SELECT dialer_finish(array_agg(attempt_id), array_agg('answered'::text), array_agg(NULL::integer),
                     array_agg('ANSWER'::text), array_agg(16), array_agg('2026-11-13 10:00+08'::timestamptz),
                     array_agg('2026-11-13 10:00:05+08'::timestamptz), array_agg('2026-11-13 10:02+08'::timestamptz),
                     array_agg(NULL::text))
  FROM call_attempt WHERE lead_id = :cap_lead AND state = 'dialing';
SELECT state, outcome, talk_ms FROM call_attempt WHERE lead_id = :cap_lead ORDER BY attempt_id;
SELECT state FROM lead WHERE lead_id = :cap_lead;

\echo '### dialer_queue_progressive'
-- a progressive attempt for the next lead, dialed with the campaign's ready agent
SELECT party_id AS cap_party2 FROM lead WHERE lead_id = :cap_lead + 1 \gset
SELECT dialer_queue(:cap_campaign, :cap_party2, '2026-11-13 10:00+08', :cap_lead + 1) IS NOT NULL AS queued;
SELECT mode, state, attempt_no FROM call_attempt WHERE lead_id = :cap_lead + 1;
SELECT count(*) AS claimed FROM dialer_claim((SELECT pbx_id FROM pbx WHERE name = 'cap'), 5);
SELECT a.state, a.staff_id = g.staff_id AS agent_on_it, g.state AS agent_state
  FROM call_attempt a JOIN dialer_agent g ON g.attempt_id = a.attempt_id
 WHERE a.lead_id = :cap_lead + 1;

\echo '### dialer_wrapup'
-- the campaign's wrap-up: the agent of a finished call wraps up (the end
-- worked out before the UPDATE of the reference table), the claim makes it
-- ready again once its time is over
UPDATE dial_settings SET wrapup_s = 30 WHERE campaign_id = :cap_campaign;
SELECT dialer_finish(array_agg(attempt_id), array_agg('answered'::text), array_agg(NULL::integer),
                     array_agg('ANSWER'::text), array_agg(16), array_agg(now() - interval '1 minute'),
                     array_agg(now() - interval '50 seconds'), array_agg(now()), array_agg(NULL::text))
  FROM call_attempt WHERE lead_id = :cap_lead + 1 AND state = 'dialing';
SELECT state, attempt_id, wrapup_until - since AS wrapup FROM dialer_agent WHERE campaign_id = :cap_campaign;
UPDATE dialer_agent SET wrapup_until = now() - interval '1 second' WHERE campaign_id = :cap_campaign;
SELECT count(*) AS claimed FROM dialer_claim((SELECT pbx_id FROM pbx WHERE name = 'cap'), 0);
SELECT state, wrapup_until FROM dialer_agent WHERE campaign_id = :cap_campaign;
UPDATE dial_settings SET wrapup_s = 0 WHERE campaign_id = :cap_campaign;

\echo '### complaint_fire'
-- the complaint process on a distributed table: events, history, refusals
SELECT min(complaint_id) AS cap_complaint FROM complaint WHERE state = 'received' \gset
SELECT fsm_fire('bankcrm.complaint', :cap_complaint, 'assign', 'capability', '2026-11-14 09:00+08');
SELECT fsm_fire('bankcrm.complaint', :cap_complaint, 'investigate', NULL, '2026-11-14 10:00+08');
SELECT fsm_fire('bankcrm.complaint', :cap_complaint, 'close');
SELECT fsm_fire('bankcrm.complaint', 0, 'close');
SELECT state FROM complaint WHERE complaint_id = :cap_complaint;
SELECT event, from_state, to_state, at, note FROM fsm_history
 WHERE entity = 'bankcrm.complaint'::regclass AND entity_id = :cap_complaint ORDER BY history_id;
UPDATE complaint SET state = 'closed' WHERE complaint_id = :cap_complaint;
SELECT state FROM complaint WHERE complaint_id = :cap_complaint;

\echo '### campaign_direct_update'
-- a valid direct update of a reference table's state is recorded once
UPDATE campaign SET state = 'paused' WHERE campaign_id = :cap_campaign;
SELECT state FROM campaign WHERE campaign_id = :cap_campaign;
SELECT event, from_state, to_state, note FROM fsm_history
 WHERE entity = 'bankcrm.campaign'::regclass AND entity_id = :cap_campaign ORDER BY history_id;

\echo '### lead_direct_update_valid'
-- a valid direct update of a distributed table's state (recorded on one node)
UPDATE lead SET state = 'brochure_sent' WHERE lead_id = :cap_lead AND state = 'first_call';
SELECT state FROM lead WHERE lead_id = :cap_lead;
