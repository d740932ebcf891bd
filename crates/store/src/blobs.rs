//! File bytes in a folder, addressed by their SHA-256: `ab/cd/abcdef…`. A put writes a
//! temporary file, syncs it, renames it into place and syncs the folder, so once it returns the
//! bytes survive a crash or power cut; a half-written temporary is never visible under the
//! address. The same content is stored once.

use async_trait::async_trait;
use cqdt_app::{AppError, AppResult, BlobStore};
use cqdt_domain::ErrorCode;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct FsBlobs {
    root: PathBuf,
}

fn io_err(e: std::io::Error) -> AppError {
    // A full disk or a read-only folder: the upload is refused and nothing is recorded.
    AppError::new(ErrorCode::StorageUnavailable).with_detail(format!("files folder: {e}"))
}

/// Sets a file's modification time to now.
fn touch(path: &Path) -> std::io::Result<()> {
    use cqdt_app::Clock;
    let now = std::time::UNIX_EPOCH
        + std::time::Duration::from_micros(cqdt_app::SystemClock.now_us().max(0) as u64);
    std::fs::File::options()
        .write(true)
        .open(path)?
        .set_modified(now)
}

fn valid_address(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl FsBlobs {
    /// Opens (creating) the folder.
    pub fn open(root: impl Into<PathBuf>) -> AppResult<FsBlobs> {
        let root = root.into();
        std::fs::create_dir_all(root.join("tmp")).map_err(io_err)?;
        Ok(FsBlobs { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, sha256: &str) -> AppResult<PathBuf> {
        if !valid_address(sha256) {
            return Err(AppError::internal("invalid blob address"));
        }
        Ok(self
            .root
            .join(&sha256[0..2])
            .join(&sha256[2..4])
            .join(sha256))
    }

    fn put_blocking(root: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        // Already stored: mark it fresh, because a record naming it is about to be committed
        // and the garbage collector (`cqdt files gc`) leaves recent blobs alone. If it cannot
        // be marked (or vanished meanwhile), it is written again.
        if path.exists() && touch(path).is_ok() && path.exists() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(root);
        std::fs::create_dir_all(dir)?;
        let tmp = root.join("tmp").join(format!(
            "{}.{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("blob"),
            uuid::Uuid::new_v4()
        ));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

#[async_trait]
impl BlobStore for FsBlobs {
    async fn put(&self, sha256: &str, bytes: &[u8]) -> AppResult<()> {
        let path = self.path_of(sha256)?;
        let root = self.root.clone();
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || Self::put_blocking(&root, &path, &bytes))
            .await
            .map_err(|e| AppError::internal(e.to_string()))?
            .map_err(io_err)
    }

    async fn get(&self, sha256: &str) -> AppResult<Option<Vec<u8>>> {
        let path = self.path_of(sha256)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(e)),
        }
    }

    async fn exists(&self, sha256: &str) -> AppResult<bool> {
        let path = self.path_of(sha256)?;
        Ok(tokio::fs::try_exists(&path).await.unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_idempotent() {
        let dir = crate::testing::TempDir::new("blobs").unwrap();
        let b = FsBlobs::open(&dir.0).unwrap();
        let sha = "a".repeat(64);
        assert_eq!(b.get(&sha).await.unwrap(), None);
        b.put(&sha, b"hello").await.unwrap();
        b.put(&sha, b"hello").await.unwrap();
        assert_eq!(b.get(&sha).await.unwrap().as_deref(), Some(&b"hello"[..]));
        assert!(b.exists(&sha).await.unwrap());
        assert!(dir.0.join("aa").join("aa").join(&sha).is_file());
        // Nothing left behind in tmp.
        assert_eq!(std::fs::read_dir(dir.0.join("tmp")).unwrap().count(), 0);
        assert!(b.put("../etc", b"x").await.is_err());
    }
}
