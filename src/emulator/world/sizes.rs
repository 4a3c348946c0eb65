//! The VM sizes the emulator knows, with the figures `GET …/locations/{l}/vmSizes` reports.
//! `maxDataDiskCount` is what the attach refusals enforce.
//!
//! Figures from Microsoft's size tables; only a handful of common sizes, the same in every region.

/// One VM size as the size list reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VmSize {
    pub name: &'static str,
    pub cores: u32,
    pub memory_mb: u32,
    pub resource_disk_mb: u32,
    pub max_data_disks: u32,
}

const fn size(
    name: &'static str,
    cores: u32,
    memory_mb: u32,
    resource_disk_mb: u32,
    max_data_disks: u32,
) -> VmSize {
    VmSize {
        name,
        cores,
        memory_mb,
        resource_disk_mb,
        max_data_disks,
    }
}

/// Every size the emulator knows.
pub(crate) const SIZES: &[VmSize] = &[
    size("Standard_B1s", 1, 1024, 4096, 2),
    size("Standard_B2s", 2, 4096, 8192, 4),
    size("Standard_D2s_v5", 2, 8192, 0, 4),
    size("Standard_D4s_v5", 4, 16384, 0, 8),
    size("Standard_D8s_v5", 8, 32768, 0, 16),
    size("Standard_D16s_v5", 16, 65536, 0, 32),
    size("Standard_E2s_v5", 2, 16384, 0, 4),
    size("Standard_E4s_v5", 4, 32768, 0, 8),
    size("Standard_E8s_v5", 8, 65536, 0, 16),
    size("Standard_F2s_v2", 2, 4096, 16384, 4),
];

/// The size of this name (case-insensitive), if the emulator knows it.
pub(crate) fn find(name: &str) -> Option<&'static VmSize> {
    SIZES.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}
