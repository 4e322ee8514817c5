//! Profiles: bounded size, mergeable in any order, versioned formats, and drift from
//! profiles within the stated error of the exact computation on the raw values.

use drift_core::profile::{ColumnProfile, KllSketch, Profile, ProfileOptions};
use drift_core::rng::SeededRng;
use drift_core::summary::ColumnSummary;
use drift_core::{
    ColumnData, ColumnDrift, DatasetInfo, DriftError, DriftOptions, DriftReport, NamedColumn,
    ProfileError, StatTest, TestChoice,
};
use proptest::prelude::*;

fn normal(rng: &mut SeededRng) -> f64 {
    let (u, v) = (1.0 - rng.uniform(), rng.uniform());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Shapes of seeded test data.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Normal,
    LogNormal,
    Uniform,
    /// Two normal bumps, 70/30.
    Mixture,
    /// Integers 0..3000, ties everywhere.
    Integers,
    /// Normal values fed in ascending order (a sketch's hardest order).
    SortedNormal,
}

const SHAPES: [Shape; 6] = [
    Shape::Normal,
    Shape::LogNormal,
    Shape::Uniform,
    Shape::Mixture,
    Shape::Integers,
    Shape::SortedNormal,
];

/// `n` values of `shape`, moved by `shift` (in units of the shape's spread).
fn sample(shape: Shape, n: usize, shift: f64, seed: u64) -> Vec<f64> {
    let mut rng = SeededRng::new(seed);
    let mut values: Vec<f64> = (0..n)
        .map(|_| match shape {
            Shape::Normal | Shape::SortedNormal => normal(&mut rng) + shift,
            Shape::LogNormal => (normal(&mut rng) * 0.8 + shift).exp(),
            Shape::Uniform => rng.uniform() * 10.0 + shift * 2.9,
            Shape::Mixture => {
                if rng.uniform() < 0.7 {
                    normal(&mut rng) + shift
                } else {
                    normal(&mut rng) * 0.5 + 4.0 + shift
                }
            }
            Shape::Integers => (rng.uniform() * 3000.0 + shift * 866.0).floor(),
        })
        .collect();
    if let Shape::SortedNormal = shape {
        values.sort_by(f64::total_cmp);
    }
    values
}

fn numeric(values: &[f64]) -> ColumnData {
    ColumnData::Numeric(values.iter().copied().map(Some).collect())
}

fn column(name: &str, data: ColumnData) -> NamedColumn {
    NamedColumn {
        name: name.into(),
        data,
    }
}

/// The profile of `values` built from `shards` equal parts, merged left to right.
fn sharded_profile(values: &[f64], shards: usize, options: &ProfileOptions) -> ColumnProfile {
    let size = values.len().div_ceil(shards);
    let parts: Vec<Profile> = values
        .chunks(size)
        .map(|part| Profile::from_columns(&[column("x", numeric(part))], options).expect("profile"))
        .collect();
    Profile::merge_all(&parts)
        .expect("merge")
        .column("x")
        .expect("column")
        .clone()
}

fn quantiles(profile: &ColumnProfile) -> &KllSketch {
    match profile {
        ColumnProfile::Numeric(p) => &p.quantiles,
        ColumnProfile::Categorical(_) => unreachable!("numeric column"),
    }
}

/// Largest `|R̂(t) - R(t)| / n` over every sketch item `t`, counting both `< t` and `<= t`.
fn sup_rank_error(sketch: &KllSketch, sorted: &[f64]) -> f64 {
    let mut cum = 0u64;
    let mut worst = 0.0f64;
    for (value, weight) in sketch.weighted_values() {
        let below = sorted.partition_point(|&v| v < value) as f64;
        worst = worst.max((cum as f64 - below).abs());
        cum += weight;
        let at_most = sorted.partition_point(|&v| v <= value) as f64;
        worst = worst.max((cum as f64 - at_most).abs());
    }
    worst / sorted.len() as f64
}

