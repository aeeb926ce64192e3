-- src/sql/25_views.sql
-- customer 360 views: one row per party for screens, the masked view for
-- analysts, and the first aggregates

-- initialise a name: keep the first character, mask the rest
CREATE FUNCTION @extschema@.mask_name(name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
	WHEN pg_catalog.char_length(name) <= 1 THEN name
	ELSE pg_catalog.left(name, 1) || pg_catalog.repeat('*', LEAST(pg_catalog.char_length(name) - 1, 3))
END;
COMMENT ON FUNCTION @extschema@.mask_name(text) IS 'Masks a name for analysts: first character kept, the rest shown as at most three asterisks';

-- money a party has with the bank, per party (closed holdings excluded)
CREATE VIEW @extschema@.party_balance
WITH (security_invoker = true) AS
SELECT h.party_id,
       sum(h.balance) FILTER (WHERE pr.category IN ('deposit', 'wealth', 'insurance'))::numeric(18, 2) AS aum,
       sum(h.balance) FILTER (WHERE pr.category IN ('loan', 'card'))::numeric(18, 2) AS loans,
       pg_catalog.sum(h.monthly_contribution)::numeric(14, 2) AS monthly_contribution,
       pg_catalog.count(*) AS products_held
  FROM @extschema@.holding h
  JOIN @extschema@.product pr ON pr.product_id = h.product_id
 WHERE h.closed_on IS NULL
 GROUP BY h.party_id;
COMMENT ON VIEW @extschema@.party_balance IS 'Per party: assets under management, loans, monthly contribution and number of products held (open holdings)';
COMMENT ON COLUMN @extschema@.party_balance.aum IS 'Deposits, wealth and insurance balances';
COMMENT ON COLUMN @extschema@.party_balance.loans IS 'Loan and card balances';
COMMENT ON COLUMN @extschema@.party_balance.monthly_contribution IS 'Sum of the monthly profit contribution of open holdings';
COMMENT ON COLUMN @extschema@.party_balance.products_held IS 'Number of open holdings';

-- the customer 360: what the next agent needs to see about a party
CREATE VIEW @extschema@.party_360
WITH (security_invoker = true) AS
SELECT p.party_id,
       p.kind,
       p.name,
       p.status,
       p.credit_rating,
       p.industry,
       p.region_code,
       b.name AS home_branch,
       rm.name AS primary_rm,
       ph.phone AS primary_phone,
       COALESCE(bal.aum, 0) AS aum,
       COALESCE(bal.loans, 0) AS loans,
       COALESCE(bal.monthly_contribution, 0) AS monthly_contribution,
       COALESCE(bal.products_held, 0) AS products_held,
       (SELECT pg_catalog.array_agg(pr.code ORDER BY pr.code)
          FROM @extschema@.holding h JOIN @extschema@.product pr ON pr.product_id = h.product_id
         WHERE h.party_id = p.party_id AND h.closed_on IS NULL) AS products,
       lc.last_contact_at,
       lc.last_contact_channel,
       lc.last_contact_outcome,
       (SELECT pg_catalog.count(*) FROM @extschema@.contact c
         WHERE c.party_id = p.party_id
           AND c.occurred_at >= pg_catalog.now() - interval '90 days') AS contacts_90d,
       (SELECT pg_catalog.min(c.next_follow_up) FROM @extschema@.contact c
         WHERE c.party_id = p.party_id
           AND c.next_follow_up >= pg_catalog.now()) AS next_follow_up,
       (SELECT pg_catalog.count(*) FROM @extschema@.complaint cp
         WHERE cp.party_id = p.party_id AND cp.state NOT IN ('closed')) AS open_complaints,
       p.consent_marketing,
       p.do_not_contact,
       rg.group_id,
       rg.kind AS group_kind,
       rg.members AS group_members,
       p.credit_rating::text::varchar(4) AS credit_rating_text,
       @extschema@.notch(p.credit_rating) AS credit_rating_rank,
       ph.phone::text::varchar(16) AS primary_phone_text,
       @extschema@.phone_mask(ph.phone) AS primary_phone_masked
  FROM @extschema@.party p
  LEFT JOIN @extschema@.branch b ON b.branch_id = p.home_branch_id
  LEFT JOIN @extschema@.coverage cv ON cv.party_id = p.party_id
        AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
  LEFT JOIN @extschema@.staff rm ON rm.staff_id = cv.staff_id
  LEFT JOIN @extschema@.party_balance bal ON bal.party_id = p.party_id
  LEFT JOIN @extschema@.relationship_group rg ON rg.party_id = p.party_id
  LEFT JOIN LATERAL (
       SELECT c.occurred_at AS last_contact_at, c.channel AS last_contact_channel, c.outcome AS last_contact_outcome
         FROM @extschema@.contact c
        WHERE c.party_id = p.party_id
        ORDER BY c.occurred_at DESC LIMIT 1) lc ON true
  LEFT JOIN LATERAL (
       SELECT pp.phone FROM @extschema@.party_phone pp
        WHERE pp.party_id = p.party_id
        ORDER BY pp.is_primary DESC, pp.phone LIMIT 1) ph ON true;
COMMENT ON VIEW @extschema@.party_360 IS 'One row per party: profile, coverage, balances, products, last contact, follow-up and open complaints; row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.party_360.primary_rm IS 'Name of the current primary relationship manager';
COMMENT ON COLUMN @extschema@.party_360.primary_phone IS 'Primary phone number, else the lowest one';
COMMENT ON COLUMN @extschema@.party_360.products IS 'Codes of the products held (open holdings)';
COMMENT ON COLUMN @extschema@.party_360.contacts_90d IS 'Contacts in the last 90 days';
COMMENT ON COLUMN @extschema@.party_360.next_follow_up IS 'Earliest follow-up still ahead';
COMMENT ON COLUMN @extschema@.party_360.open_complaints IS 'Complaints not yet closed';
COMMENT ON COLUMN @extschema@.party_360.group_id IS 'The party''s household or corporate group (relationship_group; its lowest party_id), NULL when it has none';
COMMENT ON COLUMN @extschema@.party_360.group_kind IS 'household, corporate or mixed';
COMMENT ON COLUMN @extschema@.party_360.group_members IS 'Parties in the group; the rollups are in relationship_group_rollup';

-- the analyst's view of parties: no names, no phones, no exact birth dates
CREATE VIEW @extschema@.party_masked AS
SELECT p.party_id,
       p.kind,
       @extschema@.mask_name(p.name) AS name_masked,
       p.gender,
       pg_catalog.date_part('year', p.birth_date)::integer AS birth_year,
       p.industry,
       p.region_code,
       p.education,
       p.occupation,
       p.life_stage,
       p.wealth_source,
       p.involvement,
       p.credit_rating,
       p.status,
       p.home_branch_id,
       p.onboarded_on,
       p.annual_turnover,
       (SELECT @extschema@.phone_mask(pp.phone) FROM @extschema@.party_phone pp
         WHERE pp.party_id = p.party_id
         ORDER BY pp.is_primary DESC, pp.phone LIMIT 1) AS phone_masked,
       COALESCE(bal.aum, 0) AS aum,
       COALESCE(bal.loans, 0) AS loans,
       COALESCE(bal.products_held, 0) AS products_held,
       p.consent_marketing,
       p.do_not_contact,
       p.credit_rating::text::varchar(4) AS credit_rating_text,
       @extschema@.notch(p.credit_rating) AS credit_rating_rank
  FROM @extschema@.party p
  LEFT JOIN (SELECT h.party_id,
	               sum(h.balance) FILTER (WHERE pr.category IN ('deposit', 'wealth', 'insurance')) AS aum,
	               sum(h.balance) FILTER (WHERE pr.category IN ('loan', 'card')) AS loans,
	               count(*) AS products_held
	          FROM @extschema@.holding h
	          JOIN @extschema@.product pr ON pr.product_id = h.product_id
	         WHERE h.closed_on IS NULL
	         GROUP BY h.party_id) bal ON bal.party_id = p.party_id;
COMMENT ON VIEW @extschema@.party_masked IS 'Parties with personal data masked (initialised names, masked phones, birth year only): the analyst''s view';
COMMENT ON COLUMN @extschema@.party_masked.name_masked IS 'First character of the name, the rest masked';
COMMENT ON COLUMN @extschema@.party_masked.birth_year IS 'Year of birth or founding';
COMMENT ON COLUMN @extschema@.party_masked.phone_masked IS 'Primary phone with the middle digits masked';

-- the wealth pyramid of individuals by assets under management
CREATE VIEW @extschema@.aum_pyramid AS
WITH b AS (
	SELECT CASE
	         WHEN COALESCE(bal.aum, 0) >= 100000000 THEN 'uhnw'
	         WHEN COALESCE(bal.aum, 0) >= 10000000 THEN 'hnw'
	         WHEN COALESCE(bal.aum, 0) >= 500000 THEN 'affluent'
	         ELSE 'mass' END AS level,
	       COALESCE(bal.aum, 0) AS aum
	  FROM @extschema@.party p
	  LEFT JOIN (SELECT h.party_id,
		               sum(h.balance) FILTER (WHERE pr.category IN ('deposit', 'wealth', 'insurance')) AS aum,
		               sum(h.balance) FILTER (WHERE pr.category IN ('loan', 'card')) AS loans,
		               count(*) AS products_held
		          FROM @extschema@.holding h
		          JOIN @extschema@.product pr ON pr.product_id = h.product_id
		         WHERE h.closed_on IS NULL
		         GROUP BY h.party_id) bal ON bal.party_id = p.party_id
	 WHERE p.kind = 'individual' AND p.status <> 'closed'
)
SELECT level,
       pg_catalog.count(*) AS parties,
       pg_catalog.sum(aum)::numeric(20, 2) AS aum,
       pg_catalog.round(100.0 * pg_catalog.count(*) / pg_catalog.sum(pg_catalog.count(*)) OVER (), 2) AS parties_pct,
       pg_catalog.round(100.0 * pg_catalog.sum(aum) / NULLIF(pg_catalog.sum(pg_catalog.sum(aum)) OVER (), 0), 2) AS aum_pct
  FROM b
 GROUP BY level
 ORDER BY pg_catalog.array_position(ARRAY['uhnw', 'hnw', 'affluent', 'mass'], level);
COMMENT ON VIEW @extschema@.aum_pyramid IS 'Wealth pyramid of active individuals by assets under management: mass (< 500k CNY), affluent (< 10M), hnw (< 100M), uhnw';
COMMENT ON COLUMN @extschema@.aum_pyramid.level IS 'uhnw, hnw, affluent or mass';
COMMENT ON COLUMN @extschema@.aum_pyramid.parties_pct IS 'Share of the individuals, percent';
COMMENT ON COLUMN @extschema@.aum_pyramid.aum_pct IS 'Share of the assets under management, percent';

-- parties per kind and status
CREATE VIEW @extschema@.party_summary AS
SELECT p.kind,
       pg_catalog.count(*) AS parties,
       pg_catalog.count(*) FILTER (WHERE p.status = 'active') AS active,
       pg_catalog.count(*) FILTER (WHERE p.status = 'prospect') AS prospects,
       pg_catalog.count(*) FILTER (WHERE p.status = 'dormant') AS dormant,
       pg_catalog.count(*) FILTER (WHERE p.status = 'closed') AS closed
  FROM @extschema@.party p
 GROUP BY p.kind
 ORDER BY p.kind;
COMMENT ON VIEW @extschema@.party_summary IS 'Number of parties per kind and status';
