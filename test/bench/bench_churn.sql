-- test/bench/bench_churn.sql: churn early warning (test/bench/run churn)
--
-- Part 1, detection quality on the generator's ground truth (demo size,
-- loaded into its own database): recall, median lead time and false alarms
-- per quarter for bankcrm's detector and for the naive rule.
-- Part 2, speed at bench size: 100,000 corporates x 156 weeks = 15.6 M
-- weekly rows, generated set-based here (the bench loader would also
-- generate 900,000 individuals that churn does not read).  Every timing is
-- the median of three runs, in one process (no parallel workers), and is
-- printed as a ratio against a bare sequential scan of activity_weekly
-- measured in the same run.  The monitor's first batch in a backend (full
-- walks) is timed apart from the batches after it (resumed walks).
-- Part 2 also times the new week's insert against a plain INSERT of the
-- same rows into a trigger-less table of the same shape, the training of
-- the churn model on the whole bench bank and a week's probabilities.
-- Part 3, the insert path: the series upkeep (row triggers and a statement
-- trigger without transition tables) against no trigger and against the
-- former statement triggers with transition tables, recreated here for the
-- comparison, on 20,000 parties in a database of its own.
\set ON_ERROR_STOP on
\pset footer off

-- ---------------------------------------------------------------------------
-- part 1: quality
\echo '== detection quality, demo size (10,000 corporates), seed 42'
DROP DATABASE IF EXISTS bankcrm_churn_quality;
CREATE DATABASE bankcrm_churn_quality;
\c bankcrm_churn_quality
\set ON_ERROR_STOP on
CREATE EXTENSION bankcrm;
\! test/data/load --size demo --dbname bankcrm_churn_quality >/dev/null
CREATE TEMP TABLE q_alert AS
SELECT s.party_id, f.week
  FROM bankcrm_churn.churn_series_now s JOIN bankcrm.party p ON p.party_id = s.party_id,
       bankcrm.churn_calendar() cal,
       LATERAL bankcrm.churn_history(s.series, bankcrm.churn_policy_for(p.kind), NULL, cal.days, cal.prev_days) f
 WHERE f.severity IS NOT NULL GROUP BY 1, 2;
CREATE TEMP TABLE q_naive AS
SELECT party_id, week
  FROM (SELECT a.party_id, a.week, count(*) OVER w AS n,
               a.loan_volume < 0.7 * avg(a.loan_volume) OVER w AS l,
               a.txn_volume < 0.7 * avg(a.txn_volume) OVER w AS t,
               a.txn_count < 0.7 * avg(a.txn_count) OVER w AS c
          FROM bankcrm.activity_weekly a
        WINDOW w AS (PARTITION BY a.party_id ORDER BY a.week ROWS BETWEEN 13 PRECEDING AND 1 PRECEDING)) x
 WHERE n = 13 AND (l OR t OR c) GROUP BY 1, 2;
CREATE TEMP TABLE q_churner AS
SELECT c.party_id, c.exit_week FROM bankcrm_truth.churner c
 WHERE c.exit_week <= (SELECT max(week) FROM bankcrm.activity_weekly);
CREATE TEMP TABLE q_stable AS
SELECT p.party_id FROM bankcrm.party p
 WHERE p.kind = 'corporate' AND EXISTS (SELECT 1 FROM bankcrm_churn.churn_series_now s WHERE s.party_id = p.party_id)
   AND NOT EXISTS (SELECT 1 FROM bankcrm_truth.churner c WHERE c.party_id = p.party_id);
CREATE FUNCTION pg_temp.q_figures(rule text, OUT recall numeric, OUT median_lead numeric,
	OUT mean_quarter_pct numeric, OUT worst_quarter_pct numeric, OUT cny_quarter_pct numeric)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format($q$
		WITH first AS (
			SELECT c.party_id, c.exit_week,
			       (SELECT min(a.week) FROM %1$I a WHERE a.party_id = c.party_id AND a.week <= c.exit_week) AS week
			  FROM q_churner c),
		raised AS (
			SELECT a.party_id, a.week FROM %1$I a
			 WHERE a.party_id IN (SELECT party_id FROM q_stable)
			   AND NOT EXISTS (SELECT 1 FROM %1$I b WHERE b.party_id = a.party_id AND b.week = a.week - 7)),
		per_quarter AS (
			SELECT q.q, 100.0 * count(DISTINCT r.party_id) / (SELECT count(*) FROM q_stable) AS pct
			  FROM (SELECT g::date AS q FROM generate_series('2024-04-01'::date, '2026-10-01', '3 months') g) q
			  LEFT JOIN raised r ON r.week >= q.q AND r.week < q.q + interval '3 months'
			 GROUP BY q.q)
		SELECT (SELECT round(100.0 * count(week) / count(*), 1) FROM first),
		       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (exit_week - week) / 7)::numeric FROM first WHERE week IS NOT NULL),
		       (SELECT round(avg(pct), 2) FROM per_quarter),
		       (SELECT round(max(pct), 2) FROM per_quarter),
		       (SELECT round(max(pct), 2) FROM per_quarter WHERE q IN ('2025-01-01', '2026-01-01'))$q$, rule)
	INTO recall, median_lead, mean_quarter_pct, worst_quarter_pct, cny_quarter_pct;
