//! The storage port of documents, separate from `Store` (which requires it): records, events,
//! files, number counters, the search term index and the queries behind registers, overdue
//! lists and figures.

use async_trait::async_trait;
use chrono::NaiveDate;
use cqdt_domain::document::{Direction, DocState, Document, DocumentEvent, Tier};
use cqdt_domain::ids::{AgencyId, DocumentId, FileId, UserId};
use serde::Serialize;

use crate::error::AppResult;
use crate::store::{AuditDraft, NewOutbox};

/// A stored document: the aggregate plus what lists and figures query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentRecord {
    pub id: DocumentId,
    /// The agency whose document it is (issuer of an outgoing one, receiver of an incoming one).
    pub agency_id: AgencyId,
    /// Its path, root first.
    pub agency_path: Vec<AgencyId>,
    pub agency_tier: Tier,
    pub doc: Document,
    /// The edXML `DocumentId` (the issuer's, for both the outgoing document and every copy
    /// received).
    pub edxml_document_id: Option<String>,
    /// Received over the platform: the sender's outgoing document.
    pub source_document_id: Option<DocumentId>,
    /// Outgoing: sent over the exchange to at least one recipient.
    pub sent_electronic: bool,
    pub created_by: Option<UserId>,
    /// Optimistic concurrency: the stored version this record was read at.
    pub version: i64,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

/// What a document's file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocFileKind {
    /// The document itself (the last one uploaded is the current one).
    Main,
    /// An appendix or accompanying file.
    Attachment,
    /// The scan of a paper incoming document.
    Scan,
    /// The signer's detached signature over the main file.
    SignerSignature,
    /// The agency's detached signature over the main file.
    AgencySignature,
    /// The main PDF with the signer's embedded (PAdES) signature, added at signing.
    SignedPdf,
    /// The issued PDF: the signed PDF with the number and date stamped and the agency's
    /// embedded signature (each an incremental update). The document's file once issued.
    IssuedPdf,
}

impl DocFileKind {
    pub const ALL: [DocFileKind; 7] = [
        DocFileKind::Main,
        DocFileKind::Attachment,
        DocFileKind::Scan,
        DocFileKind::SignerSignature,
        DocFileKind::AgencySignature,
        DocFileKind::SignedPdf,
        DocFileKind::IssuedPdf,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DocFileKind::Main => "main",
            DocFileKind::Attachment => "attachment",
            DocFileKind::Scan => "scan",
            DocFileKind::SignerSignature => "signer_signature",
            DocFileKind::AgencySignature => "agency_signature",
            DocFileKind::SignedPdf => "signed_pdf",
            DocFileKind::IssuedPdf => "issued_pdf",
        }
    }
    pub fn parse(s: &str) -> Option<DocFileKind> {
        DocFileKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A document's file record; the bytes are in the `BlobStore` under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentFile {
    pub id: FileId,
    pub document_id: DocumentId,
    pub kind: DocFileKind,
    pub name: String,
    /// `FileType::as_str` of checked uploads, or `p7s` for signatures.
    pub file_type: String,
    pub size: i64,
    pub sha256: String,
    /// Text of the file for search (given with the upload, e.g. by OCR), if any.
    pub text: Option<String>,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at_us: i64,
}

/// A number counter: agency, year and series (`Series::key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey {
    pub agency_id: AgencyId,
    pub year: i32,
    pub series: String,
}

/// Everything one save writes besides the audit entry.
#[derive(Debug, Clone)]
pub struct DocumentWrite {
    pub record: DocumentRecord,
    /// New events, appended after the stored ones.
    pub events: Vec<DocumentEvent>,
    /// New files.
    pub files: Vec<DocumentFile>,
    /// The document's search terms (replace the stored ones).
    pub terms: Vec<String>,
    pub outbox: Vec<NewOutbox>,
}

/// Runs inside the saving transaction with the number drawn from the counter (if one was
/// asked for) and returns what to write.
pub type DocumentBuilder<'a> = Box<dyn FnOnce(Option<u32>) -> AppResult<DocumentWrite> + Send + 'a>;

/// Which register page.
#[derive(Debug, Clone)]
pub struct RegisterFilter {
    pub agency_id: AgencyId,
    pub direction: Direction,
    pub year: i32,
    pub limit: i64,
    pub offset: i64,
}

/// Where a page of [`DocumentStore::documents_by_state`] stops: the last document's creation
/// time and id (pages are newest first, ties broken by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StateCursor {
    pub created_at_us: i64,
    pub id: DocumentId,
}

