//! Files and drafts: uploads checked by content, size-limited, scanned, stored by their
//! SHA-256 in the `BlobStore` before the record that names them is committed (so a record
//! never names missing bytes); online submissions prepared as resumable drafts.
//!
//! Who may attach what:
//! - the applicant, to their draft: the procedure's dossier parts;
//! - the applicant (or the desk for them), while a supplement is requested: supplements;
//! - the desk, while a dossier waits for its check, is received or awaits a supplement: scans
//!   of the parts;
//! - the processing unit and leaders, while it is processed: working papers and the result;
//! - the desk, at result ready: the result (online return).
//!
//! Anyone who may see the dossier may read its files.

use std::collections::BTreeMap;

use cqdt_domain::ErrorCode;
use cqdt_domain::dossier::StateName;
use cqdt_domain::files::{FileKind, FileType, clean_name, identify};
use cqdt_domain::ids::{AgencyId, DossierId, DraftId, FileId, ProcedureId, UserId};
use cqdt_domain::policy::{Action, Target};
use cqdt_domain::procedure::DossierPartSpec;
use cqdt_domain::text::{nfc, nfc_opt};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::dossiers::{DossierAction, OnlineSubmission};
use crate::error::{AppError, AppResult};
use crate::ports::ScanVerdict;
use crate::store::{DossierRecord, DraftBody, DraftRecord, FileRecord};
use crate::{App, Ctx};

/// One uploaded file as it arrives.
#[derive(Debug, Clone)]
pub struct Upload {
    pub kind: FileKind,
    /// For `Part`: the 1-based position of the dossier part in the procedure version.
    pub part: Option<u32>,
    /// The name the sender gave it.
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Upload {
    pub fn part(part: u32, name: impl Into<String>, bytes: Vec<u8>) -> Upload {
        Upload {
            kind: FileKind::Part,
            part: Some(part),
            name: name.into(),
            bytes,
        }
    }
    pub fn of_kind(kind: FileKind, name: impl Into<String>, bytes: Vec<u8>) -> Upload {
        Upload {
            kind,
            part: None,
            name: name.into(),
            bytes,
        }
    }
    /// The form field an error about this upload belongs to: `part-N` or `file`.
    pub fn field(&self) -> String {
        match (self.kind, self.part) {
            (FileKind::Part, Some(n)) => format!("part-{n}"),
            _ => "file".into(),
        }
    }
}

/// A checked upload whose bytes are stored, waiting for its record.
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    pub(crate) kind: FileKind,
    pub(crate) part: Option<u32>,
    name: String,
    file_type: FileType,
    size: i64,
    sha256: String,
}

impl Staged {
    pub(crate) fn record(
        self,
        id: FileId,
        dossier_id: Option<DossierId>,
        draft_id: Option<DraftId>,
        uploaded_by: Option<UserId>,
        now_us: i64,
    ) -> FileRecord {
        FileRecord {
            id,
            dossier_id,
            draft_id,
            kind: self.kind,
            part: self.part,
            name: self.name,
            file_type: self.file_type,
            size: self.size,
            sha256: self.sha256,
            uploaded_by,
            uploaded_at_us: now_us,
        }
    }
}

/// The first required dossier part without a file, if any (1-based), given the (kind, part)
/// of every file.
pub fn missing_required_part(
    parts: &[DossierPartSpec],
    files: impl IntoIterator<Item = (FileKind, Option<u32>)>,
) -> Option<u32> {
    let present: Vec<u32> = files
        .into_iter()
        .filter(|(k, _)| *k == FileKind::Part)
        .filter_map(|(_, p)| p)
        .collect();
    parts.iter().enumerate().find_map(|(i, p)| {
        let n = u32::try_from(i + 1).ok()?;
        (p.required && !present.contains(&n)).then_some(n)
    })
}

/// What a draft is made of, as its applicant types it.
#[derive(Debug, Clone, Default)]
pub struct DraftInput {
    pub procedure_id: Option<ProcedureId>,
    pub agency_id: Option<AgencyId>,
    pub body: DraftBody,
}

/// A draft with its files.
#[derive(Debug, Clone, Serialize)]
pub struct DraftView {
    pub draft: DraftRecord,
    pub files: Vec<FileRecord>,
}

