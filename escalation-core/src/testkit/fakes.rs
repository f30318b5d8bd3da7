//! Test helpers for hosts and adapters (feature `testkit`): fault-injecting Notifier and
//! Pager fakes with a delivery journal.
//!
//! The fakes deduplicate by idempotency key the way PagerDuty deduplicates by `dedup_key`:
//! a repeated key is accepted but not delivered again. The journal counts raw calls apart
//! from deliveries, so a test can show that retries happened and that nothing arrived twice.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::ports::{Notification, Notifier, Page, Pager};

/// How a failing call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// A retryable error; nothing was delivered.
    Error,
    /// A timeout; nothing was delivered.
    Timeout,
    /// Delivered, but the caller sees an error (the ambiguous case that makes delivery
    /// at-least-once).
    DeliveredThenError,
}

/// A journal of what a fake received.
#[derive(Debug, Default, Clone)]
pub struct Journal {
    /// Every call, failing ones included.
    pub raw_calls: u64,
    /// How many calls failed on purpose.
    pub injected_faults: u64,
    /// Deliveries per idempotency key; the receiving side keeps the first only.
    pub deliveries: HashMap<Arc<str>, u32>,
    /// Keys in the order they were first delivered.
    pub order: Vec<Arc<str>>,
}

impl Journal {
    /// Keys that reached the receiver more than once (the receiver's dedup dropped the
    /// repeats; a correct engine makes repeats only on ambiguous failures).
    pub fn repeated(&self) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = self
            .deliveries
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(k, _)| k.clone())
            .collect();
        out.sort();
        out
    }

    fn record(&mut self, key: &Arc<str>) {
        let n = self.deliveries.entry(key.clone()).or_insert(0);
        if *n == 0 {
            self.order.push(key.clone());
        }
        *n += 1;
    }
}

/// Decides, deterministically from a seed, the key and the attempt number, which calls fail.
#[derive(Debug)]
struct FaultPlan {
    rate_per_mille: u64,
    seed: u64,
    attempts: HashMap<Arc<str>, u32>,
}

impl FaultPlan {
    fn next(&mut self, key: &Arc<str>) -> Option<Fault> {
        let attempt = self.attempts.entry(key.clone()).or_insert(0);
        *attempt += 1;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.seed, key, *attempt).hash(&mut h);
        let roll = h.finish();
        if roll % 1000 >= self.rate_per_mille {
            return None;
        }
        Some(match (roll / 1000) % 3 {
            0 => Fault::Error,
            1 => Fault::Timeout,
            _ => Fault::DeliveredThenError,
        })
    }
}

#[derive(Debug)]
struct FlakyState {
    plan: FaultPlan,
    journal: Journal,
}

fn fail(port: &'static str, fault: Fault) -> Error {
    match fault {
        Fault::Timeout => Error::Timeout {
            port,
            after_ms: 10_000,
        },
        Fault::Error | Fault::DeliveredThenError => Error::port_transient(port, "injected fault"),
    }
}

/// A Notifier that fails a share of its calls (errors, timeouts, and deliveries reported as
/// errors) and journals what it received.
#[derive(Debug)]
pub struct FlakyNotifier {
    state: Mutex<FlakyState>,
}

impl FlakyNotifier {
    /// Fails about `rate` (0.0–1.0) of calls, chosen by `seed`.
    pub fn new(rate: f64, seed: u64) -> FlakyNotifier {
        FlakyNotifier {
            state: Mutex::new(FlakyState {
                plan: FaultPlan {
                    rate_per_mille: (rate.clamp(0.0, 1.0) * 1000.0) as u64,
                    seed,
                    attempts: HashMap::new(),
                },
                journal: Journal::default(),
            }),
        }
    }

    /// What it received so far.
    pub fn journal(&self) -> Journal {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .journal
            .clone()
    }
}

#[async_trait]
impl Notifier for FlakyNotifier {
    async fn send(&self, n: &Notification) -> Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.journal.raw_calls += 1;
        match st.plan.next(&n.key) {
            None => {
                st.journal.record(&n.key);
                Ok(())
            }
            Some(fault) => {
                st.journal.injected_faults += 1;
                if fault == Fault::DeliveredThenError {
                    st.journal.record(&n.key);
                }
                Err(fail("Notifier", fault))
            }
        }
    }
}

/// A Pager that fails a share of its calls and journals triggers and resolves separately.
/// Triggers are journaled by [`Page::call_key`] (dedup key and repeat number), so a page
/// and each of its repeats are distinct deliveries and a repeated call shows up as such.
#[derive(Debug)]
pub struct FlakyPager {
    state: Mutex<FlakyState>,
    resolves: Mutex<Journal>,
}

impl FlakyPager {
    /// Fails about `rate` (0.0–1.0) of calls, chosen by `seed`.
    pub fn new(rate: f64, seed: u64) -> FlakyPager {
        FlakyPager {
            state: Mutex::new(FlakyState {
                plan: FaultPlan {
                    rate_per_mille: (rate.clamp(0.0, 1.0) * 1000.0) as u64,
                    seed,
                    attempts: HashMap::new(),
                },
                journal: Journal::default(),
            }),
            resolves: Mutex::new(Journal::default()),
        }
    }

    /// The triggers received so far, by call key (`dedup_key/repeat`).
    pub fn triggers(&self) -> Journal {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .journal
            .clone()
    }

    /// The resolves received so far, by dedup key.
    pub fn resolves(&self) -> Journal {
        self.resolves
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl Pager for FlakyPager {
    async fn trigger(&self, page: &Page) -> Result<()> {
        let key: Arc<str> = Arc::from(page.call_key());
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.journal.raw_calls += 1;
        match st.plan.next(&key) {
            None => {
                st.journal.record(&key);
                Ok(())
            }
            Some(fault) => {
                st.journal.injected_faults += 1;
                if fault == Fault::DeliveredThenError {
                    st.journal.record(&key);
                }
                Err(fail("Pager", fault))
            }
        }
    }

    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        let key: Arc<str> = Arc::from(dedup_key);
        let fault = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            st.plan.next(&Arc::from(format!("{dedup_key}/resolve")))
        };
        let mut j = self.resolves.lock().unwrap_or_else(|e| e.into_inner());
        j.raw_calls += 1;
        match fault {
            None => {
                j.record(&key);
                Ok(())
            }
            Some(fault) => {
                j.injected_faults += 1;
                if fault == Fault::DeliveredThenError {
                    j.record(&key);
                }
                Err(fail("Pager", fault))
            }
        }
    }
}
