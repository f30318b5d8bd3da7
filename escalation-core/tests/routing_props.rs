#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of routing: eligibility, least-loaded choice, round-robin fairness, and the
//! engine's assignment under capacity.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use escalation_core::routing::{self, NoEligibleAgent, Route};
use escalation_core::{
    Agent, AgentId, Impact, LogEvent, Policy, Status, SupportTier, Symbol, TeamId, TicketEvent,
};
use futures::executor::block_on;
use proptest::prelude::*;

use common::{Harness, agent, new_ticket, t0};

const CATEGORIES: [&str; 4] = ["billing", "network", "sso", "mobile"];

#[derive(Debug, Clone)]
struct AgentSpec {
    tier: SupportTier,
    available: bool,
    skills: Vec<usize>,
    generalist: bool,
    capacity: u32,
    load: u32,
}

fn agent_spec() -> impl Strategy<Value = AgentSpec> {
    (
        prop::sample::select(SupportTier::ALL),
        prop::bool::weighted(0.8),
        prop::collection::btree_set(0..CATEGORIES.len(), 0..=3),
        prop::bool::weighted(0.15),
        0u32..5,
        0u32..6,
    )
        .prop_map(
            |(tier, available, skills, generalist, capacity, load)| AgentSpec {
                tier,
                available,
                skills: skills.into_iter().collect(),
                generalist,
                capacity,
                load,
            },
        )
}

