-- test/tour/65_predictive.sql: the tour, part 6b: a predictive campaign
-- dialed through a second simulated PBX (started by test/demo; its AMI port
-- is in .demo/ami_port_predictive), which plays doc/dialer.md's predictive
-- dialplan: answering-machine detection, then the campaign queue for 2 s
\pset footer off
\echo
\echo '== Predictive dialing =='
\echo

\set ami_port `cat .demo/ami_port_predictive 2>/dev/null || echo 0`
SELECT :ami_port > 0 AND EXISTS (SELECT 1 FROM bankcrm.campaign WHERE name = 'Tour: money-market for young families') AS predictive_ready \gset
\if :predictive_ready

\echo '1. A campaign dialed predictively: ten agents, customers who answer wait in its queue for the first free one, 2 s at most'
INSERT INTO bankcrm.campaign (name, product_id)
SELECT 'Tour: predictive card renewals', product_id FROM bankcrm.campaign WHERE name = 'Tour: money-market for young families'
 AND NOT EXISTS (SELECT 1 FROM bankcrm.campaign WHERE name = 'Tour: predictive card renewals');
SELECT campaign_id AS pred_campaign FROM bankcrm.campaign WHERE name = 'Tour: predictive card renewals' \gset
SELECT bankcrm.fsm_fire('bankcrm.campaign', :pred_campaign, 'approve') AS approved,
       bankcrm.fsm_fire('bankcrm.campaign', :pred_campaign, 'launch') AS launched
  FROM bankcrm.campaign WHERE campaign_id = :pred_campaign AND state = 'draft';
INSERT INTO bankcrm.pbx (name, host, port, username, secret, max_channels, max_cps)
VALUES ('demo-predictive', '127.0.0.1', :ami_port, 'crm', 'crmsecret', 60, 50)
ON CONFLICT (name) DO UPDATE SET port = EXCLUDED.port;
SELECT pbx_id AS pred_pbx FROM bankcrm.pbx WHERE name = 'demo-predictive' \gset
INSERT INTO bankcrm.dial_settings (campaign_id, pbx_id, mode, max_concurrent, dial_timeout_ms, caller_id,
                                   window_start, window_end, call_days, skip_holidays, max_attempts, machine_message)
VALUES (:pred_campaign, :pred_pbx, 'predictive', 40, 15000, '"Bank" <95599>', '00:00', '23:59:59', '{1,2,3,4,5,6,7}', false, 2,
        'bankcrm/sorry-we-missed-you')
ON CONFLICT (campaign_id) DO NOTHING;
INSERT INTO bankcrm.dial_retry_rule VALUES (:pred_campaign, 'machine', '1 hour') ON CONFLICT DO NOTHING;
INSERT INTO bankcrm.dialer_agent (staff_id, campaign_id, extension, state)
SELECT s.staff_id, :pred_campaign, (3000 + s.staff_id)::text, 'ready'
  FROM bankcrm.staff s WHERE NOT EXISTS (SELECT 1 FROM bankcrm.dialer_agent g WHERE g.staff_id = s.staff_id)
 ORDER BY s.staff_id LIMIT 10;
SELECT count(*) AS agents FROM bankcrm.dialer_agent WHERE campaign_id = :pred_campaign;

\echo '2. 400 customers who consented and are in no other campaign, each a lead waiting for its first call'
INSERT INTO bankcrm.lead (campaign_id, party_id, process_name, state)
SELECT :pred_campaign, p.party_id, 'outbound_sale', 'first_call'
  FROM bankcrm.party p
 WHERE p.consent_marketing AND NOT p.do_not_contact
   AND EXISTS (SELECT 1 FROM bankcrm.party_phone ph WHERE ph.party_id = p.party_id AND ph.is_primary AND ph.kind <> 'fax')
   AND NOT EXISTS (SELECT 1 FROM bankcrm.lead l WHERE l.party_id = p.party_id)
 ORDER BY p.party_id LIMIT 400;
SELECT bankcrm.dialer_enqueue(:pred_campaign) AS attempts_queued;

\echo '3. The worker dials: progressively at first (every day starts so, until the day''s 3 % could take two abandoned'
\echo '   calls and one more per ten agents: for ten agents, the first 100 live answers), then ahead of its agents;'
\echo '   the tour watches until 60 live answers more have come, three minutes at most'
SELECT bankcrm.dialer_launch(:pred_pbx) IS NOT NULL AS worker_started;
DO $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '3 minutes';
BEGIN
	WHILE clock_timestamp() < deadline AND
	      (SELECT count(*) FROM bankcrm.call_attempt a JOIN bankcrm.campaign k ON k.campaign_id = a.campaign_id
	        WHERE k.name = 'Tour: predictive card renewals' AND a.outcome IN ('answered', 'abandoned')
	          AND a.answered_at >= date_trunc('day', now())) < 160 LOOP
		PERFORM pg_sleep(1);
	END LOOP;
END
$$;

\echo '4. What the calls came to, with the detector''s verdict'
SELECT coalesce(a.outcome, a.state) AS outcome, coalesce(a.amd_status, '') AS amd, count(*) AS attempts,
       count(a.staff_id) AS taken_by_an_agent
  FROM bankcrm.call_attempt a WHERE a.campaign_id = :pred_campaign AND a.attempt_no = 1
 GROUP BY 1, 2 ORDER BY 3 DESC, 1;

\echo '5. The campaign as a supervisor sees it: abandonment under the 3 % cap, utilisation, wait between calls'
SELECT mode, done, answered, pacing_ratio, live_answer_rate_pct, abandoned_today_pct, abandoned_15min_pct,
       agent_utilisation_pct, wait_between_calls_s
  FROM bankcrm.dialer_campaign_status WHERE campaign_id = :pred_campaign;

SELECT bankcrm.dialer_stop(:pred_pbx) AS worker_stopped;
\else
\echo 'The simulated predictive PBX is not running (start the demo with make demo); the predictive part is skipped.'
\endif
