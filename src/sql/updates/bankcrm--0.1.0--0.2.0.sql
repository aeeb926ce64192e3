-- src/sql/updates/bankcrm--0.1.0--0.2.0.sql
-- Update from release 0.1.0 to 0.2.0: each change made to src/sql since
-- 0.1.0, made the same way here (doc/releasing.md). test/t/002_upgrade.pl
-- checks that an updated installation equals a fresh one.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION bankcrm UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0: credit_rating and phone compared with text, as drivers bind parameters (src/sql/12_text_compare.sql)
-- JDBC (setString), ODBC and other drivers send a parameter as varchar or
-- text; rating >= ? then found no operator (42883), since text has no
-- implicit cast to credit_rating or phone.  These operators take the text,
-- convert it with the type's input function (bad input is 22P02 as usual)
-- and compare; they are SQL functions the planner inlines into the type's own
-- operator, so an index on the column serves them.  A literal ('BBB-') still
-- resolves to the type's own operator.

-- credit_rating: every comparison

CREATE FUNCTION @extschema@.credit_rating_lt_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_lt_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<) $2$$;

CREATE OPERATOR @extschema@.< (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_lt_text,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE OPERATOR @extschema@.< (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_lt_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.>),
	NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel,
	JOIN = pg_catalog.scalarltjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_le_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_le_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<=) $2$$;

CREATE OPERATOR @extschema@.<= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_le_text,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE OPERATOR @extschema@.<= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_le_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.>=),
	NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel,
	JOIN = pg_catalog.scalarlejoinsel
);

CREATE FUNCTION @extschema@.credit_rating_eq_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_eq_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.=) $2$$;

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_eq_text,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_eq_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_ne_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<>) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_ne_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.<>) $2$$;

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_ne_text,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_ne_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE FUNCTION @extschema@.credit_rating_ge_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.>=) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_ge_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.>=) $2$$;

CREATE OPERATOR @extschema@.>= (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_ge_text,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR @extschema@.>= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_ge_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<=),
	NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel,
	JOIN = pg_catalog.scalargejoinsel
);

CREATE FUNCTION @extschema@.credit_rating_gt_text(@extschema@.credit_rating, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.>) $2::@extschema@.credit_rating$$;

CREATE FUNCTION @extschema@.text_gt_credit_rating(pg_catalog.text, @extschema@.credit_rating)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.credit_rating OPERATOR(@extschema@.>) $2$$;

CREATE OPERATOR @extschema@.> (
	LEFTARG = @extschema@.credit_rating,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.credit_rating_gt_text,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

CREATE OPERATOR @extschema@.> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.credit_rating,
	FUNCTION = @extschema@.text_gt_credit_rating,
	COMMUTATOR = OPERATOR(@extschema@.<),
	NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel,
	JOIN = pg_catalog.scalargtjoinsel
);

-- phone: equality (a phone is looked up, not ranged)

CREATE FUNCTION @extschema@.phone_eq_text(@extschema@.phone, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.=) $2::@extschema@.phone$$;

CREATE FUNCTION @extschema@.text_eq_phone(pg_catalog.text, @extschema@.phone)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.phone OPERATOR(@extschema@.=) $2$$;

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.phone,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.phone_eq_text,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE OPERATOR @extschema@.= (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.text_eq_phone,
	COMMUTATOR = OPERATOR(@extschema@.=),
	NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel,
	JOIN = pg_catalog.eqjoinsel
);

CREATE FUNCTION @extschema@.phone_ne_text(@extschema@.phone, pg_catalog.text)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1 OPERATOR(@extschema@.<>) $2::@extschema@.phone$$;

CREATE FUNCTION @extschema@.text_ne_phone(pg_catalog.text, @extschema@.phone)
	RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$SELECT $1::@extschema@.phone OPERATOR(@extschema@.<>) $2$$;

CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.phone,
	RIGHTARG = pg_catalog.text,
	FUNCTION = @extschema@.phone_ne_text,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

