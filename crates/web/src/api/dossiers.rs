//! The JSON API of the procedure catalogue, dossiers and Biểu II.06a (issue 4). The handlers
//! are listed in [`super::ApiDoc`] and routed in [`super::routes`].
//!
//! The domain's types carry no schema, so the API mirrors them in DTOs.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, NaiveDateTime};
use cqdt_app::AppError;
use cqdt_app::agencies::Format;
use cqdt_app::dossiers::{
    ApplicantInput, DeskReception, DossierAction, DossierView, OnlineSubmission, Queue, WorkItem,
    WorklistQuery,
};
use cqdt_app::procedures::{CatalogueImport, ProcedureQuery};
use cqdt_app::store::{DossierRecord, ProcedureLevel, ProcedureRecord, StateCount};
use cqdt_domain::ErrorCode;
use cqdt_domain::calendar::{ExtensionTarget, Timeliness};
use cqdt_domain::dossier::{
    Channel, DossierEvent, Evaluation, Ii06aReport, Ii06aRow, IndexScore, ReturnMethod,
    Satisfaction, StateName,
};
use cqdt_domain::ids::{AgencyId, DossierId, ProcedureId};
use cqdt_domain::procedure::{FeeKind, FieldType, PaperForm, ServiceLevel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ExtensionTargetDto, TimelinessDto, WorkDurationDto, err, parse_id, us_to_rfc3339};
use crate::auth::Caller;
use crate::extract::{Body, Json, Query};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

fn bad(caller: &Caller, code: ErrorCode, field: &str) -> ApiError {
    ApiError::from(AppError::field(code, field)).lang(caller.lang)
}

/// A serde enum's machine name.
fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn local_string(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn timeliness_dto(t: Timeliness) -> TimelinessDto {
    match t {
        Timeliness::Early => TimelinessDto::Early,
        Timeliness::OnTime => TimelinessDto::OnTime,
        Timeliness::Late => TimelinessDto::Late,
    }
}

// ---------- Schemas of closed sets of codes ----------

fn enum_of(values: Vec<String>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .build()
}

fn procedure_level_schema() -> utoipa::openapi::Object {
    enum_of(
        ProcedureLevel::ALL
            .iter()
            .map(|l| l.as_str().to_string())
            .collect(),
    )
}

fn state_schema() -> utoipa::openapi::Object {
    enum_of(
        StateName::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    )
}

fn queue_schema() -> utoipa::openapi::Object {
    enum_of(
        ["desk", "processing", "approval", "all"]
            .map(String::from)
            .to_vec(),
    )
}

fn channel_schema() -> utoipa::openapi::Object {
    enum_of(Channel::ALL.iter().map(name_of).collect())
}

fn desk_channel_schema() -> utoipa::openapi::Object {
    enum_of(vec!["direct".into(), "post".into()])
}

fn return_method_schema() -> utoipa::openapi::Object {
    enum_of(ReturnMethod::ALL.iter().map(name_of).collect())
}

fn service_level_schema() -> utoipa::openapi::Object {
    enum_of(ServiceLevel::ALL.iter().map(name_of).collect())
}

// ---------- Procedures ----------

/// A fee or charge (integer VND).
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeDto {
    pub name: String,
    /// `fee` (phí) or `charge` (lệ phí).
    pub kind: String,
    pub amount_vnd: u64,
    pub note: Option<String>,
}

/// A paper of the dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartDto {
    pub name: String,
    pub required: bool,
    /// `original`, `copy`, `certified_copy` or `original_or_copy`.
    pub form: String,
    /// Vietnamese label of the form ("Bản chính").
    pub form_label: String,
    pub count: u32,
    /// File name of the blank template.
    pub template: Option<String>,
}

/// A field of the applicant's form.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormFieldDto {
    /// The key of the value in `values`.
    pub key: String,
    pub label: String,
    /// `text`, `number`, `date`, `choice`, `address`, `id_number`, `phone` or `email`.
    #[serde(rename = "type")]
    pub field_type: String,
    pub required: bool,
    pub max_length: Option<u32>,
    pub choices: Vec<String>,
    pub help: Option<String>,
}

/// A step of the processing route.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteStepDto {
    /// Index of the step (from 0), as in `send_back.to_step`.
    pub index: u16,
    pub name: String,
    #[schema(format = Uuid)]
    pub agency_id: Option<String>,
    pub unit: Option<String>,
    /// The role acting at the step.
    pub role: String,
    pub allotted: WorkDurationDto,
    pub inter_agency: bool,
}

/// A procedure of the catalogue (one version), with everything a portal page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// `D.NNNNNN`, e.g. `1.000894`.
    pub national_code: String,
    pub local_code: Option<String>,
    pub name: String,
    /// Field (lĩnh vực).
    pub field: String,
    pub field_code: Option<String>,
    /// `province`, `district` or `commune`.
    #[schema(schema_with = procedure_level_schema)]
    pub level: String,
    /// `information_only`, `partly_online` or `fully_online`.
    #[schema(schema_with = service_level_schema)]
    pub service_level: String,
    /// The 2019 level: 2, 3 or 4.
    pub service_level_2019: u8,
    /// "Mức độ 3".
    pub service_level_label: String,
    pub online_submission: bool,
    pub legal_time: WorkDurationDto,
    pub legal_time_note: Option<String>,
    pub fees: Vec<FeeDto>,
    pub total_fees_vnd: u64,
    pub parts: Vec<PartDto>,
    pub form: Vec<FormFieldDto>,
    pub route: Vec<RouteStepDto>,
    pub result: String,
    pub legal_basis: Vec<String>,
    /// Implementing agencies (ids).
    pub agencies: Vec<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub version: u32,
    /// The version in effect for new dossiers.
    pub current: bool,
    /// What the source data could not confirm.
    pub unconfirmed: Vec<serde_json::Value>,
    pub sources: Vec<serde_json::Value>,
}

