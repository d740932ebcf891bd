//! The storage port. One implementation per database lives in `cqdt-store`; both pass the
//! same contract suite. Every write takes the audit entry that describes it and stores both
//! in one transaction.

use crate::error::AppResult;
use async_trait::async_trait;
use cqdt_domain::agency::{Agency, AgencyFields};
use cqdt_domain::audit::AuditEntry;
use cqdt_domain::dossier::{Dossier, DossierEvent, ReturnMethod, StateName};
use cqdt_domain::files::{FileKind, FileType};
use cqdt_domain::ids::{
    AgencyId, ApiKeyId, DossierId, DraftId, FileId, GrantId, ProcedureId, UserId,
};
use cqdt_domain::policy::Role;
use cqdt_domain::procedure::{NormalisedValues, Procedure};
use serde::Serialize;

/// What an audit entry says before the store chains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditDraft {
    pub at_us: i64,
    pub actor: String,
    pub ip: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
}

/// An agency to insert: its id, its place in the tree and its fields.
#[derive(Debug, Clone)]
pub struct NewAgency {
    pub id: AgencyId,
    pub parent_id: Option<AgencyId>,
    pub fields: AgencyFields,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    Citizen,
    Business,
    Staff,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Citizen => "citizen",
            UserKind::Business => "business",
            UserKind::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [UserKind::Citizen, UserKind::Business, UserKind::Staff]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub kind: UserKind,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub full_name: String,
    pub id_number: Option<String>,
    /// Staff: the agency the account belongs to.
    pub agency_id: Option<AgencyId>,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    pub locale: String,
    pub created_at_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantRow {
    pub id: GrantId,
    pub user_id: UserId,
    pub role: Role,
    pub agency_id: Option<AgencyId>,
    pub created_at_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 hex of the cookie token; the token itself is never stored.
    pub token_hash: String,
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at_us: i64,
    pub last_seen_us: i64,
    pub expires_at_us: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub name: String,
    /// The public part of the key, used to find it.
    pub prefix: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub agency_id: Option<AgencyId>,
    pub created_by: String,
    pub created_at_us: i64,
    pub revoked_at_us: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only accounts whose agency is in this subtree.
    pub agency_subtree: Option<AgencyId>,
    pub kind: Option<UserKind>,
    /// Folded (diacritic-free, lower-case) text to look for in name, e-mail and phone.
    pub query: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// `DocumentStore` (issue 5) is a separate port in `documents::store`; every store has it.
#[async_trait]
pub trait Store: crate::documents::DocumentStore + Send + Sync {
    /// Which backend: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> AppResult<()>;

    // Agencies.
    async fn agencies_all(&self) -> AppResult<Vec<Agency>>;
    async fn agency_get(&self, id: AgencyId) -> AppResult<Option<Agency>>;
    async fn agency_by_identifier(&self, identifier: &str) -> AppResult<Option<Agency>>;
    /// Insert in the given order (parents first), all or nothing, with one audit entry each.
    async fn agencies_insert(&self, items: &[NewAgency], audits: &[AuditDraft]) -> AppResult<()>;
    /// Change an agency's fields (not its place in the tree).
    async fn agency_update(
        &self,
        id: AgencyId,
        fields: &AgencyFields,
        audit: &AuditDraft,
    ) -> AppResult<()>;
    /// Delete a leaf agency.
    async fn agency_delete(&self, id: AgencyId, audit: &AuditDraft) -> AppResult<()>;
    async fn agency_child_count(&self, id: AgencyId) -> AppResult<i64>;

    // Accounts.
    /// Insert an account with its grants, its audit entry and the side effects it causes
    /// (e.g. the registration notice) in one transaction.
    async fn user_insert(
        &self,
        user: &User,
        grants: &[GrantRow],
        audit: &AuditDraft,
        outbox: &[NewOutbox],
    ) -> AppResult<()>;
    async fn user_get(&self, id: UserId) -> AppResult<Option<User>>;
    async fn user_by_email(&self, email: &str) -> AppResult<Option<User>>;
    async fn user_by_phone(&self, phone: &str) -> AppResult<Option<User>>;
    async fn users_list(&self, filter: &UserFilter) -> AppResult<Vec<User>>;
    async fn user_set_password(&self, id: UserId, hash: &str, audit: &AuditDraft) -> AppResult<()>;
    async fn user_set_disabled(
        &self,
        id: UserId,
        disabled: bool,
        audit: &AuditDraft,
    ) -> AppResult<()>;
    async fn grants_of(&self, user: UserId) -> AppResult<Vec<GrantRow>>;
    async fn grant_insert(&self, grant: &GrantRow, audit: &AuditDraft) -> AppResult<()>;
    async fn grant_delete(&self, id: GrantId, audit: &AuditDraft) -> AppResult<bool>;
    async fn users_count(&self) -> AppResult<i64>;

    // Sessions.
    async fn session_insert(&self, s: &SessionRow, audit: &AuditDraft) -> AppResult<()>;
    async fn session_get(&self, token_hash: &str) -> AppResult<Option<SessionRow>>;
    async fn session_touch(&self, token_hash: &str, last_seen_us: i64) -> AppResult<()>;
    async fn session_delete(&self, token_hash: &str, audit: &AuditDraft) -> AppResult<()>;
    async fn sessions_delete_for_user(&self, user: UserId, audit: &AuditDraft) -> AppResult<u64>;

    // Login throttling: failures per key (`account:…`, `address:…`).
    async fn login_failure_add(&self, keys: &[String], at_us: i64) -> AppResult<()>;
    async fn login_failure_count(&self, key: &str, since_us: i64) -> AppResult<i64>;
    async fn login_failure_clear(&self, key: &str) -> AppResult<()>;

    // API keys.
    async fn api_key_insert(&self, key: &ApiKeyRow, audit: &AuditDraft) -> AppResult<()>;
    async fn api_key_by_prefix(&self, prefix: &str) -> AppResult<Option<ApiKeyRow>>;
    async fn api_keys_all(&self) -> AppResult<Vec<ApiKeyRow>>;
    async fn api_key_revoke(&self, id: ApiKeyId, at_us: i64, audit: &AuditDraft)
    -> AppResult<bool>;

    // Working calendar: yearly holiday notices edited by administrators.
    /// The stored notices as (year, notice JSON), by year.
    async fn calendar_notices(&self) -> AppResult<Vec<(i32, String)>>;
    /// Store the notice of `year`, replacing a stored one.
    async fn calendar_notice_put(&self, year: i32, body: &str, audit: &AuditDraft)
    -> AppResult<()>;
    /// Remove the stored notice of `year`. `false`, and nothing written (not even the audit
    /// entry), when there was none.
    async fn calendar_notice_delete(&self, year: i32, audit: &AuditDraft) -> AppResult<bool>;

    // Audit log.
    async fn audit_append(&self, audit: &AuditDraft) -> AppResult<()>;
    /// Entries with `seq > after`, in order, at most `limit`.
    async fn audit_page(&self, after: i64, limit: i64) -> AppResult<Vec<AuditEntry>>;
    /// The recorded head: last sequence number and hash.
    async fn audit_head(&self) -> AppResult<(i64, String)>;

    // ---- Procedures and dossiers (issue 4): the catalogue, dossiers, their events and the
    // per-agency daily code counters. Types below, after `OutgoingMessage`. ----
    /// Insert procedure versions, all or nothing, with one audit entry each. A version whose
    /// `current` flag is set makes the other versions of its national code not current.
    async fn procedures_insert(
        &self,
        items: &[ProcedureRecord],
        audits: &[AuditDraft],
    ) -> AppResult<()>;
    async fn procedure_get(&self, id: ProcedureId) -> AppResult<Option<ProcedureRecord>>;
    /// The current version of every procedure, by national code.
    async fn procedures_current(&self) -> AppResult<Vec<ProcedureRecord>>;
    /// Current procedures matching the filter, ranked (exact name, then name prefix, then word
    /// prefix, then anywhere; then by name), with the total before paging.
    async fn procedures_search(
        &self,
        filter: &ProcedureFilter,
    ) -> AppResult<(Vec<ProcedureRecord>, i64)>;
    /// Create a dossier in one transaction: the audit entry first, then the agency's counter for
    /// the local `day` (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), then `build(counter)`
    /// (which makes the code and applies the intake commands), then the dossier, its events
    /// and the side effects (`outbox`). The transaction may be shared with other creations
    /// (group commit: each in its own savepoint, so a failing one is rolled back alone);
    /// the answer comes after the commit. `build` runs in the store's writer task, hence
    /// `'static`.
    async fn dossier_create(
        &self,
        agency_id: AgencyId,
        day: chrono::NaiveDate,
        audit: &AuditDraft,
        files: &NewDossierFiles,
        build: DossierBuilder<'static>,
    ) -> AppResult<DossierRecord>;
    async fn dossier_get(&self, id: DossierId) -> AppResult<Option<DossierRecord>>;
    async fn dossier_by_code(&self, code: &str) -> AppResult<Option<DossierRecord>>;
    /// Save a dossier's new state with its new events, the audit entry and the side effects, in
    /// one transaction, if its stored version is still `dossier.version` (else
    /// `storage.conflict`, nothing written). The stored version becomes `dossier.version + 1`.
    async fn dossier_update(
        &self,
        dossier: &DossierRecord,
        events: &[DossierEvent],
        audit: &AuditDraft,
        outbox: &[NewOutbox],
        files: &[FileRecord],
    ) -> AppResult<()>;
    /// Every event of a dossier, in order, with its sequence number (from 1).
    async fn dossier_events(&self, id: DossierId) -> AppResult<Vec<(i64, DossierEvent)>>;
    /// A page of dossiers (due first) and the total.
    async fn dossiers_list(&self, filter: &DossierFilter) -> AppResult<(Vec<DossierRecord>, i64)>;
    /// A page of dossiers (due first), without the total.
    async fn dossiers_page(&self, filter: &DossierFilter) -> AppResult<Vec<DossierRecord>>;
    /// Counts by state (and overdue) over the whole filter, ignoring paging.
    async fn dossiers_counts(&self, filter: &DossierFilter) -> AppResult<Vec<StateCount>>;
    /// The field and every event of the dossiers of an agency subtree (`path_prefix`, e.g.
    /// `/a/b/`) received before `received_before_us` and not closed before `open_at_us`: what
    /// Biểu II.06a of a period needs.
    async fn dossier_histories(
        &self,
        path_prefix: &str,
        received_before_us: i64,
        open_at_us: i64,
    ) -> AppResult<Vec<DossierHistory>>;
    /// Per field, the Biểu II.06a counts that the dossiers' own columns give, for a period
    /// `[from_us, end_us)` (local midnights) over an agency subtree: received in the period by
    /// channel, carried over, resolved by timeliness. One aggregate query, no events read.
    async fn dossier_ii06a_counts(
        &self,
        path_prefix: &str,
        from_us: i64,
        end_us: i64,
    ) -> AppResult<Vec<Ii06aFieldCounts>>;
    /// The dossiers of a subtree received before `end_us` and not closed before it, each with
    /// its last event before `end_us` (what columns (11)–(13) of Biểu II.06a need).
    async fn dossiers_open_at(&self, path_prefix: &str, end_us: i64)
    -> AppResult<Vec<OpenDossier>>;
    // ---- End of procedures and dossiers. ----

    // ---- Outbox: side effects delivered at least once, idempotently. ----
    /// Lease up to `limit` messages due at `now_us` until `now_us + lease_us` (so a crashed
    /// dispatcher's messages come back), counting the attempt. Concurrent dispatchers on other
    /// nodes never get the same message while its lease runs.
    async fn outbox_claim(
        &self,
        now_us: i64,
        lease_us: i64,
        limit: i64,
    ) -> AppResult<Vec<OutboxMessage>>;
    async fn outbox_delivered(&self, id: &str, at_us: i64) -> AppResult<()>;
    /// Record a failed attempt: retry at `retry_at_us`, or give up (`None`).
    async fn outbox_failed(
        &self,
        id: &str,
        error: &str,
        retry_at_us: Option<i64>,
        at_us: i64,
    ) -> AppResult<()>;
    async fn outbox_by_key(&self, key: &str) -> AppResult<Option<OutboxMessage>>;
    async fn outbox_stats(&self) -> AppResult<OutboxStats>;
    /// The default SMS gateway and e-mail sink: store a message once per key. Returns false
    /// when the key was already delivered (a repeat).
    async fn outgoing_insert(&self, m: &OutgoingMessage) -> AppResult<bool>;
    async fn outgoing_list(&self, limit: i64) -> AppResult<Vec<OutgoingMessage>>;

    // Drafts and files (the bytes live in the `BlobStore`; these are their records).
    async fn draft_insert(&self, d: &DraftRecord, audit: &AuditDraft) -> AppResult<()>;
    /// Saves a draft that has not been submitted (else `draft.already_submitted`).
    async fn draft_update(&self, d: &DraftRecord, audit: &AuditDraft) -> AppResult<()>;
    async fn draft_get(&self, id: DraftId) -> AppResult<Option<DraftRecord>>;
    /// A user's drafts not yet submitted, most recently changed first.
    async fn drafts_of(&self, user: UserId) -> AppResult<Vec<DraftRecord>>;
    /// Removes a draft that has not been submitted, and its file records.
    async fn draft_delete(&self, id: DraftId, audit: &AuditDraft) -> AppResult<bool>;
    async fn file_insert(&self, f: &FileRecord, audit: &AuditDraft) -> AppResult<()>;
    /// Removes a file of a draft that has not been submitted (a dossier's files are kept).
    async fn draft_file_delete(
        &self,
        draft: DraftId,
        file: FileId,
        audit: &AuditDraft,
    ) -> AppResult<bool>;
    async fn files_of_draft(&self, draft: DraftId) -> AppResult<Vec<FileRecord>>;
    async fn files_of_dossier(&self, dossier: DossierId) -> AppResult<Vec<FileRecord>>;
    async fn file_get(&self, id: FileId) -> AppResult<Option<FileRecord>>;
    /// File records in id order after `after` (from the first with `None`), at most `limit`:
    /// for the files folder's integrity check, garbage collection and backups, which page
    /// through every record without holding them all.
    async fn file_refs_page(&self, after: Option<FileId>, limit: i64) -> AppResult<Vec<FileRef>>;
}

/// A file record as the files folder's tools see it: the blob's address and what owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub id: FileId,
    /// SHA-256 of the content, hex: the blob's address.
    pub sha256: String,
    pub size: i64,
    pub name: String,
    /// The dossier's code, for a dossier's file.
    pub dossier_code: Option<String>,
    /// The draft, for a file of a draft not yet submitted.
    pub draft_id: Option<DraftId>,
}

/// The file records a new dossier takes in its creating transaction: new ones, and those of
/// the draft it comes from (the draft is then marked submitted, once: a second submission of
/// the same draft fails with `draft.already_submitted` and writes nothing).
#[derive(Debug, Clone, Default)]
pub struct NewDossierFiles {
    pub new: Vec<FileRecord>,
    pub from_draft: Option<DraftId>,
}

/// A stored file's record. Exactly one of `dossier_id` and `draft_id` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRecord {
    pub id: FileId,
    pub dossier_id: Option<DossierId>,
    pub draft_id: Option<DraftId>,
    pub kind: FileKind,
    /// The dossier part (1-based position in the procedure version's parts) for `Part` files.
    pub part: Option<u32>,
    pub name: String,
    pub file_type: FileType,
    pub size: i64,
    /// SHA-256 of the content, hex: the blob's address.
    pub sha256: String,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at_us: i64,
}

