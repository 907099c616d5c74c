//! Just-in-time provisioning, as a pure domain: the company settings document, the provisioning
//! policy, and the ACS flow over storage ports. No HTTP, no runtime, no clock: the worker adapter
//! passes `now` and implements the ports on KV and D1; tests use [`memory`].
#![forbid(unsafe_code)]

pub mod admin;
pub mod endpoints;
pub mod expiry;
pub mod flow;
pub mod hex;
pub mod lifecycle;
pub mod memory;
pub mod memory_sign_in;
pub mod policy;
pub mod ports;
pub mod redirect;
pub mod refusal;
pub mod refusal_text;
pub mod request_id;
pub mod retention;
pub mod rollover;
pub mod scim_api;
pub mod session;
pub mod settings;
pub mod sign_in;
pub mod sp_initiated;
pub mod sql;
pub mod sql_idp;
pub mod sql_store;
pub mod test_sign_in;
pub mod tokens;
pub mod usecases;
pub mod wire;

pub use refusal::{Code, Refusal};
