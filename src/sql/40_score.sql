-- src/sql/40_score.sql
-- customer value scoring: the scoring models, the per-party scores and their
-- history, the C scoring functions, score_preview() / score_all(), the value
-- pyramid, the Pareto line, hidden gold and cross-sell recommendations.
-- doc/scoring.md explains every formula.

-- score_model: every parameter of a scoring model

CREATE TABLE @extschema@.score_model (
	model                    text PRIMARY KEY
	                         CONSTRAINT score_model_name_check CHECK (model ~ '^[a-z][a-z0-9_]{0,62}$'),
	version                  integer NOT NULL DEFAULT 1 CONSTRAINT score_model_version_check CHECK (version >= 1),
	is_default               boolean NOT NULL DEFAULT false,
	description              text,
	-- contribution
	ftp                      jsonb NOT NULL DEFAULT '{}'
	                         CONSTRAINT score_model_ftp_check CHECK (pg_catalog.jsonb_typeof(ftp) = 'object'),
	asset_categories         text[] NOT NULL DEFAULT '{loan,card}',
	aum_categories           text[] NOT NULL DEFAULT '{deposit,wealth,insurance}',
	pd                       double precision[] NOT NULL
	                         CONSTRAINT score_model_pd_check CHECK (pg_catalog.array_ndims(pd) = 1
	                           AND pg_catalog.cardinality(pd) = 22 AND 0 <= ALL (pd) AND 1 >= ALL (pd)),
	lgd                      double precision NOT NULL DEFAULT 0.45 CONSTRAINT score_model_lgd_check CHECK (lgd BETWEEN 0 AND 1),
	unrated_rating           @extschema@.credit_rating NOT NULL DEFAULT 'BB',
	channel_cost             jsonb NOT NULL DEFAULT '{}'
	                         CONSTRAINT score_model_channel_cost_check CHECK (pg_catalog.jsonb_typeof(channel_cost) = 'object'),
	fee_min_days             integer NOT NULL DEFAULT 30 CONSTRAINT score_model_fee_min_days_check CHECK (fee_min_days BETWEEN 1 AND 366),
	-- value score
	value_weights            double precision[] NOT NULL
	                         CONSTRAINT score_model_value_weights_check CHECK (pg_catalog.array_ndims(value_weights) = 1
	                           AND pg_catalog.cardinality(value_weights) = 7 AND 0 <= ALL (value_weights)),
	value_scales             double precision[] NOT NULL
	                         CONSTRAINT score_model_value_scales_check CHECK (pg_catalog.array_ndims(value_scales) = 1
	                           AND pg_catalog.cardinality(value_scales) = 4 AND 0 < ALL (value_scales)),
	potential                jsonb NOT NULL
	                         CONSTRAINT score_model_potential_check CHECK (pg_catalog.jsonb_typeof(potential) = 'object'),
	growth_floor             double precision NOT NULL DEFAULT 1000 CONSTRAINT score_model_growth_floor_check CHECK (growth_floor > 0),
	growth_window_days       integer NOT NULL DEFAULT 365,
	growth_min_days          integer NOT NULL DEFAULT 28,
	-- history
	history_tolerance        double precision NOT NULL DEFAULT 0.01
	                         CONSTRAINT score_model_history_tolerance_check CHECK (history_tolerance >= 0 AND history_tolerance < 1),
	history_score_tolerance  integer NOT NULL DEFAULT 4
	                         CONSTRAINT score_model_history_score_tolerance_check CHECK (history_score_tolerance BETWEEN 0 AND 1000),
	-- tiers
	value_tier_basis         text NOT NULL DEFAULT 'contribution'
	                         CONSTRAINT score_model_value_tier_basis_check CHECK (value_tier_basis IN ('contribution', 'value_score')),
	key_min                  double precision NOT NULL,
	general_min              double precision NOT NULL,
	affluent_min             double precision NOT NULL DEFAULT 500000,
	hnw_min                  double precision NOT NULL DEFAULT 10000000,
	uhnw_min                 double precision NOT NULL DEFAULT 100000000,
	-- lifetime value
	retention                jsonb NOT NULL DEFAULT '{}'
	                         CONSTRAINT score_model_retention_check CHECK (pg_catalog.jsonb_typeof(retention) = 'object'),
	retention_default        double precision NOT NULL DEFAULT 0.85
	                         CONSTRAINT score_model_retention_default_check CHECK (retention_default BETWEEN 0 AND 1),
	discount_rate            double precision NOT NULL DEFAULT 0.08
	                         CONSTRAINT score_model_discount_rate_check CHECK (discount_rate > -1),
	clv_years                integer NOT NULL DEFAULT 10 CONSTRAINT score_model_clv_years_check CHECK (clv_years BETWEEN 0 AND 100),
	-- hidden gold
	hidden_gold_occupations  text[] NOT NULL DEFAULT '{individual_merchant}',
	hidden_gold_min_turnover numeric(18, 2) NOT NULL DEFAULT 2000000,
	hidden_gold_max_aum      numeric(18, 2) NOT NULL DEFAULT 200000,
	-- cross-sell
	affinity_min_parties     integer NOT NULL DEFAULT 5
	                         CONSTRAINT score_model_affinity_min_parties_check CHECK (affinity_min_parties >= 1),
	time_zone                text NOT NULL DEFAULT 'Asia/Shanghai',
	builtin                  boolean NOT NULL DEFAULT false,
	-- tiers of households and corporate groups
	tier_by_group            boolean NOT NULL DEFAULT false,
	CONSTRAINT score_model_value_tier_order_check CHECK (general_min <= key_min),
	CONSTRAINT score_model_wealth_tier_order_check CHECK (affluent_min <= hnw_min AND hnw_min <= uhnw_min),
	CONSTRAINT score_model_growth_days_check CHECK (growth_min_days >= 1 AND growth_window_days >= growth_min_days),
	CONSTRAINT score_model_one_default EXCLUDE USING btree (is_default WITH OPERATOR(pg_catalog.=))
	  WHERE (is_default) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE @extschema@.score_model IS 'Scoring models: every parameter of contribution, value score, tiers, lifetime value, hidden gold and cross-sell; one model is the default';
COMMENT ON COLUMN @extschema@.score_model.version IS 'Version of the model''s parameters; raise it when they change';
COMMENT ON COLUMN @extschema@.score_model.is_default IS 'The model used when none is named; at most one';
COMMENT ON COLUMN @extschema@.score_model.ftp IS 'Funds transfer price per product category (yearly fraction); categories not listed are off balance sheet and earn fees only';
COMMENT ON COLUMN @extschema@.score_model.asset_categories IS 'Categories in which the bank lends: margin = rate - FTP, expected loss applies; other priced categories are funding: margin = FTP - rate';
COMMENT ON COLUMN @extschema@.score_model.aum_categories IS 'Categories whose balances count as assets under management';
COMMENT ON COLUMN @extschema@.score_model.pd IS 'One-year probability of default per notch, AAA = element 1 ... D = element 22';
COMMENT ON COLUMN @extschema@.score_model.lgd IS 'Loss given default, a fraction of the balance';
COMMENT ON COLUMN @extschema@.score_model.unrated_rating IS 'Grade assumed for parties without a credit rating';
COMMENT ON COLUMN @extschema@.score_model.channel_cost IS 'Cost in CNY of one contact per channel (cost to serve)';
COMMENT ON COLUMN @extschema@.score_model.fee_min_days IS 'Year-to-date fees are annualised over at least this many days';
COMMENT ON COLUMN @extschema@.score_model.value_weights IS 'Weights of the value score components: contribution, growth, tenure, breadth, credit, recency, potential';
COMMENT ON COLUMN @extschema@.score_model.value_scales IS 'Scales of the value score: contribution giving full marks (CNY/year), tenure (years), products, recency half-life (days)';
COMMENT ON COLUMN @extschema@.score_model.potential IS 'Potential tables: education, occupation, life_stage, product_lifecycle values in [0, 1], mix weights, age_full, age_zero, institution, unknown';
COMMENT ON COLUMN @extschema@.score_model.growth_floor IS 'Smallest denominator (CNY) of the relative contribution growth';
COMMENT ON COLUMN @extschema@.score_model.growth_window_days IS 'Growth compares with the oldest score at most this many days old';
COMMENT ON COLUMN @extschema@.score_model.growth_min_days IS 'and at least this many days old';
COMMENT ON COLUMN @extschema@.score_model.history_tolerance IS 'score_history records a new row when contribution, lifetime value or AUM moves by more than this fraction of the last recorded value (or a tier, an RFM quintile or the value score moves more than history_score_tolerance)';
COMMENT ON COLUMN @extschema@.score_model.history_score_tolerance IS 'score_history records a new row when the value score moves by more than this many points from the last recorded one';
COMMENT ON COLUMN @extschema@.score_model.value_tier_basis IS 'Value tiers cut on contribution (CNY/year) or on value_score';
COMMENT ON COLUMN @extschema@.score_model.key_min IS 'Smallest basis value of a key customer';
COMMENT ON COLUMN @extschema@.score_model.general_min IS 'Smallest basis value of a general customer; below it a customer is scattered';
COMMENT ON COLUMN @extschema@.score_model.affluent_min IS 'Smallest AUM (CNY) of an affluent individual';
COMMENT ON COLUMN @extschema@.score_model.hnw_min IS 'Smallest AUM (CNY) of a high-net-worth individual';
COMMENT ON COLUMN @extschema@.score_model.uhnw_min IS 'Smallest AUM (CNY) of an ultra-high-net-worth individual';
COMMENT ON COLUMN @extschema@.score_model.retention IS 'Default yearly retention per party kind and value tier: {"individual": {"key": 0.95, ...}, ...}';
COMMENT ON COLUMN @extschema@.score_model.retention_default IS 'Retention when neither party_retention nor the retention table gives one';
COMMENT ON COLUMN @extschema@.score_model.discount_rate IS 'Yearly discount rate of the lifetime value';
COMMENT ON COLUMN @extschema@.score_model.clv_years IS 'Horizon of the lifetime value in years';
COMMENT ON COLUMN @extschema@.score_model.hidden_gold_occupations IS 'Occupations that can be hidden gold (individual merchants)';
COMMENT ON COLUMN @extschema@.score_model.hidden_gold_min_turnover IS 'Smallest yearly business turnover (CNY) of hidden gold';
COMMENT ON COLUMN @extschema@.score_model.hidden_gold_max_aum IS 'Hidden gold keeps less than this AUM (CNY) with the bank';
COMMENT ON COLUMN @extschema@.score_model.tier_by_group IS 'When true, a member of a household or corporate group (relationship_group) takes the value tier and wealth tier of its group: the members'' contributions, value scores (at most 1000) and assets added up, under the same cut-offs; lifetime value then uses the retention of that tier';
COMMENT ON COLUMN @extschema@.score_model.affinity_min_parties IS 'Smallest number of parties behind a product_affinity row';
COMMENT ON COLUMN @extschema@.score_model.time_zone IS 'Time zone in which contact times are turned into days';
COMMENT ON COLUMN @extschema@.score_model.builtin IS 'Installed by the extension; inserting a builtin row of an existing name replaces it (how restores keep a modified built-in model)';

-- a dump holds the built-in model's row, which CREATE EXTENSION has already
-- installed: the restored row's values replace the installed row's, in
-- place (a restore may already have brought back the model's scores, which
-- keep a model from being deleted), and the insert is skipped.  Every column
-- is copied, named from the catalog, so that columns added later follow.
CREATE FUNCTION @extschema@.score_model_builtin_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cols text;
	n bigint;
BEGIN
	IF NOT NEW.builtin THEN
		RETURN NEW;
	END IF;
	SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
	  FROM pg_attribute a
	 WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
	EXECUTE format('UPDATE %I.%I m SET (%s) = ROW(($1).*) '
	               'WHERE m.model OPERATOR(pg_catalog.=) ($1).model AND m.builtin',
	               TG_TABLE_SCHEMA, TG_TABLE_NAME, cols)
	  USING NEW;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.score_model_builtin_trigger() IS 'Lets an inserted built-in model row replace the installed one in place (pg_dump restores)';
CREATE TRIGGER score_model_builtin BEFORE INSERT ON @extschema@.score_model
	FOR EACH ROW EXECUTE FUNCTION @extschema@.score_model_builtin_trigger();

INSERT INTO @extschema@.score_model (model, is_default, builtin, description, ftp, pd, lgd, unrated_rating, channel_cost,
	value_weights, value_scales, potential, key_min, general_min, retention)
VALUES ('standard', true, true,
	'Standard model for a Chinese commercial bank: FTP about 2.5 %, agency PD curve, LGD 45 %, branch-based channel costs',
	'{"loan": 0.0285, "card": 0.0300, "deposit": 0.0250, "fx": 0.0150}',
	'{0.0001,0.0002,0.0003,0.0004,0.0006,0.0008,0.0011,0.0015,0.0020,0.0030,0.0050,0.0080,0.0120,0.0200,0.0300,0.0450,0.0700,0.1000,0.1400,0.2000,0.3000,1.0000}',
	0.45, 'BB',
	'{"branch": 25, "phone_out": 4, "phone_in": 3, "web": 0.2, "mobile": 0.1, "email": 0.05, "letter": 6, "visit": 120, "event": 60, "sms": 0.05, "fax": 2}',
	'{0.35,0.10,0.10,0.10,0.10,0.10,0.15}',
	'{1000000,10,6,180}',
	'{"education": {"primary": 0.2, "secondary": 0.35, "vocational": 0.45, "bachelor": 0.7, "master": 0.85, "doctorate": 0.95},
	  "occupation": {"student": 0.8, "employee": 0.5, "professional": 0.85, "civil_servant": 0.7, "business_owner": 0.8,
	                 "individual_merchant": 0.65, "farmer": 0.25, "retired": 0.3, "homemaker": 0.3, "unemployed": 0.15,
	                 "executive": 0.95, "other": 0.4},
	  "life_stage": {"bachelor": 0.7, "newly_married": 0.9, "full_nest_1": 0.85, "full_nest_2": 0.7, "full_nest_3": 0.55,
	                 "empty_nest": 0.4, "solitary_survivor": 0.2},
	  "product_lifecycle": {"introduction": 0.6, "growth": 0.9, "maturity": 0.5, "decline": 0.15},
	  "mix": {"education": 0.3, "occupation": 0.3, "life_stage": 0.15, "age": 0.25},
	  "age_full": 25, "age_zero": 75, "institution": 0.5, "unknown": 0.4}',
	20000, 1000,
	'{"individual": {"key": 0.95, "general": 0.90, "scattered": 0.80},
	  "corporate": {"key": 0.92, "general": 0.88, "scattered": 0.78},
	  "financial_institution": {"key": 0.95, "general": 0.92, "scattered": 0.85},
	  "government": {"key": 0.97, "general": 0.95, "scattered": 0.90}}');

