//! Priority scoring (workflow step 3): a weighted, explainable score from 0 to 100.
//!
//! Each factor maps to a value in `[0, 1]`: the customer tier and product impact through the
//! policy's tables, the ticket's age linearly up to a saturation age, and the lifetime value
//! logarithmically up to a cap. The score is `100 * Σ wᵢ·fᵢ / Σ wᵢ`, so it stays in
//! `[0, 100]` whatever the weights, and each factor's share is reported in the breakdown.
//! Since only the age changes while a ticket waits, the instant at which the score crosses
//! the next band is computed in closed form ([`next_band_change`]); the sweep rescores the
//! ticket exactly then instead of polling every open ticket.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{CustomerTier, Impact, Priority};
use crate::policy::ScoringPolicy;

/// One factor's part of a score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The factor's value in `[0, 1]`.
    pub factor: f64,
    /// The factor's weight in the policy.
    pub weight: f64,
    /// The points it adds to the score (`100 · weight · factor / Σ weights`).
    pub points: f64,
}

/// Each factor's contribution to a score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The customer's tier.
    pub tier: Contribution,
    /// The product impact.
    pub impact: Contribution,
    /// The ticket's age.
    pub age: Contribution,
    /// The customer's lifetime value.
    pub lifetime_value: Contribution,
}

/// What scoring looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreInput {
    /// The customer's tier (the policy's default when the profile is unknown).
    pub tier: CustomerTier,
    /// Whether `tier` is the default because the profile is unknown.
    pub tier_assumed: bool,
    /// The product impact.
    pub impact: Impact,
    /// Time since the customer sent the ticket.
    pub age: TimeDelta,
    /// The customer's lifetime value (0 when unknown).
    pub lifetime_value: f64,
}

/// A computed score, its band and why.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The score, in `[0, 100]`.
    pub value: f64,
    /// The band the score falls in.
    pub band: Priority,
    /// Each factor's contribution; the points add up to `value`.
    pub breakdown: Breakdown,
    /// The tier used.
    pub tier: CustomerTier,
    /// Whether the tier was assumed because the profile is unknown.
    pub tier_assumed: bool,
    /// The impact used.
    pub impact: Impact,
    /// The age used, in seconds.
    pub age_seconds: i64,
}

/// Computes the score of `input` under `policy`.
pub fn score(input: &ScoreInput, policy: &ScoringPolicy) -> Score {
    let w = &policy.weights;
    let total = w.tier + w.impact + w.age + w.lifetime_value;
    let scale = if total > 0.0 { 100.0 / total } else { 0.0 };
    let part = |factor: f64, weight: f64| {
        let factor = clamp01(factor);
        Contribution {
            factor,
            weight,
            points: scale * weight * factor,
        }
    };
    let breakdown = Breakdown {
        tier: part(policy.tier_values.of(input.tier), w.tier),
        impact: part(policy.impact_values.of(input.impact), w.impact),
        age: part(age_factor(input.age, policy), w.age),
        lifetime_value: part(ltv_factor(input.lifetime_value, policy), w.lifetime_value),
    };
    let value = (breakdown.tier.points
        + breakdown.impact.points
        + breakdown.age.points
        + breakdown.lifetime_value.points)
        .clamp(0.0, 100.0);
    Score {
        value,
        band: policy.bands.priority(value),
        breakdown,
        tier: input.tier,
        tier_assumed: input.tier_assumed,
        impact: input.impact,
        age_seconds: input.age.num_seconds(),
    }
}

/// The first instant after which the band of a ticket received at `received_at` rises
/// because it aged, or `None` if it never will under `policy`.
pub fn next_band_change(
    current: &Score,
    received_at: DateTime<Utc>,
    policy: &ScoringPolicy,
) -> Option<DateTime<Utc>> {
    let w = &policy.weights;
    let total = w.tier + w.impact + w.age + w.lifetime_value;
    if total <= 0.0 || w.age <= 0.0 {
        return None;
    }
    let age_span = 100.0 * w.age / total; // points the age adds at saturation
    let base = current.value - current.breakdown.age.points;
    let b = &policy.bands;
    let threshold = [b.normal, b.high, b.critical]
        .into_iter()
        .find(|t| *t > current.value)?;
    if base + age_span < threshold {
        return None;
    }
    let fraction = ((threshold - base) / age_span).clamp(0.0, 1.0);
    let seconds = (fraction * policy.age_saturation_hours * 3600.0).ceil() + 1.0;
    if !seconds.is_finite() || seconds > 1e12 {
        return None;
    }
    received_at.checked_add_signed(TimeDelta::seconds(seconds as i64))
}

fn clamp01(v: f64) -> f64 {
    if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) }
}

fn age_factor(age: TimeDelta, policy: &ScoringPolicy) -> f64 {
    let hours = age.num_seconds() as f64 / 3600.0;
    if hours <= 0.0 {
        0.0
    } else {
        hours / policy.age_saturation_hours
    }
}

fn ltv_factor(ltv: f64, policy: &ScoringPolicy) -> f64 {
    if !(ltv.is_finite() && ltv > 0.0) {
        return 0.0;
    }
    ltv.ln_1p() / policy.lifetime_value_cap.ln_1p()
}

