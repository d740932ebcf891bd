//! The lunar calendar: the table of standards.md §8.2, Vietnam vs China, conversions, and a
//! comparison with the independent computation for 1900–2100.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use cqdt_domain::calendar::*;

use super::independent::{self, Scanned};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn from_jdn(j: i64) -> NaiveDate {
    let (y, m, d) = independent::ymd(j);
    date(y, m, d)
}

static SCAN: LazyLock<Scanned> = LazyLock::new(|| Scanned::new(1899, 2101, 420));
static TABLE: LazyLock<LunarTable> = LazyLock::new(LunarTable::vietnam);

#[test]
fn standards_table_2019_2030() {
    // standards.md §8.2: year, Tết, weekday, last day of the year, 12th month length, Giỗ Tổ,
    // weekday.
    use Weekday::*;
    let table = [
        (2019, (2, 5), Tue, (2, 4), 30, (4, 14), Sun),
        (2020, (1, 25), Sat, (1, 24), 30, (4, 2), Thu),
        (2021, (2, 12), Fri, (2, 11), 30, (4, 21), Wed),
        (2022, (2, 1), Tue, (1, 31), 29, (4, 10), Sun),
        (2023, (1, 22), Sun, (1, 21), 30, (4, 29), Sat),
        (2024, (2, 10), Sat, (2, 9), 30, (4, 18), Thu),
        (2025, (1, 29), Wed, (1, 28), 29, (4, 7), Mon),
        (2026, (2, 17), Tue, (2, 16), 29, (4, 26), Sun),
        (2027, (2, 6), Sat, (2, 5), 29, (4, 16), Fri),
        (2028, (1, 26), Wed, (1, 25), 29, (4, 4), Tue),
        (2029, (2, 13), Tue, (2, 12), 29, (4, 23), Mon),
        (2030, (2, 2), Sat, (2, 1), 29, (4, 12), Fri),
    ];
    for (y, t, tw, eve, len12, g, gw) in table {
        let tet_day = tet(y).unwrap();
        assert_eq!(tet_day, date(y, t.0, t.1), "Tết {y}");
        assert_eq!(tet_day.weekday(), tw, "weekday of Tết {y}");
        let previous = lunar_year(y - 1).unwrap();
        assert_eq!(previous.last_day, date(y, eve.0, eve.1), "eve of Tết {y}");
        let month12 = previous
            .months
            .iter()
            .rev()
            .find(|m| m.month == 12 && !m.leap)
            .unwrap();
        assert_eq!(month12.length, len12, "length of month 12 before Tết {y}");
        let gt = gio_to_hung_vuong(y).unwrap();
        assert_eq!(gt, date(y, g.0, g.1), "Giỗ Tổ {y}");
        assert_eq!(gt.weekday(), gw, "weekday of Giỗ Tổ {y}");
    }
}

#[test]
fn leap_months_of_standards_table() {
    for (y, leap) in [
        (2019, None),
        (2020, Some(4)),
        (2023, Some(2)),
        (2024, None),
        (2025, Some(6)),
        (2028, Some(5)),
    ] {
        assert_eq!(lunar_year(y).unwrap().leap_month, leap, "leap month of {y}");
    }
    // A leap year has 13 months, 383–385 days; a common year 12 months, 353–355 days.
    for y in 1900..=2199 {
        let ly = lunar_year(y).unwrap();
        let days: u32 = ly.months.iter().map(|m| u32::from(m.length)).sum();
        if ly.leap_month.is_some() {
            assert_eq!(ly.months.len(), 13, "{y}");
            assert!((383..=385).contains(&days), "{y}: {days} days");
        } else {
            assert_eq!(ly.months.len(), 12, "{y}");
            assert!((353..=355).contains(&days), "{y}: {days} days");
        }
        assert!(
            ly.months.iter().all(|m| m.length == 29 || m.length == 30),
            "{y}"
        );
    }
}

#[test]
fn vietnam_and_china_differ_in_1985_2007_2030() {
    for (y, vn, cn) in [
        (1985, (1, 21), (2, 20)),
        (2007, (2, 17), (2, 18)),
        (2030, (2, 2), (2, 3)),
    ] {
        assert_eq!(
            tet_in(y, Zone::VIETNAM).unwrap(),
            date(y, vn.0, vn.1),
            "Vietnam {y}"
        );
        assert_eq!(
            tet_in(y, Zone::CHINA).unwrap(),
            date(y, cn.0, cn.1),
            "China {y}"
        );
    }
    // And they agree in an ordinary year.
    assert_eq!(tet_in(2019, Zone::CHINA).unwrap(), tet(2019).unwrap());
}

