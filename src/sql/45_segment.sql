-- src/sql/45_segment.sql
-- segmentation: rule, tier, pareto and RFM segments, their current members
-- and the history of who joined and left
--
-- A rule segment is one boolean SQL expression over the whitelisted view
-- party_features, proved safe by segment_check_rule() (src/segment.c) with
-- PostgreSQL's own scanner, parser and analyzer before it is saved and again
-- before it is evaluated.  Membership is recomputed set-based by
-- segment_refresh(), one statement that writes the difference.

-- party_features: what rules may look at, one row per party
CREATE VIEW @extschema@.party_features
WITH (security_invoker = true) AS
SELECT p.party_id,
       p.kind,
       p.status,
       p.gender,
       pg_catalog.date_part('year', pg_catalog.age(CURRENT_DATE::timestamp, p.birth_date::timestamp))::integer AS age,
       p.industry,
       p.region_code,
       p.education,
       p.occupation,
       p.life_stage,
       p.wealth_source,
       p.involvement,
       p.product_lifecycle,
       p.credit_rating,
       @extschema@.notch(p.credit_rating) AS rating_notch,
       @extschema@.rating_band(p.credit_rating) AS rating_band,
       p.home_branch_id,
       p.onboarded_on,
       pg_catalog.date_part('year', pg_catalog.age(CURRENT_DATE::timestamp, p.onboarded_on::timestamp))::integer AS tenure_years,
       COALESCE(bal.aum, 0)::numeric(18, 2) AS aum,
       COALESCE(bal.loans, 0)::numeric(18, 2) AS loans,
       p.annual_turnover AS turnover,
       COALESCE(bal.products_held, 0) AS products_held,
       COALESCE(hp.products, '{}') AS products,
       COALESCE(hp.product_categories, '{}') AS product_categories,
       sc.contribution,
       sc.value_score,
       sc.value_tier,
       sc.wealth_tier,
       sc.rfm_r,
       sc.rfm_f,
       sc.rfm_m,
       sc.clv,
       (CURRENT_DATE - (SELECT pg_catalog.max(c.occurred_at) FROM @extschema@.contact c
                         WHERE c.party_id = p.party_id)::date) AS days_since_last_contact,
       p.consent_marketing,
       p.do_not_contact,
       grp.group_id,
       grp.kind AS group_kind,
       grp.members AS group_members,
       gs.aum AS group_aum,
       gs.loans AS group_loans,
       gs.contribution AS group_contribution,
       gs.value_score AS group_value_score,
       pg_catalog.round(COALESCE(bal.aum, 0) / we.total_assets, 4) AS wallet_share
  FROM @extschema@.party p
  LEFT JOIN @extschema@.party_balance bal ON bal.party_id = p.party_id
  LEFT JOIN @extschema@.wallet_estimate we ON we.party_id = p.party_id
  LEFT JOIN @extschema@.relationship_group grp ON grp.party_id = p.party_id
  LEFT JOIN (SELECT g.group_id,
                    pg_catalog.sum(COALESCE(b.aum, 0))::numeric(18, 2) AS aum,
                    pg_catalog.sum(COALESCE(b.loans, 0))::numeric(18, 2) AS loans,
                    pg_catalog.sum(s.contribution) AS contribution,
                    CASE WHEN pg_catalog.count(s.value_score) > 0 THEN LEAST(1000, pg_catalog.sum(s.value_score)) END AS value_score
               FROM @extschema@.relationship_group g
               LEFT JOIN @extschema@.party_balance b ON b.party_id = g.party_id
               LEFT JOIN @extschema@.party_score s ON s.party_id = g.party_id
                     AND s.model = (SELECT dm.model FROM @extschema@.score_model dm WHERE dm.is_default)
              GROUP BY g.group_id) gs ON gs.group_id = grp.group_id
  LEFT JOIN (SELECT h.party_id,
                    pg_catalog.array_agg(DISTINCT pr.code) AS products,
                    pg_catalog.array_agg(DISTINCT pr.category) AS product_categories
               FROM @extschema@.holding h
               JOIN @extschema@.product pr ON pr.product_id = h.product_id
              WHERE h.closed_on IS NULL
              GROUP BY h.party_id) hp ON hp.party_id = p.party_id
  LEFT JOIN @extschema@.party_score sc ON sc.party_id = p.party_id
        AND sc.model = (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default);
