//! The loop: lines in; windows opened, closed, judged and made final; actions taken
//! (metrics, alerts, retraining jobs, reports); checkpoints written.
//!
//! A window's life, per model and version:
//!
//! 1. **Open**: prediction events go into its columns (typed as the reference's), its
//!    variant counts, latencies and detectors; predictions with a request id wait for
//!    their label in a bounded map.
//! 2. **Closed** when it holds `window.events` events, or when an event of a later time
//!    window arrives: the drift report against the reference is computed, the drift and
//!    detector alerts raised or resolved, the metrics set. Labels still join it.
//! 3. **Final** `label_wait_windows` closes later (at once when 0): its performance is
//!    computed from the labels that came, the performance alert judged, the retrain policy
//!    fed (`now` = its last event's time), a job queued, and its [`WindowReport`] appended
//!    to `windows.jsonl`.
//!
//! After every line that closed a window, `checkpoint.json` is replaced atomically with
//! the input position and the whole state, including the lengths of `windows.jsonl` and
//! `rejected.jsonl` (a restart truncates them back, so a crash between an append and the
//! checkpoint never duplicates a line). On stop (SIGINT/SIGTERM) the checkpoint is written
//! and nothing else; at the end of a plain file every open window closes (`partial`) and
//! every closed one is made final.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use drift_core::stream::{Detector, Signal};
use drift_core::{DatasetInfo, DriftOptions};
use jiff::Timestamp;
use retrain_policy::{
    DetectorAlarm, DriftSignals, Enqueued, JobQueue, Metrics as PolicyMetrics, Outcome, Policy,
    PolicyState, QueueOptions, Signals, SqliteQueue, decide,
};
use serde::{Deserialize, Serialize};
use telemetry::alert::{Alert, Alerting, AlertsConfig, Labels, Severity};
use telemetry::metrics::{Metrics, ModelVersion};

use crate::config::{DetectorInput, Task, WatchConfig, WindowSpec};
use crate::error::WatchError;
use crate::event::{self, Event, FeatureValue, LabelEvent, LineError, PredictionEvent, RejectKind};
use crate::performance::{self, Performance};
use crate::reference::{PREDICTION_COLUMN, Reference};
use crate::report::{
    Alarm, AlertChanges, LatencySummary, RetrainOutcome, WINDOW_SCHEMA_VERSION, WindowReport,
};
use crate::source::{Input, LineSource, Position};
use crate::window::{Labelled, OpenWindow};

/// The alert raised when a window drifts from the reference.
pub const DRIFT_ALERT: &str = "WatchDatasetDrift";
/// The alert raised when a detector signals a change in a window.
pub const DETECTOR_ALERT: &str = "WatchDetectorAlarm";
/// The alert raised when a final window's performance falls below its baseline.
pub const PERFORMANCE_ALERT: &str = "WatchPerformanceDrop";

/// Version of the checkpoint's layout.
const CHECKPOINT_VERSION: u32 = 1;

/// What the loop is given besides the input.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// `[watch]`, paths resolved.
    pub config: WatchConfig,
    /// `[drift]` and `[[features]]`: tests, thresholds, drift share.
    pub drift: DriftOptions,
    /// How to read a data reference (kinds forced by `[[features]]`).
    pub read_options: tabular::ReadOptions,
    /// Stop at the first unusable line instead of rejecting it.
    pub strict: bool,
    /// How often a followed file is polled at its end.
    pub poll: Duration,
}

/// Counts since the output directory was started (they survive restarts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Prediction events.
    pub events: u64,
    /// Labels joined to their prediction.
    pub labels_joined: u64,
    /// Labels with no waiting prediction: its window was final already, it was dropped
    /// (see `predictions_dropped`), or it never came.
    pub labels_unmatched: u64,
    /// Predictions dropped unlabelled because `max_pending_labels` was reached.
    pub predictions_dropped: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Window reports written.
    pub windows: u64,
    /// Alerts raised.
    pub alerts_raised: u64,
    /// Alerts resolved.
    pub alerts_resolved: u64,
    /// Retraining jobs queued (duplicates not counted).
    pub jobs: u64,
}

/// How a run ended, and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The totals.
    #[serde(flatten)]
    pub totals: Totals,
    /// Stopped by the stop flag (SIGINT/SIGTERM) rather than by the end of the input.
    pub stopped: bool,
}

/// A detector of one model and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StreamDetector {
    detector: Detector,
    on: DetectorInput,
    updates: u64,
}

/// A window closed, waiting for its labels.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClosedWindow {
    report: WindowReport,
    labelled: Labelled,
}

/// Everything known about one model and version.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stream {
    model: String,
    version: String,
    events: u64,
    next_index: u64,
    open: Option<OpenWindow>,
    closed: VecDeque<ClosedWindow>,
    detectors: Vec<StreamDetector>,
    /// Alarms signalled while no window was open; they go to the next one.
    carried_alarms: Vec<Alarm>,
    policy: PolicyState,
    alerts_firing: BTreeSet<String>,
    /// Accuracy (classification) or MAE (regression) the performance alert compares with.
    baseline: Option<f64>,
    labelled_since_retrain: u64,
}

impl Stream {
    fn subject(&self) -> ModelVersion<'_> {
        ModelVersion {
            model: &self.model,
            version: &self.version,
        }
    }

    /// The labelled predictions of window `index`, while it is not final.
    fn labelled_mut(&mut self, index: u64) -> Option<&mut Labelled> {
        match &mut self.open {
            Some(open) if open.index == index => Some(&mut open.labelled),
            _ => self
                .closed
                .iter_mut()
                .find(|c| c.report.index == index)
                .map(|c| &mut c.labelled),
        }
    }

    fn is_final(&self, index: u64) -> bool {
        let open = self.open.as_ref().map(|o| o.index);
        open != Some(index) && self.closed.iter().all(|c| c.report.index != index)
    }
}

/// Where a waiting prediction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Slot {
    stream: u32,
    window: u64,
    pos: u32,
    seq: u64,
}

/// A waiting prediction in the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingEntry {
    id: String,
    #[serde(flatten)]
    slot: Slot,
}

/// Predictions waiting for labels: by request id, and in arrival order for eviction.
#[derive(Debug, Default)]
struct Pending {
    map: HashMap<Arc<str>, Slot>,
    order: VecDeque<(Arc<str>, u64)>,
    next_seq: u64,
}

impl Pending {
    fn is_live(&self, id: &Arc<str>, seq: u64) -> bool {
        self.map.get(id).is_some_and(|s| s.seq == seq)
    }

