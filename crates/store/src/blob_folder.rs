//! Tools over the files folder of `FsBlobs` (`ab/cd/abcd…`, temporaries in `tmp/`) for the
//! operator's commands: hash a blob, copy it to another folder checking its SHA-256 on the way
//! (or hard-link it when both folders are on one filesystem), and list what the folder holds
//! with modification times, so the integrity check, garbage collection, backup and restore
//! share one reading of the layout. Blocking I/O: call from `spawn_blocking` or a CLI.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Whether `s` is a blob address: 64 lower-case hex digits.
pub fn is_address(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_hex2(s: &str) -> bool {
    s.len() == 2
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where the blob with this address lives under `root`; `None` for a malformed address.
pub fn blob_path(root: &Path, sha256: &str) -> Option<PathBuf> {
    is_address(sha256).then(|| root.join(&sha256[0..2]).join(&sha256[2..4]).join(sha256))
}

/// SHA-256 (hex) and length of a file, read in chunks.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    hash_reader(&mut f, None)
}

fn hash_reader(
    r: &mut impl Read,
    mut copy: Option<&mut dyn Write>,
) -> std::io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut len = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
        if let Some(w) = copy.as_deref_mut() {
            w.write_all(&buf[..n])?;
        }
        len += n as u64;
    }
    Ok((hex::encode(h.finalize()), len))
}

/// What a blob's bytes are worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    Intact,
    Missing,
    /// The bytes hash to something else (`found`, with their length).
    Corrupt {
        found: String,
        len: u64,
    },
}

/// Checks the blob with this address under `root` by reading it whole.
pub fn check_blob(root: &Path, sha256: &str) -> std::io::Result<Integrity> {
    let Some(path) = blob_path(root, sha256) else {
        return Ok(Integrity::Missing);
    };
    match hash_file(&path) {
        Ok((found, _)) if found == sha256 => Ok(Integrity::Intact),
        Ok((found, len)) => Ok(Integrity::Corrupt { found, len }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Integrity::Missing),
        Err(e) => Err(e),
    }
}

/// How a blob reached the other folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// A hard link (same filesystem); its bytes were read back and hashed.
    Linked,
    /// A copy, hashed while copying, synced.
    Copied,
    /// The destination already held these bytes (checked).
    Present,
}

/// Why a blob could not be copied.
#[derive(Debug)]
pub enum CopyError {
    Missing,
    Corrupt { found: String, len: u64 },
    Io(std::io::Error),
}

impl From<std::io::Error> for CopyError {
    fn from(e: std::io::Error) -> Self {
        CopyError::Io(e)
    }
}

impl std::fmt::Display for CopyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CopyError::Missing => write!(f, "missing"),
            CopyError::Corrupt { found, len } => {
                write!(f, "corrupt ({len} bytes hashing to {found})")
            }
            CopyError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Copies the blob `sha256` from the folder `from` into the folder `to` (same layout), checking
/// its SHA-256: hard-linked when `link` is set and the filesystem allows it (then read back and
/// hashed), else copied through `to/tmp`, synced and renamed into place. The folders holding
/// the new entry are added to `dirs` so the caller can sync them once at the end
/// ([`sync_dirs`]). Nothing is left under the address when the source is missing or corrupt.
pub fn copy_blob(
    from: &Path,
    to: &Path,
    sha256: &str,
    link: bool,
    dirs: &mut BTreeSet<PathBuf>,
) -> Result<Copied, CopyError> {
    let (Some(src), Some(dst)) = (blob_path(from, sha256), blob_path(to, sha256)) else {
        return Err(CopyError::Missing);
    };
    let dir = dst
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| to.to_path_buf());
    if dst.exists() {
        return match check_blob(to, sha256)? {
            Integrity::Intact => Ok(Copied::Present),
            // A bad copy in the destination is replaced below.
            _ => {
                std::fs::remove_file(&dst)?;
                copy_blob(from, to, sha256, link, dirs)
            }
        };
    }
    std::fs::create_dir_all(&dir)?;
    if link && std::fs::hard_link(&src, &dst).is_ok() {
        return match check_blob(to, sha256) {
            Ok(Integrity::Intact) => {
                dirs.insert(dir);
                Ok(Copied::Linked)
            }
            Ok(Integrity::Missing) => Err(CopyError::Missing),
            Ok(Integrity::Corrupt { found, len }) => {
                let _ = std::fs::remove_file(&dst);
                Err(CopyError::Corrupt { found, len })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&dst);
                Err(e.into())
            }
        };
    }
    let mut input = match std::fs::File::open(&src) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CopyError::Missing),
        Err(e) => return Err(e.into()),
    };
    std::fs::create_dir_all(to.join("tmp"))?;
    let tmp = to
        .join("tmp")
        .join(format!("{sha256}.{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut out = std::fs::File::create(&tmp)?;
        let (found, len) = hash_reader(&mut input, Some(&mut out))?;
        if found != sha256 {
            return Err(CopyError::Corrupt { found, len });
        }
        out.sync_all()?;
        std::fs::rename(&tmp, &dst)?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            dirs.insert(dir);
            Ok(Copied::Copied)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Syncs folders (after renames or links into them), so the new entries survive a power cut.
pub fn sync_dirs<'a>(dirs: impl IntoIterator<Item = &'a PathBuf>) -> std::io::Result<()> {
    for d in dirs {
        std::fs::File::open(d)?.sync_all()?;
    }
    Ok(())
}

/// A blob found in the folder.
#[derive(Debug, Clone)]
pub struct StoredBlob {
    pub sha256: String,
    pub path: PathBuf,
    pub len: u64,
    pub modified: SystemTime,
}

/// What the folder holds.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files at `ab/cd/<address>` whose address agrees with their folders.
    pub blobs: Vec<StoredBlob>,
    /// Leftovers of interrupted writes in `tmp/`, with their modification time.
    pub temporaries: Vec<(PathBuf, SystemTime)>,
    /// Anything else: never touched, reported.
    pub strays: Vec<PathBuf>,
}

