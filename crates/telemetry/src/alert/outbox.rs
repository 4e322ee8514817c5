//! The durable outbox: one SQLite file (WAL) holding the alerts, their acknowledgements,
//! every delivery to every sink, and the dead letters.
//!
//! Every send is a row of `deliveries`, written in the same transaction as the change of
//! the alert that caused it, so a change is never recorded without its notifications nor
//! the other way round. A deliverer claims a row under a lease (`BEGIN IMMEDIATE` takes the
//! write lock first, so two processes never claim the same row), sends it, and marks it
//! delivered, retries it later, or moves it to `dead_letters`. Delivery is at least once:
//! a process that dies mid-request leaves its row leased; the lease runs out (twice the
//! request timeout plus 5 s) and the row is sent again, and on Linux [`Outbox::open`]
//! frees at once the leases of processes that no longer exist. Commits use
//! `synchronous = FULL`, so what a command reported as queued survives a crash of the
//! machine too.
//!
//! Rows of one sink and one alert go out in order (an earlier pending row holds back the
//! later ones), so PagerDuty never sees an `acknowledge` before its `trigger`. Alertmanager
//! posts always send the alert's state at the time of sending, so a pending post is not
//! queued twice.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::config::{Sink, SinkKind};
use super::error::AlertError;
use super::fingerprint::Fingerprint;
use super::model::{Acknowledgement, Alert, AlertRecord, AlertState};
use super::sinks::{Action, actions_for};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint     TEXT    PRIMARY KEY,
    state           TEXT    NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
    alert           TEXT    NOT NULL,
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER,
    updated_at      INTEGER NOT NULL,
    notified_at     INTEGER NOT NULL,
    acknowledgement TEXT
);
CREATE TABLE IF NOT EXISTS acknowledgements (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint   TEXT    NOT NULL,
    acknowledged_by TEXT  NOT NULL,
    comment       TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    silence_until INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS silences (
    fingerprint TEXT    NOT NULL,
    sink        TEXT    NOT NULL,
    ack_at      INTEGER NOT NULL,
    silence_id  TEXT    NOT NULL,
    PRIMARY KEY (fingerprint, sink, ack_at)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    sink            TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    available_at    INTEGER NOT NULL,
    lease_until     INTEGER,
    lease_owner     INTEGER,
    lease_token     TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, available_at);
CREATE INDEX IF NOT EXISTS deliveries_chain ON deliveries (sink, fingerprint, state, id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id              INTEGER PRIMARY KEY,
    sink            TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    dead_at         INTEGER NOT NULL,
    status          INTEGER,
    reason          TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS heartbeats (
    sink        TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    posted_at   INTEGER NOT NULL,
    PRIMARY KEY (sink, fingerprint)
);
";

const DELIVERY_COLUMNS: &str = "id, sink, fingerprint, action, message, idempotency_key, attempts, \
     created_at, available_at, last_status, last_error";

/// What a delivery row carries: the alert as it was when the row was queued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Message {
    pub record: AlertRecord,
    #[serde(default)]
    pub repeat: bool,
}

/// A pending delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The row's id.
    pub id: i64,
    /// The sink's name.
    pub sink: String,
    /// The alert.
    pub fingerprint: Fingerprint,
    /// What it asks of the sink.
    pub action: Action,
    /// Attempts so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// Not tried before this.
    pub available_at: Timestamp,
    /// The last answer's HTTP status.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub(crate) message: Message,
    pub(crate) idempotency_key: String,
}

/// A delivery that will never succeed as it is: a 4xx answer, a sink no longer
/// configured, or retries past `delivery.give_up_after`.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    /// The delivery's id.
    pub id: i64,
    /// The sink's name.
    pub sink: String,
    /// The alert.
    pub fingerprint: Fingerprint,
    /// What it asked of the sink.
    pub action: Action,
    /// Attempts made.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it was given up.
    pub dead_at: Timestamp,
    /// The last answer's HTTP status.
    pub status: Option<u16>,
    /// Why.
    pub reason: String,
}

/// A claimed delivery, with what sending it needs.
#[derive(Debug)]
pub(crate) struct Claim {
    pub delivery: Delivery,
    pub token: String,
    pub current: Option<AlertRecord>,
    pub silence_id: Option<String>,
}

/// How an alert's firing changed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FireChange {
    /// It was not firing: every sink is told.
    New,
    /// It was firing, unacknowledged, and last notified `renotify` ago: every sink is told
    /// again.
    Renotified,
    /// It was firing or acknowledged: only Alertmanager gets the update.
    Updated,
}

/// What [`super::Alerting::fire`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Fired {
    /// The alert's fingerprint.
    pub fingerprint: Fingerprint,
    /// Its state now (firing, or acknowledged for an acknowledged alert fired again).
    pub state: AlertState,
    /// What changed.
    pub change: FireChange,
    /// Deliveries queued.
    pub queued: usize,
}

fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

fn plus(at: Timestamp, duration: Duration) -> Timestamp {
    let duration = SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX);
    at.saturating_add(duration).unwrap_or(Timestamp::MAX)
}

fn minus(at: Timestamp, duration: Duration) -> Timestamp {
    let duration = SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX);
    at.saturating_sub(duration).unwrap_or(Timestamp::MIN)
}

fn time(table: &'static str, id: &str, ms: i64) -> Result<Timestamp, AlertError> {
    Timestamp::from_millisecond(ms).map_err(|e| AlertError::Corrupt {
        table,
        id: id.to_owned(),
        reason: e.to_string(),
    })
}

/// The alert outbox (see the module docs).
pub struct Outbox {
    connection: Mutex<Connection>,
    path: PathBuf,
    owner: u32,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

struct RawRecord {
    fingerprint: String,
    state: String,
    alert: String,
    starts_at: i64,
    ends_at: Option<i64>,
    updated_at: i64,
    notified_at: i64,
    acknowledgement: Option<String>,
}

const RECORD_COLUMNS: &str =
    "fingerprint, state, alert, starts_at, ends_at, updated_at, notified_at, acknowledgement";

fn raw_record(row: &Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok(RawRecord {
        fingerprint: row.get(0)?,
        state: row.get(1)?,
        alert: row.get(2)?,
        starts_at: row.get(3)?,
        ends_at: row.get(4)?,
        updated_at: row.get(5)?,
        notified_at: row.get(6)?,
        acknowledgement: row.get(7)?,
    })
}

impl RawRecord {
    fn into_record(self) -> Result<AlertRecord, AlertError> {
        let id = self.fingerprint.clone();
        let corrupt = |reason: String| AlertError::Corrupt {
            table: "alerts",
            id: id.clone(),
            reason,
        };
        Ok(AlertRecord {
            fingerprint: self.fingerprint.parse().map_err(corrupt)?,
            state: self.state.parse().map_err(corrupt)?,
            alert: serde_json::from_str::<Alert>(&self.alert)
                .map_err(|e| corrupt(e.to_string()))?,
            starts_at: time("alerts", &id, self.starts_at)?,
            ends_at: self.ends_at.map(|ms| time("alerts", &id, ms)).transpose()?,
            updated_at: time("alerts", &id, self.updated_at)?,
            notified_at: time("alerts", &id, self.notified_at)?,
            acknowledgement: self
                .acknowledgement
                .map(|text| serde_json::from_str::<Acknowledgement>(&text))
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
        })
    }
}

struct RawDelivery {
    id: i64,
    sink: String,
    fingerprint: String,
    action: String,
    message: String,
    idempotency_key: String,
    attempts: i64,
    created_at: i64,
    available_at: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
}

fn raw_delivery(row: &Row<'_>) -> rusqlite::Result<RawDelivery> {
    Ok(RawDelivery {
        id: row.get(0)?,
        sink: row.get(1)?,
        fingerprint: row.get(2)?,
        action: row.get(3)?,
        message: row.get(4)?,
        idempotency_key: row.get(5)?,
        attempts: row.get(6)?,
        created_at: row.get(7)?,
        available_at: row.get(8)?,
        last_status: row.get(9)?,
        last_error: row.get(10)?,
    })
}

impl RawDelivery {
    fn into_delivery(self) -> Result<Delivery, AlertError> {
        let id = self.id.to_string();
        let corrupt = |reason: String| AlertError::Corrupt {
            table: "deliveries",
            id: id.clone(),
            reason,
        };
        Ok(Delivery {
            id: self.id,
            fingerprint: self.fingerprint.parse().map_err(corrupt)?,
            action: self.action.parse().map_err(corrupt)?,
            message: serde_json::from_str(&self.message).map_err(|e| corrupt(e.to_string()))?,
            attempts: u32::try_from(self.attempts).map_err(|e| corrupt(e.to_string()))?,
            created_at: time("deliveries", &id, self.created_at)?,
            available_at: time("deliveries", &id, self.available_at)?,
            last_status: self.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: self.last_error,
            sink: self.sink,
            idempotency_key: self.idempotency_key,
        })
    }
}

fn load_record(
    connection: &Connection,
    fingerprint: Fingerprint,
) -> Result<Option<AlertRecord>, AlertError> {
    connection
        .query_row(
            &format!("SELECT {RECORD_COLUMNS} FROM alerts WHERE fingerprint = ?1"),
            [fingerprint.to_string()],
            raw_record,
        )
        .optional()?
        .map(RawRecord::into_record)
        .transpose()
}

fn save_record(connection: &Connection, record: &AlertRecord) -> Result<(), AlertError> {
    let alert = serde_json::to_string(&record.alert).map_err(|e| AlertError::Corrupt {
        table: "alerts",
        id: record.fingerprint.to_string(),
        reason: e.to_string(),
    })?;
    let acknowledgement = record
        .acknowledgement
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| AlertError::Corrupt {
            table: "alerts",
            id: record.fingerprint.to_string(),
            reason: e.to_string(),
        })?;
    connection.execute(
        "INSERT INTO alerts (fingerprint, state, alert, starts_at, ends_at, updated_at, notified_at, acknowledgement) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (fingerprint) DO UPDATE SET state = excluded.state, alert = excluded.alert, \
             starts_at = excluded.starts_at, ends_at = excluded.ends_at, updated_at = excluded.updated_at, \
             notified_at = excluded.notified_at, acknowledgement = excluded.acknowledgement",
        params![
            record.fingerprint.to_string(),
            record.state.as_str(),
            alert,
            millis(record.starts_at),
            record.ends_at.map(millis),
            millis(record.updated_at),
            millis(record.notified_at),
            acknowledgement,
        ],
    )?;
    Ok(())
}

