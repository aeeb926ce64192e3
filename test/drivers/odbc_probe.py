#!/usr/bin/env python3
"""test/drivers/odbc_probe.py: what a BI tool sees through ODBC (psqlODBC).

    odbc_probe.py HOST PORT DBNAME ROLE

Connects through unixODBC and Debian's psqlODBC driver as ROLE (a login
member of bankcrm_analyst whose search_path includes bankcrm, as
doc/types.md tells a DBA to set) and checks the column types and remarks of
party_masked, a credit_rating comparison with a bound text parameter, and
the 42501 of a view the analyst may not read.  Prints TAP; exits 1 on a
failure.
"""
import sys

import pyodbc

DRIVER = '/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so'
host, port, db, role = sys.argv[1:5]
n = 0
failed = 0


def check(ok, what, extra=''):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print('%s %d - %s%s' % ('ok' if ok else 'not ok', n, what, (' # ' + extra) if extra and not ok else ''))


con = pyodbc.connect('Driver=%s;Server=%s;Port=%s;Database=%s;Uid=%s;Pwd=;' % (DRIVER, host, port, db, role),
                     autocommit=True)
cur = con.cursor()

# the companions arrive as plain SQL types
cur.execute('SELECT credit_rating, credit_rating_text, credit_rating_rank FROM party_masked '
            'WHERE credit_rating IS NOT NULL ORDER BY credit_rating_rank, party_id LIMIT 5')
rows = cur.fetchall()
types = {d[0]: d[1] for d in cur.description}
check(types['credit_rating_text'] is str, 'credit_rating_text arrives as a string', repr(types))
check(types['credit_rating_rank'] is int, 'credit_rating_rank arrives as an integer', repr(types))
check([r.credit_rating_rank for r in rows] == sorted(r.credit_rating_rank for r in rows) and rows[0].credit_rating_text == 'AAA',
      'sorted by credit_rating_rank, the best grade comes first', repr(rows))

# SQLColumns: the companions are a short VARCHAR and an INTEGER, which BI
# tools sort and group (a credit_rating column itself is an unknown type
# to the driver, reported as a 255-character VARCHAR that sorts
# alphabetically).  psqlODBC leaves REMARKS empty for every column, of
# tables too: the comments reach BI tools through JDBC (JdbcProbe.java)
cols = {c.column_name: c for c in cur.columns(table='party_masked', schema='bankcrm').fetchall()}
t = cols['credit_rating_text']
check(t.data_type in (pyodbc.SQL_VARCHAR, pyodbc.SQL_WVARCHAR) and t.column_size == 4,
      'SQLColumns: credit_rating_text is VARCHAR(4)', '%s %s' % (t.data_type, t.column_size))
check(cols['credit_rating_rank'].data_type == pyodbc.SQL_INTEGER, 'SQLColumns: credit_rating_rank is INTEGER',
      str(cols['credit_rating_rank'].data_type))

# a bound text parameter against a credit_rating column
cur.execute("SELECT count(*) FROM party_masked WHERE credit_rating >= 'BBB-'")
literal = cur.fetchone()[0]
cur.execute('SELECT count(*) FROM party_masked WHERE credit_rating >= ?', 'BBB-')
bound = cur.fetchone()[0]
check(literal > 0 and bound == literal, 'credit_rating >= ? with a bound string', '%s vs %s' % (bound, literal))

# a view that is not the analyst's: 42501, as doc/security.md says
try:
    cur.execute('SELECT count(*) FROM party_360')
    check(False, 'party_360 is refused to the analyst')
except pyodbc.Error as e:
    check('42501' in str(e), 'party_360 is refused to the analyst with 42501', str(e))

print('1..%d' % n)
sys.exit(1 if failed else 0)
