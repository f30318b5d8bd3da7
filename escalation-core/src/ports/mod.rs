//! The ports: everything that touches the outside world goes through these traits.
//!
//! Each is an object-safe async trait (`async-trait`), `Send + Sync + 'static`, held by the
//! engine as `Arc<dyn ...>`. Each ships an in-memory implementation in [`crate::memory`]
//! (and the clocks in [`crate::clock`]).

mod directory;
mod notifier;
mod pager;
mod profile;
mod store;

pub use directory::AgentDirectory;
pub use notifier::{Notification, NotificationKind, Notifier};
pub use pager::{Page, Pager};
pub use profile::ProfileSource;
pub use store::{
    ClaimDue, Claimed, ClaimedEffect, CleanupBatch, CleanupQuery, Commit, Earliest, EffectOutcome,
    EventKinds, Fence, Inserted, StoreCapabilities, TicketStore, earliest_claimable, from_nanos,
    nanos, nanos_saturated,
};
