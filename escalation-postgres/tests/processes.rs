//! Exactly once across processes: four engine processes share one PostgreSQL database (one
//! fresh schema) through a simulated week of many tenants. Each child steps its own manual
//! clock through the week in 30-minute steps, on the same schedule as the others (a loose
//! barrier keeps them within one step of each other): at each step it takes in its share of
//! that step's arrivals (with intake keys), resolves a share of the tickets it took in a
//! step earlier, then sweeps and dispatches, delivering into its own journal. Arrivals are
//! spread over the first three days. At the end of the week each child works until nothing
//! is due. Nothing crashes, so every escalation must happen exactly once and every effect
//! must be delivered exactly once across the four journals.
//!
//! Checks, read straight from the database with a raw client: every child exits
//! successfully (a child panics, so exits non-zero, on any error); the store holds exactly
//! the tickets taken in, one per intake key and in its tenant; no effect is pending or
//! dead-lettered; each delivered effect appears exactly once in the union of the journals,
//! and no journal line is foreign; a cancelled effect is never delivered, except a page
//! repeat that a dispatcher had already claimed when a resolve cancelled it (the race the
//! store contract allows: it goes out at most once, and the page's resolve is held until
//! that claim's lease ends, so where one child delivered both the trigger comes first);
//! the resolved tickets are exactly those chosen for it; per ticket, each breached clock
//! has exactly one `sla_breached` entry, no running clock is past its deadline unbreached,
//! and `level_fired` entries match the ladder steps the ticket records as fired, each once;
//! a proper subset of the tickets breached; escalation tasks are unique per (ticket, step):
//! one task per fired task-creating ladder step, each logged once.
//!
//! The schedule, the children's loop and the store-independent exactly-once checks are
//! `escalation_core::testkit::process`'s (`Schedule`, `check_deliveries`,
//! `check_some_breached`); here are the scenario (arrivals, resolves, the ticket and task
//! checks) and how to connect and read the tables raw.
//!
//! Ticket count: `ESCALATION_PG_PROCESS_TICKETS`, default 25,000 in release and 5,000 in
//! debug builds, over 20 tenants (`tenant-00` to `tenant-19`). The children are the ignored
//! test `process_child` of this same binary, started through `std::env::current_exe()`.
//! Needs a database: run through `tests/scripts/with_postgres.sh` (see `support`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use escalation_core::ladder::Action;
use escalation_core::log::LogEvent;
use escalation_core::ports::TicketStore;
use escalation_core::task::EscalationTask;
use escalation_core::testkit::process::{
    self, CancelledDeliveries, Deliveries, Journal, Schedule, schedule_policy, t0,
};
use escalation_core::{
    Channel, Clock, ErrorKind, Impact, ManualClock, NewTicket, Status, TenantId, TicketRef,
};
use tokio_postgres::types::Json;

const ROLE: &str = "ESCALATION_PG_PROCESS_ROLE";
const DIR: &str = "ESCALATION_PG_PROCESS_DIR";
const SCHEMA: &str = "ESCALATION_PG_PROCESS_SCHEMA";
const TICKETS: &str = "ESCALATION_PG_PROCESS_TICKETS";
const CHILDREN: usize = 4;
const TENANTS: usize = 20;
const STEP_MINUTES: i64 = 30;
/// The schedule every child steps through: `t0 + k·STEP_MINUTES` through a week, a child at
/// step `k` waiting until every other has finished step `k - 2`, so the others' clocks are
/// at most one step (30 minutes) behind: below the dispatch lease (an hour), see
/// `Schedule::max_skew`.
const SCHEDULE: Schedule = Schedule {
    children: CHILDREN,
    step_minutes: STEP_MINUTES,
    steps: 7 * 24 * 60 / STEP_MINUTES,
    max_skew: 2,
};
/// Tickets arrive at the steps `0..ARRIVAL_STEPS` (the first three days).
const ARRIVAL_STEPS: i64 = 3 * 24 * 60 / STEP_MINUTES;
/// How many steps after its arrival a ticket chosen for it is resolved.
const RESOLVE_AFTER: i64 = 1;
/// How long the children may take altogether.
const CHILDREN_TIMEOUT: Duration = Duration::from_secs(40 * 60);

fn tenants() -> Vec<TenantId> {
    (0..TENANTS)
        .map(|t| TenantId::new(format!("tenant-{t:02}")))
        .collect()
}

/// Ticket `i` of `n`: its tenant, the child that takes it in, its step of arrival, what it
/// is about, and whether it is resolved `RESOLVE_AFTER` steps after it arrived. Blocks of
/// 20 consecutive tickets go to one child, one ticket per tenant, so every child serves
/// every tenant.
struct Arrival {
    tenant: usize,
    child: usize,
    step: i64,
    case: (&'static str, &'static str, Impact),
    resolved: bool,
}