/// What a draft holds besides its procedure: the form as typed so far and the contact details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DraftBody {
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub return_method: Option<ReturnMethod>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// An online submission being prepared by its applicant, resumable until submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftRecord {
    pub id: DraftId,
    pub user_id: UserId,
    pub procedure_id: ProcedureId,
    pub agency_id: Option<AgencyId>,
    pub body: DraftBody,
    /// Set once submitted.
    pub dossier_id: Option<DossierId>,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

/// A side effect to deliver after the transaction that caused it commits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOutbox {
    pub id: String,
    pub idempotency_key: String,
    pub topic: String,
    pub payload: String,
    pub created_at_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    pub id: String,
    pub idempotency_key: String,
    pub topic: String,
    pub payload: String,
    pub created_at_us: i64,
    pub available_at_us: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at_us: Option<i64>,
    pub dead_at_us: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxStats {
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
}

/// A message that left through the default gateway (SMS, or e-mail without SMTP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutgoingMessage {
    pub idempotency_key: String,
    pub channel: String,
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub created_at_us: i64,
}

// ---- Procedures and dossiers (issue 4) ----

/// Administrative level of a procedure (cấp thực hiện).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureLevel {
    /// Cấp tỉnh.
    Province,
    /// Cấp huyện.
    District,
    /// Cấp xã.
    Commune,
}

