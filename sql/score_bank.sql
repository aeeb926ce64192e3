-- score_bank: score_all on a small bank as of Monday 2026-11-16, every sum
-- worked out by hand (doc/scoring.md): the first run, reruns that change
-- nothing, a month later (growth, a churn model's retention), cross-sell.
-- score_contract.sql and score_history.sql continue this bank.
-- a fresh extension: earlier suites leave rows in the same database
SET client_min_messages = warning;
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm;
CREATE EXTENSION bankcrm;
RESET client_min_messages;
SET search_path = bankcrm, public;
SET extra_float_digits = 0;

-- a small bank as of Monday 2026-11-16
INSERT INTO region VALUES ('ZZ-SC', 'Score city', 'Score province');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (1, 'SC-1', 'Score branch', 'ZZ-SC');
INSERT INTO staff (staff_id, name, role_kind, branch_id, db_role) VALUES
	(1, 'Wang Fang', 'rm', 1, 'regress_score_rm'), (2, 'Zhou Li', 'agent', 1, NULL);
INSERT INTO product (product_id, code, name, category) VALUES
	(1, 'DEP', 'Demand deposit', 'deposit'), (2, 'LOAN', 'Business loan', 'loan'),
	(3, 'WM', 'Money-market fund', 'wealth'), (4, 'PAY', 'Acquiring', 'payment');
INSERT INTO party (party_id, kind, name, region_code, birth_date, education, occupation, life_stage, credit_rating,
	status, onboarded_on, closed_on, annual_turnover, product_lifecycle) VALUES
	(1, 'individual', '王小明', 'ZZ-SC', '1980-05-01', 'secondary', 'individual_merchant', 'full_nest_2', NULL,
	 'active', '2016-11-16', NULL, 5000000, NULL),
	(2, 'individual', '李娜', 'ZZ-SC', '1975-03-10', 'master', 'professional', 'full_nest_2', 'A',
	 'active', '2006-11-16', NULL, NULL, NULL),
	(3, 'corporate', '华东机械有限公司', 'ZZ-SC', '2001-01-01', NULL, NULL, NULL, 'BBB',
	 'active', '2021-11-16', NULL, 80000000, 'growth'),
	(4, 'individual', '陈静', 'ZZ-SC', '2002-06-01', 'master', 'student', 'bachelor', NULL,
	 'prospect', NULL, NULL, NULL, NULL),
	(5, 'individual', '赵强', 'ZZ-SC', '1985-01-01', 'secondary', 'individual_merchant', 'full_nest_1', NULL,
	 'active', '2020-11-16', NULL, 1500000, NULL),
	(6, 'individual', '周杰', 'ZZ-SC', '1990-01-01', 'bachelor', 'employee', 'bachelor', NULL,
	 'closed', '2015-01-01', '2020-01-01', NULL, NULL),
	(7, 'individual', '孙丽', 'ZZ-SC', '1970-01-01', 'bachelor', 'individual_merchant', 'empty_nest', NULL,
	 'active', '2011-11-16', NULL, 3000000, NULL);
INSERT INTO holding (party_id, product_id, balance, rate, fees_ytd, opened_on, closed_on) VALUES
	(1, 1, 80000, 0.005, 0, '2016-11-16', NULL),
	(1, 4, 0, 0, 3190, '2016-11-16', NULL),           -- 3 190 over 319 days: 3 650 a year
	(2, 1, 2000000, 0.015, 0, '2006-11-16', NULL),
	(2, 3, 1000000, 0.016, 6380, '2020-01-01', NULL),  -- off balance sheet: fees only, 7 300 a year
	(3, 2, 10000000, 0.0435, 3190, '2021-11-16', NULL),
	(3, 1, 3000000, 0.0035, 0, '2021-11-16', NULL),
	(5, 1, 50000, 0.0005, 0, '2020-11-16', NULL),
	(7, 1, 600000, 0.015, 0, '2011-11-16', NULL),
	(7, 3, 0, 0, 0, '2012-01-01', '2019-01-01'),       -- closed: ignored
	(2, 4, 0, 0, 100, '2026-12-01', NULL);             -- opened after as_of: ignored
INSERT INTO contact (party_id, staff_id, channel, outcome, occurred_at) VALUES
	(1, 1, 'branch', 'completed', '2026-09-01 10:00+08'),
	(3, 1, 'visit', 'completed', '2026-03-02 10:00+08'),
	(3, 1, 'visit', 'interested', '2026-10-12 15:00+08'),
	(3, 1, 'email', 'completed', '2026-11-16 23:30+08'),   -- the last minutes of as_of count
	(3, 1, 'visit', 'completed', '2025-11-10 10:00+08'),   -- more than a year ago: no cost
	(5, 2, 'phone_out', 'no_answer', '2026-11-17 09:00+08'); -- after as_of: not seen
INSERT INTO activity_weekly (party_id, week, loan_volume, txn_volume, txn_count) VALUES
	(3, '2026-11-09', 0, 1e6, 40), (3, '2026-11-02', 0, 1e6, 35), (3, '2025-11-03', 0, 1e6, 30);
INSERT INTO coverage (party_id, staff_id, role, valid_from) VALUES (3, 1, 'primary_rm', '2021-11-16');

SELECT * FROM score_all(NULL, '2026-11-16');
-- a run that wrote a tenth of the rows or more leaves fresh statistics of
-- what it wrote (ANALYZE counts every row of a small table)
SELECT c.relname, c.reltuples::bigint AS reltuples
  FROM pg_class c
 WHERE c.oid IN ('party_score'::regclass, 'score_history'::regclass, 'product_affinity'::regclass)
 ORDER BY 1;
SELECT (SELECT count(*) FROM party_score) AS party_score, (SELECT count(*) FROM score_history) AS score_history,
       (SELECT count(*) FROM product_affinity) AS product_affinity;
-- contributions: 1: 80 000 * 2 % + 3 650 - 25 = 5 225; 2: 2 M * 1 % + 7 300 = 27 300;
-- 3: 10 M * 1.5 % - 10 M * 0.2 % * 45 % + 3 M * 2.15 % + 3 650 - (120 + 120 + 0.05) = 208 909.95;
-- 4: nothing yet; 5: 50 000 * 2.45 % = 1 225; 7: 600 000 * 1 % = 6 000
-- last_active_on: 王小明's branch visit of 2026-09-01 (76 days before), 李娜's fund opened
-- 2020-01-01, the email of 23:30 on as_of (Shanghai time), none for 陈静
SELECT party_id, contribution, value_tier, wealth_tier, aum, products, last_active_on, frequency,
       rfm_r, rfm_f, rfm_m, rfm_score(rfm_r, rfm_f, rfm_m) AS rfm, retention, clv, value_score,
       round(potential::numeric, 4) AS potential, growth, scored_on
  FROM party_score ORDER BY party_id;
SELECT party_id, model, scored_on, contribution, value_score, value_tier FROM score_history ORDER BY party_id;
SELECT * FROM value_pyramid;
-- 208 909.95 of 248 659.95 comes from one customer of five
SELECT * FROM pareto;
SELECT model_name, target_share, customers, customers_total, customers_pct, contribution FROM pareto(0.9);
SELECT * FROM pareto(0);
-- 王小明: 5 M turnover, 80 000 AUM; 赵强 turns over too little, 孙丽 keeps 600 000 with us
SELECT party_id, name, annual_turnover, aum, turnover_to_aum, value_tier, wealth_tier, primary_rm FROM hidden_gold;
SELECT party_id, name_masked, has_rm FROM hidden_gold_masked;

-- the same data and model give the same scores; a rerun replaces the day's history row
CREATE TEMP TABLE first_run AS SELECT * FROM party_score;
SELECT parties FROM score_all('standard', '2026-11-16');
SELECT count(*) AS changed
  FROM first_run f FULL JOIN party_score p USING (party_id, model)
 WHERE (f.contribution, f.value_score, f.value_tier, f.wealth_tier, f.rfm_r, f.rfm_f, f.rfm_m, f.clv, f.aum)
       IS DISTINCT FROM (p.contribution, p.value_score, p.value_tier, p.wealth_tier, p.rfm_r, p.rfm_f, p.rfm_m, p.clv, p.aum);
SELECT count(*) AS history_rows FROM score_history;
-- nothing changed, so the rescore left every row alone: computed_at is the first run's
SELECT count(*) AS rewritten FROM first_run f JOIN party_score p USING (party_id, model)
 WHERE p.computed_at <> f.computed_at;
-- and its log row says so; the cross-sell rules were refreshed (0 rows: no
-- group has the 5 parties the model asks for; NULL when a run does not refresh)
SELECT model, as_of, parties, scores_updated, scores_inserted, scores_deleted, history_inserted, history_updated,
       affinity_rows
  FROM score_run_log ORDER BY run_id;
-- the quintiles from cut-offs equal the rank() formula, ties included
SELECT count(*) AS parties,
       count(*) FILTER (WHERE (s.rfm_r, s.rfm_f, s.rfm_m) IS DISTINCT FROM (s.qr, s.qf, s.qm)) AS differing
  FROM (SELECT sp.*,
               (1 + 5 * (rank() OVER (ORDER BY sp.recency_days DESC) - 1) / count(*) OVER ())::smallint AS qr,
               (1 + 5 * (rank() OVER (ORDER BY sp.frequency) - 1) / count(*) OVER ())::smallint AS qf,
               (1 + 5 * (rank() OVER (ORDER BY sp.contribution) - 1) / count(*) OVER ())::smallint AS qm
          FROM score_preview(NULL, '2026-11-16') sp) s;

-- a month later 李娜 has moved half her deposit away: growth compares with the score of 2026-11-16
UPDATE holding SET balance = 1000000 WHERE party_id = 2 AND product_id = 1;
-- and a churn model says 赵强 will probably leave: his own retention replaces the tier default
INSERT INTO party_retention (party_id, retention, source, estimated_on) VALUES (5, 0.5, 'churn', '2026-12-01');
SELECT parties, key, general, scattered FROM score_all(NULL, '2026-12-16');
-- 李娜: 1 M * 1 % + 6 380 * 365 / 349 + her new acquiring fees 100 * 365 / 30 = 17 889.16,
-- growth (17 889.16 - 27 300) / 27 300 = -0.3447; 赵强: the phone call of 2026-11-17 costs 4
SELECT party_id, scored_on, contribution FROM score_history WHERE party_id IN (2, 5) ORDER BY party_id, scored_on;
SELECT party_id, contribution, round(growth::numeric, 4) AS growth, retention, clv, value_score
  FROM party_score WHERE party_id IN (2, 5) ORDER BY party_id;

-- cross-sell needs groups of several parties; a second model allows groups of one
INSERT INTO score_model (model, description, ftp, pd, channel_cost, value_weights, value_scales, potential, key_min,
	general_min, retention, affinity_min_parties)
SELECT 'small_groups', 'standard with affinity from one party', ftp, pd, channel_cost, value_weights, value_scales,
       potential, key_min, general_min, retention, 1
  FROM score_model WHERE model = 'standard';
SELECT parties, affinity_rows FROM score_all('small_groups', '2026-11-16');
SELECT kind, value_tier, antecedent_id, product_id, group_parties, antecedent_parties, product_parties, pair_parties,
       round(support::numeric, 4) AS support, round(confidence::numeric, 4) AS confidence, round(lift::numeric, 4) AS lift
  FROM product_affinity WHERE model = 'small_groups'
 ORDER BY kind, value_tier, antecedent_id NULLS FIRST, product_id;
-- general individuals are now 1, 2, 5 and 7 (李娜 fell from key); 赵强 holds DEP; the money-market
-- fund is held by one general individual in four, by one individual in five: lift (1/4) / (1/5) = 1.25
-- against the baseline (because is NULL), 1.00 following DEP
SELECT * FROM recommend_products(5, 3, 'small_groups');
SELECT * FROM recommend_products(4, 3, 'small_groups');
SELECT * FROM recommend_products_batch(ARRAY[5, 1, 5, 999], 2, 'small_groups');
-- and for a whole segment: its members' recommendations, by party and rank
INSERT INTO segment (segment_id, name, kind, rule) VALUES (9301, 'score test: individuals', 'rule', $$kind = 'individual'$$);
SELECT joined, "left", total FROM segment_refresh(9301);
SELECT party_id, rank, code, lift, because FROM segment_recommendations(9301, 2, 'small_groups');
SELECT count(*) FROM segment_recommendations(9301, 2, 'small_groups') r
  JOIN recommend_products_batch(ARRAY[1, 2, 4, 5, 7], 2, 'small_groups') b USING (party_id, rank, product_id);
SELECT * FROM segment_recommendations(9399);
DELETE FROM segment WHERE segment_id = 9301;
-- the default model has no affinity rows for groups this small
SELECT count(*) FROM recommend_products(5);
