//! The store conformance suite (`escalation_core::testkit::conformance`) against the
//! in-memory reference store: once as a whole with `run_all`, and once per case through
//! `store_conformance!`.

use std::sync::Arc;

use escalation_core::memory::MemoryStore;
use escalation_core::ports::TicketStore;
use escalation_core::testkit::conformance;

#[tokio::test]
async fn memory_store_passes_the_whole_suite() {
    conformance::run_all(|| async { Arc::new(MemoryStore::new()) as Arc<dyn TicketStore> }).await;
}

#[test]
fn case_names_are_unique() {
    let mut names: Vec<&str> = conformance::cases().iter().map(|c| c.name).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n);
    assert!(n >= 20, "only {n} cases");
}

mod per_case {
    use std::sync::Arc;

    use escalation_core::memory::MemoryStore;
    use escalation_core::ports::TicketStore;

    escalation_core::store_conformance!(|| async {
        Arc::new(MemoryStore::with_capacity(16)) as Arc<dyn TicketStore>
    });
}
