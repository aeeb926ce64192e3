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

-- issue 15: predictive dialing under a 3 % abandonment cap, answering-machine
-- detection (src/sql/70_dialer.sql, src/sql/21_business.sql)
ALTER TABLE @extschema@.contact DROP CONSTRAINT contact_outcome_check,
	ADD CONSTRAINT contact_outcome_check CHECK (outcome IN
	                  ('completed', 'answered', 'no_answer', 'busy', 'congestion', 'failed', 'invalid_number', 'unknown',
	                   'machine', 'abandoned', 'left_message', 'interested', 'not_interested', 'appointment', 'sale', 'declined', 'do_not_call'));
ALTER TABLE @extschema@.dial_settings DROP CONSTRAINT dial_settings_mode_check,
	ADD CONSTRAINT dial_settings_mode_check CHECK (mode IN ('preview', 'progressive', 'predictive'));
ALTER TABLE @extschema@.dial_settings
	ADD COLUMN queue_context text NOT NULL DEFAULT 'crm-predictive' CONSTRAINT dial_settings_queue_context_check CHECK (queue_context ~ '^[A-Za-z0-9_.-]+$'),
	ADD COLUMN machine_message text CONSTRAINT dial_settings_machine_message_check CHECK (machine_message ~ '^[A-Za-z0-9_/.-]+$'),
	ADD COLUMN wrapup_s integer NOT NULL DEFAULT 0 CONSTRAINT dial_settings_wrapup_check CHECK (wrapup_s BETWEEN 0 AND 3600);
COMMENT ON COLUMN @extschema@.dial_settings.mode IS 'preview: an agent clicks dial(lead_id), the agent''s phone rings first; progressive: the worker dials one queued attempt per ready agent; predictive: the worker rings as many numbers as the pacing allows, answered customers wait in the campaign''s queue for the first free agent';
COMMENT ON COLUMN @extschema@.dial_settings.queue_context IS 'Predictive mode: dialplan context (Context of the Originate, Exten = campaign id) that runs answering-machine detection and puts a live customer in the queue bankcrm-<campaign id>';
COMMENT ON COLUMN @extschema@.dial_settings.machine_message IS 'Predictive mode: sound file the dialplan plays to an answering machine (BANKCRM_MACHINE_MESSAGE); NULL hangs up at once';
COMMENT ON COLUMN @extschema@.dial_settings.wrapup_s IS 'Progressive and predictive modes: seconds an agent spends in wrap_up after each call before the dialer gives them the next (0: ready at once); the agent may end it earlier by setting ready';
COMMENT ON TABLE @extschema@.dial_retry_rule IS 'Retry rules of progressive and predictive campaigns: after an attempt with this outcome, a new attempt is queued after the delay (up to max_attempts); no row, no retry';
ALTER TABLE @extschema@.dial_retry_rule DROP CONSTRAINT dial_retry_rule_outcome_check,
	ADD CONSTRAINT dial_retry_rule_outcome_check CHECK (outcome IN
	               ('no_answer', 'busy', 'congestion', 'failed', 'unknown', 'machine'));
ALTER TABLE @extschema@.dialer_agent ADD COLUMN logged_in_at timestamptz,
	ADD COLUMN wrapup_until timestamptz,
	ADD COLUMN wrapup_avg_s double precision,
	DROP CONSTRAINT dialer_agent_state_check,
	ADD CONSTRAINT dialer_agent_state_check CHECK (state IN ('offline', 'ready', 'on_call', 'wrap_up'));
COMMENT ON COLUMN @extschema@.dialer_agent.state IS 'offline, ready (the worker may connect the next call), on_call (attempt_id) or wrap_up (after a call, until wrapup_until or until set ready)';
COMMENT ON COLUMN @extschema@.dialer_agent.logged_in_at IS 'When the agent last came from offline (set by the dialer_agent_login trigger); NULL while offline';
COMMENT ON COLUMN @extschema@.dialer_agent.since IS 'When the agent entered its state (the dialer_agent_login trigger sets it on a change of state that does not say when)';
COMMENT ON COLUMN @extschema@.dialer_agent.wrapup_avg_s IS 'The agent''s own wrap-up, learnt by the dialer_agent_login trigger as it leaves wrap_up: the last one weighs a fifth, the mean before four fifths; in seconds, NULL before the first';
COMMENT ON COLUMN @extschema@.dialer_agent.wrapup_until IS 'In wrap_up: when the dialer makes the agent ready again (dial_settings.wrapup_s after the call ended); NULL in wrap_up: until the agent sets ready; NULL in any other state';

CREATE FUNCTION @extschema@.dialer_agent_login()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	wrapped double precision;
BEGIN
	-- a new state starts now unless the statement says when
	IF TG_OP = 'UPDATE' AND NEW.state <> OLD.state AND NEW.since = OLD.since THEN
		NEW.since := pg_catalog.now();
	END IF;
	-- leaving wrap-up: how long it lasted, into the agent's learnt wrap-up
	IF TG_OP = 'UPDATE' AND OLD.state = 'wrap_up' AND NEW.state <> 'wrap_up' THEN
		wrapped := GREATEST(0, pg_catalog.date_part('epoch', pg_catalog.now() - OLD.since));
		NEW.wrapup_avg_s := CASE WHEN OLD.wrapup_avg_s IS NULL THEN wrapped
		                         ELSE 0.8 * OLD.wrapup_avg_s + 0.2 * wrapped END;
	END IF;
	IF NEW.state = 'offline' THEN
		NEW.logged_in_at := NULL;
	ELSIF TG_OP = 'INSERT' OR OLD.state = 'offline' OR NEW.logged_in_at IS NULL THEN
		NEW.logged_in_at := pg_catalog.now();
	END IF;
	IF NEW.state <> 'wrap_up' THEN
		-- an end of wrap-up given for an agent not in wrap-up is a mistake
		IF NEW.wrapup_until IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.wrapup_until IS DISTINCT FROM OLD.wrapup_until) THEN
			RAISE EXCEPTION 'agent % is not in wrap_up: wrapup_until needs state wrap_up', NEW.staff_id
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = 'Set state = ''wrap_up'' in the same statement, or leave wrapup_until NULL.';
		END IF;
		NEW.wrapup_until := NULL;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_agent_login() IS 'Trigger: dialer_agent.logged_in_at is when the agent left offline, NULL while offline; wrapup_until is NULL outside wrap_up (22023 when a statement sets it for an agent not in wrap_up); leaving wrap_up, its length goes into wrapup_avg_s';
CREATE TRIGGER dialer_agent_login BEFORE INSERT OR UPDATE OF state, wrapup_until ON @extschema@.dialer_agent
	FOR EACH ROW EXECUTE FUNCTION @extschema@.dialer_agent_login();
-- agents logged in at the update: their logged-in time starts now
UPDATE @extschema@.dialer_agent SET logged_in_at = pg_catalog.now() WHERE state <> 'offline';
ALTER TABLE @extschema@.call_attempt DROP CONSTRAINT call_attempt_mode_check,
	ADD CONSTRAINT call_attempt_mode_check CHECK (mode IN ('preview', 'progressive', 'predictive'));
ALTER TABLE @extschema@.call_attempt DROP CONSTRAINT call_attempt_outcome_check,
	ADD CONSTRAINT call_attempt_outcome_check CHECK (outcome IN
	                ('answered', 'busy', 'no_answer', 'congestion', 'failed', 'invalid_number', 'unknown', 'machine', 'abandoned'));
ALTER TABLE @extschema@.call_attempt
	ADD COLUMN amd_status text CONSTRAINT call_attempt_amd_status_check CHECK (amd_status IN ('HUMAN', 'MACHINE', 'NOTSURE', 'HANGUP')),
	ADD COLUMN amd_cause text CONSTRAINT call_attempt_amd_cause_check CHECK (amd_cause !~ '[\r\n]' AND length(amd_cause) <= 64),
	ADD COLUMN connected_at timestamptz;
COMMENT ON COLUMN @extschema@.call_attempt.outcome IS 'answered, busy, no_answer, congestion, failed, invalid_number, unknown; predictive mode adds machine (answering machine, never offered to an agent) and abandoned (a live answer that met no agent within 2 s)';
COMMENT ON COLUMN @extschema@.call_attempt.amd_status IS 'Predictive mode: the dialplan''s answering-machine detection, AMDSTATUS (HUMAN, MACHINE, NOTSURE, HANGUP); NULL when none ran';
COMMENT ON COLUMN @extschema@.call_attempt.amd_cause IS 'Predictive mode: AMDCAUSE, why the detector decided (e.g. LONGGREETING-2000-1500)';
COMMENT ON COLUMN @extschema@.call_attempt.connected_at IS 'Predictive mode: when an agent of the campaign queue took the call (staff_id)';
CREATE INDEX call_attempt_abandoned_idx ON @extschema@.call_attempt (party_id, answered_at) WHERE outcome = 'abandoned';
CREATE INDEX call_attempt_campaign_ended_idx ON @extschema@.call_attempt (campaign_id, ended_at) WHERE state = 'done';

CREATE OR REPLACE FUNCTION @extschema@.dialer_queue(campaign_id bigint, party_id bigint,
		due_at timestamptz DEFAULT pg_catalog.now(), lead_id bigint DEFAULT NULL, phone @extschema@.phone DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s   @extschema@.dial_settings;
	ph  @extschema@.phone := dialer_queue.phone;
	ld  record;
	-- the attempt's mode, decided here (Citus deparses no CASE on a parameter in VALUES)
	m   text;
	id  bigint;
	n   integer;
BEGIN
	SELECT * INTO s FROM @extschema@.dial_settings d WHERE d.campaign_id = dialer_queue.campaign_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign % has no dial settings', dialer_queue.campaign_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'Insert a row into dial_settings for the campaign first.';
	END IF;
	-- only a party that exists, only as a lead of this campaign, only while the lead is open
	IF NOT EXISTS (SELECT 1 FROM @extschema@.party p WHERE p.party_id = dialer_queue.party_id) THEN
		RAISE EXCEPTION 'party % does not exist', dialer_queue.party_id
			USING ERRCODE = 'foreign_key_violation',
			      HINT = 'Calls are queued for parties of bankcrm.party only.';
	END IF;
	SELECT l.lead_id, l.state, l.process_name INTO ld
	  FROM @extschema@.lead l
	 WHERE l.party_id = dialer_queue.party_id AND l.campaign_id = dialer_queue.campaign_id
	   AND (dialer_queue.lead_id IS NULL OR l.lead_id = dialer_queue.lead_id);
	IF NOT FOUND THEN
		IF dialer_queue.lead_id IS NULL THEN
			RAISE EXCEPTION 'party % is not a lead of campaign %', dialer_queue.party_id, dialer_queue.campaign_id
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = 'Generate the campaign''s leads (campaign_generate_leads) or insert the lead first.';
		END IF;
		RAISE EXCEPTION 'lead % is not the lead of party % in campaign %', dialer_queue.lead_id,
			dialer_queue.party_id, dialer_queue.campaign_id
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Pass the lead_id of the party in this campaign, or NULL to use it.';
	END IF;
	PERFORM @extschema@.dial_check_lead_open(ld.lead_id, ld.process_name, ld.state);
	IF ph IS NULL THEN
		SELECT pp.phone INTO ph
		  FROM @extschema@.party_phone pp
		 WHERE pp.party_id = dialer_queue.party_id AND pp.kind <> 'fax'
		 ORDER BY pp.is_primary DESC, pp.verified DESC, pp.phone
		 LIMIT 1;
		IF ph IS NULL THEN
			RAISE EXCEPTION 'party % has no phone number to dial', dialer_queue.party_id
				USING ERRCODE = 'no_data_found';
		END IF;
	END IF;
	-- the attempt number first: Citus takes no subquery in an INSERT's VALUES
	SELECT 1 + pg_catalog.count(*) INTO n
	  FROM @extschema@.call_attempt a
	 WHERE a.party_id = dialer_queue.party_id AND a.lead_id = ld.lead_id AND a.state = 'done';
	m := CASE WHEN s.mode = 'predictive' THEN 'predictive' ELSE 'progressive' END;
	INSERT INTO @extschema@.call_attempt (campaign_id, lead_id, party_id, phone, pbx_id, mode, due_at, attempt_no)
	VALUES (s.campaign_id, ld.lead_id, dialer_queue.party_id, ph, s.pbx_id, m, dialer_queue.due_at, n)
	RETURNING attempt_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_queue(bigint, bigint, timestamptz, bigint, @extschema@.phone) IS 'Queues a progressive call attempt (predictive in a predictive campaign) to a party that is an open lead of the campaign (its primary phone unless one is given), due at the given time; returns the attempt id; refuses a party that does not exist (23503), is not a lead of the campaign (22023) or whose lead is closed (55000)';

CREATE OR REPLACE FUNCTION @extschema@.dialer_enqueue(campaign_id bigint, due_at timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM @extschema@.dial_settings d WHERE d.campaign_id = dialer_enqueue.campaign_id) THEN
		RAISE EXCEPTION 'campaign % has no dial settings', dialer_enqueue.campaign_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'Insert a row into dial_settings for the campaign first.';
	END IF;
	INSERT INTO @extschema@.call_attempt (campaign_id, lead_id, party_id, phone, pbx_id, mode, due_at, attempt_no)
	SELECT s.campaign_id, l.lead_id, l.party_id, ph.phone, s.pbx_id,
	       CASE WHEN s.mode = 'predictive' THEN 'predictive' ELSE 'progressive' END, dialer_enqueue.due_at,
	       1 + (SELECT count(*) FROM @extschema@.call_attempt a WHERE a.lead_id = l.lead_id AND a.state = 'done')
	  FROM @extschema@.dial_settings s
	  JOIN @extschema@.lead l ON l.campaign_id = s.campaign_id
	  CROSS JOIN LATERAL (
	        SELECT pp.phone FROM @extschema@.party_phone pp
	         WHERE pp.party_id = l.party_id AND pp.kind <> 'fax'
	         ORDER BY pp.is_primary DESC, pp.verified DESC, pp.phone
	         LIMIT 1) ph
	 WHERE s.campaign_id = dialer_enqueue.campaign_id
	   -- the lead's state takes a call outcome (outbound_sale: first_call, follow_up_call)
	   AND EXISTS (SELECT 1 FROM @extschema@.process_transition t
	                WHERE t.process_name = l.process_name AND t.from_state = l.state AND t.event = 'call_answered')
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.call_attempt a
	                    WHERE a.lead_id = l.lead_id AND a.state IN ('queued', 'dialing'))
	   AND (SELECT count(*) FROM @extschema@.call_attempt a WHERE a.lead_id = l.lead_id AND a.state = 'done') < s.max_attempts;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_enqueue(bigint, timestamptz) IS 'Queues a progressive attempt (predictive in a predictive campaign) for every lead of the campaign whose state takes a call outcome, that has no open attempt and attempts left; returns how many';

-- dialer_claim and dialer_finish take more arguments (and dialer_claim returns more columns)
DROP FUNCTION @extschema@.dialer_claim(integer, integer);
DROP FUNCTION @extschema@.dialer_finish(bigint[], text[], integer[], text[], integer[], timestamptz[], timestamptz[], timestamptz[], text[]);
CREATE FUNCTION @extschema@.dialer_claim(pbx_id integer, budget integer,
		pace_campaigns bigint[] DEFAULT NULL, pace_allow integer[] DEFAULT NULL)
