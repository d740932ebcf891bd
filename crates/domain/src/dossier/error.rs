//! Errors of the dossier state machine, code and report, each with a stable machine code.

use chrono::NaiveDate;
use thiserror::Error;

use super::state::CommandName;
use super::status::{ReturnMethod, StateName};
use crate::calendar::{CalendarError, LocalDateTime};

/// Everything the dossier domain refuses.
///
/// [`DossierError::code`] is a stable machine code (`dossier.…`, listed in
/// [`DossierError::CODES`]) for API problem bodies; [`DossierError::message_vi`] a Vietnamese
/// sentence for pages. The lead maps these onto `ErrorCode` entries with catalogue messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DossierError {
    /// The command is not allowed in the dossier's current state.
    #[error("{command:?} is not allowed in state {state:?}")]
    IllegalTransition {
        /// Current state.
        state: StateName,
        /// The refused command.
        command: CommandName,
    },
    /// A second supplement request (the one request must list every reason).
    #[error("a supplement has already been requested for this dossier")]
    SupplementAlreadyRequested,
    /// A second apology and new appointment.
    #[error("the apology and new appointment have already been issued")]
    ApologyAlreadyIssued,
    /// An apology for a dossier that is not late (its due date is after the next working day).
    #[error("the dossier is not late: due {due}")]
    NotLate {
        /// The current due instant (local time).
        due: LocalDateTime,
    },
    /// The command needs the clock running (an apology while a pause is open).
    #[error("the dossier's clock is paused")]
    ClockPaused,
    /// A request, refusal or rejection without any reason.
    #[error("at least one reason is required")]
    ReasonsRequired,
    /// A required text (consultation question, obligation description…) is empty.
    #[error("{field} is required")]
    TextRequired {
        /// Which field.
        field: &'static str,
    },
    /// A route step that does not exist or is not an earlier processing step.
    #[error("step {step} is not a valid target")]
    InvalidStep {
        /// The offending step index.
        step: u16,
    },
    /// "Result ready" while later route steps remain.
    #[error("later route steps remain")]
    StepsRemaining,
    /// Online submission of a procedure that is not offered online.
    #[error("this procedure is not offered online")]
    OnlineNotAllowed,
    /// A return method the procedure does not allow (online return needs a fully online
    /// procedure).
    #[error("return method {method:?} is not allowed for this procedure")]
    ReturnMethodNotAllowed {
        /// The refused method.
        method: ReturnMethod,
    },
    /// A second evaluation.
    #[error("the dossier has already been evaluated")]
    AlreadyEvaluated,
    /// An evaluation with out-of-range scores.
    #[error("invalid evaluation: {reason}")]
    InvalidEvaluation {
        /// What is wrong.
        reason: String,
    },
    /// A command dated before the dossier's last event.
    #[error("a command cannot be dated before the previous one")]
    TimeWentBackwards,
    /// A dossier code whose date is not the receipt date (Asia/Ho_Chi_Minh) of the command.
    #[error("code date {code_date} is not the receipt date {receipt_date}")]
    CodeDateMismatch {
        /// Date in the code.
        code_date: NaiveDate,
        /// Local date of the receipt.
        receipt_date: NaiveDate,
    },
    /// A text that is not a dossier code `{agency identifier}-{yyMMdd}-{NNNN}`.
    #[error("invalid dossier code {value:?}")]
    InvalidCode {
        /// The offending text.
        value: String,
    },
    /// A daily counter outside 1..=999999.
    #[error("dossier counter {sequence} is out of range")]
    SequenceOutOfRange {
        /// The offending counter.
        sequence: u32,
    },
    /// A new appointment the deadline engine refuses (not after the due date, not a working
    /// day…).
    #[error("invalid new appointment: {source}")]
    InvalidAppointment {
        /// The engine's error.
        source: CalendarError,
    },
    /// The deadline engine failed (instant outside the calendar, route allotments that do not
    /// add up…).
    #[error("deadline computation failed: {source}")]
    Deadline {
        /// The engine's error.
        source: CalendarError,
    },
    /// A report period that ends before it starts.
    #[error("the report period ends before it starts")]
    InvalidPeriod,
}

impl From<CalendarError> for DossierError {
    fn from(source: CalendarError) -> Self {
        DossierError::Deadline { source }
    }
}

