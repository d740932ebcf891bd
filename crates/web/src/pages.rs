//! The HTML pages: Vietnamese first, every form with CSRF protection, errors shown in a
//! summary at the top and again beside the field, working without JavaScript.
#![allow(clippy::result_large_err)]

use crate::auth::{CSRF_COOKIE, Caller, LANG_COOKIE, SESSION_COOKIE, set_cookie};
use crate::i18n::{Lang, Tr};
use crate::problem::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use chrono::Datelike;
use cqdt_app::accounts::{RegisterInput, StaffInput};
use cqdt_app::agencies::Format;
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::store::{User, UserFilter, UserKind};
use cqdt_app::{AppError, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyInput, AgencyKind};
use cqdt_domain::calendar::{
    DayKind, NoticeStatus, WorkingHours, WorkingHoursSpec, YearSource, YearView, to_local,
};
use cqdt_domain::ids::{AgencyId, ApiKeyId, GrantId, UserId};
use cqdt_domain::policy::{Action, Actor, Decision, Role, Scope, Target, decide};
use cqdt_domain::text::fold;
use std::collections::HashMap;

mod desk;
mod documents;
mod portal;
mod signatures;

// ---------- shared page pieces ----------

/// What the header needs.
pub struct Nav {
    pub user_name: Option<String>,
    pub csrf: String,
    pub can_users: bool,
    pub can_admin: bool,
    pub can_keys: bool,
    /// Staff who work on dossiers (desk, processing, approval): the one-stop worklists.
    pub can_dossiers: bool,
    /// A citizen or business account: "my dossiers".
    pub is_applicant: bool,
    /// Staff who may read electronic documents (clerk, specialist, leader…).
    pub can_documents: bool,
}

/// Errors of a form: a summary for the top of the page and one message per field.
#[derive(Default)]
pub struct Errs {
    pub summary: Vec<(String, String)>,
    map: HashMap<String, String>,
}

impl Errs {
    pub fn e(&self, field: &str) -> &str {
        self.map.get(field).map(String::as_str).unwrap_or("")
    }
    pub fn from_app(t: &Tr, e: &AppError) -> Errs {
        let mut errs = Errs::default();
        let msg = t.error(e.code).to_string();
        match &e.field {
            Some(f) => {
                errs.summary
                    .push((f.clone(), format!("{}: {msg}", t.field(f))));
                errs.map.insert(f.clone(), msg);
            }
            None => errs.summary.push((String::new(), msg)),
        }
        errs
    }
}

fn nav_of(caller: &Caller, csrf: String) -> Nav {
    let actor = &caller.ctx.actor;
    let allowed = |a: Action| actor.grants().iter().any(|_| true) && any_scope_allows(actor, a);
    Nav {
        user_name: caller.session.as_ref().map(|s| s.user.full_name.clone()),
        csrf,
        can_users: allowed(Action::ViewUsers),
        can_admin: allowed(Action::ViewAudit),
        can_keys: decide(actor, Action::ManageApiKeys, Target::Platform) == Decision::Allow,
        can_dossiers: [
            Action::ReceiveDossier,
            Action::ProcessDossier,
            Action::Approve,
        ]
        .into_iter()
        .any(|a| any_scope_allows(actor, a)),
        is_applicant: matches!(actor, Actor::Citizen { .. }),
        can_documents: documents::may_see_documents(actor),
    }
}

/// Whether the actor may do `action` somewhere (platform-wide or on one of its grants).
fn any_scope_allows(actor: &Actor, action: Action) -> bool {
    if decide(actor, action, Target::Platform) == Decision::Allow {
        return true;
    }
    actor
        .grants()
        .iter()
        .filter_map(|g| g.agency)
        .any(|a| decide(actor, action, Target::Agency(&[a])) == Decision::Allow)
}

fn html_page(t: impl Template) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hiển thị trang").into_response()
        }
    }
}

/// Prepare the CSRF token for a page: the session's, the anonymous cookie's, or a new one
/// (returned with the cookie to set).
fn csrf_for(state: &AppState, caller: &Caller) -> (String, Option<String>) {
    let existing = caller.csrf_token();
    if !existing.is_empty() {
        return (existing, None);
    }
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(state.app.ids.random_bytes(24));
    let cookie = set_cookie(CSRF_COOKIE, &token, None, state.web.secure_cookies, true);
    (token, Some(cookie))
}

fn with_cookie(mut res: Response, cookie: Option<String>) -> Response {
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    title: String,
    message: String,
}

/// The page for a refused request: login needed → the login page; otherwise a message page.
fn error_page(state: &AppState, caller: &Caller, e: &AppError) -> Response {
    if e.code == ErrorCode::Unauthenticated {
        return see_other("/dang-nhap");
    }
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(state, caller);
    let title = match e.code {
        ErrorCode::Forbidden => t.s("error.forbidden_title"),
        ErrorCode::AgencyNotFound | ErrorCode::UserNotFound | ErrorCode::RouteNotFound => {
            t.s("error.not_found_title")
        }
        _ => t.s("error.generic_title"),
    };
    let status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let page = ErrorPage {
        t,
        nav: nav_of(caller, csrf),
        errs: Errs::default(),
        notice: String::new(),
        title: title.into(),
        message: t.error(e.code).into(),
    };
    let mut res = html_page(page);
    *res.status_mut() = status;
    with_cookie(res, cookie)
}

/// The 404 page for unknown addresses (no session lookup: a plain page).
pub fn not_found(lang: Lang) -> Response {
    let t = Tr::new(lang);
    let page = ErrorPage {
        t,
        nav: Nav {
            user_name: None,
            csrf: String::new(),
            can_users: false,
            can_admin: false,
            can_keys: false,
            can_dossiers: false,
            is_applicant: false,
            can_documents: false,
        },
        errs: Errs::default(),
        notice: String::new(),
        title: t.s("error.not_found_title").into(),
        message: t.error(ErrorCode::RouteNotFound).into(),
    };
    let mut res = html_page(page);
    *res.status_mut() = StatusCode::NOT_FOUND;
    res
}

/// A submitted urlencoded form, with every value NFC-normalised by the use cases later.
pub struct Form(pub HashMap<String, String>);

impl Form {
    fn get(&self, k: &str) -> String {
        self.0.get(k).cloned().unwrap_or_default()
    }
    fn opt(&self, k: &str) -> Option<String> {
        self.0.get(k).filter(|v| !v.trim().is_empty()).cloned()
    }
}

