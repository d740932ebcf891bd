//! Files and drafts under `/api/v1`: uploads (multipart), downloads, drafts of online
//! submissions. Listed in [`super::ApiDoc`] and routed in [`super::routes`].

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cqdt_app::AppError;
use cqdt_app::files::{DraftInput, Upload};
use cqdt_app::store::{DraftBody, DraftRecord, FileRecord};
use cqdt_domain::ErrorCode;
use cqdt_domain::dossier::ReturnMethod;
use cqdt_domain::files::FileKind;
use cqdt_domain::ids::{AgencyId, DossierId, DraftId, FileId, ProcedureId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{err, parse_id, us_to_rfc3339};
use crate::auth::Caller;
use crate::extract::Json;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

fn bad(caller: &Caller, code: ErrorCode, field: &str) -> ApiError {
    ApiError::from(AppError::field(code, field)).lang(caller.lang)
}

/// A stored file.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// `part` (a dossier part), `supplement`, `result` or `working`.
    pub kind: String,
    /// The dossier part (1-based position in the procedure's parts) for `part` files.
    pub part: Option<u32>,
    pub name: String,
    /// Recognised by content: `pdf`, `jpeg`, `png`, `tiff`, `docx`, `xlsx`, `odt`, `doc`, `xls`.
    pub file_type: String,
    pub media_type: String,
    pub size: i64,
    /// SHA-256 of the content (hex).
    pub sha256: String,
    pub uploaded_at: String,
}

pub fn file_dto(f: &FileRecord) -> FileDto {
    FileDto {
        id: f.id.to_string(),
        kind: f.kind.as_str().to_string(),
        part: f.part,
        name: f.name.clone(),
        file_type: f.file_type.as_str().to_string(),
        media_type: f.file_type.media_type().to_string(),
        size: f.size,
        sha256: f.sha256.clone(),
        uploaded_at: us_to_rfc3339(f.uploaded_at_us),
    }
}

/// Multipart upload: `file` parts (several allowed), with `kind` and `part` text fields that
/// apply to the file parts after them; or file parts named `part-N` for dossier part N.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FilesUpload {
    /// `part` (default), `supplement`, `result` or `working`.
    pub kind: Option<FileKindDto>,
    /// The dossier part for `part` files (1-based).
    pub part: Option<u32>,
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// What a file is attached as.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum FileKindDto {
    Part,
    Supplement,
    Result,
    Working,
}

/// What a multipart request carried: its JSON part (if named) and its files.
pub struct MultipartBody {
    pub json: Option<Vec<u8>>,
    pub uploads: Vec<Upload>,
}

/// Reads a multipart body: `json_name` (if any) is a JSON text part; `kind`/`part` text fields
/// set the kind and part of the `file` parts after them; `part-N` file parts are dossier part N.
pub async fn read_multipart(
    caller: &Caller,
    mut mp: Multipart,
    json_name: Option<&str>,
) -> ApiResult<MultipartBody> {
    let mut out = MultipartBody {
        json: None,
        uploads: Vec::new(),
    };
    let mut kind = FileKind::Part;
    let mut part: Option<u32> = None;
    let malformed = |caller: &Caller| ApiError::new(ErrorCode::InvalidFormat).lang(caller.lang);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(bad(caller, ErrorCode::UploadDossierFull, "file"));
            }
            Err(_) => return Err(malformed(caller)),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(bad(caller, ErrorCode::UploadDossierFull, "file"));
            }
            Err(_) => return Err(malformed(caller)),
        };
        let text = || String::from_utf8(bytes.to_vec()).map_err(|_| malformed(caller));
        if Some(name.as_str()) == json_name {
            out.json = Some(bytes.to_vec());
        } else if name == "kind" {
            let t = text()?;
            kind = FileKind::parse(if t.trim() == "null" { "part" } else { &t })
                .ok_or_else(|| bad(caller, ErrorCode::InvalidChoice, "kind"))?;
        } else if name == "part" {
            let t = text()?;
            part = if t.trim().is_empty() || t.trim() == "null" {
                None
            } else {
                Some(
                    t.trim()
                        .parse()
                        .map_err(|_| bad(caller, ErrorCode::UploadPartUnknown, "part"))?,
                )
            };
        } else if name == "file" {
            out.uploads.push(Upload {
                kind,
                part: if kind == FileKind::Part { part } else { None },
                name: file_name.unwrap_or_default(),
                bytes: bytes.to_vec(),
            });
        } else if let Some(n) = name.strip_prefix("part-") {
            let n: u32 = n
                .parse()
                .map_err(|_| bad(caller, ErrorCode::UploadPartUnknown, &name))?;
            if file_name.is_some() || !bytes.is_empty() {
                out.uploads.push(Upload::part(
                    n,
                    file_name.unwrap_or_default(),
                    bytes.to_vec(),
                ));
            }
        } else {
            return Err(bad(caller, ErrorCode::UnknownField, &name));
        }
    }
    Ok(out)
}