RETURNS TABLE (attempt_id bigint, channel text, context text, exten text, timeout_ms integer, caller_id text,
		campaign_id bigint, mode text, variables text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids       bigint[] := '{}';
	parties   bigint[] := '{}';
	clock     timestamptz;
	next_at   timestamptz;
	dialed    timestamptz;
	r         record;
	-- the attempts that may be dialed, in due order
	c_id      bigint[] := '{}';
	c_campaign bigint[] := '{}';
	c_party   bigint[] := '{}';
	c_phone   @extschema@.phone[] := '{}';
	c_mode    text[] := '{}';
	c_staff   integer[] := '{}';
	c_due     timestamptz[] := '{}';
	-- calls in flight per campaign, ready agents
	live_c    bigint[];
	live_n    bigint[];
	ag_staff  integer[];
	ag_campaign bigint[];
	ag_since  timestamptz[];
	-- what was dialed
	p_id      bigint[] := '{}';
	p_party   bigint[] := '{}';
	p_agent   integer[] := '{}';
BEGIN
	-- agents of the PBX's campaigns whose wrap-up time is over are ready again
	UPDATE @extschema@.dialer_agent g
	   SET state = 'ready', since = pg_catalog.now()
	  FROM @extschema@.dial_settings s
	 WHERE g.state = 'wrap_up' AND g.wrapup_until <= pg_catalog.now()
	   AND s.campaign_id = g.campaign_id AND s.pbx_id = dialer_claim.pbx_id;
	IF dialer_claim.budget <= 0 THEN
		RETURN;
	END IF;
	SELECT pg_catalog.now() + p.clock_offset INTO clock FROM @extschema@.pbx p WHERE p.pbx_id = dialer_claim.pbx_id;

	-- the due attempts, read without locks; then each is claimed by its key
	-- (party_id first, a single-shard lock on Citus), skipping those that
	-- another session holds: no attempt is ever claimed twice
	FOR r IN
		SELECT a.party_id, a.attempt_id
		  FROM @extschema@.call_attempt a
		  JOIN @extschema@.dial_settings s ON s.campaign_id = a.campaign_id
		  JOIN @extschema@.campaign k ON k.campaign_id = a.campaign_id
		 WHERE a.pbx_id = dialer_claim.pbx_id AND a.state = 'queued' AND a.due_at <= pg_catalog.now()
		   AND s.active AND k.state = 'active'
		 ORDER BY a.due_at, a.attempt_id
		 LIMIT dialer_claim.budget * 4
	LOOP
		PERFORM 1 FROM @extschema@.call_attempt a
		 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id AND a.state = 'queued'
		   FOR UPDATE SKIP LOCKED;
		IF FOUND THEN
			ids := ids || r.attempt_id;
			parties := parties || r.party_id;
		END IF;
	END LOOP;
	IF pg_catalog.cardinality(ids) = 0 THEN
		RETURN;
	END IF;

	-- do-not-call list, do-not-contact flag, no marketing consent: never dialed
	FOR r IN
		SELECT a.attempt_id, a.party_id, a.lead_id,
		       CASE WHEN EXISTS (SELECT 1 FROM @extschema@.dnc d WHERE d.phone OPERATOR(@extschema@.=) a.phone) THEN 'number on the do-not-call list'
		            WHEN p.do_not_contact THEN 'party asked not to be contacted'
		            ELSE 'party has not consented to marketing contact' END AS detail
		  FROM @extschema@.call_attempt a
		  JOIN @extschema@.party p ON p.party_id = a.party_id
		 WHERE a.party_id = ANY (parties) AND a.attempt_id = ANY (ids)
		   AND (p.do_not_contact OR NOT p.consent_marketing
		        OR EXISTS (SELECT 1 FROM @extschema@.dnc d WHERE d.phone OPERATOR(@extschema@.=) a.phone))
		 ORDER BY a.attempt_id
	LOOP
		UPDATE @extschema@.call_attempt a
		   SET state = 'blocked', ended_at = pg_catalog.now(), detail = r.detail
		 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id;
		-- the customer asked not to be called: the lead leaves the funnel
		IF r.lead_id IS NOT NULL AND r.detail <> 'party has not consented to marketing contact' THEN
			PERFORM @extschema@.lead_fire_or_keep(r.lead_id, r.party_id, 'do_not_call',
				pg_catalog.format('call attempt %s: %s', r.attempt_id, r.detail), NULL);
		END IF;
	END LOOP;

	-- outside the calling window: wait for it to open (or give up after 15 days)
	FOR r IN
		SELECT b.attempt_id, b.party_id, b.campaign_id
		  FROM @extschema@.call_attempt b
		 WHERE b.party_id = ANY (parties) AND b.attempt_id = ANY (ids) AND b.state = 'queued'
		 ORDER BY b.attempt_id
	LOOP
		next_at := @extschema@.dial_next_window(r.campaign_id, r.party_id, clock);
		IF next_at IS DISTINCT FROM clock THEN
			UPDATE @extschema@.call_attempt a
			   SET due_at = next_at + (pg_catalog.now() - clock),
			       state = CASE WHEN next_at IS NULL THEN 'cancelled' ELSE 'queued' END,
			       detail = CASE WHEN next_at IS NULL THEN 'no calling window within 15 days' END
			 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id;
		END IF;
	END LOOP;

	-- predictive: a number whose call was abandoned waits 72 hours from that answer
	FOR r IN
		SELECT b.attempt_id, b.party_id, pg_catalog.max(x.answered_at) AS abandoned_at
		  FROM @extschema@.call_attempt b
		  JOIN @extschema@.call_attempt x ON x.party_id = b.party_id AND x.outcome = 'abandoned'
		   AND x.phone OPERATOR(@extschema@.=) b.phone AND x.answered_at > pg_catalog.now() - interval '72 hours'
		 WHERE b.party_id = ANY (parties) AND b.attempt_id = ANY (ids) AND b.state = 'queued' AND b.mode = 'predictive'
		 GROUP BY b.attempt_id, b.party_id
		 ORDER BY b.attempt_id
	LOOP
		UPDATE @extschema@.call_attempt a
		   SET due_at = GREATEST(a.due_at, r.abandoned_at + interval '72 hours'),
		       detail = 'an abandoned call to this number less than 72 hours ago'
		 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id;
	END LOOP;

	-- what may be dialed now: due, and no call of the party in flight
	FOR r IN
		SELECT a.attempt_id, a.campaign_id, a.party_id, a.phone, a.mode, a.staff_id, a.due_at
		  FROM @extschema@.call_attempt a
		 WHERE a.party_id = ANY (parties) AND a.attempt_id = ANY (ids) AND a.state = 'queued'
		   AND a.due_at <= pg_catalog.now()
		   AND NOT EXISTS (SELECT 1 FROM @extschema@.call_attempt l WHERE l.party_id = a.party_id AND l.state = 'dialing')
		 ORDER BY a.due_at, a.attempt_id
	LOOP
		c_id := c_id || r.attempt_id;
		c_campaign := c_campaign || r.campaign_id;
		c_party := c_party || r.party_id;
		c_phone := c_phone || r.phone;
		c_mode := c_mode || r.mode;
		c_staff := c_staff || r.staff_id;
		c_due := c_due || r.due_at;
	END LOOP;
	IF pg_catalog.cardinality(c_id) = 0 THEN
		RETURN;
	END IF;
	SELECT pg_catalog.array_agg(x.campaign_id), pg_catalog.array_agg(x.n) INTO live_c, live_n
	  FROM (SELECT l.campaign_id, pg_catalog.count(*) AS n
	          FROM @extschema@.call_attempt l
	         WHERE l.state = 'dialing' AND l.campaign_id = ANY (c_campaign)
	         GROUP BY l.campaign_id) x;
	FOR r IN
		SELECT g.staff_id, g.campaign_id, g.since
		  FROM @extschema@.dialer_agent g
		 WHERE g.state = 'ready' AND g.campaign_id = ANY (c_campaign)
		   FOR UPDATE SKIP LOCKED
	LOOP
		ag_staff := ag_staff || r.staff_id;
		ag_campaign := ag_campaign || r.campaign_id;
		ag_since := ag_since || r.since;
	END LOOP;

	-- one call per party, campaign and PBX limits, agents
	FOR r IN
		WITH cand AS (
			SELECT c.attempt_id, c.campaign_id, c.party_id, c.phone, c.mode, c.staff_id, c.due_at, s.max_concurrent,
			       pg_catalog.row_number() OVER (PARTITION BY c.party_id ORDER BY c.due_at, c.attempt_id) AS party_rank,
			       pg_catalog.row_number() OVER (PARTITION BY c.campaign_id, c.mode ORDER BY c.due_at, c.attempt_id) AS campaign_rank
			  FROM ROWS FROM (pg_catalog.unnest(c_id), pg_catalog.unnest(c_campaign), pg_catalog.unnest(c_party),
			                  pg_catalog.unnest(c_phone), pg_catalog.unnest(c_mode), pg_catalog.unnest(c_staff),
			                  pg_catalog.unnest(c_due))
			       AS c(attempt_id, campaign_id, party_id, phone, mode, staff_id, due_at)
			  JOIN @extschema@.dial_settings s ON s.campaign_id = c.campaign_id
		), live AS (
			SELECT lv.campaign_id, lv.n
			  FROM ROWS FROM (pg_catalog.unnest(live_c), pg_catalog.unnest(live_n)) AS lv(campaign_id, n)
		), pace AS (
			SELECT pc.campaign_id, pc.allow
			  FROM ROWS FROM (pg_catalog.unnest(dialer_claim.pace_campaigns), pg_catalog.unnest(dialer_claim.pace_allow))
			       AS pc(campaign_id, allow)
		), agents AS (
			SELECT g.staff_id, g.campaign_id,
			       pg_catalog.row_number() OVER (PARTITION BY g.campaign_id ORDER BY g.since, g.staff_id) AS agent_rank
			  FROM ROWS FROM (pg_catalog.unnest(ag_staff), pg_catalog.unnest(ag_campaign), pg_catalog.unnest(ag_since))
			       AS g(staff_id, campaign_id, since)
		), fit AS (
			SELECT c.*, COALESCE(c.staff_id, ag.staff_id) AS agent_id,
			       pg_catalog.row_number() OVER (PARTITION BY c.campaign_id ORDER BY c.due_at, c.attempt_id) AS fit_rank
			  FROM cand c
			  LEFT JOIN agents ag ON c.mode = 'progressive' AND ag.campaign_id = c.campaign_id AND ag.agent_rank = c.campaign_rank
			  LEFT JOIN pace pc ON c.mode = 'predictive' AND pc.campaign_id = c.campaign_id
			 WHERE c.party_rank = 1
			   AND CASE c.mode WHEN 'progressive' THEN ag.staff_id IS NOT NULL
			       -- predictive: as many as the worker's pacing allows the campaign now
			       WHEN 'predictive' THEN c.campaign_rank <= COALESCE(pc.allow, 0)
			       ELSE NOT EXISTS (SELECT 1 FROM @extschema@.dialer_agent g WHERE g.staff_id = c.staff_id AND g.state = 'on_call') END
		)
		SELECT f.attempt_id, f.party_id, f.agent_id
		  FROM fit f
		  LEFT JOIN live lv ON lv.campaign_id = f.campaign_id
		 WHERE f.fit_rank <= f.max_concurrent - COALESCE(lv.n, 0)
		 ORDER BY f.due_at, f.attempt_id
		 LIMIT dialer_claim.budget
	LOOP
		IF r.agent_id IS NOT NULL THEN
			UPDATE @extschema@.dialer_agent g
			   SET state = 'on_call', attempt_id = r.attempt_id, since = pg_catalog.now()
			 WHERE g.staff_id = r.agent_id;
		END IF;
		-- the clock read here: Citus runs no volatile function in an UPDATE
		dialed := pg_catalog.clock_timestamp();
		UPDATE @extschema@.call_attempt a
		   SET state = 'dialing', dialed_at = dialed, staff_id = r.agent_id
		 WHERE a.party_id = r.party_id AND a.attempt_id = r.attempt_id;
		p_id := p_id || r.attempt_id;
		p_party := p_party || r.party_id;
		p_agent := p_agent || r.agent_id;
	END LOOP;

	RETURN QUERY
	SELECT d.attempt_id,
	       CASE d.mode WHEN 'preview' THEN pg_catalog.replace(s.agent_endpoint, '{agent}', g.extension)
	                   ELSE @extschema@.dial_channel(s.customer_channel, d.phone) END,
	       CASE d.mode WHEN 'progressive' THEN s.agent_context WHEN 'predictive' THEN s.queue_context
	                   ELSE s.customer_context END,
	       CASE d.mode WHEN 'progressive' THEN g.extension
	                   WHEN 'predictive' THEN d.campaign_id::text
	                   ELSE @extschema@.dial_channel(
	                          CASE WHEN s.customer_channel ~ '\{e164\}' THEN '{e164}' ELSE '{number}' END, d.phone) END,
	       -- predictive: every number rings at least 15 s
	       CASE d.mode WHEN 'predictive' THEN GREATEST(s.dial_timeout_ms, 15000) ELSE s.dial_timeout_ms END,
	       s.caller_id,
	       d.campaign_id,
	       d.mode,
	       CASE WHEN d.mode = 'predictive' AND s.machine_message IS NOT NULL
	            THEN 'BANKCRM_MACHINE_MESSAGE=' || s.machine_message END
	  FROM ROWS FROM (pg_catalog.unnest(p_id), pg_catalog.unnest(p_agent)) AS x(attempt_id, agent_id)
	  JOIN ROWS FROM (pg_catalog.unnest(c_id), pg_catalog.unnest(c_campaign), pg_catalog.unnest(c_phone),
	                  pg_catalog.unnest(c_mode))
	       AS d(attempt_id, campaign_id, phone, mode) ON d.attempt_id = x.attempt_id
	  JOIN @extschema@.dial_settings s ON s.campaign_id = d.campaign_id
	  LEFT JOIN @extschema@.dialer_agent g ON g.staff_id = x.agent_id
	 ORDER BY d.attempt_id;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_claim(integer, integer, bigint[], integer[]) IS 'Worker only: makes the PBX''s agents whose wrap-up time is over ready, takes up to budget due attempts of a PBX (each locked by party_id and attempt_id, SKIP LOCKED), blocks do-not-call and no-consent ones, reschedules those outside the calling window and predictive ones whose number had an abandoned call in the last 72 hours, and marks as dialing and returns those within the party, campaign and agent limits (predictive: pace_allow[i] calls for campaign pace_campaigns[i], as the worker''s pacing decided)';

CREATE FUNCTION @extschema@.dialer_connect(attempt_ids bigint[], staff_ids integer[], connected_ats timestamptz[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f     record;
	pid   bigint;
	n     integer := 0;
BEGIN
	FOR f IN
		SELECT * FROM unnest(attempt_ids, staff_ids, connected_ats) AS f(attempt_id, staff_id, connected_at)
	LOOP
		SELECT a.party_id INTO pid FROM @extschema@.call_attempt a WHERE a.attempt_id = f.attempt_id;
		CONTINUE WHEN NOT FOUND;
		UPDATE @extschema@.call_attempt a
		   SET staff_id = f.staff_id, connected_at = f.connected_at
		 WHERE a.party_id = pid AND a.attempt_id = f.attempt_id AND a.state = 'dialing';
		CONTINUE WHEN NOT FOUND;
		n := n + 1;
		UPDATE @extschema@.dialer_agent g
		   SET state = 'on_call', attempt_id = f.attempt_id, since = f.connected_at
		 WHERE g.staff_id = f.staff_id;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_connect(bigint[], integer[], timestamptz[]) IS 'Worker only: in predictive mode, records that the queue connected each attempt to an agent (staff_id, connected_at) and marks the agent on_call';

CREATE FUNCTION @extschema@.dialer_pacing(pbx_id integer)
RETURNS TABLE (campaign_id bigint, max_concurrent integer, ring_timeout_ms integer, agents_ready integer,
		busy_s double precision[], finished bigint, answer_rate double precision, human_share double precision,
		ring_mu double precision, ring_sigma double precision, handle_mu double precision, handle_sigma double precision,
		live_day bigint, abandoned_day bigint, live_window bigint, abandoned_window bigint,
		member_names text[], member_interfaces text[], wrapup_s double precision, wrapup_left_s double precision[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.campaign_id, s.max_concurrent, GREATEST(s.dial_timeout_ms, 15000),
	       (SELECT pg_catalog.count(*)::integer FROM @extschema@.dialer_agent g
	         WHERE g.campaign_id = s.campaign_id
	           AND (g.state = 'ready' OR (g.state = 'wrap_up' AND g.wrapup_until <= pg_catalog.now()))),
	       (SELECT COALESCE(pg_catalog.array_agg(pg_catalog.date_part('epoch', pg_catalog.now() - g.since)), '{}')
	          FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id AND g.state = 'on_call'),
	       h.finished, h.answer_rate, h.human_share, h.ring_mu, h.ring_sigma, h.handle_mu, h.handle_sigma,
	       d.live_day, d.abandoned_day, d.live_window, d.abandoned_window,
	       -- the queue's members: agents ready or on a call (not in wrap-up)
	       (SELECT COALESCE(pg_catalog.array_agg(g.staff_id::text ORDER BY g.staff_id), '{}')
	          FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id
	           AND (g.state IN ('ready', 'on_call') OR (g.state = 'wrap_up' AND g.wrapup_until <= pg_catalog.now()))),
	       (SELECT COALESCE(pg_catalog.array_agg(pg_catalog.replace(s.agent_endpoint, '{agent}', g.extension) ORDER BY g.staff_id), '{}')
	          FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id
	           AND (g.state IN ('ready', 'on_call') OR (g.state = 'wrap_up' AND g.wrapup_until <= pg_catalog.now()))),
	       -- the wrap-up to come after each call: the campaign's, or less where its
	       -- agents have learnt to end theirs sooner (their mean)
	       CASE WHEN s.wrapup_s = 0 THEN 0::double precision
	            ELSE LEAST(s.wrapup_s::double precision,
	                       COALESCE((SELECT pg_catalog.avg(g.wrapup_avg_s) FROM @extschema@.dialer_agent g
	                                  WHERE g.campaign_id = s.campaign_id AND g.state <> 'offline'), s.wrapup_s)) END,
	       -- agents in wrap-up: seconds until each is ready (-1: until it says so)
	       (SELECT COALESCE(pg_catalog.array_agg(COALESCE(pg_catalog.date_part('epoch', g.wrapup_until - pg_catalog.now()), -1)), '{}')
	          FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id AND g.state = 'wrap_up'
	           AND (g.wrapup_until IS NULL OR g.wrapup_until > pg_catalog.now()))
	  FROM @extschema@.dial_settings s
	  JOIN @extschema@.campaign k ON k.campaign_id = s.campaign_id
	  -- the last 500 calls: rates and log-normal fits (with a prior worth 10 calls)
	  CROSS JOIN LATERAL (
		SELECT pg_catalog.count(x.handle_s) AS finished,
		       (pg_catalog.count(*) FILTER (WHERE x.outcome IN ('answered', 'abandoned', 'machine')) + 3.0)
		         / (pg_catalog.count(*) + 10.0) AS answer_rate,
		       (pg_catalog.count(*) FILTER (WHERE x.outcome IN ('answered', 'abandoned')) + 7.0)
		         / (pg_catalog.count(*) FILTER (WHERE x.outcome IN ('answered', 'abandoned', 'machine')) + 10.0) AS human_share,
		       CASE WHEN pg_catalog.count(x.ring_s) >= 5 THEN pg_catalog.avg(pg_catalog.ln(x.ring_s)) ELSE pg_catalog.ln(8.0) END::double precision AS ring_mu,
		       CASE WHEN pg_catalog.count(x.ring_s) >= 5 THEN COALESCE(pg_catalog.stddev_samp(pg_catalog.ln(x.ring_s)), 0.5) ELSE 0.5 END::double precision AS ring_sigma,
		       CASE WHEN pg_catalog.count(x.handle_s) >= 5 THEN pg_catalog.avg(pg_catalog.ln(x.handle_s)) ELSE pg_catalog.ln(120.0) END::double precision AS handle_mu,
		       CASE WHEN pg_catalog.count(x.handle_s) >= 5 THEN COALESCE(pg_catalog.stddev_samp(pg_catalog.ln(x.handle_s)), 0.8) ELSE 0.8 END::double precision AS handle_sigma
		  FROM (SELECT a.outcome,
		               -- ring times of calls placed at least a ring timeout ago only: among
		               -- the calls of the last seconds only the short rings have ended, and
		               -- learning from them would take rings as shorter than they are
		               CASE WHEN a.answered_at IS NOT NULL AND a.ring_ms > 0
		                     AND COALESCE(a.sent_at, a.dialed_at) < pg_catalog.now()
		                           - pg_catalog.make_interval(secs => GREATEST(s.dial_timeout_ms, 15000) / 1000.0)
		                    THEN a.ring_ms / 1000.0 END AS ring_s,
		               CASE WHEN a.outcome = 'answered' AND a.ended_at > COALESCE(a.connected_at, a.answered_at)
		                    THEN pg_catalog.date_part('epoch', a.ended_at - COALESCE(a.connected_at, a.answered_at)) END AS handle_s
		          FROM @extschema@.call_attempt a
		         WHERE a.campaign_id = s.campaign_id AND a.state = 'done' AND a.outcome <> 'unknown'
		         ORDER BY a.ended_at DESC
		         LIMIT 500) x
	  ) h
	  -- live answers and abandoned calls today (server time zone) and in the last 15 minutes
	  CROSS JOIN LATERAL (
		SELECT pg_catalog.count(*) FILTER (WHERE a.answered_at >= pg_catalog.date_trunc('day', pg_catalog.now())) AS live_day,
		       pg_catalog.count(*) FILTER (WHERE a.answered_at >= pg_catalog.date_trunc('day', pg_catalog.now())
		                                     AND a.outcome = 'abandoned') AS abandoned_day,
		       pg_catalog.count(*) FILTER (WHERE a.answered_at >= pg_catalog.now() - interval '15 minutes') AS live_window,
		       pg_catalog.count(*) FILTER (WHERE a.answered_at >= pg_catalog.now() - interval '15 minutes'
		                                     AND a.outcome = 'abandoned') AS abandoned_window
		  FROM @extschema@.call_attempt a
		 WHERE a.campaign_id = s.campaign_id AND a.state = 'done' AND a.outcome IN ('answered', 'abandoned')
		   AND a.ended_at >= LEAST(pg_catalog.date_trunc('day', pg_catalog.now()), pg_catalog.now() - interval '15 minutes')
	  ) d
	 WHERE s.pbx_id = dialer_pacing.pbx_id AND s.mode = 'predictive' AND s.active AND k.state = 'active'
	 ORDER BY s.campaign_id
$$;
COMMENT ON FUNCTION @extschema@.dialer_pacing(integer) IS 'Worker only: for each active predictive campaign of the PBX, what its pacing reads: agents ready and how long each one on a call has been, answer rate, human share, log-normal fits of ring and talk time from its last 500 calls, live answers and abandoned calls today and in the last 15 minutes, the members its queue should have (agents ready or on a call), the wrap-up to come after each call (the campaign''s wrapup_s, or its agents'' learnt mean if shorter) and how long each agent in wrap-up has left';

CREATE FUNCTION @extschema@.call_outcomes()
RETURNS TABLE (outcome text, lead_event text, live boolean, description text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	VALUES ('answered', 'call_answered', true, 'the customer answered and talked to an agent'),
	       ('busy', 'busy', false, 'the line was busy'),
	       ('no_answer', 'no_answer', false, 'nobody answered before the ring timeout'),
	       ('congestion', 'congestion', false, 'the network was congested'),
	       ('failed', 'failed', false, 'the call could not be placed (no route, no extension)'),
	       ('invalid_number', 'invalid_number', false, 'the number does not exist (Q.850 cause 1)'),
	       ('unknown', NULL, false, 'the PBX lost track of the call; no lead event'),
	       ('machine', 'no_answer', false, 'predictive: an answering machine answered; never offered to an agent'),
	       ('abandoned', 'no_answer', true, 'predictive: a live answer that met no agent within 2 s; the dialplan played the abandonment message')
$$;
COMMENT ON FUNCTION @extschema@.call_outcomes() IS 'The call outcomes: the lead event each fires in dialer_finish (NULL: none), whether it is a live answer (the base of the abandonment rate), and what it means';

CREATE FUNCTION @extschema@.dialer_finish(attempt_ids bigint[], outcomes text[], reasons integer[],
		dial_statuses text[], causes integer[], sent_ats timestamptz[], answered_ats timestamptz[],
		ended_ats timestamptz[], details text[], staff_ids integer[] DEFAULT NULL,
		amd_statuses text[] DEFAULT NULL, amd_causes text[] DEFAULT NULL, connected_ats timestamptz[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f     record;
	r     @extschema@.call_attempt;
	n     integer := 0;
	cid   bigint;
	pid   bigint;
	ev    text;
	wrap  integer;
	wrap_state text;
	wrap_until timestamptz;
BEGIN
	-- attempt by attempt, each addressed by party_id too (a single-shard
	-- update on Citus); only attempts still dialing are finished
	FOR f IN
		SELECT * FROM unnest(attempt_ids, outcomes, reasons, dial_statuses, causes,
		                     sent_ats, answered_ats, ended_ats, details, staff_ids, amd_statuses, amd_causes, connected_ats)
		           AS f(attempt_id, outcome, reason, dial_status, cause, sent_at, answered_at, ended_at, detail,
		                staff_id, amd_status, amd_cause, connected_at)
	LOOP
		SELECT a.party_id INTO pid FROM @extschema@.call_attempt a WHERE a.attempt_id = f.attempt_id;
		CONTINUE WHEN NOT FOUND;
		-- the PBX refused the Originate: no call was placed, the attempt waits to be dialed again
		IF f.outcome = 'not_placed' THEN
			UPDATE @extschema@.call_attempt a
			   SET state = 'queued', dialed_at = NULL, sent_at = NULL, due_at = pg_catalog.now(), detail = f.detail,
			       staff_id = CASE WHEN a.mode = 'progressive' THEN NULL ELSE a.staff_id END
			 WHERE a.party_id = pid AND a.attempt_id = f.attempt_id AND a.state = 'dialing';
			IF FOUND THEN
				n := n + 1;
				UPDATE @extschema@.dialer_agent
				   SET state = 'ready', attempt_id = NULL, since = pg_catalog.now()
				 WHERE attempt_id = f.attempt_id;
			END IF;
			CONTINUE;
		END IF;
		UPDATE @extschema@.call_attempt a
		   SET state = 'done', outcome = f.outcome, reason = f.reason, dial_status = f.dial_status,
		       hangup_cause = f.cause, sent_at = COALESCE(f.sent_at, a.sent_at), answered_at = f.answered_at, ended_at = f.ended_at,
		       ring_ms = GREATEST(0, (1000 * pg_catalog.date_part('epoch',
		                     COALESCE(f.answered_at, f.ended_at) - COALESCE(f.sent_at, a.sent_at, a.dialed_at)))::integer),
		       talk_ms = CASE WHEN f.answered_at IS NOT NULL
		                      THEN GREATEST(0, (1000 * pg_catalog.date_part('epoch', f.ended_at - f.answered_at))::integer) END,
		       detail = f.detail, staff_id = COALESCE(f.staff_id, a.staff_id),
		       amd_status = f.amd_status, amd_cause = f.amd_cause, connected_at = f.connected_at
		 WHERE a.party_id = pid AND a.attempt_id = f.attempt_id AND a.state = 'dialing'
		RETURNING a.* INTO r;
		CONTINUE WHEN NOT FOUND;
		n := n + 1;
		INSERT INTO @extschema@.contact (party_id, staff_id, channel, purpose, outcome, campaign_id, lead_id,
		                                 occurred_at, duration_s, note)
		VALUES (r.party_id, r.staff_id, 'phone_out', 'sales', r.outcome, r.campaign_id, r.lead_id,
		        COALESCE(r.sent_at, r.dialed_at), COALESCE(r.talk_ms, 0) / 1000,
		        pg_catalog.format('call attempt %s', r.attempt_id)
		          || COALESCE(pg_catalog.format(', cause %s', r.hangup_cause), '')
		          || COALESCE(': ' || r.detail, ''))
		RETURNING contact_id INTO cid;
		UPDATE @extschema@.call_attempt SET contact_id = cid WHERE party_id = r.party_id AND attempt_id = r.attempt_id;
		-- the agent: wrap-up for the campaign's wrapup_s, or ready at once
		-- (worked out here: Citus takes no now() inside a CASE of an UPDATE)
		wrap := COALESCE((SELECT s.wrapup_s FROM @extschema@.dial_settings s WHERE s.campaign_id = r.campaign_id), 0);
		wrap_state := CASE WHEN wrap > 0 THEN 'wrap_up' ELSE 'ready' END;
		wrap_until := CASE WHEN wrap > 0 THEN pg_catalog.now() + pg_catalog.make_interval(secs => wrap) END;
		UPDATE @extschema@.dialer_agent g
		   SET state = wrap_state, wrapup_until = wrap_until, attempt_id = NULL, since = pg_catalog.now()
		 WHERE g.attempt_id = r.attempt_id;
		-- the lead's event; one the lead does not take (it moved on meanwhile,
		-- or something failed) is kept in lead_event_failure for replay
		ev := (SELECT o.lead_event FROM @extschema@.call_outcomes() o WHERE o.outcome = r.outcome);
		IF r.lead_id IS NOT NULL AND ev IS NOT NULL THEN
			PERFORM @extschema@.lead_fire_or_keep(r.lead_id, r.party_id, ev,
				pg_catalog.format('call attempt %s', r.attempt_id), r.ended_at);
		END IF;
		-- retries: progressive and predictive attempts, by the campaign's rule for the outcome
		INSERT INTO @extschema@.call_attempt (campaign_id, lead_id, party_id, phone, pbx_id, mode, attempt_no, due_at)
		SELECT r.campaign_id, r.lead_id, r.party_id, r.phone, r.pbx_id, r.mode, r.attempt_no + 1, r.ended_at + q.delay
		  FROM @extschema@.dial_retry_rule q
		  JOIN @extschema@.dial_settings s ON s.campaign_id = q.campaign_id
		 WHERE r.mode IN ('progressive', 'predictive') AND q.campaign_id = r.campaign_id AND q.outcome = r.outcome
		   AND r.attempt_no < s.max_attempts;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.dialer_finish(bigint[], text[], integer[], text[], integer[], timestamptz[], timestamptz[], timestamptz[], text[], integer[], text[], text[], timestamptz[]) IS 'Worker only: records the outcome of finished attempts (only those still dialing), writes their contact rows, frees their agents, fires the lead events (keeping those that fail in lead_event_failure) and queues retries; outcome not_placed (the PBX refused the Originate) puts the attempt back in the queue instead';

DROP VIEW @extschema@.dialer_campaign_status;
CREATE VIEW @extschema@.dialer_campaign_status AS
SELECT s.campaign_id,
       s.pbx_id,
       s.mode,
       s.active,
       pg_catalog.count(*) FILTER (WHERE a.state = 'queued') AS queued,
       pg_catalog.count(*) FILTER (WHERE a.state = 'dialing') AS in_flight,
       pg_catalog.count(*) FILTER (WHERE a.dialed_at >= pg_catalog.now() - interval '1 minute') AS originates_last_minute,
       pg_catalog.count(*) FILTER (WHERE a.state = 'done') AS done,
       pg_catalog.count(*) FILTER (WHERE a.outcome = 'answered') AS answered,
       pg_catalog.count(*) FILTER (WHERE a.outcome IN ('no_answer', 'busy')) AS no_answer_or_busy,
       pg_catalog.count(*) FILTER (WHERE a.outcome IN ('congestion', 'failed', 'invalid_number', 'unknown')) AS failed,
       pg_catalog.count(*) FILTER (WHERE a.state = 'blocked') AS blocked,
       round(100.0 * pg_catalog.count(*) FILTER (WHERE a.outcome = 'answered')
             / NULLIF(pg_catalog.count(*) FILTER (WHERE a.state = 'done'), 0), 1) AS answer_rate_pct,
       (SELECT pg_catalog.count(*) FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id AND g.state = 'ready') AS agents_ready,
       (SELECT pg_catalog.count(*) FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id AND g.state = 'on_call') AS agents_on_call,
       round(pg_catalog.count(*) FILTER (WHERE a.state = 'dialing')::numeric
             / NULLIF((SELECT pg_catalog.count(*) FROM @extschema@.dialer_agent g
                        WHERE g.campaign_id = s.campaign_id AND g.state <> 'offline'), 0), 2) AS pacing_ratio,
       round(100.0 * pg_catalog.count(*) FILTER (WHERE a.outcome IN ('answered', 'abandoned') AND a.ended_at >= pg_catalog.date_trunc('day', pg_catalog.now()))
             / NULLIF(pg_catalog.count(*) FILTER (WHERE a.state = 'done' AND a.outcome <> 'unknown' AND a.ended_at >= pg_catalog.date_trunc('day', pg_catalog.now())), 0), 1) AS live_answer_rate_pct,
       round(100.0 * pg_catalog.count(*) FILTER (WHERE a.outcome = 'abandoned' AND a.answered_at >= pg_catalog.date_trunc('day', pg_catalog.now()))
             / NULLIF(pg_catalog.count(*) FILTER (WHERE a.outcome IN ('answered', 'abandoned') AND a.answered_at >= pg_catalog.date_trunc('day', pg_catalog.now())), 0), 2) AS abandoned_today_pct,
       round(100.0 * pg_catalog.count(*) FILTER (WHERE a.outcome = 'abandoned' AND a.answered_at >= pg_catalog.now() - interval '15 minutes')
             / NULLIF(pg_catalog.count(*) FILTER (WHERE a.outcome IN ('answered', 'abandoned') AND a.answered_at >= pg_catalog.now() - interval '15 minutes'), 0), 2) AS abandoned_15min_pct,
       round(100.0 * COALESCE(pg_catalog.sum(pg_catalog.date_part('epoch', a.ended_at - COALESCE(a.connected_at, a.answered_at)))
                               FILTER (WHERE a.outcome = 'answered' AND a.connected_at >= ag.logged_in_at
                                         AND a.ended_at >= pg_catalog.date_trunc('day', pg_catalog.now())), 0)::numeric
             / NULLIF((SELECT pg_catalog.sum(pg_catalog.date_part('epoch', pg_catalog.now()
                                 - GREATEST(g.logged_in_at, pg_catalog.date_trunc('day', pg_catalog.now()))))
                         FROM @extschema@.dialer_agent g
                        WHERE g.campaign_id = s.campaign_id AND g.state <> 'offline' AND g.logged_in_at IS NOT NULL), 0)::numeric, 1) AS agent_utilisation_pct,
       round(((SELECT pg_catalog.sum(pg_catalog.date_part('epoch', pg_catalog.now()
                         - GREATEST(g.logged_in_at, pg_catalog.date_trunc('day', pg_catalog.now()))))
                 FROM @extschema@.dialer_agent g
                WHERE g.campaign_id = s.campaign_id AND g.state <> 'offline' AND g.logged_in_at IS NOT NULL)
              - COALESCE(pg_catalog.sum(pg_catalog.date_part('epoch', a.ended_at - COALESCE(a.connected_at, a.answered_at)))
                          FILTER (WHERE a.outcome = 'answered' AND a.connected_at >= ag.logged_in_at
                                    AND a.ended_at >= pg_catalog.date_trunc('day', pg_catalog.now())), 0))::numeric
             / NULLIF(pg_catalog.count(*) FILTER (WHERE a.outcome = 'answered' AND a.connected_at >= ag.logged_in_at
                                                   AND a.ended_at >= pg_catalog.date_trunc('day', pg_catalog.now())), 0), 1) AS wait_between_calls_s,
       (SELECT pg_catalog.count(*) FROM @extschema@.dialer_agent g WHERE g.campaign_id = s.campaign_id AND g.state = 'wrap_up') AS agents_wrap_up
  FROM @extschema@.dial_settings s
  LEFT JOIN @extschema@.call_attempt a ON a.campaign_id = s.campaign_id
  -- the agent of a call, for the talk within its current logged-in time
  LEFT JOIN @extschema@.dialer_agent ag ON ag.staff_id = a.staff_id AND ag.state <> 'offline'
 GROUP BY s.campaign_id, s.pbx_id, s.mode, s.active;
COMMENT ON VIEW @extschema@.dialer_campaign_status IS 'Per campaign: attempts queued, in flight, started in the last minute, done by outcome, blocked; answer rate; agents ready and on a call; pacing ratio, live-answer rate, abandonment today and in the last 15 minutes, agent utilisation and wait between calls';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.pacing_ratio IS 'Calls in flight per agent logged in (ready or on a call): above 1 the dialer rings ahead of its agents';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.live_answer_rate_pct IS 'Today: live answers (answered or abandoned) per finished call, in percent';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.abandoned_today_pct IS 'Today: abandoned calls per live answer, in percent (the law: at most 3)';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.abandoned_15min_pct IS 'The last 15 minutes: abandoned calls per live answer, in percent (the pacing: never above 5)';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.agent_utilisation_pct IS 'Today: talk time of the agents logged in now, since they logged in, per their logged-in time, in percent';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.wait_between_calls_s IS 'Today: logged-in time not talking per call taken by an agent (wrap-up included), in seconds';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.agents_wrap_up IS 'Agents in wrap-up after a call (dial_settings.wrapup_s), given no call until it ends';
GRANT SELECT ON @extschema@.dialer_campaign_status TO bankcrm_manager, bankcrm_app, bankcrm_admin;
REVOKE ALL ON FUNCTION @extschema@.dialer_claim(integer, integer, bigint[], integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.dialer_connect(bigint[], integer[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.dialer_pacing(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.dialer_finish(bigint[], text[], integer[], text[], integer[], timestamptz[], timestamptz[], timestamptz[], text[], integer[], text[], text[], timestamptz[]) FROM PUBLIC;

CREATE FUNCTION @extschema@.dialer_outcome_names()
RETURNS text[]
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dialer_outcome_names() IS 'The outcomes the dialer worker can report, as its C code names them (the regression tests check them against call_outcomes())';

-- 0.2.0: credit_rating and phone compared with text, as drivers bind parameters (src/sql/12_text_compare.sql)
-- JDBC (setString), ODBC and other drivers send a parameter as varchar or
-- text; rating >= ? then found no operator (42883), since text has no
-- implicit cast to credit_rating or phone.  These operators take the text,
-- convert it with the type's input function (bad input is 22P02 as usual)
-- and compare; they are SQL functions the planner inlines into the type's own
-- operator, so an index on the column serves them.  A literal ('BBB-') still
-- resolves to the type's own operator.

-- credit_rating: every comparison

CREATE FUNCTION @extschema@.credit_rating_lt_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_lt_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<) $2$$;

CREATE OPERATOR @extschema@.< (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_lt_text,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE OPERATOR @extschema@.< (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_lt_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_le_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_le_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<=) $2$$;

CREATE OPERATOR @extschema@.<= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_le_text,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE OPERATOR @extschema@.<= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_le_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE FUNCTION @extschema@.credit_rating_eq_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_eq_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.=) $2$$;

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_eq_text,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_eq_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_ne_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<>) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_ne_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<>) $2$$;

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_ne_text,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_ne_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_ge_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.>=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_ge_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.>=) $2$$;

CREATE OPERATOR @extschema@.>= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_ge_text,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR @extschema@.>= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_ge_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE FUNCTION @extschema@.credit_rating_gt_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.>) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_gt_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.>) $2$$;

CREATE OPERATOR @extschema@.> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_gt_text,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

CREATE OPERATOR @extschema@.> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_gt_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

-- phone: equality (a phone is looked up, not ranged)

CREATE FUNCTION @extschema@.phone_eq_text(@extschema@.phone, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.=) $2::@extschema@.phone$$;

CREATE FUNCTION @extschema@.text_eq_phone(pg_catalog.text, @extschema@.phone)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.phone OPERATOR(@extschema@.=) $2$$;

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.phone,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.phone_eq_text,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.text_eq_phone,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE FUNCTION @extschema@.phone_ne_text(@extschema@.phone, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<>) $2::@extschema@.phone$$;

CREATE FUNCTION @extschema@.text_ne_phone(pg_catalog.text, @extschema@.phone)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.phone OPERATOR(@extschema@.<>) $2$$;

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.phone,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.phone_ne_text,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.text_ne_phone,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

-- 0.2.0: plain-typed companions for drivers and BI tools: credit_rating_text and
-- credit_rating_rank, primary_phone_text and primary_phone_masked (src/sql/25_views.sql)
CREATE OR REPLACE VIEW @extschema@.party_360
WITH (security_invoker = true) AS
SELECT p.party_id,
       p.kind,
       p.name,
       p.status,
       p.credit_rating,
       p.industry,
       p.region_code,
       b.name AS home_branch,
       rm.name AS primary_rm,
       ph.phone AS primary_phone,
       COALESCE(bal.aum, 0) AS aum,
       COALESCE(bal.loans, 0) AS loans,
       COALESCE(bal.monthly_contribution, 0) AS monthly_contribution,
       COALESCE(bal.products_held, 0) AS products_held,
       (SELECT pg_catalog.array_agg(pr.code ORDER BY pr.code)
          FROM @extschema@.holding h JOIN @extschema@.product pr ON pr.product_id = h.product_id
         WHERE h.party_id = p.party_id AND h.closed_on IS NULL) AS products,
       lc.last_contact_at,
       lc.last_contact_channel,
       lc.last_contact_outcome,
       (SELECT pg_catalog.count(*) FROM @extschema@.contact c
         WHERE c.party_id = p.party_id
           AND c.occurred_at >= pg_catalog.now() - interval '90 days') AS contacts_90d,
       (SELECT pg_catalog.min(c.next_follow_up) FROM @extschema@.contact c
         WHERE c.party_id = p.party_id
           AND c.next_follow_up >= pg_catalog.now()) AS next_follow_up,
       (SELECT pg_catalog.count(*) FROM @extschema@.complaint cp
         WHERE cp.party_id = p.party_id AND cp.state NOT IN ('closed')) AS open_complaints,
       p.consent_marketing,
       p.do_not_contact,
       rg.group_id,
       rg.kind AS group_kind,
       rg.members AS group_members,
       p.credit_rating::text::varchar(4) AS credit_rating_text,
       @extschema@.notch(p.credit_rating) AS credit_rating_rank,
       ph.phone::text::varchar(16) AS primary_phone_text,
       @extschema@.phone_mask(ph.phone) AS primary_phone_masked
  FROM @extschema@.party p
  LEFT JOIN @extschema@.branch b ON b.branch_id = p.home_branch_id
  LEFT JOIN @extschema@.coverage cv ON cv.party_id = p.party_id
        AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
  LEFT JOIN @extschema@.staff rm ON rm.staff_id = cv.staff_id
  LEFT JOIN @extschema@.party_balance bal ON bal.party_id = p.party_id
  LEFT JOIN @extschema@.relationship_group rg ON rg.party_id = p.party_id
  LEFT JOIN LATERAL (
       SELECT c.occurred_at AS last_contact_at, c.channel AS last_contact_channel, c.outcome AS last_contact_outcome
         FROM @extschema@.contact c
        WHERE c.party_id = p.party_id
        ORDER BY c.occurred_at DESC LIMIT 1) lc ON true
  LEFT JOIN LATERAL (
       SELECT pp.phone FROM @extschema@.party_phone pp
        WHERE pp.party_id = p.party_id
        ORDER BY pp.is_primary DESC, pp.phone LIMIT 1) ph ON true;
CREATE OR REPLACE VIEW @extschema@.party_masked AS
SELECT p.party_id,
       p.kind,
       @extschema@.mask_name(p.name) AS name_masked,
       p.gender,
       pg_catalog.date_part('year', p.birth_date)::integer AS birth_year,
       p.industry,
       p.region_code,
       p.education,
       p.occupation,
       p.life_stage,
       p.wealth_source,
       p.involvement,
       p.credit_rating,
       p.status,
       p.home_branch_id,
       p.onboarded_on,
       p.annual_turnover,
       (SELECT @extschema@.phone_mask(pp.phone) FROM @extschema@.party_phone pp
         WHERE pp.party_id = p.party_id
         ORDER BY pp.is_primary DESC, pp.phone LIMIT 1) AS phone_masked,
       COALESCE(bal.aum, 0) AS aum,
       COALESCE(bal.loans, 0) AS loans,
       COALESCE(bal.products_held, 0) AS products_held,
       p.consent_marketing,
       p.do_not_contact,
       p.credit_rating::text::varchar(4) AS credit_rating_text,
       @extschema@.notch(p.credit_rating) AS credit_rating_rank
  FROM @extschema@.party p
  LEFT JOIN (SELECT h.party_id,
	               sum(h.balance) FILTER (WHERE pr.category IN ('deposit', 'wealth', 'insurance')) AS aum,
	               sum(h.balance) FILTER (WHERE pr.category IN ('loan', 'card')) AS loans,
	               count(*) AS products_held
	          FROM @extschema@.holding h
	          JOIN @extschema@.product pr ON pr.product_id = h.product_id
	         WHERE h.closed_on IS NULL
	         GROUP BY h.party_id) bal ON bal.party_id = p.party_id;

-- 0.2.0: a comment on every view column (src/sql/89_column_comments.sql)
COMMENT ON COLUMN @extschema@.aum_pyramid.parties IS 'Individuals at this level';
COMMENT ON COLUMN @extschema@.aum_pyramid.aum IS 'Their assets under management together (CNY)';
COMMENT ON COLUMN @extschema@.campaign_report.campaign_id IS 'The campaign (campaign.campaign_id)';
COMMENT ON COLUMN @extschema@.campaign_report.campaign IS 'Campaign name';
COMMENT ON COLUMN @extschema@.campaign_report.state IS 'Campaign state in the campaign_lifecycle process (draft, approved, active, paused, completed, cancelled)';
COMMENT ON COLUMN @extschema@.campaign_report.product IS 'Name of the product the campaign sells';
COMMENT ON COLUMN @extschema@.campaign_report.leads IS 'Leads generated for the campaign';
COMMENT ON COLUMN @extschema@.campaign_report.assigned IS 'Leads assigned to a staff member';
COMMENT ON COLUMN @extschema@.campaign_report.budget IS 'Campaign budget (CNY)';
COMMENT ON COLUMN @extschema@.care_due.party_id IS 'The party (a customer of the current role as primary relationship manager)';
COMMENT ON COLUMN @extschema@.care_due.party_name IS 'Party name';
COMMENT ON COLUMN @extschema@.care_due.occasion_date IS 'Day of the occasion, within the next seven days';
COMMENT ON COLUMN @extschema@.cluster_profiles.model IS 'Cluster model (cluster_model.name)';
COMMENT ON COLUMN @extschema@.cluster_profiles.cluster IS 'Cluster number within the model, 1 to k';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.campaign_id IS 'The campaign (dial_settings.campaign_id)';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.pbx_id IS 'The PBX that dials the campaign';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.mode IS 'Dialing mode: preview or progressive';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.active IS 'Whether the campaign is being dialed (dial_settings.active)';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.queued IS 'Call attempts waiting to be dialed';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.in_flight IS 'Call attempts being dialed or talked now';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.originates_last_minute IS 'Calls originated in the last minute';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.done IS 'Call attempts finished';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.answered IS 'Finished attempts that were answered';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.no_answer_or_busy IS 'Finished attempts not answered or busy (retried by the retry rules)';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.failed IS 'Finished attempts that failed: congestion, failure, invalid number or an unknown result';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.blocked IS 'Attempts not dialed: do-not-call, outside the calling window or without a phone';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.answer_rate_pct IS 'Answered as a percentage of finished attempts, one decimal; NULL before the first';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.agents_ready IS 'Agents of the campaign ready for a call';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.agents_on_call IS 'Agents of the campaign on a call';
COMMENT ON COLUMN @extschema@.dialer_status.pbx_id IS 'The PBX (pbx.pbx_id)';
COMMENT ON COLUMN @extschema@.dialer_status.pbx_name IS 'PBX name';
COMMENT ON COLUMN @extschema@.dialer_status.host IS 'Host of the PBX''s AMI';
COMMENT ON COLUMN @extschema@.dialer_status.port IS 'TCP port of the PBX''s AMI';
COMMENT ON COLUMN @extschema@.dialer_status.pid IS 'Process id of the PBX''s dialer worker, NULL when none runs';
COMMENT ON COLUMN @extschema@.dialer_status.last_error_at IS 'When the last error occurred';
COMMENT ON COLUMN @extschema@.funnel.campaign_id IS 'The campaign';
COMMENT ON COLUMN @extschema@.funnel.campaign IS 'Campaign name';
COMMENT ON COLUMN @extschema@.funnel.stage_order IS 'Position of the stage in the process (process_state.stage_order)';
COMMENT ON COLUMN @extschema@.funnel.stage IS 'The stage: a state of the campaign''s process';
COMMENT ON COLUMN @extschema@.guarantor_chain.status IS 'Status of the guaranteed party (active, prospect, dormant, closed)';
COMMENT ON COLUMN @extschema@.guarantor_exposure.guarantor_id IS 'The guarantor party';
COMMENT ON COLUMN @extschema@.guarantor_exposure.direct_parties IS 'Parties it guarantees directly';
COMMENT ON COLUMN @extschema@.guarantor_exposure.parties IS 'Parties it guarantees directly or through a chain of guarantees';
COMMENT ON COLUMN @extschema@.guarantor_exposure.longest_chain IS 'Length of its longest chain of guarantees';
COMMENT ON COLUMN @extschema@.hidden_gold.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.hidden_gold.name IS 'Party name';
COMMENT ON COLUMN @extschema@.hidden_gold.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.hidden_gold.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.hidden_gold.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.hidden_gold.contribution IS 'Yearly profit contribution under the default score model (CNY)';
COMMENT ON COLUMN @extschema@.hidden_gold.value_score IS 'Value score under the default score model, 0 to 100';
COMMENT ON COLUMN @extschema@.hidden_gold.value_tier IS 'Value tier under the default score model: key, general or scattered';
COMMENT ON COLUMN @extschema@.hidden_gold.wealth_tier IS 'Wealth tier by assets under management: mass, affluent, hnw or uhnw';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.annual_turnover IS 'Declared yearly turnover (CNY)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.aum IS 'Assets under management with the bank (CNY)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.turnover_to_aum IS 'Turnover divided by assets under management: how much of its money the bank does not hold';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.contribution IS 'Yearly profit contribution under the default score model (CNY)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.value_score IS 'Value score under the default score model, 0 to 100';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.value_tier IS 'Value tier under the default score model: key, general or scattered';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.wealth_tier IS 'Wealth tier by assets under management: mass, affluent, hnw or uhnw';
COMMENT ON COLUMN @extschema@.lead_stay.lead_id IS 'The lead';
COMMENT ON COLUMN @extschema@.lead_stay.campaign_id IS 'The lead''s campaign';
COMMENT ON COLUMN @extschema@.lead_stay.process_name IS 'The lead''s process';
COMMENT ON COLUMN @extschema@.lead_stay.state IS 'The state the lead stayed in';
COMMENT ON COLUMN @extschema@.lead_stay.entered_at IS 'When the lead entered the state';
COMMENT ON COLUMN @extschema@.lead_won.lead_id IS 'The lead, in a state whose outcome is won';
COMMENT ON COLUMN @extschema@.lead_won.campaign_id IS 'The lead''s campaign';
COMMENT ON COLUMN @extschema@.lead_won.assigned_to IS 'Staff member the lead is assigned to';
COMMENT ON COLUMN @extschema@.lead_won.party_id IS 'The party who bought';
COMMENT ON COLUMN @extschema@.my_agenda.lead_id IS 'The lead, for calls and follow-ups';
COMMENT ON COLUMN @extschema@.my_agenda.campaign_id IS 'The lead''s campaign';
COMMENT ON COLUMN @extschema@.my_agenda.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.my_agenda.appointment_id IS 'The appointment, for appointments';
COMMENT ON COLUMN @extschema@.party_360.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.party_360.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.party_360.name IS 'Name of the person or organisation';
COMMENT ON COLUMN @extschema@.party_360.status IS 'active, prospect, dormant or closed';
COMMENT ON COLUMN @extschema@.party_360.credit_rating IS 'Internal credit rating (credit_rating type); credit_rating_text and credit_rating_rank for drivers and BI tools';
COMMENT ON COLUMN @extschema@.party_360.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.party_360.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.party_360.home_branch IS 'Name of the home branch';
COMMENT ON COLUMN @extschema@.party_360.aum IS 'Assets under management: deposits, wealth and insurance balances (CNY)';
COMMENT ON COLUMN @extschema@.party_360.loans IS 'Loan and card balances (CNY)';
COMMENT ON COLUMN @extschema@.party_360.monthly_contribution IS 'Monthly profit contribution of the open holdings (CNY)';
COMMENT ON COLUMN @extschema@.party_360.products_held IS 'Number of open holdings';
COMMENT ON COLUMN @extschema@.party_360.last_contact_at IS 'When the bank last had contact with the party';
COMMENT ON COLUMN @extschema@.party_360.last_contact_channel IS 'Channel of the last contact';
COMMENT ON COLUMN @extschema@.party_360.last_contact_outcome IS 'Outcome of the last contact';
COMMENT ON COLUMN @extschema@.party_360.consent_marketing IS 'Whether the party consented to marketing';
COMMENT ON COLUMN @extschema@.party_360.do_not_contact IS 'Whether the party asked not to be contacted';
COMMENT ON COLUMN @extschema@.party_360.credit_rating_text IS 'The credit rating as text (AAA ... D), for drivers and BI tools; sort by credit_rating_rank';
COMMENT ON COLUMN @extschema@.party_360.credit_rating_rank IS 'The credit rating''s notch: 1 is AAA, 22 is D; ascending is best first';
COMMENT ON COLUMN @extschema@.party_360.primary_phone_text IS 'The primary phone as text in E.164 form (+8613522956919)';
COMMENT ON COLUMN @extschema@.party_360.primary_phone_masked IS 'The primary phone with the middle digits masked';
COMMENT ON COLUMN @extschema@.party_balance.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.party_features.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.party_features.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.party_features.status IS 'active, prospect, dormant or closed';
COMMENT ON COLUMN @extschema@.party_features.gender IS 'Gender of an individual';
COMMENT ON COLUMN @extschema@.party_features.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.party_features.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.party_features.education IS 'Education of an individual';
COMMENT ON COLUMN @extschema@.party_features.occupation IS 'Occupation of an individual';
COMMENT ON COLUMN @extschema@.party_features.life_stage IS 'Family life stage of an individual';
COMMENT ON COLUMN @extschema@.party_features.wealth_source IS 'Where an individual''s wealth comes from';
COMMENT ON COLUMN @extschema@.party_features.involvement IS 'How involved the party is in choosing financial products';
COMMENT ON COLUMN @extschema@.party_features.product_lifecycle IS 'Product life-cycle stage the party buys in';
COMMENT ON COLUMN @extschema@.party_features.credit_rating IS 'Internal credit rating (credit_rating type)';
COMMENT ON COLUMN @extschema@.party_features.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.party_features.onboarded_on IS 'When the party became a customer';
COMMENT ON COLUMN @extschema@.party_features.consent_marketing IS 'Whether the party consented to marketing';
COMMENT ON COLUMN @extschema@.party_features.do_not_contact IS 'Whether the party asked not to be contacted';
COMMENT ON COLUMN @extschema@.party_masked.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.party_masked.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.party_masked.gender IS 'Gender of an individual';
COMMENT ON COLUMN @extschema@.party_masked.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.party_masked.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.party_masked.education IS 'Education of an individual';
COMMENT ON COLUMN @extschema@.party_masked.occupation IS 'Occupation of an individual';
COMMENT ON COLUMN @extschema@.party_masked.life_stage IS 'Family life stage of an individual';
COMMENT ON COLUMN @extschema@.party_masked.wealth_source IS 'Where an individual''s wealth comes from';
COMMENT ON COLUMN @extschema@.party_masked.involvement IS 'How involved the party is in choosing financial products';
COMMENT ON COLUMN @extschema@.party_masked.credit_rating IS 'Internal credit rating (credit_rating type); credit_rating_text and credit_rating_rank for drivers and BI tools';
COMMENT ON COLUMN @extschema@.party_masked.status IS 'active, prospect, dormant or closed';
COMMENT ON COLUMN @extschema@.party_masked.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.party_masked.onboarded_on IS 'When the party became a customer';
COMMENT ON COLUMN @extschema@.party_masked.annual_turnover IS 'Declared yearly turnover (CNY)';
COMMENT ON COLUMN @extschema@.party_masked.aum IS 'Assets under management: deposits, wealth and insurance balances (CNY)';
COMMENT ON COLUMN @extschema@.party_masked.loans IS 'Loan and card balances (CNY)';
COMMENT ON COLUMN @extschema@.party_masked.products_held IS 'Number of open holdings';
COMMENT ON COLUMN @extschema@.party_masked.consent_marketing IS 'Whether the party consented to marketing';
COMMENT ON COLUMN @extschema@.party_masked.do_not_contact IS 'Whether the party asked not to be contacted';
COMMENT ON COLUMN @extschema@.party_masked.credit_rating_text IS 'The credit rating as text (AAA ... D), for drivers and BI tools; sort by credit_rating_rank';
COMMENT ON COLUMN @extschema@.party_masked.credit_rating_rank IS 'The credit rating''s notch: 1 is AAA, 22 is D; ascending is best first';
COMMENT ON COLUMN @extschema@.party_summary.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.party_summary.parties IS 'Parties of this kind';
COMMENT ON COLUMN @extschema@.party_summary.active IS 'Of them, active';
COMMENT ON COLUMN @extschema@.party_summary.prospects IS 'Of them, prospects';
COMMENT ON COLUMN @extschema@.party_summary.dormant IS 'Of them, dormant';
COMMENT ON COLUMN @extschema@.party_summary.closed IS 'Of them, closed';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.kind IS 'household, corporate or mixed';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.members IS 'Parties in the group';
COMMENT ON COLUMN @extschema@.rep_activity.staff_id IS 'The staff member';
COMMENT ON COLUMN @extschema@.rep_activity.staff_name IS 'Staff member''s name';
COMMENT ON COLUMN @extschema@.rep_activity.team_id IS 'The staff member''s team';
COMMENT ON COLUMN @extschema@.rep_activity.process_name IS 'The process of the leads worked';
COMMENT ON COLUMN @extschema@.rep_activity.stage IS 'The stage: a state of the process';
COMMENT ON COLUMN @extschema@.rep_activity.stage_order IS 'Position of the stage in the process';
COMMENT ON COLUMN @extschema@.rep_activity.target_met IS 'Whether the day''s activity in the stage reached the daily target';
COMMENT ON COLUMN @extschema@.segment_members.segment_id IS 'The segment';
COMMENT ON COLUMN @extschema@.segment_members.party_id IS 'The member party';
COMMENT ON COLUMN @extschema@.segment_members.joined_at IS 'When the party joined the segment';
COMMENT ON COLUMN @extschema@.segment_members.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.segment_members.status IS 'active, prospect, dormant or closed';
COMMENT ON COLUMN @extschema@.segment_members.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.segment_members.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.segment_members.consent_marketing IS 'Whether the party consented to marketing';
COMMENT ON COLUMN @extschema@.segment_members.do_not_contact IS 'Whether the party asked not to be contacted';
COMMENT ON COLUMN @extschema@.segment_sizes.segment_id IS 'The segment';
COMMENT ON COLUMN @extschema@.segment_sizes.name IS 'Segment name';
COMMENT ON COLUMN @extschema@.segment_sizes.kind IS 'How the segment is defined: rule, tier, pareto, rfm or cluster';
COMMENT ON COLUMN @extschema@.segment_sizes.refreshed_at IS 'When segment_refresh() last recomputed the members';
COMMENT ON COLUMN @extschema@.staff_performance.staff_id IS 'The staff member';
COMMENT ON COLUMN @extschema@.staff_performance.staff_name IS 'Staff member''s name';
COMMENT ON COLUMN @extschema@.staff_performance.role_kind IS 'The staff member''s kind of role (relationship manager, agent, team lead, ...)';
COMMENT ON COLUMN @extschema@.staff_performance.team_id IS 'The staff member''s team';
COMMENT ON COLUMN @extschema@.staff_performance.branch_id IS 'The staff member''s branch';
COMMENT ON COLUMN @extschema@.staff_performance.leads_assigned IS 'Leads assigned to the staff member';
COMMENT ON COLUMN @extschema@.staff_performance.leads_open IS 'Of them, not yet in a final state';
COMMENT ON COLUMN @extschema@.staff_performance.leads_won IS 'Of them, won';

-- 0.2.0: churn_dashboard rounds its display figures (level_drop_pct to one decimal, the
-- sparkline to the cent) and gives the age in days (src/sql/61_churn_model.sql)
CREATE OR REPLACE VIEW @extschema@.churn_dashboard WITH (security_invoker = true) AS
SELECT a.alert_id,
       a.party_id,
       p.name AS party_name,
       p.kind AS party_kind,
       a.branch_id,
       b.name AS branch_name,
       a.severity,
       a.state,
       a.metric,
       a.rule,
       a.first_week,
       a.last_week,
       (GREATEST(a.last_week, @extschema@.churn_series_last_week(s.series)) OPERATOR(pg_catalog.-) a.first_week)
           OPERATOR(pg_catalog./) 7 AS weeks_open,
       pg_catalog.now() OPERATOR(pg_catalog.-) a.raised_at AS age,
       pg_catalog.round(a.level_drop_pct::numeric, 1)::double precision AS level_drop_pct,
       a.rm_id,
       a.branch_manager_id,
       a.team_id,
       -- cents: the series is kept as real, whose binary noise a display shows
       @extschema@.churn_sparkline(s.series, a.metric, a.last_week, 26)::numeric(20, 2)[]::double precision[] AS sparkline,
       sc.probability,
       sc.yearly_contribution,
       sc.at_risk AS contribution_at_risk,
       pg_catalog.round((pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) a.raised_at)
                         OPERATOR(pg_catalog./) 86400)::numeric, 1) AS age_days
  FROM @extschema@.churn_alert a
  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
  LEFT JOIN @extschema@.branch b ON b.branch_id OPERATOR(pg_catalog.=) a.branch_id
  LEFT JOIN bankcrm_churn.churn_series s ON s.party_id OPERATOR(pg_catalog.=) a.party_id
  -- the party's latest score, of the newest model that scored that week
  -- (grouped by party_id, the distribution column: on Citus it runs in
  -- the shards)
  LEFT JOIN (SELECT DISTINCT ON (x.party_id) x.party_id, x.probability, x.yearly_contribution, x.at_risk
               FROM @extschema@.churn_score x
              ORDER BY x.party_id, x.week DESC, x.model_id DESC) sc ON sc.party_id OPERATOR(pg_catalog.=) a.party_id
 WHERE a.state IN ('open', 'acknowledged', 'in_remediation') AND p.status OPERATOR(pg_catalog.<>) 'closed';
COMMENT ON COLUMN @extschema@.churn_dashboard.level_drop_pct IS 'Percent the last four weeks lay below the reference level, one decimal';
COMMENT ON COLUMN @extschema@.churn_dashboard.age_days IS 'Days since the alert was raised, one decimal (age as a number, for drivers and BI tools that show an interval as an object)';
COMMENT ON COLUMN @extschema@.churn_dashboard.sparkline IS 'The metric over the 26 weeks ending with last_week, oldest first, to the cent, NULL for a week without a row';

-- 0.2.0: progress of long operations, the view progress (src/sql/32_progress.sql, src/progress.c)
CREATE FUNCTION @extschema@.progress_slots(
	OUT pid integer, OUT datid oid, OUT userid oid, OUT command text, OUT phase text,
	OUT done bigint, OUT total bigint, OUT started_at timestamptz, OUT phase_started_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'progress_slots'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_slots() IS
	'The operations under way in the cluster, one row per backend that runs one (shared memory; empty without shared_preload_libraries); read through the view progress';

CREATE FUNCTION @extschema@.progress_begin(command text, phase text DEFAULT '', total bigint DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'progress_begin'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_begin(text, text, bigint) IS
	'Starts reporting an operation of this backend in the view progress (inside another: a phase of it); the end of the transaction ends it';
CREATE FUNCTION @extschema@.progress_phase(phase text, total bigint DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'progress_phase'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_phase(text, bigint) IS
	'The operation this backend reports moves to another phase, of total units (NULL: not known)';
CREATE FUNCTION @extschema@.progress_set(done bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'progress_set'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_set(bigint) IS
	'So many units of the phase are done';
CREATE FUNCTION @extschema@.progress_end()
RETURNS void
AS 'MODULE_PATHNAME', 'progress_end'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_end() IS
	'The operation this backend reports is done';

CREATE VIEW @extschema@.progress AS
SELECT p.pid,
       d.datname,
       r.rolname AS usename,
       p.command,
       p.phase,
       p.done,
       p.total,
       pg_catalog.round(100.0 * p.done / NULLIF(p.total, 0), 1) AS pct,
       p.started_at,
       pg_catalog.round(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - p.started_at)::numeric, 1) AS elapsed_s,
       p.phase_started_at
  FROM @extschema@.progress_slots() p
  LEFT JOIN pg_catalog.pg_database d ON d.oid = p.datid
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = p.userid;
COMMENT ON VIEW @extschema@.progress IS 'Long operations under way in the cluster (score_all, segment_refresh, segment_refresh_all, churn_scan, cluster_fit, campaign_generate_leads, the loaders): which, in which phase, how far; like pg_stat_progress_*';
COMMENT ON COLUMN @extschema@.progress.pid IS 'Process id of the backend or worker running the operation';
COMMENT ON COLUMN @extschema@.progress.datname IS 'Its database';
COMMENT ON COLUMN @extschema@.progress.usename IS 'The role it runs as';
COMMENT ON COLUMN @extschema@.progress.command IS 'The operation: score_all, segment_refresh, segment_refresh_all, churn_scan, cluster_fit, campaign_generate_leads, load, ...';
COMMENT ON COLUMN @extschema@.progress.phase IS 'What it is doing now; an operation called inside another shows as a phase of it';
COMMENT ON COLUMN @extschema@.progress.done IS 'Units of the phase done (parties, segments, iterations, ...)';
COMMENT ON COLUMN @extschema@.progress.total IS 'Units of the phase in all, NULL when not known';
COMMENT ON COLUMN @extschema@.progress.pct IS 'done as a percentage of total, one decimal';
COMMENT ON COLUMN @extschema@.progress.started_at IS 'When the operation started';
COMMENT ON COLUMN @extschema@.progress.elapsed_s IS 'Seconds since it started, one decimal';
COMMENT ON COLUMN @extschema@.progress.phase_started_at IS 'When the phase started';

-- the DBA's view: every bankcrm role may look (commands and counts, no data)
GRANT SELECT ON @extschema@.progress TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;

-- 0.2.0: segment_refresh, segment_refresh_all, churn_scan, cluster_compute and cluster_fit
-- report their progress (src/sql/45_segment.sql, 60_churn.sql, 47_cluster.sql)
CREATE OR REPLACE FUNCTION @extschema@.segment_refresh(segment_id bigint)
RETURNS TABLE (joined bigint, "left" bigint, total bigint)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	seg @extschema@.segment;
	stamp timestamptz := clock_timestamp();
	sc record;
	target text;
BEGIN
	-- a caller without bank-wide read recomputes the segment within the
	-- parties it may see: the rule never meets another party's data (no
	-- error, no count, no timing from it), members it cannot see are left
	-- as they are, and the numbers returned count only what it sees
	SELECT * INTO sc FROM @extschema@.segment_caller_scope();
	-- one refresh of a segment at a time; the next one sees this one's result
	SELECT * INTO seg FROM @extschema@.segment s WHERE s.segment_id = segment_refresh.segment_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'segment % does not exist', segment_refresh.segment_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'The segments are listed in bankcrm.segment_sizes.';
	END IF;
	-- stamped first: on Citus a reference table is written before, not
	-- after, the distributed tables that refer to it in one transaction
	UPDATE @extschema@.segment s SET refreshed_at = stamp WHERE s.segment_id = seg.segment_id;
	PERFORM @extschema@.progress_begin('segment_refresh', seg.name || ': evaluating and recording', 3);
	IF sc.bank_wide THEN
		target := @extschema@.segment_member_query(seg.kind, seg.rule, seg.params);
	ELSIF seg.kind = 'rule' THEN
		-- the visible parties first, in a subquery the rule cannot be pushed
		-- into (OFFSET 0): the rule is evaluated on them only
		PERFORM @extschema@.segment_check_rule(seg.rule);
		target := format(E'SELECT f.party_id FROM (SELECT * FROM %I.party_features v WHERE v.party_id = ANY ($3) OFFSET 0) f WHERE (\n%s\n)',
		                 '@extschema@', seg.rule);
	ELSE
		target := format('SELECT t.party_id FROM (%s OFFSET 0) t WHERE t.party_id = ANY ($3)',
		                 @extschema@.segment_member_query(seg.kind, seg.rule, seg.params));
	END IF;

	-- the difference, from one evaluation of the members' query: who is
	-- in the target and not a member joins, who is a member and not in the
	-- target leaves.  It goes to the history first and the members follow
	-- from it.  OFFSET 0 plans the members' query on its own: inside the
	-- full join the planner would keep the joins of party_features the rule
	-- does not use.  On Citus that query runs in the shard tasks and the
	-- full join on the coordinator; the other statements join on party_id
	-- within each shard (doc/segments.md)
	EXECUTE format(
		'INSERT INTO %2$I.segment_history (segment_id, party_id, change, at) '
		'SELECT $1, COALESCE(t.party_id, m.party_id), '
		'       CASE WHEN m.party_id IS NULL THEN ''joined'' ELSE ''left'' END, $2 '
		'  FROM (%1$s
 OFFSET 0) t '
		'  FULL JOIN (SELECT m.party_id FROM %2$I.segment_member m WHERE m.segment_id = $1 '
		'               AND ($3::bigint[] IS NULL OR m.party_id = ANY ($3))) m '
		'    ON m.party_id = t.party_id '
		' WHERE t.party_id IS NULL OR m.party_id IS NULL',
		target, '@extschema@')
	USING seg.segment_id, stamp, sc.parties;
	PERFORM @extschema@.progress_set(1);
	EXECUTE format(
		'DELETE FROM %1$I.segment_member m USING %1$I.segment_history h '
		' WHERE m.segment_id = $1 AND h.segment_id = $1 AND h.at = $2 AND h.change = ''left'' '
		'   AND m.party_id = h.party_id',
		'@extschema@')
	USING seg.segment_id, stamp;
	EXECUTE format(
		'INSERT INTO %1$I.segment_member (segment_id, party_id, joined_at) '
		'SELECT $1, h.party_id, $2 FROM %1$I.segment_history h '
		' WHERE h.segment_id = $1 AND h.at = $2 AND h.change = ''joined''',
		'@extschema@')
	USING seg.segment_id, stamp;
	PERFORM @extschema@.progress_set(2);

	RETURN QUERY EXECUTE format(
		'SELECT d.joined, d."left", n.total '
		'  FROM (SELECT pg_catalog.count(*) FILTER (WHERE h.change = ''joined'') AS joined, '
		'               pg_catalog.count(*) FILTER (WHERE h.change = ''left'') AS "left" '
		'          FROM %1$I.segment_history h WHERE h.segment_id = $1 AND h.at = $2) d, '
		'       (SELECT pg_catalog.count(*) AS total '
		'          FROM %1$I.segment_member m WHERE m.segment_id = $1 '
		'           AND ($3::bigint[] IS NULL OR m.party_id = ANY ($3))) n',
		'@extschema@')
	USING seg.segment_id, stamp, sc.parties;
	PERFORM @extschema@.progress_end();
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.segment_refresh_all()
RETURNS TABLE (segment_id bigint, joined bigint, "left" bigint, total bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
	n bigint := 0;
BEGIN
	-- one segment after the other, in segment_id order; the view progress
	-- shows how many are done and which one runs
	PERFORM @extschema@.progress_begin('segment_refresh_all', 'segments',
	                                   (SELECT pg_catalog.count(*) FROM @extschema@.segment));
	FOR s IN SELECT g.segment_id FROM @extschema@.segment g ORDER BY g.segment_id LOOP
		RETURN QUERY SELECT s.segment_id, r.joined, r."left", r.total
		               FROM @extschema@.segment_refresh(s.segment_id) r;
		n := n OPERATOR(pg_catalog.+) 1;
		PERFORM @extschema@.progress_set(n);
	END LOOP;
	PERFORM @extschema@.progress_end();
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.churn_scan(week date DEFAULT NULL,
	OUT severity text, OUT parties integer, OUT raised integer, OUT escalated integer, OUT lost integer)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n_raised integer[] := ARRAY[0, 0, 0];
	n_escalated integer[] := ARRAY[0, 0, 0];
	n_lost integer[] := ARRAY[0, 0, 0];
	r record;
	i integer;
BEGIN
	IF churn_scan.week IS NOT NULL AND pg_catalog.date_part('isodow', churn_scan.week) OPERATOR(pg_catalog.<>) 1 THEN
		RAISE EXCEPTION 'week must be a Monday'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = pg_catalog.format('%s is not the first day of an ISO week.', churn_scan.week),
			      HINT = 'Use date_trunc(''week'', d)::date.';
	END IF;
	PERFORM @extschema@.progress_begin('churn_scan', 'closing the alerts of departed parties', NULL);
	-- first the parties the bank can no longer keep: their alerts are lost
	FOR r IN SELECT a.alert_id, a.party_id, a.metric, a.severity, a.event
	           FROM @extschema@.churn_close_departed(churn_scan.week) a
	          ORDER BY a.alert_id
	LOOP
		PERFORM @extschema@.churn_notify(r.alert_id, r.party_id, r.metric, r.severity, r.event);
		i := @extschema@.churn_severity_rank(r.severity);
		n_lost[i] := n_lost[i] OPERATOR(pg_catalog.+) 1;
	END LOOP;
	PERFORM @extschema@.progress_phase('evaluating the parties',
	                                   (SELECT pg_catalog.count(*) FROM bankcrm_churn.churn_series));
	FOR r IN SELECT a.alert_id, a.party_id, a.metric, a.severity, a.event
	           FROM @extschema@.churn_apply(NULL, churn_scan.week) a
	          ORDER BY a.alert_id
	LOOP
		PERFORM @extschema@.churn_notify(r.alert_id, r.party_id, r.metric, r.severity, r.event);
		i := @extschema@.churn_severity_rank(r.severity);
		IF r.event OPERATOR(pg_catalog.=) 'raised' THEN
			n_raised[i] := n_raised[i] OPERATOR(pg_catalog.+) 1;
		ELSIF r.event OPERATOR(pg_catalog.=) 'lost' THEN
			n_lost[i] := n_lost[i] OPERATOR(pg_catalog.+) 1;
		ELSE
			n_escalated[i] := n_escalated[i] OPERATOR(pg_catalog.+) 1;
		END IF;
	END LOOP;
	RETURN QUERY
	WITH active AS (
		SELECT a.party_id, pg_catalog.max(@extschema@.churn_severity_rank(a.severity)) AS rank
		  FROM @extschema@.churn_alert a
		  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
		 WHERE a.state IN ('open', 'acknowledged', 'in_remediation') AND p.status OPERATOR(pg_catalog.<>) 'closed'
		 GROUP BY a.party_id
	)
	SELECT l.severity,
	       (SELECT pg_catalog.count(*) FROM active a WHERE a.rank OPERATOR(pg_catalog.=) l.rank)::integer,
	       n_raised[l.rank], n_escalated[l.rank], n_lost[l.rank]
	  FROM (VALUES ('watch', 1), ('warning', 2), ('critical', 3)) l(severity, rank)
	 ORDER BY l.rank;
	PERFORM @extschema@.progress_end();
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.cluster_compute(
	features text[], k integer, seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, batch_size integer DEFAULT 1024, batches integer DEFAULT 100,
	max_passes integer DEFAULT 20, tolerance double precision DEFAULT 1e-4,
	silhouette_sample integer DEFAULT 1000,
	OUT means double precision[], OUT scales double precision[], OUT centroids double precision[],
	OUT sizes bigint[], OUT points bigint, OUT passes integer, OUT converged boolean,
	OUT inertia double precision, OUT silhouette double precision, OUT silhouette_points integer)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	q text := @extschema@.cluster_feature_query(features);
	d integer := cardinality(features);
	all_present text;
	avgs text;
	sds text;
	pt text;
	sample double precision[];
	n_sample integer;
	state double precision[];
	nextc double precision[];
	sd double precision[];
BEGIN
	IF k IS NULL OR k NOT BETWEEN 2 AND 100 THEN
		RAISE EXCEPTION 'k must be between 2 and 100, not %', k
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'cluster_choose_k() reports the inertia and silhouette of k = 2 to 10.';
	END IF;
	IF seed IS NULL OR sample_size IS NULL OR sample_size < k OR batch_size IS NULL OR batch_size < 1
	   OR batches IS NULL OR batches < 0 OR max_passes IS NULL OR max_passes < 1
	   OR tolerance IS NULL OR NOT tolerance >= 0 OR silhouette_sample IS NULL OR silhouette_sample < 0 THEN
		RAISE EXCEPTION 'invalid fitting parameters'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = format('seed %s, sample_size %s, batch_size %s, batches %s, max_passes %s, tolerance %s, silhouette_sample %s.',
			                      seed, sample_size, batch_size, batches, max_passes, tolerance, silhouette_sample),
			      HINT = 'The sample holds at least k points, batch_size and max_passes are positive, batches, tolerance and silhouette_sample are not negative.';
	END IF;
	SELECT string_agg(format('x.v%s IS NOT NULL', i), ' AND ' ORDER BY i) INTO all_present
	  FROM generate_series(1, d) i;

	-- 1. standardisation: built-in aggregates, parallel and per shard
	PERFORM @extschema@.progress_phase('standardising the features', NULL);
	SELECT string_agg(format('pg_catalog.avg(x.v%s)', i), ', ' ORDER BY i),
	       string_agg(format('pg_catalog.stddev_pop(x.v%s)', i), ', ' ORDER BY i)
	  INTO avgs, sds
	  FROM generate_series(1, d) i;
	EXECUTE format('SELECT pg_catalog.count(*), ARRAY[%s], ARRAY[%s] FROM (%s) x WHERE %s', avgs, sds, q, all_present)
	   INTO points, means, sd;
	IF points < k THEN
		RAISE EXCEPTION 'cannot find % clusters among % parties', k, points
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'Only parties with every feature not NULL are clustered.',
			      HINT = 'Choose a smaller k, or wrap a feature in COALESCE().';
	END IF;
	scales := ARRAY(SELECT CASE WHEN s > 0 THEN s ELSE 1 END FROM unnest(sd) WITH ORDINALITY u(s, o) ORDER BY o);
	pt := @extschema@.cluster_point_expr(means, scales);

	-- 2. the sample: the points with the lowest seeded hash of party_id
	PERFORM @extschema@.progress_phase('sampling', NULL);
	EXECUTE format('SELECT pg_catalog.array_agg(s.p ORDER BY s.h, s.party_id) FROM '
	               '(SELECT x.party_id, pg_catalog.hashint8extended(x.party_id, $1) AS h, %s AS p '
	               '   FROM (%s) x WHERE %s ORDER BY 2, 1 LIMIT $2) s', pt, q, all_present)
	   INTO sample USING seed, sample_size;
	n_sample := array_length(sample, 1);

	-- 3. seeding and mini-batches on the sample (only when it exceeds a batch)
	PERFORM @extschema@.progress_phase('seeding and mini-batches', NULL);
	centroids := @extschema@.kmeans_start(sample, k, seed, batch_size,
	                                      CASE WHEN n_sample > batch_size THEN batches ELSE 0 END);

	-- 4. full passes until no centroid moves more than the tolerance; the
	-- model keeps the centroids the last pass measured
	passes := 0;
	converged := false;
	PERFORM @extschema@.progress_phase('full passes', max_passes);
	LOOP
		EXECUTE format('SELECT @extschema@.kmeans_pass($1, %s) FROM (%s) x', pt, q)
		   INTO state USING centroids;
		passes := passes + 1;
		PERFORM @extschema@.progress_set(passes);
		inertia := @extschema@.kmeans_inertia(state);
		sizes := @extschema@.kmeans_sizes(state);
		nextc := @extschema@.kmeans_update(state, centroids);
		IF @extschema@.kmeans_shift(nextc, centroids) <= tolerance THEN
			converged := true;
			EXIT;
		END IF;
		EXIT WHEN passes >= max_passes;
		centroids := nextc;
	END LOOP;

	-- 5. silhouette on the first points of the sample
	silhouette_points := LEAST(silhouette_sample, n_sample);
	IF silhouette_points >= 2 THEN
		silhouette := @extschema@.kmeans_silhouette(sample[1:silhouette_points][1:d], centroids);
	END IF;
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.cluster_fit(
	name text, features text[], k integer, seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, batch_size integer DEFAULT 1024, batches integer DEFAULT 100,
	max_passes integer DEFAULT 20, tolerance double precision DEFAULT 1e-4,
	silhouette_sample integer DEFAULT 1000)
RETURNS TABLE (cluster integer, size bigint, center double precision[])
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
-- on Citus the model (reference tables) is written after the passes read
-- the shards: they read over one connection per worker (no effect without Citus)
SET citus.multi_shard_modify_mode = sequential
AS $$
DECLARE
	r record;
	d integer;
BEGIN
	IF name IS NULL OR btrim(name) = '' THEN
		RAISE EXCEPTION 'a cluster model needs a name'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@.progress_begin('cluster_fit', name, NULL);
	SELECT * INTO r FROM @extschema@.cluster_compute(features, k, seed, sample_size, batch_size, batches,
	                                                 max_passes, tolerance, silhouette_sample);
	PERFORM @extschema@.progress_phase('storing the model', NULL);
	d := cardinality(features);
	-- stamped first: on Citus the reference tables are written together
	DELETE FROM @extschema@.cluster_centroid c WHERE c.model = cluster_fit.name;
	INSERT INTO @extschema@.cluster_model AS m (name, features, k, seed, means, scales, centroids, points, passes,
	                                            converged, inertia, silhouette, silhouette_sample, fitted_at)
	VALUES (cluster_fit.name, features, k, seed, r.means, r.scales, r.centroids, r.points, r.passes,
	        r.converged, r.inertia, r.silhouette, r.silhouette_points, clock_timestamp())
	ON CONFLICT ON CONSTRAINT cluster_model_pkey DO UPDATE
	   SET features = EXCLUDED.features, k = EXCLUDED.k, seed = EXCLUDED.seed, means = EXCLUDED.means,
	       scales = EXCLUDED.scales, centroids = EXCLUDED.centroids, points = EXCLUDED.points,
	       passes = EXCLUDED.passes, converged = EXCLUDED.converged, inertia = EXCLUDED.inertia,
	       silhouette = EXCLUDED.silhouette, silhouette_sample = EXCLUDED.silhouette_sample,
	       fitted_at = EXCLUDED.fitted_at;
	INSERT INTO @extschema@.cluster_centroid (model, cluster, size, centroid, center)
	SELECT cluster_fit.name, i, r.sizes[i],
	       ARRAY(SELECT r.centroids[i][j] FROM generate_series(1, d) j ORDER BY j),
	       ARRAY(SELECT r.means[j] + r.centroids[i][j] * r.scales[j] FROM generate_series(1, d) j ORDER BY j)
	  FROM generate_series(1, k) i;
	RETURN QUERY SELECT c.cluster, c.size, c.center FROM @extschema@.cluster_centroid c
	              WHERE c.model = cluster_fit.name ORDER BY c.cluster;
	PERFORM @extschema@.progress_end();
END
$$;

-- 0.2.0: campaign_generate_leads reports its progress (src/sql/55_campaign.sql)
CREATE OR REPLACE FUNCTION @extschema@.campaign_generate_leads(campaign_id bigint)
RETURNS TABLE (reason text, parties bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	c record;
	initial text;
BEGIN
	-- lock the campaign: concurrent calls serialize, so a party is never added twice
	SELECT k.campaign_id, k.product_id, k.target_segment_id, k.process_name, k.state, ps.is_terminal
	  INTO c
	  FROM @extschema@.campaign k
	  JOIN @extschema@.process_state ps ON ps.process_name = 'campaign_lifecycle' AND ps.state = k.state
	 WHERE k.campaign_id = campaign_generate_leads.campaign_id
	   FOR NO KEY UPDATE OF k;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign % does not exist', campaign_generate_leads.campaign_id
			USING ERRCODE = 'no_data_found';
	END IF;
	IF c.is_terminal THEN
		RAISE EXCEPTION 'campaign % is %', c.campaign_id, c.state
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'Leads are generated only for campaigns that are not over.';
	END IF;
	IF c.target_segment_id IS NULL THEN
		RAISE EXCEPTION 'campaign % has no target segment', c.campaign_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Set campaign.target_segment_id to the segment whose members are to be called.';
	END IF;
	SELECT ps.state INTO initial
	  FROM @extschema@.process_state ps
	 WHERE ps.process_name = c.process_name AND ps.is_initial;
	PERFORM @extschema@.progress_begin('campaign_generate_leads', 'counting the members of the segment', 2);

	-- the counts first, then the leads: two plain statements over co-located
	-- tables, so that on Citus each runs in the shards
	RETURN QUERY
	SELECT r.reason, COALESCE(k.n, 0)::bigint
	  FROM pg_catalog.unnest(ARRAY['created', 'already_lead', 'closed', 'do_not_contact', 'no_consent',
	                               'holds_product', 'other_campaign']) WITH ORDINALITY r(reason, ord)
	  LEFT JOIN (
		SELECT CASE
		         WHEN EXISTS (SELECT 1 FROM @extschema@.lead l
		                       WHERE l.campaign_id = c.campaign_id AND l.party_id = m.party_id) THEN 'already_lead'
		         WHEN p.status = 'closed' THEN 'closed'
		         WHEN p.do_not_contact THEN 'do_not_contact'
		         WHEN NOT p.consent_marketing THEN 'no_consent'
		         WHEN EXISTS (SELECT 1 FROM @extschema@.holding h
		                       WHERE h.party_id = m.party_id AND h.product_id = c.product_id
		                         AND h.closed_on IS NULL) THEN 'holds_product'
		         WHEN EXISTS (SELECT 1 FROM @extschema@.lead l
		                        JOIN @extschema@.campaign o ON o.campaign_id = l.campaign_id
		                       WHERE l.party_id = m.party_id AND o.product_id = c.product_id
		                         AND o.campaign_id <> c.campaign_id
		                         AND o.state IN ('approved', 'active', 'paused')) THEN 'other_campaign'
		         ELSE 'created'
		       END AS reason,
		       pg_catalog.count(*) AS n
		  FROM @extschema@.segment_member m
		  JOIN @extschema@.party p ON p.party_id = m.party_id
		 WHERE m.segment_id = c.target_segment_id
		 GROUP BY 1) k ON k.reason = r.reason
	 ORDER BY r.ord;
	PERFORM @extschema@.progress_set(1);

	INSERT INTO @extschema@.lead (campaign_id, party_id, process_name, state)
	SELECT c.campaign_id, m.party_id, c.process_name, initial
	  FROM @extschema@.segment_member m
	  JOIN @extschema@.party p ON p.party_id = m.party_id
	 WHERE m.segment_id = c.target_segment_id
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.lead l
	                    WHERE l.campaign_id = c.campaign_id AND l.party_id = m.party_id)
	   AND p.status IS DISTINCT FROM 'closed'
	   AND NOT p.do_not_contact IS TRUE
	   AND NOT (NOT p.consent_marketing) IS TRUE
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.holding h
	                    WHERE h.party_id = m.party_id AND h.product_id = c.product_id
	                      AND h.closed_on IS NULL)
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.lead l
	                     JOIN @extschema@.campaign o ON o.campaign_id = l.campaign_id
	                    WHERE l.party_id = m.party_id AND o.product_id = c.product_id
	                      AND o.campaign_id <> c.campaign_id
	                      AND o.state IN ('approved', 'active', 'paused'))
	 ORDER BY m.party_id;
	PERFORM @extschema@.progress_end();
END
$$;

-- churn: the insert path appends a party's new weeks (churn_series_tail)
-- instead of rewriting its series; readers read churn_series_now; the
-- marks carry no foreign key
ALTER TABLE bankcrm_churn.churn_dirty DROP CONSTRAINT churn_dirty_party_id_fkey;

-- The weeks inserted since a party's series was last written: one row per
-- party and INSERT statement, appended, never updated, so that a new week
-- does not rewrite the series (about 1.9 kB a party at three years).  The
-- monitor folds a party's rows into its series once they hold a few weeks
-- (churn_process_dirty); a change or deletion of a row of activity_weekly
-- folds them first.  A party's series row exists whenever it has rows here.
CREATE TABLE bankcrm_churn.churn_series_tail (
	party_id  bigint NOT NULL,
	series    real[] NOT NULL
	          CONSTRAINT churn_series_tail_shape_check CHECK (pg_catalog.array_ndims(series) = 2 AND pg_catalog.array_length(series, 1) = 3)
);
CREATE INDEX churn_series_tail_party_idx ON bankcrm_churn.churn_series_tail (party_id);
COMMENT ON TABLE bankcrm_churn.churn_series_tail IS 'Weeks appended to a party''s churn series since it was last written, one row per party and INSERT statement on activity_weekly; read through churn_series_now, folded into churn_series by the churn monitor';
COMMENT ON COLUMN bankcrm_churn.churn_series_tail.series IS 'real[3][w0:w1] as in churn_series: the weeks of one statement''s rows';

-- the merge of a party's appended weeks (their weeks never overlap)
CREATE AGGREGATE @extschema@.churn_series_merge_agg(real[]) (
	SFUNC = @extschema@.churn_series_merge,
	STYPE = real[],
	COMBINEFUNC = @extschema@.churn_series_merge,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_series_merge_agg(real[]) IS 'The churn series of all the given series laid over each other (in no particular order: for series whose weeks do not overlap)';

-- every party's series as of now: its written series with the weeks
-- appended since; what every reader of the series reads
CREATE VIEW bankcrm_churn.churn_series_now WITH (security_invoker = true) AS
SELECT s.party_id,
       CASE WHEN t.series IS NULL THEN s.series ELSE @extschema@.churn_series_merge(s.series, t.series) END AS series,
       COALESCE(t.weeks, 0) AS tail_weeks
  FROM bankcrm_churn.churn_series s
  LEFT JOIN LATERAL (
        SELECT @extschema@.churn_series_merge_agg(x.series) AS series,
               pg_catalog.sum(pg_catalog.array_length(x.series, 2))::integer AS weeks
          FROM bankcrm_churn.churn_series_tail x
         WHERE x.party_id OPERATOR(pg_catalog.=) s.party_id) t ON true;
COMMENT ON VIEW bankcrm_churn.churn_series_now IS 'Each party''s churn series as of now: churn_series with the weeks of churn_series_tail laid over it';
COMMENT ON COLUMN bankcrm_churn.churn_series_now.tail_weeks IS 'Weeks of the series still in churn_series_tail (the monitor folds them)';

CREATE OR REPLACE FUNCTION @extschema@.churn_deviation(party_id bigint, week date DEFAULT NULL)
RETURNS SETOF @extschema@.churn_figures
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cal record;
	ser real[];
	kind text;
BEGIN
	SELECT s.series, p.kind INTO ser, kind
	  FROM bankcrm_churn.churn_series_now s
	  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) s.party_id
	 WHERE s.party_id OPERATOR(pg_catalog.=) churn_deviation.party_id
	   AND p.party_id OPERATOR(pg_catalog.=) churn_deviation.party_id;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	SELECT c.days, c.prev_days INTO cal FROM @extschema@.churn_calendar() c;
	RETURN QUERY
	SELECT f.*
	  FROM @extschema@.churn_evaluate(ser, @extschema@.churn_policy_for(kind), churn_deviation.week,
	                                  cal.days, cal.prev_days) f
	 ORDER BY f.metric;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_deviation(bigint, date) IS 'A party''s churn figures per metric as of a week (default: its last week with activity) under its policy and the holiday calendar: the rule that fired and the severity';

CREATE OR REPLACE FUNCTION @extschema@.churn_activity_truncated()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- On Citus the trigger also fires on each shard of activity_weekly
	-- (activity_weekly_<shard id>) on the workers, where a TRUNCATE of the
	-- distributed tables would be a distributed command run from a shard;
	-- there it does nothing, and the coordinator, where it fires on
	-- activity_weekly itself, empties churn_series and churn_dirty
	-- everywhere in the same transaction.
	IF TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'activity_weekly' THEN
		RETURN NULL;
	END IF;
	TRUNCATE bankcrm_churn.churn_series, bankcrm_churn.churn_series_tail, bankcrm_churn.churn_dirty;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_activity_truncated() IS 'After TRUNCATE on activity_weekly: empties churn_series, churn_series_tail and churn_dirty';

CREATE OR REPLACE FUNCTION @extschema@.churn_close_departed(as_of date DEFAULT NULL, silent_weeks integer DEFAULT 26,
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	upto date := churn_close_departed.as_of;
	closed bigint[];
	silent bigint[];
BEGIN
	IF churn_close_departed.silent_weeks IS NULL OR churn_close_departed.silent_weeks OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'silent_weeks must be at least 1'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'A party silent for this many weeks before as_of has left; 26 is two quarters.';
	END IF;
	-- the parties with an active alert: closed ones, and those whose
	-- activity ended silent_weeks or more before as_of (default: the latest
	-- week of any party's activity)
	IF upto IS NULL THEN
		SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO upto FROM bankcrm_churn.churn_series_now s;
	END IF;
	closed := ARRAY(SELECT DISTINCT a.party_id
	                  FROM @extschema@.churn_alert a
	                  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
	                 WHERE a.state IN ('open', 'acknowledged', 'in_remediation')
	                   AND p.status OPERATOR(pg_catalog.=) 'closed'
	                   AND (churn_close_departed.as_of IS NULL OR p.closed_on OPERATOR(pg_catalog.<=) churn_close_departed.as_of)
	                 ORDER BY 1);
	RETURN QUERY
	SELECT l.alert_id, l.party_id, l.metric, l.severity, l.event
	  FROM @extschema@.churn_lose_alerts(closed, 'The party closed its relationship with the bank.') l;
	IF upto IS NULL THEN
		RETURN;
	END IF;
	silent := ARRAY(SELECT DISTINCT a.party_id
	                  FROM @extschema@.churn_alert a
	                  JOIN bankcrm_churn.churn_series_now s ON s.party_id OPERATOR(pg_catalog.=) a.party_id
	                 WHERE a.state IN ('open', 'acknowledged', 'in_remediation')
	                   AND @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.<=)
	                       (upto OPERATOR(pg_catalog.-) (7 OPERATOR(pg_catalog.*) churn_close_departed.silent_weeks))
	                 ORDER BY 1);
	RETURN QUERY
	SELECT l.alert_id, l.party_id, l.metric, l.severity, l.event
	  FROM @extschema@.churn_lose_alerts(silent, pg_catalog.format('No activity for %s weeks or more.',
	                                                               churn_close_departed.silent_weeks)) l;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_close_departed(date, integer) IS 'Closes as lost (the churn_alert process, with history) every active churn alert of a party that is closed (by as_of) or whose activity ended silent_weeks or more before as_of (default: the latest week of any activity); returns the alerts closed';

CREATE OR REPLACE FUNCTION @extschema@.churn_model_rows(weeks date[], horizon_weeks integer, party_ids bigint[] DEFAULT NULL,
	OUT party_id bigint, OUT week date, OUT features double precision[], OUT exited boolean,
	OUT yearly_contribution double precision)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cal record;
	pol @extschema@.churn_policy;
	data_end date;
BEGIN
	IF churn_model_rows.horizon_weeks IS NULL OR churn_model_rows.horizon_weeks NOT BETWEEN 1 AND 104 THEN
		RAISE EXCEPTION 'horizon_weeks must be between 1 and 104'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT c.days, c.prev_days INTO cal FROM @extschema@.churn_calendar() c;
	pol := @extschema@.churn_policy_for('corporate');
	SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO data_end FROM bankcrm_churn.churn_series_now s;
	RETURN QUERY
	WITH w AS (SELECT DISTINCT u.week FROM pg_catalog.unnest(churn_model_rows.weeks) u(week) WHERE u.week IS NOT NULL),
	pw AS (
		SELECT s.party_id, w.week, s.series, p.onboarded_on, p.credit_rating,
		       CASE WHEN p.closed_on IS NOT NULL
		                 THEN LEAST(p.closed_on, @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.+) 7)
		            WHEN @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.<=) (data_end OPERATOR(pg_catalog.-) 28)
		                 THEN @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.+) 7 END AS exit_week
		  FROM bankcrm_churn.churn_series_now s
		  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) s.party_id
		  CROSS JOIN w
		 WHERE p.kind OPERATOR(pg_catalog.=) 'corporate'
		   AND (churn_model_rows.party_ids IS NULL OR s.party_id OPERATOR(pg_catalog.=) ANY (churn_model_rows.party_ids))
		   -- a half year of history, and still active in the week
		   AND w.week OPERATOR(pg_catalog.>=)
		       ('2000-01-03'::date OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) (pg_catalog.array_lower(s.series, 2) OPERATOR(pg_catalog.+) 26)))
		   AND w.week OPERATOR(pg_catalog.<=) @extschema@.churn_series_last_week(s.series)),
	hold AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS products,
		       (12 OPERATOR(pg_catalog.*) pg_catalog.sum(h.monthly_contribution))::double precision AS contribution
		  FROM pw JOIN @extschema@.holding h ON h.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE h.opened_on OPERATOR(pg_catalog.<=) pw.week
		   AND (h.closed_on IS NULL OR h.closed_on OPERATOR(pg_catalog.>) pw.week)
		 GROUP BY pw.party_id, pw.week),
	cont AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS n
		  FROM pw JOIN @extschema@.contact c ON c.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE c.occurred_at OPERATOR(pg_catalog.>=) (pw.week OPERATOR(pg_catalog.-) 175)
		   AND c.occurred_at OPERATOR(pg_catalog.<) (pw.week OPERATOR(pg_catalog.+) 7)
		 GROUP BY pw.party_id, pw.week),
	comp AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS n
		  FROM pw JOIN @extschema@.complaint c ON c.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE c.received_at OPERATOR(pg_catalog.>=) (pw.week OPERATOR(pg_catalog.-) 357)
		   AND c.received_at OPERATOR(pg_catalog.<) (pw.week OPERATOR(pg_catalog.+) 7)
		 GROUP BY pw.party_id, pw.week)
	SELECT pw.party_id, pw.week,
	       @extschema@.churn_features(pw.series, pw.week, pol, cal.days, cal.prev_days)
	       OPERATOR(pg_catalog.||) ARRAY[
	           COALESCE(hold.products, 0)::double precision,
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) GREATEST(COALESCE(hold.contribution, 0), 0)) OPERATOR(pg_catalog./) 10::double precision,
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) COALESCE(cont.n, 0)),
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) COALESCE(comp.n, 0)),
	           COALESCE((22 OPERATOR(pg_catalog.-) @extschema@.notch(pw.credit_rating))::double precision OPERATOR(pg_catalog./) 21::double precision, 0.5),
	           LEAST(GREATEST(COALESCE((pw.week OPERATOR(pg_catalog.-) pw.onboarded_on)::double precision
	                                   OPERATOR(pg_catalog./) 365.25::double precision, 0), 0), 30)],
	       CASE WHEN pw.exit_week IS NOT NULL
	                 AND pw.exit_week OPERATOR(pg_catalog.<=) (pw.week OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) churn_model_rows.horizon_weeks)) THEN true
	            WHEN (pw.week OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) churn_model_rows.horizon_weeks)) OPERATOR(pg_catalog.<=) data_end THEN false END,
	       COALESCE(hold.contribution, 0)
	  FROM pw
	  LEFT JOIN hold ON hold.party_id OPERATOR(pg_catalog.=) pw.party_id AND hold.week OPERATOR(pg_catalog.=) pw.week
	  LEFT JOIN cont ON cont.party_id OPERATOR(pg_catalog.=) pw.party_id AND cont.week OPERATOR(pg_catalog.=) pw.week
	  LEFT JOIN comp ON comp.party_id OPERATOR(pg_catalog.=) pw.party_id AND comp.week OPERATOR(pg_catalog.=) pw.week;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_model_rows(date[], integer, bigint[]) IS 'The churn model''s rows: per corporate (of party_ids, NULL: all) active in each week with a half year of history, its features as of the week, whether it exited within horizon_weeks (NULL while unknown) and its yearly contribution';

