-- test/citus/40_campaigns.sql: a campaign from segment to won leads, the
-- process engine, and the sales views
SET search_path = bankcrm, public;
\pset footer off

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
SELECT joined, "left", total FROM segment_refresh(:cap_segment);
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
SELECT * FROM funnel WHERE campaign_id = :cap_campaign ORDER BY 1, 2, 3;

\echo '### rep_activity'
SELECT * FROM rep_activity WHERE campaign_id = :cap_campaign ORDER BY 1, 2, 3 LIMIT 20;

\echo '### campaign_report'
SELECT * FROM campaign_report WHERE campaign_id = :cap_campaign;

\echo '### staff_performance'
SELECT * FROM staff_performance ORDER BY 1 LIMIT 10;

\echo '### lead_stay'
SELECT * FROM lead_stay ORDER BY 1, 2 LIMIT 10;

\echo '### dial'
INSERT INTO pbx (name, host, port, username, secret) VALUES ('cap', '127.0.0.1', 5038, 'cap', 'cap');
INSERT INTO dial_settings (campaign_id, pbx_id) SELECT :cap_campaign, pbx_id FROM pbx WHERE name = 'cap';
SELECT dial(:cap_lead) IS NOT NULL AS queued;
SELECT state, mode, attempt_no FROM call_attempt WHERE lead_id = :cap_lead;

\echo '### dialer_status'
SELECT * FROM dialer_status ORDER BY 1;
SELECT * FROM dialer_campaign_status ORDER BY 1;
