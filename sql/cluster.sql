-- cluster: k-means behavioural segments; the feature checker, the
-- kmeans_pass aggregate (serial and parallel), a fit whose answer is worked
-- out by hand, segments of kind cluster, profiles and the choice of k
SET search_path = bankcrm, public;
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

-- features: numeric expressions over party_features, checked like rules
SELECT cluster_check_feature('aum');
SELECT cluster_check_feature('aum / 10000 + products_held * 2');
SELECT cluster_check_feature('COALESCE(contribution, 0)');
SELECT cluster_check_feature('aum > 100');
SELECT cluster_check_feature('products');
SELECT cluster_check_feature('name');
SELECT cluster_check_feature('aum; DROP TABLE bankcrm.party');
SELECT cluster_check_feature('random()');
SELECT cluster_check_feature('(SELECT 1)');

-- one pass by hand: centroids 0 and 10; points 1 and 2 go to 0, 9 and 12
-- to 10; inertia 1 + 4 + 1 + 4 = 10; the means are 1.5 and 10.5
SELECT kmeans_pass('{{0},{10}}', ARRAY[x]) AS state FROM unnest('{1,2,9,12}'::float8[]) x;
SELECT kmeans_inertia(s), kmeans_sizes(s), kmeans_points(s), kmeans_update(s, '{{0},{10}}')
  FROM (SELECT kmeans_pass('{{0},{10}}', ARRAY[x]) AS s FROM unnest('{1,2,9,12}'::float8[]) x) p;
-- a point with a NULL is skipped; an empty pass leaves the centroids where they were
SELECT kmeans_points(kmeans_pass('{{0,0}}', x)) FROM (VALUES ('{1,NULL}'::float8[]), (NULL), ('{2,2}')) v(x);
SELECT kmeans_pass('{{0}}', ARRAY[x]) AS empty, kmeans_update(kmeans_pass('{{0}}', ARRAY[x]), '{{7}}')
  FROM unnest('{}'::float8[]) x;
-- the nearest centroid, the lowest number on ties
SELECT kmeans_nearest('{{0,0},{2,0}}', '{1,0}'), kmeans_nearest('{{0,0},{2,0}}', '{1.5,9}'),
       kmeans_nearest('{{0,0},{2,0}}', '{1,NULL}');
SELECT kmeans_shift('{{0,0},{1,1}}', '{{3,4},{1,1}}');
-- silhouette by hand: 0 and 1 against 10 and 11; for 0, a = 1, b = 10.5;
-- for 1, a = 1, b = 9.5; mean of 1 - 1/10.5 and 1 - 1/9.5 = 0.89975
SELECT round(kmeans_silhouette('{{0},{1},{10},{11}}', '{{0.5},{10.5}}')::numeric, 5);
SELECT kmeans_silhouette('{{0},{1}}', '{{0},{10}}') AS one_cluster;
-- seeding: the same seed gives the same centroids, fewer distinct points than k fail
SELECT kmeans_start('{{0},{1},{10},{11},{20}}', 3, 7, 10, 0) = kmeans_start('{{0},{1},{10},{11},{20}}', 3, 7, 10, 0) AS same;
SELECT kmeans_start('{{1},{1},{2}}', 3, 0, 10, 0);
-- shapes
SELECT kmeans_pass('{0,10}', ARRAY[x]) FROM unnest('{1}'::float8[]) x;
SELECT kmeans_pass('{{0},{10}}', ARRAY[x, x]) FROM unnest('{1}'::float8[]) x;
SELECT kmeans_pass('{{0},{10}}', ARRAY[x]) FROM unnest('{Infinity}'::float8[]) x;
SELECT kmeans_update('{1,2,3}', '{{0}}');
SELECT kmeans_nearest('{{0,NULL}}', '{1,1}');

-- parallel plans: the partial sums of the workers are combined; integer
-- coordinates make every order of adding exact
CREATE TABLE cluster_pts AS
SELECT i, ARRAY[(i % 97)::float8, (i % 13)::float8] AS x FROM generate_series(1, 60000) i;
ANALYZE cluster_pts;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT kmeans_pass('{{0,0},{50,6},{90,12}}', x) FROM cluster_pts;
CREATE TEMP TABLE cluster_parallel AS SELECT kmeans_pass('{{0,0},{50,6},{90,12}}', x) AS s FROM cluster_pts;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT p.s = q.s AS parallel_equals_serial, kmeans_sizes(q.s), kmeans_inertia(q.s)
  FROM cluster_parallel p, (SELECT kmeans_pass('{{0,0},{50,6},{90,12}}', x) AS s FROM cluster_pts) q;
RESET max_parallel_workers_per_gather;
DROP TABLE cluster_pts;

