#!/usr/bin/env python3
"""test/bench/churn_gen.py: a second, independent generator of corporate
weekly activity, for judging the churn early warning on data it was not
built on (test/data/ is the project's own bank; this shares no code with it).

Every party is a corporate with three metrics a week (loan volume,
transaction volume, transaction count) over `weeks` weeks from a Monday in
`start_year`.  The seasons:

  - Chinese New Year, on its lunar date (table below): the week before it
    a pay-out surge, its own week and the next far below the level;
  - the national-day golden week (1-7 October): a low week;
  - quarter ends: the last week of March, June, September and December
    above the level (settlements, loan drawdowns);
  - multiplicative log-normal noise of `noise` (5-25 %) a week, Poisson
    counts.

Kinds of party (ground truth in the `truth` rows):

  - churner (`churn` share, 8 %): from a random week the level declines
    over `churn_min`-`churn_max` weeks (linear, convex or step shape) to a
    few percent of its level, then the party has no more rows; exit_week
    is the first week without a row;
  - dip (`dip` share, 5 %): stable, with one or two dips of
    `dip_min`-`dip_max` weeks to 20-60 % of the level;
  - stable: a yearly trend drawn from [`trend_min`, `trend_max`] (a
    slowly shrinking company down to -8 %/year, a growing one).

Output: CSV lines for COPY, "A,setting,party,week,loan,txn,count" for
activity and "T,setting,party,kind,trend,decline_start,exit_week" for
truth.  Deterministic for a seed.

    churn_gen.py --setting base --seed 11 --parties 1000 [--noise 0.1 ...]
"""
import argparse
import datetime as dt
import math
import random
import sys

# Chinese New Year (first day of the first lunar month), Gregorian dates
LUNAR_NEW_YEAR = {
    2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12),
    2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17),
    2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3),
}


def monday(d):
    return d - dt.timedelta(days=d.weekday())


def season_of(weeks, start):
    """Per week: (multiplier for volumes, multiplier for counts), the same
    for every party up to its own amplitudes (returned as flags)."""
    flags = []
    cny = {monday(dt.date(y, m, d)) for y, (m, d) in LUNAR_NEW_YEAR.items()}
    golden = {monday(dt.date(y, 10, 1)) for y in LUNAR_NEW_YEAR}
    for i in range(weeks):
        w = start + dt.timedelta(weeks=i)
        f = set()
        if w in cny:
            f.add('cny0')
        if w - dt.timedelta(weeks=1) in cny:
            f.add('cny1')
        if w + dt.timedelta(weeks=1) in cny:
            f.add('precny')
        if w in golden:
            f.add('golden')
        end = w + dt.timedelta(days=6)
        if end.month in (3, 6, 9, 12) and (end + dt.timedelta(days=7)).month != end.month:
            f.add('qend')
        flags.append(f)
    return flags


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def decline_factor(shape, x):
    """Remaining share of the level at progress x in [0, 1] of the decline."""
    floor = 0.04
    if shape == 'linear':
        r = 1 - x
    elif shape == 'convex':
        r = (1 - x) ** 2        # falls fast, then trails off
    else:                       # step: two plateaus, then the end
        r = 1.0 if x < 0.34 else (0.55 if x < 0.67 else 0.2)
    return floor + (1 - floor) * r


def generate(a, out):
    rng = random.Random(a.seed)
    start = monday(dt.date(a.start_year, 1, 4))
    flags = season_of(a.weeks, start)
    for pid in range(1, a.parties + 1):
        u = rng.random()
        kind = 'churner' if u < a.churn else ('dip' if u < a.churn + a.dip else 'stable')
        trend = rng.uniform(a.trend_min, a.trend_max)
        level_txn = math.exp(rng.uniform(math.log(2e5), math.log(5e7)))
        level_loan = level_txn * rng.uniform(0.0, 0.8) if rng.random() < 0.7 else 0.0
        level_cnt = rng.uniform(8, 400)
        noise = a.noise * rng.uniform(0.7, 1.3)
        amp = {
            'cny0': rng.uniform(0.3, 0.65), 'cny1': rng.uniform(0.15, 0.4),
            'precny': rng.uniform(0.05, 0.3), 'golden': rng.uniform(0.2, 0.5),
            'qend': rng.uniform(0.1, 0.45),
        }
        decline_start = exit_week = None
        dips = []
        if kind == 'churner':
            dur = rng.randint(a.churn_min, a.churn_max)
            decline_start = rng.randint(30, a.weeks + 20 - dur)
            exit_week = decline_start + dur
            shape = rng.choice(['linear', 'convex', 'step'])
        elif kind == 'dip':
            for _ in range(rng.choice([1, 1, 2])):
                ln = rng.randint(a.dip_min, a.dip_max)
                dips.append((rng.randint(20, a.weeks - ln - 1), ln, rng.uniform(0.2, 0.6)))
        for i in range(a.weeks):
            if exit_week is not None and i >= exit_week:
                break
            level = (1 + trend) ** (i / 52.0)
            if decline_start is not None and i >= decline_start:
                level *= decline_factor(shape, (i - decline_start + 1) / (exit_week - decline_start))
            for s0, ln, depth in dips:
                if s0 <= i < s0 + ln:
                    level *= depth
            vol = 1.0
            cntf = 1.0
            f = flags[i]
            if 'cny0' in f:
                vol *= 1 - amp['cny0']
                cntf *= 1 - amp['cny0']
            if 'cny1' in f:
                vol *= 1 - amp['cny1']
                cntf *= 1 - amp['cny1']
            if 'precny' in f:
                vol *= 1 + amp['precny']
            if 'golden' in f:
                vol *= 1 - amp['golden']
                cntf *= 1 - amp['golden']
            if 'qend' in f:
                vol *= 1 + amp['qend']
            week = start + dt.timedelta(weeks=i)
            txn = level_txn * level * vol * math.exp(rng.gauss(0, noise) - noise * noise / 2)
            loan = level_loan * level * (1 + (vol - 1) * 0.5) * math.exp(rng.gauss(0, noise / 2) - noise * noise / 8)
            cnt = poisson(rng, level_cnt * level * cntf)
            out.write('A,%s,%d,%s,%.2f,%.2f,%d\n' % (a.setting, pid, week.isoformat(), loan, txn, cnt))
        out.write('T,%s,%d,%s,%.4f,%s,%s\n' % (
            a.setting, pid, kind, trend,
            (start + dt.timedelta(weeks=decline_start)).isoformat() if decline_start is not None else '',
            (start + dt.timedelta(weeks=exit_week)).isoformat() if exit_week is not None and exit_week < a.weeks else ''))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--setting', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--parties', type=int, default=1000)
    ap.add_argument('--weeks', type=int, default=156)
    ap.add_argument('--start-year', type=int, default=2023)
    ap.add_argument('--noise', type=float, default=0.10)
    ap.add_argument('--churn', type=float, default=0.08)
    ap.add_argument('--dip', type=float, default=0.05)
    ap.add_argument('--churn-min', type=int, default=12)
    ap.add_argument('--churn-max', type=int, default=26)
    ap.add_argument('--dip-min', type=int, default=1)
    ap.add_argument('--dip-max', type=int, default=3)
    ap.add_argument('--trend-min', type=float, default=-0.05)
    ap.add_argument('--trend-max', type=float, default=0.12)
    generate(ap.parse_args(), sys.stdout)


if __name__ == '__main__':
    main()