impl From<&ProcedureRecord> for ProcedureDto {
    fn from(r: &ProcedureRecord) -> Self {
        let p = &r.procedure;
        ProcedureDto {
            id: r.id.to_string(),
            national_code: p.national_code.to_string(),
            local_code: p.local_code.as_ref().map(|c| c.to_string()),
            name: p.name.clone(),
            field: p.field.name.clone(),
            field_code: p.field.code.clone(),
            level: r.level.as_str().to_string(),
            service_level: name_of(&p.level),
            service_level_2019: p.level.level_2019(),
            service_level_label: p.level.label_2019_vi(),
            online_submission: p.level.allows_online_submission(),
            legal_time: p.legal_time.into(),
            legal_time_note: r.notes.legal_days_note.clone(),
            fees: p
                .fees
                .iter()
                .map(|f| FeeDto {
                    name: f.name.clone(),
                    kind: match f.kind {
                        FeeKind::Fee => "fee".into(),
                        FeeKind::Charge => "charge".into(),
                    },
                    amount_vnd: f.amount_vnd,
                    note: f.note.clone(),
                })
                .collect(),
            total_fees_vnd: p.total_fees_vnd(),
            parts: p
                .parts
                .iter()
                .map(|x| PartDto {
                    name: x.name.clone(),
                    required: x.required,
                    form: name_of(&x.form),
                    form_label: PaperForm::label_vi(x.form).to_string(),
                    count: x.count,
                    template: x.template.clone(),
                })
                .collect(),
            form: p
                .form
                .fields
                .iter()
                .map(|f| FormFieldDto {
                    key: f.key.clone(),
                    label: f.label.clone(),
                    field_type: name_of::<FieldType>(&f.field_type),
                    required: f.required,
                    max_length: f.max_length,
                    choices: f.choices.clone(),
                    help: f.help.clone(),
                })
                .collect(),
            route: p
                .route
                .iter()
                .enumerate()
                .map(|(i, s)| RouteStepDto {
                    index: u16::try_from(i).unwrap_or(u16::MAX),
                    name: s.name.clone(),
                    agency_id: s.agency.map(|a| a.to_string()),
                    unit: s.unit.clone(),
                    role: s.role.as_str().to_string(),
                    allotted: s.allotted.into(),
                    inter_agency: s.inter_agency,
                })
                .collect(),
            result: p.result.clone(),
            legal_basis: p.legal_basis.clone(),
            agencies: p.agencies.iter().map(|a| a.to_string()).collect(),
            effective_from: p.effective_from,
            effective_to: p.effective_to,
            version: p.version,
            current: r.current,
            unconfirmed: r.notes.unconfirmed.clone(),
            sources: r.notes.sources.clone(),
        }
    }
}

/// A page of procedures.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedurePage {
    pub items: Vec<ProcedureDto>,
    /// Matches before paging.
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProcedureListQuery {
    /// Words of the name, with or without diacritics ("dang ky ket hon"), or a national code.
    pub q: Option<String>,
    /// Field (lĩnh vực), with or without diacritics.
    pub field: Option<String>,
    /// `province`, `district` or `commune`.
    #[param(schema_with = procedure_level_schema)]
    pub level: Option<String>,
    /// Only procedures this agency (id) implements.
    #[param(format = Uuid)]
    pub agency: Option<String>,
    /// At most this many (default 50; 1–500).
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub offset: Option<u32>,
}

/// A fee of an imported procedure.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CatalogueFeeDto {
    pub name: String,
    /// `fee` or `charge`.
    pub kind: String,
    pub amount_vnd: u64,
    pub note: Option<String>,
}

/// A paper of an imported procedure.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CataloguePartDto {
    pub name: String,
    pub required: Option<bool>,
    /// `true`: the original, `false`: a copy (`copies` is then how many); or a number of
    /// originals.
    pub original: Option<serde_json::Value>,
    pub copies: Option<u32>,
    pub template: Option<String>,
}

/// A form field of an imported procedure.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CatalogueFormFieldDto {
    /// The key (`[a-z0-9_]`).
    pub name: String,
    pub label: String,
    /// `text`, `number`, `date`, `choice`, `address`, `id_number`, `phone` or `email`.
    #[serde(rename = "type")]
    pub field_type: String,
    pub required: Option<bool>,
    pub choices: Option<Vec<String>>,
    pub max_len: Option<u32>,
}

/// A route step of an imported procedure.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CatalogueStepDto {
    /// The step's name, or its number (the unit then names it).
    pub step: serde_json::Value,
    pub unit: Option<String>,
    /// Where the unit sits (informative).
    pub agency_level: Option<String>,
    /// `one_stop_officer`, `specialist`, `leader`…
    pub role: String,
    /// Working days; halves allowed.
    pub days: f64,
    pub inter_agency: Option<bool>,
}

/// One procedure of an import (the format of `data/demo/tay-ninh/procedures.json`); unknown
/// fields are refused.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CatalogueItemDto {
    /// `D.NNNNNN`.
    pub national_code: String,
    pub local_code: Option<String>,
    pub name: String,
    /// The field's name, or `{"code": …, "name": …}`.
    pub field: serde_json::Value,
    /// `province`, `district` or `commune`.
    pub level: String,
    /// Identifiers of the implementing agencies, e.g. `000.00.20.H53`.
    pub agencies: Option<Vec<String>>,
    /// 2, 3 or 4.
    pub service_level: u8,
    /// Working days; halves allowed; 0 = within the day.
    pub legal_days: f64,
    pub legal_days_note: Option<String>,
    pub fees: Option<Vec<CatalogueFeeDto>>,
    pub parts: Option<Vec<CataloguePartDto>>,
    pub form: Option<Vec<CatalogueFormFieldDto>>,
    pub route: Option<Vec<CatalogueStepDto>>,
    pub result: String,
    pub legal_basis: Option<Vec<String>>,
    /// `YYYY-MM-DD`; empty: from the day of the import.
    pub effective_from: Option<String>,
    pub effective_to: Option<String>,
    pub unconfirmed: Option<Vec<serde_json::Value>>,
    pub sources: Option<Vec<serde_json::Value>>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueImportDto {
    /// New procedures.
    pub inserted: usize,
    /// New versions of procedures already in the catalogue.
    pub new_versions: usize,
    /// Items identical to the version in effect.
    pub unchanged: usize,
}

impl From<CatalogueImport> for CatalogueImportDto {
    fn from(r: CatalogueImport) -> Self {
        CatalogueImportDto {
            inserted: r.inserted,
            new_versions: r.new_versions,
            unchanged: r.unchanged,
        }
    }
}

/// Search the procedure catalogue (versions in effect): diacritic-insensitive, every word must
/// appear; names equal to the text first, then names starting with it, then the rest.
#[utoipa::path(get, path = "/api/v1/procedures", tag = "procedures", params(ProcedureListQuery),
    responses((status = 200, body = ProcedurePage),
        (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"),
        (status = 422, body = Problem, description = "An unknown level")))]
pub async fn procedures_list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ProcedureListQuery>,
) -> ApiResult<axum::Json<ProcedurePage>> {
    let level = match q.level.as_deref() {
        None => None,
        Some(l) => Some(
            ProcedureLevel::parse(l)
                .ok_or_else(|| bad(&caller, ErrorCode::InvalidChoice, "level"))?,
        ),
    };
    let agency = match q.agency.as_deref() {
        None => None,
        Some(a) => Some(parse_id(a, AgencyId, ErrorCode::InvalidQuery, caller.lang)?),
    };
    let page = s
        .app
        .procedures_search(
            &caller.ctx,
            &ProcedureQuery {
                q: q.q,
                field: q.field,
                level,
                agency,
                limit: q.limit.map(i64::from),
                offset: q.offset.map(i64::from),
            },
        )
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(ProcedurePage {
        items: page.items.iter().map(ProcedureDto::from).collect(),
        total: page.total,
    }))
}

/// One version of a procedure.
#[utoipa::path(get, path = "/api/v1/procedures/{id}", tag = "procedures",
    params(("id" = String, Path, format = Uuid, description = "Procedure (version) id")),
    responses((status = 200, body = ProcedureDto),
        (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"),
        (status = 404, body = Problem)))]
