//! `baton drill ROLE` without the cockpit (placeholder until written).
