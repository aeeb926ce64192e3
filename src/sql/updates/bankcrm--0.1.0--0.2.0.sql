-- src/sql/updates/bankcrm--0.1.0--0.2.0.sql
-- Update from release 0.1.0 to 0.2.0: each change made to src/sql since
-- 0.1.0, made the same way here (doc/releasing.md). test/t/002_upgrade.pl
-- checks that an updated installation equals a fresh one.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION bankcrm UPDATE TO '0.2.0'" to load this file. \quit

-- households and groups as inputs (#18): wallet estimates and wallet share,
-- the group's figures in party_features, models that tier by group

-- wallet_estimate: what a party holds in all, with us and elsewhere, where
-- the bank knows it (declared in KYC, surveyed, estimated by the RM, from a
-- credit bureau): the denominator of wallet share
CREATE TABLE @extschema@.wallet_estimate (
	party_id      bigint PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	total_assets  numeric(18, 2) NOT NULL CONSTRAINT wallet_estimate_total_assets_check CHECK (total_assets > 0),
	source        text NOT NULL CONSTRAINT wallet_estimate_source_check CHECK (source IN ('kyc', 'survey', 'rm_estimate', 'bureau')),
	estimated_on  date NOT NULL DEFAULT CURRENT_DATE
);
COMMENT ON TABLE @extschema@.wallet_estimate IS 'A party''s financial assets in all (with this bank and elsewhere), where known: the denominator of wallet share (party_features.wallet_share, relationship_group_rollup.wallet_share)';
COMMENT ON COLUMN @extschema@.wallet_estimate.total_assets IS 'Financial assets in all, CNY: deposits, wealth and insurance with every institution';
COMMENT ON COLUMN @extschema@.wallet_estimate.source IS 'Where the figure comes from: kyc (declared), survey, rm_estimate or bureau';
COMMENT ON COLUMN @extschema@.wallet_estimate.estimated_on IS 'Day of the estimate';
GRANT ALL ON @extschema@.wallet_estimate TO bankcrm_admin;
GRANT SELECT ON @extschema@.wallet_estimate TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT, UPDATE, DELETE ON @extschema@.wallet_estimate TO bankcrm_app;
ALTER TABLE @extschema@.wallet_estimate ENABLE ROW LEVEL SECURITY;
CREATE POLICY wallet_estimate_all ON @extschema@.wallet_estimate FOR ALL TO bankcrm_admin, bankcrm_app USING (true) WITH CHECK (true);
CREATE POLICY wallet_estimate_covered ON @extschema@.wallet_estimate FOR SELECT TO bankcrm_manager, bankcrm_rm
	USING (@extschema@.party_visible(party_id));
SELECT pg_catalog.pg_extension_config_dump('@extschema@.wallet_estimate', '');

-- on Citus, distribute() lays the new table out (doc/scale-out.md)
CREATE OR REPLACE FUNCTION @extschema@.distribution_plan(
	OUT table_name regclass,
	OUT kind text,
	OUT ord integer)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT v.t::pg_catalog.regclass, v.k, v.o
	  FROM (VALUES
		-- reference tables: catalogues, organisation, configuration
		(1, '@extschema@.region', 'reference'),
		(2, '@extschema@.branch', 'reference'),
		(3, '@extschema@.team', 'reference'),
		(4, '@extschema@.staff', 'reference'),
		(5, '@extschema@.product', 'reference'),
		(6, '@extschema@.process', 'reference'),
		(7, '@extschema@.process_state', 'reference'),
		(8, '@extschema@.process_transition', 'reference'),
		(9, '@extschema@.fsm_history', 'reference'),
		(10, '@extschema@.score_model', 'reference'),
		(11, '@extschema@.score_run_log', 'reference'),
		(12, '@extschema@.product_affinity', 'reference'),
		(13, '@extschema@.segment', 'reference'),
		(14, '@extschema@.campaign', 'reference'),
		(15, '@extschema@.campaign_team', 'reference'),
		(16, '@extschema@.care_occasion', 'reference'),
		(17, '@extschema@.churn_policy', 'reference'),
		(18, '@extschema@.churn_holiday', 'reference'),
		(19, 'bankcrm_churn.builtin_holiday', 'reference'),
		(20, '@extschema@.pbx', 'reference'),
		(21, '@extschema@.dial_settings', 'reference'),
		(22, '@extschema@.dial_retry_rule', 'reference'),
		(23, '@extschema@.dialer_agent', 'reference'),
		(24, '@extschema@.dialer_state', 'reference'),
		(25, '@extschema@.dnc', 'reference'),
		(26, '@extschema@.holiday', 'reference'),
		(27, '@extschema@.churn_model', 'reference'),
		-- distributed by party_id, co-located with party (party first)
		(28, '@extschema@.party', 'distributed'),
		(29, '@extschema@.party_kyc', 'distributed'),
		(30, '@extschema@.party_phone', 'distributed'),
		(31, '@extschema@.party_relation', 'distributed'),
		(32, '@extschema@.coverage', 'distributed'),
		(33, '@extschema@.holding', 'distributed'),
		(34, '@extschema@.activity_weekly', 'distributed'),
		(35, '@extschema@.contact', 'distributed'),
		(36, '@extschema@.complaint', 'distributed'),
		(37, '@extschema@.survey_response', 'distributed'),
		(38, '@extschema@.appointment', 'distributed'),
		(39, '@extschema@.party_score', 'distributed'),
		(40, '@extschema@.score_history', 'distributed'),
		(41, '@extschema@.party_retention', 'distributed'),
		(42, '@extschema@.segment_member', 'distributed'),
		(43, '@extschema@.segment_history', 'distributed'),
		(44, '@extschema@.lead', 'distributed'),
		(45, 'bankcrm_churn.churn_series', 'distributed'),
		(46, 'bankcrm_churn.churn_dirty', 'distributed'),
		(47, '@extschema@.churn_alert', 'distributed'),
		(48, '@extschema@.churn_alert_history', 'distributed'),
		(49, '@extschema@.churn_remediation', 'distributed'),
		(50, '@extschema@.call_attempt', 'distributed'),
		(51, '@extschema@.churn_score', 'distributed'),
		(52, '@extschema@.lead_event_failure', 'distributed'),
		-- reference tables added since: models of behavioural clusters
		(53, '@extschema@.cluster_model', 'reference'),
		(54, '@extschema@.cluster_centroid', 'reference'),
		-- distributed since: households and groups
		(55, '@extschema@.relationship_group', 'distributed'),
		-- distributed since: wallet estimates
		(56, '@extschema@.wallet_estimate', 'distributed')
	) v(o, t, k)
	 ORDER BY v.o
$$;

ALTER TABLE @extschema@.score_model ADD COLUMN tier_by_group boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN @extschema@.score_model.tier_by_group IS 'When true, a member of a household or corporate group (relationship_group) takes the value tier and wealth tier of its group: the members'' contributions, value scores (at most 1000) and assets added up, under the same cut-offs; lifetime value then uses the retention of that tier';

CREATE OR REPLACE VIEW @extschema@.party_features
WITH (security_invoker = true) AS
SELECT p.party_id,
       p.kind,
       p.status,
       p.gender,
       pg_catalog.date_part('year', pg_catalog.age(CURRENT_DATE::timestamp, p.birth_date::timestamp))::integer AS age,
       p.industry,
       p.region_code,
       p.education,
       p.occupation,
       p.life_stage,
       p.wealth_source,
       p.involvement,
       p.product_lifecycle,
       p.credit_rating,
       @extschema@.notch(p.credit_rating) AS rating_notch,
       @extschema@.rating_band(p.credit_rating) AS rating_band,
       p.home_branch_id,
       p.onboarded_on,
       pg_catalog.date_part('year', pg_catalog.age(CURRENT_DATE::timestamp, p.onboarded_on::timestamp))::integer AS tenure_years,
       COALESCE(bal.aum, 0)::numeric(18, 2) AS aum,
       COALESCE(bal.loans, 0)::numeric(18, 2) AS loans,
       p.annual_turnover AS turnover,
       COALESCE(bal.products_held, 0) AS products_held,
       COALESCE(hp.products, '{}') AS products,
       COALESCE(hp.product_categories, '{}') AS product_categories,
       sc.contribution,
       sc.value_score,
       sc.value_tier,
       sc.wealth_tier,
       sc.rfm_r,
       sc.rfm_f,
       sc.rfm_m,
       sc.clv,
       (CURRENT_DATE - (SELECT pg_catalog.max(c.occurred_at) FROM @extschema@.contact c
                         WHERE c.party_id = p.party_id)::date) AS days_since_last_contact,
       p.consent_marketing,
       p.do_not_contact,
       grp.group_id,
       grp.kind AS group_kind,
       grp.members AS group_members,
       gs.aum AS group_aum,
       gs.loans AS group_loans,
       gs.contribution AS group_contribution,
       gs.value_score AS group_value_score,
       pg_catalog.round(COALESCE(bal.aum, 0) / we.total_assets, 4) AS wallet_share
  FROM @extschema@.party p
  LEFT JOIN @extschema@.party_balance bal ON bal.party_id = p.party_id
  LEFT JOIN @extschema@.wallet_estimate we ON we.party_id = p.party_id
  LEFT JOIN @extschema@.relationship_group grp ON grp.party_id = p.party_id
  LEFT JOIN (SELECT g.group_id,
                    pg_catalog.sum(COALESCE(b.aum, 0))::numeric(18, 2) AS aum,
                    pg_catalog.sum(COALESCE(b.loans, 0))::numeric(18, 2) AS loans,
                    pg_catalog.sum(s.contribution) AS contribution,
                    CASE WHEN pg_catalog.count(s.value_score) > 0 THEN LEAST(1000, pg_catalog.sum(s.value_score)) END AS value_score
               FROM @extschema@.relationship_group g
               LEFT JOIN @extschema@.party_balance b ON b.party_id = g.party_id
               LEFT JOIN @extschema@.party_score s ON s.party_id = g.party_id
                     AND s.model = (SELECT dm.model FROM @extschema@.score_model dm WHERE dm.is_default)
              GROUP BY g.group_id) gs ON gs.group_id = grp.group_id
  LEFT JOIN (SELECT h.party_id,
                    pg_catalog.array_agg(DISTINCT pr.code) AS products,
                    pg_catalog.array_agg(DISTINCT pr.category) AS product_categories
               FROM @extschema@.holding h
               JOIN @extschema@.product pr ON pr.product_id = h.product_id
              WHERE h.closed_on IS NULL
              GROUP BY h.party_id) hp ON hp.party_id = p.party_id
  LEFT JOIN @extschema@.party_score sc ON sc.party_id = p.party_id
        AND sc.model = (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default);
COMMENT ON COLUMN @extschema@.party_features.group_id IS 'The party''s household or corporate group (relationship_group: its lowest party_id); NULL when it has none';
COMMENT ON COLUMN @extschema@.party_features.group_kind IS 'household, corporate or mixed; NULL without a group';
COMMENT ON COLUMN @extschema@.party_features.group_members IS 'Parties in the group; NULL without a group';
COMMENT ON COLUMN @extschema@.party_features.group_aum IS 'Deposits, wealth and insurance balances of all members of the group, CNY (the members the caller may see)';
COMMENT ON COLUMN @extschema@.party_features.group_loans IS 'Loan and card balances of all members of the group, CNY';
COMMENT ON COLUMN @extschema@.party_features.group_contribution IS 'The members'' profit contributions added up, under the default score model';
COMMENT ON COLUMN @extschema@.party_features.group_value_score IS 'The members'' value scores added up, at most 1000, under the default score model';
COMMENT ON COLUMN @extschema@.party_features.wallet_share IS 'aum over the party''s financial assets in all (wallet_estimate), to 4 decimals; NULL where no estimate is known; above 1 when the estimate is older than what the bank now holds';

CREATE OR REPLACE VIEW @extschema@.relationship_group_rollup
WITH (security_invoker = true) AS
WITH m AS (
	SELECT g.group_id,
	       g.kind,
	       g.party_id,
	       COALESCE(b.aum, 0) AS aum,
	       COALESCE(b.loans, 0) AS loans,
	       sc.contribution,
	       sc.value_score,
	       sc.clv,
	       we.total_assets
	  FROM @extschema@.relationship_group g
	  LEFT JOIN @extschema@.party_balance b ON b.party_id = g.party_id
	  LEFT JOIN @extschema@.wallet_estimate we ON we.party_id = g.party_id
	  LEFT JOIN @extschema@.party_score sc ON sc.party_id = g.party_id
	        AND sc.model = (SELECT dm.model FROM @extschema@.score_model dm WHERE dm.is_default)
), lead AS (
	-- the member with the most assets, and its primary RM
	SELECT r.group_id, r.party_id AS lead_party_id, st.name AS primary_rm
	  FROM (SELECT m.group_id, m.party_id,
	               pg_catalog.row_number() OVER (PARTITION BY m.group_id ORDER BY m.aum DESC, m.party_id) AS rank
	          FROM m) r
	  LEFT JOIN @extschema@.coverage cv ON cv.party_id = r.party_id AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
	  LEFT JOIN @extschema@.staff st ON st.staff_id = cv.staff_id
	 WHERE r.rank = 1
), held AS (
	SELECT x.group_id, pg_catalog.array_agg(x.code ORDER BY x.code) AS products
	  FROM (SELECT DISTINCT g.group_id, pr.code
	          FROM @extschema@.relationship_group g
	          JOIN @extschema@.holding h ON h.party_id = g.party_id AND h.closed_on IS NULL
	          JOIN @extschema@.product pr ON pr.product_id = h.product_id) x
	 GROUP BY x.group_id
)
SELECT s.group_id,
       s.kind,
       s.members,
       s.aum,
       s.loans,
       s.contribution,
       s.clv,
       s.value_score,
       s.top_value_score,
       l.lead_party_id,
       l.primary_rm,
       COALESCE(h.products, '{}') AS products,
       @extschema@.value_tier(CASE dm.value_tier_basis WHEN 'value_score' THEN s.value_score ELSE s.contribution END,
                              dm.key_min, dm.general_min) AS value_tier,
       @extschema@.wealth_tier(s.aum, dm.affluent_min, dm.hnw_min, dm.uhnw_min) AS wealth_tier,
       s.wallet_assets,
       pg_catalog.round(s.known_aum / s.wallet_assets, 4) AS wallet_share
  FROM (SELECT m.group_id,
               pg_catalog.min(m.kind) AS kind,
               pg_catalog.count(*) AS members,
               pg_catalog.sum(m.aum)::numeric(18, 2) AS aum,
               pg_catalog.sum(m.loans)::numeric(18, 2) AS loans,
               pg_catalog.sum(m.contribution) AS contribution,
               pg_catalog.sum(m.clv) AS clv,
               CASE WHEN pg_catalog.count(m.value_score) > 0 THEN LEAST(1000, pg_catalog.sum(m.value_score)) END AS value_score,
               pg_catalog.max(m.value_score) AS top_value_score,
               pg_catalog.sum(m.total_assets)::numeric(18, 2) AS wallet_assets,
               pg_catalog.sum(m.aum) FILTER (WHERE m.total_assets IS NOT NULL) AS known_aum
          FROM m
         GROUP BY m.group_id) s
  LEFT JOIN lead l ON l.group_id = s.group_id
  LEFT JOIN held h ON h.group_id = s.group_id
  LEFT JOIN @extschema@.score_model dm ON dm.is_default;
COMMENT ON COLUMN @extschema@.relationship_group_rollup.wallet_assets IS 'Financial assets in all (wallet_estimate) of the members that have an estimate, CNY; NULL when none has';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.wallet_share IS 'The assets the bank holds for the members with an estimate, over their estimates, to 4 decimals: the group''s wallet share where known';

-- lead_stay and rep_activity find a lead's history by its process and id,
-- not by fsm_history.entity (an OID of the writing node: wrong on Citus workers)
-- A lead's history rows are those of its process and id.  They are not
-- found by fsm_history.entity: that is the OID of the lead table on the node
-- that wrote the row, which on Citus is not the OID of the table on the
-- workers, where these views' shard queries run.
CREATE OR REPLACE VIEW @extschema@.lead_stay AS
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

CREATE OR REPLACE VIEW @extschema@.rep_activity AS
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
