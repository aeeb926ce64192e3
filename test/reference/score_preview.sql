-- test/reference/score_preview.sql
-- The scoring of score_preview() written as one SQL query: the reference the
-- engine (src/score/read.c) is checked against (test/pgtap/score.sql) and
-- measured against (test/bench/bench_score.sql).  It computes the same
-- figures with SQL aggregates, joins and window-free quintile cut-offs; only
-- the rounding of sums and ratios can differ, by a cent at most.
--
-- Creates schema score_reference with score_preview_sql(model, as_of).

CREATE SCHEMA IF NOT EXISTS score_reference;

CREATE FUNCTION score_reference.score_preview_sql(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE)
RETURNS TABLE (party_id bigint, model text, contribution numeric, value_score integer, value_tier text,
	wealth_tier text, rfm_r smallint, rfm_f smallint, rfm_m smallint, clv numeric, aum numeric,
	retention double precision, growth double precision, potential double precision, recency_days integer,
	frequency bigint, products integer)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
WITH m AS NOT MATERIALIZED (
	SELECT sm.model, sm.ftp, sm.asset_categories, sm.aum_categories, sm.pd, sm.lgd, sm.unrated_rating,
	       sm.channel_cost, sm.fee_min_days, sm.value_weights, sm.value_scales, sm.potential, sm.growth_floor,
	       sm.growth_window_days, sm.growth_min_days, sm.value_tier_basis, sm.key_min, sm.general_min,
	       sm.affluent_min, sm.hnw_min, sm.uhnw_min, sm.retention, sm.retention_default, sm.discount_rate,
	       sm.clv_years, sm.time_zone,
	       ((score_preview_sql.as_of - 365)::timestamp AT TIME ZONE sm.time_zone) AS year_start,
	       ((score_preview_sql.as_of + 1)::timestamp AT TIME ZONE sm.time_zone) AS day_end,
	       pg_catalog.make_date(pg_catalog.date_part('year', score_preview_sql.as_of)::integer, 1, 1) AS jan1
	  FROM bankcrm.score_model sm
	 WHERE sm.model = bankcrm.score_model_resolve(score_preview_sql.model)
), ph AS NOT MATERIALIZED (
	-- products with their transfer price and side of the balance sheet
	SELECT pr.product_id,
	       (m.ftp ->> pr.category)::numeric AS ftp,
	       pr.category = ANY (m.asset_categories) AS is_asset,
	       pr.category = ANY (m.aum_categories) AS is_aum,
	       m.fee_min_days, m.jan1
	  FROM bankcrm.product pr CROSS JOIN m
	OFFSET 0	-- a fence: the lookups run once per product, not once per holding
), h AS (
	SELECT ho.party_id,
	       sum(ho.balance) FILTER (WHERE ph.is_asset AND ph.ftp IS NOT NULL) AS loan_bal,
	       sum(ho.balance * ho.rate) FILTER (WHERE ph.is_asset AND ph.ftp IS NOT NULL) AS loan_int,
	       sum(ho.balance * ph.ftp) FILTER (WHERE ph.is_asset AND ph.ftp IS NOT NULL) AS loan_ftp,
	       sum(ho.balance) FILTER (WHERE NOT ph.is_asset AND ph.ftp IS NOT NULL) AS dep_bal,
	       sum(ho.balance * ho.rate) FILTER (WHERE NOT ph.is_asset AND ph.ftp IS NOT NULL) AS dep_int,
	       sum(ho.balance * ph.ftp) FILTER (WHERE NOT ph.is_asset AND ph.ftp IS NOT NULL) AS dep_ftp,
	       sum(ho.fees_ytd * 365 / GREATEST(score_preview_sql.as_of - GREATEST(ho.opened_on, ph.jan1), ph.fee_min_days)) AS fees,
	       sum(ho.balance) FILTER (WHERE ph.is_aum) AS aum,
	       count(*) AS products,
	       max(ho.opened_on) AS last_opened
	  FROM bankcrm.holding ho
	  JOIN ph ON ph.product_id = ho.product_id
	 WHERE ho.opened_on <= score_preview_sql.as_of
	   AND (ho.closed_on IS NULL OR ho.closed_on > score_preview_sql.as_of)
	 GROUP BY ho.party_id
), c AS (
	SELECT ct.party_id,
	       count(*) FILTER (WHERE ct.occurred_at >= w.year_start) AS contacts,
	       sum(cc.cost) FILTER (WHERE ct.occurred_at >= w.year_start) AS cost,
	       max(ct.occurred_at) AS last_contact
	  FROM bankcrm.contact ct
	  CROSS JOIN (SELECT m.year_start, m.day_end FROM m) w
	  LEFT JOIN (SELECT e.key AS channel, e.value::numeric AS cost
	               FROM m CROSS JOIN LATERAL pg_catalog.jsonb_each_text(m.channel_cost) e) cc
	         ON cc.channel = ct.channel
	 WHERE ct.occurred_at < w.day_end
	 GROUP BY ct.party_id
), a AS (
	SELECT aw.party_id,
	       sum(aw.txn_count) FILTER (WHERE aw.week > score_preview_sql.as_of - 364) AS txns,
	       max(aw.week) FILTER (WHERE aw.txn_count > 0) AS last_week
	  FROM bankcrm.activity_weekly aw
	 WHERE aw.week <= score_preview_sql.as_of
	 GROUP BY aw.party_id
), g AS (
	-- the contribution in force growth_window_days ago (the latest history
	-- row on or before that day) or, for a younger history, the earliest row
	-- at least growth_min_days old
	SELECT DISTINCT ON (sh.party_id) sh.party_id, sh.contribution AS prev
	  FROM bankcrm.score_history sh
	  CROSS JOIN m
	 WHERE sh.model = m.model
	   AND sh.contribution IS NOT NULL
	   AND sh.scored_on <= score_preview_sql.as_of - m.growth_min_days
	 ORDER BY sh.party_id,
	          sh.scored_on <= score_preview_sql.as_of - m.growth_window_days DESC,
	          CASE WHEN sh.scored_on <= score_preview_sql.as_of - m.growth_window_days THEN sh.scored_on END DESC,
	          sh.scored_on
), b AS (
	SELECT p.party_id, p.kind, m.model,
	       bankcrm.contribution(
	           COALESCE(h.loan_bal, 0)::double precision,
	           COALESCE(h.loan_int / NULLIF(h.loan_bal, 0), 0)::double precision,
	           COALESCE(h.loan_ftp / NULLIF(h.loan_bal, 0), 0)::double precision,
	           COALESCE(h.dep_bal, 0)::double precision,
	           COALESCE(h.dep_int / NULLIF(h.dep_bal, 0), 0)::double precision,
	           COALESCE(h.dep_ftp / NULLIF(h.dep_bal, 0), 0)::double precision,
	           COALESCE(h.fees, 0)::double precision,
	           COALESCE(c.cost, 0)::double precision,
	           COALESCE(p.credit_rating, m.unrated_rating), m.pd, m.lgd) AS contribution,
	       g.prev::double precision AS prev,
	       COALESCE(h.aum, 0)::numeric(18, 2) AS aum,
	       COALESCE(h.products, 0)::integer AS products,
	       GREATEST(COALESCE(score_preview_sql.as_of - p.onboarded_on, 0), 0) / 365.25 AS tenure,
	       -- GREATEST skips NULLs: the latest of whatever activity there is
	       COALESCE(score_preview_sql.as_of - GREATEST((c.last_contact AT TIME ZONE m.time_zone)::date,
	                                             a.last_week + LEAST(6, score_preview_sql.as_of - a.last_week),
	                                             h.last_opened), 3650) AS recency_days,
	       COALESCE(c.contacts, 0) + COALESCE(a.txns, 0) AS frequency,
	       bankcrm.potential(p.kind,
	           CASE WHEN p.birth_date <= score_preview_sql.as_of
	                THEN pg_catalog.date_part('year', pg_catalog.age(score_preview_sql.as_of, p.birth_date))::integer END,
	           p.education, p.occupation, p.life_stage, p.product_lifecycle, m.potential) AS potential,
	       COALESCE(p.credit_rating, m.unrated_rating) AS rating,
	       pr.retention AS party_retention,
	       m.growth_floor, m.value_weights, m.value_scales, m.value_tier_basis, m.key_min, m.general_min,
	       m.affluent_min, m.hnw_min, m.uhnw_min, m.retention AS retention_table, m.retention_default,
	       m.discount_rate, m.clv_years
	  FROM bankcrm.party p
	  CROSS JOIN m
	  LEFT JOIN h ON h.party_id = p.party_id
	  LEFT JOIN c ON c.party_id = p.party_id
	  LEFT JOIN a ON a.party_id = p.party_id
	  LEFT JOIN g ON g.party_id = p.party_id
	  LEFT JOIN bankcrm.party_retention pr ON pr.party_id = p.party_id
	 WHERE p.status <> 'closed'
	OFFSET 0	-- fences here and below: each function runs once per party
), s AS (
	SELECT b.*,
	       CASE WHEN b.prev IS NULL THEN 0.0
	            ELSE GREATEST(-1.0, LEAST(1.0, (b.contribution - b.prev) / GREATEST(abs(b.prev), b.growth_floor)))
	       END AS growth
	  FROM b
), t AS (
	SELECT s.*,
	       bankcrm.value_score(s.contribution, s.growth, s.tenure::double precision, s.products, s.rating,
	                               s.recency_days, s.potential, s.value_weights, s.value_scales) AS vs
	  FROM s
	OFFSET 0
), u AS (
	SELECT t.*,
	       bankcrm.value_tier(CASE WHEN t.value_tier_basis = 'value_score' THEN t.vs::double precision
	                                   ELSE t.contribution END, t.key_min, t.general_min) AS vt,
	       CASE WHEN t.kind = 'individual'
	            THEN bankcrm.wealth_tier(t.aum::double precision, t.affluent_min, t.hnw_min, t.uhnw_min) END AS wt
	  FROM t
), v AS (
	SELECT u.*,
	       COALESCE(u.party_retention, (u.retention_table -> u.kind ->> u.vt)::double precision,
	                u.retention_default) AS ret
	  FROM u
), x AS (
	-- a fence: every score is computed here, and only these narrow rows are
	-- sorted by the quintile windows below
	SELECT v.party_id, v.model, v.contribution, v.vs, v.vt, v.wt,
	       bankcrm.clv(v.contribution, v.ret, v.discount_rate, v.clv_years) AS clv,
	       v.aum, v.ret, v.growth, v.potential, v.recency_days, v.frequency, v.products
	  FROM v
	OFFSET 0
), srt AS (
	-- the quintile 1 + floor(5 c / n), c the parties strictly ahead in the
	-- order, is 1 plus the number of cut-offs k = 1..4 the party lies beyond,
	-- cut-off k being the value at position ceil(k n / 5) of the sorted
	-- column: one sort of one narrow column per quintile instead of three
	-- window sorts of the whole rows
	SELECT pg_catalog.count(*) AS n,
	       pg_catalog.array_agg(x.recency_days ORDER BY x.recency_days DESC) AS r,
	       pg_catalog.array_agg(x.frequency ORDER BY x.frequency) AS f,
	       pg_catalog.array_agg(x.contribution ORDER BY x.contribution) AS m
	  FROM x
), cut AS (
	SELECT srt.r[(srt.n + 4) / 5] AS r1, srt.r[(2 * srt.n + 4) / 5] AS r2,
	       srt.r[(3 * srt.n + 4) / 5] AS r3, srt.r[(4 * srt.n + 4) / 5] AS r4,
	       srt.f[(srt.n + 4) / 5] AS f1, srt.f[(2 * srt.n + 4) / 5] AS f2,
	       srt.f[(3 * srt.n + 4) / 5] AS f3, srt.f[(4 * srt.n + 4) / 5] AS f4,
	       srt.m[(srt.n + 4) / 5] AS m1, srt.m[(2 * srt.n + 4) / 5] AS m2,
	       srt.m[(3 * srt.n + 4) / 5] AS m3, srt.m[(4 * srt.n + 4) / 5] AS m4
	  FROM srt
)
SELECT x.party_id, x.model,
       (pg_catalog.sign(x.contribution) * pg_catalog.floor(abs(x.contribution * 100) + 0.5) / 100)::numeric(16, 2) AS contribution,
       x.vs, x.vt, x.wt,
       (1 + (x.recency_days < cut.r1)::integer + (x.recency_days < cut.r2)::integer
          + (x.recency_days < cut.r3)::integer + (x.recency_days < cut.r4)::integer)::smallint,
       (1 + (x.frequency > cut.f1)::integer + (x.frequency > cut.f2)::integer
          + (x.frequency > cut.f3)::integer + (x.frequency > cut.f4)::integer)::smallint,
       (1 + (x.contribution > cut.m1)::integer + (x.contribution > cut.m2)::integer
          + (x.contribution > cut.m3)::integer + (x.contribution > cut.m4)::integer)::smallint,
       (pg_catalog.sign(x.clv) * pg_catalog.floor(abs(x.clv * 100) + 0.5) / 100)::numeric(16, 2),
       x.aum, x.ret, x.growth, x.potential, x.recency_days, x.frequency, x.products
  FROM x CROSS JOIN cut;
