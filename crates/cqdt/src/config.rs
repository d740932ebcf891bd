//! The one typed configuration: defaults in code, then `cqdt.toml`, then `CQDT__…`
//! environment variables (`CQDT__DATABASE__URL` sets `database.url`). Unknown keys are
//! rejected with their name; secrets are redacted in Debug output and logs.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A value that must not appear in logs.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
#[derive(Default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub notifications: NotificationsConfig,
    pub files: FilesConfig,
    pub signing: SigningConfig,
    pub exchange: ExchangeConfig,
    pub log: LogConfig,
}

/// Electronic document exchange (edXML, QCVN 102:2016) with document systems outside the
/// platform. Agencies on the platform exchange signed edXML among themselves without any of
/// this; peers, folders and the system id concern the outside world.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangeConfig {
    /// This system's id in the `X-System-Id` header of the requests it sends.
    pub system_id: String,
    /// `PromulgationInfo/Place` of the packages sent.
    pub place: String,
    /// Packages for peers without a URL are written to this folder ("" : none).
    pub export_dir: String,
    /// Packages and status messages dropped in this folder are imported ("": no poller);
    /// handled files move to `processed/` or `failed/` (with the reason).
    pub inbox_dir: String,
    /// How often the inbox folder is read, in milliseconds.
    pub poll_interval_ms: u64,
    /// Timeout of one HTTP request to a peer, in seconds.
    pub timeout_secs: u64,
    pub peers: Vec<ExchangePeer>,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        ExchangeConfig {
            system_id: "cqdt-tayninh".into(),
            place: "Tây Ninh".into(),
            export_dir: String::new(),
            inbox_dir: String::new(),
            poll_interval_ms: 5000,
            timeout_secs: 30,
            peers: Vec::new(),
        }
    }
}

/// Another document system.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangePeer {
    /// Name, for logs and the package's `ToPlaces`.
    pub name: String,
    /// Official identifiers (mã định danh) of the agencies it serves: documents issued to
    /// them go to this peer.
    pub identifiers: Vec<String>,
    /// Base URL of its edXML endpoints (`{url}/packages`, `{url}/status`); "": export to
    /// `export_dir` instead.
    pub url: String,
    /// The peer's system id (the `X-System-Id` of its requests to us).
    pub system_id: String,
    /// The secret shared with the peer (HMAC of requests both ways).
    pub secret: Secret,
}

/// Digital signatures on issued documents: where the keys and certificates are kept.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SigningConfig {
    /// Folder of the provincial test CA, the persons' and agencies' keys (PKCS#12) and extra
    /// trusted roots (`trust/`). Empty: `keys` beside the SQLite database, or `data/keys` with
    /// PostgreSQL. Back it up; keep it readable by the service only.
    pub keys_dir: String,
    /// Passphrase of the PKCS#12 files. Empty: the demo passphrase (only acceptable with the
    /// demo's test certificates, which carry no legal value).
    pub passphrase: Secret,
}

/// Uploaded files: where the bytes go, how big they may be, and the virus-scan hook.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// Folder of the files' bytes (by SHA-256). Back it up together with the database. Empty:
    /// `files` beside the SQLite database, or `data/files` with PostgreSQL.
    pub dir: String,
    pub max_file_bytes: u64,
    pub max_dossier_bytes: u64,
    pub max_files: u32,
    /// A command that reads one file on its standard input and exits 0 when clean, 1 when
    /// infected (printing what it found); any other outcome refuses the upload. Empty: no scan.
    pub scan_command: Vec<String>,
}

impl Default for FilesConfig {
    fn default() -> Self {
        let l = cqdt_domain::files::FileLimits::default();
        FilesConfig {
            dir: String::new(),
            max_file_bytes: l.max_file_bytes,
            max_dossier_bytes: l.max_dossier_bytes,
            max_files: l.max_files,
            scan_command: Vec::new(),
        }
    }
}

impl FilesConfig {
    pub fn limits(&self) -> cqdt_domain::files::FileLimits {
        cqdt_domain::files::FileLimits {
            max_file_bytes: self.max_file_bytes,
            max_dossier_bytes: self.max_dossier_bytes,
            max_files: self.max_files,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    /// Deliver the outbox from this process.
    pub dispatch: bool,
    /// How often the dispatcher looks for due messages, in milliseconds.
    pub dispatch_interval_ms: u64,
    /// `smtp://host:port`; empty: e-mails go to the table administrators read.
    pub smtp_url: String,
    /// Sender of e-mails.
    pub from: String,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig {
            dispatch: true,
            dispatch_interval_ms: 1000,
            smtp_url: String::new(),
            from: "Chính quyền điện tử tỉnh Tây Ninh <noreply@tayninh.gov.vn>".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    /// Prometheus metrics on their own listener; empty to disable.
    pub metrics_listen: String,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub body_limit_bytes: usize,
    pub upload_limit_bytes: usize,
    pub shutdown_grace_secs: u64,
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://data/cqdt.sqlite` or `postgres://user:password@host/db`.
    pub url: Secret,
    pub max_connections: u32,
    /// `full` (default, survives a power cut) or `normal`.
    pub sqlite_durability: cqdt_store::Durability,
    /// Group commit: at most this many dossier creations per transaction (1 turns it off).
    pub group_commit: usize,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url.0))
            .field("max_connections", &self.max_connections)
            .field("sqlite_durability", &self.sqlite_durability)
            .field("group_commit", &self.group_commit)
            .finish()
    }
}