END
$$;
SELECT (SELECT count(*) FROM q_churner) AS churners_exited, (SELECT count(*) FROM q_stable) AS stable_corporates;
SELECT 'bankcrm' AS rule, f.* FROM pg_temp.q_figures('q_alert') f
UNION ALL
SELECT 'naive (week < 70 % of trailing 13-week mean)', f.* FROM pg_temp.q_figures('q_naive') f;
\c bankcrm_bench
DROP DATABASE bankcrm_churn_quality;

-- ---------------------------------------------------------------------------
-- part 2: speed
\set ON_ERROR_STOP on
\echo '== speed, 100,000 corporates x 156 weeks'
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.42);
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-BJ', 'Beijing', 'Beijing');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) SELECT b, 'B' || b, 'Branch ' || b, 'CN-BJ' FROM generate_series(1, 100) b;
INSERT INTO bankcrm.staff (name, role_kind, branch_id) SELECT 'Manager ' || b, 'branch_manager', b FROM generate_series(1, 100) b;
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status, home_branch_id)
SELECT i, 'corporate', 'Company ' || i, 'CN-BJ', 'active', 1 + i % 100 FROM generate_series(1, 100000) i;
-- weekly volumes: a level per party, +-10 % noise, Chinese New Year and
-- quarter-end effects, and 5 % of parties declining to 10 % over 20 weeks
CREATE TEMP TABLE bench_party AS
SELECT i AS party_id, 2e4 + random() * 2e6 AS base, random() < 0.05 AS churn, 60 + floor(random() * 90)::int AS ds
  FROM generate_series(1, 100000) i;
\timing on
DO $$
BEGIN
	FOR chunk IN 0..9 LOOP
		INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
		SELECT p.party_id, '2023-11-20'::date + 7 * w,
		       round((0.03 * p.base * f)::numeric, 2), round((p.base * f)::numeric, 2), (p.base * f / 25000)::int
		  FROM bench_party p, generate_series(0, 155) w,
		       LATERAL (SELECT (CASE WHEN p.churn AND w >= p.ds THEN greatest(0.1, 1 - (w - p.ds) / 20.0) ELSE 1 END)
		                       * (0.9 + 0.2 * random())
		                       * CASE WHEN w IN (11, 61, 116) THEN 0.6 WHEN w % 13 = 12 THEN 1.2 ELSE 1 END AS f) x
		 WHERE p.party_id % 10 = chunk;
	END LOOP;
END
$$;
\timing off
VACUUM ANALYZE bankcrm.activity_weekly;
VACUUM ANALYZE bankcrm_churn.churn_series;
TRUNCATE bankcrm_churn.churn_dirty;
SELECT count(*) AS weekly_rows, pg_size_pretty(pg_table_size('bankcrm.activity_weekly')) AS activity_weekly,
       (SELECT pg_size_pretty(pg_table_size('bankcrm_churn.churn_series'))) AS churn_series
  FROM bankcrm.activity_weekly;

CREATE TEMP TABLE bench (what text, run int, ms float8);
CREATE FUNCTION pg_temp.clock(what text, sql text, runs int DEFAULT 3) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
BEGIN
	FOR r IN 1..runs LOOP
		t0 := clock_timestamp();
		EXECUTE sql;
		INSERT INTO bench VALUES (what, r, 1000 * extract(epoch FROM clock_timestamp() - t0));
	END LOOP;
END
$$;

-- the baseline: a bare sequential scan of the weekly rows
SELECT pg_temp.clock('1 bare seq scan of activity_weekly (count(*))',
	'SELECT count(*) FROM bankcrm.activity_weekly');