pub async fn procedures_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ProcedureDto>> {
    let id = parse_id(&id, ProcedureId, ErrorCode::ProcedureNotFound, caller.lang)?;
    let r = s
        .app
        .procedure(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(ProcedureDto::from(&r)))
}

/// The format of a catalogue file (`json` when not given).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CatalogueFormatQuery {
    /// `json` (the default) or `csv`
    #[param(value_type = Option<super::FileFormat>)]
    pub format: Option<String>,
}

fn catalogue_format(q: &CatalogueFormatQuery, caller: &Caller) -> ApiResult<Format> {
    match q.format.as_deref() {
        None => Ok(Format::Json),
        Some(f) => Format::parse(f).ok_or_else(|| bad(caller, ErrorCode::InvalidChoice, "format")),
    }
}

/// A CSV file of procedures: a header line naming the columns (`national_code`, `name`,
/// `field_name`, `level`, `service_level`, `legal_days` and `result` are required; the others
/// are `local_code`, `field_code`, `legal_days_note`, `agencies` — official identifiers
/// separated by `;` —, `effective_from`, `effective_to`, and the lists `fees`, `parts`, `form`,
/// `route`, `legal_basis`, `unconfirmed`, `sources` as JSON arrays in their cells, written as
/// in the JSON items), then one procedure per line.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // a schema only: the body is read as bytes
pub struct CatalogueCsv(pub String);

/// Import procedures, a JSON array of items (`format=json`) or a CSV file with a header line
/// (`format=csv`; without `format`, a `text/csv` body is CSV and any other JSON): every item is checked first; if any is bad nothing is written
/// and every error is listed with its item number (`line`, from 1; for CSV the line of the
/// file, the header being line 1) and field (for CSV, the column). A known national code
/// becomes its next version unless identical. Administrators of every implementing agency only.
#[utoipa::path(post, path = "/api/v1/procedures/import", tag = "procedures", params(CatalogueFormatQuery),
    request_body(description = "A JSON array of items (`format=json`), or CSV with a header line (`format=csv`). A `text/csv` body is always CSV. Otherwise, without `format` the body is JSON and needs a JSON content type (as before CSV existed); with `format`, the body's content type is not checked",
        content((Vec<CatalogueItemDto> = "application/json"), (CatalogueCsv = "text/csv"))),
    responses((status = 200, body = CatalogueImportDto),
        (status = 400, body = Problem, description = "A JSON body that is not a JSON array of objects"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem, description = "`format=json` without a JSON content type"),
        (status = 422, body = Problem, description = "`import.failed` with the errors of every item, or `import.format` for a bad CSV header")))]
pub async fn procedures_import(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<CatalogueFormatQuery>,
    req: axum::extract::Request,
) -> ApiResult<axum::Json<CatalogueImportDto>> {
    // A `text/csv` body is CSV; otherwise without `format` JSON with the JSON body's checks
    // (its content type included), and with `format` the content type is not checked.
    let csv_body = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"));
    // A `text/csv` body is CSV whatever `format` says (a valid `format` is still required
    // when given). `None`: JSON with the JSON body's checks.
    let format = match q.format.as_deref() {
        _ if csv_body => {
            if q.format.is_some() {
                catalogue_format(&q, &caller)?;
            }
            Some(Format::Csv)
        }
        None => None,
        Some(_) => Some(catalogue_format(&q, &caller)?),
    };
    let r = match format {
        None => {
            let Json(items) = Json::<Vec<serde_json::Value>>::from_request_json(req, &s).await?;
            s.app.procedures_import_items(&caller.ctx, items).await
        }
        Some(format) => {
            let Body(body) =
                <Body as axum::extract::FromRequest<AppState>>::from_request(req, &s).await?;
            match format {
                Format::Csv => {
                    s.app
                        .procedures_import_file(&caller.ctx, Format::Csv, &body)
                        .await
                }
                Format::Json => {
                    let items = crate::extract::parse_json::<Vec<serde_json::Value>>(&body)
                        .map_err(|e| ApiError::from(e).lang(caller.lang))?;
                    s.app.procedures_import_items(&caller.ctx, items).await
                }
            }
        }
    }
    .map_err(err(&caller))?;
    Ok(axum::Json(r.into()))
}

/// Export the catalogue, the version in effect of every procedure by national code, in the
/// import format (JSON items, or CSV one procedure a row): importing the file back changes
/// nothing.
#[utoipa::path(get, path = "/api/v1/procedures/export", tag = "procedures", params(CatalogueFormatQuery),
    responses((status = 200, description = "The file: a JSON array of items, or CSV with a header line",
        content((Vec<CatalogueItemDto> = "application/json"), (CatalogueCsv = "text/csv")),
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"thu-tuc.json\"` (or `.csv`)"))),
        (status = 400, body = Problem), (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn procedures_export(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<CatalogueFormatQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let format = catalogue_format(&q, &caller)?;
    let bytes = s
        .app
        .procedures_export(&caller.ctx, format)
        .await
        .map_err(err(&caller))?;
    let (ct, disposition) = match format {
        Format::Csv => (
            "text/csv; charset=utf-8",
            "attachment; filename=\"thu-tuc.csv\"",
        ),
        Format::Json => ("application/json", "attachment; filename=\"thu-tuc.json\""),
    };
    let mut res = bytes.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(disposition),
    );
    Ok(res)
}

// ---------- Dossiers ----------

/// The applicant of a dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantDto {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// The applicant's account, if the dossier is linked to one.
    #[schema(format = Uuid)]
    pub user_id: Option<String>,
}

/// The procedure version a dossier was submitted under.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierProcedureDto {
    #[schema(format = Uuid)]
    pub id: String,
    pub national_code: String,
    pub version: u32,
    pub name: String,
    pub field: String,
    pub legal_time: WorkDurationDto,
}

/// The one supplement request.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplementDto {
    pub requested_at: String,
    pub reasons: Vec<String>,
    pub during_processing: bool,
    pub answered_at: Option<String>,
}

/// The apology and new appointment (form 04).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApologyDto {
    pub issued_at: String,
    pub reason: String,
    /// Local time.
    pub previous_due: String,
    /// Local time.
    pub new_appointment: String,
}

/// The applicant's rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationDto {
    /// `very_satisfied`, `satisfied` or `dissatisfied`.
    pub satisfaction: String,
    pub scores: Vec<IndexScoreDto>,
    pub comment: Option<String>,
}

/// A score of one of the nine indices (1–9, points 0–2).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexScoreDto {
    #[schema(minimum = 1, maximum = 9)]
    pub index: u8,
    #[schema(minimum = 0, maximum = 2)]
    pub points: u8,
}