    /// Adds a waiting prediction; returns how many live ones were dropped to stay within
    /// `max` (`is_final` tells waiting predictions of final windows, not counted).
    fn insert(
        &mut self,
        id: &str,
        stream: u32,
        window: u64,
        pos: u32,
        max: usize,
        is_final: impl Fn(&Slot) -> bool,
    ) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key: Arc<str> = Arc::from(id);
        let slot = Slot {
            stream,
            window,
            pos,
            seq,
        };
        self.map.insert(Arc::clone(&key), slot);
        self.order.push_back((key, seq));
        let mut dropped = 0;
        while self.map.len() > max {
            let Some((key, seq)) = self.order.pop_front() else {
                break;
            };
            if self.is_live(&key, seq)
                && let Some(slot) = self.map.remove(&key)
                && !is_final(&slot)
            {
                dropped += 1;
            }
        }
        dropped
    }

    /// Forgets waiting predictions of final windows at the front, and entries already
    /// joined; compacts when stale entries pile up behind a live one.
    fn prune(&mut self, is_final: impl Fn(&Slot) -> bool) {
        while let Some((key, seq)) = self.order.front() {
            match self.map.get(key) {
                Some(slot) if slot.seq == *seq => {
                    if !is_final(slot) {
                        break;
                    }
                    self.map.remove(key);
                }
                _ => {}
            }
            self.order.pop_front();
        }
        if self.order.len() > 2 * self.map.len() + 1024 {
            let map = &self.map;
            self.order
                .retain(|(key, seq)| map.get(key).is_some_and(|s| s.seq == *seq));
        }
    }

    fn entries(&self) -> Vec<PendingEntry> {
        self.order
            .iter()
            .filter(|(key, seq)| self.is_live(key, *seq))
            .map(|(key, seq)| PendingEntry {
                id: key.to_string(),
                slot: Slot {
                    seq: *seq,
                    ..self.map[key]
                },
            })
            .collect()
    }

    fn restore(entries: Vec<PendingEntry>, next_seq: u64) -> Pending {
        let mut pending = Pending {
            next_seq,
            ..Pending::default()
        };
        for entry in entries {
            let key: Arc<str> = Arc::from(entry.id);
            pending.order.push_back((Arc::clone(&key), entry.slot.seq));
            pending.map.insert(key, entry.slot);
        }
        pending
    }
}

/// The checkpoint file.
#[derive(Debug, Serialize, Deserialize)]
struct Checkpoint {
    schema_version: u32,
    /// What must not change between runs on one output directory.
    settings: String,
    position: Position,
    windows_bytes: u64,
    rejected_bytes: u64,
    totals: Totals,
    streams: Vec<Stream>,
    pending: Vec<PendingEntry>,
    next_seq: u64,
}

/// The output directory's files.
#[derive(Debug)]
struct Output {
    dir: PathBuf,
    windows: BufWriter<File>,
    windows_bytes: u64,
    rejected: BufWriter<File>,
    rejected_bytes: u64,
}

