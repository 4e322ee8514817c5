//! `alerts.toml`: the outbox file, delivery and retry timing, acknowledgement, what an
//! acknowledged alert pauses, and the sinks.
//!
//! ```toml
//! [outbox]
//! path = "alerts.db"            # relative to this file; SQLite, WAL mode
//! keep_delivered = "7d"         # delivered rows and resolved alerts are pruned after this
//!
//! [delivery]
//! timeout = "10s"               # one HTTP request, connect and answer
//! retry_initial = "1s"          # first retry after 0.5 to 1 times this
//! retry_max = "5m"              # the backoff grows by 2 up to this
//! give_up_after = "24h"         # then a delivery goes to the dead letters
//! renotify = "4h"               # a still-firing, unacknowledged alert pages again after this
//! poll = "1s"                   # `monitor alerts deliver --follow` looks for work this often
//!
//! [ack]
//! silence_for = "24h"           # the Alertmanager silence lasts until resolve, or this long
//!
//! [[pause]]                     # the default: an acknowledged alert about a model pauses
//! action = "rollout"            # that model's rollouts and retraining
//! equal = ["model"]
//!
//! [[sinks]]
//! kind = "alertmanager"
//! url = "http://alertmanager:9093"
//! heartbeat = "60s"             # re-post active alerts this often ...
//! resolve_timeout = "5m"        # ... which must be below Alertmanager's resolve_timeout
//!
//! [[sinks]]
//! kind = "pagerduty"
//! routing_key_env = "PAGERDUTY_ROUTING_KEY"   # or routing_key = "..."
//! # url = "https://events.pagerduty.com/v2/enqueue"
//!
//! [[sinks]]
//! kind = "webhook"
//! url = "https://hooks.example/monitor"
//! secret_env = "MONITOR_WEBHOOK_SECRET"       # or secret = "..."
//! ```
//!
//! Unknown keys are errors; every error names the key. Durations are number-unit pairs
//! (`ms`, `s`, `m`, `h`, `d`, `w`: `90s`, `1h30m`) or an integer number of seconds.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::ack::PauseRule;
use super::error::AlertError;

/// PagerDuty's Events API v2 endpoint.
pub const PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// Everything alerting needs (see the module docs for the file).
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    /// The outbox's SQLite file.
    pub outbox: PathBuf,
    /// Delivered rows and resolved alerts older than this are pruned.
    pub keep_delivered: Duration,
    /// Timing of deliveries.
    pub delivery: DeliveryOptions,
    /// Acknowledgement.
    pub ack: AckOptions,
    /// What an acknowledged alert pauses.
    pub pause: Vec<PauseRule>,
    /// Where alerts go.
    pub sinks: Vec<Sink>,
}

impl AlertsConfig {
    /// No sinks, every default, the outbox at `outbox`.
    pub fn new(outbox: impl Into<PathBuf>) -> AlertsConfig {
        AlertsConfig {
            outbox: outbox.into(),
            keep_delivered: Duration::from_secs(7 * 86_400),
            delivery: DeliveryOptions::default(),
            ack: AckOptions::default(),
            pause: PauseRule::defaults(),
            sinks: Vec::new(),
        }
    }

    /// Adds a sink.
    #[must_use]
    pub fn with_sink(mut self, sink: Sink) -> AlertsConfig {
        self.sinks.push(sink);
        self
    }

    /// Reads `path`; a relative `outbox.path` is taken relative to the file's directory,
    /// and `*_env` secrets are read from the environment.
    ///
    /// # Errors
    /// [`AlertError::ReadConfig`], [`AlertError::ParseConfig`] (with line and key), or
    /// [`AlertError::Config`] for an unusable value.
    pub fn load(path: &Path) -> Result<AlertsConfig, AlertError> {
        let text = std::fs::read_to_string(path).map_err(|source| AlertError::ReadConfig {
            path: path.display().to_string(),
            source,
        })?;
        let mut config = AlertsConfig::parse(&text, &path.display().to_string(), |name| {
            std::env::var(name).ok()
        })?;
        if config.outbox.is_relative()
            && let Some(dir) = path.parent()
        {
            config.outbox = dir.join(&config.outbox);
        }
        Ok(config)
    }