/// One event of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    /// Sequence number, from 1.
    pub seq: i64,
    /// When (UTC).
    pub at: String,
    /// Who acted (account id); none for the system or an anonymous applicant.
    #[schema(format = Uuid)]
    pub actor: Option<String>,
    /// Internal state after the event.
    #[schema(schema_with = state_schema)]
    pub state: String,
    /// National status (TrangThaiHoSo 1–10) after the event.
    pub national_status: u8,
    pub national_status_label: String,
    /// Due instant after the event (local time, NgayHenTra).
    pub due: Option<String>,
    /// Appointment after the apology (local time).
    pub appointment: Option<String>,
    pub clock_paused: bool,
    /// What happened: `{"type": "received", …}` with the event's data.
    #[schema(value_type = Object)]
    pub kind: serde_json::Value,
}

fn event_dto(seq: i64, e: &DossierEvent, with_actor: bool) -> EventDto {
    EventDto {
        seq,
        at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        actor: e.actor.filter(|_| with_actor).map(|u| u.to_string()),
        state: e.state.as_str().to_string(),
        national_status: e.status.code(),
        national_status_label: e.status.label_vi().to_string(),
        due: e.due.map(local_string),
        appointment: e.appointment.map(local_string),
        clock_paused: e.clock_paused,
        kind: serde_json::to_value(&e.kind).unwrap_or_default(),
    }
}

/// A dossier.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// `{agency identifier}-{yyMMdd}-{NNNN}`.
    pub code: String,
    /// The receiving agency.
    #[schema(format = Uuid)]
    pub agency_id: String,
    pub procedure: DossierProcedureDto,
    pub applicant: ApplicantDto,
    /// The applicant's form, normalised.
    pub values: BTreeMap<String, String>,
    #[schema(schema_with = return_method_schema)]
    pub return_method: Option<String>,
    /// `direct`, `online` or `post`.
    #[schema(schema_with = channel_schema)]
    pub channel: Option<String>,
    /// KenhThucHien 1–3.
    pub channel_code: Option<u8>,
    #[schema(schema_with = state_schema)]
    pub state: String,
    pub state_label: String,
    /// TrangThaiHoSo 1–10.
    pub national_status: u8,
    pub national_status_label: String,
    /// The route step the dossier is at (or will resume at).
    pub step: Option<u16>,
    pub clock_paused: bool,
    pub submitted_at: Option<String>,
    /// NgayTiepNhan.
    pub received_at: Option<String>,
    /// NgayHenTra (with pauses); none before receipt and while paused.
    pub due_at: Option<String>,
    /// After the apology's new appointment.
    pub appointment_at: Option<String>,
    /// NgayKetThucXuLy.
    pub finished_at: Option<String>,
    pub returned_at: Option<String>,
    pub timeliness: Option<TimelinessDto>,
    /// Open, clock running, past due.
    pub overdue: bool,
    /// Due by the end of the next working day.
    pub due_soon: bool,
    pub supplement: Option<SupplementDto>,
    pub apology: Option<ApologyDto>,
    pub evaluation: Option<EvaluationDto>,
    /// Increases with every change.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The timeline, with `include=events`.
    pub events: Option<Vec<EventDto>>,
    /// The files, with `include=files` (and on submission).
    pub files: Option<Vec<super::files::FileDto>>,
}

fn rfc(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn dossier_dto(
    r: &DossierRecord,
    overdue: bool,
    due_soon: bool,
    events: Option<&[(i64, DossierEvent)]>,
    public: bool,
) -> DossierDto {
    let d = &r.dossier;
    let terms = d.terms();
    let a = &r.applicant;
    let state = d.state().name();
    DossierDto {
        id: r.id.to_string(),
        code: r.code.clone(),
        agency_id: r.agency_id.to_string(),
        procedure: DossierProcedureDto {
            id: r.procedure_id.to_string(),
            national_code: terms.national_code.to_string(),
            version: terms.version,
            name: terms.name.clone(),
            field: terms.field.name.clone(),
            legal_time: terms.legal_time.into(),
        },
        applicant: ApplicantDto {
            name: a.name.clone(),
            id_number: a.id_number.clone().filter(|_| !public),
            phone: a.phone.clone().filter(|_| !public),
            email: a.email.clone().filter(|_| !public),
            address: a.address.clone().filter(|_| !public),
            user_id: a.user_id.filter(|_| !public).map(|u| u.to_string()),
        },
        values: if public {
            BTreeMap::new()
        } else {
            r.form_values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        },
        return_method: r.return_method.as_ref().map(name_of),
        channel: d.channel().as_ref().map(name_of),
        channel_code: d.channel().map(Channel::code),
        state: state.as_str().to_string(),
        state_label: state.label_vi().to_string(),
        national_status: d.national_status().code(),
        national_status_label: d.national_status().label_vi().to_string(),
        step: d.state().step(),
        clock_paused: d.is_clock_paused(),
        submitted_at: rfc(d.submitted_at()),
        received_at: rfc(d.received_at()),
        due_at: r.due_at_us.map(us_to_rfc3339),
        appointment_at: r.appointment_at_us.map(us_to_rfc3339),
        finished_at: rfc(d.finished_at()),
        returned_at: rfc(d.returned_at()),
        timeliness: d.timeliness().map(timeliness_dto),
        overdue,
        due_soon,
        supplement: d.supplement().map(|s| SupplementDto {
            requested_at: rfc(Some(s.requested_at)).unwrap_or_default(),
            reasons: s.reasons.clone(),
            during_processing: s.during_processing,
            answered_at: rfc(s.answered_at),
        }),
        apology: d.apology().map(|x| ApologyDto {
            issued_at: rfc(Some(x.issued_at)).unwrap_or_default(),
            reason: x.reason.clone(),
            previous_due: local_string(x.previous_due),
            new_appointment: local_string(x.new_appointment),
        }),
        evaluation: d.evaluation().map(|e| EvaluationDto {
            satisfaction: name_of(&e.satisfaction),
            scores: e
                .scores
                .iter()
                .map(|s| IndexScoreDto {
                    index: s.index,
                    points: s.points,
                })
                .collect(),
            comment: e.comment.clone(),
        }),
        version: r.version,
        created_at: us_to_rfc3339(r.created_at_us),
        updated_at: us_to_rfc3339(r.updated_at_us),
        events: events.map(|es| es.iter().map(|(s, e)| event_dto(*s, e, !public)).collect()),
        files: None,
    }
}

/// A dossier just submitted, with its files.
pub fn submitted_dto(r: &DossierRecord, files: &[cqdt_app::store::FileRecord]) -> DossierDto {
    let mut d = dossier_dto(r, false, false, None, false);
    d.files = Some(files.iter().map(super::files::file_dto).collect());
    d
}

fn view_dto(v: &DossierView, public: bool) -> DossierDto {
    dossier_dto(
        &v.record,
        v.overdue,
        v.due_soon,
        v.events.as_deref(),
        public,
    )
}

fn item_dto(i: &WorkItem) -> DossierDto {
    dossier_dto(&i.record, i.overdue, i.due_soon, None, false)
}

/// How many dossiers of the list are in a state.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateCountDto {
    #[schema(schema_with = state_schema)]
    pub state: String,
    pub total: i64,
    pub overdue: i64,
}

impl From<&StateCount> for StateCountDto {
    fn from(c: &StateCount) -> Self {
        StateCountDto {
            state: c.state.as_str().to_string(),
            total: c.total,
            overdue: c.overdue,
        }
    }
}

