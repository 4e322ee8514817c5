//! The dataset verdict in words, shared by the Markdown and HTML renderers.

use drift_core::DriftReport;

/// The verdict's headline and the counts behind it.
pub(crate) struct Verdict {
    /// `Dataset drift` or `No dataset drift`.
    pub headline: &'static str,
    /// `8 of 20 columns drifted (share 0.40 ≥ threshold 0.30)`, and the untested columns.
    pub detail: String,
}

/// `1 column`, `2 columns`.
pub(crate) fn columns(n: usize) -> String {
    format!("{n} column{}", if n == 1 { "" } else { "s" })
}

/// The verdict of `report`, in words.
pub(crate) fn verdict(report: &DriftReport) -> Verdict {
    let n_tested = report.n_columns.saturating_sub(report.n_errors);
    let mut detail = if n_tested == 0 {
        format!("none of the {} could be tested", columns(report.n_columns))
    } else {
        format!(
            "{} of {} drifted (share {:.2} {} threshold {:.2})",
            report.n_drifted,
            columns(n_tested),
            report.drift_share,
            if report.dataset_drift { "≥" } else { "<" },
            report.drift_share_threshold,
        )
    };
    if n_tested > 0 && report.n_errors > 0 {
        detail.push_str(&format!(
            "; {} could not be tested",
            columns(report.n_errors)
        ));
    }
    Verdict {
        headline: if report.dataset_drift {
            "Dataset drift"
        } else {
            "No dataset drift"
        },
        detail,
    }
}
