//! Code shared by the benchmarks: process CPU and memory from /proc, generated emulator worlds,
//! the emulator as a child process or in process (its control API), and latency statistics.
//!
//! Measuring helpers only: no bench logic and no assertions live here. Each bench includes this
//! module with `mod support;` and uses a part of it, hence the dead-code allowance.
#![allow(dead_code)]

pub mod child;
pub mod emulator_api;
pub mod proc;
pub mod stats;
pub mod world;