/// Which documents of one agency (not its subtree), by state.
#[derive(Debug, Clone)]
pub struct StateFilter {
    pub agency_id: AgencyId,
    /// The states listed (each belongs to one direction); none lists nothing.
    pub states: Vec<DocState>,
    /// Only incoming documents whose handling leads this person.
    pub lead_person: Option<UserId>,
    /// Only documents this person created (drafts: the drafter).
    pub created_by: Option<UserId>,
    /// Keyset paging: only documents after this one (older, or as old with a smaller id).
    pub after: Option<StateCursor>,
    /// Offset paging (after `after`, if both).
    pub offset: i64,
    pub limit: i64,
}

/// A page of an agency's documents by state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePage {
    pub items: Vec<DocumentRecord>,
    /// Documents matching the filter (whatever the paging).
    pub total: i64,
    /// The agency's documents per state, for every state it has documents in (whatever the
    /// filter).
    pub counts: Vec<(DocState, i64)>,
    /// The cursor of the page's last document, when more follow.
    pub next: Option<StateCursor>,
}

/// Figures of a subtree over a period (dates of issue or arrival, inclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DocumentFigures {
    pub issued: i64,
    /// Sent over the exchange to at least one recipient.
    pub issued_electronic: i64,
    /// With the signer's and the agency's digital signatures.
    pub issued_both_signatures: i64,
    pub received: i64,
    pub received_electronic: i64,
    /// (document, recipient) pairs from province-level issuers to district-level agencies.
    pub province_to_district: i64,
    /// … of which sent over the exchange.
    pub province_to_district_electronic: i64,
}

#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Insert (`expected_version` `None`) or update a document in one transaction: the audit
    /// entry first, then the counter if asked (`INSERT … ON CONFLICT DO UPDATE … RETURNING`),
    /// then `build(number)`, then the row (an update checks the version, else
    /// `storage.conflict` and nothing is written), events, files, recipients, terms and outbox.
    /// The returned record carries the stored version.
    async fn document_save(
        &self,
        expected_version: Option<i64>,
        audit: &AuditDraft,
        counter: Option<&CounterKey>,
        build: DocumentBuilder<'_>,
    ) -> AppResult<DocumentRecord>;
    /// The number the counter would give next (its last value + 1, or 1), read outside any
    /// transaction: issuing stamps it into the PDF, then saves expecting it.
    async fn document_counter_next(&self, counter: &CounterKey) -> AppResult<u32>;
    async fn document_get(&self, id: DocumentId) -> AppResult<Option<DocumentRecord>>;
    /// An agency's incoming copies with a sender's request waiting for an answer, newest
    /// first (at most `limit`), and how many there are.
    async fn documents_with_requests(
        &self,
        agency: AgencyId,
        limit: i64,
    ) -> AppResult<(Vec<DocumentRecord>, i64)>;
    /// By edXML `DocumentId` and direction (incoming: within `agency`).
    async fn document_by_edxml(
        &self,
        direction: Direction,
        agency: Option<AgencyId>,
        edxml_document_id: &str,
    ) -> AppResult<Option<DocumentRecord>>;
    async fn document_events(&self, id: DocumentId) -> AppResult<Vec<(i64, DocumentEvent)>>;
    async fn document_files(&self, id: DocumentId) -> AppResult<Vec<DocumentFile>>;
    /// A register page (newest first) and the register's total for the year.
    async fn documents_register(&self, f: &RegisterFilter)
    -> AppResult<(Vec<DocumentRecord>, i64)>;
    /// Documents of one agency in the filter's states, newest first (`created_at_us`, then id),
    /// with the total and the agency's counts per state. Index-backed whatever the agency's
    /// size: one index range per state, merged.
    async fn documents_by_state(&self, f: &StateFilter) -> AppResult<StatePage>;
    /// Incoming documents of the subtree not done by their handling date, before `today`;
    /// most overdue first.
    async fn documents_overdue(
        &self,
        path_prefix: &str,
        today: NaiveDate,
        limit: i64,
        offset: i64,
    ) -> AppResult<(Vec<DocumentRecord>, i64)>;
    /// Documents of the subtree having every one of `terms` and a term starting with
    /// `prefix`, newest first.
    async fn documents_search(
        &self,
        path_prefix: &str,
        terms: &[String],
        prefix: Option<&str>,
        limit: i64,
    ) -> AppResult<Vec<DocumentRecord>>;
    async fn document_figures(
        &self,
        path_prefix: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> AppResult<DocumentFigures>;
    /// The abbreviation an agency issues under (set by an administrator), if stored.
    async fn document_issuer_get(&self, agency: AgencyId) -> AppResult<Option<String>>;
    async fn document_issuer_set(
        &self,
        agency: AgencyId,
        abbreviation: &str,
        at_us: i64,
        audit: &AuditDraft,
    ) -> AppResult<()>;
}
