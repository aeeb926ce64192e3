-- test/bench/bench_rls.sql
-- Benchmark: the cost of row-level security for staff roles.
--
-- Run with psql in a database where bankcrm is installed and no party data
-- has been loaded (test/bench/run rls):
--     psql -X -q [-v reps=N] [-v parties=N] -f test/bench/bench_rls.sql
-- It generates, set-based and deterministically, :parties parties (default
-- 1,000,000) with about 1.5 open holdings each, covered by 1,000
-- relationship managers in 100 teams over 10 branches, and three staff
-- logins: an RM (about 1,000 parties), a team lead (its team, about 10,000)
-- and a branch manager (its branch, about 100,000).  For each, in :reps
-- rounds, each statement once unmeasured and once measured:
--   bare        SELECT count(*), sum(balance) FROM holding, as the owner:
--               the scan with no security at all (the floor);
--   subquery    the same with the policy the tables had before, written
--               out: WHERE party_id IN (SELECT visible_party_ids(role));
--   policy      the same statement as the staff role itself, through the
--               policy party_visible(party_id) (src/rls.c).
-- It prints median milliseconds and the ratios against bare and subquery.

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
SET max_parallel_workers_per_gather = 0;

SELECT setseed(0.27);
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-SH', '上海市', '上海市');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code)
SELECT b, 'B' || b, 'Branch ' || b, 'CN-SH' FROM generate_series(1, 10) b;
INSERT INTO bankcrm.team (team_id, branch_id, name)
SELECT t, 1 + (t - 1) / 10, 'Team ' || t FROM generate_series(1, 100) t;
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, team_id)
SELECT s, 'RM ' || s, CASE WHEN s % 10 = 1 THEN 'team_lead' ELSE 'rm' END, 1 + (s - 1) / 100, 1 + (s - 1) / 10
  FROM generate_series(1, 1000) s;
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id) VALUES (1001, 'Manager', 'branch_manager', 1);
INSERT INTO bankcrm.product (product_id, code, name, category) VALUES
	(1, 'DEP_DEMAND', 'Demand deposit', 'deposit'), (2, 'LN_MORTGAGE', 'Mortgage', 'loan');
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id, onboarded_on)
SELECT i, 'individual', 'P' || i, 'CN-SH', 'active', 1 + ((i - 1) % 1000) / 100, DATE '2020-01-01'
  FROM generate_series(1, :parties) i;
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from)
SELECT i, 1 + (i - 1) % 1000, 'primary_rm', DATE '2020-01-01' FROM generate_series(1, :parties) i;
INSERT INTO bankcrm.holding (party_id, product_id, balance, opened_on)
SELECT i, 1 + (k % 2), round((random() * 100000)::numeric, 2), DATE '2020-01-01'
  FROM generate_series(1, :parties) i, generate_series(1, 1 + (i % 2)::int) k;
ANALYZE bankcrm.party, bankcrm.coverage, bankcrm.holding, bankcrm.staff;

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['bench_rm', 'bench_lead', 'bench_manager'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I', r);
		END IF;
	END LOOP;
END
$$;
GRANT bankcrm_rm TO bench_rm;
GRANT bankcrm_manager TO bench_lead, bench_manager;
UPDATE bankcrm.staff SET db_role = 'bench_rm' WHERE staff_id = 2;
UPDATE bankcrm.staff SET db_role = 'bench_lead' WHERE staff_id = 1;
UPDATE bankcrm.staff SET db_role = 'bench_manager' WHERE staff_id = 1001;
SELECT (SELECT count(*) FROM bankcrm.party) AS parties, (SELECT count(*) FROM bankcrm.holding) AS holdings;

CREATE TEMP TABLE bench_rls_timing (who text, variant text, round int, ms double precision, result text);
GRANT ALL ON bench_rls_timing TO PUBLIC;

CREATE FUNCTION pg_temp.bench_round(n int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	who text;
	pass int;
	res text;
BEGIN
	FOREACH who IN ARRAY ARRAY['bench_rm', 'bench_lead', 'bench_manager'] LOOP
		FOR pass IN 1 .. 2 LOOP
			t0 := clock_timestamp();
			SELECT count(*) || '/' || sum(balance) INTO res FROM bankcrm.holding;
			IF pass = 2 THEN
				INSERT INTO bench_rls_timing VALUES (who, 'bare', n, extract(epoch FROM clock_timestamp() - t0) * 1000, res);
			END IF;
			t0 := clock_timestamp();
			SELECT count(*) || '/' || sum(balance) INTO res FROM bankcrm.holding
			 WHERE party_id IN (SELECT bankcrm.visible_party_ids(who::name));
			IF pass = 2 THEN
				INSERT INTO bench_rls_timing VALUES (who, 'subquery', n, extract(epoch FROM clock_timestamp() - t0) * 1000, res);
			END IF;
			EXECUTE format('SET ROLE %I', who);
			t0 := clock_timestamp();
			SELECT count(*) || '/' || sum(balance) INTO res FROM bankcrm.holding;
			IF pass = 2 THEN
				INSERT INTO bench_rls_timing VALUES (who, 'policy', n, extract(epoch FROM clock_timestamp() - t0) * 1000, res);
			END IF;
			RESET ROLE;
		END LOOP;
	END LOOP;
END
$$;

\o /dev/null
SELECT format('SELECT pg_temp.bench_round(%s)', r) FROM generate_series(1, :reps) r \gexec
\o
-- the policy shows each role exactly what the subquery does
SELECT who, count(DISTINCT result) FILTER (WHERE variant <> 'bare') AS distinct_results
  FROM bench_rls_timing GROUP BY who ORDER BY who;

WITH med AS (
	SELECT who, variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median_ms
	  FROM bench_rls_timing GROUP BY who, variant
)
SELECT m.who, m.variant, round(m.median_ms::numeric, 1) AS median_ms,
       round((m.median_ms / b.median_ms)::numeric, 2) AS vs_bare,
       round((m.median_ms / s.median_ms)::numeric, 2) AS vs_subquery
  FROM med m
  JOIN med b ON b.who = m.who AND b.variant = 'bare'
  JOIN med s ON s.who = m.who AND s.variant = 'subquery'
 ORDER BY m.who, array_position(ARRAY['bare', 'subquery', 'policy'], m.variant);
