//! Reading a policy file: TOML into raw structs with spans, then validated into [`Policy`].
//!
//! Every error, syntactic or semantic, is located: the key's dotted path is recovered from
//! the byte offset by walking toml's spanned document, and the offset becomes a line and a
//! column.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    Budget, CircuitBreaker, Combination, CombineMode, Comparison, FreezeKind, FreezeWindow,
    Guardrails, Metric, Policy, RateLimit, Rule, RuleKind, Threshold,
};
use crate::error::PolicyError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: Option<String>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<RawRule>>,
    trigger: Option<Spanned<RawTrigger>>,
    guardrails: Option<RawGuardrails>,
}

type Names = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    signal: Option<Spanned<String>>,
    all: Option<Names>,
    any: Option<Names>,
    above: Option<Spanned<f64>>,
    below: Option<Spanned<f64>>,
    worse_than_baseline_by: Option<Spanned<f64>>,
    worse_than_baseline_ratio: Option<Spanned<f64>>,
    features: Option<Spanned<Vec<String>>>,
    min_score: Option<Spanned<f64>>,
    min_features: Option<Spanned<i64>>,
    detectors: Option<Spanned<Vec<String>>>,
    min_alarms: Option<Spanned<i64>>,
    hold_for: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    all: Option<Names>,
    any: Option<Names>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuardrails {
    time_zone: Option<Spanned<String>>,
    hysteresis: Option<Spanned<i64>>,
    min_new_samples: Option<Spanned<i64>>,
    min_label_completeness: Option<Spanned<f64>>,
    cooldown: Option<Spanned<toml::Value>>,
    rate_limit: Option<Spanned<RawRateLimit>>,
    #[serde(default)]
    freeze: Vec<Spanned<RawFreeze>>,
    budget: Option<Spanned<RawBudget>>,
    circuit_breaker: Option<Spanned<RawCircuitBreaker>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    max_retrains: Spanned<i64>,
    window: Spanned<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFreeze {
    reason: Option<String>,
    time_zone: Option<Spanned<String>>,
    from: Option<Spanned<toml::Value>>,
    to: Option<Spanned<toml::Value>>,
    days: Option<Spanned<Vec<Spanned<String>>>>,
    start: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    cost_per_run: Spanned<f64>,
    monthly_cap: Spanned<f64>,
    time_zone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCircuitBreaker {
    max_failed_canaries: Spanned<i64>,
}

/// The text and its spanned document, to turn byte offsets into keys, lines and columns.
struct Source<'a> {
    text: &'a str,
    doc: Spanned<DeTable<'a>>,
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn contains(span: &Range<usize>, pos: usize) -> bool {
    span.start <= pos && pos < span.end.max(span.start + 1)
}

/// The deepest key whose key or value covers `pos`: (depth, dotted path).
fn walk_table(
    table: &DeTable<'_>,
    pos: usize,
    prefix: &str,
    depth: usize,
    best: &mut Option<(usize, String)>,
) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        if contains(&key.span(), pos) || contains(&value.span(), pos) {
            record(best, depth, &path);
        }
        walk_value(value, pos, &path, depth + 1, best);
    }
}

fn walk_value(
    value: &Spanned<DeValue<'_>>,
    pos: usize,
    path: &str,
    depth: usize,
    best: &mut Option<(usize, String)>,
) {
    match value.get_ref() {
        DeValue::Table(table) => walk_table(table, pos, path, depth, best),
        DeValue::Array(items) => {
            for (idx, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{idx}]");
                if contains(&item.span(), pos) {
                    record(best, depth, &item_path);
                }
                walk_value(item, pos, &item_path, depth + 1, best);
            }
        }
        _ => {}
    }
}

fn record(best: &mut Option<(usize, String)>, depth: usize, path: &str) {
    if best.as_ref().is_none_or(|(d, _)| depth > *d) {
        *best = Some((depth, path.to_owned()));
    }
}

impl Source<'_> {
    fn key_at(&self, pos: usize) -> Option<String> {
        let mut best = None;
        walk_table(self.doc.get_ref(), pos, "", 0, &mut best);
        best.map(|(_, path)| path)
    }

    /// An error at a span, the key found from the span.
    fn at(&self, span: Range<usize>, reason: impl Into<String>) -> PolicyError {
        let (line, column) = line_column(self.text, span.start);
        PolicyError {
            key: self.key_at(span.start),
            line,
            column,
            reason: reason.into(),
        }
    }

    /// An error at a span, with the key given (for whole tables, whose span is a header).
    fn at_key(&self, key: &str, span: Range<usize>, reason: impl Into<String>) -> PolicyError {
        let (line, column) = line_column(self.text, span.start);
        PolicyError {
            key: Some(key.to_owned()),
            line,
            column,
            reason: reason.into(),
        }
    }
}

pub(super) fn parse_policy(text: &str) -> Result<Policy, PolicyError> {
    let doc = DeTable::parse(text).map_err(|error| {
        let (line, column) = line_column(text, error.span().map_or(0, |s| s.start));
        PolicyError {
            key: None,
            line,
            column,
            reason: error.message().trim().to_owned(),
        }
    })?;
    let source = Source { text, doc };
    let raw: RawPolicy = toml::from_str(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        source.at(span, error.message().trim().to_owned())
    })?;
    convert(&source, raw)
}

