//! Verification of digital signatures on any uploaded file (issue 5): a PDF's embedded
//! signatures, or a file with its detached `.p7s`. Public (no login): anyone who received a
//! document may check it. Listed in [`super::ApiDoc`] and routed in [`super::routes`].

use axum::extract::{FromRequest, State};
use axum::http::{StatusCode, header};
use cqdt_app::AppError;
use cqdt_app::documents::{SignatureVerification, VerifiedSignature};
use cqdt_domain::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::err;
use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

fn bad(caller: &Caller, code: ErrorCode, field: &str) -> ApiError {
    ApiError::from(AppError::field(code, field)).lang(caller.lang)
}

/// The multipart body of a verification: `file` and `signature` only (another part is refused
/// with `request.unknown_field`, so the schema is closed).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct VerifyForm {
    /// The file: a signed PDF, or any file whose detached signature is given.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// A detached signature (`.p7s`, DER or PEM) over `file`; without it, `file` must be a PDF.
    #[schema(value_type = Option<String>, format = Binary)]
    pub signature: Option<Vec<u8>>,
}

/// For an embedded PDF signature: which part of the file it covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PdfCoverageDto {
    /// The signature field's name.
    pub field: String,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// The revision covered (1 = the original file; each incremental update adds one).
    #[schema(minimum = 0)]
    pub revision: u32,
    /// Revisions in the file.
    #[schema(minimum = 0)]
    pub revisions: u32,
    /// Bytes covered.
    #[schema(minimum = 0)]
    pub signed_length: u64,
    /// The signature covers the whole file (nothing was added after it).
    pub covers_whole_file: bool,
}

/// One signature, checked.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureDto {
    /// The signer's name (certificate common name).
    pub signer_name: Option<String>,
    /// The certificate's subject (RFC 4514).
    pub subject: String,
    /// Organisation (O) of the certificate.
    pub organization: Option<String>,
    pub issuer: String,
    /// Certificate serial number (hexadecimal).
    pub serial: String,
    /// Certificate validity (RFC 3339).
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// When it was signed (as claimed by the signature).
    pub signing_time: Option<String>,
    /// Subjects from the signer's certificate up to the trusted authority (or as far as found).
    pub chain: Vec<String>,
    /// The chain leads to a trusted certificate authority.
    pub trusted: bool,
    /// The signed bytes are unchanged.
    pub intact: bool,
    /// The certificates were valid at the signing time.
    pub cert_valid_at_signing_time: bool,
    /// All checks pass.
    pub valid: bool,
    /// Why a check fails, in plain words (English).
    pub problems: Vec<String>,
    /// For embedded PDF signatures.
    pub pdf: Option<PdfCoverageDto>,
}

/// The signatures found in an uploaded file.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationDto {
    /// `pdf` (embedded signatures) or `detached` (a `.p7s` over the file).
    #[schema(pattern = "^(pdf|detached)$")]
    pub kind: String,
    /// The file's SHA-256 (hex) and size.
    pub sha256: String,
    #[schema(minimum = 0)]
    pub size: u64,
    pub signatures: Vec<SignatureDto>,
    /// At least one signature and every one valid.
    pub all_valid: bool,
}

fn signature_dto(s: &VerifiedSignature) -> SignatureDto {
    SignatureDto {
        signer_name: s.signer_name.clone(),
        subject: s.subject.clone(),
        organization: s.organization.clone(),
        issuer: s.issuer.clone(),
        serial: s.serial.clone(),
        not_before: s.not_before.clone(),
        not_after: s.not_after.clone(),
        signing_time: s.signing_time.clone(),
        chain: s.chain.clone(),
        trusted: s.trusted,
        intact: s.intact,
        cert_valid_at_signing_time: s.cert_valid_at_signing_time,
        valid: s.valid,
        problems: s.problems.clone(),
        pdf: s.pdf.as_ref().map(|p| PdfCoverageDto {
            field: p.field.clone(),
            reason: p.reason.clone(),
            location: p.location.clone(),
            revision: p.revision,
            revisions: p.revisions,
            signed_length: p.signed_length,
            covers_whole_file: p.covers_whole_file,
        }),
    }
}

