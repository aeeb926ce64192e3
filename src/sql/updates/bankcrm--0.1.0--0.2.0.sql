-- src/sql/updates/bankcrm--0.1.0--0.2.0.sql
-- Update from release 0.1.0 to 0.2.0: each change made to src/sql since
-- 0.1.0, made the same way here (doc/releasing.md). test/t/002_upgrade.pl
-- checks that an updated installation equals a fresh one.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION bankcrm UPDATE TO '0.2.0'" to load this file. \quit

-- churn: the insert path appends a party's new weeks (churn_series_tail)
-- instead of rewriting its series; readers read churn_series_now; the
-- marks carry no foreign key
ALTER TABLE bankcrm_churn.churn_dirty DROP CONSTRAINT churn_dirty_party_id_fkey;

-- The weeks inserted since a party's series was last written: one row per
-- party and INSERT statement, appended, never updated, so that a new week
-- does not rewrite the series (about 1.9 kB a party at three years).  The
-- monitor folds a party's rows into its series once they hold a few weeks
-- (churn_process_dirty); a change or deletion of a row of activity_weekly
-- folds them first.  A party's series row exists whenever it has rows here.
CREATE TABLE bankcrm_churn.churn_series_tail (
	party_id  bigint NOT NULL,
	series    real[] NOT NULL
	          CONSTRAINT churn_series_tail_shape_check CHECK (pg_catalog.array_ndims(series) = 2 AND pg_catalog.array_length(series, 1) = 3)
);
CREATE INDEX churn_series_tail_party_idx ON bankcrm_churn.churn_series_tail (party_id);
COMMENT ON TABLE bankcrm_churn.churn_series_tail IS 'Weeks appended to a party''s churn series since it was last written, one row per party and INSERT statement on activity_weekly; read through churn_series_now, folded into churn_series by the churn monitor';
COMMENT ON COLUMN bankcrm_churn.churn_series_tail.series IS 'real[3][w0:w1] as in churn_series: the weeks of one statement''s rows';

-- the merge of a party's appended weeks (their weeks never overlap)
CREATE AGGREGATE @extschema@.churn_series_merge_agg(real[]) (
	SFUNC = @extschema@.churn_series_merge,
	STYPE = real[],
	COMBINEFUNC = @extschema@.churn_series_merge,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_series_merge_agg(real[]) IS 'The churn series of all the given series laid over each other (in no particular order: for series whose weeks do not overlap)';

-- every party's series as of now: its written series with the weeks
-- appended since; what every reader of the series reads
CREATE VIEW bankcrm_churn.churn_series_now WITH (security_invoker = true) AS
SELECT s.party_id,
       CASE WHEN t.series IS NULL THEN s.series ELSE @extschema@.churn_series_merge(s.series, t.series) END AS series,
       COALESCE(t.weeks, 0) AS tail_weeks
  FROM bankcrm_churn.churn_series s
  LEFT JOIN LATERAL (
        SELECT @extschema@.churn_series_merge_agg(x.series) AS series,
               pg_catalog.sum(pg_catalog.array_length(x.series, 2))::integer AS weeks
          FROM bankcrm_churn.churn_series_tail x
         WHERE x.party_id OPERATOR(pg_catalog.=) s.party_id) t ON true;
COMMENT ON VIEW bankcrm_churn.churn_series_now IS 'Each party''s churn series as of now: churn_series with the weeks of churn_series_tail laid over it';
COMMENT ON COLUMN bankcrm_churn.churn_series_now.tail_weeks IS 'Weeks of the series still in churn_series_tail (the monitor folds them)';

CREATE OR REPLACE FUNCTION @extschema@.churn_deviation(party_id bigint, week date DEFAULT NULL)
RETURNS SETOF @extschema@.churn_figures
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cal record;
	ser real[];
	kind text;
BEGIN
	SELECT s.series, p.kind INTO ser, kind
	  FROM bankcrm_churn.churn_series_now s
	  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) s.party_id
	 WHERE s.party_id OPERATOR(pg_catalog.=) churn_deviation.party_id
	   AND p.party_id OPERATOR(pg_catalog.=) churn_deviation.party_id;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	SELECT c.days, c.prev_days INTO cal FROM @extschema@.churn_calendar() c;
	RETURN QUERY
	SELECT f.*
	  FROM @extschema@.churn_evaluate(ser, @extschema@.churn_policy_for(kind), churn_deviation.week,
	                                  cal.days, cal.prev_days) f
	 ORDER BY f.metric;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_deviation(bigint, date) IS 'A party''s churn figures per metric as of a week (default: its last week with activity) under its policy and the holiday calendar: the rule that fired and the severity';

