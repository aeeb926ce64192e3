-- pictures: text sparklines and bars, and the SVG charts, on a bank small
-- enough to draw by hand (doc/pictures.md)
-- a fresh extension: earlier suites leave rows in the same database
SET client_min_messages = warning;
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm;
CREATE EXTENSION bankcrm;
RESET client_min_messages;
SET search_path = bankcrm, public;
\set VERBOSITY terse

-- one SVG element a line, so that a difference shows where it is
CREATE FUNCTION pg_temp.lines(svg text) RETURNS SETOF text LANGUAGE sql
RETURN regexp_split_to_table(svg, '(?=<[a-z])');
-- an error as its SQLSTATE, message and hint
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; hint text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
	RETURN st || ': ' || msg || COALESCE(' (' || NULLIF(hint, '') || ')', '');
END
$$;

-- text sparklines: eight levels between the minimum and the maximum
SELECT spark('{1,2,3,4,5,6,7,8}') AS rising, spark('{8,1,NULL,1,8}') AS dip,
       spark('{5,5,5}') AS flat, spark('{}') AS empty, spark(NULL) AS none,
       spark('{0,50,100,150}', 0, 100) AS clipped, spark('{1,NaN,3}') AS nan;
-- numeric arrays are accepted too
SELECT spark(ARRAY[0.1, 0.2, 0.3]::numeric[]);
-- text bars: in eighths of a character
SELECT bar(10, 10, 5) AS full_bar, bar(1, 3, 10) AS third, bar(1, 16, 1) AS eighth, bar(1, 100, 1) AS too_small,
       bar(20, 10, 4) AS clipped, bar(-1, 10) AS negative, bar(5, 0) AS no_max, bar(NULL, 10) AS unknown;
SELECT pg_temp.err($q$SELECT bar(1, 2, 0)$q$);
SELECT pg_temp.err($q$SELECT bar(1, 2, 1001)$q$);

-- text in SVG: entities for markup, forbidden control characters gone
SELECT svg_escape('<b>A & B''s "best"</b>' || chr(1) || chr(9) || 'ok') AS escaped,
       svg_escape(NULL) IS NULL AS null_stays_null;
SELECT svg_num(2.25) AS a, svg_num(3.0) AS b, svg_num(-0.04) AS c,
       svg_amount(999) AS d, svg_amount(45600) AS e, svg_amount(1234567) AS f, svg_amount(-2.5e9) AS g;

-- a bar chart from arrays; every label is escaped
SELECT pg_temp.lines(svg_bars('Tiers & <shares>', '{key,"gen<eral",scattered}', '{1,4,16}',
                              '{"1 party","4 parties",NULL}', true, '{f,t,f}'));
SELECT pg_temp.lines(svg_bars('Nothing', '{}', '{}'));
SELECT pg_temp.err($q$SELECT svg_bars('x', '{a,b}', '{1}')$q$);
SELECT pg_temp.lines(svg_sparkline('{1,NULL,3,2}'));

-- a small bank: four customers and a prospect, scored as of Monday 2026-11-16
INSERT INTO region VALUES ('ZZ-PI', 'Picture city', 'Picture province');
INSERT INTO branch (branch_id, code, name, region_code) VALUES (1, 'PI-1', 'Picture <branch>', 'ZZ-PI');
INSERT INTO staff (staff_id, name, role_kind, branch_id, db_role) VALUES (1, 'Wang Fang', 'rm', 1, 'regress_pictures_rm');
INSERT INTO product (product_id, code, name, category) VALUES
	(1, 'DEP', 'Demand deposit', 'deposit'), (2, 'LOAN', 'Business loan', 'loan');
INSERT INTO party (party_id, kind, name, region_code, credit_rating, status, onboarded_on, home_branch_id) VALUES
	(1, 'corporate', 'Huadong & Sons <Ltd>', 'ZZ-PI', 'BBB', 'active', '2016-11-16', 1),
	(2, 'individual', '李娜', 'ZZ-PI', 'A', 'active', '2006-11-16', 1),
	(3, 'individual', '王小明', 'ZZ-PI', NULL, 'active', '2020-11-16', 1),
	(4, 'individual', '赵强', 'ZZ-PI', NULL, 'active', '2021-11-16', 1),
	(5, 'individual', '陈静', 'ZZ-PI', NULL, 'prospect', NULL, 1);