-- the default model's name, or the name given
CREATE FUNCTION @extschema@.score_model_resolve(model text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT COALESCE(score_model_resolve.model,
	                (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default));
END;
COMMENT ON FUNCTION @extschema@.score_model_resolve(text) IS 'The model name given, or the default model''s name when NULL';

-- per-party scores and their history

-- party_score and score_history are written by score_all() and carry no
-- foreign keys: a key check per written row locks that party's row (a
-- SELECT ... FOR KEY SHARE), which would cost a scoring run more than all
-- its other writes.  The triggers below keep them consistent instead: a
-- deleted party's scores go with it, a renamed model renames its scores, a
-- model that has scores cannot be deleted, and every score_all() removes
-- the scores of parties that are gone.
CREATE TABLE @extschema@.party_score (
	party_id      bigint NOT NULL,
	model         text NOT NULL,
	contribution  numeric(16, 2),
	value_score   integer CONSTRAINT party_score_value_score_check CHECK (value_score BETWEEN 0 AND 1000),
	value_tier    text CONSTRAINT party_score_value_tier_check CHECK (value_tier IN ('key', 'general', 'scattered')),
	wealth_tier   text CONSTRAINT party_score_wealth_tier_check CHECK (wealth_tier IN ('mass', 'affluent', 'hnw', 'uhnw')),
	rfm_r         smallint CONSTRAINT party_score_rfm_r_check CHECK (rfm_r BETWEEN 1 AND 5),
	rfm_f         smallint CONSTRAINT party_score_rfm_f_check CHECK (rfm_f BETWEEN 1 AND 5),
	rfm_m         smallint CONSTRAINT party_score_rfm_m_check CHECK (rfm_m BETWEEN 1 AND 5),
	clv           numeric(16, 2),
	aum           numeric(18, 2),
	computed_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
	scored_on     date,
	retention     double precision,
	growth        double precision,
	potential     double precision,
	last_active_on date,
	frequency     bigint,
	products      integer,
	PRIMARY KEY (party_id, model)
) WITH (fillfactor = 50);
COMMENT ON TABLE @extschema@.party_score IS 'The latest score of every party under every model, written by score_all(); half of each page is kept free so that a daily rescore updates rows in place';
COMMENT ON COLUMN @extschema@.party_score.contribution IS 'Yearly profit contribution, CNY: interest margins after FTP, minus expected loss, plus fees, minus cost to serve';
COMMENT ON COLUMN @extschema@.party_score.value_score IS 'Composite customer value, 0 to 1000';
COMMENT ON COLUMN @extschema@.party_score.value_tier IS 'key, general or scattered, by the model''s cut-offs';
COMMENT ON COLUMN @extschema@.party_score.wealth_tier IS 'Wealth pyramid level by AUM (individuals only): mass, affluent, hnw, uhnw';
COMMENT ON COLUMN @extschema@.party_score.rfm_r IS 'Recency quintile, 5 = most recent activity';
COMMENT ON COLUMN @extschema@.party_score.rfm_f IS 'Frequency quintile (contacts and transactions in 12 months), 5 = most frequent';
COMMENT ON COLUMN @extschema@.party_score.rfm_m IS 'Monetary quintile (contribution), 5 = highest';
COMMENT ON COLUMN @extschema@.party_score.clv IS 'Customer lifetime value, CNY: discounted contribution over the model''s horizon at the party''s retention';
COMMENT ON COLUMN @extschema@.party_score.aum IS 'Assets under management, CNY';
COMMENT ON COLUMN @extschema@.party_score.computed_at IS 'When score_all() last wrote the row, that is changed it';
COMMENT ON COLUMN @extschema@.party_score.scored_on IS 'The scoring day (as_of of score_all) from which the row''s values hold: the run that last changed them; score_run_log tells the day of the last run';
COMMENT ON COLUMN @extschema@.party_score.retention IS 'Yearly retention used for the lifetime value';
COMMENT ON COLUMN @extschema@.party_score.growth IS 'Relative change of contribution since the reference score in score_history, -1 to 1';
COMMENT ON COLUMN @extschema@.party_score.potential IS 'Potential from life stage, education, occupation and age (individuals) or market life cycle (corporates), 0 to 1';
COMMENT ON COLUMN @extschema@.party_score.last_active_on IS 'The day of the last contact, transaction week (its last day, at most the scoring day) or product opening on or before the scoring day; NULL when none';
COMMENT ON COLUMN @extschema@.party_score.frequency IS 'Contacts plus transactions in the 12 months before the scoring day';
COMMENT ON COLUMN @extschema@.party_score.products IS 'Open holdings';
-- No index by tier: a tier holds a large share of the parties, which a scan
-- reads faster than an index, and an index on value_tier would cost every
-- write and turn each update that changes a tier into one that moves the row.

