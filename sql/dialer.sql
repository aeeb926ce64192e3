-- dialer: the SQL side of the outbound dialer without a running worker:
-- settings checks, channel templates, calling windows, queuing, the claim
-- (do-not-call, consent, window, one call per party, agents, limits), the
-- finish (contacts, lead events, retries), status views, privileges
SET search_path = bankcrm, public;
\set VERBOSITY terse
SET client_min_messages = warning;

INSERT INTO region VALUES ('ZZ-DB', 'Dialer city', 'Dialer province', 'Asia/Shanghai'), ('ZZ-NY', 'Dialer New York', 'New York', 'America/New_York');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (901, 'DIAL-1', 'Dialer branch', 'ZZ-DB');
INSERT INTO staff (staff_id, name, role_kind, branch_id) SELECT g, 'Agent ' || g, 'agent', 901 FROM generate_series(901, 903) g;
INSERT INTO party (party_id, kind, name, region_code, consent_marketing)
SELECT g, 'individual', 'Customer ' || g, CASE WHEN g = 909 THEN 'ZZ-NY' ELSE 'ZZ-DB' END, g <> 907
  FROM generate_series(901, 909) g;
UPDATE party SET do_not_contact = true WHERE party_id = 908;
INSERT INTO party_phone (party_id, phone, is_primary) SELECT g, ('+86139' || lpad(g::text, 8, '0'))::phone, true FROM generate_series(901, 909) g;
INSERT INTO party_phone (party_id, phone, kind) VALUES (901, '+861058001111', 'fax');
INSERT INTO product (product_id, code, name, category) VALUES (901, 'DIAL-CARD', 'Dialer test card', 'card');
INSERT INTO campaign (campaign_id, name, product_id) VALUES (901, 'Dialer cards', 901), (902, 'Dialer draft', 901);
SELECT fsm_fire('bankcrm.campaign', 901, 'approve'), fsm_fire('bankcrm.campaign', 901, 'launch');

-- PBX rows: CR/LF refused (header injection), limits checked
INSERT INTO pbx (pbx_id, name, host, username, secret) VALUES (1, 'pbx1', '127.0.0.1', 'crm', E'bad\r\nAction: Logoff');
INSERT INTO pbx (pbx_id, name, host, username, secret, max_cps) VALUES (1, 'pbx1', '127.0.0.1', 'crm', 's', 0);
INSERT INTO pbx (pbx_id, name, host, port, username, secret, max_channels, max_cps) VALUES (1, 'pbx1', '127.0.0.1', 5038, 'crm', 'crmsecret', 2, 50);

-- dial settings: templates, window, days checked
INSERT INTO dial_settings (campaign_id, pbx_id, customer_channel) VALUES (901, 1, 'Local/1001@crm-out');
INSERT INTO dial_settings (campaign_id, pbx_id, window_start, window_end) VALUES (901, 1, '20:00', '09:00');
INSERT INTO dial_settings (campaign_id, pbx_id, call_days) VALUES (901, 1, '{0}');
INSERT INTO dial_settings (campaign_id, pbx_id, customer_context) VALUES (901, 1, 'crm out');
INSERT INTO dial_settings (campaign_id, pbx_id, mode) VALUES (901, 1, 'robocall');
INSERT INTO dial_settings (campaign_id, pbx_id, window_start, window_end, call_days, skip_holidays, max_concurrent, max_attempts)
VALUES (901, 1, '09:00', '20:00', '{1,2,3,4,5}', true, 2, 2), (902, 1, '00:00', '23:59:59', '{1,2,3,4,5,6,7}', false, 5, 3);
INSERT INTO dial_settings (campaign_id, pbx_id) VALUES (99, 1);

-- channel templates
SELECT dial_channel('Local/{number}@crm-out', '+8613522956919'),
       dial_channel('PJSIP/{e164}@trunk', '+8613522956919'),
       dial_channel('SIP/0{number}', '+861058001111');

