"""Reference detections for drift-core's streaming change detectors (drift_core::stream).

Pinned versions: river 0.26.1, frouros 0.9.0 (CUSUM only), numpy 2.4.6, scipy 1.17.1 (see
reference/requirements.txt; frouros is installed with `pip install --no-deps frouros==0.9.0`
because its own pins would downgrade numpy and scipy, and its CUSUM needs neither).
Run:  /work/.venv-ref/bin/python reference/scripts/river_detectors.py   (about 5 minutes:
river's KSWIN does under 2000 updates a second)
Writes reference/values/river_detectors.json with three sections:

* "streams": seeded streams, stored value by value (rounded to 4 decimals BEFORE any
  detector sees them, so the Rust test parses the identical doubles). "numeric" streams
  (noise, constants, abrupt mean changes, gradual drift, a variance change, large
  offsets, 100k-value ones) feed ADWIN, Page-Hinkley and CUSUM; "binary" 0/1 error
  streams (rate increases, decreases, gradual increase, noise, all zeros, all ones, 100k
  values) feed DDM, EDDM, HDDM_A and HDDM_W, and ADWIN, Page-Hinkley and CUSUM too.
* "cases": one detector with parameter overrides (keys are the CLI's `--set` names, which
  are river's argument names; frouros's `lambda_` is `lambda`) on one stream, with the
  0-based index of every update after which `drift_detected` was true, and for detectors
  with a warning zone every update after which `warning_detected` was true but
  `drift_detected` was not (drift_core reports one signal per update, drift first).
  river's detectors reset themselves on the update after a drift; frouros's CUSUM does not,
  so this script calls its `reset()` after each drift, before the next value, which is the
  same thing.
* "kswin": KSWIN samples its reference window at random (Python's `random.Random(seed)`),
  so it is compared statistically: over the same stored streams and seeds 0..n_seeds, the
  detections per stream on change-free N(0, 1) streams, and on streams whose mean jumps by
  `shift` at `change_at` the delay to the first detection at or after the change (a run
  without one within the stream counts as missed), each as a mean with its standard
  error.
"""

import json
import math
import random
from pathlib import Path

import numpy as np
import river
from frouros.detectors.concept_drift import CUSUM, CUSUMConfig
from importlib.metadata import version
from river import drift
from river.drift import binary

assert river.__version__ == "0.26.1", river.__version__
assert version("frouros") == "0.9.0", version("frouros")
assert np.__version__ == "2.4.6", np.__version__

OUT = Path(__file__).resolve().parent.parent / "values" / "river_detectors.json"


def rounded(values):
    return [round(float(v), 4) for v in values]


def normal_segments(rng, segments, sd=1.0):
    """Concatenated N(mean, sd) segments, `segments` a list of (length, mean)."""
    return np.concatenate([rng.normal(mean, sd, size=n) for n, mean in segments])


def bernoulli(rng, rates):
    """0/1 errors, one rate per value."""
    rates = np.asarray(rates, dtype=float)
    return [int(v) for v in (rng.random(rates.size) < rates)]


def numeric_streams():
    rng = np.random.default_rng(20261127)
    s = {}
    s["noise_normal"] = normal_segments(rng, [(10_000, 0.0)])
    s["noise_uniform"] = rng.random(5_000)
    s["constant_zero"] = np.zeros(2_000)
    s["constant_five"] = np.full(2_000, 5.0)
    s["abrupt_mean"] = normal_segments(rng, [(1_500, 0.0), (1_500, 3.0), (1_500, 0.0), (1_500, -2.0), (1_500, 1.0)])
    s["abrupt_small"] = normal_segments(rng, [(3_000, 0.0), (3_000, 0.5)])
    # river's documented example: 1000 draws from {0, 1}, then 1000 from {4, ..., 7}
    doc = random.Random(12345)
    s["abrupt_integers"] = np.array(doc.choices([0, 1], k=1000) + doc.choices(range(4, 8), k=1000), dtype=float)
    ramp = np.concatenate([np.zeros(2_000), np.linspace(0.0, 3.0, 4_000), np.full(2_000, 3.0)])
    s["gradual_ramp"] = ramp + rng.normal(0.0, 1.0, size=ramp.size)
    s["variance_change"] = np.concatenate([rng.normal(0.0, 1.0, 3_000), rng.normal(0.0, 3.0, 3_000)])
    s["large_offset"] = normal_segments(rng, [(2_500, 1e6), (2_500, 1e6 + 50.0)], sd=100.0)
    s["long_abrupt_100k"] = normal_segments(rng, [(20_000, m) for m in (0.0, 1.0, 0.0, 2.0, -1.0)])
    t = np.arange(100_000)
    s["long_gradual_100k"] = 2.0 * np.sin(2 * np.pi * t / 50_000) + rng.normal(0.0, 1.0, size=t.size)
    return {name: rounded(v) for name, v in s.items()}


