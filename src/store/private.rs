//! Files and folders only their owner can read: state directories are created 0700 and files
//! 0600 *at creation* (no window in which another user could open them, unlike a chmod after).
//! Used for every journal, lock, audit log, drill record, report and timeline.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Mode of every directory baton creates for its state.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file baton creates for its state.
pub const FILE_MODE: u32 = 0o600;

/// `mkdir -p` with every missing folder created 0700.
pub fn create_dir_all(path: &Path) -> std::io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(path)
}

/// Open options that create a missing file 0600.
pub fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.mode(FILE_MODE);
    o
}

/// Writes `bytes` to `path` (created 0600 if missing, else truncated), then fsyncs it.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f: File = options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folders_and_files_are_private_from_creation() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("a").join("b");
        create_dir_all(&deep).unwrap();
        write_file(&deep.join("f"), b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(mode(&deep.join("f")), 0o600);
    }
}
