//! Public holidays as data: rules with effective periods that pre-fill each year, and yearly
//! notices (thông báo lịch nghỉ) that override the pre-filled year.
//!
//! Both are JSON documents (see `docs/calendar.md`); the bundled ones live in `data/calendar/`
//! and are compiled in with `include_str!`, so the library never reads files.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::error::CalendarError;
use super::lunar::{self, LunarDate};

/// Format tag of a rule-set document.
pub const RULES_FORMAT: &str = "cqdt.calendar.rules/1";
/// Format tag of a yearly notice document.
pub const NOTICE_FORMAT: &str = "cqdt.calendar.notice/1";

/// How a day is treated by the working calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary working day (Monday–Friday).
    Working,
    /// Saturday or Sunday.
    WeeklyRest,
    /// A public holiday (ngày nghỉ lễ, tết), possibly on a weekend.
    Holiday,
    /// A compensatory day off for a holiday that fell on a weekly rest day (nghỉ bù).
    Compensatory,
    /// A working day given off in exchange for a weekend day worked (nghỉ hoán đổi).
    SwappedOff,
    /// A weekend day worked in exchange for a day off (làm bù).
    SwappedWorking,
}

impl DayKind {
    /// Whether offices work on such a day.
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Working | DayKind::SwappedWorking)
    }
}

/// A day that differs from the plain Monday–Friday week, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayEntry {
    /// The date.
    pub date: NaiveDate,
    /// What kind of day it is.
    pub kind: DayKind,
    /// Vietnamese name of the holiday or reason, e.g. "Tết Nguyên đán".
    pub name: String,
}

// ---------------------------------------------------------------------------------------------
// Rules

/// When a holiday falls, as a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleDate {
    /// A fixed Gregorian day, one day off.
    Solar {
        /// Month 1–12.
        month: u32,
        /// Day of month.
        day: u32,
    },
    /// A fixed day of a (non-leap) lunar month, one day off.
    Lunar {
        /// Lunar month 1–12.
        month: u8,
        /// Lunar day 1–30.
        day: u8,
    },
    /// Tết Nguyên đán: the last `days_before` days of the old lunar year and the first
    /// `days_after` days of the new one (mùng 1 included).
    LunarNewYear {
        /// Days before mùng 1.
        days_before: u8,
        /// Days from mùng 1.
        days_after: u8,
    },
    /// A fixed Gregorian day plus one adjacent day (Quốc khánh since 2021). The adjacent day is
    /// fixed by the yearly notice; the pre-fill picks the one that bridges to a weekend:
    /// the day after when the holiday is on a Monday, Thursday or Sunday, the day before
    /// otherwise (2021: 3/9, 2022: 1/9, 2023: 1/9, 2024: 3/9, 2025: 1/9, 2026: 1/9).
    SolarWithAdjacent {
        /// Month 1–12.
        month: u32,
        /// Day of month.
        day: u32,
    },
}

/// One holiday rule with the period in which it is law.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayRule {
    /// Stable code, e.g. `tet_nguyen_dan`.
    pub code: String,
    /// Vietnamese name, e.g. "Tết Nguyên đán".
    pub name: String,
    /// When it falls.
    pub date: RuleDate,
    /// First day the rule applies (by the holiday's main date), if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day the rule applies, if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    /// The legal text, e.g. "Bộ luật Lao động 2019, Điều 112".
    pub legal_basis: String,
}

impl HolidayRule {
    fn applies_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| date >= f) && self.valid_until.is_none_or(|u| date <= u)
    }
}

/// A set of holiday rules (the law), versioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Always [`RULES_FORMAT`].
    pub format: String,
    /// Version of the rule set, e.g. "2021.1".
    pub version: String,
    /// Whether a holiday on a weekly rest day gives a compensatory day on the next working day
    /// (Bộ luật Lao động 2019, Điều 111.3; 2012, Điều 110.3).
    pub compensate_weekend_holidays: bool,
    /// The rules.
    pub rules: Vec<HolidayRule>,
}

