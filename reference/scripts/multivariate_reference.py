"""Reference values for drift-core's multivariate drift (crates/drift-core/src/multivariate/).

MMD: alibi-detect 0.12's `MMDDrift` (PyTorch backend) is NOT installed here (its torch
dependency is too large for this machine's time budget). Its published formulas are
re-implemented in numpy instead, following alibi-detect's source:
  - `utils/pytorch/distance.py::squared_pairwise_distance`: ||x||^2 + ||y||^2 - 2 x.y,
    clamped below at 1e-30;
  - `utils/pytorch/kernels.py::sigma_median`: n = min(len(x), len(y)), sort all n*n squared
    distances of the reference with itself, take index n + (n*n - n) // 2, sigma =
    sqrt(0.5 * that); `GaussianRBF`: k = exp(-d / (2 sigma^2));
  - `utils/pytorch/distance.py::mmd2_from_kernel_matrix` (zero_diag=True): unbiased MMD^2 =
    sum(K_xx)/(n(n-1)) + sum(K_yy)/(m(m-1)) - 2 mean(K_xy) with the diagonal zeroed.
PCA: NannyML's data reconstruction drift with scikit-learn: StandardScaler (population std)
fitted on the reference, PCA(n_components=0.65) on the scaled reference, per row the
Euclidean norm of x - inverse_transform(transform(x)), per chunk the mean, thresholds mean
+- 3 population std of the reference chunks' errors (lower limited at 0).

Classifier: scikit-learn's LogisticRegression(C=1, lbfgs, tight tolerance) on folds
"pooled row i mod 5", out-of-fold probabilities, roc_auc_score, the coefficients of a fit on
all rows, and alibi-detect's p-value (`BaseClassifierDrift.test_probs` with soft
predictions): scipy's ks_2samp(probs_ref, probs_cur, alternative='greater') of the
out-of-fold probabilities of "current".

Run:  /work/.venv-ref/bin/python reference/scripts/multivariate_reference.py
Writes reference/values/multivariate.json.
"""

import json
from pathlib import Path

import numpy as np
import sklearn
from scipy.stats import ks_2samp
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler


def squared_pairwise_distance(x, y):
    x2 = (x**2).sum(axis=1)[:, None]
    y2 = (y**2).sum(axis=1)[None, :]
    return np.maximum(x2 + y2 - 2.0 * x @ y.T, 1e-30)


def sigma_median(x, y):
    n = min(x.shape[0], y.shape[0])
    dist = np.sort(squared_pairwise_distance(x, y).ravel())
    n_median = n + (n * n - n) // 2
    return float(np.sqrt(0.5 * dist[n_median]))


def mmd2(x, y, sigma):
    z = np.vstack([x, y])
    k = np.exp(-squared_pairwise_distance(z, z) / (2.0 * sigma**2))
    np.fill_diagonal(k, 0.0)
    n, m = x.shape[0], y.shape[0]
    k_xx, k_yy, k_xy = k[:n, :n], k[n:, n:], k[n:, :n]
    return float(k_xx.sum() / (n * (n - 1)) + k_yy.sum() / (m * (m - 1)) - 2.0 * k_xy.mean())


def mmd_cases(rng):
    cases = []
    for name, n, m, d, shift, scale in [
        ("no_shift", 60, 50, 3, 0.0, 1.0),
        ("mean_shift", 80, 70, 4, 0.5, 1.0),
        ("scale_shift", 50, 90, 2, 0.0, 2.0),
        ("correlated", 100, 100, 5, 0.2, 1.0),
    ]:
        x = rng.normal(size=(n, d))
        y = rng.normal(size=(m, d)) * scale + shift
        if name == "correlated":
            mix = rng.normal(size=(d, d))
            x = x @ mix
            y = y @ mix
        sigma = sigma_median(x, x)
        cases.append(
            {
                "name": name,
                "reference": x.tolist(),
                "current": y.tolist(),
                "sigma": sigma,
                "mmd2": mmd2(x, y, sigma),
                "mmd2_sigma_1_5": mmd2(x, y, 1.5),
            }
        )
    return cases


def chunk_errors(x_scaled, pca, chunk_size):
    recon = pca.inverse_transform(pca.transform(x_scaled))
    errors = np.linalg.norm(x_scaled - recon, axis=1)
    return [float(errors[i : i + chunk_size].mean()) for i in range(0, len(errors), chunk_size)]


def pca_case(rng):
    d = 6
    latent = rng.normal(size=(600, 2))
    mix = rng.normal(size=(2, d))
    reference = latent @ mix + 0.3 * rng.normal(size=(600, d)) + rng.normal(size=d) * 3
    cur_latent = rng.normal(size=(400, 2))
    current = cur_latent @ mix + 0.3 * rng.normal(size=(400, d))
    current += reference.mean(axis=0)
    # the second half of the current data breaks the correlation structure
    current[200:, 0] = rng.normal(size=200) * reference[:, 0].std() + reference[:, 0].mean()
    scaler = StandardScaler().fit(reference)
    pca = PCA(n_components=0.65, svd_solver="full").fit(scaler.transform(reference))
    chunk_size = 100
    ref_errors = chunk_errors(scaler.transform(reference), pca, chunk_size)
    cur_errors = chunk_errors(scaler.transform(current), pca, chunk_size)
    mean, std = float(np.mean(ref_errors)), float(np.std(ref_errors))
    return {
        "reference": reference.tolist(),
        "current": current.tolist(),
        "chunk_size": chunk_size,
        "n_components": int(pca.n_components_),
        "reference_chunk_errors": ref_errors,
        "current_chunk_errors": cur_errors,
        "lower": max(mean - 3 * std, 0.0),
        "upper": mean + 3 * std,
    }


def classifier_case(rng):
    x = rng.normal(size=(200, 4))
    y = rng.normal(size=(150, 4))
    y[:, 1] += 1.0
    pooled = np.vstack([x, y])
    labels = np.r_[np.zeros(len(x)), np.ones(len(y))]
    folds = np.arange(len(pooled)) % 5
    scores = np.zeros(len(pooled))
    for fold in range(5):
        train = folds != fold
        model = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(pooled[train], labels[train])
        scores[~train] = model.predict_proba(pooled[~train])[:, 1]
    full = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(pooled, labels)
    return {
        "reference": x.tolist(),
        "current": y.tolist(),
        "folds": 5,
        "scores": scores.tolist(),
        "auc": float(roc_auc_score(labels, scores)),
        "coefficients": full.coef_[0].tolist(),
        "p_value": float(ks_2samp(scores[: len(x)], scores[len(x) :], alternative="greater").pvalue),
    }


def main():
    rng = np.random.default_rng(20261127)
    out = {
        "generator": f"numpy {np.__version__}, scikit-learn {sklearn.__version__}",
        "mmd": mmd_cases(rng),
        "pca": pca_case(rng),
        "classifier": classifier_case(rng),
    }
    path = Path(__file__).resolve().parents[1] / "values" / "multivariate.json"
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
