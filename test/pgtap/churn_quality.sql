-- test/pgtap/churn_quality.sql: churn early warning against the generator's
-- ground truth (bankcrm_truth.churner) at ci size.
--
-- Every party is evaluated over its whole history under its policy and the
-- holiday calendar, as a weekly scan would have seen it.  A party is
-- "alerted" in a week when any metric has a severity; an alert is "raised"
-- in a week that follows a week without one.
--   recall     churners whose exit lies in the data, alerted before exit
--   lead time  weeks from the first alert to the exit
--   false      stable corporates (no churner) with an alert raised in a
--              calendar quarter, per quarter, Chinese New Year quarters
--              included
-- The same figures for the naive rule (a week 30 % below the mean of the 13
-- weeks before it, in any metric) are computed and must be worse.
BEGIN;
SELECT plan(12);

CREATE TEMP TABLE q_alert AS
SELECT s.party_id, f.week
  FROM bankcrm_churn.churn_series_now s
  JOIN bankcrm.party p ON p.party_id = s.party_id,
       bankcrm.churn_calendar() cal,
       LATERAL bankcrm.churn_history(s.series, bankcrm.churn_policy_for(p.kind), NULL, cal.days, cal.prev_days) f
 WHERE f.severity IS NOT NULL
 GROUP BY 1, 2;

CREATE TEMP TABLE q_naive AS
SELECT party_id, week
  FROM (SELECT a.party_id, a.week,
               count(*) OVER w AS n,
               a.loan_volume < 0.7 * avg(a.loan_volume) OVER w AS l,
               a.txn_volume < 0.7 * avg(a.txn_volume) OVER w AS t,
               a.txn_count < 0.7 * avg(a.txn_count) OVER w AS c
          FROM bankcrm.activity_weekly a
        WINDOW w AS (PARTITION BY a.party_id ORDER BY a.week ROWS BETWEEN 13 PRECEDING AND 1 PRECEDING)) x
 WHERE n = 13 AND (l OR t OR c)
 GROUP BY 1, 2;

CREATE TEMP TABLE q_churner AS
SELECT c.party_id, c.exit_week FROM bankcrm_truth.churner c
 WHERE c.exit_week <= (SELECT max(week) FROM bankcrm.activity_weekly);

CREATE TEMP TABLE q_stable AS
SELECT p.party_id FROM bankcrm.party p
 WHERE p.kind = 'corporate'
   AND EXISTS (SELECT 1 FROM bankcrm_churn.churn_series_now s WHERE s.party_id = p.party_id)
   AND NOT EXISTS (SELECT 1 FROM bankcrm_truth.churner c WHERE c.party_id = p.party_id);

CREATE FUNCTION pg_temp.q_figures(rule text, OUT recall numeric, OUT median_lead numeric,
	OUT worst_quarter_pct numeric, OUT cny_quarter_pct numeric)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format($q$
		WITH first AS (
			SELECT c.party_id, c.exit_week,
			       (SELECT min(a.week) FROM %1$I a WHERE a.party_id = c.party_id AND a.week <= c.exit_week) AS week
			  FROM q_churner c),
		raised AS (
			SELECT a.party_id, a.week FROM %1$I a
			 WHERE a.party_id IN (SELECT party_id FROM q_stable)
			   AND NOT EXISTS (SELECT 1 FROM %1$I b WHERE b.party_id = a.party_id AND b.week = a.week - 7)),
		quarters AS (
			SELECT g::date AS q FROM generate_series('2024-04-01'::date, '2026-10-01', '3 months') g),
		per_quarter AS (
			SELECT q.q, 100.0 * count(DISTINCT r.party_id) / (SELECT count(*) FROM q_stable) AS pct
			  FROM quarters q LEFT JOIN raised r ON r.week >= q.q AND r.week < q.q + interval '3 months'
			 GROUP BY q.q)
		SELECT (SELECT round(100.0 * count(week) / count(*), 1) FROM first),
		       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (exit_week - week) / 7)::numeric FROM first WHERE week IS NOT NULL),
		       (SELECT round(max(pct), 2) FROM per_quarter),
		       (SELECT round(max(pct), 2) FROM per_quarter WHERE q IN ('2025-01-01', '2026-01-01'))$q$, rule)
	INTO recall, median_lead, worst_quarter_pct, cny_quarter_pct;