impl ProcedureLevel {
    pub const ALL: [ProcedureLevel; 3] = [
        ProcedureLevel::Province,
        ProcedureLevel::District,
        ProcedureLevel::Commune,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProcedureLevel::Province => "province",
            ProcedureLevel::District => "district",
            ProcedureLevel::Commune => "commune",
        }
    }
    pub fn parse(s: &str) -> Option<ProcedureLevel> {
        Self::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }
}

/// What the catalogue keeps beside the domain's procedure: notes of the source data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ProcedureNotes {
    /// How the legal time is counted, as published ("kể từ ngày nhận đủ hồ sơ hợp lệ").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_days_note: Option<String>,
    /// What the source data could not confirm.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unconfirmed: Vec<serde_json::Value>,
    /// Where the data comes from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<serde_json::Value>,
}

/// One stored version of a procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcedureRecord {
    pub id: ProcedureId,
    pub procedure: Procedure,
    pub level: ProcedureLevel,
    pub notes: ProcedureNotes,
    /// The version in effect for new dossiers.
    pub current: bool,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

/// What to look for in the catalogue (current versions only).
#[derive(Debug, Clone, Default)]
pub struct ProcedureFilter {
    /// Folded text (`text::fold`): words of the name, or a national code.
    pub query: Option<String>,
    /// Folded field name, exactly.
    pub field: Option<String>,
    pub level: Option<ProcedureLevel>,
    /// Only procedures this agency implements.
    pub agency: Option<AgencyId>,
    pub limit: i64,
    pub offset: i64,
}

