-- sql/progress.sql: the view progress and the NOTICE lines of long
-- operations (src/progress.c); the test cluster preloads bankcrm, so the
-- slots are in shared memory
SET search_path = bankcrm, public;
\set VERBOSITY terse
SELECT count(*) FROM progress;
-- an operation shows while it runs, in the caller's own slot
BEGIN;
SELECT progress_begin('demo', 'first phase', 10);
SELECT progress_set(4);
SELECT pid = pg_backend_pid() AS mine, datname = current_database() AS here, usename = current_user AS me,
       command, phase, done, total, pct, started_at BETWEEN now() AND clock_timestamp() AS started, elapsed_s >= 0 AS elapsed
  FROM progress;
SELECT progress_phase('second phase', NULL);
SELECT command, phase, done, total, pct FROM progress;
-- an operation inside another is a phase of it, and gives the outer one back
SELECT progress_begin('inner', 'work', 3);
SELECT progress_set(2);
SELECT command, phase, done, total FROM progress;
SELECT progress_phase('more work', 5);
SELECT command, phase, done, total FROM progress;
SELECT progress_end();
SELECT command, phase, done, total FROM progress;
SELECT progress_end();
SELECT count(*) AS after_end FROM progress;
COMMIT;
-- the end of the transaction ends an operation left open
BEGIN;
SELECT progress_begin('left open', 'x', 1);
COMMIT;
SELECT count(*) AS after_commit FROM progress;
-- an error ends it too, also in a subtransaction
BEGIN;
SAVEPOINT a;
SELECT progress_begin('failing', 'x', 1);
SELECT 1 / 0;
ROLLBACK TO SAVEPOINT a;
SELECT count(*) AS after_error FROM progress;
COMMIT;
-- NOTICE lines at the interval the caller sets (the time is in the detail)
SET bankcrm.progress_notice_interval = 1;
DO $$
BEGIN
	PERFORM bankcrm.progress_begin('noticed', 'steps', 3);
	FOR i IN 1 .. 3 LOOP
		PERFORM pg_sleep(1.05);
		PERFORM bankcrm.progress_set(i);
	END LOOP;
	PERFORM bankcrm.progress_end();
END
$$;
SET bankcrm.progress_notice_interval = 0;
DO $$
BEGIN
	PERFORM bankcrm.progress_begin('quiet', 'steps', 1);
	PERFORM pg_sleep(1.05);
	PERFORM bankcrm.progress_set(1);
	PERFORM bankcrm.progress_end();
END
$$;
SET bankcrm.progress_notice_interval = -1;
RESET bankcrm.progress_notice_interval;
-- the operations that report leave nothing behind when they are done
SET bankcrm.progress_notice_interval = 1;
SELECT count(*) FROM segment_refresh_all();
SELECT parties FROM score_all(NULL, '2026-11-30');
RESET bankcrm.progress_notice_interval;
SELECT count(*) AS after_them FROM progress;
SELECT progress_begin(NULL);
