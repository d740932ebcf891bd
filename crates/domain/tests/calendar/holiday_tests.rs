//! Holiday rules, notices and the working calendar.

use chrono::{Datelike, NaiveDate, Weekday};
use cqdt_domain::calendar::*;

use super::CAL;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn off_days(entries: &[DayEntry]) -> Vec<(NaiveDate, DayKind)> {
    entries.iter().map(|e| (e.date, e.kind)).collect()
}

#[test]
fn bundled_rules_and_notices_parse() {
    let rules = RuleSet::bundled().unwrap();
    assert_eq!(rules.rules.len(), 8);
    let notices = bundled_notices().unwrap();
    let years: Vec<i32> = notices.iter().map(|n| n.year).collect();
    assert_eq!(years, (2019..=2026).collect::<Vec<_>>());
    for n in &notices {
        assert_eq!(n.status, NoticeStatus::Confirmed, "{}", n.year);
        // Re-serialising and parsing again gives the same notice.
        assert_eq!(Notice::parse(&n.to_json().unwrap()).unwrap(), *n);
    }
}

#[test]
fn prefill_2019_matches_the_law() {
    let rules = RuleSet::bundled().unwrap();
    let got = off_days(&rules.prefill(2019).unwrap());
    use DayKind::*;
    let want = vec![
        (date(2019, 1, 1), Holiday),
        // Tết: 30 tháng Chạp (4/2) and mùng 1–4 (5–8/2).
        (date(2019, 2, 4), Holiday),
        (date(2019, 2, 5), Holiday),
        (date(2019, 2, 6), Holiday),
        (date(2019, 2, 7), Holiday),
        (date(2019, 2, 8), Holiday),
        // Giỗ Tổ on Sunday 14/4 → Monday 15/4.
        (date(2019, 4, 14), Holiday),
        (date(2019, 4, 15), Compensatory),
        (date(2019, 4, 30), Holiday),
        (date(2019, 5, 1), Holiday),
        // One day of Quốc khánh under the 2012 Labour Code.
        (date(2019, 9, 2), Holiday),
    ];
    assert_eq!(got, want);
}

#[test]
fn prefill_2023_chains_compensatory_days() {
    // Giỗ Tổ Saturday 29/4, 30/4 Sunday, 1/5 Monday: compensatory Tuesday 2/5 and Wednesday
    // 3/5 (what the government announced). Quốc khánh Saturday 2/9 with 1/9: compensatory 4/9.
    let rules = RuleSet::bundled().unwrap();
    let p = rules.prefill(2023).unwrap();
    let comp: Vec<NaiveDate> = p
        .iter()
        .filter(|e| e.kind == DayKind::Compensatory)
        .map(|e| e.date)
        .collect();
    assert!(
        comp.contains(&date(2023, 5, 2)) && comp.contains(&date(2023, 5, 3)),
        "{comp:?}"
    );
    assert!(comp.contains(&date(2023, 9, 4)), "{comp:?}");
    assert!(
        comp.contains(&date(2023, 1, 2)),
        "Tết Dương lịch on Sunday: {comp:?}"
    );
    let qk: Vec<NaiveDate> = p
        .iter()
        .filter(|e| e.name == "Quốc khánh")
        .map(|e| e.date)
        .collect();
    assert_eq!(qk, vec![date(2023, 9, 1), date(2023, 9, 2)]);
}

#[test]
fn quoc_khanh_adjacent_day_follows_the_notices_of_2021_to_2026() {
    let rules = RuleSet::bundled().unwrap();
    let cases = [
        (2021, 3),
        (2022, 1),
        (2023, 1),
        (2024, 3),
        (2025, 1),
        (2026, 1),
    ];
    for (y, adjacent) in cases {
        let p = rules.prefill(y).unwrap();
        let days: Vec<u32> = p
            .iter()
            .filter(|e| e.name == "Quốc khánh")
            .map(|e| e.date.day())
            .collect();
        let mut want = vec![2, adjacent];
        want.sort();
        assert_eq!(days, want, "{y}");
        // And the notice agrees.
        let n = CAL.notice(y).unwrap();
        let mut nd: Vec<u32> = n
            .days_off
            .iter()
            .filter(|d| d.name == "Quốc khánh")
            .map(|d| d.date.day())
            .collect();
        nd.sort();
        assert_eq!(nd, want, "notice {y}");
    }
    // 2020 and before: one day.
    let p = rules.prefill(2020).unwrap();
    assert_eq!(p.iter().filter(|e| e.name == "Quốc khánh").count(), 1);
}

#[test]
fn gio_to_only_from_2007() {
    let rules = RuleSet::bundled().unwrap();
    assert!(
        !rules
            .prefill(2006)
            .unwrap()
            .iter()
            .any(|e| e.name == "Giỗ Tổ Hùng Vương")
    );
    assert!(
        rules
            .prefill(2007)
            .unwrap()
            .iter()
            .any(|e| e.name == "Giỗ Tổ Hùng Vương")
    );
    // Tết had 4 days before the 2012 Labour Code and 5 after.
    let tet_days = |y| {
        rules
            .prefill(y)
            .unwrap()
            .iter()
            .filter(|e| e.name == "Tết Nguyên đán")
            .count()
    };
    assert_eq!(tet_days(2012), 4);
    assert_eq!(tet_days(2014), 5);
}

