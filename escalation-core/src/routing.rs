//! Routing (workflow step 4): which agent gets a ticket.
//!
//! An agent is eligible when they work in the wanted tier, are available, handle the
//! ticket's category (or are a generalist) and have spare capacity. Among the eligible, the
//! least loaded wins; ties go round-robin in agent-id order, continuing after the agent
//! that won the last tie, so the choice is stable across calls and fair over time.

use serde::{Deserialize, Serialize};

use crate::model::{Agent, AgentId, SupportTier, TeamId};
use crate::symbol::Symbol;

/// Why no agent could take a ticket: how many agents each rule excluded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoEligibleAgent {
    /// Agents the directory listed.
    pub considered: u32,
    /// Agents in another tier.
    pub other_tier: u32,
    /// Agents off shift or away.
    pub unavailable: u32,
    /// Agents without the category among their skills.
    pub lacking_skill: u32,
    /// Agents at capacity.
    pub at_capacity: u32,
}

/// The routing decision for one ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Route {
    /// An agent takes the ticket.
    Assigned {
        /// The chosen agent.
        agent: AgentId,
        /// Their team.
        team: TeamId,
        /// Their load before this ticket.
        load: u32,
        /// Eligible agents.
        eligible: u32,
        /// Eligible agents sharing the lowest load (the round-robin group).
        tied: u32,
    },
    /// Nobody can take it now; it stays queued.
    Queued(NoEligibleAgent),
}

/// Chooses an agent in `tier` for a ticket of `category`.
///
/// `loads[i]` is the number of open tickets `agents[i]` owns (missing entries count as 0).
/// `last_tie_winner` is the agent that won the previous round-robin tie in this tier.
pub fn route(
    category: Symbol,
    tier: SupportTier,
    agents: &[Agent],
    loads: &[u32],
    last_tie_winner: Option<&AgentId>,
) -> Route {
    let mut why = NoEligibleAgent {
        considered: u32::try_from(agents.len()).unwrap_or(u32::MAX),
        ..NoEligibleAgent::default()
    };
    let load_of = |i: usize| loads.get(i).copied().unwrap_or(0);
    let mut min_load = u32::MAX;
    let mut eligible = 0u32;
    for (i, a) in agents.iter().enumerate() {
        if a.tier != tier {
            why.other_tier += 1;
        } else if !a.available {
            why.unavailable += 1;
        } else if !a.handles(category) {
            why.lacking_skill += 1;
        } else if load_of(i) >= a.capacity {
            why.at_capacity += 1;
        } else {
            eligible += 1;
            min_load = min_load.min(load_of(i));
        }
    }
    if eligible == 0 {
        return Route::Queued(why);
    }
    // Among the least loaded: the smallest id after the last tie winner, else the smallest id.
    let mut tied = 0u32;
    let mut first: Option<usize> = None;
    let mut after_last: Option<usize> = None;
    for (i, a) in agents.iter().enumerate() {
        let ok = a.tier == tier
            && a.available
            && a.handles(category)
            && load_of(i) < a.capacity
            && load_of(i) == min_load;
        if !ok {
            continue;
        }
        tied += 1;
        if first.is_none_or(|f| a.id < agents[f].id) {
            first = Some(i);
        }
        if last_tie_winner.is_some_and(|last| a.id > *last)
            && after_last.is_none_or(|f| a.id < agents[f].id)
        {
            after_last = Some(i);
        }
    }
    match after_last.or(first) {
        Some(i) => Route::Assigned {
            agent: agents[i].id.clone(),
            team: agents[i].team.clone(),
            load: min_load,
            eligible,
            tied,
        },
        None => Route::Queued(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn agent(id: &str, skills: &[&str], capacity: u32, available: bool) -> Agent {
        Agent {
            id: AgentId::new(id),
            name: Arc::from(id),
            tier: SupportTier::Tier1,
            skills: skills.iter().map(|s| Symbol::intern(s)).collect(),
            generalist: false,
            email: None,
            capacity,
            available,
            team: TeamId::new("t"),
        }
    }

    fn winner(r: &Route) -> &str {
        match r {
            Route::Assigned { agent, .. } => agent.as_str(),
            Route::Queued(_) => "queued",
        }
    }

    #[test]
    fn least_loaded_eligible_agent_wins() {
        let billing = Symbol::intern("billing");
        let agents = [
            agent("a", &["billing"], 5, true),
            agent("b", &["billing"], 5, true),
            agent("c", &["network"], 5, true),
            agent("d", &["billing"], 5, false),
        ];
        let r = route(billing, SupportTier::Tier1, &agents, &[3, 1, 0, 0], None);
        assert_eq!(winner(&r), "b");
    }

    #[test]
    fn ties_rotate_in_id_order() {
        let billing = Symbol::intern("billing");
        let agents = [
            agent("c", &["billing"], 5, true),
            agent("a", &["billing"], 5, true),
            agent("b", &["billing"], 5, true),
        ];
        let loads = [0, 0, 0];
        let mut last: Option<AgentId> = None;
        let mut order = Vec::new();
        for _ in 0..4 {
            let r = route(billing, SupportTier::Tier1, &agents, &loads, last.as_ref());
            order.push(winner(&r).to_owned());
            last = Some(AgentId::new(winner(&r)));
        }
        assert_eq!(order, ["a", "b", "c", "a"]);
    }

    #[test]
    fn queued_reports_why() {
        let billing = Symbol::intern("billing");
        let mut t2 = agent("e", &["billing"], 5, true);
        t2.tier = SupportTier::Tier2;
        let agents = [
            agent("a", &["billing"], 1, true),
            agent("b", &["network"], 5, true),
            agent("c", &["billing"], 5, false),
            t2,
        ];
        let r = route(billing, SupportTier::Tier1, &agents, &[1, 0, 0, 0], None);
        assert_eq!(
            r,
            Route::Queued(NoEligibleAgent {
                considered: 4,
                other_tier: 1,
                unavailable: 1,
                lacking_skill: 1,
                at_capacity: 1,
            })
        );
    }

    #[test]
    fn generalists_take_any_category() {
        let mut g = agent("g", &[], 2, true);
        g.generalist = true;
        let r = route(
            Symbol::intern("anything"),
            SupportTier::Tier1,
            &[g],
            &[0],
            None,
        );
        assert_eq!(winner(&r), "g");
    }
}
