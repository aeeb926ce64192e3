-- test/pgtap/cluster.sql: behavioural clusters and relationship groups on the
-- ci-size synthetic bank: schema contract, properties of a fit and of its
-- segments, properties of the groups, errors and privileges
BEGIN;
SELECT plan(30);

-- the contract BI tools rely on
SELECT has_table('bankcrm', 'cluster_model', 'cluster_model exists');
SELECT col_is_pk('bankcrm', 'cluster_centroid', ARRAY['model', 'cluster'], 'one centroid row per model and cluster');
SELECT columns_are('bankcrm', 'cluster_profiles',
	ARRAY['model', 'cluster', 'segment_id', 'fitted_size', 'members', 'feature_means', 'top_products', 'value_tiers'],
	'cluster_profiles columns');
SELECT col_is_pk('bankcrm', 'relationship_group', 'party_id', 'one group row per party');
SELECT columns_are('bankcrm', 'relationship_group_rollup',
	ARRAY['group_id', 'kind', 'members', 'aum', 'loans', 'contribution', 'clv', 'value_score', 'top_value_score',
	      'lead_party_id', 'primary_rm', 'products', 'value_tier', 'wealth_tier', 'wallet_assets', 'wallet_share'],
	'relationship_group_rollup columns');
SELECT columns_are('bankcrm', 'guarantor_chain',
	ARRAY['guarantor_id', 'party_id', 'depth', 'path', 'status', 'loans'], 'guarantor_chain columns');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'bankcrm.kmeans_pass(double precision[], double precision[])'::regprocedure),
          's', 'kmeans_pass is parallel safe');
SELECT isnt((SELECT aggcombinefn FROM pg_aggregate
              WHERE aggfnoid = 'bankcrm.kmeans_pass(double precision[], double precision[])'::regprocedure),
            0::regproc, 'kmeans_pass has a combine function');

-- a fit on the ci bank
\set features 'ARRAY[''COALESCE(age, 0)'', ''COALESCE(tenure_years, 0)'', ''ln(1 + aum)'', ''ln(1 + loans)'', ''products_held'', ''COALESCE(days_since_last_contact, 3650)'']'
SELECT lives_ok(format('SELECT * FROM bankcrm.cluster_fit(%L, %L::text[], 4, seed => 11, max_passes => 8)',
                       'tap', :features), 'a fit of 4 clusters on the ci bank');
CREATE TEMP TABLE tap_first AS SELECT centroids, inertia FROM bankcrm.cluster_model WHERE name = 'tap';
SELECT is((SELECT points FROM bankcrm.cluster_model WHERE name = 'tap'),
          (SELECT count(*) FROM bankcrm.party_features),
          'every party has the six features (COALESCE for the missing)');
SELECT is((SELECT sum(size)::bigint FROM bankcrm.cluster_centroid WHERE model = 'tap'),
          (SELECT points FROM bankcrm.cluster_model WHERE name = 'tap'), 'the cluster sizes add up to the points');
SELECT ok((SELECT bool_and(size > 0) FROM bankcrm.cluster_centroid WHERE model = 'tap'), 'no cluster is empty');
SELECT ok((SELECT silhouette BETWEEN -1 AND 1 AND inertia > 0 FROM bankcrm.cluster_model WHERE name = 'tap'),
          'silhouette within -1 and 1, inertia positive');
SELECT lives_ok(format('SELECT * FROM bankcrm.cluster_fit(%L, %L::text[], 4, seed => 11, max_passes => 8)',
                       'tap', :features), 'the same fit again');
SELECT ok((SELECT m.centroids = f.centroids AND m.inertia = f.inertia FROM bankcrm.cluster_model m, tap_first f
            WHERE m.name = 'tap'), 'the same data and seed give the same model');
