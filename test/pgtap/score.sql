-- test/pgtap/score.sql: value scoring on the ci bank (test/data), against the
-- generator's ground truth
--
-- Scores the loaded bank as of its data day, 2026-11-16, inside the test
-- transaction, then checks the contract other modules rely on (tables,
-- columns, functions, views, policies, privileges), what the scores must
-- look like, and that hidden_gold finds the merchants the generator planted.
BEGIN;
SELECT plan(50);

SET LOCAL search_path = bankcrm, public;

-- the contract
SELECT has_table('bankcrm', 'score_model', 'score_model exists');
SELECT has_table('bankcrm', 'party_score', 'party_score exists');
SELECT has_table('bankcrm', 'score_history', 'score_history exists');
SELECT has_table('bankcrm', 'product_affinity', 'product_affinity exists');
SELECT has_table('bankcrm', 'score_run_log', 'score_run_log exists');
SELECT ok((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'bankcrm.party_score'::regclass AND attnum > 0 AND NOT attisdropped)
          @> ARRAY['party_id', 'model', 'contribution', 'value_score', 'value_tier', 'wealth_tier', 'rfm_r', 'rfm_f',
                   'rfm_m', 'clv', 'aum', 'computed_at'],
          'party_score has every column of the contract');
SELECT col_is_pk('bankcrm', 'party_score', ARRAY['party_id', 'model'], 'party_score is keyed by party and model');
SELECT col_is_pk('bankcrm', 'score_history', ARRAY['party_id', 'model', 'scored_on'], 'score_history: one row per party, model and day');
-- history grows by a day's changes each run: only a block range index beside
-- the key, since a B-tree whose key is the same for a whole day costs as much
-- to keep up as the rows themselves
SELECT indexes_are('bankcrm', 'score_history', ARRAY['score_history_pkey', 'score_history_day_idx'],
                   'score_history has its key and one index by day');
SELECT index_is_type('bankcrm', 'score_history', 'score_history_day_idx', 'brin', 'the index by day is a BRIN index');
-- every index of party_score costs each write of a run; a tier selects too
-- large a share of the parties for an index to serve it
SELECT indexes_are('bankcrm', 'party_score', ARRAY['party_score_pkey'], 'party_score has its key and no other index');
SELECT is((SELECT (history_tolerance, history_score_tolerance) FROM score_model WHERE model = 'standard'),
          (0.01::float8, 4), 'history records moves beyond 1 % of an amount or 4 points of score');
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'bankcrm.party_score'::regclass), ARRAY['fillfactor=50'],
          'party_score keeps half of each page free for the daily updates');
SELECT has_trigger('bankcrm', 'score_model', 'score_model_scores_rename', 'a renamed model renames its scores (party_score has no foreign key)');
SELECT is((SELECT array_agg(model) FROM score_model WHERE is_default), ARRAY['standard'], 'standard is the one default model');
SELECT has_function('bankcrm', 'contribution', 'contribution() exists');
SELECT has_function('bankcrm', 'value_score', 'value_score() exists');
SELECT has_function('bankcrm', 'clv', ARRAY['double precision', 'double precision', 'double precision', 'integer'], 'clv(margin, retention, discount, years) exists');
SELECT has_function('bankcrm', 'rfm_score', ARRAY['integer', 'integer', 'integer'], 'rfm_score(r, f, m) exists');
SELECT has_function('bankcrm', 'score_all', ARRAY['text', 'date', 'boolean'], 'score_all(model, as_of, refresh_affinity) exists');
SELECT is((SELECT count(*)::int FROM pg_proc
            WHERE pronamespace = 'bankcrm'::regnamespace
              AND proname IN ('contribution', 'value_score', 'potential', 'clv', 'value_tier', 'wealth_tier', 'rfm_score', 'rfm_segment')
              AND provolatile = 'i' AND proparallel = 's'),
          8, 'the scoring functions are IMMUTABLE and PARALLEL SAFE');
