use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::Result;
use crate::ports::{Page, Pager};

/// One call a [`MemoryPager`] received.
#[derive(Debug, Clone, PartialEq)]
pub enum PagerCall {
    /// A trigger.
    Trigger(Page),
    /// A resolve of a dedup key.
    Resolve(Arc<str>),
}

/// A [`Pager`] that records calls and keeps PagerDuty-like incident state per dedup key.
#[derive(Debug, Default)]
pub struct MemoryPager {
    state: Mutex<PagerState>,
}

#[derive(Debug, Default)]
struct PagerState {
    calls: Vec<PagerCall>,
    open: HashMap<Arc<str>, Page>,
}

impl MemoryPager {
    /// No incidents.
    pub fn new() -> MemoryPager {
        MemoryPager::default()
    }

    /// Every call, in order.
    pub fn calls(&self) -> Vec<PagerCall> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .calls
            .clone()
    }

    /// Whether an incident with `dedup_key` is open.
    pub fn is_open(&self, dedup_key: &str) -> bool {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .open
            .contains_key(dedup_key)
    }
}

#[async_trait]
impl Pager for MemoryPager {
    async fn trigger(&self, page: &Page) -> Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.calls.push(PagerCall::Trigger(page.clone()));
        st.open.insert(page.dedup_key.clone(), page.clone());
        Ok(())
    }

    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.calls.push(PagerCall::Resolve(Arc::from(dedup_key)));
        st.open.remove(dedup_key);
        Ok(())
    }
}
