-- dialer_predictive: the SQL side of predictive dialing without a worker:
-- one vocabulary of call outcomes (the C side, the catalogue, the CHECKs, the
-- lead events), the claim under the pacing's allowance (context, exten, ring
-- of at least 15 s, the machine message), connects, the finish of answered,
-- abandoned and machine calls (AMD verdict and cause, lead events, the
-- machine retry rule), the 72-hour rule, what the pacing reads, the status view,
-- agents' wrap-up after a call
SET search_path = bankcrm, public;
\set VERBOSITY terse
SET client_min_messages = warning;

-- one vocabulary: what the worker's C code reports is the catalogue ...
SELECT (SELECT array_agg(n ORDER BY n) FROM unnest(dialer_outcome_names()) n)
     = (SELECT array_agg(outcome ORDER BY outcome) FROM call_outcomes()) AS c_matches_catalogue;
-- ... every outcome is allowed by call_attempt's and contact's CHECKs ...
SELECT o.outcome,
       pg_get_constraintdef(a.oid) LIKE '%''' || o.outcome || '''%' AS call_attempt,
       pg_get_constraintdef(c.oid) LIKE '%''' || o.outcome || '''%' AS contact,
       o.lead_event, o.live
  FROM call_outcomes() o,
       pg_constraint a, pg_constraint c
 WHERE a.conname = 'call_attempt_outcome_check' AND c.conname = 'contact_outcome_check'
 ORDER BY o.outcome;
-- ... and nothing else is
SELECT count(*) AS outcomes_in_the_check FROM pg_constraint k,
       regexp_matches(pg_get_constraintdef(k.oid), '''([a-z_]+)''', 'g') m
 WHERE k.conname = 'call_attempt_outcome_check';
-- the lead events it fires exist in the sales process for the states a call leaves the lead in
SELECT DISTINCT o.lead_event, s.state,
       EXISTS (SELECT 1 FROM process_transition t WHERE t.process_name = 'outbound_sale'
                 AND t.from_state = s.state AND t.event = o.lead_event) AS taken
  FROM call_outcomes() o, (VALUES ('first_call'), ('follow_up_call')) s(state)
 WHERE o.lead_event IS NOT NULL
 ORDER BY 1, 2;

-- a predictive campaign with three agents
INSERT INTO region VALUES ('ZZ-DP', 'Predictive city', 'Predictive province', 'Asia/Shanghai');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (951, 'PRED-1', 'Predictive branch', 'ZZ-DP');
INSERT INTO staff (staff_id, name, role_kind, branch_id) SELECT g, 'Agent ' || g, 'agent', 951 FROM generate_series(951, 953) g;
INSERT INTO party (party_id, kind, name, region_code, consent_marketing)
SELECT g, 'individual', 'Customer ' || g, 'ZZ-DP', true FROM generate_series(951, 958) g;
INSERT INTO party_phone (party_id, phone, is_primary) SELECT g, ('+86137' || lpad(g::text, 8, '0'))::phone, true FROM generate_series(951, 958) g;
INSERT INTO product (product_id, code, name, category) VALUES (951, 'PRED-CARD', 'Predictive card', 'card');
INSERT INTO campaign (campaign_id, name, product_id) VALUES (951, 'Predictive cards', 951);
SELECT fsm_fire('bankcrm.campaign', 951, 'approve'), fsm_fire('bankcrm.campaign', 951, 'launch');
INSERT INTO pbx (pbx_id, name, host, port, username, secret, max_channels, max_cps) VALUES (2, 'pred', '127.0.0.1', 5038, 'crm', 'crmsecret', 20, 50);
INSERT INTO dial_settings (campaign_id, pbx_id, mode, dial_timeout_ms, window_start, window_end, call_days, skip_holidays, machine_message)
VALUES (951, 2, 'predictive', 8000, '00:00', '23:59:59.999999', '{1,2,3,4,5,6,7}', false, 'bad message');
INSERT INTO dial_settings (campaign_id, pbx_id, mode, dial_timeout_ms, window_start, window_end, call_days, skip_holidays, machine_message)
VALUES (951, 2, 'predictive', 8000, '00:00', '23:59:59.999999', '{1,2,3,4,5,6,7}', false, 'bankcrm/sorry');
INSERT INTO dial_retry_rule VALUES (951, 'machine', '4 hours');
INSERT INTO dialer_agent (staff_id, campaign_id, extension, state)
VALUES (951, 951, '3001', 'ready'), (952, 951, '3002', 'ready'), (953, 951, '3003', 'offline');
SELECT staff_id, state, logged_in_at IS NOT NULL AS logged_in FROM dialer_agent WHERE campaign_id = 951 ORDER BY staff_id;
INSERT INTO lead (lead_id, campaign_id, party_id, process_name, state)
SELECT g, 951, g, 'outbound_sale', 'first_call' FROM generate_series(951, 958) g;
SELECT dialer_enqueue(951);
SELECT DISTINCT mode FROM call_attempt WHERE campaign_id = 951;

-- without an allowance from the pacing nothing predictive is dialed
SELECT count(*) AS claimed FROM dialer_claim(2, 10);
SELECT count(*) AS claimed FROM dialer_claim(2, 10, '{951}', '{0}');
-- with one: that many, into the queue context, Exten = the campaign, ringing 15 s at least
SELECT attempt_id - (SELECT min(attempt_id) FROM call_attempt WHERE campaign_id = 951) AS n,
       channel, context, exten, timeout_ms, campaign_id, mode, variables
  FROM dialer_claim(2, 10, '{951}', '{4}') ORDER BY attempt_id;
SELECT count(*) FILTER (WHERE state = 'dialing') AS dialing, count(*) FILTER (WHERE staff_id IS NOT NULL) AS with_agent
  FROM call_attempt WHERE campaign_id = 951;

-- the queue connected the first to agent 951
SELECT attempt_id AS a1 FROM call_attempt WHERE party_id = 951 \gset
SELECT attempt_id AS a2 FROM call_attempt WHERE party_id = 952 \gset
SELECT attempt_id AS a3 FROM call_attempt WHERE party_id = 953 \gset
SELECT attempt_id AS a4 FROM call_attempt WHERE party_id = 954 \gset
SELECT dialer_connect(ARRAY[:a1]::bigint[], ARRAY[951], ARRAY[now() - interval '60 seconds']);
SELECT staff_id, state, attempt_id = :a1 AS on_it FROM dialer_agent WHERE staff_id = 951;

-- answered (agent 951), abandoned (a live answer nobody took), machine, busy
SELECT dialer_finish(ARRAY[:a1, :a2, :a3, :a4]::bigint[], ARRAY['answered', 'abandoned', 'machine', 'busy'],
                     ARRAY[4, 4, 4, 5], ARRAY['ANSWER', 'ANSWER', 'ANSWER', 'BUSY'], ARRAY[16, 16, 16, 17],
                     ARRAY[now() - interval '70 seconds', now() - interval '10 seconds', now() - interval '10 seconds', now() - interval '5 seconds'],
                     ARRAY[now() - interval '62 seconds', now() - interval '6 seconds', now() - interval '6 seconds', NULL],
                     ARRAY[now(), now() - interval '3 seconds', now() - interval '4 seconds', now()],
                     ARRAY[NULL, NULL, NULL, NULL]::text[],
                     ARRAY[951, NULL, NULL, NULL],
                     ARRAY['HUMAN', 'HUMAN', 'MACHINE', NULL], ARRAY['HUMAN-500-300', 'HUMAN-400-250', 'LONGGREETING-2000-1500', NULL],
                     ARRAY[now() - interval '60 seconds', NULL, NULL, NULL]);
SELECT party_id, outcome, staff_id, amd_status, amd_cause, connected_at IS NOT NULL AS connected
  FROM call_attempt WHERE campaign_id = 951 AND state = 'done' ORDER BY party_id;
SELECT c.party_id, c.outcome, c.staff_id FROM contact c WHERE c.campaign_id = 951 ORDER BY c.party_id;
SELECT entity_id, event FROM fsm_history WHERE entity = 'bankcrm.lead'::regclass AND entity_id BETWEEN 951 AND 958 ORDER BY entity_id;
SELECT staff_id, state FROM dialer_agent WHERE campaign_id = 951 ORDER BY staff_id;
-- the machine is called again by its own rule, predictively
SELECT party_id, attempt_no, mode, state, due_at - (SELECT ended_at FROM call_attempt WHERE attempt_id = :a3) AS delay
  FROM call_attempt WHERE party_id = 953 AND attempt_no = 2;

-- the 72-hour rule: the abandoned number queued again waits 72 hours from that answer
SELECT dialer_queue(951, 952) IS NOT NULL AS queued;
SELECT count(*) AS claimed FROM dialer_claim(2, 10, '{951}', '{10}') WHERE exten IS NOT NULL AND channel LIKE '%13700000952%';
SELECT state, due_at = (SELECT answered_at FROM call_attempt WHERE attempt_id = :a2) + interval '72 hours' AS after_72h, detail
  FROM call_attempt WHERE party_id = 952 AND state = 'queued';

-- what the pacing reads: agents, figures learnt from the calls, today's and the window's abandonment, queue members
SELECT campaign_id, max_concurrent, ring_timeout_ms, agents_ready, cardinality(busy_s) AS busy, finished,
       round(answer_rate::numeric, 4) AS answer_rate, round(human_share::numeric, 4) AS human_share,
       live_day, abandoned_day, live_window, abandoned_window, member_names, member_interfaces
  FROM dialer_pacing(2);
SELECT count(*) AS progressive_pbx FROM dialer_pacing(1);

-- the status view (the call agent 951 took began before the agent logged in:
-- no talk within the logged-in time yet, no wait between calls to show)
SELECT campaign_id, mode, answered, abandoned_today_pct, abandoned_15min_pct, live_answer_rate_pct,
       agent_utilisation_pct, wait_between_calls_s, pacing_ratio
  FROM dialer_campaign_status WHERE campaign_id = 951;

-- wrap-up: 30 s after each call before the next
UPDATE dial_settings SET wrapup_s = -1 WHERE campaign_id = 951;
UPDATE dial_settings SET wrapup_s = 30 WHERE campaign_id = 951;
-- (the 72-hour claim above dialed parties 955 to 958)
SELECT attempt_id AS a5 FROM call_attempt WHERE party_id = 955 AND state = 'dialing' \gset
SELECT dialer_connect(ARRAY[:a5]::bigint[], ARRAY[952], ARRAY[now() - interval '20 seconds']);
SELECT dialer_finish(ARRAY[:a5]::bigint[], ARRAY['answered'], ARRAY[4], ARRAY['ANSWER'], ARRAY[16],
                     ARRAY[now() - interval '30 seconds'], ARRAY[now() - interval '22 seconds'], ARRAY[now()],
                     ARRAY[NULL]::text[], ARRAY[952], ARRAY['HUMAN'], ARRAY['HUMAN-500-300'],
                     ARRAY[now() - interval '20 seconds']);
SELECT staff_id, state, attempt_id, wrapup_until - since AS wrapup FROM dialer_agent WHERE staff_id = 952;
-- in wrap-up: out of the queue's members, its time left read by the pacing, counted in the status view
SELECT agents_ready, member_names, wrapup_s, array_length(wrapup_left_s, 1) AS in_wrapup,
       wrapup_left_s[1] BETWEEN 29 AND 30 AS left_30s
  FROM dialer_pacing(2);
SELECT agents_ready, agents_on_call, agents_wrap_up FROM dialer_campaign_status WHERE campaign_id = 951;
-- once its time is over, the next claim makes the agent ready (with or without a budget);
-- the 20 s it lasted are the agent's learnt wrap-up
UPDATE dialer_agent SET wrapup_until = now() - interval '1 second', since = now() - interval '20 seconds' WHERE staff_id = 952;
SELECT agents_ready, member_names, wrapup_left_s FROM dialer_pacing(2);
SELECT count(*) AS claimed FROM dialer_claim(2, 0);
SELECT staff_id, state, wrapup_until, round(wrapup_avg_s::numeric) AS wrapup_avg_s FROM dialer_agent WHERE staff_id = 952;
-- the pacing expects 20 s of wrap-up after each call now, not the campaign's 30
SELECT round(wrapup_s::numeric) AS wrapup_s FROM dialer_pacing(2);
-- a wrap-up without an end lasts until the agent sets ready; setting ready clears any end
UPDATE dialer_agent SET state = 'wrap_up' WHERE staff_id = 952;
SELECT wrapup_left_s FROM dialer_pacing(2);
SELECT count(*) AS claimed FROM dialer_claim(2, 0);
SELECT state, wrapup_until FROM dialer_agent WHERE staff_id = 952;
UPDATE dialer_agent SET state = 'ready' WHERE staff_id = 952;
UPDATE dialer_agent SET state = 'wrap_up', wrapup_until = now() + interval '1 minute' WHERE staff_id = 952;
UPDATE dialer_agent SET state = 'ready' WHERE staff_id = 952;
-- (two wrap-ups of no time: 20 s * 0.8 * 0.8)
SELECT staff_id, state, wrapup_until, round(wrapup_avg_s::numeric, 1) AS wrapup_avg_s FROM dialer_agent WHERE staff_id = 952;
-- an end of wrap-up for an agent that is not in wrap-up: refused, with a hint
\set VERBOSITY default
\set SHOW_CONTEXT never
UPDATE dialer_agent SET wrapup_until = now() + interval '1 minute' WHERE staff_id = 952;
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors
\set VERBOSITY terse

-- worker only
SELECT p.proname, has_function_privilege('bankcrm_app', p.oid, 'EXECUTE') AS app
  FROM pg_proc p WHERE p.pronamespace = 'bankcrm'::regnamespace AND p.proname IN ('dialer_connect', 'dialer_pacing', 'dialer_claim')
 ORDER BY 1;
