//! Bounds on every duration and count of the config and on `baton drill --hold`: a value out of
//! range is refused by `check-config` (exit 2, the range in the message) before anything runs,
//! and no value, however absurd, makes the loader panic (a seeded random walk over generated
//! files checks that each one is either accepted with every value in range or refused).

use baton::config::{self, bounds, parse_duration, Config, ConfigErrors};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BATON: &str = env!("CARGO_BIN_EXE_baton");

/// A valid file; `extra` is appended (TOML tables after the role).
fn config_text(azure: &str, extra: &str) -> String {
    format!(
        "[azure]\nsubscription_id = \"00000000-0000-0000-0000-000000000000\"\n\
         resource_group = \"rg\"\n{azure}\n\
         [[roles]]\nname = \"web\"\nvms = [\"web-a\", \"web-b\"]\nstart_command = \"start\"\n\
         stop_command = \"stop\"\nendpoint = {{ load_balancer = \"lb\", nat_rule = \"web\" }}\n\
         probes = {{ vm = \"tcp://{{vm}}:22\", service = \"tcp://{{vm}}:80\" }}\n{extra}"
    )
}

/// `baton check-config` on `text`: exit code and stderr+stdout.
fn check_config(text: &str) -> (i32, String) {
    let dir = tempfile_dir();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(BATON)
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn tempfile_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "baton-bounds-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_issues_values_are_refused_by_check_config_with_the_range() {
    let cases = [
        (
            config_text("refresh_interval = \"1ms\"", ""),
            "azure.refresh_interval = \"1ms\": out of range: must be between 5s and 1h",
        ),
        (
            config_text("refresh_interval = \"99999999h\"", ""),
            "azure.refresh_interval = \"99999999h\": out of range: must be between 5s and 1h",
        ),
        (
            config_text("", "[heartbeat]\ninterval = \"99999999h\"\n"),
            "heartbeat.interval = \"99999999h\": out of range: must be between 100ms and 1m",
        ),
        (
            config_text("", "[failover]\ndrill_hold = \"99999999h\"\n"),
            "failover.drill_hold = \"99999999h\": out of range: must be between 0s and 24h",
        ),
        (
            config_text("", "[failover.timeouts]\nisolate = \"1ms\"\n"),
            "failover.timeouts.isolate = \"1ms\": out of range: must be between 1s and 2h",
        ),
        (
            config_text("", "[failover.timeouts]\nverify = \"9999999999999h\"\n"),
            "failover.timeouts.verify = \"9999999999999h\": out of range: must be between 1s and 2h",
        ),
        (
            config_text("", "[heartbeat]\nfail_after = 4294967295\n"),
            "heartbeat.fail_after = 4294967295: must be between 1 and 100",
        ),
    ];
    for (text, expected) in cases {
        let (code, out) = check_config(&text);
        assert_eq!(code, 2, "{expected}\n{out}");
        assert!(out.contains(expected), "expected {expected:?} in:\n{out}");
    }
}

#[test]
fn the_edges_of_each_range_are_accepted() {
    let text = config_text(
        "refresh_interval = \"1h\"",
        "[heartbeat]\ninterval = \"100ms\"\ntimeout = \"50ms\"\nfail_after = 100\n\
         recover_after = 1\n[failover]\nrto_target = \"24h\"\ndrill_hold = \"0s\"\n\
         [failover.timeouts]\nisolate = \"1s\"\nrelease = \"2h\"\n",
    );
    let config = config::parse_str(&text, Path::new("edges.toml")).expect("edges are valid");
    assert_eq!(config.azure.refresh_interval, Duration::from_secs(3600));
    assert_eq!(config.heartbeat.interval, Duration::from_millis(100));
    assert_eq!(config.failover.drill_hold, Duration::ZERO);
    assert_eq!(config.failover.timeouts.release, Duration::from_secs(7200));
}

