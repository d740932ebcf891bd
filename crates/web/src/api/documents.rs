//! The JSON API of electronic documents (issue 5): incoming documents (paper registration with
//! scans, refusal, assignment, handling), outgoing documents (draft with its main file, review,
//! send-back, signature, issue), reads (list, one document with `include=events,files`,
//! downloads, search, overdue, figures) and the registers of NĐ 30/2020 Phụ lục IV as JSON,
//! PDF or XLSX. Listed in [`super::ApiDoc`] and routed in [`super::routes`].
//!
//! The domain's types carry no schema, so the API mirrors them in DTOs.

use axum::extract::{FromRequest, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use cqdt_app::AppError;
use cqdt_app::documents::{
    AssignInput, DocumentFile, DocumentListQuery, DocumentRecord, DocumentView, DraftInput,
    PaperIncoming, RecipientInput, RegisterQuery, RegisterRow, StateQuery,
};
use cqdt_app::files::Upload;
use cqdt_domain::ErrorCode;
use cqdt_domain::document::{
    Direction, DocState, DocumentEvent, EventKind, Secrecy, SignerInfo, Urgency, Withdrawal,
};
use cqdt_domain::files::FileKind;
use cqdt_domain::ids::{AgencyId, DocumentId, FileId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::files::download;
use super::{err, parse_id, us_to_rfc3339};
use crate::auth::Caller;
use crate::extract::{Json, Query};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::registers;
use crate::state::AppState;

fn bad(caller: &Caller, code: ErrorCode, field: &str) -> ApiError {
    ApiError::from(AppError::field(code, field)).lang(caller.lang)
}

fn rfc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn doc_id(caller: &Caller, id: &str) -> ApiResult<DocumentId> {
    parse_id(id, DocumentId, ErrorCode::DocumentNotFound, caller.lang)
}

fn agency_id(caller: &Caller, id: &str) -> ApiResult<AgencyId> {
    parse_id(id, AgencyId, ErrorCode::AgencyNotFound, caller.lang)
}

// ---------- Schemas of closed sets of codes ----------

fn enum_of(values: Vec<String>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .build()
}

fn urgency_name(u: Urgency) -> &'static str {
    match u {
        Urgency::Normal => "normal",
        Urgency::Urgent => "urgent",
        Urgency::VeryUrgent => "very_urgent",
        Urgency::Flash => "flash",
        Urgency::FlashTimed => "flash_timed",
    }
}

fn secrecy_name(s: Secrecy) -> &'static str {
    match s.level() {
        0 => "none",
        1 => "secret",
        2 => "top_secret",
        _ => "absolute_secret",
    }
}

fn parse_urgency(caller: &Caller, s: Option<&str>) -> ApiResult<Urgency> {
    match s {
        None => Ok(Urgency::Normal),
        Some(x) => Urgency::ALL
            .into_iter()
            .find(|u| urgency_name(*u) == x)
            .ok_or_else(|| bad(caller, ErrorCode::InvalidChoice, "urgency")),
    }
}

fn parse_secrecy(caller: &Caller, s: Option<&str>) -> ApiResult<Secrecy> {
    match s {
        None => Ok(Secrecy::None),
        Some(x) => (0..=3)
            .filter_map(Secrecy::from_level)
            .find(|v| secrecy_name(*v) == x)
            .ok_or_else(|| bad(caller, ErrorCode::InvalidChoice, "secrecy")),
    }
}

fn urgency_schema() -> utoipa::openapi::Object {
    enum_of(
        Urgency::ALL
            .into_iter()
            .map(|u| urgency_name(u).to_string())
            .collect(),
    )
}

fn secrecy_schema() -> utoipa::openapi::Object {
    enum_of(
        (0..=3)
            .filter_map(Secrecy::from_level)
            .map(|s| secrecy_name(s).to_string())
            .collect(),
    )
}

fn doc_state_schema() -> utoipa::openapi::Object {
    enum_of(
        DocState::ALL
            .into_iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    )
}

fn direction_schema() -> utoipa::openapi::Object {
    enum_of(vec!["incoming".into(), "outgoing".into()])
}

fn register_kind_schema() -> utoipa::openapi::Object {
    enum_of(vec![
        "incoming".into(),
        "outgoing".into(),
        "follow-up".into(),
    ])
}

fn event_kind_name(k: EventKind) -> String {
    k.as_str().to_string()
}

fn state_label(s: DocState) -> &'static str {
    match s {
        DocState::Arrived => "Đã đến",
        DocState::Registered => "Đã vào sổ",
        DocState::Assigned => "Đã giao xử lý",
        DocState::InProgress => "Đang xử lý",
        DocState::Done => "Đã xử lý xong",
        DocState::Refused => "Từ chối nhận",
        DocState::Draft => "Dự thảo",
        DocState::InReview => "Chờ duyệt",
        DocState::AwaitingSignature => "Chờ ký",
        DocState::Signed => "Đã ký",
        DocState::Issued => "Đã ban hành",
        DocState::Withdrawn => "Đã bị thu hồi / lấy lại",
        DocState::Revoked => "Đã thu hồi / bị thay thế",
    }
}

// ---------- DTOs ----------

/// Who signs (người ký): full name, position, and the competence (`TM.`, `KT.`, `Q.`…).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignerDto {
    pub full_name: String,
    pub position: Option<String>,
    pub competence: Option<String>,
}

impl From<&SignerInfo> for SignerDto {
    fn from(s: &SignerInfo) -> Self {
        SignerDto {
            full_name: s.full_name.clone(),
            position: s.position.clone(),
            competence: s.competence.clone(),
        }
    }
}

impl From<SignerDto> for SignerInfo {
    fn from(s: SignerDto) -> Self {
        SignerInfo {
            full_name: s.full_name,
            position: s.position,
            competence: s.competence,
        }
    }
}

/// The incoming part of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomingDto {
    /// `paper` or `electronic`.
    pub channel: String,
    pub sender_name: String,
    pub sender_identifier: Option<String>,
    /// The sender's number and notation as written (`05/QĐ-UBND`).
    pub sender_number: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub sender_date: Option<NaiveDate>,
    pub arrived_at: String,
    /// Số đến (from 1 each year).
    pub arrival_number: Option<u32>,
    #[schema(value_type = Option<String>, format = Date)]
    pub arrival_date: Option<NaiveDate>,
    /// Handling due date (local).
    #[schema(value_type = Option<String>, format = Date)]
    pub handling_due: Option<NaiveDate>,
    #[schema(format = Uuid)]
    pub lead_unit: Option<String>,
    #[schema(format = Uuid)]
    pub lead_person: Option<String>,
    pub coordinators: Vec<String>,
    pub opinion: Option<String>,
    /// The outgoing reply linked to it.
    #[schema(format = Uuid)]
    pub reply: Option<String>,
    pub done_at: Option<String>,
    pub refusal: Option<String>,
    /// The edXML status code (`01`…`06`, `15` once withdrawn).
    pub edxml_status: Option<String>,
    /// The sender's request waiting for the clerk's answer (`POST …/answer-request`).
    pub pending_request: Option<SenderRequestDto>,
    /// Why it left circulation (state `withdrawn`).
    pub withdrawal: Option<WithdrawalDto>,
    /// The earlier incoming document this one replaces.
    #[schema(format = Uuid)]
    pub replaces: Option<String>,
}

