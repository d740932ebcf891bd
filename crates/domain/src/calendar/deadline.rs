//! Deadline arithmetic on local (UTC+7) instants: due dates in working days, half-days or
//! working minutes; working time between instants; pauses; one extension; per-step allotments;
//! early / on-time / late classification.
//!
//! # Model
//!
//! Working time is a single counter: the *position* of an instant is the number of working
//! seconds from the start of the calendar to it (a prefix sum of working days times the length
//! of a working day, plus the seconds worked that day). Everything else is arithmetic on
//! positions, so adding N working days is O(1).
//!
//! # Conventions
//!
//! - **Receipt day.** A dossier received on a working day before the end of the afternoon
//!   session is received that day (`D`); received later, or on a day off, it is received on the
//!   next working day.
//! - **Working days** (Bộ luật Dân sự 2015, Điều 147: the first day of a period counted in days
//!   is not counted): `N` working days from receipt day `D` end at the close of the afternoon
//!   session of the `N`-th working day after `D`. A dossier received on Monday with 1 working
//!   day is due on Tuesday at 17:00, whatever the hour it arrived on Monday.
//! - **Half-days**: the same rule per session: `N` half-days end at the close of the `N`-th
//!   session after the session in which the dossier arrived (a morning receipt with 1 half-day
//!   is due the same day at 17:00; an afternoon receipt the next working morning at 11:30).
//! - **Working minutes** (for procedures in working hours): counted from the instant itself.
//! - A due instant is always inside a session, `(start, end]`: never in the lunch break, at
//!   night or on a day off; the end of a session is preferred to the start of the next.
//! - **Pauses** (waiting for the applicant's supplement, consulting another agency) stop the
//!   clock: a pause of `P` working seconds that starts before the due instant moves it by
//!   exactly `P`. A pause that starts at or after the due instant does not move it (the time had
//!   already run out).
//! - **Extension** (Phiếu xin lỗi và hẹn lại ngày trả kết quả): at most one; it adds working time
//!   to the clock and gives the new appointment. The legal due date (with pauses) stays what
//!   timeliness is judged against.
//! - **Timeliness** (standards §1.5, Biểu II.06a): finished on a calendar day before the due
//!   day: early (trước hạn); on the due day: on time (đúng hạn); after: late (quá hạn). More
//!   than one supplement request counts as late (§1.2, QĐ 766/QĐ-TTg indicators). An open
//!   dossier is within its deadline (trong hạn) if its due day is on or after the report's end
//!   day, else overdue.

use chrono::{NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use super::error::CalendarError;
use super::hours::{LocalDateTime, WorkingHours};
use super::working::WorkingCalendar;

/// A legal processing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkDuration {
    /// Working days (ngày làm việc).
    Days(u32),
    /// Half-days (buổi làm việc).
    HalfDays(u32),
    /// Working minutes (for periods in working hours).
    Minutes(u32),
}

impl WorkDuration {
    /// Working hours, as minutes.
    pub fn hours(h: u32) -> WorkDuration {
        WorkDuration::Minutes(h.saturating_mul(60))
    }

    /// How time is counted for this unit.
    pub fn counting(self) -> Counting {
        match self {
            WorkDuration::Days(_) => Counting::Days,
            WorkDuration::HalfDays(_) => Counting::HalfDays,
            WorkDuration::Minutes(_) => Counting::Exact,
        }
    }

    fn sessions(self) -> Option<u64> {
        match self {
            WorkDuration::Days(n) => Some(2 * u64::from(n)),
            WorkDuration::HalfDays(n) => Some(u64::from(n)),
            WorkDuration::Minutes(_) => None,
        }
    }

    fn unit_name(self) -> &'static str {
        match self {
            WorkDuration::Days(_) => "days",
            WorkDuration::HalfDays(_) => "half_days",
            WorkDuration::Minutes(_) => "minutes",
        }
    }
}

impl std::fmt::Display for WorkDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkDuration::Days(n) => write!(f, "{n} ngày làm việc"),
            WorkDuration::HalfDays(n) => write!(f, "{n} buổi làm việc"),
            WorkDuration::Minutes(n) => write!(f, "{n} phút làm việc"),
        }
    }
}

