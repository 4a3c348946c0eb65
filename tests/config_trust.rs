//! What the config trusts: the ARM endpoint (https unless loopback, no userinfo, query or
//! fragment, a password never quoted back), role and VM names (what Azure allows for VM
//! names, control characters located), and a static token (one word).

use baton::config::{self, ConfigErrors};
use std::path::Path;

/// A valid file with `azure` lines added to `[azure]` and the role's name and VMs replaced.
fn text(azure: &str, role: &str, vms: &str) -> String {
    format!(
        "[azure]\nsubscription_id = \"00000000-0000-0000-0000-000000000000\"\n\
         resource_group = \"rg\"\n{azure}\n\
         [[roles]]\nname = {role}\nvms = {vms}\nstart_command = \"start\"\n\
         stop_command = \"stop\"\nendpoint = {{ load_balancer = \"lb\", nat_rule = \"web\" }}\n\
         probes = {{ vm = \"tcp://{{vm}}:22\", service = \"tcp://{{vm}}:80\" }}\n"
    )
}

fn valid(azure: &str) -> String {
    text(azure, "\"web\"", "[\"web-a\", \"web-b\"]")
}

/// The problems of a file that must be refused, as `line:col: key = value: message`.
fn problems(text: &str) -> Vec<String> {
    match config::parse_str(text, Path::new("c.toml")) {
        Ok(_) => panic!("should be refused:\n{text}"),
        Err(ConfigErrors::Invalid(problems)) => problems
            .iter()
            .map(|p| p.to_string().trim_start_matches("c.toml:").to_string())
            .collect(),
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn plain_http_is_refused_unless_the_host_is_loopback() {
    assert_eq!(
        problems(&valid("endpoint = \"http://arm.example.com\"")),
        ["4:12: azure.endpoint = \"http://arm.example.com\": must be https (http is allowed only to a loopback host: the token would travel in clear text)"]
    );
    for ok in [
        "https://management.azure.com",
        "https://management.usgovcloudapi.net/",
        "http://127.0.0.1:8080/",
        "http://127.1.2.3:8080",
        "http://localhost:9000",
        "http://[::1]:9000/",
    ] {
        let config = config::parse_str(&valid(&format!("endpoint = \"{ok}\"")), Path::new("c"))
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(
            config.azure.endpoint.host_str(),
            url::Url::parse(ok).unwrap().host_str()
        );
    }
}

#[test]
fn userinfo_query_and_fragment_are_refused_and_a_password_is_not_quoted() {
    let cases = [
        (
            "https://ops:hunter2@arm.example.com/",
            "4:12: azure.endpoint = \"https://ops:REDACTED@arm.example.com/\": must not contain a user name or password",
        ),
        (
            "https://ops@arm.example.com/",
            "4:12: azure.endpoint = \"https://ops@arm.example.com/\": must not contain a user name or password",
        ),
        (
            "https://arm.example.com/?x=1",
            "4:12: azure.endpoint = \"https://arm.example.com/?x=1\": must not contain a query (`?…`)",
        ),
        (
            "https://arm.example.com/#top",
            "4:12: azure.endpoint = \"https://arm.example.com/#top\": must not contain a fragment (`#…`)",
        ),
        (
            "ftp://arm.example.com/",
            "4:12: azure.endpoint = \"ftp://arm.example.com/\": not an https URL with a host",
        ),
    ];
    for (url, expected) in cases {
        let found = problems(&valid(&format!("endpoint = \"{url}\"")));
        assert_eq!(found, [expected], "{url}");
        assert!(!found.join("\n").contains("hunter2"));
    }
}

#[test]
fn role_and_vm_names_are_azure_vm_names() {
    assert_eq!(
        problems(&text("", "\"web a\"", "[\"web-a\", \"web-b\"]")),
        ["6:8: roles[0].name = \"web a\": may contain only letters, digits, `-`, `_` and `.`, as Azure VM names (found ' ')"]
    );
    assert_eq!(
        problems(&text("", "\"web\"", "[\"web-a\", \"web/b\"]")),
        ["7:17: roles[0].vms[1] = \"web/b\": may contain only letters, digits, `-`, `_` and `.`, as Azure VM names (found '/')"]
    );
    let long = "v".repeat(65);
    assert_eq!(
        problems(&text("", "\"web\"", &format!("[\"web-a\", \"{long}\"]"))),
        // The quoted value is cut at 60 characters, as every long value is.
        [format!(
            "7:17: roles[0].vms[1] = \"{}…: longer than 64 characters",
            &long[..59]
        )]
    );
    let ok = text("", "\"web_a.1\"", "[\"Web-A\", \"web_b.2\"]");
    let config = config::parse_str(&ok, Path::new("c")).expect("allowed characters");
    assert_eq!(config.roles[0].name(), "web_a.1");
}

#[test]
fn control_characters_are_located_and_never_printed_raw() {
    let found = problems(&text("", "\"web\\u0007\"", "[\"web-a\", \"web\\u001bb\"]"));
    assert_eq!(
        found,
        [
            "6:8: roles[0].name = \"web\\u0007\": must not contain control characters (found '\\u{7}')",
            "7:17: roles[0].vms[1] = \"web\\u001bb\": must not contain control characters (found '\\u{1b}')",
        ]
    );
    assert!(found.iter().all(|p| !p.chars().any(char::is_control)));
}

#[test]
fn names_differing_only_in_case_collide() {
    let two = format!(
        "{}\n[[roles]]\nname = \"WEB\"\nvms = [\"db-a\", \"db-b\"]\nstart_command = \"s\"\n\
         stop_command = \"s\"\nendpoint = {{ load_balancer = \"lb\", nat_rule = \"db\" }}\n\
         probes = {{ vm = \"tcp://{{vm}}:22\", service = \"tcp://{{vm}}:80\" }}\n",
        valid("")
    );
    assert_eq!(
        problems(&two),
        ["14:8: roles[1].name = \"WEB\": duplicate role name (also roles[0].name)"]
    );
}

#[test]
fn a_static_token_with_whitespace_is_refused_without_being_printed() {
    for token in ["abc\\ndef", "abc def", "abc\\t", " abc"] {
        let azure = format!("credential = \"static-token\"\nstatic_token = \"{token}\"");
        assert_eq!(
            problems(&valid(&azure)),
            ["5:16: azure.static_token = \"<redacted>\": must not contain spaces, line breaks or control characters (a bearer token is one word)"],
            "{token}"
        );
    }
    let azure = "credential = \"static-token\"\nstatic_token = \"baton-emulator\"";
    assert!(config::parse_str(&valid(azure), Path::new("c")).is_ok());
}
