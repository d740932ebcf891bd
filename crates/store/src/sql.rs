//! The SQL behind the `Store` port, written once for both backends. Parameters use `$N`,
//! which PostgreSQL and SQLite both accept; every column type is TEXT, BIGINT or BOOLEAN.

use crate::db_err;
use async_trait::async_trait;
use cqdt_app::store::{
    ApiKeyRow, AuditDraft, GrantRow, NewAgency, SessionRow, User, UserFilter, UserKind,
};
use cqdt_app::{AppError, AppResult, Store};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyFields, AgencyIdentifier, AgencyKind};
use cqdt_domain::audit::{AuditEntry, entry_hash};
use cqdt_domain::ids::{AgencyId, ApiKeyId, GrantId, UserId};
use cqdt_domain::policy::Role;
use cqdt_domain::text::fold;
use sqlx::Row;

pub struct SqliteStore {
    pub pool: sqlx::SqlitePool,
}

impl SqliteStore {
    pub fn new(pool: sqlx::SqlitePool) -> Self {
        Self { pool }
    }
}

pub struct PgStore {
    pub pool: sqlx::PgPool,
}

impl PgStore {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }
}

fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("stored value is not valid: {what}"))
}

fn uuid_of(s: &str) -> AppResult<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|_| corrupt("uuid"))
}

fn path_from_string(s: &str) -> AppResult<Vec<AgencyId>> {
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
const KEY_COLS: &str =
    "id, name, prefix, secret_hash, scopes, agency_id, created_by, created_at_us, revoked_at_us";

macro_rules! sql_store {
    ($store:ident, $db:ty, $row:ty, $backend:literal) => {
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
            async fn append(tx: &mut sqlx::Transaction<'_, $db>, d: &AuditDraft) -> AppResult<()> {
                let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db_err)?;
                let seq: i64 = head.try_get("seq").map_err(db_err)?;
                let prev: String = head.try_get("hash").map_err(db_err)?;
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
                sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                    .bind(&e.hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                Ok(())
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

            async fn user_insert(&self, u: &User, grants: &[GrantRow], audit: &AuditDraft) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
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

            async fn audit_head(&self) -> AppResult<(i64, String)> {
                let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok((r.try_get("seq").map_err(db_err)?, r.try_get("hash").map_err(db_err)?))
            }
        }
    };
}

sql_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow, "sqlite");
sql_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow, "postgres");
