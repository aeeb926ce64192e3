# test/data/bankgen/holdings.py: holding rows
#
# The products each party holds, with balance, rate, fees year to date and
# monthly contribution (margin against the funds transfer price, less the
# expected loss, plus fees); individuals and organisations separately.

import math

from refdata import PD, LGD, PRODUCT_ID

from .activity import level_now
from .helpers import rng, dtxt, add_days, rand_date, clamp
from .timeline import D, AS_OF, YEAR_START

FTP = 0.025                              # funds transfer price


def yfrac(opened):
    start = max(opened, YEAR_START)
    return max(0, (AS_OF - start).days) / 365.0


class Holdings:
    def __init__(self, r, p):
        self.r = r
        self.p = p
        self.rows = []
        self.closed = p.closed

    def add(self, code, balance, rate, fee, margin, opened, el=0.0):
        """margin: yearly income rate on the balance to the bank; el: yearly expected loss rate."""
        p = self.p
        if opened < (p.onboarded or opened):
            opened = p.onboarded
        if opened >= AS_OF:
            opened = add_days(AS_OF, -1)
        closed = self.closed
        if closed is not None and opened > closed:
            opened = closed
        if closed is not None:
            fees_ytd = fee * max(0, (closed - max(opened, YEAR_START)).days) / 365.0 if closed > YEAR_START else 0.0
            self.rows.append((p.pid, PRODUCT_ID[code], 0.0, rate, fees_ytd, 0.0, opened, closed))
            return
        contrib = balance * (margin - el) / 12.0 + fee / 12.0
        self.rows.append((p.pid, PRODUCT_ID[code], balance, rate, fee * yfrac(opened), contrib, opened, None))

    def add_closed(self, code, balance_rate, opened, closed):
        if closed <= opened:
            closed = add_days(opened, 30)
        if closed >= AS_OF:
            return
        self.rows.append((self.p.pid, PRODUCT_ID[code], 0.0, balance_rate, 0.0, 0.0, opened, closed))


def opened_between(r, p, lo=None):
    start = p.onboarded
    if lo and lo > start:
        start = lo
    return rand_date(r, start, add_days(AS_OF, -1)) if start < AS_OF else add_days(AS_OF, -1)


def deposit_rate(r, code, big=False):
    if code == 'DEP_DEMAND':
        return r.uniform(0.0010, 0.0035) if big else r.choice((0.0005, 0.0010, 0.0015))
    if code == 'DEP_TIME_1Y':
        return round(r.uniform(0.0110, 0.0175), 4)
    if code == 'DEP_TIME_3Y':
        return round(r.uniform(0.0150, 0.0225), 4)
    if code == 'DEP_LARGE_CD':
        return round(r.uniform(0.0165, 0.0240), 4)
    raise KeyError(code)


def split(r, total, weights):
    """Split total by random shares proportional to weights."""
    parts = [w * r.uniform(0.5, 1.5) for w in weights]
    s = sum(parts)
    return [total * x / s for x in parts]


