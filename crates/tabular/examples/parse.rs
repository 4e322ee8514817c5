//! Parse-only pass for benchmarks: reads each file given with `read_table`, as `monitor drift`
//! does (both at once), and prints the row and column counts. `cargo xtask bench drift` times
//! it next to the whole command.

use std::process::ExitCode;

fn main() -> ExitCode {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let options = tabular::ReadOptions::default();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .iter()
            .map(|p| scope.spawn(|| tabular::read_table(p, &options)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("reader thread"))
            .collect()
    });
    for (path, result) in paths.iter().zip(results) {
        match result {
            Ok(table) => {
                #[allow(clippy::print_stdout)] // the example's output
                {
                    println!(
                        "{}: {} rows, {} columns",
                        path.display(),
                        table.rows,
                        table.columns.len()
                    );
                }
            }
            Err(err) => {
                #[allow(clippy::print_stderr)] // the example's error
                {
                    eprintln!("error: {err}");
                }
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
