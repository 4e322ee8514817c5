#!/usr/bin/env python3
"""Reference values for drift-core's univariate drift tests, computed by evidently itself.

Generates seeded column pairs (numpy default_rng, one fixed seed per case) and runs every
applicable evidently 0.7.23 drift test on each pair, the way evidently's per-column driver
(`get_one_column_drift` in evidently/legacy/calculations/data_drift.py) does it:

  * replace +-inf with NaN and drop NaN on each side;
  * `get_stattest(reference, current, column_type, name_or_None)`;
  * `stattest(reference, current, column_type, threshold=None)` -> StatTestResult.

Output: reference/values/evidently_drift.json (layout documented in README-like form below).

    {
      "generated_by": "reference/scripts/evidently_drift.py",
      "versions": {"evidently": ..., "scipy": ..., "numpy": ..., "pandas": ...},
      "cases": [
        {"name", "kind": "numeric"|"categorical",
         "reference": [...], "current": [...],   # null = missing; "nan"/"inf"/"-inf" strings
         "auto_test": <name of get_stattest(..., None) on the cleaned data>,
         "tests": {<test name>: {"score", "drifted", "threshold"[, "statistic", "iterations"|"permutations"]}
                                | {"error": "<ExceptionType>: <message>"}}}
      ]
    }

Notes
  * Every generated float is rounded (round(v, 6); round(v, 4) for the 10000-row pair) and the
    values are then serialised to JSON and parsed back before anything is computed, so the
    numbers evidently sees are exactly the f64s a JSON parser produces from the file.
  * A non-finite score (e.g. t_test on constant data gives NaN) is written as the string
    "nan" / "inf" / "-inf", like the non-finite input values.
  * `mean_shift` is not evidently's: |mean(cur) - mean(ref)| / max(np.std(ref), 0.001),
    drifted when >= 0.2, computed with numpy on the cleaned data.
  * On numeric cases whose auto test is one of evidently's categorical-only tests
    ("chisquare" or "z": numeric columns with <= 5 distinct values), the registry refuses that
    name for ColumnType.Numerical, but evidently's auto path calls the test object anyway; the
    result of that call (through the object get_stattest(..., None) returned) is recorded
    under the auto test's name as well.
  * empirical_mmd draws from numpy's global RNG and evidently does not seed it, so
    np.random.seed(0) is called right before every empirical_mmd call (and before the
    mmd_pval call that reports the statistic). TVD's permutation_test seeds 0 itself.
  * Categorical keys come from Python sets of strings, whose iteration order depends on
    PYTHONHASHSEED; this script re-executes itself with PYTHONHASHSEED=0 so that summation
    orders (and therefore the last bits of the scores) are reproducible.
  * evidently 0.7.23 does not import under pandas 3 (evidently/legacy/tests/
    data_integrity_tests.py imports pandas.core.dtypes.common.infer_dtype_from_object, which
    pandas 3 removed). `_install_pandas3_shim` stubs that one name before the import; it is
    used only by evidently's TestColumnsType, never by the drift tests.

Run: /work/.venv-ref/bin/python reference/scripts/evidently_drift.py
"""

import os
import sys

if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import pandas as pd  # noqa: E402
import pandas.core.dtypes.common as _pd_common  # noqa: E402


def _install_pandas3_shim():
    """evidently 0.7.23 imports a helper pandas 3 removed; stub it (drift tests never call it)."""
    if not hasattr(_pd_common, "infer_dtype_from_object"):
        def infer_dtype_from_object(dtype):
            raise NotImplementedError("pandas<3 helper stubbed by reference/scripts (used only by TestColumnsType)")

        _pd_common.infer_dtype_from_object = infer_dtype_from_object


_install_pandas3_shim()
import scipy  # noqa: E402
import evidently  # noqa: E402
from evidently.legacy.calculations.stattests import get_stattest  # noqa: E402
from evidently.legacy.calculations.stattests.mmd_stattest import mmd_pval  # noqa: E402
from evidently.legacy.calculations.stattests.tvd_stattest import _total_variation_distance  # noqa: E402
from evidently.legacy.core import ColumnType  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "reference" / "values" / "evidently_drift.json"

