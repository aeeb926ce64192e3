-- churn aggregates: GROUP BY, window use, parallel plans with combine
SET extra_float_digits = 0;
SET datestyle = ISO;

-- 200 parties x 40 weeks: 30 weeks at 100 + party, then parties divisible
-- by 10 fall by 5 % a week
CREATE TABLE churn_agg_t AS
SELECT p AS party, '2025-06-02'::date + 7 * w AS week,
       (100 + p) * CASE WHEN p % 10 = 0 AND w >= 30 THEN 1 - 0.05 * (w - 29) ELSE 1 END AS v
  FROM generate_series(1, 200) p, generate_series(0, 39) w;
ANALYZE churn_agg_t;

-- GROUP BY: one series per party
SELECT party, array_dims(s), s[2:2][1326:1327] AS txn_first_weeks
  FROM (SELECT party, bankcrm.churn_series_agg(week, NULL, v, NULL) AS s FROM churn_agg_t GROUP BY party) x
 WHERE party IN (1, 10) ORDER BY party;
-- churn_figures under the default policy: the last week of each series
SELECT (f).rule, (f).severity, count(*)
  FROM (SELECT party, bankcrm.churn_figures(week, v) AS f FROM churn_agg_t GROUP BY party) x
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT (f).week, (f).value, (f).history_weeks, round((f).trailing_mean::numeric, 2) AS l, round((f).cusum::numeric, 2) AS c,
       round((f).level_drop_pct::numeric, 2) AS drop, (f).rule, (f).severity, (f).first_alert_week
  FROM (SELECT bankcrm.churn_figures(week, v) AS f FROM churn_agg_t WHERE party = 10) x;
-- as a window function: the figures of every week, equal to churn_history
-- with the default policy and no calendar
SELECT week, (f).value, round((f).cusum::numeric, 2) AS c, (f).rule, (f).severity
  FROM (SELECT week, bankcrm.churn_figures(week, v) OVER (ORDER BY week) AS f FROM churn_agg_t WHERE party = 10) x
 WHERE week >= '2025-12-15' ORDER BY week;
SELECT count(*) AS differing
  FROM (SELECT week, bankcrm.churn_figures(week, v) OVER (ORDER BY week) AS f FROM churn_agg_t WHERE party = 10) w
  JOIN (SELECT f.* FROM (SELECT bankcrm.churn_series_agg(week, NULL, v, NULL) AS s FROM churn_agg_t WHERE party = 10) x,
               bankcrm.churn_history(x.s, NULL) f WHERE f.metric = 'txn_volume') h ON h.week = w.week
 WHERE (w.f).severity IS DISTINCT FROM h.severity OR (w.f).cusum IS DISTINCT FROM h.cusum
    OR (w.f).trailing_mean IS DISTINCT FROM h.trailing_mean;
-- a trailing frame: the figures of the last 13 weeks only
SELECT week, (f).history_weeks, round((f).trailing_mean::numeric, 2) AS l
  FROM (SELECT week, bankcrm.churn_figures(week, v) OVER (ORDER BY week ROWS BETWEEN 12 PRECEDING AND CURRENT ROW) AS f
          FROM churn_agg_t WHERE party = 1) x
 WHERE week = '2026-02-23';
-- empty input and NULLs
SELECT bankcrm.churn_figures(week, v) IS NULL AS empty FROM churn_agg_t WHERE false;
SELECT bankcrm.churn_series_agg(week, NULL, NULL, NULL) IS NULL AS empty FROM churn_agg_t WHERE false;
SELECT (bankcrm.churn_figures(w, v)).value FROM (VALUES ('2026-01-05'::date, NULL::float8), (NULL, 1), ('2026-01-05', 3)) x(w, v);
SELECT bankcrm.churn_figures(w, v) FROM (VALUES ('2026-01-06'::date, 1.0)) x(w, v);
SELECT bankcrm.churn_figures(w, v) FROM (VALUES ('2026-01-05'::date, -1.0)) x(w, v);

-- parallel plans: partial aggregates combined, serialised between processes
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT party % 7, bankcrm.churn_series_agg(week, round(v), round(v), NULL), bankcrm.churn_figures(week, round(v)) FROM churn_agg_t GROUP BY party % 7;
-- one group per party % 7 spans many parties' weeks: figures of the same
-- week add up (whole numbers, so any order of the partial states gives the
-- same sums)
CREATE TEMP TABLE parallel_series AS
SELECT party % 7 AS g, bankcrm.churn_series_agg(week, round(v), round(v), NULL) AS s, bankcrm.churn_figures(week, round(v)) AS f
  FROM churn_agg_t GROUP BY party % 7;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_hashagg;
SELECT count(*) AS differing
  FROM parallel_series p
  JOIN (SELECT party % 7 AS g, bankcrm.churn_series_agg(week, round(v), round(v), NULL) AS s, bankcrm.churn_figures(week, round(v)) AS f
          FROM churn_agg_t GROUP BY party % 7) q USING (g)
 WHERE p.s::text <> q.s::text OR p.f::text <> q.f::text;
SELECT g, array_dims(s), s[2:2][1326:1326] AS txn_first_week FROM parallel_series ORDER BY g;
DROP TABLE churn_agg_t;