/// A roster with unique ids (listed in shuffled order), the loads slice (possibly shorter
/// than the roster: missing entries count as 0), and the category.
fn scenario() -> impl Strategy<Value = (Vec<Agent>, Vec<u32>, Symbol, SupportTier)> {
    (
        prop::collection::vec(agent_spec(), 0..10),
        any::<prop::sample::Index>(),
        0..CATEGORIES.len(),
        prop::sample::select(SupportTier::ALL),
        Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
    )
        .prop_map(|(specs, cut, cat, tier, seed)| {
            let n = specs.len();
            // A permutation of ids, so list order and id order differ.
            let mut order: Vec<usize> = (0..n).collect();
            let mut s = seed;
            for i in (1..n).rev() {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let j = usize::try_from(s >> 33).unwrap() % (i + 1);
                order.swap(i, j);
            }
            let agents: Vec<Agent> = specs
                .iter()
                .zip(&order)
                .map(|(sp, &k)| Agent {
                    id: AgentId::new(format!("agent-{k:02}")),
                    name: Arc::from("x"),
                    tier: sp.tier,
                    skills: sp
                        .skills
                        .iter()
                        .map(|&c| Symbol::intern(CATEGORIES[c]))
                        .collect(),
                    generalist: sp.generalist,
                    email: None,
                    capacity: sp.capacity,
                    available: sp.available,
                    team: TeamId::new(format!("team-{}", k % 3)),
                })
                .collect();
            let mut loads: Vec<u32> = specs.iter().map(|s| s.load).collect();
            let keep = if n == 0 { 0 } else { cut.index(n + 1) };
            loads.truncate(keep);
            (agents, loads, Symbol::intern(CATEGORIES[cat]), tier)
        })
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Reason {
    OtherTier,
    Unavailable,
    LackingSkill,
    AtCapacity,
    Eligible,
}

/// Classifies an agent by the first rule that excludes them (the order the reasons list).
fn classify(a: &Agent, load: u32, category: Symbol, tier: SupportTier) -> Reason {
    if a.tier != tier {
        Reason::OtherTier
    } else if !a.available {
        Reason::Unavailable
    } else if !(a.generalist || a.skills.contains(&category)) {
        Reason::LackingSkill
    } else if load >= a.capacity {
        Reason::AtCapacity
    } else {
        Reason::Eligible
    }
}

fn load_of(loads: &[u32], i: usize) -> u32 {
    loads.get(i).copied().unwrap_or(0)
}

fn winner(route: &Route) -> Option<&AgentId> {
    match route {
        Route::Assigned { agent, .. } => Some(agent),
        Route::Queued(_) => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn route_respects_eligibility_and_picks_the_least_loaded(
        (agents, loads, category, tier) in scenario(),
        last in prop_oneof![Just(None), (0usize..12).prop_map(Some)],
    ) {
        let last_id = last.map(|k| AgentId::new(format!("agent-{k:02}")));
        let route = routing::route(category, tier, &agents, &loads, last_id.as_ref());
        let reasons: Vec<Reason> = agents
            .iter()
            .enumerate()
            .map(|(i, a)| classify(a, load_of(&loads, i), category, tier))
            .collect();
        let eligible: Vec<usize> = (0..agents.len())
            .filter(|&i| reasons[i] == Reason::Eligible)
            .collect();
        match &route {
            Route::Assigned { agent, team, load, eligible: n_eligible, tied } => {
                let i = agents.iter().position(|a| &a.id == agent).expect("assigned a listed agent");
                let a = &agents[i];
                prop_assert!(a.available, "assigned an unavailable agent");
                prop_assert_eq!(a.tier, tier, "assigned an agent of another tier");
                prop_assert!(a.generalist || a.skills.contains(&category), "assigned an agent lacking the skill");
                prop_assert!(load_of(&loads, i) < a.capacity, "assigned an agent at capacity");
                prop_assert_eq!(reasons[i], Reason::Eligible);
                prop_assert_eq!(team, &a.team);
                let min = eligible.iter().map(|&j| load_of(&loads, j)).min().unwrap();
                prop_assert_eq!(load_of(&loads, i), min, "not the least loaded");
                prop_assert_eq!(*load, min);
                prop_assert_eq!(*n_eligible as usize, eligible.len());
                let tied_ids: BTreeSet<&AgentId> = eligible
                    .iter()
                    .filter(|&&j| load_of(&loads, j) == min)
                    .map(|&j| &agents[j].id)
                    .collect();
                prop_assert_eq!(*tied as usize, tied_ids.len());
                // Round-robin: the smallest tied id after the last winner, else the smallest.
                let expected = last_id
                    .as_ref()
                    .and_then(|l| tied_ids.iter().find(|id| **id > l).copied())
                    .or_else(|| tied_ids.iter().next().copied())
                    .unwrap();
                prop_assert_eq!(agent, expected);
            }
            Route::Queued(why) => {
                prop_assert!(eligible.is_empty(), "queued although {:?} are eligible", eligible);
                let count = |r: Reason| u32::try_from(reasons.iter().filter(|x| **x == r).count()).unwrap();
                let expected = NoEligibleAgent {
                    considered: u32::try_from(agents.len()).unwrap(),
                    other_tier: count(Reason::OtherTier),
                    unavailable: count(Reason::Unavailable),
                    lacking_skill: count(Reason::LackingSkill),
                    at_capacity: count(Reason::AtCapacity),
                };
                prop_assert_eq!(*why, expected);
                // Each agent is counted under exactly one reason.
                prop_assert_eq!(
                    why.other_tier + why.unavailable + why.lacking_skill + why.at_capacity,
                    why.considered
                );
            }
        }
    }

    #[test]
    fn round_robin_among_equally_loaded_agents_is_fair(
        n in 1usize..8,
        calls in 1usize..60,
        shuffle in any::<u64>(),
    ) {
        let billing = Symbol::intern("billing");
        let mut ids: Vec<usize> = (0..n).collect();
        let rot = usize::try_from(shuffle % n as u64).unwrap();
        ids.rotate_left(rot);
        if shuffle & 1 == 1 {
            ids.reverse();
        }
        let agents: Vec<Agent> = ids
            .iter()
            .map(|k| agent(&format!("rr-{k}"), &["billing"], 1_000, true))
            .collect();
        let loads = vec![0u32; n];
        let mut last: Option<AgentId> = None;
        let mut counts: BTreeMap<AgentId, usize> = BTreeMap::new();
        for _ in 0..calls {
            let r = routing::route(billing, SupportTier::Tier1, &agents, &loads, last.as_ref());
            let w = winner(&r).cloned().expect("someone is eligible");
            *counts.entry(w.clone()).or_default() += 1;
            last = Some(w);
        }
        let max = counts.values().copied().max().unwrap_or(0);
        let min = if counts.len() < n { 0 } else { counts.values().copied().min().unwrap_or(0) };
        prop_assert!(max - min <= 1, "unfair: {counts:?} over {calls} calls");
    }
}

// --- engine-level --------------------------------------------------------------------------

fn tier1_team(n: usize, capacity: u32) -> Vec<Agent> {
    (0..n)
        .map(|i| agent(&format!("eng-{i}"), &["billing"], capacity, true))
        .collect()
}

fn spread(counts: &BTreeMap<String, usize>, n: usize) -> usize {
    let max = counts.values().copied().max().unwrap_or(0);
    let min = if counts.len() < n {
        0
    } else {
        counts.values().copied().min().unwrap_or(0)
    };
    max - min
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn engine_round_robin_is_fair_when_tickets_are_resolved_at_once(
        n in 2usize..=6,
        m in 1usize..40,
    ) {
        let h = Harness::new(Policy::default(), tier1_team(n, 1_000));
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        block_on(async {
            for _ in 0..m {
                let t = h
                    .engine
                    .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0()))
                    .await
                    .unwrap();
                let a = t.assignee.clone().expect("assigned");
                *counts.entry(a.to_string()).or_default() += 1;
                let done = h
                    .engine
                    .record(
                        &t,
                        TicketEvent::StatusChanged {
                            to: Status::Resolved,
                            by: "test".into(),
                            reason: None,
                        },
                    )
                    .await
                    .unwrap();
                assert_eq!(done.status, Status::Resolved);
            }
        });
        prop_assert!(spread(&counts, n) <= 1, "unfair: {counts:?} over {m} tickets");
        prop_assert_eq!(counts.values().sum::<usize>(), m);
    }

    #[test]
    fn engine_assigns_the_least_loaded_when_loads_grow(
        n in 2usize..=6,
        m in 1usize..40,
    ) {
        let h = Harness::new(Policy::default(), tier1_team(n, 1_000));
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        block_on(async {
            for _ in 0..m {
                let t = h
                    .engine
                    .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0()))
                    .await
                    .unwrap();
                *counts.entry(t.assignee.unwrap().to_string()).or_default() += 1;
            }
        });
        prop_assert!(spread(&counts, n) <= 1, "unbalanced: {counts:?} over {m} tickets");
    }

    #[test]
    fn engine_never_assigns_over_capacity(
        n in 1usize..=4,
        capacity in 1u32..4,
        surplus in 1usize..5,
    ) {
        let h = Harness::new(Policy::default(), tier1_team(n, capacity));
        let total = n * capacity as usize + surplus;
        let tickets = block_on(async {
            let mut out = Vec::new();
            for _ in 0..total {
                out.push(
                    h.engine
                        .create_ticket(new_ticket("c-1", "billing", Impact::Bug, t0()))
                        .await
                        .unwrap(),
                );
            }
            out
        });
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        let mut queued = Vec::new();
        for t in &tickets {
            match &t.assignee {
                Some(a) => {
                    prop_assert_eq!(t.status, Status::InProgress);
                    *counts.entry(a.to_string()).or_default() += 1;
                }
                None => {
                    prop_assert_eq!(t.status, Status::New);
                    queued.push(t.clone());
                }
            }
        }
        prop_assert!(counts.values().all(|&c| c <= capacity), "over capacity: {counts:?}");
        prop_assert_eq!(counts.len(), n);
        prop_assert_eq!(queued.len(), surplus);
        for t in &queued {
            let log = block_on(h.engine.log(t)).unwrap();
            let why = log.iter().find_map(|e| match &e.event {
                LogEvent::Queued { why, .. } => Some(*why),
                _ => None,
            });
            let why = why.expect("a Queued entry");
            prop_assert_eq!(why.considered, u32::try_from(n).unwrap());
            prop_assert_eq!(why.at_capacity, u32::try_from(n).unwrap());
            let assigned = log.iter().any(|e| matches!(e.event, LogEvent::Assigned { .. }));
            prop_assert!(!assigned, "a queued ticket logged an assignment");
            prop_assert_eq!(t.route_retry_at, Some(t0() + common::secs(300)));
        }
        // A sweep once the retry is due still finds everyone at capacity.
        h.clock.advance(common::secs(300));
        let report = block_on(h.engine.sweep()).unwrap();
        prop_assert_eq!(report.assigned, 0);
        for t in &queued {
            let now = block_on(h.engine.ticket(t)).unwrap();
            prop_assert_eq!(now.status, Status::New);
            prop_assert_eq!(now.assignee, None);
        }
    }
}
