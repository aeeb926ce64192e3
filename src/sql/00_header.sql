-- src/sql/00_header.sql
-- bankcrm install script, assembled from src/sql/*.sql in name order.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION bankcrm" to load this file. \quit