CREATE OR REPLACE FUNCTION @extschema@.churn_activity_truncated()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- On Citus the trigger also fires on each shard of activity_weekly
	-- (activity_weekly_<shard id>) on the workers, where a TRUNCATE of the
	-- distributed tables would be a distributed command run from a shard;
	-- there it does nothing, and the coordinator, where it fires on
	-- activity_weekly itself, empties churn_series and churn_dirty
	-- everywhere in the same transaction.
	IF TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'activity_weekly' THEN
		RETURN NULL;
	END IF;
	TRUNCATE bankcrm_churn.churn_series, bankcrm_churn.churn_series_tail, bankcrm_churn.churn_dirty;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_activity_truncated() IS 'After TRUNCATE on activity_weekly: empties churn_series, churn_series_tail and churn_dirty';

CREATE OR REPLACE FUNCTION @extschema@.churn_close_departed(as_of date DEFAULT NULL, silent_weeks integer DEFAULT 26,
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	upto date := churn_close_departed.as_of;
	closed bigint[];
	silent bigint[];
BEGIN
	IF churn_close_departed.silent_weeks IS NULL OR churn_close_departed.silent_weeks OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'silent_weeks must be at least 1'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'A party silent for this many weeks before as_of has left; 26 is two quarters.';
	END IF;
	-- the parties with an active alert: closed ones, and those whose
	-- activity ended silent_weeks or more before as_of (default: the latest
	-- week of any party's activity)
	IF upto IS NULL THEN
		SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO upto FROM bankcrm_churn.churn_series_now s;
	END IF;
	closed := ARRAY(SELECT DISTINCT a.party_id
	                  FROM @extschema@.churn_alert a
	                  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
	                 WHERE a.state IN ('open', 'acknowledged', 'in_remediation')
	                   AND p.status OPERATOR(pg_catalog.=) 'closed'
	                   AND (churn_close_departed.as_of IS NULL OR p.closed_on OPERATOR(pg_catalog.<=) churn_close_departed.as_of)
	                 ORDER BY 1);
	RETURN QUERY
	SELECT l.alert_id, l.party_id, l.metric, l.severity, l.event
	  FROM @extschema@.churn_lose_alerts(closed, 'The party closed its relationship with the bank.') l;
	IF upto IS NULL THEN
		RETURN;
	END IF;
	silent := ARRAY(SELECT DISTINCT a.party_id
	                  FROM @extschema@.churn_alert a
	                  JOIN bankcrm_churn.churn_series_now s ON s.party_id OPERATOR(pg_catalog.=) a.party_id
	                 WHERE a.state IN ('open', 'acknowledged', 'in_remediation')
	                   AND @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.<=)
	                       (upto OPERATOR(pg_catalog.-) (7 OPERATOR(pg_catalog.*) churn_close_departed.silent_weeks))
	                 ORDER BY 1);
	RETURN QUERY
	SELECT l.alert_id, l.party_id, l.metric, l.severity, l.event
	  FROM @extschema@.churn_lose_alerts(silent, pg_catalog.format('No activity for %s weeks or more.',
	                                                               churn_close_departed.silent_weeks)) l;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_close_departed(date, integer) IS 'Closes as lost (the churn_alert process, with history) every active churn alert of a party that is closed (by as_of) or whose activity ended silent_weeks or more before as_of (default: the latest week of any activity); returns the alerts closed';

CREATE OR REPLACE FUNCTION @extschema@.churn_model_rows(weeks date[], horizon_weeks integer, party_ids bigint[] DEFAULT NULL,
	OUT party_id bigint, OUT week date, OUT features double precision[], OUT exited boolean,
	OUT yearly_contribution double precision)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cal record;
	pol @extschema@.churn_policy;
	data_end date;
BEGIN
	IF churn_model_rows.horizon_weeks IS NULL OR churn_model_rows.horizon_weeks NOT BETWEEN 1 AND 104 THEN
		RAISE EXCEPTION 'horizon_weeks must be between 1 and 104'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT c.days, c.prev_days INTO cal FROM @extschema@.churn_calendar() c;
	pol := @extschema@.churn_policy_for('corporate');
	SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO data_end FROM bankcrm_churn.churn_series_now s;
	RETURN QUERY
	WITH w AS (SELECT DISTINCT u.week FROM pg_catalog.unnest(churn_model_rows.weeks) u(week) WHERE u.week IS NOT NULL),
	pw AS (
		SELECT s.party_id, w.week, s.series, p.onboarded_on, p.credit_rating,
		       CASE WHEN p.closed_on IS NOT NULL
		                 THEN LEAST(p.closed_on, @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.+) 7)
		            WHEN @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.<=) (data_end OPERATOR(pg_catalog.-) 28)
		                 THEN @extschema@.churn_series_last_week(s.series) OPERATOR(pg_catalog.+) 7 END AS exit_week
		  FROM bankcrm_churn.churn_series_now s
		  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) s.party_id
		  CROSS JOIN w
		 WHERE p.kind OPERATOR(pg_catalog.=) 'corporate'
		   AND (churn_model_rows.party_ids IS NULL OR s.party_id OPERATOR(pg_catalog.=) ANY (churn_model_rows.party_ids))
		   -- a half year of history, and still active in the week
		   AND w.week OPERATOR(pg_catalog.>=)
		       ('2000-01-03'::date OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) (pg_catalog.array_lower(s.series, 2) OPERATOR(pg_catalog.+) 26)))
		   AND w.week OPERATOR(pg_catalog.<=) @extschema@.churn_series_last_week(s.series)),
	hold AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS products,
		       (12 OPERATOR(pg_catalog.*) pg_catalog.sum(h.monthly_contribution))::double precision AS contribution
		  FROM pw JOIN @extschema@.holding h ON h.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE h.opened_on OPERATOR(pg_catalog.<=) pw.week
		   AND (h.closed_on IS NULL OR h.closed_on OPERATOR(pg_catalog.>) pw.week)
		 GROUP BY pw.party_id, pw.week),
	cont AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS n
		  FROM pw JOIN @extschema@.contact c ON c.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE c.occurred_at OPERATOR(pg_catalog.>=) (pw.week OPERATOR(pg_catalog.-) 175)
		   AND c.occurred_at OPERATOR(pg_catalog.<) (pw.week OPERATOR(pg_catalog.+) 7)
		 GROUP BY pw.party_id, pw.week),
	comp AS (
		SELECT pw.party_id, pw.week, pg_catalog.count(*) AS n
		  FROM pw JOIN @extschema@.complaint c ON c.party_id OPERATOR(pg_catalog.=) pw.party_id
		 WHERE c.received_at OPERATOR(pg_catalog.>=) (pw.week OPERATOR(pg_catalog.-) 357)
		   AND c.received_at OPERATOR(pg_catalog.<) (pw.week OPERATOR(pg_catalog.+) 7)
		 GROUP BY pw.party_id, pw.week)
	SELECT pw.party_id, pw.week,
	       @extschema@.churn_features(pw.series, pw.week, pol, cal.days, cal.prev_days)
	       OPERATOR(pg_catalog.||) ARRAY[
	           COALESCE(hold.products, 0)::double precision,
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) GREATEST(COALESCE(hold.contribution, 0), 0)) OPERATOR(pg_catalog./) 10::double precision,
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) COALESCE(cont.n, 0)),
	           pg_catalog.ln(1 OPERATOR(pg_catalog.+) COALESCE(comp.n, 0)),
	           COALESCE((22 OPERATOR(pg_catalog.-) @extschema@.notch(pw.credit_rating))::double precision OPERATOR(pg_catalog./) 21::double precision, 0.5),
	           LEAST(GREATEST(COALESCE((pw.week OPERATOR(pg_catalog.-) pw.onboarded_on)::double precision
	                                   OPERATOR(pg_catalog./) 365.25::double precision, 0), 0), 30)],
	       CASE WHEN pw.exit_week IS NOT NULL
	                 AND pw.exit_week OPERATOR(pg_catalog.<=) (pw.week OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) churn_model_rows.horizon_weeks)) THEN true
	            WHEN (pw.week OPERATOR(pg_catalog.+) (7 OPERATOR(pg_catalog.*) churn_model_rows.horizon_weeks)) OPERATOR(pg_catalog.<=) data_end THEN false END,
	       COALESCE(hold.contribution, 0)
	  FROM pw
	  LEFT JOIN hold ON hold.party_id OPERATOR(pg_catalog.=) pw.party_id AND hold.week OPERATOR(pg_catalog.=) pw.week
	  LEFT JOIN cont ON cont.party_id OPERATOR(pg_catalog.=) pw.party_id AND cont.week OPERATOR(pg_catalog.=) pw.week
	  LEFT JOIN comp ON comp.party_id OPERATOR(pg_catalog.=) pw.party_id AND comp.week OPERATOR(pg_catalog.=) pw.week;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_model_rows(date[], integer, bigint[]) IS 'The churn model''s rows: per corporate (of party_ids, NULL: all) active in each week with a half year of history, its features as of the week, whether it exited within horizon_weeks (NULL while unknown) and its yearly contribution';