    /// Parses the text of an `alerts.toml`, reading `*_env` secrets through `env`.
    ///
    /// # Errors
    /// As [`AlertsConfig::load`], without the file.
    pub fn from_toml(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<AlertsConfig, AlertError> {
        AlertsConfig::parse(text, "alerts.toml", env)
    }

    fn parse(
        text: &str,
        path: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<AlertsConfig, AlertError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| AlertError::ParseConfig {
            path: path.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        let defaults = AlertsConfig::new(raw.outbox.path);
        let d = DeliveryOptions::default();
        let delivery = DeliveryOptions {
            timeout: raw.delivery.timeout.map_or(d.timeout, |t| t.0),
            retry_initial: raw.delivery.retry_initial.map_or(d.retry_initial, |t| t.0),
            retry_max: raw.delivery.retry_max.map_or(d.retry_max, |t| t.0),
            give_up_after: raw.delivery.give_up_after.map_or(d.give_up_after, |t| t.0),
            renotify: raw.delivery.renotify.map_or(d.renotify, |t| t.0),
            poll: raw.delivery.poll.map_or(d.poll, |t| t.0),
            seed: raw.delivery.seed,
        };
        delivery.validate()?;
        let ack = AckOptions {
            silence_for: raw
                .ack
                .silence_for
                .map_or(AckOptions::default().silence_for, |t| t.0),
        };
        if ack.silence_for.is_zero() {
            return Err(AlertError::config(
                "ack.silence_for",
                "must be longer than 0",
            ));
        }
        let pause = match raw.pause {
            Some(rules) => rules,
            None => defaults.pause,
        };
        for (i, rule) in pause.iter().enumerate() {
            if rule.action.trim().is_empty() {
                return Err(AlertError::config(format!("pause[{i}].action"), "is empty"));
            }
        }
        let mut sinks = Vec::with_capacity(raw.sinks.len());
        let mut names = HashSet::new();
        for (i, raw_sink) in raw.sinks.into_iter().enumerate() {
            let sink = raw_sink.validate(i, &env)?;
            if !names.insert(sink.name.clone()) {
                return Err(AlertError::config(
                    format!("sinks[{i}].name"),
                    format!(
                        "\"{}\" names two sinks: give each its own `name`",
                        sink.name
                    ),
                ));
            }
            sinks.push(sink);
        }
        Ok(AlertsConfig {
            outbox: defaults.outbox,
            keep_delivered: raw
                .outbox
                .keep_delivered
                .map_or(defaults.keep_delivered, |t| t.0),
            delivery,
            ack,
            pause,
            sinks,
        })
    }
}

/// When and how often deliveries are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    /// One HTTP request's limit, connect and answer together.
    pub timeout: Duration,
    /// The first retry waits between half this and this.
    pub retry_initial: Duration,
    /// The backoff doubles up to this.
    pub retry_max: Duration,
    /// A delivery still failing this long after it was queued goes to the dead letters.
    pub give_up_after: Duration,
    /// A still-firing, unacknowledged alert fired again is sent to PagerDuty and webhooks
    /// again at most this often (Alertmanager's `repeat_interval` default); Alertmanager
    /// always gets the update.
    pub renotify: Duration,
    /// How often a following deliverer looks for new work.
    pub poll: Duration,
    /// Seed of the backoff jitter (default: from the process id and the time).
    pub seed: Option<u64>,
}

impl Default for DeliveryOptions {
    /// 10 s requests; retries after 1 s, doubling up to 5 min, for 24 h; renotify after 4 h
    /// (Alertmanager's `repeat_interval`); poll every second.
    fn default() -> Self {
        DeliveryOptions {
            timeout: Duration::from_secs(10),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            give_up_after: Duration::from_secs(86_400),
            renotify: Duration::from_secs(4 * 3600),
            poll: Duration::from_secs(1),
            seed: None,
        }
    }
}

impl DeliveryOptions {
    fn validate(&self) -> Result<(), AlertError> {
        for (key, value) in [
            ("delivery.timeout", self.timeout),
            ("delivery.retry_initial", self.retry_initial),
            ("delivery.retry_max", self.retry_max),
            ("delivery.poll", self.poll),
        ] {
            if value.is_zero() {
                return Err(AlertError::config(key, "must be longer than 0"));
            }
        }
        if self.retry_max < self.retry_initial {
            return Err(AlertError::config(
                "delivery.retry_max",
                format!(
                    "{} is shorter than retry_initial ({})",
                    show(self.retry_max),
                    show(self.retry_initial)
                ),
            ));
        }
        Ok(())
    }
}

/// How an acknowledgement silences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckOptions {
    /// The Alertmanager silence ends when the alert resolves, or after this.
    pub silence_for: Duration,
}

