-- test/pgtap/data_shape.sql: the shape of the synthetic bank (test/data)
--
-- Runs in a database where `test/data/load --size ci` (default seed) has been
-- loaded.  Checks the mix of parties, the 80/20 contribution curve, phones,
-- the churn and hidden-gold ground truth, seasonality, and that the data is
-- exactly the data the generator made last time (checksums).
BEGIN;
SELECT plan(31);

SET LOCAL search_path = bankcrm, public;
SET LOCAL extra_float_digits = 1;

-- what was loaded
SELECT is((SELECT value FROM bankcrm_truth.meta WHERE key = 'size'), 'ci', 'the ci size is loaded');
SELECT is((SELECT value FROM bankcrm_truth.meta WHERE key = 'seed'), '42', 'with the default seed');
SELECT is((SELECT value FROM bankcrm_truth.meta WHERE key = 'as_of'), '2026-11-16', 'as of Monday 2026-11-16');

-- parties
SELECT ok((SELECT count(*) BETWEEN 9500 AND 10500 FROM party), 'about 10 000 parties');
SELECT is((SELECT count(DISTINCT kind) FROM party), 4::bigint, 'all four kinds of party are present');
SELECT ok((SELECT avg((kind = 'individual')::int) BETWEEN 0.85 AND 0.91 FROM party), 'about 88 % individuals');
SELECT ok((SELECT avg((kind = 'corporate')::int) BETWEEN 0.08 AND 0.12 FROM party), 'about 10 % corporates');
SELECT ok((SELECT avg((kind = 'financial_institution')::int) BETWEEN 0.002 AND 0.02 FROM party)
      AND (SELECT avg((kind = 'government')::int) BETWEEN 0.005 AND 0.03 FROM party),
          'financial institutions and government bodies have small shares');
SELECT ok((SELECT avg((status = 'active')::int) BETWEEN 0.7 AND 0.9 FROM party)
      AND (SELECT count(DISTINCT status) FROM party) = 4,
          'most parties are active, and there are prospects, dormant and closed parties');
SELECT is((SELECT count(*) FROM party WHERE kind = 'individual' AND occupation = 'student'
             AND birth_date < date '2026-11-16' - interval '29 years'), 0::bigint,
          'students are young');
SELECT is((SELECT count(*) FROM party WHERE kind = 'individual' AND occupation = 'retired'
             AND birth_date > date '2026-11-16' - interval '55 years'), 0::bigint,
          'retired people are old');

-- value: the top 20 % of customers hold about 80 % of the contribution
SELECT ok((WITH c AS (
             SELECT monthly_contribution AS m,
                    row_number() OVER (ORDER BY monthly_contribution DESC) AS rn,
                    count(*) OVER () AS n
               FROM party_balance)
           SELECT sum(m) FILTER (WHERE rn <= n / 5) / sum(m) BETWEEN 0.70 AND 0.90 FROM c),
          'the top 20 % of parties by contribution hold 70 % to 90 % of it');

-- phones (typed, so every stored number is valid)
SELECT ok((SELECT count(*) > 10000 FROM party_phone), 'phones are loaded');
SELECT is((SELECT count(*) FROM party p
            WHERE p.kind = 'individual' AND p.status = 'active'
              AND NOT EXISTS (SELECT FROM party_phone pp WHERE pp.party_id = p.party_id AND pp.is_primary)),
          0::bigint, 'every active individual has a primary phone');

-- coverage
SELECT is((SELECT count(*) FROM party p
            WHERE p.kind = 'corporate' AND p.status = 'active'
              AND NOT EXISTS (SELECT FROM coverage c WHERE c.party_id = p.party_id
                                 AND c.role = 'primary_rm' AND c.valid_to IS NULL)),
          0::bigint, 'every active corporate has a current primary RM');

-- churn ground truth
SELECT ok((SELECT count(*)::float8 / (SELECT count(*) FROM party WHERE kind = 'corporate') BETWEEN 0.03 AND 0.07
             FROM bankcrm_truth.churner),
          'about 5 % of corporates churn');
SELECT is((SELECT count(*) FROM bankcrm_truth.churner WHERE (exit_week - decline_start) / 7 NOT BETWEEN 12 AND 26),
          0::bigint, 'every decline lasts 12 to 26 weeks');
SELECT is((SELECT count(*) FROM bankcrm_truth.churner c JOIN activity_weekly a USING (party_id)
            WHERE a.week > c.exit_week), 0::bigint, 'no activity after the exit week');
SELECT is((SELECT count(*) FROM bankcrm_truth.churner c JOIN party p USING (party_id)
            WHERE NOT CASE WHEN c.exit_week <= date '2026-11-09'
                           THEN p.status = 'closed' AND p.closed_on > c.exit_week AND p.closed_on < date '2026-11-16'
                           ELSE p.status = 'active' END),
          0::bigint, 'churners that left are closed a few days after exit; those still declining are active');
SELECT ok((SELECT count(*) FILTER (WHERE exit_week > date '2026-11-09') > 0
              AND count(*) FILTER (WHERE exit_week <= date '2026-11-09') > 0
             FROM bankcrm_truth.churner),
          'some churners have left, some are still declining');