PINNED = {"evidently": "0.7.23", "scipy": "1.17.1", "numpy": "2.4.6", "pandas": "3.1.1"}

NUMERIC_TESTS = [
    "ks", "wasserstein", "psi", "kl_div", "jensenshannon", "hellinger", "anderson",
    "cramer_von_mises", "ed", "es", "mannw", "t_test", "empirical_mmd",
]
# The 10000-row pair: no empirical_mmd (O(n^2) memory) and no es.
LARGE_NUMERIC_TESTS = [
    "ks", "wasserstein", "psi", "kl_div", "jensenshannon", "hellinger", "ed", "t_test",
    "mannw", "cramer_von_mises", "anderson",
]
CATEGORICAL_TESTS = [
    "chisquare", "z", "psi", "kl_div", "jensenshannon", "hellinger", "fisher_exact", "g_test", "TVD",
]
MMD_MAX_SIDE = 2000
TVD_MAX_SIDE = 5000
MEAN_SHIFT_THRESHOLD = 0.2

# Warnings seen per (case, test), printed at the end (not stored in the JSON).
WARNINGS_SEEN = {}


# --------------------------------------------------------------------------------------------
# value encoding
# --------------------------------------------------------------------------------------------

MISSING = None  # a missing cell (JSON null)


def encode_numeric(values, decimals):
    """Python/numpy values -> JSON-ready list. None -> null, non-finite -> "nan"/"inf"/"-inf"."""
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        v = float(v)
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            r = round(v, decimals)
            out.append(r + 0.0 if r != 0 else 0.0)  # no "-0.0"
    return out


def encode_categorical(values):
    return [None if v is None else str(v) for v in values]


def numeric_series(encoded):
    """JSON list (after a JSON round trip) -> float64 Series as evidently would get it."""
    conv = []
    for v in encoded:
        if v is None:
            conv.append(np.nan)
        elif isinstance(v, str):
            conv.append(float(v))  # "nan", "inf", "-inf"
        else:
            conv.append(float(v))
    return pd.Series(np.array(conv, dtype=np.float64))


def categorical_series(encoded):
    # pandas' default inference, i.e. what a DataFrame column of strings with gaps becomes
    # (pandas 3: the "str" dtype, missing = NaN).
    return pd.Series(encoded)


def clean(series):
    """What get_one_column_drift does to each side before testing."""
    return series.replace([-np.inf, np.inf], np.nan).dropna()


# --------------------------------------------------------------------------------------------
# result encoding
# --------------------------------------------------------------------------------------------


def num_out(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def error_out(exc):
    return {"error": f"{type(exc).__name__}: {exc}"}


def run_stattest(case_name, test_name, stattest, ref, cur, column_type, extra=None, seed_global_rng=False):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if seed_global_rng:
                np.random.seed(0)
            res = stattest(ref.copy(), cur.copy(), column_type, None)
            entry = {
                "score": num_out(res.drift_score),
                "drifted": bool(res.drifted),
                "threshold": float(res.actual_threshold),
            }
            if extra is not None:
                entry.update(extra(res))
        except Exception as exc:  # noqa: BLE001 - record whatever evidently raises
            entry = error_out(exc)
    msgs = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught})
    msgs = [m for m in msgs if "inplace keyword" not in m]  # pandas 3 nag in hellinger
    if msgs:
        WARNINGS_SEEN[(case_name, test_name)] = msgs
    return entry


