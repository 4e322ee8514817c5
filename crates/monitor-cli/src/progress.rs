//! A progress bar on stderr while large files are read, only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Files smaller than this read too fast for a bar to help.
const MIN_BYTES: u64 = 8 << 20;

/// Redraws at most this often.
const REDRAW: Duration = Duration::from_millis(100);

/// Shared state of one bar over several files read at once.
struct State {
    /// Bytes read and total, per file.
    files: Vec<(u64, Option<u64>)>,
    last_draw: Option<Instant>,
    drawn: bool,
}

/// One bar summing the progress of several files.
#[derive(Clone)]
pub struct Progress {
    state: Arc<Mutex<State>>,
}

impl Progress {
    /// A bar over `n_files` files, or `None` when stderr is not a terminal or the files are
    /// small (`sizes` in bytes, where known).
    pub fn for_files(sizes: &[Option<u64>]) -> Option<Progress> {
        let total: u64 = sizes.iter().flatten().sum();
        if !std::io::stderr().is_terminal() || total < MIN_BYTES {
            return None;
        }
        let files = sizes.iter().map(|&size| (0, size)).collect();
        Some(Progress {
            state: Arc::new(Mutex::new(State {
                files,
                last_draw: None,
                drawn: false,
            })),
        })
    }

    /// The callback for file `index`, in the reader's shape.
    pub fn callback(&self, index: usize) -> tabular::ProgressFn {
        let state = Arc::clone(&self.state);
        Arc::new(move |read, total| {
            let Ok(mut state) = state.lock() else { return };
            if let Some(file) = state.files.get_mut(index) {
                *file = (read, total.or(file.1));
            }
            let now = Instant::now();
            if state.last_draw.is_some_and(|t| now - t < REDRAW) {
                return;
            }
            state.last_draw = Some(now);
            state.drawn = true;
            draw(&state.files);
        })
    }

    /// Clears the bar's line.
    pub fn finish(&self) {
        if let Ok(state) = self.state.lock()
            && state.drawn
        {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}

fn draw(files: &[(u64, Option<u64>)]) {
    let read: u64 = files.iter().map(|f| f.0).sum();
    let total: u64 = files.iter().filter_map(|f| f.1).sum();
    let fraction = if total == 0 {
        0.0
    } else {
        (read as f64 / total as f64).min(1.0)
    };
    let width = 30;
    let filled = (fraction * width as f64).round() as usize;
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "\rreading [{}{}] {:>3.0}%  {:.0} / {:.0} MiB",
        "#".repeat(filled),
        " ".repeat(width - filled),
        fraction * 100.0,
        mib(read),
        mib(total)
    );
    let _ = stderr.flush();
}
