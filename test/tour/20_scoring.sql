-- test/tour/20_scoring.sql: the tour, part 2: customer value scoring
\pset footer off
\echo
\echo '== Customer value: who matters to the bank, and who will =='
\echo
\echo '1. Score every customer as of 2026-11-16 with the standard model (bankcrm.score_all)'
SELECT * FROM bankcrm.score_all(NULL, '2026-11-16');
\echo '   and what the run wrote, as the nightly job finds it in bankcrm.score_run_log'
SELECT model, as_of, parties, scores_inserted, history_inserted, affinity_rows,
       pg_catalog.round(((read_ms + store_ms) / 1000)::numeric, 1) AS seconds
  FROM bankcrm.score_run_log ORDER BY run_id DESC LIMIT 1;

\echo '2. The value pyramid: key, general and scattered customers, and the wealth pyramid of individuals (bankcrm.value_pyramid)'
SELECT pyramid, tier, parties, pg_catalog.to_char(aum, 'FM999,999,999,990') AS aum_cny,
       pg_catalog.to_char(contribution, 'FM999,999,990') AS contribution_cny, parties_pct, aum_pct, contribution_pct
  FROM bankcrm.value_pyramid;

\echo '3. The Pareto line: how few customers make 80 % (and 50 %) of the yearly contribution (bankcrm.pareto)'
SELECT target_share, customers, customers_total, customers_pct, pg_catalog.to_char(min_contribution, 'FM999,990') AS line_cny
  FROM bankcrm.pareto
UNION ALL
SELECT target_share, customers, customers_total, customers_pct, pg_catalog.to_char(min_contribution, 'FM999,990')
  FROM bankcrm.pareto(0.5);

\echo '4. Hidden gold: merchants turning over millions while keeping little with us, the largest first (bankcrm.hidden_gold)'
SELECT party_id, name, industry, pg_catalog.to_char(annual_turnover, 'FM999,999,990') AS turnover_cny,
       pg_catalog.to_char(aum, 'FM999,990') AS aum_cny, turnover_to_aum, value_tier, COALESCE(primary_rm, '(nobody)') AS primary_rm
  FROM bankcrm.hidden_gold ORDER BY annual_turnover DESC, party_id LIMIT 5;

\echo '5. Tomorrow''s customers: young prospects and scattered customers with the most potential'
SELECT ps.party_id, p.occupation, p.education, pg_catalog.date_part('year', pg_catalog.age(date '2026-11-16', p.birth_date)) AS age,
       ps.value_tier, ps.value_score, pg_catalog.round(ps.potential::numeric, 2) AS potential
  FROM bankcrm.party_score ps JOIN bankcrm.party p USING (party_id)
 WHERE ps.model = 'standard' AND ps.value_tier = 'scattered' AND p.kind = 'individual'
 ORDER BY ps.potential DESC, ps.value_score DESC, ps.party_id LIMIT 5;

\echo '6. Cross-sell: what to offer the best-scored general individual, and why (bankcrm.recommend_products)'
SELECT r.rank, r.code, r.name, r.lift, r.support, r.confidence, COALESCE(r.because, '(popular in the tier)') AS because
  FROM (SELECT ps.party_id FROM bankcrm.party_score ps JOIN bankcrm.party p USING (party_id)
         WHERE ps.model = 'standard' AND ps.value_tier = 'general' AND p.kind = 'individual'
         ORDER BY ps.value_score DESC, ps.party_id LIMIT 1) best
 CROSS JOIN LATERAL bankcrm.recommend_products(best.party_id, 3) r;