/// A page of dossiers with the counts by state over the whole list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierPage {
    pub items: Vec<DossierDto>,
    pub total: i64,
    pub counts: Vec<StateCountDto>,
}

/// An online submission by the signed-in citizen or business.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlineSubmissionBody {
    /// The procedure (version in effect).
    #[schema(format = Uuid)]
    pub procedure_id: String,
    /// The receiving agency, one of the procedure's.
    #[schema(format = Uuid)]
    pub agency_id: String,
    /// The applicant's form (see the procedure's `form`).
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    pub values: BTreeMap<String, String>,
    /// How to receive the result.
    #[serde(default)]
    #[schema(schema_with = return_method_schema)]
    pub return_method: Option<String>,
    /// Defaults to the account's.
    #[serde(default)]
    pub id_number: Option<String>,
    /// Defaults to the account's.
    #[serde(default)]
    pub phone: Option<String>,
    /// Defaults to the account's.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// The applicant, as the desk officer types them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantBody {
    pub name: String,
    /// 12 digits (or 9): an ID number or a phone is required.
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// Login (e-mail or phone) of the applicant's account, to link the dossier to it.
    #[serde(default)]
    pub account: Option<String>,
}

/// A paper dossier received at the one-stop desk.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskReceptionBody {
    #[schema(format = Uuid)]
    pub procedure_id: String,
    /// The receiving agency (the officer's).
    #[schema(format = Uuid)]
    pub agency_id: String,
    pub applicant: ApplicantBody,
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    pub values: BTreeMap<String, String>,
    /// `direct` (default) or `post`.
    #[serde(default)]
    #[schema(schema_with = desk_channel_schema)]
    pub channel: Option<String>,
    /// Accept at once (form 01; default `true`), or register it for checking.
    #[serde(default)]
    pub accept: Option<bool>,
    #[serde(default)]
    #[schema(schema_with = return_method_schema)]
    pub return_method: Option<String>,
}

/// `desk`, `post` or `online`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethodDto {
    Desk,
    Post,
    Online,
}

impl From<ReturnMethodDto> for ReturnMethod {
    fn from(m: ReturnMethodDto) -> Self {
        match m {
            ReturnMethodDto::Desk => ReturnMethod::Desk,
            ReturnMethodDto::Post => ReturnMethod::Post,
            ReturnMethodDto::Online => ReturnMethod::Online,
        }
    }
}

/// The applicant's overall satisfaction.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SatisfactionDto {
    VerySatisfied,
    Satisfied,
    Dissatisfied,
}

/// An action on a dossier, by its `action` name. Who may: the desk (`accept`,
/// `request_supplement`, `refuse`, `hand_over`, `return_result`, `financial_obligation_met`,
/// `issue_apology`, and `answer_supplement` / `withdraw` on the applicant's behalf), the
/// processing unit (`process`, `consult`, `consultation_answered`, `send_back`,
/// `request_financial_obligation`, `result_ready`, `request_supplement`, `issue_apology`),
/// leaders (`approve`, `reject`), the applicant on their own dossier (`answer_supplement`,
/// `withdraw`, `evaluate`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionBody {
    /// Accept a submitted dossier (form 01): the clock starts.
    Accept {},
    /// The one supplement request (form 02), every reason listed.
    RequestSupplement { reasons: Vec<String> },
    /// The applicant supplied what was asked.
    AnswerSupplement {
        #[serde(default)]
        note: Option<String>,
    },
    /// Refuse to receive (form 03).
    Refuse { reasons: Vec<String> },
    /// Hand over to the processing unit.
    HandOver {},
    /// Complete the current (non-approval) step.
    Process {
        #[serde(default)]
        note: Option<String>,
    },
    /// Consult another agency, with its own allotted time.
    Consult {
        #[schema(format = Uuid)]
        agency_id: String,
        question: String,
        allotted: WorkDurationDto,
        /// Whether the dossier's clock stops meanwhile.
        #[serde(default)]
        pause_clock: bool,
    },
    /// The consulted agency answered.
    ConsultationAnswered {
        #[serde(default)]
        answer: Option<String>,
    },
    /// Approve at an approval step.
    Approve {},
    /// Stop processing: not eligible.
    Reject { reasons: Vec<String> },
    /// Send back to an earlier step (index from 0).
    SendBack { to_step: u16, reason: String },
    /// The applicant must pay taxes or charges first (clock paused).
    RequestFinancialObligation {
        description: String,
        #[serde(default)]
        amount_vnd: Option<u64>,
    },
    /// The financial obligation was met.
    FinancialObligationMet {},
    /// The last step sends the result to the desk.
    ResultReady {},
    /// Hand the result over.
    ReturnResult { method: ReturnMethodDto },
    /// Withdraw at the applicant's request.
    Withdraw {
        #[serde(default)]
        reason: Option<String>,
    },
    /// The apology and new appointment (form 04), once, for a late dossier.
    IssueApology {
        reason: String,
        new_appointment: ExtensionTargetDto,
    },
    /// Rate the handling, once, after the result was returned.
    Evaluate {
        satisfaction: SatisfactionDto,
        #[serde(default)]
        scores: Vec<IndexScoreDto>,
        #[serde(default)]
        comment: Option<String>,
    },
}

impl ActionBody {
    fn into_action(self, caller: &Caller) -> ApiResult<DossierAction> {
        Ok(match self {
            ActionBody::Accept {} => DossierAction::Accept,
            ActionBody::RequestSupplement { reasons } => {
                DossierAction::RequestSupplement { reasons }
            }
            ActionBody::AnswerSupplement { note } => DossierAction::AnswerSupplement { note },
            ActionBody::Refuse { reasons } => DossierAction::Refuse { reasons },
            ActionBody::HandOver {} => DossierAction::HandOver,
            ActionBody::Process { note } => DossierAction::CompleteStep { note },
            ActionBody::Consult {
                agency_id,
                question,
                allotted,
                pause_clock,
            } => DossierAction::Consult {
                agency_id: AgencyId::parse(&agency_id)
                    .ok_or_else(|| bad(caller, ErrorCode::InvalidFormat, "agency_id"))?,
                question,
                allotted: allotted.into(),
                pause_clock,
            },
            ActionBody::ConsultationAnswered { answer } => {
                DossierAction::ConsultationAnswered { answer }
            }
            ActionBody::Approve {} => DossierAction::Approve,
            ActionBody::Reject { reasons } => DossierAction::Reject { reasons },
            ActionBody::SendBack { to_step, reason } => DossierAction::SendBack { to_step, reason },
            ActionBody::RequestFinancialObligation {
                description,
                amount_vnd,
            } => DossierAction::RequestFinancialObligation {
                description,
                amount_vnd,
            },
            ActionBody::FinancialObligationMet {} => DossierAction::FinancialObligationMet,
            ActionBody::ResultReady {} => DossierAction::ResultReady,
            ActionBody::ReturnResult { method } => DossierAction::ReturnResult {
                method: method.into(),
            },
            ActionBody::Withdraw { reason } => DossierAction::Withdraw { reason },
            ActionBody::IssueApology {
                reason,
                new_appointment,
            } => DossierAction::IssueApology {
                reason,
                new_appointment: match new_appointment {
                    ExtensionTargetDto::UntilDate(d) => ExtensionTarget::UntilDate(d),
                    ExtensionTargetDto::By(d) => ExtensionTarget::By(d.into()),
                },
            },
            ActionBody::Evaluate {
                satisfaction,
                scores,
                comment,
            } => DossierAction::Evaluate {
                evaluation: Evaluation {
                    satisfaction: match satisfaction {
                        SatisfactionDto::VerySatisfied => Satisfaction::VerySatisfied,
                        SatisfactionDto::Satisfied => Satisfaction::Satisfied,
                        SatisfactionDto::Dissatisfied => Satisfaction::Dissatisfied,
                    },
                    scores: scores
                        .into_iter()
                        .map(|s| IndexScore {
                            index: s.index,
                            points: s.points,
                        })
                        .collect(),
                    comment,
                },
            },
        })
    }
}

