#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `Engine::run`: the background loop sweeps and dispatches on its own, sleeping on the
//! clock until the next due instant, and stops when its shutdown future completes.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use escalation_core::effect::EffectState;
use escalation_core::memory::{MemoryPager, MemoryStore, PagerCall};
use escalation_core::{Channel, Engine, Impact, ManualClock, NewTicket, Policy};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z")
        .unwrap()
        .to_utc()
}

/// Lets the spawned loop run until `done` holds (no real time is asserted on).
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the run loop never got there");
}

#[tokio::test]
async fn the_run_loop_escalates_on_time_and_stops_on_shutdown() {
    let policy = Policy::from_toml_str(
        r#"
        [[sla.targets]]
        first_response = "30m"
        [sla.warnings]
        percent = []
        [[ladder]]
        name = "breach"
        on = "breach"
        actions = ["create_task", "page"]
        "#,
    )
    .unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let store = Arc::new(MemoryStore::new());
    let pager = Arc::new(MemoryPager::new());
    let engine = Engine::builder()
        .policy(policy)
        .clock(clock.clone())
        .store(store.clone())
        .pager(pager.clone())
        .build()
        .unwrap();
    let t = engine
        .create_ticket(NewTicket::new(
            "c-1",
            Channel::Email,
            "billing",
            Impact::Bug,
            "Invoice missing",
            t0(),
        ))
        .await
        .unwrap();
    let deadline = t.sla[0].deadline.unwrap();
    assert_eq!(deadline, t0() + TimeDelta::minutes(30));

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runner = engine.clone();
    let handle = tokio::spawn(async move {
        runner
            .run(async {
                let _ = stopped.await;
            })
            .await
    });

    // Nothing is due before the deadline: the loop sleeps, and no task appears.
    clock.set(deadline - TimeDelta::seconds(1));
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    let tenant = t.tenant.clone();
    assert!(engine.tasks(&tenant, None).await.unwrap().is_empty());

    // At the deadline the loop wakes, escalates and delivers, without anyone calling sweep.
    clock.set(deadline);
    until(|| !pager.calls().is_empty()).await;
    let tasks = engine.tasks(&tenant, None).await.unwrap();
    assert_eq!(tasks.len(), 1);
    let effects = engine.effects(&t).await.unwrap();
    assert_eq!(effects.len(), 1);
    until(|| {
        matches!(
            futures::FutureExt::now_or_never(engine.effects(&t)),
            Some(Ok(e)) if e[0].state == EffectState::Delivered
        )
    })
    .await;
    let ticket = engine.ticket(&t).await.unwrap();
    assert_eq!(ticket.sla[0].breached_at, Some(deadline));

    stop.send(()).unwrap();
    handle.await.unwrap().unwrap();
    let calls = pager.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(matches!(&calls[0], PagerCall::Trigger(p) if p.repeat == 0));
}
