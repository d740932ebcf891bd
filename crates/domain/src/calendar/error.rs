//! Errors of the calendar and deadline engine, each with a stable machine code.

use chrono::{NaiveDate, NaiveDateTime};
use thiserror::Error;

use super::lunar::LunarDate;

/// Everything that can go wrong in the calendar and deadline engine.
///
/// [`CalendarError::code`] gives a stable machine code (`calendar.…`) for API problem bodies;
/// [`CalendarError::message_vi`] a Vietnamese sentence for pages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// A year outside the supported range (1900–2199, or the range a calendar was built for).
    #[error("year {year} is outside the supported range")]
    YearOutOfRange {
        /// The offending year.
        year: i32,
    },
    /// An instant outside the years the working calendar was built for.
    #[error("instant {at} is outside the working calendar")]
    InstantOutOfRange {
        /// The offending instant (local time).
        at: NaiveDateTime,
    },
    /// A time-zone offset beyond ±14 hours.
    #[error("time-zone offset of {minutes_east} minutes is not valid")]
    InvalidZone {
        /// The offending offset.
        minutes_east: i32,
    },
    /// A lunar date that does not exist (no such leap month, or day 30 of a 29-day month).
    #[error("lunar date {date} does not exist")]
    InvalidLunarDate {
        /// The offending date.
        date: LunarDate,
    },
    /// Office hours that are not two ordered, non-empty sessions.
    #[error("invalid working hours: {reason}")]
    InvalidWorkingHours {
        /// What is wrong.
        reason: String,
    },
    /// A rule set or notice file that is not valid JSON of the expected shape.
    #[error("cannot parse {what}: {message}")]
    Parse {
        /// Which document ("notice", "rules").
        what: String,
        /// The parser's message.
        message: String,
    },
    /// A notice whose content breaks a rule (a working day that is not a weekend day, a date
    /// listed twice…).
    #[error("notice for {year} is invalid: {reason}")]
    InvalidNotice {
        /// Year of the notice.
        year: i32,
        /// What is wrong.
        reason: String,
    },
    /// Two notices for the same year, or two notices saying different things about one date.
    #[error("notices conflict on {date}")]
    NoticeConflict {
        /// The date both notices claim.
        date: NaiveDate,
    },
    /// A holiday rule that cannot be evaluated (bad month or day).
    #[error("invalid holiday rule {code}: {reason}")]
    InvalidRule {
        /// The rule's code.
        code: String,
        /// What is wrong.
        reason: String,
    },
    /// Step allotments of a route that do not add up to the procedure's legal time.
    #[error("the steps add up to {steps} but the procedure allows {total}")]
    AllotmentMismatch {
        /// Sum of the steps, in the total's unit.
        steps: String,
        /// The procedure's legal time.
        total: String,
    },
    /// Step allotments in a unit that cannot be combined with the total's unit.
    #[error("step durations in {step_unit} cannot be combined with a total in {total_unit}")]
    AllotmentUnitMismatch {
        /// Unit of the offending step.
        step_unit: String,
        /// Unit of the total.
        total_unit: String,
    },
    /// A pause that ends before it starts, overlaps another pause, or is not the last one while
    /// still open.
    #[error("invalid pause: {reason}")]
    InvalidPause {
        /// What is wrong.
        reason: String,
    },
    /// An extension that does not move the appointment later, or a second extension.
    #[error("invalid extension: {reason}")]
    InvalidExtension {
        /// What is wrong.
        reason: String,
    },
    /// A date that must be a working day is not one.
    #[error("{date} is not a working day")]
    NotAWorkingDay {
        /// The offending date.
        date: NaiveDate,
    },
}

