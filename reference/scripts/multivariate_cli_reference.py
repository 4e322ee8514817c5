"""Fixture CSVs and reference values for `monitor drift --multivariate` (tests/cli_multivariate.rs).

The fixture is a correlation-only shift that column-by-column tests miss: 300 rows a side,
columns x1, x2 (standard normals, correlation +0.8 in the reference, -0.8 in the current
data), x3 (an independent standard normal) and color (red / green / blue, 50/30/20%, the
same on both sides). The seed is the first one from 0 up for which evidently's automatic
per-column tests (two-sample KS for the numeric columns, chi-square for color) all give
p > 0.1, so that the per-column verdicts are "no drift" with a margin.

Expected values, from scikit-learn and the published formulas:
  - encoding (monitor's Encoder, documented in docs/multivariate.md): scikit-learn's
    OneHotEncoder (sorted categories) for color, then StandardScaler (population std)
    fitted on the reference and applied to both sides; features x1, x2, x3, color=blue,
    color=green, color=red;
  - MMD: alibi-detect's `sigma_median` on the encoded reference with itself and the unbiased
    MMD^2 with the diagonal zeroed (alibi-detect's `mmd2_from_kernel_matrix`), as in
    multivariate_reference.py; the p-value of 100 numpy permutations is recorded for
    context only (monitor's permutations use its own seeded generator);
  - classifier: LogisticRegression(C=1, tol=1e-12) on folds "pooled row i mod 5"
    (reference rows first), roc_auc_score of the out-of-fold probabilities, alibi-detect's
    p-value (`BaseClassifierDrift.test_probs`, soft predictions): scipy's
    ks_2samp(probs_ref, probs_cur, alternative='greater') of the out-of-fold probabilities
    of "current" (the two-sided p-value is recorded for context only: this classifier is
    worse than chance, AUC < 0.5, which the two-sided test would call drift),
    |coefficients| of a fit on all rows;
  - PCA (NannyML's data reconstruction drift): StandardScaler then PCA(n_components=0.65,
    svd_solver="full") fitted on the encoded reference, the Euclidean reconstruction error
    per row, chunk means over chunks of 30 rows (ceil(300 / 10), monitor's default of ten
    reference chunks), thresholds mean +- 3 population std of the reference chunks (lower
    limited at 0).

Run:  /work/.venv-ref/bin/python reference/scripts/multivariate_cli_reference.py
Writes tests/fixtures/multivariate_{reference,current}.csv and
reference/values/multivariate_cli.json.
"""

import json
import math
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy.stats import chisquare, ks_2samp
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parents[2]
ROWS = 300
COLORS = ["red", "green", "blue"]
COLOR_P = [0.5, 0.3, 0.2]
CORRELATION = 0.8
FOLDS = 5


def side(rng, correlation):
    z1 = rng.normal(size=ROWS)
    z2 = rng.normal(size=ROWS)
    x1 = z1
    x2 = correlation * z1 + math.sqrt(1.0 - correlation**2) * z2
    x3 = rng.normal(size=ROWS)
    color = rng.choice(COLORS, size=ROWS, p=COLOR_P)
    # written with repr, so the file holds exactly these doubles
    return [(float(a), float(b), float(c), str(d)) for a, b, c, d in zip(x1, x2, x3, color)]


def per_column_p_values(reference, current):
    p = {}
    for j, name in enumerate(["x1", "x2", "x3"]):
        p[name] = float(ks_2samp([r[j] for r in reference], [c[j] for c in current]).pvalue)
    # evidently's chi-square: current counts against the reference shares
    ref = [r[3] for r in reference]
    cur = [c[3] for c in current]
    keys = sorted(set(ref) | set(cur))
    expected = [ref.count(k) / len(ref) * len(cur) for k in keys]
    p["color"] = float(chisquare([cur.count(k) for k in keys], expected).pvalue)
    return p


def squared_pairwise_distance(x, y):
    x2 = (x**2).sum(axis=1)[:, None]
    y2 = (y**2).sum(axis=1)[None, :]
    return np.maximum(x2 + y2 - 2.0 * x @ y.T, 1e-30)


