//! The log file: `DIR/PREFIX.YYYY-MM-DD` (UTC date, as tracing-appender's daily rotation named
//! it), a new one each day. The directory is made `0700` and each file `0600` when created, and
//! narrowed to those modes when an older run left them wider: logs name VMs, operators and
//! request ids, which are nobody else's business.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use time::{Date, OffsetDateTime};

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Appends to today's file, switching files when the UTC date changes.
pub struct DailyFile {
    dir: PathBuf,
    prefix: String,
    current: Option<(Date, File)>,
}

impl DailyFile {
    /// Creates (or narrows) the directory; files are opened on the first write.
    pub fn open(dir: PathBuf, prefix: &str) -> io::Result<DailyFile> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(&dir)?;
        narrow(&dir, DIR_MODE)?;
        Ok(DailyFile {
            dir,
            prefix: prefix.to_owned(),
            current: None,
        })
    }

    fn file_for(&mut self, today: Date) -> io::Result<&mut File> {
        let stale = self.current.as_ref().map_or(true, |(day, _)| *day != today);
        if stale {
            let path = self.dir.join(format!("{}.{today}", self.prefix));
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(FILE_MODE)
                .open(&path)?;
            narrow(&path, FILE_MODE)?;
            self.current = Some((today, file));
        }
        match &mut self.current {
            Some((_, file)) => Ok(file),
            None => Err(io::Error::other("no log file")),
        }
    }
}

/// Clears every permission bit `mode` does not grant (never widens).
fn narrow(path: &Path, mode: u32) -> io::Result<()> {
    let now = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if now & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(now & mode))?;
    }
    Ok(())
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let today = OffsetDateTime::now_utc().date();
        self.file_for(today)?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.current {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DailyFile;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_a_private_directory_and_private_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state").join("logs");
        let mut log = DailyFile::open(dir.clone(), "baton.log").unwrap();
        log.write_all(b"line\n").unwrap();
        assert_eq!(mode(&dir), 0o700);
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(files.len(), 1);
        let name = files[0].file_name().into_string().unwrap();
        assert!(name.starts_with("baton.log.20"), "{name}");
        assert_eq!(mode(&files[0].path()), 0o600);
        assert_eq!(std::fs::read_to_string(files[0].path()).unwrap(), "line\n");
    }

    #[test]
    fn narrows_what_an_older_run_left_readable() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("logs");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let today = time::OffsetDateTime::now_utc().date();
        let old = dir.join(format!("baton.log.{today}"));
        std::fs::write(&old, "before\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut log = DailyFile::open(dir.clone(), "baton.log").unwrap();
        log.write_all(b"after\n").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "before\nafter\n");
    }
}