COMMENT ON VIEW @extschema@.party_features IS 'One row per party with the features segment rules may use (no names, phones or exact birth dates); scores are those of the default score model; row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.party_features.age IS 'Whole years since birth (individuals) or founding (organisations), as of the current date';
COMMENT ON COLUMN @extschema@.party_features.rating_notch IS 'Agency notch of the credit rating: AAA = 1 ... D = 22';
COMMENT ON COLUMN @extschema@.party_features.rating_band IS 'Reporting band of the credit rating: AAA, AA, A, BBB, BB or below BB';
COMMENT ON COLUMN @extschema@.party_features.tenure_years IS 'Whole years since onboarding, as of the current date; NULL for prospects';
COMMENT ON COLUMN @extschema@.party_features.aum IS 'Deposits, wealth and insurance balances of open holdings, CNY';
COMMENT ON COLUMN @extschema@.party_features.loans IS 'Loan and card balances of open holdings, CNY';
COMMENT ON COLUMN @extschema@.party_features.turnover IS 'Yearly business turnover (party.annual_turnover), CNY';
COMMENT ON COLUMN @extschema@.party_features.products_held IS 'Number of open holdings';
COMMENT ON COLUMN @extschema@.party_features.products IS 'Codes of the products held in open holdings, distinct, sorted';
COMMENT ON COLUMN @extschema@.party_features.product_categories IS 'Categories of the products held in open holdings, distinct, sorted';
COMMENT ON COLUMN @extschema@.party_features.contribution IS 'Profit contribution under the default score model';
COMMENT ON COLUMN @extschema@.party_features.value_score IS 'Value score under the default score model';
COMMENT ON COLUMN @extschema@.party_features.value_tier IS 'key, general or scattered, under the default score model';
COMMENT ON COLUMN @extschema@.party_features.wealth_tier IS 'mass, affluent, hnw or uhnw, under the default score model';
COMMENT ON COLUMN @extschema@.party_features.rfm_r IS 'Recency score under the default score model';
COMMENT ON COLUMN @extschema@.party_features.rfm_f IS 'Frequency score under the default score model';
COMMENT ON COLUMN @extschema@.party_features.group_id IS 'The party''s household or corporate group (relationship_group: its lowest party_id); NULL when it has none';
COMMENT ON COLUMN @extschema@.party_features.group_kind IS 'household, corporate or mixed; NULL without a group';
COMMENT ON COLUMN @extschema@.party_features.group_members IS 'Parties in the group; NULL without a group';
COMMENT ON COLUMN @extschema@.party_features.group_aum IS 'Deposits, wealth and insurance balances of all members of the group, CNY (the members the caller may see)';
COMMENT ON COLUMN @extschema@.party_features.group_loans IS 'Loan and card balances of all members of the group, CNY';
COMMENT ON COLUMN @extschema@.party_features.group_contribution IS 'The members'' profit contributions added up, under the default score model';
COMMENT ON COLUMN @extschema@.party_features.group_value_score IS 'The members'' value scores added up, at most 1000, under the default score model';
COMMENT ON COLUMN @extschema@.party_features.wallet_share IS 'aum over the party''s financial assets in all (wallet_estimate), to 4 decimals; NULL where no estimate is known; above 1 when the estimate is older than what the bank now holds';
COMMENT ON COLUMN @extschema@.party_features.rfm_m IS 'Monetary score under the default score model';
COMMENT ON COLUMN @extschema@.party_features.clv IS 'Customer lifetime value under the default score model';
COMMENT ON COLUMN @extschema@.party_features.days_since_last_contact IS 'Days since the last contact on any channel; NULL if never contacted';

-- the rule checker (src/segment.c)
CREATE FUNCTION @extschema@.segment_check_rule(rule text)
	RETURNS boolean
	AS 'MODULE_PATHNAME'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment_check_rule(text) IS 'Returns true when the text is one boolean expression over party_features using only whitelisted columns, operators and functions; raises an error naming the offending element and its position otherwise';

-- the segment parameters of kinds tier, pareto and rfm
CREATE FUNCTION @extschema@.segment_check_params(kind text, params jsonb)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k text;
	allowed text[];
	v jsonb;
