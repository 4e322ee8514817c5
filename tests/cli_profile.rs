//! `monitor profile` end to end: shards profiled in separate processes, merged, and
//! compared with the exact single-pass report; the profile commands' contracts.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::support::{assert_succeeded, json_of, monitor, scratch, write};

/// Rows of the current table, split into [`SHARDS`] shards.
const ROWS: usize = 1_000_000;
const SHARDS: usize = 10;
const REFERENCE_ROWS: usize = 200_000;

/// A small seeded generator (splitmix64): the data only has to be the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const HEADER: &str = "steady,shifted,scaled,lognormal,count,plan,city\n";

/// One row; `drifted` shifts `shifted`, widens `scaled`, moves `count` and adds a plan.
fn row(rng: &mut Rng, drifted: bool, out: &mut String) {
    let plan = if drifted && rng.uniform() < 0.2 {
        "enterprise"
    } else {
        ["free", "basic", "pro", "team"][rng.below(4) as usize]
    };
    let count = rng.below(if drifted { 12 } else { 8 });
    let _ = writeln!(
        out,
        "{:.5},{:.5},{:.5},{:.3},{},{},city_{}",
        rng.normal(),
        rng.normal() + if drifted { 0.5 } else { 0.0 },
        rng.normal() * if drifted { 1.5 } else { 1.0 },
        (rng.normal() * 0.8).exp() * 100.0,
        count,
        plan,
        rng.below(200),
    );
}

/// Writes the reference table, the current table and its shards; returns their paths.
fn write_tables(dir: &Path) -> (PathBuf, PathBuf, Vec<PathBuf>) {
    let mut rng = Rng(7);
    let mut text = String::from(HEADER);
    for _ in 0..REFERENCE_ROWS {
        row(&mut rng, false, &mut text);
    }
    let reference = write(dir, "reference.csv", &text);
    let whole_path = dir.join("current.csv");
    let mut whole = std::io::BufWriter::new(std::fs::File::create(&whole_path).expect("create"));
    whole.write_all(HEADER.as_bytes()).expect("write");
    let mut shards = Vec::new();
    for shard in 0..SHARDS {
        let mut text = String::from(HEADER);
        for _ in 0..ROWS / SHARDS {
            row(&mut rng, true, &mut text);
        }
        whole
            .write_all(&text.as_bytes()[HEADER.len()..])
            .expect("write");
        shards.push(write(dir, &format!("shard_{shard}.csv"), &text));
    }
    whole.flush().expect("flush");
    (reference, whole_path, shards)
}

