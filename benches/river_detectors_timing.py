#!/usr/bin/env python3
"""Times river 0.26.1's streaming detectors (frouros 0.9.0's CUSUM) for BENCHMARKS.md.

`cargo xtask bench detect` writes the streams and runs this script next to drift-core's
`detector_throughput` example on the same values:

    python benches/river_detectors_timing.py VALUES.f64 ERRORS.f64 N N_KSWIN [REPEAT]

VALUES.f64 and ERRORS.f64 hold little-endian doubles (a numeric stream and a 0/1 error
stream). ADWIN, Page-Hinkley, KSWIN and CUSUM read the first, DDM, EDDM, HDDM_A and
HDDM_W the second. Each detector sees the first N values (N_KSWIN for KSWIN, which does
under 2000 updates a second), converted to Python floats before the clock starts; the
timed loop is what a user writes: `update(x)`, then read `drift_detected`. Best of REPEAT
runs (default 3). Prints one JSON line per detector: detector, implementation, n,
seconds, updates_per_s, drifts.
"""

import json
import sys
from functools import partial
import time
from importlib.metadata import version

import numpy as np
import river
from frouros.detectors.concept_drift import CUSUM
from river import drift
from river.drift import binary

assert river.__version__ == "0.26.1", river.__version__

DETECTORS = [
    ("adwin", "values", drift.ADWIN),
    ("page-hinkley", "values", drift.PageHinkley),
    ("ddm", "errors", binary.DDM),
    ("eddm", "errors", binary.EDDM),
    ("hddm-a", "errors", binary.HDDMA),
    ("hddm-w", "errors", binary.HDDMW),
    ("kswin", "values", lambda: drift.KSWIN(seed=0)),
]


def time_river(make, data):
    detector = make()
    drifts = 0
    start = time.perf_counter()
    for x in data:
        detector.update(x)
        if detector.drift_detected:
            drifts += 1
    return time.perf_counter() - start, drifts


def time_frouros_cusum(data):
    # frouros leaves the drift flag set until reset(); reset on each drift, as river does
    detector = CUSUM()
    drifts = 0
    start = time.perf_counter()
    for x in data:
        detector.update(value=x)
        if detector.drift:
            drifts += 1
            detector.reset()
    return time.perf_counter() - start, drifts


def main():
    values_path, errors_path, n, n_kswin = sys.argv[1:5]
    repeat = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    n, n_kswin = int(n), int(n_kswin)
    streams = {
        "values": np.fromfile(values_path, dtype="<f8", count=n).tolist(),
        "errors": np.fromfile(errors_path, dtype="<f8", count=n).tolist(),
    }
    runs = [(name, "river " + river.__version__, kind, partial(time_river, make))
            for name, kind, make in DETECTORS]
    runs.append(("cusum", "frouros " + version("frouros"), "values", time_frouros_cusum))
    for name, implementation, kind, timer in runs:
        data = streams[kind][: n_kswin if name == "kswin" else n]
        best, drifts = None, None
        for _ in range(repeat):
            seconds, drifts = timer(data)
            best = seconds if best is None else min(best, seconds)
        print(json.dumps({
            "detector": name,
            "implementation": implementation,
            "n": len(data),
            "seconds": best,
            "updates_per_s": len(data) / best,
            "drifts": drifts,
        }), flush=True)


if __name__ == "__main__":
    main()