/// The API's form of a verification.
pub fn verification_dto(v: &SignatureVerification) -> VerificationDto {
    VerificationDto {
        kind: match v.kind {
            cqdt_app::documents::VerificationKind::Pdf => "pdf",
            cqdt_app::documents::VerificationKind::Detached => "detached",
        }
        .into(),
        sha256: v.sha256.clone(),
        size: v.size,
        signatures: v.signatures.iter().map(signature_dto).collect(),
        all_valid: v.all_valid,
    }
}

/// The parts of a verification form: the file and, optionally, its detached signature. The
/// pages post the same parts (plus `_csrf`, ignored here when `allow` names it).
pub(crate) async fn read_verify_parts(
    s: &AppState,
    caller: &Caller,
    req: axum::extract::Request,
    allow: &[&str],
) -> ApiResult<(Vec<u8>, Option<Vec<u8>>, Vec<(String, String)>)> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !content_type.starts_with("multipart/form-data") {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType).lang(caller.lang));
    }
    let malformed = || ApiError::new(ErrorCode::InvalidFormat).lang(caller.lang);
    let too_large = || ApiError::new(ErrorCode::BodyTooLarge).lang(caller.lang);
    let mut mp = axum::extract::Multipart::from_request(req, s)
        .await
        .map_err(|_| malformed())?;
    let mut file = None;
    let mut signature = None;
    let mut other = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(malformed()),
        };
        let name = field.name().unwrap_or("").to_string();
        // A form's file input left empty sends an empty part without a file name.
        let unnamed = field.file_name().is_none_or(str::is_empty);
        let bytes = match field.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(malformed()),
        };
        match name.as_str() {
            "file" if file.is_none() => {
                if bytes.is_empty() && !unnamed {
                    // An empty file was chosen: nothing in it can be read.
                    return Err(bad(caller, ErrorCode::SignatureUnreadable, "file"));
                }
                file = Some(bytes)
            }
            // An empty signature part is a form's file input left empty.
            "signature" if signature.is_none() => {
                signature = (!bytes.is_empty()).then_some(bytes);
            }
            "file" | "signature" => return Err(bad(caller, ErrorCode::InvalidChoice, &name)),
            n if allow.contains(&n) => {
                other.push((name.clone(), String::from_utf8_lossy(&bytes).into_owned()))
            }
            _ => return Err(bad(caller, ErrorCode::UnknownField, &name)),
        }
    }
    let file = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| bad(caller, ErrorCode::MissingField, "file"))?;
    Ok((file, signature, other))
}

/// Check the digital signatures of any file: a PDF's embedded signatures (each with the
/// revision it covers), or — with a `signature` part — a detached CMS signature (`.p7s`) over
/// the file. Every signature is reported with its signer, certificate, signing time, chain to
/// the platform's trusted authorities and whether the bytes are intact. No login needed.
#[utoipa::path(post, path = "/api/v1/signatures/verify", tag = "signatures",
    request_body(description = "Multipart: the file in a part named `file`; optionally its detached signature in `signature`",
        content((VerifyForm = "multipart/form-data"))),
    responses((status = 200, body = VerificationDto, description = "The signatures found (an empty list for a PDF without any)"),
        (status = 400, body = Problem, description = "`request.missing_field` without a `file` part; `request.unknown_field`; a malformed multipart body"),
        (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"),
        (status = 413, body = Problem), (status = 415, body = Problem, description = "Not multipart/form-data"),
        (status = 422, body = Problem, description = "`signature.unreadable`: an empty file, not a PDF and no signature file, or an unreadable signature"),
        (status = 503, body = Problem, description = "No signing service configured")))]
pub async fn signatures_verify(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> ApiResult<axum::Json<VerificationDto>> {
    let (file, signature, _) = read_verify_parts(&s, &caller, req, &[]).await?;
    let v = s
        .app
        .signatures_verify(&file, signature.as_deref())
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(verification_dto(&v)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use utoipa::OpenApi;

    /// The handler refuses parts other than `file` and `signature`; the schema the fuzzer
    /// checks requests against says so.
    #[test]
    fn the_verification_form_is_closed() {
        let doc = serde_json::to_value(crate::api::ApiDoc::openapi()).unwrap();
        let form = &doc["components"]["schemas"]["VerifyForm"];
        assert_eq!(form["additionalProperties"], false, "{form}");
    }
}