-- calling window in the party's local time (Beijing UTC+8, New York UTC-5 in winter)
INSERT INTO holiday (day, region_code, name) VALUES ('2026-12-01', 'ZZ-DB', 'test holiday'), ('2026-12-25', NULL, 'national');
SET TIME ZONE 'UTC';
SELECT at, dial_next_window(901, 901, at) AS beijing, dial_next_window(901, 909, at) AS new_york
  FROM (VALUES ('2026-11-23 02:00+00'::timestamptz),   -- Monday 10:00 in Beijing: open
               ('2026-11-23 13:00+00'),                -- Monday 21:00 in Beijing: next morning
               ('2026-11-27 13:00+00'),                -- Friday 21:00: Monday (weekend skipped)
               ('2026-11-30 13:00+00'),                -- Monday 21:00: Tuesday 1 Dec is a Beijing holiday
               ('2026-12-24 20:00+00')) v(at)          -- Christmas Eve: a national holiday next day
 ORDER BY at;
SELECT dial_next_window(99, 1, now());

-- queuing
SELECT dialer_queue(99, 1);
SELECT dialer_queue(901, 99999);
INSERT INTO lead (lead_id, campaign_id, party_id, process_name, state)
SELECT g, 901, g, 'outbound_sale', 'review_customer' FROM generate_series(901, 909) g;
SELECT count(lead_fire(g, 'customer_reviewed')) + count(lead_fire(g, 'product_reviewed')) FROM generate_series(901, 908) g;
SELECT dialer_enqueue(901);
SELECT dialer_enqueue(901);
SELECT attempt_id, lead_id, party_id, phone, mode, attempt_no, state FROM call_attempt ORDER BY attempt_id;
INSERT INTO call_attempt (campaign_id, lead_id, party_id, phone, pbx_id, mode) VALUES (901, 901, 901, '+8613900000901', 1, 'progressive');
SELECT dialer_cancel(8);
SELECT dialer_cancel(8);
SELECT state, detail FROM call_attempt WHERE attempt_id = 8;

-- the claim, with the PBX's clock moved to a Monday 10:00 in Beijing
UPDATE pbx SET clock_offset = '2026-11-23 02:00+00'::timestamptz - now();
INSERT INTO dnc (phone, reason) VALUES ('+8613900000906', 'customer request');
-- no agent is ready: nothing is dialed, but do-not-call and consent are settled
SELECT * FROM dialer_claim(1, 10);
SELECT attempt_id, party_id, state, detail FROM call_attempt WHERE state <> 'queued' ORDER BY attempt_id;
SELECT lead_id, state FROM lead WHERE lead_id IN (906, 907, 908) ORDER BY lead_id;
-- two agents ready, max_concurrent 2: two calls
INSERT INTO dialer_agent (staff_id, campaign_id, extension, state) VALUES (901, 901, '2001', 'ready'), (902, 901, '2002', 'ready'), (903, 901, '2003', 'offline');
SELECT * FROM dialer_claim(1, 10);
SELECT attempt_id, state, staff_id FROM call_attempt WHERE state = 'dialing' ORDER BY attempt_id;
SELECT staff_id, state, attempt_id FROM dialer_agent ORDER BY staff_id;
-- at the campaign's limit: nothing more
UPDATE dialer_agent SET state = 'ready' WHERE staff_id = 903;
SELECT * FROM dialer_claim(1, 10);
-- outside the window (Monday 21:00 in Beijing): rescheduled to Tuesday 09:00 Beijing
UPDATE dial_settings SET max_concurrent = 5 WHERE campaign_id = 901;
UPDATE pbx SET clock_offset = '2026-11-23 13:00+00'::timestamptz - now();
SELECT * FROM dialer_claim(1, 10);
SELECT attempt_id, state, due_at + (SELECT clock_offset FROM pbx) - '2026-11-23 13:00+00'::timestamptz
         BETWEEN interval '11 hours 59 minutes' AND interval '12 hours 1 minute' AS next_morning
  FROM call_attempt WHERE state = 'queued' ORDER BY attempt_id;
