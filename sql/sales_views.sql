-- sales_views: the funnel, the activity sheet, the campaign report and staff
-- performance on a small hand-made campaign with fixed event times
SET search_path = bankcrm, public;
\set VERBOSITY terse

INSERT INTO region VALUES ('ZZ-SV', 'Views city', 'Views province');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (1, 'SV-1', 'Views branch', 'ZZ-SV');
INSERT INTO team (team_id, branch_id, name) VALUES (1, 1, 'Team V');
-- the two agents are administrators here, so that they may record events at past times
CREATE ROLE sv_ann IN ROLE bankcrm_admin;
CREATE ROLE sv_ben IN ROLE bankcrm_admin;
INSERT INTO staff (staff_id, name, role_kind, branch_id, team_id, db_role) VALUES
	(1, 'Ann', 'rm', 1, 1, 'sv_ann'), (2, 'Ben', 'rm', 1, 1, 'sv_ben');
INSERT INTO product (product_id, code, name, category) VALUES (1, 'LN_X', 'Loan X', 'loan'), (2, 'DEP_Z', 'Deposit Z', 'deposit');
INSERT INTO party (party_id, kind, name, region_code, status, consent_marketing) VALUES
	(1, 'individual', '赵一', 'ZZ-SV', 'active', true), (2, 'individual', '赵二', 'ZZ-SV', 'active', true),
	(3, 'individual', '赵三', 'ZZ-SV', 'active', true), (4, 'individual', '赵四', 'ZZ-SV', 'active', true);
INSERT INTO coverage (party_id, staff_id, role, valid_from) VALUES
	(1, 1, 'primary_rm', '2020-01-01'), (2, 1, 'primary_rm', '2020-01-01'), (3, 2, 'primary_rm', '2020-01-01');
INSERT INTO holding (party_id, product_id, balance, monthly_contribution, opened_on) VALUES
	(2, 2, 50000, 100, '2023-01-01'),
	(1, 1, 200000, 500, '2026-11-08'),  -- what the campaign sold
	(4, 1, 90000, 300, '2026-01-01');   -- opened before the campaign: not won by it
INSERT INTO campaign (campaign_id, name, product_id, state, budget, cost_per_contact)
VALUES (1, 'Loan X push', 1, 'active', 1000, 10);
INSERT INTO lead (lead_id, campaign_id, party_id, process_name, state, state_changed_at, assigned_to, assigned_at, created_at)
SELECT g, 1, g, 'outbound_sale', 'review_customer', '2026-11-02 09:00+00', CASE WHEN g <= 2 THEN 1 ELSE 2 END,
       '2026-11-02 09:00+00', '2026-11-02 09:00+00'
  FROM generate_series(1, 4) g;

-- Ann wins lead 1 and loses lead 2; Ben sends lead 3 a brochure; lead 4 waits
SET ROLE sv_ann;
SELECT bankcrm.lead_fire(1, e, NULL, t::timestamptz)
  FROM (VALUES ('customer_reviewed', '2026-11-02 10:00+00'), ('product_reviewed', '2026-11-03 10:00+00'),
               ('no_answer', '2026-11-03 11:00+00'), ('call_answered', '2026-11-04 10:00+00'),
               ('book_appointment', '2026-11-04 10:05+00'), ('meet', '2026-11-06 10:00+00'),
               ('agree', '2026-11-06 11:00+00'), ('send_thank_you', '2026-11-08 10:00+00')) v(e, t);
SELECT bankcrm.lead_fire(2, e, NULL, t::timestamptz)
  FROM (VALUES ('customer_reviewed', '2026-11-02 11:00+00'), ('product_reviewed', '2026-11-03 12:00+00'),
               ('decline', '2026-11-04 12:00+00')) v(e, t);
SELECT bankcrm.log_contact(1, 'phone_out', o, occurred_at => t::timestamptz) > 0 AS logged
  FROM (VALUES ('no_answer', '2026-11-03 11:00+00'), ('interested', '2026-11-04 10:00+00'),
               ('sale', '2026-11-06 11:00+00')) v(o, t);
SELECT bankcrm.log_contact(2, 'phone_out', 'declined', occurred_at => '2026-11-04 12:00+00') > 0 AS logged;
RESET ROLE;
SET ROLE sv_ben;
SELECT bankcrm.lead_fire(3, e, NULL, t::timestamptz)
  FROM (VALUES ('customer_reviewed', '2026-11-03 09:00+00'), ('product_reviewed', '2026-11-04 09:00+00'),
               ('send_brochure', '2026-11-05 09:00+00')) v(e, t);
SELECT bankcrm.log_contact(3, 'email', 'left_message', occurred_at => '2026-11-05 09:00+00') > 0 AS logged;
RESET ROLE;

SELECT lead_id, state, (state_changed_at AT TIME ZONE 'UTC')::text AS since FROM lead ORDER BY lead_id;
SELECT lead_id, state, entered_at AT TIME ZONE 'UTC' AS entered, left_at AT TIME ZONE 'UTC' AS left, next_state
  FROM lead_stay WHERE lead_id = 1 ORDER BY entered_at;

-- the funnel: lead 1 went all the way; the worst hand-off is flagged
SELECT stage_order, stage, entered, now_in_stage, moved_on, dropped, conversion_pct, median_days, bottleneck
  FROM funnel WHERE campaign_id = 1 ORDER BY stage_order;

-- the activity sheet: each person's events per day and stage against the minimum
SELECT staff_name, day, stage, activity, daily_target, shortfall, target_met
  FROM rep_activity ORDER BY staff_name, day, stage_order;
SELECT staff_name, sum(activity) AS events, sum(shortfall) AS shortfall
  FROM rep_activity GROUP BY staff_name ORDER BY staff_name;

-- results
SELECT campaign, state, product, leads, assigned, contacts, leads_contacted, conversions, conversion_pct,
       revenue_won, contribution_won, cost, budget, roi
  FROM campaign_report;
SELECT staff_name, leads_assigned, leads_open, leads_won, win_pct, contacts, contribution_won,
       parties_covered, book_contribution
  FROM staff_performance ORDER BY staff_id;
SELECT lead_id, volume, annual_contribution FROM lead_won;

-- analysts read the aggregates, never the leads
CREATE ROLE sv_analyst IN ROLE bankcrm_analyst;
SET ROLE sv_analyst;
SELECT count(*) AS funnel_rows FROM bankcrm.funnel;
SELECT count(*) FROM bankcrm.lead;
SELECT count(*) FROM bankcrm.lead_stay;
RESET ROLE;

DROP OWNED BY sv_ann, sv_ben, sv_analyst;
DROP ROLE sv_ann, sv_ben, sv_analyst;
-- leave the shared regression database as it was found (history and
-- contacts are append-only, so their triggers are bypassed for the cleanup)
SET client_min_messages = warning;
SET session_replication_role = replica;
TRUNCATE bankcrm.region, bankcrm.product, bankcrm.fsm_history, bankcrm.segment RESTART IDENTITY CASCADE;
RESET session_replication_role;
RESET client_min_messages;
DELETE FROM bankcrm.process WHERE NOT builtin;