/// A compact copy of a score, as the log keeps it: the value, the band and each factor's
/// points (in single precision, plenty for points between 0 and 100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreNote {
    /// The score.
    pub value: f32,
    /// Its band.
    pub band: Priority,
    /// The tier used.
    pub tier: CustomerTier,
    /// Whether the tier was assumed.
    pub tier_assumed: bool,
    /// The impact used.
    pub impact: Impact,
    /// The age used, in whole hours.
    pub age_hours: u32,
    /// Points from tier, impact, age and lifetime value, in that order.
    pub points: [f32; 4],
}

impl Score {
    /// The compact copy the log keeps.
    pub fn note(&self) -> ScoreNote {
        let b = &self.breakdown;
        ScoreNote {
            value: self.value as f32,
            band: self.band,
            tier: self.tier,
            tier_assumed: self.tier_assumed,
            impact: self.impact,
            age_hours: u32::try_from(self.age_seconds.max(0) / 3600).unwrap_or(u32::MAX),
            points: [
                b.tier.points as f32,
                b.impact.points as f32,
                b.age.points as f32,
                b.lifetime_value.points as f32,
            ],
        }
    }
}

impl fmt::Display for ScoreNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [tier, impact, age, ltv] = self.points;
        write!(
            f,
            "score {:.1} ({}): tier {}{} {tier:.1} + impact {} {impact:.1} + age {}h {age:.1} + lifetime value {ltv:.1}",
            self.value,
            self.band,
            self.tier,
            if self.tier_assumed { " (assumed)" } else { "" },
            self.impact,
            self.age_hours,
        )
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.note().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn input(tier: CustomerTier, impact: Impact, hours: i64, ltv: f64) -> ScoreInput {
        ScoreInput {
            tier,
            tier_assumed: false,
            impact,
            age: TimeDelta::hours(hours),
            lifetime_value: ltv,
        }
    }

    #[test]
    fn points_add_up_and_follow_the_weights() {
        let p = Policy::default().scoring;
        let s = score(&input(CustomerTier::Vip, Impact::Outage, 0, 0.0), &p);
        let total = 0.30 + 0.45 + 0.10 + 0.15;
        assert!((s.breakdown.tier.points - 100.0 * 0.30 / total).abs() < 1e-9);
        assert!((s.breakdown.impact.points - 100.0 * 0.45 / total).abs() < 1e-9);
        assert_eq!(s.breakdown.age.points, 0.0);
        assert!((s.value - 75.0).abs() < 1e-9);
        assert_eq!(s.band, Priority::Critical);
    }

    #[test]
    fn extremes_are_0_and_100() {
        let p = Policy::default().scoring;
        let low = score(
            &input(CustomerTier::Free, Impact::FeatureRequest, 0, 0.0),
            &p,
        );
        assert_eq!(low.value, 0.0);
        assert_eq!(low.band, Priority::Low);
        let high = score(&input(CustomerTier::Vip, Impact::Outage, 1000, 1e12), &p);
        assert!((high.value - 100.0).abs() < 1e-9);
    }

    #[test]
    fn age_saturates_and_future_receipt_counts_as_zero() {
        let p = Policy::default().scoring;
        let a = score(&input(CustomerTier::Free, Impact::Bug, 72, 0.0), &p);
        let b = score(&input(CustomerTier::Free, Impact::Bug, 500, 0.0), &p);
        let c = score(&input(CustomerTier::Free, Impact::Bug, -5, 0.0), &p);
        assert_eq!(a.breakdown.age.factor, 1.0);
        assert_eq!(a.value, b.value);
        assert_eq!(c.breakdown.age.factor, 0.0);
    }

    #[test]
    fn next_band_change_is_exactly_when_the_band_rises() {
        let p = Policy::default().scoring;
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let inp = input(CustomerTier::Premium, Impact::Bug, 0, 50_000.0);
        let s0 = score(&inp, &p);
        let at = next_band_change(&s0, t0, &p).expect("ages into a higher band");
        let before = score(
            &ScoreInput {
                age: at - t0 - TimeDelta::seconds(2),
                ..inp
            },
            &p,
        );
        let after = score(
            &ScoreInput {
                age: at - t0,
                ..inp
            },
            &p,
        );
        assert_eq!(before.band, s0.band);
        assert!(after.band > s0.band, "{after}");
    }

    #[test]
    fn next_band_change_is_none_when_age_cannot_lift_it() {
        let p = Policy::default().scoring;
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let s = score(
            &input(CustomerTier::Free, Impact::FeatureRequest, 0, 0.0),
            &p,
        );
        // Age adds at most 10 points; Normal needs 25.
        assert_eq!(next_band_change(&s, t0, &p), None);
    }

    #[test]
    fn display_explains_each_factor() {
        let p = Policy::default().scoring;
        let s = score(&input(CustomerTier::Premium, Impact::Outage, 3, 10.0), &p);
        let text = s.to_string();
        assert!(text.contains("tier premium"), "{text}");
        assert!(text.contains("impact outage"), "{text}");
        assert!(text.contains("age 3h"), "{text}");
    }
}
