//! The dossier state machine: internal states, commands, events and the [`Dossier`] aggregate
//! that carries its deadline clock.
//!
//! # Flow
//!
//! ```text
//! Draft ─submit online / receive at desk / receive by post─▶ Submitted
//! Submitted ─accept─▶ Received (clock starts) │ ─request supplement─▶ SupplementRequested ─answer─▶ Submitted
//!           ─refuse─▶ Refused                 │
//! Received ─hand over─▶ Processing{k} / AwaitingApproval{k} (first processing step)
//! Processing{k} ─complete step─▶ next step … ─(last step)─▶ ResultReady (clock finishes)
//! AwaitingApproval{k} ─approve─▶ next step … or ResultReady │ ─reject─▶ Stopped
//! any step ─send back─▶ ReturnedToStep{j<k}   ─consult─▶ Consulting ─answered─▶ back
//! received, unfinished ─request supplement (once)─▶ SupplementRequested (clock paused) ─answer─▶ back
//! step ─financial obligation─▶ AwaitingFinancialObligation (clock paused) ─met─▶ back
//! ResultReady ─return (desk/post/online)─▶ Returned ─evaluate (once)─▶ Returned
//! before the result ─withdraw─▶ Withdrawn
//! ```
//!
//! Route steps are the procedure's [`RouteStep`]s: steps whose role is the one-stop officer are
//! desk steps and are skipped (reception and return are the desk's own commands); a step whose
//! role is a leader is an approval step. A route without processing steps gets one implicit
//! processing step (index = the route's length). See docs/dossiers.md.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::code::DossierCode;
use super::error::DossierError;
use super::status::{Channel, NationalStatus, ReturnMethod, StateName};
use crate::calendar::{
    CalendarError, DeadlineEngine, DeadlineOutcome, DossierClock, Extension, ExtensionTarget,
    LocalDateTime, PauseReason, Timeliness, WorkDuration, to_local,
};
use crate::ids::{AgencyId, UserId};
use crate::procedure::{ProcedureTerms, step_allotments};
use crate::text::{nfc, nfc_opt};

/// How long before its due date a dossier may get the apology slip: the due date must fall no
/// later than the end of the next working day after the apology (NĐ 61/2018 asks for the
/// apology at the latest one day before the deadline; the brief: "only when late").
pub const APOLOGY_WINDOW: WorkDuration = WorkDuration::Days(1);

// ---------------------------------------------------------------------------------------------
// States

/// Where a received dossier is in its processing, when nothing suspends it. Supplement
/// requests, consultations and financial obligations return to their stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// Received, not yet handed over.
    Received,
    /// At processing step `step` (index into the route).
    Processing {
        /// Route step.
        step: u16,
    },
    /// Sent back to step `step`.
    ReturnedToStep {
        /// Route step.
        step: u16,
    },
    /// At approval step `step`.
    AwaitingApproval {
        /// Route step.
        step: u16,
    },
}

impl Stage {
    /// The route step, if handed over.
    pub fn step(self) -> Option<u16> {
        match self {
            Stage::Received => None,
            Stage::Processing { step }
            | Stage::ReturnedToStep { step }
            | Stage::AwaitingApproval { step } => Some(step),
        }
    }
}

impl From<Stage> for DossierState {
    fn from(s: Stage) -> DossierState {
        match s {
            Stage::Received => DossierState::Received,
            Stage::Processing { step } => DossierState::Processing { step },
            Stage::ReturnedToStep { step } => DossierState::ReturnedToStep { step },
            Stage::AwaitingApproval { step } => DossierState::AwaitingApproval { step },
        }
    }
}

/// An open consultation of another agency (lấy ý kiến, liên thông): a sub-route with its own
/// clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    /// The agency consulted.
    pub agency: AgencyId,
    /// What is asked.
    pub question: String,
    /// Whether the dossier's own clock stops meanwhile.
    pub pauses_main_clock: bool,
    /// The sub-route's clock (allotted time from the request).
    pub clock: DossierClock,
}

/// The internal state of a dossier, with its data. [`DossierState::name`] gives the
/// [`StateName`], which maps onto the national status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DossierState {
    /// Being filled in.
    Draft,
    /// Awaiting the desk's check.
    Submitted,
    /// The one supplement request is open; `resume: None` at reception (no clock yet), else
    /// during processing with the clock paused.
    SupplementRequested {
        /// Where processing resumes when the applicant answers.
        resume: Option<Stage>,
    },
    /// Not received.
    Refused,
    /// Received, clock running.
    Received,
    /// At a processing step.
    Processing {
        /// Route step.
        step: u16,
    },
    /// Sent back to an earlier step.
    ReturnedToStep {
        /// Route step.
        step: u16,
    },
    /// Another agency is consulted.
    Consulting {
        /// Where processing resumes.
        resume: Stage,
        /// The consultation.
        consultation: Box<Consultation>,
    },
    /// At an approval step.
    AwaitingApproval {
        /// Route step.
        step: u16,
    },
    /// Waiting for the applicant's financial obligation; clock paused.
    AwaitingFinancialObligation {
        /// Where processing resumes.
        resume: Stage,
    },
    /// Processing finished; result at the desk.
    ResultReady,
    /// Result handed over.
    Returned {
        /// How.
        method: ReturnMethod,
    },
    /// Withdrawn at the applicant's request.
    Withdrawn,
    /// Processing stopped.
    Stopped,
}

