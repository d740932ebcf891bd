//! Dossier use cases: online submission, reception at the one-stop desk, one use case per
//! command of the domain's state machine, worklists, "my dossiers", lookup by code without
//! logging in, and Biểu II.06a from the stored events.
//!
//! Every change: load the aggregate, ask the policy (`App::authorize`) on the dossier's agency
//! path (or, for the applicant's own actions, on the applicant's account), apply the domain
//! command with the deadline engine of the calendar in effect, then save the new state, the new
//! events and the audit entry in one transaction with an optimistic version check.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, normalize_phone, valid_email};
use cqdt_domain::calendar::{
    DeadlineEngine, ExtensionTarget, LocalDateTime, WorkDuration, WorkingHours, from_local,
    to_local,
};
use cqdt_domain::dossier::{
    Channel, Command, CommandName, Dossier, DossierCode, DossierError, DossierEvent, Evaluation,
    Ii06aReport, Ii06aRow, ReportPeriod, ReturnMethod, StateName, ii06a_by_field, ii06a_from_rows,
    open_within, open_within_from_last,
};
use cqdt_domain::ids::{AgencyId, DossierId, DraftId, FileId, ProcedureId, UserId};
use cqdt_domain::policy::{Action, Actor, Target};
use cqdt_domain::procedure::{FieldError, NormalisedValues};
use cqdt_domain::text::{fold, nfc, nfc_opt};
use serde::Serialize;

use crate::calendar::EffectiveCalendar;
use crate::error::{AppError, AppResult, LineError};
use crate::files::{Staged, Upload, missing_required_part};
use crate::procedures::Page;
use crate::store::{
    Applicant, DossierBuilder, DossierFilter, DossierRecord, DossierScope, FileRecord,
    NewDossierFiles, ProcedureRecord, StateCount, User, UserKind, path_string,
};
use crate::{App, Ctx};

/// A domain dossier error as an application error; the two that wrap a calendar error keep
/// its code in the detail.
pub fn dossier_error(e: DossierError) -> AppError {
    let code = ErrorCode::parse(e.code()).unwrap_or(ErrorCode::Internal);
    let detail = match e.calendar_code() {
        Some(c) => format!("{c}: {e}"),
        None => e.to_string(),
    };
    AppError::new(code).with_detail(detail)
}

/// Form errors: the first one's code and field, every one as a numbered line.
fn form_error(errors: &[FieldError]) -> AppError {
    let field = |e: &FieldError| format!("values.{}", e.field);
    let mut out = AppError::new(errors.first().map_or(ErrorCode::InvalidFormat, |e| e.code));
    out.field = errors.first().map(field);
    out.lines = errors
        .iter()
        .enumerate()
        .map(|(i, e)| LineError {
            line: i + 1,
            field: Some(field(e)),
            code: e.code,
        })
        .collect();
    out
}

fn instant(us: i64) -> AppResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| AppError::internal("clock out of range"))
}

/// A local (UTC+7) instant as microseconds since the epoch.
pub fn local_us(t: LocalDateTime) -> i64 {
    from_local(t).timestamp_micros()
}

/// States that close a dossier (for reports: result ready, returned, withdrawn, stopped).
fn is_closed(s: StateName) -> bool {
    matches!(
        s,
        StateName::ResultReady | StateName::Returned | StateName::Withdrawn | StateName::Stopped
    )
}

/// Brings the queried columns in step with the last events.
fn refresh(rec: &mut DossierRecord, events: &[DossierEvent], now_us: i64) {
    if let Some(last) = events.last() {
        rec.due_at_us = last.due.map(local_us);
        rec.appointment_at_us = last.appointment.map(local_us);
        if rec.closed_at_us.is_none() && is_closed(last.state) {
            rec.closed_at_us = Some(now_us);
        }
    }
    rec.updated_at_us = now_us;
}

fn engine(c: &EffectiveCalendar) -> DeadlineEngine<'_> {
    DeadlineEngine::new(&c.calendar, WorkingHours::default())
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// The applicant as the desk officer types them.
#[derive(Debug, Clone, Default)]
pub struct ApplicantInput {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// Login (e-mail or phone) of the applicant's account, to link the dossier to it so the
    /// applicant follows it online (its ID number, if any, must be the one typed).
    pub account: Option<String>,
}

/// An online submission by a signed-in citizen or business.
#[derive(Debug, Clone)]
pub struct OnlineSubmission {
    pub procedure_id: ProcedureId,
    /// The receiving agency (one of the procedure's).
    pub agency_id: AgencyId,
    /// The applicant's form, key → text.
    pub values: BTreeMap<String, String>,
    pub return_method: Option<ReturnMethod>,
    /// Defaults to the account's.
    pub id_number: Option<String>,
    /// Defaults to the account's.
    pub phone: Option<String>,
    /// Defaults to the account's.
    pub email: Option<String>,
    pub address: Option<String>,
    /// The dossier parts' files (`Upload::part`).
    pub files: Vec<Upload>,
}

/// A paper dossier registered at the one-stop desk (brought in person, or by post).
#[derive(Debug, Clone)]
pub struct DeskReception {
    pub procedure_id: ProcedureId,
    pub agency_id: AgencyId,
    pub applicant: ApplicantInput,
    pub values: BTreeMap<String, String>,
    /// `Direct` (in person) or `Post`.
    pub channel: Channel,
    /// Accept at once (form 01, the clock starts); otherwise the dossier waits in "submitted"
    /// for the desk's check.
    pub accept: bool,
    pub return_method: Option<ReturnMethod>,
    /// Scans of the parts brought in.
    pub files: Vec<Upload>,
}

/// What may be done to a dossier after it entered the system: the domain's commands except the
/// three intake ones (their code is drawn by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DossierAction {
    Accept,
    RequestSupplement {
        reasons: Vec<String>,
    },
    AnswerSupplement {
        note: Option<String>,
    },
    Refuse {
        reasons: Vec<String>,
    },
    HandOver,
    /// Complete the current (non-approval) step ("process").
    CompleteStep {
        note: Option<String>,
    },
    Consult {
        agency_id: AgencyId,
        question: String,
        allotted: WorkDuration,
        pause_clock: bool,
    },
    ConsultationAnswered {
        answer: Option<String>,
    },
    Approve,
    Reject {
        reasons: Vec<String>,
    },
    SendBack {
        to_step: u16,
        reason: String,
    },
    RequestFinancialObligation {
        description: String,
        amount_vnd: Option<u64>,
    },
    FinancialObligationMet,
    ResultReady,
    ReturnResult {
        method: ReturnMethod,
    },
    Withdraw {
        reason: Option<String>,
    },
    IssueApology {
        reason: String,
        new_appointment: ExtensionTarget,
    },
    Evaluate {
        evaluation: Evaluation,
    },
}

