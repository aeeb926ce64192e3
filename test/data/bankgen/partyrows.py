# test/data/bankgen/partyrows.py: the party rows and what hangs off a party
#
# party, party_kyc (JSON answers), party_phone (unique mobile and fixed-line
# numbers), party_relation (households, parent companies, guarantors,
# referrals inside a block), coverage (RMs, team members, farmers, hunters,
# lobby managers with their history), and the ground-truth rows
# truth_churner and truth_hidden_gold.

import bisect
import datetime as dt
import json

from refdata import REGIONS, RATINGS

from .helpers import rng, esc, opt, dtxt, btxt, ts, add_days, rand_date, clamp
from .timeline import D, AS_OF, WEEK0


# ----------------------------------------------------------------------------
# party rows

def party_rows(cfg, b, parties):
    out = []
    for p in parties:
        created = ts(p.created, 9 + p.pid % 9, p.pid * 7 % 60, p.pid * 13 % 60)
        to = None if p.turnover is None else f'{p.turnover:.2f}'
        out.append('\t'.join((
            str(p.pid), p.kind, esc(p.name), opt(p.gender), opt(p.industry), p.region, dtxt(p.birth),
            opt(p.education), opt(p.occupation), opt(p.life_stage), opt(p.wealth_source), opt(p.involvement),
            opt(p.lifecycle), '\\N' if p.rating is None else RATINGS[p.rating], p.status, str(p.branch),
            dtxt(p.onboarded), dtxt(p.closed), opt(to), btxt(p.consent), btxt(p.dnc), created)) + '\n')
    return out


KYC_GOALS = ['retirement', 'children_education', 'home_purchase', 'wealth_preservation', 'business_expansion',
             'emergency_fund', 'travel', 'car_purchase', 'inheritance_planning']
KYC_HOBBIES = ['travel', 'tea', 'golf', 'reading', 'calligraphy', 'fitness', 'photography', 'cooking',
               'fishing', 'music', 'badminton', 'hiking', 'gardening', 'mahjong']


def kyc_rows(cfg, b, parties):
    r = rng(cfg.seed, 'party_kyc', b)
    out = []
    for p in parties:
        if p.kind != 'individual' or p.status not in ('active', 'dormant'):
            continue
        share = 0.85 if p.wealth >= 5e5 else 0.35
        if r.random() >= share:
            continue
        married = p.life_stage not in ('bachelor',)
        children = {'bachelor': 0, 'newly_married': 0}.get(p.life_stage, r.randint(1, 3))
        w = p.wealth
        income = ('<5k' if w < 2e4 else '5k-10k' if w < 1e5 else '10k-20k' if w < 5e5 else
                  '20k-50k' if w < 3e6 else '>50k')
        risk = 'C' + str(clamp(int(r.gauss(3 if p.age < 55 else 2, 1) + 0.5), 1, 5))
        ans = {
            'marital_status': ('married' if married and p.life_stage != 'solitary_survivor' else
                               'widowed' if p.life_stage == 'solitary_survivor' else 'single'),
            'children': children,
            'home_ownership': r.choice(['own', 'own', 'mortgage', 'rent']) if p.age >= 25 else
            r.choice(['family', 'rent']),
            'monthly_income_band': income,
            'risk_profile': risk,
            'investment_experience_years': clamp(int(r.expovariate(1 / 6)), 0, max(0, p.age - 18)),
            'financial_goals': sorted(r.sample(KYC_GOALS, r.randint(1, 3))),
            'hobbies': sorted(r.sample(KYC_HOBBIES, r.randint(0, 3))),
            'preferred_channel': r.choice(['mobile', 'phone', 'branch', 'wechat', 'email']),
            'preferred_contact_time': r.choice(['morning', 'lunch', 'afternoon', 'evening', 'weekend']),
        }
        if p.occupation in ('individual_merchant', 'business_owner'):
            ans['business_scope'] = p.industry or 'other'
            ans['business_years'] = clamp(int(r.uniform(1, p.age - 20)), 1, 40)
        reviewed = rand_date(r, max(p.onboarded, D(2023, 1, 1)), add_days(AS_OF, -1)) \
            if p.onboarded < add_days(AS_OF, -1) else p.onboarded
        out.append(f'{p.pid}\t{esc(json.dumps(ans, ensure_ascii=False, separators=(", ", ": ")))}\t'
                   f'{reviewed.isoformat()}\n')
    return out