SELECT ok((WITH per AS (
             SELECT c.party_id,
                    avg(a.txn_volume) FILTER (WHERE a.week < c.decline_start AND a.week >= c.decline_start - 84) AS before,
                    avg(a.txn_volume) FILTER (WHERE a.week > c.decline_start + (c.exit_week - c.decline_start) / 2) AS late
               FROM bankcrm_truth.churner c JOIN activity_weekly a USING (party_id)
              GROUP BY c.party_id)
           SELECT avg((late < 0.8 * before)::int) >= 0.9 FROM per WHERE late IS NOT NULL),
          'churners'' volumes fall during the decline');
SELECT ok((WITH stable AS (
             SELECT p.party_id FROM party p
              WHERE p.kind = 'corporate' AND p.status = 'active' AND p.onboarded_on < date '2023-11-20'
                AND NOT EXISTS (SELECT FROM bankcrm_truth.churner c WHERE c.party_id = p.party_id)),
           per AS (
             SELECT sum(txn_volume) FILTER (WHERE week >= date '2025-11-10') AS last_year,
                    sum(txn_volume) FILTER (WHERE week >= date '2024-11-11' AND week < date '2025-11-10') AS year_before
               FROM activity_weekly JOIN stable USING (party_id)
              GROUP BY party_id)
           SELECT sum(last_year) >= sum(year_before) AND count(*) FILTER (WHERE last_year < 0.75 * year_before) = 0
             FROM per),
          'stable corporates do not trend downward');

-- hidden gold ground truth
SELECT ok((SELECT count(*)::float8 / (SELECT count(*) FROM party WHERE kind = 'individual') BETWEEN 0.006 AND 0.016
             FROM bankcrm_truth.hidden_gold),
          'about 1 % of individuals are hidden gold');
SELECT is((SELECT count(*) FROM bankcrm_truth.hidden_gold g
             JOIN party p USING (party_id)
             LEFT JOIN party_balance b USING (party_id)
            WHERE NOT (p.kind = 'individual' AND p.occupation = 'individual_merchant' AND p.status = 'active'
                       AND p.annual_turnover >= 2000000 AND COALESCE(b.aum, 0) < 200000)),
          0::bigint, 'hidden gold: active individual merchants, turnover of 2 M or more, AUM below 200 k');
SELECT ok((SELECT count(*) > 0 FROM party p JOIN party_balance b USING (party_id)
            WHERE p.occupation = 'individual_merchant' AND p.annual_turnover >= 2000000 AND b.aum >= 200000)
      AND (SELECT count(*) > 0 FROM party p LEFT JOIN party_balance b USING (party_id)
            WHERE p.occupation = 'individual_merchant' AND p.annual_turnover < 2000000
              AND COALESCE(b.aum, 0) < 200000),
          'decoys: wealthy merchants with large deposits, and ordinary merchants');

-- seasonality of the aggregate weekly transaction volume
SELECT ok((WITH wk AS (SELECT week, sum(txn_volume) AS v FROM activity_weekly GROUP BY week)
           SELECT bool_and((SELECT v FROM wk WHERE wk.week = c.w)
                           < 0.85 * (SELECT avg(v) FROM wk WHERE wk.week >= c.w - 28 AND wk.week < c.w))
             FROM unnest(ARRAY[date '2024-02-05', date '2025-01-27', date '2026-02-16']) AS c(w)),
          'Chinese New Year: each CNY week is below 85 % of the mean of the 4 weeks before');
SELECT ok((WITH wk AS (SELECT week, sum(txn_volume) AS v FROM activity_weekly GROUP BY week),
           qe AS (
             SELECT q, q - (extract(isodow FROM q)::int - 1) AS w2
               FROM (SELECT (date_trunc('quarter', d) + interval '3 months' - interval '1 day')::date AS q
                       FROM generate_series(date '2024-01-01', date '2026-09-30', interval '3 months') AS d) s
              WHERE extract(month FROM q) IN (3, 6, 12)),
           r AS (
             SELECT (SELECT avg(v) FROM wk WHERE week IN (w2 - 7, w2))
                    / (SELECT avg(v) FROM wk WHERE week >= w2 - 35 AND week < w2 - 7) AS ratio
               FROM qe)
           SELECT avg(ratio) > 1.08 AND min(ratio) > 1.0 FROM r),
          'quarter ends: the last two weeks of March, June and December are above the weeks before');
SELECT is((SELECT count(DISTINCT week) FROM activity_weekly WHERE week BETWEEN date '2023-11-20' AND date '2026-11-09'),
          156::bigint, 'activity covers the 156 weeks ending with the week of 2026-11-09');

-- determinism: the data is exactly what the generator made when this test was written
SELECT is((SELECT md5(string_agg(concat_ws('|', party_id, kind, name, status, credit_rating, annual_turnover,
                                           birth_date, home_branch_id, onboarded_on, closed_on), ','
                                 ORDER BY party_id))
             FROM party),
          'fb9eaa7b61f7b2f4e5f059aace871b28', 'checksum of party');
SELECT is((SELECT md5(string_agg(s, ',' ORDER BY party_id, s COLLATE "C"))
             FROM (SELECT party_id, concat_ws('|', party_id, product_id, balance, rate, fees_ytd, monthly_contribution,
                                              opened_on, closed_on) AS s
                     FROM holding) h),
          '29b607f2edf5591d586f1ff16125c17a', 'checksum of holding');
SELECT is((SELECT md5(string_agg(concat_ws('|', party_id, week, loan_volume, txn_volume, txn_count), ','
                                 ORDER BY party_id, week))
             FROM activity_weekly),
          'dde2642c592f80be18269308548e601f', 'checksum of activity_weekly');

SELECT * FROM finish();
ROLLBACK;
