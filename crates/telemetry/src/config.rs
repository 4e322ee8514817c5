//! What [`crate::init`] is told, and how the `OTEL_*` environment variables complete it.
//!
//! Precedence, per setting: an explicit value in [`TelemetryConfig`] wins, then the
//! signal-specific variable (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), then the general one
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`), then our default. The service name is the exception
//! the specification makes: `OTEL_SERVICE_NAME` wins over `service.name` in
//! `OTEL_RESOURCE_ATTRIBUTES`, which wins over the configured default, so that an operator
//! can always rename a deployment without touching its configuration.

use std::time::Duration;

use crate::TelemetryError;

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line: `timestamp`, `level`, `target`, `message`, `fields`, `span`,
    /// `spans`, `trace_id`, `span_id`.
    Json,
    /// Human-readable lines (for a terminal).
    Text,
}

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// OTLP over gRPC (`grpc`), the collector's port 4317 by convention.
    Grpc,
    /// OTLP protobuf over HTTP (`http/protobuf`), port 4318, paths `/v1/traces`, `/v1/logs`.
    HttpProtobuf,
}

impl OtlpProtocol {
    /// Parses the value of `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn from_name(name: &str) -> Option<OtlpProtocol> {
        match name.trim() {
            "grpc" => Some(OtlpProtocol::Grpc),
            "http/protobuf" => Some(OtlpProtocol::HttpProtobuf),
            _ => None,
        }
    }
}

/// The model a process serves or watches, exported as resource attributes
/// `ml.model.name` and `ml.model.version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelIdentity {
    /// The model's name, e.g. `churn`.
    pub name: String,
    /// Its version, e.g. `2026-11-01`.
    pub version: String,
}