def run_named(case_name, name, ref, cur, column_type):
    try:
        stattest = get_stattest(ref, cur, column_type, name)
    except Exception as exc:  # noqa: BLE001
        return error_out(exc)

    if name == "empirical_mmd":
        def extra(res):
            np.random.seed(0)
            p, mmd = mmd_pval(ref.to_numpy().reshape(-1, 1), cur.to_numpy().reshape(-1, 1))
            assert float(p) == float(res.drift_score), (case_name, p, res.drift_score)
            return {"statistic": num_out(mmd), "permutations": 100}

        return run_stattest(case_name, name, stattest, ref, cur, column_type, extra, seed_global_rng=True)

    if name == "TVD":
        def extra(res):
            return {"statistic": num_out(_total_variation_distance(ref.copy(), cur.copy())), "iterations": 1000}

        return run_stattest(case_name, name, stattest, ref, cur, column_type, extra)

    return run_stattest(case_name, name, stattest, ref, cur, column_type)


def mean_shift(ref, cur):
    ref_a = ref.to_numpy(dtype=np.float64)
    cur_a = cur.to_numpy(dtype=np.float64)
    norm = max(float(np.std(ref_a)), 0.001)
    score = abs(float(np.mean(cur_a)) - float(np.mean(ref_a))) / norm
    return {"score": num_out(score), "drifted": bool(score >= MEAN_SHIFT_THRESHOLD), "threshold": MEAN_SHIFT_THRESHOLD}


# --------------------------------------------------------------------------------------------
# running one case
# --------------------------------------------------------------------------------------------


def evaluate(case, tests):
    kind = case["kind"]
    # JSON round trip: compute on exactly what the file says.
    ref_enc = json.loads(json.dumps(case["reference"], allow_nan=False))
    cur_enc = json.loads(json.dumps(case["current"], allow_nan=False))
    if kind == "numeric":
        column_type = ColumnType.Numerical
        ref_raw, cur_raw = numeric_series(ref_enc), numeric_series(cur_enc)
    else:
        column_type = ColumnType.Categorical
        ref_raw, cur_raw = categorical_series(ref_enc), categorical_series(cur_enc)
    ref, cur = clean(ref_raw), clean(cur_raw)
    assert not ref.empty and not cur.empty, case["name"]

    auto = get_stattest(ref, cur, column_type, None)
    case["auto_test"] = auto.name

    results = {}
    for name in tests:
        if name == "empirical_mmd" and max(len(ref), len(cur)) > MMD_MAX_SIDE:
            continue
        if name == "TVD" and max(len(ref), len(cur)) > TVD_MAX_SIDE:
            continue
        results[name] = run_named(case["name"], name, ref, cur, column_type)
    if kind == "numeric":
        if auto.name not in results:
            # chisquare / z picked for a low-cardinality numeric column: not obtainable by
            # name for ColumnType.Numerical, so call the object the auto rule returned.
            results[auto.name] = run_stattest(case["name"], auto.name, auto, ref, cur, column_type)
        results["mean_shift"] = mean_shift(ref, cur)
    case["tests"] = results
    return case


# --------------------------------------------------------------------------------------------
# case generators
# --------------------------------------------------------------------------------------------

CASES = []


def numeric(name, seed, decimals=6, tests=NUMERIC_TESTS):
    def deco(fn):
        CASES.append(("numeric", name, seed, decimals, tests, fn))
        return fn
    return deco


def categorical(name, seed):
    def deco(fn):
        CASES.append(("categorical", name, seed, None, CATEGORICAL_TESTS, fn))
        return fn
    return deco


# ---- continuous ------------------------------------------------------------------------------

@numeric("normal_no_shift", 101)
def _(rng):
    return rng.normal(0.0, 1.0, 800), rng.normal(0.0, 1.0, 700)


@numeric("normal_mean_shift", 102)
def _(rng):
    return rng.normal(0.0, 1.0, 800), rng.normal(0.5, 1.0, 700)


@numeric("normal_slight_mean_shift", 103)
def _(rng):
    return rng.normal(10.0, 2.0, 900), rng.normal(10.3, 2.0, 900)


@numeric("normal_scale_change", 104)
def _(rng):
    return rng.normal(0.0, 1.0, 800), rng.normal(0.0, 2.0, 700)


