-- churn early warning: series, deviation figures on hand-made series,
-- policies, alerts and their lifecycle
SET extra_float_digits = 0;
SET datestyle = ISO;

-- a policy with short windows, so that every figure can be checked by hand
-- (the CUSUM interval 5 and the clip 4 of the textbook, the first year's
-- interval the same as the others')
INSERT INTO bankcrm.churn_policy (name, party_kind, trailing_weeks, min_history_weeks, confirm_weeks, holiday_weeks,
                                  cusum_h, z_clip, first_year_cusum_h)
VALUES ('short', NULL, 4, 4, 2, 1, 5, 4, 5);
CREATE TEMP TABLE pol AS SELECT p FROM bankcrm.churn_policy p WHERE name = 'short';

-- 1. the compact series: real[3][w0:w1], NaN for a week without a row
SELECT s, array_dims(s), bankcrm.churn_series_last_week(s)
  FROM (SELECT bankcrm.churn_series_agg(w, l, t, c) AS s
          FROM (VALUES ('2026-01-05'::date, 10.0, 100.0, 5), ('2026-01-19', 0, 50, 2), ('2026-01-05', 1, 1, 1)) v(w, l, t, c)) x;
SELECT * FROM bankcrm.churn_series_unnest(
	(SELECT bankcrm.churn_series_agg(w, l, t, c) FROM (VALUES ('2026-01-05'::date, 10.0, 100.0, 5), ('2026-01-19', 0, 50, 2)) v(w, l, t, c)));
-- merge: the new series' weeks win, the old ones stay
SELECT bankcrm.churn_series_merge('[1:3][1358:1359]={{1,2},{3,4},{5,6}}', '[1:3][1359:1360]={{9,NaN},{9,9},{9,9}}');
SELECT bankcrm.churn_sparkline('[1:3][1358:1359]={{1,2},{3,4},{5,6}}', 'txn_volume', '2026-01-12', 4);
-- slice: the insert path's way of passing many parties' weeks in one array
SELECT bankcrm.churn_series_slice('{9,1,2,3,4,5,6}', 1, 1358, 2);
SELECT bankcrm.churn_series_slice('{9,1,2,3,4,5,6}', 2, 1358, 2);
-- refused input
SELECT bankcrm.churn_series_agg('2026-01-06', 1, 1, 1);
SELECT bankcrm.churn_series_agg('2026-01-05', -1, 1, 1);
SELECT bankcrm.churn_series_agg('2026-01-05', 'NaN', 1, 1);
SELECT bankcrm.churn_series_agg('2026-01-05', 1, 'Infinity', 1);
SELECT * FROM bankcrm.churn_evaluate('{1,2,3}', NULL);
SELECT bankcrm.churn_sparkline('[1:3][1358:1359]={{1,2},{3,4},{5,6}}', 'deposits', '2026-01-12', 4);

-- 2. a slide: eight weeks of 100, then 60, 60, 60, 10 (txn_volume only)
CREATE TEMP TABLE slide AS
SELECT bankcrm.churn_series_agg(w, NULL, v, NULL) AS s
  FROM (SELECT '2026-01-05'::date + 7 * i AS w,
               CASE WHEN i < 8 THEN 100 WHEN i < 11 THEN 60 ELSE 10 END::float8 AS v
          FROM generate_series(0, 11) i) x;
-- weeks 0-1: less than half of the 4-week window known, no mean; week 4:
-- a full window, the detector starts with R = L = 100 and the noise at its floor
-- (2 %), so the CUSUM allowance is 20 % / (2 * 2 %) = 5; week 8: q = -0.4,
-- z = -20, the step 20 - 5 is clipped to 4, and the noise, still in control,
-- takes 0.9 * 0.02 + 0.1 * min(0.4, 4 * 0.02) * 1.2533 = 0.028; week 9:
-- R = 100 + (90 - 100) / 52, C = 8 >= 5 (drift) and two weeks below -30 %
-- (week_drop); the mean of the last four weeks against R sets the severity:
-- 1 - 80 / 99.8077 = 19.85 % watch, 29.60 % warning, 51.95 % critical
SELECT f.week, f.value, f.history_weeks AS hist, round(f.trailing_mean::numeric, 2) AS l,
       round(f.trailing_sd::numeric, 2) AS sd, round(f.week_pct::numeric, 2) AS week_pct,
       round(f.reference::numeric, 4) AS r, round(f.noise::numeric, 4) AS noise, round(f.cusum::numeric, 2) AS c,
       round(f.quarter_mean::numeric, 2) AS qm, round(f.level_drop_pct::numeric, 2) AS drop, f.rule, f.severity
  FROM slide, pol, bankcrm.churn_history(slide.s, pol.p) f
 WHERE f.metric = 'txn_volume'
 ORDER BY f.week;
-- churn_evaluate gives the last week, and the first week that alerted
SELECT metric, week, severity, first_alert_week, first_alert_severity
  FROM slide, pol, bankcrm.churn_evaluate(slide.s, pol.p);
-- as of an earlier week; before the series: nothing
SELECT metric, week, value, severity FROM slide, pol, bankcrm.churn_evaluate(slide.s, pol.p, '2026-03-02');
SELECT count(*) FROM slide, pol, bankcrm.churn_evaluate(slide.s, pol.p, '2025-12-29');
-- the default policy needs 26 weeks of history: no rule fires
SELECT metric, week, history_weeks, rule, severity FROM slide, bankcrm.churn_evaluate(slide.s, NULL);

-- 3. same weeks last year: a holiday dip each year
-- 60 flat weeks of 100 with 50 in the holiday's week, 2025-01-27 and 2026-02-16
CREATE TEMP TABLE season AS
SELECT bankcrm.churn_series_agg(w, NULL, CASE WHEN w IN ('2025-01-27', '2026-02-16') THEN 50 ELSE 100 END, NULL) AS s
  FROM generate_series('2024-11-04'::date, '2026-02-23', '7 days') g, LATERAL (SELECT g::date AS w) d;
-- without a calendar the dip is a 50 % drop against an expectation of 100
SELECT f.week, f.value, f.last_year_value, f.seasonal_factor, f.expected, round(f.cusum::numeric, 2) AS c
  FROM season, pol, bankcrm.churn_history(season.s, pol.p, '2026-02-23') f
 WHERE f.metric = 'txn_volume' AND f.week >= '2026-02-09';
-- with it, the week is compared with last year's holiday week (a 50 % week
-- against a centred level of 100): expected 50, no evidence
SELECT f.week, f.value, f.last_year_value, f.seasonal_factor, f.expected, round(f.cusum::numeric, 2) AS c
  FROM season, pol, bankcrm.churn_history(season.s, pol.p, '2026-02-23',
                                          '{2025-01-29,2026-02-17}', '{NULL,2025-01-29}') f
 WHERE f.metric = 'txn_volume' AND f.week >= '2026-02-09';