/// The URL with any password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:[redacted]{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub session_idle_secs: i64,
    pub session_max_secs: i64,
    pub login_max_failures_account: i64,
    pub login_max_failures_address: i64,
    pub login_window_secs: i64,
    pub password_min_len: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`
    pub format: String,
    /// e.g. `info`, `cqdt=debug,info`
    pub level: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            metrics_listen: "127.0.0.1:9464".into(),
            secure_cookies: false,
            trust_proxy: false,
            body_limit_bytes: 1 << 20,
            upload_limit_bytes: 110 << 20,
            shutdown_grace_secs: 30,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: Secret("sqlite://data/cqdt.sqlite".into()),
            max_connections: 8,
            sqlite_durability: Default::default(),
            group_commit: cqdt_store::DEFAULT_GROUP_COMMIT,
        }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let a = cqdt_app::AppConfig::default();
        SecurityConfig {
            argon2_memory_kib: a.argon2_memory_kib,
            argon2_iterations: a.argon2_iterations,
            session_idle_secs: a.session_idle_secs,
            session_max_secs: a.session_max_secs,
            login_max_failures_account: a.login_max_failures_account,
            login_max_failures_address: a.login_max_failures_address,
            login_window_secs: a.login_window_secs,
            password_min_len: a.password_min_len,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

impl SecurityConfig {
    pub fn app_config(&self) -> cqdt_app::AppConfig {
        cqdt_app::AppConfig {
            argon2_memory_kib: self.argon2_memory_kib,
            argon2_iterations: self.argon2_iterations,
            session_idle_secs: self.session_idle_secs,
            session_max_secs: self.session_max_secs,
            login_max_failures_account: self.login_max_failures_account,
            login_max_failures_address: self.login_max_failures_address,
            login_window_secs: self.login_window_secs,
            password_min_len: self.password_min_len,
            file_limits: Default::default(),
            edxml_peers: Vec::new(),
        }
    }
}

/// Where the configuration came from: `zero_config` is true when no file and no `CQDT__`
/// variable was given (the demo case).
pub struct Loaded {
    pub config: Config,
    pub zero_config: bool,
}

fn has_env(env: &[(String, String)]) -> bool {
    env.iter().any(|(k, _)| k.starts_with("CQDT__"))
}

/// Load from defaults, the file (if it exists, or if named explicitly), and the environment.
pub fn load(file: Option<&Path>) -> Result<Loaded, String> {
    let default_path = Path::new("cqdt.toml");
    let (path, explicit) = match file {
        Some(p) => (p, true),
        None => (default_path, false),
    };
    if explicit && !path.exists() {
        return Err(format!(
            "không tìm thấy tệp cấu hình {} (configuration file not found)",
            path.display()
        ));
    }
    let env: Vec<(String, String)> = std::env::vars().collect();
    let zero_config = !path.exists() && !has_env(&env);
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    if path.exists() {
        fig = fig.merge(Toml::file(path));
    }
    fig = fig.merge(Env::prefixed("CQDT__").split("__"));
    let config: Config = fig
        .extract()
        .map_err(|e| format!("cấu hình không hợp lệ (invalid configuration): {e}"))?;
    Ok(Loaded {
        config,
        zero_config,
    })
}

/// Parse a TOML text on top of the defaults (used by tests and `config example`).
pub fn from_toml(text: &str) -> Result<Config, String> {
    Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::string(text))
        .extract()
        .map_err(|e| e.to_string())
}

/// The commented example `cqdt config example` prints.
pub const EXAMPLE: &str = r#"# cqdt.toml — configuration of cqdt (Chính quyền điện tử).
# Every key may also be set as an environment variable: CQDT__SECTION__KEY,
# e.g. CQDT__DATABASE__URL=postgres://cqdt@db/cqdt. Unknown keys are refused.
# With a configuration file present, no demo data is loaded: create the first
# administrator with `cqdt users create --admin --email … --name …`.

[server]
# Address of the web server (pages and /api/v1).
listen = "127.0.0.1:8080"
# Prometheus metrics on a separate listener; "" disables it.
metrics_listen = "127.0.0.1:9464"
# Set true behind https so cookies carry the Secure flag.
secure_cookies = false
# Take the client address from X-Forwarded-For (only behind a trusted proxy).
trust_proxy = false
# Largest ordinary request body, and largest upload request (imports, a dossier's files), in
# bytes.
body_limit_bytes = 1048576
upload_limit_bytes = 115343360
# Seconds in-flight requests get to finish on shutdown.
shutdown_grace_secs = 30

[database]
# SQLite file (default) or PostgreSQL: "postgres://user:password@host:5432/cqdt".
url = "sqlite://data/cqdt.sqlite"
max_connections = 8
# SQLite only: "full" (default) survives a power cut; "normal" is faster but may lose the
# last transactions on a power cut (never corrupts the file).
sqlite_durability = "full"
# Group commit: online submissions and desk receptions that arrive together are committed in
# one transaction (one audit-head update, one fsync), at most this many; each caller is
# answered after the commit. 1 gives every dossier its own transaction.
group_commit = 64

[security]
# argon2id cost: memory in KiB and passes (OWASP: 19456 KiB, 2 passes).
argon2_memory_kib = 19456
argon2_iterations = 2
# Session lifetime: idle and absolute, in seconds.
session_idle_secs = 28800
session_max_secs = 86400
# Failed logins allowed in the window before an account or an address is throttled.
login_max_failures_account = 5
login_max_failures_address = 20
login_window_secs = 900
password_min_len = 8

[notifications]
# Deliver the outbox (e-mail, SMS) from this process; with several nodes any may do it.
dispatch = true
dispatch_interval_ms = 1000
# "smtp://host:port" of the mail relay; empty: e-mails are kept in the outgoing-messages table.
smtp_url = ""
from = "Chính quyền điện tử tỉnh Tây Ninh <noreply@tayninh.gov.vn>"

[files]
# Folder of uploaded files, stored once by their SHA-256. Back it up with the database.
# "" (default): "files" beside the SQLite database, or "data/files" with PostgreSQL.
dir = ""
# Largest file, largest total of one dossier, most files of one dossier.
max_file_bytes = 20971520
max_dossier_bytes = 104857600
max_files = 50
# Virus-scan hook: a command that reads one file on stdin and exits 0 when clean, 1 when
# infected; anything else refuses the upload. Empty: no scan. For ClamAV:
# scan_command = ["clamdscan", "--no-summary", "--stdout", "-"]
scan_command = []

[signing]
# Keys of the signers and agencies (PKCS#12) and the provincial test CA, and trust/ for extra
# trusted root certificates. "" (default): "keys" beside the SQLite database, or "data/keys"
# with PostgreSQL. Back it up; only the service should read it.
keys_dir = ""
# Passphrase of the key files; set it in production (CQDT__SIGNING__PASSPHRASE).
passphrase = ""

[exchange]
# Electronic document exchange (edXML) with document systems outside the platform (agencies on
# the platform exchange signed edXML among themselves without any of this).
# This system's id in the X-System-Id header of the requests it sends.
system_id = "cqdt-tayninh"
# PromulgationInfo/Place of the packages sent.
place = "Tây Ninh"
# Packages for peers without a URL are written here ("": none).
export_dir = ""
# Packages and status messages dropped here are imported every poll_interval_ms ("": no poller).
inbox_dir = ""
poll_interval_ms = 5000
timeout_secs = 30
# One [[exchange.peers]] per system, e.g.:
# [[exchange.peers]]
# name = "Trục liên thông văn bản quốc gia"
# identifiers = ["000.00.00.G16"]
# url = "https://peer.example.gov.vn/api/v1/edxml"   # "" : export to export_dir
# system_id = "peer-system"                         # the X-System-Id of its requests
# secret = "…"                                      # shared; CQDT__EXCHANGE__… is awkward for lists
peers = []

[log]
# "text" or "json" (one JSON object a line).
format = "text"
level = "info"
"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn example_loads_back_to_the_defaults() {
        assert_eq!(from_toml(EXAMPLE).unwrap(), Config::default());
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = from_toml("[database]\nurll = \"x\"\n").unwrap_err();
        assert!(e.contains("urll"), "{e}");
        let e = from_toml("[serverr]\n").unwrap_err();
        assert!(e.contains("serverr"), "{e}");
    }

    #[test]
    fn exchange_peers_load_and_their_secrets_are_redacted() {
        let c = from_toml(
            "[exchange]\ninbox_dir = \"/srv/inbox\"\n[[exchange.peers]]\nname = \"Bộ Y tế\"\nidentifiers = [\"000.00.00.G16\"]\nurl = \"https://x.example/api/v1/edxml\"\nsystem_id = \"byt\"\nsecret = \"b1m4t\"\n",
        )
        .unwrap();
        assert_eq!(c.exchange.peers.len(), 1);
        assert_eq!(c.exchange.peers[0].identifiers, vec!["000.00.00.G16"]);
        assert_eq!(c.exchange.inbox_dir, "/srv/inbox");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("b1m4t"), "{dbg}");
        assert!(from_toml("[[exchange.peers]]\nsecrett = \"x\"\n").is_err());
    }

    #[test]
    fn secrets_are_redacted() {
        let mut c = Config::default();
        c.database.url = Secret("postgres://cqdt:s3cr3t@db:5432/cqdt".into());
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("s3cr3t"), "{dbg}");
        assert!(
            dbg.contains("postgres://cqdt:[redacted]@db:5432/cqdt"),
            "{dbg}"
        );
    }
}
