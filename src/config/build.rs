//! Reads the `[azure]`, `[heartbeat]` and `[failover]` sections into typed values, applying the
//! documented defaults and reporting every problem through [`Ctx`]. Roles live in `roles`.

use super::bounds::{self, DurationBound};
use super::duration::format_duration;
use super::reader::{closest, Ctx, Field, Section};
use super::types::{
    AzureConfig, CredentialKind, FailoverConfig, HeartbeatConfig, StepTimeouts,
    DEFAULT_ARM_ENDPOINT,
};
use crate::core::budget::{DEFAULT_SHARE_PERCENT, SHARE_PERCENT_RANGE};
use std::time::Duration;
use url::Url;

/// Top-level keys.
pub(crate) const TOP_KEYS: [&str; 7] = [
    "azure",
    "heartbeat",
    "failover",
    "roles",
    "ui",
    "keys",
    "coordination",
];
const AZURE_KEYS: [&str; 7] = [
    "subscription_id",
    "endpoint",
    "credential",
    "static_token",
    "resource_group",
    "refresh_interval",
    "budget_share",
];
const HEARTBEAT_KEYS: [&str; 4] = ["interval", "timeout", "fail_after", "recover_after"];
const FAILOVER_KEYS: [&str; 3] = ["rto_target", "drill_hold", "timeouts"];
const STEP_KEYS: [&str; 8] = [
    "isolate", "fence", "detach", "release", "attach", "start", "verify", "expose",
];

/// An optional table: absent is fine (all defaults), present must be a table.
pub(crate) fn optional_section<'a>(
    ctx: &mut Ctx,
    parent: &Section<'a>,
    key: &str,
) -> Option<Section<'a>> {
    parent.get(ctx, key)?.section(ctx)
}

/// An optional duration within `bound`, with a default; `None` only when written and invalid.
fn duration_or(
    ctx: &mut Ctx,
    section: Option<&Section>,
    key: &str,
    (default, bound): (Duration, DurationBound),
) -> Option<Duration> {
    match section.and_then(|s| s.get(ctx, key)) {
        Some(field) => field.duration_in(ctx, &bound),
        None => Some(default),
    }
}

/// `[azure]`; required because `subscription_id` is.
pub(crate) fn azure(ctx: &mut Ctx, root: &Section) -> Option<AzureConfig> {
    let Some(field) = root.get(ctx, "azure") else {
        root.missing(
            ctx,
            "azure",
            "missing: an [azure] table with subscription_id is required",
        );
        return None;
    };
    let section = field.section(ctx)?;
    section.deny_unknown(ctx, &AZURE_KEYS);
    let subscription_id = section
        .require(ctx, "subscription_id")
        .and_then(|f| subscription_id(ctx, &f));
    let endpoint = match section.get(ctx, "endpoint") {
        Some(field) => arm_endpoint(ctx, &field),
        None => Url::parse(DEFAULT_ARM_ENDPOINT).ok(),
    };
    let credential = match section.get(ctx, "credential") {
        Some(field) => credential(ctx, &field),
        None => Some(CredentialKind::Default),
    };
    let static_token = static_token(ctx, &section, credential);
    let resource_group = match section.get(ctx, "resource_group") {
        Some(field) => Some(field.non_empty_str(ctx).map(str::to_string)),
        None => Some(None),
    };
    let refresh_interval = duration_or(
        ctx,
        Some(&section),
        "refresh_interval",
        (Duration::from_secs(15), bounds::REFRESH_INTERVAL),
    );
    let (low, high) = SHARE_PERCENT_RANGE;
    let budget_share = match section.get(ctx, "budget_share") {
        Some(field) => field
            .int_in(ctx, i64::from(low), i64::from(high))
            .and_then(|p| u8::try_from(p).ok()),
        None => Some(DEFAULT_SHARE_PERCENT),
    };
    Some(AzureConfig {
        subscription_id: subscription_id?,
        endpoint: endpoint?,
        credential: credential?,
        static_token: static_token?,
        resource_group: resource_group?,
        refresh_interval: refresh_interval?,
        budget_share_percent: budget_share?,
    })
}