impl DossierError {
    /// Every machine code.
    pub const CODES: &'static [&'static str] = &[
        "dossier.illegal_transition",
        "dossier.supplement_already_requested",
        "dossier.apology_already_issued",
        "dossier.apology_not_late",
        "dossier.clock_paused",
        "dossier.reasons_required",
        "dossier.text_required",
        "dossier.invalid_step",
        "dossier.steps_remaining",
        "dossier.online_not_allowed",
        "dossier.return_method_not_allowed",
        "dossier.already_evaluated",
        "dossier.invalid_evaluation",
        "dossier.time_went_backwards",
        "dossier.code_date_mismatch",
        "dossier.invalid_code",
        "dossier.code_sequence_out_of_range",
        "dossier.invalid_appointment",
        "dossier.deadline",
        "dossier.invalid_report_period",
    ];

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            DossierError::IllegalTransition { .. } => "dossier.illegal_transition",
            DossierError::SupplementAlreadyRequested => "dossier.supplement_already_requested",
            DossierError::ApologyAlreadyIssued => "dossier.apology_already_issued",
            DossierError::NotLate { .. } => "dossier.apology_not_late",
            DossierError::ClockPaused => "dossier.clock_paused",
            DossierError::ReasonsRequired => "dossier.reasons_required",
            DossierError::TextRequired { .. } => "dossier.text_required",
            DossierError::InvalidStep { .. } => "dossier.invalid_step",
            DossierError::StepsRemaining => "dossier.steps_remaining",
            DossierError::OnlineNotAllowed => "dossier.online_not_allowed",
            DossierError::ReturnMethodNotAllowed { .. } => "dossier.return_method_not_allowed",
            DossierError::AlreadyEvaluated => "dossier.already_evaluated",
            DossierError::InvalidEvaluation { .. } => "dossier.invalid_evaluation",
            DossierError::TimeWentBackwards => "dossier.time_went_backwards",
            DossierError::CodeDateMismatch { .. } => "dossier.code_date_mismatch",
            DossierError::InvalidCode { .. } => "dossier.invalid_code",
            DossierError::SequenceOutOfRange { .. } => "dossier.code_sequence_out_of_range",
            DossierError::InvalidAppointment { .. } => "dossier.invalid_appointment",
            DossierError::Deadline { .. } => "dossier.deadline",
            DossierError::InvalidPeriod => "dossier.invalid_report_period",
        }
    }

    /// The calendar's own code, for the two errors that wrap one.
    pub fn calendar_code(&self) -> Option<&'static str> {
        match self {
            DossierError::InvalidAppointment { source } | DossierError::Deadline { source } => {
                Some(source.code())
            }
            _ => None,
        }
    }

    /// A Vietnamese sentence for people.
    pub fn message_vi(&self) -> String {
        match self {
            DossierError::IllegalTransition { state, command } => format!(
                "Không thể thực hiện thao tác «{}» khi hồ sơ ở trạng thái «{}».",
                command.label_vi(),
                state.label_vi()
            ),
            DossierError::SupplementAlreadyRequested => "Hồ sơ đã được yêu cầu bổ sung một lần; \
                 chỉ được yêu cầu bổ sung một lần và phải nêu đầy đủ lý do."
                .into(),
            DossierError::ApologyAlreadyIssued => {
                "Hồ sơ đã có phiếu xin lỗi và hẹn lại; chỉ được hẹn lại một lần.".into()
            }
            DossierError::NotLate { due } => format!(
                "Hồ sơ chưa trễ hạn (hạn giải quyết {}); chỉ lập phiếu xin lỗi khi hồ sơ quá hạn \
                 hoặc đến hạn trong ngày làm việc tiếp theo.",
                due.format("%H:%M %d/%m/%Y")
            ),
            DossierError::ClockPaused => {
                "Thời hạn giải quyết đang tạm dừng; không thể thực hiện thao tác này.".into()
            }
            DossierError::ReasonsRequired => "Cần nêu ít nhất một lý do.".into(),
            DossierError::TextRequired { .. } => "Cần nhập nội dung.".into(),
            DossierError::InvalidStep { step } => {
                format!(
                    "Bước {} không phải là bước xử lý trước đó của quy trình.",
                    step + 1
                )
            }
            DossierError::StepsRemaining => {
                "Quy trình còn bước xử lý sau bước hiện tại; chưa thể chuyển kết quả.".into()
            }
            DossierError::OnlineNotAllowed => {
                "Thủ tục này không được cung cấp dưới hình thức dịch vụ công trực tuyến.".into()
            }
            DossierError::ReturnMethodNotAllowed { method } => format!(
                "Thủ tục này không cho phép hình thức «{}».",
                method.label_vi()
            ),
            DossierError::AlreadyEvaluated => "Hồ sơ đã được đánh giá.".into(),
            DossierError::InvalidEvaluation { .. } => "Nội dung đánh giá không hợp lệ.".into(),
            DossierError::TimeWentBackwards => {
                "Thời điểm thao tác không được sớm hơn thao tác trước đó.".into()
            }
            DossierError::CodeDateMismatch {
                code_date,
                receipt_date,
            } => format!(
                "Ngày trong mã hồ sơ ({}) khác ngày tiếp nhận ({}).",
                code_date.format("%d/%m/%Y"),
                receipt_date.format("%d/%m/%Y")
            ),
            DossierError::InvalidCode { value } => format!(
                "Mã hồ sơ «{value}» không hợp lệ: cần dạng mã định danh cơ quan-yyMMdd-số thứ tự \
                 (ví dụ 000.00.00.H53-250303-0001)."
            ),
            DossierError::SequenceOutOfRange { sequence } => {
                format!("Số thứ tự hồ sơ trong ngày ({sequence}) vượt quá giới hạn.")
            }
            DossierError::InvalidAppointment { source } => {
                format!("Ngày hẹn trả mới không hợp lệ: {}", source.message_vi())
            }
            DossierError::Deadline { source } => source.message_vi(),
            DossierError::InvalidPeriod => {
                "Kỳ báo cáo không hợp lệ: ngày kết thúc trước ngày bắt đầu.".into()
            }
        }
    }
}