fn clean_body(mut b: DraftBody) -> DraftBody {
    b.values = b
        .values
        .into_iter()
        .map(|(k, v)| (nfc(&k), nfc(&v)))
        .filter(|(k, _)| !k.is_empty())
        .collect::<BTreeMap<_, _>>();
    b.id_number = nfc_opt(b.id_number.as_deref());
    b.phone = nfc_opt(b.phone.as_deref());
    b.email = nfc_opt(b.email.as_deref());
    b.address = nfc_opt(b.address.as_deref());
    b
}

impl App {
    /// Checks one upload (name, type by content, limits), scans it and stores its bytes.
    /// `parts` is how many dossier parts the procedure version has; `count`/`total` what is
    /// already attached.
    pub(crate) async fn stage(
        &self,
        up: &Upload,
        parts: usize,
        count: u32,
        total: u64,
    ) -> AppResult<Staged> {
        let field = up.field();
        let err = |c: ErrorCode| AppError::field(c, field.clone());
        match (up.kind, up.part) {
            (FileKind::Part, Some(n)) if n >= 1 && (n as usize) <= parts => {}
            (FileKind::Part, _) => return Err(err(ErrorCode::UploadPartUnknown)),
            (_, Some(_)) => return Err(err(ErrorCode::UploadPartUnknown)),
            (_, None) => {}
        }
        let name = clean_name(&up.name).map_err(err)?;
        let file_type = identify(&up.bytes, &name).map_err(err)?;
        let size = up.bytes.len() as u64;
        self.config
            .file_limits
            .check(size, count, total)
            .map_err(err)?;
        match self.scanner.scan(&name, &up.bytes).await {
            Ok(ScanVerdict::Clean) => {}
            Ok(ScanVerdict::Infected(what)) => {
                tracing::warn!(file = %name, found = %what, "upload refused: malware");
                return Err(err(ErrorCode::UploadInfected).with_detail(what));
            }
            Err(e) => {
                tracing::error!(error = %e, "virus scanner failed");
                return Err(err(ErrorCode::UploadScanFailed));
            }
        }
        let sha256 = hex::encode(Sha256::digest(&up.bytes));
        self.blobs.put(&sha256, &up.bytes).await?;
        Ok(Staged {
            kind: up.kind,
            part: up.part,
            name,
            file_type,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            sha256,
        })
    }

    /// Stages several uploads after those already attached.
    pub(crate) async fn stage_all(
        &self,
        uploads: &[Upload],
        parts: usize,
        existing: &[FileRecord],
    ) -> AppResult<Vec<Staged>> {
        let first = u32::try_from(existing.len()).unwrap_or(u32::MAX);
        let mut total: u64 = existing.iter().map(|f| f.size.max(0) as u64).sum();
        let mut out = Vec::with_capacity(uploads.len());
        for (count, up) in (first..).zip(uploads) {
            let s = self.stage(up, parts, count, total).await?;
            total += s.size.max(0) as u64;
            out.push(s);
        }
        Ok(out)
    }

    fn audit_file(
        &self,
        ctx: &Ctx,
        now_us: i64,
        action: &str,
        f: &FileRecord,
    ) -> crate::store::AuditDraft {
        ctx.audit::<(), _>(now_us, action, "file", f.id, None, Some(f))
    }

    /// How many dossier parts the procedure version has (and their specs).
    async fn parts_of(&self, procedure_id: ProcedureId) -> AppResult<Vec<DossierPartSpec>> {
        Ok(self
            .store
            .procedure_get(procedure_id)
            .await?
            .ok_or_else(|| AppError::field(ErrorCode::ProcedureNotFound, "procedure_id"))?
            .procedure
            .parts)
    }

    // ---- drafts ----

    fn my_id(&self, ctx: &Ctx) -> AppResult<UserId> {
        let me = ctx.actor.user_id();
        self.authorize(
            ctx,
            Action::ActAsApplicant,
            Target::Account {
                user: me.unwrap_or(UserId(uuid::Uuid::nil())),
                agency: None,
            },
        )?;
        me.ok_or_else(|| AppError::new(ErrorCode::Unauthenticated))
    }

