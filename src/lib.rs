//! baton: a terminal cockpit for Azure active/passive VM pairs.
//!
//! The library holds everything; `main.rs` only parses the command line and wires it together.
//! `core` is pure (no I/O, no clock); every other module does I/O around it.

#![warn(missing_docs)]

pub mod azure;
pub mod cockpit;
pub mod config;
pub mod core;
pub mod drill;
pub mod emulator;
pub mod engine;
pub mod failover;
pub mod fleet;
pub mod headless;
pub mod history;
pub mod ops;
pub mod probe;
pub mod protocol;
pub mod setup;
pub mod status;
pub mod store;
pub mod term_out;
pub mod ui;

// The dev-only fixtures in `tests/ui_fixtures` name the library `baton::`; this lets the
// library's own unit tests include them too (once, here).
#[cfg(test)]
extern crate self as baton;
#[cfg(test)]
#[path = "../tests/ui_fixtures/mod.rs"]
mod ui_fixtures;
