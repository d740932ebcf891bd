//! edXML document exchange, wired: the platform's node that turns outbox rows into signed
//! edXML and signed edXML (from the outbox, HTTP or a folder) into arrived documents and
//! recorded statuses. See `docs/edxml-transport.md`.
//!
//! - Sending (`document.send`): the app's package ([`App::document_package`]) is mapped to a
//!   [`cqdt_edxml::Package`] ([`crate::edxml_map`]), signed (enveloped XML-DSig, RSA-SHA256)
//!   with the **sending agency's** organisation key from the [`SigningService`], and then
//!   - to an agency on the platform: handed as bytes to [`EdxmlNode::receive_package`] —
//!     the same path as a package from outside: verify against the trusted CAs, parse with
//!     [`Limits`], map back, [`App::document_receive_package`] (idempotent by DocumentId);
//!   - to a configured peer with a URL: POSTed to `{url}/packages` with the HMAC headers
//!     ([`EdxmlHttpSender`]); `Retry` is an error the outbox retries, `Rejected` a permanent
//!     failure ([`cqdt_app::outbox::permanent`]) that keeps the peer's reason;
//!   - to a peer without a URL, with an export folder: written there
//!     ([`FolderExchange::export`]).
//! - Statuses (`document.status`) become signed [`StatusMessage`]s (signed by the receiving
//!   agency) on the same paths (`{url}/status`), verified and parsed before
//!   [`App::document_record_status`].
//! - Inbound HTTP ([`EdxmlInbox`]): request HMAC ([`verify_request`], secrets of the peers'
//!   system ids) and [`ReplayGuard`], then the same receive path.
//! - Inbound folder: [`EdxmlNode::poll_folder_once`] imports packages and statuses from the
//!   inbox folder, moving each to `processed/` or `failed/` with the reason.

