-- score: customer value scoring on a bank small enough to check by hand
-- (doc/scoring.md has the formulas; every number below is worked out there)
-- a fresh extension: earlier suites leave rows in the same database
SET client_min_messages = warning;
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm;
CREATE EXTENSION bankcrm;
RESET client_min_messages;
SET search_path = bankcrm, public;
SET extra_float_digits = 0;

-- the built-in model
SELECT model, version, is_default, builtin, lgd, unrated_rating, pd[1] AS pd_aaa, pd[9] AS pd_bbb, pd[21] AS pd_c,
       pd[22] AS pd_d, ftp ->> 'loan' AS ftp_loan, ftp ->> 'deposit' AS ftp_deposit, channel_cost ->> 'branch' AS branch,
       channel_cost ->> 'visit' AS visit, key_min, general_min, affluent_min, hnw_min, uhnw_min,
       hidden_gold_min_turnover, hidden_gold_max_aum
  FROM score_model;

-- contribution: loan 1 M at 5 % (FTP 2.85 %), grade BBB (PD 0.20 %, LGD 45 %),
-- deposit 500 k at 1.5 % (FTP 2.5 %), fees 1 200, cost to serve 300:
-- 21 500 - 900 + 5 000 + 1 200 - 300 = 26 500
SELECT contribution(1e6, 0.05, 0.0285, 5e5, 0.015, 0.025, 1200, 300, 'BBB', m.pd, m.lgd)
  FROM score_model m;
-- a D-rated loan: 21 500 margin - 1 M * 100 % * 45 % expected loss = -428 500
SELECT contribution(1e6, 0.05, 0.0285, 0, 0, 0.025, 0, 0, 'D', m.pd, m.lgd) FROM score_model m;
SELECT contribution(0, 0, 0, 0, 0, 0, 0, 0, 'AAA', '{0.1}', 0.45);
SELECT contribution(0, 0, 0, 0, 0, 0, 0, 0, 'AAA', array_fill(2.0::float8, ARRAY[22]), 0.45);
SELECT contribution(0, 0, 0, 0, 0, 0, 0, 0, 'AAA', m.pd, 1.5) FROM score_model m;
SELECT contribution(-1, 0, 0, 0, 0, 0, 0, 0, 'AAA', m.pd, 0.45) FROM score_model m;
SELECT contribution('NaN', 0, 0, 0, 0, 0, 0, 0, 'AAA', m.pd, 0.45) FROM score_model m;

-- value_score: one component at a time (weight 1 on it, 0 on the others),
-- scales: 9 999 CNY gives full contribution marks, 10 years, 4 products, 30 days half-life
CREATE TEMP TABLE vs_case (component int, contrib float8, growth float8, tenure float8, products int,
	rating credit_rating, recency int, potential float8);
INSERT INTO vs_case VALUES
	(1, 99, 0, 0, 0, 'D', 0, 0),         -- ln(100) / ln(10000) = 0.5
	(1, 9999, 0, 0, 0, 'D', 0, 0),       -- full marks
	(1, -500, 0, 0, 0, 'D', 0, 0),       -- a loss scores 0
	(2, 0, -0.5, 0, 0, 'D', 0, 0),       -- (g + 1) / 2 = 0.25
	(3, 0, 0, 2.5, 0, 'D', 0, 0),        -- 2.5 / 10 years
	(4, 0, 0, 0, 3, 'D', 0, 0),          -- 3 / 4 products
	(5, 0, 0, 0, 0, 'BBB', 0, 0),        -- (22 - 9) / 21
	(6, 0, 0, 0, 0, 'D', 60, 0),         -- two half-lives: 0.25
	(7, 0, 0, 0, 0, 'D', 0, 0.9);
SELECT component,
       value_score(contrib, growth, tenure, products, rating, recency, potential,
                   (SELECT array_agg(CASE WHEN i = component THEN 1.0 ELSE 0.0 END::float8 ORDER BY i)
                      FROM generate_series(1, 7) i),
                   '{9999,10,4,30}') AS score
  FROM vs_case ORDER BY component, score;
