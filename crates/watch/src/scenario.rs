//! A seeded synthetic stream for `monitor demo`, the benchmarks and the end-to-end tests.
//!
//! A churn model scores customers described by five features: `age` (normal),
//! `income` (log-normal), `tenure_months` (uniform 0..120), `plan` (basic, pro,
//! enterprise) and `country` (six labels). The model's score is the true churn
//! probability of the data it was trained on, so before the shift its accuracy is that of
//! the Bayes classifier (about 0.8). From event [`ScenarioOptions::shift_at`] on:
//!
//! - data drift: `age` moves up by `0.8` standard deviations and `plan` shifts towards
//!   pro and enterprise;
//! - concept drift: tenure stops protecting customers (its effect flips sign), so the
//!   unchanged model degrades (its accuracy falls below 0.5).
//!
//! A share of the traffic is served by a `canary` candidate whose latency is
//! [`ScenarioOptions::canary_latency_factor`] times the baseline's. Labels (`{"request_id",
//! "label"}`) follow their predictions [`ScenarioOptions::label_delay`] events later, for a
//! [`ScenarioOptions::label_share`] of them. Everything is a pure function of the options:
//! the same options give the same bytes.

use std::io::Write;

use drift_core::rng::SeededRng;

/// What the stream looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioOptions {
    /// The number of prediction events.
    pub events: u64,
    /// The index (0-based, among prediction events) of the first event after the shift;
    /// `None` for a stream that never drifts.
    pub shift_at: Option<u64>,
    /// The seed of every draw.
    pub seed: u64,
    /// The model's name.
    pub model: String,
    /// The model's version.
    pub version: String,
    /// The first event's time, in milliseconds since the Unix epoch.
    pub start_ms: i64,
    /// Milliseconds between two prediction events.
    pub interval_ms: i64,
    /// A label is written this many prediction events after its prediction.
    pub label_delay: u64,
    /// The share of predictions that ever get a label.
    pub label_share: f64,
    /// The share of events served by the `canary` variant.
    pub canary_share: f64,
    /// How much slower the canary is than the baseline (median latency ratio).
    pub canary_latency_factor: f64,
}