/// A sender's request on a received document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SenderRequestDto {
    /// `recall` (status 13: give it back) or `update` (new metadata, below).
    pub kind: String,
    pub reason: String,
    pub at: String,
    /// For an update: the new subject, number and date.
    pub subject: Option<String>,
    pub sender_number: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub sender_date: Option<NaiveDate>,
}

/// A withdrawal or revocation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawalDto {
    /// `recall` (lấy lại), `revoke` (thu hồi) or `replace` (thay thế).
    pub kind: String,
    pub reason: String,
    pub at: String,
    /// The replacing document (a document of the same agency).
    #[schema(format = Uuid)]
    pub replaced_by: Option<String>,
}

fn withdrawal_dto(w: &Withdrawal) -> WithdrawalDto {
    WithdrawalDto {
        kind: w.kind.as_str().to_string(),
        reason: w.reason.clone(),
        at: rfc(w.at),
        replaced_by: w.replaced_by.map(|x| x.to_string()),
    }
}

/// A recipient of an outgoing document.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientDto {
    #[schema(format = Uuid)]
    pub agency_id: Option<String>,
    pub identifier: Option<String>,
    pub name: String,
    /// Sent over the exchange (an agency on the platform).
    pub electronic: bool,
}

/// The outgoing part of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutgoingDto {
    /// The incoming document it answers.
    #[schema(format = Uuid)]
    pub reply_to: Option<String>,
    pub drafting_unit: Option<String>,
    pub recipients: Vec<RecipientDto>,
    /// Số, ký hiệu once issued: `01/UBND-VP`.
    pub number: Option<String>,
    /// The number alone.
    pub number_value: Option<u32>,
    /// The notation alone: `UBND-VP`.
    pub notation: Option<String>,
    /// Ngày ban hành (local).
    #[schema(value_type = Option<String>, format = Date)]
    pub issued_on: Option<NaiveDate>,
    pub issued_at: Option<String>,
    pub signer_signed: bool,
    pub agency_signed: bool,
    #[schema(format = Uuid)]
    pub signed_by: Option<String>,
    pub send_back_reason: Option<String>,
    /// The issued document this one replaces.
    #[schema(format = Uuid)]
    pub replaces: Option<String>,
    /// The reason of the last recall asked of the receivers (status 13).
    pub recall_reason: Option<String>,
    /// The reason of the last correction sent to the receivers (update).
    pub update_reason: Option<String>,
    /// Set once revoked or replaced (state `revoked`).
    pub revocation: Option<WithdrawalDto>,
}

/// An event of a document's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocEventDto {
    pub seq: i64,
    pub at: String,
    #[schema(format = Uuid)]
    pub actor: Option<String>,
    /// `arrived`, `registered`, `assigned`, `issued`…
    pub kind: String,
    #[schema(schema_with = doc_state_schema)]
    pub state: String,
    pub edxml_status: Option<String>,
    pub note: Option<String>,
    pub from: Option<String>,
}

fn event_dto(seq: i64, e: &DocumentEvent) -> DocEventDto {
    DocEventDto {
        seq,
        at: rfc(e.at),
        actor: e.actor.map(|u| u.to_string()),
        kind: event_kind_name(e.kind),
        state: e.state.as_str().to_string(),
        edxml_status: e.status.map(|s| s.code_str()),
        note: e.note.clone(),
        from: e.from.clone(),
    }
}

/// A file of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocFileDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// `main`, `attachment`, `scan`, `signer_signature`, `agency_signature`, `signed_pdf` (the
    /// main PDF with the signer's embedded signature) or `issued_pdf` (stamped with the number
    /// and date, both embedded signatures: the document's file once issued).
    pub kind: String,
    pub name: String,
    /// `pdf`, `docx`…, or `p7s` for signatures.
    pub file_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: String,
}

fn file_dto(f: &DocumentFile) -> DocFileDto {
    DocFileDto {
        id: f.id.to_string(),
        kind: f.kind.as_str().to_string(),
        name: f.name.clone(),
        file_type: f.file_type.clone(),
        size: f.size,
        sha256: f.sha256.clone(),
        uploaded_at: us_to_rfc3339(f.uploaded_at_us),
    }
}

/// A document (incoming or outgoing).
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// The agency whose document it is (the receiver or the issuer).
    #[schema(format = Uuid)]
    pub agency_id: String,
    #[schema(schema_with = direction_schema)]
    pub direction: String,
    #[schema(schema_with = doc_state_schema)]
    pub state: String,
    pub state_label: String,
    /// Code of the type (`cong_van`, `quyet_dinh`…).
    pub type_code: String,
    pub type_name: String,
    /// Trích yếu.
    pub subject: String,
    pub signer: Option<SignerDto>,
    #[schema(schema_with = urgency_schema)]
    pub urgency: String,
    #[schema(schema_with = secrecy_schema)]
    pub secrecy: String,
    pub incoming: Option<IncomingDto>,
    pub outgoing: Option<OutgoingDto>,
    pub edxml_document_id: Option<String>,
    /// Incoming: open and past its handling date.
    pub overdue: bool,
    /// Increases with every change.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// With `include=events`.
    pub events: Option<Vec<DocEventDto>>,
    /// With `include=files` (and on creation).
    pub files: Option<Vec<DocFileDto>>,
}