@numeric("lognormal_no_shift", 105)
def _(rng):
    return rng.lognormal(3.0, 0.8, 900), rng.lognormal(3.0, 0.8, 600)


@numeric("lognormal_shift", 106)
def _(rng):
    return rng.lognormal(3.0, 0.8, 900), rng.lognormal(3.2, 1.0, 600)


def _bimodal(rng, n, w, mu1=-2.0, mu2=3.0, s1=1.0, s2=0.7):
    pick = rng.random(n) < w
    return np.where(pick, rng.normal(mu1, s1, n), rng.normal(mu2, s2, n))


@numeric("bimodal_no_shift", 107)
def _(rng):
    return _bimodal(rng, 1000, 0.4), _bimodal(rng, 800, 0.4)


@numeric("bimodal_weight_shift", 108)
def _(rng):
    return _bimodal(rng, 1000, 0.4), _bimodal(rng, 800, 0.6)


# ---- integers with ties / low cardinality -----------------------------------------------------

@numeric("poisson_no_shift", 109)
def _(rng):
    return rng.poisson(2.5, 900).astype(float), rng.poisson(2.5, 800).astype(float)


@numeric("poisson_shift", 110)
def _(rng):
    return rng.poisson(2.5, 900).astype(float), rng.poisson(3.2, 800).astype(float)


def _choice(rng, values, n, p=None):
    return rng.choice(np.asarray(values, dtype=float), size=n, p=p)


@numeric("lowcard_2_no_shift", 111)
def _(rng):
    v = [1.5, 4.0]
    return _choice(rng, v, 600, [0.7, 0.3]), _choice(rng, v, 500, [0.7, 0.3])


@numeric("lowcard_2_shift", 112)
def _(rng):
    v = [1.5, 4.0]
    return _choice(rng, v, 600, [0.7, 0.3]), _choice(rng, v, 500, [0.55, 0.45])


@numeric("lowcard_3_no_shift", 113)
def _(rng):
    v = [1.0, 2.0, 3.0]
    return _choice(rng, v, 600, [0.5, 0.3, 0.2]), _choice(rng, v, 500, [0.5, 0.3, 0.2])


@numeric("lowcard_3_shift", 114)
def _(rng):
    v = [1.0, 2.0, 3.0]
    return _choice(rng, v, 600, [0.5, 0.3, 0.2]), _choice(rng, v, 500, [0.35, 0.35, 0.3])


@numeric("lowcard_5_no_shift", 115)
def _(rng):
    v = [0.0, 0.25, 0.5, 0.75, 1.0]
    p = [0.1, 0.2, 0.4, 0.2, 0.1]
    return _choice(rng, v, 700, p), _choice(rng, v, 650, p)


@numeric("lowcard_5_shift", 116)
def _(rng):
    v = [0.0, 0.25, 0.5, 0.75, 1.0]
    return _choice(rng, v, 700, [0.1, 0.2, 0.4, 0.2, 0.1]), _choice(rng, v, 650, [0.05, 0.15, 0.35, 0.25, 0.2])


@numeric("lowcard_6_no_shift", 117)
def _(rng):
    # 6 distinct values: one past the <=5 rule, so auto picks ks again.
    v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    return _choice(rng, v, 700), _choice(rng, v, 650)


@numeric("lowcard_4_ref_5_combined", 118)
def _(rng):
    # the auto rule counts distinct values of reference and current together
    ref = _choice(rng, [1.0, 2.0, 3.0, 4.0], 500)
    cur = _choice(rng, [1.0, 2.0, 3.0, 4.0, 5.0], 400, [0.2, 0.2, 0.2, 0.2, 0.2])
    return ref, cur


@numeric("binary_01_no_shift", 119)
def _(rng):
    return (rng.random(800) < 0.3).astype(float), (rng.random(700) < 0.3).astype(float)


@numeric("binary_01_shift", 120)
def _(rng):
    return (rng.random(800) < 0.3).astype(float), (rng.random(700) < 0.4).astype(float)