    /// The caller's own draft (a stranger's answers `draft.not_found`, as if it did not exist).
    async fn my_draft(&self, ctx: &Ctx, id: DraftId) -> AppResult<DraftRecord> {
        let me = self.my_id(ctx)?;
        self.store
            .draft_get(id)
            .await?
            .filter(|d| d.user_id == me)
            .ok_or_else(|| AppError::new(ErrorCode::DraftNotFound))
    }

    fn open_draft(d: &DraftRecord) -> AppResult<()> {
        match d.dossier_id {
            None => Ok(()),
            Some(_) => Err(AppError::new(ErrorCode::DraftAlreadySubmitted)),
        }
    }

    /// Starts a draft of an online submission. The form is not checked until submission.
    pub async fn draft_create(&self, ctx: &Ctx, input: DraftInput) -> AppResult<DraftRecord> {
        let me = self.my_id(ctx)?;
        let procedure_id = input
            .procedure_id
            .ok_or_else(|| AppError::field(ErrorCode::Required, "procedure_id"))?;
        let p = self
            .store
            .procedure_get(procedure_id)
            .await?
            .ok_or_else(|| AppError::field(ErrorCode::ProcedureNotFound, "procedure_id"))?;
        if !p.current {
            return Err(AppError::field(
                ErrorCode::ProcedureNotInEffect,
                "procedure_id",
            ));
        }
        if let Some(a) = input.agency_id
            && !p.procedure.agencies.contains(&a)
        {
            return Err(AppError::field(
                ErrorCode::ProcedureNotOfferedByAgency,
                "agency_id",
            ));
        }
        let now_us = self.now_us();
        let d = DraftRecord {
            id: DraftId(self.ids.new_id()),
            user_id: me,
            procedure_id,
            agency_id: input.agency_id,
            body: clean_body(input.body),
            dossier_id: None,
            created_at_us: now_us,
            updated_at_us: now_us,
        };
        let audit = ctx.audit::<(), _>(now_us, "draft.create", "draft", d.id, None, Some(&d));
        self.store.draft_insert(&d, &audit).await?;
        Ok(d)
    }

    /// Saves the form and contact details of a draft (the procedure stays).
    pub async fn draft_update(
        &self,
        ctx: &Ctx,
        id: DraftId,
        input: DraftInput,
    ) -> AppResult<DraftRecord> {
        let before = self.my_draft(ctx, id).await?;
        Self::open_draft(&before)?;
        if let Some(p) = input.procedure_id
            && p != before.procedure_id
        {
            return Err(AppError::field(ErrorCode::InvalidChoice, "procedure_id"));
        }
        let mut d = before.clone();
        if let Some(a) = input.agency_id {
            let p = self
                .store
                .procedure_get(d.procedure_id)
                .await?
                .ok_or_else(|| AppError::field(ErrorCode::ProcedureNotFound, "procedure_id"))?;
            if !p.procedure.agencies.contains(&a) {
                return Err(AppError::field(
                    ErrorCode::ProcedureNotOfferedByAgency,
                    "agency_id",
                ));
            }
            d.agency_id = Some(a);
        }
        d.body = clean_body(input.body);
        let now_us = self.now_us();
        d.updated_at_us = now_us;
        let audit = ctx.audit(now_us, "draft.update", "draft", id, Some(&before), Some(&d));
        self.store.draft_update(&d, &audit).await?;
        Ok(d)
    }

    pub async fn draft_get(&self, ctx: &Ctx, id: DraftId) -> AppResult<DraftView> {
        let draft = self.my_draft(ctx, id).await?;
        let files = self.store.files_of_draft(id).await?;
        Ok(DraftView { draft, files })
    }

    /// The caller's drafts not yet submitted.
    pub async fn drafts_mine(&self, ctx: &Ctx) -> AppResult<Vec<DraftRecord>> {
        let me = self.my_id(ctx)?;
        self.store.drafts_of(me).await
    }

