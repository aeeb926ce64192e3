-- segment: rule, tier, pareto and RFM segments; preview, refresh, history,
-- sizes and overlap
SET search_path = bankcrm, public;
\set SHOW_CONTEXT never

-- a small bank of its own: region ZZ-SEG, products SEGT_*, model segtest
INSERT INTO region VALUES ('ZZ-SEG', 'Segment city', 'Segment province');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (9201, 'SEG-1', 'Segment branch', 'ZZ-SEG');
INSERT INTO product (product_id, code, name, category) VALUES
	(9201, 'SEGT_DEP', 'Segment test deposit', 'deposit'),
	(9202, 'SEGT_WM', 'Segment test wealth product', 'wealth'),
	(9203, 'SEGT_LOAN', 'Segment test loan', 'loan');
INSERT INTO party (party_id, kind, name, region_code, birth_date, occupation, status, home_branch_id,
                   onboarded_on, annual_turnover, credit_rating, consent_marketing, do_not_contact) VALUES
	(9200000001, 'individual', '王芳', 'ZZ-SEG', (CURRENT_DATE - interval '40 years 1 day')::date, 'professional', 'active', 9201,
	 (CURRENT_DATE - interval '12 years 1 day')::date, NULL, NULL, true, false),
	(9200000002, 'individual', '李娜', 'ZZ-SEG', (CURRENT_DATE - interval '35 years 1 day')::date, 'executive', 'active', 9201,
	 (CURRENT_DATE - interval '3 years 1 day')::date, NULL, NULL, true, false),
	(9200000003, 'individual', '张伟', 'ZZ-SEG', (CURRENT_DATE - interval '28 years 1 day')::date, 'individual_merchant', 'prospect', 9201,
	 NULL, 6000000, NULL, true, false),
	(9200000004, 'corporate', '华东机械有限公司', 'ZZ-SEG', (CURRENT_DATE - interval '25 years 1 day')::date, NULL, 'active', 9201,
	 (CURRENT_DATE - interval '16 years 1 day')::date, 20000000, 'A', false, false),
	(9200000005, 'individual', '刘洋', 'ZZ-SEG', (CURRENT_DATE - interval '52 years 1 day')::date, 'retired', 'active', 9201,
	 (CURRENT_DATE - interval '20 years 1 day')::date, NULL, NULL, true, false),
	(9200000006, 'individual', '陈静', 'ZZ-SEG', (CURRENT_DATE - interval '61 years 1 day')::date, 'business_owner', 'dormant', 9201,
	 (CURRENT_DATE - interval '8 years 1 day')::date, NULL, NULL, false, true);
INSERT INTO holding (holding_id, party_id, product_id, balance, opened_on) VALUES
	(9200000001, 9200000001, 9201, 800000, '2020-01-01'),
	(9200000002, 9200000002, 9201, 300000, '2021-01-01'),
	(9200000003, 9200000002, 9202, 400000, '2021-01-01'),
	(9200000004, 9200000004, 9203, 5000000, '2019-01-01'),
	(9200000005, 9200000004, 9201, 900000, '2019-01-01'),
	(9200000006, 9200000005, 9201, 100000, '2015-01-01'),
	(9200000007, 9200000006, 9201, 900000, '2016-01-01');
INSERT INTO contact (party_id, channel, outcome, occurred_at) VALUES
	(9200000001, 'phone_out', 'answered', pg_catalog.now() - interval '10 days'),
	(9200000001, 'branch', 'completed', pg_catalog.now() - interval '200 days');
INSERT INTO score_model
SELECT (jsonb_populate_record(NULL::score_model,
        to_jsonb(m) || '{"model": "segtest", "is_default": false, "builtin": false}')).*
  FROM score_model m WHERE m.is_default;
INSERT INTO party_score (party_id, model, contribution, value_score, value_tier, wealth_tier, rfm_r, rfm_f, rfm_m, clv, aum)
SELECT s.party_id, m.model, s.contribution, s.value_score, s.value_tier, s.wealth_tier, s.rfm_r, s.rfm_f, s.rfm_m, s.clv, s.aum
  FROM (VALUES
	(9200000001, 24000.00, 720, 'key', 'affluent', 5, 4, 5, 180000.00, 800000.00),
	(9200000002, 9000.00, 510, 'general', 'affluent', 3, 3, 4, 70000.00, 700000.00),
	(9200000003, 0.00, 300, 'scattered', 'mass', 1, 1, 1, 0.00, 0.00),
	(9200000004, 61000.00, 880, 'key', NULL, 4, 5, 5, 420000.00, 900000.00),
	(9200000005, 800.00, 220, 'scattered', 'mass', 2, 2, 2, 5000.00, 100000.00),
	(9200000006, 2500.00, 260, 'general', 'affluent', 1, 1, 3, 9000.00, 900000.00))
	AS s (party_id, contribution, value_score, value_tier, wealth_tier, rfm_r, rfm_f, rfm_m, clv, aum),
       score_model m
 WHERE m.is_default OR m.model = 'segtest';