impl CalendarError {
    /// Every machine code, for tests and documentation.
    pub const CODES: &'static [&'static str] = &[
        "calendar.year_out_of_range",
        "calendar.instant_out_of_range",
        "calendar.invalid_zone",
        "calendar.invalid_lunar_date",
        "calendar.invalid_working_hours",
        "calendar.parse_error",
        "calendar.invalid_notice",
        "calendar.notice_conflict",
        "calendar.invalid_rule",
        "calendar.allotment_mismatch",
        "calendar.allotment_unit_mismatch",
        "calendar.invalid_pause",
        "calendar.invalid_extension",
        "calendar.not_a_working_day",
    ];

    /// The stable machine code, e.g. `calendar.year_out_of_range`.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::YearOutOfRange { .. } => "calendar.year_out_of_range",
            CalendarError::InstantOutOfRange { .. } => "calendar.instant_out_of_range",
            CalendarError::InvalidZone { .. } => "calendar.invalid_zone",
            CalendarError::InvalidLunarDate { .. } => "calendar.invalid_lunar_date",
            CalendarError::InvalidWorkingHours { .. } => "calendar.invalid_working_hours",
            CalendarError::Parse { .. } => "calendar.parse_error",
            CalendarError::InvalidNotice { .. } => "calendar.invalid_notice",
            CalendarError::NoticeConflict { .. } => "calendar.notice_conflict",
            CalendarError::InvalidRule { .. } => "calendar.invalid_rule",
            CalendarError::AllotmentMismatch { .. } => "calendar.allotment_mismatch",
            CalendarError::AllotmentUnitMismatch { .. } => "calendar.allotment_unit_mismatch",
            CalendarError::InvalidPause { .. } => "calendar.invalid_pause",
            CalendarError::InvalidExtension { .. } => "calendar.invalid_extension",
            CalendarError::NotAWorkingDay { .. } => "calendar.not_a_working_day",
        }
    }

    /// A Vietnamese message for people.
    pub fn message_vi(&self) -> String {
        match self {
            CalendarError::YearOutOfRange { year } => {
                format!("Năm {year} nằm ngoài phạm vi lịch được hỗ trợ.")
            }
            CalendarError::InstantOutOfRange { at } => {
                format!(
                    "Thời điểm {} nằm ngoài phạm vi lịch làm việc.",
                    at.format("%d/%m/%Y %H:%M")
                )
            }
            CalendarError::InvalidZone { .. } => "Múi giờ không hợp lệ.".to_string(),
            CalendarError::InvalidLunarDate { date } => {
                format!("Ngày âm lịch {date} không tồn tại.")
            }
            CalendarError::InvalidWorkingHours { .. } => {
                "Giờ làm việc không hợp lệ: cần hai buổi sáng và chiều theo đúng thứ tự."
                    .to_string()
            }
            CalendarError::Parse { .. } => "Tệp dữ liệu lịch không đúng định dạng.".to_string(),
            CalendarError::InvalidNotice { year, reason } => {
                format!("Thông báo lịch nghỉ năm {year} không hợp lệ: {reason}.")
            }
            CalendarError::NoticeConflict { date } => format!(
                "Các thông báo lịch nghỉ mâu thuẫn nhau về ngày {}.",
                date.format("%d/%m/%Y")
            ),
            CalendarError::InvalidRule { code, .. } => {
                format!("Quy tắc ngày nghỉ lễ «{code}» không hợp lệ.")
            }
            CalendarError::AllotmentMismatch { steps, total } => format!(
                "Tổng thời gian các bước ({steps}) không bằng thời hạn giải quyết ({total})."
            ),
            CalendarError::AllotmentUnitMismatch { .. } => {
                "Đơn vị thời gian của các bước không thống nhất với thời hạn giải quyết."
                    .to_string()
            }
            CalendarError::InvalidPause { .. } => {
                "Khoảng tạm dừng không hợp lệ (kết thúc trước khi bắt đầu hoặc chồng lấn)."
                    .to_string()
            }
            CalendarError::InvalidExtension { .. } => {
                "Chỉ được hẹn lại một lần và ngày hẹn mới phải sau ngày hẹn cũ.".to_string()
            }
            CalendarError::NotAWorkingDay { date } => {
                format!("Ngày {} không phải ngày làm việc.", date.format("%d/%m/%Y"))
            }
        }
    }
}