CREATE OR REPLACE FUNCTION @extschema@.churn_probability(party_id bigint, week date DEFAULT NULL, model_id integer DEFAULT NULL)
RETURNS double precision
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	coef double precision[];
	horizon integer;
	w date := churn_probability.week;
	p double precision;
BEGIN
	SELECT m.coef, m.horizon_weeks INTO coef, horizon FROM @extschema@.churn_model m
	 WHERE m.model_id OPERATOR(pg_catalog.=) COALESCE(churn_probability.model_id, @extschema@.churn_model_current());
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no churn model %', COALESCE(churn_probability.model_id::text, 'is trained')
			USING ERRCODE = 'no_data_found',
			      HINT = 'Train one with churn_model_train(name, weeks_from, weeks_to).';
	END IF;
	IF w IS NULL THEN
		SELECT @extschema@.churn_series_last_week(s.series) INTO w FROM bankcrm_churn.churn_series_now s
		 WHERE s.party_id OPERATOR(pg_catalog.=) churn_probability.party_id;
	END IF;
	SELECT @extschema@.churn_logreg_predict(coef, r.features) INTO p
	  FROM @extschema@.churn_model_rows(ARRAY[w], horizon, ARRAY[churn_probability.party_id]) r;
	RETURN p;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_probability(bigint, date, integer) IS 'The probability that a corporate exits within the model''s horizon, as of a week (default: its last week) from the data up to that week, under a model (default: the newest); NULL for a party not active then or with less than a half year of history';

