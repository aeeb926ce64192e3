-- test/bench/bench_cluster.sql
-- Benchmark: k-means clustering, one pass of kmeans_pass against a bare
-- scan of the same features and against the same pass written in SQL; and
-- the recovery of planted behaviour groups.
--
-- Run with psql in a database where bankcrm is installed and no party data
-- has been loaded (test/bench/run cluster):
--     psql -X -q [-v reps=N] [-v parties=N] -f test/bench/bench_cluster.sql
-- It generates, set-based and deterministically (setseed), :parties parties
-- (default 1,000,000; bench size) in five planted behaviour groups of a
-- fifth each, recorded in bankcrm_truth.behaviour:
--   1 young borrowers   about 30, new, a large loan, little saved
--   2 retired savers    about 67, long tenure, savings, rarely contacted
--   3 affluent          about 48, two million and more, four products
--   4 dormant           a thousand or less, not contacted for about 600 days
--   5 mass active       about 38, modest savings and loans, three products
-- Each party has its holdings (aum, loans, products held), a default-model
-- party_score (contribution, value score) and one contact.  The 8 features
-- are age, tenure_years, aum, loans, products_held, contribution,
-- value_score and days_since_last_contact.
--
-- cluster_fit with k = 5 is timed once, cluster_assign once; then in :reps
-- rounds, each statement once unmeasured and once measured per round:
--   scan      the features of every party read and summed (the baseline:
--             what any pass over the features must at least do);
--   pass      one kmeans_pass over the standardised features, the work of
--             one full iteration of cluster_fit;
--   sql       the same iteration in SQL: each party joined to its nearest
--             centroid (a LATERAL join over the k centroids), grouped by
--             centroid for the counts and means.
-- The same three are then measured over the standardised points stored in
-- a plain table of 8 float8 columns ("table scan", "table pass", "table
-- sql"), which leaves out the cost of computing party_features and shows
-- the cost of the k-means work itself.
-- It prints median and best milliseconds, the ratios against the scan of
-- the same source, and the adjusted Rand index of the clusters against the
-- planted groups.

\set ON_ERROR_STOP 1
\if :{?reps}
\else
\set reps 3
\endif
\if :{?parties}
\else
\set parties 1000000
\endif
SET client_min_messages = warning;
SET jit = off;
SET search_path = public, bankcrm;

-- a bank of :parties parties in five planted behaviour groups
SELECT setseed(0.18);
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('CN-SH', '上海市', '上海市');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES (1, 'SH-01', 'Shanghai main', 'CN-SH');
INSERT INTO bankcrm.product (product_id, code, name, category) VALUES
	(1, 'DEP_DEMAND', 'Demand deposit', 'deposit'), (2, 'LN_MORTGAGE', 'Mortgage', 'loan'),
	(3, 'CARD_CREDIT', 'Credit card', 'card'), (4, 'WM_MONEY_MARKET', 'Money-market fund', 'wealth'),
	(5, 'INS_LIFE', 'Life insurance', 'insurance');
CREATE SCHEMA bankcrm_truth;
CREATE TABLE bankcrm_truth.behaviour (party_id bigint PRIMARY KEY, grp integer NOT NULL);
COMMENT ON TABLE bankcrm_truth.behaviour IS 'Planted behaviour group of each party of the clustering benchmark';
-- z1 .. z8: standard normal draws (Box-Muller)
CREATE TEMP TABLE gen AS
SELECT i AS party_id, 1 + (i % 5)::int AS grp,
       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z1,
       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z2,
       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z3,
       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z4,
       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z5,
       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z6,
       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z7,
       random() AS u
  FROM generate_series(1, :parties) i;
--                 age       tenure    aum                loans            products  contribution   value     days
CREATE TEMP TABLE grp (grp int, age float8, age_sd float8, ten float8, ten_sd float8, aum float8, aum_sd float8,
                       loans float8, loans_sd float8, prod int, contr float8, contr_sd float8,
                       val float8, val_sd float8, days float8, days_sd float8);
INSERT INTO grp VALUES
	(1, 30, 4, 3, 1.5,   20000,   10000, 400000, 120000, 2,  3000, 1000, 300, 60,  20,  10),
	(2, 67, 5, 20, 4,   300000,   90000,      0,      0, 1,  2000,  700, 400, 60,  90,  30),
	(3, 48, 6, 10, 3,  2500000,  600000,  50000,  30000, 4, 20000, 5000, 800, 60,  15,   7),
	(4, 45, 12, 8, 3,      1000,    500,      0,      0, 1,    50,   30,  60, 30, 600, 150),
	(5, 38, 8, 6, 3,     60000,   25000,  30000,  15000, 3,  1500,  500, 350, 60,  45,  20);
CREATE TEMP TABLE planted AS
SELECT g.party_id, g.grp,
       greatest(18, round(p.age + p.age_sd * g.z1))::int AS age,
       greatest(0, round(p.ten + p.ten_sd * g.z2))::int AS tenure,
       round(greatest(0, p.aum + p.aum_sd * g.z3)::numeric, 2) AS aum,
       round(greatest(0, p.loans + p.loans_sd * g.z4)::numeric, 2) AS loans,
       p.prod + (g.u < 0.2)::int AS products,
       round(greatest(0, p.contr + p.contr_sd * g.z5)::numeric, 2) AS contribution,
       least(1000, greatest(0, round(p.val + p.val_sd * g.z6)))::int AS value_score,
       greatest(0, round(p.days + p.days_sd * g.z7))::int AS days
  FROM gen g JOIN grp p USING (grp);
INSERT INTO bankcrm_truth.behaviour SELECT party_id, grp FROM planted;
INSERT INTO bankcrm.party (party_id, kind, name, region_code, birth_date, status, home_branch_id, onboarded_on)
SELECT party_id, 'individual', 'P' || party_id, 'CN-SH',
       (CURRENT_DATE - make_interval(years => age) - (1 + party_id % 300) * interval '1 day')::date,
       'active', 1,
       (CURRENT_DATE - make_interval(years => tenure) - (1 + party_id % 300) * interval '1 day')::date
  FROM planted;
-- the first holding carries the savings (a deposit), the second the loan
-- (a mortgage) when there is one; further products are an empty card,
-- a money-market fund and an insurance policy
INSERT INTO bankcrm.holding (party_id, product_id, balance, opened_on)
SELECT party_id, 1, aum, DATE '2020-01-01' FROM planted
UNION ALL
SELECT party_id, 2, loans, DATE '2020-01-01' FROM planted WHERE loans > 0
UNION ALL
SELECT p.party_id, x.product_id, 0, DATE '2021-01-01'
  FROM planted p
  CROSS JOIN LATERAL (SELECT (ARRAY[3, 4, 5])[j] AS product_id
                        FROM generate_series(1, least(3, p.products - 1 - (p.loans > 0)::int)) j) x;
INSERT INTO bankcrm.party_score (party_id, model, contribution, value_score, value_tier, wealth_tier,
                                 rfm_r, rfm_f, rfm_m, clv, aum)
SELECT p.party_id, m.model, p.contribution, p.value_score,
       CASE WHEN p.value_score >= 700 THEN 'key' WHEN p.value_score >= 300 THEN 'general' ELSE 'scattered' END,
       CASE WHEN p.aum >= 10000000 THEN 'hnw' WHEN p.aum >= 500000 THEN 'affluent' ELSE 'mass' END,
       3, 3, 3, p.contribution * 5, p.aum
  FROM planted p, bankcrm.score_model m
 WHERE m.is_default;
INSERT INTO bankcrm.contact (party_id, channel, outcome, occurred_at)
SELECT party_id, 'phone_out', 'answered', pg_catalog.now() - days * interval '1 day' - interval '1 hour'
  FROM planted;
DROP TABLE gen, planted;
VACUUM ANALYZE bankcrm.party, bankcrm.holding, bankcrm.product, bankcrm.party_score, bankcrm.contact;

\set features 'ARRAY[''age'', ''tenure_years'', ''aum'', ''loans'', ''products_held'', ''contribution'', ''value_score'', ''days_since_last_contact'']'
SELECT count(*) AS parties, (SELECT count(*) FROM bankcrm.holding) AS holdings,
       cardinality(:features) AS features
  FROM bankcrm.party;

-- the fit and the assignment, timed once each
CREATE TEMP TABLE bench_cluster_timing (variant text, round int, ms double precision);
CREATE FUNCTION pg_temp.bench_fit(features text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	PERFORM bankcrm.cluster_fit('bench', features, 5, seed => 0);
	INSERT INTO bench_cluster_timing VALUES ('fit', 0, extract(epoch FROM clock_timestamp() - t0) * 1000);
	t0 := clock_timestamp();
	PERFORM bankcrm.cluster_assign('bench');
	INSERT INTO bench_cluster_timing VALUES ('assign', 0, extract(epoch FROM clock_timestamp() - t0) * 1000);
END
$$;
\o /dev/null
SELECT pg_temp.bench_fit(:features);
\o
SELECT k, points, passes, converged, round(inertia::numeric, 1) AS inertia, round(silhouette::numeric, 4) AS silhouette,
       (SELECT round((ms / 1000)::numeric, 1) FROM bench_cluster_timing WHERE variant = 'fit') AS fit_s,
       (SELECT round((ms / 1000)::numeric, 1) FROM bench_cluster_timing WHERE variant = 'assign') AS assign_s
  FROM bankcrm.cluster_model WHERE name = 'bench';
SELECT cluster, members, feature_means FROM bankcrm.cluster_profiles WHERE model = 'bench' ORDER BY cluster;

-- recovery: adjusted Rand index of the clusters against the planted groups
WITH c AS (SELECT t.grp, (s.params ->> 'cluster')::int AS cl, count(*)::float8 AS n
             FROM bankcrm.segment_member m
             JOIN bankcrm.segment s ON s.segment_id = m.segment_id AND s.kind = 'cluster'
                                   AND s.params ->> 'cluster_model' = 'bench'
             JOIN bankcrm_truth.behaviour t ON t.party_id = m.party_id
            GROUP BY 1, 2),
     sums AS (SELECT (SELECT sum(n * (n - 1) / 2) FROM c) AS idx,
                     (SELECT sum(a * (a - 1) / 2) FROM (SELECT sum(n) AS a FROM c GROUP BY grp) r) AS rows_,
                     (SELECT sum(b * (b - 1) / 2) FROM (SELECT sum(n) AS b FROM c GROUP BY cl) q) AS cols,
                     (SELECT sum(n) * (sum(n) - 1) / 2 FROM c) AS pairs)
SELECT round(((idx - rows_ * cols / pairs) / ((rows_ + cols) / 2 - rows_ * cols / pairs))::numeric, 4)
       AS adjusted_rand_index,
       (SELECT sum(n)::bigint FROM c) AS assigned
  FROM sums;

-- one round: scan, kmeans_pass, the SQL iteration; each warmed once
CREATE FUNCTION pg_temp.bench_round(n int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	m bankcrm.cluster_model;
	q text;
	pt text;
	scan text;
	pass text;
	sqlv text;
	tscan text;
	tpass text;
	tsql text;
	t0 timestamptz;
	r int;
	d int;
BEGIN
	SELECT * INTO m FROM bankcrm.cluster_model WHERE name = 'bench';
	d := cardinality(m.features);
	q := bankcrm.cluster_feature_query(m.features);
	pt := bankcrm.cluster_point_expr(m.means, m.scales);
	scan := format('SELECT pg_catalog.count(*), %s FROM (%s) x',
	               (SELECT string_agg(format('pg_catalog.sum(x.v%s)', j), ', ') FROM generate_series(1, d) j), q);
	pass := format('SELECT bankcrm.kmeans_pass(%L::float8[], %s) FROM (%s) x', m.centroids, pt, q);
	sqlv := format('WITH c AS (SELECT i, %s FROM generate_series(1, %s) i), '
	               'p AS (SELECT x.party_id, %s FROM (%s) x) '
	               'SELECT n.i, pg_catalog.count(*), %s FROM p '
	               'CROSS JOIN LATERAL (SELECT c.i FROM c ORDER BY %s, c.i LIMIT 1) n GROUP BY n.i',
	               (SELECT string_agg(format('(%L::float8[])[i][%s] AS c%s', m.centroids, j, j), ', ') FROM generate_series(1, d) j),
	               m.k,
	               (SELECT string_agg(format('(x.v%s - %s::float8) / %s::float8 AS p%s', j, m.means[j], m.scales[j], j), ', ')
	                  FROM generate_series(1, d) j),
	               q,
	               (SELECT string_agg(format('pg_catalog.avg(p.p%s)', j), ', ') FROM generate_series(1, d) j),
	               (SELECT string_agg(format('(p.p%s - c.c%s) ^ 2', j, j), ' + ') FROM generate_series(1, d) j));
	-- the same three over the standardised points in a plain table
	tscan := format('SELECT pg_catalog.count(*), %s FROM public.bench_points p',
	                (SELECT string_agg(format('pg_catalog.sum(p.p%s)', j), ', ') FROM generate_series(1, d) j));
	tpass := format('SELECT bankcrm.kmeans_pass(%L::float8[], ARRAY[%s]) FROM public.bench_points p', m.centroids,
	                (SELECT string_agg(format('p.p%s', j), ', ') FROM generate_series(1, d) j));
	tsql := format('WITH c AS (SELECT i, %s FROM generate_series(1, %s) i) '
	               'SELECT n.i, pg_catalog.count(*), %s FROM public.bench_points p '
	               'CROSS JOIN LATERAL (SELECT c.i FROM c ORDER BY %s, c.i LIMIT 1) n GROUP BY n.i',
	               (SELECT string_agg(format('(%L::float8[])[i][%s] AS c%s', m.centroids, j, j), ', ') FROM generate_series(1, d) j),
	               m.k,
	               (SELECT string_agg(format('pg_catalog.avg(p.p%s)', j), ', ') FROM generate_series(1, d) j),
	               (SELECT string_agg(format('(p.p%s - c.c%s) ^ 2', j, j), ' + ') FROM generate_series(1, d) j));
	FOR r IN 1 .. 2 LOOP
		t0 := clock_timestamp();
		EXECUTE tscan;
		IF r = 2 THEN
			INSERT INTO bench_cluster_timing VALUES ('table scan', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
		t0 := clock_timestamp();
		EXECUTE tpass;
		IF r = 2 THEN
			INSERT INTO bench_cluster_timing VALUES ('table pass', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
		t0 := clock_timestamp();
		EXECUTE tsql;
		IF r = 2 THEN
			INSERT INTO bench_cluster_timing VALUES ('table sql', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
	END LOOP;
	FOR r IN 1 .. 2 LOOP
		t0 := clock_timestamp();
		EXECUTE scan;
		IF r = 2 THEN
			INSERT INTO bench_cluster_timing VALUES ('scan', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
		t0 := clock_timestamp();
		EXECUTE pass;
		IF r = 2 THEN
			INSERT INTO bench_cluster_timing VALUES ('pass', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
		t0 := clock_timestamp();
		EXECUTE sqlv;
		IF r = 2 THEN
			INSERT INTO bench_cluster_timing VALUES ('sql', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END IF;
	END LOOP;
END
$$;
-- the standardised points of every party in a plain table (p1 .. p8)
SELECT format('CREATE UNLOGGED TABLE public.bench_points AS SELECT x.party_id, %s FROM (%s) x',
              (SELECT string_agg(format('(x.v%s - %s::float8) / %s::float8 AS p%s', j, m.means[j], m.scales[j], j), ', ')
                 FROM generate_series(1, cardinality(m.features)) j),
              bankcrm.cluster_feature_query(m.features))
  FROM bankcrm.cluster_model m WHERE m.name = 'bench' \gexec
VACUUM ANALYZE public.bench_points;
\o /dev/null
SELECT format('SELECT pg_temp.bench_round(%s)', r) FROM generate_series(1, :reps) r \gexec
\o

-- the SQL iteration and kmeans_pass agree on the counts of the clusters
SELECT (SELECT bankcrm.kmeans_sizes(bankcrm.kmeans_pass(m.centroids,
            ARRAY[((f.age)::float8 - m.means[1]) / m.scales[1], ((f.tenure_years)::float8 - m.means[2]) / m.scales[2],
                  ((f.aum)::float8 - m.means[3]) / m.scales[3], ((f.loans)::float8 - m.means[4]) / m.scales[4],
                  ((f.products_held)::float8 - m.means[5]) / m.scales[5], ((f.contribution)::float8 - m.means[6]) / m.scales[6],
                  ((f.value_score)::float8 - m.means[7]) / m.scales[7],
                  ((f.days_since_last_contact)::float8 - m.means[8]) / m.scales[8]]))
          FROM bankcrm.party_features f) = (SELECT array_agg(c.size ORDER BY c.cluster) FROM bankcrm.cluster_centroid c
                                              WHERE c.model = 'bench') AS pass_matches_fit
  FROM bankcrm.cluster_model m WHERE m.name = 'bench';

SELECT t.variant,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms)::numeric, 1) AS median_ms,
       round(min(t.ms)::numeric, 1) AS best_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms)
              / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms) FROM bench_cluster_timing b
                  WHERE b.variant = CASE WHEN t.variant LIKE 'table %' THEN 'table scan' ELSE 'scan' END))::numeric, 2)
       AS vs_scan
  FROM bench_cluster_timing t
 WHERE t.variant NOT IN ('fit', 'assign')
 GROUP BY t.variant
 ORDER BY array_position(ARRAY['scan', 'pass', 'sql', 'table scan', 'table pass', 'table sql'], t.variant);
