//! Document use cases (issue 5): incoming documents (paper registration with scans, electronic
//! packages arriving in the inbox, refusal, assignment, handling), outgoing documents (draft,
//! review, send-back, signature, issue with number and agency signature, delivery over the
//! exchange through the outbox), receivers' statuses, registers, the overdue list, search and
//! figures. See `docs/documents.md`.
//!
//! Every change: load, authorize on the document's agency path (`App::authorize`), apply the
//! domain command with the time of `app.now_us()`, then save state + events + files + search
//! terms + audit entry + outbox in one transaction with a version check (`DocumentStore`).
//!
//! Who does what: the clerk (`RegisterDocument`) registers, refuses and issues; a leader
//! (`Approve`) assigns, sends back, passes to signature and signs; specialists and leaders
//! (`HandleDocument`) draft and handle; `ViewDocuments` reads.

pub mod inbox;
pub mod signer;
pub mod store;
pub mod text;

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyKind};
use cqdt_domain::calendar::to_local;
use cqdt_domain::document::{
    Arrival, Command, Direction, DocState, Document, DocumentEvent, DocumentFields, DocumentTypes,
    DocumentUpdate, EdxmlStatus, EventKind, Handling, InChannel, IncomingData, IssuedNumber,
    OutgoingData, ReceiverStatus, Recipient, RequestKind, Secrecy, Sender, SenderRequest, Series,
    SignerInfo, Tier, Urgency, Withdrawal, WithdrawalKind, check_abbreviation, edxml_document_id,
    notation,
};
use cqdt_domain::files::FileKind;
use cqdt_domain::ids::{AgencyId, DocumentId, FileId, UserId};
use cqdt_domain::policy::{Action, Target};
use cqdt_domain::text::{fold, nfc, nfc_opt};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::calendar::calendar_error;
use crate::error::{AppError, AppResult};
use crate::files::Upload;
use crate::procedures::Page;
use crate::store::{NewOutbox, path_string};
use crate::{App, Ctx};

pub use inbox::{EdxmlInbox, EdxmlKind, EdxmlReceipt, UnavailableEdxmlInbox};
pub use signer::{
    DocumentSigner, FakeSigner, PdfCoverage, SignAs, SignatureVerification, UnavailableSigner,
    VerificationKind, VerifiedSignature,
};
pub use store::{
    CounterKey, DocFileKind, DocumentBuilder, DocumentFigures, DocumentFile, DocumentRecord,
    DocumentStore, DocumentWrite, RegisterFilter, StateCursor, StateFilter, StatePage,
};
pub use text::{FakeText, NoText, TextExtractor};

/// The bundled table of document types and abbreviations.
pub const DOCUMENT_TYPES_CSV: &str = include_str!("../../../../data/documents/document-types.csv");

/// Working days to handle an ordinary incoming document when the leader has not set a
/// deadline yet (a local choice, see `docs/documents.md`); urgent ones are due the day they
/// arrive.
pub const DEFAULT_HANDLING_DAYS: u32 = 7;

/// What lists show instead of a secret document's subject to those who may not read it.
pub const SECRET_SUBJECT: &str = "Văn bản mật — trích yếu chỉ người có thẩm quyền được xem";

/// Outbox topic: deliver an issued document to one recipient agency on the platform.
pub const TOPIC_SEND: &str = "document.send";
/// Outbox topic: report a receiver's status (01–06) back to the sender.
pub const TOPIC_STATUS: &str = "document.status";
/// Outbox topic: mark the document a newly issued one replaces (payload `{old, new}`).
pub const TOPIC_REPLACED: &str = "document.replaced";

/// The parsed bundled table (parsed once).
pub fn document_types() -> AppResult<&'static DocumentTypes> {
    static TYPES: std::sync::OnceLock<Result<DocumentTypes, String>> = std::sync::OnceLock::new();
    TYPES
        .get_or_init(|| {
            DocumentTypes::parse(DOCUMENT_TYPES_CSV)
                .map_err(|e| format!("document-types.csv: {} bad lines", e.len()))
        })
        .as_ref()
        .map_err(|e| AppError::internal(e.clone()))
}

fn instant(us: i64) -> AppResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| AppError::internal("clock out of range"))
}

fn local_date(us: i64) -> AppResult<NaiveDate> {
    Ok(to_local(instant(us)?).date())
}

fn not_found() -> AppError {
    AppError::new(ErrorCode::DocumentNotFound)
}

fn u32_of(n: Option<u32>) -> AppResult<u32> {
    n.ok_or_else(|| AppError::internal("counter not drawn"))
}

// ---------------------------------------------------------------------------------------------
// Inputs and views

/// A paper incoming document registered at once by the clerk, with its scans.
#[derive(Debug, Clone)]
pub struct PaperIncoming {
    pub agency_id: AgencyId,
    pub type_code: String,
    pub subject: String,
    pub sender_name: String,
    pub sender_identifier: Option<String>,
    /// The sender's number and notation as written (`05/QĐ-UBND`).
    pub sender_number: Option<String>,
    pub sender_date: Option<NaiveDate>,
    pub signer: Option<SignerInfo>,
    pub urgency: Urgency,
    pub secrecy: Secrecy,
    /// Override of the default handling time (working days).
    pub handling_days: Option<u32>,
    pub scans: Vec<Upload>,
}

/// A file of a package, with its text if known (for search).
#[derive(Debug, Clone)]
pub struct PackageFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub text: Option<String>,
    /// Main, attachment, or one of the two detached signatures (`.p7s`) over the main file.
    /// A package without a `Main` file takes its first attachment as the main one.
    pub kind: DocFileKind,
}

/// Largest detached signature file accepted in a package (a CMS SignedData with its chain is a
/// few kilobytes).
pub const MAX_SIGNATURE_FILE_BYTES: usize = 256 * 1024;

/// What an edXML package carries that becomes an arrived incoming document (the deliverer
/// parses the package, or builds this directly for an agency on the platform with
/// [`App::document_package`]).
#[derive(Debug, Clone)]
pub struct ReceivedPackage {
    /// `{OrganId},{yyyy/MM/dd},{CodeNumber}/{CodeNotation}`: receiving twice is harmless.
    pub edxml_document_id: String,
    pub to_agency: AgencyId,
    pub from_identifier: String,
    pub from_name: String,
    /// `05/QĐ-UBND`.
    pub number: String,
    pub promulgation_date: Option<NaiveDate>,
    /// The type's code when the sender is on the platform; else found by `type_name`.
    pub type_code: Option<String>,
    pub type_name: String,
    pub subject: String,
    pub signer: Option<SignerInfo>,
    /// edXML Priority 0–4.
    pub priority: u8,
    pub due_date: Option<NaiveDate>,
    pub sender_document_id: Option<DocumentId>,
    pub files: Vec<PackageFile>,
    /// What the package does (edXML `BussinessDocType`).
    pub business: PackageBusiness,
}

/// What a package does (edXML `Bussiness`: 0 new, 1 revoke, 2 update, 3 replace).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PackageBusiness {
    #[default]
    New,
    /// Thu hồi the document of this DocumentId.
    Revoke { reason: String },
    /// Cập nhật: the package's metadata replaces the receiver's copy's, if the receiver agrees.
    Update { reason: String },
    /// Thay thế: this (new) document replaces the documents of these DocumentIds, which had
    /// gone to these organisations.
    Replace {
        reason: String,
        replaces: Vec<String>,
        organ_ids: Vec<String>,
    },
}

impl PackageBusiness {
    /// The edXML `BussinessDocType`.
    pub fn code(&self) -> u8 {
        match self {
            PackageBusiness::New => 0,
            PackageBusiness::Revoke { .. } => 1,
            PackageBusiness::Update { .. } => 2,
            PackageBusiness::Replace { .. } => 3,
        }
    }
    /// `BussinessDocReason`.
    pub fn reason(&self) -> &str {
        match self {
            PackageBusiness::New => "",
            PackageBusiness::Revoke { reason }
            | PackageBusiness::Update { reason }
            | PackageBusiness::Replace { reason, .. } => reason,
        }
    }
}

/// A leader's assignment.
#[derive(Debug, Clone, Default)]
pub struct AssignInput {
    pub lead_unit: Option<AgencyId>,
    pub lead_person: Option<UserId>,
    pub coordinators: Vec<AgencyId>,
    /// Working days from today; or `due`; neither: the registered handling date.
    pub days: Option<u32>,
    pub due: Option<NaiveDate>,
    pub opinion: Option<String>,
}

/// A recipient as typed.
#[derive(Debug, Clone)]
pub enum RecipientInput {
    /// An agency on the platform: sent over the exchange.
    Agency(AgencyId),
    /// Anyone else: on paper (or by the national axis, later).
    External {
        name: String,
        identifier: Option<String>,
    },
}

/// An outgoing draft's fields.
#[derive(Debug, Clone)]
pub struct DraftInput {
    pub agency_id: AgencyId,
    pub type_code: String,
    pub subject: String,
    pub signer: Option<SignerInfo>,
    pub urgency: Urgency,
    pub secrecy: Secrecy,
    /// Drafting unit abbreviation, for a công văn (`VP`).
    pub drafting_unit: Option<String>,
    pub recipients: Vec<RecipientInput>,
    /// The incoming document this one answers (same agency).
    pub reply_to: Option<DocumentId>,
    /// The issued document of the same agency this one replaces (thay thế): once this one is
    /// issued, that one is marked replaced and its electronic receivers are told.
    pub replaces: Option<DocumentId>,
    /// The document file (PDF, DOCX…).
    pub main: Option<Upload>,
    pub attachments: Vec<Upload>,
}

/// A correction of an issued document's metadata (cập nhật): the new subject, signer and
/// urgency, and why.
#[derive(Debug, Clone)]
pub struct CorrectionInput {
    pub subject: String,
    /// `None`: the signer stays.
    pub signer: Option<SignerInfo>,
    /// `None`: the urgency stays.
    pub urgency: Option<Urgency>,
    pub reason: String,
}

/// A receiver's status report.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub edxml_document_id: String,
    /// The sender's document, when the receiver knows it (platform delivery).
    pub source_document_id: Option<DocumentId>,
    /// The reporting agency's identifier (the receiver; the sender for 13).
    pub from: String,
    /// The agency the status is for (`ResponseFor/OrganId`): for 13, the receiver.
    pub to: Option<String>,
    /// 1–6, 13, 15, 16.
    pub code: u8,
    pub description: Option<String>,
}

/// A document with its history and files.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub record: DocumentRecord,
    pub overdue: bool,
    pub events: Vec<(i64, DocumentEvent)>,
    pub files: Vec<DocumentFile>,
}

/// Which register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Book {
    /// Sổ đăng ký văn bản đến.
    Incoming,
    /// Sổ đăng ký văn bản đi.
    Outgoing,
    /// Sổ theo dõi giải quyết văn bản đến.
    Handling,
}

/// One line of a register, with the columns of NĐ 30/2020 Phụ lục IV (standards.md §6.3).
/// Columns a clerk fills by hand on paper (ký nhận, số lượng bản) are left to the page.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterRow {
    pub id: DocumentId,
    /// Incoming: (1) ngày đến, (2) số đến.
    pub arrival_date: Option<NaiveDate>,
    pub arrival_number: Option<u32>,
    /// Incoming (3) tác giả / handling: cơ quan ban hành.
    pub author: Option<String>,
    /// Số, ký hiệu văn bản.
    pub number: Option<String>,
    /// Ngày tháng văn bản.
    pub date: Option<NaiveDate>,
    pub type_name: String,
    pub subject: String,
    /// Outgoing (4) người ký.
    pub signer: Option<String>,
    /// Outgoing (5) nơi nhận.
    pub recipients: Vec<String>,
    /// Incoming (7) đơn vị hoặc người nhận / handling: the lead unit or person (ids; the page
    /// shows their names).
    pub lead_unit: Option<AgencyId>,
    pub lead_person: Option<UserId>,
    /// Handling: thời hạn giải quyết.
    pub due: Option<NaiveDate>,
    /// Handling: tiến độ giải quyết (the state).
    pub state: DocState,
    pub overdue: bool,
    /// Handling: số, ký hiệu văn bản trả lời.
    pub reply_number: Option<String>,
    pub urgency: Urgency,
    pub secrecy: Secrecy,
    pub electronic: bool,
}

