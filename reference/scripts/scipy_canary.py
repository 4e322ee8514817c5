"""Reference values for canary-core: Kayenta's Mann-Whitney shift, rate tests, paired tests.

Pinned versions (see reference/requirements.txt): scipy 1.17.1, numpy 2.4.6,
statsmodels 0.15.0. Run from the repository root with the reference virtualenv:

    .venv-ref/bin/python reference/scripts/scipy_canary.py

Writes reference/values/scipy_canary.json. Samples are drawn from a seeded numpy
default_rng and rounded with round(v, 6) before anything sees them, so the Rust tests
parse exactly the decimals computed on.

The shift (candidate - baseline) is computed as Kayenta defines it (kayenta-mannwhitney,
MannWhitney.scala, a port of R's wilcox.test with conf.int, exact=FALSE, correct=TRUE):
`wdiff` below is Kayenta's function, written out with scipy's rankdata. Its roots are
found two ways: exactly, by bisection over the sorted distinct pairwise differences
(the function is constant between them, so the root is the difference where its sign
changes), and as Kayenta does, with Brent's method (scipy.optimize.brentq) between
min(x) - max(y) and max(x) - min(y) after Kayenta's end-point checks. For the estimate
(zq = 0) the function is zero on a whole interval; "zero_set" is that interval and
"hodges_lehmann" the median of the pairwise differences (numpy), which lies in it.
U and the p-value come from scipy.stats.mannwhitneyu(candidate, baseline,
method="asymptotic", use_continuity=True).
"""

import json
import math
import pathlib

import numpy as np
import scipy
import statsmodels
from scipy import optimize, special, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

assert scipy.__version__ == "1.17.1", scipy.__version__
assert np.__version__ == "2.4.6", np.__version__
assert statsmodels.__version__ == "0.15.0", statsmodels.__version__

OUT = pathlib.Path(__file__).resolve().parent.parent / "values" / "scipy_canary.json"
CONFIDENCE = 0.98  # Kayenta's


def num(v):
    """A float for JSON: finite as is, non-finite as a string."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def prep(values):
    return [round(float(v), 6) for v in values]


def wdiff(d, zq, x, y):
    """Kayenta's MannWhitney.wilcoxonDiff(mu = d, quantile = zq, x, y)."""
    nx, ny = len(x), len(y)
    dr = stats.rankdata(np.concatenate([x - d, y]))
    _, ties = np.unique(dr, return_counts=True)
    dz = dr[:nx].sum() - nx * (nx + 1) / 2 - nx * ny / 2
    correction = np.sign(dz) * 0.5
    sigma = math.sqrt(
        (nx * ny / 12)
        * ((nx + ny + 1) - (ties.astype(float) ** 3 - ties).sum() / ((nx + ny) * (nx + ny - 1)))
    )
    assert sigma > 0, "all observations tied"
    return (dz - correction) / sigma - zq


def sign_change(zq, x, y, distinct):
    """(last midpoint index with f > 0, first midpoint index with f < 0) by bisection."""
    mids = (distinct[:-1] + distinct[1:]) / 2
    f = lambda i: wdiff(mids[i], zq, x, y)  # noqa: E731

    def first(pred):
        lo, hi = 0, len(mids)  # first index in [lo, hi) with pred true, hi if none
        while lo < hi:
            mid = (lo + hi) // 2
            if pred(f(mid)):
                hi = mid
            else:
                lo = mid + 1
        return lo

    first_not_positive = first(lambda v: v <= 0)
    first_negative = first(lambda v: v < 0)
    return first_not_positive - 1, first_negative


def kayenta_root(zq, x, y, distinct):
    """The exact root of wdiff(., zq) with Kayenta's end-point rules."""
    mu_min, mu_max = x.min() - y.max(), x.max() - y.min()
    if wdiff(mu_min, zq, x, y) <= 0:
        return mu_min
    if wdiff(mu_max, zq, x, y) >= 0:
        return mu_max
    last_positive, first_negative = sign_change(zq, x, y, distinct)
    assert first_negative == last_positive + 1, "f is zero on an interval at a CI end"
    return distinct[last_positive + 1]


def brent_root(zq, x, y):
    """The root as Kayenta finds it: end-point checks, then Brent's method."""
    mu_min, mu_max = x.min() - y.max(), x.max() - y.min()
    if wdiff(mu_min, zq, x, y) <= 0:
        return mu_min
    if wdiff(mu_max, zq, x, y) >= 0:
        return mu_max
    scale = max(abs(mu_min), abs(mu_max))
    return optimize.brentq(lambda d: wdiff(d, zq, x, y), mu_min, mu_max, xtol=1e-13 * scale, rtol=4 * np.finfo(float).eps)


