//! Inline SVG plots of a column's two sides: overlaid histograms on shared bins, or bars
//! side by side per category; both sides as shares, so that samples of different sizes
//! compare.

use std::fmt::Write as _;

use drift_core::multivariate::PcaSection;
use drift_core::summary::Distribution;

use crate::html::escape_html;
use crate::number::{percent, significant};

const WIDTH: f64 = 520.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 30.0;
/// Height of the plotting area (between the legend and the x axis).
const PLOT_HEIGHT: f64 = 170.0;
/// Room under the x axis for tick labels.
const HISTOGRAM_BOTTOM: f64 = 40.0;
/// Longest category label drawn in full; longer ones are cut (the bar's tooltip has it all).
const LABEL_CHARS: usize = 16;
/// Significant digits of numbers in plots.
const DIGITS: usize = 4;

/// An SVG coordinate: one decimal is a tenth of a pixel, plenty.
fn at(v: f64) -> String {
    format!("{v:.1}")
}

/// A step of 1, 2, 2.5 or 5 times a power of ten that cuts `span` into about `target` parts.
fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 2.5 {
        2.5
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// Round values on a nice step within `[lo, hi]` (about `target` of them).
fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return vec![lo];
    }
    let step = nice_step(span, target);
    let first = (lo / step).ceil();
    (0..)
        .map(|i| (first + f64::from(i)) * step)
        .take_while(|&v| v <= hi + step * 1e-9)
        .take(4 * target + 2)
        .collect()
}

fn total(counts: &[u64], other: u64) -> u64 {
    counts.iter().sum::<u64>() + other
}

fn share(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 / total as f64
    }
}

/// The y scale's top (a tick value at or above `max_share`) and its ticks.
fn share_axis(max_share: f64) -> (f64, Vec<f64>) {
    if max_share <= 0.0 || !max_share.is_finite() {
        return (1.0, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    }
    let step = nice_step(max_share, 4);
    let top = (max_share / step - 1e-9).ceil() * step;
    (top, ticks(0.0, top, 4))
}

struct Frame {
    /// `histogram` or `bars`, beside `plot`.
    class: &'static str,
    height: f64,
    bottom: f64,
    y_top: f64,
}

impl Frame {
    fn new(class: &'static str, bottom: f64, max_share: f64) -> (Frame, Vec<f64>) {
        let (y_top, y_ticks) = share_axis(max_share);
        (
            Frame {
                class,
                height: TOP + PLOT_HEIGHT + bottom,
                bottom,
                y_top,
            },
            y_ticks,
        )
    }

    fn axis_y(&self) -> f64 {
        self.height - self.bottom
    }

    fn y(&self, share: f64) -> f64 {
        self.axis_y() - share / self.y_top * PLOT_HEIGHT
    }

    /// Opens the SVG with its accessible title, the share grid and the legend.
    fn open(&self, out: &mut String, id: &str, title: &str, y_ticks: &[f64], sizes: (u64, u64)) {
        let _ = write!(
            out,
            r#"<svg class="plot {}" viewBox="0 0 {WIDTH} {}" role="img" aria-labelledby="{id}"><title id="{id}">{}</title>"#,
            self.class,
            self.height,
            escape_html(title)
        );
        for &tick in y_ticks {
            let y = at(self.y(tick));
            let _ = write!(
                out,
                r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}"/><text class="yl" x="{}" y="{y}" dy="3.5">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                percent(tick)
            );
        }
        let _ = write!(
            out,
            r#"<text class="yl" transform="translate(12 {}) rotate(-90)" text-anchor="middle">share of values</text>"#,
            at(TOP + PLOT_HEIGHT / 2.0)
        );
        let (reference, current) = sizes;
        let _ = write!(
            out,
            r#"<g class="legend"><rect class="r" x="{LEFT}" y="6" width="12" height="12"/><text x="{}" y="16">reference ({reference} values)</text><rect class="c" x="{}" y="6" width="12" height="12"/><text x="{}" y="16">current ({current} values)</text></g>"#,
            LEFT + 17.0,
            LEFT + 200.0,
            LEFT + 217.0
        );
    }

    fn close(&self, out: &mut String) {
        let y = at(self.axis_y());
        let _ = write!(
            out,
            r#"<line class="axis" x1="{LEFT}" x2="{}" y1="{y}" y2="{y}"/></svg>"#,
            WIDTH - RIGHT
        );
    }
}

