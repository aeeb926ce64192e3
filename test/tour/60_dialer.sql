-- test/tour/60_dialer.sql: the tour, part 6: the outbound dialer calls the
-- tour campaign's leads through the simulated PBX (test/ami_sim, started by
-- test/demo; its AMI port is in .demo/ami_port)
\pset footer off
\echo
\echo '== The outbound dialer =='
\echo

\set ami_port `cat .demo/ami_port 2>/dev/null || echo 0`
SELECT count(*) > 0 AND :ami_port > 0 AS dial_ready
  FROM bankcrm.campaign WHERE name = 'Tour: money-market for young families' AND state = 'active' \gset
\if :dial_ready
SELECT campaign_id AS dial_campaign FROM bankcrm.campaign WHERE name = 'Tour: money-market for young families' \gset

\echo '1. The PBX (the simulator on port' :ami_port') and how the campaign is dialed: progressive, 20 calls at most, 09:00-20:00 would be the usual window; the demo calls around the clock'
INSERT INTO bankcrm.pbx (name, host, port, username, secret, max_channels, max_cps)
VALUES ('demo-sim', '127.0.0.1', :ami_port, 'crm', 'crmsecret', 20, 50)
ON CONFLICT (name) DO UPDATE SET port = EXCLUDED.port;
SELECT pbx_id AS dial_pbx FROM bankcrm.pbx WHERE name = 'demo-sim' \gset
INSERT INTO bankcrm.dial_settings (campaign_id, pbx_id, mode, max_concurrent, dial_timeout_ms, caller_id,
                                   window_start, window_end, call_days, skip_holidays, max_attempts)
VALUES (:dial_campaign, :dial_pbx, 'progressive', 20, 3000, '"Bank" <95599>', '00:00', '23:59:59', '{1,2,3,4,5,6,7}', false, 2)
ON CONFLICT (campaign_id) DO NOTHING;
INSERT INTO bankcrm.dial_retry_rule VALUES (:dial_campaign, 'busy', '3 seconds') ON CONFLICT DO NOTHING;

\echo '2. The agents who work the leads are ready; every lead waiting for a call is queued'
INSERT INTO bankcrm.dialer_agent (staff_id, campaign_id, extension, state)
SELECT DISTINCT l.assigned_to, :dial_campaign, (2000 + l.assigned_to)::text, 'ready'
  FROM bankcrm.lead l WHERE l.campaign_id = :dial_campaign AND l.assigned_to IS NOT NULL
ON CONFLICT (staff_id) DO UPDATE SET campaign_id = EXCLUDED.campaign_id, state = 'ready', attempt_id = NULL;
SELECT count(*) AS agents_ready FROM bankcrm.dialer_agent WHERE campaign_id = :dial_campaign AND state = 'ready';
SELECT bankcrm.dialer_enqueue(:dial_campaign) AS attempts_queued;

\echo '3. The dialer worker logs in to the PBX and dials (up to 30 s)'
SELECT bankcrm.dialer_launch(:dial_pbx) IS NOT NULL AS worker_started;
DO $$
BEGIN
	FOR i IN 1..300 LOOP
		EXIT WHEN NOT EXISTS (SELECT 1 FROM bankcrm.call_attempt a JOIN bankcrm.pbx p USING (pbx_id)
		                       WHERE p.name = 'demo-sim' AND a.state IN ('queued', 'dialing') AND a.due_at <= now() + interval '3 seconds');
		PERFORM pg_sleep(0.1);
	END LOOP;
END
$$;
SELECT pbx_name, state, connected_since IS NOT NULL AS connected, last_error, calls_in_flight, originates_last_minute, answer_rate_pct
  FROM bankcrm.dialer_status WHERE pbx_name = 'demo-sim';

\echo '4. What the calls came to (the simulator scripts the outcome by the last digit of the number)'
SELECT coalesce(a.outcome, a.state) AS outcome, count(*) AS attempts, round(avg(a.talk_ms) / 1000.0, 1) AS avg_talk_s,
       min(a.hangup_cause) AS hangup_cause
  FROM bankcrm.call_attempt a WHERE a.campaign_id = :dial_campaign
 GROUP BY 1 ORDER BY 2 DESC, 1;
SELECT count(*) AS not_dialed FROM bankcrm.call_attempt a
 WHERE a.campaign_id = :dial_campaign AND a.state IN ('blocked', 'cancelled') \gset
\if :not_dialed
\echo '   Calls queued but not dialed (blocked or cancelled), and why:'
SELECT a.detail AS why_not_dialed, count(*) FROM bankcrm.call_attempt a
 WHERE a.campaign_id = :dial_campaign AND a.state IN ('blocked', 'cancelled') GROUP BY 1 ORDER BY 2 DESC;
\else
\echo '   Every queued call was dialed: none was blocked (do-not-call, outside the window, no phone) or cancelled.'
\endif

\echo '5. The funnel after the calls (invalid numbers made their leads unreachable)'
SELECT stage, entered, now_in_stage, moved_on FROM bankcrm.funnel WHERE campaign_id = :dial_campaign ORDER BY stage_order;

SELECT bankcrm.dialer_stop(:dial_pbx) AS worker_stopped;
\else
\echo 'The simulated PBX is not running (start the demo with make demo); the dialer part is skipped.'
\endif
