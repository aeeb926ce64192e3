-- test/bench/bench_fsm.sql
-- Benchmark: firing a lead event against doing the same by hand.
--
-- Run with test/bench/run fsm (or psql in a database with bankcrm, with
-- PGHOST/PGPORT set for pgbench).  It creates 10 000 leads in state
-- follow_up_call (ids from 900000001, cleaned up at the end) and a copy of
-- table lead and of table fsm_history without triggers, policies or foreign
-- keys, with the same indexes.  Each event moves a lead between
-- follow_up_call and brochure_sent, a real state change.
--
--   lead_fire   bankcrm.lead_fire(id, event): row lock, compiled process,
--               guard trigger, UPDATE, history INSERT (C, SPI plans)
--   baseline    UPDATE of the copy's row plus an INSERT into the history copy,
--               the plain SQL an application would write without the engine
--
-- Both run :events (default 20 000) events in a PL/pgSQL loop, :reps times
-- (default 5) interleaved; the table shows the median and best microseconds
-- per event and the ratio (target <= 1.5).  Then pgbench runs 8 clients for
-- :secs seconds (default 10) on distinct leads and on 4 hot leads and prints
-- transitions per second and failed transactions.

\set ON_ERROR_STOP on
\pset pager off
\if :{?reps}
\else
\set reps 5
\endif
\if :{?events}
\else
\set events 20000
\endif
\if :{?secs}
\else
\set secs 10
\endif

SET client_min_messages = warning;
SET jit = off;

-- data: one branch, one campaign, 10 000 leads
INSERT INTO bankcrm.region VALUES ('ZZ-BF', 'Bench city', 'Bench province');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (900001, 'BF-1', 'Bench branch', 'ZZ-BF');
INSERT INTO bankcrm.product (product_id, code, name, category) VALUES (900001, 'BENCH_FSM', 'Bench product', 'card');
INSERT INTO bankcrm.party (party_id, kind, name, region_code)
SELECT 900000000 + i, 'individual', 'bench ' || i, 'ZZ-BF' FROM generate_series(1, 10000) i;
INSERT INTO bankcrm.campaign (campaign_id, name, product_id, state) VALUES (900001, 'Bench fsm', 900001, 'active');
INSERT INTO bankcrm.lead (lead_id, campaign_id, party_id, process_name, state)
SELECT 900000000 + i, 900001, 900000000 + i, 'outbound_sale', 'follow_up_call' FROM generate_series(1, 10000) i;

DROP SCHEMA IF EXISTS bench_fsm CASCADE;
CREATE SCHEMA bench_fsm;
CREATE TABLE bench_fsm.lead (LIKE bankcrm.lead INCLUDING ALL);
INSERT INTO bench_fsm.lead SELECT * FROM bankcrm.lead WHERE campaign_id = 900001;
CREATE TABLE bench_fsm.history (LIKE bankcrm.fsm_history INCLUDING ALL);
VACUUM ANALYZE bankcrm.lead, bankcrm.fsm_history, bench_fsm.lead, bench_fsm.history;

CREATE TABLE bench_fsm.timing (method text, rep int, us_per_event double precision);

CREATE PROCEDURE bench_fsm.run_fire(n int, rep int) LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	i int;
BEGIN
	FOR i IN 0 .. n - 1 LOOP
		PERFORM bankcrm.lead_fire(900000001 + i % 10000,
			CASE WHEN ((i / 10000) + rep * ((n + 9999) / 10000)) % 2 = 0 THEN 'resend_brochure' ELSE 'schedule_follow_up' END);
	END LOOP;
	INSERT INTO bench_fsm.timing VALUES ('lead_fire', rep, extract(epoch FROM clock_timestamp() - t0) * 1e6 / n);
END
$$;

CREATE PROCEDURE bench_fsm.run_plain(n int, rep int) LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	i int;
	fwd boolean;
