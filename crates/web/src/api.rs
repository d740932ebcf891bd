//! The JSON API under `/api/v1`. Every route here is listed in the OpenAPI document
//! ([`ApiDoc`]); a test compares the `.route(...)` calls in this file with the document.

mod documents;
mod dossiers;
mod edxml;
mod files;
pub(crate) mod signatures;
mod slips;

pub(crate) use documents::document_file_response;
pub(crate) use files::file_response;

use crate::auth::{Caller, SESSION_COOKIE, set_cookie};
use crate::extract::{Body, Json, Query};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use cqdt_app::accounts::{RegisterInput, StaffInput};
use cqdt_app::agencies::Format;
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::calendar::calendar_error;
use cqdt_app::store::{ApiKeyRow, GrantRow, User, UserFilter, UserKind};
use cqdt_app::{AppError, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyInput, AgencyKind};
use cqdt_domain::calendar::{
    DayEntry, DayInfo, DayKind, DeadlineAnswer, DeadlineOutcome, DeadlineQuery, DeadlineRequest,
    Extension, ExtensionTarget, LunarDate, NoticeStatus, Pause, PauseReason, Session, StartRule,
    StepAllotment, Timeliness, WorkDuration, WorkingHours, WorkingHoursSpec, WorkingTime,
    YearSource, YearView,
};
use cqdt_domain::ids::{AgencyId, ApiKeyId, GrantId, UserId};
use cqdt_domain::policy::{Role, Scope};
use cqdt_domain::text::{fold, nfc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

fn err(caller: &Caller) -> impl Fn(AppError) -> ApiError + '_ {
    move |e| ApiError {
        error: e,
        lang: caller.lang,
    }
}

fn us_to_rfc3339(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

// ---------- DTOs ----------

/// An agency as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyDto {
    pub id: String,
    pub parent_id: Option<String>,
    /// Official identifier, e.g. `000.00.00.H53`.
    pub identifier: String,
    pub parent_identifier: Option<String>,
    /// Depth in the tree, 1 for a root.
    pub level: u8,
    pub kind: String,
    pub name: String,
    pub short_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub gso_code: Option<String>,
    pub note: Option<String>,
}

impl From<&Agency> for AgencyDto {
    fn from(a: &Agency) -> Self {
        let f = &a.fields;
        AgencyDto {
            id: a.id.to_string(),
            parent_id: a.parent_id.map(|p| p.to_string()),
            identifier: f.identifier.to_string(),
            parent_identifier: f.parent_identifier.as_ref().map(|p| p.to_string()),
            level: a.level,
            kind: f.kind.as_str().to_string(),
            name: f.name.clone(),
            short_name: f.short_name.clone(),
            address: f.address.clone(),
            phone: f.phone.clone(),
            email: f.email.clone(),
            valid_from: f.valid_from.map(|d| d.to_string()),
            valid_to: f.valid_to.map(|d| d.to_string()),
            gso_code: f.gso_code.clone(),
            note: f.note.clone(),
        }
    }
}

/// The fields of an agency to create or change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyBody {
    /// Official identifier `NNN.NN.NN.Xnn`, e.g. `000.00.20.H53` (letters in either case;
    /// surrounding spaces are ignored).
    #[schema(
        pattern = r"^\s*[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Za-z][0-9]{2}\s*$",
        example = "000.00.20.H53"
    )]
    pub identifier: String,
    /// The parent's identifier; omit (or leave empty) for a root (platform administrators only).
    #[serde(default)]
    #[schema(
        pattern = r"^\s*([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Za-z][0-9]{2})?\s*$",
        example = "000.00.00.H53"
    )]
    pub parent_identifier: Option<String>,
    /// `province_committee`, `department`, `district_committee`, `commune_committee`, `unit`, `other`.
    #[schema(schema_with = agency_kind_schema)]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub short_name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub valid_from: Option<String>,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub gso_code: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl From<AgencyBody> for AgencyInput {
    fn from(b: AgencyBody) -> Self {
        AgencyInput {
            identifier: b.identifier,
            parent_identifier: b.parent_identifier,
            kind: b.kind,
            name: b.name,
            short_name: b.short_name,
            address: b.address,
            phone: b.phone,
            email: b.email,
            valid_from: b.valid_from,
            valid_to: b.valid_to,
            gso_code: b.gso_code,
            level: None,
            note: b.note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyPage {
    pub items: Vec<AgencyDto>,
    pub total: usize,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AgencyQuery {
    /// Text to look for in the name or identifier (without diacritics too).
    pub q: Option<String>,
    /// Only the subtree of this agency (id).
    #[param(format = Uuid)]
    pub under: Option<String>,
    /// Only this level.
    #[param(minimum = 0, maximum = 255)]
    pub level: Option<u8>,
    /// At most this many items (default 500; 1–5000).
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// `csv` or `json`
    #[param(value_type = FileFormat)]
    pub format: String,
}

/// The file formats of agency import and export.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Json,
}

/// A CSV file of agencies: a header line naming the columns (`identifier`, `kind` and `name` are
/// required; the others are those of [`AgencyBody`] and `level`), then one agency per line.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct AgencyCsv(pub String);

/// One agency of a JSON import: the fields of an agency and, optionally, the level the file
/// states (checked against the parent).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyImportRow {
    #[schema(
        pattern = r"^\s*[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Za-z][0-9]{2}\s*$",
        example = "000.00.20.H53"
    )]
    pub identifier: String,
    #[schema(
        pattern = r"^\s*([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Za-z][0-9]{2})?\s*$",
        example = "000.00.00.H53"
    )]
    pub parent_identifier: Option<String>,
    #[schema(schema_with = agency_kind_schema)]
    pub kind: String,
    pub name: String,
    pub short_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `YYYY-MM-DD`
    pub valid_from: Option<String>,
    /// `YYYY-MM-DD`
    pub valid_to: Option<String>,
    pub gso_code: Option<String>,
    /// Depth in the tree, 1 for a root.
    pub level: Option<u8>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub inserted: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: String,
    /// `citizen`, `business` or `staff`
    pub kind: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub full_name: String,
    pub id_number: Option<String>,
    pub agency_id: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id.to_string(),
            kind: u.kind.as_str().to_string(),
            email: u.email.clone(),
            phone: u.phone.clone(),
            full_name: u.full_name.clone(),
            id_number: u.id_number.clone(),
            agency_id: u.agency_id.map(|a| a.to_string()),
            disabled: u.disabled,
            created_at: us_to_rfc3339(u.created_at_us),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantDto {
    pub id: String,
    pub user_id: String,
    pub role: String,
    /// `null` = the whole platform.
    pub agency_id: Option<String>,
    pub created_at: String,
}

