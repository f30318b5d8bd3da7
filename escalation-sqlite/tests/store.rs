//! Round-trips, batch intake, persistence across reopen and two stores on one file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;

use chrono::TimeDelta;
use escalation_core::ports::{ClaimDue, Commit, Inserted, TicketStore};
use escalation_core::testkit::conformance::{at, sample_ticket};
use escalation_core::{CustomerTier, ErrorKind, LogEntry, LogEvent, TenantId, TicketId};
use escalation_sqlite::SqliteStore;

fn tenant() -> TenantId {
    TenantId::new("acme")
}

fn entry(s: i64) -> LogEntry {
    LogEntry::engine(
        at(s),
        LogEvent::ProfileNotFound {
            assumed: CustomerTier::Standard,
        },
    )
}

async fn new_commit(store: &SqliteStore, intake: Option<&str>, due: Option<i64>) -> Commit {
    let id = store.next_id().await.unwrap();
    let mut t = sample_ticket(&tenant(), id);
    t.intake_key = intake.map(Arc::from);
    t.next_check = due.map(at);
    Commit::new(t, vec![entry(0)], at(0))
}

#[tokio::test]
async fn round_trip_and_intake_key() {
    let store = SqliteStore::open_in_memory().unwrap();
    assert!(!store.capabilities().durable);
    let commit = new_commit(&store, Some("mail-1"), Some(60)).await;
    let created = store.insert(commit.clone()).await.unwrap();
    let Inserted::Created(t) = created else {
        panic!("expected Created")
    };
    assert_eq!(t.version, 1);
    assert_eq!(store.get(&t.key()).await.unwrap(), t);
    assert_eq!(
        store.find_by_intake_key(&tenant(), "mail-1").await.unwrap(),
        Some(t.clone())
    );
    assert_eq!(store.log(&t.key()).await.unwrap(), commit.log);
    assert_eq!(store.next_due().await.unwrap(), Some(at(60)));
    // Same intake key again: the existing ticket, nothing written.
    let again = new_commit(&store, Some("mail-1"), None).await;
    assert_eq!(
        store.insert(again).await.unwrap(),
        Inserted::Existing(t.clone())
    );
    // Another tenant reads it as not found.
    let other = escalation_core::TicketRef::new(TenantId::new("other"), t.id);
    assert_eq!(
        store.get(&other).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn batch_intake_is_one_transaction() {
    let store = SqliteStore::open_in_memory().unwrap();
    let a = new_commit(&store, Some("k-a"), None).await;
    let b = new_commit(&store, Some("k-b"), None).await;
    let mut dup = new_commit(&store, Some("k-a"), None).await;
    dup.ticket.subject = Arc::from("duplicate");
    let out = store
        .insert_batch(vec![a.clone(), b.clone(), dup])
        .await
        .unwrap();
    assert!(matches!(&out[0], Inserted::Created(t) if t.id == a.ticket.id));
    assert!(matches!(&out[1], Inserted::Created(t) if t.id == b.ticket.id));
    assert!(matches!(&out[2], Inserted::Existing(t) if t.id == a.ticket.id));

    // A taken id fails the whole batch: the new ticket before it is not written either.
    let c = new_commit(&store, None, None).await;
    let mut taken = new_commit(&store, None, None).await;
    taken.ticket.id = b.ticket.id;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("esc.db");
    let (t, last_id, token) = {
        let store = SqliteStore::open(&path).unwrap();
        assert!(store.capabilities().durable);
        let commit = new_commit(&store, Some("mail-9"), Some(10)).await;
        let t = store.insert(commit).await.unwrap().into_ticket();
        let claimed = store
            .claim_due(&ClaimDue {
                now: at(20),
                limit: 10,
                lease_for: TimeDelta::seconds(30),
                holder: Arc::from("engine-a"),
            })
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        (t, store.next_id().await.unwrap(), claimed[0].token)
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.get(&t.key()).await.unwrap(), t);
    assert_eq!(
        store.find_by_intake_key(&tenant(), "mail-9").await.unwrap(),
        Some(t.clone())
    );
    assert_eq!(store.log(&t.key()).await.unwrap().len(), 1);
    // Ids and lease tokens continue; the lease survived the restart.
    assert!(store.next_id().await.unwrap() > last_id);
    let request = |now| ClaimDue {
        now: at(now),
        limit: 10,
        lease_for: TimeDelta::seconds(30),
        holder: Arc::from("engine-b"),
    };
    assert!(store.claim_due(&request(21)).await.unwrap().is_empty());
    let again = store.claim_due(&request(50)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].token > token);
    drop(store);

    // Each migration is recorded once, however often the file is opened.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_version ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        versions,
        (1..=SqliteStore::schema_version()).collect::<Vec<_>>()
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

/// Two stores (two connections, as two processes would have) claim from one file at once:
/// every due ticket is claimed exactly once and no busy error reaches the callers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_claim_each_ticket_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let a = Arc::new(SqliteStore::open(&path).unwrap());
    let b = Arc::new(SqliteStore::open(&path).unwrap());
    let mut commits = Vec::new();
    for i in 0..200 {
        let store = if i % 2 == 0 { &a } else { &b };
        commits.push(new_commit(store, None, Some(i % 50)).await);
    }
    let ids: HashSet<TicketId> = commits.iter().map(|c| c.ticket.id).collect();
    assert_eq!(ids.len(), 200, "next_id is unique across connections");
    a.insert_batch(commits).await.unwrap();

    let claimer = |store: Arc<SqliteStore>, who: &'static str| {
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store
                    .claim_due(&ClaimDue {
                        now: at(100),
                        limit: 7,
                        lease_for: TimeDelta::seconds(600),
                        holder: Arc::from(who),
                    })
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|c| c.ticket.id));
            }
        })
    };
    let (x, y) = tokio::join!(claimer(a.clone(), "a"), claimer(b.clone(), "b"));
    let mut all = x.unwrap();
    all.extend(y.unwrap());
    let unique: HashSet<TicketId> = all.iter().copied().collect();
    assert_eq!(all.len(), 200);
    assert_eq!(unique, ids);
}

