//! Errors rendered for the API as `application/problem+json` (RFC 9457) with the stable code
//! and the Vietnamese (or English) message from the catalogue.

use crate::i18n::{Lang, Tr};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cqdt_app::{AppError, LineError};
use cqdt_domain::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

/// One line of an import that failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemLine {
    pub line: usize,
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

/// The problem document every API error answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:cqdt:error:<code>`
    #[serde(rename = "type")]
    pub type_: String,
    /// The message in the request's language (Vietnamese by default).
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `agency.identifier_invalid`.
    pub code: String,
    /// The field the error concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The field's label in the request's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_label: Option<String>,
    /// Line-numbered errors of an import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemLine>,
}

/// An API error: the app error plus the language to render it in.
#[derive(Debug)]
pub struct ApiError {
    pub error: AppError,
    pub lang: Lang,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            error: AppError::new(code),
            lang: Lang::Vi,
        }
    }
    pub fn lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError {
            error,
            lang: Lang::Vi,
        }
    }
}

pub fn problem_of(error: &AppError, lang: Lang) -> Problem {
    let t = Tr::new(lang);
    let line = |l: &LineError| ProblemLine {
        line: l.line,
        field: l.field.clone(),
        code: l.code.as_str().to_string(),
        message: t.error(l.code).to_string(),
    };
    Problem {
        type_: format!("urn:cqdt:error:{}", error.code.as_str()),
        title: t.error(error.code).to_string(),
        status: error.code.http_status(),
        code: error.code.as_str().to_string(),
        field: error.field.clone(),
        field_label: error.field.as_deref().map(|f| t.field(f)),
        errors: error.lines.iter().map(line).collect(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.error.code == ErrorCode::Internal
            || self.error.code == ErrorCode::StorageUnavailable
        {
            tracing::error!(code = %self.error.code, detail = ?self.error.detail, "request failed");
        } else {
            tracing::debug!(code = %self.error.code, detail = ?self.error.detail, "request refused");
        }
        let p = problem_of(&self.error, self.lang);
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&p).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(self.lang.code()),
        );
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