#[test]
fn tet_and_gio_to_1900_2100_match_the_independent_computation() {
    let years = SCAN.years();
    for y in 1900..=2100 {
        let facts = years.get(&y).unwrap_or_else(|| panic!("no scan for {y}"));
        assert_eq!(
            tet(y).unwrap(),
            from_jdn(facts.tet),
            "Tết {y} (closest event of the year {:.1} min from midnight)",
            facts.min_margin_minutes
        );
        assert_eq!(
            gio_to_hung_vuong(y).unwrap(),
            from_jdn(facts.month3) + chrono::Days::new(9),
            "Giỗ Tổ {y} (closest event of the year {:.1} min from midnight)",
            facts.min_margin_minutes
        );
        let leap = lunar_year(y).unwrap().leap_month;
        // The scan's suì ending in December `y` holds the leap months 1–10 of lunar year `y`.
        let leap_ind = facts.leap_in_sui.filter(|&m| m <= 10);
        assert_eq!(leap.filter(|&m| m <= 10), leap_ind, "leap month of {y}");
    }
}

#[test]
fn every_month_start_1900_2100_matches_unless_the_new_moon_is_within_two_minutes_of_midnight() {
    let mut close_calls = Vec::new();
    for nm in &SCAN.new_moons {
        let d = from_jdn(nm.day);
        if !(1900..=2100).contains(&d.year()) {
            continue;
        }
        let l = TABLE.solar_to_lunar(d).unwrap();
        if l.day != 1 {
            assert!(
                nm.margin_minutes < 2.0,
                "month start {d}: library says {l}, margin {:.1} min",
                nm.margin_minutes
            );
            close_calls.push(d);
        }
    }
    // The known close calls (new moon less than a minute from local midnight).
    assert!(close_calls.len() <= 5, "{close_calls:?}");
}

#[test]
fn conversions_round_trip_every_day_1900_2199() {
    let mut d = date(1900, 1, 1);
    let mut previous: Option<LunarDate> = None;
    while d <= date(2199, 12, 31) {
        let l = TABLE.solar_to_lunar(d).unwrap();
        assert_eq!(TABLE.lunar_to_solar(l).unwrap(), d, "{d} → {l}");
        if let Some(p) = previous {
            // Consecutive days: next day of the month, or day 1 of the next month.
            assert!(
                l.day == p.day + 1 || (l.day == 1 && (p.day == 29 || p.day == 30)),
                "{d}: {p} → {l}"
            );
        }
        previous = Some(l);
        d = d.succ_opt().unwrap();
    }
}

#[test]
fn formula_and_table_agree() {
    let mut d = date(1900, 1, 1);
    while d <= date(2199, 12, 31) {
        let l = solar_to_lunar(d).unwrap();
        assert_eq!(l, TABLE.solar_to_lunar(d).unwrap(), "{d}");
        assert_eq!(lunar_to_solar(l).unwrap(), d, "{l}");
        d = d + chrono::Days::new(97);
    }
}

#[test]
fn known_lunar_dates() {
    // 30 Tết 2019, 29 Tết 2022, a leap-month day of 2020 (leap month 4 starts 23/5/2020).
    assert_eq!(
        solar_to_lunar(date(2019, 2, 4)).unwrap(),
        LunarDate::new(2018, 12, 30)
    );
    assert_eq!(
        solar_to_lunar(date(2022, 1, 31)).unwrap(),
        LunarDate::new(2021, 12, 29)
    );
    assert_eq!(
        solar_to_lunar(date(2020, 5, 23)).unwrap(),
        LunarDate::new_leap(2020, 4, 1)
    );
    assert_eq!(
        lunar_to_solar(LunarDate::new_leap(2020, 4, 1)).unwrap(),
        date(2020, 5, 23)
    );
    assert_eq!(
        solar_to_lunar(date(2025, 4, 7)).unwrap(),
        LunarDate::new(2025, 3, 10)
    );
    assert_eq!(LunarDate::new_leap(2020, 4, 1).to_string(), "1/4N/2020");
}

#[test]
fn invalid_lunar_dates_and_ranges_are_errors() {
    // 2019 has no leap month; month 12 of lunar 2021 has 29 days.
    let e = lunar_to_solar(LunarDate::new_leap(2019, 4, 1)).unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_lunar_date");
    let e = lunar_to_solar(LunarDate::new(2021, 12, 30)).unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_lunar_date");
    assert!(lunar_to_solar(LunarDate::new(2021, 12, 29)).is_ok());
    assert_eq!(tet(1899).unwrap_err().code(), "calendar.year_out_of_range");
    assert_eq!(tet(2200).unwrap_err().code(), "calendar.year_out_of_range");
    assert!(tet(2199).is_ok());
    assert_eq!(
        solar_to_lunar(date(2200, 1, 1)).unwrap_err().code(),
        "calendar.year_out_of_range"
    );
    assert_eq!(
        TABLE.solar_to_lunar(date(1899, 12, 31)).unwrap_err().code(),
        "calendar.year_out_of_range"
    );
    assert_eq!(
        Zone::from_minutes_east(15 * 60).unwrap_err().code(),
        "calendar.invalid_zone"
    );
    assert_eq!(Zone::from_minutes_east(420).unwrap(), Zone::VIETNAM);
}
