#!/usr/bin/env python3
"""test/doc/doctest.py: run every SQL example of README.md and doc/**/*.md.

    doctest.py --template DB [--only PAGE] [PAGE.md ...]

Each page runs in a database of its own, copied from the template (the ci
bank after the tour, as test/run's doc stage makes it), in one psql session,
statement by statement in page order.  The conventions (doc/README.md,
"Examples that run"):

  ```sql block            every statement runs and must succeed
  stmt;  -- ERROR 42501   the statement must fail with this SQLSTATE
  stmt;  -- → a | b       the statement returns one row: these values
                          (two blanks end them: "-- → t  (a remark)")
  stmt;                   a psql table (header, ---+--- line, rows) in
  --  a | b               comment lines right below the statement: the
  -- ---+---              statement returns exactly these rows (cells are
  --  1 | x               compared with surrounding blanks trimmed)
  <!-- doctest: skip REASON -->   on the line before a block: not run
  <!-- doctest: rules -->         each line of the block is a segment rule
                                  that segment_check_rule() must accept (a
                                  line starting with a blank, AND or OR
                                  continues the one above)

Uses psql from PATH with the caller's PGHOST, PGPORT and PGUSER.  Prints one
line a page ("ok"/"FAILED") and, for failures, what differed; exits 1 when
any page failed.
"""
import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import threading

MARK = re.compile(r'<!--\s*doctest:\s*(\w+)\s*(.*?)\s*-->')
ERROR_MARK = re.compile(r'--\s*ERROR\s+([0-9A-Z]{5})\b')
ARROW = re.compile(r'--\s*→\s?(.*)$')
SEPARATOR = re.compile(r'^-+(\+-+)*$')


def blocks(path):
    """(line number, mark, mark argument, lines) of each ```sql block"""
    out = []
    lines = open(path, encoding='utf-8').read().split('\n')
    i = 0
    mark, arg = None, ''
    while i < len(lines):
        m = MARK.search(lines[i])
        if m:
            mark, arg = m.group(1), m.group(2)
        elif lines[i].strip() == '```sql':
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].startswith('```'):
                j += 1
            out.append((start, mark, arg, lines[start:j]))
            mark, arg = None, ''
            i = j
        elif lines[i].strip():
            mark, arg = None, ''
        i += 1
    return out


def split_statements(lines):
    """[(first line index, last line index, text, trailing comment)]

    A statement ends at a ';' outside quotes, dollar quotes and comments; a
    line starting with a backslash is a psql command of its own."""
    stmts = []
    buf = []
    first = None
    in_quote = None       # "'", '"', or a dollar tag
    block_comment = 0
    for n, line in enumerate(lines):
        if not buf and not in_quote and not block_comment and line.lstrip().startswith('\\'):
            stmts.append((n, n, line, ''))
            continue
        i = 0
        end_at = None
        while i < len(line):
            c = line[i]
            if block_comment:
                if line.startswith('*/', i):
                    block_comment -= 1
                    i += 2
                    continue
                if line.startswith('/*', i):
                    block_comment += 1
                    i += 2
                    continue
                i += 1
                continue
            if in_quote:
                if in_quote in ("'", '"'):
                    if c == in_quote:
                        in_quote = None
                    i += 1
                    continue
                if line.startswith(in_quote, i):
                    i += len(in_quote)
                    in_quote = None
                    continue
                i += 1
                continue
            if line.startswith('--', i):
                break
            if line.startswith('/*', i):
                block_comment = 1
                i += 2
                continue
            if c in ("'", '"'):
                in_quote = c
                i += 1
                continue
            if c == '$':
                m = re.match(r'\$([A-Za-z_][A-Za-z_0-9]*)?\$', line[i:])
                if m and not (i > 0 and (line[i - 1].isalnum() or line[i - 1] == '_')):
                    in_quote = m.group(0)
                    i += len(in_quote)
                    continue
            if c == ';':
                end_at = i
                break
            i += 1
        if end_at is not None:
            if first is None:
                first = n
            buf.append(line[:end_at + 1])
            rest = line[end_at + 1:]
            trailing = rest.strip() if rest.strip().startswith('--') else ''
            stmts.append((first, n, '\n'.join(buf), trailing))
            buf = []
            first = None
            if rest.strip() and not rest.strip().startswith('--'):
                raise ValueError('one statement a line, please: %r' % line)
            continue
        if buf or line.strip():
            if first is None and not line.strip().startswith('--'):
                first = n
            buf.append(line)
    if any(l.strip() and not l.strip().startswith('--') for l in buf):
        raise ValueError('statement without a terminating semicolon: %r' % '\n'.join(buf))
    return stmts


