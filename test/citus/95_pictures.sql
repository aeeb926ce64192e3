-- test/citus/95_pictures.sql: the charts (doc/pictures.md) draw the same on
-- one node and on Citus, read through the views the earlier scripts checked.
-- Runs after 20_scoring (scores) and 40_campaigns (its campaign).  The
-- charts are called with constants: on Citus a chart called once per row of
-- a distributed table would run on a shard, where it cannot query the
-- cluster (doc/pictures.md).
SET search_path = bankcrm, public;
\pset footer off
\pset format unaligned
\pset tuples_only on

\echo '### svg_value_pyramid'
SELECT svg_value_pyramid('value');

\echo '### svg_wealth_pyramid'
SELECT svg_value_pyramid('wealth');

\echo '### svg_pareto'
SELECT svg_pareto();

\pset tuples_only off
SELECT campaign_id AS cap_campaign FROM campaign WHERE name = 'cap: money market' \gset
SELECT ps.party_id AS top_party
  FROM party_score ps JOIN score_model m ON m.model = ps.model AND m.is_default
 ORDER BY ps.value_score DESC, ps.party_id LIMIT 1 \gset
\pset tuples_only on

\echo '### svg_funnel'
SELECT svg_funnel(:cap_campaign);

\echo '### svg_churn_dashboard'
SELECT svg_churn_dashboard(20);

\echo '### svg_party_slide'
SELECT svg_party_slide(:top_party);

\echo '### text_bars'
SELECT tier, bar(parties, max(parties) OVER (), 40) FROM value_pyramid ORDER BY pyramid, tier;