impl DossierState {
    /// The state's name.
    pub fn name(&self) -> StateName {
        match self {
            DossierState::Draft => StateName::Draft,
            DossierState::Submitted => StateName::Submitted,
            DossierState::SupplementRequested { .. } => StateName::SupplementRequested,
            DossierState::Refused => StateName::Refused,
            DossierState::Received => StateName::Received,
            DossierState::Processing { .. } => StateName::Processing,
            DossierState::ReturnedToStep { .. } => StateName::ReturnedToStep,
            DossierState::Consulting { .. } => StateName::Consulting,
            DossierState::AwaitingApproval { .. } => StateName::AwaitingApproval,
            DossierState::AwaitingFinancialObligation { .. } => {
                StateName::AwaitingFinancialObligation
            }
            DossierState::ResultReady => StateName::ResultReady,
            DossierState::Returned { .. } => StateName::Returned,
            DossierState::Withdrawn => StateName::Withdrawn,
            DossierState::Stopped => StateName::Stopped,
        }
    }

    /// The national status (total mapping).
    pub fn national_status(&self) -> NationalStatus {
        self.name().national_status()
    }

    /// The stage, for states where processing is not suspended.
    pub fn stage(&self) -> Option<Stage> {
        match *self {
            DossierState::Received => Some(Stage::Received),
            DossierState::Processing { step } => Some(Stage::Processing { step }),
            DossierState::ReturnedToStep { step } => Some(Stage::ReturnedToStep { step }),
            DossierState::AwaitingApproval { step } => Some(Stage::AwaitingApproval { step }),
            _ => None,
        }
    }

    /// The route step the dossier is at or will resume at.
    pub fn step(&self) -> Option<u16> {
        match self {
            DossierState::SupplementRequested { resume: Some(s) }
            | DossierState::Consulting { resume: s, .. }
            | DossierState::AwaitingFinancialObligation { resume: s } => s.step(),
            other => other.stage().and_then(Stage::step),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Commands

/// Satisfaction in the citizen's survey (standards §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// Rất hài lòng.
    VerySatisfied,
    /// Hài lòng.
    Satisfied,
    /// Không hài lòng.
    Dissatisfied,
}

impl Satisfaction {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Satisfaction::VerySatisfied => "Rất hài lòng",
            Satisfaction::Satisfied => "Hài lòng",
            Satisfaction::Dissatisfied => "Không hài lòng",
        }
    }
}

/// A score of one of the nine indices of the evaluation (standards §1.6): index 1–9,
/// points 0–2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexScore {
    /// Index number, 1–9.
    pub index: u8,
    /// Points, 0–2.
    pub points: u8,
}

/// The applicant's evaluation of how the dossier was handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// Overall satisfaction.
    pub satisfaction: Satisfaction,
    /// Scores of the indices the applicant rated (optional, each index at most once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<IndexScore>,
    /// Free comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Evaluation {
    fn validated(mut self) -> Result<Evaluation, DossierError> {
        let bad = |reason: &str| DossierError::InvalidEvaluation {
            reason: reason.into(),
        };
        let mut seen = [false; 10];
        for s in &self.scores {
            if !(1..=9).contains(&s.index) {
                return Err(bad("index outside 1–9"));
            }
            if s.points > 2 {
                return Err(bad("points outside 0–2"));
            }
            if std::mem::replace(&mut seen[usize::from(s.index)], true) {
                return Err(bad("an index is scored twice"));
            }
        }
        self.comment = nfc_opt(self.comment.as_deref());
        if self
            .comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > 2000)
        {
            return Err(bad("comment longer than 2000 characters"));
        }
        Ok(self)
    }
}

/// What people (or systems) ask of a dossier. Each is applied at an instant by
/// [`Dossier::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// The applicant submits the draft online (channel 2). The code is drawn by the store for
    /// the submission's local date.
    SubmitOnline {
        /// The dossier code.
        code: DossierCode,
    },
    /// The desk registers a paper dossier brought in person (channel 1), for checking.
    ReceiveAtDesk {
        /// The dossier code.
        code: DossierCode,
    },
    /// The desk registers a paper dossier that arrived by post (channel 3), for checking.
    ReceiveByPost {
        /// The dossier code.
        code: DossierCode,
    },
    /// The desk accepts the dossier (tiếp nhận, form 01): the clock starts.
    Accept,
    /// The one supplement request (form 02), listing every reason.
    RequestSupplement {
        /// Every reason (at least one).
        reasons: Vec<String>,
    },
    /// The applicant supplied what was asked.
    AnswerSupplement {
        /// Note of what was supplied.
        #[serde(default)]
        note: Option<String>,
    },
    /// The desk refuses to receive the dossier (form 03).
    Refuse {
        /// Reasons (at least one).
        reasons: Vec<String>,
    },
    /// The desk hands the dossier over to the processing unit.
    HandOver,
    /// The current (non-approval) step is done; the dossier goes to the next step.
    CompleteStep {
        /// Note for the control slip.
        #[serde(default)]
        note: Option<String>,
    },
    /// Ask another agency (inter-agency sub-route with its own allotted time).
    Consult {
        /// The agency consulted.
        agency: AgencyId,
        /// What is asked.
        question: String,
        /// The consulted agency's allotted time.
        allotted: WorkDuration,
        /// Whether the dossier's clock stops meanwhile (the procedure says whether the
        /// consultation time counts in its legal time).
        pause_clock: bool,
    },
    /// The consulted agency answered.
    ConsultationAnswered {
        /// The answer, summarised.
        #[serde(default)]
        answer: Option<String>,
    },
    /// A leader approves at an approval step.
    Approve,
    /// Processing is stopped: the dossier is not eligible (written notice with reasons).
    Reject {
        /// Reasons (at least one).
        reasons: Vec<String>,
    },
    /// Send the dossier back to an earlier processing step.
    SendBack {
        /// Route step to go back to.
        to_step: u16,
        /// Why.
        reason: String,
    },
    /// The applicant must pay taxes or charges before processing goes on (status 6).
    RequestFinancialObligation {
        /// What is to be paid.
        description: String,
        /// Amount in VND, if known.
        #[serde(default)]
        amount_vnd: Option<u64>,
    },
    /// The financial obligation was met.
    FinancialObligationMet,
    /// The last step's unit sends the result to the desk (the last step is done).
    ResultReady,
    /// Hand the result over.
    ReturnResult {
        /// How.
        method: ReturnMethod,
    },
    /// The applicant withdraws the dossier.
    Withdraw {
        /// The applicant's reason, if given.
        #[serde(default)]
        reason: Option<String>,
    },
    /// The apology slip with a new appointment (form 04), once, for a late dossier.
    IssueApology {
        /// Reason for the delay.
        reason: String,
        /// The new appointment.
        new_appointment: ExtensionTarget,
    },
    /// The applicant rates the handling, once, after the result was returned.
    Evaluate {
        /// The evaluation.
        evaluation: Evaluation,
    },
}