def expectation(lines, stmt):
    """('error', sqlstate) | ('rows', header or None, [cells...]) | None"""
    first, last, text, trailing = stmt
    m = ERROR_MARK.search(trailing)
    if m:
        return ('error', m.group(1))
    m = ARROW.search(trailing)
    if m:
        # the value ends at two blanks: "-- → true  (a remark)"
        return ('rows', None, [cells(re.split(r'\s{2,}', m.group(1).strip())[0])])
    shown = []
    for line in lines[last + 1:]:
        s = line.strip()
        if not s.startswith('--'):
            break
        shown.append(s[2:])
    m = ERROR_MARK.search('--' + shown[0]) if shown else None
    if m:
        return ('error', m.group(1))
    if len(shown) >= 2 and SEPARATOR.match(shown[1].strip()):
        rows = []
        for s in shown[2:]:
            if not s.strip():
                break
            rows.append(cells(s))
        return ('rows', cells(shown[0]), rows)
    return None


def cells(line):
    return [c.strip() for c in line.split('|')]


NOISE = re.compile(r'^(NOTICE|WARNING|INFO|DETAIL|HINT|CONTEXT|LOCATION|QUERY|psql:.*?(NOTICE|WARNING|INFO|DETAIL|HINT|CONTEXT|LOCATION|QUERY)):')


def check_output(exp, out):
    """a complaint, or None"""
    errors = re.findall(r'ERROR:\s+([0-9A-Z]{5}):', out)
    if exp and exp[0] == 'error':
        if not errors:
            return 'expected ERROR %s, the statement succeeded' % exp[1]
        if errors[0] != exp[1]:
            return 'expected ERROR %s, got %s' % (exp[1], errors[0])
        return None
    if errors:
        return 'unexpected error'
    if not exp:
        return None
    header, rows = exp[1], exp[2]
    lines = [l for l in out.split('\n') if l.strip() and not NOISE.match(l)]
    if len(lines) < 2 or not SEPARATOR.match(lines[1].strip()):
        return 'expected rows, the statement printed none'
    got_header = cells(lines[0])
    got_rows = [cells(l) for l in lines[2:]]
    if header is not None and header != got_header:
        return 'columns differ: page shows %s, got %s' % (header, got_header)
    if [norm(r) for r in rows] != [norm(r) for r in got_rows]:
        return 'rows differ'
    return None


def norm(row):
    return [{'true': 't', 'false': 'f'}.get(c, c) for c in row]


