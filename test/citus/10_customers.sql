-- test/citus/10_customers.sql: the customer 360, the types and the plain
-- views, on a Citus cluster and on one node (test/citus/compare.sh)
SET search_path = bankcrm, public;
\pset footer off

\echo '### party_summary'
SELECT * FROM party_summary ORDER BY 1, 2;

\echo '### aum_pyramid'
SELECT * FROM aum_pyramid;

\echo '### party_360'
SELECT party_id, kind, loans FROM party_360 WHERE kind = 'corporate' ORDER BY loans DESC, party_id LIMIT 5;

\echo '### party_masked'
SELECT party_id, name_masked, phone_masked, aum FROM party_masked ORDER BY party_id LIMIT 5;

\echo '### credit_rating_group_by'
SELECT credit_rating, count(*) FROM party WHERE credit_rating IS NOT NULL GROUP BY 1 ORDER BY 1;

\echo '### credit_rating_aggregates'
SELECT kind, min(credit_rating), max(credit_rating), count(*) FILTER (WHERE is_investment_grade(credit_rating))
  FROM party GROUP BY kind ORDER BY kind;

\echo '### phone_order_and_join'
SELECT pp.phone, country_code(pp.phone), phone_mask(pp.phone), p.kind
  FROM party_phone pp JOIN party p USING (party_id)
 ORDER BY pp.phone LIMIT 5;

\echo '### phone_group_by'
SELECT country_code(phone), count(*) FROM party_phone GROUP BY 1 ORDER BY 1;

\echo '### holdings_by_category'
SELECT pr.category, count(*), sum(h.balance) FROM holding h JOIN product pr USING (product_id)
 WHERE h.closed_on IS NULL GROUP BY 1 ORDER BY 1;

\echo '### contacts_by_channel'
SELECT channel, outcome, count(*) FROM contact GROUP BY 1, 2 ORDER BY 1, 2;

\echo '### contact_append_only'
UPDATE contact SET note = 'x' WHERE contact_id = (SELECT min(contact_id) FROM contact);

\echo '### per_row_functions_in_shards'
SELECT p.kind, rating_band(p.credit_rating), count(*), sum(notch(p.credit_rating)),
       count(DISTINCT mask_name(p.name)), sum(h.balance)
  FROM party p JOIN holding h USING (party_id)
 WHERE p.credit_rating IS NOT NULL
 GROUP BY 1, 2 ORDER BY 1, 2;
