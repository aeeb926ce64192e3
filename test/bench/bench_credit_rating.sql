-- test/bench/bench_credit_rating.sql
-- Benchmark: credit_rating against an enum and text holding the same grades.
--
-- Run with psql in a database where bankcrm is installed:
--     psql -X -q -f test/bench/bench_credit_rating.sql
-- It builds one million random grades (setseed makes them the same on every
-- run) stored four ways: credit_rating, an enum with the 22 labels in
-- quality order, text in the database's default collation and text in the
-- "C" collation.  It times four operations: a full sort (ORDER BY with
-- OFFSET past the last row, so nothing is sent), a hash join to a 22-row
-- dimension, a hash aggregate (GROUP BY) and a btree index build.
--
-- Each operation runs :reps times (default 7) per representation, the
-- representations interleaved in an order that rotates every repetition.
-- Each measured run comes right after an unmeasured run of the same
-- statement, so that no representation pays for memory the previous query
-- gave back: without that, whichever sort follows the text sort is about
-- 60 ms slower.  The result table shows, per operation, the median and the
-- best milliseconds and the ratio of credit_rating to each other
-- representation (below 1.00 means credit_rating is faster).  Parallel query and JIT are off, so
-- single-process work is compared.  Everything the script creates lives in
-- schema bench_credit_rating, dropped at the end.

\set ON_ERROR_STOP on
\pset pager off
\if :{?reps}
\else
\set reps 7
\endif

SET client_min_messages = warning;
SET search_path = bankcrm, public;
SET jit = off;
SET max_parallel_workers_per_gather = 0;
SET max_parallel_maintenance_workers = 0;
SET work_mem = '256MB';
SET maintenance_work_mem = '256MB';
SET enable_mergejoin = off;
SET enable_nestloop = off;

DROP SCHEMA IF EXISTS bench_credit_rating CASCADE;
CREATE SCHEMA bench_credit_rating;

CREATE TYPE bench_credit_rating.grade AS ENUM (
	'D', 'C', 'CC', 'CCC-', 'CCC', 'CCC+', 'B-', 'B', 'B+', 'BB-', 'BB', 'BB+',
	'BBB-', 'BBB', 'BBB+', 'A-', 'A', 'A+', 'AA-', 'AA', 'AA+', 'AAA');

SELECT setseed(0.2026) \gset
CREATE TABLE bench_credit_rating.fact AS
SELECT id, cr, cr::text::bench_credit_rating.grade AS en, cr::text AS tx,
	   cr::text COLLATE "C" AS txc
  FROM (SELECT i AS id,
			   bankcrm.upgrade('D', floor(random() * 22)::int) AS cr
		  FROM generate_series(1, 1000000) AS i) AS s;

CREATE TABLE bench_credit_rating.dim AS
SELECT cr, cr::text::bench_credit_rating.grade AS en, cr::text AS tx,
	   cr::text COLLATE "C" AS txc, bankcrm.notch(cr) AS weight
  FROM (SELECT bankcrm.upgrade('D', i) AS cr
		  FROM generate_series(0, 21) AS i) AS s;

VACUUM ANALYZE bench_credit_rating.fact;
VACUUM ANALYZE bench_credit_rating.dim;

-- the three representations hold the same grades
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE cr::text = tx AND en::text = tx) AS consistent,
	   count(DISTINCT cr) AS grades,
	   pg_size_pretty(pg_relation_size('bench_credit_rating.fact')) AS table_size
  FROM bench_credit_rating.fact;

SELECT version() AS server,
	   datcollate AS default_collation
  FROM pg_database WHERE datname = current_database();

CREATE TEMP TABLE bench_timing (op text, col text, rep int, ms float8);
SET bench.reps = :reps;

DO $bench$
DECLARE
	reps		int := current_setting('bench.reps')::int;
	ops			text[] := ARRAY['sort', 'hash join', 'hash aggregate', 'index build'];
	plan_node	text[] := ARRAY['Sort', 'Hash Join', 'HashAggregate', NULL];
	cols		text[] := ARRAY['cr', 'en', 'tx', 'txc'];
	q			text;
	line		text;
	plan		text;
	t0			timestamptz;
	rep			int;
	o			int;
	k			int;
	c			int;
	w			int;