CREATE OR REPLACE FUNCTION @extschema@.churn_score_week(week date DEFAULT NULL, model_id integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	w date := churn_score_week.week;
	n integer;
BEGIN
	SELECT x.model_id, x.coef, x.horizon_weeks INTO m FROM @extschema@.churn_model x
	 WHERE x.model_id OPERATOR(pg_catalog.=) COALESCE(churn_score_week.model_id, @extschema@.churn_model_current());
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no churn model %', COALESCE(churn_score_week.model_id::text, 'is trained')
			USING ERRCODE = 'no_data_found',
			      HINT = 'Train one with churn_model_train(name, weeks_from, weeks_to).';
	END IF;
	IF w IS NULL THEN
		SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO w FROM bankcrm_churn.churn_series_now s;
	END IF;
	IF w IS NULL THEN
		RETURN 0;
	END IF;
	IF pg_catalog.date_part('isodow', w) OPERATOR(pg_catalog.<>) 1 THEN
		RAISE EXCEPTION 'week must be a Monday'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = pg_catalog.format('%s is not the first day of an ISO week.', w),
			      HINT = 'Use date_trunc(''week'', d)::date.';
	END IF;
	DELETE FROM @extschema@.churn_score s
	 WHERE s.week OPERATOR(pg_catalog.=) w AND s.model_id OPERATOR(pg_catalog.=) m.model_id;
	INSERT INTO @extschema@.churn_score (party_id, week, model_id, probability, yearly_contribution, at_risk)
	SELECT r.party_id, r.week, m.model_id, x.p, r.yearly_contribution, x.p OPERATOR(pg_catalog.*) r.yearly_contribution
	  FROM @extschema@.churn_model_rows(ARRAY[w], m.horizon_weeks) r,
	       LATERAL (SELECT @extschema@.churn_logreg_predict(m.coef, r.features) AS p) x;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_score_week(date, integer) IS 'Scores every corporate active in a week (default: the latest week of activity) under a model (default: the newest) into churn_score, replacing that week''s scores of the model; returns the parties scored';

CREATE OR REPLACE VIEW @extschema@.churn_dashboard WITH (security_invoker = true) AS
SELECT a.alert_id,
       a.party_id,
       p.name AS party_name,
       p.kind AS party_kind,
       a.branch_id,
       b.name AS branch_name,
       a.severity,
       a.state,
       a.metric,
       a.rule,
       a.first_week,
       a.last_week,
       (GREATEST(a.last_week, @extschema@.churn_series_last_week(s.series)) OPERATOR(pg_catalog.-) a.first_week)
           OPERATOR(pg_catalog./) 7 AS weeks_open,
       pg_catalog.now() OPERATOR(pg_catalog.-) a.raised_at AS age,
       pg_catalog.round(a.level_drop_pct::numeric, 1)::double precision AS level_drop_pct,
       a.rm_id,
       a.branch_manager_id,
       a.team_id,
       -- cents: the series is kept as real, whose binary noise a display shows
       @extschema@.churn_sparkline(s.series, a.metric, a.last_week, 26)::numeric(20, 2)[]::double precision[] AS sparkline,
       sc.probability,
       sc.yearly_contribution,
       sc.at_risk AS contribution_at_risk,
       pg_catalog.round((pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) a.raised_at)
                         OPERATOR(pg_catalog./) 86400)::numeric, 1) AS age_days
  FROM @extschema@.churn_alert a
  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
  LEFT JOIN @extschema@.branch b ON b.branch_id OPERATOR(pg_catalog.=) a.branch_id
  LEFT JOIN bankcrm_churn.churn_series_now s ON s.party_id OPERATOR(pg_catalog.=) a.party_id
  -- the party's latest score, of the newest model that scored that week
  -- (grouped by party_id, the distribution column: on Citus it runs in
  -- the shards)
  LEFT JOIN (SELECT DISTINCT ON (x.party_id) x.party_id, x.probability, x.yearly_contribution, x.at_risk
               FROM @extschema@.churn_score x
              ORDER BY x.party_id, x.week DESC, x.model_id DESC) sc ON sc.party_id OPERATOR(pg_catalog.=) a.party_id
 WHERE a.state IN ('open', 'acknowledged', 'in_remediation') AND p.status OPERATOR(pg_catalog.<>) 'closed';