/// Runs `monitor` with `args`, asserting success; returns stdout.
fn run(args: &[&str]) -> Vec<u8> {
    let output = monitor().args(args).output().expect("running monitor");
    assert_succeeded(&output);
    output.stdout
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn shards_profiled_apart_and_merged_give_the_exact_verdicts() {
    let dir = scratch("cli-profile-shards");
    let (reference, current, shards) = write_tables(&dir);

    // each shard in its own process, all at once, as workers of a batch engine would
    let children: Vec<_> = shards
        .iter()
        .map(|shard| {
            let output = shard.with_extension("json");
            let child = std::process::Command::new(monitor().get_program())
                .args(["profile", "build", "--input", path(shard), "--output"])
                .arg(&output)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("starting monitor profile build");
            (child, output)
        })
        .collect();
    let mut profiles = Vec::new();
    for (child, output) in children {
        let done = child.wait_with_output().expect("waiting for a shard");
        assert_succeeded(&done);
        profiles.push(output);
    }
    let merged = dir.join("current.profile.json");
    let mut merge = vec!["profile", "merge"];
    merge.extend(profiles.iter().map(|p| path(p)));
    merge.extend(["--output", path(&merged)]);
    run(&merge);
    let reference_profile = dir.join("reference.profile.bin");
    run(&[
        "profile",
        "build",
        "--input",
        path(&reference),
        "--output",
        path(&reference_profile),
    ]);
    let bytes = std::fs::read(&reference_profile).expect("reading the binary profile");
    assert!(
        bytes.starts_with(b"MPRF"),
        "a .bin output is the binary form"
    );

    // a profile's size does not grow with rows: 1M rows merged from 10 shards against one
    // shard's 100k
    let merged_size = std::fs::metadata(&merged).expect("merged").len();
    let shard_size = std::fs::metadata(&profiles[0]).expect("shard").len();
    assert!(
        merged_size < shard_size * 2,
        "merged profile {merged_size} bytes, one shard's {shard_size}"
    );

    let exact = json_of(&run(&[
        "drift",
        "--reference",
        path(&reference),
        "--current",
        path(&current),
        "--format",
        "json",
    ]));
    let from_profiles = json_of(&run(&[
        "drift",
        "--reference-profile",
        path(&reference_profile),
        "--current-profile",
        path(&merged),
        "--format",
        "json",
    ]));
    // a profile on one side, data on the other: the data is profiled on the fly
    let mixed = json_of(&run(&[
        "drift",
        "--reference-profile",
        path(&reference_profile),
        "--current",
        path(&current),
        "--format",
        "json",
    ]));
    assert_eq!(from_profiles["current"]["rows"], ROWS);
    assert_eq!(from_profiles["reference"]["rows"], REFERENCE_ROWS);
    for report in [&from_profiles, &mixed] {
        assert_eq!(report["dataset_drift"], exact["dataset_drift"]);
        assert_eq!(report["n_drifted"], exact["n_drifted"]);
        let columns = report["columns"].as_array().expect("columns");
        let exact_columns = exact["columns"].as_array().expect("columns");
        assert_eq!(columns.len(), exact_columns.len());
        for (column, exact) in columns.iter().zip(exact_columns) {
            let name = exact["name"].as_str().expect("name");
            assert_eq!(column["name"], exact["name"]);
            assert_eq!(column["test"], exact["test"], "{name}: same automatic test");
            assert_eq!(column["drifted"], exact["drifted"], "{name}: same verdict");
            let (ours, truth) = (
                column["statistic"].as_f64().expect("statistic"),
                exact["statistic"].as_f64().expect("statistic"),
            );
            let tolerance = statistic_tolerance(name, truth);
            assert!(
                (ours - truth).abs() <= tolerance,
                "{name}: {ours} from profiles, {truth} exact (stated error {tolerance})"
            );
        }
    }
    let verdicts: Vec<(String, bool)> = exact["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_owned(),
                c["drifted"].as_bool().expect("drifted"),
            )
        })
        .collect();
    // the seeded data drifts where it was made to, so the comparison above is not vacuous
    assert_eq!(
        verdicts,
        [
            ("steady".to_owned(), false),
            ("shifted".to_owned(), true),
            ("scaled".to_owned(), true),
            ("lognormal".to_owned(), false),
            ("count".to_owned(), true),
            ("plan".to_owned(), true),
            ("city".to_owned(), false),
        ]
    );
}

/// The stated error of each column's statistic from profiles (`docs/profiles.md`): exact
/// counts (`count` has 12 distinct values, `plan` and `city` few labels) give the exact
/// statistic to rounding; a normed Wasserstein distance from KLL sketches (the other
/// numeric columns) is within 0.01 absolute.
fn statistic_tolerance(name: &str, exact: f64) -> f64 {
    match name {
        "count" | "plan" | "city" => 1e-9 * exact.abs(),
        _ => 0.01,
    }
}

#[test]
fn show_describes_a_profile_and_bad_profiles_are_named_errors() {
    let dir = scratch("cli-profile-show");
    let data = write(
        &dir,
        "data.csv",
        "age,plan\n31,free\n45,pro\n,free\n27,team\n",
    );
    let profile = dir.join("p.json");
    run(&[
        "profile",
        "build",
        "--input",
        path(&data),
        "--output",
        path(&profile),
    ]);
    let text = String::from_utf8(run(&["profile", "show", path(&profile)])).expect("UTF-8");
    assert!(text.contains("4 rows, 2 columns"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("age") && l.contains("numeric")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("plan") && l.contains("categorical")),
        "{text}"
    );
    let json = json_of(&run(&[
        "profile",
        "show",
        path(&profile),
        "--format",
        "json",
    ]));
    assert_eq!(json["kind"], "monitor-profile");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["n_rows"], 4);

    let cases: [(&str, &[u8]); 4] = [
        ("garbage.json", b"{not json"),
        (
            "future.json",
            br#"{"kind":"monitor-profile","schema_version":99}"#,
        ),
        ("truncated.bin", b"MPRF\x01"),
        (
            "other.json",
            br#"{"kind":"something-else","schema_version":1}"#,
        ),
    ];
    for (name, bytes) in cases {
        let bad = write(&dir, name, bytes);
        let output = monitor()
            .args(["profile", "show", path(&bad)])
            .output()
            .expect("running monitor");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(name), "{name}: names the file: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    // profiles built with different sketch sizes do not merge
    let other = dir.join("k100.json");
    run(&[
        "profile",
        "build",
        "--input",
        path(&data),
        "--output",
        path(&other),
        "--quantile-k",
        "100",
    ]);
    let output = monitor()
        .args(["profile", "merge", path(&profile), path(&other)])
        .output()
        .expect("running monitor");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("k100.json"));
}
