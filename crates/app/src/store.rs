//! The storage port. One implementation per database lives in `cqdt-store`; both pass the
//! same contract suite. Every write takes the audit entry that describes it and stores both
//! in one transaction.

use crate::error::AppResult;
use async_trait::async_trait;
use cqdt_domain::agency::{Agency, AgencyFields};
use cqdt_domain::audit::AuditEntry;
use cqdt_domain::ids::{AgencyId, ApiKeyId, GrantId, UserId};
use cqdt_domain::policy::Role;
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

#[async_trait]
pub trait Store: Send + Sync {
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
    async fn user_insert(
        &self,
        user: &User,
        grants: &[GrantRow],
        audit: &AuditDraft,
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
}
