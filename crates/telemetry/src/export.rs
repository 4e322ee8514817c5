//! OTLP export: the span and log pipelines built from [`Settings`], their bounded queues,
//! and the process-wide count of what they dropped.
//!
//! Each pipeline is the SDK's batch processor (a background thread, so a command never
//! waits for the network while it works) wrapped twice: a [`CountingSpanProcessor`] that
//! admits a span only while fewer than `max_queue` are waiting, and a
//! [`CountingSpanExporter`] that counts the spans of a failed export. The SDK's own queue
//! has the same bound, so it never drops silently; every span is either exported or
//! counted in [`dropped`]. Exports have a short timeout and one retry, and shutdown waits
//! at most the timeout plus half a second: a collector that is down or silent costs a
//! command that long, once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_otlp::{
    LogExporter, Protocol, RetryPolicy, SpanExporter, WithExportConfig, WithHttpConfig,
    WithTonicConfig,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{
    BatchLogProcessor, LogBatch, LogExporter as SdkLogExporter, LogProcessor, SdkLogRecord,
    SdkLoggerProvider,
};
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, SdkTracerProvider, Span, SpanData, SpanExporter as SdkSpanExporter,
    SpanProcessor,
};

use crate::TelemetryError;
use crate::config::{Export, OtlpProtocol, Settings};

/// Which kind of telemetry was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Trace spans.
    Spans,
    /// OTLP log records.
    Logs,
}

impl Signal {
    /// Both signals.
    pub const ALL: [Signal; 2] = [Signal::Spans, Signal::Logs];

    /// The `signal` label value: `spans` or `logs`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Spans => "spans",
            Signal::Logs => "logs",
        }
    }
}

/// Why telemetry was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The export queue was full (the collector is slower than the process).
    QueueFull,
    /// The collector refused the export, did not answer in time, or could not be reached.
    ExportFailed,
    /// Still queued when the process shut down and the shutdown deadline passed.
    Shutdown,
}

impl DropReason {
    /// Every reason.
    pub const ALL: [DropReason; 3] = [
        DropReason::QueueFull,
        DropReason::ExportFailed,
        DropReason::Shutdown,
    ];

    /// The `reason` label value: `queue_full`, `export_failed` or `shutdown`.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::ExportFailed => "export_failed",
            DropReason::Shutdown => "shutdown",
        }
    }
}

/// Dropped counts by signal and reason, for the whole process.
static DROPPED: [[AtomicU64; 3]; 2] = [
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
];

fn slot(signal: Signal, reason: DropReason) -> &'static AtomicU64 {
    let reason_idx = match reason {
        DropReason::QueueFull => 0,
        DropReason::ExportFailed => 1,
        DropReason::Shutdown => 2,
    };
    &DROPPED[signal as usize][reason_idx]
}

/// How many spans or log records this process dropped for `reason` so far. The metric
/// `monitor_telemetry_dropped_total` reads these counts.
pub fn dropped(signal: Signal, reason: DropReason) -> u64 {
    slot(signal, reason).load(Ordering::Relaxed)
}

fn count_dropped(signal: Signal, reason: DropReason, n: usize) {
    if n > 0 {
        slot(signal, reason).fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Items handed to a batch processor and not yet exported or dropped, with their bound.
#[derive(Debug)]
struct Pending {
    signal: Signal,
    count: AtomicUsize,
    limit: usize,
}

impl Pending {
    fn new(signal: Signal, limit: usize) -> Arc<Pending> {
        Arc::new(Pending {
            signal,
            count: AtomicUsize::new(0),
            limit,
        })
    }

    /// Takes one more item if there is room; counts it dropped otherwise.
    fn admit(&self) -> bool {
        let admitted = self
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .is_ok();
        if !admitted {
            count_dropped(self.signal, DropReason::QueueFull, 1);
        }
        admitted
    }

    /// `n` items left the queue through an export that succeeded or not.
    fn finished(&self, n: usize, exported: bool) {
        self.release(n);
        if !exported {
            count_dropped(self.signal, DropReason::ExportFailed, n);
        }
    }

    /// After shutdown: whatever is still queued will never be exported.
    fn abandon(&self) {
        count_dropped(
            self.signal,
            DropReason::Shutdown,
            self.count.swap(0, Ordering::AcqRel),
        );
    }

    fn release(&self, n: usize) {
        let _ = self
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
                Some(c.saturating_sub(n))
            });
    }
}

