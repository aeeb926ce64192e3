-- test/bench/churn_model_eval.sql: the churn probability on the
-- independent generator (test/bench/churn_eval.sh runs it).
--
-- :'stage' = 'load': the generated parties become a bank (party, one
--   holding whose contribution follows the party's volume, its weekly
--   activity); contacts, complaints and ratings are left empty, so only
--   the series, the contribution and the tenure carry information.
-- :'stage' = 'train' (tuning seeds): churn_model_train on the settings
--   that share a calendar (2023-2025), every 4th week, 26-week horizon.
-- :'stage' = 'score' (held-out seeds, another database): the trained
--   coefficients, passed in :'coef', score every 4th week of every setting
--   whose outcome is known; the truth is the generator's exit week.
--   Figures: AUC, precision in the top 1 % and 5 % of each setting's week
--   (the task force's queue) against the rule-severity ranking (severity,
--   then the level drop: what the dashboard sorted by before), the
--   reliability table by decile of probability and the Brier score.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET work_mem = '256MB';

SELECT :'stage' = 'load' AS do_load, :'stage' = 'train' AS do_train, :'stage' = 'score' AS do_score \gset

\if :do_load
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('XX-EVAL', 'Evaluation', 'Evaluation');
INSERT INTO bankcrm.product (product_id, code, name, category) VALUES (1, 'EVAL-CA', 'Current account', 'deposit');
CREATE TABLE ev_party AS
SELECT setting, party_id, row_number() OVER (ORDER BY setting, party_id) AS pid FROM ev_truth;
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, onboarded_on)
SELECT pid, 'corporate', 'Eval ' || pid, 'XX-EVAL', 'active', '2005-01-03'::date + (pid * 37 % 5000)::int FROM ev_party;
INSERT INTO bankcrm.holding (party_id, product_id, monthly_contribution, opened_on)
SELECT e.pid, 1, round((v.txn * 0.002)::numeric, 2), '2005-01-03'
  FROM ev_party e JOIN (SELECT setting, party_id, avg(txn) AS txn FROM ev_act GROUP BY 1, 2) v USING (setting, party_id);
ALTER TABLE bankcrm.activity_weekly DISABLE TRIGGER churn_activity_row;
ALTER TABLE bankcrm.activity_weekly DISABLE TRIGGER churn_activity_flush;
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT e.pid, a.week, a.loan, a.txn, a.cnt FROM ev_act a JOIN ev_party e USING (setting, party_id);
ALTER TABLE bankcrm.activity_weekly ENABLE TRIGGER churn_activity_row;
ALTER TABLE bankcrm.activity_weekly ENABLE TRIGGER churn_activity_flush;
INSERT INTO bankcrm_churn.churn_series (party_id, series)
SELECT e.pid, s.s FROM ev_series s JOIN ev_party e USING (setting, party_id);
ANALYZE;
\endif

\if :do_train
-- train only on the settings of 2023-2025: one data end (a bank's
-- activity ends in one week; a party whose rows end four weeks or more
-- before it has left)
DELETE FROM bankcrm.party p
 USING ev_party e WHERE e.pid = p.party_id AND e.setting !~ '^(base|quiet|noisy|noisiest|shrinking|dips|fast_churn|slow_churn)/';
\timing on
SELECT bankcrm.churn_model_train('eval', '2023-07-03', '2025-12-29', 26, 4, 1) AS model_id;
\timing off
SELECT rows, positives, round(train_auc::numeric, 4) AS train_auc, round(train_brier::numeric, 4) AS train_brier,
       coef::text AS coef
  FROM bankcrm.churn_model WHERE name = 'eval';
\endif

\if :do_score
CREATE TEMP TABLE m AS SELECT :'coef'::float8[] AS coef;
CREATE TEMP TABLE ev_rows AS
SELECT e.setting, r.party_id, r.week,
       bankcrm.churn_logreg_predict(m.coef, r.features) AS p,
       -- the rule-severity ranking: the highest severity, then the level drop
       r.features[10] * 10 + r.features[1] AS rule_score,
       (t.exit_week IS NOT NULL AND t.exit_week > r.week AND t.exit_week <= r.week + 182) AS y,
       (t.exit_week IS NOT NULL AND t.exit_week > r.week AND t.exit_week <= r.week + 91) AS y13,
       -- what no model of the series can know: whether the decline has
       -- begun by the week (the bound below)
       (t.decline_start IS NOT NULL AND t.decline_start <= r.week)::int AS started
  FROM bankcrm.churn_model_rows(ARRAY(SELECT g::date FROM generate_series('2019-07-01'::date, '2027-06-28', '28 days') g), 26) r
  JOIN ev_party e ON e.pid = r.party_id
  JOIN ev_truth t ON t.setting = e.setting AND t.party_id = e.party_id
  JOIN ev_span sp ON sp.setting = e.setting,
       m
 WHERE r.week + 182 <= sp.last_week;