#[tokio::test]
async fn refuses_a_database_from_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_version (version, applied_at) VALUES (?1, 'later')",
        [SqliteStore::schema_version() + 1],
    )
    .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(!err.is_retryable());
}

/// A database written by schema version 1 (one log row per entry) is migrated on open: its
/// log reads back whole and in order, and new entries follow the old ones.
#[tokio::test]
async fn migrates_a_version_1_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let t = sample_ticket(&tenant(), TicketId(7));
    let old = [entry(1), entry(2), entry(2)];
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (
                version    INTEGER PRIMARY KEY NOT NULL,
                applied_at TEXT NOT NULL
            ) STRICT;",
        )
        .unwrap();
        conn.execute_batch(include_str!("../migrations/0001_initial.sql"))
            .unwrap();
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (1, 'then')",
            [],
        )
        .unwrap();
        let mut v1 = t.clone();
        v1.version = 1;
        conn.execute(
            "INSERT INTO tickets (id, tenant, version, status, is_open, body)
             VALUES (7, 'acme', 1, 'new', 1, ?1)",
            [serde_json::to_string(&v1).unwrap()],
        )
        .unwrap();
        for e in &old {
            conn.execute(
                "INSERT INTO log (ticket, tenant, at, body) VALUES (7, 'acme', ?1, ?2)",
                rusqlite::params![
                    e.at.timestamp_nanos_opt().unwrap(),
                    serde_json::to_string(e).unwrap()
                ],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.log(&t.key()).await.unwrap(), old.to_vec());
    let mut v2 = store.get(&t.key()).await.unwrap();
    v2.version = 1;
    store
        .update(Commit::new(v2, vec![entry(3)], at(3)), None)
        .await
        .unwrap();
    let log = store.log(&t.key()).await.unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(log[3], entry(3));
    let range = store.log_range(&tenant(), at(2), at(3)).await.unwrap();
    assert_eq!(
        range,
        vec![(TicketId(7), entry(2)), (TicketId(7), entry(2))]
    );
}
