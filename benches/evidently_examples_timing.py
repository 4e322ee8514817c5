#!/usr/bin/env python3
"""Times evidently 0.7.23's per-column drift loop on examples/ (for BENCHMARKS.md).

Measures what `monitor drift --reference examples/reference.csv --current examples/current.csv`
does: read both CSVs, pick each column's test by evidently's rule, run it. Imports are timed
separately. Run: .venv-ref/bin/python benches/evidently_examples_timing.py
"""
import sys
import time

t0 = time.perf_counter()
sys.path.insert(0, "reference/scripts")
import evidently_examples as ex  # noqa: E402  (installs the pandas 3 shim, imports evidently)

t1 = time.perf_counter()
ref, cur = ex.read_csv("examples/reference.csv"), ex.read_csv("examples/current.csv")
kinds = {c: ex.column_kind(ref[c], cur[c]) for c in ref.columns}
ref = ex.pd.DataFrame({c: ex.typed(ref[c], k) for c, k in kinds.items()})
cur = ex.pd.DataFrame({c: ex.typed(cur[c], k) for c, k in kinds.items()})
ex.per_column(ref, cur, kinds)
t2 = time.perf_counter()
print(f"import: {t1 - t0:.2f} s, read + 20 column tests: {t2 - t1:.3f} s")
