//! Sizing the probe client's connection pool from the probes it will serve.
//!
//! It owns only the arithmetic over probe targets; it must not open connections.

use super::engine::ProbeSpec;
use super::once::{http_client_with_idle, IDLE_PER_HOST};
use crate::config::ProbeTarget;
use std::collections::HashMap;

/// The largest number of HTTP probes that share one pool key (scheme, host, port). TCP probes
/// open their own connection and do not count.
pub fn max_probes_per_host(specs: &[ProbeSpec]) -> usize {
    let mut per_host: HashMap<(&str, Option<&str>, Option<u16>), usize> = HashMap::new();
    for spec in specs {
        if let ProbeTarget::Http(url) = &spec.target {
            let key = (url.scheme(), url.host_str(), url.port_or_known_default());
            *per_host.entry(key).or_default() += 1;
        }
    }
    per_host.values().copied().max().unwrap_or(0)
}

/// The probe engine's client: keeps as many idle connections per host as probes share that
/// host, and never fewer than [`IDLE_PER_HOST`]. A real fleet has one host per VM (two probes),
/// so this is the default there; an emulator serving every VM on one address gets one
/// kept-alive connection per probe instead of a new TCP connection per check. The engine's
/// plain `http://` probes use their own connections ([`crate::probe::HttpProbe`]); this pool
/// serves the rest (`https://`, credentials).
pub fn http_client_for(specs: &[ProbeSpec]) -> reqwest::Client {
    http_client_with_idle(max_probes_per_host(specs).max(IDLE_PER_HOST))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::ProbeKind;

    fn http(vm: &str, url: &str) -> ProbeSpec {
        ProbeSpec {
            vm: vm.into(),
            kind: ProbeKind::Vm,
            target: ProbeTarget::Http(url::Url::parse(url).expect("url")),
        }
    }

    #[test]
    fn counts_probes_sharing_scheme_host_and_port() {
        let specs = vec![
            http("a", "http://127.0.0.1:9000/_vm/a/ping"),
            http("b", "http://127.0.0.1:9000/_vm/b/ping"),
            http("c", "http://127.0.0.1:9000/_vm/c/health"),
            http("d", "http://127.0.0.1:9001/_vm/d/ping"),
            http("e", "https://127.0.0.1:9000/x"),
            ProbeSpec {
                vm: "f".into(),
                kind: ProbeKind::Service,
                target: ProbeTarget::Tcp {
                    host: "127.0.0.1".into(),
                    port: 9000,
                },
            },
        ];
        assert_eq!(max_probes_per_host(&specs), 3);
    }

    #[test]
    fn default_ports_are_the_same_host() {
        let specs = vec![
            http("a", "http://10.0.0.4/ping"),
            http("a", "http://10.0.0.4:80/health"),
            http("b", "http://10.0.0.5/ping"),
        ];
        assert_eq!(max_probes_per_host(&specs), 2);
        assert_eq!(max_probes_per_host(&[]), 0);
    }
}