#[derive(Debug, Clone)]
pub struct RegisterQuery {
    pub agency_id: AgencyId,
    pub book: Book,
    pub year: i32,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Figures with the province → district share in per mille (None without any such pair).
#[derive(Debug, Clone, Serialize)]
pub struct FiguresView {
    pub figures: DocumentFigures,
    pub province_to_district_electronic_permille: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Folded words (letters and digits) of a text.
pub fn words(s: &str) -> Vec<String> {
    fold(&nfc(s))
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(64).collect())
        .collect()
}

/// The search terms of a document: type name, subject, numbers (with and without leading
/// zeros), sender, and the text of its files. Secret documents are not indexed (their access
/// rules are not modelled yet; they are found through the registers only).
pub fn search_terms(doc: &Document, files: &[DocumentFile]) -> Vec<String> {
    if doc.fields.secrecy.is_secret() {
        return vec![];
    }
    let mut texts: Vec<String> = vec![doc.fields.type_name.clone(), doc.fields.subject.clone()];
    if let Some(i) = &doc.incoming {
        texts.push(i.sender.name.clone());
        texts.extend(i.sender_number.clone());
    }
    if let Some(o) = &doc.outgoing
        && let Some(n) = &o.number
    {
        texts.push(n.full.clone());
    }
    for f in files {
        texts.extend(f.text.clone());
    }
    let mut set = BTreeSet::new();
    for t in &texts {
        for w in words(t) {
            if w.chars().all(|c| c.is_ascii_digit()) {
                let trimmed = w.trim_start_matches('0');
                if !trimmed.is_empty() {
                    set.insert(trimmed.to_string());
                }
            }
            set.insert(w);
        }
        if set.len() > 5000 {
            break;
        }
    }
    set.into_iter().collect()
}

fn derived_abbreviation(a: &Agency) -> String {
    match a.fields.kind {
        AgencyKind::ProvinceCommittee
        | AgencyKind::DistrictCommittee
        | AgencyKind::CommuneCommittee => "UBND".into(),
        _ => {
            let name = a.fields.short_name.as_deref().unwrap_or(&a.fields.name);
            let s: String = name
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_uppercase)
                .collect();
            if s.is_empty() { "CQ".into() } else { s }
        }
    }
}

impl App {
    async fn doc_agency(&self, id: AgencyId) -> AppResult<Agency> {
        self.store
            .agency_get(id)
            .await?
            .ok_or_else(|| AppError::field(ErrorCode::AgencyNotFound, "agency_id"))
    }

    /// The administrative tier: the agency's kind, or its nearest ancestor's.
    async fn tier_of(&self, a: &Agency) -> AppResult<Tier> {
        if let Some(t) = Tier::of_kind(a.fields.kind) {
            return Ok(t);
        }
        for id in a.path.iter().rev().skip(1) {
            if let Some(p) = self.store.agency_get(*id).await?
                && let Some(t) = Tier::of_kind(p.fields.kind)
            {
                return Ok(t);
            }
        }
        Ok(Tier::Other)
    }

    /// The abbreviation an agency issues under: stored, or derived (UBND for committees,
    /// initials of the short name otherwise).
    pub async fn document_issuer_abbreviation(&self, agency: &Agency) -> AppResult<String> {
        Ok(match self.store.document_issuer_get(agency.id).await? {
            Some(a) => a,
            None => derived_abbreviation(agency),
        })
    }

    /// Set the abbreviation an agency issues under (administrators).
    pub async fn document_issuer_set(
        &self,
        ctx: &Ctx,
        agency_id: AgencyId,
        abbreviation: &str,
    ) -> AppResult<()> {
        let a = self.doc_agency(agency_id).await?;
        self.authorize(ctx, Action::ManageAgency, Target::Agency(&a.path))?;
        let abbr = check_abbreviation(abbreviation, "abbreviation")?;
        let now = self.now_us();
        let audit = ctx.audit::<(), _>(
            now,
            "document.issuer_set",
            "agency",
            agency_id,
            None,
            Some(&abbr),
        );
        self.store
            .document_issuer_set(agency_id, &abbr, now, &audit)
            .await
    }

    async fn load(&self, id: DocumentId) -> AppResult<DocumentRecord> {
        self.store.document_get(id).await?.ok_or_else(not_found)
    }

    /// Load and authorize `action` on the document's agency.
    async fn load_for(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        action: Action,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load(id).await?;
        if self
            .authorize(ctx, action, Target::Agency(&rec.agency_path))
            .is_err()
        {
            // Someone who may not even read it learns nothing about it.
            self.authorize(ctx, Action::ViewDocuments, Target::Agency(&rec.agency_path))
                .map_err(|_| not_found())?;
            return Err(AppError::new(ErrorCode::Forbidden));
        }
        Ok(rec)
    }

    fn outbox_row(
        &self,
        key: String,
        topic: &str,
        payload: serde_json::Value,
        now: i64,
    ) -> NewOutbox {
        NewOutbox {
            id: self.ids.new_id().to_string(),
            idempotency_key: key,
            topic: topic.into(),
            payload: payload.to_string(),
            created_at_us: now,
        }
    }

    /// The status message to the sender of an electronic incoming document, if its status
    /// changed, or the answer (15, 16) to the sender's request. Answers can repeat (a second
    /// recall after a refusal), so their key carries the document's version.
    async fn status_outbox(
        &self,
        rec: &DocumentRecord,
        before: Option<EdxmlStatus>,
        ev: Option<&DocumentEvent>,
        now: i64,
    ) -> AppResult<Vec<NewOutbox>> {
        let Some(inc) = &rec.doc.incoming else {
            return Ok(vec![]);
        };
        let (st, description, key) = match ev {
            Some(ev) if ev.kind == EventKind::RequestReceived => return Ok(vec![]),
            Some(ev)
                if matches!(
                    ev.kind,
                    EventKind::RequestAgreed | EventKind::RequestRefused | EventKind::Withdrawn
                ) =>
            {
                let Some(st) = ev.status else {
                    return Ok(vec![]);
                };
                let key = format!(
                    "{TOPIC_STATUS}:{}:{}:{}",
                    rec.id,
                    st.code_str(),
                    rec.version + 1
                );
                (st, ev.note.clone(), key)
            }
            _ => {
                let after = rec.doc.edxml_status();
                let Some(st) = after.filter(|_| before != after) else {
                    return Ok(vec![]);
                };
                let key = format!("{TOPIC_STATUS}:{}:{}", rec.id, st.code_str());
                (st, inc.refusal.clone(), key)
            }
        };
        let Some(eid) = &rec.edxml_document_id else {
            return Ok(vec![]);
        };
        if inc.channel != InChannel::Electronic {
            return Ok(vec![]);
        }
        let receiver = self.doc_agency(rec.agency_id).await?;
        let payload = serde_json::json!({
            "edxml_document_id": eid,
            "source_document_id": rec.source_document_id,
            "document_id": rec.id,
            "from": receiver.fields.identifier.to_string(),
            "to": inc.sender.identifier,
            "status": st.code(),
            "description": description,
        });
        Ok(vec![self.outbox_row(key, TOPIC_STATUS, payload, now)])
    }

    /// Check, scan and store uploads as files of a document.
    async fn doc_files(
        &self,
        ctx: &Ctx,
        doc: DocumentId,
        uploads: &[(DocFileKind, &Upload)],
        now: i64,
    ) -> AppResult<Vec<DocumentFile>> {
        let mut out = Vec::new();
        let mut total = 0u64;
        for (count, (kind, up)) in (0u32..).zip(uploads) {
            let up = Upload {
                kind: FileKind::Working,
                part: None,
                name: up.name.clone(),
                bytes: up.bytes.clone(),
            };
            let staged = self.stage(&up, 0, count, total).await?;
            let r = staged.record(
                FileId(self.ids.new_id()),
                None,
                None,
                ctx.actor.user_id(),
                now,
            );
            total += r.size.max(0) as u64;
            let text = match kind {
                DocFileKind::Main | DocFileKind::Attachment | DocFileKind::Scan => {
                    self.file_text(r.file_type.as_str(), &up.bytes).await
                }
                // Signatures, and the signed/issued copies of the main file (whose text the
                // main file already gave).
                DocFileKind::SignerSignature
                | DocFileKind::AgencySignature
                | DocFileKind::SignedPdf
                | DocFileKind::IssuedPdf => None,
            };
            out.push(DocumentFile {
                id: r.id,
                document_id: doc,
                kind: *kind,
                name: r.name,
                file_type: r.file_type.as_str().to_string(),
                size: r.size,
                sha256: r.sha256,
                text,
                uploaded_by: r.uploaded_by,
                uploaded_at_us: now,
            });
        }
        Ok(out)
    }

    /// The text of an uploaded file for search, through the `TextExtractor` port on a
    /// blocking thread (a panic there is taken as no text); NFC, at most `MAX_TEXT_CHARS`.
    async fn file_text(&self, file_type: &str, bytes: &[u8]) -> Option<String> {
        let x = self.text.clone();
        let (ft, b) = (file_type.to_string(), bytes.to_vec());
        let t = tokio::task::spawn_blocking(move || x.extract(&ft, &b))
            .await
            .ok()
            .flatten()?;
        let t: String = nfc(&t).chars().take(text::MAX_TEXT_CHARS).collect();
        (!t.trim().is_empty()).then_some(t)
    }

    /// Store a signature as a file of the document.
    async fn signature_file(
        &self,
        ctx: &Ctx,
        doc: DocumentId,
        kind: DocFileKind,
        name: &str,
        bytes: &[u8],
        now: i64,
    ) -> AppResult<DocumentFile> {
        self.made_file(ctx, doc, kind, name, "p7s", bytes, now)
            .await
    }

