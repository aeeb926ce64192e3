-- test/citus/35_clusters.sql: k-means clusters over the ci bank; the fit's
-- standardisation, sample and passes read the shards, kmeans_pass merges
-- the shards' sums, the cluster segments are refreshed like any segment.
-- Figures are rounded: sums of doubles added in another order may differ
-- in the last bits.
SET search_path = bankcrm, public;
\pset footer off
\set features 'ARRAY[''COALESCE(age, 0)'', ''COALESCE(tenure_years, 0)'', ''ln(1 + aum)'', ''ln(1 + loans)'', ''products_held'', ''COALESCE(days_since_last_contact, 3650)'']'

\echo '### kmeans_pass'
SELECT kmeans_sizes(s), kmeans_points(s), round(kmeans_inertia(s)::numeric, 2)
  FROM (SELECT kmeans_pass('{{0,0},{10,2},{14,4}}', ARRAY[ln(1 + aum)::float8, products_held::float8]) AS s
          FROM party_features) p;

\echo '### cluster_fit'
SELECT cluster, size, (SELECT array_agg(round(c::numeric, 3)) FROM unnest(center) c) AS center
  FROM cluster_fit('cap: behaviour', :features, 4, seed => 42) ORDER BY cluster;

\echo '### cluster_model'
SELECT name, k, points, passes, converged, round(inertia::numeric, 2) AS inertia,
       round(silhouette::numeric, 4) AS silhouette, silhouette_sample,
       (SELECT array_agg(round(m::numeric, 4)) FROM unnest(means) m) AS means
  FROM cluster_model WHERE name = 'cap: behaviour';

\echo '### cluster_assign'
SELECT cluster, joined, "left", total FROM cluster_assign('cap: behaviour') ORDER BY cluster;

\echo '### cluster_members'
SELECT s.name, count(*), md5(string_agg(m.party_id::text, ',' ORDER BY m.party_id))
  FROM segment_member m JOIN segment s USING (segment_id)
 WHERE s.kind = 'cluster' AND s.params ->> 'cluster_model' = 'cap: behaviour'
 GROUP BY s.name ORDER BY s.name;

\echo '### cluster_profiles'
SELECT cluster, fitted_size, members, top_products, value_tiers
  FROM cluster_profiles WHERE model = 'cap: behaviour' ORDER BY cluster;

\echo '### cluster_overlap_refresh'
SELECT o.* FROM segment_overlap((SELECT segment_id FROM segment WHERE name = 'cap: behaviour: cluster 1'),
                                (SELECT segment_id FROM segment WHERE name = 'cap: behaviour: cluster 2')) o;
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: behaviour: cluster 3';

\echo '### cluster_choose_k'
SELECT k, round(inertia::numeric, 2) AS inertia, round(silhouette::numeric, 4) AS silhouette, passes
  FROM cluster_choose_k(:features, ARRAY[2, 3], seed => 7, max_passes => 5);

\echo '### cluster_errors'
SELECT * FROM cluster_fit('cap: bad', ARRAY['aum >= 1'], 2);
SELECT * FROM cluster_fit('cap: bad', :features, 1);
SELECT * FROM cluster_assign('cap: nosuch');

\echo '### cluster_cleanup'
DELETE FROM segment WHERE kind = 'cluster' AND params ->> 'cluster_model' = 'cap: behaviour';
DELETE FROM cluster_model WHERE name = 'cap: behaviour';
SELECT count(*) FROM cluster_centroid;
