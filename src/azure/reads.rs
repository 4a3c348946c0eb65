//! The reads of [`ReadClient`]: VMs, disks, NICs and load balancers as `core::model` facts,
//! through the crates' typed models, each call retried by the client's [`RetryPolicy`]. Also
//! the typed model reads the writes need (VM model), the raw NIC a read-modify-write sends back,
//! and the VM size limits of a region (read once per client). It must not write.
//!
//! [`RetryPolicy`]: crate::azure::RetryPolicy

use crate::azure::capture;
use crate::azure::client::ReadClient;
use crate::azure::error::ArmError;
use crate::azure::parse::{self, PowerMap, ProvisioningMap};
use crate::core::model::{DiskFacts, LoadBalancerFacts, NicFacts, VmFacts};
use azure_mgmt_compute::package_2024_07_01::models::{Disk, VirtualMachine};
use azure_mgmt_network::package_2024_03::models::{LoadBalancer, NetworkInterface};
use futures::StreamExt;
use std::collections::HashMap;
use std::future::Future;

/// api-version of the Microsoft.Network calls baton makes itself (the crate's own).
pub(crate) const NETWORK_API: &str = "2024-03-01";

/// ARM path of a NIC.
pub(crate) fn nic_path(subscription: &str, resource_group: &str, name: &str) -> String {
    format!("/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.Network/networkInterfaces/{name}")
}

/// Maps an SDK error of a read to [`ArmError`].
fn read_err(what: &str) -> impl Fn(azure_core::Error) -> ArmError + '_ {
    move |e| ArmError::from_azure(&e, "GET", what)
}

impl ReadClient {
    /// Runs one read with retries inside a call scope (so its requests are reported).
    pub(crate) async fn read<T, F, Fut>(&self, what: &str, f: F) -> Result<T, ArmError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, ArmError>>,
    {
        let fut = self.retry_policy().run(self.progress(), what, f);
        let (result, _) = capture::scoped(self.progress(), fut).await;
        result.map(|(v, _)| v)
    }

    /// Every VM's power state in the subscription: one paged `statusOnly=true` list.
    pub async fn power_states(&self) -> Result<PowerMap, ArmError> {
        Ok(self.vm_statuses().await?.0)
    }

    /// Every VM's power and provisioning state in the subscription: one paged
    /// `statusOnly=true` list.
    pub async fn vm_statuses(&self) -> Result<(PowerMap, ProvisioningMap), ArmError> {
        let what = "VM status list (statusOnly)";
        self.read(what, |_| async move {
            let mut stream = self
                .compute()
                .virtual_machines_client()
                .list_all(self.subscription_id())
                .status_only("true")
                .into_stream();
            let mut map = PowerMap::new();
            let mut provisioning = ProvisioningMap::new();
            while let Some(page) = stream.next().await {
                let page = page.map_err(read_err(what))?;
                parse::add_power_states(&mut map, &page.value);
                parse::add_provisioning_states(&mut provisioning, &page.value);
            }
            Ok((map, provisioning))
        })
        .await
    }

    /// The VMs of a resource group with their power state (two paged lists).
    pub async fn list_vms(&self, resource_group: &str) -> Result<Vec<VmFacts>, ArmError> {
        let power = self.power_states().await?;
        self.list_vms_with(resource_group, &power).await
    }

    /// The VMs of a group, power taken from an already fetched [`PowerMap`].
    pub async fn list_vms_with(
        &self,
        resource_group: &str,
        power: &PowerMap,
    ) -> Result<Vec<VmFacts>, ArmError> {
        let what = format!("VMs of {resource_group}");
        let vms = self
            .read(&what, |_| async {
                let mut stream = self
                    .compute()
                    .virtual_machines_client()
                    .list(resource_group, self.subscription_id())
                    .into_stream();
                let mut vms = Vec::new();
                while let Some(page) = stream.next().await {
                    vms.extend(page.map_err(read_err(&what))?.value);
                }
                Ok(vms)
            })
            .await?;
        Ok(vms
            .iter()
            .map(|vm| parse::vm_facts_with(vm, power))
            .collect())
    }

    /// The managed disks of a resource group.
    pub async fn list_disks(&self, resource_group: &str) -> Result<Vec<DiskFacts>, ArmError> {
        let what = format!("disks of {resource_group}");
        self.read(&what, |_| async {
            let mut stream = self
                .compute()
                .disks_client()
                .list_by_resource_group(self.subscription_id(), resource_group)
                .into_stream();
            let mut out = Vec::new();
            while let Some(page) = stream.next().await {
                let page = page.map_err(read_err(&what))?;
                out.extend(page.value.iter().map(parse::disk_facts));
            }
            Ok(out)
        })
        .await
    }

