use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::Result;
use crate::ports::{Notification, Notifier};

/// A [`Notifier`] that keeps what it is sent, deduplicated by idempotency key.
#[derive(Debug, Default)]
pub struct MemoryNotifier {
    state: Mutex<Sent>,
}

#[derive(Debug, Default)]
struct Sent {
    calls: u64,
    keys: HashSet<Arc<str>>,
    delivered: Vec<Notification>,
}

impl MemoryNotifier {
    /// An empty outbox.
    pub fn new() -> MemoryNotifier {
        MemoryNotifier::default()
    }

    /// Distinct notifications delivered, in order (a repeated key counts once).
    pub fn delivered(&self) -> Vec<Notification> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .delivered
            .clone()
    }

    /// Raw `send` calls, repeats included.
    pub fn calls(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).calls
    }
}

#[async_trait]
impl Notifier for MemoryNotifier {
    async fn send(&self, n: &Notification) -> Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.calls += 1;
        if st.keys.insert(n.key.clone()) {
            st.delivered.push(n.clone());
        }
        Ok(())
    }
}
