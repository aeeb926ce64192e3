-- churn probability: the logistic regression on a data set with a known
-- answer, the series features, training on a small planted bank,
-- point-in-time scoring, the scores on the dashboard
SET extra_float_digits = 0;
SET datestyle = ISO;

-- 1. the fit.  One feature x in {0, 1}; a quarter of the x = 0 rows and
-- three quarters of the x = 1 rows are positive.  Without a penalty the
-- maximum-likelihood answer is intercept logit(1/4) = -ln 3 = -1.0986 and
-- slope 2 ln 3 = 2.1972, and the probabilities are 0.25 and 0.75
CREATE TABLE known AS
SELECT ARRAY[(i / 4 % 2)::float8] AS x, (i % 4 < CASE WHEN i / 4 % 2 = 0 THEN 1 ELSE 3 END) AS y
  FROM generate_series(0, 799) i;
ANALYZE known;
SELECT round(c[1]::numeric, 4) AS intercept, round(c[2]::numeric, 4) AS slope,
       round(bankcrm.churn_logreg_predict(c, '{0}')::numeric, 4) AS p0,
       round(bankcrm.churn_logreg_predict(c, '{1}')::numeric, 4) AS p1
  FROM (SELECT bankcrm.churn_logreg(x, y, 0) AS c FROM known) f;
-- a penalty shrinks the slope; the mean probability stays the rate (0.5)
SELECT round(c[2]::numeric, 4) AS slope,
       round(avg(bankcrm.churn_logreg_predict(c, k.x))::numeric, 6) AS mean_p
  FROM (SELECT bankcrm.churn_logreg(x, y, 400) AS c FROM known) f, known k GROUP BY c;
-- parallel plans give the same fit (combine, serial, deserial)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT bankcrm.churn_logreg(x, y, 0) FROM known;
SELECT round(c[1]::numeric, 4) AS intercept, round(c[2]::numeric, 4) AS slope
  FROM (SELECT bankcrm.churn_logreg(x, y, 0) AS c FROM known) f;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
-- no rows: NULL; bad rows are refused
SELECT bankcrm.churn_logreg(x, y, 1) IS NULL AS empty FROM known WHERE false;
SELECT bankcrm.churn_logreg(x, y, -1) FROM known;
SELECT bankcrm.churn_logreg(CASE WHEN y THEN x ELSE x || 1.0::float8 END, y, 1) FROM known;
SELECT bankcrm.churn_logreg(x, NULL, 1) FROM known;
SELECT bankcrm.churn_logreg('{NaN}', true, 1);
SELECT bankcrm.churn_logreg_predict('{1,2,3}', '{1}');

-- 2. the series features of a hand-made series: 30 weeks of 100 (all
-- three metrics), then 50 for four weeks; as of the last week.  By hand:
-- the last four weeks against the 26 before, ln(51 / 101) = -0.6833; the
-- CUSUM, four weeks clipped at 3, 12 / 10; 33 weeks of history, 0.6346
-- years; the quarter (9 x 100 + 4 x 50) / 13 against 100, -15.38 %; the
-- severity warning, 2/3
SELECT unnest((bankcrm.churn_feature_names())[1:14]) AS feature, round(unnest(f)::numeric, 4) AS value
  FROM (SELECT bankcrm.churn_features(bankcrm.churn_series_agg('2025-01-06'::date + 7 * i, v, v, v::integer), '2025-08-25') AS f
          FROM generate_series(0, 33) i, LATERAL (SELECT CASE WHEN i < 30 THEN 100 ELSE 50 END::float8 AS v) x) s;
-- before the series: NULL
SELECT bankcrm.churn_features('[1:3][1358:1359]={{1,2},{3,4},{5,6}}', '2025-01-06') IS NULL AS before;

