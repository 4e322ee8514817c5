"""Reference values for drift-core's Cramer-von Mises and Anderson-Darling tests.

Pinned versions (reference/requirements.txt): scipy 1.17.1, numpy 2.4.6, evidently 0.7.23.
Run with the reference venv from the repository root:

    /work/.venv-ref/bin/python reference/scripts/scipy_cvm_anderson.py

Writes reference/values/scipy_cvm_anderson.json, read by the unit tests of
crates/drift-core/src/stattest/cvm.rs and anderson.rs.

* Cramer-von Mises: scipy.stats.cramervonmises_2samp(x, y) with method "auto" (exact when
  max(nx, ny) <= 20, else asymptotic; the same rule, statistic and asymptotic formula as
  evidently's copy `_cvm_2samp`), and scipy's exact count `_pval_cvm_2samp_exact` for the grid.
  evidently's own exact path is NOT the reference: under numpy 2 it stores the lattice table
  as float16 / float32 for many size pairs (p-values off by up to several percent; identical
  constant samples get p = 0.04) and raises for others (unsigned-integer tables). Its value or
  error is recorded beside scipy's (`evidently_pvalue` / `evidently_error`) for the record.
  `import evidently` fails with the pinned pandas 3.1.1 (evidently.legacy.tests imports
  `pandas.core.dtypes.common.infer_dtype_from_object`, which pandas 3 removed), so evidently's
  module file is loaded on its own, with its two imports that pull in the rest of evidently
  (the test registry and `ColumnType`) replaced by stubs.
* Anderson-Darling: scipy.stats.anderson_ksamp([x, y]) with its defaults (midrank, interpolated
  p-value clipped to [0.001, 0.25]); warnings suppressed. Where scipy raises, the case goes to
  `anderson_errors`; where it returns NaN (three values in all) `anderson` is null.

Every input is rounded with round(v, 6) before anything is computed, so the JSON holds the
exact inputs.
"""

import importlib.util
import json
import math
import pathlib
import sys
import types
import warnings

import numpy as np
import scipy
import scipy.special
import scipy.stats
from scipy.stats._hypotests import _pval_cvm_2samp_exact as scipy_pval_cvm_2samp_exact

assert np.__version__ == "2.4.6", np.__version__
assert scipy.__version__ == "1.17.1", scipy.__version__

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "reference" / "values" / "scipy_cvm_anderson.json"