    /// The NICs of a resource group.
    pub async fn list_nics(&self, resource_group: &str) -> Result<Vec<NicFacts>, ArmError> {
        let what = format!("NICs of {resource_group}");
        self.read(&what, |_| async {
            let mut stream = self
                .network()
                .network_interfaces_client()
                .list(resource_group, self.subscription_id())
                .into_stream();
            let mut out = Vec::new();
            while let Some(page) = stream.next().await {
                let page = page.map_err(read_err(&what))?;
                out.extend(page.value.iter().map(parse::nic_facts));
            }
            Ok(out)
        })
        .await
    }

    /// One load balancer's back-references (NAT rule / pool → NIC names).
    pub async fn get_load_balancer(
        &self,
        resource_group: &str,
        name: &str,
    ) -> Result<LoadBalancerFacts, ArmError> {
        let what = format!("load balancer {resource_group}/{name}");
        let lb: LoadBalancer = self
            .read(&what, |_| async {
                let resp = self
                    .network()
                    .load_balancers_client()
                    .get(resource_group, name, self.subscription_id())
                    .send()
                    .await
                    .map_err(read_err(&what))?;
                resp.into_body().await.map_err(read_err(&what))
            })
            .await?;
        Ok(parse::lb_facts(&lb, resource_group))
    }

    /// One NIC's facts.
    pub async fn get_nic(&self, resource_group: &str, name: &str) -> Result<NicFacts, ArmError> {
        Ok(parse::nic_facts(
            &self.nic_model(resource_group, name).await?,
        ))
    }

    /// One disk's facts.
    pub async fn get_disk(&self, resource_group: &str, name: &str) -> Result<DiskFacts, ArmError> {
        let what = format!("disk {resource_group}/{name}");
        let disk: Disk = self
            .read(&what, |_| async {
                let resp = self
                    .compute()
                    .disks_client()
                    .get(self.subscription_id(), resource_group, name)
                    .send()
                    .await
                    .map_err(read_err(&what))?;
                resp.into_body().await.map_err(read_err(&what))
            })
            .await?;
        Ok(parse::disk_facts(&disk))
    }

    /// One VM's facts, power from its own instance view (one GET).
    pub async fn get_vm(&self, resource_group: &str, name: &str) -> Result<VmFacts, ArmError> {
        let vm = self.vm_model(resource_group, name, true).await?;
        Ok(parse::vm_facts(&vm, parse::power_of(&vm)))
    }

    /// The typed NIC (with its etag), for read-modify-write.
    pub(crate) async fn nic_model(
        &self,
        resource_group: &str,
        name: &str,
    ) -> Result<NetworkInterface, ArmError> {
        let what = format!("NIC {resource_group}/{name}");
        self.read(&what, |_| async {
            let resp = self
                .network()
                .network_interfaces_client()
                .get(resource_group, name, self.subscription_id())
                .send()
                .await
                .map_err(read_err(&what))?;
            resp.into_body().await.map_err(read_err(&what))
        })
        .await
    }

    /// The NIC exactly as ARM returned it (etag included), for read-modify-writes that must PUT
    /// back every property, known to the typed model or not.
    pub(crate) async fn nic_raw(
        &self,
        resource_group: &str,
        name: &str,
    ) -> Result<serde_json::Value, ArmError> {
        let what = format!("NIC {resource_group}/{name}");
        let url = self.url(
            &nic_path(self.subscription_id(), resource_group, name),
            NETWORK_API,
        );
        self.read(&what, |_| async {
            let resp = self.get_raw(&url).await?;
            serde_json::from_slice(&resp.body).map_err(|e| ArmError::Decode {
                what: what.clone(),
                reason: e.to_string(),
            })
        })
        .await
    }

    /// `maxDataDiskCount` by size name (lower-cased) in `location`: one VM size list per
    /// region for the life of the client, then served from its cache.
    pub async fn vm_size_limits(&self, location: &str) -> Result<HashMap<String, u32>, ArmError> {
        if let Some(limits) = self.cached_size_limits(location) {
            return Ok(limits);
        }
        let what = format!("VM sizes in {location}");
        let limits = self
            .read(&what, |_| async {
                let list = self
                    .compute()
                    .virtual_machine_sizes_client()
                    .list(location, self.subscription_id())
                    .send()
                    .await
                    .map_err(read_err(&what))?
                    .into_body()
                    .await
                    .map_err(read_err(&what))?;
                Ok(parse::size_limits(&list.value))
            })
            .await?;
        self.cache_size_limits(location, limits.clone());
        Ok(limits)
    }

    /// The typed VM model, optionally with its instance view.
    pub(crate) async fn vm_model(
        &self,
        resource_group: &str,
        name: &str,
        instance_view: bool,
    ) -> Result<VirtualMachine, ArmError> {
        let what = format!("VM {resource_group}/{name}");
        self.read(&what, |_| async {
            let mut builder = self.compute().virtual_machines_client().get(
                resource_group,
                name,
                self.subscription_id(),
            );
            if instance_view {
                builder = builder.expand("instanceView");
            }
            let resp = builder.send().await.map_err(read_err(&what))?;
            resp.into_body().await.map_err(read_err(&what))
        })
        .await
    }
}