def individual_holdings(r, p):
    h = Holdings(r, p)
    if p.status == 'prospect':
        return h.rows
    w = p.wealth
    grade = p.rating if p.rating is not None else 9
    el_card = 0.02 + PD[grade] * LGD * 4
    # debit card: annual fee (waived for affluent customers) plus the issuer's interchange on card spending
    fee = (0.0 if w >= 5e5 else 10.0) + (math.exp(r.gauss(math.log(150), 0.8)) if p.status == 'active' else 0.0)
    h.add('CARD_DEBIT', 0.0, 0.0, fee, 0.0, opened_between(r, p) if r.random() < 0.2 else p.onboarded)
    if p.status == 'dormant':
        h.add('DEP_DEMAND', max(w, r.uniform(5, 500)), 0.0005, 0.0, FTP - 0.0005, p.onboarded)
        return h.rows
    # assets under management: demand, time deposits, CDs, wealth, insurance
    products = [('DEP_DEMAND', 3.0)]
    young = p.age < 50
    if w >= 2e4:
        products.append(('DEP_TIME_1Y', 2.0))
    if w >= 5e4 and (not young or r.random() < 0.5):
        products.append(('DEP_TIME_3Y', 2.0 if not young else 1.0))
    if w >= 3e5 and r.random() < 0.45:
        products.append(('DEP_LARGE_CD', 2.5))
    if young and r.random() < 0.45 or r.random() < 0.15:
        products.append(('WM_MONEY_MARKET', 1.0))
    if w >= 5e4 and r.random() < 0.25:
        products.append(('WM_STRUCTURED', 1.5))
    if w >= 6e6 and r.random() < 0.7:
        products.append(('WM_PB_MANDATE', 4.0))
    if 35 <= p.age <= 65 and w >= 1e5 and r.random() < 0.18:
        products.append(('INS_ANNUITY', 1.2))
    if p.merchant == 'hidden_gold':
        products = [x for x in products if x[0] in ('DEP_DEMAND', 'DEP_TIME_1Y', 'WM_MONEY_MARKET')]
    amounts = split(r, w, [x[1] for x in products])
    if 'DEP_LARGE_CD' in [x[0] for x in products]:
        i = [x[0] for x in products].index('DEP_LARGE_CD')
        if amounts[i] < 2e5:
            # below the minimum: keep it in the demand account instead
            amounts[0] += amounts[i]
            amounts[i] = 0.0
    for (code, _), amt in zip(products, amounts):
        if amt <= 0:
            continue
        amt = round(amt, 2)
        if code.startswith('DEP_'):
            rate = deposit_rate(r, code)
            h.add(code, amt, rate, 0.0, FTP - rate, opened_between(r, p))
        elif code == 'WM_MONEY_MARKET':
            h.add(code, amt, round(r.uniform(0.0120, 0.0180), 4), amt * 0.0030, 0.0, opened_between(r, p, D(2014, 1, 1)))
        elif code == 'WM_STRUCTURED':
            rate = round(r.uniform(0.0120, 0.0240), 4)
            h.add(code, amt, rate, 0.0, FTP + 0.002 - rate, opened_between(r, p, D(2025, 6, 1)))
        elif code == 'WM_PB_MANDATE':
            h.add(code, amt, round(r.uniform(0.030, 0.050), 4), amt * r.uniform(0.008, 0.012), 0.0,
                  opened_between(r, p, D(2012, 1, 1)))
        elif code == 'INS_ANNUITY':
            h.add(code, amt, round(r.uniform(0.0175, 0.0250), 4), amt * r.uniform(0.015, 0.03), 0.0,
                  opened_between(r, p, D(2010, 1, 1)))
    # lending and cards
    working = p.occupation not in ('student', 'retired', 'unemployed', 'homemaker')
    if working and 22 <= p.age <= 60 and r.random() < 0.38 or w >= 1e6 and r.random() < 0.5:
        plat = w >= 1e6 and r.random() < 0.6
        code = 'CARD_PLATINUM' if plat else 'CARD_CREDIT'
        revolve = r.random() < 0.3
        bal = round(math.exp(r.gauss(math.log(1.2e4), 0.9)), 2) if revolve else 0.0
        fee = r.choice((2000.0, 3600.0)) if plat else r.choice((0.0, 0.0, 100.0, 300.0))
        # interchange on card spending, net of reward cost
        fee += math.exp(r.gauss(math.log(300), 0.9)) * (3 if plat else 1)
        h.add(code, bal, 0.1825, fee, 0.1825 - FTP, opened_between(r, p, D(2005, 1, 1)), el_card)
    if working and 26 <= p.age <= 55 and r.random() < 0.28:
        bal = round(clamp(math.exp(r.gauss(math.log(8e5), 0.6)) * (1 + w / 5e6), 1e5, 3e7), 2)
        rate = round(r.uniform(0.0310, 0.0420), 4)
        h.add('LN_MORTGAGE', bal, rate, 0.0, rate - FTP, opened_between(r, p, D(2010, 1, 1)), 0.002 + PD[grade] * 0.25)
    if working and 22 <= p.age <= 60 and r.random() < 0.07:
        bal = round(clamp(math.exp(r.gauss(math.log(6e4), 0.8)), 1e4, 3e5), 2)
        rate = round(r.uniform(0.0350, 0.0800), 4)
        h.add('LN_CONSUMER', bal, rate, 0.0, rate - FTP, opened_between(r, p, D(2022, 1, 1)), 0.015 + PD[grade] * LGD)
    if p.occupation == 'individual_merchant':
        to = p.turnover
        if r.random() < (0.45 if to >= 2e6 else 0.25):
            bal = round(clamp(to * r.uniform(0.05, 0.25), 5e4, 5e6), 2)
            rate = round(r.uniform(0.0400, 0.0650), 4)
            h.add('LN_BUSINESS', bal, rate, 0.0, rate - FTP, opened_between(r, p, D(2018, 1, 1)), 0.008 + PD[grade] * LGD)
        if r.random() < 0.6:
            # acquiring fees: the share of turnover paid by card or QR code through our terminals
            fee = to * r.uniform(0.1, 0.5) * 0.0038 * 0.3
            h.add('PAY_POS_ACQUIRING', 0.0, 0.0, fee, 0.0, opened_between(r, p, D(2016, 1, 1)))
    if w >= 5e5 and r.random() < 0.08:
        bal = round(w * r.uniform(0.03, 0.1), 2)
        h.add('FX_SERVICES', bal, 0.0100, bal * 0.002, 0.005, opened_between(r, p, D(2012, 1, 1)))
    if w >= 5e5 and r.random() < 0.06:
        h.add('SVC_SAFE_BOX', 0.0, 0.0, r.choice((600.0, 900.0, 1500.0, 3000.0)), 0.0, opened_between(r, p))
    if p.status != 'closed' and r.random() < 0.08 and p.onboarded < D(2025, 1, 1):
        op = rand_date(r, p.onboarded, D(2025, 1, 1))
        h.add_closed('DEP_TIME_1Y', 0.0150, op, add_days(op, 365))
    return h.rows


