#!/usr/bin/env python3
"""evidently 0.7.23's drift verdicts on the example data (examples/reference.csv, examples/current.csv).

Reads both CSVs with pandas as text, treats empty and "NA" cells as missing, and calls a column
numeric when every non-missing value (in both files) parses as a number, else categorical.
For every column it does what evidently's `get_one_column_drift` does with default options:
replace +-inf with NaN and drop NaN per side, `get_stattest(ref, cur, column_type, None)`
(the auto rule), then `stattest(ref, cur, column_type, None)` (default threshold). The dataset
verdict is evidently's: share of drifted columns, dataset_drift = share >= 0.5.

As a cross-check it also runs evidently's own legacy Report with DataDriftTable and
DatasetDriftMetric (column_mapping declaring the numeric / categorical columns) and records
whether that agrees with the per-column loop.

Output: reference/values/evidently_examples.json
Run: /work/.venv-ref/bin/python reference/scripts/evidently_examples.py
(re-executes itself with PYTHONHASHSEED=0: categorical tests iterate Python sets of strings,
so the last bits of their scores depend on the hash seed.)
"""

import os
import sys

if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import json  # noqa: E402
import math  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pandas.core.dtypes.common as _pd_common  # noqa: E402


def _install_pandas3_shim():
    """evidently 0.7.23 imports a helper pandas 3 removed; stub it (drift code never calls it)."""
    if not hasattr(_pd_common, "infer_dtype_from_object"):
        def infer_dtype_from_object(dtype):
            raise NotImplementedError("pandas<3 helper stubbed by reference/scripts (used only by TestColumnsType)")

        _pd_common.infer_dtype_from_object = infer_dtype_from_object


_install_pandas3_shim()

import scipy  # noqa: E402
import evidently  # noqa: E402
from evidently.legacy.calculations.stattests import get_stattest  # noqa: E402
from evidently.legacy.core import ColumnType  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REF_CSV = ROOT / "examples" / "reference.csv"
CUR_CSV = ROOT / "examples" / "current.csv"
OUT = ROOT / "reference" / "values" / "evidently_examples.json"
PINNED = {"evidently": "0.7.23", "scipy": "1.17.1", "numpy": "2.4.6", "pandas": "3.1.1"}
DRIFT_SHARE = 0.5  # evidently's default for DatasetDriftMetric / DataDriftTable


def read_csv(path):
    # Everything as text first; only "" and "NA" are missing (not pandas' long default list).
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=["", "NA"])


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def column_kind(ref_col, cur_col):
    values = pd.concat([ref_col, cur_col]).dropna()
    return "numeric" if all(is_number(v) for v in values) else "categorical"


def typed(col, kind):
    if kind == "numeric":
        return pd.to_numeric(col, errors="raise").astype(np.float64)
    return col


