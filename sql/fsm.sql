-- fsm: processes as data, the engine that follows them, the guard trigger
-- and the history it writes
SET search_path = bankcrm, public;

-- every built-in process is valid
SELECT process_name, fsm_validate(process_name) AS valid,
       (SELECT count(*) FROM process_state s WHERE s.process_name = p.process_name) AS states,
       (SELECT count(*) FROM process_transition t WHERE t.process_name = p.process_name) AS transitions
  FROM process p ORDER BY process_name;
SELECT count(*) AS problems FROM process p, fsm_problems(p.process_name);

-- the outbound sale, step by step
SELECT fsm_next('outbound_sale', 'review_customer', 'customer_reviewed');
SELECT fsm_next('outbound_sale', 'first_call', 'no_answer') AS retry_keeps_state;
SELECT fsm_next('outbound_sale', 'first_call', 'invalid_number');
SELECT fsm_next('fabe_pitch', 'evidence', 'objection') AS objection_goes_back;
SELECT fsm_events('outbound_sale', 'first_call');
SELECT fsm_events('outbound_sale', 'won') AS terminal_has_no_events;

-- invalid events: 55000 with the valid events in the hint
\set VERBOSITY default
SELECT fsm_next('outbound_sale', 'review_customer', 'send_thank_you');
SELECT fsm_next('outbound_sale', 'won', 'decline');
SELECT fsm_next('campaign_lifecycle', 'draft', 'launch');
SELECT fsm_next('outbound_sale', 'nowhere', 'decline');
SELECT fsm_next('no_such_process', 'a', 'b');
SELECT fsm_validate('no_such_process');
\set VERBOSITY terse
SELECT fsm_next(NULL, 'a', 'b') IS NULL AS strict;

-- a process of the bank's own, built in one transaction
BEGIN;
INSERT INTO process (process_name, description) VALUES ('loan_review', 'Credit review of a loan application');
INSERT INTO process_state (process_name, state, is_initial, is_terminal, outcome, stage_order) VALUES
	('loan_review', 'submitted', true, false, NULL, 1),
	('loan_review', 'in_review', false, false, NULL, 2),
	('loan_review', 'approved', false, true, 'won', 3),
	('loan_review', 'rejected', false, true, 'lost', NULL);
INSERT INTO process_transition (process_name, from_state, event, to_state, roles_allowed) VALUES
	('loan_review', 'submitted', 'start', 'in_review', NULL),
	('loan_review', 'in_review', 'approve', 'approved', '{bankcrm_manager}'),
	('loan_review', 'in_review', 'reject', 'rejected', NULL),
	('loan_review', 'in_review', 'ask_more', 'submitted', NULL);
COMMIT;
SELECT fsm_validate('loan_review');

-- broken edits are refused at commit, with the reason
\set VERBOSITY default
BEGIN;
INSERT INTO process_state (process_name, state) VALUES ('loan_review', 'limbo');
COMMIT;
BEGIN;
UPDATE process_state SET is_initial = true WHERE process_name = 'loan_review' AND state = 'in_review';
COMMIT;
BEGIN;
INSERT INTO process_transition (process_name, from_state, event, to_state) VALUES ('loan_review', 'approved', 'undo', 'in_review');
COMMIT;
BEGIN;
DELETE FROM process_transition WHERE process_name = 'loan_review' AND event IN ('approve', 'reject');
COMMIT;
BEGIN;
INSERT INTO process (process_name) VALUES ('empty_process');
COMMIT;
\set VERBOSITY terse
INSERT INTO process (process_name) VALUES ('Bad Name');
INSERT INTO process_state (process_name, state, outcome) VALUES ('loan_review', 'x', 'won');
-- fsm_problems lists what is wrong without raising
BEGIN;
INSERT INTO process_state (process_name, state) VALUES ('loan_review', 'orphan');
SELECT fsm_problems('loan_review');
ROLLBACK;

-- the compiled process follows every edit at once, and a rollback
SELECT fsm_events('loan_review', 'in_review');
BEGIN;
INSERT INTO process_transition (process_name, from_state, event, to_state) VALUES ('loan_review', 'in_review', 'withdraw', 'rejected');
SELECT fsm_events('loan_review', 'in_review') AS inside_transaction;
ROLLBACK;
SELECT fsm_events('loan_review', 'in_review') AS after_rollback;
UPDATE process_transition SET to_state = 'rejected' WHERE process_name = 'loan_review' AND event = 'ask_more';
SELECT fsm_next('loan_review', 'in_review', 'ask_more') AS after_update;
UPDATE process_transition SET to_state = 'submitted' WHERE process_name = 'loan_review' AND event = 'ask_more';

-- any table can be guarded: here the process is read from a column
CREATE TABLE public.loan_application (
	application_id bigint PRIMARY KEY,
	flow text NOT NULL DEFAULT 'loan_review',
	status text NOT NULL DEFAULT 'submitted',
	state_changed_at timestamptz
);
CREATE TRIGGER loan_application_guard BEFORE INSERT OR UPDATE OF status ON public.loan_application
	FOR EACH ROW EXECUTE FUNCTION bankcrm.fsm_guard('@flow', 'status');
INSERT INTO public.loan_application (application_id) VALUES (1), (2), (3);
INSERT INTO public.loan_application (application_id, status) VALUES (4, 'approved');
INSERT INTO public.loan_application (application_id, status) VALUES (5, 'granted');
SELECT fsm_fire('public.loan_application', 1, 'start', 'documents complete');
SELECT fsm_fire('public.loan_application', 1, 'reject', 'income too low');
SELECT fsm_fire('public.loan_application', 1, 'start');
SELECT fsm_fire('public.loan_application', 99, 'start');
SELECT application_id, status, state_changed_at IS NOT NULL AS stamped FROM public.loan_application ORDER BY 1;

