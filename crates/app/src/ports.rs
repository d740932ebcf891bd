//! Ports for time and identifiers, with the real implementations and fakes for tests.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use uuid::Uuid;

pub trait Clock: Send + Sync {
    /// Microseconds since the Unix epoch, UTC.
    fn now_us(&self) -> i64;
}

pub trait Ids: Send + Sync {
    /// A new UUIDv7 (time-ordered).
    fn new_id(&self) -> Uuid;
    /// `n` cryptographically random bytes (tokens, salts).
    fn random_bytes(&self, n: usize) -> Vec<u8>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now_us(&self) -> i64 {
        let now = std::time::SystemTime::now();
        now.duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0)
    }
}

pub struct SystemIds;

impl Ids for SystemIds {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
    fn random_bytes(&self, n: usize) -> Vec<u8> {
        use rand::RngCore;
        let mut v = vec![0u8; n];
        rand::rngs::OsRng.fill_bytes(&mut v);
        v
    }
}

/// A clock tests move by hand.
#[derive(Debug)]
pub struct FakeClock(pub AtomicI64);

impl FakeClock {
    pub fn new(us: i64) -> Self {
        Self(AtomicI64::new(us))
    }
    pub fn advance_secs(&self, s: i64) {
        self.0.fetch_add(s * 1_000_000, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now_us(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Deterministic ids and bytes for tests.
#[derive(Debug, Default)]
pub struct FakeIds(pub AtomicU64);

impl Ids for FakeIds {
    fn new_id(&self) -> Uuid {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000u128 | n as u128)
    }
    fn random_bytes(&self, n: usize) -> Vec<u8> {
        let seed = self.0.fetch_add(1, Ordering::SeqCst);
        (0..n).map(|i| (seed as usize * 31 + i * 7) as u8).collect()
    }
}

// ---- Files: where the bytes go, and the malware check ----

/// Content-addressed storage of file bytes (by SHA-256, hex). `put` returns only once the bytes
/// are durable, so a record that names them may then be committed; putting the same content
/// twice is harmless.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    async fn put(&self, sha256: &str, bytes: &[u8]) -> crate::AppResult<()>;
    async fn get(&self, sha256: &str) -> crate::AppResult<Option<Vec<u8>>>;
    async fn exists(&self, sha256: &str) -> crate::AppResult<bool>;
}

/// Blobs in memory: for unit tests and for an `App` built without a files folder.
#[derive(Debug, Default)]
pub struct MemoryBlobs(pub std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>);

#[async_trait::async_trait]
impl BlobStore for MemoryBlobs {
    async fn put(&self, sha256: &str, bytes: &[u8]) -> crate::AppResult<()> {
        let mut m = self
            .0
            .lock()
            .map_err(|_| crate::AppError::internal("blob map poisoned"))?;
        m.entry(sha256.to_string())
            .or_insert_with(|| bytes.to_vec());
        Ok(())
    }
    async fn get(&self, sha256: &str) -> crate::AppResult<Option<Vec<u8>>> {
        let m = self
            .0
            .lock()
            .map_err(|_| crate::AppError::internal("blob map poisoned"))?;
        Ok(m.get(sha256).cloned())
    }
    async fn exists(&self, sha256: &str) -> crate::AppResult<bool> {
        Ok(self.get(sha256).await?.is_some())
    }
}

/// What a malware scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanVerdict {
    Clean,
    /// Infected, with the scanner's name for what it found.
    Infected(String),
}

/// The virus-scan hook every upload passes through before it is stored. An error (scanner
/// down) refuses the upload with `upload.scan_failed`: nothing unscanned is kept.
#[async_trait::async_trait]
pub trait Scanner: Send + Sync {
    async fn scan(&self, name: &str, bytes: &[u8]) -> crate::AppResult<ScanVerdict>;
}

/// No scanning (the default when no scanner is configured; the start-up log says so).
#[derive(Debug, Default)]
pub struct NoScan;

#[async_trait::async_trait]
impl Scanner for NoScan {
    async fn scan(&self, _name: &str, _bytes: &[u8]) -> crate::AppResult<ScanVerdict> {
        Ok(ScanVerdict::Clean)
    }
}