fn subscription_id(ctx: &mut Ctx, field: &Field) -> Option<String> {
    let text = field.str(ctx)?;
    if is_guid(text) {
        Some(text.to_string())
    } else {
        field.report(
            ctx,
            "not a subscription id: expected a GUID like 00000000-0000-0000-0000-000000000000",
        );
        None
    }
}

/// The hyphenated 8-4-4-4-12 hex form Azure uses for subscription ids.
pub(crate) fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn arm_endpoint(ctx: &mut Ctx, field: &Field) -> Option<Url> {
    let text = field.str(ctx)?;
    match Url::parse(text) {
        Ok(url) => match endpoint_problem(&url) {
            None => Some(url),
            Some(problem) if url.password().is_some() => {
                // The value as written holds a password: quote the URL without it.
                let mut shown = url.clone();
                let _ = shown.set_password(Some("REDACTED"));
                let shown = format!("\"{}\"", shown.as_str());
                ctx.report(field.at, &field.path, Some(&shown), problem);
                None
            }
            Some(problem) => {
                field.report(ctx, problem);
                None
            }
        },
        Err(e) => {
            field.report(ctx, format!("not a valid URL: {e}"));
            None
        }
    }
}

/// Why an ARM endpoint is not trusted with a bearer token, if it is not: plain http would send
/// the token in clear text (fine only to this machine), and userinfo, query or fragment have no
/// meaning for ARM while a password in the URL would show in every error line and journal.
pub(crate) fn endpoint_problem(url: &Url) -> Option<&'static str> {
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Some("not an https URL with a host"),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Some("must be https (http is allowed only to a loopback host: the token would travel in clear text)"),
        _ => return Some("not an https URL with a host"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("must not contain a user name or password");
    }
    if url.query().is_some() {
        return Some("must not contain a query (`?…`)");
    }
    if url.fragment().is_some() {
        return Some("must not contain a fragment (`#…`)");
    }
    None
}

fn credential(ctx: &mut Ctx, field: &Field) -> Option<CredentialKind> {
    let text = field.str(ctx)?;
    if let Some(kind) = CredentialKind::from_config(text) {
        return Some(kind);
    }
    let names: Vec<&str> = CredentialKind::ALL.iter().map(|k| k.as_str()).collect();
    let message = match closest(text, &names) {
        Some(best) => format!("unknown credential; did you mean `{best}`?"),
        None => format!("unknown credential; expected one of: {}", names.join(", ")),
    };
    field.report(ctx, message);
    None
}

/// `static_token` is required with, and forbidden without, `credential = "static-token"`.
/// `None` means a problem was reported.
fn static_token(
    ctx: &mut Ctx,
    section: &Section,
    kind: Option<CredentialKind>,
) -> Option<Option<String>> {
    let field = section.get(ctx, "static_token");
    match (kind, field) {
        (Some(CredentialKind::StaticToken), None) => {
            section.missing(
                ctx,
                "static_token",
                "missing: required with credential = \"static-token\"",
            );
            None
        }
        (Some(CredentialKind::StaticToken), Some(f)) => {
            let token = f.non_empty_str(ctx)?;
            if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                f.report(
                    ctx,
                    "must not contain spaces, line breaks or control characters (a bearer token is one word)",
                );
                return None;
            }
            Some(Some(token.to_string()))
        }
        (Some(_), Some(f)) => {
            f.report(ctx, "only allowed with credential = \"static-token\"");
            None
        }
        // Unknown credential was already reported; don't pile a second problem on it.
        (None, _) | (Some(_), None) => Some(None),
    }
}