-- the standard weights on a strong and a weak customer
SELECT value_score(1e6, 1, 10, 6, 'AAA', 0, 1, m.value_weights, m.value_scales) AS best,
       value_score(0, -1, 0, 0, 'D', 100000, 0, m.value_weights, m.value_scales) AS worst
  FROM score_model m;
SELECT value_score(0, 0, 0, 0, 'D', 0, 0, '{1,1,1}', '{1,1,1,1}');
SELECT value_score(0, 0, 0, 0, 'D', 0, 0, '{1,1,1,1,1,1,-1}', '{1,1,1,1}');
SELECT value_score(0, 0, 0, 0, 'D', 0, 0, '{0,0,0,0,0,0,0}', '{1,1,1,1}');
SELECT value_score(0, 0, 0, 0, 'D', 0, 0, '{1,1,1,1,1,1,1}', '{1,0,1,1}');
SELECT value_score(0, 0, 0, 0, 'D', 0, 0, '{1,1,1,1,1,1,NULL}', '{1,1,1,1}');
SELECT value_score('NaN', 0, 0, 0, 'D', 0, 0, '{1,1,1,1,1,1,1}', '{1,1,1,1}');

-- potential: a 24-year-old master's student, single: (0.3 * 0.85 + 0.3 * 0.8 + 0.15 * 0.7 + 0.25 * 1) = 0.85
SELECT round(potential('individual', 24, 'master', 'student', 'bachelor', NULL, m.potential)::numeric, 4) AS student,
       -- 70, retired, primary school, widowed: 0.3 * 0.2 + 0.3 * 0.3 + 0.15 * 0.2 + 0.25 * (75 - 70) / 50 = 0.205
       round(potential('individual', 70, 'primary', 'retired', 'solitary_survivor', NULL, m.potential)::numeric, 4) AS retired,
       round(potential('individual', NULL, NULL, NULL, NULL, NULL, m.potential)::numeric, 4) AS unknown,
       round(potential('corporate', NULL, NULL, NULL, NULL, 'growth', m.potential)::numeric, 4) AS growing_corporate,
       round(potential('government', NULL, NULL, NULL, NULL, NULL, m.potential)::numeric, 4) AS government,
       potential(NULL, 30, 'master', NULL, NULL, NULL, m.potential) AS no_kind
  FROM score_model m;
SELECT potential('alien', 30, NULL, NULL, NULL, NULL, '{"mix": {"age": 1}}');
SELECT potential('individual', 30, NULL, NULL, NULL, NULL, '{"mix": {"age": 0}}');
SELECT potential('individual', 30, NULL, NULL, NULL, NULL, '{"mix": {"age": 1}, "education": {"phd": 1}}');
SELECT potential('individual', 30, NULL, NULL, NULL, NULL, '{"mix": {"age": 1}, "education": {"master": 2}}');
SELECT potential('individual', 30, NULL, NULL, NULL, NULL, '{"mix": {"age": 1}, "age_full": 50, "age_zero": 40}');

-- lifetime value: 1 000 a year, 90 % retention, 10 % discount, 3 years:
-- 1000/1.1 + 900/1.21 + 810/1.331 = 2 261.46
SELECT round(clv(1000, 0.9, 0.1, 3)::numeric, 2) AS three_years,
       round(clv(100, 1, 0, 5)::numeric, 2) AS undiscounted,
       round(clv(1000, 0.9, 0.1, 0)::numeric, 2) AS no_horizon,
       round(clv(-500, 0.8, 0.08, 10)::numeric, 2) AS loss_maker;
SELECT clv(1000, 1.5, 0.1, 3);
SELECT clv(1000, 0.9, -1, 3);
SELECT clv(1000, 0.9, 0.1, 101);

-- tiers and RFM
SELECT value_tier(25000, 20000, 1000), value_tier(20000, 20000, 1000), value_tier(999.99, 20000, 1000),
       wealth_tier(499999.99, 5e5, 1e7, 1e8), wealth_tier(5e5, 5e5, 1e7, 1e8), wealth_tier(1e7, 5e5, 1e7, 1e8),
       wealth_tier(2e8, 5e5, 1e7, 1e8);
