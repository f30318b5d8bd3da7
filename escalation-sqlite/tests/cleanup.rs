//! Retention cleanup (`Engine::cleanup`) on SQLite, in memory and on a file, at several batch
//! sizes: the scenario of escalation-core's testkit.

use std::sync::Arc;

use escalation_core::ports::TicketStore;
use escalation_core::testkit::conformance::cleanup_scenario;
use escalation_sqlite::SqliteStore;

#[tokio::test]
#[allow(clippy::unwrap_used)]
async fn cleanup_on_sqlite_in_memory() {
    for batch in [1, 2, 3, 500] {
        let store = SqliteStore::open_in_memory().unwrap();
        cleanup_scenario(Arc::new(store) as Arc<dyn TicketStore>, batch).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::unwrap_used)]
async fn cleanup_on_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    for batch in [2, 500] {
        let store = SqliteStore::open(dir.path().join(format!("cleanup-{batch}.db"))).unwrap();
        cleanup_scenario(Arc::new(store) as Arc<dyn TicketStore>, batch).await;
    }
}
