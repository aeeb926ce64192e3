-- test/bench/bench_segment.sql
-- Benchmark: segment_refresh() against the hand-written INSERT ... SELECT.
--
-- Run with psql in a database where bankcrm is installed and no party data
-- has been loaded (test/bench/run segment):
--     psql -X -q [-v reps=N] [-v parties=N] -f test/bench/bench_segment.sql
-- It generates, set-based and deterministically (setseed), a bank of
-- :parties parties (default 1,000,000; bench size) in five regions: 80 %
-- individuals, the rest organisations; 10 % prospects; about 1.6 open
-- holdings per customer over six products; and a default-model party_score
-- row per party with value and wealth tiers.  A typical rule segment,
-- "affluent and richer individuals in Shanghai without a wealth product",
-- is then evaluated three ways in :reps rounds, each statement once
-- unmeasured and once measured per round:
--   baseline      INSERT INTO segment_member ... SELECT ... FROM
--                 party_features WHERE <the same predicate>, into an empty
--                 segment (what a DBA would write by hand);
--   refresh       segment_refresh() of the same rule from an empty segment:
--                 checks the rule, computes the difference, inserts the
--                 members and their history rows;
--   steady        segment_refresh() again with nothing changed (the daily
--                 case: the difference is empty).
-- It prints median milliseconds and the ratios against the baseline.  The
-- data set is left in place only for the length of the run (the database is
-- private to test/bench/run).

\set ON_ERROR_STOP 1
\if :{?reps}
\else
\set reps 5
\endif
\if :{?parties}
\else
\set parties 1000000
\endif
SET client_min_messages = warning;
SET jit = off;
SET search_path = public, bankcrm;

-- a bank of :parties parties
SELECT setseed(0.45);
INSERT INTO bankcrm.region (region_code, name, province) VALUES
	('CN-SH', '上海市', '上海市'), ('CN-BJ', '北京市', '北京市'), ('CN-GD', '广州市', '广东省'),
	('CN-ZJ', '杭州市', '浙江省'), ('CN-SC', '成都市', '四川省');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES
	(1, 'SH-01', 'Shanghai main', 'CN-SH'), (2, 'BJ-01', 'Beijing main', 'CN-BJ'),
	(3, 'GD-01', 'Guangzhou main', 'CN-GD'), (4, 'ZJ-01', 'Hangzhou main', 'CN-ZJ'),
	(5, 'SC-01', 'Chengdu main', 'CN-SC');
INSERT INTO bankcrm.product (product_id, code, name, category) VALUES
	(1, 'DEP_DEMAND', 'Demand deposit', 'deposit'), (2, 'DEP_TIME_1Y', 'One-year time deposit', 'deposit'),
	(3, 'LN_MORTGAGE', 'Mortgage', 'loan'), (4, 'CARD_CREDIT', 'Credit card', 'card'),
	(5, 'WM_MONEY_MARKET', 'Money-market fund', 'wealth'), (6, 'WM_STRUCTURED', 'Structured deposit', 'wealth');
INSERT INTO bankcrm.party (party_id, kind, name, gender, region_code, birth_date, occupation, status,
                           home_branch_id, onboarded_on, consent_marketing)
SELECT i,
       CASE WHEN r1 < 0.8 THEN 'individual' ELSE 'corporate' END,
       'P' || i,
       CASE WHEN r1 < 0.4 THEN 'f' WHEN r1 < 0.8 THEN 'm' END,
       (ARRAY['CN-SH', 'CN-BJ', 'CN-GD', 'CN-ZJ', 'CN-SC'])[1 + (i % 5)],
       DATE '1950-01-01' + (r2 * 20000)::int,
       CASE WHEN r1 < 0.8 THEN (ARRAY['employee', 'professional', 'business_owner', 'retired'])[1 + (i % 4)] END,
       CASE WHEN r3 < 0.1 THEN 'prospect' ELSE 'active' END,
       1 + (i % 5),
       CASE WHEN r3 >= 0.1 THEN DATE '2000-01-01' + (r2 * 9000)::int END,
       r3 < 0.7
  FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3
          FROM generate_series(1, :parties) i) s;
INSERT INTO bankcrm.holding (party_id, product_id, balance, opened_on)
SELECT p.party_id, h.product_id,
       round((CASE WHEN random() < 0.15 THEN 1500000 ELSE 60000 END * random())::numeric, 2),
       DATE '2015-01-01' + (random() * 3000)::int
  FROM bankcrm.party p
  CROSS JOIN LATERAL (SELECT 1 + ((p.party_id * 7 + k) % 6)::int AS product_id
                        FROM generate_series(1, 1 + (p.party_id % 2)::int) k) h
 WHERE p.status <> 'prospect';