def binary_streams():
    rng = np.random.default_rng(4)
    s = {}
    s["errors_increase"] = bernoulli(rng, [0.1] * 2_000 + [0.3] * 2_000)
    s["errors_decrease"] = bernoulli(rng, [0.3] * 2_000 + [0.05] * 2_000)
    s["errors_gradual"] = bernoulli(rng, np.concatenate([np.full(3_000, 0.1), np.linspace(0.1, 0.5, 3_000), np.full(2_000, 0.5)]))
    s["errors_noise"] = bernoulli(rng, [0.2] * 10_000)
    s["errors_rare"] = bernoulli(rng, [0.01] * 10_000)
    s["errors_multi"] = bernoulli(rng, np.repeat([0.05, 0.25, 0.1, 0.4, 0.15], 3_000))
    s["errors_all_zero"] = [0] * 2_000
    s["errors_all_one"] = [1] * 2_000
    s["errors_long_100k"] = bernoulli(rng, np.repeat([0.1, 0.2, 0.1, 0.35, 0.05, 0.3, 0.15, 0.25, 0.1, 0.4], 10_000))
    return s


def make(detector, params):
    """A fresh river (or frouros) detector from CLI-named parameters."""
    if detector == "adwin":
        return drift.ADWIN(**params)
    if detector == "page-hinkley":
        return drift.PageHinkley(**params)
    if detector == "ddm":
        return binary.DDM(**params)
    if detector == "eddm":
        return binary.EDDM(**params)
    if detector == "hddm-a":
        return binary.HDDMA(**params)
    if detector == "hddm-w":
        return binary.HDDMW(**params)
    if detector == "kswin":
        return drift.KSWIN(**params)
    if detector == "cusum":
        config = {("lambda_" if k == "lambda" else k): v for k, v in params.items()}
        return CUSUM(config=CUSUMConfig(**config))
    raise ValueError(detector)


WITH_WARNINGS = {"ddm", "eddm", "hddm-a", "hddm-w"}


def run(detector, params, values):
    det = make(detector, params)
    drifts, warnings = [], []
    for i, x in enumerate(values):
        if detector == "cusum":
            det.update(value=x)
            if det.drift:
                drifts.append(i)
                det.reset()
            continue
        det.update(x)
        if det.drift_detected:
            drifts.append(i)
        elif detector in WITH_WARNINGS and det.warning_detected:
            warnings.append(i)
    return drifts, (warnings if detector in WITH_WARNINGS else None)


