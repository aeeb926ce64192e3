-- score_parallel: scoring gives the same answer under parallel query as in
-- one process (every C scoring function is PARALLEL SAFE)
-- a fresh extension: earlier suites leave rows in the same database
SET client_min_messages = warning;
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm;
CREATE EXTENSION bankcrm;
RESET client_min_messages;
SET search_path = bankcrm, public;
-- a synthetic bank of 3 000 parties, made set-based and deterministically
INSERT INTO region VALUES ('ZZ-PQ', 'Parallel city', 'Parallel province');
INSERT INTO product (product_id, code, name, category) VALUES
	(1, 'DEP', 'Demand deposit', 'deposit'), (2, 'LOAN', 'Business loan', 'loan'),
	(3, 'WM', 'Money-market fund', 'wealth'), (4, 'PAY', 'Acquiring', 'payment'), (5, 'CARD', 'Credit card', 'card');
INSERT INTO party (party_id, kind, name, region_code, birth_date, education, occupation, life_stage, credit_rating,
	status, onboarded_on, annual_turnover, product_lifecycle)
SELECT i,
       CASE WHEN i % 10 = 0 THEN 'corporate' ELSE 'individual' END,
       'P' || i, 'ZZ-PQ',
       date '1950-01-01' + (i * 37) % 20000,
       CASE WHEN i % 10 <> 0 THEN (ARRAY['primary', 'secondary', 'vocational', 'bachelor', 'master', 'doctorate'])[1 + i % 6] END,
       CASE WHEN i % 10 <> 0 THEN (ARRAY['student', 'employee', 'professional', 'individual_merchant', 'retired'])[1 + i % 5] END,
       CASE WHEN i % 10 <> 0 THEN (ARRAY['bachelor', 'newly_married', 'full_nest_1', 'empty_nest'])[1 + i % 4] END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE upgrade('D', (i * 7) % 22) END,
       CASE WHEN i % 17 = 0 THEN 'prospect' ELSE 'active' END,
       CASE WHEN i % 17 = 0 THEN NULL ELSE date '2000-01-01' + (i * 13) % 9000 END,
       CASE WHEN i % 10 IN (0, 3) THEN 100000 * (i % 97) END,
       CASE WHEN i % 10 = 0 THEN (ARRAY['introduction', 'growth', 'maturity', 'decline'])[1 + i % 4] END
  FROM generate_series(1, 3000) i;
INSERT INTO holding (party_id, product_id, balance, rate, fees_ytd, opened_on)
SELECT i, 1 + (i + k) % 5, 1000 * ((i * k * 7919) % 997), 0.001 * ((i + k) % 40), (i * k) % 500,
       date '2001-01-01' + (i * k * 31) % 9000
  FROM generate_series(1, 3000) i, generate_series(1, 3) k
 WHERE i % 17 <> 0 AND (i + k) % 4 <> 0;
INSERT INTO contact (party_id, channel, outcome, occurred_at)
SELECT i, (ARRAY['branch', 'phone_out', 'web', 'visit', 'sms'])[1 + (i + k) % 5], 'completed',
       timestamptz '2025-06-01 10:00+08' + ((i * k * 101) % 530) * interval '1 day'
  FROM generate_series(1, 3000) i, generate_series(1, 4) k
 WHERE (i * k) % 3 = 0;
INSERT INTO activity_weekly (party_id, week, txn_volume, txn_count)
SELECT i, date '2026-11-09' - 7 * w, 1000 * i, (i + w) % 50
  FROM generate_series(10, 3000, 10) i, generate_series(0, 60) w;
ANALYZE party, holding, contact, activity_weekly, product;

-- serial
SET max_parallel_workers_per_gather = 0;
SELECT parties, key, general, scattered, mass, affluent, hnw, uhnw FROM score_all(NULL, '2026-11-16');
CREATE TEMP TABLE serial_score AS SELECT * FROM party_score;
CREATE TEMP TABLE serial_affinity AS SELECT * FROM product_affinity;