    /// Store a file the platform made (a signature, a signed PDF) as a file of the document:
    /// the bytes durable in the blob store before the record is returned for the save.
    #[allow(clippy::too_many_arguments)]
    async fn made_file(
        &self,
        ctx: &Ctx,
        doc: DocumentId,
        kind: DocFileKind,
        name: &str,
        file_type: &str,
        bytes: &[u8],
        now: i64,
    ) -> AppResult<DocumentFile> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        self.blobs.put(&sha256, bytes).await?;
        Ok(DocumentFile {
            id: FileId(self.ids.new_id()),
            document_id: doc,
            kind,
            name: name.into(),
            file_type: file_type.into(),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha256,
            text: None,
            uploaded_by: ctx.actor.user_id(),
            uploaded_at_us: now,
        })
    }

    /// Apply `cmd` to a loaded record and save it with its event, new files, the status
    /// message it causes and `extra_outbox`, checking the version read.
    async fn save_change(
        &self,
        ctx: &Ctx,
        rec: DocumentRecord,
        action: &str,
        cmd: Command,
        new_files: Vec<DocumentFile>,
        extra_outbox: Vec<NewOutbox>,
    ) -> AppResult<DocumentRecord> {
        let now = self.now_us();
        let at = instant(now)?;
        let actor = ctx.actor.user_id();
        let before_status = rec.doc.edxml_status();
        let mut next = rec.clone();
        let ev = next.doc.apply(at, actor, cmd)?;
        next.updated_at_us = now;
        let mut outbox = self
            .status_outbox(&next, before_status, Some(&ev), now)
            .await?;
        outbox.extend(extra_outbox);
        let mut files = self.store.document_files(rec.id).await?;
        files.extend(new_files.iter().cloned());
        let terms = search_terms(&next.doc, &files);
        let audit = ctx.audit(
            now,
            action,
            "document",
            rec.id,
            Some(&rec.doc),
            Some(&next.doc),
        );
        let write = DocumentWrite {
            record: next,
            events: vec![ev],
            files: new_files,
            terms,
            outbox,
        };
        self.store
            .document_save(
                Some(rec.version),
                &audit,
                None,
                Box::new(move |_| Ok(write)),
            )
            .await
    }

    // -----------------------------------------------------------------------------------------
    // Incoming

    /// Handling due date at registration: urgent → the day itself (or the next working day);
    /// otherwise `days` working days after arrival.
    async fn handling_due(
        &self,
        arrival: NaiveDate,
        urgency: Urgency,
        days: Option<u32>,
    ) -> AppResult<NaiveDate> {
        let cal = self.effective_calendar().await?;
        let n = if urgency.is_urgent() {
            0
        } else {
            days.unwrap_or(DEFAULT_HANDLING_DAYS)
        };
        cal.calendar
            .add_working_days(arrival, n)
            .map_err(calendar_error)
    }

    /// Register a paper incoming document with its scans (clerk): arrived and registered in one
    /// transaction, its arrival number drawn there.
    pub async fn document_register_paper(
        &self,
        ctx: &Ctx,
        input: PaperIncoming,
    ) -> AppResult<DocumentRecord> {
        let agency = self.doc_agency(input.agency_id).await?;
        self.authorize(ctx, Action::RegisterDocument, Target::Agency(&agency.path))?;
        let now = self.now_us();
        let at = instant(now)?;
        let today = local_date(now)?;
        let types = document_types()?;
        let date_for_type = input.sender_date.unwrap_or(today);
        let ty = types.on(nfc(&input.type_code).as_str(), date_for_type)?;
        let fields = DocumentFields {
            type_code: ty.code.clone(),
            type_name: ty.name.clone(),
            subject: input.subject,
            signer: input.signer,
            urgency: input.urgency,
            secrecy: input.secrecy,
        };
        let sender_name = nfc(&input.sender_name);
        if sender_name.is_empty() {
            return Err(AppError::field(ErrorCode::Required, "sender_name"));
        }
        let data = IncomingData {
            channel: InChannel::Paper,
            sender: Sender {
                name: sender_name,
                identifier: nfc_opt(input.sender_identifier.as_deref()),
            },
            sender_number: nfc_opt(input.sender_number.as_deref()),
            sender_date: input.sender_date,
            arrived_at: at,
            arrival: None,
            handling_due: None,
            handling: None,
            reply: None,
            done_at: None,
            refusal: None,
            request: None,
            withdrawal: None,
            replaces: None,
        };
        let actor = ctx.actor.user_id();
        let (doc, ev0) = Document::arrived(fields, data, actor)?;
        let due = self
            .handling_due(today, doc.fields.urgency, input.handling_days)
            .await?;
        let id = DocumentId(self.ids.new_id());
        let scans: Vec<(DocFileKind, &Upload)> =
            input.scans.iter().map(|u| (DocFileKind::Scan, u)).collect();
        let files = self.doc_files(ctx, id, &scans, now).await?;
        let tier = self.tier_of(&agency).await?;
        let counter = CounterKey {
            agency_id: agency.id,
            year: today.year(),
            series: Series::Incoming.key(),
        };
        let audit = ctx.audit::<(), _>(now, "document.register", "document", id, None, Some(&doc));
        let agency_path = agency.path.clone();
        let build: DocumentBuilder<'_> = Box::new(move |n| {
            let mut doc = doc;
            let ev1 = doc.apply(
                at,
                actor,
                Command::Register {
                    arrival: Arrival {
                        number: u32_of(n)?,
                        year: today.year(),
                        date: today,
                    },
                    handling_due: due,
                },
            )?;
            let terms = search_terms(&doc, &files);
            Ok(DocumentWrite {
                record: DocumentRecord {
                    id,
                    agency_id: agency.id,
                    agency_path,
                    agency_tier: tier,
                    doc,
                    edxml_document_id: None,
                    source_document_id: None,
                    sent_electronic: false,
                    created_by: actor,
                    version: 1,
                    created_at_us: now,
                    updated_at_us: now,
                },
                events: vec![ev0, ev1],
                files,
                terms,
                outbox: vec![],
            })
        });
        self.store
            .document_save(None, &audit, Some(&counter), build)
            .await
    }

    /// An edXML package arrives in an agency's inbox. A new document (BussinessDocType 0)
    /// becomes an `arrived` incoming document, once per package (a second delivery returns the
    /// first document and writes nothing); status 01 goes back to the sender. A revocation (1)
    /// withdraws the agency's copy (status 15 back); an update (2) waits on the copy for the
    /// clerk's answer (15 or 16); a replacement (3) arrives as a new document that withdraws
    /// the copies it replaces. A revocation or update of a document that never arrived brings
    /// it in first, so nothing depends on the order of delivery. Every kind is idempotent.
    pub async fn document_receive_package(
        &self,
        ctx: &Ctx,
        p: ReceivedPackage,
    ) -> AppResult<DocumentRecord> {
        let agency = self.doc_agency(p.to_agency).await?;
        self.authorize(ctx, Action::RegisterDocument, Target::Agency(&agency.path))?;
        let eid = nfc(&p.edxml_document_id);
        if eid.is_empty() {
            return Err(AppError::field(ErrorCode::Required, "edxml_document_id"));
        }
        let business = p.business.clone();
        let reason_or = |r: &str, default: String| nfc_opt(Some(r)).unwrap_or(default);
        match business {
            PackageBusiness::New => self.receive_new(ctx, p, &agency, &eid, None).await,
            PackageBusiness::Revoke { reason } => {
                let copy = self.receive_new(ctx, p, &agency, &eid, None).await?;
                if !copy.doc.state.is_open_to_sender() {
                    return Ok(copy);
                }
                let number = sender_number(&copy);
                let w = Withdrawal {
                    kind: WithdrawalKind::Revoke,
                    reason: reason_or(&reason, format!("Văn bản {number} bị thu hồi")),
                    at: instant(self.now_us())?,
                    replaced_by: None,
                };
                self.save_change(
                    ctx,
                    copy,
                    "document.withdraw",
                    Command::Withdraw(w),
                    vec![],
                    vec![],
                )
                .await
            }
            PackageBusiness::Update { reason } => {
                let existing = self
                    .store
                    .document_by_edxml(Direction::Incoming, Some(agency.id), &eid)
                    .await?;
                let Some(copy) = existing else {
                    // Never arrived: it arrives as it is now.
                    return self.receive_new(ctx, p, &agency, &eid, None).await;
                };
                if !copy.doc.state.is_open_to_sender() {
                    return Ok(copy);
                }
                let update = self.package_update(&p, &copy)?;
                let pending = copy.doc.incoming.as_ref().and_then(|i| i.request.as_ref());
                let reason = reason_or(&reason, "Cập nhật thông tin văn bản".into());
                if pending.is_some_and(|r| {
                    r.kind == RequestKind::Update
                        && r.update.as_ref() == Some(&update)
                        && r.reason == reason
                }) {
                    return Ok(copy);
                }
                let req = SenderRequest {
                    kind: RequestKind::Update,
                    reason,
                    at: instant(self.now_us())?,
                    update: Some(update),
                };
                self.save_change(
                    ctx,
                    copy,
                    "document.request",
                    Command::ReceiveRequest(req),
                    vec![],
                    vec![],
                )
                .await
            }
            PackageBusiness::Replace {
                reason, replaces, ..
            } => {
                let mut olds = Vec::new();
                for old in &replaces {
                    if let Some(o) = self
                        .store
                        .document_by_edxml(Direction::Incoming, Some(agency.id), &nfc(old))
                        .await?
                    {
                        olds.push(o);
                    }
                }
                let new = self
                    .receive_new(ctx, p, &agency, &eid, olds.first().map(|o| o.id))
                    .await?;
                let number = sender_number(&new);
                for old in olds {
                    if !old.doc.state.is_open_to_sender() {
                        continue;
                    }
                    let w = Withdrawal {
                        kind: WithdrawalKind::Replace,
                        reason: match nfc_opt(Some(&reason)) {
                            Some(r) => format!("Được thay thế bằng văn bản {number} ({r})"),
                            None => format!("Được thay thế bằng văn bản {number}"),
                        },
                        at: instant(self.now_us())?,
                        replaced_by: Some(new.id),
                    };
                    self.save_change(
                        ctx,
                        old,
                        "document.withdraw",
                        Command::Withdraw(w),
                        vec![],
                        vec![],
                    )
                    .await?;
                }
                Ok(new)
            }
        }
    }

    /// The metadata of an update package as the receiver's copy would take it.
    fn package_update(
        &self,
        p: &ReceivedPackage,
        copy: &DocumentRecord,
    ) -> AppResult<DocumentUpdate> {
        let urgency = Urgency::from_priority(p.priority)
            .ok_or_else(|| AppError::field(ErrorCode::InvalidChoice, "priority"))?;
        let fields = DocumentFields {
            type_code: copy.doc.fields.type_code.clone(),
            type_name: nfc(&p.type_name),
            subject: p.subject.clone(),
            signer: p.signer.clone(),
            urgency,
            secrecy: copy.doc.fields.secrecy,
        }
        .normalised()?;
        Ok(DocumentUpdate {
            fields,
            sender_number: nfc_opt(Some(&p.number)),
            sender_date: p.promulgation_date,
        })
    }

    /// A new incoming document from a package (idempotent by DocumentId and agency).
    async fn receive_new(
        &self,
        ctx: &Ctx,
        p: ReceivedPackage,
        agency: &Agency,
        eid: &str,
        replaces: Option<DocumentId>,
    ) -> AppResult<DocumentRecord> {
        let eid = eid.to_string();
        if let Some(existing) = self
            .store
            .document_by_edxml(Direction::Incoming, Some(agency.id), &eid)
            .await?
        {
            return Ok(existing);
        }
        let now = self.now_us();
        let at = instant(now)?;
        let today = local_date(now)?;
        let types = document_types()?;
        let date = p.promulgation_date.unwrap_or(today);
        let ty = match &p.type_code {
            Some(c) => types.on(c, date).ok(),
            None => types.by_name(&p.type_name, date),
        };
        let urgency = Urgency::from_priority(p.priority)
            .ok_or_else(|| AppError::field(ErrorCode::InvalidChoice, "priority"))?;
        let fields = DocumentFields {
            type_code: ty.map_or_else(|| "khac".to_string(), |t| t.code.clone()),
            type_name: ty.map_or_else(|| nfc(&p.type_name), |t| t.name.clone()),
            subject: p.subject,
            signer: p.signer,
            urgency,
            secrecy: Secrecy::None,
        };
        let data = IncomingData {
            channel: InChannel::Electronic,
            sender: Sender {
                name: nfc(&p.from_name),
                identifier: nfc_opt(Some(&p.from_identifier)),
            },
            sender_number: nfc_opt(Some(&p.number)),
            sender_date: p.promulgation_date,
            arrived_at: at,
            arrival: None,
            handling_due: p.due_date,
            handling: None,
            reply: None,
            done_at: None,
            refusal: None,
            request: None,
            withdrawal: None,
            replaces,
        };
        let (doc, ev) = Document::arrived(fields, data, None)?;
        let id = DocumentId(self.ids.new_id());
        let is_sig = |k: DocFileKind| {
            matches!(
                k,
                DocFileKind::SignerSignature | DocFileKind::AgencySignature
            )
        };
        let has_main = p.files.iter().any(|f| f.kind == DocFileKind::Main);
        let mut content: Vec<(DocFileKind, &PackageFile)> = Vec::new();
        for f in p.files.iter().filter(|f| !is_sig(f.kind)) {
            let kind = if f.kind == DocFileKind::Main || (!has_main && content.is_empty()) {
                DocFileKind::Main
            } else {
                DocFileKind::Attachment
            };
            content.push((kind, f));
        }
        let uploads: Vec<Upload> = content
            .iter()
            .map(|(_, f)| Upload::of_kind(FileKind::Working, f.name.clone(), f.bytes.clone()))
            .collect();
        let refs: Vec<(DocFileKind, &Upload)> = content
            .iter()
            .zip(&uploads)
            .map(|((k, _), u)| (*k, u))
            .collect();
        let mut files = self.doc_files(ctx, id, &refs, now).await?;
        // The sender's text, when it gave one; else what was read from the file.
        for (f, (_, pf)) in files.iter_mut().zip(&content) {
            if let Some(t) = nfc_opt(pf.text.as_deref()) {
                f.text = Some(t);
            }
        }
        // The detached signatures travel as they are (not content-checked: they are not
        // documents); their validity is the reader's to check on the verification page.
        for f in p.files.iter().filter(|f| is_sig(f.kind)) {
            if f.bytes.is_empty() || f.bytes.len() > MAX_SIGNATURE_FILE_BYTES {
                return Err(AppError::field(ErrorCode::UploadTooLarge, "signature"));
            }
            let name = cqdt_domain::files::clean_name(&f.name)
                .map_err(|c| AppError::field(c, "signature"))?;
            files.push(
                self.signature_file(ctx, id, f.kind, &name, &f.bytes, now)
                    .await?,
            );
        }
        let rec = DocumentRecord {
            id,
            agency_id: agency.id,
            agency_path: agency.path.clone(),
            agency_tier: self.tier_of(agency).await?,
            doc,
            edxml_document_id: Some(eid.clone()),
            source_document_id: p.sender_document_id,
            sent_electronic: false,
            created_by: None,
            version: 1,
            created_at_us: now,
            updated_at_us: now,
        };
        let outbox = self.status_outbox(&rec, None, None, now).await?;
        let terms = search_terms(&rec.doc, &files);
        let audit = ctx.audit::<(), _>(
            now,
            "document.receive",
            "document",
            id,
            None,
            Some(&rec.doc),
        );
        let write = DocumentWrite {
            record: rec,
            events: vec![ev],
            files,
            terms,
            outbox,
        };
        match self
            .store
            .document_save(None, &audit, None, Box::new(move |_| Ok(write)))
            .await
        {
            Ok(r) => Ok(r),
            Err(e) if e.code == ErrorCode::StorageConflict => self
                .store
                .document_by_edxml(Direction::Incoming, Some(agency.id), &eid)
                .await?
                .ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// The clerk registers an arrived electronic document (status 03 to the sender).
    pub async fn document_register_arrived(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        handling_days: Option<u32>,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::RegisterDocument).await?;
        if rec.doc.state != DocState::Arrived {
            return Err(AppError::field(
                ErrorCode::DocumentIllegalTransition,
                format!("{}:register", rec.doc.state.as_str()),
            ));
        }
        let now = self.now_us();
        let at = instant(now)?;
        let today = local_date(now)?;
        let computed = self
            .handling_due(today, rec.doc.fields.urgency, handling_days)
            .await?;
        // The sender's due date, when earlier, wins (never before today).
        let due = rec
            .doc
            .incoming
            .as_ref()
            .and_then(|i| i.handling_due)
            .filter(|d| *d >= today && *d < computed && handling_days.is_none())
            .unwrap_or(computed);
        let counter = CounterKey {
            agency_id: rec.agency_id,
            year: today.year(),
            series: Series::Incoming.key(),
        };
        let actor = ctx.actor.user_id();
        let files = self.store.document_files(id).await?;
        let before = rec.doc.clone();
        let mut probe = rec.clone();
        probe.doc.state = DocState::Registered;
        let outbox = self
            .status_outbox(&probe, before.edxml_status(), None, now)
            .await?;
        let audit = ctx.audit(
            now,
            "document.register",
            "document",
            id,
            Some(&before),
            Some(&"registered"),
        );
        let version = rec.version;
        let build: DocumentBuilder<'_> = Box::new(move |n| {
            let mut rec = rec;
            let ev = rec.doc.apply(
                at,
                actor,
                Command::Register {
                    arrival: Arrival {
                        number: u32_of(n)?,
                        year: today.year(),
                        date: today,
                    },
                    handling_due: due,
                },
            )?;
            rec.updated_at_us = now;
            let terms = search_terms(&rec.doc, &files);
            Ok(DocumentWrite {
                record: rec,
                events: vec![ev],
                files: vec![],
                terms,
                outbox,
            })
        });
        self.store
            .document_save(Some(version), &audit, Some(&counter), build)
            .await
    }

    /// The clerk refuses an arrived document (status 02, with the reason, to the sender).
    pub async fn document_refuse(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        reason: &str,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::RegisterDocument).await?;
        self.save_change(
            ctx,
            rec,
            "document.refuse",
            Command::Refuse {
                reason: reason.into(),
            },
            vec![],
            vec![],
        )
        .await
    }

    /// A leader assigns the handling (status 04).
    pub async fn document_assign(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        input: AssignInput,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::Approve).await?;
        let today = local_date(self.now_us())?;
        let due = match (input.days, input.due) {
            (Some(d), _) => {
                let cal = self.effective_calendar().await?;
                cal.calendar
                    .add_working_days(today, d)
                    .map_err(calendar_error)?
            }
            (None, Some(d)) => d,
            (None, None) => rec
                .doc
                .incoming
                .as_ref()
                .and_then(|i| i.handling_due)
                .ok_or_else(|| AppError::field(ErrorCode::DocumentInvalidDeadline, "due"))?,
        };
        if due < today && input.due.is_some() {
            return Err(AppError::field(ErrorCode::DocumentInvalidDeadline, "due"));
        }
        for a in input.lead_unit.iter().chain(&input.coordinators) {
            let unit = self.doc_agency(*a).await?;
            // The agency itself or a unit below it.
            if !unit.path.contains(&rec.agency_id) {
                return Err(AppError::field(ErrorCode::InvalidChoice, "lead_unit"));
            }
        }
        if let Some(u) = input.lead_person {
            let user = self
                .store
                .user_get(u)
                .await?
                .ok_or_else(|| AppError::field(ErrorCode::UserNotFound, "lead_person"))?;
            let ok = match user.agency_id {
                Some(a) => {
                    let ua = self.doc_agency(a).await?;
                    ua.path.contains(&rec.agency_id)
                }
                None => false,
            };
            if !ok {
                return Err(AppError::field(ErrorCode::InvalidChoice, "lead_person"));
            }
        }
        let handling = Handling {
            lead_unit: input.lead_unit,
            lead_person: input.lead_person,
            coordinators: input.coordinators,
            due,
            opinion: input.opinion,
            assigned_by: ctx.actor.user_id(),
        };
        self.save_change(
            ctx,
            rec,
            "document.assign",
            Command::Assign { handling },
            vec![],
            vec![],
        )
        .await
    }

    /// The handler starts (status 05).
    pub async fn document_start(&self, ctx: &Ctx, id: DocumentId) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::HandleDocument).await?;
        self.save_change(ctx, rec, "document.start", Command::Start, vec![], vec![])
            .await
    }

    /// Check that `reply` is an outgoing document of the same agency answering `incoming`.
    async fn check_reply(&self, incoming: &DocumentRecord, reply: DocumentId) -> AppResult<()> {
        let r = self.load(reply).await?;
        let ok = r.agency_id == incoming.agency_id
            && r.doc
                .outgoing
                .as_ref()
                .is_some_and(|o| o.reply_to == Some(incoming.id));
        if ok {
            Ok(())
        } else {
            Err(AppError::field(ErrorCode::DocumentInvalidReply, "reply"))
        }
    }

    /// The handler links the outgoing reply (drafted with `reply_to` this document) while
    /// handling.
    pub async fn document_link_reply(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        reply: DocumentId,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::HandleDocument).await?;
        self.check_reply(&rec, reply).await?;
        self.save_change(
            ctx,
            rec,
            "document.link_reply",
            Command::LinkReply { reply },
            vec![],
            vec![],
        )
        .await
    }

    /// The handler completes (status 06), optionally naming the reply.
    pub async fn document_complete(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        reply: Option<DocumentId>,
        note: Option<String>,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::HandleDocument).await?;
        if let Some(r) = reply {
            self.check_reply(&rec, r).await?;
        }
        self.save_change(
            ctx,
            rec,
            "document.complete",
            Command::Complete { reply, note },
            vec![],
            vec![],
        )
        .await
    }

    // -----------------------------------------------------------------------------------------
    // Outgoing

    async fn recipients(&self, input: &[RecipientInput]) -> AppResult<Vec<Recipient>> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for r in input {
            match r {
                RecipientInput::Agency(id) => {
                    let a = self.store.agency_get(*id).await?.ok_or_else(|| {
                        AppError::field(ErrorCode::DocumentInvalidRecipient, "recipients")
                    })?;
                    if !seen.insert(a.id) {
                        continue;
                    }
                    out.push(Recipient {
                        agency_id: Some(a.id),
                        identifier: Some(a.fields.identifier.to_string()),
                        name: a.fields.name.clone(),
                        tier: Some(self.tier_of(&a).await?),
                    });
                }
                RecipientInput::External { name, identifier } => {
                    let name = nfc(name);
                    if name.is_empty() {
                        return Err(AppError::field(
                            ErrorCode::DocumentInvalidRecipient,
                            "recipients",
                        ));
                    }
                    out.push(Recipient {
                        agency_id: None,
                        identifier: nfc_opt(identifier.as_deref()),
                        name,
                        tier: None,
                    });
                }
            }
        }
        Ok(out)
    }

    async fn draft_parts(
        &self,
        input: &DraftInput,
        agency: &Agency,
        today: NaiveDate,
    ) -> AppResult<(DocumentFields, OutgoingData)> {
        let types = document_types()?;
        let ty = types.on(nfc(&input.type_code).as_str(), today)?;
        let fields = DocumentFields {
            type_code: ty.code.clone(),
            type_name: ty.name.clone(),
            subject: input.subject.clone(),
            signer: input.signer.clone(),
            urgency: input.urgency,
            secrecy: input.secrecy,
        };
        let drafting_unit = match nfc_opt(input.drafting_unit.as_deref()) {
            Some(u) => Some(check_abbreviation(&u, "drafting_unit")?),
            None => None,
        };
        if let Some(r) = input.reply_to {
            let inc = self.load(r).await?;
            if inc.agency_id != agency.id || inc.doc.direction != Direction::Incoming {
                return Err(AppError::field(ErrorCode::DocumentInvalidReply, "reply_to"));
            }
        }
        if let Some(r) = input.replaces {
            let old = self
                .load(r)
                .await
                .map_err(|_| AppError::field(ErrorCode::DocumentInvalidReplacement, "replaces"))?;
            if old.agency_id != agency.id
                || old.doc.state != DocState::Issued
                || old.doc.fields.secrecy.is_secret()
            {
                return Err(AppError::field(
                    ErrorCode::DocumentInvalidReplacement,
                    "replaces",
                ));
            }
        }
        let data = OutgoingData {
            reply_to: input.reply_to,
            replaces: input.replaces,
            drafting_unit,
            recipients: self.recipients(&input.recipients).await?,
            ..Default::default()
        };
        Ok((fields, data))
    }

    /// A specialist (or leader) drafts an outgoing document with its file.
    pub async fn document_draft_create(
        &self,
        ctx: &Ctx,
        input: DraftInput,
    ) -> AppResult<DocumentRecord> {
        let agency = self.doc_agency(input.agency_id).await?;
        self.authorize(ctx, Action::HandleDocument, Target::Agency(&agency.path))?;
        let now = self.now_us();
        let at = instant(now)?;
        let today = local_date(now)?;
        let (fields, data) = self.draft_parts(&input, &agency, today).await?;
        let actor = ctx.actor.user_id();
        let (doc, ev) = Document::draft(fields, data, at, actor)?;
        let id = DocumentId(self.ids.new_id());
        let mut ups: Vec<(DocFileKind, &Upload)> = Vec::new();
        if let Some(m) = &input.main {
            ups.push((DocFileKind::Main, m));
        }
        ups.extend(
            input
                .attachments
                .iter()
                .map(|u| (DocFileKind::Attachment, u)),
        );
        let files = self.doc_files(ctx, id, &ups, now).await?;
        let rec = DocumentRecord {
            id,
            agency_id: agency.id,
            agency_path: agency.path.clone(),
            agency_tier: self.tier_of(&agency).await?,
            doc,
            edxml_document_id: None,
            source_document_id: None,
            sent_electronic: false,
            created_by: actor,
            version: 1,
            created_at_us: now,
            updated_at_us: now,
        };
        let terms = search_terms(&rec.doc, &files);
        let audit = ctx.audit::<(), _>(now, "document.draft", "document", id, None, Some(&rec.doc));
        let write = DocumentWrite {
            record: rec,
            events: vec![ev],
            files,
            terms,
            outbox: vec![],
        };
        self.store
            .document_save(None, &audit, None, Box::new(move |_| Ok(write)))
            .await
    }

    /// Change a draft (its fields, recipients, a new main file, more attachments).
    pub async fn document_draft_edit(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        input: DraftInput,
    ) -> AppResult<DocumentRecord> {
        let mut rec = self.load_for(ctx, id, Action::HandleDocument).await?;
        if rec.agency_id != input.agency_id {
            return Err(AppError::field(ErrorCode::InvalidChoice, "agency_id"));
        }
        let agency = self.doc_agency(rec.agency_id).await?;
        let now = self.now_us();
        let (fields, data) = self.draft_parts(&input, &agency, local_date(now)?).await?;
        if rec.doc.state != DocState::Draft {
            return Err(AppError::field(
                ErrorCode::DocumentIllegalTransition,
                format!("{}:edit", rec.doc.state.as_str()),
            ));
        }
        if let Some(o) = rec.doc.outgoing.as_mut() {
            o.reply_to = data.reply_to;
            o.drafting_unit = data.drafting_unit;
            o.recipients = data.recipients;
        }
        let mut ups: Vec<(DocFileKind, &Upload)> = Vec::new();
        if let Some(m) = &input.main {
            ups.push((DocFileKind::Main, m));
        }
        ups.extend(
            input
                .attachments
                .iter()
                .map(|u| (DocFileKind::Attachment, u)),
        );
        let files = self.doc_files(ctx, id, &ups, now).await?;
        self.save_change(
            ctx,
            rec,
            "document.edit",
            Command::Edit { fields },
            files,
            vec![],
        )
        .await
    }

    /// The drafter submits the draft for review.
    pub async fn document_submit_review(
        &self,
        ctx: &Ctx,
        id: DocumentId,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::HandleDocument).await?;
        self.save_change(
            ctx,
            rec,
            "document.submit_review",
            Command::SubmitForReview,
            vec![],
            vec![],
        )
        .await
    }

    /// A leader sends it back to draft, with the reason.
    pub async fn document_send_back(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        reason: &str,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::Approve).await?;
        self.save_change(
            ctx,
            rec,
            "document.send_back",
            Command::SendBack {
                reason: reason.into(),
            },
            vec![],
            vec![],
        )
        .await
    }

    /// A leader passes the reviewed draft to signature (the document must have its file).
    pub async fn document_submit_signature(
        &self,
        ctx: &Ctx,
        id: DocumentId,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::Approve).await?;
        self.main_file(rec.id).await?;
        self.save_change(
            ctx,
            rec,
            "document.submit_signature",
            Command::SubmitForSignature,
            vec![],
            vec![],
        )
        .await
    }

    async fn main_file(&self, id: DocumentId) -> AppResult<(DocumentFile, Vec<u8>)> {
        let f = self
            .store
            .document_files(id)
            .await?
            .into_iter()
            .rfind(|f| f.kind == DocFileKind::Main)
            .ok_or_else(|| AppError::new(ErrorCode::DocumentNoMainFile))?;
        let bytes = self
            .blobs
            .get(&f.sha256)
            .await?
            .ok_or_else(|| AppError::internal("main file bytes missing"))?;
        Ok((f, bytes))
    }

    /// The leader signs: the signer's signature over the main file is stored and recorded.
    pub async fn document_sign(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        signer: &dyn DocumentSigner,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::Approve).await?;
        if rec.doc.state != DocState::AwaitingSignature {
            return Err(AppError::field(
                ErrorCode::DocumentIllegalTransition,
                format!("{}:sign", rec.doc.state.as_str()),
            ));
        }
        let (main, bytes) = self.main_file(id).await?;
        let user = match ctx.actor.user_id() {
            Some(u) => self.store.user_get(u).await?,
            None => None,
        };
        let who = SignAs::Person {
            user: user.as_ref().map_or(UserId(uuid::Uuid::nil()), |u| u.id),
            full_name: user
                .as_ref()
                .map_or_else(String::new, |u| u.full_name.clone()),
        };
        let sig = signer.sign(&who, &bytes).await.map_err(signing_failed)?;
        // A PDF also gets the signer's embedded signature (an incremental update, kept as
        // its own file; the clerk stamps and the agency signs over it at issue).
        let embedded = if main.file_type == "pdf" {
            signer
                .sign_pdf(&who, &bytes, None)
                .await
                .map_err(signing_failed)?
        } else {
            None
        };
        let now = self.now_us();
        let mut files = vec![
            self.signature_file(
                ctx,
                id,
                DocFileKind::SignerSignature,
                &format!("{}.signer.p7s", main.name),
                &sig,
                now,
            )
            .await?,
        ];
        if let Some(pdf) = embedded {
            files.push(
                self.made_file(
                    ctx,
                    id,
                    DocFileKind::SignedPdf,
                    &pdf_name(&main.name, "da-ky"),
                    "pdf",
                    &pdf,
                    now,
                )
                .await?,
            );
        }
        self.save_change(ctx, rec, "document.sign", Command::Sign, files, vec![])
            .await
    }

    /// The clerk issues a signed document: draws its number in the agency's series for the
    /// year, writes number, notation and date, adds the agency's signature, enters it in the
    /// outgoing register and queues one `document.send` per recipient on the platform.
    pub async fn document_issue(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        signer: &dyn DocumentSigner,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::RegisterDocument).await?;
        if rec.doc.state != DocState::Signed {
            return Err(AppError::field(
                ErrorCode::DocumentIllegalTransition,
                format!("{}:issue", rec.doc.state.as_str()),
            ));
        }
        let agency = self.doc_agency(rec.agency_id).await?;
        let now = self.now_us();
        let at = instant(now)?;
        let today = local_date(now)?;
        let types = document_types()?;
        let ty = types.on(&rec.doc.fields.type_code, today)?;
        let series = Series::outgoing(&ty.code, ty.series, rec.doc.fields.secrecy);
        let issuer = self.document_issuer_abbreviation(&agency).await?;
        let unit = rec
            .doc
            .outgoing
            .as_ref()
            .and_then(|o| o.drafting_unit.clone());
        let note = notation(ty.abbreviation.as_deref(), &issuer, unit.as_deref());
        let (main, bytes) = self.main_file(id).await?;
        let seal = SignAs::Agency {
            agency: agency.id,
            identifier: agency.fields.identifier.to_string(),
            name: agency.fields.name.clone(),
        };
        let sig = signer.sign(&seal, &bytes).await.map_err(signing_failed)?;
        let sig_file = self
            .signature_file(
                ctx,
                id,
                DocFileKind::AgencySignature,
                &format!("{}.agency.p7s", main.name),
                &sig,
                now,
            )
            .await?;
        let mut files = self.store.document_files(id).await?;
        files.push(sig_file.clone());
        // The PDF the clerk stamps and the agency signs: the one the signer signed (embedded),
        // else the main file when it is a PDF (signed before embedded signatures existed).
        let base = match files.iter().rfind(|f| f.kind == DocFileKind::SignedPdf) {
            Some(f) => Some(
                self.blobs
                    .get(&f.sha256)
                    .await?
                    .ok_or_else(|| AppError::internal("signed PDF bytes missing"))?,
            ),
            None => (main.file_type == "pdf").then(|| bytes.clone()),
        };
        let recipients: Vec<Recipient> = rec
            .doc
            .outgoing
            .as_ref()
            .map(|o| o.recipients.clone())
            .unwrap_or_default();
        // Secret documents never go over the exchange (nor get an edXML id).
        let secret = rec.doc.fields.secrecy.is_secret();
        let mut send_ids = Vec::new();
        for r in recipients.iter().filter(|r| self.by_edxml(r) && !secret) {
            send_ids.push((self.ids.new_id().to_string(), r.clone()));
        }
        let counter = CounterKey {
            agency_id: agency.id,
            year: today.year(),
            series: series.key(),
        };
        let replaced_id = self.ids.new_id().to_string();
        let organ = agency.fields.identifier.to_string();
        let actor = ctx.actor.user_id();
        let audit = ctx.audit(
            now,
            "document.issue",
            "document",
            id,
            Some(&rec.doc),
            Some(&"issued"),
        );
        // With a PDF, the number is stamped before the agency signs, and drawing it is inside
        // the saving transaction: read the counter's next value, stamp and sign with it, then
        // save expecting that value; another issue taking it first rolls this one back (the
        // number stays gap-free and unique) and it starts again with the next value.
        let mut attempt = 0usize;
        loop {
            attempt += 1;
            let (expected, issued_file) = match &base {
                None => (None, None),
                Some(pdf) => {
                    let next = self.store.document_counter_next(&counter).await?;
                    let number = IssuedNumber::new(next, today, &series, note.clone())?;
                    let lines = stamp_lines(&number);
                    match signer
                        .sign_pdf(&seal, pdf, Some(&lines))
                        .await
                        .map_err(signing_failed)?
                    {
                        Some(out) => (
                            Some(next),
                            Some(
                                self.made_file(
                                    ctx,
                                    id,
                                    DocFileKind::IssuedPdf,
                                    &pdf_name(&main.name, "ban-hanh"),
                                    "pdf",
                                    &out,
                                    now,
                                )
                                .await?,
                            ),
                        ),
                        None => (None, None),
                    }
                }
            };
            let taken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let mut new_files = vec![sig_file.clone()];
            let mut all_files = files.clone();
            if let Some(f) = issued_file {
                new_files.push(f.clone());
                all_files.push(f);
            }
            let result = self
                .store
                .document_save(
                    Some(rec.version),
                    &audit,
                    Some(&counter),
                    issue_builder(IssueParts {
                        rec: rec.clone(),
                        expected,
                        taken: taken.clone(),
                        today,
                        series: series.clone(),
                        note: note.clone(),
                        organ: organ.clone(),
                        secret,
                        send_ids: send_ids.clone(),
                        replaced_id: replaced_id.clone(),
                        at,
                        actor,
                        now,
                        files: all_files,
                        new_files,
                    }),
                )
                .await;
            match result {
                Err(_)
                    if taken.load(std::sync::atomic::Ordering::SeqCst)
                        && attempt < ISSUE_ATTEMPTS =>
                {
                    tracing::debug!(document = %id, attempt, "number taken meanwhile; stamping again");
                    tokio::task::yield_now().await;
                }
                other => return other,
            }
        }
    }

    /// The package a deliverer hands to `recipient` for an issued document: its metadata and
    /// files (main first, then attachments; signatures travel in the edXML envelope later).
    pub async fn document_package(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        recipient: AgencyId,
    ) -> AppResult<ReceivedPackage> {
        self.package_for(ctx, id, Some(recipient), None).await
    }

    /// The package for a recipient outside the platform, named by its official identifier
    /// (an edXML peer). `to_agency` of the answer is the *sender's* agency (there is no
    /// receiving agency on the platform); the edXML header names the recipient.
    pub async fn document_package_external(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        identifier: &str,
    ) -> AppResult<ReceivedPackage> {
        self.package_for(ctx, id, None, Some(identifier)).await
    }

    async fn package_for(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        recipient: Option<AgencyId>,
        identifier: Option<&str>,
    ) -> AppResult<ReceivedPackage> {
        let rec = self.load_for(ctx, id, Action::RegisterDocument).await?;
        let (Some(out), Some(eid)) = (&rec.doc.outgoing, &rec.edxml_document_id) else {
            return Err(AppError::field(
                ErrorCode::DocumentIllegalTransition,
                format!("{}:package", rec.doc.state.as_str()),
            ));
        };
        let Some(number) = &out.number else {
            return Err(AppError::new(ErrorCode::DocumentIllegalTransition));
        };
        let listed = out
            .recipients
            .iter()
            .any(|r| match (recipient, identifier) {
                (Some(a), _) => r.agency_id == Some(a),
                (None, Some(i)) => r.agency_id.is_none() && r.identifier.as_deref() == Some(i),
                (None, None) => false,
            });
        if !listed {
            return Err(AppError::field(
                ErrorCode::DocumentInvalidRecipient,
                "recipient",
            ));
        }
        let agency = self.doc_agency(rec.agency_id).await?;
        let mut files = Vec::new();
        let mut stored = self.store.document_files(id).await?;
        // The issued PDF (stamped, with both embedded signatures) travels as the main file.
        let main_kind = if stored.iter().any(|f| f.kind == DocFileKind::IssuedPdf) {
            DocFileKind::IssuedPdf
        } else {
            DocFileKind::Main
        };
        stored.sort_by_key(|f| (f.kind != main_kind, f.uploaded_at_us));
        let last_main = stored.iter().filter(|f| f.kind == main_kind).count();
        for (i, f) in stored.iter().enumerate() {
            let keep = match f.kind {
                k if k == main_kind => i + 1 == last_main,
                DocFileKind::Attachment => true,
                // The latest of each, made over the current main file; an issued PDF carries
                // both signatures inside (the detached ones are over the unstamped file).
                DocFileKind::SignerSignature | DocFileKind::AgencySignature => {
                    main_kind == DocFileKind::Main
                        && !stored[i + 1..].iter().any(|g| g.kind == f.kind)
                }
                DocFileKind::Main
                | DocFileKind::Scan
                | DocFileKind::SignedPdf
                | DocFileKind::IssuedPdf => false,
            };
            if !keep {
                continue;
            }
            let bytes = self
                .blobs
                .get(&f.sha256)
                .await?
                .ok_or_else(|| AppError::internal("file bytes missing"))?;
            files.push(PackageFile {
                name: f.name.clone(),
                bytes,
                text: f.text.clone(),
                // The receiver gets the issued PDF as the document's main file.
                kind: if f.kind == main_kind {
                    DocFileKind::Main
                } else {
                    f.kind
                },
            });
        }
        Ok(ReceivedPackage {
            edxml_document_id: eid.clone(),
            to_agency: recipient.unwrap_or(rec.agency_id),
            from_identifier: agency.fields.identifier.to_string(),
            from_name: agency.fields.name.clone(),
            number: number.full.clone(),
            promulgation_date: Some(number.date),
            type_code: Some(rec.doc.fields.type_code.clone()),
            type_name: rec.doc.fields.type_name.clone(),
            subject: rec.doc.fields.subject.clone(),
            signer: rec.doc.fields.signer.clone(),
            priority: rec.doc.fields.urgency.priority(),
            due_date: None,
            sender_document_id: Some(rec.id),
            files,
            business: self.business_of(&rec).await?,
        })
    }

    /// A receiver's status (01–06, 15, 16) recorded on the sender's outgoing document (once
    /// per receiver and code; an answer again after a newer recall). Status 13 goes the other
    /// way: the sender asks the receiver (`report.to`) to give its copy back.
    pub async fn document_record_status(
        &self,
        ctx: &Ctx,
        report: StatusReport,
    ) -> AppResult<DocumentRecord> {
        let status = EdxmlStatus::from_code(report.code)
            .ok_or_else(|| AppError::field(ErrorCode::DocumentInvalidStatus, "code"))?;
        if status == EdxmlStatus::RecallRequested {
            return self.recall_arrived(ctx, report).await;
        }
        let rec = match report.source_document_id {
            Some(id) => self.load(id).await?,
            None => self
                .store
                .document_by_edxml(Direction::Outgoing, None, &report.edxml_document_id)
                .await?
                .ok_or_else(not_found)?,
        };
        if rec.edxml_document_id.as_deref() != Some(report.edxml_document_id.as_str()) {
            return Err(not_found());
        }
        self.authorize(
            ctx,
            Action::RegisterDocument,
            Target::Agency(&rec.agency_path),
        )?;
        let from = nfc(&report.from);
        let events = self.store.document_events(rec.id).await?;
        let answer = matches!(
            status,
            EdxmlStatus::RequestAgreed | EdxmlStatus::RequestRefused
        );
        // An answer counts again after a newer recall; other codes once per receiver.
        let since = if answer {
            events
                .iter()
                .rposition(|(_, e)| e.kind == EventKind::RecallRequested)
                .map_or(0, |i| i + 1)
        } else {
            0
        };
        let already = events[since.min(events.len())..].iter().any(|(_, e)| {
            e.kind == EventKind::StatusReceived
                && e.status == Some(status)
                && e.from.as_deref() == Some(from.as_str())
                && (!answer
                    || e.note == report.description.as_deref().and_then(|d| nfc_opt(Some(d))))
        });
        if already {
            return Ok(rec);
        }
        self.save_change(
            ctx,
            rec,
            "document.status",
            Command::RecordStatus(ReceiverStatus {
                from,
                status,
                description: report.description,
            }),
            vec![],
            vec![],
        )
        .await
    }

    /// Status 13 from the sender: the receiver's copy waits for the clerk's answer (15 or 16).
    /// Repeats and copies already closed change nothing.
    async fn recall_arrived(&self, ctx: &Ctx, report: StatusReport) -> AppResult<DocumentRecord> {
        let to = report
            .to
            .as_deref()
            .map(nfc)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::field(ErrorCode::Required, "to"))?;
        let agency = self
            .store
            .agency_by_identifier(&to)
            .await?
            .ok_or_else(not_found)?;
        let copy = self
            .store
            .document_by_edxml(
                Direction::Incoming,
                Some(agency.id),
                &report.edxml_document_id,
            )
            .await?
            .ok_or_else(not_found)?;
        let from = nfc(&report.from);
        let sender = copy
            .doc
            .incoming
            .as_ref()
            .and_then(|i| i.sender.identifier.clone());
        if sender.as_deref() != Some(from.as_str()) {
            return Err(not_found());
        }
        self.authorize(
            ctx,
            Action::RegisterDocument,
            Target::Agency(&copy.agency_path),
        )?;
        let reason = nfc_opt(report.description.as_deref())
            .unwrap_or_else(|| "Yêu cầu lấy lại văn bản".into());
        let pending = copy.doc.incoming.as_ref().and_then(|i| i.request.as_ref());
        if !copy.doc.state.is_open_to_sender()
            || pending.is_some_and(|r| r.kind == RequestKind::Recall && r.reason == reason)
        {
            return Ok(copy);
        }
        let req = SenderRequest {
            kind: RequestKind::Recall,
            reason,
            at: instant(self.now_us())?,
            update: None,
        };
        self.save_change(
            ctx,
            copy,
            "document.request",
            Command::ReceiveRequest(req),
            vec![],
            vec![],
        )
        .await
    }

    /// The sender's clerk asks every electronic receiver to give an issued document back
    /// (status 13 with the reason); each answers 15 or 16 on this document's page.
    pub async fn document_request_recall(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        reason: &str,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::RegisterDocument).await?;
        let reason = nfc(reason);
        let (Some(out), Some(eid)) = (&rec.doc.outgoing, &rec.edxml_document_id) else {
            return Err(AppError::field(
                ErrorCode::DocumentIllegalTransition,
                format!("{}:request_recall", rec.doc.state.as_str()),
            ));
        };
        let agency = self.doc_agency(rec.agency_id).await?;
        let now = self.now_us();
        let mut outbox = Vec::new();
        for r in out.recipients.iter().filter(|r| self.by_edxml(r)) {
            let to = self.recipient_identifier(r).await?;
            outbox.push(self.outbox_row(
                format!("{TOPIC_STATUS}:{id}:13:{to}:{}", rec.version + 1),
                TOPIC_STATUS,
                serde_json::json!({
                    "edxml_document_id": eid,
                    "document_id": id,
                    "from": agency.fields.identifier.to_string(),
                    "to": to,
                    "status": EdxmlStatus::RecallRequested.code(),
                    "description": reason,
                }),
                now,
            ));
        }
        if outbox.is_empty() {
            return Err(AppError::field(
                ErrorCode::DocumentInvalidRecipient,
                "recipients",
            ));
        }
        self.save_change(
            ctx,
            rec,
            "document.request_recall",
            Command::RequestRecall { reason },
            vec![],
            outbox,
        )
        .await
    }

    /// The receiver's clerk answers the sender's pending recall or update: agree (15; a
    /// recalled copy is withdrawn, an updated one takes the new metadata) or refuse with a
    /// reason (16).
    pub async fn document_answer_request(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        agree: bool,
        reason: Option<&str>,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::RegisterDocument).await?;
        let pending = rec.doc.incoming.as_ref().and_then(|i| i.request.as_ref());
        if pending.is_none() {
            return Err(AppError::field(
                ErrorCode::DocumentIllegalTransition,
                format!("{}:answer_request", rec.doc.state.as_str()),
            ));
        }
        self.save_change(
            ctx,
            rec,
            if agree {
                "document.request_agree"
            } else {
                "document.request_refuse"
            },
            Command::AnswerRequest {
                agree,
                reason: reason.map(nfc),
            },
            vec![],
            vec![],
        )
        .await
    }

    /// A leader revokes an issued document (thu hồi, with the reason): it leaves circulation
    /// here, and a revocation package (BussinessDocType 1) goes to each electronic receiver,
    /// whose copy is withdrawn (15 back).
    pub async fn document_revoke(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        reason: &str,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::Approve).await?;
        let w = Withdrawal {
            kind: WithdrawalKind::Revoke,
            reason: nfc(reason),
            at: instant(self.now_us())?,
            replaced_by: None,
        };
        let outbox = self.resend_rows(&rec, "revoke")?;
        self.save_change(
            ctx,
            rec,
            "document.revoke",
            Command::Revoke(w),
            vec![],
            outbox,
        )
        .await
    }

    /// A leader corrects an issued document's subject, signer or urgency (with the reason):
    /// an update package (BussinessDocType 2) goes to each electronic receiver, whose clerk
    /// agrees (15: the copy takes the new metadata) or refuses (16). The number, type and
    /// secrecy stay; a wrong type or content is a replacement instead.
    pub async fn document_correct(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        input: CorrectionInput,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, id, Action::Approve).await?;
        let current = &rec.doc.fields;
        let fields = DocumentFields {
            subject: input.subject,
            signer: input.signer.or_else(|| current.signer.clone()),
            urgency: input.urgency.unwrap_or(current.urgency),
            ..current.clone()
        };
        let outbox = self.resend_rows(&rec, &format!("update:{}", rec.version + 1))?;
        self.save_change(
            ctx,
            rec,
            "document.correct",
            Command::Correct {
                fields,
                reason: input.reason,
            },
            vec![],
            outbox,
        )
        .await
    }

    /// Mark `old` replaced by the issued `new` (from the `document.replaced` outbox row;
    /// idempotent). Its receivers are told by the new document's packages (BussinessDocType 3).
    pub async fn document_mark_replaced(
        &self,
        ctx: &Ctx,
        old: DocumentId,
        new: DocumentId,
    ) -> AppResult<DocumentRecord> {
        let rec = self.load_for(ctx, old, Action::RegisterDocument).await?;
        if rec.doc.state != DocState::Issued {
            return Ok(rec);
        }
        let by = self.load(new).await?;
        let number = by
            .doc
            .outgoing
            .as_ref()
            .and_then(|o| o.number.as_ref())
            .map_or_else(String::new, |n| format!(" số {}", n.full));
        let w = Withdrawal {
            kind: WithdrawalKind::Replace,
            reason: format!("Được thay thế bằng văn bản{number}"),
            at: instant(self.now_us())?,
            replaced_by: Some(new),
        };
        self.save_change(
            ctx,
            rec,
            "document.replaced",
            Command::Revoke(w),
            vec![],
            vec![],
        )
        .await
    }

    /// What a package of this issued document does: a revocation once revoked, a
    /// replacement when it replaces another document, else a new document.
    async fn business_of(&self, rec: &DocumentRecord) -> AppResult<PackageBusiness> {
        let Some(out) = &rec.doc.outgoing else {
            return Ok(PackageBusiness::New);
        };
        if let Some(w) = &out.revocation
            && w.kind == WithdrawalKind::Revoke
        {
            return Ok(PackageBusiness::Revoke {
                reason: w.reason.clone(),
            });
        }
        // Once corrected, every package carries the update (a receiver without a copy takes
        // it as a new document).
        if let Some(r) = &out.update_reason {
            return Ok(PackageBusiness::Update { reason: r.clone() });
        }
        let Some(old) = out.replaces else {
            return Ok(PackageBusiness::New);
        };
        let old = self.load(old).await?;
        let (Some(eid), Some(o)) = (&old.edxml_document_id, &old.doc.outgoing) else {
            return Ok(PackageBusiness::New);
        };
        let mut organ_ids = Vec::new();
        for r in o.recipients.iter().filter(|r| self.by_edxml(r)) {
            organ_ids.push(self.recipient_identifier(r).await?);
        }
        let number = o
            .number
            .as_ref()
            .map_or_else(String::new, |n| format!(" số {}", n.full));
        Ok(PackageBusiness::Replace {
            reason: format!("Thay thế văn bản{number}"),
            replaces: vec![eid.clone()],
            organ_ids,
        })
    }

    /// A recipient's official identifier: its agency's on the platform, else as typed.
    async fn recipient_identifier(&self, r: &Recipient) -> AppResult<String> {
        Ok(match r.agency_id {
            Some(a) => self.doc_agency(a).await?.fields.identifier.to_string(),
            None => r.identifier.clone().unwrap_or_default(),
        })
    }

    /// A recipient the exchange reaches: on the platform, or served by an edXML peer.
    fn by_edxml(&self, r: &Recipient) -> bool {
        r.electronic()
            || r.identifier
                .as_ref()
                .is_some_and(|i| self.config.edxml_peers.iter().any(|p| p == i))
    }

    /// One `document.send` row per electronic recipient of an issued document, for a
    /// follow-up package (`what`: `revoke`, `update:{version}`).
    /// A document without an edXML id (secret, or not issued) gets none: the domain decides
    /// whether the change itself is allowed.
    fn resend_rows(&self, rec: &DocumentRecord, what: &str) -> AppResult<Vec<NewOutbox>> {
        let (Some(out), Some(eid)) = (&rec.doc.outgoing, &rec.edxml_document_id) else {
            return Ok(vec![]);
        };
        let now = self.now_us();
        Ok(out
            .recipients
            .iter()
            .filter(|r| self.by_edxml(r))
            .map(|r| {
                let who = r.agency_id.map_or_else(
                    || format!("edxml:{}", r.identifier.clone().unwrap_or_default()),
                    |a| a.to_string(),
                );
                self.outbox_row(
                    format!("{TOPIC_SEND}:{}:{who}:{what}", rec.id),
                    TOPIC_SEND,
                    serde_json::json!({
                        "document_id": rec.id,
                        "recipient_agency_id": r.agency_id,
                        "recipient_identifier": r.identifier,
                        "edxml_document_id": eid,
                        "business": what,
                    }),
                    now,
                )
            })
            .collect())
    }

    // -----------------------------------------------------------------------------------------
    // Reads

    /// A document with its events and files.
    pub async fn document_view(&self, ctx: &Ctx, id: DocumentId) -> AppResult<DocumentView> {
        let rec = self.load(id).await?;
        self.authorize(ctx, Action::ViewDocuments, Target::Agency(&rec.agency_path))
            .map_err(|e| {
                if e.code == ErrorCode::Forbidden {
                    not_found()
                } else {
                    e
                }
            })?;
        if !self.may_read(ctx, &rec) {
            return Err(AppError::new(ErrorCode::DocumentSecret));
        }
        let today = local_date(self.now_us())?;
        Ok(DocumentView {
            overdue: rec.doc.is_overdue(today),
            events: self.store.document_events(id).await?,
            files: self.store.document_files(id).await?,
            record: rec,
        })
    }

    /// A page of a register of an agency for a year, newest first.
    pub async fn document_register(
        &self,
        ctx: &Ctx,
        q: &RegisterQuery,
    ) -> AppResult<Page<RegisterRow>> {
        let agency = self.doc_agency(q.agency_id).await?;
        self.authorize(ctx, Action::ViewDocuments, Target::Agency(&agency.path))?;
        let today = local_date(self.now_us())?;
        let (items, total) = self
            .store
            .documents_register(&RegisterFilter {
                agency_id: agency.id,
                direction: match q.book {
                    Book::Outgoing => Direction::Outgoing,
                    Book::Incoming | Book::Handling => Direction::Incoming,
                },
                year: q.year,
                limit: q.limit.unwrap_or(50).clamp(1, 500),
                offset: q.offset.unwrap_or(0).max(0),
            })
            .await?;
        let mut rows = Vec::with_capacity(items.len());
        for r in self.redacted(ctx, items) {
            let reply_number = match (q.book, r.doc.incoming.as_ref().and_then(|i| i.reply)) {
                (Book::Handling, Some(reply)) => self
                    .store
                    .document_get(reply)
                    .await?
                    .and_then(|d| d.doc.outgoing.and_then(|o| o.number.map(|n| n.full))),
                _ => None,
            };
            rows.push(register_row(&r, today, reply_number));
        }
        Ok(Page { items: rows, total })
    }

    /// Incoming documents of an agency's subtree past their handling date, most overdue first.
    pub async fn documents_overdue(
        &self,
        ctx: &Ctx,
        agency_id: AgencyId,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> AppResult<Page<DocumentRecord>> {
        let agency = self.doc_agency(agency_id).await?;
        self.authorize(ctx, Action::ViewDocuments, Target::Agency(&agency.path))?;
        let today = local_date(self.now_us())?;
        let (items, total) = self
            .store
            .documents_overdue(
                &path_string(&agency.path),
                today,
                limit.unwrap_or(50).clamp(1, 500),
                offset.unwrap_or(0).max(0),
            )
            .await?;
        let items = self.redacted(ctx, items);
        Ok(Page { items, total })
    }

    /// Documents of an agency's subtree matching every word of `q` (diacritics ignored; the
    /// last word may be the start of a word), newest first.
    pub async fn documents_search(
        &self,
        ctx: &Ctx,
        agency_id: AgencyId,
        q: &str,
        limit: Option<i64>,
    ) -> AppResult<Vec<DocumentRecord>> {
        let agency = self.doc_agency(agency_id).await?;
        self.authorize(ctx, Action::ViewDocuments, Target::Agency(&agency.path))?;
        let mut ws = words(q);
        ws.truncate(12);
        let Some(last) = ws.pop() else {
            return Ok(vec![]);
        };
        let mut terms: Vec<String> = ws
            .into_iter()
            .map(|w| {
                if w.chars().all(|c| c.is_ascii_digit()) {
                    let t = w.trim_start_matches('0');
                    if t.is_empty() { w } else { t.to_string() }
                } else {
                    w
                }
            })
            .collect();
        terms.sort();
        terms.dedup();
        let found = self
            .store
            .documents_search(
                &path_string(&agency.path),
                &terms,
                Some(&last),
                limit.unwrap_or(50).clamp(1, 200),
            )
            .await?;
        Ok(self.redacted(ctx, found))
    }

    /// Figures of an agency's subtree over a period (inclusive local dates).
    pub async fn document_figures(
        &self,
        ctx: &Ctx,
        agency_id: AgencyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> AppResult<FiguresView> {
        let agency = self.doc_agency(agency_id).await?;
        self.authorize(ctx, Action::ViewDocuments, Target::Agency(&agency.path))?;
        if to < from {
            return Err(AppError::field(ErrorCode::InvalidDate, "to"));
        }
        let f = self
            .store
            .document_figures(&path_string(&agency.path), from, to)
            .await?;
        Ok(FiguresView {
            figures: f,
            province_to_district_electronic_permille: (f.province_to_district > 0)
                .then(|| f.province_to_district_electronic * 1000 / f.province_to_district),
        })
    }

    /// The bytes of a document's file (anyone who may read the document).
    pub async fn document_file_content(
        &self,
        ctx: &Ctx,
        id: DocumentId,
        file: FileId,
    ) -> AppResult<(DocumentFile, Vec<u8>)> {
        let v = self.document_view(ctx, id).await?;
        let f = v
            .files
            .into_iter()
            .find(|f| f.id == file)
            .ok_or_else(|| AppError::new(ErrorCode::FileNotFound))?;
        let bytes = self
            .blobs
            .get(&f.sha256)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::FileNotFound))?;
        Ok((f, bytes))
    }

    /// The document's file as downloaded by default: the issued PDF (number stamped, both
    /// embedded signatures) once there is one, else the current main file, else the last
    /// scan. `file.not_found` when the document has none of these.
    pub async fn document_default_file(
        &self,
        ctx: &Ctx,
        id: DocumentId,
    ) -> AppResult<(DocumentFile, Vec<u8>)> {
        let v = self.document_view(ctx, id).await?;
        let f = default_file(&v.files)
            .cloned()
            .ok_or_else(|| AppError::new(ErrorCode::FileNotFound))?;
        let bytes = self
            .blobs
            .get(&f.sha256)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::FileNotFound))?;
        Ok((f, bytes))
    }

    /// Check the signatures of any uploaded file (the verification page and API; no login):
    /// a PDF's embedded signatures, or a detached `.p7s` over the file.
    pub async fn signatures_verify(
        &self,
        bytes: &[u8],
        signature: Option<&[u8]>,
    ) -> AppResult<SignatureVerification> {
        self.signer.verify(bytes, signature).await
    }
}

