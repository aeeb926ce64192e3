-- src/sql/60_churn.sql
-- churn early warning: the compact weekly series kept by the insert path,
-- deviation statistics (C), policies, holiday calendar, alerts with their
-- lifecycle and remediation log, the scan, the monitor's batch function and
-- the dashboard

-- churn: the weekly series ------------------------------------------------

CREATE FUNCTION @extschema@.churn_series_accum(internal, date, double precision, double precision, integer)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_accum(internal, date, double precision, double precision, integer) IS 'churn_series_agg transition function';

CREATE FUNCTION @extschema@.churn_series_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_combine(internal, internal) IS 'churn_series_agg combine function';

CREATE FUNCTION @extschema@.churn_series_serial(internal)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_serial(internal) IS 'churn_series_agg serial function';

CREATE FUNCTION @extschema@.churn_series_deserial(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_deserial(bytea, internal) IS 'churn_series_agg deserial function';

CREATE FUNCTION @extschema@.churn_series_final(internal)
RETURNS real[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_final(internal) IS 'churn_series_agg final function';

CREATE AGGREGATE @extschema@.churn_series_agg(week date, loan_volume double precision, txn_volume double precision, txn_count integer) (
	SFUNC = @extschema@.churn_series_accum,
	STYPE = internal,
	FINALFUNC = @extschema@.churn_series_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.churn_series_combine,
	SERIALFUNC = @extschema@.churn_series_serial,
	DESERIALFUNC = @extschema@.churn_series_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_series_agg(date, double precision, double precision, integer) IS 'A party''s weekly figures as a churn series: real[3][w0:w1], the second lower bound being the week number, NaN for weeks without a row; figures of the same week add up';

CREATE FUNCTION @extschema@.churn_series_merge(old_series real[], new_series real[])
RETURNS real[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_merge(real[], real[]) IS 'The series with the weeks that have a row in new_series laid over old_series';

CREATE FUNCTION @extschema@.churn_series_last_week(series real[])
RETURNS date
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_last_week(real[]) IS 'Monday of the last week of a churn series that has a row';

CREATE FUNCTION @extschema@.churn_series_unnest(series real[],
	OUT week date, OUT loan_volume double precision, OUT txn_volume double precision, OUT txn_count integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE ROWS 156;
COMMENT ON FUNCTION @extschema@.churn_series_unnest(real[]) IS 'The weeks of a churn series that have a row, in order';

CREATE FUNCTION @extschema@.churn_sparkline(series real[], metric text, last_week date, weeks integer DEFAULT 26)
RETURNS double precision[]
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_sparkline(real[], text, date, integer) IS 'One metric of a churn series over the given number of weeks ending with last_week, oldest first; NULL for a week without a row';

-- Derived data lives in schema bankcrm_churn: it is rebuilt from
-- activity_weekly by the triggers below (also when a dump is restored), so
-- pg_dump must not dump it, and the tables of @extschema@ are all dumped.
CREATE SCHEMA bankcrm_churn;
COMMENT ON SCHEMA bankcrm_churn IS 'bankcrm churn early warning: derived data and built-in reference data, recreated by CREATE EXTENSION and never dumped';

-- the series of every party with activity, kept current by the triggers below
CREATE TABLE bankcrm_churn.churn_series (
	party_id  bigint PRIMARY KEY REFERENCES @extschema@.party ON DELETE CASCADE,
	series    real[] NOT NULL
	          CONSTRAINT churn_series_shape_check CHECK (pg_catalog.array_ndims(series) = 2 AND pg_catalog.array_length(series, 1) = 3)
);
COMMENT ON TABLE bankcrm_churn.churn_series IS 'Each party''s weekly activity as one compact array (see churn_series_agg); kept current by triggers on activity_weekly';
COMMENT ON COLUMN bankcrm_churn.churn_series.series IS 'real[3][w0:w1]: loan_volume, txn_volume, txn_count by week number (weeks since 2000-01-03); NaN for a week without a row';

-- parties whose activity changed and that the monitor has not evaluated
-- yet; no foreign key: the check would cost the insert path as much as the
-- insert itself, a mark is written only for an existing party, and the
-- mark of a party deleted since is claimed and dropped like any other
CREATE TABLE bankcrm_churn.churn_dirty (
	party_id   bigint PRIMARY KEY,
	marked_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE bankcrm_churn.churn_dirty IS 'Parties with new activity not yet evaluated by the churn monitor; a mark is removed in the transaction that evaluates it';

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

-- churn: policy and calendar ----------------------------------------------

CREATE TABLE @extschema@.churn_policy (
	policy_id          integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name               text NOT NULL UNIQUE,
	party_kind         text CONSTRAINT churn_policy_party_kind_check CHECK (party_kind OPERATOR(pg_catalog.=) ANY (@extschema@.party_kinds())),
	priority           integer NOT NULL DEFAULT 100,
	enabled            boolean NOT NULL DEFAULT true,
	metrics            text[] NOT NULL DEFAULT '{loan_volume,txn_volume,txn_count}'
	                   CONSTRAINT churn_policy_metrics_check CHECK (metrics <@ '{loan_volume,txn_volume,txn_count}'::text[] AND pg_catalog.cardinality(metrics) > 0),
	trailing_weeks     integer NOT NULL DEFAULT 13 CONSTRAINT churn_policy_trailing_check CHECK (trailing_weeks BETWEEN 2 AND 52),
	min_history_weeks  integer NOT NULL DEFAULT 26,
	week_drop_pct      double precision NOT NULL DEFAULT 30 CONSTRAINT churn_policy_week_drop_check CHECK (week_drop_pct > 0 AND week_drop_pct < 100),
	week_z             double precision NOT NULL DEFAULT 3 CONSTRAINT churn_policy_week_z_check CHECK (week_z > 0 AND week_z < 'Infinity'),
	confirm_weeks      integer NOT NULL DEFAULT 5 CONSTRAINT churn_policy_confirm_check CHECK (confirm_weeks BETWEEN 1 AND 13),
	quarter_drop_pct   double precision NOT NULL DEFAULT 20 CONSTRAINT churn_policy_quarter_drop_check CHECK (quarter_drop_pct > 0 AND quarter_drop_pct < 100),
	cusum_k            double precision NOT NULL DEFAULT 0.5 CONSTRAINT churn_policy_cusum_k_check CHECK (cusum_k >= 0 AND cusum_k < 'Infinity'),
	cusum_h            double precision NOT NULL DEFAULT 10 CONSTRAINT churn_policy_cusum_h_check CHECK (cusum_h > 0 AND cusum_h < 'Infinity'),
	z_clip             double precision NOT NULL DEFAULT 3 CONSTRAINT churn_policy_z_clip_check CHECK (z_clip > 0 AND z_clip < 'Infinity'),
	drift_drop_pct     double precision NOT NULL DEFAULT 20 CONSTRAINT churn_policy_drift_drop_check CHECK (drift_drop_pct >= 0 AND drift_drop_pct < 100),
	min_noise_pct      double precision NOT NULL DEFAULT 2 CONSTRAINT churn_policy_min_noise_check CHECK (min_noise_pct > 0 AND min_noise_pct < 100),
	holiday_weeks      integer NOT NULL DEFAULT 3 CONSTRAINT churn_policy_holiday_weeks_check CHECK (holiday_weeks BETWEEN 0 AND 8),
	warning_drop_pct   double precision NOT NULL DEFAULT 25 CONSTRAINT churn_policy_warning_check CHECK (warning_drop_pct > 0 AND warning_drop_pct < 100),
	critical_drop_pct  double precision NOT NULL DEFAULT 50 CONSTRAINT churn_policy_critical_check CHECK (critical_drop_pct > 0 AND critical_drop_pct < 100),
	snooze_weeks       integer NOT NULL DEFAULT 13 CONSTRAINT churn_policy_snooze_check CHECK (snooze_weeks BETWEEN 0 AND 104),
	first_year_cusum_h double precision NOT NULL DEFAULT 12 CONSTRAINT churn_policy_first_year_h_check CHECK (first_year_cusum_h < 'Infinity'),
	CONSTRAINT churn_policy_history_check CHECK (min_history_weeks >= trailing_weeks),
	CONSTRAINT churn_policy_levels_check CHECK (warning_drop_pct <= critical_drop_pct),
	CONSTRAINT churn_policy_first_year_check CHECK (first_year_cusum_h >= cusum_h)
);
COMMENT ON TABLE @extschema@.churn_policy IS 'Churn early-warning policies per party kind: metrics, windows, thresholds, CUSUM h and k, minimum history, severity levels';
COMMENT ON COLUMN @extschema@.churn_policy.party_kind IS 'Party kind the policy applies to; NULL: every kind without a policy of its own';
COMMENT ON COLUMN @extschema@.churn_policy.priority IS 'Among enabled policies for the same kind, the lowest priority wins';
COMMENT ON COLUMN @extschema@.churn_policy.trailing_weeks IS 'N: weeks of the trailing mean and deviation a week is compared with';
COMMENT ON COLUMN @extschema@.churn_policy.min_history_weeks IS 'Known weeks a party needs before any rule may fire';
COMMENT ON COLUMN @extschema@.churn_policy.week_drop_pct IS 'week_drop rule: percent below the seasonal expectation';
COMMENT ON COLUMN @extschema@.churn_policy.week_z IS 'week_drop rule: noise units below the seasonal expectation';
COMMENT ON COLUMN @extschema@.churn_policy.confirm_weeks IS 'week_drop rule: consecutive known weeks the drop must last';
COMMENT ON COLUMN @extschema@.churn_policy.quarter_drop_pct IS 'quarter_drop rule: percent the last 13 weeks fell against the 13 before and against the same 13 weeks last year';
COMMENT ON COLUMN @extschema@.churn_policy.cusum_k IS 'CUSUM allowance k, in noise units per week';
COMMENT ON COLUMN @extschema@.churn_policy.cusum_h IS 'CUSUM decision interval h, in noise units: drift fires when the lower CUSUM reaches h';
COMMENT ON COLUMN @extschema@.churn_policy.z_clip IS 'Largest evidence one week may add, in noise units (Huber clipping)';
COMMENT ON COLUMN @extschema@.churn_policy.drift_drop_pct IS 'Smallest decline the CUSUM is tuned to detect, percent: its allowance is at least half of it';
COMMENT ON COLUMN @extschema@.churn_policy.min_noise_pct IS 'Floor of the weekly noise estimate, percent';
COMMENT ON COLUMN @extschema@.churn_policy.holiday_weeks IS 'Weeks from a calendar holiday''s week on that are aligned with the same holiday last year';
COMMENT ON COLUMN @extschema@.churn_policy.warning_drop_pct IS 'Severity warning: the last four weeks this many percent below the reference level';
COMMENT ON COLUMN @extschema@.churn_policy.critical_drop_pct IS 'Severity critical: the last four weeks this many percent below the reference level';
COMMENT ON COLUMN @extschema@.churn_policy.first_year_cusum_h IS 'CUSUM decision interval for weeks without last year''s season to go by (the first year of history): a seasonal low cannot be told from a decline there, so more evidence is needed';
COMMENT ON COLUMN @extschema@.churn_policy.snooze_weeks IS 'After an alert is closed, the same party and metric raise no new alert of the same or lower severity for this many weeks';

CREATE TABLE @extschema@.churn_holiday (
	holiday  text NOT NULL,
	day      date NOT NULL,
	PRIMARY KEY (holiday, day)
);
COMMENT ON TABLE @extschema@.churn_holiday IS 'The bank''s own holidays, added to the built-in calendar (bankcrm_churn.builtin_holiday): their weeks are compared with the same holiday last year rather than the same calendar week';

CREATE TABLE bankcrm_churn.builtin_holiday (
	holiday  text NOT NULL,
	day      date NOT NULL,
	PRIMARY KEY (holiday, day)
);
COMMENT ON TABLE bankcrm_churn.builtin_holiday IS 'Built-in holiday calendar: Chinese New Year and National Day, 2019 to 2030';

INSERT INTO bankcrm_churn.builtin_holiday (holiday, day) VALUES
	('chinese_new_year', '2019-02-05'), ('chinese_new_year', '2020-01-25'), ('chinese_new_year', '2021-02-12'),
	('chinese_new_year', '2022-02-01'), ('chinese_new_year', '2023-01-22'), ('chinese_new_year', '2024-02-10'),
	('chinese_new_year', '2025-01-29'), ('chinese_new_year', '2026-02-17'), ('chinese_new_year', '2027-02-06'),
	('chinese_new_year', '2028-01-26'), ('chinese_new_year', '2029-02-13'), ('chinese_new_year', '2030-02-03');
INSERT INTO bankcrm_churn.builtin_holiday (holiday, day)
	SELECT 'national_day', pg_catalog.make_date(y, 10, 1) FROM pg_catalog.generate_series(2019, 2030) y;

CREATE FUNCTION @extschema@.churn_calendar(OUT days date[], OUT prev_days date[])
RETURNS record
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT pg_catalog.array_agg(h.day ORDER BY h.day, h.holiday),
	       pg_catalog.array_agg(CASE WHEN h.day OPERATOR(pg_catalog.-) h.prev BETWEEN 300 AND 430 THEN h.prev END
	                            ORDER BY h.day, h.holiday)
	  FROM (SELECT c.holiday, c.day,
	               pg_catalog.lag(c.day) OVER (PARTITION BY c.holiday ORDER BY c.day) AS prev
	          FROM (SELECT b.holiday, b.day FROM bankcrm_churn.builtin_holiday b
	                UNION
	                SELECT o.holiday, o.day FROM @extschema@.churn_holiday o) c) h;
END;
COMMENT ON FUNCTION @extschema@.churn_calendar() IS 'The holiday calendar (built-in plus churn_holiday) as two arrays for churn_evaluate: each holiday''s day and the day of its previous occurrence (NULL when unknown)';

-- churn: deviation ---------------------------------------------------------

CREATE TYPE @extschema@.churn_figures AS (
	metric                 text,
	week                   date,
	value                  double precision,
	history_weeks          integer,
	trailing_mean          double precision,
	trailing_sd            double precision,
	week_pct               double precision,
	week_z                 double precision,
	last_year_value        double precision,
	last_year_pct          double precision,
	seasonal_factor        double precision,
	expected               double precision,
	quarter_mean           double precision,
	prev_quarter_pct       double precision,
	last_year_quarter_pct  double precision,
	noise                  double precision,
	reference              double precision,
	cusum                  double precision,
	level_drop_pct         double precision,
	rule                   text,
	severity               text,
	first_alert_week       date,
	first_alert_severity   text
);
COMMENT ON TYPE @extschema@.churn_figures IS 'The deviation figures of one metric in one week (see doc/churn.md)';

CREATE FUNCTION @extschema@.churn_evaluate(series real[], policy @extschema@.churn_policy, as_of date DEFAULT NULL,
	holidays date[] DEFAULT NULL, holidays_prev date[] DEFAULT NULL)
RETURNS SETOF @extschema@.churn_figures
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION @extschema@.churn_evaluate(real[], @extschema@.churn_policy, date, date[], date[]) IS 'Figures, rules and severity of each policy metric of a series as of a week (default: its last week), with the first week an alert would have been raised';

CREATE FUNCTION @extschema@.churn_history(series real[], policy @extschema@.churn_policy, as_of date DEFAULT NULL,
	holidays date[] DEFAULT NULL, holidays_prev date[] DEFAULT NULL)
RETURNS SETOF @extschema@.churn_figures
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE ROWS 468;
COMMENT ON FUNCTION @extschema@.churn_history(real[], @extschema@.churn_policy, date, date[], date[]) IS 'The figures of every week of a series up to as_of (default: its last week), per policy metric';

CREATE FUNCTION @extschema@.churn_evaluate_alerts(series real[], policy @extschema@.churn_policy, as_of date DEFAULT NULL,
	holidays date[] DEFAULT NULL, holidays_prev date[] DEFAULT NULL)
RETURNS @extschema@.churn_figures[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_evaluate_alerts(real[], @extschema@.churn_policy, date, date[], date[]) IS 'The figures of the metrics whose severity is set as of a week, NULL when none is (churn_evaluate restricted to alerts, for scans over many parties)';

-- the policy that applies to a party kind
CREATE FUNCTION @extschema@.churn_policy_for(party_kind text)
RETURNS @extschema@.churn_policy
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT c FROM @extschema@.churn_policy c
	 WHERE c.enabled AND (c.party_kind IS NULL OR c.party_kind OPERATOR(pg_catalog.=) churn_policy_for.party_kind)
	 ORDER BY c.party_kind IS NULL, c.priority, c.policy_id
	 LIMIT 1;
END;
COMMENT ON FUNCTION @extschema@.churn_policy_for(text) IS 'The enabled churn policy for a party kind: its own first, else the kind-less one, lowest priority first';

-- Three steps, not one join: the calendar and the policy come from small
-- (on Citus: reference) tables, read once here, and the series from one
-- party's row; the evaluation itself reads no table.  A single SQL query
-- calling churn_calendar() and churn_policy_for() per row would have Citus
-- read reference tables from inside a shard query, which it refuses.
CREATE FUNCTION @extschema@.churn_deviation(party_id bigint, week date DEFAULT NULL)
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

-- churn_figures(week, value): one metric's figures as an aggregate
CREATE FUNCTION @extschema@.churn_figures_accum(internal, date, double precision)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_accum(internal, date, double precision) IS 'churn_figures transition function';

CREATE FUNCTION @extschema@.churn_figures_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_combine(internal, internal) IS 'churn_figures combine function';

CREATE FUNCTION @extschema@.churn_figures_serial(internal)
RETURNS bytea
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_serial(internal) IS 'churn_figures serial function';

CREATE FUNCTION @extschema@.churn_figures_deserial(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_deserial(bytea, internal) IS 'churn_figures deserial function';

CREATE FUNCTION @extschema@.churn_figures_final(internal)
RETURNS @extschema@.churn_figures
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_figures_final(internal) IS 'churn_figures final function';

CREATE AGGREGATE @extschema@.churn_figures(week date, value double precision) (
	SFUNC = @extschema@.churn_figures_accum,
	STYPE = internal,
	FINALFUNC = @extschema@.churn_figures_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.churn_figures_combine,
	SERIALFUNC = @extschema@.churn_figures_serial,
	DESERIALFUNC = @extschema@.churn_figures_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_figures(date, double precision) IS 'Churn figures of the last week of a weekly series under the default policy (no holiday calendar); with GROUP BY per series, as a window function ORDER BY week for every week';

-- churn: the insert path ---------------------------------------------------

CREATE FUNCTION @extschema@.churn_wake_monitor()
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.churn_wake_monitor() IS 'Wakes the churn monitor of this database when the current transaction commits (no-op unless bankcrm is preloaded)';

CREATE FUNCTION @extschema@.churn_series_slice(series_values real[], off integer, w0 integer, span integer)
RETURNS real[]
AS 'MODULE_PATHNAME' LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_slice(real[], integer, integer, integer) IS 'Internal: the series real[3][w0:w0+span-1] of the 3 * span values from offset off (metric-major); how the insert path passes many parties'' new weeks in one statement';

CREATE FUNCTION @extschema@.churn_series_drop_week(series real[], week date)
RETURNS real[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_series_drop_week(real[], date) IS 'The series without the given week''s row, trimmed to the weeks left; NULL when none is left, the series itself when week is NULL';

-- Row triggers and a statement trigger without transition tables: they
-- touch only the rows of churn_series and churn_dirty (tables distributed
-- like activity_weekly) of the parties of the rows, so they also run on
-- Citus, on the node that holds the shard (src/churn_trigger.c).  Inserted
-- rows are remembered by the row trigger and written per party by the
-- statement trigger.
CREATE FUNCTION @extschema@.churn_activity_row()
RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
CREATE FUNCTION @extschema@.churn_activity_flush()
RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.churn_activity_flush() IS 'After an INSERT statement on activity_weekly: lays the weeks the row trigger remembered over each party''s churn series, one write per party, and marks the parties dirty';

COMMENT ON FUNCTION @extschema@.churn_activity_row() IS 'After INSERT, UPDATE or DELETE of a row of activity_weekly: remembers an inserted row for churn_activity_flush; takes a deleted row''s week out of the party''s churn series, lays an updated row over it, and marks the party dirty';

CREATE FUNCTION @extschema@.churn_activity_truncated()
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

CREATE TRIGGER churn_activity_row AFTER INSERT OR UPDATE OR DELETE ON @extschema@.activity_weekly
	FOR EACH ROW EXECUTE FUNCTION @extschema@.churn_activity_row();
CREATE TRIGGER churn_activity_flush AFTER INSERT ON @extschema@.activity_weekly
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.churn_activity_flush();
CREATE TRIGGER churn_activity_truncate AFTER TRUNCATE ON @extschema@.activity_weekly
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.churn_activity_truncated();

-- churn: alerts, their history and remediation -------------------------------

CREATE TABLE @extschema@.churn_alert (
	alert_id           bigint GENERATED BY DEFAULT AS IDENTITY,
	party_id           bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	metric             text NOT NULL CONSTRAINT churn_alert_metric_check CHECK (metric IN ('loan_volume', 'txn_volume', 'txn_count')),
	policy_id          integer REFERENCES @extschema@.churn_policy ON DELETE SET NULL,
	state              text NOT NULL DEFAULT 'open'
	                   CONSTRAINT churn_alert_state_check CHECK (state IN ('open', 'acknowledged', 'in_remediation', 'resolved', 'lost', 'false_alarm')),
	severity           text NOT NULL CONSTRAINT churn_alert_severity_check CHECK (severity IN ('watch', 'warning', 'critical')),
	rule               text NOT NULL,
	first_week         date NOT NULL,
	last_week          date NOT NULL,
	level_drop_pct     double precision,
	cusum              double precision,
	raised_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
	escalated_at       timestamptz,
	closed_at          timestamptz,
	branch_id          integer REFERENCES @extschema@.branch,
	branch_manager_id  integer REFERENCES @extschema@.staff,
	rm_id              integer REFERENCES @extschema@.staff,
	team_id            integer REFERENCES @extschema@.team,
	note               text,
	CONSTRAINT churn_alert_weeks_check CHECK (last_week >= first_week),
	-- the key includes the distribution column (party_id); alert_id, an
	-- identity, leads, so that a lookup by alert_id alone uses the index
	PRIMARY KEY (alert_id, party_id)
);
COMMENT ON TABLE @extschema@.churn_alert IS 'Churn early-warning alerts: at most one active (open, acknowledged, in_remediation) per party and metric; lifecycle through the churn_alert process';
COMMENT ON COLUMN @extschema@.churn_alert.severity IS 'watch, warning or critical; only ever escalated while the alert is active';
COMMENT ON COLUMN @extschema@.churn_alert.rule IS 'The rules that fired when the alert was last raised or escalated: drift, quarter_drop, week_drop, joined by +';
COMMENT ON COLUMN @extschema@.churn_alert.first_week IS 'The week whose evaluation raised the alert';
COMMENT ON COLUMN @extschema@.churn_alert.last_week IS 'The latest week whose evaluation fired a rule for this alert';
COMMENT ON COLUMN @extschema@.churn_alert.level_drop_pct IS 'Percent the last four weeks lay below the reference level at the last evaluation';
COMMENT ON COLUMN @extschema@.churn_alert.branch_manager_id IS 'Task force: the manager of the party''s home branch';
COMMENT ON COLUMN @extschema@.churn_alert.rm_id IS 'Task force: the party''s covering (primary) relationship manager';
COMMENT ON COLUMN @extschema@.churn_alert.team_id IS 'Task force: the relationship manager''s team';
CREATE UNIQUE INDEX churn_alert_one_active ON @extschema@.churn_alert (party_id, metric)
	WHERE state IN ('open', 'acknowledged', 'in_remediation');
CREATE INDEX churn_alert_party_idx ON @extschema@.churn_alert (party_id);
CREATE INDEX churn_alert_active_idx ON @extschema@.churn_alert (branch_id, severity)
	WHERE state IN ('open', 'acknowledged', 'in_remediation');

CREATE TABLE @extschema@.churn_alert_history (
	history_id  bigint GENERATED BY DEFAULT AS IDENTITY,
	alert_id    bigint NOT NULL,
	party_id    bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
	event       text NOT NULL,
	from_state  text,
	to_state    text NOT NULL,
	severity    text NOT NULL,
	actor       name NOT NULL DEFAULT CURRENT_USER,
	note        text,
	PRIMARY KEY (history_id, party_id),
	FOREIGN KEY (alert_id, party_id) REFERENCES @extschema@.churn_alert (alert_id, party_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.churn_alert_history IS 'Every event of every churn alert (raised, escalated, and each state change), written in the same transaction as the change';
CREATE INDEX churn_alert_history_alert_idx ON @extschema@.churn_alert_history (alert_id);

CREATE TABLE @extschema@.churn_remediation (
	remediation_id  bigint GENERATED BY DEFAULT AS IDENTITY,
	alert_id        bigint NOT NULL,
	party_id        bigint NOT NULL REFERENCES @extschema@.party ON DELETE CASCADE,
	action          text NOT NULL CONSTRAINT churn_remediation_action_check CHECK (action IN
	                  ('better_service', 'marketing', 'fee_reduction', 'fee_waiver')),
	staff_id        integer REFERENCES @extschema@.staff,
	taken_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	outcome         text NOT NULL DEFAULT 'pending' CONSTRAINT churn_remediation_outcome_check CHECK (outcome IN
	                  ('pending', 'retained', 'partially_retained', 'no_effect', 'lost')),
	outcome_at      timestamptz,
	note            text,
	PRIMARY KEY (remediation_id, party_id),
	FOREIGN KEY (alert_id, party_id) REFERENCES @extschema@.churn_alert (alert_id, party_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.churn_remediation IS 'What the task force did about a churn alert (better service, marketing, fee reduction or waiver) and what came of it';
CREATE INDEX churn_remediation_alert_idx ON @extschema@.churn_remediation (alert_id);

-- not STRICT: the CASE gives NULL for NULL anyway, and a STRICT SQL function
-- whose body is not strict is never inlined (a function call per row)
CREATE FUNCTION @extschema@.churn_severity_rank(severity text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE severity WHEN 'watch' THEN 1 WHEN 'warning' THEN 2 WHEN 'critical' THEN 3 END;
COMMENT ON FUNCTION @extschema@.churn_severity_rank(text) IS 'Orders churn severities: watch 1, warning 2, critical 3';

-- the alert lifecycle is the churn_alert process of the state-machine engine
-- (50_fsm.sql): the guard refuses any state change that is not one of its
-- transitions and records each one in fsm_history
CREATE TRIGGER churn_alert_state_guard BEFORE INSERT OR UPDATE OF state ON @extschema@.churn_alert
	FOR EACH ROW EXECUTE FUNCTION @extschema@.fsm_guard('churn_alert', 'state');

CREATE FUNCTION @extschema@.churn_alert_fire(alert_id bigint, event text, note text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a record;
	target text;
	-- a value, not now() inside CASE: Citus refuses non-immutable
	-- functions there
	ts timestamptz := pg_catalog.now();
BEGIN
	SELECT c.alert_id, c.party_id, c.state, c.severity INTO a
	  FROM @extschema@.churn_alert c
	 WHERE c.alert_id OPERATOR(pg_catalog.=) churn_alert_fire.alert_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'churn alert % does not exist', churn_alert_fire.alert_id
			USING ERRCODE = 'no_data_found',
			      HINT = 'The alert may belong to a party you do not cover.';
	END IF;
	target := @extschema@.fsm_fire('@extschema@.churn_alert'::regclass, a.alert_id, churn_alert_fire.event,
	                               churn_alert_fire.note);
	UPDATE @extschema@.churn_alert c
	   SET closed_at = CASE WHEN target IN ('resolved', 'lost', 'false_alarm') THEN ts END,
	       note = COALESCE(churn_alert_fire.note, c.note)
	 WHERE c.alert_id OPERATOR(pg_catalog.=) a.alert_id;
	INSERT INTO @extschema@.churn_alert_history (alert_id, party_id, event, from_state, to_state, severity, note)
	VALUES (a.alert_id, a.party_id, churn_alert_fire.event, a.state, target, a.severity, churn_alert_fire.note);
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_alert_fire(bigint, text, text) IS 'Fires an event of the churn_alert process (acknowledge, start_remediation, resolve, lose, dismiss) on an alert through fsm_fire, and logs it in churn_alert_history; returns the new state';

CREATE FUNCTION @extschema@.churn_remediation_log(alert_id bigint, action text, note text DEFAULT NULL,
	staff_id integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a record;
	rid bigint;
BEGIN
	SELECT c.alert_id, c.party_id, c.state INTO a
	  FROM @extschema@.churn_alert c
	 WHERE c.alert_id OPERATOR(pg_catalog.=) churn_remediation_log.alert_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'churn alert % does not exist', churn_remediation_log.alert_id
			USING ERRCODE = 'no_data_found',
			      HINT = 'The alert may belong to a party you do not cover.';
	END IF;
	IF churn_remediation_log.action IS NULL
	   OR churn_remediation_log.action NOT IN ('better_service', 'marketing', 'fee_reduction', 'fee_waiver') THEN
		RAISE EXCEPTION 'unknown remediation action "%"', churn_remediation_log.action
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The actions are better_service, marketing, fee_reduction and fee_waiver.';
	END IF;
	IF a.state NOT IN ('open', 'acknowledged', 'in_remediation') THEN
		RAISE EXCEPTION 'churn alert % is closed', a.alert_id
			USING ERRCODE = 'check_violation',
			      DETAIL = pg_catalog.format('The alert is %s.', a.state),
			      HINT = 'Remediation is logged against an open, acknowledged or in_remediation alert.';
	END IF;
	INSERT INTO @extschema@.churn_remediation (alert_id, party_id, action, staff_id, note)
	VALUES (a.alert_id, a.party_id, churn_remediation_log.action,
	        COALESCE(churn_remediation_log.staff_id, @extschema@.current_staff_id()), churn_remediation_log.note)
	RETURNING remediation_id INTO rid;
	IF a.state OPERATOR(pg_catalog.<>) 'in_remediation' THEN
		PERFORM @extschema@.churn_alert_fire(a.alert_id, 'start_remediation', churn_remediation_log.note);
	END IF;
	RETURN rid;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_remediation_log(bigint, text, text, integer) IS 'Logs a remediation action (better_service, marketing, fee_reduction, fee_waiver) on an active alert and moves it to in_remediation; returns the remediation id';

CREATE FUNCTION @extschema@.churn_remediation_outcome(remediation_id bigint, outcome text, note text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF churn_remediation_outcome.outcome IS NULL
	   OR churn_remediation_outcome.outcome NOT IN ('pending', 'retained', 'partially_retained', 'no_effect', 'lost') THEN
		RAISE EXCEPTION 'unknown remediation outcome "%"', churn_remediation_outcome.outcome
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'The outcomes are pending, retained, partially_retained, no_effect and lost.';
	END IF;
	UPDATE @extschema@.churn_remediation r
	   SET outcome = churn_remediation_outcome.outcome,
	       outcome_at = pg_catalog.now(),
	       note = COALESCE(churn_remediation_outcome.note, r.note)
	 WHERE r.remediation_id OPERATOR(pg_catalog.=) churn_remediation_outcome.remediation_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'churn remediation % does not exist', churn_remediation_outcome.remediation_id
			USING ERRCODE = 'no_data_found';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_remediation_outcome(bigint, text, text) IS 'Records the outcome of a remediation action: retained, partially_retained, no_effect or lost';

-- churn: alerts of parties the bank can no longer keep ----------------------

-- Each active alert of the given parties goes to lost through
-- churn_alert_fire (the churn_alert process, fsm_history and
-- churn_alert_history), one alert at a time in alert_id order.
CREATE FUNCTION @extschema@.churn_lose_alerts(party_ids bigint[], note text,
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT a.alert_id, a.party_id, a.metric, a.severity
	           FROM @extschema@.churn_alert a
	          WHERE a.party_id OPERATOR(pg_catalog.=) ANY (churn_lose_alerts.party_ids)
	            AND a.state IN ('open', 'acknowledged', 'in_remediation')
	          ORDER BY a.alert_id
	LOOP
		PERFORM @extschema@.churn_alert_fire(r.alert_id, 'lose', churn_lose_alerts.note);
		alert_id := r.alert_id;
		party_id := r.party_id;
		metric := r.metric;
		severity := r.severity;
		event := 'lost';
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_lose_alerts(bigint[], text) IS 'Fires lose on every active churn alert of the given parties (the churn_alert process, with history and the note); returns the alerts closed';

CREATE FUNCTION @extschema@.churn_close_departed(as_of date DEFAULT NULL, silent_weeks integer DEFAULT 26,
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

-- churn: evaluation and alerting -------------------------------------------

CREATE TYPE @extschema@.churn_hit AS (
	party_id        bigint,
	policy_id       integer,
	metric          text,
	week            date,
	severity        text,
	rule            text,
	level_drop_pct  double precision,
	cusum           double precision,
	snooze_weeks    integer
);
COMMENT ON TYPE @extschema@.churn_hit IS 'A metric of a party whose evaluation fired a rule (churn_evaluate_hits returns them, churn_apply_hits consumes them)';

-- the evaluation of many parties in C: the metrics whose rules fire
CREATE FUNCTION @extschema@.churn_evaluate_hits(party_ids bigint[], as_of date)
RETURNS @extschema@.churn_hit[]
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.churn_evaluate_hits(bigint[], date) IS 'Evaluates parties (NULL: every party with a series) as of a week (NULL: each party''s last week) under their policies and the holiday calendar; returns the metrics whose rules fire (closed parties only for weeks before closed_on), sorted by party and metric, or NULL';

-- Escalates, refreshes or raises the alerts of evaluated hits, logs history,
-- and returns what it did (churn_apply and churn_process_dirty notify).
CREATE FUNCTION @extschema@.churn_apply_hits(hits @extschema@.churn_hit[],
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	-- a value, not now() inside CASE: Citus refuses non-immutable
	-- functions there
	ts timestamptz := pg_catalog.now();
	ids bigint[];
	closed bigint[];
BEGIN
	IF hits IS NULL THEN
		RETURN;
	END IF;
	ids := ARRAY(SELECT DISTINCT x.party_id FROM pg_catalog.unnest(hits) x);

	-- a closed party is no longer the bank's to keep: its active alerts are
	-- lost (through the churn_alert process) and its hits raise nothing
	closed := ARRAY(SELECT p.party_id FROM @extschema@.party p
	                 WHERE p.party_id OPERATOR(pg_catalog.=) ANY (ids) AND p.status OPERATOR(pg_catalog.=) 'closed'
	                 ORDER BY p.party_id);
	IF pg_catalog.cardinality(closed) OPERATOR(pg_catalog.>) 0 THEN
		RETURN QUERY
		SELECT l.alert_id, l.party_id, l.metric, l.severity, l.event
		  FROM @extschema@.churn_lose_alerts(closed, 'The party closed its relationship with the bank.') l;
		hits := ARRAY(SELECT x FROM pg_catalog.unnest(hits) x
		               WHERE x.party_id OPERATOR(pg_catalog.<>) ALL (closed));
		ids := ARRAY(SELECT i FROM pg_catalog.unnest(ids) i WHERE i OPERATOR(pg_catalog.<>) ALL (closed));
		IF pg_catalog.cardinality(hits) OPERATOR(pg_catalog.=) 0 THEN
			RETURN;
		END IF;
	END IF;

	-- escalate active alerts whose severity rose; refresh the others
	RETURN QUERY
	WITH h AS (SELECT * FROM pg_catalog.unnest(hits)),
	cur AS (
		SELECT a.alert_id, a.party_id, a.severity AS old_severity, h.severity AS new_severity, h.rule, h.week,
		       h.level_drop_pct, h.cusum
		  FROM @extschema@.churn_alert a
		  JOIN h ON a.party_id OPERATOR(pg_catalog.=) h.party_id AND a.metric OPERATOR(pg_catalog.=) h.metric
		 WHERE a.state IN ('open', 'acknowledged', 'in_remediation')
	),
	upd AS (
		UPDATE @extschema@.churn_alert a
		   SET severity = CASE WHEN c.up THEN c.new_severity ELSE a.severity END,
		       escalated_at = CASE WHEN c.up THEN ts ELSE a.escalated_at END,
		       rule = CASE WHEN c.up THEN c.rule ELSE a.rule END,
		       last_week = GREATEST(a.last_week, c.week),
		       level_drop_pct = CASE WHEN c.week OPERATOR(pg_catalog.>=) a.last_week THEN c.level_drop_pct ELSE a.level_drop_pct END,
		       cusum = CASE WHEN c.week OPERATOR(pg_catalog.>=) a.last_week THEN c.cusum ELSE a.cusum END
		  FROM (SELECT cur.*, @extschema@.churn_severity_rank(cur.new_severity) OPERATOR(pg_catalog.>)
		                      @extschema@.churn_severity_rank(cur.old_severity) AS up
		          FROM cur) c
		 WHERE a.alert_id OPERATOR(pg_catalog.=) c.alert_id AND a.party_id OPERATOR(pg_catalog.=) c.party_id
		RETURNING a.alert_id, a.party_id, a.metric, a.severity, a.state, c.up
	), logged AS (
		INSERT INTO @extschema@.churn_alert_history (alert_id, party_id, event, from_state, to_state, severity)
		SELECT u.alert_id, u.party_id, 'escalated', u.state, u.state, u.severity FROM upd u WHERE u.up
		RETURNING 1
	)
	SELECT u.alert_id, u.party_id, u.metric, u.severity, 'escalated'::text FROM upd u WHERE u.up;

	-- raise new alerts where none is active and none was closed recently
	RETURN QUERY
	WITH h AS (SELECT * FROM pg_catalog.unnest(hits)),
	ins AS (
		INSERT INTO @extschema@.churn_alert AS a (party_id, metric, policy_id, severity, rule, first_week, last_week,
		                                         level_drop_pct, cusum, branch_id, branch_manager_id, rm_id, team_id)
		SELECT h.party_id, h.metric, h.policy_id, h.severity, h.rule, h.week, h.week, h.level_drop_pct, h.cusum,
		       p.home_branch_id, bm.staff_id, rm.staff_id, rs.team_id
		  FROM h
		  JOIN @extschema@.party p ON p.party_id OPERATOR(pg_catalog.=) h.party_id
		  -- each party's covering relationship manager: its latest primary_rm coverage
		  LEFT JOIN (
		        SELECT DISTINCT ON (c.party_id) c.party_id, c.staff_id
		          FROM @extschema@.coverage c
		         WHERE c.party_id OPERATOR(pg_catalog.=) ANY (ids) AND c.role OPERATOR(pg_catalog.=) 'primary_rm'
		           AND (c.valid_to IS NULL OR c.valid_to OPERATOR(pg_catalog.>=) CURRENT_DATE)
		         ORDER BY c.party_id, c.valid_from DESC, c.coverage_id DESC) rm
		    ON rm.party_id OPERATOR(pg_catalog.=) p.party_id
		  LEFT JOIN @extschema@.staff rs ON rs.staff_id OPERATOR(pg_catalog.=) rm.staff_id
		  -- each branch's manager: the lowest staff_id among its active ones
		  LEFT JOIN (
		        SELECT s.branch_id, pg_catalog.min(s.staff_id) AS staff_id
		          FROM @extschema@.staff s
		         WHERE s.role_kind OPERATOR(pg_catalog.=) 'branch_manager' AND s.active
		         GROUP BY s.branch_id) bm
		    ON bm.branch_id OPERATOR(pg_catalog.=) p.home_branch_id
		 WHERE NOT EXISTS (
		        SELECT 1 FROM @extschema@.churn_alert c
		         WHERE c.party_id OPERATOR(pg_catalog.=) p.party_id AND c.metric OPERATOR(pg_catalog.=) h.metric
		           AND (c.state IN ('open', 'acknowledged', 'in_remediation')
		                OR (c.state IN ('resolved', 'false_alarm')
		                    AND c.last_week OPERATOR(pg_catalog.>=) (h.week OPERATOR(pg_catalog.-) 7 * h.snooze_weeks)
		                    AND @extschema@.churn_severity_rank(c.severity) OPERATOR(pg_catalog.>=)
		                        @extschema@.churn_severity_rank(h.severity))))
		ON CONFLICT (party_id, metric) WHERE state IN ('open', 'acknowledged', 'in_remediation') DO NOTHING
		RETURNING a.alert_id, a.party_id, a.metric, a.severity
	), logged AS (
		INSERT INTO @extschema@.churn_alert_history (alert_id, party_id, event, from_state, to_state, severity)
		SELECT i.alert_id, i.party_id, 'raised', NULL, 'open', i.severity FROM ins i
		RETURNING 1
	)
	SELECT i.alert_id, i.party_id, i.metric, i.severity, 'raised'::text FROM ins i;
END
$$;
COMMENT ON FUNCTION @extschema@.churn_apply_hits(@extschema@.churn_hit[]) IS 'Closes the active alerts of closed parties as lost and drops their hits; escalates active alerts whose severity rose and refreshes the others, raises new alerts with their task force where none is active and none was closed recently at the same or a higher severity, logs history; returns the alerts raised, escalated or lost';

CREATE FUNCTION @extschema@.churn_apply(party_ids bigint[], as_of date,
	OUT alert_id bigint, OUT party_id bigint, OUT metric text, OUT severity text, OUT event text)
RETURNS SETOF record
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT a.alert_id, a.party_id, a.metric, a.severity, a.event
	  FROM @extschema@.churn_apply_hits(@extschema@.churn_evaluate_hits(party_ids, as_of)) a;
END;
COMMENT ON FUNCTION @extschema@.churn_apply(bigint[], date) IS 'Evaluates parties (NULL: all) as of a week (NULL: each party''s last week), raises and escalates alerts with their task force and history; returns the alerts raised or escalated';

-- announce raised and escalated alerts on channel bankcrm_churn
CREATE FUNCTION @extschema@.churn_notify(alert_id bigint, party_id bigint, metric text, severity text, event text)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.pg_notify('bankcrm_churn',
	pg_catalog.json_build_object('alert_id', alert_id, 'party_id', party_id, 'metric', metric,
	                             'severity', severity, 'event', event)::text);
COMMENT ON FUNCTION @extschema@.churn_notify(bigint, bigint, text, text, text) IS 'Sends NOTIFY bankcrm_churn with a JSON payload: alert_id, party_id, metric, severity, event (raised or escalated)';

CREATE FUNCTION @extschema@.churn_scan(week date DEFAULT NULL,
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
COMMENT ON FUNCTION @extschema@.churn_scan(date) IS 'Closes as lost the active alerts of parties closed or silent for 26 weeks (churn_close_departed), evaluates every party as of a week (default: each party''s last week with activity), raises or escalates alerts of the parties the bank can still keep, notifies bankcrm_churn; returns per severity the kept parties with an active alert at that severity and the alerts raised, escalated and lost';

-- the monitor's unit of work: one batch of dirty parties in one transaction
-- (src/churn_monitor.c)
CREATE FUNCTION @extschema@.churn_process_dirty(batch_size integer DEFAULT 1000)
RETURNS integer
AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.churn_process_dirty(integer) IS 'Takes up to batch_size dirty marks (oldest first, skipping marks another session holds), evaluates those parties as of their last week, raises or escalates alerts and notifies, all in the caller''s transaction; returns the number of parties evaluated';

-- churn: views -------------------------------------------------------------

-- analysts: counts only, no party
CREATE VIEW @extschema@.churn_alert_summary AS
SELECT a.branch_id,
       b.name AS branch_name,
       a.severity,
       a.state,
       pg_catalog.count(*) AS alerts,
       pg_catalog.count(DISTINCT a.party_id) AS parties
  FROM @extschema@.churn_alert a
  LEFT JOIN @extschema@.branch b ON b.branch_id OPERATOR(pg_catalog.=) a.branch_id
 GROUP BY a.branch_id, b.name, a.severity, a.state;
COMMENT ON VIEW @extschema@.churn_alert_summary IS 'Churn alerts counted by branch, severity and state (no party data; for analysts)';
COMMENT ON COLUMN @extschema@.churn_alert_summary.branch_id IS 'Home branch of the alerted parties';
COMMENT ON COLUMN @extschema@.churn_alert_summary.branch_name IS 'That branch''s name';
COMMENT ON COLUMN @extschema@.churn_alert_summary.severity IS 'watch, warning or critical';
COMMENT ON COLUMN @extschema@.churn_alert_summary.state IS 'Alert state';
COMMENT ON COLUMN @extschema@.churn_alert_summary.alerts IS 'Alerts';
COMMENT ON COLUMN @extschema@.churn_alert_summary.parties IS 'Distinct parties';

-- churn: privileges and row-level security -----------------------------------

GRANT USAGE ON SCHEMA bankcrm_churn TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT SELECT ON bankcrm_churn.builtin_holiday TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT ALL ON @extschema@.churn_policy, @extschema@.churn_holiday, bankcrm_churn.churn_series, bankcrm_churn.churn_dirty,
	bankcrm_churn.churn_series_tail, bankcrm_churn.churn_series_now,
	@extschema@.churn_alert, @extschema@.churn_alert_history, @extschema@.churn_remediation TO bankcrm_admin;
GRANT SELECT ON @extschema@.churn_alert_summary TO bankcrm_admin;
GRANT SELECT ON @extschema@.churn_policy, @extschema@.churn_holiday
	TO bankcrm_manager, bankcrm_rm, bankcrm_analyst, bankcrm_app;
GRANT SELECT ON @extschema@.churn_alert, @extschema@.churn_alert_history, @extschema@.churn_remediation,
	bankcrm_churn.churn_series, bankcrm_churn.churn_series_tail, bankcrm_churn.churn_series_now TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT UPDATE (state, closed_at, note) ON @extschema@.churn_alert TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT INSERT ON @extschema@.churn_alert_history, @extschema@.churn_remediation TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT UPDATE (outcome, outcome_at, note) ON @extschema@.churn_remediation TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT SELECT ON @extschema@.churn_alert_summary TO bankcrm_analyst, bankcrm_manager, bankcrm_app;
GRANT USAGE ON SEQUENCE @extschema@.churn_alert_history_history_id_seq, @extschema@.churn_remediation_remediation_id_seq
	TO bankcrm_manager, bankcrm_rm, bankcrm_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA @extschema@ TO bankcrm_admin;

REVOKE ALL ON FUNCTION @extschema@.churn_lose_alerts(bigint[], text), @extschema@.churn_close_departed(date, integer)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.churn_lose_alerts(bigint[], text), @extschema@.churn_close_departed(date, integer)
	TO bankcrm_admin, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.churn_apply(bigint[], date), @extschema@.churn_scan(date),
	@extschema@.churn_process_dirty(integer), @extschema@.churn_evaluate_hits(bigint[], date),
	@extschema@.churn_apply_hits(@extschema@.churn_hit[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.churn_apply(bigint[], date), @extschema@.churn_scan(date),
	@extschema@.churn_process_dirty(integer), @extschema@.churn_evaluate_hits(bigint[], date),
	@extschema@.churn_apply_hits(@extschema@.churn_hit[]) TO bankcrm_admin, bankcrm_app;
-- churn_scan, churn_process_dirty and churn_apply, granted to bankcrm_app,
-- write alerts and marks as the caller
GRANT INSERT, UPDATE ON @extschema@.churn_alert TO bankcrm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON bankcrm_churn.churn_series, bankcrm_churn.churn_series_tail, bankcrm_churn.churn_dirty TO bankcrm_app;
GRANT USAGE ON SEQUENCE @extschema@.churn_alert_alert_id_seq TO bankcrm_app;
-- one party's figures and the alert workflow: staff and applications, not the analyst
REVOKE ALL ON FUNCTION @extschema@.churn_deviation(bigint, date), @extschema@.churn_alert_fire(bigint, text, text),
	@extschema@.churn_remediation_log(bigint, text, text, integer),
	@extschema@.churn_remediation_outcome(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.churn_deviation(bigint, date), @extschema@.churn_alert_fire(bigint, text, text),
	@extschema@.churn_remediation_log(bigint, text, text, integer),
	@extschema@.churn_remediation_outcome(bigint, text, text) TO bankcrm_admin, bankcrm_manager, bankcrm_rm, bankcrm_app;
REVOKE ALL ON FUNCTION @extschema@.churn_activity_row(), @extschema@.churn_activity_flush(),
	@extschema@.churn_activity_truncated() FROM PUBLIC;
