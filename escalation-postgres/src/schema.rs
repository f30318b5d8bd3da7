//! Migrations (applied on connect, once, under an advisory lock) and row-level security.

use escalation_core::Error;

use crate::db::{Fail, R, col};

/// The migrations, in order: (version, SQL). Released files are never edited.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_fillfactor.sql")),
];

/// The tables that hold tenant rows (all of them carry a `tenant` column).
const TENANT_TABLES: [&str; 4] = ["tickets", "log_rows", "effects", "tasks"];

/// A schema name the store accepts: a plain lower-case identifier, so it needs no quoting
/// anywhere (connection options, advisory-lock keys, SQL).
pub(crate) fn check_schema_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "schema",
            name,
            "a PostgreSQL schema name of lower-case letters, digits and underscores, \
             starting with a letter or underscore, at most 63 bytes",
        ))
    }
}

/// Creates the schema if needed and applies the pending migrations, all in one transaction
/// under a transaction-level advisory lock keyed by the schema name: of several instances
/// starting together, one migrates and the others wait, then find nothing to do. With
/// `row_level_security`, also turns row-level security on (idempotently).
///
/// Returns whether row-level security is in force on the store's tables afterwards.
pub(crate) async fn migrate(
    client: &mut deadpool_postgres::Client,
    schema: &str,
    row_level_security: bool,
) -> R<bool> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('escalation migrate ' || $1))",
        &[&schema],
    )
    .await?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         SET LOCAL search_path TO {schema};
         CREATE TABLE IF NOT EXISTS schema_version (
             version    BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         );"
    ))
    .await?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .await?;
    let current: i64 = col(&row, 0)?;
    let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if current > latest {
        return Err(Fail::Core(Error::Storage {
            message: format!(
                "the database schema {schema} is at version {current}, written by a newer \
                 version of escalation-postgres (this one knows up to {latest})"
            ),
            retryable: false,
        }));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[version],
        )
        .await?;
    }
    if row_level_security {
        let row = tx
            .query_one(
                "SELECT current_user::text, rolsuper OR rolbypassrls FROM pg_roles
                 WHERE rolname = current_user",
                &[],
            )
            .await?;
        let (role, bypasses): (String, bool) = (col(&row, 0)?, col(&row, 1)?);
        if bypasses {
            return Err(Fail::Core(Error::invalid(
                "row_level_security",
                true,
                format!(
                    "the role {role} is a superuser or has BYPASSRLS, so PostgreSQL would not \
                     apply row-level security to it; connect as an ordinary role"
                ),
            )));
        }
        enable_row_level_security(&tx).await?;
    }
    let row = tx
        .query_one(
            "SELECT coalesce(bool_and(c.relforcerowsecurity), false) FROM pg_class c
             WHERE c.oid = 'tickets'::regclass",
            &[],
        )
        .await?;
    let rls: bool = col(&row, 0)?;
    tx.commit().await?;
    Ok(rls)
}

/// Turns row-level security on for every tenant table, forced for the table owner too:
///
/// - `tenant_isolation` (every role): a row is visible and writable only when its tenant
///   equals the transaction's `escalation.tenant` setting;
/// - `engine_sweeps` (only the role running this, the engine's role): every row is visible
///   when the setting is `*`, which the store sets for the cross-tenant sweep and dispatch
///   queries alone.
///
/// Another role (a reporting role, a tenant's own role) sees only the rows of the tenant it
/// sets, and nothing with `*` or no setting.
async fn enable_row_level_security(tx: &deadpool_postgres::Transaction<'_>) -> R<()> {
    for table in TENANT_TABLES {
        tx.batch_execute(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
             DROP POLICY IF EXISTS tenant_isolation ON {table};
             CREATE POLICY tenant_isolation ON {table}
                 USING (tenant = current_setting('escalation.tenant', true))
                 WITH CHECK (tenant = current_setting('escalation.tenant', true));
             DROP POLICY IF EXISTS engine_sweeps ON {table};
             CREATE POLICY engine_sweeps ON {table} TO CURRENT_USER
                 USING (current_setting('escalation.tenant', true) = '*');"
        ))
        .await?;
    }
    Ok(())
}
