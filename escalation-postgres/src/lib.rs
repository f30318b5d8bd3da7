//! # escalation-postgres
//!
//! A [`TicketStore`] for the escalation engine on PostgreSQL, for many app instances sharing
//! one database (through `tokio-postgres` and a `deadpool-postgres` connection pool).
//!
//! - **Each escalation exactly once across instances.** Every instance sweeps. Claims take
//!   due rows with `FOR UPDATE SKIP LOCKED` under leases, so concurrent sweepers take
//!   disjoint sets without waiting on each other. Every write after a claim is fenced: it is
//!   one `UPDATE` conditional on the version and on the lease (token and end), so a worker
//!   whose lease expired changes no row and gets a `Conflict`.
//! - **Uniqueness in indexes.** Ticket ids, `(tenant, intake key)`, effect idempotency keys
//!   and task ids are unique indexes; a repeated insert writes nothing.
//! - **Atomic.** Every write is one transaction: a ticket's state, its log entries, effects,
//!   tasks and page cancellations commit together or not at all.
//! - **Connection loss is retried** on a fresh connection. An attempt whose commit may have
//!   gone through before the connection dropped is recognised on the retry (the row already
//!   holds exactly what it wrote), so the work is not done twice.
//! - **Tenant scoped.** Every query filters on the tenant. Row-level security is offered
//!   ([`PostgresOptions::row_level_security`]): the tables get `FORCE ROW LEVEL SECURITY`
//!   policies, and every transaction sets its tenant.
//! - **Migrations** in `migrations/` are applied on connect in one transaction under an
//!   advisory lock, so ten instances starting together migrate once.
//!
//! ```no_run
//! # async fn run() -> escalation_core::Result<()> {
//! use std::sync::Arc;
//! use escalation_core::Engine;
//! use escalation_postgres::PostgresStore;
//!
//! let store = PostgresStore::connect("postgres://app@db.internal/helpdesk").await?;
//! let engine = Engine::builder().store(Arc::new(store)).build()?;
//! # Ok(()) }
//! ```
//!
//! The behaviour matches `escalation_core::memory::MemoryStore` (the reference contract),
//! including leases and fencing, page-cancellation holds and tenant scoping. The store needs
//! a Tokio runtime: the pool's connections run on the runtime that opened them.
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod db;
mod ops;
mod schema;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use escalation_core::effect::Effect;
use escalation_core::ports::{
    ClaimDue, Claimed, ClaimedEffect, CleanupBatch, CleanupQuery, Commit, EffectOutcome,
    EventKinds, Fence, Inserted, StoreCapabilities, TicketStore,
};
use escalation_core::task::EscalationTask;
use escalation_core::{AgentId, Error, LogEntry, Result, TenantId, Ticket, TicketId, TicketRef};

use crate::db::{Conn, Fail, R};

/// How to connect a [`PostgresStore`].
#[derive(Clone)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// A libpq connection string or URL (`postgres://user:password@host:port/database`).
    pub url: String,
    /// The schema holding the store's tables (created if missing); default `public`. Several
    /// independent stores may share one database in different schemas.
    pub schema: String,
    /// The most connections the pool opens; default 16.
    pub pool_size: usize,
    /// Turn on row-level security for the store's tables (see the crate docs); default off.
    /// Once on it stays on: a store connecting later without this option finds it on and
    /// scopes its transactions all the same.
    pub row_level_security: bool,
    /// How many times an operation is run again after a lost connection, a serialization
    /// failure or a deadlock; default 8.
    pub retries: u32,
    /// The `application_name` the connections report (visible in `pg_stat_activity`), unless
    /// the URL sets one; default `escalation`.
    pub application_name: String,
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("PostgresOptions")
            .field("schema", &self.schema)
            .field("pool_size", &self.pool_size)
            .field("row_level_security", &self.row_level_security)
            .field("retries", &self.retries)
            .field("application_name", &self.application_name)
            .finish_non_exhaustive()
    }
}

