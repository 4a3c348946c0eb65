//! Data disk moves through `attachDetachDataDisks` (one POST per VM for any number of disks),
//! verified on the StorageProfile the operation returns. Disk ids are built from the
//! subscription, the VM's resource group and the disk name. `ForceDetach` is sent only when
//! the caller asks (it may lose writes in flight). A retried or concurrent detach re-sends the
//! detach for disks still listed as `toBeDetached`. It must not wait for the disk's release
//! (`managedBy` clearing): that is the failover plan's `release` step, on the disk itself.

use crate::azure::client::ArmClient;
use crate::azure::error::ArmError;
use crate::azure::lro::WriteKind;
use crate::azure::writes::{outcome, Ids, WriteOutcome, WriteStatus};
use crate::core::model::{name_from_id, same_name};
use azure_mgmt_compute::package_2024_07_01::models::{
    AttachDetachDataDisksRequest, DataDisk, DataDisksToAttach, DataDisksToDetach, DetachOption,
    StorageProfile,
};

/// Name of a data disk as the VM model lists it.
fn disk_name(d: &DataDisk) -> Option<&str> {
    d.name.as_deref().or_else(|| {
        d.managed_disk
            .as_ref()
            .and_then(|m| m.sub_resource.id.as_deref())
            .map(name_from_id)
    })
}

/// Names of the disks attached (not marked `toBeDetached`) in a storage profile.
fn attached_names(profile: &StorageProfile) -> Vec<String> {
    profile
        .data_disks
        .iter()
        .filter(|d| d.to_be_detached != Some(true))
        .filter_map(disk_name)
        .map(str::to_owned)
        .collect()
}

fn contains(names: &[String], name: &str) -> bool {
    names.iter().any(|n| same_name(n, name))
}

impl ArmClient {
    /// Detaches the named data disks from the VM; `force` sends `ForceDetach` (break-glass:
    /// writes in flight may be lost). `AlreadyDone` when none of them is listed on the VM any
    /// more (a disk listed with `toBeDetached` is detached again, see the module doc).
    pub async fn detach_disks(
        &self,
        resource_group: &str,
        vm: &str,
        disks: &[&str],
        force: bool,
    ) -> Result<WriteOutcome, ArmError> {
        let how = if force { "force-detach" } else { "detach" };
        let operation = format!("{how} {} from {vm}", disks.join(", "));
        let ids = Ids::default();
        let (status, attempts) = self
            .write(&operation, |_| {
                self.detach_attempt(&operation, resource_group, vm, disks, force, &ids)
            })
            .await?;
        Ok(outcome(status, &ids, attempts))
    }

    /// Attaches the named disks at the given LUNs. A disk already attached to this VM (at any
    /// LUN) counts as done; `AlreadyDone` when all are.
    pub async fn attach_disks(
        &self,
        resource_group: &str,
        vm: &str,
        disks: &[(&str, i32)],
    ) -> Result<WriteOutcome, ArmError> {
        let names: Vec<String> = disks.iter().map(|(n, l)| format!("{n}@{l}")).collect();
        let operation = format!("attach {} to {vm}", names.join(", "));
        let ids = Ids::default();
        let (status, attempts) = self
            .write(&operation, |_| {
                self.attach_attempt(&operation, resource_group, vm, disks, &ids)
            })
            .await?;
        Ok(outcome(status, &ids, attempts))
    }

    async fn current_disks(
        &self,
        resource_group: &str,
        vm: &str,
    ) -> Result<Vec<DataDisk>, ArmError> {
        let model = self.reader().vm_model(resource_group, vm, false).await?;
        Ok(model
            .properties
            .and_then(|p| p.storage_profile)
            .map(|s| s.data_disks)
            .unwrap_or_default())
    }

    async fn detach_attempt(
        &self,
        operation: &str,
        resource_group: &str,
        vm: &str,
        disks: &[&str],
        force: bool,
        ids: &Ids,
    ) -> Result<WriteStatus, ArmError> {
        let current = self.current_disks(resource_group, vm).await?;
        let mut request = AttachDetachDataDisksRequest::new();
        // A disk still listed with `toBeDetached` is being detached by another operation (or
        // its detach failed): detach it again and follow *our* operation to the end, so that
        // success means the disk has left the model, not that someone asked for it.
        for d in &current {
            let Some(name) = disk_name(d) else { continue };
            if !disks.iter().any(|w| same_name(w, name)) {
                continue;
            }
            let id = d
                .managed_disk
                .as_ref()
                .and_then(|m| m.sub_resource.id.clone())
                .unwrap_or_else(|| self.disk_id(resource_group, name));
            let mut detach = DataDisksToDetach::new(id);
            detach.detach_option = force.then_some(DetachOption::ForceDetach);
            request.data_disks_to_detach.push(detach);
        }
        if request.data_disks_to_detach.is_empty() {
            return Ok(WriteStatus::AlreadyDone);
        }
        let profile = self
            .attach_detach(operation, resource_group, vm, request, ids)
            .await?;
        let left: Vec<&str> = disks
            .iter()
            .copied()
            .filter(|d| contains(&profile, d))
            .collect();
        if left.is_empty() {
            return Ok(WriteStatus::Applied);
        }
        Err(ArmError::NotApplied {
            what: format!("VM {vm}"),
            detail: format!("still attached: {}", left.join(", ")),
        })
    }