fn parse_form(body: &Bytes) -> Result<Form, AppError> {
    std::str::from_utf8(body).map_err(|_| AppError::new(ErrorCode::InvalidUtf8))?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| AppError::new(ErrorCode::InvalidFormat))?;
    Ok(Form(pairs.into_iter().collect()))
}

/// Common start of every POST handler: parse the form and check its CSRF token.
fn accept_form(state: &AppState, caller: &Caller, body: &Bytes) -> Result<Form, Response> {
    let form = parse_form(body).map_err(|e| error_page(state, caller, &e))?;
    caller
        .check_csrf(&form.get("_csrf"))
        .map_err(|e: ApiError| error_page(state, caller, &e.error))?;
    Ok(form)
}

fn role_names(t: &Tr, roles: impl Iterator<Item = (Role, Option<String>)>) -> Vec<String> {
    roles
        .map(|(r, scope)| {
            let name = t.s(&format!("role.{}", r.as_str()));
            match scope {
                Some(s) => format!("{name} — {s}"),
                None => format!("{name} — {}", t.s("role.platform")),
            }
        })
        .collect()
}

async fn agency_names(state: &AppState) -> HashMap<AgencyId, String> {
    state
        .app
        .store
        .agencies_all()
        .await
        .map(|v| v.into_iter().map(|a| (a.id, a.fields.name)).collect())
        .unwrap_or_default()
}

// ---------- home, language, login, registration, profile ----------

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    roles: Vec<String>,
}

async fn home(State(s): State<AppState>, caller: Caller) -> Response {
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(&s, &caller);
    let names = agency_names(&s).await;
    let roles = caller
        .session
        .as_ref()
        .map(|se| {
            role_names(
                &t,
                se.grants
                    .iter()
                    .map(|g| (g.role, g.agency_id.and_then(|a| names.get(&a).cloned()))),
            )
        })
        .unwrap_or_default();
    with_cookie(
        html_page(HomePage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice: String::new(),
            roles,
        }),
        cookie,
    )
}

async fn switch_lang(
    State(s): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Vi);
    // Go back where the person was, if that was a page of this site.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    with_cookie(
        see_other(&back),
        Some(set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 86400),
            s.web.secure_cookies,
            false,
        )),
    )
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    login: String,
}

async fn login_form(State(s): State<AppState>, caller: Caller, uri: axum::http::Uri) -> Response {
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(&s, &caller);
    let notice = if uri.query() == Some("registered") {
        t.s("register.done").to_string()
    } else {
        String::new()
    };
    with_cookie(
        html_page(LoginPage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice,
            login: String::new(),
        }),
        cookie,
    )
}

async fn login_submit(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match accept_form(&s, &caller, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    match s
        .app
        .login(
            &form.get("login"),
            &form.get("password"),
            caller.ip.as_deref(),
            ua,
        )
        .await
    {
        Ok(out) => with_cookie(
            see_other("/"),
            Some(set_cookie(
                SESSION_COOKIE,
                &out.token,
                None,
                s.web.secure_cookies,
                true,
            )),
        ),
        Err(e) => {
            let t = Tr::new(caller.lang);
            let mut errs = Errs::from_app(&t, &e);
            if e.code == ErrorCode::InvalidCredentials {
                errs = Errs::from_app(&t, &AppError::field(ErrorCode::InvalidCredentials, "login"));
            }
            let (csrf, cookie) = csrf_for(&s, &caller);
            let mut res = html_page(LoginPage {
                t,
                nav: nav_of(&caller, csrf),
                errs,
                notice: String::new(),
                login: form.get("login"),
            });
            *res.status_mut() =
                StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            with_cookie(res, cookie)
        }
    }
}

async fn logout(State(s): State<AppState>, caller: Caller, body: Bytes) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    if let Some(session) = &caller.session
        && let Err(e) = s.app.logout(session, caller.ip.as_deref()).await
    {
        return error_page(&s, &caller, &e);
    }
    with_cookie(
        see_other("/"),
        Some(set_cookie(
            SESSION_COOKIE,
            "",
            Some(0),
            s.web.secure_cookies,
            true,
        )),
    )
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    full_name: String,
    login: String,
    id_number: String,
    kind: String,
}

async fn register_form(State(s): State<AppState>, caller: Caller) -> Response {
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(&s, &caller);
    let page = RegisterPage {
        t,
        nav: nav_of(&caller, csrf),
        errs: Errs::default(),
        notice: String::new(),
        full_name: String::new(),
        login: String::new(),
        id_number: String::new(),
        kind: "citizen".into(),
    };
    with_cookie(html_page(page), cookie)
}

async fn register_submit(State(s): State<AppState>, caller: Caller, body: Bytes) -> Response {
    let form = match accept_form(&s, &caller, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = RegisterInput {
        full_name: form.get("full_name"),
        login: form.get("login"),
        password: form.get("password"),
        password_confirm: Some(form.get("password_confirm")),
        id_number: form.opt("id_number"),
        kind: form.opt("kind"),
    };
    match s.app.register(&caller.ctx, &input).await {
        Ok(_) => see_other("/dang-nhap?registered"),
        Err(e) => {
            let t = Tr::new(caller.lang);
            let (csrf, cookie) = csrf_for(&s, &caller);
            let page = RegisterPage {
                t,
                nav: nav_of(&caller, csrf),
                errs: Errs::from_app(&t, &e),
                notice: String::new(),
                full_name: input.full_name,
                login: input.login,
                id_number: input.id_number.unwrap_or_default(),
                kind: input.kind.unwrap_or_default(),
            };
            let mut res = html_page(page);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            with_cookie(res, cookie)
        }
    }
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    user: User,
    kind: String,
    agency: String,
    roles: Vec<String>,
}

async fn profile(State(s): State<AppState>, caller: Caller) -> Response {
    let Some(session) = &caller.session else {
        return see_other("/dang-nhap");
    };
    let t = Tr::new(caller.lang);
    let names = agency_names(&s).await;
    let roles = role_names(
        &t,
        session
            .grants
            .iter()
            .map(|g| (g.role, g.agency_id.and_then(|a| names.get(&a).cloned()))),
    );
    let agency = session
        .user
        .agency_id
        .and_then(|a| names.get(&a).cloned())
        .unwrap_or_else(|| t.s("common.none").into());
    let page = ProfilePage {
        t,
        nav: nav_of(&caller, session.csrf_token.clone()),
        errs: Errs::default(),
        notice: String::new(),
        kind: t.s(&format!("kind.{}", session.user.kind.as_str())).into(),
        user: session.user.clone(),
        agency,
        roles,
    };
    html_page(page)
}

async fn logout_all(State(s): State<AppState>, caller: Caller, body: Bytes) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    let Some(session) = &caller.session else {
        return see_other("/dang-nhap");
    };
    match s.app.logout_all(session, caller.ip.as_deref()).await {
        Ok(_) => with_cookie(
            see_other("/"),
            Some(set_cookie(
                SESSION_COOKIE,
                "",
                Some(0),
                s.web.secure_cookies,
                true,
            )),
        ),
        Err(e) => error_page(&s, &caller, &e),
    }
}