GRANT ALL ON bankcrm_churn.churn_series_tail, bankcrm_churn.churn_series_now TO bankcrm_admin;
GRANT SELECT ON bankcrm_churn.churn_series_tail, bankcrm_churn.churn_series_now TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON bankcrm_churn.churn_series_tail TO bankcrm_app;
ALTER TABLE bankcrm_churn.churn_series_tail ENABLE ROW LEVEL SECURITY;
CREATE POLICY churn_series_tail_all ON bankcrm_churn.churn_series_tail FOR ALL TO bankcrm_admin, bankcrm_app USING (true) WITH CHECK (true);
CREATE POLICY churn_series_tail_covered ON bankcrm_churn.churn_series_tail FOR SELECT TO bankcrm_manager, bankcrm_rm
	USING (@extschema@.party_visible(party_id));


-- the distribution plan with every table added since 0.1.0 (wallet_estimate,
-- churn_series_tail); on Citus, distribute() lays them out (doc/scale-out.md)
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
		(56, '@extschema@.wallet_estimate', 'distributed'),
		-- distributed since: the weeks appended to the churn series
		(57, 'bankcrm_churn.churn_series_tail', 'distributed')
	) v(o, t, k)
	 ORDER BY v.o
$$;

-- one list of party kinds: party_kinds() (20_party.sql); the CHECKs of
-- party, product and churn_policy read it
CREATE FUNCTION @extschema@.party_kinds()
	RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$SELECT '{individual,corporate,financial_institution,government}'::pg_catalog.text[]$$;