impl From<&GrantRow> for GrantDto {
    fn from(g: &GrantRow) -> Self {
        GrantDto {
            id: g.id.to_string(),
            user_id: g.user_id.to_string(),
            role: g.role.as_str().to_string(),
            agency_id: g.agency_id.map(|a| a.to_string()),
            created_at: us_to_rfc3339(g.created_at_us),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub full_name: String,
    /// E-mail or phone number.
    pub login: String,
    pub password: String,
    #[serde(default)]
    pub password_confirm: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    /// `citizen` (default) or `business`
    #[serde(default)]
    #[schema(schema_with = register_kind_schema)]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserDto,
    pub grants: Vec<GrantDto>,
    /// Send back as `X-CSRF-Token` on writes made with the session cookie.
    pub csrf_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutAll {
    pub ended: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffBody {
    pub full_name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// Identifier of the account's agency, e.g. `000.00.20.H53`.
    pub agency_identifier: String,
    pub password: String,
    /// Roles to grant on the agency.
    #[serde(default)]
    #[schema(schema_with = roles_schema)]
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Only accounts of this agency's subtree (id).
    #[param(format = Uuid)]
    pub agency: Option<String>,
    pub q: Option<String>,
    /// `citizen`, `business` or `staff`
    #[param(schema_with = user_kind_schema)]
    pub kind: Option<String>,
    /// At most this many accounts (default 100; 1–500).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    #[schema(schema_with = role_schema)]
    pub role: String,
    /// Agency id; omit for the whole platform.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub agency_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDto {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyDto {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub agency_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<&ApiKeyRow> for ApiKeyDto {
    fn from(k: &ApiKeyRow) -> Self {
        ApiKeyDto {
            id: k.id.to_string(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: k.scopes.clone(),
            agency_id: k.agency_id.map(|a| a.to_string()),
            created_by: k.created_by.clone(),
            created_at: us_to_rfc3339(k.created_at_us),
            revoked_at: k.revoked_at_us.map(us_to_rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyBody {
    pub name: String,
    /// e.g. `["agencies:read"]`
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<String>,
    /// Limit the key to this agency's subtree (id).
    #[serde(default)]
    #[schema(format = Uuid)]
    pub agency_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiKeyDto {
    pub key: ApiKeyDto,
    /// The secret token: shown once, never again.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub ip: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries after this sequence number.
    pub after: Option<i64>,
    /// At most this many entries (default 100; 1–500).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerifyDto {
    pub intact: bool,
    pub entries: Option<i64>,
    /// What broke, naming the first bad entry.
    pub problem: Option<String>,
}

// ---------- Schemas of closed sets of codes ----------
//
// The API takes these as plain strings and answers a stable 422 code for an unknown value; the
// document lists the values from the domain's own lists so it cannot drift from them.

fn string_enum(values: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .build()
}

fn role_schema() -> utoipa::openapi::Object {
    string_enum(Role::ALL.iter().map(|r| r.as_str()))
}

fn roles_schema() -> utoipa::openapi::Array {
    utoipa::openapi::Array::new(role_schema())
}

fn scopes_schema() -> utoipa::openapi::Array {
    utoipa::openapi::Array::new(string_enum(Scope::ALL.iter().map(|s| s.as_str())))
}

fn agency_kind_schema() -> utoipa::openapi::Object {
    string_enum(AgencyKind::ALL.iter().map(|k| k.as_str()))
}

fn user_kind_schema() -> utoipa::openapi::Object {
    string_enum(
        [UserKind::Citizen, UserKind::Business, UserKind::Staff]
            .into_iter()
            .map(UserKind::as_str),
    )
}

fn register_kind_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            serde_json::Value::from(UserKind::Citizen.as_str()),
            serde_json::Value::from(UserKind::Business.as_str()),
            serde_json::Value::Null,
        ]))
        .build()
}

fn parse_id<T>(
    s: &str,
    make: fn(uuid::Uuid) -> T,
    code: ErrorCode,
    lang: crate::i18n::Lang,
) -> ApiResult<T> {
    uuid::Uuid::parse_str(s.trim())
        .map(make)
        .map_err(|_| ApiError::new(code).lang(lang))
}

fn format_of(q: &FormatQuery, caller: &Caller) -> ApiResult<Format> {
    Format::parse(&q.format).ok_or_else(|| {
        ApiError::from(AppError::field(ErrorCode::InvalidChoice, "format")).lang(caller.lang)
    })
}

// ---------- Agencies ----------

/// List agencies in tree order.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "agencies", params(AgencyQuery),
    responses((status = 200, body = AgencyPage), (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked")))]
pub async fn agencies_list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<AgencyQuery>,
) -> ApiResult<axum::Json<AgencyPage>> {
    let all = s.app.agencies(&caller.ctx).await.map_err(err(&caller))?;
    let under = match &q.under {
        Some(u) => Some(parse_id(u, AgencyId, ErrorCode::InvalidQuery, caller.lang)?),
        None => None,
    };
    let needle = q.q.as_deref().map(fold).filter(|s| !s.is_empty());
    let filtered: Vec<&Agency> = all
        .iter()
        .filter(|a| under.is_none_or(|u| a.path.contains(&u)))
        .filter(|a| q.level.is_none_or(|l| a.level == l))
        .filter(|a| {
            needle.as_ref().is_none_or(|n| {
                fold(&a.fields.name).contains(n.as_str())
                    || a.fields
                        .identifier
                        .as_str()
                        .to_lowercase()
                        .contains(n.as_str())
            })
        })
        .collect();
    let total = filtered.len();
    let limit = q.limit.map_or(500, |l| l as usize).clamp(1, 5000);
    let items = filtered
        .into_iter()
        .skip(q.offset.map_or(0, |o| o as usize))
        .take(limit)
        .map(AgencyDto::from)
        .collect();
    Ok(axum::Json(AgencyPage { items, total }))
}

/// Create an agency under a parent (or a root, for platform administrators).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "agencies", request_body = AgencyBody,
    responses((status = 201, body = AgencyDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn agencies_create(
    State(s): State<AppState>,
    caller: Caller,
    Json(body): Json<AgencyBody>,
) -> ApiResult<(StatusCode, axum::Json<AgencyDto>)> {
    let a = s
        .app
        .agency_create(&caller.ctx, &body.into())
        .await
        .map_err(err(&caller))?;
    Ok((StatusCode::CREATED, axum::Json(AgencyDto::from(&a))))
}

/// One agency.
#[utoipa::path(get, path = "/api/v1/agencies/{id}", tag = "agencies", params(("id" = String, Path, format = Uuid, description = "Agency id")),
    responses((status = 200, body = AgencyDto), (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"), (status = 404, body = Problem)))]
pub async fn agencies_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<AgencyDto>> {
    let id = parse_id(&id, AgencyId, ErrorCode::AgencyNotFound, caller.lang)?;
    let a = s.app.agency(&caller.ctx, id).await.map_err(err(&caller))?;
    Ok(axum::Json(AgencyDto::from(&a)))
}

/// Change an agency's fields (its parent stays).
#[utoipa::path(put, path = "/api/v1/agencies/{id}", tag = "agencies", request_body = AgencyBody, params(("id" = String, Path, format = Uuid, description = "Agency id")),
    responses((status = 200, body = AgencyDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn agencies_update(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<AgencyBody>,
) -> ApiResult<axum::Json<AgencyDto>> {
    let id = parse_id(&id, AgencyId, ErrorCode::AgencyNotFound, caller.lang)?;
    let a = s
        .app
        .agency_update(&caller.ctx, id, &body.into())
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(AgencyDto::from(&a)))
}

/// Delete an agency without sub-units, accounts or grants.
#[utoipa::path(delete, path = "/api/v1/agencies/{id}", tag = "agencies", params(("id" = String, Path, format = Uuid, description = "Agency id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn agencies_delete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id, AgencyId, ErrorCode::AgencyNotFound, caller.lang)?;
    s.app
        .agency_delete(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Import agencies from CSV or JSON: all rows or none; bad rows are listed by line.
#[utoipa::path(post, path = "/api/v1/agencies/import", tag = "agencies", params(FormatQuery),
    request_body(description = "CSV with a header line (`format=csv`), or a JSON array of agencies (`format=json`); the body's content type is not checked",
        content((AgencyCsv = "text/csv"), (Vec<AgencyImportRow> = "application/json"))),
    responses((status = 200, body = ImportResult), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn agencies_import(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<FormatQuery>,
    Body(body): Body,
) -> ApiResult<axum::Json<ImportResult>> {
    let format = format_of(&q, &caller)?;
    let r = s
        .app
        .agencies_import(&caller.ctx, format, &body)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(ImportResult {
        inserted: r.inserted,
    }))
}

/// Export the agency tree as CSV or JSON.
#[utoipa::path(get, path = "/api/v1/agencies/export", tag = "agencies", params(FormatQuery),
    responses((status = 200, description = "The file: CSV with a header line, or a JSON array of agencies",
        content(("text/csv"), ("application/json")),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"co-quan.csv\"` (or `.json`)"))),
        (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"), (status = 422, body = Problem)))]
pub async fn agencies_export(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<FormatQuery>,
) -> ApiResult<Response> {
    let format = format_of(&q, &caller)?;
    let bytes = s
        .app
        .agencies_export(&caller.ctx, format)
        .await
        .map_err(err(&caller))?;
    let (ct, name) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "co-quan.csv"),
        Format::Json => ("application/json", "co-quan.json"),
    };
    let mut res = bytes.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

// ---------- Accounts ----------

/// Register a citizen or business account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = UserDto), (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn auth_register(
    State(s): State<AppState>,
    caller: Caller,
    Json(b): Json<RegisterBody>,
) -> ApiResult<(StatusCode, axum::Json<UserDto>)> {
    let input = RegisterInput {
        full_name: b.full_name,
        login: b.login,
        password: b.password,
        password_confirm: b.password_confirm,
        id_number: b.id_number,
        kind: b.kind,
    };
    let u = s
        .app
        .register(&caller.ctx, &input)
        .await
        .map_err(err(&caller))?;
    Ok((StatusCode::CREATED, axum::Json(UserDto::from(&u))))
}

/// Log in; sets the session cookie and returns the CSRF token for later writes.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem, description = "Too many failed logins for this account or from this address")))]
pub async fn auth_login(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(b): Json<LoginBody>,
) -> ApiResult<Response> {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let out = s
        .app
        .login(&b.login, &b.password, caller.ip.as_deref(), ua)
        .await
        .map_err(err(&caller))?;
    let me = Me {
        user: UserDto::from(&out.session.user),
        grants: out.session.grants.iter().map(GrantDto::from).collect(),
        csrf_token: out.session.csrf_token.clone(),
    };
    let mut res = axum::Json(me).into_response();
    let c = set_cookie(SESSION_COOKIE, &out.token, None, s.web.secure_cookies, true);
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// End this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn auth_logout(State(s): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let session = caller.require_login()?;
    s.app
        .logout(session, caller.ip.as_deref())
        .await
        .map_err(err(&caller))?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        SESSION_COOKIE,
        "",
        Some(0),
        s.web.secure_cookies,
        true,
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// End every session of the signed-in account.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", responses((status = 200, body = LogoutAll), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn auth_logout_all(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<LogoutAll>> {
    let session = caller.require_login()?;
    let n = s
        .app
        .logout_all(session, caller.ip.as_deref())
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(LogoutAll { ended: n }))
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(caller: Caller) -> ApiResult<axum::Json<Me>> {
    let s = caller.require_login()?;
    Ok(axum::Json(Me {
        user: UserDto::from(&s.user),
        grants: s.grants.iter().map(GrantDto::from).collect(),
        csrf_token: s.csrf_token.clone(),
    }))
}

/// Accounts the caller may see.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = [UserDto]), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No agency with the `agency` id")))]
pub async fn users_list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<UserQuery>,
) -> ApiResult<axum::Json<Vec<UserDto>>> {
    let agency = match &q.agency {
        Some(a) => Some(parse_id(a, AgencyId, ErrorCode::InvalidQuery, caller.lang)?),
        None => None,
    };
    let kind = match &q.kind {
        Some(k) => Some(
            UserKind::parse(k)
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidQuery).lang(caller.lang))?,
        ),
        None => None,
    };
    let filter = UserFilter {
        agency_subtree: agency,
        kind,
        query: q.q.clone(),
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let users = s
        .app
        .users(&caller.ctx, filter)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(users.iter().map(UserDto::from).collect()))
}

/// Create a staff account with roles on its agency.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = StaffBody,
    responses((status = 201, body = UserDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn users_create(
    State(s): State<AppState>,
    caller: Caller,
    Json(b): Json<StaffBody>,
) -> ApiResult<(StatusCode, axum::Json<UserDto>)> {
    let input = StaffInput {
        full_name: b.full_name,
        email: b.email,
        phone: b.phone,
        agency_identifier: b.agency_identifier,
        password: b.password,
        roles: b.roles,
    };
    let u = s
        .app
        .create_staff(&caller.ctx, &input)
        .await
        .map_err(err(&caller))?;
    Ok((StatusCode::CREATED, axum::Json(UserDto::from(&u))))
}

/// One account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, format = Uuid, description = "User id")),
    responses((status = 200, body = UserDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn users_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<UserDto>> {
    let id = parse_id(&id, UserId, ErrorCode::UserNotFound, caller.lang)?;
    let u = s.app.user(&caller.ctx, id).await.map_err(err(&caller))?;
    Ok(axum::Json(UserDto::from(&u)))
}

/// The roles granted to an account.
#[utoipa::path(get, path = "/api/v1/users/{id}/grants", tag = "users", params(("id" = String, Path, format = Uuid, description = "User id")),
    responses((status = 200, body = [GrantDto]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn grants_list(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Vec<GrantDto>>> {
    let id = parse_id(&id, UserId, ErrorCode::UserNotFound, caller.lang)?;
    s.app.user(&caller.ctx, id).await.map_err(err(&caller))?;
    let g = s.app.grants(id).await.map_err(err(&caller))?;
    Ok(axum::Json(g.iter().map(GrantDto::from).collect()))
}

/// Grant a role on an agency subtree.
#[utoipa::path(post, path = "/api/v1/users/{id}/grants", tag = "users", request_body = GrantBody, params(("id" = String, Path, format = Uuid, description = "User id")),
    responses((status = 201, body = GrantDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn grants_create(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<GrantBody>,
) -> ApiResult<(StatusCode, axum::Json<GrantDto>)> {
    let id = parse_id(&id, UserId, ErrorCode::UserNotFound, caller.lang)?;
    let role = Role::parse(&b.role).ok_or_else(|| {
        ApiError::from(AppError::field(ErrorCode::RoleInvalid, "role")).lang(caller.lang)
    })?;
    let agency = match &b.agency_id {
        Some(a) => Some(parse_id(
            a,
            AgencyId,
            ErrorCode::AgencyNotFound,
            caller.lang,
        )?),
        None => None,
    };
    let g = s
        .app
        .grant_role(&caller.ctx, id, role, agency)
        .await
        .map_err(err(&caller))?;
    Ok((StatusCode::CREATED, axum::Json(GrantDto::from(&g))))
}

/// Revoke a grant.
#[utoipa::path(delete, path = "/api/v1/users/{id}/grants/{grant_id}", tag = "users",
    params(("id" = String, Path, format = Uuid, description = "User id"), ("grant_id" = String, Path, format = Uuid, description = "Grant id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn grants_delete(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, grant)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id, UserId, ErrorCode::UserNotFound, caller.lang)?;
    let grant = parse_id(&grant, GrantId, ErrorCode::GrantNotFound, caller.lang)?;
    s.app
        .revoke_grant(&caller.ctx, id, grant)
        .await
        .map_err(err(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The roles the platform knows.
#[utoipa::path(get, path = "/api/v1/roles", tag = "users", responses((status = 200, body = [RoleDto])))]
pub async fn roles() -> axum::Json<Vec<RoleDto>> {
    let vi = crate::i18n::Tr::new(crate::i18n::Lang::Vi);
    let en = crate::i18n::Tr::new(crate::i18n::Lang::En);
    axum::Json(
        Role::ALL
            .iter()
            .map(|r| {
                let key = format!("role.{}", r.as_str());
                RoleDto {
                    code: r.as_str().into(),
                    name_vi: vi.s(&key).into(),
                    name_en: en.s(&key).into(),
                }
            })
            .collect(),
    )
}

// ---------- API keys ----------

/// API keys (without their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", responses((status = 200, body = [ApiKeyDto]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn keys_list(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<ApiKeyDto>>> {
    let keys = s.app.api_keys(&caller.ctx).await.map_err(err(&caller))?;
    Ok(axum::Json(keys.iter().map(ApiKeyDto::from).collect()))
}

/// Create a key; the token is in this answer only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = ApiKeyBody,
    responses((status = 201, body = NewApiKeyDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No agency with the `agency_id`"), (status = 422, body = Problem)))]
pub async fn keys_create(
    State(s): State<AppState>,
    caller: Caller,
    Json(b): Json<ApiKeyBody>,
) -> ApiResult<(StatusCode, axum::Json<NewApiKeyDto>)> {
    let agency = match &b.agency_id {
        Some(a) => Some(parse_id(
            a,
            AgencyId,
            ErrorCode::AgencyNotFound,
            caller.lang,
        )?),
        None => None,
    };
    let k = s
        .app
        .api_key_create(&caller.ctx, &b.name, &b.scopes, agency)
        .await
        .map_err(err(&caller))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewApiKeyDto {
            key: ApiKeyDto::from(&k.row),
            token: k.token,
        }),
    ))
}

/// Revoke a key.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = String, Path, format = Uuid, description = "Key id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn keys_revoke(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id, ApiKeyId, ErrorCode::ApiKeyNotFound, caller.lang)?;
    s.app
        .api_key_revoke(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------- Audit ----------

/// Audit entries in order.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = [AuditDto]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn audit_list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<axum::Json<Vec<AuditDto>>> {
    let entries = s
        .app
        .audit_list(&caller.ctx, q.after.unwrap_or(0), q.limit.unwrap_or(100))
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(
        entries
            .into_iter()
            .map(|e| AuditDto {
                seq: e.seq,
                at: us_to_rfc3339(e.at_us),
                actor: e.actor,
                ip: e.ip,
                action: e.action,
                target_type: e.target_type,
                target_id: e.target_id,
                before_digest: e.before_digest,
                after_digest: e.after_digest,
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect(),
    ))
}

/// Verify the audit chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", responses((status = 200, body = AuditVerifyDto), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn audit_verify(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<AuditVerifyDto>> {
    s.app
        .authorize(
            &caller.ctx,
            cqdt_domain::policy::Action::ViewAudit,
            cqdt_domain::policy::Target::Platform,
        )
        .map_err(err(&caller))?;
    Ok(axum::Json(
        match s.app.audit_verify().await.map_err(err(&caller))? {
            VerifyOutcome::Intact { entries } => AuditVerifyDto {
                intact: true,
                entries: Some(entries),
                problem: None,
            },
            VerifyOutcome::Broken(b) => AuditVerifyDto {
                intact: false,
                entries: None,
                problem: Some(b.to_string()),
            },
        },
    ))
}

// ---------- Working calendar ----------
//
// The calendar's domain types carry no schema (the domain crate knows nothing of HTTP), so the
// API mirrors them in DTOs with the same serde shape; `tests/calendar_api.rs` checks that each
// DTO serialises exactly like the domain value it comes from.

/// A date in the Vietnamese lunar calendar (UTC+7).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct LunarDateDto {
    /// Lunar year, numbered as the Gregorian year in which it begins.
    pub year: i32,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–30.
    pub day: u8,
    /// A day of a leap month (tháng nhuận).
    pub leap: bool,
}

impl From<LunarDate> for LunarDateDto {
    fn from(l: LunarDate) -> Self {
        LunarDateDto {
            year: l.year,
            month: l.month,
            day: l.day,
            leap: l.leap,
        }
    }
}

/// How offices treat a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayKindDto {
    /// An ordinary working day (Monday–Friday).
    Working,
    /// Saturday or Sunday.
    WeeklyRest,
    /// A public holiday, possibly on a weekend.
    Holiday,
    /// A compensatory day off for a holiday on a weekend (nghỉ bù).
    Compensatory,
    /// A working day given off in exchange for a weekend day worked (nghỉ hoán đổi).
    SwappedOff,
    /// A weekend day worked in exchange for a day off (làm bù).
    SwappedWorking,
}

impl From<DayKind> for DayKindDto {
    fn from(k: DayKind) -> Self {
        match k {
            DayKind::Working => DayKindDto::Working,
            DayKind::WeeklyRest => DayKindDto::WeeklyRest,
            DayKind::Holiday => DayKindDto::Holiday,
            DayKind::Compensatory => DayKindDto::Compensatory,
            DayKind::SwappedOff => DayKindDto::SwappedOff,
            DayKind::SwappedWorking => DayKindDto::SwappedWorking,
        }
    }
}

/// A day that differs from the plain Monday–Friday week, with its reason.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayEntryDto {
    pub date: NaiveDate,
    pub kind: DayKindDto,
    /// Vietnamese name of the holiday or reason, e.g. "Tết Nguyên đán".
    pub name: String,
}

impl From<&DayEntry> for DayEntryDto {
    fn from(e: &DayEntry) -> Self {
        DayEntryDto {
            date: e.date,
            kind: e.kind.into(),
            name: e.name.clone(),
        }
    }
}

/// One day of the year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayInfoDto {
    pub date: NaiveDate,
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    pub kind: DayKindDto,
    /// Whether offices work.
    pub working: bool,
    /// Holiday name or reason, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub lunar: LunarDateDto,
}

impl From<&DayInfo> for DayInfoDto {
    fn from(d: &DayInfo) -> Self {
        DayInfoDto {
            date: d.date,
            weekday: d.weekday,
            kind: d.kind.into(),
            working: d.working,
            name: d.name.clone(),
            lunar: d.lunar.into(),
        }
    }
}

/// How sure the content of a notice is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatusDto {
    /// Every day off and swap was checked against the notice.
    Confirmed,
    /// Rebuilt from the law and secondary sources.
    Reconstructed,
}

impl From<NoticeStatus> for NoticeStatusDto {
    fn from(s: NoticeStatus) -> Self {
        match s {
            NoticeStatus::Confirmed => NoticeStatusDto::Confirmed,
            NoticeStatus::Reconstructed => NoticeStatusDto::Reconstructed,
        }
    }
}

/// Which data decided the year.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum YearSourceDto {
    /// A yearly notice (bundled, or stored by an administrator) overrides the rules.
    Notice {
        legal_reference: String,
        /// Version of the notice.
        version: String,
        status: NoticeStatusDto,
    },
    /// No notice: the rules' pre-fill (holidays and compensatory days; no swaps).
    Rules {
        /// Version of the rule set.
        version: String,
    },
}

impl From<&YearSource> for YearSourceDto {
    fn from(s: &YearSource) -> Self {
        match s {
            YearSource::Notice {
                legal_reference,
                version,
                status,
            } => YearSourceDto::Notice {
                legal_reference: legal_reference.clone(),
                version: version.clone(),
                status: (*status).into(),
            },
            YearSource::Rules { version } => YearSourceDto::Rules {
                version: version.clone(),
            },
        }
    }
}

/// One working session.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionDto {
    /// Opening time, local.
    #[schema(value_type = String, example = "07:30:00")]
    pub start: NaiveTime,
    /// Closing time, local.
    #[schema(value_type = String, example = "11:30:00")]
    pub end: NaiveTime,
}

/// Office hours: a morning and an afternoon session, and the paper hand-over cut-off.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHoursDto {
    /// Default 07:30–11:30.
    pub morning: SessionDto,
    /// Default 13:30–17:00.
    pub afternoon: SessionDto,
    /// Paper received after this time is handed over at the start of the next working day
    /// (default 15:00).
    #[schema(value_type = String, example = "15:00:00")]
    pub paper_handover_cutoff: NaiveTime,
}

impl From<WorkingHours> for WorkingHoursDto {
    fn from(h: WorkingHours) -> Self {
        let spec = WorkingHoursSpec::from(h);
        WorkingHoursDto {
            morning: SessionDto {
                start: spec.morning.start,
                end: spec.morning.end,
            },
            afternoon: SessionDto {
                start: spec.afternoon.start,
                end: spec.afternoon.end,
            },
            paper_handover_cutoff: spec.paper_handover_cutoff,
        }
    }
}

impl WorkingHoursDto {
    /// Validated office hours.
    pub fn to_hours(self) -> Result<WorkingHours, AppError> {
        WorkingHours::new(WorkingHoursSpec {
            morning: Session {
                start: self.morning.start,
                end: self.morning.end,
            },
            afternoon: Session {
                start: self.afternoon.start,
                end: self.afternoon.end,
            },
            paper_handover_cutoff: self.paper_handover_cutoff,
        })
        .map_err(|e| AppError {
            field: Some("working_hours".into()),
            ..calendar_error(e)
        })
    }
}

/// A year of the working calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearViewDto {
    pub year: i32,
    /// Version of the whole calendar in effect; store it beside every due date computed.
    pub calendar_version: String,
    /// Whether a notice or the rules decided this year.
    pub source: YearSourceDto,
    /// Whether the notice of this year was stored by an administrator (and can be removed).
    pub stored_notice: bool,
    /// Office hours of every working day (the platform's defaults).
    pub working_hours: WorkingHoursDto,
    /// Tết Nguyên đán (1/1 lunar).
    pub tet: NaiveDate,
    /// Giỗ Tổ Hùng Vương (10/3 lunar).
    pub gio_to_hung_vuong: NaiveDate,
    /// Leap month of the lunar year starting this year, if any.
    pub leap_month: Option<u8>,
    /// Number of working days in the year.
    pub working_days: u32,
    /// Holidays (including those on weekends), compensatory and swapped days off.
    pub days_off: Vec<DayEntryDto>,
    /// Weekend days worked in exchange for a day off.
    pub working_weekend_days: Vec<DayEntryDto>,
    /// Every day of the year.
    pub days: Vec<DayInfoDto>,
}

impl YearViewDto {
    pub fn new(v: &YearView, stored_notice: bool) -> Self {
        YearViewDto {
            year: v.year,
            calendar_version: v.calendar_version.clone(),
            source: (&v.source).into(),
            stored_notice,
            working_hours: WorkingHours::default().into(),
            tet: v.tet,
            gio_to_hung_vuong: v.gio_to_hung_vuong,
            leap_month: v.leap_month,
            working_days: v.working_days,
            days_off: v.days_off.iter().map(DayEntryDto::from).collect(),
            working_weekend_days: v
                .working_weekend_days
                .iter()
                .map(DayEntryDto::from)
                .collect(),
            days: v.days.iter().map(DayInfoDto::from).collect(),
        }
    }
}

/// Why a day is off, in a notice.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OffKindDto {
    /// A public holiday (may be a weekend day, listed for display).
    Holiday,
    /// A compensatory day for a holiday on a weekend (Monday–Friday).
    Compensatory,
    /// A working day given off in exchange for a weekend day worked (Monday–Friday).
    Swapped,
}

/// A day off listed in a notice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeDayOffDto {
    pub date: NaiveDate,
    pub kind: OffKindDto,
    /// Vietnamese name or reason.
    pub name: String,
}

/// A weekend day worked, listed in a notice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeWorkingDayDto {
    /// A Saturday or Sunday.
    pub date: NaiveDate,
    /// e.g. "Làm bù cho thứ Hai 29/4/2019".
    pub name: String,
    /// The swapped day off it makes up for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swapped_with: Option<NaiveDate>,
}

/// A yearly notice of days off for civil servants (`cqdt.calendar.notice/1`, see
/// docs/calendar.md): it replaces the rules' pre-fill of its year and lists every day off of
/// the year and every weekend day worked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeDto {
    /// Always `cqdt.calendar.notice/1`.
    #[schema(example = "cqdt.calendar.notice/1")]
    pub format: String,
    pub year: i32,
    /// Version of this notice, e.g. "2019.1"; bump it on every edit.
    pub version: String,
    /// e.g. "Thông báo 3238/TB-LĐTBXH".
    pub legal_reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
    /// Default `reconstructed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NoticeStatusDto>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Every day off of the year: holidays, compensatory and swapped days. Dates may lie in
    /// the neighbouring years.
    pub days_off: Vec<NoticeDayOffDto>,
    /// Weekend days worked.
    #[serde(default)]
    pub working_days: Vec<NoticeWorkingDayDto>,
}

/// A legal processing time: `{"days": n}`, `{"half_days": n}` or `{"minutes": n}`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkDurationDto {
    /// Working days.
    Days(u32),
    /// Half-days (sessions).
    HalfDays(u32),
    /// Working minutes.
    Minutes(u32),
}

impl From<WorkDurationDto> for WorkDuration {
    fn from(d: WorkDurationDto) -> Self {
        match d {
            WorkDurationDto::Days(n) => WorkDuration::Days(n),
            WorkDurationDto::HalfDays(n) => WorkDuration::HalfDays(n),
            WorkDurationDto::Minutes(n) => WorkDuration::Minutes(n),
        }
    }
}

impl From<WorkDuration> for WorkDurationDto {
    fn from(d: WorkDuration) -> Self {
        match d {
            WorkDuration::Days(n) => WorkDurationDto::Days(n),
            WorkDuration::HalfDays(n) => WorkDurationDto::HalfDays(n),
            WorkDuration::Minutes(n) => WorkDurationDto::Minutes(n),
        }
    }
}

/// Which instant starts the clock.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StartRuleDto {
    /// The receipt instant (default).
    Receipt,
    /// The paper hand-over: after the cut-off (15:00), the start of the next working day.
    PaperHandover,
}

/// Why the clock stops.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PauseReasonDto {
    /// Waiting for the applicant's supplement.
    Supplement,
    /// Consulting another agency.
    Consultation,
    Other,
}

/// A pause of the clock; without `until` it is still open.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseDto {
    pub reason: PauseReasonDto,
    /// Local time (Asia/Ho_Chi_Minh), without offset.
    #[schema(value_type = String, example = "2019-02-11T08:00:00")]
    pub from: NaiveDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "2019-02-11T10:00:00")]
    pub until: Option<NaiveDateTime>,
}

