-- test/pgtap/campaign.sql: campaigns and leads on the ci-size synthetic bank
BEGIN;
SELECT plan(24);

SELECT has_table('bankcrm', t, 'table ' || t) FROM unnest(ARRAY['campaign', 'campaign_team', 'lead', 'care_occasion']) t;
SELECT has_function('bankcrm', f, 'function ' || f)
  FROM unnest(ARRAY['campaign_generate_leads', 'campaign_assign', 'lead_fire', 'lead_reassign', 'log_contact']) f;
SELECT columns_are('bankcrm', 'funnel', ARRAY['campaign_id', 'campaign', 'stage_order', 'stage', 'entered', 'now_in_stage',
	'moved_on', 'dropped', 'conversion_pct', 'median_days', 'bottleneck'], 'funnel columns for BI');
SELECT columns_are('bankcrm', 'rep_activity', ARRAY['staff_id', 'staff_name', 'team_id', 'process_name', 'day', 'stage',
	'stage_order', 'activity', 'daily_target', 'shortfall', 'target_met'], 'rep_activity columns for BI');
SELECT columns_are('bankcrm', 'campaign_report', ARRAY['campaign_id', 'campaign', 'state', 'product', 'leads', 'assigned',
	'contacts', 'leads_contacted', 'conversions', 'conversion_pct', 'revenue_won', 'contribution_won', 'cost', 'budget', 'roi'],
	'campaign_report columns for BI');
SELECT ok(has_table_privilege('bankcrm_analyst', 'bankcrm.funnel', 'SELECT')
          AND NOT has_table_privilege('bankcrm_analyst', 'bankcrm.lead', 'SELECT'),
	'analysts read the funnel, not the leads');

-- a campaign on a segment of 300 generated individuals
INSERT INTO bankcrm.segment (segment_id, name, kind, rule) VALUES (900001, 'pgtap campaign', 'rule', 'true');
INSERT INTO bankcrm.segment_member (segment_id, party_id, joined_at)
SELECT 900001, party_id, now() FROM bankcrm.party WHERE kind = 'individual' ORDER BY party_id LIMIT 300;
INSERT INTO bankcrm.campaign (campaign_id, name, product_id, target_segment_id, state)
SELECT 900001, 'pgtap card drive', product_id, 900001, 'active' FROM bankcrm.product WHERE code = 'CARD_CREDIT';
CREATE TEMP TABLE gen AS SELECT * FROM bankcrm.campaign_generate_leads(900001);
SELECT is((SELECT sum(parties) FROM gen), 300::numeric, 'every member is counted under exactly one reason');
SELECT is((SELECT parties FROM gen WHERE reason = 'created'), (SELECT count(*) FROM bankcrm.lead WHERE campaign_id = 900001),
	'created counts the leads made');
SELECT is_empty($$SELECT 1 FROM bankcrm.lead l JOIN bankcrm.party p USING (party_id)
	WHERE l.campaign_id = 900001 AND (p.do_not_contact OR NOT p.consent_marketing OR p.status = 'closed')$$,
	'no lead for do-not-contact, no-consent or closed parties');
SELECT is_empty($$SELECT 1 FROM bankcrm.lead l JOIN bankcrm.holding h ON h.party_id = l.party_id AND h.closed_on IS NULL
	JOIN bankcrm.campaign k ON k.campaign_id = l.campaign_id AND k.product_id = h.product_id WHERE l.campaign_id = 900001$$,
	'no lead for a party that holds the product');
SELECT is((SELECT parties FROM bankcrm.campaign_generate_leads(900001) WHERE reason = 'created'), 0::bigint,
	'a second call adds nothing');

-- assignment respects every person's capacity
CREATE TEMP TABLE asg AS SELECT * FROM bankcrm.campaign_assign(900001, 'primary_rm');
SELECT is((SELECT sum(leads) FROM asg), (SELECT count(*) FROM bankcrm.lead WHERE campaign_id = 900001)::bigint,
	'every lead is assigned or reported unassigned');
SELECT is_empty($$SELECT s.staff_id FROM bankcrm.staff s JOIN bankcrm.lead l ON l.assigned_to = s.staff_id
	WHERE l.assigned_at >= CURRENT_DATE GROUP BY s.staff_id, s.daily_capacity HAVING count(*) > s.daily_capacity$$,
	'nobody gets more leads today than its daily capacity');

-- events and the funnel
SELECT lives_ok($$SELECT bankcrm.lead_fire(lead_id, 'customer_reviewed') FROM bankcrm.lead WHERE campaign_id = 900001$$,
	'every lead can be reviewed');
SELECT throws_ok($$SELECT bankcrm.lead_fire(min(lead_id), 'send_thank_you') FROM bankcrm.lead WHERE campaign_id = 900001$$,
	'55000', NULL, 'an out-of-order event is refused');
SELECT throws_ok($$UPDATE bankcrm.lead SET state = 'won' WHERE campaign_id = 900001$$, '23514', NULL,
	'a direct jump to won is refused');
SELECT is((SELECT entered FROM bankcrm.funnel WHERE campaign_id = 900001 AND stage = 'review_product'),
	(SELECT count(*) FROM bankcrm.lead WHERE campaign_id = 900001), 'the funnel counts the reviewed leads');

SELECT * FROM finish();
ROLLBACK;
