# test/data/bankgen/contacts.py: contacts, complaints, surveys, appointments
#
# The interaction history of a block: contacts by channel, purpose and
# outcome (with FABE steps on sales), complaints with their workflow state,
# SERVQUAL survey responses, and past and scheduled appointments.

import bisect

from refdata import PRODUCTS

from .helpers import rng, esc, opt, ts, add_days, rand_date, weighted, pick, clamp
from .timeline import AS_OF

IND_CHANNELS = weighted([('phone_out', 35), ('phone_in', 15), ('branch', 15), ('mobile', 10), ('web', 5),
                         ('sms', 10), ('email', 3), ('event', 2), ('letter', 2), ('visit', 3)])
ORG_CHANNELS = weighted([('visit', 25), ('phone_out', 25), ('email', 15), ('branch', 10), ('phone_in', 10),
                         ('event', 5), ('fax', 2), ('letter', 3), ('web', 5)])
DNC_CHANNELS = weighted([('phone_in', 40), ('branch', 35), ('mobile', 15), ('web', 10)])
PURPOSE = weighted([('service', 35), ('sales', 30), ('care', 12), ('survey', 5), ('retention', 6), ('kyc', 7),
                    ('collection', 5)])
OUTCOMES = {
    'phone_out': weighted([('answered', 30), ('no_answer', 18), ('busy', 6), ('interested', 10),
                           ('not_interested', 10), ('appointment', 5), ('sale', 4), ('left_message', 6),
                           ('declined', 4), ('invalid_number', 1), ('failed', 1.5), ('congestion', 1),
                           ('do_not_call', 0.5)]),
    'phone_in': weighted([('completed', 70), ('answered', 20), ('interested', 6), ('sale', 2), ('appointment', 2)]),
    'branch': weighted([('completed', 60), ('interested', 14), ('sale', 10), ('declined', 8), ('appointment', 8)]),
    'visit': weighted([('completed', 45), ('interested', 20), ('sale', 12), ('declined', 10), ('appointment', 13)]),
    'event': weighted([('completed', 50), ('interested', 35), ('not_interested', 15)]),
    'mobile': weighted([('completed', 90), ('failed', 5), ('unknown', 5)]),
    'web': weighted([('completed', 88), ('failed', 6), ('unknown', 6)]),
    'sms': weighted([('completed', 92), ('failed', 5), ('unknown', 3)]),
    'email': weighted([('completed', 70), ('unknown', 20), ('answered', 10)]),
    'letter': weighted([('completed', 80), ('unknown', 20)]),
    'fax': weighted([('completed', 85), ('failed', 15)]),
}
NOTES = {
    'service': ['Updated contact details', 'Explained statement entries', 'Reset mobile banking password',
                'Card replacement arranged', 'Answered fee question', 'Changed payroll account'],
    'sales': ['Presented product features', 'Sent product brochure', 'Compared rates with other banks',
              'Customer will discuss with family', 'Asked for a detailed proposal', 'Follow-up call agreed'],
    'care': ['Birthday greetings', 'Spring Festival greetings', 'Mid-Autumn Festival greetings',
             'Thank-you call after account opening'],
    'survey': ['Satisfaction survey completed', 'Survey: asked for shorter waiting times'],
    'retention': ['Discussed fee waiver', 'Customer mentioned offer from another bank', 'Reviewed pricing'],
    'kyc': ['Annual KYC review', 'Updated occupation and income', 'Risk profile questionnaire'],
    'collection': ['Reminder of overdue instalment', 'Repayment plan agreed', 'Promise to pay by month end'],
}


def party_staff(p, org, r):
    pool = org.pool[p.branch]
    return p.rm or p.hunter or p.lobby or r.choice(pool['agent'])


def products_for(kind):
    return [x[0] for x in PRODUCTS if kind in x[4]]


PRODUCTS_FOR = {k: products_for(k) for k in ('individual', 'corporate', 'financial_institution', 'government')}


