//! The Vietnamese lunisolar calendar (âm lịch), computed from the astronomical rules.
//!
//! Rules (the same as the modern Chinese calendar, applied in the local time zone):
//!
//! 1. A month begins on the local calendar day that contains a true new moon
//!    ([`astro::new_moon_jde`]).
//! 2. Month 11 is the month that contains the December solstice (apparent solar longitude 270°).
//! 3. When 13 months begin between two consecutive months 11, the first of them (after month
//!    11) that contains no principal solar term (trung khí, a multiple of 30° of solar longitude)
//!    is a leap month (tháng nhuận); it takes the number of the month before it.
//! 4. The lunar year begins with month 1 (Tết Nguyên đán); months 11 and 12 belong to the lunar
//!    year that began before them.
//!
//! Days are local days in a fixed time zone ([`Zone`]): Vietnam uses UTC+7, China UTC+8, which is
//! why Tết differs in some years (1985, 2007, 2030).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::astro;
use super::error::CalendarError;

/// First Gregorian year the lunar conversion is validated for.
pub const FIRST_YEAR: i32 = 1900;
/// Last Gregorian year the lunar conversion is validated for.
pub const LAST_YEAR: i32 = 2199;

/// A fixed time-zone offset, in minutes east of UTC, used to decide on which local day a new moon
/// or a solar term falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Zone {
    minutes_east: i32,
}

impl Zone {
    /// Vietnam, UTC+7 (Asia/Ho_Chi_Minh; no daylight saving time).
    pub const VIETNAM: Zone = Zone { minutes_east: 420 };
    /// China, UTC+8, for comparison only.
    pub const CHINA: Zone = Zone { minutes_east: 480 };

    /// A zone from its offset in minutes east of UTC (−14 h to +14 h).
    pub fn from_minutes_east(minutes_east: i32) -> Result<Zone, CalendarError> {
        if (-14 * 60..=14 * 60).contains(&minutes_east) {
            Ok(Zone { minutes_east })
        } else {
            Err(CalendarError::InvalidZone { minutes_east })
        }
    }

    /// Offset in minutes east of UTC.
    pub fn minutes_east(self) -> i32 {
        self.minutes_east
    }

    fn days(self) -> f64 {
        f64::from(self.minutes_east) / 1440.0
    }
}

/// A date in the lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LunarDate {
    /// Lunar year, numbered as the Gregorian year in which it begins (Tết 2019 starts 2019).
    pub year: i32,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–30.
    pub day: u8,
    /// True for a day of a leap month (tháng nhuận).
    pub leap: bool,
}

impl LunarDate {
    /// A regular (non-leap) lunar date.
    pub fn new(year: i32, month: u8, day: u8) -> LunarDate {
        LunarDate {
            year,
            month,
            day,
            leap: false,
        }
    }

    /// A lunar date in a leap month.
    pub fn new_leap(year: i32, month: u8, day: u8) -> LunarDate {
        LunarDate {
            year,
            month,
            day,
            leap: true,
        }
    }
}

impl std::fmt::Display for LunarDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}{}/{}",
            self.day,
            self.month,
            if self.leap { "N" } else { "" },
            self.year
        )
    }
}

/// One lunar month: its number, whether it is a leap month, its first day and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LunarMonth {
    /// Lunar year the month belongs to.
    pub year: i32,
    /// Month number 1–12.
    pub month: u8,
    /// Leap month (tháng nhuận).
    pub leap: bool,
    /// Gregorian date of day 1 (mùng 1).
    pub start: NaiveDate,
    /// 29 (tháng thiếu) or 30 (tháng đủ).
    pub length: u8,
}

/// A lunar year: its months from month 1 to the last month 12 (13 months with a leap month).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LunarYear {
    /// The lunar year (= the Gregorian year of its Tết).
    pub year: i32,
    /// Day 1 of month 1.
    pub tet: NaiveDate,
    /// The last day of the year (the eve of the next Tết, "30 Tết" or "29 Tết").
    pub last_day: NaiveDate,
    /// Number of the leap month, if the year has one.
    pub leap_month: Option<u8>,
    /// The months in order.
    pub months: Vec<LunarMonth>,
}

// ---------------------------------------------------------------------------------------------
// Day numbers