fn document_dto(r: &DocumentRecord, overdue: bool) -> DocumentDto {
    let d = &r.doc;
    DocumentDto {
        id: r.id.to_string(),
        agency_id: r.agency_id.to_string(),
        direction: d.direction.as_str().to_string(),
        state: d.state.as_str().to_string(),
        state_label: state_label(d.state).to_string(),
        type_code: d.fields.type_code.clone(),
        type_name: d.fields.type_name.clone(),
        subject: d.fields.subject.clone(),
        signer: d.fields.signer.as_ref().map(SignerDto::from),
        urgency: urgency_name(d.fields.urgency).to_string(),
        secrecy: secrecy_name(d.fields.secrecy).to_string(),
        incoming: d.incoming.as_ref().map(|i| IncomingDto {
            channel: i.channel.as_str().to_string(),
            sender_name: i.sender.name.clone(),
            sender_identifier: i.sender.identifier.clone(),
            sender_number: i.sender_number.clone(),
            sender_date: i.sender_date,
            arrived_at: rfc(i.arrived_at),
            arrival_number: i.arrival.as_ref().map(|a| a.number),
            arrival_date: i.arrival.as_ref().map(|a| a.date),
            handling_due: i.handling_due,
            lead_unit: i
                .handling
                .as_ref()
                .and_then(|h| h.lead_unit.map(|x| x.to_string())),
            lead_person: i
                .handling
                .as_ref()
                .and_then(|h| h.lead_person.map(|x| x.to_string())),
            coordinators: i
                .handling
                .as_ref()
                .map(|h| h.coordinators.iter().map(|c| c.to_string()).collect())
                .unwrap_or_default(),
            opinion: i.handling.as_ref().and_then(|h| h.opinion.clone()),
            reply: i.reply.map(|x| x.to_string()),
            done_at: i.done_at.map(rfc),
            refusal: i.refusal.clone(),
            edxml_status: d.state.edxml_status().map(|s| s.code_str()),
            pending_request: i.request.as_ref().map(|q| SenderRequestDto {
                kind: q.kind.as_str().to_string(),
                reason: q.reason.clone(),
                at: rfc(q.at),
                subject: q.update.as_ref().map(|u| u.fields.subject.clone()),
                sender_number: q.update.as_ref().and_then(|u| u.sender_number.clone()),
                sender_date: q.update.as_ref().and_then(|u| u.sender_date),
            }),
            withdrawal: i.withdrawal.as_ref().map(withdrawal_dto),
            replaces: i.replaces.map(|x| x.to_string()),
        }),
        outgoing: d.outgoing.as_ref().map(|o| OutgoingDto {
            reply_to: o.reply_to.map(|x| x.to_string()),
            drafting_unit: o.drafting_unit.clone(),
            recipients: o
                .recipients
                .iter()
                .map(|x| RecipientDto {
                    agency_id: x.agency_id.map(|a| a.to_string()),
                    identifier: x.identifier.clone(),
                    name: x.name.clone(),
                    electronic: x.electronic(),
                })
                .collect(),
            number: o.number.as_ref().map(|n| n.full.clone()),
            number_value: o.number.as_ref().map(|n| n.number),
            notation: o.number.as_ref().map(|n| n.notation.clone()),
            issued_on: o.number.as_ref().map(|n| n.date),
            issued_at: o.issued_at.map(rfc),
            signer_signed: o.signer_signed,
            agency_signed: o.agency_signed,
            signed_by: o.signed_by.map(|u| u.to_string()),
            send_back_reason: o.send_back_reason.clone(),
            replaces: o.replaces.map(|x| x.to_string()),
            recall_reason: o.recall_reason.clone(),
            update_reason: o.update_reason.clone(),
            revocation: o.revocation.as_ref().map(withdrawal_dto),
        }),
        edxml_document_id: r.edxml_document_id.clone(),
        overdue,
        version: r.version,
        created_at: us_to_rfc3339(r.created_at_us),
        updated_at: us_to_rfc3339(r.updated_at_us),
        events: None,
        files: None,
    }
}

fn view_dto(v: &DocumentView, events: bool, files: bool) -> DocumentDto {
    let mut dto = document_dto(&v.record, v.overdue);
    if events {
        dto.events = Some(v.events.iter().map(|(s, e)| event_dto(*s, e)).collect());
    }
    if files {
        dto.files = Some(v.files.iter().map(file_dto).collect());
    }
    dto
}

/// The document after a change, with its files.
async fn answer(
    s: &AppState,
    caller: &Caller,
    id: DocumentId,
) -> ApiResult<axum::Json<DocumentDto>> {
    let v = s
        .app
        .document_view(&caller.ctx, id)
        .await
        .map_err(err(caller))?;
    Ok(axum::Json(view_dto(&v, false, true)))
}

/// A page of documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    pub items: Vec<DocumentDto>,
    pub total: i64,
}

// ---------- Bodies ----------

/// A paper incoming document registered at once by the clerk (its scans as `file` parts of a
/// multipart body).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingBody {
    /// The receiving agency.
    #[schema(format = Uuid)]
    pub agency_id: String,
    /// Code of the type (`cong_van`, `quyet_dinh`…).
    pub type_code: String,
    pub subject: String,
    pub sender_name: String,
    /// The sender's official identifier, if known.
    pub sender_identifier: Option<String>,
    /// The sender's number and notation as written (`05/QĐ-UBND`).
    pub sender_number: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub sender_date: Option<NaiveDate>,
    pub signer: Option<SignerDto>,
    #[schema(schema_with = urgency_schema)]
    pub urgency: Option<String>,
    #[schema(schema_with = secrecy_schema)]
    pub secrecy: Option<String>,
    /// Working days to handle it (default 7; urgent ones are due the day they arrive).
    #[schema(minimum = 0, maximum = 366)]
    pub handling_days: Option<u32>,
}

/// Multipart form of an incoming document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MultipartIncoming {
    /// The document as JSON (same fields as the JSON body).
    #[schema(value_type = IncomingBody)]
    pub document: String,
    /// The scans (several allowed).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// A recipient: an agency of the platform (`agency_id`: sent over the exchange), or anyone
/// else by `name` (on paper).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientBody {
    #[schema(format = Uuid)]
    pub agency_id: Option<String>,
    pub name: Option<String>,
    pub identifier: Option<String>,
}

/// An outgoing draft's fields (its main file as the `file` part of a multipart body, its
/// attachments as `attachment` parts).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// The issuing agency (cannot change afterwards).
    #[schema(format = Uuid)]
    pub agency_id: String,
    pub type_code: String,
    pub subject: String,
    pub signer: Option<SignerDto>,
    #[schema(schema_with = urgency_schema)]
    pub urgency: Option<String>,
    #[schema(schema_with = secrecy_schema)]
    pub secrecy: Option<String>,
    /// The drafting unit's abbreviation, for a công văn (`VP` → `…/UBND-VP`).
    pub drafting_unit: Option<String>,
    #[serde(default)]
    pub recipients: Vec<RecipientBody>,
    /// The incoming document this one answers (same agency).
    #[schema(format = Uuid)]
    pub reply_to: Option<String>,
    /// The issued document of the same agency this one replaces (thay thế): once this one is
    /// issued, that one is marked replaced and its electronic receivers' copies withdrawn.
    #[schema(format = Uuid)]
    pub replaces: Option<String>,
}

/// Multipart form of an outgoing draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MultipartDraft {
    /// The draft as JSON (same fields as the JSON body).
    #[schema(value_type = DraftBody)]
    pub document: String,
    /// The document's main file (PDF, DOCX…); a new one on edit replaces it.
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<Vec<u8>>,
    /// Attachments (several allowed).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub attachment: Vec<Vec<u8>>,
}

/// A reason (refusal, send-back).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

/// A leader's assignment: the lead unit and/or person, coordinating units, and the deadline
/// (`days` working days from today, or `due`; neither: the registered handling date).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    #[schema(format = Uuid)]
    pub lead_unit: Option<String>,
    #[schema(format = Uuid)]
    pub lead_person: Option<String>,
    #[serde(default)]
    pub coordinators: Vec<String>,
    #[schema(minimum = 0, maximum = 366)]
    pub days: Option<u32>,
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<NaiveDate>,
    pub opinion: Option<String>,
}

/// The outgoing reply (drafted with `reply_to` this document).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkReplyBody {
    #[schema(format = Uuid)]
    pub reply: String,
}