/// The applicant as a dossier records them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applicant {
    /// The applicant's account, when there is one (online submission, or linked at the desk).
    pub user_id: Option<UserId>,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// A stored dossier: the aggregate and what lists, lookups and reports query. `state`,
/// `national_status`, `channel`, the received / finished instants, `timeliness` and
/// `clock_paused` are the aggregate's own; `due_at_us` and `appointment_at_us` come from the
/// last event (the deadline engine's dates); `closed_at_us` is when it first reached result
/// ready, returned, withdrawn or stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierRecord {
    pub id: DossierId,
    pub code: String,
    pub agency_id: AgencyId,
    /// The receiving agency's path, root first.
    pub agency_path: Vec<AgencyId>,
    pub procedure_id: ProcedureId,
    pub applicant: Applicant,
    pub form_values: NormalisedValues,
    /// How the applicant wants the result.
    pub return_method: Option<ReturnMethod>,
    pub dossier: Dossier,
    pub due_at_us: Option<i64>,
    pub appointment_at_us: Option<i64>,
    pub closed_at_us: Option<i64>,
    /// Optimistic concurrency: the stored version this record was read at.
    pub version: i64,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

/// What `Store::dossier_create` runs inside its transaction once it has the day's counter: the
/// new dossier (with its code), its first events and the notifications they cause.
pub type DossierBuilder<'a> = Box<
    dyn FnOnce(u32) -> AppResult<(DossierRecord, Vec<DossierEvent>, Vec<NewOutbox>)> + Send + 'a,