// ---------- agencies ----------

pub struct AgencyRow {
    id: String,
    identifier: String,
    name: String,
    level: u8,
    kind: String,
}

#[derive(Template)]
#[template(path = "agencies.html")]
struct AgenciesPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    q: String,
    rows: Vec<AgencyRow>,
    can_manage: bool,
    lines: Vec<(usize, String)>,
}

fn can_manage_agencies(caller: &Caller) -> bool {
    any_scope_allows(&caller.ctx.actor, Action::ManageAgency)
}

async fn agencies_page_with(
    s: &AppState,
    caller: &Caller,
    q: String,
    notice: String,
    errs: Errs,
    lines: Vec<(usize, String)>,
) -> Response {
    let t = Tr::new(caller.lang);
    let all = match s.app.agencies(&caller.ctx).await {
        Ok(a) => a,
        Err(e) => return error_page(s, caller, &e),
    };
    let needle = fold(&q);
    let rows = all
        .iter()
        .filter(|a| {
            needle.is_empty()
                || fold(&a.fields.name).contains(&needle)
                || a.fields
                    .identifier
                    .as_str()
                    .to_lowercase()
                    .contains(&needle)
        })
        .map(|a| AgencyRow {
            id: a.id.to_string(),
            identifier: a.fields.identifier.to_string(),
            name: a.fields.name.clone(),
            level: a.level,
            kind: t
                .s(&format!("agencykind.{}", a.fields.kind.as_str()))
                .into(),
        })
        .collect();
    let (csrf, cookie) = csrf_for(s, caller);
    let failed = !lines.is_empty() || !errs.summary.is_empty();
    let mut res = html_page(AgenciesPage {
        t,
        nav: nav_of(caller, csrf),
        errs,
        notice,
        q,
        rows,
        can_manage: can_manage_agencies(caller),
        lines,
    });
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    with_cookie(res, cookie)
}

#[derive(serde::Deserialize)]
struct QParam {
    #[serde(default)]
    q: String,
    #[serde(default)]
    msg: String,
}

async fn agencies_page(
    State(s): State<AppState>,
    caller: Caller,
    uri: axum::http::Uri,
) -> Response {
    let p: QParam = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or(QParam {
        q: String::new(),
        msg: String::new(),
    });
    let t = Tr::new(caller.lang);
    let notice = match p.msg.as_str() {
        "saved" => t.s("agencies.saved").to_string(),
        "deleted" => t.s("agencies.deleted").to_string(),
        _ => String::new(),
    };
    agencies_page_with(&s, &caller, p.q, notice, Errs::default(), vec![]).await
}

async fn agencies_import(State(s): State<AppState>, caller: Caller, mut mp: Multipart) -> Response {
    let t = Tr::new(caller.lang);
    let mut csrf = String::new();
    let mut file: Option<(String, Bytes)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let fname = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) if name == "_csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) if name == "file" => file = Some((fname, b)),
                    Ok(_) => {}
                    Err(_) => {
                        return error_page(&s, &caller, &AppError::new(ErrorCode::BodyTooLarge));
                    }
                }
            }
            Ok(None) => break,
            Err(_) => return error_page(&s, &caller, &AppError::new(ErrorCode::ImportFormat)),
        }
    }
    if let Err(e) = caller.check_csrf(&csrf) {
        return error_page(&s, &caller, &e.error);
    }
    let Some((fname, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let errs = Errs::from_app(&t, &AppError::field(ErrorCode::Required, "file"));
        return agencies_page_with(&s, &caller, String::new(), String::new(), errs, vec![]).await;
    };
    let trimmed = bytes
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .copied()
        .next();
    let format = if fname.to_lowercase().ends_with(".json") || trimmed == Some(b'[') {
        Format::Json
    } else {
        Format::Csv
    };
    match s.app.agencies_import(&caller.ctx, format, &bytes).await {
        Ok(r) => {
            let notice = format!("{} {}", t.s("agencies.import_done"), r.inserted);
            agencies_page_with(&s, &caller, String::new(), notice, Errs::default(), vec![]).await
        }
        Err(e) => {
            let lines = e
                .lines
                .iter()
                .map(|l| {
                    let f = l
                        .field
                        .as_deref()
                        .map(|f| format!("{} — ", t.field(f)))
                        .unwrap_or_default();
                    (l.line, format!("{f}{}", t.error(l.code)))
                })
                .collect();
            let errs = Errs::from_app(&t, &e);
            agencies_page_with(&s, &caller, String::new(), String::new(), errs, lines).await
        }
    }
}

#[derive(Default)]
pub struct AgencyFormValues {
    identifier: String,
    parent_identifier: String,
    kind: String,
    name: String,
    short_name: String,
    address: String,
    phone: String,
    email: String,
    valid_from: String,
    valid_to: String,
    gso_code: String,
    note: String,
}

#[derive(Template)]
#[template(path = "agency_form.html")]
struct AgencyFormPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    heading: String,
    action: String,
    f: AgencyFormValues,
    kinds: Vec<(String, String)>,
    delete_id: Option<String>,
}

fn kinds(t: &Tr) -> Vec<(String, String)> {
    AgencyKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_string(),
                t.s(&format!("agencykind.{}", k.as_str())).to_string(),
            )
        })
        .collect()
}

fn values_of(a: &Agency) -> AgencyFormValues {
    let f = &a.fields;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    AgencyFormValues {
        identifier: f.identifier.to_string(),
        parent_identifier: f
            .parent_identifier
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        kind: f.kind.as_str().into(),
        name: f.name.clone(),
        short_name: s(&f.short_name),
        address: s(&f.address),
        phone: s(&f.phone),
        email: s(&f.email),
        valid_from: f.valid_from.map(|d| d.to_string()).unwrap_or_default(),
        valid_to: f.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        gso_code: s(&f.gso_code),
        note: s(&f.note),
    }
}