-- the same scan reading the three metrics the evaluation reads (what the
-- scoring benchmark calls a bare scan: the same columns, no logic)
SELECT pg_temp.clock('1b bare seq scan of activity_weekly reading the three metrics (sum)',
	'SELECT sum(loan_volume + txn_volume + txn_count) FROM bankcrm.activity_weekly');
-- the reference of the issue: one trailing 13-week avg() OVER pass
SELECT pg_temp.clock('2 one trailing 13-week avg() OVER pass',
	'SELECT sum(m) FROM (SELECT avg(txn_volume) OVER (PARTITION BY party_id ORDER BY week ROWS 13 PRECEDING) m
	                       FROM bankcrm.activity_weekly) x', 1);
-- bankcrm: every week of every party, all baselines, the CUSUM, the rules
SELECT pg_temp.clock('3 bankcrm full evaluation (churn_evaluate over churn_series_now)',
	'SELECT count(f.first_alert_week)
	   FROM bankcrm_churn.churn_series_now s, bankcrm.churn_calendar() cal,
	        LATERAL bankcrm.churn_evaluate(s.series, NULL, NULL, cal.days, cal.prev_days) f');
-- the same baselines in SQL window functions, three metrics (the CUSUM and
-- the noise estimate are recursive and cannot be written as window
-- functions: this is a lower bound of the SQL cost)
SELECT pg_temp.clock('4 the baselines in SQL window functions (no CUSUM)',
	$q$SELECT sum(coalesce(lm, 0) + coalesce(ls, 0) + coalesce(lq, 0) + coalesce(lp, 0) + coalesce(ly, 0) + coalesce(lc, 0) + coalesce(l4, 0)
	            + coalesce(tm, 0) + coalesce(ts, 0) + coalesce(tq, 0) + coalesce(tp, 0) + coalesce(ty, 0) + coalesce(tc, 0) + coalesce(t4, 0)
	            + coalesce(cm, 0) + coalesce(cs, 0) + coalesce(cq, 0) + coalesce(cp, 0) + coalesce(cy, 0) + coalesce(cc, 0) + coalesce(c4, 0))
	   FROM (SELECT avg(loan_volume) OVER t AS lm, stddev(loan_volume) OVER t AS ls, avg(loan_volume) OVER q AS lq,
	                avg(loan_volume) OVER p AS lp, lag(loan_volume, 52) OVER o AS ly, avg(loan_volume) OVER c AS lc,
	                avg(loan_volume) OVER f AS l4,
	                avg(txn_volume) OVER t AS tm, stddev(txn_volume) OVER t AS ts, avg(txn_volume) OVER q AS tq,
	                avg(txn_volume) OVER p AS tp, lag(txn_volume, 52) OVER o AS ty, avg(txn_volume) OVER c AS tc,
	                avg(txn_volume) OVER f AS t4,
	                avg(txn_count) OVER t AS cm, stddev(txn_count) OVER t AS cs, avg(txn_count) OVER q AS cq,
	                avg(txn_count) OVER p AS cp, lag(txn_count, 52) OVER o AS cy, avg(txn_count) OVER c AS cc,
	                avg(txn_count) OVER f AS c4
	           FROM bankcrm.activity_weekly
	         WINDOW o AS (PARTITION BY party_id ORDER BY week),
	                t AS (o ROWS BETWEEN 13 PRECEDING AND 1 PRECEDING),
	                q AS (o ROWS BETWEEN 12 PRECEDING AND CURRENT ROW),
	                p AS (o ROWS BETWEEN 25 PRECEDING AND 13 PRECEDING),
	                c AS (o ROWS BETWEEN 6 PRECEDING AND 6 FOLLOWING),
	                f AS (o ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)) x$q$, 1);

-- the monitor: one new week arrives for every corporate, twelve times, drawn
-- from the same model as the history (the level, noise, quarter ends, the
-- 5 % of churners going on with their slide).  This session's first batch
-- walks every series in full; the next ones resume each detector from the
-- state the backend kept (src/churn/churn_monitor.c)
CREATE FUNCTION pg_temp.new_week() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	w int := ((SELECT max(week) FROM bankcrm.activity_weekly WHERE party_id = 1) - '2023-11-20'::date) / 7 + 1;
BEGIN
	INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
	SELECT p.party_id, '2023-11-20'::date + 7 * w,
	       round((0.03 * p.base * f)::numeric, 2), round((p.base * f)::numeric, 2), (p.base * f / 25000)::int
	  FROM bench_party p,
	       LATERAL (SELECT (CASE WHEN p.churn AND w >= p.ds THEN greatest(0.1, 1 - (w - p.ds) / 20.0) ELSE 1 END)
	                       * (0.9 + 0.2 * random())
	                       * CASE WHEN w % 13 = 12 THEN 1.2 ELSE 1 END AS f) x;
END
$$;
SELECT pg_temp.clock('5 insert one week for 100,000 corporates (weeks appended, marks)', 'SELECT pg_temp.new_week()', 1);
SELECT pg_temp.clock('6a monitor, first batch of a backend: 100,000 dirty parties, full walks',
	'SELECT bankcrm.churn_process_dirty(1000000)', 1);
DO $$
BEGIN
	-- eleven weeks more: every party's appended weeks reach its fold
	-- threshold (4 to 12 weeks) once, so the batches fold as they would
	-- week after week
	FOR r IN 1..11 LOOP
		PERFORM pg_temp.clock('5 insert one week for 100,000 corporates (weeks appended, marks)', 'SELECT pg_temp.new_week()', 1);
		COMMIT;
		PERFORM pg_temp.clock('6 monitor: evaluate 100,000 dirty parties (churn_process_dirty)',
			'SELECT bankcrm.churn_process_dirty(1000000)', 1);
		COMMIT;
	END LOOP;
END
$$;
-- the full evaluation again, now that the series have appended weeks
SELECT pg_temp.clock('3t bankcrm full evaluation, with the appended weeks the batches left',
	'SELECT count(f.first_alert_week)
	   FROM bankcrm_churn.churn_series_now s, bankcrm.churn_calendar() cal,
	        LATERAL bankcrm.churn_evaluate(s.series, NULL, NULL, cal.days, cal.prev_days) f');
-- the insert path against a plain INSERT of the same rows into a table of
-- activity_weekly's shape without the triggers (the same indexes and
-- constraints), measured in the same run: once without activity_weekly's
-- foreign key to party (LIKE does not copy it), once with it (the
-- like-for-like floor: the same table without the churn triggers)
CREATE TABLE public.aw_plain (LIKE bankcrm.activity_weekly INCLUDING ALL);
CREATE TABLE public.aw_plain_fk (LIKE bankcrm.activity_weekly INCLUDING ALL,
	FOREIGN KEY (party_id) REFERENCES bankcrm.party ON DELETE CASCADE);
CREATE FUNCTION pg_temp.new_week_plain(fk boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	w int := ((SELECT max(week) FROM bankcrm.activity_weekly WHERE party_id = 1) - '2023-11-20'::date) / 7 + 1;
BEGIN
	IF fk THEN
		INSERT INTO public.aw_plain_fk (party_id, week, loan_volume, txn_volume, txn_count)
		SELECT p.party_id, '2023-11-20'::date + 7 * w,
		       round((0.03 * p.base * f)::numeric, 2), round((p.base * f)::numeric, 2), (p.base * f / 25000)::int
		  FROM bench_party p,
		       LATERAL (SELECT (CASE WHEN p.churn AND w >= p.ds THEN greatest(0.1, 1 - (w - p.ds) / 20.0) ELSE 1 END)
		                       * (0.9 + 0.2 * random())
		                       * CASE WHEN w % 13 = 12 THEN 1.2 ELSE 1 END AS f) x;
		RETURN;
	END IF;
	INSERT INTO public.aw_plain (party_id, week, loan_volume, txn_volume, txn_count)
	SELECT p.party_id, '2023-11-20'::date + 7 * w,
	       round((0.03 * p.base * f)::numeric, 2), round((p.base * f)::numeric, 2), (p.base * f / 25000)::int
	  FROM bench_party p,
	       LATERAL (SELECT (CASE WHEN p.churn AND w >= p.ds THEN greatest(0.1, 1 - (w - p.ds) / 20.0) ELSE 1 END)
	                       * (0.9 + 0.2 * random())
	                       * CASE WHEN w % 13 = 12 THEN 1.2 ELSE 1 END AS f) x;
END
$$;
DO $$
BEGIN
	FOR r IN 1..3 LOOP
		TRUNCATE public.aw_plain, public.aw_plain_fk;
		PERFORM pg_temp.clock('5p plain INSERT of one week x 100,000 into a table of the same shape without triggers',
			'SELECT pg_temp.new_week_plain(false)', 1);
		COMMIT;
		PERFORM pg_temp.clock('5q plain INSERT of the same, with activity_weekly''s foreign key to party',
			'SELECT pg_temp.new_week_plain(true)', 1);
		COMMIT;
	END LOOP;
END
$$;
DROP TABLE public.aw_plain, public.aw_plain_fk;

-- what the batches did: alerts raised and refreshed per week
SELECT last_week, count(*) AS active_alerts, count(*) FILTER (WHERE first_week = last_week) AS raised_that_week
  FROM bankcrm.churn_alert GROUP BY 1 ORDER BY 1 DESC LIMIT 4;

-- the same through the background worker: insert, then wait until every
-- mark is gone; its first round is the new monitor's first batch
ALTER SYSTEM SET bankcrm.churn_databases = 'bankcrm_bench';
ALTER SYSTEM SET bankcrm.churn_batch_size = 1000000;
SELECT pg_reload_conf();
SELECT pg_sleep(2);
DO $$
DECLARE
	t0 timestamptz;
BEGIN
	FOR r IN 1..4 LOOP
		PERFORM pg_temp.new_week();
		COMMIT;
		t0 := clock_timestamp();
		WHILE EXISTS (SELECT 1 FROM bankcrm_churn.churn_dirty) LOOP
			PERFORM pg_sleep(0.02);
		END LOOP;
		INSERT INTO bench VALUES (CASE WHEN r = 1 THEN '7a monitor worker, first batch: commit to last mark evaluated'
		                               ELSE '7 monitor worker: commit to last mark evaluated' END,
		                          r, 1000 * extract(epoch FROM clock_timestamp() - t0));
		COMMIT;
	END LOOP;
END
$$;
ALTER SYSTEM RESET bankcrm.churn_databases;
ALTER SYSTEM RESET bankcrm.churn_batch_size;
SELECT pg_reload_conf();

-- the churn probability: a model trained in the database on the whole
-- history (every 4th week, 26-week horizon; the bench bank has no
-- holdings, contacts or complaints, so the customer-360 features are
-- constant), then a week's probabilities for every corporate.  The bench's
-- churners slide to a tenth of their level and stay there: the bank
-- closes those whose slide ended 20 weeks after it began (their exits)
UPDATE bankcrm.party p SET status = 'closed', closed_on = '2023-11-20'::date + 7 * (b.ds + 20)
  FROM bench_party b WHERE b.party_id = p.party_id AND b.churn AND b.ds + 20 <= 155;
SELECT pg_temp.clock('8 churn_model_train, 100,000 corporates x 156 weeks (every 4th week)',
	$q$SELECT bankcrm.churn_model_train('bench', '2024-05-20', '2026-11-09', 26, 4, 1)$q$, 1);
SELECT name, version, rows, positives, round(train_auc::numeric, 3) AS train_auc, round(train_brier::numeric, 4) AS train_brier
  FROM bankcrm.churn_model;
SELECT pg_temp.clock('9 churn_score_week: one week''s probabilities for 100,000 corporates',
	'SELECT bankcrm.churn_score_week()');

WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms, count(*) AS runs FROM bench GROUP BY what),
     base AS (SELECT ms FROM m WHERE what LIKE '1 %')
SELECT m.what, m.runs, round(m.ms::numeric, 0) AS median_ms, round((m.ms / base.ms)::numeric, 2) AS x_seq_scan
  FROM m, base ORDER BY m.what;
SELECT round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '4 %')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '3 %')::numeric, 1)
       AS sql_windows_over_bankcrm,
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '6 %')::numeric / 2000, 2)
       AS monitor_over_2s_target,
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '3 %')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '1b %')::numeric, 2)
       AS evaluation_over_metric_scan,
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '9 %')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '6 %')::numeric, 2)
       AS scoring_over_monitor,
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '5 %')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '5p %')::numeric, 2)
       AS insert_over_plain_insert,
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '5 %')::numeric
           / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM bench WHERE what LIKE '5q %')::numeric, 2)
       AS insert_over_plain_insert_with_fk;
