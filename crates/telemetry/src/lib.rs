//! Where the monitor meets the observability world: logs, traces and metrics.
//!
//! - [`init`] installs the process's `tracing` subscriber: JSON log lines (with the trace
//!   and span ids of the current span) or readable text on stderr, filtered by `RUST_LOG`;
//!   spans exported over OTLP (gRPC or HTTP/protobuf) through `tracing-opentelemetry`;
//!   optionally log events as OTLP log records. The standard `OTEL_*` variables configure
//!   it: setting `OTEL_EXPORTER_OTLP_ENDPOINT` is all it takes to send traces. The
//!   returned [`Guard`] flushes on drop.
//! - [`prediction`]: spans for single predictions, with a keyed hash in place of the
//!   user id.
//! - [`metrics`]: the Prometheus registry of every `monitor_*` family, a `/metrics`
//!   endpoint, and a push to a Pushgateway.
//!
//! The binary and the monitoring loop depend on this crate; the statistics crates never
//! do. Observability never fails a command: a collector that is down, slow or silent costs
//! at most the export timeout (3 s by default) at exit, spans beyond a bounded queue are
//! dropped, and every drop is counted ([`export::dropped`], and the metric
//! `monitor_telemetry_dropped_total`).
//!
//! ```
//! use telemetry::{LogFormat, TelemetryConfig};
//!
//! let config = TelemetryConfig::new("monitor", "0.1.0", LogFormat::Json);
//! let guard = telemetry::init(&config)?;
//! {
//!     let _span = tracing::info_span!("compare", column = "age").entered();
//!     tracing::info!(p_value = 0.003, "drift computed");
//! }
//! drop(guard); // exports what is queued, within the export timeout
//! # Ok::<(), telemetry::TelemetryError>(())
//! ```
//!
//! Design choices: the export runs on the SDK's batch thread, never on the caller's; the
//! gRPC exporter gets its own one-thread tokio runtime, so callers need none; the `/metrics`
//! server runs on its own thread for the same reason. Logs are filtered (`RUST_LOG`,
//! default `warn`) apart from spans (`info`), so a quiet command still sends its trace.

pub mod alert;
mod config;
mod error;
pub mod export;
mod json;
pub mod metrics;
pub mod prediction;

use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

pub use config::{LogFormat, ModelIdentity, OtlpConfig, OtlpProtocol, TelemetryConfig};
pub use error::TelemetryError;

use config::Settings;
use export::{DropReason, Pipelines, Signal};