def contact_rows(cfg, org, b, parties):
    r = rng(cfg.seed, 'contact', b)
    out = []
    for p in parties:
        share = {'active': 0.35, 'prospect': 0.5, 'dormant': 0.2, 'closed': 0.1}[p.status]
        if p.churn:
            share = 0.8
        if r.random() >= share:
            continue
        start = p.onboarded or p.capture
        lo = max(start, add_days(AS_OF, -540))
        hi = add_days(p.closed or AS_OF, -1)
        if lo > hi:
            continue
        for _ in range(r.randint(1, 6)):
            day = rand_date(r, lo, hi)
            if day.weekday() == 6 and r.random() < 0.7:
                day = add_days(day, -1)
            if day < lo:
                day = lo
            if p.dnc:
                channel = pick(r, DNC_CHANNELS)
                purpose = 'service'
            else:
                channel = pick(r, IND_CHANNELS if p.kind == 'individual' else ORG_CHANNELS)
                purpose = pick(r, PURPOSE)
                if p.status == 'prospect':
                    purpose = 'sales' if r.random() < 0.8 else 'care'
                if purpose in ('sales', 'care') and not p.consent and channel in ('phone_out', 'sms', 'email', 'letter'):
                    purpose = 'service'
                if purpose == 'collection' and p.kind != 'individual':
                    purpose = 'service'
            outcome = pick(r, OUTCOMES[channel])
            if channel in ('web', 'mobile'):
                staff = None
            elif channel == 'phone_out' and p.rm is None:
                staff = r.choice(org.pool[p.branch]['agent']) if r.random() < 0.7 else party_staff(p, org, r)
            elif channel in ('phone_in', 'sms') and r.random() < 0.6:
                staff = r.choice(org.pool[p.branch]['agent'])
            else:
                staff = party_staff(p, org, r)
            fabe = None
            product = None
            if purpose in ('sales', 'retention'):
                product = r.choice(PRODUCTS_FOR[p.kind])
                if outcome == 'sale':
                    fabe = 'convinced'
                elif outcome in ('interested', 'appointment', 'answered', 'completed', 'declined', 'not_interested'):
                    fabe = ('feature', 'advantage', 'benefit', 'evidence')[min(3, int(r.expovariate(0.9)))]
            dur = None
            if channel in ('phone_out', 'phone_in'):
                dur = 0 if outcome in ('no_answer', 'busy', 'failed', 'congestion', 'invalid_number') else \
                    int(r.expovariate(1 / 180)) + 20
            elif channel in ('branch', 'visit', 'event'):
                dur = int(r.uniform(600, 5400))
            note = r.choice(NOTES[purpose]) if channel not in ('sms', 'web', 'mobile') and r.random() < 0.7 else None
            h = r.randint(9, 19) if channel not in ('web', 'mobile') else r.randint(7, 23)
            follow = None
            if outcome in ('interested', 'left_message', 'appointment'):
                fd = add_days(day, r.randint(2, 14))
                follow = ts(fd, r.randint(9, 17), r.choice((0, 15, 30, 45)))
            out.append('\t'.join((
                str(p.pid), '\\N' if staff is None else str(staff), channel, purpose, outcome, opt(fabe),
                '\\N' if product is None else str(product), ts(day, h, r.randint(0, 59), r.randint(0, 59)),
                '\\N' if dur is None else str(dur), '\\N' if note is None else esc(note), opt(follow))) + '\n')
    return out


COMPLAINT_CAT = weighted([('service', 25), ('fees', 22), ('product', 14), ('staff', 10), ('waiting_time', 15),
                          ('system', 9), ('fraud', 2), ('other', 3)])
COMPLAINT_TEXT = {
    'service': 'Customer unhappy with how a request was handled at the branch',
    'fees': 'Customer disputes an account management fee charged without notice',
    'product': 'Customer says the product return was lower than presented',
    'staff': 'Customer reports an unfriendly staff member at the counter',
    'waiting_time': 'Customer waited more than an hour at the branch',
    'system': 'Mobile banking transfer failed several times',
    'fraud': 'Customer reports card transactions they did not make',
    'other': 'Customer unhappy with marketing calls at inconvenient times',
}


def complaint_rows(cfg, org, b, parties):
    r = rng(cfg.seed, 'complaint', b)
    out = []
    for p in parties:
        if p.status == 'prospect' or r.random() >= (0.03 if p.churn else 0.012):
            continue
        lo = max(p.onboarded, add_days(AS_OF, -730))
        hi = add_days(p.closed or AS_OF, -1)
        if lo > hi:
            continue
        day = rand_date(r, lo, hi)
        cat = pick(r, COMPLAINT_CAT)
        x = r.random()
        sev = 'critical' if cat == 'fraud' or x < 0.03 else 'high' if x < 0.2 else 'normal' if x < 0.8 else 'low'
        age = (AS_OF - day).days
        if age > 60:
            state = 'closed' if r.random() < 0.93 else 'escalated'
        elif age > 14:
            state = ('responded', 'closed', 'closed', 'investigating', 'escalated')[r.randrange(5)]
        else:
            state = ('received', 'assigned', 'investigating', 'responded')[r.randrange(4)]
        pool = org.pool[p.branch]
        assigned = None if state == 'received' else \
            (pool['manager'][0] if sev in ('high', 'critical') or state == 'escalated' else r.choice(pool['lead']))
        channel = ('branch', 'phone_in', 'web', 'mobile', 'email', 'letter', 'regulator')[
            bisect.bisect_right([30, 60, 70, 85, 93, 97, 100], r.random() * 100)]
        resolved = None
        if state in ('responded', 'closed'):
            rd = min(add_days(day, r.randint(1, 20)), add_days(AS_OF, -1))
            resolved = ts(rd, r.randint(9, 17), r.randint(0, 59))
        out.append('\t'.join((str(p.pid), ts(day, r.randint(8, 20), r.randint(0, 59)), channel, cat, sev, state,
                              '\\N' if assigned is None else str(assigned), esc(COMPLAINT_TEXT[cat]),
                              opt(resolved))) + '\n')
    return out


