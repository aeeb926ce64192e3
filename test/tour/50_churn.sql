-- test/tour/50_churn.sql: the tour, churn early warning
\pset footer off
\echo
\echo '== Churn early warning: a company tests another bank for months before it leaves =='
\echo
\echo '1. One corporate sliding away, week by week: its transaction volume against its baselines (bankcrm.churn_history)'
SELECT f.week, round(f.value) AS value, round(f.trailing_mean) AS trailing_13w, round(f.reference) AS reference,
       round(f.prev_quarter_pct::numeric, 1) AS quarter_vs_prev_pct, round(f.last_year_quarter_pct::numeric, 1) AS vs_last_year_pct,
       round(f.cusum::numeric, 1) AS cusum, f.rule, f.severity
  FROM (SELECT c.party_id, c.decline_start FROM bankcrm_truth.churner c
         WHERE c.exit_week > (SELECT max(week) FROM bankcrm.activity_weekly)
         ORDER BY c.decline_start, c.party_id LIMIT 1) x
  JOIN bankcrm_churn.churn_series_now s ON s.party_id = x.party_id,
       bankcrm.churn_calendar() cal,
       LATERAL bankcrm.churn_history(s.series, bankcrm.churn_policy_for('corporate'), NULL, cal.days, cal.prev_days) f
 WHERE f.metric = 'txn_volume' AND f.week BETWEEN x.decline_start - 14 AND x.decline_start + 7 * 12
 ORDER BY f.week;

\echo '2. Scan the last four weeks one after the other, as the weekly run would have: alerts raised and escalated,'
\echo '   and alerts lost: parties closed or silent for 26 weeks, whom the bank can no longer keep (bankcrm.churn_scan).'
\echo '   raised counts what this scan raised: the churn monitor (8.) evaluates activity as it arrives, so the alerts it'
\echo '   raised while the bank loaded, or an earlier tour raised, are there already and raised shows 0 for them;'
\echo '   first_seen counts the alerts, now of this severity, that this week began, whoever raised them'
SELECT w.week, s.severity, s.parties, s.raised, s.escalated, s.lost,
       (SELECT count(*) FROM bankcrm.churn_alert a WHERE a.severity = s.severity AND a.first_week = w.week) AS first_seen
  FROM (SELECT g::date AS week
          FROM (SELECT max(week) AS last FROM bankcrm.activity_weekly) m,
               generate_series(m.last - 21, m.last, '7 days') g) w,
       LATERAL bankcrm.churn_scan(w.week) s
 ORDER BY w.week, bankcrm.churn_severity_rank(s.severity);

\echo '3. The dashboard: active alerts of the parties the bank can still keep, by branch and severity (bankcrm.churn_dashboard)'
SELECT branch_name, severity, count(*) AS alerts, count(DISTINCT party_id) AS parties,
       round(avg(level_drop_pct)::numeric, 1) AS avg_drop_pct, round(avg(weeks_open), 1) AS avg_weeks_open
  FROM bankcrm.churn_dashboard
 GROUP BY branch_name, severity
 ORDER BY count(*) DESC, branch_name, severity
 LIMIT 10;
SELECT (SELECT count(*) FROM bankcrm.churn_dashboard d JOIN bankcrm.party p USING (party_id) WHERE p.status = 'closed') AS closed_parties_on_dashboard,
       (SELECT count(*) FROM bankcrm.churn_alert WHERE state = 'lost') AS alerts_lost,
       (SELECT count(*) FROM bankcrm.churn_dashboard) AS alerts_on_dashboard;

\echo '4. The five worst slides: the 26 weeks of the sparkline drawn (bankcrm.spark), and the last 13 of them in thousands'
SELECT party_name, metric, severity, rule, first_week, round(level_drop_pct::numeric, 1) AS drop_pct,
       bankcrm.spark(sparkline) AS last_26_weeks,
       (SELECT string_agg(coalesce(round(v / 1000)::text, '-'), ' ')
          FROM unnest(sparkline[14:26]) v) AS last_13_weeks_k
  FROM bankcrm.churn_dashboard
 WHERE metric = 'txn_volume'
 ORDER BY level_drop_pct DESC NULLS LAST, alert_id
 LIMIT 5;

\echo '5. A churn probability learnt from this bank''s own history of who left: an L2-regularised logistic regression'
\echo '   trained in the database (bankcrm.churn_model_train), every corporate scored for the latest week (churn_score_week)'
SELECT bankcrm.churn_model_train('corporate-26w', (SELECT min(week) + 182 FROM bankcrm.activity_weekly),
                                 (SELECT max(week) - 182 FROM bankcrm.activity_weekly)) AS model_id;
SELECT name, version, rows, positives AS exits_26w, round(train_auc::numeric, 3) AS auc, round(train_brier::numeric, 4) AS brier
  FROM bankcrm.churn_model ORDER BY model_id DESC LIMIT 1;
SELECT bankcrm.churn_score_week() AS corporates_scored;

\echo '6. The task force''s queue: alerts ranked by contribution at risk, probability times yearly contribution (bankcrm.churn_queue)'
SELECT branch_name, party_name, metric, severity, weeks_open, round(probability::numeric, 3) AS probability,
       round(yearly_contribution) AS yearly_contribution, round(contribution_at_risk) AS at_risk
  FROM bankcrm.churn_queue
 ORDER BY contribution_at_risk DESC NULLS LAST, alert_id
 LIMIT 10;

\echo '7. The task force acts on the top of the queue: acknowledge, waive fees, record the outcome (the churn_alert process);'
\echo '   once: a second tour shows what the first did'
SELECT NOT EXISTS (SELECT 1 FROM bankcrm.churn_remediation WHERE note = 'Account fees waived for two quarters.') AS tour_act \gset
\if :tour_act
SELECT bankcrm.churn_alert_fire(a.alert_id, 'acknowledge', 'Branch manager called the CFO.') AS state,
       bankcrm.churn_remediation_log(a.alert_id, 'fee_waiver', 'Account fees waived for two quarters.') AS remediation_id
  FROM (SELECT alert_id FROM bankcrm.churn_queue WHERE state = 'open'
         ORDER BY contribution_at_risk DESC NULLS LAST, alert_id LIMIT 1) a;
\endif
SELECT alert_id, event, from_state, to_state, severity FROM bankcrm.churn_alert_history
 WHERE alert_id = (SELECT min(alert_id) FROM bankcrm.churn_remediation WHERE note = 'Account fees waived for two quarters.')
 ORDER BY history_id;

\echo '8. The churn monitor: a background worker evaluates new activity as it arrives'
SELECT backend_type, datname, wait_event FROM pg_stat_activity WHERE backend_type LIKE 'bankcrm churn%' ORDER BY 1;
\echo 'It serves the databases in bankcrm.churn_databases (or bankcrm.database); see doc/churn.md.'
