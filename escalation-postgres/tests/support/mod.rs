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