@numeric("constant_same", 121)
def _(rng):
    return np.full(300, 5.0), np.full(200, 5.0)


@numeric("constant_different", 122)
def _(rng):
    return np.full(300, 5.0), np.full(200, 7.0)


@numeric("constant_ref_varied_cur", 123)
def _(rng):
    return np.full(300, 5.0), rng.normal(5.0, 1.0, 200)


# ---- tiny sides ------------------------------------------------------------------------------

@numeric("tiny_1_vs_1", 124)
def _(rng):
    return rng.normal(0.0, 1.0, 1), rng.normal(0.0, 1.0, 1)


@numeric("tiny_2_vs_2", 125)
def _(rng):
    return rng.normal(0.0, 1.0, 2), rng.normal(0.0, 1.0, 2)


@numeric("tiny_3_vs_3", 126)
def _(rng):
    return rng.normal(0.0, 1.0, 3), rng.normal(1.0, 1.0, 3)


@numeric("tiny_5_vs_5", 127)
def _(rng):
    return rng.normal(0.0, 1.0, 5), rng.normal(0.0, 1.0, 5)


@numeric("tiny_5_vs_5_shift", 128)
def _(rng):
    return rng.normal(0.0, 1.0, 5), rng.normal(3.0, 1.0, 5)


@numeric("tiny_1_vs_200", 129)
def _(rng):
    return rng.normal(0.0, 1.0, 1), rng.normal(0.0, 1.0, 200)


@numeric("tiny_3_vs_300", 130)
def _(rng):
    return rng.normal(0.0, 1.0, 3), rng.normal(0.0, 1.0, 300)


# ---- evidently's exact Cramer-von Mises path (max side <= 20) ---------------------------------
# evidently's copy of the exact CvM p-value sizes its count tables with
# np.min_scalar_type(max(zeta_bound, n_combinations)). Under numpy 2 that is an unsigned int
# (-> UFuncTypeError on the in-place add) or float16 / float32 (-> a rounded p-value),
# depending on the sizes; these cases pin both behaviours.

@numeric("cvm_exact_3_vs_5", 150)
def _(rng):
    return rng.normal(0.0, 1.0, 3), rng.normal(0.5, 1.0, 5)


@numeric("cvm_exact_8_vs_8", 151)
def _(rng):
    return rng.normal(0.0, 1.0, 8), rng.normal(0.5, 1.0, 8)


@numeric("cvm_exact_10_vs_15", 152)
def _(rng):
    return rng.normal(0.0, 1.0, 10), rng.normal(0.5, 1.0, 15)


@numeric("cvm_exact_20_vs_20", 153)
def _(rng):
    return rng.normal(0.0, 1.0, 20), rng.normal(0.5, 1.0, 20)


@numeric("cvm_asymp_20_vs_21", 154)
def _(rng):
    return rng.normal(0.0, 1.0, 20), rng.normal(0.5, 1.0, 21)


# ---- missing / non-finite --------------------------------------------------------------------

def _with_gaps(rng, values, p_null=0.6, n_nan=5, n_inf=3, n_ninf=2):
    out = [float(v) for v in values]
    n = len(out)
    idx = rng.permutation(n)
    k_null = int(round(p_null * n))
    specials = [None] * k_null + [float("nan")] * n_nan + [float("inf")] * n_inf + [float("-inf")] * n_ninf
    for i, s in zip(idx, specials):
        out[i] = s
    return out


@numeric("missing_heavy_no_shift", 131)
def _(rng):
    return _with_gaps(rng, rng.normal(50.0, 10.0, 1000)), _with_gaps(rng, rng.normal(50.0, 10.0, 900))


@numeric("missing_heavy_shift", 132)
def _(rng):
    return _with_gaps(rng, rng.normal(50.0, 10.0, 1000)), _with_gaps(rng, rng.normal(55.0, 10.0, 900))


