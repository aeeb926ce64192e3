-- test/pgtap/grants.sql: every function of the extension works for every
-- role it is granted to.  Each function with EXECUTE for a bankcrm role
-- (immutable ones that read no table excepted) has a call below; the suite
-- runs each call as a login role of each granted bankcrm role, in a
-- subtransaction that is rolled back, and fails on a privilege error
-- (permission denied for a table, sequence, function or schema, "must be
-- superuser/owner").  Business refusals (a lead not yours, a closed lead)
-- are the functions' own answers and count as working.  A function granted
-- to a role but missing from the call list fails the suite, so it cannot go
-- stale.
BEGIN;
SELECT plan(3);

-- a small world with ids far from the generated data
INSERT INTO bankcrm.region (region_code, name, province, tz) VALUES ('ZZ-GR', 'Grant city', 'Grant province', 'Asia/Shanghai');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (990001, 'GR-1', 'Grant branch', 'ZZ-GR');
INSERT INTO bankcrm.team (team_id, branch_id, name) VALUES (990001, 990001, 'Grant team');
CREATE ROLE gr_admin LOGIN IN ROLE bankcrm_admin;
CREATE ROLE gr_manager LOGIN IN ROLE bankcrm_manager;
CREATE ROLE gr_rm LOGIN IN ROLE bankcrm_rm;
CREATE ROLE gr_analyst LOGIN IN ROLE bankcrm_analyst;
CREATE ROLE gr_app LOGIN IN ROLE bankcrm_app;
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, team_id, db_role) VALUES
	(990001, 'Grant RM', 'rm', 990001, 990001, 'gr_rm'),
	(990002, 'Grant lead', 'team_lead', 990001, 990001, 'gr_manager'),
	(990003, 'Grant analyst', 'analyst', 990001, NULL, 'gr_analyst');
INSERT INTO bankcrm.party (party_id, kind, name, region_code, home_branch_id, status, onboarded_on, consent_marketing) VALUES
	(9900000001, 'individual', 'Grant one', 'ZZ-GR', 990001, 'active', '2020-01-01', true),
	(9900000002, 'individual', 'Grant two', 'ZZ-GR', 990001, 'active', '2020-01-01', true);
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from) VALUES
	(9900000001, 990001, 'primary_rm', '2020-01-01'), (9900000002, 990001, 'primary_rm', '2020-01-01');
INSERT INTO bankcrm.party_phone (party_id, phone, is_primary) VALUES
	(9900000001, '+8613599000001', true), (9900000002, '+8613599000002', true);
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume)
SELECT 9900000001, '2026-04-06'::date + 7 * i, CASE WHEN i >= 8 THEN 60 ELSE 100 END FROM generate_series(0, 9) i;
INSERT INTO bankcrm.segment (segment_id, name, kind, rule) VALUES
	(990001, 'grant rich', 'rule', 'aum >= 0'), (990002, 'grant corporate', 'rule', $$kind = 'corporate'$$);
INSERT INTO bankcrm.product (product_id, code, name, category) VALUES (990001, 'GR-CARD', 'Grant card', 'card');
INSERT INTO bankcrm.campaign (campaign_id, name, product_id, target_segment_id) VALUES (990001, 'Grant campaign', 990001, 990002);
SELECT bankcrm.fsm_fire('bankcrm.campaign', 990001, 'approve');
SELECT bankcrm.fsm_fire('bankcrm.campaign', 990001, 'launch');
INSERT INTO bankcrm.lead (lead_id, campaign_id, party_id, process_name, state, assigned_to, assigned_at) VALUES
	(990001, 990001, 9900000001, 'outbound_sale', 'review_customer', 990001, now()),
	(990002, 990001, 9900000002, 'outbound_sale', 'review_customer', 990001, now());