CREATE TABLE @extschema@.score_history (
	party_id      bigint NOT NULL,
	model         text NOT NULL,
	scored_on     date NOT NULL,
	contribution  numeric(16, 2),
	value_score   integer,
	value_tier    text,
	wealth_tier   text,
	rfm_r         smallint,
	rfm_f         smallint,
	rfm_m         smallint,
	clv           numeric(16, 2),
	aum           numeric(18, 2),
	PRIMARY KEY (party_id, model, scored_on)
);
COMMENT ON TABLE @extschema@.score_history IS 'A party''s recorded scores under a model from the day they were first scored (scored_on) and from every day they changed; growth is computed from it';
COMMENT ON COLUMN @extschema@.score_history.scored_on IS 'The scoring day (as_of of score_all) from which these scores held';
-- Rows are added in the order of the scoring days, so a block range index
-- finds a day's rows at almost no cost to the daily inserts (a B-tree on
-- (model, scored_on) took as long to maintain as the rows to write: every
-- row of a day carries the same key).
CREATE INDEX score_history_day_idx ON @extschema@.score_history USING brin (scored_on);

-- one row per score_all() that committed
CREATE TABLE @extschema@.score_run_log (
	run_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	model             text NOT NULL,
	model_version     integer NOT NULL,
	as_of             date NOT NULL,
	started_at        timestamptz NOT NULL,
	finished_at       timestamptz NOT NULL,
	run_by            name NOT NULL DEFAULT CURRENT_USER,
	parties           bigint NOT NULL,
	scores_updated    bigint NOT NULL,
	scores_inserted   bigint NOT NULL,
	scores_deleted    bigint NOT NULL,
	history_inserted  bigint NOT NULL,
	history_updated   bigint NOT NULL,
	affinity_rows     bigint,
	read_ms           double precision NOT NULL,
	store_ms          double precision NOT NULL
);
CREATE INDEX score_run_log_model_idx ON @extschema@.score_run_log (model, as_of);
COMMENT ON TABLE @extschema@.score_run_log IS 'One row per score_all() that committed: the model and day scored, when and by whom, what was written and where the time went';
COMMENT ON COLUMN @extschema@.score_run_log.model_version IS 'score_model.version when the run read the model';
COMMENT ON COLUMN @extschema@.score_run_log.started_at IS 'When score_all() was called (clock time)';
COMMENT ON COLUMN @extschema@.score_run_log.finished_at IS 'When it had written everything, before its commit';
COMMENT ON COLUMN @extschema@.score_run_log.parties IS 'Parties scored';
COMMENT ON COLUMN @extschema@.score_run_log.scores_updated IS 'party_score rows updated (their scores changed)';
COMMENT ON COLUMN @extschema@.score_run_log.scores_inserted IS 'party_score rows inserted (parties scored for the first time)';
COMMENT ON COLUMN @extschema@.score_run_log.scores_deleted IS 'party_score rows deleted (parties closed or gone)';
COMMENT ON COLUMN @extschema@.score_run_log.history_inserted IS 'score_history rows inserted';
COMMENT ON COLUMN @extschema@.score_run_log.history_updated IS 'score_history rows of the same day updated';
COMMENT ON COLUMN @extschema@.score_run_log.affinity_rows IS 'product_affinity rows written, NULL when the run did not refresh them';
COMMENT ON COLUMN @extschema@.score_run_log.read_ms IS 'Milliseconds reading the bank and computing the scores';
COMMENT ON COLUMN @extschema@.score_run_log.store_ms IS 'Milliseconds writing party_score and score_history';