fn values_from_form(form: &Form) -> AgencyFormValues {
    AgencyFormValues {
        identifier: form.get("identifier"),
        parent_identifier: form.get("parent_identifier"),
        kind: form.get("kind"),
        name: form.get("name"),
        short_name: form.get("short_name"),
        address: form.get("address"),
        phone: form.get("phone"),
        email: form.get("email"),
        valid_from: form.get("valid_from"),
        valid_to: form.get("valid_to"),
        gso_code: form.get("gso_code"),
        note: form.get("note"),
    }
}

fn input_of(form: &Form) -> AgencyInput {
    AgencyInput {
        identifier: form.get("identifier"),
        parent_identifier: form.opt("parent_identifier"),
        kind: form.get("kind"),
        name: form.get("name"),
        short_name: form.opt("short_name"),
        address: form.opt("address"),
        phone: form.opt("phone"),
        email: form.opt("email"),
        valid_from: form.opt("valid_from"),
        valid_to: form.opt("valid_to"),
        gso_code: form.opt("gso_code"),
        level: None,
        note: form.opt("note"),
    }
}

fn agency_form(
    s: &AppState,
    caller: &Caller,
    heading: &str,
    action: String,
    f: AgencyFormValues,
    errs: Errs,
    delete_id: Option<String>,
) -> Response {
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(s, caller);
    let failed = !errs.summary.is_empty();
    let mut res = html_page(AgencyFormPage {
        t,
        nav: nav_of(caller, csrf),
        errs,
        notice: String::new(),
        heading: t.s(heading).into(),
        action,
        f,
        kinds: kinds(&t),
        delete_id,
    });
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    with_cookie(res, cookie)
}

async fn agency_new_form(State(s): State<AppState>, caller: Caller) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    if !can_manage_agencies(&caller) {
        return error_page(&s, &caller, &AppError::new(ErrorCode::Forbidden));
    }
    let f = AgencyFormValues {
        kind: "unit".into(),
        ..Default::default()
    };
    agency_form(
        &s,
        &caller,
        "agencies.new",
        "/quan-tri/co-quan/moi".into(),
        f,
        Errs::default(),
        None,
    )
}

async fn agency_new_submit(State(s): State<AppState>, caller: Caller, body: Bytes) -> Response {
    let form = match accept_form(&s, &caller, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match s.app.agency_create(&caller.ctx, &input_of(&form)).await {
        Ok(_) => see_other("/co-quan?msg=saved"),
        Err(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::Unauthenticated) => {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            let errs = Errs::from_app(&Tr::new(caller.lang), &e);
            agency_form(
                &s,
                &caller,
                "agencies.new",
                "/quan-tri/co-quan/moi".into(),
                values_from_form(&form),
                errs,
                None,
            )
        }
    }
}

async fn agency_edit_form(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = AgencyId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::AgencyNotFound));
    };
    let a = match s.app.agency(&caller.ctx, id).await {
        Ok(a) => a,
        Err(e) => return error_page(&s, &caller, &e),
    };
    if let Err(e) = s
        .app
        .authorize(&caller.ctx, Action::ManageAgency, Target::Agency(&a.path))
    {
        return error_page(&s, &caller, &e);
    }
    agency_form(
        &s,
        &caller,
        "agencies.edit",
        format!("/quan-tri/co-quan/{id}"),
        values_of(&a),
        Errs::default(),
        Some(id.to_string()),
    )
}

async fn agency_edit_submit(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = match accept_form(&s, &caller, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(id) = AgencyId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::AgencyNotFound));
    };
    match s.app.agency_update(&caller.ctx, id, &input_of(&form)).await {
        Ok(_) => see_other("/co-quan?msg=saved"),
        Err(e)
            if matches!(
                e.code,
                ErrorCode::Forbidden | ErrorCode::Unauthenticated | ErrorCode::AgencyNotFound
            ) =>
        {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            let errs = Errs::from_app(&Tr::new(caller.lang), &e);
            agency_form(
                &s,
                &caller,
                "agencies.edit",
                format!("/quan-tri/co-quan/{id}"),
                values_from_form(&form),
                errs,
                Some(id.to_string()),
            )
        }
    }
}

async fn agency_delete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    let Some(id) = AgencyId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::AgencyNotFound));
    };
    match s.app.agency_delete(&caller.ctx, id).await {
        Ok(()) => see_other("/co-quan?msg=deleted"),
        Err(e) => error_page(&s, &caller, &e),
    }
}

// ---------- staff accounts ----------

pub struct UserRow {
    id: String,
    name: String,
    login: String,
    kind: String,
    agency: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    q: String,
    rows: Vec<UserRow>,
    can_create: bool,
}

/// The agency subtrees an actor may list users of: `None` = all, else its grants' agencies.
fn user_scopes(actor: &Actor) -> Option<Vec<AgencyId>> {
    if decide(actor, Action::ViewUsers, Target::Platform) == Decision::Allow {
        return None;
    }
    Some(
        actor
            .grants()
            .iter()
            .filter_map(|g| g.agency)
            .filter(|a| decide(actor, Action::ViewUsers, Target::Agency(&[*a])) == Decision::Allow)
            .collect(),
    )
}

async fn users_page(State(s): State<AppState>, caller: Caller, uri: axum::http::Uri) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let p: QParam = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or(QParam {
        q: String::new(),
        msg: String::new(),
    });
    let t = Tr::new(caller.lang);
    let query = Some(p.q.clone()).filter(|q| !q.trim().is_empty());
    let mut users: Vec<User> = Vec::new();
    let scopes = match user_scopes(&caller.ctx.actor) {
        None => vec![None],
        Some(v) if v.is_empty() => {
            return error_page(&s, &caller, &AppError::new(ErrorCode::Forbidden));
        }
        Some(v) => v.into_iter().map(Some).collect(),
    };
    for scope in scopes {
        let filter = UserFilter {
            agency_subtree: scope,
            kind: None,
            query: query.clone(),
            limit: 200,
            offset: 0,
        };
        match s.app.users(&caller.ctx, filter).await {
            Ok(mut u) => users.append(&mut u),
            Err(e) => return error_page(&s, &caller, &e),
        }
    }
    users.sort_by(|a, b| cqdt_domain::text::vi_cmp(&a.full_name, &b.full_name));
    users.dedup_by_key(|u| u.id);
    let names = agency_names(&s).await;
    let rows = users
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            name: u.full_name.clone(),
            login: u
                .email
                .clone()
                .or_else(|| u.phone.clone())
                .unwrap_or_default(),
            kind: t.s(&format!("kind.{}", u.kind.as_str())).into(),
            agency: u
                .agency_id
                .and_then(|a| names.get(&a).cloned())
                .unwrap_or_default(),
        })
        .collect();
    let notice = if p.msg == "created" {
        t.s("users.created").to_string()
    } else {
        String::new()
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    let can_create = any_scope_allows(&caller.ctx.actor, Action::ManageUsers);
    with_cookie(
        html_page(UsersPage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice,
            q: p.q,
            rows,
            can_create,
        }),
        cookie,
    )
}