use crate::edxml_map;
use crate::edxml_transport::{
    DEFAULT_MAX_SKEW, EdxmlHttpSender, FolderExchange, ReplayGuard, SendOutcome, SignedHeaders,
    TransportError, verify_request,
};
use crate::signing::{SigningAgency, SigningService};
use async_trait::async_trait;
use chrono::NaiveDateTime;
use cqdt_app::documents::{EdxmlInbox, EdxmlKind, EdxmlReceipt, StatusReport};
use cqdt_app::outbox::permanent;
use cqdt_app::{App, AppError, AppResult, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::Agency;
use cqdt_domain::document::Direction;
use cqdt_domain::ids::{AgencyId, DocumentId};
use cqdt_edxml::{Limits, Package, ResponseFor, StaffInfo, StatusCode, StatusMessage};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Another document system that exchanges edXML with this one.
#[derive(Clone)]
pub struct Peer {
    /// The official identifiers (mã định danh) of the agencies the peer serves.
    pub identifiers: Vec<String>,
    /// Display name (logs, `ToPlaces` when the recipient has no name).
    pub name: String,
    /// Base URL of its edXML endpoints: packages go to `{url}/packages`, statuses to
    /// `{url}/status`. Empty: export to the folder instead.
    pub url: String,
    /// The peer's system id (in the `X-System-Id` of its requests to us).
    pub system_id: String,
    /// The secret shared with the peer (both directions).
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("identifiers", &self.identifiers)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("system_id", &self.system_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The node's settings (the server fills them from `[exchange]`).
#[derive(Debug, Clone)]
pub struct EdxmlSettings {
    /// Our system id, in the `X-System-Id` of our requests.
    pub system_id: String,
    pub peers: Vec<Peer>,
    /// Packages for peers without a URL are written here.
    pub export_dir: Option<PathBuf>,
    /// Packages and statuses dropped here are imported by the folder poller.
    pub inbox_dir: Option<PathBuf>,
    /// `PromulgationInfo/Place`.
    pub place: String,
    pub limits: Limits,
    /// HTTP timeout per request.
    pub timeout: Duration,
    /// Request timestamps further than this from now are refused (and the replay window).
    pub max_skew: Duration,
}

impl Default for EdxmlSettings {
    fn default() -> Self {
        EdxmlSettings {
            system_id: "cqdt".into(),
            peers: vec![],
            export_dir: None,
            inbox_dir: None,
            place: "Tây Ninh".into(),
            limits: Limits::default(),
            timeout: Duration::from_secs(30),
            max_skew: DEFAULT_MAX_SKEW,
        }
    }
}

/// The edXML node: signs, verifies, carries. One per process.
pub struct EdxmlNode {
    signing: Arc<SigningService>,
    settings: EdxmlSettings,
    /// One sender per peer (its secret), by peer index.
    senders: Vec<Option<EdxmlHttpSender>>,
    replay: ReplayGuard,
    folder: Option<FolderExchange>,
}

impl std::fmt::Debug for EdxmlNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdxmlNode")
            .field("settings", &self.settings)
            .finish()
    }
}

/// The stable code of an edXML error.
pub fn edxml_error(e: &cqdt_edxml::Error) -> AppError {
    use cqdt_edxml::Error as E;
    let code = match e {
        E::TooLarge { what, .. } if *what == "package" => ErrorCode::EdxmlTooLarge,
        E::NotSigned => ErrorCode::EdxmlNotSigned,
        E::DigestMismatch
        | E::SignatureInvalid
        | E::UnsupportedAlgorithm(_)
        | E::Certificate(_)
        | E::Key(_) => ErrorCode::EdxmlSignatureInvalid,
        E::UntrustedCertificate(_) => ErrorCode::EdxmlCertificateUntrusted,
        _ => ErrorCode::EdxmlMalformed,
    };
    AppError::new(code).with_detail(e.to_string())
}

/// The stable code of a refused request.
pub fn transport_error(e: &TransportError) -> AppError {
    let code = match e {
        TransportError::MalformedHeader { .. } => ErrorCode::ExchangeHeaderMalformed,
        TransportError::UnknownSystem(_) => ErrorCode::ExchangeSystemUnknown,
        TransportError::BadSignature => ErrorCode::ExchangeSignatureInvalid,
        TransportError::StaleTimestamp { .. } => ErrorCode::ExchangeTimestampStale,
        TransportError::Replayed => ErrorCode::ExchangeRequestReplayed,
        TransportError::Config(_) => ErrorCode::EdxmlUnavailable,
    };
    AppError::new(code).with_detail(e.to_string())
}

fn system_time(us: i64) -> SystemTime {
    let d = Duration::from_micros(us.unsigned_abs());
    if us >= 0 {
        SystemTime::UNIX_EPOCH + d
    } else {
        SystemTime::UNIX_EPOCH - d
    }
}

fn local_now(app: &App) -> AppResult<NaiveDateTime> {
    let at = chrono::DateTime::from_timestamp_micros(app.now_us())
        .ok_or_else(|| AppError::internal("clock out of range"))?;
    Ok(cqdt_domain::calendar::to_local(at))
}

fn blocking_failed(e: tokio::task::JoinError) -> AppError {
    AppError::internal(format!("edXML worker: {e}"))
}

fn status_code(n: u8) -> Option<StatusCode> {
    StatusCode::from_code(&n.to_string())
}

fn status_number(c: StatusCode) -> u8 {
    c.code().parse().unwrap_or(0)
}

#[derive(Debug, serde::Deserialize)]
struct SendPayload {
    document_id: DocumentId,
    recipient_agency_id: Option<AgencyId>,
    #[serde(default)]
    recipient_identifier: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct StatusPayload {
    edxml_document_id: String,
    from: String,
    #[serde(default)]
    to: Option<String>,
    status: u8,
    #[serde(default)]
    description: Option<String>,
}

impl EdxmlNode {
    pub fn new(signing: Arc<SigningService>, settings: EdxmlSettings) -> Result<Self, String> {
        let mut senders = Vec::new();
        for p in &settings.peers {
            if p.secret.is_empty() {
                return Err(format!("exchange peer {}: empty secret", p.name));
            }
            senders.push(if p.url.trim().is_empty() {
                None
            } else {
                Some(
                    EdxmlHttpSender::new(&settings.system_id, &p.secret, settings.timeout)
                        .map_err(|e| format!("exchange peer {}: {e}", p.name))?,
                )
            });
        }
        let folder = match (&settings.export_dir, &settings.inbox_dir) {
            (None, None) => None,
            (e, i) => {
                let mut f = FolderExchange::new(
                    e.clone().unwrap_or_default(),
                    i.clone().unwrap_or_default(),
                );
                f.max_package_bytes = settings.limits.max_package_bytes as u64;
                Some(f)
            }
        };
        Ok(EdxmlNode {
            replay: ReplayGuard::new(settings.max_skew),
            signing,
            settings,
            senders,
            folder,
        })
    }

    pub fn settings(&self) -> &EdxmlSettings {
        &self.settings
    }

    /// The identifiers of every configured peer (for `AppConfig::edxml_peers`).
    pub fn peer_identifiers(&self) -> Vec<String> {
        self.settings
            .peers
            .iter()
            .flat_map(|p| p.identifiers.iter().cloned())
            .collect()
    }

    fn peer_for(&self, identifier: &str) -> Option<usize> {
        self.settings
            .peers
            .iter()
            .position(|p| p.identifiers.iter().any(|i| i == identifier))
    }

    async fn agency_by_identifier(&self, app: &App, identifier: &str) -> AppResult<Option<Agency>> {
        if identifier.trim().is_empty() {
            return Ok(None);
        }
        app.store.agency_by_identifier(identifier).await
    }

    /// Sign an edXML document (package or status) with the agency's organisation key.
    async fn sign_as(&self, agency: &Agency, what: Signable) -> AppResult<Vec<u8>> {
        let service = self.signing.clone();
        let who = SigningAgency {
            id: agency.id.to_string(),
            name: agency.fields.name.clone(),
            official_id: Some(agency.fields.identifier.to_string()),
        };
        tokio::task::spawn_blocking(move || {
            let signer = service.agency_xml_signer(&who).map_err(|e| e.to_string())?;
            match what {
                Signable::Package(p) => p.to_signed_xml(signer.as_ref()),
                Signable::Status(s) => s.to_signed_xml(signer.as_ref()),
            }
            .map_err(|e| e.to_string())
        })
        .await
        .map_err(blocking_failed)?
        .map_err(|e| AppError::new(ErrorCode::DocumentSigningFailed).with_detail(e))
    }

    /// Verify the enveloped signature against the trusted CAs at the app's time; with
    /// `package`, parse it as a package within the limits (else as a status message).
    async fn verify(&self, app: &App, bytes: &[u8], package: bool) -> AppResult<Verified> {
        if bytes.len() > self.settings.limits.max_package_bytes {
            return Err(AppError::new(ErrorCode::EdxmlTooLarge));
        }
        let service = self.signing.clone();
        let limits = self.settings.limits.clone();
        let at = system_time(app.now_us());
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || -> AppResult<Verified> {
            let roots = service.trust_roots().map_err(|e| {
                AppError::new(ErrorCode::EdxmlUnavailable).with_detail(e.to_string())
            })?;
            let trusted = |v: &cqdt_edxml::Verified| -> AppResult<()> {
                if !roots.iter().any(|r| v.issued_by(r)) || !v.valid_at(at) {
                    return Err(AppError::new(ErrorCode::EdxmlCertificateUntrusted)
                        .with_detail(format!("{} is not trusted now", v.subject)));
                }
                Ok(())
            };
            if package {
                let (p, v) =
                    cqdt_edxml::verify_and_parse(&bytes, &limits).map_err(|e| edxml_error(&e))?;
                trusted(&v)?;
                Ok(Verified::Package(Box::new(p), v.subject))
            } else {
                let v = cqdt_edxml::verify(&bytes).map_err(|e| edxml_error(&e))?;
                trusted(&v)?;
                let s = StatusMessage::from_xml(&bytes).map_err(|e| edxml_error(&e))?;
                Ok(Verified::Status(Box::new(s), v.subject))
            }
        })
        .await
        .map_err(blocking_failed)?
    }

    /// A sender on the platform must have signed with its own organisation certificate (whose
    /// subject carries its identifier): a trusted certificate of another agency is refused.
    async fn check_signer(&self, app: &App, from: &str, subject: &str) -> AppResult<()> {
        if self.agency_by_identifier(app, from).await?.is_some() && !subject.contains(from) {
            return Err(AppError::new(ErrorCode::EdxmlSignatureInvalid)
                .with_detail(format!("{from} is named as sender but {subject} signed")));
        }
        Ok(())
    }

    /// Verify, parse and register a signed package for every `To` agency on the platform.
    /// Idempotent by DocumentId.
    pub async fn receive_package(
        &self,
        app: &App,
        bytes: &[u8],
        system_id: Option<String>,
    ) -> AppResult<EdxmlReceipt> {
        let Verified::Package(pkg, subject) = self.verify(app, bytes, true).await? else {
            return Err(AppError::internal("expected a package"));
        };
        let from = pkg.header.from.organ_id.clone();
        self.check_signer(app, &from, &subject).await?;
        let ctx = Ctx::cli();
        let eid = edxml_map::target_document_id(&pkg);
        // The sender's document, when the sender is on the platform.
        let sender_doc = match self.agency_by_identifier(app, &from).await? {
            Some(a) => app
                .store
                .document_by_edxml(Direction::Outgoing, Some(a.id), &eid)
                .await?
                .map(|d| d.id),
            None => None,
        };
        let mut first: Option<EdxmlReceipt> = None;
        for to in &pkg.header.to {
            let Some(agency) = self.agency_by_identifier(app, &to.organ_id).await? else {
                continue;
            };
            let rp = edxml_map::from_package(&pkg, agency.id, sender_doc);
            // A new document delivered again; follow-ups (revoke, update, replace) report what
            // they did on the copy instead.
            let duplicate = rp.business == cqdt_app::documents::PackageBusiness::New
                && app
                    .store
                    .document_by_edxml(Direction::Incoming, Some(agency.id), &eid)
                    .await?
                    .is_some();
            let rec = app.document_receive_package(&ctx, rp).await?;
            first.get_or_insert(EdxmlReceipt {
                kind: EdxmlKind::Package,
                document_id: rec.id,
                agency_id: agency.id,
                edxml_document_id: eid.clone(),
                duplicate,
                system_id: system_id.clone(),
            });
        }
        first.ok_or_else(|| {
            AppError::new(ErrorCode::EdxmlRecipientUnknown).with_detail(
                pkg.header
                    .to
                    .iter()
                    .map(|o| o.organ_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
    }

    /// Verify, parse and record a signed status message on the sender's document.
    pub async fn receive_status(
        &self,
        app: &App,
        bytes: &[u8],
        system_id: Option<String>,
    ) -> AppResult<EdxmlReceipt> {
        let Verified::Status(st, subject) = self.verify(app, bytes, false).await? else {
            return Err(AppError::internal("expected a status message"));
        };
        self.check_signer(app, &st.from.organ_id, &subject).await?;
        let eid = st.response_for.document_id.clone();
        let code = status_number(st.status_code);
        let rec = app
            .document_record_status(
                &Ctx::cli(),
                StatusReport {
                    edxml_document_id: eid.clone(),
                    source_document_id: None,
                    from: st.from.organ_id.clone(),
                    to: Some(st.response_for.organ_id.clone()).filter(|t| !t.trim().is_empty()),
                    code,
                    description: Some(st.description.clone()).filter(|d| !d.trim().is_empty()),
                },
            )
            .await
            .map_err(|e| {
                if e.code == ErrorCode::DocumentNotFound {
                    AppError::new(ErrorCode::EdxmlDocumentUnknown).with_detail(eid.clone())
                } else {
                    e
                }
            })?;
        Ok(EdxmlReceipt {
            kind: EdxmlKind::Status,
            document_id: rec.id,
            agency_id: rec.agency_id,
            edxml_document_id: eid,
            duplicate: false,
            system_id,
        })
    }

    /// Carry signed bytes to a peer: POST to `{url}/{path}`, else export to the folder.
    async fn to_peer(
        &self,
        app: &App,
        peer: usize,
        path: &str,
        bytes: &[u8],
        file_id: &str,
    ) -> Result<(), String> {
        let p = &self.settings.peers[peer];
        if let Some(Some(sender)) = self.senders.get(peer) {
            let url = format!("{}/{path}", p.url.trim_end_matches('/'));
            let now = app.now_us();
            return match sender.send(&url, bytes, now).await {
                SendOutcome::Delivered { .. } => Ok(()),
                SendOutcome::Retry { status, reason } => {
                    Err(format!("{} ({url}): {reason} [{status:?}]", p.name))
                }
                SendOutcome::Rejected {
                    status,
                    code,
                    detail,
                } => Err(permanent(format!(
                    "{} ({url}) refused the package: {} {detail} [{status:?}]",
                    p.name,
                    code.unwrap_or_default()
                ))),
            };
        }
        match &self.folder {
            Some(f) if self.settings.export_dir.is_some() => {
                let f = f.clone();
                let bytes = bytes.to_vec();
                let id = file_id.to_string();
                tokio::task::spawn_blocking(move || f.export(&bytes, &id))
                    .await
                    .map_err(|e| e.to_string())?
                    .map(|path| tracing::info!(path = %path.display(), "edXML exported"))
                    .map_err(|e| format!("export: {e}"))
            }
            _ => Err(permanent(format!(
                "peer {} has no URL and no export folder is configured",
                p.name
            ))),
        }
    }

    /// Deliver a `document.send` row.
    pub async fn deliver_send(&self, app: &App, payload: &str) -> Result<(), String> {
        let p: SendPayload =
            serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
        let (bytes, eid, peer) = self.signed_package(app, &p).await?;
        match peer {
            None => self
                .receive_package(app, &bytes, None)
                .await
                .map(|_| ())
                .map_err(|e| format!("receive: {e}")),
            Some(peer) => self.to_peer(app, peer, "packages", &bytes, &eid).await,
        }
    }

    /// The signed edXML package of an issued document for one recipient on the platform, as
    /// the sender writes it (for tools and tests).
    pub async fn package_for_agency(
        &self,
        app: &App,
        document_id: DocumentId,
        recipient: AgencyId,
    ) -> Result<Vec<u8>, String> {
        let p = SendPayload {
            document_id,
            recipient_agency_id: Some(recipient),
            recipient_identifier: None,
        };
        Ok(self.signed_package(app, &p).await?.0)
    }

    /// The signed package, its DocumentId and the peer it goes to (none: on the platform).
    async fn signed_package(
        &self,
        app: &App,
        p: &SendPayload,
    ) -> Result<(Vec<u8>, String, Option<usize>), String> {
        let ctx = Ctx::cli();
        let now = local_now(app).map_err(|e| e.to_string())?;
        let (rp, to, peer) = match (p.recipient_agency_id, &p.recipient_identifier) {
            (Some(recipient), _) => {
                let rp = app
                    .document_package(&ctx, p.document_id, recipient)
                    .await
                    .map_err(|e| format!("package: {e}"))?;
                let to = app
                    .store
                    .agency_get(recipient)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("the recipient agency is gone")?;
                (
                    rp,
                    edxml_map::organization(to.fields.identifier.as_str(), &to.fields.name),
                    None,
                )
            }
            (None, Some(identifier)) => {
                let Some(peer) = self.peer_for(identifier) else {
                    return Err(format!(
                        "recipient {identifier} is outside the platform and no edXML peer serves it"
                    ));
                };
                let rp = app
                    .document_package_external(&ctx, p.document_id, identifier)
                    .await
                    .map_err(|e| format!("package: {e}"))?;
                let name = self.settings.peers[peer].name.clone();
                (rp, edxml_map::organization(identifier, &name), Some(peer))
            }
            (None, None) => return Err(permanent("a send row without a recipient")),
        };
        let sender = self
            .agency_by_identifier(app, &rp.from_identifier)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the sending agency is gone")?;
        let package = edxml_map::to_package(&rp, to, &self.settings.place, now);
        let eid = package.header.document_id.clone();
        let bytes = self
            .sign_as(&sender, Signable::Package(Box::new(package)))
            .await
            .map_err(|e| format!("sign: {e}"))?;
        Ok((bytes, eid, peer))
    }

    /// Deliver a `document.status` row.
    pub async fn deliver_status(&self, app: &App, payload: &str) -> Result<(), String> {
        let p: StatusPayload =
            serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
        let code =
            status_code(p.status).ok_or_else(|| permanent(format!("status {}", p.status)))?;
        let receiver = self
            .agency_by_identifier(app, &p.from)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the receiving agency is gone")?;
        let now = local_now(app).map_err(|e| e.to_string())?;
        let (date, code_text) = edxml_map::id_parts(&p.edxml_document_id)
            .unwrap_or_else(|| (now.date(), String::new()));
        let to = p.to.clone().unwrap_or_default();
        let msg = StatusMessage {
            from: edxml_map::organization(&p.from, &receiver.fields.name),
            response_for: ResponseFor {
                organ_id: to.clone(),
                code: code_text,
                promulgation_date: date,
                document_id: p.edxml_document_id.clone(),
            },
            staff_info: StaffInfo {
                department: receiver.fields.name.clone(),
                ..StaffInfo::default()
            },
            status_code: code,
            description: p
                .description
                .clone()
                .unwrap_or_else(|| code.description_vi().to_string()),
            timestamp: now,
        };
        let bytes = self
            .sign_as(&receiver, Signable::Status(Box::new(msg)))
            .await
            .map_err(|e| format!("sign: {e}"))?;
        match self.peer_for(&to) {
            Some(peer)
                if self
                    .agency_by_identifier(app, &to)
                    .await
                    .ok()
                    .flatten()
                    .is_none() =>
            {
                let id = format!("{}-status-{}", p.edxml_document_id, code.code());
                self.to_peer(app, peer, "status", &bytes, &id).await
            }
            _ => self
                .receive_status(app, &bytes, None)
                .await
                .map(|_| ())
                .map_err(|e| format!("status: {e}")),
        }
    }

    /// Import what is in the inbox folder (at most `limit` files): each package or status is
    /// verified and registered, then moved to `processed/`, or to `failed/` with the reason.
    /// Returns (imported, failed). Nothing to do without an inbox folder.
    pub async fn poll_folder_once(
        &self,
        app: &App,
        limit: usize,
    ) -> std::io::Result<(usize, usize)> {
        let Some(folder) = self
            .folder
            .clone()
            .filter(|_| self.settings.inbox_dir.is_some())
        else {
            return Ok((0, 0));
        };
        let f = folder.clone();
        let items = tokio::task::spawn_blocking(move || f.poll_inbox(limit))
            .await
            .map_err(std::io::Error::other)??;
        let (mut ok, mut failed) = (0, 0);
        for item in items {
            let status = looks_like_status(&item.bytes);
            let result = if status {
                self.receive_status(app, &item.bytes, None).await
            } else {
                self.receive_package(app, &item.bytes, None).await
            };
            let reason = result.as_ref().err().map(|e| {
                format!(
                    "{}: {}",
                    e.code.as_str(),
                    e.detail.clone().unwrap_or_default()
                )
            });
            match &reason {
                None => ok += 1,
                Some(r) => {
                    tracing::warn!(path = %item.path.display(), reason = %r, "edXML import failed");
                    failed += 1;
                }
            }
            let f = folder.clone();
            tokio::task::spawn_blocking(move || {
                f.mark_done(&item, reason.as_deref().map_or(Ok(()), Err))
            })
            .await
            .map_err(std::io::Error::other)??;
        }
        Ok((ok, failed))
    }
}

/// A status message has `StatusCode` and no body; a package has `edXMLBody`.
fn looks_like_status(bytes: &[u8]) -> bool {
    let has = |n: &[u8]| bytes.windows(n.len()).any(|w| w == n);
    has(b"StatusCode>") && !has(b"edXMLBody")
}

enum Signable {
    Package(Box<Package>),
    Status(Box<StatusMessage>),
}

enum Verified {
    Package(Box<Package>, String),
    Status(Box<StatusMessage>, String),
}

#[async_trait]
impl EdxmlInbox for EdxmlNode {
    async fn receive(
        &self,
        app: &App,
        kind: EdxmlKind,
        headers: &[(String, String)],
        body: &[u8],
    ) -> AppResult<EdxmlReceipt> {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.as_bytes()),
                reqwest::header::HeaderValue::from_str(v),
            ) {
                map.append(k, v);
            }
        }
        let secrets: HashMap<&str, &[u8]> = self
            .settings
            .peers
            .iter()
            .map(|p| (p.system_id.as_str(), p.secret.as_slice()))
            .collect();
        // An unknown system is told so (401) before the other headers' formats are looked at:
        // a stranger learns nothing more, and a request the OpenAPI document allows is never
        // refused as malformed only because its timestamp or signature is not ours.
        let claimed = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(crate::edxml_transport::HEADER_SYSTEM_ID))
            .map(|(_, v)| v.as_str());
        if let Some(id) = claimed
            && !secrets.contains_key(id)
        {
            return Err(transport_error(&TransportError::UnknownSystem(
                id.chars().take(64).collect(),
            )));
        }
        let now = app.now_us();
        let system = verify_request(
            &map,
            body,
            |id| secrets.get(id).map(|s| s.to_vec()),
            now,
            self.settings.max_skew,
        )
        .map_err(|e| transport_error(&e))?;
        let signed = SignedHeaders::from_headers(&map).map_err(|e| transport_error(&e))?;
        self.replay
            .check(&signed, now)
            .map_err(|e| transport_error(&e))?;
        match kind {
            EdxmlKind::Package => self.receive_package(app, body, Some(system)).await,
            EdxmlKind::Status => self.receive_status(app, body, Some(system)).await,
        }
    }
}
