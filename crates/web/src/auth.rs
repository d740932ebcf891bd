//! Who is calling: session cookie or API key, the request's language and address, and CSRF
//! protection for forms and cookie-authenticated API writes.

use crate::i18n::Lang;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use cqdt_app::Ctx;
use cqdt_app::accounts::Session;
use cqdt_domain::ErrorCode;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "cqdt_session";
pub const CSRF_COOKIE: &str = "cqdt_csrf";
pub const LANG_COOKIE: &str = "cqdt_lang";

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The language: the `cqdt_lang` cookie, then `Accept-Language` (first of vi/en), else vi.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    if let Some(l) = cookie(headers, LANG_COOKIE).and_then(|c| Lang::parse(&c)) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|p| Lang::parse(p.split(';').next().unwrap_or("")))
                .next()
        })
        .unwrap_or(Lang::Vi)
}

/// The language of a page: Vietnamese unless the person chose English with the switch (many
/// browsers in Vietnam send an English `Accept-Language`; the pages stay Vietnamese for them).
pub fn page_lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or(Lang::Vi)
}

/// `Set-Cookie` value with the platform's flags.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: Option<i64>,
    secure: bool,
    http_only: bool,
) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age_secs {
        c.push_str(&format!("; Max-Age={a}"));
    }
    c
}

/// The caller of a request.
pub struct Caller {
    pub ctx: Ctx,
    pub session: Option<Session>,
    pub lang: Lang,
    pub ip: Option<String>,
    /// Authenticated with a bearer API key (no CSRF needed).
    pub by_key: bool,
    /// The double-submit token for anonymous forms (from the cookie, if any).
    pub anon_csrf: Option<String>,
}

impl Caller {
    /// The CSRF token pages put in their forms.
    pub fn csrf_token(&self) -> String {
        match &self.session {
            Some(s) => s.csrf_token.clone(),
            None => self.anon_csrf.clone().unwrap_or_default(),
        }
    }

    /// Check the token a form sent.
    pub fn check_csrf(&self, sent: &str) -> Result<(), ApiError> {
        let expected = self.csrf_token();
        if expected.is_empty() || !constant_eq(expected.as_bytes(), sent.as_bytes()) {
            return Err(ApiError::new(ErrorCode::CsrfFailed).lang(self.lang));
        }
        Ok(())
    }

    pub fn require_login(&self) -> Result<&Session, ApiError> {
        self.session
            .as_ref()
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated).lang(self.lang))
    }
}

pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn client_ip(parts: &Parts, trust_proxy: bool) -> Option<String> {
    if trust_proxy
        && let Some(f) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(first) = f.split(',').next().map(str::trim).filter(|s| !s.is_empty())
    {
        return Some(first.to_string());
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = if parts.uri.path().starts_with("/api/") {
            lang_of(&parts.headers)
        } else {
            page_lang(&parts.headers)
        };
        let ip = client_ip(parts, state.web.trust_proxy);
        let anon_csrf =
            cookie(&parts.headers, CSRF_COOKIE).filter(|c| c.len() >= 16 && c.len() <= 100);
        // Bearer API key.
        if let Some(auth) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            && let Some(token) = auth.strip_prefix("Bearer ")
        {
            return match state
                .app
                .api_key_actor(token.trim())
                .await
                .map_err(|e| ApiError { error: e, lang })?
            {
                Some(mut ctx) => {
                    ctx.ip = ip.clone();
                    Ok(Caller {
                        ctx,
                        session: None,
                        lang,
                        ip,
                        by_key: true,
                        anon_csrf,
                    })
                }
                None => Err(ApiError::new(ErrorCode::Unauthenticated).lang(lang)),
            };
        }
        let session = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) => state
                .app
                .session(&token)
                .await
                .map_err(|e| ApiError { error: e, lang })?,
            None => None,
        };
        let ctx = match &session {
            Some(s) => s.ctx(ip.clone()),
            None => Ctx::anonymous(ip.clone()),
        };
        let lang = session
            .as_ref()
            .and_then(|_| cookie(&parts.headers, LANG_COOKIE))
            .and_then(|c| Lang::parse(&c))
            .unwrap_or(lang);
        let caller = Caller {
            ctx,
            session,
            lang,
            ip,
            by_key: false,
            anon_csrf,
        };
        // Cookie-authenticated writes to the API need the CSRF header.
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if unsafe_method && caller.session.is_some() && parts.uri.path().starts_with("/api/") {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            caller.check_csrf(sent)?;
        }
        Ok(caller)
    }
}