-- the features rules see
SELECT party_id, kind, status, age, tenure_years, aum, loans, turnover, products_held, products,
       product_categories, value_tier, wealth_tier, rfm_r, days_since_last_contact, rating_notch, rating_band
  FROM party_features WHERE region_code = 'ZZ-SEG' ORDER BY party_id;

-- preview: affluent individuals without a wealth product
SELECT * FROM segment_preview($$region_code = 'ZZ-SEG' AND kind = 'individual' AND aum >= 500000
                               AND NOT products && ARRAY['SEGT_WM']$$);
-- none missed: the preview equals the hand-written query over the base tables
SELECT count(*) AS differences FROM (
	(SELECT party_id FROM segment_preview($$region_code = 'ZZ-SEG' AND kind = 'individual' AND aum >= 500000
	                                        AND NOT products && ARRAY['SEGT_WM']$$)
	 EXCEPT
	 SELECT p.party_id FROM party p
	  WHERE p.region_code = 'ZZ-SEG' AND p.kind = 'individual'
	    AND (SELECT COALESCE(sum(h.balance), 0) FROM holding h JOIN product pr USING (product_id)
	          WHERE h.party_id = p.party_id AND h.closed_on IS NULL
	            AND pr.category IN ('deposit', 'wealth', 'insurance')) >= 500000
	    AND NOT EXISTS (SELECT 1 FROM holding h JOIN product pr USING (product_id)
	                     WHERE h.party_id = p.party_id AND h.closed_on IS NULL AND pr.code = 'SEGT_WM'))
	UNION ALL
	(SELECT p.party_id FROM party p
	  WHERE p.region_code = 'ZZ-SEG' AND p.kind = 'individual'
	    AND (SELECT COALESCE(sum(h.balance), 0) FROM holding h JOIN product pr USING (product_id)
	          WHERE h.party_id = p.party_id AND h.closed_on IS NULL
	            AND pr.category IN ('deposit', 'wealth', 'insurance')) >= 500000
	    AND NOT EXISTS (SELECT 1 FROM holding h JOIN product pr USING (product_id)
	                     WHERE h.party_id = p.party_id AND h.closed_on IS NULL AND pr.code = 'SEGT_WM')
	 EXCEPT
	 SELECT party_id FROM segment_preview($$region_code = 'ZZ-SEG' AND kind = 'individual' AND aum >= 500000
	                                        AND NOT products && ARRAY['SEGT_WM']$$))) d;
-- a prospect list
SELECT party_id, kind, status FROM segment_preview($$region_code = 'ZZ-SEG' AND status = 'prospect' AND turnover >= 5000000$$);
-- preview checks the rule first
SELECT * FROM segment_preview('region_code = ''ZZ-SEG'' OR pg_sleep(1) IS NULL');

-- segments of every kind
INSERT INTO segment (segment_id, name, kind, rule, description) VALUES
	(9201, 'segtest affluent without wealth product', 'rule',
	 $$region_code = 'ZZ-SEG' AND kind = 'individual' AND aum >= 500000 AND NOT products && ARRAY['SEGT_WM']$$,
	 'Affluent individuals to offer a wealth product'),
	(9202, 'segtest merchant prospects', 'rule',
	 $$region_code = 'ZZ-SEG' AND status = 'prospect' AND turnover >= 5000000$$, 'Walk-in merchants to follow up');
INSERT INTO segment (segment_id, name, kind, params) VALUES
	(9203, 'segtest key and general', 'tier', '{"model": "segtest", "value_tier": ["key", "general"]}'),
	(9204, 'segtest affluent', 'tier', '{"model": "segtest", "wealth_tier": ["affluent"], "value_tier": ["key", "general"]}'),
	(9205, 'segtest top half', 'pareto', '{"model": "segtest", "share": 0.5}'),
	(9206, 'segtest top third by clv', 'pareto', '{"model": "segtest", "share": 0.34, "measure": "clv"}'),
	(9207, 'segtest champions', 'rfm', '{"model": "segtest", "min_r": 4, "min_m": 4}'),
	(9208, 'segtest sleepers', 'rfm', '{"model": "segtest", "max_r": 1}');
SELECT segment_id, name, kind, rule IS NOT NULL AS has_rule, params, refreshed_at IS NULL AS never_refreshed
  FROM segment WHERE segment_id BETWEEN 9201 AND 9299 ORDER BY segment_id;