/// A bar with its tooltip.
fn bar(out: &mut String, class: &str, x: f64, width: f64, y: f64, base: f64, tip: &str) {
    let _ = write!(
        out,
        r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
        at(x),
        at(y),
        at(width),
        at(base - y),
        escape_html(tip)
    );
}

/// PCA's chunk errors as one `<svg>` element: the reference chunks then the current ones,
/// joined by a line, alerts in the drift colour, and the thresholds as dashed lines; `id`
/// names its title.
pub(crate) fn chunk_plot(pca: &PcaSection, id: &str) -> String {
    let errors: Vec<(f64, &str)> = pca
        .reference_errors
        .iter()
        .map(|&e| (e, "pr"))
        .chain(
            pca.chunks
                .iter()
                .map(|c| (c.error, if c.alert { "pa" } else { "pc" })),
        )
        .collect();
    let values = errors
        .iter()
        .map(|e| e.0)
        .chain([pca.lower, pca.upper])
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo < hi {
        (lo, hi)
    } else {
        (lo - 1.0, lo + 1.0)
    };
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = ((lo - pad).max(0.0), hi + pad);
    let bottom = TOP + PLOT_HEIGHT;
    let height = bottom + 28.0;
    let y = |v: f64| bottom - (v - lo) / (hi - lo) * PLOT_HEIGHT;
    let step = (WIDTH - LEFT - RIGHT) / errors.len().max(1) as f64;
    let x = |i: usize| LEFT + step * (i as f64 + 0.5);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="plot chunks" viewBox="0 0 {WIDTH} {}" role="img" aria-labelledby="{id}"><title id="{id}">PCA reconstruction error per chunk: {} reference and {} current chunks, thresholds {} and {}</title>"#,
        at(height),
        pca.reference_errors.len(),
        pca.chunks.len(),
        significant(pca.lower, DIGITS),
        significant(pca.upper, DIGITS),
    );
    for tick in ticks(lo, hi, 4) {
        let ty = at(y(tick));
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{ty}" y2="{ty}"/><text class="yl" x="{}" y="{ty}" dy="3.5">{}</text>"#,
            at(WIDTH - RIGHT),
            at(LEFT - 6.0),
            significant(tick, DIGITS),
        );
    }
    let _ = write!(
        out,
        r#"<g class="legend"><rect class="r" x="{LEFT}" y="6" width="12" height="12"/><text x="{}" y="16">reference chunks</text><rect class="c" x="{}" y="6" width="12" height="12"/><text x="{}" y="16">current chunks</text><line class="thr" x1="{}" x2="{}" y1="12" y2="12"/><text x="{}" y="16">thresholds</text></g>"#,
        at(LEFT + 16.0),
        at(LEFT + 140.0),
        at(LEFT + 156.0),
        at(LEFT + 270.0),
        at(LEFT + 290.0),
        at(LEFT + 296.0),
    );
    for threshold in [pca.lower, pca.upper] {
        let ty = at(y(threshold));
        let _ = write!(
            out,
            r#"<line class="thr" x1="{LEFT}" x2="{}" y1="{ty}" y2="{ty}"/>"#,
            at(WIDTH - RIGHT)
        );
    }
    let split = at(LEFT + step * pca.reference_errors.len() as f64);
    let _ = write!(
        out,
        r#"<line class="axis" x1="{split}" x2="{split}" y1="{TOP}" y2="{}"/>"#,
        at(bottom)
    );
    let points: Vec<String> = errors
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{},{}", at(x(i)), at(y(e.0))))
        .collect();
    let _ = write!(
        out,
        r#"<polyline class="cl" points="{}"/>"#,
        points.join(" ")
    );
    for (i, (error, class)) in errors.iter().enumerate() {
        let side = if *class == "pr" {
            "reference"
        } else {
            "current"
        };
        let chunk = if *class == "pr" {
            i
        } else {
            i - pca.reference_errors.len()
        };
        let _ = write!(
            out,
            r#"<circle class="{class}" cx="{}" cy="{}" r="3.5"><title>{side} chunk {}: {}</title></circle>"#,
            at(x(i)),
            at(y(*error)),
            chunk + 1,
            significant(*error, DIGITS),
        );
    }
    let _ = write!(
        out,
        r#"<line class="axis" x1="{LEFT}" x2="{}" y1="{}" y2="{}"/><text class="xl" x="{}" y="{}" text-anchor="middle">chunks in order (reference, then current)</text></svg>"#,
        at(WIDTH - RIGHT),
        at(bottom),
        at(bottom),
        at((LEFT + WIDTH - RIGHT) / 2.0),
        at(bottom + 18.0),
    );
    out
}

