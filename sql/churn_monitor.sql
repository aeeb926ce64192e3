-- churn monitor: churn_process_dirty week after week in one backend, which
-- resumes each party's detector from the state it kept, gives the alerts of
-- a full evaluation of every week
SET extra_float_digits = 0;
SET datestyle = ISO;

INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-SH', 'Shanghai', 'Shanghai');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (7, 'SH07', 'Shanghai Pudong', 'CN-SH');
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id) VALUES (7, 'Manager Zhou', 'branch_manager', 7);
-- 60 corporates: a level, a weekly wobble, Chinese New Year dips; every
-- sixth party slides by 6 % a week from week 81, every tenth falls by half
-- at week 85; one closes
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id, closed_on)
SELECT 100 + i, 'corporate', 'Monitor Co ' || i, 'CN-SH', CASE WHEN i = 12 THEN 'closed' ELSE 'active' END, 7,
       CASE WHEN i = 12 THEN '2025-06-02'::date END
  FROM generate_series(1, 60) i;
CREATE TEMP TABLE mon_week AS
SELECT 100 + i AS party_id, '2024-01-01'::date + 7 * w AS week, w,
       round(((1000 + 37 * i) * (1 + 0.08 * sin(i * 1.7 + w * 0.9))
              * CASE WHEN w IN (6, 58) THEN 0.7 ELSE 1 END
              * CASE WHEN i % 6 = 0 AND w >= 81 THEN greatest(0.2, 1 - 0.06 * (w - 80)) ELSE 1 END
              * CASE WHEN i % 10 = 0 AND w >= 85 THEN 0.5 ELSE 1 END)::numeric, 2) AS v
  FROM generate_series(1, 60) i, generate_series(0, 89) w;
-- a gap: party 103 has no row in week 80
DELETE FROM mon_week WHERE party_id = 103 AND w = 80;

-- 80 weeks of history, evaluated once (the backend's first batch: full walks)
INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
SELECT party_id, week, 0.1 * v, v, (v / 50)::int FROM mon_week WHERE w < 80;
SELECT bankcrm.churn_process_dirty(1000);

-- the full evaluation's hits against the active alerts: none may be
-- missing or differ (the refresh copies each hit's week, drop and CUSUM)
CREATE FUNCTION pg_temp.mon_check(OUT hits bigint, OUT mismatched bigint, OUT stale_this_week bigint)
LANGUAGE sql AS $$
	WITH h AS (SELECT * FROM pg_catalog.unnest(bankcrm.churn_evaluate_hits(NULL, NULL))),
	     last AS (SELECT max(week) AS week FROM bankcrm.activity_weekly)
	SELECT (SELECT count(*) FROM h),
	       (SELECT count(*) FROM h LEFT JOIN bankcrm.churn_alert a
	           ON a.party_id = h.party_id AND a.metric = h.metric AND a.state = 'open'
	         WHERE a.alert_id IS NULL OR a.last_week <> h.week
	            OR a.level_drop_pct IS DISTINCT FROM h.level_drop_pct OR a.cusum IS DISTINCT FROM h.cusum),
	       (SELECT count(*) FROM bankcrm.churn_alert a, last
	         WHERE a.last_week = last.week
	           AND NOT EXISTS (SELECT 1 FROM h WHERE h.party_id = a.party_id AND h.metric = a.metric))
$$;
SELECT * FROM pg_temp.mon_check();

-- then one week at a time, as the monitor sees them: each batch resumes
-- from the states of the one before
DO $$
DECLARE
	r record;
BEGIN
	FOR wk IN 80..89 LOOP
		INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
		SELECT party_id, week, 0.1 * v, v, (v / 50)::int FROM mon_week WHERE w = wk;
		IF wk = 84 THEN
			-- a correction of the week just evaluated: resumes from the week before
			UPDATE bankcrm.activity_weekly SET txn_volume = txn_volume * 0.5
			 WHERE party_id IN (101, 107) AND week = '2024-01-01'::date + 7 * 83;
		END IF;
		IF wk = 86 THEN
			-- a correction of an old week: that party is walked in full
			UPDATE bankcrm.activity_weekly SET txn_volume = txn_volume * 2
			 WHERE party_id = 102 AND week = '2024-01-01'::date + 7 * 10;
		END IF;
		PERFORM bankcrm.churn_process_dirty(1000);
		SELECT * INTO r FROM pg_temp.mon_check();
		RAISE NOTICE 'week %: % hits, % mismatched, % stale, % alerts (% escalated)', wk, r.hits, r.mismatched,
			r.stale_this_week, (SELECT count(*) FROM bankcrm.churn_alert WHERE party_id > 100),
			(SELECT count(*) FROM bankcrm.churn_alert WHERE party_id > 100 AND escalated_at IS NOT NULL);
	END LOOP;
END
$$;
SELECT count(*) FROM bankcrm_churn.churn_dirty;
-- the batch says how many walks resumed: all but the corrected party 102,
-- walked in full, and the new party without a kept state
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id)
VALUES (161, 'corporate', 'Monitor Co 61', 'CN-SH', 'active', 7);
INSERT INTO bankcrm.activity_weekly (party_id, week, txn_volume)
SELECT party_id, week + 7, v FROM mon_week WHERE w = 89 AND party_id IN (101, 103, 104)
UNION ALL SELECT 161, '2025-09-15', 10;
UPDATE bankcrm.activity_weekly SET txn_volume = 1 WHERE party_id = 102 AND week = '2024-01-01';
SET client_min_messages = debug1;
SELECT bankcrm.churn_process_dirty(1000);
RESET client_min_messages;
SELECT metric, severity, count(*), count(DISTINCT party_id) AS parties
  FROM bankcrm.churn_alert WHERE party_id > 100 GROUP BY 1, 2 ORDER BY 1, 2;
-- the closed party raised nothing after it closed
SELECT count(*) FROM bankcrm.churn_alert WHERE party_id = 112 AND last_week >= '2025-06-02';
-- one open alert per party and metric, each raised once
SELECT count(*) = count(DISTINCT (party_id, metric)) AS one_per_metric FROM bankcrm.churn_alert WHERE party_id > 100;
SELECT count(*) = (SELECT count(*) FROM bankcrm.churn_alert WHERE party_id > 100) AS raised_once
  FROM bankcrm.churn_alert_history WHERE event = 'raised' AND party_id > 100;

-- the same evaluation as churn_evaluate, party by party
WITH f AS (
	SELECT s.party_id, f.metric, f.week, f.severity, f.rule
	  FROM bankcrm_churn.churn_series_now s, bankcrm.churn_calendar() cal,
	       LATERAL bankcrm.churn_evaluate(s.series, bankcrm.churn_policy_for('corporate'), NULL, cal.days, cal.prev_days) f
	 WHERE f.severity IS NOT NULL AND s.party_id <> 112),
h AS (SELECT * FROM pg_catalog.unnest(bankcrm.churn_evaluate_hits(NULL, NULL)))
SELECT count(*) AS hits, count(*) FILTER (WHERE f.party_id IS NULL OR h.party_id IS NULL OR h.severity <> f.severity
                                          OR h.rule <> f.rule OR h.week <> f.week) AS differing
  FROM f FULL JOIN h ON h.party_id = f.party_id AND h.metric = f.metric;

-- refused
SELECT bankcrm.churn_process_dirty(NULL);
