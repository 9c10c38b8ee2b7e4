//! One JSON object per log line, with the fields of every enclosing span flattened into it.
//!
//! `tracing-subscriber`'s own JSON formatter nests span fields under `"span"`/`"spans"`, so
//! a query for `trace_id` has to know how deep the handler nested its spans. Here every
//! line is flat: `timestamp`, `level`, `target`, `message`, then the fields of the spans in
//! scope (outermost first, inner spans override), then the event's own fields. A line
//! logged anywhere inside an [`event_span`](crate::event_span) therefore always carries
//! `trace_id`, `span_id`, `service`, `operation` and `order_id` at the top level.
//!
//! Span fields are read from the [`FormattedFields<JsonFields>`] that the fmt layer already
//! keeps in each span's extensions, so no extra layer is needed. Fields named `otel.*` are
//! instructions for the OpenTelemetry layer and are left out of the logs.

use std::fmt;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter of the JSON log layer (see the module docs for the line shape).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FlatJson;

impl<S> FormatEvent<S, JsonFields> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut fields = Map::new();
        let mut span_name = None;

        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                span_name = Some(span.name());
                let extensions = span.extensions();
                let Some(formatted) = extensions.get::<FormattedFields<JsonFields>>() else {
                    continue;
                };
                if let Ok(Value::Object(span_fields)) =
                    serde_json::from_str::<Value>(&formatted.fields)
                {
                    for (key, value) in span_fields {
                        if !key.starts_with("otel.") {
                            fields.insert(key, value);
                        }
                    }
                }
            }
        }

        event.record(&mut FieldVisitor(&mut fields));
        let message = fields.remove("message");

        // Fixed keys first, in a stable order, so lines read well in a terminal too.
        let mut line = String::with_capacity(256);
        line.push('{');
        push_pair(
            &mut line,
            "timestamp",
            &Value::String(Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)),
        );
        push_pair(&mut line, "level", &Value::from(meta.level().as_str()));
        push_pair(&mut line, "target", &Value::from(meta.target()));
        if let Some(message) = &message {
            push_pair(&mut line, "message", message);
        }
        if let Some(name) = span_name {
            push_pair(&mut line, "span", &Value::from(name));
        }
        for (key, value) in &fields {
            if matches!(key.as_str(), "timestamp" | "level" | "target" | "span") {
                continue;
            }
            push_pair(&mut line, key, value);
        }
        line.push('}');
        writeln!(writer, "{line}")
    }
}

fn push_pair(line: &mut String, key: &str, value: &Value) {
    if line.len() > 1 {
        line.push(',');
    }
    // Serialising a `str` or a `Value` into a `String` cannot fail.
    line.push_str(&serde_json::to_string(key).unwrap_or_default());
    line.push(':');
    line.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned()));
}

/// Records an event's fields as JSON values.
struct FieldVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for FieldVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), Value::from(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
}
