#!/usr/bin/env python3
"""test/data/generate.py: the deterministic synthetic bank.

Writes the rows of every bankcrm table, and the ground truth, as PostgreSQL
COPY text.  The same seed and size give byte-identical output, whatever the
number of worker processes.

    generate.py --size ci|demo|bench [--parties N] [--seed S] --script
        a complete psql script (one transaction) loading everything
    generate.py --size ci --table party
        the COPY rows of one table (see --list-tables)

Parties are generated in blocks of 1000; every block draws from its own
random generators, seeded from (seed, table, block), so a block can be
generated alone, in any process, and the blocks are written in order.

The generator itself is the package bankgen next to this file (one module
per concern, see bankgen/__init__.py); this file is the command line.

Python 3.11 standard library only.
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True     # keep the source tree clean of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bankgen.config import SIZES, DEFAULT_SEED, Config  # noqa: E402
from bankgen.output import GLOBAL_TABLES, BLOCK_TABLES, COLUMNS, write_script, write_table  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description='Deterministic synthetic bank for bankcrm (COPY text output).')
    ap.add_argument('--size', choices=sorted(SIZES), help='ci (10 k parties), demo (100 k), bench (1 M)')
    ap.add_argument('--parties', type=int, help='number of parties (overrides the size)')
    ap.add_argument('--seed', type=int, default=DEFAULT_SEED, help=f'random seed (default {DEFAULT_SEED})')
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument('--script', action='store_true', help='write a psql script loading everything')
    mode.add_argument('--table', help='write the COPY rows of one table')
    mode.add_argument('--list-tables', action='store_true', help='list the tables in load order')
    ap.add_argument('--jobs', type=int, default=0, help='worker processes (default: number of CPUs)')
    ap.add_argument('--skip', action='append', default=[], metavar='TABLE',
                    help='leave out a table the database does not have (an earlier release); repeatable')
    a = ap.parse_args(argv)
    if a.list_tables:
        for t in GLOBAL_TABLES + BLOCK_TABLES + ['truth_meta']:
            print(t, COLUMNS[t], sep='\t')
        return 0
    if a.size is None and a.parties is None:
        ap.error('give --size or --parties')
    parties = a.parties if a.parties is not None else SIZES[a.size]
    if parties < 1:
        ap.error('--parties must be at least 1')
    size = a.size if a.parties is None or (a.size and SIZES[a.size] == a.parties) else 'custom'
    cfg = Config(size, parties, a.seed)
    jobs = a.jobs or os.cpu_count() or 1
    out = open(sys.stdout.fileno(), 'w', encoding='utf-8', newline='\n', buffering=1 << 20, closefd=False)
    try:
        if a.script:
            for t in a.skip:
                if t not in BLOCK_TABLES:
                    ap.error(f'only tables of parties can be skipped, not {t!r}')
            write_script(cfg, out, jobs, skip=set(a.skip))
        else:
            if a.table not in COLUMNS:
                ap.error(f'unknown table {a.table!r} (see --list-tables)')
            write_table(cfg, a.table, out, jobs)
        out.flush()
    except BrokenPipeError:
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