-- the built-in calendar knows both
SELECT d, p FROM bankcrm.churn_calendar() c, unnest(c.days, c.prev_days) u(d, p)
 WHERE d BETWEEN '2025-01-01' AND '2026-12-31' ORDER BY d;

-- 3b. quarters across years, aligned on the holidays: flat 100 with three
-- holiday weeks of 40 from Chinese New Year's week (2025-01-27, 2026-02-16).
-- Without a calendar the quarter holding this year's holiday weeks is
-- compared with fixed windows (the quarter before, the same weeks 52 weeks
-- ago); with it, both quarters leave the holiday weeks out and last year's
-- quarter is the one holding last year's holiday at the same place
-- (2025-01-29 is 55 weeks before 2026-02-17): 0 % both ways
INSERT INTO bankcrm.churn_policy (name, trailing_weeks, min_history_weeks, holiday_weeks, cusum_h, z_clip, first_year_cusum_h)
VALUES ('aligned', 4, 4, 3, 5, 4, 5);
CREATE TEMP TABLE pol3 AS SELECT p FROM bankcrm.churn_policy p WHERE name = 'aligned';
CREATE TEMP TABLE holiday AS
SELECT bankcrm.churn_series_agg(w, NULL,
	CASE WHEN w BETWEEN '2025-01-27' AND '2025-02-10' OR w BETWEEN '2026-02-16' AND '2026-03-02' THEN 40 ELSE 100 END, NULL) AS s
  FROM generate_series('2024-09-02'::date, '2026-03-30', '7 days') g, LATERAL (SELECT g::date AS w) d;
