//! Moving edXML packages to and from other systems (see `docs/edxml-transport.md`):
//!
//! - request signing as in the VXP SDK example (standards.md §5.5, **unverified with VPCP**):
//!   HMAC-SHA256 with the system's shared secret over `systemId + timestamp + contentType +
//!   body`, lowercase hex, the timestamp as `ddMMyyyyTHHmmss+SSSS` in Vietnam time:
//!   [`sign_request`], [`verify_request`], [`ReplayGuard`];
//! - [`EdxmlHttpSender`]: POST a package to a peer with those headers, answering
//!   [`SendOutcome`] (delivered / rejected / retry later) for the outbox deliverer;
//! - [`FolderExchange`]: packages as files for manual transfer (export to an outbox folder,
//!   poll an inbox folder, move handled files to `processed/` or `failed/`).
//!
//! Times are microseconds since the Unix epoch, UTC (the `Clock` port's unit), given by the
//! caller.

use crate::fsutil;
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the sending system's id.
pub const HEADER_SYSTEM_ID: &str = "x-system-id";
/// Header carrying the request time, `ddMMyyyyTHHmmss+SSSS`.
pub const HEADER_TIMESTAMP: &str = "x-timestamp";
/// Header carrying the HMAC-SHA256, lowercase hex.
pub const HEADER_SIGNATURE: &str = "x-signature";
/// The content type packages are sent with (and signed over).
pub const EDXML_CONTENT_TYPE: &str = "application/xml";
/// The replay window: requests whose timestamp is further than this from now are refused.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(5 * 60);
/// Longest accepted system id.
pub const MAX_SYSTEM_ID_LEN: usize = 128;

/// Vietnam time (UTC+7, no daylight saving), the zone the timestamp is written in.
const VN: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(z) => z,
    None => panic!("UTC+7 is a valid offset"),
};

fn vn() -> FixedOffset {
    VN
}

/// Why a request was refused. [`TransportError::code`] is the stable code for the web layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// A signing header is missing, not text, or not in its format.
    MalformedHeader {
        header: &'static str,
        reason: String,
    },
    /// No secret is configured for this system id.
    UnknownSystem(String),
    /// The HMAC does not match (wrong secret, or the body, content type, timestamp or system
    /// id was changed).
    BadSignature,
    /// The timestamp is outside the replay window (`skew_secs` = request time − now).
    StaleTimestamp { skew_secs: i64 },
    /// The same signed request was already accepted within the window ([`ReplayGuard`]).
    Replayed,
    /// The sender could not be set up (bad system id, TLS backend).
    Config(String),
}

impl TransportError {
    /// A stable code, in the style of `cqdt_domain::ErrorCode`.
    pub fn code(&self) -> &'static str {
        match self {
            TransportError::MalformedHeader { .. } => "exchange.header_malformed",
            TransportError::UnknownSystem(_) => "exchange.system_unknown",
            TransportError::BadSignature => "exchange.signature_invalid",
            TransportError::StaleTimestamp { .. } => "exchange.timestamp_stale",
            TransportError::Replayed => "exchange.request_replayed",
            TransportError::Config(_) => "exchange.config_invalid",
        }
    }

    /// The HTTP status to answer with: 400 for a malformed request, 401 for failed
    /// authentication, 409 for a replay, 500 for configuration.
    pub fn http_status(&self) -> u16 {
        match self {
            TransportError::MalformedHeader { .. } => 400,
            TransportError::UnknownSystem(_)
            | TransportError::BadSignature
            | TransportError::StaleTimestamp { .. } => 401,
            TransportError::Replayed => 409,
            TransportError::Config(_) => 500,
        }
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::MalformedHeader { header, reason } => {
                write!(f, "header {header}: {reason}")
            }
            TransportError::UnknownSystem(s) => write!(f, "unknown system {s:?}"),
            TransportError::BadSignature => write!(f, "the request signature does not match"),
            TransportError::StaleTimestamp { skew_secs } => {
                write!(
                    f,
                    "timestamp {skew_secs} s away from now, outside the window"
                )
            }
            TransportError::Replayed => write!(f, "request already received"),
            TransportError::Config(e) => write!(f, "configuration: {e}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// The signing headers of one request (besides `Content-Type`, whose value is signed too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub system_id: String,
    pub timestamp: String,
    pub content_type: String,
    pub signature: String,
}

impl SignedHeaders {
    /// Header name and value pairs to put on the request, `content-type` included.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            (HEADER_SYSTEM_ID, &self.system_id),
            (HEADER_TIMESTAMP, &self.timestamp),
            ("content-type", &self.content_type),
            (HEADER_SIGNATURE, &self.signature),
        ]
    }

    /// Read the four headers from a request.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, TransportError> {
        fn get(h: &HeaderMap, name: &'static str) -> Result<String, TransportError> {
            let mut values = h.get_all(name).iter();
            let (Some(v), None) = (values.next(), values.next()) else {
                return Err(TransportError::MalformedHeader {
                    header: name,
                    reason: "missing or repeated".into(),
                });
            };
            let s = v.to_str().map_err(|_| TransportError::MalformedHeader {
                header: name,
                reason: "not visible ASCII".into(),
            })?;
            if s.is_empty() {
                return Err(TransportError::MalformedHeader {
                    header: name,
                    reason: "empty".into(),
                });
            }
            Ok(s.to_string())
        }
        Ok(SignedHeaders {
            system_id: get(headers, HEADER_SYSTEM_ID)?,
            timestamp: get(headers, HEADER_TIMESTAMP)?,
            content_type: get(headers, "content-type")?,
            signature: get(headers, HEADER_SIGNATURE)?,
        })
    }
}

