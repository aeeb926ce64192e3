# test/data/bankgen/helpers.py: small helpers shared by the whole generator
#
# The seeded generator of a (table, block), COPY text formatting of values,
# dates, and weighted choices from (values, cumulative weights) tables.

import bisect
import datetime as dt
import random


def rng(seed, name, block=0):
    """A generator for one table and block; str seeds are hashed with SHA-512."""
    return random.Random(f'bankcrm:{seed}:{name}:{block}')


def esc(s):
    """COPY text escaping of a free-text value."""
    return s.replace('\\', '\\\\').replace('\t', '\\t').replace('\n', '\\n').replace('\r', '\\r')


def opt(v):
    return '\\N' if v is None else v


def dtxt(d):
    return '\\N' if d is None else d.isoformat()


def btxt(b):
    return 't' if b else 'f'


def ts(d, h, m, s=0):
    return f'{d.isoformat()} {h:02d}:{m:02d}:{s:02d}+08'


def add_days(d, n):
    return d + dt.timedelta(days=n)


def rand_date(r, lo, hi):
    """A date in [lo, hi] (inclusive)."""
    n = (hi - lo).days
    if n <= 0:
        return lo
    return lo + dt.timedelta(days=r.randint(0, n))


def weighted(pairs):
    """(values, cumulative weights) for r.choices."""
    vals, cum, t = [], [], 0.0
    for v, w in pairs:
        t += w
        vals.append(v)
        cum.append(t)
    return vals, cum


def pick(r, table):
    vals, cum = table
    return vals[bisect.bisect_right(cum, r.random() * cum[-1])]


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x