/// Lists the folder (an absent folder holds nothing).
pub fn list(root: &Path) -> std::io::Result<Listing> {
    let mut out = Listing::default();
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for e1 in entries {
        let e1 = e1?;
        let n1 = e1.file_name().to_string_lossy().into_owned();
        let t1 = e1.file_type()?;
        if n1 == "tmp" && t1.is_dir() {
            for t in std::fs::read_dir(e1.path())? {
                let t = t?;
                let m = t.metadata()?;
                if m.is_file() {
                    out.temporaries.push((t.path(), m.modified()?));
                } else {
                    out.strays.push(t.path());
                }
            }
            continue;
        }
        if !(t1.is_dir() && is_hex2(&n1)) {
            out.strays.push(e1.path());
            continue;
        }
        for e2 in std::fs::read_dir(e1.path())? {
            let e2 = e2?;
            let n2 = e2.file_name().to_string_lossy().into_owned();
            if !(e2.file_type()?.is_dir() && is_hex2(&n2)) {
                out.strays.push(e2.path());
                continue;
            }
            for e3 in std::fs::read_dir(e2.path())? {
                let e3 = e3?;
                let n3 = e3.file_name().to_string_lossy().into_owned();
                let m = e3.metadata()?;
                if m.is_file() && is_address(&n3) && n3[0..2] == n1 && n3[2..4] == n2 {
                    out.blobs.push(StoredBlob {
                        sha256: n3,
                        path: e3.path(),
                        len: m.len(),
                        modified: m.modified()?,
                    });
                } else {
                    out.strays.push(e3.path());
                }
            }
        }
    }
    out.blobs.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(b: &[u8]) -> String {
        hex::encode(Sha256::digest(b))
    }

    #[test]
    fn copy_checks_hash_and_list_reads_layout() {
        let a = crate::testing::TempDir::new("bf-a").unwrap();
        let b = crate::testing::TempDir::new("bf-b").unwrap();
        let good = sha(b"good");
        let bad = sha(b"bad");
        for (addr, bytes) in [(&good, &b"good"[..]), (&bad, &b"tampered"[..])] {
            let p = blob_path(&a.0, addr).unwrap();
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        std::fs::write(a.0.join("README"), "x").unwrap();
        std::fs::create_dir_all(a.0.join("tmp")).unwrap();
        std::fs::write(a.0.join("tmp").join("half"), "x").unwrap();
        let l = list(&a.0).unwrap();
        let mut found: Vec<_> = l.blobs.iter().map(|b| b.sha256.clone()).collect();
        found.sort();
        let mut want = vec![good.clone(), bad.clone()];
        want.sort();
        assert_eq!(found, want);
        assert_eq!(l.temporaries.len(), 1);
        assert_eq!(l.strays, vec![a.0.join("README")]);
        assert_eq!(check_blob(&a.0, &good).unwrap(), Integrity::Intact);
        assert!(matches!(
            check_blob(&a.0, &bad).unwrap(),
            Integrity::Corrupt { .. }
        ));
        assert_eq!(check_blob(&a.0, &sha(b"none")).unwrap(), Integrity::Missing);

        for link in [false, true] {
            let mut dirs = BTreeSet::new();
            let to = b.0.join(format!("to-{link}"));
            let c = copy_blob(&a.0, &to, &good, link, &mut dirs).unwrap();
            assert_eq!(c, if link { Copied::Linked } else { Copied::Copied });
            sync_dirs(&dirs).unwrap();
            assert_eq!(
                std::fs::read(blob_path(&to, &good).unwrap()).unwrap(),
                b"good"
            );
            assert_eq!(
                copy_blob(&a.0, &to, &good, link, &mut dirs).unwrap(),
                Copied::Present
            );
            assert!(matches!(
                copy_blob(&a.0, &to, &bad, link, &mut dirs),
                Err(CopyError::Corrupt { .. })
            ));
            assert!(!blob_path(&to, &bad).unwrap().exists());
            assert!(matches!(
                copy_blob(&a.0, &to, &sha(b"none"), link, &mut dirs),
                Err(CopyError::Missing)
            ));
        }
    }
}