fn convert(source: &Source<'_>, raw: RawPolicy) -> Result<Policy, PolicyError> {
    let guardrails = match raw.guardrails {
        Some(guardrails) => convert_guardrails(source, guardrails)?,
        None => Guardrails::default(),
    };
    if raw.rules.is_empty() {
        return Err(PolicyError {
            key: Some("rules".into()),
            line: 1,
            column: 1,
            reason: "the policy has no rules: add at least one [rules.NAME] table".into(),
        });
    }
    let mut rules = BTreeMap::new();
    for (name, rule) in &raw.rules {
        let converted = convert_rule(source, name, rule)?;
        rules.insert(name.get_ref().clone(), converted);
    }
    // Every name a combination uses must exist, and combinations must not loop.
    for (name, rule) in &raw.rules {
        for list in [&rule.get_ref().all, &rule.get_ref().any]
            .into_iter()
            .flatten()
        {
            for member in list.get_ref() {
                if !rules.contains_key(member.get_ref()) {
                    return Err(source.at(
                        member.span(),
                        format!(
                            "rule \"{}\" is not defined (in rule \"{}\")",
                            member.get_ref(),
                            name.get_ref()
                        ),
                    ));
                }
            }
        }
    }
    check_cycles(source, &raw.rules)?;
    let trigger = match &raw.trigger {
        Some(trigger) => convert_trigger(source, trigger, &rules)?,
        None => {
            let used: BTreeSet<&String> = rules
                .values()
                .filter_map(|rule| match &rule.kind {
                    RuleKind::Combination(c) => Some(c.rules.iter()),
                    _ => None,
                })
                .flatten()
                .collect();
            Combination {
                mode: CombineMode::Any,
                rules: rules
                    .keys()
                    .filter(|name| !used.contains(name))
                    .cloned()
                    .collect(),
            }
        }
    };
    Ok(Policy {
        name: raw.name,
        rules,
        trigger,
        guardrails,
    })
}

fn convert_trigger(
    source: &Source<'_>,
    trigger: &Spanned<RawTrigger>,
    rules: &BTreeMap<String, Rule>,
) -> Result<Combination, PolicyError> {
    let (mode, list) = match (&trigger.get_ref().all, &trigger.get_ref().any) {
        (Some(all), None) => (CombineMode::All, all),
        (None, Some(any)) => (CombineMode::Any, any),
        _ => {
            return Err(source.at_key(
                "trigger",
                trigger.span(),
                "give exactly one of `all` or `any`",
            ));
        }
    };
    if list.get_ref().is_empty() {
        return Err(source.at(list.span(), "must name at least one rule"));
    }
    for member in list.get_ref() {
        if !rules.contains_key(member.get_ref()) {
            return Err(source.at(
                member.span(),
                format!("rule \"{}\" is not defined", member.get_ref()),
            ));
        }
    }
    Ok(Combination {
        mode,
        rules: list.get_ref().iter().map(|m| m.get_ref().clone()).collect(),
    })
}

fn check_cycles(
    source: &Source<'_>,
    rules: &BTreeMap<Spanned<String>, Spanned<RawRule>>,
) -> Result<(), PolicyError> {
    let by_name: BTreeMap<&str, &RawRule> = rules
        .iter()
        .map(|(k, v)| (k.get_ref().as_str(), v.get_ref()))
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        source: &Source<'_>,
        name: &'a str,
        by_name: &BTreeMap<&'a str, &'a RawRule>,
        marks: &mut BTreeMap<&'a str, Mark>,
    ) -> Result<(), PolicyError> {
        marks.insert(name, Mark::Visiting);
        let Some(rule) = by_name.get(name) else {
            return Ok(());
        };
        for list in [&rule.all, &rule.any].into_iter().flatten() {
            for member in list.get_ref() {
                match marks.get(member.get_ref().as_str()) {
                    Some(Mark::Visiting) => {
                        return Err(source.at(
                            member.span(),
                            format!("rule \"{name}\" refers back to \"{}\": rules must not form a cycle", member.get_ref()),
                        ));
                    }
                    Some(Mark::Done) => {}
                    None => visit(source, member.get_ref(), by_name, marks)?,
                }
            }
        }
        marks.insert(name, Mark::Done);
        Ok(())
    }
    let mut marks = BTreeMap::new();
    for name in by_name.keys() {
        if !marks.contains_key(name) {
            visit(source, name, &by_name, &mut marks)?;
        }
    }
    Ok(())
}

const SIGNALS: &str = "dataset_drift, drift_share, feature_drift, detector_alarm, accuracy, f1, auc, mae, latency_p95, label_completeness";

