-- test/pgtap/segment_leak.sql: no role learns anything about a party it
-- cannot see through the segment functions (preview, refresh, overlap,
-- recommendations, sizes, history), neither in errors nor in counts.
-- Party 9700000001 is covered by the RM of the manager's team; party
-- 9700000042 is in another branch, seen by no one but admin and app.
-- Hostile rules single out party 42: an error oracle (a cast that fails
-- only on party 42's data) and a count oracle (a range on its aum).
BEGIN;
SELECT plan(27);

INSERT INTO bankcrm.region (region_code, name, province) VALUES ('ZZ-LK', 'Leak city', 'Leak province');
INSERT INTO bankcrm.branch (branch_id, code, name, region_code) VALUES
	(970001, 'LK-A', 'Leak branch A', 'ZZ-LK'), (970002, 'LK-B', 'Leak branch B', 'ZZ-LK');
INSERT INTO bankcrm.team (team_id, branch_id, name) VALUES (970001, 970001, 'Leak team');
CREATE ROLE lk_admin LOGIN IN ROLE bankcrm_admin;
CREATE ROLE lk_manager LOGIN IN ROLE bankcrm_manager;
CREATE ROLE lk_rm LOGIN IN ROLE bankcrm_rm;
CREATE ROLE lk_analyst LOGIN IN ROLE bankcrm_analyst;
CREATE ROLE lk_app LOGIN IN ROLE bankcrm_app;
INSERT INTO bankcrm.staff (staff_id, name, role_kind, branch_id, team_id, db_role) VALUES
	(970001, 'Leak RM', 'rm', 970001, 970001, 'lk_rm'),
	(970002, 'Leak lead', 'team_lead', 970001, 970001, 'lk_manager'),
	(970003, 'Leak analyst', 'analyst', 970001, NULL, 'lk_analyst');
INSERT INTO bankcrm.party (party_id, kind, name, region_code, home_branch_id, status, industry, onboarded_on) VALUES
	(9700000001, 'corporate', 'Visible Ltd', 'ZZ-LK', 970001, 'active', 'retail', '2020-01-01'),
	(9700000042, 'corporate', 'Hidden Ltd', 'ZZ-LK', 970002, 'active', 'mining', '2020-01-01');
INSERT INTO bankcrm.coverage (party_id, staff_id, role, valid_from) VALUES (9700000001, 970001, 'primary_rm', '2020-01-01');
INSERT INTO bankcrm.product (product_id, code, name, category) VALUES (970001, 'LK-DEP', 'Leak deposit', 'deposit');
INSERT INTO bankcrm.holding (party_id, product_id, balance, opened_on) VALUES
	(9700000001, 970001, 5000, '2020-01-01'), (9700000042, 970001, 15000, '2020-01-01');

-- the oracles, and a plain segment of both parties
INSERT INTO bankcrm.segment (segment_id, name, kind, rule) VALUES
	(970001, 'leak error oracle', 'rule',
	 $$CASE WHEN party_id = 9700000042 THEN (kind || '|' || industry || '|' || aum::text)::integer = 0 ELSE false END$$),
	(970002, 'leak count oracle', 'rule', $$party_id = 9700000042 AND aum BETWEEN 10000 AND 20000$$),
	(970003, 'leak both', 'rule', $$region_code = 'ZZ-LK'$$);

-- run a statement as a role; 'ok: <first column of the first row>' or 'SQLSTATE message detail'
CREATE FUNCTION pg_temp.lk(login name, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
	st text;
	msg text;
	det text;
BEGIN
	BEGIN
		EXECUTE format('SET LOCAL ROLE %I', login);
		EXECUTE q INTO r;
		RESET ROLE;
		RETURN 'ok: ' || COALESCE(r, 'NULL');
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
		RESET ROLE;
		RETURN st || ' ' || msg || ' ' || det;
	END;
END $$;

-- errors: the manager's refresh never evaluates the rule on party 42
SELECT is(pg_temp.lk('lk_manager', 'SELECT format(''%s/%s/%s'', joined, "left", total) FROM bankcrm.segment_refresh(970001)'),
	'ok: 0/0/0', 'manager: refreshing the error oracle raises nothing (party 42 is never evaluated)');
SELECT is(pg_temp.lk('lk_manager', 'SELECT count(*)::text FROM bankcrm.segment_preview($r$CASE WHEN party_id = 9700000042 THEN (kind || industry)::integer = 0 ELSE false END$r$)'),
	'ok: 0', 'manager: previewing it raises nothing either');
SELECT is(pg_temp.lk('lk_rm', 'SELECT count(*)::text FROM bankcrm.segment_preview($r$CASE WHEN party_id = 9700000042 THEN (kind || industry)::integer = 0 ELSE false END$r$)'),
	'ok: 0', 'rm: nor for the RM');
SELECT matches(pg_temp.lk('lk_admin', 'SELECT format(''%s/%s/%s'', joined, "left", total) FROM bankcrm.segment_refresh(970001)'),
	'^22P02 .*corporate\|mining', 'admin: who may see party 42 gets the error with its data');

-- counts: the manager's refresh of the count oracle counts only what it sees
SELECT is(pg_temp.lk('lk_manager', 'SELECT format(''%s/%s/%s'', joined, "left", total) FROM bankcrm.segment_refresh(970002)'),
	'ok: 0/0/0', 'manager: the count oracle says nothing');
SELECT is((SELECT count(*) FROM bankcrm.segment_member WHERE segment_id = 970002), 0::bigint,
	'and its refresh stored nothing about party 42');
SELECT is(pg_temp.lk('lk_manager', 'SELECT format(''%s/%s/%s'', joined, "left", total) FROM bankcrm.segment_refresh(970003)'),
	'ok: 1/0/1', 'manager: a segment of both parties counts the visible one');

-- admin computes the oracles bank-wide; what does the manager learn now?
SELECT is(pg_temp.lk('lk_admin', 'SELECT format(''%s/%s/%s'', joined, "left", total) FROM bankcrm.segment_refresh(970002)'),
	'ok: 1/0/1', 'admin: the count oracle holds party 42');
SELECT is(pg_temp.lk('lk_admin', 'SELECT format(''%s/%s/%s'', joined, "left", total) FROM bankcrm.segment_refresh(970003)'),
	'ok: 1/0/2', 'admin: the plain segment holds both');
SELECT is(pg_temp.lk('lk_manager', 'SELECT format(''%s/%s/%s'', joined, "left", total) FROM bankcrm.segment_refresh(970002)'),
	'ok: 0/0/0', 'manager: refreshing it again counts nothing and removes nothing');
SELECT is((SELECT count(*) FROM bankcrm.segment_member WHERE segment_id = 970002), 1::bigint,
	'the member the manager cannot see is left as it was');

-- sizes, overlap, recommendations, history, per role
SELECT is(pg_temp.lk('lk_manager', 'SELECT members::text FROM bankcrm.segment_sizes WHERE segment_id = 970002'), 'ok: 0',
	'manager: segment_sizes counts no invisible member');
SELECT is(pg_temp.lk('lk_manager', 'SELECT members::text FROM bankcrm.segment_sizes WHERE segment_id = 970003'), 'ok: 1',
	'manager: only the visible one of the plain segment');
SELECT is(pg_temp.lk('lk_rm', 'SELECT members::text FROM bankcrm.segment_sizes WHERE segment_id = 970002'), 'ok: 0',
	'rm: nor for the RM');
SELECT is(pg_temp.lk('lk_analyst', 'SELECT COALESCE(members::text, ''withheld'') FROM bankcrm.segment_sizes WHERE segment_id = 970002'),
	'ok: withheld', 'analyst: a count of one party is withheld');
SELECT is(pg_temp.lk('lk_admin', 'SELECT members::text FROM bankcrm.segment_sizes WHERE segment_id = 970002'), 'ok: 1',
	'admin: the true count');
SELECT is(pg_temp.lk('lk_app', 'SELECT members::text FROM bankcrm.segment_sizes WHERE segment_id = 970003'), 'ok: 2',
	'app: the true count');
SELECT is(pg_temp.lk('lk_manager', 'SELECT format(''%s/%s/%s'', only_a, "both", only_b) FROM bankcrm.segment_overlap(970002, 970003)'),
	'ok: 0/0/1', 'manager: the overlap counts no invisible member');
SELECT is(pg_temp.lk('lk_rm', 'SELECT format(''%s/%s/%s'', only_a, "both", only_b) FROM bankcrm.segment_overlap(970002, 970003)'),
	'ok: 0/0/1', 'rm: nor for the RM');
SELECT is(pg_temp.lk('lk_analyst', 'SELECT format(''%s/%s/%s/%s'', only_a, "both", only_b, jaccard) FROM bankcrm.segment_overlap(970002, 970003)'),
	'ok: 0///', 'analyst: overlaps of fewer than five parties are withheld');
SELECT is(pg_temp.lk('lk_admin', 'SELECT format(''%s/%s/%s'', only_a, "both", only_b) FROM bankcrm.segment_overlap(970002, 970003)'),
	'ok: 0/1/1', 'admin: the true overlap');
SELECT is(pg_temp.lk('lk_manager', 'SELECT count(*)::text FROM bankcrm.segment_recommendations(970002)'), 'ok: 0',
	'manager: no recommendation for an invisible member');
SELECT is(pg_temp.lk('lk_manager', 'SELECT count(*)::text FROM bankcrm.segment_history WHERE segment_id = 970002'), 'ok: 0',
	'manager: no history row of an invisible member');
SELECT is(pg_temp.lk('lk_manager', 'SELECT count(*)::text FROM bankcrm.segment_members WHERE segment_id = 970002'), 'ok: 0',
	'manager: segment_members shows none');
SELECT is(pg_temp.lk('lk_manager', 'SELECT count(*)::text FROM bankcrm.segment_refresh_all() WHERE total > 1'), 'ok: 0',
	'manager: segment_refresh_all counts as segment_refresh does');
SELECT is(pg_temp.lk('lk_manager', 'SELECT count(*)::text FROM bankcrm.segment_history WHERE party_id = 9700000042'), 'ok: 0',
	'manager: nothing of party 42 in the history');
SELECT is((SELECT count(*) FROM bankcrm.segment_member WHERE segment_id = 970003), 2::bigint,
	'and the refreshes by the manager left the bank-wide membership whole');

SELECT * FROM finish();
ROLLBACK;
