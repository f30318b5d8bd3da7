//! Intake throughput: `Engine::create_ticket` through the whole pipeline (validate, fetch the
//! profile, score, route, write ticket + log) on the in-memory adapters.
//!
//! Budget: at most 2 µs per ticket. Run with `cargo bench --bench intake`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use escalation::Policy;
use escalation::memory::MemoryStore;

fn intake(c: &mut Criterion) {
    let mut group = c.benchmark_group("intake");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    let variants = [
        ("create_ticket", Policy::default()),
        // The same without SLA clocks, to show what starting two clocks costs.
        ("create_ticket (no SLA targets)", {
            let mut p = Policy::default();
            p.sla.targets = vec![escalation::sla::TargetRule::default()];
            p
        }),
    ];
    for (name, policy) in variants {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let n = usize::try_from(iters).unwrap();
                let engine =
                    common::intake_engine(Arc::new(MemoryStore::with_capacity(n)), common::start())
                        .policy(policy.clone())
                        .build()
                        .unwrap();
                let received = common::received();
                let input: Vec<_> = (0..n).map(|i| common::new_ticket(i, received)).collect();
                futures::executor::block_on(async {
                    let start = Instant::now();
                    for t in input {
                        std::hint::black_box(engine.create_ticket(t).await.unwrap());
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, intake);
criterion_main!(benches);
