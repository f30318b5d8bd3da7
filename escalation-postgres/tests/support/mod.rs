//! The test database: the cluster `make test` starts (tests/scripts/with_postgres.sh), named
//! by `ESCALATION_PG_URL`, with a fresh schema per store so tests do not see each other.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use escalation_postgres::{PostgresOptions, PostgresStore};

/// The database URL. There is no fallback and no skipping: without a database these tests
/// fail and say how to get one.
pub fn url() -> String {
    std::env::var("ESCALATION_PG_URL").unwrap_or_else(|_| {
        panic!(
            "ESCALATION_PG_URL is not set: run these tests through `make test`, or through \
             tests/scripts/with_postgres.sh cargo test -p escalation-postgres"
        )
    })
}

/// A schema name no other test (in this or another test process) uses.
pub fn fresh_schema(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Options for a store in a fresh schema.
pub fn options(prefix: &str) -> PostgresOptions {
    PostgresOptions::new(url())
        .schema(fresh_schema(prefix))
        .pool_size(4)
}

/// A store in a fresh schema.
pub async fn fresh_store(prefix: &str) -> PostgresStore {
    PostgresStore::connect_with(options(prefix)).await.unwrap()
}

/// A fresh schema, created and migrated by a store that connects once and is dropped: for
/// tests whose stores are opened elsewhere (in child processes, see [`child_store`]).
pub async fn migrated_schema(prefix: &str) -> String {
    let options = options(prefix);
    let schema = options.schema.clone();
    drop(PostgresStore::connect_with(options).await.unwrap());
    schema
}

/// A child process's store in the parent's `schema` (see [`migrated_schema`]), its
/// connections named `application` in `pg_stat_activity`.
pub async fn child_store(schema: String, application: String) -> PostgresStore {
    let options = PostgresOptions::new(url())
        .schema(schema)
        .pool_size(4)
        .application_name(application);
    PostgresStore::connect_with(options).await.unwrap()
}

/// A plain client on the test database (for raw queries), its connection driven on the
/// current runtime.
pub async fn raw_client() -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// The ordinary (not superuser) role the row-level-security tests connect as, created on
/// first use with the right to create schemas; PostgreSQL does not apply row-level security
/// to superusers, and the cluster's own user is one.
pub const APP_ROLE: &str = "escalation_app";

/// The test database URL with `role` as the user.
pub fn url_as(role: &str) -> String {
    let url = url();
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{role}@{host}")
}

/// Creates [`APP_ROLE`] if missing (concurrent test processes may race; both outcomes of the
/// race are fine).
pub async fn ensure_app_role() {
    let client = raw_client().await;
    client
        .batch_execute(&format!(
            "DO $$ BEGIN
                 CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END $$;
             GRANT CREATE ON DATABASE {} TO {APP_ROLE};",
            client
                .query_one("SELECT current_database()::text", &[])
                .await
                .unwrap()
                .get::<_, String>(0)
        ))
        .await
        .unwrap();
}

/// Options for a store with row-level security, as [`APP_ROLE`], in a fresh schema.
pub async fn rls_options(prefix: &str) -> PostgresOptions {
    ensure_app_role().await;
    PostgresOptions::new(url_as(APP_ROLE))
        .schema(fresh_schema(prefix))
        .pool_size(4)
        .row_level_security(true)
}

/// What the store in `schema` holds, read straight from its tables with a raw client
/// (documents are JSONB: a ticket per `tickets` row, an array of log entries per `log_rows`
/// row, an effect per `effects` row).
pub async fn read_contents(
    client: &tokio_postgres::Client,
    schema: &str,
) -> escalation_core::testkit::process::Contents {
    use escalation_core::effect::Effect;
    use escalation_core::{LogEntry, Ticket};
    use tokio_postgres::types::Json;

    let tickets = client
        .query(
            &format!("SELECT body FROM {schema}.tickets ORDER BY id"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, Json<Ticket>>(0).0)
        .collect();
    let mut log: std::collections::HashMap<i64, Vec<LogEntry>> = Default::default();
    for r in client
        .query(
            &format!("SELECT ticket, body FROM {schema}.log_rows ORDER BY seq"),
            &[],
        )
        .await
        .unwrap()
    {
        let entries = r.get::<_, Json<Vec<LogEntry>>>(1).0;
        log.entry(r.get(0)).or_default().extend(entries);
    }
    let effects = client
        .query(
            &format!("SELECT body FROM {schema}.effects ORDER BY seq"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, Json<Effect>>(0).0)
        .collect();
    escalation_core::testkit::process::Contents {
        tickets,
        log,
        effects,
    }
}