#[derive(Default)]
pub struct StaffFormValues {
    full_name: String,
    email: String,
    phone: String,
    agency_identifier: String,
    role: String,
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct UserFormPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    f: StaffFormValues,
    agencies: Vec<(String, String)>,
    roles: Vec<(String, String)>,
}

/// Agencies an actor may manage users in, as (identifier, indented name) for a select.
async fn manageable_agencies(s: &AppState, actor: &Actor) -> Vec<(String, String)> {
    let all = s.app.store.agencies_all().await.unwrap_or_default();
    cqdt_app::agencies::tree_order(all)
        .into_iter()
        .filter(|a| decide(actor, Action::ManageUsers, Target::Agency(&a.path)) == Decision::Allow)
        .map(|a| {
            (
                a.fields.identifier.to_string(),
                format!(
                    "{}{} ({})",
                    "— ".repeat(a.level.saturating_sub(1) as usize),
                    a.fields.name,
                    a.fields.identifier
                ),
            )
        })
        .collect()
}

fn role_options(t: &Tr) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                t.s(&format!("role.{}", r.as_str())).to_string(),
            )
        })
        .collect()
}

async fn user_new_form(State(s): State<AppState>, caller: Caller) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let t = Tr::new(caller.lang);
    let agencies = manageable_agencies(&s, &caller.ctx.actor).await;
    if agencies.is_empty() {
        return error_page(&s, &caller, &AppError::new(ErrorCode::Forbidden));
    }
    let (csrf, cookie) = csrf_for(&s, &caller);
    let f = StaffFormValues {
        role: "specialist".into(),
        ..Default::default()
    };
    with_cookie(
        html_page(UserFormPage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice: String::new(),
            f,
            agencies,
            roles: role_options(&t),
        }),
        cookie,
    )
}

async fn user_new_submit(State(s): State<AppState>, caller: Caller, body: Bytes) -> Response {
    let form = match accept_form(&s, &caller, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = StaffInput {
        full_name: form.get("full_name"),
        email: form.get("email"),
        phone: form.opt("phone"),
        agency_identifier: form.get("agency_identifier"),
        password: form.get("password"),
        roles: form.opt("role").into_iter().collect(),
    };
    match s.app.create_staff(&caller.ctx, &input).await {
        Ok(u) => see_other(&format!("/quan-tri/tai-khoan/{}", u.id)),
        Err(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::Unauthenticated) => {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            let t = Tr::new(caller.lang);
            let (csrf, cookie) = csrf_for(&s, &caller);
            let f = StaffFormValues {
                full_name: input.full_name,
                email: input.email,
                phone: input.phone.unwrap_or_default(),
                agency_identifier: input.agency_identifier,
                role: form.get("role"),
            };
            let agencies = manageable_agencies(&s, &caller.ctx.actor).await;
            let mut res = html_page(UserFormPage {
                t,
                nav: nav_of(&caller, csrf),
                errs: Errs::from_app(&t, &e),
                notice: String::new(),
                f,
                agencies,
                roles: role_options(&t),
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            with_cookie(res, cookie)
        }
    }
}

pub struct GrantView {
    id: String,
    role: String,
    scope: String,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    user: User,
    agency: String,
    grants: Vec<GrantView>,
    agencies: Vec<(String, String)>,
    roles: Vec<(String, String)>,
}

async fn user_page(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    let Some(id) = UserId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::UserNotFound));
    };
    let user = match s.app.user(&caller.ctx, id).await {
        Ok(u) => u,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let t = Tr::new(caller.lang);
    let names = agency_names(&s).await;
    let grants = s
        .app
        .grants(id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|g| GrantView {
            id: g.id.to_string(),
            role: t.s(&format!("role.{}", g.role.as_str())).into(),
            scope: g
                .agency_id
                .and_then(|a| names.get(&a).cloned())
                .unwrap_or_else(|| t.s("role.platform").into()),
        })
        .collect();
    let agency = user
        .agency_id
        .and_then(|a| names.get(&a).cloned())
        .unwrap_or_else(|| t.s("common.none").into());
    let agencies = if user.kind == UserKind::Staff {
        manageable_agencies(&s, &caller.ctx.actor).await
    } else {
        vec![]
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    with_cookie(
        html_page(UserPage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice: String::new(),
            user,
            agency,
            grants,
            agencies,
            roles: role_options(&t),
        }),
        cookie,
    )
}

async fn grant_add(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = match accept_form(&s, &caller, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(uid) = UserId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::UserNotFound));
    };
    let Some(role) = Role::parse(&form.get("role")) else {
        return error_page(
            &s,
            &caller,
            &AppError::field(ErrorCode::RoleInvalid, "role"),
        );
    };
    let agency = match s
        .app
        .agency_by_identifier(&caller.ctx, &form.get("agency_identifier"))
        .await
    {
        Ok(a) => a,
        Err(e) => return error_page(&s, &caller, &e),
    };
    match s
        .app
        .grant_role(&caller.ctx, uid, role, Some(agency.id))
        .await
    {
        Ok(_) => see_other(&format!("/quan-tri/tai-khoan/{uid}")),
        Err(e) => error_page(&s, &caller, &e),
    }
}

async fn grant_revoke(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, gid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    let (Some(uid), Some(gid)) = (UserId::parse(&id), GrantId::parse(&gid)) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::GrantNotFound));
    };
    match s.app.revoke_grant(&caller.ctx, uid, gid).await {
        Ok(()) => see_other(&format!("/quan-tri/tai-khoan/{uid}")),
        Err(e) => error_page(&s, &caller, &e),
    }
}

// ---------- audit log ----------

pub struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    ip: String,
    action: String,
    target: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    rows: Vec<AuditRow>,
    checked: bool,
    intact: bool,
    verify: String,
    next: Option<i64>,
}

/// Local time of Vietnam (UTC+7, no daylight saving) for display.
pub fn local_time(us: i64) -> String {
    let tz = chrono::FixedOffset::east_opt(7 * 3600);
    match (chrono::DateTime::from_timestamp_micros(us), tz) {
        (Some(d), Some(tz)) => d.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S").to_string(),
        _ => String::new(),
    }
}