SELECT f.week, f.value, round(f.quarter_mean::numeric, 2) AS qm, round(f.prev_quarter_pct::numeric, 2) AS vs_prev,
       round(f.last_year_quarter_pct::numeric, 2) AS vs_last_year
  FROM holiday, pol3, bankcrm.churn_history(holiday.s, pol3.p, '2026-03-30') f
 WHERE f.metric = 'txn_volume' AND f.week IN ('2026-02-16', '2026-03-02', '2026-03-30');
SELECT f.week, f.value, round(f.quarter_mean::numeric, 2) AS qm, round(f.prev_quarter_pct::numeric, 2) AS vs_prev,
       round(f.last_year_quarter_pct::numeric, 2) AS vs_last_year
  FROM holiday, pol3, bankcrm.churn_history(holiday.s, pol3.p, '2026-03-30',
                                            '{2025-01-29,2026-02-17}', '{NULL,2025-01-29}') f
 WHERE f.metric = 'txn_volume' AND f.week IN ('2026-02-16', '2026-03-02', '2026-03-30');
-- the first year has no quarter last year: a quarter at 60 after 100
-- fires quarter_drop only once the same quarter last year is known (the
-- second series), where it is 40 % down too
SELECT n, f.week, round(f.prev_quarter_pct::numeric, 2) AS vs_prev, round(f.last_year_quarter_pct::numeric, 2) AS vs_last_year,
       f.rule
  FROM (VALUES (30), (60)) v(n), pol3,
       LATERAL (SELECT bankcrm.churn_series_agg('2024-01-01'::date + 7 * i, NULL, CASE WHEN i < n THEN 100 ELSE 60 END, NULL) AS s
                  FROM generate_series(0, n + 12) i) x,
       LATERAL bankcrm.churn_evaluate(x.s, pol3.p) f
 WHERE f.metric = 'txn_volume'
 ORDER BY n;

-- the first year has no season of last year either: the CUSUM must reach
-- first_year_cusum_h (here 12) before drift fires; a year later (a season
-- to go by) cusum_h (5) is enough.  The slide of section 2 after 8 and
-- after 60 weeks of 100
UPDATE bankcrm.churn_policy SET first_year_cusum_h = 12 WHERE name = 'aligned';
SELECT n, min(f.week) FILTER (WHERE f.rule LIKE '%drift%') AS first_drift,
       min(f.week) FILTER (WHERE f.cusum >= 5) AS first_cusum_5, min(f.week) FILTER (WHERE f.cusum >= 12) AS first_cusum_12
  FROM (VALUES (8), (60)) v(n),
       LATERAL (SELECT p FROM bankcrm.churn_policy p WHERE name = 'aligned') pol,
       LATERAL (SELECT bankcrm.churn_series_agg('2024-01-01'::date + 7 * i, NULL,
                                               CASE WHEN i < n THEN 100 WHEN i < n + 3 THEN 60 ELSE 10 END, NULL) AS s
                  FROM generate_series(0, n + 6) i) x,
       LATERAL bankcrm.churn_history(x.s, pol.p) f
 WHERE f.metric = 'txn_volume'
 GROUP BY n ORDER BY n;
UPDATE bankcrm.churn_policy SET first_year_cusum_h = 5 WHERE name = 'aligned';

-- 4. robustness: a missing week is unknown, two are silence; zero baselines
SELECT f.week, f.value, f.history_weeks, f.trailing_mean, f.week_pct
  FROM pol, bankcrm.churn_history('[1:3][1358:1363]={{NaN,NaN,NaN,NaN,NaN,NaN},{100,NaN,100,NaN,NaN,100},{NaN,NaN,NaN,NaN,NaN,NaN}}', pol.p) f
 WHERE f.metric = 'txn_volume' ORDER BY f.week;
SELECT f.metric, f.week, f.value, f.trailing_mean, f.week_pct, f.week_z, f.cusum, f.severity
  FROM pol, bankcrm.churn_evaluate('[1:3][1358:1365]={{0,0,0,0,0,0,0,0},{0,0,0,0,0,0,0,0},{0,0,0,0,0,0,0,0}}', pol.p) f;
SELECT count(*) FROM pol, bankcrm.churn_evaluate(NULL, pol.p);