BEGIN
	IF jsonb_typeof(params) <> 'object' THEN
		RAISE EXCEPTION 'segment parameters must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	allowed := CASE kind
		WHEN 'rule' THEN ARRAY[]::text[]
		WHEN 'tier' THEN ARRAY['model', 'value_tier', 'wealth_tier']
		WHEN 'pareto' THEN ARRAY['model', 'share', 'measure']
		WHEN 'rfm' THEN ARRAY['model', 'min_r', 'min_f', 'min_m', 'max_r', 'max_f', 'max_m']
		WHEN 'cluster' THEN ARRAY['cluster_model', 'cluster']
	END;
	IF allowed IS NULL THEN
		RAISE EXCEPTION 'unknown segment kind "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The segment kinds are rule, tier, pareto, rfm and cluster.';
	END IF;
	FOR k, v IN SELECT e.key, e.value FROM jsonb_each(params) e LOOP
		IF NOT k = ANY (allowed) THEN
			RAISE EXCEPTION 'unknown parameter "%" for a segment of kind %', k, kind
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = CASE WHEN cardinality(allowed) = 0 THEN 'Segments of kind rule take no parameters.'
				                  ELSE format('Segments of kind %s take %s.', kind, array_to_string(allowed, ', ')) END;
		END IF;
		IF k = 'cluster_model' AND jsonb_typeof(v) <> 'string' THEN
			RAISE EXCEPTION 'segment parameter "cluster_model" must be a string'
				USING ERRCODE = 'invalid_parameter_value';
		ELSIF k = 'cluster' AND (jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
		                         OR v::text::numeric NOT BETWEEN 1 AND 100) THEN
			RAISE EXCEPTION 'segment parameter "cluster" must be an integer from 1 to 100'
				USING ERRCODE = 'invalid_parameter_value',
				      DETAIL = format('Found %s.', v);
		ELSIF k = 'model' AND jsonb_typeof(v) <> 'string' THEN
			RAISE EXCEPTION 'segment parameter "model" must be a string'
				USING ERRCODE = 'invalid_parameter_value';
		ELSIF k IN ('value_tier', 'wealth_tier') THEN
			IF jsonb_typeof(v) <> 'array' OR jsonb_array_length(v) = 0
			   OR EXISTS (SELECT 1 FROM jsonb_array_elements(v) t
			               WHERE jsonb_typeof(t) <> 'string'
			                  OR NOT (t #>> '{}') = ANY (CASE k WHEN 'value_tier' THEN ARRAY['key', 'general', 'scattered']
			                                                     ELSE ARRAY['mass', 'affluent', 'hnw', 'uhnw'] END)) THEN
				RAISE EXCEPTION 'segment parameter "%" must be a non-empty array of tiers', k
					USING ERRCODE = 'invalid_parameter_value',
					      DETAIL = format('Found %s.', v),
					      HINT = CASE k WHEN 'value_tier' THEN 'Value tiers are key, general and scattered.'
					                    ELSE 'Wealth tiers are mass, affluent, hnw and uhnw.' END;
			END IF;
		ELSIF k = 'share' THEN
			IF jsonb_typeof(v) <> 'number' OR v::text::numeric <= 0 OR v::text::numeric > 1 THEN
				RAISE EXCEPTION 'segment parameter "share" must be a number above 0 and at most 1'
					USING ERRCODE = 'invalid_parameter_value',
					      DETAIL = format('Found %s.', v),
					      HINT = 'Give the share of parties to keep, for example 0.2 for the top 20 %.';
			END IF;
		ELSIF k = 'measure' THEN
			IF jsonb_typeof(v) <> 'string' OR NOT (v #>> '{}') = ANY (ARRAY['contribution', 'clv', 'aum', 'value_score']) THEN
				RAISE EXCEPTION 'segment parameter "measure" must be contribution, clv, aum or value_score'
					USING ERRCODE = 'invalid_parameter_value',
					      DETAIL = format('Found %s.', v);
			END IF;
		ELSIF k IN ('min_r', 'min_f', 'min_m', 'max_r', 'max_f', 'max_m') THEN
			IF jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
			   OR v::text::numeric NOT BETWEEN 1 AND 5 THEN
				RAISE EXCEPTION 'segment parameter "%" must be an integer from 1 to 5', k
					USING ERRCODE = 'invalid_parameter_value',
					      DETAIL = format('Found %s.', v);
			END IF;
		END IF;
	END LOOP;
	IF kind = 'tier' AND NOT (params ? 'value_tier' OR params ? 'wealth_tier') THEN
		RAISE EXCEPTION 'a segment of kind tier needs "value_tier" or "wealth_tier"'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'For example {"wealth_tier": ["hnw", "uhnw"]}.';
	ELSIF kind = 'pareto' AND NOT params ? 'share' THEN
		RAISE EXCEPTION 'a segment of kind pareto needs "share"'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'For example {"share": 0.2} for the top 20 % of parties by contribution.';
	ELSIF kind = 'cluster' AND NOT params ?& ARRAY['cluster_model', 'cluster'] THEN
		RAISE EXCEPTION 'a segment of kind cluster needs "cluster_model" and "cluster"'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'cluster_assign() makes these segments from a model fitted by cluster_fit().';
	ELSIF kind = 'rfm' AND NOT params ?| ARRAY['min_r', 'min_f', 'min_m', 'max_r', 'max_f', 'max_m'] THEN
		RAISE EXCEPTION 'a segment of kind rfm needs at least one of min_r, min_f, min_m, max_r, max_f, max_m'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'For example {"min_r": 4, "min_f": 4, "min_m": 4}.';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_check_params(text, jsonb) IS 'Returns true when the parameters fit the segment kind (tier: value_tier/wealth_tier arrays; pareto: share, measure; rfm: min_/max_ r, f, m; tier, pareto and rfm: model; cluster: cluster_model and cluster); raises an error naming the bad parameter otherwise';

-- segment: the definitions
CREATE TABLE @extschema@.segment (
	segment_id      bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name            text NOT NULL UNIQUE CONSTRAINT segment_name_check CHECK (btrim(name) <> ''),
	kind            text NOT NULL
	                CONSTRAINT segment_kind_check CHECK (kind IN ('rule', 'tier', 'pareto', 'rfm', 'cluster')),
	rule            text,
	params          jsonb NOT NULL DEFAULT '{}',
	description     text,
	owner_staff_id  integer REFERENCES @extschema@.staff DEFAULT @extschema@.current_staff_id(),
	created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
	refreshed_at    timestamptz,
	CONSTRAINT segment_rule_check CHECK ((kind = 'rule') = (rule IS NOT NULL)),
	CONSTRAINT segment_params_check CHECK (@extschema@.segment_check_params(kind, params))
);
COMMENT ON TABLE @extschema@.segment IS 'Segment definitions: a boolean rule over party_features, value or wealth tiers, the top share by a measure, RFM score bounds, or the parties nearest to one centroid of a cluster model';
COMMENT ON COLUMN @extschema@.segment.rule IS 'Kind rule: one boolean SQL expression over the columns of party_features, checked by segment_check_rule()';
COMMENT ON COLUMN @extschema@.segment.params IS 'Kinds tier, pareto and rfm: parameters (model, value_tier, wealth_tier, share, measure, min_r ... max_m); kind cluster: cluster_model and cluster';
COMMENT ON COLUMN @extschema@.segment.owner_staff_id IS 'Staff member who owns the segment; defaults to the one the current role acts as';
COMMENT ON COLUMN @extschema@.segment.refreshed_at IS 'When segment_refresh() last recomputed the members';

-- a rule cannot be saved unless it passes the checker
CREATE FUNCTION @extschema@.segment_rule_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.rule IS NOT NULL THEN
		PERFORM @extschema@.segment_check_rule(NEW.rule);
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_rule_trigger() IS 'Refuses to save a segment whose rule fails segment_check_rule()';
CREATE TRIGGER segment_rule_check BEFORE INSERT OR UPDATE OF rule ON @extschema@.segment
	FOR EACH ROW EXECUTE FUNCTION @extschema@.segment_rule_trigger();

-- segment_member: who is in a segment now
CREATE TABLE @extschema@.segment_member (
	segment_id  bigint NOT NULL REFERENCES @extschema@.segment ON DELETE CASCADE,
	party_id    bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	joined_at   timestamptz NOT NULL,
	PRIMARY KEY (segment_id, party_id)
);
COMMENT ON TABLE @extschema@.segment_member IS 'Current members of each segment, as of its last refresh';
COMMENT ON COLUMN @extschema@.segment_member.joined_at IS 'When the party joined the segment (the refresh that added it)';
CREATE INDEX segment_member_party_idx ON @extschema@.segment_member (party_id);

-- segment_history: every join and leave, append-only
CREATE TABLE @extschema@.segment_history (
	segment_id  bigint NOT NULL REFERENCES @extschema@.segment ON DELETE CASCADE,
	party_id    bigint NOT NULL,
	change      text NOT NULL CONSTRAINT segment_history_change_check CHECK (change IN ('joined', 'left')),
	at          timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.segment_history IS 'Every party that joined or left a segment, and when (the refresh that found it)';
CREATE INDEX segment_history_segment_at_idx ON @extschema@.segment_history (segment_id, at);

-- the SELECT that lists a segment's members: the checked rule embedded as
-- the WHERE clause, or the score conditions of the other kinds
CREATE FUNCTION @extschema@.segment_member_query(kind text, rule text, params jsonb)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
DECLARE
	model_name text;
	measure text;
	conds text[] := ARRAY[]::text[];
	r text;
BEGIN
	IF kind = 'rule' THEN
		-- proven to be exactly one whitelisted expression: embedding the
		-- text is safe, and the newlines keep it apart from the wrapper
		PERFORM @extschema@.segment_check_rule(rule);
		RETURN format(E'SELECT f.party_id FROM %I.party_features f WHERE (\n%s\n)', '@extschema@', rule);
	END IF;

	PERFORM @extschema@.segment_check_params(kind, params);
	IF kind = 'cluster' THEN
		-- src/sql/47_cluster.sql
		RETURN @extschema@.cluster_member_query(params);
	END IF;
	model_name := COALESCE(params ->> 'model', (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default));
	IF model_name IS NULL THEN
		RAISE EXCEPTION 'no default score model'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Mark one score_model row as the default, or name a model in the segment parameters.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM @extschema@.score_model m WHERE m.model = model_name) THEN
		RAISE EXCEPTION 'score model "%" does not exist', model_name
			USING ERRCODE = 'undefined_object';
	END IF;

	IF kind = 'tier' THEN
		IF params ? 'value_tier' THEN
			conds := conds || format('s.value_tier = ANY (%L::text[])',
			                         ARRAY(SELECT jsonb_array_elements_text(params -> 'value_tier')));
		END IF;
		IF params ? 'wealth_tier' THEN
			conds := conds || format('s.wealth_tier = ANY (%L::text[])',
			                         ARRAY(SELECT jsonb_array_elements_text(params -> 'wealth_tier')));
		END IF;
		RETURN format('SELECT s.party_id FROM %I.party_score s WHERE s.model = %L AND %s',
		              '@extschema@', model_name, array_to_string(conds, ' AND '));
	ELSIF kind = 'pareto' THEN
		measure := COALESCE(params ->> 'measure', 'contribution');
		RETURN format('SELECT r.party_id FROM (SELECT s.party_id, '
		              'pg_catalog.row_number() OVER (ORDER BY s.%I DESC NULLS LAST, s.party_id) AS rank, '
		              'pg_catalog.count(*) OVER () AS n '
		              'FROM %I.party_score s WHERE s.model = %L) r '
		              'WHERE r.rank <= pg_catalog.ceil(%s * r.n)',
		              measure, '@extschema@', model_name, (params ->> 'share')::numeric);
	ELSE
		FOREACH r IN ARRAY ARRAY['r', 'f', 'm'] LOOP
			IF params ? ('min_' || r) THEN
				conds := conds || format('s.%I >= %s', 'rfm_' || r, (params ->> ('min_' || r))::integer);
			END IF;
			IF params ? ('max_' || r) THEN
				conds := conds || format('s.%I <= %s', 'rfm_' || r, (params ->> ('max_' || r))::integer);
			END IF;
		END LOOP;
		RETURN format('SELECT s.party_id FROM %I.party_score s WHERE s.model = %L AND %s',
		              '@extschema@', model_name, array_to_string(conds, ' AND '));
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_member_query(text, text, jsonb) IS 'The SELECT listing the party_id of every member of a segment of the given kind, rule and parameters; a rule is checked first';

-- preview: every party a rule selects, without saving anything
CREATE FUNCTION @extschema@.segment_preview(rule text)
RETURNS TABLE (party_id bigint, kind text, status text, region_code text, aum numeric, value_tier text)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
SET standard_conforming_strings = on
AS $$
BEGIN
	PERFORM @extschema@.segment_check_rule(rule);
	RETURN QUERY EXECUTE format(
		E'SELECT f.party_id, f.kind, f.status, f.region_code, f.aum, f.value_tier FROM %I.party_features f WHERE (\n%s\n) ORDER BY f.party_id',
		'@extschema@', rule);
END
$$;
COMMENT ON FUNCTION @extschema@.segment_preview(text) IS 'Every party (that the caller may see) satisfying a segment rule, with a few features, in party_id order; nothing is saved';

-- who asks, and what of the members it may learn about (doc/security.md,
-- "Segments"): bank_wide for superusers and members of bankcrm_admin or
-- bankcrm_app; otherwise the parties the caller may see, and for a caller
-- that sees none but is an analyst, bank-wide aggregates with small counts
-- withheld.  The caller is the session's role (SET ROLE or the login),
-- which a SECURITY DEFINER function does not change.
CREATE FUNCTION @extschema@.segment_caller_scope(OUT bank_wide boolean, OUT aggregate_only boolean, OUT parties bigint[])
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	caller name := CASE WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
	                    ELSE pg_catalog.current_setting('role')::name END;
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = caller AND (r.rolsuper OR r.rolbypassrls))
	   OR pg_catalog.pg_has_role(caller, 'bankcrm_admin', 'USAGE') OR pg_catalog.pg_has_role(caller, 'bankcrm_app', 'USAGE') THEN
		bank_wide := true;
		aggregate_only := false;
		parties := NULL;
		RETURN;
	END IF;
	bank_wide := false;
	parties := ARRAY(SELECT v FROM @extschema@.visible_party_ids(caller) v);
	aggregate_only := pg_catalog.cardinality(parties) = 0 AND pg_catalog.pg_has_role(caller, 'bankcrm_analyst', 'USAGE');
