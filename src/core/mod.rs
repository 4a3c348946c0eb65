//! The pure domain: fleet facts, leader derivation, plans.
//!
//! Nothing here does I/O, spawns tasks or reads the clock; time enters as arguments.

pub mod budget;
pub mod drill;
pub mod health;
pub mod history;
pub mod index;
pub mod leader;
pub mod model;
pub mod name;
pub mod operation;
pub mod plan;
pub mod report;
pub mod snapshot;
pub mod text;
pub mod wording;
