-- src/sql/42_group_rollup.sql
-- households and corporate groups seen as one relationship: the sums of
-- their members (relationship_group, 22_relationship_group.sql)
--
-- The rollup reads each member's balances and default-model scores by
-- party_id and adds them up by group, and tiers the group by the default
-- score model's cut-offs, as score_all tiers a party.

CREATE VIEW @extschema@.relationship_group_rollup
WITH (security_invoker = true) AS
WITH m AS (
	SELECT g.group_id,
	       g.kind,
	       g.party_id,
	       COALESCE(b.aum, 0) AS aum,
	       COALESCE(b.loans, 0) AS loans,
	       sc.contribution,
	       sc.value_score,
	       sc.clv,
	       we.total_assets
	  FROM @extschema@.relationship_group g
	  LEFT JOIN @extschema@.party_balance b ON b.party_id = g.party_id
	  LEFT JOIN @extschema@.wallet_estimate we ON we.party_id = g.party_id
	  LEFT JOIN @extschema@.party_score sc ON sc.party_id = g.party_id
	        AND sc.model = (SELECT dm.model FROM @extschema@.score_model dm WHERE dm.is_default)
), lead AS (
	-- the member with the most assets, and its primary RM
	SELECT r.group_id, r.party_id AS lead_party_id, st.name AS primary_rm
	  FROM (SELECT m.group_id, m.party_id,
	               pg_catalog.row_number() OVER (PARTITION BY m.group_id ORDER BY m.aum DESC, m.party_id) AS rank
	          FROM m) r
	  LEFT JOIN @extschema@.coverage cv ON cv.party_id = r.party_id AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
	  LEFT JOIN @extschema@.staff st ON st.staff_id = cv.staff_id
	 WHERE r.rank = 1
), held AS (
	SELECT x.group_id, pg_catalog.array_agg(x.code ORDER BY x.code) AS products
	  FROM (SELECT DISTINCT g.group_id, pr.code
	          FROM @extschema@.relationship_group g
	          JOIN @extschema@.holding h ON h.party_id = g.party_id AND h.closed_on IS NULL
	          JOIN @extschema@.product pr ON pr.product_id = h.product_id) x
	 GROUP BY x.group_id
)
SELECT s.group_id,
       s.kind,
       s.members,
       s.aum,
       s.loans,
       s.contribution,
       s.clv,
       s.value_score,
       s.top_value_score,
       l.lead_party_id,
       l.primary_rm,
       COALESCE(h.products, '{}') AS products,
       @extschema@.value_tier(CASE dm.value_tier_basis WHEN 'value_score' THEN s.value_score ELSE s.contribution END,
                              dm.key_min, dm.general_min) AS value_tier,
       @extschema@.wealth_tier(s.aum, dm.affluent_min, dm.hnw_min, dm.uhnw_min) AS wealth_tier,
       s.wallet_assets,
       pg_catalog.round(s.known_aum / s.wallet_assets, 4) AS wallet_share
  FROM (SELECT m.group_id,
               pg_catalog.min(m.kind) AS kind,
               pg_catalog.count(*) AS members,
               pg_catalog.sum(m.aum)::numeric(18, 2) AS aum,
               pg_catalog.sum(m.loans)::numeric(18, 2) AS loans,
               pg_catalog.sum(m.contribution) AS contribution,
               pg_catalog.sum(m.clv) AS clv,
               CASE WHEN pg_catalog.count(m.value_score) > 0 THEN LEAST(1000, pg_catalog.sum(m.value_score)) END AS value_score,
               pg_catalog.max(m.value_score) AS top_value_score,
               pg_catalog.sum(m.total_assets)::numeric(18, 2) AS wallet_assets,
               pg_catalog.sum(m.aum) FILTER (WHERE m.total_assets IS NOT NULL) AS known_aum
          FROM m
         GROUP BY m.group_id) s
  LEFT JOIN lead l ON l.group_id = s.group_id
  LEFT JOIN held h ON h.group_id = s.group_id
  LEFT JOIN @extschema@.score_model dm ON dm.is_default;
COMMENT ON VIEW @extschema@.relationship_group_rollup IS 'One row per household or corporate group: members, summed assets, loans, contribution and lifetime value, the group''s value score, the lead member and its primary RM, the products anyone in it holds, its value and wealth tiers; scores and cut-offs of the default model; row-level security of the caller applies (a group sums the members the caller may see)';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.group_id IS 'The group (its lowest party_id)';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.aum IS 'Deposits, wealth and insurance balances of all members, CNY';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.loans IS 'Loan and card balances of all members, CNY';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.contribution IS 'Sum of the members'' profit contribution; NULL when none is scored';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.clv IS 'Sum of the members'' customer lifetime values';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.value_score IS 'Value score of the group: the members'' value scores added, at most 1000';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.top_value_score IS 'The highest value score of a member';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.lead_party_id IS 'The member with the most assets (the lowest party_id on ties)';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.primary_rm IS 'Name of the lead member''s current primary relationship manager';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.products IS 'Codes of the products held by anyone in the group (open holdings), distinct, sorted';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.value_tier IS 'The group''s value tier under the default score model''s cut-offs (key_min, general_min), applied to the group''s contribution or value score as the model''s value_tier_basis says';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.wealth_tier IS 'The group''s wealth tier under the default score model''s cut-offs, applied to the group''s assets';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.wallet_assets IS 'Financial assets in all (wallet_estimate) of the members that have an estimate, CNY; NULL when none has';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.wallet_share IS 'The assets the bank holds for the members with an estimate, over their estimates, to 4 decimals: the group''s wallet share where known';

-- privileges of 22_relationship_group.sql and of the rollup: staff who
-- see parties see their groups (row-level security applies); analysts
-- read aggregates elsewhere
GRANT SELECT ON @extschema@.relationship_group, @extschema@.guarantor_chain, @extschema@.guarantor_exposure,
	@extschema@.relationship_group_rollup
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT ALL ON @extschema@.relationship_group, @extschema@.guarantor_chain, @extschema@.guarantor_exposure,
	@extschema@.relationship_group_rollup TO bankcrm_admin;
REVOKE ALL ON FUNCTION @extschema@.relationship_group_refresh(), @extschema@.relationship_group_touch(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.relationship_group_refresh() TO bankcrm_admin, bankcrm_manager, bankcrm_app;
-- per-party readers: for the roles that see parties (row-level security applies)
REVOKE ALL ON FUNCTION @extschema@.relationship_group_of(bigint[], regclass), @extschema@.guarantor_chain_rows() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.relationship_group_of(bigint[], regclass), @extschema@.guarantor_chain_rows()
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
