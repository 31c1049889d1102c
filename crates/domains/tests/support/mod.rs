//! Shared test support.
pub mod registry;
mod worst;
#[allow(unused_imports)]
pub use worst::worst_case_hosts;