/// A file as a download.
pub fn file_response(f: &FileRecord, bytes: Vec<u8>) -> Response {
    download(bytes, f.file_type.media_type(), &f.name)
}

/// Bytes as an attachment download: the media type, the name as an ASCII fallback plus its
/// UTF-8 form (RFC 6266 / 5987), and no content sniffing.
pub fn download(bytes: Vec<u8>, media: &str, name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(media) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let ascii: String = cqdt_domain::text::fold(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

// ---------- a dossier's files ----------

/// Attach files to a dossier: the desk's scans of the parts (while it waits for its check, is
/// received or awaits a supplement), the applicant's supplement (while one is requested),
/// working papers and the result (while processed). Type checked by content, size-limited,
/// scanned for malware.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/files", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Dossier id")),
    request_body(content = FilesUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = Vec<FileDto>), (status = 400, body = Problem, description = "A malformed multipart body or an unknown part name"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in this state"),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, description = "The malware scanner or the files folder is unavailable")))]
pub async fn dossier_files_add(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mp: Multipart,
) -> ApiResult<(StatusCode, axum::Json<Vec<FileDto>>)> {
    let id = parse_id(&id, DossierId, ErrorCode::DossierNotFound, caller.lang)?;
    let body = read_multipart(&caller, mp, None).await?;
    if body.uploads.is_empty() {
        return Err(bad(&caller, ErrorCode::Required, "file"));
    }
    let files = s
        .app
        .dossier_files_add(&caller.ctx, id, body.uploads)
        .await
        .map_err(err(&caller))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(files.iter().map(file_dto).collect()),
    ))
}

/// Download one file of a dossier.
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/files/{file_id}", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Dossier id"),
        ("file_id" = String, Path, format = Uuid, description = "File id")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dossier_file_get(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, file_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = parse_id(&id, DossierId, ErrorCode::DossierNotFound, caller.lang)?;
    let file_id = parse_id(&file_id, FileId, ErrorCode::FileNotFound, caller.lang)?;
    let (f, bytes) = s
        .app
        .dossier_file_content(&caller.ctx, id, file_id)
        .await
        .map_err(err(&caller))?;
    Ok(file_response(&f, bytes))
}

// ---------- drafts ----------

/// A draft's form and contact details. Every field is optional until submission.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBodyDto {
    /// Required when creating; cannot change afterwards.
    #[schema(format = Uuid)]
    pub procedure_id: Option<String>,
    #[schema(format = Uuid)]
    pub agency_id: Option<String>,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// `desk`, `post` or `online`.
    pub return_method: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftDto {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub procedure_id: String,
    #[schema(format = Uuid)]
    pub agency_id: Option<String>,
    pub values: BTreeMap<String, String>,
    pub return_method: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// The dossier it became, once submitted.
    #[schema(format = Uuid)]
    pub dossier_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Its files (on single-draft answers).
    pub files: Option<Vec<FileDto>>,
}