/// A time as the VXP example writes it: `ddMMyyyyTHHmmss+SSSS` in Vietnam time, where `SSSS`
/// is the epoch milliseconds modulo 10 000 (so its last three digits are the milliseconds).
pub fn format_timestamp(at_us: i64) -> String {
    let ms = at_us.div_euclid(1000);
    let t = DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&vn());
    format!("{}+{:04}", t.format("%d%m%YT%H%M%S"), ms.rem_euclid(10_000))
}

/// The time of a [`format_timestamp`] string, microseconds since the epoch; `None` when it is
/// not in that format.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let (main, frac) = s.split_once('+')?;
    if main.len() != 15
        || !(1..=4).contains(&frac.len())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let naive = NaiveDateTime::parse_from_str(main, "%d%m%YT%H%M%S").ok()?;
    let local = vn().from_local_datetime(&naive).single()?;
    let millis: i64 = frac.parse::<i64>().ok()? % 1000;
    local
        .timestamp_micros()
        .checked_add(millis.checked_mul(1000)?)
}

fn mac(
    secret: &[u8],
    system_id: &str,
    timestamp: &str,
    content_type: &str,
    body: &[u8],
) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut m = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => <HmacSha256 as Mac>::new(&Default::default()),
    };
    m.update(system_id.as_bytes());
    m.update(timestamp.as_bytes());
    m.update(content_type.as_bytes());
    m.update(body);
    m
}

/// Sign a request: the headers to send with `body` (whose `Content-Type` must be exactly
/// `content_type`). `secret` is the shared secret as bytes (the example uses its UTF-8 text).
pub fn sign_request(
    system_id: &str,
    secret: &[u8],
    timestamp_us: i64,
    content_type: &str,
    body: &[u8],
) -> SignedHeaders {
    let timestamp = format_timestamp(timestamp_us);
    let tag = mac(secret, system_id, &timestamp, content_type, body)
        .finalize()
        .into_bytes();
    SignedHeaders {
        system_id: system_id.to_string(),
        timestamp,
        content_type: content_type.to_string(),
        signature: hex::encode(tag),
    }
}

/// Check a received request: headers well-formed, system known, HMAC matching (compared in
/// constant time), timestamp within `max_skew` of `now_us`. Returns the system id.
///
/// The window alone lets an exact copy through while it lasts; receivers that must refuse
/// those too pass the accepted request through a [`ReplayGuard`].
pub fn verify_request(
    headers: &HeaderMap,
    body: &[u8],
    lookup_secret: impl Fn(&str) -> Option<Vec<u8>>,
    now_us: i64,
    max_skew: Duration,
) -> Result<String, TransportError> {
    let h = SignedHeaders::from_headers(headers)?;
    verify_signed(&h, body, lookup_secret, now_us, max_skew)
}

