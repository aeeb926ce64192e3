-- score_partitioned: the scoring engine reads through the executor, so
-- score_all gives the same party_score, score_history and product_affinity
-- when holding, contact and activity_weekly are partitioned by month
-- (native declarative partitioning) as when they are plain tables
-- a fresh extension: earlier suites leave rows in the same database
SET client_min_messages = warning;
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm;
CREATE EXTENSION bankcrm;
RESET client_min_messages;
SET search_path = bankcrm, public;
-- a synthetic bank of 3 000 parties, made set-based and deterministically
INSERT INTO region VALUES ('ZZ-PT', 'Partition city', 'Partition province');
INSERT INTO product (product_id, code, name, category) VALUES
	(1, 'DEP', 'Demand deposit', 'deposit'), (2, 'LOAN', 'Business loan', 'loan'),
	(3, 'WM', 'Money-market fund', 'wealth'), (4, 'PAY', 'Acquiring', 'payment'), (5, 'CARD', 'Credit card', 'card');
INSERT INTO party (party_id, kind, name, region_code, birth_date, education, occupation, life_stage, credit_rating,
	status, closed_on, onboarded_on, annual_turnover, product_lifecycle)
SELECT i,
       CASE WHEN i % 10 = 0 THEN 'corporate' ELSE 'individual' END,
       'P' || i, 'ZZ-PT',
       date '1950-01-01' + (i * 37) % 20000,
       CASE WHEN i % 10 <> 0 THEN (ARRAY['primary', 'secondary', 'vocational', 'bachelor', 'master', 'doctorate'])[1 + i % 6] END,
       CASE WHEN i % 10 <> 0 THEN (ARRAY['student', 'employee', 'professional', 'individual_merchant', 'retired'])[1 + i % 5] END,
       CASE WHEN i % 10 <> 0 THEN (ARRAY['bachelor', 'newly_married', 'full_nest_1', 'empty_nest'])[1 + i % 4] END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE upgrade('D', (i * 7) % 22) END,
       CASE WHEN i % 17 = 0 THEN 'prospect' WHEN i % 97 = 0 THEN 'closed' ELSE 'active' END,
       CASE WHEN i % 17 <> 0 AND i % 97 = 0 THEN date '2026-01-01' END,
       CASE WHEN i % 17 = 0 THEN NULL ELSE date '2000-01-01' + (i * 13) % 9000 END,
       CASE WHEN i % 10 IN (0, 3) THEN 100000 * (i % 97) END,
       CASE WHEN i % 10 = 0 THEN (ARRAY['introduction', 'growth', 'maturity', 'decline'])[1 + i % 4] END
  FROM generate_series(1, 3000) i;
-- holdings opened over 25 years, some closed; fees on most, so that a
-- party's fees add up over holdings stored in different partitions
INSERT INTO holding (party_id, product_id, balance, rate, fees_ytd, opened_on, closed_on)
SELECT i, 1 + (i + k) % 5, 1000 * ((i * k * 7919) % 997), 0.001 * ((i + k) % 40), (i * k) % 500 + 0.37 * k,
       date '2001-01-01' + (i * k * 31) % 9150,
       CASE WHEN (i + k) % 11 = 0 THEN date '2001-01-01' + (i * k * 31) % 9150 + 400 END
  FROM generate_series(1, 3000) i, generate_series(1, 4) k
 WHERE i % 17 <> 0 AND (i + k) % 4 <> 0;
INSERT INTO contact (party_id, channel, outcome, occurred_at)
SELECT i, (ARRAY['branch', 'phone_out', 'web', 'visit', 'sms'])[1 + (i + k) % 5], 'completed',
       timestamptz '2025-06-01 10:00+08' + ((i * k * 101) % 560) * interval '1 day'
  FROM generate_series(1, 3000) i, generate_series(1, 4) k
 WHERE (i * k) % 3 = 0;
INSERT INTO activity_weekly (party_id, week, txn_volume, txn_count)
SELECT i, date '2026-12-07' - 7 * w, 1000 * i, (i + w) % 50
  FROM generate_series(10, 3000, 10) i, generate_series(0, 70) w;