INSERT INTO holding (party_id, product_id, balance, rate, fees_ytd, opened_on) VALUES
	(1, 2, 10000000, 0.0435, 3190, '2016-11-16'), (1, 1, 3000000, 0.0035, 0, '2016-11-16'),
	(2, 1, 2000000, 0.015, 0, '2006-11-16'), (3, 1, 80000, 0.005, 0, '2020-11-16'),
	(4, 1, 50000, 0.0005, 0, '2021-11-16');
INSERT INTO coverage (party_id, staff_id, role, valid_from) VALUES (1, 1, 'primary_rm', '2016-11-16');
INSERT INTO activity_weekly (party_id, week, loan_volume, txn_volume, txn_count) VALUES
	(1, '2026-10-19', 0, 1e6, 40), (1, '2026-10-26', 0, 2e6, 35), (1, '2026-11-09', 0, 5e5, 30);
SELECT count(*) AS scored FROM score_all(NULL, '2026-11-16');
SELECT party_id, contribution, value_tier FROM party_score ORDER BY party_id;

-- the value pyramid: parties per tier, centred
SELECT pg_temp.lines(svg_value_pyramid());
SELECT pg_temp.err($q$SELECT svg_value_pyramid('fortune')$q$);
-- the Pareto curve through five points; one customer of four makes 80 %
SELECT pg_temp.lines(svg_pareto(points => 4));
SELECT pg_temp.err($q$SELECT svg_pareto(share => 0)$q$);
SELECT pg_temp.err($q$SELECT svg_pareto(points => 1)$q$);
SELECT pg_temp.err($q$SELECT svg_pareto('nosuch')$q$);
-- one party's slide: its name escaped, the weeks without a row left out of the line
SELECT pg_temp.lines(svg_party_slide(1, 4));
SELECT pg_temp.err($q$SELECT svg_party_slide(999)$q$);
SELECT pg_temp.err($q$SELECT svg_party_slide(1, 1)$q$);
-- no active alerts yet
SELECT pg_temp.lines(svg_churn_dashboard());
SELECT pg_temp.err($q$SELECT svg_churn_dashboard(0)$q$);
-- a campaign's funnel
SELECT pg_temp.err($q$SELECT svg_funnel(1)$q$);
INSERT INTO campaign (campaign_id, name, product_id, state) VALUES (1, 'Loan & more', 2, 'active');
INSERT INTO lead (lead_id, campaign_id, party_id, process_name, state)
SELECT g, 1, g, 'outbound_sale', 'review_customer' FROM generate_series(1, 4) g;
SELECT stage_order, stage, entered, bottleneck FROM funnel WHERE campaign_id = 1 ORDER BY stage_order;
SELECT pg_temp.lines(svg_funnel(1));

-- every chart is a well-formed XML document
SELECT c, xml_is_well_formed_document(s) AS well_formed
  FROM (VALUES ('pyramid', svg_value_pyramid()), ('wealth', svg_value_pyramid('wealth')), ('pareto', svg_pareto()),
               ('funnel', svg_funnel(1)), ('churn', svg_churn_dashboard()), ('slide', svg_party_slide(2)),
               ('sparkline', svg_sparkline('{1,2}')), ('bars', svg_bars('"&''<>', '{"&"}', '{1}'))) v (c, s);

-- row-level security decides what is drawn: an RM sees the parties it covers
CREATE ROLE regress_pictures_rm IN ROLE bankcrm_rm;
SET ROLE regress_pictures_rm;
SELECT s LIKE '%Huadong%' AS own_party FROM svg_party_slide(1) s;
SELECT pg_temp.err($q$SELECT svg_party_slide(2)$q$);
SELECT s ~ '100% of customers make 80% of the contribution' AS only_own_customer FROM svg_pareto() s;
RESET ROLE;
-- the analyst reads the pyramid (aggregates) but no party
SET ROLE bankcrm_analyst;
SELECT s LIKE '%2 parties · 97.47% of AUM%' AS pyramid FROM svg_value_pyramid() s;
SELECT pg_temp.err($q$SELECT svg_party_slide(1)$q$);
RESET ROLE;
DROP ROLE regress_pictures_rm;
-- leave a fresh extension to the suites that follow
SET client_min_messages = warning;
DROP EXTENSION bankcrm CASCADE;
DROP SCHEMA bankcrm;
CREATE EXTENSION bankcrm;
RESET client_min_messages;