    pub async fn draft_delete(&self, ctx: &Ctx, id: DraftId) -> AppResult<()> {
        let d = self.my_draft(ctx, id).await?;
        Self::open_draft(&d)?;
        let audit = ctx.audit::<_, ()>(self.now_us(), "draft.delete", "draft", id, Some(&d), None);
        if !self.store.draft_delete(id, &audit).await? {
            return Err(AppError::new(ErrorCode::DraftAlreadySubmitted));
        }
        Ok(())
    }

    /// Attaches a dossier part's file to a draft.
    pub async fn draft_file_add(
        &self,
        ctx: &Ctx,
        id: DraftId,
        up: Upload,
    ) -> AppResult<FileRecord> {
        let d = self.my_draft(ctx, id).await?;
        Self::open_draft(&d)?;
        if up.kind != FileKind::Part {
            return Err(AppError::field(ErrorCode::UploadPartUnknown, up.field()));
        }
        let parts = self.parts_of(d.procedure_id).await?;
        let existing = self.store.files_of_draft(id).await?;
        let staged = self
            .stage_all(std::slice::from_ref(&up), parts.len(), &existing)
            .await?;
        let now_us = self.now_us();
        let mut out = None;
        for s in staged {
            let f = s.record(
                FileId(self.ids.new_id()),
                None,
                Some(id),
                Some(d.user_id),
                now_us,
            );
            let audit = self.audit_file(ctx, now_us, "draft.file_add", &f);
            self.store.file_insert(&f, &audit).await?;
            out = Some(f);
        }
        out.ok_or_else(|| AppError::internal("nothing staged"))
    }

    pub async fn draft_file_remove(&self, ctx: &Ctx, id: DraftId, file: FileId) -> AppResult<()> {
        let d = self.my_draft(ctx, id).await?;
        Self::open_draft(&d)?;
        let audit =
            ctx.audit::<(), ()>(self.now_us(), "draft.file_remove", "file", file, None, None);
        if !self.store.draft_file_delete(id, file, &audit).await? {
            return Err(AppError::new(ErrorCode::FileNotFound));
        }
        Ok(())
    }

    /// Submits a draft: the same checks as an online submission, with the draft's files. The
    /// draft is marked submitted in the same transaction; a second submission of it fails with
    /// `draft.already_submitted` (a double click creates one dossier).
    pub async fn draft_submit(&self, ctx: &Ctx, id: DraftId) -> AppResult<DossierRecord> {
        let d = self.my_draft(ctx, id).await?;
        Self::open_draft(&d)?;
        let agency_id = d
            .agency_id
            .ok_or_else(|| AppError::field(ErrorCode::Required, "agency_id"))?;
        let files = self.store.files_of_draft(id).await?;
        let input = OnlineSubmission {
            procedure_id: d.procedure_id,
            agency_id,
            values: d.body.values.clone(),
            return_method: d.body.return_method,
            id_number: d.body.id_number.clone(),
            phone: d.body.phone.clone(),
            email: d.body.email.clone(),
            address: d.body.address.clone(),
            files: Vec::new(),
        };
        self.submit_online(ctx, &input, files, Some(id)).await
    }

    // ---- a dossier's files ----

    /// Attaches files to a dossier outside an action (desk scans, working papers, the result).
    pub async fn dossier_files_add(
        &self,
        ctx: &Ctx,
        id: DossierId,
        uploads: Vec<Upload>,
    ) -> AppResult<Vec<FileRecord>> {
        let rec = self.dossier_for_files(ctx, id, &uploads).await?;
        let parts = self.parts_of(rec.procedure_id).await?;
        let existing = self.store.files_of_dossier(id).await?;
        let staged = self.stage_all(&uploads, parts.len(), &existing).await?;
        let now_us = self.now_us();
        let me = ctx.actor.user_id();
        let mut out = Vec::new();
        for s in staged {
            let f = s.record(FileId(self.ids.new_id()), Some(id), None, me, now_us);
            let audit = self.audit_file(ctx, now_us, "dossier.file_add", &f);
            self.store.file_insert(&f, &audit).await?;
            out.push(f);
        }
        Ok(out)
    }