INSERT INTO party_retention (party_id, retention)
SELECT i, 0.5 + (i % 40) / 100.0 FROM generate_series(5, 3000, 50) i WHERE i % 97 <> 0;
ANALYZE party, holding, contact, activity_weekly, product;

-- what the scores say, without when they were written
CREATE FUNCTION pg_temp.score_digest() RETURNS TABLE (rows bigint, party_score text, score_history text,
	product_affinity text) LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM bankcrm.party_score),
	       (SELECT md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', party_id, model,
	                   contribution, value_score, value_tier, wealth_tier, rfm_r, rfm_f, rfm_m, clv, aum, scored_on,
	                   retention, growth, potential, last_active_on, frequency, products), ','
	                   ORDER BY party_id, model)) FROM bankcrm.party_score),
	       (SELECT md5(string_agg(format('%s', h), ',' ORDER BY party_id, model, scored_on)) FROM bankcrm.score_history h),
	       (SELECT md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', model, kind, value_tier, antecedent_id,
	                   product_id, group_parties, antecedent_parties, product_parties, pair_parties, support, confidence,
	                   lift), ',' ORDER BY model, kind, value_tier, antecedent_id, product_id))
	          FROM bankcrm.product_affinity)
$$;

-- three days on plain tables: the first scores everyone, the next ones
-- change what moved, with the growth reference from the first
SELECT parties, key, general, scattered, mass, affluent, hnw, uhnw, affinity_rows > 0 AS affinity
  FROM score_all(NULL, '2026-10-16');
SELECT parties FROM score_all(NULL, '2026-11-16', false);
SELECT parties FROM score_all(NULL, '2026-12-07');
CREATE TEMP TABLE plain_digest AS SELECT * FROM pg_temp.score_digest();
CREATE TEMP TABLE plain_preview AS SELECT * FROM score_preview(NULL, '2026-12-08');
SELECT rows, score_history IS NOT NULL AS has_history FROM plain_digest;
SELECT count(*) > 0 AS some_growth FROM party_score WHERE growth <> 0;

-- the same bank with holding, contact and activity_weekly partitioned by
-- month: each table is renamed and replaced by a partitioned table of the
-- same name and columns, one partition per month of its rows.  A key of a
-- partitioned table must include the partition key, so the copies get
-- (id, day) keys where the plain tables have id keys.
DO $$
DECLARE
	t record;
	m date;
	hi date;
BEGIN
	FOR t IN SELECT * FROM (VALUES ('holding', 'opened_on', 'holding_id, opened_on'),
	                               ('contact', 'occurred_at', 'contact_id, occurred_at'),
	                               ('activity_weekly', 'week', 'party_id, week')) v (tbl, col, pk) LOOP
		EXECUTE format('ALTER TABLE bankcrm.%I RENAME TO %I', t.tbl, t.tbl || '_plain');
		EXECUTE format('CREATE TABLE bankcrm.%I (LIKE bankcrm.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
		               'PARTITION BY RANGE (%I)', t.tbl, t.tbl || '_plain', t.col);
		EXECUTE format('ALTER TABLE bankcrm.%I ADD PRIMARY KEY (%s)', t.tbl, t.pk);
		EXECUTE format('SELECT date_trunc(''month'', min(%I))::date, max(%I)::date FROM bankcrm.%I',
		               t.col, t.col, t.tbl || '_plain') INTO m, hi;
		WHILE m <= hi LOOP
			EXECUTE format('CREATE TABLE bankcrm.%I PARTITION OF bankcrm.%I FOR VALUES FROM (%L) TO (%L)',
			               t.tbl || '_' || to_char(m, 'YYYYMM'), t.tbl, m, (m + interval '1 month')::date);
			m := m + interval '1 month';
		END LOOP;
		EXECUTE format('INSERT INTO bankcrm.%I SELECT * FROM bankcrm.%I', t.tbl, t.tbl || '_plain');
	END LOOP;