/// The plot of a column's distribution as one `<svg>` element; `id` names its title for
/// `aria-labelledby` and must be unique in the page.
pub(crate) fn plot(distribution: &Distribution, name: &str, id: &str) -> String {
    match distribution {
        Distribution::Histogram {
            edges,
            reference,
            current,
        } => histogram(name, id, edges, reference, current),
        Distribution::Categories {
            categories,
            reference,
            current,
            other_reference,
            other_current,
        } => {
            let mut labels: Vec<(&str, u64, u64)> = categories
                .iter()
                .zip(reference.iter().zip(current))
                .map(|(label, (&r, &c))| (label.as_str(), r, c))
                .collect();
            let other = *other_reference + *other_current > 0;
            if other {
                labels.push(("other", *other_reference, *other_current));
            }
            let sizes = (
                total(reference, *other_reference),
                total(current, *other_current),
            );
            bars(name, id, &labels, other, sizes)
        }
    }
}

fn empty(name: &str, id: &str) -> String {
    let mut out = String::new();
    let (frame, _) = Frame::new("empty", HISTOGRAM_BOTTOM, 0.0);
    let _ = write!(
        out,
        r#"<svg class="plot" viewBox="0 0 {WIDTH} {}" role="img" aria-labelledby="{id}"><title id="{id}">{}: no values to plot</title><text class="empty" x="{}" y="{}" text-anchor="middle">no values to plot</text></svg>"#,
        frame.height,
        escape_html(name),
        WIDTH / 2.0,
        frame.height / 2.0
    );
    out
}

fn histogram(name: &str, id: &str, edges: &[f64], reference: &[u64], current: &[u64]) -> String {
    let n_bins = reference.len().min(current.len());
    let sizes = (total(reference, 0), total(current, 0));
    if edges.len() != n_bins + 1 || n_bins == 0 || sizes == (0, 0) {
        return empty(name, id);
    }
    let (lo, hi) = (edges[0], edges[n_bins]);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let x = |v: f64| LEFT + (v - lo) / span * (WIDTH - LEFT - RIGHT);
    let shares = |counts: &[u64], size: u64| -> Vec<f64> {
        counts.iter().map(|&n| share(n, size)).collect()
    };
    let (reference_shares, current_shares) = (shares(reference, sizes.0), shares(current, sizes.1));
    let max_share = reference_shares
        .iter()
        .chain(&current_shares)
        .copied()
        .fold(0.0, f64::max);
    let (frame, y_ticks) = Frame::new("histogram", HISTOGRAM_BOTTOM, max_share);
    let title = format!(
        "{name}: share of reference and current values in {n_bins} shared bins from {} to {}",
        significant(lo, DIGITS),
        significant(hi, DIGITS)
    );
    let mut out = String::with_capacity(8 * 1024);
    frame.open(&mut out, id, &title, &y_ticks, sizes);
    let base = frame.axis_y();
    for (side, class, counts, side_shares) in [
        ("reference", "r", reference, &reference_shares),
        ("current", "c", current, &current_shares),
    ] {
        for bin_idx in 0..n_bins {
            if counts[bin_idx] == 0 {
                continue;
            }
            let (left, right) = (edges[bin_idx], edges[bin_idx + 1]);
            let tip = format!(
                "{side}, [{}, {}{}: {} ({} values)",
                significant(left, DIGITS),
                significant(right, DIGITS),
                if bin_idx + 1 == n_bins { "]" } else { ")" },
                percent(side_shares[bin_idx]),
                counts[bin_idx]
            );
            let (x0, x1) = (x(left), x(right));
            bar(
                &mut out,
                class,
                x0,
                x1 - x0,
                frame.y(side_shares[bin_idx]),
                base,
                &tip,
            );
        }
    }
    for tick in ticks(lo, hi, 5) {
        let tx = at(x(tick));
        let _ = write!(
            out,
            r#"<line class="axis" x1="{tx}" x2="{tx}" y1="{}" y2="{}"/><text class="xl" x="{tx}" y="{}" text-anchor="middle">{}</text>"#,
            at(base),
            at(base + 4.0),
            at(base + 16.0),
            significant(tick, DIGITS)
        );
    }
    frame.close(&mut out);
    out
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let mut short: String = label.chars().take(LABEL_CHARS - 1).collect();
        short.push('…');
        short
    }
}

