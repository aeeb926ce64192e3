-- test/bench/bench_phone.sql
-- Benchmark: the phone type against text holding the same canonical strings.
--
-- Run with psql in a database where bankcrm is installed:
--     psql -X -q [-v reps=N] -f test/bench/bench_phone.sql
-- It builds two sets of 1,000,000 deterministic (setseed) numbers in
-- realistic proportions (80% Chinese mobiles, 15% Chinese fixed lines under
-- common area codes, 5% other countries); half of the second set's numbers
-- also occur in the first.  Each set is stored three times, in tables of
-- identical shape (id int, v <type>): as phone, as text in the database's
-- collation and as text COLLATE "C".  It then times a sort (ORDER BY in a
-- subquery that is not flattened, so no rows are shipped) and a hash join of
-- the two sets (merge and nested-loop joins disabled) in :reps rounds; in
-- each round every statement runs once unmeasured and then once measured, so
-- no statement pays for memory that the previous one released.  It prints
-- the median milliseconds and the ratios phone/text of the medians and of
-- the fastest runs (below 1: phone is faster).  Parallel query and JIT are
-- off and work_mem is large, so the numbers measure the comparison and
-- hashing work of one backend, in memory.  The tables are dropped at the end.

\set ON_ERROR_STOP 1
\if :{?reps}
\else
\set reps 11
\endif
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SET work_mem = '1GB';
SET jit = off;
SET search_path = public, bankcrm;

DROP TABLE IF EXISTS bench_phone_src, bench_phone_a_phone, bench_phone_a_text,
	bench_phone_a_text_c, bench_phone_b_phone, bench_phone_b_text,
	bench_phone_b_text_c, bench_phone_timing;

-- set a: 1 M numbers as canonical strings, deterministic
SELECT setseed(0.164);
CREATE UNLOGGED TABLE bench_phone_src AS
SELECT 'a' AS set, id,
       CASE WHEN r < 0.80 THEN
                '+861' || (3 + floor(random() * 7))::int
                       || lpad(floor(random() * 1e9)::bigint::text, 9, '0')
            WHEN r < 0.95 THEN
                '+86' || (ARRAY['10', '20', '21', '22', '23', '24', '25', '27', '28', '29',
                                '311', '512', '571', '574', '591', '592', '755', '757',
                                '769', '871'])[1 + floor(random() * 20)::int]
                      || (2 + floor(random() * 8))::int
                      || lpad(floor(random() * 1e7)::bigint::text, 7, '0')
            ELSE
                (ARRAY['+1212', '+44207', '+4930', '+3314', '+81901', '+8529', '+659'])
                    [1 + floor(random() * 7)::int]
                || lpad(floor(random() * 1e7)::bigint::text, 7, '0')
       END AS v
  FROM (SELECT id, random() AS r FROM generate_series(1, 1000000) id) s;

-- set b: every even row of set a, every odd row a new mobile number
SELECT setseed(0.986);
INSERT INTO bench_phone_src
SELECT 'b', id,
       CASE WHEN id % 2 = 0 THEN v
            ELSE '+861' || (3 + floor(random() * 7))::int
                        || lpad(floor(random() * 1e9)::bigint::text, 9, '0')
       END
  FROM bench_phone_src WHERE set = 'a' ORDER BY id;

CREATE UNLOGGED TABLE bench_phone_a_phone AS
	SELECT id, v::bankcrm.phone AS v FROM bench_phone_src WHERE set = 'a' ORDER BY id;
CREATE UNLOGGED TABLE bench_phone_a_text AS
	SELECT id, v::text AS v FROM bench_phone_src WHERE set = 'a' ORDER BY id;
CREATE UNLOGGED TABLE bench_phone_a_text_c AS
	SELECT id, v::text COLLATE "C" AS v FROM bench_phone_src WHERE set = 'a' ORDER BY id;
CREATE UNLOGGED TABLE bench_phone_b_phone AS
	SELECT id, v::bankcrm.phone AS v FROM bench_phone_src WHERE set = 'b' ORDER BY id;
CREATE UNLOGGED TABLE bench_phone_b_text AS
	SELECT id, v::text AS v FROM bench_phone_src WHERE set = 'b' ORDER BY id;