-- the appended weeks the monitor's batches left (folded at 4 to 12 weeks)
SELECT count(*) AS tail_rows, count(DISTINCT party_id) AS parties_with_tail,
       pg_size_pretty(pg_table_size('bankcrm_churn.churn_series_tail')) AS tail_size
  FROM bankcrm_churn.churn_series_tail;

-- ---------------------------------------------------------------------------
-- part 3: the insert path
\echo '== the insert path, 20,000 parties'
\c postgres
DROP DATABASE IF EXISTS bankcrm_churn_insert;
CREATE DATABASE bankcrm_churn_insert;
\c bankcrm_churn_insert
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION bankcrm;
-- the former statement trigger on INSERT, for comparison
CREATE FUNCTION public.old_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO bankcrm_churn.churn_series AS s (party_id, series)
	SELECT n.party_id, bankcrm.churn_series_agg(n.week, n.loan_volume, n.txn_volume, n.txn_count)
	  FROM new_rows n GROUP BY n.party_id
	ON CONFLICT (party_id) DO UPDATE SET series = bankcrm.churn_series_merge(s.series, EXCLUDED.series);
	INSERT INTO bankcrm_churn.churn_dirty (party_id) SELECT DISTINCT n.party_id FROM new_rows n ON CONFLICT (party_id) DO NOTHING;
	PERFORM bankcrm.churn_wake_monitor();
	RETURN NULL;