/// Queues `action` to `sink` for `record`; an Alertmanager post is not queued when one
/// is already waiting (it will send the state of its time). Returns whether a row was
/// added.
fn enqueue(
    tx: &Transaction<'_>,
    sink: &Sink,
    action: Action,
    record: &AlertRecord,
    repeat: bool,
    now: Timestamp,
) -> Result<bool, AlertError> {
    let fingerprint = record.fingerprint.to_string();
    if action == Action::Post {
        let waiting: Option<i64> = tx
            .query_row(
                "SELECT id FROM deliveries WHERE sink = ?1 AND fingerprint = ?2 AND action = 'post' \
                 AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ?3) LIMIT 1",
                params![sink.name, fingerprint, millis(now)],
                |row| row.get(0),
            )
            .optional()?;
        if waiting.is_some() {
            return Ok(false);
        }
    }
    let message = serde_json::to_string(&Message {
        record: record.clone(),
        repeat,
    })
    .map_err(|e| AlertError::Corrupt {
        table: "deliveries",
        id: fingerprint.clone(),
        reason: e.to_string(),
    })?;
    tx.execute(
        "INSERT INTO deliveries (sink, fingerprint, action, message, idempotency_key, state, attempts, \
             created_at, updated_at, available_at) \
         VALUES (?1, ?2, ?3, ?4, '', 'pending', 0, ?5, ?5, ?5)",
        params![sink.name, fingerprint, action.as_str(), message, millis(now)],
    )?;
    // unique across databases too: the fingerprint, the action, the time and the row
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE deliveries SET idempotency_key = ?1 WHERE id = ?2",
        params![
            format!("{fingerprint}-{}-{}-{id}", action.as_str(), millis(now)),
            id
        ],
    )?;
    Ok(true)
}

/// Queues what `sinks` must hear of `record` in its current state.
fn enqueue_all(
    tx: &Transaction<'_>,
    sinks: &[Sink],
    record: &AlertRecord,
    silenced: bool,
    repeat: bool,
    now: Timestamp,
) -> Result<usize, AlertError> {
    let mut queued = 0;
    for sink in sinks {
        for action in actions_for(&sink.kind, record.state, silenced) {
            queued += usize::from(enqueue(tx, sink, action, record, repeat, now)?);
        }
    }
    Ok(queued)
}

/// Whether process `pid` still runs (Linux: `/proc/<pid>` exists and is no zombie;
/// elsewhere assumed, so only the lease's expiry frees its rows).
fn process_alive(pid: u32) -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| matches!(rest.trim_start().chars().next(), Some('Z' | 'X'))),
        Err(_) => false,
    }
}