/// Which of a document's files is "the document": the issued PDF, else the latest main file,
/// else the latest scan.
pub fn default_file(files: &[DocumentFile]) -> Option<&DocumentFile> {
    [DocFileKind::IssuedPdf, DocFileKind::Main, DocFileKind::Scan]
        .into_iter()
        .find_map(|k| files.iter().rfind(|f| f.kind == k))
}

/// Attempts at issuing a PDF before giving up when other issues keep taking the number.
const ISSUE_ATTEMPTS: usize = 64;

/// What the issuing transaction's builder needs.
struct IssueParts {
    rec: DocumentRecord,
    /// The number stamped into the issued PDF: the one drawn must equal it.
    expected: Option<u32>,
    /// Set when it did not (another issue took it): the caller tries again.
    taken: std::sync::Arc<std::sync::atomic::AtomicBool>,
    today: NaiveDate,
    series: Series,
    note: String,
    organ: String,
    secret: bool,
    send_ids: Vec<(String, Recipient)>,
    /// The outbox id of the `document.replaced` row, when this document replaces another.
    replaced_id: String,
    at: DateTime<Utc>,
    actor: Option<UserId>,
    now: i64,
    /// Every file of the document after the save (for the search terms).
    files: Vec<DocumentFile>,
    new_files: Vec<DocumentFile>,
}