/// The clerk's answer to the sender's request: agree (15) or refuse with a reason (16).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequestBody {
    pub agree: bool,
    /// Required to refuse.
    pub reason: Option<String>,
}

/// A correction of an issued document: the new subject (required), signer and urgency (kept
/// when left out), and the reason (required).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectBody {
    pub subject: String,
    pub signer: Option<SignerDto>,
    #[schema(schema_with = urgency_schema)]
    pub urgency: Option<String>,
    pub reason: String,
}

/// Completion: optionally the reply and a note.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    #[schema(format = Uuid)]
    pub reply: Option<String>,
    pub note: Option<String>,
}

// ---------- Reading JSON or multipart bodies ----------

/// A JSON body, or a multipart body with the JSON in a part named `document`, `file` parts
/// and (for drafts) `attachment` parts.
async fn json_or_multipart<T: serde::de::DeserializeOwned>(
    s: &AppState,
    caller: &Caller,
    req: axum::extract::Request,
) -> ApiResult<(T, Vec<Upload>, Vec<Upload>)> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !content_type.starts_with("multipart/form-data") {
        let Json(body) = Json::<T>::from_request_json(req, s).await?;
        return Ok((body, Vec::new(), Vec::new()));
    }
    let malformed = || ApiError::new(ErrorCode::InvalidFormat).lang(caller.lang);
    let mut mp = axum::extract::Multipart::from_request(req, s)
        .await
        .map_err(|_| malformed())?;
    let mut json = None;
    let mut files = Vec::new();
    let mut attachments = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(bad(caller, ErrorCode::UploadDossierFull, "file"));
            }
            Err(_) => return Err(malformed()),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string).unwrap_or_default();
        let bytes = match field.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(bad(caller, ErrorCode::UploadDossierFull, "file"));
            }
            Err(_) => return Err(malformed()),
        };
        let upload = |bytes| Upload {
            kind: FileKind::Working,
            part: None,
            name: file_name.clone(),
            bytes,
        };
        match name.as_str() {
            "document" => json = Some(bytes),
            "file" => files.push(upload(bytes)),
            "attachment" => attachments.push(upload(bytes)),
            _ => return Err(bad(caller, ErrorCode::UnknownField, &name)),
        }
    }
    let json = json.ok_or_else(|| bad(caller, ErrorCode::Required, "document"))?;
    let body = crate::extract::parse_json(&json).map_err(err(caller))?;
    Ok((body, files, attachments))
}

fn opt_id<T>(
    caller: &Caller,
    s: Option<&str>,
    make: fn(uuid::Uuid) -> T,
    field: &str,
) -> ApiResult<Option<T>> {
    match s.map(str::trim).filter(|x| !x.is_empty()) {
        None => Ok(None),
        Some(x) => uuid::Uuid::parse_str(x)
            .map(|u| Some(make(u)))
            .map_err(|_| bad(caller, ErrorCode::InvalidFormat, field)),
    }
}

fn draft_input(
    caller: &Caller,
    b: DraftBody,
    mut files: Vec<Upload>,
    attachments: Vec<Upload>,
) -> ApiResult<DraftInput> {
    if files.len() > 1 {
        return Err(bad(caller, ErrorCode::InvalidChoice, "file"));
    }
    let mut recipients = Vec::new();
    for r in b.recipients {
        match opt_id(caller, r.agency_id.as_deref(), AgencyId, "recipients")? {
            Some(a) => recipients.push(RecipientInput::Agency(a)),
            None => recipients.push(RecipientInput::External {
                name: r.name.unwrap_or_default(),
                identifier: r.identifier,
            }),
        }
    }
    Ok(DraftInput {
        agency_id: agency_id(caller, &b.agency_id)?,
        type_code: b.type_code,
        subject: b.subject,
        signer: b.signer.map(SignerInfo::from),
        urgency: parse_urgency(caller, b.urgency.as_deref())?,
        secrecy: parse_secrecy(caller, b.secrecy.as_deref())?,
        drafting_unit: b.drafting_unit,
        recipients,
        reply_to: opt_id(caller, b.reply_to.as_deref(), DocumentId, "reply_to")?,
        replaces: opt_id(caller, b.replaces.as_deref(), DocumentId, "replaces")?,
        main: files.pop(),
        attachments,
    })
}

// ---------- Incoming ----------

/// Register a paper incoming document with its scans, as a clerk of the receiving agency: it
/// is registered at once with the next arrival number (Số đến) of the year.
#[utoipa::path(post, path = "/api/v1/documents/incoming", tag = "documents",
    request_body(description = "JSON, or multipart with the JSON in a part named `document` and each scan in a `file` part",
        content((IncomingBody = "application/json"), (MultipartIncoming = "multipart/form-data"))),
    responses((status = 201, body = DocumentDto), (status = 400, body = Problem, description = "Malformed JSON or multipart body, or an unknown field"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such agency"),
        (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "Unknown type, missing sender, invalid file…"),
        (status = 503, body = Problem, description = "The malware scanner or the files folder is unavailable")))]
