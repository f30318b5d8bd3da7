//! The escalation-core store conformance suite against SqliteStore.

use std::sync::Arc;

use escalation_core::ports::TicketStore;
use escalation_sqlite::SqliteStore;

#[tokio::test]
#[allow(clippy::unwrap_used)]
async fn conformance_in_memory() {
    escalation_core::testkit::conformance::run_all(|| async {
        Arc::new(SqliteStore::open_in_memory().unwrap()) as Arc<dyn TicketStore>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::unwrap_used)]
async fn conformance_on_file() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    let dir_path = dir.path().to_owned();
    escalation_core::testkit::conformance::run_all(|| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir_path.join(format!("case-{i}.db"));
        async move { Arc::new(SqliteStore::open(path).unwrap()) as Arc<dyn TicketStore> }
    })
    .await;
}
