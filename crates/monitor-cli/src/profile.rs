//! `monitor profile build|merge|show`: mergeable, bounded-size profiles of tables.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use drift_core::profile::ColumnProfile;
use drift_core::{Profile, ProfileOptions};

use crate::exit::{Failure, Outcome};
use crate::input::{self, TableArgs};
use crate::output;

/// `monitor profile ...`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Profiles one or more tables (the rows of all of them) into one profile.
    Build(BuildArgs),
    /// Merges profiles of shards into the profile of the whole.
    Merge(MergeArgs),
    /// Describes a profile, column by column.
    Show(ShowArgs),
}

/// How a profile is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileFormat {
    /// Versioned JSON (`"kind": "monitor-profile"`, `"schema_version": 1`).
    Json,
    /// The compact binary form (`MPRF`, version, then the same fields).
    Binary,
}

/// Arguments of `monitor profile build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Tables to profile (CSV, JSON Lines, Parquet), read one after the other.
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// Where to write the profile (atomically); stdout when absent.
    #[arg(long)]
    output: Option<PathBuf>,
    /// json or binary (default: binary for a `.bin` output, json otherwise).
    #[arg(long, value_enum)]
    format: Option<ProfileFormat>,
    #[command(flatten)]
    table: TableArgs,
    /// KLL accuracy parameter k (rank error about 2.9/k^0.97: 0.0035 at 1000) [default: 1000].
    #[arg(long)]
    quantile_k: Option<u16>,
    /// Distinct values counted exactly before a column switches to sketches [default: 1024].
    #[arg(long)]
    exact_limit: Option<u32>,
    /// Seed of the quantile sketch [default: 0].
    #[arg(long)]
    seed: Option<u64>,
}

/// Arguments of `monitor profile merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Profiles to merge (JSON or binary; built with the same options).
    #[arg(required = true, num_args = 1..)]
    profiles: Vec<PathBuf>,
    /// Where to write the merged profile (atomically); stdout when absent.
    #[arg(long)]
    output: Option<PathBuf>,
    /// json or binary (default: binary for a `.bin` output, json otherwise).
    #[arg(long, value_enum)]
    format: Option<ProfileFormat>,
}

/// Arguments of `monitor profile show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The profile (JSON or binary).
    profile: PathBuf,
    /// `table` for people, `json` for the profile itself.
    #[arg(long, value_enum, default_value = "table")]
    format: ShowFormat,
}

/// Output of `monitor profile show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// One line a column.
    Table,
    /// The profile as JSON.
    Json,
}

/// Runs `monitor profile ...`.
pub fn run(command: &ProfileCommand) -> Result<Outcome, Failure> {
    match command {
        ProfileCommand::Build(args) => {
            let config = args.table.load_config()?;
            let options = ProfileOptions {
                quantile_k: args
                    .quantile_k
                    .unwrap_or(ProfileOptions::default().quantile_k),
                exact_limit: args
                    .exact_limit
                    .unwrap_or(ProfileOptions::default().exact_limit),
                seed: args.seed.unwrap_or(ProfileOptions::default().seed),
                ..ProfileOptions::default()
            };
            let paths: Vec<&Path> = args.input.iter().map(PathBuf::as_path).collect();
            let profile = build(&paths, &args.table.read_options(&config), &options)?;
            write(&profile, args.output.as_deref(), args.format)
        }
        ProfileCommand::Merge(args) => {
            let _span = tracing::info_span!("merge", profiles = args.profiles.len()).entered();
            let mut profiles = args.profiles.iter();
            let first = profiles.next().map(|p| load(p)).transpose()?;
            let mut merged = first.ok_or_else(|| Failure::Input(anyhow!("no profile to merge")))?;
            for path in profiles {
                let next = load(path)?;
                merged.merge(&next).map_err(|e| {
                    Failure::Input(anyhow::Error::new(e).context(format!(
                        "{}: cannot be merged into {}",
                        path.display(),
                        args.profiles[0].display()
                    )))
                })?;
            }
            write(&merged, args.output.as_deref(), args.format)
        }
        ProfileCommand::Show(args) => {
            let profile = load(&args.profile)?;
            let text = match args.format {
                ShowFormat::Json => profile.to_json(),
                ShowFormat::Table => describe(&profile),
            };
            output::emit(&text, None)?;
            Ok(Outcome::Clean)
        }
    }
}

/// Reads a profile (JSON or binary), naming the file in any error.
pub fn load(path: &Path) -> Result<Profile, Failure> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("{}: cannot read", path.display()))
        .map_err(Failure::Input)?;
    Profile::read(&bytes)
        .map_err(|e| Failure::Input(anyhow!("{}: not a usable profile: {e}", path.display())))
}

/// Profiles the rows of every table in `paths`, one table in memory at a time.
pub fn build(
    paths: &[&Path],
    read_options: &tabular::ReadOptions,
    options: &ProfileOptions,
) -> Result<Profile, Failure> {
    let mut profile = Profile::new(options).map_err(|e| Failure::Input(e.into()))?;
    for path in paths {
        let table = input::read_table(path, read_options)?;
        let _span = tracing::info_span!("profile", path = %path.display()).entered();
        profile.add_rows(&table.columns).map_err(|e| {
            Failure::Input(anyhow::Error::new(e).context(format!(
                "{}: cannot be added to the profile (force a column's kind with --categorical or --numeric when shards disagree)",
                path.display()
            )))
        })?;
    }
    Ok(profile)
}

/// Writes a profile in the chosen (or the output name's) format.
fn write(
    profile: &Profile,
    path: Option<&Path>,
    format: Option<ProfileFormat>,
) -> Result<Outcome, Failure> {
    let by_name = path
        .and_then(Path::extension)
        .is_some_and(|e| e == "bin")
        .then_some(ProfileFormat::Binary);
    match format.or(by_name).unwrap_or(ProfileFormat::Json) {
        ProfileFormat::Json => {
            let mut json = profile.to_json();
            json.push('\n');
            output::emit(&json, path)?;
        }
        ProfileFormat::Binary => output::emit_bytes(&profile.to_bytes(), path)?,
    }
    Ok(Outcome::Clean)
}

/// One line a column: kind, rows, missing, distinct, range, mean and std, exactness.
fn describe(profile: &Profile) -> String {
    let mut out = format!(
        "{} rows, {} columns (quantile k {}, exact up to {} values)\n",
        profile.n_rows,
        profile.columns.len(),
        profile.options.quantile_k,
        profile.options.exact_limit
    );
    let header = [
        "column", "kind", "missing", "distinct", "min", "max", "mean", "std", "counts",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    let number = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
    for column in &profile.columns {
        let row = match &column.profile {
            ColumnProfile::Numeric(p) => vec![
                column.name.clone(),
                "numeric".into(),
                p.n_missing.to_string(),
                format!("~{:.0}", p.distinct.estimate()),
                number(p.min),
                number(p.max),
                number(p.moments.mean()),
                number(p.moments.sample_std()),
                if p.values.is_some() {
                    "exact"
                } else {
                    "sketch"
                }
                .into(),
            ],
            ColumnProfile::Categorical(p) => vec![
                column.name.clone(),
                "categorical".into(),
                p.n_missing.to_string(),
                format!("~{:.0}", p.distinct.estimate()),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                if p.counts.is_exact() {
                    "exact"
                } else {
                    "frequent items"
                }
                .into(),
            ],
        };
        rows.push(row);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}