-- a fit worked out by hand: six parties of region ZZ-CLU, turnover 1, 2, 3
-- and 11, 12, 13 million at ages 30, 31, 32 and 50, 51, 52.  The features
-- are NULL for every other party, which the fit leaves out.
INSERT INTO region VALUES ('ZZ-CLU', 'Cluster city', 'Cluster province');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (9301, 'CLU-1', 'Cluster branch', 'ZZ-CLU');
INSERT INTO product (product_id, code, name, category) VALUES
	(9301, 'CLUT_DEP', 'Cluster test deposit', 'deposit'),
	(9302, 'CLUT_LOAN', 'Cluster test loan', 'loan');
INSERT INTO party (party_id, kind, name, region_code, birth_date, status, home_branch_id, onboarded_on, annual_turnover)
SELECT 9300000000 + i, 'individual', '客户' || i, 'ZZ-CLU',
       (CURRENT_DATE - make_interval(years => a) - interval '1 day')::date, 'active', 9301, '2020-01-01', t
  FROM (VALUES (1, 30, 1000000), (2, 31, 2000000), (3, 32, 3000000),
               (4, 50, 11000000), (5, 51, 12000000), (6, 52, 13000000),
               (7, 40, NULL)) v(i, a, t);
INSERT INTO holding (holding_id, party_id, product_id, balance, opened_on) VALUES
	(9300000001, 9300000001, 9301, 1000, '2021-01-01'),
	(9300000002, 9300000002, 9301, 1000, '2021-01-01'),
	(9300000003, 9300000004, 9302, 1000, '2021-01-01'),
	(9300000004, 9300000005, 9302, 1000, '2021-01-01'),
	(9300000005, 9300000005, 9301, 1000, '2021-01-01');
\set f1 '''CASE WHEN region_code = ''''ZZ-CLU'''' THEN turnover / 1000000 END'''
\set f2 '''CASE WHEN region_code = ''''ZZ-CLU'''' THEN age END'''
-- the means are 7 and 41, the population deviations sqrt(154/6) and
-- sqrt(604/6); within each cluster the deviations are -1, 0, 1 in both
-- features, so the inertia is 4 / (154/6) + 4 / (604/6) = 0.195579
SELECT * FROM cluster_fit('hand', ARRAY[:f1, :f2], 2, seed => 1);
SELECT name, k, seed, points, passes, converged, round(inertia::numeric, 6) AS inertia,
       round(silhouette::numeric, 6) AS silhouette, silhouette_sample, means,
       round(scales[1]::numeric, 6) AS scale1, round(scales[2]::numeric, 6) AS scale2
  FROM cluster_model;
SELECT model, cluster, size, round(centroid[1]::numeric, 6) AS c1, round(centroid[2]::numeric, 6) AS c2, center
  FROM cluster_centroid ORDER BY 1, 2;
-- the silhouette against the same points and labels in plain SQL
WITH p AS (SELECT party_id, ((turnover / 1000000)::float8 - 7) / sqrt(154.0 / 6) AS a,
                  (age::float8 - 41) / sqrt(604.0 / 6) AS b, (age > 40)::int AS c
             FROM party_features WHERE region_code = 'ZZ-CLU' AND turnover IS NOT NULL),
     d AS (SELECT p.party_id, p.c, q.c AS qc, avg(sqrt((p.a - q.a) ^ 2 + (p.b - q.b) ^ 2)) AS m
             FROM p JOIN p q ON q.party_id <> p.party_id GROUP BY 1, 2, 3),
     s AS (SELECT party_id, max(m) FILTER (WHERE qc = c) AS a, max(m) FILTER (WHERE qc <> c) AS b FROM d GROUP BY 1)
SELECT round(avg((b - a) / greatest(a, b))::numeric, 6) AS silhouette_in_sql FROM s;
-- the same data and seed give the same model; another k
SELECT centroids INTO TEMP hand_first FROM cluster_model WHERE name = 'hand';
SELECT count(*) FROM cluster_fit('hand', ARRAY[:f1, :f2], 2, seed => 1);
SELECT m.centroids = h.centroids AS same_centroids FROM cluster_model m, hand_first h WHERE m.name = 'hand';
SELECT cluster, size, center FROM cluster_fit('hand3', ARRAY[:f1, :f2], 3, seed => 5) ORDER BY center;

-- segments of kind cluster: one per centroid, refreshed like any segment
SELECT cluster, joined, "left", total FROM cluster_assign('hand');
SELECT name, kind, params, rule FROM segment WHERE kind = 'cluster' ORDER BY segment_id;
SELECT segment, party_id FROM segment_members WHERE segment LIKE 'hand:%' ORDER BY 1, 2;
SELECT * FROM segment_overlap((SELECT segment_id FROM segment WHERE name = 'hand: cluster 1'),
                              (SELECT segment_id FROM segment WHERE name = 'hand: cluster 2'));
SELECT model, cluster, fitted_size, members, feature_means, top_products, value_tiers
  FROM cluster_profiles WHERE model = 'hand' ORDER BY cluster;
-- the data changes: party 3 grows into the second group, party 7 gets a turnover
UPDATE party SET annual_turnover = 12500000, birth_date = (CURRENT_DATE - interval '49 years 1 day')::date
 WHERE party_id = 9300000003;
