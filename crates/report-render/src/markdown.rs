//! GitHub-flavoured Markdown for CI job summaries and pull-request comments.

use drift_core::DriftReport;
use drift_core::summary::Quality;

use crate::multivariate;
use crate::number::{fixed, percent, percentage_points};
use crate::verdict::{columns, verdict};

/// A missing-share change larger than this (one percentage point) is a quality finding.
pub(crate) const MISSING_SHARE_FINDING: f64 = 0.01;

/// Most new categories named per column; the rest are counted.
const NEW_CATEGORIES_LISTED: usize = 10;

/// `text` with every character that Markdown (or GitHub's extensions: tables, strikethrough,
/// math) could read as syntax backslash-escaped, and line breaks turned into spaces, so that
/// it shows literally, also inside a table cell.
pub(crate) fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '<' | '>' | '#' | '+'
            | '-' | '.' | '!' | '|' | '~' | '&' | '$' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Quality findings of one column, in words (empty when there are none).
pub(crate) fn quality_findings(quality: &Quality, numeric: bool) -> Vec<QualityFinding> {
    let mut findings = Vec::new();
    if !quality.new_categories.is_empty() {
        findings.push(QualityFinding::NewCategories(
            quality
                .new_categories
                .iter()
                .take(NEW_CATEGORIES_LISTED)
                .cloned()
                .collect(),
            quality
                .new_categories
                .len()
                .saturating_sub(NEW_CATEGORIES_LISTED),
        ));
    }
    if quality.missing_share_delta.abs() > MISSING_SHARE_FINDING {
        findings.push(QualityFinding::MissingShare(quality.missing_share_delta));
    }
    if quality.out_of_range_share > 0.0 {
        findings.push(QualityFinding::OutOfRange(
            quality.out_of_range_share,
            numeric,
        ));
    }
    findings
}

/// One quality finding of a column.
pub(crate) enum QualityFinding {
    /// New categories (at most 10) and how many more there are.
    NewCategories(Vec<String>, usize),
    /// The missing share changed by this much (beyond one percentage point).
    MissingShare(f64),
    /// This share of current values lies outside the reference range (numeric) or in a
    /// category the reference never had (categorical).
    OutOfRange(f64, bool),
}

impl QualityFinding {
    /// The finding in words, with user strings passed through `escape`.
    pub(crate) fn describe(&self, escape: impl Fn(&str) -> String) -> String {
        match self {
            QualityFinding::NewCategories(listed, more) => {
                let names: Vec<String> = listed.iter().map(|n| escape(n)).collect();
                let count = listed.len() + more;
                let mut text = format!(
                    "{count} new categor{}: {}",
                    if count == 1 { "y" } else { "ies" },
                    names.join(", ")
                );
                if *more > 0 {
                    text.push_str(&format!(" and {more} more"));
                }
                text
            }
            QualityFinding::MissingShare(delta) => {
                format!("missing share {}", percentage_points(*delta))
            }
            QualityFinding::OutOfRange(share, true) => format!(
                "{} of current values outside the reference range",
                percent(*share)
            ),
            QualityFinding::OutOfRange(share, false) => format!(
                "{} of current values in categories the reference never had",
                percent(*share)
            ),
        }
    }
}

/// The whole-row tests, if any ran: their verdict, a table and a line of details each.
fn multivariate_section(out: &mut String, report: &DriftReport) {
    let Some(section) = &report.multivariate else {
        return;
    };
    let (headline, detail) = multivariate::headline(section);
    out.push_str(&format!(
        "\n### Multivariate drift\n\n**{headline}**: {}.\n\n",
        escape_markdown(&detail)
    ));
    out.push_str("| test | statistic | value | p-value | threshold | drift | details |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | --- | --- |\n");
    for test in multivariate::rows(section, escape_markdown) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            test.method,
            test.statistic,
            test.value,
            test.p_value,
            test.threshold,
            if test.drifted { "**DRIFT**" } else { "no" },
            test.details,
        ));
    }
}