def psql(db, script):
    p = subprocess.run(['psql', '-X', '-q', '-d', db, '-v', 'VERBOSITY=verbose',
                        '-P', 'pager=off', '-P', 'footer=off'],
                       input=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    return p.stdout


create_lock = threading.Lock()


def run_page(path, template, name, counts):
    todo = []      # (where, statement text, expectation)
    for start, mark, arg, lines in blocks(path):
        where = '%s:%d' % (path, start)
        if mark == 'skip':
            counts[3].append('  %s: not run (%s)' % (where, arg or 'no reason given'))
            continue
        if mark == 'rules':
            # a rule a line; a line that starts with a blank, AND or OR
            # continues the rule above
            rules = []
            for k, line in enumerate(lines):
                if not line.strip():
                    continue
                if rules and (line[0].isspace() or re.match(r'(AND|OR)\b', line)):
                    rules[-1][1].append(line.strip())
                else:
                    rules.append((k, [line.strip()]))
            for k, rule in rules:
                todo.append(('%s:%d' % (path, start + k + 1),
                             'SELECT bankcrm.segment_check_rule($doc$%s$doc$);' % ' '.join(rule), None))
            continue
        try:
            stmts = split_statements(lines)
        except ValueError as e:
            return ['%s: %s' % (where, e)]
        for st in stmts:
            todo.append(('%s:%d' % (path, start + st[0] + 1), st[2], expectation(lines, st)))
    if not todo:
        return None
    db = 'doc_' + name
    # one copy of the template at a time (a copy reads the template whole)
    with create_lock:
        subprocess.run(['psql', '-X', '-q', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1',
                        '-c', 'SET client_min_messages = warning', '-c', 'DROP DATABASE IF EXISTS %s' % db,
                        '-c', 'CREATE DATABASE %s TEMPLATE %s' % (db, template)], check=True)
    script = []
    for k, (where, text, exp) in enumerate(todo):
        script.append('\\echo @@doc %d' % k)
        script.append(text)
    script.append('\\echo @@doc end')
    out = psql(db, '\n'.join(script) + '\n')
    parts = re.split(r'^@@doc (\d+|end)\n', out, flags=re.M)
    got = {}
    for k in range(1, len(parts) - 1, 2):
        if parts[k] != 'end':
            got[int(parts[k])] = parts[k + 1]
    problems = []
    for k, (where, text, exp) in enumerate(todo):
        o = got.get(k)
        if o is None:
            problems.append('%s: no output (the session ended?)\n%s' % (where, out[-2000:]))
            break
        why = check_output(exp, o)
        if why:
            shown = ''
            if exp and exp[0] == 'rows':
                shown = '\n    page shows:\n' + '\n'.join(
                    '      ' + ' | '.join(r) for r in ([exp[1]] if exp[1] else []) + exp[2])
            problems.append('%s: %s\n    %s%s\n    got:\n%s' % (
                where, why, text.strip().replace('\n', '\n    '), shown,
                '\n'.join('      ' + l for l in o.rstrip().split('\n'))))
    subprocess.run(['psql', '-X', '-q', '-d', 'postgres', '-c', 'DROP DATABASE IF EXISTS %s WITH (FORCE)' % db])
    counts[0] = len(todo)
    counts[1] = sum(1 for t in todo if t[2] and t[2][0] == 'rows')
    counts[2] = sum(1 for t in todo if t[2] and t[2][0] == 'error')
    return problems


def pages(top):
    out = [os.path.join(top, 'README.md')]
    out += sorted(glob.glob(os.path.join(top, 'doc', '*.md')))
    out += sorted(glob.glob(os.path.join(top, 'doc', '*', '*.md')))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--template', required=True)
    ap.add_argument('--jobs', type=int, default=2, help='pages run at the same time (default 2)')
    ap.add_argument('pages', nargs='*')
    a = ap.parse_args()
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.chdir(top)
    todo = a.pages or [os.path.relpath(p, top) for p in pages(top)]
    failed = 0

    def one(path):
        counts = [0, 0, 0, []]   # statements, results, errors; notes
        name = re.sub(r'\W', '_', os.path.splitext(path)[0]).lower()
        return run_page(path, a.template, name, counts), counts

    # pages run side by side, each in its own database; reported in page order
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        results = list(pool.map(one, todo))
    for path, (problems, counts) in zip(todo, results):
        for note in counts[3]:
            print(note)
        if problems is None:
            continue
        if problems:
            failed += 1
            print('FAILED %s' % path)
            for p in problems:
                print('  ' + p)
        else:
            print('ok     %s  (%d statements; %d results and %d errors checked)' % (path, counts[0], counts[1], counts[2]))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
