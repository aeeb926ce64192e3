# test/data/bankgen/parties.py: the parties of a block
#
# gen_parties() makes the 1000 parties of a block from the block's own
# generator: kind, region, branch, demographics, status and dates, wealth,
# rating, consent, coverage staff, the hidden-gold merchants and their
# decoys, the churning corporates (pattern, decline start, exit week) and the
# parameters of weekly activity.  Every other table of the block is derived
# from these P objects.

import bisect
import math

from refdata import REGIONS, BRAND, CORPORATE_INDUSTRIES, EMPLOYEE_INDUSTRIES, FI_SUFFIXES, GOV_AGENCIES

from .config import BLOCK
from .helpers import rng, add_days, rand_date, weighted, pick, clamp
from .names import person_name, company_name
from .timeline import D, AS_OF, N_WEEKS, WEEK0, WEEKS, week_index

KIND_MIX = [('individual', 880), ('corporate', 100), ('financial_institution', 6), ('government', 14)]


class P:
    __slots__ = ('pid', 'kind', 'name', 'gender', 'industry', 'region', 'birth', 'education', 'occupation',
                 'life_stage', 'wealth_source', 'involvement', 'lifecycle', 'rating', 'status', 'branch',
                 'onboarded', 'closed', 'turnover', 'consent', 'dnc', 'created', 'age', 'wealth', 'merchant',
                 'churn', 'act', 'rm', 'rm_from', 'hunter', 'lobby', 'capture')

    def __init__(self):
        for s in self.__slots__:
            setattr(self, s, None)


AGE_BANDS = weighted([((18, 22), 8), ((23, 29), 14), ((30, 39), 20), ((40, 49), 19), ((50, 59), 17),
                      ((60, 69), 14), ((70, 88), 8)])
WORK_OCC = weighted([('employee', 40), ('professional', 11), ('civil_servant', 6), ('business_owner', 5),
                     ('individual_merchant', 7.5), ('farmer', 9), ('executive', 3), ('homemaker', 5),
                     ('unemployed', 3), ('other', 4)])
OLD_OCC = weighted([('farmer', 5), ('business_owner', 3), ('individual_merchant', 2), ('other', 3),
                    ('employee', 2)])
EDU = {
    'professional': weighted([('bachelor', 50), ('master', 35), ('doctorate', 15)]),
    'executive': weighted([('bachelor', 50), ('master', 40), ('doctorate', 10)]),
    'civil_servant': weighted([('vocational', 10), ('bachelor', 65), ('master', 25)]),
    'employee': weighted([('secondary', 25), ('vocational', 30), ('bachelor', 38), ('master', 7)]),
    'farmer': weighted([('primary', 45), ('secondary', 50), ('vocational', 5)]),
    'individual_merchant': weighted([('primary', 15), ('secondary', 55), ('vocational', 20), ('bachelor', 10)]),
    'business_owner': weighted([('secondary', 30), ('vocational', 20), ('bachelor', 35), ('master', 15)]),
    'homemaker': weighted([('primary', 15), ('secondary', 55), ('vocational', 15), ('bachelor', 15)]),
    'unemployed': weighted([('primary', 20), ('secondary', 55), ('vocational', 20), ('bachelor', 5)]),
    'other': weighted([('primary', 10), ('secondary', 45), ('vocational', 25), ('bachelor', 20)]),
    'retired_old': weighted([('primary', 40), ('secondary', 42), ('vocational', 10), ('bachelor', 8)]),
    'retired': weighted([('primary', 15), ('secondary', 45), ('vocational', 20), ('bachelor', 17), ('master', 3)]),
}
LIFE = [
    (24, weighted([('bachelor', 95), ('newly_married', 5)])),
    (29, weighted([('bachelor', 55), ('newly_married', 25), ('full_nest_1', 20)])),
    (34, weighted([('bachelor', 20), ('newly_married', 15), ('full_nest_1', 60), ('full_nest_2', 5)])),
    (44, weighted([('bachelor', 8), ('full_nest_1', 30), ('full_nest_2', 55), ('full_nest_3', 7)])),
    (54, weighted([('bachelor', 5), ('full_nest_2', 25), ('full_nest_3', 60), ('empty_nest', 10)])),
    (64, weighted([('bachelor', 5), ('full_nest_3', 20), ('empty_nest', 72), ('solitary_survivor', 3)])),
    (74, weighted([('bachelor', 3), ('empty_nest', 80), ('solitary_survivor', 17)])),
    (200, weighted([('bachelor', 2), ('empty_nest', 50), ('solitary_survivor', 48)])),
]
WEALTH_MULT = {'student': 0.12, 'employee': 1.0, 'professional': 2.2, 'civil_servant': 1.4, 'business_owner': 3.5,
               'individual_merchant': 1.0, 'farmer': 0.35, 'retired': 1.6, 'homemaker': 0.8, 'unemployed': 0.2,
               'executive': 5.0, 'other': 0.7}
