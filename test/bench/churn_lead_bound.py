#!/usr/bin/env python3
"""test/bench/churn_lead_bound.py: how much lead time the slides of the
independent generator (churn_gen.py) allow at all, with no noise.

A detector that has to stay quiet on a stable party's dip must wait until
a churner's shortfall (the sum over weeks of 1 - level, in weeks of its
normal level) exceeds what a dip can produce.  This prints, per slide
length and shape of churn_gen.py, the median lead (exit week minus the
first week the shortfall exceeds T) of a noise-free detector, for several
T, beside the shortfall of the dips the generator makes (1-4 weeks at
20-60 % of the level: 0.4 to 3.2 level-weeks).  Noise only lengthens the
wait.  Used in doc/benchmarks.md ("Where the detector is weakest").

    python3 test/bench/churn_lead_bound.py
"""
import importlib.util
import os
import statistics

spec = importlib.util.spec_from_file_location(
    "churn_gen", os.path.join(os.path.dirname(os.path.abspath(__file__)), "churn_gen.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

SHAPES = ("linear", "convex", "step")
SETTINGS = (("fast_churn", 8, 14), ("base", 12, 26), ("slow_churn", 20, 30))


def lead(shape, dur, t):
    """Weeks from the first week whose running shortfall exceeds t to the exit."""
    short = 0.0
    for k in range(dur):
        short += 1 - gen.decline_factor(shape, (k + 1) / dur)
        if short > t:
            return dur - k
    return 0


def main():
    print("| slides | shortfall T, level-weeks | the longest dips it stays quiet on | median lead | linear | convex | step | share with lead >= 8 |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    quiet = {0.8: "1 week at 20 %, 2 at 60 %", 1.2: "2 weeks at 40 %, 3 at 60 %", 1.6: "2 weeks at 20 %, 4 at 60 %",
             2.4: "3 weeks at 20 %, 4 at 40 %", 3.2: "every dip (4 weeks at 20 %)"}
    for name, lo, hi in SETTINGS:
        for t in sorted(quiet):
            leads = {s: [lead(s, d, t) for d in range(lo, hi + 1)] for s in SHAPES}
            every = [x for s in SHAPES for x in leads[s]]
            print("| %s (%d-%d weeks) | %.1f | %s | %g | %g | %g | %g | %.0f %% |" % (
                name, lo, hi, t, quiet[t], statistics.median(every),
                statistics.median(leads["linear"]), statistics.median(leads["convex"]),
                statistics.median(leads["step"]), 100.0 * sum(x >= 8 for x in every) / len(every)))


if __name__ == "__main__":
    main()
