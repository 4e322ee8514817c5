//! Benchmarks of every drift test at 10k and 1M values per side (`cargo xtask bench`).
//!
//! Each benchmark times `stattest::run` on already-cleaned samples: cleaning and sorting a
//! column happens once per column and is timed on its own (`clean_numeric`). Data: seeded
//! normal samples with a small mean shift for numeric tests, 12 categories for categorical
//! ones, binary for `fisher_exact`.

use divan::Bencher;
use drift_core::rng::SeededRng;
use drift_core::stattest::{self, PermutationOptions, Samples};
use drift_core::{CategoricalSample, NumericSample, StatTest};

fn main() {
    divan::main();
}

const SIZES: [usize; 2] = [10_000, 1_000_000];

fn normal(n: usize, shift: f64, seed: u64) -> Vec<f64> {
    let mut rng = SeededRng::new(seed);
    let mut uniform = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (0..n)
        .map(|_| {
            // Box-Muller; 1 - u keeps the logarithm finite
            let (u, v) = (1.0 - uniform(), uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos() + shift
        })
        .collect()
}

fn numeric_pair(n: usize) -> (NumericSample, NumericSample) {
    (
        NumericSample::from_values(&normal(n, 0.0, 1)),
        NumericSample::from_values(&normal(n, 0.05, 2)),
    )
}

fn categorical_pair(n: usize, n_categories: u64) -> (CategoricalSample, CategoricalSample) {
    let labels = |seed: u64, skew: u64| {
        let mut rng = SeededRng::new(seed);
        let values: Vec<String> = (0..n)
            .map(|_| {
                format!(
                    "c{}",
                    (rng.next_u64() % (n_categories + skew)).min(n_categories - 1)
                )
            })
            .collect();
        CategoricalSample::from_labels(values.iter().map(Some))
    };
    (labels(3, 0), labels(4, 1))
}

/// One benchmark function per test and kind, named after the test.
macro_rules! bench_tests {
    ($kind:ident, $pair:expr, $variant:ident: $($name:ident => $test:expr),+ $(,)?) => {
        mod $kind {
            use super::*;
            $(
                #[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
                fn $name(bencher: Bencher, n: usize) {
                    let (reference, current) = $pair(n);
                    let options = PermutationOptions::default();
                    let samples = Samples::$variant { reference: &reference, current: &current };
                    // time real work, not an early error
                    assert!(stattest::run($test, samples, &options).is_ok(), "{} failed on the bench data", $test);
                    bencher.counter(divan::counter::ItemsCount::new(2 * n)).bench(|| {
                        stattest::run($test, Samples::$variant { reference: &reference, current: &current }, &options)
                    });
                }
            )+
        }
    };
}

bench_tests!(numeric, numeric_pair, Numeric:
    ks => StatTest::Ks,
    wasserstein => StatTest::Wasserstein,
    psi => StatTest::Psi,
    kl_div => StatTest::KlDiv,
    jensenshannon => StatTest::JensenShannon,
    hellinger => StatTest::Hellinger,
    anderson => StatTest::Anderson,
    cramer_von_mises => StatTest::CramerVonMises,
    ed => StatTest::EnergyDistance,
    es => StatTest::EppsSingleton,
    mannw => StatTest::MannWhitney,
    t_test => StatTest::TTest,
    mean_shift => StatTest::MeanShift,
    empirical_mmd => StatTest::EmpiricalMmd,
);

bench_tests!(categorical, |n| categorical_pair(n, 12), Categorical:
    chisquare => StatTest::ChiSquare,
    z => StatTest::Z,
    psi => StatTest::Psi,
    kl_div => StatTest::KlDiv,
    jensenshannon => StatTest::JensenShannon,
    hellinger => StatTest::Hellinger,
    g_test => StatTest::GTest,
    tvd => StatTest::Tvd,
);

#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn fisher_exact(bencher: Bencher, n: usize) {
    let (reference, current) = categorical_pair(n, 2);
    let options = PermutationOptions::default();
    let samples = Samples::Categorical {
        reference: &reference,
        current: &current,
    };
    assert!(
        stattest::run(StatTest::FisherExact, samples, &options).is_ok(),
        "fisher_exact failed on the bench data"
    );
    bencher.bench(|| {
        stattest::run(
            StatTest::FisherExact,
            Samples::Categorical {
                reference: &reference,
                current: &current,
            },
            &options,
        )
    });
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn clean_numeric(bencher: Bencher, n: usize) {
    let raw: Vec<Option<f64>> = normal(n, 0.0, 1).into_iter().map(Some).collect();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| NumericSample::from_raw(divan::black_box(&raw)));
}