-- 5. policies: table checks and on-the-fly rows
INSERT INTO bankcrm.churn_policy (name, cusum_h) VALUES ('bad', 0);
INSERT INTO bankcrm.churn_policy (name, trailing_weeks, min_history_weeks) VALUES ('bad', 13, 4);
INSERT INTO bankcrm.churn_policy (name, metrics) VALUES ('bad', '{deposits}');
INSERT INTO bankcrm.churn_policy (name, cusum_h, first_year_cusum_h) VALUES ('bad', 6, 5);
SELECT count(*) FROM slide, LATERAL (SELECT (p).* FROM pol) q,
       bankcrm.churn_evaluate(slide.s, ROW(q.policy_id, q.name, q.party_kind, q.priority, q.enabled, q.metrics,
              q.trailing_weeks, q.min_history_weeks, q.week_drop_pct, q.week_z, q.confirm_weeks, 150,
              q.cusum_k, q.cusum_h, q.z_clip, q.drift_drop_pct, q.min_noise_pct, q.holiday_weeks,
              q.warning_drop_pct, q.critical_drop_pct, q.snooze_weeks, q.first_year_cusum_h)::bankcrm.churn_policy);
SELECT metric FROM slide, LATERAL (SELECT (p).* FROM pol) q,
       bankcrm.churn_evaluate(slide.s, ROW(q.policy_id, q.name, q.party_kind, q.priority, q.enabled, '{txn_count}',
              q.trailing_weeks, q.min_history_weeks, q.week_drop_pct, q.week_z, q.confirm_weeks, q.quarter_drop_pct,
              q.cusum_k, q.cusum_h, q.z_clip, q.drift_drop_pct, q.min_noise_pct, q.holiday_weeks,
              q.warning_drop_pct, q.critical_drop_pct, q.snooze_weeks, q.first_year_cusum_h)::bankcrm.churn_policy);
SELECT name, (bankcrm.churn_policy_for('corporate')).name AS corporate FROM pol, LATERAL (SELECT (p).name) n;

-- 6. the insert path, the scan, alerts, task force
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-BJ', 'Beijing', 'Beijing');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (1, 'BJ01', 'Beijing Main', 'CN-BJ');
INSERT INTO bankcrm.team (team_id, branch_id, name) VALUES (1, 1, 'Corporate 1');
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, team_id) VALUES
	(1, 'Manager Wang', 'branch_manager', 1, NULL), (2, 'RM Li', 'rm', 1, 1);
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id) VALUES
	(1, 'corporate', 'Sliding Co', 'CN-BJ', 'active', 1), (2, 'corporate', 'Steady Co', 'CN-BJ', 'active', 1);
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from) VALUES (1, 2, 'primary_rm', '2020-01-01');
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT p, '2026-01-05'::date + 7 * i, 0, CASE WHEN p = 1 AND i >= 8 THEN 60 ELSE 100 END, 0
  FROM generate_series(1, 2) p, generate_series(0, 9) i;
-- NaN, infinity and negative volumes are refused at insert
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (2, '2026-03-16', 'NaN');
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (2, '2026-03-16', '-1');
-- the trigger kept the series and marked both parties
SELECT party_id, array_dims(series) FROM bankcrm_churn.churn_series_now ORDER BY party_id;
SELECT party_id FROM bankcrm_churn.churn_dirty ORDER BY party_id;
UPDATE bankcrm.churn_policy SET party_kind = 'corporate' WHERE name = 'short';
SELECT * FROM bankcrm.churn_scan();
SELECT alert_id, party_id, metric, state, severity, rule, first_week, last_week, round(level_drop_pct::numeric, 2) AS drop,
       branch_id, branch_manager_id, rm_id, team_id
  FROM bankcrm.churn_alert ORDER BY alert_id;
-- a scan again raises nothing new
SELECT * FROM bankcrm.churn_scan();
-- the slide goes on: the monitor's batch function escalates the alert
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (1, '2026-03-16', 60), (2, '2026-03-16', 100);
SELECT bankcrm.churn_process_dirty(10);
SELECT count(*) FROM bankcrm_churn.churn_dirty;
SELECT alert_id, severity, last_week, round(level_drop_pct::numeric, 2) AS drop, escalated_at IS NOT NULL AS escalated
  FROM bankcrm.churn_alert ORDER BY alert_id;
