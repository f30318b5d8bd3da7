#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub use escalation_core::*;

/// The SQLite store (feature `sqlite`, on by default): `SqliteStore::open(path)`.
#[cfg(feature = "sqlite")]
pub mod sqlite {
    pub use escalation_sqlite::*;
}