UPDATE party SET annual_turnover = 1500000 WHERE party_id = 9300000007;
SELECT cluster, joined, "left", total FROM cluster_assign('hand');
SELECT segment, party_id FROM segment_members WHERE segment LIKE 'hand:%' ORDER BY 1, 2;
SELECT s.name, h.party_id, h.change FROM segment_history h JOIN segment s USING (segment_id)
 WHERE s.name LIKE 'hand:%' AND h.at = s.refreshed_at ORDER BY 1, 2;
-- refitting with fewer clusters empties the segments of the others
SELECT count(*) FROM cluster_fit('hand3', ARRAY[:f1, :f2], 2, seed => 5);
SELECT count(*) FROM cluster_assign('hand3');
SELECT count(*) FROM cluster_fit('hand3', ARRAY[:f1, :f2], 3, seed => 5);
SELECT cluster, total FROM cluster_assign('hand3') ORDER BY 1;
SELECT count(*) FROM cluster_fit('hand3', ARRAY[:f1, :f2], 2, seed => 5);
SELECT s.name, s.segment_id IS NOT NULL AS kept, r.total
  FROM segment s, LATERAL segment_refresh(s.segment_id) r WHERE s.name LIKE 'hand3:%' ORDER BY 1;

-- a constant feature has deviation 0 and is scaled by 1: it moves no point
SELECT cluster, size, round(center[1]::numeric, 6) AS turnover, center[2] AS constant
  FROM cluster_fit('constant', ARRAY[:f1, 'CASE WHEN region_code = ''ZZ-CLU'' THEN 1 END'], 2, seed => 3) ORDER BY 1;
SELECT means[2], scales[2] FROM cluster_model WHERE name = 'constant';

-- choosing k: the inertia falls as k grows, the silhouette is best at 2
SELECT k, round(inertia::numeric, 6) AS inertia, round(silhouette::numeric, 4) AS silhouette, converged
  FROM cluster_choose_k(ARRAY[:f1, :f2], ARRAY[2, 3, 4]);

-- errors
SELECT * FROM cluster_fit('bad', ARRAY[:f1, :f2], 1);
SELECT * FROM cluster_fit('bad', ARRAY[:f1, :f2], 101);
SELECT * FROM cluster_fit('bad', ARRAY[:f1, :f2], 8);
SELECT * FROM cluster_fit('bad', ARRAY[]::text[], 2);
SELECT * FROM cluster_fit('bad', ARRAY[:f1, NULL], 2);
SELECT * FROM cluster_fit('bad', ARRAY['aum >= 0'], 2);
SELECT * FROM cluster_fit(' ', ARRAY[:f1], 2);
SELECT * FROM cluster_fit('bad', ARRAY[:f1], 2, max_passes => 0);
SELECT * FROM cluster_choose_k(ARRAY[:f1], ARRAY[]::integer[]);
SELECT * FROM cluster_assign('nosuch');
INSERT INTO segment (name, kind, params) VALUES ('bad cluster', 'cluster', '{"cluster_model": "hand"}');
INSERT INTO segment (name, kind, params) VALUES ('bad cluster', 'cluster', '{"cluster_model": "hand", "cluster": 0}');
INSERT INTO segment (name, kind, params) VALUES ('bad cluster', 'cluster', '{"cluster_model": "hand", "cluster": 1, "model": "x"}');
INSERT INTO segment (name, kind, params) VALUES ('bad cluster', 'cluster', '{"cluster_model": "nosuch", "cluster": 1}');
SELECT * FROM segment_refresh((SELECT segment_id FROM segment WHERE name = 'bad cluster'));

-- who may do what
SELECT r.rolname, has_function_privilege(r.rolname, 'bankcrm.cluster_fit(text, text[], integer, bigint, integer, integer, integer, integer, double precision, integer)', 'EXECUTE') AS fit,
       has_function_privilege(r.rolname, 'bankcrm.cluster_assign(text)', 'EXECUTE') AS assign,
       has_table_privilege(r.rolname, 'bankcrm.cluster_profiles', 'SELECT') AS profiles
  FROM pg_roles r WHERE r.rolname IN ('bankcrm_admin', 'bankcrm_manager', 'bankcrm_rm', 'bankcrm_analyst', 'bankcrm_app')
 ORDER BY 1;
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel, p.prosecdef
  FROM pg_proc p
 WHERE p.pronamespace = 'bankcrm'::regnamespace AND (p.proname LIKE 'cluster%' OR p.proname LIKE 'kmeans%')
 ORDER BY p.oid::regprocedure::text;

-- clean up
DELETE FROM segment WHERE kind = 'cluster' OR name = 'bad cluster';
DELETE FROM cluster_model;
DELETE FROM holding WHERE party_id BETWEEN 9300000001 AND 9300000007;
DELETE FROM party WHERE party_id BETWEEN 9300000001 AND 9300000007;
DELETE FROM product WHERE product_id IN (9301, 9302);
DELETE FROM branch WHERE branch_id = 9301;
DELETE FROM region WHERE region_code = 'ZZ-CLU';