async fn audit_page(State(s): State<AppState>, caller: Caller, uri: axum::http::Uri) -> Response {
    #[derive(serde::Deserialize)]
    struct P {
        after: Option<i64>,
        /// Walk the whole chain only when asked: it reads every entry.
        #[serde(rename = "kiem-tra")]
        verify: Option<String>,
    }
    let p: P = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or(P {
        after: None,
        verify: None,
    });
    let entries = match s
        .app
        .audit_list(&caller.ctx, p.after.unwrap_or(0), 100)
        .await
    {
        Ok(e) => e,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let checked = p.verify.is_some();
    let (intact, verify) = if !checked {
        (true, String::new())
    } else {
        match s.app.audit_verify().await {
            Ok(VerifyOutcome::Intact { entries }) => (true, entries.to_string()),
            Ok(VerifyOutcome::Broken(b)) => (false, b.to_string()),
            Err(e) => return error_page(&s, &caller, &e),
        }
    };
    let next = if entries.len() == 100 {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: local_time(e.at_us),
            actor: e.actor,
            ip: e.ip.unwrap_or_default(),
            action: e.action,
            target: format!("{}:{}", e.target_type, e.target_id),
        })
        .collect();
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(&s, &caller);
    with_cookie(
        html_page(AuditPage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice: String::new(),
            rows,
            checked,
            intact,
            verify,
            next,
        }),
        cookie,
    )
}

// ---------- API keys ----------

pub struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "apikeys.html")]
struct KeysPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    rows: Vec<KeyRow>,
    scopes: Vec<&'static str>,
    new_token: Option<String>,
}

async fn keys_page_with(
    s: &AppState,
    caller: &Caller,
    errs: Errs,
    new_token: Option<String>,
) -> Response {
    let keys = match s.app.api_keys(&caller.ctx).await {
        Ok(k) => k,
        Err(e) => return error_page(s, caller, &e),
    };
    let rows = keys
        .iter()
        .map(|k| KeyRow {
            id: k.id.to_string(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: k.scopes.join(" "),
            revoked: k.revoked_at_us.is_some(),
        })
        .collect();
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(s, caller);
    let failed = !errs.summary.is_empty();
    let mut res = html_page(KeysPage {
        t,
        nav: nav_of(caller, csrf),
        errs,
        notice: String::new(),
        rows,
        scopes: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        new_token,
    });
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    with_cookie(res, cookie)
}

async fn keys_page(State(s): State<AppState>, caller: Caller) -> Response {
    keys_page_with(&s, &caller, Errs::default(), None).await
}

async fn keys_create(State(s): State<AppState>, caller: Caller, body: Bytes) -> Response {
    let form = match accept_form(&s, &caller, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let scopes: Vec<String> = Scope::ALL
        .iter()
        .filter(|sc| form.0.contains_key(&format!("scope_{}", sc.as_str())))
        .map(|sc| sc.as_str().to_string())
        .collect();
    match s
        .app
        .api_key_create(&caller.ctx, &form.get("name"), &scopes, None)
        .await
    {
        Ok(k) => keys_page_with(&s, &caller, Errs::default(), Some(k.token)).await,
        Err(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::Unauthenticated) => {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            keys_page_with(&s, &caller, Errs::from_app(&Tr::new(caller.lang), &e), None).await
        }
    }
}

async fn keys_revoke(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    let Some(id) = ApiKeyId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::ApiKeyNotFound));
    };
    match s.app.api_key_revoke(&caller.ctx, id).await {
        Ok(()) => see_other("/quan-tri/khoa-api"),
        Err(e) => error_page(&s, &caller, &e),
    }
}

// ---------- working calendar ----------

/// One day in a month grid.
pub struct CalCell {
    day: u32,
    /// CSS class of the kind of day.
    class: &'static str,
    /// The visible mark of the kind (never colour alone); empty for plain days.
    symbol: &'static str,
    /// The kind in words (for the title and screen readers); empty for plain days.
    kind: String,
    /// Holiday name or reason.
    name: String,
    /// Lunar day, with the month on the first day of a lunar month ("1/3", "1/6N").
    lunar: String,
    /// Tết (mùng 1) or Giỗ Tổ: marked in the grid.
    special: String,
    today: bool,
}

impl CalCell {
    /// The `title` attribute: name and kind.
    fn title(&self) -> String {
        match (self.name.is_empty(), self.kind.is_empty()) {
            (true, true) => String::new(),
            (true, false) => self.kind.clone(),
            (false, true) => self.name.clone(),
            (false, false) => format!("{} — {}", self.name, self.kind),
        }
    }
}

/// A month grid: weeks from Monday to Sunday.
pub struct CalMonth {
    caption: String,
    working_days: usize,
    weeks: Vec<Vec<Option<CalCell>>>,
}

/// A day off or a worked weekend day, for the list under the grids.
pub struct CalSpecial {
    date: String,
    weekday: String,
    symbol: &'static str,
    kind: String,
    name: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    year: i32,
    prev: Option<i32>,
    next: Option<i32>,
    first_year: i32,
    last_year: i32,
    version: String,
    working_days: u32,
    source: String,
    stored: bool,
    tet: String,
    gio_to: String,
    leap_month: Option<u8>,
    hours: String,
    weekdays: Vec<(String, String)>,
    legend: Vec<(&'static str, &'static str, String)>,
    specials: Vec<CalSpecial>,
    months: Vec<CalMonth>,
    can_manage: bool,
    notice_text: String,
    detail: String,
}

/// CSS class and mark of a kind of day, and its catalogue key.
fn kind_style(kind: DayKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        DayKind::Working => ("working", "", ""),
        DayKind::WeeklyRest => ("rest", "", ""),
        DayKind::Holiday => ("holiday", "★", "calendar.kind.holiday"),
        DayKind::Compensatory => ("compensatory", "◆", "calendar.kind.compensatory"),
        DayKind::SwappedOff => ("swapped-off", "○", "calendar.kind.swapped_off"),
        DayKind::SwappedWorking => ("swapped-working", "●", "calendar.kind.swapped_working"),
    }
}