/// Where counting starts, by unit (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// From the end of the receipt day.
    Days,
    /// From the end of the receipt session.
    HalfDays,
    /// From the instant itself.
    Exact,
}

/// An amount of working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingTime {
    /// Working seconds (negative if the end is before the start).
    pub seconds: i64,
    /// Working minutes (rounded towards minus infinity).
    pub minutes: i64,
    /// Whole working days.
    pub days: i64,
    /// Minutes beyond the whole days.
    pub remainder_minutes: i64,
    /// Minutes in a working day for these office hours (450 by default).
    pub day_minutes: i64,
}

impl WorkingTime {
    fn from_seconds(seconds: i64, day_seconds: i64) -> WorkingTime {
        WorkingTime {
            seconds,
            minutes: seconds.div_euclid(60),
            days: seconds.div_euclid(day_seconds),
            remainder_minutes: seconds.rem_euclid(day_seconds) / 60,
            day_minutes: day_seconds / 60,
        }
    }

    /// The time as a fraction of working days.
    pub fn days_f64(&self) -> f64 {
        self.seconds as f64 / (self.day_minutes as f64 * 60.0)
    }
}

/// Which instant starts the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartRule {
    /// The receipt instant (the one-stop desk's appointment).
    #[default]
    Receipt,
    /// The paper hand-over to the processing agency: paper received after the cut-off (15:00)
    /// is handed over at the start of the next working day.
    PaperHandover,
}

/// Why the clock stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// Waiting for the applicant to supplement the dossier (chờ bổ sung hồ sơ).
    Supplement,
    /// Consulting another agency (lấy ý kiến cơ quan liên quan).
    Consultation,
    /// Another reason provided by the procedure.
    Other,
}

/// A pause of the clock. `until: None` means the pause is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Why.
    pub reason: PauseReason,
    /// When the clock stopped (local time).
    pub from: LocalDateTime,
    /// When it restarted, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<LocalDateTime>,
}

/// The new appointment of an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionTarget {
    /// A new appointment day: the end of its afternoon session (must be a working day).
    UntilDate(NaiveDate),
    /// Extra working time after the due instant.
    By(WorkDuration),
}

/// The one extension a dossier may get (Phiếu xin lỗi và hẹn lại ngày trả kết quả).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// When the apology and new appointment were issued.
    pub requested_at: LocalDateTime,
    /// The new appointment.
    pub target: ExtensionTarget,
    /// The stated reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One step of a route through units or agencies, with its allotted time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepAllotment {
    /// Unit or agency, e.g. "Bộ phận Một cửa", "Phòng Tài nguyên và Môi trường".
    pub name: String,
    /// Allotted time. The steps must add up to the procedure's time.
    pub duration: WorkDuration,
}

/// A due-date computation: what `POST /api/v1/deadlines` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineRequest {
    /// Receipt instant, local time (Asia/Ho_Chi_Minh).
    pub received_at: LocalDateTime,
    /// The procedure's legal time.
    pub duration: WorkDuration,
    /// Which instant starts the clock.
    #[serde(default)]
    pub start: StartRule,
    /// Allotments per step (optional); they must add up to `duration`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepAllotment>,
    /// Pauses, in order, not overlapping; only the last may be open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<Pause>,
    /// The one extension, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
    /// When processing finished (NgayKetThucXuLy), to classify it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<LocalDateTime>,
}

impl DeadlineRequest {
    /// A plain request: received at `received_at`, `duration` of legal time.
    pub fn new(received_at: LocalDateTime, duration: WorkDuration) -> DeadlineRequest {
        DeadlineRequest {
            received_at,
            duration,
            start: StartRule::Receipt,
            steps: Vec::new(),
            pauses: Vec::new(),
            extension: None,
            finished_at: None,
        }
    }
}

/// Classification of a finished dossier (Biểu II.06a columns 8–10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Trước hạn: finished on a day before the due day.
    Early,
    /// Đúng hạn: finished on the due day.
    OnTime,
    /// Quá hạn: finished after the due day (or more than one supplement request).
    Late,
}