/// Julian day number (the day starting at local midnight; JDN 2451545 = 2000-01-01).
pub(crate) fn jdn(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) + 1_721_425
}

pub(crate) fn date_from_jdn(jdn: i64) -> Option<NaiveDate> {
    i32::try_from(jdn - 1_721_425)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

fn date_or_err(jdn: i64) -> Result<NaiveDate, CalendarError> {
    date_from_jdn(jdn).ok_or(CalendarError::YearOutOfRange {
        year: ((jdn - 1_721_425) as f64 / 365.2425) as i32 + 1,
    })
}

/// Local day number on which the new moon of lunation `k` falls.
pub(crate) fn new_moon_day(k: i64, zone: Zone) -> i64 {
    let ut = astro::jde_to_ut(astro::new_moon_jde(k));
    (ut + 0.5 + zone.days()).floor() as i64
}

/// Sector (0–11, 30° each) of the apparent solar longitude at the local midnight that starts
/// day `day`. A principal term falls on day `d` exactly when the sector at the start of `d + 1`
/// differs from the sector at the start of `d`.
pub(crate) fn sun_sector_at_day_start(day: i64, zone: Zone) -> u8 {
    let ut = day as f64 - 0.5 - zone.days();
    let lon = astro::sun_apparent_longitude(astro::ut_to_jde(ut));
    ((lon / 30.0).floor() as i64).rem_euclid(12) as u8
}

/// Lunation number and first day of the month 11 that contains the December solstice of
/// Gregorian year `year`.
pub(crate) fn month11(year: i32, zone: Zone) -> (i64, i64) {
    let dec31 = jdn_of(year, 12, 31);
    let mut k = astro::lunation_near(dec31 as f64);
    while new_moon_day(k, zone) > dec31 {
        k -= 1;
    }
    while new_moon_day(k + 1, zone) <= dec31 {
        k += 1;
    }
    // The month starting on or before 31 December contains the solstice unless the solstice
    // happened before its first day (longitude already ≥ 270° at its start).
    let start = new_moon_day(k, zone);
    if sun_sector_at_day_start(start, zone) >= 9 {
        (k - 1, new_moon_day(k - 1, zone))
    } else {
        (k, start)
    }
}

fn jdn_of(year: i32, month: u32, day: u32) -> i64 {
    // Day arithmetic without chrono (works for any year): Fliegel & Van Flandern.
    let (y, m, d) = (i64::from(year), i64::from(month), i64::from(day));
    let a = (14 - m) / 12;
    let yy = y + 4800 - a;
    let mm = m + 12 * a - 3;
    d + (153 * mm + 2) / 5 + 365 * yy + yy / 4 - yy / 100 + yy / 400 - 32_045
}

/// The months of one "suì": from the month 11 containing the December solstice of `year − 1`
/// (inclusive) to the month 11 of `year` (exclusive).
#[derive(Debug, Clone)]
pub(crate) struct Sui {
    /// (lunar year, month, leap, first day number)
    pub months: Vec<(i32, u8, bool, i64)>,
    /// First day of the next month 11.
    pub end: i64,
}

pub(crate) fn sui(year: i32, zone: Zone) -> Sui {
    let (ka, _) = month11(year - 1, zone);
    let (kb, end) = month11(year, zone);
    let count = (kb - ka) as usize;
    let starts: Vec<i64> = (0..=count)
        .map(|i| new_moon_day(ka + i as i64, zone))
        .collect();
    let leap_index = if count == 13 {
        let sectors: Vec<u8> = starts
            .iter()
            .skip(1)
            .map(|&d| sun_sector_at_day_start(d, zone))
            .collect();
        // sectors[j] is the sector at the start of month j + 1.
        (1..=12).find(|&i| sectors[i - 1] == sectors[i])
    } else {
        None
    };
    let mut months = Vec::with_capacity(count);
    let mut number: u8 = 11;
    let mut lunar_year = year - 1;
    for (i, &start) in starts.iter().take(count).enumerate() {
        let leap = leap_index == Some(i);
        if i > 0 && !leap {
            number = if number == 12 { 1 } else { number + 1 };
            if number == 1 {
                lunar_year = year;
            }
        }
        months.push((lunar_year, number, leap, start));
    }
    Sui { months, end }
}

fn check_date(date: NaiveDate) -> Result<(), CalendarError> {
    let y = date.year();
    if (FIRST_YEAR..=LAST_YEAR).contains(&y) {
        Ok(())
    } else {
        Err(CalendarError::YearOutOfRange { year: y })
    }
}

fn check_year(year: i32) -> Result<(), CalendarError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(CalendarError::YearOutOfRange { year })
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions computed directly from the formulas

/// Converts a Gregorian date to the Vietnamese lunar calendar (UTC+7).
pub fn solar_to_lunar(date: NaiveDate) -> Result<LunarDate, CalendarError> {
    solar_to_lunar_in(date, Zone::VIETNAM)
}

/// Converts a Gregorian date to the lunar calendar of the given time zone.
pub fn solar_to_lunar_in(date: NaiveDate, zone: Zone) -> Result<LunarDate, CalendarError> {
    check_date(date)?;
    let day = jdn(date);
    let (_, m11) = month11(date.year(), zone);
    let s = if day >= m11 {
        sui(date.year() + 1, zone)
    } else {
        sui(date.year(), zone)
    };
    let idx = s.months.partition_point(|m| m.3 <= day);
    let (year, month, leap, start) = *s
        .months
        .get(idx.wrapping_sub(1))
        .ok_or(CalendarError::YearOutOfRange { year: date.year() })?;
    Ok(LunarDate {
        year,
        month,
        day: (day - start + 1) as u8,
        leap,
    })
}

/// Converts a Vietnamese lunar date (UTC+7) to the Gregorian calendar.
pub fn lunar_to_solar(date: LunarDate) -> Result<NaiveDate, CalendarError> {
    lunar_to_solar_in(date, Zone::VIETNAM)
}

/// Converts a lunar date of the given time zone to the Gregorian calendar.
///
/// Lunar years 1899 to 2199 are accepted as long as the date falls in 1900–2199 (the last
/// months of lunar 1899 are January 1900).
pub fn lunar_to_solar_in(date: LunarDate, zone: Zone) -> Result<NaiveDate, CalendarError> {
    check_lunar_year(date.year)?;
    let y = lunar_year_unchecked(date.year, zone)?;
    let month = y
        .months
        .iter()
        .find(|m| m.month == date.month && m.leap == date.leap)
        .ok_or(CalendarError::InvalidLunarDate { date })?;
    if date.day == 0 || date.day > month.length {
        return Err(CalendarError::InvalidLunarDate { date });
    }
    let solar = month.start + chrono::Days::new(u64::from(date.day - 1));
    check_date(solar)?;
    Ok(solar)
}

fn check_lunar_year(year: i32) -> Result<(), CalendarError> {
    if (FIRST_YEAR - 1..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(CalendarError::YearOutOfRange { year })
    }
}

/// Tết Nguyên đán (1/1 lunar) of a Gregorian year, in Vietnam.
pub fn tet(year: i32) -> Result<NaiveDate, CalendarError> {
    tet_in(year, Zone::VIETNAM)
}

/// Day 1 of month 1 of the lunar year starting in Gregorian `year`, in the given zone.
pub fn tet_in(year: i32, zone: Zone) -> Result<NaiveDate, CalendarError> {
    check_year(year)?;
    let s = sui(year, zone);
    let first = s
        .months
        .iter()
        .find(|m| m.1 == 1 && !m.2)
        .ok_or(CalendarError::YearOutOfRange { year })?;
    date_or_err(first.3)
}

/// Giỗ Tổ Hùng Vương (10/3 lunar) of a Gregorian year, in Vietnam.
pub fn gio_to_hung_vuong(year: i32) -> Result<NaiveDate, CalendarError> {
    lunar_to_solar(LunarDate::new(year, 3, 10))
}

/// The months of lunar year `year` (Vietnam).
pub fn lunar_year(year: i32) -> Result<LunarYear, CalendarError> {
    lunar_year_in(year, Zone::VIETNAM)
}

/// The months of lunar year `year` in the given zone.
pub fn lunar_year_in(year: i32, zone: Zone) -> Result<LunarYear, CalendarError> {
    check_year(year)?;
    lunar_year_unchecked(year, zone)
}

fn lunar_year_unchecked(year: i32, zone: Zone) -> Result<LunarYear, CalendarError> {
    let a = sui(year, zone);
    let b = sui(year + 1, zone);
    let mut all: Vec<(i32, u8, bool, i64)> = a.months.clone();
    all.extend(b.months.iter().copied());
    let ends: Vec<i64> = all
        .iter()
        .skip(1)
        .map(|m| m.3)
        .chain(std::iter::once(b.end))
        .collect();
    let mut months = Vec::with_capacity(13);
    for (m, end) in all.iter().zip(ends) {
        if m.0 == year {
            months.push(LunarMonth {
                year,
                month: m.1,
                leap: m.2,
                start: date_or_err(m.3)?,
                length: (end - m.3) as u8,
            });
        }
    }
    let first = months
        .first()
        .ok_or(CalendarError::YearOutOfRange { year })?;
    let last = months
        .last()
        .ok_or(CalendarError::YearOutOfRange { year })?;
    let tet = first.start;
    let last_day = last.start + chrono::Days::new(u64::from(last.length) - 1);
    let leap_month = months.iter().find(|m| m.leap).map(|m| m.month);
    Ok(LunarYear {
        year,
        tet,
        last_day,
        leap_month,
        months,
    })
}

// ---------------------------------------------------------------------------------------------
// Precomputed table

/// All lunar months of a zone from 1900 to 2199, precomputed for fast conversions
/// (a binary search over about 3,700 month starts).
#[derive(Debug, Clone)]
pub struct LunarTable {
    zone: Zone,
    /// (first day number, lunar year, month, leap), sorted by first day.
    months: Vec<(i64, i32, u8, bool)>,
    /// First day after the last month.
    end: i64,
}

impl LunarTable {
    /// Builds the table for Vietnam (UTC+7).
    pub fn vietnam() -> LunarTable {
        LunarTable::new(Zone::VIETNAM)
    }

    /// Builds the table for the given zone, covering solar dates 1900-01-01 to 2199-12-31.
    pub fn new(zone: Zone) -> LunarTable {
        let mut months = Vec::with_capacity(3_720);
        let mut end = 0;
        for y in FIRST_YEAR..=LAST_YEAR + 1 {
            let s = sui(y, zone);
            months.extend(
                s.months
                    .iter()
                    .map(|&(ly, m, leap, start)| (start, ly, m, leap)),
            );
            end = s.end;
        }
        LunarTable { zone, months, end }
    }

    /// The zone the table was computed for.
    pub fn zone(&self) -> Zone {
        self.zone
    }

    /// Converts a Gregorian date to a lunar date.
    pub fn solar_to_lunar(&self, date: NaiveDate) -> Result<LunarDate, CalendarError> {
        check_date(date)?;
        let day = jdn(date);
        if day >= self.end {
            return Err(CalendarError::YearOutOfRange { year: date.year() });
        }
        let idx = self.months.partition_point(|m| m.0 <= day);
        let &(start, year, month, leap) = self
            .months
            .get(idx.wrapping_sub(1))
            .ok_or(CalendarError::YearOutOfRange { year: date.year() })?;
        Ok(LunarDate {
            year,
            month,
            day: (day - start + 1) as u8,
            leap,
        })
    }

    /// Converts a lunar date to a Gregorian date.
    pub fn lunar_to_solar(&self, date: LunarDate) -> Result<NaiveDate, CalendarError> {
        check_lunar_year(date.year)?;
        let first = self.months.partition_point(|m| m.1 < date.year);
        let idx = self.months[first..]
            .iter()
            .take(14)
            .position(|m| m.1 == date.year && m.2 == date.month && m.3 == date.leap)
            .map(|i| i + first)
            .ok_or(CalendarError::InvalidLunarDate { date })?;
        let start = self.months[idx].0;
        let next = self.months.get(idx + 1).map_or(self.end, |m| m.0);
        if date.day == 0 || i64::from(date.day) > next - start {
            return Err(CalendarError::InvalidLunarDate { date });
        }
        let solar = date_or_err(start + i64::from(date.day) - 1)?;
        check_date(solar)?;
        Ok(solar)
    }
}