def kayenta_label(x, y, lower, upper, estimate):
    """MannWhitneyClassifier.classify with Kayenta's defaults (direction either, mean ratio
    with limits 1.0, tolerance 0.25), from the interval and estimate above."""
    if sorted(x) == sorted(y) or len(set(x) | set(y)) == 1:
        return "pass"
    bound = 0.25 * abs(estimate)
    mx, my = np.mean(x), np.mean(y)
    effect = float("nan") if mx == 0 or my == 0 else mx / my
    if lower > bound and (math.isnan(effect) or effect >= 1.0):
        return "high"
    if upper < -bound and (math.isnan(effect) or effect <= 1.0):
        return "low"
    return "pass"


def shift_case(name, candidate, baseline):
    x, y = np.array(prep(candidate)), np.array(prep(baseline))
    differences = np.subtract.outer(x, y).ravel()
    distinct = np.unique(differences)
    z = stats.norm.ppf((1 - CONFIDENCE) / 2)  # negative, as Kayenta's zQuant
    mw = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True, alternative="two-sided")
    last_positive, first_negative = sign_change(0.0, x, y, distinct)
    zero_set = [distinct[max(last_positive + 1, 0)], distinct[min(first_negative, len(distinct) - 1)]]
    lower, upper = kayenta_root(-z, x, y, distinct), kayenta_root(z, x, y, distinct)
    return {
        "name": name,
        "kayenta_label": kayenta_label(x, y, lower, upper, np.median(differences)),
        "candidate": x.tolist(),
        "baseline": y.tolist(),
        "u": num(mw.statistic),
        "p_value": num(mw.pvalue),
        "hodges_lehmann": num(np.median(differences)),
        "zero_set": [num(zero_set[0]), num(zero_set[1])],
        "lower": num(lower),
        "upper": num(upper),
        "brent_lower": num(brent_root(-z, x, y)),
        "brent_upper": num(brent_root(z, x, y)),
    }


def shift_cases(rng):
    cases = []
    normal = lambda n, loc=0.0, scale=1.0: rng.normal(loc, scale, n)  # noqa: E731
    cases.append(shift_case("normal no shift", normal(50), normal(60)))
    cases.append(shift_case("normal shifted up", normal(80, 0.6), normal(70)))
    cases.append(shift_case("normal shifted down", normal(40, -1.5, 2.0), normal(45)))
    cases.append(shift_case("small sides", normal(5, 1.0), normal(7)))
    cases.append(shift_case("one candidate value", normal(1, 3.0), normal(8)))
    cases.append(shift_case("poisson ties", rng.poisson(3.4, 80), rng.poisson(3.0, 90)))
    cases.append(shift_case("half steps like kayenta's test", np.round(rng.gamma(3, 1, 90) * 2) / 2, np.round(rng.gamma(3.3, 1, 90) * 2) / 2))
    cases.append(shift_case("zero inflated errors", rng.poisson(0.3, 120), rng.poisson(0.1, 110)))
    cases.append(shift_case("lognormal latency", rng.lognormal(4.0, 0.5, 300), rng.lognormal(3.9, 0.5, 250)))
    cases.append(shift_case("constant baseline", normal(30, 2.0), np.full(25, 2.0)))
    cases.append(shift_case("unequal sizes", normal(1000, 0.1), normal(40)))
    cases.append(shift_case("large samples", rng.lognormal(2.0, 0.3, 2500), rng.lognormal(2.02, 0.3, 2000)))
    cases.append(shift_case("tiny scale", normal(60, 0.0333334, 1e-5), normal(50, 0.0333333, 1e-5)))
    return cases


def wilcoxon_method(d):
    d = np.asarray(d)
    n_zero = int((d == 0).sum())
    nonzero = np.abs(d[d != 0])
    has_ties = len(np.unique(nonzero)) < len(nonzero)
    if len(d) > 50:
        return "asymptotic"
    if not (has_ties or n_zero > 0):
        return "exact"
    return "permutation" if len(d) <= 13 else "asymptotic"


