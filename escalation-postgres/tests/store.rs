//! PostgreSQL-specific behaviour: fencing of stale leases (the zombie test), row-level
//! security seen from raw queries, migrations by many instances at once, retries after lost
//! connections, and option validation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::TimeDelta;
use escalation_core::effect::{Delivery, EffectState};
use escalation_core::memory::{MemoryDirectory, MemoryProfiles};
use escalation_core::ports::{ClaimDue, Commit, EffectOutcome, Fence, Inserted, TicketStore};
use escalation_core::testkit::FlakyNotifier;
use escalation_core::testkit::conformance::{at, notify, sample_ticket, task};
use escalation_core::{
    Agent, AgentId, Channel, Clock, Engine, ErrorKind, Impact, LogEntry, LogEvent, ManualClock,
    NewTicket, SupportTier, Symbol, TeamId, TenantId, Ticket,
};
use escalation_postgres::{PostgresOptions, PostgresStore};

fn tenant(name: &str) -> TenantId {
    TenantId::new(name)
}

fn claim(now: i64, holder: &str) -> ClaimDue {
    ClaimDue {
        now: at(now),
        limit: 10,
        lease_for: TimeDelta::seconds(60),
        holder: Arc::from(holder),
    }
}

fn entry(seconds: i64) -> LogEntry {
    LogEntry::engine(at(seconds), LogEvent::Archived)
}

/// Inserts a ticket of `tenant`, due at t0, with one notification due at t0.
async fn due_ticket(store: &PostgresStore, tenant: &TenantId, effect_key: &str) -> Ticket {
    let id = store.next_id().await.unwrap();
    let mut t = sample_ticket(tenant, id);
    t.next_check = Some(at(0));
    let commit = Commit {
        effects: vec![notify(&t, effect_key, 0)],
        ..Commit::new(t, vec![entry(0)], at(0))
    };
    store.insert(commit).await.unwrap().into_ticket()
}