impl PostgresOptions {
    /// The defaults, connecting to `url`.
    pub fn new(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            schema: "public".to_owned(),
            pool_size: 16,
            row_level_security: false,
            retries: 8,
            application_name: "escalation".to_owned(),
        }
    }

    /// Uses `schema` for the store's tables.
    #[must_use]
    pub fn schema(mut self, schema: impl Into<String>) -> PostgresOptions {
        self.schema = schema.into();
        self
    }

    /// Opens at most `n` connections.
    #[must_use]
    pub fn pool_size(mut self, n: usize) -> PostgresOptions {
        self.pool_size = n;
        self
    }

    /// Turns row-level security on.
    #[must_use]
    pub fn row_level_security(mut self, on: bool) -> PostgresOptions {
        self.row_level_security = on;
        self
    }

    /// Runs an operation again at most `n` times after a transient failure.
    #[must_use]
    pub fn retries(mut self, n: u32) -> PostgresOptions {
        self.retries = n;
        self
    }

    /// Reports `name` as the connections' `application_name`.
    #[must_use]
    pub fn application_name(mut self, name: impl Into<String>) -> PostgresOptions {
        self.application_name = name.into();
        self
    }
}

/// A [`TicketStore`] on a PostgreSQL database shared by any number of engines.
pub struct PostgresStore {
    pool: deadpool_postgres::Pool,
    schema: String,
    rls: bool,
    retries: u32,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .field("row_level_security", &self.rls)
            .field("pool", &self.pool.status())
            .finish()
    }
}

/// Which tenant a transaction works for, when row-level security is on.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Tenant(&'a str),
    /// The cross-tenant sweep and dispatch queries.
    AllTenants,
    /// No table rows (the id sequence).
    None,
}

/// Runs `$body` (which may use `.await` and `?` on [`R`] values, and sees the connection as
/// `$c` and whether this is a retry as `$retry`) on a pooled connection, and runs it again
/// on a fresh connection after a transient failure. With `transaction = true`, or with
/// row-level security on (the tenant setting is transaction-local), the body runs in a
/// transaction that sets the scope's tenant and commits at the end; otherwise its statements
/// go straight to the connection, saving the `BEGIN` and `COMMIT` round trips (for reads, and
/// for writes that are one statement, which commits on its own).
macro_rules! run {
    ($store:expr, $scope:expr, transaction = $tx:expr, |$c:ident, $retry:ident| $body:expr) => {{
        let store: &PostgresStore = $store;
        let in_transaction: bool = $tx || store.rls;
        let mut attempt = 0u32;
        loop {
            let out: R<_> = async {
                let mut client = store.pool.get().await?;
                #[allow(unused_variables)]
                let $retry = attempt > 0;
                if in_transaction {
                    let tx = client.transaction().await?;
                    let $c = Conn::Tx(&tx);
                    store.scope(&$c, $scope).await?;
                    let value = $body;
                    tx.commit().await?;
                    Ok(value)
                } else {
                    let $c = Conn::Client(&client);
                    Ok($body)
                }
            }
            .await;
            match out {
                Err(f) if f.transient() && attempt < store.retries => {
                    attempt += 1;
                    store.before_retry(&f, attempt).await;
                }
                other => break other.map_err(Fail::into_error),
            }
        }
    }};
}

/// `run!` in a transaction: writes of more than one statement.
macro_rules! write {
    ($store:expr, $scope:expr, |$c:ident, $retry:ident| $body:expr) => {
        run!($store, $scope, transaction = true, |$c, $retry| $body)
    };
}

/// `run!` without a transaction of its own: one-statement writes.
macro_rules! single {
    ($store:expr, $scope:expr, |$c:ident, $retry:ident| $body:expr) => {
        run!($store, $scope, transaction = false, |$c, $retry| $body)
    };
}

/// `single!` for reads.
macro_rules! read {
    ($store:expr, $scope:expr, |$c:ident| $body:expr) => {
        single!($store, $scope, |$c, retry| $body)
    };
}