-- more clusters never fit worse than fewer (k-means++ from the same seed)
SELECT ok((SELECT bool_and(inertia > 0) AND (array_agg(inertia ORDER BY k))[1] > (array_agg(inertia ORDER BY k))[2]
             FROM bankcrm.cluster_choose_k(:features, ARRAY[2, 6], seed => 11, max_passes => 8)),
          'six clusters leave less inertia than two');

-- its segments: every party in exactly one, as the pass counted
SELECT lives_ok($$SELECT * FROM bankcrm.cluster_assign('tap')$$, 'cluster_assign makes the segments');
SELECT is((SELECT count(*) FROM bankcrm.segment WHERE kind = 'cluster' AND params ->> 'cluster_model' = 'tap'),
          4::bigint, 'one segment per cluster');
SELECT is((SELECT count(*) - count(DISTINCT m.party_id) FROM bankcrm.segment_member m
             JOIN bankcrm.segment s USING (segment_id)
            WHERE s.kind = 'cluster' AND s.params ->> 'cluster_model' = 'tap'),
          0::bigint, 'no party is in two clusters');
SELECT is((SELECT array_agg(members ORDER BY cluster) FROM bankcrm.cluster_profiles WHERE model = 'tap'),
          (SELECT array_agg(size ORDER BY cluster) FROM bankcrm.cluster_centroid WHERE model = 'tap'),
          'the segments hold the parties the last pass counted');

-- relationship groups of the ci bank
SELECT ok((SELECT count(*) > 100 FROM bankcrm.relationship_group), 'the ci bank has households and groups');
SELECT is((SELECT count(*) FROM bankcrm.relationship_group g
            WHERE g.members <> (SELECT count(*) FROM bankcrm.relationship_group o WHERE o.group_id = g.group_id)
               OR g.group_id <> (SELECT min(o.party_id) FROM bankcrm.relationship_group o WHERE o.group_id = g.group_id)),
          0::bigint, 'members is the size of the group, group_id its lowest party');
SELECT is((SELECT count(*) FROM bankcrm.relationship_group g JOIN bankcrm.party p USING (party_id)
            WHERE p.status = 'closed'), 0::bigint, 'no closed party is in a group');
SELECT is((SELECT count(*) FROM bankcrm.party_relation r
             JOIN bankcrm.party a ON a.party_id = r.party_id AND a.status <> 'closed'
             JOIN bankcrm.party b ON b.party_id = r.related_party_id AND b.status <> 'closed'
             LEFT JOIN bankcrm.relationship_group ga ON ga.party_id = r.party_id
             LEFT JOIN bankcrm.relationship_group gb ON gb.party_id = r.related_party_id
            WHERE r.kind IN ('household', 'parent_company') AND ga.group_id IS DISTINCT FROM gb.group_id),
          0::bigint, 'both ends of every live household or parent relation are in one group');
SELECT is((SELECT sum(members)::bigint FROM bankcrm.relationship_group_rollup),
          (SELECT count(*) FROM bankcrm.relationship_group), 'the rollup counts every member once');
SELECT is((SELECT sum(aum) FROM bankcrm.relationship_group_rollup),
          (SELECT sum(COALESCE(b.aum, 0)) FROM bankcrm.relationship_group g
             LEFT JOIN bankcrm.party_balance b USING (party_id)), 'the rollup sums the members'' assets');

-- errors and privileges
SELECT throws_ok($$SELECT bankcrm.cluster_check_feature('aum > 1')$$, '42804', NULL, 'a boolean feature');
SELECT throws_ok(format('SELECT * FROM bankcrm.cluster_fit(%L, %L::text[], 1)', 'tap', :features),
                 '22023', NULL, 'k of 1');
SELECT throws_ok($$SELECT * FROM bankcrm.cluster_assign('no such model')$$, '42704', NULL, 'an unknown model');
SET LOCAL ROLE bankcrm_analyst;
SELECT throws_ok('SELECT count(*) FROM bankcrm.relationship_group_rollup', '42501', NULL,
                 'an analyst cannot read the groups'' rollups (party-level sums)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