>;

/// One part of a worklist: dossiers under an agency subtree (`path_prefix`, empty for all) in
/// some states (empty for any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierScope {
    pub path_prefix: String,
    pub states: Vec<StateName>,
}

/// Which dossiers to list: in any of the scopes (or the applicant's own), then narrowed.
#[derive(Debug, Clone, Default)]
pub struct DossierFilter {
    pub scopes: Vec<DossierScope>,
    /// Only this applicant's dossiers (alone, or within the scopes).
    pub applicant: Option<UserId>,
    pub states: Vec<StateName>,
    pub procedure_id: Option<ProcedureId>,
    /// Overdue (`true`) or not (`false`) at `now_us`: open, clock running and past due.
    pub overdue: Option<bool>,
    pub now_us: i64,
    /// Folded text: code, applicant name, ID number or phone.
    pub query: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// How many dossiers of the filter are in a state, and how many of them are overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StateCount {
    pub state: StateName,
    pub total: i64,
    pub overdue: i64,
}

/// Biểu II.06a counts of one field from the dossier columns (see [`Store::dossier_ii06a_counts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ii06aFieldCounts {
    pub field: String,
    /// (4) received in the period online.
    pub received_online: i64,
    /// (5) received in the period at the desk or by post.
    pub received_other: i64,
    /// (6) received before the period and not closed before it.
    pub carried_over: i64,
    /// (8)–(10) processing finished (result ready) in the period, by timeliness.
    pub resolved_early: i64,
    pub resolved_on_time: i64,
    pub resolved_late: i64,
}

/// A dossier open at the end of a report period, with its last event by then.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDossier {
    pub dossier_id: DossierId,
    pub field: String,
    pub last_event: Option<DossierEvent>,
}

/// A dossier's history for the reports.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierHistory {
    pub dossier_id: DossierId,
    /// Field (lĩnh vực) of the procedure version it was submitted under.
    pub field: String,
    pub events: Vec<DossierEvent>,
}

/// The `/a/b/` form of an agency path (as stored in `agencies.path` and `dossiers.agency_path`).
pub fn path_string(path: &[AgencyId]) -> String {
    let mut s = String::from("/");
    for a in path {
        s.push_str(&a.to_string());
        s.push('/');
    }
    s
}