SELECT value_tier(1, 1000, 20000);
SELECT wealth_tier(1, 1e7, 5e5, 1e8);
-- NaN is refused, the value before the cut-offs
SELECT value_tier('NaN', 1000, 20000);
SELECT value_tier(1, 'NaN', 1000);
SELECT wealth_tier('NaN', 1e7, 5e5, 1e8);
SELECT wealth_tier(1, 5e5, 'NaN', 1e8);
SELECT rfm_score(5, 5, 5), rfm_score(1, 2, 3), rfm_segment(5, 4, 4), rfm_segment(3, 3, 3), rfm_segment(5, 1, 1),
       rfm_segment(3, 1, 2), rfm_segment(1, 5, 4), rfm_segment(2, 3, 3), rfm_segment(1, 1, 1);
SELECT rfm_score(0, 3, 3);
SELECT rfm_segment(3, 6, 3);

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

-- a DBA's row triggers on the tables score_all writes see every row, AFTER
-- and BEFORE triggers (which may change or skip a row) alike; they run under
-- the engine's search_path (pg_catalog, pg_temp), so they name their tables
CREATE TABLE score_audit (tbl text, party_id bigint, model text);
CREATE FUNCTION score_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO bankcrm.score_audit VALUES (TG_TABLE_NAME, NEW.party_id, NEW.model);
	RETURN NEW;
END $$;
CREATE FUNCTION score_skip_party_1() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RETURN CASE WHEN NEW.party_id = 1 THEN NULL ELSE NEW END;
END $$;
CREATE TRIGGER audit_row AFTER INSERT ON party_score FOR EACH ROW EXECUTE FUNCTION score_audit_row();
CREATE TRIGGER audit_row AFTER INSERT ON score_history FOR EACH ROW EXECUTE FUNCTION score_audit_row();
CREATE TRIGGER skip_one BEFORE INSERT ON score_history FOR EACH ROW EXECUTE FUNCTION score_skip_party_1();
INSERT INTO score_model (model, description, ftp, pd, channel_cost, value_weights, value_scales, potential, key_min,
	general_min, retention)
SELECT 'audited', 'standard, audited', ftp, pd, channel_cost, value_weights, value_scales, potential, key_min,
       general_min, retention
  FROM score_model WHERE model = 'standard';
SELECT parties FROM score_all('audited', '2026-11-16', false);
SELECT tbl, model, array_agg(party_id ORDER BY party_id) AS parties FROM score_audit GROUP BY tbl, model ORDER BY tbl;
SELECT (SELECT array_agg(party_id ORDER BY party_id) FROM party_score WHERE model = 'audited') AS scored,
       (SELECT array_agg(party_id ORDER BY party_id) FROM score_history WHERE model = 'audited') AS recorded;
-- a new day updates changed rows in place: a trigger on the columns it
-- writes sees each update (and none where nothing changed)
CREATE TRIGGER audit_update AFTER UPDATE OF scored_on ON party_score FOR EACH ROW
	WHEN (OLD.scored_on IS DISTINCT FROM NEW.scored_on) EXECUTE FUNCTION score_audit_row();
TRUNCATE score_audit;
SELECT parties FROM score_all('audited', '2027-03-16', false);
SELECT tbl, model, count(*) AS rows FROM score_audit GROUP BY tbl, model ORDER BY tbl;
SELECT (SELECT count(*) FROM party_score WHERE model = 'audited' AND scored_on = '2027-03-16') AS updated;
DROP TRIGGER audit_update ON party_score;
DROP TRIGGER audit_row ON party_score;
DROP TRIGGER audit_row ON score_history;
DROP TRIGGER skip_one ON score_history;
DROP TABLE score_audit;
DROP FUNCTION score_audit_row(), score_skip_party_1();
DELETE FROM party_score WHERE model = 'audited';
DELETE FROM score_history WHERE model = 'audited';
DELETE FROM score_model WHERE model = 'audited';

