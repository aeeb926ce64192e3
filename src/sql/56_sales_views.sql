-- src/sql/56_sales_views.sql
-- marketing analysis for managers and BI: the funnel with its bottleneck,
-- the weekly meeting's activity sheet, campaign results and the value each
-- relationship manager creates

-- every stay of a lead in a state: from its creation or a state change to the next change
-- A lead's history rows are those of its process and id.  They are not
-- found by fsm_history.entity: that is the OID of the lead table on the node
-- that wrote the row, which on Citus is not the OID of the table on the
-- workers, where these views' shard queries run.
CREATE VIEW @extschema@.lead_stay AS
WITH moves AS (
	SELECT l.lead_id, l.campaign_id, l.process_name,
	       COALESCE(f.from_state, l.state) AS state, l.created_at AS entered_at, 0::bigint AS seq
	  FROM @extschema@.lead l
	  LEFT JOIN (
	       SELECT DISTINCT ON (h.process_name, h.entity_id) h.process_name, h.entity_id, h.from_state
	         FROM @extschema@.fsm_history h
	        ORDER BY h.process_name, h.entity_id, h.history_id) f
	    ON f.entity_id = l.lead_id AND f.process_name = l.process_name
	UNION ALL
	SELECT l.lead_id, l.campaign_id, l.process_name, h.to_state, h.at, h.history_id
	  FROM @extschema@.fsm_history h
	  JOIN @extschema@.lead l ON l.lead_id = h.entity_id AND l.process_name = h.process_name
	 WHERE h.to_state IS DISTINCT FROM h.from_state
)
SELECT m.lead_id, m.campaign_id, m.process_name, m.state, m.entered_at,
       pg_catalog.lead(m.entered_at) OVER w AS left_at,
       pg_catalog.lead(m.state) OVER w AS next_state
  FROM moves m
WINDOW w AS (PARTITION BY m.lead_id ORDER BY m.seq);
COMMENT ON VIEW @extschema@.lead_stay IS 'Each stay of each lead in a state: when it entered, when it left and for which state (NULL while it is still there)';
COMMENT ON COLUMN @extschema@.lead_stay.left_at IS 'When the lead left the state; NULL if it is still there';
COMMENT ON COLUMN @extschema@.lead_stay.next_state IS 'The state it moved to';

-- the funnel: per campaign and stage
CREATE VIEW @extschema@.funnel AS
WITH stays AS (
	SELECT s.lead_id, s.campaign_id, s.state, s.entered_at, s.left_at, s.next_state,
	       ps.stage_order, nx.outcome AS next_outcome
	  FROM @extschema@.lead_stay s
	  JOIN @extschema@.process_state ps ON ps.process_name = s.process_name AND ps.state = s.state
	  LEFT JOIN @extschema@.process_state nx ON nx.process_name = s.process_name AND nx.state = s.next_state
), furthest AS (
	SELECT st.lead_id, pg_catalog.max(st.stage_order) AS stage_order
	  FROM stays st GROUP BY st.lead_id
), stages AS (
	SELECT k.campaign_id, k.name AS campaign, ps.state AS stage, ps.stage_order,
	       ps.stage_order = pg_catalog.max(ps.stage_order) OVER (PARTITION BY k.campaign_id) AS last_stage
	  FROM @extschema@.campaign k
	  JOIN @extschema@.process_state ps ON ps.process_name = k.process_name AND ps.stage_order IS NOT NULL
), counted AS (
	-- grouped, not correlated: on Citus the aggregates run over the shards
	SELECT st.campaign_id, st.state,
	       pg_catalog.count(DISTINCT st.lead_id) AS entered,
	       pg_catalog.count(DISTINCT st.lead_id) FILTER (WHERE f.stage_order > st.stage_order) AS moved_on,
	       pg_catalog.count(DISTINCT st.lead_id) FILTER (WHERE st.next_outcome = 'lost') AS dropped,
	       pg_catalog.round((pg_catalog.percentile_cont(0.5) WITHIN GROUP (
	                 ORDER BY pg_catalog.date_part('epoch', st.left_at - st.entered_at))
	                 FILTER (WHERE st.left_at IS NOT NULL) / 86400)::numeric, 2) AS median_days
	  FROM stays st JOIN furthest f ON f.lead_id = st.lead_id
	 GROUP BY st.campaign_id, st.state
), now_in AS (
	SELECT l.campaign_id, l.state, pg_catalog.count(*) AS n
	  FROM @extschema@.lead l GROUP BY l.campaign_id, l.state
), per_stage AS (
	SELECT g.campaign_id, g.campaign, g.stage, g.stage_order, g.last_stage,
	       COALESCE(c.entered, 0) AS entered,
	       COALESCE(n.n, 0) AS now_in_stage,
	       COALESCE(c.moved_on, 0) AS moved_on,
	       COALESCE(c.dropped, 0) AS dropped,
	       c.median_days
	  FROM stages g
	  LEFT JOIN counted c ON c.campaign_id = g.campaign_id AND c.state = g.stage
	  LEFT JOIN now_in n ON n.campaign_id = g.campaign_id AND n.state = g.stage
), rated AS (
	SELECT p.*,
	       CASE WHEN NOT p.last_stage AND p.entered > 0
	            THEN pg_catalog.round(100.0 * p.moved_on / p.entered, 1) END AS conversion_pct
	  FROM per_stage p
), ranked AS (
	SELECT r.*,
	       pg_catalog.first_value(r.stage_order) OVER (PARTITION BY r.campaign_id
	                                                   ORDER BY r.conversion_pct NULLS LAST, r.stage_order) AS worst
	  FROM rated r
)
SELECT r.campaign_id, r.campaign, r.stage_order, r.stage, r.entered, r.now_in_stage, r.moved_on, r.dropped,
       r.conversion_pct, r.median_days,
       COALESCE(r.conversion_pct IS NOT NULL AND r.stage_order = r.worst, false) AS bottleneck
  FROM ranked r;