MERCHANT_IND = weighted([('wholesale', 35), ('commerce', 25), ('retail', 28), ('food', 6), ('hospitality', 6)])
GOLD_IND = weighted([('wholesale', 62), ('commerce', 30), ('retail', 8)])
EMP_IND = weighted(EMPLOYEE_INDUSTRIES)
CORP_IND = weighted(CORPORATE_INDUSTRIES)
LIFECYCLE = weighted([('introduction', 10), ('growth', 30), ('maturity', 45), ('decline', 15)])
FI_T = weighted(FI_SUFFIXES)
GOV_T = weighted([((a, i), w) for a, i, w in GOV_AGENCIES])


def rating_idx(r, mu, sd, lo=0, hi=21):
    x = int(round(r.gauss(mu, sd)))
    x = clamp(x, lo, hi)
    if x == 21 and r.random() < 0.6:
        x = 20
    return x


def gen_parties(cfg, org, b):
    """The parties of block b, with every decision other tables depend on."""
    r = rng(cfg.seed, 'party', b)
    n = min(BLOCK, cfg.parties - b * BLOCK)
    kinds = []
    for k, c in KIND_MIX:
        kinds += [k] * c
    r.shuffle(kinds)
    regions, cum = [], []
    t = 0.0
    for reg in org.footprint:
        t += reg[7]
        regions.append(reg)
        cum.append(t)
    out = []
    for i in range(n):
        p = P()
        p.pid = b * BLOCK + i + 1
        p.kind = kinds[i]
        if r.random() < 0.012:
            reg = r.choice(REGIONS)          # lives outside the footprint
        else:
            reg = regions[bisect.bisect_right(cum, r.random() * t)]
        p.region = reg[0]
        p.branch = org.home_branch(r, reg[0])
        if p.kind == 'individual':
            gen_individual(r, org, p, reg)
        elif p.kind == 'corporate':
            gen_corporate(r, org, p, reg)
        else:
            gen_institution(r, org, p, reg)
        out.append(p)
    return out


def onboarding(r, p, earliest, recent=0.35):
    lo = max(earliest, D(1998, 1, 1))
    hi = add_days(AS_OF, -1)
    # more customers joined recently: a mix of uniform and recent dates
    if r.random() < recent:
        lo = max(lo, D(2021, 1, 1))
    return rand_date(r, lo, hi) if lo < hi else hi


def set_status(r, p, mix, earliest):
    x = r.random()
    acc = 0.0
    status = mix[-1][0]
    for s, w in mix:
        acc += w
        if x < acc:
            status = s
            break
    p.status = status
    if status == 'prospect':
        p.capture = rand_date(r, D(2024, 1, 1), add_days(AS_OF, -1))
        p.created = p.capture
        return
    p.onboarded = onboarding(r, p, earliest)
    p.created = p.onboarded
    if status == 'closed':
        p.closed = rand_date(r, add_days(p.onboarded, 30), add_days(AS_OF, -1)) \
            if add_days(p.onboarded, 30) < AS_OF else add_days(AS_OF, -1)
        if p.closed < p.onboarded:
            p.closed = p.onboarded


