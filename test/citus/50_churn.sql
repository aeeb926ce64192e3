-- test/citus/50_churn.sql: churn early warning, the same answers on one node
-- and on Citus.
--
-- Runs against a database where bankcrm is installed (and, on Citus,
-- distributed by bankcrm.distribute()), with or without a bank loaded.
-- Everything happens in one transaction that is rolled back, on parties,
-- staff and a branch of its own (ids from 990000001), so it neither sees
-- nor leaves anything the churn monitor could race with, and prints only
-- what does not depend on the bank or on the node layout: no generated
-- ids, no times.
--
--   psql -X -v ON_ERROR_STOP=1 -f test/citus/50_churn.sql
\set ON_ERROR_STOP 1
-- no command tags: their counts would depend on what the database holds
\set QUIET on
SET extra_float_digits = 0;
SET datestyle = ISO;
SET client_min_messages = warning;
BEGIN;

\echo '### setup'
-- a branch, a team, a manager and a relationship manager of our own
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('XX-CHURN', 'Churn test', 'Churn test')
ON CONFLICT DO NOTHING;
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (990000001, 'CHURN-T1', 'Churn Test Branch', 'XX-CHURN');
INSERT INTO bankcrm.team (team_id, branch_id, name) VALUES (990000001, 990000001, 'Churn Test Team');
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, team_id) VALUES
	(990000001, 'Churn Manager', 'branch_manager', 990000001, NULL),
	(990000002, 'Churn RM', 'rm', 990000001, 990000001);

-- four parties: 1 slides, 2 is steady, 3 slides in txn_count only, 4
-- slides but closed before the slide
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id, closed_on) VALUES
	(990000001, 'corporate', 'Churn Sliding Co', 'XX-CHURN', 'active', 990000001, NULL),
	(990000002, 'corporate', 'Churn Steady Co', 'XX-CHURN', 'active', 990000001, NULL),
	(990000003, 'individual', 'Churn Quiet', 'XX-CHURN', 'active', 990000001, NULL),
	(990000004, 'corporate', 'Churn Closed Co', 'XX-CHURN', 'closed', 990000001, '2025-12-01');
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from) VALUES
	(990000001, 990000002, 'primary_rm', '2020-01-01'), (990000003, 990000002, 'primary_rm', '2020-01-01');

-- 40 weeks of 100, then six weeks at 40 (party 3: txn_count only; a week
-- of party 2 missing), inserted row by row and in one statement
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT p, '2025-03-03'::date + 7 * i, 500,
       CASE WHEN p IN (990000001, 990000004) AND i >= 40 THEN 40 ELSE 100 END,
       CASE WHEN p = 990000003 AND i >= 40 THEN 4 ELSE 10 END
  FROM generate_series(990000001, 990000004) p, generate_series(0, 44) i
 WHERE NOT (p = 990000002 AND i = 20);
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
VALUES (990000001, '2026-01-19', 500, 40, 10);
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
VALUES (990000003, '2026-01-19', 500, 100, 4);
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
VALUES (990000002, '2026-01-19', 500, 100, 10);

\echo '### series_upkeep'
-- the series upkeep: the series equal what churn_series_agg builds from the
-- rows, every party marked
SELECT s.party_id, array_dims(s.series), bankcrm.churn_series_last_week(s.series),
       s.series = (SELECT bankcrm.churn_series_agg(a.week, a.loan_volume, a.txn_volume, a.txn_count)
                     FROM bankcrm.activity_weekly a WHERE a.party_id = s.party_id) AS rebuilt
  FROM bankcrm_churn.churn_series_now s WHERE s.party_id >= 990000001 ORDER BY 1;
SELECT party_id FROM bankcrm_churn.churn_dirty WHERE party_id >= 990000001 ORDER BY 1;
\echo '### series_update_delete'
-- an update and a delete of a row keep the series in step
UPDATE bankcrm.activity_weekly SET txn_volume = 30 WHERE party_id = 990000004 AND week = '2026-01-05';
DELETE FROM bankcrm.activity_weekly WHERE party_id = 990000004 AND week = '2025-03-03';
SELECT s.party_id, array_dims(s.series),
       s.series = (SELECT bankcrm.churn_series_agg(a.week, a.loan_volume, a.txn_volume, a.txn_count)
                     FROM bankcrm.activity_weekly a WHERE a.party_id = s.party_id) AS rebuilt
  FROM bankcrm_churn.churn_series_now s WHERE s.party_id = 990000004;