impl RuleSet {
    /// Parses and validates a rule-set document.
    pub fn parse(json: &str) -> Result<RuleSet, CalendarError> {
        let mut set: RuleSet = serde_json::from_str(json).map_err(|e| CalendarError::Parse {
            what: "rules".into(),
            message: e.to_string(),
        })?;
        if set.format != RULES_FORMAT {
            return Err(CalendarError::Parse {
                what: "rules".into(),
                message: format!("format must be {RULES_FORMAT}"),
            });
        }
        for rule in &mut set.rules {
            rule.name = rule.name.nfc().collect();
            rule.legal_basis = rule.legal_basis.nfc().collect();
            let bad = |reason: &str| CalendarError::InvalidRule {
                code: rule.code.clone(),
                reason: reason.to_string(),
            };
            match rule.date {
                RuleDate::Solar { month, day } | RuleDate::SolarWithAdjacent { month, day } => {
                    if NaiveDate::from_ymd_opt(2000, month, day).is_none() {
                        return Err(bad("no such day"));
                    }
                }
                RuleDate::Lunar { month, day } => {
                    if !(1..=12).contains(&month) || !(1..=29).contains(&day) {
                        return Err(bad("lunar month 1–12 and day 1–29 only"));
                    }
                }
                RuleDate::LunarNewYear {
                    days_before,
                    days_after,
                } => {
                    if days_before > 3 || days_after == 0 || days_after > 10 {
                        return Err(bad("implausible Tết length"));
                    }
                }
            }
        }
        Ok(set)
    }

    /// The rule set compiled into the binary (`data/calendar/rules-vn.json`).
    pub fn bundled() -> Result<RuleSet, CalendarError> {
        RuleSet::parse(include_str!("../../../../data/calendar/rules-vn.json"))
    }

    /// The holidays that the rules give in Gregorian year `year`, with compensatory days.
    pub fn prefill(&self, year: i32) -> Result<Vec<DayEntry>, CalendarError> {
        let mut holidays: Vec<DayEntry> = Vec::new();
        let holiday = |date: NaiveDate, name: &str| DayEntry {
            date,
            kind: DayKind::Holiday,
            name: name.to_string(),
        };
        for rule in &self.rules {
            let bad = |reason: &str| CalendarError::InvalidRule {
                code: rule.code.clone(),
                reason: reason.to_string(),
            };
            match rule.date {
                RuleDate::Solar { month, day } => {
                    let d = NaiveDate::from_ymd_opt(year, month, day)
                        .ok_or_else(|| bad("no such day"))?;
                    if rule.applies_on(d) {
                        holidays.push(holiday(d, &rule.name));
                    }
                }
                RuleDate::SolarWithAdjacent { month, day } => {
                    let d = NaiveDate::from_ymd_opt(year, month, day)
                        .ok_or_else(|| bad("no such day"))?;
                    if rule.applies_on(d) {
                        let adjacent = match d.weekday() {
                            Weekday::Mon | Weekday::Thu | Weekday::Sun => d.succ_opt(),
                            _ => d.pred_opt(),
                        }
                        .ok_or_else(|| bad("no adjacent day"))?;
                        holidays.push(holiday(d, &rule.name));
                        holidays.push(holiday(adjacent, &rule.name));
                    }
                }
                RuleDate::Lunar { month, day } => {
                    let d = lunar::lunar_to_solar(LunarDate::new(year, month, day))?;
                    if rule.applies_on(d) {
                        holidays.push(holiday(d, &rule.name));
                    }
                }
                RuleDate::LunarNewYear {
                    days_before,
                    days_after,
                } => {
                    let tet = lunar::tet(year)?;
                    if rule.applies_on(tet) {
                        let first = tet - chrono::Days::new(u64::from(days_before));
                        let count = u64::from(days_before) + u64::from(days_after);
                        for i in 0..count {
                            holidays.push(holiday(first + chrono::Days::new(i), &rule.name));
                        }
                    }
                }
            }
        }
        holidays.sort_by_key(|e| e.date);
        if !self.compensate_weekend_holidays {
            holidays.dedup_by_key(|e| e.date);
            return Ok(holidays);
        }
        // Every holiday instance that falls on a weekly rest day, or on a day that is already
        // a holiday, gives one compensatory day: the next Monday–Friday that is neither a
        // holiday nor already a compensatory day.
        let mut taken: std::collections::BTreeSet<NaiveDate> = std::collections::BTreeSet::new();
        let mut out: Vec<DayEntry> = Vec::new();
        let mut compensations: Vec<(NaiveDate, String)> = Vec::new();
        for h in &holidays {
            let weekend = matches!(h.date.weekday(), Weekday::Sat | Weekday::Sun);
            let duplicate = !taken.insert(h.date);
            if !duplicate {
                out.push(h.clone());
            }
            if weekend || duplicate {
                compensations.push((h.date, h.name.clone()));
            }
        }
        let mut comp_days: std::collections::BTreeSet<NaiveDate> =
            std::collections::BTreeSet::new();
        for (from, name) in compensations {
            let mut d = from;
            loop {
                d = d.succ_opt().ok_or(CalendarError::YearOutOfRange { year })?;
                let weekday = !matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
                if weekday && !taken.contains(&d) && !comp_days.contains(&d) {
                    break;
                }
            }
            comp_days.insert(d);
            out.push(DayEntry {
                date: d,
                kind: DayKind::Compensatory,
                name: format!("Nghỉ bù {name}"),
            });
        }
        out.sort_by_key(|e| e.date);
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Notices

/// How sure the content of a notice file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Every day off and swap was checked against the notice or its press coverage.
    Confirmed,
    /// Rebuilt from the law and secondary sources; check before relying on it.
    #[default]
    Reconstructed,
}

/// Why a working day is off, in a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffKind {
    /// A public holiday (may be a weekend day, listed for display).
    Holiday,
    /// A compensatory day for a holiday on a weekly rest day.
    Compensatory,
    /// A working day given off in exchange for a weekend day worked.
    Swapped,
}