impl Outbox {
    /// Opens (creating if needed) the outbox at `path`, and frees the leases of processes
    /// that died while sending.
    ///
    /// # Errors
    /// [`AlertError::Database`] when the file cannot be opened, is not an outbox, or does
    /// not support WAL mode.
    pub fn open(path: impl AsRef<Path>) -> Result<Outbox, AlertError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // a missing directory shows as SQLite's "unable to open": name it instead
            if !dir.is_dir() {
                return Err(AlertError::Database(rusqlite::Error::InvalidPath(
                    path.clone(),
                )));
            }
        }
        let connection = Connection::open(&path)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        let mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(AlertError::Database(rusqlite::Error::InvalidPath(path)));
        }
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(SCHEMA)?;
        let outbox = Outbox {
            connection: Mutex::new(connection),
            path,
            owner: std::process::id(),
        };
        outbox.release_orphans(Timestamp::now())?;
        Ok(outbox)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (the
        // transaction rolls back), so a poisoned lock is safe to take over.
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn transaction<T>(
        &self,
        body: impl FnOnce(&Transaction<'_>) -> Result<T, AlertError>,
    ) -> Result<T, AlertError> {
        let mut connection = self.connection();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = body(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Frees rows leased by processes that no longer run; returns how many.
    fn release_orphans(&self, now: Timestamp) -> Result<usize, AlertError> {
        self.transaction(|tx| {
            let owners: Vec<i64> = tx
                .prepare(
                    "SELECT DISTINCT lease_owner FROM deliveries \
                     WHERE state = 'pending' AND lease_until > ?1 AND lease_owner IS NOT NULL",
                )?
                .query_map([millis(now)], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            let mut released = 0;
            for owner in owners {
                let Ok(pid) = u32::try_from(owner) else {
                    continue;
                };
                if pid == self.owner || process_alive(pid) {
                    continue;
                }
                released += tx.execute(
                    "UPDATE deliveries SET lease_until = NULL, lease_owner = NULL, lease_token = NULL, \
                         last_error = ?1 WHERE state = 'pending' AND lease_owner = ?2",
                    params![
                        format!("the process sending it (pid {pid}) stopped mid-request"),
                        owner
                    ],
                )?;
            }
            Ok(released)
        })
    }

    /// The alert with this fingerprint, if the outbox has it.
    ///
    /// # Errors
    /// [`AlertError::Database`], [`AlertError::Corrupt`].
    pub fn record(&self, fingerprint: Fingerprint) -> Result<Option<AlertRecord>, AlertError> {
        load_record(&self.connection(), fingerprint)
    }

    /// The alert whose fingerprint is `id` or starts with it (at least 4 hex digits).
    ///
    /// # Errors
    /// [`AlertError::NotFound`], [`AlertError::Ambiguous`], or a database error.
    pub fn find(&self, id: &str) -> Result<AlertRecord, AlertError> {
        let id = id.trim().to_ascii_lowercase();
        let not_found = || AlertError::NotFound { id: id.clone() };
        if id.len() < 4 || id.len() > 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let length = id.len() as i64; // 4 to 16
        let connection = self.connection();
        let rows: Vec<RawRecord> = connection
            .prepare(&format!(
                "SELECT {RECORD_COLUMNS} FROM alerts WHERE substr(fingerprint, 1, ?1) = ?2 LIMIT 2"
            ))?
            .query_map(params![length, id], raw_record)?
            .collect::<Result<_, _>>()?;
        match rows.len() {
            0 => Err(not_found()),
            1 => rows.into_iter().next().ok_or_else(not_found)?.into_record(),
            _ => {
                let matches: i64 = connection.query_row(
                    "SELECT COUNT(*) FROM alerts WHERE substr(fingerprint, 1, ?1) = ?2",
                    params![length, id],
                    |row| row.get(0),
                )?;
                Err(AlertError::Ambiguous {
                    id,
                    matches: usize::try_from(matches).unwrap_or(usize::MAX),
                })
            }
        }
    }

    /// The alerts, newest first; resolved ones only with `include_resolved`.
    ///
    /// # Errors
    /// [`AlertError::Database`], [`AlertError::Corrupt`].
    pub fn alerts(&self, include_resolved: bool) -> Result<Vec<AlertRecord>, AlertError> {
        let filter = if include_resolved {
            ""
        } else {
            "WHERE state != 'resolved'"
        };
        let rows: Vec<RawRecord> = self
            .connection()
            .prepare(&format!(
                "SELECT {RECORD_COLUMNS} FROM alerts {filter} ORDER BY starts_at DESC, fingerprint"
            ))?
            .query_map([], raw_record)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().map(RawRecord::into_record).collect()
    }

    /// Whether the alert is acknowledged now (and not resolved).
    ///
    /// # Errors
    /// [`AlertError::Database`].
    pub fn is_acknowledged(&self, fingerprint: Fingerprint) -> Result<bool, AlertError> {
        let state: Option<String> = self
            .connection()
            .query_row(
                "SELECT state FROM alerts WHERE fingerprint = ?1",
                [fingerprint.to_string()],
                |row| row.get(0),
            )
            .optional()?;
        Ok(state.as_deref() == Some("acknowledged"))
    }

    /// Pending deliveries (of one alert, or all), oldest first.
    ///
    /// # Errors
    /// [`AlertError::Database`], [`AlertError::Corrupt`].
    pub fn pending(&self, fingerprint: Option<Fingerprint>) -> Result<Vec<Delivery>, AlertError> {
        let connection = self.connection();
        let rows: Vec<RawDelivery> = match fingerprint {
            Some(fp) => connection
                .prepare(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state = 'pending' AND fingerprint = ?1 ORDER BY id"
                ))?
                .query_map([fp.to_string()], raw_delivery)?
                .collect::<Result<_, _>>()?,
            None => connection
                .prepare(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state = 'pending' ORDER BY id"
                ))?
                .query_map([], raw_delivery)?
                .collect::<Result<_, _>>()?,
        };
        rows.into_iter().map(RawDelivery::into_delivery).collect()
    }

    /// Deliveries made so far, of one alert or all (up to `delivered.keep` old).
    ///
    /// # Errors
    /// [`AlertError::Database`].
    pub fn delivered_count(&self, fingerprint: Option<Fingerprint>) -> Result<u64, AlertError> {
        let connection = self.connection();
        let count: i64 = match fingerprint {
            Some(fp) => connection.query_row(
                "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered' AND fingerprint = ?1",
                [fp.to_string()],
                |row| row.get(0),
            )?,
            None => connection.query_row(
                "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'",
                [],
                |row| row.get(0),
            )?,
        };
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The dead letters, oldest first.
    ///
    /// # Errors
    /// [`AlertError::Database`], [`AlertError::Corrupt`].
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, AlertError> {
        type Raw = (
            i64,
            String,
            String,
            String,
            i64,
            i64,
            i64,
            Option<i64>,
            String,
        );
        let rows: Vec<Raw> = self
            .connection()
            .prepare(
                "SELECT id, sink, fingerprint, action, attempts, created_at, dead_at, status, reason \
                 FROM dead_letters ORDER BY id",
            )?
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                    row.get(8)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(
                |(id, sink, fingerprint, action, attempts, created_at, dead_at, status, reason)| {
                    let key = id.to_string();
                    let corrupt = |reason: String| AlertError::Corrupt {
                        table: "dead_letters",
                        id: key.clone(),
                        reason,
                    };
                    Ok(DeadLetter {
                        id,
                        sink,
                        fingerprint: fingerprint.parse().map_err(corrupt)?,
                        action: action.parse().map_err(corrupt)?,
                        attempts: u32::try_from(attempts).unwrap_or(0),
                        created_at: time("dead_letters", &key, created_at)?,
                        dead_at: time("dead_letters", &key, dead_at)?,
                        status: status.and_then(|s| u16::try_from(s).ok()),
                        reason,
                    })
                },
            )
            .collect()
    }

    /// Records that `alert` fires and queues its notifications (see [`FireChange`]).
    pub(crate) fn fire(
        &self,
        alert: &Alert,
        sinks: &[Sink],
        renotify: Duration,
        now: Timestamp,
    ) -> Result<Fired, AlertError> {
        alert.validate()?;
        let fingerprint = alert.fingerprint();
        self.transaction(|tx| {
            let existing = load_record(tx, fingerprint)?;
            let (record, change) = match existing {
                Some(mut record) if record.state.is_active() => {
                    record.alert = alert.clone();
                    record.updated_at = now;
                    let renotify_due = record.state == AlertState::Firing
                        && plus(record.notified_at, renotify) <= now;
                    if renotify_due {
                        record.notified_at = now;
                    }
                    let change = if renotify_due {
                        FireChange::Renotified
                    } else {
                        FireChange::Updated
                    };
                    (record, change)
                }
                _ => (
                    AlertRecord {
                        fingerprint,
                        state: AlertState::Firing,
                        alert: alert.clone(),
                        starts_at: now,
                        ends_at: None,
                        updated_at: now,
                        notified_at: now,
                        acknowledgement: None,
                    },
                    FireChange::New,
                ),
            };
            save_record(tx, &record)?;
            let queued = match change {
                // only a firing alert is new or renotified: every sink hears "firing"
                FireChange::New | FireChange::Renotified => enqueue_all(
                    tx,
                    sinks,
                    &record,
                    false,
                    change == FireChange::Renotified,
                    now,
                )?,
                FireChange::Updated => {
                    let mut queued = 0;
                    for sink in sinks
                        .iter()
                        .filter(|s| matches!(s.kind, SinkKind::Alertmanager { .. }))
                    {
                        queued +=
                            usize::from(enqueue(tx, sink, Action::Post, &record, false, now)?);
                    }
                    queued
                }
            };
            Ok(Fired {
                fingerprint,
                state: record.state,
                change,
                queued,
            })
        })
    }

    /// Records an acknowledgement and queues the silence, PagerDuty's acknowledge and the
    /// webhooks' event.
    pub(crate) fn acknowledge(
        &self,
        fingerprint: Fingerprint,
        by: &str,
        comment: &str,
        silence_for: Duration,
        sinks: &[Sink],
        now: Timestamp,
    ) -> Result<AlertRecord, AlertError> {
        self.transaction(|tx| {
            let mut record = load_record(tx, fingerprint)?.ok_or_else(|| AlertError::NotFound {
                id: fingerprint.to_string(),
            })?;
            if record.state != AlertState::Firing {
                return Err(AlertError::WrongState {
                    fingerprint: fingerprint.to_string(),
                    state: record.state.as_str(),
                    action: "acknowledge",
                });
            }
            let ack = Acknowledgement {
                by: by.to_owned(),
                comment: comment.to_owned(),
                at: now,
                silence_until: plus(now, silence_for),
            };
            tx.execute(
                "INSERT INTO acknowledgements (fingerprint, acknowledged_by, comment, at, silence_until) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    fingerprint.to_string(),
                    ack.by,
                    ack.comment,
                    millis(ack.at),
                    millis(ack.silence_until)
                ],
            )?;
            record.state = AlertState::Acknowledged;
            record.acknowledgement = Some(ack);
            record.updated_at = now;
            save_record(tx, &record)?;
            enqueue_all(tx, sinks, &record, false, false, now)?;
            Ok(record)
        })
    }

    /// Records that the alert resolved and queues the notifications (and the silence's
    /// expiry).
    pub(crate) fn resolve(
        &self,
        fingerprint: Fingerprint,
        sinks: &[Sink],
        now: Timestamp,
    ) -> Result<AlertRecord, AlertError> {
        self.transaction(|tx| {
            let mut record = load_record(tx, fingerprint)?.ok_or_else(|| AlertError::NotFound {
                id: fingerprint.to_string(),
            })?;
            if !record.state.is_active() {
                return Err(AlertError::WrongState {
                    fingerprint: fingerprint.to_string(),
                    state: record.state.as_str(),
                    action: "resolve",
                });
            }
            let silenced = record.state == AlertState::Acknowledged;
            record.state = AlertState::Resolved;
            record.ends_at = Some(now);
            record.updated_at = now;
            save_record(tx, &record)?;
            enqueue_all(tx, sinks, &record, silenced, false, now)?;
            Ok(record)
        })
    }

    /// Queues a post of every active alert whose last post to an Alertmanager sink is a
    /// heartbeat old; returns how many were queued.
    pub(crate) fn enqueue_heartbeats(
        &self,
        sinks: &[Sink],
        now: Timestamp,
    ) -> Result<usize, AlertError> {
        let alertmanagers: Vec<(&Sink, Duration)> = sinks
            .iter()
            .filter_map(|sink| match sink.kind {
                SinkKind::Alertmanager { heartbeat, .. } => Some((sink, heartbeat)),
                _ => None,
            })
            .collect();
        if alertmanagers.is_empty() {
            return Ok(0);
        }
        self.transaction(|tx| {
            let rows: Vec<RawRecord> = tx
                .prepare(&format!(
                    "SELECT {RECORD_COLUMNS} FROM alerts WHERE state != 'resolved'"
                ))?
                .query_map([], raw_record)?
                .collect::<Result<_, _>>()?;
            let mut queued = 0;
            for raw in rows {
                let record = raw.into_record()?;
                for (sink, heartbeat) in &alertmanagers {
                    let posted_at: Option<i64> = tx
                        .query_row(
                            "SELECT posted_at FROM heartbeats WHERE sink = ?1 AND fingerprint = ?2",
                            params![sink.name, record.fingerprint.to_string()],
                            |row| row.get(0),
                        )
                        .optional()?;
                    let due = posted_at.is_none_or(|ms| ms + millis_of(*heartbeat) <= millis(now));
                    if due {
                        queued +=
                            usize::from(enqueue(tx, sink, Action::Post, &record, false, now)?);
                    }
                }
            }
            Ok(queued)
        })
    }

    /// Claims the next due delivery under a lease of `lease`.
    pub(crate) fn claim(
        &self,
        now: Timestamp,
        lease: Duration,
        nonce: u64,
    ) -> Result<Option<Claim>, AlertError> {
        self.transaction(|tx| {
            let next: Option<i64> = tx
                .query_row(
                    "SELECT d.id FROM deliveries d \
                     WHERE d.state = 'pending' AND d.available_at <= ?1 \
                       AND (d.lease_until IS NULL OR d.lease_until <= ?1) \
                       AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'pending' \
                           AND e.sink = d.sink AND e.fingerprint = d.fingerprint AND e.id < d.id) \
                     ORDER BY d.available_at, d.id LIMIT 1",
                    [millis(now)],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(id) = next else {
                return Ok(None);
            };
            let token = format!("{}/{id}/{nonce:016x}", self.owner);
            tx.execute(
                "UPDATE deliveries SET attempts = attempts + 1, lease_until = ?1, lease_owner = ?2, \
                     lease_token = ?3, updated_at = ?4 WHERE id = ?5",
                params![millis(plus(now, lease)), self.owner, token, millis(now), id],
            )?;
            let delivery = tx
                .query_row(
                    &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1"),
                    [id],
                    raw_delivery,
                )?
                .into_delivery()?;
            let current = load_record(tx, delivery.fingerprint)?;
            let silence_id = match (&delivery.action, &delivery.message.record.acknowledgement) {
                (Action::Unsilence, Some(ack)) => tx
                    .query_row(
                        "SELECT silence_id FROM silences WHERE fingerprint = ?1 AND sink = ?2 AND ack_at = ?3",
                        params![delivery.fingerprint.to_string(), delivery.sink, millis(ack.at)],
                        |row| row.get(0),
                    )
                    .optional()?,
                _ => None,
            };
            Ok(Some(Claim {
                delivery,
                token,
                current,
                silence_id,
            }))
        })
    }

    /// Whether the claim's lease is still ours (another deliverer may have taken the row
    /// after the lease ran out).
    fn holds(tx: &Transaction<'_>, claim: &Claim) -> Result<bool, AlertError> {
        let token: Option<Option<String>> = tx
            .query_row(
                "SELECT lease_token FROM deliveries WHERE id = ?1 AND state = 'pending'",
                [claim.delivery.id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(token.flatten().as_deref() == Some(claim.token.as_str()))
    }

    /// Marks a claimed delivery done (and keeps what its answer taught: the time of the
    /// last post, a silence's id).
    pub(crate) fn delivered(
        &self,
        claim: &Claim,
        status: Option<u16>,
        silence_id: Option<&str>,
        now: Timestamp,
    ) -> Result<bool, AlertError> {
        self.transaction(|tx| {
            if !Outbox::holds(tx, claim)? {
                return Ok(false);
            }
            let delivery = &claim.delivery;
            tx.execute(
                "UPDATE deliveries SET state = 'delivered', delivered_at = ?1, updated_at = ?1, \
                     last_status = ?2, lease_until = NULL, lease_owner = NULL, lease_token = NULL \
                 WHERE id = ?3",
                params![millis(now), status, delivery.id],
            )?;
            let fingerprint = delivery.fingerprint.to_string();
            if delivery.action == Action::Post {
                tx.execute(
                    "INSERT INTO heartbeats (sink, fingerprint, posted_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (sink, fingerprint) DO UPDATE SET posted_at = excluded.posted_at",
                    params![delivery.sink, fingerprint, millis(now)],
                )?;
            }
            if let (Some(id), Some(ack)) = (silence_id, &delivery.message.record.acknowledgement) {
                tx.execute(
                    "INSERT OR REPLACE INTO silences (fingerprint, sink, ack_at, silence_id) VALUES (?1, ?2, ?3, ?4)",
                    params![fingerprint, delivery.sink, millis(ack.at), id],
                )?;
            }
            Ok(true)
        })
    }

    /// Schedules a claimed delivery's next attempt at `at`.
    pub(crate) fn retry_at(
        &self,
        claim: &Claim,
        at: Timestamp,
        status: Option<u16>,
        error: &str,
        now: Timestamp,
    ) -> Result<bool, AlertError> {
        self.transaction(|tx| {
            if !Outbox::holds(tx, claim)? {
                return Ok(false);
            }
            tx.execute(
                "UPDATE deliveries SET available_at = ?1, updated_at = ?2, last_status = ?3, last_error = ?4, \
                     lease_until = NULL, lease_owner = NULL, lease_token = NULL WHERE id = ?5",
                params![millis(at), millis(now), status, error, claim.delivery.id],
            )?;
            Ok(true)
        })
    }

    /// Moves a claimed delivery to the dead letters.
    pub(crate) fn dead(
        &self,
        claim: &Claim,
        status: Option<u16>,
        reason: &str,
        now: Timestamp,
    ) -> Result<bool, AlertError> {
        self.transaction(|tx| {
            if !Outbox::holds(tx, claim)? {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO dead_letters (id, sink, fingerprint, action, message, idempotency_key, attempts, \
                     created_at, dead_at, status, reason) \
                 SELECT id, sink, fingerprint, action, message, idempotency_key, attempts, created_at, ?1, ?2, ?3 \
                 FROM deliveries WHERE id = ?4",
                params![millis(now), status, reason, claim.delivery.id],
            )?;
            tx.execute("DELETE FROM deliveries WHERE id = ?1", [claim.delivery.id])?;
            Ok(true)
        })
    }

    /// When the next pending delivery is due (its backoff or its lease over), if any.
    ///
    /// # Errors
    /// [`AlertError::Database`], [`AlertError::Corrupt`].
    pub fn next_due(&self) -> Result<Option<Timestamp>, AlertError> {
        let ms: Option<i64> = self.connection().query_row(
            "SELECT MIN(MAX(available_at, COALESCE(lease_until, 0))) FROM deliveries WHERE state = 'pending'",
            [],
            |row| row.get(0),
        )?;
        ms.map(|ms| time("deliveries", "next", ms)).transpose()
    }

    /// Deletes delivered rows, and resolved alerts with nothing pending, older than
    /// `keep`; returns how many rows went.
    ///
    /// # Errors
    /// [`AlertError::Database`].
    pub fn prune(&self, keep: Duration, now: Timestamp) -> Result<usize, AlertError> {
        let before = millis(minus(now, keep));
        self.transaction(|tx| {
            let mut removed = tx.execute(
                "DELETE FROM deliveries WHERE state = 'delivered' AND delivered_at < ?1",
                [before],
            )?;
            let gone = "SELECT fingerprint FROM alerts WHERE state = 'resolved' AND ends_at < ?1 \
                 AND fingerprint NOT IN (SELECT fingerprint FROM deliveries WHERE state = 'pending')";
            for table in ["heartbeats", "silences", "acknowledgements"] {
                removed += tx.execute(
                    &format!("DELETE FROM {table} WHERE fingerprint IN ({gone})"),
                    [before],
                )?;
            }
            removed += tx.execute(&format!("DELETE FROM alerts WHERE fingerprint IN ({gone})"), [before])?;
            Ok(removed)
        })
    }
}

fn millis_of(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::model::Severity;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a time")
    }

    fn set_owner(path: &Path, pid: i64) {
        let connection = Connection::open(path).expect("open");
        connection
            .execute("UPDATE deliveries SET lease_owner = ?1", [pid])
            .expect("update");
    }

    #[test]
    fn alert_leases_of_dead_processes_are_freed_on_open() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("alerts.db");
        let sinks = [Sink::webhook("http://127.0.0.1:9/hook", "s")];
        let now = Timestamp::now();
        let lease = Duration::from_secs(3600);
        {
            let outbox = Outbox::open(&path).expect("open");
            let alert = Alert::new("DriftDetected", Severity::Warning, "drift");
            outbox
                .fire(&alert, &sinks, Duration::from_secs(60), now)
                .expect("fire");
            let claim = outbox.claim(now, lease, 1).expect("claim").expect("due");
            assert_eq!(claim.delivery.attempts, 1);
            assert!(
                outbox.claim(now, lease, 2).expect("claim").is_none(),
                "leased"
            );
        }
        // pid 1 runs: its lease holds until it runs out
        set_owner(&path, 1);
        let outbox = Outbox::open(&path).expect("reopen");
        assert!(outbox.claim(now, lease, 3).expect("claim").is_none());
        let later = now
            .checked_add(SignedDuration::from_secs(3601))
            .expect("time");
        let claim = outbox
            .claim(later, lease, 4)
            .expect("claim")
            .expect("expired lease");
        assert_eq!(claim.delivery.attempts, 2);
        drop(outbox);
        // a process that no longer exists (pids stay below 2^22 on Linux)
        set_owner(&path, 99_999_999);
        let outbox = Outbox::open(&path).expect("reopen");
        let claim = outbox
            .claim(now, lease, 5)
            .expect("claim")
            .expect("freed at open");
        assert_eq!(claim.delivery.attempts, 3);
        assert_eq!(
            outbox.pending(None).expect("pending")[0]
                .last_error
                .as_deref(),
            Some("the process sending it (pid 99999999) stopped mid-request")
        );
    }

    #[test]
    fn alert_find_takes_unique_prefixes() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("alerts.db");
        let outbox = Outbox::open(&path).expect("open");
        let now = at("2026-11-27T10:00:00Z");
        let alert = Alert::new("A", Severity::Info, "s");
        let fired = outbox
            .fire(&alert, &[], Duration::from_secs(60), now)
            .expect("fire");
        // two more rows whose fingerprints share a prefix
        let connection = Connection::open(&path).expect("open");
        for fingerprint in ["abcd000000000001", "abcd000000000002"] {
            connection
                .execute(
                    "INSERT INTO alerts (fingerprint, state, alert, starts_at, updated_at, notified_at) \
                     SELECT ?1, state, alert, starts_at, updated_at, notified_at FROM alerts LIMIT 1",
                    [fingerprint],
                )
                .expect("insert");
        }
        let full = fired.fingerprint.to_string();
        assert_eq!(
            outbox.find(&full).expect("full").fingerprint,
            fired.fingerprint
        );
        assert_eq!(
            outbox.find(&full[..5]).expect("prefix").fingerprint,
            fired.fingerprint
        );
        assert_eq!(
            outbox
                .find(&full.to_uppercase())
                .expect("upper")
                .fingerprint,
            fired.fingerprint
        );
        assert_eq!(
            outbox
                .find("abcd000000000002")
                .expect("second")
                .fingerprint
                .to_string(),
            "abcd000000000002"
        );
        assert!(matches!(
            outbox.find("abcd0"),
            Err(AlertError::Ambiguous { matches: 2, .. })
        ));
        assert!(
            matches!(outbox.find("abc"), Err(AlertError::NotFound { .. })),
            "too short"
        );
        assert!(matches!(
            outbox.find("zzzz"),
            Err(AlertError::NotFound { .. })
        ));
        assert!(matches!(
            outbox.find("abcd0000000000011"),
            Err(AlertError::NotFound { .. })
        ));
        assert!(matches!(
            outbox.find("abce"),
            Err(AlertError::NotFound { .. })
        ));
    }
}