-- unknown models
SELECT * FROM score_all('nope', '2026-11-16');
SELECT product_affinity_refresh('nope');
SELECT * FROM score_all(NULL, NULL);
-- one default model
UPDATE score_model SET is_default = true WHERE model = 'small_groups';
BEGIN;
UPDATE score_model SET is_default = false WHERE model = 'standard';
UPDATE score_model SET is_default = true WHERE model = 'small_groups';
COMMIT;
SELECT model, is_default FROM score_model ORDER BY model;
UPDATE score_model SET is_default = (model = 'standard');
-- the model row keeps its parameters honest
\set VERBOSITY terse
UPDATE score_model SET pd = '{0.1}' WHERE model = 'standard';
UPDATE score_model SET key_min = 10, general_min = 100 WHERE model = 'standard';
UPDATE score_model SET value_tier_basis = 'profit' WHERE model = 'standard';
\set VERBOSITY default

-- row-level security: an RM sees the scores of the parties it covers
CREATE ROLE regress_score_rm NOLOGIN IN ROLE bankcrm_rm;
CREATE ROLE regress_score_analyst NOLOGIN IN ROLE bankcrm_analyst;
SET ROLE regress_score_rm;
SELECT party_id, model FROM bankcrm.party_score ORDER BY party_id, model;
SELECT count(*) AS history_rows FROM bankcrm.score_history;
SELECT party_id, name FROM bankcrm.hidden_gold;
SELECT rank, code FROM bankcrm.recommend_products(3, 1, 'small_groups');
SELECT rank, code FROM bankcrm.recommend_products(5, 1, 'small_groups');
SELECT * FROM bankcrm.score_all();
SELECT count(*) FROM bankcrm.score_preview(NULL, '2026-11-16');
RESET ROLE;
-- the engine reads through the executor: row-level security applies, and a
-- role allowed to call it scores the parties it sees, among themselves (its
-- RFM quintiles are cut over those parties only)
GRANT EXECUTE ON FUNCTION bankcrm.score_preview(text, date) TO regress_score_rm;
SET ROLE regress_score_rm;
SELECT party_id, rfm_r, rfm_f, rfm_m FROM bankcrm.score_preview(NULL, '2026-11-16');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION bankcrm.score_preview(text, date) FROM regress_score_rm;
SET ROLE regress_score_analyst;
SELECT pyramid, tier, parties FROM bankcrm.value_pyramid WHERE parties > 0;
SELECT customers, customers_total FROM bankcrm.pareto;
SELECT party_id, name_masked FROM bankcrm.hidden_gold_masked;
SELECT party_id FROM bankcrm.hidden_gold;
SELECT party_id FROM bankcrm.party_score;
RESET ROLE;
DROP ROLE regress_score_rm, regress_score_analyst;

-- the application runs score_all and its run is logged under its name; a run
-- that could not log itself fails, and stores nothing
CREATE ROLE regress_score_app NOLOGIN IN ROLE bankcrm_app;
SET ROLE regress_score_app;
SELECT parties FROM bankcrm.score_all(NULL, '2026-12-16', false);
SELECT run_by, as_of, scores_updated FROM bankcrm.score_run_log ORDER BY run_id DESC LIMIT 1;
RESET ROLE;
BEGIN;
REVOKE INSERT ON score_run_log FROM bankcrm_app;
SET ROLE regress_score_app;
SELECT parties FROM bankcrm.score_all(NULL, '2026-12-16', false);
ROLLBACK;
DROP ROLE regress_score_app;

-- deleting a party deletes its scores
SELECT count(*) FROM party_score WHERE party_id = 7;
DELETE FROM holding WHERE party_id = 7;
DELETE FROM party WHERE party_id = 7;
SELECT count(*) FROM party_score WHERE party_id = 7;
SELECT count(*) FROM score_history WHERE party_id = 7;

SELECT count(*) FROM score_preview(NULL, '2026-11-16');

