-- score_contract: what score_all promises about the tables it writes, on
-- the bank of score_bank.sql (which runs just before): row triggers see
-- every row, models are checked, row-level security and privileges apply,
-- a run is logged, money is summed exactly, models are restored and renamed.
SET search_path = bankcrm, public;
SET extra_float_digits = 0;

-- a DBA's row triggers on the tables score_all writes see every row, AFTER
-- and BEFORE triggers (which may change or skip a row) alike; they run under
-- the engine's search_path (pg_catalog, pg_temp), so they name their tables
CREATE TABLE score_audit (tbl text, party_id bigint, model text);
CREATE FUNCTION score_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO bankcrm.score_audit VALUES (TG_TABLE_NAME, NEW.party_id, NEW.model);
	RETURN NEW;
END $$;
CREATE FUNCTION score_skip_party_1() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RETURN CASE WHEN NEW.party_id = 1 THEN NULL ELSE NEW END;
END $$;
CREATE TRIGGER audit_row AFTER INSERT ON party_score FOR EACH ROW EXECUTE FUNCTION score_audit_row();
CREATE TRIGGER audit_row AFTER INSERT ON score_history FOR EACH ROW EXECUTE FUNCTION score_audit_row();
CREATE TRIGGER skip_one BEFORE INSERT ON score_history FOR EACH ROW EXECUTE FUNCTION score_skip_party_1();
INSERT INTO score_model (model, description, ftp, pd, channel_cost, value_weights, value_scales, potential, key_min,
	general_min, retention)
SELECT 'audited', 'standard, audited', ftp, pd, channel_cost, value_weights, value_scales, potential, key_min,
       general_min, retention
  FROM score_model WHERE model = 'standard';
SELECT parties FROM score_all('audited', '2026-11-16', false);
SELECT tbl, model, array_agg(party_id ORDER BY party_id) AS parties FROM score_audit GROUP BY tbl, model ORDER BY tbl;
SELECT (SELECT array_agg(party_id ORDER BY party_id) FROM party_score WHERE model = 'audited') AS scored,
       (SELECT array_agg(party_id ORDER BY party_id) FROM score_history WHERE model = 'audited') AS recorded;
-- a new day updates changed rows in place: a trigger on the columns it
-- writes sees each update (and none where nothing changed)
CREATE TRIGGER audit_update AFTER UPDATE OF scored_on ON party_score FOR EACH ROW
	WHEN (OLD.scored_on IS DISTINCT FROM NEW.scored_on) EXECUTE FUNCTION score_audit_row();
TRUNCATE score_audit;
SELECT parties FROM score_all('audited', '2027-03-16', false);
SELECT tbl, model, count(*) AS rows FROM score_audit GROUP BY tbl, model ORDER BY tbl;
SELECT (SELECT count(*) FROM party_score WHERE model = 'audited' AND scored_on = '2027-03-16') AS updated;
DROP TRIGGER audit_update ON party_score;
DROP TRIGGER audit_row ON party_score;
DROP TRIGGER audit_row ON score_history;
DROP TRIGGER skip_one ON score_history;
DROP TABLE score_audit;
DROP FUNCTION score_audit_row(), score_skip_party_1();
DELETE FROM party_score WHERE model = 'audited';
DELETE FROM score_history WHERE model = 'audited';
DELETE FROM score_model WHERE model = 'audited';

-- unknown models
SELECT * FROM score_all('nope', '2026-11-16');
SELECT product_affinity_refresh('nope');
SELECT * FROM score_all(NULL, NULL);
-- one default model
UPDATE score_model SET is_default = true WHERE model = 'small_groups';
BEGIN;
UPDATE score_model SET is_default = false WHERE model = 'standard';
UPDATE score_model SET is_default = true WHERE model = 'small_groups';
COMMIT;
SELECT model, is_default FROM score_model ORDER BY model;
UPDATE score_model SET is_default = (model = 'standard');
-- the model row keeps its parameters honest
\set VERBOSITY terse
UPDATE score_model SET pd = '{0.1}' WHERE model = 'standard';
UPDATE score_model SET key_min = 10, general_min = 100 WHERE model = 'standard';
UPDATE score_model SET value_tier_basis = 'profit' WHERE model = 'standard';
\set VERBOSITY default