\echo '### churn_deviation'
-- the figures of each party
SELECT p.party_id, f.metric, f.week, f.value, f.history_weeks, round(f.trailing_mean::numeric, 4) AS trailing_mean,
       round(f.week_pct::numeric, 4) AS week_pct, round(f.reference::numeric, 4) AS reference,
       round(f.cusum::numeric, 4) AS cusum, round(f.level_drop_pct::numeric, 4) AS level_drop_pct,
       f.rule, f.severity, f.first_alert_week, f.first_alert_severity
  FROM generate_series(990000001, 990000004) p(party_id), bankcrm.churn_deviation(p.party_id) f
 ORDER BY 1, 2;
SELECT f.metric, f.week, f.severity
  FROM bankcrm.churn_deviation(990000001, '2025-11-24') f ORDER BY 1;

\echo '### process_dirty'
-- the monitor's batch: every mark taken (the bank's too), ours evaluated;
-- the alerts it raised, with their task force
SELECT count(*) > 0 AS took_marks FROM (SELECT bankcrm.churn_process_dirty(1000000)) x;
SELECT count(*) AS marks_left FROM bankcrm_churn.churn_dirty WHERE party_id >= 990000001;
SELECT party_id, metric, state, severity, rule, first_week, last_week, round(level_drop_pct::numeric, 4) AS drop,
       branch_id, branch_manager_id, rm_id, team_id, policy_id IS NULL AS default_policy
  FROM bankcrm.churn_alert WHERE party_id >= 990000001 ORDER BY party_id, metric;
SELECT h.party_id, a.metric, h.event, h.from_state, h.to_state, h.severity
  FROM bankcrm.churn_alert_history h JOIN bankcrm.churn_alert a USING (alert_id, party_id)
 WHERE h.party_id >= 990000001 ORDER BY h.party_id, a.metric;

\echo '### churn_scan'
-- a scan over every party raises nothing new for ours
SELECT count(*) >= 0 AS scanned FROM bankcrm.churn_scan();
SELECT count(*) AS alerts FROM bankcrm.churn_alert WHERE party_id >= 990000001;

\echo '### churn_scan_as_of'
-- the slide goes on: the next week escalates nothing, it was critical;
-- the steady party starts to slide and a scan as of a week raises it
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT 990000002, '2026-01-26'::date + 7 * i, 500, 20, 10 FROM generate_series(0, 3) i;
SELECT count(*) >= 0 AS scanned FROM bankcrm.churn_scan('2026-02-16');
SELECT party_id, metric, state, severity, rule, first_week, last_week
  FROM bankcrm.churn_alert WHERE party_id >= 990000001 ORDER BY party_id, metric;

\echo '### dashboard'
-- the dashboard, the summary
SELECT party_id, party_name, party_kind, branch_name, severity, state, metric, rule, first_week, last_week,
       weeks_open, round(level_drop_pct::numeric, 4) AS drop, rm_id, branch_manager_id, team_id, sparkline
  FROM bankcrm.churn_dashboard WHERE party_id >= 990000001 ORDER BY party_id, metric;
SELECT branch_id, branch_name, severity, state, alerts, parties
  FROM bankcrm.churn_alert_summary WHERE branch_id = 990000001 ORDER BY severity, state;

\echo '### series_deleted'
-- all rows of a party deleted: its series goes
DELETE FROM bankcrm.activity_weekly WHERE party_id = 990000003;
SELECT count(*) AS series FROM bankcrm_churn.churn_series_now WHERE party_id = 990000003;


\echo '### alert_lifecycle'
-- the lifecycle through churn_alert_fire (history in the order of events:
-- ids come from different sequence ranges on different Citus nodes), remediation and its outcome
CREATE TEMP TABLE churn_t_alert AS
SELECT alert_id, party_id, metric FROM bankcrm.churn_alert WHERE party_id >= 990000001;
SELECT a.party_id, a.metric, bankcrm.churn_alert_fire(a.alert_id, 'acknowledge', 'Called.') AS state
  FROM churn_t_alert a WHERE a.party_id = 990000001 ORDER BY a.metric;
SELECT a.party_id, a.metric, bankcrm.churn_remediation_log(a.alert_id, 'fee_waiver', 'Fees waived.', 990000002) > 0 AS logged
  FROM churn_t_alert a WHERE a.party_id = 990000001 AND a.metric = 'txn_volume';
-- (called with the id, not in the select list of a query over the table: on
-- Citus such a call is pushed down into the shard, where it cannot write)
SELECT r.remediation_id AS churn_rid FROM bankcrm.churn_remediation r WHERE r.party_id = 990000001 \gset
SELECT bankcrm.churn_remediation_outcome(:churn_rid, 'retained', 'Stayed.');
SELECT a.party_id, a.metric, bankcrm.churn_alert_fire(a.alert_id, 'resolve') AS state
  FROM churn_t_alert a WHERE a.party_id = 990000001 AND a.metric = 'txn_volume';