impl Timeliness {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Timeliness::Early => "Trước hạn",
            Timeliness::OnTime => "Đúng hạn",
            Timeliness::Late => "Quá hạn",
        }
    }
}

/// Classification of an open dossier at the end of a report period (Biểu II.06a columns 12–13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenTimeliness {
    /// Trong hạn: the due day is on or after the period's end day.
    WithinDeadline,
    /// Quá hạn.
    Overdue,
}

impl OpenTimeliness {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            OpenTimeliness::WithinDeadline => "Trong hạn",
            OpenTimeliness::Overdue => "Quá hạn",
        }
    }
}

/// Classifies a finished dossier by calendar day (standards §1.5): early if finished on a day
/// before the due day, on time on the due day, late after it; more than one supplement request
/// is late whatever the dates (§1.2).
pub fn classify_finished(
    finished_at: LocalDateTime,
    due: LocalDateTime,
    supplement_requests: usize,
) -> Timeliness {
    if supplement_requests > 1 {
        return Timeliness::Late;
    }
    match finished_at.date().cmp(&due.date()) {
        std::cmp::Ordering::Less => Timeliness::Early,
        std::cmp::Ordering::Equal => Timeliness::OnTime,
        std::cmp::Ordering::Greater => Timeliness::Late,
    }
}

/// Classifies a dossier still open at the end of a report period: within its deadline if the
/// due day is on or after `period_end` (standards §1.5).
pub fn classify_open(due: LocalDateTime, period_end: NaiveDate) -> OpenTimeliness {
    if due.date() >= period_end {
        OpenTimeliness::WithinDeadline
    } else {
        OpenTimeliness::Overdue
    }
}

/// The due date of one step of a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDeadline {
    /// Unit or agency.
    pub name: String,
    /// Allotted time.
    pub duration: WorkDuration,
    /// When the step should start (the previous step's due instant, or the counting start).
    pub starts_at: Option<LocalDateTime>,
    /// When the step is due; `None` while a pause before it is open.
    pub due: Option<LocalDateTime>,
}

/// The result of a due-date computation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineOutcome {
    /// Version of the working calendar used.
    pub calendar_version: String,
    /// Office hours used.
    pub working_hours: WorkingHours,
    /// Receipt instant.
    pub received_at: LocalDateTime,
    /// The instant the clock started (receipt, or paper hand-over).
    pub clock_start: LocalDateTime,
    /// The first working moment that counts (after the receipt day or session, per the unit).
    pub counting_from: LocalDateTime,
    /// The legal time.
    pub duration: WorkDuration,
    /// Due instant without pauses.
    pub legal_due: LocalDateTime,
    /// Due instant with the pauses (NgayHenTra); `None` while a pause is open.
    pub due: Option<LocalDateTime>,
    /// The appointment after the extension (= `due` without one); `None` while paused.
    pub appointment: Option<LocalDateTime>,
    /// Working time of the closed pauses.
    pub paused: WorkingTime,
    /// Start of the open pause, if the clock is stopped.
    pub paused_since: Option<LocalDateTime>,
    /// Number of supplement requests.
    pub supplement_requests: usize,
    /// Per-step due dates (empty without steps).
    pub steps: Vec<StepDeadline>,
    /// Early / on time / late, if `finished_at` was given.
    pub timeliness: Option<Timeliness>,
    /// With an extension and `finished_at`: whether the new appointment was kept.
    pub appointment_kept: Option<bool>,
}

/// Deadline arithmetic for one working calendar and one agency's office hours.
///
/// Cheap to build (a reference and a copy of the hours): build one per request.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineEngine<'a> {
    cal: &'a WorkingCalendar,
    hours: WorkingHours,
    day: i64,
}

impl<'a> DeadlineEngine<'a> {
    /// An engine for `calendar` and `hours`.
    pub fn new(calendar: &'a WorkingCalendar, hours: WorkingHours) -> DeadlineEngine<'a> {
        DeadlineEngine {
            cal: calendar,
            hours,
            day: hours.day_seconds(),
        }
    }

    /// The calendar.
    pub fn calendar(&self) -> &'a WorkingCalendar {
        self.cal
    }

