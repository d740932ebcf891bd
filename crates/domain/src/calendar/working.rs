//! The working calendar: which days offices work, built from the holiday rules and the yearly
//! notices, with per-day tables (a prefix sum of working days) so that adding N working days
//! is O(1).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::CalendarError;
use super::holidays::{self, DayEntry, DayKind, Notice, NoticeStatus, RuleSet};
use super::lunar::{self, LunarDate};

/// Which data decided a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum YearSource {
    /// A yearly notice overrides the rules.
    Notice {
        /// Legal reference of the notice.
        legal_reference: String,
        /// Version of the notice file.
        version: String,
        /// Confirmed or reconstructed.
        status: NoticeStatus,
    },
    /// No notice: the rules' pre-fill (holidays and compensatory days; no swaps).
    Rules {
        /// Version of the rule set.
        version: String,
    },
}

/// One day of the calendar, for the year view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayInfo {
    /// The date.
    pub date: NaiveDate,
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// Kind of day.
    pub kind: DayKind,
    /// Whether offices work.
    pub working: bool,
    /// Holiday name or reason, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The lunar date (Vietnam, UTC+7).
    pub lunar: LunarDate,
}

/// A year of the working calendar: what `GET /api/v1/calendar/{year}` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearView {
    /// The Gregorian year.
    pub year: i32,
    /// Version of the whole calendar (see [`WorkingCalendar::version`]).
    pub calendar_version: String,
    /// Whether a notice or the rules decided this year.
    pub source: YearSource,
    /// Tết Nguyên đán (1/1 lunar) of this year.
    pub tet: NaiveDate,
    /// Giỗ Tổ Hùng Vương (10/3 lunar) of this year.
    pub gio_to_hung_vuong: NaiveDate,
    /// Leap month of the lunar year starting this year, if any.
    pub leap_month: Option<u8>,
    /// Number of working days in the year.
    pub working_days: u32,
    /// Holidays (including those on weekends), compensatory and swapped days off in the year.
    pub days_off: Vec<DayEntry>,
    /// Weekend days worked in exchange for a day off.
    pub working_weekend_days: Vec<DayEntry>,
    /// Every day of the year.
    pub days: Vec<DayInfo>,
}

/// The working calendar of Vietnamese civil servants for a range of years: Monday–Friday,
/// minus holidays, compensatory days and swapped days off, plus swapped working weekend days.
///
/// Built from a [`RuleSet`] and yearly [`Notice`]s; carries a version identifier (a hash of all
/// its data) that every computed deadline records.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    first_year: i32,
    last_year: i32,
    version: String,
    rules: RuleSet,
    notices: BTreeMap<i32, Notice>,
    entries: BTreeMap<NaiveDate, DayEntry>,
    /// `num_days_from_ce` of 1 January of `first_year`.
    first_ce: i32,
    /// Per day: kind.
    kinds: Vec<DayKind>,
    /// `cum[i]` = number of working days before day `i` (length = days + 1).
    cum: Vec<u32>,
    /// Day index of the k-th working day.
    wdays: Vec<u32>,
}

/// The default range of [`WorkingCalendar::vietnam_default`].
pub const DEFAULT_YEARS: std::ops::RangeInclusive<i32> = 2000..=2199;

impl WorkingCalendar {
    /// The bundled rules and notices for 2000–2199.
    pub fn vietnam_default() -> Result<WorkingCalendar, CalendarError> {
        WorkingCalendar::new(
            RuleSet::bundled()?,
            holidays::bundled_notices()?,
            DEFAULT_YEARS,
        )
    }

