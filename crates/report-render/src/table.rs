//! The aligned plain-text table for terminals, with optional ANSI highlighting.

use drift_core::DriftReport;

use crate::multivariate;
use crate::number::fixed;

/// How the terminal table is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStyle {
    /// Highlight with ANSI escapes: drifted rows and the dataset-drift verdict bold red,
    /// columns that could not be tested dim. Off by default; the caller decides (the
    /// `monitor` binary turns it on for a terminal unless `NO_COLOR` is set).
    pub color: bool,
}

const BOLD_RED: &str = "\x1b[1;31m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Control characters in user strings shown escaped, so that a column name cannot drive
/// the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

fn paint(text: String, code: &str, style: TableStyle) -> String {
    if style.color {
        format!("{code}{text}{RESET}")
    } else {
        text
    }
}

/// Left-aligned text cells and right-aligned numbers, two spaces apart, in columns as wide
/// as their widest cell.
fn align<const N: usize>(
    header: [&str; N],
    rows: &[[String; N]],
    numbers: &[usize],
) -> Vec<String> {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if numbers.contains(&i) {
                out.push_str(&format!("{cell:>w$}  "));
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_owned()
    };
    std::iter::once(line(&header.map(String::from)))
        .chain(rows.iter().map(|row| line(row)))
        .collect()
}

/// The whole-row tests: a headline, a row per test and a line of details each.
fn multivariate_table(out: &mut String, report: &DriftReport, style: TableStyle) {
    let Some(section) = &report.multivariate else {
        return;
    };
    let (headline, detail) = multivariate::headline(section);
    let headline = if section.drifted {
        paint(headline.to_uppercase(), BOLD_RED, style)
    } else {
        headline.to_lowercase()
    };
    out.push_str(&format!("\n{headline} ({})\n", printable(&detail)));
    let tests = multivariate::rows(section, printable);
    let rows: Vec<[String; 6]> = tests
        .iter()
        .map(|t| {
            [
                t.method.to_owned(),
                t.statistic.to_owned(),
                t.value.clone(),
                t.p_value.clone(),
                t.threshold.clone(),
                if t.drifted { "DRIFT" } else { "no" }.to_owned(),
            ]
        })
        .collect();
    let header = [
        "test",
        "statistic",
        "value",
        "p-value",
        "threshold",
        "drift",
    ];
    let lines = align(header, &rows, &[2, 3, 4]);
    out.push_str(&lines[0]);
    out.push('\n');
    for (line, test) in lines[1..].iter().zip(&tests) {
        let line = if test.drifted {
            paint(line.clone(), BOLD_RED, style)
        } else {
            line.clone()
        };
        out.push_str(&line);
        out.push('\n');
    }
    for test in &tests {
        out.push_str(&format!("{}: {}\n", test.method, test.details));
    }
}

/// The report as aligned columns (name, kind, test, statistic, p-value, threshold, drift)
/// followed by the verdict, the columns that could not be tested, the unmatched columns
/// and the whole-row tests, if any ran.
pub fn render_table(report: &DriftReport, style: TableStyle) -> String {
    let header = [
        "column",
        "kind",
        "test",
        "statistic",
        "p-value",
        "threshold",
        "drift",
    ];
    let rows: Vec<[String; 7]> = report
        .columns
        .iter()
        .map(|c| {
            [
                printable(&c.name),
                c.kind.to_string(),
                c.test.name().to_owned(),
                fixed(c.statistic),
                fixed(c.p_value_adjusted),
                fixed(Some(c.threshold)),
                if c.error.is_some() {
                    "error".into()
                } else if c.drifted {
                    "DRIFT".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // text left, numbers right
            if (3..=5).contains(&i) {
                out.push_str(&format!("{cell:>w$}  "));
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_owned()
    };
    let mut out = line(&header.map(String::from)) + "\n";
    for (row, column) in rows.iter().zip(&report.columns) {
        let text = line(row);
        let text = if column.error.is_some() {
            paint(text, DIM, style)
        } else if column.drifted {
            paint(text, BOLD_RED, style)
        } else {
            text
        };
        out.push_str(&text);
        out.push('\n');
    }
    out.push('\n');
    let verdict = if report.dataset_drift {
        paint("DATASET DRIFT".into(), BOLD_RED, style)
    } else {
        "no dataset drift".into()
    };
    out.push_str(&format!(
        "{} of {} columns drifted (share {:.2}, threshold {:.2}): {verdict}\n",
        report.n_drifted,
        report.n_columns - report.n_errors,
        report.drift_share,
        report.drift_share_threshold,
    ));
    for error in report.columns.iter().filter_map(|c| c.error.as_deref()) {
        out.push_str(&paint(
            format!("not computed: {}", printable(error)),
            DIM,
            style,
        ));
        out.push('\n');
    }
    for unmatched in &report.unmatched_columns {
        out.push_str(&format!(
            "only in {}: {}\n",
            unmatched.present_in,
            printable(&unmatched.name)
        ));
    }
    multivariate_table(&mut out, report, style);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::example_report;

    #[test]
    fn color_only_when_asked() {
        let report = example_report(4);
        let plain = render_table(&report, TableStyle { color: false });
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(plain.starts_with("column"));
        let colored = render_table(&report, TableStyle { color: true });
        let drift_line = colored
            .lines()
            .find(|l| l.contains("DRIFT") && l.contains("col_0"))
            .expect("a drifted row");
        assert!(
            drift_line.starts_with(BOLD_RED) && drift_line.ends_with(RESET),
            "{drift_line:?}"
        );
        let error_line = colored
            .lines()
            .find(|l| l.contains("error") && !l.contains("not computed"))
            .expect("an error row");
        assert!(error_line.starts_with(DIM), "{error_line:?}");
        let calm_line = colored
            .lines()
            .find(|l| l.ends_with(" no"))
            .expect("a row without drift");
        assert!(!calm_line.contains('\x1b'), "{calm_line:?}");
        // colour changes no alignment: strip it and the tables agree
        let stripped = colored
            .replace(BOLD_RED, "")
            .replace(DIM, "")
            .replace(RESET, "");
        assert_eq!(stripped, plain);
    }

    #[test]
    fn the_multivariate_section_follows_the_columns() {
        let mut report = example_report(2);
        let without = render_table(&report, TableStyle::default());
        assert!(!without.contains("multivariate"));
        report.multivariate = Some(crate::multivariate::tests::example_section());
        let text = render_table(&report, TableStyle::default());
        assert!(text.starts_with(&without), "{text}");
        let section = &text[without.len()..];
        assert!(
            section.starts_with("\nMULTIVARIATE DRIFT (3 encoded features from 2 columns"),
            "{section}"
        );
        assert!(section.contains("\ntest        statistic"), "{section}");
        assert!(section.contains("\nmmd         MMD²"), "{section}");
        assert!(section.contains("0.5000..1.3000  DRIFT\n"), "{section}");
        assert!(section.contains("\nclassifier: logistic regression, 5 folds"));
        let colored = render_table(&report, TableStyle { color: true });
        assert!(colored.contains(&format!("{BOLD_RED}mmd ")), "{colored}");
    }

    #[test]
    fn control_characters_in_names_are_shown_escaped() {
        let mut report = example_report(1);
        report.columns[0].name = "evil\x1b[2Jname".into();
        let text = render_table(&report, TableStyle::default());
        assert!(!text.contains('\x1b'));
        assert!(text.contains("evil\\u{1b}[2Jname"), "{text}");
    }
}
