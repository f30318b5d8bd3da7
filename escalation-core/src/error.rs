//! The one error type of the engine.
//!
//! Every fallible public function returns [`Error`]. Each variant belongs to an
//! [`ErrorKind`], which is what bindings map to exception classes (Python) and
//! `code` strings (JavaScript), and [`Error::is_retryable`] tells a caller whether
//! the same call may succeed if tried again.

use std::fmt;

use crate::model::Status;

/// A convenient alias for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The category of an [`Error`]; stable across releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument or a field of an input document is invalid.
    InvalidInput,
    /// A policy document failed validation.
    PolicyInvalid,
    /// A status change that the transition table does not allow.
    InvalidTransition,
    /// The requested record does not exist (or belongs to another tenant).
    NotFound,
    /// A write lost an optimistic-concurrency race or a lease.
    Conflict,
    /// No answer exists within the supported range (for example a deadline past 2200).
    OutOfRange,
    /// A port (ProfileSource, Notifier, Pager, AgentDirectory) failed.
    Port,
    /// A port did not answer in time.
    Timeout,
    /// The store failed.
    Storage,
    /// The adapter does not implement this optional operation.
    NotSupported,
    /// A bug in the engine; please report it.
    Internal,
}

impl ErrorKind {
    /// The stable, upper-snake-case code of this kind (`"POLICY_INVALID"`, `"NOT_FOUND"`, ...).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "INVALID_INPUT",
            ErrorKind::PolicyInvalid => "POLICY_INVALID",
            ErrorKind::InvalidTransition => "INVALID_TRANSITION",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::OutOfRange => "OUT_OF_RANGE",
            ErrorKind::Port => "PORT_FAILED",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Storage => "STORAGE",
            ErrorKind::NotSupported => "NOT_SUPPORTED",
            ErrorKind::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One problem found while validating a policy: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    /// The dotted path of the offending field, e.g. `scoring.weights.tier`.
    pub path: String,
    /// What is wrong, including the offending value, e.g. `must be between 0 and 1, got 1.7`.
    pub message: String,
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every error the engine reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument or input field is invalid; names the field and the value.
    #[error("invalid {field}: {reason} (got {value:?})")]
    InvalidInput {
        /// The field, as a dotted path where it is nested (`hours.mon[0]`).
        field: String,
        /// The offending value, as given.
        value: String,
        /// Why it is rejected.
        reason: String,
    },

    /// A policy document failed validation; carries every problem at once.
    #[error("invalid policy: {}", join_problems(.problems))]
    PolicyInvalid {
        /// Each problem with its path and value, sorted by path.
        problems: Vec<PolicyProblem>,
    },

    /// The status transition table forbids this change.
    #[error("invalid status transition from {from} to {to}")]
    InvalidTransition {
        /// The ticket's current status.
        from: Status,
        /// The requested status.
        to: Status,
    },

    /// The record does not exist, or belongs to another tenant.
    #[error("{what} not found: {id}")]
    NotFound {
        /// What was looked up (`ticket`, `effect`, `page`, ...).
        what: &'static str,
        /// The id that was looked up.
        id: String,
    },

    /// An optimistic-concurrency or lease conflict; re-read and retry.
    #[error("conflict: {0}")]
    Conflict(String),

    /// No answer exists within the supported range.
    #[error("out of range: {0}")]
    OutOfRange(String),

    /// A port failed.
    #[error("{port} failed: {message}")]
    Port {
        /// The port (`ProfileSource`, `Notifier`, `Pager`, `AgentDirectory`).
        port: &'static str,
        /// The port's own message.
        message: String,
        /// Whether the same call may succeed later.
        retryable: bool,
    },

    /// A port did not answer in time.
    #[error("{port} timed out after {after_ms} ms")]
    Timeout {
        /// The port that timed out.
        port: &'static str,
        /// How long the engine waited.
        after_ms: u64,
    },

    /// The store failed.
    #[error("storage: {message}")]
    Storage {
        /// The store's own message.
        message: String,
        /// Whether the same call may succeed later (busy, connection lost).
        retryable: bool,
    },

    /// The adapter does not implement this optional operation.
    #[error("not supported: {0}")]
    NotSupported(&'static str),

    /// A broken internal invariant: a bug in the engine.
    #[error("internal error: {0}")]
    Internal(String),
}

fn join_problems(problems: &[PolicyProblem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(&p.to_string());
    }
    out
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::PolicyInvalid { .. } => ErrorKind::PolicyInvalid,
            Error::InvalidTransition { .. } => ErrorKind::InvalidTransition,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::OutOfRange(_) => ErrorKind::OutOfRange,
            Error::Port { .. } => ErrorKind::Port,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Storage { .. } => ErrorKind::Storage,
            Error::NotSupported(_) => ErrorKind::NotSupported,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Whether the same call may succeed if tried again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Conflict(_) | Error::Timeout { .. } => true,
            Error::Port { retryable, .. } | Error::Storage { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// Builds an [`Error::InvalidInput`].
    pub fn invalid(
        field: impl Into<String>,
        value: impl fmt::Display,
        reason: impl Into<String>,
    ) -> Error {
        Error::InvalidInput {
            field: field.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Builds a retryable [`Error::Port`] failure.
    pub fn port_transient(port: &'static str, message: impl Into<String>) -> Error {
        Error::Port {
            port,
            message: message.into(),
            retryable: true,
        }
    }

    /// Builds a permanent [`Error::Port`] failure: retrying the same call will not help.
    pub fn port_permanent(port: &'static str, message: impl Into<String>) -> Error {
        Error::Port {
            port,
            message: message.into(),
            retryable: false,
        }
    }

    /// The policy problems, when this is [`Error::PolicyInvalid`]; empty otherwise.
    pub fn policy_problems(&self) -> &[PolicyProblem] {
        match self {
            Error::PolicyInvalid { problems } => problems,
            _ => &[],
        }
    }
}