    /// The office hours.
    pub fn hours(&self) -> WorkingHours {
        self.hours
    }

    // --- positions ------------------------------------------------------------------------------

    #[inline]
    fn locate(&self, t: LocalDateTime) -> Result<(usize, u32), CalendarError> {
        let i = self
            .cal
            .index_of(t.date())
            .ok_or(CalendarError::InstantOutOfRange { at: t })?;
        Ok((i, t.time().num_seconds_from_midnight()))
    }

    /// Working seconds from the start of the calendar to `t`.
    #[inline]
    fn pos(&self, t: LocalDateTime) -> Result<i64, CalendarError> {
        let (i, s) = self.locate(t)?;
        let base = i64::from(self.cal.cum_at(i)) * self.day;
        Ok(if self.cal.working_at(i) {
            base + self.hours.worked_by(s)
        } else {
            base
        })
    }

    fn beyond(&self) -> CalendarError {
        CalendarError::YearOutOfRange {
            year: *self.cal.years().end() + 1,
        }
    }

    #[inline]
    fn instant(&self, day_index: usize, secs: u32) -> LocalDateTime {
        let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or(NaiveTime::MIN);
        self.cal.date_at(day_index).and_time(time)
    }

    /// The instant at position `p`, preferring the end of a session (`p > 0`).
    #[inline]
    fn at_end(&self, p: i64) -> Result<LocalDateTime, CalendarError> {
        if p <= 0 {
            return self.at_start(p.max(0));
        }
        let k = (p - 1) / self.day;
        let r = p - k * self.day;
        let i = self
            .cal
            .working_day(k as u64)
            .ok_or_else(|| self.beyond())?;
        Ok(self.instant(i, self.hours.time_at(r)))
    }

    /// The instant at position `p`, preferring the start of a session.
    #[inline]
    fn at_start(&self, p: i64) -> Result<LocalDateTime, CalendarError> {
        let k = p.max(0) / self.day;
        let r = p.max(0) - k * self.day;
        let i = self
            .cal
            .working_day(k as u64)
            .ok_or_else(|| self.beyond())?;
        let secs = if r < self.hours.morning_seconds() {
            self.hours.m_start + r as u32
        } else {
            self.hours.a_start + (r - self.hours.morning_seconds()) as u32
        };
        Ok(self.instant(i, secs))
    }

    /// Position of the end of session `j` (2k: morning of working day k, 2k+1: its afternoon).
    #[inline]
    fn session_end(&self, j: u64) -> i64 {
        let k = (j / 2) as i64;
        if j.is_multiple_of(2) {
            k * self.day + self.hours.morning_seconds()
        } else {
            (k + 1) * self.day
        }
    }

    /// Ordinal of the working day on which a receipt at `t` counts.
    #[inline]
    fn receipt_day(&self, t: LocalDateTime) -> Result<u64, CalendarError> {
        let (i, s) = self.locate(t)?;
        let c = u64::from(self.cal.cum_at(i));
        Ok(if self.cal.working_at(i) && s >= self.hours.a_end {
            c + 1
        } else {
            c
        })
    }

    /// Index of the session in which a receipt at `t` counts.
    #[inline]
    fn receipt_session(&self, t: LocalDateTime) -> Result<u64, CalendarError> {
        let (i, s) = self.locate(t)?;
        let c = u64::from(self.cal.cum_at(i));
        Ok(if !self.cal.working_at(i) || s >= self.hours.a_end {
            2 * (c + u64::from(self.cal.working_at(i)))
        } else if s < self.hours.m_end {
            2 * c
        } else {
            2 * c + 1
        })
    }

    /// Counting start: (position, session whose end it is, for session-based units).
    fn counting_start(
        &self,
        t: LocalDateTime,
        c: Counting,
    ) -> Result<(i64, Option<u64>), CalendarError> {
        Ok(match c {
            Counting::Days => {
                let s = 2 * self.receipt_day(t)? + 1;
                (self.session_end(s), Some(s))
            }
            Counting::HalfDays => {
                let s = self.receipt_session(t)?;
                (self.session_end(s), Some(s))
            }
            Counting::Exact => (self.pos(t)?, None),
        })
    }

