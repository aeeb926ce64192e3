-- relationship_group: households and corporate groups from party_relation,
-- kept as relations change; cycles, self-relations and closed parties;
-- the rollups, the customer 360 and guarantor chains
SET search_path = bankcrm, public;
\set SHOW_CONTEXT never

INSERT INTO region VALUES ('ZZ-GRP', 'Group city', 'Group province');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (9401, 'GRP-1', 'Group branch', 'ZZ-GRP');
INSERT INTO staff (staff_id, name, role_kind, branch_id) VALUES (9401, '周经理', 'rm', 9401), (9402, '吴经理', 'rm', 9401);
INSERT INTO product (product_id, code, name, category) VALUES
	(9401, 'GRPT_DEP', 'Group test deposit', 'deposit'),
	(9402, 'GRPT_LOAN', 'Group test loan', 'loan'),
	(9403, 'GRPT_WM', 'Group test wealth product', 'wealth');
-- 1-3 a family; 4-6 a household whose relations go round in a circle;
-- 10-13 a parent company, two subsidiaries and one of theirs; 20-22 a
-- company, its parent and the owner's household (mixed); 30-32 a chain
-- through 31; 33 closed; 40-43 guarantors
INSERT INTO party (party_id, kind, name, region_code, status, home_branch_id, closed_on)
SELECT 9400000000 + i, CASE WHEN i IN (10, 11, 12, 13, 20, 21, 40, 41, 42) THEN 'corporate' ELSE 'individual' END,
       '关系' || i, 'ZZ-GRP', CASE WHEN i = 33 THEN 'closed' ELSE 'active' END, 9401,
       CASE WHEN i = 33 THEN DATE '2025-01-01' END
  FROM unnest(ARRAY[1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 33, 34, 40, 41, 42, 43]) i;
INSERT INTO party_relation (party_id, related_party_id, kind) VALUES
	(9400000001, 9400000002, 'household'), (9400000003, 9400000002, 'household'),
	(9400000004, 9400000005, 'household'), (9400000005, 9400000006, 'household'), (9400000006, 9400000004, 'household'),
	(9400000011, 9400000010, 'parent_company'), (9400000012, 9400000010, 'parent_company'),
	(9400000013, 9400000012, 'parent_company'),
	(9400000020, 9400000021, 'parent_company'), (9400000022, 9400000021, 'household'),
	(9400000030, 9400000031, 'household'), (9400000031, 9400000032, 'household'),
	(9400000034, 9400000033, 'household'),
	-- referrals and guarantees do not make groups
	(9400000003, 9400000010, 'referral'), (9400000041, 9400000040, 'guarantor'),
	(9400000042, 9400000041, 'guarantor'), (9400000040, 9400000042, 'guarantor'),
	(9400000042, 9400000043, 'guarantor');
SELECT party_id - 9400000000 AS party, group_id - 9400000000 AS grp, kind, members
  FROM relationship_group WHERE party_id BETWEEN 9400000000 AND 9499999999 ORDER BY party_id;

-- a party cannot relate to itself
INSERT INTO party_relation (party_id, related_party_id, kind) VALUES (9400000001, 9400000001, 'household');

-- relations change: the child leaves, the circle loses one side (still
-- one group), 13 becomes a referral, 31 closes (the chain breaks) and 34's
-- relation to the closed 33 makes no group until 33 reopens
DELETE FROM party_relation WHERE party_id = 9400000003 AND related_party_id = 9400000002;
DELETE FROM party_relation WHERE party_id = 9400000006 AND related_party_id = 9400000004;
UPDATE party_relation SET kind = 'referral' WHERE party_id = 9400000013 AND kind = 'parent_company';
UPDATE party SET status = 'closed', closed_on = '2026-01-01' WHERE party_id = 9400000031;
UPDATE party SET status = 'active', closed_on = NULL WHERE party_id = 9400000033;
SELECT party_id - 9400000000 AS party, group_id - 9400000000 AS grp, kind, members
  FROM relationship_group WHERE party_id BETWEEN 9400000000 AND 9499999999 ORDER BY party_id;
-- 31 reopens; a relation joins two groups into one
UPDATE party SET status = 'dormant', closed_on = NULL WHERE party_id = 9400000031;
INSERT INTO party_relation (party_id, related_party_id, kind) VALUES (9400000032, 9400000002, 'household');
SELECT party_id - 9400000000 AS party, group_id - 9400000000 AS grp, kind, members
  FROM relationship_group WHERE party_id IN (9400000001, 9400000002, 9400000030, 9400000031, 9400000032)
 ORDER BY party_id;