-- 3. a planted bank, in a transaction rolled back at the end: 40
-- corporates with two years of weekly activity from 2024-01-01; parties
-- 5001-5010 slide from week 60 over 20 weeks and leave (no row from week
-- 80 on), the others stay flat with a little noise
BEGIN;
-- the bank is ours alone: series and policies other suites left behind
-- are set aside (the default policy applies)
DELETE FROM bankcrm_churn.churn_series;
DELETE FROM bankcrm.churn_policy;
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-GZ', 'Guangzhou', 'Guangdong');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (51, 'GZ51', 'Guangzhou Tianhe', 'CN-GZ');
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id, onboarded_on)
SELECT 5000 + i, 'corporate', 'Co ' || i, 'CN-GZ', 'active', 51, '2015-01-01' FROM generate_series(1, 40) i;
INSERT INTO bankcrm.product (product_id, code, name, category) VALUES (901, 'CHURN-CA', 'Current account', 'deposit');
INSERT INTO bankcrm.holding (party_id, product_id, monthly_contribution, opened_on)
SELECT 5000 + i, 901, 1000 * i, '2015-01-01' FROM generate_series(1, 40) i;
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT 5000 + i, '2024-01-01'::date + 7 * w, 0, v, greatest(v / 10, 0)::integer
  FROM generate_series(1, 40) i, generate_series(0, 103) w,
       LATERAL (SELECT 1000 * (CASE WHEN i <= 10 AND w >= 60 THEN 1 - (w - 59) / 21.0 ELSE 1 END)
                       * (1 + 0.03 * sin(i * 7 + w * 3)) AS v) x
 WHERE NOT (i <= 10 AND w >= 80);
-- train on 2024-07-01 .. 2025-02-24 with a 26-week horizon: rows whose
-- outcome is known, the churners' rows from 2024-07 on labelled exits
SELECT bankcrm.churn_model_train('planted', '2024-07-01', '2025-06-30', 26, 2, 1) AS model_id;
SELECT model_id, name, version, horizon_weeks, rows, positives, round(train_auc::numeric, 3) AS auc,
       cardinality(coef) AS coefs, features[1:2] AS first_features
  FROM bankcrm.churn_model;
-- a second training is the next version of the same name
SELECT bankcrm.churn_model_train('planted', '2024-07-01', '2025-06-30', 26, 4, 1) AS model_id;
SELECT model_id, name, version FROM bankcrm.churn_model ORDER BY model_id;
-- as of 2025-04-07 (week 66, six weeks into the slide) every churner is
-- more likely to leave than every stable party
SELECT max(p) FILTER (WHERE party_id > 5010) < min(p) FILTER (WHERE party_id <= 5010) AS churners_first
  FROM (SELECT party_id, bankcrm.churn_probability(party_id, '2025-04-07', 1) AS p FROM generate_series(5001, 5040) party_id) x;
-- point in time: the probability as of a week does not change when the
-- weeks after it are deleted
CREATE TEMP TABLE before_delete AS
SELECT party_id, bankcrm.churn_probability(party_id, '2025-04-07', 1) AS p FROM generate_series(5001, 5040) party_id;
DELETE FROM bankcrm.activity_weekly WHERE party_id > 5000 AND week > '2025-04-07';
SELECT count(*) AS parties, count(*) FILTER (WHERE b.p = bankcrm.churn_probability(b.party_id, '2025-04-07', 1)) AS same
  FROM before_delete b;
-- default week (the party's last) and model (the newest); no model: an error
SELECT bankcrm.churn_probability(5001) = bankcrm.churn_probability(5001, '2025-04-07', 2) AS defaults;
SAVEPOINT s;
SELECT bankcrm.churn_probability(5001, NULL, 99);
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT bankcrm.churn_model_train('none', '2030-01-07', '2030-06-24');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT bankcrm.churn_model_train('bad', '2024-07-01', '2025-06-30', 26, 0);
ROLLBACK TO SAVEPOINT s;

-- 4. the scores of a week and the task force's queue: alerts ranked by
-- contribution at risk within the branch
SELECT bankcrm.churn_score_week('2025-04-07') AS scored;
SAVEPOINT s;
SELECT bankcrm.churn_score_week('2025-04-08');
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FILTER (WHERE at_risk = probability * yearly_contribution) AS consistent, count(*) FROM bankcrm.churn_score;
SELECT count(*) AS alerts FROM bankcrm.churn_apply(ARRAY(SELECT generate_series(5001::bigint, 5040)), '2025-04-07');
SELECT q.branch_id, q.party_id, q.metric, round(q.probability::numeric, 3) > 0.5 AS likely, q.yearly_contribution,
       round(q.contribution_at_risk::numeric) = round((q.probability * q.yearly_contribution)::numeric) AS at_risk
  FROM bankcrm.churn_queue q WHERE q.party_id > 5000;
ROLLBACK;
DROP TABLE known;
