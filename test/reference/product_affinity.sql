-- test/reference/product_affinity.sql
-- The association rules of product_affinity written as one SQL query: the
-- reference the counting in src/score/affinity.c is checked against
-- (test/pgtap/score.sql).  Same rows, same figures: the counts are integers
-- and every ratio is the same double-precision division.
--
-- Creates score_reference.product_affinity_sql(model, as_of).

CREATE SCHEMA IF NOT EXISTS score_reference;

CREATE FUNCTION score_reference.product_affinity_sql(model text, as_of date)
RETURNS TABLE (kind text, value_tier text, antecedent_id integer, product_id integer, group_parties bigint,
	antecedent_parties bigint, product_parties bigint, pair_parties bigint, support double precision,
	confidence double precision, lift double precision)
LANGUAGE sql STABLE
BEGIN ATOMIC
WITH grp AS (
	SELECT ps.party_id, p.kind, ps.value_tier
	  FROM bankcrm.party_score ps
	  JOIN bankcrm.party p ON p.party_id = ps.party_id
	 WHERE ps.model = product_affinity_sql.model
	   AND p.status <> 'closed'
), held AS MATERIALIZED (
	SELECT DISTINCT grp.kind, grp.value_tier, grp.party_id, ho.product_id
	  FROM grp
	  JOIN bankcrm.holding ho ON ho.party_id = grp.party_id
	 WHERE ho.opened_on <= product_affinity_sql.as_of
	   AND (ho.closed_on IS NULL OR ho.closed_on > product_affinity_sql.as_of)
), gsize AS (
	SELECT grp.kind, grp.value_tier, count(*) AS n FROM grp GROUP BY 1, 2
), ksize AS (
	SELECT grp.kind, count(*) AS n FROM grp GROUP BY 1
), pc AS (
	SELECT held.kind, held.value_tier, held.product_id, count(*) AS n FROM held GROUP BY 1, 2, 3
), kc AS (
	SELECT held.kind, held.product_id, count(*) AS n FROM held GROUP BY 1, 2
), pairs AS (
	SELECT x.kind, x.value_tier, x.product_id AS ante, y.product_id AS prod, count(*) AS n
	  FROM held x
	  JOIN held y ON y.party_id = x.party_id AND y.product_id <> x.product_id
	 GROUP BY 1, 2, 3, 4
), m AS (
	SELECT sm.affinity_min_parties AS min_n FROM bankcrm.score_model sm WHERE sm.model = product_affinity_sql.model
)
SELECT pairs.kind, pairs.value_tier, pairs.ante, pairs.prod, gs.n, pa.n, pp.n, pairs.n,
       pairs.n::double precision / gs.n,
       pairs.n::double precision / pa.n,
       (pairs.n::double precision / pa.n) / (pp.n::double precision / gs.n)
  FROM pairs
  JOIN gsize gs ON gs.kind = pairs.kind AND gs.value_tier = pairs.value_tier
  JOIN pc pa ON pa.kind = pairs.kind AND pa.value_tier = pairs.value_tier AND pa.product_id = pairs.ante
  JOIN pc pp ON pp.kind = pairs.kind AND pp.value_tier = pairs.value_tier AND pp.product_id = pairs.prod
  CROSS JOIN m
 WHERE pairs.n >= m.min_n
UNION ALL
SELECT pc.kind, pc.value_tier, NULL, pc.product_id, gs.n, gs.n, pc.n, pc.n,
       pc.n::double precision / gs.n,
       pc.n::double precision / gs.n,
       (pc.n::double precision / gs.n) / (kc.n::double precision / ks.n)
  FROM pc
  JOIN gsize gs ON gs.kind = pc.kind AND gs.value_tier = pc.value_tier
  JOIN kc ON kc.kind = pc.kind AND kc.product_id = pc.product_id
  JOIN ksize ks ON ks.kind = pc.kind
  CROSS JOIN m
 WHERE pc.n >= m.min_n;
END;
COMMENT ON FUNCTION score_reference.product_affinity_sql(text, date) IS
	'The rows product_affinity_refresh() writes, in SQL: the reference of the C counting';
