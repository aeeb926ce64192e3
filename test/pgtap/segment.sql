-- test/pgtap/segment.sql: segmentation on the ci-size synthetic bank: schema
-- contract, hostile rules, completeness of previews and refreshes, privileges
-- and row-level security
BEGIN;
SELECT plan(46);

-- the contract other parts and BI tools rely on
SELECT has_table('bankcrm', 'segment', 'segment exists');
SELECT has_table('bankcrm', 'segment_member', 'segment_member exists');
SELECT has_table('bankcrm', 'segment_history', 'segment_history exists');
SELECT col_is_pk('bankcrm', 'segment', 'segment_id', 'segment_id is the key of segment');
SELECT col_is_pk('bankcrm', 'segment_member', ARRAY['segment_id', 'party_id'], 'one membership row per segment and party');
SELECT columns_are('bankcrm', 'segment_members',
	ARRAY['segment_id', 'segment', 'party_id', 'joined_at', 'kind', 'name_masked', 'status', 'region_code',
	      'home_branch_id', 'consent_marketing', 'do_not_contact'], 'segment_members columns');
SELECT columns_are('bankcrm', 'segment_sizes',
	ARRAY['segment_id', 'name', 'kind', 'members', 'last_joined', 'last_left', 'refreshed_at'], 'segment_sizes columns');
SELECT columns_are('bankcrm', 'party_features',
	ARRAY['party_id', 'kind', 'status', 'gender', 'age', 'industry', 'region_code', 'education', 'occupation',
	      'life_stage', 'wealth_source', 'involvement', 'product_lifecycle', 'credit_rating', 'rating_notch',
	      'rating_band', 'home_branch_id', 'onboarded_on', 'tenure_years', 'aum', 'loans', 'turnover',
	      'products_held', 'products', 'product_categories', 'contribution', 'value_score', 'value_tier',
	      'wealth_tier', 'rfm_r', 'rfm_f', 'rfm_m', 'clv', 'days_since_last_contact', 'consent_marketing',
	      'do_not_contact', 'group_id', 'group_kind', 'group_members', 'group_aum', 'group_loans',
	      'group_contribution', 'group_value_score', 'wallet_share'], 'party_features columns: no name, phone or birth date');
SELECT function_returns('bankcrm', 'segment_check_rule', ARRAY['text'], 'boolean', 'segment_check_rule returns boolean');
SELECT volatility_is('bankcrm', 'segment_check_rule', ARRAY['text'], 'stable', 'the checker reads the catalogs: stable');
SELECT volatility_is('bankcrm', 'segment_preview', ARRAY['text'], 'stable', 'preview is stable');
SELECT volatility_is('bankcrm', 'segment_refresh', ARRAY['bigint'], 'volatile', 'refresh is volatile');
SELECT is_definer('bankcrm', 'segment_refresh', ARRAY['bigint'], 'refresh sees every party');
SELECT isnt_definer('bankcrm', 'segment_preview', ARRAY['text'], 'preview runs as the caller');

-- hostile rules are refused with their SQLSTATE
SELECT throws_ok($$SELECT bankcrm.segment_check_rule('true; DROP TABLE bankcrm.party')$$, '42601', NULL, 'a second statement');
SELECT throws_ok($$SELECT bankcrm.segment_check_rule('1) FROM pg_class --')$$, '42601', NULL, 'a comment');
SELECT throws_ok($$SELECT bankcrm.segment_check_rule('pg_sleep(5) IS NULL')$$, '42501', NULL, 'pg_sleep');
SELECT throws_ok($$SELECT bankcrm.segment_check_rule('aum > (SELECT max(aum) FROM bankcrm.party_features)')$$, '42501', NULL, 'a subquery');
SELECT throws_ok($$SELECT bankcrm.segment_check_rule('ctid IS NOT NULL')$$, '42501', NULL, 'a system column');
SELECT throws_ok($$SELECT bankcrm.segment_check_rule('name LIKE ''W%''')$$, '42703', NULL, 'a column outside party_features');
SELECT throws_ok($$SELECT bankcrm.segment_check_rule('aum * 2')$$, '42804', NULL, 'a non-boolean rule');
SELECT throws_ok($$SELECT bankcrm.segment_check_rule(repeat('age = 1 OR ', 400) || 'true')$$, '54001', NULL, 'a rule too big');
SELECT throws_ok($$INSERT INTO bankcrm.segment (name, kind, rule) VALUES ('tap bad', 'rule', 'random() < 0.5')$$,
	'42501', NULL, 'an invalid rule cannot be saved');

