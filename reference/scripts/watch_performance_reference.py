"""Reference performance metrics for the watch crate's windows (crates/watch/src/performance.rs).

Pinned versions: scikit-learn 1.9.1, numpy 2.4.6 (see reference/requirements.txt).
Run:  /work/.venv-ref/bin/python reference/scripts/watch_performance_reference.py
Writes reference/values/watch_performance.json with two sections:

* "classification": seeded 0/1 labels and scores, rounded to 2 or 3 decimals BEFORE scoring
  so that many scores tie (the Rust test parses the identical doubles), with scikit-learn's
  accuracy_score, precision_score, recall_score, f1_score (binary, pos_label=1,
  zero_division=0) on `score >= threshold`, and roc_auc_score (null where scikit-learn
  warns and returns nan because the labels hold one class). Cases: balanced and imbalanced labels, heavy
  ties (one decimal), an informative and an uninformative model, no predicted positives,
  one class only.
* "regression": seeded predictions and labels with mean_absolute_error and
  root_mean_squared_error.
* "latency": latency samples with numpy's mean, percentile 50/95/99 (default linear
  interpolation) and max, for the windows' latency summaries.
"""

import json
import math
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    precision_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

OUT = Path(__file__).resolve().parent.parent / "values" / "watch_performance.json"


def classification_case(name, labels, scores, threshold):
    labels = [int(y) for y in labels]
    scores = [float(s) for s in scores]
    predicted = [1 if s >= threshold else 0 for s in scores]
    kw = dict(pos_label=1, zero_division=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        auc = float(roc_auc_score(labels, scores))
    if math.isnan(auc):
        auc = None  # one class only: scikit-learn warns and returns nan
    return {
        "name": name,
        "threshold": threshold,
        "labels": labels,
        "scores": scores,
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision": float(precision_score(labels, predicted, **kw)),
        "recall": float(recall_score(labels, predicted, **kw)),
        "f1": float(f1_score(labels, predicted, **kw)),
        "auc": auc,
    }


def main():
    rng = np.random.default_rng(20261127)
    cases = []
    # an informative model, scores rounded to 2 decimals (ties)
    y = rng.integers(0, 2, 500)
    s = np.clip(0.3 * y + rng.normal(0.35, 0.2, 500), 0, 1).round(2)
    cases.append(classification_case("informative_ties", y, s, 0.5))
    # heavy ties: one decimal, imbalanced labels
    y = (rng.random(400) < 0.15).astype(int)
    s = np.clip(0.2 * y + rng.random(400) * 0.8, 0, 1).round(1)
    cases.append(classification_case("imbalanced_heavy_ties", y, s, 0.5))
    # uninformative, another threshold
    y = rng.integers(0, 2, 300)
    s = rng.random(300).round(3)
    cases.append(classification_case("uninformative", y, s, 0.3))
    # no predicted positives: precision and F1 are 0 by zero_division
    y = rng.integers(0, 2, 50)
    s = (rng.random(50) * 0.4).round(2)
    cases.append(classification_case("no_predicted_positives", y, s, 0.5))
    # one class only: AUC undefined
    y = np.ones(20, dtype=int)
    s = rng.random(20).round(2)
    cases.append(classification_case("one_class", y, s, 0.5))
    # all scores equal: AUC 0.5
    y = rng.integers(0, 2, 40)
    s = np.full(40, 0.5)
    cases.append(classification_case("all_tied", y, s, 0.5))

    regression = []
    for name, n, scale in [("small_errors", 200, 0.1), ("large_errors", 1000, 25.0)]:
        labels = rng.normal(50, 10, n).round(3)
        predictions = (labels + rng.normal(0, scale, n)).round(3)
        regression.append({
            "name": name,
            "scores": [float(p) for p in predictions],
            "labels": [float(v) for v in labels],
            "mae": float(mean_absolute_error(labels, predictions)),
            "rmse": float(root_mean_squared_error(labels, predictions)),
        })

    latency = []
    for name, values in [
        ("five", [10.0, 2.0, 4.0, 1.0, 3.0]),
        ("lognormal", [float(v) for v in np.exp(rng.normal(2.5, 0.35, 999)).round(3)]),
        ("one", [7.5]),
    ]:
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        latency.append({
            "name": name, "values": values, "mean": float(np.mean(values)),
            "p50": float(p50), "p95": float(p95), "p99": float(p99), "max": float(np.max(values)),
        })

    OUT.write_text(json.dumps({
        "generator": "reference/scripts/watch_performance_reference.py",
        "versions": {"scikit-learn": version("scikit-learn"), "numpy": version("numpy")},
        "classification": cases,
        "regression": regression,
        "latency": latency,
    }, indent=1) + "\n")


if __name__ == "__main__":
    main()