impl Default for AckOptions {
    /// A day.
    fn default() -> Self {
        AckOptions {
            silence_for: Duration::from_secs(86_400),
        }
    }
}

/// A secret (a routing key, an HMAC key): never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself, for the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One place alerts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sink {
    /// Its name in the outbox (default: its kind), unique in a configuration.
    pub name: String,
    /// Its base URL (Alertmanager) or endpoint (PagerDuty, webhook).
    pub url: String,
    /// What it is.
    pub kind: SinkKind,
}

/// The kinds of sink and their settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkKind {
    /// Alertmanager's API v2.
    Alertmanager {
        /// Active alerts are posted again this often.
        heartbeat: Duration,
        /// Alertmanager's `resolve_timeout`, which `heartbeat` must stay below.
        resolve_timeout: Duration,
    },
    /// PagerDuty's Events API v2.
    PagerDuty {
        /// The integration's routing key.
        routing_key: Secret,
        /// The `payload.source` of triggers.
        source: String,
    },
    /// Any HTTP endpoint, with an HMAC-SHA256 signature of the body.
    Webhook {
        /// The signing key.
        secret: Secret,
    },
}

impl SinkKind {
    /// `alertmanager`, `pagerduty` or `webhook`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SinkKind::Alertmanager { .. } => "alertmanager",
            SinkKind::PagerDuty { .. } => "pagerduty",
            SinkKind::Webhook { .. } => "webhook",
        }
    }
}

impl Sink {
    /// An Alertmanager at `url` (`http://host:9093`), heartbeat 60 s below a 5 min
    /// resolve timeout (Alertmanager's default).
    pub fn alertmanager(url: impl Into<String>) -> Sink {
        Sink {
            name: "alertmanager".to_owned(),
            url: trim_slash(url.into()),
            kind: SinkKind::Alertmanager {
                heartbeat: Duration::from_secs(60),
                resolve_timeout: Duration::from_secs(300),
            },
        }
    }

    /// PagerDuty's Events API v2 at `url` ([`PAGERDUTY_URL`] in production).
    pub fn pagerduty(url: impl Into<String>, routing_key: impl Into<String>) -> Sink {
        Sink {
            name: "pagerduty".to_owned(),
            url: url.into(),
            kind: SinkKind::PagerDuty {
                routing_key: Secret::new(routing_key),
                source: "monitor".to_owned(),
            },
        }
    }

    /// A webhook at `url`, signed with `secret`.
    pub fn webhook(url: impl Into<String>, secret: impl Into<String>) -> Sink {
        Sink {
            name: "webhook".to_owned(),
            url: url.into(),
            kind: SinkKind::Webhook {
                secret: Secret::new(secret),
            },
        }
    }

    /// Renames the sink.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Sink {
        self.name = name.into();
        self
    }
}

fn trim_slash(mut url: String) -> String {
    while url.ends_with('/') {
        url.pop();
    }
    url
}

/// A duration in the file: `"90s"`, `"1h30m"`, or a number of seconds.
#[derive(Debug, Clone, Copy)]
struct DurationText(Duration);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DurationText, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Seconds(seconds)) => Ok(DurationText(Duration::from_secs(seconds))),
            Ok(Raw::Text(text)) => parse_duration(&text)
                .map(DurationText)
                .map_err(serde::de::Error::custom),
            Err(_) => Err(serde::de::Error::custom(
                "expected a duration such as \"90s\" or \"1h30m\", or a number of seconds",
            )),
        }
    }
}