    // --- public primitives ----------------------------------------------------------------------

    /// Whether `t` is inside a session of a working day (session bounds included).
    pub fn is_working_moment(&self, t: LocalDateTime) -> Result<bool, CalendarError> {
        let (i, s) = self.locate(t)?;
        let h = &self.hours;
        Ok(self.cal.working_at(i)
            && ((h.m_start..=h.m_end).contains(&s) || (h.a_start..=h.a_end).contains(&s)))
    }

    /// The first working moment at or after `t` (the start of the next session if `t` is
    /// outside working time).
    pub fn next_working_moment(&self, t: LocalDateTime) -> Result<LocalDateTime, CalendarError> {
        let (i, s) = self.locate(t)?;
        let h = &self.hours;
        if self.cal.working_at(i) {
            if s < h.m_start {
                return Ok(self.instant(i, h.m_start));
            }
            if s < h.m_end || (s >= h.a_start && s < h.a_end) {
                return Ok(t.with_nanosecond(0).unwrap_or(t));
            }
            if s < h.a_start {
                return Ok(self.instant(i, h.a_start));
            }
        }
        self.at_start(self.pos(t)?)
    }

    /// When paper received at `received` is handed over to the processing agency (NĐ 61/2018:
    /// the same working day, or the start of the next working day if received after the
    /// cut-off, 15:00 by default). Received outside working time: the next session start.
    pub fn paper_handover(&self, received: LocalDateTime) -> Result<LocalDateTime, CalendarError> {
        let (i, s) = self.locate(received)?;
        if self.cal.working_at(i) && s <= self.hours.cutoff {
            return self.next_working_moment(received);
        }
        let next = u64::from(self.cal.cum_at(i)) + u64::from(self.cal.working_at(i));
        let j = self.cal.working_day(next).ok_or_else(|| self.beyond())?;
        Ok(self.instant(j, self.hours.m_start))
    }

    /// The working day on which a receipt at `received` counts.
    pub fn receipt_date(&self, received: LocalDateTime) -> Result<NaiveDate, CalendarError> {
        let k = self.receipt_day(received)?;
        let i = self.cal.working_day(k).ok_or_else(|| self.beyond())?;
        Ok(self.cal.date_at(i))
    }

    /// `t` plus `minutes` of working time; for `minutes > 0` the result is inside a session,
    /// at its end rather than at the next start.
    pub fn add_working_minutes(
        &self,
        t: LocalDateTime,
        minutes: i64,
    ) -> Result<LocalDateTime, CalendarError> {
        self.add_working_seconds(t, minutes.saturating_mul(60))
    }

    /// `t` plus `seconds` of working time (see [`DeadlineEngine::add_working_minutes`]).
    pub fn add_working_seconds(
        &self,
        t: LocalDateTime,
        seconds: i64,
    ) -> Result<LocalDateTime, CalendarError> {
        if seconds == 0 {
            return Ok(t);
        }
        self.at_end(self.pos(t)? + seconds)
    }

    /// Working time from `from` to `to` (negative if `to` is earlier).
    pub fn working_time_between(
        &self,
        from: LocalDateTime,
        to: LocalDateTime,
    ) -> Result<WorkingTime, CalendarError> {
        Ok(WorkingTime::from_seconds(
            self.pos(to)? - self.pos(from)?,
            self.day,
        ))
    }

    /// Working minutes from `from` to `to`.
    pub fn working_minutes_between(
        &self,
        from: LocalDateTime,
        to: LocalDateTime,
    ) -> Result<i64, CalendarError> {
        Ok(self.working_time_between(from, to)?.minutes)
    }

    /// Working time elapsed at `at` on a clock started at `start`, counted by `counting`
    /// (the inverse of [`DeadlineEngine::due`]: `elapsed(r, due(r, Days(n)), Days).days == n`).
    pub fn elapsed(
        &self,
        start: LocalDateTime,
        at: LocalDateTime,
        counting: Counting,
    ) -> Result<WorkingTime, CalendarError> {
        let (cs, _) = self.counting_start(start, counting)?;
        Ok(WorkingTime::from_seconds(self.pos(at)? - cs, self.day))
    }