def load_evidently_cvm():
    """evidently 0.7.23's cramer_von_mises_stattest module, without evidently/__init__."""
    from importlib.metadata import version

    assert version("evidently") == "0.7.23", version("evidently")
    base = None
    for entry in sys.path:
        candidate = pathlib.Path(entry) / "evidently"
        if (candidate / "legacy/calculations/stattests/cramer_von_mises_stattest.py").exists():
            base = candidate
            break
    assert base is not None, "evidently not installed"
    for name, sub in [
        ("evidently", ""),
        ("evidently.legacy", "legacy"),
        ("evidently.legacy.calculations", "legacy/calculations"),
        ("evidently.legacy.calculations.stattests", "legacy/calculations/stattests"),
    ]:
        package = types.ModuleType(name)
        package.__path__ = [str(base / sub)]
        sys.modules[name] = package
    registry = types.ModuleType("evidently.legacy.calculations.stattests.registry")
    registry.StatTest = lambda **kwargs: kwargs
    registry.register_stattest = lambda *args, **kwargs: None
    sys.modules[registry.__name__] = registry
    core = types.ModuleType("evidently.legacy.core")

    class ColumnType:
        Numerical = "num"

    core.ColumnType = ColumnType
    sys.modules[core.__name__] = core
    name = "evidently.legacy.calculations.stattests.cramer_von_mises_stattest"
    spec = importlib.util.spec_from_file_location(name, base / "legacy/calculations/stattests/cramer_von_mises_stattest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


EV = load_evidently_cvm()


def rounded(values):
    return [round(float(v), 6) for v in values]


def four_u(x, y):
    """4U of evidently's _cvm_2samp (an integer), recomputed the way it does."""
    xa, ya = np.sort(np.asarray(x)), np.sort(np.asarray(y))
    r = scipy.stats.rankdata(np.concatenate([xa, ya]), method="average")
    nx, ny = len(xa), len(ya)
    u = nx * np.sum((r[:nx] - np.arange(1, nx + 1)) ** 2) + ny * np.sum((r[nx:] - np.arange(1, ny + 1)) ** 2)
    assert float(4 * u).is_integer()
    return u, int(4 * u)


def cvm_reference(x, y):
    x, y = np.asarray(x), np.asarray(y)
    sp = scipy.stats.cramervonmises_2samp(x, y, method="auto")
    out = {"statistic": float(sp.statistic), "pvalue": float(sp.pvalue), "pvalue_source": "scipy"}
    try:
        out["evidently_pvalue"] = float(EV._cvm_2samp(x, y).pvalue)
    except Exception as error:  # the unsigned-table exact path under numpy 2
        out["evidently_error"] = f"{type(error).__name__}: {error}"
    return out


def anderson_reference(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = scipy.stats.anderson_ksamp([np.asarray(x), np.asarray(y)])
    stat, p = float(res.statistic), float(res.pvalue)
    if math.isnan(stat) or math.isnan(p):
        return None
    clipped = "cap" if p == 0.25 else "floor" if p == 0.001 else None
    return {"statistic": stat, "pvalue": p, "clipped": clipped}


def main():
    rng = np.random.default_rng(20240611)
    raw = []

    def add(name, x, y):
        raw.append((name, rounded(x), rounded(y)))

    # exact path (max(nx, ny) <= 20), covering numpy's table types uint8/uint16 (scipy
    # reference), float16 (8v8, 4v20, 9v9) and float32 (10v10, 20v20, 7v20, 19v20, 15v15)
    add("exact_2v2", rng.normal(size=2), rng.normal(size=2))
    add("exact_3v5", rng.normal(size=3), rng.normal(0.5, size=5))
    add("exact_10v10", rng.normal(size=10), rng.normal(size=10))
    add("exact_10v10_shift", rng.normal(size=10), rng.normal(1.0, size=10))
    add("exact_20v20", rng.normal(size=20), rng.normal(size=20))
    add("exact_20v20_shift", rng.normal(size=20), rng.normal(1.2, size=20))
    add("exact_7v20_ties", rng.integers(0, 5, size=7), rng.integers(1, 6, size=20))
    add("exact_8v8_float16", rng.normal(size=8), rng.normal(0.4, size=8))
    add("exact_4v20_float16", rng.normal(size=4), rng.normal(0.3, size=20))
    add("exact_9v9_ties_float16", rng.integers(0, 4, size=9), rng.integers(0, 4, size=9))
    add("exact_19v20", rng.normal(size=19), rng.normal(0.5, size=20))
    add("exact_15v15", rng.exponential(size=15), rng.exponential(1.5, size=15))
    add("exact_2v20", rng.normal(size=2), rng.normal(size=20))
    # asymptotic path
    add("asym_21v21", rng.normal(size=21), rng.normal(size=21))
    add("asym_2v21", rng.normal(size=2), rng.normal(size=21))
    add("asym_100v150", rng.normal(size=100), rng.normal(0.2, size=150))
    add("asym_1000v1000_noshift", rng.normal(size=1000), rng.normal(size=1000))
    add("asym_1000v1000_shift", rng.normal(size=1000), rng.normal(0.1, size=1000))
    add("asym_1000v1000_bigshift_p_tiny", rng.normal(size=1000), rng.normal(1.0, size=1000))
    add("asym_500v400_separated", rng.normal(size=500), rng.normal(8.0, size=400))
    add("ints_many_ties_300v400", rng.integers(0, 5, size=300), rng.integers(0, 5, size=400))
    add("ints_ties_shift_300v400", rng.integers(0, 8, size=300), rng.integers(1, 9, size=400))
    add("constant_both_sides", np.full(30, 3.0), np.full(40, 3.0))
    same = rng.normal(size=250)
    add("identical_samples_cap", same, same.copy())
    add("large_shift_floor", rng.normal(size=300), rng.normal(2.0, size=300))
    interior = 0
    for shift in [0.08, 0.12, 0.16, 0.2, 0.24, 0.28, 0.32]:
        x, y = rounded(rng.normal(size=400)), rounded(rng.normal(shift, size=400))
        res = anderson_reference(x, y)
        if res is not None and res["clipped"] is None:
            raw.append((f"anderson_interior_shift_{shift}", x, y))
            interior += 1
    assert interior >= 3, interior
    add("bimodal_vs_normal", np.concatenate([rng.normal(-2, 0.5, 300), rng.normal(2, 0.5, 300)]), rng.normal(0, 2, 500))
    add("bimodal_weights", np.concatenate([rng.normal(-2, 0.5, 300), rng.normal(2, 0.5, 300)]), np.concatenate([rng.normal(-2, 0.5, 200), rng.normal(2, 0.5, 400)]))
    add("skewed_lognormal", rng.lognormal(0, 1, 700), rng.lognormal(0.05, 1.1, 600))
    add("skewed_exponential", rng.exponential(1.0, 800), rng.exponential(1.0, 900))
    add("anderson_n4", [1.0, 2.0], [3.0, 4.0])
    add("anderson_two_distinct", [1.0, 1.0, 1.0, 2.0], [2.0, 2.0, 1.0])

    cases, anderson_errors = [], []
    for name, x, y in raw:
        case = {"name": name, "x": x, "y": y}
        case["cvm"] = cvm_reference(x, y) if min(len(x), len(y)) >= 2 else None
        try:
            case["anderson"] = anderson_reference(x, y)
        except ValueError as error:
            case["anderson"] = None
            anderson_errors.append({"x": x, "y": y, "error": str(error)})
        cases.append(case)
    for x, y in [([5.0, 5.0], [5.0, 5.0, 5.0]), ([], [1.0, 2.0]), ([1.0], [2.0]), ([2.0], [])]:
        try:
            anderson_reference(x, y)
            raise AssertionError("expected scipy to raise")
        except (ValueError, IndexError) as error:
            anderson_errors.append({"x": x, "y": y, "error": f"{type(error).__name__}: {error}"})

    # exact p-values over every size pair of the exact path, three U values each
    grid = []
    for n in range(2, 21):
        for m in range(2, 21):
            samples = [
                (rng.normal(size=n), rng.normal(size=m)),
                (rng.integers(0, 4, size=n).astype(float), rng.integers(0, 4, size=m).astype(float)),
                (rng.normal(size=n), rng.normal(1.5, size=m)),
            ]
            for x, y in samples:
                u, fu = four_u(rounded(x), rounded(y))
                p, source = scipy_pval_cvm_2samp_exact(u, n, m), "scipy"
                grid.append({"n": n, "m": m, "four_u": fu, "pvalue": float(p), "source": source})

    kv_x = sorted(set(np.logspace(-6, math.log10(700.0), 241).tolist() + [1e-3, 0.5, 1.0, 1.9844151965481656, 2.0, 10.0, 100.0, 500.0, 700.0]))
    kv = [[float(x), float(scipy.special.kv(0.25, x))] for x in kv_x]
    cdf_x = [0.003, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.461, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0, 30.0, 100.0, 1000.0, 1e4]
    cdf = [[x, float(EV._cdf_cvm_inf(np.float64(x)))] for x in cdf_x]

    b0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
    b1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
    b2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])
    m = 1
    critical = b0 + b1 / math.sqrt(m) + b2 / m
    sig = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])
    polyfit = np.polyfit(critical, np.log(sig), 2)

    # large samples generated by a formula both sides reproduce exactly (values k / 1024)
    large = []
    for shift_units in [0, 51]:
        n_large, modulus = 1_000_000, 100_003
        i = np.arange(n_large, dtype=np.int64)
        x = ((i * 7919) % modulus) / 1024.0
        y = (((i * 104729 + 17) % modulus) + shift_units) / 1024.0
        entry = {"n": n_large, "modulus": modulus, "mult_x": 7919, "mult_y": 104729, "add_y": 17, "shift_units": shift_units, "denominator": 1024}
        entry["cvm"] = cvm_reference(x, y)
        entry["anderson"] = anderson_reference(x, y)
        large.append(entry)

    out = {
        "versions": {"scipy": scipy.__version__, "numpy": np.__version__, "evidently": "0.7.23"},
        "cases": cases,
        "anderson_errors": anderson_errors,
        "cvm_exact_grid": grid,
        "kv_quarter": kv,
        "cdf_cvm_inf": cdf,
        "anderson_critical": critical.tolist(),
        "anderson_polyfit": polyfit.tolist(),
        "large": large,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}: {len(cases)} cases, {len(grid)} exact-grid rows")


if __name__ == "__main__":
    main()
