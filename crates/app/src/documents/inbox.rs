//! The inbound edXML port: packages and status messages posted by other document systems
//! (`POST /api/v1/edxml/…`). The web layer hands the request's signing headers and body to
//! [`EdxmlInbox::receive`]; `cqdt-exchange`'s `edxml_node` checks the request signature, the
//! XML signature against the trusted CAs, parses with limits and registers the package as
//! arrived (or records the status). [`UnavailableEdxmlInbox`] refuses everything.

use async_trait::async_trait;
use cqdt_domain::ids::{AgencyId, DocumentId};
use serde::Serialize;

use crate::App;
use crate::error::AppResult;

/// What was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdxmlKind {
    /// A document package (gói tin văn bản).
    Package,
    /// A status message (gói tin trạng thái).
    Status,
}

/// What a received package or status became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdxmlReceipt {
    pub kind: EdxmlKind,
    /// The arrived document (package) or the sender's document the status was recorded on.
    pub document_id: DocumentId,
    pub agency_id: AgencyId,
    /// edXML DocumentId.
    pub edxml_document_id: String,
    /// The package had been received before (nothing new was stored).
    pub duplicate: bool,
    /// The system id of the authenticated sender (HTTP); `None` for folder imports.
    pub system_id: Option<String>,
}

#[async_trait]
pub trait EdxmlInbox: Send + Sync {
    /// Authenticate (HMAC headers, lower-case names), verify, parse and register `body`.
    async fn receive(
        &self,
        app: &App,
        kind: EdxmlKind,
        headers: &[(String, String)],
        body: &[u8],
    ) -> AppResult<EdxmlReceipt>;
}

/// No edXML exchange configured: every request is refused (`edxml.unavailable`).
#[derive(Debug, Default)]
pub struct UnavailableEdxmlInbox;

#[async_trait]
impl EdxmlInbox for UnavailableEdxmlInbox {
    async fn receive(
        &self,
        _app: &App,
        _kind: EdxmlKind,
        _headers: &[(String, String)],
        _body: &[u8],
    ) -> AppResult<EdxmlReceipt> {
        Err(
            crate::AppError::new(cqdt_domain::ErrorCode::EdxmlUnavailable)
                .with_detail("no edXML exchange is configured"),
        )
    }
}
