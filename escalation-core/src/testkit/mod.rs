//! Test helpers for hosts and adapters (feature `testkit`).
//!
//! - [`fakes`]: fault-injecting Notifier and Pager fakes with a delivery journal (re-exported
//!   here, so `escalation_core::testkit::FlakyNotifier` works).
//! - [`conformance`]: the store conformance suite every [`crate::ports::TicketStore`]
//!   adapter runs ([`conformance::run_all`], or the [`crate::store_conformance!`] macro).
//! - [`process`]: journaling ports, fixed engine ports and exactly-once checks for
//!   process-level tests of an adapter (several engine processes on one store, a writer
//!   killed over and over).

#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod conformance;
pub mod fakes;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod process;

pub use fakes::*;
