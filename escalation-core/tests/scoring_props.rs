#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of the priority score under arbitrary valid policies.

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::policy::{Bands, ImpactValues, Policy, ScoringPolicy, TierValues, Weights};
use escalation_core::scoring::{self, Score, ScoreInput};
use escalation_core::{CustomerTier, Impact};
use proptest::prelude::*;

/// A value in `[0, 1]`, often exactly 0 or 1.
fn unit() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 1 => Just(1.0), 6 => 0.0..=1.0f64]
}

fn weights() -> impl Strategy<Value = Weights> {
    (unit(), unit(), unit(), unit())
        .prop_filter("at least one weight above 0", |(a, b, c, d)| {
            [a, b, c, d].iter().any(|w| **w > 0.0)
        })
        .prop_map(|(tier, impact, age, lifetime_value)| Weights {
            tier,
            impact,
            age,
            lifetime_value,
        })
}

/// Five non-decreasing values in `[0, 1]`.
fn table() -> impl Strategy<Value = [f64; 5]> {
    proptest::collection::vec(unit(), 5).prop_map(|mut v| {
        v.sort_by(f64::total_cmp);
        [v[0], v[1], v[2], v[3], v[4]]
    })
}

fn bands() -> impl Strategy<Value = Bands> {
    (0.001..=100.0f64, 0.001..=100.0f64, 0.001..=100.0f64).prop_filter_map(
        "three distinct band thresholds",
        |(a, b, c)| {
            let mut v = [a, b, c];
            v.sort_by(|x, y| y.total_cmp(x));
            (v[0] > v[1] && v[1] > v[2]).then_some(Bands {
                critical: v[0],
                high: v[1],
                normal: v[2],
            })
        },
    )
}

fn scoring_policy() -> impl Strategy<Value = ScoringPolicy> {
    (
        weights(),
        table(),
        table(),
        prop_oneof![Just(8_760.0), Just(1.0), 0.01..=8_760.0f64],
        prop_oneof![Just(1.0), 1.0..=1e15f64],
        prop::sample::select(CustomerTier::ALL),
        bands(),
    )
        .prop_map(
            |(weights, t, i, sat, cap, default_tier, bands)| ScoringPolicy {
                weights,
                tier_values: TierValues {
                    free: t[0],
                    standard: t[1],
                    premium: t[2],
                    enterprise: t[3],
                    vip: t[4],
                },
                impact_values: ImpactValues {
                    feature_request: i[0],
                    question: i[1],
                    bug: i[2],
                    degraded: i[3],
                    outage: i[4],
                },
                age_saturation_hours: sat,
                lifetime_value_cap: cap,
                default_tier,
                bands,
            },
        )
}

fn valid(scoring: &ScoringPolicy) -> bool {
    Policy {
        scoring: scoring.clone(),
        ..Policy::default()
    }
    .validate()
    .is_ok()
}

/// Any age a `TimeDelta` of whole seconds can hold, mostly moderate ones, negative included.
fn age() -> impl Strategy<Value = TimeDelta> {
    const MAX_SECS: i64 = i64::MAX / 1_000;
    prop_oneof![
        Just(0i64),
        -1_000_000i64..=3_600_000_000i64,
        -MAX_SECS..=MAX_SECS,
    ]
    .prop_map(TimeDelta::seconds)
}

fn lifetime_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(0.0),
        -1e6..=1e15f64,
    ]
}

fn input() -> impl Strategy<Value = ScoreInput> {
    (
        prop::sample::select(CustomerTier::ALL),
        any::<bool>(),
        prop::sample::select(Impact::ALL),
        age(),
        lifetime_value(),
    )
        .prop_map(
            |(tier, tier_assumed, impact, age, lifetime_value)| ScoreInput {
                tier,
                tier_assumed,
                impact,
                age,
                lifetime_value,
            },
        )
}

fn sum_of_points(s: &Score) -> f64 {
    let b = &s.breakdown;
    b.tier.points + b.impact.points + b.age.points + b.lifetime_value.points
}

fn at_age(input: &ScoreInput, age: TimeDelta, policy: &ScoringPolicy) -> Score {
    scoring::score(&ScoreInput { age, ..*input }, policy)
}