BEGIN
	FOR i IN 0 .. n - 1 LOOP
		fwd := ((i / 10000) + rep * ((n + 9999) / 10000)) % 2 = 0;
		UPDATE bench_fsm.lead SET state = CASE WHEN fwd THEN 'brochure_sent' ELSE 'follow_up_call' END,
		       state_changed_at = now()
		 WHERE lead_id = 900000001 + i % 10000;
		INSERT INTO bench_fsm.history (process_name, entity, entity_id, event, from_state, to_state, staff_id, actor, note)
		VALUES ('outbound_sale', 'bankcrm.lead'::regclass, 900000001 + i % 10000,
		        CASE WHEN fwd THEN 'resend_brochure' ELSE 'schedule_follow_up' END,
		        CASE WHEN fwd THEN 'follow_up_call' ELSE 'brochure_sent' END,
		        CASE WHEN fwd THEN 'brochure_sent' ELSE 'follow_up_call' END,
		        (SELECT s.staff_id FROM bankcrm.staff s WHERE s.db_role = current_user AND s.active), current_user, NULL);
	END LOOP;
	INSERT INTO bench_fsm.timing VALUES ('baseline', rep, extract(epoch FROM clock_timestamp() - t0) * 1e6 / n);
END
$$;

-- warm up both, then interleave the measured repetitions
CALL bench_fsm.run_fire(2000, 1000);
CALL bench_fsm.run_plain(2000, 1000);
UPDATE bankcrm.lead SET state = 'follow_up_call' WHERE campaign_id = 900001 AND state <> 'follow_up_call';
UPDATE bench_fsm.lead SET state = 'follow_up_call' WHERE state <> 'follow_up_call';
DELETE FROM bench_fsm.timing;
SELECT format('CALL bench_fsm.run_%s(%s, %s);', m, :events, r)
  FROM generate_series(0, :reps - 1) r, unnest(ARRAY['fire', 'plain']) m
 ORDER BY r, CASE WHEN r % 2 = 0 THEN m END, m DESC \gexec

\echo 'lead events, microseconds per event (single session)'
WITH s AS (
	SELECT method, percentile_cont(0.5) WITHIN GROUP (ORDER BY us_per_event) AS median, min(us_per_event) AS best
	  FROM bench_fsm.timing GROUP BY method
)
SELECT s.method, round(s.median::numeric, 1) AS median_us, round(s.best::numeric, 1) AS best_us,
       round((s.median / b.median)::numeric, 2) AS ratio_to_baseline
  FROM s, s b WHERE b.method = 'baseline' ORDER BY s.method DESC;

-- pgbench: 8 clients, distinct leads, then 4 hot leads
UPDATE bankcrm.lead SET state = 'follow_up_call' WHERE campaign_id = 900001 AND state <> 'follow_up_call';
\setenv BENCH_SECS :secs
\echo 'pgbench, 8 clients, each on its own 1 000 leads (one transaction = one event)'
\! pgbench -n -c 8 -j 2 -T $BENCH_SECS -f test/bench/fsm_distinct.pgbench bankcrm_bench 2>&1 | grep -E '^(number of (transactions actually processed|failed)|latency average|tps)'
\echo 'pgbench, 8 clients, all on the same 4 leads'
\! pgbench -n -c 8 -j 2 -T $BENCH_SECS -f test/bench/fsm_hot.pgbench bankcrm_bench 2>&1 | grep -E '^(number of (transactions actually processed|failed)|latency average|tps)'
SELECT count(*) AS history_rows_for_hot_leads,
       count(*) FILTER (WHERE from_state = to_state) AS self_loops,
       bool_and(prev_to IS NULL OR prev_to = from_state) AS every_event_starts_where_the_last_ended
  FROM (SELECT h.*, lag(h.to_state) OVER (PARTITION BY h.entity_id ORDER BY h.history_id) AS prev_to
          FROM bankcrm.fsm_history h
         WHERE h.entity = 'bankcrm.lead'::regclass AND h.entity_id BETWEEN 900000001 AND 900000004) x;

-- clean up (history is append-only: bypass its triggers for the cleanup)
SET session_replication_role = replica;
DELETE FROM bankcrm.fsm_history WHERE entity = 'bankcrm.lead'::regclass AND entity_id > 900000000;
DELETE FROM bankcrm.fsm_history WHERE entity = 'bankcrm.campaign'::regclass AND entity_id = 900001;
RESET session_replication_role;
DELETE FROM bankcrm.lead WHERE campaign_id = 900001;
DELETE FROM bankcrm.campaign WHERE campaign_id = 900001;
DELETE FROM bankcrm.party WHERE party_id > 900000000 AND region_code = 'ZZ-BF';
DELETE FROM bankcrm.product WHERE product_id = 900001;
DELETE FROM bankcrm.branch WHERE branch_id = 900001;
DELETE FROM bankcrm.region WHERE region_code = 'ZZ-BF';
DROP SCHEMA bench_fsm CASCADE;
