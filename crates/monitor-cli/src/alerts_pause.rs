//! Asks the alert outbox whether an acknowledged alert pauses an action (`retrain`,
//! `rollout`) for a model, before `monitor retrain decide` or `monitor canary run` acts.

use std::path::Path;

use anyhow::anyhow;
use telemetry::alert::{Alerting, AlertsConfig, Labels, Pause};

use crate::exit::Failure;

/// The acknowledged alert that pauses `action` for `model` (labels `model=...` when a model
/// is known), per the `[[pause]]` rules of the alerts config at `path`.
pub fn paused(path: &Path, action: &str, model: &Option<String>) -> Result<Option<Pause>, Failure> {
    let config =
        AlertsConfig::load(path).map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
    let alerting = Alerting::open(config)
        .map_err(|e| Failure::Runtime(anyhow!("opening the alert outbox: {e}")))?;
    let mut labels = Labels::new();
    if let Some(model) = model {
        labels.insert("model".to_owned(), model.clone());
    }
    alerting
        .paused(action, &labels)
        .map_err(|e| Failure::Runtime(anyhow!("reading the alert outbox: {e}")))
}
