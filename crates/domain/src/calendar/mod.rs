//! Working calendar and deadline engine.
//!
//! Every due date in cqdt comes from here. The module is pure: no I/O, no clock — instants are
//! parameters, and the notice files are parsed from strings (the bundled ones are compiled in).
//!
//! # Parts
//!
//! - [`lunar`]: the Vietnamese lunar calendar from the astronomical formulas ([`astro`], after
//!   Meeus), for a time zone given as a parameter ([`Zone::VIETNAM`] = UTC+7).
//! - [`holidays`]: holiday rules with effective periods ([`RuleSet`]) that pre-fill each year, and
//!   yearly notices ([`Notice`]) that override a year.
//! - [`working`]: the [`WorkingCalendar`] built from rules and notices, with its version
//!   identifier and per-day tables; [`YearView`] is what `GET /api/v1/calendar/{year}` returns.
//! - [`hours`]: an agency's office hours ([`WorkingHours`]) and UTC ↔ local time helpers.
//! - [`deadline`]: the [`DeadlineEngine`]: due dates, working time between instants, pauses, the
//!   one extension, route allotments and early / on-time / late classification;
//!   [`DeadlineQuery`] / [`DeadlineAnswer`] are the body and reply of `POST /api/v1/deadlines`.
//!
//! # Example
//!
//! ```
//! use chrono::NaiveDate;
//! use cqdt_domain::calendar::{DeadlineEngine, WorkDuration, WorkingCalendar, WorkingHours};
//!
//! let calendar = WorkingCalendar::vietnam_default().unwrap();
//! let engine = DeadlineEngine::new(&calendar, WorkingHours::default());
//! // Received Friday 1 February 2019 at 09:00, 3 working days. Tết closes offices from Monday
//! // 4 to Friday 8 February, so the days counted are Monday 11, Tuesday 12, Wednesday 13.
//! let received = NaiveDate::from_ymd_opt(2019, 2, 1).unwrap().and_hms_opt(9, 0, 0).unwrap();
//! let due = engine.due(received, WorkDuration::Days(3)).unwrap();
//! assert_eq!(due.to_string(), "2019-02-13 17:00:00");
//! ```

pub mod astro;
pub mod deadline;
pub mod error;
pub mod holidays;
pub mod hours;
pub mod lunar;
pub mod working;

use serde::{Deserialize, Serialize};

pub use deadline::{
    Counting, DeadlineEngine, DeadlineOutcome, DeadlineRequest, DossierClock, Extension,
    ExtensionTarget, OpenTimeliness, Pause, PauseReason, StartRule, StepAllotment, StepDeadline,
    Timeliness, WorkDuration, WorkingTime, classify_finished, classify_open,
};
pub use error::CalendarError;
pub use holidays::{
    DayEntry, DayKind, HolidayRule, Notice, NoticeDayOff, NoticeStatus, NoticeWorkingDay, OffKind,
    RuleDate, RuleSet, bundled_notices,
};
pub use hours::{LocalDateTime, Session, WorkingHours, WorkingHoursSpec, from_local, to_local};
pub use lunar::{
    LunarDate, LunarMonth, LunarTable, LunarYear, Zone, gio_to_hung_vuong, lunar_to_solar,
    lunar_to_solar_in, lunar_year, lunar_year_in, solar_to_lunar, solar_to_lunar_in, tet, tet_in,
};
pub use working::{DayInfo, WorkingCalendar, YearSource, YearView};

/// The body of `POST /api/v1/deadlines`: compute a due date, or measure working time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineQuery {
    /// Compute the dates of a dossier's clock.
    Due(DeadlineRequest),
    /// Working time between two local instants.
    Elapsed {
        /// Start (local time).
        from: LocalDateTime,
        /// End (local time).
        to: LocalDateTime,
    },
}

/// The reply to a [`DeadlineQuery`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineAnswer {
    /// Dates of the clock.
    Due(DeadlineOutcome),
    /// Working time between the instants.
    Elapsed {
        /// Version of the working calendar used.
        calendar_version: String,
        /// Office hours used.
        working_hours: WorkingHours,
        /// The working time.
        working_time: WorkingTime,
    },
}

impl DeadlineEngine<'_> {
    /// Answers a [`DeadlineQuery`].
    pub fn answer(&self, query: &DeadlineQuery) -> Result<DeadlineAnswer, CalendarError> {
        match query {
            DeadlineQuery::Due(req) => Ok(DeadlineAnswer::Due(self.compute(req)?)),
            DeadlineQuery::Elapsed { from, to } => Ok(DeadlineAnswer::Elapsed {
                calendar_version: self.calendar().version().to_string(),
                working_hours: self.hours(),
                working_time: self.working_time_between(*from, *to)?,
            }),
        }
    }
}
