//! CPU time and memory of a process, read from /proc (Linux only), and environment knobs.

use anyhow::{Context, Result};

/// The kernel reports /proc times in USER_HZ, fixed at 100 on Linux.
const USER_HZ: f64 = 100.0;

/// An integer knob from the environment, else `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// User + system CPU seconds of this process so far.
pub fn cpu_seconds() -> Result<f64> {
    cpu_seconds_of("self")
}

/// User + system CPU seconds so far of process `pid` (`"self"` for this one).
pub fn cpu_seconds_of(pid: &str) -> Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime is field 14, stime field 15 (1-based); here index 0 is field 3.
    Ok((ticks(11) + ticks(12)) / USER_HZ)
}

/// A line of /proc/self/status in MB (e.g. `VmHWM` peak RSS, `VmRSS`).
pub fn status_mb(key: &str) -> f64 {
    status_mb_of("self", key)
}

/// A line of /proc/PID/status in MB; 0 when unreadable.
pub fn status_mb_of(pid: &str, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU share of one core between two readings: CPU seconds over wall seconds.
pub fn share(cpu_from: f64, cpu_to: f64, wall_secs: f64) -> f64 {
    if wall_secs > 0.0 {
        (cpu_to - cpu_from) / wall_secs
    } else {
        0.0
    }
}

/// The machine, for the report: `nproc` and the CPU model.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_string();
    format!("{cpus} CPUs, {model}")
}
