//! `/api/v1/edxml/…`: signed edXML packages and status messages posted by other document
//! systems (system to system: no session, no API key). The request is authenticated by its
//! HMAC headers (`X-System-Id`, `X-Timestamp`, `X-Signature`, over `Content-Type` and the
//! body) and refused when replayed; the package's own XML signature must verify against the
//! trusted CAs; then it is parsed within limits and registered as arrived in the inbox of the
//! agency its `To` names (or the status is recorded). The work is the app's `EdxmlInbox`
//! (`cqdt_exchange::edxml_node` in the server). See `docs/edxml-transport.md`.

use crate::extract::Body;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cqdt_app::documents::{EdxmlKind, EdxmlReceipt};
use serde::Serialize;
use utoipa::ToSchema;

/// What a received package or status became.
#[derive(Debug, Serialize, ToSchema)]
pub struct EdxmlReceiptDto {
    /// `package` or `status`.
    pub kind: String,
    /// The arrived document (package), or the sender's document the status was recorded on.
    #[schema(format = Uuid)]
    pub document_id: String,
    /// The receiving agency (package) or the sending agency (status).
    #[schema(format = Uuid)]
    pub agency_id: String,
    /// The edXML DocumentId.
    pub edxml_document_id: String,
    /// The package had been received before: nothing new was stored.
    pub duplicate: bool,
    /// The authenticated sending system.
    pub system_id: Option<String>,
}

impl From<EdxmlReceipt> for EdxmlReceiptDto {
    fn from(r: EdxmlReceipt) -> Self {
        EdxmlReceiptDto {
            kind: match r.kind {
                EdxmlKind::Package => "package",
                EdxmlKind::Status => "status",
            }
            .into(),
            document_id: r.document_id.to_string(),
            agency_id: r.agency_id.to_string(),
            edxml_document_id: r.edxml_document_id,
            duplicate: r.duplicate,
            system_id: r.system_id,
        }
    }
}

/// The request headers the signature covers, lower-case names (values not text are kept,
/// lossily: they then fail the signature check rather than look absent).
fn signing_headers(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "x-system-id" | "x-timestamp" | "x-signature" | "content-type"
            )
        })
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

async fn receive(
    s: &AppState,
    kind: EdxmlKind,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<EdxmlReceipt> {
    let lang = crate::auth::lang_of(headers);
    s.app
        .edxml_inbox
        .receive(&s.app, kind, &signing_headers(headers), body)
        .await
        .map_err(|e| ApiError::from(e).lang(lang))
}

/// Receive a signed edXML package (gói tin văn bản, QCVN 102:2016) from another system: it
/// becomes an arrived document in the inbox of the agency named by `To` (idempotent by the
/// edXML DocumentId: a repeat answers 200 with `duplicate`).
#[utoipa::path(post, path = "/api/v1/edxml/packages", tag = "edxml",
    params(
        ("X-System-Id" = String, Header, description = "The sending system's id (registered in `[exchange] peers`)"),
        ("X-Timestamp" = String, Header, description = "Signing time, `ddMMyyyyTHHmmss+SSSS` (Vietnam time), within 5 minutes of ours"),
        ("X-Signature" = String, Header, description = "Lowercase hex HMAC-SHA256 with the shared secret over system id + timestamp + content type + body"),
    ),
    request_body(description = "The signed edXML package (enveloped XML-DSig)", content(("application/xml"))),
    responses(
        (status = 201, body = EdxmlReceiptDto, description = "Registered as arrived"),
        (status = 200, body = EdxmlReceiptDto, description = "Received before (same DocumentId); nothing new stored"),
        (status = 400, body = Problem, description = "Missing or malformed signing headers (`exchange.header_malformed`), or XML refused (`edxml.malformed`: not well-formed, DOCTYPE, too deep, too many attributes…)"),
        (status = 401, body = Problem, description = "Unknown system (`exchange.system_unknown`), wrong HMAC (`exchange.signature_invalid`), stale timestamp (`exchange.timestamp_stale`)"),
        (status = 409, body = Problem, description = "The same signed request again (`exchange.request_replayed`)"),
        (status = 413, body = Problem, description = "The package is too large (`edxml.too_large`)"),
        (status = 422, body = Problem, description = "Not signed (`edxml.not_signed`), signature invalid or package changed (`edxml.signature_invalid`), untrusted certificate (`edxml.certificate_untrusted`), no such receiving agency (`edxml.recipient_unknown`), or a file refused. Revocations, updates and replacements (BussinessDocType 1–3) are accepted like new documents (see the documents API)"),
        (status = 503, body = Problem, description = "edXML exchange is not configured (`edxml.unavailable`)"),
    ))]
pub async fn edxml_packages_receive(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult<(StatusCode, axum::Json<EdxmlReceiptDto>)> {
    let r = receive(&s, EdxmlKind::Package, &headers, &body).await?;
    let status = if r.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(r.into())))
}

/// Receive a signed edXML status message (gói tin trạng thái, codes 01–06) about a document
/// this platform sent: recorded on the sender's document (once per receiver and code).
#[utoipa::path(post, path = "/api/v1/edxml/status", tag = "edxml",
    params(
        ("X-System-Id" = String, Header, description = "The sending system's id (registered in `[exchange] peers`)"),
        ("X-Timestamp" = String, Header, description = "Signing time, `ddMMyyyyTHHmmss+SSSS` (Vietnam time), within 5 minutes of ours"),
        ("X-Signature" = String, Header, description = "Lowercase hex HMAC-SHA256 with the shared secret over system id + timestamp + content type + body"),
    ),
    request_body(description = "The signed edXML status message (enveloped XML-DSig)", content(("application/xml"))),
    responses(
        (status = 200, body = EdxmlReceiptDto, description = "Recorded (or recorded before)"),
        (status = 400, body = Problem, description = "Missing or malformed signing headers (`exchange.header_malformed`), or XML refused (`edxml.malformed`)"),
        (status = 401, body = Problem, description = "Unknown system (`exchange.system_unknown`), wrong HMAC (`exchange.signature_invalid`), stale timestamp (`exchange.timestamp_stale`)"),
        (status = 409, body = Problem, description = "The same signed request again (`exchange.request_replayed`)"),
        (status = 413, body = Problem, description = "The message is too large (`edxml.too_large`)"),
        (status = 422, body = Problem, description = "Not signed, signature invalid, untrusted certificate, unknown document (`edxml.document_unknown`) or status code"),
        (status = 503, body = Problem, description = "edXML exchange is not configured (`edxml.unavailable`)"),
    ))]
pub async fn edxml_status_receive(
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult<axum::Json<EdxmlReceiptDto>> {
    let r = receive(&s, EdxmlKind::Status, &headers, &body).await?;
    Ok(axum::Json(r.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_signed_headers_are_passed() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-system-id",
            "peer".parse().unwrap_or_else(|_| unreachable!()),
        );
        h.insert("cookie", "a=b".parse().unwrap_or_else(|_| unreachable!()));
        let got = signing_headers(&h);
        assert_eq!(got, vec![("x-system-id".to_string(), "peer".to_string())]);
    }
}