fn return_method_of(s: Option<&str>, caller: &Caller) -> ApiResult<Option<ReturnMethod>> {
    match s {
        None => Ok(None),
        Some(m) => ReturnMethod::ALL
            .into_iter()
            .find(|r| name_of(r) == m)
            .map(Some)
            .ok_or_else(|| bad(caller, ErrorCode::InvalidChoice, "return_method")),
    }
}

/// Submit a dossier online (channel 2) as the signed-in citizen or business: it waits in
/// `submitted` (national status 1) for the desk's check.
#[utoipa::path(post, path = "/api/v1/dossiers", tag = "dossiers",
    request_body(description = "JSON, or multipart with the JSON in a part named `submission` and each dossier part's file in a file part named `part-N` (N = the part's 1-based position in the procedure)",
        content((OnlineSubmissionBody = "application/json"), (MultipartSubmission = "multipart/form-data"))),
    responses((status = 201, body = DossierDto), (status = 400, body = Problem, description = "Malformed JSON or multipart body, or an unknown field"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such procedure or agency"),
        (status = 409, body = Problem, description = "Not offered online, or not in effect"),
        (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem, description = "A form value, contact detail or file is invalid, or a required part's file is missing (every form error in `errors`)"),
        (status = 503, body = Problem, description = "The malware scanner or the files folder is unavailable")))]
pub async fn dossiers_submit(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> ApiResult<(StatusCode, axum::Json<DossierDto>)> {
    let content_type = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (body, files): (OnlineSubmissionBody, Vec<cqdt_app::files::Upload>) =
        if content_type.starts_with("multipart/form-data") {
            use axum::extract::FromRequest;
            let mp = axum::extract::Multipart::from_request(req, &s)
                .await
                .map_err(|_| ApiError::new(ErrorCode::InvalidFormat).lang(caller.lang))?;
            let m = super::files::read_multipart(&caller, mp, Some("submission")).await?;
            let json = m
                .json
                .ok_or_else(|| bad(&caller, ErrorCode::Required, "submission"))?;
            let body = crate::extract::parse_json(&json).map_err(err(&caller))?;
            (body, m.uploads)
        } else {
            let Json(body) = Json::<OnlineSubmissionBody>::from_request_json(req, &s).await?;
            (body, Vec::new())
        };
    let input = OnlineSubmission {
        procedure_id: parse_id(
            &body.procedure_id,
            ProcedureId,
            ErrorCode::ProcedureNotFound,
            caller.lang,
        )?,
        agency_id: parse_id(
            &body.agency_id,
            AgencyId,
            ErrorCode::AgencyNotFound,
            caller.lang,
        )?,
        values: body.values,
        return_method: return_method_of(body.return_method.as_deref(), &caller)?,
        id_number: body.id_number,
        phone: body.phone,
        email: body.email,
        address: body.address,
        files,
    };
    let r = s
        .app
        .dossier_submit_online(&caller.ctx, &input)
        .await
        .map_err(err(&caller))?;
    let files = s
        .app
        .store
        .files_of_dossier(r.id)
        .await
        .map_err(err(&caller))?;
    Ok((StatusCode::CREATED, axum::Json(submitted_dto(&r, &files))))
}

/// Multipart form of an online submission.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MultipartSubmission {
    /// The submission as JSON (same fields as the JSON body).
    #[schema(value_type = OnlineSubmissionBody)]
    pub submission: String,
    /// Dossier part 1's file (and `part-2`, `part-3`… likewise).
    #[serde(rename = "part-1")]
    #[schema(value_type = Option<String>, format = Binary)]
    pub part_1: Option<Vec<u8>>,
}

/// Receive a paper dossier at the one-stop desk (channel 1) or by post (channel 3), as a
/// one-stop officer of the receiving agency; accepted at once (form 01) unless `accept` is
/// false.
#[utoipa::path(post, path = "/api/v1/dossiers/desk", tag = "dossiers", request_body = DeskReceptionBody,
    responses((status = 201, body = DossierDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such procedure, agency or applicant account"),
        (status = 409, body = Problem, description = "The procedure is not in effect"),
        (status = 422, body = Problem)))]
pub async fn dossiers_receive(
    State(s): State<AppState>,
    caller: Caller,
    Json(body): Json<DeskReceptionBody>,
) -> ApiResult<(StatusCode, axum::Json<DossierDto>)> {
    let channel = match body.channel.as_deref() {
        None | Some("direct") => Channel::Direct,
        Some("post") => Channel::Post,
        Some(_) => return Err(bad(&caller, ErrorCode::InvalidChoice, "channel")),
    };
    let a = body.applicant;
    let input = DeskReception {
        procedure_id: parse_id(
            &body.procedure_id,
            ProcedureId,
            ErrorCode::ProcedureNotFound,
            caller.lang,
        )?,
        agency_id: parse_id(
            &body.agency_id,
            AgencyId,
            ErrorCode::AgencyNotFound,
            caller.lang,
        )?,
        applicant: ApplicantInput {
            name: a.name,
            id_number: a.id_number,
            phone: a.phone,
            email: a.email,
            address: a.address,
            account: a.account,
        },
        values: body.values,
        channel,
        accept: body.accept.unwrap_or(true),
        return_method: return_method_of(body.return_method.as_deref(), &caller)?,
        // Scans are attached afterwards: POST /api/v1/dossiers/{id}/files.
        files: Vec::new(),
    };
    let r = s
        .app
        .dossier_receive(&caller.ctx, &input)
        .await
        .map_err(err(&caller))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(dossier_dto(&r, false, false, None, false)),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WorklistParams {
    /// Staff: one queue (`desk`, `processing`, `approval`, or `all` states); default the
    /// caller's desk, processing and approval queues together. Ignored for citizens.
    #[param(schema_with = queue_schema)]
    pub queue: Option<String>,
    /// Only these states, comma-separated (`received,processing`).
    pub state: Option<String>,
    /// Only dossiers of this procedure version (id).
    #[param(format = Uuid)]
    pub procedure: Option<String>,
    /// Only overdue (`true`) or not overdue (`false`) dossiers.
    pub overdue: Option<bool>,
    /// Code, applicant name (with or without diacritics), ID number or phone.
    pub q: Option<String>,
    /// Staff: only this agency's subtree (id), within the caller's.
    #[param(format = Uuid)]
    pub agency: Option<String>,
    /// At most this many (default 50; 1–500).
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub limit: Option<u32>,
    #[param(format = Int64, minimum = 0, maximum = 4294967295_u64)]
    pub offset: Option<u32>,
}

/// Staff: the worklist of the caller's roles on their agency subtrees, due first, with
/// overdue / due-soon flags and counts by state. Citizens and businesses: their own dossiers
/// ("my dossiers"), newest first.
#[utoipa::path(get, path = "/api/v1/dossiers", tag = "dossiers", params(WorklistParams),
    responses((status = 200, body = DossierPage), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No agency with the `agency` id"),
        (status = 422, body = Problem, description = "An unknown queue or state")))]