CREATE OR REPLACE FUNCTION @extschema@.churn_probability(party_id bigint, week date DEFAULT NULL, model_id integer DEFAULT NULL)
RETURNS double precision
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	coef double precision[];
	horizon integer;
	w date := churn_probability.week;
	p double precision;
BEGIN
	SELECT m.coef, m.horizon_weeks INTO coef, horizon FROM @extschema@.churn_model m
	 WHERE m.model_id OPERATOR(pg_catalog.=) COALESCE(churn_probability.model_id, @extschema@.churn_model_current());
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no churn model %', COALESCE(churn_probability.model_id::text, 'is trained')
			USING ERRCODE = 'no_data_found',
			      HINT = 'Train one with churn_model_train(name, weeks_from, weeks_to).';
	END IF;
	IF w IS NULL THEN
		SELECT @extschema@.churn_series_last_week(s.series) INTO w FROM bankcrm_churn.churn_series_now s
		 WHERE s.party_id OPERATOR(pg_catalog.=) churn_probability.party_id;
	END IF;
	SELECT @extschema@.churn_logreg_predict(coef, r.features) INTO p
	  FROM @extschema@.churn_model_rows(ARRAY[w], horizon, ARRAY[churn_probability.party_id]) r;
	RETURN p;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_probability(bigint, date, integer) IS 'The probability that a corporate exits within the model''s horizon, as of a week (default: its last week) from the data up to that week, under a model (default: the newest); NULL for a party not active then or with less than a half year of history';