/// `[heartbeat]`, all keys defaulted.
pub(crate) fn heartbeat(ctx: &mut Ctx, root: &Section) -> Option<HeartbeatConfig> {
    let defaults = HeartbeatConfig::default();
    let section = optional_section(ctx, root, "heartbeat");
    if let Some(s) = &section {
        s.deny_unknown(ctx, &HEARTBEAT_KEYS);
    }
    let interval = (defaults.interval, bounds::PROBE_INTERVAL);
    let interval = duration_or(ctx, section.as_ref(), "interval", interval);
    let timeout = (defaults.timeout, bounds::PROBE_TIMEOUT);
    let timeout = duration_or(ctx, section.as_ref(), "timeout", timeout);
    let count = |ctx: &mut Ctx, key: &str, default: u32| match section
        .as_ref()
        .and_then(|s| s.get(ctx, key))
    {
        Some(field) => field
            .int_in(ctx, bounds::PROBE_COUNT.0, bounds::PROBE_COUNT.1)
            .and_then(|n| u32::try_from(n).ok()),
        None => Some(default),
    };
    let fail_after = count(ctx, "fail_after", defaults.fail_after);
    let recover_after = count(ctx, "recover_after", defaults.recover_after);
    let (interval, timeout) = (interval?, timeout?);
    if timeout >= interval {
        timeout_not_shorter(ctx, section.as_ref(), interval, timeout);
        return None;
    }
    Some(HeartbeatConfig {
        interval,
        timeout,
        fail_after: fail_after?,
        recover_after: recover_after?,
    })
}

/// Blames `timeout` when it is written, else `interval` (the default timeout is fixed).
fn timeout_not_shorter(
    ctx: &mut Ctx,
    section: Option<&Section>,
    interval: Duration,
    timeout: Duration,
) {
    let written = |ctx: &Ctx, key| section.and_then(|s| s.get(ctx, key));
    if let Some(field) = written(ctx, "timeout") {
        let message = format!(
            "must be shorter than heartbeat.interval ({})",
            format_duration(interval)
        );
        field.report(ctx, message);
    } else if let Some(field) = written(ctx, "interval") {
        let message = format!(
            "must be longer than heartbeat.timeout ({}, the default)",
            format_duration(timeout)
        );
        field.report(ctx, message);
    }
}

/// `[failover]` and `[failover.timeouts]`, all keys defaulted.
pub(crate) fn failover(ctx: &mut Ctx, root: &Section) -> Option<FailoverConfig> {
    let defaults = FailoverConfig::default();
    let section = optional_section(ctx, root, "failover");
    if let Some(s) = &section {
        s.deny_unknown(ctx, &FAILOVER_KEYS);
    }
    let rto_target = (defaults.rto_target, bounds::RTO_TARGET);
    let rto_target = duration_or(ctx, section.as_ref(), "rto_target", rto_target);
    let drill_hold = (defaults.drill_hold, bounds::DRILL_HOLD);
    let drill_hold = duration_or(ctx, section.as_ref(), "drill_hold", drill_hold);
    let timeouts = section
        .as_ref()
        .and_then(|s| optional_section(ctx, s, "timeouts"));
    if let Some(t) = &timeouts {
        t.deny_unknown(ctx, &STEP_KEYS);
    }
    let d = defaults.timeouts;
    let mut step = |key: &str, default: Duration| {
        duration_or(ctx, timeouts.as_ref(), key, (default, bounds::STEP_TIMEOUT))
    };
    let steps = [
        step("isolate", d.isolate),
        step("fence", d.fence),
        step("detach", d.detach),
        step("release", d.release),
        step("attach", d.attach),
        step("start", d.start),
        step("verify", d.verify),
        step("expose", d.expose),
    ];
    let [isolate, fence, detach, release, attach, start, verify, expose] = steps;
    Some(FailoverConfig {
        rto_target: rto_target?,
        drill_hold: drill_hold?,
        timeouts: StepTimeouts {
            isolate: isolate?,
            fence: fence?,
            detach: detach?,
            release: release?,
            attach: attach?,
            start: start?,
            verify: verify?,
            expose: expose?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::is_guid;

    #[test]
    fn guid_shape() {
        assert!(is_guid("00000000-0000-0000-0000-000000000000"));
        assert!(is_guid("3F2504E0-4F89-11D3-9A0C-0305E82C3301"));
        assert!(!is_guid("3F2504E04F8911D39A0C0305E82C3301"));
        assert!(!is_guid("{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"));
        assert!(!is_guid("3F2504E0-4F89-11D3-9A0C-0305E82C330"));
        assert!(!is_guid("3F2504E0-4F89-11D3-9A0C-0305E82C330g"));
        assert!(!is_guid(""));
    }
}