impl From<OffKind> for DayKind {
    fn from(k: OffKind) -> DayKind {
        match k {
            OffKind::Holiday => DayKind::Holiday,
            OffKind::Compensatory => DayKind::Compensatory,
            OffKind::Swapped => DayKind::SwappedOff,
        }
    }
}

/// A day off listed in a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDayOff {
    /// The date.
    pub date: NaiveDate,
    /// Holiday, compensatory or swapped.
    pub kind: OffKind,
    /// Vietnamese name or reason.
    pub name: String,
}

/// A weekend day worked, listed in a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeWorkingDay {
    /// The date (a Saturday or Sunday).
    pub date: NaiveDate,
    /// Vietnamese reason, e.g. "Làm bù cho thứ Hai 29/4/2019".
    pub name: String,
    /// The working day given off in exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swapped_with: Option<NaiveDate>,
}

/// A yearly notice of the days off for civil servants, overriding the rules' pre-fill of
/// `year`. Dates may lie in the neighbouring years (the 2019 notice gives 31/12/2018 off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Always [`NOTICE_FORMAT`].
    pub format: String,
    /// The Gregorian year the notice covers.
    pub year: i32,
    /// Version of this file, e.g. "2019.1"; bump it on every edit.
    pub version: String,
    /// Legal reference, e.g. "Thông báo 3238/TB-LĐTBXH".
    pub legal_reference: String,
    /// Issuing body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
    /// Confirmed or reconstructed.
    #[serde(default)]
    pub status: NoticeStatus,
    /// Where the facts come from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Free notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// All days off of the year: holidays, compensatory days and swapped days.
    pub days_off: Vec<NoticeDayOff>,
    /// Weekend days worked.
    #[serde(default)]
    pub working_days: Vec<NoticeWorkingDay>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Notice {
    /// Parses a notice document, normalises its text to NFC and validates it.
    pub fn parse(json: &str) -> Result<Notice, CalendarError> {
        let mut n: Notice = serde_json::from_str(json).map_err(|e| CalendarError::Parse {
            what: "notice".into(),
            message: e.to_string(),
        })?;
        n.normalize();
        n.validate()?;
        Ok(n)
    }

    fn normalize(&mut self) {
        let nfc = |s: &mut String| *s = s.nfc().collect();
        nfc(&mut self.version);
        nfc(&mut self.legal_reference);
        if let Some(s) = self.issued_by.as_mut() {
            nfc(s);
        }
        if let Some(s) = self.notes.as_mut() {
            nfc(s);
        }
        self.sources.iter_mut().for_each(nfc);
        self.days_off.iter_mut().for_each(|d| nfc(&mut d.name));
        self.working_days.iter_mut().for_each(|d| nfc(&mut d.name));
        self.days_off.sort_by_key(|d| d.date);
        self.working_days.sort_by_key(|d| d.date);
    }

    /// Checks the rules every notice must follow.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let bad = |reason: String| CalendarError::InvalidNotice {
            year: self.year,
            reason,
        };
        if self.format != NOTICE_FORMAT {
            return Err(bad(format!("format must be {NOTICE_FORMAT}")));
        }
        if !(lunar::FIRST_YEAR..=lunar::LAST_YEAR).contains(&self.year) {
            return Err(CalendarError::YearOutOfRange { year: self.year });
        }
        if self.version.trim().is_empty() {
            return Err(bad("version is empty".into()));
        }
        if self.legal_reference.trim().is_empty() {
            return Err(bad("legal_reference is empty".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in &self.days_off {
            if (d.date.year() - self.year).abs() > 1 {
                return Err(bad(format!("{} is too far from the notice's year", d.date)));
            }
            if d.name.trim().is_empty() {
                return Err(bad(format!("{} has no name", d.date)));
            }
            if d.kind != OffKind::Holiday && is_weekend(d.date) {
                return Err(bad(format!(
                    "{} is a weekend day; only holidays may fall on one",
                    d.date
                )));
            }
            if !seen.insert(d.date) {
                return Err(bad(format!("{} is listed twice", d.date)));
            }
        }
        for w in &self.working_days {
            if (w.date.year() - self.year).abs() > 1 {
                return Err(bad(format!("{} is too far from the notice's year", w.date)));
            }
            if !is_weekend(w.date) {
                return Err(bad(format!(
                    "{} is worked but is not a Saturday or Sunday",
                    w.date
                )));
            }
            if !seen.insert(w.date) {
                return Err(bad(format!("{} is listed twice", w.date)));
            }
            if let Some(s) = w.swapped_with {
                let ok = self
                    .days_off
                    .iter()
                    .any(|d| d.date == s && d.kind == OffKind::Swapped);
                if !ok {
                    return Err(bad(format!(
                        "{} is swapped with {s}, which is not a swapped day off",
                        w.date
                    )));
                }
            }
        }
        Ok(())
    }

    /// The notice's days as calendar entries.
    pub fn entries(&self) -> Vec<DayEntry> {
        let mut v: Vec<DayEntry> = self
            .days_off
            .iter()
            .map(|d| DayEntry {
                date: d.date,
                kind: d.kind.into(),
                name: d.name.clone(),
            })
            .chain(self.working_days.iter().map(|w| DayEntry {
                date: w.date,
                kind: DayKind::SwappedWorking,
                name: w.name.clone(),
            }))
            .collect();
        v.sort_by_key(|e| e.date);
        v
    }

    /// Serialises the notice as pretty JSON (the file format).
    pub fn to_json(&self) -> Result<String, CalendarError> {
        serde_json::to_string_pretty(self).map_err(|e| CalendarError::Parse {
            what: "notice".into(),
            message: e.to_string(),
        })
    }
}

/// The notices compiled into the binary (`data/calendar/vn-YYYY.json`).
pub fn bundled_notices() -> Result<Vec<Notice>, CalendarError> {
    const FILES: [&str; 8] = [
        include_str!("../../../../data/calendar/vn-2019.json"),
        include_str!("../../../../data/calendar/vn-2020.json"),
        include_str!("../../../../data/calendar/vn-2021.json"),
        include_str!("../../../../data/calendar/vn-2022.json"),
        include_str!("../../../../data/calendar/vn-2023.json"),
        include_str!("../../../../data/calendar/vn-2024.json"),
        include_str!("../../../../data/calendar/vn-2025.json"),
        include_str!("../../../../data/calendar/vn-2026.json"),
    ];
    FILES.iter().map(|f| Notice::parse(f)).collect()
}