#[test]
#[allow(clippy::print_stderr)] // reports the measured worst error (--nocapture)
fn quantile_sketch_rank_error_holds_for_every_rank_and_merge_order() {
    let options = ProfileOptions::default();
    let mut worst = 0.0f64;
    let mut cases = 0;
    for (shape_idx, shape) in SHAPES.into_iter().enumerate() {
        for (n, seeds) in [(3_000usize, 12u64), (40_000, 8), (300_000, 2)] {
            for seed in 0..seeds {
                let values = sample(shape, n, 0.0, seed * 31 + shape_idx as u64);
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                for shards in [1, 7] {
                    let profile = sharded_profile(&values, shards, &options);
                    let sketch = quantiles(&profile);
                    let error = sup_rank_error(sketch, &sorted);
                    assert!(
                        error <= sketch.rank_error_bound(),
                        "{shape:?} n {n} seed {seed} shards {shards}: rank error {error} above {}",
                        sketch.rank_error_bound()
                    );
                    worst = worst.max(error / sketch.rank_error_bound());
                    cases += 1;
                }
            }
        }
    }
    eprintln!("rank error: worst {worst:.3} of the bound over {cases} sketches");
}

/// Runs one test on raw columns and on their profiles.
fn both_ways(
    test: StatTest,
    reference: &[f64],
    current: &[f64],
    shards: usize,
) -> (ColumnDrift, ColumnDrift, f64) {
    let options = DriftOptions {
        test: TestChoice::Fixed(test),
        ..DriftOptions::default()
    };
    let exact =
        ColumnDrift::compute("x", &numeric(reference), &numeric(current), &options).expect("exact");
    let profile_options = ProfileOptions::default();
    let (r, c) = (
        sharded_profile(reference, shards, &profile_options),
        sharded_profile(current, shards, &profile_options),
    );
    let from_profiles = ColumnDrift::from_profiles("x", &r, &c, &options).expect("profiles");
    let rank_errors = quantiles(&r).rank_error_bound() + quantiles(&c).rank_error_bound();
    (exact, from_profiles, rank_errors)
}

/// The absolute error each statistic from quantile sketches is stated to stay within
/// (docs/profiles.md); `ks` gets the sum of both sketches' rank-error bounds instead.
fn stated_tolerance(test: StatTest, reference_std: f64) -> f64 {
    match test {
        StatTest::Wasserstein => 0.01,
        // energy distance is not normed: sqrt(2 ∫ (F - G)²) scales with sqrt(spread)
        StatTest::EnergyDistance => 0.01 * reference_std.sqrt(),
        StatTest::Psi | StatTest::KlDiv => 0.02,
        StatTest::JensenShannon | StatTest::Hellinger => 0.01,
        _ => unreachable!("not a sketch statistic"),
    }
}

#[test]
#[allow(clippy::print_stderr)] // reports the measured worst error (--nocapture)
fn sketch_statistics_stay_within_their_stated_error() {
    let tests = [
        StatTest::Ks,
        StatTest::Wasserstein,
        StatTest::EnergyDistance,
        StatTest::Psi,
        StatTest::KlDiv,
        StatTest::JensenShannon,
        StatTest::Hellinger,
    ];
    let mut worst = vec![0.0f64; tests.len()];
    for (shape_idx, shape) in SHAPES.into_iter().enumerate() {
        for (case, (n_ref, n_cur, shift)) in [
            (5_000, 5_000, 0.0),
            (20_000, 8_000, 0.05),
            (50_000, 50_000, 0.1),
            (8_000, 30_000, 0.3),
            (100_000, 100_000, 0.02),
            (200_000, 150_000, 0.15),
        ]
        .into_iter()
        .enumerate()
        {
            let seed = (shape_idx * 100 + case) as u64;
            let reference = sample(shape, n_ref, 0.0, seed);
            let current = sample(shape, n_cur, shift, seed + 50_000);
            for (test_idx, &test) in tests.iter().enumerate() {
                let (exact, approx, rank_errors) =
                    both_ways(test, &reference, &current, 1 + case % 3 * 4);
                let (e, a) = (
                    exact.statistic.expect("exact statistic"),
                    approx.statistic.expect("profile statistic"),
                );
                assert_eq!(exact.test, approx.test);
                let allowed = if test == StatTest::Ks {
                    rank_errors
                } else {
                    let std = drift_core::stattest::distance::population_std(&reference);
                    stated_tolerance(test, std)
                };
                let error = (a - e).abs();
                assert!(
                    error <= allowed,
                    "{shape:?} case {case} {test}: exact {e}, from profiles {a}, allowed {allowed}"
                );
                worst[test_idx] = worst[test_idx].max(error / allowed);
            }
        }
    }
    for (test, w) in tests.iter().zip(&worst) {
        eprintln!("{test}: worst error {w:.3} of the stated bound");
    }
}