-- a deleted party leaves its group
DELETE FROM party WHERE party_id = 9400000001;
SELECT party_id - 9400000000 AS party, group_id - 9400000000 AS grp, members
  FROM relationship_group WHERE party_id IN (9400000002, 9400000030, 9400000031, 9400000032) ORDER BY party_id;

-- the full recomputation finds exactly what the triggers kept
SELECT * FROM relationship_group_refresh() WHERE false;
CREATE TEMP TABLE kept AS SELECT party_id, group_id, kind, members FROM relationship_group;
SELECT (SELECT r.groups FROM relationship_group_refresh() r) > 0 AS refreshed,
       (SELECT count(*) FROM (SELECT party_id, group_id, kind, members FROM relationship_group
                              EXCEPT SELECT * FROM kept) d) AS new_rows,
       (SELECT count(*) FROM (SELECT * FROM kept
                              EXCEPT SELECT party_id, group_id, kind, members FROM relationship_group) d) AS gone_rows;

-- rollups: balances, scores, the lead member's RM, products held by anyone
INSERT INTO holding (holding_id, party_id, product_id, balance, opened_on) VALUES
	(9400000001, 9400000002, 9401, 300000, '2020-01-01'),
	(9400000002, 9400000030, 9403, 900000, '2020-01-01'),
	(9400000003, 9400000031, 9402, 200000, '2020-01-01'),
	(9400000004, 9400000010, 9401, 5000000, '2020-01-01'),
	(9400000005, 9400000011, 9402, 2000000, '2020-01-01'),
	(9400000006, 9400000041, 9402, 700000, '2020-01-01'),
	(9400000007, 9400000042, 9402, 400000, '2020-01-01'),
	(9400000008, 9400000040, 9402, 100000, '2020-01-01');
INSERT INTO coverage (party_id, staff_id, role) VALUES (9400000030, 9401, 'primary_rm'), (9400000010, 9402, 'primary_rm');
INSERT INTO party_score (party_id, model, contribution, value_score, value_tier, wealth_tier, rfm_r, rfm_f, rfm_m, clv, aum)
SELECT s.party_id, m.model, s.contribution, s.value_score, 'general', 'mass', 3, 3, 3, s.contribution * 5, 0
  FROM (VALUES (9400000002, 1000, 300), (9400000030, 5000, 600), (9400000031, 800, 250),
               (9400000010, 40000, 900), (9400000011, 9000, 500)) s(party_id, contribution, value_score),
       score_model m
 WHERE m.is_default;
SELECT group_id - 9400000000 AS grp, kind, members, aum, loans, contribution, clv, value_score, top_value_score,
       lead_party_id - 9400000000 AS lead, primary_rm, products, value_tier, wealth_tier
  FROM relationship_group_rollup WHERE group_id BETWEEN 9400000000 AND 9499999999 ORDER BY group_id;

-- the customer 360 shows the group
SELECT party_id - 9400000000 AS party, group_id - 9400000000 AS grp, group_kind, group_members
  FROM party_360 WHERE party_id IN (9400000002, 9400000011, 9400000034, 9400000043) ORDER BY party_id;

-- guarantor chains: 40 stands behind 41, 41 behind 42, 42 behind 40 (a
-- circle, cut where it would come back) and 43 behind 42
SELECT guarantor_id - 9400000000 AS guarantor, party_id - 9400000000 AS party, depth,
       ARRAY(SELECT x - 9400000000 FROM unnest(path) x) AS path, loans
  FROM guarantor_chain WHERE guarantor_id BETWEEN 9400000000 AND 9499999999 ORDER BY 1, 3, 2;
SELECT guarantor_id - 9400000000 AS guarantor, direct_parties, parties, longest_chain, exposure
  FROM guarantor_exposure WHERE guarantor_id BETWEEN 9400000000 AND 9499999999 ORDER BY 1;

-- an application writes relations without rights on relationship_group:
-- the upkeep runs as the extension's owner
SET ROLE bankcrm_app;
INSERT INTO party_relation (party_id, related_party_id, kind) VALUES (9400000043, 9400000034, 'household');
RESET ROLE;
SELECT party_id - 9400000000 AS party, group_id - 9400000000 AS grp, members
  FROM relationship_group WHERE party_id IN (9400000033, 9400000034, 9400000043) ORDER BY 1;

-- wallet share where the bank knows what a party holds in all
INSERT INTO wallet_estimate (party_id, total_assets, source, estimated_on) VALUES
	(9400000002, 1200000, 'kyc', '2026-01-15'), (9400000030, 1000000, 'rm_estimate', '2026-03-01');
SELECT party_id - 9400000000 AS party, aum, group_id - 9400000000 AS grp, group_kind, group_members,
       group_aum, group_loans, group_contribution, group_value_score, wallet_share
  FROM party_features WHERE party_id IN (9400000002, 9400000030, 9400000031, 9400000010, 9400000043) ORDER BY party_id;