/// Parses `1h30m`-style durations: number-unit pairs with units `ms`, `s`, `m`, `h`,
/// `d` (24 h) and `w` (7 d).
///
/// # Errors
/// A message quoting the text when it is not such a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "\"{text}\" is not a duration (write e.g. \"500ms\", \"90s\", \"15m\", \"24h\", \"1h30m\")"
        )
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let after = after.trim_start();
        let letters = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(letters);
        rest = after.trim_start();
        let amount: f64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            _ => return Err(bad()),
        };
        total += Duration::try_from_secs_f64(amount * seconds).map_err(|_| bad())?;
    }
    Ok(total)
}

/// A duration as the config writes it, for messages: `90s`, `5m`, `1500ms`.
pub(crate) fn show(duration: Duration) -> String {
    let ms = duration.as_millis();
    match ms {
        0 => "0s".to_owned(),
        ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    outbox: RawOutbox,
    #[serde(default)]
    delivery: RawDelivery,
    #[serde(default)]
    ack: RawAck,
    pause: Option<Vec<PauseRule>>,
    #[serde(default)]
    sinks: Vec<RawSink>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbox {
    path: PathBuf,
    keep_delivered: Option<DurationText>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelivery {
    timeout: Option<DurationText>,
    retry_initial: Option<DurationText>,
    retry_max: Option<DurationText>,
    give_up_after: Option<DurationText>,
    renotify: Option<DurationText>,
    poll: Option<DurationText>,
    seed: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAck {
    silence_for: Option<DurationText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSink {
    kind: String,
    name: Option<String>,
    url: Option<String>,
    heartbeat: Option<DurationText>,
    resolve_timeout: Option<DurationText>,
    routing_key: Option<String>,
    routing_key_env: Option<String>,
    source: Option<String>,
    secret: Option<String>,
    secret_env: Option<String>,
}

impl RawSink {
    fn validate(self, i: usize, env: &impl Fn(&str) -> Option<String>) -> Result<Sink, AlertError> {
        let key = |field: &str| format!("sinks[{i}].{field}");
        let not_for = |field: &str, present: bool| {
            if present {
                Err(AlertError::config(
                    key(field),
                    format!("is not a setting of a {} sink", self.kind),
                ))
            } else {
                Ok(())
            }
        };
        let url = |default: Option<&str>| -> Result<String, AlertError> {
            let url = match (&self.url, default) {
                (Some(url), _) => url.clone(),
                (None, Some(default)) => default.to_owned(),
                (None, None) => return Err(AlertError::config(key("url"), "is missing")),
            };
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(AlertError::config(
                    key("url"),
                    format!("\"{url}\" is not an http:// or https:// URL"),
                ));
            }
            Ok(url)
        };
        let secret = |field: &str,
                      value: &Option<String>,
                      variable: &Option<String>|
         -> Result<Secret, AlertError> {
            match (value, variable) {
                (Some(_), Some(_)) => Err(AlertError::config(
                    key(field),
                    format!("set `{field}` or `{field}_env`, not both"),
                )),
                (Some(value), None) if !value.is_empty() => Ok(Secret::new(value.clone())),
                (None, Some(name)) => match env(name) {
                    Some(value) if !value.is_empty() => Ok(Secret::new(value)),
                    _ => Err(AlertError::config(
                        key(&format!("{field}_env")),
                        format!("the environment variable {name} is not set"),
                    )),
                },
                _ => Err(AlertError::config(
                    key(field),
                    format!("is missing: set `{field}` or `{field}_env` (a variable's name)"),
                )),
            }
        };
        let kind = match self.kind.as_str() {
            "alertmanager" => {
                for (field, present) in [
                    ("routing_key", self.routing_key.is_some()),
                    ("routing_key_env", self.routing_key_env.is_some()),
                    ("source", self.source.is_some()),
                    ("secret", self.secret.is_some()),
                    ("secret_env", self.secret_env.is_some()),
                ] {
                    not_for(field, present)?;
                }
                let heartbeat = self.heartbeat.map_or(Duration::from_secs(60), |t| t.0);
                let resolve_timeout = self
                    .resolve_timeout
                    .map_or(Duration::from_secs(300), |t| t.0);
                if heartbeat.is_zero() || heartbeat >= resolve_timeout {
                    return Err(AlertError::config(
                        key("heartbeat"),
                        format!(
                            "{} must be above 0 and below resolve_timeout ({}), or Alertmanager resolves active alerts between heartbeats",
                            show(heartbeat),
                            show(resolve_timeout)
                        ),
                    ));
                }
                SinkKind::Alertmanager {
                    heartbeat,
                    resolve_timeout,
                }
            }
            "pagerduty" => {
                for (field, present) in [
                    ("heartbeat", self.heartbeat.is_some()),
                    ("resolve_timeout", self.resolve_timeout.is_some()),
                    ("secret", self.secret.is_some()),
                    ("secret_env", self.secret_env.is_some()),
                ] {
                    not_for(field, present)?;
                }
                SinkKind::PagerDuty {
                    routing_key: secret("routing_key", &self.routing_key, &self.routing_key_env)?,
                    source: self.source.clone().unwrap_or_else(|| "monitor".to_owned()),
                }
            }
            "webhook" => {
                for (field, present) in [
                    ("heartbeat", self.heartbeat.is_some()),
                    ("resolve_timeout", self.resolve_timeout.is_some()),
                    ("routing_key", self.routing_key.is_some()),
                    ("routing_key_env", self.routing_key_env.is_some()),
                    ("source", self.source.is_some()),
                ] {
                    not_for(field, present)?;
                }
                SinkKind::Webhook {
                    secret: secret("secret", &self.secret, &self.secret_env)?,
                }
            }
            other => {
                return Err(AlertError::config(
                    key("kind"),
                    format!("\"{other}\" is not a sink kind (alertmanager, pagerduty or webhook)"),
                ));
            }
        };
        let url = url(matches!(kind, SinkKind::PagerDuty { .. }).then_some(PAGERDUTY_URL))?;
        let url = match kind {
            SinkKind::Alertmanager { .. } => trim_slash(url),
            _ => url,
        };
        let name = self.name.unwrap_or_else(|| kind.as_str().to_owned());
        if name.is_empty() {
            return Err(AlertError::config(key("name"), "is empty"));
        }
        Ok(Sink { name, url, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AlertsConfig, AlertError> {
        AlertsConfig::from_toml(text, |name| {
            (name == "PD_KEY").then(|| "routing-key-from-env".to_owned())
        })
    }

    #[test]
    fn alert_config_reads_every_section() {
        let config = parse(
            r#"
            [outbox]
            path = "alerts.db"
            keep_delivered = "2d"
            [delivery]
            timeout = "5s"
            retry_initial = "200ms"
            retry_max = "1m"
            give_up_after = "1h"
            renotify = "30m"
            poll = 1
            seed = 7
            [ack]
            silence_for = "4h"
            [[pause]]
            action = "retrain"
            match = { alertname = "DriftDetected" }
            equal = ["model", "version"]
            [[sinks]]
            kind = "alertmanager"
            url = "http://127.0.0.1:9093/"
            heartbeat = "30s"
            [[sinks]]
            kind = "pagerduty"
            url = "http://127.0.0.1:8080/v2/enqueue"
            routing_key_env = "PD_KEY"
            [[sinks]]
            kind = "webhook"
            name = "ops"
            url = "https://hooks.example/monitor"
            secret = "s3cret"
            "#,
        )
        .expect("valid");
        assert_eq!(config.outbox, PathBuf::from("alerts.db"));
        assert_eq!(config.keep_delivered, Duration::from_secs(2 * 86_400));
        assert_eq!(config.delivery.retry_initial, Duration::from_millis(200));
        assert_eq!(config.delivery.poll, Duration::from_secs(1));
        assert_eq!(config.delivery.seed, Some(7));
        assert_eq!(config.ack.silence_for, Duration::from_secs(4 * 3600));
        assert_eq!(config.pause.len(), 1);
        assert_eq!(config.pause[0].equal, ["model", "version"]);
        assert_eq!(config.sinks[0].url, "http://127.0.0.1:9093");
        assert_eq!(config.sinks[0].name, "alertmanager");
        assert_eq!(
            config.sinks[0].kind,
            SinkKind::Alertmanager {
                heartbeat: Duration::from_secs(30),
                resolve_timeout: Duration::from_secs(300)
            }
        );
        match &config.sinks[1].kind {
            SinkKind::PagerDuty {
                routing_key,
                source,
            } => {
                assert_eq!(routing_key.expose(), "routing-key-from-env");
                assert_eq!(source, "monitor");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(config.sinks[2].name, "ops");
        // secrets stay out of Debug
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(!format!("{config:?}").contains("routing-key-from-env"));
    }

    #[test]
    fn alert_config_defaults() {
        let config = parse("[outbox]\npath = \"/var/lib/monitor/alerts.db\"\n").expect("valid");
        assert_eq!(config.delivery, DeliveryOptions::default());
        assert_eq!(config.ack, AckOptions::default());
        assert_eq!(config.pause, PauseRule::defaults());
        assert!(config.sinks.is_empty());
        let pd = parse(
            "[outbox]\npath = \"a.db\"\n[[sinks]]\nkind = \"pagerduty\"\nrouting_key = \"k\"\n",
        )
        .expect("valid");
        assert_eq!(pd.sinks[0].url, PAGERDUTY_URL);
        let none = parse("[outbox]\npath = \"a.db\"\npause = []\n");
        assert!(none.is_err(), "pause is top-level, not in [outbox]");
        let none = parse("pause = []\n[outbox]\npath = \"a.db\"\n").expect("valid");
        assert!(none.pause.is_empty());
    }

    #[test]
    fn alert_config_errors_name_the_key() {
        let err = |text: &str| parse(text).expect_err("invalid").to_string();
        let head = "[outbox]\npath = \"a.db\"\n";
        assert!(
            err("[outbox]\npath = \"a.db\"\nretries = 3\n").contains("unknown field `retries`"),
            "{}",
            err("[outbox]\npath = \"a.db\"\nretries = 3\n")
        );
        assert_eq!(
            err(&format!(
                "{head}[[sinks]]\nkind = \"alertmanager\"\nurl = \"http://am\"\nheartbeat = \"5m\"\n"
            )),
            "sinks[0].heartbeat: 5m must be above 0 and below resolve_timeout (5m), or Alertmanager resolves active alerts between heartbeats"
        );
        assert_eq!(
            err(&format!(
                "{head}[[sinks]]\nkind = \"pagerduty\"\nrouting_key_env = \"NOPE\"\n"
            )),
            "sinks[0].routing_key_env: the environment variable NOPE is not set"
        );
        assert_eq!(
            err(&format!(
                "{head}[[sinks]]\nkind = \"webhook\"\nurl = \"http://h\"\n"
            )),
            "sinks[0].secret: is missing: set `secret` or `secret_env` (a variable's name)"
        );
        assert_eq!(
            err(&format!(
                "{head}[[sinks]]\nkind = \"webhook\"\nurl = \"ftp://h\"\nsecret = \"s\"\n"
            )),
            "sinks[0].url: \"ftp://h\" is not an http:// or https:// URL"
        );
        assert_eq!(
            err(&format!(
                "{head}[[sinks]]\nkind = \"webhook\"\nurl = \"http://h\"\nsecret = \"s\"\nheartbeat = \"1s\"\n"
            )),
            "sinks[0].heartbeat: is not a setting of a webhook sink"
        );
        assert_eq!(
            err(&format!("{head}[[sinks]]\nkind = \"email\"\n")),
            "sinks[0].kind: \"email\" is not a sink kind (alertmanager, pagerduty or webhook)"
        );
        assert!(
            err(&format!(
                "{head}[[sinks]]\nkind = \"alertmanager\"\nurl = \"http://a\"\n[[sinks]]\nkind = \"alertmanager\"\nurl = \"http://b\"\n"
            ))
            .starts_with("sinks[1].name: \"alertmanager\" names two sinks")
        );
        assert!(
            err(&format!("{head}[delivery]\ntimeout = \"soon\"\n"))
                .contains("\"soon\" is not a duration")
        );
        assert!(
            err(&format!(
                "{head}[delivery]\nretry_initial = \"1m\"\nretry_max = \"1s\"\n"
            ))
            .starts_with("delivery.retry_max: 1s is shorter")
        );
    }

    #[test]
    fn alert_durations_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        for bad in ["", "5", "s", "5 parsecs", "-1s", "1h-"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(show(Duration::from_secs(300)), "5m");
        assert_eq!(show(Duration::from_millis(1500)), "1500ms");
    }
}
