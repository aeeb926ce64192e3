-- credit_rating: the agency grade scale AAA .. D
SET search_path = bankcrm, public;

-- storage: a pass-by-value int2
SELECT typlen, typbyval, typalign, typstorage
  FROM pg_type WHERE oid = 'bankcrm.credit_rating'::regtype;

-- every grade round-trips, with its notch, band and investment-grade flag
SELECT g.ord, g.name, g.name::credit_rating AS rating,
       notch(g.name::credit_rating), rating_band(g.name::credit_rating),
       is_investment_grade(g.name::credit_rating),
       g.name::credit_rating::text = g.name AS round_trip
  FROM unnest(ARRAY['AAA', 'AA+', 'AA', 'AA-', 'A+', 'A', 'A-',
                    'BBB+', 'BBB', 'BBB-', 'BB+', 'BB', 'BB-', 'B+', 'B', 'B-',
                    'CCC+', 'CCC', 'CCC-', 'CC', 'C', 'D'])
       WITH ORDINALITY AS g(name, ord)
 ORDER BY g.ord;

-- case and surrounding white space are accepted; output is canonical
SELECT to_json(v)::text AS input, v::credit_rating AS rating
  FROM (VALUES ('aaa'), ('Aa+'), ('bbb-'), ('  bb  '), (E'\tccc+\n'),
               (E'\r d \f'), ('c')) AS t(v);
SELECT CAST(' a- ' AS credit_rating), ' a- '::text::credit_rating;

-- bad input: 22P02 with the grade list as hint
SELECT 'XYZ'::credit_rating;
CREATE FUNCTION pg_temp.cr_try(input text,
                               OUT state text, OUT msg text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM input::bankcrm.credit_rating;
    state := '00000';
    msg := 'accepted';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            hint = PG_EXCEPTION_HINT;
END $$;
CREATE TEMP TABLE cr_bad AS
SELECT v AS input, (pg_temp.cr_try(v)).*
  FROM (VALUES ('XYZ'), ('AAAA'), (''), ('A++'), ('  '), ('AAA+'), ('CC+'),
               ('D-'), ('+A'), ('A A'), ('B B B'), ('E'), ('0'), ('22'),
               ('AA.'), ('"A"'), ('À'), ('BBB- x')) AS t(v);
SELECT format('%L', input) AS input, state, msg FROM cr_bad;
SELECT DISTINCT hint FROM cr_bad;

-- ordering follows credit quality
SELECT 'AAA'::credit_rating > 'BBB' AS gt, 'AAA'::credit_rating >= 'AAA' AS ge,
       'D'::credit_rating < 'C' AS lt, 'BB+'::credit_rating <= 'BBB-' AS le,
       'a+'::credit_rating = 'A+' AS eq, 'A+'::credit_rating <> 'A' AS ne,
       'BBB'::credit_rating < 'BBB' AS lt_self;
SELECT sign(credit_rating_cmp('AAA', 'D')) AS aaa_d, sign(credit_rating_cmp('D', 'AAA')) AS d_aaa,
       sign(credit_rating_cmp('B', 'b')) AS b_b;

CREATE TABLE cr_party (id int PRIMARY KEY, rating credit_rating);
INSERT INTO cr_party
SELECT i, upgrade('D', (i * 7) % 22) FROM generate_series(1, 1100) AS i;
INSERT INTO cr_party VALUES (0, NULL);
ANALYZE cr_party;

SELECT rating, notch(rating), count(*)
  FROM cr_party GROUP BY rating ORDER BY rating DESC NULLS LAST;
SELECT min(rating), max(rating), count(DISTINCT rating) FROM cr_party;
SELECT min(rating), max(rating) FROM cr_party WHERE id = 0;
SELECT max(rating) FILTER (WHERE NOT is_investment_grade(rating)) AS best_junk,
       min(rating) FILTER (WHERE is_investment_grade(rating)) AS worst_investment
  FROM cr_party;

-- functions
SELECT r, downgrade(r, 1) AS down1, upgrade(r, 1) AS up1,
       downgrade(r, 3) AS down3, upgrade(r, 3) AS up3,
       downgrade(r, -2) AS "down-2", upgrade(r, -2) AS "up-2",
       downgrade(r, 0) AS down0
  FROM (VALUES ('AAA'::credit_rating), ('AA+'), ('BBB'), ('BBB-'), ('C'), ('D')) AS t(r);
SELECT downgrade('BBB', 2147483647) AS to_d, upgrade('BBB', 2147483647) AS to_aaa,
       downgrade('BBB', -2147483648) AS to_aaa2, upgrade('BBB', -2147483648) AS to_d2;
SELECT downgrade(NULL, 1) IS NULL AS null_rating, downgrade('A', NULL) IS NULL AS null_steps,
       upgrade(NULL, 1) IS NULL AS up_null, notch(NULL) IS NULL AS notch_null,
       rating_band(NULL) IS NULL AS band_null;
SELECT 'AAA'::credit_rating <-> 'D' AS aaa_d, 'D'::credit_rating <-> 'AAA' AS d_aaa,
       'BBB-'::credit_rating <-> 'BB+' AS cross_line, 'A'::credit_rating <-> 'a' AS same;
SELECT rating_band(rating), count(*), min(rating), max(rating)
  FROM cr_party WHERE rating IS NOT NULL
 GROUP BY 1 ORDER BY min(rating) DESC;

-- DISTINCT and GROUP BY by hashing and by sorting
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT DISTINCT rating FROM cr_party;
SELECT array_agg(rating ORDER BY rating) FROM (SELECT DISTINCT rating FROM cr_party) AS s;
RESET enable_sort;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT rating, count(*) FROM cr_party GROUP BY rating;
SELECT array_agg(rating) FROM (SELECT DISTINCT rating FROM cr_party) AS s;
RESET enable_hashagg;

-- btree index: used for ranges, ordering and min/max
CREATE INDEX cr_party_rating_idx ON cr_party (rating);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF)
SELECT id FROM cr_party WHERE rating >= 'A-' ORDER BY rating DESC, id LIMIT 3;
SELECT id, rating FROM cr_party WHERE rating >= 'A-' ORDER BY rating DESC, id LIMIT 3;
EXPLAIN (COSTS OFF) SELECT count(*) FROM cr_party WHERE rating = 'BB';
SELECT count(*) FROM cr_party WHERE rating = 'BB';
EXPLAIN (COSTS OFF) SELECT max(rating) FROM cr_party;
SELECT max(rating) FROM cr_party;
RESET enable_seqscan;
RESET enable_bitmapscan;