-- forced parallel: zero parallel costs, and force_parallel_mode (PostgreSQL 15)
-- or debug_parallel_query (16 and later) so that even small plans go to workers
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET min_parallel_index_scan_size = 0;
SELECT current_setting('server_version_num')::int >= 160000 AS pg16 \gset
\if :pg16
SET debug_parallel_query = on;
\else
SET force_parallel_mode = on;
\endif
-- the scoring query runs in parallel workers: the plan has Gather and Parallel scans
CREATE FUNCTION pg_temp.plan_has(q text, what text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		IF position(what IN line) > 0 THEN
			RETURN true;
		END IF;
	END LOOP;
	RETURN false;
END $$;
-- the engine (score_preview, score_all) reads its tables itself, in the
-- leader; the same scoring written as one SQL query (test/reference) runs
-- in parallel workers and must agree with it to the cent
\getenv abs_srcdir PG_ABS_SRCDIR
\set reference :abs_srcdir '/test/reference/score_preview.sql'
\set ECHO none
\i :reference
\set ECHO all
SELECT p.proname, p.proparallel FROM pg_proc p
 WHERE p.pronamespace = 'bankcrm'::regnamespace AND p.proname IN ('score_preview', 'score_all') ORDER BY 1;
SELECT pg_temp.plan_has($$SELECT * FROM score_reference.score_preview_sql('standard', '2026-11-16')$$, 'Gather') AS gather,
       pg_temp.plan_has($$SELECT * FROM score_reference.score_preview_sql('standard', '2026-11-16')$$, 'Parallel Seq Scan') AS parallel_scan,
       pg_temp.plan_has($$SELECT * FROM score_reference.score_preview_sql('standard', '2026-11-16')$$, 'Partial') AS partial_aggregate;
SELECT * FROM score_reference.differences('standard', '2026-11-16');
DROP SCHEMA score_reference CASCADE;
-- the C functions themselves in a parallel plan
SELECT pg_temp.plan_has($$SELECT sum(bankcrm.value_score(h.balance::float8, 0, 1, h.product_id, 'A', 1, 0.5,
       '{1,1,1,1,1,1,1}', '{1000,10,5,30}')) FROM bankcrm.holding h$$, 'Partial Aggregate') AS value_score_partial;
SELECT sum(value_score(h.balance::float8, 0, 1, h.product_id, 'A', 1, 0.5, '{1,1,1,1,1,1,1}', '{1000,10,5,30}'))
  FROM holding h;
SELECT parties, key, general, scattered, mass, affluent, hnw, uhnw FROM score_all(NULL, '2026-11-16');

-- identical results
SELECT count(*) AS scores_differing
  FROM serial_score s FULL JOIN party_score p USING (party_id, model)
 WHERE (s.contribution, s.value_score, s.value_tier, s.wealth_tier, s.rfm_r, s.rfm_f, s.rfm_m, s.clv, s.aum,
        s.retention, s.growth, s.potential, s.last_active_on, s.frequency, s.products)
       IS DISTINCT FROM
       (p.contribution, p.value_score, p.value_tier, p.wealth_tier, p.rfm_r, p.rfm_f, p.rfm_m, p.clv, p.aum,
        p.retention, p.growth, p.potential, p.last_active_on, p.frequency, p.products);
SELECT count(*) AS affinity_differing
  FROM serial_affinity s FULL JOIN product_affinity p
       ON (s.model, s.kind, s.value_tier, s.product_id) = (p.model, p.kind, p.value_tier, p.product_id)
      AND s.antecedent_id IS NOT DISTINCT FROM p.antecedent_id
 WHERE (s.pair_parties, s.lift) IS DISTINCT FROM (p.pair_parties, p.lift);
SELECT count(*) AS parties, count(DISTINCT value_tier) AS tiers, min(value_score) >= 0 AND max(value_score) <= 1000 AS in_range
  FROM party_score;