/// The row's `xmin` (the transaction that last wrote it): unchanged means no write touched
/// the row, not even one that wrote the same values.
async fn xmin(
    client: &tokio_postgres::Client,
    sql: &str,
    key: &(dyn tokio_postgres::types::ToSql + Sync),
) -> String {
    client.query_one(sql, &[key]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zombie_with_an_expired_lease_changes_no_row_in_1000_tries() {
    let store = support::fresh_store("zombie").await;
    let schema = store.schema().to_owned();
    let acme = tenant("acme");
    let t = due_ticket(&store, &acme, "zombie-effect").await;
    let raw = support::raw_client().await;

    // The zombie claims the ticket and the effect, then stalls past its lease.
    let zombie = store.claim_due(&claim(0, "zombie")).await.unwrap();
    let zombie_effect = store.claim_effects(&claim(0, "zombie")).await.unwrap();
    assert_eq!((zombie.len(), zombie_effect.len()), (1, 1));
    // The lease ends at 60 s; at 61 s a live worker claims both again and commits.
    let live = store.claim_due(&claim(61, "live")).await.unwrap();
    let live_effect = store.claim_effects(&claim(61, "live")).await.unwrap();
    assert_eq!((live.len(), live_effect.len()), (1, 1));
    assert_ne!(live[0].token, zombie[0].token);
    let mut next = live[0].ticket.clone();
    next.subject = Arc::from("written by the live worker");
    let version = store
        .update(
            Commit::new(next, vec![entry(62)], at(62)),
            Some(Fence {
                token: live[0].token,
                now: at(62),
            }),
        )
        .await
        .unwrap();
    assert_eq!(version, 2);
    store
        .finish_effect(EffectOutcome {
            tenant: acme.clone(),
            key: Arc::from("zombie-effect"),
            fence: Fence {
                token: live_effect[0].token,
                now: at(62),
            },
            delivery: Delivery::Delivered,
            log: entry(62),
        })
        .await
        .unwrap();

    let ticket_sql = format!("SELECT xmin::text FROM {schema}.tickets WHERE id = $1");
    let effect_sql = format!("SELECT xmin::text FROM {schema}.effects WHERE key = $1");
    let id = i64::try_from(t.id.0).unwrap();
    let ticket_before = xmin(&raw, &ticket_sql, &id).await;
    let effect_before = xmin(&raw, &effect_sql, &"zombie-effect").await;
    let log_before = store.log(&t.key()).await.unwrap();
    let stored_before = store.get(&t.key()).await.unwrap();

    for i in 0..1_000 {
        // Half the tries with the zombie's true clock (after the lease ended), half with a
        // clock stuck inside the lease: the token fences both.
        let now = if i % 2 == 0 { 30 } else { 90 };
        let mut stale = zombie[0].ticket.clone();
        stale.subject = Arc::from(format!("zombie write {i}"));
        let r = store
            .update(
                Commit::new(stale, vec![entry(now)], at(now)),
                Some(Fence {
                    token: zombie[0].token,
                    now: at(now),
                }),
            )
            .await;
        assert_eq!(
            r.map_err(|e| e.kind()),
            Err(ErrorKind::Conflict),
            "zombie update {i}"
        );
        let r = store
            .finish_effect(EffectOutcome {
                tenant: acme.clone(),
                key: Arc::from("zombie-effect"),
                fence: Fence {
                    token: zombie_effect[0].token,
                    now: at(now),
                },
                delivery: Delivery::Delivered,
                log: entry(now),
            })
            .await;
        assert_eq!(
            r.map_err(|e| e.kind()),
            Err(ErrorKind::Conflict),
            "zombie finish_effect {i}"
        );
    }
    assert_eq!(
        xmin(&raw, &ticket_sql, &id).await,
        ticket_before,
        "ticket row written"
    );
    assert_eq!(
        xmin(&raw, &effect_sql, &"zombie-effect").await,
        effect_before,
        "effect row written"
    );
    assert_eq!(store.log(&t.key()).await.unwrap(), log_before);
    assert_eq!(store.get(&t.key()).await.unwrap(), stored_before);
    let effects = store.effects(&t.key()).await.unwrap();
    assert_eq!(
        (effects[0].state, effects[0].attempts),
        (EffectState::Delivered, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_hides_other_tenants_from_raw_queries() {
    let store = PostgresStore::connect_with(support::rls_options("rlsraw").await)
        .await
        .unwrap();
    assert!(store.row_level_security());
    let schema = store.schema().to_owned();
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    for (tenant, n) in [(&acme, 3), (&globex, 2)] {
        for i in 0..n {
            let t = due_ticket(&store, tenant, &format!("{}-{i}", tenant.as_str())).await;
            store
                .update(
                    Commit {
                        tasks: vec![task(&t, &format!("task-{}-{i}", tenant.as_str()), 1)],
                        ..Commit::new(t.clone(), vec![entry(1)], at(1))
                    },
                    None,
                )
                .await
                .unwrap();
        }
    }
    // The engine's own sweep sees every tenant.
    assert_eq!(
        store.claim_due(&claim(0, "sweeper")).await.unwrap().len(),
        5
    );

    // A reporting role that may read every table, scoped by row-level security alone.
    let raw = support::raw_client().await;
    let reader = format!("{schema}_reader");
    raw.batch_execute(&format!(
        "CREATE ROLE {reader} NOLOGIN;
         GRANT USAGE ON SCHEMA {schema} TO {reader};
         GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader};"
    ))
    .await
    .unwrap();

    /// Distinct tenants and row count of each table, as `role` with `setting`.
    async fn visible(
        raw: &tokio_postgres::Client,
        schema: &str,
        role: &str,
        setting: Option<&str>,
    ) -> Vec<(String, Vec<String>, i64)> {
        raw.batch_execute("BEGIN").await.unwrap();
        raw.batch_execute(&format!("SET LOCAL ROLE {role}"))
            .await
            .unwrap();
        if let Some(s) = setting {
            raw.execute("SELECT set_config('escalation.tenant', $1, true)", &[&s])
                .await
                .unwrap();
        }
        let mut out = Vec::new();
        for table in ["tickets", "log_rows", "effects", "tasks"] {
            let rows = raw
                .query(
                    &format!("SELECT DISTINCT tenant FROM {schema}.{table} ORDER BY tenant"),
                    &[],
                )
                .await
                .unwrap();
            let count: i64 = raw
                .query_one(&format!("SELECT count(*) FROM {schema}.{table}"), &[])
                .await
                .unwrap()
                .get(0);
            out.push((
                table.to_owned(),
                rows.iter().map(|r| r.get::<_, String>(0)).collect(),
                count,
            ));
        }
        raw.batch_execute("ROLLBACK").await.unwrap();
        out
    }

    let only = |t: &str, counts: [i64; 4]| -> Vec<(String, Vec<String>, i64)> {
        ["tickets", "log_rows", "effects", "tasks"]
            .iter()
            .zip(counts)
            .map(|(table, n)| {
                let tenants = if n == 0 { vec![] } else { vec![t.to_owned()] };
                ((*table).to_owned(), tenants, n)
            })
            .collect()
    };
    // acme: 3 tickets, 2 log rows each (insert + update), 3 effects, 3 tasks.
    assert_eq!(
        visible(&raw, &schema, &reader, Some("acme")).await,
        only("acme", [3, 6, 3, 3])
    );
    assert_eq!(
        visible(&raw, &schema, &reader, Some("globex")).await,
        only("globex", [2, 4, 2, 2])
    );
    let nothing = only("-", [0, 0, 0, 0]);
    assert_eq!(visible(&raw, &schema, &reader, None).await, nothing);
    assert_eq!(
        visible(&raw, &schema, &reader, Some("*")).await,
        nothing,
        "the all-tenants setting is the engine role's alone"
    );
    // The engine's own role (the tables' owner: FORCE applies to it) is scoped the same.
    assert_eq!(
        visible(&raw, &schema, support::APP_ROLE, Some("acme")).await,
        only("acme", [3, 6, 3, 3])
    );
    assert_eq!(
        visible(&raw, &schema, support::APP_ROLE, None).await,
        nothing
    );

    // A write under one tenant's setting cannot create another tenant's row.
    raw.batch_execute("BEGIN").await.unwrap();
    raw.batch_execute(&format!("SET LOCAL ROLE {}", support::APP_ROLE))
        .await
        .unwrap();
    raw.execute("SELECT set_config('escalation.tenant', 'acme', true)", &[])
        .await
        .unwrap();
    let err = raw
        .execute(
            &format!("UPDATE {schema}.tasks SET tenant = 'globex' WHERE tenant = 'acme'"),
            &[],
        )
        .await
        .unwrap_err();
    let message = err.as_db_error().map(|e| e.message().to_owned());
    assert!(
        message
            .as_deref()
            .is_some_and(|m| m.contains("row-level security")),
        "unexpected error: {message:?}"
    );
    raw.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_refuses_a_role_that_bypasses_it() {
    // The cluster's own user is a superuser: PostgreSQL would not apply the policies.
    let err = PostgresStore::connect_with(support::options("rlssuper").row_level_security(true))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("row_level_security"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_instances_starting_together_migrate_once() {
    let schema = support::fresh_schema("migrate");
    let stores = futures::future::join_all((0..10).map(|_| {
        PostgresStore::connect_with(
            PostgresOptions::new(support::url())
                .schema(schema.clone())
                .pool_size(2),
        )
    }))
    .await;
    for s in &stores {
        assert!(s.is_ok(), "{s:?}");
    }
    let raw = support::raw_client().await;
    let versions: Vec<i64> = raw
        .query(
            &format!("SELECT version FROM {schema}.schema_version ORDER BY version"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        versions,
        (1..=PostgresStore::schema_version()).collect::<Vec<_>>()
    );
    // All ten work on the same tables.
    let store = stores.into_iter().next().unwrap().unwrap();
    let t = due_ticket(&store, &tenant("acme"), "m-1").await;
    assert_eq!(store.get(&t.key()).await.unwrap(), t);

    // A schema migrated by a newer version is refused, by name.
    raw.execute(
        &format!("INSERT INTO {schema}.schema_version (version) VALUES (1000)"),
        &[],
    )
    .await
    .unwrap();
    let err = PostgresStore::connect_with(PostgresOptions::new(support::url()).schema(schema))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.to_string().contains("newer"), "{err}");
}

#[tokio::test]
async fn bad_options_are_refused_by_field() {
    for (options, field) in [
        (
            PostgresOptions::new(support::url()).schema("Bad-Name"),
            "schema",
        ),
        (PostgresOptions::new(support::url()).schema(""), "schema"),
        (
            PostgresOptions::new(support::url()).pool_size(0),
            "pool_size",
        ),
        (
            PostgresOptions::new("postgres://a:secret@h:notaport/db"),
            "url",
        ),
    ] {
        let err = PostgresStore::connect_with(options).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains(field), "{err} should name {field}");
        assert!(
            !err.to_string().contains("secret"),
            "{err} shows the password"
        );
    }
}

/// An engine on `store` with one agent and memory profiles, delivering into `notifier`.
fn engine(
    store: Arc<dyn TicketStore>,
    clock: Arc<ManualClock>,
    notifier: Arc<FlakyNotifier>,
) -> Engine {
    let directory = Arc::new(MemoryDirectory::new());
    directory.upsert_agent(
        &TenantId::default_tenant(),
        Agent {
            id: AgentId::new("ana"),
            name: Arc::from("Ana"),
            tier: SupportTier::Tier1,
            skills: vec![Symbol::intern("billing")].into_iter().collect(),
            generalist: true,
            email: None,
            capacity: 1_000,
            available: true,
            team: TeamId::new("team-a"),
        },
    );
    Engine::builder()
        .engine_id("conn-loss")
        .store(store)
        .directory(directory)
        .profiles(Arc::new(MemoryProfiles::new()))
        .notifier(notifier)
        .clock(clock)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_connections_are_retried_without_duplicating_work() {
    let app = support::fresh_schema("lost");
    let store = Arc::new(
        PostgresStore::connect_with(support::options("lost").application_name(app.clone()))
            .await
            .unwrap(),
    );
    let schema = store.schema().to_owned();
    let clock = Arc::new(ManualClock::new(at(0)));
    let notifier = Arc::new(FlakyNotifier::new(0.0, 1));
    let engine = engine(store.clone(), clock.clone(), notifier.clone());

    // Terminates every connection of the store every 100–400 ms while the engine works.
    // (Not faster: a sweep batch is one transaction, which must be able to finish between
    // two losses; a debug build takes tens of milliseconds for one.)
    let stop = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicU64::new(0));
    let killer = {
        let (stop, killed, app) = (stop.clone(), killed.clone(), app.clone());
        tokio::spawn(async move {
            let raw = support::raw_client().await;
            while !stop.load(Ordering::Relaxed) {
                let rows = raw
                    .query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE application_name = $1",
                        &[&app],
                    )
                    .await
                    .unwrap();
                killed.fetch_add(rows.len() as u64, Ordering::Relaxed);
                let pause = 100 + (killed.load(Ordering::Relaxed) * 7919) % 300;
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
        })
    };
    // At least 300 tickets, and on until 10 connections have been terminated (at most
    // 20,000 tickets).
    let mut n = 0;
    while n < 300 || killed.load(Ordering::Relaxed) < 10 {
        assert!(n < 20_000, "the killer did not get to 10 connections");
        let i = n;
        n += 1;
        let mut new = NewTicket::new(
            "cust-1",
            Channel::Email,
            "billing",
            if i % 3 == 0 {
                Impact::Outage
            } else {
                Impact::Bug
            },
            "Help",
            clock.now(),
        );
        new.intake_key = Some(format!("lost-{i}"));
        engine.create_ticket(new).await.unwrap();
        if i % 25 == 24 {
            clock.advance(TimeDelta::hours(2));
            engine.sweep().await.unwrap();
            engine.dispatch().await.unwrap();
        }
    }
    stop.store(true, Ordering::Relaxed);
    killer.await.unwrap();
    // Finish the work with the connections left alone.
    for _ in 0..20 {
        clock.advance(TimeDelta::hours(6));
        engine.sweep().await.unwrap();
        engine.dispatch().await.unwrap();
    }
    let killed = killed.load(Ordering::Relaxed);

    let raw = support::raw_client().await;
    let count = |sql: String| {
        let raw = &raw;
        async move { raw.query_one(&sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(
        count(format!("SELECT count(*) FROM {schema}.tickets")).await,
        n
    );
    assert_eq!(
        count(format!(
            "SELECT count(DISTINCT intake_key) FROM {schema}.tickets"
        ))
        .await,
        n
    );
    assert_eq!(
        count(format!(
            "SELECT count(*) FROM {schema}.effects WHERE state = 'pending'"
        ))
        .await,
        0
    );
    // Every notification marked delivered reached the notifier, and nothing else did.
    let mut delivered: Vec<String> = raw
        .query(
            &format!(
                "SELECT key FROM {schema}.effects
                 WHERE state = 'delivered' AND body->'kind'->>'type' = 'notify'"
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    delivered.sort();
    assert!(!delivered.is_empty(), "some notifications went out");
    let journal = notifier.journal();
    let mut received: Vec<String> = journal.deliveries.keys().map(|k| k.to_string()).collect();
    received.sort();
    assert_eq!(
        received, delivered,
        "the notifier got exactly the delivered notifications"
    );
    // A delivery whose record was lost with its connection may go out again (at least
    // once); nothing else may.
    let repeated = journal.repeated();
    assert!(
        repeated.len() as u64 <= killed,
        "{} repeats for {killed} terminated connections",
        repeated.len()
    );
    // Every breach is logged once, every ladder step once.
    for i in 0..n {
        let t = store
            .find_by_intake_key(&TenantId::default_tenant(), &format!("lost-{i}"))
            .await
            .unwrap()
            .unwrap();
        let log = store.log(&t.key()).await.unwrap();
        let created = log
            .iter()
            .filter(|e| matches!(e.event, LogEvent::Created { .. }))
            .count();
        assert_eq!(created, 1, "ticket {} created {created} times", t.id);
        let fired = log
            .iter()
            .filter(|e| matches!(e.event, LogEvent::LevelFired { .. }))
            .count();
        assert_eq!(fired, t.fired.len(), "ticket {}: ladder steps logged", t.id);
    }
}

/// A commit of a fresh ticket of `tenant` with `intake_key`, one log entry and one effect.
async fn batch_commit(
    store: &PostgresStore,
    tenant: &TenantId,
    intake_key: Option<&str>,
) -> Commit {
    let id = store.next_id().await.unwrap();
    let mut t = sample_ticket(tenant, id);
    t.intake_key = intake_key.map(Arc::from);
    t.next_check = Some(at(0));
    Commit {
        effects: vec![notify(&t, &format!("batch-effect-{id}"), 0)],
        ..Commit::new(t, vec![entry(0)], at(0))
    }
}

async fn check_insert_batch(store: PostgresStore) {
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let before = batch_commit(&store, &acme, Some("k-old")).await;
    let before = store.insert(before).await.unwrap().into_ticket();
    let a = batch_commit(&store, &acme, Some("k-a")).await;
    let b = batch_commit(&store, &globex, Some("k-a")).await;
    let mut dup = batch_commit(&store, &acme, Some("k-a")).await;
    dup.ticket.subject = Arc::from("duplicate");
    let old = batch_commit(&store, &acme, Some("k-old")).await;
    let plain = batch_commit(&store, &globex, None).await;
    let out = store
        .insert_batch(vec![a.clone(), b.clone(), dup, old, plain.clone()])
        .await
        .unwrap();
    let created = |c: &Commit| {
        Inserted::Created(Ticket {
            version: 1,
            ..c.ticket.clone()
        })
    };
    assert_eq!(out[0], created(&a));
    assert_eq!(out[1], created(&b), "intake keys are per tenant");
    assert_eq!(
        out[2],
        Inserted::Existing(created(&a).into_ticket()),
        "a repeat within the batch"
    );
    assert_eq!(
        out[3],
        Inserted::Existing(before),
        "a key stored before the batch"
    );
    assert_eq!(out[4], created(&plain));
    for c in [&a, &b, &plain] {
        let key = c.ticket.key();
        assert_eq!(store.log(&key).await.unwrap(), c.log);
        assert_eq!(store.effects(&key).await.unwrap().len(), 1);
    }

    // A taken id fails the whole batch: the new ticket before it (of another tenant, so in
    // another group under row-level security) is not written either.
    let c = batch_commit(&store, &acme, None).await;
    let mut taken = batch_commit(&store, &globex, None).await;
    taken.ticket.id = a.ticket.id;
    let err = store
        .insert_batch(vec![c.clone(), taken])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(
        store.get(&c.ticket.key()).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(store.insert_batch(Vec::new()).await.unwrap().is_empty());
    // The id sequence moved past every inserted id.
    let next = store.next_id().await.unwrap();
    assert!(next > plain.ticket.id && next > c.ticket.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_intake_is_one_transaction() {
    check_insert_batch(support::fresh_store("batch").await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_intake_under_row_level_security_is_one_transaction_too() {
    let store = PostgresStore::connect_with(support::rls_options("batchrls").await)
        .await
        .unwrap();
    check_insert_batch(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_due_reads_past_a_page_of_leased_rows() {
    // 300 tickets due at t0, all claimed (leases end at 60 s), and one unleased ticket due
    // at 30 s behind them: `next_due` must read past its first page of 256 rows to find it.
    let store = support::fresh_store("paging").await;
    let acme = tenant("acme");
    let mut commits = Vec::new();
    for _ in 0..300 {
        let mut t = sample_ticket(&acme, store.next_id().await.unwrap());
        t.next_check = Some(at(0));
        commits.push(Commit::new(t, vec![entry(0)], at(0)));
    }
    store.insert_batch(commits).await.unwrap();
    let claimed = store
        .claim_due(&ClaimDue {
            limit: 300,
            ..claim(0, "sweeper")
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 300);
    assert_eq!(store.next_due().await.unwrap(), Some(at(60)));
    let mut late = sample_ticket(&acme, store.next_id().await.unwrap());
    late.next_check = Some(at(30));
    store
        .insert(Commit::new(late, vec![entry(0)], at(0)))
        .await
        .unwrap();
    assert_eq!(store.next_due().await.unwrap(), Some(at(30)));
}
