//! From tokens to requests: CUR has tokens, not requests. A workload's request rate is the
//! one whose Poisson arrivals, spread over its hour-of-day and weekday shape, leave as many
//! hours (days) active as the source shows; when a caller is active in every hour the rate
//! cannot be read from that, and a request is taken as [`DEFAULT_PROMPT_TOKENS`] prompt
//! tokens. Tokens per request are then the totals over the requests.

use curlab_generator::scenario::model::{HourShape, RequestSpec, TokenDist, WorkloadSpec};
use curlab_vocab::bedrock::ServiceTier;
use curlab_vocab::Granularity;

use crate::profile::{Profile, WorkKey, WorkStats};

/// Prompt tokens per request assumed when activity does not bound the request rate.
pub const DEFAULT_PROMPT_TOKENS: f64 = 2000.0;

/// Active units (hours, days) from which a workload's own shapes are used.
const OWN_SHAPE_UNITS: u64 = 72;

/// Share of units active from which the rate counts as unbounded by activity.
const SATURATED: f64 = 0.97;

/// Prompt tokens above which an explicit request is split (so it does not cross into the
/// long-context rates the source did not pay).
const SPLIT_PROMPT: f64 = 150_000.0;

/// The header comment on requests.
pub const REQUESTS_NOTE: &str = "requests are inferred, not read: CUR has tokens, not requests. \
Each workload's rate is the one whose Poisson arrivals over its hour and weekday shape leave as \
many hours (days) active as the source shows; for callers active in every hour a request is \
taken as 2,000 prompt tokens. Tokens per request = total tokens / requests, spread cv 0.6 \
(the default; CUR sums hide it).";

/// The export-wide shapes, used for workloads with too little data of their own.
pub struct Shapes {
    granularity: Granularity,
    hod: [f64; 24],
    wd: [f64; 7],
    first_day: i64,
    last_day: i64,
}

fn weekday(day: i64) -> usize {
    ((day + 3).rem_euclid(7)) as usize
}

/// Weekday weights (max 1) from prompt tokens per weekday over the days `first..=last`.
fn weekday_weights(tokens: &[f64; 7], first: i64, last: i64) -> [f64; 7] {
    let mut count = [0u32; 7];
    for d in first..=last {
        count[weekday(d)] += 1;
    }
    let mut per = [0.0; 7];
    for i in 0..7 {
        per[i] = if count[i] > 0 {
            tokens[i] / f64::from(count[i])
        } else {
            f64::NAN
        };
    }
    let max = per
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max);
    let mut out = [1.0; 7];
    if max > 0.0 {
        for i in 0..7 {
            if per[i].is_finite() {
                out[i] = round_sig(per[i] / max, 4);
            }
        }
    }
    out
}

fn normalised(h: &[f64; 24]) -> [f64; 24] {
    let sum: f64 = h.iter().sum();
    let mut out = [1.0 / 24.0; 24];
    if sum > 0.0 {
        for i in 0..24 {
            out[i] = round_sig(h[i] / sum, 4);
        }
    }
    out
}

/// `x` rounded to `n` significant digits.
pub fn round_sig(x: f64, n: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = x.abs().log10().floor() as i32;
    let f = 10f64.powi(n - 1 - e);
    (x * f).round() / f
}

