//! Use cases of cqdt. Loads state through the [`store::Store`] port, asks the domain's policy
//! function, applies the domain rules and saves the result together with its audit entry in
//! one transaction.
//!
//! Architecture invariant: no HTTP or SQL types here; outside effects go through ports
//! (`Store`, `Clock`, `Ids`) that tests replace with fakes.

pub mod accounts;
pub mod agencies;
pub mod apikeys;
pub mod audit;
pub mod calendar;
pub mod demo;
pub mod documents;
pub mod dossiers;
pub mod error;
pub mod files;
pub mod outbox;
pub mod ports;
pub mod procedures;
pub mod slips;
pub mod store;

use std::sync::Arc;

pub use error::{AppError, AppResult, LineError};
pub use ports::{
    BlobStore, Clock, Ids, MemoryBlobs, NoScan, ScanVerdict, Scanner, SystemClock, SystemIds,
};
pub use store::Store;

use cqdt_domain::policy::{Action, Actor, Decision, Target};

/// Tunables of the application layer (from the configuration file).
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Idle session lifetime.
    pub session_idle_secs: i64,
    /// Absolute session lifetime.
    pub session_max_secs: i64,
    /// Failed logins per account within the window before the account is throttled.
    pub login_max_failures_account: i64,
    /// Failed logins per remote address within the window before the address is throttled.
    pub login_max_failures_address: i64,
    pub login_window_secs: i64,
    pub password_min_len: usize,
    /// Upload limits (per file, per dossier).
    pub file_limits: cqdt_domain::files::FileLimits,
    /// Official identifiers of agencies outside the platform that receive documents over edXML
    /// (the server fills it from `[exchange] peers`): issuing queues a `document.send` for
    /// such a recipient too.
    pub edxml_peers: Vec<String>,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            session_idle_secs: 8 * 3600,
            session_max_secs: 24 * 3600,
            login_max_failures_account: 5,
            login_max_failures_address: 20,
            login_window_secs: 15 * 60,
            password_min_len: 8,
            file_limits: Default::default(),
            edxml_peers: Vec::new(),
        }
    }
}

/// The application: ports plus configuration. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
    pub config: Arc<AppConfig>,
    /// The working calendar in effect, cached (see [`calendar`]); `Default::default()` starts
    /// empty and loads on first use.
    pub calendar: Arc<calendar::CalendarCache>,
    /// Where file bytes go. `App::new` starts with memory blobs; the server puts the files
    /// folder here (`with_files`).
    pub blobs: Arc<dyn BlobStore>,
    /// The virus-scan hook.
    pub scanner: Arc<dyn Scanner>,
    /// Signatures on issued documents (the signer's and the agency's). `App::new` starts with
    /// [`documents::UnavailableSigner`], which refuses; the server puts the platform's signing
    /// service here (`with_signer`), tests a fake.
    pub signer: Arc<dyn documents::DocumentSigner>,
    /// Reads the text of documents' files for search. `App::new` starts with
    /// [`documents::NoText`]; the server puts the PDF reader here (`with_text_extractor`).
    pub text: Arc<dyn documents::TextExtractor>,
    /// Packages and statuses posted by other systems (`/api/v1/edxml/…`). `App::new` starts
    /// with [`documents::UnavailableEdxmlInbox`]; the server puts `cqdt-exchange`'s edXML node
    /// here (`with_edxml_inbox`).
    pub edxml_inbox: Arc<dyn documents::EdxmlInbox>,
}

/// Who asks, and from where: passed to every use case.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    /// `user:<uuid>`, `key:<uuid>`, `cli`, `system`, `anonymous`.
    pub actor_ref: String,
    pub ip: Option<String>,
}

impl Ctx {
    pub fn cli() -> Self {
        Ctx {
            actor: Actor::System {
                scopes: vec![],
                agency: None,
            },
            actor_ref: "cli".into(),
            ip: None,
        }
    }
    pub fn anonymous(ip: Option<String>) -> Self {
        Ctx {
            actor: Actor::Anonymous,
            actor_ref: "anonymous".into(),
            ip,
        }
    }
    pub fn is_cli(&self) -> bool {
        self.actor_ref == "cli"
    }
}

impl App {
    pub fn new(store: Arc<dyn Store>, config: AppConfig) -> Self {
        App {
            store,
            clock: Arc::new(SystemClock),
            ids: Arc::new(SystemIds),
            config: Arc::new(config),
            calendar: Arc::default(),
            blobs: Arc::new(MemoryBlobs::default()),
            scanner: Arc::new(NoScan),
            signer: Arc::new(documents::UnavailableSigner),
            text: Arc::new(documents::NoText),
            edxml_inbox: Arc::new(documents::UnavailableEdxmlInbox),
        }
    }

    /// The same application with this reader of files' text (for document search).
    pub fn with_text_extractor(mut self, text: Arc<dyn documents::TextExtractor>) -> Self {
        self.text = text;
        self
    }

    /// The same application with this inbound edXML handler.
    pub fn with_edxml_inbox(mut self, inbox: Arc<dyn documents::EdxmlInbox>) -> Self {
        self.edxml_inbox = inbox;
        self
    }

    /// The same application with this document signer.
    pub fn with_signer(mut self, signer: Arc<dyn documents::DocumentSigner>) -> Self {
        self.signer = signer;
        self
    }

    /// The same application with these file bytes storage and scanner.
    pub fn with_files(mut self, blobs: Arc<dyn BlobStore>, scanner: Arc<dyn Scanner>) -> Self {
        self.blobs = blobs;
        self.scanner = scanner;
        self
    }

    /// Ask the policy; the command line (operator on the machine) may do everything.
    pub fn authorize(&self, ctx: &Ctx, action: Action, target: Target<'_>) -> AppResult<()> {
        if ctx.is_cli() {
            return Ok(());
        }
        match cqdt_domain::policy::decide(&ctx.actor, action, target) {
            Decision::Allow => Ok(()),
            Decision::NeedLogin => Err(AppError::new(cqdt_domain::ErrorCode::Unauthenticated)),
            Decision::Deny => Err(AppError::new(cqdt_domain::ErrorCode::Forbidden)),
        }
    }

    pub fn now_us(&self) -> i64 {
        self.clock.now_us()
    }
}
