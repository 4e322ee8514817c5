//! Where the monitor meets the observability world.
//!
//! Today this crate sets up logging: a `tracing` subscriber that writes JSON lines (or
//! readable text) to stderr, filtered by `RUST_LOG`. Its issue will add OTLP trace export,
//! the Prometheus registry and `/metrics`, and the alert sinks.
