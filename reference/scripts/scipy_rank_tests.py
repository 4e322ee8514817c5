"""Reference values for drift-core's Epps-Singleton, Mann-Whitney U, t and Fisher tests.

Pinned versions (see reference/requirements.txt): scipy 1.17.1, numpy 2.4.6.
Run from the repository root with the reference virtualenv:

    .venv-ref/bin/python reference/scripts/scipy_rank_tests.py

Writes reference/values/scipy_rank_tests.json. Every sample is drawn from a seeded
numpy default_rng, rounded with round(v, 6) and sorted *before* scipy sees it, so the Rust
tests parse exactly the decimals scipy computed on. Non-finite results are written as the
strings "nan", "inf" and "-inf" (JSON has no literal for them).

Besides scipy's own outputs, two exact values serve as a check on scipy: the t statistic
in rational arithmetic ("statistic_exact") and Fisher's two-sided p-value from exact pmf
ratios ("p_value_exact"). scipy's Fisher p-values lose about 1e-10 relative on tables
with more than ~1e5 counts (Boost's hypergeometric pdf), and its ttest_ind about 1e-10 on
data with a large common offset (plain two-pass mean).
"""

import json
import math
import pathlib
import warnings
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
import scipy
from scipy import stats
from scipy.stats._mannwhitneyu import _mwu_choose_method

assert scipy.__version__ == "1.17.1", scipy.__version__
assert np.__version__ == "2.4.6", np.__version__

OUT = pathlib.Path(__file__).resolve().parent.parent / "values" / "scipy_rank_tests.json"


