//! In-memory adapters for every port: full adapters for tests, simulations and hosts that
//! need no persistence, not mocks.

mod directory;
mod notifier;
mod pager;
mod profiles;
mod store;

pub use directory::MemoryDirectory;
pub use notifier::MemoryNotifier;
pub use pager::{MemoryPager, PagerCall};
pub use profiles::MemoryProfiles;
pub use store::MemoryStore;