/// Who may ask for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    /// The one-stop desk of the dossier's agency (`Action::ReceiveDossier`).
    Desk,
    /// The processing unit (`Action::ProcessDossier`), on the dossier's agency or the current
    /// step's (or the consulted) agency.
    Process,
    /// A leader (`Action::Approve`).
    Approver,
    /// The applicant, on their own dossier (`Action::ActAsApplicant`).
    Applicant,
}

impl DossierAction {
    fn into_command(self) -> Command {
        match self {
            DossierAction::Accept => Command::Accept,
            DossierAction::RequestSupplement { reasons } => Command::RequestSupplement { reasons },
            DossierAction::AnswerSupplement { note } => Command::AnswerSupplement { note },
            DossierAction::Refuse { reasons } => Command::Refuse { reasons },
            DossierAction::HandOver => Command::HandOver,
            DossierAction::CompleteStep { note } => Command::CompleteStep { note },
            DossierAction::Consult {
                agency_id,
                question,
                allotted,
                pause_clock,
            } => Command::Consult {
                agency: agency_id,
                question,
                allotted,
                pause_clock,
            },
            DossierAction::ConsultationAnswered { answer } => {
                Command::ConsultationAnswered { answer }
            }
            DossierAction::Approve => Command::Approve,
            DossierAction::Reject { reasons } => Command::Reject { reasons },
            DossierAction::SendBack { to_step, reason } => Command::SendBack { to_step, reason },
            DossierAction::RequestFinancialObligation {
                description,
                amount_vnd,
            } => Command::RequestFinancialObligation {
                description,
                amount_vnd,
            },
            DossierAction::FinancialObligationMet => Command::FinancialObligationMet,
            DossierAction::ResultReady => Command::ResultReady,
            DossierAction::ReturnResult { method } => Command::ReturnResult { method },
            DossierAction::Withdraw { reason } => Command::Withdraw { reason },
            DossierAction::IssueApology {
                reason,
                new_appointment,
            } => Command::IssueApology {
                reason,
                new_appointment,
            },
            DossierAction::Evaluate { evaluation } => Command::Evaluate { evaluation },
        }
    }

    /// Who may ask for it.
    fn who(&self) -> &'static [Who] {
        use Who::*;
        match self {
            DossierAction::Accept
            | DossierAction::Refuse { .. }
            | DossierAction::HandOver
            | DossierAction::ReturnResult { .. } => &[Desk],
            DossierAction::RequestSupplement { .. } => &[Desk, Process],
            DossierAction::AnswerSupplement { .. } | DossierAction::Withdraw { .. } => {
                &[Applicant, Desk]
            }
            DossierAction::CompleteStep { .. }
            | DossierAction::Consult { .. }
            | DossierAction::ConsultationAnswered { .. }
            | DossierAction::SendBack { .. }
            | DossierAction::RequestFinancialObligation { .. }
            | DossierAction::ResultReady => &[Process],
            DossierAction::FinancialObligationMet => &[Desk, Process],
            DossierAction::Approve | DossierAction::Reject { .. } => &[Approver],
            DossierAction::IssueApology { .. } => &[Process, Desk],
            DossierAction::Evaluate { .. } => &[Applicant],
        }
    }
}

/// Which worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// The desk: submitted, supplement requested, received, result ready.
    Desk,
    /// The processing unit: processing, sent back, consulting, awaiting a financial obligation.
    Processing,
    /// Leaders: awaiting approval.
    Approval,
    /// Every dossier of the caller's subtrees, in any state.
    All,
}

impl Queue {
    pub fn parse(s: &str) -> Option<Queue> {
        match s.trim() {
            "desk" => Some(Queue::Desk),
            "processing" => Some(Queue::Processing),
            "approval" => Some(Queue::Approval),
            "all" => Some(Queue::All),
            _ => None,
        }
    }

    fn states(self) -> &'static [StateName] {
        match self {
            Queue::Desk => &[
                StateName::Submitted,
                StateName::SupplementRequested,
                StateName::Received,
                StateName::ResultReady,
            ],
            Queue::Processing => &[
                StateName::Processing,
                StateName::ReturnedToStep,
                StateName::Consulting,
                StateName::AwaitingFinancialObligation,
            ],
            Queue::Approval => &[StateName::AwaitingApproval],
            Queue::All => &[],
        }
    }
}

/// A worklist query.
#[derive(Debug, Clone, Default)]
pub struct WorklistQuery {
    /// One queue; none: the caller's desk, processing and approval queues together.
    pub queue: Option<Queue>,
    pub states: Vec<StateName>,
    pub procedure_id: Option<ProcedureId>,
    pub overdue: Option<bool>,
    /// Code, applicant name (without diacritics too), ID number or phone.
    pub q: Option<String>,
    /// Only this agency's subtree (within the caller's).
    pub agency: Option<AgencyId>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A dossier of a worklist with its deadline flags.
#[derive(Debug, Clone)]
pub struct WorkItem {
    pub record: DossierRecord,
    /// Open, clock running, past its due instant.
    pub overdue: bool,
    /// Not overdue, but due by the end of the next working day.
    pub due_soon: bool,
}

/// A page of a worklist with the counts by state over the whole list.
#[derive(Debug, Clone)]
pub struct Worklist {
    pub items: Vec<WorkItem>,
    pub total: i64,
    pub counts: Vec<StateCount>,
}

/// A dossier with its timeline.
#[derive(Debug, Clone)]
pub struct DossierView {
    pub record: DossierRecord,
    pub overdue: bool,
    pub due_soon: bool,
    /// The events with their sequence numbers, when asked for.
    pub events: Option<Vec<(i64, DossierEvent)>>,
}

/// What the audit entry of an intake digests (the dossier's code is drawn inside the
/// transaction, after the entry).
#[derive(Serialize)]
struct IntakeDigest<'a> {
    procedure_id: ProcedureId,
    procedure_version: u32,
    agency_id: AgencyId,
    applicant: &'a Applicant,
    values: &'a NormalisedValues,
    channel: Channel,
    accept: bool,
}

fn digits_id_number(s: &str) -> Option<String> {
    let d: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    ((d.len() == 12 || d.len() == 9) && d.bytes().all(|b| b.is_ascii_digit())).then_some(d)
}