SELECT group_id - 9400000000 AS grp, aum, wallet_assets, wallet_share
  FROM relationship_group_rollup WHERE group_id BETWEEN 9400000000 AND 9499999999 ORDER BY group_id;
-- segment rules and clusters may use the group figures
SELECT segment_check_rule('group_aum >= 1000000 AND wallet_share < 0.5') AS rule_ok;
INSERT INTO wallet_estimate (party_id, total_assets, source, estimated_on) VALUES (9400000003, 0, 'kyc', '2026-01-01');
INSERT INTO wallet_estimate (party_id, total_assets, source, estimated_on) VALUES (9400000003, 1000, 'guess', '2026-01-01');

-- a model may tier by group: members take the tiers of their group's sums
CREATE TEMP TABLE grp_model AS SELECT * FROM score_model WHERE is_default;
UPDATE grp_model SET model = 'grp_members', is_default = false, builtin = false, tier_by_group = false;
INSERT INTO score_model SELECT * FROM grp_model;
UPDATE grp_model SET model = 'grp_groups', tier_by_group = true;
INSERT INTO score_model SELECT * FROM grp_model;
SELECT score_all('grp_members') IS NOT NULL AS scored, score_all('grp_groups') IS NOT NULL AS scored_by_group;
SELECT party_id - 9400000000 AS party, i.wealth_tier AS own_wealth_tier, g.wealth_tier AS group_wealth_tier,
       i.value_tier AS own_value_tier, g.value_tier AS group_value_tier
  FROM party_score i JOIN party_score g USING (party_id)
 WHERE i.model = 'grp_members' AND g.model = 'grp_groups' AND party_id BETWEEN 9400000000 AND 9499999999
   AND party_id IN (9400000002, 9400000010, 9400000011, 9400000012, 9400000030, 9400000031, 9400000032, 9400000043)
 ORDER BY party_id;
-- each member's tier is the one of the group's summed contribution and assets
SELECT rg.group_id - 9400000000 AS grp,
       value_tier(sum(i.contribution), min(m.key_min), min(m.general_min)) AS tier_of_sum,
       array_agg(DISTINCT g.value_tier) AS members_tiers,
       wealth_tier(sum(i.aum), min(m.affluent_min), min(m.hnw_min), min(m.uhnw_min)) AS wealth_of_sum,
       array_agg(DISTINCT g.wealth_tier) FILTER (WHERE p.kind = 'individual') AS members_wealth
  FROM relationship_group rg
  JOIN party p USING (party_id)
  JOIN party_score i ON i.party_id = rg.party_id AND i.model = 'grp_members'
  JOIN party_score g ON g.party_id = rg.party_id AND g.model = 'grp_groups'
  JOIN score_model m ON m.model = 'grp_members'
 WHERE rg.party_id BETWEEN 9400000000 AND 9499999999
 GROUP BY rg.group_id ORDER BY rg.group_id;
DELETE FROM party_score WHERE model IN ('grp_members', 'grp_groups');
DELETE FROM score_history WHERE model IN ('grp_members', 'grp_groups');
DELETE FROM score_model WHERE model IN ('grp_members', 'grp_groups');

-- privileges
SELECT r.rolname, has_table_privilege(r.rolname, 'bankcrm.relationship_group_rollup', 'SELECT') AS rollup,
       has_table_privilege(r.rolname, 'bankcrm.guarantor_chain', 'SELECT') AS chains,
       has_function_privilege(r.rolname, 'bankcrm.relationship_group_refresh()', 'EXECUTE') AS refresh
  FROM pg_roles r WHERE r.rolname IN ('bankcrm_admin', 'bankcrm_manager', 'bankcrm_rm', 'bankcrm_analyst', 'bankcrm_app')
 ORDER BY 1;

-- clean up
DELETE FROM wallet_estimate WHERE party_id BETWEEN 9400000000 AND 9499999999;
DELETE FROM party_score WHERE party_id BETWEEN 9400000000 AND 9499999999;
DELETE FROM coverage WHERE party_id BETWEEN 9400000000 AND 9499999999;
DELETE FROM holding WHERE party_id BETWEEN 9400000000 AND 9499999999;
DELETE FROM party WHERE party_id BETWEEN 9400000000 AND 9499999999;
SELECT count(*) AS groups_left FROM relationship_group WHERE party_id BETWEEN 9400000000 AND 9499999999;
DELETE FROM product WHERE product_id BETWEEN 9401 AND 9403;
DELETE FROM staff WHERE staff_id IN (9401, 9402);
DELETE FROM branch WHERE branch_id = 9401;
DELETE FROM region WHERE region_code = 'ZZ-GRP';