COMMENT ON VIEW @extschema@.funnel IS 'Per campaign and stage of its process: leads that entered, are there now, moved on to a later stage, dropped out; conversion, median days in stage, and the bottleneck (the worst hand-off)';
COMMENT ON COLUMN @extschema@.funnel.entered IS 'Leads that were ever in the stage';
COMMENT ON COLUMN @extschema@.funnel.now_in_stage IS 'Leads in the stage now';
COMMENT ON COLUMN @extschema@.funnel.moved_on IS 'Leads that entered the stage and later reached a later stage';
COMMENT ON COLUMN @extschema@.funnel.dropped IS 'Leads that left the stage for a lost end (declined, unreachable, do not call)';
COMMENT ON COLUMN @extschema@.funnel.conversion_pct IS '100 * moved_on / entered; NULL for the last stage and for stages nobody entered';
COMMENT ON COLUMN @extschema@.funnel.median_days IS 'Median days a lead stayed in the stage, over the stays that ended';
COMMENT ON COLUMN @extschema@.funnel.bottleneck IS 'True on the stage with the lowest conversion of the campaign (the earliest on a tie)';

-- the weekly marketing meeting's sheet: activity per person, day and stage against the minimum
CREATE VIEW @extschema@.rep_activity AS
WITH ev AS (
	-- events fired by a worker or an administrator (no staff mapping) count for the lead's assignee
	SELECT COALESCE(h.staff_id, l.assigned_to) AS staff_id, l.process_name, h.at::date AS day, h.from_state
	  FROM @extschema@.fsm_history h
	  JOIN @extschema@.lead l ON l.lead_id = h.entity_id AND l.process_name = h.process_name
	 WHERE COALESCE(h.staff_id, l.assigned_to) IS NOT NULL
), days AS (
	SELECT DISTINCT e.staff_id, e.process_name, e.day FROM ev e
), counts AS (
	SELECT e.staff_id, e.process_name, e.day, e.from_state, pg_catalog.count(*) AS n
	  FROM ev e GROUP BY e.staff_id, e.process_name, e.day, e.from_state
)
SELECT d.staff_id, s.name AS staff_name, s.team_id, d.process_name, d.day, ps.state AS stage, ps.stage_order,
       COALESCE(c.n, 0) AS activity, ps.daily_target,
       GREATEST(ps.daily_target - COALESCE(c.n, 0), 0) AS shortfall,
       COALESCE(c.n, 0) >= ps.daily_target AS target_met
  FROM days d
  JOIN @extschema@.staff s ON s.staff_id = d.staff_id
  JOIN @extschema@.process_state ps ON ps.process_name = d.process_name AND NOT ps.is_terminal
  LEFT JOIN counts c ON c.staff_id = d.staff_id AND c.process_name = d.process_name
        AND c.day = d.day AND c.from_state = ps.state
 WHERE ps.daily_target > 0 OR c.n IS NOT NULL;
COMMENT ON VIEW @extschema@.rep_activity IS 'Per person, working day and stage: events fired on leads in that stage against the stage''s minimum daily target, and the shortfall; events fired without a staff mapping (the dialer) count for the lead''s assignee';
COMMENT ON COLUMN @extschema@.rep_activity.day IS 'A day on which the person fired at least one lead event';
COMMENT ON COLUMN @extschema@.rep_activity.activity IS 'Events fired that day on leads that were in the stage (retries included)';
COMMENT ON COLUMN @extschema@.rep_activity.daily_target IS 'The stage''s minimum per person and day (process_state.daily_target)';
COMMENT ON COLUMN @extschema@.rep_activity.shortfall IS 'greatest(daily_target - activity, 0)';