SELECT alert_id, event, from_state, to_state, severity FROM bankcrm.churn_alert_history ORDER BY history_id;
-- one active alert per party and metric
INSERT INTO bankcrm.churn_alert (party_id, metric, severity, rule, first_week, last_week)
VALUES (1, 'txn_volume', 'watch', 'drift', '2026-03-16', '2026-03-16');
SELECT * FROM bankcrm.churn_scan('2026-03-17');
-- historical scan: an older week does not lower the severity
SELECT * FROM bankcrm.churn_scan('2026-03-02');
SELECT alert_id, severity, last_week FROM bankcrm.churn_alert ORDER BY alert_id;

-- 7. the lifecycle (the churn_alert process) and remediation
SELECT bankcrm.churn_alert_fire(1, 'acknowledge', 'Called the treasurer.');
SELECT bankcrm.churn_remediation_log(1, 'fee_waiver', 'Waived account fees for a quarter.', 2);
SELECT bankcrm.churn_remediation_log(1, 'free_lunch');
SELECT bankcrm.churn_alert_fire(1, 'dismiss');
SELECT bankcrm.churn_remediation_outcome(1, 'delighted');
SELECT bankcrm.churn_remediation_outcome(1, 'retained');
SELECT bankcrm.churn_alert_fire(1, 'resolve');
SELECT bankcrm.churn_remediation_log(1, 'marketing');
SELECT bankcrm.churn_alert_fire(42, 'resolve');
UPDATE bankcrm.churn_alert SET state = 'open' WHERE alert_id = 1;
SELECT alert_id, state, closed_at IS NOT NULL AS closed, note FROM bankcrm.churn_alert ORDER BY alert_id;
SELECT remediation_id, alert_id, party_id, action, staff_id, outcome FROM bankcrm.churn_remediation;
SELECT event, from_state, to_state FROM bankcrm.churn_alert_history WHERE alert_id = 1 ORDER BY history_id;
-- closed recently at warning: no new alert of the same severity (snooze)
SELECT * FROM bankcrm.churn_scan();

-- 8. the dashboard and the summary
SELECT alert_id, party_id, party_name, branch_name, severity, state, metric, weeks_open, sparkline
  FROM bankcrm.churn_dashboard ORDER BY alert_id;
SELECT * FROM bankcrm.churn_alert_summary ORDER BY branch_id, severity, state;

-- 8b. alerts for the living.  A party that closes: its active alert is
-- lost through the churn_alert process (history, fsm_history), the
-- dashboard drops it at once, and its new weeks raise nothing
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id) VALUES
	(3, 'corporate', 'Leaving Co', 'CN-BJ', 'active', 1), (4, 'corporate', 'Silent Co', 'CN-BJ', 'active', 1);
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT p, '2026-01-05'::date + 7 * i, 0, CASE WHEN i >= 8 THEN 40 ELSE 100 END, 0
  FROM generate_series(3, 4) p, generate_series(0, 9) i;
SELECT * FROM bankcrm.churn_scan('2026-03-02');
SELECT * FROM bankcrm.churn_scan('2026-03-09');
UPDATE bankcrm.party SET status = 'closed', closed_on = '2026-03-13' WHERE party_id = 3;
SELECT count(*) FROM bankcrm.churn_dashboard WHERE party_id = 3;
-- the monitor's batch evaluates the closed party only for weeks before it
-- closed: nothing new is raised; and it loses the closed party's alert
-- itself, with no rule firing for it; weeks_open counts from the raising
-- week to the party's latest week
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (3, '2026-03-16', 10), (4, '2026-03-16', 40);
SELECT bankcrm.churn_process_dirty(10);
SELECT alert_id, party_id, first_week, last_week, weeks_open FROM bankcrm.churn_dashboard WHERE party_id IN (3, 4) ORDER BY alert_id;
SELECT alert_id, party_id, state, closed_at IS NOT NULL AS closed, note FROM bankcrm.churn_alert WHERE party_id IN (3, 4) ORDER BY alert_id;
-- the scan finds nothing left to lose
SELECT * FROM bankcrm.churn_scan();
SELECT count(*) FROM bankcrm.churn_alert WHERE party_id = 3 AND state = 'open';
SELECT h.event, h.from_state, h.to_state, h.severity, h.note FROM bankcrm.churn_alert_history h
 WHERE h.party_id = 3 ORDER BY h.at, h.history_id;
SELECT f.from_state, f.to_state, f.event FROM bankcrm.fsm_history f
 WHERE f.process_name = 'churn_alert' AND f.entity_id = (SELECT min(alert_id) FROM bankcrm.churn_alert WHERE party_id = 3)
 ORDER BY f.history_id;
