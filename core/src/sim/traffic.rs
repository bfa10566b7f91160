//! Traffic over time: built-in profiles (steady, diurnal, diurnal with spikes, weekly) and CSV traces.
//!
//! A trace has the header `t_s,requests_per_s` with optional columns `input_tokens` and
//! `output_tokens`; each row's values hold until the next row, and the last row holds to the end.
//! Its CSV format and reader live with the Plan (`plan::trace`), which can carry a trace inline.
//! Time 0 is midnight of the first day (a Monday for the weekly profile).

use serde::{Deserialize, Serialize};

use super::rng::Rng;
pub use crate::plan::trace::{parse_trace_csv, TraceRow};

/// Seconds in a day.
pub const DAY_S: f64 = 86_400.0;

/// A built-in traffic profile between a baseline and a peak request rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The baseline rate, all the time.
    Steady,
    /// A cosine day: the baseline at `peak_hour + 12`, the peak at `peak_hour`.
    Diurnal,
    /// The diurnal day plus `spikes_per_day` seeded bursts to `spike_factor` × the current rate, never
    /// above `spike_ceiling_x_peak` × the declared peak.
    DiurnalWithSpikes,
    /// The diurnal day scaled by `weekend_factor` on Saturday and Sunday.
    Weekly,
}

impl Profile {
    /// Every profile, in the order `--profile` lists them.
    pub const ALL: [Profile; 4] = [Profile::Steady, Profile::Diurnal, Profile::DiurnalWithSpikes, Profile::Weekly];

    /// The name `--profile` takes (and [`Profile::parse`] reads).
    pub fn name(&self) -> &'static str {
        match self {
            Profile::Steady => "steady",
            Profile::Diurnal => "diurnal",
            Profile::DiurnalWithSpikes => "diurnal-spikes",
            Profile::Weekly => "weekly",
        }
    }

    pub fn parse(name: &str) -> Option<Profile> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "steady" => Some(Profile::Steady),
            "diurnal" => Some(Profile::Diurnal),
            "diurnal-spikes" | "diurnal-with-spikes" | "spiky" => Some(Profile::DiurnalWithSpikes),
            "weekly" => Some(Profile::Weekly),
            _ => None,
        }
    }
}

/// Parameters of the built-in profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileParams {
    pub baseline_requests_per_s: f64,
    pub peak_requests_per_s: f64,
    /// Hour of the day (0–24) at which the diurnal curve peaks.
    pub peak_hour: f64,
    pub spikes_per_day: u32,
    /// A spike multiplies the current rate by this factor…
    pub spike_factor: f64,
    /// …up to this multiple of the peak rate: 1 keeps bursts within the declared traffic (a sudden
    /// jump to the peak at any hour); above 1 they go beyond it (a recommendation's burst margin).
    pub spike_ceiling_x_peak: f64,
    pub spike_duration_s: f64,
    /// Linear ramp into and out of a spike.
    pub spike_ramp_s: f64,
    /// Weekend traffic as a fraction of weekday traffic.
    pub weekend_factor: f64,
}

impl Default for ProfileParams {
    fn default() -> Self {
        ProfileParams {
            baseline_requests_per_s: 1.0,
            peak_requests_per_s: 4.0,
            peak_hour: 14.0,
            spikes_per_day: 1,
            spike_factor: 2.5,
            spike_ceiling_x_peak: 1.0,
            spike_duration_s: 900.0,
            spike_ramp_s: 60.0,
            weekend_factor: 0.6,
        }
    }
}

/// Where the request rate comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficSource {
    Profile { profile: Profile, params: ProfileParams },
    Trace { rows: Vec<TraceRow> },
}

/// The traffic of a scenario: a source, the mean token counts per request, and whether arrivals are
/// noisy (Poisson-like) or the exact rate (a fluid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    pub source: TrafficSource,
    pub input_tokens: f64,
    pub output_tokens: f64,
    /// Adds Poisson-like noise to arrivals (normal approximation, seeded).
    pub arrival_noise: bool,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            source: TrafficSource::Profile { profile: Profile::DiurnalWithSpikes, params: ProfileParams::default() },
            input_tokens: 1024.0,
            output_tokens: 256.0,
            arrival_noise: true,
        }
    }
}

/// A spike placed on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spike {
    pub start_s: f64,
    pub duration_s: f64,
}

/// Evaluates traffic at increasing times in O(1) per call.
pub(crate) struct TrafficCursor<'a> {
    traffic: &'a Traffic,
    pub spikes: Vec<Spike>,
    row: usize,
    wave: Wave,
}