pub async fn documents_register_incoming(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> ApiResult<(StatusCode, axum::Json<DocumentDto>)> {
    let (b, scans, attachments): (IncomingBody, _, _) = json_or_multipart(&s, &caller, req).await?;
    if !attachments.is_empty() {
        return Err(bad(&caller, ErrorCode::UnknownField, "attachment"));
    }
    let input = PaperIncoming {
        agency_id: agency_id(&caller, &b.agency_id)?,
        type_code: b.type_code,
        subject: b.subject,
        sender_name: b.sender_name,
        sender_identifier: b.sender_identifier,
        sender_number: b.sender_number,
        sender_date: b.sender_date,
        signer: b.signer.map(SignerInfo::from),
        urgency: parse_urgency(&caller, b.urgency.as_deref())?,
        secrecy: parse_secrecy(&caller, b.secrecy.as_deref())?,
        handling_days: days_of(&caller, b.handling_days, "handling_days")?,
        scans,
    };
    let r = s
        .app
        .document_register_paper(&caller.ctx, input)
        .await
        .map_err(err(&caller))?;
    let axum::Json(dto) = answer(&s, &caller, r.id).await?;
    Ok((StatusCode::CREATED, axum::Json(dto)))
}

/// Refuse an arrived document (clerk), with the reason.
#[utoipa::path(post, path = "/api/v1/documents/{id}/refuse", tag = "documents", request_body = ReasonBody,
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "No reason")))]
pub async fn documents_refuse(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<ReasonBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_refuse(&caller.ctx, id, &b.reason)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Assign the handling (leader): lead unit or person, coordinators, deadline, opinion.
/// Re-assignment is allowed while assigned.
#[utoipa::path(post, path = "/api/v1/documents/{id}/assign", tag = "documents", request_body = AssignBody,
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "A unit or person outside the agency, a past deadline, no handler")))]
pub async fn documents_assign(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<AssignBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    let mut coordinators = Vec::new();
    for c in &b.coordinators {
        if let Some(a) = opt_id(&caller, Some(c), AgencyId, "coordinators")? {
            coordinators.push(a);
        }
    }
    let input = AssignInput {
        lead_unit: opt_id(&caller, b.lead_unit.as_deref(), AgencyId, "lead_unit")?,
        lead_person: opt_id(&caller, b.lead_person.as_deref(), UserId, "lead_person")?,
        coordinators,
        days: days_of(&caller, b.days, "days")?,
        due: b.due,
        opinion: b.opinion,
    };
    s.app
        .document_assign(&caller.ctx, id, input)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Start handling (specialist or leader).
#[utoipa::path(post, path = "/api/v1/documents/{id}/start", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state (`document.illegal_transition`) or changed meanwhile")))]
pub async fn documents_start(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_start(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Link the outgoing reply (drafted with `reply_to` this document) while handling.
#[utoipa::path(post, path = "/api/v1/documents/{id}/link-reply", tag = "documents", request_body = LinkReplyBody,
    params(("id" = String, Path, format = Uuid, description = "Incoming document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "Not an outgoing reply to this document (`document.invalid_reply`)")))]
pub async fn documents_link_reply(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<LinkReplyBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    let reply = opt_id(&caller, Some(&b.reply), DocumentId, "reply")?
        .ok_or_else(|| bad(&caller, ErrorCode::Required, "reply"))?;
    s.app
        .document_link_reply(&caller.ctx, id, reply)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Complete the handling (specialist or leader), optionally naming the reply.
#[utoipa::path(post, path = "/api/v1/documents/{id}/complete", tag = "documents", request_body = CompleteBody,
    params(("id" = String, Path, format = Uuid, description = "Incoming document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "Not an outgoing reply to this document (`document.invalid_reply`)")))]
pub async fn documents_complete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<CompleteBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    let reply = opt_id(&caller, b.reply.as_deref(), DocumentId, "reply")?;
    s.app
        .document_complete(&caller.ctx, id, reply, b.note)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

// ---------- Outgoing ----------

/// Draft an outgoing document (specialist or leader) with its main file.
#[utoipa::path(post, path = "/api/v1/documents/outgoing", tag = "documents",
    request_body(description = "JSON, or multipart with the JSON in a part named `document`, the main file in a `file` part and attachments in `attachment` parts",
        content((DraftBody = "application/json"), (MultipartDraft = "multipart/form-data"))),
    responses((status = 201, body = DocumentDto), (status = 400, body = Problem, description = "Malformed JSON or multipart body, or an unknown field"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such agency"),
        (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "Unknown type, invalid recipient or reply, invalid file…"),
        (status = 503, body = Problem, description = "The malware scanner or the files folder is unavailable")))]
pub async fn documents_draft_create(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> ApiResult<(StatusCode, axum::Json<DocumentDto>)> {
    let (b, files, attachments): (DraftBody, _, _) = json_or_multipart(&s, &caller, req).await?;
    let input = draft_input(&caller, b, files, attachments)?;
    let r = s
        .app
        .document_draft_create(&caller.ctx, input)
        .await
        .map_err(err(&caller))?;
    let axum::Json(dto) = answer(&s, &caller, r.id).await?;
    Ok((StatusCode::CREATED, axum::Json(dto)))
}

/// Edit a draft: its fields and recipients; a new `file` replaces the main file, `attachment`
/// parts are added.
#[utoipa::path(put, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    request_body(description = "JSON, or multipart with the JSON in a part named `document`, a new main file in a `file` part and attachments in `attachment` parts",
        content((DraftBody = "application/json"), (MultipartDraft = "multipart/form-data"))),
    responses((status = 200, body = DocumentDto), (status = 400, body = Problem, description = "Malformed JSON or multipart body, or an unknown field"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Not a draft (`document.illegal_transition`) or changed meanwhile"),
        (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "Unknown type, another agency, invalid recipient or file…"),
        (status = 503, body = Problem, description = "The malware scanner or the files folder is unavailable")))]
pub async fn documents_draft_edit(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    let (b, files, attachments): (DraftBody, _, _) = json_or_multipart(&s, &caller, req).await?;
    let input = draft_input(&caller, b, files, attachments)?;
    s.app
        .document_draft_edit(&caller.ctx, id, input)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Submit the draft for review (the drafter).
#[utoipa::path(post, path = "/api/v1/documents/{id}/submit-review", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state (`document.illegal_transition`) or changed meanwhile")))]
pub async fn documents_submit_review(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_submit_review(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Ask every electronic receiver of an issued document to give it back (clerk of the
/// issuer): status 13 with the reason goes to each; their answers (15, 16) come back as events.
#[utoipa::path(post, path = "/api/v1/documents/{id}/recall", tag = "documents", request_body = ReasonBody,
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not issued (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "No reason (`document.reason_required`), or no receiver over the exchange (`document.invalid_recipient`)")))]
pub async fn documents_recall(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<ReasonBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_request_recall(&caller.ctx, id, &b.reason)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Answer the sender's pending recall (13) or update (clerk of the receiver): agree (15: a
/// recalled document is withdrawn, an updated one takes the new metadata) or refuse with a
/// reason (16). The answer goes back to the sender.
#[utoipa::path(post, path = "/api/v1/documents/{id}/answer-request", tag = "documents", request_body = AnswerRequestBody,
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "No pending request (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "Refused without a reason (`document.reason_required`)")))]
pub async fn documents_answer_request(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<AnswerRequestBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_answer_request(&caller.ctx, id, b.agree, b.reason.as_deref())
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Revoke an issued document (leader of the issuer), with the reason: it leaves circulation
/// and each electronic receiver gets a revocation package (edXML BussinessDocType 1).
#[utoipa::path(post, path = "/api/v1/documents/{id}/revoke", tag = "documents", request_body = ReasonBody,
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not issued (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "No reason (`document.reason_required`)")))]
pub async fn documents_revoke(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<ReasonBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_revoke(&caller.ctx, id, &b.reason)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Correct an issued document's subject, signer or urgency (leader of the issuer), with the
/// reason: each electronic receiver gets an update package (edXML BussinessDocType 2) and
/// answers 15 (agreed) or 16 (refused). The number, type and secrecy do not change.
#[utoipa::path(post, path = "/api/v1/documents/{id}/correct", tag = "documents", request_body = CorrectBody,
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 400, body = Problem, description = "Malformed body or an unknown urgency"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not issued (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "No reason (`document.reason_required`) or no subject")))]
pub async fn documents_correct(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<CorrectBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    let input = cqdt_app::documents::CorrectionInput {
        subject: b.subject,
        signer: b.signer.map(SignerInfo::from),
        urgency: match b.urgency.as_deref() {
            None => None,
            u => Some(parse_urgency(&caller, u)?),
        },
        reason: b.reason,
    };
    s.app
        .document_correct(&caller.ctx, id, input)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Send it back to draft (leader), with the reason.
#[utoipa::path(post, path = "/api/v1/documents/{id}/send-back", tag = "documents", request_body = ReasonBody,
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state (`document.illegal_transition`) or changed meanwhile"),
        (status = 422, body = Problem, description = "No reason (`document.reason_required`)")))]
pub async fn documents_send_back(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<ReasonBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_send_back(&caller.ctx, id, &b.reason)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Pass the reviewed draft to signature (leader); it must have its main file.
#[utoipa::path(post, path = "/api/v1/documents/{id}/submit-signature", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state (`document.illegal_transition`), no main file (`document.no_main_file`) or changed meanwhile")))]
pub async fn documents_submit_signature(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_submit_signature(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Sign (leader): the signer's detached signature over the main file is stored as a `.p7s`
/// file of the document and, when the main file is a PDF, the PDF with the signer's embedded
/// signature as well (`signed_pdf`).
#[utoipa::path(post, path = "/api/v1/documents/{id}/sign", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not awaiting signature (`document.illegal_transition`) or changed meanwhile"),
        (status = 503, body = Problem, description = "The signing service refused or is not configured (`document.signing_failed`)")))]
pub async fn documents_sign(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_sign(&caller.ctx, id, &*s.app.signer)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

/// Issue a signed document (clerk): its number and notation for the year, the agency's
/// signature, the outgoing register, and delivery to recipients as signed edXML. With a PDF,
/// the number and date are stamped into it and the agency's embedded signature added over
/// them (`issued_pdf`, the document's file from then on).
#[utoipa::path(post, path = "/api/v1/documents/{id}/issue", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not signed (`document.illegal_transition`) or changed meanwhile"),
        (status = 503, body = Problem, description = "The signing service refused or is not configured (`document.signing_failed`)")))]