-- a party silent for 26 weeks has left: its alert is lost as of a week
-- that late (2026-09-14, 26 weeks after 2026-03-16), kept a week earlier
SELECT * FROM bankcrm.churn_close_departed('2026-09-07');
SELECT alert_id, party_id, metric, severity, event FROM bankcrm.churn_close_departed('2026-09-14');
SELECT alert_id, state, note FROM bankcrm.churn_alert WHERE party_id = 4;
SELECT * FROM bankcrm.churn_close_departed(NULL, 0);

-- 9. changes and deletes rebuild the series
UPDATE bankcrm.activity_weekly SET txn_volume = 7 WHERE party_id = 2 AND week = '2026-03-16';
DELETE FROM bankcrm.activity_weekly WHERE party_id = 2 AND week >= '2026-03-02';
SELECT week, txn_volume FROM bankcrm_churn.churn_series_now s, bankcrm.churn_series_unnest(s.series) u
 WHERE s.party_id = 2 ORDER BY week DESC LIMIT 2;
DELETE FROM bankcrm.activity_weekly WHERE party_id = 2;
SELECT count(*) FROM bankcrm_churn.churn_series_now WHERE party_id = 2;
SELECT * FROM bankcrm.churn_deviation(2);
SELECT metric, week, round(level_drop_pct::numeric, 2) AS drop, severity FROM bankcrm.churn_deviation(1);
-- the row triggers keep the series churn_series_agg builds from the rows
-- left: a middle week deleted, the first one deleted, a week moved
DELETE FROM bankcrm.activity_weekly WHERE party_id = 1 AND week IN ('2026-02-02', (SELECT min(week) FROM bankcrm.activity_weekly WHERE party_id = 1));
UPDATE bankcrm.activity_weekly SET week = '2026-06-01', loan_volume = 3 WHERE party_id = 1 AND week = '2026-02-09';
SELECT array_dims(series) FROM bankcrm_churn.churn_series_now WHERE party_id = 1;
SELECT s.party_id, s.series = a.series AS same, array_lower(s.series, 2) = array_lower(a.series, 2) AS same_first_week
  FROM bankcrm_churn.churn_series_now s
  JOIN (SELECT party_id, bankcrm.churn_series_agg(week, loan_volume, txn_volume, txn_count) AS series
          FROM bankcrm.activity_weekly GROUP BY party_id) a USING (party_id)
 ORDER BY 1;
SELECT bankcrm.churn_series_drop_week(NULL, '2026-03-16'), bankcrm.churn_series_drop_week('{{1},{2},{3}}'::real[], NULL);
-- inserted rows wait for the statement's end: a savepoint that fails after
-- some of them forgets them, and rows left unwritten fail the commit
BEGIN;
SAVEPOINT s;
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (1, '2026-06-08', 5), (99, '2026-06-08', 5);
ROLLBACK TO SAVEPOINT s;
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (1, '2026-06-15', 6);
COMMIT;
SELECT week, txn_volume FROM bankcrm_churn.churn_series_now s, bankcrm.churn_series_unnest(s.series) u
 WHERE s.party_id = 1 ORDER BY week DESC LIMIT 3;
ALTER TABLE bankcrm.activity_weekly DISABLE TRIGGER churn_activity_flush;
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (1, '2026-06-22', 7);
ALTER TABLE bankcrm.activity_weekly ENABLE TRIGGER churn_activity_flush;
SELECT count(*) FROM bankcrm.activity_weekly WHERE party_id = 1 AND week = '2026-06-22';
SELECT bankcrm.churn_process_dirty(0);

-- a series packed in C is the array a literal gives, byte for byte
SELECT array_send(bankcrm.churn_series_merge(NULL, x)) = array_send(x) AS same_bytes,
       pg_column_size(bankcrm.churn_series_merge(NULL, x)) = pg_column_size(x) AS same_size
  FROM (SELECT '[1:3][1200:1202]={{1,2,3},{3,4,5},{5,NaN,7}}'::real[] AS x) a;

