//! Heartbeat probe templates (`tcp://{vm}.contoso.internal:22`,
//! `http://{vm}:8080/healthz`) and the concrete targets they render to.
//!
//! Owns the template grammar: schemes `http://` and `tcp://` only, placeholders `{vm}` and
//! `{role}` only, a tcp target is `host:port` and nothing else. Does not probe anything.

use std::fmt;
use url::Url;

/// Names used to check a template's shape independently of any real VM or role.
const SAMPLE_VM: &str = "vm";
const SAMPLE_ROLE: &str = "role";

/// A validated probe URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTemplate {
    raw: String,
    /// The template rendered with sample names; returned by [`ProbeTemplate::render`] in the
    /// impossible-by-validation case where real names do not yield a valid target.
    fallback: ProbeTarget,
}

/// Where one probe goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProbeTarget {
    /// Healthy when a GET answers 2xx.
    Http(Url),
    /// Healthy when a TCP connection opens.
    Tcp {
        /// Host name or IP address (IPv6 without brackets).
        host: String,
        /// TCP port.
        port: u16,
    },
}

impl fmt::Display for ProbeTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeTarget::Http(url) => f.write_str(url.as_str()),
            ProbeTarget::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            ProbeTarget::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
        }
    }
}

/// Why a template (or a rendering of it) is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The scheme is neither `http://` nor `tcp://`.
    #[error("scheme must be http:// or tcp://")]
    Scheme,
    /// A `{name}` other than `{vm}` or `{role}`.
    #[error("unknown placeholder `{{{0}}}`; only {{vm}} and {{role}} are replaced")]
    UnknownPlaceholder(String),
    /// A `{` without its `}`.
    #[error("unclosed `{{` in template")]
    Unclosed,
    /// A tcp template without `:port`.
    #[error("a tcp:// probe needs a port (tcp://host:port)")]
    TcpWithoutPort,
    /// A tcp template with a path, query or credentials.
    #[error("a tcp:// probe is host:port only, without path, query or user")]
    TcpExtra,
    /// The substituted text is not a valid URL with a host.
    #[error("not a valid URL after substituting {{vm}} = {vm:?}, {{role}} = {role:?}: {reason}")]
    Invalid {
        /// The VM name substituted.
        vm: String,
        /// The role name substituted.
        role: String,
        /// The URL parser's complaint.
        reason: String,
    },
}

impl ProbeTemplate {
    /// Checks a template's scheme, placeholders and shape (rendered with sample names).
    pub fn parse(raw: &str) -> Result<ProbeTemplate, TemplateError> {
        check_scheme(raw)?;
        check_placeholders(raw)?;
        let fallback = target(raw, SAMPLE_VM, SAMPLE_ROLE)?;
        Ok(ProbeTemplate {
            raw: raw.to_string(),
            fallback,
        })
    }

