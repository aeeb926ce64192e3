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

-- 0.2.0: progress of long operations, the view progress (src/sql/32_progress.sql, src/progress.c)
CREATE FUNCTION @extschema@.progress_slots(
	OUT pid integer, OUT datid oid, OUT userid oid, OUT command text, OUT phase text,
	OUT done bigint, OUT total bigint, OUT started_at timestamptz, OUT phase_started_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'progress_slots'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_slots() IS
	'The operations under way in the cluster, one row per backend that runs one (shared memory; empty without shared_preload_libraries); read through the view progress';

CREATE FUNCTION @extschema@.progress_begin(command text, phase text DEFAULT '', total bigint DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'progress_begin'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_begin(text, text, bigint) IS
	'Starts reporting an operation of this backend in the view progress (inside another: a phase of it); the end of the transaction ends it';
CREATE FUNCTION @extschema@.progress_phase(phase text, total bigint DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'progress_phase'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_phase(text, bigint) IS
	'The operation this backend reports moves to another phase, of total units (NULL: not known)';
CREATE FUNCTION @extschema@.progress_set(done bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'progress_set'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_set(bigint) IS
	'So many units of the phase are done';
CREATE FUNCTION @extschema@.progress_end()
RETURNS void
AS 'MODULE_PATHNAME', 'progress_end'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.progress_end() IS
	'The operation this backend reports is done';

CREATE VIEW @extschema@.progress AS
SELECT p.pid,
       d.datname,
       r.rolname AS usename,
       p.command,
       p.phase,
       p.done,
       p.total,
       pg_catalog.round(100.0 * p.done / NULLIF(p.total, 0), 1) AS pct,
       p.started_at,
       pg_catalog.round(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - p.started_at)::numeric, 1) AS elapsed_s,
       p.phase_started_at
  FROM @extschema@.progress_slots() p
  LEFT JOIN pg_catalog.pg_database d ON d.oid = p.datid
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = p.userid;
COMMENT ON VIEW @extschema@.progress IS 'Long operations under way in the cluster (score_all, segment_refresh, segment_refresh_all, churn_scan, cluster_fit, campaign_generate_leads, the loaders): which, in which phase, how far; like pg_stat_progress_*';
COMMENT ON COLUMN @extschema@.progress.pid IS 'Process id of the backend or worker running the operation';
COMMENT ON COLUMN @extschema@.progress.datname IS 'Its database';
COMMENT ON COLUMN @extschema@.progress.usename IS 'The role it runs as';
COMMENT ON COLUMN @extschema@.progress.command IS 'The operation: score_all, segment_refresh, segment_refresh_all, churn_scan, cluster_fit, campaign_generate_leads, load, ...';
COMMENT ON COLUMN @extschema@.progress.phase IS 'What it is doing now; an operation called inside another shows as a phase of it';
COMMENT ON COLUMN @extschema@.progress.done IS 'Units of the phase done (parties, segments, iterations, ...)';
COMMENT ON COLUMN @extschema@.progress.total IS 'Units of the phase in all, NULL when not known';
COMMENT ON COLUMN @extschema@.progress.pct IS 'done as a percentage of total, one decimal';
COMMENT ON COLUMN @extschema@.progress.started_at IS 'When the operation started';
COMMENT ON COLUMN @extschema@.progress.elapsed_s IS 'Seconds since it started, one decimal';
COMMENT ON COLUMN @extschema@.progress.phase_started_at IS 'When the phase started';

-- the DBA's view: every bankcrm role may look (commands and counts, no data)
GRANT SELECT ON @extschema@.progress TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;

-- 0.2.0: segment_refresh, segment_refresh_all, churn_scan, cluster_compute and cluster_fit
-- report their progress (src/sql/45_segment.sql, 60_churn.sql, 47_cluster.sql)
CREATE OR REPLACE FUNCTION @extschema@.segment_refresh(segment_id bigint)
RETURNS TABLE (joined bigint, "left" bigint, total bigint)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	seg @extschema@.segment;
	stamp timestamptz := clock_timestamp();
	sc record;
	target text;
BEGIN
	-- a caller without bank-wide read recomputes the segment within the
	-- parties it may see: the rule never meets another party's data (no
	-- error, no count, no timing from it), members it cannot see are left
	-- as they are, and the numbers returned count only what it sees
	SELECT * INTO sc FROM @extschema@.segment_caller_scope();
	-- one refresh of a segment at a time; the next one sees this one's result
	SELECT * INTO seg FROM @extschema@.segment s WHERE s.segment_id = segment_refresh.segment_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'segment % does not exist', segment_refresh.segment_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'The segments are listed in bankcrm.segment_sizes.';
	END IF;
	-- stamped first: on Citus a reference table is written before, not
	-- after, the distributed tables that refer to it in one transaction
	UPDATE @extschema@.segment s SET refreshed_at = stamp WHERE s.segment_id = seg.segment_id;
	PERFORM @extschema@.progress_begin('segment_refresh', seg.name || ': evaluating and recording', 3);
	IF sc.bank_wide THEN
		target := @extschema@.segment_member_query(seg.kind, seg.rule, seg.params);
	ELSIF seg.kind = 'rule' THEN
		-- the visible parties first, in a subquery the rule cannot be pushed
		-- into (OFFSET 0): the rule is evaluated on them only
		PERFORM @extschema@.segment_check_rule(seg.rule);
		target := format(E'SELECT f.party_id FROM (SELECT * FROM %I.party_features v WHERE v.party_id = ANY ($3) OFFSET 0) f WHERE (\n%s\n)',
		                 '@extschema@', seg.rule);
	ELSE
		target := format('SELECT t.party_id FROM (%s OFFSET 0) t WHERE t.party_id = ANY ($3)',
		                 @extschema@.segment_member_query(seg.kind, seg.rule, seg.params));
	END IF;

	-- the difference, from one evaluation of the members' query: who is
	-- in the target and not a member joins, who is a member and not in the
	-- target leaves.  It goes to the history first and the members follow
	-- from it.  OFFSET 0 plans the members' query on its own: inside the
	-- full join the planner would keep the joins of party_features the rule
	-- does not use.  On Citus that query runs in the shard tasks and the
	-- full join on the coordinator; the other statements join on party_id
	-- within each shard (doc/segments.md)
	EXECUTE format(
		'INSERT INTO %2$I.segment_history (segment_id, party_id, change, at) '
		'SELECT $1, COALESCE(t.party_id, m.party_id), '
		'       CASE WHEN m.party_id IS NULL THEN ''joined'' ELSE ''left'' END, $2 '
		'  FROM (%1$s
 OFFSET 0) t '
		'  FULL JOIN (SELECT m.party_id FROM %2$I.segment_member m WHERE m.segment_id = $1 '
		'               AND ($3::bigint[] IS NULL OR m.party_id = ANY ($3))) m '
		'    ON m.party_id = t.party_id '
		' WHERE t.party_id IS NULL OR m.party_id IS NULL',
		target, '@extschema@')
	USING seg.segment_id, stamp, sc.parties;
	PERFORM @extschema@.progress_set(1);
	EXECUTE format(
		'DELETE FROM %1$I.segment_member m USING %1$I.segment_history h '
		' WHERE m.segment_id = $1 AND h.segment_id = $1 AND h.at = $2 AND h.change = ''left'' '
		'   AND m.party_id = h.party_id',
		'@extschema@')
	USING seg.segment_id, stamp;
	EXECUTE format(
		'INSERT INTO %1$I.segment_member (segment_id, party_id, joined_at) '
		'SELECT $1, h.party_id, $2 FROM %1$I.segment_history h '
		' WHERE h.segment_id = $1 AND h.at = $2 AND h.change = ''joined''',
		'@extschema@')
	USING seg.segment_id, stamp;
	PERFORM @extschema@.progress_set(2);

	RETURN QUERY EXECUTE format(
		'SELECT d.joined, d."left", n.total '
		'  FROM (SELECT pg_catalog.count(*) FILTER (WHERE h.change = ''joined'') AS joined, '
		'               pg_catalog.count(*) FILTER (WHERE h.change = ''left'') AS "left" '
		'          FROM %1$I.segment_history h WHERE h.segment_id = $1 AND h.at = $2) d, '
		'       (SELECT pg_catalog.count(*) AS total '
		'          FROM %1$I.segment_member m WHERE m.segment_id = $1 '
		'           AND ($3::bigint[] IS NULL OR m.party_id = ANY ($3))) n',
		'@extschema@')
	USING seg.segment_id, stamp, sc.parties;
	PERFORM @extschema@.progress_end();
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.segment_refresh_all()
RETURNS TABLE (segment_id bigint, joined bigint, "left" bigint, total bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
	n bigint := 0;
BEGIN
	-- one segment after the other, in segment_id order; the view progress
	-- shows how many are done and which one runs
	PERFORM @extschema@.progress_begin('segment_refresh_all', 'segments',
	                                   (SELECT pg_catalog.count(*) FROM @extschema@.segment));
	FOR s IN SELECT g.segment_id FROM @extschema@.segment g ORDER BY g.segment_id LOOP
		RETURN QUERY SELECT s.segment_id, r.joined, r."left", r.total
		               FROM @extschema@.segment_refresh(s.segment_id) r;
		n := n OPERATOR(pg_catalog.+) 1;
		PERFORM @extschema@.progress_set(n);
	END LOOP;
	PERFORM @extschema@.progress_end();
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.churn_scan(week date DEFAULT NULL,
	OUT severity text, OUT parties integer, OUT raised integer, OUT escalated integer, OUT lost integer)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n_raised integer[] := ARRAY[0, 0, 0];
	n_escalated integer[] := ARRAY[0, 0, 0];
	n_lost integer[] := ARRAY[0, 0, 0];
	r record;
	i integer;
BEGIN
	IF churn_scan.week IS NOT NULL AND pg_catalog.date_part('isodow', churn_scan.week) OPERATOR(pg_catalog.<>) 1 THEN
		RAISE EXCEPTION 'week must be a Monday'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = pg_catalog.format('%s is not the first day of an ISO week.', churn_scan.week),
			      HINT = 'Use date_trunc(''week'', d)::date.';
	END IF;
	PERFORM @extschema@.progress_begin('churn_scan', 'closing the alerts of departed parties', NULL);
	-- first the parties the bank can no longer keep: their alerts are lost
	FOR r IN SELECT a.alert_id, a.party_id, a.metric, a.severity, a.event
	           FROM @extschema@.churn_close_departed(churn_scan.week) a
	          ORDER BY a.alert_id
	LOOP
		PERFORM @extschema@.churn_notify(r.alert_id, r.party_id, r.metric, r.severity, r.event);
		i := @extschema@.churn_severity_rank(r.severity);
		n_lost[i] := n_lost[i] OPERATOR(pg_catalog.+) 1;
	END LOOP;
	PERFORM @extschema@.progress_phase('evaluating the parties',
	                                   (SELECT pg_catalog.count(*) FROM bankcrm_churn.churn_series));
	FOR r IN SELECT a.alert_id, a.party_id, a.metric, a.severity, a.event
	           FROM @extschema@.churn_apply(NULL, churn_scan.week) a
	          ORDER BY a.alert_id
	LOOP
		PERFORM @extschema@.churn_notify(r.alert_id, r.party_id, r.metric, r.severity, r.event);
		i := @extschema@.churn_severity_rank(r.severity);
		IF r.event OPERATOR(pg_catalog.=) 'raised' THEN
			n_raised[i] := n_raised[i] OPERATOR(pg_catalog.+) 1;
		ELSIF r.event OPERATOR(pg_catalog.=) 'lost' THEN
			n_lost[i] := n_lost[i] OPERATOR(pg_catalog.+) 1;
		ELSE
			n_escalated[i] := n_escalated[i] OPERATOR(pg_catalog.+) 1;
		END IF;
	END LOOP;
	RETURN QUERY
	WITH active AS (
		SELECT a.party_id, pg_catalog.max(@extschema@.churn_severity_rank(a.severity)) AS rank
		  FROM @extschema@.churn_alert a
		  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
		 WHERE a.state IN ('open', 'acknowledged', 'in_remediation') AND p.status OPERATOR(pg_catalog.<>) 'closed'
		 GROUP BY a.party_id
	)
	SELECT l.severity,
	       (SELECT pg_catalog.count(*) FROM active a WHERE a.rank OPERATOR(pg_catalog.=) l.rank)::integer,
	       n_raised[l.rank], n_escalated[l.rank], n_lost[l.rank]
	  FROM (VALUES ('watch', 1), ('warning', 2), ('critical', 3)) l(severity, rank)
	 ORDER BY l.rank;
	PERFORM @extschema@.progress_end();
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.cluster_compute(
	features text[], k integer, seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, batch_size integer DEFAULT 1024, batches integer DEFAULT 100,
	max_passes integer DEFAULT 20, tolerance double precision DEFAULT 1e-4,
	silhouette_sample integer DEFAULT 1000,
	OUT means double precision[], OUT scales double precision[], OUT centroids double precision[],
	OUT sizes bigint[], OUT points bigint, OUT passes integer, OUT converged boolean,
	OUT inertia double precision, OUT silhouette double precision, OUT silhouette_points integer)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	q text := @extschema@.cluster_feature_query(features);
	d integer := cardinality(features);
	all_present text;
	avgs text;
	sds text;
	pt text;
	sample double precision[];
	n_sample integer;
	state double precision[];
	nextc double precision[];
	sd double precision[];
BEGIN
	IF k IS NULL OR k NOT BETWEEN 2 AND 100 THEN
		RAISE EXCEPTION 'k must be between 2 and 100, not %', k
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'cluster_choose_k() reports the inertia and silhouette of k = 2 to 10.';
	END IF;
	IF seed IS NULL OR sample_size IS NULL OR sample_size < k OR batch_size IS NULL OR batch_size < 1
	   OR batches IS NULL OR batches < 0 OR max_passes IS NULL OR max_passes < 1
	   OR tolerance IS NULL OR NOT tolerance >= 0 OR silhouette_sample IS NULL OR silhouette_sample < 0 THEN
		RAISE EXCEPTION 'invalid fitting parameters'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = format('seed %s, sample_size %s, batch_size %s, batches %s, max_passes %s, tolerance %s, silhouette_sample %s.',
			                      seed, sample_size, batch_size, batches, max_passes, tolerance, silhouette_sample),
			      HINT = 'The sample holds at least k points, batch_size and max_passes are positive, batches, tolerance and silhouette_sample are not negative.';
	END IF;
	SELECT string_agg(format('x.v%s IS NOT NULL', i), ' AND ' ORDER BY i) INTO all_present
	  FROM generate_series(1, d) i;

	-- 1. standardisation: built-in aggregates, parallel and per shard
	PERFORM @extschema@.progress_phase('standardising the features', NULL);
	SELECT string_agg(format('pg_catalog.avg(x.v%s)', i), ', ' ORDER BY i),
	       string_agg(format('pg_catalog.stddev_pop(x.v%s)', i), ', ' ORDER BY i)
	  INTO avgs, sds
	  FROM generate_series(1, d) i;
	EXECUTE format('SELECT pg_catalog.count(*), ARRAY[%s], ARRAY[%s] FROM (%s) x WHERE %s', avgs, sds, q, all_present)
	   INTO points, means, sd;
	IF points < k THEN
		RAISE EXCEPTION 'cannot find % clusters among % parties', k, points
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'Only parties with every feature not NULL are clustered.',
			      HINT = 'Choose a smaller k, or wrap a feature in COALESCE().';
	END IF;
	scales := ARRAY(SELECT CASE WHEN s > 0 THEN s ELSE 1 END FROM unnest(sd) WITH ORDINALITY u(s, o) ORDER BY o);
	pt := @extschema@.cluster_point_expr(means, scales);

	-- 2. the sample: the points with the lowest seeded hash of party_id
	PERFORM @extschema@.progress_phase('sampling', NULL);
	EXECUTE format('SELECT pg_catalog.array_agg(s.p ORDER BY s.h, s.party_id) FROM '
	               '(SELECT x.party_id, pg_catalog.hashint8extended(x.party_id, $1) AS h, %s AS p '
	               '   FROM (%s) x WHERE %s ORDER BY 2, 1 LIMIT $2) s', pt, q, all_present)
	   INTO sample USING seed, sample_size;
	n_sample := array_length(sample, 1);

	-- 3. seeding and mini-batches on the sample (only when it exceeds a batch)
	PERFORM @extschema@.progress_phase('seeding and mini-batches', NULL);
	centroids := @extschema@.kmeans_start(sample, k, seed, batch_size,
	                                      CASE WHEN n_sample > batch_size THEN batches ELSE 0 END);

	-- 4. full passes until no centroid moves more than the tolerance; the
	-- model keeps the centroids the last pass measured
	passes := 0;
	converged := false;
	PERFORM @extschema@.progress_phase('full passes', max_passes);
	LOOP
		EXECUTE format('SELECT @extschema@.kmeans_pass($1, %s) FROM (%s) x', pt, q)
		   INTO state USING centroids;
		passes := passes + 1;
		PERFORM @extschema@.progress_set(passes);
		inertia := @extschema@.kmeans_inertia(state);
		sizes := @extschema@.kmeans_sizes(state);
		nextc := @extschema@.kmeans_update(state, centroids);
		IF @extschema@.kmeans_shift(nextc, centroids) <= tolerance THEN
			converged := true;
			EXIT;
		END IF;
		EXIT WHEN passes >= max_passes;
		centroids := nextc;
	END LOOP;

	-- 5. silhouette on the first points of the sample
	silhouette_points := LEAST(silhouette_sample, n_sample);
	IF silhouette_points >= 2 THEN
		silhouette := @extschema@.kmeans_silhouette(sample[1:silhouette_points][1:d], centroids);
	END IF;
END
$$;
CREATE OR REPLACE FUNCTION @extschema@.cluster_fit(
	name text, features text[], k integer, seed bigint DEFAULT 0,
	sample_size integer DEFAULT 100000, batch_size integer DEFAULT 1024, batches integer DEFAULT 100,
	max_passes integer DEFAULT 20, tolerance double precision DEFAULT 1e-4,
	silhouette_sample integer DEFAULT 1000)
RETURNS TABLE (cluster integer, size bigint, center double precision[])
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
-- on Citus the model (reference tables) is written after the passes read
-- the shards: they read over one connection per worker (no effect without Citus)
SET citus.multi_shard_modify_mode = sequential
AS $$
DECLARE
	r record;
	d integer;
BEGIN
	IF name IS NULL OR btrim(name) = '' THEN
		RAISE EXCEPTION 'a cluster model needs a name'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@.progress_begin('cluster_fit', name, NULL);
	SELECT * INTO r FROM @extschema@.cluster_compute(features, k, seed, sample_size, batch_size, batches,
	                                                 max_passes, tolerance, silhouette_sample);
	PERFORM @extschema@.progress_phase('storing the model', NULL);
	d := cardinality(features);
	-- stamped first: on Citus the reference tables are written together
	DELETE FROM @extschema@.cluster_centroid c WHERE c.model = cluster_fit.name;
	INSERT INTO @extschema@.cluster_model AS m (name, features, k, seed, means, scales, centroids, points, passes,
	                                            converged, inertia, silhouette, silhouette_sample, fitted_at)
	VALUES (cluster_fit.name, features, k, seed, r.means, r.scales, r.centroids, r.points, r.passes,
	        r.converged, r.inertia, r.silhouette, r.silhouette_points, clock_timestamp())
	ON CONFLICT ON CONSTRAINT cluster_model_pkey DO UPDATE
	   SET features = EXCLUDED.features, k = EXCLUDED.k, seed = EXCLUDED.seed, means = EXCLUDED.means,
	       scales = EXCLUDED.scales, centroids = EXCLUDED.centroids, points = EXCLUDED.points,
	       passes = EXCLUDED.passes, converged = EXCLUDED.converged, inertia = EXCLUDED.inertia,
	       silhouette = EXCLUDED.silhouette, silhouette_sample = EXCLUDED.silhouette_sample,
	       fitted_at = EXCLUDED.fitted_at;
	INSERT INTO @extschema@.cluster_centroid (model, cluster, size, centroid, center)
	SELECT cluster_fit.name, i, r.sizes[i],
	       ARRAY(SELECT r.centroids[i][j] FROM generate_series(1, d) j ORDER BY j),
	       ARRAY(SELECT r.means[j] + r.centroids[i][j] * r.scales[j] FROM generate_series(1, d) j ORDER BY j)
	  FROM generate_series(1, k) i;
	RETURN QUERY SELECT c.cluster, c.size, c.center FROM @extschema@.cluster_centroid c
	              WHERE c.model = cluster_fit.name ORDER BY c.cluster;
	PERFORM @extschema@.progress_end();
END
$$;

-- 0.2.0: campaign_generate_leads reports its progress (src/sql/55_campaign.sql)
CREATE OR REPLACE FUNCTION @extschema@.campaign_generate_leads(campaign_id bigint)
RETURNS TABLE (reason text, parties bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	c record;
	initial text;
BEGIN
	-- lock the campaign: concurrent calls serialize, so a party is never added twice
	SELECT k.campaign_id, k.product_id, k.target_segment_id, k.process_name, k.state, ps.is_terminal
	  INTO c
	  FROM @extschema@.campaign k
	  JOIN @extschema@.process_state ps ON ps.process_name = 'campaign_lifecycle' AND ps.state = k.state
	 WHERE k.campaign_id = campaign_generate_leads.campaign_id
	   FOR NO KEY UPDATE OF k;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign % does not exist', campaign_generate_leads.campaign_id
			USING ERRCODE = 'no_data_found';
	END IF;
	IF c.is_terminal THEN
		RAISE EXCEPTION 'campaign % is %', c.campaign_id, c.state
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'Leads are generated only for campaigns that are not over.';
	END IF;
	IF c.target_segment_id IS NULL THEN
		RAISE EXCEPTION 'campaign % has no target segment', c.campaign_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Set campaign.target_segment_id to the segment whose members are to be called.';
	END IF;
	SELECT ps.state INTO initial
	  FROM @extschema@.process_state ps
	 WHERE ps.process_name = c.process_name AND ps.is_initial;
	PERFORM @extschema@.progress_begin('campaign_generate_leads', 'counting the members of the segment', 2);

	-- the counts first, then the leads: two plain statements over co-located
	-- tables, so that on Citus each runs in the shards
	RETURN QUERY
	SELECT r.reason, COALESCE(k.n, 0)::bigint
	  FROM pg_catalog.unnest(ARRAY['created', 'already_lead', 'closed', 'do_not_contact', 'no_consent',
	                               'holds_product', 'other_campaign']) WITH ORDINALITY r(reason, ord)
	  LEFT JOIN (
		SELECT CASE
		         WHEN EXISTS (SELECT 1 FROM @extschema@.lead l
		                       WHERE l.campaign_id = c.campaign_id AND l.party_id = m.party_id) THEN 'already_lead'
		         WHEN p.status = 'closed' THEN 'closed'
		         WHEN p.do_not_contact THEN 'do_not_contact'
		         WHEN NOT p.consent_marketing THEN 'no_consent'
		         WHEN EXISTS (SELECT 1 FROM @extschema@.holding h
		                       WHERE h.party_id = m.party_id AND h.product_id = c.product_id
		                         AND h.closed_on IS NULL) THEN 'holds_product'
		         WHEN EXISTS (SELECT 1 FROM @extschema@.lead l
		                        JOIN @extschema@.campaign o ON o.campaign_id = l.campaign_id
		                       WHERE l.party_id = m.party_id AND o.product_id = c.product_id
		                         AND o.campaign_id <> c.campaign_id
		                         AND o.state IN ('approved', 'active', 'paused')) THEN 'other_campaign'
		         ELSE 'created'
		       END AS reason,
		       pg_catalog.count(*) AS n
		  FROM @extschema@.segment_member m
		  JOIN @extschema@.party p ON p.party_id = m.party_id
		 WHERE m.segment_id = c.target_segment_id
		 GROUP BY 1) k ON k.reason = r.reason
	 ORDER BY r.ord;
	PERFORM @extschema@.progress_set(1);

	INSERT INTO @extschema@.lead (campaign_id, party_id, process_name, state)
	SELECT c.campaign_id, m.party_id, c.process_name, initial
	  FROM @extschema@.segment_member m
	  JOIN @extschema@.party p ON p.party_id = m.party_id
	 WHERE m.segment_id = c.target_segment_id
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.lead l
	                    WHERE l.campaign_id = c.campaign_id AND l.party_id = m.party_id)
	   AND p.status IS DISTINCT FROM 'closed'
	   AND NOT p.do_not_contact IS TRUE
	   AND NOT (NOT p.consent_marketing) IS TRUE
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.holding h
	                    WHERE h.party_id = m.party_id AND h.product_id = c.product_id
	                      AND h.closed_on IS NULL)
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.lead l
	                     JOIN @extschema@.campaign o ON o.campaign_id = l.campaign_id
	                    WHERE l.party_id = m.party_id AND o.product_id = c.product_id
	                      AND o.campaign_id <> c.campaign_id
	                      AND o.state IN ('approved', 'active', 'paused'))
	 ORDER BY m.party_id;
	PERFORM @extschema@.progress_end();
END
$$;
