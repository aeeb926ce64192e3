-- rls_predicates: the row-level security predicates of src/rls.c, their
-- caching per role, transaction and command, and the index condition
-- party_visible() lends the planner
SET search_path = bankcrm, public;
INSERT INTO region (region_code, name, province) VALUES ('ZZ-PRD', 'Predicates', 'Predicates');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (910001, 'PRD-A', 'Predicates A', 'ZZ-PRD');
INSERT INTO team (team_id, branch_id, name) VALUES (910001, 910001, 'Predicates team');
INSERT INTO product (product_id, code, name, category) VALUES (910001, 'PRD_DEPOSIT', 'Predicates deposit', 'deposit');
CREATE ROLE prd_rm LOGIN IN ROLE bankcrm_rm;
CREATE ROLE prd_rm2 LOGIN IN ROLE bankcrm_rm;
CREATE ROLE prd_manager LOGIN IN ROLE bankcrm_manager;
CREATE ROLE prd_stranger LOGIN IN ROLE bankcrm_rm;
INSERT INTO staff (staff_id, name, role_kind, branch_id, team_id, db_role) VALUES
	(910001, 'RM one', 'rm', 910001, 910001, 'prd_rm'),
	(910002, 'RM two', 'rm', 910001, 910001, 'prd_rm2'),
	(910003, 'Manager', 'branch_manager', 910001, NULL, 'prd_manager');
-- 2,000 parties of the branch: RM one covers 1..10, RM two 11..20
INSERT INTO party (party_id, kind, name, region_code, home_branch_id, status)
SELECT 9100000000 + i, 'individual', 'P' || i, 'ZZ-PRD', 910001, 'active' FROM generate_series(1, 2000) i;
INSERT INTO coverage (party_id, staff_id, role)
SELECT 9100000000 + i, CASE WHEN i <= 10 THEN 910001 ELSE 910002 END, 'primary_rm' FROM generate_series(1, 20) i;
INSERT INTO holding (party_id, product_id, balance, opened_on)
SELECT 9100000000 + i, 910001, 100, '2020-01-01'
  FROM generate_series(1, 2000) i, generate_series(1, 2) k;
ANALYZE party, coverage, holding;
GRANT SELECT ON holding TO prd_rm;

-- the plan's text, to look for the index condition
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
	p text := '';
BEGIN
	FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		p := p || r || E'\n';
	END LOOP;
	RETURN p;
END
$$;

-- an RM sees its ten parties, through the index (few parties)
SET ROLE prd_rm;
SELECT current_staff_id(), count(*), min(party_id), max(party_id) FROM party WHERE party_id > 9100000000;
SELECT count(*) FROM holding WHERE party_id > 9100000000;
SELECT pg_temp.plan_of('SELECT count(*) FROM bankcrm.holding') ~ 'visible_party_array' AS index_condition;
SELECT array_length(visible_party_array(), 1) AS visible;
RESET ROLE;

-- a branch manager sees the 2,000 of its branch: more than 5 % of the
-- parties, so a plain scan filtered row by row
SET ROLE prd_manager;
SELECT count(*) FROM party WHERE party_id > 9100000000;
SELECT pg_temp.plan_of('SELECT count(*) FROM bankcrm.holding') ~ 'visible_party_array' AS index_condition;
RESET ROLE;

-- a role that is no staff member sees nothing, and is nobody
SET ROLE prd_stranger;
SELECT current_staff_id(), count(*) FROM party WHERE party_id > 9100000000;
RESET ROLE;

-- the sets follow SET ROLE and the transaction's own changes
BEGIN;
SET LOCAL ROLE prd_rm;
SELECT count(*) AS rm_one FROM party WHERE party_id > 9100000000;
SET LOCAL ROLE prd_rm2;
SELECT count(*) AS rm_two FROM party WHERE party_id > 9100000000;
RESET ROLE;
INSERT INTO coverage (party_id, staff_id, role) VALUES (9100000100, 910001, 'team_member');
SET LOCAL ROLE prd_rm;
SELECT count(*) AS rm_one_after_a_new_coverage FROM party WHERE party_id > 9100000000;
SELECT party_visible(9100000100) AS new_party, party_visible(9100000011) AS colleagues, party_visible(-1) AS none;
ROLLBACK;

-- a coverage rolled back with its savepoint is forgotten
BEGIN;
SAVEPOINT before_coverage;
INSERT INTO coverage (party_id, staff_id, role) VALUES (9100000100, 910001, 'team_member');
SET LOCAL ROLE prd_rm;
SELECT count(*) AS with_the_coverage FROM party WHERE party_id > 9100000000;
RESET ROLE;
ROLLBACK TO SAVEPOINT before_coverage;
SET LOCAL ROLE prd_rm;
SELECT count(*) AS after_the_rollback FROM party WHERE party_id > 9100000000;
ROLLBACK;

-- the predicates are STRICT: NULL in, NULL out
SELECT party_visible(NULL), staff_visible(NULL), team_lead_campaign(NULL), history_visible(NULL, 1);
-- a history row about a table that is neither a lead nor a complaint is not shown
SET ROLE prd_rm;
SELECT history_visible('bankcrm.party'::regclass, 1) AS party_row, history_visible(0::regclass, 1) AS no_table;
RESET ROLE;

-- visible_party_ids_in is internal: only the owner runs it
SET ROLE prd_rm;
SELECT * FROM visible_party_ids_in('prd_rm', 'bankcrm.party', 'bankcrm.coverage', 'bankcrm.lead',
                                   'bankcrm.staff', 'bankcrm.process_state');
RESET ROLE;
-- and an unknown role sees nothing
SELECT count(*) FROM visible_party_ids('no_such_role');

DELETE FROM holding WHERE party_id > 9100000000;
DELETE FROM coverage WHERE party_id > 9100000000;
DELETE FROM party WHERE party_id > 9100000000;
DELETE FROM staff WHERE staff_id >= 910001;
DELETE FROM team WHERE team_id = 910001;
DELETE FROM branch WHERE branch_id = 910001;
DELETE FROM product WHERE product_id = 910001;
DELETE FROM region WHERE region_code = 'ZZ-PRD';
REVOKE SELECT ON holding FROM prd_rm;
DROP ROLE prd_rm, prd_rm2, prd_manager, prd_stranger;
