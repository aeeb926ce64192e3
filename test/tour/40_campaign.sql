-- test/tour/40_campaign.sql: the tour, part 4: one outbound campaign end to end
\pset footer off
\echo
\echo '== A campaign, end to end =='
\echo

-- the branch with the most active individuals runs it
SELECT p.home_branch_id AS tour_branch, b.name AS tour_branch_name
  FROM bankcrm.party p JOIN bankcrm.branch b ON b.branch_id = p.home_branch_id
 WHERE p.kind = 'individual' AND p.status = 'active'
 GROUP BY p.home_branch_id, b.name ORDER BY count(*) DESC, p.home_branch_id LIMIT 1 \gset

\echo '1. Who we sell to: young families of branch' :'tour_branch_name' 'without a money-market fund (a rule segment)'
INSERT INTO bankcrm.segment (name, kind, rule, description)
VALUES ('Tour: young families without a money-market fund', 'rule',
        format($$kind = 'individual' AND status = 'active' AND home_branch_id = %s
                 AND life_stage IN ('newly_married', 'full_nest_1', 'full_nest_2')
                 AND NOT products && ARRAY['WM_MONEY_MARKET']$$, :tour_branch),
        'Target of the tour campaign')
ON CONFLICT (name) DO NOTHING;
SELECT segment_id AS tour_segment FROM bankcrm.segment WHERE name = 'Tour: young families without a money-market fund' \gset
SELECT joined, "left", total FROM bankcrm.segment_refresh(:tour_segment);

\echo '2. The campaign: money-market fund, outbound_sale process, the branch''s relationship teams'
INSERT INTO bankcrm.campaign (name, product_id, target_segment_id, process_name, starts_on, ends_on, daily_target, budget, cost_per_contact)
SELECT 'Tour: money-market for young families', pr.product_id, :tour_segment, 'outbound_sale', '2026-11-09', '2026-12-31', 20, 20000, 3.50
  FROM bankcrm.product pr WHERE pr.code = 'WM_MONEY_MARKET'
ON CONFLICT (name) DO NOTHING;
SELECT campaign_id AS tour_campaign FROM bankcrm.campaign WHERE name = 'Tour: money-market for young families' \gset
INSERT INTO bankcrm.campaign_team (campaign_id, team_id)
SELECT :tour_campaign, t.team_id FROM bankcrm.team t
 WHERE t.branch_id = :tour_branch AND t.kind IN ('relationship', 'call_centre')
ON CONFLICT DO NOTHING;
-- draft -> approved -> active, through the campaign_lifecycle process
SELECT bankcrm.fsm_fire('bankcrm.campaign', :tour_campaign, e, 'tour')
  FROM unnest(ARRAY['approve', 'launch']) e
 WHERE (SELECT state FROM bankcrm.campaign WHERE campaign_id = :tour_campaign) = 'draft';
SELECT campaign_id, name, state FROM bankcrm.campaign WHERE campaign_id = :tour_campaign;

\echo '3. Leads from the segment, with every exclusion counted (a second run adds nothing)'
SELECT reason, parties FROM bankcrm.campaign_generate_leads(:tour_campaign);
-- the campaign started on Monday 2026-11-09
UPDATE bankcrm.lead SET created_at = '2026-11-09 08:30+08', state_changed_at = '2026-11-09 08:30+08'
 WHERE campaign_id = :tour_campaign AND created_at > '2026-11-09 08:30+08'
   AND NOT EXISTS (SELECT 1 FROM bankcrm.fsm_history h
                    WHERE h.entity = 'bankcrm.lead'::regclass AND h.entity_id = lead.lead_id);

\echo '4. Assignment: primary RMs first, the rest round robin in the teams, within daily capacity (a second tour finds nothing left to assign)'
SELECT coalesce(s.name, '(left for tomorrow)') AS staff, a.leads
  FROM bankcrm.campaign_assign(:tour_campaign, 'primary_rm') a LEFT JOIN bankcrm.staff s USING (staff_id)
 ORDER BY a.staff_id NULLS LAST LIMIT 8;
