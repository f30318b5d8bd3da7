//! # escalation
//!
//! An embeddable engine for customer-support ticket escalation. This facade crate re-exports
//! [`escalation_core`]; store adapters appear here behind features as they are added.
#![deny(missing_docs)]

pub use escalation_core::*;