pub async fn dossiers_list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<WorklistParams>,
) -> ApiResult<axum::Json<DossierPage>> {
    let queue = match q.queue.as_deref() {
        None => None,
        Some(x) => {
            Some(Queue::parse(x).ok_or_else(|| bad(&caller, ErrorCode::InvalidChoice, "queue"))?)
        }
    };
    let mut states = Vec::new();
    for part in q.state.as_deref().unwrap_or("").split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        states.push(
            StateName::ALL
                .into_iter()
                .find(|s| s.as_str() == part)
                .ok_or_else(|| bad(&caller, ErrorCode::InvalidChoice, "state"))?,
        );
    }
    let procedure_id = match q.procedure.as_deref() {
        None => None,
        Some(p) => Some(parse_id(
            p,
            ProcedureId,
            ErrorCode::InvalidQuery,
            caller.lang,
        )?),
    };
    let agency = match q.agency.as_deref() {
        None => None,
        Some(a) => Some(parse_id(a, AgencyId, ErrorCode::InvalidQuery, caller.lang)?),
    };
    let w = s
        .app
        .dossiers_worklist(
            &caller.ctx,
            &WorklistQuery {
                queue,
                states,
                procedure_id,
                overdue: q.overdue,
                q: q.q,
                agency,
                limit: q.limit.map(i64::from),
                offset: q.offset.map(i64::from),
            },
        )
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(DossierPage {
        items: w.items.iter().map(item_dto).collect(),
        total: w.total,
        counts: w.counts.iter().map(StateCountDto::from).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IncludeParams {
    /// Comma-separated: `events` (the timeline), `files` (the files' records).
    pub include: Option<String>,
}

/// One dossier, for its applicant or the staff handling it; `include=events,files` adds the
/// timeline and the files.
#[utoipa::path(get, path = "/api/v1/dossiers/{id}", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Dossier id"), IncludeParams),
    responses((status = 200, body = DossierDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem, description = "An unknown `include`")))]
pub async fn dossiers_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<IncludeParams>,
) -> ApiResult<axum::Json<DossierDto>> {
    let id = parse_id(&id, DossierId, ErrorCode::DossierNotFound, caller.lang)?;
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
        .dossier(&caller.ctx, id, events)
        .await
        .map_err(err(&caller))?;
    let mut dto = view_dto(&v, false);
    if files {
        let fs = s
            .app
            .store
            .files_of_dossier(id)
            .await
            .map_err(err(&caller))?;
        dto.files = Some(fs.iter().map(super::files::file_dto).collect());
    }
    Ok(axum::Json(dto))
}

/// Act on a dossier: one command of the state machine, named by `action`. Answers the dossier
/// after the change.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/actions", tag = "dossiers", request_body = ActionBody,
    params(("id" = String, Path, format = Uuid, description = "Dossier id")),
    responses((status = 200, body = DossierDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Not allowed in the dossier's state (`dossier.illegal_transition`…), or changed meanwhile (`storage.conflict`)"),
        (status = 422, body = Problem, description = "Reasons missing, invalid step, invalid appointment…")))]
pub async fn dossiers_act(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ActionBody>,
) -> ApiResult<axum::Json<DossierDto>> {
    let id = parse_id(&id, DossierId, ErrorCode::DossierNotFound, caller.lang)?;
    let action = body.into_action(&caller)?;
    let r = s
        .app
        .dossier_act(&caller.ctx, id, action)
        .await
        .map_err(err(&caller))?;
    let v = s
        .app
        .dossier(&caller.ctx, r.id, false)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(view_dto(&v, false)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LookupParams {
    /// The dossier code, e.g. `000.00.20.H53-250303-0001`.
    pub code: String,
    /// The applicant's ID number (or give `phone`).
    pub id_number: Option<String>,
    /// The applicant's phone.
    pub phone: Option<String>,
}

/// Look a dossier up without logging in, by its code and the applicant's ID number or phone.
/// Any mismatch answers the same `dossier.lookup_failed`; failures count against the address
/// like failed logins. The answer leaves out the applicant's contact details and form.
#[utoipa::path(get, path = "/api/v1/dossiers/lookup", tag = "dossiers", params(LookupParams),
    responses((status = 200, body = DossierDto),
        (status = 401, body = Problem, description = "An `Authorization: Bearer` key that is unknown or revoked"),
        (status = 404, body = Problem, description = "`dossier.lookup_failed`: no dossier with this code and ID number or phone"),
        (status = 422, body = Problem, description = "Neither `id_number` nor `phone`"),
        (status = 429, body = Problem, description = "Too many failed lookups from this address")))]
pub async fn dossiers_lookup(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<LookupParams>,
) -> ApiResult<axum::Json<DossierDto>> {
    let v = s
        .app
        .dossier_lookup(
            &caller.ctx,
            &q.code,
            q.id_number.as_deref(),
            q.phone.as_deref(),
        )
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(view_dto(&v, true)))
}

// ---------- Reports ----------

/// Columns (3)–(13) of Biểu II.06a.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ii06aRowDto {
    /// (3) Tiếp nhận – Tổng số.
    pub received_total: u64,
    /// (4) Trong kỳ – Trực tuyến.
    pub received_online: u64,
    /// (5) Trong kỳ – Trực tiếp, dịch vụ bưu chính.
    pub received_direct_or_post: u64,
    /// (6) Từ kỳ trước.
    pub carried_over: u64,
    /// (7) Đã giải quyết – Tổng số.
    pub resolved_total: u64,
    /// (8) Trước hạn.
    pub resolved_early: u64,
    /// (9) Đúng hạn.
    pub resolved_on_time: u64,
    /// (10) Quá hạn.
    pub resolved_late: u64,
    /// (11) Đang giải quyết – Tổng số.
    pub pending_total: u64,
    /// (12) Trong hạn.
    pub pending_within: u64,
    /// (13) Quá hạn.
    pub pending_overdue: u64,
    /// (3)–(13) in order.
    pub columns: Vec<u64>,
}

