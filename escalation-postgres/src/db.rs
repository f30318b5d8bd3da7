//! The connection a store operation runs on (a pooled client, or a transaction on one), and
//! the store's failures.

use escalation_core::Error;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

/// A failure inside a store operation: a contract outcome (NotFound, Conflict, ...) to hand
/// back as it is, or a database failure to classify.
#[derive(Debug)]
pub(crate) enum Fail {
    Core(Error),
    Pg(tokio_postgres::Error),
    Pool(String),
}

pub(crate) type R<T> = std::result::Result<T, Fail>;

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Fail {
        Fail::Pg(e)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Core(e)
    }
}

impl From<deadpool_postgres::PoolError> for Fail {
    fn from(e: deadpool_postgres::PoolError) -> Fail {
        match e {
            deadpool_postgres::PoolError::Backend(e) => Fail::Pg(e),
            other => Fail::Pool(other.to_string()),
        }
    }
}

impl Fail {
    /// Whether the whole operation may be run again on a fresh connection: the connection
    /// was lost (or the server is shutting it down), or PostgreSQL aborted the transaction
    /// for a serialization failure or a deadlock, or no connection could be had.
    pub(crate) fn transient(&self) -> bool {
        match self {
            Fail::Core(_) => false,
            Fail::Pool(_) => true,
            Fail::Pg(e) => {
                if e.is_closed() {
                    return true;
                }
                match e.code() {
                    Some(code) => {
                        code.code().starts_with("08")
                            || [
                                SqlState::T_R_SERIALIZATION_FAILURE,
                                SqlState::T_R_DEADLOCK_DETECTED,
                                SqlState::ADMIN_SHUTDOWN,
                                SqlState::CRASH_SHUTDOWN,
                                SqlState::CANNOT_CONNECT_NOW,
                                SqlState::IDLE_SESSION_TIMEOUT,
                            ]
                            .contains(code)
                    }
                    // No SQLSTATE: an I/O failure talking to the server.
                    None => std::error::Error::source(e)
                        .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()),
                }
            }
        }
    }

    /// Whether the connection is gone (rather than the transaction refused): the pool may
    /// hold more connections like it.
    pub(crate) fn connection_lost(&self) -> bool {
        match self {
            Fail::Core(_) => false,
            Fail::Pool(_) => true,
            Fail::Pg(e) => {
                e.is_closed()
                    || e.code().is_none_or(|code| {
                        code.code().starts_with("08")
                            || [
                                SqlState::ADMIN_SHUTDOWN,
                                SqlState::CRASH_SHUTDOWN,
                                SqlState::CANNOT_CONNECT_NOW,
                                SqlState::IDLE_SESSION_TIMEOUT,
                            ]
                            .contains(code)
                    })
            }
        }
    }

    /// The error the caller sees.
    pub(crate) fn into_error(self) -> Error {
        match self {
            Fail::Core(e) => e,
            Fail::Pg(ref e) => {
                let message = match e.as_db_error() {
                    Some(db) => format!("PostgreSQL: {} ({})", db.message(), db.code().code()),
                    None => format!("PostgreSQL: {e}"),
                };
                Error::Storage {
                    retryable: self.transient(),
                    message,
                }
            }
            Fail::Pool(message) => Error::Storage {
                message: format!("PostgreSQL connection pool: {message}"),
                retryable: true,
            },
        }
    }
}

/// A row that does not decode: the database holds something this version did not write.
pub(crate) fn corrupt(message: impl std::fmt::Display) -> Fail {
    Fail::Core(Error::Storage {
        message: format!("corrupt row: {message}"),
        retryable: false,
    })
}

/// Reads column `i` of `row`, reporting a failure to decode as a corrupt row (never a panic).
pub(crate) fn col<'r, T: tokio_postgres::types::FromSql<'r>>(row: &'r Row, i: usize) -> R<T> {
    row.try_get(i).map_err(corrupt)
}

/// Statement parameters.
pub(crate) type Params<'p> = [&'p (dyn ToSql + Sync)];

/// Where an operation's statements go: straight to a pooled client (a read that needs no
/// transaction), or inside a transaction. Statements are prepared once per connection
/// (deadpool's statement cache).
pub(crate) enum Conn<'c, 't> {
    Client(&'c deadpool_postgres::Client),
    Tx(&'c deadpool_postgres::Transaction<'t>),
}

impl Conn<'_, '_> {
    async fn statement(&self, sql: &str) -> R<tokio_postgres::Statement> {
        Ok(match self {
            Conn::Client(c) => c.prepare_cached(sql).await?,
            Conn::Tx(t) => t.prepare_cached(sql).await?,
        })
    }

    pub(crate) async fn query(&self, sql: &str, params: &Params<'_>) -> R<Vec<Row>> {
        let s = self.statement(sql).await?;
        Ok(match self {
            Conn::Client(c) => c.query(&s, params).await?,
            Conn::Tx(t) => t.query(&s, params).await?,
        })
    }

    pub(crate) async fn query_opt(&self, sql: &str, params: &Params<'_>) -> R<Option<Row>> {
        let s = self.statement(sql).await?;
        Ok(match self {
            Conn::Client(c) => c.query_opt(&s, params).await?,
            Conn::Tx(t) => t.query_opt(&s, params).await?,
        })
    }

    pub(crate) async fn query_one(&self, sql: &str, params: &Params<'_>) -> R<Row> {
        let s = self.statement(sql).await?;
        Ok(match self {
            Conn::Client(c) => c.query_one(&s, params).await?,
            Conn::Tx(t) => t.query_one(&s, params).await?,
        })
    }

    pub(crate) async fn execute(&self, sql: &str, params: &Params<'_>) -> R<u64> {
        let s = self.statement(sql).await?;
        Ok(match self {
            Conn::Client(c) => c.execute(&s, params).await?,
            Conn::Tx(t) => t.execute(&s, params).await?,
        })
    }
}
