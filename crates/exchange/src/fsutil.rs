//! Durable, private file writes shared by the signing service and the folder exchange: write to
//! a temporary file in the same folder (mode 0600), fsync, then rename (replace) or hard-link
//! (create only if absent) into place, and fsync the folder.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Create `dir` (and parents) readable only by the owner (0700 for the folders this creates).
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Create `dir` (and parents) with the default mode.
pub(crate) fn create_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// fsync a folder, so that a rename or link in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

fn temp_path(dir: &Path, name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let tmp = temp_path(dir, name);
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let result = (|| {
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn split(path: &Path) -> io::Result<(&Path, String)> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no parent folder"))?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
        .to_string_lossy()
        .into_owned();
    Ok((dir, name))
}

/// Write `bytes` to `path` atomically (0600), replacing any file there.
pub(crate) fn write_replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (dir, name) = split(path)?;
    let tmp = write_temp(dir, &name, bytes)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Write `bytes` to `path` atomically (0600) only if nothing is there yet: `Ok(false)` when
/// another writer (thread or process) got there first, whose file is then left untouched.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let (dir, name) = split(path)?;
    let tmp = write_temp(dir, &name, bytes)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(dir)?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Move `from` into folder `to_dir` under `name`, or `name` with `-1`, `-2` … before its
/// extension when taken; returns the new path. Both folders are synced.
pub(crate) fn move_unique(from: &Path, to_dir: &Path, name: &str) -> io::Result<PathBuf> {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.to_string(), String::new()),
    };
    for i in 0..10_000u32 {
        let candidate = if i == 0 {
            to_dir.join(name)
        } else {
            to_dir.join(format!("{stem}-{i}{ext}"))
        };
        // Link then unlink: never overwrites a file already there (rename would).
        match fs::hard_link(from, &candidate) {
            Ok(()) => {
                fs::remove_file(from)?;
                sync_dir(to_dir)?;
                if let Some(parent) = from.parent() {
                    sync_dir(parent)?;
                }
                return Ok(candidate);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "too many files with the same name",
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn new_does_not_overwrite_and_replace_does() {
        let dir = std::env::temp_dir().join(format!("cqdt-fsutil-{}", std::process::id()));
        create_private_dir(&dir).unwrap();
        let p = dir.join("a.bin");
        let _ = fs::remove_file(&p);
        assert!(write_new(&p, b"one").unwrap());
        assert!(!write_new(&p, b"two").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_replace(&p, b"three").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        // No temporary files left behind.
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty());
        let _ = fs::remove_dir_all(&dir);
    }
}