END
$$;

CREATE TEMP TABLE q_result AS
SELECT 'bankcrm' AS rule, f.* FROM pg_temp.q_figures('q_alert') f
UNION ALL
SELECT 'naive', f.* FROM pg_temp.q_figures('q_naive') f;

SELECT cmp_ok((SELECT count(*) FROM q_churner), '>=', 20::bigint, 'the ci bank has churners that exit within the data');
SELECT cmp_ok((SELECT count(*) FROM q_stable), '>=', 500::bigint, 'the ci bank has stable corporates');
SELECT cmp_ok(recall, '>=', 90::numeric, format('recall %s %% >= 90 %%', recall)) FROM q_result WHERE rule = 'bankcrm';
SELECT cmp_ok(median_lead, '>=', 8::numeric, format('median lead time %s weeks >= 8', median_lead)) FROM q_result WHERE rule = 'bankcrm';
SELECT cmp_ok(worst_quarter_pct, '<=', 2::numeric, format('false alarms in the worst quarter %s %% <= 2 %%', worst_quarter_pct))
  FROM q_result WHERE rule = 'bankcrm';
SELECT cmp_ok(cny_quarter_pct, '<=', 2::numeric, format('false alarms in Chinese New Year quarters %s %% <= 2 %%', cny_quarter_pct))
  FROM q_result WHERE rule = 'bankcrm';
SELECT cmp_ok((SELECT worst_quarter_pct FROM q_result WHERE rule = 'naive'), '>',
              (SELECT 5 * worst_quarter_pct FROM q_result WHERE rule = 'bankcrm'),
              'the naive rule raises over five times as many false alarms');
SELECT cmp_ok((SELECT cny_quarter_pct FROM q_result WHERE rule = 'naive'), '>', 50::numeric,
              'the naive rule flags most stable corporates at Chinese New Year');
SELECT diag(format('%-8s recall %s %%, median lead %s weeks, false alarms worst quarter %s %%, CNY quarters %s %%',
                   rule, recall, median_lead, worst_quarter_pct, cny_quarter_pct))
  FROM q_result ORDER BY rule;

-- a scan over the ci bank: one active alert per party and metric, task force set
SELECT lives_ok('SELECT * FROM bankcrm.churn_scan()', 'churn_scan runs over the ci bank');
SELECT is((SELECT count(*) FROM (SELECT party_id, metric FROM bankcrm.churn_alert
                                  WHERE state IN ('open', 'acknowledged', 'in_remediation')
                                  GROUP BY 1, 2 HAVING count(*) > 1) d), 0::bigint, 'no duplicate active alert');
SELECT is((SELECT count(*) FROM bankcrm.churn_alert a
            WHERE a.branch_manager_id IS NULL
               OR (a.rm_id IS NULL AND EXISTS (SELECT 1 FROM bankcrm.coverage c
                                                WHERE c.party_id = a.party_id AND c.role = 'primary_rm'
                                                  AND (c.valid_to IS NULL OR c.valid_to >= CURRENT_DATE)))
               OR (a.rm_id IS NOT NULL AND a.team_id IS DISTINCT FROM (SELECT s.team_id FROM bankcrm.staff s WHERE s.staff_id = a.rm_id))),
          0::bigint, 'every alert has its task force: branch manager, covering RM and the RM''s team');
SELECT columns_are('bankcrm', 'churn_dashboard',
	ARRAY['alert_id', 'party_id', 'party_name', 'party_kind', 'branch_id', 'branch_name', 'severity', 'state', 'metric',
	      'rule', 'first_week', 'last_week', 'weeks_open', 'age', 'level_drop_pct', 'rm_id', 'branch_manager_id',
	      'team_id', 'sparkline', 'probability', 'yearly_contribution', 'contribution_at_risk', 'age_days'],
	'churn_dashboard has the documented columns');

SELECT * FROM finish();
ROLLBACK;
