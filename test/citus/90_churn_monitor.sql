-- test/citus/90_churn_monitor.sql: the churn monitor raises the alert of a
-- declining series on its own, with no call to churn_scan, on one node and
-- on Citus (where the monitor of the coordinator claims the marks the row
-- triggers wrote on the workers).
--
-- Needs a server with bankcrm in shared_preload_libraries, bankcrm.database
-- naming this database and the monitor on (bankcrm.churn_monitor).  Commits
-- a party of its own (990000101), waits up to two minutes for its alert,
-- prints it, and deletes the party again (with its rows, series and alerts).
--
--   psql -X -v ON_ERROR_STOP=1 -f test/citus/90_churn_monitor.sql
\set ON_ERROR_STOP 1
\set QUIET on
SET datestyle = ISO;
SET client_min_messages = warning;

\echo '### monitor_raises_alert'
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('XX-CHURN', 'Churn test', 'Churn test')
ON CONFLICT DO NOTHING;
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status) VALUES
	(990000101, 'corporate', 'Churn Monitor Co', 'XX-CHURN', 'active');
-- 40 weeks of 100, then six at 40
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT 990000101, '2025-03-03'::date + 7 * i, 500, CASE WHEN i >= 40 THEN 40 ELSE 100 END, 10
  FROM generate_series(0, 45) i;

DO $$
BEGIN
	FOR i IN 1..240 LOOP
		EXIT WHEN EXISTS (SELECT 1 FROM bankcrm.churn_alert a WHERE a.party_id = 990000101)
		      AND NOT EXISTS (SELECT 1 FROM bankcrm_churn.churn_dirty d WHERE d.party_id = 990000101);
		PERFORM pg_catalog.pg_sleep(0.5);
	END LOOP;
END
$$;
SELECT a.party_id, a.metric, a.state, a.severity, a.rule, a.first_week, a.last_week,
       (SELECT count(*) FROM bankcrm_churn.churn_dirty d WHERE d.party_id = 990000101) AS marks_left
  FROM bankcrm.churn_alert a WHERE a.party_id = 990000101 ORDER BY a.metric;

DELETE FROM bankcrm.activity_weekly WHERE party_id = 990000101;
DELETE FROM bankcrm.party WHERE party_id = 990000101;
-- (the check first: Citus changes a reference table only in a statement
-- that has not read a distributed table in parallel)
SELECT NOT EXISTS (SELECT 1 FROM bankcrm.party p WHERE p.region_code = 'XX-CHURN') AS churn_region_unused \gset
\if :churn_region_unused
DELETE FROM bankcrm.region r WHERE r.region_code = 'XX-CHURN';
\endif