/// The builder of the issuing transaction: number, event, register entry, outbox.
fn issue_builder<'a>(p: IssueParts) -> DocumentBuilder<'a> {
    Box::new(move |n| {
        let mut rec = p.rec;
        let n = u32_of(n)?;
        if p.expected.is_some_and(|e| e != n) {
            p.taken.store(true, std::sync::atomic::Ordering::SeqCst);
            return Err(AppError::new(ErrorCode::StorageConflict)
                .with_detail("the number stamped was taken meanwhile"));
        }
        let number = IssuedNumber::new(n, p.today, &p.series, p.note)?;
        let eid = edxml_document_id(&p.organ, &number);
        let ev = rec.doc.apply(p.at, p.actor, Command::Issue { number })?;
        rec.edxml_document_id = (!p.secret).then(|| eid.clone());
        rec.sent_electronic = !p.send_ids.is_empty();
        rec.updated_at_us = p.now;
        let replaced = rec
            .doc
            .outgoing
            .as_ref()
            .and_then(|o| o.replaces)
            .map(|old| NewOutbox {
                id: p.replaced_id.clone(),
                idempotency_key: format!("{TOPIC_REPLACED}:{old}:{}", rec.id),
                topic: TOPIC_REPLACED.into(),
                payload: serde_json::json!({ "old": old, "new": rec.id }).to_string(),
                created_at_us: p.now,
            });
        let outbox = p
            .send_ids
            .into_iter()
            .map(|(oid, r)| NewOutbox {
                id: oid,
                idempotency_key: format!(
                    "{TOPIC_SEND}:{}:{}",
                    rec.id,
                    r.agency_id.map_or_else(
                        || format!("edxml:{}", r.identifier.clone().unwrap_or_default()),
                        |a| a.to_string()
                    )
                ),
                topic: TOPIC_SEND.into(),
                payload: serde_json::json!({
                    "document_id": rec.id,
                    "recipient_agency_id": r.agency_id,
                    "recipient_identifier": r.identifier,
                    "edxml_document_id": eid,
                })
                .to_string(),
                created_at_us: p.now,
            })
            .chain(replaced)
            .collect();
        let terms = search_terms(&rec.doc, &p.files);
        Ok(DocumentWrite {
            record: rec,
            events: vec![ev],
            files: p.new_files,
            terms,
            outbox,
        })
    })
}

