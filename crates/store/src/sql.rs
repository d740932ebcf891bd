//! The SQL behind the `Store` port, written once for both backends. Parameters use `$N`,
//! which PostgreSQL and SQLite both accept; every column type is TEXT, BIGINT or BOOLEAN.

use crate::db_err;
use async_trait::async_trait;
use cqdt_app::store::{
    ApiKeyRow, AuditDraft, GrantRow, NewAgency, NewOutbox, OutboxMessage, OutboxStats,
    OutgoingMessage, SessionRow, User, UserFilter, UserKind,
};
use cqdt_app::{AppError, AppResult, Store};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyFields, AgencyIdentifier, AgencyKind};
use cqdt_domain::audit::{AuditEntry, entry_hash};
use cqdt_domain::ids::{AgencyId, ApiKeyId, GrantId, UserId};
use cqdt_domain::policy::Role;
use cqdt_domain::text::fold;
use sqlx::Row;
use std::sync::Arc;
// Group commit of dossier creations.
use crate::group::{DEFAULT_GROUP_COMMIT, GroupCommit, Job, Shared};
use std::collections::VecDeque;
use tokio::sync::oneshot;
// Procedures and dossiers (issue 4).
use cqdt_app::store::{
    Applicant, DossierBuilder, DossierFilter, DossierHistory, DossierRecord, ProcedureFilter,
    ProcedureLevel, ProcedureNotes, ProcedureRecord, StateCount, path_string,
};
use cqdt_app::store::{DraftRecord, FileRecord, Ii06aFieldCounts, NewDossierFiles, OpenDossier};
use cqdt_domain::dossier::{Dossier, DossierEvent, ReturnMethod, StateName};
use cqdt_domain::files::{FileKind, FileType};
use cqdt_domain::ids::{DossierId, DraftId, FileId, ProcedureId};
use cqdt_domain::procedure::{NormalisedValues, Procedure};

pub struct SqliteStore {
    pub pool: sqlx::SqlitePool,
    /// The queue of dossier creations in front of the writer task (`group.rs`).
    group: Arc<GroupCommit>,
}

impl SqliteStore {
    /// A store that commits up to [`DEFAULT_GROUP_COMMIT`] dossier creations per transaction.
    pub fn new(pool: sqlx::SqlitePool) -> Self {
        Self {
            pool,
            group: GroupCommit::new(DEFAULT_GROUP_COMMIT),
        }
    }

    /// Commit up to `max` dossier creations per transaction (`1`: one transaction each, in
    /// the caller's task).
    pub fn with_group_commit(mut self, max: usize) -> Self {
        self.group = GroupCommit::new(max);
        self
    }

    /// The group committer's queue (counters; tests hold it to fill one batch).
    pub fn group_commit(&self) -> &Arc<GroupCommit> {
        &self.group
    }
}

pub struct PgStore {
    pub pool: sqlx::PgPool,
    /// The queue of dossier creations in front of the writer task (`group.rs`).
    group: Arc<GroupCommit>,
}

impl PgStore {
    /// A store that commits up to [`DEFAULT_GROUP_COMMIT`] dossier creations per transaction.
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self {
            pool,
            group: GroupCommit::new(DEFAULT_GROUP_COMMIT),
        }
    }

    /// Commit up to `max` dossier creations per transaction (`1`: one transaction each, in
    /// the caller's task).
    pub fn with_group_commit(mut self, max: usize) -> Self {
        self.group = GroupCommit::new(max);
        self
    }

    /// The group committer's queue (counters; tests hold it to fill one batch).
    pub fn group_commit(&self) -> &Arc<GroupCommit> {
        &self.group
    }
}

pub(crate) fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("stored value is not valid: {what}"))
}

pub(crate) fn uuid_of(s: &str) -> AppResult<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|_| corrupt("uuid"))
}

pub(crate) fn path_from_string(s: &str) -> AppResult<Vec<AgencyId>> {
    s.split('/')
        .filter(|p| !p.is_empty())
        .map(|p| uuid_of(p).map(AgencyId))
        .collect()
}

fn date_of(s: Option<String>) -> AppResult<Option<chrono::NaiveDate>> {
    match s {
        None => Ok(None),
        Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| corrupt("date")),
    }
}

const AGENCY_COLS: &str = "id, parent_id, identifier, level, path, kind, name, short_name, address, phone, email, valid_from, valid_to, gso_code, note";
const USER_COLS: &str = "id, kind, email, phone, full_name, id_number, agency_id, password_hash, disabled, locale, created_at_us";
const AUDIT_COLS: &str = "seq, at_us, actor, ip, action, target_type, target_id, before_digest, after_digest, prev_hash, hash";
const OUTBOX_COLS: &str = "id, idempotency_key, topic, payload, created_at_us, available_at_us, attempts, last_error, delivered_at_us, dead_at_us";
const DRAFT_COLS: &str =
    "id, user_id, procedure_id, agency_id, body, dossier_id, created_at_us, updated_at_us";
const FILE_COLS: &str = "id, dossier_id, draft_id, kind, part, name, file_type, size, sha256, uploaded_by, uploaded_at_us";
const KEY_COLS: &str =
    "id, name, prefix, secret_hash, scopes, agency_id, created_by, created_at_us, revoked_at_us";

