-- test/pgtap/rls.sql: row-level security and privileges, proved both ways for every role
BEGIN;
SELECT plan(39);

-- a small world of its own, with ids far from the generated data
INSERT INTO bankcrm.region (region_code, name, province) VALUES ('ZZ-RLS', 'RLS test city', 'RLS test province');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES
	(900001, 'RLS-A', 'RLS branch A', 'ZZ-RLS'), (900002, 'RLS-B', 'RLS branch B', 'ZZ-RLS');
INSERT INTO bankcrm.team (team_id, branch_id, name) VALUES (900001, 900001, 'RLS team A1'), (900002, 900001, 'RLS team A2');

CREATE ROLE rls_alice LOGIN IN ROLE bankcrm_rm;
CREATE ROLE rls_bob LOGIN IN ROLE bankcrm_rm;
CREATE ROLE rls_carol LOGIN IN ROLE bankcrm_manager;
CREATE ROLE rls_dave LOGIN IN ROLE bankcrm_manager;
CREATE ROLE rls_erin LOGIN IN ROLE bankcrm_analyst;
CREATE ROLE rls_frank LOGIN IN ROLE bankcrm_admin;
CREATE ROLE rls_nobody LOGIN;

INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, team_id, db_role) VALUES
	(900001, 'Alice', 'rm', 900001, 900001, 'rls_alice'),
	(900002, 'Bob', 'rm', 900001, 900002, 'rls_bob'),
	(900003, 'Carol', 'team_lead', 900001, 900001, 'rls_carol'),
	(900004, 'Dave', 'branch_manager', 900002, NULL, 'rls_dave'),
	(900005, 'Erin', 'analyst', 900001, NULL, 'rls_erin');

-- parties 1-3 in branch A: 1 and 2 covered by Alice, 3 by Bob; 4 in branch B, covered by nobody
INSERT INTO bankcrm.party (party_id, kind, name, region_code, home_branch_id, status, onboarded_on) VALUES
	(9000000001, 'individual', '王小明', 'ZZ-RLS', 900001, 'active', '2020-01-01'),
	(9000000002, 'corporate', '北京测试有限公司', 'ZZ-RLS', 900001, 'active', '2020-01-01'),
	(9000000003, 'individual', '李华', 'ZZ-RLS', 900001, 'active', '2020-01-01'),
	(9000000004, 'individual', '张伟', 'ZZ-RLS', 900002, 'active', '2020-01-01');
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from) VALUES
	(9000000001, 900001, 'primary_rm', '2020-01-01'),
	(9000000002, 900001, 'primary_rm', '2020-01-01'),
	(9000000003, 900002, 'primary_rm', '2020-01-01');
-- a coverage that ended: Bob covered party 1 once
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from, valid_to) VALUES
	(9000000001, 900002, 'team_member', '2019-01-01', '2019-12-31');
INSERT INTO bankcrm.party_phone (party_id, phone, is_primary) VALUES
	(9000000001, '+8613522956919', true), (9000000003, '+8613911112222', true), (9000000004, '+8618600001111', true);
INSERT INTO bankcrm.party_kyc (party_id, answers) VALUES (9000000001, '{"q1": "salary"}');
INSERT INTO bankcrm.contact (party_id, staff_id, channel, outcome) VALUES
	(9000000001, 900001, 'phone_out', 'answered'), (9000000003, 900002, 'branch', 'completed');

-- relationship manager: exactly the parties it covers now
SET LOCAL ROLE rls_alice;
SELECT results_eq('SELECT party_id FROM bankcrm.party WHERE party_id >= 9000000000 ORDER BY 1',
	ARRAY[9000000001::bigint, 9000000002], 'rm sees the parties it covers');
SELECT is((SELECT count(*) FROM bankcrm.party WHERE party_id = 9000000003), 0::bigint, 'rm does not see a colleague''s party');
SELECT results_eq('SELECT phone::text FROM bankcrm.party_phone WHERE party_id >= 9000000000',
	ARRAY['+8613522956919'], 'rm sees only its parties'' phones');
SELECT is((SELECT count(*) FROM bankcrm.contact WHERE party_id >= 9000000000), 1::bigint, 'rm sees only its parties'' contacts');
SELECT is((SELECT count(*) FROM bankcrm.party_360 WHERE party_id >= 9000000000), 2::bigint, 'party_360 applies the caller''s row-level security');
SELECT throws_ok('SELECT * FROM bankcrm.party_kyc', '42501', NULL, 'rm cannot read KYC answers');
SELECT throws_ok('SELECT * FROM bankcrm.party_masked', '42501', NULL, 'rm has no analyst view');
SELECT lives_ok($$INSERT INTO bankcrm.contact (party_id, staff_id, channel, outcome) VALUES (9000000002, 900001, 'visit', 'completed')$$,
	'rm records a contact with its own party');
SELECT throws_ok($$INSERT INTO bankcrm.contact (party_id, staff_id, channel, outcome) VALUES (9000000003, 900001, 'visit', 'completed')$$,
	'42501', NULL, 'rm cannot record a contact with a party it does not cover');
SELECT throws_ok($$INSERT INTO bankcrm.contact (party_id, staff_id, channel, outcome) VALUES (9000000001, 900002, 'visit', 'completed')$$,
	'42501', NULL, 'rm cannot record a contact in a colleague''s name');
SELECT throws_ok($$UPDATE bankcrm.party SET name = 'x' WHERE party_id = 9000000001$$, '42501', NULL, 'rm cannot change parties');
SELECT is(bankcrm.current_staff_id(), 900001, 'current_staff_id maps the role to its staff member');
RESET ROLE;