fn convert_rule(
    source: &Source<'_>,
    name: &Spanned<String>,
    rule: &Spanned<RawRule>,
) -> Result<Rule, PolicyError> {
    let key = format!("rules.{}", name.get_ref());
    let raw = rule.get_ref();
    let hold_for = raw
        .hold_for
        .as_ref()
        .map(|h| positive_u32(source, h, "hold_for"))
        .transpose()?;
    let kinds = [raw.signal.is_some(), raw.all.is_some(), raw.any.is_some()];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(source.at_key(
            &key,
            name.span(),
            "a rule needs exactly one of `signal`, `all` or `any`",
        ));
    }
    // Which optional keys each kind accepts; anything else present is an error at that key.
    let present: [(&str, Option<Range<usize>>); 10] = [
        ("above", raw.above.as_ref().map(Spanned::span)),
        ("below", raw.below.as_ref().map(Spanned::span)),
        (
            "worse_than_baseline_by",
            raw.worse_than_baseline_by.as_ref().map(Spanned::span),
        ),
        (
            "worse_than_baseline_ratio",
            raw.worse_than_baseline_ratio.as_ref().map(Spanned::span),
        ),
        ("features", raw.features.as_ref().map(Spanned::span)),
        ("min_score", raw.min_score.as_ref().map(Spanned::span)),
        ("min_features", raw.min_features.as_ref().map(Spanned::span)),
        ("detectors", raw.detectors.as_ref().map(Spanned::span)),
        ("min_alarms", raw.min_alarms.as_ref().map(Spanned::span)),
        ("hold_for", raw.hold_for.as_ref().map(Spanned::span)),
    ];
    let allow = |what: &str, allowed: &[&str]| -> Result<(), PolicyError> {
        for (field, span) in &present {
            if let Some(span) = span
                && !allowed.contains(field)
            {
                return Err(source.at(span.clone(), format!("`{field}` does not apply to {what}")));
            }
        }
        Ok(())
    };
    if let Some(list) = raw.all.as_ref().or(raw.any.as_ref()) {
        allow("a combination (`all`/`any`)", &[])?;
        if list.get_ref().is_empty() {
            return Err(source.at(list.span(), "must name at least one rule"));
        }
        let mode = if raw.all.is_some() {
            CombineMode::All
        } else {
            CombineMode::Any
        };
        return Ok(Rule {
            kind: RuleKind::Combination(Combination {
                mode,
                rules: list.get_ref().iter().map(|m| m.get_ref().clone()).collect(),
            }),
            hold_for: None,
        });
    }
    let Some(signal) = raw.signal.as_ref() else {
        unreachable!("exactly one of signal/all/any is present, checked above")
    };
    let what = format!("signal \"{}\"", signal.get_ref());
    let kind = match signal.get_ref().as_str() {
        "dataset_drift" => {
            allow(&what, &["hold_for"])?;
            RuleKind::DatasetDrift
        }
        "drift_share" => {
            allow(&what, &["above", "below", "hold_for"])?;
            let threshold = one_threshold(source, raw, name, &key, &what)?;
            let value = match threshold {
                Threshold::Above(v) | Threshold::Below(v) => v,
            };
            let span = raw
                .above
                .as_ref()
                .or(raw.below.as_ref())
                .map_or(name.span(), Spanned::span);
            in_unit_interval(source, span, value)?;
            RuleKind::DriftShare(threshold)
        }
        "feature_drift" => {
            allow(
                &what,
                &["features", "min_score", "min_features", "hold_for"],
            )?;
            let features = raw
                .features
                .as_ref()
                .map(|f| f.get_ref().clone())
                .unwrap_or_default();
            if let Some(min_score) = &raw.min_score {
                finite(source, min_score)?;
            }
            let min_features = match &raw.min_features {
                Some(n) => {
                    let n = positive_u32(source, n, "min_features")? as usize;
                    if !features.is_empty() && n > features.len() {
                        return Err(source.at(
                            raw.min_features.as_ref().map_or(name.span(), Spanned::span),
                            format!("is {n} but only {} features are listed", features.len()),
                        ));
                    }
                    n
                }
                None => 1,
            };
            RuleKind::FeatureDrift {
                features,
                min_score: raw.min_score.as_ref().map(|s| *s.get_ref()),
                min_features,
            }
        }
        "detector_alarm" => {
            allow(&what, &["detectors", "min_alarms", "hold_for"])?;
            let min_alarms = match &raw.min_alarms {
                Some(n) => positive_u32(source, n, "min_alarms")? as usize,
                None => 1,
            };
            RuleKind::DetectorAlarm {
                detectors: raw
                    .detectors
                    .as_ref()
                    .map(|d| d.get_ref().clone())
                    .unwrap_or_default(),
                min_alarms,
            }
        }
        other => {
            let metric = match other {
                "accuracy" => Metric::Accuracy,
                "f1" => Metric::F1,
                "auc" => Metric::Auc,
                "mae" => Metric::Mae,
                "latency_p95" => Metric::LatencyP95,
                "label_completeness" => Metric::LabelCompleteness,
                _ => {
                    return Err(source.at(
                        signal.span(),
                        format!("unknown signal \"{other}\" (known: {SIGNALS})"),
                    ));
                }
            };
            let comparisons: &[&str] = if metric == Metric::LabelCompleteness {
                &["above", "below", "hold_for"]
            } else {
                &[
                    "above",
                    "below",
                    "worse_than_baseline_by",
                    "worse_than_baseline_ratio",
                    "hold_for",
                ]
            };
            allow(&what, comparisons)?;
            let given: Vec<&Spanned<f64>> = [
                &raw.above,
                &raw.below,
                &raw.worse_than_baseline_by,
                &raw.worse_than_baseline_ratio,
            ]
            .into_iter()
            .flatten()
            .collect();
            if given.len() != 1 {
                let span = given.get(1).map_or(name.span(), |s| s.span());
                let options = if metric == Metric::LabelCompleteness {
                    "`above` or `below`"
                } else {
                    "`above`, `below`, `worse_than_baseline_by` or `worse_than_baseline_ratio`"
                };
                return Err(if given.len() > 1 {
                    source.at(span, format!("give exactly one of {options}"))
                } else {
                    source.at_key(&key, span, format!("give exactly one of {options}"))
                });
            }
            let comparison = if let Some(v) = &raw.worse_than_baseline_by {
                non_negative(source, v)?;
                Comparison::WorseThanBaselineBy(*v.get_ref())
            } else if let Some(v) = &raw.worse_than_baseline_ratio {
                non_negative(source, v)?;
                Comparison::WorseThanBaselineRatio(*v.get_ref())
            } else {
                let threshold = one_threshold(source, raw, name, &key, &what)?;
                let span = raw
                    .above
                    .as_ref()
                    .or(raw.below.as_ref())
                    .map_or(name.span(), Spanned::span);
                let value = match threshold {
                    Threshold::Above(v) | Threshold::Below(v) => v,
                };
                if metric.is_unit_interval() {
                    in_unit_interval(source, span, value)?;
                } else if value < 0.0 {
                    return Err(source.at(span, format!("must not be negative, got {value}")));
                }
                Comparison::Threshold(threshold)
            };
            RuleKind::Metric { metric, comparison }
        }
    };
    Ok(Rule { kind, hold_for })
}