SELECT coalesce(s.name, '(left for tomorrow)') AS staff, a.leads
  FROM bankcrm.campaign_assign(:tour_campaign, 'round_robin') a LEFT JOIN bankcrm.staff s USING (staff_id)
 ORDER BY a.staff_id NULLS LAST LIMIT 8;

\echo '5. A week of calls, simulated deterministically on 150 leads (lead_fire, log_contact); once: a second tour shows the same week'
DO $$
DECLARE
	l record;
	t timestamptz;
	step int;
	r int;
	answered boolean;
	phase text;
	product int;
	contacts int := 0;
BEGIN
	IF EXISTS (SELECT 1 FROM bankcrm.contact c JOIN bankcrm.campaign k USING (campaign_id)
	            WHERE k.name = 'Tour: money-market for young families') THEN
		RETURN;         -- simulated by an earlier tour
	END IF;
	FOR l IN
		SELECT x.lead_id, x.party_id, k.product_id
		  FROM bankcrm.lead x JOIN bankcrm.campaign k USING (campaign_id)
		 WHERE k.name = 'Tour: money-market for young families' AND x.assigned_to IS NOT NULL
		   AND x.state = 'review_customer'
		 ORDER BY x.lead_id LIMIT 150
	LOOP
		-- h(k): a stable pseudo-random number 0..99 per lead and step
		t := '2026-11-09 09:00+08'::timestamptz
		     + make_interval(days => abs(hashtext(l.lead_id || ':day')) % 3,
		                     mins => 10 * (abs(hashtext(l.lead_id || ':min')) % 48));
		PERFORM bankcrm.lead_fire(l.lead_id, 'customer_reviewed', NULL, t);
		t := t + interval '10 minutes';
		PERFORM bankcrm.lead_fire(l.lead_id, 'product_reviewed', NULL, t);
		phase := 'call';
		answered := false;
		FOR step IN 1..3 LOOP
			t := t + interval '1 day' + make_interval(mins => abs(hashtext(l.lead_id || ':t' || step)) % 120);
			r := abs(hashtext(l.lead_id || ':call' || step)) % 100;
			IF r < 30 THEN
				PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'no_answer', event => 'no_answer', occurred_at => t);
			ELSIF r < 36 THEN
				PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'busy', event => 'busy', occurred_at => t);
			ELSIF r < 40 THEN
				PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'invalid_number', event => 'invalid_number', occurred_at => t);
				phase := 'done';
				EXIT;
			ELSE
				PERFORM bankcrm.lead_fire(l.lead_id, 'call_answered', NULL, t);
				answered := true;
				IF r < 52 THEN
					PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'declined', event => 'decline',
					                            fabe_step => 'feature', occurred_at => t + interval '5 minutes');
					phase := 'done';
				ELSIF r < 80 THEN
					PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'interested', event => 'send_brochure',
					                            fabe_step => 'advantage', occurred_at => t + interval '5 minutes',
					                            next_follow_up => t + interval '2 days');
					phase := 'brochure';
				ELSE
					PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'appointment', event => 'book_appointment',
					                            fabe_step => 'benefit', occurred_at => t + interval '5 minutes');
					phase := 'appointment';
				END IF;
				EXIT;
			END IF;
		END LOOP;
		IF phase = 'call' THEN
			PERFORM bankcrm.lead_fire(l.lead_id, 'give_up', 'three attempts without an answer', t + interval '1 minute');
			CONTINUE;
		END IF;
		IF phase = 'brochure' THEN
			t := t + interval '2 days';
			PERFORM bankcrm.lead_fire(l.lead_id, 'schedule_follow_up', NULL, t);
			r := abs(hashtext(l.lead_id || ':follow')) % 100;
			IF r < 35 THEN
				PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'not_interested', event => 'decline', occurred_at => t + interval '1 hour');
				CONTINUE;
			ELSIF r < 65 THEN
				PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'appointment', event => 'book_appointment',
				                            fabe_step => 'benefit', occurred_at => t + interval '1 hour');
				phase := 'appointment';
			ELSE
				PERFORM bankcrm.log_contact(l.lead_id, 'phone_out', 'no_answer', event => 'no_answer',
				                            occurred_at => t + interval '1 hour', next_follow_up => t + interval '3 days');
				CONTINUE;
			END IF;
		END IF;
		IF phase = 'appointment' THEN
			t := t + interval '2 days';
			r := abs(hashtext(l.lead_id || ':meet')) % 100;
			IF r < 15 THEN
				PERFORM bankcrm.lead_fire(l.lead_id, 'no_show', NULL, t);
				CONTINUE;
			END IF;
			PERFORM bankcrm.log_contact(l.lead_id, 'branch', 'interested', event => 'meet', fabe_step => 'evidence', occurred_at => t);
			PERFORM bankcrm.lead_fire(l.lead_id, 'agree', NULL, t + interval '45 minutes');
			IF r < 30 THEN
				PERFORM bankcrm.lead_fire(l.lead_id, 'decline', 'changed their mind at the paperwork', t + interval '1 hour');
				CONTINUE;
			END IF;
			PERFORM bankcrm.log_contact(l.lead_id, 'letter', 'sale', event => 'send_thank_you', fabe_step => 'convinced',
			                            occurred_at => t + interval '1 day');
			INSERT INTO bankcrm.holding (party_id, product_id, balance, rate, monthly_contribution, opened_on)
			VALUES (l.party_id, l.product_id, 50000 + 1000 * (abs(hashtext(l.lead_id || ':amt')) % 200), 0.021,
			        40 + abs(hashtext(l.lead_id || ':amt')) % 160, (t + interval '1 day')::date);
		END IF;
	END LOOP;