fn bars(
    name: &str,
    id: &str,
    groups: &[(&str, u64, u64)],
    other: bool,
    sizes: (u64, u64),
) -> String {
    if groups.is_empty() || sizes == (0, 0) {
        return empty(name, id);
    }
    let max_share = groups
        .iter()
        .flat_map(|&(_, r, c)| [share(r, sizes.0), share(c, sizes.1)])
        .fold(0.0, f64::max);
    // room for the longest slanted label: about 4.5 px of height a character at 40°
    let longest = groups
        .iter()
        .map(|&(label, _, _)| label.chars().count().min(LABEL_CHARS))
        .max()
        .unwrap_or(0)
        .max(5);
    let bottom = 22.0 + 4.5 * longest as f64;
    let (frame, y_ticks) = Frame::new("bars", bottom, max_share);
    let title = format!(
        "{name}: share of reference and current values in {} categories{}",
        groups.len() - usize::from(other),
        if other {
            " and the other ones together"
        } else {
            ""
        }
    );
    let mut out = String::with_capacity(8 * 1024);
    frame.open(&mut out, id, &title, &y_ticks, sizes);
    let base = frame.axis_y();
    let group_width = (WIDTH - LEFT - RIGHT) / groups.len() as f64;
    let bar_width = group_width * 0.4;
    for (group_idx, &(label, r, c)) in groups.iter().enumerate() {
        let is_other = other && group_idx + 1 == groups.len();
        let shown = if is_other {
            "(other categories)"
        } else {
            label
        };
        let left = LEFT + group_idx as f64 * group_width + group_width * 0.1;
        for (offset, side, class, count, size) in [
            (0.0, "reference", "r", r, sizes.0),
            (bar_width, "current", "c", c, sizes.1),
        ] {
            let s = share(count, size);
            let tip = format!("{side}, {shown}: {} ({count} values)", percent(s));
            bar(
                &mut out,
                class,
                left + offset,
                bar_width,
                frame.y(s),
                base,
                &tip,
            );
        }
        let center = at(left + bar_width);
        let _ = write!(
            out,
            r#"<text class="xl{}" transform="translate({center} {}) rotate(-40)" text-anchor="end">{}</text>"#,
            if is_other { " other" } else { "" },
            at(base + 12.0),
            escape_html(&if is_other {
                "other".to_owned()
            } else {
                shorten(label)
            })
        );
    }
    frame.close(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(ticks(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let t = ticks(13.0, 97.0, 5);
        assert_eq!(t, vec![20.0, 40.0, 60.0, 80.0]);
        let (top, t) = share_axis(0.137);
        assert!((top - 0.15).abs() < 1e-12, "{top}");
        assert_eq!(t.len(), 4);
        assert_eq!(ticks(5.0, 5.0, 5), vec![5.0]);
    }

    #[test]
    fn histogram_draws_both_sides_as_shares() {
        let svg = plot(
            &Distribution::Histogram {
                edges: vec![0.0, 1.0, 2.0],
                reference: vec![10, 30],
                current: vec![1, 1],
            },
            "x",
            "p0",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-labelledby="p0"><title id="p0">"#));
        assert!(svg.contains("reference, [1, 2]: 75% (30 values)"), "{svg}");
        assert!(svg.contains("current, [0, 1): 50% (1 values)"), "{svg}");
        assert!(svg.contains("reference (40 values)") && svg.contains("current (2 values)"));
    }

    #[test]
    fn categories_add_other_only_when_present() {
        let categories = |other| Distribution::Categories {
            categories: vec!["a".into(), "a very long category name".into()],
            reference: vec![1, 2],
            current: vec![2, 1],
            other_reference: other,
            other_current: 0,
        };
        let svg = plot(&categories(0), "x", "p1");
        assert!(!svg.contains("other"), "{svg}");
        assert!(svg.contains(">a very long cat…</text>"), "{svg}");
        assert!(svg.contains("reference, a very long category name: 66.67% (2 values)"));
        let svg = plot(&categories(3), "x", "p1");
        assert!(
            svg.contains("reference, (other categories): 50% (3 values)"),
            "{svg}"
        );
    }

    #[test]
    fn nothing_to_plot_is_said() {
        let svg = plot(
            &Distribution::Histogram {
                edges: vec![],
                reference: vec![],
                current: vec![],
            },
            "x",
            "p2",
        );
        assert!(svg.contains("no values to plot") && svg.starts_with("<svg"));
    }
}
