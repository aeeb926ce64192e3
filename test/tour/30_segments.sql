-- test/tour/30_segments.sql: the tour, part 3: segments from rules, checked by PostgreSQL's parser
\pset footer off
\echo
\echo '== Segments =='
\echo
\echo '1. A rule segment: affluent individuals in Shanghai who hold no wealth product'
\echo '   (the rule is one SQL expression over bankcrm.party_features, checked before it is saved)'
INSERT INTO bankcrm.segment (name, kind, rule, description)
VALUES ('Shanghai affluent without wealth product', 'rule',
        $$kind = 'individual' AND region_code = 'CN-SH' AND status = 'active'
          AND wealth_tier IN ('affluent', 'hnw', 'uhnw')
          AND NOT products && ARRAY['WM_MONEY_MARKET', 'WM_STRUCTURED', 'WM_PB_MANDATE']$$,
        'Cross-sell a wealth product to affluent customers who have none')
ON CONFLICT (name) DO UPDATE SET rule = EXCLUDED.rule, description = EXCLUDED.description;
SELECT s.segment_id, s.name, r.joined, r."left", r.total
  FROM bankcrm.segment s, LATERAL bankcrm.segment_refresh(s.segment_id) r
 WHERE s.name = 'Shanghai affluent without wealth product';

\echo '2. Its size, and five members as an analyst would see them (names masked)'
SELECT name, kind, members, last_joined, last_left FROM bankcrm.segment_sizes
 WHERE name = 'Shanghai affluent without wealth product';
SELECT m.party_id, m.name_masked, f.age, f.aum, f.wealth_tier, f.value_tier, f.products
  FROM bankcrm.segment_members m
  JOIN bankcrm.party_features f ON f.party_id = m.party_id
 WHERE m.segment = 'Shanghai affluent without wealth product'
 ORDER BY f.aum DESC, m.party_id LIMIT 5;

\echo '3. A prospect list: merchants and companies with a turnover of 1 M CNY or more, not yet customers,'
\echo '   who agreed to marketing (segment_preview lists every match and saves nothing)'
SELECT p.party_id, p.kind, bankcrm.mask_name(pa.name) AS name_masked, p.region_code,
       pg_catalog.to_char(pa.annual_turnover, 'FM999,999,999,990') AS turnover_cny
  FROM bankcrm.segment_preview($$status = 'prospect' AND turnover >= 1000000
                                 AND consent_marketing AND NOT do_not_contact$$) p
  JOIN bankcrm.party pa ON pa.party_id = p.party_id
 ORDER BY pa.annual_turnover DESC, p.party_id LIMIT 5;
SELECT pg_catalog.count(*) AS prospects_on_the_list
  FROM bankcrm.segment_preview($$status = 'prospect' AND turnover >= 1000000
                                 AND consent_marketing AND NOT do_not_contact$$);

\echo '4. A rule that tries to do more than select is refused, with the place it went wrong'
\echo '   (this refusal is the point of the step: the tour catches it and shows it)'
DO $$
DECLARE
	state text;
	msg text;
	detail text;
	hint text;
BEGIN
	PERFORM bankcrm.segment_check_rule($r$region_code = 'CN-SH' OR pg_sleep(10) IS NULL$r$);
	PERFORM pg_catalog.set_config('tour.refusal', 'accepted (it should not have been)', false);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	PERFORM pg_catalog.set_config('tour.refusal', pg_catalog.concat_ws(E'\n', 'SQLSTATE ' || state, msg, nullif(detail, ''), nullif(hint, '')), false);
END
$$;
SELECT $$region_code = 'CN-SH' OR pg_sleep(10) IS NULL$$ AS rule, pg_catalog.current_setting('tour.refusal') AS refused_with;

\echo '5. How the key-customer tier overlaps the Shanghai segment'
INSERT INTO bankcrm.segment (name, kind, params, description)
VALUES ('Key customers', 'tier', '{"value_tier": ["key"]}', 'Key customers by the default score model')
ON CONFLICT (name) DO NOTHING;
SELECT r.total AS key_customers
  FROM bankcrm.segment s, LATERAL bankcrm.segment_refresh(s.segment_id) r WHERE s.name = 'Key customers';
SELECT o.*
  FROM bankcrm.segment a, bankcrm.segment b,
       LATERAL bankcrm.segment_overlap(a.segment_id, b.segment_id) o
 WHERE a.name = 'Shanghai affluent without wealth product' AND b.name = 'Key customers';
