-- phone: E.164 numbers stored as int8
SET search_path = bankcrm, public;
-- try(statement): the SQLSTATE, message, detail and hint it fails with
CREATE FUNCTION pg_temp.try(stmt text)
RETURNS TABLE (code text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	code := 'ok';
	RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN NEXT;
END $$;

-- every accepted international form, and the functions on it
SELECT input, input::phone AS phone, country_code(input::phone) AS cc,
       national_number(input::phone) AS national, phone_mask(input::phone) AS masked,
       phone_format(input::phone) AS formatted
  FROM (VALUES ('+8613522956919'), ('+86 135 2295 6919'), ('+86-135-2295-6919'),
               ('+86.135.2295.6919'), ('(+86) 135 2295 6919'), ('  +86 135 2295 6919  '),
               ('008613522956919'), ('+86 (10) 5124 6210'), ('+86 755 8765 4321'),
               ('+86 571 876 5432'), ('+86 400 123 4567'), ('+1 (212) 555-0100'),
               ('+7 912 345-67-89'), ('+44 20 7946 0958'), ('+39 06 6982 1234'),
               ('+852 2123 4567'), ('+683 4002'), ('+800 1234 5678'),
               ('+882 1234 5678 9012')) v(input);
-- output is canonical and parses back; phone_format output parses back too
SELECT p::text, p::text::phone = p AS canonical_round_trip,
       phone_format(p)::phone = p AS formatted_round_trip
  FROM (VALUES ('+86 (10) 5124 6210'::phone), ('+1 212 555 0100'), ('+683 4002')) v(p);
SELECT NULL::phone AS null_phone, country_code(NULL), phone_mask(NULL);

-- every kind of rejected input, with SQLSTATE, detail and hint
\x on
SELECT input, e.*
  FROM (VALUES (''), ('+86 135x2295 6919'), ('+86 135 2295 6919 转 2'), (E'+86\t135 2295 6919'),
               ('86+13522956919'), ('+86 (10 5124 6210'), ('13522956919'), ('(010) 5124-6210'),
               ('+0086 135 2295 6919'), ('+999 1234 5678'), ('+28 1234 5678'),
               ('+86 135 2295'), ('+86 135 2295 69190'), ('+1 212 555 01000'),
               ('+49 1234567890123456789'), ('+86 010 5124 6210'), ('+86 125 2295 6919'),
               ('+86 26 5124 6210'), ('+86 10 1234 5678')) v(input),
       pg_temp.try(format('SELECT %L::bankcrm.phone', input)) e;
\x off

-- phone_parse: national forms under bankcrm.default_country_code (86)
SHOW bankcrm.default_country_code;
SELECT input, phone_parse(input) AS parsed
  FROM (VALUES ('13522956919'), ('135 2295 6919'), ('013522956919'), ('(010) 5124-6210'),
               ('010-51246210'), ('0755 8765 4321'), ('400-123-4567'),
               ('+44 20 7946 0958'), ('0044 20 7946 0958')) v(input);
-- explicit country codes; the trunk prefix is the country's
SELECT input, cc, phone_parse(input, cc) AS parsed
  FROM (VALUES ('020 7946 0958', 44), ('(212) 555-0100', 1), ('1 212 555 0100', 1),
               ('8 912 345-67-89', 7), ('06 6982 1234', 39), ('06 1 234 5678', 36),
               ('13522956919', NULL), ('+8613522956919', 44)) v(input, cc);
-- a changed setting changes phone_parse, never the type's input function
SET bankcrm.default_country_code = 44;
SELECT phone_parse('020 7946 0958') AS london, phone_parse('13522956919') AS not_china;
SELECT * FROM pg_temp.try($$SELECT '020 7946 0958'::bankcrm.phone$$);
RESET bankcrm.default_country_code;
SELECT phone_parse(NULL) AS null_input, phone_parse(NULL, 44) AS null_input_cc;
-- errors of phone_parse: bad numbers (22P02), bad country codes (22023)
\x on
SELECT input, cc, e.*
  FROM (VALUES ('1352295691', NULL), ('12 2295 6919', 86), ('0123', 44), ('135 2295 6919', 999),
               ('135 2295 6919', 0), ('135 2295 6919', -86)) v(input, cc),
       pg_temp.try(format('SELECT bankcrm.phone_parse(%L, %s)', input, coalesce(cc::text, 'NULL'))) e;
-- an unassigned code cannot become the default: the setting refuses it, and
-- phone_parse() keeps using the previous default
SET bankcrm.default_country_code = 999;
SELECT * FROM pg_temp.try($$SELECT bankcrm.phone_parse('135 2295 6919')$$);
RESET bankcrm.default_country_code;
\x off

-- volatility, strictness and parallel safety are part of the contract
SELECT p.oid::regprocedure AS function, provolatile, proisstrict, proparallel
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE nspname = 'bankcrm'
   AND (proname LIKE 'phone%' OR proname IN ('country_code', 'national_number'))
 ORDER BY p.oid::regprocedure::text;

-- ordering is numeric on the digits: shorter numbers sort first
CREATE TABLE phone_t (id int, p phone);
INSERT INTO phone_t
  SELECT i, ('+86 1' || (3 + i % 7) || lpad((i * 7919 % 1000000000)::text, 9, '0'))::phone
    FROM generate_series(1, 2000) i;
INSERT INTO phone_t VALUES (0, '+1 212 555 0100'), (-1, '+44 20 7946 0958'),
                           (-2, '+683 4002'), (-3, '+86 10 5124 6210');
SELECT p, p < '+8613000000000' AS lt, p >= '+442079460958' AS ge
  FROM phone_t WHERE id <= 2 ORDER BY p;
-- (as text, '+1...' would sort first)
SELECT min(p), max(p), min(p::text) AS min_text, count(*), count(DISTINCT p) FROM phone_t;
SELECT p FROM phone_t WHERE p <> '+683 4002' AND p <= '+86 10 9999 9999' ORDER BY p DESC;

-- btree index
CREATE INDEX phone_t_p ON phone_t (p);
VACUUM ANALYZE phone_t;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM phone_t WHERE p = '+86 160 0007 9190';
SELECT id FROM phone_t WHERE p = '+86 160 0007 9190';
EXPLAIN (COSTS OFF) SELECT p FROM phone_t WHERE p >= '+86 190 1560 0000' ORDER BY p;
SELECT p FROM phone_t WHERE p >= '+86 190 1560 0000' ORDER BY p;
RESET enable_seqscan;
RESET enable_bitmapscan;

-- hash join, merge join, hash aggregate, hash index, hash partitioning
CREATE TABLE phone_u AS SELECT id, p FROM phone_t WHERE id % 3 = 0;
ANALYZE phone_u;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM phone_t t JOIN phone_u u ON t.p = u.p;
SELECT count(*) FROM phone_t t JOIN phone_u u ON t.p = u.p;
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM phone_t t JOIN phone_u u ON t.p = u.p;
SELECT count(*) FROM phone_t t JOIN phone_u u ON t.p = u.p;
RESET enable_hashjoin;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT country_code(p), count(*) FROM phone_t GROUP BY p;
SELECT count(*) FROM (SELECT p FROM phone_t UNION SELECT p FROM phone_u) s;
RESET enable_sort;
CREATE INDEX phone_t_hash ON phone_t USING hash (p);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM phone_t WHERE p = '+44 20 7946 0958';
SELECT id FROM phone_t WHERE p = '+44 20 7946 0958';
RESET enable_seqscan;
RESET enable_bitmapscan;
CREATE TABLE phone_h (p phone) PARTITION BY HASH (p);
CREATE TABLE phone_h0 PARTITION OF phone_h FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE phone_h1 PARTITION OF phone_h FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO phone_h SELECT p FROM phone_t;
SELECT tableoid::regclass, count(*) FROM phone_h GROUP BY 1 ORDER BY 1;
SELECT tableoid::regclass, p FROM phone_h WHERE p IN ('+86 10 5124 6210', '+1 212 555 0100') ORDER BY p;

-- binary COPY round trip through a server-side file in the cluster's directory
CREATE TABLE phone_copy (id int, p phone);
DO $$
DECLARE
	f text := current_setting('data_directory') || '/phone_copy.bin';
BEGIN
	EXECUTE format('COPY bankcrm.phone_t TO %L WITH (FORMAT binary)', f);
	EXECUTE format('COPY bankcrm.phone_copy FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT count(*) AS copied,
       count(*) FILTER (WHERE c.p = t.p) AS equal
  FROM phone_copy c JOIN phone_t t USING (id);
-- recv validates exactly as in: int8 values that are no phone number
CREATE FUNCTION pg_temp.recv(v int8) RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/phone_bad.bin';
BEGIN
	EXECUTE format('COPY (SELECT 1, %s::int8) TO %L WITH (FORMAT binary)', v, f);
	RETURN QUERY SELECT * FROM pg_temp.try(
		format('COPY bankcrm.phone_copy FROM %L WITH (FORMAT binary)', f));
END $$;
SELECT v, e.* FROM (VALUES (8613522956919), (99912345678), (8612522956919),
                           (86135229569190), (441234), (0), (-8613522956919)) x(v),
       pg_temp.recv(v) e(code text, message text, detail text, hint text);

-- both operator classes are complete and valid
SELECT opcname, amname, opcdefault, amvalidate(c.oid)
  FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
 WHERE opcintype = 'bankcrm.phone'::regtype ORDER BY amname;
SELECT oprname, oprcanmerge, oprcanhash, oprcom::regoperator, oprnegate::regoperator,
       oprrest, oprjoin
  FROM pg_operator WHERE oprleft = 'bankcrm.phone'::regtype ORDER BY oprname;

DROP TABLE phone_t, phone_u, phone_h, phone_copy;