SELECT has_view('bankcrm', 'value_pyramid', 'value_pyramid exists');
SELECT has_view('bankcrm', 'pareto', 'pareto exists');
SELECT has_view('bankcrm', 'hidden_gold', 'hidden_gold exists');
SELECT policies_are('bankcrm', 'party_score', ARRAY['party_score_all', 'party_score_covered'], 'party_score has the party-scoped policies');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'bankcrm.party_score'::regclass), 'party_score has row-level security');
SELECT ok(NOT has_table_privilege('bankcrm_analyst', 'bankcrm.party_score', 'SELECT')
      AND NOT has_table_privilege('bankcrm_analyst', 'bankcrm.hidden_gold', 'SELECT')
      AND has_table_privilege('bankcrm_analyst', 'bankcrm.hidden_gold_masked', 'SELECT')
      AND has_table_privilege('bankcrm_analyst', 'bankcrm.value_pyramid', 'SELECT')
      AND has_table_privilege('bankcrm_analyst', 'bankcrm.pareto', 'SELECT'),
          'analysts read the aggregates and masked hidden gold, never party_score or names');
SELECT ok(has_function_privilege('bankcrm_app', 'bankcrm.score_all(text, date, boolean)', 'EXECUTE')
      AND NOT has_function_privilege('bankcrm_rm', 'bankcrm.score_all(text, date, boolean)', 'EXECUTE'),
          'the application may rescore, a relationship manager may not');

-- scoring the ci bank
SELECT is((SELECT parties FROM score_all('standard', '2026-11-16')),
          (SELECT count(*) FROM party WHERE status <> 'closed'),
          'score_all scores every party that is not closed');
SELECT is((SELECT count(*) FROM party_score ps JOIN party p USING (party_id) WHERE p.status = 'closed'), 0::bigint,
          'closed parties have no score');
SELECT ok((SELECT bool_and(value_score BETWEEN 0 AND 1000 AND rfm_r BETWEEN 1 AND 5 AND rfm_f BETWEEN 1 AND 5
                           AND rfm_m BETWEEN 1 AND 5 AND value_tier IS NOT NULL AND contribution IS NOT NULL)
             FROM party_score),
          'every score is complete and in range');
SELECT ok((SELECT bool_and((wealth_tier IS NOT NULL) = (p.kind = 'individual'))
             FROM party_score ps JOIN party p USING (party_id)),
          'individuals, and only they, are on the wealth pyramid');
SELECT ok((SELECT count(DISTINCT rfm_m) = 5 AND count(DISTINCT rfm_r) >= 3 FROM party_score),
          'RFM quintiles spread over the population');
SELECT ok((SELECT min(n) > 0 FROM (SELECT count(*) AS n FROM party_score GROUP BY value_tier) t)
      AND (SELECT count(*) FILTER (WHERE value_tier = 'key') < count(*) FILTER (WHERE value_tier = 'scattered') FROM party_score),
          'the value pyramid has all three tiers, key customers fewest');
SELECT ok((SELECT avg(value_score) FILTER (WHERE value_tier = 'key') > avg(value_score) FILTER (WHERE value_tier = 'general')
              AND avg(value_score) FILTER (WHERE value_tier = 'general') > avg(value_score) FILTER (WHERE value_tier = 'scattered')
             FROM party_score),
          'value scores rise with the value tier');
SELECT ok((SELECT avg(potential) FILTER (WHERE p.occupation = 'student') > avg(potential) FILTER (WHERE p.occupation = 'retired')
             FROM party_score ps JOIN party p USING (party_id)),
          'students have more potential than the retired');
SELECT ok((SELECT customers_pct BETWEEN 5 AND 35 FROM pareto), 'the Pareto line: a minority of customers makes 80 % of the contribution');
SELECT ok((SELECT sum(parties_pct) BETWEEN 99.9 AND 100.1 FROM value_pyramid WHERE pyramid = 'value'), 'the value pyramid covers everyone');

-- hidden gold against the ground truth
SELECT ok((SELECT count(*) FROM hidden_gold h JOIN bankcrm_truth.hidden_gold t USING (party_id))
          >= 0.95 * (SELECT count(*) FROM bankcrm_truth.hidden_gold),
          'hidden_gold finds at least 95 % of the planted merchants');
SELECT ok((SELECT count(*) FROM hidden_gold h JOIN bankcrm_truth.hidden_gold t USING (party_id))
          >= 0.90 * (SELECT count(*) FROM hidden_gold),
          'at least 90 % of what hidden_gold lists was planted');