fn dmy(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn hm(t: chrono::NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// Today's date in Vietnam by the application's clock.
fn today_vn(s: &AppState) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp_micros(s.app.now_us())
        .map(|d| to_local(d).date())
        .unwrap_or_default()
}

fn month_grids(t: &Tr, view: &YearView, today: chrono::NaiveDate) -> Vec<CalMonth> {
    let mut months: Vec<CalMonth> = (1..=12)
        .map(|m| CalMonth {
            caption: format!("{} {}", t.s(&format!("calendar.m{m}")), view.year),
            working_days: 0,
            weeks: vec![],
        })
        .collect();
    for d in &view.days {
        let Some(month) = months.get_mut(d.date.month0() as usize) else {
            continue;
        };
        if month.weeks.is_empty() || d.weekday == 1 {
            // A new week; the first week of the month starts with blanks before its first day.
            let mut week: Vec<Option<CalCell>> = Vec::with_capacity(7);
            for _ in 1..d.weekday {
                week.push(None);
            }
            month.weeks.push(week);
        }
        if d.working {
            month.working_days += 1;
        }
        let (class, symbol, key) = kind_style(d.kind);
        let special = if d.date == view.tet {
            t.s("calendar.tet_day")
        } else if d.date == view.gio_to_hung_vuong {
            t.s("calendar.gio_to_day")
        } else {
            ""
        };
        let lunar = if d.lunar.day == 1 || d.date.day() == 1 {
            format!(
                "{}/{}{}",
                d.lunar.day,
                d.lunar.month,
                if d.lunar.leap { "N" } else { "" }
            )
        } else {
            d.lunar.day.to_string()
        };
        let cell = CalCell {
            day: d.date.day(),
            class,
            symbol,
            kind: if key.is_empty() {
                String::new()
            } else {
                t.s(key).to_string()
            },
            name: d.name.clone().unwrap_or_default(),
            lunar,
            special: special.to_string(),
            today: d.date == today,
        };
        if let Some(week) = month.weeks.last_mut() {
            week.push(Some(cell));
        }
    }
    for m in &mut months {
        if let Some(week) = m.weeks.last_mut() {
            while week.len() < 7 {
                week.push(None);
            }
        }
    }
    months
}

#[allow(clippy::too_many_arguments)]
async fn calendar_page_with(
    s: &AppState,
    caller: &Caller,
    year: i32,
    notice: String,
    errs: Errs,
    notice_text: Option<String>,
    detail: String,
) -> Response {
    let t = Tr::new(caller.lang);
    let y = match s.app.calendar_year(&caller.ctx, year).await {
        Ok(y) => y,
        Err(e) => return error_page(s, caller, &e),
    };
    let can_manage =
        decide(&caller.ctx.actor, Action::ManageCalendar, Target::Platform) == Decision::Allow;
    let notice_text = match notice_text {
        Some(text) => text,
        None if can_manage => s
            .app
            .calendar_notice_draft(&caller.ctx, year)
            .await
            .unwrap_or_default(),
        None => String::new(),
    };
    let view = &y.view;
    let source = match &view.source {
        YearSource::Notice {
            legal_reference,
            version,
            status,
        } => {
            let status = match status {
                NoticeStatus::Confirmed => t.s("calendar.status_confirmed"),
                NoticeStatus::Reconstructed => t.s("calendar.status_reconstructed"),
            };
            let origin = if y.stored {
                t.s("calendar.source_stored")
            } else {
                t.s("calendar.source_bundled")
            };
            format!(
                "{legal_reference} ({} {version}; {status}; {origin})",
                t.s("calendar.notice_version")
            )
        }
        YearSource::Rules { version } => {
            format!(
                "{}; {} {version}",
                t.s("calendar.source_rules"),
                t.s("calendar.rules_version")
            )
        }
    };
    let hours = WorkingHoursSpec::from(WorkingHours::default());
    let weekday_name = |n: u32| t.s(&format!("calendar.wd{n}_full")).to_string();
    let mut specials: Vec<CalSpecial> = view
        .days_off
        .iter()
        .chain(view.working_weekend_days.iter())
        .map(|e| {
            let (_, symbol, key) = kind_style(e.kind);
            CalSpecial {
                date: dmy(e.date),
                weekday: weekday_name(e.date.weekday().number_from_monday()),
                symbol,
                kind: t.s(key).to_string(),
                name: e.name.clone(),
            }
        })
        .collect();
    // Both lists are in date order; merge them by date (dd/mm/yyyy does not sort).
    specials.sort_by_key(|c| {
        chrono::NaiveDate::parse_from_str(&c.date, "%d/%m/%Y").unwrap_or_default()
    });
    let legend = [
        DayKind::Holiday,
        DayKind::Compensatory,
        DayKind::SwappedOff,
        DayKind::SwappedWorking,
    ]
    .into_iter()
    .map(|k| {
        let (class, symbol, key) = kind_style(k);
        (symbol, class, t.s(key).to_string())
    })
    .collect();
    let years = cqdt_domain::calendar::working::DEFAULT_YEARS;
    let (csrf, cookie) = csrf_for(s, caller);
    let failed = !errs.summary.is_empty();
    let page = CalendarPage {
        t,
        nav: nav_of(caller, csrf),
        errs,
        notice,
        year,
        prev: Some(year - 1).filter(|y| years.contains(y)),
        next: Some(year + 1).filter(|y| years.contains(y)),
        first_year: *years.start(),
        last_year: *years.end(),
        version: view.calendar_version.clone(),
        working_days: view.working_days,
        source,
        stored: y.stored,
        tet: format!(
            "{}, {}",
            weekday_name(view.tet.weekday().number_from_monday()),
            dmy(view.tet)
        ),
        gio_to: format!(
            "{}, {}",
            weekday_name(view.gio_to_hung_vuong.weekday().number_from_monday()),
            dmy(view.gio_to_hung_vuong)
        ),
        leap_month: view.leap_month,
        hours: format!(
            "{}–{}, {}–{}",
            hm(hours.morning.start),
            hm(hours.morning.end),
            hm(hours.afternoon.start),
            hm(hours.afternoon.end)
        ),
        weekdays: (1..=7)
            .map(|n| (t.s(&format!("calendar.wd{n}")).to_string(), weekday_name(n)))
            .collect(),
        legend,
        specials,
        months: month_grids(&t, view, today_vn(s)),
        can_manage,
        notice_text,
        detail,
    };
    let mut res = html_page(page);
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    with_cookie(res, cookie)
}

#[derive(serde::Deserialize, Default)]
struct CalendarQuery {
    #[serde(default)]
    nam: String,
    #[serde(default)]
    msg: String,
}

/// `/lich-lam-viec?nam=2025`: the year as a calendar; public, with the notice form for
/// administrators.
async fn calendar_page(
    State(s): State<AppState>,
    caller: Caller,
    uri: axum::http::Uri,
) -> Response {
    let q: CalendarQuery =
        serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    let year = q
        .nam
        .trim()
        .parse::<i32>()
        .unwrap_or_else(|_| today_vn(&s).year());
    let t = Tr::new(caller.lang);
    let notice = match q.msg.as_str() {
        "saved" => t.s("calendar.saved").to_string(),
        "deleted" => t.s("calendar.deleted").to_string(),
        _ => String::new(),
    };
    calendar_page_with(
        &s,
        &caller,
        year,
        notice,
        Errs::default(),
        None,
        String::new(),
    )
    .await
}

/// The notice form's fields: from a multipart form (file upload and text box) or a plain
/// urlencoded one. A chosen file wins over the text box.
async fn notice_form(
    s: &AppState,
    caller: &Caller,
    req: axum::extract::Request,
) -> Result<(String, String), Response> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(req, s)
            .await
            .map_err(|_| error_page(s, caller, &AppError::new(ErrorCode::BodyTooLarge)))?;
        let form = accept_form(s, caller, &body)?;
        return Ok((form.get("nam"), form.get(cqdt_app::calendar::NOTICE_FIELD)));
    }
    let mut mp = Multipart::from_request(req, s)
        .await
        .map_err(|_| error_page(s, caller, &AppError::new(ErrorCode::InvalidFormat)))?;
    let (mut csrf, mut year, mut text, mut file) =
        (String::new(), String::new(), String::new(), None);
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| error_page(s, caller, &AppError::new(ErrorCode::BodyTooLarge)))?;
                let as_text = || {
                    String::from_utf8(bytes.to_vec())
                        .map_err(|_| error_page(s, caller, &AppError::new(ErrorCode::InvalidUtf8)))
                };
                match name.as_str() {
                    "_csrf" => csrf = as_text()?,
                    "nam" => year = as_text()?,
                    "notice" => text = as_text()?,
                    "file" if !bytes.is_empty() => file = Some(as_text()?),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                return Err(error_page(
                    s,
                    caller,
                    &AppError::new(ErrorCode::InvalidFormat),
                ));
            }
        }
    }
    caller
        .check_csrf(&csrf)
        .map_err(|e| error_page(s, caller, &e.error))?;
    let text = file.unwrap_or(text);
    Ok((year, text.trim_start_matches('\u{feff}').to_string()))
}