def org_holdings(r, p):
    h = Holdings(r, p)
    if p.status == 'prospect':
        return h.rows
    lvl = level_now(p)                  # churners still declining hold less already
    w = p.wealth * lvl
    grade = p.rating if p.rating is not None else 9
    el = PD[grade] * LGD
    base_to = p.turnover if p.turnover is not None else p.wealth * 8
    if p.status == 'dormant':
        h.add('DEP_DEMAND', round(max(w * 0.01, r.uniform(50, 5000)), 2), 0.0010, 0.0, FTP - 0.0010, p.onboarded)
        return h.rows
    big = base_to >= 1e8
    parts = [('DEP_DEMAND', 4.0)]
    if r.random() < 0.35:
        parts.append(('DEP_TIME_1Y', 2.0))
    if r.random() < 0.12:
        parts.append(('DEP_TIME_3Y', 1.5))
    if w >= 2e7 and r.random() < 0.4:
        parts.append(('DEP_LARGE_CD', 2.5))
    if p.kind == 'corporate' and r.random() < 0.12:
        parts.append(('WM_STRUCTURED', 1.5))
    if p.kind == 'corporate' and r.random() < 0.08:
        parts.append(('WM_MONEY_MARKET', 1.0))
    amounts = split(r, w, [x[1] for x in parts])
    names = [x[0] for x in parts]
    if 'DEP_LARGE_CD' in names:
        i = names.index('DEP_LARGE_CD')
        if amounts[i] < 1e7:
            amounts[0] += amounts[i]
            amounts[i] = 0.0
    for code, amt in zip(names, amounts):
        if amt <= 0:
            continue
        amt = round(amt, 2)
        if code.startswith('DEP_'):
            if p.kind == 'corporate':
                rate = deposit_rate(r, code, big=True)
            else:
                # interbank and fiscal deposits: negotiated rates close to the transfer price
                rate = FTP - r.uniform(0.002, 0.007) - (0.0 if code == 'DEP_DEMAND' else -0.001)
            h.add(code, amt, round(rate, 4), 0.0, FTP - round(rate, 4), opened_between(r, p))
        elif code == 'WM_STRUCTURED':
            rate = round(r.uniform(0.0140, 0.0260), 4)
            h.add(code, amt, rate, 0.0, FTP + 0.002 - rate, opened_between(r, p, D(2025, 6, 1)))
        else:
            h.add(code, amt, round(r.uniform(0.0120, 0.0180), 4), amt * 0.0025, 0.0, opened_between(r, p, D(2014, 1, 1)))
    if p.kind == 'corporate':
        spread = 0.004 + 0.0022 * grade
        if r.random() < 0.45:
            bal = round(base_to * r.uniform(0.02, 0.09) * lvl, 2)
            rate = round(min(0.0300 + spread, 0.12), 4)
            h.add('LN_WORKING_CAPITAL', bal, rate, bal * 0.002, rate - FTP, opened_between(r, p, D(2018, 1, 1)), el)
        if r.random() < 0.18:
            bal = round(base_to * r.uniform(0.02, 0.10) * lvl, 2)
            rate = round(min(0.0340 + spread, 0.12), 4)
            h.add('LN_BUSINESS', bal, rate, 0.0, rate - FTP, opened_between(r, p, D(2016, 1, 1)), el)
        if p.industry in ('wholesale', 'commerce', 'electronics', 'machinery', 'textiles', 'chemicals') \
                and r.random() < 0.3:
            bal = round(base_to * r.uniform(0.02, 0.1) * lvl, 2)
            rate = round(r.uniform(0.0250, 0.0400), 4)
            h.add('LN_TRADE_FINANCE', bal, rate, bal * 0.004, rate - FTP, opened_between(r, p, D(2015, 1, 1)), el * 0.6)
        if r.random() < 0.4:
            staff = max(3, base_to / 4e5)
            h.add('PAY_PAYROLL', 0.0, 0.0, staff * 24.0, 0.0, opened_between(r, p))
        if base_to >= 1e8 and r.random() < 0.45:
            h.add('PAY_CASH_MGMT', 0.0, 0.0, r.uniform(2e4, 2e5), 0.0, opened_between(r, p, D(2012, 1, 1)))
        if p.industry in ('electronics', 'textiles', 'machinery', 'wholesale', 'chemicals') and r.random() < 0.45 \
                or r.random() < 0.08:
            h.add('FX_SERVICES', round(w * r.uniform(0.02, 0.1), 2), 0.0050, base_to * r.uniform(0.0002, 0.001), 0.004,
                  opened_between(r, p, D(2010, 1, 1)))
        if p.industry in ('retail', 'hospitality', 'food', 'commerce') and r.random() < 0.55:
            h.add('PAY_POS_ACQUIRING', 0.0, 0.0, base_to * r.uniform(0.2, 0.6) * 0.0038 * 0.3, 0.0,
                  opened_between(r, p, D(2012, 1, 1)))
        if r.random() < 0.03:
            h.add('SVC_SAFE_BOX', 0.0, 0.0, r.choice((1500.0, 3000.0)), 0.0, opened_between(r, p))
    elif p.kind == 'financial_institution':
        if r.random() < 0.4:
            bal = round(w * r.uniform(0.2, 1.0), 2)
            rate = round(r.uniform(0.0230, 0.0320), 4)
            h.add('LN_TRADE_FINANCE', bal, rate, bal * 0.001, rate - FTP, opened_between(r, p, D(2015, 1, 1)), el)
        if r.random() < 0.5:
            h.add('PAY_CASH_MGMT', 0.0, 0.0, r.uniform(2e4, 1.2e5), 0.0, opened_between(r, p))
        if r.random() < 0.5:
            h.add('FX_SERVICES', round(w * r.uniform(0.05, 0.2), 2), 0.0050, w * 0.0005, 0.003, opened_between(r, p))
        if r.random() < 0.6:
            h.add('PAY_PAYROLL', 0.0, 0.0, r.uniform(1e4, 6e4), 0.0, opened_between(r, p))
    else:
        if r.random() < 0.7:
            h.add('PAY_PAYROLL', 0.0, 0.0, r.uniform(4e3, 4e4), 0.0, opened_between(r, p))
        if r.random() < 0.4:
            h.add('PAY_CASH_MGMT', 0.0, 0.0, r.uniform(1e4, 8e4), 0.0, opened_between(r, p))
    return h.rows


def holding_rows(cfg, b, parties):
    r = rng(cfg.seed, 'holding', b)
    out = []
    for p in parties:
        rows = individual_holdings(r, p) if p.kind == 'individual' else org_holdings(r, p)
        for pid, prod, bal, rate, fees, contrib, opened, closed in rows:
            out.append(f'{pid}\t{prod}\t{bal:.2f}\t{rate:.6f}\t{fees:.2f}\t{contrib:.2f}\t{opened.isoformat()}\t'
                       f'{dtxt(closed)}\n')
    return out
