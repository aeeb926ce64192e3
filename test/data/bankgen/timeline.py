# test/data/bankgen/timeline.py: the calendar of the synthetic bank
#
# The as-of date, the 156 Monday-based activity weeks ending on DATA_END, and
# the seasonality factor of every week (Chinese New Year, quarter ends,
# summer, the National Day golden week).  Nothing reads the clock.

import datetime as dt

from .helpers import add_days

D = dt.date
AS_OF = D(2026, 11, 16)                  # Monday: the data is as of this day
DATA_END = D(2026, 11, 9)                # Monday of the last week with activity
N_WEEKS = 156
WEEK0 = DATA_END - dt.timedelta(weeks=N_WEEKS - 1)   # 2023-11-20
WEEKS = [WEEK0 + dt.timedelta(weeks=i) for i in range(N_WEEKS)]
WEEK_TXT = [w.isoformat() for w in WEEKS]
YEAR_START = D(2026, 1, 1)
YTD_FRACTION = (AS_OF - YEAR_START).days / 365.0
CNY_DAYS = [D(2024, 2, 10), D(2025, 1, 29), D(2026, 2, 17)]


def week_index(d):
    """Index into WEEKS of the ISO week containing d (may be out of range)."""
    return (d - WEEK0).days // 7


def monday(d):
    return d - dt.timedelta(days=d.weekday())


# ----------------------------------------------------------------------------
# seasonality of weekly volumes

def season_factors():
    cny_mondays = [monday(d) for d in CNY_DAYS]
    out = []
    for w in WEEKS:
        f = 1.0
        for cm in cny_mondays:
            k = (w - cm).days // 7
            f *= {-1: 1.06, 0: 0.55, 1: 0.66, 2: 0.88, 3: 0.96}.get(k, 1.0)
        # quarter end inside this week or the next one
        for y in (w.year, w.year + 1):
            for qe in (D(y, 3, 31), D(y, 6, 30), D(y, 9, 30), D(y, 12, 31)):
                if 0 <= (qe - w).days <= 13:
                    f *= 1.20
        if w.month in (7, 8):
            f *= 0.95
        # National Day golden week
        nd = D(w.year, 10, 3)
        if w <= nd <= add_days(w, 6):
            f *= 0.78
        out.append(f)
    return out


SEASON = season_factors()