    /// Like [`ProbeTemplate::parse`], and also renders for every VM of the role with the role's
    /// name, so an error names the real VM that breaks the URL.
    pub fn parse_for(raw: &str, vms: &[&str], role: &str) -> Result<ProbeTemplate, TemplateError> {
        check_scheme(raw)?;
        check_placeholders(raw)?;
        for vm in vms {
            target(raw, vm, role)?;
        }
        ProbeTemplate::parse(raw)
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Renders for one VM of one role, reporting an unusable result (the loader calls this for
    /// every VM of the role, so [`ProbeTemplate::render`] never meets an error for them).
    pub fn try_render(&self, vm: &str, role: &str) -> Result<ProbeTarget, TemplateError> {
        target(&self.raw, vm, role)
    }

    /// Renders for one VM of one role. Total: names not validated at load that do not form a
    /// valid target are retried with characters outside `[A-Za-z0-9._-]` replaced by `-`, then
    /// fall back to the sample rendering; use [`ProbeTemplate::try_render`] to see the error.
    pub fn render(&self, vm: &str, role: &str) -> ProbeTarget {
        self.try_render(vm, role)
            .or_else(|_| target(&self.raw, &sanitize(vm), &sanitize(role)))
            .unwrap_or_else(|_| self.fallback.clone())
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn check_scheme(raw: &str) -> Result<(), TemplateError> {
    let lower = raw.trim_start().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("tcp://") {
        Ok(())
    } else {
        Err(TemplateError::Scheme)
    }
}

fn check_placeholders(raw: &str) -> Result<(), TemplateError> {
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(TemplateError::Unclosed)?;
        let name = &after[..close];
        if name != "vm" && name != "role" {
            return Err(TemplateError::UnknownPlaceholder(name.to_string()));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn target(raw: &str, vm: &str, role: &str) -> Result<ProbeTarget, TemplateError> {
    let text = raw.trim().replace("{vm}", vm).replace("{role}", role);
    let invalid = |reason: String| TemplateError::Invalid {
        vm: vm.to_string(),
        role: role.to_string(),
        reason,
    };
    let url = Url::parse(&text).map_err(|e| invalid(e.to_string()))?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(invalid("no host".to_string())),
    };
    if url.scheme() == "http" {
        return Ok(ProbeTarget::Http(url));
    }
    let port = url.port().ok_or(TemplateError::TcpWithoutPort)?;
    let bare = url.path().is_empty() || url.path() == "/";
    if !bare || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(TemplateError::TcpExtra);
    }
    Ok(ProbeTarget::Tcp { host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_tcp_and_http() {
        let tcp = ProbeTemplate::parse("tcp://{vm}.contoso.internal:22").unwrap();
        assert_eq!(
            tcp.render("web-a", "web"),
            ProbeTarget::Tcp {
                host: "web-a.contoso.internal".into(),
                port: 22
            }
        );
        assert_eq!(
            tcp.render("web-a", "web").to_string(),
            "tcp://web-a.contoso.internal:22"
        );
        let http =
            ProbeTemplate::parse("http://{vm}.{role}.internal:8080/healthz?r={role}").unwrap();
        let rendered = http.render("web-b", "web");
        assert_eq!(
            rendered.to_string(),
            "http://web-b.web.internal:8080/healthz?r=web"
        );
        assert!(matches!(rendered, ProbeTarget::Http(_)));
    }

    #[test]
    fn emulator_heartbeat_urls_render() {
        let t = ProbeTemplate::parse("http://127.0.0.1:41234/_vm/{vm}/ping").unwrap();
        assert_eq!(
            t.render("web-a", "web").to_string(),
            "http://127.0.0.1:41234/_vm/web-a/ping"
        );
    }

    #[test]
    fn ipv6_tcp_target_is_bracketed_only_in_display() {
        let t = ProbeTemplate::parse("tcp://[::1]:7000").unwrap();
        let target = t.render("x", "y");
        assert_eq!(
            target,
            ProbeTarget::Tcp {
                host: "::1".into(),
                port: 7000
            }
        );
        assert_eq!(target.to_string(), "tcp://[::1]:7000");
    }

    #[test]
    fn rejects_malformed_templates() {
        let err = |t: &str| ProbeTemplate::parse(t).unwrap_err();
        assert_eq!(err("https://{vm}/"), TemplateError::Scheme);
        assert_eq!(err("{vm}:22"), TemplateError::Scheme);
        assert_eq!(err("tcp://{vm}.internal"), TemplateError::TcpWithoutPort);
        assert_eq!(err("tcp://{vm}:22/x"), TemplateError::TcpExtra);
        assert_eq!(
            err("tcp://{host}:22"),
            TemplateError::UnknownPlaceholder("host".into())
        );
        assert_eq!(err("tcp://{vm:22"), TemplateError::Unclosed);
        assert!(matches!(err("http://:80/"), TemplateError::Invalid { .. }));
        assert!(matches!(err("tcp://h:{vm}"), TemplateError::Invalid { .. }));
    }

    #[test]
    fn parse_for_names_the_vm_that_breaks_the_url() {
        let err = ProbeTemplate::parse_for("http://{vm}:8080/", &["web-a", "web b"], "web");
        let message = err.unwrap_err().to_string();
        assert!(
            message.starts_with(
                "not a valid URL after substituting {vm} = \"web b\", {role} = \"web\": "
            ),
            "{message}"
        );
        assert!(ProbeTemplate::parse_for("tcp://{vm}:22", &["web-a", "web-b"], "web").is_ok());
    }

    #[test]
    fn try_render_reports_names_that_break_the_url() {
        let t = ProbeTemplate::parse("http://{vm}:8080/").unwrap();
        assert!(t.try_render("bad name", "web").is_err());
        assert_eq!(
            t.render("bad name", "web").to_string(),
            "http://bad-name:8080/"
        );
    }
}