@numeric("missing_heavy_lowcard_3", 133)
def _(rng):
    v = [0.0, 1.0, 2.0]
    return (_with_gaps(rng, _choice(rng, v, 600), 0.6, 3, 2, 1),
            _with_gaps(rng, _choice(rng, v, 500, [0.2, 0.3, 0.5]), 0.6, 3, 2, 1))


# ---- auto-rule boundary at 1000 reference rows -----------------------------------------------

@numeric("ref_1000_no_shift", 134)
def _(rng):
    return rng.normal(0.0, 1.0, 1000), rng.normal(0.0, 1.0, 800)


@numeric("ref_1000_shift", 135)
def _(rng):
    return rng.normal(0.0, 1.0, 1000), rng.normal(0.15, 1.0, 800)


@numeric("ref_1001_no_shift", 136)
def _(rng):
    return rng.normal(0.0, 1.0, 1001), rng.normal(0.0, 1.0, 800)


@numeric("ref_1001_shift", 137)
def _(rng):
    return rng.normal(0.0, 1.0, 1001), rng.normal(0.15, 1.0, 800)


@numeric("ref_1001_one_missing", 138)
def _(rng):
    # 1001 rows, one null: 1000 after cleaning, so the auto rule stays on ks
    ref = [float(v) for v in rng.normal(0.0, 1.0, 1001)]
    ref[17] = None
    return ref, rng.normal(0.0, 1.0, 800)


@numeric("ref_1001_lowcard_3", 139)
def _(rng):
    # > 1000 reference rows and <= 5 distinct values: auto picks jensenshannon
    v = [1.0, 2.0, 3.0]
    return _choice(rng, v, 1001, [0.5, 0.3, 0.2]), _choice(rng, v, 900, [0.45, 0.3, 0.25])


# ---- binning rule: > 20 vs <= 20 unique reference values -------------------------------------

def _support(rng, k):
    return np.round(np.sort(rng.normal(100.0, 15.0, k)), 6)


@numeric("ref_unique_20_no_shift", 140)
def _(rng):
    s = _support(rng, 20)
    return _choice(rng, s, 700), _choice(rng, s, 600)


@numeric("ref_unique_20_shift", 141)
def _(rng):
    s = _support(rng, 20)
    p = np.linspace(1.0, 3.0, 20)
    # current also has 3 values the reference never saw
    cur = np.concatenate([_choice(rng, s, 560, p / p.sum()), _choice(rng, [60.5, 140.25, 150.125], 40)])
    return _choice(rng, s, 700), cur


@numeric("ref_unique_21_no_shift", 142)
def _(rng):
    s = _support(rng, 21)
    return _choice(rng, s, 700), _choice(rng, s, 600)


@numeric("ref_unique_21_shift", 143)
def _(rng):
    s = _support(rng, 21)
    p = np.linspace(1.0, 3.0, 21)
    cur = np.concatenate([_choice(rng, s, 560, p / p.sum()), _choice(rng, [60.5, 140.25, 150.125], 40)])
    return _choice(rng, s, 700), cur


# ---- large -----------------------------------------------------------------------------------

@numeric("large_3000_2500_no_shift", 144)
def _(rng):
    return rng.normal(20.0, 4.0, 3000), rng.normal(20.0, 4.0, 2500)


@numeric("large_3000_2500_shift", 145)
def _(rng):
    return rng.normal(20.0, 4.0, 3000), rng.normal(20.6, 4.4, 2500)


@numeric("ks_exact_10000_10000", 146, decimals=4, tests=LARGE_NUMERIC_TESTS)
def _(rng):
    # max(n1, n2) == 10000: scipy's ks_2samp still uses the exact distribution
    return rng.normal(0.0, 1.0, 10000), rng.normal(0.03, 1.0, 10000)


@numeric("ks_asymp_10000_10001", 147, decimals=4, tests=LARGE_NUMERIC_TESTS)
def _(rng):
    # max(n1, n2) > 10000: scipy's ks_2samp switches to the asymptotic distribution
    return rng.normal(0.0, 1.0, 10000), rng.normal(0.03, 1.0, 10001)


