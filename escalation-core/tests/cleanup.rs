//! Retention cleanup (`Engine::cleanup`) on the in-memory store, at several batch sizes.
//! The same scenario runs on SQLite from escalation-sqlite/tests/cleanup.rs.

use std::sync::Arc;

use escalation_core::memory::MemoryStore;
use escalation_core::ports::TicketStore;
use escalation_core::testkit::conformance::cleanup_scenario;

#[tokio::test]
async fn cleanup_on_memory_store_in_any_batch_size() {
    for batch in [1, 2, 3, 500] {
        cleanup_scenario(Arc::new(MemoryStore::new()) as Arc<dyn TicketStore>, batch).await;
    }
}