    /// Loads the dossier and checks that the caller may attach these kinds of files now.
    async fn dossier_for_files(
        &self,
        ctx: &Ctx,
        id: DossierId,
        uploads: &[Upload],
    ) -> AppResult<DossierRecord> {
        use crate::dossiers::Who;
        let rec = self
            .store
            .dossier_get(id)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::DossierNotFound))?;
        let state = rec.dossier.state().name();
        for up in uploads {
            let (who, states): (&[Who], &[StateName]) = match up.kind {
                FileKind::Part => (
                    &[Who::Desk],
                    &[
                        StateName::Submitted,
                        StateName::Received,
                        StateName::SupplementRequested,
                    ],
                ),
                FileKind::Supplement => (
                    &[Who::Applicant, Who::Desk],
                    &[StateName::SupplementRequested],
                ),
                FileKind::Working => (
                    &[Who::Process, Who::Approver],
                    &[
                        StateName::Processing,
                        StateName::ReturnedToStep,
                        StateName::Consulting,
                        StateName::AwaitingApproval,
                        StateName::AwaitingFinancialObligation,
                    ],
                ),
                FileKind::Result => (
                    &[Who::Process, Who::Approver, Who::Desk],
                    &[
                        StateName::Processing,
                        StateName::ReturnedToStep,
                        StateName::AwaitingApproval,
                        StateName::ResultReady,
                    ],
                ),
            };
            self.authorize_on(ctx, &rec, who).await?;
            if !states.contains(&state) {
                return Err(AppError::field(ErrorCode::UploadNotAllowedNow, up.field()));
            }
        }
        Ok(rec)
    }

    /// An action with the files that go with it (a supplement answered with the missing
    /// papers, a result returned online with its file), in one transaction.
    pub async fn dossier_act_with_files(
        &self,
        ctx: &Ctx,
        id: DossierId,
        action: DossierAction,
        uploads: Vec<Upload>,
    ) -> AppResult<DossierRecord> {
        if uploads.is_empty() {
            return self.dossier_act(ctx, id, action).await;
        }
        let rec = self.dossier_for_files(ctx, id, &uploads).await?;
        let parts = self.parts_of(rec.procedure_id).await?;
        let existing = self.store.files_of_dossier(id).await?;
        let staged = self.stage_all(&uploads, parts.len(), &existing).await?;
        let now_us = self.now_us();
        let me = ctx.actor.user_id();
        let records: Vec<FileRecord> = staged
            .into_iter()
            .map(|s| s.record(FileId(self.ids.new_id()), Some(id), None, me, now_us))
            .collect();
        self.dossier_act_files(ctx, id, action, &records).await
    }

    /// The files of a dossier, for whoever may see it.
    pub async fn dossier_files(&self, ctx: &Ctx, id: DossierId) -> AppResult<Vec<FileRecord>> {
        self.dossier(ctx, id, false).await?;
        self.store.files_of_dossier(id).await
    }

    /// One file of a dossier with its bytes.
    pub async fn dossier_file_content(
        &self,
        ctx: &Ctx,
        id: DossierId,
        file: FileId,
    ) -> AppResult<(FileRecord, Vec<u8>)> {
        self.dossier(ctx, id, false).await?;
        let f = self
            .store
            .file_get(file)
            .await?
            .filter(|f| f.dossier_id == Some(id))
            .ok_or_else(|| AppError::new(ErrorCode::FileNotFound))?;
        let bytes = self.blobs.get(&f.sha256).await?.ok_or_else(|| {
            AppError::internal(format!("blob {} of file {} is missing", f.sha256, f.id))
        })?;
        Ok((f, bytes))
    }

    /// One file of the caller's draft with its bytes.
    pub async fn draft_file_content(
        &self,
        ctx: &Ctx,
        id: DraftId,
        file: FileId,
    ) -> AppResult<(FileRecord, Vec<u8>)> {
        self.my_draft(ctx, id).await?;
        let f = self
            .store
            .file_get(file)
            .await?
            .filter(|f| f.draft_id == Some(id))
            .ok_or_else(|| AppError::new(ErrorCode::FileNotFound))?;
        let bytes = self
            .blobs
            .get(&f.sha256)
            .await?
            .ok_or_else(|| AppError::internal(format!("blob {} is missing", f.sha256)))?;
        Ok((f, bytes))
    }
}