pub async fn documents_issue(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    s.app
        .document_issue(&caller.ctx, id, &*s.app.signer)
        .await
        .map_err(err(&caller))?;
    answer(&s, &caller, id).await
}

// ---------- Reads ----------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentListParams {
    /// The agency (id): its documents; with `q` or `overdue=true`, those of its subtree.
    #[param(format = Uuid)]
    pub agency: String,
    /// `incoming` or `outgoing` (default: both; a register, with `year`: `incoming`).
    #[param(schema_with = direction_schema)]
    pub direction: Option<String>,
    /// Only these states, comma-separated (`registered,assigned`; `draft` lists drafts).
    pub state: Option<String>,
    /// A register year: list that year's register (documents entered in it, in register
    /// order) instead of the agency's documents by state.
    #[param(minimum = 1900, maximum = 9999)]
    pub year: Option<i32>,
    /// `true`: only overdue incoming documents of the subtree, most overdue first.
    pub overdue: Option<bool>,
    /// Search text (diacritics ignored; the last word may be the start of a word): documents
    /// of the subtree having every word, newest first.
    pub q: Option<String>,
    /// At most this many (default 50; 1–500).
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub offset: Option<u32>,
}

fn states_of(caller: &Caller, s: Option<&str>) -> ApiResult<Vec<DocState>> {
    let mut out = Vec::new();
    for part in s.unwrap_or("").split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        out.push(
            DocState::parse(part).ok_or_else(|| bad(caller, ErrorCode::InvalidChoice, "state"))?,
        );
    }
    Ok(out)
}

/// Most working days a deadline may be set from today (a year).
const MAX_DAYS: u32 = 366;

fn days_of(caller: &Caller, d: Option<u32>, field: &str) -> ApiResult<Option<u32>> {
    match d {
        Some(n) if n > MAX_DAYS => Err(bad(caller, ErrorCode::DocumentInvalidDeadline, field)),
        _ => Ok(d),
    }
}

fn year_of(caller: &Caller, y: Option<i32>) -> ApiResult<Option<i32>> {
    match y {
        Some(n) if !(1900..=9999).contains(&n) => {
            Err(bad(caller, ErrorCode::InvalidChoice, "year"))
        }
        _ => Ok(y),
    }
}

fn today(s: &AppState) -> NaiveDate {
    registers::today(&s.app)
}

/// Documents of an agency in any state (drafts, documents in review, arrived ones… filtered by
/// `direction` and `state`), newest first; or, with `year`, its register of one direction and
/// year; or, with `q`, the search results of its subtree; or, with `overdue=true`, the overdue
/// incoming documents of its subtree.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", params(DocumentListParams),
    responses((status = 200, body = DocumentPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such agency"),
        (status = 422, body = Problem, description = "An unknown direction or state, a year out of range")))]
pub async fn documents_list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<DocumentListParams>,
) -> ApiResult<axum::Json<DocumentPage>> {
    let agency = agency_id(&caller, &q.agency)?;
    year_of(&caller, q.year)?;
    let direction = match q.direction.as_deref() {
        None => None,
        Some(d) => Some(
            Direction::parse(d)
                .ok_or_else(|| bad(&caller, ErrorCode::InvalidChoice, "direction"))?,
        ),
    };
    let states = states_of(&caller, q.state.as_deref())?;
    let day = today(&s);
    let keep = |r: &DocumentRecord| {
        direction.is_none_or(|d| r.doc.direction == d)
            && (states.is_empty() || states.contains(&r.doc.state))
            && q.year.is_none_or(|y| {
                r.doc
                    .incoming
                    .as_ref()
                    .and_then(|i| i.arrival.as_ref().map(|a| a.year))
                    .or_else(|| {
                        r.doc
                            .outgoing
                            .as_ref()
                            .and_then(|o| o.number.as_ref().map(|n| n.year))
                    })
                    == Some(y)
            })
    };
    let limit = q.limit.map(i64::from);
    let offset = q.offset.map(i64::from);
    let (items, total) = if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let found = s
            .app
            .documents_search(&caller.ctx, agency, text, Some(200))
            .await
            .map_err(err(&caller))?;
        let found: Vec<DocumentRecord> = found
            .into_iter()
            .filter(|r| keep(r))
            .filter(|r| q.overdue.is_none_or(|o| r.doc.is_overdue(day) == o))
            .collect();
        let total = found.len() as i64;
        let items = found
            .into_iter()
            .skip(offset.unwrap_or(0).max(0) as usize)
            .take(limit.unwrap_or(50).clamp(1, 500) as usize)
            .collect();
        (items, total)
    } else if q.overdue == Some(true) {
        let p = s
            .app
            .documents_overdue(&caller.ctx, agency, limit, offset)
            .await
            .map_err(err(&caller))?;
        let items: Vec<DocumentRecord> = p.items.into_iter().filter(|r| keep(r)).collect();
        (items, p.total)
    } else if q.year.is_some() {
        let p = s
            .app
            .documents_list(
                &caller.ctx,
                &DocumentListQuery {
                    agency_id: agency,
                    direction: direction.unwrap_or(Direction::Incoming),
                    year: q.year,
                    states: states.clone(),
                    limit,
                    offset,
                },
            )
            .await
            .map_err(err(&caller))?;
        (not_overdue_only(p.items, q.overdue, day), p.total)
    } else {
        let p = s
            .app
            .documents_by_state(
                &caller.ctx,
                &StateQuery {
                    agency_id: agency,
                    direction,
                    states: states.clone(),
                    lead_person: None,
                    created_by: None,
                    after: None,
                    limit,
                    offset,
                },
            )
            .await
            .map_err(err(&caller))?;
        (not_overdue_only(p.items, q.overdue, day), p.total)
    };
    Ok(axum::Json(DocumentPage {
        items: items
            .iter()
            .map(|r| document_dto(r, r.doc.is_overdue(day)))
            .collect(),
        total,
    }))
}