/// Normalises the applicant's contact details; at least an ID number or a phone is required
/// (the lookup without login needs one).
fn clean_applicant(mut a: Applicant, prefix: &str) -> AppResult<Applicant> {
    let f = |name: &str| format!("{prefix}{name}");
    a.name = nfc(&a.name);
    if a.name.is_empty() {
        return Err(AppError::field(ErrorCode::Required, f("name")));
    }
    if a.name.chars().count() > 200 {
        return Err(AppError::field(ErrorCode::TooLong, f("name")));
    }
    a.id_number = match nfc_opt(a.id_number.as_deref()) {
        None => None,
        Some(s) => Some(
            digits_id_number(&s)
                .ok_or_else(|| AppError::field(ErrorCode::InvalidIdNumber, f("id_number")))?,
        ),
    };
    a.phone = match nfc_opt(a.phone.as_deref()) {
        None => None,
        Some(s) => Some(
            normalize_phone(&s)
                .ok_or_else(|| AppError::field(ErrorCode::InvalidPhone, f("phone")))?,
        ),
    };
    a.email = match nfc_opt(a.email.as_deref()).map(|e| e.to_lowercase()) {
        None => None,
        Some(e) if valid_email(&e) => Some(e),
        Some(_) => return Err(AppError::field(ErrorCode::InvalidEmail, f("email"))),
    };
    a.address = nfc_opt(a.address.as_deref());
    if a.address.as_ref().is_some_and(|s| s.chars().count() > 500) {
        return Err(AppError::field(ErrorCode::TooLong, f("address")));
    }
    if a.id_number.is_none() && a.phone.is_none() {
        return Err(AppError::field(ErrorCode::Required, f("id_number")));
    }
    Ok(a)
}

impl App {
    /// Allowed if any of the candidates is; otherwise the last refusal.
    fn authorize_any(&self, ctx: &Ctx, candidates: &[(Action, Target<'_>)]) -> AppResult<()> {
        // With no candidate at all, the policy's answer for this caller in general: log in, or
        // not allowed.
        let mut last = self
            .authorize(ctx, Action::ActAsApplicant, Target::Platform)
            .err()
            .unwrap_or_else(|| AppError::new(ErrorCode::Forbidden));
        for (action, target) in candidates {
            match self.authorize(ctx, *action, *target) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn agency_path(&self, id: AgencyId) -> AppResult<Vec<AgencyId>> {
        Ok(self
            .store
            .agency_get(id)
            .await?
            .map(|a| a.path)
            .unwrap_or_else(|| vec![id]))
    }

    /// The procedure version in effect and the receiving agency, checked for an intake.
    async fn intake_target(
        &self,
        procedure_id: ProcedureId,
        agency: &Agency,
        today: NaiveDate,
    ) -> AppResult<ProcedureRecord> {
        let p = self
            .store
            .procedure_get(procedure_id)
            .await?
            .ok_or_else(|| AppError::field(ErrorCode::ProcedureNotFound, "procedure_id"))?;
        if !p.current || !p.procedure.is_effective_on(today) {
            return Err(AppError::field(
                ErrorCode::ProcedureNotInEffect,
                "procedure_id",
            ));
        }
        if !p.procedure.agencies.contains(&agency.id) {
            return Err(AppError::field(
                ErrorCode::ProcedureNotOfferedByAgency,
                "agency_id",
            ));
        }
        Ok(p)
    }

    async fn receiving_agency(&self, id: AgencyId) -> AppResult<Agency> {
        self.store
            .agency_get(id)
            .await?
            .ok_or_else(|| AppError::field(ErrorCode::AgencyNotFound, "agency_id"))
    }

    /// Creates the dossier: the code is drawn inside the store's transaction, then the intake
    /// command (and the acceptance, if asked) is applied.
    #[allow(clippy::too_many_arguments)]
    async fn create_dossier(
        &self,
        ctx: &Ctx,
        procedure: &ProcedureRecord,
        agency: &Agency,
        applicant: Applicant,
        values: NormalisedValues,
        return_method: Option<ReturnMethod>,
        channel: Channel,
        accept: bool,
        staged: Vec<Staged>,
        from_draft: Option<DraftId>,
    ) -> AppResult<DossierRecord> {
        let calendar = self.effective_calendar().await?;
        let now_us = self.now_us();
        let at = instant(now_us)?;
        let day = DossierCode::local_date(at);
        let id = DossierId(self.ids.new_id());
        let action = if channel == Channel::Online {
            "dossier.submit"
        } else {
            "dossier.receive"
        };
        let audit = ctx.audit::<(), _>(
            now_us,
            action,
            "dossier",
            id,
            None,
            Some(&IntakeDigest {
                procedure_id: procedure.id,
                procedure_version: procedure.procedure.version,
                agency_id: agency.id,
                applicant: &applicant,
                values: &values,
                channel,
                accept,
            }),
        );
        let template = DossierRecord {
            id,
            code: String::new(),
            agency_id: agency.id,
            agency_path: agency.path.clone(),
            procedure_id: procedure.id,
            applicant,
            form_values: values,
            return_method,
            dossier: Dossier::new(procedure.procedure.terms()),
            due_at_us: None,
            appointment_at_us: None,
            closed_at_us: None,
            version: 1,
            created_at_us: now_us,
            updated_at_us: now_us,
        };
        let identifier = agency.fields.identifier.clone();
        let actor = ctx.actor.user_id();
        let ids = self.ids.clone();
        let build: DossierBuilder<'static> = Box::new(move |sequence| {
            let engine = engine(&calendar);
            let code = DossierCode::for_instant(identifier, at, sequence).map_err(dossier_error)?;
            let mut rec = template;
            rec.code = code.to_string();
            let intake = match channel {
                Channel::Online => Command::SubmitOnline { code },
                Channel::Direct => Command::ReceiveAtDesk { code },
                Channel::Post => Command::ReceiveByPost { code },
            };
            let mut events = rec
                .dossier
                .apply(at, actor, intake, &engine)
                .map_err(dossier_error)?;
            if accept {
                events.extend(
                    rec.dossier
                        .apply(at, actor, Command::Accept, &engine)
                        .map_err(dossier_error)?,
                );
            }
            refresh(&mut rec, &events, now_us);
            let notices = dossier_notices(&rec, &events, &*ids, now_us)?;
            Ok((rec, events, notices))
        });
        let uploader = ctx.actor.user_id();
        let files = NewDossierFiles {
            new: staged
                .into_iter()
                .map(|s| s.record(FileId(self.ids.new_id()), Some(id), None, uploader, now_us))
                .collect(),
            from_draft,
        };
        self.store
            .dossier_create(agency.id, day, &audit, &files, build)
            .await
    }

    /// Online submission (channel 2) by the signed-in applicant: the form is checked against
    /// the procedure's, the contact details default to the account's.
    pub async fn dossier_submit_online(
        &self,
        ctx: &Ctx,
        input: &OnlineSubmission,
    ) -> AppResult<DossierRecord> {
        self.submit_online(ctx, input, Vec::new(), None).await
    }

    /// Online submission with `input.files` added to `earlier` files (a draft's, which the
    /// dossier takes over when `from_draft` is set). Every required dossier part needs a file.
    pub(crate) async fn submit_online(
        &self,
        ctx: &Ctx,
        input: &OnlineSubmission,
        earlier: Vec<FileRecord>,
        from_draft: Option<DraftId>,
    ) -> AppResult<DossierRecord> {
        let me = ctx.actor.user_id();
        self.authorize(
            ctx,
            Action::ActAsApplicant,
            Target::Account {
                user: me.unwrap_or(UserId(uuid::Uuid::nil())),
                agency: None,
            },
        )?;
        let Some(me) = me else {
            return Err(AppError::new(ErrorCode::Unauthenticated));
        };
        let user = self
            .store
            .user_get(me)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated))?;
        let agency = self.receiving_agency(input.agency_id).await?;
        let today = DossierCode::local_date(instant(self.now_us())?);
        let procedure = self
            .intake_target(input.procedure_id, &agency, today)
            .await?;
        let values = procedure
            .procedure
            .validate_form(&input.values)
            .map_err(|e| form_error(&e))?;
        let or = |given: &Option<String>, account: &Option<String>| {
            nfc_opt(given.as_deref()).or_else(|| account.clone())
        };
        let applicant = clean_applicant(
            Applicant {
                user_id: Some(me),
                name: user.full_name.clone(),
                id_number: or(&input.id_number, &user.id_number),
                phone: or(&input.phone, &user.phone),
                email: or(&input.email, &user.email),
                address: input.address.clone(),
            },
            "",
        )?;
        // Refuse a procedure that is not offered online before storing any file for it.
        if !procedure.procedure.level.allows_online_submission() {
            return Err(dossier_error(DossierError::OnlineNotAllowed));
        }
        check_return_method(
            input.return_method,
            &applicant,
            procedure.procedure.level.allows_online_result(),
        )?;
        let parts = &procedure.procedure.parts;
        let staged = self.stage_all(&input.files, parts.len(), &earlier).await?;
        let present = earlier
            .iter()
            .map(|f| (f.kind, f.part))
            .chain(staged.iter().map(|s| (s.kind, s.part)));
        if let Some(n) = missing_required_part(parts, present) {
            return Err(AppError::field(
                ErrorCode::UploadRequiredPartMissing,
                format!("part-{n}"),
            ));
        }
        self.create_dossier(
            ctx,
            &procedure,
            &agency,
            applicant,
            values,
            input.return_method,
            Channel::Online,
            false,
            staged,
            from_draft,
        )
        .await
    }