COMMENT ON FUNCTION @extschema@.party_kinds() IS 'The kinds of party, in order: individual, corporate, financial_institution, government; the one list that party.kind, product.for_kind and churn_policy.party_kind are checked against';
CREATE FUNCTION @extschema@.library_vocabulary(vocabulary text)
	RETURNS text[]
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	AS 'MODULE_PATHNAME', 'library_vocabulary';
COMMENT ON FUNCTION @extschema@.library_vocabulary(text) IS 'The words of a vocabulary (party_kind) as the loaded C library knows them, in order: equal to party_kinds() when library and install script belong together';
ALTER TABLE @extschema@.party DROP CONSTRAINT party_kind_check;
ALTER TABLE @extschema@.party ADD CONSTRAINT party_kind_check
	CHECK (kind OPERATOR(pg_catalog.=) ANY (@extschema@.party_kinds()));
ALTER TABLE @extschema@.product DROP CONSTRAINT product_for_kind_check;
ALTER TABLE @extschema@.product ADD CONSTRAINT product_for_kind_check
	CHECK (for_kind OPERATOR(pg_catalog.<@) @extschema@.party_kinds());
ALTER TABLE @extschema@.product ALTER COLUMN for_kind SET DEFAULT @extschema@.party_kinds();
ALTER TABLE @extschema@.churn_policy DROP CONSTRAINT churn_policy_party_kind_check;
ALTER TABLE @extschema@.churn_policy ADD CONSTRAINT churn_policy_party_kind_check
	CHECK (party_kind OPERATOR(pg_catalog.=) ANY (@extschema@.party_kinds()));

