//! The durable stores: `SqliteStore` (the embedded default) and `PostgresStore` (many app
//! instances on one database), over `escalation-sqlite` and `escalation-postgres`.

use std::sync::Arc;

use escalation_postgres::{PostgresOptions, PostgresStore as CorePostgresStore};
use escalation_sqlite::SqliteStore as CoreSqliteStore;
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;

use crate::document;
use crate::error::guard;
use crate::options::Options;
use crate::promise;

/// A ticket store in one SQLite file (created and migrated on open), or in memory with
/// `new SqliteStore(':memory:')`. Every write is one durable transaction, made on the store's
/// own thread.
#[napi]
pub struct SqliteStore {
    pub(crate) inner: Arc<CoreSqliteStore>,
}

#[napi]
impl SqliteStore {
    /// Opens (creating and migrating it if needed) the database at `path`. Throws
    /// `STORAGE` when the file cannot be opened or was written by a newer version.
    #[napi(constructor, catch_unwind, ts_args_type = "path: string")]
    pub fn new(env: &Env, path: Unknown<'_>) -> napi::Result<SqliteStore> {
        guard(env, || {
            let path = document::text("path", &path)?;
            let store = if path == ":memory:" {
                CoreSqliteStore::open_in_memory()?
            } else {
                CoreSqliteStore::open(&path)?
            };
            Ok(SqliteStore {
                inner: Arc::new(store),
            })
        })
    }
}

/// The options of `PostgresStore.connect`.
#[napi(object, object_to_js = false, object_from_js = false)]
#[allow(dead_code, reason = "declared for the generated index.d.ts only")]
pub struct PostgresStoreOptions {
    /// The schema holding the tables (created if missing); `public` by default. Stores in
    /// different schemas of one database are independent.
    pub schema: Option<String>,
    /// The most connections the pool opens (16 by default).
    pub pool_size: Option<u32>,
    /// Turn on PostgreSQL's row-level security as a second fence between tenants.
    pub row_level_security: Option<bool>,
    /// The `application_name` the connections report (`escalation` by default).
    pub application_name: Option<String>,
}

/// A ticket store in PostgreSQL, for many app instances sharing one database.
#[napi]
pub struct PostgresStore {
    pub(crate) inner: Arc<CorePostgresStore>,
}

#[napi]
impl PostgresStore {
    /// Connects to `dsn` (`postgres://user@host:port/db`) and migrates the schema. Rejects
    /// with `INVALID_INPUT` for bad options and `STORAGE` when the database cannot be
    /// reached or migrated.
    #[napi(
        catch_unwind,
        ts_args_type = "dsn: string, options?: PostgresStoreOptions",
        ts_return_type = "Promise<PostgresStore>"
    )]
    pub fn connect<'env>(
        env: &'env Env,
        dsn: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, PostgresStore>> {
        promise::call(env, || {
            let mut settings = PostgresOptions::new(document::text("dsn", &dsn)?);
            let options = Options::new("options", options)?;
            if let Some(schema) = options.opt_text("schema")? {
                settings.schema = schema;
            }
            if let Some(size) = options.opt_count("poolSize", 1024)? {
                settings.pool_size = size as usize;
            }
            if let Some(on) = options.opt_bool("rowLevelSecurity")? {
                settings.row_level_security = on;
            }
            if let Some(name) = options.opt_text("applicationName")? {
                settings.application_name = name;
            }
            Ok(async move {
                let store = CorePostgresStore::connect_with(settings).await?;
                Ok(PostgresStore {
                    inner: Arc::new(store),
                })
            })
        })
    }
}