#[test]
fn notices_decide_the_civil_service_days_off() {
    use DayKind::*;
    let k = |y, m, d| CAL.day_kind(date(y, m, d)).unwrap();
    // 2019: Tết Dương lịch swap and the Saturdays worked.
    assert_eq!(k(2018, 12, 31), SwappedOff);
    assert_eq!(k(2019, 1, 5), SwappedWorking);
    assert_eq!(k(2019, 4, 29), SwappedOff);
    assert_eq!(k(2019, 5, 4), SwappedWorking);
    assert_eq!(k(2019, 4, 15), Compensatory);
    // 2024 Tết: 8–12/2 holidays, 13–14/2 compensatory; 30/4 swap.
    for d in 8..=12 {
        assert_eq!(k(2024, 2, d), Holiday, "{d}/2/2024");
    }
    assert_eq!(k(2024, 2, 13), Compensatory);
    assert_eq!(k(2024, 2, 15), Working);
    assert_eq!(k(2024, 5, 4), SwappedWorking);
    // 2025: Friday 2/5 swapped for Saturday 26/4.
    assert_eq!(k(2025, 5, 2), SwappedOff);
    assert_eq!(k(2025, 4, 26), SwappedWorking);
    // 2026: Tết Dương lịch and Quốc khánh swaps.
    assert_eq!(k(2026, 1, 2), SwappedOff);
    assert_eq!(k(2026, 1, 10), SwappedWorking);
    assert_eq!(k(2026, 8, 31), SwappedOff);
    assert_eq!(k(2026, 8, 22), SwappedWorking);
    // A year without a notice: rules only (2027: Tết Saturday 6/2, eve 5/2).
    assert_eq!(k(2027, 2, 5), Holiday);
    assert_eq!(k(2027, 2, 9), Holiday);
    assert_eq!(k(2027, 2, 10), Compensatory);
    assert_eq!(k(2027, 2, 11), Compensatory);
    assert_eq!(k(2027, 2, 12), Working);
}

#[test]
fn working_days_per_year() {
    // 2019: 261 weekdays − 10 holidays on weekdays (1/1, 4–8/2, 15/4 comp., 30/4, 1/5, 2/9)
    // − 2 swapped days off (31/12/2018 is in 2018) + 2 Saturdays worked (5/1, 4/5)
    // = 261 − 10 − 1 + 2 = 252.
    let y = CAL.year(2019).unwrap();
    assert_eq!(y.working_days, 252);
    assert_eq!(
        CAL.working_days_in(date(2019, 1, 1), date(2019, 12, 31))
            .unwrap(),
        252
    );
    assert_eq!(y.tet, date(2019, 2, 5));
    assert_eq!(y.gio_to_hung_vuong, date(2019, 4, 14));
    assert_eq!(y.days.len(), 365);
    assert_eq!(y.working_weekend_days.len(), 2);
    match &y.source {
        YearSource::Notice {
            legal_reference, ..
        } => assert!(legal_reference.contains("3238")),
        other => panic!("{other:?}"),
    }
    let tet_day = y.days.iter().find(|d| d.date == date(2019, 2, 5)).unwrap();
    assert_eq!(tet_day.lunar, LunarDate::new(2019, 1, 1));
    assert_eq!(tet_day.weekday, 2);
    assert!(!tet_day.working);
    assert_eq!(tet_day.name.as_deref(), Some("Tết Nguyên đán"));
    // Every day's lunar date in the view matches the conversion.
    for d in y.days.iter().step_by(17) {
        assert_eq!(d.lunar, solar_to_lunar(d.date).unwrap(), "{}", d.date);
    }
    let y2027 = CAL.year(2027).unwrap();
    assert!(matches!(y2027.source, YearSource::Rules { .. }));
    assert_eq!(
        CAL.year(1999).unwrap_err().code(),
        "calendar.year_out_of_range"
    );
}

#[test]
fn add_working_days_on_dates() {
    assert_eq!(
        CAL.add_working_days(date(2019, 2, 1), 1).unwrap(),
        date(2019, 2, 11)
    );
    assert_eq!(
        CAL.add_working_days(date(2019, 2, 2), 0).unwrap(),
        date(2019, 2, 11)
    );
    assert_eq!(
        CAL.add_working_days(date(2019, 2, 2), 1).unwrap(),
        date(2019, 2, 11)
    );
    assert_eq!(
        CAL.add_working_days(date(2019, 5, 3), 1).unwrap(),
        date(2019, 5, 4)
    );
    assert!(CAL.is_working_day(date(2019, 5, 4)).unwrap());
    assert!(!CAL.is_working_day(date(2019, 5, 5)).unwrap());
}