/// The report as GitHub-flavoured Markdown: a heading, the verdict, a table of every column,
/// the whole-row tests if any ran, then the columns that could not be tested, the quality
/// findings and the columns present on one side only.
pub fn render_markdown(report: &DriftReport) -> String {
    let verdict = verdict(report);
    let mut out = format!(
        "## Drift report: {} vs {}\n\n",
        escape_markdown(&report.current.source),
        escape_markdown(&report.reference.source)
    );
    out.push_str(&format!("**{}**: {}\n\n", verdict.headline, verdict.detail));
    out.push_str(&format!(
        "Current: {} ({} rows); reference: {} ({} rows); p-value correction: {}.\n\n",
        escape_markdown(&report.current.source),
        report.current.rows,
        escape_markdown(&report.reference.source),
        report.reference.rows,
        report.correction.name()
    ));
    out.push_str("| column | kind | test | statistic | p-value | threshold | drift |\n");
    out.push_str("| --- | --- | --- | ---: | ---: | ---: | --- |\n");
    for column in &report.columns {
        let drift = if column.error.is_some() {
            "error"
        } else if column.drifted {
            "**DRIFT**"
        } else {
            "no"
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {drift} |\n",
            escape_markdown(&column.name),
            column.kind,
            escape_markdown(column.test.name()),
            fixed(column.statistic),
            fixed(column.p_value_adjusted),
            fixed(Some(column.threshold)),
        ));
    }

    multivariate_section(&mut out, report);

    let errors: Vec<_> = report
        .columns
        .iter()
        .filter_map(|c| c.error.as_deref().map(|e| (&c.name, e)))
        .collect();
    if !errors.is_empty() {
        out.push_str("\n### Columns that could not be tested\n\n");
        for (name, error) in errors {
            out.push_str(&format!(
                "- **{}**: {}\n",
                escape_markdown(name),
                escape_markdown(error)
            ));
        }
    }

    let mut quality = String::new();
    for column in &report.columns {
        let numeric = column.kind == drift_core::ColumnKind::Numeric;
        let findings = quality_findings(&column.quality, numeric);
        if !findings.is_empty() {
            let words: Vec<String> = findings
                .iter()
                .map(|f| f.describe(escape_markdown))
                .collect();
            quality.push_str(&format!(
                "- **{}**: {}\n",
                escape_markdown(&column.name),
                words.join("; ")
            ));
        }
    }
    if !quality.is_empty() {
        out.push_str("\n### Data quality\n\n");
        out.push_str(&quality);
    }

    if !report.unmatched_columns.is_empty() {
        out.push_str(&format!(
            "\n### Unmatched columns\n\n{} present on one side only, not compared:\n\n",
            columns(report.unmatched_columns.len())
        ));
        for unmatched in &report.unmatched_columns {
            out.push_str(&format!(
                "- **{}**: only in {}\n",
                escape_markdown(&unmatched.name),
                unmatched.present_in
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::example_report;

    #[test]
    fn names_cannot_break_the_table_or_add_markup() {
        let mut report = example_report(2);
        report.columns[0].name = "a|b *c* [x](y) <b>z</b> `q`\nline".into();
        let text = render_markdown(&report);
        let row = text
            .lines()
            .find(|l| l.starts_with("| a"))
            .expect("the row");
        assert!(
            row.starts_with(r"| a\|b \*c\* \[x\]\(y\) \<b\>z\</b\> \`q\` line |"),
            "{row}"
        );
        // every row has the header's 8 unescaped pipes
        for line in text.lines().filter(|l| l.starts_with('|')) {
            let unescaped = line
                .char_indices()
                .filter(|&(i, c)| c == '|' && (i == 0 || line.as_bytes()[i - 1] != b'\\'))
                .count();
            assert_eq!(unescaped, 8, "{line}");
        }
    }

    #[test]
    fn verdict_sections_and_findings() {
        let mut report = example_report(4);
        report
            .unmatched_columns
            .push(drift_core::report::UnmatchedColumn {
                name: "only_here".into(),
                present_in: "current".into(),
            });
        let text = render_markdown(&report);
        assert!(
            text.contains("**Dataset drift**: 1 of 3 columns drifted (share 0.33 ≥ threshold 0.30); 1 column could not be tested"),
            "{text}"
        );
        assert!(text.contains("| col\\_0 | numeric | ks |"), "{text}");
        assert!(text.contains("| **DRIFT** |"));
        assert!(text.contains("### Columns that could not be tested\n\n- **col\\_2**: "));
        assert!(text.contains("### Data quality"));
        assert!(
            text.contains("2 new categories: new\\_a, new\\_b"),
            "{text}"
        );
        assert!(text.contains("missing share +5 pp"), "{text}");
        assert!(text.contains("### Unmatched columns"));
        assert!(text.contains("- **only\\_here**: only in current"));

        assert!(!text.contains("Multivariate"));
        report.multivariate = Some(crate::multivariate::tests::example_section());
        let with = render_markdown(&report);
        assert!(
            with.contains("### Multivariate drift\n\n**Multivariate drift**: 3 encoded features from 2 columns, 300 reference and 200 current rows.\n"),
            "{with}"
        );
        assert!(
            with.contains("| mmd | MMD² | 0.0155 | 0.0000 | 0.0500 | **DRIFT** | exact (auto)"),
            "{with}"
        );
        assert!(
            with.contains("leading features: \\<color\\>=a 0.3"),
            "{with}"
        );
        // the section sits between the columns and the untested columns
        let at = |needle: &str| with.find(needle).expect(needle);
        assert!(
            at("| col\\_3 |") < at("### Multivariate")
                && at("### Multivariate") < at("### Columns that")
        );

        report.dataset_drift = false;
        report.drift_share_threshold = 0.5;
        assert!(render_markdown(&report).contains(
            "**No dataset drift**: 1 of 3 columns drifted (share 0.33 < threshold 0.50)"
        ));
    }
}
