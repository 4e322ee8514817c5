//! One self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

use std::fmt::Write as _;

use drift_core::summary::{ColumnSummary, Quality};
use drift_core::{ColumnDrift, ColumnKind, Correction, DriftReport};

use crate::markdown::quality_findings;
use crate::multivariate;
use crate::number::{fixed, significant};
use crate::plot::{chunk_plot, plot};
use crate::verdict::{columns, verdict};

/// Significant digits of summary statistics (means, quantiles) in the column cards.
const SUMMARY_DIGITS: usize = 6;

/// Most categories listed in a card's summary per side.
const TOP_LISTED: usize = 5;

/// `text` safe in HTML text and in quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root{--ref:#3b6fb6;--cur:#e8743b;--drift:#b3261e;--drift-bg:#fdecea;--ok:#1e6b3a;--ok-bg:#e8f5ec;--muted:#5f6368;--line:#dadce0}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#202124;background:#f6f7f9}
main{max-width:1240px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px}
.sources{color:var(--muted);margin:0 0 16px;overflow-wrap:anywhere}
.verdict{border-radius:8px;padding:14px 18px;border-left:8px solid}
.verdict.drift{background:var(--drift-bg);border-color:var(--drift);color:var(--drift)}
.verdict.calm{background:var(--ok-bg);border-color:var(--ok);color:var(--ok)}
.verdict .headline{font-size:24px;font-weight:700;margin:0}
.verdict .detail{font-size:15px;margin:2px 0 0;color:#202124}
table{border-collapse:collapse;background:#fff}
table.summary{width:100%;border:1px solid var(--line);border-radius:6px}
th,td{padding:5px 10px;text-align:left;border-bottom:1px solid #eceef1;vertical-align:top}
th{font-weight:600;background:#f1f3f4}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.drifted td{background:var(--drift-bg)}
tr.drifted td.flag{color:var(--drift);font-weight:700}
tr.error td{color:var(--muted)}
td.name a{color:inherit;text-decoration:none;border-bottom:1px dotted var(--muted);overflow-wrap:anywhere}
ul.plain{margin:4px 0;padding-left:20px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:16px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px;break-inside:avoid}
.card.drifted{border-color:var(--drift);box-shadow:inset 4px 0 0 var(--drift)}
.card h3{font-size:16px;margin:0;overflow-wrap:anywhere}
.card header{display:flex;justify-content:space-between;align-items:baseline;gap:12px}
.badge{font-size:12px;font-weight:700;padding:2px 8px;border-radius:10px;white-space:nowrap}
.badge.drift{background:var(--drift);color:#fff}
.badge.calm{background:var(--ok-bg);color:var(--ok)}
.badge.error{background:#eceef1;color:var(--muted)}
.facts{display:grid;grid-template-columns:repeat(4,auto);gap:2px 14px;margin:8px 0;font-size:13px;justify-content:start}
.facts dt{color:var(--muted)}
.facts dd{margin:0;font-variant-numeric:tabular-nums}
.err{background:#f1f3f4;border-radius:6px;padding:6px 10px;color:#3c4043;overflow-wrap:anywhere}
svg.plot{width:100%;height:auto;display:block;margin:6px 0}
svg.plot text{font-size:11px;fill:#5f6368}
svg.plot .legend text{font-size:12px;fill:#202124}
svg.plot .xl.other{font-style:italic}
svg.plot .yl{text-anchor:end}
svg.plot .grid{stroke:#eceef1}
svg.plot .axis{stroke:#80868b}
svg.plot .r{fill:var(--ref);fill-opacity:.55}
svg.plot .c{fill:var(--cur);fill-opacity:.55}
svg.bars .r,svg.bars .c{fill-opacity:.85}
table.sides{font-size:13px;width:100%}
table.sides th{background:none;color:var(--muted);font-weight:400}
.quality{font-size:13px;margin:6px 0 0}
.quality.none{color:var(--muted)}
svg.plot.chunks{max-width:620px}
svg.plot .thr{stroke:var(--drift);stroke-dasharray:5 3}
svg.plot .cl{fill:none;stroke:#80868b}
svg.plot .pr{fill:var(--ref)}
svg.plot .pc{fill:var(--cur)}
svg.plot .pa{fill:var(--drift)}
p.mv{margin:0 0 8px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
@media print{body{background:#fff}.card{box-shadow:none}}
"#;

/// The report as one self-contained HTML page: the verdict, a summary table, and a card per
/// column with its numbers and an SVG plot of both sides. Inline CSS only: no script, no
/// font, image or style sheet from elsewhere, so it opens anywhere, offline, and can be
/// attached to a CI run as it is.
pub fn render_html(report: &DriftReport) -> String {
    let mut out = String::with_capacity(64 * 1024 + report.columns.len() * 16 * 1024);
    let verdict = verdict(report);
    let title = format!(
        "Drift report: {} vs {}",
        report.current.source, report.reference.source
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape_html(&title)
    );
    let _ = write!(
        out,
        "<h1>Drift report</h1>\n<p class=\"sources\">Current <b>{}</b> ({} rows) against reference <b>{}</b> ({} rows)</p>\n",
        escape_html(&report.current.source),
        report.current.rows,
        escape_html(&report.reference.source),
        report.reference.rows
    );
    let _ = writeln!(
        out,
        "<section class=\"verdict {}\"><p class=\"headline\">{}</p><p class=\"detail\">{}{}</p></section>",
        if report.dataset_drift {
            "drift"
        } else {
            "calm"
        },
        verdict.headline,
        escape_html(&verdict.detail),
        match report.correction {
            Correction::None => String::new(),
            correction => format!("; p-values adjusted ({})", escape_html(correction.name())),
        }
    );
    summary_table(&mut out, report);
    multivariate_section(&mut out, report);
    if !report.unmatched_columns.is_empty() {
        let _ = write!(
            out,
            "<h2>Unmatched columns</h2>\n<p>{} present on one side only, not compared:</p>\n<ul class=\"plain\">",
            columns(report.unmatched_columns.len())
        );
        for unmatched in &report.unmatched_columns {
            let _ = write!(
                out,
                "<li><b>{}</b>: only in {}</li>",
                escape_html(&unmatched.name),
                escape_html(&unmatched.present_in)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Columns</h2>\n<div class=\"cards\">\n");
    for (column_idx, column) in report.columns.iter().enumerate() {
        card(&mut out, column_idx, column);
    }
    let _ = write!(
        out,
        "</div>\n<footer>Report schema version {}. Plots show each side's share of its own values; \
         hover a bar for its count.</footer>\n</main>\n</body>\n</html>\n",
        report.schema_version
    );
    out
}

/// `drift`, `calm` or `error`, and the word shown.
fn status(column: &ColumnDrift) -> (&'static str, &'static str) {
    if column.error.is_some() {
        ("error", "not tested")
    } else if column.drifted {
        ("drift", "DRIFT")
    } else {
        ("calm", "no drift")
    }
}

fn summary_table(out: &mut String, report: &DriftReport) {
    out.push_str(
        "<h2>Summary</h2>\n<table class=\"summary\">\n<thead><tr><th>column</th><th>kind</th><th>test</th>\
         <th class=\"num\">statistic</th><th class=\"num\">p-value</th><th class=\"num\">threshold</th>\
         <th>drift</th></tr></thead>\n<tbody>\n",
    );
    for (column_idx, column) in report.columns.iter().enumerate() {
        let row_class = match status(column).0 {
            "drift" => " class=\"drifted\"",
            "error" => " class=\"error\"",
            _ => "",
        };
        let flag = if column.error.is_some() {
            "error"
        } else if column.drifted {
            "DRIFT"
        } else {
            "no"
        };
        let _ = writeln!(
            out,
            "<tr{row_class}><td class=\"name\"><a href=\"#column-{column_idx}\">{}</a></td><td>{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"flag\">{flag}</td></tr>",
            escape_html(&column.name),
            column.kind,
            escape_html(column.test.name()),
            fixed(column.statistic),
            fixed(column.p_value_adjusted),
            fixed(Some(column.threshold)),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The whole-row tests, if any ran: their verdict, a table, and PCA's chunk errors.
fn multivariate_section(out: &mut String, report: &DriftReport) {
    let Some(section) = &report.multivariate else {
        return;
    };
    let (headline, detail) = multivariate::headline(section);
    let _ = write!(
        out,
        "<h2>Multivariate drift</h2>\n<p class=\"mv\"><b>{headline}</b>: {}.</p>\n\
         <table class=\"summary\">\n<thead><tr><th>test</th><th>statistic</th><th class=\"num\">value</th>\
         <th class=\"num\">p-value</th><th class=\"num\">threshold</th><th>drift</th><th>details</th></tr></thead>\n<tbody>\n",
        escape_html(&detail)
    );
    for test in multivariate::rows(section, escape_html) {
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"flag\">{}</td><td>{}</td></tr>",
            if test.drifted {
                " class=\"drifted\""
            } else {
                ""
            },
            test.method,
            test.statistic,
            test.value,
            test.p_value,
            test.threshold,
            if test.drifted { "DRIFT" } else { "no" },
            test.details,
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if let Some(pca) = &section.pca {
        out.push_str(&chunk_plot(pca, "pca-chunks"));
        out.push('\n');
    }
}

fn fact(out: &mut String, term: &str, value: &str) {
    let _ = write!(out, "<dt>{term}</dt><dd>{value}</dd>");
}

fn card(out: &mut String, column_idx: usize, column: &ColumnDrift) {
    let (class, word) = status(column);
    let _ = write!(
        out,
        "<article class=\"card{}\" id=\"column-{column_idx}\">\n<header><h3>{}</h3><span class=\"badge {class}\">{word}</span></header>\n",
        if class == "drift" { " drifted" } else { "" },
        escape_html(&column.name)
    );
    out.push_str("<dl class=\"facts\">");
    fact(
        out,
        "test",
        &format!(
            "{} ({})",
            escape_html(column.test.name()),
            escape_html(&column.test_selection)
        ),
    );
    fact(out, "kind", &column.kind.to_string());
    fact(out, "statistic", &fixed(column.statistic));
    fact(out, "threshold", &fixed(Some(column.threshold)));
    // distance tests have no p-value: leave the line out rather than show a dash
    if column.p_value.is_some() {
        fact(out, "p-value", &fixed(column.p_value));
    }
    if column.p_value_adjusted != column.p_value {
        fact(out, "adjusted p", &fixed(column.p_value_adjusted));
    }
    if let Some(method) = &column.method {
        fact(out, "method", &escape_html(method));
    }
    out.push_str("</dl>\n");
    if let Some(error) = &column.error {
        let _ = writeln!(out, "<p class=\"err\">{}</p>", escape_html(error));
    }
    out.push_str(&plot(
        &column.distribution,
        &column.name,
        &format!("plot-{column_idx}"),
    ));
    out.push('\n');
    sides(out, &column.reference, &column.current);
    quality(out, &column.quality, column.kind);
    out.push_str("</article>\n");
}

/// A number of a summary, `-` when absent.
fn stat(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| significant(v, SUMMARY_DIGITS))
}

fn sides(out: &mut String, reference: &ColumnSummary, current: &ColumnSummary) {
    out.push_str("<table class=\"sides\"><thead><tr><th></th><th class=\"num\">reference</th><th class=\"num\">current</th></tr></thead><tbody>");
    let mut row = |name: &str, r: String, c: String| {
        let _ = write!(
            out,
            "<tr><th>{name}</th><td class=\"num\">{r}</td><td class=\"num\">{c}</td></tr>"
        );
    };
    match (reference, current) {
        (ColumnSummary::Numeric(r), ColumnSummary::Numeric(c)) => {
            row("values", r.count.to_string(), c.count.to_string());
            row("missing", r.missing.to_string(), c.missing.to_string());
            if r.non_finite + c.non_finite > 0 {
                row(
                    "NaN or infinite",
                    r.non_finite.to_string(),
                    c.non_finite.to_string(),
                );
            }
            row("distinct", r.unique.to_string(), c.unique.to_string());
            row("mean", stat(r.mean), stat(c.mean));
            row("std", stat(r.std), stat(c.std));
            row("min", stat(r.min), stat(c.min));
            let quartile =
                |q: Option<drift_core::summary::Quartiles>, pick: fn(_) -> f64| stat(q.map(pick));
            row(
                "25%",
                quartile(r.quantiles, |q| q.p25),
                quartile(c.quantiles, |q| q.p25),
            );
            row(
                "median",
                quartile(r.quantiles, |q| q.p50),
                quartile(c.quantiles, |q| q.p50),
            );
            row(
                "75%",
                quartile(r.quantiles, |q| q.p75),
                quartile(c.quantiles, |q| q.p75),
            );
            row("max", stat(r.max), stat(c.max));
        }
        (ColumnSummary::Categorical(r), ColumnSummary::Categorical(c)) => {
            row("values", r.count.to_string(), c.count.to_string());
            row("missing", r.missing.to_string(), c.missing.to_string());
            row("distinct", r.unique.to_string(), c.unique.to_string());
            let top = |s: &drift_core::summary::CategoricalSummary| {
                s.top
                    .iter()
                    .take(TOP_LISTED)
                    .map(|t| format!("{} ({})", escape_html(&t.value), t.count))
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            row("most frequent", top(r), top(c));
        }
        // the two sides of a column always have one kind; show nothing rather than guess
        _ => {}
    }
    out.push_str("</tbody></table>\n");
}

fn quality(out: &mut String, quality: &Quality, kind: ColumnKind) {
    let findings = quality_findings(quality, kind == ColumnKind::Numeric);
    if findings.is_empty() {
        out.push_str("<p class=\"quality none\">Quality: no finding.</p>\n");
        return;
    }
    out.push_str("<p class=\"quality\"><b>Quality:</b> ");
    let words: Vec<String> = findings.iter().map(|f| f.describe(escape_html)).collect();
    out.push_str(&words.join("; "));
    out.push_str(".</p>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::example_report;

    #[test]
    fn user_strings_are_escaped() {
        let mut report = example_report(2);
        report.columns[0].name = "<script>alert(1)</script>".into();
        report.current.source = "a&b\".csv".into();
        if let drift_core::summary::Distribution::Categories { categories, .. } =
            &mut report.columns[1].distribution
        {
            categories[0] = "<img src=x onerror=alert(2)>".into();
        }
        report.columns[1].quality.new_categories = vec!["<b>new</b>".into()];
        let html = render_html(&report);
        assert!(
            !html.contains("<script"),
            "a script element slipped through"
        );
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>new</b>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
        assert!(html.contains("<title>Drift report: a&amp;b&quot;.csv vs reference.csv</title>"));
    }

    #[test]
    fn every_column_gets_a_card_and_a_plot() {
        let report = example_report(7);
        let html = render_html(&report);
        assert_eq!(html.matches("<svg").count(), 7);
        assert_eq!(html.matches("<article").count(), 7);
        for idx in 0..7 {
            assert!(html.contains(&format!("aria-labelledby=\"plot-{idx}\"")));
            assert!(html.contains(&format!("id=\"column-{idx}\"")));
        }
        assert!(html.contains("<p class=\"headline\">Dataset drift</p>"));
        assert_eq!(html.matches("<tr class=\"drifted\">").count(), 2);
    }

    #[test]
    fn the_multivariate_section_has_a_table_and_a_chunk_plot() {
        let mut report = example_report(2);
        let without = render_html(&report);
        assert!(!without.contains("Multivariate"));
        report.multivariate = Some(crate::multivariate::tests::example_section());
        let html = render_html(&report);
        let at = |needle: &str| html.find(needle).expect(needle);
        assert!(at("<h2>Summary</h2>") < at("<h2>Multivariate drift</h2>"));
        assert!(at("<h2>Multivariate drift</h2>") < at("<h2>Columns</h2>"));
        assert!(html.contains("<p class=\"mv\"><b>Multivariate drift</b>: 3 encoded features"));
        assert!(html.contains(
            "<tr class=\"drifted\"><td>mmd</td><td>MMD²</td><td class=\"num\">0.0155</td>"
        ));
        assert!(
            html.contains("leading features: &lt;color&gt;=a 0.3"),
            "{html}"
        );
        assert!(!html.contains("<color>"));
        // 6 reference and 4 current chunks, the last 2 alerting, and 2 threshold lines
        assert_eq!(html.matches("<circle class=\"pr\"").count(), 6);
        assert_eq!(html.matches("<circle class=\"pc\"").count(), 2);
        assert_eq!(html.matches("<circle class=\"pa\"").count(), 2);
        assert_eq!(
            html.matches("<line class=\"thr\"").count(),
            3,
            "two thresholds and the legend"
        );
        assert_eq!(html.matches("<svg").count(), 3);
        let lowered = html.to_lowercase();
        for needle in ["<script", "http:", "https:", "src=", "<link", "url("] {
            assert!(!lowered.contains(needle), "found {needle}");
        }
    }

    #[test]
    fn nothing_is_fetched_and_nothing_runs() {
        let html = render_html(&example_report(4)).to_lowercase();
        for needle in [
            "<script", "http:", "https:", "src=", "<link", "@import", "url(",
        ] {
            assert!(!html.contains(needle), "found {needle}");
        }
    }

    #[test]
    fn twenty_columns_stay_well_under_a_megabyte() {
        let report = example_report(20);
        let html = render_html(&report);
        assert!(
            report.columns.iter().any(|c| matches!(
                &c.distribution,
                drift_core::summary::Distribution::Histogram { edges, .. } if edges.len() == 31
            )),
            "the fixture has 30-bin histograms"
        );
        assert!(report.columns.iter().any(|c| matches!(
            &c.distribution,
            drift_core::summary::Distribution::Categories { categories, .. } if categories.len() == 20
        )));
        assert!(html.len() < 400 * 1024, "{} bytes", html.len());
    }
}