    async fn attach_attempt(
        &self,
        operation: &str,
        resource_group: &str,
        vm: &str,
        disks: &[(&str, i32)],
        ids: &Ids,
    ) -> Result<WriteStatus, ArmError> {
        let current = self.current_disks(resource_group, vm).await?;
        let present: Vec<String> = current
            .iter()
            .filter(|d| d.to_be_detached != Some(true))
            .filter_map(disk_name)
            .map(str::to_owned)
            .collect();
        let mut request = AttachDetachDataDisksRequest::new();
        for (name, lun) in disks.iter().filter(|(n, _)| !contains(&present, n)) {
            let mut attach = DataDisksToAttach::new(self.disk_id(resource_group, name));
            attach.lun = Some(*lun);
            request.data_disks_to_attach.push(attach);
        }
        if request.data_disks_to_attach.is_empty() {
            return Ok(WriteStatus::AlreadyDone);
        }
        let profile = self
            .attach_detach(operation, resource_group, vm, request, ids)
            .await?;
        let missing: Vec<&str> = disks
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| !contains(&profile, n))
            .collect();
        if missing.is_empty() {
            return Ok(WriteStatus::Applied);
        }
        Err(ArmError::NotApplied {
            what: format!("VM {vm}"),
            detail: format!("not attached: {}", missing.join(", ")),
        })
    }

    /// Sends one attachDetachDataDisks and returns the attached disk names it reports (from
    /// the final StorageProfile, else from a fresh GET of the VM).
    async fn attach_detach(
        &self,
        operation: &str,
        resource_group: &str,
        vm: &str,
        request: AttachDetachDataDisksRequest,
        ids: &Ids,
    ) -> Result<Vec<String>, ArmError> {
        let send = self
            .reader()
            .compute()
            .virtual_machines_client()
            .attach_detach_data_disks(resource_group, vm, request, self.reader().subscription_id())
            .send();
        let finished = self
            .send_and_wait(operation, &WriteKind::Post, ids, send)
            .await?;
        match finished.body {
            Some(body) => {
                let profile: StorageProfile =
                    serde_json::from_slice(&body).map_err(|e| ArmError::Decode {
                        what: format!("storage profile of {vm}"),
                        reason: e.to_string(),
                    })?;
                Ok(attached_names(&profile))
            }
            None => {
                let current = self.current_disks(resource_group, vm).await?;
                let profile = StorageProfile {
                    data_disks: current,
                    ..Default::default()
                };
                Ok(attached_names(&profile))
            }
        }
    }

    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/{name}`.
    pub fn disk_id(&self, resource_group: &str, name: &str) -> String {
        self.resource_id(resource_group, "Microsoft.Compute/disks", name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attached_names_skip_to_be_detached() {
        let p: StorageProfile = serde_json::from_value(json!({"dataDisks": [
            {"lun": 0, "name": "a", "createOption": "Attach"},
            {"lun": 1, "createOption": "Attach", "managedDisk": {"id": "/x/disks/b"}},
            {"lun": 2, "name": "c", "createOption": "Attach", "toBeDetached": true}]}))
        .unwrap();
        assert_eq!(attached_names(&p), vec!["a", "b"]);
    }

    #[test]
    fn detach_request_serializes_force_only_when_asked() {
        let mut r = AttachDetachDataDisksRequest::new();
        let mut d = DataDisksToDetach::new("/x/disks/a".into());
        d.detach_option = Some(DetachOption::ForceDetach);
        r.data_disks_to_detach.push(d);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            json!({"dataDisksToDetach": [{"diskId": "/x/disks/a", "detachOption": "ForceDetach"}]})
        );
        let plain = AttachDetachDataDisksRequest {
            data_disks_to_detach: vec![DataDisksToDetach::new("/x/disks/a".into())],
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            json!({"dataDisksToDetach": [{"diskId": "/x/disks/a"}]})
        );
    }
}