END $$;
CREATE TRIGGER old_insert AFTER INSERT ON bankcrm.activity_weekly REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION public.old_inserted();
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-BJ', 'Beijing', 'Beijing');
INSERT INTO bankcrm.party (party_id, kind, name, region_code, status)
SELECT i, 'corporate', 'Company ' || i, 'CN-BJ', 'active' FROM generate_series(1, 20000) i;
CREATE TABLE res (what text, trig text, run int, ms float8);
CREATE FUNCTION run(what text, trig text, sql text, r int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
	IF trig = 'row' THEN
		ALTER TABLE bankcrm.activity_weekly DISABLE TRIGGER old_insert;
		ALTER TABLE bankcrm.activity_weekly ENABLE TRIGGER churn_activity_row;
	ELSIF trig = 'statement' THEN
		ALTER TABLE bankcrm.activity_weekly ENABLE TRIGGER old_insert;
		ALTER TABLE bankcrm.activity_weekly DISABLE TRIGGER churn_activity_row;
	ELSE
		ALTER TABLE bankcrm.activity_weekly DISABLE TRIGGER old_insert;
		ALTER TABLE bankcrm.activity_weekly DISABLE TRIGGER churn_activity_row;
	END IF;
	-- the statement trigger of the row path has nothing to write when its row trigger is off
	t0 := clock_timestamp();
	EXECUTE sql;
	INSERT INTO res VALUES (what, trig, r, 1000 * extract(epoch FROM clock_timestamp() - t0));
END $$;
-- bulk: 52 weeks for 20,000 parties in one statement (1.04 M rows); new week: one row each for 20,000 parties
DO $$
DECLARE trig text;
BEGIN
	FOR r IN 1..3 LOOP
		FOREACH trig IN ARRAY ARRAY['none', 'statement', 'row'] LOOP
			TRUNCATE bankcrm.activity_weekly;
			PERFORM run('a bulk 52 weeks x 20,000 parties', trig,
				'INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
				 SELECT p, ''2024-01-01''::date + 7 * w, 1000 + p, 50000 + w, 10 FROM generate_series(1, 20000) p, generate_series(0, 51) w', r);
			COMMIT;
			PERFORM run('b one new week x 20,000 parties', trig,
				'INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count)
				 SELECT p, ''2024-12-30''::date, 1000 + p, 50000, 10 FROM generate_series(1, 20000) p', r);
			COMMIT;
			PERFORM run('c single-row inserts x 2,000', trig,
				'DO $d$ BEGIN FOR p IN 1..2000 LOOP INSERT INTO bankcrm.activity_weekly (party_id, week, loan_volume, txn_volume, txn_count) VALUES (p, ''2025-01-06'', 1, 2, 3); END LOOP; END $d$', r);
			COMMIT;
		END LOOP;
	END LOOP;
END $$;
WITH m AS (SELECT what, trig, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM res GROUP BY 1, 2)
SELECT what, round(n.ms::numeric, 0) AS no_trigger_ms, round(o.ms::numeric, 0) AS before_ms,
       round(r.ms::numeric, 0) AS now_ms, round((r.ms / o.ms)::numeric, 2) AS now_over_before
  FROM m n JOIN m o USING (what) JOIN m r USING (what)
 WHERE n.trig = 'none' AND o.trig = 'statement' AND r.trig = 'row' ORDER BY what;
\c postgres
DROP DATABASE bankcrm_churn_insert;