CREATE OPERATOR @extschema@.<> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = @extschema@.phone,
	FUNCTION = @extschema@.text_ne_phone,
	COMMUTATOR = OPERATOR(@extschema@.<>),
	NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel,
	JOIN = pg_catalog.neqjoinsel
);

-- 0.2.0: plain-typed companions for drivers and BI tools: credit_rating_text and
-- credit_rating_rank, primary_phone_text and primary_phone_masked (src/sql/25_views.sql)
CREATE OR REPLACE VIEW @extschema@.party_360
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
       p.credit_rating::text AS credit_rating_text,
       @extschema@.notch(p.credit_rating) AS credit_rating_rank,
       ph.phone::text AS primary_phone_text,
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
CREATE OR REPLACE VIEW @extschema@.party_masked AS
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
       p.credit_rating::text AS credit_rating_text,
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

-- 0.2.0: a comment on every view column (src/sql/89_column_comments.sql)
COMMENT ON COLUMN @extschema@.aum_pyramid.parties IS 'Individuals at this level';
COMMENT ON COLUMN @extschema@.aum_pyramid.aum IS 'Their assets under management together (CNY)';
COMMENT ON COLUMN @extschema@.campaign_report.campaign_id IS 'The campaign (campaign.campaign_id)';
COMMENT ON COLUMN @extschema@.campaign_report.campaign IS 'Campaign name';
COMMENT ON COLUMN @extschema@.campaign_report.state IS 'Campaign state in the campaign_lifecycle process (draft, approved, active, paused, completed, cancelled)';
COMMENT ON COLUMN @extschema@.campaign_report.product IS 'Name of the product the campaign sells';
COMMENT ON COLUMN @extschema@.campaign_report.leads IS 'Leads generated for the campaign';
COMMENT ON COLUMN @extschema@.campaign_report.assigned IS 'Leads assigned to a staff member';
COMMENT ON COLUMN @extschema@.campaign_report.budget IS 'Campaign budget (CNY)';
COMMENT ON COLUMN @extschema@.care_due.party_id IS 'The party (a customer of the current role as primary relationship manager)';
COMMENT ON COLUMN @extschema@.care_due.party_name IS 'Party name';
COMMENT ON COLUMN @extschema@.care_due.occasion_date IS 'Day of the occasion, within the next seven days';
COMMENT ON COLUMN @extschema@.cluster_profiles.model IS 'Cluster model (cluster_model.name)';
COMMENT ON COLUMN @extschema@.cluster_profiles.cluster IS 'Cluster number within the model, 1 to k';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.campaign_id IS 'The campaign (dial_settings.campaign_id)';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.pbx_id IS 'The PBX that dials the campaign';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.mode IS 'Dialing mode: preview or progressive';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.active IS 'Whether the campaign is being dialed (dial_settings.active)';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.queued IS 'Call attempts waiting to be dialed';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.in_flight IS 'Call attempts being dialed or talked now';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.originates_last_minute IS 'Calls originated in the last minute';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.done IS 'Call attempts finished';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.answered IS 'Finished attempts that were answered';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.no_answer_or_busy IS 'Finished attempts not answered or busy (retried by the retry rules)';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.failed IS 'Finished attempts that failed: congestion, failure, invalid number or an unknown result';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.blocked IS 'Attempts not dialed: do-not-call, outside the calling window or without a phone';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.answer_rate_pct IS 'Answered as a percentage of finished attempts, one decimal; NULL before the first';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.agents_ready IS 'Agents of the campaign ready for a call';
COMMENT ON COLUMN @extschema@.dialer_campaign_status.agents_on_call IS 'Agents of the campaign on a call';
COMMENT ON COLUMN @extschema@.dialer_status.pbx_id IS 'The PBX (pbx.pbx_id)';
COMMENT ON COLUMN @extschema@.dialer_status.pbx_name IS 'PBX name';
COMMENT ON COLUMN @extschema@.dialer_status.host IS 'Host of the PBX''s AMI';
COMMENT ON COLUMN @extschema@.dialer_status.port IS 'TCP port of the PBX''s AMI';
COMMENT ON COLUMN @extschema@.dialer_status.pid IS 'Process id of the PBX''s dialer worker, NULL when none runs';
COMMENT ON COLUMN @extschema@.dialer_status.last_error_at IS 'When the last error occurred';
COMMENT ON COLUMN @extschema@.funnel.campaign_id IS 'The campaign';
COMMENT ON COLUMN @extschema@.funnel.campaign IS 'Campaign name';
COMMENT ON COLUMN @extschema@.funnel.stage_order IS 'Position of the stage in the process (process_state.stage_order)';
COMMENT ON COLUMN @extschema@.funnel.stage IS 'The stage: a state of the campaign''s process';
COMMENT ON COLUMN @extschema@.guarantor_chain.status IS 'Status of the guaranteed party (active, prospect, dormant, closed)';
COMMENT ON COLUMN @extschema@.guarantor_exposure.guarantor_id IS 'The guarantor party';
COMMENT ON COLUMN @extschema@.guarantor_exposure.direct_parties IS 'Parties it guarantees directly';
COMMENT ON COLUMN @extschema@.guarantor_exposure.parties IS 'Parties it guarantees directly or through a chain of guarantees';
COMMENT ON COLUMN @extschema@.guarantor_exposure.longest_chain IS 'Length of its longest chain of guarantees';
COMMENT ON COLUMN @extschema@.hidden_gold.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.hidden_gold.name IS 'Party name';
COMMENT ON COLUMN @extschema@.hidden_gold.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.hidden_gold.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.hidden_gold.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.hidden_gold.contribution IS 'Yearly profit contribution under the default score model (CNY)';
COMMENT ON COLUMN @extschema@.hidden_gold.value_score IS 'Value score under the default score model, 0 to 100';
COMMENT ON COLUMN @extschema@.hidden_gold.value_tier IS 'Value tier under the default score model: key, general or scattered';
COMMENT ON COLUMN @extschema@.hidden_gold.wealth_tier IS 'Wealth tier by assets under management: mass, affluent, hnw or uhnw';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.annual_turnover IS 'Declared yearly turnover (CNY)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.aum IS 'Assets under management with the bank (CNY)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.turnover_to_aum IS 'Turnover divided by assets under management: how much of its money the bank does not hold';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.contribution IS 'Yearly profit contribution under the default score model (CNY)';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.value_score IS 'Value score under the default score model, 0 to 100';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.value_tier IS 'Value tier under the default score model: key, general or scattered';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.wealth_tier IS 'Wealth tier by assets under management: mass, affluent, hnw or uhnw';
COMMENT ON COLUMN @extschema@.lead_stay.lead_id IS 'The lead';
COMMENT ON COLUMN @extschema@.lead_stay.campaign_id IS 'The lead''s campaign';
COMMENT ON COLUMN @extschema@.lead_stay.process_name IS 'The lead''s process';
COMMENT ON COLUMN @extschema@.lead_stay.state IS 'The state the lead stayed in';
COMMENT ON COLUMN @extschema@.lead_stay.entered_at IS 'When the lead entered the state';
COMMENT ON COLUMN @extschema@.lead_won.lead_id IS 'The lead, in a state whose outcome is won';
COMMENT ON COLUMN @extschema@.lead_won.campaign_id IS 'The lead''s campaign';
COMMENT ON COLUMN @extschema@.lead_won.assigned_to IS 'Staff member the lead is assigned to';
COMMENT ON COLUMN @extschema@.lead_won.party_id IS 'The party who bought';
COMMENT ON COLUMN @extschema@.my_agenda.lead_id IS 'The lead, for calls and follow-ups';
COMMENT ON COLUMN @extschema@.my_agenda.campaign_id IS 'The lead''s campaign';
COMMENT ON COLUMN @extschema@.my_agenda.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.my_agenda.appointment_id IS 'The appointment, for appointments';
COMMENT ON COLUMN @extschema@.party_360.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.party_360.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.party_360.name IS 'Name of the person or organisation';
COMMENT ON COLUMN @extschema@.party_360.status IS 'active, prospect, dormant or closed';
COMMENT ON COLUMN @extschema@.party_360.credit_rating IS 'Internal credit rating (credit_rating type); credit_rating_text and credit_rating_rank for drivers and BI tools';
COMMENT ON COLUMN @extschema@.party_360.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.party_360.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.party_360.home_branch IS 'Name of the home branch';
COMMENT ON COLUMN @extschema@.party_360.aum IS 'Assets under management: deposits, wealth and insurance balances (CNY)';
COMMENT ON COLUMN @extschema@.party_360.loans IS 'Loan and card balances (CNY)';
COMMENT ON COLUMN @extschema@.party_360.monthly_contribution IS 'Monthly profit contribution of the open holdings (CNY)';
COMMENT ON COLUMN @extschema@.party_360.products_held IS 'Number of open holdings';
COMMENT ON COLUMN @extschema@.party_360.last_contact_at IS 'When the bank last had contact with the party';
COMMENT ON COLUMN @extschema@.party_360.last_contact_channel IS 'Channel of the last contact';
COMMENT ON COLUMN @extschema@.party_360.last_contact_outcome IS 'Outcome of the last contact';
COMMENT ON COLUMN @extschema@.party_360.consent_marketing IS 'Whether the party consented to marketing';
COMMENT ON COLUMN @extschema@.party_360.do_not_contact IS 'Whether the party asked not to be contacted';
COMMENT ON COLUMN @extschema@.party_360.credit_rating_text IS 'The credit rating as text (AAA ... D), for drivers and BI tools; sort by credit_rating_rank';
COMMENT ON COLUMN @extschema@.party_360.credit_rating_rank IS 'The credit rating''s notch: 1 is AAA, 22 is D; ascending is best first';
COMMENT ON COLUMN @extschema@.party_360.primary_phone_text IS 'The primary phone as text in E.164 form (+8613522956919)';
COMMENT ON COLUMN @extschema@.party_360.primary_phone_masked IS 'The primary phone with the middle digits masked';
COMMENT ON COLUMN @extschema@.party_balance.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.party_features.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.party_features.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.party_features.status IS 'active, prospect, dormant or closed';
COMMENT ON COLUMN @extschema@.party_features.gender IS 'Gender of an individual';
COMMENT ON COLUMN @extschema@.party_features.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.party_features.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.party_features.education IS 'Education of an individual';
COMMENT ON COLUMN @extschema@.party_features.occupation IS 'Occupation of an individual';
COMMENT ON COLUMN @extschema@.party_features.life_stage IS 'Family life stage of an individual';
COMMENT ON COLUMN @extschema@.party_features.wealth_source IS 'Where an individual''s wealth comes from';
COMMENT ON COLUMN @extschema@.party_features.involvement IS 'How involved the party is in choosing financial products';
COMMENT ON COLUMN @extschema@.party_features.product_lifecycle IS 'Product life-cycle stage the party buys in';
COMMENT ON COLUMN @extschema@.party_features.credit_rating IS 'Internal credit rating (credit_rating type)';
COMMENT ON COLUMN @extschema@.party_features.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.party_features.onboarded_on IS 'When the party became a customer';
COMMENT ON COLUMN @extschema@.party_features.consent_marketing IS 'Whether the party consented to marketing';
COMMENT ON COLUMN @extschema@.party_features.do_not_contact IS 'Whether the party asked not to be contacted';
COMMENT ON COLUMN @extschema@.party_masked.party_id IS 'The party';
COMMENT ON COLUMN @extschema@.party_masked.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.party_masked.gender IS 'Gender of an individual';
COMMENT ON COLUMN @extschema@.party_masked.industry IS 'Industry of the company, or of the individual''s employer';
COMMENT ON COLUMN @extschema@.party_masked.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.party_masked.education IS 'Education of an individual';
COMMENT ON COLUMN @extschema@.party_masked.occupation IS 'Occupation of an individual';
COMMENT ON COLUMN @extschema@.party_masked.life_stage IS 'Family life stage of an individual';
COMMENT ON COLUMN @extschema@.party_masked.wealth_source IS 'Where an individual''s wealth comes from';
COMMENT ON COLUMN @extschema@.party_masked.involvement IS 'How involved the party is in choosing financial products';
COMMENT ON COLUMN @extschema@.party_masked.credit_rating IS 'Internal credit rating (credit_rating type); credit_rating_text and credit_rating_rank for drivers and BI tools';
COMMENT ON COLUMN @extschema@.party_masked.status IS 'active, prospect, dormant or closed';
COMMENT ON COLUMN @extschema@.party_masked.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.party_masked.onboarded_on IS 'When the party became a customer';
COMMENT ON COLUMN @extschema@.party_masked.annual_turnover IS 'Declared yearly turnover (CNY)';
COMMENT ON COLUMN @extschema@.party_masked.aum IS 'Assets under management: deposits, wealth and insurance balances (CNY)';
COMMENT ON COLUMN @extschema@.party_masked.loans IS 'Loan and card balances (CNY)';
COMMENT ON COLUMN @extschema@.party_masked.products_held IS 'Number of open holdings';
COMMENT ON COLUMN @extschema@.party_masked.consent_marketing IS 'Whether the party consented to marketing';
COMMENT ON COLUMN @extschema@.party_masked.do_not_contact IS 'Whether the party asked not to be contacted';
COMMENT ON COLUMN @extschema@.party_masked.credit_rating_text IS 'The credit rating as text (AAA ... D), for drivers and BI tools; sort by credit_rating_rank';
COMMENT ON COLUMN @extschema@.party_masked.credit_rating_rank IS 'The credit rating''s notch: 1 is AAA, 22 is D; ascending is best first';
COMMENT ON COLUMN @extschema@.party_summary.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.party_summary.parties IS 'Parties of this kind';
COMMENT ON COLUMN @extschema@.party_summary.active IS 'Of them, active';
COMMENT ON COLUMN @extschema@.party_summary.prospects IS 'Of them, prospects';
COMMENT ON COLUMN @extschema@.party_summary.dormant IS 'Of them, dormant';
COMMENT ON COLUMN @extschema@.party_summary.closed IS 'Of them, closed';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.kind IS 'household, corporate or mixed';
COMMENT ON COLUMN @extschema@.relationship_group_rollup.members IS 'Parties in the group';
COMMENT ON COLUMN @extschema@.rep_activity.staff_id IS 'The staff member';
COMMENT ON COLUMN @extschema@.rep_activity.staff_name IS 'Staff member''s name';
COMMENT ON COLUMN @extschema@.rep_activity.team_id IS 'The staff member''s team';
COMMENT ON COLUMN @extschema@.rep_activity.process_name IS 'The process of the leads worked';
COMMENT ON COLUMN @extschema@.rep_activity.stage IS 'The stage: a state of the process';
COMMENT ON COLUMN @extschema@.rep_activity.stage_order IS 'Position of the stage in the process';
COMMENT ON COLUMN @extschema@.rep_activity.target_met IS 'Whether the day''s activity in the stage reached the daily target';
COMMENT ON COLUMN @extschema@.segment_members.segment_id IS 'The segment';
COMMENT ON COLUMN @extschema@.segment_members.party_id IS 'The member party';
COMMENT ON COLUMN @extschema@.segment_members.joined_at IS 'When the party joined the segment';
COMMENT ON COLUMN @extschema@.segment_members.kind IS 'individual, corporate, financial_institution or government';
COMMENT ON COLUMN @extschema@.segment_members.status IS 'active, prospect, dormant or closed';
COMMENT ON COLUMN @extschema@.segment_members.region_code IS 'Region (region.region_code)';
COMMENT ON COLUMN @extschema@.segment_members.home_branch_id IS 'Home branch (branch.branch_id)';
COMMENT ON COLUMN @extschema@.segment_members.consent_marketing IS 'Whether the party consented to marketing';
COMMENT ON COLUMN @extschema@.segment_members.do_not_contact IS 'Whether the party asked not to be contacted';
COMMENT ON COLUMN @extschema@.segment_sizes.segment_id IS 'The segment';
COMMENT ON COLUMN @extschema@.segment_sizes.name IS 'Segment name';
COMMENT ON COLUMN @extschema@.segment_sizes.kind IS 'How the segment is defined: rule, tier, pareto, rfm or cluster';
COMMENT ON COLUMN @extschema@.segment_sizes.refreshed_at IS 'When segment_refresh() last recomputed the members';
COMMENT ON COLUMN @extschema@.staff_performance.staff_id IS 'The staff member';
COMMENT ON COLUMN @extschema@.staff_performance.staff_name IS 'Staff member''s name';
COMMENT ON COLUMN @extschema@.staff_performance.role_kind IS 'The staff member''s kind of role (relationship manager, agent, team lead, ...)';
COMMENT ON COLUMN @extschema@.staff_performance.team_id IS 'The staff member''s team';
COMMENT ON COLUMN @extschema@.staff_performance.branch_id IS 'The staff member''s branch';
COMMENT ON COLUMN @extschema@.staff_performance.leads_assigned IS 'Leads assigned to the staff member';
COMMENT ON COLUMN @extschema@.staff_performance.leads_open IS 'Of them, not yet in a final state';
COMMENT ON COLUMN @extschema@.staff_performance.leads_won IS 'Of them, won';