/// [`verify_request`] on headers already read.
pub fn verify_signed(
    h: &SignedHeaders,
    body: &[u8],
    lookup_secret: impl Fn(&str) -> Option<Vec<u8>>,
    now_us: i64,
    max_skew: Duration,
) -> Result<String, TransportError> {
    if h.system_id.len() > MAX_SYSTEM_ID_LEN || h.system_id.chars().any(char::is_control) {
        return Err(TransportError::MalformedHeader {
            header: HEADER_SYSTEM_ID,
            reason: "too long or not printable".into(),
        });
    }
    let at = parse_timestamp(&h.timestamp).ok_or_else(|| TransportError::MalformedHeader {
        header: HEADER_TIMESTAMP,
        reason: "expected ddMMyyyyTHHmmss+SSSS".into(),
    })?;
    let given = match hex::decode(&h.signature) {
        Ok(b) if b.len() == 32 => b,
        _ => {
            return Err(TransportError::MalformedHeader {
                header: HEADER_SIGNATURE,
                reason: "expected 64 hex digits".into(),
            });
        }
    };
    let secret = lookup_secret(&h.system_id)
        .ok_or_else(|| TransportError::UnknownSystem(h.system_id.clone()))?;
    // `verify_slice` compares in constant time.
    mac(&secret, &h.system_id, &h.timestamp, &h.content_type, body)
        .verify_slice(&given)
        .map_err(|_| TransportError::BadSignature)?;
    let skew = at.saturating_sub(now_us);
    let max = i64::try_from(max_skew.as_micros()).unwrap_or(i64::MAX);
    if skew.unsigned_abs() > max.unsigned_abs() {
        return Err(TransportError::StaleTimestamp {
            skew_secs: skew / 1_000_000,
        });
    }
    Ok(h.system_id.clone())
}

/// Remembers accepted requests (system id + signature) for the replay window, so an exact
/// copy sent again inside the window is refused too. In memory, per node: with several nodes
/// behind a load balancer a copy reaching another node passes (the package's DocumentId must
/// then be idempotent, which it is for the document use cases).
#[derive(Debug)]
pub struct ReplayGuard {
    window_us: i64,
    seen: Mutex<HashMap<(String, String), i64>>,
}