/// Bind every value of a dynamically built query, in order.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for b in &$binds {
            query = match b {
                Bind::Text(s) => query.bind(s.as_str()),
                Bind::Int(i) => query.bind(*i),
            };
        }
        query
    }};
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $row:ty, $backend:literal, $claim_lock:literal) => {
        impl $store {
            fn agency_from(r: &$row) -> AppResult<Agency> {
                let g = |c: &str| r.try_get::<Option<String>, _>(c).map_err(db_err);
                let level: i64 = r.try_get("level").map_err(db_err)?;
                Ok(Agency {
                    id: AgencyId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    parent_id: g("parent_id")?.map(|p| uuid_of(&p).map(AgencyId)).transpose()?,
                    level: u8::try_from(level).map_err(|_| corrupt("level"))?,
                    path: path_from_string(&r.try_get::<String, _>("path").map_err(db_err)?)?,
                    fields: AgencyFields {
                        identifier: AgencyIdentifier::parse(&r.try_get::<String, _>("identifier").map_err(db_err)?)
                            .map_err(|_| corrupt("identifier"))?,
                        parent_identifier: None,
                        kind: AgencyKind::parse(&r.try_get::<String, _>("kind").map_err(db_err)?)
                            .ok_or_else(|| corrupt("kind"))?,
                        name: r.try_get("name").map_err(db_err)?,
                        short_name: g("short_name")?,
                        address: g("address")?,
                        phone: g("phone")?,
                        email: g("email")?,
                        valid_from: date_of(g("valid_from")?)?,
                        valid_to: date_of(g("valid_to")?)?,
                        gso_code: g("gso_code")?,
                        level: None,
                        note: g("note")?,
                    },
                })
            }

            fn user_from(r: &$row) -> AppResult<User> {
                let g = |c: &str| r.try_get::<Option<String>, _>(c).map_err(db_err);
                Ok(User {
                    id: UserId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    kind: UserKind::parse(&r.try_get::<String, _>("kind").map_err(db_err)?).ok_or_else(|| corrupt("kind"))?,
                    email: g("email")?,
                    phone: g("phone")?,
                    full_name: r.try_get("full_name").map_err(db_err)?,
                    id_number: g("id_number")?,
                    agency_id: g("agency_id")?.map(|a| uuid_of(&a).map(AgencyId)).transpose()?,
                    password_hash: r.try_get("password_hash").map_err(db_err)?,
                    disabled: r.try_get("disabled").map_err(db_err)?,
                    locale: r.try_get("locale").map_err(db_err)?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                })
            }

            fn grant_from(r: &$row) -> AppResult<GrantRow> {
                Ok(GrantRow {
                    id: GrantId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    user_id: UserId(uuid_of(&r.try_get::<String, _>("user_id").map_err(db_err)?)?),
                    role: Role::parse(&r.try_get::<String, _>("role").map_err(db_err)?).ok_or_else(|| corrupt("role"))?,
                    agency_id: r
                        .try_get::<Option<String>, _>("agency_id")
                        .map_err(db_err)?
                        .map(|a| uuid_of(&a).map(AgencyId))
                        .transpose()?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                })
            }

            fn key_from(r: &$row) -> AppResult<ApiKeyRow> {
                let scopes: String = r.try_get("scopes").map_err(db_err)?;
                Ok(ApiKeyRow {
                    id: ApiKeyId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    name: r.try_get("name").map_err(db_err)?,
                    prefix: r.try_get("prefix").map_err(db_err)?,
                    secret_hash: r.try_get("secret_hash").map_err(db_err)?,
                    scopes: scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                    agency_id: r
                        .try_get::<Option<String>, _>("agency_id")
                        .map_err(db_err)?
                        .map(|a| uuid_of(&a).map(AgencyId))
                        .transpose()?,
                    created_by: r.try_get("created_by").map_err(db_err)?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                    revoked_at_us: r.try_get("revoked_at_us").map_err(db_err)?,
                })
            }

            fn audit_from(r: &$row) -> AppResult<AuditEntry> {
                Ok(AuditEntry {
                    seq: r.try_get("seq").map_err(db_err)?,
                    at_us: r.try_get("at_us").map_err(db_err)?,
                    actor: r.try_get("actor").map_err(db_err)?,
                    ip: r.try_get("ip").map_err(db_err)?,
                    action: r.try_get("action").map_err(db_err)?,
                    target_type: r.try_get("target_type").map_err(db_err)?,
                    target_id: r.try_get("target_id").map_err(db_err)?,
                    before_digest: r.try_get("before_digest").map_err(db_err)?,
                    after_digest: r.try_get("after_digest").map_err(db_err)?,
                    prev_hash: r.try_get("prev_hash").map_err(db_err)?,
                    hash: r.try_get("hash").map_err(db_err)?,
                })
            }

            /// Append one chained audit entry inside the caller's transaction. The `UPDATE` of
            /// the head row takes the write lock first, so entries are numbered without gaps.
            /// `pub(crate)`: the documents' storage (`sql_documents.rs`) writes through it too.
            pub(crate) async fn append(tx: &mut sqlx::Transaction<'_, $db>, d: &AuditDraft) -> AppResult<()> {
                let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db_err)?;
                let seq: i64 = head.try_get("seq").map_err(db_err)?;
                let prev: String = head.try_get("hash").map_err(db_err)?;
                let hash = Self::insert_audit(tx, seq, prev, d).await?;
                sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                    .bind(&hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            /// Insert the audit entry number `seq` chained after `prev`; returns its hash. The
            /// caller owns the head row (it has taken the write lock and writes the head).
            async fn insert_audit(tx: &mut sqlx::Transaction<'_, $db>, seq: i64, prev: String, d: &AuditDraft) -> AppResult<String> {
                let mut e = AuditEntry {
                    seq,
                    at_us: d.at_us,
                    actor: d.actor.clone(),
                    ip: d.ip.clone(),
                    action: d.action.clone(),
                    target_type: d.target_type.clone(),
                    target_id: d.target_id.clone(),
                    before_digest: d.before_digest.clone(),
                    after_digest: d.after_digest.clone(),
                    prev_hash: prev,
                    hash: String::new(),
                };
                e.hash = entry_hash(&e);
                sqlx::query(&format!(
                    "INSERT INTO audit_log ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(e.seq)
                .bind(e.at_us)
                .bind(&e.actor)
                .bind(&e.ip)
                .bind(&e.action)
                .bind(&e.target_type)
                .bind(&e.target_id)
                .bind(&e.before_digest)
                .bind(&e.after_digest)
                .bind(&e.prev_hash)
                .bind(&e.hash)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                Ok(e.hash)
            }

            /// Put side effects in the outbox inside the caller's transaction (also used by
            /// `sql_documents.rs`).
            pub(crate) async fn enqueue(tx: &mut sqlx::Transaction<'_, $db>, items: &[NewOutbox]) -> AppResult<()> {
                for m in items {
                    sqlx::query(&format!(
                        "INSERT INTO outbox (id, idempotency_key, topic, payload, created_at_us, available_at_us, attempts) VALUES ($1, $2, $3, $4, $5, $5, 0)"
                    ))
                    .bind(&m.id)
                    .bind(&m.idempotency_key)
                    .bind(&m.topic)
                    .bind(&m.payload)
                    .bind(m.created_at_us)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                }
                Ok(())
            }

            fn outbox_from(r: &$row) -> AppResult<OutboxMessage> {
                Ok(OutboxMessage {
                    id: r.try_get("id").map_err(db_err)?,
                    idempotency_key: r.try_get("idempotency_key").map_err(db_err)?,
                    topic: r.try_get("topic").map_err(db_err)?,
                    payload: r.try_get("payload").map_err(db_err)?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                    available_at_us: r.try_get("available_at_us").map_err(db_err)?,
                    attempts: r.try_get("attempts").map_err(db_err)?,
                    last_error: r.try_get("last_error").map_err(db_err)?,
                    delivered_at_us: r.try_get("delivered_at_us").map_err(db_err)?,
                    dead_at_us: r.try_get("dead_at_us").map_err(db_err)?,
                })
            }

            async fn one_user(&self, col: &str, v: &str) -> AppResult<Option<User>> {
                let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE {col} = $1"))
                    .bind(v)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(Self::user_from).transpose()
            }
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> AppResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
                Ok(())
            }

            async fn agencies_all(&self) -> AppResult<Vec<Agency>> {
                let rows = sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies ORDER BY path"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                let mut out: Vec<Agency> = rows.iter().map(Self::agency_from).collect::<AppResult<_>>()?;
                let idents: std::collections::HashMap<AgencyId, AgencyIdentifier> =
                    out.iter().map(|a| (a.id, a.fields.identifier.clone())).collect();
                for a in &mut out {
                    a.fields.parent_identifier = a.parent_id.and_then(|p| idents.get(&p).cloned());
                }
                Ok(out)
            }

            async fn agency_get(&self, id: AgencyId) -> AppResult<Option<Agency>> {
                let row = sqlx::query(&format!(
                    "SELECT {AGENCY_COLS} FROM agencies WHERE id = $1"
                ))
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                let Some(row) = row else { return Ok(None) };
                let mut a = Self::agency_from(&row)?;
                if let Some(p) = a.parent_id {
                    let pi: Option<String> = sqlx::query_scalar("SELECT identifier FROM agencies WHERE id = $1")
                        .bind(p.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    a.fields.parent_identifier = pi.and_then(|s| AgencyIdentifier::parse(&s).ok());
                }
                Ok(Some(a))
            }

            async fn agency_by_identifier(&self, identifier: &str) -> AppResult<Option<Agency>> {
                let id: Option<String> = sqlx::query_scalar("SELECT id FROM agencies WHERE identifier = $1")
                    .bind(identifier)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                match id {
                    None => Ok(None),
                    Some(id) => self.agency_get(AgencyId(uuid_of(&id)?)).await,
                }
            }

            async fn agencies_insert(&self, items: &[NewAgency], audits: &[AuditDraft]) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for d in audits {
                    Self::append(&mut tx, d).await?;
                }
                let mut paths: std::collections::HashMap<AgencyId, (String, i64)> = Default::default();
                for a in items {
                    let (parent_path, parent_level) = match a.parent_id {
                        None => ("/".to_string(), 0i64),
                        Some(p) => match paths.get(&p) {
                            Some(v) => v.clone(),
                            None => {
                                let r = sqlx::query("SELECT path, level FROM agencies WHERE id = $1")
                                    .bind(p.to_string())
                                    .fetch_optional(&mut *tx)
                                    .await
                                    .map_err(db_err)?
                                    .ok_or_else(|| AppError::new(ErrorCode::AgencyParentNotFound))?;
                                (r.try_get("path").map_err(db_err)?, r.try_get("level").map_err(db_err)?)
                            }
                        },
                    };
                    let path = format!("{parent_path}{}/", a.id);
                    let level = parent_level + 1;
                    paths.insert(a.id, (path.clone(), level));
                    let f = &a.fields;
                    sqlx::query(
                        "INSERT INTO agencies (id, parent_id, identifier, level, path, kind, name, name_folded, short_name, address, phone, email, valid_from, valid_to, gso_code, note, created_at_us, updated_at_us) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
                    )
                    .bind(a.id.to_string())
                    .bind(a.parent_id.map(|p| p.to_string()))
                    .bind(f.identifier.as_str())
                    .bind(level)
                    .bind(&path)
                    .bind(f.kind.as_str())
                    .bind(&f.name)
                    .bind(fold(&f.name))
                    .bind(&f.short_name)
                    .bind(&f.address)
                    .bind(&f.phone)
                    .bind(&f.email)
                    .bind(f.valid_from.map(|d| d.to_string()))
                    .bind(f.valid_to.map(|d| d.to_string()))
                    .bind(&f.gso_code)
                    .bind(&f.note)
                    .bind(audits.first().map(|d| d.at_us).unwrap_or(0))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn agency_update(&self, id: AgencyId, f: &AgencyFields, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query(
                    "UPDATE agencies SET identifier = $2, kind = $3, name = $4, name_folded = $5, short_name = $6, address = $7, phone = $8, email = $9, valid_from = $10, valid_to = $11, gso_code = $12, note = $13, updated_at_us = $14 WHERE id = $1",
                )
                .bind(id.to_string())
                .bind(f.identifier.as_str())
                .bind(f.kind.as_str())
                .bind(&f.name)
                .bind(fold(&f.name))
                .bind(&f.short_name)
                .bind(&f.address)
                .bind(&f.phone)
                .bind(&f.email)
                .bind(f.valid_from.map(|d| d.to_string()))
                .bind(f.valid_to.map(|d| d.to_string()))
                .bind(&f.gso_code)
                .bind(&f.note)
                .bind(audit.at_us)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Err(AppError::new(ErrorCode::AgencyNotFound));
                }
                tx.commit().await.map_err(db_err)
            }

            async fn agency_delete(&self, id: AgencyId, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query("DELETE FROM agencies WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 {
                    return Err(AppError::new(ErrorCode::AgencyNotFound));
                }
                tx.commit().await.map_err(db_err)
            }

            async fn agency_child_count(&self, id: AgencyId) -> AppResult<i64> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT (SELECT COUNT(*) FROM agencies WHERE parent_id = $1) + (SELECT COUNT(*) FROM users WHERE agency_id = $1) + (SELECT COUNT(*) FROM grants WHERE agency_id = $1)",
                )
                .bind(id.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(n)
            }

            async fn user_insert(&self, u: &User, grants: &[GrantRow], audit: &AuditDraft, outbox: &[NewOutbox]) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                Self::enqueue(&mut tx, outbox).await?;
                sqlx::query(&format!(
                    "INSERT INTO users ({USER_COLS}, name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind(u.id.to_string())
                .bind(u.kind.as_str())
                .bind(&u.email)
                .bind(&u.phone)
                .bind(&u.full_name)
                .bind(&u.id_number)
                .bind(u.agency_id.map(|a| a.to_string()))
                .bind(&u.password_hash)
                .bind(u.disabled)
                .bind(&u.locale)
                .bind(u.created_at_us)
                .bind(fold(&u.full_name))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    let conflict = e.as_database_error().is_some_and(|d| d.is_unique_violation());
                    if conflict { AppError::field(ErrorCode::UserLoginTaken, "login") } else { db_err(e) }
                })?;
                for g in grants {
                    sqlx::query("INSERT INTO grants (id, user_id, role, agency_id, created_at_us) VALUES ($1, $2, $3, $4, $5)")
                        .bind(g.id.to_string())
                        .bind(g.user_id.to_string())
                        .bind(g.role.as_str())
                        .bind(g.agency_id.map(|a| a.to_string()))
                        .bind(g.created_at_us)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn user_get(&self, id: UserId) -> AppResult<Option<User>> {
                self.one_user("id", &id.to_string()).await
            }

            async fn user_by_email(&self, email: &str) -> AppResult<Option<User>> {
                self.one_user("email", email).await
            }

            async fn user_by_phone(&self, phone: &str) -> AppResult<Option<User>> {
                self.one_user("phone", phone).await
            }

            async fn users_list(&self, f: &UserFilter) -> AppResult<Vec<User>> {
                let pattern = f.query.as_ref().map(|q| format!("%{}%", fold(q).replace(['%', '_'], "")));
                let rows = sqlx::query(&format!(
                    "SELECT {USER_COLS} FROM users u WHERE \
                     ($1 IS NULL OR u.agency_id IN (SELECT a.id FROM agencies a WHERE a.path LIKE (SELECT p.path FROM agencies p WHERE p.id = $1) || '%')) \
                     AND ($2 IS NULL OR u.kind = $2) \
                     AND ($3 IS NULL OR u.name_folded LIKE $3 OR u.email LIKE $3 OR u.phone LIKE $3) \
                     ORDER BY u.name_folded, u.id LIMIT $4 OFFSET $5"
                ))
                .bind(f.agency_subtree.map(|a| a.to_string()))
                .bind(f.kind.map(|k| k.as_str()))
                .bind(pattern)
                .bind(f.limit)
                .bind(f.offset)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(Self::user_from).collect()
            }

            async fn user_set_password(&self, id: UserId, hash: &str, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                    .bind(id.to_string())
                    .bind(hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn user_set_disabled(&self, id: UserId, disabled: bool, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
                    .bind(id.to_string())
                    .bind(disabled)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn grants_of(&self, user: UserId) -> AppResult<Vec<GrantRow>> {
                let rows = sqlx::query("SELECT id, user_id, role, agency_id, created_at_us FROM grants WHERE user_id = $1 ORDER BY created_at_us, id")
                    .bind(user.to_string())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(Self::grant_from).collect()
            }

            async fn grant_insert(&self, g: &GrantRow, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query("INSERT INTO grants (id, user_id, role, agency_id, created_at_us) VALUES ($1, $2, $3, $4, $5)")
                    .bind(g.id.to_string())
                    .bind(g.user_id.to_string())
                    .bind(g.role.as_str())
                    .bind(g.agency_id.map(|a| a.to_string()))
                    .bind(g.created_at_us)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn grant_delete(&self, id: GrantId, audit: &AuditDraft) -> AppResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query("DELETE FROM grants WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                tx.commit().await.map_err(db_err)?;
                Ok(n > 0)
            }

            async fn users_count(&self) -> AppResult<i64> {
                sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await.map_err(db_err)
            }

            async fn session_insert(&self, s: &SessionRow, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at_us, last_seen_us, expires_at_us, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&s.token_hash)
                    .bind(s.user_id.to_string())
                    .bind(&s.csrf_token)
                    .bind(s.created_at_us)
                    .bind(s.last_seen_us)
                    .bind(s.expires_at_us)
                    .bind(&s.ip)
                    .bind(&s.user_agent)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                // Housekeeping: drop this user's expired sessions.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at_us <= $2")
                    .bind(s.user_id.to_string())
                    .bind(s.created_at_us)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn session_get(&self, token_hash: &str) -> AppResult<Option<SessionRow>> {
                let row = sqlx::query("SELECT token_hash, user_id, csrf_token, created_at_us, last_seen_us, expires_at_us, ip, user_agent FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some(SessionRow {
                    token_hash: r.try_get("token_hash").map_err(db_err)?,
                    user_id: UserId(uuid_of(&r.try_get::<String, _>("user_id").map_err(db_err)?)?),
                    csrf_token: r.try_get("csrf_token").map_err(db_err)?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                    last_seen_us: r.try_get("last_seen_us").map_err(db_err)?,
                    expires_at_us: r.try_get("expires_at_us").map_err(db_err)?,
                    ip: r.try_get("ip").map_err(db_err)?,
                    user_agent: r.try_get("user_agent").map_err(db_err)?,
                }))
            }

            async fn session_touch(&self, token_hash: &str, last_seen_us: i64) -> AppResult<()> {
                sqlx::query("UPDATE sessions SET last_seen_us = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(last_seen_us)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn session_delete(&self, token_hash: &str, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn sessions_delete_for_user(&self, user: UserId, audit: &AuditDraft) -> AppResult<u64> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                tx.commit().await.map_err(db_err)?;
                Ok(n)
            }

            async fn login_failure_add(&self, keys: &[String], at_us: i64) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for k in keys {
                    sqlx::query("INSERT INTO login_failures (key, at_us) VALUES ($1, $2)")
                        .bind(k)
                        .bind(at_us)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                // Forget failures older than a day.
                sqlx::query("DELETE FROM login_failures WHERE at_us < $1")
                    .bind(at_us - 86_400_000_000)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn login_failure_count(&self, key: &str, since_us: i64) -> AppResult<i64> {
                sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at_us >= $2")
                    .bind(key)
                    .bind(since_us)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)
            }

            async fn login_failure_clear(&self, key: &str) -> AppResult<()> {
                sqlx::query("DELETE FROM login_failures WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn api_key_insert(&self, k: &ApiKeyRow, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query(&format!("INSERT INTO api_keys ({KEY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
                    .bind(k.id.to_string())
                    .bind(&k.name)
                    .bind(&k.prefix)
                    .bind(&k.secret_hash)
                    .bind(k.scopes.join(" "))
                    .bind(k.agency_id.map(|a| a.to_string()))
                    .bind(&k.created_by)
                    .bind(k.created_at_us)
                    .bind(k.revoked_at_us)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn api_key_by_prefix(&self, prefix: &str) -> AppResult<Option<ApiKeyRow>> {
                let row = sqlx::query(&format!("SELECT {KEY_COLS} FROM api_keys WHERE prefix = $1"))
                    .bind(prefix)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(Self::key_from).transpose()
            }

            async fn api_keys_all(&self) -> AppResult<Vec<ApiKeyRow>> {
                let rows = sqlx::query(&format!("SELECT {KEY_COLS} FROM api_keys ORDER BY created_at_us, id"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(Self::key_from).collect()
            }

            async fn api_key_revoke(&self, id: ApiKeyId, at_us: i64, audit: &AuditDraft) -> AppResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query("UPDATE api_keys SET revoked_at_us = $2 WHERE id = $1 AND revoked_at_us IS NULL")
                    .bind(id.to_string())
                    .bind(at_us)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 {
                    return Ok(false);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn calendar_notices(&self) -> AppResult<Vec<(i32, String)>> {
                let rows = sqlx::query("SELECT year, body FROM calendar_notices ORDER BY year")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter()
                    .map(|r| {
                        let year: i64 = r.try_get("year").map_err(db_err)?;
                        let year = i32::try_from(year).map_err(|_| corrupt("calendar year"))?;
                        Ok((year, r.try_get("body").map_err(db_err)?))
                    })
                    .collect()
            }

            async fn calendar_notice_put(&self, year: i32, body: &str, audit: &AuditDraft) -> AppResult<()> {
                // The notice's own version, repeated in a column for listings (NULL if absent).
                let version = serde_json::from_str::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| v.get("version").and_then(|v| v.as_str()).map(str::to_string));
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query(
                    "INSERT INTO calendar_notices (year, body, version, updated_at_us, updated_by) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (year) DO UPDATE SET body = excluded.body, version = excluded.version, updated_at_us = excluded.updated_at_us, updated_by = excluded.updated_by",
                )
                .bind(i64::from(year))
                .bind(body)
                .bind(version)
                .bind(audit.at_us)
                .bind(&audit.actor)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn calendar_notice_delete(&self, year: i32, audit: &AuditDraft) -> AppResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query("DELETE FROM calendar_notices WHERE year = $1")
                    .bind(i64::from(year))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 {
                    // Nothing to remove: roll back, so no audit entry describes a no-op.
                    return Ok(false);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn audit_append(&self, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                tx.commit().await.map_err(db_err)
            }

            async fn audit_page(&self, after: i64, limit: i64) -> AppResult<Vec<AuditEntry>> {
                let rows = sqlx::query(&format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"))
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(Self::audit_from).collect()
            }

            async fn outbox_claim(&self, now_us: i64, lease_us: i64, limit: i64) -> AppResult<Vec<OutboxMessage>> {
                let rows = sqlx::query(&format!(
                    "UPDATE outbox SET available_at_us = $1 + $2, attempts = attempts + 1 WHERE id IN \
                     (SELECT id FROM outbox WHERE delivered_at_us IS NULL AND dead_at_us IS NULL AND available_at_us <= $1 \
                      ORDER BY available_at_us, id LIMIT $3 {}) RETURNING {OUTBOX_COLS}",
                    $claim_lock
                ))
                .bind(now_us)
                .bind(lease_us)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let mut v: Vec<OutboxMessage> = rows.iter().map(Self::outbox_from).collect::<AppResult<_>>()?;
                v.sort_by(|a, b| (a.created_at_us, &a.id).cmp(&(b.created_at_us, &b.id)));
                Ok(v)
            }

            async fn outbox_delivered(&self, id: &str, at_us: i64) -> AppResult<()> {
                sqlx::query("UPDATE outbox SET delivered_at_us = $2, last_error = NULL WHERE id = $1")
                    .bind(id)
                    .bind(at_us)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn outbox_failed(&self, id: &str, error: &str, retry_at_us: Option<i64>, at_us: i64) -> AppResult<()> {
                let error: String = error.chars().take(1000).collect();
                match retry_at_us {
                    Some(t) => sqlx::query("UPDATE outbox SET available_at_us = $2, last_error = $3 WHERE id = $1")
                        .bind(id)
                        .bind(t)
                        .bind(&error)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?,
                    None => sqlx::query("UPDATE outbox SET dead_at_us = $2, last_error = $3 WHERE id = $1")
                        .bind(id)
                        .bind(at_us)
                        .bind(&error)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?,
                };
                Ok(())
            }

            async fn outbox_by_key(&self, key: &str) -> AppResult<Option<OutboxMessage>> {
                let row = sqlx::query(&format!("SELECT {OUTBOX_COLS} FROM outbox WHERE idempotency_key = $1"))
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(Self::outbox_from).transpose()
            }

            async fn outbox_stats(&self) -> AppResult<OutboxStats> {
                let r = sqlx::query(
                    "SELECT \
                     (SELECT COUNT(*) FROM outbox WHERE delivered_at_us IS NULL AND dead_at_us IS NULL) AS pending, \
                     (SELECT COUNT(*) FROM outbox WHERE delivered_at_us IS NOT NULL) AS delivered, \
                     (SELECT COUNT(*) FROM outbox WHERE dead_at_us IS NOT NULL) AS dead",
                )
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(OutboxStats {
                    pending: r.try_get("pending").map_err(db_err)?,
                    delivered: r.try_get("delivered").map_err(db_err)?,
                    dead: r.try_get("dead").map_err(db_err)?,
                })
            }

            async fn outgoing_insert(&self, m: &OutgoingMessage) -> AppResult<bool> {
                let n = sqlx::query(
                    "INSERT INTO outgoing_messages (idempotency_key, channel, recipient, subject, body, created_at_us) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(&m.idempotency_key)
                .bind(&m.channel)
                .bind(&m.recipient)
                .bind(&m.subject)
                .bind(&m.body)
                .bind(m.created_at_us)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n > 0)
            }

            async fn draft_insert(&self, d: &DraftRecord, audit: &AuditDraft) -> AppResult<()> {
                let body = serde_json::to_string(&d.body).map_err(|e| AppError::internal(e.to_string()))?;
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query(
                    "INSERT INTO drafts (id, user_id, procedure_id, agency_id, body, dossier_id, created_at_us, updated_at_us) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)",
                )
                .bind(d.id.to_string())
                .bind(d.user_id.to_string())
                .bind(d.procedure_id.to_string())
                .bind(d.agency_id.map(|a| a.to_string()))
                .bind(body)
                .bind(d.created_at_us)
                .bind(d.updated_at_us)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn draft_update(&self, d: &DraftRecord, audit: &AuditDraft) -> AppResult<()> {
                let body = serde_json::to_string(&d.body).map_err(|e| AppError::internal(e.to_string()))?;
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query(
                    "UPDATE drafts SET agency_id = $2, body = $3, updated_at_us = $4 WHERE id = $1 AND dossier_id IS NULL",
                )
                .bind(d.id.to_string())
                .bind(d.agency_id.map(|a| a.to_string()))
                .bind(body)
                .bind(d.updated_at_us)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Err(AppError::new(ErrorCode::DraftAlreadySubmitted));
                }
                tx.commit().await.map_err(db_err)
            }

            async fn draft_get(&self, id: DraftId) -> AppResult<Option<DraftRecord>> {
                let row = sqlx::query(&format!("SELECT {DRAFT_COLS} FROM drafts WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(Self::draft_from).transpose()
            }

            async fn drafts_of(&self, user: UserId) -> AppResult<Vec<DraftRecord>> {
                let rows = sqlx::query(&format!(
                    "SELECT {DRAFT_COLS} FROM drafts WHERE user_id = $1 AND dossier_id IS NULL ORDER BY updated_at_us DESC, id LIMIT 200"
                ))
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(Self::draft_from).collect()
            }

            async fn draft_delete(&self, id: DraftId, audit: &AuditDraft) -> AppResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query("DELETE FROM files WHERE draft_id = $1 AND EXISTS (SELECT 1 FROM drafts WHERE id = $1 AND dossier_id IS NULL)")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let n = sqlx::query("DELETE FROM drafts WHERE id = $1 AND dossier_id IS NULL")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 {
                    return Ok(false);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn file_insert(&self, f: &FileRecord, audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                if let Some(d) = f.draft_id {
                    // Only into a draft not yet submitted.
                    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM drafts WHERE id = $1 AND dossier_id IS NULL")
                        .bind(d.to_string())
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if open == 0 {
                        return Err(AppError::new(ErrorCode::DraftAlreadySubmitted));
                    }
                }
                Self::insert_file(&mut tx, f).await?;
                tx.commit().await.map_err(db_err)
            }

            async fn draft_file_delete(&self, draft: DraftId, file: FileId, audit: &AuditDraft) -> AppResult<bool> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query(
                    "DELETE FROM files WHERE id = $1 AND draft_id = $2 AND EXISTS (SELECT 1 FROM drafts WHERE id = $2 AND dossier_id IS NULL)",
                )
                .bind(file.to_string())
                .bind(draft.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Ok(false);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn files_of_draft(&self, draft: DraftId) -> AppResult<Vec<FileRecord>> {
                let rows = sqlx::query(&format!("SELECT {FILE_COLS} FROM files WHERE draft_id = $1 ORDER BY uploaded_at_us, id"))
                    .bind(draft.to_string())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(Self::file_from).collect()
            }

            async fn files_of_dossier(&self, dossier: DossierId) -> AppResult<Vec<FileRecord>> {
                let rows = sqlx::query(&format!("SELECT {FILE_COLS} FROM files WHERE dossier_id = $1 ORDER BY uploaded_at_us, id"))
                    .bind(dossier.to_string())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(Self::file_from).collect()
            }

            async fn file_get(&self, id: FileId) -> AppResult<Option<FileRecord>> {
                let row = sqlx::query(&format!("SELECT {FILE_COLS} FROM files WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(Self::file_from).transpose()
            }

            async fn file_refs_page(&self, after: Option<FileId>, limit: i64) -> AppResult<Vec<cqdt_app::store::FileRef>> {
                let rows = sqlx::query(
                    // Dossier and draft files, and documents' files (scans, main files,
                    // signatures): every record that names a blob, so gc never takes one.
                    "SELECT id, sha256, size, name, draft_id, code FROM ( \
                     SELECT f.id AS id, f.sha256 AS sha256, f.size AS size, f.name AS name, f.draft_id AS draft_id, d.code AS code \
                     FROM files f LEFT JOIN dossiers d ON d.id = f.dossier_id \
                     UNION ALL \
                     SELECT g.id, g.sha256, g.size, g.name, NULL, NULL FROM document_files g \
                     ) u WHERE u.id > $1 ORDER BY u.id LIMIT $2",
                )
                .bind(after.map(|a| a.to_string()).unwrap_or_default())
                .bind(limit.max(0))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter()
                    .map(|r| {
                        let draft: Option<String> = r.try_get("draft_id").map_err(db_err)?;
                        Ok(cqdt_app::store::FileRef {
                            id: FileId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                            sha256: r.try_get("sha256").map_err(db_err)?,
                            size: r.try_get("size").map_err(db_err)?,
                            name: r.try_get("name").map_err(db_err)?,
                            dossier_code: r.try_get("code").map_err(db_err)?,
                            draft_id: draft.map(|d| uuid_of(&d).map(DraftId)).transpose()?,
                        })
                    })
                    .collect()
            }

            async fn outgoing_list(&self, limit: i64) -> AppResult<Vec<OutgoingMessage>> {
                let rows = sqlx::query(
                    "SELECT idempotency_key, channel, recipient, subject, body, created_at_us FROM outgoing_messages ORDER BY created_at_us DESC, idempotency_key LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter()
                    .map(|r| {
                        Ok(OutgoingMessage {
                            idempotency_key: r.try_get("idempotency_key").map_err(db_err)?,
                            channel: r.try_get("channel").map_err(db_err)?,
                            recipient: r.try_get("recipient").map_err(db_err)?,
                            subject: r.try_get("subject").map_err(db_err)?,
                            body: r.try_get("body").map_err(db_err)?,
                            created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                        })
                    })
                    .collect()
            }

            async fn audit_head(&self) -> AppResult<(i64, String)> {
                let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok((r.try_get("seq").map_err(db_err)?, r.try_get("hash").map_err(db_err)?))
            }

            // ---- Procedures and dossiers (issue 4) ----

            async fn procedures_insert(&self, items: &[ProcedureRecord], audits: &[AuditDraft]) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for d in audits {
                    Self::append(&mut tx, d).await?;
                }
                for r in items {
                    let p = &r.procedure;
                    if r.current {
                        sqlx::query("UPDATE procedures SET is_current = FALSE, updated_at_us = $2 WHERE national_code = $1 AND is_current = TRUE")
                            .bind(p.national_code.as_str())
                            .bind(r.updated_at_us)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                    sqlx::query(&format!(
                        "INSERT INTO procedures ({PROC_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
                    ))
                    .bind(r.id.to_string())
                    .bind(p.national_code.as_str())
                    .bind(p.local_code.as_ref().map(|c| c.as_str().to_string()))
                    .bind(i64::from(p.version))
                    .bind(r.current)
                    .bind(&p.name)
                    .bind(fold(&p.name))
                    .bind(&p.field.name)
                    .bind(fold(&p.field.name))
                    .bind(r.level.as_str())
                    .bind(i64::from(p.level.level_2019()))
                    .bind(json(&p.legal_time)?)
                    .bind(p.effective_from.to_string())
                    .bind(p.effective_to.map(|d| d.to_string()))
                    .bind(json(p)?)
                    .bind(json(&r.notes)?)
                    .bind(r.created_at_us)
                    .bind(r.updated_at_us)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    for a in &p.agencies {
                        sqlx::query("INSERT INTO procedure_agencies (procedure_id, agency_id) VALUES ($1, $2)")
                            .bind(r.id.to_string())
                            .bind(a.to_string())
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                }
                tx.commit().await.map_err(db_err)
            }

            async fn procedure_get(&self, id: ProcedureId) -> AppResult<Option<ProcedureRecord>> {
                let row = sqlx::query(&format!("SELECT {PROC_COLS} FROM procedures WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(Self::procedure_from).transpose()
            }

            async fn procedures_current(&self) -> AppResult<Vec<ProcedureRecord>> {
                let rows = sqlx::query(&format!("SELECT {PROC_COLS} FROM procedures WHERE is_current = TRUE ORDER BY national_code"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(Self::procedure_from).collect()
            }

            async fn procedures_search(&self, f: &ProcedureFilter) -> AppResult<(Vec<ProcedureRecord>, i64)> {
                let mut q = Sql::default();
                let rank = match &f.query {
                    Some(t) => {
                        let exact = q.text(t.clone());
                        let prefix = q.text(format!("{}%", like_escape(t)));
                        let word = q.text(format!("% {}%", like_escape(t)));
                        let any = q.text(format!("%{}%", like_escape(t)));
                        format!(
                            "CASE WHEN p.name_folded = {exact} THEN 0 WHEN p.name_folded LIKE {prefix} ESCAPE '\\' THEN 1 \
                             WHEN p.name_folded LIKE {word} ESCAPE '\\' THEN 2 WHEN p.name_folded LIKE {any} ESCAPE '\\' THEN 3 ELSE 4 END"
                        )
                    }
                    None => "0".to_string(),
                };
                let cond = procedure_where(f, &mut q);
                let (limit, offset) = (q.int(f.limit), q.int(f.offset));
                let sql = format!(
                    "SELECT {PROC_COLS}, {rank} AS search_rank FROM procedures p WHERE {cond} \
                     ORDER BY search_rank, LENGTH(p.name_folded), p.name_folded, p.national_code LIMIT {limit} OFFSET {offset}"
                );
                let query = bind_all!(sqlx::query(&sql), q.binds);
                let rows = query.fetch_all(&self.pool).await.map_err(db_err)?;
                let items = rows.iter().map(Self::procedure_from).collect::<AppResult<Vec<_>>>()?;
                let mut q = Sql::default();
                let cond = procedure_where(f, &mut q);
                let sql = format!("SELECT COUNT(*) FROM procedures p WHERE {cond}");
                let count = bind_all!(sqlx::query_scalar::<_, i64>(&sql), q.binds);
                let total = count.fetch_one(&self.pool).await.map_err(db_err)?;
                Ok((items, total))
            }

            async fn dossier_create(
                &self,
                agency_id: AgencyId,
                day: chrono::NaiveDate,
                audit: &AuditDraft,
                files: &NewDossierFiles,
                build: DossierBuilder<'static>,
            ) -> AppResult<DossierRecord> {
                if !self.group.enabled() {
                    // One transaction of its own, in the caller's task.
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    Self::append(&mut tx, audit).await?;
                    let rec = Self::fill_dossier(&mut tx, agency_id, day, files, build).await?;
                    tx.commit().await.map_err(db_err)?;
                    return Ok(rec);
                }
                let (reply, answer) = oneshot::channel();
                let job = Job {
                    agency_id,
                    day,
                    audit: audit.clone(),
                    files: files.clone(),
                    build,
                    reply,
                };
                let pool = self.pool.clone();
                self.group.queue(job, move |rx, shared| {
                    tokio::spawn(Self::group_writer(pool, shared, rx));
                })?;
                answer
                    .await
                    .map_err(|_| AppError::new(ErrorCode::StorageUnavailable).with_detail("group commit writer stopped"))?
            }

            async fn dossier_get(&self, id: DossierId) -> AppResult<Option<DossierRecord>> {
                let row = sqlx::query(&format!("SELECT {DOSSIER_COLS} FROM dossiers WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(Self::dossier_from).transpose()
            }

            async fn dossier_by_code(&self, code: &str) -> AppResult<Option<DossierRecord>> {
                let row = sqlx::query(&format!("SELECT {DOSSIER_COLS} FROM dossiers WHERE code = $1"))
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(Self::dossier_from).transpose()
            }

            async fn dossier_update(
                &self,
                d: &DossierRecord,
                events: &[DossierEvent],
                audit: &AuditDraft,
                outbox: &[NewOutbox],
                files: &[FileRecord],
            ) -> AppResult<()> {
                let c = dossier_cols(d)?;
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let n = sqlx::query(
                    "UPDATE dossiers SET state = $3, national_status = $4, clock_paused = $5, received_at_us = $6, due_at_us = $7, \
                     appointment_at_us = $8, finished_at_us = $9, closed_at_us = $10, timeliness = $11, state_json = $12, \
                     updated_at_us = $13, version = version + 1 WHERE id = $1 AND version = $2",
                )
                .bind(d.id.to_string())
                .bind(d.version)
                .bind(c.state)
                .bind(c.national_status)
                .bind(c.clock_paused)
                .bind(c.received_at_us)
                .bind(d.due_at_us)
                .bind(d.appointment_at_us)
                .bind(c.finished_at_us)
                .bind(d.closed_at_us)
                .bind(&c.timeliness)
                .bind(&c.state_json)
                .bind(d.updated_at_us)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    // Changed (or removed) since it was read: nothing is written, not even the
                    // audit entry.
                    return Err(AppError::new(ErrorCode::StorageConflict).with_detail("dossier version"));
                }
                let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM dossier_events WHERE dossier_id = $1")
                    .bind(d.id.to_string())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
                Self::insert_events(&mut tx, d.id, last, events).await?;
                for f in files {
                    Self::insert_file(&mut tx, f).await?;
                }
                Self::enqueue(&mut tx, outbox).await?;
                tx.commit().await.map_err(db_err)
            }

            async fn dossier_events(&self, id: DossierId) -> AppResult<Vec<(i64, DossierEvent)>> {
                let rows = sqlx::query("SELECT seq, payload FROM dossier_events WHERE dossier_id = $1 ORDER BY seq")
                    .bind(id.to_string())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter()
                    .map(|r| {
                        let seq: i64 = r.try_get("seq").map_err(db_err)?;
                        let payload: String = r.try_get("payload").map_err(db_err)?;
                        let e = serde_json::from_str(&payload).map_err(|_| corrupt("dossier event"))?;
                        Ok((seq, e))
                    })
                    .collect()
            }

            async fn dossiers_list(&self, f: &DossierFilter) -> AppResult<(Vec<DossierRecord>, i64)> {
                let items = self.dossiers_page(f).await?;
                let mut q = Sql::default();
                let cond = dossier_where(f, &mut q);
                let sql = format!("SELECT COUNT(*) FROM dossiers d WHERE {cond}");
                let count = bind_all!(sqlx::query_scalar::<_, i64>(&sql), q.binds);
                let total = count.fetch_one(&self.pool).await.map_err(db_err)?;
                Ok((items, total))
            }

            async fn dossiers_page(&self, f: &DossierFilter) -> AppResult<Vec<DossierRecord>> {
                // Two steps: the page's ids in order (index-only on `dossiers_queue` for the
                // worklists: no row of the table is read to sort), then those rows by key. One
                // query with every column made the database read and sort whole rows.
                let mut q = Sql::default();
                let cond = dossier_where(f, &mut q);
                let (limit, offset) = (q.int(f.limit), q.int(f.offset));
                // Worklists: due first; an applicant's own list: newest first.
                let order = if f.scopes.is_empty() {
                    "d.created_at_us DESC, d.id"
                } else {
                    "(d.due_at_us IS NULL), d.due_at_us, d.created_at_us, d.id"
                };
                let sql = format!(
                    "SELECT d.id FROM dossiers d WHERE {cond} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
                );
                let query = bind_all!(sqlx::query_scalar::<_, String>(&sql), q.binds);
                let ids = query.fetch_all(&self.pool).await.map_err(db_err)?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = Sql::default();
                let ps: Vec<String> = ids.iter().map(|id| q.text(id.as_str())).collect();
                let sql = format!("SELECT {DOSSIER_COLS} FROM dossiers WHERE id IN ({})", ps.join(", "));
                let query = bind_all!(sqlx::query(&sql), q.binds);
                let rows = query.fetch_all(&self.pool).await.map_err(db_err)?;
                let mut by_id: std::collections::HashMap<DossierId, DossierRecord> = rows
                    .iter()
                    .map(|r| Self::dossier_from(r).map(|d| (d.id, d)))
                    .collect::<AppResult<_>>()?;
                // In the page's order; a dossier cannot vanish between the two reads (no deletes).
                ids.iter()
                    .filter_map(|id| uuid::Uuid::parse_str(id).ok().and_then(|u| by_id.remove(&DossierId(u))))
                    .map(Ok)
                    .collect()
            }

            async fn dossiers_counts(&self, f: &DossierFilter) -> AppResult<Vec<StateCount>> {
                let mut q = Sql::default();
                let now = q.int(f.now_us);
                let cond = dossier_where(f, &mut q);
                let sql = format!(
                    "SELECT d.state AS state, COUNT(*) AS total, \
                     SUM(CASE WHEN d.closed_at_us IS NULL AND d.due_at_us IS NOT NULL AND d.due_at_us < {now} THEN 1 ELSE 0 END) AS overdue \
                     FROM dossiers d WHERE {cond} GROUP BY d.state ORDER BY d.state"
                );
                let query = bind_all!(sqlx::query(&sql), q.binds);
                let rows = query.fetch_all(&self.pool).await.map_err(db_err)?;
                rows.iter()
                    .map(|r| {
                        let state: String = r.try_get("state").map_err(db_err)?;
                        Ok(StateCount {
                            state: StateName::ALL
                                .into_iter()
                                .find(|s| s.as_str() == state)
                                .ok_or_else(|| corrupt("dossier state"))?,
                            total: r.try_get("total").map_err(db_err)?,
                            overdue: r.try_get::<Option<i64>, _>("overdue").map_err(db_err)?.unwrap_or(0),
                        })
                    })
                    .collect()
            }

            async fn dossier_histories(
                &self,
                path_prefix: &str,
                received_before_us: i64,
                open_at_us: i64,
            ) -> AppResult<Vec<DossierHistory>> {
                let rows = sqlx::query(
                    "SELECT d.id AS id, d.field AS field, e.payload AS payload FROM dossiers d \
                     JOIN dossier_events e ON e.dossier_id = d.id \
                     WHERE d.agency_path LIKE $1 ESCAPE '\\' AND d.received_at_us IS NOT NULL AND d.received_at_us < $2 \
                     AND (d.closed_at_us IS NULL OR d.closed_at_us >= $3) ORDER BY d.id, e.seq",
                )
                .bind(format!("{}%", like_escape(path_prefix)))
                .bind(received_before_us)
                .bind(open_at_us)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let mut out: Vec<DossierHistory> = Vec::new();
                for r in &rows {
                    let id = DossierId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?);
                    let payload: String = r.try_get("payload").map_err(db_err)?;
                    let event: DossierEvent = serde_json::from_str(&payload).map_err(|_| corrupt("dossier event"))?;
                    match out.last_mut() {
                        Some(h) if h.dossier_id == id => h.events.push(event),
                        _ => out.push(DossierHistory {
                            dossier_id: id,
                            field: r.try_get("field").map_err(db_err)?,
                            events: vec![event],
                        }),
                    }
                }
                Ok(out)
            }
            async fn dossier_ii06a_counts(
                &self,
                path_prefix: &str,
                from_us: i64,
                end_us: i64,
            ) -> AppResult<Vec<Ii06aFieldCounts>> {
                // Only dossiers open at some moment of the period can count anywhere: received
                // before its end, not closed before its start. Resolved = finished with the
                // result ready; a rejection also finishes processing but ends in `stopped`,
                // which column (7) leaves out. One index range per field
                // (`dossiers_report_field`, migration 0013): the fields present first (one seek
                // each), then their ranges, a hundred fields per statement.
                let fields: Vec<String> = sqlx::query_scalar(
                    "WITH RECURSIVE f(x) AS (SELECT MIN(field) FROM dossiers \
                     UNION ALL SELECT (SELECT MIN(d.field) FROM dossiers d WHERE d.field > f.x) FROM f WHERE f.x IS NOT NULL) \
                     SELECT x FROM f WHERE x IS NOT NULL",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let sums = "SUM(CASE WHEN d.received_at_us >= $2 AND d.channel = 2 THEN 1 ELSE 0 END) AS online, \
                     SUM(CASE WHEN d.received_at_us >= $2 AND d.channel <> 2 THEN 1 ELSE 0 END) AS other, \
                     SUM(CASE WHEN d.received_at_us < $2 THEN 1 ELSE 0 END) AS carried, \
                     SUM(CASE WHEN d.finished_at_us >= $2 AND d.finished_at_us < $3 AND d.state <> 'stopped' AND d.timeliness = 'early' THEN 1 ELSE 0 END) AS early, \
                     SUM(CASE WHEN d.finished_at_us >= $2 AND d.finished_at_us < $3 AND d.state <> 'stopped' AND d.timeliness = 'on_time' THEN 1 ELSE 0 END) AS on_time, \
                     SUM(CASE WHEN d.finished_at_us >= $2 AND d.finished_at_us < $3 AND d.state <> 'stopped' AND d.timeliness = 'late' THEN 1 ELSE 0 END) AS late";
                let prefix = format!("{}%", like_escape(path_prefix));
                // SQLite (the version sqlx bundles) otherwise walks the subtree's range of
                // `dossiers_report` once per field for a district: 3.2 s instead of 0.08 s.
                let hint = if $backend == "sqlite" { " INDEXED BY dossiers_report_field" } else { "" };
                let mut rows = Vec::new();
                for chunk in fields.chunks(100) {
                    let parts: Vec<String> = (0..chunk.len())
                        .map(|i| {
                            format!(
                                "SELECT CAST(${k} AS TEXT) AS field, {sums} FROM dossiers d{hint} \
                                 WHERE d.field = ${k} AND d.agency_path LIKE $1 ESCAPE '\\' \
                                 AND d.received_at_us IS NOT NULL AND d.received_at_us < $3 \
                                 AND (d.closed_at_us IS NULL OR d.closed_at_us >= $2)",
                                k = i + 4
                            )
                        })
                        .collect();
                    let sql = parts.join(" UNION ALL ");
                    let mut q = sqlx::query(&sql).bind(&prefix).bind(from_us).bind(end_us);
                    for f in chunk {
                        q = q.bind(f);
                    }
                    rows.extend(q.fetch_all(&self.pool).await.map_err(db_err)?);
                }
                rows.iter()
                    .map(|r| {
                        let n = |c: &str| r.try_get::<Option<i64>, _>(c).map(|v| v.unwrap_or(0)).map_err(db_err);
                        Ok(Ii06aFieldCounts {
                            field: r.try_get("field").map_err(db_err)?,
                            received_online: n("online")?,
                            received_other: n("other")?,
                            carried_over: n("carried")?,
                            resolved_early: n("early")?,
                            resolved_on_time: n("on_time")?,
                            resolved_late: n("late")?,
                        })
                    })
                    .collect()
            }

            async fn dossiers_open_at(&self, path_prefix: &str, end_us: i64) -> AppResult<Vec<OpenDossier>> {
                let rows = sqlx::query(
                    "SELECT d.id AS id, d.field AS field, \
                     (SELECT e.payload FROM dossier_events e WHERE e.dossier_id = d.id AND e.at_us < $2 \
                      ORDER BY e.seq DESC LIMIT 1) AS payload \
                     FROM dossiers d \
                     WHERE d.agency_path LIKE $1 ESCAPE '\\' AND d.received_at_us IS NOT NULL AND d.received_at_us < $2 \
                     AND (d.closed_at_us IS NULL OR d.closed_at_us >= $2)",
                )
                .bind(format!("{}%", like_escape(path_prefix)))
                .bind(end_us)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter()
                    .map(|r| {
                        let payload: Option<String> = r.try_get("payload").map_err(db_err)?;
                        Ok(OpenDossier {
                            dossier_id: DossierId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                            field: r.try_get("field").map_err(db_err)?,
                            last_event: payload
                                .map(|p| serde_json::from_str::<DossierEvent>(&p).map_err(|_| corrupt("dossier event")))
                                .transpose()?,
                        })
                    })
                    .collect()
            }
            // ---- End of procedures and dossiers. ----
        }

        // Procedures and dossiers (issue 4): row mapping and inserts inside a transaction.
        impl $store {
            fn procedure_from(r: &$row) -> AppResult<ProcedureRecord> {
                let body: String = r.try_get("body").map_err(db_err)?;
                let notes: String = r.try_get("notes").map_err(db_err)?;
                let level: String = r.try_get("level").map_err(db_err)?;
                Ok(ProcedureRecord {
                    id: ProcedureId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    procedure: serde_json::from_str::<Procedure>(&body).map_err(|_| corrupt("procedure"))?,
                    level: ProcedureLevel::parse(&level).ok_or_else(|| corrupt("procedure level"))?,
                    notes: serde_json::from_str::<ProcedureNotes>(&notes).map_err(|_| corrupt("procedure notes"))?,
                    current: r.try_get("is_current").map_err(db_err)?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                    updated_at_us: r.try_get("updated_at_us").map_err(db_err)?,
                })
            }

            fn dossier_from(r: &$row) -> AppResult<DossierRecord> {
                let g = |c: &str| r.try_get::<Option<String>, _>(c).map_err(db_err);
                let s = |c: &str| r.try_get::<String, _>(c).map_err(db_err);
                let i = |c: &str| r.try_get::<Option<i64>, _>(c).map_err(db_err);
                let dossier: Dossier = serde_json::from_str(&s("state_json")?).map_err(|_| corrupt("dossier state"))?;
                let form_values: NormalisedValues =
                    serde_json::from_str(&s("form_values")?).map_err(|_| corrupt("form values"))?;
                let return_method = match g("return_method")? {
                    None => None,
                    Some(m) => Some(
                        serde_json::from_value::<ReturnMethod>(serde_json::Value::String(m))
                            .map_err(|_| corrupt("return method"))?,
                    ),
                };
                Ok(DossierRecord {
                    id: DossierId(uuid_of(&s("id")?)?),
                    code: s("code")?,
                    agency_id: AgencyId(uuid_of(&s("agency_id")?)?),
                    agency_path: path_from_string(&s("agency_path")?)?,
                    procedure_id: ProcedureId(uuid_of(&s("procedure_id")?)?),
                    applicant: Applicant {
                        user_id: g("applicant_user_id")?.map(|u| uuid_of(&u).map(UserId)).transpose()?,
                        name: s("applicant_name")?,
                        id_number: g("applicant_id_number")?,
                        phone: g("applicant_phone")?,
                        email: g("applicant_email")?,
                        address: g("applicant_address")?,
                    },
                    form_values,
                    return_method,
                    dossier,
                    due_at_us: i("due_at_us")?,
                    appointment_at_us: i("appointment_at_us")?,
                    closed_at_us: i("closed_at_us")?,
                    version: r.try_get("version").map_err(db_err)?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                    updated_at_us: r.try_get("updated_at_us").map_err(db_err)?,
                })
            }

            fn draft_from(r: &$row) -> AppResult<DraftRecord> {
                let g = |c: &str| r.try_get::<Option<String>, _>(c).map_err(db_err);
                let body: String = r.try_get("body").map_err(db_err)?;
                Ok(DraftRecord {
                    id: DraftId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    user_id: UserId(uuid_of(&r.try_get::<String, _>("user_id").map_err(db_err)?)?),
                    procedure_id: ProcedureId(uuid_of(&r.try_get::<String, _>("procedure_id").map_err(db_err)?)?),
                    agency_id: g("agency_id")?.map(|a| uuid_of(&a).map(AgencyId)).transpose()?,
                    body: serde_json::from_str(&body).map_err(|_| corrupt("draft body"))?,
                    dossier_id: g("dossier_id")?.map(|a| uuid_of(&a).map(DossierId)).transpose()?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                    updated_at_us: r.try_get("updated_at_us").map_err(db_err)?,
                })
            }

            fn file_from(r: &$row) -> AppResult<FileRecord> {
                let g = |c: &str| r.try_get::<Option<String>, _>(c).map_err(db_err);
                let part: Option<i64> = r.try_get("part").map_err(db_err)?;
                Ok(FileRecord {
                    id: FileId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    dossier_id: g("dossier_id")?.map(|a| uuid_of(&a).map(DossierId)).transpose()?,
                    draft_id: g("draft_id")?.map(|a| uuid_of(&a).map(DraftId)).transpose()?,
                    kind: FileKind::parse(&r.try_get::<String, _>("kind").map_err(db_err)?).ok_or_else(|| corrupt("file kind"))?,
                    part: part.map(|p| u32::try_from(p).map_err(|_| corrupt("file part"))).transpose()?,
                    name: r.try_get("name").map_err(db_err)?,
                    file_type: FileType::parse(&r.try_get::<String, _>("file_type").map_err(db_err)?)
                        .ok_or_else(|| corrupt("file type"))?,
                    size: r.try_get("size").map_err(db_err)?,
                    sha256: r.try_get("sha256").map_err(db_err)?,
                    uploaded_by: g("uploaded_by")?.map(|a| uuid_of(&a).map(UserId)).transpose()?,
                    uploaded_at_us: r.try_get("uploaded_at_us").map_err(db_err)?,
                })
            }

            /// After the audit entry: the agency's counter for the day, drawn atomically in this
            /// transaction (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, both databases), then the
            /// builder, the dossier, its events, its files and its side effects.
            async fn fill_dossier(
                tx: &mut sqlx::Transaction<'_, $db>,
                agency_id: AgencyId,
                day: chrono::NaiveDate,
                files: &NewDossierFiles,
                build: DossierBuilder<'static>,
            ) -> AppResult<DossierRecord> {
                let next: i64 = sqlx::query_scalar(
                    "INSERT INTO dossier_code_counters (agency_id, day, next) VALUES ($1, $2, 1) \
                     ON CONFLICT (agency_id, day) DO UPDATE SET next = dossier_code_counters.next + 1 RETURNING next",
                )
                .bind(agency_id.to_string())
                .bind(day.format("%Y-%m-%d").to_string())
                .fetch_one(&mut **tx)
                .await
                .map_err(db_err)?;
                let sequence = u32::try_from(next)
                    .map_err(|_| AppError::new(ErrorCode::DossierCodeSequenceOutOfRange))?;
                let (rec, events, outbox) = build(sequence)?;
                Self::insert_dossier(tx, &rec).await?;
                Self::insert_events(tx, rec.id, 0, &events).await?;
                Self::attach_files(tx, rec.id, files).await?;
                Self::enqueue(tx, &outbox).await?;
                Ok(rec)
            }

            /// The writer task of the group commit: one batch after another until the store
            /// (and with it the queue's sender) is dropped.
            async fn group_writer(pool: sqlx::Pool<$db>, shared: Arc<Shared>, mut rx: tokio::sync::mpsc::UnboundedReceiver<Job>) {
                while let Some((batch, _gate)) = shared.next_batch(&mut rx).await {
                    let mut rest: VecDeque<Job> = batch.into();
                    let mut done = Vec::with_capacity(rest.len());
                    match Self::group_batch(&pool, &shared, &mut rest, &mut done).await {
                        Ok(()) => {
                            for (reply, rec) in done {
                                shared.answer(reply, Ok(rec));
                            }
                        }
                        Err(e) => {
                            // Nothing of the batch is stored: every caller left gets the error.
                            tracing::error!(error = %e, "group commit of dossiers failed");
                            for (reply, _) in done {
                                shared.answer(reply, Err(e.clone()));
                            }
                            for job in rest {
                                shared.answer(job.reply, Err(e.clone()));
                            }
                        }
                    }
                }
            }

            /// One transaction for the jobs of `rest`, in order: the head read once, each job in
            /// a savepoint (when there are several) so that a failing one is rolled back alone
            /// and answered at once; the head written once; the commit. Succeeded jobs go to
            /// `done`, answered by the caller after the commit. On `Err` nothing is stored.
            async fn group_batch(
                pool: &sqlx::Pool<$db>,
                shared: &Shared,
                rest: &mut VecDeque<Job>,
                done: &mut Vec<(oneshot::Sender<AppResult<DossierRecord>>, DossierRecord)>,
            ) -> AppResult<()> {
                let savepoints = rest.len() > 1;
                let mut tx = pool.begin().await.map_err(db_err)?;
                // Takes the write lock (the head row on PostgreSQL, the database on SQLite).
                let head = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let mut seq: i64 = head.try_get("seq").map_err(db_err)?;
                let mut hash: String = head.try_get("hash").map_err(db_err)?;
                while !rest.is_empty() {
                    if savepoints {
                        sqlx::query("SAVEPOINT dossier_create").execute(&mut *tx).await.map_err(db_err)?;
                    }
                    let Some(job) = rest.pop_front() else { break };
                    let Job { agency_id, day, audit, files, build, reply } = job;
                    let made = async {
                        let h = Self::insert_audit(&mut tx, seq + 1, hash.clone(), &audit).await?;
                        let rec = Self::fill_dossier(&mut tx, agency_id, day, &files, build).await?;
                        AppResult::Ok((rec, h))
                    }
                    .await;
                    match made {
                        Ok((rec, h)) => {
                            if savepoints {
                                sqlx::query("RELEASE SAVEPOINT dossier_create").execute(&mut *tx).await.map_err(db_err)?;
                            }
                            seq += 1;
                            hash = h;
                            done.push((reply, rec));
                        }
                        Err(e) => {
                            shared.answer(reply, Err(e));
                            if !savepoints {
                                // Alone in its transaction, which is dropped: rolled back.
                                return Ok(());
                            }
                            sqlx::query("ROLLBACK TO SAVEPOINT dossier_create").execute(&mut *tx).await.map_err(db_err)?;
                            sqlx::query("RELEASE SAVEPOINT dossier_create").execute(&mut *tx).await.map_err(db_err)?;
                        }
                    }
                }
                if done.is_empty() {
                    return Ok(());
                }
                sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                    .bind(seq)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn insert_file(tx: &mut sqlx::Transaction<'_, $db>, f: &FileRecord) -> AppResult<()> {
                sqlx::query(
                    "INSERT INTO files (id, dossier_id, draft_id, kind, part, name, file_type, size, sha256, uploaded_by, uploaded_at_us) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(f.id.to_string())
                .bind(f.dossier_id.map(|d| d.to_string()))
                .bind(f.draft_id.map(|d| d.to_string()))
                .bind(f.kind.as_str())
                .bind(f.part.map(i64::from))
                .bind(&f.name)
                .bind(f.file_type.as_str())
                .bind(f.size)
                .bind(&f.sha256)
                .bind(f.uploaded_by.map(|u| u.to_string()))
                .bind(f.uploaded_at_us)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            /// The files a new dossier takes: new records, and the draft's (marked submitted).
            async fn attach_files(tx: &mut sqlx::Transaction<'_, $db>, dossier: DossierId, files: &NewDossierFiles) -> AppResult<()> {
                if let Some(draft) = files.from_draft {
                    let n = sqlx::query("UPDATE drafts SET dossier_id = $1 WHERE id = $2 AND dossier_id IS NULL")
                        .bind(dossier.to_string())
                        .bind(draft.to_string())
                        .execute(&mut **tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    if n == 0 {
                        return Err(AppError::new(ErrorCode::DraftAlreadySubmitted));
                    }
                    sqlx::query("UPDATE files SET dossier_id = $1, draft_id = NULL WHERE draft_id = $2")
                        .bind(dossier.to_string())
                        .bind(draft.to_string())
                        .execute(&mut **tx)
                        .await
                        .map_err(db_err)?;
                }
                for f in &files.new {
                    Self::insert_file(tx, f).await?;
                }
                Ok(())
            }

            async fn insert_dossier(tx: &mut sqlx::Transaction<'_, $db>, d: &DossierRecord) -> AppResult<()> {
                let c = dossier_cols(d)?;
                sqlx::query(&format!(
                    "INSERT INTO dossiers ({DOSSIER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                     $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)"
                ))
                .bind(d.id.to_string())
                .bind(&d.code)
                .bind(d.agency_id.to_string())
                .bind(path_string(&d.agency_path))
                .bind(d.procedure_id.to_string())
                .bind(c.procedure_version)
                .bind(&c.national_code)
                .bind(&c.field)
                .bind(&c.procedure_terms)
                .bind(d.applicant.user_id.map(|u| u.to_string()))
                .bind(&d.applicant.name)
                .bind(&c.name_folded)
                .bind(&d.applicant.id_number)
                .bind(&d.applicant.phone)
                .bind(&d.applicant.email)
                .bind(&d.applicant.address)
                .bind(&c.form_values)
                .bind(&c.return_method)
                .bind(c.channel)
                .bind(c.state)
                .bind(c.national_status)
                .bind(c.clock_paused)
                .bind(c.submitted_at_us)
                .bind(c.received_at_us)
                .bind(d.due_at_us)
                .bind(d.appointment_at_us)
                .bind(c.finished_at_us)
                .bind(d.closed_at_us)
                .bind(&c.timeliness)
                .bind(&c.state_json)
                .bind(d.version)
                .bind(d.created_at_us)
                .bind(d.updated_at_us)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            /// Appends events numbered from `after + 1`.
            async fn insert_events(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: DossierId,
                after: i64,
                events: &[DossierEvent],
            ) -> AppResult<()> {
                for (k, e) in events.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO dossier_events (dossier_id, seq, at_us, actor, kind, state, national_status, payload) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id.to_string())
                    .bind(after + k as i64 + 1)
                    .bind(e.at.timestamp_micros())
                    .bind(e.actor.map(|u| format!("user:{u}")))
                    .bind(event_kind(e)?)
                    .bind(e.state.as_str())
                    .bind(i64::from(e.status.code()))
                    .bind(json(e)?)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                }
                Ok(())
            }
        }
    };
}

// SQLite serialises writers, so its claim needs no row lock; PostgreSQL skips rows another
// dispatcher has locked.
sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    sqlx::sqlite::SqliteRow,
    "sqlite",
    ""
);
sql_store!(
    PgStore,
    sqlx::Postgres,
    sqlx::postgres::PgRow,
    "postgres",
    "FOR UPDATE SKIP LOCKED"
);

// ---- Procedures and dossiers (issue 4): helpers shared by both backends. ----

/// A value bound to a dynamically built query.
enum Bind {
    Text(String),
    Int(i64),
}

/// A query under construction: `p` binds a value and returns its `$N`.
#[derive(Default)]
struct Sql {
    binds: Vec<Bind>,
}

impl Sql {
    fn p(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }
    fn text(&mut self, s: impl Into<String>) -> String {
        self.p(Bind::Text(s.into()))
    }
    fn int(&mut self, i: i64) -> String {
        self.p(Bind::Int(i))
    }
}

/// `s` with the LIKE wildcards escaped (for `LIKE … ESCAPE '\'`).
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const PROC_COLS: &str = "id, national_code, local_code, version, is_current, name, name_folded, field, field_folded, level, service_level, legal_time, effective_from, effective_to, body, notes, created_at_us, updated_at_us";

const DOSSIER_COLS: &str = "id, code, agency_id, agency_path, procedure_id, procedure_version, national_code, field, procedure_terms, applicant_user_id, applicant_name, applicant_name_folded, applicant_id_number, applicant_phone, applicant_email, applicant_address, form_values, return_method, channel, state, national_status, clock_paused, submitted_at_us, received_at_us, due_at_us, appointment_at_us, finished_at_us, closed_at_us, timeliness, state_json, version, created_at_us, updated_at_us";

fn json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::internal(e.to_string()))
}

/// A serde enum's machine name (`"online"`), as stored in TEXT columns.
fn enum_name<T: serde::Serialize>(v: &T) -> AppResult<String> {
    match serde_json::to_value(v).map_err(|e| AppError::internal(e.to_string()))? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(AppError::internal(format!("not a unit enum: {other}"))),
    }
}

/// The queried columns of a dossier, derived from the record.
struct DossierCols {
    procedure_version: i64,
    national_code: String,
    field: String,
    procedure_terms: String,
    name_folded: String,
    form_values: String,
    return_method: Option<String>,
    channel: i64,
    state: &'static str,
    national_status: i64,
    clock_paused: bool,
    submitted_at_us: i64,
    received_at_us: Option<i64>,
    finished_at_us: Option<i64>,
    timeliness: Option<String>,
    state_json: String,
}

fn dossier_cols(d: &DossierRecord) -> AppResult<DossierCols> {
    let dossier = &d.dossier;
    let terms = dossier.terms();
    let us = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp_micros());
    Ok(DossierCols {
        procedure_version: i64::from(terms.version),
        national_code: terms.national_code.to_string(),
        field: terms.field.name.clone(),
        procedure_terms: json(terms)?,
        name_folded: fold(&d.applicant.name),
        form_values: json(&d.form_values)?,
        return_method: d.return_method.as_ref().map(enum_name).transpose()?,
        channel: dossier.channel().map_or(0, |c| i64::from(c.code())),
        state: dossier.state().name().as_str(),
        national_status: i64::from(dossier.national_status().code()),
        clock_paused: dossier.is_clock_paused(),
        submitted_at_us: us(dossier.submitted_at()).unwrap_or(d.created_at_us),
        received_at_us: us(dossier.received_at()),
        finished_at_us: us(dossier.finished_at()),
        timeliness: dossier.timeliness().as_ref().map(enum_name).transpose()?,
        state_json: json(dossier)?,
    })
}

/// The event's type (`received`, `supplement_requested`…).
fn event_kind(e: &DossierEvent) -> AppResult<String> {
    serde_json::to_value(&e.kind)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .ok_or_else(|| AppError::internal("event without a type"))
}

/// The WHERE clause of a dossier filter (with `d.` columns).
fn dossier_where(f: &DossierFilter, q: &mut Sql) -> String {
    let mut and: Vec<String> = Vec::new();
    let in_states = |states: &[StateName], q: &mut Sql| {
        let ps: Vec<String> = states.iter().map(|s| q.text(s.as_str())).collect();
        format!("d.state IN ({})", ps.join(", "))
    };
    if !f.scopes.is_empty() {
        let mut or = Vec::new();
        for s in &f.scopes {
            let mut c = Vec::new();
            if !s.path_prefix.is_empty() {
                c.push(format!(
                    "d.agency_path LIKE {} ESCAPE '\\'",
                    q.text(format!("{}%", like_escape(&s.path_prefix)))
                ));
            }
            if !s.states.is_empty() {
                c.push(in_states(&s.states, q));
            }
            or.push(if c.is_empty() {
                "1 = 1".to_string()
            } else {
                format!("({})", c.join(" AND "))
            });
        }
        and.push(format!("({})", or.join(" OR ")));
    }
    if let Some(u) = f.applicant {
        and.push(format!("d.applicant_user_id = {}", q.text(u.to_string())));
    }
    if f.scopes.is_empty() && f.applicant.is_none() {
        and.push("1 = 0".into());
    }
    if !f.states.is_empty() {
        and.push(in_states(&f.states, q));
    }
    if let Some(p) = f.procedure_id {
        and.push(format!("d.procedure_id = {}", q.text(p.to_string())));
    }
    match f.overdue {
        Some(true) => and.push(format!(
            "(d.closed_at_us IS NULL AND d.due_at_us IS NOT NULL AND d.due_at_us < {})",
            q.int(f.now_us)
        )),
        Some(false) => and.push(format!(
            "(d.closed_at_us IS NOT NULL OR d.due_at_us IS NULL OR d.due_at_us >= {})",
            q.int(f.now_us)
        )),
        None => {}
    }
    if let Some(text) = &f.query {
        let p = q.text(format!("%{}%", like_escape(text)));
        and.push(format!(
            "(LOWER(d.code) LIKE {p} ESCAPE '\\' OR d.applicant_name_folded LIKE {p} ESCAPE '\\' \
             OR d.applicant_id_number LIKE {p} ESCAPE '\\' OR d.applicant_phone LIKE {p} ESCAPE '\\')"
        ));
    }
    if and.is_empty() {
        "1 = 1".into()
    } else {
        and.join(" AND ")
    }
}

/// The WHERE clause of a catalogue search (with `p.` columns).
fn procedure_where(f: &ProcedureFilter, q: &mut Sql) -> String {
    let mut and = vec!["p.is_current = TRUE".to_string()];
    if let Some(text) = &f.query {
        let words: Vec<String> = text
            .split_whitespace()
            .map(|w| {
                format!(
                    "p.name_folded LIKE {} ESCAPE '\\'",
                    q.text(format!("%{}%", like_escape(w)))
                )
            })
            .collect();
        let code = q.text(text.trim().to_string());
        and.push(format!(
            "(p.national_code = {code} OR LOWER(COALESCE(p.local_code, '')) = {code} OR ({}))",
            if words.is_empty() {
                "1 = 0".to_string()
            } else {
                words.join(" AND ")
            }
        ));
    }
    if let Some(field) = &f.field {
        and.push(format!("p.field_folded = {}", q.text(field.clone())));
    }
    if let Some(level) = f.level {
        and.push(format!("p.level = {}", q.text(level.as_str())));
    }
    if let Some(a) = f.agency {
        and.push(format!(
            "EXISTS (SELECT 1 FROM procedure_agencies pa WHERE pa.procedure_id = p.id AND pa.agency_id = {})",
            q.text(a.to_string())
        ));
    }
    and.join(" AND ")
}