def gen_individual(r, org, p, reg):
    p.gender = 'm' if r.random() < 0.505 else 'f'
    lo, hi = pick(r, AGE_BANDS)
    age = r.randint(lo, hi)
    p.age = age
    p.birth = add_days(D(AS_OF.year - age, 1, 1), -r.randint(0, 364) + (AS_OF - D(AS_OF.year, 1, 1)).days)
    p.name = person_name(r, p.gender)
    retire_age = 60 if p.gender == 'm' else 55
    if age <= 22 and r.random() < 0.75 or age <= 24 and r.random() < 0.3 or age <= 28 and r.random() < 0.04:
        occ = 'student'
    elif age >= retire_age and r.random() < (0.85 if age >= retire_age + 3 else 0.6):
        occ = 'retired'
    elif age >= retire_age:
        occ = pick(r, OLD_OCC)
    else:
        occ = pick(r, WORK_OCC)
        if occ == 'homemaker' and p.gender == 'm' and r.random() < 0.8:
            occ = 'employee'
        if occ == 'executive' and age < 30:
            occ = 'professional'
    p.occupation = occ
    # education: highest level attained
    if occ == 'student':
        p.education = ('secondary' if r.random() < 0.8 else 'vocational') if age <= 22 else \
            'bachelor' if age <= 24 else 'master'
    elif occ == 'retired':
        p.education = pick(r, EDU['retired_old' if age >= 70 else 'retired'])
    else:
        p.education = pick(r, EDU[occ])
        if age < 22 and p.education in ('bachelor', 'master', 'doctorate'):
            p.education = 'vocational'
        if age < 25 and p.education in ('master', 'doctorate'):
            p.education = 'bachelor'
    for top, tab in LIFE:
        if age <= top:
            p.life_stage = pick(r, tab)
            break
    if occ == 'student' or age < 22:
        p.life_stage = 'bachelor'        # legal marriage age: 22 for men, 20 for women
    # industry of work
    if occ in ('employee', 'professional', 'executive', 'business_owner'):
        p.industry = pick(r, EMP_IND)
    elif occ == 'civil_servant':
        x = r.random()
        p.industry = 'public_administration' if x < 0.7 else 'education' if x < 0.85 else 'healthcare'
    elif occ == 'farmer':
        p.industry = 'agriculture'
    elif occ == 'individual_merchant':
        p.industry = pick(r, MERCHANT_IND)
    elif occ == 'other' and r.random() < 0.5:
        p.industry = pick(r, EMP_IND)
    set_status(r, p, [('active', 0.80), ('prospect', 0.08), ('dormant', 0.08), ('closed', 0.04)],
               add_days(p.birth, 365 * 16 + 4))
    # wealth: financial assets the party keeps with us (AUM target)
    age_mult = 0.3 + min(age, 60) / 60.0 * 1.2 if age < 60 else 1.5
    w = math.exp(r.gauss(math.log(30000), 1.3)) * WEALTH_MULT[occ] * age_mult
    if r.random() < 0.004:
        w *= 15 * r.paretovariate(1.1)
    w = min(w, 3e9)
    # individual merchants: hidden gold and its decoys
    if occ == 'individual_merchant':
        x = r.random()
        if p.status == 'active' and x < 0.26:
            p.merchant = 'hidden_gold'
            p.industry = pick(r, GOLD_IND)
            p.turnover = math.exp(r.uniform(math.log(2.0e6), math.log(5.0e7)))
            w = r.uniform(8000, 180000)
        elif p.status == 'active' and x < 0.36:
            p.merchant = 'wealthy'
            p.turnover = math.exp(r.uniform(math.log(2.0e6), math.log(3.0e7)))
            w = max(w, math.exp(r.uniform(math.log(4.0e5), math.log(8.0e6))))
        elif x < 0.46:
            p.merchant = 'near'
            p.turnover = r.uniform(1.2e6, 1.99e6)
            w = min(w, r.uniform(10000, 150000))
        else:
            p.merchant = 'ordinary'
            p.turnover = min(math.exp(r.gauss(math.log(4.5e5), 0.7)), 1.95e6)
    if p.status == 'prospect':
        w = 0.0
    elif p.status == 'dormant':
        w = min(w * 0.03, 20000.0)
    p.wealth = w
    if w >= 5e5:
        if occ in ('business_owner', 'individual_merchant', 'executive'):
            p.wealth_source = 'created' if r.random() < 0.85 else 'inherited'
        elif age < 32:
            p.wealth_source = 'inherited' if r.random() < 0.7 else 'created'
        else:
            p.wealth_source = 'created' if r.random() < 0.6 else 'inherited'
        if w >= 1e8:
            p.involvement = 'uhnw'
        else:
            x = r.random()
            dl = 0.55 if occ == 'retired' or p.wealth_source == 'inherited' else 0.3
            p.involvement = 'delegator' if x < dl else 'participant' if x < dl + 0.4 else 'validator'
    # credit rating: customers with a credit history
    if p.status == 'prospect':
        p.rating = rating_idx(r, 7, 2.5) if r.random() < 0.2 else None
    elif r.random() < 0.7 and occ != 'student':
        p.rating = rating_idx(r, 6.5, 2.4)
    elif occ == 'student' and r.random() < 0.2:
        p.rating = rating_idx(r, 8, 2.0)
    p.dnc = r.random() < 0.03
    p.consent = (r.random() < 0.72) and not (p.dnc and r.random() < 0.9)
    # coverage: affluent customers have a relationship manager, prospects a hunter or the lobby manager
    pool = org.pool[p.branch]
    if p.status in ('active', 'dormant', 'closed') and w >= 5e5 and p.merchant != 'hidden_gold':
        p.rm = r.choice(pool['wealth_rm'] if w >= 2e6 or r.random() < 0.4 else pool['rel_rm'])
    elif p.status == 'prospect':
        x = r.random()
        if x < 0.35:
            p.lobby = r.choice(pool['lobby'])
        elif x < 0.55:
            p.hunter = r.choice(pool['hunter'])