-- an invalid rule or parameter set cannot be saved
INSERT INTO segment (name, kind, rule) VALUES ('segtest bad', 'rule', 'aum > 0; DELETE FROM bankcrm.party');
INSERT INTO segment (name, kind, rule) VALUES ('segtest bad', 'rule', 'aum > (SELECT 0)');
\set VERBOSITY terse
INSERT INTO segment (name, kind) VALUES ('segtest bad', 'rule');
INSERT INTO segment (name, kind, rule, params) VALUES ('segtest bad', 'tier', 'aum > 0', '{"value_tier": ["key"]}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'cohort', '{}');
\set VERBOSITY default
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'tier', '{}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'tier', '{"value_tier": ["gold"]}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'tier', '{"wealth_tier": "hnw"}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'pareto', '{"share": 1.5}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'pareto', '{"share": 0.2, "measure": "age"}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'rfm', '{"min_r": 6}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'rfm', '{"min_x": 3}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'rfm', '{}');
INSERT INTO segment (name, kind, params) VALUES ('segtest bad', 'pareto', '[0.2]');
INSERT INTO segment (name, kind, rule) VALUES ('segtest affluent', 'rule', 'aum > 0');
UPDATE segment SET rule = 'aum > 0 -- and more' WHERE segment_id = 9201;

-- refresh: everyone joins
SELECT s.segment_id, r.* FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.segment_id BETWEEN 9201 AND 9299 ORDER BY s.segment_id;
SELECT segment_id, party_id FROM segment_member WHERE segment_id BETWEEN 9201 AND 9299 ORDER BY 1, 2;
-- refreshing again changes nothing
SELECT * FROM segment_refresh(9201);
-- party 5 becomes affluent, party 6 closes its deposit: one joins, one leaves
INSERT INTO holding (holding_id, party_id, product_id, balance, opened_on) VALUES (9200000008, 9200000005, 9201, 450000, CURRENT_DATE);
UPDATE holding SET closed_on = CURRENT_DATE WHERE holding_id = 9200000007;
SELECT * FROM segment_refresh(9201);
SELECT m.party_id, m.joined_at = s.refreshed_at AS joined_at_last_refresh
  FROM segment_member m JOIN segment s USING (segment_id) WHERE m.segment_id = 9201 ORDER BY m.party_id;
SELECT h.party_id, h.change, h.at = s.refreshed_at AS at_last_refresh
  FROM segment_history h JOIN segment s USING (segment_id) WHERE h.segment_id = 9201 ORDER BY h.at, h.change, h.party_id;
-- a changed rule takes effect at the next refresh
UPDATE segment SET rule = $$region_code = 'ZZ-SEG' AND kind = 'individual' AND aum >= 500000$$ WHERE segment_id = 9201;
SELECT * FROM segment_refresh(9201);
SELECT * FROM segment_refresh_all() WHERE segment_id BETWEEN 9201 AND 9299;

-- sizes, overlap and the member view
SELECT segment_id, name, kind, members, last_joined, last_left, refreshed_at IS NOT NULL AS refreshed
  FROM segment_sizes WHERE segment_id BETWEEN 9201 AND 9299 ORDER BY segment_id;
SELECT * FROM segment_overlap(9201, 9204);
SELECT * FROM segment_overlap(9201, 9202);
SELECT * FROM segment_overlap(9201, 9201);
SELECT segment_id, segment, party_id, kind, name_masked, status, region_code, consent_marketing, do_not_contact
  FROM segment_members WHERE segment_id = 9201 ORDER BY party_id;

-- errors
SELECT * FROM segment_refresh(9299);
SELECT * FROM segment_overlap(9201, 9299);
-- without a default score model, rules see no scores and the other kinds need a model
BEGIN;
UPDATE score_model SET is_default = false WHERE is_default;
SELECT party_id, value_tier FROM segment_preview($$region_code = 'ZZ-SEG' AND value_tier IS NULL$$);
INSERT INTO segment (segment_id, name, kind, params) VALUES (9209, 'segtest default tiers', 'tier', '{"value_tier": ["key"]}');
SELECT * FROM segment_refresh(9209);
ROLLBACK;
INSERT INTO segment (segment_id, name, kind, params) VALUES (9209, 'segtest missing model', 'tier', '{"model": "nosuch", "value_tier": ["key"]}');
SELECT * FROM segment_refresh(9209);

-- deleting a segment deletes its members and history
DELETE FROM segment WHERE segment_id IN (9201, 9209);
SELECT count(*) AS members, (SELECT count(*) FROM segment_history WHERE segment_id = 9201) AS history
  FROM segment_member WHERE segment_id = 9201;

-- volatility, strictness, parallel safety and security of the functions
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel, p.prosecdef
  FROM pg_proc p
 WHERE p.pronamespace = 'bankcrm'::regnamespace AND p.proname LIKE 'segment%'
 ORDER BY 1::text;