/// With `overdue=false`, the page's documents that are not overdue.
fn not_overdue_only(
    items: Vec<DocumentRecord>,
    overdue: Option<bool>,
    day: NaiveDate,
) -> Vec<DocumentRecord> {
    if overdue == Some(false) {
        items
            .into_iter()
            .filter(|r| !r.doc.is_overdue(day))
            .collect()
    } else {
        items
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocIncludeParams {
    /// Comma-separated: `events` (the history), `files` (the files' records).
    pub include: Option<String>,
}

/// One document, for staff of its agency (or above) who may read documents;
/// `include=events,files` adds the history and the files.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id"), DocIncludeParams),
    responses((status = 200, body = DocumentDto), (status = 401, body = Problem),
        (status = 404, body = Problem, description = "No such document, or not readable by the caller (`document.not_found`)"),
        (status = 422, body = Problem, description = "An unknown `include`")))]
pub async fn documents_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<DocIncludeParams>,
) -> ApiResult<axum::Json<DocumentDto>> {
    let id = doc_id(&caller, &id)?;
    let mut events = false;
    let mut files = false;
    for part in q.include.as_deref().unwrap_or("").split(',') {
        match part.trim() {
            "" => {}
            "events" => events = true,
            "files" => files = true,
            _ => return Err(bad(&caller, ErrorCode::InvalidChoice, "include")),
        }
    }
    let v = s
        .app
        .document_view(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(view_dto(&v, events, files)))
}

/// Download one file of a document (scan, main file, attachment or signature).
#[utoipa::path(get, path = "/api/v1/documents/{id}/files/{file_id}", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id"),
        ("file_id" = String, Path, format = Uuid, description = "File id")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn documents_file_get(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, file_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = doc_id(&caller, &id)?;
    let file_id = parse_id(&file_id, FileId, ErrorCode::FileNotFound, caller.lang)?;
    let (f, bytes) = s
        .app
        .document_file_content(&caller.ctx, id, file_id)
        .await
        .map_err(err(&caller))?;
    Ok(document_file_response(&f, bytes))
}

