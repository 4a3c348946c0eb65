//! Shared helpers for the emulator integration tests: start an emulator, call it with raw
//! reqwest, poll operations with bounded loops.
#![allow(dead_code)]

use baton::emulator::{start, EmulatorHandle, EmulatorOptions, Scenario};
use serde_json::Value;
use std::time::Duration;

pub const RG: &str = "rg-contoso";

pub struct Env {
    pub emu: EmulatorHandle,
    pub http: reqwest::Client,
}

impl Env {
    pub async fn start(speed: f64) -> Env {
        Env::with(Scenario::contoso(), speed).await
    }

    pub async fn with(scenario: Scenario, speed: f64) -> Env {
        let mut opts = EmulatorOptions::local(speed);
        opts.scenario = scenario;
        let emu = start(opts).await.expect("emulator starts");
        Env {
            emu,
            http: reqwest::Client::new(),
        }
    }

    /// Absolute URL for a path under the base (no leading slash), api-version appended.
    pub fn url(&self, path: &str, api: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}api-version={api}", self.emu.base_url())
    }

    /// `/subscriptions/{s}/resourceGroups/rg-contoso/providers/{rest}` with api-version.
    pub fn rg(&self, rest: &str) -> String {
        let api = if rest.starts_with("Microsoft.Network") {
            "2024-03-01"
        } else {
            "2024-07-01"
        };
        self.url(
            &format!(
                "subscriptions/{}/resourceGroups/{RG}/providers/{rest}",
                self.emu.subscription_id()
            ),
            api,
        )
    }

    pub fn vm(&self, name: &str) -> String {
        self.rg(&format!("Microsoft.Compute/virtualMachines/{name}"))
    }

    pub fn vm_action(&self, name: &str, action: &str) -> String {
        self.rg(&format!(
            "Microsoft.Compute/virtualMachines/{name}/{action}"
        ))
    }

    pub fn disk(&self, name: &str) -> String {
        self.rg(&format!("Microsoft.Compute/disks/{name}"))
    }

    pub fn nic(&self, name: &str) -> String {
        self.rg(&format!("Microsoft.Network/networkInterfaces/{name}"))
    }

    pub fn lb(&self) -> String {
        self.rg("Microsoft.Network/loadBalancers/lb-contoso")
    }

    pub fn disk_id(&self, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.Compute/disks/{name}",
            self.emu.subscription_id()
        )
    }

    pub fn nat_rule_id(&self, rule: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.Network/loadBalancers/lb-contoso/inboundNatRules/{rule}",
            self.emu.subscription_id()
        )
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http
            .get(url)
            .bearer_auth(self.emu.token())
            .send()
            .await
            .expect("GET answers")
    }

    pub async fn get_json(&self, url: &str) -> Value {
        let resp = self.get(url).await;
        assert_eq!(resp.status(), 200, "GET {url}");
        resp.json().await.expect("json")
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, url).bearer_auth(self.emu.token());
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request answers")
    }

    pub async fn post(&self, url: &str, body: Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, url, Some(body)).await
    }

    pub async fn control(&self, path: &str) -> Value {
        let url = format!("{}_emulator/{path}", self.emu.base_url());
        self.http
            .get(url)
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("json")
    }

    pub async fn control_post(&self, path: &str, body: Value) -> reqwest::Response {
        let url = format!("{}_emulator/{path}", self.emu.base_url());
        self.http
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("control")
    }

    pub async fn state(&self) -> Value {
        self.control("state").await
    }

    /// Poll an Azure-AsyncOperation URL until it is no longer InProgress.
    pub async fn wait_op(&self, url: &str) -> Value {
        for _ in 0..4000 {
            let body = self.get_json(url).await;
            if body["status"] != "InProgress" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("operation {url} never finished");
    }

    /// Poll the state until `pred` holds.
    pub async fn wait_state(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..4000 {
            let st = self.state().await;
            if pred(&st) {
                return st;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("state never reached: {what}");
    }
}

pub fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("{name} not in {list}"))
}
