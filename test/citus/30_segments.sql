-- test/citus/30_segments.sql: rule, tier segments and what reads them
SET search_path = bankcrm, public;
\pset footer off

\echo '### segment_preview'
SELECT count(*), md5(string_agg(party_id::text, ',' ORDER BY party_id))
  FROM segment_preview($$status = 'prospect' AND turnover >= 1000000 AND consent_marketing AND NOT do_not_contact$$);

\echo '### segment_refresh_rule'
INSERT INTO segment (name, kind, rule, description)
VALUES ('cap: Shanghai affluent', 'rule',
        $$kind = 'individual' AND region_code = 'CN-SH' AND status = 'active'
          AND wealth_tier IN ('affluent', 'hnw', 'uhnw')$$, 'capability script');
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: Shanghai affluent';

\echo '### segment_refresh_tier'
INSERT INTO segment (name, kind, params, description)
VALUES ('cap: key customers', 'tier', '{"value_tier": ["key", "important"]}', 'capability script');
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: key customers';

\echo '### segment_refresh_again'
SELECT r.joined, r."left", r.total FROM segment s, LATERAL segment_refresh(s.segment_id) r
 WHERE s.name = 'cap: Shanghai affluent';

\echo '### segment_members'
SELECT segment, party_id, name_masked FROM segment_members WHERE segment LIKE 'cap: %'
 ORDER BY segment, party_id LIMIT 10;

\echo '### segment_sizes'
SELECT name, kind, members FROM segment_sizes WHERE name LIKE 'cap: %' ORDER BY name;

\echo '### segment_overlap'
SELECT o.* FROM segment a, segment b, LATERAL segment_overlap(a.segment_id, b.segment_id) o
 WHERE a.name = 'cap: Shanghai affluent' AND b.name = 'cap: key customers';

\echo '### segment_recommendations'
SELECT r.* FROM segment s, LATERAL segment_recommendations(s.segment_id, 2) r
 WHERE s.name = 'cap: key customers' ORDER BY 1, 2 LIMIT 20;

\echo '### segment_history'
SELECT s.name, count(*) FROM segment_history h JOIN segment s USING (segment_id)
 WHERE s.name LIKE 'cap: %' GROUP BY 1 ORDER BY 1;