/// The new appointment of an extension: `{"until_date": "2019-02-15"}` or
/// `{"by": {"days": 2}}`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionTargetDto {
    /// The close of this working day.
    UntilDate(NaiveDate),
    /// Extra working time after the due instant.
    By(WorkDurationDto),
}

/// The one extension a dossier may get (apology and new appointment).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDto {
    /// Local time.
    #[schema(value_type = String, example = "2019-02-13T09:00:00")]
    pub requested_at: NaiveDateTime,
    pub target: ExtensionTargetDto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One step of a route, with its allotted time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepAllotmentDto {
    /// Unit or agency, e.g. "Bộ phận Một cửa".
    pub name: String,
    pub duration: WorkDurationDto,
}

/// What to compute. Times are local (Asia/Ho_Chi_Minh) without offset. `working_hours` is
/// optional (default 07:30–11:30, 13:30–17:00, paper hand-over cut-off 15:00).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DeadlineQueryDto {
    /// The dates of a dossier's clock: due date, pauses, extension, steps, timeliness.
    Due {
        /// Receipt instant.
        #[schema(value_type = String, example = "2019-04-29T10:00:00")]
        received_at: NaiveDateTime,
        /// The procedure's legal time.
        duration: WorkDurationDto,
        #[serde(default)]
        start: Option<StartRuleDto>,
        /// Per-step allotments; they must add up to `duration`.
        #[serde(default)]
        steps: Vec<StepAllotmentDto>,
        /// In order, not overlapping; only the last may be open.
        #[serde(default)]
        pauses: Vec<PauseDto>,
        #[serde(default)]
        extension: Option<ExtensionDto>,
        /// When processing finished, to classify it early / on time / late.
        #[serde(default)]
        #[schema(value_type = Option<String>)]
        finished_at: Option<NaiveDateTime>,
        #[serde(default)]
        working_hours: Option<WorkingHoursDto>,
    },
    /// Working time between two instants.
    Elapsed {
        #[schema(value_type = String, example = "2019-04-26T09:00:00")]
        from: NaiveDateTime,
        #[schema(value_type = String, example = "2019-05-06T09:00:00")]
        to: NaiveDateTime,
        #[serde(default)]
        working_hours: Option<WorkingHoursDto>,
    },
}

