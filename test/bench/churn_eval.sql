-- test/bench/churn_eval.sql: the churn early warning judged on the
-- independent generator (test/bench/churn_gen.py), loaded by
-- test/bench/churn_eval.sh into ev_act and ev_truth.
--
-- Definitions (doc/churn.md, "Quality figures"):
--   alerted week  some metric of the party has a severity in that week's
--                 point-in-time evaluation (churn_history: the figures of a
--                 week use that week and the weeks before it only)
--   raised        an alerted week that follows a week without an alert
--   exit week     the first week without activity (the generator's truth)
--   recall        churners whose exit lies in the data, alerted in a week
--                 before the exit
--   lead          weeks from that first alert to the exit
--   false alarms  stable corporates (not churners; dip and shrinking
--                 parties included) with an alert raised in a calendar
--                 quarter, over all stable corporates, for every full
--                 quarter from the 27th week on (the first year included)
--   naive         a week 30 % below the mean of the 13 weeks before it,
--                 in any metric
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET work_mem = '256MB';

CREATE TABLE IF NOT EXISTS ev_series AS
SELECT setting, party_id, bankcrm.churn_series_agg(week, loan, txn, cnt) AS s
  FROM ev_act GROUP BY 1, 2;

CREATE TABLE IF NOT EXISTS ev_span AS
SELECT setting, min(week) AS first_week, max(week) AS last_week FROM ev_act GROUP BY 1;

CREATE TABLE IF NOT EXISTS ev_naive AS
SELECT setting, party_id, week
  FROM (SELECT a.setting, a.party_id, a.week,
               count(*) OVER w AS n,
               a.loan < 0.7 * avg(a.loan) OVER w AS l,
               a.txn < 0.7 * avg(a.txn) OVER w AS t,
               a.cnt < 0.7 * avg(a.cnt) OVER w AS c
          FROM ev_act a
        WINDOW w AS (PARTITION BY a.setting, a.party_id ORDER BY a.week ROWS BETWEEN 13 PRECEDING AND 1 PRECEDING)) x
 WHERE n = 13 AND (l OR t OR c);

-- the alerted weeks of every party under a policy
CREATE OR REPLACE FUNCTION ev_alerts(pol bankcrm.churn_policy) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	DROP TABLE IF EXISTS ev_alert;
	CREATE TABLE ev_alert AS
	SELECT e.setting, e.party_id, f.week
	  FROM ev_series e, bankcrm.churn_calendar() cal,
	       LATERAL bankcrm.churn_history(e.s, pol, NULL, cal.days, cal.prev_days) f
	 WHERE f.severity IS NOT NULL
	 GROUP BY 1, 2, 3;
END
$$;

-- per setting: the quality figures of the alerted weeks in table tab
CREATE OR REPLACE FUNCTION ev_figures(tab text)
RETURNS TABLE (setting text, churners bigint, recall numeric, median_lead numeric, p10_lead numeric,
               stable bigint, mean_quarter_pct numeric, worst_quarter_pct numeric, first_year_worst_pct numeric,
               shrinking_alerted_pct numeric, dip_alerted_pct numeric)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format($q$
		WITH churner AS (
			SELECT t.setting, t.party_id, t.exit_week FROM ev_truth t
			 WHERE t.kind = 'churner' AND t.exit_week IS NOT NULL),
		first AS (
			SELECT c.setting, c.party_id, c.exit_week,
			       (SELECT min(a.week) FROM %1$I a
			         WHERE a.setting = c.setting AND a.party_id = c.party_id AND a.week < c.exit_week) AS week
			  FROM churner c),
		stable AS (
			SELECT t.setting, t.party_id, t.kind, t.trend FROM ev_truth t WHERE t.kind <> 'churner'),
		raised AS (
			SELECT a.setting, a.party_id, a.week FROM %1$I a
			  JOIN stable s USING (setting, party_id)
			 WHERE NOT EXISTS (SELECT 1 FROM %1$I b
			                    WHERE b.setting = a.setting AND b.party_id = a.party_id AND b.week = a.week - 7)),
		quarters AS (
			SELECT sp.setting, g::date AS q, g::date < sp.first_week + 365 AS first_year
			  FROM ev_span sp,
			       generate_series(date_trunc('quarter', sp.first_week + 26 * 7) + interval '3 months',
			                       date_trunc('quarter', sp.last_week) - interval '3 months', '3 months') g),
		per_quarter AS (
			SELECT q.setting, q.q, q.first_year,
			       100.0 * count(DISTINCT r.party_id)
			             / (SELECT count(*) FROM stable s WHERE s.setting = q.setting) AS pct
			  FROM quarters q
			  LEFT JOIN raised r ON r.setting = q.setting AND r.week >= q.q AND r.week < q.q + interval '3 months'
			 GROUP BY 1, 2, 3),
		ever AS (
			SELECT s.setting, s.kind, s.trend,
			       EXISTS (SELECT 1 FROM raised r WHERE r.setting = s.setting AND r.party_id = s.party_id) AS alerted
			  FROM stable s)
		SELECT st.setting,
		       (SELECT count(*) FROM first f WHERE f.setting = st.setting),
		       (SELECT round(100.0 * count(f.week) / nullif(count(*), 0), 1) FROM first f WHERE f.setting = st.setting),
		       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (f.exit_week - f.week) / 7)::numeric
		          FROM first f WHERE f.setting = st.setting AND f.week IS NOT NULL),
		       (SELECT percentile_cont(0.1) WITHIN GROUP (ORDER BY (f.exit_week - f.week) / 7)::numeric
		          FROM first f WHERE f.setting = st.setting AND f.week IS NOT NULL),
		       (SELECT count(*) FROM stable s WHERE s.setting = st.setting),
		       (SELECT round(avg(pq.pct), 2) FROM per_quarter pq WHERE pq.setting = st.setting),
		       (SELECT round(max(pq.pct), 2) FROM per_quarter pq WHERE pq.setting = st.setting),
		       (SELECT round(max(pq.pct), 2) FROM per_quarter pq WHERE pq.setting = st.setting AND pq.first_year),
		       (SELECT round(100.0 * avg(e.alerted::int), 1) FROM ever e
		         WHERE e.setting = st.setting AND e.kind = 'stable' AND e.trend < -0.04),
		       (SELECT round(100.0 * avg(e.alerted::int), 1) FROM ever e WHERE e.setting = st.setting AND e.kind = 'dip')
		  FROM (SELECT DISTINCT t.setting FROM ev_truth t) st
		 ORDER BY 1$q$, tab);
END
$$;