-- money is summed exactly at the scales of the columns: a value the engine
-- cannot read exactly (a rate with more decimals after a type change) is refused
BEGIN;
ALTER TABLE holding ALTER COLUMN rate TYPE numeric(10, 7);
UPDATE holding SET rate = 0.0150001 WHERE party_id = 2 AND product_id = 1;
SELECT count(*) FROM score_preview(NULL, '2026-11-16');
ROLLBACK;
-- a party's balances are summed in cents in 64 bits: ten deposits at the
-- largest balance a holding can carry are more than that
BEGIN;
INSERT INTO holding (party_id, product_id, balance, rate, opened_on)
SELECT 2, 1, 9999999999999999.99, 0.01, '2020-01-01' FROM generate_series(1, 10);
SELECT count(*) FROM score_preview(NULL, '2026-11-16');
ROLLBACK;

-- a restore brings back the built-in model's row after its scores: the row
-- replaces the installed one in place (a model with scores cannot be
-- deleted, so it is not deleted and inserted again)
BEGIN;
INSERT INTO score_model
SELECT (jsonb_populate_record(NULL::score_model, to_jsonb(m) || '{"lgd": 0.5, "version": 2}')).*
  FROM score_model m WHERE model = 'standard';
SELECT model, version, lgd, builtin, is_default, (SELECT count(*) FROM party_score WHERE model = 'standard') > 0 AS has_scores
  FROM score_model WHERE model = 'standard';
ROLLBACK;
-- a row not marked builtin with the name of an existing model is refused
\set VERBOSITY terse
INSERT INTO score_model
SELECT (jsonb_populate_record(NULL::score_model, to_jsonb(m) || '{"builtin": false}')).*
  FROM score_model m WHERE model = 'standard';
\set VERBOSITY default

-- a renamed model renames its scores; a model that has scores stays
SELECT model, count(*) FROM party_score GROUP BY model ORDER BY model;
UPDATE score_model SET model = 'small_groups_v2' WHERE model = 'small_groups';
SELECT model, count(*) FROM party_score GROUP BY model ORDER BY model;
SELECT model, count(*) FROM score_history GROUP BY model ORDER BY model;
DELETE FROM score_model WHERE model = 'small_groups_v2';
DELETE FROM party_score WHERE model = 'small_groups_v2';
DELETE FROM score_history WHERE model = 'small_groups_v2';
DELETE FROM score_model WHERE model = 'small_groups_v2';

-- history growth no longer reads can be pruned: 李娜's row of 2026-11-16 is
-- older than her latest row at least 365 days before 2027-12-20, and growth
-- from that day on is the same without it
CREATE TEMP TABLE before_prune AS SELECT party_id, growth FROM score_preview(NULL, '2027-12-20');
SELECT score_history_prune(NULL, '2027-12-15');
SELECT score_history_prune(NULL, '2027-12-20');
SELECT party_id, scored_on FROM score_history WHERE party_id IN (2, 5) ORDER BY party_id, scored_on;
SELECT count(*) AS parties, count(*) FILTER (WHERE b.growth IS DISTINCT FROM a.growth) AS growth_changed
  FROM before_prune b JOIN score_preview(NULL, '2027-12-20') a USING (party_id);
SELECT score_history_prune('no_such_model', '2027-12-20');
SELECT score_history_prune(NULL, NULL);
SELECT score_history_prune(NULL, 'infinity');

-- history records moves beyond the model's tolerances (1 % of an amount, 4
-- points of value score, any tier or quintile), measured from the last
-- recorded row, so that a drift is recorded once it adds up; with tolerances
-- of 0 every change is recorded.  王小明's fees of 3 190 are annualised over
-- 319 days on 2026-11-16, 320 days the next day: 3 650.00 becomes 3 638.59
-- and his contribution 5 225.00 becomes 5 213.59 (0.2 %), but his recency
-- and frequency quintiles move too, so 2026-11-17 is recorded under both
-- models; on 2026-11-18 only his contribution (0.2 % again) and his score
-- (one point) move: recorded with tolerances of 0 only; by 2026-12-16 his
-- contribution has fallen 6 % from the last recorded row
INSERT INTO score_model (model, description, ftp, pd, channel_cost, value_weights, value_scales, potential, key_min,
	general_min, retention, history_tolerance, history_score_tolerance)