fn date(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl Shapes {
    /// Shapes of all Bedrock usage of a profile.
    pub fn new(p: &Profile, granularity: Granularity) -> Self {
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for ps in p
            .principals
            .iter()
            .map(|(_, ps)| ps)
            .chain(p.unattributed.values())
        {
            for (_, w) in &ps.work {
                first = first.min(w.first.div_euclid(86_400));
                last = last.max(w.last.div_euclid(86_400));
            }
        }
        if first > last {
            (first, last) = (0, 0);
        }
        Shapes {
            granularity,
            hod: normalised(&p.hod),
            wd: weekday_weights(&p.wd, first, last),
            first_day: first,
            last_day: last,
        }
    }

    /// The workload of one caller (or role) for one model, region and tier. `split` is how
    /// many sessions share the selector's requests, `observed` the active units summed over
    /// them.
    pub fn workload(
        &self,
        selector: &str,
        model: &str,
        k: &WorkKey,
        w: &WorkStats,
        split: f64,
        observed: f64,
    ) -> Option<WorkloadSpec> {
        let prompt = w.prompt();
        if prompt <= 0.0 && w.tokens[1] <= 0.0 {
            return None;
        }
        let (d0, d1) = (w.first.div_euclid(86_400), w.last.div_euclid(86_400));
        let own = w.active_hours() >= OWN_SHAPE_UNITS;
        let hourly = self.granularity == Granularity::Hourly;
        let hod = if own && hourly {
            normalised(&w.hod())
        } else {
            self.hod
        };
        let wd = if own && d1 - d0 >= 13 {
            weekday_weights(&w.wd(), d0, d1)
        } else {
            let _ = (self.first_day, self.last_day);
            self.wd
        };
        // Units and their expected-request weights per unit of rate.
        let mut units: Vec<f64> = Vec::new();
        match self.granularity {
            Granularity::Hourly => {
                for d in d0..=d1 {
                    for h in hod {
                        units.push(wd[weekday(d)] * h);
                    }
                }
            }
            Granularity::Daily => {
                for d in d0..=d1 {
                    units.push(wd[weekday(d)]);
                }
            }
            Granularity::Monthly => {
                let mut month = String::new();
                for d in d0..=d1 {
                    let m = date(d)[..7].to_string();
                    if m != month {
                        units.push(0.0);
                        month = m;
                    }
                    if let Some(u) = units.last_mut() {
                        *u += wd[weekday(d)];
                    }
                }
            }
        }
        let total_w: f64 = units.iter().sum();
        if total_w <= 0.0 {
            return None;
        }
        // Units share few distinct weights (hour × weekday): solve over (weight, count).
        units.sort_by(|a, b| a.total_cmp(b));
        let mut distinct: Vec<(f64, f64)> = Vec::new();
        for u in units.iter().filter(|u| **u > 0.0) {
            match distinct.last_mut() {
                Some((w, n)) if *w == *u => *n += 1.0,
                _ => distinct.push((*u, 1.0)),
            }
        }
        let active = |lambda: f64| -> f64 {
            distinct
                .iter()
                .map(|(u, n)| n * split * (1.0 - (-lambda * u / split).exp()))
                .sum()
        };
        let max = split * distinct.iter().map(|(_, n)| n).sum::<f64>();
        let saturated = observed >= SATURATED * max;
        let target = observed.min(SATURATED * max).max(0.5);
        let (mut lo, mut hi) = (1e-9f64, 1e9f64);
        for _ in 0..64 {
            let mid = (lo * hi).sqrt();
            if active(mid) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let mut lambda = (lo * hi).sqrt();
        if saturated {
            lambda = lambda.max(prompt / DEFAULT_PROMPT_TOKENS / total_w);
        }
        let requests = lambda * total_w;
        let mean = |t: f64| round_sig((t / requests).clamp(1.0, 2e6), 6);
        let share = |t: f64| {
            if prompt > 0.0 {
                round_sig((t / prompt).clamp(0.0, 1.0), 6)
            } else {
                0.0
            }
        };
        let batch = share(w.batch_prompt);
        let streaming = if batch < 1.0 {
            round_sig((share(w.stream_prompt) / (1.0 - batch)).min(1.0), 6)
        } else {
            0.0
        };
        let mut cache = [share(w.tokens[2]), share(w.tokens[3]), share(w.tokens[4])];
        let sum: f64 = cache.iter().sum();
        if sum > 1.0 {
            for c in &mut cache {
                *c /= sum;
            }
        }
        Some(WorkloadSpec {
            payer: None,
            principals: vec![selector.to_string()],
            model: model.to_string(),
            region: crate::specs::region_name(k.1),
            requests_per_day: round_sig(lambda.min(1e7), 6),
            input_tokens: TokenDist {
                mean: mean(prompt),
                cv: 0.6,
            },
            output_tokens: TokenDist {
                mean: mean(w.tokens[1]),
                cv: 0.6,
            },
            cache_read_share: cache[0],
            cache_write_share: cache[1],
            cache_write_1h_share: cache[2],
            streaming_share: streaming,
            batch_share: batch,
            service_tier: k.2,
            global_share: share(w.global_prompt),
            weekday_shape: wd.to_vec(),
            hour_shape: if hourly {
                HourShape::Weights(hod.to_vec())
            } else {
                HourShape::Named("flat".into())
            },
            start: Some(date(d0)),
            end: Some(date(d1)),
            inference_profile: None,
        })
    }
}

/// The exact requests of a sparse caller: one per active cell (split when large).
pub fn requests(
    selector: &str,
    model: &str,
    region: &str,
    tier: ServiceTier,
    w: &WorkStats,
) -> Vec<RequestSpec> {
    let mut out = Vec::new();
    let Some(cells) = w.cells() else {
        return out;
    };
    for ((ts, batch, global, streaming, long), t) in cells {
        let tokens: Vec<u64> = t.iter().map(|x| x.round().max(0.0) as u64).collect();
        if tokens.iter().all(|x| *x == 0) {
            continue;
        }
        let prompt = (tokens[0] + tokens[2] + tokens[3] + tokens[4]) as f64;
        let parts = if *long {
            1
        } else {
            ((prompt / SPLIT_PROMPT).ceil() as u64).max(1)
        };
        for i in 0..parts {
            let part = |x: u64| x / parts + if i == parts - 1 { x % parts } else { 0 };
            let time = chrono::DateTime::from_timestamp(ts + 60 + i as i64, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            out.push(RequestSpec {
                payer: None,
                time,
                principal: selector.to_string(),
                model: model.to_string(),
                region: region.to_string(),
                input_tokens: part(tokens[0]),
                output_tokens: part(tokens[1]),
                cache_read_tokens: part(tokens[2]),
                cache_write_tokens: part(tokens[3]),
                cache_write_1h_tokens: part(tokens[4]),
                streaming: *streaming,
                batch: *batch,
                global: *global,
                service_tier: tier,
            });
        }
    }
    out
}