-- 0.2.0: churn_dashboard rounds its display figures (level_drop_pct to one decimal, the
-- sparkline to the cent) and gives the age in days (src/sql/61_churn_model.sql)
CREATE OR REPLACE VIEW @extschema@.churn_dashboard WITH (security_invoker = true) AS
SELECT a.alert_id,
       a.party_id,
       p.name AS party_name,
       p.kind AS party_kind,
       a.branch_id,
       b.name AS branch_name,
       a.severity,
       a.state,
       a.metric,
       a.rule,
       a.first_week,
       a.last_week,
       (GREATEST(a.last_week, @extschema@.churn_series_last_week(s.series)) OPERATOR(pg_catalog.-) a.first_week)
           OPERATOR(pg_catalog./) 7 AS weeks_open,
       pg_catalog.now() OPERATOR(pg_catalog.-) a.raised_at AS age,
       pg_catalog.round(a.level_drop_pct::numeric, 1)::double precision AS level_drop_pct,
       a.rm_id,
       a.branch_manager_id,
       a.team_id,
       -- cents: the series is kept as real, whose binary noise a display shows
       @extschema@.churn_sparkline(s.series, a.metric, a.last_week, 26)::numeric(20, 2)[]::double precision[] AS sparkline,
       sc.probability,
       sc.yearly_contribution,
       sc.at_risk AS contribution_at_risk,
       pg_catalog.round((pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) a.raised_at)
                         OPERATOR(pg_catalog./) 86400)::numeric, 1) AS age_days
  FROM @extschema@.churn_alert a
  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
  LEFT JOIN @extschema@.branch b ON b.branch_id OPERATOR(pg_catalog.=) a.branch_id
  LEFT JOIN bankcrm_churn.churn_series s ON s.party_id OPERATOR(pg_catalog.=) a.party_id
  -- the party's latest score, of the newest model that scored that week
  -- (grouped by party_id, the distribution column: on Citus it runs in
  -- the shards)
  LEFT JOIN (SELECT DISTINCT ON (x.party_id) x.party_id, x.probability, x.yearly_contribution, x.at_risk
               FROM @extschema@.churn_score x
              ORDER BY x.party_id, x.week DESC, x.model_id DESC) sc ON sc.party_id OPERATOR(pg_catalog.=) a.party_id
 WHERE a.state IN ('open', 'acknowledged', 'in_remediation') AND p.status OPERATOR(pg_catalog.<>) 'closed';
COMMENT ON COLUMN @extschema@.churn_dashboard.level_drop_pct IS 'Percent the last four weeks lay below the reference level, one decimal';
COMMENT ON COLUMN @extschema@.churn_dashboard.age_days IS 'Days since the alert was raised, one decimal (age as a number, for drivers and BI tools that show an interval as an object)';
COMMENT ON COLUMN @extschema@.churn_dashboard.sparkline IS 'The metric over the 26 weeks ending with last_week, oldest first, to the cent, NULL for a week without a row';