def gen_corporate(r, org, p, reg):
    p.industry = pick(r, CORP_IND)
    p.turnover = clamp(math.exp(r.gauss(math.log(8e6), 1.2)), 3e5, 6e10)
    p.name = company_name(r, reg[6], p.industry, p.turnover)
    p.birth = rand_date(r, D(1985, 1, 1), D(2025, 6, 30))
    p.lifecycle = pick(r, LIFECYCLE)
    z = (math.log(p.turnover) - math.log(8e6)) / 1.2
    p.rating = rating_idx(r, 8.3 - 1.1 * z, 2.6)
    churn = r.random() < 0.05
    if churn:
        p.status = 'active'
        p.onboarded = rand_date(r, max(add_days(p.birth, 60), D(2000, 1, 1)), add_days(WEEK0, -60)) \
            if add_days(p.birth, 60) < add_days(WEEK0, -60) else add_days(WEEK0, -60)
        p.birth = min(p.birth, add_days(p.onboarded, -60))
        p.created = p.onboarded
        length = r.randint(12, 26)
        pattern = ('linear', 'stepwise', 'noisy')[r.randrange(3)]
        floor = r.uniform(0.04, 0.3)
        if r.random() < 0.6:
            exit_idx = r.randint(26 + length, N_WEEKS - 1)
        else:
            ds = r.randint(N_WEEKS - length, N_WEEKS - 4)
            exit_idx = ds + length
        ds = exit_idx - length
        p.churn = (pattern, ds, exit_idx, floor)
        if exit_idx <= N_WEEKS - 1:
            p.status = 'closed'
            exit_day = WEEKS[exit_idx]
            p.closed = min(add_days(exit_day, r.randint(1, 6)), add_days(AS_OF, -1))
        if pattern == 'noisy' and p.rating < 20:
            p.rating += r.randint(0, 2)
    else:
        x = r.random()
        p.status = 'active' if x < 0.89 else 'prospect' if x < 0.94 else 'dormant' if x < 0.97 else 'closed'
        if p.status == 'prospect':
            p.capture = rand_date(r, D(2024, 1, 1), add_days(AS_OF, -1))
            p.created = p.capture
            p.onboarded = None
        else:
            p.onboarded = onboarding(r, p, add_days(p.birth, 30), 0.1)
            if p.status in ('dormant', 'closed') and p.onboarded > add_days(WEEK0, -90):
                # dormant and closed corporates fell silent before the activity window
                p.onboarded = rand_date(r, max(add_days(p.birth, 30), D(1998, 1, 1)), add_days(WEEK0, -90)) \
                    if add_days(p.birth, 30) < add_days(WEEK0, -90) else add_days(WEEK0, -90)
                p.birth = min(p.birth, add_days(p.onboarded, -30))
            p.created = p.onboarded
            if p.status == 'closed':
                p.closed = rand_date(r, add_days(p.onboarded, 30), add_days(WEEK0, -7))
    if p.status == 'prospect':
        p.rating = p.rating if r.random() < 0.5 else None
    p.dnc = r.random() < 0.02
    p.consent = (r.random() < 0.75) and not p.dnc
    p.wealth = p.turnover * r.uniform(0.008, 0.045)    # balances kept with us
    if p.status in ('active', 'dormant', 'closed') or p.churn:
        pool = org.pool[p.branch]
        p.rm = r.choice(pool['corp_rm'])
    else:
        if r.random() < 0.7:
            p.hunter = r.choice(org.pool[p.branch]['hunter'])
    if p.status == 'active' or p.churn:
        gen_activity_params(r, p)


