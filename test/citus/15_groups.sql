-- test/citus/15_groups.sql: households and corporate groups of the ci bank,
-- their rollups, the 360's group columns, guarantor chains; a change of
-- relations followed by relationship_group_refresh() (the triggers keep the
-- groups on one node; on the cluster the refresh does)
SET search_path = bankcrm, public;
\pset footer off

\echo '### groups_loaded'
SELECT kind, count(DISTINCT group_id) AS groups, count(*) AS parties,
       md5(string_agg(party_id || ':' || group_id || ':' || members, ',' ORDER BY party_id))
  FROM relationship_group GROUP BY kind ORDER BY kind;

\echo '### groups_refresh_unchanged'
SELECT * FROM relationship_group_refresh();
SELECT count(*), md5(string_agg(party_id || ':' || group_id || ':' || kind || ':' || members, ',' ORDER BY party_id))
  FROM relationship_group;

\echo '### group_rollup'
SELECT group_id, kind, members, aum, loans, contribution, value_score, lead_party_id, primary_rm, products
  FROM relationship_group_rollup ORDER BY aum DESC, group_id LIMIT 5;
SELECT kind, count(*), sum(members), sum(aum), sum(loans) FROM relationship_group_rollup GROUP BY kind ORDER BY kind;

\echo '### party_360_group'
SELECT party_id, group_id, group_kind, group_members
  FROM party_360 WHERE group_id IS NOT NULL ORDER BY party_id LIMIT 5;

\echo '### guarantor_chain'
SELECT count(*), max(depth), sum(loans) FROM guarantor_chain;
SELECT guarantor_id, direct_parties, parties, longest_chain, exposure
  FROM guarantor_exposure ORDER BY exposure DESC, guarantor_id LIMIT 5;

\echo '### groups_after_changes'
-- two households joined, one relation removed, a member closed
WITH h AS (SELECT group_id FROM relationship_group WHERE kind = 'household' GROUP BY group_id ORDER BY group_id LIMIT 2)
INSERT INTO party_relation (party_id, related_party_id, kind)
SELECT min(group_id), max(group_id), 'household' FROM h;
DELETE FROM party_relation
 WHERE (party_id, related_party_id) = (SELECT r.party_id, r.related_party_id FROM party_relation r
                                        WHERE r.kind = 'parent_company' ORDER BY 1, 2 LIMIT 1);
UPDATE party SET status = 'closed', closed_on = DATE '2026-11-01'
 WHERE party_id = (SELECT max(g.party_id) FROM relationship_group g WHERE g.members >= 3);
SELECT * FROM relationship_group_refresh();
SELECT kind, count(DISTINCT group_id) AS groups, count(*) AS parties,
       md5(string_agg(party_id || ':' || group_id || ':' || members, ',' ORDER BY party_id))
  FROM relationship_group GROUP BY kind ORDER BY kind;
