-- segment_rules: the rule checker against a corpus of hostile rules, each
-- refused with its SQLSTATE, message and position, and rules that pass
SET search_path = bankcrm, public;

-- rule -> 'ok' or 'SQLSTATE message (detail)'
CREATE FUNCTION pg_temp.try_rule(rule text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
	det text;
BEGIN
	PERFORM bankcrm.segment_check_rule(rule);
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN st || ' ' || msg || CASE WHEN det <> '' THEN ' (' || det || ')' ELSE '' END;
END
$$;

-- hostile rules: statements, comments and smuggled text
SELECT n, rule, pg_temp.try_rule(rule) AS verdict FROM (VALUES
	(1, $r$true; DROP TABLE bankcrm.party$r$),
	(2, $r$1) FROM pg_class --$r$),
	(3, $r$aum > 0) OR (true$r$),
	(4, $r$aum > 0 -- and kind = 'individual'$r$),
	(5, $r$aum > 0 /* hidden */ AND true$r$),
	(6, $r$aum > 0 FROM bankcrm.party$r$),
	(7, $r$aum > 0 WHERE true$r$),
	(8, $r$aum > 0 UNION SELECT true$r$),
	(9, $r$aum > 0 ORDER BY 1$r$),
	(10, $r$aum > 0 LIMIT 1$r$),
	(11, $r$DISTINCT aum > 0$r$),
	(12, $r$aum > 0 AS is_rich$r$),
	(13, $r$aum > 0, true$r$),
	(14, $r$aum > 0 GROUP BY kind$r$),
	(15, $r$region_code = $$CN-SH$$$r$),
	(16, $r$region_code = E'CN\x2dSH'$r$),
	(17, $r$region_code = U&'CN\002dSH'$r$),
	(18, $r$region_code = 'CN'
'-SH'$r$),
	(19, $r$$r$),
	(20, $r$   $r$)
) AS corpus (n, rule) ORDER BY n;

-- hostile rules: other objects, functions and expression kinds
SELECT n, rule, pg_temp.try_rule(rule) AS verdict FROM (VALUES
	(21, $r$pg_sleep(10) IS NULL$r$),
	(22, $r$length(pg_read_file('/etc/passwd')) > 0$r$),
	(23, $r$set_config('role', 'postgres', false) IS NOT NULL$r$),
	(24, $r$current_setting('is_superuser') = 'on'$r$),
	(25, $r$dblink_exec('dbname=x', 'DROP TABLE y') = 'OK'$r$),
	(26, $r$lo_import('/etc/passwd') > 0$r$),
	(27, $r$nextval('bankcrm.segment_segment_id_seq') > 0$r$),
	(28, $r$txid_current() > 0$r$),
	(29, $r$random() < 0.5$r$),
	(30, $r$now() > '2026-01-01'$r$),
	(31, $r$onboarded_on > CURRENT_DATE$r$),
	(32, $r$region_code = CURRENT_USER$r$),
	(33, $r$aum > (SELECT max(aum) FROM bankcrm.party_features)$r$),
	(34, $r$EXISTS (SELECT 1 FROM bankcrm.staff)$r$),
	(35, $r$region_code IN (SELECT region_code FROM bankcrm.region)$r$),
	(36, $r$count(*) > 1$r$),
	(37, $r$sum(aum) OVER () > 1$r$),
	(38, $r$generate_series(1, 10) > 5$r$),
	(39, $r$aum > $1$r$),
	(40, $r$ctid = '(0,1)'$r$),
	(41, $r$xmin::text = '1'$r$),
	(42, $r$party_features IS NOT NULL$r$),
	(43, $r$party_features.* IS NOT NULL$r$),
	(44, $r$p.aum > 0$r$),
	(45, $r$name LIKE 'Wang%'$r$),
	(46, $r$birth_date < '1980-01-01'$r$),
	(47, $r$region_code = 'CN-SH' COLLATE "C"$r$),
	(48, $r$region_code::regclass IS NOT NULL$r$),
	(49, $r$'pg_sleep'::regproc IS NOT NULL$r$),
	(50, $r$public.lower(region_code) = 'x'$r$),
	(51, $r$region_code OPERATOR(public.=) 'x'$r$),
	(52, $r$region_code ~ '^(a+)+$'$r$),
	(53, $r$region_code SIMILAR TO 'CN%'$r$),
	(54, $r$products[1] = 'DEP_DEMAND'$r$),
	(55, $r$ROW(aum, loans) = ROW(1, 2)$r$),
	(56, $r$region_code || 1 = 'x1'$r$),
	(57, $r$date_trunc('year', onboarded_on) = '2020-01-01'$r$),
	(58, $r$to_char(onboarded_on, 'YYYY') = '2020'$r$),
	(59, $r$pg_catalog.format('%s', kind) = 'x'$r$),
	(60, $r$upper(VARIADIC ARRAY['x']) = 'X'$r$),
	(61, $r$array_agg(aum ORDER BY aum) IS NULL$r$),
	(62, $r$lower(x => region_code) = 'x'$r$)
) AS corpus (n, rule) ORDER BY n;