impl PostgresStore {
    /// Connects with the default [`PostgresOptions`] and migrates the database.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed URL; [`Error::Storage`] when the database
    /// cannot be reached or migrated, or was migrated by a newer version of this crate.
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        PostgresStore::connect_with(PostgresOptions::new(url)).await
    }

    /// Connects with `options` and migrates the database.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed URL, an invalid schema name or a pool size
    /// of 0; [`Error::Storage`] when the database cannot be reached or migrated, or was
    /// migrated by a newer version of this crate.
    pub async fn connect_with(options: PostgresOptions) -> Result<PostgresStore> {
        schema::check_schema_name(&options.schema)?;
        if options.pool_size == 0 {
            return Err(Error::invalid("pool_size", 0, "at least 1"));
        }
        let mut config: tokio_postgres::Config =
            options.url.parse().map_err(|e: tokio_postgres::Error| {
                Error::invalid("url", "(not shown)", e.to_string())
            })?;
        let search_path = format!("-c search_path={}", options.schema);
        let startup = match config.get_options() {
            Some(o) if !o.is_empty() => format!("{o} {search_path}"),
            _ => search_path,
        };
        config.options(startup);
        if config.get_application_name().is_none() {
            config.application_name(options.application_name.clone());
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let manager = deadpool_postgres::Manager::from_config(
            config,
            tokio_postgres::NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .build()
            .map_err(|e| Error::Internal(format!("connection pool: {e}")))?;
        let mut store = PostgresStore {
            pool,
            schema: options.schema.clone(),
            rls: false,
            retries: options.retries,
        };
        let mut attempt = 0u32;
        store.rls = loop {
            let out: R<bool> = async {
                let mut client = store.pool.get().await?;
                schema::migrate(&mut client, &store.schema, options.row_level_security).await
            }
            .await;
            match out {
                Err(f) if f.transient() && attempt < store.retries => {
                    attempt += 1;
                    store.before_retry(&f, attempt).await;
                }
                other => break other.map_err(Fail::into_error)?,
            }
        };
        Ok(store)
    }

    /// The schema version this build migrates databases to.
    pub fn schema_version() -> i64 {
        schema::MIGRATIONS.last().map_or(0, |(v, _)| *v)
    }

    /// The schema holding the store's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Whether row-level security is in force (every transaction sets its tenant).
    pub fn row_level_security(&self) -> bool {
        self.rls
    }

    /// Inserts many tickets in one transaction, with the semantics of
    /// [`TicketStore::insert`] for each (a later commit sees the earlier ones, so a repeated
    /// intake key yields [`Inserted::Existing`]). Returns one outcome per commit, in order.
    /// The ticket rows go in one statement, and so do the log rows.
    ///
    /// # Errors
    /// [`Error::Conflict`] when an id is taken (nothing of the batch is written);
    /// [`Error::Storage`] when the store fails.
    pub async fn insert_batch(&self, commits: Vec<Commit>) -> Result<Vec<Inserted>> {
        if commits.is_empty() {
            return Ok(Vec::new());
        }
        if !self.rls {
            return write!(self, Scope::None, |c, retry| {
                ops::insert_batch(&c, &commits, retry).await?
            });
        }
        // Under row-level security the tenant setting changes between the tenants' groups,
        // inside the one transaction; outcomes go back in the commits' order.
        let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, c) in commits.iter().enumerate() {
            groups.entry(c.ticket.tenant.as_str()).or_default().push(i);
        }
        write!(self, Scope::None, |c, retry| {
            let mut out: Vec<Option<Inserted>> = vec![None; commits.len()];
            for (tenant, idx) in &groups {
                self.scope(&c, Scope::Tenant(tenant)).await?;
                let part: Vec<Commit> = idx.iter().map(|i| commits[*i].clone()).collect();
                for (i, done) in idx.iter().zip(ops::insert_batch(&c, &part, retry).await?) {
                    out[*i] = Some(done);
                }
            }
            out.into_iter()
                .map(|d| {
                    d.ok_or_else(|| Fail::Core(Error::Internal("batch outcome missing".into())))
                })
                .collect::<R<Vec<Inserted>>>()?
        })
    }

    /// Sets the transaction's tenant for row-level security (nothing without it).
    async fn scope(&self, c: &Conn<'_, '_>, scope: Scope<'_>) -> R<()> {
        if !self.rls {
            return Ok(());
        }
        let tenant = match scope {
            Scope::Tenant(t) => t,
            Scope::AllTenants => "*",
            Scope::None => return Ok(()),
        };
        if tenant == "*" && !matches!(scope, Scope::AllTenants) {
            return Err(Fail::Core(Error::invalid(
                "tenant",
                tenant,
                "`*` is reserved under row-level security",
            )));
        }
        c.execute(
            "SELECT set_config('escalation.tenant', $1, true)",
            &[&tenant],
        )
        .await?;
        Ok(())
    }

    /// Prepares retry `attempt` (1-based) after the transient failure `f`. A lost connection
    /// usually means the others are lost too (a restarted server, a failover, a network
    /// cut), and a pooled connection that died while idle is only found out when used: so
    /// the idle connections are dropped, and the retry opens a fresh one. Then waits:
    /// 10 ms doubling up to 1 s.
    async fn before_retry(&self, f: &Fail, attempt: u32) {
        if f.connection_lost() {
            self.pool.retain(|_, _| false);
        }
        let ms = 10u64.saturating_mul(1 << attempt.min(7)).min(1_000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

#[async_trait]
impl TicketStore for PostgresStore {
    fn capabilities(&self) -> StoreCapabilities {
        let mut caps = StoreCapabilities::default();
        caps.durable = true;
        caps.shared = true;
        caps
    }

    async fn next_id(&self) -> Result<TicketId> {
        single!(self, Scope::None, |c, retry| ops::next_id(&c).await?)
    }

    async fn insert(&self, commit: Commit) -> Result<Inserted> {
        let tenant = commit.ticket.tenant.clone();
        if ops::is_one_statement(&commit) {
            return single!(self, Scope::Tenant(tenant.as_str()), |c, retry| {
                ops::insert(&c, &commit, retry).await?
            });
        }
        write!(self, Scope::Tenant(tenant.as_str()), |c, retry| {
            ops::insert(&c, &commit, retry).await?
        })
    }

    async fn get(&self, key: &TicketRef) -> Result<Ticket> {
        read!(self, Scope::Tenant(key.tenant.as_str()), |c| ops::get(
            &c, key
        )
        .await?)
    }

    async fn find_by_intake_key(&self, tenant: &TenantId, key: &str) -> Result<Option<Ticket>> {
        read!(self, Scope::Tenant(tenant.as_str()), |c| {
            ops::find_by_intake_key(&c, tenant, key).await?
        })
    }

    async fn update(&self, commit: Commit, fence: Option<Fence>) -> Result<u64> {
        let tenant = commit.ticket.tenant.clone();
        if ops::is_one_statement(&commit) {
            return single!(self, Scope::Tenant(tenant.as_str()), |c, retry| {
                ops::update(&c, &commit, fence, retry).await?
            });
        }
        write!(self, Scope::Tenant(tenant.as_str()), |c, retry| {
            ops::update(&c, &commit, fence, retry).await?
        })
    }

    async fn update_many(&self, writes: Vec<(Commit, Option<Fence>)>) -> Result<Vec<Result<u64>>> {
        // One transaction (one commit) for the whole group. No savepoints are needed: a
        // write's first statement is its fenced UPDATE, and a refused one runs nothing else.
        // Without row-level security the writes are pipelined (sent without waiting for each
        // other's replies; they touch different tickets); with it they go one by one, each
        // under its own tenant setting.
        write!(self, Scope::None, |c, retry| {
            if self.rls {
                let mut out = Vec::with_capacity(writes.len());
                for (commit, fence) in &writes {
                    self.scope(&c, Scope::Tenant(commit.ticket.tenant.as_str()))
                        .await?;
                    out.push(ops::update(&c, commit, *fence, retry).await);
                }
                ops::keep_refusals(out)?
            } else {
                let all = futures::future::join_all(
                    writes
                        .iter()
                        .map(|(commit, fence)| ops::update(&c, commit, *fence, retry)),
                )
                .await;
                ops::keep_refusals(all)?
            }
        })
    }

    async fn log(&self, key: &TicketRef) -> Result<Vec<LogEntry>> {
        read!(self, Scope::Tenant(key.tenant.as_str()), |c| ops::log(
            &c, key
        )
        .await?)
    }

    async fn claim_due(&self, request: &ClaimDue) -> Result<Vec<Claimed>> {
        single!(self, Scope::AllTenants, |c, retry| ops::claim_due(
            &c, request
        )
        .await?)
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        read!(self, Scope::AllTenants, |c| ops::next_due(&c).await?)
    }

    async fn claim_effects(&self, request: &ClaimDue) -> Result<Vec<ClaimedEffect>> {
        single!(self, Scope::AllTenants, |c, retry| ops::claim_effects(
            &c, request
        )
        .await?)
    }

    async fn finish_effect(&self, outcome: EffectOutcome) -> Result<()> {
        write!(self, Scope::Tenant(outcome.tenant.as_str()), |c, retry| {
            ops::finish_effect(&c, &outcome).await?
        })
    }

    async fn effects(&self, key: &TicketRef) -> Result<Vec<Effect>> {
        read!(self, Scope::Tenant(key.tenant.as_str()), |c| ops::effects(
            &c, key
        )
        .await?)
    }

    async fn next_effect_due(&self) -> Result<Option<DateTime<Utc>>> {
        read!(self, Scope::AllTenants, |c| ops::next_effect_due(&c)
            .await?)
    }

    async fn tasks(
        &self,
        tenant: &TenantId,
        ticket: Option<TicketId>,
    ) -> Result<Vec<EscalationTask>> {
        read!(self, Scope::Tenant(tenant.as_str()), |c| ops::tasks(
            &c, tenant, ticket
        )
        .await?)
    }

    async fn put_task(&self, task: EscalationTask) -> Result<()> {
        let tenant = task.tenant.clone();
        single!(self, Scope::Tenant(tenant.as_str()), |c, retry| {
            ops::put_task(&c, &task).await?
        })
    }

    async fn log_range(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(TicketId, LogEntry)>> {
        self.log_range_of(tenant, from, to, EventKinds::ALL).await
    }

    async fn log_range_of(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        kinds: EventKinds,
    ) -> Result<Vec<(TicketId, LogEntry)>> {
        read!(self, Scope::Tenant(tenant.as_str()), |c| {
            ops::log_range_of(&c, tenant, from, to, kinds).await?
        })
    }

    async fn resolved_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Ticket>> {
        read!(self, Scope::Tenant(tenant.as_str()), |c| {
            ops::resolved_between(&c, tenant, from, to).await?
        })
    }

    async fn get_many(&self, tenant: &TenantId, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        read!(self, Scope::Tenant(tenant.as_str()), |c| ops::get_many(
            &c, tenant, ids
        )
        .await?)
    }

    async fn agent_loads(&self, tenant: &TenantId, agents: &[&AgentId]) -> Result<Vec<u32>> {
        let agents: Vec<AgentId> = agents.iter().map(|a| (*a).clone()).collect();
        read!(self, Scope::Tenant(tenant.as_str()), |c| {
            ops::agent_loads(&c, tenant, &agents).await?
        })
    }

    async fn cleanup(&self, tenant: &TenantId, query: &CleanupQuery) -> Result<CleanupBatch> {
        write!(self, Scope::Tenant(tenant.as_str()), |c, retry| {
            ops::cleanup(&c, tenant, query).await?
        })
    }
}
