//! Load-balancing rules and health probes of a scenario's load balancer: what feeds a backend
//! pool and what gates it (a rule naming a probe sends a member traffic only once it answers
//! the probe). Plain data, checked against the load balancer's pools and probes.

use serde::{Deserialize, Serialize};
use std::ops::Range;
use toml::Spanned;

use crate::emulator::EmulatorError;

/// A health probe of a load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeDef {
    /// Probe name.
    pub name: String,
    /// `Http`, `Https` or `Tcp`, as Azure spells it.
    #[serde(default = "default_probe_protocol")]
    pub protocol: String,
    /// Port probed on each member.
    pub port: u16,
    /// Path of an `Http`/`Https` probe.
    #[serde(default)]
    pub request_path: Option<String>,
}

fn default_probe_protocol() -> String {
    "Tcp".to_string()
}

/// A load-balancing rule: frontend port to backend port on every member of one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LbRuleDef {
    /// Rule name.
    pub name: String,
    /// The backend pool it feeds.
    pub backend_pool: String,
    /// The health probe that gates it (none: every member gets traffic at once).
    #[serde(default)]
    pub probe: Option<String>,
    /// Port on the load balancer's frontend.
    pub frontend_port: u16,
    /// Port on the members.
    pub backend_port: u16,
}

/// A probe as read from a scenario file, with where each checked value stands.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProbe {
    name: String,
    #[serde(default)]
    protocol: Option<Spanned<String>>,
    port: u16,
    #[serde(default)]
    request_path: Option<Spanned<String>>,
}

/// A load-balancing rule as read from a scenario file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLbRule {
    name: String,
    backend_pool: Spanned<String>,
    #[serde(default)]
    probe: Option<Spanned<String>>,
    frontend_port: u16,
    backend_port: u16,
}

/// A scenario error at a span, under a key: the file's `Ctx::err`.
pub(super) type ErrAt<'a> = &'a dyn Fn(Range<usize>, &str, &str) -> EmulatorError;

/// The probes, each checked as Azure would: `Http`/`Https` need a path, `Tcp` takes none.
/// `key` is the probes' key (`load_balancers[0].probes`).
pub(super) fn probes(
    raw: Vec<Spanned<RawProbe>>,
    key: &str,
    err: ErrAt<'_>,
) -> Result<Vec<ProbeDef>, EmulatorError> {
    let mut out = Vec::new();
    for (j, spanned) in raw.into_iter().enumerate() {
        let span = spanned.span();
        let p = spanned.into_inner();
        let at = |what: &str| format!("{key}[{j}].{what}");
        let protocol = p
            .protocol
            .unwrap_or_else(|| Spanned::new(span.clone(), default_probe_protocol()));
        let http = ["Http", "Https"].contains(&protocol.get_ref().as_str());
        if !http && protocol.get_ref() != "Tcp" {
            return Err(err(
                protocol.span(),
                &at("protocol"),
                "must be Http, Https or Tcp",
            ));
        }
        match (http, &p.request_path) {
            (true, None) => {
                return Err(err(
                    span,
                    &at("request_path"),
                    "an Http or Https probe needs a request_path",
                ));
            }
            (false, Some(path)) => {
                return Err(err(
                    path.span(),
                    &at("request_path"),
                    "a Tcp probe takes no request_path",
                ));
            }
            (true, Some(_)) | (false, None) => {}
        }
        out.push(ProbeDef {
            name: p.name,
            protocol: protocol.into_inner(),
            port: p.port,
            request_path: p.request_path.map(Spanned::into_inner),
        });
    }
    Ok(out)
}

/// The rules, each naming a backend pool and (optionally) a probe of its load balancer.
pub(super) fn rules(
    raw: Vec<RawLbRule>,
    pools: &[String],
    probes: &[ProbeDef],
    key: &str,
    err: ErrAt<'_>,
) -> Result<Vec<LbRuleDef>, EmulatorError> {
    let mut out = Vec::new();
    for (j, r) in raw.into_iter().enumerate() {
        let at = |what: &str| format!("{key}[{j}].{what}");
        if !pools
            .iter()
            .any(|p| p.eq_ignore_ascii_case(r.backend_pool.get_ref()))
        {
            let msg = "no such backend pool in the load balancer's backend_pools";
            return Err(err(r.backend_pool.span(), &at("backend_pool"), msg));
        }
        if let Some(probe) = &r.probe {
            if !probes
                .iter()
                .any(|d| d.name.eq_ignore_ascii_case(probe.get_ref()))
            {
                let msg = "no such probe in the load balancer's probes";
                return Err(err(probe.span(), &at("probe"), msg));
            }
        }
        out.push(LbRuleDef {
            name: r.name,
            backend_pool: r.backend_pool.into_inner(),
            probe: r.probe.map(Spanned::into_inner),
            frontend_port: r.frontend_port,
            backend_port: r.backend_port,
        });
    }
    Ok(out)
}