def gen_activity_params(r, p):
    start = 0
    if p.onboarded and p.onboarded > WEEK0:
        start = week_index(p.onboarded) + 1
    share = r.uniform(0.35, 1.0)
    txn = (p.turnover or 2e8) / 52.0 * share
    loan = 0.0
    if r.random() < 0.55:
        loan = (p.turnover or 2e8) * r.uniform(0.01, 0.06) / 52.0
    ticket = math.exp(r.gauss(math.log(2.5e4), 0.8))
    small = (p.turnover or 1e9) < 5e6
    sigma = r.uniform(0.16, 0.26) if small else r.uniform(0.06, 0.14)
    miss = r.uniform(0.03, 0.12) if (p.turnover or 1e9) < 3e6 else 0.0
    growth = r.uniform(0.0, 0.10) if not p.churn else r.uniform(0.0, 0.06)
    sens = r.uniform(0.7, 1.3)
    dip = None
    if not p.churn and r.random() < 0.15:
        dip = (r.randint(8, N_WEEKS - 12), r.randint(1, 3), r.uniform(0.35, 0.7))
    p.act = (start, txn, loan, ticket, sigma, miss, growth, sens, dip)


def gen_institution(r, org, p, reg):
    if p.kind == 'financial_institution':
        p.industry = 'finance'
        suffix = pick(r, FI_T)
        p.name = f'{reg[6]}{r.choice(BRAND)}{r.choice(BRAND)}{suffix}'
        p.rating = rating_idx(r, 3.0, 1.6, 0, 12)
        p.birth = rand_date(r, D(1985, 1, 1), D(2018, 12, 31))
        scale = math.exp(r.gauss(math.log(5e7), 1.0))
    else:
        agency, ind = pick(r, GOV_T)
        p.industry = ind
        p.name = f'{reg[6]}市{agency}' if not agency.endswith('公司') else f'{reg[6]}{agency}'
        p.rating = rating_idx(r, 1.0, 1.0, 0, 6)
        p.birth = rand_date(r, D(1950, 1, 1), D(2010, 12, 31))
        scale = math.exp(r.gauss(math.log(2.5e7), 1.0))
    p.status = 'active' if r.random() < 0.9 else 'prospect'
    if p.status == 'prospect':
        p.capture = rand_date(r, D(2024, 1, 1), add_days(AS_OF, -1))
        p.created = p.capture
    else:
        p.onboarded = onboarding(r, p, add_days(p.birth, 30), 0.1)
        p.created = p.onboarded
    p.dnc = False
    p.consent = r.random() < 0.6
    p.wealth = scale * r.uniform(0.04, 0.12)
    p.turnover = None
    if p.status == 'active':
        p.rm = r.choice(org.pool[p.branch]['corp_rm'])
        saved = p.turnover
        p.turnover = scale
        gen_activity_params(r, p)
        p.turnover = saved
    else:
        p.hunter = r.choice(org.pool[p.branch]['hunter'])