def wallet_rows(cfg, b, parties):
    """wallet_estimate: what some living individuals hold in all, with us and
    elsewhere. Declared in KYC by most wealthy parties and some others, or
    estimated by the RM for the wealthy; the share kept with us follows a
    Beta(2, 3) law (mean 40 %), rounded to 10,000 CNY as people answer."""
    r = rng(cfg.seed, 'wallet_estimate', b)
    out = []
    for p in parties:
        if p.kind != 'individual' or p.status not in ('active', 'dormant') or p.wealth < 10000:
            continue
        if r.random() >= (0.6 if p.wealth >= 5e5 else 0.2):
            continue
        share = clamp(r.betavariate(2, 3), 0.05, 1.0)
        total = max(10000, round(p.wealth / share / 10000) * 10000)
        source = 'kyc' if p.wealth < 5e5 or r.random() < 0.5 else 'rm_estimate'
        on = rand_date(r, max(p.onboarded, D(2024, 1, 1)), add_days(AS_OF, -1)) \
            if p.onboarded < add_days(AS_OF, -1) else p.onboarded
        out.append(f'{p.pid}\t{total}\t{source}\t{on.isoformat()}\n')
    return out


# ----------------------------------------------------------------------------
# phones: mobiles 1[3-9]x + 8 digits, fixed lines area code + 7/8 digits not
# starting with 0 or 1; the digits are a bijection of (party, slot), so every
# number is unique across the bank

MOBILE_PREFIX = ['130', '131', '132', '133', '134', '135', '136', '137', '138', '139', '150', '151', '152',
                 '153', '155', '156', '157', '158', '159', '166', '173', '175', '176', '177', '178', '180',
                 '181', '182', '183', '185', '186', '187', '188', '189', '191', '195', '198', '199']


def mobile(pid, slot):
    x = pid * 4 + slot
    prefix = MOBILE_PREFIX[x % len(MOBILE_PREFIX)]
    y = x // len(MOBILE_PREFIX)
    digits = (y * 39_916_801 + 12_345_678) % 100_000_000   # odd multiplier coprime with 10: a bijection
    return f'+86{prefix}{digits:08d}'


def fixed_line(region_code, pid, slot):
    reg = REGIONS_BY_CODE[region_code]
    area, n = reg[4], reg[5]
    space = 7 * 10 ** (n - 1)                 # first digit 2..8
    x = (pid * 4 + slot) * 2_654_435_761 % space
    first = 2 + x // 10 ** (n - 1)
    return f'+86{area}{first}{x % 10 ** (n - 1):0{n - 1}d}'


REGIONS_BY_CODE = {x[0]: x for x in REGIONS}


def phone_rows(cfg, b, parties):
    r = rng(cfg.seed, 'party_phone', b)
    out = []
    for p in parties:
        rows = []
        if p.kind == 'individual':
            if p.status != 'active' and r.random() < 0.03:
                continue
            rows.append((mobile(p.pid, 0), 'mobile', True, r.random() < 0.9 if p.status != 'prospect' else r.random() < 0.3))
            x = r.random()
            if x < 0.18:
                rows.append((mobile(p.pid, 1), 'mobile', False, r.random() < 0.5))
            elif x < 0.28:
                rows.append((fixed_line(p.region, p.pid, 2), 'home', False, r.random() < 0.4))
            elif x < 0.32 and p.occupation in ('employee', 'professional', 'civil_servant', 'executive'):
                rows.append((fixed_line(p.region, p.pid, 3), 'work', False, r.random() < 0.4))
        else:
            rows.append((fixed_line(p.region, p.pid, 0), 'work', True, r.random() < 0.85))
            if r.random() < 0.6:
                rows.append((mobile(p.pid, 1), 'mobile', False, r.random() < 0.6))
            if r.random() < 0.25:
                rows.append((fixed_line(p.region, p.pid, 2), 'work', False, r.random() < 0.5))
            if r.random() < 0.08:
                rows.append((fixed_line(p.region, p.pid, 3), 'fax', False, False))
        for phone, kind, prim, ver in rows:
            out.append(f'{p.pid}\t{phone}\t{kind}\t{btxt(prim)}\t{btxt(ver)}\n')
    return out


# ----------------------------------------------------------------------------
# relations inside a block: households, parent companies, guarantors, referrals

