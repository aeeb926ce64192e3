# test/data/bankgen/names.py: names of people and companies
#
# Chinese person names (weighted surname, one- or two-character given name)
# and company names (city, brand, industry word, legal-form suffix).

from refdata import SURNAMES, GIVEN_M, GIVEN_F, GIVEN_U, BRAND, INDUSTRY_WORDS

from .helpers import weighted, pick

SURNAME_T = weighted(SURNAMES)


def person_name(r, gender):
    s = pick(r, SURNAME_T)
    pool = GIVEN_M if gender == 'm' else GIVEN_F
    if r.random() < 0.28:
        g = r.choice(pool)
    else:
        a = r.choice(pool if r.random() < 0.8 else GIVEN_U)
        b = r.choice(pool)
        while b == a:
            b = r.choice(pool)
        g = a + b
    return s + g


def company_name(r, city, industry, turnover):
    brand = r.choice(BRAND) + r.choice(BRAND)
    word = r.choice(INDUSTRY_WORDS.get(industry, INDUSTRY_WORDS['other']))
    if turnover is not None and turnover >= 2e9:
        suffix = r.choice(['集团有限公司', '集团股份有限公司', '股份有限公司'])
    else:
        x = r.random()
        suffix = '有限公司' if x < 0.68 else '有限责任公司' if x < 0.84 else '股份有限公司' if x < 0.96 else '集团有限公司'
    if r.random() < 0.85:
        return f'{city}{brand}{word}{suffix}'
    return f'{city}市{brand}{word}{suffix}'