-- an ended coverage gives no access
SET LOCAL ROLE rls_bob;
SELECT results_eq('SELECT party_id FROM bankcrm.party WHERE party_id >= 9000000000 ORDER BY 1',
	ARRAY[9000000003::bigint], 'rm loses a party when its coverage ended');
SELECT is((SELECT count(*) FROM bankcrm.visible_party_ids('rls_alice')), 0::bigint,
	'a role cannot list the parties of a role it is not a member of');
RESET ROLE;

-- team lead: its team's parties (Alice's), not the other team's (Bob's)
SET LOCAL ROLE rls_carol;
SELECT results_eq('SELECT party_id FROM bankcrm.party WHERE party_id >= 9000000000 ORDER BY 1',
	ARRAY[9000000001::bigint, 9000000002], 'team lead sees its team''s parties');
SELECT is((SELECT count(*) FROM bankcrm.party WHERE party_id = 9000000003), 0::bigint, 'team lead does not see another team''s party');
SELECT is((SELECT count(*) FROM bankcrm.contact WHERE party_id >= 9000000000), 2::bigint, 'team lead sees its team''s contacts, the one Alice just logged included');
SELECT throws_ok('SELECT * FROM bankcrm.party_kyc', '42501', NULL, 'manager cannot read KYC answers');
SELECT ok((SELECT count(*) FROM bankcrm.party_summary) > 0, 'manager reads aggregates');
RESET ROLE;

-- branch manager: its branch's parties
SET LOCAL ROLE rls_dave;
SELECT results_eq('SELECT party_id FROM bankcrm.party WHERE party_id >= 9000000000 ORDER BY 1',
	ARRAY[9000000004::bigint], 'branch manager sees its branch''s parties');
SELECT results_eq('SELECT phone::text FROM bankcrm.party_phone WHERE party_id >= 9000000000',
	ARRAY['+8618600001111'], 'branch manager sees its branch''s phones');
RESET ROLE;

-- analyst: masked view and aggregates only
SET LOCAL ROLE rls_erin;
SELECT throws_ok('SELECT * FROM bankcrm.party', '42501', NULL, 'analyst cannot read parties');
SELECT throws_ok('SELECT * FROM bankcrm.party_phone', '42501', NULL, 'analyst cannot read phones');
SELECT throws_ok('SELECT * FROM bankcrm.contact', '42501', NULL, 'analyst cannot read contacts');
SELECT throws_ok('SELECT * FROM bankcrm.party_360', '42501', NULL, 'analyst cannot read the 360 view');
SELECT throws_ok('SELECT * FROM bankcrm.party_kyc', '42501', NULL, 'analyst cannot read KYC answers');
SELECT throws_ok('SELECT * FROM bankcrm.visible_party_ids(''rls_alice'')', '42501', NULL, 'analyst cannot call visible_party_ids');
SELECT results_eq($$SELECT name_masked, phone_masked FROM bankcrm.party_masked WHERE party_id IN (9000000001, 9000000002) ORDER BY party_id$$,
	$$VALUES ('王**'::text, '+86 135****6919'::text), ('北***', NULL)$$, 'analyst sees masked names and phones of every party');
SELECT ok((SELECT count(*) FROM bankcrm.party_masked WHERE party_id >= 9000000000) = 4, 'analyst''s masked view covers all parties');
SELECT ok((SELECT sum(parties) FROM bankcrm.party_summary) >= 4, 'analyst reads aggregates');
RESET ROLE;

-- admin: everything, KYC included
SET LOCAL ROLE rls_frank;
SELECT is((SELECT count(*) FROM bankcrm.party WHERE party_id >= 9000000000), 4::bigint, 'admin sees every party');
SELECT is((SELECT answers->>'q1' FROM bankcrm.party_kyc WHERE party_id = 9000000001), 'salary', 'admin reads KYC answers');
SELECT lives_ok($$UPDATE bankcrm.party SET do_not_contact = true WHERE party_id = 9000000004$$, 'admin changes parties');
RESET ROLE;

-- a role outside bankcrm: nothing at all
SET LOCAL ROLE rls_nobody;
SELECT throws_ok('SELECT * FROM bankcrm.party', '42501', NULL, 'an unrelated role cannot read parties');
SELECT throws_ok('SELECT * FROM bankcrm.party_masked', '42501', NULL, 'an unrelated role cannot read the masked view');
RESET ROLE;

-- a bankcrm_rm role mapped to no staff member sees no party
CREATE ROLE rls_unmapped LOGIN IN ROLE bankcrm_rm;
SET LOCAL ROLE rls_unmapped;
SELECT is((SELECT count(*) FROM bankcrm.party), 0::bigint, 'an rm role without a staff mapping sees no party');
RESET ROLE;

-- a deactivated staff member loses access
UPDATE bankcrm.staff SET active = false WHERE staff_id = 900001;
SET LOCAL ROLE rls_alice;
SELECT is((SELECT count(*) FROM bankcrm.party WHERE party_id >= 9000000000), 0::bigint, 'an inactive staff member sees no party');
RESET ROLE;

-- the application role sees every party
CREATE ROLE rls_app LOGIN IN ROLE bankcrm_app;
SET LOCAL ROLE rls_app;
SELECT is((SELECT count(*) FROM bankcrm.party WHERE party_id >= 9000000000), 4::bigint, 'app sees every party');
SELECT throws_ok('SELECT * FROM bankcrm.party_kyc', '42501', NULL, 'app cannot read KYC answers');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