    /// Reception of a paper dossier at the one-stop desk (channel 1) or by post (channel 3), by
    /// a one-stop officer of the receiving agency, who types the applicant's details; accepted
    /// at once unless `accept` is false.
    pub async fn dossier_receive(
        &self,
        ctx: &Ctx,
        input: &DeskReception,
    ) -> AppResult<DossierRecord> {
        let agency = self.receiving_agency(input.agency_id).await?;
        self.authorize(ctx, Action::ReceiveDossier, Target::Agency(&agency.path))?;
        if input.channel == Channel::Online {
            return Err(AppError::field(ErrorCode::InvalidChoice, "channel"));
        }
        let today = DossierCode::local_date(instant(self.now_us())?);
        let procedure = self
            .intake_target(input.procedure_id, &agency, today)
            .await?;
        let a = &input.applicant;
        let mut applicant = clean_applicant(
            Applicant {
                user_id: None,
                name: a.name.clone(),
                id_number: a.id_number.clone(),
                phone: a.phone.clone(),
                email: a.email.clone(),
                address: a.address.clone(),
            },
            "applicant.",
        )?;
        if let Some(login) = nfc_opt(a.account.as_deref()) {
            let user = self.applicant_account(&login).await?;
            if let (Some(theirs), Some(typed)) = (&user.id_number, &applicant.id_number)
                && theirs != typed
            {
                return Err(AppError::field(
                    ErrorCode::InvalidIdNumber,
                    "applicant.account",
                ));
            }
            applicant.user_id = Some(user.id);
        }
        let values = procedure
            .procedure
            .validate_form(&input.values)
            .map_err(|e| form_error(&e))?;
        check_return_method(
            input.return_method,
            &applicant,
            procedure.procedure.level.allows_online_result(),
        )
        .map_err(|e| match e.field.as_deref() {
            Some("address") => AppError::field(e.code, "applicant.address"),
            _ => e,
        })?;
        let staged = self
            .stage_all(&input.files, procedure.procedure.parts.len(), &[])
            .await?;
        self.create_dossier(
            ctx,
            &procedure,
            &agency,
            applicant,
            values,
            input.return_method,
            input.channel,
            input.accept,
            staged,
            None,
        )
        .await
    }

    /// A citizen or business account by its login, to link a desk dossier to.
    async fn applicant_account(&self, login: &str) -> AppResult<User> {
        let user = if login.contains('@') {
            self.store.user_by_email(&login.to_lowercase()).await?
        } else {
            match normalize_phone(login) {
                Some(p) => self.store.user_by_phone(&p).await?,
                None => None,
            }
        };
        user.filter(|u| matches!(u.kind, UserKind::Citizen | UserKind::Business) && !u.disabled)
            .ok_or_else(|| AppError::field(ErrorCode::UserNotFound, "applicant.account"))
    }

