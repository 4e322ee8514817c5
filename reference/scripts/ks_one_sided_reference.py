"""Reference values for drift-core's one-sided two-sample Kolmogorov-Smirnov test
(crates/drift-core/src/stattest/ks_one_sided.rs).

Pinned versions: scipy 1.17.1, numpy 2.4.6 (see reference/requirements.txt).
Run:  /work/.venv-ref/bin/python reference/scripts/ks_one_sided_reference.py
Writes reference/values/ks_one_sided.json with two sections:

* "cases": seeded two-sample inputs with scipy.stats.ks_2samp(x, y, alternative=...,
  method='auto') for alternative 'greater' and 'less': statistic, p-value and the path
  scipy took ("exact"; or "asymp", because max(n1, n2) > 10000 or because the exact
  computation failed and scipy fell back, announced by a RuntimeWarning, recorded as
  "fallback"). The samples are integers (seeded normals times 1000, rounded; small ranges
  for the tied cases), so both sides parse identical values and ties are common. The same
  data with method='asymp' is recorded too ("asymp_statistic", "asymp_p_value"): Hodges'
  formula on the raw statistic, so that it is checked on every case, not only the large ones.
* "exact_prob": scipy's exact one-sided probability P(D+ >= h / lcm(n1, n2)) straight from
  its private helper _attempt_exact_2kssamp(n1, n2, g, h / lcm, 'greater') over a grid of
  (n1, n2, h): "success" false where scipy gives up (binom(n1 + n2, n1) overflows), else
  "p". For unequal sizes with n1 n2 <= 600000, "exact" holds the true value from exact
  lattice-path counts in Python integers, to show scipy's own rounding error (largest,
  about 2e-11, for 10000 against 60 observations: its inclusion-exclusion cancels).
"""

import json
import math
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy
from scipy import stats
from scipy.stats._stats_py import _attempt_exact_2kssamp

assert scipy.__version__ == "1.17.1", scipy.__version__
assert np.__version__ == "2.4.6", np.__version__

OUT = Path(__file__).resolve().parent.parent / "values" / "ks_one_sided.json"


def ks(x, y, alternative, method):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.ks_2samp(np.array(x, dtype=float), np.array(y, dtype=float),
                             alternative=alternative, method=method)
    fell_back = any("Exact calculation unsuccessful" in str(w.message) for w in caught)
    return float(res.statistic), float(res.pvalue), fell_back


def run_case(name, x, y):
    x = [int(v) for v in x]
    y = [int(v) for v in y]
    case = {"name": name, "x": x, "y": y}
    for alternative in ("greater", "less"):
        stat, p, fell_back = ks(x, y, alternative, "auto")
        method = "asymp" if max(len(x), len(y)) > 10000 or fell_back else "exact"
        a_stat, a_p, _ = ks(x, y, alternative, "asymp")
        case[alternative] = {
            "statistic": stat,
            "p_value": p,
            "method": method,
            "fallback": fell_back,
            "asymp_statistic": a_stat,
            "asymp_p_value": a_p,
        }
        print(f"{name:28s} {alternative:7s} n1={len(x):6d} n2={len(y):6d} D={stat:.6g} "
              f"p={p:.6g} {method}{' (fallback)' if fell_back else ''}")
    return case


def normals(rng, n, loc=0.0, scale=1.0):
    return np.round(rng.normal(loc, scale, n) * 1000.0).astype(int)