SELECT a.party_id, a.metric, bankcrm.churn_alert_fire(a.alert_id, 'dismiss') AS state
  FROM churn_t_alert a WHERE a.party_id = 990000003 ORDER BY a.metric;
SELECT party_id, action, staff_id, outcome, note FROM bankcrm.churn_remediation WHERE party_id >= 990000001;
SELECT party_id, metric, state, closed_at IS NOT NULL AS closed, note
  FROM bankcrm.churn_alert WHERE party_id >= 990000001 ORDER BY party_id, metric;
SELECT h.party_id, a.metric, h.event, h.from_state, h.to_state, h.note
  FROM bankcrm.churn_alert_history h JOIN bankcrm.churn_alert a USING (alert_id, party_id)
 WHERE h.party_id >= 990000001
 ORDER BY h.party_id, a.metric,
          array_position('{raised,escalated,acknowledge,start_remediation,resolve,dismiss}'::text[], h.event);
SELECT party_id, metric, state FROM bankcrm.churn_dashboard WHERE party_id >= 990000001 ORDER BY party_id, metric;

\echo '### snoozed'
-- snoozed: the resolved alert does not come back at the same severity
UPDATE bankcrm.activity_weekly SET txn_volume = 35 WHERE party_id = 990000001 AND week = '2026-01-19';
SELECT count(*) > 0 AS took_marks FROM (SELECT bankcrm.churn_process_dirty(1000000)) x;
SELECT party_id, metric, state, severity FROM bankcrm.churn_alert WHERE party_id = 990000001 ORDER BY metric, state;

\echo '### departed'
-- party 4 closed before its slide: never alerted; party 1 closes now: its
-- active alerts are lost through the churn_alert process, with history,
-- and it leaves the dashboard
SELECT count(*) AS closed_party_alerts FROM bankcrm.churn_alert WHERE party_id = 990000004;
UPDATE bankcrm.party SET status = 'closed', closed_on = '2026-01-26' WHERE party_id = 990000001;
SELECT count(*) AS on_dashboard FROM bankcrm.churn_dashboard WHERE party_id = 990000001;
SELECT d.party_id, d.metric, d.severity, d.event FROM bankcrm.churn_close_departed('2026-01-26') d
 WHERE d.party_id >= 990000001 ORDER BY d.party_id, d.metric;
SELECT party_id, metric, state, closed_at IS NOT NULL AS closed, note
  FROM bankcrm.churn_alert WHERE party_id = 990000001 ORDER BY metric, state;
SELECT h.party_id, a.metric, h.event, h.from_state, h.to_state, h.note
  FROM bankcrm.churn_alert_history h JOIN bankcrm.churn_alert a USING (alert_id, party_id)
 WHERE h.party_id = 990000001 AND h.event = 'lose' ORDER BY a.metric;

\echo '### probability'
-- a model of known coefficients: the features and probabilities of our
-- parties as of a week, point in time, and a week's scores in the queue
INSERT INTO bankcrm.churn_model (name, version, horizon_weeks, lambda, weeks_from, weeks_to, step_weeks, features, coef, rows, positives)
SELECT 'churn-citus-test', 1, 26, 1, '2025-01-06', '2025-12-29', 4, n,
       ARRAY[-3]::float8[] || array_fill(0.5::float8, ARRAY[cardinality(n)]), 100, 10
  FROM bankcrm.churn_feature_names() n;
SELECT r.party_id, r.week, (SELECT array_agg(round(f::numeric, 4)) FROM unnest(r.features) f) AS features, r.exited
  FROM bankcrm.churn_model_rows('{2026-01-05,2026-01-19}', 26, '{990000001,990000002,990000004}') r
 ORDER BY r.party_id, r.week;
SELECT p AS party_id, round(bankcrm.churn_probability(p, '2026-01-19',
       (SELECT model_id FROM bankcrm.churn_model WHERE name = 'churn-citus-test'))::numeric, 6) AS probability
  FROM unnest('{990000001,990000002,990000003}'::bigint[]) p ORDER BY p;
SELECT bankcrm.churn_score_week('2026-01-19', (SELECT model_id FROM bankcrm.churn_model WHERE name = 'churn-citus-test')) > 0 AS scored;
SELECT party_id, round(probability::numeric, 6) AS probability, yearly_contribution, round(at_risk::numeric, 2) AS at_risk
  FROM bankcrm.churn_score WHERE party_id >= 990000001 ORDER BY party_id;
SELECT party_id, metric, round(probability::numeric, 6) AS probability
  FROM bankcrm.churn_queue WHERE party_id >= 990000001 ORDER BY party_id, metric;

ROLLBACK;