/// The diurnal cosine advanced by rotation when time moves in equal steps (two multiplies instead of
/// a libm call per step), recomputed exactly every 3600 steps and whenever the step changes.
#[derive(Debug, Clone, Copy)]
struct Wave {
    last_t_s: f64,
    step_s: f64,
    cos: f64,
    sin: f64,
    cos_step: f64,
    sin_step: f64,
    since_exact: u32,
}

impl Wave {
    fn new() -> Wave {
        Wave { last_t_s: f64::NAN, step_s: f64::NAN, cos: 1.0, sin: 0.0, cos_step: 1.0, sin_step: 0.0, since_exact: 0 }
    }

    /// cos((t / 3600 − peak_hour) × 2π / 24).
    fn cos_at(&mut self, t_s: f64, peak_hour: f64) -> f64 {
        const RAD_PER_S: f64 = std::f64::consts::TAU / DAY_S;
        let dt = t_s - self.last_t_s;
        if dt == self.step_s && self.since_exact < 3600 {
            let (c, s) = (self.cos, self.sin);
            self.cos = c * self.cos_step - s * self.sin_step;
            self.sin = s * self.cos_step + c * self.sin_step;
            self.since_exact += 1;
        } else {
            let phase = (t_s - peak_hour * 3600.0) * RAD_PER_S;
            (self.sin, self.cos) = phase.sin_cos();
            if dt.is_finite() && dt != self.step_s {
                self.step_s = dt;
                (self.sin_step, self.cos_step) = (dt * RAD_PER_S).sin_cos();
            }
            self.since_exact = 0;
        }
        self.last_t_s = t_s;
        self.cos
    }
}

/// The rate and mean token counts at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TrafficNow {
    pub requests_per_s: f64,
    pub input_tokens: f64,
    pub output_tokens: f64,
}