SELECT m.model, 'standard, history ' || m.model, ftp, pd, channel_cost, value_weights, value_scales, potential,
       key_min, general_min, retention, m.tol, m.points
  FROM score_model, (VALUES ('drift', 0.01, 4), ('drift_exact', 0, 0)) m (model, tol, points)
 WHERE score_model.model = 'standard';
SELECT d, m, (SELECT parties FROM score_all(m, d, false))
  FROM (VALUES ('2026-11-16'::date), ('2026-11-17'), ('2026-11-18'), ('2026-12-16')) days (d),
       (VALUES ('drift'), ('drift_exact')) models (m)
 ORDER BY d, m;
SELECT model, scored_on, array_agg(party_id ORDER BY party_id) AS parties
  FROM score_history WHERE model LIKE 'drift%' GROUP BY model, scored_on ORDER BY model, scored_on;
SELECT model, scored_on, contribution, value_score, value_tier, wealth_tier, rfm_r, rfm_f, rfm_m, clv, aum FROM score_history
 WHERE model LIKE 'drift%' AND party_id = 1 ORDER BY model, scored_on;
-- party_score holds the exact scores of the last run under both, each row
-- since the day it last changed: 陈静, a prospect with nothing yet, has kept
-- her row of 2026-11-16
SELECT party_id, scored_on, last_active_on, value_score, contribution FROM party_score WHERE model = 'drift'
 ORDER BY party_id;
SELECT count(*) AS parties,
       count(*) FILTER (WHERE (a.contribution, a.value_score, a.clv, a.scored_on) IS DISTINCT FROM
                              (b.contribution, b.value_score, b.clv, b.scored_on)) AS differing
  FROM party_score a JOIN party_score b USING (party_id)
 WHERE a.model = 'drift' AND b.model = 'drift_exact';
-- every committed run is logged: the model and its version, the day, who ran
-- it, what it wrote (on 2026-11-16 every row is new; later days update only
-- the rows whose scores changed) and how long each part took
SELECT model, model_version, as_of, run_by = current_user AS by_me, parties, scores_updated, scores_inserted,
       scores_deleted, history_inserted, history_updated, affinity_rows,
       finished_at >= started_at AND read_ms >= 0 AND store_ms >= 0 AS timed
  FROM score_run_log WHERE model LIKE 'drift%' ORDER BY run_id;
-- the last run of each model (doc/scoring.md's query)
SELECT model, as_of, parties, seconds >= 0 AS timed
  FROM (SELECT DISTINCT ON (model) model, as_of, finished_at, parties,
               round((read_ms + store_ms) / 1000) AS seconds, as_of = current_date AS today
          FROM bankcrm.score_run_log ORDER BY model, run_id DESC) last;
\set VERBOSITY terse
UPDATE score_model SET history_tolerance = 1 WHERE model = 'drift';
UPDATE score_model SET history_score_tolerance = -1 WHERE model = 'drift';
UPDATE score_model SET history_tolerance = 'NaN' WHERE model = 'drift';
\set VERBOSITY default
DELETE FROM party_score WHERE model LIKE 'drift%';
DELETE FROM score_history WHERE model LIKE 'drift%';
DELETE FROM score_model WHERE model LIKE 'drift%';

-- the party array grows when the table holds more parties than its
-- statistics say (here none): 5 000 more parties are all scored
BEGIN;
INSERT INTO party (party_id, kind, name, region_code, status, onboarded_on)
SELECT 100000 + i, 'individual', 'P' || i, (SELECT region_code FROM party WHERE party_id = 1), 'active', '2020-01-01'
  FROM generate_series(1, 5000) i;
UPDATE pg_class SET reltuples = 0 WHERE oid = 'bankcrm.party'::regclass;
SELECT count(*) AS scored, count(*) FILTER (WHERE party_id > 100000) AS new_parties FROM score_preview(NULL, '2026-11-16');
ROLLBACK;