-- a paused campaign is not dialed
UPDATE call_attempt SET due_at = now() WHERE state = 'queued';
UPDATE pbx SET clock_offset = '2026-11-23 02:00+00'::timestamptz - now();
SELECT fsm_fire('bankcrm.campaign', 901, 'pause');
SELECT * FROM dialer_claim(1, 10);
SELECT fsm_fire('bankcrm.campaign', 901, 'resume');
-- resumed: the one free agent gets the next attempt
SELECT attempt_id, channel, exten FROM dialer_claim(1, 10);

-- finish: outcomes recorded once, contacts written, lead events fired, retries queued
INSERT INTO dial_retry_rule VALUES (901, 'busy', '10 minutes');
SELECT dialer_finish(ARRAY[1, 2, 1], ARRAY['answered', 'busy', 'failed'], ARRAY[4, 5, 0], ARRAY['ANSWER', 'BUSY', NULL],
                     ARRAY[16, 17, 0], ARRAY[now(), now(), now()], ARRAY[now(), NULL, NULL],
                     ARRAY[now() + interval '42 seconds', now() + interval '3 seconds', now()], ARRAY[NULL, NULL, 'late duplicate']);
SELECT attempt_id, state, outcome, reason, dial_status, hangup_cause, talk_ms, ring_ms, contact_id IS NOT NULL AS has_contact
  FROM call_attempt WHERE attempt_id IN (1, 2) ORDER BY attempt_id;
SELECT party_id, staff_id, channel, purpose, outcome, campaign_id, lead_id, duration_s, note FROM contact WHERE campaign_id = 901 ORDER BY contact_id;
SELECT lead_id, state FROM lead WHERE lead_id IN (901, 902) ORDER BY lead_id;
SELECT entity_id, event, from_state, to_state FROM fsm_history
 WHERE entity = 'bankcrm.lead'::regclass AND entity_id BETWEEN 901 AND 909 AND event IN ('call_answered', 'busy', 'do_not_call')
 ORDER BY entity_id;
SELECT lead_id, attempt_no, state, due_at - (SELECT ended_at FROM call_attempt WHERE attempt_id = 2) AS delay
  FROM call_attempt WHERE lead_id = 902 AND attempt_no = 2;
SELECT staff_id, state, attempt_id FROM dialer_agent ORDER BY staff_id;

-- never two live calls to one party
INSERT INTO call_attempt (campaign_id, party_id, phone, pbx_id, mode, state, dialed_at)
VALUES (901, 903, '+8613900000903', 1, 'progressive', 'dialing', now()), (901, 903, '+8613900000903', 1, 'progressive', 'dialing', now());
-- a done attempt needs an outcome
UPDATE call_attempt SET state = 'done' WHERE attempt_id = 3;

-- status without a worker
SELECT pbx_id, pbx_name, state, pid, connected_since, last_error, calls_in_flight, answer_rate_pct FROM dialer_status;
SELECT campaign_id, mode, active, queued, in_flight, done, answered, no_answer_or_busy, failed, blocked, answer_rate_pct,
       agents_ready, agents_on_call
  FROM dialer_campaign_status WHERE campaign_id IN (901, 902) ORDER BY campaign_id;
SELECT dialer_pid(1), dialer_stop(1);
SELECT dialer_launch(42);

-- a refused Originate (the PBX shutting down) placed no call: the attempt is
-- queued again and its agent freed; no contact, no lead event
SELECT attempt_id AS refused, lead_id AS refused_lead FROM call_attempt WHERE state = 'dialing' ORDER BY attempt_id LIMIT 1 \gset
SELECT dialer_finish(ARRAY[:refused]::bigint[], ARRAY['not_placed'], ARRAY[NULL::integer], ARRAY[NULL::text], ARRAY[NULL::integer],
                     ARRAY[now()], ARRAY[NULL::timestamptz], ARRAY[now()], ARRAY['the PBX refused the Originate: Asterisk is shutting down']);