/// The name of a command, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandName {
    /// [`Command::SubmitOnline`].
    SubmitOnline,
    /// [`Command::ReceiveAtDesk`].
    ReceiveAtDesk,
    /// [`Command::ReceiveByPost`].
    ReceiveByPost,
    /// [`Command::Accept`].
    Accept,
    /// [`Command::RequestSupplement`].
    RequestSupplement,
    /// [`Command::AnswerSupplement`].
    AnswerSupplement,
    /// [`Command::Refuse`].
    Refuse,
    /// [`Command::HandOver`].
    HandOver,
    /// [`Command::CompleteStep`].
    CompleteStep,
    /// [`Command::Consult`].
    Consult,
    /// [`Command::ConsultationAnswered`].
    ConsultationAnswered,
    /// [`Command::Approve`].
    Approve,
    /// [`Command::Reject`].
    Reject,
    /// [`Command::SendBack`].
    SendBack,
    /// [`Command::RequestFinancialObligation`].
    RequestFinancialObligation,
    /// [`Command::FinancialObligationMet`].
    FinancialObligationMet,
    /// [`Command::ResultReady`].
    ResultReady,
    /// [`Command::ReturnResult`].
    ReturnResult,
    /// [`Command::Withdraw`].
    Withdraw,
    /// [`Command::IssueApology`].
    IssueApology,
    /// [`Command::Evaluate`].
    Evaluate,
}

impl CommandName {
    /// Every command.
    pub const ALL: [CommandName; 21] = [
        CommandName::SubmitOnline,
        CommandName::ReceiveAtDesk,
        CommandName::ReceiveByPost,
        CommandName::Accept,
        CommandName::RequestSupplement,
        CommandName::AnswerSupplement,
        CommandName::Refuse,
        CommandName::HandOver,
        CommandName::CompleteStep,
        CommandName::Consult,
        CommandName::ConsultationAnswered,
        CommandName::Approve,
        CommandName::Reject,
        CommandName::SendBack,
        CommandName::RequestFinancialObligation,
        CommandName::FinancialObligationMet,
        CommandName::ResultReady,
        CommandName::ReturnResult,
        CommandName::Withdraw,
        CommandName::IssueApology,
        CommandName::Evaluate,
    ];

    /// Vietnamese label (for messages and the timeline).
    pub fn label_vi(self) -> &'static str {
        match self {
            CommandName::SubmitOnline => "Nộp hồ sơ trực tuyến",
            CommandName::ReceiveAtDesk => "Nhận hồ sơ trực tiếp",
            CommandName::ReceiveByPost => "Nhận hồ sơ qua bưu chính",
            CommandName::Accept => "Tiếp nhận hồ sơ",
            CommandName::RequestSupplement => "Yêu cầu bổ sung hồ sơ",
            CommandName::AnswerSupplement => "Bổ sung hồ sơ",
            CommandName::Refuse => "Từ chối tiếp nhận",
            CommandName::HandOver => "Chuyển xử lý",
            CommandName::CompleteStep => "Hoàn thành bước xử lý",
            CommandName::Consult => "Lấy ý kiến cơ quan khác",
            CommandName::ConsultationAnswered => "Nhận ý kiến cơ quan khác",
            CommandName::Approve => "Phê duyệt",
            CommandName::Reject => "Dừng xử lý",
            CommandName::SendBack => "Trả lại bước trước",
            CommandName::RequestFinancialObligation => "Yêu cầu thực hiện nghĩa vụ tài chính",
            CommandName::FinancialObligationMet => "Đã thực hiện nghĩa vụ tài chính",
            CommandName::ResultReady => "Chuyển kết quả",
            CommandName::ReturnResult => "Trả kết quả",
            CommandName::Withdraw => "Rút hồ sơ",
            CommandName::IssueApology => "Xin lỗi và hẹn lại ngày trả kết quả",
            CommandName::Evaluate => "Đánh giá",
        }
    }
}

