//! The JSON API under `/api/v1`. Every route here is listed in the OpenAPI document
//! ([`ApiDoc`]); a test compares the `.route(...)` calls in this file with the document.

use crate::auth::{Caller, SESSION_COOKIE, set_cookie};
use crate::extract::{Body, Json, Query};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cqdt_app::accounts::{RegisterInput, StaffInput};
use cqdt_app::agencies::Format;
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::store::{ApiKeyRow, GrantRow, User, UserFilter, UserKind};
use cqdt_app::{AppError, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyInput};
use cqdt_domain::ids::{AgencyId, ApiKeyId, GrantId, UserId};
use cqdt_domain::policy::Role;
use cqdt_domain::text::fold;
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
    pub identifier: String,
    #[serde(default)]
    pub parent_identifier: Option<String>,
    /// `province_committee`, `department`, `district_committee`, `commune_committee`, `unit`, `other`.
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
    pub under: Option<String>,
    /// Only this level.
    pub level: Option<u8>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// `csv` or `json`
    pub format: String,
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
    pub agency_identifier: String,
    pub password: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Only accounts of this agency's subtree (id).
    pub agency: Option<String>,
    pub q: Option<String>,
    /// `citizen`, `business` or `staff`
    pub kind: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    pub role: String,
    /// Agency id; omit for the whole platform.
    #[serde(default)]
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
    pub scopes: Vec<String>,
    #[serde(default)]
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
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerifyDto {
    pub intact: bool,
    pub entries: Option<i64>,
    /// What broke, naming the first bad entry.
    pub problem: Option<String>,
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
    responses((status = 200, body = AgencyPage), (status = 400, body = Problem)))]
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
    let limit = q.limit.unwrap_or(500).clamp(1, 5000);
    let items = filtered
        .into_iter()
        .skip(q.offset.unwrap_or(0))
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
#[utoipa::path(get, path = "/api/v1/agencies/{id}", tag = "agencies", params(("id" = String, Path, description = "Agency id")),
    responses((status = 200, body = AgencyDto), (status = 404, body = Problem)))]
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
#[utoipa::path(put, path = "/api/v1/agencies/{id}", tag = "agencies", request_body = AgencyBody, params(("id" = String, Path, description = "Agency id")),
    responses((status = 200, body = AgencyDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
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
#[utoipa::path(delete, path = "/api/v1/agencies/{id}", tag = "agencies", params(("id" = String, Path, description = "Agency id")),
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
    request_body(content = String, content_type = "text/csv", description = "CSV with a header line, or a JSON array of agencies"),
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
    responses((status = 200, description = "The file", content_type = "text/csv"), (status = 400, body = Problem), (status = 422, body = Problem)))]
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
    responses((status = 201, body = UserDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
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
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 429, body = Problem)))]
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
    responses((status = 200, body = [UserDto]), (status = 401, body = Problem), (status = 403, body = Problem)))]
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
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")),
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
#[utoipa::path(get, path = "/api/v1/users/{id}/grants", tag = "users", params(("id" = String, Path, description = "User id")),
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
#[utoipa::path(post, path = "/api/v1/users/{id}/grants", tag = "users", request_body = GrantBody, params(("id" = String, Path, description = "User id")),
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
    params(("id" = String, Path, description = "User id"), ("grant_id" = String, Path, description = "Grant id")),
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
    responses((status = 201, body = NewApiKeyDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
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
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = String, Path, description = "Key id")),
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

#[derive(OpenApi)]
#[openapi(
    info(title = "cqdt — Chính quyền điện tử", description = "API of the cqdt e-government platform. Errors are application/problem+json with a stable `code` and a Vietnamese `title`."),
    paths(
        agencies_list, agencies_create, agencies_get, agencies_update, agencies_delete, agencies_import, agencies_export,
        auth_register, auth_login, auth_logout, auth_logout_all, me,
        users_list, users_create, users_get, grants_list, grants_create, grants_delete, roles,
        keys_list, keys_create, keys_revoke,
        audit_list, audit_verify,
    ),
    components(schemas(Problem, crate::problem::ProblemLine)),
    tags((name = "agencies"), (name = "auth"), (name = "users"), (name = "api-keys"), (name = "audit"))
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
}

/// Used by the CLI and pages to act as a caller.
pub fn ctx_of(caller: &Caller) -> &Ctx {
    &caller.ctx
}
