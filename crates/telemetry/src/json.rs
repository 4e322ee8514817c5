//! JSON log lines: one object a line, with the trace and span ids of the current span.
//!
//! ```json
//! {"timestamp":"2026-11-27T10:00:00.123456Z","level":"WARN","target":"monitor::drift",
//!  "message":"test not computed","fields":{"column":"age"},
//!  "span":{"name":"column","column":"age"},"spans":[{"name":"command","command":"drift"},
//!  {"name":"column","column":"age"}],"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",
//!  "span_id":"00f067aa0ba902b7"}
//! ```
//!
//! `fields` holds the event's own fields; `span` is the innermost span and `spans` the
//! whole scope, root first, each with its fields. `trace_id` and `span_id` are those of the
//! innermost span that is traced (OpenTelemetry's current context), so a log line can be
//! found from its trace and back; they are absent outside spans and when the SDK is off.

use std::fmt;

use opentelemetry::trace::TraceContextExt;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter of JSON log lines; span fields are kept by [`JsonFields`].
#[derive(Debug, Default)]
pub(crate) struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        let mut line = Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        line.insert("timestamp".into(), timestamp.into());
        line.insert("level".into(), metadata.level().as_str().into());
        line.insert("target".into(), metadata.target().into());
        let mut fields = FieldMap::default();
        event.record(&mut fields);
        let mut fields = fields.0;
        if let Some(message) = fields.remove("message") {
            line.insert("message".into(), message);
        }
        if !fields.is_empty() {
            line.insert("fields".into(), Value::Object(fields));
        }
        if let Some(scope) = ctx.event_scope() {
            let spans: Vec<Value> = scope
                .from_root()
                .map(|span| {
                    let mut object = Map::new();
                    object.insert("name".into(), span.name().into());
                    let extensions = span.extensions();
                    if let Some(Value::Object(fields)) = extensions
                        .get::<FormattedFields<JsonFields>>()
                        .and_then(|f| serde_json::from_str(&f.fields).ok())
                    {
                        object.extend(fields);
                    }
                    Value::Object(object)
                })
                .collect();
            if let Some(innermost) = spans.last() {
                line.insert("span".into(), innermost.clone());
            }
            line.insert("spans".into(), Value::Array(spans));
        }
        let ids = opentelemetry::Context::map_current(|cx| {
            let span = cx.span();
            let context = span.span_context();
            context.is_valid().then(|| {
                (
                    context.trace_id().to_string(),
                    context.span_id().to_string(),
                )
            })
        });
        if let Some((trace_id, span_id)) = ids {
            line.insert("trace_id".into(), trace_id.into());
            line.insert("span_id".into(), span_id.into());
        }
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// An event's fields as JSON values.
#[derive(Default)]
struct FieldMap(Map<String, Value>);

impl Visit for FieldMap {
    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinities: those become strings
        let value = serde_json::Number::from_f64(value)
            .map_or_else(|| Value::String(value.to_string()), Value::Number);
        self.0.insert(field.name().into(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().into(), value.to_string().into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}
