//! `[coordination]`: the default is local; `azure-blob` is read with its defaults; every bad
//! value is a located problem naming line, key and value (what `check-config` prints).

use baton::config::{self, ConfigErrors, Coordination, StorageCredential};
use std::path::Path;
use std::time::Duration;

const BASE: &str = r#"[azure]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg"

[[roles]]
name = "db"
vms = ["db-a", "db-b"]
start_command = "start"
stop_command = "stop"
endpoint = { load_balancer = "lb", nat_rule = "db" }
probes = { vm = "tcp://{vm}:22", service = "tcp://{vm}:80" }
"#;

fn parse(section: &str) -> Result<config::Config, ConfigErrors> {
    config::parse_str(&format!("{BASE}\n{section}"), Path::new("baton.toml"))
}

fn problems(section: &str) -> Vec<String> {
    match parse(section) {
        Ok(_) => panic!("should not load:\n{section}"),
        Err(ConfigErrors::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
        Err(e) => panic!("unexpected: {e}"),
    }
}

#[test]
fn absent_means_local() {
    assert_eq!(parse("").expect("valid").coordination, Coordination::Local);
    let local = parse("[coordination]\nbackend = \"local\"\n").expect("valid");
    assert_eq!(local.coordination, Coordination::Local);
}

#[test]
fn azure_blob_with_defaults() {
    let config = parse(
        "[coordination]\nbackend = \"azure-blob\"\naccount_url = \"https://acct.blob.core.windows.net\"\n",
    )
    .expect("valid");
    let Coordination::AzureBlob(blob) = config.coordination else {
        panic!("azure-blob expected");
    };
    assert_eq!(blob.container, "baton");
    assert_eq!(blob.lease_duration, Duration::from_secs(15));
    assert_eq!(blob.host_id, None);
    assert!(
        matches!(blob.credential, StorageCredential::Azure(k, None) if k.as_str() == "default")
    );
    let emulator = parse(
        "[coordination]\nbackend = \"azure-blob\"\naccount_url = \"http://127.0.0.1:8780/devstoreaccount1\"\ncredential = \"shared-key\"\nkey_env = \"BATON_STORAGE_KEY\"\nlease_duration = \"30s\"\nhost_id = \"jump-2\"\n",
    )
    .expect("valid");
    let Coordination::AzureBlob(blob) = emulator.coordination else {
        panic!("azure-blob expected");
    };
    assert_eq!(
        blob.credential,
        StorageCredential::SharedKey {
            key_env: "BATON_STORAGE_KEY".to_string()
        }
    );
    assert_eq!(
        (blob.lease_duration, blob.host_id.as_deref()),
        (Duration::from_secs(30), Some("jump-2"))
    );
}

#[test]
fn bad_values_name_file_line_key_and_value() {
    let got = problems(
        "[coordination]\nbackend = \"azure-blob\"\naccount_url = \"http://storage.example.com/acct\"\ncontainer = \"Baton_State\"\ncredential = \"shared-key\"\nlease_duration = \"90s\"\nhost_id = \"jump 2\"\n",
    );
    let expected = [
        "baton.toml:13:1: coordination.key_env: missing: required with credential = \"shared-key\" (the name of the environment variable holding the account key)",
        "baton.toml:15:15: coordination.account_url = \"http://storage.example.com/acct\": must be https (http is allowed only to a loopback host: the token would travel in clear text)",
        "baton.toml:16:13: coordination.container = \"Baton_State\": not a container name: 3 to 63 lower-case letters, digits and single dashes, starting and ending with a letter or digit",
        "baton.toml:18:18: coordination.lease_duration = \"90s\": out of range: must be between 15s and 1m",
        "baton.toml:19:11: coordination.host_id = \"jump 2\": must be printable ASCII without spaces",
    ];
    assert_eq!(got, expected);
}

#[test]
fn backend_typos_and_blob_keys_under_local_are_refused() {
    assert_eq!(
        problems("[coordination]\nbackend = \"azure-blobs\"\n"),
        ["baton.toml:14:11: coordination.backend = \"azure-blobs\": unknown backend; did you mean `azure-blob`?"]
    );
    assert_eq!(
        problems("[coordination]\ncontainer = \"baton\"\n"),
        ["baton.toml:14:13: coordination.container = \"baton\": only allowed with backend = \"azure-blob\""]
    );
    assert_eq!(
        problems("[coordination]\nbackend = \"azure-blob\"\n"),
        ["baton.toml:13:1: coordination.account_url: missing required key"]
    );
}