impl Command {
    /// The command's name.
    pub fn name(&self) -> CommandName {
        match self {
            Command::SubmitOnline { .. } => CommandName::SubmitOnline,
            Command::ReceiveAtDesk { .. } => CommandName::ReceiveAtDesk,
            Command::ReceiveByPost { .. } => CommandName::ReceiveByPost,
            Command::Accept => CommandName::Accept,
            Command::RequestSupplement { .. } => CommandName::RequestSupplement,
            Command::AnswerSupplement { .. } => CommandName::AnswerSupplement,
            Command::Refuse { .. } => CommandName::Refuse,
            Command::HandOver => CommandName::HandOver,
            Command::CompleteStep { .. } => CommandName::CompleteStep,
            Command::Consult { .. } => CommandName::Consult,
            Command::ConsultationAnswered { .. } => CommandName::ConsultationAnswered,
            Command::Approve => CommandName::Approve,
            Command::Reject { .. } => CommandName::Reject,
            Command::SendBack { .. } => CommandName::SendBack,
            Command::RequestFinancialObligation { .. } => CommandName::RequestFinancialObligation,
            Command::FinancialObligationMet => CommandName::FinancialObligationMet,
            Command::ResultReady => CommandName::ResultReady,
            Command::ReturnResult { .. } => CommandName::ReturnResult,
            Command::Withdraw { .. } => CommandName::Withdraw,
            Command::IssueApology { .. } => CommandName::IssueApology,
            Command::Evaluate { .. } => CommandName::Evaluate,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Events

/// What happened. The envelope ([`DossierEvent`]) carries the instant, the actor, the state
/// and national status after the command and the clock's dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Entered the system with its code (submitted online, or registered at the desk / from
    /// the post).
    Submitted {
        /// Channel.
        channel: Channel,
        /// Dossier code.
        code: DossierCode,
    },
    /// Received (tiếp nhận): the clock started; `due` in the envelope is the appointment of
    /// form 01.
    Received {
        /// Channel.
        channel: Channel,
        /// Legal processing time.
        legal_time: WorkDuration,
    },
    /// The one supplement request.
    SupplementRequested {
        /// Every reason.
        reasons: Vec<String>,
        /// During processing (clock paused) rather than at reception.
        during_processing: bool,
    },
    /// The applicant supplemented the dossier.
    SupplementAnswered {
        /// Note.
        note: Option<String>,
    },
    /// Not received.
    Refused {
        /// Reasons.
        reasons: Vec<String>,
    },
    /// Handed over to the processing unit.
    HandedOver {
        /// First processing step.
        to_step: u16,
    },
    /// A step was completed.
    StepCompleted {
        /// The step.
        step: u16,
        /// The next step, if any (none: the result is ready).
        next_step: Option<u16>,
        /// Note.
        note: Option<String>,
    },
    /// Another agency was consulted.
    ConsultationRequested {
        /// Step the dossier was at.
        step: Option<u16>,
        /// Agency consulted.
        agency: AgencyId,
        /// Question.
        question: String,
        /// Allotted time.
        allotted: WorkDuration,
        /// Due instant of the consultation.
        due: LocalDateTime,
        /// Whether the dossier's clock stopped.
        pauses_main_clock: bool,
    },
    /// The consulted agency answered.
    ConsultationAnswered {
        /// Agency consulted.
        agency: AgencyId,
        /// Answer.
        answer: Option<String>,
        /// Timeliness of the consulted agency against its allotted time.
        timeliness: Timeliness,
    },
    /// Approved at an approval step.
    Approved {
        /// The step.
        step: u16,
        /// The next step, if any (none: the result is ready).
        next_step: Option<u16>,
    },
    /// Processing stopped (not eligible).
    Rejected {
        /// Step the dossier was at.
        step: Option<u16>,
        /// Reasons.
        reasons: Vec<String>,
        /// Timeliness of the end of processing.
        timeliness: Timeliness,
    },
    /// Sent back to an earlier step.
    SentBack {
        /// Step it was at.
        from_step: u16,
        /// Step it went back to.
        to_step: u16,
        /// Why.
        reason: String,
    },
    /// Financial obligation requested (clock paused).
    FinancialObligationRequested {
        /// What is to be paid.
        description: String,
        /// Amount in VND, if known.
        amount_vnd: Option<u64>,
    },
    /// Financial obligation met (clock resumed).
    FinancialObligationMet,
    /// Processing finished (Đã xử lý xong, NgayKetThucXuLy = the event's instant).
    ResultReady {
        /// Early / on time / late against the due date.
        timeliness: Timeliness,
    },
    /// The result was handed over.
    ResultReturned {
        /// How.
        method: ReturnMethod,
    },
    /// Withdrawn at the applicant's request.
    Withdrawn {
        /// The applicant's reason.
        reason: Option<String>,
    },
    /// Apology slip with a new appointment (form 04).
    ApologyIssued {
        /// Reason for the delay.
        reason: String,
        /// Due instant before the apology.
        previous_due: LocalDateTime,
        /// New appointment.
        new_appointment: LocalDateTime,
    },
    /// The applicant's evaluation.
    Evaluated {
        /// The evaluation.
        evaluation: Evaluation,
    },
}

/// One event of a dossier's history, as stored (timeline, control slip, outbox, reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierEvent {
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Who acted (none for the system or an anonymous applicant).
    pub actor: Option<UserId>,
    /// Internal state after the command.
    pub state: StateName,
    /// National status after the command.
    pub status: NationalStatus,
    /// Due instant (NgayHenTra, local time, with pauses, without the extension) after the
    /// command; `None` before receipt and while a pause that began before the due instant is
    /// open (a pause that starts after it does not move it).
    pub due: Option<LocalDateTime>,
    /// Appointment after the apology's extension (= `due` without one).
    pub appointment: Option<LocalDateTime>,
    /// Whether the clock is paused after the command.
    pub clock_paused: bool,
    /// What happened.
    pub kind: EventKind,
}

// ---------------------------------------------------------------------------------------------
// The aggregate

/// The one supplement request of a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementRecord {
    /// When requested.
    pub requested_at: DateTime<Utc>,
    /// Every reason.
    pub reasons: Vec<String>,
    /// During processing (clock paused) rather than at reception.
    pub during_processing: bool,
    /// When answered.
    pub answered_at: Option<DateTime<Utc>>,
}