-- row-level security: an RM sees the scores of the parties it covers
CREATE ROLE regress_score_rm NOLOGIN IN ROLE bankcrm_rm;
CREATE ROLE regress_score_analyst NOLOGIN IN ROLE bankcrm_analyst;
SET ROLE regress_score_rm;
SELECT party_id, model FROM bankcrm.party_score ORDER BY party_id, model;
SELECT count(*) AS history_rows FROM bankcrm.score_history;
SELECT party_id, name FROM bankcrm.hidden_gold;
SELECT rank, code FROM bankcrm.recommend_products(3, 1, 'small_groups');
SELECT rank, code FROM bankcrm.recommend_products(5, 1, 'small_groups');
SELECT * FROM bankcrm.score_all();
SELECT count(*) FROM bankcrm.score_preview(NULL, '2026-11-16');
RESET ROLE;
-- the engine reads through the executor: row-level security applies, and a
-- role allowed to call it scores the parties it sees, among themselves (its
-- RFM quintiles are cut over those parties only)
GRANT EXECUTE ON FUNCTION bankcrm.score_preview(text, date) TO regress_score_rm;
SET ROLE regress_score_rm;
SELECT party_id, rfm_r, rfm_f, rfm_m FROM bankcrm.score_preview(NULL, '2026-11-16');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION bankcrm.score_preview(text, date) FROM regress_score_rm;
SET ROLE regress_score_analyst;
SELECT pyramid, tier, parties FROM bankcrm.value_pyramid WHERE parties > 0;
SELECT customers, customers_total FROM bankcrm.pareto;
SELECT party_id, name_masked FROM bankcrm.hidden_gold_masked;
SELECT party_id FROM bankcrm.hidden_gold;
SELECT party_id FROM bankcrm.party_score;
RESET ROLE;
DROP ROLE regress_score_rm, regress_score_analyst;

-- the application runs score_all and its run is logged under its name; a run
-- that could not log itself fails, and stores nothing
CREATE ROLE regress_score_app NOLOGIN IN ROLE bankcrm_app;
SET ROLE regress_score_app;
SELECT parties FROM bankcrm.score_all(NULL, '2026-12-16', false);
SELECT run_by, as_of, scores_updated FROM bankcrm.score_run_log ORDER BY run_id DESC LIMIT 1;
RESET ROLE;
BEGIN;
REVOKE INSERT ON score_run_log FROM bankcrm_app;
SET ROLE regress_score_app;
SELECT parties FROM bankcrm.score_all(NULL, '2026-12-16', false);
ROLLBACK;
DROP ROLE regress_score_app;

-- deleting a party deletes its scores
SELECT count(*) FROM party_score WHERE party_id = 7;
DELETE FROM holding WHERE party_id = 7;
DELETE FROM party WHERE party_id = 7;
SELECT count(*) FROM party_score WHERE party_id = 7;
SELECT count(*) FROM score_history WHERE party_id = 7;

SELECT count(*) FROM score_preview(NULL, '2026-11-16');

-- money is summed exactly at the scales of the columns: a value the engine
-- cannot read exactly (a rate with more decimals after a type change) is refused
BEGIN;
ALTER TABLE holding ALTER COLUMN rate TYPE numeric(10, 7);
UPDATE holding SET rate = 0.0150001 WHERE party_id = 2 AND product_id = 1;
SELECT count(*) FROM score_preview(NULL, '2026-11-16');
ROLLBACK;
-- a party's balances are summed in cents in 64 bits: ten deposits at the
-- largest balance a holding can carry are more than that
BEGIN;
INSERT INTO holding (party_id, product_id, balance, rate, opened_on)
SELECT 2, 1, 9999999999999999.99, 0.01, '2020-01-01' FROM generate_series(1, 10);
SELECT count(*) FROM score_preview(NULL, '2026-11-16');
ROLLBACK;

-- a restore brings back the built-in model's row after its scores: the row
-- replaces the installed one in place (a model with scores cannot be
-- deleted, so it is not deleted and inserted again)
BEGIN;
INSERT INTO score_model
SELECT (jsonb_populate_record(NULL::score_model, to_jsonb(m) || '{"lgd": 0.5, "version": 2}')).*
  FROM score_model m WHERE model = 'standard';
SELECT model, version, lgd, builtin, is_default, (SELECT count(*) FROM party_score WHERE model = 'standard') > 0 AS has_scores
  FROM score_model WHERE model = 'standard';
ROLLBACK;
-- a row not marked builtin with the name of an existing model is refused
\set VERBOSITY terse
INSERT INTO score_model
SELECT (jsonb_populate_record(NULL::score_model, to_jsonb(m) || '{"builtin": false}')).*
  FROM score_model m WHERE model = 'standard';
\set VERBOSITY default

-- a renamed model renames its scores; a model that has scores stays
SELECT model, count(*) FROM party_score GROUP BY model ORDER BY model;
UPDATE score_model SET model = 'small_groups_v2' WHERE model = 'small_groups';
SELECT model, count(*) FROM party_score GROUP BY model ORDER BY model;
SELECT model, count(*) FROM score_history GROUP BY model ORDER BY model;
DELETE FROM score_model WHERE model = 'small_groups_v2';
DELETE FROM party_score WHERE model = 'small_groups_v2';
DELETE FROM score_history WHERE model = 'small_groups_v2';
DELETE FROM score_model WHERE model = 'small_groups_v2';