# Non-default parameters, each run on a few streams, so that every key is exercised.
VARIANTS = {
    "adwin": [
        {"delta": 0.01, "clock": 1},
        {"max_buckets": 3, "min_window_length": 10, "grace_period": 50, "delta": 0.05},
    ],
    "page-hinkley": [
        {"mode": "up"},
        {"mode": "down", "threshold": 20.0, "alpha": 0.999, "min_instances": 10, "delta": 0.01},
    ],
    "cusum": [{"delta": 0.05, "lambda": 10.0, "min_num_instances": 10}],
    "ddm": [{"warm_start": 100, "warning_threshold": 1.5, "drift_threshold": 2.5}],
    "eddm": [{"warm_start": 10, "alpha": 0.97, "beta": 0.8}],
    "hddm-a": [
        {"two_sided_test": True},
        {"drift_confidence": 0.01, "warning_confidence": 0.05, "two_sided_test": True},
    ],
    "hddm-w": [
        {"two_sided_test": True},
        {"drift_confidence": 0.01, "warning_confidence": 0.05, "lambda_val": 0.1, "two_sided_test": True},
    ],
}
VARIANT_STREAMS = {
    "numeric": ["abrupt_mean", "gradual_ramp", "noise_normal", "abrupt_integers"],
    "binary": ["errors_increase", "errors_decrease", "errors_gradual", "errors_noise"],
}
NUMERIC_DETECTORS = ["adwin", "page-hinkley", "cusum"]
BINARY_DETECTORS = ["ddm", "eddm", "hddm-a", "hddm-w"]


def cases(streams):
    out = []

    def add(detector, params, name):
        drifts, warnings = run(detector, params, streams[name]["values"])
        out.append({"detector": detector, "params": params, "stream": name, "drift": drifts, "warning": warnings})
        print(f"{detector:13s} {json.dumps(params):90s} {name:20s} drifts={len(drifts):4d}"
              f" warnings={'-' if warnings is None else len(warnings)}")

    for name, stream in streams.items():
        detectors = NUMERIC_DETECTORS + (BINARY_DETECTORS if stream["kind"] == "binary" else [])
        for detector in detectors:
            add(detector, {}, name)
    for detector, variants in VARIANTS.items():
        kinds = ["binary"] if detector in BINARY_DETECTORS else ["numeric", "binary"]
        for params in variants:
            for kind in kinds:
                for name in VARIANT_STREAMS[kind]:
                    add(detector, params, name)
    return out


def mean_and_se(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def kswin_section():
    """River's KSWIN (default parameters, seeds 0..n_seeds) on stored streams."""
    rng = np.random.default_rng(77)
    n_streams, n_seeds = 10, 40
    free_len, change_at, change_len, shift = 1_000, 300, 500, 1.0
    free = [rounded(rng.normal(0.0, 1.0, free_len)) for _ in range(n_streams)]
    change = [rounded(normal_segments(rng, [(change_at, 0.0), (change_len - change_at, shift)])) for _ in range(n_streams)]

    def drifts(values, seed):
        det = drift.KSWIN(seed=seed)
        found = []
        for i, x in enumerate(values):
            det.update(x)
            if det.drift_detected:
                found.append(i)
        return found

    counts, delays, missed = [], [], 0
    for values in free:
        for seed in range(n_seeds):
            counts.append(len(drifts(values, seed)))
    for values in change:
        for seed in range(n_seeds):
            after = [i for i in drifts(values, seed) if i >= change_at]
            if after:
                delays.append(after[0] - change_at)
            else:
                missed += 1
    count_mean, count_se = mean_and_se(counts)
    delay_mean, delay_se = mean_and_se(delays)
    print(f"kswin: detections per change-free stream {count_mean:.3f} ± {count_se:.3f}; "
          f"delay {delay_mean:.2f} ± {delay_se:.2f}, missed {missed} of {n_streams * n_seeds}")
    return {
        "n_seeds": n_seeds,
        "change_free": {"streams": free, "detections_mean": count_mean, "detections_se": count_se},
        "change": {
            "streams": change,
            "change_at": change_at,
            "shift": shift,
            "delay_mean": delay_mean,
            "delay_se": delay_se,
            "missed": missed,
        },
    }


def main():
    streams = {name: {"kind": "numeric", "values": v} for name, v in numeric_streams().items()}
    streams.update({name: {"kind": "binary", "values": v} for name, v in binary_streams().items()})
    result = {
        "versions": {"river": river.__version__, "frouros": version("frouros"), "numpy": np.__version__},
        "streams": streams,
        "cases": cases(streams),
        "kswin": kswin_section(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(result, fh, separators=(",", ":"))
    print("cases:", len(result["cases"]), "wrote", OUT, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
