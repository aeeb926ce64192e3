-- src/sql/32_progress.sql: progress of long operations (src/progress.c)

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