impl ReplayGuard {
    /// Remember requests for `window` (use the `max_skew` given to [`verify_request`]).
    pub fn new(window: Duration) -> Self {
        ReplayGuard {
            window_us: i64::try_from(window.as_micros()).unwrap_or(i64::MAX / 4),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Record a verified request; [`TransportError::Replayed`] when it was seen already.
    pub fn check(&self, headers: &SignedHeaders, now_us: i64) -> Result<(), TransportError> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A request older than twice the window fails `verify_request` anyway.
        let horizon = now_us.saturating_sub(self.window_us.saturating_mul(2));
        if seen.len() > 1024 {
            seen.retain(|_, at| *at >= horizon);
        }
        let key = (
            headers.system_id.clone(),
            headers.signature.to_ascii_lowercase(),
        );
        match seen.get(&key) {
            Some(at) if *at >= horizon => Err(TransportError::Replayed),
            _ => {
                seen.insert(key, now_us);
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP sender

/// What became of one POST, for the outbox deliverer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The peer took the package (2xx).
    Delivered { status: u16 },
    /// The peer refused it and will refuse it again (4xx other than 408/425/429, a redirect,
    /// a bad URL): give up and report. `code` is the problem document's `code` when the peer
    /// answered `application/problem+json` (or any JSON with a string `code`).
    Rejected {
        status: Option<u16>,
        code: Option<String>,
        detail: String,
    },
    /// A transient failure (connection, timeout, 5xx, 408, 425, 429, stale timestamp): try
    /// again later.
    Retry { status: Option<u16>, reason: String },
}

/// Posts signed packages to peers. Cheap to clone (one connection pool).
#[derive(Clone)]
pub struct EdxmlHttpSender {
    client: reqwest::Client,
    system_id: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for EdxmlHttpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdxmlHttpSender")
            .field("system_id", &self.system_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Most of a peer's answer body that is read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

impl EdxmlHttpSender {
    /// A sender signing as `system_id` with `secret`; each request (connect + send + answer)
    /// gives up after `timeout`. TLS by rustls with the Mozilla roots; redirects are not
    /// followed.
    pub fn new(system_id: &str, secret: &[u8], timeout: Duration) -> Result<Self, TransportError> {
        if system_id.is_empty()
            || system_id.len() > MAX_SYSTEM_ID_LEN
            || !system_id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(TransportError::Config(
                "the system id must be 1–128 visible ASCII characters".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cqdt-edxml/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Config(e.to_string()))?;
        Ok(EdxmlHttpSender {
            client,
            system_id: system_id.to_string(),
            secret: secret.to_vec(),
        })
    }

    /// POST `package` (`application/xml`) to `url`, signed at `now_us`.
    pub async fn send(&self, url: &str, package: &[u8], now_us: i64) -> SendOutcome {
        let parsed = match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => {
                return SendOutcome::Rejected {
                    status: None,
                    code: Some("exchange.peer_url_invalid".into()),
                    detail: format!("not an http(s) URL: {url}"),
                };
            }
        };
        let h = sign_request(
            &self.system_id,
            &self.secret,
            now_us,
            EDXML_CONTENT_TYPE,
            package,
        );
        let mut req = self.client.post(parsed).body(package.to_vec());
        for (name, value) in h.pairs() {
            req = req.header(name, value);
        }
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return if e.is_builder() {
                    SendOutcome::Rejected {
                        status: None,
                        code: None,
                        detail: e.to_string(),
                    }
                } else {
                    SendOutcome::Retry {
                        status: None,
                        reason: describe(&e),
                    }
                };
            }
        };
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            return SendOutcome::Delivered { status };
        }
        // Read at most MAX_ANSWER_BYTES of the answer.
        let mut answer = Vec::new();
        while let Ok(Some(c)) = resp.chunk().await {
            let room = MAX_ANSWER_BYTES.saturating_sub(answer.len());
            answer.extend_from_slice(&c[..c.len().min(room)]);
            if answer.len() >= MAX_ANSWER_BYTES {
                break;
            }
        }
        let (code, detail) = problem_of(&answer);
        let transient = matches!(status, 408 | 425 | 429)
            || (500..=599).contains(&status)
            || code.as_deref() == Some("exchange.timestamp_stale");
        if transient {
            SendOutcome::Retry {
                status: Some(status),
                reason: match code {
                    Some(c) => format!("{status} {c}: {detail}"),
                    None => format!("{status}: {detail}"),
                },
            }
        } else {
            SendOutcome::Rejected {
                status: Some(status),
                code,
                detail,
            }
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut msg = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

/// The `code` and a readable detail of a peer's answer.
fn problem_of(answer: &[u8]) -> (Option<String>, String) {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(answer) {
        let code = v.get("code").and_then(|c| c.as_str()).map(str::to_string);
        let detail = ["detail", "title", "message"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|d| d.as_str()))
            .unwrap_or_default()
            .to_string();
        return (code, detail);
    }
    let text = String::from_utf8_lossy(answer);
    (None, text.chars().take(500).collect())
}

// ---------------------------------------------------------------------------------------------
// Folder exchange

/// One package found in the inbox folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Packages as files, for manual transfer (USB stick, shared folder): written to
/// `outbox_dir`, read from `inbox_dir`, handled files moved to `inbox_dir/processed/` or
/// `inbox_dir/failed/` (with `{name}.reason.txt`). Whoever drops files into the inbox should
/// write them under a name starting with `.` (or ending in `.part`/`.tmp`) and rename them
/// when complete: such names are ignored.
#[derive(Debug, Clone)]
pub struct FolderExchange {
    pub outbox_dir: PathBuf,
    pub inbox_dir: PathBuf,
    /// Larger files are not read but moved to `failed/` (default: edXML's package limit).
    pub max_package_bytes: u64,
}

/// The file name for a DocumentId: ASCII letters, digits, `.`, `-`, `_` kept, anything else
/// made `_` (runs collapsed), at most 120 characters, then, when anything was changed, `-` and
/// 8 hex digits of the id's SHA-256 so that different ids never share a file; `.edxml` added.
pub fn export_file_name(document_id: &str) -> String {
    let mut out = String::new();
    for c in document_id.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        let c = if keep { c } else { '_' };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    let mut out: String = out.trim_matches(|c| c == '.' || c == '_').to_string();
    out.truncate(120);
    if out != document_id {
        let h = Sha256::digest(document_id.as_bytes());
        let hex: String = h[..4].iter().map(|b| format!("{b:02x}")).collect();
        out = if out.is_empty() {
            format!("package-{hex}")
        } else {
            format!("{out}-{hex}")
        };
    }
    format!("{out}.edxml")
}

fn is_candidate(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.')
        && !lower.ends_with(".part")
        && !lower.ends_with(".tmp")
        && (lower.ends_with(".edxml") || lower.ends_with(".xml"))
}

impl FolderExchange {
    /// Folders as given; the size limit is [`cqdt_edxml::Limits`]' default.
    pub fn new(outbox_dir: impl Into<PathBuf>, inbox_dir: impl Into<PathBuf>) -> Self {
        FolderExchange {
            outbox_dir: outbox_dir.into(),
            inbox_dir: inbox_dir.into(),
            max_package_bytes: cqdt_edxml::Limits::default().max_package_bytes as u64,
        }
    }

    /// Write a package to the outbox as [`export_file_name`]`(document_id)`, atomically
    /// (a temporary file, fsync, rename, folder fsync); the same id again replaces the file.
    pub fn export(&self, package_bytes: &[u8], document_id: &str) -> io::Result<PathBuf> {
        if package_bytes.len() as u64 > self.max_package_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "package of {} bytes beyond the limit of {}",
                    package_bytes.len(),
                    self.max_package_bytes
                ),
            ));
        }
        fsutil::create_dir(&self.outbox_dir)?;
        let path = self.outbox_dir.join(export_file_name(document_id));
        fsutil::write_replace(&path, package_bytes)?;
        Ok(path)
    }

    fn processed_dir(&self) -> PathBuf {
        self.inbox_dir.join("processed")
    }

    fn failed_dir(&self) -> PathBuf {
        self.inbox_dir.join("failed")
    }

    /// Up to `limit` packages from the inbox, oldest name first (`.edxml` and `.xml` files).
    /// Files beyond the size limit and anything that is not a regular file are moved to
    /// `failed/` with a reason, without being read, and not returned.
    pub fn poll_inbox(&self, limit: usize) -> io::Result<Vec<InboxItem>> {
        let entries = match std::fs::read_dir(&self.inbox_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| is_candidate(n))
            .collect();
        names.sort();
        let mut items = Vec::new();
        for name in names {
            if items.len() >= limit {
                break;
            }
            let path = self.inbox_dir.join(&name);
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if !meta.file_type().is_file() {
                if !meta.file_type().is_dir() {
                    self.fail(&path, "not a regular file")?;
                }
                continue;
            }
            if meta.len() > self.max_package_bytes {
                self.fail(
                    &path,
                    &format!(
                        "{} bytes, beyond the limit of {}",
                        meta.len(),
                        self.max_package_bytes
                    ),
                )?;
                continue;
            }
            let mut bytes = Vec::new();
            let file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            // The file may have grown since: never read more than the limit.
            file.take(self.max_package_bytes.saturating_add(1))
                .read_to_end(&mut bytes)?;
            if bytes.len() as u64 > self.max_package_bytes {
                self.fail(&path, "grew beyond the size limit while being read")?;
                continue;
            }
            items.push(InboxItem { path, bytes });
        }
        Ok(items)
    }

    fn fail(&self, path: &Path, reason: &str) -> io::Result<PathBuf> {
        let dir = self.failed_dir();
        fsutil::create_dir(&dir)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "package".into());
        let moved = fsutil::move_unique(path, &dir, &name)?;
        let moved_name = moved
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(name);
        let reason_path = dir.join(format!("{moved_name}.reason.txt"));
        fsutil::write_replace(&reason_path, format!("{reason}\n").as_bytes())?;
        tracing::warn!(file = %moved.display(), reason, "edXML inbox file failed");
        Ok(moved)
    }