# ---- categorical -----------------------------------------------------------------------------

def _cats(rng, cats, n, p=None):
    return [str(c) for c in rng.choice(np.asarray(cats, dtype=object), size=n, p=p)]


@categorical("cat4_no_shift", 201)
def _(rng):
    c = ["alpha", "beta", "gamma", "delta"]
    return _cats(rng, c, 1000), _cats(rng, c, 900)


@categorical("cat4_shift", 202)
def _(rng):
    c = ["alpha", "beta", "gamma", "delta"]
    return _cats(rng, c, 1000), _cats(rng, c, 900, [0.35, 0.3, 0.2, 0.15])


@categorical("cat4_slight_shift", 203)
def _(rng):
    c = ["alpha", "beta", "gamma", "delta"]
    return _cats(rng, c, 1000, [0.4, 0.3, 0.2, 0.1]), _cats(rng, c, 900, [0.37, 0.3, 0.21, 0.12])


@categorical("cat_unseen_in_current", 204)
def _(rng):
    return (_cats(rng, ["A", "B", "C", "D"], 800, [0.4, 0.3, 0.2, 0.1]),
            _cats(rng, ["A", "B", "C", "D", "E"], 700, [0.36, 0.27, 0.18, 0.09, 0.1]))


@categorical("cat_unseen_in_current_rare", 205)
def _(rng):
    ref = _cats(rng, ["A", "B", "C", "D"], 800, [0.4, 0.3, 0.2, 0.1])
    cur = _cats(rng, ["A", "B", "C", "D"], 698, [0.4, 0.3, 0.2, 0.1]) + ["E", "E"]
    return ref, cur


@categorical("cat_missing_from_current", 206)
def _(rng):
    return (_cats(rng, ["A", "B", "C", "D"], 800, [0.4, 0.3, 0.2, 0.1]),
            _cats(rng, ["A", "B", "C"], 700, [0.45, 0.33, 0.22]))


@categorical("cat_binary_equal_no_shift", 207)
def _(rng):
    c = ["yes", "no"]
    return _cats(rng, c, 500, [0.3, 0.7]), _cats(rng, c, 500, [0.3, 0.7])


@categorical("cat_binary_equal_shift", 208)
def _(rng):
    c = ["yes", "no"]
    return _cats(rng, c, 500, [0.3, 0.7]), _cats(rng, c, 500, [0.4, 0.6])


@categorical("cat_binary_unequal", 209)
def _(rng):
    c = ["yes", "no"]
    return _cats(rng, c, 500, [0.3, 0.7]), _cats(rng, c, 400, [0.35, 0.65])


@categorical("cat_binary_equal_small", 210)
def _(rng):
    # small counts: fisher's exact p-value and the z / chi-square approximations diverge
    c = ["yes", "no"]
    return _cats(rng, c, 20, [0.3, 0.7]), _cats(rng, c, 20, [0.6, 0.4])


def _high_card(rng, n, shift):
    cats = [f"c{i:02d}" for i in range(50)]
    w = 1.0 / np.arange(1, 51) ** 0.8  # Zipf-like
    if shift:
        w = w * np.linspace(0.6, 1.8, 50)
    return _cats(rng, cats, n, w / w.sum())


@categorical("cat_high_card_50_no_shift", 211)
def _(rng):
    return _high_card(rng, 2000, False), _high_card(rng, 1800, False)


@categorical("cat_high_card_50_shift", 212)
def _(rng):
    return _high_card(rng, 2000, False), _high_card(rng, 1800, True)


def _cat_gaps(rng, values, p_null=0.6):
    out = list(values)
    idx = rng.permutation(len(out))[: int(round(p_null * len(out)))]
    for i in idx:
        out[i] = None
    return out


@categorical("cat_missing_heavy_no_shift", 213)
def _(rng):
    c = ["red", "green", "blue"]
    return _cat_gaps(rng, _cats(rng, c, 800, [0.5, 0.3, 0.2])), _cat_gaps(rng, _cats(rng, c, 700, [0.5, 0.3, 0.2]))