END $$;
-- party_score too, by hash of party_id (as Citus spreads it): score_all
-- then updates a changed row by its key instead of by its ctid
ALTER TABLE party_score RENAME TO party_score_plain;
CREATE TABLE party_score (LIKE party_score_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (party_id);
ALTER TABLE party_score ADD PRIMARY KEY (party_id, model);
CREATE TABLE party_score_0 PARTITION OF party_score FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE party_score_1 PARTITION OF party_score FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE party_score_2 PARTITION OF party_score FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE party_score_3 PARTITION OF party_score FOR VALUES WITH (MODULUS 4, REMAINDER 3);
ANALYZE holding, contact, activity_weekly;
SELECT c.relname, c.relkind, count(i.inhrelid) > 12 AS monthly_partitions,
       (SELECT count(*) FROM pg_inherits i2 JOIN pg_class p ON p.oid = i2.inhrelid WHERE i2.inhparent = c.oid
           AND p.reltuples > 0) > 1 AS rows_spread
  FROM pg_class c LEFT JOIN pg_inherits i ON i.inhparent = c.oid
 WHERE c.relnamespace = 'bankcrm'::regnamespace AND c.relname IN ('holding', 'contact', 'activity_weekly')
 GROUP BY c.oid, c.relname, c.relkind ORDER BY c.relname;
SELECT (SELECT count(*) FROM holding) = (SELECT count(*) FROM holding_plain) AS holdings_copied,
       (SELECT count(*) FROM ONLY holding) AS in_parent;

-- the same three days again, from nothing
SELECT count(*) AS scores_left FROM party_score;
DELETE FROM score_history;
DELETE FROM product_affinity;
SELECT parties, key, general, scattered, mass, affluent, hnw, uhnw, affinity_rows > 0 AS affinity
  FROM score_all(NULL, '2026-10-16');
SELECT parties FROM score_all(NULL, '2026-11-16', false);
SELECT parties FROM score_all(NULL, '2026-12-07');
SELECT p.rows = d.rows AS same_rows, p.party_score = d.party_score AS same_party_score,
       p.score_history = d.score_history AS same_score_history,
       p.product_affinity = d.product_affinity AS same_product_affinity
  FROM plain_digest p, pg_temp.score_digest() d;
-- score_preview too, and a rescore of the last day changes nothing
SELECT count(*) AS differing FROM (
	(SELECT * FROM plain_preview EXCEPT ALL SELECT * FROM score_preview(NULL, '2026-12-08'))
	UNION ALL
	(SELECT * FROM score_preview(NULL, '2026-12-08') EXCEPT ALL SELECT * FROM plain_preview)) x;
SELECT parties FROM score_all(NULL, '2026-12-07', false);
SELECT scores_updated, scores_inserted, scores_deleted, history_inserted, history_updated
  FROM score_run_log ORDER BY run_id DESC LIMIT 1;

-- a party closed meanwhile loses its score, as on plain tables
UPDATE party SET status = 'closed', closed_on = '2026-12-01' WHERE party_id = 12;
SELECT parties FROM score_all(NULL, '2026-12-07', false);
SELECT scores_updated, scores_deleted FROM score_run_log ORDER BY run_id DESC LIMIT 1;
SELECT count(*) FROM party_score WHERE party_id = 12;
SELECT count(*) > 0 AS in_partitions, (SELECT count(*) FROM ONLY party_score) AS in_parent FROM party_score_0;

-- the engine's queries run with search_path pinned to pg_catalog, pg_temp:
-- a look-alike operator planted ahead of pg_catalog is never called
CREATE TABLE public.hostile_calls (what text);
CREATE FUNCTION public.hostile_texteq(text, text) RETURNS boolean LANGUAGE sql
	AS $$ INSERT INTO public.hostile_calls VALUES ('='); SELECT $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hostile_texteq);
SET search_path = public, pg_catalog, bankcrm;
SELECT parties FROM bankcrm.score_all(NULL, '2026-12-07', false);
SELECT count(*) FROM bankcrm.score_preview(NULL, '2026-12-07');
SELECT count(*) AS hostile_calls FROM public.hostile_calls;
SET search_path = bankcrm, public;
DROP OPERATOR public.= (text, text);
DROP FUNCTION public.hostile_texteq(text, text);
DROP TABLE public.hostile_calls;

-- leave a plain extension for the suites that follow
SET client_min_messages = warning;
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm CASCADE;
CREATE EXTENSION bankcrm;
RESET client_min_messages;