SELECT bankcrm.lead_fire(l, 'customer_reviewed'), bankcrm.lead_fire(l, 'product_reviewed') FROM unnest(ARRAY[990001, 990002]::bigint[]) l;
INSERT INTO bankcrm.pbx (pbx_id, name, host, port, username, secret) VALUES (990001, 'grant', '127.0.0.1', 1, 'crm', 'crmsecret');
INSERT INTO bankcrm.dial_settings (campaign_id, pbx_id, mode) VALUES (990001, 990001, 'preview');
INSERT INTO bankcrm.dialer_agent (staff_id, campaign_id, extension, state) VALUES (990001, 990001, '2001', 'ready');
SELECT bankcrm.dialer_queue(990001, 9900000002, now() + interval '1 day') AS gr_attempt \gset
INSERT INTO bankcrm.churn_alert (party_id, metric, severity, rule, first_week, last_week)
VALUES (9900000001, 'txn_volume', 'watch', 'drift', '2026-05-25', '2026-06-08') RETURNING alert_id AS gr_alert \gset
SELECT bankcrm.churn_remediation_log(:gr_alert, 'marketing') AS gr_remediation \gset
-- a behavioural cluster model to assign from, a churn model to score with
SELECT count(*) FROM bankcrm.cluster_fit('grant', ARRAY['aum', 'loans'], 2, 0, 500);
SELECT bankcrm.churn_model_train('grant setup', '2025-06-02', '2026-06-08') > 0;

