-- score: the value formulas, one at a time, on numbers small enough to
-- check by hand (doc/scoring.md has the formulas; every number below is
-- worked out there).  The scoring engine on a bank: score_bank.sql, then
-- score_contract.sql and score_history.sql, which continue its bank.
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
