//! A dispatch worker: delivers every job of a queue to a webhook, then exits.
//!
//! ```text
//! cargo run -p retrain-policy --example dispatch_worker -- \
//!     --queue jobs.db --url http://127.0.0.1:8080/retrain --secret s3cret \
//!     [--worker-id NAME] [--lease-ms 60000] [--seed 0] [--max-attempts 8]
//! ```
//!
//! It runs [`retrain_policy::run`] in drain mode: it returns when no job is pending,
//! dispatched or failed. Kill it at any moment and start it again: jobs it held come
//! back when their lease expires, and nothing is lost. The crate's crash test does
//! exactly that with SIGKILL.

use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use retrain_policy::{
    Backoff, QueueOptions, SqliteQueue, SystemClock, WebhookDispatcher, WorkerOptions, run,
};

struct Args {
    queue: String,
    url: String,
    secret: String,
    worker_id: String,
    lease: Duration,
    seed: u64,
    max_attempts: u32,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        queue: String::new(),
        url: String::new(),
        secret: String::new(),
        worker_id: format!("worker-{}", std::process::id()),
        lease: Duration::from_secs(60),
        seed: 0,
        max_attempts: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |text: String| text.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--queue" => args.queue = value()?,
            "--url" => args.url = value()?,
            "--secret" => args.secret = value()?,
            "--worker-id" => args.worker_id = value()?,
            "--lease-ms" => args.lease = Duration::from_millis(number(value()?)?),
            "--seed" => args.seed = number(value()?)?,
            "--max-attempts" => {
                args.max_attempts = u32::try_from(number(value()?)?).map_err(|e| e.to_string())?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.queue.is_empty() || args.url.is_empty() {
        return Err("usage: dispatch_worker --queue PATH --url URL --secret S [--worker-id NAME] [--lease-ms N] [--seed N] [--max-attempts N]".into());
    }
    Ok(args)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let options = QueueOptions {
        max_attempts: args.max_attempts,
        backoff: Backoff {
            base: Duration::from_millis(20),
            max: Duration::from_millis(500),
            factor: 2.0,
            jitter: 0.5,
        },
        seed: args.seed,
        ..QueueOptions::default()
    };
    let queue = SqliteQueue::open(&args.queue, options)?;
    let webhook =
        WebhookDispatcher::new(&args.url, args.secret.as_bytes(), Duration::from_secs(5))?;
    let worker = WorkerOptions {
        worker_id: args.worker_id,
        lease: args.lease,
        idle_wait: Duration::from_millis(20),
        drain: true,
    };
    let summary = run(
        &queue,
        &webhook,
        &worker,
        &SystemClock,
        &AtomicBool::new(false),
    )?;
    writeln!(std::io::stdout(), "{}", serde_json::to_string(&summary)?)?;
    Ok(())
}
