--
-- vocabulary: each list of words is defined once, on the SQL side, and the
-- C library's copy says the same words in the same order
--
SET search_path = bankcrm, public;

-- party kinds: the SQL list and the library's
SELECT party_kinds() AS sql_words,
       library_vocabulary('party_kind') AS c_words,
       library_vocabulary('party_kind') = party_kinds() AS same;

-- no table lists the kinds again: every constraint and default naming a
-- kind reads party_kinds()
SELECT conrelid::regclass AS tab, conname,
       pg_get_constraintdef(oid) LIKE '%party_kinds()%' AS reads_the_list
  FROM pg_constraint
 WHERE connamespace = 'bankcrm'::regnamespace AND contype = 'c'
   AND (pg_get_constraintdef(oid) LIKE '%financial_institution%' OR pg_get_constraintdef(oid) LIKE '%party_kinds()%')
 ORDER BY 1, 2;
SELECT adrelid::regclass AS tab, a.attname, pg_get_expr(d.adbin, d.adrelid) AS default_expr
  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
 WHERE pg_get_expr(d.adbin, d.adrelid) LIKE '%party_kinds()%' OR pg_get_expr(d.adbin, d.adrelid) LIKE '%financial_institution%'
 ORDER BY 1, 2;

-- each word is a kind to the C code (the potential formula takes every
-- kind) and the table constraints; a word outside the list is refused by both
SELECT k.kind,
       potential(k.kind, NULL, NULL, NULL, NULL, NULL, m.potential) IS NOT NULL AS c_knows_it
  FROM unnest(party_kinds()) WITH ORDINALITY k(kind, n), score_model m
 WHERE m.model = 'standard'
 ORDER BY k.n;
SELECT potential('person', NULL, NULL, NULL, NULL, NULL, m.potential) FROM score_model m WHERE m.model = 'standard';
\set VERBOSITY terse
INSERT INTO party (kind, name, region_code) VALUES ('person', 'Nobody', 'XX');
INSERT INTO churn_policy (name, party_kind) VALUES ('nobody', 'person');
INSERT INTO product (code, name, category, for_kind) VALUES ('NOBODY', 'Nobody', 'service', '{person}');
\set VERBOSITY default
-- a product is for every kind unless it says otherwise
BEGIN;
INSERT INTO product (code, name, category) VALUES ('VOCAB_ANY', 'Any kind', 'service') RETURNING for_kind;
ROLLBACK;

-- the library knows only the vocabularies it names
SELECT library_vocabulary('call_outcome');
RESET search_path;