impl Output {
    fn open(dir: &Path, lengths: (u64, u64)) -> Result<Output, WatchError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| WatchError::Output { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let open = |name: &str, length: u64| -> Result<BufWriter<File>, WatchError> {
            let path = dir.join(name);
            let mut file = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(&path)
                .map_err(io(&path))?;
            file.set_len(length).map_err(io(&path))?;
            file.seek(SeekFrom::Start(length)).map_err(io(&path))?;
            Ok(BufWriter::with_capacity(64 * 1024, file))
        };
        Ok(Output {
            dir: dir.to_owned(),
            windows: open("windows.jsonl", lengths.0)?,
            windows_bytes: lengths.0,
            rejected: open("rejected.jsonl", lengths.1)?,
            rejected_bytes: lengths.1,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn append(&mut self, which: &str, value: &impl Serialize) -> Result<(), WatchError> {
        let mut line = serde_json::to_vec(value).map_err(|e| WatchError::Output {
            path: self.path(which),
            source: e.into(),
        })?;
        line.push(b'\n');
        let (writer, bytes) = match which {
            "windows.jsonl" => (&mut self.windows, &mut self.windows_bytes),
            _ => (&mut self.rejected, &mut self.rejected_bytes),
        };
        writer
            .write_all(&line)
            .map_err(|source| WatchError::Output {
                path: self.dir.join(which),
                source,
            })?;
        *bytes += line.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), WatchError> {
        for (writer, name) in [
            (&mut self.windows, "windows.jsonl"),
            (&mut self.rejected, "rejected.jsonl"),
        ] {
            writer.flush().map_err(|source| WatchError::Output {
                path: self.dir.join(name),
                source,
            })?;
        }
        Ok(())
    }
}

/// A rejected line as `rejected.jsonl` keeps it.
#[derive(Serialize)]
struct Rejected<'a> {
    input: &'a str,
    line: u64,
    column: u64,
    reason: &'a str,
    text: &'a str,
}

/// The monitoring loop over one output directory.
pub struct Watch {
    config: WatchConfig,
    drift: DriftOptions,
    strict: bool,
    poll: Duration,
    reference: Reference,
    columns_by_name: HashMap<String, usize>,
    prediction_column: Option<usize>,
    baseline: Option<f64>,
    policy: Policy,
    queue: Option<(PathBuf, SqliteQueue)>,
    alerting: Option<Arc<Alerting>>,
    metrics: Arc<Metrics>,
    streams: Vec<Stream>,
    by_model: HashMap<String, Vec<(String, usize)>>,
    pending: Pending,
    totals: Totals,
    /// Totals already added to the label counters.
    counted: Totals,
    output: Output,
    resume: Option<Position>,
    filled: Vec<bool>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("output", &self.output.dir)
            .field("streams", &self.streams.len())
            .field("totals", &self.totals)
            .finish_non_exhaustive()
    }
}

impl Watch {
    /// Reads the reference, the policy and the alerts configuration, opens the queue and
    /// the output directory, and restores the checkpoint if there is one.
    ///
    /// # Errors
    /// [`WatchError::Config`], [`WatchError::Reference`], [`WatchError::Policy`],
    /// [`WatchError::Alerts`], [`WatchError::Queue`], [`WatchError::Checkpoint`] (another
    /// version, other settings), [`WatchError::Output`].
    pub fn open(settings: WatchSettings, metrics: Arc<Metrics>) -> Result<Watch, WatchError> {
        let WatchSettings {
            config,
            drift,
            read_options,
            strict,
            poll,
        } = settings;
        config.validate()?;
        drift.validate().map_err(|e| WatchError::Config {
            key: "drift".into(),
            reason: e.to_string(),
        })?;
        let reference = Reference::load(&config.reference, &read_options)?;
        let columns_by_name: HashMap<String, usize> = reference
            .schema()
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.clone(), i))
            .collect();
        let prediction_column = columns_by_name.get(PREDICTION_COLUMN).copied();
        let baseline = reference
            .baseline(config.task, config.threshold)
            .and_then(|p| primary(config.task, &p));
        let policy = match &config.retrain.policy {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| WatchError::Policy {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                Policy::from_toml(&text).map_err(|e| WatchError::Policy {
                    path: path.clone(),
                    reason: e.to_string(),
                })?
            }
            None => Policy::default(),
        };
        let queue = match &config.retrain.queue {
            Some(path) => Some((
                path.clone(),
                SqliteQueue::open(path, QueueOptions::default()).map_err(|source| {
                    WatchError::Queue {
                        path: path.clone(),
                        source,
                    }
                })?,
            )),
            None => None,
        };
        let alerting = match &config.alerts.config {
            Some(path) => Some(Arc::new(
                Alerting::open(AlertsConfig::load(path)?)?.with_metrics(Arc::clone(&metrics)),
            )),
            None => None,
        };
        let checkpoint_path = config.output_dir.join("checkpoint.json");
        let checkpoint = match std::fs::read(&checkpoint_path) {
            Ok(bytes) => Some(read_checkpoint(
                &checkpoint_path,
                &bytes,
                &fingerprint(&config),
            )?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(WatchError::Output {
                    path: checkpoint_path,
                    source,
                });
            }
        };
        let lengths = checkpoint
            .as_ref()
            .map_or((0, 0), |c| (c.windows_bytes, c.rejected_bytes));
        let output = Output::open(&config.output_dir, lengths)?;
        let mut watch = Watch {
            filled: vec![false; reference.schema().len()],
            config,
            drift,
            strict,
            poll,
            reference,
            columns_by_name,
            prediction_column,
            baseline,
            policy,
            queue,
            alerting,
            metrics,
            streams: Vec::new(),
            by_model: HashMap::new(),
            pending: Pending::default(),
            totals: Totals::default(),
            counted: Totals::default(),
            output,
            resume: None,
        };
        if let Some(checkpoint) = checkpoint {
            tracing::info!(
                offset = checkpoint.position.offset,
                line = checkpoint.position.line,
                windows = checkpoint.totals.windows,
                "resuming from the checkpoint"
            );
            watch.resume = Some(checkpoint.position);
            watch.totals = checkpoint.totals.clone();
            watch.counted = checkpoint.totals;
            watch.pending = Pending::restore(checkpoint.pending, checkpoint.next_seq);
            for (i, stream) in checkpoint.streams.iter().enumerate() {
                watch
                    .by_model
                    .entry(stream.model.clone())
                    .or_default()
                    .push((stream.version.clone(), i));
            }
            watch.streams = checkpoint.streams;
        }
        Ok(watch)
    }

    /// The totals so far.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Reads `input` (from the checkpoint's position, if one was restored) until its end
    /// or until `stop` is set, then writes the checkpoint.
    ///
    /// # Errors
    /// [`WatchError::Input`] and [`WatchError::Resume`] from the source,
    /// [`WatchError::BadLine`] in strict mode, [`WatchError::Output`],
    /// [`WatchError::Queue`] and [`WatchError::Alerts`] while acting on a window.
    pub fn run(&mut self, input: Input, stop: &AtomicBool) -> Result<Summary, WatchError> {
        let mut source = LineSource::open(input, self.resume.as_ref(), self.poll)?;
        let name = source.name().to_owned();
        let delivery_stop = Arc::new(AtomicBool::new(false));
        let delivery = self.alerting.as_ref().map(|alerting| {
            let alerting = Arc::clone(alerting);
            let stop = Arc::clone(&delivery_stop);
            let parent = tracing::Span::current();
            std::thread::spawn(move || {
                parent.in_scope(|| {
                    if let Err(error) = alerting.follow(&stop) {
                        tracing::error!(%error, "alert delivery stopped");
                    }
                })
            })
        });
        let result = self.read_all(&mut source, &name, stop);
        delivery_stop.store(true, Ordering::SeqCst);
        if let Some(thread) = delivery {
            let _ = thread.join();
        }
        if let Some(alerting) = &self.alerting {
            // what the last windows queued, once; what fails is retried by the next run
            // or `monitor alerts deliver`
            if let Err(error) = alerting.deliver_due() {
                tracing::warn!(%error, "delivering the last alerts");
            }
        }
        result
    }

    fn read_all(
        &mut self,
        source: &mut LineSource,
        name: &str,
        stop: &AtomicBool,
    ) -> Result<Summary, WatchError> {
        let mut buf = Vec::with_capacity(4096);
        let stopped = loop {
            if stop.load(Ordering::SeqCst) {
                break true;
            }
            if !source.read_line(&mut buf, stop)? {
                break stop.load(Ordering::SeqCst);
            }
            let line_number = source.position().line;
            if self.handle_line(&buf, name, line_number)? {
                self.checkpoint(source.position())?;
            }
        };
        if !stopped {
            self.flush_all()?;
        }
        self.checkpoint(source.position())?;
        tracing::info!(
            windows = self.totals.windows,
            events = self.totals.events,
            rejected = self.totals.rejected,
            stopped,
            "watch finished"
        );
        Ok(Summary {
            totals: self.totals.clone(),
            stopped,
        })
    }

    /// Handles one line; `true` when a window closed (a checkpoint is due).
    fn handle_line(&mut self, line: &[u8], name: &str, number: u64) -> Result<bool, WatchError> {
        match event::parse_line(line) {
            Ok(None) => Ok(false),
            Ok(Some(Event::Prediction(event))) => self.on_prediction(event),
            Ok(Some(Event::Label(label))) => {
                if let Some(error) = self.on_label(&label, line) {
                    self.reject(name, number, line, error)?;
                }
                Ok(false)
            }
            Err(error) => {
                self.reject(name, number, line, error)?;
                Ok(false)
            }
        }
    }

    fn reject(
        &mut self,
        name: &str,
        number: u64,
        line: &[u8],
        error: LineError,
    ) -> Result<(), WatchError> {
        if self.strict {
            return Err(WatchError::BadLine {
                name: name.to_owned(),
                line: number,
                column: error.column,
                reason: error.reason,
            });
        }
        tracing::warn!(
            input = name,
            line = number,
            column = error.column,
            reason = %error.reason,
            "line rejected"
        );
        self.metrics.watch().record_rejected(error.kind.name());
        self.totals.rejected += 1;
        let text = String::from_utf8_lossy(line);
        self.output.append(
            "rejected.jsonl",
            &Rejected {
                input: name,
                line: number,
                column: error.column,
                reason: &error.reason,
                text: &text,
            },
        )
    }

    fn stream_of(&mut self, model: &str, version: &str) -> usize {
        if let Some(found) = self
            .by_model
            .get(model)
            .and_then(|versions| versions.iter().find(|(v, _)| v == version))
        {
            return found.1;
        }
        let index = self.streams.len();
        let detectors = self
            .config
            .detectors
            .iter()
            .filter_map(|d| {
                // validated in `open`
                d.build().ok().map(|detector| StreamDetector {
                    detector,
                    on: d.on,
                    updates: 0,
                })
            })
            .collect();
        self.streams.push(Stream {
            model: model.to_owned(),
            version: version.to_owned(),
            events: 0,
            next_index: 0,
            open: None,
            closed: VecDeque::new(),
            detectors,
            carried_alarms: Vec::new(),
            policy: PolicyState::default(),
            alerts_firing: BTreeSet::new(),
            baseline: self.baseline,
            labelled_since_retrain: 0,
        });
        self.by_model
            .entry(model.to_owned())
            .or_default()
            .push((version.to_owned(), index));
        index
    }

    fn on_prediction(&mut self, event: PredictionEvent<'_>) -> Result<bool, WatchError> {
        let s = self.stream_of(&event.model, &event.version);
        let bucket = match self.config.window {
            WindowSpec::Duration(length) => {
                let ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX).max(1);
                Some(event.ts.as_millisecond().div_euclid(ms))
            }
            WindowSpec::Events(_) => None,
        };
        let mut closed = false;
        if let (Some(bucket), Some(open)) = (bucket, &self.streams[s].open)
            && open.bucket.is_some_and(|b| bucket > b)
        {
            self.close(s, false)?;
            closed = true;
        }
        let capacity = match self.config.window {
            WindowSpec::Events(n) => usize::try_from(n.min(1 << 20)).unwrap_or(1 << 20),
            WindowSpec::Duration(_) => 1024,
        };
        let stream = &mut self.streams[s];
        if stream.open.is_none() {
            let mut open = OpenWindow::new(
                stream.next_index,
                bucket,
                event.ts,
                self.reference.schema(),
                capacity,
            );
            open.alarms = std::mem::take(&mut stream.carried_alarms);
            stream.next_index += 1;
            stream.open = Some(open);
        }
        let Some(open) = stream.open.as_mut() else {
            unreachable!("opened above");
        };
        // columns, typed as the reference says
        self.filled.iter_mut().for_each(|f| *f = false);
        for (name, value) in &event.features {
            match self.columns_by_name.get(name.as_ref()) {
                Some(&column) if Some(column) != self.prediction_column => {
                    if !self.filled[column] {
                        open.columns[column].push(value);
                        self.filled[column] = true;
                    }
                }
                Some(_) => {}
                None => open.note_unmatched(name),
            }
        }
        if let Some(column) = self.prediction_column {
            open.columns[column].push(&FeatureValue::Number(event.prediction));
            self.filled[column] = true;
        }
        for (column, filled) in open.columns.iter_mut().zip(&self.filled) {
            if !filled {
                column.push_missing();
            }
        }
        if bucket.is_some_and(|b| open.bucket.is_some_and(|open_bucket| b < open_bucket)) {
            open.late_events += 1;
        }
        open.n += 1;
        open.last_ts = event.ts;
        open.count_variant(&event.variant);
        if let Some(latency) = event.latency_ms.filter(|l| l.is_finite()) {
            open.latencies.push(latency);
        }
        let window_index = open.index;
        if let Some(id) = &event.request_id {
            let pos = open.labelled.predictions.len();
            open.labelled.predictions.push(event.prediction);
            open.labelled.labels.push(None);
            let streams = &self.streams;
            let dropped = self.pending.insert(
                id,
                s as u32,
                window_index,
                pos as u32,
                self.config.max_pending_labels,
                |slot| streams[slot.stream as usize].is_final(slot.window),
            );
            self.totals.predictions_dropped += dropped;
        }
        let stream = &mut self.streams[s];
        let events = stream.events;
        for d in &mut stream.detectors {
            let value = match d.on {
                DetectorInput::Prediction => Some(event.prediction),
                DetectorInput::LatencyMs => event.latency_ms,
                DetectorInput::Error => None,
            };
            if let Some(value) = value {
                let index = d.updates;
                d.updates += 1;
                if d.detector.update(value) == Signal::Drift {
                    let alarm = Alarm {
                        detector: d.detector.kind().name().to_owned(),
                        on: d.on.name().to_owned(),
                        index,
                        events: events + 1,
                    };
                    self.metrics.watch().record_detector_alarm(
                        ModelVersion {
                            model: &stream.model,
                            version: &stream.version,
                        },
                        &alarm.detector,
                        &alarm.on,
                    );
                    if let Some(open) = stream.open.as_mut() {
                        open.alarms.push(alarm);
                    }
                }
            }
        }
        stream.events += 1;
        self.totals.events += 1;
        if let (WindowSpec::Events(size), Some(open)) = (self.config.window, &stream.open)
            && open.n >= size
        {
            self.close(s, false)?;
            closed = true;
        }
        Ok(closed)
    }

    /// Joins a label; `Some` when the line is to be rejected.
    fn on_label(&mut self, label: &LabelEvent<'_>, line: &[u8]) -> Option<LineError> {
        if self.config.task == Task::Classification && label.label != 0.0 && label.label != 1.0 {
            return Some(LineError {
                column: event::column_of(line, "label"),
                reason: format!(
                    "label {} is not 0 or 1 (the task is classification)",
                    label.label
                ),
                kind: RejectKind::BadValue,
            });
        }
        let Some(slot) = self.pending.map.remove(label.request_id.as_ref()) else {
            self.totals.labels_unmatched += 1;
            return None;
        };
        let stream = &mut self.streams[slot.stream as usize];
        let Some(labelled) = stream.labelled_mut(slot.window) else {
            self.totals.labels_unmatched += 1;
            return None;
        };
        let pos = slot.pos as usize;
        let prediction = labelled.predictions[pos];
        labelled.labels[pos] = Some(label.label);
        self.totals.labels_joined += 1;
        stream.labelled_since_retrain += 1;
        let error = match self.config.task {
            Task::Classification => f64::from(u8::from(
                (prediction >= self.config.threshold) != (label.label == 1.0),
            )),
            Task::Regression => (prediction - label.label).abs(),
        };
        let events = stream.events;
        for d in stream
            .detectors
            .iter_mut()
            .filter(|d| d.on == DetectorInput::Error)
        {
            let index = d.updates;
            d.updates += 1;
            if d.detector.update(error) == Signal::Drift {
                let alarm = Alarm {
                    detector: d.detector.kind().name().to_owned(),
                    on: d.on.name().to_owned(),
                    index,
                    events,
                };
                self.metrics.watch().record_detector_alarm(
                    ModelVersion {
                        model: &stream.model,
                        version: &stream.version,
                    },
                    &alarm.detector,
                    &alarm.on,
                );
                match stream.open.as_mut() {
                    Some(open) => open.alarms.push(alarm),
                    None => stream.carried_alarms.push(alarm),
                }
            }
        }
        None
    }

    /// Closes stream `s`'s open window, then makes final the windows whose wait is over
    /// (all of them when `partial`, at the end of the input).
    fn close(&mut self, s: usize, partial: bool) -> Result<(), WatchError> {
        let Some(mut open) = self.streams[s].open.take() else {
            return Ok(());
        };
        let stream = &self.streams[s];
        let span = tracing::info_span!(
            "window",
            model = %stream.model,
            version = %stream.version,
            index = open.index,
            n = open.n,
            partial,
        );
        let _entered = span.enter();
        let current = DatasetInfo {
            source: format!("{} {} window {}", stream.model, stream.version, open.index),
            rows: usize::try_from(open.n).unwrap_or(usize::MAX),
        };
        let columns = open.take_columns(self.reference.schema());
        let extra = std::mem::take(&mut open.unmatched).into_iter().collect();
        let (drift, drift_error) =
            match self
                .reference
                .compare(&current, columns, extra, &self.drift)
            {
                Ok(report) => (Some(report), None),
                Err(reason) => {
                    tracing::warn!(%reason, "no drift report for the window");
                    (None, Some(reason))
                }
            };
        let subject = stream.subject();
        let metrics = self.metrics.watch();
        metrics.record_window(subject, open.last_ts.as_millisecond() as f64 / 1000.0);
        for (variant, n) in &open.variants {
            metrics.record_events(subject, variant, *n);
        }
        metrics.record_latencies_ms(subject, &open.latencies);
        if let Some(report) = &drift {
            metrics.record_dataset_drift(subject, report.dataset_drift, report.drift_share);
            for column in report.columns.iter().filter(|c| c.error.is_none()) {
                if let Some(score) = column.score() {
                    metrics.record_feature_drift(
                        subject,
                        &column.name,
                        column.test.name(),
                        score,
                        column.drifted,
                    );
                }
            }
        }
        let latency_ms = LatencySummary::of(&mut open.latencies);
        tracing::info!(
            dataset_drift = drift.as_ref().map(|d| d.dataset_drift),
            drift_share = drift.as_ref().map(|d| d.drift_share),
            drifted = drift.as_ref().map(|d| d.n_drifted),
            alarms = open.alarms.len(),
            latency_p95_ms = latency_ms.as_ref().map(|l| l.p95),
            "window closed"
        );
        let (start, end) = match (open.bucket, self.config.window) {
            (Some(bucket), WindowSpec::Duration(length)) => {
                let ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
                (
                    Timestamp::from_millisecond(bucket.saturating_mul(ms)).ok(),
                    Timestamp::from_millisecond(bucket.saturating_add(1).saturating_mul(ms)).ok(),
                )
            }
            _ => (None, None),
        };
        let mut alerts = AlertChanges::default();
        // the drift alert
        let drifted = drift.as_ref().is_some_and(|d| d.dataset_drift);
        let drift_value = drift
            .as_ref()
            .map(|d| serde_json::to_value(d).unwrap_or_default());
        let explained = drift_value.as_ref().and_then(telemetry::alert::explain);
        let drift_json = drift
            .as_ref()
            .and_then(|d| serde_json::value::to_raw_value(d).ok());
        let (explanation, details) = explained
            .map(|e| (e.explanation, e.details))
            .unwrap_or_default();
        self.set_alert(
            s,
            DRIFT_ALERT,
            drifted,
            Severity::Warning,
            format!(
                "{} {}: window {} drifted from the reference",
                subject.model, subject.version, open.index
            ),
            explanation,
            details,
            &mut alerts,
        )?;
        let alarms = !open.alarms.is_empty();
        let alarm_details = serde_json::to_value(&open.alarms).unwrap_or_default();
        let stream = &self.streams[s];
        self.set_alert(
            s,
            DETECTOR_ALERT,
            alarms,
            Severity::Warning,
            format!(
                "{} {}: {} detector alarm(s) in window {}",
                stream.model,
                stream.version,
                open.alarms.len(),
                open.index
            ),
            String::new(),
            serde_json::json!({ "window": open.index, "alarms": alarm_details }),
            &mut alerts,
        )?;
        let stream = &mut self.streams[s];
        let report = WindowReport {
            schema_version: WINDOW_SCHEMA_VERSION,
            model: stream.model.clone(),
            version: stream.version.clone(),
            index: open.index,
            partial,
            start,
            end,
            first_ts: open.first_ts,
            last_ts: open.last_ts,
            n: open.n,
            late_events: open.late_events,
            variants: open.variants,
            drift: drift_json,
            drift_error,
            alarms: open.alarms,
            latency_ms,
            performance: Performance::default(),
            label_completeness: 0.0,
            alerts,
            retrain: None,
        };
        let index = report.index;
        stream.closed.push_back(ClosedWindow {
            report,
            labelled: open.labelled,
        });
        let wait = u64::from(self.config.label_wait_windows);
        while let Some(front) = self.streams[s].closed.front() {
            if !partial && front.report.index + wait > index {
                break;
            }
            self.finalize(s)?;
        }
        Ok(())
    }

    /// Raises (when `firing`) or resolves the watch alert `name` of stream `s`.
    #[allow(clippy::too_many_arguments)] // one call per alert kind; a struct would only rename them
    fn set_alert(
        &mut self,
        s: usize,
        name: &str,
        firing: bool,
        severity: Severity,
        summary: String,
        explanation: String,
        details: serde_json::Value,
        changes: &mut AlertChanges,
    ) -> Result<(), WatchError> {
        let stream = &mut self.streams[s];
        let was_firing = stream.alerts_firing.contains(name);
        if firing || was_firing {
            let alert = Alert::new(name, severity, summary)
                .with_label("model", stream.model.clone())
                .with_label("version", stream.version.clone())
                .with_explanation(explanation)
                .with_details(details);
            if let Some(alerting) = &self.alerting {
                if firing {
                    alerting.fire(&alert)?;
                } else {
                    alerting.resolve_alert(&alert)?;
                }
            }
        }
        if firing && !was_firing {
            stream.alerts_firing.insert(name.to_owned());
            changes.raised.push(name.to_owned());
            self.totals.alerts_raised += 1;
            tracing::warn!(alert = name, "alert raised");
        } else if !firing && was_firing {
            stream.alerts_firing.remove(name);
            changes.resolved.push(name.to_owned());
            self.totals.alerts_resolved += 1;
            tracing::info!(alert = name, "alert resolved");
        }
        self.metrics
            .watch()
            .record_alert(stream.subject(), name, firing);
        Ok(())
    }

    /// Makes the oldest closed window of stream `s` final and writes its report.
    fn finalize(&mut self, s: usize) -> Result<(), WatchError> {
        let Some(ClosedWindow {
            mut report,
            labelled,
        }) = self.streams[s].closed.pop_front()
        else {
            return Ok(());
        };
        let span = tracing::info_span!(
            "window final",
            model = %report.model,
            version = %report.version,
            index = report.index,
        );
        let _entered = span.enter();
        let pairs = labelled.pairs();
        let perf = match self.config.task {
            Task::Classification => performance::classification(&pairs, self.config.threshold),
            Task::Regression => performance::regression(&pairs),
        };
        report.label_completeness = if report.n == 0 {
            0.0
        } else {
            perf.labelled as f64 / report.n as f64
        };
        let stream = &self.streams[s];
        let subject = stream.subject();
        let metrics = self.metrics.watch();
        for (name, value) in [
            ("accuracy", perf.accuracy),
            ("precision", perf.precision),
            ("recall", perf.recall),
            ("f1", perf.f1),
            ("auc", perf.auc),
            ("mae", perf.mae),
            ("rmse", perf.rmse),
        ] {
            if let Some(value) = value {
                metrics.record_performance(subject, name, value);
            }
        }
        metrics.record_label_completeness(subject, report.label_completeness);
        // the performance alert, on windows with enough labels
        let mut alerts = std::mem::take(&mut report.alerts);
        if perf.labelled >= self.config.min_labels
            && let Some(value) = primary(self.config.task, &perf)
        {
            match stream.baseline {
                None => self.streams[s].baseline = Some(value),
                Some(baseline) => {
                    let drop = self.config.performance_drop();
                    let (dropped, metric, bound) = match self.config.task {
                        Task::Classification => {
                            (value < baseline - drop, "accuracy", baseline - drop)
                        }
                        Task::Regression => (
                            value > baseline * (1.0 + drop),
                            "MAE",
                            baseline * (1.0 + drop),
                        ),
                    };
                    self.set_alert(
                        s,
                        PERFORMANCE_ALERT,
                        dropped,
                        Severity::Critical,
                        format!(
                            "{} {}: {metric} {value:.4} in window {} is past {bound:.4} (baseline {baseline:.4})",
                            report.model, report.version, report.index
                        ),
                        format!(
                            "{metric} on {} labelled predictions fell from the baseline {baseline:.4} to {value:.4}",
                            perf.labelled
                        ),
                        serde_json::json!({
                            "window": report.index,
                            "metric": metric,
                            "value": value,
                            "baseline": baseline,
                            "labelled": perf.labelled,
                        }),
                        &mut alerts,
                    )?;
                }
            }
        }
        report.alerts = alerts;
        report.performance = perf;
        report.retrain = Some(self.retrain(s, &report)?);
        tracing::info!(
            labelled = report.performance.labelled,
            accuracy = report.performance.accuracy,
            mae = report.performance.mae,
            label_completeness = report.label_completeness,
            decision = ?report.retrain.as_ref().map(|r| r.decision),
            "window final"
        );
        self.output.append("windows.jsonl", &report)?;
        self.totals.windows += 1;
        let streams = &self.streams;
        self.pending
            .prune(|slot| streams[slot.stream as usize].is_final(slot.window));
        Ok(())
    }

    /// Feeds the policy with a final window and queues the job it calls for.
    fn retrain(&mut self, s: usize, report: &WindowReport) -> Result<RetrainOutcome, WatchError> {
        let task = self.config.task;
        let stream = &mut self.streams[s];
        let perf = &report.performance;
        let drift = report
            .drift
            .as_ref()
            .and_then(|d| serde_json::from_str::<drift_core::DriftReport>(d.get()).ok());
        let baseline = stream.baseline;
        let signals = Signals {
            model: Some(stream.model.clone()),
            version: Some(stream.version.clone()),
            window: Some(format!("{}/{}", report.first_ts, report.index)),
            drift: drift.as_ref().map(DriftSignals::from),
            metrics: PolicyMetrics {
                accuracy: perf.accuracy,
                f1: perf.f1,
                auc: perf.auc,
                mae: perf.mae,
                latency_p95_seconds: report.latency_ms.as_ref().map(|l| l.p95 / 1000.0),
                label_completeness: Some(report.label_completeness),
            },
            baseline: PolicyMetrics {
                accuracy: baseline.filter(|_| task == Task::Classification),
                mae: baseline.filter(|_| task == Task::Regression),
                ..PolicyMetrics::default()
            },
            alarms: report
                .alarms
                .iter()
                .map(|a| DetectorAlarm {
                    detector: a.detector.clone(),
                    signal: Some(a.on.clone()),
                    at: None,
                })
                .collect(),
            new_samples: Some(stream.labelled_since_retrain),
            canary: None,
        };
        let (decision, state) = decide(
            &self.policy,
            &signals,
            std::mem::take(&mut stream.policy),
            report.last_ts,
        );
        stream.policy = state;
        let name = match decision.decision {
            Outcome::Retrain => "retrain",
            Outcome::Hold => "hold",
            Outcome::Blocked => "blocked",
        };
        self.metrics
            .watch()
            .record_retrain_decision(stream.subject(), name);
        let mut outcome = RetrainOutcome {
            decision: decision.decision,
            summary: decision.summary.clone(),
            fired: decision.fired.clone(),
            job_id: None,
            paused_by: None,
        };
        if decision.decision != Outcome::Retrain {
            return Ok(outcome);
        }
        stream.labelled_since_retrain = 0;
        if let Some(alerting) = &self.alerting {
            let labels: Labels = [("model".to_owned(), stream.model.clone())].into();
            if let Some(pause) = alerting.paused("retrain", &labels)? {
                tracing::warn!(alert = %pause.alert, by = %pause.by, "retraining held by an acknowledged alert");
                outcome.paused_by = Some(format!("{} ({})", pause.alert, pause.fingerprint));
                return Ok(outcome);
            }
        }
        if let (Some((path, queue)), Some(job)) = (&self.queue, decision.to_job(None)) {
            let enqueued = queue.enqueue(&job).map_err(|source| WatchError::Queue {
                path: path.clone(),
                source,
            })?;
            let duplicate = matches!(enqueued, Enqueued::Duplicate(_));
            outcome.job_id = Some(enqueued.job().id);
            if !duplicate {
                self.totals.jobs += 1;
            }
            tracing::info!(job = enqueued.job().id, duplicate, summary = %decision.summary, "retraining job queued");
        }
        Ok(outcome)
    }

    /// At the end of the input: closes every open window and makes every window final.
    fn flush_all(&mut self) -> Result<(), WatchError> {
        for s in 0..self.streams.len() {
            if self.streams[s].open.is_some() {
                self.close(s, true)?;
            }
            while !self.streams[s].closed.is_empty() {
                self.finalize(s)?;
            }
        }
        Ok(())
    }

    /// Writes the checkpoint (atomically: a temporary file, synced, renamed over).
    fn checkpoint(&mut self, position: Position) -> Result<(), WatchError> {
        self.output.flush()?;
        let metrics = self.metrics.watch();
        for (outcome, now, before) in [
            (
                "joined",
                self.totals.labels_joined,
                self.counted.labels_joined,
            ),
            (
                "unmatched",
                self.totals.labels_unmatched,
                self.counted.labels_unmatched,
            ),
            (
                "dropped",
                self.totals.predictions_dropped,
                self.counted.predictions_dropped,
            ),
        ] {
            if now > before {
                metrics.record_labels(outcome, now - before);
            }
        }
        self.counted = self.totals.clone();
        metrics.record_pending_labels(self.pending.map.len() as u64);
        let checkpoint = CheckpointRef {
            schema_version: CHECKPOINT_VERSION,
            settings: fingerprint(&self.config),
            position,
            windows_bytes: self.output.windows_bytes,
            rejected_bytes: self.output.rejected_bytes,
            totals: &self.totals,
            streams: &self.streams,
            pending: self.pending.entries(),
            next_seq: self.pending.next_seq,
        };
        let path = self.output.path("checkpoint.json");
        let temporary = self.output.path("checkpoint.json.tmp");
        let io = |source| WatchError::Output {
            path: path.clone(),
            source,
        };
        let bytes = serde_json::to_vec(&checkpoint).map_err(|e| io(e.into()))?;
        let mut file = File::create(&temporary).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_data().map_err(io)?;
        drop(file);
        std::fs::rename(&temporary, &path).map_err(io)?;
        Ok(())
    }
}