#[test]
fn drill_hold_out_of_range_on_the_command_line_is_a_usage_error() {
    let dir = tempfile_dir();
    let path = dir.join("config.toml");
    std::fs::write(&path, config_text("", "")).unwrap();
    for hold in ["=400000000000", "=86401", "=-1", "=1h"] {
        let out = Command::new(BATON)
            .args(["--config"])
            .arg(&path)
            .args(["drill", "web", "--yes", &format!("--hold{hold}")])
            .env("BATON_STATE_DIR", dir.join("state"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--hold {hold}: {err}");
        assert!(
            err.contains("expected whole seconds between 0 and 86400"),
            "--hold {hold}: {err}"
        );
        assert!(
            !dir.join("state").exists(),
            "--hold {hold}: nothing may be written before the refusal"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// xorshift64*: a fixed seed makes every run walk the same files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Mostly a value inside `bound` (so whole files get accepted), else a wild one.
    fn duration_for(&mut self, bound: &bounds::DurationBound) -> String {
        if self.below(8) == 0 {
            return self.duration();
        }
        let (min, max) = (bound.min.as_millis() as u64, bound.max.as_millis() as u64);
        format!("{}ms", min + self.below(max - min + 1))
    }

    /// A duration as an operator might (mis)type it, from `0ms` to far past `u64` seconds.
    fn duration(&mut self) -> String {
        let magnitude = [1, 10, 1000, 100_000, 10_000_000_000, u64::MAX][self.below(6) as usize];
        let amount = self.below(magnitude.max(1)).saturating_add(self.below(2));
        let unit = ["ms", "s", "m", "h"][self.below(4) as usize];
        match self.below(12) {
            0 => format!("{amount}{unit}{}s", self.below(90)),
            1 => format!("{amount}99999999999999999999{unit}"),
            _ => format!("{amount}{unit}"),
        }
    }

    fn count(&mut self) -> i64 {
        match self.below(8) {
            0 => self.next() as i64,
            1 => self.below(3) as i64 - 1,
            2 => self.below(200) as i64,
            _ => 1 + self.below(100) as i64,
        }
    }
}

const DURATION_KEYS: [(&str, &str, bounds::DurationBound); 12] = [
    ("azure", "refresh_interval", bounds::REFRESH_INTERVAL),
    ("heartbeat", "interval", bounds::PROBE_INTERVAL),
    ("heartbeat", "timeout", bounds::PROBE_TIMEOUT),
    ("failover", "rto_target", bounds::RTO_TARGET),
    ("failover", "drill_hold", bounds::DRILL_HOLD),
    ("failover.timeouts", "isolate", bounds::STEP_TIMEOUT),
    ("failover.timeouts", "fence", bounds::STEP_TIMEOUT),
    ("failover.timeouts", "detach", bounds::STEP_TIMEOUT),
    ("failover.timeouts", "release", bounds::STEP_TIMEOUT),
    ("failover.timeouts", "attach", bounds::STEP_TIMEOUT),
    ("failover.timeouts", "start", bounds::STEP_TIMEOUT),
    ("failover.timeouts", "verify", bounds::STEP_TIMEOUT),
];

/// The value a loaded config holds for a key of [`DURATION_KEYS`].
fn loaded(config: &Config, key: &str) -> Duration {
    let t = &config.failover.timeouts;
    match key {
        "refresh_interval" => config.azure.refresh_interval,
        "interval" => config.heartbeat.interval,
        "timeout" => config.heartbeat.timeout,
        "rto_target" => config.failover.rto_target,
        "drill_hold" => config.failover.drill_hold,
        "isolate" => t.isolate,
        "fence" => t.fence,
        "detach" => t.detach,
        "release" => t.release,
        "attach" => t.attach,
        "start" => t.start,
        "verify" => t.verify,
        other => panic!("no such key {other}"),
    }
}

/// One generated file: a random subset of keys with random values.
fn generated(rng: &mut Rng) -> (String, Vec<(&'static str, String)>) {
    let mut sections: Vec<(&str, Vec<String>)> = vec![
        ("azure", vec![]),
        ("heartbeat", vec![]),
        ("failover", vec![]),
        ("failover.timeouts", vec![]),
    ];
    let mut written = Vec::new();
    for (section, key, bound) in DURATION_KEYS {
        if rng.below(3) == 0 {
            let value = rng.duration_for(&bound);
            let lines = &mut sections.iter_mut().find(|(s, _)| *s == section).unwrap().1;
            lines.push(format!("{key} = \"{value}\""));
            written.push((key, value));
        }
    }
    for key in ["fail_after", "recover_after"] {
        if rng.below(3) == 0 {
            let value = rng.count();
            sections[1].1.push(format!("{key} = {value}"));
            written.push((key, value.to_string()));
        }
    }
    let [azure, rest @ ..] = sections.as_slice() else {
        unreachable!()
    };
    let extra: String = rest
        .iter()
        .map(|(name, lines)| format!("[{name}]\n{}\n", lines.join("\n")))
        .collect();
    (config_text(&azure.1.join("\n"), &extra), written)
}

#[test]
fn random_values_are_accepted_in_range_or_refused_never_a_panic() {
    let mut rng = Rng(0x00ba_7011_5eed);
    let (mut accepted, mut refused) = (0, 0);
    for round in 0..2000 {
        let (text, written) = generated(&mut rng);
        match config::parse_str(&text, Path::new("random.toml")) {
            Ok(config) => {
                accepted += 1;
                for (section, key, bound) in DURATION_KEYS {
                    let value = loaded(&config, key);
                    assert!(bound.contains(value), "{section}.{key} = {value:?}\n{text}");
                }
                let hb = config.heartbeat;
                assert!((1..=100).contains(&hb.fail_after), "{text}");
                assert!((1..=100).contains(&hb.recover_after), "{text}");
                for (key, value) in written.iter().filter(|(k, _)| !k.ends_with("after")) {
                    assert_eq!(parse_duration(value).ok(), Some(loaded(&config, key)));
                }
            }
            Err(ConfigErrors::Invalid(problems)) => {
                refused += 1;
                assert!(!problems.is_empty(), "round {round}");
                for p in &problems {
                    assert!(
                        p.line > 0 && !p.key.is_empty(),
                        "round {round}: {p}\n{text}"
                    );
                    assert!(
                        written.iter().any(|(k, _)| p.key.ends_with(k)),
                        "{p}\n{text}"
                    );
                }
            }
            Err(other) => panic!("round {round}: {other}\n{text}"),
        }
    }
    // Both outcomes must really be exercised, or the walk proves nothing.
    assert!(accepted > 100 && refused > 100, "{accepted} / {refused}");
}

#[test]
fn random_files_through_the_binary_exit_0_or_2() {
    let mut rng = Rng(0x0c0c_0a11);
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..24 {
        let (text, _) = generated(&mut rng);
        let expected = match config::parse_str(&text, Path::new("x.toml")) {
            Ok(_) => 0,
            Err(_) => 2,
        };
        let (code, out) = check_config(&text);
        assert_eq!(code, expected, "{out}\n{text}");
        assert!(!out.contains("panicked"), "{out}");
        codes.insert(code);
    }
    assert_eq!(codes.len(), 2, "both exits seen: {codes:?}");
}

#[test]
fn an_emulator_speed_out_of_range_is_a_usage_error() {
    for speed in ["0", "1e-300", "NaN", "-4", "1e9"] {
        let out = Command::new(BATON)
            .args(["demo", &format!("--speed={speed}")])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--speed {speed}: {err}");
        assert!(
            err.contains("expected a speed factor between 0.01 and 1000"),
            "--speed {speed}: {err}"
        );
    }
}