impl Default for ScenarioOptions {
    fn default() -> Self {
        ScenarioOptions {
            events: 100_000,
            shift_at: Some(60_000),
            seed: 7,
            model: "churn".to_owned(),
            version: "v3".to_owned(),
            // 2026-11-27T10:00:00Z
            start_ms: 1_795_773_600_000,
            interval_ms: 50,
            label_delay: 500,
            label_share: 0.9,
            canary_share: 0.1,
            canary_latency_factor: 1.6,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScenarioSummary {
    /// Prediction events written.
    pub predictions: u64,
    /// Label events written.
    pub labels: u64,
    /// Lines written (predictions and labels).
    pub lines: u64,
    /// The 1-based line number of the first prediction after the shift, if any.
    pub shift_line: Option<u64>,
}

const PLANS: [&str; 3] = ["basic", "pro", "enterprise"];
const PLAN_BEFORE: [f64; 3] = [0.6, 0.3, 0.1];
const PLAN_AFTER: [f64; 3] = [0.35, 0.45, 0.2];
const COUNTRIES: [&str; 6] = ["DE", "FR", "US", "GB", "JP", "BR"];
const COUNTRY_SHARE: [f64; 6] = [0.25, 0.2, 0.25, 0.15, 0.1, 0.05];
const AGE_MEAN: f64 = 40.0;
const AGE_SD: f64 = 10.0;
const AGE_SHIFT: f64 = 8.0;

/// One customer, and what the model and the world make of it.
#[derive(Debug, Clone, PartialEq)]
struct Draw {
    age: f64,
    income: f64,
    tenure_months: u32,
    plan: usize,
    country: usize,
    /// The model's score.
    score: f64,
    /// The true label.
    label: u8,
}

/// The generator: draws customers before or after the shift.
struct World {
    rng: SeededRng,
    spare_normal: Option<f64>,
}

impl World {
    fn new(seed: u64) -> World {
        World {
            rng: SeededRng::new(seed),
            spare_normal: None,
        }
    }

    /// A standard normal draw (Box-Muller, both values used).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let u1 = 1.0 - self.rng.uniform(); // (0, 1]
        let u2 = self.rng.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare_normal = Some(r * theta.sin());
        r * theta.cos()
    }

    fn pick(&mut self, shares: &[f64]) -> usize {
        let u = self.rng.uniform();
        let mut total = 0.0;
        for (i, share) in shares.iter().enumerate() {
            total += share;
            if u < total {
                return i;
            }
        }
        shares.len() - 1
    }

    fn customer(&mut self, shifted: bool) -> Draw {
        let age = (AGE_MEAN + if shifted { AGE_SHIFT } else { 0.0 } + AGE_SD * self.normal())
            .clamp(18.0, 95.0);
        let income = (10.5 + 0.5 * self.normal()).exp();
        let tenure_months = self.rng.below(121) as u32;
        let plan = self.pick(if shifted { &PLAN_AFTER } else { &PLAN_BEFORE });
        let country = self.pick(&COUNTRY_SHARE);
        let model_logit = churn_logit(age, tenure_months, plan, false);
        let true_logit = churn_logit(age, tenure_months, plan, shifted);
        let label = u8::from(self.rng.uniform() < sigmoid(true_logit));
        Draw {
            age,
            income,
            tenure_months,
            plan,
            country,
            score: sigmoid(model_logit),
            label,
        }
    }
}

/// The log-odds of churning; after the shift tenure's effect flips sign.
fn churn_logit(age: f64, tenure_months: u32, plan: usize, shifted: bool) -> f64 {
    let tenure = 6.0 * (0.5 - f64::from(tenure_months) / 120.0);
    let tenure = if shifted { -tenure } else { tenure };
    tenure + if plan == 0 { 1.5 } else { -1.5 } + 0.03 * (age - AGE_MEAN)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Writes the stream of `options` to `out`, one JSON object a line.
pub fn write_stream(
    options: &ScenarioOptions,
    out: &mut impl Write,
) -> std::io::Result<ScenarioSummary> {
    let mut world = World::new(options.seed);
    // Traffic (variant, latency, labelling) draws from its own stream, so the customers
    // are the same whatever the canary share.
    let mut traffic = World::new(options.seed ^ 0x0074_7261_6666_6963);
    let mut pending: std::collections::VecDeque<(u64, u8)> = std::collections::VecDeque::new();
    let mut summary = ScenarioSummary::default();
    let mut line = String::with_capacity(320);
    for i in 0..options.events {
        let shifted = options.shift_at.is_some_and(|at| i >= at);
        let draw = world.customer(shifted);
        let canary = traffic.rng.uniform() < options.canary_share;
        let factor = if canary {
            options.canary_latency_factor
        } else {
            1.0
        };
        let latency_ms = factor * (12.0f64.ln() + 0.35 * traffic.normal()).exp();
        let labelled = traffic.rng.uniform() < options.label_share;
        let user = traffic.rng.below(50_000);
        let ts =
            jiff::Timestamp::from_millisecond(options.start_ms + i as i64 * options.interval_ms)
                .map_err(std::io::Error::other)?;
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            line,
            "{{\"ts\":\"{ts}\",\"request_id\":\"r-{i}\",\"model\":{model},\"version\":{version},\
             \"variant\":\"{variant}\",\"features\":{{\"age\":{age:.1},\"income\":{income:.2},\
             \"tenure_months\":{tenure},\"plan\":\"{plan}\",\"country\":\"{country}\"}},\
             \"prediction\":{score:.4},\"latency_ms\":{latency_ms:.3},\"user_id\":\"u-{user}\"}}",
            model = json_string(&options.model),
            version = json_string(&options.version),
            variant = if canary { "canary" } else { "baseline" },
            age = draw.age,
            income = draw.income,
            tenure = draw.tenure_months,
            plan = PLANS[draw.plan],
            country = COUNTRIES[draw.country],
            score = draw.score,
        );
        out.write_all(line.as_bytes())?;
        summary.predictions += 1;
        summary.lines += 1;
        if options.shift_at == Some(i) {
            summary.shift_line = Some(summary.lines);
        }
        if labelled {
            pending.push_back((i, draw.label));
        }
        while let Some(&(j, label)) = pending.front() {
            if j + options.label_delay > i {
                break;
            }
            pending.pop_front();
            write_label(out, j, label)?;
            summary.labels += 1;
            summary.lines += 1;
        }
    }
    for (j, label) in pending {
        write_label(out, j, label)?;
        summary.labels += 1;
        summary.lines += 1;
    }
    Ok(summary)
}

fn write_label(out: &mut impl Write, request: u64, label: u8) -> std::io::Result<()> {
    writeln!(out, "{{\"request_id\":\"r-{request}\",\"label\":{label}}}")
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// A reference table drawn from the world before the shift (seeded apart from the
/// stream): CSV with `age,income,tenure_months,plan,country,prediction`, `rows` rows.
pub fn reference_csv(rows: usize, seed: u64) -> String {
    let mut world = World::new(seed ^ 0x7265_6665_7265_6e63);
    let mut csv = String::with_capacity(rows * 48 + 64);
    csv.push_str("age,income,tenure_months,plan,country,prediction\n");
    for _ in 0..rows {
        let draw = world.customer(false);
        use std::fmt::Write as _;
        let _ = writeln!(
            csv,
            "{:.1},{:.2},{},{},{},{:.4}",
            draw.age,
            draw.income,
            draw.tenure_months,
            PLANS[draw.plan],
            COUNTRIES[draw.country],
            draw.score
        );
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ScenarioOptions {
        ScenarioOptions {
            events: 20_000,
            shift_at: Some(10_000),
            label_delay: 100,
            ..ScenarioOptions::default()
        }
    }

    fn stream(options: &ScenarioOptions) -> (Vec<serde_json::Value>, ScenarioSummary) {
        let mut bytes = Vec::new();
        let summary = write_stream(options, &mut bytes).unwrap();
        let lines = String::from_utf8(bytes).unwrap();
        let values = lines
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (values, summary)
    }

    #[test]
    fn the_stream_is_valid_json_in_the_event_format_and_seeded() {
        let options = small();
        let (values, summary) = stream(&options);
        assert_eq!(values.len() as u64, summary.lines);
        assert_eq!(summary.predictions, 20_000);
        let predictions: Vec<_> = values
            .iter()
            .filter(|v| v.get("features").is_some())
            .collect();
        assert_eq!(predictions.len(), 20_000);
        let first = predictions[0];
        assert_eq!(first["model"], "churn");
        assert_eq!(first["request_id"], "r-0");
        assert_eq!(first["ts"], "2026-11-27T10:00:00Z");
        assert!(first["features"]["age"].is_f64());
        // Every label refers to an earlier prediction, and comes at least the delay later.
        let mut seen = std::collections::HashMap::new();
        for (at, value) in values.iter().enumerate() {
            let id = value["request_id"].as_str().unwrap().to_owned();
            if value.get("features").is_some() {
                seen.insert(id, at);
            } else {
                let predicted = seen[&id];
                assert!(at > predicted);
            }
        }
        assert_eq!(
            values[summary.shift_line.unwrap() as usize - 1]["request_id"],
            "r-10000"
        );
        let mut again = Vec::new();
        write_stream(&options, &mut again).unwrap();
        let mut first_bytes = Vec::new();
        write_stream(&options, &mut first_bytes).unwrap();
        assert_eq!(again, first_bytes);
    }

    /// The scenario's promises: the model is good before the shift and degraded after;
    /// age and plan move; the canary is slower.
    #[test]
    fn the_shift_moves_the_data_and_degrades_the_model() {
        let (values, _) = stream(&small());
        let labels: std::collections::HashMap<String, f64> = values
            .iter()
            .filter(|v| v.get("label").is_some())
            .map(|v| {
                (
                    v["request_id"].as_str().unwrap().to_owned(),
                    v["label"].as_f64().unwrap(),
                )
            })
            .collect();
        let mut stats = [[0.0f64; 4]; 2]; // per half: correct, labelled, age sum, basic plans
        let mut latency = [(0.0, 0.0); 2]; // baseline, canary: sum, count
        for value in values.iter().filter(|v| v.get("features").is_some()) {
            let id = value["request_id"].as_str().unwrap();
            let index: usize = id[2..].parse().unwrap();
            let half = usize::from(index >= 10_000);
            if let Some(label) = labels.get(id) {
                let predicted = f64::from(u8::from(value["prediction"].as_f64().unwrap() >= 0.5));
                stats[half][0] += f64::from(u8::from(predicted == *label));
                stats[half][1] += 1.0;
            }
            stats[half][2] += value["features"]["age"].as_f64().unwrap();
            stats[half][3] += f64::from(u8::from(value["features"]["plan"] == "basic"));
            let variant = usize::from(value["variant"] == "canary");
            latency[variant].0 += value["latency_ms"].as_f64().unwrap();
            latency[variant].1 += 1.0;
        }
        let accuracy = |h: usize| stats[h][0] / stats[h][1];
        assert!(accuracy(0) > 0.75, "before: {}", accuracy(0));
        assert!(accuracy(1) < 0.6, "after: {}", accuracy(1));
        let label_share = (stats[0][1] + stats[1][1]) / 20_000.0;
        assert!((label_share - 0.9).abs() < 0.02, "{label_share}");
        assert!(stats[1][2] / 10_000.0 - stats[0][2] / 10_000.0 > 6.0);
        assert!(stats[0][3] / 10_000.0 > 0.55 && stats[1][3] / 10_000.0 < 0.4);
        let ratio = (latency[1].0 / latency[1].1) / (latency[0].0 / latency[0].1);
        assert!((ratio - 1.6).abs() < 0.1, "{ratio}");
    }

    #[test]
    fn the_reference_looks_like_the_stream_before_the_shift() {
        let csv = reference_csv(5_000, 7);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("age,income,tenure_months,plan,country,prediction")
        );
        let ages: Vec<f64> = lines
            .map(|line| line.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(ages.len(), 5_000);
        let mean = ages.iter().sum::<f64>() / 5_000.0;
        assert!((mean - AGE_MEAN).abs() < 0.6, "{mean}");
    }
}