fn arrival(i: usize, n: usize) -> Arrival {
    const CASES: [(&str, &str, Impact); 4] = [
        ("cust-0", "billing", Impact::Outage),
        ("cust-1", "login", Impact::Degraded),
        ("cust-2", "api", Impact::Bug),
        ("cust-2", "billing", Impact::Question),
    ];
    let block = i / TENANTS;
    Arrival {
        tenant: i % TENANTS,
        child: block % CHILDREN,
        step: (i as i64 * ARRIVAL_STEPS) / n as i64,
        case: CASES[(block / CHILDREN) % CASES.len()],
        resolved: (block / (CHILDREN * CASES.len())).is_multiple_of(3),
    }
}

fn intake_key(i: usize) -> String {
    format!("p-{i}")
}

#[tokio::test]
#[ignore = "a child process of four_processes_share_one_database"]
async fn process_child() {
    let Some((role, dir)) = process::child_env(ROLE, DIR) else {
        return;
    };
    let me: usize = role.parse().unwrap();
    let schema = std::env::var(SCHEMA).unwrap();
    let n: usize = std::env::var(TICKETS).unwrap().parse().unwrap();
    let name = format!("child-{me}");
    let clock = Arc::new(ManualClock::new(t0()));
    let store: Arc<dyn TicketStore> = Arc::new(support::child_store(schema, name.clone()).await);
    let tenants = tenants();
    let engine = process::engine(
        &name,
        schedule_policy(),
        store.clone(),
        clock.clone(),
        Arc::new(Journal::open(&Schedule::journal(&dir, me))),
        &tenants,
    );
    // This child's arrivals, by step.
    let mut arrivals: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let a = arrival(i, n);
        if a.child == me {
            arrivals.entry(a.step).or_default().push(i);
        }
    }
    let mut resolves: BTreeMap<i64, Vec<TicketRef>> = BTreeMap::new();
    let (mut taken, mut resolved, mut resolve_retries) = (0, 0, 0);
    // At each step, before its sweep and dispatch: the resolves due, then the arrivals.
    let at_step = async |k| {
        for key in resolves.remove(&k).unwrap_or_default() {
            // A resolve races the other children's sweeps; it re-reads and tries again
            // a few times by itself, and here a few times more.
            let mut attempts = 0;
            loop {
                match engine
                    .resolve(key.clone(), "Fixed it", "configuration", "agent")
                    .await
                {
                    Ok(_) => break,
                    Err(e) if e.kind() == ErrorKind::Conflict && attempts < 20 => {
                        attempts += 1;
                        resolve_retries += 1;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Err(e) => panic!("resolving {key}: {e}"),
                }
            }
            resolved += 1;
        }
        for i in arrivals.remove(&k).unwrap_or_default() {
            let a = arrival(i, n);
            let (customer, category, impact) = a.case;
            let mut new = NewTicket::new(
                customer,
                Channel::Email,
                category,
                impact,
                "Help",
                clock.now(),
            );
            new.tenant = tenants[a.tenant].clone();
            new.intake_key = Some(intake_key(i));
            let t = engine.create_ticket(new).await.unwrap();
            taken += 1;
            if a.resolved {
                resolves.entry(k + RESOLVE_AFTER).or_default().push(t.key());
            }
        }
    };
    let tally = SCHEDULE
        .run(&dir, me, &engine, &*store, &clock, at_step)
        .await;
    assert!(resolves.is_empty() && arrivals.is_empty());
    println!(
        "child {me}: took in {taken} tickets, resolved {resolved} ({resolve_retries} \
         retried), {tally}"
    );
}

fn tickets() -> usize {
    process::env_or(
        TICKETS,
        if cfg!(debug_assertions) {
            5_000
        } else {
            25_000
        },
    )
}