END
$$;
COMMENT ON FUNCTION @extschema@.segment_caller_scope() IS 'What the calling role may learn through the segment functions: bank_wide (admin, app, superuser), else the parties it may see; aggregate_only for an analyst, who gets bank-wide counts with counts below 5 withheld';

-- a count an aggregate-only caller may see: none below 5 (one party's facts would show)
CREATE FUNCTION @extschema@.segment_safe_count(n bigint, aggregate_only boolean)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN aggregate_only AND n > 0 AND n < 5 THEN NULL ELSE n END;
COMMENT ON FUNCTION @extschema@.segment_safe_count(bigint, boolean) IS 'n, or NULL when the caller sees aggregates only and n is between 1 and 4';

-- refresh: recompute the members in one statement, record the difference
CREATE FUNCTION @extschema@.segment_refresh(segment_id bigint)
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
COMMENT ON FUNCTION @extschema@.segment_refresh(bigint) IS 'Recomputes the members of a segment, records who joined and left in segment_history, and returns the numbers joined, left and now in the segment; over every party for bankcrm_admin and bankcrm_app, within the parties the caller may see for anyone else (the other members are left as they are, and not counted)';

CREATE FUNCTION @extschema@.segment_refresh_all()
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
COMMENT ON FUNCTION @extschema@.segment_refresh_all() IS 'Refreshes every segment in segment_id order; returns the numbers joined, left and in each';

-- the members with a few party columns, for the caller's parties only
CREATE VIEW @extschema@.segment_members
WITH (security_invoker = true) AS
SELECT m.segment_id,
       s.name AS segment,
       m.party_id,
       m.joined_at,
       p.kind,
       @extschema@.mask_name(p.name) AS name_masked,
       p.status,
       p.region_code,
       p.home_branch_id,
       p.consent_marketing,
       p.do_not_contact
  FROM @extschema@.segment_member m
  JOIN @extschema@.segment s ON s.segment_id = m.segment_id
  JOIN @extschema@.party p ON p.party_id = m.party_id;
COMMENT ON VIEW @extschema@.segment_members IS 'Current segment members with a few party columns (name masked); row-level security of the caller applies';
COMMENT ON COLUMN @extschema@.segment_members.segment IS 'Segment name';
COMMENT ON COLUMN @extschema@.segment_members.name_masked IS 'First character of the party''s name, the rest masked';

-- sizes: aggregates only, over the members the caller may learn about
CREATE FUNCTION @extschema@.segment_counts()
RETURNS TABLE (segment_id bigint, members bigint, last_joined bigint, last_left bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sc record;
BEGIN
	SELECT * INTO sc FROM @extschema@.segment_caller_scope();
	RETURN QUERY
	SELECT s.segment_id,
	       @extschema@.segment_safe_count(COALESCE(mc.members, 0), sc.aggregate_only),
	       @extschema@.segment_safe_count(COALESCE(hc.last_joined, 0), sc.aggregate_only),
	       @extschema@.segment_safe_count(COALESCE(hc.last_left, 0), sc.aggregate_only)
	  FROM @extschema@.segment s
	  LEFT JOIN (SELECT m.segment_id, pg_catalog.count(*) AS members
	               FROM @extschema@.segment_member m
	              WHERE sc.bank_wide OR sc.aggregate_only OR m.party_id = ANY (sc.parties)
	              GROUP BY m.segment_id) mc ON mc.segment_id = s.segment_id
	  LEFT JOIN (SELECT h.segment_id,
	                    pg_catalog.count(*) FILTER (WHERE h.change = 'joined') AS last_joined,
	                    pg_catalog.count(*) FILTER (WHERE h.change = 'left') AS last_left
	               FROM @extschema@.segment_history h
	               JOIN @extschema@.segment r ON r.segment_id = h.segment_id AND r.refreshed_at = h.at
	              WHERE sc.bank_wide OR sc.aggregate_only OR h.party_id = ANY (sc.parties)
	              GROUP BY h.segment_id) hc ON hc.segment_id = s.segment_id;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_counts() IS 'Per segment: members, joined and left at the last refresh, counting what the caller may learn about (segment_caller_scope)';

CREATE VIEW @extschema@.segment_sizes AS
SELECT s.segment_id,
       s.name,
       s.kind,
       c.members,
       c.last_joined,
       c.last_left,
       s.refreshed_at
  FROM @extschema@.segment s
  JOIN @extschema@.segment_counts() c ON c.segment_id = s.segment_id;
COMMENT ON VIEW @extschema@.segment_sizes IS 'Number of members of every segment, and how many joined and left at its last refresh: all of them for bankcrm_admin and bankcrm_app, those the caller may see for staff, bank-wide with counts of 1 to 4 withheld (NULL) for analysts';
COMMENT ON COLUMN @extschema@.segment_sizes.members IS 'Current members';
COMMENT ON COLUMN @extschema@.segment_sizes.last_joined IS 'Parties that joined at the last refresh';
COMMENT ON COLUMN @extschema@.segment_sizes.last_left IS 'Parties that left at the last refresh';

-- overlap of two segments: aggregates only, over every member
CREATE FUNCTION @extschema@.segment_overlap(a bigint, b bigint)
RETURNS TABLE (only_a bigint, "both" bigint, only_b bigint, jaccard numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	missing bigint;
	sc record;
BEGIN
	SELECT * INTO sc FROM @extschema@.segment_caller_scope();
	SELECT x INTO missing FROM unnest(ARRAY[a, b]) x
	 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.segment s WHERE s.segment_id = x) LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'segment % does not exist', missing
			USING ERRCODE = 'undefined_object',
			      HINT = 'The segments are listed in bankcrm.segment_sizes.';
	END IF;
	-- counted over what the caller may learn about (segment_caller_scope)
	RETURN QUERY
	SELECT @extschema@.segment_safe_count(o.only_a, sc.aggregate_only),
	       @extschema@.segment_safe_count(o.both_, sc.aggregate_only),
	       @extschema@.segment_safe_count(o.only_b, sc.aggregate_only),
	       CASE WHEN sc.aggregate_only AND (o.only_a BETWEEN 1 AND 4 OR o.both_ BETWEEN 1 AND 4 OR o.only_b BETWEEN 1 AND 4)
	            THEN NULL ELSE round(o.both_::numeric / NULLIF(o.only_a + o.both_ + o.only_b, 0), 4) END
	  FROM (SELECT count(*) FILTER (WHERE mb.party_id IS NULL) AS only_a,
	               count(*) FILTER (WHERE ma.party_id IS NOT NULL AND mb.party_id IS NOT NULL) AS both_,
	               count(*) FILTER (WHERE ma.party_id IS NULL) AS only_b
	          FROM (SELECT m.party_id FROM @extschema@.segment_member m WHERE m.segment_id = a
	                   AND (sc.bank_wide OR sc.aggregate_only OR m.party_id = ANY (sc.parties))) ma
	          FULL JOIN (SELECT m.party_id FROM @extschema@.segment_member m WHERE m.segment_id = b
	                        AND (sc.bank_wide OR sc.aggregate_only OR m.party_id = ANY (sc.parties))) mb
	            ON mb.party_id = ma.party_id) o;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_overlap(bigint, bigint) IS 'Members only in segment a, in both, only in b, and the Jaccard index both / (only_a + both + only_b), NULL when both are empty; counted over what the caller may learn about, as segment_sizes';

-- cross-sell for a whole segment: recommend_products() for each current
-- member the caller may see (row-level security applies, as to the members)
CREATE FUNCTION @extschema@.segment_recommendations(segment_id bigint, n integer DEFAULT 3, model text DEFAULT NULL)
RETURNS TABLE (party_id bigint, rank integer, product_id integer, code text, name text, category text,
	lift numeric, support numeric, confidence numeric, because text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM @extschema@.segment s WHERE s.segment_id = segment_recommendations.segment_id) THEN
		RAISE EXCEPTION 'segment % does not exist', segment_recommendations.segment_id
			USING ERRCODE = 'undefined_object',
			      HINT = 'The segments are listed in bankcrm.segment_sizes.';
	END IF;
	-- the members are read first and passed as a value: on Citus a function
	-- whose argument reads a distributed table would be sent to the shards
	RETURN QUERY EXECUTE
		'SELECT r.party_id, r.rank, r.product_id, r.code, r.name, r.category, r.lift, r.support, r.confidence, r.because
		   FROM @extschema@.recommend_products_batch($1, $2, $3) r'
	USING ARRAY(SELECT m.party_id FROM @extschema@.segment_member m
	             WHERE m.segment_id = segment_recommendations.segment_id),
	      segment_recommendations.n, segment_recommendations.model;
END
$$;
COMMENT ON FUNCTION @extschema@.segment_recommendations(bigint, integer, text) IS
	'recommend_products() for every current member of a segment: up to n products per party, by party and rank';

-- privileges: staff and analysts read definitions and aggregates; admin,
-- managers and applications define and refresh segments; members are
-- party-scoped rows under row-level security
GRANT SELECT ON @extschema@.segment, @extschema@.segment_sizes
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT INSERT, UPDATE (name, kind, rule, params, description, owner_staff_id), DELETE ON @extschema@.segment
	TO bankcrm_manager, bankcrm_app;
GRANT SELECT ON @extschema@.party_features, @extschema@.segment_member, @extschema@.segment_history,
	@extschema@.segment_members
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT ALL ON @extschema@.party_features, @extschema@.segment, @extschema@.segment_member,
	@extschema@.segment_history, @extschema@.segment_members, @extschema@.segment_sizes TO bankcrm_admin;
GRANT ALL ON SEQUENCE @extschema@.segment_segment_id_seq TO bankcrm_admin;
GRANT USAGE ON SEQUENCE @extschema@.segment_segment_id_seq TO bankcrm_manager, bankcrm_app;

-- a preview lists parties: for the roles that read party_features
REVOKE ALL ON FUNCTION @extschema@.segment_preview(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.segment_preview(text) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.segment_caller_scope() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.segment_counts() FROM PUBLIC;
-- segment_sizes calls it as the reader: it counts what the reader may learn about
GRANT EXECUTE ON FUNCTION @extschema@.segment_counts() TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.segment_refresh(bigint), @extschema@.segment_refresh_all(),
	@extschema@.segment_overlap(bigint, bigint), @extschema@.segment_recommendations(bigint, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.segment_refresh(bigint), @extschema@.segment_refresh_all()
	TO bankcrm_admin, bankcrm_manager, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.segment_overlap(bigint, bigint)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.segment_recommendations(bigint, integer, text)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