impl DeadlineQueryDto {
    /// The domain query and the office hours to use.
    pub fn into_query(self) -> Result<(DeadlineQuery, WorkingHours), AppError> {
        let hours = |h: Option<WorkingHoursDto>| match h {
            Some(h) => h.to_hours(),
            None => Ok(WorkingHours::default()),
        };
        match self {
            DeadlineQueryDto::Due {
                received_at,
                duration,
                start,
                steps,
                pauses,
                extension,
                finished_at,
                working_hours,
            } => Ok((
                DeadlineQuery::Due(DeadlineRequest {
                    received_at,
                    duration: duration.into(),
                    start: match start {
                        Some(StartRuleDto::PaperHandover) => StartRule::PaperHandover,
                        Some(StartRuleDto::Receipt) | None => StartRule::Receipt,
                    },
                    steps: steps
                        .into_iter()
                        .map(|s| StepAllotment {
                            name: nfc(&s.name),
                            duration: s.duration.into(),
                        })
                        .collect(),
                    pauses: pauses
                        .into_iter()
                        .map(|p| Pause {
                            reason: match p.reason {
                                PauseReasonDto::Supplement => PauseReason::Supplement,
                                PauseReasonDto::Consultation => PauseReason::Consultation,
                                PauseReasonDto::Other => PauseReason::Other,
                            },
                            from: p.from,
                            until: p.until,
                        })
                        .collect(),
                    extension: extension.map(|e| Extension {
                        requested_at: e.requested_at,
                        target: match e.target {
                            ExtensionTargetDto::UntilDate(d) => ExtensionTarget::UntilDate(d),
                            ExtensionTargetDto::By(d) => ExtensionTarget::By(d.into()),
                        },
                        reason: e.reason.map(|r| nfc(&r)),
                    }),
                    finished_at,
                }),
                hours(working_hours)?,
            )),
            DeadlineQueryDto::Elapsed {
                from,
                to,
                working_hours,
            } => Ok((DeadlineQuery::Elapsed { from, to }, hours(working_hours)?)),
        }
    }
}