def wilcoxon_cases(rng):
    cases = []

    def add(name, d):
        d = prep(d)
        res = stats.wilcoxon(d)
        cases.append({"name": name, "d": d, "statistic": num(res.statistic), "p_value": num(res.pvalue), "method": wilcoxon_method(d)})

    add("exact 20", rng.normal(0.3, 1, 20))
    add("exact 50", rng.normal(-0.1, 1, 50))
    add("exact 7", rng.normal(0.5, 1, 7))
    add("permutation ties", np.round(rng.normal(0.4, 1, 10)))
    add("permutation zeros", [0.0, 0.0, 1.5, -2.0, 3.0, 0.5, 1.0, -0.25])
    add("asymptotic 80 ties", np.round(rng.normal(0.2, 2, 80)))
    add("asymptotic 30 ties and zeros", np.round(rng.normal(0.3, 1.5, 30)))
    add("asymptotic 400 latency", rng.lognormal(3, 0.4, 400) - rng.lognormal(3, 0.4, 400))
    add("asymptotic 60 many zeros", np.where(rng.random(60) < 0.4, 0.0, np.round(rng.normal(0.5, 1, 60), 1)))
    return cases


def ttest_cases(rng):
    cases = []
    for name, d in [
        ("small", rng.normal(0.2, 1, 8)),
        ("medium", rng.normal(-0.05, 0.3, 120)),
        ("large", rng.normal(0.01, 2.0, 5000)),
    ]:
        d = prep(d)
        zeros = [0.0] * len(d)
        res = stats.ttest_rel(d, zeros)
        cases.append({"name": name, "d": d, "t": num(res.statistic), "p_value": num(res.pvalue)})
    return cases


def rate_cases():
    cases = []
    for name, (eb, nb), (ec, nc) in [
        ("errors up, large", (10, 1000), (50, 1000)),
        ("equal rates", (30, 3000), (20, 2000)),
        ("errors down", (120, 4000), (60, 4100)),
        ("few errors: fisher", (2, 300), (7, 250)),
        ("no errors at all", (0, 500), (0, 400)),
        ("one side zero", (0, 800), (4, 700)),
        ("accuracy-like high rates", (930, 1000), (880, 1000)),
        ("all events on one side", (200, 200), (195, 200)),
    ]:
        entry = {"name": name, "baseline": [eb, nb], "candidate": [ec, nc]}
        pooled = (eb + ec) / (nb + nc)
        min_expected = min(nb * pooled, nb * (1 - pooled), nc * pooled, nc * (1 - pooled))
        if min_expected >= 5:
            z, p = proportions_ztest([ec, eb], [nc, nb])
            entry.update(method="z", z=num(z), p_value=num(p))
        else:
            res = stats.fisher_exact([[ec, nc - ec], [eb, nb - eb]])
            entry.update(method="fisher", p_value=num(res.pvalue))
        low, upp = confint_proportions_2indep(ec, nc, eb, nb, method="newcomb", compare="diff", alpha=1 - CONFIDENCE)
        entry["newcombe"] = [num(low), num(upp)]
        cases.append(entry)
    return cases


def wilson_cases():
    cases = []
    for events, trials in [(0, 10), (5, 10), (10, 10), (37, 200), (1, 1), (9990, 10000)]:
        for confidence in (0.95, 0.98):
            low, upp = proportion_confint(events, trials, alpha=1 - confidence, method="wilson")
            cases.append({"events": events, "trials": trials, "confidence": confidence, "interval": [num(low), num(upp)]})
    return cases


def mcnemar_cases():
    cases = []
    for b, c in [(3, 9), (0, 5), (12, 12), (0, 0), (1, 23), (30, 18), (40, 10), (100, 102), (13, 12)]:
        exact = b + c < 25
        res = mcnemar([[50, b], [c, 40]], exact=exact, correction=True)
        cases.append({"b": b, "c": c, "exact": exact, "statistic": num(res.statistic), "p_value": num(res.pvalue)})
    return cases


def main():
    rng = np.random.default_rng(20261127)
    ps = [1e-300, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.425, 0.45, 0.5,
          0.55, 0.575, 0.6, 0.75, 0.9, 0.95, 0.975, 0.98, 0.99, 0.999, 1 - 1e-9, 0.075, 0.0749]
    values = {
        "ndtri": [[p, num(special.ndtri(p))] for p in ps],
        "shift": shift_cases(rng),
        "rates": rate_cases(),
        "wilson": wilson_cases(),
        "mcnemar": mcnemar_cases(),
        "wilcoxon": wilcoxon_cases(rng),
        "ttest_rel": ttest_cases(rng),
    }
    OUT.write_text(json.dumps(values, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