-- joins: hash join and merge join give the same answer
CREATE TABLE cr_limit (rating credit_rating PRIMARY KEY, max_exposure int);
INSERT INTO cr_limit SELECT upgrade('D', i), 1000 * (i + 1) FROM generate_series(0, 21) AS i;
ANALYZE cr_limit;
SET enable_nestloop = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF)
SELECT count(*), sum(l.max_exposure) FROM cr_party p JOIN cr_limit l ON p.rating = l.rating;
SELECT count(*), sum(l.max_exposure) FROM cr_party p JOIN cr_limit l ON p.rating = l.rating;
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF)
SELECT count(*), sum(l.max_exposure) FROM cr_party p JOIN cr_limit l ON p.rating = l.rating;
SELECT count(*), sum(l.max_exposure) FROM cr_party p JOIN cr_limit l ON p.rating = l.rating;
RESET enable_hashjoin;
RESET enable_nestloop;

-- parallel min/max combine partial results
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
EXPLAIN (COSTS OFF) SELECT min(rating), max(rating) FROM cr_party;
SELECT min(rating), max(rating) FROM cr_party;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET enable_indexscan;
RESET enable_indexonlyscan;

-- hash partitioning uses the extended hash function
CREATE TABLE cr_part (rating credit_rating) PARTITION BY HASH (rating);
CREATE TABLE cr_part_0 PARTITION OF cr_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE cr_part_1 PARTITION OF cr_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO cr_part SELECT rating FROM cr_limit;
SELECT tableoid::regclass, count(*) FROM cr_part GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM cr_part WHERE rating = 'AAA';

-- binary I/O: a 2-byte big-endian code
SELECT credit_rating_send('AA+') AS aa_plus, credit_rating_send('D') AS d,
       credit_rating_send('AAA') AS aaa;
SELECT current_setting('data_directory') || '/bankcrm_credit_rating.bin' AS copy_file \gset
COPY cr_party TO :'copy_file' (FORMAT binary);
CREATE TABLE cr_party_copy (LIKE cr_party);
COPY cr_party_copy FROM :'copy_file' (FORMAT binary);
SELECT count(*) AS copied,
       count(*) FILTER (WHERE p.rating IS DISTINCT FROM c.rating) AS different
  FROM cr_party p FULL JOIN cr_party_copy c USING (id);
-- recv checks every code: int2 codes 1 .. 22 load, anything else is refused
CREATE TABLE cr_code (id int, code int2);
INSERT INTO cr_code VALUES (1, 1), (2, 13), (3, 22);
COPY cr_code TO :'copy_file' (FORMAT binary);
TRUNCATE cr_party_copy;
COPY cr_party_copy FROM :'copy_file' (FORMAT binary);
SELECT * FROM cr_party_copy ORDER BY id;
TRUNCATE cr_code;
INSERT INTO cr_code VALUES (1, 22), (2, 23);
COPY cr_code TO :'copy_file' (FORMAT binary);
COPY cr_party_copy FROM :'copy_file' (FORMAT binary);
TRUNCATE cr_code;
INSERT INTO cr_code VALUES (1, 0);
COPY cr_code TO :'copy_file' (FORMAT binary);
COPY cr_party_copy FROM :'copy_file' (FORMAT binary);
TRUNCATE cr_code;
INSERT INTO cr_code VALUES (1, -1);
COPY cr_code TO :'copy_file' (FORMAT binary);
COPY cr_party_copy FROM :'copy_file' (FORMAT binary);
SELECT count(*) FROM cr_party_copy;

-- catalog contract: both opclasses are valid defaults; every function is
-- immutable, strict and parallel safe
SELECT amname, opcname, opcdefault, amvalidate(c.oid)
  FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
 WHERE opcintype = 'bankcrm.credit_rating'::regtype ORDER BY amname;
SELECT p.oid::regprocedure, provolatile, proisstrict, proparallel
  FROM pg_proc p
 WHERE pronamespace = 'bankcrm'::regnamespace AND prokind = 'f'
   AND ('bankcrm.credit_rating'::regtype = ANY (proargtypes)
        OR prorettype = 'bankcrm.credit_rating'::regtype)
   AND (provolatile <> 'i' OR NOT proisstrict OR proparallel <> 's');
SELECT p.oid::regprocedure, a.aggcombinefn, proparallel, aggsortop::regoperator
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE pronamespace = 'bankcrm'::regnamespace
   AND proargtypes[0] = 'bankcrm.credit_rating'::regtype
 ORDER BY p.proname;

DROP TABLE cr_party, cr_party_copy, cr_code, cr_limit, cr_part;
