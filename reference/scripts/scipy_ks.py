"""Reference values for drift-core's two-sample Kolmogorov-Smirnov test.

Pinned versions: scipy 1.17.1, numpy 2.4.6 (see reference/requirements.txt).
Run:  /work/.venv-ref/bin/python reference/scripts/scipy_ks.py
Writes reference/values/scipy_ks.json with three sections:

* "cases": seeded two-sample inputs (values rounded BEFORE scipy sees them, so the
  Rust test parses the identical decimals) with scipy.stats.ks_2samp's statistic,
  p-value and the p-value path actually taken ("exact", or "asymp" either because
  max(n1, n2) > 10000 or because the exact computation was rejected and scipy fell
  back, which it announces with a RuntimeWarning).
* "kstwo": direct scipy.stats.kstwo.sf(d, n) values over a grid that visits every
  branch of scipy.stats._ksstats._kolmogn (the branch is recorded as "regime").
* "smirnov": direct scipy.special.smirnov(n, x) values over its own branches.
* "exact_prob": the exact-path probabilities for given (n1, n2, h) straight from
  scipy's private helpers, so the lattice-path code is checked independently of data;
  "p_bits" holds the IEEE-754 bits, which the Rust side must reproduce exactly.
"""

import json
import math
import struct
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.special
from scipy import stats
from scipy.stats._stats_py import _compute_prob_outside_square
from scipy.stats._stats_pythran import _compute_outer_prob_inside_method

assert scipy.__version__ == "1.17.1", scipy.__version__
assert np.__version__ == "2.4.6", np.__version__

OUT = Path(__file__).resolve().parent.parent / "values" / "scipy_ks.json"


def rounded(a, decimals):
    return [round(float(v), decimals) for v in a]


def run_ks(name, x, y, decimals=6):
    x = rounded(x, decimals)
    y = rounded(y, decimals)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.ks_2samp(np.array(x), np.array(y), alternative="two-sided", method="auto")
    fell_back = any("Exact calculation unsuccessful" in str(w.message) for w in caught)
    if max(len(x), len(y)) > 10000 or fell_back:
        method = "asymp"
    else:
        method = "exact"
    stat = float(res.statistic)
    p = float(res.pvalue)
    print(f"{name:32s} n1={len(x):6d} n2={len(y):6d} D={stat:.6g} p={p:.6g} {method}"
          f"{' (fallback)' if fell_back else ''}")
    return {
        "name": name,
        "x": x,
        "y": y,
        "statistic": stat,
        "p_value": p,
        "method": method,
        "fallback": fell_back,
    }


def float_bits(v):
    """IEEE-754 bits of a double as an integer (serde_json's default float parsing may be
    one ulp off, so values that must match bit for bit are also stored this way)."""
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def kolmogn_regime(n, x):
    """Which branch of scipy.stats._ksstats._kolmogn (cdf=False) kstwo.sf takes."""
    if x <= 0.5 / n:
        return "support_low"
    if x >= 1.0:
        return "support_high"
    t = n * x
    if t <= 1.0:
        if t <= 0.5:
            return "t_le_half"
        return "ruben_gambino_low_prod" if n <= 140 else "ruben_gambino_low_stirling"
    if t >= n - 1:
        return "ruben_gambino_high"
    if x >= 0.5:
        return "smirnov_x_ge_half"
    nxsq = t * x
    if n <= 140:
        if nxsq <= 0.754693:
            return "durbin_small_n"
        if nxsq <= 4:
            return "pomeranz"
        return "smirnov_small_n"
    if nxsq >= 370.0:
        return "zero_tail"
    if nxsq >= 2.2:
        return "smirnov_large_n_approx" if n > 1000000 else "smirnov_large_n"
    if nxsq >= 18.0:
        return "cdf_one"
    if n <= 100000 and n * x ** 1.5 <= 1.4:
        return "durbin_large_n"
    z = math.sqrt(n) * x
    if -math.pi ** 2 / 8 / z ** 2 < -708:
        return "pelz_good_underflow"
    return "pelz_good"