#[test]
fn four_processes_share_one_database() {
    let n = tickets();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rt = process::runtime();
    // Create and migrate the schema once, before the children start.
    let schema = rt.block_on(support::migrated_schema("procs"));

    let started = Instant::now();
    let children = (0..CHILDREN)
        .map(|i| {
            process::child_test("process_child")
                .env(ROLE, i.to_string())
                .env(DIR, dir)
                .env(SCHEMA, &schema)
                .env(TICKETS, n.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    process::wait_all(children, CHILDREN_TIMEOUT);
    let week = started.elapsed();

    let checks_started = Instant::now();
    let (contents, tasks, duplicate_tasks) = rt.block_on(async {
        let client = support::raw_client().await;
        let contents = support::read_contents(&client, &schema).await;
        let tasks: Vec<EscalationTask> = client
            .query(
                &format!("SELECT body FROM {schema}.tasks ORDER BY seq"),
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, Json<EscalationTask>>(0).0)
            .collect();
        let duplicate_tasks = client
            .query(
                &format!(
                    "SELECT ticket, id, count(*) FROM {schema}.tasks
                     GROUP BY ticket, id HAVING count(*) > 1"
                ),
                &[],
            )
            .await
            .unwrap()
            .len();
        (contents, tasks, duplicate_tasks)
    });

    // The tickets taken in: one per intake key, in its tenant.
    assert_eq!(contents.tickets.len(), n);
    let tenants = tenants();
    let mut expected: HashMap<String, (TenantId, bool)> = (0..n)
        .map(|i| {
            let a = arrival(i, n);
            (intake_key(i), (tenants[a.tenant].clone(), a.resolved))
        })
        .collect();
    for t in &contents.tickets {
        let key = t
            .intake_key
            .as_deref()
            .expect("every ticket has an intake key");
        let (tenant, resolved) = expected.remove(key).unwrap_or_else(|| {
            panic!(
                "ticket {} has an unknown or repeated intake key {key}",
                t.id
            )
        });
        assert_eq!(
            t.tenant, tenant,
            "ticket {} ({key}) is in the wrong tenant",
            t.id
        );
        assert_eq!(
            t.status == Status::Resolved,
            resolved,
            "ticket {} ({key}) is {:?}",
            t.id,
            t.status
        );
    }
    assert!(expected.is_empty());
    let resolved = contents
        .tickets
        .iter()
        .filter(|t| t.status == Status::Resolved)
        .count();

    // Each delivered effect exactly once across the journals; cancelled ones never, but
    // for the race the store contract allows: a page repeat (trigger) that a dispatcher had
    // claimed when the ticket's resolve cancelled it may be on its way to the pager (then at
    // most once), and the page's resolve is then held until that claim's lease ends, so the
    // pager never sees the trigger after the resolve.
    let seen =
        Deliveries::read((0..CHILDREN).map(|i| (format!("child {i}"), Schedule::journal(dir, i))));
    let counts =
        process::check_deliveries(&contents, &seen, CancelledDeliveries::PageRepeatsInFlight);

    // Each escalation exactly once, by a proper subset of the tickets.
    let (breached, breached_tickets) =
        process::check_some_breached(&contents, SCHEDULE.final_instant());

    // Escalation tasks: unique per (ticket, step), one per fired task-creating step, each
    // logged once on its ticket.
    assert_eq!(duplicate_tasks, 0, "a task id is held by two rows");
    let policy = schedule_policy();
    let task_levels: HashSet<&str> = policy
        .ladder
        .iter()
        .filter(|l| l.actions.contains(&Action::CreateTask))
        .map(|l| l.name.as_str())
        .collect();
    let mut steps: HashMap<(u64, String, String), usize> = HashMap::new();
    for t in &contents.tickets {
        for f in t.fired.iter().filter(|f| task_levels.contains(&*f.level)) {
            *steps
                .entry((t.id.0, f.level.to_string(), format!("{:?}", f.target)))
                .or_default() += 1;
        }
    }
    let by_id: HashMap<u64, &escalation_core::Ticket> =
        contents.tickets.iter().map(|t| (t.id.0, t)).collect();
    let mut task_steps: HashMap<(u64, String, String), usize> = HashMap::new();
    let mut ids = HashSet::new();
    for task in &tasks {
        assert!(ids.insert(task.id.clone()), "task {} twice", task.id);
        let ticket = by_id
            .get(&task.ticket.0)
            .unwrap_or_else(|| panic!("task {} of a missing ticket", task.id));
        assert_eq!(
            ticket.tenant, task.tenant,
            "task {} in another tenant",
            task.id
        );
        *task_steps
            .entry((
                task.ticket.0,
                task.level.to_string(),
                format!("{:?}", task.target),
            ))
            .or_default() += 1;
        let logged = contents
            .log
            .get(&(task.ticket.0 as i64))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|e| matches!(&e.event, LogEvent::TaskCreated { task: id } if *id == task.id))
            .count();
        assert_eq!(logged, 1, "task {} logged {logged} times", task.id);
    }
    assert_eq!(
        task_steps, steps,
        "tasks do not match the fired task-creating steps"
    );
    let tasks_logged = contents
        .log
        .values()
        .flatten()
        .filter(|e| matches!(e.event, LogEvent::TaskCreated { .. }))
        .count();
    assert_eq!(
        tasks_logged,
        tasks.len(),
        "task_created entries without a task"
    );
    let checks = checks_started.elapsed();

    rt.block_on(async {
        let client = support::raw_client().await;
        client
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    });
    println!(
        "{n} tickets over {TENANTS} tenants, 4 processes through a week: {week:?}, checks \
         {checks:?}; {resolved} resolved, {breached_tickets} tickets breached ({breached} \
         clocks), {} tasks, {} effects: {} delivered exactly once, {} cancelled ({} of \
         them page repeats already on their way)",
        tasks.len(),
        contents.effects.len(),
        counts.delivered,
        counts.cancelled,
        counts.cancelled_in_flight
    );
}