CREATE OR REPLACE FUNCTION @extschema@.churn_score_week(week date DEFAULT NULL, model_id integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	w date := churn_score_week.week;
	n integer;
BEGIN
	SELECT x.model_id, x.coef, x.horizon_weeks INTO m FROM @extschema@.churn_model x
	 WHERE x.model_id OPERATOR(pg_catalog.=) COALESCE(churn_score_week.model_id, @extschema@.churn_model_current());
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no churn model %', COALESCE(churn_score_week.model_id::text, 'is trained')
			USING ERRCODE = 'no_data_found',
			      HINT = 'Train one with churn_model_train(name, weeks_from, weeks_to).';
	END IF;
	IF w IS NULL THEN
		SELECT pg_catalog.max(@extschema@.churn_series_last_week(s.series)) INTO w FROM bankcrm_churn.churn_series_now s;
	END IF;
	IF w IS NULL THEN
		RETURN 0;
	END IF;
	IF pg_catalog.date_part('isodow', w) OPERATOR(pg_catalog.<>) 1 THEN
		RAISE EXCEPTION 'week must be a Monday'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = pg_catalog.format('%s is not the first day of an ISO week.', w),
			      HINT = 'Use date_trunc(''week'', d)::date.';
	END IF;
	DELETE FROM @extschema@.churn_score s
	 WHERE s.week OPERATOR(pg_catalog.=) w AND s.model_id OPERATOR(pg_catalog.=) m.model_id;
	INSERT INTO @extschema@.churn_score (party_id, week, model_id, probability, yearly_contribution, at_risk)
	SELECT r.party_id, r.week, m.model_id, x.p, r.yearly_contribution, x.p OPERATOR(pg_catalog.*) r.yearly_contribution
	  FROM @extschema@.churn_model_rows(ARRAY[w], m.horizon_weeks) r,
	       LATERAL (SELECT @extschema@.churn_logreg_predict(m.coef, r.features) AS p) x;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_score_week(date, integer) IS 'Scores every corporate active in a week (default: the latest week of activity) under a model (default: the newest) into churn_score, replacing that week''s scores of the model; returns the parties scored';

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
       a.level_drop_pct,
       a.rm_id,
       a.branch_manager_id,
       a.team_id,
       @extschema@.churn_sparkline(s.series, a.metric, a.last_week, 26) AS sparkline,
       sc.probability,
       sc.yearly_contribution,
       sc.at_risk AS contribution_at_risk
  FROM @extschema@.churn_alert a
  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) a.party_id
  LEFT JOIN @extschema@.branch b ON b.branch_id OPERATOR(pg_catalog.=) a.branch_id
  LEFT JOIN bankcrm_churn.churn_series_now s ON s.party_id OPERATOR(pg_catalog.=) a.party_id
  -- the party's latest score, of the newest model that scored that week
  -- (grouped by party_id, the distribution column: on Citus it runs in
  -- the shards)
  LEFT JOIN (SELECT DISTINCT ON (x.party_id) x.party_id, x.probability, x.yearly_contribution, x.at_risk
               FROM @extschema@.churn_score x
              ORDER BY x.party_id, x.week DESC, x.model_id DESC) sc ON sc.party_id OPERATOR(pg_catalog.=) a.party_id
 WHERE a.state IN ('open', 'acknowledged', 'in_remediation') AND p.status OPERATOR(pg_catalog.<>) 'closed';