fn return_name(m: ReturnMethod) -> &'static str {
    match m {
        ReturnMethod::Desk => "desk",
        ReturnMethod::Post => "post",
        ReturnMethod::Online => "online",
    }
}

fn draft_dto(d: &DraftRecord, files: Option<&[FileRecord]>) -> DraftDto {
    DraftDto {
        id: d.id.to_string(),
        procedure_id: d.procedure_id.to_string(),
        agency_id: d.agency_id.map(|a| a.to_string()),
        values: d.body.values.clone(),
        return_method: d.body.return_method.map(|m| return_name(m).to_string()),
        id_number: d.body.id_number.clone(),
        phone: d.body.phone.clone(),
        email: d.body.email.clone(),
        address: d.body.address.clone(),
        dossier_id: d.dossier_id.map(|x| x.to_string()),
        created_at: us_to_rfc3339(d.created_at_us),
        updated_at: us_to_rfc3339(d.updated_at_us),
        files: files.map(|f| f.iter().map(file_dto).collect()),
    }
}

fn draft_input(caller: &Caller, b: DraftBodyDto) -> ApiResult<DraftInput> {
    let procedure_id = b
        .procedure_id
        .as_deref()
        .map(|p| parse_id(p, ProcedureId, ErrorCode::ProcedureNotFound, caller.lang))
        .transpose()?;
    let agency_id = b
        .agency_id
        .as_deref()
        .map(|a| parse_id(a, AgencyId, ErrorCode::AgencyNotFound, caller.lang))
        .transpose()?;
    let return_method = match b.return_method.as_deref() {
        None | Some("") => None,
        Some(m) => Some(
            ReturnMethod::ALL
                .into_iter()
                .find(|r| return_name(*r) == m)
                .ok_or_else(|| bad(caller, ErrorCode::InvalidChoice, "return_method"))?,
        ),
    };
    Ok(DraftInput {
        procedure_id,
        agency_id,
        body: DraftBody {
            values: b.values,
            return_method,
            id_number: b.id_number,
            phone: b.phone,
            email: b.email,
            address: b.address,
        },
    })
}

