//! What Azure refuses at attach, sent through baton's adapter behind baton's planning: a zonal
//! disk to a VM in another zone or in an availability set, more data disks than the VM size
//! takes, host caching on an Ultra disk. Code, status and message as Azure answers them.

mod azure_support;

use azure_support::{arm, requests};
use baton::emulator::{self, EmulatorOptions, Scenario};
use serde_json::json;

const WORLD: &str = r#"subscription_id = "11111111-2222-3333-4444-555555555555"
location = "westeurope"
resource_groups = ["rg"]

[[load_balancers]]
name = "lb"
resource_group = "rg"
nat_rules = [
    { name = "x-app", frontend_port = 1, backend_port = 2 },
    { name = "y-app", frontend_port = 3, backend_port = 4 },
    { name = "w-app", frontend_port = 5, backend_port = 6 },
]

# Two data-disk slots, in an availability set, both taken.
[[roles]]
name = "x"
resource_group = "rg"
vms = ["x-a"]
vm_size = "Standard_B1s"
availability_set = "avs-x"
disks = [{ name = "x-1", lun = 0 }, { name = "x-2", lun = 1 }]
start_command = "a"
stop_command = "b"
endpoint = { load_balancer = "lb", nat_rule = "x-app" }

# Zonal, no master: its LRS disks are free and pinned to zone 1 (the first VM's).
[[roles]]
name = "y"
resource_group = "rg"
vms = ["y-a", "y-b"]
zones = ["1", "2"]
master = ""
disks = [{ name = "y-data", lun = 0 }, { name = "y-ultra", lun = 1, sku = "UltraSSD_LRS" }]
start_command = "a"
stop_command = "b"
endpoint = { load_balancer = "lb", nat_rule = "y-app" }

# Regional, no master: a free disk with no zone.
[[roles]]
name = "w"
resource_group = "rg"
vms = ["w-a"]
master = ""
disks = [{ name = "w-data", lun = 0 }]
start_command = "a"
stop_command = "b"
endpoint = { load_balancer = "lb", nat_rule = "w-app" }
"#;

async fn start() -> emulator::EmulatorHandle {
    let scenario = Scenario::from_toml_str(WORLD, "refusals.toml").expect("scenario");
    emulator::start(EmulatorOptions {
        scenario,
        ..EmulatorOptions::local(200.0)
    })
    .await
    .expect("emulator starts")
}

fn disk_id(emu: &emulator::EmulatorHandle, disk: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Compute/disks/{disk}",
        emu.subscription_id()
    )
}

#[tokio::test]
async fn attach_refusals_reach_the_adapter_with_azures_code_and_message() {
    let emu = start().await;
    let client = arm(&emu);

    let e = client
        .attach_disks("rg", "y-b", &[("y-data", 0)])
        .await
        .expect_err("cross-zone attach refused");
    assert_eq!((e.status(), e.code()), (Some(400), Some("BadRequest")));
    let want = format!(
        "Disk {} cannot be attached to the VM because it is not in the same zone as the VM. VM zone: '2'. Disk zone: '1'.",
        disk_id(&emu, "y-data")
    );
    assert!(e.to_string().contains(&want), "{e}");

    let e = client
        .attach_disks("rg", "x-a", &[("y-data", 2)])
        .await
        .expect_err("zonal disk on an availability-set VM refused");
    assert_eq!((e.status(), e.code()), (Some(400), Some("BadRequest")));
    assert!(e.to_string().contains("availability set 'avs-x'"), "{e}");

    let e = client
        .attach_disks("rg", "x-a", &[("w-data", 2)])
        .await
        .expect_err("third disk on a two-slot size refused");
    assert_eq!(
        (e.status(), e.code()),
        (Some(409), Some("OperationNotAllowed"))
    );
    assert!(
        e.to_string().contains(
            "The maximum number of data disks allowed to be attached to a VM of this size is 2."
        ),
        "{e}"
    );

    // Nothing was changed by any of them, and the same-zone attach goes through.
    let log = requests(&emu).await;
    let writes = log.iter().filter(|r| r["method"] != "GET").count();
    assert_eq!(writes, 3, "{log:?}");
    client
        .attach_disks("rg", "y-a", &[("y-data", 0)])
        .await
        .expect("same-zone attach");
    emu.shutdown().await;
}

#[tokio::test]
async fn host_caching_on_an_ultra_disk_is_refused() {
    let emu = start().await;
    let url = format!(
        "{}subscriptions/{}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/y-a/attachDetachDataDisks?api-version=2024-07-01",
        emu.base_url(),
        emu.subscription_id()
    );
    let body = json!({"dataDisksToAttach": [
        {"diskId": disk_id(&emu, "y-ultra"), "lun": 1, "caching": "ReadOnly"}]});
    let resp = reqwest::Client::new()
        .post(&url)
        .bearer_auth(emu.token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "InvalidParameter");
    assert!(err["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("UltraSSD_LRS")));
    emu.shutdown().await;
}
