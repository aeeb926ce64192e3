-- score_history: score_history over time, on the bank of score_bank.sql
-- and score_contract.sql (which run just before): pruning what growth no
-- longer reads, recording moves beyond the model's tolerances.
SET search_path = bankcrm, public;
SET extra_float_digits = 0;

-- history growth no longer reads can be pruned: 李娜's row of 2026-11-16 is
-- older than her latest row at least 365 days before 2027-12-20, and growth
-- from that day on is the same without it
CREATE TEMP TABLE before_prune AS SELECT party_id, growth FROM score_preview(NULL, '2027-12-20');
SELECT score_history_prune(NULL, '2027-12-15');
SELECT score_history_prune(NULL, '2027-12-20');
SELECT party_id, scored_on FROM score_history WHERE party_id IN (2, 5) ORDER BY party_id, scored_on;
SELECT count(*) AS parties, count(*) FILTER (WHERE b.growth IS DISTINCT FROM a.growth) AS growth_changed
  FROM before_prune b JOIN score_preview(NULL, '2027-12-20') a USING (party_id);
SELECT score_history_prune('no_such_model', '2027-12-20');
SELECT score_history_prune(NULL, NULL);
SELECT score_history_prune(NULL, 'infinity');

-- history records moves beyond the model's tolerances (1 % of an amount, 4
-- points of value score, any tier or quintile), measured from the last
-- recorded row, so that a drift is recorded once it adds up; with tolerances
-- of 0 every change is recorded.  王小明's fees of 3 190 are annualised over
-- 319 days on 2026-11-16, 320 days the next day: 3 650.00 becomes 3 638.59
-- and his contribution 5 225.00 becomes 5 213.59 (0.2 %), but his recency
-- and frequency quintiles move too, so 2026-11-17 is recorded under both
-- models; on 2026-11-18 only his contribution (0.2 % again) and his score
-- (one point) move: recorded with tolerances of 0 only; by 2026-12-16 his
-- contribution has fallen 6 % from the last recorded row
INSERT INTO score_model (model, description, ftp, pd, channel_cost, value_weights, value_scales, potential, key_min,
	general_min, retention, history_tolerance, history_score_tolerance)
SELECT m.model, 'standard, history ' || m.model, ftp, pd, channel_cost, value_weights, value_scales, potential,
       key_min, general_min, retention, m.tol, m.points
  FROM score_model, (VALUES ('drift', 0.01, 4), ('drift_exact', 0, 0)) m (model, tol, points)
 WHERE score_model.model = 'standard';
SELECT d, m, (SELECT parties FROM score_all(m, d, false))
  FROM (VALUES ('2026-11-16'::date), ('2026-11-17'), ('2026-11-18'), ('2026-12-16')) days (d),
       (VALUES ('drift'), ('drift_exact')) models (m)
 ORDER BY d, m;
SELECT model, scored_on, array_agg(party_id ORDER BY party_id) AS parties
  FROM score_history WHERE model LIKE 'drift%' GROUP BY model, scored_on ORDER BY model, scored_on;
SELECT model, scored_on, contribution, value_score, value_tier, wealth_tier, rfm_r, rfm_f, rfm_m, clv, aum FROM score_history
 WHERE model LIKE 'drift%' AND party_id = 1 ORDER BY model, scored_on;
-- party_score holds the exact scores of the last run under both, each row
-- since the day it last changed: 陈静, a prospect with nothing yet, has kept
-- her row of 2026-11-16
SELECT party_id, scored_on, last_active_on, value_score, contribution FROM party_score WHERE model = 'drift'
 ORDER BY party_id;
SELECT count(*) AS parties,
       count(*) FILTER (WHERE (a.contribution, a.value_score, a.clv, a.scored_on) IS DISTINCT FROM
                              (b.contribution, b.value_score, b.clv, b.scored_on)) AS differing
  FROM party_score a JOIN party_score b USING (party_id)
 WHERE a.model = 'drift' AND b.model = 'drift_exact';
-- every committed run is logged: the model and its version, the day, who ran
-- it, what it wrote (on 2026-11-16 every row is new; later days update only
-- the rows whose scores changed) and how long each part took
SELECT model, model_version, as_of, run_by = current_user AS by_me, parties, scores_updated, scores_inserted,
       scores_deleted, history_inserted, history_updated, affinity_rows,
       finished_at >= started_at AND read_ms >= 0 AND store_ms >= 0 AS timed
  FROM score_run_log WHERE model LIKE 'drift%' ORDER BY run_id;
-- the last run of each model (doc/scoring.md's query)
SELECT model, as_of, parties, seconds >= 0 AS timed
  FROM (SELECT DISTINCT ON (model) model, as_of, finished_at, parties,
               round((read_ms + store_ms) / 1000) AS seconds, as_of = current_date AS today
          FROM bankcrm.score_run_log ORDER BY model, run_id DESC) last;
\set VERBOSITY terse
UPDATE score_model SET history_tolerance = 1 WHERE model = 'drift';
UPDATE score_model SET history_score_tolerance = -1 WHERE model = 'drift';
UPDATE score_model SET history_tolerance = 'NaN' WHERE model = 'drift';
\set VERBOSITY default
DELETE FROM party_score WHERE model LIKE 'drift%';
DELETE FROM score_history WHERE model LIKE 'drift%';
DELETE FROM score_model WHERE model LIKE 'drift%';

-- the party array grows when the table holds more parties than its
-- statistics say (here none): 5 000 more parties are all scored
BEGIN;
INSERT INTO party (party_id, kind, name, region_code, status, onboarded_on)
SELECT 100000 + i, 'individual', 'P' || i, (SELECT region_code FROM party WHERE party_id = 1), 'active', '2020-01-01'
  FROM generate_series(1, 5000) i;
UPDATE pg_class SET reltuples = 0 WHERE oid = 'bankcrm.party'::regclass;
SELECT count(*) AS scored, count(*) FILTER (WHERE party_id > 100000) AS new_parties FROM score_preview(NULL, '2026-11-16');
ROLLBACK;