    /// Move a handled item out of the inbox: to `processed/`, or to `failed/` with
    /// `{name}.reason.txt` holding `Err`'s reason. A name already taken there gets `-1`, `-2` …
    /// Returns the new path.
    pub fn mark_done(&self, item: &InboxItem, result: Result<(), &str>) -> io::Result<PathBuf> {
        match result {
            Ok(()) => {
                let dir = self.processed_dir();
                fsutil::create_dir(&dir)?;
                let name = item
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "package".into());
                fsutil::move_unique(&item.path, &dir, &name)
            }
            Err(reason) => self.fail(&item.path, reason),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn timestamps_round_trip_in_vietnam_time() {
        // 2026-11-27 21:55:00.123 UTC = 28/11/2026 04:55:00 in Vietnam.
        let us = 1_795_816_500_123_000;
        let s = format_timestamp(us);
        assert_eq!(&s[..15], "28112026T045500");
        assert_eq!(s.len(), 20);
        assert!(s.ends_with("0123"), "{s}");
        assert_eq!(parse_timestamp(&s), Some(us));
        for bad in [
            "",
            "28112026T045500",
            "28112026T045500+",
            "28112026T045500+12345",
            "32112026T045500+0000",
            "28112026 045500+0000",
            "28112026T045500+00a0",
            "28112026T045500-0000",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn file_names() {
        let n = export_file_name("000.00.00.H53,2026/11/27,123/UBND-VP");
        assert!(
            n.starts_with("000.00.00.H53_2026_11_27_123_UBND-VP-"),
            "{n}"
        );
        assert!(n.ends_with(".edxml"));
        assert_ne!(n, export_file_name("000.00.00.H53,2026/11/27,123,UBND-VP"));
        assert_eq!(export_file_name("plain-id"), "plain-id.edxml");
        assert!(export_file_name("../../etc/passwd").starts_with("etc_passwd-"));
        assert!(export_file_name("///").starts_with("package-"));
        assert!(export_file_name(&"x/".repeat(500)).len() < 140);
    }
}