BEGIN
	FOR rep IN 0 .. reps LOOP
		FOR o IN 1 .. array_length(ops, 1) LOOP
			FOR k IN 0 .. array_length(cols, 1) - 1 LOOP
				-- rotate which representation goes first in each repetition
				c := (rep + k) % array_length(cols, 1) + 1;
				q := CASE ops[o]
					WHEN 'sort' THEN
						format('SELECT %I FROM bench_credit_rating.fact ORDER BY %I OFFSET 1000000',
							   cols[c], cols[c])
					WHEN 'hash join' THEN
						format('SELECT count(*), sum(d.weight) FROM bench_credit_rating.fact f '
							   'JOIN bench_credit_rating.dim d ON f.%I = d.%I',
							   cols[c], cols[c])
					WHEN 'hash aggregate' THEN
						format('SELECT %I, count(*) FROM bench_credit_rating.fact GROUP BY %I',
							   cols[c], cols[c])
					WHEN 'index build' THEN
						format('CREATE INDEX bench_idx ON bench_credit_rating.fact (%I)',
							   cols[c])
				END;

				-- repetition 0 makes sure each plan measures what its row is called
				IF rep = 0 THEN
					IF plan_node[o] IS NOT NULL THEN
						plan := '';
						FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
							plan := plan || line || E'\n';
						END LOOP;
						IF position(plan_node[o] IN plan) = 0 THEN
							RAISE EXCEPTION 'plan for % on % has no % node',
								ops[o], cols[c], plan_node[o]
								USING DETAIL = plan;
						END IF;
					END IF;
					CONTINUE;
				END IF;

				-- run twice, time the second run: the first one pays for
				-- memory that the previous, different query gave back
				FOR w IN 1 .. 2 LOOP
					t0 := clock_timestamp();
					EXECUTE q;
					IF w = 2 THEN
						INSERT INTO bench_timing
						VALUES (ops[o], cols[c], rep,
								extract(epoch FROM clock_timestamp() - t0) * 1000);
					END IF;
					IF ops[o] = 'index build' THEN
						DROP INDEX bench_credit_rating.bench_idx;
					END IF;
				END LOOP;
			END LOOP;
		END LOOP;
	END LOOP;
END
$bench$;

-- milliseconds and ratios (credit_rating time / other time): the median of
-- the repetitions, and the best one, which is the steadier figure on a
-- machine that is doing other work
WITH stat AS (
	SELECT op, col, 'median' AS statistic,
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms
	  FROM bench_timing GROUP BY op, col
	UNION ALL
	SELECT op, col, 'best', min(ms)
	  FROM bench_timing GROUP BY op, col
), wide AS (
	SELECT op, statistic,
		   max(ms) FILTER (WHERE col = 'cr') AS cr,
		   max(ms) FILTER (WHERE col = 'en') AS en,
		   max(ms) FILTER (WHERE col = 'tx') AS tx,
		   max(ms) FILTER (WHERE col = 'txc') AS txc
	  FROM stat GROUP BY op, statistic
)
SELECT op AS operation, statistic,
	   round(cr::numeric, 1) AS credit_rating_ms,
	   round(en::numeric, 1) AS enum_ms,
	   round(tx::numeric, 1) AS text_ms,
	   round(txc::numeric, 1) AS text_c_ms,
	   round((cr / en)::numeric, 2) AS "credit_rating/enum",
	   round((cr / tx)::numeric, 2) AS "credit_rating/text",
	   round((cr / txc)::numeric, 2) AS "credit_rating/text C"
  FROM wide
 ORDER BY array_position(ARRAY['sort', 'hash join', 'hash aggregate', 'index build'], op),
		  statistic DESC;

DROP SCHEMA bench_credit_rating CASCADE;
