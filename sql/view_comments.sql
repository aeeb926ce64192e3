-- sql/view_comments.sql: every view of the extension and every column of it
-- carries a comment (BI tools show them: ODBC SQLColumns REMARKS, JDBC
-- getColumns, psql \d+); a new view or column without one fails here
SELECT c.relname AS view_without_comment
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'bankcrm' AND c.relkind IN ('v', 'm') AND obj_description(c.oid, 'pg_class') IS NULL
 ORDER BY 1;
SELECT c.relname AS view, a.attname AS column_without_comment
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = 'bankcrm' AND c.relkind IN ('v', 'm') AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1, 2;
-- the views an analyst reads show no column of bankcrm's own types without a
-- plain-typed companion named after it (credit_rating_text, ..._text)
SELECT c.relname AS view, a.attname AS column, format_type(a.atttypid, NULL) AS type,
       EXISTS (SELECT FROM pg_attribute b WHERE b.attrelid = c.oid AND b.attname = a.attname || '_text') AS has_text_companion
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid AND t.typnamespace = n.oid
 WHERE n.nspname = 'bankcrm' AND c.relkind = 'v' AND has_table_privilege('bankcrm_analyst', c.oid, 'SELECT')
 ORDER BY 1, 2;
-- the views the analyst reads (doc/security.md, "Which views are whose")
SELECT string_agg(c.relname, ', ' ORDER BY c.relname) AS analyst_views
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'bankcrm' AND c.relkind = 'v' AND has_table_privilege('bankcrm_analyst', c.oid, 'SELECT');
