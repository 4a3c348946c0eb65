//! Shared by the history tests: a state directory filled with the history fixtures as real
//! files — each operation journalled with `Journal::create` + `append`, each drill record saved
//! with `drill::store::save`.

use crate::ui_fixtures::history::specs;
use baton::drill::store;
use baton::failover::{Journal, StateDir};

/// Writes every fixture operation and drill record into `dir`.
pub fn fill(dir: &StateDir) {
    let (ops, drills) = specs();
    for spec in &ops {
        let mut journal = Journal::create(dir, &spec.role, &spec.id).unwrap();
        for event in spec.events() {
            journal.append(&event).unwrap();
        }
    }
    for record in &drills {
        store::save(dir, record).unwrap();
    }
}