/// An amount of working time.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct WorkingTimeDto {
    /// Working seconds (negative if the end is before the start).
    pub seconds: i64,
    pub minutes: i64,
    /// Whole working days.
    pub days: i64,
    /// Minutes beyond the whole days.
    pub remainder_minutes: i64,
    /// Minutes in a working day for these office hours (450 by default).
    pub day_minutes: i64,
}

impl From<WorkingTime> for WorkingTimeDto {
    fn from(w: WorkingTime) -> Self {
        WorkingTimeDto {
            seconds: w.seconds,
            minutes: w.minutes,
            days: w.days,
            remainder_minutes: w.remainder_minutes,
            day_minutes: w.day_minutes,
        }
    }
}

/// The due date of one step of a route.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepDeadlineDto {
    pub name: String,
    pub duration: WorkDurationDto,
    #[schema(value_type = Option<String>)]
    pub starts_at: Option<NaiveDateTime>,
    /// `null` while a pause before it is open.
    #[schema(value_type = Option<String>)]
    pub due: Option<NaiveDateTime>,
}

/// Early / on time / late (reporting rules: by calendar day).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelinessDto {
    Early,
    OnTime,
    Late,
}

/// The dates of a dossier's clock. Times are local (Asia/Ho_Chi_Minh) without offset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadlineOutcomeDto {
    /// Version of the working calendar used; store it beside the due date.
    pub calendar_version: String,
    pub working_hours: WorkingHoursDto,
    #[schema(value_type = String)]
    pub received_at: NaiveDateTime,
    /// Receipt, or paper hand-over.
    #[schema(value_type = String)]
    pub clock_start: NaiveDateTime,
    /// The first working moment that counts.
    #[schema(value_type = String)]
    pub counting_from: NaiveDateTime,
    pub duration: WorkDurationDto,
    /// Due instant without pauses.
    #[schema(value_type = String)]
    pub legal_due: NaiveDateTime,
    /// Due instant with the pauses (the appointment date); `null` while a pause is open.
    #[schema(value_type = Option<String>, example = "2019-05-06T17:00:00")]
    pub due: Option<NaiveDateTime>,
    /// After the extension (= `due` without one); `null` while paused.
    #[schema(value_type = Option<String>)]
    pub appointment: Option<NaiveDateTime>,
    /// Working time of the closed pauses.
    pub paused: WorkingTimeDto,
    /// Start of the open pause, if the clock is stopped.
    #[schema(value_type = Option<String>)]
    pub paused_since: Option<NaiveDateTime>,
    pub supplement_requests: usize,
    pub steps: Vec<StepDeadlineDto>,
    /// With `finished_at`.
    pub timeliness: Option<TimelinessDto>,
    /// With an extension and `finished_at`: whether the new appointment was kept.
    pub appointment_kept: Option<bool>,
}

