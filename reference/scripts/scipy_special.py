#!/usr/bin/env python3
"""Reference values for drift-core's distribution tails (crates/drift-core/src/special.rs).

scipy 1.17.1, numpy 2.4.6 (reference/requirements.txt). Writes reference/values/scipy_special.json:
  norm_sf:     [[x, scipy.special.ndtr(-x)], ...]   for x in [-8, 38]
  chi2_sf:     [[x, df, scipy.stats.chi2.sf(x, df)], ...]
  student_t_sf: [[t, df, scipy.stats.t.sf(t, df)], ...]
Run: .venv-ref/bin/python reference/scripts/scipy_special.py
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import special, stats

assert scipy.__version__ == "1.17.1", scipy.__version__

xs = sorted(set([round(v, 6) for v in np.concatenate([np.linspace(-8, 8, 161), np.linspace(8, 38, 61), [0.3, 0.5, 0.7071, 1e-8, -1e-8]])]))
out = {
    "generated_by": "reference/scripts/scipy_special.py",
    "versions": {"scipy": scipy.__version__, "numpy": np.__version__},
    "norm_sf": [[x, float(special.ndtr(-x))] for x in xs],
    "chi2_sf": [
        [x, df, float(stats.chi2.sf(x, df))]
        for df in [1, 2, 3, 4, 7, 10, 29, 100, 1000]
        for x in [0.001, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0, 500.0, 1500.0]
    ],
    "student_t_sf": [
        [t, df, float(stats.t.sf(t, df))]
        for df in [1, 2, 5, 10, 30, 100, 1000, 20000]
        for t in [-30.0, -3.0, -1.0, -0.1, 0.0, 0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0]
    ],
}
path = pathlib.Path(__file__).resolve().parents[1] / "values" / "scipy_special.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