def num(v):
    """A float for JSON: finite as is, non-finite as a string."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def prep(values):
    """Round to 6 decimals, then sort: exactly the values the Rust side parses."""
    return sorted(round(float(v), 6) for v in values)


def es_rank(x, y):
    """The chi-square degrees of freedom scipy uses: rank of pinv(est_cov), replicated."""
    from scipy._lib._array_api import array_namespace

    xp = array_namespace(np.asarray(x))
    x, y = np.asarray(x), np.asarray(y)
    nx, ny = len(x), len(y)
    n = nx + ny
    sigma = stats.iqr(np.concatenate((x, y))) / 2
    ts = np.array([0.4, 0.8]).reshape(-1, 1) / sigma
    gx = np.vstack((np.cos(ts * x), np.sin(ts * x)))
    gy = np.vstack((np.cos(ts * y), np.sin(ts * y)))
    cov_x = np.cov(gx) * (nx - 1) / nx
    cov_y = np.cov(gy) * (ny - 1) / ny
    est_cov = (n / nx) * cov_x + (n / ny) * cov_y
    return int(xp.linalg.matrix_rank(xp.linalg.pinv(est_cov)))


def es_entry(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(x) < 5 or len(y) < 5:
            return {"error": "too_few"}
        if stats.iqr(np.concatenate((x, y))) == 0:
            # evidently raises before calling scipy; scipy itself fails in the SVD
            return {"error": "iqr_zero"}
        res = stats.epps_singleton_2samp(x, y)
        return {"statistic": num(res.statistic), "p_value": num(res.pvalue), "rank": es_rank(x, y)}


def mwu_entry(x, y):
    out = {}
    ties = len(set(x) | set(y)) < len(x) + len(y)
    for alt in ("two-sided", "less", "greater"):
        res = stats.mannwhitneyu(x, y, alternative=alt)
        out[alt] = {"statistic": num(res.statistic), "p_value": num(res.pvalue)}
    out["method"] = _mwu_choose_method(len(x), len(y), ties)
    return out


def exact_t(x, y):
    """The pooled-variance t of the exact binary values, in exact rational arithmetic,
    rounded to 17 significant digits at the end; None where t is not finite."""
    xs, ys = [Fraction(float(v)) for v in x], [Fraction(float(v)) for v in y]
    df = len(xs) + len(ys) - 2
    if df <= 0:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    ss = sum((v - mx) ** 2 for v in xs) + sum((v - my) ** 2 for v in ys)
    if ss == 0:
        return None
    t2 = (mx - my) ** 2 / (ss / df * (Fraction(1, len(xs)) + Fraction(1, len(ys))))
    getcontext().prec = 40
    t = (Decimal(t2.numerator) / Decimal(t2.denominator)).sqrt()
    return float(t if mx >= my else -t)


def ttest_entry(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.ttest_ind(x, y)
    out = {"statistic": num(res.statistic), "p_value": num(res.pvalue)}
    t = exact_t(x, y)
    if t is not None:
        out["statistic_exact"] = t
    return out


def case(name, x, y, note=""):
    x, y = prep(x), prep(y)
    entry = {"name": name, "x": x, "y": y}
    if note:
        entry["note"] = note
    entry["es"] = es_entry(np.array(x), np.array(y))
    entry["mwu"] = mwu_entry(np.array(x), np.array(y))
    entry["ttest"] = ttest_entry(np.array(x), np.array(y))
    return entry


def build_cases():
    rng = np.random.default_rng(20240611)
    cases = []
    cases.append(case("normal_shift", rng.normal(0, 1, 200), rng.normal(0.3, 1, 150)))
    same = rng.normal(5, 2, 100)
    cases.append(case("identical", same, same))
    cases.append(case("heavy_ties_0_3", rng.integers(0, 4, 120), rng.integers(0, 4, 100)))
    cases.append(case("ties_0_2", rng.integers(0, 3, 60), rng.integers(0, 3, 45),
                      "three distinct values: ES covariance of rank 2"))
    cases.append(case("binary", rng.integers(0, 2, 40), rng.integers(0, 2, 30),
                      "two distinct values: ES covariance of rank 1"))
    cases.append(case("tiny_3v4", rng.normal(0, 1, 3), rng.normal(1, 1, 4), "exact MWU; ES too few"))
    cases.append(case("tiny_8v8", rng.normal(0, 1, 8), rng.normal(0.5, 1, 8), "exact MWU"))
    cases.append(case("tiny_8v8_separated", rng.uniform(0, 1, 8), rng.uniform(2, 3, 8),
                      "exact MWU at the extreme: p = 1/C(16,8)"))
    cases.append(case("tiny_8v8_ties", rng.integers(0, 6, 8), rng.integers(2, 8, 8),
                      "ties: asymptotic MWU"))
    cases.append(case("tiny_9v5", rng.normal(0, 1, 9), rng.normal(0.8, 1, 5), "exact MWU (one side <= 8)"))
    cases.append(case("exact_5v40", rng.normal(0, 1, 5), rng.normal(-0.7, 1, 40), "exact MWU, unequal"))
    cases.append(case("exact_8v3000", rng.normal(0, 1, 8), rng.normal(0.4, 1, 3000),
                      "exact MWU past uint64 counts (scipy's float path)"))
    cases.append(case("tiny_1v1", [0.5], [1.5], "MWU exact on 1v1; t-test undefined"))
    cases.append(case("tiny_1v3", [0.5], [1.5, 2.0, 3.25], "t-test with df = 2"))
    cases.append(case("es_small_20v15", rng.normal(0, 1, 20), rng.normal(0.5, 1.3, 15),
                      "ES small-sample correction (max(n, m) < 25)"))
    cases.append(case("es_small_24v24", rng.normal(0, 1, 24), rng.normal(0.0, 1, 24),
                      "ES small-sample correction at the boundary"))
    cases.append(case("es_25v10", rng.normal(0, 1, 25), rng.normal(0.5, 1, 10),
                      "ES without correction (max(n, m) = 25)"))
    cases.append(case("es_30v40", rng.normal(0, 1, 30), rng.normal(0.2, 1, 40)))
    cases.append(case("es_5v5", rng.normal(0, 1, 5), rng.normal(1, 1, 5), "ES minimum size"))
    cases.append(case("skewed_lognormal", rng.lognormal(0, 1, 300), rng.lognormal(0.2, 1.1, 250)))
    bimodal_x = np.concatenate((rng.normal(-2, 0.5, 150), rng.normal(2, 0.5, 150)))
    bimodal_y = np.concatenate((rng.normal(-2, 0.5, 100), rng.normal(2, 0.5, 180)))
    cases.append(case("bimodal", bimodal_x, bimodal_y))
    cases.append(case("large_5000", rng.normal(0, 1, 5000), rng.normal(0.05, 1, 5000)))
    cases.append(case("large_far_5000", rng.normal(0, 1, 5000), rng.normal(0.5, 1, 5000),
                      "tiny p-values"))
    cases.append(case("es_iqr_zero", [0.0] * 20 + [1.0, 2.0], [0.0] * 15 + [5.0],
                      "pooled IQR 0: evidently raises, scipy fails in the SVD"))
    cases.append(case("const_same", [2.0] * 10, [2.0] * 8, "t-test: 0/0"))
    cases.append(case("const_diff", [1.0] * 5, [3.0] * 6, "t-test: -inf"))
    cases.append(case("const_vs_varying", [1.0] * 6, rng.normal(1.2, 0.5, 9)))
    cases.append(case("offset_1e6", 1e6 + rng.normal(0, 1, 50), 1e6 + rng.normal(0.5, 1, 60),
                      "large common offset: two-pass variance"))
    return cases


def fisher_tables():
    return [
        [[8, 2], [1, 5]],
        [[1, 9], [11, 3]],
        [[10, 10], [10, 10]],
        [[12, 10], [10, 12]],
        [[0, 5], [5, 0]],
        [[0, 5], [3, 7]],
        [[5, 0], [3, 7]],
        [[0, 0], [4, 6]],
        [[0, 4], [0, 6]],
        [[3, 0], [0, 0]],
        [[0, 0], [0, 0]],
        [[1, 0], [0, 1]],
        [[7, 0], [0, 0]],
        [[2, 7], [8, 2]],
        [[100, 0], [0, 100]],
        [[90, 10], [5, 95]],
        [[1000, 10], [20, 1000]],
        [[50000, 49000], [48000, 51000]],
        [[500000, 500000], [499000, 501000]],
        [[1000000, 999000], [998500, 1000500]],
        [[3, 1000000], [20, 1000000]],
        [[25, 75], [75, 25]],
        [[37, 41], [52, 30]],
        [[6, 1], [1, 6]],
        [[4, 4], [4, 5]],
    ]


def exact_fisher_p(table):
    """scipy's two-sided rule (sum of pmf <= pmf(observed) * (1 + 1e-14)) on exact pmf
    ratios: each term relative to the mode by the ratio recurrence in 50-digit decimals,
    normalised by their sum; tails are cut once terms fall below 1e-70 of the mode."""
    getcontext().prec = 50
    (a, b), (c, d) = table
    white, black, drawn = a + b, c + d, a + c
    if 0 in (a + b, c + d, a + c, b + d):
        return 1.0
    lo, hi = max(0, drawn - black), min(drawn, white)
    mode = (drawn + 1) * (white + 1) // (white + black + 2)
    rel = {mode: Decimal(1)}
    tiny = Decimal(10) ** -70
    x, v = mode, Decimal(1)
    while x < hi and v > tiny:
        v = v * Decimal((white - x) * (drawn - x)) / Decimal((x + 1) * (black - drawn + x + 1))
        x += 1
        rel[x] = v
    x, v = mode, Decimal(1)
    while x > lo and v > tiny:
        v = v * Decimal(x * (black - drawn + x)) / Decimal((white - x + 1) * (drawn - x + 1))
        x -= 1
        rel[x] = v
    if a not in rel:
        return None  # the observed table is beyond the cut: the p-value is below 1e-70
    limit = rel[a] * (1 + Decimal("1e-14"))
    return float(sum(v for v in rel.values() if v <= limit) / sum(rel.values()))


def fisher_entry(table):
    res = stats.fisher_exact(table)
    out = {"table": table, "odds_ratio": num(res.statistic), "p_value": num(res.pvalue)}
    exact = exact_fisher_p(table)
    if exact is not None:
        out["p_value_exact"] = exact
    return out


def main():
    data = {
        "generator": "reference/scripts/scipy_rank_tests.py",
        "versions": {"scipy": scipy.__version__, "numpy": np.__version__},
        "cases": build_cases(),
        "fisher": [fisher_entry(t) for t in fisher_tables()],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