fn one_threshold(
    source: &Source<'_>,
    raw: &RawRule,
    name: &Spanned<String>,
    key: &str,
    what: &str,
) -> Result<Threshold, PolicyError> {
    match (&raw.above, &raw.below) {
        (Some(above), None) => {
            finite(source, above)?;
            Ok(Threshold::Above(*above.get_ref()))
        }
        (None, Some(below)) => {
            finite(source, below)?;
            Ok(Threshold::Below(*below.get_ref()))
        }
        (Some(_), Some(below)) => Err(source.at(
            below.span(),
            format!("{what} takes one of `above` or `below`, not both"),
        )),
        (None, None) => {
            Err(source.at_key(key, name.span(), format!("{what} needs `above` or `below`")))
        }
    }
}

fn finite(source: &Source<'_>, value: &Spanned<f64>) -> Result<(), PolicyError> {
    if value.get_ref().is_finite() {
        Ok(())
    } else {
        Err(source.at(
            value.span(),
            format!("must be a finite number, got {}", value.get_ref()),
        ))
    }
}

fn non_negative(source: &Source<'_>, value: &Spanned<f64>) -> Result<(), PolicyError> {
    finite(source, value)?;
    if *value.get_ref() < 0.0 {
        return Err(source.at(
            value.span(),
            format!("must not be negative, got {}", value.get_ref()),
        ));
    }
    Ok(())
}

fn in_unit_interval(
    source: &Source<'_>,
    span: Range<usize>,
    value: f64,
) -> Result<(), PolicyError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(source.at(span, format!("must be between 0 and 1, got {value}")))
    }
}

fn positive_u32(source: &Source<'_>, value: &Spanned<i64>, what: &str) -> Result<u32, PolicyError> {
    match u32::try_from(*value.get_ref()) {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(source.at(
            value.span(),
            format!(
                "{what} must be a whole number of at least 1, got {}",
                value.get_ref()
            ),
        )),
    }
}

/// A duration: a string of number-unit pairs (`90s`, `15m`, `24h`, `7d`, `2w`, `1h30m`;
/// a day is 24 hours) or an integer number of seconds.
fn duration(
    source: &Source<'_>,
    value: &Spanned<toml::Value>,
    what: &str,
) -> Result<SignedDuration, PolicyError> {
    let parsed = match value.get_ref() {
        toml::Value::Integer(seconds) => Ok(SignedDuration::from_secs(*seconds)),
        toml::Value::String(text) => parse_duration(text),
        other => Err(format!(
            "expected a duration such as \"24h\" or a number of seconds, got a {}",
            other.type_str()
        )),
    };
    let duration = parsed.map_err(|reason| source.at(value.span(), reason))?;
    if duration.is_negative() {
        return Err(source.at(
            value.span(),
            format!(
                "{what} must not be negative, got {}",
                show_value(value.get_ref())
            ),
        ));
    }
    Ok(duration)
}