/// The caller's drafts not yet submitted, most recent first.
#[utoipa::path(get, path = "/api/v1/drafts", tag = "dossiers",
    responses((status = 200, body = Vec<DraftDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn drafts_list(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<DraftDto>>> {
    let ds = s.app.drafts_mine(&caller.ctx).await.map_err(err(&caller))?;
    Ok(axum::Json(ds.iter().map(|d| draft_dto(d, None)).collect()))
}

/// Start a draft of an online submission (citizen or business account).
#[utoipa::path(post, path = "/api/v1/drafts", tag = "dossiers", request_body = DraftBodyDto,
    responses((status = 201, body = DraftDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn drafts_create(
    State(s): State<AppState>,
    caller: Caller,
    Json(body): Json<DraftBodyDto>,
) -> ApiResult<(StatusCode, axum::Json<DraftDto>)> {
    let input = draft_input(&caller, body)?;
    let d = s
        .app
        .draft_create(&caller.ctx, input)
        .await
        .map_err(err(&caller))?;
    Ok((StatusCode::CREATED, axum::Json(draft_dto(&d, Some(&[])))))
}

fn draft_id(caller: &Caller, id: &str) -> ApiResult<DraftId> {
    parse_id(id, DraftId, ErrorCode::DraftNotFound, caller.lang)
}

/// One of the caller's drafts with its files.
#[utoipa::path(get, path = "/api/v1/drafts/{id}", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Draft id")),
    responses((status = 200, body = DraftDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn drafts_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DraftDto>> {
    let id = draft_id(&caller, &id)?;
    let v = s
        .app
        .draft_get(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(draft_dto(&v.draft, Some(&v.files))))
}

/// Save a draft's form and contact details (replaces them).
#[utoipa::path(put, path = "/api/v1/drafts/{id}", tag = "dossiers", request_body = DraftBodyDto,
    params(("id" = String, Path, format = Uuid, description = "Draft id")),
    responses((status = 200, body = DraftDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Already submitted"), (status = 422, body = Problem)))]
pub async fn drafts_update(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<DraftBodyDto>,
) -> ApiResult<axum::Json<DraftDto>> {
    let id = draft_id(&caller, &id)?;
    let input = draft_input(&caller, body)?;
    let d = s
        .app
        .draft_update(&caller.ctx, id, input)
        .await
        .map_err(err(&caller))?;
    Ok(axum::Json(draft_dto(&d, None)))
}

/// Delete a draft (not once submitted).
#[utoipa::path(delete, path = "/api/v1/drafts/{id}", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Draft id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn drafts_delete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = draft_id(&caller, &id)?;
    s.app
        .draft_delete(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Attach dossier parts' files to a draft (`part-N` file parts, or `part` + `file`).
#[utoipa::path(post, path = "/api/v1/drafts/{id}/files", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Draft id")),
    request_body(content = FilesUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = Vec<FileDto>), (status = 400, body = Problem, description = "A malformed multipart body or an unknown part name"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn draft_files_add(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mp: Multipart,
) -> ApiResult<(StatusCode, axum::Json<Vec<FileDto>>)> {
    let id = draft_id(&caller, &id)?;
    let body = read_multipart(&caller, mp, None).await?;
    if body.uploads.is_empty() {
        return Err(bad(&caller, ErrorCode::Required, "file"));
    }
    let mut out = Vec::new();
    for up in body.uploads {
        let f = s
            .app
            .draft_file_add(&caller.ctx, id, up)
            .await
            .map_err(err(&caller))?;
        out.push(file_dto(&f));
    }
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// Download a file of one's draft.
#[utoipa::path(get, path = "/api/v1/drafts/{id}/files/{file_id}", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Draft id"),
        ("file_id" = String, Path, format = Uuid, description = "File id")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn draft_file_get(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, file_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = draft_id(&caller, &id)?;
    let file_id = parse_id(&file_id, FileId, ErrorCode::FileNotFound, caller.lang)?;
    let (f, bytes) = s
        .app
        .draft_file_content(&caller.ctx, id, file_id)
        .await
        .map_err(err(&caller))?;
    Ok(file_response(&f, bytes))
}

/// Remove a file from one's draft.
#[utoipa::path(delete, path = "/api/v1/drafts/{id}/files/{file_id}", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Draft id"),
        ("file_id" = String, Path, format = Uuid, description = "File id")),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn draft_file_delete(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, file_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = draft_id(&caller, &id)?;
    let file_id = parse_id(&file_id, FileId, ErrorCode::FileNotFound, caller.lang)?;
    s.app
        .draft_file_remove(&caller.ctx, id, file_id)
        .await
        .map_err(err(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Submit a draft: it becomes a dossier (status 1, waiting for the desk's check) with its
/// files. Submitting the same draft again answers 409 `draft.already_submitted` and creates
/// nothing.
#[utoipa::path(post, path = "/api/v1/drafts/{id}/submit", tag = "dossiers",
    params(("id" = String, Path, format = Uuid, description = "Draft id")),
    responses((status = 201, body = super::dossiers::DossierDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn drafts_submit(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, axum::Json<super::dossiers::DossierDto>)> {
    let id = draft_id(&caller, &id)?;
    let r = s
        .app
        .draft_submit(&caller.ctx, id)
        .await
        .map_err(err(&caller))?;
    let files = s
        .app
        .store
        .files_of_dossier(r.id)
        .await
        .map_err(err(&caller))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(super::dossiers::submitted_dto(&r, &files)),
    ))
}
