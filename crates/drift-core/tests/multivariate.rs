//! Multivariate drift against reference/values/multivariate.json (alibi-detect's MMD
//! formulas in numpy, scikit-learn's PCA) and the permutation p-value's calibration.

use drift_core::multivariate::{
    ClassifierOptions, Matrix, MmdMethod, MmdOptions, PcaOptions, classifier_drift,
    median_bandwidth, mmd_drift, mmd2_unbiased, pca_drift,
};
use drift_core::rng::SeededRng;
use test_support::{assert_close, load_reference, number, numbers};

fn matrix(value: &serde_json::Value) -> Matrix {
    let rows = value.as_array().expect("rows");
    let cols = rows[0].as_array().expect("a row").len();
    let values = rows
        .iter()
        .flat_map(|row| row.as_array().expect("a row").iter().map(number))
        .collect();
    Matrix::new(values, rows.len(), cols).expect("a matrix")
}

#[test]
fn mmd_and_bandwidth_match_alibi_detect_formulas() {
    let reference = load_reference("multivariate.json");
    for case in reference["mmd"].as_array().expect("mmd cases") {
        let name = case["name"].as_str().expect("name");
        let x = matrix(&case["reference"]);
        let y = matrix(&case["current"]);
        let sigma = median_bandwidth(&x, 10_000, 0).expect("bandwidth");
        assert_close(
            sigma,
            number(&case["sigma"]),
            1e-12,
            0.0,
            &format!("{name}: sigma"),
        );
        let at_sigma = mmd2_unbiased(&x, &y, number(&case["sigma"])).expect("mmd2");
        assert_close(
            at_sigma,
            number(&case["mmd2"]),
            1e-9,
            0.0,
            &format!("{name}: mmd2"),
        );
        let fixed = mmd2_unbiased(&x, &y, 1.5).expect("mmd2");
        assert_close(
            fixed,
            number(&case["mmd2_sigma_1_5"]),
            1e-9,
            0.0,
            &format!("{name}: mmd2 at 1.5"),
        );
        let drift = mmd_drift(&x, &y, &MmdOptions::default()).expect("mmd drift");
        assert_close(
            drift.statistic,
            number(&case["mmd2"]),
            1e-9,
            0.0,
            &format!("{name}: statistic"),
        );
        assert_eq!(drift.n_permutations, 100);
    }
}

fn normal_matrix(rng: &mut SeededRng, rows: usize, cols: usize, shift: f64) -> Matrix {
    let values = (0..rows * cols)
        .map(|_| {
            let u = 1.0 - rng.uniform();
            let v = rng.uniform();
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos() + shift
        })
        .collect();
    Matrix::new(values, rows, cols).expect("a matrix")
}

fn rejection_rate(method: MmdMethod, shift: f64) -> f64 {
    let mut rejected = 0;
    for seed in 0..200_u64 {
        let mut rng = SeededRng::new(1000 + seed);
        let x = normal_matrix(&mut rng, 30, 2, 0.0);
        let y = normal_matrix(&mut rng, 30, 2, shift);
        let options = MmdOptions {
            seed,
            method,
            ..MmdOptions::default()
        };
        if mmd_drift(&x, &y, &options).expect("mmd drift").p_value <= 0.05 {
            rejected += 1;
        }
    }
    f64::from(rejected) / 200.0
}

#[test]
fn p_values_are_calibrated_without_drift_and_small_under_a_shift() {
    for method in [
        MmdMethod::Exact,
        MmdMethod::RandomFeatures { features: 500 },
    ] {
        let null = rejection_rate(method, 0.0);
        assert!(
            (0.01..=0.11).contains(&null),
            "{method:?}: rejection rate {null} without drift"
        );
        let power = rejection_rate(method, 1.0);
        assert!(
            power >= 0.9,
            "{method:?}: rejection rate {power} under a shift of 1 sd"
        );
    }
}