-- what the foreign keys would do: a party's scores go with the party.  A
-- row trigger, not a statement trigger with a transition table (Citus runs
-- none): on Citus it runs on the party's shard and deletes the rows of the
-- same party, in the co-located shards of the same node
CREATE FUNCTION @extschema@.score_party_deleted()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET citus.allow_nested_distributed_execution = on
AS $$
BEGIN
	DELETE FROM @extschema@.party_score s WHERE s.party_id = OLD.party_id;
	DELETE FROM @extschema@.score_history s WHERE s.party_id = OLD.party_id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.score_party_deleted() IS 'Trigger: deletes the scores and score history of a deleted party';
CREATE TRIGGER party_scores_delete AFTER DELETE ON @extschema@.party
	FOR EACH ROW EXECUTE FUNCTION @extschema@.score_party_deleted();

-- a renamed model renames its scores; a model that has scores stays.
-- On Citus score_model is a reference table whose trigger fires on its copy
-- on every node, inside the statement's distributed transaction; each copy
-- renames (or looks for) the scores in the shards of its own node, where a
-- query over the distributed tables could not run.
CREATE FUNCTION @extschema@.score_model_scores_trigger()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rels regclass[];
	r regclass;
	found boolean;
BEGIN
	IF TG_RELID OPERATOR(pg_catalog.=) '@extschema@.score_model'::regclass THEN
		rels := ARRAY['@extschema@.party_score'::regclass, '@extschema@.score_history'::regclass];
	ELSE
		SELECT pg_catalog.array_agg(s) INTO rels
		  FROM @extschema@.local_shards('@extschema@.party_score') s;
		SELECT rels OPERATOR(pg_catalog.||) pg_catalog.array_agg(s) INTO rels
		  FROM @extschema@.local_shards('@extschema@.score_history') s;
	END IF;
	FOREACH r IN ARRAY COALESCE(rels, '{}') LOOP
		IF TG_OP = 'UPDATE' THEN
			EXECUTE pg_catalog.format('UPDATE %s s SET model = $1 WHERE s.model OPERATOR(pg_catalog.=) $2', r)
				USING NEW.model, OLD.model;
		ELSE
			EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s s WHERE s.model OPERATOR(pg_catalog.=) $1)', r)
				INTO found USING OLD.model;
			IF found THEN
				RAISE EXCEPTION 'score model "%" still has scores', OLD.model
					USING ERRCODE = 'foreign_key_violation',
					      DETAIL = 'party_score or score_history holds rows of the model.',
					      HINT = 'Delete the model''s rows of party_score and score_history first.';
			END IF;
		END IF;
	END LOOP;
	IF TG_OP = 'UPDATE' THEN
		RETURN NEW;
	END IF;
	RETURN OLD;
END
$$;
COMMENT ON FUNCTION @extschema@.score_model_scores_trigger() IS
	'Trigger: a renamed score model renames its scores and history; a model with scores cannot be deleted';
CREATE TRIGGER score_model_scores_rename AFTER UPDATE OF model ON @extschema@.score_model
	FOR EACH ROW WHEN (OLD.model IS DISTINCT FROM NEW.model)
	EXECUTE FUNCTION @extschema@.score_model_scores_trigger();
CREATE TRIGGER score_model_scores_delete BEFORE DELETE ON @extschema@.score_model
	FOR EACH ROW EXECUTE FUNCTION @extschema@.score_model_scores_trigger();

-- the hook for a per-party retention estimate (churn risk)
CREATE TABLE @extschema@.party_retention (
	party_id      bigint PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	retention     double precision NOT NULL CONSTRAINT party_retention_retention_check CHECK (retention BETWEEN 0 AND 1),
	source        text NOT NULL DEFAULT 'manual',
	estimated_on  date NOT NULL DEFAULT CURRENT_DATE
);
COMMENT ON TABLE @extschema@.party_retention IS 'Per-party yearly retention estimates (for example from churn risk); score_all() prefers them to the model''s defaults';
COMMENT ON COLUMN @extschema@.party_retention.source IS 'Who estimated it: manual, churn, ...';

