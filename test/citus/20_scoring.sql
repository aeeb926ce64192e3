-- test/citus/20_scoring.sql: value scoring and what reads it
SET search_path = bankcrm, public;
\pset footer off

\echo '### score_preview'
SELECT count(*), sum(value_score), md5(string_agg(party_id || ':' || value_score || ':' || value_tier, ',' ORDER BY party_id))
  FROM score_preview(NULL, '2026-11-16');

\echo '### score_all'
SELECT * FROM score_all(NULL, '2026-11-16');

\echo '### party_score'
SELECT model, count(*), md5(string_agg(ps::text, ',' ORDER BY party_id))
  FROM (SELECT party_id, model, value_score, value_tier, contribution, clv, rfm_r, rfm_f, rfm_m
          FROM party_score) ps
 GROUP BY model ORDER BY model;

\echo '### score_history'
SELECT model, scored_on, count(*) FROM score_history GROUP BY 1, 2 ORDER BY 1, 2;

\echo '### score_all_same_day'
SELECT * FROM score_all(NULL, '2026-11-16');

\echo '### value_pyramid'
SELECT * FROM value_pyramid;

\echo '### pareto'
SELECT * FROM pareto;

\echo '### pareto_half'
SELECT * FROM pareto(0.5);

\echo '### hidden_gold'
SELECT party_id, industry, annual_turnover, aum, value_tier, primary_rm
  FROM hidden_gold ORDER BY annual_turnover DESC, party_id LIMIT 10;

\echo '### hidden_gold_masked'
SELECT party_id, name_masked, industry, annual_turnover, aum, value_tier, has_rm
  FROM hidden_gold_masked ORDER BY annual_turnover DESC, party_id LIMIT 10;

\echo '### party_features_scores'
SELECT value_tier, wealth_tier, count(*), sum(value_score), sum(contribution)
  FROM party_features GROUP BY 1, 2 ORDER BY 1, 2;

\echo '### recommend_products'
SELECT r.* FROM (SELECT party_id FROM party_score WHERE model = 'standard' AND value_tier = 'general'
                  ORDER BY value_score DESC, party_id LIMIT 3) best
 CROSS JOIN LATERAL recommend_products(best.party_id, 3) r;

\echo '### recommend_products_batch'
SELECT * FROM recommend_products_batch(ARRAY(SELECT party_id FROM party ORDER BY party_id LIMIT 5), 2)
 ORDER BY 1, 2;

\echo '### recommend_products_batch_tier'
SELECT count(*), md5(string_agg(r.party_id || ':' || r.rank || ':' || r.code, ',' ORDER BY r.party_id, r.rank))
  FROM recommend_products_batch((SELECT array_agg(party_id) FROM party_score WHERE model = 'standard' AND value_tier = 'key'), 2) r;

\echo '### recommend_products_lateral'
SELECT count(*), md5(string_agg(p.party_id || ':' || r.rank || ':' || r.code, ',' ORDER BY p.party_id, r.rank))
  FROM (SELECT party_id FROM party ORDER BY party_id LIMIT 200) p
 CROSS JOIN LATERAL recommend_products(p.party_id, 2) r;

\echo '### party_deleted_takes_its_scores'
-- a scored party with no contact, lead or call (those keep a party)
SELECT ps.party_id AS gone_party FROM party_score ps
 WHERE NOT EXISTS (SELECT 1 FROM contact c WHERE c.party_id = ps.party_id)
   AND NOT EXISTS (SELECT 1 FROM lead l WHERE l.party_id = ps.party_id)
   AND NOT EXISTS (SELECT 1 FROM call_attempt a WHERE a.party_id = ps.party_id)
 ORDER BY ps.party_id LIMIT 1 \gset
SELECT count(*) AS scores_before FROM party_score WHERE party_id = :gone_party;
DELETE FROM party WHERE party_id = :gone_party;
SELECT (SELECT count(*) FROM party_score WHERE party_id = :gone_party) AS scores,
       (SELECT count(*) FROM score_history WHERE party_id = :gone_party) AS history,
       (SELECT count(*) FROM holding WHERE party_id = :gone_party) AS holdings;

\echo '### score_model_rename'
-- the trigger on score_model renames the scores on every node's shards
UPDATE score_model SET model = 'renamed' WHERE model = 'standard';
SELECT model, count(*) FROM party_score GROUP BY 1 ORDER BY 1;
SELECT model, count(*) FROM score_history GROUP BY 1 ORDER BY 1;

\echo '### score_model_delete_with_scores'
DELETE FROM score_model WHERE model = 'renamed';
UPDATE score_model SET model = 'standard' WHERE model = 'renamed';
SELECT model, count(*) FROM party_score GROUP BY 1 ORDER BY 1;