SELECT state, outcome, dialed_at, sent_at, staff_id, contact_id, due_at <= now() AS due, detail FROM call_attempt WHERE attempt_id = :refused;
SELECT count(*) AS contacts FROM contact WHERE note LIKE 'call attempt ' || :refused || '%';
SELECT count(*) AS agents_on_it FROM dialer_agent WHERE attempt_id = :refused;

-- a lead event that fails is kept where an operator sees it, and replayed
SELECT attempt_id FROM dialer_claim(1, 10) WHERE attempt_id = :refused;
CREATE FUNCTION pg_temp.refuse_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'lead % is being migrated', OLD.lead_id USING ERRCODE = 'lock_not_available';
END $$;
CREATE TRIGGER refuse_lead BEFORE UPDATE ON lead FOR EACH ROW WHEN (OLD.lead_id = :refused_lead) EXECUTE FUNCTION pg_temp.refuse_lead();
SELECT state AS lead_state_before FROM lead WHERE lead_id = :refused_lead;
SELECT dialer_finish(ARRAY[:refused]::bigint[], ARRAY['answered'], ARRAY[4], ARRAY['ANSWER'], ARRAY[16],
                     ARRAY[now()], ARRAY[now()], ARRAY[now() + interval '30 seconds'], ARRAY[NULL::text]);
SELECT state, outcome, contact_id IS NOT NULL AS has_contact FROM call_attempt WHERE attempt_id = :refused;
SELECT lead_id, event, note, sqlstate, error, tries, replayed_at IS NULL AS pending FROM lead_event_failure;
DROP TRIGGER refuse_lead ON lead;
SELECT lead_event_replay();
SELECT event, from_state, to_state, note FROM fsm_history
 WHERE entity = 'bankcrm.lead'::regclass AND entity_id = :refused_lead AND note = 'call attempt ' || :refused;
SELECT lead_id, event, tries, replayed_at IS NOT NULL AS replayed FROM lead_event_failure;
SELECT lead_event_replay();

-- what must not be dialed: a closed lead, a party that is not the campaign's
-- lead, a party that does not exist; each with its own SQLSTATE
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
	hint text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
	RETURN st || ' ' || msg || ' (' || hint || ')';
END $$;
SELECT lead_id, state FROM lead WHERE lead_id = 906;
SELECT q, pg_temp.try(q) FROM (VALUES
	('SELECT bankcrm.dial(906)'),
	('SELECT bankcrm.dialer_queue(901, 906, now(), 906)'),
	('SELECT bankcrm.dialer_queue(901, 906)'),
	('SELECT bankcrm.dialer_queue(902, 901)'),
	('SELECT bankcrm.dialer_queue(901, 901, now(), 902)'),
	('SELECT bankcrm.dialer_queue(901, 10000000)')) v(q);
SELECT count(*) AS queued_for_closed_or_strangers FROM call_attempt WHERE lead_id = 906 AND state = 'queued' OR party_id = 10000000;

-- privileges: the secret is for bankcrm_admin only
SELECT r, has_table_privilege(r, 'bankcrm.pbx', 'SELECT') AS pbx,
       has_table_privilege(r, 'bankcrm.dialer_status', 'SELECT') AS status,
       has_function_privilege(r, 'bankcrm.dial(bigint)', 'EXECUTE') AS dial,
       has_function_privilege(r, 'bankcrm.dialer_launch(integer)', 'EXECUTE') AS launch
  FROM unnest(ARRAY['bankcrm_admin', 'bankcrm_manager', 'bankcrm_rm', 'bankcrm_analyst', 'bankcrm_app']) r
 ORDER BY r;
SELECT count(*) FROM pg_views WHERE schemaname = 'bankcrm' AND viewname LIKE 'dialer%' AND definition LIKE '%secret%';
RESET TIME ZONE;