-- none missed: a preview lists exactly the parties the hand-written query finds
SELECT set_eq(
	$$SELECT party_id FROM bankcrm.segment_preview('kind = ''individual'' AND region_code = ''CN-SH'' AND aum >= 500000 AND NOT products && ARRAY[''WM_MONEY_MARKET'', ''WM_STRUCTURED'', ''WM_PB_MANDATE'']')$$,
	$$SELECT p.party_id FROM bankcrm.party p
	   WHERE p.kind = 'individual' AND p.region_code = 'CN-SH'
	     AND (SELECT COALESCE(sum(h.balance), 0) FROM bankcrm.holding h JOIN bankcrm.product pr USING (product_id)
	           WHERE h.party_id = p.party_id AND h.closed_on IS NULL
	             AND pr.category IN ('deposit', 'wealth', 'insurance')) >= 500000
	     AND NOT EXISTS (SELECT 1 FROM bankcrm.holding h JOIN bankcrm.product pr USING (product_id)
	                      WHERE h.party_id = p.party_id AND h.closed_on IS NULL
	                        AND pr.code IN ('WM_MONEY_MARKET', 'WM_STRUCTURED', 'WM_PB_MANDATE'))$$,
	'preview: affluent Shanghai individuals without a wealth product, none missed');
SELECT set_eq(
	$$SELECT party_id FROM bankcrm.segment_preview('status = ''prospect'' AND occupation = ''individual_merchant''')$$,
	$$SELECT party_id FROM bankcrm.party WHERE status = 'prospect' AND occupation = 'individual_merchant'$$,
	'preview: a prospect list of merchants, none missed');
SELECT ok((SELECT count(*) FROM bankcrm.segment_preview('status = ''prospect''')) > 0, 'the synthetic bank has prospects');

-- refresh writes the same set, then only differences
INSERT INTO bankcrm.segment (segment_id, name, kind, rule) VALUES
	(990001, 'tap shanghai affluent', 'rule', 'kind = ''individual'' AND region_code = ''CN-SH'' AND aum >= 500000'),
	(990002, 'tap shanghai', 'rule', 'region_code = ''CN-SH''');
SELECT results_eq('SELECT total, joined, "left" FROM bankcrm.segment_refresh(990001)',
	'SELECT count(*), count(*), 0::bigint FROM bankcrm.segment_preview(''kind = ''''individual'''' AND region_code = ''''CN-SH'''' AND aum >= 500000'')',
	'first refresh: everyone joins');
SELECT set_eq('SELECT party_id FROM bankcrm.segment_member WHERE segment_id = 990001',
	'SELECT party_id FROM bankcrm.segment_preview(''kind = ''''individual'''' AND region_code = ''''CN-SH'''' AND aum >= 500000'')',
	'members are the preview');
SELECT results_eq('SELECT joined, "left" FROM bankcrm.segment_refresh(990001)', 'VALUES (0::bigint, 0::bigint)',
	'a second refresh changes nothing');
UPDATE bankcrm.segment SET rule = 'kind = ''individual'' AND region_code = ''CN-SH'' AND aum >= 1000000' WHERE segment_id = 990001;
SELECT results_eq('SELECT joined, "left", total FROM bankcrm.segment_refresh(990001)',
	$$SELECT 0::bigint,
	         (SELECT count(*) FROM bankcrm.party_features WHERE kind = 'individual' AND region_code = 'CN-SH' AND aum >= 500000 AND aum < 1000000),
	         (SELECT count(*) FROM bankcrm.party_features WHERE kind = 'individual' AND region_code = 'CN-SH' AND aum >= 1000000)$$,
	'a stricter rule: only leavers');
