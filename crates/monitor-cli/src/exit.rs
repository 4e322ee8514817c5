//! Exit codes, in one place: 0 fine, 1 found what `--fail-on-*` asked for, 2 bad usage or
//! input, 3 runtime failure.

use std::process::ExitCode;

/// What a command concluded when it ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to fail on.
    Clean,
    /// A `--fail-on-*` condition holds.
    FailOn,
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or bad input: exit 2.
    Input(anyhow::Error),
    /// A runtime failure (I/O while writing, a sink unreachable): exit 3.
    Runtime(anyhow::Error),
}

/// Prints the error (one line, then its causes) and returns the exit code.
pub fn report(result: Result<Outcome, Failure>) -> ExitCode {
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::FailOn) => ExitCode::from(1),
        Err(Failure::Input(err)) => {
            print_error(&err);
            ExitCode::from(2)
        }
        Err(Failure::Runtime(err)) => {
            print_error(&err);
            ExitCode::from(3)
        }
    }
}

#[allow(clippy::print_stderr)] // the binary's one place that speaks to the user on error
fn print_error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