INSERT INTO bankcrm.party_score (party_id, model, contribution, value_score, value_tier, wealth_tier,
                                 rfm_r, rfm_f, rfm_m, clv, aum)
SELECT b.party_id, m.model, round(b.aum * 0.01, 2), least(1000, (b.aum / 3000)::int),
       CASE WHEN b.aum >= 1000000 THEN 'key' WHEN b.aum >= 100000 THEN 'general' ELSE 'scattered' END,
       CASE WHEN b.aum >= 10000000 THEN 'hnw' WHEN b.aum >= 500000 THEN 'affluent' ELSE 'mass' END,
       1 + (b.party_id % 5), 1 + (b.party_id / 5 % 5), 1 + (b.party_id / 25 % 5),
       round(b.aum * 0.05, 2), b.aum
  FROM (SELECT p.party_id, COALESCE(pb.aum, 0) AS aum
          FROM bankcrm.party p LEFT JOIN bankcrm.party_balance pb USING (party_id)) b,
       bankcrm.score_model m
 WHERE m.is_default;
ANALYZE bankcrm.party, bankcrm.holding, bankcrm.product, bankcrm.party_score;

\set rule 'kind = ''individual'' AND region_code = ''CN-SH'' AND wealth_tier IN (''affluent'', ''hnw'', ''uhnw'') AND NOT products && ARRAY[''WM_MONEY_MARKET'', ''WM_STRUCTURED'']'
INSERT INTO bankcrm.segment (segment_id, name, kind, rule) VALUES
	(1, 'bench: affluent Shanghai individuals without a wealth product', 'rule', :'rule'),
	(2, 'bench: the same, written by hand', 'rule', :'rule');
SELECT count(*) AS parties, (SELECT count(*) FROM bankcrm.holding) AS holdings,
       (SELECT count(*) FROM bankcrm.segment_preview(:'rule')) AS segment_members
  FROM bankcrm.party;

CREATE TEMP TABLE bench_segment_timing (variant text, round int, ms double precision);

-- one round: baseline, refresh from empty, steady refresh; each warmed once
CREATE FUNCTION pg_temp.bench_round(n int, rule text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	hand text := format('INSERT INTO bankcrm.segment_member (segment_id, party_id, joined_at) '
	                    || E'SELECT 2, f.party_id, now() FROM bankcrm.party_features f WHERE (\n%s\n)', rule);
	pass int;
BEGIN
	FOR pass IN 1 .. 2 LOOP
		DELETE FROM bankcrm.segment_member WHERE segment_id IN (1, 2);
		DELETE FROM bankcrm.segment_history WHERE segment_id IN (1, 2);
		t0 := clock_timestamp();
		EXECUTE hand;
		IF pass = 2 THEN
			INSERT INTO bench_segment_timing VALUES ('baseline', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
		t0 := clock_timestamp();
		PERFORM bankcrm.segment_refresh(1);
		IF pass = 2 THEN
			INSERT INTO bench_segment_timing VALUES ('refresh', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
		t0 := clock_timestamp();
		PERFORM bankcrm.segment_refresh(1);
		IF pass = 2 THEN
			INSERT INTO bench_segment_timing VALUES ('steady', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
	END LOOP;
END
$$;

-- each round in its own transaction, after a vacuum of the previous round's deletions
\o /dev/null
SELECT s FROM generate_series(1, :reps) r,
       LATERAL (VALUES ('VACUUM bankcrm.segment_member, bankcrm.segment_history'),
                       (format('SELECT pg_temp.bench_round(%s, %L)', r, :'rule'))) v (s) \gexec
\o
-- the refresh found exactly the hand-written set
SELECT (SELECT count(*) FROM bankcrm.segment_member WHERE segment_id = 1) AS refresh_members,
       (SELECT count(*) FROM bankcrm.segment_member WHERE segment_id = 2) AS hand_members,
       (SELECT count(*) FROM (SELECT party_id FROM bankcrm.segment_member WHERE segment_id = 1
                              EXCEPT SELECT party_id FROM bankcrm.segment_member WHERE segment_id = 2) d) AS differences;

WITH med AS (
	SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median_ms, min(ms) AS best_ms
	  FROM bench_segment_timing GROUP BY variant
)
SELECT m.variant, round(m.median_ms::numeric, 1) AS median_ms, round(m.best_ms::numeric, 1) AS best_ms,
       round((m.median_ms / b.median_ms)::numeric, 2) AS ratio_median,
       round((m.best_ms / b.best_ms)::numeric, 2) AS ratio_best
  FROM med m, med b
 WHERE b.variant = 'baseline'
 ORDER BY array_position(ARRAY['baseline', 'refresh', 'steady'], m.variant);