/// The one apology slip of a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApologyRecord {
    /// When issued.
    pub issued_at: DateTime<Utc>,
    /// Reason for the delay.
    pub reason: String,
    /// Due instant before the apology.
    pub previous_due: LocalDateTime,
    /// New appointment.
    pub new_appointment: LocalDateTime,
}

/// A dossier: its state, the terms of the procedure version it was submitted under, and its
/// deadline clock. Serialisable (the store keeps it beside its events).
///
/// Every change goes through [`Dossier::apply`], which is all-or-nothing: on error the dossier
/// is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dossier {
    terms: ProcedureTerms,
    state: DossierState,
    channel: Option<Channel>,
    code: Option<DossierCode>,
    submitted_at: Option<DateTime<Utc>>,
    received_at: Option<DateTime<Utc>>,
    clock: Option<DossierClock>,
    supplement: Option<SupplementRecord>,
    apology: Option<ApologyRecord>,
    finished_at: Option<DateTime<Utc>>,
    timeliness: Option<Timeliness>,
    returned_at: Option<DateTime<Utc>>,
    evaluation: Option<Evaluation>,
    last_at: Option<DateTime<Utc>>,
}

impl Dossier {
    /// A new draft under the given procedure terms.
    pub fn new(terms: ProcedureTerms) -> Dossier {
        Dossier {
            terms,
            state: DossierState::Draft,
            channel: None,
            code: None,
            submitted_at: None,
            received_at: None,
            clock: None,
            supplement: None,
            apology: None,
            finished_at: None,
            timeliness: None,
            returned_at: None,
            evaluation: None,
            last_at: None,
        }
    }