    /// Loads a dossier or answers `dossier.not_found`.
    async fn load_dossier(&self, id: DossierId) -> AppResult<DossierRecord> {
        self.store
            .dossier_get(id)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::DossierNotFound))
    }

    /// Authorizes `who` on a dossier: the desk and leaders on the receiving agency's path, the
    /// processing unit there or on the current step's (or consulted) agency, the applicant on
    /// their own account.
    pub(crate) async fn authorize_on(
        &self,
        ctx: &Ctx,
        rec: &DossierRecord,
        who: &[Who],
    ) -> AppResult<()> {
        use cqdt_domain::dossier::DossierState;
        let mut extra_paths: Vec<Vec<AgencyId>> = Vec::new();
        if who.contains(&Who::Process) {
            let step_agency = rec
                .dossier
                .state()
                .step()
                .and_then(|k| rec.dossier.terms().route.get(usize::from(k)))
                .and_then(|s| s.agency);
            let consulted = match rec.dossier.state() {
                DossierState::Consulting { consultation, .. } => Some(consultation.agency),
                _ => None,
            };
            for a in step_agency.into_iter().chain(consulted) {
                if a != rec.agency_id {
                    extra_paths.push(self.agency_path(a).await?);
                }
            }
        }
        let mut candidates: Vec<(Action, Target<'_>)> = Vec::new();
        for w in who {
            match w {
                Who::Desk => {
                    candidates.push((Action::ReceiveDossier, Target::Agency(&rec.agency_path)))
                }
                Who::Process => {
                    candidates.push((Action::ProcessDossier, Target::Agency(&rec.agency_path)));
                    for p in &extra_paths {
                        candidates.push((Action::ProcessDossier, Target::Agency(p)));
                    }
                }
                Who::Approver => {
                    candidates.push((Action::Approve, Target::Agency(&rec.agency_path)))
                }
                Who::Applicant => {
                    if let Some(u) = rec.applicant.user_id {
                        candidates.push((
                            Action::ActAsApplicant,
                            Target::Account {
                                user: u,
                                agency: None,
                            },
                        ));
                    }
                }
            }
        }
        self.authorize_any(ctx, &candidates)
    }

    /// Applies one action to a dossier and saves it (state, events, audit entry; version
    /// checked). The generic door behind the named use cases below.
    pub async fn dossier_act(
        &self,
        ctx: &Ctx,
        id: DossierId,
        action: DossierAction,
    ) -> AppResult<DossierRecord> {
        self.dossier_act_files(ctx, id, action, &[]).await
    }

    /// An action with file records whose bytes are already stored (see
    /// `dossier_act_with_files`).
    pub(crate) async fn dossier_act_files(
        &self,
        ctx: &Ctx,
        id: DossierId,
        action: DossierAction,
        files: &[FileRecord],
    ) -> AppResult<DossierRecord> {
        let rec = self.load_dossier(id).await?;
        self.authorize_on(ctx, &rec, action.who()).await?;
        if let DossierAction::Consult { agency_id, .. } = &action
            && self.store.agency_get(*agency_id).await?.is_none()
        {
            return Err(AppError::field(ErrorCode::AgencyNotFound, "agency_id"));
        }
        let calendar = self.effective_calendar().await?;
        let now_us = self.now_us();
        let at = instant(now_us)?;
        let command = action.into_command();
        let name = command.name();
        let mut next = rec.clone();
        let events = next
            .dossier
            .apply(at, ctx.actor.user_id(), command, &engine(&calendar))
            .map_err(dossier_error)?;
        refresh(&mut next, &events, now_us);
        let audit = ctx.audit(
            now_us,
            &format!("dossier.{}", command_name(name)),
            "dossier",
            id,
            Some(&rec.dossier),
            Some(&next.dossier),
        );
        let outbox = dossier_notices(&next, &events, &*self.ids, now_us)?;
        self.store
            .dossier_update(&next, &events, &audit, &outbox, files)
            .await?;
        next.version += 1;
        Ok(next)
    }

    /// The desk accepts a submitted dossier (form 01): the clock starts.
    pub async fn dossier_accept(&self, ctx: &Ctx, id: DossierId) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::Accept).await
    }

    /// The one supplement request (form 02), every reason listed.
    pub async fn dossier_request_supplement(
        &self,
        ctx: &Ctx,
        id: DossierId,
        reasons: Vec<String>,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::RequestSupplement { reasons })
            .await
    }

    /// The applicant (or the desk, for papers brought in) answers the supplement request.
    pub async fn dossier_answer_supplement(
        &self,
        ctx: &Ctx,
        id: DossierId,
        note: Option<String>,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::AnswerSupplement { note })
            .await
    }

    /// The desk refuses the dossier (form 03).
    pub async fn dossier_refuse(
        &self,
        ctx: &Ctx,
        id: DossierId,
        reasons: Vec<String>,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::Refuse { reasons })
            .await
    }

    /// The desk hands the dossier over to the processing unit.
    pub async fn dossier_hand_over(&self, ctx: &Ctx, id: DossierId) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::HandOver).await
    }

    /// The processing unit completes the current step.
    pub async fn dossier_process(
        &self,
        ctx: &Ctx,
        id: DossierId,
        note: Option<String>,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::CompleteStep { note })
            .await
    }

    /// The processing unit consults another agency.
    pub async fn dossier_consult(
        &self,
        ctx: &Ctx,
        id: DossierId,
        agency_id: AgencyId,
        question: String,
        allotted: WorkDuration,
        pause_clock: bool,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(
            ctx,
            id,
            DossierAction::Consult {
                agency_id,
                question,
                allotted,
                pause_clock,
            },
        )
        .await
    }

    /// The consulted agency's answer is in.
    pub async fn dossier_consultation_answered(
        &self,
        ctx: &Ctx,
        id: DossierId,
        answer: Option<String>,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::ConsultationAnswered { answer })
            .await
    }

    /// A leader approves at an approval step.
    pub async fn dossier_approve(&self, ctx: &Ctx, id: DossierId) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::Approve).await
    }

    /// A leader stops processing (not eligible), with reasons.
    pub async fn dossier_reject(
        &self,
        ctx: &Ctx,
        id: DossierId,
        reasons: Vec<String>,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::Reject { reasons })
            .await
    }

    /// Send the dossier back to an earlier step.
    pub async fn dossier_send_back(
        &self,
        ctx: &Ctx,
        id: DossierId,
        to_step: u16,
        reason: String,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::SendBack { to_step, reason })
            .await
    }

    /// The last step's unit sends the result to the desk.
    pub async fn dossier_result_ready(&self, ctx: &Ctx, id: DossierId) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::ResultReady).await
    }

    /// The desk hands the result over.
    pub async fn dossier_return_result(
        &self,
        ctx: &Ctx,
        id: DossierId,
        method: ReturnMethod,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::ReturnResult { method })
            .await
    }

    /// Withdrawal at the applicant's request.
    pub async fn dossier_withdraw(
        &self,
        ctx: &Ctx,
        id: DossierId,
        reason: Option<String>,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::Withdraw { reason })
            .await
    }

    /// The apology slip with a new appointment (form 04), once.
    pub async fn dossier_apologize(
        &self,
        ctx: &Ctx,
        id: DossierId,
        reason: String,
        new_appointment: ExtensionTarget,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(
            ctx,
            id,
            DossierAction::IssueApology {
                reason,
                new_appointment,
            },
        )
        .await
    }

    /// The applicant rates the handling, once.
    pub async fn dossier_evaluate(
        &self,
        ctx: &Ctx,
        id: DossierId,
        evaluation: Evaluation,
    ) -> AppResult<DossierRecord> {
        self.dossier_act(ctx, id, DossierAction::Evaluate { evaluation })
            .await
    }

    /// Deadline flags at `now_us`.
    fn flags(&self, rec: &DossierRecord, now_us: i64, soon_us: Option<i64>) -> (bool, bool) {
        let open = rec.closed_at_us.is_none();
        match rec.due_at_us {
            Some(due) if open => (
                due < now_us,
                due >= now_us && soon_us.is_some_and(|s| due <= s),
            ),
            _ => (false, false),
        }
    }

    /// The instant one working day from now (the "due soon" horizon).
    async fn soon_us(&self, now_us: i64) -> AppResult<Option<i64>> {
        let calendar = self.effective_calendar().await?;
        let local = to_local(instant(now_us)?);
        Ok(engine(&calendar)
            .due(local, WorkDuration::Days(1))
            .ok()
            .map(local_us))
    }

    /// One dossier, for its applicant or the staff of its agency (desk, processing, leaders,
    /// also of the current step's or consulted agency); with its timeline when asked.
    pub async fn dossier(
        &self,
        ctx: &Ctx,
        id: DossierId,
        with_events: bool,
    ) -> AppResult<DossierView> {
        let rec = self.load_dossier(id).await?;
        self.authorize_on(
            ctx,
            &rec,
            &[Who::Applicant, Who::Desk, Who::Process, Who::Approver],
        )
        .await?;
        let now = self.now_us();
        let (overdue, due_soon) = self.flags(&rec, now, self.soon_us(now).await?);
        let events = if with_events {
            Some(self.store.dossier_events(id).await?)
        } else {
            None
        };
        Ok(DossierView {
            record: rec,
            overdue,
            due_soon,
            events,
        })
    }

    /// The caller's worklist: for staff, the queues of their roles on their agency subtrees
    /// (each subtree and queue allowed by the policy); for a citizen or business, their own
    /// dossiers ("my dossiers"). Due first, with counts by state over the whole list.
    pub async fn dossiers_worklist(&self, ctx: &Ctx, q: &WorklistQuery) -> AppResult<Worklist> {
        let now = self.now_us();
        let mut filter = DossierFilter {
            states: q.states.clone(),
            procedure_id: q.procedure_id,
            overdue: q.overdue,
            now_us: now,
            query: q
                .q
                .as_deref()
                .map(|s| fold(&nfc(s)))
                .filter(|s| !s.is_empty()),
            limit: q.limit.unwrap_or(50).clamp(1, 500),
            offset: q.offset.unwrap_or(0).max(0),
            ..DossierFilter::default()
        };
        match &ctx.actor {
            Actor::Citizen { user } => {
                self.authorize(
                    ctx,
                    Action::ActAsApplicant,
                    Target::Account {
                        user: *user,
                        agency: None,
                    },
                )?;
                filter.applicant = Some(*user);
            }
            Actor::Staff { grants, .. } => {
                let narrow = match q.agency {
                    Some(a) => Some(
                        self.store
                            .agency_get(a)
                            .await?
                            .ok_or_else(|| AppError::field(ErrorCode::AgencyNotFound, "agency"))?
                            .path,
                    ),
                    None => None,
                };
                let queues: Vec<Queue> = match q.queue {
                    Some(one) => vec![one],
                    None => vec![Queue::Desk, Queue::Processing, Queue::Approval],
                };
                let mut places: Vec<Option<AgencyId>> = grants.iter().map(|g| g.agency).collect();
                places.sort();
                places.dedup();
                for place in places {
                    let path = match place {
                        Some(a) => self.agency_path(a).await?,
                        None => vec![],
                    };
                    let target = if place.is_none() {
                        Target::Platform
                    } else {
                        Target::Agency(&path)
                    };
                    // The scope, narrowed to the asked subtree (or dropped outside it).
                    let prefix = match &narrow {
                        None => path_string(&path),
                        Some(n) if n.starts_with(&path) => path_string(n),
                        Some(n) if path.starts_with(n) => path_string(&path),
                        Some(_) => continue,
                    };
                    let prefix = if place.is_none() && narrow.is_none() {
                        String::new()
                    } else {
                        prefix
                    };
                    for queue in &queues {
                        let actions: &[Action] = match queue {
                            Queue::Desk => &[Action::ReceiveDossier],
                            Queue::Processing => &[Action::ProcessDossier],
                            Queue::Approval => &[Action::Approve],
                            Queue::All => &[
                                Action::ReceiveDossier,
                                Action::ProcessDossier,
                                Action::Approve,
                            ],
                        };
                        if actions
                            .iter()
                            .any(|a| self.authorize(ctx, *a, target).is_ok())
                        {
                            filter.scopes.push(DossierScope {
                                path_prefix: prefix.clone(),
                                states: queue.states().to_vec(),
                            });
                        }
                    }
                }
                if filter.scopes.is_empty() {
                    return Err(AppError::new(ErrorCode::Forbidden));
                }
            }
            Actor::Anonymous => return Err(AppError::new(ErrorCode::Unauthenticated)),
            Actor::System { .. } => return Err(AppError::new(ErrorCode::Forbidden)),
        }
        // The total is the sum of the counts by state (over the whole filter): one scan fewer.
        let counts = self.store.dossiers_counts(&filter).await?;
        let total = counts.iter().map(|c| c.total).sum();
        let records = self.store.dossiers_page(&filter).await?;
        let soon = self.soon_us(now).await?;
        let items = records
            .into_iter()
            .map(|record| {
                let (overdue, due_soon) = self.flags(&record, now, soon);
                WorkItem {
                    record,
                    overdue,
                    due_soon,
                }
            })
            .collect();
        Ok(Worklist {
            items,
            total,
            counts,
        })
    }

    /// "My dossiers": the signed-in applicant's own dossiers.
    pub async fn dossiers_mine(
        &self,
        ctx: &Ctx,
        q: &WorklistQuery,
    ) -> AppResult<Page<DossierRecord>> {
        if !matches!(ctx.actor, Actor::Citizen { .. }) {
            let me = ctx.actor.user_id().unwrap_or(UserId(uuid::Uuid::nil()));
            self.authorize(
                ctx,
                Action::ActAsApplicant,
                Target::Account {
                    user: me,
                    agency: None,
                },
            )?;
        }
        let w = self.dossiers_worklist(ctx, q).await?;
        Ok(Page {
            items: w.items.into_iter().map(|i| i.record).collect(),
            total: w.total,
        })
    }

    /// Looks a dossier up by its code and the applicant's ID number (or phone), without logging
    /// in. Every failure — malformed or unknown code, wrong ID number or phone — is the same
    /// `dossier.lookup_failed`, so the answer tells nothing about which codes exist; failures
    /// count against the caller's address like failed logins.
    pub async fn dossier_lookup(
        &self,
        ctx: &Ctx,
        code: &str,
        id_number: Option<&str>,
        phone: Option<&str>,
    ) -> AppResult<DossierView> {
        let id_number = id_number.map(str::trim).filter(|s| !s.is_empty());
        let phone = phone.map(str::trim).filter(|s| !s.is_empty());
        if id_number.is_none() && phone.is_none() {
            return Err(AppError::field(ErrorCode::Required, "id_number"));
        }
        let key = ctx.ip.as_ref().map(|ip| format!("lookup:{ip}"));
        let now = self.now_us();
        if let Some(k) = &key {
            let since = now - self.config.login_window_secs * 1_000_000;
            if self.store.login_failure_count(k, since).await?
                >= self.config.login_max_failures_address
            {
                return Err(AppError::new(ErrorCode::Throttled).with_detail("lookup"));
            }
        }
        let found = match DossierCode::parse(code) {
            Ok(c) => self.store.dossier_by_code(&c.to_string()).await?,
            Err(_) => None,
        };
        let matches = found.as_ref().is_some_and(|rec| {
            let expected = match id_number {
                Some(_) => rec.applicant.id_number.as_deref(),
                None => rec.applicant.phone.as_deref(),
            };
            let given = match (id_number, phone) {
                (Some(i), _) => digits_id_number(i),
                (None, Some(p)) => normalize_phone(p),
                (None, None) => None,
            };
            match (expected, given) {
                (Some(e), Some(g)) => constant_eq(e.as_bytes(), g.as_bytes()),
                _ => false,
            }
        });
        let Some(rec) = found.filter(|_| matches) else {
            if let Some(k) = key {
                self.store.login_failure_add(&[k], now).await?;
            }
            return Err(AppError::new(ErrorCode::DossierLookupFailed));
        };
        let (overdue, due_soon) = self.flags(&rec, now, self.soon_us(now).await?);
        let events = self.store.dossier_events(rec.id).await?;
        Ok(DossierView {
            record: rec,
            overdue,
            due_soon,
            events: Some(events),
        })
    }

    /// Biểu II.06a for an agency subtree and a period (local dates, both included), by field.
    /// For leaders, province viewers and administrators (`ViewDashboard`) and statistics
    /// officers (`EnterIndicators`) of the subtree.
    ///
    /// Computed from the dossiers' columns, which their events set (received, finished and
    /// closed instants, channel, timeliness), by one aggregate query; the split of the dossiers
    /// still open at the end of the period into within / overdue reads each one's last event
    /// before the end, and the whole history only when its clock was paused then. It equals
    /// [`App::report_ii06a_from_events`] (the rules of `cqdt_domain::dossier::report` over
    /// every event), which tests check on generated province data.
    pub async fn report_ii06a(
        &self,
        ctx: &Ctx,
        agency_id: AgencyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> AppResult<Ii06aReport> {
        let (prefix, period, from_us, end_us) = self.ii06a_scope(ctx, agency_id, from, to).await?;
        // The two reads are independent: run them at once (two connections of the pool, so
        // two cores); the aggregate is the longer one (docs/benchmarks.md, session 6).
        let (counts, open) = tokio::try_join!(
            self.store.dossier_ii06a_counts(&prefix, from_us, end_us),
            self.store.dossiers_open_at(&prefix, end_us)
        )?;
        let mut rows: BTreeMap<String, Ii06aRow> = BTreeMap::new();
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        for c in counts {
            let row = rows.entry(c.field).or_default();
            row.received_online = n(c.received_online);
            row.received_direct_or_post = n(c.received_other);
            row.carried_over = n(c.carried_over);
            row.received_total =
                row.received_online + row.received_direct_or_post + row.carried_over;
            row.resolved_early = n(c.resolved_early);
            row.resolved_on_time = n(c.resolved_on_time);
            row.resolved_late = n(c.resolved_late);
            row.resolved_total = row.resolved_early + row.resolved_on_time + row.resolved_late;
        }
        for o in open {
            let within = match o
                .last_event
                .as_ref()
                .and_then(|e| open_within_from_last(e, &period))
            {
                Some(w) => w,
                None => {
                    let events: Vec<DossierEvent> = self
                        .store
                        .dossier_events(o.dossier_id)
                        .await?
                        .into_iter()
                        .map(|(_, e)| e)
                        .collect();
                    open_within(&events, &period)
                }
            };
            let row = rows.entry(o.field).or_default();
            row.pending_total += 1;
            if within {
                row.pending_within += 1;
            } else {
                row.pending_overdue += 1;
            }
        }
        Ok(ii06a_from_rows(
            rows.iter().map(|(f, r)| (f.as_str(), *r)),
            &period,
        ))
    }

    /// Biểu II.06a computed the slow, obviously-right way: every event of every dossier of the
    /// period through the domain's rules. For checking [`App::report_ii06a`]; same access rule.
    pub async fn report_ii06a_from_events(
        &self,
        ctx: &Ctx,
        agency_id: AgencyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> AppResult<Ii06aReport> {
        let (prefix, period, from_us, end_us) = self.ii06a_scope(ctx, agency_id, from, to).await?;
        let histories = self
            .store
            .dossier_histories(&prefix, end_us, from_us)
            .await?;
        Ok(ii06a_by_field(
            histories
                .iter()
                .map(|h| (h.field.as_str(), h.events.as_slice())),
            &period,
        ))
    }

    /// Checks access and the period; the subtree's path prefix, the period and its bounds in
    /// microseconds (local midnight of `from`, local midnight after `to`).
    async fn ii06a_scope(
        &self,
        ctx: &Ctx,
        agency_id: AgencyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> AppResult<(String, ReportPeriod, i64, i64)> {
        let agency = self
            .store
            .agency_get(agency_id)
            .await?
            .ok_or_else(|| AppError::field(ErrorCode::AgencyNotFound, "agency"))?;
        self.authorize_any(
            ctx,
            &[
                (Action::ViewDashboard, Target::Agency(&agency.path)),
                (Action::EnterIndicators, Target::Agency(&agency.path)),
            ],
        )?;
        // Within the working calendar's range (and far from chrono's limits).
        if !(2000..=2199).contains(&from.year()) || !(2000..=2199).contains(&to.year()) {
            return Err(dossier_error(DossierError::InvalidPeriod));
        }
        let period = ReportPeriod::new(from, to).map_err(dossier_error)?;
        let midnight = |d: NaiveDate| local_us(d.and_time(chrono::NaiveTime::MIN));
        let after_to = to
            .succ_opt()
            .ok_or_else(|| dossier_error(DossierError::InvalidPeriod))?;
        Ok((
            path_string(&agency.path),
            period,
            midnight(from),
            midnight(after_to),
        ))
    }
}

/// The machine name of a command (`request_supplement`), for audit actions.
pub fn command_name(c: CommandName) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{c:?}"))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The result by post needs an address; online only where the procedure returns results
/// online (level 4).
fn check_return_method(
    method: Option<ReturnMethod>,
    applicant: &Applicant,
    online_result: bool,
) -> AppResult<()> {
    match method {
        Some(ReturnMethod::Post) if applicant.address.is_none() => {
            Err(AppError::field(ErrorCode::Required, "address"))
        }
        Some(ReturnMethod::Online) if !online_result => Err(AppError::field(
            ErrorCode::DossierReturnMethodNotAllowed,
            "return_method",
        )),
        _ => Ok(()),
    }
}

/// `dd/mm/yyyy HH:MM` of a local instant.
fn local_text(t: LocalDateTime) -> String {
    t.format("%d/%m/%Y %H:%M").to_string()
}

/// The notifications the new events cause (standards: acceptance, supplement request,
/// refusal, stop, result ready, apology), to the applicant's e-mail and phone. Keys name the
/// dossier, the event kind and its instant, so a retried transaction or delivery never sends
/// one twice. `ids` draws the outbox row ids, only for the rows written.
pub(crate) fn dossier_notices(
    rec: &DossierRecord,
    events: &[DossierEvent],
    ids: &dyn crate::ports::Ids,
    now_us: i64,
) -> AppResult<Vec<crate::store::NewOutbox>> {
    use crate::outbox::{Channel as Via, Notification, TOPIC_NOTIFY};
    use cqdt_domain::dossier::EventKind;
    let mut out = Vec::new();
    let a = &rec.applicant;
    let targets: Vec<(Via, &String)> = [
        a.email.as_ref().map(|e| (Via::Email, e)),
        a.phone.as_ref().map(|p| (Via::Sms, p)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if targets.is_empty() {
        return Ok(out);
    }
    for e in events {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        let template = match &e.kind {
            EventKind::Received { .. } => {
                if let Some(d) = e.appointment.or(e.due) {
                    vars.insert("appointment".into(), local_text(d));
                }
                "dossier_received"
            }
            EventKind::SupplementRequested { reasons, .. } => {
                vars.insert("reasons".into(), reasons.join("; "));
                "dossier_supplement"
            }
            EventKind::Refused { reasons } => {
                vars.insert("reasons".into(), reasons.join("; "));
                "dossier_refused"
            }
            EventKind::Rejected { reasons, .. } => {
                vars.insert("reasons".into(), reasons.join("; "));
                "dossier_stopped"
            }
            EventKind::ResultReady { .. } => "dossier_result_ready",
            EventKind::ApologyIssued {
                reason,
                new_appointment,
                ..
            } => {
                vars.insert("reason".into(), reason.clone());
                vars.insert("appointment".into(), local_text(*new_appointment));
                "dossier_apology"
            }
            _ => continue,
        };
        vars.insert("full_name".into(), a.name.clone());
        vars.insert("code".into(), rec.code.clone());
        vars.insert("procedure".into(), rec.dossier.terms().name.clone());
        let kind = template.trim_start_matches("dossier_");
        for (via, to) in &targets {
            let n = Notification {
                channel: *via,
                to: (*to).clone(),
                template: template.into(),
                locale: "vi".into(),
                vars: vars.clone(),
            };
            let via_name = match via {
                Via::Email => "email",
                Via::Sms => "sms",
            };
            out.push(crate::store::NewOutbox {
                id: ids.new_id().to_string(),
                idempotency_key: format!(
                    "dossier:{}:{kind}:{}:{via_name}",
                    rec.id,
                    e.at.timestamp_micros()
                ),
                topic: TOPIC_NOTIFY.to_string(),
                payload: serde_json::to_string(&n)
                    .map_err(|e| AppError::internal(e.to_string()))?,
                created_at_us: now_us,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_domain_error_maps_to_its_code() {
        for code in DossierError::CODES {
            assert!(ErrorCode::parse(code).is_some(), "{code}");
        }
        let e = dossier_error(DossierError::ReasonsRequired);
        assert_eq!(e.code, ErrorCode::DossierReasonsRequired);
    }

    #[test]
    fn command_names_are_snake_case() {
        assert_eq!(
            command_name(CommandName::RequestSupplement),
            "request_supplement"
        );
    }

    #[test]
    fn applicants_need_an_id_number_or_a_phone() {
        let a = Applicant {
            name: " Ngô Thị Dân ".into(),
            phone: Some("0912 345 678".into()),
            ..Applicant::default()
        };
        let a = clean_applicant(a, "applicant.").unwrap();
        assert_eq!(a.name, "Ngô Thị Dân");
        assert_eq!(a.phone.as_deref(), Some("0912345678"));
        let none = Applicant {
            name: "X".into(),
            ..Applicant::default()
        };
        let e = clean_applicant(none, "applicant.").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("applicant.id_number"));
        let bad = Applicant {
            name: "X".into(),
            id_number: Some("12345".into()),
            ..Applicant::default()
        };
        assert_eq!(
            clean_applicant(bad, "").unwrap_err().code,
            ErrorCode::InvalidIdNumber
        );
    }
}
