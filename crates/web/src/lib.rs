//! HTTP layer of cqdt: the JSON API under `/api/v1` (OpenAPI at `/api/v1/openapi.json`,
//! browsable at `/api/docs`), the Vietnamese HTML pages, sessions, CSRF, static assets
//! embedded in the binary, health and readiness probes.
//!
//! Architecture invariant: handlers translate HTTP to use-case calls and back; they make no
//! authorization decisions and run no SQL.

pub mod api;
pub mod auth;
pub mod extract;
pub mod i18n;
pub mod pages;
pub mod problem;
pub mod registers;
pub mod state;

use crate::auth::lang_of;
use crate::problem::ApiError;
pub use crate::state::{AppState, WebConfig};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cqdt_domain::ErrorCode;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;

/// The CSS of the pages, embedded.
pub const APP_CSS: &str = include_str!("../static/app.css");

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(s): State<AppState>) -> Response {
    if !s.ready.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match s.app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

async fn css() -> Response {
    let mut r = APP_CSS.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

async fn openapi_json() -> Response {
    let doc = api::ApiDoc::openapi();
    let mut r = doc.to_pretty_json().unwrap_or_default().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// For API paths, turn any error answer that is not already a problem document (framework
/// rejections: 404 route, 405 method, 413 size, bad path segments) into one.
async fn api_problems(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let lang = lang_of(req.headers());
    let res = next.run(req).await;
    if !is_api {
        return res;
    }
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let code = match status {
            StatusCode::NOT_FOUND => ErrorCode::RouteNotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            s if s.is_client_error() => ErrorCode::InvalidQuery,
            _ => ErrorCode::Internal,
        };
        return ApiError::new(code).lang(lang).into_response();
    }
    res
}

/// Count requests and their latency for Prometheus, by route template (not by raw path, so the
/// number of series stays bounded).
async fn track_metrics(req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("cqdt_http_requests_total", &labels).increment(1);
    metrics::histogram!("cqdt_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    res
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("handler panicked");
    ApiError::new(ErrorCode::Internal).into_response()
}

async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::new(ErrorCode::RouteNotFound)
            .lang(lang_of(req.headers()))
            .into_response()
    } else {
        pages::not_found(crate::auth::page_lang(req.headers()))
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let swagger = utoipa_swagger_ui::SwaggerUi::new("/api/docs");
    Router::new()
        .merge(api::routes(state.web.upload_limit))
        .route("/api/v1/openapi.json", get(openapi_json))
        .merge(pages::routes(state.web.upload_limit))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/app.css", get(css))
        .fallback(fallback)
        .route_layer(middleware::from_fn(track_metrics))
        .with_state(state.clone())
        .merge(Router::from(swagger.config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json"))))
        .layer(axum::extract::DefaultBodyLimit::max(state.web.body_limit))
        .layer(middleware::from_fn(api_problems))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(60)))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