fn notice_json(year: i32, extra_off: &str, working: &str) -> String {
    format!(
        r#"{{
  "format": "cqdt.calendar.notice/1",
  "year": {year},
  "version": "{year}.1",
  "legal_reference": "Thông báo thử nghiệm",
  "days_off": [
    {{"date": "{year}-01-01", "kind": "holiday", "name": "Tết Dương lịch"}}{extra_off}
  ],
  "working_days": [{working}]
}}"#
    )
}

#[test]
fn notice_validation() {
    let ok = Notice::parse(&notice_json(2027, "", "")).unwrap();
    assert_eq!(ok.status, NoticeStatus::Reconstructed);
    // A worked day that is not a weekend day.
    let e = Notice::parse(&notice_json(
        2027,
        "",
        r#"{"date": "2027-01-04", "name": "x"}"#,
    ))
    .unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_notice");
    // A compensatory day on a Sunday.
    let e = Notice::parse(&notice_json(
        2027,
        r#", {"date": "2027-01-03", "kind": "compensatory", "name": "x"}"#,
        "",
    ))
    .unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_notice");
    // A date listed twice.
    let e = Notice::parse(&notice_json(
        2027,
        r#", {"date": "2027-01-01", "kind": "swapped", "name": "x"}"#,
        "",
    ))
    .unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_notice");
    // Swapped with a day that is not a swapped day off.
    let e = Notice::parse(&notice_json(
        2027,
        "",
        r#"{"date": "2027-01-09", "name": "x", "swapped_with": "2027-01-08"}"#,
    ))
    .unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_notice");
    // Unknown kind / broken JSON.
    let e = Notice::parse(&notice_json(
        2027,
        r#", {"date": "2027-01-05", "kind": "party", "name": "x"}"#,
        "",
    ))
    .unwrap_err();
    assert_eq!(e.code(), "calendar.parse_error");
    assert_eq!(
        Notice::parse("{").unwrap_err().code(),
        "calendar.parse_error"
    );
    // Decomposed Vietnamese is stored as NFC.
    let decomposed = notice_json(2027, "", "").replace("Tết", "Te\u{302}\u{301}t");
    let n = Notice::parse(&decomposed).unwrap();
    assert_eq!(n.days_off[0].name, "Tết Dương lịch");
}

#[test]
fn editing_a_notice_changes_the_calendar_and_its_version() {
    let base = &*CAL;
    // 2027 without a notice: Friday 5/2 is the eve of Tết (holiday), 1/1 is a Friday.
    assert!(!base.is_working_day(date(2027, 1, 1)).unwrap());
    let json = notice_json(
        2027,
        r#", {"date": "2027-02-05", "kind": "holiday", "name": "Tết Nguyên đán"},
            {"date": "2027-01-04", "kind": "swapped", "name": "Nghỉ hoán đổi"}"#,
        r#"{"date": "2027-01-09", "name": "Làm bù", "swapped_with": "2027-01-04"}"#,
    );
    let edited = base.with_notice(Notice::parse(&json).unwrap()).unwrap();
    assert_ne!(edited.version(), base.version());
    assert!(!edited.is_working_day(date(2027, 1, 4)).unwrap());
    assert!(edited.is_working_day(date(2027, 1, 9)).unwrap());
    // The notice replaces the whole pre-filled year: 9/2 is no longer a holiday.
    assert!(edited.is_working_day(date(2027, 2, 9)).unwrap());
    // Removing it restores the version.
    let restored = edited.without_notice(2027).unwrap();
    assert_eq!(restored.version(), base.version());
    // Building twice gives the same version.
    assert_eq!(
        WorkingCalendar::vietnam_default().unwrap().version(),
        base.version()
    );
}

#[test]
fn conflicting_notices_are_rejected() {
    let rules = RuleSet::bundled().unwrap();
    // The 2019 notice gives 31/12/2018 off; a 2018 notice that has it as a holiday too conflicts.
    let n2018 = Notice::parse(&notice_json(
        2018,
        r#", {"date": "2018-12-31", "kind": "holiday", "name": "x"}"#,
        "",
    ))
    .unwrap();
    let mut notices = bundled_notices().unwrap();
    notices.push(n2018);
    let e = WorkingCalendar::new(rules.clone(), notices, 2010..=2030).unwrap_err();
    assert_eq!(e.code(), "calendar.notice_conflict");
    // Two notices for one year.
    let mut notices = bundled_notices().unwrap();
    notices.push(notices[0].clone());
    let e = WorkingCalendar::new(rules, notices, 2010..=2030).unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_notice");
}

#[test]
fn weekly_rest_days_and_range() {
    for d in CAL.year(2030).unwrap().days {
        let weekend = matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend {
            assert!(!d.working, "{}", d.date);
        }
    }
    assert_eq!(CAL.years(), 2000..=2199);
    assert_eq!(
        CAL.is_working_day(date(1999, 12, 31)).unwrap_err().code(),
        "calendar.year_out_of_range"
    );
    let e = WorkingCalendar::new(RuleSet::bundled().unwrap(), vec![], 1899..=2000).unwrap_err();
    assert_eq!(e.code(), "calendar.year_out_of_range");
}