/// Keeps telemetry running; dropping it exports what is queued (waiting at most the
/// export timeout plus half a second) and warns on stderr when spans were lost.
#[must_use = "dropping the guard stops trace export"]
pub struct Guard {
    pipelines: Pipelines,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("traces_endpoint", &self.pipelines.traces_endpoint)
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// Exports what is queued now (a long-running process calls this at checkpoints).
    pub fn flush(&self) {
        if let Some(tracer) = &self.pipelines.tracer {
            let _ = tracer.force_flush();
        }
        if let Some(logger) = &self.pipelines.logger {
            let _ = logger.force_flush();
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let before = lost_spans();
        self.pipelines.shutdown();
        let lost = lost_spans();
        if let Some(endpoint) = &self.pipelines.traces_endpoint
            && lost > 0
        {
            tracing::warn!(
                target: "telemetry",
                spans = lost,
                new = lost - before,
                endpoint = %endpoint,
                "spans were not exported: the collector did not take them (see monitor_telemetry_dropped_total)"
            );
        }
    }
}

/// Spans dropped so far, for any reason.
fn lost_spans() -> u64 {
    DropReason::ALL
        .into_iter()
        .map(|reason| export::dropped(Signal::Spans, reason))
        .sum()
}

/// Installs the process-wide subscriber and the OTLP pipelines `config` and the `OTEL_*`
/// variables ask for (see `docs/telemetry.md`).
///
/// Nothing here waits for a collector: the exporters connect lazily, so a collector that
/// is down only shows as dropped spans and a warning when the [`Guard`] is dropped.
///
/// # Errors
/// [`TelemetryError::Config`] for an unusable setting (the variable is named),
/// [`TelemetryError::Exporter`] when an exporter cannot be built, and
/// [`TelemetryError::AlreadyInstalled`] on a second call. In every case nothing is
/// installed, so the caller can fall back to `init` with `config.otlp.enabled = false`.
pub fn init(config: &TelemetryConfig) -> Result<Guard, TelemetryError> {
    let settings = Settings::resolve(config, |name| std::env::var(name).ok())?;
    let pipelines = Pipelines::build(&settings)?;
    let layers = layers(config, &pipelines, std::io::stderr)?;
    let guard = Guard { pipelines };
    tracing::subscriber::set_global_default(Registry::default().with(layers))
        .map_err(|_| TelemetryError::AlreadyInstalled)?;
    if let Some(tracer) = &guard.pipelines.tracer {
        opentelemetry::global::set_tracer_provider(tracer.clone());
    }
    Ok(guard)
}

/// Installs log lines only (no OpenTelemetry, no trace ids): for tools and tests that
/// want `monitor`'s log format without its export.
///
/// # Errors
/// [`TelemetryError::Config`] for an unusable `log_filter` default (never for this
/// function's fixed `warn`), [`TelemetryError::AlreadyInstalled`] on a second call.
pub fn init_logging(format: LogFormat) -> Result<(), TelemetryError> {
    let config = TelemetryConfig::new("monitor", env!("CARGO_PKG_VERSION"), format);
    let layers = layers(&config, &Pipelines::none(), std::io::stderr)?;
    tracing::subscriber::set_global_default(Registry::default().with(layers))
        .map_err(|_| TelemetryError::AlreadyInstalled)
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Targets whose events must not become OTLP log records: the exporters' own stack, whose
/// events would be exported by the exporter that logs them.
const EXPORT_STACK: &str = "h2=off,hyper=off,hyper_util=off,tonic=off,tower=off,reqwest=off,opentelemetry=off,opentelemetry_sdk=off,opentelemetry_otlp=off";

/// The subscriber's layers: log lines to `writer`, spans to the tracer, events to the
/// logger; each with its own filter.
fn layers<W>(
    config: &TelemetryConfig,
    pipelines: &Pipelines,
    writer: W,
) -> Result<Vec<BoxedLayer>, TelemetryError>
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = |setting: &str, directives: &str| {
        EnvFilter::try_new(directives)
            .map_err(|e| TelemetryError::config(setting, format!("\"{directives}\": {e}")))
    };
    let log_filter = || match EnvFilter::try_from_default_env() {
        Ok(filter) => Ok(filter),
        Err(_) => filter("log_filter", &config.log_filter),
    };
    let mut layers: Vec<BoxedLayer> = Vec::new();
    let lines = tracing_subscriber::fmt::layer().with_writer(writer);
    layers.push(match config.log_format {
        LogFormat::Json => lines
            .fmt_fields(JsonFields::new())
            .event_format(json::JsonLines)
            .with_filter(log_filter()?)
            .boxed(),
        LogFormat::Text => lines.with_filter(log_filter()?).boxed(),
    });
    if let Some(tracer) = &pipelines.tracer {
        use opentelemetry::trace::TracerProvider as _;
        let name = config.service_name.clone();
        layers.push(
            tracing_opentelemetry::layer()
                .with_tracer(tracer.tracer(name))
                .with_tracked_inactivity(false)
                .with_threads(false)
                .with_filter(filter("trace_filter", &config.trace_filter)?)
                .boxed(),
        );
    }
    if let Some(logger) = &pipelines.logger {
        let bridge = opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(logger);
        let mut events = log_filter()?;
        for directive in EXPORT_STACK.split(',') {
            // constant directives that parse
            if let Ok(directive) = directive.parse() {
                events = events.add_directive(directive);
            }
        }
        layers.push(bridge.with_filter(events).boxed());
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex, PoisonError};

    /// A writer that keeps everything written to it.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<serde_json::Value> {
            let bytes = self
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            String::from_utf8(bytes)
                .expect("utf-8")
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect()
        }
    }

    /// Runs `body` under the subscriber `config` builds (no export), capturing log lines.
    fn capture(config: &TelemetryConfig, body: impl FnOnce()) -> Vec<serde_json::Value> {
        let settings = Settings::resolve(config, |_| None).expect("settings");
        let mut pipelines = Pipelines::build(&settings).expect("pipelines");
        let captured = Captured::default();
        let layers = layers(config, &pipelines, captured.clone()).expect("layers");
        tracing::subscriber::with_default(Registry::default().with(layers), body);
        pipelines.shutdown();
        captured.lines()
    }

    fn json_config(log_filter: &str) -> TelemetryConfig {
        let mut config = TelemetryConfig::new("monitor", "0.1.0", LogFormat::Json);
        config.log_filter = log_filter.to_owned();
        config
    }

    #[test]
    fn json_lines_carry_fields_spans_and_trace_ids() {
        let lines = capture(&json_config("info"), || {
            let command = tracing::info_span!("command", command = "drift");
            let _command = command.enter();
            tracing::info!(rows = 5000_u64, "read");
            let column =
                tracing::info_span!("column", column = "age", p_value = tracing::field::Empty);
            let _column = column.enter();
            column.record("p_value", 0.25);
            tracing::warn!(score = f64::NAN, ok = false, "tested");
        });
        assert_eq!(lines.len(), 2, "{lines:?}");
        let (read, tested) = (&lines[0], &lines[1]);
        assert_eq!(read["level"], "INFO");
        assert_eq!(read["message"], "read");
        assert_eq!(read["fields"]["rows"], 5000);
        assert!(
            read["target"]
                .as_str()
                .expect("target")
                .starts_with("telemetry")
        );
        let timestamp = read["timestamp"].as_str().expect("timestamp");
        assert!(
            timestamp.len() >= 20 && timestamp.ends_with('Z'),
            "{timestamp}"
        );
        assert_eq!(read["span"]["name"], "command");
        assert_eq!(read["span"]["command"], "drift");
        assert_eq!(tested["fields"]["score"], "NaN");
        assert_eq!(tested["fields"]["ok"], false);
        assert_eq!(tested["span"]["column"], "age");
        assert_eq!(tested["span"]["p_value"], 0.25);
        assert_eq!(tested["spans"][0]["name"], "command");
        assert_eq!(tested["spans"][1]["name"], "column");
        // one trace, two spans
        let id = |line: &serde_json::Value, key: &str| line[key].as_str().expect(key).to_owned();
        assert_eq!(id(read, "trace_id").len(), 32);
        assert_eq!(id(read, "span_id").len(), 16);
        assert_eq!(id(read, "trace_id"), id(tested, "trace_id"));
        assert_ne!(id(read, "span_id"), id(tested, "span_id"));
    }

    #[test]
    fn the_log_filter_applies_to_lines_but_not_to_spans() {
        let lines = capture(&json_config("warn"), || {
            let _span = tracing::info_span!("command").entered();
            tracing::info!("hidden");
            tracing::warn!("shown");
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["message"], "shown");
        // the info span is traced although info lines are filtered out
        assert!(lines[0]["trace_id"].is_string(), "{:?}", lines[0]);
        let outside = capture(&json_config("warn"), || tracing::warn!("no span"));
        assert!(outside[0].get("trace_id").is_none());
        assert!(outside[0].get("span").is_none());
    }

    #[test]
    fn a_bad_filter_names_the_setting() {
        let mut config = json_config("warn");
        config.trace_filter = "info,=[".to_owned();
        let settings = Settings::resolve(&config, |_| None).expect("settings");
        let pipelines = Pipelines::build(&settings).expect("pipelines");
        let err = layers(&config, &pipelines, Captured::default())
            .err()
            .expect("an error")
            .to_string();
        assert!(err.starts_with("trace_filter: \"info,=[\""), "{err}");
    }

    #[test]
    fn without_a_collector_shutdown_is_immediate() {
        let settings = Settings::resolve(&json_config("warn"), |_| None).expect("settings");
        let mut pipelines = Pipelines::build(&settings).expect("pipelines");
        assert!(pipelines.tracer.is_some(), "spans still get ids");
        assert!(pipelines.runtime.is_none() && pipelines.logger.is_none());
        let started = std::time::Instant::now();
        pipelines.shutdown();
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
    }
}