-- what each operator's function is (every function of the extension has a comment)
COMMENT ON FUNCTION @extschema@.credit_rating_lt_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating < text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_lt_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text < credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_le_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating <= text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_le_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text <= credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_eq_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating = text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_eq_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text = credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_ne_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating <> text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_ne_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text <> credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_ge_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating >= text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_ge_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text >= credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.credit_rating_gt_text(@extschema@.credit_rating, pg_catalog.text) IS 'The operator credit_rating > text: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_gt_credit_rating(pg_catalog.text, @extschema@.credit_rating) IS 'The operator text > credit_rating: the text read as a credit rating (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.phone_eq_text(@extschema@.phone, pg_catalog.text) IS 'The operator phone = text: the text read as a phone number (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_eq_phone(pg_catalog.text, @extschema@.phone) IS 'The operator text = phone: the text read as a phone number (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.phone_ne_text(@extschema@.phone, pg_catalog.text) IS 'The operator phone <> text: the text read as a phone number (its input function), then compared; for parameters that drivers bind as text or varchar';
COMMENT ON FUNCTION @extschema@.text_ne_phone(pg_catalog.text, @extschema@.phone) IS 'The operator text <> phone: the text read as a phone number (its input function), then compared; for parameters that drivers bind as text or varchar';
