#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub use escalation_core::*;

/// The SQLite store (feature `sqlite`, on by default): `SqliteStore::open(path)`.
#[cfg(feature = "sqlite")]
pub mod sqlite {
    pub use escalation_sqlite::*;
}

/// The PostgreSQL store (feature `postgres`, off by default), for many app instances sharing
/// one database: `PostgresStore::connect(url)` or `PostgresStore::connect_with(options)`.
#[cfg(feature = "postgres")]
pub mod postgres {
    pub use escalation_postgres::*;
}