-- AUC by ranks (ties averaged)
CREATE FUNCTION pg_temp.auc(col text, grp text DEFAULT 'true', lab text DEFAULT 'y') RETURNS TABLE (g text, auc numeric) LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format($q$
		SELECT (%2$s)::text, round(((sum(rk) FILTER (WHERE %3$I) - count(*) FILTER (WHERE %3$I) * (count(*) FILTER (WHERE %3$I) + 1) / 2.0)
		        / nullif(count(*) FILTER (WHERE %3$I) * count(*) FILTER (WHERE NOT %3$I), 0))::numeric, 4)
		  FROM (SELECT *, rank() OVER (PARTITION BY (%2$s) ORDER BY %1$I)
		                  + (count(*) OVER (PARTITION BY (%2$s), %1$I) - 1) / 2.0 AS rk FROM ev_rows) x
		 GROUP BY 1 ORDER BY 1$q$, col, grp, lab);
END
$$;
\echo '### overall: rows, exits within 26 weeks, AUC of the model, of the rule-severity ranking and the bound'
\echo '### (a score that knows whether the decline has begun), the model for exits within 13 weeks, Brier score'
SELECT count(*) AS rows, count(*) FILTER (WHERE y) AS exits_26w,
       (SELECT auc FROM pg_temp.auc('p')) AS model_auc, (SELECT auc FROM pg_temp.auc('rule_score')) AS rule_auc,
       (SELECT auc FROM pg_temp.auc('started')) AS bound_auc,
       (SELECT auc FROM pg_temp.auc('p', 'true', 'y13')) AS model_auc_13w,
       round(avg((p - y::int) ^ 2)::numeric, 4) AS brier,
       round(avg(y::int)::numeric * (1 - avg(y::int)::numeric), 4) AS brier_of_base_rate
  FROM ev_rows;
\echo '### precision in the top 1 % and 5 % of each setting''s week (the queue), model against rule ranking'
WITH r AS (
	SELECT setting, week, y, count(*) OVER w AS n,
	       row_number() OVER (w ORDER BY p DESC, party_id) AS rm,
	       row_number() OVER (w ORDER BY rule_score DESC, party_id) AS rr
	  FROM ev_rows WINDOW w AS (PARTITION BY setting, week))
SELECT round(100 * avg(y::int) FILTER (WHERE rm <= ceil(n * 0.01)), 1) AS model_top1_pct,
       round(100 * avg(y::int) FILTER (WHERE rr <= ceil(n * 0.01)), 1) AS rule_top1_pct,
       round(100 * avg(y::int) FILTER (WHERE rm <= ceil(n * 0.05)), 1) AS model_top5_pct,
       round(100 * avg(y::int) FILTER (WHERE rr <= ceil(n * 0.05)), 1) AS rule_top5_pct,
       round(100 * avg(y::int), 2) AS base_rate_pct
  FROM r;
\echo '### reliability: deciles of the probability'
SELECT d AS decile, count(*) AS rows, round(100 * avg(p)::numeric, 2) AS mean_probability_pct,
       round(100 * avg(y::int)::numeric, 2) AS observed_pct,
       round(100 * abs(avg(p) - avg(y::int))::numeric, 2) AS gap_pp
  FROM (SELECT p, y, ntile(10) OVER (ORDER BY p) AS d FROM ev_rows) x GROUP BY d ORDER BY d;
\echo '### per setting: AUC of the model, of the rule ranking, and the bound (knowing whether the decline has begun)'
SELECT a.g AS setting, a.auc AS model_auc, b.auc AS rule_auc, c.auc AS bound_auc
  FROM pg_temp.auc('p', 'setting') a JOIN pg_temp.auc('rule_score', 'setting') b USING (g)
  JOIN pg_temp.auc('started', 'setting') c USING (g) ORDER BY 1;
\endif