/// Save the notice of the year shown (administrators).
async fn calendar_notice_submit(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> Response {
    let (year, text) = match notice_form(&s, &caller, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let t = Tr::new(caller.lang);
    let Ok(year) = year.trim().parse::<i32>() else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::RouteNotFound));
    };
    let field_err = |e: AppError| Errs::from_app(&t, &e);
    if text.trim().is_empty() {
        let e = AppError::field(ErrorCode::Required, cqdt_app::calendar::NOTICE_FIELD);
        return calendar_page_with(
            &s,
            &caller,
            year,
            String::new(),
            field_err(e),
            Some(text),
            String::new(),
        )
        .await;
    }
    // The form belongs to the year shown: a notice of another year is refused here.
    let stated = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("year").and_then(serde_json::Value::as_i64));
    if stated.is_some_and(|y| y != i64::from(year)) {
        let e = AppError::field(
            ErrorCode::CalendarYearMismatch,
            cqdt_app::calendar::NOTICE_FIELD,
        );
        return calendar_page_with(
            &s,
            &caller,
            year,
            String::new(),
            field_err(e),
            Some(text),
            String::new(),
        )
        .await;
    }
    match s.app.calendar_notice_put(&caller.ctx, &text).await {
        Ok(_) => see_other(&format!("/lich-lam-viec?nam={year}&msg=saved")),
        Err(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::Unauthenticated) => {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            // The engine's own explanation (which date, which rule) helps the administrator
            // fix the file; it is shown under the catalogue message, never instead of it.
            let detail = e
                .detail
                .as_deref()
                .map(|d| d.split_once(": ").map(|(_, m)| m).unwrap_or(d).to_string())
                .unwrap_or_default();
            calendar_page_with(
                &s,
                &caller,
                year,
                String::new(),
                field_err(e),
                Some(text),
                detail,
            )
            .await
        }
    }
}

/// Remove the stored notice of a year (administrators).
async fn calendar_notice_remove(
    State(s): State<AppState>,
    caller: Caller,
    Path(year): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    let Ok(year) = year.trim().parse::<i32>() else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::RouteNotFound));
    };
    match s.app.calendar_notice_delete(&caller.ctx, year).await {
        Ok(_) => see_other(&format!("/lich-lam-viec?nam={year}&msg=deleted")),
        Err(e) => error_page(&s, &caller, &e),
    }
}

/// Context helper for tests.
pub fn ctx(caller: &Caller) -> &Ctx {
    &caller.ctx
}

/// The page routes (Vietnamese paths).
pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/ngon-ngu/{code}", get(switch_lang))
        .route("/dang-nhap", get(login_form).post(login_submit))
        .route("/dang-xuat", post(logout))
        .route("/dang-ky", get(register_form).post(register_submit))
        .route("/tai-khoan", get(profile))
        .route("/tai-khoan/dang-xuat-tat-ca", post(logout_all))
        .route("/co-quan", get(agencies_page))
        .route(
            "/quan-tri/co-quan/nhap",
            post(agencies_import).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/quan-tri/co-quan/moi",
            get(agency_new_form).post(agency_new_submit),
        )
        .route(
            "/quan-tri/co-quan/{id}",
            get(agency_edit_form).post(agency_edit_submit),
        )
        .route("/quan-tri/co-quan/{id}/xoa", post(agency_delete))
        .route("/quan-tri/tai-khoan", get(users_page))
        .route(
            "/quan-tri/tai-khoan/moi",
            get(user_new_form).post(user_new_submit),
        )
        .route("/quan-tri/tai-khoan/{id}", get(user_page))
        .route("/quan-tri/tai-khoan/{id}/quyen", post(grant_add))
        .route(
            "/quan-tri/tai-khoan/{id}/quyen/{gid}/thu-hoi",
            post(grant_revoke),
        )
        .route("/quan-tri/nhat-ky", get(audit_page))
        .route("/quan-tri/khoa-api", get(keys_page).post(keys_create))
        .route("/quan-tri/khoa-api/{id}/thu-hoi", post(keys_revoke))
        .route("/lich-lam-viec", get(calendar_page))
        .route(
            "/quan-tri/lich-lam-viec/thong-bao",
            post(calendar_notice_submit).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/quan-tri/lich-lam-viec/{year}/xoa",
            post(calendar_notice_remove),
        )
        .merge(portal::routes(upload_limit))
        .merge(desk::routes(upload_limit))
        .merge(documents::routes(upload_limit))
        .merge(signatures::routes(upload_limit))
}