fn base_instant() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn score_stays_within_0_and_100_and_explains_itself(
        policy in scoring_policy(),
        input in input(),
    ) {
        prop_assert!(valid(&policy));
        let s = scoring::score(&input, &policy);
        prop_assert!(s.value.is_finite(), "{s:?}");
        prop_assert!((0.0..=100.0).contains(&s.value), "{s:?}");
        prop_assert_eq!(s.band, policy.bands.priority(s.value));
        prop_assert!((sum_of_points(&s) - s.value).abs() <= 1e-9, "{s:?}");
        for c in [s.breakdown.tier, s.breakdown.impact, s.breakdown.age, s.breakdown.lifetime_value] {
            prop_assert!((0.0..=1.0).contains(&c.factor), "{c:?}");
            prop_assert!(c.points >= 0.0 && c.points.is_finite(), "{c:?}");
        }
        prop_assert_eq!(s.tier, input.tier);
        prop_assert_eq!(s.tier_assumed, input.tier_assumed);
        prop_assert_eq!(s.impact, input.impact);
        prop_assert_eq!(s.age_seconds, input.age.num_seconds());
        prop_assert_eq!(s.breakdown.tier.factor, policy.tier_values.of(input.tier));
        prop_assert_eq!(s.breakdown.impact.factor, policy.impact_values.of(input.impact));
    }

    #[test]
    fn score_is_monotone_in_tier(policy in scoring_policy(), input in input()) {
        let mut prev: Option<Score> = None;
        for &tier in CustomerTier::ALL {
            let s = scoring::score(&ScoreInput { tier, ..input }, &policy);
            if let Some(p) = prev {
                prop_assert!(s.value >= p.value, "{} then {}: {p:?} -> {s:?}", p.tier, tier);
                prop_assert!(s.band >= p.band);
            }
            prev = Some(s);
        }
    }

    #[test]
    fn score_is_monotone_in_impact(policy in scoring_policy(), input in input()) {
        let mut prev: Option<Score> = None;
        for &impact in Impact::ALL {
            let s = scoring::score(&ScoreInput { impact, ..input }, &policy);
            if let Some(p) = prev {
                prop_assert!(s.value >= p.value, "{} then {}: {p:?} -> {s:?}", p.impact, impact);
                prop_assert!(s.band >= p.band);
            }
            prev = Some(s);
        }
    }

    #[test]
    fn score_is_monotone_in_age(policy in scoring_policy(), input in input(), extra in 0i64..=1_000_000_000) {
        let older = input.age.checked_add(&TimeDelta::seconds(extra)).unwrap_or(input.age);
        let a = scoring::score(&input, &policy);
        let b = at_age(&input, older, &policy);
        prop_assert!(b.value >= a.value, "{a:?} -> {b:?}");
    }

    /// `next_band_change` is when the band rises: not yet two seconds before, risen at it;
    /// and when it says never, the band at saturation is still the current one.
    #[test]
    fn next_band_change_is_the_first_rise(
        policy in scoring_policy(),
        input in input(),
        // The current age as a fraction of the saturation age; below 0 means received in
        // the future.
        position in prop_oneof![Just(0.0), -0.5..=1.0f64],
    ) {
        let saturation_secs = (policy.age_saturation_hours * 3_600.0).ceil() as i64;
        let a0 = TimeDelta::seconds((position * saturation_secs as f64).round() as i64);
        let now = base_instant();
        let received_at = now - a0;
        let current = at_age(&input, a0, &policy);
        match scoring::next_band_change(&current, received_at, &policy) {
            Some(t) => {
                let age_t = t - received_at;
                prop_assert!(t > now, "change at {t} is not after now {now}");
                prop_assert!(age_t >= TimeDelta::seconds(2), "{age_t}");
                prop_assert!(
                    age_t <= TimeDelta::seconds(saturation_secs + 1),
                    "change at age {age_t} is past the saturation age {saturation_secs}s + 1s"
                );
                let before = at_age(&input, age_t - TimeDelta::seconds(2), &policy);
                let after = at_age(&input, age_t, &policy);
                prop_assert_eq!(
                    before.band, current.band,
                    "band already rose 2 s before the change: {:?} -> {:?}", current, before
                );
                prop_assert!(
                    after.band > current.band,
                    "band did not rise at the change: {:?} -> {:?}", current, after
                );
                prop_assert!(policy.weights.age > 0.0);
            }
            None => {
                let saturated = at_age(&input, TimeDelta::seconds(saturation_secs), &policy);
                prop_assert_eq!(
                    saturated.band, current.band,
                    "no change announced, yet the band moves by saturation: {:?} -> {:?}",
                    current, saturated
                );
                let much_later = at_age(&input, TimeDelta::seconds(saturation_secs * 10 + 1), &policy);
                prop_assert_eq!(much_later.band, current.band);
            }
        }
    }
}

#[test]
fn next_band_change_is_none_without_age_weight() {
    let mut p = Policy::default().scoring;
    p.weights.age = 0.0;
    let input = ScoreInput {
        tier: CustomerTier::Premium,
        tier_assumed: false,
        impact: Impact::Bug,
        age: TimeDelta::zero(),
        lifetime_value: 50_000.0,
    };
    let s = scoring::score(&input, &p);
    assert_eq!(scoring::next_band_change(&s, base_instant(), &p), None);
}
