# test/data/bankgen/activity.py: activity_weekly rows and the churn shapes
#
# Weekly loan and transaction volumes and transaction counts of active
# organisations: growth, seasonality, noise, missing weeks, temporary dips,
# ramp-up after onboarding, and the linear, stepwise or noisy decline of a
# churner down to its floor until the exit week.

import math

from .helpers import rng
from .timeline import N_WEEKS, WEEK_TXT, SEASON


def churn_factor(pattern, ds, exit_idx, floor, w):
    if w < ds:
        return 1.0
    length = exit_idx - ds
    t = (w - ds) / length
    if pattern == 'stepwise':
        steps = 3 if length < 18 else 4
        t = math.floor(t * steps + 1e-9) / steps
    return 1.0 - (1.0 - floor) * t


def activity_rows(cfg, b, parties):
    r = rng(cfg.seed, 'activity_weekly', b)
    gauss = r.gauss
    rand = r.random
    exp = math.exp
    out = []
    app = out.append
    season = SEASON
    wtxt = WEEK_TXT
    for p in parties:
        if p.act is None:
            continue
        start, txn, loan, ticket, sigma, miss, growth, sens, dip = p.act
        end = N_WEEKS - 1
        ch = p.churn
        if ch:
            end = min(end, ch[2])
        pid = p.pid
        lg = math.log1p(growth) / 52.0
        for w in range(start, end + 1):
            if miss and rand() < miss and not (ch and w == ch[2]):
                continue
            f = exp(lg * w) * season[w] ** sens
            if w - start < 8 and start > 0:
                f *= 0.35 + 0.65 * (w - start + 1) / 8.0
            if dip and dip[0] <= w < dip[0] + dip[1]:
                f *= dip[2]
            cf = 1.0
            noise = sigma
            if ch and w >= ch[1]:
                cf = churn_factor(ch[0], ch[1], ch[2], ch[3], w)
                if ch[0] == 'noisy':
                    noise = sigma + 0.22
            v = txn * f * cf * exp(gauss(0.0, noise) - noise * noise / 2)
            lv = loan * f ** 0.4 * cf ** 1.3 * exp(gauss(0.0, 0.05)) if loan else 0.0
            c = int(v / ticket * (0.9 + 0.2 * rand()) + 0.5)
            if c == 0 and v >= 1.0:
                c = 1
            app(f'{pid}\t{wtxt[w]}\t{lv:.2f}\t{v:.2f}\t{c}\n')
    return out


def level_now(p):
    """The party's activity level in the last week (1 for parties not churning)."""
    if not p.churn:
        return 1.0
    pattern, ds, exit_idx, floor = p.churn
    return churn_factor(pattern, ds, exit_idx, floor, min(N_WEEKS - 1, exit_idx))