def num_out(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def per_column(ref_df, cur_df, kinds):
    columns = []
    for name, kind in kinds.items():
        column_type = ColumnType.Numerical if kind == "numeric" else ColumnType.Categorical
        ref = ref_df[name].replace([-np.inf, np.inf], np.nan).dropna()
        cur = cur_df[name].replace([-np.inf, np.inf], np.nan).dropna()
        stattest = get_stattest(ref, cur, column_type, None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stattest(ref.copy(), cur.copy(), column_type, None)
        columns.append({
            "name": name,
            "kind": kind,
            "auto_test": stattest.name,
            "score": num_out(res.drift_score),
            "drifted": bool(res.drifted),
            "threshold": float(res.actual_threshold),
        })
    return columns


def evidently_report(ref_df, cur_df, kinds):
    """evidently's own legacy Report(DataDriftTable, DatasetDriftMetric)."""
    from evidently.legacy.metrics import DataDriftTable, DatasetDriftMetric
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    mapping = ColumnMapping(
        target=None, prediction=None, datetime=None, id=None,
        numerical_features=[c for c, k in kinds.items() if k == "numeric"],
        categorical_features=[c for c, k in kinds.items() if k == "categorical"],
    )
    report = Report(metrics=[DataDriftTable(), DatasetDriftMetric()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.run(reference_data=ref_df, current_data=cur_df, column_mapping=mapping)
        result = report.as_dict()
    table, dataset = result["metrics"][0]["result"], result["metrics"][1]["result"]
    by_column = {
        name: {
            "auto_test": col["stattest_name"],
            "score": num_out(col["drift_score"]),
            "drifted": bool(col["drift_detected"]),
            "threshold": float(col["stattest_threshold"]),
        }
        for name, col in table["drift_by_columns"].items()
    }
    return {
        "number_of_columns": int(dataset["number_of_columns"]),
        "number_of_drifted_columns": int(dataset["number_of_drifted_columns"]),
        "share_of_drifted_columns": float(dataset["share_of_drifted_columns"]),
        "dataset_drift": bool(dataset["dataset_drift"]),
        "table_share_of_drifted_columns": float(table["share_of_drifted_columns"]),
        "table_dataset_drift": bool(table["dataset_drift"]),
        "columns": by_column,
    }


# evidently reports stattest display names; map them back to registry names for the comparison.
def _display_to_name():
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests

    out = {}
    for name, by_type in _registered_stat_tests.items():
        for st in by_type.values():
            out[st.display_name] = name
    return out


def compare(columns, dataset, report):
    notes = []
    names = _display_to_name()
    if set(report["columns"]) != {c["name"] for c in columns}:
        notes.append(f"column sets differ: {sorted(report['columns'])}")
    for c in columns:
        r = report["columns"].get(c["name"])
        if r is None:
            continue
        test = names.get(r["auto_test"], r["auto_test"])
        if test != c["auto_test"]:
            notes.append(f"{c['name']}: test {test!r} vs {c['auto_test']!r}")
        if r["drifted"] != c["drifted"]:
            notes.append(f"{c['name']}: drifted {r['drifted']} vs {c['drifted']}")
        if r["threshold"] != c["threshold"]:
            notes.append(f"{c['name']}: threshold {r['threshold']} vs {c['threshold']}")
        a, b = r["score"], c["score"]
        if isinstance(a, str) or isinstance(b, str):
            same = a == b
        else:
            same = math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)
        if not same:
            notes.append(f"{c['name']}: score {a!r} vs {b!r}")
    if report["number_of_drifted_columns"] != dataset["number_of_drifted_columns"]:
        notes.append("number_of_drifted_columns differs")
    if report["dataset_drift"] != dataset["dataset_drift"]:
        notes.append("dataset_drift differs")
    if report["share_of_drifted_columns"] != dataset["share_of_drifted_columns"]:
        notes.append("share_of_drifted_columns differs")
    return notes


def main():
    got = {"evidently": evidently.__version__, "scipy": scipy.__version__,
           "numpy": np.__version__, "pandas": pd.__version__}
    if got != PINNED:
        sys.exit(f"version mismatch: expected {PINNED}, got {got}")

    ref_text, cur_text = read_csv(REF_CSV), read_csv(CUR_CSV)
    assert list(ref_text.columns) == list(cur_text.columns)
    kinds = {c: column_kind(ref_text[c], cur_text[c]) for c in ref_text.columns}
    ref_df = pd.DataFrame({c: typed(ref_text[c], k) for c, k in kinds.items()})
    cur_df = pd.DataFrame({c: typed(cur_text[c], k) for c, k in kinds.items()})

    columns = per_column(ref_df, cur_df, kinds)
    n_drifted = sum(c["drifted"] for c in columns)
    share = n_drifted / len(columns)
    dataset = {
        "number_of_columns": len(columns),
        "number_of_drifted_columns": n_drifted,
        "share_of_drifted_columns": share,
        "drift_share": DRIFT_SHARE,
        "dataset_drift": bool(share >= DRIFT_SHARE),
    }

    try:
        report = evidently_report(ref_df, cur_df, kinds)
        notes = compare(columns, dataset, report)
        cross_check = {"ran": True, "agrees": not notes, "differences": notes, "evidently": report}
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        cross_check = {"ran": False, "error": f"{type(exc).__name__}: {exc}"}

    doc = {
        "generated_by": "reference/scripts/evidently_examples.py",
        "versions": got,
        "reference_csv": "examples/reference.csv",
        "current_csv": "examples/current.csv",
        "rows": {"reference": len(ref_df), "current": len(cur_df)},
        "missing_markers": ["", "NA"],
        "columns": columns,
        "dataset": dataset,
        "evidently_report_cross_check": cross_check,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")

    for c in columns:
        print(f"{c['name']:24s} {c['kind']:12s} {c['auto_test']:14s} score={c['score']!s:24} "
              f"thr={c['threshold']} drifted={c['drifted']}", file=sys.stderr)
    print(f"drifted {n_drifted}/{len(columns)} share={share} dataset_drift={dataset['dataset_drift']}", file=sys.stderr)
    print(f"cross-check: {json.dumps({k: v for k, v in cross_check.items() if k != 'evidently'})}", file=sys.stderr)
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