impl From<&DeadlineOutcome> for DeadlineOutcomeDto {
    fn from(o: &DeadlineOutcome) -> Self {
        DeadlineOutcomeDto {
            calendar_version: o.calendar_version.clone(),
            working_hours: o.working_hours.into(),
            received_at: o.received_at,
            clock_start: o.clock_start,
            counting_from: o.counting_from,
            duration: o.duration.into(),
            legal_due: o.legal_due,
            due: o.due,
            appointment: o.appointment,
            paused: o.paused.into(),
            paused_since: o.paused_since,
            supplement_requests: o.supplement_requests,
            steps: o
                .steps
                .iter()
                .map(|s| StepDeadlineDto {
                    name: s.name.clone(),
                    duration: s.duration.into(),
                    starts_at: s.starts_at,
                    due: s.due,
                })
                .collect(),
            timeliness: o.timeliness.map(|t| match t {
                Timeliness::Early => TimelinessDto::Early,
                Timeliness::OnTime => TimelinessDto::OnTime,
                Timeliness::Late => TimelinessDto::Late,
            }),
            appointment_kept: o.appointment_kept,
        }
    }
}

/// Working time between two instants.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ElapsedDto {
    pub calendar_version: String,
    pub working_hours: WorkingHoursDto,
    pub working_time: WorkingTimeDto,
}

/// The answer, tagged by `kind` like the query.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineAnswerDto {
    Due(DeadlineOutcomeDto),
    Elapsed(ElapsedDto),
}

impl From<&DeadlineAnswer> for DeadlineAnswerDto {
    fn from(a: &DeadlineAnswer) -> Self {
        match a {
            DeadlineAnswer::Due(o) => DeadlineAnswerDto::Due(o.into()),
            DeadlineAnswer::Elapsed {
                calendar_version,
                working_hours,
                working_time,
            } => DeadlineAnswerDto::Elapsed(ElapsedDto {
                calendar_version: calendar_version.clone(),
                working_hours: (*working_hours).into(),
                working_time: (*working_time).into(),
            }),
        }
    }
}

/// A year from the path: not a number → 404 (no such resource); out of range → 422.
fn year_of(s: &str, caller: &Caller) -> ApiResult<i32> {
    s.trim()
        .parse::<i32>()
        .map_err(|_| ApiError::new(ErrorCode::RouteNotFound).lang(caller.lang))
}