SELECT ok((SELECT count(*) > 50 FROM bankcrm_truth.hidden_gold), 'the truth has enough merchants to judge');

-- reproducible: the same data and model give the same scores
CREATE TEMP TABLE first_scores ON COMMIT DROP AS SELECT * FROM party_score;
SELECT is((SELECT parties FROM score_all(NULL, '2026-11-16', false)), (SELECT count(*) FROM first_scores),
          'a second run scores the same parties');
SELECT is((SELECT count(*) FROM first_scores f JOIN party_score p USING (party_id, model)
            WHERE (f.contribution, f.value_score, f.value_tier, f.wealth_tier, f.rfm_r, f.rfm_f, f.rfm_m, f.clv)
                  IS DISTINCT FROM (p.contribution, p.value_score, p.value_tier, p.wealth_tier, p.rfm_r, p.rfm_f, p.rfm_m, p.clv)),
          0::bigint, 'and gives identical scores');
SELECT is((SELECT count(*) FROM score_history WHERE scored_on = '2026-11-16'), (SELECT count(*) FROM first_scores),
          'history keeps one row per party for the day');
SELECT results_eq($$SELECT as_of, parties, scores_inserted, scores_updated, history_inserted, affinity_rows IS NULL
                      FROM score_run_log ORDER BY run_id$$,
                  $$VALUES ('2026-11-16'::date, (SELECT count(*) FROM first_scores), (SELECT count(*) FROM first_scores), 0::bigint,
                            (SELECT count(*) FROM first_scores), false),
                           ('2026-11-16'::date, (SELECT count(*) FROM first_scores), 0::bigint, 0::bigint, 0::bigint, true)$$,
                  'score_run_log has a row per run: the first inserts every score, the rescore of unchanged data writes nothing');

-- the engine agrees with the same scoring written in SQL (test/reference)
\set QUIET on
\ir ../reference/score_preview.sql
\ir ../reference/product_affinity.sql
\set QUIET off
SELECT is((SELECT money_differing + scores_differing + ratios_differing
             FROM score_reference.differences(NULL, '2026-11-16')),
          0::bigint, 'every score equals the SQL reference (money to the cent)');

-- cross-sell
SELECT ok((SELECT count(*) > 0 FROM product_affinity WHERE model = 'standard'), 'score_all refreshed product_affinity');
SELECT is((SELECT count(*) FROM (
             SELECT kind, value_tier, antecedent_id, product_id, group_parties, antecedent_parties, product_parties,
                    pair_parties, support, confidence, lift
               FROM product_affinity WHERE model = 'standard'
             EXCEPT ALL
             SELECT * FROM score_reference.product_affinity_sql('standard', '2026-11-16')) d)
          + (SELECT count(*) FROM (
             SELECT * FROM score_reference.product_affinity_sql('standard', '2026-11-16')
             EXCEPT ALL
             SELECT kind, value_tier, antecedent_id, product_id, group_parties, antecedent_parties, product_parties,
                    pair_parties, support, confidence, lift
               FROM product_affinity WHERE model = 'standard') d),
          0::bigint, 'the affinity rules equal the SQL reference, row for row');
SELECT is((SELECT count(*) FROM (
             SELECT ps.party_id FROM party_score ps JOIN party p USING (party_id)
              WHERE p.kind = 'individual' AND ps.value_tier = 'general' ORDER BY ps.party_id LIMIT 50) s
             CROSS JOIN LATERAL recommend_products(s.party_id, 3) r
             JOIN holding h ON h.party_id = s.party_id AND h.product_id = r.product_id AND h.closed_on IS NULL),
          0::bigint, 'recommendations never offer a product the party holds');
SELECT ok((SELECT count(*) FROM recommend_products_batch(
             ARRAY(SELECT ps.party_id FROM party_score ps JOIN party p USING (party_id)
                    WHERE p.kind = 'individual' AND ps.value_tier = 'key' ORDER BY ps.party_id LIMIT 20), 2)) > 0,
          'key individuals get recommendations');

SELECT * FROM finish();
ROLLBACK;