@categorical("cat_missing_heavy_shift", 214)
def _(rng):
    c = ["red", "green", "blue"]
    return _cat_gaps(rng, _cats(rng, c, 800, [0.5, 0.3, 0.2])), _cat_gaps(rng, _cats(rng, c, 700, [0.35, 0.35, 0.3]))


@categorical("cat_single_category", 215)
def _(rng):
    return ["only"] * 300, ["only"] * 250


@categorical("cat_single_category_different", 216)
def _(rng):
    return ["only"] * 300, ["other"] * 250


@categorical("cat_tiny_1_same", 217)
def _(rng):
    return ["a"], ["a"]


@categorical("cat_tiny_1_different", 218)
def _(rng):
    return ["a"], ["b"]


@categorical("cat_tiny_3_vs_4", 219)
def _(rng):
    return ["a", "b", "a"], ["b", "b", "c", "a"]


# --------------------------------------------------------------------------------------------


def build_case(kind, name, seed, decimals, fn):
    rng = np.random.default_rng(seed)
    ref, cur = fn(rng)
    if kind == "numeric":
        ref_e = encode_numeric(list(ref), decimals)
        cur_e = encode_numeric(list(cur), decimals)
    else:
        ref_e = encode_categorical(ref)
        cur_e = encode_categorical(cur)
    return {"name": name, "kind": kind, "reference": ref_e, "current": cur_e}


def check_versions():
    got = {"evidently": evidently.__version__, "scipy": scipy.__version__,
           "numpy": np.__version__, "pandas": pd.__version__}
    if got != PINNED:
        sys.exit(f"version mismatch: expected {PINNED}, got {got}")
    return got


def dump(doc):
    """Readable JSON: indented structure, each value list on one line."""
    lines = ["{",
             f'  "generated_by": {json.dumps(doc["generated_by"])},',
             f'  "versions": {json.dumps(doc["versions"])},',
             '  "cases": [']
    case_blobs = []
    for case in doc["cases"]:
        parts = [
            f'      "name": {json.dumps(case["name"])}',
            f'      "kind": {json.dumps(case["kind"])}',
            f'      "reference": {json.dumps(case["reference"], allow_nan=False)}',
            f'      "current": {json.dumps(case["current"], allow_nan=False)}',
            f'      "auto_test": {json.dumps(case["auto_test"])}',
        ]
        tests = [f'        {json.dumps(k)}: {json.dumps(v, allow_nan=False)}' for k, v in case["tests"].items()]
        parts.append('      "tests": {\n' + ",\n".join(tests) + "\n      }")
        case_blobs.append("    {\n" + ",\n".join(parts) + "\n    }")
    lines.append(",\n".join(case_blobs))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    versions = check_versions()
    names = [c[1] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    cases = []
    for kind, name, seed, decimals, tests, fn in CASES:
        t0 = time.time()
        case = evaluate(build_case(kind, name, seed, decimals, fn), tests)
        cases.append(case)
        errs = [k for k, v in case["tests"].items() if "error" in v]
        print(f"{name:32s} auto={case['auto_test']:14s} n=({len(case['reference'])},{len(case['current'])})"
              f" {time.time() - t0:6.1f}s errors={errs}", file=sys.stderr)
    doc = {"generated_by": "reference/scripts/evidently_drift.py", "versions": versions, "cases": cases}
    text = dump(doc)
    assert json.loads(text) == json.loads(json.dumps(doc, allow_nan=False))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text.encode())} bytes, {len(cases)} cases)", file=sys.stderr)
    by_msg = {}
    for (case, test), msgs in sorted(WARNINGS_SEEN.items()):
        for m in msgs:
            by_msg.setdefault(m, []).append(f"{case}/{test}")
    for m, where in sorted(by_msg.items()):
        print(f"warning ({len(where)}x) {m}\n    in: {', '.join(where)}", file=sys.stderr)


if __name__ == "__main__":
    main()