END
$$;
SELECT count(*) AS contacts_logged, count(DISTINCT lead_id) AS leads_called
  FROM bankcrm.contact WHERE campaign_id = :tour_campaign;

\echo '6. The funnel (bankcrm.funnel): entered, still there, moved on, dropped, conversion and the bottleneck'
SELECT stage_order AS "#", stage, entered, now_in_stage AS "now", moved_on, dropped, conversion_pct AS "conv %",
       median_days, CASE WHEN bottleneck THEN '<== here' ELSE '' END AS bottleneck
  FROM bankcrm.funnel WHERE campaign_id = :tour_campaign ORDER BY stage_order;

\echo '7. The weekly meeting''s activity sheet (bankcrm.rep_activity): the three busiest people, their busiest day'
WITH busiest AS (
	SELECT staff_id, day, sum(activity) AS events FROM bankcrm.rep_activity
	 WHERE process_name = 'outbound_sale' GROUP BY staff_id, day ORDER BY events DESC, staff_id, day LIMIT 3
)
SELECT r.staff_name, r.day, r.stage, r.activity, r.daily_target AS target, r.shortfall
  FROM bankcrm.rep_activity r JOIN busiest b USING (staff_id, day)
 WHERE r.stage_order <= 5
 ORDER BY b.events DESC, r.staff_id, r.stage_order;
\echo '   ... and per person for the week: events against the sum of the daily minimums'
SELECT staff_name, count(DISTINCT day) AS days, sum(activity) AS events, sum(daily_target) AS minimum, sum(shortfall) AS shortfall
  FROM bankcrm.rep_activity WHERE process_name = 'outbound_sale'
 GROUP BY staff_id, staff_name ORDER BY events DESC, staff_id LIMIT 8;

\echo '8. The campaign report (bankcrm.campaign_report) and the value each RM created (bankcrm.staff_performance)'
SELECT campaign, leads, assigned, contacts, conversions, conversion_pct AS "conv %", revenue_won, contribution_won, cost, roi
  FROM bankcrm.campaign_report WHERE campaign_id = :tour_campaign;
SELECT staff_name, leads_assigned, leads_won, win_pct, contacts, contribution_won, parties_covered, book_contribution
  FROM bankcrm.staff_performance WHERE leads_assigned > 0 ORDER BY contribution_won DESC, staff_id LIMIT 5;