/// The sender's number of an incoming copy, for messages ("số 05/QĐ-UBND").
fn sender_number(rec: &DocumentRecord) -> String {
    rec.doc
        .incoming
        .as_ref()
        .and_then(|i| i.sender_number.clone())
        .map_or_else(|| "này".to_string(), |n| format!("số {n}"))
}

/// The issued PDF's file name: `du-thao.pdf` → `du-thao-ban-hanh.pdf`.
fn pdf_name(name: &str, suffix: &str) -> String {
    let stem = name
        .strip_suffix(".pdf")
        .or_else(|| name.strip_suffix(".PDF"))
        .unwrap_or(name);
    format!("{stem}-{suffix}.pdf")
}

/// What the clerk stamps on the issued PDF (NĐ 30/2020 Phụ lục I: "Số: 05/QĐ-UBND"; the
/// date written "ngày 05 tháng 3 năm 2024", with a leading zero for days below 10 and for
/// January and February).
pub fn stamp_lines(number: &IssuedNumber) -> Vec<String> {
    let d = number.date;
    let month = if d.month() < 3 {
        format!("{:02}", d.month())
    } else {
        d.month().to_string()
    };
    vec![
        format!("Số: {}", number.full),
        format!(
            "Ban hành ngày {:02} tháng {month} năm {}",
            d.day(),
            d.year()
        ),
    ]
}