-- what each won lead brought: the campaign's product opened by the party since the lead was created
CREATE VIEW @extschema@.lead_won AS
SELECT l.lead_id, l.campaign_id, l.assigned_to, l.party_id,
       COALESCE(pg_catalog.sum(h.balance), 0)::numeric(18, 2) AS volume,
       (12 * COALESCE(pg_catalog.sum(h.monthly_contribution), 0))::numeric(16, 2) AS annual_contribution
  FROM @extschema@.lead l
  JOIN @extschema@.process_state ps ON ps.process_name = l.process_name AND ps.state = l.state AND ps.outcome = 'won'
  JOIN @extschema@.campaign k ON k.campaign_id = l.campaign_id
  LEFT JOIN @extschema@.holding h ON h.party_id = l.party_id AND h.product_id = k.product_id
        AND h.opened_on >= l.created_at::date
 GROUP BY l.lead_id, l.campaign_id, l.assigned_to, l.party_id;
COMMENT ON VIEW @extschema@.lead_won IS 'Leads in a won state, with the balance and annualised contribution of the campaign''s product the party opened since the lead was created';
COMMENT ON COLUMN @extschema@.lead_won.volume IS 'Balances of those holdings, CNY';
COMMENT ON COLUMN @extschema@.lead_won.annual_contribution IS '12 times their monthly contribution, CNY';

CREATE VIEW @extschema@.campaign_report AS
SELECT k.campaign_id, k.name AS campaign, k.state, pr.code AS product,
       COALESCE(ld.leads, 0) AS leads,
       COALESCE(ld.assigned, 0) AS assigned,
       COALESCE(ct.contacts, 0) AS contacts,
       COALESCE(ct.leads_contacted, 0) AS leads_contacted,
       COALESCE(w.conversions, 0) AS conversions,
       CASE WHEN ct.leads_contacted > 0 THEN pg_catalog.round(100.0 * COALESCE(w.conversions, 0) / ct.leads_contacted, 1) END
         AS conversion_pct,
       COALESCE(w.volume, 0)::numeric(18, 2) AS revenue_won,
       COALESCE(w.annual_contribution, 0)::numeric(16, 2) AS contribution_won,
       (COALESCE(ct.contacts, 0) * k.cost_per_contact)::numeric(14, 2) AS cost,
       k.budget,
       CASE WHEN COALESCE(ct.contacts, 0) * k.cost_per_contact > 0
            THEN pg_catalog.round((COALESCE(w.annual_contribution, 0) - ct.contacts * k.cost_per_contact)
                                  / (ct.contacts * k.cost_per_contact), 2) END AS roi
  FROM @extschema@.campaign k
  JOIN @extschema@.product pr ON pr.product_id = k.product_id
  -- grouped subqueries, not correlated ones: on Citus each runs over the shards
  LEFT JOIN (
       SELECT l.campaign_id, pg_catalog.count(*) AS leads,
              pg_catalog.count(*) FILTER (WHERE l.assigned_to IS NOT NULL) AS assigned
         FROM @extschema@.lead l GROUP BY l.campaign_id) ld ON ld.campaign_id = k.campaign_id
  LEFT JOIN (
       SELECT c.campaign_id, pg_catalog.count(*) AS contacts, pg_catalog.count(DISTINCT c.lead_id) AS leads_contacted
         FROM @extschema@.contact c WHERE c.campaign_id IS NOT NULL GROUP BY c.campaign_id) ct
        ON ct.campaign_id = k.campaign_id
  LEFT JOIN (
       SELECT x.campaign_id, pg_catalog.count(*) AS conversions,
              pg_catalog.sum(x.volume) AS volume,
              pg_catalog.sum(x.annual_contribution) AS annual_contribution
         FROM @extschema@.lead_won x GROUP BY x.campaign_id) w ON w.campaign_id = k.campaign_id;
COMMENT ON VIEW @extschema@.campaign_report IS 'Per campaign: leads, contacts, conversions, business volume and contribution won, cost and return on investment';
COMMENT ON COLUMN @extschema@.campaign_report.contacts IS 'Contacts logged for the campaign';
COMMENT ON COLUMN @extschema@.campaign_report.leads_contacted IS 'Leads with at least one contact';
COMMENT ON COLUMN @extschema@.campaign_report.conversions IS 'Leads in a won state';
COMMENT ON COLUMN @extschema@.campaign_report.conversion_pct IS '100 * conversions / leads_contacted';
COMMENT ON COLUMN @extschema@.campaign_report.revenue_won IS 'Balances of the product opened by converted parties since their lead was created, CNY';
COMMENT ON COLUMN @extschema@.campaign_report.contribution_won IS 'Annualised monthly contribution of those holdings, CNY';
COMMENT ON COLUMN @extschema@.campaign_report.cost IS 'contacts * cost_per_contact, CNY';
COMMENT ON COLUMN @extschema@.campaign_report.roi IS '(contribution_won - cost) / cost';