-- cross-sell: product affinity among similar parties
CREATE TABLE @extschema@.product_affinity (
	model               text NOT NULL REFERENCES @extschema@.score_model ON UPDATE CASCADE ON DELETE CASCADE,
	kind                text NOT NULL,
	value_tier          text NOT NULL,
	antecedent_id       integer REFERENCES @extschema@.product ON DELETE CASCADE,
	product_id          integer NOT NULL REFERENCES @extschema@.product ON DELETE CASCADE,
	group_parties       bigint NOT NULL,
	antecedent_parties  bigint NOT NULL,
	product_parties     bigint NOT NULL,
	pair_parties        bigint NOT NULL,
	support             double precision NOT NULL,
	confidence          double precision NOT NULL,
	lift                double precision NOT NULL,
	as_of               date NOT NULL,
	refreshed_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT product_affinity_key UNIQUE NULLS NOT DISTINCT (model, kind, value_tier, antecedent_id, product_id)
);
COMMENT ON TABLE @extschema@.product_affinity IS 'Association rules "holders of antecedent also hold product" per party kind and value tier, refreshed by score_all(); antecedent NULL is the tier''s baseline';
COMMENT ON COLUMN @extschema@.product_affinity.group_parties IS 'Scored parties of this kind and value tier';
COMMENT ON COLUMN @extschema@.product_affinity.antecedent_parties IS 'Parties of the group holding the antecedent (the whole group for baseline rows)';
COMMENT ON COLUMN @extschema@.product_affinity.product_parties IS 'Parties of the group holding the product';
COMMENT ON COLUMN @extschema@.product_affinity.pair_parties IS 'Parties of the group holding both';
COMMENT ON COLUMN @extschema@.product_affinity.support IS 'pair_parties / group_parties';
COMMENT ON COLUMN @extschema@.product_affinity.confidence IS 'pair_parties / antecedent_parties';
COMMENT ON COLUMN @extschema@.product_affinity.lift IS 'confidence / (product_parties / group_parties); baseline rows: share in the tier / share in the kind';

-- scoring functions (C, pure)

CREATE FUNCTION @extschema@.contribution(loan_balance double precision, loan_rate double precision,
	loan_ftp double precision, deposit_balance double precision, deposit_rate double precision,
	deposit_ftp double precision, fees double precision, cost_to_serve double precision,
	credit_rating @extschema@.credit_rating, pd double precision[], lgd double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.contribution(double precision, double precision, double precision, double precision,
	double precision, double precision, double precision, double precision, @extschema@.credit_rating,
	double precision[], double precision) IS
	'Yearly profit contribution: L(rate - FTP) - L PD(notch) LGD + D(FTP - rate) + fees - cost to serve';

CREATE FUNCTION @extschema@.value_score(contribution double precision, growth double precision,
	tenure_years double precision, products integer, credit_rating @extschema@.credit_rating,
	recency_days integer, potential double precision, weights double precision[], scales double precision[])
	RETURNS integer
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.value_score(double precision, double precision, double precision, integer,
	@extschema@.credit_rating, integer, double precision, double precision[], double precision[]) IS
	'Customer value 0 to 1000: weighted mean of contribution, growth, tenure, breadth, credit, recency and potential';

CREATE FUNCTION @extschema@.potential(kind text, age integer, education text, occupation text, life_stage text,
	product_lifecycle text, params jsonb)
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.potential(text, integer, text, text, text, text, jsonb) IS
	'What a party may become, 0 to 1: education, occupation, life stage and age of individuals, market life cycle of corporates';

CREATE FUNCTION @extschema@.clv(annual_margin double precision, retention double precision,
	discount_rate double precision, years integer)
	RETURNS double precision
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(double precision, double precision, double precision, integer) IS
	'Customer lifetime value: sum over t = 1..years of margin * retention^(t-1) / (1 + discount_rate)^t';

CREATE FUNCTION @extschema@.value_tier(x double precision, key_min double precision, general_min double precision)
	RETURNS text
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.value_tier(double precision, double precision, double precision) IS
	'key when x >= key_min, general when x >= general_min, else scattered';

CREATE FUNCTION @extschema@.wealth_tier(aum double precision, affluent_min double precision,
	hnw_min double precision, uhnw_min double precision)
	RETURNS text
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.wealth_tier(double precision, double precision, double precision, double precision) IS
	'Wealth pyramid level by assets under management: mass, affluent, hnw or uhnw';

CREATE FUNCTION @extschema@.rfm_score(r integer, f integer, m integer)
	RETURNS integer
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(integer, integer, integer) IS
	'RFM code 100 r + 10 f + m of three quintiles 1 to 5 (555 is best)';

CREATE FUNCTION @extschema@.rfm_segment(r integer, f integer, m integer)
	RETURNS text
	AS 'MODULE_PATHNAME'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer) IS
	'RFM group: champions, loyal, promising, need_attention, cant_lose, at_risk or hibernating';

-- score_preview: the scores of every party that is not closed, computed and
-- not stored, by the scoring engine of src/score/read.c (one sequential pass over
-- each input table; doc/scoring.md has every formula)
CREATE FUNCTION @extschema@.score_preview(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE)
RETURNS TABLE (party_id bigint, model text, contribution numeric, value_score integer, value_tier text,
	wealth_tier text, rfm_r smallint, rfm_f smallint, rfm_m smallint, clv numeric, aum numeric,
	retention double precision, growth double precision, potential double precision, recency_days integer,
	frequency bigint, products integer)
	AS 'MODULE_PATHNAME'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 100000;
COMMENT ON FUNCTION @extschema@.score_preview(text, date) IS
	'The scores score_all() would store for every party that is not closed, computed as of a day and not stored';

-- product_affinity_refresh: the association rules of a model's value tiers,
-- counted in C (src/score/affinity.c) from the tiers in party_score and the
-- holdings open on as_of; score_all() counts them from the tiers it has just
-- computed
CREATE FUNCTION @extschema@.product_affinity_refresh(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE)
RETURNS bigint
	AS 'MODULE_PATHNAME'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.product_affinity_refresh(text, date) IS
	'Recomputes product_affinity of a model from its party_score tiers and the holdings open on as_of; returns the rows written';