/// Download the document itself: the issued PDF (number and date stamped, the signer's and
/// the agency's embedded signatures) once issued, else the current main file (else the last
/// scan of a paper incoming document).
#[utoipa::path(get, path = "/api/v1/documents/{id}/file", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "Document id")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 401, body = Problem), (status = 404, body = Problem, description = "No such document, or it has no file")))]
pub async fn documents_default_file(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = doc_id(&caller, &id)?;
    let (f, bytes) = s
        .app
        .document_default_file(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    Ok(document_file_response(&f, bytes))
}

/// A document's file as a download (the API's and the pages' answer): its media type from the
/// recognised file type, `.p7s` signatures as `application/pkcs7-signature`.
pub(crate) fn document_file_response(f: &DocumentFile, bytes: Vec<u8>) -> Response {
    let media = match cqdt_domain::files::FileType::parse(&f.file_type) {
        Some(t) => t.media_type(),
        None if f.file_type == "p7s" => "application/pkcs7-signature",
        None => "application/octet-stream",
    };
    download(bytes, media, &f.name)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// The agency (id) whose subtree is searched.
    #[param(format = Uuid)]
    pub agency: String,
    /// Words (diacritics ignored; the last one may be the start of a word).
    pub q: String,
    /// At most this many (default 50; 1–200).
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
}

/// Search the documents of an agency's subtree (type, subject, sender, numbers, file texts;
/// secret documents are not indexed), newest first.
#[utoipa::path(get, path = "/api/v1/documents/search", tag = "documents", params(SearchParams),
    responses((status = 200, body = DocumentPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such agency")))]
pub async fn documents_search(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<SearchParams>,
) -> ApiResult<axum::Json<DocumentPage>> {
    let agency = agency_id(&caller, &q.agency)?;
    let found = s
        .app
        .documents_search(&caller.ctx, agency, &q.q, q.limit.map(i64::from))
        .await
        .map_err(err(&caller))?;
    let day = today(&s);
    Ok(axum::Json(DocumentPage {
        total: found.len() as i64,
        items: found
            .iter()
            .map(|r| document_dto(r, r.doc.is_overdue(day)))
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OverdueParams {
    /// The agency (id) whose subtree is listed.
    #[param(format = Uuid)]
    pub agency: String,
    /// At most this many (default 50; 1–500).
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub offset: Option<u32>,
}

/// Incoming documents of an agency's subtree past their handling date, most overdue first.
#[utoipa::path(get, path = "/api/v1/documents/overdue", tag = "documents", params(OverdueParams),
    responses((status = 200, body = DocumentPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such agency")))]
pub async fn documents_overdue(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<OverdueParams>,
) -> ApiResult<axum::Json<DocumentPage>> {
    let agency = agency_id(&caller, &q.agency)?;
    let p = s
        .app
        .documents_overdue(
            &caller.ctx,
            agency,
            q.limit.map(i64::from),
            q.offset.map(i64::from),
        )
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(DocumentPage {
        items: p.items.iter().map(|r| document_dto(r, true)).collect(),
        total: p.total,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FiguresParams {
    /// The agency (id) whose subtree is counted.
    #[param(format = Uuid)]
    pub agency: String,
    /// First day (local date), `YYYY-MM-DD`; default 1 January of this year.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day (included); default today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// Figures of an agency subtree over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresDto {
    #[schema(format = Uuid)]
    pub agency_id: String,
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Outgoing documents issued (by issue date).
    pub issued: i64,
    /// … sent over the exchange to at least one recipient.
    pub issued_electronic: i64,
    /// … with the signer's and the agency's digital signatures.
    pub issued_both_signatures: i64,
    /// Incoming documents registered (by arrival date).
    pub received: i64,
    pub received_electronic: i64,
    /// (document, recipient) pairs from province-level issuers to district-level agencies.
    pub province_to_district: i64,
    pub province_to_district_electronic: i64,
    /// Their electronic share in per mille; none without such pairs.
    pub province_to_district_electronic_permille: Option<i64>,
}

/// Figures of documents of an agency subtree over a period: issued (electronically, with both
/// signatures), received (electronically), and province → district sending.
#[utoipa::path(get, path = "/api/v1/documents/figures", tag = "documents", params(FiguresParams),
    responses((status = 200, body = FiguresDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such agency"),
        (status = 422, body = Problem, description = "The period ends before it starts")))]
pub async fn documents_figures(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<FiguresParams>,
) -> ApiResult<axum::Json<FiguresDto>> {
    let agency = agency_id(&caller, &q.agency)?;
    let day = today(&s);
    let to = q.to.unwrap_or(day);
    let from = q
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    let f = s
        .app
        .document_figures(&caller.ctx, agency, from, to)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(FiguresDto {
        agency_id: agency.to_string(),
        from,
        to,
        issued: f.figures.issued,
        issued_electronic: f.figures.issued_electronic,
        issued_both_signatures: f.figures.issued_both_signatures,
        received: f.figures.received,
        received_electronic: f.figures.received_electronic,
        province_to_district: f.figures.province_to_district,
        province_to_district_electronic: f.figures.province_to_district_electronic,
        province_to_district_electronic_permille: f.province_to_district_electronic_permille,
    }))
}

// ---------- Registers ----------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegisterParams {
    /// The agency (id) keeping the register.
    #[param(format = Uuid)]
    pub agency: String,
    /// The year (default this year).
    #[param(minimum = 1900, maximum = 9999)]
    pub year: Option<i32>,
    /// `json` (default: a page, newest first), `pdf` or `xlsx` (the whole register of the
    /// year in the layout of NĐ 30/2020 Phụ lục IV, in register order).
    pub format: Option<String>,
    /// JSON only: at most this many (default 50; 1–500).
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub offset: Option<u32>,
}

/// One line of a register.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterRowDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// Incoming: Ngày đến.
    #[schema(value_type = Option<String>, format = Date)]
    pub arrival_date: Option<NaiveDate>,
    /// Incoming: Số đến.
    pub arrival_number: Option<u32>,
    /// Incoming: Tác giả (the issuing agency).
    pub author: Option<String>,
    /// Số, ký hiệu văn bản.
    pub number: Option<String>,
    /// Ngày tháng văn bản.
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
    pub type_name: String,
    /// Trích yếu nội dung.
    pub subject: String,
    /// Outgoing: Người ký.
    pub signer: Option<String>,
    /// Outgoing: Nơi nhận.
    pub recipients: Vec<String>,
    /// Incoming: Đơn vị hoặc người nhận (names).
    pub recipient: Option<String>,
    #[schema(format = Uuid)]
    pub lead_unit: Option<String>,
    #[schema(format = Uuid)]
    pub lead_person: Option<String>,
    /// Follow-up: Thời hạn giải quyết.
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<NaiveDate>,
    #[schema(schema_with = doc_state_schema)]
    pub state: String,
    /// Follow-up: Tiến độ giải quyết.
    pub progress: String,
    pub overdue: bool,
    /// Follow-up: Số, ký hiệu văn bản trả lời.
    pub reply_number: Option<String>,
    #[schema(schema_with = urgency_schema)]
    pub urgency: String,
    #[schema(schema_with = secrecy_schema)]
    pub secrecy: String,
    pub electronic: bool,
}

/// A page of a register.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterPageDto {
    /// `incoming`, `outgoing` or `follow-up`.
    #[schema(schema_with = register_kind_schema)]
    pub kind: String,
    /// "Sổ đăng ký văn bản đến".
    pub title: String,
    /// The printed column titles (Phụ lục IV).
    pub column_titles: Vec<String>,
    #[schema(format = Uuid)]
    pub agency_id: String,
    pub year: i32,
    pub items: Vec<RegisterRowDto>,
    pub total: i64,
}

fn register_row_dto(r: &RegisterRow, names: &registers::Names) -> RegisterRowDto {
    RegisterRowDto {
        id: r.id.to_string(),
        arrival_date: r.arrival_date,
        arrival_number: r.arrival_number,
        author: r.author.clone(),
        number: r.number.clone(),
        date: r.date,
        type_name: r.type_name.clone(),
        subject: r.subject.clone(),
        signer: r.signer.clone(),
        recipients: r.recipients.clone(),
        recipient: names.recipient(r),
        lead_unit: r.lead_unit.map(|x| x.to_string()),
        lead_person: r.lead_person.map(|x| x.to_string()),
        due: r.due,
        state: r.state.as_str().to_string(),
        progress: registers::progress(r),
        overdue: r.overdue,
        reply_number: r.reply_number.clone(),
        urgency: urgency_name(r.urgency).to_string(),
        secrecy: secrecy_name(r.secrecy).to_string(),
        electronic: r.electronic,
    }
}

/// A register of an agency for a year (NĐ 30/2020 Phụ lục IV): `incoming` (Sổ đăng ký văn bản
/// đến), `outgoing` (Sổ đăng ký văn bản đi) or `follow-up` (Sổ theo dõi giải quyết văn bản
/// đến); as JSON (a page, newest first) or printed as PDF or XLSX.
#[utoipa::path(get, path = "/api/v1/documents/registers/{kind}", tag = "documents",
    params(("kind" = String, Path, description = "`incoming`, `outgoing` or `follow-up`"), RegisterParams),
    responses((status = 200, description = "The register: JSON, or printed as PDF or XLSX (`format`)",
            content((RegisterPageDto = "application/json"),
                ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("application/pdf"))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such agency"),
        (status = 422, body = Problem, description = "An unknown register `kind` or `format`, a year out of range")))]
pub async fn documents_register(
    State(s): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    Query(q): Query<RegisterParams>,
) -> ApiResult<Response> {
    let book =
        registers::book_of(&kind).ok_or_else(|| bad(&caller, ErrorCode::InvalidChoice, "kind"))?;
    let agency = agency_id(&caller, &q.agency)?;
    let year = year_of(&caller, q.year)?.unwrap_or_else(|| today(&s).year());
    let xlsx = match q.format.as_deref().unwrap_or("json") {
        "json" => None,
        "xlsx" => Some(true),
        "pdf" => Some(false),
        _ => return Err(bad(&caller, ErrorCode::InvalidChoice, "format")),
    };
    if let Some(xlsx) = xlsx {
        let (bytes, name) = registers::render(&s.app, &caller.ctx, agency, book, year, xlsx)
            .await
            .map_err(err(&caller))?;
        let media = if xlsx {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        } else {
            "application/pdf"
        };
        return Ok(download(bytes, media, &name));
    }
    let page = s
        .app
        .document_register(
            &caller.ctx,
            &RegisterQuery {
                agency_id: agency,
                book,
                year,
                limit: q.limit.map(i64::from),
                offset: q.offset.map(i64::from),
            },
        )
        .await
        .map_err(err(&caller))?;
    let names = registers::Names::of(&s.app, &page.items)
        .await
        .map_err(err(&caller))?;
    let rk = registers::register_kind(book);
    Ok(axum::Json(RegisterPageDto {
        kind: registers::kind_name(book).to_string(),
        title: rk.title().to_string(),
        column_titles: rk.column_titles().iter().map(|t| t.to_string()).collect(),
        agency_id: agency.to_string(),
        year,
        items: page
            .items
            .iter()
            .map(|r| register_row_dto(r, &names))
            .collect(),
        total: page.total,
    })
    .into_response())
}