    /// Builds the calendar for `years` (within 1900–2199) from rules and notices. Notices for
    /// years outside the range are ignored; two notices for one year, or two notices that
    /// disagree about a date, are an error.
    pub fn new(
        rules: RuleSet,
        notices: Vec<Notice>,
        years: std::ops::RangeInclusive<i32>,
    ) -> Result<WorkingCalendar, CalendarError> {
        let (first_year, last_year) = (*years.start(), *years.end());
        for y in [first_year, last_year] {
            if !(lunar::FIRST_YEAR..=lunar::LAST_YEAR).contains(&y) {
                return Err(CalendarError::YearOutOfRange { year: y });
            }
        }
        if first_year > last_year {
            return Err(CalendarError::YearOutOfRange { year: first_year });
        }
        let first = NaiveDate::from_ymd_opt(first_year, 1, 1)
            .ok_or(CalendarError::YearOutOfRange { year: first_year })?;
        let last = NaiveDate::from_ymd_opt(last_year, 12, 31)
            .ok_or(CalendarError::YearOutOfRange { year: last_year })?;
        let in_range = |d: NaiveDate| d >= first && d <= last;

        let mut by_year: BTreeMap<i32, Notice> = BTreeMap::new();
        for n in notices {
            n.validate()?;
            if !years.contains(&n.year) {
                continue;
            }
            let year = n.year;
            if by_year.insert(year, n).is_some() {
                return Err(CalendarError::InvalidNotice {
                    year,
                    reason: "two notices for the same year".into(),
                });
            }
        }

        let mut entries: BTreeMap<NaiveDate, DayEntry> = BTreeMap::new();
        for y in years.clone() {
            if by_year.contains_key(&y) {
                continue;
            }
            for e in rules.prefill(y)? {
                // A notice of a neighbouring year may claim this date; it wins below.
                if in_range(e.date) {
                    entries.insert(e.date, e);
                }
            }
        }
        let mut claimed: BTreeMap<NaiveDate, i32> = BTreeMap::new();
        for n in by_year.values() {
            for e in n.entries() {
                if !in_range(e.date) {
                    continue;
                }
                if let Some(other) = claimed.insert(e.date, n.year)
                    && other != n.year
                {
                    return Err(CalendarError::NoticeConflict { date: e.date });
                }
                entries.insert(e.date, e);
            }
        }

        let first_ce = first.num_days_from_ce();
        let days = (last.num_days_from_ce() - first_ce + 1) as usize;
        let mut kinds = Vec::with_capacity(days);
        let mut cum = Vec::with_capacity(days + 1);
        let mut wdays = Vec::with_capacity(days * 5 / 7 + 8);
        let mut count: u32 = 0;
        let mut date = first;
        for i in 0..days {
            let kind = match entries.get(&date) {
                Some(e) => e.kind,
                None if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) => {
                    DayKind::WeeklyRest
                }
                None => DayKind::Working,
            };
            kinds.push(kind);
            cum.push(count);
            if kind.is_working() {
                wdays.push(i as u32);
                count += 1;
            }
            date = date.succ_opt().unwrap_or(date);
        }
        cum.push(count);

        let version =
            {
                let notices: Vec<&Notice> = by_year.values().collect();
                let payload = serde_json::to_vec(&(&rules, &notices, first_year, last_year))
                    .map_err(|e| CalendarError::Parse {
                        what: "calendar".into(),
                        message: e.to_string(),
                    })?;
                let digest = Sha256::digest(&payload);
                format!("cal-{}", &hex::encode(digest)[..16])
            };

