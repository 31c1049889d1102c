//! Shared test support.
pub mod registry;