impl<'a> TrafficCursor<'a> {
    pub fn new(traffic: &'a Traffic, duration_s: f64, rng: &mut Rng) -> TrafficCursor<'a> {
        let mut spikes = vec![];
        if let TrafficSource::Profile { profile: Profile::DiurnalWithSpikes, params } = &traffic.source {
            let days = (duration_s / DAY_S).ceil().max(1.0) as u64;
            for day in 0..days {
                for _ in 0..params.spikes_per_day {
                    // Spikes land in business hours (08:00–20:00), where they hurt most.
                    let start_s = day as f64 * DAY_S + (8.0 + 12.0 * rng.uniform()) * 3600.0;
                    spikes.push(Spike { start_s, duration_s: params.spike_duration_s });
                }
            }
            spikes.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        }
        TrafficCursor { traffic, spikes, row: 0, wave: Wave::new() }
    }

    pub fn at(&mut self, t_s: f64) -> TrafficNow {
        let tr = self.traffic;
        match &tr.source {
            TrafficSource::Trace { rows } => {
                while self.row + 1 < rows.len() && rows[self.row + 1].t_s <= t_s {
                    self.row += 1;
                }
                let row = &rows[self.row];
                let rate = if t_s < row.t_s { 0.0 } else { row.requests_per_s };
                TrafficNow {
                    requests_per_s: rate,
                    input_tokens: row.input_tokens.unwrap_or(tr.input_tokens),
                    output_tokens: row.output_tokens.unwrap_or(tr.output_tokens),
                }
            }
            TrafficSource::Profile { profile, params } => {
                let p = params;
                let mut wave = |t: f64| {
                    let swing = 0.5 + 0.5 * self.wave.cos_at(t, p.peak_hour);
                    p.baseline_requests_per_s + (p.peak_requests_per_s - p.baseline_requests_per_s) * swing
                };
                let rate = match profile {
                    Profile::Steady => params.baseline_requests_per_s,
                    Profile::Diurnal => wave(t_s),
                    Profile::Weekly => {
                        let weekday = ((t_s / DAY_S) as i64).rem_euclid(7);
                        let factor = if weekday >= 5 { params.weekend_factor } else { 1.0 };
                        wave(t_s) * factor
                    }
                    Profile::DiurnalWithSpikes => {
                        let base = wave(t_s);
                        let ceiling = (params.spike_ceiling_x_peak * params.peak_requests_per_s).max(base);
                        let level = self.spike_level(t_s, params.spike_ramp_s);
                        (base * (1.0 + (params.spike_factor - 1.0) * level)).min(ceiling)
                    }
                };
                TrafficNow { requests_per_s: rate, input_tokens: tr.input_tokens, output_tokens: tr.output_tokens }
            }
        }
    }

    /// 0 outside spikes, 1 inside, linear on the ramps.
    fn spike_level(&mut self, t_s: f64, ramp_s: f64) -> f64 {
        while self.row < self.spikes.len() && self.spikes[self.row].start_s + self.spikes[self.row].duration_s < t_s {
            self.row += 1;
        }
        let Some(spike) = self.spikes.get(self.row) else { return 0.0 };
        let into = t_s - spike.start_s;
        if into < 0.0 {
            return 0.0;
        }
        if into >= ramp_s && spike.duration_s - into >= ramp_s {
            return 1.0;
        }
        let ramp = ramp_s.max(1e-9);
        let up = (into / ramp).min(1.0);
        let down = ((spike.duration_s - into) / ramp).min(1.0);
        up.min(down).max(0.0)
    }
}

#[cfg(test)]
fn diurnal(p: &ProfileParams, t_s: f64) -> f64 {
    let phase = (t_s / 3600.0 - p.peak_hour) * (std::f64::consts::TAU / 24.0);
    let swing = 0.5 + 0.5 * phase.cos();
    p.baseline_requests_per_s + (p.peak_requests_per_s - p.baseline_requests_per_s) * swing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(profile: Profile) -> Traffic {
        Traffic { source: TrafficSource::Profile { profile, params: ProfileParams::default() }, ..Traffic::default() }
    }

    #[test]
    fn diurnal_peaks_at_peak_hour_and_bottoms_twelve_hours_later() {
        let tr = profile(Profile::Diurnal);
        let mut c = TrafficCursor::new(&tr, DAY_S, &mut Rng::new(1));
        assert!((c.at(2.0 * 3600.0).requests_per_s - 1.0).abs() < 1e-9);
        assert!((c.at(14.0 * 3600.0).requests_per_s - 4.0).abs() < 1e-9);
    }

    #[test]
    fn spikes_are_seeded_and_raise_the_rate() {
        let tr = profile(Profile::DiurnalWithSpikes);
        let a = TrafficCursor::new(&tr, DAY_S, &mut Rng::new(3)).spikes;
        let b = TrafficCursor::new(&tr, DAY_S, &mut Rng::new(3)).spikes;
        assert_eq!(a, b);
        assert_eq!(a.len(), 1);
        let mid = a[0].start_s + a[0].duration_s / 2.0;
        let mut c = TrafficCursor::new(&tr, DAY_S, &mut Rng::new(3));
        let plain = diurnal(&ProfileParams::default(), mid);
        // 2.5 × the current rate, within the declared peak (4 requests/s).
        assert!(plain < 4.0 && (c.at(mid).requests_per_s - (2.5 * plain).min(4.0)).abs() < 1e-9);
        let beyond = Traffic {
            source: TrafficSource::Profile {
                profile: Profile::DiurnalWithSpikes,
                params: ProfileParams { spike_ceiling_x_peak: 10.0, ..ProfileParams::default() },
            },
            ..Traffic::default()
        };
        let mut c = TrafficCursor::new(&beyond, DAY_S, &mut Rng::new(3));
        assert!((c.at(mid).requests_per_s - 2.5 * plain).abs() < 1e-9);
    }

    #[test]
    fn stepped_wave_matches_the_exact_cosine() {
        let tr = profile(Profile::Diurnal);
        let mut c = TrafficCursor::new(&tr, 7.0 * DAY_S, &mut Rng::new(1));
        for step in 0..(7 * 86_400) {
            let t = step as f64;
            let got = c.at(t).requests_per_s;
            assert!((got - diurnal(&ProfileParams::default(), t)).abs() < 1e-9, "at {t}");
        }
    }

    #[test]
    fn weekend_is_quieter() {
        let tr = profile(Profile::Weekly);
        let mut c = TrafficCursor::new(&tr, 7.0 * DAY_S, &mut Rng::new(1));
        let monday = c.at(14.0 * 3600.0).requests_per_s;
        let saturday = c.at(5.0 * DAY_S + 14.0 * 3600.0).requests_per_s;
        assert!((saturday - 0.6 * monday).abs() < 1e-9);
    }

    #[test]
    fn trace_values_hold_until_the_next_row() {
        let rows =
            parse_trace_csv("t_s,requests_per_s,input_tokens,output_tokens\n0,1,512,128\n60,5,,\n120,2,2048,64\n")
                .unwrap();
        let tr = Traffic { source: TrafficSource::Trace { rows }, ..Traffic::default() };
        let mut c = TrafficCursor::new(&tr, 300.0, &mut Rng::new(1));
        let now = c.at(30.0);
        assert_eq!((now.requests_per_s, now.input_tokens, now.output_tokens), (1.0, 512.0, 128.0));
        let now = c.at(60.0);
        assert_eq!((now.requests_per_s, now.input_tokens, now.output_tokens), (5.0, 1024.0, 256.0));
        assert_eq!(c.at(119.0).requests_per_s, 5.0);
        assert_eq!(c.at(1000.0).requests_per_s, 2.0);
    }
}