CREATE UNLOGGED TABLE bench_phone_b_text_c AS
	SELECT id, v::text COLLATE "C" AS v FROM bench_phone_src WHERE set = 'b' ORDER BY id;
DROP TABLE bench_phone_src;
VACUUM ANALYZE bench_phone_a_phone, bench_phone_a_text, bench_phone_a_text_c,
	bench_phone_b_phone, bench_phone_b_text, bench_phone_b_text_c;

-- what was built: the three representations hold the same numbers
SELECT (SELECT count(*) FROM bench_phone_a_phone) AS rows_a,
       (SELECT count(DISTINCT v) FROM bench_phone_a_phone) AS distinct_a,
       (SELECT count(*) FROM bench_phone_a_phone a JOIN bench_phone_b_phone b USING (v)) AS join_phone,
       (SELECT count(*) FROM bench_phone_a_text a JOIN bench_phone_b_text b USING (v)) AS join_text,
       (SELECT count(*) FROM bench_phone_a_phone p JOIN bench_phone_a_text t USING (id)
         WHERE p.v::text <> t.v) AS mismatches,
       pg_size_pretty(pg_relation_size('bench_phone_a_phone')) AS size_phone,
       pg_size_pretty(pg_relation_size('bench_phone_a_text')) AS size_text;

CREATE UNLOGGED TABLE bench_phone_timing (operation text, type text, rep int, ms float8);

SET bench.reps = :reps;
DO $$
DECLARE
	q record;
	i int;
	t0 timestamptz;
	reps int := current_setting('bench.reps')::int;
BEGIN
	SET LOCAL enable_mergejoin = off;
	SET LOCAL enable_nestloop = off;
	FOR i IN 1 .. reps LOOP
		FOR q IN
			SELECT operation, type,
				   CASE operation
					   WHEN 'sort' THEN format(
						   'SELECT count(*) FROM (SELECT v FROM bench_phone_a_%s ORDER BY v OFFSET 0) s',
						   type)
					   ELSE format(
						   'SELECT count(*) FROM bench_phone_a_%1$s a JOIN bench_phone_b_%1$s b ON a.v = b.v',
						   type)
				   END AS sql
			  FROM unnest(ARRAY['sort', 'hash join']) operation,
				   unnest(ARRAY['phone', 'text', 'text_c']) type
		LOOP
			EXECUTE q.sql;
			t0 := clock_timestamp();
			EXECUTE q.sql;
			INSERT INTO bench_phone_timing
				VALUES (q.operation, q.type, i,
						extract(epoch FROM clock_timestamp() - t0) * 1000);
		END LOOP;
	END LOOP;
END $$;

-- medians and ratios; below 1 means phone is faster.  The best_ columns
-- compare the fastest runs, which a busy machine disturbs least.
WITH m AS (
	SELECT operation, type,
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
		   min(ms) AS best
	  FROM bench_phone_timing GROUP BY operation, type
)
SELECT operation,
       round(max(ms) FILTER (WHERE type = 'phone')::numeric, 1) AS phone_ms,
       round(max(ms) FILTER (WHERE type = 'text')::numeric, 1) AS text_ms,
       round(max(ms) FILTER (WHERE type = 'text_c')::numeric, 1) AS text_c_ms,
       round((max(ms) FILTER (WHERE type = 'phone') /
              max(ms) FILTER (WHERE type = 'text'))::numeric, 2) AS phone_per_text,
       round((max(ms) FILTER (WHERE type = 'phone') /
              max(ms) FILTER (WHERE type = 'text_c'))::numeric, 2) AS phone_per_text_c,
       round((max(best) FILTER (WHERE type = 'phone') /
              max(best) FILTER (WHERE type = 'text'))::numeric, 2) AS best_phone_per_text,
       round((max(best) FILTER (WHERE type = 'phone') /
              max(best) FILTER (WHERE type = 'text_c'))::numeric, 2) AS best_phone_per_text_c
  FROM m GROUP BY operation ORDER BY operation DESC;

DROP TABLE bench_phone_a_phone, bench_phone_a_text, bench_phone_a_text_c,
	bench_phone_b_phone, bench_phone_b_text, bench_phone_b_text_c, bench_phone_timing;