SELECT is((SELECT count(*) FROM bankcrm.segment_history WHERE segment_id = 990001 AND change = 'left'),
	(SELECT count(*) FROM bankcrm.party_features WHERE kind = 'individual' AND region_code = 'CN-SH' AND aum >= 500000 AND aum < 1000000),
	'every leaver is in the history');
SELECT lives_ok('SELECT bankcrm.segment_refresh(990002)', 'refresh a bigger segment');
SELECT results_eq('SELECT only_a, "both" FROM bankcrm.segment_overlap(990001, 990002)',
	'SELECT 0::bigint, (SELECT count(*) FROM bankcrm.segment_member WHERE segment_id = 990001)',
	'the affluent segment lies inside the Shanghai segment');

-- privileges and row-level security
CREATE ROLE seg_rm LOGIN IN ROLE bankcrm_rm;
CREATE ROLE seg_mgr LOGIN IN ROLE bankcrm_manager;
CREATE ROLE seg_analyst LOGIN IN ROLE bankcrm_analyst;
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, db_role)
SELECT 990001, 'Segment RM', 'rm', min(branch_id), 'seg_rm' FROM bankcrm.branch;
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, db_role)
SELECT 990002, 'Segment manager', 'branch_manager', min(branch_id), 'seg_mgr' FROM bankcrm.branch;
-- the RM covers three Shanghai parties of the segment
INSERT INTO bankcrm.coverage (party_id, staff_id, role)
SELECT party_id, 990001, 'farmer' FROM bankcrm.segment_member WHERE segment_id = 990002 ORDER BY party_id LIMIT 3;

SET LOCAL ROLE seg_rm;
SELECT is((SELECT count(*) FROM bankcrm.segment_members WHERE segment_id = 990002), 3::bigint,
	'an RM sees only the members it covers');
SELECT is((SELECT count(*) FROM bankcrm.segment_member WHERE segment_id = 990002), 3::bigint,
	'row-level security applies to segment_member');
SELECT is((SELECT count(*) FROM bankcrm.segment_preview('region_code = ''CN-SH''')), 3::bigint,
	'an RM''s preview lists only its parties');
SELECT is((SELECT members FROM bankcrm.segment_sizes WHERE segment_id = 990002), 3::bigint,
	'segment sizes count only the members the RM may see (test/pgtap/segment_leak.sql)');
SELECT ok((SELECT count(*) FROM bankcrm.segment WHERE segment_id = 990002) = 1, 'an RM reads segment definitions');
SELECT throws_ok($$INSERT INTO bankcrm.segment (name, kind, rule) VALUES ('tap rm', 'rule', 'aum > 0')$$, '42501', NULL,
	'an RM cannot create a segment');
SELECT throws_ok('SELECT bankcrm.segment_refresh(990002)', '42501', NULL, 'an RM cannot refresh a segment');
RESET ROLE;

SET LOCAL ROLE seg_analyst;
SELECT lives_ok('SELECT * FROM bankcrm.segment_sizes', 'an analyst reads segment sizes');
SELECT lives_ok('SELECT * FROM bankcrm.segment_overlap(990001, 990002)', 'an analyst reads overlaps');
SELECT throws_ok('SELECT count(*) FROM bankcrm.segment_member', '42501', NULL, 'an analyst cannot list members');
SELECT throws_ok('SELECT count(*) FROM bankcrm.party_features', '42501', NULL, 'an analyst cannot read party features');
RESET ROLE;

SET LOCAL ROLE seg_mgr;
SELECT lives_ok($$INSERT INTO bankcrm.segment (segment_id, name, kind, rule) VALUES (990003, 'tap manager', 'rule', 'region_code = ''CN-SH''')$$,
	'a manager creates a segment');
SELECT results_eq('SELECT total FROM bankcrm.segment_refresh(990003)',
	'SELECT members FROM bankcrm.segment_sizes WHERE segment_id = 990002',
	'a manager''s refresh is complete, not limited to the manager''s parties');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