/// OTLP export settings; every `None` is filled from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpConfig {
    /// Turns OTLP export off and reads no `OTEL_*` variable (log lines still work).
    pub enabled: bool,
    /// The collector's base URL, e.g. `http://127.0.0.1:4317`; `None` reads
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` then `OTEL_EXPORTER_OTLP_ENDPOINT`. Without
    /// any, nothing is exported.
    pub endpoint: Option<String>,
    /// The transport; `None` reads `OTEL_EXPORTER_OTLP_PROTOCOL` and defaults to gRPC.
    pub protocol: Option<OtlpProtocol>,
    /// Also export log events as OTLP log records; `false` still exports them when
    /// `OTEL_LOGS_EXPORTER=otlp`.
    pub logs: bool,
    /// How long one export may take; `None` reads `OTEL_EXPORTER_OTLP_TIMEOUT`
    /// (milliseconds), default 3 s. Shutdown waits at most this long, plus half a second.
    pub timeout: Option<Duration>,
    /// Spans (and log records) waiting for export, at most; past it they are dropped and
    /// counted. `None` reads `OTEL_BSP_MAX_QUEUE_SIZE`, default 2048.
    pub max_queue: Option<usize>,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        OtlpConfig {
            enabled: true,
            endpoint: None,
            protocol: None,
            logs: false,
            timeout: None,
            max_queue: None,
        }
    }
}

/// Everything [`crate::init`] needs. [`TelemetryConfig::new`] gives a process's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// The default `service.name` (`OTEL_SERVICE_NAME` overrides it).
    pub service_name: String,
    /// `service.version`, usually the binary's `CARGO_PKG_VERSION`.
    pub service_version: String,
    /// The model, when the process is about one.
    pub model: Option<ModelIdentity>,
    /// How log lines look on stderr.
    pub log_format: LogFormat,
    /// The log filter when `RUST_LOG` is not set, in `RUST_LOG` syntax; default `warn`.
    pub log_filter: String,
    /// Which spans are traced, in `RUST_LOG` syntax; default `info`. Independent of the log
    /// filter, so that a quiet command still sends its spans.
    pub trace_filter: String,
    /// OTLP export.
    pub otlp: OtlpConfig,
}

impl TelemetryConfig {
    /// Defaults for a service: logs at `warn`, spans at `info`, OTLP from the environment.
    pub fn new(service_name: &str, service_version: &str, log_format: LogFormat) -> Self {
        TelemetryConfig {
            service_name: service_name.to_owned(),
            service_version: service_version.to_owned(),
            model: None,
            log_format,
            log_filter: "warn".to_owned(),
            trace_filter: "info".to_owned(),
            otlp: OtlpConfig::default(),
        }
    }
}

/// Default export timeout: short, because a command waits for it at exit when the
/// collector does not answer.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default bound of the export queues (the OpenTelemetry SDK's).
pub(crate) const DEFAULT_MAX_QUEUE: usize = 2048;

/// A configuration completed from the environment: what [`crate::init`] builds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// `OTEL_SDK_DISABLED=true`: no OpenTelemetry at all (no ids in logs either).
    pub sdk_disabled: bool,
    /// Resource attributes, `service.name` first.
    pub resource: Vec<(String, String)>,
    /// Where and how spans go; `None` when nothing is exported.
    pub traces: Option<Export>,
    /// Where and how log records go; `None` when they are not exported.
    pub logs: Option<Export>,
}

/// One signal's exporter settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Export {
    pub protocol: OtlpProtocol,
    /// The full URL the exporter is given (HTTP: with its `/v1/...` path).
    pub endpoint: String,
    pub timeout: Duration,
    pub max_queue: usize,
}

impl Settings {
    /// Completes `config` from the environment, read through `env` (a variable set to the
    /// empty string counts as unset, as the specification asks).
    pub fn resolve(
        config: &TelemetryConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, TelemetryError> {
        if !config.otlp.enabled {
            // nothing from the environment: this is the fallback when it is unusable
            return Ok(Settings {
                sdk_disabled: false,
                resource: resource(config, &|_: &str| None)?,
                traces: None,
                logs: None,
            });
        }
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let sdk_disabled = match env("OTEL_SDK_DISABLED") {
            None => false,
            Some(v) => parse_bool("OTEL_SDK_DISABLED", &v)?,
        };
        let resource = resource(config, &env)?;
        if sdk_disabled {
            return Ok(Settings {
                sdk_disabled,
                resource,
                traces: None,
                logs: None,
            });
        }
        let traces_on = env("OTEL_TRACES_EXPORTER").is_none_or(|v| v.trim() != "none");
        let logs_on = config.otlp.logs
            || env("OTEL_LOGS_EXPORTER").is_some_and(|v| v.split(',').any(|e| e.trim() == "otlp"));
        let traces = traces_on
            .then(|| export(config, &env, "TRACES", "/v1/traces"))
            .transpose()?
            .flatten();
        let logs = logs_on
            .then(|| export(config, &env, "LOGS", "/v1/logs"))
            .transpose()?
            .flatten();
        Ok(Settings {
            sdk_disabled,
            resource,
            traces,
            logs,
        })
    }

    /// `service.name`.
    #[cfg(test)]
    pub fn service_name(&self) -> &str {
        &self.resource[0].1
    }
}

/// One signal's exporter, or `None` when no endpoint is configured for it.
fn export(
    config: &TelemetryConfig,
    env: &impl Fn(&str) -> Option<String>,
    signal: &str,
    path: &str,
) -> Result<Option<Export>, TelemetryError> {
    let protocol_var = format!("OTEL_EXPORTER_OTLP_{signal}_PROTOCOL");
    let protocol = match config.otlp.protocol {
        Some(p) => p,
        None => match env(&protocol_var)
            .map(|v| (protocol_var.as_str(), v))
            .or_else(|| {
                env("OTEL_EXPORTER_OTLP_PROTOCOL").map(|v| ("OTEL_EXPORTER_OTLP_PROTOCOL", v))
            }) {
            None => OtlpProtocol::Grpc,
            Some((var, value)) => OtlpProtocol::from_name(&value).ok_or_else(|| {
                TelemetryError::config(
                    var,
                    format!("expected grpc or http/protobuf, got \"{value}\""),
                )
            })?,
        },
    };
    // a base URL gets the signal's path over HTTP; a signal-specific URL is used as given
    let signal_var = format!("OTEL_EXPORTER_OTLP_{signal}_ENDPOINT");
    let (endpoint, is_base) = match (&config.otlp.endpoint, env(&signal_var)) {
        (Some(base), _) => (base.clone(), true),
        (None, Some(full)) => (full, false),
        (None, None) => match env("OTEL_EXPORTER_OTLP_ENDPOINT") {
            Some(base) => (base, true),
            None => return Ok(None),
        },
    };
    let mut endpoint = endpoint.trim().to_owned();
    if !endpoint.contains("://") {
        endpoint = format!("http://{endpoint}");
    }
    if is_base && protocol == OtlpProtocol::HttpProtobuf {
        endpoint = format!("{}{path}", endpoint.trim_end_matches('/'));
    }
    let timeout_var = format!("OTEL_EXPORTER_OTLP_{signal}_TIMEOUT");
    let timeout = match config.otlp.timeout {
        Some(t) => t,
        None => match env(&timeout_var)
            .map(|v| (timeout_var.as_str(), v))
            .or_else(|| {
                env("OTEL_EXPORTER_OTLP_TIMEOUT").map(|v| ("OTEL_EXPORTER_OTLP_TIMEOUT", v))
            }) {
            None => DEFAULT_TIMEOUT,
            Some((var, value)) => Duration::from_millis(parse_count(var, &value)? as u64),
        },
    };
    let queue_var = if signal == "LOGS" {
        "OTEL_BLRP_MAX_QUEUE_SIZE"
    } else {
        "OTEL_BSP_MAX_QUEUE_SIZE"
    };
    let max_queue = match config.otlp.max_queue {
        Some(n) => n,
        None => env(queue_var)
            .map(|v| parse_count(queue_var, &v))
            .transpose()?
            .unwrap_or(DEFAULT_MAX_QUEUE),
    };
    if max_queue == 0 {
        return Err(TelemetryError::config(queue_var, "expected at least 1"));
    }
    Ok(Some(Export {
        protocol,
        endpoint,
        timeout,
        max_queue,
    }))
}

/// Resource attributes: `service.name` first, then `service.version`, the model, and
/// `OTEL_RESOURCE_ATTRIBUTES` (which overrides the configured ones).
fn resource(
    config: &TelemetryConfig,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, TelemetryError> {
    let mut attributes = vec![("service.version".to_owned(), config.service_version.clone())];
    if let Some(model) = &config.model {
        attributes.push(("ml.model.name".to_owned(), model.name.clone()));
        attributes.push(("ml.model.version".to_owned(), model.version.clone()));
    }
    let mut service_name = config.service_name.clone();
    if let Some(text) = env("OTEL_RESOURCE_ATTRIBUTES") {
        for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                TelemetryError::config(
                    "OTEL_RESOURCE_ATTRIBUTES",
                    format!("expected key=value pairs separated by commas, got \"{pair}\""),
                )
            })?;
            let (key, value) = (key.trim().to_owned(), percent_decode(value.trim()));
            if key == "service.name" {
                service_name = value;
            } else if let Some(slot) = attributes.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
            } else {
                attributes.push((key, value));
            }
        }
    }
    if let Some(name) = env("OTEL_SERVICE_NAME") {
        service_name = name.trim().to_owned();
    }
    attributes.insert(0, ("service.name".to_owned(), service_name));
    Ok(attributes)
}

/// Decodes `%XX` escapes (the specification's encoding of `OTEL_RESOURCE_ATTRIBUTES`
/// values); a malformed escape is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_bool(var: &str, value: &str) -> Result<bool, TelemetryError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(TelemetryError::config(
            var,
            format!("expected true or false, got \"{value}\""),
        )),
    }
}

fn parse_count(var: &str, value: &str) -> Result<usize, TelemetryError> {
    value.trim().parse().map_err(|_| {
        TelemetryError::config(var, format!("expected a whole number, got \"{value}\""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(pairs: &[(&str, &str)]) -> Result<Settings, TelemetryError> {
        resolve_with(
            &TelemetryConfig::new("monitor", "0.1.0", LogFormat::Json),
            pairs,
        )
    }

    fn resolve_with(
        config: &TelemetryConfig,
        pairs: &[(&str, &str)],
    ) -> Result<Settings, TelemetryError> {
        Settings::resolve(config, |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn nothing_is_exported_without_an_endpoint() {
        let settings = resolve(&[]).expect("valid");
        assert_eq!(settings.traces, None);
        assert_eq!(settings.logs, None);
        assert!(!settings.sdk_disabled);
        assert_eq!(
            settings.resource[..2],
            [
                ("service.name".to_owned(), "monitor".to_owned()),
                ("service.version".to_owned(), "0.1.0".to_owned())
            ]
        );
    }

    #[test]
    fn the_endpoint_alone_sends_traces_over_grpc() {
        let settings =
            resolve(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")]).expect("valid");
        let traces = settings.traces.expect("traces exported");
        assert_eq!(traces.protocol, OtlpProtocol::Grpc);
        assert_eq!(traces.endpoint, "http://127.0.0.1:4317");
        assert_eq!(traces.timeout, DEFAULT_TIMEOUT);
        assert_eq!(traces.max_queue, DEFAULT_MAX_QUEUE);
        assert_eq!(settings.logs, None, "logs only on request");
    }

    #[test]
    fn http_appends_the_signal_path_to_a_base_url_only() {
        let settings = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318/"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            (
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
                "http://logs:9000/custom",
            ),
        ])
        .expect("valid");
        let traces = settings.traces.expect("traces");
        assert_eq!(traces.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(traces.endpoint, "http://localhost:4318/v1/traces");
        assert_eq!(
            settings.logs.expect("logs").endpoint,
            "http://logs:9000/custom"
        );
    }

    #[test]
    fn configured_values_win_over_the_environment() {
        let mut config = TelemetryConfig::new("monitor", "0.1.0", LogFormat::Json);
        config.otlp.endpoint = Some("http://collector:4317".into());
        config.otlp.timeout = Some(Duration::from_millis(250));
        let settings = resolve_with(
            &config,
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://elsewhere:4317"),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "9000"),
                ("OTEL_BSP_MAX_QUEUE_SIZE", "16"),
            ],
        )
        .expect("valid");
        let traces = settings.traces.expect("traces");
        assert_eq!(traces.endpoint, "http://collector:4317");
        assert_eq!(traces.timeout, Duration::from_millis(250));
        assert_eq!(traces.max_queue, 16);
    }

    #[test]
    fn timeouts_are_milliseconds_and_bad_values_name_the_variable() {
        let settings = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1500"),
        ])
        .expect("valid");
        assert_eq!(
            settings.traces.expect("traces").timeout,
            Duration::from_millis(1500)
        );
        let err = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ])
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "OTEL_EXPORTER_OTLP_PROTOCOL: expected grpc or http/protobuf, got \"http/json\""
        );
        let err = resolve(&[("OTEL_SDK_DISABLED", "yes")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("OTEL_SDK_DISABLED: expected true or false"),
            "{err}"
        );
    }

    #[test]
    fn sdk_disabled_and_traces_exporter_none_turn_export_off() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317");
        let settings = resolve(&[endpoint, ("OTEL_SDK_DISABLED", "TRUE")]).expect("valid");
        assert!(settings.sdk_disabled);
        assert_eq!(settings.traces, None);
        let settings = resolve(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")]).expect("valid");
        assert!(!settings.sdk_disabled);
        assert_eq!(settings.traces, None);
        // the empty string counts as unset
        let settings = resolve(&[endpoint, ("OTEL_SDK_DISABLED", "")]).expect("valid");
        assert!(settings.traces.is_some());
    }

    #[test]
    fn disabled_export_reads_no_variable_so_it_cannot_fail() {
        let mut config = TelemetryConfig::new("monitor", "0.1.0", LogFormat::Json);
        config.otlp.enabled = false;
        let settings = resolve_with(
            &config,
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
                ("OTEL_RESOURCE_ATTRIBUTES", "broken"),
            ],
        )
        .expect("valid");
        assert_eq!(settings.traces, None);
        assert_eq!(settings.service_name(), "monitor");
    }

    #[test]
    fn service_name_precedence_and_resource_attributes() {
        let mut config = TelemetryConfig::new("monitor", "0.1.0", LogFormat::Json);
        config.model = Some(ModelIdentity {
            name: "churn".into(),
            version: "3".into(),
        });
        let settings = resolve_with(
            &config,
            &[(
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=from-attributes, deployment.environment=prod,team=ml%20ops,ml.model.version=4",
            )],
        )
        .expect("valid");
        assert_eq!(settings.service_name(), "from-attributes");
        assert_eq!(
            settings.resource,
            [
                ("service.name", "from-attributes"),
                ("service.version", "0.1.0"),
                ("ml.model.name", "churn"),
                ("ml.model.version", "4"),
                ("deployment.environment", "prod"),
                ("team", "ml ops"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let settings = resolve_with(
            &config,
            &[
                ("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes"),
                ("OTEL_SERVICE_NAME", "from-variable"),
            ],
        )
        .expect("valid");
        assert_eq!(settings.service_name(), "from-variable");
        let err = resolve(&[("OTEL_RESOURCE_ATTRIBUTES", "a=1,oops")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"oops\""), "{err}");
    }
}
