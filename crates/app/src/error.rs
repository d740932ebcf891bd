//! The application error: a stable code (from the domain's list), the field it concerns,
//! line-numbered errors for imports, and a detail for logs only.

use cqdt_domain::{DomainError, ErrorCode};
use serde::Serialize;

/// One bad line of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: usize,
    pub field: Option<String>,
    pub code: ErrorCode,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}{}{}", field.as_ref().map(|f| format!(" [{f}]")).unwrap_or_default(), detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct AppError {
    pub code: ErrorCode,
    pub field: Option<String>,
    pub lines: Vec<LineError>,
    /// For logs and operators; never replaces the catalogue message shown to people.
    pub detail: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        AppError {
            code,
            field: None,
            lines: vec![],
            detail: None,
        }
    }
    pub fn field(code: ErrorCode, field: impl Into<String>) -> Self {
        AppError {
            code,
            field: Some(field.into()),
            lines: vec![],
            detail: None,
        }
    }
    pub fn with_detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        AppError::new(ErrorCode::Internal).with_detail(detail)
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError {
            code: e.code,
            field: e.field,
            lines: vec![],
            detail: None,
        }
    }
}