        Ok(WorkingCalendar {
            first_year,
            last_year,
            version,
            rules,
            notices: by_year,
            entries,
            first_ce,
            kinds,
            cum,
            wdays,
        })
    }

    /// A new calendar with `notice` added, or replacing the notice of its year (admin edits).
    pub fn with_notice(&self, notice: Notice) -> Result<WorkingCalendar, CalendarError> {
        let mut notices: Vec<Notice> = self
            .notices
            .values()
            .filter(|n| n.year != notice.year)
            .cloned()
            .collect();
        notices.push(notice);
        WorkingCalendar::new(
            self.rules.clone(),
            notices,
            self.first_year..=self.last_year,
        )
    }

    /// A new calendar without the notice of `year` (the year falls back to the rules).
    pub fn without_notice(&self, year: i32) -> Result<WorkingCalendar, CalendarError> {
        let notices: Vec<Notice> = self
            .notices
            .values()
            .filter(|n| n.year != year)
            .cloned()
            .collect();
        WorkingCalendar::new(
            self.rules.clone(),
            notices,
            self.first_year..=self.last_year,
        )
    }

    /// The version identifier: `cal-` and the first 16 hex digits of the SHA-256 of the rules,
    /// the notices and the range. Any edit gives a new version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The years covered.
    pub fn years(&self) -> std::ops::RangeInclusive<i32> {
        self.first_year..=self.last_year
    }

    /// The holiday rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The notice of a year, if any.
    pub fn notice(&self, year: i32) -> Option<&Notice> {
        self.notices.get(&year)
    }

    /// All notices, by year.
    pub fn notices(&self) -> impl Iterator<Item = &Notice> {
        self.notices.values()
    }

    // --- fast internal accessors --------------------------------------------------------------

    #[inline]
    pub(crate) fn index_of(&self, date: NaiveDate) -> Option<usize> {
        let i = date.num_days_from_ce() - self.first_ce;
        if i >= 0 && (i as usize) < self.kinds.len() {
            Some(i as usize)
        } else {
            None
        }
    }

    #[inline]
    pub(crate) fn date_at(&self, index: usize) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.first_ce + index as i32).unwrap_or(NaiveDate::MIN)
    }

    #[inline]
    pub(crate) fn working_at(&self, index: usize) -> bool {
        self.kinds[index].is_working()
    }

    /// Working days strictly before day `index`.
    #[inline]
    pub(crate) fn cum_at(&self, index: usize) -> u32 {
        self.cum[index]
    }

    /// Day index of the working day with ordinal `k`.
    #[inline]
    pub(crate) fn working_day(&self, k: u64) -> Option<usize> {
        self.wdays
            .get(usize::try_from(k).ok()?)
            .map(|&i| i as usize)
    }

    /// The last date covered.
    pub fn last_date(&self) -> NaiveDate {
        self.date_at(self.kinds.len() - 1)
    }

    /// The first date covered.
    pub fn first_date(&self) -> NaiveDate {
        self.date_at(0)
    }

    // --- queries --------------------------------------------------------------------------------

    fn index(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        self.index_of(date)
            .ok_or(CalendarError::YearOutOfRange { year: date.year() })
    }

    /// Whether offices work on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.working_at(self.index(date)?))
    }

    /// The kind of `date`.
    pub fn day_kind(&self, date: NaiveDate) -> Result<DayKind, CalendarError> {
        Ok(self.kinds[self.index(date)?])
    }

    /// Number of working days in `[from, to]` (0 if `to < from`).
    pub fn working_days_in(&self, from: NaiveDate, to: NaiveDate) -> Result<u32, CalendarError> {
        if to < from {
            return Ok(0);
        }
        let (a, b) = (self.index(from)?, self.index(to)?);
        Ok(self.cum[b + 1] - self.cum[a])
    }

    /// The `n`-th working day after `date` (`n = 0`: `date` itself if it is a working day, else
    /// the next one).
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let i = self.index(date)?;
        let base = u64::from(self.cum[i]);
        let target = if self.working_at(i) || n == 0 {
            base + u64::from(n)
        } else {
            // Not a working day: the first working day after it is the 1st.
            base + u64::from(n) - 1
        };
        let j = self
            .working_day(target)
            .ok_or(CalendarError::YearOutOfRange {
                year: self.last_year + 1,
            })?;
        Ok(self.date_at(j))
    }

    /// Everything known about one day.
    pub fn day(&self, date: NaiveDate) -> Result<DayInfo, CalendarError> {
        let i = self.index(date)?;
        let kind = self.kinds[i];
        Ok(DayInfo {
            date,
            weekday: date.weekday().number_from_monday() as u8,
            kind,
            working: kind.is_working(),
            name: self.entries.get(&date).map(|e| e.name.clone()),
            lunar: lunar::solar_to_lunar(date)?,
        })
    }

    /// The year view (holidays, swaps, every day with its lunar date).
    pub fn year(&self, year: i32) -> Result<YearView, CalendarError> {
        if !self.years().contains(&year) {
            return Err(CalendarError::YearOutOfRange { year });
        }
        let first =
            NaiveDate::from_ymd_opt(year, 1, 1).ok_or(CalendarError::YearOutOfRange { year })?;
        let last =
            NaiveDate::from_ymd_opt(year, 12, 31).ok_or(CalendarError::YearOutOfRange { year })?;
        let source = match self.notices.get(&year) {
            Some(n) => YearSource::Notice {
                legal_reference: n.legal_reference.clone(),
                version: n.version.clone(),
                status: n.status,
            },
            None => YearSource::Rules {
                version: self.rules.version.clone(),
            },
        };
        // Lunar months overlapping the year: those of the lunar years year − 1 and year.
        let mut months = lunar::lunar_year(year - 1)
            .map(|y| y.months)
            .unwrap_or_default();
        let this = lunar::lunar_year(year)?;
        months.extend(this.months.iter().copied());
        let lunar_of = |d: NaiveDate| -> Option<LunarDate> {
            let m = months.iter().rev().find(|m| m.start <= d)?;
            let day = (d - m.start).num_days() as u8 + 1;
            Some(LunarDate {
                year: m.year,
                month: m.month,
                day,
                leap: m.leap,
            })
        };
        let mut days = Vec::with_capacity(366);
        let mut d = first;
        while d <= last {
            let i = self.index(d)?;
            let kind = self.kinds[i];
            let lunar = match lunar_of(d) {
                Some(l) => l,
                None => lunar::solar_to_lunar(d)?,
            };
            days.push(DayInfo {
                date: d,
                weekday: d.weekday().number_from_monday() as u8,
                kind,
                working: kind.is_working(),
                name: self.entries.get(&d).map(|e| e.name.clone()),
                lunar,
            });
            d = match d.succ_opt() {
                Some(n) => n,
                None => break,
            };
        }
        let in_year = self.entries.range(first..=last).map(|(_, e)| e);
        let days_off = in_year
            .clone()
            .filter(|e| !e.kind.is_working())
            .cloned()
            .collect();
        let working_weekend_days = in_year.filter(|e| e.kind.is_working()).cloned().collect();
        Ok(YearView {
            year,
            calendar_version: self.version.clone(),
            source,
            tet: this.tet,
            gio_to_hung_vuong: lunar::gio_to_hung_vuong(year)?,
            leap_month: this.leap_month,
            working_days: self.working_days_in(first, last)?,
            days_off,
            working_weekend_days,
            days,
        })
    }
}
