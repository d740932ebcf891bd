//! Request extractors that turn every malformed input into a stable error code instead of a
//! framework default: JSON bodies, forms and queries.

use crate::problem::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use cqdt_app::AppError;
use cqdt_domain::ErrorCode;
use serde::de::DeserializeOwned;

/// Parse JSON text into `T`, mapping serde's complaints to stable codes and the field name.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let text = std::str::from_utf8(bytes).map_err(|_| AppError::new(ErrorCode::InvalidUtf8))?;
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let quoted = || msg.split('`').nth(1).map(str::to_string);
        if msg.starts_with("unknown field") {
            AppError {
                field: quoted(),
                ..AppError::new(ErrorCode::UnknownField)
            }
        } else if msg.starts_with("missing field") {
            AppError {
                field: quoted(),
                ..AppError::new(ErrorCode::MissingField)
            }
        } else if e.is_data() {
            AppError::new(ErrorCode::InvalidFormat).with_detail(msg)
        } else {
            AppError::new(ErrorCode::MalformedJson).with_detail(msg)
        }
    })
}

/// A JSON body: requires `Content-Type: application/json`, valid UTF-8, no unknown fields.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> Json<T> {
    /// The extractor's checks on a request already taken apart by a handler.
    pub async fn from_request_json<S: Send + Sync>(
        req: Request,
        state: &S,
    ) -> Result<Self, ApiError> {
        <Self as FromRequest<S>>::from_request(req, state).await
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = crate::auth::lang_of(req.headers());
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let m = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType).lang(lang));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::new(ErrorCode::BodyTooLarge).lang(lang))?;
        parse_json(&bytes)
            .map(Json)
            .map_err(|e| ApiError { error: e, lang })
    }
}

/// Query parameters with a stable error on bad input.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q).map(Query).map_err(|e| {
            ApiError::from(AppError::new(ErrorCode::InvalidQuery).with_detail(e.to_string()))
                .lang(crate::auth::lang_of(&parts.headers))
        })
    }
}

/// Raw body bytes with a size-limit error in the problem format.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = crate::auth::lang_of(req.headers());
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|_| ApiError::new(ErrorCode::BodyTooLarge).lang(lang))
    }
}
