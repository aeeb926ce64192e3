-- src/sql/71_dialer_wake.sql: dialer workers woken by commits (src/dialer/wake.c)

-- dialer: wake-ups ----------------------------------------------------------

CREATE FUNCTION @extschema@.dialer_wake()
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.dialer_wake() IS 'Wakes the dialer workers of this database when the current transaction commits (no-op unless bankcrm is preloaded)';
REVOKE EXECUTE ON FUNCTION @extschema@.dialer_wake() FROM PUBLIC;

CREATE FUNCTION @extschema@.dialer_wake_trigger()
RETURNS trigger
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.dialer_wake_trigger() IS 'Row trigger: a queued attempt, an agent or dial settings changed; wakes the dialer workers at commit';
REVOKE EXECUTE ON FUNCTION @extschema@.dialer_wake_trigger() FROM PUBLIC;

CREATE TRIGGER dialer_wake AFTER INSERT OR UPDATE OF state, due_at ON @extschema@.call_attempt
	FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION @extschema@.dialer_wake_trigger();
CREATE TRIGGER dialer_wake AFTER INSERT OR UPDATE ON @extschema@.dialer_agent
	FOR EACH ROW EXECUTE FUNCTION @extschema@.dialer_wake_trigger();
CREATE TRIGGER dialer_wake AFTER INSERT OR UPDATE ON @extschema@.dial_settings
	FOR EACH ROW EXECUTE FUNCTION @extschema@.dialer_wake_trigger();