#[test]
#[allow(clippy::print_stderr)] // reports the measured sizes (--nocapture)
fn a_profile_does_not_grow_with_rows() {
    let options = ProfileOptions::default();
    let table = |n: usize| {
        let values = sample(Shape::Normal, n, 0.0, 9);
        let labels: Vec<Option<String>> = values
            .iter()
            .map(|v| Some(format!("user-{}", (v.abs() * 1e6) as u64 % 50_000)))
            .collect();
        let profile = Profile::from_columns(
            &[
                column("x", numeric(&values)),
                column("c", ColumnData::categorical_from(labels)),
            ],
            &options,
        )
        .expect("profile");
        (profile.to_json().len(), profile.to_bytes().len())
    };
    let sizes: Vec<(usize, usize)> = [10_000, 100_000, 1_000_000].map(table).to_vec();
    eprintln!("JSON and binary bytes at 10k, 100k, 1M rows: {sizes:?}");
    for &(json, binary) in &sizes {
        // docs/profiles.md: a numeric column at most 3k + 8 per level stored values, a
        // categorical one at most 1024 counters, 4096 distinct-count registers each
        assert!(
            json <= 200_000 && binary <= 64_000,
            "{json} B JSON, {binary} B binary"
        );
    }
    // 100 times the rows: the sketch fills up to its capacity (about 3k values), no more
    let (at_10k, at_1m) = (sizes[0].1, sizes[2].1);
    assert!(
        at_1m * 2 <= at_10k * 3,
        "grew from {at_10k} to {at_1m} bytes"
    );
}

/// Small sketches, so that a few hundred rows exercise every switch.
fn small_options() -> ProfileOptions {
    ProfileOptions {
        quantile_k: 8,
        exact_limit: 20,
        frequent_capacity: 6,
        distinct_precision: 4,
        seed: 3,
    }
}

fn rows() -> impl Strategy<Value = (Vec<Option<f64>>, Vec<Option<String>>)> {
    let number = prop_oneof![
        8 => (-40i32..40).prop_map(|v| Some(f64::from(v) * 0.5)),
        4 => (-1e3f64..1e3).prop_map(Some),
        1 => Just(None),
        1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]).prop_map(Some),
    ];
    let label = prop_oneof![
        6 => (0u32..40).prop_map(|i| Some(format!("c{}", i * i % 37))),
        1 => Just(None),
    ];
    (1usize..400).prop_flat_map(move |n| {
        (
            prop::collection::vec(number.clone(), n),
            prop::collection::vec(label.clone(), n),
        )
    })
}

fn table_profile(numbers: &[Option<f64>], labels: &[Option<String>]) -> Profile {
    Profile::from_columns(
        &[
            column("x", ColumnData::Numeric(numbers.iter().copied().collect())),
            column("c", ColumnData::categorical_from(labels.iter().cloned())),
        ],
        &small_options(),
    )
    .expect("profile")
}

fn merged(a: &Profile, b: &Profile) -> Profile {
    let mut out = a.clone();
    out.merge(b).expect("merge");
    out
}