CREATE TEMP TABLE gr_call (fn regprocedure PRIMARY KEY, call text NOT NULL);
INSERT INTO gr_call VALUES
	('bankcrm.phone_parse(text,integer)', $$bankcrm.phone_parse('(010) 5124-6210', 86)$$),
	('bankcrm.current_staff_id()', $$bankcrm.current_staff_id()$$),
	('bankcrm.visible_party_array()', $$bankcrm.visible_party_array()$$),
	('bankcrm.party_visible(bigint)', $$bankcrm.party_visible(9900000001)$$),
	('bankcrm.staff_visible(integer)', $$bankcrm.staff_visible(990001)$$),
	('bankcrm.team_lead_campaign(bigint)', $$bankcrm.team_lead_campaign(990001)$$),
	('bankcrm.history_visible(regclass,bigint)', $$bankcrm.history_visible('bankcrm.lead', 990001)$$),
	('bankcrm.progress_slots()', $$count(*) FROM bankcrm.progress_slots()$$),
	('bankcrm.progress_begin(text,text,bigint)', $$bankcrm.progress_begin('grants', 'one', 10)$$),
	('bankcrm.progress_phase(text,bigint)', $$bankcrm.progress_phase('two', 10)$$),
	('bankcrm.progress_set(bigint)', $$bankcrm.progress_set(5)$$),
	('bankcrm.progress_end()', $$bankcrm.progress_end()$$),
	('bankcrm.score_model_resolve(text)', $$bankcrm.score_model_resolve(NULL)$$),
	('bankcrm.score_preview(text,date)', $$count(*) FROM bankcrm.score_preview(NULL, '2026-11-30')$$),
	('bankcrm.product_affinity_refresh(text,date)', $$bankcrm.product_affinity_refresh(NULL, '2026-11-30')$$),
	('bankcrm.score_all(text,date,boolean)', $$bankcrm.score_all(NULL, '2026-11-30', false)$$),
	('bankcrm.score_history_prune(text,date)', $$bankcrm.score_history_prune(NULL, '2026-11-30')$$),
	('bankcrm.recommend_products_batch(bigint[],integer,text)', $$count(*) FROM bankcrm.recommend_products_batch(ARRAY[9900000001], 3, NULL)$$),
	('bankcrm.recommend_products(bigint,integer,text)', $$count(*) FROM bankcrm.recommend_products(9900000001, 3, NULL)$$),
	('bankcrm.pareto(numeric,text)', $$count(*) FROM bankcrm.pareto(0.2, 'contribution')$$),
	('bankcrm.segment_check_rule(text)', $$bankcrm.segment_check_rule('aum >= 0')$$),
	('bankcrm.segment_member_query(text,text,jsonb)', $$bankcrm.segment_member_query('rule', 'aum >= 0', NULL)$$),
	('bankcrm.segment_preview(text)', $$count(*) FROM bankcrm.segment_preview('aum >= 0')$$),
	('bankcrm.segment_refresh(bigint)', $$count(*) FROM bankcrm.segment_refresh(990001)$$),
	('bankcrm.segment_refresh_all()', $$count(*) FROM bankcrm.segment_refresh_all()$$),
	('bankcrm.segment_counts()', $$count(*) FROM bankcrm.segment_counts()$$),
	('bankcrm.segment_overlap(bigint,bigint)', $$count(*) FROM bankcrm.segment_overlap(990001, 990002)$$),
	('bankcrm.segment_recommendations(bigint,integer,text)', $$count(*) FROM bankcrm.segment_recommendations(990001, 3, NULL)$$),
	('bankcrm.fsm_next(text,text,text)', $$bankcrm.fsm_next('outbound_sale', 'review_customer', 'customer_reviewed')$$),
	('bankcrm.fsm_events(text,text)', $$bankcrm.fsm_events('outbound_sale', 'review_customer')$$),
	('bankcrm.fsm_problems(text)', $$bankcrm.fsm_problems('outbound_sale')$$),
	('bankcrm.fsm_validate(text)', $$bankcrm.fsm_validate('outbound_sale')$$),
	('bankcrm.fsm_fire(regclass,bigint,text,text,timestamp with time zone)', $$bankcrm.fsm_fire('bankcrm.lead', 990001, 'call_answered')$$),
	('bankcrm.visible_staff_ids()', $$bankcrm.visible_staff_ids()$$),
	('bankcrm.campaign_generate_leads(bigint)', $$bankcrm.campaign_generate_leads(990001)$$),
	('bankcrm.campaign_assign(bigint,text)', $$count(*) FROM bankcrm.campaign_assign(990001)$$),
	('bankcrm.lead_reassign(bigint,integer)', $$bankcrm.lead_reassign(990001, 990001)$$),
	('bankcrm.lead_fire(bigint,text,text,timestamp with time zone)', $$bankcrm.lead_fire(990001, 'call_answered')$$),
	('bankcrm.log_contact(bigint,text,text,text,text,timestamp with time zone,text,timestamp with time zone,integer)', $$bankcrm.log_contact(990001, 'phone_out', 'interested')$$),
	('bankcrm.churn_calendar()', $$bankcrm.churn_calendar()$$),
	('bankcrm.churn_policy_for(text)', $$bankcrm.churn_policy_for('individual')$$),
	('bankcrm.churn_deviation(bigint,date)', $$count(*) FROM bankcrm.churn_deviation(9900000001)$$),
	('bankcrm.churn_wake_monitor()', $$bankcrm.churn_wake_monitor()$$),
	('bankcrm.churn_alert_fire(bigint,text,text)', format('bankcrm.churn_alert_fire(%s, %L)', :gr_alert, 'resolve')),
	('bankcrm.churn_remediation_log(bigint,text,text,integer)', format('bankcrm.churn_remediation_log(%s, %L)', :gr_alert, 'fee_waiver')),
	('bankcrm.churn_remediation_outcome(bigint,text,text)', format('bankcrm.churn_remediation_outcome(%s, %L)', :gr_remediation, 'retained')),
	('bankcrm.churn_evaluate_hits(bigint[],date)', $$count(*) FROM bankcrm.churn_evaluate_hits(ARRAY[9900000001], '2026-06-08')$$),
	('bankcrm.churn_apply_hits(bankcrm.churn_hit[])', $$bankcrm.churn_apply_hits(ARRAY[]::bankcrm.churn_hit[])$$),
	('bankcrm.churn_apply(bigint[],date)', $$bankcrm.churn_apply(ARRAY[9900000001], '2026-06-08')$$),
	('bankcrm.churn_notify(bigint,bigint,text,text,text)', $$bankcrm.churn_notify(1, 9900000001, 'txn_volume', 'watch', 'raised')$$),
	('bankcrm.churn_scan(date)', $$bankcrm.churn_scan('2026-06-08')$$),
	('bankcrm.churn_process_dirty(integer)', $$bankcrm.churn_process_dirty(10)$$),
	('bankcrm.dial_next_window(bigint,bigint,timestamp with time zone)', $$bankcrm.dial_next_window(990001, 9900000001, now())$$),
	('bankcrm.dial_check_lead_open(bigint,text,text)', $$bankcrm.dial_check_lead_open(990001, 'outbound_sale', 'first_call')$$),
	('bankcrm.dialer_queue(bigint,bigint,timestamp with time zone,bigint,bankcrm.phone)', $$bankcrm.dialer_queue(990001, 9900000001)$$),
	('bankcrm.dialer_enqueue(bigint,timestamp with time zone)', $$bankcrm.dialer_enqueue(990001)$$),
	('bankcrm.dial(bigint)', $$bankcrm.dial(990001)$$),
	('bankcrm.dialer_cancel(bigint)', format('bankcrm.dialer_cancel(%s)', :gr_attempt)),
	('bankcrm.dialer_launch(integer)', $$bankcrm.dialer_launch(990001) > 0$$),
	('bankcrm.dialer_pid(integer)', $$bankcrm.dialer_pid(990001)$$),
	('bankcrm.lead_event_replay(bigint)', $$bankcrm.lead_event_replay()$$),
	('bankcrm.dialer_stop(integer)', $$bankcrm.dialer_stop(990001)$$),
	('bankcrm.visible_party_ids(name)', $$count(*) FROM bankcrm.visible_party_ids(current_user)$$),
	('bankcrm.distribution_plan()', $$count(*) FROM bankcrm.distribution_plan()$$),
	('bankcrm.churn_close_departed(date,integer)', $$count(*) FROM bankcrm.churn_close_departed('2026-06-08', 26)$$),
	('bankcrm.churn_lose_alerts(bigint[],text)', $$count(*) FROM bankcrm.churn_lose_alerts(ARRAY[9900000002]::bigint[], 'grant test')$$),
	('bankcrm.churn_model_current()', $$bankcrm.churn_model_current()$$),
	('bankcrm.churn_model_rows(date[],integer,bigint[])', $$count(*) FROM bankcrm.churn_model_rows(ARRAY['2026-06-08'::date], 26, ARRAY[9900000001]::bigint[])$$),
	('bankcrm.churn_model_train(text,date,date,integer,integer,double precision)', $$bankcrm.churn_model_train('grant', '2025-06-02', '2026-06-08') > 0$$),
	('bankcrm.churn_probability(bigint,date,integer)', $$bankcrm.churn_probability(9900000001, '2026-06-08')$$),
	('bankcrm.churn_score_week(date,integer)', $$bankcrm.churn_score_week('2026-06-08')$$),
	('bankcrm.cluster_check_feature(text)', $$bankcrm.cluster_check_feature('aum')$$),
	('bankcrm.cluster_feature_query(text[])', $$bankcrm.cluster_feature_query(ARRAY['aum', 'loans'])$$),
	('bankcrm.cluster_member_query(jsonb)', $$bankcrm.cluster_member_query('{"cluster_model": "grant", "cluster": 1}')$$),
	('bankcrm.cluster_compute(text[],integer,bigint,integer,integer,integer,integer,double precision,integer)', $$count(*) FROM bankcrm.cluster_compute(ARRAY['aum', 'loans'], 2, 0, 500)$$),
	('bankcrm.cluster_fit(text,text[],integer,bigint,integer,integer,integer,integer,double precision,integer)', $$count(*) FROM bankcrm.cluster_fit('grant refit', ARRAY['aum', 'loans'], 2, 0, 500)$$),
	('bankcrm.cluster_choose_k(text[],integer[],bigint,integer,integer,integer)', $$count(*) FROM bankcrm.cluster_choose_k(ARRAY['aum', 'loans'], ARRAY[2], 0, 500)$$),
	('bankcrm.cluster_assign(text)', $$count(*) FROM bankcrm.cluster_assign('grant')$$),
	('bankcrm.guarantor_chain_rows()', $$count(*) FROM bankcrm.guarantor_chain_rows()$$),
	('bankcrm.relationship_group_of(bigint[],regclass)', $$count(*) FROM bankcrm.relationship_group_of(ARRAY[9900000001]::bigint[])$$),
	('bankcrm.relationship_group_refresh()', $$count(*) FROM bankcrm.relationship_group_refresh()$$),
	('bankcrm.svg_value_pyramid(text)', $$bankcrm.svg_value_pyramid()$$),
	('bankcrm.svg_pareto(text,numeric,integer)', $$bankcrm.svg_pareto()$$),
	('bankcrm.svg_funnel(bigint)', $$bankcrm.svg_funnel(990001)$$),
	('bankcrm.svg_churn_dashboard(integer)', $$bankcrm.svg_churn_dashboard()$$),
	('bankcrm.svg_party_slide(bigint,integer)', $$bankcrm.svg_party_slide(9900000001)$$);