/// The domain classifier's one-sided p-value over 300 seeded pairs of samples (100 rows a
/// side, 3 features): rejections at 0.05 without drift, and under a 0.8 sd shift of one
/// feature.
fn classifier_rejection_rate(shift: f64) -> f64 {
    let mut rejected = 0;
    for seed in 0..300_u64 {
        let mut rng = SeededRng::new(5000 + seed);
        let x = normal_matrix(&mut rng, 100, 3, 0.0);
        let mut y = normal_matrix(&mut rng, 100, 3, 0.0);
        if shift != 0.0 {
            let mut values = y.values().to_vec();
            for row in values.chunks_mut(3) {
                row[0] += shift;
            }
            y = Matrix::new(values, 100, 3).expect("a matrix");
        }
        if classifier_drift(&x, &y, &ClassifierOptions::default())
            .expect("classifier drift")
            .p_value
            <= 0.05
        {
            rejected += 1;
        }
    }
    f64::from(rejected) / 300.0
}

#[test]
fn classifier_p_values_are_calibrated_without_drift_and_small_under_a_shift() {
    // Out-of-fold scores come from k different models, so the KS test on them is only
    // approximately calibrated (as in alibi-detect); 0.05 ± 4 standard errors is allowed.
    let null = classifier_rejection_rate(0.0);
    assert!(
        (0.0..=0.1).contains(&null),
        "rejection rate {null} without drift"
    );
    let power = classifier_rejection_rate(0.8);
    assert!(
        power >= 0.9,
        "rejection rate {power} under a shift of 0.8 sd"
    );
}

#[test]
fn pca_reconstruction_errors_match_scikit_learn() {
    let reference = load_reference("multivariate.json");
    let case = &reference["pca"];
    let x = matrix(&case["reference"]);
    let y = matrix(&case["current"]);
    let options = PcaOptions {
        chunk_size: number(&case["chunk_size"]) as usize,
        ..PcaOptions::default()
    };
    let result = pca_drift(&x, &y, &options).expect("pca drift");
    assert_eq!(result.n_components, number(&case["n_components"]) as usize);
    let want = numbers(&case["reference_chunk_errors"]);
    assert_eq!(result.reference_errors.len(), want.len());
    for (i, (got, want)) in result.reference_errors.iter().zip(&want).enumerate() {
        assert_close(*got, *want, 1e-9, 0.0, &format!("reference chunk {i}"));
    }
    let want = numbers(&case["current_chunk_errors"]);
    assert_eq!(result.chunks.len(), want.len());
    for (i, (chunk, want)) in result.chunks.iter().zip(&want).enumerate() {
        assert_close(chunk.error, *want, 1e-9, 0.0, &format!("current chunk {i}"));
    }
    assert_close(
        result.lower,
        number(&case["lower"]),
        1e-9,
        0.0,
        "lower threshold",
    );
    assert_close(
        result.upper,
        number(&case["upper"]),
        1e-9,
        0.0,
        "upper threshold",
    );
    // the second half of the current data breaks the reference's correlations
    let alerts: Vec<bool> = result.chunks.iter().map(|c| c.alert).collect();
    assert_eq!(alerts, [false, false, true, true]);
}

#[test]
fn classifier_matches_scikit_learn_on_the_same_folds() {
    let reference = load_reference("multivariate.json");
    let case = &reference["classifier"];
    let x = matrix(&case["reference"]);
    let y = matrix(&case["current"]);
    let options = ClassifierOptions {
        folds: number(&case["folds"]) as usize,
        ..ClassifierOptions::default()
    };
    let result = classifier_drift(&x, &y, &options).expect("classifier drift");
    // scikit-learn's lbfgs stops at its tolerance; Newton converges to the same optimum
    assert_close(result.auc, number(&case["auc"]), 1e-6, 0.0, "auc");
    for (i, (got, want)) in result
        .scores
        .iter()
        .zip(numbers(&case["scores"]))
        .enumerate()
    {
        assert_close(*got, want, 1e-6, 0.0, &format!("out-of-fold score {i}"));
    }
    for (i, (got, want)) in result
        .importance
        .iter()
        .zip(numbers(&case["coefficients"]))
        .enumerate()
    {
        assert_close(*got, want.abs(), 1e-6, 1e-6, &format!("importance {i}"));
    }
    // the shift is in column 1: it must drive the classifier
    let top = (0..4).max_by(|&a, &b| result.importance[a].total_cmp(&result.importance[b]));
    assert_eq!(top, Some(1));
    assert!(result.p_value < 0.01, "{result:?}");
}
