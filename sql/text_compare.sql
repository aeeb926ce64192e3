-- sql/text_compare.sql: credit_rating and phone compared with a text or
-- varchar value, as JDBC (setString), ODBC and psycopg2 bind parameters
SET search_path = public, bankcrm;
CREATE TABLE tc_obligor (id int PRIMARY KEY, rating credit_rating NOT NULL, phone phone);
INSERT INTO tc_obligor
SELECT g, (ARRAY['AAA', 'AA-', 'A', 'BBB+', 'BBB-', 'BB+', 'B', 'CCC', 'D'])[1 + g % 9]::credit_rating,
       ('+86 135 2295 ' || lpad((6000 + g)::text, 4, '0'))::phone
  FROM generate_series(1, 900) g;
CREATE INDEX ON tc_obligor (rating);
CREATE INDEX ON tc_obligor (phone);
ANALYZE tc_obligor;

-- a varchar parameter (JDBC setString) and a text parameter
PREPARE by_rating_varchar(varchar) AS SELECT count(*) FROM tc_obligor WHERE rating >= $1;
PREPARE by_rating_text(text) AS SELECT count(*) FROM tc_obligor WHERE $1 <= rating;
EXECUTE by_rating_varchar('BBB-');
EXECUTE by_rating_text('bbb-');
SELECT count(*) FROM tc_obligor WHERE rating >= 'BBB-';
-- every comparison, both ways round, agrees with the type's own operator
SELECT r::text AS rating,
       (r < 'A'::text) = (r < 'A'::credit_rating) AND (r <= 'A'::text) = (r <= 'A'::credit_rating)
   AND (r = 'A'::text) = (r = 'A'::credit_rating) AND (r <> 'A'::text) = (r <> 'A'::credit_rating)
   AND (r >= 'A'::text) = (r >= 'A'::credit_rating) AND (r > 'A'::text) = (r > 'A'::credit_rating)
   AND ('A'::text < r) = ('A'::credit_rating < r) AND ('A'::text > r) = ('A'::credit_rating > r)
   AND ('A'::varchar <= r) = ('A'::credit_rating <= r) AND ('A'::varchar >= r) = ('A'::credit_rating >= r)
   AND ('A'::varchar = r) = ('A'::credit_rating = r) AND ('A'::varchar <> r) = ('A'::credit_rating <> r) AS agrees
  FROM unnest('{AAA,A+,A,A-,D}'::credit_rating[]) r;
-- the planner inlines them into the type's operator: the index serves them
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) EXECUTE by_rating_varchar('BBB-');
PREPARE by_phone(varchar) AS SELECT id FROM tc_obligor WHERE phone = $1;
EXPLAIN (COSTS OFF) EXECUTE by_phone('+86 135 2295 6042');
RESET enable_seqscan;
EXECUTE by_phone('+86 135 2295 6042');
PREPARE not_phone(text) AS SELECT count(*) FROM tc_obligor WHERE $1 <> phone;
EXECUTE not_phone('+8613522956042');
-- bad text is refused as the type's input refuses it
EXECUTE by_rating_varchar('BBB--');
EXECUTE by_phone('+86 123');
-- NULL compares to NULL
SELECT 'A'::credit_rating >= NULL::text IS NULL AS is_null;
-- without bankcrm on the search_path, the operators are found by the
-- schema-qualified OPERATOR() syntax (doc/types.md, "Drivers and BI tools")
SET search_path = public;
SELECT count(*) FROM tc_obligor WHERE rating OPERATOR(bankcrm.>=) 'BBB-'::varchar;
RESET search_path;
DROP TABLE tc_obligor;