-- score_all: recompute every party's scores and store what changed
-- (src/score/store.c: deletes, in-place updates and inserts through the
-- executor's single-row paths, history rows only for changed scores)
CREATE FUNCTION @extschema@.score_all(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE,
	refresh_affinity boolean DEFAULT true)
RETURNS TABLE (parties bigint, key bigint, general bigint, scattered bigint, mass bigint, affluent bigint,
	hnw bigint, uhnw bigint, affinity_rows bigint)
	AS 'MODULE_PATHNAME'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.score_all(text, date, boolean) IS
	'Recomputes party_score of a model (default: the default model) as of a day, records changed scores in score_history, refreshes product_affinity; returns counts per tier';

-- score_history_prune: delete the history rows growth can no longer use.
-- Growth on as_of or later compares with each party's latest row at least
-- growth_window_days old, so the rows older than that one are not read
-- again; what is kept beyond it is for trend analysis.
CREATE FUNCTION @extschema@.score_history_prune(model text DEFAULT NULL, as_of date DEFAULT CURRENT_DATE)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	m_name		text;
	m_window	integer;
	n			bigint;
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite date'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Pass the first day the pruned history will be used for, usually today.';
	END IF;
	SELECT s.model, s.growth_window_days INTO m_name, m_window
	  FROM @extschema@.score_model s
	 WHERE CASE WHEN score_history_prune.model IS NULL THEN s.is_default ELSE s.model = score_history_prune.model END;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'score model "%" does not exist', coalesce(score_history_prune.model, '(default)')
			USING ERRCODE = 'undefined_object',
			      HINT = 'Name a model of bankcrm.score_model, or mark one as the default.';
	END IF;
	WITH reference AS (
		SELECT h.party_id, max(h.scored_on) AS scored_on
		  FROM @extschema@.score_history h
		 WHERE h.model = m_name AND h.scored_on <= as_of - m_window
		 GROUP BY h.party_id
	)
	DELETE FROM @extschema@.score_history h
	 USING reference r
	 WHERE h.model = m_name AND h.party_id = r.party_id AND h.scored_on < r.scored_on;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$fn$;
COMMENT ON FUNCTION @extschema@.score_history_prune(text, date) IS
	'Deletes the score_history rows of a model that growth on as_of or later no longer reads (older than each party''s latest row at least growth_window_days old); returns the rows deleted';

-- cross-sell recommendations: one set-based statement for any number of
-- parties, joined on party_id throughout (on Citus it runs inside the
-- co-located shard tasks); PL/pgSQL, as Citus cannot plan the parameters
-- of a SQL function over distributed tables
-- The candidates of a party: the rules of its kind and value tier whose
-- antecedent it holds, and those that need none (a join on the antecedent
-- instead of a test of every rule of the tier against the holdings); of
-- each product it does not hold, the rule of highest lift.
CREATE FUNCTION @extschema@.recommend_products_batch(party_ids bigint[], n integer DEFAULT 3, model text DEFAULT NULL)
RETURNS TABLE (party_id bigint, rank integer, product_id integer, code text, name text, category text,
	lift numeric, support numeric, confidence numeric, because text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m_name text := COALESCE(recommend_products_batch.model,
	                        (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default));
BEGIN
	IF recommend_products_batch.n < 0 THEN
		RAISE EXCEPTION 'the number of recommendations must not be negative'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give n >= 0, or NULL for every candidate.';
	END IF;
	-- dynamic, so that the array is planned as the constant it is: a hashed
	-- lookup, not a search through the array for every row read
	RETURN QUERY EXECUTE $q$
	SELECT c.party_id, c.rank::integer, pr.product_id, pr.code, pr.name, pr.category,
	       pg_catalog.round(c.lift::numeric, 2), pg_catalog.round(c.support::numeric, 4),
	       pg_catalog.round(c.confidence::numeric, 4), ante.code
	  FROM (SELECT d.party_id, d.product_id, d.antecedent_id, d.lift, d.support, d.confidence,
	               pg_catalog.row_number() OVER (PARTITION BY d.party_id
	                                             ORDER BY d.lift DESC, d.support DESC, d.product_id) AS rank
	          FROM (SELECT DISTINCT ON (cand.party_id, cand.product_id)
	                       cand.party_id, cand.product_id, cand.antecedent_id, cand.lift, cand.support, cand.confidence
	                  FROM (SELECT ps.party_id, p.kind, pa.product_id, pa.antecedent_id, pa.lift, pa.support, pa.confidence
	                          FROM @extschema@.party_score ps
	                          JOIN @extschema@.party p ON p.party_id = ps.party_id
	                          JOIN @extschema@.holding ha ON ha.party_id = ps.party_id AND ha.closed_on IS NULL
	                          JOIN @extschema@.product_affinity pa
	                            ON pa.model = ps.model AND pa.kind = p.kind AND pa.value_tier = ps.value_tier
	                           AND pa.antecedent_id = ha.product_id
	                         WHERE ps.party_id = ANY ($1) AND p.party_id = ANY ($1) AND ha.party_id = ANY ($1)
	                           AND ps.model = $2
	                        UNION ALL
	                        SELECT ps.party_id, p.kind, pa.product_id, pa.antecedent_id, pa.lift, pa.support, pa.confidence
	                          FROM @extschema@.party_score ps
	                          JOIN @extschema@.party p ON p.party_id = ps.party_id
	                          JOIN @extschema@.product_affinity pa
	                            ON pa.model = ps.model AND pa.kind = p.kind AND pa.value_tier = ps.value_tier
	                           AND pa.antecedent_id IS NULL
	                         WHERE ps.party_id = ANY ($1) AND p.party_id = ANY ($1) AND ps.model = $2) cand
	                  JOIN @extschema@.product cp
	                    ON cp.product_id = cand.product_id AND cp.active AND cand.kind = ANY (cp.for_kind)
	                  LEFT JOIN @extschema@.holding hp
	                    ON hp.party_id = cand.party_id AND hp.product_id = cand.product_id AND hp.closed_on IS NULL
	                 WHERE hp.party_id IS NULL
	                 ORDER BY cand.party_id, cand.product_id, cand.lift DESC, cand.support DESC,
	                          cand.antecedent_id NULLS LAST) d
	       ) c
	  JOIN @extschema@.product pr ON pr.product_id = c.product_id
	  LEFT JOIN @extschema@.product ante ON ante.product_id = c.antecedent_id
	 WHERE c.rank <= COALESCE($3, c.rank)
	 ORDER BY c.party_id, c.rank
	$q$ USING recommend_products_batch.party_ids, m_name, recommend_products_batch.n;
END
$$;
COMMENT ON FUNCTION @extschema@.recommend_products_batch(bigint[], integer, text) IS
	'recommend_products() for a set of parties, for example ARRAY(SELECT party_id FROM party_score WHERE value_tier = ''key'')';

CREATE FUNCTION @extschema@.recommend_products(party_id bigint, n integer DEFAULT 3, model text DEFAULT NULL)
RETURNS TABLE (rank integer, product_id integer, code text, name text, category text, lift numeric,
	support numeric, confidence numeric, because text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m_name text := COALESCE(recommend_products.model,
	                        (SELECT m.model FROM @extschema@.score_model m WHERE m.is_default));
BEGIN
	-- the statement of recommend_products_batch for one party, by equality:
	-- its plan is kept from call to call (on Citus it is routed to the
	-- party's shard), where an array parameter is planned again each time
	RETURN QUERY
	SELECT c.rank::integer, pr.product_id, pr.code, pr.name, pr.category,
	       pg_catalog.round(c.lift::numeric, 2), pg_catalog.round(c.support::numeric, 4),
	       pg_catalog.round(c.confidence::numeric, 4), ante.code
	  FROM (SELECT d.product_id, d.antecedent_id, d.lift, d.support, d.confidence,
	               pg_catalog.row_number() OVER (ORDER BY d.lift DESC, d.support DESC, d.product_id) AS rank
	          FROM (SELECT DISTINCT ON (cand.product_id)
	                       cand.product_id, cand.antecedent_id, cand.lift, cand.support, cand.confidence
	                  FROM (SELECT p.kind, pa.product_id, pa.antecedent_id, pa.lift, pa.support, pa.confidence
	                          FROM @extschema@.party_score ps
	                          JOIN @extschema@.party p ON p.party_id = ps.party_id
	                          JOIN @extschema@.holding ha ON ha.party_id = ps.party_id AND ha.closed_on IS NULL
	                          JOIN @extschema@.product_affinity pa
	                            ON pa.model = ps.model AND pa.kind = p.kind AND pa.value_tier = ps.value_tier
	                           AND pa.antecedent_id = ha.product_id
	                         WHERE ps.party_id = recommend_products.party_id AND p.party_id = recommend_products.party_id
	                           AND ha.party_id = recommend_products.party_id AND ps.model = m_name
	                        UNION ALL
	                        SELECT p.kind, pa.product_id, pa.antecedent_id, pa.lift, pa.support, pa.confidence
	                          FROM @extschema@.party_score ps
	                          JOIN @extschema@.party p ON p.party_id = ps.party_id
	                          JOIN @extschema@.product_affinity pa
	                            ON pa.model = ps.model AND pa.kind = p.kind AND pa.value_tier = ps.value_tier
	                           AND pa.antecedent_id IS NULL
	                         WHERE ps.party_id = recommend_products.party_id AND p.party_id = recommend_products.party_id
	                           AND ps.model = m_name) cand
	                  JOIN @extschema@.product cp
	                    ON cp.product_id = cand.product_id AND cp.active AND cand.kind = ANY (cp.for_kind)
	                  LEFT JOIN @extschema@.holding hp
	                    ON hp.party_id = recommend_products.party_id AND hp.product_id = cand.product_id
	                   AND hp.closed_on IS NULL
	                 WHERE hp.party_id IS NULL
	                 ORDER BY cand.product_id, cand.lift DESC, cand.support DESC, cand.antecedent_id NULLS LAST) d
	       ) c
	  JOIN @extschema@.product pr ON pr.product_id = c.product_id
	  LEFT JOIN @extschema@.product ante ON ante.product_id = c.antecedent_id
	 ORDER BY c.rank
	 LIMIT recommend_products.n;
END
$$;
COMMENT ON FUNCTION @extschema@.recommend_products(bigint, integer, text) IS
	'Products a party does not hold, ranked by lift among parties of its kind and value tier, with support, confidence and the product it follows from';

-- views

-- the value pyramid (key / general / scattered) and the wealth pyramid
-- (individuals by AUM) of the default model
CREATE VIEW @extschema@.value_pyramid AS
WITH levels (pyramid, tier, ord) AS (
	VALUES ('value', 'key', 1), ('value', 'general', 2), ('value', 'scattered', 3),
	       ('wealth', 'uhnw', 4), ('wealth', 'hnw', 5), ('wealth', 'affluent', 6), ('wealth', 'mass', 7)
), agg AS (
	-- the default model by a join (not a function reading score_model), so
	-- that on Citus each aggregate runs in the shards and is merged
	SELECT 'value' AS pyramid, ps.value_tier AS tier, pg_catalog.count(*) AS parties,
	       pg_catalog.sum(ps.aum) AS aum, pg_catalog.sum(ps.contribution) AS contribution
	  FROM @extschema@.party_score ps
	  JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
	 GROUP BY ps.value_tier
	UNION ALL
	SELECT 'wealth', ps.wealth_tier, pg_catalog.count(*), pg_catalog.sum(ps.aum), pg_catalog.sum(ps.contribution)
	  FROM @extschema@.party_score ps
	  JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
	 WHERE ps.wealth_tier IS NOT NULL
	 GROUP BY ps.wealth_tier
)
SELECT l.pyramid,
       l.tier,
       COALESCE(agg.parties, 0) AS parties,
       COALESCE(agg.aum, 0)::numeric(20, 2) AS aum,
       COALESCE(agg.contribution, 0)::numeric(20, 2) AS contribution,
       pg_catalog.round(100.0 * COALESCE(agg.parties, 0)
             / NULLIF(pg_catalog.sum(COALESCE(agg.parties, 0)) OVER (PARTITION BY l.pyramid), 0), 2) AS parties_pct,
       pg_catalog.round(100.0 * COALESCE(agg.aum, 0)
             / NULLIF(pg_catalog.sum(COALESCE(agg.aum, 0)) OVER (PARTITION BY l.pyramid), 0), 2) AS aum_pct,
       pg_catalog.round(100.0 * COALESCE(agg.contribution, 0)
             / NULLIF(pg_catalog.sum(COALESCE(agg.contribution, 0)) OVER (PARTITION BY l.pyramid), 0), 2) AS contribution_pct
  FROM levels l
  LEFT JOIN agg ON agg.pyramid = l.pyramid AND agg.tier = l.tier
 ORDER BY l.ord;
COMMENT ON VIEW @extschema@.value_pyramid IS 'Parties, AUM and contribution per value tier (key, general, scattered) and per wealth tier (individuals), with shares, under the default model';
COMMENT ON COLUMN @extschema@.value_pyramid.pyramid IS 'value (key / general / scattered, every scored party) or wealth (uhnw / hnw / affluent / mass, individuals)';
COMMENT ON COLUMN @extschema@.value_pyramid.tier IS 'The tier';
COMMENT ON COLUMN @extschema@.value_pyramid.parties IS 'Scored parties in the tier';
COMMENT ON COLUMN @extschema@.value_pyramid.aum IS 'Their assets under management, CNY';
COMMENT ON COLUMN @extschema@.value_pyramid.contribution IS 'Their yearly contribution, CNY';
COMMENT ON COLUMN @extschema@.value_pyramid.parties_pct IS 'Share of the pyramid''s parties, percent';
COMMENT ON COLUMN @extschema@.value_pyramid.aum_pct IS 'Share of the pyramid''s AUM, percent';
COMMENT ON COLUMN @extschema@.value_pyramid.contribution_pct IS 'Share of the pyramid''s contribution, percent';

-- the Pareto line: how few customers make a given share of the contribution
CREATE FUNCTION @extschema@.pareto(share numeric DEFAULT 0.8, model text DEFAULT NULL)
RETURNS TABLE (model_name text, target_share numeric, customers bigint, customers_total bigint,
	customers_pct numeric, contribution numeric, contribution_total numeric, min_contribution numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	m_name	text := @extschema@.score_model_resolve(pareto.model);
BEGIN
	IF pareto.share IS NULL OR pareto.share <= 0 OR pareto.share > 1 THEN
		RAISE EXCEPTION 'share must be greater than 0 and at most 1'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Give the share of the contribution as a fraction, for example 0.8 for 80 %.';
	END IF;
	RETURN QUERY
	WITH c AS (
		SELECT ps.contribution,
		       pg_catalog.row_number() OVER w AS rn,
		       pg_catalog.sum(GREATEST(ps.contribution, 0)) OVER w AS cum
		  FROM @extschema@.party_score ps
		  JOIN @extschema@.party p ON p.party_id = ps.party_id
		 WHERE ps.model = m_name AND p.status <> 'prospect'
		WINDOW w AS (ORDER BY ps.contribution DESC, ps.party_id)
	), tot AS (
		SELECT pg_catalog.count(*) AS n, COALESCE(pg_catalog.sum(c.contribution) FILTER (WHERE c.contribution > 0), 0) AS pos
		  FROM c
	), cut AS (
		SELECT pg_catalog.min(c.rn) AS k
		  FROM c, tot
		 WHERE tot.pos > 0 AND c.cum >= pareto.share * tot.pos
	)
	SELECT m_name, pareto.share, COALESCE(cut.k, 0), tot.n,
	       pg_catalog.round(100.0 * COALESCE(cut.k, 0) / NULLIF(tot.n, 0), 2),
	       COALESCE((SELECT c.cum FROM c WHERE c.rn = cut.k), 0),
	       tot.pos,
	       (SELECT c.contribution FROM c WHERE c.rn = cut.k)
	  FROM tot, cut;
END
$$;
COMMENT ON FUNCTION @extschema@.pareto(numeric, text) IS
	'The smallest set of customers (not prospects) producing the given share of the positive contribution, and the share of customers it is';

CREATE VIEW @extschema@.pareto AS
SELECT p.model_name, p.target_share, p.customers, p.customers_total, p.customers_pct, p.contribution,
       p.contribution_total, p.min_contribution
  FROM @extschema@.pareto(0.8, NULL) p;
COMMENT ON VIEW @extschema@.pareto IS 'The Pareto line at 80 %: how many customers make 80 % of the positive contribution under the default model';
COMMENT ON COLUMN @extschema@.pareto.model_name IS 'The scoring model (the default model)';
COMMENT ON COLUMN @extschema@.pareto.target_share IS 'Target share of the contribution (0.8)';
COMMENT ON COLUMN @extschema@.pareto.customers IS 'Customers in the smallest set reaching the share';
COMMENT ON COLUMN @extschema@.pareto.customers_total IS 'Scored customers (prospects excluded)';
COMMENT ON COLUMN @extschema@.pareto.customers_pct IS 'customers / customers_total, percent';
COMMENT ON COLUMN @extschema@.pareto.contribution IS 'Contribution of that set, CNY';
COMMENT ON COLUMN @extschema@.pareto.contribution_total IS 'Sum of the positive contributions, CNY';
COMMENT ON COLUMN @extschema@.pareto.min_contribution IS 'Contribution of the smallest customer in the set: the Pareto line';

-- hidden gold: individual merchants with millions of turnover and little AUM
CREATE VIEW @extschema@.hidden_gold
WITH (security_invoker = true) AS
SELECT p.party_id,
       p.name,
       p.region_code,
       p.home_branch_id,
       p.industry,
       p.annual_turnover,
       ps.aum,
       pg_catalog.round(p.annual_turnover / NULLIF(ps.aum, 0), 1) AS turnover_to_aum,
       ps.contribution,
       ps.value_score,
       ps.value_tier,
       ps.wealth_tier,
       rm.name AS primary_rm
  FROM @extschema@.party_score ps
  JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
  JOIN @extschema@.party p ON p.party_id = ps.party_id
  LEFT JOIN @extschema@.coverage cv ON cv.party_id = p.party_id AND cv.role = 'primary_rm' AND cv.valid_to IS NULL
  LEFT JOIN @extschema@.staff rm ON rm.staff_id = cv.staff_id
 WHERE p.kind = 'individual'
   AND p.status = 'active'
   AND p.occupation = ANY (m.hidden_gold_occupations)
   AND p.annual_turnover >= m.hidden_gold_min_turnover
   AND ps.aum < m.hidden_gold_max_aum;
COMMENT ON VIEW @extschema@.hidden_gold IS 'Individual merchants whose yearly turnover reaches the model''s minimum (millions) but whose AUM with the bank is below its maximum: the VIP customers deposit-based tiers miss; the caller''s row-level security applies';
COMMENT ON COLUMN @extschema@.hidden_gold.annual_turnover IS 'Yearly business turnover, CNY';
COMMENT ON COLUMN @extschema@.hidden_gold.aum IS 'Assets under management with the bank, CNY';
COMMENT ON COLUMN @extschema@.hidden_gold.turnover_to_aum IS 'Turnover per CNY of AUM: how much business passes elsewhere';
COMMENT ON COLUMN @extschema@.hidden_gold.primary_rm IS 'Current primary relationship manager; NULL when nobody covers the merchant';

CREATE VIEW @extschema@.hidden_gold_masked AS
SELECT p.party_id,
       @extschema@.mask_name(p.name) AS name_masked,
       p.region_code,
       p.home_branch_id,
       p.industry,
       p.annual_turnover,
       ps.aum,
       pg_catalog.round(p.annual_turnover / NULLIF(ps.aum, 0), 1) AS turnover_to_aum,
       ps.contribution,
       ps.value_score,
       ps.value_tier,
       ps.wealth_tier,
       EXISTS (SELECT FROM @extschema@.coverage cv
                WHERE cv.party_id = p.party_id AND cv.role = 'primary_rm' AND cv.valid_to IS NULL) AS has_rm
  FROM @extschema@.party_score ps
  JOIN @extschema@.score_model m ON m.model = ps.model AND m.is_default
  JOIN @extschema@.party p ON p.party_id = ps.party_id
 WHERE p.kind = 'individual'
   AND p.status = 'active'
   AND p.occupation = ANY (m.hidden_gold_occupations)
   AND p.annual_turnover >= m.hidden_gold_min_turnover
   AND ps.aum < m.hidden_gold_max_aum;
COMMENT ON VIEW @extschema@.hidden_gold_masked IS 'hidden_gold for analysts: names initialised, no relationship manager named';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.name_masked IS 'First character of the name, the rest masked';
COMMENT ON COLUMN @extschema@.hidden_gold_masked.has_rm IS 'A primary relationship manager covers the merchant';

-- privileges and row-level security

GRANT ALL ON @extschema@.score_model, @extschema@.party_score, @extschema@.score_history, @extschema@.party_retention,
	@extschema@.score_run_log, @extschema@.product_affinity, @extschema@.value_pyramid, @extschema@.pareto, @extschema@.hidden_gold,
	@extschema@.hidden_gold_masked TO bankcrm_admin;
GRANT SELECT ON @extschema@.score_model, @extschema@.product_affinity, @extschema@.score_run_log
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT INSERT ON @extschema@.score_run_log TO bankcrm_app;
GRANT SELECT ON @extschema@.party_score, @extschema@.score_history, @extschema@.party_retention
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT, UPDATE, DELETE ON @extschema@.party_score, @extschema@.score_history, @extschema@.party_retention,
	@extschema@.product_affinity TO bankcrm_app;
GRANT SELECT ON @extschema@.value_pyramid, @extschema@.pareto, @extschema@.hidden_gold_masked
	TO bankcrm_analyst, bankcrm_manager, bankcrm_app;
GRANT SELECT ON @extschema@.hidden_gold TO bankcrm_manager, bankcrm_rm, bankcrm_app;

REVOKE ALL ON FUNCTION @extschema@.score_all(text, date, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.score_preview(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.score_preview(text, date) TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.score_party_deleted() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.score_model_scores_trigger() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.product_affinity_refresh(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.score_all(text, date, boolean) TO bankcrm_admin, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.product_affinity_refresh(text, date) TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.score_history_prune(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.score_history_prune(text, date) TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.pareto(numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.pareto(numeric, text)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.recommend_products(bigint, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.recommend_products_batch(bigint[], integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.recommend_products(bigint, integer, text)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT EXECUTE ON FUNCTION @extschema@.recommend_products_batch(bigint[], integer, text)
	TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;