def sigma_median(x, y):
    n = min(x.shape[0], y.shape[0])
    dist = np.sort(squared_pairwise_distance(x, y).ravel())
    return float(np.sqrt(0.5 * dist[n + (n * n - n) // 2]))


def mmd2_from_kernel(k, n):
    k = k.copy()
    np.fill_diagonal(k, 0.0)
    m = k.shape[0] - n
    return float(
        k[:n, :n].sum() / (n * (n - 1)) + k[n:, n:].sum() / (m * (m - 1)) - 2.0 * k[n:, :n].mean()
    )


def write_csv(path, rows):
    lines = ["x1,x2,x3,color"] + [f"{a!r},{b!r},{c!r},{d}" for a, b, c, d in rows]
    path.write_text("\n".join(lines) + "\n")


def main():
    seed = 0
    while True:
        rng = np.random.default_rng(seed)
        reference = side(rng, CORRELATION)
        current = side(rng, -CORRELATION)
        p_columns = per_column_p_values(reference, current)
        if min(p_columns.values()) > 0.1:
            break
        seed += 1

    fixtures = ROOT / "tests" / "fixtures"
    fixtures.mkdir(parents=True, exist_ok=True)
    write_csv(fixtures / "multivariate_reference.csv", reference)
    write_csv(fixtures / "multivariate_current.csv", current)

    # encoding: one-hot (sorted categories) then the reference's standardisation
    numeric = lambda rows: np.array([r[:3] for r in rows])  # noqa: E731
    colors = lambda rows: np.array([[r[3]] for r in rows])  # noqa: E731
    one_hot = OneHotEncoder(categories=[sorted(COLORS)], handle_unknown="ignore", sparse_output=False)
    one_hot.fit(colors(reference))
    raw_ref = np.hstack([numeric(reference), one_hot.transform(colors(reference))])
    raw_cur = np.hstack([numeric(current), one_hot.transform(colors(current))])
    scaler = StandardScaler().fit(raw_ref)
    x, y = scaler.transform(raw_ref), scaler.transform(raw_cur)
    features = ["x1", "x2", "x3"] + [f"color={c}" for c in sorted(COLORS)]

    # MMD
    sigma = sigma_median(x, x)
    pooled = np.vstack([x, y])
    kernel = np.exp(-squared_pairwise_distance(pooled, pooled) / (2.0 * sigma**2))
    statistic = mmd2_from_kernel(kernel, ROWS)
    perm_rng = np.random.default_rng(12345)
    permuted = []
    for _ in range(100):
        order = perm_rng.permutation(2 * ROWS)
        permuted.append(mmd2_from_kernel(kernel[np.ix_(order, order)], ROWS))
    numpy_p = float(np.mean(np.array(permuted) >= statistic))

    # domain classifier on the same folds
    labels = np.r_[np.zeros(ROWS), np.ones(ROWS)]
    scores = np.zeros(2 * ROWS)
    fold_of = np.arange(2 * ROWS) % FOLDS
    for fold in range(FOLDS):
        train, test = fold_of != fold, fold_of == fold
        model = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(pooled[train], labels[train])
        scores[test] = model.predict_proba(pooled[test])[:, 1]
    auc = float(roc_auc_score(labels, scores))
    ks_p = float(ks_2samp(scores[:ROWS], scores[ROWS:], alternative="greater").pvalue)
    two_sided_p = float(ks_2samp(scores[:ROWS], scores[ROWS:]).pvalue)
    full = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(pooled, labels)
    importance = np.abs(full.coef_[0]).tolist()

    # PCA reconstruction error
    chunk_size = math.ceil(ROWS / 10)
    pca_scaler = StandardScaler().fit(x)
    pca = PCA(n_components=0.65, svd_solver="full").fit(pca_scaler.transform(x))

    def chunk_errors(data):
        scaled = pca_scaler.transform(data)
        back = pca.inverse_transform(pca.transform(scaled))
        errors = np.linalg.norm(scaled - back, axis=1)
        return [float(errors[i : i + chunk_size].mean()) for i in range(0, len(errors), chunk_size)]

    reference_errors = chunk_errors(x)
    mean, std = float(np.mean(reference_errors)), float(np.std(reference_errors))
    lower, upper = max(mean - 3.0 * std, 0.0), mean + 3.0 * std
    current_errors = chunk_errors(y)

    values = {
        "generator": "reference/scripts/multivariate_cli_reference.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__},
        "seed": seed,
        "fixtures": {
            "reference": "tests/fixtures/multivariate_reference.csv",
            "current": "tests/fixtures/multivariate_current.csv",
        },
        "rows": ROWS,
        "per_column_p_values": p_columns,
        "features": features,
        "mmd": {"bandwidth": sigma, "statistic": statistic, "numpy_permutation_p_value": numpy_p},
        "classifier": {
            "folds": FOLDS,
            "auc": auc,
            "p_value": ks_p,
            "two_sided_p_value": two_sided_p,
            "importance": importance,
        },
        "pca": {
            "chunk_size": chunk_size,
            "n_components": int(pca.n_components_),
            "variance_explained": float(pca.explained_variance_ratio_.sum()),
            "reference_errors": reference_errors,
            "lower": lower,
            "upper": upper,
            "chunk_errors": current_errors,
            "alerts": [e < lower or e > upper for e in current_errors],
        },
    }
    out = ROOT / "reference" / "values" / "multivariate_cli.json"
    out.write_text(json.dumps(values, indent=2) + "\n")
    print(json.dumps({k: values[k] for k in ["seed", "per_column_p_values", "mmd"]}, indent=2))
    print("auc", auc, "ks p (greater)", ks_p, "two-sided", two_sided_p, "pca", values["pca"]["n_components"], sum(values["pca"]["alerts"]))


if __name__ == "__main__":
    main()
