-- src/sql/updates/bankcrm--0.1.0--0.2.0.sql
-- Update from release 0.1.0 to 0.2.0: each change made to src/sql since
-- 0.1.0, made the same way here (doc/releasing.md). test/t/002_upgrade.pl
-- checks that an updated installation equals a fresh one.

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION bankcrm UPDATE TO '0.2.0'" to load this file. \quit