def data_cases(rng):
    cases = [
        run_case("one_each_below", [1], [2]),
        run_case("one_each_above", [2], [1]),
        run_case("one_each_tied", [3], [3]),
        run_case("one_vs_three", [5], [1, 7, 9]),
        run_case("three_vs_one", [2, 4, 6], [5]),
        run_case("identical", [1, 2, 3, 4], [1, 2, 3, 4]),
        run_case("disjoint_low", [1, 2, 3, 4, 5], [10, 11, 12]),
        run_case("disjoint_high", [10, 11, 12, 13], [1, 2, 3, 4, 5, 6]),
    ]
    # ties: values from small ranges
    for i, (n1, n2, k) in enumerate([(12, 12, 3), (15, 9, 4), (40, 33, 6), (200, 170, 10)]):
        x = rng.integers(0, k, n1)
        y = rng.integers(0, k, n2) + (i % 2)
        cases.append(run_case(f"ties_{n1}_{n2}", x, y))
    # equal sizes (scipy's product formula)
    for n, shift in [(7, 0.5), (50, 0.0), (50, 0.6), (300, -0.2), (1000, 0.1), (2500, -0.05),
                     (10000, 0.03)]:
        cases.append(run_case(f"equal_{n}_shift_{shift}", normals(rng, n), normals(rng, n, shift)))
    # unequal sizes with binom(n1 + n2, n1) finite (scipy's path counting)
    for n1, n2, shift in [(3, 5, 0.0), (10, 23, 0.8), (37, 53, -0.4), (150, 200, 0.3),
                          (400, 600, 0.1), (514, 515, 0.05), (1000, 29, -0.5), (60, 10000, 0.2),
                          (10000, 7, -1.0), (2, 9999, 0.0)]:
        cases.append(run_case(f"unequal_{n1}_{n2}_shift_{shift}",
                              normals(rng, n1), normals(rng, n2, shift)))
    # unequal sizes whose binomial overflows: scipy falls back to Hodges' formula with the
    # lattice-rounded statistic
    for n1, n2, shift in [(515, 516, 0.05), (600, 500, -0.1), (3000, 2000, 0.08),
                          (10000, 9999, 0.02), (200, 9000, -0.25)]:
        cases.append(run_case(f"fallback_{n1}_{n2}_shift_{shift}",
                              normals(rng, n1), normals(rng, n2, shift)))
    # above 10000 observations on a side: Hodges' formula directly
    for n1, n2, shift in [(10001, 10001, 0.0), (12000, 10001, 0.04), (3, 15000, 0.5),
                          (11000, 400, -0.1)]:
        cases.append(run_case(f"large_{n1}_{n2}_shift_{shift}",
                              normals(rng, n1), normals(rng, n2, shift)))
    return cases


def true_probability(n1, n2, h):
    """P(max_t (F1 - F2) >= h / lcm) exactly: lattice paths from (0, 0) to (n1, n2) that
    reach i n2 - j n1 >= h gcd, counted with Python integers."""
    g = math.gcd(n1, n2)
    a, b = n2 // g, n1 // g
    below = [0] * (n2 + 1)  # paths to (i, j) that never reached the boundary
    for i in range(n1 + 1):
        for j in range(n2 + 1):
            if i * a - j * b >= h:
                below[j] = 0
            elif i == 0 and j == 0:
                below[j] = 1
            else:
                below[j] = (below[j] if i > 0 else 0) + (below[j - 1] if j > 0 else 0)
    total = math.comb(n1 + n2, n1)
    return float(Fraction(total - below[n2], total))


def exact_grid():
    out = []
    pairs = [(1, 1), (1, 2), (2, 3), (5, 5), (3, 7), (8, 12), (10, 10), (20, 30), (45, 30),
             (64, 64), (99, 100), (120, 80), (250, 300), (333, 1), (500, 520), (514, 515),
             (515, 516), (516, 514), (700, 300), (1000, 1000), (1, 10000), (2, 10000),
             (10, 10000), (10000, 60)]
    # the largest n with binom(10000 + n, n) finite, and the next one
    n_max = max(n for n in range(1, 200) if math.comb(10000 + n, n) <= int(np.finfo(float).max))
    pairs += [(10000, n_max), (n_max + 1, 10000), (5000, 5000), (10000, 10000)]
    for n1, n2 in pairs:
        g = math.gcd(n1, n2)
        lcm = n1 // g * n2
        hs = sorted({1, 2, lcm // 7, lcm // 3, lcm // 2, 2 * lcm // 3, lcm - 1, lcm}
                    | {int(v) for v in np.linspace(1, lcm, 9)})
        for h in hs:
            if h < 1 or h > lcm:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                success, d, p = _attempt_exact_2kssamp(n1, n2, g, h / lcm, "greater")
            point = {"n1": n1, "n2": n2, "h": h, "success": bool(success)}
            if success:
                point["p"] = float(p)
                if n1 * n2 <= 600_000 and n1 != n2:
                    point["exact"] = true_probability(n1, n2, h)
            out.append(point)
    return out, n_max


def main():
    rng = np.random.default_rng(20261128)
    cases = data_cases(rng)
    grid, n_max = exact_grid()
    worst = max((abs(p["p"] - p["exact"]) / p["exact"] for p in grid
                 if "exact" in p and p["exact"] > 1e-290), default=0.0)
    print(f"exact grid: {len(grid)} points, {sum(not p['success'] for p in grid)} where scipy "
          f"gives up; largest n with binom(10000 + n, n) finite: {n_max}; scipy's worst "
          f"relative error against the integer count: {worst:.3g}")
    out = {
        "generator": "reference/scripts/ks_one_sided_reference.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
        "cases": cases,
        "exact_prob": grid,
    }
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