/// The checkpoint as written (borrowing the state).
#[derive(Serialize)]
struct CheckpointRef<'a> {
    schema_version: u32,
    settings: String,
    position: Position,
    windows_bytes: u64,
    rejected_bytes: u64,
    totals: &'a Totals,
    streams: &'a [Stream],
    pending: Vec<PendingEntry>,
    next_seq: u64,
}

fn read_checkpoint(path: &Path, bytes: &[u8], settings: &str) -> Result<Checkpoint, WatchError> {
    let fail = |reason: String| WatchError::Checkpoint {
        path: path.to_owned(),
        reason,
    };
    let checkpoint: Checkpoint = serde_json::from_slice(bytes).map_err(|e| {
        fail(format!(
            "not a watch checkpoint: {e} (remove it to start over)"
        ))
    })?;
    if checkpoint.schema_version != CHECKPOINT_VERSION {
        return Err(fail(format!(
            "checkpoint version {} is not {CHECKPOINT_VERSION} (remove it to start over)",
            checkpoint.schema_version
        )));
    }
    if checkpoint.settings != settings {
        return Err(fail(format!(
            "written with other settings ({}), now {settings}; remove the output directory or choose another to start over",
            checkpoint.settings
        )));
    }
    Ok(checkpoint)
}

/// The settings a checkpoint's windows depend on.
fn fingerprint(config: &WatchConfig) -> String {
    let window = match config.window {
        WindowSpec::Events(n) => format!("events={n}"),
        WindowSpec::Duration(d) => format!("duration={}ms", d.as_millis()),
    };
    let detectors: Vec<String> = config
        .detectors
        .iter()
        .map(|d| format!("{}:{}:{}", d.name, d.on.name(), d.settings))
        .collect();
    format!(
        "window {window}, task {:?}, threshold {}, label_wait_windows {}, reference {}, detectors [{}]",
        config.task,
        config.threshold,
        config.label_wait_windows,
        config.reference.display(),
        detectors.join(", ")
    )
}

