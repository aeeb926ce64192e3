-- test/tour/10_customers.sql: the tour, part 1: the customer 360
\pset footer off
SET search_path = bankcrm, public;
SET timezone = 'Asia/Shanghai';
\echo
\echo '== bankcrm demo: a synthetic bank, as of 2026-11-16 =='
\echo
\echo '1. Parties per kind and status (bankcrm.party_summary)'
SELECT kind, parties, active, prospects, dormant, closed FROM bankcrm.party_summary;

\echo '2. The wealth pyramid of individuals by assets under management (bankcrm.aum_pyramid)'
SELECT level, parties, pg_catalog.to_char(aum, 'FM999,999,999,999,990') AS aum_cny, parties_pct, aum_pct
  FROM bankcrm.aum_pyramid;

\echo '3. Credit quality of corporates: the credit_rating type sorts by quality, not by text'
SELECT bankcrm.rating_band(credit_rating) AS band, min(credit_rating) AS worst,
       max(credit_rating) AS best, count(*) AS corporates
  FROM bankcrm.party
 WHERE kind = 'corporate' AND credit_rating IS NOT NULL
 GROUP BY 1 ORDER BY max(credit_rating) DESC;

\echo '4. Three customers'' 360 view (bankcrm.party_360): the richest individual, corporate and a recent contact'
\x on
SELECT * FROM (
  (SELECT * FROM bankcrm.party_360 WHERE kind = 'individual' ORDER BY aum DESC LIMIT 1)
  UNION ALL
  (SELECT * FROM bankcrm.party_360 WHERE kind = 'corporate' ORDER BY loans DESC LIMIT 1)
  UNION ALL
  (SELECT * FROM bankcrm.party_360 WHERE last_contact_at IS NOT NULL ORDER BY last_contact_at DESC, party_id LIMIT 1)
) s;
\x off

\echo '5. What an analyst sees instead (bankcrm.party_masked): no names, no phone numbers'
SELECT party_id, kind, name_masked, birth_year, region_code, phone_masked, aum
  FROM bankcrm.party_masked ORDER BY aum DESC LIMIT 5;
