-- test/pgtap/bi_views.sql: what drivers and BI tools read from the views, on
-- the ci bank: plain-typed companions of credit_rating and phone, and the
-- churn dashboard's display figures rounded (doc/types.md, "Drivers and BI
-- tools"; doc/churn.md)
BEGIN;
SELECT plan(10);

SELECT is((SELECT count(*) FROM bankcrm.party_masked
            WHERE credit_rating IS NOT NULL
              AND (credit_rating_text IS DISTINCT FROM credit_rating::text
                   OR credit_rating_rank IS DISTINCT FROM bankcrm.notch(credit_rating))), 0::bigint,
          'party_masked: credit_rating_text and credit_rating_rank match the rating');
SELECT ok((SELECT count(*) FROM bankcrm.party_masked WHERE credit_rating IS NOT NULL) > 100,
          'the ci bank has rated parties');
SELECT is((SELECT array_agg(party_id ORDER BY credit_rating_rank, party_id) FROM bankcrm.party_masked),
          (SELECT array_agg(party_id ORDER BY credit_rating DESC NULLS LAST, party_id) FROM bankcrm.party_masked),
          'ascending credit_rating_rank sorts best first, as the rating does descending');
SELECT is((SELECT count(*) FROM bankcrm.party_360
            WHERE credit_rating_text IS DISTINCT FROM credit_rating::text
               OR credit_rating_rank IS DISTINCT FROM bankcrm.notch(credit_rating)
               OR primary_phone_text IS DISTINCT FROM primary_phone::text
               OR primary_phone_masked IS DISTINCT FROM bankcrm.phone_mask(primary_phone)), 0::bigint,
          'party_360: the companions match the rating and the primary phone');
SELECT ok((SELECT count(*) FROM bankcrm.party_360 WHERE primary_phone_text ~ '^\+[1-9][0-9]{6,14}$') > 1000,
          'party_360.primary_phone_text is E.164 text');

-- alerts to look at: a scan of the last week (rolled back with the rest)
SELECT lives_ok($$SELECT * FROM bankcrm.churn_scan((SELECT max(week) FROM bankcrm.activity_weekly))$$,
                'churn_scan of the last week');
SELECT ok((SELECT count(*) FROM bankcrm.churn_dashboard) > 0, 'the dashboard has alerts');
SELECT is((SELECT count(*) FROM bankcrm.churn_dashboard
            WHERE level_drop_pct::text !~ '^-?[0-9]+(\.[0-9])?$'), 0::bigint,
          'level_drop_pct shows at most one decimal');
SELECT is((SELECT count(*) FROM bankcrm.churn_dashboard d, unnest(d.sparkline) v
            WHERE v::text !~ '^-?[0-9]+(\.[0-9]{1,2})?$'), 0::bigint,
          'the sparkline shows at most cents');
SELECT is((SELECT count(*) FROM bankcrm.churn_dashboard
            WHERE abs(age_days - date_part('epoch', age) / 86400) > 0.06), 0::bigint,
          'age_days is age in days, one decimal');

SELECT * FROM finish();
ROLLBACK;