-- 9b. a new week is appended, not rewritten: the first statement of a
-- party writes its series, later ones append their weeks to
-- churn_series_tail and leave the series row as it was; the monitor folds
-- them once they are 4 + party_id % 9 weeks (party 90: 4), and a change
-- of a row folds them first.  The series as of now (churn_series_now) is
-- always the one churn_series_agg builds from the rows.
CREATE TEMP VIEW tail_check AS
SELECT (SELECT array_dims(series) FROM bankcrm_churn.churn_series WHERE party_id = 90) AS written,
       (SELECT count(*) FROM bankcrm_churn.churn_series_tail WHERE party_id = 90) AS tail_rows,
       n.tail_weeks, array_dims(n.series) AS now,
       n.series = (SELECT bankcrm.churn_series_agg(week, loan_volume, txn_volume, txn_count)
                     FROM bankcrm.activity_weekly WHERE party_id = 90) AS same_as_rows
  FROM bankcrm_churn.churn_series_now n WHERE n.party_id = 90;
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id)
VALUES (90, 'corporate', 'Appending Co', 'CN-BJ', 'active', 1);
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT 90, '2025-01-06'::date + 7 * i, 10, 100 + i, 5 FROM generate_series(0, 29) i;
SELECT * FROM tail_check;
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (90, '2025-08-04', 130);
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (90, '2025-08-11', 131);
-- a week after a gap
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (90, '2025-08-25', 133);
SELECT * FROM tail_check;
-- three weeks: the monitor evaluates them and keeps them appended
SELECT bankcrm.churn_process_dirty(100);
SELECT * FROM tail_check;
-- the gap's week and one more, one statement spanning three weeks: 6
-- weeks appended, folded by the monitor's batch
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (90, '2025-08-18', 132), (90, '2025-09-01', 134);
SELECT * FROM tail_check;
SELECT bankcrm.churn_process_dirty(100);
SELECT * FROM tail_check;
-- appended again, then a change of an older row and a delete of an appended week
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (90, '2025-09-08', 135);
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (90, '2025-09-15', 136);
UPDATE bankcrm.activity_weekly SET txn_volume = 1 WHERE party_id = 90 AND week = '2025-01-13';
SELECT * FROM tail_check;
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (90, '2025-09-22', 137);
DELETE FROM bankcrm.activity_weekly WHERE party_id = 90 AND week = '2025-09-22';
SELECT * FROM tail_check;
-- a deleted party takes its appended weeks with it
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (90, '2025-09-29', 138);
DELETE FROM bankcrm.party WHERE party_id = 90;
SELECT (SELECT count(*) FROM bankcrm_churn.churn_series WHERE party_id = 90) AS series,
       (SELECT count(*) FROM bankcrm_churn.churn_series_tail WHERE party_id = 90) AS tail_rows;
DROP VIEW tail_check;

-- 9c. the monitor's batch closes the alerts of the departed itself: when
-- a batch sees a new latest week, the parties silent for 26 weeks by then
-- (and those closed by then) lose their active alerts, through the
-- churn_alert process, though no mark of theirs was taken
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id) VALUES
	(93, 'corporate', 'Gone Quiet Co', 'CN-BJ', 'active', 1), (94, 'corporate', 'Still Here Co', 'CN-BJ', 'active', 1);
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT p, '2026-01-05'::date + 7 * i, 0, CASE WHEN i >= 8 THEN 40 ELSE 100 END, 0
  FROM generate_series(93, 94) p, generate_series(0, 9) i;
SELECT party_id, metric, event FROM bankcrm.churn_apply(ARRAY[93, 94]::bigint[], '2026-03-09') ORDER BY 1, 2;
SELECT bankcrm.churn_process_dirty(10);
SELECT party_id, state FROM bankcrm.churn_alert WHERE party_id IN (93, 94) ORDER BY 1;
-- 94 goes on; 93 has been silent since 2026-03-09, 28 weeks before 2026-09-21
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume) VALUES (94, '2026-09-21', 40);
SELECT bankcrm.churn_process_dirty(10);
SELECT a.party_id, a.state, a.note, h.event, h.from_state, h.to_state
  FROM bankcrm.churn_alert a JOIN bankcrm.churn_alert_history h USING (alert_id)
 WHERE a.party_id IN (93, 94) ORDER BY a.party_id, h.history_id;
DELETE FROM bankcrm.party WHERE party_id IN (93, 94);

TRUNCATE bankcrm.activity_weekly;
SELECT count(*) FROM bankcrm_churn.churn_series_now;
SELECT count(*) FROM bankcrm_churn.churn_series_tail;