impl From<&Ii06aRow> for Ii06aRowDto {
    fn from(r: &Ii06aRow) -> Self {
        Ii06aRowDto {
            received_total: r.received_total,
            received_online: r.received_online,
            received_direct_or_post: r.received_direct_or_post,
            carried_over: r.carried_over,
            resolved_total: r.resolved_total,
            resolved_early: r.resolved_early,
            resolved_on_time: r.resolved_on_time,
            resolved_late: r.resolved_late,
            pending_total: r.pending_total,
            pending_within: r.pending_within,
            pending_overdue: r.pending_overdue,
            columns: r.columns().to_vec(),
        }
    }
}

/// One line: (1) number, (2) field, (3)–(13).
#[derive(Debug, Serialize, ToSchema)]
pub struct Ii06aLineDto {
    pub number: u32,
    pub field: String,
    pub row: Ii06aRowDto,
}

/// Biểu II.06a/VPCP/KSTT for an agency subtree and a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ii06aDto {
    #[schema(format = Uuid)]
    pub agency_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lines: Vec<Ii06aLineDto>,
    pub total: Ii06aRowDto,
}

impl Ii06aDto {
    fn new(agency: AgencyId, r: &Ii06aReport) -> Self {
        Ii06aDto {
            agency_id: agency.to_string(),
            from: r.period.from,
            to: r.period.to,
            lines: r
                .lines
                .iter()
                .map(|l| Ii06aLineDto {
                    number: l.number,
                    field: l.field.clone(),
                    row: (&l.row).into(),
                })
                .collect(),
            total: (&r.total).into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Ii06aParams {
    /// The agency (id) whose subtree is reported.
    #[param(format = Uuid)]
    pub agency: String,
    /// First day (local date), `YYYY-MM-DD`.
    #[param(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Last day (included).
    #[param(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// `json` (default), `xlsx` (the form as a workbook) or `pdf` (the form, A4).
    pub format: Option<String>,
}

/// Biểu II.06a (results of handling administrative procedures) of an agency subtree for a
/// period, by field, computed from the dossiers' events. For leaders, province viewers,
/// administrators and statistics officers of the subtree.
#[utoipa::path(get, path = "/api/v1/reports/ii06a", tag = "reports", params(Ii06aParams),
    responses((status = 200, description = "The report: JSON, or the form as XLSX or PDF (`format`)",
            content((Ii06aDto = "application/json"),
                ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("application/pdf"))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such agency"),
        (status = 422, body = Problem, description = "The period ends before it starts, or an unknown `format`")))]
pub async fn reports_ii06a(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<Ii06aParams>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let agency = parse_id(&q.agency, AgencyId, ErrorCode::AgencyNotFound, caller.lang)?;
    let format = match q.format.as_deref().unwrap_or("json") {
        "json" => None,
        "xlsx" => Some(true),
        "pdf" => Some(false),
        _ => return Err(bad(&caller, ErrorCode::InvalidChoice, "format")),
    };
    let r = s
        .app
        .report_ii06a(&caller.ctx, agency, q.from, q.to)
        .await
        .map_err(err(&caller))?;
    let Some(xlsx) = format else {
        return Ok(axum::Json(Ii06aDto::new(agency, &r)).into_response());
    };
    let sheet = ii06a_sheet(&s, agency, &r).await.map_err(err(&caller))?;
    let bytes = tokio::task::spawn_blocking(move || {
        if xlsx {
            sheet.render_xlsx()
        } else {
            sheet.render_pdf()
        }
    })
    .await
    .map_err(|e| err(&caller)(AppError::internal(e.to_string())))?
    .map_err(|e| err(&caller)(AppError::internal(e.to_string())))?;
    let (ct, ext) = if xlsx {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        ("application/pdf", "pdf")
    };
    let name = format!(
        "bieu-II06a-{}-{}.{ext}",
        q.from.format("%Y%m%d"),
        q.to.format("%Y%m%d")
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(ct),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The printed form's header from the agency tree: the agency and its parent; the report goes
/// to the parent (or, for the province, to the Government Office).
async fn ii06a_sheet(
    s: &AppState,
    agency: AgencyId,
    r: &Ii06aReport,
) -> Result<cqdt_outputs::Ii06aSheet, AppError> {
    let a = s
        .app
        .store
        .agency_get(agency)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::AgencyNotFound))?;
    let parent = match a.parent_id {
        Some(p) => s.app.store.agency_get(p).await?,
        None => None,
    };
    let root = match a.path.first() {
        Some(id) if *id != a.id => s.app.store.agency_get(*id).await?,
        _ => Some(a.clone()),
    };
    let place = root
        .as_ref()
        .and_then(|r| {
            r.fields
                .name
                .rsplit_once("tỉnh ")
                .map(|(_, p)| p.to_string())
        })
        .unwrap_or_else(|| "Tây Ninh".into());
    let today = cqdt_domain::calendar::to_local(
        chrono::DateTime::from_timestamp_micros(s.app.now_us()).unwrap_or_default(),
    )
    .date();
    Ok(cqdt_outputs::Ii06aSheet {
        parent: parent.as_ref().map(|p| p.fields.name.clone()),
        unit: a.fields.name.clone(),
        reporting_unit: a.fields.name.clone(),
        receiving_unit: parent
            .map(|p| p.fields.name)
            .unwrap_or_else(|| "Văn phòng Chính phủ".into()),
        from: r.period.from,
        to: r.period.to,
        lines: r
            .lines
            .iter()
            .map(|l| cqdt_outputs::Ii06aSheetLine {
                number: l.number,
                field: l.field.clone(),
                cells: l.row.columns(),
            })
            .collect(),
        total: r.total.columns(),
        place,
        issued_on: today,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn actions_parse_strictly() {
        let a: ActionBody = serde_json::from_str(r#"{"action": "accept"}"#).unwrap();
        assert!(matches!(a, ActionBody::Accept {}));
        assert!(serde_json::from_str::<ActionBody>(r#"{"action": "accept", "x": 1}"#).is_err());
        let r: ActionBody =
            serde_json::from_str(r#"{"action": "return_result", "method": "post"}"#).unwrap();
        assert!(matches!(
            r,
            ActionBody::ReturnResult {
                method: ReturnMethodDto::Post
            }
        ));
        assert!(serde_json::from_str::<ActionBody>(r#"{"action": "fly"}"#).is_err());
    }
}

#[cfg(test)]
mod doc_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use utoipa::OpenApi;

    /// The shapes the fuzzer checks answers against: any JSON where the data is free; the
    /// action variants refuse unknown fields like the server does.
    #[test]
    fn free_json_is_any_value_and_actions_are_closed() {
        let doc = serde_json::to_value(super::super::ApiDoc::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let unconfirmed = &schemas["ProcedureDto"]["properties"]["unconfirmed"];
        assert_eq!(unconfirmed["items"], serde_json::json!({}));
        let variants = schemas["ActionBody"]["oneOf"].as_array().unwrap();
        assert_eq!(variants.len(), 18);
        for v in variants {
            assert_eq!(v["additionalProperties"], false, "{v}");
        }
    }
}
