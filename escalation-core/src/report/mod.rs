//! Resolution metrics (ART) and the weekly escalation report (workflow step 9).

mod compute;
mod model;
pub mod render;

pub use compute::{ReportOptions, duration_stats};
pub use model::*;
