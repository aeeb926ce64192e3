-- test/tour/35_clusters.sql: the tour, part 3b: behavioural clusters, households and groups
\pset footer off
\set features 'ARRAY[''COALESCE(age, 0)'', ''COALESCE(tenure_years, 0)'', ''ln(1 + aum)'', ''ln(1 + loans)'', ''products_held'', ''COALESCE(days_since_last_contact, 3650)'']'
\echo
\echo '== Behavioural clusters =='
\echo
\echo '1. How many groups do the customers fall into? Inertia falls as k grows; the silhouette'
\echo '   is higher for better separated groups (each k a full k-means fit, nothing stored)'
SELECT k, round(inertia::numeric) AS inertia, round(silhouette::numeric, 3) AS silhouette
  FROM bankcrm.cluster_choose_k(:features, ARRAY[3, 4, 5, 6], seed => 42, max_passes => 5);

\echo '2. Five clusters by age, tenure, assets, loans, products and contact recency,'
\echo '   fitted in the database (k-means++ seeding, mini-batches, full passes in C)'
SELECT cluster, size, (SELECT array_agg(round(c::numeric, 1)) FROM unnest(center) c) AS center
  FROM bankcrm.cluster_fit('tour behaviour', :features, 5, seed => 42, max_passes => 10);
SELECT points, passes, converged, round(inertia::numeric) AS inertia, round(silhouette::numeric, 3) AS silhouette
  FROM bankcrm.cluster_model WHERE name = 'tour behaviour';

\echo '3. Each cluster becomes a segment of kind cluster, ready for campaigns'
SELECT cluster, segment_id, joined, total FROM bankcrm.cluster_assign('tour behaviour');

\echo '4. What the clusters look like: feature means, the products most members hold, value tiers'
SELECT cluster, members, feature_means, top_products, value_tiers
  FROM bankcrm.cluster_profiles WHERE model = 'tour behaviour' ORDER BY cluster;

\echo
\echo '== Households and corporate groups =='
\echo
\echo '5. The largest households and groups, summed over their members'
SELECT group_id, kind, members, pg_catalog.to_char(aum, 'FM999,999,999,990') AS aum_cny,
       pg_catalog.to_char(loans, 'FM999,999,999,990') AS loans_cny, value_score, primary_rm, products
  FROM bankcrm.relationship_group_rollup
 ORDER BY aum DESC, group_id LIMIT 5;
SELECT kind, pg_catalog.count(*) AS groups, pg_catalog.sum(members) AS parties, pg_catalog.max(members) AS largest
  FROM bankcrm.relationship_group_rollup GROUP BY kind ORDER BY kind;

\echo '6. Guarantors standing behind the most loans, directly or through chains'
SELECT guarantor_id, direct_parties, parties, longest_chain,
       pg_catalog.to_char(exposure, 'FM999,999,999,990') AS exposure_cny
  FROM bankcrm.guarantor_exposure ORDER BY exposure DESC, guarantor_id LIMIT 5;
