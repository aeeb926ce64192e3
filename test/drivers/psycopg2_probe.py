#!/usr/bin/env python3
"""test/drivers/psycopg2_probe.py: what an application sees through psycopg2.

    psycopg2_probe.py HOST PORT DBNAME ROLE

As ROLE (a login member of bankcrm_analyst whose search_path includes
bankcrm, doc/types.md), compares credit_rating with a parameter the way an
application writes it (psycopg2 quotes the value into the statement), and
with the text the application holds in a column of its own; prints TAP and
exits 1 on a failure.
"""
import sys

import psycopg2

host, port, db, role = sys.argv[1:5]
n = 0
failed = 0


def check(ok, what, extra=''):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print('%s %d - %s%s' % ('ok' if ok else 'not ok', n, what, (' # ' + extra) if extra and not ok else ''))


con = psycopg2.connect(host=host, port=port, dbname=db, user=role)
con.autocommit = True
cur = con.cursor()
cur.execute("SELECT count(*) FROM party_masked WHERE credit_rating >= 'BBB-'")
literal = cur.fetchone()[0]
cur.execute('SELECT count(*) FROM party_masked WHERE credit_rating >= %s', ('BBB-',))
check(literal > 0 and cur.fetchone()[0] == literal, 'credit_rating >= %s with a Python str')
# a value typed text in the statement: a column of the application's, a cast
cur.execute('SELECT count(*) FROM party_masked WHERE credit_rating >= %s::text', ('BBB-',))
check(cur.fetchone()[0] == literal, 'credit_rating >= a text value')
cur.execute('SELECT credit_rating_text, credit_rating_rank FROM party_masked WHERE credit_rating IS NOT NULL '
            'ORDER BY credit_rating_rank, party_id LIMIT 1')
row = cur.fetchone()
check(row == ('AAA', 1), 'the companions arrive as str and int, best grade first', repr(row))
try:
    cur.execute("SELECT count(*) FROM party_masked WHERE credit_rating >= %s", ('BBB--',))
    check(False, 'a bad grade is refused')
except psycopg2.Error as e:
    check(e.pgcode == '22P02', 'a bad grade is refused with 22P02', str(e.pgcode))
print('1..%d' % n)
sys.exit(1 if failed else 0)
