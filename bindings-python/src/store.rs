//! The durable stores: `SqliteStore` (the embedded default) and `PostgresStore` (many app
//! instances on one database), over `escalation-sqlite` and `escalation-postgres`.

use std::sync::Arc;

use escalation_postgres::{PostgresOptions, PostgresStore};
use escalation_sqlite::SqliteStore;
use pyo3::prelude::*;

use crate::error::{IntoPyResult, guard};
use crate::runtime::{Owner, runtime};

/// A ticket store in one SQLite file (created and migrated on open), or in memory with
/// `SqliteStore(":memory:")`. Every write is one durable transaction.
#[pyclass(module = "escalation", name = "SqliteStore", frozen)]
pub struct PySqliteStore {
    pub(crate) inner: Arc<SqliteStore>,
    pub(crate) owner: Owner,
    path: String,
}

#[pymethods]
impl PySqliteStore {
    /// Opens (creating and migrating it if needed) the database at `path`.
    ///
    /// Raises `StoreError` when the file cannot be opened or was written by a newer
    /// version.
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<PySqliteStore> {
        guard(py, || {
            let shown = path.display().to_string();
            let store = py
                .detach(|| {
                    if shown == ":memory:" {
                        SqliteStore::open_in_memory()
                    } else {
                        SqliteStore::open(&path)
                    }
                })
                .into_py_result(py)?;
            Ok(PySqliteStore {
                inner: Arc::new(store),
                owner: Owner::here("SqliteStore"),
                path: shown,
            })
        })
    }

    fn __repr__(&self) -> String {
        format!("SqliteStore({:?})", self.path)
    }
}

/// A ticket store in PostgreSQL, for many app instances sharing one database. Connects,
/// and migrates the schema once, at construction.
#[pyclass(module = "escalation", name = "PostgresStore", frozen)]
pub struct PyPostgresStore {
    pub(crate) inner: Arc<PostgresStore>,
    pub(crate) owner: Owner,
    schema: String,
}

#[pymethods]
impl PyPostgresStore {
    /// Connects to `dsn` (`postgres://user@host:port/db`), keeping the tables in `schema`,
    /// with a pool of `pool_size` connections and, with `row_level_security=True`,
    /// PostgreSQL's row-level security as a second fence between tenants.
    ///
    /// Raises `InvalidInput` for bad options and `StoreError` when the database cannot be
    /// reached or migrated.
    #[new]
    #[pyo3(signature = (dsn, *, schema = None, pool_size = None, row_level_security = false, application_name = None))]
    fn new(
        py: Python<'_>,
        dsn: String,
        schema: Option<String>,
        pool_size: Option<usize>,
        row_level_security: bool,
        application_name: Option<String>,
    ) -> PyResult<PyPostgresStore> {
        guard(py, || {
            let mut options = PostgresOptions::new(dsn);
            if let Some(schema) = schema {
                options.schema = schema;
            }
            if let Some(pool_size) = pool_size {
                options.pool_size = pool_size;
            }
            if let Some(name) = application_name {
                options.application_name = name;
            }
            options.row_level_security = row_level_security;
            let shown = options.schema.clone();
            let rt = runtime().into_py_result(py)?;
            let store = py
                .detach(|| rt.block_on(PostgresStore::connect_with(options)))
                .into_py_result(py)?;
            Ok(PyPostgresStore {
                inner: Arc::new(store),
                owner: Owner::here("PostgresStore"),
                schema: shown,
            })
        })
    }

    fn __repr__(&self) -> String {
        format!("PostgresStore(schema={:?})", self.schema)
    }
}
