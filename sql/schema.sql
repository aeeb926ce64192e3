-- schema: the customer 360 tables keep their data honest
SET search_path = bankcrm, public;
\set VERBOSITY terse
INSERT INTO region VALUES ('ZZ-SC', 'Schema city', 'Schema province');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (1, 'SC-1', 'Schema branch', 'ZZ-SC');
INSERT INTO staff (staff_id, name, role_kind, branch_id) VALUES (1, 'Wang Fang', 'rm', 1);
INSERT INTO party (party_id, kind, name, region_code, credit_rating, status, onboarded_on)
VALUES (1, 'corporate', '华东机械有限公司', 'ZZ-SC', 'a-', 'active', '2019-03-01'),
       (2, 'individual', '陈静', 'ZZ-SC', NULL, 'prospect', NULL);
SELECT party_id, kind, credit_rating, status FROM party ORDER BY party_id;

-- every enumerated column is checked
INSERT INTO party (kind, name, region_code) VALUES ('alien', 'x', 'ZZ-SC');
INSERT INTO party (kind, name, region_code, status) VALUES ('individual', 'x', 'ZZ-SC', 'vip');
INSERT INTO party (kind, name, region_code, life_stage) VALUES ('individual', 'x', 'ZZ-SC', 'teenager');
INSERT INTO party (kind, name, region_code, gender) VALUES ('corporate', 'x', 'ZZ-SC', 'f');
INSERT INTO party (kind, name, region_code) VALUES ('individual', '   ', 'ZZ-SC');
INSERT INTO party (kind, name, region_code, status) VALUES ('individual', 'x', 'ZZ-SC', 'closed');
INSERT INTO party (kind, name, region_code) VALUES ('individual', 'x', 'XX-NOWHERE');
INSERT INTO party (kind, name, region_code, credit_rating) VALUES ('corporate', 'x', 'ZZ-SC', 'AAAA');
INSERT INTO staff (name, role_kind, branch_id) VALUES ('x', 'janitor', 1);
INSERT INTO coverage (party_id, staff_id, role) VALUES (1, 1, 'friend');
INSERT INTO party_relation VALUES (1, 1, 'household');
INSERT INTO party_phone (party_id, phone) VALUES (2, '13522956919');

-- one current primary RM per party
INSERT INTO coverage (party_id, staff_id, role, valid_from) VALUES (1, 1, 'primary_rm', '2020-01-01');
INSERT INTO coverage (party_id, staff_id, role, valid_from) VALUES (1, 1, 'primary_rm', '2021-01-01');

-- weekly activity: Mondays only; no negative, infinite or NaN volumes
INSERT INTO activity_weekly (party_id, week, loan_volume, txn_volume, txn_count) VALUES (1, '2026-11-09', 1e6, 2.5e6, 120);
INSERT INTO activity_weekly (party_id, week) VALUES (1, '2026-11-10');
INSERT INTO activity_weekly (party_id, week, loan_volume) VALUES (1, '2026-11-02', -1);
INSERT INTO activity_weekly (party_id, week, txn_volume) VALUES (1, '2026-11-02', 'Infinity');
INSERT INTO activity_weekly (party_id, week, txn_volume) VALUES (1, '2026-11-02', 'NaN');
INSERT INTO activity_weekly (party_id, week, txn_count) VALUES (1, '2026-11-02', -5);
SELECT party_id, week, loan_volume, txn_volume, txn_count FROM activity_weekly;

-- contact history is append-only
INSERT INTO contact (contact_id, party_id, staff_id, channel, purpose, outcome, occurred_at)
VALUES (1, 1, 1, 'phone_out', 'sales', 'answered', '2026-11-10 10:00+08');
INSERT INTO contact (party_id, channel, outcome) VALUES (1, 'pigeon', 'answered');
INSERT INTO contact (party_id, channel, outcome, fabe_step) VALUES (1, 'visit', 'interested', 'magic');
\set VERBOSITY default
UPDATE contact SET outcome = 'sale' WHERE contact_id = 1;
DELETE FROM contact WHERE contact_id = 1;
TRUNCATE contact;
\set VERBOSITY terse
SELECT contact_id, channel, outcome FROM contact;

-- appointments end after they start; surveys score 1 to 5
INSERT INTO appointment (party_id, staff_id, starts_at, ends_at) VALUES (1, 1, '2026-11-20 10:00+08', '2026-11-20 09:00+08');
INSERT INTO survey_response (party_id, reliability, assurance, tangibles, empathy, responsiveness) VALUES (1, 5, 4, 6, 3, 2);
INSERT INTO survey_response (party_id, reliability, assurance, tangibles, empathy, responsiveness) VALUES (1, 5, 4, 4, 3, 2);

-- the views see it all
INSERT INTO product (product_id, code, name, category) VALUES (1, 'DEP-DEMAND', 'Demand deposit', 'deposit'),
	(2, 'LN-WC', 'Working-capital loan', 'loan');
INSERT INTO holding (party_id, product_id, balance, rate, monthly_contribution, opened_on) VALUES
	(1, 1, 2500000, 0.0025, 4700, '2020-01-01'), (1, 2, 8000000, 0.0435, 9800, '2021-06-01'),
	(2, 1, 1000, 0.0025, 1, '2026-01-01');
SELECT party_id, aum, loans, monthly_contribution, products_held FROM party_balance ORDER BY party_id;
SELECT party_id, kind, name, primary_rm, aum, loans, products, last_contact_channel, open_complaints
  FROM party_360 ORDER BY party_id;
SELECT party_id, name_masked, phone_masked FROM party_masked ORDER BY party_id;
SELECT * FROM party_summary;
SELECT * FROM aum_pyramid;
SELECT mask_name('王'), mask_name('欧阳娜娜'), mask_name('Li'), mask_name('');

-- every table's rows go to pg_dump, but relationship_group, which the
-- triggers of party_relation rebuild when a dump is restored
SELECT string_agg(c.relname, ', ') AS tables_not_dumped
  FROM pg_class c
 WHERE c.relnamespace = 'bankcrm'::regnamespace AND c.relkind = 'r'
   AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'bankcrm')::oid[]);