/// A year of the working calendar in effect: holidays, compensatory and swapped days, office
/// hours, and every day with its lunar date. Public.
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "calendar",
    params(("year" = i32, Path, minimum = 2000, maximum = 2199, description = "Gregorian year, 2000–2199 (another number: 422)")),
    responses((status = 200, body = YearViewDto, headers(("ETag" = String, description = "The calendar version"))),
        (status = 304, description = "Not modified (If-None-Match)", headers(("ETag" = String, description = "The calendar version"))),
        (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn calendar_year(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(year): Path<String>,
) -> ApiResult<Response> {
    let year = year_of(&year, &caller)?;
    let y = s
        .app
        .calendar_year(&caller.ctx, year)
        .await
        .map_err(err(&caller))?;
    // The calendar version changes with any edit, so it (with the stored flag) identifies the
    // year's answer.
    let etag = format!("\"{}-{}\"", y.view.calendar_version, u8::from(y.stored));
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        axum::Json(YearViewDto::new(&y.view, y.stored)).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

/// Store the holiday notice of a year (administrators): it replaces the bundled notice or the
/// rules' pre-fill of that year. The notice is checked alone and against the neighbouring
/// years' notices; the answer is the year as it now stands.
#[utoipa::path(put, path = "/api/v1/calendar/{year}/notice", tag = "calendar", request_body = NoticeDto,
    params(("year" = i32, Path, minimum = 2000, maximum = 2199, description = "Gregorian year; must equal the notice's `year`")),
    responses((status = 200, body = YearViewDto), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn calendar_notice_put(
    State(s): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    Json(notice): Json<NoticeDto>,
) -> ApiResult<axum::Json<YearViewDto>> {
    let year = year_of(&year, &caller)?;
    if notice.year != year {
        return Err(
            ApiError::from(AppError::field(ErrorCode::CalendarYearMismatch, "year"))
                .lang(caller.lang),
        );
    }
    let text = serde_json::to_string(&notice)
        .map_err(|e| ApiError::from(AppError::internal(e.to_string())).lang(caller.lang))?;
    let y = s
        .app
        .calendar_notice_put(&caller.ctx, &text)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(YearViewDto::new(&y.view, y.stored)))
}

/// Remove the stored notice of a year (administrators): the year goes back to the notice
/// bundled with the platform, or to the rules' pre-fill. The answer is the year as it now
/// stands.
#[utoipa::path(delete, path = "/api/v1/calendar/{year}/notice", tag = "calendar",
    params(("year" = i32, Path, minimum = 2000, maximum = 2199, description = "Gregorian year")),
    responses((status = 200, body = YearViewDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn calendar_notice_delete(
    State(s): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
) -> ApiResult<axum::Json<YearViewDto>> {
    let year = year_of(&year, &caller)?;
    let y = s
        .app
        .calendar_notice_delete(&caller.ctx, year)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(YearViewDto::new(&y.view, y.stored)))
}

/// Compute a due date (with pauses, one extension, route steps and timeliness) or the working
/// time between two instants, on the working calendar in effect. Public.
#[utoipa::path(post, path = "/api/v1/deadlines", tag = "calendar", request_body = DeadlineQueryDto,
    responses((status = 200, body = DeadlineAnswerDto), (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"), (status = 422, body = Problem)))]
pub async fn deadlines(
    State(s): State<AppState>,
    caller: Caller,
    Json(q): Json<DeadlineQueryDto>,
) -> ApiResult<axum::Json<DeadlineAnswerDto>> {
    let (query, hours) = q.into_query().map_err(err(&caller))?;
    let a = s
        .app
        .deadline_with_hours(&caller.ctx, &query, hours)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(DeadlineAnswerDto::from(&a)))
}

/// Responses that come from the shared extractors rather than from a handler, added in one place
/// to every operation they apply to, so that no annotation can forget one:
///
/// - a JSON body (`extract::Json`): 400 (malformed JSON, invalid UTF-8, unknown or missing field),
///   415 (not `application/json`), 413 (over the size limit);
/// - any other body (`extract::Body`): 413;
/// - query parameters (`extract::Query`): 400 (unknown parameter, wrong type);
/// - path parameters: 404 (not an id of anything);
/// - writes (`POST`, `PUT`, `DELETE`) made with the session cookie: 403 without the
///   `X-CSRF-Token` header.
///
/// It also gives every `Problem` answer its real media type, `application/problem+json`.
struct SharedResponses;

impl utoipa::Modify for SharedResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        close_request_enums(doc);
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.head].into_iter().flatten() {
                add_shared_responses(op, false);
            }
            for op in [
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_shared_responses(op, true);
            }
        }
    }
}

const PROBLEM_JSON: &str = "application/problem+json";

/// What utoipa cannot say of the enums that requests carry: their variants refuse unknown fields
/// like the enum does (`deny_unknown_fields`, or serde's externally tagged form, which takes one
/// key only), and `WorkDurationDto`'s counts are `u32` (utoipa writes `int32` with no maximum).
fn close_request_enums(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AdditionalProperties, KnownFormat, Schema, SchemaFormat};
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in [
        "DeadlineQueryDto",
        "WorkDurationDto",
        "ExtensionTargetDto",
        "ActionBody",
    ] {
        let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(name) else {
            continue;
        };
        for variant in &mut one_of.items {
            let RefOr::T(Schema::Object(object)) = variant else {
                continue;
            };
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            if name == "WorkDurationDto" {
                for count in object.properties.values_mut() {
                    if let RefOr::T(Schema::Object(count)) = count {
                        count.maximum = Some(u32::MAX.into());
                        count.format = Some(SchemaFormat::KnownFormat(KnownFormat::Int64));
                    }
                }
            }
        }
    }
}

fn add_shared_responses(op: &mut utoipa::openapi::path::Operation, write: bool) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
    let has_in = |place: ParameterIn| {
        op.parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == place)
    };
    let (has_query, has_path) = (has_in(ParameterIn::Query), has_in(ParameterIn::Path));
    let body = op.request_body.as_ref();
    // Only bodies read by `extract::Json` (the one content type `application/json`).
    let json_body =
        body.is_some_and(|b| b.content.len() == 1 && b.content.contains_key("application/json"));
    let mut shared: Vec<(&str, &str)> = Vec::new();
    if json_body || has_query {
        shared.push((
            "400",
            "Malformed request: bad JSON, unknown or missing field, bad query parameter",
        ));
    }
    if write {
        shared.push(("403", "Forbidden: without `X-CSRF-Token` on a write made with the session cookie, or not allowed"));
    }
    if has_path {
        shared.push(("404", "No such resource"));
    }
    if body.is_some() {
        shared.push(("413", "Request body too large"));
    }
    if json_body {
        shared.push(("415", "The body is not `application/json`"));
    }
    let responses = &mut op.responses.responses;
    for (status, description) in shared {
        responses.entry(status.to_string()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        PROBLEM_JSON,
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build(),
            )
        });
    }
    // utoipa writes `body = Problem` as `application/json`.
    for response in responses.values_mut() {
        if let RefOr::T(r) = response
            && let Some(c) = r.content.get("application/json")
            && matches!(&c.schema, Some(RefOr::Ref(x)) if x.ref_location.ends_with("/Problem"))
            && let Some(c) = r.content.shift_remove("application/json")
        {
            r.content.insert(PROBLEM_JSON.to_string(), c);
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "cqdt — Chính quyền điện tử", description = "API of the cqdt e-government platform. Errors are application/problem+json with a stable `code` and a Vietnamese `title`."),
    paths(
        agencies_list, agencies_create, agencies_get, agencies_update, agencies_delete, agencies_import, agencies_export,
        auth_register, auth_login, auth_logout, auth_logout_all, me,
        users_list, users_create, users_get, grants_list, grants_create, grants_delete, roles,
        keys_list, keys_create, keys_revoke,
        audit_list, audit_verify,
        calendar_year, calendar_notice_put, calendar_notice_delete, deadlines,
        dossiers::procedures_list, dossiers::procedures_get, dossiers::procedures_import, dossiers::procedures_export,
        dossiers::dossiers_submit, dossiers::dossiers_receive, dossiers::dossiers_list, dossiers::dossiers_get,
        dossiers::dossiers_act, dossiers::dossiers_lookup, dossiers::reports_ii06a,
        slips::dossier_slip,
        files::dossier_files_add, files::dossier_file_get,
        files::drafts_list, files::drafts_create, files::drafts_get, files::drafts_update, files::drafts_delete,
        files::draft_files_add, files::draft_file_get, files::draft_file_delete, files::drafts_submit,
        documents::documents_register_incoming, documents::documents_draft_create,
        documents::documents_list, documents::documents_get, documents::documents_draft_edit,
        documents::documents_refuse, documents::documents_assign, documents::documents_start,
        documents::documents_link_reply, documents::documents_complete,
        documents::documents_submit_review, documents::documents_send_back,
        documents::documents_submit_signature, documents::documents_sign, documents::documents_issue,
        documents::documents_recall, documents::documents_answer_request, documents::documents_revoke,
        documents::documents_correct,
        documents::documents_file_get, documents::documents_search, documents::documents_overdue,
        documents::documents_figures, documents::documents_register, documents::documents_default_file,
        edxml::edxml_packages_receive, edxml::edxml_status_receive,
        signatures::signatures_verify,
    ),
    components(schemas(Problem, crate::problem::ProblemLine, FileFormat)),
    modifiers(&SharedResponses),
    tags((name = "agencies"), (name = "auth"), (name = "users"), (name = "api-keys"), (name = "audit"), (name = "calendar"), (name = "procedures"), (name = "dossiers"), (name = "reports"), (name = "documents"), (name = "edxml"), (name = "signatures"))
)]
pub struct ApiDoc;