-- appraisal by value: what each person's work is worth to the bank
CREATE VIEW @extschema@.staff_performance AS
SELECT s.staff_id, s.name AS staff_name, s.role_kind, s.team_id, s.branch_id,
       COALESCE(ld.assigned, 0) AS leads_assigned,
       COALESCE(ld.open, 0) AS leads_open,
       COALESCE(ld.won, 0) AS leads_won,
       CASE WHEN ld.closed > 0 THEN pg_catalog.round(100.0 * ld.won / ld.closed, 1) END AS win_pct,
       COALESCE(ct.contacts, 0) AS contacts,
       COALESCE(w.annual_contribution, 0)::numeric(16, 2) AS contribution_won,
       COALESCE(cv.parties, 0) AS parties_covered,
       COALESCE(cv.annual_contribution, 0)::numeric(16, 2) AS book_contribution
  FROM @extschema@.staff s
  LEFT JOIN (
       SELECT l.assigned_to,
              pg_catalog.count(*) AS assigned,
              pg_catalog.count(*) FILTER (WHERE NOT ps.is_terminal) AS open,
              pg_catalog.count(*) FILTER (WHERE ps.outcome = 'won') AS won,
              pg_catalog.count(*) FILTER (WHERE ps.is_terminal) AS closed
         FROM @extschema@.lead l
         JOIN @extschema@.process_state ps ON ps.process_name = l.process_name AND ps.state = l.state
        WHERE l.assigned_to IS NOT NULL
        GROUP BY l.assigned_to) ld ON ld.assigned_to = s.staff_id
  LEFT JOIN (
       SELECT c.staff_id, pg_catalog.count(*) AS contacts
         FROM @extschema@.contact c WHERE c.campaign_id IS NOT NULL GROUP BY c.staff_id) ct ON ct.staff_id = s.staff_id
  LEFT JOIN (
       SELECT x.assigned_to, pg_catalog.sum(x.annual_contribution) AS annual_contribution
         FROM @extschema@.lead_won x GROUP BY x.assigned_to) w ON w.assigned_to = s.staff_id
  LEFT JOIN (
       SELECT c.staff_id, pg_catalog.count(DISTINCT c.party_id) AS parties,
              12 * pg_catalog.sum(h.monthly_contribution) AS annual_contribution
         FROM @extschema@.coverage c
         LEFT JOIN @extschema@.holding h ON h.party_id = c.party_id AND h.closed_on IS NULL
        WHERE c.role = 'primary_rm' AND c.valid_to IS NULL
        GROUP BY c.staff_id) cv ON cv.staff_id = s.staff_id
 WHERE s.active AND (ld.assigned IS NOT NULL OR cv.parties IS NOT NULL OR ct.contacts IS NOT NULL);
COMMENT ON VIEW @extschema@.staff_performance IS 'Per active person with leads, contacts or a book: leads worked and won, campaign contacts, contribution won, and the annual contribution of the parties covered as primary RM';
COMMENT ON COLUMN @extschema@.staff_performance.win_pct IS '100 * leads won / leads closed (in a terminal state)';
COMMENT ON COLUMN @extschema@.staff_performance.contacts IS 'Campaign contacts logged by the person';
COMMENT ON COLUMN @extschema@.staff_performance.contribution_won IS 'Annualised contribution of the products sold through the person''s won leads, CNY';
COMMENT ON COLUMN @extschema@.staff_performance.parties_covered IS 'Parties covered now as primary RM';
COMMENT ON COLUMN @extschema@.staff_performance.book_contribution IS 'Annualised monthly contribution of the open holdings of those parties, CNY';

GRANT SELECT ON @extschema@.funnel, @extschema@.rep_activity, @extschema@.campaign_report, @extschema@.staff_performance
	TO bankcrm_manager, bankcrm_analyst, bankcrm_app;
GRANT SELECT ON @extschema@.lead_stay, @extschema@.lead_won TO bankcrm_app;
GRANT ALL ON @extschema@.lead_stay, @extschema@.lead_won, @extschema@.funnel, @extschema@.rep_activity,
	@extschema@.campaign_report, @extschema@.staff_performance TO bankcrm_admin;