-- hostile rules: wrong types, unknown columns, too big
SELECT n, rule, pg_temp.try_rule(rule) AS verdict FROM (VALUES
	(63, $r$aum + 1$r$),
	(64, $r$region_code$r$),
	(65, $r$'t'$r$),
	(66, $r$no_such_column > 1$r$),
	(67, $r$"AUM" > 1$r$),
	(68, $r$age = 'forty'$r$),
	(69, $r$region_code = 1$r$),
	(70, $r$credit_rating >= 'AAAA'$r$),
	(71, $r$aum + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 > 0$r$)
) AS corpus (n, rule) ORDER BY n;
-- hostile rules: the clock and the session, by every way a rule can reach them
SELECT n, rule, pg_temp.try_rule(rule) AS verdict FROM (VALUES
	(72, $r$onboarded_on < 'today'::date$r$),
	(73, $r$onboarded_on < 'now'::date$r$),
	(74, $r$onboarded_on < 'TODAY'$r$),
	(75, $r$onboarded_on >= date 'yesterday'$r$),
	(76, $r$onboarded_on IN ('tomorrow', '2026-01-01')$r$),
	(77, $r$onboarded_on = ANY ('{today}'::date[])$r$),
	(78, $r$onboarded_on < 'today'::text::date$r$),
	(79, $r$onboarded_on < ('now'::timestamptz)::date$r$),
	(80, $r$onboarded_on < timestamp 'now'$r$),
	(81, $r$onboarded_on < CURRENT_TIMESTAMP$r$),
	(82, $r$onboarded_on < LOCALTIMESTAMP$r$),
	(83, $r$region_code = SESSION_USER$r$),
	(84, $r$region_code = current_schema$r$),
	(85, $r$region_code = CURRENT_ROLE$r$),
	(86, $r$region_code = current_catalog$r$),
	(87, $r$onboarded_on < make_date(2026, 1, 1) AND region_code <> 'now'$r$),
	(88, $r$onboarded_on < '2026-01-01'::date AND industry = 'today'$r$)
) AS corpus (n, rule) ORDER BY n;
SELECT pg_temp.try_rule(pg_catalog.repeat('age = 1 OR ', 400) || 'true') AS too_many_elements;
SELECT pg_temp.try_rule(pg_catalog.repeat('age = 1 OR ', 800) || 'true') AS too_long;

-- rules that pass
SELECT n, rule, pg_temp.try_rule(rule) AS verdict FROM (VALUES
	(101, $r$kind = 'individual' AND region_code = 'CN-SH' AND wealth_tier = 'affluent' AND NOT products && ARRAY['WM_MONEY_MARKET', 'WM_STRUCTURED', 'WM_PB_MANDATE']$r$),
	(102, $r$status = 'prospect' AND occupation IN ('business_owner', 'individual_merchant') AND turnover >= 5000000$r$),
	(103, $r$credit_rating >= 'BBB-' AND notch(credit_rating) <= 10 AND rating_band(credit_rating) <> 'AAA' AND is_investment_grade(credit_rating)$r$),
	(104, $r$age BETWEEN 30 AND 45 AND life_stage IS NOT NULL AND gender IS DISTINCT FROM 'm'$r$),
	(105, $r$'DEP_LARGE_CD' = ANY (products) OR products @> '{CARD_PLATINUM}'::text[] OR cardinality(products) >= 5$r$),
	(106, $r$lower(industry) LIKE 'whole%' OR industry ILIKE 'RETAIL' OR region_code NOT LIKE 'CN-GD%'$r$),
	(107, $r$CASE WHEN kind = 'individual' THEN aum >= 500000 ELSE turnover >= 10000000 END$r$),
	(108, $r$coalesce(days_since_last_contact, 9999) > 90 AND NOT do_not_contact AND consent_marketing$r$),
	(109, $r$greatest(aum, loans) > 1e6 AND nullif(value_tier, 'scattered') IS NOT NULL AND round(aum / 1000) > 5$r$),
	(110, $r$extract(year FROM onboarded_on) = 2020 AND date_part('month', onboarded_on) IN (1, 2, 3)$r$),
	(111, $r$value_score::numeric > 80 AND rfm_r >= 4 AND rfm_f >= 4 AND rfm_m >= 4 AND clv > contribution$r$),
	(112, $r$"region_code" = 'it''s -- not a comment /* nor this */'$r$),
	(113, $r$pg_catalog.upper(substr(region_code, 1, 2)) = 'CN' AND bankcrm.notch(credit_rating) < 5$r$),
	(114, $r$(tenure_years >= 10) IS TRUE AND home_branch_id IS NOT NULL AND products_held > 2$r$),
	(115, $r$onboarded_on >= '2024-01-01'::date AND left(region_code, 2) = 'CN' AND abs(loans - aum) < 1000$r$)
) AS corpus (n, rule) ORDER BY n;
SELECT pg_temp.try_rule(pg_catalog.repeat('(', 3000) || 'aum > 0' || pg_catalog.repeat(')', 3000)) AS deep_parentheses;

-- what a refusal looks like: the cursor points into the rule
SELECT segment_check_rule('kind = ''individual'' AND pg_sleep(1) IS NOT NULL');
SELECT segment_check_rule('aum > 0 -- and kind = ''individual''');
SELECT segment_check_rule('region_code = 1');
SELECT segment_check_rule('aum * 2');
SELECT segment_check_rule(NULL) IS NULL AS null_rule_is_null;