def kstwo_grid():
    out = []
    seen = set()

    def add(d, n):
        d = float(d)
        if (d, n) in seen or not (0 <= d <= 1.2):
            return
        seen.add((d, n))
        out.append({"n": n, "d": d, "sf": float(stats.kstwo.sf(d, n)),
                    "regime": kolmogn_regime(n, d)})

    small = [1, 2, 3, 4, 5, 7, 10, 13, 20, 33, 50, 77, 100, 139, 140]
    for n in small:
        for d in np.linspace(0.0, 1.0, 41):
            add(round(float(d), 6), n)
        # targeted: Durbin/Pomeranz/smirnov boundaries on n x^2
        for nxsq in (0.1, 0.3, 0.6, 0.75, 0.76, 1.0, 2.0, 3.0, 3.9, 4.1, 6.0, 10.0):
            d = math.sqrt(nxsq / n)
            if d < 0.5:
                add(d, n)
        for t in (0.55, 0.8, 1.0, 1.3):
            add(t / n, n)
    large = [141, 200, 500, 1000, 2500, 5000, 5455, 10000, 50000, 100000, 100001,
             250000, 500000, 1000001, 2000000]
    for n in large:
        for nxsq in (0.05, 0.2, 0.4, 0.7, 1.0, 1.5, 2.1, 2.3, 4.0, 10.0, 30.0, 80.0,
                     200.0, 360.0, 369.0, 371.0, 500.0):
            d = math.sqrt(nxsq / n)
            if n >= 250000 and 2.2 <= nxsq < 370 and nxsq not in (2.3, 30.0, 200.0):
                # smirnov with n >= 250000 is O(n) in scipy; keep a few
                continue
            add(d, n)
        for t in (0.4, 0.6, 0.9, 1.0, 1.5, 3.0):
            add(t / n, n)
        for d in (0.5, 0.7, 1.0 - 0.5 / n, 1.0):
            add(d, n)
        # Durbin/Pelz-Good switch on n x^1.5 = 1.4
        for c in (1.0, 1.39, 1.41, 2.0):
            add((c / n) ** (2.0 / 3.0), n)
    return out


def smirnov_grid():
    out = []
    pts = []
    for n in (1, 2, 3, 5, 8, 10, 11, 16, 40, 100, 1000, 5000, 20000, 1000001, 3000000):
        for x in (0.0, 0.01, 0.05, 0.1, 0.125, 0.2, 0.25, 0.3, 0.5, 0.75, 0.9, 0.99, 1.0):
            pts.append((n, x))
        for c in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0):  # small x: x <= 1/n, upper sum
            pts.append((n, c / n))
        pts.append((n, 1.0 - 1.0 / n))
        pts.append((n, 1.0 - 0.5 / n))
        for nxsq in (2.5, 20.0, 300.0):
            pts.append((n, math.sqrt(nxsq / n)))
    for n, x in pts:
        if not (0 <= x <= 1):
            continue
        out.append({"n": n, "x": float(x), "sf": float(scipy.special.smirnov(n, x))})
    return out