    /// The procedure terms.
    pub fn terms(&self) -> &ProcedureTerms {
        &self.terms
    }
    /// The internal state.
    pub fn state(&self) -> &DossierState {
        &self.state
    }
    /// The national status.
    pub fn national_status(&self) -> NationalStatus {
        self.state.national_status()
    }
    /// The channel, once submitted.
    pub fn channel(&self) -> Option<Channel> {
        self.channel
    }
    /// The dossier code, once submitted.
    pub fn code(&self) -> Option<&DossierCode> {
        self.code.as_ref()
    }
    /// When it entered the system.
    pub fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.submitted_at
    }
    /// When it was received (NgayTiepNhan).
    pub fn received_at(&self) -> Option<DateTime<Utc>> {
        self.received_at
    }
    /// The deadline clock, once received.
    pub fn clock(&self) -> Option<&DossierClock> {
        self.clock.as_ref()
    }
    /// Whether the clock is stopped.
    pub fn is_clock_paused(&self) -> bool {
        self.clock.as_ref().is_some_and(DossierClock::is_paused)
    }
    /// The supplement request, if one was made.
    pub fn supplement(&self) -> Option<&SupplementRecord> {
        self.supplement.as_ref()
    }
    /// The apology, if one was issued.
    pub fn apology(&self) -> Option<&ApologyRecord> {
        self.apology.as_ref()
    }
    /// When processing finished (NgayKetThucXuLy: result ready, or stopped).
    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.finished_at
    }
    /// Early / on time / late, computed when processing finishes.
    pub fn timeliness(&self) -> Option<Timeliness> {
        self.timeliness
    }
    /// When the result was handed over.
    pub fn returned_at(&self) -> Option<DateTime<Utc>> {
        self.returned_at
    }
    /// The applicant's evaluation.
    pub fn evaluation(&self) -> Option<&Evaluation> {
        self.evaluation.as_ref()
    }
    /// Instant of the last applied command.
    pub fn last_at(&self) -> Option<DateTime<Utc>> {
        self.last_at
    }

    /// Every date of the clock (due, appointment, per-step due dates…), once received.
    pub fn deadlines(
        &self,
        engine: &DeadlineEngine<'_>,
    ) -> Result<Option<DeadlineOutcome>, DossierError> {
        Ok(self
            .clock
            .as_ref()
            .map(|c| c.evaluate(engine))
            .transpose()?)
    }

    /// Indices of the processing (non-desk) steps; one implicit step when the route has none.
    pub fn processing_steps(&self) -> Vec<u16> {
        let steps: Vec<u16> = self
            .terms
            .route
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_desk())
            .map(|(i, _)| step_index(i))
            .collect();
        if steps.is_empty() {
            vec![step_index(self.terms.route.len())]
        } else {
            steps
        }
    }

    fn is_approval_step(&self, k: u16) -> bool {
        self.terms
            .route
            .get(usize::from(k))
            .is_some_and(|s| s.is_approval())
    }

    fn stage_at(&self, k: u16) -> Stage {
        if self.is_approval_step(k) {
            Stage::AwaitingApproval { step: k }
        } else {
            Stage::Processing { step: k }
        }
    }

    fn next_step(&self, k: u16) -> Option<u16> {
        self.processing_steps().into_iter().find(|&j| j > k)
    }

    /// Applies `command` at the UTC instant `at` on behalf of `actor`: checks it against the
    /// state, updates the dossier and its clock (evaluated with `engine`) and returns the
    /// events. All or nothing: on error the dossier is unchanged.
    pub fn apply(
        &mut self,
        at: DateTime<Utc>,
        actor: Option<UserId>,
        command: Command,
        engine: &DeadlineEngine<'_>,
    ) -> Result<Vec<DossierEvent>, DossierError> {
        if self.last_at.is_some_and(|last| at < last) {
            return Err(DossierError::TimeWentBackwards);
        }
        let mut next = self.clone();
        let kinds = next.decide(at, command, engine)?;
        let (due, appointment, clock_paused) = match &next.clock {
            Some(clock) => {
                let out = clock.evaluate(engine)?;
                (out.due, out.appointment, out.paused_since.is_some())
            }
            None => (None, None, false),
        };
        next.last_at = Some(at);
        let state = next.state.name();
        let events = kinds
            .into_iter()
            .map(|kind| DossierEvent {
                at,
                actor,
                state,
                status: state.national_status(),
                due,
                appointment,
                clock_paused,
                kind,
            })
            .collect();
        *self = next;
        Ok(events)
    }

    fn decide(
        &mut self,
        at: DateTime<Utc>,
        command: Command,
        engine: &DeadlineEngine<'_>,
    ) -> Result<Vec<EventKind>, DossierError> {
        let local = to_local(at);
        let state = self.state.clone();
        let illegal = DossierError::IllegalTransition {
            state: state.name(),
            command: command.name(),
        };
        match command {
            Command::SubmitOnline { code } => {
                if state != DossierState::Draft {
                    return Err(illegal);
                }
                if !self.terms.level.allows_online_submission() {
                    return Err(DossierError::OnlineNotAllowed);
                }
                self.intake(at, Channel::Online, code)
            }
            Command::ReceiveAtDesk { code } => {
                if state != DossierState::Draft {
                    return Err(illegal);
                }
                self.intake(at, Channel::Direct, code)
            }
            Command::ReceiveByPost { code } => {
                if state != DossierState::Draft {
                    return Err(illegal);
                }
                self.intake(at, Channel::Post, code)
            }
            Command::Accept => {
                let (DossierState::Submitted, Some(channel)) = (&state, self.channel) else {
                    return Err(illegal);
                };
                let mut clock = DossierClock::start(local, self.terms.legal_time);
                if !self.terms.route.is_empty() {
                    clock = clock.with_steps(step_allotments(&self.terms.route));
                }
                clock.evaluate(engine)?;
                self.clock = Some(clock);
                self.received_at = Some(at);
                self.state = DossierState::Received;
                Ok(vec![EventKind::Received {
                    channel,
                    legal_time: self.terms.legal_time,
                }])
            }
            Command::RequestSupplement { reasons } => {
                let resume = match &state {
                    DossierState::Submitted => None,
                    other => Some(other.stage().ok_or(illegal)?),
                };
                if self.supplement.is_some() {
                    return Err(DossierError::SupplementAlreadyRequested);
                }
                let reasons = clean_reasons(reasons)?;
                if resume.is_some() {
                    self.main_clock()?.pause(local, PauseReason::Supplement)?;
                }
                self.supplement = Some(SupplementRecord {
                    requested_at: at,
                    reasons: reasons.clone(),
                    during_processing: resume.is_some(),
                    answered_at: None,
                });
                self.state = DossierState::SupplementRequested { resume };
                Ok(vec![EventKind::SupplementRequested {
                    reasons,
                    during_processing: resume.is_some(),
                }])
            }
            Command::AnswerSupplement { note } => {
                let DossierState::SupplementRequested { resume } = state else {
                    return Err(illegal);
                };
                self.state = match resume {
                    None => DossierState::Submitted,
                    Some(stage) => {
                        self.main_clock()?.resume(local)?;
                        stage.into()
                    }
                };
                if let Some(s) = self.supplement.as_mut() {
                    s.answered_at = Some(at);
                }
                Ok(vec![EventKind::SupplementAnswered {
                    note: nfc_opt(note.as_deref()),
                }])
            }
            Command::Refuse { reasons } => {
                if !matches!(
                    state,
                    DossierState::Submitted | DossierState::SupplementRequested { resume: None }
                ) {
                    return Err(illegal);
                }
                let reasons = clean_reasons(reasons)?;
                self.state = DossierState::Refused;
                Ok(vec![EventKind::Refused { reasons }])
            }
            Command::HandOver => {
                if state != DossierState::Received {
                    return Err(illegal);
                }
                let first = self.processing_steps().first().copied().unwrap_or(0);
                self.state = self.stage_at(first).into();
                Ok(vec![EventKind::HandedOver { to_step: first }])
            }
            Command::CompleteStep { note } => {
                let step = match state {
                    DossierState::Processing { step } | DossierState::ReturnedToStep { step }
                        if !self.is_approval_step(step) =>
                    {
                        step
                    }
                    _ => return Err(illegal),
                };
                let next_step = self.next_step(step);
                let mut events = vec![EventKind::StepCompleted {
                    step,
                    next_step,
                    note: nfc_opt(note.as_deref()),
                }];
                events.extend(self.advance(step, at, engine)?);
                Ok(events)
            }
            Command::ResultReady => {
                let step = match state {
                    DossierState::Processing { step } | DossierState::ReturnedToStep { step }
                        if !self.is_approval_step(step) =>
                    {
                        step
                    }
                    _ => return Err(illegal),
                };
                if self.next_step(step).is_some() {
                    return Err(DossierError::StepsRemaining);
                }
                Ok(self.advance(step, at, engine)?.into_iter().collect())
            }
            Command::Approve => {
                let step = match state {
                    DossierState::AwaitingApproval { step } => step,
                    DossierState::ReturnedToStep { step } if self.is_approval_step(step) => step,
                    _ => return Err(illegal),
                };
                let next_step = self.next_step(step);
                let mut events = vec![EventKind::Approved { step, next_step }];
                events.extend(self.advance(step, at, engine)?);
                Ok(events)
            }
            Command::Reject { reasons } => {
                let step = match &state {
                    DossierState::Processing { step }
                    | DossierState::ReturnedToStep { step }
                    | DossierState::AwaitingApproval { step } => Some(*step),
                    DossierState::SupplementRequested { resume: Some(s) } => s.step(),
                    _ => return Err(illegal),
                };
                let reasons = clean_reasons(reasons)?;
                let timeliness = self.finish(at, engine)?;
                self.state = DossierState::Stopped;
                Ok(vec![EventKind::Rejected {
                    step,
                    reasons,
                    timeliness,
                }])
            }
            Command::SendBack { to_step, reason } => {
                let from_step = match state {
                    DossierState::Processing { step }
                    | DossierState::ReturnedToStep { step }
                    | DossierState::AwaitingApproval { step } => step,
                    _ => return Err(illegal),
                };
                let reason = nfc(&reason);
                if reason.is_empty() {
                    return Err(DossierError::ReasonsRequired);
                }
                if to_step >= from_step || !self.processing_steps().contains(&to_step) {
                    return Err(DossierError::InvalidStep { step: to_step });
                }
                self.state = DossierState::ReturnedToStep { step: to_step };
                Ok(vec![EventKind::SentBack {
                    from_step,
                    to_step,
                    reason,
                }])
            }
            Command::Consult {
                agency,
                question,
                allotted,
                pause_clock,
            } => {
                let resume = match state {
                    DossierState::Processing { step } => Stage::Processing { step },
                    DossierState::ReturnedToStep { step } if !self.is_approval_step(step) => {
                        Stage::ReturnedToStep { step }
                    }
                    _ => return Err(illegal),
                };
                let question = nfc(&question);
                if question.is_empty() {
                    return Err(DossierError::TextRequired { field: "question" });
                }
                let sub = DossierClock::start(local, allotted);
                let due = sub.evaluate(engine)?.due.ok_or(DossierError::ClockPaused)?;
                if pause_clock {
                    self.main_clock()?.pause(local, PauseReason::Consultation)?;
                }
                self.state = DossierState::Consulting {
                    resume,
                    consultation: Box::new(Consultation {
                        agency,
                        question: question.clone(),
                        pauses_main_clock: pause_clock,
                        clock: sub,
                    }),
                };
                Ok(vec![EventKind::ConsultationRequested {
                    step: resume.step(),
                    agency,
                    question,
                    allotted,
                    due,
                    pauses_main_clock: pause_clock,
                }])
            }
            Command::ConsultationAnswered { answer } => {
                let DossierState::Consulting {
                    resume,
                    mut consultation,
                } = state
                else {
                    return Err(illegal);
                };
                consultation.clock.finish(local)?;
                let timeliness = finished_timeliness(&consultation.clock, engine)?;
                if consultation.pauses_main_clock {
                    self.main_clock()?.resume(local)?;
                }
                self.state = resume.into();
                Ok(vec![EventKind::ConsultationAnswered {
                    agency: consultation.agency,
                    answer: nfc_opt(answer.as_deref()),
                    timeliness,
                }])
            }
            Command::RequestFinancialObligation {
                description,
                amount_vnd,
            } => {
                let resume = match state.stage() {
                    Some(s) if s != Stage::Received => s,
                    _ => return Err(illegal),
                };
                let description = nfc(&description);
                if description.is_empty() {
                    return Err(DossierError::TextRequired {
                        field: "description",
                    });
                }
                self.main_clock()?.pause(local, PauseReason::Other)?;
                self.state = DossierState::AwaitingFinancialObligation { resume };
                Ok(vec![EventKind::FinancialObligationRequested {
                    description,
                    amount_vnd,
                }])
            }
            Command::FinancialObligationMet => {
                let DossierState::AwaitingFinancialObligation { resume } = state else {
                    return Err(illegal);
                };
                self.main_clock()?.resume(local)?;
                self.state = resume.into();
                Ok(vec![EventKind::FinancialObligationMet])
            }
            Command::ReturnResult { method } => {
                if state != DossierState::ResultReady {
                    return Err(illegal);
                }
                if method == ReturnMethod::Online && !self.terms.level.allows_online_result() {
                    return Err(DossierError::ReturnMethodNotAllowed { method });
                }
                self.returned_at = Some(at);
                self.state = DossierState::Returned { method };
                Ok(vec![EventKind::ResultReturned { method }])
            }
            Command::Withdraw { reason } => {
                let allowed = matches!(state, DossierState::Submitted) || state.name().is_open();
                if !allowed {
                    return Err(illegal);
                }
                if self.is_clock_paused() {
                    self.main_clock()?.resume(local)?;
                }
                self.state = DossierState::Withdrawn;
                Ok(vec![EventKind::Withdrawn {
                    reason: nfc_opt(reason.as_deref()),
                }])
            }
            Command::IssueApology {
                reason,
                new_appointment,
            } => {
                let received_unfinished = match &state {
                    DossierState::SupplementRequested { resume } => resume.is_some(),
                    other => other.name().is_open(),
                };
                if !received_unfinished {
                    return Err(illegal);
                }
                if self.apology.is_some() {
                    return Err(DossierError::ApologyAlreadyIssued);
                }
                if self.is_clock_paused() {
                    return Err(DossierError::ClockPaused);
                }
                let reason = nfc(&reason);
                if reason.is_empty() {
                    return Err(DossierError::ReasonsRequired);
                }
                let clock = self.main_clock()?;
                let due = clock
                    .evaluate(engine)?
                    .due
                    .ok_or(DossierError::ClockPaused)?;
                if due > engine.due(local, APOLOGY_WINDOW)? {
                    return Err(DossierError::NotLate { due });
                }
                let invalid = |source: CalendarError| DossierError::InvalidAppointment { source };
                clock
                    .extend(Extension {
                        requested_at: local,
                        target: new_appointment,
                        reason: Some(reason.clone()),
                    })
                    .map_err(invalid)?;
                let new_appointment = clock
                    .evaluate(engine)
                    .map_err(invalid)?
                    .appointment
                    .ok_or(DossierError::ClockPaused)?;
                self.apology = Some(ApologyRecord {
                    issued_at: at,
                    reason: reason.clone(),
                    previous_due: due,
                    new_appointment,
                });
                Ok(vec![EventKind::ApologyIssued {
                    reason,
                    previous_due: due,
                    new_appointment,
                }])
            }
            Command::Evaluate { evaluation } => {
                if !matches!(state, DossierState::Returned { .. }) {
                    return Err(illegal);
                }
                if self.evaluation.is_some() {
                    return Err(DossierError::AlreadyEvaluated);
                }
                let evaluation = evaluation.validated()?;
                self.evaluation = Some(evaluation.clone());
                Ok(vec![EventKind::Evaluated { evaluation }])
            }
        }
    }

    fn intake(
        &mut self,
        at: DateTime<Utc>,
        channel: Channel,
        code: DossierCode,
    ) -> Result<Vec<EventKind>, DossierError> {
        let receipt_date = DossierCode::local_date(at);
        if code.date() != receipt_date {
            return Err(DossierError::CodeDateMismatch {
                code_date: code.date(),
                receipt_date,
            });
        }
        self.channel = Some(channel);
        self.code = Some(code.clone());
        self.submitted_at = Some(at);
        self.state = DossierState::Submitted;
        Ok(vec![EventKind::Submitted { channel, code }])
    }

    /// Moves on from step `k`: to the next processing step, or, after the last one, to
    /// "result ready" (processing finishes and its timeliness is computed).
    fn advance(
        &mut self,
        k: u16,
        at: DateTime<Utc>,
        engine: &DeadlineEngine<'_>,
    ) -> Result<Option<EventKind>, DossierError> {
        match self.next_step(k) {
            Some(j) => {
                self.state = self.stage_at(j).into();
                Ok(None)
            }
            None => {
                let timeliness = self.finish(at, engine)?;
                self.state = DossierState::ResultReady;
                Ok(Some(EventKind::ResultReady { timeliness }))
            }
        }
    }

    /// Ends processing at `at` (resuming a paused clock first) and computes its timeliness.
    fn finish(
        &mut self,
        at: DateTime<Utc>,
        engine: &DeadlineEngine<'_>,
    ) -> Result<Timeliness, DossierError> {
        let local = to_local(at);
        let clock = self.main_clock()?;
        if clock.is_paused() {
            clock.resume(local)?;
        }
        clock.finish(local)?;
        let timeliness = finished_timeliness(clock, engine)?;
        self.finished_at = Some(at);
        self.timeliness = Some(timeliness);
        Ok(timeliness)
    }

    fn main_clock(&mut self) -> Result<&mut DossierClock, DossierError> {
        let state = self.state.name();
        self.clock.as_mut().ok_or(DossierError::Deadline {
            source: CalendarError::InvalidPause {
                reason: format!("no clock in state {}", state.as_str()),
            },
        })
    }
}

fn finished_timeliness(
    clock: &DossierClock,
    engine: &DeadlineEngine<'_>,
) -> Result<Timeliness, DossierError> {
    clock
        .evaluate(engine)?
        .timeliness
        .ok_or(DossierError::Deadline {
            source: CalendarError::InvalidPause {
                reason: "the clock is not finished".into(),
            },
        })
}

fn clean_reasons(reasons: Vec<String>) -> Result<Vec<String>, DossierError> {
    let reasons: Vec<String> = reasons
        .iter()
        .map(|r| nfc(r))
        .filter(|r| !r.is_empty())
        .collect();
    if reasons.is_empty() {
        Err(DossierError::ReasonsRequired)
    } else {
        Ok(reasons)
    }
}

fn step_index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}