    /// Seconds of working time that `duration` represents on a clock whose counting starts at
    /// position `cs` (the end of session `session` for session-based clocks).
    fn amount(
        &self,
        cs: i64,
        session: Option<u64>,
        duration: WorkDuration,
    ) -> Result<i64, CalendarError> {
        match duration {
            WorkDuration::Minutes(m) => Ok(i64::from(m) * 60),
            WorkDuration::Days(_) | WorkDuration::HalfDays(_) => {
                let n = duration.sessions().unwrap_or(0);
                let s = session.unwrap_or_else(|| self.session_ending_at(cs));
                Ok(self.session_end(s + n) - cs)
            }
        }
    }

    /// The session that contains position `p`, its end included.
    #[inline]
    fn session_ending_at(&self, p: i64) -> u64 {
        let k = (p - 1).max(0) / self.day;
        let within = p - k * self.day;
        let k = k as u64;
        if within <= self.hours.morning_seconds() {
            2 * k
        } else {
            2 * k + 1
        }
    }

    /// The due instant of `duration` started at `start` (no pauses). The fast path: O(1).
    pub fn due(
        &self,
        start: LocalDateTime,
        duration: WorkDuration,
    ) -> Result<LocalDateTime, CalendarError> {
        let (cs, s) = self.counting_start(start, duration.counting())?;
        let amount = self.amount(cs, s, duration)?;
        if amount == 0 && duration.counting() == Counting::Exact {
            return self.at_start(cs);
        }
        self.at_end(cs + amount)
    }

    /// Runs the clock `amount` seconds from `cs`, skipping the pauses (positions). `None` if an
    /// open pause starts before the time runs out.
    fn walk(cs: i64, amount: i64, pauses: &[(i64, Option<i64>)]) -> Option<i64> {
        let mut cur = cs;
        let mut rem = amount;
        for &(from, until) in pauses {
            if until.is_some_and(|u| u <= cur) {
                continue;
            }
            let from = from.max(cur);
            if from - cur >= rem {
                break;
            }
            rem -= from - cur;
            cur = until?;
        }
        Some(cur + rem)
    }