/// The metric the performance alert follows: accuracy, or MAE.
fn primary(task: Task, perf: &Performance) -> Option<f64> {
    match task {
        Task::Classification => perf.accuracy,
        Task::Regression => perf.mae,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DetectorConfig;

    struct Run {
        dir: tempfile::TempDir,
        config: WatchConfig,
    }

    impl Run {
        fn new(reference: &str, configure: impl FnOnce(&mut WatchConfig)) -> Run {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::write(dir.path().join("reference.csv"), reference).expect("reference");
            let mut config = WatchConfig::default();
            config.resolve(dir.path());
            configure(&mut config);
            Run { dir, config }
        }

        fn watch(&self, events: &str) -> (Summary, Vec<WindowReport>) {
            let input = self.dir.path().join("events.jsonl");
            std::fs::write(&input, events).expect("events");
            let settings = WatchSettings {
                config: self.config.clone(),
                drift: DriftOptions::default(),
                read_options: tabular::ReadOptions::default(),
                strict: false,
                poll: Duration::from_millis(10),
            };
            let mut watch = Watch::open(settings, Arc::new(Metrics::new())).expect("opens");
            let summary = watch
                .run(
                    Input::File {
                        path: input,
                        follow: false,
                    },
                    &AtomicBool::new(false),
                )
                .expect("runs");
            let reports = std::fs::read_to_string(self.config.output_dir.join("windows.jsonl"))
                .expect("windows.jsonl")
                .lines()
                .map(|l| serde_json::from_str(l).expect("a report"))
                .collect();
            (summary, reports)
        }
    }

    fn reference() -> String {
        (0..50).fold("x\n".to_owned(), |text, i| text + &format!("{}\n", i % 10))
    }

    fn prediction(ts: &str, id: &str, x: f64, prediction: f64) -> String {
        format!(
            "{{\"ts\":\"{ts}\",\"request_id\":\"{id}\",\"model\":\"m\",\"version\":\"1\",\"features\":{{\"x\":{x}}},\"prediction\":{prediction}}}\n"
        )
    }

    #[test]
    fn time_windows_follow_event_time_and_count_late_events() {
        let run = Run::new(&reference(), |c| {
            c.window = WindowSpec::Duration(Duration::from_secs(60));
            c.label_wait_windows = 0;
        });
        let events = [
            prediction("2026-11-27T10:00:05Z", "a", 1.0, 0.1),
            prediction("2026-11-27T10:00:50Z", "b", 2.0, 0.1),
            prediction("2026-11-27T10:01:10Z", "c", 3.0, 0.1),
            // out of order: counted into the open window
            prediction("2026-11-27T10:00:59Z", "d", 4.0, 0.1),
            // a minute with no event is no window
            prediction("2026-11-27T10:03:00Z", "e", 5.0, 0.1),
        ]
        .concat();
        let (summary, reports) = run.watch(&events);
        assert_eq!(summary.totals.windows, 3);
        let shape: Vec<(u64, u64, u64, bool)> = reports
            .iter()
            .map(|r| (r.index, r.n, r.late_events, r.partial))
            .collect();
        assert_eq!(shape, [(0, 2, 0, false), (1, 2, 1, false), (2, 1, 0, true)]);
        assert_eq!(
            reports[1].start,
            Some("2026-11-27T10:01:00Z".parse().expect("ts"))
        );
        assert_eq!(
            reports[1].end,
            Some("2026-11-27T10:02:00Z".parse().expect("ts"))
        );
        assert_eq!(
            reports[1].last_ts,
            "2026-11-27T10:00:59Z".parse::<Timestamp>().expect("ts")
        );
    }

    #[test]
    fn pending_labels_are_bounded_and_late_or_unknown_labels_counted() {
        let run = Run::new(&reference(), |c| {
            c.window = WindowSpec::Events(3);
            c.label_wait_windows = 0;
            c.max_pending_labels = 2;
            c.task = Task::Regression;
        });
        let ts = "2026-11-27T10:00:00Z";
        let mut events = String::new();
        for (id, x) in [("a", 1.0), ("b", 2.0), ("c", 3.0)] {
            events += &prediction(ts, id, x, 10.0);
        }
        // window 0 is final: a was dropped to keep 2 waiting, b comes too late
        events += "{\"request_id\":\"b\",\"label\":12}\n{\"request_id\":\"a\",\"label\":1}\n";
        for (id, x) in [("d", 1.0), ("e", 2.0)] {
            events += &prediction(ts, id, x, 10.0);
        }
        events += "{\"request_id\":\"d\",\"label\":13}\n{\"request_id\":\"e\",\"label\":6}\n{\"request_id\":\"zz\",\"label\":1}\n";
        let (summary, reports) = run.watch(&events);
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0].performance.labelled, 0);
        assert_eq!(reports[1].performance.labelled, 2);
        // |10 - 13| and |10 - 6|
        assert_eq!(reports[1].performance.mae, Some(3.5));
        assert_eq!(reports[1].performance.rmse, Some(12.5f64.sqrt()));
        assert_eq!(reports[1].label_completeness, 1.0);
        assert_eq!(summary.totals.predictions_dropped, 1);
        assert_eq!(
            summary.totals.labels_unmatched, 3,
            "b (its window final), a (dropped) and zz"
        );
        assert_eq!(summary.totals.labels_joined, 2);
    }

    #[test]
    fn every_detector_survives_a_checkpoint_round_trip() {
        for (i, name) in [
            "adwin",
            "page-hinkley",
            "ddm",
            "eddm",
            "hddm-a",
            "hddm-w",
            "kswin",
            "cusum",
        ]
        .into_iter()
        .enumerate()
        {
            let config = DetectorConfig {
                name: name.to_owned(),
                on: DetectorInput::Error,
                settings: toml::Table::new(),
            };
            let mut detector = config.build().expect("builds");
            let stream = |k: u64| f64::from(u8::from((k * 7 + i as u64).is_multiple_of(5)));
            for k in 0..500 {
                detector.update(stream(k));
            }
            let state = StreamDetector {
                detector,
                on: DetectorInput::Error,
                updates: 500,
            };
            let text = serde_json::to_string(&state).expect("serializes");
            let mut restored: StreamDetector =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}: {text}"));
            let mut original = state;
            for k in 500..2000 {
                let x = stream(k) + if k > 1200 { 1.0 } else { 0.0 };
                assert_eq!(
                    original.detector.update(x),
                    restored.detector.update(x),
                    "{name} at {k}"
                );
            }
        }
    }

    #[test]
    fn a_checkpoint_from_other_settings_is_refused() {
        let run = Run::new(&reference(), |c| c.window = WindowSpec::Events(2));
        let ts = "2026-11-27T10:00:00Z";
        run.watch(&[prediction(ts, "a", 1.0, 0.2), prediction(ts, "b", 1.0, 0.2)].concat());
        let mut config = run.config.clone();
        config.window = WindowSpec::Events(3);
        let settings = WatchSettings {
            config,
            drift: DriftOptions::default(),
            read_options: tabular::ReadOptions::default(),
            strict: false,
            poll: Duration::from_millis(10),
        };
        let err = Watch::open(settings, Arc::new(Metrics::new()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("written with other settings (window events=2"),
            "{err}"
        );
    }

    #[test]
    fn drift_raises_an_alert_and_queues_one_job_per_window_and_a_clean_window_resolves_it() {
        let run = Run::new(&reference(), |c| {
            c.window = WindowSpec::Events(30);
            c.label_wait_windows = 0;
        });
        let dir = run.dir.path().to_owned();
        std::fs::write(dir.join("alerts.toml"), "[outbox]\npath = \"alerts.db\"\n")
            .expect("alerts.toml");
        let mut config = run.config.clone();
        config.alerts.config = Some(dir.join("alerts.toml"));
        config.retrain.queue = Some(dir.join("queue.sqlite"));
        let run = Run { config, ..run };
        let ts = "2026-11-27T10:00:00Z";
        let window = |shift: f64, w: usize| -> String {
            (0..30)
                .map(|i| prediction(ts, &format!("{w}-{i}"), (i % 10) as f64 + shift, 0.2))
                .collect()
        };
        let events = [
            window(0.0, 0),
            window(100.0, 1),
            window(100.0, 2),
            window(0.0, 3),
        ]
        .concat();
        let (summary, reports) = run.watch(&events);
        let drifted: Vec<bool> = reports
            .iter()
            .map(|r| {
                let drift: serde_json::Value =
                    serde_json::from_str(r.drift.as_ref().expect("a report").get()).expect("JSON");
                drift["dataset_drift"].as_bool().expect("verdict")
            })
            .collect();
        assert_eq!(drifted, [false, true, true, false]);
        let raised: Vec<&[String]> = reports.iter().map(|r| &r.alerts.raised[..]).collect();
        let resolved: Vec<&[String]> = reports.iter().map(|r| &r.alerts.resolved[..]).collect();
        let drift = [DRIFT_ALERT.to_owned()];
        assert_eq!(raised, [&[][..], &drift[..], &[], &[]]);
        assert_eq!(resolved, [&[][..], &[], &[], &drift[..]]);
        let jobs: Vec<Option<i64>> = reports
            .iter()
            .map(|r| r.retrain.as_ref().expect("decided").job_id)
            .collect();
        assert_eq!(jobs, [None, Some(1), Some(2), None]);
        assert_eq!(summary.totals.jobs, 2);
        let outbox = telemetry::alert::Outbox::open(dir.join("alerts.db")).expect("outbox");
        let records = outbox.alerts(true).expect("records");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].alert.name, DRIFT_ALERT);
        assert_eq!(
            records[0].alert.labels.get("model").map(String::as_str),
            Some("m")
        );
        assert_eq!(records[0].state, telemetry::alert::AlertState::Resolved);

        // the same windows decided again (a fresh output directory, the same queue): the
        // idempotency keys hold, nothing new is queued
        let mut again = run.config.clone();
        again.output_dir = dir.join("again");
        let run = Run {
            config: again,
            ..run
        };
        let (summary, reports) = run.watch(&events);
        assert_eq!(summary.totals.jobs, 0);
        assert_eq!(reports[2].retrain.as_ref().and_then(|r| r.job_id), Some(2));
    }
}
