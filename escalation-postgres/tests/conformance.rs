//! The escalation-core store conformance suite against PostgresStore, each case in a fresh
//! schema; once as the plain store and once with row-level security on.

mod support;

use std::sync::Arc;

use escalation_core::ports::TicketStore;
use escalation_postgres::PostgresStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::unwrap_used)]
async fn conformance() {
    escalation_core::testkit::conformance::run_all(|| async {
        Arc::new(support::fresh_store("conf").await) as Arc<dyn TicketStore>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::unwrap_used)]
async fn conformance_with_row_level_security() {
    escalation_core::testkit::conformance::run_all(|| async {
        let store = PostgresStore::connect_with(support::rls_options("rls").await)
            .await
            .unwrap();
        assert!(store.row_level_security());
        Arc::new(store) as Arc<dyn TicketStore>
    })
    .await;
}
