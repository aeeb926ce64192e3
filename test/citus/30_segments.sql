-- test/citus/30_segments.sql: rule, tier segments and what reads them.
-- The rule segments use no scores, so that they compare whatever scored
-- the bank; the tier segment and the recommendations read party_score.
SET search_path = bankcrm, public;
\pset footer off

\echo '### segment_preview'
SELECT count(*), md5(string_agg(party_id::text, ',' ORDER BY party_id))
  FROM segment_preview($$status = 'prospect' AND turnover >= 1000000 AND consent_marketing AND NOT do_not_contact$$);

\echo '### segment_preview_features'
SELECT count(*), sum(aum), md5(string_agg(party_id || ':' || aum || ':' || status, ',' ORDER BY party_id))
  FROM segment_preview($$'DEP_DEMAND' = ANY (products) AND days_since_last_contact IS NOT NULL AND tenure_years >= 1$$);

\echo '### segment_refresh_rule'
INSERT INTO segment (name, kind, rule, description)
VALUES ('cap: Shanghai affluent', 'rule',
        $$kind = 'individual' AND region_code = 'CN-SH' AND status = 'active' AND aum >= 500000$$,
        'capability script');
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: Shanghai affluent';

\echo '### segment_refresh_again'
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: Shanghai affluent';

\echo '### segment_refresh_changed'
INSERT INTO segment (name, kind, rule, description)
VALUES ('cap: borrowers', 'rule', $$loans >= 1000000$$, 'capability script');
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: borrowers';
UPDATE segment SET rule = $$loans >= 2000000 OR (region_code = 'CN-SH' AND aum >= 1000000)$$
 WHERE name = 'cap: borrowers';
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: borrowers';

\echo '### segment_refresh_tier'
INSERT INTO segment (name, kind, params, description)
VALUES ('cap: key customers', 'tier', '{"value_tier": ["key", "general"]}', 'capability script');
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: key customers';

\echo '### segment_refresh_pareto_rfm'
INSERT INTO segment (name, kind, params, description)
VALUES ('cap: top fifth', 'pareto', '{"share": 0.2}', 'capability script'),
       ('cap: recent regulars', 'rfm', '{"min_r": 4, "min_f": 3}', 'capability script');
SELECT s.name, r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name IN ('cap: top fifth', 'cap: recent regulars') ORDER BY s.name;
SELECT s.name, md5(string_agg(m.party_id::text, ',' ORDER BY m.party_id))
  FROM segment_member m JOIN segment s USING (segment_id)
 WHERE s.name IN ('cap: top fifth', 'cap: recent regulars') GROUP BY 1 ORDER BY 1;

\echo '### segment_members'
SELECT segment, party_id, name_masked, status FROM segment_members
 WHERE segment IN ('cap: Shanghai affluent', 'cap: borrowers')
 ORDER BY segment, party_id LIMIT 12;

\echo '### segment_sizes'
SELECT name, kind, members, last_joined, last_left, refreshed_at IS NOT NULL AS refreshed
  FROM segment_sizes WHERE name IN ('cap: Shanghai affluent', 'cap: borrowers') ORDER BY name;

\echo '### segment_sizes_tier'
SELECT name, kind, members, last_joined, last_left FROM segment_sizes WHERE name = 'cap: key customers';

\echo '### segment_overlap'
SELECT o.* FROM segment a, segment b, LATERAL segment_overlap(a.segment_id, b.segment_id) o
 WHERE a.name = 'cap: Shanghai affluent' AND b.name = 'cap: borrowers';

\echo '### segment_overlap_tier'
SELECT o.* FROM segment a, segment b, LATERAL segment_overlap(a.segment_id, b.segment_id) o
 WHERE a.name = 'cap: Shanghai affluent' AND b.name = 'cap: key customers';

\echo '### segment_recommendations'
SELECT r.* FROM segment s, LATERAL segment_recommendations(s.segment_id, 2) r
 WHERE s.name = 'cap: key customers' ORDER BY 1, 2 LIMIT 20;

\echo '### segment_history'
SELECT s.name, h.change, count(*), count(DISTINCT h.at) FROM segment_history h JOIN segment s USING (segment_id)
 WHERE s.name IN ('cap: Shanghai affluent', 'cap: borrowers') GROUP BY 1, 2 ORDER BY 1, 2;

\echo '### segment_delete'
DELETE FROM segment WHERE name = 'cap: borrowers';
SELECT (SELECT count(*) FROM segment_member m WHERE NOT EXISTS (SELECT 1 FROM segment s WHERE s.segment_id = m.segment_id)) AS orphan_members,
       (SELECT count(*) FROM segment_history h WHERE NOT EXISTS (SELECT 1 FROM segment s WHERE s.segment_id = h.segment_id)) AS orphan_history;
