//! # escalation-core
//!
//! The engine of `escalation`: a customer-support ticket escalation workflow that a host
//! application embeds. The host hands it tickets and events; the engine decides priority,
//! owner, deadlines and escalations, and calls back into the host through ports
//! ([`ports`]) for everything that touches the outside world.
//!
//! ```
//! use escalation_core::{Engine, NewTicket, Channel, Impact, Status};
//! # futures::executor::block_on(async {
//! let engine = Engine::builder().build()?;
//! let ticket = engine
//!     .create_ticket(NewTicket::new(
//!         "cust-1",
//!         Channel::Email,
//!         "billing",
//!         Impact::Bug,
//!         "Invoice is wrong",
//!         engine.now(),
//!     ))
//!     .await?;
//! // No agents are registered, so the ticket waits in the queue.
//! assert_eq!(ticket.status, Status::New);
//! # Ok::<(), escalation_core::Error>(())
//! # }).unwrap();
//! ```
#![deny(missing_docs)]

pub mod calendar;
pub mod clock;
pub mod effect;
pub mod engine;
pub mod error;
pub mod ladder;
pub mod log;
pub mod memory;
pub mod model;
pub mod policy;
pub mod ports;
pub mod report;
pub mod routing;
pub mod scoring;
pub mod sla;
pub mod span;
pub mod symbol;
pub mod task;
pub mod templates;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use calendar::{BusinessCalendar, CalendarSpec};
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::{CleanupReport, Engine, EngineBuilder, SweepReport};
pub use error::{Error, ErrorKind, PolicyProblem, Result};
pub use log::{Actor, LogEntry, LogEvent};
pub use model::{
    Agent, AgentId, Channel, Contact, CustomerId, CustomerProfile, CustomerTier, Impact, NewTicket,
    Priority, ProfileState, Status, SupportTier, Team, TeamId, TenantId, Ticket, TicketEvent,
    TicketId, TicketRef,
};
pub use policy::Policy;
pub use scoring::Score;
pub use symbol::Symbol;
