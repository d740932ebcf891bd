//! Office hours of an agency and local (Vietnam, UTC+7) time.

use chrono::{DateTime, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::error::CalendarError;

/// Offset of Vietnam from UTC in seconds (Asia/Ho_Chi_Minh is UTC+7 all year; no DST).
pub const VIETNAM_OFFSET_SECONDS: i64 = 7 * 3600;

/// Local civil time in Vietnam. All legal times (receipt, due dates) are computed in it.
pub type LocalDateTime = NaiveDateTime;

/// Converts a UTC instant to Vietnamese local time.
pub fn to_local(at: DateTime<Utc>) -> LocalDateTime {
    at.naive_utc() + chrono::Duration::seconds(VIETNAM_OFFSET_SECONDS)
}

/// Converts Vietnamese local time to a UTC instant.
pub fn from_local(at: LocalDateTime) -> DateTime<Utc> {
    (at - chrono::Duration::seconds(VIETNAM_OFFSET_SECONDS)).and_utc()
}

/// One working session, `[start, end)` for arrivals and `(start, end]` for due times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Opening time.
    pub start: NaiveTime,
    /// Closing time.
    pub end: NaiveTime,
}

/// The textual form of [`WorkingHours`] (what is serialised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHoursSpec {
    /// Morning session (default 07:30–11:30).
    pub morning: Session,
    /// Afternoon session (default 13:30–17:00).
    pub afternoon: Session,
    /// Paper received after this time is handed over to the processing agency at the start of
    /// the next working day (default 15:00).
    pub paper_handover_cutoff: NaiveTime,
}

/// Office hours of an agency: a morning and an afternoon session and the paper hand-over
/// cut-off. Validated on construction; passed in by the caller (one value per agency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WorkingHoursSpec", into = "WorkingHoursSpec")]
pub struct WorkingHours {
    spec: WorkingHoursSpec,
    // Seconds after midnight.
    pub(crate) m_start: u32,
    pub(crate) m_end: u32,
    pub(crate) a_start: u32,
    pub(crate) a_end: u32,
    pub(crate) cutoff: u32,
}

fn secs(t: NaiveTime) -> u32 {
    t.num_seconds_from_midnight()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl Default for WorkingHours {
    /// 07:30–11:30 and 13:30–17:00, hand-over cut-off 15:00.
    fn default() -> Self {
        WorkingHours {
            spec: WorkingHoursSpec {
                morning: Session {
                    start: hm(7, 30),
                    end: hm(11, 30),
                },
                afternoon: Session {
                    start: hm(13, 30),
                    end: hm(17, 0),
                },
                paper_handover_cutoff: hm(15, 0),
            },
            m_start: 7 * 3600 + 1800,
            m_end: 11 * 3600 + 1800,
            a_start: 13 * 3600 + 1800,
            a_end: 17 * 3600,
            cutoff: 15 * 3600,
        }
    }
}

impl TryFrom<WorkingHoursSpec> for WorkingHours {
    type Error = CalendarError;

    fn try_from(spec: WorkingHoursSpec) -> Result<Self, Self::Error> {
        WorkingHours::new(spec)
    }
}

impl From<WorkingHours> for WorkingHoursSpec {
    fn from(h: WorkingHours) -> Self {
        h.spec
    }
}

impl WorkingHours {
    /// Validates and builds office hours: `morning.start < morning.end ≤ afternoon.start <
    /// afternoon.end`, and the cut-off inside the working day.
    pub fn new(spec: WorkingHoursSpec) -> Result<WorkingHours, CalendarError> {
        let (ms, me, a_s, ae, c) = (
            secs(spec.morning.start),
            secs(spec.morning.end),
            secs(spec.afternoon.start),
            secs(spec.afternoon.end),
            secs(spec.paper_handover_cutoff),
        );
        let bad = |reason: &str| CalendarError::InvalidWorkingHours {
            reason: reason.to_string(),
        };
        if ms >= me {
            return Err(bad("the morning session must end after it starts"));
        }
        if me > a_s {
            return Err(bad(
                "the afternoon session must start after the morning session ends",
            ));
        }
        if a_s >= ae {
            return Err(bad("the afternoon session must end after it starts"));
        }
        if c < ms || c > ae {
            return Err(bad("the hand-over cut-off must lie within the working day"));
        }
        Ok(WorkingHours {
            spec,
            m_start: ms,
            m_end: me,
            a_start: a_s,
            a_end: ae,
            cutoff: c,
        })
    }

    /// Builds office hours from "HH:MM" strings.
    pub fn from_hm(
        morning: (&str, &str),
        afternoon: (&str, &str),
        cutoff: &str,
    ) -> Result<WorkingHours, CalendarError> {
        let p = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| CalendarError::InvalidWorkingHours {
                reason: format!("{s} is not a HH:MM time"),
            })
        };
        WorkingHours::new(WorkingHoursSpec {
            morning: Session {
                start: p(morning.0)?,
                end: p(morning.1)?,
            },
            afternoon: Session {
                start: p(afternoon.0)?,
                end: p(afternoon.1)?,
            },
            paper_handover_cutoff: p(cutoff)?,
        })
    }

    /// The textual form.
    pub fn spec(&self) -> WorkingHoursSpec {
        self.spec
    }

    /// Morning session.
    pub fn morning(&self) -> Session {
        self.spec.morning
    }

    /// Afternoon session.
    pub fn afternoon(&self) -> Session {
        self.spec.afternoon
    }

    /// The paper hand-over cut-off.
    pub fn paper_handover_cutoff(&self) -> NaiveTime {
        self.spec.paper_handover_cutoff
    }

    /// Length of the morning session in seconds.
    pub fn morning_seconds(&self) -> i64 {
        i64::from(self.m_end - self.m_start)
    }

    /// Length of the afternoon session in seconds.
    pub fn afternoon_seconds(&self) -> i64 {
        i64::from(self.a_end - self.a_start)
    }

    /// Working seconds in one working day (27,000 = 7 h 30 min by default).
    pub fn day_seconds(&self) -> i64 {
        self.morning_seconds() + self.afternoon_seconds()
    }

    /// Working minutes in one working day (450 by default).
    pub fn day_minutes(&self) -> i64 {
        self.day_seconds() / 60
    }

    /// Working seconds elapsed in a working day at time-of-day `t` (seconds after midnight).
    #[inline]
    pub(crate) fn worked_by(&self, t: u32) -> i64 {
        let m = t.clamp(self.m_start, self.m_end) - self.m_start;
        let a = t.clamp(self.a_start, self.a_end) - self.a_start;
        i64::from(m + a)
    }

    /// Time of day (seconds after midnight) at which `w` working seconds of the day are done,
    /// for `0 < w ≤ day_seconds`: the end of a session rather than the start of the next.
    #[inline]
    pub(crate) fn time_at(&self, w: i64) -> u32 {
        let morning = self.morning_seconds();
        if w <= morning {
            self.m_start + w as u32
        } else {
            self.a_start + (w - morning) as u32
        }
    }
}