fn show_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// Parses `1h30m`-style durations (units s, m, h, d = 24 h, w = 7 d; a leading `-` negates).
pub(crate) fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let bad = || {
        format!(
            "\"{text}\" is not a duration (write e.g. \"90s\", \"15m\", \"24h\", \"7d\", \"1h30m\")"
        )
    };
    let trimmed = text.trim();
    let (negative, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, trimmed),
    };
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0_f64;
    let mut chars = rest.chars().peekable();
    while chars.peek().is_some() {
        let mut number = String::new();
        while let Some(c) = chars
            .peek()
            .copied()
            .filter(|c| c.is_ascii_digit() || *c == '.')
        {
            number.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut unit = String::new();
        while let Some(c) = chars.peek().copied().filter(|c| c.is_ascii_alphabetic()) {
            unit.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let amount: f64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit.as_str() {
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            _ => return Err(bad()),
        };
        total += amount * seconds;
    }
    let total = if negative { -total } else { total };
    SignedDuration::try_from_secs_f64(total).map_err(|_| bad())
}

fn time_zone(source: &Source<'_>, name: &Spanned<String>) -> Result<TimeZone, PolicyError> {
    TimeZone::get(name.get_ref()).map_err(|_| {
        source.at(
            name.span(),
            format!(
                "unknown time zone \"{}\" (use an IANA name such as \"Europe/Berlin\" or \"UTC\")",
                name.get_ref()
            ),
        )
    })
}

/// The named zone, or the default (the guardrails' `time_zone`, else UTC).
fn zone_or(
    source: &Source<'_>,
    name: &Option<Spanned<String>>,
    default: &(String, TimeZone),
) -> Result<(String, TimeZone), PolicyError> {
    match name {
        Some(name) => Ok((name.get_ref().clone(), time_zone(source, name)?)),
        None => Ok(default.clone()),
    }
}

fn convert_guardrails(source: &Source<'_>, raw: RawGuardrails) -> Result<Guardrails, PolicyError> {
    let default_zone = match &raw.time_zone {
        Some(name) => (name.get_ref().clone(), time_zone(source, name)?),
        None => ("UTC".to_owned(), TimeZone::UTC),
    };
    let hysteresis = match &raw.hysteresis {
        Some(k) => positive_u32(source, k, "hysteresis")?,
        None => 1,
    };
    let min_new_samples = match &raw.min_new_samples {
        Some(n) => Some(u64::try_from(*n.get_ref()).map_err(|_| {
            source.at(
                n.span(),
                format!("min_new_samples must not be negative, got {}", n.get_ref()),
            )
        })?),
        None => None,
    };
    let min_label_completeness = match &raw.min_label_completeness {
        Some(v) => {
            in_unit_interval(source, v.span(), *v.get_ref())?;
            Some(*v.get_ref())
        }
        None => None,
    };
    let cooldown = raw
        .cooldown
        .as_ref()
        .map(|c| duration(source, c, "cooldown"))
        .transpose()?;
    let rate_limit = match &raw.rate_limit {
        Some(limit) => {
            let limit = limit.get_ref();
            let window = duration(source, &limit.window, "window")?;
            if window.is_zero() {
                return Err(source.at(limit.window.span(), "window must be longer than zero"));
            }
            Some(RateLimit {
                max_retrains: positive_u32(source, &limit.max_retrains, "max_retrains")?,
                window,
            })
        }
        None => None,
    };
    let mut freeze = Vec::new();
    for (idx, window) in raw.freeze.iter().enumerate() {
        freeze.push(convert_freeze(source, idx, window, &default_zone)?);
    }
    let budget = match &raw.budget {
        Some(budget) => {
            let b = budget.get_ref();
            non_negative(source, &b.cost_per_run)?;
            non_negative(source, &b.monthly_cap)?;
            if b.cost_per_run.get_ref() > b.monthly_cap.get_ref() {
                return Err(source.at(
                    b.cost_per_run.span(),
                    format!(
                        "cost_per_run {} exceeds monthly_cap {}: no retraining could ever fit the budget",
                        b.cost_per_run.get_ref(),
                        b.monthly_cap.get_ref()
                    ),
                ));
            }
            let (time_zone_name, time_zone) = zone_or(source, &b.time_zone, &default_zone)?;
            Some(Budget {
                cost_per_run: *b.cost_per_run.get_ref(),
                monthly_cap: *b.monthly_cap.get_ref(),
                time_zone,
                time_zone_name,
            })
        }
        None => None,
    };
    let circuit_breaker = match &raw.circuit_breaker {
        Some(breaker) => Some(CircuitBreaker {
            max_failed_canaries: positive_u32(
                source,
                &breaker.get_ref().max_failed_canaries,
                "max_failed_canaries",
            )?,
        }),
        None => None,
    };
    Ok(Guardrails {
        hysteresis,
        min_new_samples,
        min_label_completeness,
        cooldown,
        rate_limit,
        freeze,
        budget,
        circuit_breaker,
    })
}

fn convert_freeze(
    source: &Source<'_>,
    idx: usize,
    window: &Spanned<RawFreeze>,
    default_zone: &(String, TimeZone),
) -> Result<FreezeWindow, PolicyError> {
    let key = format!("guardrails.freeze[{idx}]");
    let raw = window.get_ref();
    let (time_zone_name, tz) = zone_or(source, &raw.time_zone, default_zone)?;
    let is_range = raw.from.is_some() || raw.to.is_some();
    let is_weekly = raw.days.is_some() || raw.start.is_some() || raw.end.is_some();
    let kind = match (is_range, is_weekly) {
        (true, false) => {
            let (Some(from), Some(to)) = (&raw.from, &raw.to) else {
                let present = raw
                    .from
                    .as_ref()
                    .or(raw.to.as_ref())
                    .map_or(window.span(), Spanned::span);
                return Err(source.at(present, "a date range needs both `from` and `to`"));
            };
            let start = instant(source, from, &tz, false)?;
            let end = instant(source, to, &tz, true)?;
            if end <= start {
                return Err(source.at(to.span(), "`to` must be after `from`"));
            }
            FreezeKind::Range { start, end }
        }
        (false, true) => {
            let Some(days) = &raw.days else {
                let present = raw
                    .start
                    .as_ref()
                    .or(raw.end.as_ref())
                    .map_or(window.span(), Spanned::span);
                return Err(source.at(present, "a weekly window needs `days`"));
            };
            if days.get_ref().is_empty() {
                return Err(source.at(days.span(), "must name at least one day"));
            }
            let mut parsed_days = Vec::new();
            for day in days.get_ref() {
                parsed_days.push(weekday(day.get_ref()).ok_or_else(|| {
                    source.at(
                        day.span(),
                        format!(
                            "\"{}\" is not a day (mon, tue, wed, thu, fri, sat, sun)",
                            day.get_ref()
                        ),
                    )
                })?);
            }
            let start_minute = match &raw.start {
                Some(start) => clock_time(start.get_ref())
                    .filter(|m| *m < 1440)
                    .ok_or_else(|| {
                        source.at(
                            start.span(),
                            format!("\"{}\" is not a time of day (HH:MM)", start.get_ref()),
                        )
                    })?,
                None => 0,
            };
            let end_minute = match &raw.end {
                Some(end) => clock_time(end.get_ref()).ok_or_else(|| {
                    source.at(
                        end.span(),
                        format!(
                            "\"{}\" is not a time of day (HH:MM, or 24:00)",
                            end.get_ref()
                        ),
                    )
                })?,
                None => 1440,
            };
            if end_minute == start_minute {
                let span = raw.end.as_ref().map_or(window.span(), Spanned::span);
                return Err(source.at(
                    span,
                    "`end` must differ from `start` (leave both out for whole days)",
                ));
            }
            FreezeKind::Weekly {
                days: parsed_days,
                start_minute,
                end_minute,
            }
        }
        _ => {
            return Err(source.at_key(
                &key,
                window.span(),
                "a freeze window is either a date range (`from`, `to`) or weekly (`days`, `start`, `end`)",
            ));
        }
    };
    Ok(FreezeWindow {
        reason: raw.reason.clone().unwrap_or_else(|| "freeze window".into()),
        time_zone_name,
        time_zone: tz,
        kind,
    })
}

/// A freeze bound: an instant with an offset, a civil date-time in `tz`, or a date (its
/// start; for an end bound the start of the next day, so that the date is included).
fn instant(
    source: &Source<'_>,
    value: &Spanned<toml::Value>,
    tz: &TimeZone,
    is_end: bool,
) -> Result<Timestamp, PolicyError> {
    let text = match value.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => {
            return Err(source.at(
                value.span(),
                format!("expected a date or date-time, got a {}", other.type_str()),
            ));
        }
    };
    let bad = || {
        source.at(value.span(), format!("\"{text}\" is not a date (2026-12-24), a date-time (2026-12-24T18:00) or an instant (2026-12-24T17:00:00Z)"))
    };
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    let has_time = text.contains(['T', 't', ' ']);
    let civil = if has_time {
        text.parse::<DateTime>().map_err(|_| bad())?
    } else {
        let date = text.parse::<Date>().map_err(|_| bad())?;
        let date = if is_end {
            date.tomorrow().map_err(|_| bad())?
        } else {
            date
        };
        date.to_datetime(jiff::civil::Time::midnight())
    };
    civil
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

fn weekday(name: &str) -> Option<Weekday> {
    let lower = name.trim().to_ascii_lowercase();
    let day = match lower.get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    };
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    (lower.len() == 3 || full.contains(&lower.as_str())).then_some(day)
}

