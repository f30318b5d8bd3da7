//! Resolution metrics (ART) and the weekly escalation report (workflow step 9).

mod model;
pub mod render;

pub use model::*;