GRANT ALL ON bankcrm_churn.churn_series_tail, bankcrm_churn.churn_series_now TO bankcrm_admin;
GRANT SELECT ON bankcrm_churn.churn_series_tail, bankcrm_churn.churn_series_now TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON bankcrm_churn.churn_series_tail TO bankcrm_app;
ALTER TABLE bankcrm_churn.churn_series_tail ENABLE ROW LEVEL SECURITY;
CREATE POLICY churn_series_tail_all ON bankcrm_churn.churn_series_tail FOR ALL TO bankcrm_admin, bankcrm_app USING (true) WITH CHECK (true);
CREATE POLICY churn_series_tail_covered ON bankcrm_churn.churn_series_tail FOR SELECT TO bankcrm_manager, bankcrm_rm
	USING (@extschema@.party_visible(party_id));

CREATE OR REPLACE FUNCTION @extschema@.distribution_plan(
	OUT table_name regclass,
	OUT kind text,
	OUT ord integer)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT v.t::pg_catalog.regclass, v.k, v.o
	  FROM (VALUES
		-- reference tables: catalogues, organisation, configuration
		(1, '@extschema@.region', 'reference'),
		(2, '@extschema@.branch', 'reference'),
		(3, '@extschema@.team', 'reference'),
		(4, '@extschema@.staff', 'reference'),
		(5, '@extschema@.product', 'reference'),
		(6, '@extschema@.process', 'reference'),
		(7, '@extschema@.process_state', 'reference'),
		(8, '@extschema@.process_transition', 'reference'),
		(9, '@extschema@.fsm_history', 'reference'),
		(10, '@extschema@.score_model', 'reference'),
		(11, '@extschema@.score_run_log', 'reference'),
		(12, '@extschema@.product_affinity', 'reference'),
		(13, '@extschema@.segment', 'reference'),
		(14, '@extschema@.campaign', 'reference'),
		(15, '@extschema@.campaign_team', 'reference'),
		(16, '@extschema@.care_occasion', 'reference'),
		(17, '@extschema@.churn_policy', 'reference'),
		(18, '@extschema@.churn_holiday', 'reference'),
		(19, 'bankcrm_churn.builtin_holiday', 'reference'),
		(20, '@extschema@.pbx', 'reference'),
		(21, '@extschema@.dial_settings', 'reference'),
		(22, '@extschema@.dial_retry_rule', 'reference'),
		(23, '@extschema@.dialer_agent', 'reference'),
		(24, '@extschema@.dialer_state', 'reference'),
		(25, '@extschema@.dnc', 'reference'),
		(26, '@extschema@.holiday', 'reference'),
		(27, '@extschema@.churn_model', 'reference'),
		-- distributed by party_id, co-located with party (party first)
		(28, '@extschema@.party', 'distributed'),
		(29, '@extschema@.party_kyc', 'distributed'),
		(30, '@extschema@.party_phone', 'distributed'),
		(31, '@extschema@.party_relation', 'distributed'),
		(32, '@extschema@.coverage', 'distributed'),
		(33, '@extschema@.holding', 'distributed'),
		(34, '@extschema@.activity_weekly', 'distributed'),
		(35, '@extschema@.contact', 'distributed'),
		(36, '@extschema@.complaint', 'distributed'),
		(37, '@extschema@.survey_response', 'distributed'),
		(38, '@extschema@.appointment', 'distributed'),
		(39, '@extschema@.party_score', 'distributed'),
		(40, '@extschema@.score_history', 'distributed'),
		(41, '@extschema@.party_retention', 'distributed'),
		(42, '@extschema@.segment_member', 'distributed'),
		(43, '@extschema@.segment_history', 'distributed'),
		(44, '@extschema@.lead', 'distributed'),
		(45, 'bankcrm_churn.churn_series', 'distributed'),
		(46, 'bankcrm_churn.churn_dirty', 'distributed'),
		(47, '@extschema@.churn_alert', 'distributed'),
		(48, '@extschema@.churn_alert_history', 'distributed'),
		(49, '@extschema@.churn_remediation', 'distributed'),
		(50, '@extschema@.call_attempt', 'distributed'),
		(51, '@extschema@.churn_score', 'distributed'),
		(52, '@extschema@.lead_event_failure', 'distributed'),
		-- reference tables added since: models of behavioural clusters
		(53, '@extschema@.cluster_model', 'reference'),
		(54, '@extschema@.cluster_centroid', 'reference'),
		-- distributed since: households and groups
		(55, '@extschema@.relationship_group', 'distributed'),
		-- distributed since: the weeks appended to the churn series
		(56, 'bankcrm_churn.churn_series_tail', 'distributed')
	) v(o, t, k)
	 ORDER BY v.o
$$;
COMMENT ON FUNCTION @extschema@.distribution_plan() IS 'How distribute() lays out each table on Citus: reference (a copy on every node) or distributed by party_id co-located with party, in the order it is done';