SURVEY_COMMENTS = ['Friendly and professional staff', 'Waiting time too long', 'The app is easy to use',
                   'Please explain fees more clearly', 'My relationship manager is very responsive',
                   'The branch is clean and comfortable', 'Too many marketing calls']


def survey_rows(cfg, b, parties):
    r = rng(cfg.seed, 'survey_response', b)
    out = []
    for p in parties:
        if p.status != 'active' or r.random() >= 0.04:
            continue
        mood = r.gauss(4.0 if not p.churn else 3.0, 0.7)
        for _ in range(1 if r.random() < 0.8 else 2):
            day = rand_date(r, max(p.onboarded, add_days(AS_OF, -400)), add_days(AS_OF, -1))
            scores = [str(clamp(int(round(mood + r.gauss(0, 0.6))), 1, 5)) for _ in range(5)]
            ch = ('phone_out', 'sms', 'mobile', 'branch', 'web', 'email')[
                bisect.bisect_right([40, 60, 80, 92, 97, 100], r.random() * 100)]
            comment = esc(r.choice(SURVEY_COMMENTS)) if r.random() < 0.3 else '\\N'
            out.append('\t'.join([str(p.pid), ts(day, r.randint(9, 19), r.randint(0, 59)), ch] + scores +
                                 [comment]) + '\n')
    return out


APPT_PURPOSE = {
    'individual': ['Wealth review', 'Mortgage consultation', 'Time deposit renewal', 'Insurance needs review',
                   'Credit card upgrade', 'Retirement planning'],
    'corporate': ['Credit line renewal', 'Cash management proposal', 'Trade finance needs', 'Payroll service setup',
                  'Annual relationship review'],
}


def appointment_rows(cfg, org, b, parties):
    r = rng(cfg.seed, 'appointment', b)
    out = []
    for p in parties:
        sid = p.rm or p.hunter
        if sid is None or p.status not in ('active', 'prospect') or r.random() >= 0.08:
            continue
        for _ in range(1 if r.random() < 0.75 else 2):
            if r.random() < 0.25:
                day = rand_date(r, AS_OF, add_days(AS_OF, 30))
                status = 'scheduled'
            else:
                start = p.onboarded or p.capture
                day = rand_date(r, max(start, add_days(AS_OF, -365)), add_days(AS_OF, -1))
                x = r.random()
                status = 'done' if x < 0.72 else 'cancelled' if x < 0.87 else 'no_show'
            # weekdays only: scheduled meetings move forward, past ones back
            while day.weekday() >= 5:
                day = add_days(day, 1 if status == 'scheduled' else -1)
            if status != 'scheduled' and day < (p.onboarded or p.capture):
                day = p.onboarded or p.capture
            if p.kind == 'individual':
                x = r.random()
                kind = 'branch_meeting' if x < 0.7 else 'call_back' if x < 0.85 else 'seminar' if x < 0.93 else 'visit'
                purpose = r.choice(APPT_PURPOSE['individual'])
            else:
                kind = 'visit' if r.random() < 0.7 else 'branch_meeting'
                purpose = r.choice(APPT_PURPOSE['corporate'])
            minutes = {'branch_meeting': 60, 'visit': 90, 'call_back': 15, 'seminar': 120}[kind]
            h = r.randint(9, 16)
            m = r.choice((0, 30))
            end_h, end_m = divmod(h * 60 + m + minutes, 60)
            branch = '\\N' if kind == 'visit' else str(p.branch)
            out.append('\t'.join((str(p.pid), str(sid), branch, ts(day, h, m), ts(day, end_h, end_m), kind,
                                  esc(purpose), status)) + '\n')
    return out