fn signing_failed(e: AppError) -> AppError {
    if e.code == ErrorCode::DocumentSigningFailed {
        e
    } else {
        AppError::new(ErrorCode::DocumentSigningFailed).with_detail(e.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Added for the JSON API (`GET /api/v1/documents`): kept apart from the use cases above.

/// What `GET /api/v1/documents` lists without a search text.
#[derive(Debug, Clone)]
pub struct DocumentListQuery {
    pub agency_id: AgencyId,
    pub direction: Direction,
    /// Register year (local); default this year.
    pub year: Option<i32>,
    /// Only these states (the year's register is read through and filtered).
    pub states: Vec<DocState>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl App {
    /// The documents of an agency's register of one direction and year, newest first, as
    /// records (the API list). With `states`, the whole year's register is read and filtered,
    /// so the total stays exact.
    pub async fn documents_list(
        &self,
        ctx: &Ctx,
        q: &DocumentListQuery,
    ) -> AppResult<Page<DocumentRecord>> {
        let agency = self.doc_agency(q.agency_id).await?;
        self.authorize(ctx, Action::ViewDocuments, Target::Agency(&agency.path))?;
        let year = match q.year {
            Some(y) => y,
            None => local_date(self.now_us())?.year(),
        };
        let limit = q.limit.unwrap_or(50).clamp(1, 500);
        let offset = q.offset.unwrap_or(0).max(0);
        let filter = |limit, offset| RegisterFilter {
            agency_id: agency.id,
            direction: q.direction,
            year,
            limit,
            offset,
        };
        if q.states.is_empty() {
            let (items, total) = self
                .store
                .documents_register(&filter(limit, offset))
                .await?;
            let items = self.redacted(ctx, items);
            return Ok(Page { items, total });
        }
        let mut all = Vec::new();
        let mut at = 0;
        loop {
            let (items, total) = self.store.documents_register(&filter(500, at)).await?;
            let n = items.len() as i64;
            all.extend(
                items
                    .into_iter()
                    .filter(|r| q.states.contains(&r.doc.state)),
            );
            at += n;
            if n == 0 || at >= total {
                break;
            }
        }
        let total = all.len() as i64;
        let items = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(limit).unwrap_or(50))
            .collect();
        let items = self.redacted(ctx, items);
        Ok(Page { items, total })
    }
}

fn register_row(r: &DocumentRecord, today: NaiveDate, reply_number: Option<String>) -> RegisterRow {
    let d = &r.doc;
    let signer = d.fields.signer.as_ref().map(|s| s.full_name.clone());
    match (&d.incoming, &d.outgoing) {
        (Some(i), _) => RegisterRow {
            id: r.id,
            arrival_date: i.arrival.as_ref().map(|a| a.date),
            arrival_number: i.arrival.as_ref().map(|a| a.number),
            author: Some(i.sender.name.clone()),
            number: i.sender_number.clone(),
            date: i.sender_date,
            type_name: d.fields.type_name.clone(),
            subject: d.fields.subject.clone(),
            signer,
            recipients: vec![],
            lead_unit: i.handling.as_ref().and_then(|h| h.lead_unit),
            lead_person: i.handling.as_ref().and_then(|h| h.lead_person),
            due: i.handling_due,
            state: d.state,
            overdue: d.is_overdue(today),
            reply_number,
            urgency: d.fields.urgency,
            secrecy: d.fields.secrecy,
            electronic: i.channel == InChannel::Electronic,
        },
        (None, o) => RegisterRow {
            id: r.id,
            arrival_date: None,
            arrival_number: None,
            author: None,
            number: o
                .as_ref()
                .and_then(|o| o.number.as_ref().map(|n| n.full.clone())),
            date: o.as_ref().and_then(|o| o.number.as_ref().map(|n| n.date)),
            type_name: d.fields.type_name.clone(),
            subject: d.fields.subject.clone(),
            signer,
            recipients: o
                .as_ref()
                .map(|o| o.recipients.iter().map(|r| r.name.clone()).collect())
                .unwrap_or_default(),
            lead_unit: None,
            lead_person: None,
            due: None,
            state: d.state,
            overdue: false,
            reply_number: None,
            urgency: d.fields.urgency,
            secrecy: d.fields.secrecy,
            electronic: r.sent_electronic,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// An agency's documents by state: the pages' worklist and inbox, the API list without `q`.

/// The direction a state belongs to.
pub fn state_direction(s: DocState) -> Direction {
    if s.edxml_status().is_some() {
        Direction::Incoming
    } else {
        Direction::Outgoing
    }
}

/// Which documents of one agency (not its subtree) to list by state.
#[derive(Debug, Clone)]
pub struct StateQuery {
    pub agency_id: AgencyId,
    /// Only this direction.
    pub direction: Option<Direction>,
    /// Only these states; none: every state (of `direction`).
    pub states: Vec<DocState>,
    /// Only incoming documents whose handling this person leads.
    pub lead_person: Option<UserId>,
    /// Only documents this person created (a drafter's drafts).
    pub created_by: Option<UserId>,
    /// Keyset paging: the `next` of the previous page.
    pub after: Option<StateCursor>,
    /// At most this many (default 50; 1–500).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl StateQuery {
    /// Every document of `agency` in `states`, first page of `limit`.
    pub fn new(agency_id: AgencyId, states: &[DocState], limit: i64) -> Self {
        StateQuery {
            agency_id,
            direction: None,
            states: states.to_vec(),
            lead_person: None,
            created_by: None,
            after: None,
            limit: Some(limit),
            offset: None,
        }
    }
}

impl App {
    /// Documents of one agency (not its subtree) in the given states and direction, newest
    /// first, with the total and the agency's counts per state: the pages' worklist and inbox,
    /// and `GET /api/v1/documents` without a search text. Drafts and secret documents are
    /// listed like any other (anyone who may read the agency's documents sees them, as in the
    /// registers). One index range per state, whatever the agency's size.
    pub async fn documents_by_state(&self, ctx: &Ctx, q: &StateQuery) -> AppResult<StatePage> {
        let agency = self.doc_agency(q.agency_id).await?;
        self.authorize(ctx, Action::ViewDocuments, Target::Agency(&agency.path))?;
        let states: Vec<DocState> = DocState::ALL
            .into_iter()
            .filter(|s| q.states.is_empty() || q.states.contains(s))
            .filter(|s| q.direction.is_none_or(|d| state_direction(*s) == d))
            .collect();
        let mut page = self
            .store
            .documents_by_state(&StateFilter {
                agency_id: agency.id,
                states,
                lead_person: q.lead_person,
                created_by: q.created_by,
                after: q.after,
                offset: q.offset.unwrap_or(0).max(0),
                limit: q.limit.unwrap_or(50).clamp(1, 500),
            })
            .await?;
        if let Some(d) = q.direction {
            page.counts.retain(|(s, _)| state_direction(*s) == d);
        }
        page.items = self.redacted(ctx, page.items);
        Ok(page)
    }

    /// The agency's copies waiting for the clerk's answer to their sender (recall or update),
    /// newest first, and how many: the clerk's worklist group.
    pub async fn documents_awaiting_answer(
        &self,
        ctx: &Ctx,
        agency_id: AgencyId,
        limit: i64,
    ) -> AppResult<(Vec<DocumentRecord>, i64)> {
        let agency = self.doc_agency(agency_id).await?;
        self.authorize(ctx, Action::RegisterDocument, Target::Agency(&agency.path))?;
        let (items, total) = self.store.documents_with_requests(agency.id, limit).await?;
        Ok((self.redacted(ctx, items), total))
    }

    /// Whether the caller may read this document's content: any document that is not secret;
    /// a secret one with `ViewSecretDocuments` on its agency (clerks, leaders), or as its
    /// drafter or the lead person of its handling.
    pub fn may_read(&self, ctx: &Ctx, rec: &DocumentRecord) -> bool {
        if !rec.doc.fields.secrecy.is_secret()
            || self
                .authorize(
                    ctx,
                    Action::ViewSecretDocuments,
                    Target::Agency(&rec.agency_path),
                )
                .is_ok()
        {
            return true;
        }
        let me = ctx.actor.user_id();
        let lead = rec
            .doc
            .incoming
            .as_ref()
            .and_then(|i| i.handling.as_ref())
            .and_then(|h| h.lead_person);
        me.is_some() && (me == rec.created_by || me == lead)
    }

    /// Listed records with the content of secret documents withheld from those who may not
    /// read them (subject, signer, the leader's opinion): they still see that the document
    /// exists, its number, dates, parties and state, as a register shows.
    fn redacted(&self, ctx: &Ctx, mut items: Vec<DocumentRecord>) -> Vec<DocumentRecord> {
        for r in &mut items {
            if !self.may_read(ctx, r) {
                r.doc.fields.subject = SECRET_SUBJECT.into();
                r.doc.fields.signer = None;
                if let Some(h) = r.doc.incoming.as_mut().and_then(|i| i.handling.as_mut()) {
                    h.opinion = None;
                }
            }
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_types_parse() {
        assert!(document_types().is_ok());
    }

    #[test]
    fn words_fold_and_split() {
        assert_eq!(
            words("Công văn V/v phòng, chống dịch 05/QĐ-UBND"),
            vec![
                "cong", "van", "v", "v", "phong", "chong", "dich", "05", "qd", "ubnd"
            ]
        );
    }
}
