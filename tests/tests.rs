//! End-to-end tests: the real `monitor` binary on files, and the tidy checks.

mod alert_pauses;
mod alerts;
mod backends;
mod canary_rollout;
mod cli_canary;
mod cli_demo;
mod cli_detect;
mod cli_drift;
mod cli_inputs;
mod cli_multivariate;
mod cli_profile;
mod cli_retrain;
mod cli_watch;
mod collectors;
mod html_render;
mod metrics;
mod support;
mod telemetry_otlp;
mod tidy;
mod watch_e2e;