END;
COMMENT ON FUNCTION score_reference.score_preview_sql(text, date) IS
	'score_preview() in SQL: the reference of the scoring engine';

-- how many parties the engine and this query score differently: money by
-- more than a cent, any other column at all (ratios beyond rounding); a
-- party scored by one side only counts everywhere
CREATE FUNCTION score_reference.differences(model text, as_of date)
RETURNS TABLE (parties bigint, money_differing bigint, scores_differing bigint, ratios_differing bigint)
LANGUAGE sql STABLE
BEGIN ATOMIC
SELECT count(*),
       count(*) FILTER (WHERE (abs(e.contribution - r.contribution) <= 0.01 AND abs(e.clv - r.clv) <= 0.01) IS NOT TRUE),
       count(*) FILTER (WHERE (e.value_score, e.value_tier, e.wealth_tier, e.rfm_r, e.rfm_f, e.rfm_m, e.aum,
                               e.recency_days, e.frequency, e.products, e.retention)
                              IS DISTINCT FROM
                              (r.value_score, r.value_tier, r.wealth_tier, r.rfm_r, r.rfm_f, r.rfm_m, r.aum,
                               r.recency_days, r.frequency, r.products, r.retention)
                           OR e.party_id IS NULL OR r.party_id IS NULL),
       count(*) FILTER (WHERE (abs(e.growth - r.growth) <= 1e-9 AND abs(e.potential - r.potential) <= 1e-12) IS NOT TRUE)
  FROM bankcrm.score_preview(differences.model, differences.as_of) e
  FULL JOIN score_reference.score_preview_sql(differences.model, differences.as_of) r USING (party_id, model);
END;
COMMENT ON FUNCTION score_reference.differences(text, date) IS
	'Parties that the engine (score_preview) and the SQL reference score differently, by kind of column';