/// `HH:MM` as minutes after midnight; `24:00` is 1440.
fn clock_time(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
        return None;
    }
    Some(hours * 60 + minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> PolicyError {
        Policy::from_toml(text).expect_err("the policy should be rejected")
    }

    const RULE: &str = "[rules.r]\nsignal = \"dataset_drift\"\n";

    #[test]
    fn full_example_parses() {
        let text = r#"
name = "churn"

[rules.drift]
signal = "dataset_drift"

[rules.share]
signal = "drift_share"
above = 0.3

[rules.key_features]
signal = "feature_drift"
features = ["age", "plan"]
min_score = 0.1
min_features = 2

[rules.alarms]
signal = "detector_alarm"
detectors = ["adwin"]
min_alarms = 2

[rules.accuracy_drop]
signal = "accuracy"
worse_than_baseline_by = 0.05
hold_for = 3

[rules.auc_drop]
signal = "auc"
worse_than_baseline_ratio = 0.1

[rules.slow]
signal = "latency_p95"
above = 0.5

[rules.mae_high]
signal = "mae"
above = 12.5

[rules.labelled]
signal = "label_completeness"
above = 0.8

[rules.performance]
all = ["accuracy_drop", "labelled"]

[trigger]
any = ["drift", "share", "key_features", "alarms", "performance", "auc_drop", "slow", "mae_high"]

[guardrails]
time_zone = "Europe/Berlin"
hysteresis = 2
min_new_samples = 5000
min_label_completeness = 0.5
cooldown = "1d 12h"

[guardrails.rate_limit]
max_retrains = 3
window = "7d"

[guardrails.budget]
cost_per_run = 40.0
monthly_cap = 100

[guardrails.circuit_breaker]
max_failed_canaries = 3

[[guardrails.freeze]]
reason = "year-end freeze"
from = 2026-12-20
to = 2027-01-03

[[guardrails.freeze]]
reason = "weekend"
days = ["sat", "sunday"]

[[guardrails.freeze]]
reason = "nightly batch"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "22:00"
end = "06:00"
time_zone = "America/New_York"
"#;
        let policy = Policy::from_toml(text).unwrap();
        assert_eq!(policy.name.as_deref(), Some("churn"));
        assert_eq!(policy.rules.len(), 10);
        assert_eq!(policy.trigger.mode, CombineMode::Any);
        let g = &policy.guardrails;
        assert_eq!(g.hysteresis, 2);
        assert_eq!(g.cooldown, Some(SignedDuration::from_hours(36)));
        assert_eq!(
            g.rate_limit.unwrap().window,
            SignedDuration::from_hours(168)
        );
        assert_eq!(g.budget.as_ref().unwrap().time_zone_name, "Europe/Berlin");
        assert_eq!(g.freeze.len(), 3);
        // The year-end range is in Berlin (UTC+1 in winter) and includes 3 January.
        assert_eq!(
            g.freeze[0].kind,
            FreezeKind::Range {
                start: "2026-12-19T23:00:00Z".parse().unwrap(),
                end: "2027-01-03T23:00:00Z".parse().unwrap(),
            }
        );
        assert_eq!(g.freeze[2].time_zone_name, "America/New_York");
        assert_eq!(policy.hold_for(&policy.rules["accuracy_drop"]), 3);
        assert_eq!(policy.hold_for(&policy.rules["slow"]), 2);
        assert_eq!(
            policy.rules["key_features"].kind,
            RuleKind::FeatureDrift {
                features: vec!["age".into(), "plan".into()],
                min_score: Some(0.1),
                min_features: 2
            }
        );
    }

    #[test]
    fn trigger_defaults_to_any_of_the_top_level_rules() {
        let text = "[rules.a]\nsignal = \"dataset_drift\"\n[rules.b]\nsignal = \"accuracy\"\nbelow = 0.7\n[rules.c]\nsignal = \"mae\"\nabove = 3\n[rules.both]\nall = [\"a\", \"b\"]\n";
        let policy = Policy::from_toml(text).unwrap();
        assert_eq!(policy.trigger.mode, CombineMode::Any);
        assert_eq!(
            policy.trigger.rules,
            vec!["both".to_owned(), "c".to_owned()]
        );
    }

    #[test]
    fn negative_cooldown_is_located() {
        let e = error(&format!("{RULE}\n[guardrails]\ncooldown = \"-2h\"\n"));
        assert_eq!(e.key.as_deref(), Some("guardrails.cooldown"));
        assert_eq!((e.line, e.column), (5, 12));
        assert!(e.reason.contains("must not be negative"), "{e}");
        let e = error(&format!("{RULE}[guardrails]\ncooldown = -60\n"));
        assert_eq!(e.key.as_deref(), Some("guardrails.cooldown"));
        assert_eq!(e.line, 4);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = error("[rules.r]\nsignal = \"dataset_drift\n");
        assert_eq!(e.line, 2);
        assert!(e.column >= 10, "{e}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let e = error(&format!("{RULE}[guardrails]\nhysteresis = \"three\"\n"));
        assert_eq!(e.key.as_deref(), Some("guardrails.hysteresis"));
        assert_eq!((e.line, e.column), (4, 14));
        assert!(e.reason.contains("invalid type"), "{e}");
    }

    #[test]
    fn unknown_key_names_the_key() {
        let e = error(&format!("{RULE}[guardrails]\ncooldwn = \"1h\"\n"));
        assert_eq!(e.key.as_deref(), Some("guardrails.cooldwn"));
        assert_eq!(e.line, 4);
        assert!(e.reason.contains("unknown field"), "{e}");
    }

    #[test]
    fn unknown_signal_lists_the_known_ones() {
        let e = error("[rules.r]\nsignal = \"precision\"\nabove = 0.5\n");
        assert_eq!(e.key.as_deref(), Some("rules.r.signal"));
        assert_eq!((e.line, e.column), (2, 10));
        assert!(e.reason.contains("accuracy"), "{e}");
    }

    #[test]
    fn key_that_does_not_apply_is_rejected() {
        let e = error("[rules.r]\nsignal = \"accuracy\"\nbelow = 0.7\nmin_score = 0.1\n");
        assert_eq!(e.key.as_deref(), Some("rules.r.min_score"));
        assert_eq!(e.line, 4);
        let e = error("[rules.r]\nsignal = \"label_completeness\"\nworse_than_baseline_by = 0.1\n");
        assert_eq!(e.key.as_deref(), Some("rules.r.worse_than_baseline_by"));
    }

    #[test]
    fn metric_needs_exactly_one_comparison() {
        let e = error("[rules.r]\nsignal = \"accuracy\"\n");
        assert_eq!(e.key.as_deref(), Some("rules.r"));
        assert!(e.reason.contains("exactly one"), "{e}");
        let e =
            error("[rules.r]\nsignal = \"accuracy\"\nbelow = 0.7\nworse_than_baseline_by = 0.1\n");
        assert_eq!(e.line, 4);
    }

    #[test]
    fn thresholds_out_of_range() {
        let e = error("[rules.r]\nsignal = \"accuracy\"\nbelow = 1.5\n");
        assert_eq!(e.key.as_deref(), Some("rules.r.below"));
        assert!(e.reason.contains("between 0 and 1"));
        let e = error("[rules.r]\nsignal = \"latency_p95\"\nabove = -0.5\n");
        assert!(e.reason.contains("negative"));
        let e = error("[rules.r]\nsignal = \"drift_share\"\nabove = nan\n");
        assert!(e.reason.contains("finite"));
        let e = error("[rules.r]\nsignal = \"dataset_drift\"\nhold_for = 0\n");
        assert_eq!(e.key.as_deref(), Some("rules.r.hold_for"));
    }

    #[test]
    fn undefined_and_cyclic_rule_references() {
        let e = error("[rules.a]\nany = [\"b\"]\n");
        assert_eq!(e.key.as_deref(), Some("rules.a.any[0]"));
        assert!(e.reason.contains("not defined"));
        let e =
            error("[rules.a]\nany = [\"b\"]\n[rules.b]\nall = [\"c\"]\n[rules.c]\nany = [\"a\"]\n");
        assert!(e.reason.contains("cycle"), "{e}");
        let e = error(&format!("{RULE}[trigger]\nany = [\"nope\"]\n"));
        assert_eq!(e.key.as_deref(), Some("trigger.any[0]"));
        assert_eq!(e.line, 4);
    }

    #[test]
    fn freeze_window_errors() {
        let e = error(&format!(
            "{RULE}[[guardrails.freeze]]\ndays = [\"sat\", \"funday\"]\n"
        ));
        assert_eq!(e.key.as_deref(), Some("guardrails.freeze[0].days[1]"));
        let e = error(&format!(
            "{RULE}[[guardrails.freeze]]\ndays = [\"sat\"]\nstart = \"25:00\"\n"
        ));
        assert_eq!(e.key.as_deref(), Some("guardrails.freeze[0].start"));
        let e = error(&format!(
            "{RULE}[[guardrails.freeze]]\nfrom = 2027-01-05\nto = 2027-01-01\n"
        ));
        assert_eq!(e.key.as_deref(), Some("guardrails.freeze[0].to"));
        let e = error(&format!(
            "{RULE}[[guardrails.freeze]]\ndays = [\"sat\"]\ntime_zone = \"Mars/Olympus\"\n"
        ));
        assert_eq!(e.key.as_deref(), Some("guardrails.freeze[0].time_zone"));
        assert!(e.reason.contains("unknown time zone"));
        let e = error(&format!("{RULE}[[guardrails.freeze]]\nreason = \"x\"\n"));
        assert_eq!(e.key.as_deref(), Some("guardrails.freeze[0]"));
    }

    #[test]
    fn budget_that_never_fits_is_rejected() {
        let e = error(&format!(
            "{RULE}[guardrails.budget]\ncost_per_run = 50\nmonthly_cap = 20\n"
        ));
        assert_eq!(e.key.as_deref(), Some("guardrails.budget.cost_per_run"));
    }

    #[test]
    fn no_rules_is_an_error() {
        let e = error("[guardrails]\nhysteresis = 2\n");
        assert_eq!(e.key.as_deref(), Some("rules"));
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("90s").unwrap(),
            SignedDuration::from_secs(90)
        );
        assert_eq!(
            parse_duration("1h30m").unwrap(),
            SignedDuration::from_mins(90)
        );
        assert_eq!(
            parse_duration("1.5h").unwrap(),
            SignedDuration::from_mins(90)
        );
        assert_eq!(
            parse_duration("2w").unwrap(),
            SignedDuration::from_hours(336)
        );
        assert_eq!(
            parse_duration("-1d").unwrap(),
            SignedDuration::from_hours(-24)
        );
        assert!(parse_duration("").is_err());
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("3 fortnights").is_err());
    }

    #[test]
    fn clock_times_and_days() {
        assert_eq!(clock_time("06:00"), Some(360));
        assert_eq!(clock_time("24:00"), Some(1440));
        assert_eq!(clock_time("24:01"), None);
        assert_eq!(clock_time("7:5"), None);
        assert_eq!(weekday("Sat"), Some(Weekday::Saturday));
        assert_eq!(weekday("thursday"), Some(Weekday::Thursday));
        assert_eq!(weekday("thurs"), None);
    }
    #[test]
    fn missing_field_names_its_table() {
        let e = error(&format!("{RULE}[guardrails.budget]\ncost_per_run = 5\n"));
        assert_eq!(e.key.as_deref(), Some("guardrails.budget"));
        assert_eq!((e.line, e.column), (3, 1));
        assert_eq!(e.reason, "missing field `monthly_cap`");
    }

    #[test]
    fn freeze_bounds_as_strings_or_toml_datetimes() {
        let p = Policy::from_toml(&format!(
            "{RULE}[[guardrails.freeze]]\nfrom = \"2026-12-24 18:00\"\nto = \"2026-12-26T06:00\"\ntime_zone = \"Europe/Berlin\"\n\
             [[guardrails.freeze]]\nfrom = 2026-12-24T18:00:00\nto = 2026-12-26\n\
             [[guardrails.freeze]]\nfrom = 2026-12-24T18:00:00+05:00\nto = \"2026-12-25T00:00:00Z\"\ntime_zone = \"Asia/Tokyo\"\n"
        ))
        .unwrap();
        let ranges: Vec<FreezeKind> = p.guardrails.freeze.iter().map(|f| f.kind.clone()).collect();
        let range = |start: &str, end: &str| FreezeKind::Range {
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        };
        assert_eq!(
            ranges,
            vec![
                // Berlin is UTC+1 in December.
                range("2026-12-24T17:00:00Z", "2026-12-26T05:00:00Z"),
                // UTC by default; a date as `to` includes that whole day.
                range("2026-12-24T18:00:00Z", "2026-12-27T00:00:00Z"),
                // An explicit offset wins over the window's zone.
                range("2026-12-24T13:00:00Z", "2026-12-25T00:00:00Z"),
            ]
        );
    }

    #[test]
    fn wrong_type_inside_a_rule_and_at_the_top() {
        let e = error("[rules.r]\nsignal = 3\n");
        assert_eq!(e.key.as_deref(), Some("rules.r.signal"));
        assert_eq!((e.line, e.column), (2, 10));
        let e = error("rules = 5\n");
        assert_eq!(e.key.as_deref(), Some("rules"));
        let e = error(&format!("{RULE}[trigger]\nany = [\"r\"]\nall = [\"r\"]\n"));
        assert_eq!(e.key.as_deref(), Some("trigger"));
    }
}