/// A span processor that admits spans into `inner` only while the queue has room.
#[derive(Debug)]
struct CountingSpanProcessor<P> {
    inner: P,
    pending: Arc<Pending>,
}

impl<P: SpanProcessor> SpanProcessor for CountingSpanProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        if self.pending.admit() {
            self.inner.on_end(span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let result = self.inner.shutdown_with_timeout(timeout);
        self.pending.abandon();
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// A span exporter that reports each batch's outcome to the queue count.
#[derive(Debug)]
struct CountingSpanExporter<E> {
    inner: E,
    pending: Arc<Pending>,
}

impl<E: SdkSpanExporter> SdkSpanExporter for CountingSpanExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len();
        let result = self.inner.export(batch).await;
        self.pending.finished(n, result.is_ok());
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// A log processor that admits records into `inner` only while the queue has room.
#[derive(Debug)]
struct CountingLogProcessor<P> {
    inner: P,
    pending: Arc<Pending>,
}

impl<P: LogProcessor> LogProcessor for CountingLogProcessor<P> {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        if self.pending.admit() {
            self.inner.emit(record, scope);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let result = self.inner.shutdown_with_timeout(timeout);
        self.pending.abandon();
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// A log exporter that reports each batch's outcome to the queue count.
#[derive(Debug)]
struct CountingLogExporter<E> {
    inner: E,
    pending: Arc<Pending>,
}

impl<E: SdkLogExporter> SdkLogExporter for CountingLogExporter<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let n = batch.iter().count();
        let result = self.inner.export(batch).await;
        self.pending.finished(n, result.is_ok());
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// The built providers, and the runtime the gRPC exporters need.
pub(crate) struct Pipelines {
    /// Spans: always present unless the SDK is disabled (without an exporter it still gives
    /// every span a trace id and span id, which JSON log lines carry).
    pub tracer: Option<SdkTracerProvider>,
    /// Log records, when they are exported.
    pub logger: Option<SdkLoggerProvider>,
    /// The tokio runtime that drives the gRPC channel (tonic needs one); `None` over HTTP.
    pub runtime: Option<tokio::runtime::Runtime>,
    /// The longest export timeout, which bounds shutdown.
    pub timeout: Duration,
    /// Where spans go, for the shutdown warning.
    pub traces_endpoint: Option<String>,
}

impl Pipelines {
    /// No OpenTelemetry at all.
    pub fn none() -> Pipelines {
        Pipelines {
            tracer: None,
            logger: None,
            runtime: None,
            timeout: Duration::ZERO,
            traces_endpoint: None,
        }
    }

    /// Builds the providers `settings` ask for.
    pub fn build(settings: &Settings) -> Result<Pipelines, TelemetryError> {
        let mut pipelines = Pipelines::none();
        if settings.sdk_disabled {
            return Ok(pipelines);
        }
        let grpc = [&settings.traces, &settings.logs]
            .into_iter()
            .flatten()
            .any(|e| e.protocol == OtlpProtocol::Grpc);
        if grpc {
            // one small worker drives tonic's channel; the batch threads block on it
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("otlp-grpc")
                .enable_all()
                .build()
                .map_err(|e| TelemetryError::Exporter {
                    signal: "traces",
                    reason: format!("starting its runtime: {e}"),
                })?;
            pipelines.runtime = Some(runtime);
        }
        let _entered = pipelines.runtime.as_ref().map(|r| r.enter());
        let resource = Resource::builder_empty()
            .with_attributes(
                settings
                    .resource
                    .iter()
                    .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
            )
            .build();
        let mut tracer = SdkTracerProvider::builder().with_resource(resource.clone());
        if let Some(export) = &settings.traces {
            let exporter = span_exporter(export).map_err(|e| TelemetryError::Exporter {
                signal: "traces",
                reason: e.to_string(),
            })?;
            let pending = Pending::new(Signal::Spans, export.max_queue);
            let batch = BatchSpanProcessor::builder(CountingSpanExporter {
                inner: exporter,
                pending: Arc::clone(&pending),
            })
            .with_batch_config(
                opentelemetry_sdk::trace::BatchConfigBuilder::default()
                    .with_max_queue_size(export.max_queue)
                    .build(),
            )
            .build();
            tracer = tracer.with_span_processor(CountingSpanProcessor {
                inner: batch,
                pending,
            });
            pipelines.timeout = export.timeout;
            pipelines.traces_endpoint = Some(export.endpoint.clone());
        }
        pipelines.tracer = Some(tracer.build());
        if let Some(export) = &settings.logs {
            let exporter = log_exporter(export).map_err(|e| TelemetryError::Exporter {
                signal: "logs",
                reason: e.to_string(),
            })?;
            let pending = Pending::new(Signal::Logs, export.max_queue);
            let batch = BatchLogProcessor::builder(CountingLogExporter {
                inner: exporter,
                pending: Arc::clone(&pending),
            })
            .with_batch_config(
                opentelemetry_sdk::logs::BatchConfigBuilder::default()
                    .with_max_queue_size(export.max_queue)
                    .build(),
            )
            .build();
            let logger = SdkLoggerProvider::builder()
                .with_resource(resource)
                .with_log_processor(CountingLogProcessor {
                    inner: batch,
                    pending,
                })
                .build();
            pipelines.logger = Some(logger);
            pipelines.timeout = pipelines.timeout.max(export.timeout);
        }
        Ok(pipelines)
    }

    /// Exports what is queued and stops, waiting at most the export timeout plus half a
    /// second in all.
    pub fn shutdown(&mut self) {
        let deadline = std::time::Instant::now() + self.timeout + Duration::from_millis(500);
        let left = || {
            deadline
                .saturating_duration_since(std::time::Instant::now())
                .max(Duration::from_millis(50))
        };
        if let Some(tracer) = self.tracer.take() {
            let _ = tracer.shutdown_with_timeout(left());
        }
        if let Some(logger) = self.logger.take() {
            let _ = logger.shutdown_with_timeout(left());
        }
        if let Some(runtime) = self.runtime.take() {
            // an export still stuck on a silent collector must not hold the process
            runtime.shutdown_background();
        }
    }
}

/// Exports one attempt plus one retry after about 100 ms, all within the export timeout.
fn retry_policy() -> RetryPolicy {
    RetryPolicy::recommended().with_max_retries(1)
}

fn span_exporter(export: &Export) -> Result<SpanExporter, opentelemetry_otlp::ExporterBuildError> {
    match export.protocol {
        OtlpProtocol::Grpc => SpanExporter::builder()
            .with_tonic()
            .with_endpoint(export.endpoint.clone())
            .with_timeout(export.timeout)
            .with_retry_policy(retry_policy())
            .build(),
        OtlpProtocol::HttpProtobuf => SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(export.endpoint.clone())
            .with_timeout(export.timeout)
            .with_retry_policy(retry_policy())
            .build(),
    }
}

fn log_exporter(export: &Export) -> Result<LogExporter, opentelemetry_otlp::ExporterBuildError> {
    match export.protocol {
        OtlpProtocol::Grpc => LogExporter::builder()
            .with_tonic()
            .with_endpoint(export.endpoint.clone())
            .with_timeout(export.timeout)
            .with_retry_policy(retry_policy())
            .build(),
        OtlpProtocol::HttpProtobuf => LogExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(export.endpoint.clone())
            .with_timeout(export.timeout)
            .with_retry_policy(retry_policy())
            .build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Tracer, TracerProvider};
    use opentelemetry_sdk::error::OTelSdkError;
    use std::sync::{Condvar, Mutex};

    /// An exporter that fails or succeeds as told, remembers span names, and holds every
    /// export until its gate is open.
    #[derive(Debug, Clone)]
    struct FakeExporter {
        fail: bool,
        names: Arc<Mutex<Vec<String>>>,
        gate: Arc<(Mutex<bool>, Condvar)>,
    }

    impl FakeExporter {
        fn new(fail: bool, open: bool) -> Self {
            FakeExporter {
                fail,
                names: Arc::default(),
                gate: Arc::new((Mutex::new(open), Condvar::new())),
            }
        }

        fn open(&self) {
            let (lock, wake) = &*self.gate;
            *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
            wake.notify_all();
        }

        fn exported(&self) -> usize {
            self.names.lock().unwrap_or_else(|p| p.into_inner()).len()
        }
    }

    impl SdkSpanExporter for FakeExporter {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            let (lock, wake) = &*self.gate;
            let open = lock.lock().unwrap_or_else(|p| p.into_inner());
            drop(
                wake.wait_while(open, |open| !*open)
                    .unwrap_or_else(|p| p.into_inner()),
            );
            let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
            names.extend(batch.iter().map(|s| s.name.to_string()));
            if self.fail {
                Err(OTelSdkError::InternalFailure("collector down".into()))
            } else {
                Ok(())
            }
        }
    }

    /// Sends `n` spans through a counting pipeline around `exporter`, opens its gate, and
    /// shuts the pipeline down.
    fn run(exporter: &FakeExporter, limit: usize, n: usize) -> Arc<Pending> {
        let pending = Pending::new(Signal::Spans, limit);
        let batch = BatchSpanProcessor::builder(CountingSpanExporter {
            inner: exporter.clone(),
            pending: Arc::clone(&pending),
        })
        .with_batch_config(
            opentelemetry_sdk::trace::BatchConfigBuilder::default()
                .with_max_queue_size(limit)
                .build(),
        )
        .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(CountingSpanProcessor {
                inner: batch,
                pending: Arc::clone(&pending),
            })
            .build();
        let tracer = provider.tracer("test");
        for i in 0..n {
            tracer.in_span(format!("span-{i}"), |_| {});
        }
        exporter.open();
        provider.shutdown().expect("shutdown");
        pending
    }

    // The counters are process-wide and other tests may add to them: compare differences.
    fn spans(reason: DropReason) -> u64 {
        dropped(Signal::Spans, reason)
    }

    #[test]
    fn spans_past_the_bound_are_dropped_and_counted() {
        let before = spans(DropReason::QueueFull);
        // the first export is held until all spans have ended: 10 fit, 15 do not
        let exporter = FakeExporter::new(false, false);
        let pending = run(&exporter, 10, 25);
        assert_eq!(exporter.exported(), 10);
        assert!(spans(DropReason::QueueFull) - before >= 15);
        assert_eq!(pending.count.load(Ordering::Acquire), 0);
    }

    #[test]
    fn spans_of_a_failed_export_are_counted() {
        let before = spans(DropReason::ExportFailed);
        let exporter = FakeExporter::new(true, true);
        run(&exporter, 100, 7);
        assert_eq!(exporter.exported(), 7);
        assert!(spans(DropReason::ExportFailed) - before >= 7);
    }

    #[test]
    fn pending_counts_never_go_below_zero() {
        let pending = Pending::new(Signal::Logs, 2);
        assert!(pending.admit());
        pending.abandon();
        pending.finished(1, true);
        assert_eq!(pending.count.load(Ordering::Acquire), 0);
        assert!(pending.admit() && pending.admit());
        assert!(!pending.admit(), "the third of two is refused");
    }
}