/// The components that merge exactly must be equal; moments within rounding.
fn assert_exact_parts_equal(left: &Profile, right: &Profile) {
    assert_eq!(left.n_rows, right.n_rows);
    for (l, r) in left.columns.iter().zip(&right.columns) {
        assert_eq!(l.name, r.name);
        match (&l.profile, &r.profile) {
            (ColumnProfile::Numeric(a), ColumnProfile::Numeric(b)) => {
                assert_eq!(
                    (a.n_rows, a.n_missing, a.n_non_finite, a.min, a.max),
                    (b.n_rows, b.n_missing, b.n_non_finite, b.min, b.max)
                );
                assert_eq!(a.values, b.values);
                assert_eq!(a.distinct, b.distinct);
                assert_eq!(a.moments.count, b.moments.count);
                test_support::assert_close(a.moments.mean, b.moments.mean, 1e-12, 1e-12, "mean");
                test_support::assert_close(a.moments.m2, b.moments.m2, 1e-10, 1e-9, "m2");
                assert_eq!(a.quantiles.n(), b.quantiles.n());
            }
            (ColumnProfile::Categorical(a), ColumnProfile::Categorical(b)) => {
                assert_eq!((a.n_rows, a.n_missing), (b.n_rows, b.n_missing));
                assert_eq!(a.distinct, b.distinct);
                if a.counts.is_exact() || b.counts.is_exact() {
                    assert_eq!(a.counts, b.counts);
                }
            }
            _ => panic!("kinds differ"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merging_is_commutative_and_associative(
        (numbers, labels) in rows(),
        cuts in (0.0f64..1.0, 0.0f64..1.0),
    ) {
        let n = numbers.len();
        let (i, j) = {
            let (a, b) = ((cuts.0 * n as f64) as usize, (cuts.1 * n as f64) as usize);
            (a.min(b), a.max(b))
        };
        let part = |r: std::ops::Range<usize>| table_profile(&numbers[r.clone()], &labels[r]);
        let (a, b, c) = (part(0..i), part(i..j), part(j..n));
        // commutative: bit for bit
        prop_assert_eq!(merged(&a, &b).to_bytes(), merged(&b, &a).to_bytes());
        // associative: exact parts exactly, moments to rounding, sketches within their bound
        let left = merged(&merged(&a, &b), &c);
        let right = merged(&a, &merged(&b, &c));
        let single = table_profile(&numbers, &labels);
        assert_exact_parts_equal(&left, &right);
        assert_exact_parts_equal(&left, &single);
        let mut finite: Vec<f64> = numbers.iter().flatten().copied().filter(|v| v.is_finite()).collect();
        finite.sort_by(f64::total_cmp);
        for profile in [&left, &right, &single] {
            let sketch = quantiles(profile.column("x").expect("x"));
            if !finite.is_empty() {
                let error = sup_rank_error(sketch, &finite);
                // a tiny sketch (k = 8) is outside the fitted range: the deterministic
                // bound, a rank error of at most 2^h per compaction, still holds
                prop_assert!(error <= 0.5, "rank error {}", error);
            }
            let counts = match profile.column("c").expect("c") {
                ColumnProfile::Categorical(p) => &p.counts,
                ColumnProfile::Numeric(_) => unreachable!("categorical"),
            };
            let undercount = counts.max_undercount();
            prop_assert!(undercount <= (n as u64) / 7);
            for label in labels.iter().flatten() {
                let exact = labels.iter().flatten().filter(|l| *l == label).count() as u64;
                let kept = counts.counts().get(label).copied().unwrap_or(0);
                prop_assert!(kept <= exact && exact - kept <= undercount);
            }
        }
    }

    #[test]
    fn formats_round_trip_and_garbage_is_an_error_not_a_panic(
        (numbers, labels) in rows(),
        noise in prop::collection::vec(any::<u8>(), 0..64),
        flip in any::<prop::sample::Index>(),
    ) {
        let profile = table_profile(&numbers, &labels);
        // seeded: the same rows in the same order give the same bytes
        prop_assert_eq!(table_profile(&numbers, &labels).to_bytes(), profile.to_bytes());
        prop_assert_eq!(&Profile::from_json(&profile.to_json()).expect("json"), &profile);
        let bytes = profile.to_bytes();
        prop_assert_eq!(&Profile::from_bytes(&bytes).expect("binary"), &profile);
        prop_assert_eq!(&Profile::read(&bytes).expect("binary"), &profile);
        // any bytes: an error or a valid profile, never a panic
        let _ = Profile::read(&noise);
        let mut corrupt = bytes.clone();
        let at = flip.index(corrupt.len());
        corrupt[at] ^= 0x5a;
        if let Ok(read) = Profile::read(&corrupt) {
            // whatever was read is consistent enough to merge and compare
            let mut twice = read.clone();
            twice.merge(&read).expect("merge");
            let info = DatasetInfo { source: "memory".into(), rows: 1 };
            let _ = DriftReport::from_profiles((&info, &read), (&info, &twice), &DriftOptions::default());
        }
        let json = profile.to_json();
        let cut = flip.index(json.len());
        let _ = Profile::read(&json.as_bytes()[..cut]);
    }
}

#[test]
fn wrong_versions_and_kinds_are_typed_errors() {
    let profile = table_profile(&[Some(1.0), None], &[Some("a".into()), None]);
    let json = profile.to_json();
    let v2 = json.replacen("\"schema_version\": 1", "\"schema_version\": 2", 1);
    assert_eq!(
        Profile::from_json(&v2),
        Err(ProfileError::UnsupportedVersion {
            found: 2,
            supported: 1
        })
    );
    let report = json.replacen("monitor-profile", "drift-report", 1);
    assert!(matches!(
        Profile::from_json(&report),
        Err(ProfileError::NotAProfile { .. })
    ));
    assert!(matches!(
        Profile::from_json("{}"),
        Err(ProfileError::NotAProfile { .. })
    ));
    assert!(matches!(
        Profile::from_json("not json"),
        Err(ProfileError::Malformed { format: "JSON", .. })
    ));
    // counts that do not add up
    let tampered = json.replacen("\"n_missing\": 1", "\"n_missing\": 0", 1);
    let err = Profile::from_json(&tampered).unwrap_err();
    assert!(matches!(err, ProfileError::Malformed { .. }), "{err}");
    let mut bytes = profile.to_bytes();
    bytes[4] = 9;
    assert_eq!(
        Profile::from_bytes(&bytes),
        Err(ProfileError::UnsupportedVersion {
            found: 9,
            supported: 1
        })
    );
    let bytes = profile.to_bytes();
    assert!(matches!(
        Profile::from_bytes(&bytes[..bytes.len() - 3]),
        Err(ProfileError::Malformed {
            format: "binary",
            ..
        })
    ));
    assert!(matches!(
        Profile::from_bytes(b"PK\x03\x04"),
        Err(ProfileError::NotAProfile { .. })
    ));
}

#[test]
fn merging_checks_options_and_kinds() {
    let a = table_profile(&[Some(1.0)], &[Some("a".into())]);
    let other_options =
        Profile::from_columns(&[column("x", numeric(&[1.0]))], &ProfileOptions::default())
            .expect("profile");
    assert!(matches!(
        a.clone().merge(&other_options),
        Err(ProfileError::IncompatibleOptions { .. })
    ));
    let options = small_options();
    let as_categorical = Profile::from_columns(
        &[column("x", ColumnData::categorical_from([Some("z")]))],
        &options,
    )
    .expect("profile");
    assert_eq!(
        a.clone().merge(&as_categorical),
        Err(ProfileError::KindMismatch {
            column: "x".into(),
            left: drift_core::ColumnKind::Numeric,
            right: drift_core::ColumnKind::Categorical,
        })
    );
    // an all-missing column merges with either kind; an absent column counts as missing
    let all_missing = Profile::from_columns(
        &[column("c", ColumnData::Numeric(vec![None, None].into()))],
        &options,
    )
    .expect("profile");
    let merged = merged(&a, &all_missing);
    assert_eq!(merged.n_rows, 3);
    match merged.column("c").expect("c") {
        ColumnProfile::Categorical(c) => assert_eq!((c.n_rows, c.n_missing), (3, 2)),
        ColumnProfile::Numeric(_) => panic!("c stays categorical"),
    }
    match merged.column("x").expect("x") {
        ColumnProfile::Numeric(x) => assert_eq!((x.n_rows, x.n_missing), (3, 2)),
        ColumnProfile::Categorical(_) => panic!("x stays numeric"),
    }
    let bad = ProfileOptions {
        exact_limit: 5,
        ..ProfileOptions::default()
    };
    assert!(matches!(
        Profile::new(&bad),
        Err(ProfileError::InvalidOption {
            name: "exact_limit",
            ..
        })
    ));
}

fn options_with(test: StatTest) -> DriftOptions {
    DriftOptions {
        test: TestChoice::Fixed(test),
        ..DriftOptions::default()
    }
}

fn profile_of(data: &ColumnData) -> ColumnProfile {
    ColumnProfile::from_column(data, &ProfileOptions::default())
}

#[test]
fn exact_counts_give_the_exact_statistics() {
    // 300 distinct values: profiles keep exact counts, every statistic is the exact one
    let reference = sample(Shape::Integers, 20_000, 0.0, 1)
        .iter()
        .map(|v| (v / 10.0).floor())
        .collect::<Vec<_>>();
    let current = sample(Shape::Integers, 15_000, 0.1, 2)
        .iter()
        .map(|v| (v / 10.0).floor())
        .collect::<Vec<_>>();
    let (r, c) = (numeric(&reference), numeric(&current));
    let (pr, pc) = (profile_of(&r), profile_of(&c));
    for test in [
        StatTest::Ks,
        StatTest::Wasserstein,
        StatTest::EnergyDistance,
        StatTest::Psi,
        StatTest::KlDiv,
        StatTest::JensenShannon,
        StatTest::Hellinger,
        StatTest::MeanShift,
        StatTest::TTest,
    ] {
        let options = options_with(test);
        let exact = ColumnDrift::compute("x", &r, &c, &options).expect("exact");
        let approx = ColumnDrift::from_profiles("x", &pr, &pc, &options).expect("profiles");
        // moments are merged, not recomputed: the norms and means agree to rounding
        let rel = match test {
            StatTest::Wasserstein | StatTest::MeanShift | StatTest::TTest => 1e-9,
            _ => 0.0,
        };
        let (e, a) = (
            exact.statistic.expect("exact"),
            approx.statistic.expect("approx"),
        );
        test_support::assert_close(a, e, rel, 0.0, test.name());
        match (exact.p_value, approx.p_value) {
            (Some(e), Some(a)) => {
                test_support::assert_close(a, e, rel.max(1e-12), 1e-300, test.name())
            }
            (e, a) => assert_eq!(e, a, "{test}"),
        }
        assert_eq!(
            (exact.drifted, exact.threshold),
            (approx.drifted, approx.threshold)
        );
        assert_eq!(exact.distribution, approx.distribution);
        assert_eq!(exact.quality, approx.quality);
        // summaries: exact but for the std, which comes from the merged moments
        let (ColumnSummary::Numeric(e), ColumnSummary::Numeric(a)) =
            (&exact.current, &approx.current)
        else {
            panic!("numeric summaries")
        };
        assert_eq!(
            (e.count, e.missing, e.unique, e.min, e.max, e.quantiles),
            (a.count, a.missing, a.unique, a.min, a.max, a.quantiles)
        );
        test_support::assert_close(a.std.expect("std"), e.std.expect("std"), 1e-9, 0.0, "std");
        assert_eq!(approx.current, pc.summary());
    }
    // few values: evidently's automatic choice picks frequency tests, exact from counts
    for (n, expected) in [(800, StatTest::ChiSquare), (5_000, StatTest::JensenShannon)] {
        let few = |shift: f64, seed: u64| {
            let values: Vec<f64> = sample(Shape::Uniform, n, shift, seed)
                .iter()
                .map(|v| (v / 2.5).floor())
                .collect();
            numeric(&values)
        };
        let (r, c) = (few(0.0, 5), few(0.4, 6));
        let options = DriftOptions::default();
        let exact = ColumnDrift::compute("x", &r, &c, &options).expect("exact");
        let approx = ColumnDrift::from_profiles("x", &profile_of(&r), &profile_of(&c), &options)
            .expect("profiles");
        assert_eq!((exact.test, approx.test), (expected, expected));
        assert_eq!(exact.statistic, approx.statistic);
        assert_eq!(exact.p_value, approx.p_value);
        assert_eq!(exact.drifted, approx.drifted);
    }
}

fn zipf_labels(n: usize, n_categories: usize, skew_shift: usize, seed: u64) -> ColumnData {
    let mut rng = SeededRng::new(seed);
    let weights: Vec<f64> = (1..=n_categories)
        .map(|i| 1.0 / (i as f64).powf(1.1))
        .collect();
    let total: f64 = weights.iter().sum();
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w / total;
            Some(*acc)
        })
        .collect();
    ColumnData::categorical_from((0..n).map(|_| {
        let u = rng.uniform();
        let i = cumulative.partition_point(|&c| c < u).min(n_categories - 1);
        if rng.uniform() < 0.02 {
            None
        } else {
            Some(format!("cat-{}", (i + skew_shift) % n_categories))
        }
    }))
}

#[test]
fn exact_category_counts_give_the_exact_tests() {
    let (r, c) = (zipf_labels(3_000, 40, 0, 1), zipf_labels(2_000, 45, 1, 2));
    let (pr, pc) = (profile_of(&r), profile_of(&c));
    for test in [
        StatTest::ChiSquare,
        StatTest::Z,
        StatTest::GTest,
        StatTest::Tvd,
        StatTest::Psi,
        StatTest::KlDiv,
        StatTest::JensenShannon,
        StatTest::Hellinger,
    ] {
        let options = options_with(test);
        let exact = ColumnDrift::compute("c", &r, &c, &options).expect("exact");
        let approx = ColumnDrift::from_profiles("c", &pr, &pc, &options).expect("profiles");
        assert_eq!(exact.statistic, approx.statistic, "{test}");
        assert_eq!(exact.p_value, approx.p_value, "{test}");
        assert_eq!(
            (
                &exact.reference,
                &exact.current,
                &exact.quality,
                &exact.distribution
            ),
            (
                &approx.reference,
                &approx.current,
                &approx.quality,
                &approx.distribution
            ),
            "{test}"
        );
    }
}

#[test]
#[allow(clippy::print_stderr)] // reports the measured worst error (--nocapture)
fn frequent_item_summaries_stay_within_their_stated_error() {
    // 5000 categories, Zipf: past the exact limit, frequent-items summaries of 1024 counters
    let mut worst = [0.0f64; 4];
    let tests = [
        StatTest::JensenShannon,
        StatTest::Hellinger,
        StatTest::Psi,
        StatTest::KlDiv,
    ];
    for (seed, shift) in [(1u64, 0usize), (2, 1), (3, 7), (4, 0)] {
        let r = zipf_labels(200_000, 5_000, 0, seed);
        let c = zipf_labels(150_000, 5_000, shift, seed + 100);
        let (pr, pc) = (profile_of(&r), profile_of(&c));
        for (i, &test) in tests.iter().enumerate() {
            let options = options_with(test);
            let exact = ColumnDrift::compute("c", &r, &c, &options).expect("exact");
            let approx = ColumnDrift::from_profiles("c", &pr, &pc, &options).expect("profiles");
            let (e, a) = (
                exact.statistic.expect("exact"),
                approx.statistic.expect("approx"),
            );
            let allowed = frequent_tolerance(test);
            // pooling untracked categories lowers a divergence (data-processing
            // inequality); the undercounts of kept categories move it by at most `allowed`
            assert!(
                a <= e + allowed,
                "{test} seed {seed}: exact {e}, profiles {a}"
            );
            worst[i] = worst[i].max(a - e);
        }
        let auto = DriftOptions::default();
        assert_eq!(
            ColumnDrift::compute("c", &r, &c, &auto)
                .expect("exact")
                .drifted,
            ColumnDrift::from_profiles("c", &pr, &pc, &auto)
                .expect("profiles")
                .drifted
        );
    }
    eprintln!("frequent items: largest excess over the exact value {tests:?} {worst:?}");
}

/// How far above the exact value a divergence from frequent-items summaries may be.
fn frequent_tolerance(test: StatTest) -> f64 {
    match test {
        StatTest::JensenShannon | StatTest::Hellinger => 0.01,
        _ => 0.02,
    }
}

#[test]
fn tests_that_need_raw_values_are_named_errors() {
    let r = numeric(&sample(Shape::Normal, 2_000, 0.0, 1));
    let c = numeric(&sample(Shape::Normal, 2_000, 0.5, 2));
    for test in [
        StatTest::Anderson,
        StatTest::CramerVonMises,
        StatTest::EppsSingleton,
        StatTest::MannWhitney,
        StatTest::EmpiricalMmd,
    ] {
        let drift =
            ColumnDrift::from_profiles("x", &profile_of(&r), &profile_of(&c), &options_with(test))
                .expect("column");
        let expected = DriftError::NotFromProfiles {
            column: "x".into(),
            test: test.name(),
            supported: "ks, wasserstein, ed, psi, kl_div, jensenshannon, hellinger, mean_shift, t_test",
        };
        assert_eq!(drift.error, Some(expected.to_string()));
        assert!(!drift.drifted);
    }
}

#[test]
fn reports_from_sharded_profiles_match_the_exact_report() {
    let info = |rows| DatasetInfo {
        source: "memory".into(),
        rows,
    };
    for (n, shards) in [(900usize, 3usize), (60_000, 10)] {
        let table = |shift: f64, seed: u64| {
            vec![
                column("steady", numeric(&sample(Shape::Normal, n, 0.0, seed))),
                column(
                    "moved",
                    numeric(&sample(Shape::LogNormal, n, shift, seed + 1)),
                ),
                column(
                    "mixture",
                    numeric(&sample(Shape::Mixture, n, shift / 4.0, seed + 2)),
                ),
                column("ints", numeric(&sample(Shape::Integers, n, 0.0, seed + 3))),
                column("few", {
                    let v: Vec<f64> = sample(Shape::Uniform, n, shift, seed + 4)
                        .iter()
                        .map(|v| (v / 3.0).floor())
                        .collect();
                    numeric(&v)
                }),
                column(
                    "category",
                    zipf_labels(n, 30, (shift * 4.0) as usize, seed + 5),
                ),
                // within the exact limit: high-cardinality columns are
                // frequent_item_summaries_stay_within_their_stated_error's
                column("users", zipf_labels(n, 1_000, 0, seed + 6)),
            ]
        };
        let (reference, current) = (table(0.0, 10), table(0.6, 20));
        let options = DriftOptions::default();
        let exact = DriftReport::compute((&info(n), &reference), (&info(n), &current), &options)
            .expect("exact");
        let profile = |columns: &[NamedColumn]| {
            let size = n.div_ceil(shards);
            let parts: Vec<Profile> = (0..shards)
                .map(|s| {
                    let rows = s * size..((s + 1) * size).min(n);
                    let part: Vec<NamedColumn> = columns
                        .iter()
                        .map(|c| column(&c.name, slice(&c.data, rows.clone())))
                        .collect();
                    Profile::from_columns(&part, &ProfileOptions::default()).expect("part")
                })
                .collect();
            Profile::merge_all(&parts).expect("merge")
        };
        let (pr, pc) = (profile(&reference), profile(&current));
        let approx = DriftReport::from_profiles((&info(n), &pr), (&info(n), &pc), &options)
            .expect("profiles");
        assert_eq!(exact.dataset_drift, approx.dataset_drift);
        assert_eq!(exact.n_drifted, approx.n_drifted);
        for (e, a) in exact.columns.iter().zip(&approx.columns) {
            assert_eq!(
                (&e.name, e.test, e.drifted),
                (&a.name, a.test, a.drifted),
                "n {n}"
            );
            assert_eq!(e.error, a.error);
        }
    }
}

/// Rows `rows` of a column.
fn slice(data: &ColumnData, rows: std::ops::Range<usize>) -> ColumnData {
    match data {
        ColumnData::Numeric(values) => ColumnData::Numeric(rows.map(|r| values.get(r)).collect()),
        ColumnData::Categorical { labels, codes } => ColumnData::Categorical {
            labels: labels.clone(),
            codes: codes[rows].to_vec(),
        },
    }
}

#[test]
fn few_reference_values_against_a_sketched_current_side() {
    // the reference has 10 values (per-value shares), the current side a sketch
    let reference: Vec<f64> = (0..4_000).map(|i| f64::from(i % 10)).collect();
    let current = sample(Shape::Uniform, 30_000, 0.0, 4);
    let (r, c) = (numeric(&reference), numeric(&current));
    for test in [
        StatTest::Psi,
        StatTest::KlDiv,
        StatTest::JensenShannon,
        StatTest::Hellinger,
    ] {
        let options = options_with(test);
        let exact = ColumnDrift::compute("x", &r, &c, &options).expect("exact");
        let approx = ColumnDrift::from_profiles("x", &profile_of(&r), &profile_of(&c), &options)
            .expect("profiles");
        assert_eq!(approx.error, None);
        assert_eq!(exact.drifted, approx.drifted, "{test}");
    }
}

#[test]
fn a_rejected_batch_leaves_the_profile_unchanged() {
    let options = ProfileOptions::default();
    let mut profile =
        Profile::from_columns(&[column("x", numeric(&[1.0, 2.0]))], &options).expect("profile");
    let before = profile.clone();
    let batch = [
        column("y", numeric(&[3.0])),
        column("x", ColumnData::categorical_from([Some("a")])),
    ];
    assert!(matches!(
        profile.add_rows(&batch),
        Err(ProfileError::KindMismatch { .. })
    ));
    let twice = [column("y", numeric(&[3.0])), column("y", numeric(&[4.0]))];
    assert_eq!(
        profile.add_rows(&twice),
        Err(ProfileError::DuplicateColumn("y".into()))
    );
    let uneven = [
        column("x", numeric(&[3.0])),
        column("y", numeric(&[4.0, 5.0])),
    ];
    assert!(matches!(
        profile.add_rows(&uneven),
        Err(ProfileError::UnequalColumns { .. })
    ));
    assert_eq!(profile, before);
}