-- the extension's callable functions and the bankcrm roles each is granted to
CREATE TEMP VIEW gr_granted AS
SELECT p.oid::regprocedure AS fn, r.rolname AS base_role
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
                  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bankcrm')
  CROSS JOIN (VALUES ('bankcrm_admin'), ('bankcrm_manager'), ('bankcrm_rm'), ('bankcrm_analyst'), ('bankcrm_app')) r(rolname)
 WHERE p.prokind = 'f' AND p.provolatile <> 'i'
   AND p.prorettype NOT IN ('trigger'::regtype, 'internal'::regtype, 'event_trigger'::regtype)
   AND NOT ('internal'::regtype = ANY (p.proargtypes::oid[]))
   AND has_function_privilege(r.rolname, p.oid, 'EXECUTE');

SELECT is((SELECT string_agg(DISTINCT g.fn::text, ', ') FROM gr_granted g WHERE NOT EXISTS (SELECT 1 FROM gr_call c WHERE c.fn = g.fn)),
	NULL, 'every function granted to a bankcrm role has a call in this suite');

-- run a call as a role in a subtransaction that is always rolled back;
-- 'ok' or 'SQLSTATE message'
CREATE FUNCTION pg_temp.gr_try(login name, call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
BEGIN
	BEGIN
		EXECUTE format('SET LOCAL ROLE %I', login);
		EXECUTE 'SELECT ' || call;
		RAISE EXCEPTION USING ERRCODE = 'P0099';
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	END;
	RETURN CASE WHEN st = 'P0099' THEN 'ok' ELSE st || ' ' || msg END;
END $$;

CREATE TEMP TABLE gr_result AS
SELECT g.fn, g.base_role, pg_temp.gr_try('gr_' || substr(g.base_role, 9), c.call) AS result
  FROM gr_granted g JOIN gr_call c ON c.fn = g.fn;

SELECT is((SELECT string_agg(format('%s as %s: %s', fn, base_role, result), E'\n' ORDER BY fn::text, base_role)
             FROM gr_result
            WHERE (result LIKE '42501 permission denied for %' OR result LIKE '42501 must be%' OR result LIKE 'XX%')
              -- fsm_fire is for every role on its own tables (sql/fsm.sql: a clerk on a
              -- loan table); on a lead the lead's privileges decide, and the analyst has none
              AND NOT (fn = 'bankcrm.fsm_fire(regclass,bigint,text,text,timestamp with time zone)'::regprocedure
                       AND base_role = 'bankcrm_analyst' AND result = '42501 permission denied for table lead')),
	NULL, 'no function fails for a role it is granted to with a privilege error');

-- and most of them simply work: the refusals that remain are the functions' own
SELECT is((SELECT string_agg(format('%s as %s: %s', fn, base_role, result), E'\n' ORDER BY fn::text, base_role)
             FROM gr_result
            WHERE result <> 'ok'
              AND NOT (fn = 'bankcrm.fsm_fire(regclass,bigint,text,text,timestamp with time zone)'::regprocedure
                       AND base_role = 'bankcrm_analyst' AND result = '42501 permission denied for table lead')
              AND result NOT LIKE '42501 lead % is not assigned to you'
              AND result NOT LIKE '42501 permission denied to reassign lead %'
              AND result NOT LIKE '42501 only %'
              AND result NOT LIKE '55006 %'),
	NULL, 'every other call works');

SELECT * FROM finish();
ROLLBACK;