def exact_prob_grid():
    out = []
    rng = np.random.default_rng(2024)
    for n in (1, 2, 3, 5, 7, 13, 30, 60, 200, 1000, 10000):
        for h in sorted({1, 2, 3, max(1, n // 10), max(1, n // 3), max(1, n // 2), n}):
            if h <= n:
                p = float(_compute_prob_outside_square(n, h))
                out.append({"n1": n, "n2": n, "h": h, "p": p, "p_bits": float_bits(p)})
    for n1, n2 in ((1, 2), (2, 3), (3, 7), (4, 6), (10, 15), (37, 1000), (500, 730),
                   (99, 100), (1000, 1500), (9999, 10000), (10000, 9998)):
        g = math.gcd(n1, n2)
        lcm = n1 // g * n2
        hs = {1, lcm // 3, lcm // 7, lcm}
        hs |= {int(v) for v in rng.integers(1, lcm + 1, size=3)}
        if n1 * n2 > 10 ** 6:  # keep scipy runtime moderate
            hs = {h for h in hs if h <= lcm // 20} | {lcm // 50}
        for h in sorted(hs):
            if h >= 1:
                p = float(_compute_outer_prob_inside_method(n1, n2, g, h))
                out.append({"n1": n1, "n2": n2, "h": h, "p": p, "p_bits": float_bits(p)})
    return out


def main():
    cases = []
    rng = np.random.default_rng(20240611)

    # shifted normals, exact path with unequal and equal sizes
    cases.append(run_ks("normal_shift_300_400", rng.normal(0, 1, 300), rng.normal(0.3, 1, 400)))
    cases.append(run_ks("normal_shift_250_250", rng.normal(0, 1, 250), rng.normal(0.25, 1.2, 250)))
    # identical samples
    same = rng.normal(5, 2, 120)
    cases.append(run_ks("identical_120", same, same))
    # heavy ties
    cases.append(run_ks("ties_int_0_4_200_150", rng.integers(0, 5, 200), rng.integers(0, 5, 150)))
    cases.append(run_ks("ties_int_0_4_100_100", rng.integers(0, 5, 100), rng.integers(0, 5, 100)))
    cases.append(run_ks("ties_int_shift_300_200", rng.integers(0, 5, 300), rng.integers(1, 6, 200)))
    # constant samples
    cases.append(run_ks("constant_same", np.full(50, 3.0), np.full(60, 3.0)))
    cases.append(run_ks("constant_different", np.full(50, 1.0), np.full(60, 2.0)))
    cases.append(run_ks("constant_different_equal_n", np.full(40, 1.0), np.full(40, -2.5)))
    # tiny sizes
    cases.append(run_ks("tiny_1v1_diff", [0.5], [1.5]))
    cases.append(run_ks("tiny_1v1_same", [0.5], [0.5]))
    cases.append(run_ks("tiny_1v5", [0.3], rng.normal(0, 1, 5)))
    cases.append(run_ks("tiny_2v3", rng.normal(0, 1, 2), rng.normal(0, 1, 3)))
    cases.append(run_ks("tiny_5v5_random", rng.normal(0, 1, 5), rng.normal(0.5, 1, 5)))
    cases.append(run_ks("tiny_5v5_interleaved", [1, 3, 5, 7, 9], [2, 4, 6, 8, 10]))
    cases.append(run_ks("tiny_5v5_separated", [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]))
    cases.append(run_ks("tiny_3v4_separated", [1, 2, 3], [6, 7, 8, 9]))
    # unequal sizes
    cases.append(run_ks("unequal_37_1000", rng.normal(0, 1, 37), rng.normal(0.2, 1, 1000)))
    cases.append(run_ks("unequal_500_730", rng.normal(0, 1, 500), rng.normal(0.1, 1, 730)))
    cases.append(run_ks("unequal_1000_1500_lognormal", rng.lognormal(0, 1, 1000), rng.lognormal(0.05, 1, 1500)))
    # equal n=200: p near 1, p tiny
    cases.append(run_ks("equal_200_tiny_shift", rng.normal(0, 1, 200), rng.normal(0.01, 1, 200)))
    cases.append(run_ks("equal_200_big_shift", rng.normal(0, 1, 200), rng.normal(1.45, 1, 200)))
    cases.append(run_ks("equal_200_separated", rng.normal(0, 1, 200), rng.normal(100, 1, 200)))
    # equal sizes where scipy's exact formula exceeds 1 by rounding and it falls back
    base = np.arange(60) * 2.0
    cases.append(run_ks("equal_60_interleaved_fallback", base, base + 3.0))
    base = np.arange(30) * 3.0
    cases.append(run_ks("equal_30_interleaved", base, base + 1.0))
    # around the exact/asymptotic switch (values to 4 decimals to keep the file small)
    cases.append(run_ks("n9999_vs_10000", rng.normal(0, 1, 9999), rng.normal(0.02, 1, 10000), 4))
    cases.append(run_ks("n10000_vs_10000", rng.normal(0, 1, 10000), rng.normal(0.03, 1, 10000), 4))
    cases.append(run_ks("n10001_vs_10001_null", rng.normal(0, 1, 10001), rng.normal(0, 1, 10001), 4))
    near = rng.normal(0, 1, 10001)
    cases.append(run_ks("n10001_vs_10001_near_identical", near, near + rng.normal(0, 0.0005, 10001), 4))
    cases.append(run_ks("n10000_vs_12000_shift", rng.normal(0, 1, 10000), rng.normal(0.06, 1, 12000), 4))
    cases.append(run_ks("n10000_vs_12000_pelz_good", rng.normal(0, 1, 10000), rng.normal(0.025, 1, 12000), 4))
    cases.append(run_ks("n12000_vs_10001_big_shift", rng.normal(0, 1, 12000), rng.normal(0.8, 1, 10001), 3))
    # many small tie-heavy samples (several hit scipy's exact-to-asymptotic fall-back)
    for k in range(60):
        n1 = int(rng.integers(1, 40))
        n2 = n1 if k % 3 == 0 else int(rng.integers(1, 40))
        if k % 2 == 0:
            a, b = rng.integers(0, 4, n1), rng.integers(0, 4, n2)
        else:
            a, b = np.arange(n1) * 2.0, np.arange(n2) * 2.0 + float(rng.integers(-3, 4))
        cases.append(run_ks(f"small_random_{k:02d}", a, b))
    # widest lattice window on the exact path: disjoint samples, 10000 vs 9999
    cases.append(run_ks("n10000_vs_9999_disjoint", np.arange(10000.0), np.arange(9999.0) + 20000.0, 0))

    result = {
        "versions": {"scipy": scipy.__version__, "numpy": np.__version__},
        "cases": cases,
        "kstwo": kstwo_grid(),
        "smirnov": smirnov_grid(),
        "exact_prob": exact_prob_grid(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(result, fh, separators=(",", ":"))
    regimes = sorted({r["regime"] for r in result["kstwo"]})
    print("kstwo points:", len(result["kstwo"]), "regimes:", regimes)
    print("smirnov points:", len(result["smirnov"]), "exact_prob points:", len(result["exact_prob"]))
    print("wrote", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
