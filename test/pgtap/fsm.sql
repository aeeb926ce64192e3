-- test/pgtap/fsm.sql: the process engine's schema contract and every illegal edge
BEGIN;
SELECT plan(25);

SELECT has_table('bankcrm', t, 'table ' || t) FROM unnest(ARRAY['process', 'process_state', 'process_transition', 'fsm_history']) t;
SELECT has_function('bankcrm', f, 'function ' || f)
  FROM unnest(ARRAY['fsm_next', 'fsm_events', 'fsm_validate', 'fsm_problems', 'fsm_fire', 'fsm_guard']) f;
SELECT volatility_is('bankcrm', 'fsm_next', ARRAY['text', 'text', 'text'], 'stable', 'fsm_next is STABLE');
SELECT is_strict('bankcrm', 'fsm_next', ARRAY['text', 'text', 'text'], 'fsm_next is STRICT');

-- every built-in process is valid
SELECT set_eq('SELECT process_name FROM bankcrm.process WHERE builtin',
	ARRAY['outbound_sale', 'prospecting', 'fabe_pitch', 'campaign_lifecycle', 'churn_alert', 'complaint'],
	'the six built-in processes are installed');
SELECT ok(bool_and(bankcrm.fsm_validate(process_name)), 'every process validates') FROM bankcrm.process;
SELECT is_empty('SELECT p.process_name, x FROM bankcrm.process p, bankcrm.fsm_problems(p.process_name) x',
	'no process has a problem');

-- every (state, event) pair that is not a transition is refused with 55000, and every transition is followed
CREATE FUNCTION pg_temp.illegal_edges_accepted() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	r record;
	n bigint := 0;
BEGIN
	FOR r IN
		SELECT s.process_name, s.state, e.event
		  FROM bankcrm.process_state s
		  JOIN (SELECT DISTINCT process_name, event FROM bankcrm.process_transition) e USING (process_name)
		 WHERE NOT EXISTS (SELECT 1 FROM bankcrm.process_transition t
		                    WHERE t.process_name = s.process_name AND t.from_state = s.state AND t.event = e.event)
	LOOP
		BEGIN
			PERFORM bankcrm.fsm_next(r.process_name, r.state, r.event);
			n := n + 1;
		EXCEPTION WHEN object_not_in_prerequisite_state THEN
			NULL;
		END;
	END LOOP;
	RETURN n;
END
$$;
SELECT is(pg_temp.illegal_edges_accepted(), 0::bigint, 'every illegal edge of every process raises 55000');
SELECT ok(bool_and(bankcrm.fsm_next(process_name, from_state, event) = to_state), 'every transition is followed')
  FROM bankcrm.process_transition;
SELECT throws_ok($$SELECT bankcrm.fsm_next('outbound_sale', 'won', 'decline')$$, '55000', NULL, 'no event leaves won');
SELECT throws_ok($$SELECT bankcrm.fsm_next('complaint', 'received', 'close')$$, '55000', NULL, 'a complaint is not closed unread');
SELECT throws_ok($$SELECT bankcrm.fsm_next('churn_alert', 'resolved', 'reopen')$$, '55000', NULL, 'a resolved alert stays resolved');
SELECT throws_ok($$SELECT bankcrm.fsm_next('nope', 'a', 'b')$$, '42704', NULL, 'unknown process');

-- the complaint guard on generated data: direct updates follow the process
SELECT throws_ok($$UPDATE bankcrm.complaint SET state = 'closed' WHERE state = 'received'$$, '23514', NULL,
	'a received complaint cannot be closed directly');
SELECT lives_ok($$UPDATE bankcrm.complaint SET state = 'assigned' WHERE complaint_id = (SELECT min(complaint_id) FROM bankcrm.complaint WHERE state = 'received')$$,
	'a received complaint can be assigned directly');
SELECT is((SELECT event FROM bankcrm.fsm_history WHERE entity = 'bankcrm.complaint'::regclass ORDER BY history_id DESC LIMIT 1),
	'assign', 'the direct update is recorded with its event');

-- broken edits are refused at commit (checked here by forcing the deferred check)
SELECT throws_ok($$INSERT INTO bankcrm.process_state (process_name, state) VALUES ('complaint', 'lost_in_mail'); SET CONSTRAINTS ALL IMMEDIATE$$,
	'42P17', NULL, 'an unreachable state is refused');

SELECT * FROM finish();
ROLLBACK;