    /// Computes every date of a dossier's clock: legal due date, due date with pauses, the
    /// extension, per-step due dates and, if finished, its timeliness.
    pub fn compute(&self, req: &DeadlineRequest) -> Result<DeadlineOutcome, CalendarError> {
        let clock_start = match req.start {
            StartRule::Receipt => req.received_at,
            StartRule::PaperHandover => self.paper_handover(req.received_at)?,
        };
        let counting = req.duration.counting();
        let (cs, session) = self.counting_start(clock_start, counting)?;
        let amount = self.amount(cs, session, req.duration)?;
        let to_end = |p: i64| -> Result<LocalDateTime, CalendarError> {
            if p == cs && counting == Counting::Exact {
                self.at_start(p)
            } else {
                self.at_end(p)
            }
        };

        // Pauses.
        let mut pauses: Vec<(i64, Option<i64>)> = Vec::with_capacity(req.pauses.len());
        let mut prev_end: Option<LocalDateTime> = None;
        for (n, p) in req.pauses.iter().enumerate() {
            if let Some(prev) = prev_end
                && p.from < prev
            {
                return Err(CalendarError::InvalidPause {
                    reason: "pauses overlap or are out of order".into(),
                });
            }
            match p.until {
                Some(u) if u < p.from => {
                    return Err(CalendarError::InvalidPause {
                        reason: "a pause ends before it starts".into(),
                    });
                }
                None if n + 1 != req.pauses.len() => {
                    return Err(CalendarError::InvalidPause {
                        reason: "only the last pause may be open".into(),
                    });
                }
                _ => {}
            }
            prev_end = Some(p.until.unwrap_or(p.from));
            let until = match p.until {
                Some(u) => Some(self.pos(u)?),
                None => None,
            };
            pauses.push((self.pos(p.from)?, until));
        }
        let paused_seconds: i64 = pauses.iter().filter_map(|&(f, u)| u.map(|u| u - f)).sum();
        let paused_since = req
            .pauses
            .last()
            .filter(|p| p.until.is_none())
            .map(|p| p.from);
        let supplement_requests = req
            .pauses
            .iter()
            .filter(|p| p.reason == PauseReason::Supplement)
            .count();

        let legal_due = to_end(cs + amount)?;
        let due_pos = Self::walk(cs, amount, &pauses);
        let due = due_pos.map(to_end).transpose()?;

        // Steps.
        let mut steps = Vec::with_capacity(req.steps.len());
        if !req.steps.is_empty() {
            let total_sessions = req.duration.sessions();
            let mut cum_sessions: u64 = 0;
            let mut cum_minutes: u64 = 0;
            let mut starts_at = Some(self.at_start(cs)?);
            for step in &req.steps {
                let step_amount = match (total_sessions, step.duration.sessions(), step.duration) {
                    (Some(_), Some(n), _) => {
                        cum_sessions += n;
                        session.map_or(0, |s| self.session_end(s + cum_sessions) - cs)
                    }
                    (None, None, WorkDuration::Minutes(m)) => {
                        cum_minutes += u64::from(m);
                        cum_minutes as i64 * 60
                    }
                    _ => {
                        return Err(CalendarError::AllotmentUnitMismatch {
                            step_unit: step.duration.unit_name().into(),
                            total_unit: req.duration.unit_name().into(),
                        });
                    }
                };
                let step_due = Self::walk(cs, step_amount, &pauses)
                    .map(to_end)
                    .transpose()?;
                steps.push(StepDeadline {
                    name: step.name.clone(),
                    duration: step.duration,
                    starts_at,
                    due: step_due,
                });
                starts_at = step_due;
            }
            let (sum, total) = match (total_sessions, req.duration) {
                (Some(t), _) => (cum_sessions, t),
                (None, WorkDuration::Minutes(m)) => (cum_minutes, u64::from(m)),
                _ => (0, 0),
            };
            if sum != total {
                let show = |x: u64| match req.duration {
                    WorkDuration::Minutes(_) => format!("{x} phút"),
                    _ => format!("{} ngày", x as f64 / 2.0),
                };
                return Err(CalendarError::AllotmentMismatch {
                    steps: show(sum),
                    total: show(total),
                });
            }
        }

        // Extension.
        let appointment = match &req.extension {
            None => due,
            Some(ext) => {
                let before: Vec<(i64, Option<i64>)> = req
                    .pauses
                    .iter()
                    .zip(&pauses)
                    .filter(|(p, _)| p.from <= ext.requested_at)
                    .map(|(_, &q)| q)
                    .collect();
                let due_then = Self::walk(cs, amount, &before).unwrap_or(cs + amount);
                let extra = match ext.target {
                    ExtensionTarget::UntilDate(date) => {
                        if !self.cal.is_working_day(date)? {
                            return Err(CalendarError::NotAWorkingDay { date });
                        }
                        let end = self.pos(date.and_time(self.hours.afternoon().end))?;
                        end - due_then
                    }
                    ExtensionTarget::By(d) => match d {
                        WorkDuration::Minutes(m) => i64::from(m) * 60,
                        WorkDuration::Days(_) | WorkDuration::HalfDays(_) => {
                            // Whole sessions after the one in which the due instant falls.
                            let s = self.session_ending_at(due_then);
                            let n = d.sessions().unwrap_or(0);
                            self.session_end(s + n) - self.session_end(s)
                        }
                    },
                };
                if extra <= 0 {
                    return Err(CalendarError::InvalidExtension {
                        reason: "the new appointment must be later than the due date".into(),
                    });
                }
                Self::walk(cs, amount + extra, &pauses)
                    .map(to_end)
                    .transpose()?
            }
        };

        let (timeliness, appointment_kept) = match req.finished_at {
            None => (None, None),
            Some(f) => {
                let d = due.ok_or_else(|| CalendarError::InvalidPause {
                    reason: "a dossier cannot finish while its clock is paused".into(),
                })?;
                let kept = match (&req.extension, appointment) {
                    (Some(_), Some(a)) => Some(f.date() <= a.date()),
                    _ => None,
                };
                (Some(classify_finished(f, d, supplement_requests)), kept)
            }
        };

        Ok(DeadlineOutcome {
            calendar_version: self.cal.version().to_string(),
            working_hours: self.hours,
            received_at: req.received_at,
            clock_start,
            counting_from: self.at_start(cs)?,
            duration: req.duration,
            legal_due,
            due,
            appointment,
            paused: WorkingTime::from_seconds(paused_seconds, self.day),
            paused_since,
            supplement_requests,
            steps,
            timeliness,
            appointment_kept,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A stateful clock for the application layer

/// A dossier's clock as the application layer keeps it: the request, grown by events (pause,
/// resume, extension, finish) with their rules enforced. Serialisable; evaluate it with a
/// [`DeadlineEngine`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DossierClock {
    request: DeadlineRequest,
}

impl DossierClock {
    /// A clock started by a receipt.
    pub fn start(received_at: LocalDateTime, duration: WorkDuration) -> DossierClock {
        DossierClock {
            request: DeadlineRequest::new(received_at, duration),
        }
    }

    /// A clock from a full request (validated on evaluation).
    pub fn from_request(request: DeadlineRequest) -> DossierClock {
        DossierClock { request }
    }

    /// The underlying request.
    pub fn request(&self) -> &DeadlineRequest {
        &self.request
    }

    /// Sets the start rule.
    pub fn with_start(mut self, start: StartRule) -> DossierClock {
        self.request.start = start;
        self
    }

    /// Sets the per-step allotments.
    pub fn with_steps(mut self, steps: Vec<StepAllotment>) -> DossierClock {
        self.request.steps = steps;
        self
    }

    /// Whether the clock is stopped.
    pub fn is_paused(&self) -> bool {
        self.request
            .pauses
            .last()
            .is_some_and(|p| p.until.is_none())
    }

    /// Stops the clock at `at`.
    pub fn pause(&mut self, at: LocalDateTime, reason: PauseReason) -> Result<(), CalendarError> {
        if self.is_paused() {
            return Err(CalendarError::InvalidPause {
                reason: "the clock is already paused".into(),
            });
        }
        if let Some(last) = self.request.pauses.last().and_then(|p| p.until)
            && at < last
        {
            return Err(CalendarError::InvalidPause {
                reason: "a pause cannot start before the previous one ended".into(),
            });
        }
        if self.request.finished_at.is_some() {
            return Err(CalendarError::InvalidPause {
                reason: "the dossier is finished".into(),
            });
        }
        self.request.pauses.push(Pause {
            reason,
            from: at,
            until: None,
        });
        Ok(())
    }

    /// Restarts the clock at `at`.
    pub fn resume(&mut self, at: LocalDateTime) -> Result<(), CalendarError> {
        match self.request.pauses.last_mut() {
            Some(p) if p.until.is_none() => {
                if at < p.from {
                    return Err(CalendarError::InvalidPause {
                        reason: "a pause ends before it starts".into(),
                    });
                }
                p.until = Some(at);
                Ok(())
            }
            _ => Err(CalendarError::InvalidPause {
                reason: "the clock is not paused".into(),
            }),
        }
    }

    /// Records the one extension.
    pub fn extend(&mut self, extension: Extension) -> Result<(), CalendarError> {
        if self.request.extension.is_some() {
            return Err(CalendarError::InvalidExtension {
                reason: "a dossier can be rescheduled only once".into(),
            });
        }
        self.request.extension = Some(extension);
        Ok(())
    }

    /// Records the end of processing.
    pub fn finish(&mut self, at: LocalDateTime) -> Result<(), CalendarError> {
        if self.is_paused() {
            return Err(CalendarError::InvalidPause {
                reason: "a dossier cannot finish while its clock is paused".into(),
            });
        }
        self.request.finished_at = Some(at);
        Ok(())
    }

    /// Computes the clock's dates.
    pub fn evaluate(&self, engine: &DeadlineEngine<'_>) -> Result<DeadlineOutcome, CalendarError> {
        engine.compute(&self.request)
    }
}
