# test/data/bankgen/organisation.py: the bank's own organisation
#
# The branch count for a size, then Org: the footprint regions, branches,
# teams and staff, and the per-branch pools of staff that party generation
# draws relationship managers, hunters, agents and others from.

import math

from refdata import REGIONS, GENERIC_DISTRICTS

from .helpers import rng, rand_date
from .names import person_name
from .timeline import D


def branches_for(n):
    """Branch count for n parties: 12 at 10 k, 40 at 100 k, 200 at 1 M."""
    anchors = [(1e4, 12), (1e5, 40), (1e6, 200)]
    if n <= anchors[0][0]:
        return max(2, round(12 * (n / 1e4) ** 0.52))
    if n >= anchors[-1][0]:
        return round(200 * (n / 1e6) ** 0.7)
    for (x0, y0), (x1, y1) in zip(anchors, anchors[1:]):
        if x0 <= n <= x1:
            t = math.log(n / x0) / math.log(x1 / x0)
            return round(math.exp(math.log(y0) + t * math.log(y1 / y0)))
    raise AssertionError


class Org:
    """Branches, teams and staff for a configuration, plus the lookups that
    party generation needs (who may cover whom in a branch)."""

    def __init__(self, cfg):
        r = rng(cfg.seed, 'org')
        nb = cfg.branches
        by_weight = sorted(REGIONS, key=lambda x: (-x[7], x[0]))
        k = min(len(REGIONS), max(3, round(nb * 0.7)), nb)
        foot = by_weight[:k]
        if not any(x[0] == 'CN-XJ' for x in foot):
            foot[-1] = next(x for x in REGIONS if x[0] == 'CN-XJ')
        # one branch per footprint region, the rest by weight (largest remainder)
        total_w = sum(x[7] for x in foot)
        extra = nb - len(foot)
        quota = [extra * x[7] / total_w for x in foot]
        counts = [1 + int(q) for q in quota]
        rest = nb - sum(counts)
        order = sorted(range(len(foot)), key=lambda i: (-(quota[i] - int(quota[i])), foot[i][0]))
        for i in order[:rest]:
            counts[i] += 1
        self.footprint = foot
        self.region_info = {x[0]: x for x in REGIONS}
        self.branches = []          # (branch_id, code, name, region_code, opened_on)
        self.region_branches = {}
        bid = 0
        for reg, cnt in zip(foot, counts):
            code, city, dists = reg[0], reg[6], list(reg[8])
            r.shuffle(dists)
            names = [f'{city}分行营业部'] + [f'{city}{d}支行' for d in dists]
            generic = list(GENERIC_DISTRICTS)
            r.shuffle(generic)
            names += [f'{city}{d}支行' for d in generic]
            prefix = code.replace('CN-', '').replace('-', '')
            for j in range(cnt):
                bid += 1
                name = names[j] if j < len(names) else f'{city}第{j + 1}支行'
                opened = rand_date(r, D(1992, 1, 1), D(2021, 12, 31)) if j else rand_date(r, D(1988, 1, 1), D(2000, 12, 31))
                self.branches.append((bid, f'{prefix}{j + 1:02d}', name, code, opened))
                self.region_branches.setdefault(code, []).append(bid)
        self.branch_region = {b[0]: b[3] for b in self.branches}
        self.branch_opened = {b[0]: b[4] for b in self.branches}

        # teams and staff
        ppb = cfg.parties / nb
        n_rel = max(2, round(ppb / 2500))
        n_corp_rm = max(2, round(ppb * 0.10 / 60))
        n_wealth_rm = max(2, round(ppb * 0.88 * 0.07 / 90))
        n_rel_rm = max(3, round(ppb * 0.88 * 0.05 / 80 / n_rel) + 2)
        n_hunter = 2 + round(ppb / 2500)
        n_agent = 3 + round(ppb / 500)
        self.teams = []             # (team_id, branch_id, name, kind)
        self.staff = []             # (staff_id, name, role, branch_id, team_id, capacity, active, hired_on)
        self.pool = {}              # branch_id -> role pool -> [staff_id]
        self.team_of = {}
        self.hired = {}
        tid = 0
        sid = 0
        cn_num = '一二三四五六七八九十'

        def hire(role, bid, team, cap, active=True, floor=None):
            nonlocal sid
            sid += 1
            g = 'm' if r.random() < 0.5 else 'f'
            lo = max(self.branch_opened[bid], floor or D(1995, 1, 1))
            hired = rand_date(r, lo, D(2025, 6, 30))
            self.staff.append((sid, person_name(r, g), role, bid, team, cap, active, hired))
            self.team_of[sid] = team
            self.hired[sid] = hired
            return sid

        for b in self.branches:
            bid = b[0]
            pool = {k: [] for k in ('corp_rm', 'wealth_rm', 'rel_rm', 'farmer', 'hunter', 'agent',
                                    'analyst', 'lead', 'lobby', 'manager', 'former_rm', 'corp_team', 'rel_team')}
            pool['manager'].append(hire('branch_manager', bid, None, r.randint(5, 10)))
            for _ in range(1 if ppb < 3000 else 2):
                pool['lobby'].append(hire('lobby_manager', bid, None, r.randint(40, 60)))
            specs = [('对公客户团队', 'corporate', n_corp_rm, 'corp_rm'),
                     ('财富管理团队', 'wealth', n_wealth_rm, 'wealth_rm')]
            specs += [(f'零售N+1团队{cn_num[i] if i < 10 else i + 1}', 'relationship', n_rel_rm, 'rel_rm')
                      for i in range(n_rel)]
            specs += [('电话营销团队', 'call_centre', n_agent, 'agent'), ('拓客团队', 'hunting', n_hunter, 'hunter')]
            for tname, tkind, nmem, pkey in specs:
                tid += 1
                self.teams.append((tid, bid, tname, tkind))
                pool['lead'].append(hire('team_lead', bid, tid, r.randint(15, 25)))
                members = []
                for _ in range(nmem):
                    if pkey == 'agent':
                        s = hire('agent', bid, tid, r.randint(60, 120))
                    elif pkey == 'hunter':
                        s = hire('hunter', bid, tid, r.randint(30, 50))
                    else:
                        s = hire('rm', bid, tid, r.randint(20, 40))
                    members.append(s)
                pool[pkey] += members
                if tkind in ('corporate', 'relationship'):
                    pool['analyst'].append(hire('analyst', bid, tid, 0))
                if tkind == 'relationship':
                    pool['farmer'].append(hire('farmer', bid, tid, r.randint(30, 50)))
                    pool['rel_team'].append(members)
                if tkind == 'corporate':
                    pool['corp_team'] = members
            # an RM who left: appears in coverage history only
            pool['former_rm'].append(hire('rm', bid, None, r.randint(20, 40), active=False, floor=D(2005, 1, 1)))
            self.pool[bid] = pool

    def home_branch(self, r, region_code):
        bl = self.region_branches.get(region_code)
        if bl:
            return r.choice(bl)
        return r.choice(self.branches)[0]