def relation_rows(cfg, b, parties):
    r = rng(cfg.seed, 'party_relation', b)
    out = []
    seen = set()

    def rel(a, c, kind, since):
        key = (a.pid, c.pid, kind)
        if a.pid == c.pid or key in seen:
            return
        seen.add(key)
        out.append(f'{a.pid}\t{c.pid}\t{kind}\t{dtxt(since)}\n')

    def since_of(a, c):
        ds = [d for d in (a.onboarded or a.capture, c.onboarded or c.capture) if d is not None]
        return max(ds) if ds else None

    inds = [p for p in parties if p.kind == 'individual']
    corps = [p for p in parties if p.kind == 'corporate']
    by_region = {}
    for p in inds:
        by_region.setdefault(p.region, []).append(p)
    # households: spouses of similar age, and adult children of older members
    for reg in sorted(by_region):
        members = by_region[reg]
        men = [p for p in members if p.gender == 'm' and p.life_stage not in ('bachelor',)]
        women = [p for p in members if p.gender == 'f' and p.life_stage not in ('bachelor',)]
        women.sort(key=lambda p: p.age)
        used = set()
        for m in men:
            if r.random() >= 0.35:
                continue
            ages = [w.age for w in women]
            i = bisect.bisect_left(ages, m.age - 3)
            for w in women[i:i + 6]:
                if w.pid not in used and abs(w.age - m.age) <= 6:
                    used.add(w.pid)
                    rel(m, w, 'household', since_of(m, w))
                    break
        olds = [p for p in members if p.age >= 50]
        youngs = [p for p in members if 20 <= p.age <= 40]
        for o in olds:
            if youngs and r.random() < 0.08:
                c = r.choice(youngs)
                if 22 <= o.age - c.age <= 40:
                    rel(o, c, 'household', since_of(o, c))
    # parent companies: a larger corporate of the block
    big = sorted([c for c in corps if c.status != 'prospect'], key=lambda c: -c.turnover)[:max(1, len(corps) // 10)]
    for c in corps:
        if big and r.random() < 0.08:
            parent = r.choice(big)
            if parent.turnover > c.turnover * 3:
                rel(c, parent, 'parent_company', since_of(c, parent))
    # guarantors: another corporate, or a business owner for small companies
    owners = [p for p in inds if p.occupation == 'business_owner' and p.status == 'active']
    for c in corps:
        if c.status in ('active', 'dormant') and r.random() < 0.1:
            if owners and (c.turnover < 2e7 or r.random() < 0.3):
                g = r.choice(owners)
            elif corps:
                g = r.choice(corps)
            else:
                continue
            rel(c, g, 'guarantor', since_of(c, g))
    # referrals: an existing customer brought in a newer one
    actives = [p for p in inds if p.onboarded is not None]
    for p in inds:
        start = p.onboarded or p.capture
        if actives and r.random() < 0.05:
            ref = r.choice(actives)
            if ref.onboarded < start:
                rel(p, ref, 'referral', start)
    return out


# ----------------------------------------------------------------------------
# coverage

def coverage_rows(cfg, org, b, parties):
    r = rng(cfg.seed, 'coverage', b)
    out = []

    def row(p, sid, role, frm, to):
        frm = max(frm, org.hired[sid])
        if to is not None and to < frm:
            to = frm
        out.append(f'{p.pid}\t{sid}\t{role}\t{frm.isoformat()}\t{dtxt(to)}\n')

    for p in parties:
        pool = org.pool[p.branch]
        end = p.closed
        if p.rm is not None:
            start = p.onboarded
            if r.random() < 0.12 and start < D(2024, 1, 1):
                # the relationship changed hands: the former RM's coverage is history
                switch = rand_date(r, add_days(max(start, org.hired[pool['former_rm'][0]]), 30), D(2025, 12, 31))
                if end is not None and switch > end:
                    switch = end
                row(p, pool['former_rm'][0], 'primary_rm', start, add_days(switch, -1))
                start = switch
            row(p, p.rm, 'primary_rm', start, end)
            team = org.team_of[p.rm]
            mates = [s for s in (pool['corp_team'] if p.kind != 'individual' else []) if s != p.rm]
            if p.kind != 'individual':
                analysts = [s for s in pool['analyst'] if org.team_of[s] == team]
                if r.random() < 0.6:
                    members = analysts + (r.sample(mates, 1) if mates and r.random() < 0.5 else [])
                    for s in members:
                        row(p, s, 'team_member', start, end)
            elif r.random() < 0.3:
                cands = [s for s in pool['analyst'] if org.team_of[s] == team] or pool['analyst']
                row(p, r.choice(cands), 'team_member', start, end)
            if p.status != 'prospect' and r.random() < 0.35:
                row(p, r.choice(pool['farmer']), 'farmer', rand_date(r, start, add_days(AS_OF, -1)) if start < AS_OF else start, end)
        elif p.kind == 'individual' and p.status == 'active' and r.random() < 0.05:
            # mass customers: farmed by the branch to deepen the relationship
            row(p, r.choice(pool['farmer']), 'farmer', rand_date(r, p.onboarded, add_days(AS_OF, -1)), None)
        if p.hunter is not None:
            row(p, p.hunter, 'hunter', p.capture, None)
        if p.lobby is not None:
            row(p, p.lobby, 'lobby_manager', p.capture, None)
    return out


def truth_churner_rows(cfg, b, parties):
    out = []
    for p in parties:
        if p.churn:
            pattern, ds, exit_idx, _ = p.churn
            out.append(f'{p.pid}\t{(WEEK0 + dt.timedelta(weeks=ds)).isoformat()}\t'
                       f'{(WEEK0 + dt.timedelta(weeks=exit_idx)).isoformat()}\t{pattern}\n')
    return out


def truth_hidden_gold_rows(cfg, b, parties):
    return [f'{p.pid}\n' for p in parties if p.merchant == 'hidden_gold']