-- direct updates: a valid one is recorded, an invalid one refused naming both states
UPDATE public.loan_application SET status = 'in_review' WHERE application_id = 2;
\set VERBOSITY default
UPDATE public.loan_application SET status = 'approved' WHERE application_id = 3;
\set VERBOSITY terse
DO $$
BEGIN
	UPDATE public.loan_application SET status = 'rejected' WHERE application_id = 3;
EXCEPTION WHEN check_violation THEN
	DECLARE
		s text; t text; c text;
	BEGIN
		GET STACKED DIAGNOSTICS s = SCHEMA_NAME, t = TABLE_NAME, c = COLUMN_NAME;
		RAISE NOTICE 'refused on %.%.%', s, t, c;
	END;
END
$$;
-- an update that leaves the state alone is not a transition
UPDATE public.loan_application SET status = status, flow = flow WHERE application_id = 3;

-- roles: approve is for managers only (superusers pass)
CREATE ROLE fsm_clerk;
GRANT USAGE ON SCHEMA bankcrm TO fsm_clerk;
GRANT SELECT, UPDATE ON public.loan_application TO fsm_clerk;
SET ROLE fsm_clerk;
SELECT bankcrm.fsm_fire('public.loan_application', 2, 'approve');
UPDATE public.loan_application SET status = 'approved' WHERE application_id = 2;
SELECT bankcrm.fsm_fire('public.loan_application', 2, 'ask_more', 'payslips missing');
SELECT bankcrm.fsm_fire('public.loan_application', 2, 'start', NULL, '2026-01-01');
RESET ROLE;
SELECT fsm_fire('public.loan_application', 2, 'start', 'payslips received', '2026-11-10 12:00+00');
SELECT fsm_fire('public.loan_application', 2, 'approve');

-- the history: who, when, event, from, to, note
SELECT process_name, entity, entity_id, event, from_state, to_state, staff_id, actor, note
  FROM fsm_history WHERE process_name = 'loan_review' ORDER BY history_id;
SELECT at FROM fsm_history WHERE note = 'payslips received';
UPDATE fsm_history SET note = 'x';
DELETE FROM fsm_history;
TRUNCATE fsm_history;

-- complaints are guarded by the complaint process
INSERT INTO region VALUES ('ZZ-FSM', 'FSM city', 'FSM province');
INSERT INTO party (party_id, kind, name, region_code) VALUES (1, 'individual', '周立', 'ZZ-FSM');
INSERT INTO complaint (complaint_id, party_id, channel, category, description) VALUES (1, 1, 'branch', 'fees', 'Charged twice');
SELECT fsm_fire('bankcrm.complaint', 1, 'assign');
SELECT fsm_fire('bankcrm.complaint', 1, 'close');
UPDATE complaint SET state = 'closed' WHERE complaint_id = 1;
UPDATE complaint SET state = 'investigating' WHERE complaint_id = 1;
SELECT complaint_id, state FROM complaint;
SELECT entity, event, from_state, to_state, note FROM fsm_history WHERE entity = 'complaint'::regclass ORDER BY history_id;

-- in replica mode the guard does not fire: events are refused, not written unchecked
SET session_replication_role = replica;
SELECT fsm_fire('bankcrm.complaint', 1, 'close');
RESET session_replication_role;

-- firing needs a guarded table with an integer key
SELECT fsm_fire('bankcrm.region', 1, 'x');
SELECT fsm_fire('public.loan_application', 1, NULL);

-- the guard is a BEFORE ROW trigger with two arguments
CREATE TABLE public.bad_guard (id int PRIMARY KEY, state text);
CREATE TRIGGER g AFTER UPDATE ON public.bad_guard FOR EACH ROW EXECUTE FUNCTION bankcrm.fsm_guard('complaint', 'state');
INSERT INTO public.bad_guard VALUES (1, 'received');
UPDATE public.bad_guard SET state = 'assigned';
DROP TRIGGER g ON public.bad_guard;
CREATE TRIGGER g BEFORE UPDATE ON public.bad_guard FOR EACH ROW EXECUTE FUNCTION bankcrm.fsm_guard('complaint');
UPDATE public.bad_guard SET state = 'assigned';
DROP TRIGGER g ON public.bad_guard;
CREATE TRIGGER g BEFORE UPDATE ON public.bad_guard FOR EACH ROW EXECUTE FUNCTION bankcrm.fsm_guard('complaint', 'nope');
UPDATE public.bad_guard SET state = 'assigned';
SELECT bankcrm.fsm_guard();

-- built-in rows come back over themselves (what a restore does)
INSERT INTO process_state (process_name, state, is_initial, stage_order, daily_target, description, builtin)
VALUES ('outbound_sale', 'review_customer', true, 1, 35, 'Review the customer''s information', true);
SELECT state, daily_target FROM process_state WHERE process_name = 'outbound_sale' AND state = 'review_customer';
INSERT INTO process_state (process_name, state, is_initial, stage_order) VALUES ('loan_review', 'submitted', true, 1);

-- clean up
DROP TABLE public.loan_application, public.bad_guard;
DROP OWNED BY fsm_clerk;
DROP ROLE fsm_clerk;
UPDATE process_state SET daily_target = 30 WHERE process_name = 'outbound_sale' AND state = 'review_customer';
-- leave the shared regression database as it was found (history and
-- contacts are append-only, so their triggers are bypassed for the cleanup)
SET client_min_messages = warning;
SET session_replication_role = replica;
TRUNCATE bankcrm.region, bankcrm.product, bankcrm.fsm_history, bankcrm.segment RESTART IDENTITY CASCADE;
RESET session_replication_role;
RESET client_min_messages;
DELETE FROM bankcrm.process WHERE NOT builtin;