/// The API routes. Keep in step with [`ApiDoc`]: a test reads this function's source.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/agencies", get(agencies_list).post(agencies_create))
        .route(
            "/api/v1/agencies/import",
            post(agencies_import).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/v1/agencies/export", get(agencies_export))
        .route(
            "/api/v1/agencies/{id}",
            get(agencies_get)
                .put(agencies_update)
                .delete(agencies_delete),
        )
        .route("/api/v1/auth/register", post(auth_register))
        .route("/api/v1/auth/login", post(auth_login))
        .route("/api/v1/auth/logout", post(auth_logout))
        .route("/api/v1/auth/logout-all", post(auth_logout_all))
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(users_list).post(users_create))
        .route("/api/v1/users/{id}", get(users_get))
        .route(
            "/api/v1/users/{id}/grants",
            get(grants_list).post(grants_create),
        )
        .route(
            "/api/v1/users/{id}/grants/{grant_id}",
            axum::routing::delete(grants_delete),
        )
        .route("/api/v1/roles", get(roles))
        .route("/api/v1/api-keys", get(keys_list).post(keys_create))
        .route("/api/v1/api-keys/{id}", axum::routing::delete(keys_revoke))
        .route("/api/v1/audit", get(audit_list))
        .route("/api/v1/audit/verify", get(audit_verify))
        .route("/api/v1/calendar/{year}", get(calendar_year))
        .route(
            "/api/v1/calendar/{year}/notice",
            axum::routing::put(calendar_notice_put).delete(calendar_notice_delete),
        )
        .route("/api/v1/deadlines", post(deadlines))
        .route("/api/v1/procedures", get(dossiers::procedures_list))
        .route(
            "/api/v1/procedures/import",
            post(dossiers::procedures_import)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/procedures/export",
            get(dossiers::procedures_export),
        )
        .route("/api/v1/procedures/{id}", get(dossiers::procedures_get))
        .route(
            "/api/v1/dossiers",
            get(dossiers::dossiers_list).post(dossiers::dossiers_submit),
        )
        .route("/api/v1/dossiers/desk", post(dossiers::dossiers_receive))
        .route("/api/v1/dossiers/lookup", get(dossiers::dossiers_lookup))
        .route("/api/v1/dossiers/{id}", get(dossiers::dossiers_get))
        .route(
            "/api/v1/dossiers/{id}/actions",
            post(dossiers::dossiers_act),
        )
        .route("/api/v1/reports/ii06a", get(dossiers::reports_ii06a))
        .route(
            "/api/v1/dossiers/{id}/slips/{form}",
            get(slips::dossier_slip),
        )
        .route(
            "/api/v1/dossiers/{id}/files",
            post(files::dossier_files_add)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/dossiers/{id}/files/{file_id}",
            get(files::dossier_file_get),
        )
        .route(
            "/api/v1/drafts",
            get(files::drafts_list).post(files::drafts_create),
        )
        .route(
            "/api/v1/drafts/{id}",
            get(files::drafts_get)
                .put(files::drafts_update)
                .delete(files::drafts_delete),
        )
        .route(
            "/api/v1/drafts/{id}/files",
            post(files::draft_files_add).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/drafts/{id}/files/{file_id}",
            get(files::draft_file_get).delete(files::draft_file_delete),
        )
        .route("/api/v1/drafts/{id}/submit", post(files::drafts_submit))
        .route("/api/v1/documents", get(documents::documents_list))
        .route(
            "/api/v1/documents/incoming",
            post(documents::documents_register_incoming)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/documents/outgoing",
            post(documents::documents_draft_create)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/v1/documents/search", get(documents::documents_search))
        .route(
            "/api/v1/documents/overdue",
            get(documents::documents_overdue),
        )
        .route(
            "/api/v1/documents/figures",
            get(documents::documents_figures),
        )
        .route(
            "/api/v1/documents/registers/{kind}",
            get(documents::documents_register),
        )
        .route(
            "/api/v1/documents/{id}",
            get(documents::documents_get)
                .put(documents::documents_draft_edit)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/documents/{id}/refuse",
            post(documents::documents_refuse),
        )
        .route(
            "/api/v1/documents/{id}/assign",
            post(documents::documents_assign),
        )
        .route(
            "/api/v1/documents/{id}/start",
            post(documents::documents_start),
        )
        .route(
            "/api/v1/documents/{id}/link-reply",
            post(documents::documents_link_reply),
        )
        .route(
            "/api/v1/documents/{id}/complete",
            post(documents::documents_complete),
        )
        .route(
            "/api/v1/documents/{id}/submit-review",
            post(documents::documents_submit_review),
        )
        .route(
            "/api/v1/documents/{id}/send-back",
            post(documents::documents_send_back),
        )
        .route(
            "/api/v1/documents/{id}/submit-signature",
            post(documents::documents_submit_signature),
        )
        .route(
            "/api/v1/documents/{id}/sign",
            post(documents::documents_sign),
        )
        .route(
            "/api/v1/documents/{id}/issue",
            post(documents::documents_issue),
        )
        .route(
            "/api/v1/documents/{id}/recall",
            post(documents::documents_recall),
        )
        .route(
            "/api/v1/documents/{id}/answer-request",
            post(documents::documents_answer_request),
        )
        .route(
            "/api/v1/documents/{id}/revoke",
            post(documents::documents_revoke),
        )
        .route(
            "/api/v1/documents/{id}/correct",
            post(documents::documents_correct),
        )
        .route(
            "/api/v1/documents/{id}/files/{file_id}",
            get(documents::documents_file_get),
        )
        .route(
            "/api/v1/edxml/packages",
            post(edxml::edxml_packages_receive)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/edxml/status",
            post(edxml::edxml_status_receive)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/api/v1/documents/{id}/file",
            get(documents::documents_default_file),
        )
        .route(
            "/api/v1/signatures/verify",
            post(signatures::signatures_verify)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
}

/// Used by the CLI and pages to act as a caller.
pub fn ctx_of(caller: &Caller) -> &Ctx {
    &caller.ctx
}
